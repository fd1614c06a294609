"""Demo: ``python -m skann``.

Cross-validates skann's estimators beside their scikit-learn counterparts on
the small datasets bundled with scikit-learn (iris, wine, breast cancer,
digits) and prints one table: held-out accuracy (mean +- std over 5 stratified
folds) and mean fit time. Every estimator sits in the same
``Pipeline(StandardScaler(), estimator)`` and sees the same folds.

Compared:

- ``skann.PerceptronClassifier`` vs ``sklearn.linear_model.Perceptron``;
- ``skann.BackpropMLPClassifier`` vs ``sklearn.neural_network.MLPClassifier``.

The whole run takes under a minute on two cores.
"""

import time
import warnings

import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skann

DATASETS = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}

# Settings shared by both MLPs; small enough to keep the demo fast.
MLP_PARAMS = dict(hidden_layer_sizes=(50,), max_iter=300, random_state=0)


def estimators():
    """List the pipelines to compare, skann's beside scikit-learn's.

    Returns
    -------
    estimators : list of (str, Pipeline)
        Display name and unfitted ``Pipeline(StandardScaler(), estimator)``.
    """
    pairs = [
        ("skann PerceptronClassifier", skann.PerceptronClassifier(random_state=0)),
        ("sklearn Perceptron", Perceptron(random_state=0)),
    ]
    pairs += [
        ("skann BackpropMLPClassifier", skann.BackpropMLPClassifier(**MLP_PARAMS)),
        ("sklearn MLPClassifier", MLPClassifier(**MLP_PARAMS)),
    ]
    return [(name, make_pipeline(StandardScaler(), est)) for name, est in pairs]


def evaluate(cv=5, random_state=0):
    """Cross-validate every estimator on every bundled dataset.

    Parameters
    ----------
    cv : int, default=5
        Number of stratified folds (shuffled, the same for every estimator).
    random_state : int, default=0
        Seed of the fold shuffling.

    Returns
    -------
    rows : list of dict
        One row per dataset and estimator with keys ``dataset``,
        ``n_samples``, ``n_features``, ``estimator``, ``accuracy_mean``,
        ``accuracy_std`` and ``fit_time_mean`` (seconds).
    """
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    rows = []
    for dataset, load in DATASETS.items():
        X, y = load(return_X_y=True)
        for name, estimator in estimators():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                result = cross_validate(estimator, X, y, cv=folds, scoring="accuracy")
            rows.append(
                dict(
                    dataset=dataset,
                    n_samples=X.shape[0],
                    n_features=X.shape[1],
                    estimator=name,
                    accuracy_mean=float(np.mean(result["test_score"])),
                    accuracy_std=float(np.std(result["test_score"])),
                    fit_time_mean=float(np.mean(result["fit_time"])),
                )
            )
    return rows


def format_table(rows):
    """Format the rows of :func:`evaluate` as an aligned text table.

    Parameters
    ----------
    rows : list of dict
        Rows returned by :func:`evaluate`.

    Returns
    -------
    table : str
        Header, rule and one line per row.
    """
    header = ("dataset", "n_samples x n_features", "estimator", "accuracy", "fit time")
    cells = [
        (
            r["dataset"],
            f"{r['n_samples']} x {r['n_features']}",
            r["estimator"],
            f"{r['accuracy_mean']:.3f} +- {r['accuracy_std']:.3f}",
            f"{1000 * r['fit_time_mean']:.1f} ms",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(5)]
    right = (False, True, False, True, True)

    def fmt(line):
        return "  ".join(
            cell.rjust(w) if r else cell.ljust(w)
            for cell, w, r in zip(line, widths, right, strict=True)
        ).rstrip()

    lines = [fmt(header), "  ".join("-" * w for w in widths)]
    previous = None
    for row, line in zip(rows, cells, strict=True):
        if previous is not None and row["dataset"] != previous:
            lines.append("")
        previous = row["dataset"]
        lines.append(fmt(line))
    return "\n".join(lines)


def main():
    """Run the demo and print the comparison table.

    Returns
    -------
    None
    """
    print(
        f"skann {skann.__version__} vs scikit-learn {sklearn.__version__}: "
        "5-fold stratified cross-validation, Pipeline(StandardScaler(), estimator)\n"
    )
    start = time.perf_counter()
    rows = evaluate(cv=5)
    print(format_table(rows))
    print("\naccuracy: mean +- std over folds; fit time: mean per fold.")
    print(f"total {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
