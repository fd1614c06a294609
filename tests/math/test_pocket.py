"""Gallant's pocket with ratchet, run by run, against a plain per-sample loop."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import make_blobs, make_classification

import skann._math.perceptron_rule as rule
from skann import PerceptronClassifier
from skann._math.perceptron_rule import (
    PocketState,
    RuleSettings,
    RuleState,
    online_epoch,
    pocket_errors,
    pocket_final_check,
)


def gallant_pocket(X, T, epochs, *, sample_weight=None, tau=0.0, kesler=False):
    """Gallant's pocket algorithm with ratchet, one presentation at a time.

    ``T`` holds targets in {-1, +1}, one column per neuron, each neuron with its own
    pocket; with ``kesler=True`` it holds class indices and the whole Kesler machine
    has one pocket. A sample of integer weight ``k`` is presented ``k`` times in a
    row, to the neurons and to the Kesler machine alike.
    Samples are presented in order, ``epochs`` times, as with ``shuffle=False``;
    training stops early after an epoch without an update. When it stops, the
    weights it stops with are checked by each pocket that has not judged them.

    Returns the pocketed weights and biases, the pockets' weighted training
    mistakes and the number of passes made over the training set to count them.
    """
    n, R = X.shape
    K = int(T.max()) + 1 if kesler else T.shape[1]
    sw = np.ones(n, dtype=int) if sample_weight is None else sample_weight
    W, b = np.zeros((K, R)), np.zeros(K)
    units = [list(range(K))] if kesler else [[s] for s in range(K)]
    pocket_W, pocket_b = W.copy(), b.copy()
    errors = [np.inf] * len(units)
    pocket_run = [0] * len(units)
    run = [0] * len(units)
    holds = [False] * len(units)  # the pocket holds the current weights
    tried = [False] * len(units)  # the current weights failed the ratchet
    checks = 0

    def count_errors(u):
        wrong = 0
        for q in range(n):
            scores = W @ X[q] + b
            if kesler:
                wrong += sw[q] * (int(np.argmax(scores)) != T[q])
            else:
                s = units[u][0]
                wrong += sw[q] * ((scores[s] > 0) != (T[q, s] > 0))
        return wrong

    def check(u, length):
        nonlocal checks
        checks += 1
        e = count_errors(u)
        if e < errors[u]:
            pocket_W[units[u]] = W[units[u]]
            pocket_b[units[u]] = b[units[u]]
            errors[u], pocket_run[u], holds[u] = e, length, True
        else:
            tried[u] = True

    def correct(u, amount):
        run[u] += amount
        if holds[u]:
            pocket_run[u] = run[u]
        elif not tried[u] and run[u] > pocket_run[u]:
            check(u, run[u])

    def mistake(u):
        run[u], holds[u], tried[u] = 0, False, False

    for _ in range(epochs):
        updated = False
        for q in range(n):
            if kesler:
                for _copy in range(int(sw[q])):
                    scores = W @ X[q] + b
                    rivals = scores.copy()
                    rivals[T[q]] = -np.inf
                    r = int(np.argmax(rivals))
                    if scores[T[q]] - scores[r] <= tau:
                        W[T[q]] += X[q]
                        W[r] -= X[q]
                        b[T[q]] += 1
                        b[r] -= 1
                        mistake(0)
                        updated = True
                    else:
                        correct(0, 1)
                continue
            for _copy in range(int(sw[q])):
                for s in range(K):
                    if T[q, s] * (W[s] @ X[q] + b[s]) <= tau:
                        W[s] += T[q, s] * X[q]
                        b[s] += T[q, s]
                        mistake(s)
                        updated = True
                    else:
                        correct(s, 1)
        if not updated:
            break
    for u in range(len(units)):
        if not holds[u] and not tried[u]:
            check(u, np.inf)
    return pocket_W, pocket_b, np.array(errors, dtype=float), checks


@pytest.fixture(params=["default", "numpy"])
def epoch_kind(request, monkeypatch):
    """The default epoch (compiled when numba is installed), then the NumPy one."""
    if request.param == "numpy":
        monkeypatch.setattr(rule, "compiled_epoch", None)
    return request.param


# The hand-worked example: 6 samples in 2-D that no line separates ((1, -2) is a
# positive between the negatives (0, -2) and (2, -2)).
HAND_X = np.array([[0, -1], [2, -2], [-1, 1], [0, -2], [-2, -2], [1, -2]], float)
HAND_T = np.array([-1, -1, 1, -1, -1, 1])


def test_pocket_errors_hand_computed():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [-1.0, 0.0], [2.0, 1.0]])
    sw = np.array([1.0, 2.0, 0.5, 3.0])
    T = np.array([[1, 1], [1, -1], [-1, -1], [-1, 1]])
    coef, intercept = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.0, -1.0])
    # Neuron 0, n = p_1: 0 (a tie predicts negative: wrong), 1, -1, 2 (wrong):
    # 1 + 3. Neuron 1, n = p_2 - 1: 0 (wrong), -1, -1, 0 (wrong): 1 + 3.
    errors = pocket_errors(X, np.arange(4), T, sw, coef, intercept)
    np.testing.assert_array_equal(errors, [4.0, 4.0])
    # Only the rows given count.
    errors = pocket_errors(X, np.array([1, 2]), T, sw, coef, intercept)
    np.testing.assert_array_equal(errors, [0.0, 0.0])
    # Kesler machine: arg max of (p_1, p_2 - 1) against the class.
    y = np.array([0, 0, 1, 1])
    # arg max: (0, 0) -> 0 ok; (1, -1) -> 0 ok; (-1, -1) -> 0 wrong; (2, 0) -> 0 wrong
    errors = pocket_errors(X, np.arange(4), y, sw, coef, intercept)
    np.testing.assert_array_equal(errors, [3.5])


def test_pocket_picks_a_run_from_mid_epoch(epoch_kind):
    """Two epochs by hand, with w = (w_1, w_2), bias b and ``shuffle=False``.

    Epoch 1: q1 n = 0, a mistake: w = (0, 1), b = -1. q2 n = -3, correct: a run of
    1 beats the empty pocket's 0; counted, (0, 1), -1 errs on q3 (tie) and q6, 2
    mistakes, so it is pocketed. q3 n = 0, a mistake: w = (-1, 2), b = 0. q4
    correct (run 1, not longer than the pocket's 1); q5 correct, run 2 > 1:
    counted, it errs on q6 only, 1 < 2 mistakes: pocketed with run 2. q6 n = -5, a
    mistake: w = (0, 0), b = 1, the weights at the end of epoch 1 (4 mistakes).

    Epoch 2: q1 n = 1, a mistake: w = (0, 1), b = 0. q2, q3, q4 correct: run 3 > 2,
    counted: it errs on q6 only, 1 mistake, not strictly fewer than the pocket's 1,
    so the ratchet keeps the pocket. q5 correct, run 4: the same weights are not
    counted again. q6 a mistake: w = (1, -1), b = 1 at the end of epoch 2
    (5 mistakes). Training stops there, so (1, -1), 1 is counted: 5 mistakes, the
    pocket stays. Four counts in all; the pocket holds (-1, 2), 0, weights that
    existed only between q3 and q6 of epoch 1.
    """
    T = HAND_T[:, None]
    state = RuleState(np.zeros((1, 2)), np.zeros(1))
    pocket = PocketState.empty(
        HAND_X, np.arange(6), T, np.ones(6), state.coef, state.intercept
    )
    ends = []
    for _ in range(2):
        online_epoch(HAND_X, T, np.arange(6), state, RuleSettings(), None, pocket)
        ends.append(np.append(state.coef[0], state.intercept))
    np.testing.assert_array_equal(ends, [[0, 0, 1], [1, -1, 1]])
    assert pocket.n_checks == 3
    pocket_final_check(pocket, state.coef, state.intercept)
    np.testing.assert_array_equal(pocket.coef, [[-1, 2]])
    np.testing.assert_array_equal(pocket.intercept, [0])
    np.testing.assert_array_equal(pocket.errors, [1])
    np.testing.assert_array_equal(pocket.best_run, [2])
    assert pocket.n_checks == 4

    W, b, errors, checks = gallant_pocket(HAND_X, T, 2)
    np.testing.assert_array_equal(pocket.coef, W)
    np.testing.assert_array_equal(pocket.intercept, b)
    np.testing.assert_array_equal(pocket.errors, errors)
    assert pocket.n_checks == checks

    y = (HAND_T > 0).astype(int)
    clf = PerceptronClassifier(shuffle=False, tol=None, max_iter=2, pocket=True)
    clf.fit(HAND_X, y)
    np.testing.assert_array_equal(clf.coef_, [[-1, 2]])
    np.testing.assert_array_equal(clf.intercept_, [0])
    assert clf.score(HAND_X, y) == 5 / 6
    # A pocket offered only the epochs' last weights never sees (-1, 2), 0: it
    # would choose between 4 and 5 mistakes.
    wrong = [((HAND_X @ end[:2] + end[2] > 0) != (HAND_T > 0)).sum() for end in ends]
    assert wrong == [4, 5]


CONFIGS = [
    # n_classes, kesler, margin, weighted
    (2, False, 0.0, False),
    (2, False, 0.5, True),
    (3, False, 0.0, True),
    (3, False, 0.3, False),
    (3, True, 0.0, False),
    (4, True, 0.2, True),
]


@pytest.mark.parametrize("n_classes, kesler, margin, weighted", CONFIGS)
def test_pocket_matches_gallant_loop(n_classes, kesler, margin, weighted, epoch_kind):
    X, y = make_classification(
        130,
        5,
        n_informative=3,
        n_classes=n_classes,
        n_clusters_per_class=1,
        flip_y=0.2,
        random_state=n_classes,
    )
    sw = np.random.RandomState(0).randint(1, 4, len(y)) if weighted else None
    if kesler:
        T = y
    elif n_classes == 2:
        T = np.where(y == 1, 1, -1)[:, None].astype(np.int8)
    else:
        T = np.where(y[:, None] == np.arange(n_classes), 1, -1).astype(np.int8)
    W, b, errors, checks = gallant_pocket(
        X, T, 4, sample_weight=sw, tau=margin, kesler=kesler
    )

    S = n_classes if kesler or n_classes > 2 else 1
    state = RuleState(np.zeros((S, X.shape[1])), np.zeros(S))
    weights = np.ones(len(y)) if sw is None else sw.astype(float)
    pocket = PocketState.empty(
        X, np.arange(len(y)), T, weights, state.coef, state.intercept
    )
    settings = RuleSettings(tau=margin, multinomial=kesler)
    for _ in range(4):
        online_epoch(X, T, np.arange(len(y)), state, settings, weights, pocket)
    pocket_final_check(pocket, state.coef, state.intercept)
    np.testing.assert_allclose(pocket.coef, W, atol=1e-10)
    np.testing.assert_allclose(pocket.intercept, b, atol=1e-10)
    np.testing.assert_array_equal(pocket.errors, errors)
    assert pocket.n_checks == checks

    clf = PerceptronClassifier(
        shuffle=False,
        tol=None,
        max_iter=4,
        pocket=True,
        margin=margin,
        multi_class="multinomial" if kesler else "ovr",
    ).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(clf.coef_, W, atol=1e-10)
    np.testing.assert_allclose(clf.intercept_, b, atol=1e-10)


@pytest.mark.parametrize("kesler", [False, True])
def test_pocket_ratchet_never_increases_errors(kesler, epoch_kind):
    X, y = make_classification(
        400, 6, n_classes=3, n_clusters_per_class=1, flip_y=0.3, random_state=0
    )
    T = y if kesler else np.where(y[:, None] == np.arange(3), 1, -1).astype(np.int8)
    state = RuleState(np.zeros((3, 6)), np.zeros(3))
    sw = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    rows = np.arange(len(y))
    pocket = PocketState.empty(X, rows, T, sw, state.coef, state.intercept)
    rng = np.random.RandomState(0)
    history = []
    for _ in range(8):
        order = rng.permutation(len(y))
        online_epoch(X, T, order, state, RuleSettings(multinomial=kesler), sw, pocket)
        history.append(pocket.errors.copy())
        # The recorded count is the pocket's true count (added in the pocket's
        # order of rows, lightest weight first).
        assert np.array_equal(np.sort(pocket.rows), rows)
        np.testing.assert_array_equal(
            pocket.errors,
            pocket_errors(X, pocket.rows, T, sw, pocket.coef, pocket.intercept),
        )
    history = np.array(history)
    assert np.all(np.isfinite(history))
    assert np.all(np.diff(history, axis=0) <= 0)
    # The checks are few: far fewer than the 3 * 8 * 400 neuron-sample visits.
    assert pocket.n_checks < 200


def test_final_check_ignores_the_pockets_run():
    X, T = HAND_X, HAND_T[:, None]
    pocket = PocketState.empty(X, np.arange(6), T, np.ones(6), np.zeros((1, 2)), [0.0])
    pocket.coef[:], pocket.intercept[:] = [[0, 1]], [-1]  # 2 mistakes
    pocket.errors[:], pocket.best_run[:] = 2.0, 1e9
    pocket_final_check(pocket, np.array([[-1.0, 2.0]]), np.array([0.0]))
    np.testing.assert_array_equal(pocket.coef, [[-1, 2]])
    assert pocket.errors[0] == 1.0 and pocket.best_run[0] == np.inf
    assert pocket.status[0] == rule.POCKETED
    # Weights already judged are not counted again.
    pocket_final_check(pocket, np.array([[5.0, 5.0]]), np.array([0.0]))
    assert pocket.n_checks == 1


def test_pocket_sparse_equals_dense():
    X, y = make_classification(
        200, 8, n_classes=3, n_clusters_per_class=1, flip_y=0.2, random_state=2
    )
    X[np.abs(X) < 0.5] = 0.0
    params = dict(shuffle=False, tol=None, max_iter=4, pocket=True)
    dense = PerceptronClassifier(**params).fit(X, y)
    sparse_fit = PerceptronClassifier(**params).fit(sparse.csr_matrix(X), y)
    np.testing.assert_allclose(sparse_fit.coef_, dense.coef_, atol=1e-10)
    np.testing.assert_allclose(sparse_fit.intercept_, dense.intercept_, atol=1e-10)


def test_pocket_takes_converged_weights(epoch_kind):
    # On separable data training stops at the first epoch without a mistake; those
    # weights would run for ever, so they are counted and, making none, pocketed.
    X, y = make_blobs(150, 3, centers=[[-2] * 3, [2] * 3], random_state=0)
    clf = PerceptronClassifier(pocket=True, random_state=0, max_iter=200).fit(X, y)
    assert clf.converged_
    assert clf.score(X, y) == 1.0
    plain = PerceptronClassifier(random_state=0, max_iter=200).fit(X, y)
    np.testing.assert_allclose(clf.coef_, plain.coef_, atol=1e-10)


def test_empty_pocket_takes_the_last_weights(epoch_kind):
    # Every presentation is a mistake: q1 ties at n = 0; then w = 1, b = 1 and q2
    # has n = 0 again. No run ever starts: the last weights fill the pocket.
    X, y = np.array([[1.0], [-1.0]]), np.array([1, 0])
    clf = PerceptronClassifier(pocket=True, shuffle=False)
    clf.partial_fit(X, y, classes=[0, 1])
    np.testing.assert_array_equal(clf.coef_, [[2.0]])
    np.testing.assert_array_equal(clf.intercept_, [0.0])
    assert clf.mistakes_per_epoch_.tolist() == [2]


@pytest.mark.parametrize(
    "settings",
    [
        RuleSettings(shrink=0.99),
        RuleSettings(l1_step=0.01),
        RuleSettings(average_start=0),
    ],
)
def test_run_pocket_needs_the_plain_rule(settings):
    X, T = HAND_X, HAND_T[:, None]
    state = RuleState(np.zeros((1, 2)), np.zeros(1))
    pocket = PocketState.empty(X, np.arange(6), T, np.ones(6), state.coef, [0.0])
    with pytest.raises(ValueError, match="plain rule"):
        online_epoch(X, T, np.arange(6), state, settings, None, pocket)
