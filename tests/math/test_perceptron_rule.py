"""The perceptron rule: textbook hand computations, and the loop against them."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import SGDClassifier

from skann._math.linear import hard_limit
from skann._math.penalty import l2_shrink_factor
from skann._math.perceptron_rule import (
    RuleSettings,
    RuleState,
    kesler_update,
    online_epoch,
    perceptron_error,
    perceptron_update,
    rival_class,
    row_entries,
)


def test_textbook_update_hand_computed():
    # Hagan, Neural Network Design, ch. 4: W = [1, -0.8], p1 = [1, 2], t1 = 1, a = 0.
    W, b = np.array([[1.0, -0.8]]), np.zeros(1)
    p, t = np.array([1.0, 2.0]), 1
    a = hard_limit(W @ p + b)  # hardlim(-0.6) = 0
    e = perceptron_error([t], a)
    W, b = perceptron_update(W, b, p, e)
    np.testing.assert_allclose(W, [[2.0, 1.2]])
    np.testing.assert_allclose(b, [1.0])
    # The t n <= 0 form with t in {-1, +1} takes the same direction, half the size.
    assert np.array_equal(np.sign(e), [1])


def _run(X, T, epochs, sample_weight=None, **settings):
    S = int(T.max()) + 1 if T.ndim == 1 else T.shape[1]
    state = RuleState(np.zeros((S, X.shape[1])), np.zeros(S))
    state.l1_received = np.zeros_like(state.coef)
    sw = np.ones(len(X)) if sample_weight is None else sample_weight
    for _ in range(epochs):
        online_epoch(X, T, np.arange(len(X)), sw, state, RuleSettings(**settings))
    return state


def _per_sample_loop(X, T, epochs, eta=1.0, sample_weight=None):
    """Hagan's loop, written out: W += eta w (t - a) p / 2, a = hardlims(n).

    With targets in {-1, +1}, ``(t - a) / 2`` is ``t`` on a mistake and 0 otherwise;
    a tie ``n = 0`` counts as a mistake for either target.
    """
    W, b = np.zeros((T.shape[1], X.shape[1])), np.zeros(T.shape[1])
    sw = np.ones(len(X)) if sample_weight is None else sample_weight
    for _ in range(epochs):
        for p, t, w in zip(X, T, sw, strict=True):
            n = W @ p + b
            a = np.where(t * n > 0, t, -t)
            e = (t - a) / 2
            W, b = perceptron_update(W, b, p, eta * w * e)
    return W, b


@pytest.mark.parametrize("n_samples", [1, 7, 300])
@pytest.mark.parametrize("weighted", [False, True])
def test_online_epoch_is_the_per_sample_loop(n_samples, weighted):
    rng = np.random.RandomState(n_samples)
    X = rng.randn(n_samples, 6)
    T = np.where(rng.rand(n_samples, 3) > 0.5, 1, -1).astype(np.int8)
    sw = rng.uniform(0.5, 2, n_samples) if weighted else None
    state = _run(X, T, 3, sample_weight=sw, eta=0.5)
    W, b = _per_sample_loop(X, T, 3, eta=0.5, sample_weight=sw)
    np.testing.assert_allclose(state.coef, W, atol=1e-10)
    np.testing.assert_allclose(state.intercept, b, atol=1e-10)


@pytest.mark.parametrize(
    "penalty, l1_ratio", [("l2", 0.0), ("l1", 1.0), ("elasticnet", 0.4)]
)
def test_penalised_steps_are_scikit_learns_sgd_steps(penalty, l1_ratio):
    # SGDClassifier(loss="perceptron") visits a dense row's every feature; on data
    # without zeros that is the row's non-zero entries, which the loop penalises.
    rng = np.random.RandomState(0)
    X = rng.randn(80, 5)
    y = (X @ rng.randn(5) + rng.randn(80) > 0).astype(int)
    T = np.where(y == 1, 1, -1)[:, None]
    alpha, eta = 0.02, 0.5
    state = _run(
        X,
        T,
        3,
        eta=eta,
        shrink=l2_shrink_factor(eta, alpha, l1_ratio),
        l1_step=eta * alpha * l1_ratio,
    )
    sgd = SGDClassifier(
        loss="perceptron",
        learning_rate="constant",
        eta0=eta,
        penalty=penalty,
        alpha=alpha,
        l1_ratio=l1_ratio,
        shuffle=False,
        tol=None,
        max_iter=3,
    ).fit(X, y)
    np.testing.assert_allclose(state.coef, sgd.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(state.intercept, sgd.intercept_, rtol=1e-10)


def test_row_entries_are_the_same_for_dense_and_sparse_rows():
    X = np.array([[0.0, 1.5, -0.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
    for i in range(2):
        for a, b in zip(
            row_entries(X, i), row_entries(sparse.csr_matrix(X), i), strict=True
        ):
            np.testing.assert_array_equal(a, b)
    assert rival_class(np.array([1.0, 5.0, 5.0]), 0) == 1


def test_kesler_update_hand_computed():
    W, b = kesler_update(np.zeros((3, 2)), np.zeros(3), np.array([1.0, 2.0]), 2, 0, 0.5)
    np.testing.assert_allclose(W, [[-0.5, -1.0], [0.0, 0.0], [0.5, 1.0]])
    np.testing.assert_allclose(b, [-0.5, 0.0, 0.5])


def test_kesler_loop_is_the_update_on_each_mistake():
    rng = np.random.RandomState(0)
    X, y = rng.randn(100, 4), rng.randint(0, 3, 100)
    state = _run(X, y, 2, multinomial=True)
    W, b = np.zeros((3, 4)), np.zeros(3)
    for _ in range(2):
        for p, c in zip(X, y, strict=True):
            n = W @ p + b
            r = int(np.argmax(np.where(np.arange(3) == c, -np.inf, n)))
            if n[c] - n[r] <= 0:
                W, b = kesler_update(W, b, p, c, r)
    np.testing.assert_allclose(state.coef, W, atol=1e-10)
    np.testing.assert_allclose(state.intercept, b, atol=1e-10)


def test_averaged_loop_is_the_mean_of_the_weights_after_each_visit():
    rng = np.random.RandomState(3)
    X = rng.randn(50, 3)
    T = np.where(rng.rand(50, 1) > 0.5, 1, -1)
    S = RuleState(np.zeros((1, 3)), np.zeros(1), np.zeros((1, 3)), np.zeros(1))
    for _ in range(2):
        online_epoch(X, T, np.arange(50), np.ones(50), S, RuleSettings(average_from=7))
    W, b, seen = np.zeros((1, 3)), np.zeros(1), []
    for _ in range(2):
        for p, t in zip(X, T, strict=True):
            if t * (W @ p + b) <= 0:
                W, b = perceptron_update(W, b, p, t)
            seen.append(W[0].copy())
    np.testing.assert_allclose(S.coef_sum / S.n_averaged, [np.mean(seen[6:], axis=0)])
    assert S.n_averaged == 100 - 6
