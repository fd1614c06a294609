"""
=======================================================
Training curves of both estimators with HistoryDisplay
=======================================================

:class:`skann.inspection.HistoryDisplay` draws what a fit recorded: the training loss
of each epoch (``loss_curve_``), the validation accuracy of each epoch when early
stopping ran (``validation_scores_``, on the right-hand axis), and the epoch whose
weights the model kept (``best_iteration_``). This example draws it for a
:class:`skann.PerceptronClassifier` and a :class:`skann.BackpropMLPClassifier`
trained on the same handwritten digits, side by side.
"""

# %%
# Data and models
# ---------------
# The 8x8 digits, scaled. Both models hold out 10 % of the training data as a
# validation set (``early_stopping=True``) and stop when its accuracy stalls.
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skann import BackpropMLPClassifier, PerceptronClassifier
from skann.inspection import HistoryDisplay

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)

perceptron = PerceptronClassifier(
    early_stopping=True, n_iter_no_change=10, max_iter=100, random_state=0
)
mlp = BackpropMLPClassifier(
    hidden_layer_sizes=(32,),
    early_stopping=True,
    n_iter_no_change=10,
    max_iter=100,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    perceptron.fit(X, y)
    mlp.fit(X, y)

# %%
# The curves
# ----------
# ``from_estimator`` draws into the axes it is given (a new figure without ``ax``)
# and returns the display, whose ``lines_`` hold the drawn lines.
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
displays = [
    HistoryDisplay.from_estimator(model, ax=ax)
    for model, ax in zip([perceptron, mlp], axes, strict=True)
]
for model in (perceptron, mlp):
    print(
        f"{type(model).__name__}: {len(model.loss_curve_)} epochs, "
        f"kept epoch {model.best_iteration_}, "
        f"best validation accuracy {max(model.validation_scores_):.3f}"
    )

# %%
# The perceptron's loss is the perceptron criterion (the mean of
# :math:`\max(0, -t\,n)`), the MLP's the cross-entropy, so the two left axes are not
# comparable; the validation accuracies on the right are. The perceptron's
# validation accuracy jumps from epoch to epoch, since each mistake moves its
# weights by a whole sample; early stopping keeps the latest epoch within ``tol`` of
# the best. The MLP's loss falls smoothly and its validation accuracy climbs to a
# plateau.
