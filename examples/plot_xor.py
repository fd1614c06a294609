"""
=====================================
Why one layer cannot learn XOR
=====================================

A single-layer perceptron draws one straight line (a hyperplane in general) through
the input space and puts one class on each side. It can only learn problems that are
*linearly separable*. XOR, the classic counter-example of Minsky and Papert, is not:
this example shows :class:`skann.PerceptronClassifier` failing on it, shows the
pocket algorithm making the best of it, and shows that one hidden layer removes the
problem.
"""

# %%
# The four XOR points
# -------------------
# Class ``1`` when exactly one input is on.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.inspection import DecisionBoundaryDisplay

from skann import PerceptronClassifier

X_xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y_xor = np.array([0, 1, 1, 0])

# %%
# No line separates them
# ----------------------
# With targets :math:`t = -1` for ``(0, 0)`` and ``(1, 1)`` and :math:`t = +1` for
# ``(0, 1)`` and ``(1, 0)``, a separating neuron :math:`n = w_1 p_1 + w_2 p_2 + b`
# would need
#
# .. math::
#
#     b < 0, \qquad w_2 + b > 0, \qquad w_1 + b > 0, \qquad w_1 + w_2 + b < 0.
#
# Adding the two middle inequalities gives :math:`w_1 + w_2 + 2b > 0`, so
# :math:`w_1 + w_2 + b > -b > 0`, which contradicts the last one. No weights exist,
# so the perceptron rule (which updates on every mistake) can never stop making
# mistakes: the perceptron convergence theorem only holds for separable data.
#
# We train for 100 epochs with ``tol=None`` so that nothing but a mistake-free epoch
# could stop training early.
clf = PerceptronClassifier(max_iter=100, tol=None, random_state=0)
clf.fit(X_xor, y_xor)
print("mistakes per epoch (first 20):", clf.mistakes_per_epoch_[:20])
print("fewest mistakes in any epoch:", clf.mistakes_per_epoch_.min())
print("converged:", clf.converged_)
print(f"training accuracy: {clf.score(X_xor, y_xor):.2f}")

# %%
# The pocket algorithm
# --------------------
# Since the weights never settle, the ones left after the last epoch are just wherever
# the cycle happened to stop. Gallant's *pocket* algorithm (``pocket=True``) runs the
# same rule but keeps "in its pocket" the weights that misclassified the fewest
# training samples, and returns those. On XOR the best a line can do is three points
# out of four.
pocket = PerceptronClassifier(pocket=True, max_iter=100, tol=None, random_state=0)
pocket.fit(X_xor, y_xor)
print("pocket converged:", pocket.converged_)
print(
    "pocket training accuracy: "
    f"{pocket.score(X_xor, y_xor):.2f} "
    f"({int(pocket.score(X_xor, y_xor) * 4)}/4 correct)"
)

# %%
# Both decision boundaries, drawn with
# :class:`~sklearn.inspection.DecisionBoundaryDisplay`. Whatever the line, at least
# one point lies on the wrong side.
fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
for ax, model, title in [
    (axes[0], clf, "plain perceptron, last weights"),
    (axes[1], pocket, "pocket perceptron, best weights"),
]:
    DecisionBoundaryDisplay.from_estimator(
        model,
        X_xor,
        response_method="predict",
        plot_method="pcolormesh",
        cmap="RdBu_r",
        alpha=0.3,
        ax=ax,
        grid_resolution=200,
        eps=0.5,
    )
    correct = model.predict(X_xor) == y_xor
    ax.scatter(
        X_xor[:, 0],
        X_xor[:, 1],
        c=y_xor,
        cmap="RdBu_r",
        vmin=0,
        vmax=1,
        s=150,
        edgecolors="k",
        marker="o",
    )
    ax.scatter(
        X_xor[~correct, 0],
        X_xor[~correct, 1],
        s=400,
        facecolors="none",
        edgecolors="k",
        linewidths=2,
        linestyle="--",
        label="misclassified",
    )
    ax.set(
        title=f"{title}: {correct.sum()}/4 correct",
        xlabel="$p_1$",
        ylabel="$p_2$",
    )
    ax.legend(loc="center")
