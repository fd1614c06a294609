"""
==================================================
Tuning an MLP on digits with GridSearchCV
==================================================

:class:`skann.BackpropMLPClassifier` is a scikit-learn classifier, so the usual
model-selection tools apply. This example standardises the 8x8 handwritten digits
in a :class:`~sklearn.pipeline.Pipeline` and lets
:class:`~sklearn.model_selection.GridSearchCV` choose two of the network's most
important settings by cross-validation:

- ``hidden_layer_sizes``: the number of hidden units, i.e. how flexible the model
  is;
- ``alpha``: the strength of the L2 penalty
  :math:`\\frac{\\alpha}{2n}\\sum_l \\lVert W_l \\rVert^2` added to the loss, which
  pulls the weights towards zero and so limits that flexibility.

A small grid and few epochs keep the example fast; widen both for real work.
"""

# %%
# Data and pipeline
# -----------------
# A quarter of the images is held out for a final test; the grid search only sees
# the rest. The scaler is a step of the pipeline, so that within each
# cross-validation split it is fitted on the training folds only.
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import BackpropMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# Adam with a step ten times its default and only 30 epochs: enough on this data.
pipe = make_pipeline(
    StandardScaler(),
    BackpropMLPClassifier(learning_rate_init=0.01, max_iter=30, random_state=0),
)

# %%
# Grid search
# -----------
# ``make_pipeline`` names the step ``backpropmlpclassifier``, so its parameters are
# addressed as ``backpropmlpclassifier__<name>``. Three network sizes times three
# penalties, three folds each: 27 fits, plus one refit of the best combination on
# all the training data.
param_grid = {
    "backpropmlpclassifier__hidden_layer_sizes": [(16,), (32,), (64,)],
    "backpropmlpclassifier__alpha": [1e-4, 1.0, 10.0],
}
search = GridSearchCV(pipe, param_grid, cv=3, n_jobs=1)
with warnings.catch_warnings():
    # 30 epochs is below what the stopping rule would like; that is deliberate.
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

print("best parameters:", search.best_params_)
print(f"cross-validated accuracy of the best: {search.best_score_:.3f}")
print(f"test accuracy of the refitted best:   {search.score(X_test, y_test):.3f}")

# %%
# All the results
# ---------------
results = pd.DataFrame(search.cv_results_).rename(
    columns=lambda c: c.replace("param_backpropmlpclassifier__", "")
)
results["hidden_layer_sizes"] = results["hidden_layer_sizes"].map(str)
columns = ["hidden_layer_sizes", "alpha", "mean_test_score", "std_test_score"]
print(results.sort_values("rank_test_score")[columns].to_string(index=False))

# %%
# Heatmap of the mean test scores
# -------------------------------
# One cell per combination, coloured by the mean accuracy over the three
# validation folds; the combination ``search`` chose (``best_params_``) is framed.
scores = results.pivot_table(
    index="alpha", columns="hidden_layer_sizes", values="mean_test_score"
)
scores = scores[[str(h) for h in param_grid[next(iter(param_grid))]]]

fig, ax = plt.subplots(figsize=(6, 4.5))
image = ax.imshow(scores.to_numpy(), cmap="viridis", origin="lower")
fig.colorbar(image, ax=ax, label="mean accuracy (3-fold CV)")
ax.set(
    xticks=range(scores.shape[1]),
    xticklabels=scores.columns,
    yticks=range(scores.shape[0]),
    yticklabels=[f"{a:g}" for a in scores.index],
    xlabel="hidden_layer_sizes",
    ylabel="alpha",
    title="GridSearchCV on digits: BackpropMLPClassifier",
)
middle = (scores.to_numpy().max() + scores.to_numpy().min()) / 2
for (i, j), value in np.ndenumerate(scores.to_numpy()):
    ax.text(
        j,
        i,
        f"{value:.3f}",
        ha="center",
        va="center",
        color="black" if value > middle else "white",
    )
best = search.best_params_
best_i = list(scores.index).index(best["backpropmlpclassifier__alpha"])
best_j = list(scores.columns).index(
    str(best["backpropmlpclassifier__hidden_layer_sizes"])
)
ax.add_patch(
    plt.Rectangle(
        (best_j - 0.5, best_i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=3
    )
)
fig.tight_layout()

# %%
# Reading the grid
# ----------------
# - More hidden units help, with diminishing returns: for 64 pixels and 10 classes a
#   few dozen units are plenty.
# - A moderate penalty (``alpha=1``) does better than almost none (``1e-4``): even
#   the smallest network has over a thousand weights for about 900 training images
#   per split, and the penalty keeps it from fitting their noise.
# - A strong penalty (``alpha=10``) forces the weights so close to zero that the
#   network underfits, whatever its size.
#
# The differences between neighbouring cells are of the order of the fold-to-fold
# standard deviation printed above, so do not over-read the third decimal. When
# several combinations tie for the best mean score, ``GridSearchCV`` takes the
# first of them in the grid's order.
