"""
=============================================================
Early stopping on a validation set, with and without dropout
=============================================================

A network with many more weights than training samples can drive its training loss
to almost zero while getting worse on new data. Two tools of
:class:`skann.BackpropMLPClassifier` fight this:

- **early stopping** on a validation set: after every epoch the network is scored
  on data it does not train on (here a validation set of our own, passed as
  ``fit(X, y, X_val=..., y_val=...)``); training stops when the validation accuracy
  has not improved for ``n_iter_no_change`` epochs, and the weights of the best epoch,
  ``best_iteration_``, are restored;
- **dropout**: during training each hidden unit's output :math:`a` is replaced by

  .. math::

      a \\leftarrow a\\,m, \\qquad
      m = \\begin{cases} 0 & \\text{with probability } p, \\\\
      1/(1 - p) & \\text{with probability } 1 - p, \\end{cases}

  a new random :math:`m` for every unit, sample and epoch, so that no unit can rely
  on particular other units. :math:`\\mathbb{E}[m] = 1`, so prediction uses the whole
  network unchanged.

This example trains the same network on 300 handwritten digits without and with
dropout, stops both early on a validation set, and plots what ``history_`` recorded
for every epoch: the training loss, the validation loss and the validation accuracy.
"""

# %%
# Data: training, validation and test sets
# ----------------------------------------
# The 8x8 digits (1797 images, 10 classes). 40 % are kept aside as a test set that
# neither training nor early stopping sees; of the rest, only 300 images train the
# network (few, to make overfitting visible) and the others are the validation set.
# The scaler is fitted on the training images only and applied to all three sets.
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skann import BackpropMLPClassifier

X, y = load_digits(return_X_y=True)
X_rest, X_test, y_rest, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)
X_train, X_val, y_train, y_val = train_test_split(
    X_rest, y_rest, train_size=300, stratify=y_rest, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_val, X_test = (scaler.transform(A) for A in (X_train, X_val, X_test))
print(f"train {len(y_train)}, validation {len(y_val)}, test {len(y_test)} images")

# %%
# Two networks
# ------------
# Two hidden layers of 128 relu units (more than 25 000 weights for 300 images),
# Adam, no L2 penalty (``alpha=0``) so that dropout is the only regulariser. Both
# start from the same initial weights (``random_state=0``); the second drops each
# hidden unit with probability 0.5. ``n_iter_no_change=25`` is a generous patience,
# so that the curves show what happens after the best epoch.
settings = {"no dropout": 0.0, "dropout 0.5": 0.5}
models = {}
for name, dropout in settings.items():
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(128, 128),
        dropout=dropout,
        alpha=0.0,
        learning_rate_init=0.003,
        batch_size=50,
        max_iter=150,
        early_stopping=True,
        n_iter_no_change=25,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models[name] = clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)

# %%
# ``history_`` has one row per epoch:
models["dropout 0.5"].history_.head()

# %%
# The curves
# ----------
# Left, the training loss (solid) and the validation loss (dashed), the mean
# cross-entropy, on a logarithmic scale. Right, the validation accuracy, the quantity
# early stopping watches. The dotted vertical lines mark each network's
# ``best_iteration_``, the epoch whose weights it kept.
fig, (ax_loss, ax_score) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
colors = {"no dropout": "tab:blue", "dropout 0.5": "tab:orange"}
for name, clf in models.items():
    history, color = clf.history_, colors[name]
    best = clf.best_iteration_
    ax_loss.plot(history["epoch"], history["loss"], color=color, label=f"{name}: train")
    ax_loss.plot(
        history["epoch"],
        history["validation_loss"],
        color=color,
        linestyle="--",
        label=f"{name}: validation",
    )
    ax_score.plot(
        history["epoch"], history["validation_score"], color=color, label=name
    )
    ax_score.plot(
        best,
        clf.best_validation_score_,
        "o",
        color=color,
        label=f"best_iteration_ = {best}",
    )
    for ax in (ax_loss, ax_score):
        ax.axvline(best, color=color, linestyle=":", linewidth=1.5)
ax_loss.set(yscale="log", xlabel="epoch", ylabel="cross-entropy", title="Loss")
ax_score.set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
ax_score.set_ylim(0.85, 1.0)
ax_score.legend(loc="lower right")
fig.legend(*ax_loss.get_legend_handles_labels(), loc="outside lower center", ncols=4)
fig.suptitle("BackpropMLPClassifier(hidden_layer_sizes=(128, 128)) on 300 digits")

# %%
# Kept epoch and test accuracy
# ----------------------------
# ``n_iter_`` counts all the epochs run, ``best_iteration_`` the one that was kept;
# the test set was used by neither training nor early stopping.
print("             epochs  kept   val acc  val loss  test acc")
for name, clf in models.items():
    kept_loss = clf.validation_loss_curve_[clf.best_iteration_ - 1]
    print(
        f"{name:>12} {clf.n_iter_:>7} {clf.best_iteration_:>5} "
        f"{clf.best_validation_score_:>9.3f} {kept_loss:>9.3f} "
        f"{clf.score(X_test, y_test):>9.3f}"
    )

# %%
# Reading the curves
# ------------------
# **Overfitting.** Without dropout the training loss falls towards zero within a few
# dozen epochs: the network has learnt the 300 training images by heart. The
# validation loss stops falling after a few epochs and then climbs, because the
# network becomes more and more confident, including on the validation images it
# gets wrong; the validation accuracy meanwhile reaches a plateau.
#
# **Early stopping** keeps the epoch with the best validation accuracy, not the last
# one, and stops ``n_iter_no_change`` epochs after it. Accuracy and loss need not
# agree on the best epoch: the accuracy only counts which class wins, the
# cross-entropy also how confident the network is, so the kept epoch can lie after
# the minimum of the validation loss.
#
# **Dropout** makes each step train a different random half of the network. The
# training loss falls more slowly and stays noisier (each epoch sees other masks),
# the validation loss reaches a lower minimum, later, and climbs more slowly, and the
# network reaches a higher validation accuracy, later, which here carries over to the
# test set. Dropout costs epochs: it pays off when the data are few for the size of
# the network, and its rate is best tuned on the validation set. A validation set
# chosen by you (``X_val``) rather than a ``validation_fraction`` of the training data
# means that all 300 images are used for training; in a
# :class:`~sklearn.pipeline.Pipeline`, pass ``transform_input=["X_val"]`` so that the
# validation set is scaled like ``X`` (see :ref:`mlp_validation_set`).
