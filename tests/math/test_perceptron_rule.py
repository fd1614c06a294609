"""The perceptron rule: textbook hand computations and the vectorised epochs."""

import numpy as np
import pytest
from conftest import reference_kesler, reference_perceptron

from skann._math.linear import hard_limit
from skann._math.perceptron_rule import (
    RuleSettings,
    RuleState,
    kesler_update,
    online_epoch,
    perceptron_error,
    perceptron_update,
    repetition_loss,
    steps_to_correct,
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


def _run(X, T, epochs, **settings):
    state = RuleState(np.zeros((T.shape[1], X.shape[1])), np.zeros(T.shape[1]))
    for _ in range(epochs):
        online_epoch(X, T, np.arange(len(X)), state, RuleSettings(**settings))
    return state


@pytest.mark.parametrize("n_samples", [1, 63, 64, 65, 300])
def test_online_epoch_matches_reference_loop(n_samples):
    rng = np.random.RandomState(n_samples)
    X = rng.randn(n_samples, 6)
    T = np.where(rng.rand(n_samples, 3) > 0.5, 1, -1).astype(np.int8)
    state = _run(X, T, 3)
    W, b = reference_perceptron(X, T, 3)
    np.testing.assert_allclose(state.coef, W, atol=1e-10)
    np.testing.assert_allclose(state.intercept, b, atol=1e-10)


def test_kesler_update_hand_computed():
    W, b = kesler_update(np.zeros((3, 2)), np.zeros(3), np.array([1.0, 2.0]), 2, 0, 0.5)
    np.testing.assert_allclose(W, [[-0.5, -1.0], [0.0, 0.0], [0.5, 1.0]])
    np.testing.assert_allclose(b, [-0.5, 0.0, 0.5])
    rng = np.random.RandomState(0)
    X, y = rng.randn(100, 4), rng.randint(0, 3, 100)
    state = RuleState(np.zeros((3, 4)), np.zeros(3))
    for _ in range(2):
        online_epoch(X, y, np.arange(100), state, RuleSettings(multinomial=True))
    W_ref, b_ref = reference_kesler(X, y, 3, 2)
    np.testing.assert_allclose(state.coef, W_ref, atol=1e-10)
    np.testing.assert_allclose(state.intercept, b_ref, atol=1e-10)


def test_steps_to_correct_equals_repetitions():
    rng = np.random.RandomState(1)
    for _ in range(50):
        p, w, b = rng.randn(3), rng.randn(3), rng.randn()
        t, copies, tau, eta = rng.choice([-1, 1]), rng.randint(1, 6), 0.5, 0.3
        if t * (w @ p + b) > tau:
            continue
        updates = 0
        for _copy in range(copies):
            if t * (w @ p + b) <= tau:
                w, b, updates = w + eta * t * p, b + eta * t, updates + 1
        margin0 = t * ((w - eta * t * p * updates) @ p + b - eta * t * updates)
        steps = steps_to_correct(np.array([margin0]), tau, eta, p @ p + 1, copies)
        assert steps[0] == updates


def test_repetition_loss_equals_the_losses_of_the_copies():
    # Copy i meets the margin m + i g left by the copies before it.
    rng = np.random.default_rng(0)
    for _ in range(500):
        m, g = 5 * rng.normal(), abs(rng.normal()) * (rng.random() > 0.1)
        steps = rng.integers(0, 6) + (rng.random() < 0.5) * rng.random()
        q, f = int(steps), steps - int(steps)
        copies = sum(max(0.0, -(m + i * g)) for i in range(q))
        copies += f * max(0.0, -(m + q * g))
        got = repetition_loss(np.array([m]), g, np.array([steps]))[0]
        assert got == pytest.approx(copies, rel=1e-9, abs=1e-12)
