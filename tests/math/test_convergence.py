"""Novikoff's bound: hand-computed values, and the theorem on random separable data."""

import numpy as np

from skann._math.convergence import novikoff_bound


def test_novikoff_bound_hand_computed():
    X = np.array([[3.0, 4.0], [-3.0, -4.0]])
    T = np.array([[1], [-1]])
    radius, margin, bound = novikoff_bound(X, T, np.array([[0.6, 0.8]]), np.zeros(1))
    assert np.isclose(radius, np.sqrt(26.0))
    np.testing.assert_allclose(margin, [5.0])
    np.testing.assert_allclose(bound, [26.0 / 25.0])


def test_novikoff_bound_holds():
    rng = np.random.RandomState(0)
    for trial in range(20):
        w_star, b_star = rng.randn(4), rng.randn()
        X = rng.randn(60, 4)
        n = X @ w_star + b_star
        X, n = X[np.abs(n) > 0.3], n[np.abs(n) > 0.3]  # keep a margin
        t = np.sign(n)
        _, margin, bound = novikoff_bound(
            X, t[:, None], w_star[None], np.array([b_star])
        )
        assert margin[0] > 0
        # The textbook rule, cycling until an epoch makes no mistake.
        W, b, mistakes = np.zeros(4), 0.0, 0
        for _ in range(10_000):
            epoch_mistakes = 0
            for p, ti in zip(X, t, strict=True):
                if ti * (W @ p + b) <= 0:
                    W, b = W + ti * p, b + ti
                    epoch_mistakes += 1
            mistakes += epoch_mistakes
            if epoch_mistakes == 0:
                break
        assert mistakes <= bound[0], trial
