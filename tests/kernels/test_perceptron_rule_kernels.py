"""The compiled perceptron epoch against the textbook loop it reproduces."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import make_classification

from skann._kernels import perceptron_rule as kernel
from skann._math import perceptron_rule as reference
from skann._math.perceptron_rule import RuleSettings, RuleState

SETTINGS = {
    "plain": {},
    "margin, no bias": {"tau": 0.7, "fit_intercept": False},
    "l2": {"shrink": 0.97},
    "l1": {"l1_step": 0.01},
    "elastic net": {"shrink": 0.99, "l1_step": 0.004},
    "averaged": {"average_from": 1},
    "averaged late, l1": {"average_from": 150, "l1_step": 0.01},
    "averaged, l2": {"average_from": 1, "shrink": 0.99},
    # a shrink this strong folds the scale into the weights many times an epoch
    "scale folds": {"average_from": 1, "shrink": 0.6},
}


def _problem(n_classes, multinomial, dtype, weighted, n_features=9):
    X, y = make_classification(
        120, n_features, n_informative=5, n_classes=n_classes, random_state=n_classes
    )
    X[np.abs(X) < 0.4] = 0.0  # zeros that a sparse row leaves out
    X = X.astype(dtype)
    if multinomial:
        T = y.astype(np.intp)
    elif n_classes == 2:
        T = np.where(y == 1, 1, -1).astype(np.int8)[:, None]
    else:
        T = np.where(y[:, None] == np.arange(n_classes), 1, -1).astype(np.int8)
    rng = np.random.RandomState(0)
    sw = rng.uniform(0.2, 2.0, len(y)) if weighted else np.ones(len(y))
    return X, T, sw, rng.permutation(len(y))


def _state(S, R, dtype):
    return RuleState(
        coef=np.zeros((S, R), dtype=dtype),
        intercept=np.zeros(S, dtype=dtype),
        coef_sum=np.zeros((S, R)),
        intercept_sum=np.zeros(S),
        l1_received=np.zeros((S, R), dtype=dtype),
    )


def _run(epoch, X, T, sw, order, S, params, multinomial, epochs=3):
    state = _state(S, X.shape[1], X.dtype)
    settings = RuleSettings(multinomial=multinomial, **params)
    results = [epoch(X, T, order, sw, state, settings) for _ in range(epochs)]
    return state, results


@pytest.mark.parametrize("name", list(SETTINGS))
@pytest.mark.parametrize(
    "n_classes, multinomial", [(2, False), (3, False), (4, True)], ids=str
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unit", "weighted"])
def test_kernel_equals_the_textbook_loop(name, n_classes, multinomial, weighted):
    X, T, sw, order = _problem(n_classes, multinomial, np.float64, weighted)
    S = n_classes if n_classes > 2 else 1
    ours, ours_results = _run(
        kernel.online_epoch, X, T, sw, order, S, SETTINGS[name], multinomial
    )
    ref, ref_results = _run(
        reference.online_epoch, X, T, sw, order, S, SETTINGS[name], multinomial
    )
    # A shrink of 0.6 spans the scale's nine decades in 40 visits: the averaging
    # sum U + beta V then cancels terms 1e9 times larger than itself (scikit-learn's
    # lazy average loses the same digits); any realistic shrink keeps 1e-11.
    tol = 1e-6 if name == "scale folds" else 1e-11
    for field in ("coef", "intercept", "weight_sum", "intercept_sum", "l1_received"):
        mine, theirs = getattr(ours, field), getattr(ref, field)
        if field == "weight_sum":  # the kernel keeps part of it as beta W
            mine, theirs = mine(), theirs()
        np.testing.assert_allclose(mine, theirs, rtol=tol, atol=tol)
    assert ours.n_averaged == ref.n_averaged and ours.n_visits == ref.n_visits
    assert ours.l1_owed == pytest.approx(ref.l1_owed, rel=1e-12)
    np.testing.assert_array_equal(ours.n_updates, ref.n_updates)
    for a, b in zip(ours_results, ref_results, strict=True):
        assert a.n_mistakes == b.n_mistakes
        assert a.loss == pytest.approx(b.loss, rel=1e-11)


@pytest.mark.parametrize("name", ["plain", "l1", "averaged late, l1", "scale folds"])
def test_kernel_float32_stays_float32_and_close(name):
    X, T, sw, order = _problem(3, False, np.float32, True)
    ours, _ = _run(kernel.online_epoch, X, T, sw, order, 3, SETTINGS[name], False, 1)
    ref, _ = _run(reference.online_epoch, X, T, sw, order, 3, SETTINGS[name], False, 1)
    assert ours.coef.dtype == np.float32 and ours.intercept.dtype == np.float32
    np.testing.assert_allclose(ours.coef, ref.coef, rtol=1e-4, atol=1e-4)


# The compiled kernel reads a dense row's weights neuron by neuron and a CSR row's
# feature by feature; in float32 as well, every rule takes the same steps.
@pytest.mark.parametrize("epoch", [kernel.online_epoch, reference.online_epoch])
@pytest.mark.parametrize("name", list(SETTINGS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_and_sparse_rows_train_the_same_bits(epoch, name, dtype):
    X, T, sw, order = _problem(3, False, dtype, True)
    dense, _ = _run(epoch, X, T, sw, order, 3, SETTINGS[name], False)
    stored, _ = _run(
        epoch, sparse.csr_matrix(X), T, sw, order, 3, SETTINGS[name], False
    )
    np.testing.assert_array_equal(stored.coef, dense.coef)
    np.testing.assert_array_equal(stored.intercept, dense.intercept)
    np.testing.assert_array_equal(stored.weight_sum(), dense.weight_sum())


# The dense kernel sums neurons two at a time, the last of an odd number alone, the
# last columns (R mod 4 of them) apart, keeps a float32 model's weights in float64
# and penalises (L1) neuron by neuron: every combination against the sparse path.
@pytest.mark.parametrize("n_features", [8, 9, 10, 11])
@pytest.mark.parametrize(
    "n_classes, multinomial", [(2, False), (3, False), (4, True), (6, False)], ids=str
)
@pytest.mark.parametrize("name", ["plain", "averaged, l2", "averaged late, l1"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_kernel_sums_as_the_sparse_one(
    n_features, n_classes, multinomial, name, dtype
):
    X, T, sw, order = _problem(n_classes, multinomial, dtype, True, n_features)
    S = n_classes if n_classes > 2 else 1
    dense, dense_results = _run(
        kernel.online_epoch, X, T, sw, order, S, SETTINGS[name], multinomial
    )
    stored, stored_results = _run(
        kernel.online_epoch,
        sparse.csr_matrix(X),
        T,
        sw,
        order,
        S,
        SETTINGS[name],
        multinomial,
    )
    # the losses are sums of net inputs: equal only if every sum took the same bits
    assert [(r.n_mistakes, r.loss) for r in dense_results] == [
        (r.n_mistakes, r.loss) for r in stored_results
    ]
    np.testing.assert_array_equal(stored.coef, dense.coef)
    np.testing.assert_array_equal(stored.intercept, dense.intercept)
    np.testing.assert_array_equal(stored.weight_sum(), dense.weight_sum())


def test_explicit_zeros_in_csr_are_skipped():
    X, T, sw, order = _problem(2, False, np.float64, False)
    padded = sparse.csr_matrix(X)
    padded.data[::7] = 0.0  # explicit zeros: first, inside and last in their rows
    padded.data[padded.indptr[1:] - 1] = 0.0
    csr = padded.copy()
    csr.eliminate_zeros()
    assert padded.nnz > csr.nnz
    params = {"l1_step": 0.01, "average_from": 1}
    a, _ = _run(kernel.online_epoch, csr, T, sw, order, 1, params, False)
    b, _ = _run(kernel.online_epoch, padded, T, sw, order, 1, params, False)
    np.testing.assert_array_equal(a.coef, b.coef)
    np.testing.assert_array_equal(a.weight_sum(), b.weight_sum())
    np.testing.assert_array_equal(a.l1_received, b.l1_received)


@pytest.mark.parametrize("stored", ["dense", "csr"])
def test_a_bias_beyond_float32_is_an_overflow(stored):
    # The kernel adds the biases in float64: two steps of 3e38 (a margin of 1e39
    # makes the second visit step too) leave 6e38, finite there, which a float32
    # model cannot hold. Its weights (steps of 3e38 x 1e-3) stay within float32.
    X = np.full((2, 3), 1e-3, dtype=np.float32)
    X = X if stored == "dense" else sparse.csr_matrix(X)
    T = np.ones((2, 1), dtype=np.int8)
    order, sw = np.arange(2), np.ones(2)
    with np.errstate(over="ignore", invalid="ignore"):
        ours, [result] = _run(
            kernel.online_epoch,
            X,
            T,
            sw,
            order,
            1,
            {"eta": 3e38, "tau": 1e39},
            False,
            1,
        )
    assert np.isfinite(ours.coef).all() and not np.isfinite(ours.intercept).all()
    assert result.finite is False


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("stored", ["dense", "csr"])
@pytest.mark.parametrize("n_classes, multinomial", [(2, False), (3, False), (4, True)])
@pytest.mark.parametrize("eta", [1.0, 1e306, 1e37])
def test_kernel_reports_finite_weights_as_the_reference(
    dtype, stored, n_classes, multinomial, eta
):
    # The kernel learns of an overflow from the weights its steps wrote, the
    # reference by reading them all after the epoch: from finite weights, both
    # must say the same.
    X, T, sw, order = _problem(n_classes, multinomial, dtype, False)
    X = X * 1e3 if stored == "dense" else sparse.csr_matrix(X * 1e3)
    S = n_classes if n_classes > 2 else 1
    params = {"eta": eta}
    with np.errstate(over="ignore", invalid="ignore"):
        _, ours = _run(kernel.online_epoch, X, T, sw, order, S, params, multinomial, 1)
        _, ref = _run(
            reference.online_epoch, X, T, sw, order, S, params, multinomial, 1
        )
    # |x| is up to about 3e3: a step of 1e306 x overflows float64, 1e37 x float32
    overflows = eta == 1e306 or (eta == 1e37 and dtype == np.float32)
    assert ours[0].finite is ref[0].finite is (not overflows)
