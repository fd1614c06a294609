"""
=========================================================
Learning rate and momentum of stochastic gradient descent
=========================================================

With ``solver="sgd"``, :class:`skann.BackpropMLPClassifier` updates all its weights
and biases, gathered in one vector :math:`\\theta`, after every mini-batch by

.. math::

    \\mathbf{v} \\leftarrow \\mu\\,\\mathbf{v} - \\eta\\,\\nabla L(\\theta), \\qquad
    \\theta \\leftarrow \\theta + \\mathbf{v},

where :math:`\\nabla L` is the gradient that backpropagation computes on the batch,
:math:`\\eta` is ``learning_rate_init`` and :math:`\\mu` is ``momentum``. With
``nesterovs_momentum=True`` (the default) the second step is
:math:`\\theta \\leftarrow \\theta + \\mu\\mathbf{v} - \\eta\\nabla L(\\theta)`
instead, Nesterov's "look-ahead" form as scikit-learn writes it. With
:math:`\\mu = 0` both are plain gradient descent,
:math:`\\theta \\leftarrow \\theta - \\eta\\nabla L`.

This example trains the same network on the handwritten digits with several
learning rates, without and with momentum, and compares the loss curves
(``loss_curve_``: the mean cross-entropy plus the L2 penalty of each epoch).
"""

# %%
# Data and settings
# -----------------
# The 8x8 digits (1797 images, 10 classes), standardised, with a quarter held out
# to measure the accuracy. All the networks start from the same initial weights
# (``random_state=0``) and see the mini-batches in the same order; only
# :math:`\eta` and :math:`\mu` change. ``tol=0`` and a long patience make every run
# last the full ``max_iter`` epochs so that the curves can be compared.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skann import BackpropMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

learning_rates = [0.001, 0.01, 0.1, 1.0, 3.0, 10.0]
momenta = [0.0, 0.9]
n_epochs = 50


def train(learning_rate, momentum):
    """Fit one network; return it, or None if training diverged."""
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(32,),
        solver="sgd",
        learning_rate_init=learning_rate,
        momentum=momentum,
        max_iter=n_epochs,
        tol=0.0,
        n_iter_no_change=n_epochs,
        random_state=0,
    )
    try:
        with warnings.catch_warnings():
            # Every run stops at max_iter on purpose: no need to warn about it.
            warnings.simplefilter("ignore", ConvergenceWarning)
            # A diverging run overflows (NumPy warns) before skann raises.
            warnings.simplefilter("ignore", RuntimeWarning)
            return clf.fit(X_train, y_train)
    except FloatingPointError as error:
        print(f"eta={learning_rate}, mu={momentum}: {error}")
        return None


models = {(eta, mu): train(eta, mu) for mu in momenta for eta in learning_rates}

# %%
# Loss curves
# -----------
# One panel per momentum, one curve per learning rate, on a logarithmic scale. A
# curve that leaves the top of the panel is diverging; a run whose weights
# overflowed to infinity raised a ``FloatingPointError`` and has no curve.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True, layout="constrained")
colors = plt.cm.plasma(np.linspace(0, 0.85, len(learning_rates)))
for ax, mu in zip(axes, momenta, strict=True):
    raised = []
    for eta, color in zip(learning_rates, colors, strict=True):
        clf = models[eta, mu]
        if clf is None:
            ax.plot([], [], color=color, lw=2, label=f"$\\eta$ = {eta}")
            raised.append(eta)
            continue
        epochs = np.arange(1, len(clf.loss_curve_) + 1)
        ax.plot(epochs, clf.loss_curve_, color=color, lw=2, label=f"$\\eta$ = {eta}")
    if raised:
        etas = ", ".join(str(eta) for eta in raised)
        ax.text(
            0.97,
            0.97,
            f"$\\eta$ = {etas}: FloatingPointError",
            transform=ax.transAxes,
            ha="right",
            va="top",
        )
    ax.set(
        yscale="log",
        ylim=(1e-3, 30),
        xlabel="epoch",
        title=f"momentum $\\mu$ = {mu}",
    )
axes[0].set_ylabel("training loss (loss_curve_)")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right center")
fig.suptitle("solver='sgd', 32 ReLU hidden units, batch_size=200")

# %%
# Accuracy after the last epoch
# -----------------------------
print(f"{'eta':>6} {'mu':>4} {'final loss':>11} {'train acc':>10} {'test acc':>9}")
for (eta, mu), clf in models.items():
    if clf is None:
        print(f"{eta:>6} {mu:>4} {'raised':>11}")
        continue
    print(
        f"{eta:>6} {mu:>4} {clf.loss_:>11.4g} "
        f"{clf.score(X_train, y_train):>10.3f} {clf.score(X_test, y_test):>9.3f}"
    )

# %%
# Reading the curves
# ------------------
# **Too small.** With :math:`\eta = 0.001` and no momentum each step barely moves
# the weights: in 50 epochs the loss only falls from about
# :math:`\ln 10 \approx 2.3` (the loss of guessing uniformly among ten classes) to
# about 2, and the accuracy stays near 25 %. Nothing is wrong, it is just slow: the
# same network gets there with many more epochs.
#
# **About right.** From :math:`\eta = 0.01` to :math:`\eta = 1` without momentum
# the loss falls steadily, faster for larger steps.
#
# **Too large.** Beyond some point a step overshoots the valley it is meant to
# descend, and the loss goes *up*:
#
# - without momentum, :math:`\eta = 3` first throws the loss far above its starting
#   value; here the network recovers, but it ends in a different region of weight
#   space and generalises worse than with :math:`\eta = 1`;
# - with momentum, :math:`\eta = 1` bounces up and down and never settles, and
#   :math:`\eta = 3` grows without bound (the loss is still a finite number after 50
#   epochs, so ``fit`` returns: always look at ``loss_curve_``);
# - :math:`\eta = 10` overflows within a few batches: once a weight or the loss is
#   infinite or NaN, ``fit`` raises a ``FloatingPointError`` that names the learning
#   rate, and leaves the estimator as it was before the call.
#
# **Momentum.** On a long, gentle slope the velocity :math:`\mathbf{v}` adds up
# successive steps: with :math:`\mu = 0.9` the step grows to about
# :math:`\eta / (1 - \mu) = 10\,\eta`. Indeed, as long as training is stable,
# each curve on the right is close to the curve of a ten times larger :math:`\eta`
# on the left (compare the final losses in the table: 0.001 with momentum against
# 0.01 without, 0.01 against 0.1, 0.1 against 1), and the largest usable
# :math:`\eta` is about ten times smaller with momentum.
#
# In practice: scale the inputs, start with ``learning_rate_init`` around 0.01 to
# 0.1 for ``"sgd"`` with momentum, and watch ``loss_curve_``. A schedule
# (``learning_rate="adaptive"`` divides :math:`\eta` by 5 each time the loss stops
# improving) or the ``"adam"`` solver (the default, which scales the step of each
# weight by its own gradient history) makes the choice less critical.

# %%
# Adam with its default step
# --------------------------
# For comparison, the default solver with its default ``learning_rate_init=0.001``
# on the same data and the same number of epochs.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    adam = BackpropMLPClassifier(
        hidden_layer_sizes=(32,), max_iter=n_epochs, random_state=0
    ).fit(X_train, y_train)
print(
    f"adam, eta=0.001: final loss {adam.loss_:.4f}, "
    f"test accuracy {adam.score(X_test, y_test):.3f}"
)