fig.tight_layout()

# %%
# A noisy XOR cloud
# -----------------
# The same happens with many points: Gaussian clouds around the four corners, labelled
# by the corner they come from. A single line can get at most about three quarters of
# them right (three of the four clouds); the plain perceptron keeps oscillating.
rng = np.random.RandomState(0)
corners = rng.randint(0, 2, size=(200, 2))
X_cloud = corners + 0.15 * rng.randn(200, 2)
y_cloud = np.logical_xor(corners[:, 0], corners[:, 1]).astype(int)

clf_cloud = PerceptronClassifier(max_iter=50, tol=None, random_state=0)
clf_cloud.fit(X_cloud, y_cloud)
pocket_cloud = PerceptronClassifier(
    pocket=True, max_iter=50, tol=None, random_state=0
).fit(X_cloud, y_cloud)
print("cloud, plain : converged", clf_cloud.converged_, end=", ")
print(f"accuracy {clf_cloud.score(X_cloud, y_cloud):.2f}")
print("cloud, pocket: converged", pocket_cloud.converged_, end=", ")
print(f"accuracy {pocket_cloud.score(X_cloud, y_cloud):.2f}")

fig, axes = plt.subplots(1, 3, figsize=(13, 4))
for ax, model, title in [
    (axes[0], clf_cloud, "plain perceptron"),
    (axes[1], pocket_cloud, "pocket perceptron"),
]:
    disp = DecisionBoundaryDisplay.from_estimator(
        model,
        X_cloud,
        response_method="predict",
        cmap="RdBu_r",
        alpha=0.3,
        ax=ax,
        xlabel="$p_1$",
        ylabel="$p_2$",
    )
    ax.scatter(
        X_cloud[:, 0],
        X_cloud[:, 1],
        c=y_cloud,
        cmap="RdBu_r",
        s=15,
        edgecolors="k",
        linewidths=0.3,
    )
    ax.set_title(f"{title}: accuracy {model.score(X_cloud, y_cloud):.2f}")

# The share of samples misclassified in each epoch never reaches zero.
for model, X_train, label in [
    (clf_cloud, X_cloud, "noisy cloud"),
    (clf, X_xor, "4 XOR points"),
]:
    mistakes = model.mistakes_per_epoch_
    epochs = np.arange(1, mistakes.size + 1)
    axes[2].plot(epochs, mistakes / len(X_train), marker=".", label=label)
axes[2].axhline(0, color="k", lw=0.8)
axes[2].set(
    xlabel="epoch",
    ylabel="share of samples misclassified",
    title="mistakes_per_epoch_ / n_samples",
    ylim=(-0.05, 1.05),
)
axes[2].legend()
fig.tight_layout()

# %%
# One hidden layer solves it
# --------------------------
# XOR is "OR but not AND". Two hard-limit neurons computing OR and AND of the inputs
# map the four points onto a new, two-dimensional space in which they *are* linearly
# separable, and a perceptron trained there converges. Here the hidden layer is wired
# by hand; a multilayer network learns such a layer from the data with
# backpropagation, which is what ``skann.BackpropMLPClassifier`` (coming in a later
# release) will do.
hidden_W = np.array([[1.0, 1.0], [1.0, 1.0]])  # one row per hidden neuron
hidden_b = np.array([-0.5, -1.5])  # OR fires above 0.5, AND above 1.5
H = (X_xor @ hidden_W.T + hidden_b >= 0).astype(float)  # hardlim of n = W p + b
print("hidden outputs [OR, AND]:\n", H)

output = PerceptronClassifier(max_iter=100, tol=None, random_state=0).fit(H, y_xor)
print("output layer converged:", output.converged_)
print("mistakes per epoch:", output.mistakes_per_epoch_)
print(f"training accuracy: {output.score(H, y_xor):.2f}")
