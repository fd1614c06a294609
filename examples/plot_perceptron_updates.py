"""
=============================================
The decision boundary after each update
=============================================

A perceptron with one neuron splits the plane with a straight line. This example
presents a small, linearly separable data set to
:class:`skann.PerceptronClassifier` one sample at a time and draws the decision
boundary after every update, so that the perceptron learning rule can be watched at
work.

For one sample :math:`p` with target :math:`t \\in \\{-1, +1\\}` the neuron computes
the net input and the symmetric hard limit

.. math::

    n = W p + b, \\qquad a = \\operatorname{hardlims}(n) =
    \\begin{cases} +1 & n \\ge 0 \\\\ -1 & n < 0 \\end{cases}

The sample is a *mistake* when :math:`t\\,n \\le 0` (a tie :math:`n = 0` counts as a
mistake). Only then are the weights changed:

.. math::

    W \\leftarrow W + \\eta\\, t\\, p^T, \\qquad b \\leftarrow b + \\eta\\, t

with learning rate :math:`\\eta` (``eta0``). Correctly classified samples leave
:math:`W` and :math:`b` untouched.
"""

# %%
# A small linearly separable data set
# -----------------------------------
# Twelve points from two well separated blobs. Class ``0`` gets the target
# :math:`t = -1` and class ``1`` the target :math:`t = +1`. The blobs are not centred
# on the origin, so the bias :math:`b` has to move as well as the weights.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from skann import PerceptronClassifier

X, y = make_blobs(
    n_samples=12,
    centers=[[-1.0, 2.0], [2.0, 0.5]],
    cluster_std=0.9,
    random_state=13,
)
targets = np.where(y == 1, 1.0, -1.0)

# %%
# One sample at a time
# --------------------
# ``partial_fit`` on a single sample applies the rule to that sample once. With
# ``eta0=1`` the update is exactly :math:`W \leftarrow W + t\,p^T`,
# :math:`b \leftarrow b + t`. We sweep over the data in a fixed order
# (``shuffle=False``) until a whole epoch passes without a mistake, and record the
# weights after every update. Before each step we also compute the update by hand and
# check that the estimator made the same one.
clf = PerceptronClassifier(shuffle=False, eta0=1, tol=None, max_iter=1)

W = np.zeros((1, X.shape[1]))  # the textbook weights, updated by hand
b = np.zeros(1)
history = []  # (epoch, index of the sample, coef_, intercept_) after each update
for epoch in range(1, 51):
    n_mistakes = 0
    for i, (p, t) in enumerate(zip(X, targets, strict=True)):
        n = W @ p + b  # net input before the update
        if t * n[0] <= 0:  # a mistake: apply the perceptron rule
            W = W + t * p[np.newaxis, :]
            b = b + t
            n_mistakes += 1
        clf.partial_fit(X[i : i + 1], y[i : i + 1], classes=[0, 1])
        np.testing.assert_allclose(clf.coef_, W)
        np.testing.assert_allclose(clf.intercept_, b)
        if t * n[0] <= 0:
            history.append((epoch, i, clf.coef_.copy(), clf.intercept_.copy()))
    print(f"epoch {epoch}: {n_mistakes} mistakes")
    if n_mistakes == 0:
        break

print(f"{len(history)} updates; training accuracy {clf.score(X, y):.2f}")

# %%
# Reading the pictures
# --------------------
# The boundary is the line :math:`W p + b = 0`, i.e. :math:`w_1 x_1 + w_2 x_2 + b = 0`.
# The weight vector :math:`W^T` is normal to that line and points into the half-plane
# the neuron calls ``+1``. Each update adds :math:`t\,p` to the weight vector, which
# turns it towards the misclassified sample (for :math:`t = +1`) or away from it
# (for :math:`t = -1`); the bias shifts the line parallel to itself.
#
# In every panel the sample just presented is ringed in black, the shaded side is the
# ``+1`` side, and the arrow is the weight vector drawn from the point of the line
# nearest to the origin.
colors = np.array(["tab:blue", "tab:red"])
lim = np.array([X.min() - 1.5, X.max() + 1.5])

n_cols = 3
n_rows = int(np.ceil(len(history) / n_cols))
fig, axes = plt.subplots(
    n_rows, n_cols, figsize=(3.2 * n_cols, 3.2 * n_rows), sharex=True, sharey=True
)
for ax in axes.ravel()[len(history) :]:
    ax.set_axis_off()

xx, yy = np.meshgrid(np.linspace(*lim, 200), np.linspace(*lim, 200))
for k, (ax, (epoch, i, coef, intercept)) in enumerate(
    zip(axes.ravel(), history, strict=False), start=1
):
    w, b0 = coef[0], intercept[0]
    # Shade the +1 side of the boundary.
    side = xx * w[0] + yy * w[1] + b0 >= 0
    ax.contourf(xx, yy, side, levels=[-0.5, 0.5, 1.5], colors=["white", "mistyrose"])
    ax.contour(xx, yy, side.astype(float), levels=[0.5], colors="k", linewidths=1.5)
    ax.scatter(X[:, 0], X[:, 1], c=colors[y], s=30, edgecolors="k", linewidths=0.5)
    ax.scatter(X[i, 0], X[i, 1], s=220, facecolors="none", edgecolors="k", linewidths=2)
    # The weight vector, normal to the boundary, drawn from the point of the line
    # nearest to the origin, scaled to a fixed length.
    sq_norm = w @ w
    if sq_norm > 0:
        foot = -b0 * w / sq_norm
        arrow = 1.5 * w / np.sqrt(sq_norm)
        ax.annotate(
            "",
            xy=foot + arrow,
            xytext=foot,
            arrowprops={"arrowstyle": "->", "color": "darkgreen", "lw": 2},
        )
    ax.set(xlim=lim, ylim=lim, aspect="equal")
    ax.set_title(
        f"update {k} (epoch {epoch}, sample {i})\n"
        f"W = [{w[0]:.1f}, {w[1]:.1f}], b = {b0:.0f}",
        fontsize=9,
    )
fig.suptitle("Perceptron: boundary $Wp + b = 0$ after each update")
fig.tight_layout()

# %%
# The same weights from ``fit``
# -----------------------------
# ``fit`` with ``shuffle=False`` visits the samples in the same order and applies the
# same rule, so it ends with the same weights as the loop above. On linearly separable
# data the perceptron convergence theorem (Novikoff) bounds the number of updates by
# :math:`(R/\gamma)^2`, where :math:`R` is the largest norm of an augmented sample
# :math:`(p, 1)` and :math:`\gamma` the margin of any separating line.
# :meth:`~skann.PerceptronClassifier.novikoff_diagnostics` measures both with the
# final line, whose margin is small, so the bound it reports is valid but loose.
clf_fit = PerceptronClassifier(shuffle=False, eta0=1, tol=None, max_iter=100).fit(X, y)
print("same weights as the loop:", np.allclose(clf_fit.coef_, clf.coef_))
print("epochs:", clf_fit.n_iter_, "- converged:", clf_fit.converged_)
print("mistakes per epoch:", clf_fit.mistakes_per_epoch_)

diag = clf_fit.novikoff_diagnostics(X, y)
print(
    f"updates made: {diag.n_updates[0]}, "
    f"Novikoff bound (R / gamma)^2 = {diag.bound[0]:.1f} "
    f"(R = {diag.radius:.2f}, gamma = {diag.margin[0]:.3f})"
)
