"""LazyWeights against the plain operations on W it stands for."""

import numpy as np
import pytest

from skann._math.lazy_updates import LazyWeights
from skann._math.penalty import cumulative_l1_penalty


@pytest.mark.parametrize("shrink", [1.0, 0.999, 0.7])
def test_lazy_weights_are_the_plain_operations(shrink):
    rng = np.random.RandomState(0)
    S, R = 3, 12
    W = rng.randn(S, R)
    lazy = LazyWeights(W)
    q_plain, q_lazy = np.zeros((S, R)), np.zeros((S, R))
    total, u = np.zeros((S, R)), 0.0
    for _ in range(400):
        columns = np.sort(rng.choice(R, size=4, replace=False))
        values = rng.randn(4)
        b = rng.randn(S)
        np.testing.assert_allclose(
            lazy.net_input(b, columns, values), W[:, columns] @ values + b, rtol=1e-9
        )
        W *= shrink
        lazy.shrink(shrink)
        rows = np.flatnonzero(rng.rand(S) > 0.5)
        delta = rng.randn(len(rows), 1) * values
        W[np.ix_(rows, columns)] += delta
        lazy.add(rows, columns, delta)
        u += 0.01
        block = np.ix_(np.arange(S), columns)
        received = q_plain[block]
        W[block] = cumulative_l1_penalty(W[block], u, received)
        q_plain[block] = received
        lazy.l1_penalty(u, q_lazy, columns)
        total += W
        lazy.count_visit()
    np.testing.assert_allclose(lazy.weights(), W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(q_lazy, q_plain, rtol=1e-9, atol=1e-12)
    # A shrink of 0.7 spans s's nine decades in 58 visits: U + beta V then cancels
    # terms up to 1e9 times the sum (scikit-learn's lazy average loses the same).
    tol = 1e-6 if shrink < 0.9 else 1e-9
    np.testing.assert_allclose(lazy.weight_sum(), total, rtol=tol, atol=tol)
