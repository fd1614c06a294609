"""
==========================================
What the hidden units of an MLP look at
==========================================

Hidden unit :math:`j` of the first layer of :class:`skann.BackpropMLPClassifier`
computes :math:`h_j = g(\\mathbf{p}^T \\mathbf{w}_j + b_j)`, where :math:`\\mathbf{w}_j`
is column :math:`j` of ``coefs_[0]`` (shape ``(n_features, n_hidden)``). On the 8x8
digits there is one weight per pixel, so each column can be reshaped into an 8x8
image: the pattern of ink that excites the unit most (positive weights) and the
places where ink inhibits it (negative weights). This example draws those images
and shows how the L2 penalty ``alpha`` changes them.
"""

# %%
# Train two networks
# ------------------
# The pixels are scaled from 0..16 to 0..1 (not standardised, so that a weight
# image can be read directly against the digits' ink). Both networks have 16 ReLU
# hidden units and start from the same weights; one has almost no penalty, the
# other a strong one.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skann import BackpropMLPClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

n_hidden = 16
models = {}
for alpha in (1e-4, 1.0):
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(n_hidden,),
        alpha=alpha,
        learning_rate_init=0.01,
        max_iter=100,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    models[alpha] = clf
    W1, b1 = clf.coefs_[0], clf.intercepts_[0]
    # A ReLU unit whose net input is negative on every training image is "dead".
    dead = np.flatnonzero(np.all(X_train @ W1 + b1 <= 0, axis=0))
    print(
        f"alpha={alpha:g}: coefs_[0].shape={W1.shape}, "
        f"epochs={clf.n_iter_}, test accuracy={clf.score(X_test, y_test):.3f}, "
        f"||W1||={np.linalg.norm(W1):.1f}, dead units {dead.tolist()}"
    )

# %%
# The first layer's weights as images
# -----------------------------------
# One panel per hidden unit: column ``j`` of ``coefs_[0]`` reshaped to 8x8, red for
# positive and blue for negative weights, on a colour scale symmetric around zero
# and shared by all the units of a network. The number above each panel is the
# unit's bias ``intercepts_[0][j]``.


def plot_weights(clf, title):
    W1, b1 = clf.coefs_[0], clf.intercepts_[0]
    vmax = np.abs(W1).max()
    fig, axes = plt.subplots(2, n_hidden // 2, figsize=(12, 3.6))
    for j, ax in enumerate(axes.ravel()):
        ax.imshow(W1[:, j].reshape(8, 8), cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(f"unit {j}, b={b1[j]:+.1f}", fontsize=8)
        ax.set_axis_off()
    fig.suptitle(f"{title}  (colour scale ±{vmax:.2f})")
    fig.tight_layout()


plot_weights(models[1e-4], "coefs_[0], alpha=1e-4")
plot_weights(models[1.0], "coefs_[0], alpha=1")

# %%
# With almost no penalty the images are noisy, and a few weights, often on pixels
# near the border that only a few training images touch, dominate the colour scale:
# nothing stops a weight from growing wherever it lowers the training loss a
# little. The penalty charges every weight for its size, so only weights that help
# on many images survive: the images become strokes and blobs in the middle of the
# frame, where the digits differ, and the border fades. The smaller weights
# (``||W1||`` above) also generalise better here (test accuracy).
#
# Some panels are nearly or completely blank. These are *dead* ReLU units: their
# net input is negative for every training image, so their output and its
# derivative are zero, and backpropagation never changes their incoming weights
# again. Without a penalty they keep whatever weights they had when they died
# (faint noise); with ``alpha=1`` the penalty is the only force left on them and
# shrinks their weights to zero. Dead units waste capacity: a smaller
# ``learning_rate_init`` makes a unit less likely to be pushed into the dead region,
# more hidden units make the loss of a few matter less, and ``activation="tanh"``
# has no dead region at all.
#
# For comparison, the average image of each class:
fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
for digit, ax in enumerate(axes):
    ax.imshow(X[y == digit].mean(axis=0).reshape(8, 8), cmap="gray_r")
    ax.set_title(str(digit))
    ax.set_axis_off()
fig.tight_layout()

# %%
# From hidden units to classes
# ----------------------------
# ``coefs_[1]`` (shape ``(n_hidden, n_classes)``) says how much each hidden unit
# votes for each digit. A unit usually supports a few digits and argues against
# others: reading a row together with the unit's image above tells which strokes
# the network uses to tell those digits apart.
clf = models[1.0]
W2 = clf.coefs_[1]
vmax = np.abs(W2).max()
fig, ax = plt.subplots(figsize=(6, 6))
image = ax.imshow(W2, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
fig.colorbar(image, ax=ax, label="weight")
ax.set(
    xticks=range(len(clf.classes_)),
    xticklabels=clf.classes_,
    yticks=range(n_hidden),
    xlabel="class (output unit)",
    ylabel="hidden unit",
    title="coefs_[1], alpha=1",
)
fig.tight_layout()

# The three units with the largest outgoing weights:
for j in np.argsort(np.linalg.norm(W2, axis=1))[::-1][:3]:
    order = np.argsort(W2[j])
    print(
        f"unit {j}: for digits {clf.classes_[order[-2:]][::-1]}, "
        f"against digits {clf.classes_[order[:2]]}"
    )
