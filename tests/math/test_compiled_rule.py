"""The compiled per-sample epoch against the NumPy epoch, its reference.

Runs when the ``numba`` extra is installed (the ``test`` extra installs it, so CI
runs it); without numba the compiled epoch is never used and there is nothing to
compare.
"""

import numpy as np
import pytest
from sklearn.datasets import make_classification

import skann._math.perceptron_rule as rule
from skann import PerceptronClassifier
from skann._math import compiled_rule
from skann._math.perceptron_rule import PocketState, RuleSettings, RuleState

pytestmark = pytest.mark.skipif(
    not compiled_rule.AVAILABLE, reason="numba (the skann[numba] extra) not installed"
)


def _state(S, R, dtype, average):
    state = RuleState(
        coef=np.zeros((S, R), dtype=dtype), intercept=np.zeros(S, dtype=dtype)
    )
    if average:
        state.coef_sum = np.zeros((S, R), dtype=dtype)
        state.intercept_sum = np.zeros(S, dtype=dtype)
    return state


def _targets(y, K, multinomial):
    if multinomial:
        return y
    if K == 2:
        return np.where(y == 1, np.int8(1), np.int8(-1))[:, None]
    return np.where(y[:, None] == np.arange(K), np.int8(1), np.int8(-1))


def _problem(K, multinomial, weighted, dtype, flip_y=0.01):
    """Data, the rule's targets, the number of neurons and the sample weights."""
    X, y = make_classification(
        300,
        7,
        n_informative=5,
        n_classes=K,
        n_clusters_per_class=1,
        flip_y=flip_y,
        random_state=K,
    )
    T = _targets(y, K, multinomial)
    S = 1 if K == 2 and not multinomial else K
    rng = np.random.RandomState(0)
    # integer weights (repetitions) for binary cases, fractional ones for others
    sw = rng.randint(1, 4, size=len(y)) * (1.0 if K == 2 else 0.7)
    return X.astype(dtype), y, T, S, sw if weighted else None


CASES = [
    # classes, multinomial, margin, weighted, average_start, fit_intercept, dtype
    (2, False, 0.0, False, None, True, np.float64),
    (2, False, 0.5, True, None, True, np.float64),
    (2, False, 0.0, True, 0, True, np.float32),
    (4, False, 0.0, False, 100, True, np.float64),
    (4, False, 0.2, True, 0, False, np.float64),
    (4, True, 0.0, False, None, True, np.float64),
    (4, True, 0.3, True, 250, True, np.float64),
    (4, True, 0.0, False, 0, False, np.float32),
]


