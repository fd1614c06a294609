"""Shared fixtures: small data sets, and the textbook loop run over a data set."""

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from sklearn.datasets import make_classification

from skann._math.perceptron_rule import RuleSettings, RuleState, online_epoch

# Hypothesis profiles. "ci" (the default) runs the same examples on every run
# (derandomize) and few enough of them for the suite's time budget; "long", chosen
# with --hypothesis-profile=long, searches further with a random seed. The deadline
# is a hang guard per example: an example takes milliseconds, but the first use of
# a numba kernel in a process loads or compiles it, which takes seconds.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=200,
    deadline=60_000,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "long",
    max_examples=3000,
    deadline=60_000,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("ci")


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
    shrink=1.0,
    l1_step=0.0,
    intercept_decay=1.0,
):
    """The textbook loop of ``skann._math.perceptron_rule``, rows in their order.

    ``T`` holds targets in {-1, +1}, one column per neuron, or class indices for
    Kesler's rule (:func:`reference_kesler`). Returns the weights the model predicts
    with (averaged when ``average``).
    """
    multinomial = T.ndim == 1
    S = int(T.max()) + 1 if multinomial else T.shape[1]
    state = RuleState(coef=np.zeros((S, X.shape[1])), intercept=np.zeros(S))
    state.coef_sum, state.intercept_sum = np.zeros((S, X.shape[1])), np.zeros(S)
    state.l1_received = np.zeros((S, X.shape[1]))
    settings = RuleSettings(
        eta=eta,
        tau=tau,
        fit_intercept=fit_intercept,
        intercept_decay=intercept_decay,
        shrink=shrink,
        l1_step=l1_step,
        average_from=1 if average else None,
        multinomial=multinomial,
    )
    sw = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    for _ in range(epochs):
        online_epoch(X, T, np.arange(X.shape[0]), sw, state, settings)
    if average:
        return state.coef_sum / state.n_averaged, state.intercept_sum / state.n_averaged
    return state.coef, state.intercept


def reference_kesler(X, y, n_classes, epochs, eta=1.0):
    """Multinomial (Kesler) perceptron by the textbook loop, rows in their order."""
    return reference_perceptron(X, np.asarray(y), epochs, eta=eta)


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
