"""Shared fixtures: small data sets and a textbook reference loop."""

import numpy as np
import pytest
from sklearn.datasets import make_classification


def reference_perceptron(
    X,
    T,
    epochs,
    *,
    eta=1.0,
    tau=0.0,
    sample_weight=None,
    average=False,
    fit_intercept=True,
):
    """The perceptron rule written as the textbook does: one sample at a time.

    ``T`` holds targets in {-1, +1}, one column per neuron. A sample of integer
    weight ``k`` is presented ``k`` times in a row.
    """
    n, R = X.shape
    S = T.shape[1]
    W, b = np.zeros((S, R)), np.zeros(S)
    W_sum, b_sum, steps = np.zeros((S, R)), np.zeros(S), 0
    sw = np.ones(n, dtype=int) if sample_weight is None else sample_weight
    for _ in range(epochs):
        for i in range(n):
            for _copy in range(int(sw[i])):
                n_i = W @ X[i] + b
                err = T[i] * n_i <= tau
                W[err] += eta * T[i, err, None] * X[i]
                if fit_intercept:
                    b[err] += eta * T[i, err]
                W_sum += W
                b_sum += b
                steps += 1
    if average:
        return W_sum / steps, b_sum / steps
    return W, b


def reference_kesler(X, y, n_classes, epochs, eta=1.0):
    """Multinomial (Kesler) perceptron, one sample at a time."""
    W, b = np.zeros((n_classes, X.shape[1])), np.zeros(n_classes)
    for _ in range(epochs):
        for p, c in zip(X, y, strict=True):
            n = W @ p + b
            rivals = n.copy()
            rivals[c] = -np.inf
            r = int(rivals.argmax())
            if n[c] - n[r] <= 0:
                W[c] += eta * p
                W[r] -= eta * p
                b[c] += eta
                b[r] -= eta
    return W, b


def plus_minus(y, classes):
    """Targets in {-1, +1}: one column for binary y, one per class otherwise."""
    if len(classes) == 2:
        return np.where(y == classes[1], 1, -1)[:, None]
    return np.where(y[:, None] == classes, 1, -1)


@pytest.fixture
def binary_data():
    return make_classification(120, 6, n_informative=4, random_state=0)


@pytest.fixture
def multiclass_data():
    return make_classification(
        150, 8, n_informative=5, n_classes=4, n_clusters_per_class=1, random_state=1
    )