@pytest.mark.parametrize(
    "K, multinomial, margin, weighted, average_start, fit_intercept, dtype", CASES
)
def test_compiled_epochs_equal_numpy_epochs(
    K, multinomial, margin, weighted, average_start, fit_intercept, dtype
):
    X, y, T, S, sw = _problem(K, multinomial, weighted, dtype)
    settings = RuleSettings(
        eta=1.0 if fit_intercept else 0.3,
        tau=margin,
        fit_intercept=fit_intercept,
        average_start=average_start,
        multinomial=multinomial,
    )
    order = np.random.RandomState(1).permutation(len(y))
    states = {}
    for name, epoch in [
        ("compiled", compiled_rule.online_epoch_compiled),
        ("numpy", None),
    ]:
        state = _state(S, X.shape[1], dtype, average_start is not None)
        results = []
        saved, rule.compiled_epoch = rule.compiled_epoch, epoch
        try:
            for _ in range(3):
                results.append(rule.online_epoch(X, T, order, state, settings, sw))
        finally:
            rule.compiled_epoch = saved
        states[name] = (state, results)
    (a, ra), (b, rb) = states["compiled"], states["numpy"]
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(a.coef, b.coef, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(a.intercept, b.intercept, rtol=rtol, atol=rtol)
    np.testing.assert_array_equal(a.n_updates, b.n_updates)
    assert a.n_visits == b.n_visits == 3 * len(y)
    assert [r.n_mistakes for r in ra] == [r.n_mistakes for r in rb]
    np.testing.assert_allclose([r.loss for r in ra], [r.loss for r in rb], rtol=rtol)
    if average_start is not None:
        assert a.n_averaged == pytest.approx(b.n_averaged)
        np.testing.assert_allclose(a.coef_sum, b.coef_sum, rtol=rtol, atol=rtol * 10)
        np.testing.assert_allclose(
            a.intercept_sum, b.intercept_sum, rtol=rtol, atol=rtol * 10
        )
    assert a.coef.dtype == dtype


POCKET_CASES = [
    # classes, multinomial, margin, weighted, fit_intercept, dtype
    (2, False, 0.0, False, True, np.float64),
    (2, False, 0.5, True, True, np.float32),
    (4, False, 0.0, False, True, np.float32),
    (4, False, 0.2, True, False, np.float64),
    (4, True, 0.0, False, True, np.float64),
    (4, True, 0.3, True, True, np.float32),
]


@pytest.mark.parametrize(
    "K, multinomial, margin, weighted, fit_intercept, dtype", POCKET_CASES
)
def test_compiled_pocket_equals_numpy_pocket(
    K, multinomial, margin, weighted, fit_intercept, dtype
):
    X, y, T, S, sw = _problem(K, multinomial, weighted, dtype, flip_y=0.2)
    rows = np.flatnonzero(np.arange(len(y)) % 10 != 0)  # as if some were held out
    orders = [np.random.RandomState(e).permutation(rows) for e in range(3)]
    settings = RuleSettings(
        eta=1.0 if fit_intercept else 0.3,
        tau=margin,
        fit_intercept=fit_intercept,
        multinomial=multinomial,
    )
    runs = {}
    for name, epoch in [
        ("compiled", compiled_rule.online_epoch_compiled),
        ("numpy", None),
    ]:
        state = _state(S, X.shape[1], dtype, False)
        weights = np.ones(len(y)) if sw is None else sw
        pocket = PocketState.empty(X, rows, T, weights, state.coef, state.intercept)
        results = []
        saved, rule.compiled_epoch = rule.compiled_epoch, epoch
        try:
            for order in orders:
                results.append(
                    rule.online_epoch(X, T, order, state, settings, sw, pocket)
                )
        finally:
            rule.compiled_epoch = saved
        runs[name] = (state, pocket, results)
    (a, pa, ra), (b, pb, rb) = runs["compiled"], runs["numpy"]
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(a.coef, b.coef, rtol=rtol, atol=rtol)
    assert [r.n_mistakes for r in ra] == [r.n_mistakes for r in rb]
    assert pa.n_checks == pb.n_checks > 0
    np.testing.assert_array_equal(pa.status, pb.status)
    np.testing.assert_array_equal(pa.errors, pb.errors)
    np.testing.assert_array_equal(pa.best_run, pb.best_run)
    np.testing.assert_array_equal(pa.run, pb.run)
    np.testing.assert_allclose(pa.coef, pb.coef, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(pa.intercept, pb.intercept, rtol=rtol, atol=rtol)
    assert pa.coef.dtype == dtype


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"average": True},
        {"average": 50, "multi_class": "multinomial"},
        {"pocket": True, "margin": 0.3},
        {"pocket": True, "class_weight": "balanced"},
        {"pocket": True, "multi_class": "multinomial"},
        {"early_stopping": True},
        {"class_weight": "balanced"},
    ],
)
def test_estimator_is_the_same_with_either_epoch(params, monkeypatch):
    X, y = make_classification(
        400, 6, n_informative=4, n_classes=3, n_clusters_per_class=1, random_state=0
    )
    compiled = PerceptronClassifier(max_iter=5, tol=None, random_state=0, **params)
    compiled.fit(X, y)
    monkeypatch.setattr(rule, "compiled_epoch", None)
    reference = PerceptronClassifier(max_iter=5, tol=None, random_state=0, **params)
    reference.fit(X, y)
    np.testing.assert_allclose(compiled.coef_, reference.coef_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        compiled.intercept_, reference.intercept_, rtol=1e-9, atol=1e-9
    )
    np.testing.assert_array_equal(
        compiled.mistakes_per_epoch_, reference.mistakes_per_epoch_
    )


def test_repeated_fits_are_identical():
    X, y = make_classification(
        150, 8, n_informative=5, n_classes=4, n_clusters_per_class=1, random_state=1
    )
    fits = [
        PerceptronClassifier(shuffle=False, tol=None, max_iter=3, average=True)
        .fit(X, y)
        .coef_
        for _ in range(5)
    ]
    for coef in fits[1:]:
        np.testing.assert_array_equal(coef, fits[0])
