"""
=========================================
A hidden layer learns XOR
=========================================

:ref:`sphx_glr_auto_examples_plot_xor.py` shows that a single-layer perceptron cannot
learn XOR: no straight line separates ``(0, 1)`` and ``(1, 0)`` from ``(0, 0)`` and
``(1, 1)``. There the hidden layer that fixes this was wired by hand. Here
:class:`skann.BackpropMLPClassifier` learns it from the four points by
backpropagation.

The network has two inputs, one hidden layer of two ``tanh`` neurons and one
logistic output neuron:

.. math::

    \\mathbf{h} = \\tanh(\\mathbf{p}^T W_1 + \\mathbf{b}_1), \\qquad
    a = \\sigma(\\mathbf{h}^T W_2 + b_2),

with ``coefs_[0]`` :math:`= W_1` of shape ``(2, 2)`` (one column per hidden neuron),
``intercepts_[0]`` :math:`= \\mathbf{b}_1`, ``coefs_[1]`` :math:`= W_2` of shape
``(2, 1)`` and ``intercepts_[1]`` :math:`= b_2`. Each hidden neuron still draws one
straight line, :math:`w_{1j} p_1 + w_{2j} p_2 + b_j = 0`; the output neuron combines
the two half-planes.
"""

# %%
# The four XOR points
# -------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.inspection import DecisionBoundaryDisplay

from skann import BackpropMLPClassifier, PerceptronClassifier

X_xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y_xor = np.array([0, 1, 1, 0])

# %%
# One layer fails, two layers succeed
# -----------------------------------
# The single-layer perceptron never stops making mistakes on XOR (see
# :ref:`sphx_glr_auto_examples_plot_xor.py`). The network is trained with
# ``solver="lbfgs"``, the quasi-Newton method that suits a data set this small: it
# uses all four points at every step and needs no learning rate. ``alpha`` (the L2
# penalty) is kept at its default. With only two hidden units some random starting
# weights lead to a local minimum instead (see the last section); ``random_state=1``
# is one of the many that do not.
perceptron = PerceptronClassifier(max_iter=100, tol=None, random_state=0)
perceptron.fit(X_xor, y_xor)

mlp = BackpropMLPClassifier(
    hidden_layer_sizes=(2,),
    activation="tanh",
    solver="lbfgs",
    max_iter=1000,
    random_state=1,
)
mlp.fit(X_xor, y_xor)

print(f"perceptron accuracy: {perceptron.score(X_xor, y_xor):.2f}")
print(f"MLP accuracy:        {mlp.score(X_xor, y_xor):.2f}")
print(f"MLP iterations:      {mlp.n_iter_}, final loss {mlp.loss_:.4f}")
print("P(class 1) for the four points:", mlp.predict_proba(X_xor)[:, 1].round(3))
print("layers:", [W.shape for W in mlp.coefs_], "output:", mlp.out_activation_)

# %%
# The decision boundary and the hidden neurons' lines
# ---------------------------------------------------
# :class:`~sklearn.inspection.DecisionBoundaryDisplay` colours the plane by
# :math:`P(\text{class } 1)`. The dashed lines are the hidden neurons' boundaries,
# read from the columns of ``coefs_[0]`` and ``intercepts_[0]``; the arrow on each
# line points to the side where that neuron's output is positive.
W1, b1 = mlp.coefs_[0], mlp.intercepts_[0]
W2, b2 = mlp.coefs_[1], mlp.intercepts_[1]
for j in range(W1.shape[1]):
    print(
        f"hidden neuron {j}: {W1[0, j]:+.2f} p1 {W1[1, j]:+.2f} p2 {b1[j]:+.2f}, "
        f"output weight {W2[j, 0]:+.2f}"
    )
print(f"output bias {b2[0]:+.2f}")

lim = (-0.6, 1.6)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharey=True)
for ax, model, title in [
    (axes[0], perceptron, "PerceptronClassifier (one layer)"),
    (axes[1], mlp, "BackpropMLPClassifier, 2 hidden tanh units"),
]:
    DecisionBoundaryDisplay.from_estimator(
        model,
        X_xor,
        response_method="predict_proba" if model is mlp else "predict",
        plot_method="pcolormesh",
        cmap="RdBu_r",
        vmin=0,
        vmax=1,
        alpha=0.5,
        ax=ax,
        grid_resolution=200,
        eps=0.6,
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
    )
    ax.set(
        title=f"{title}\n{correct.sum()}/4 correct",
        xlabel="$p_1$",
        ylabel="$p_2$",
        xlim=lim,
        ylim=lim,
        aspect="equal",
    )

