"""
==========================================================
Tuning the perceptron on digits with GridSearchCV
==========================================================

:class:`skann.PerceptronClassifier` is a scikit-learn estimator, so it fits into a
:class:`~sklearn.pipeline.Pipeline`, can be tuned with
:class:`~sklearn.model_selection.GridSearchCV` and evaluated with
:func:`~sklearn.model_selection.cross_validate` like any other classifier.

This example tunes three options that scikit-learn's
:class:`~sklearn.linear_model.Perceptron` does not have on the 8x8 handwritten digits
(10 classes), then compares the tuned model with scikit-learn's perceptron under the
same cross-validation.

- ``average``: return the average of the weights over all steps (the *averaged
  perceptron*) instead of the last ones; averaging damps the oscillation of the last
  few updates.
- ``multi_class``: ``"ovr"`` trains one neuron per class, each on "this class against
  the rest" (what scikit-learn does); ``"multinomial"`` is Kesler's construction
  (the multiclass perceptron): predict the class with the highest net input and, on a
  mistake, add the sample to the true class's weights and subtract it from the
  weights of the wrongly predicted class.
- ``margin``: update not only on mistakes (:math:`t\\,n \\le 0`) but whenever the net
  input is within the margin, :math:`t\\,n \\le \\tau`, which pushes the boundary away
  from the samples.
"""

# %%
# Data and pipeline
# -----------------
# The perceptron rule is sensitive to the scale of the inputs, so the pixels are
# standardised first.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.linear_model import Perceptron
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import PerceptronClassifier

X, y = load_digits(return_X_y=True)
print(f"{X.shape[0]} images, {X.shape[1]} pixels, {np.unique(y).size} classes")

pipe = make_pipeline(StandardScaler(), PerceptronClassifier(random_state=0))

# %%
# Grid search
# -----------
# ``make_pipeline`` names the step ``perceptronclassifier``, so its parameters are
# addressed as ``perceptronclassifier__<name>``. Eight combinations, three folds each.
param_grid = {
    "perceptronclassifier__average": [False, True],
    "perceptronclassifier__multi_class": ["ovr", "multinomial"],
    "perceptronclassifier__margin": [0.0, 1.0],
}
search = GridSearchCV(pipe, param_grid, cv=3, n_jobs=1)
search.fit(X, y)

results = pd.DataFrame(search.cv_results_)
results = results.rename(
    columns=lambda c: c.replace("param_perceptronclassifier__", "")
)
columns = ["average", "multi_class", "margin", "mean_test_score", "std_test_score"]
print(results.sort_values("rank_test_score")[columns].to_string(index=False))
print("best parameters:", search.best_params_)

# %%
# The tuned model against scikit-learn's perceptron
# -------------------------------------------------
# Both pipelines are evaluated on the same five stratified folds (a fresh split, not
# the one used for tuning; for an unbiased estimate of the tuned model wrap the grid
# search itself in ``cross_validate``, i.e. nested cross-validation).
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
models = {
    "skann, default": make_pipeline(
        StandardScaler(), PerceptronClassifier(random_state=0)
    ),
    "skann, tuned": search.best_estimator_,
    "scikit-learn Perceptron": make_pipeline(
        StandardScaler(), Perceptron(random_state=0)
    ),
}
scores = {
    name: cross_validate(model, X, y, cv=cv, return_train_score=True)
    for name, model in models.items()
}

table = pd.DataFrame(
    {
        name: {
            "test accuracy": s["test_score"].mean(),
            "test std": s["test_score"].std(),
            "train accuracy": s["train_score"].mean(),
            "fit time (s)": s["fit_time"].mean(),
        }
        for name, s in scores.items()
    }
).T
print(table.round(3).to_string())

# %%
# Mean test accuracy over the five folds, with one standard deviation as error bar.
fig, ax = plt.subplots(figsize=(7, 4))
names = list(scores)
means = [scores[name]["test_score"].mean() for name in names]
stds = [scores[name]["test_score"].std() for name in names]
bars = ax.bar(
    names, means, yerr=stds, capsize=6, color=["tab:gray", "tab:blue", "tab:orange"]
)
ax.bar_label(
    bars, labels=[f"{m:.3f}" for m in means], label_type="center", color="white"
)
ax.set(
    ylim=(min(means) - 0.08, 1.0),
    ylabel="accuracy (5-fold CV)",
    title="Perceptrons on the digits data set",
)
fig.tight_layout()