line = np.linspace(*lim, 2)
ax = axes[1]
for j, color in zip(range(W1.shape[1]), ["tab:green", "tab:purple"], strict=True):
    w, b = W1[:, j], b1[j]
    # w1 p1 + w2 p2 + b = 0, drawn as p2 = -(w1 p1 + b) / w2 (or vertical if w2 = 0).
    if abs(w[1]) > abs(w[0]):
        ax.plot(line, -(w[0] * line + b) / w[1], "--", color=color, lw=2)
    else:
        ax.plot(-(w[1] * line + b) / w[0], line, "--", color=color, lw=2)
    # An arrow along the normal w, from the line's point nearest to (0.5, 0.5).
    centre = np.array([0.5, 0.5])
    foot = centre - (w @ centre + b) / (w @ w) * w
    tip = foot + 0.3 * w / np.linalg.norm(w)
    ax.annotate(
        "",
        xy=tip,
        xytext=foot,
        arrowprops={"arrowstyle": "->", "color": color, "lw": 2},
    )
    ax.text(*tip, f" $h_{j + 1} > 0$", color=color, fontsize=10, va="top")
fig.tight_layout()

# %%
# What the hidden layer does
# --------------------------
# In the space of the hidden outputs :math:`(h_1, h_2)` the four points *are*
# linearly separable, and the output neuron is just a perceptron-like unit drawing a
# line there. The hidden layer has learned a new representation of the input:
# ``(0, 1)`` and ``(1, 0)`` land on almost the same point, on the other side of
# the output line from ``(0, 0)`` and ``(1, 1)``. Here the first hidden neuron
# behaves like NOR and the second like NAND of the inputs; other seeds find other,
# equally good pairs of lines.
H = np.tanh(X_xor @ W1 + b1)
print("hidden outputs:\n", H.round(3))

fig, ax = plt.subplots(figsize=(5, 5))
# Shade the plane of hidden outputs by the output neuron's P(class 1).
hh1, hh2 = np.meshgrid(np.linspace(-1.2, 1.2, 200), np.linspace(-1.2, 1.2, 200))
net = W2[0, 0] * hh1 + W2[1, 0] * hh2 + b2[0]
ax.pcolormesh(
    hh1, hh2, 1 / (1 + np.exp(-net)), cmap="RdBu_r", vmin=0, vmax=1, alpha=0.5
)
ax.contour(hh1, hh2, net, levels=[0], colors="k", linestyles="--")
ax.scatter(
    H[:, 0], H[:, 1], c=y_xor, cmap="RdBu_r", vmin=0, vmax=1, s=150, edgecolors="k"
)
# (0, 1) and (1, 0) land on almost the same point: label them on either side.
offsets = [(-20, -22), (10, 8), (10, -16), (10, 8)]
for (h1, h2), p, offset in zip(H, X_xor, offsets, strict=True):
    ax.annotate(
        f"({p[0]:.0f}, {p[1]:.0f})", (h1, h2), xytext=offset, textcoords="offset points"
    )
ax.set(
    xlim=(-1.2, 1.2),
    ylim=(-1.2, 1.2),
    aspect="equal",
    xlabel="$h_1$",
    ylabel="$h_2$",
    title="The four points as the hidden layer sees them\n"
    "(dashed: the output neuron's boundary)",
)
fig.tight_layout()

# %%
# Local minima: two hidden units are just enough
# ----------------------------------------------
# Backpropagation follows the gradient from random initial weights, and the loss of
# a network is not convex: with only two hidden units some starting points end in a
# local minimum that gets three of the four points right. More hidden units than
# strictly needed make such traps rarer. Count the successes over ten seeds:
for n_hidden in (1, 2, 3, 4):
    solved = [
        BackpropMLPClassifier(
            hidden_layer_sizes=(n_hidden,),
            activation="tanh",
            solver="lbfgs",
            max_iter=1000,
            random_state=seed,
        )
        .fit(X_xor, y_xor)
        .score(X_xor, y_xor)
        == 1.0
        for seed in range(10)
    ]
    print(f"{n_hidden} hidden unit(s): XOR solved for {sum(solved)}/10 seeds")

# %%
# One hidden unit is never enough: the output then sees a single number, a monotone
# function of one line's net input, so it still splits the plane along one line.
