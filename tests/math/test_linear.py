"""Net input and hard limits, against the per-sample textbook form."""

import numpy as np
from scipy import sparse

from skann._math.linear import hard_limit, net_input, symmetric_hard_limit


def test_net_input_matches_per_sample_form():
    rng = np.random.RandomState(0)
    X, W, b = rng.randn(5, 3), rng.randn(2, 3), rng.randn(2)
    N = net_input(X, W, b)
    for i, p in enumerate(X):
        np.testing.assert_allclose(N[i], W @ p + b)
    np.testing.assert_allclose(net_input(sparse.csr_matrix(X), W, b), N)


def test_hard_limits():
    n = np.array([-2.0, -0.0, 0.0, 1e-12, 3.0])
    np.testing.assert_array_equal(hard_limit(n), [0, 1, 1, 1, 1])
    np.testing.assert_array_equal(symmetric_hard_limit(n), [-1, 1, 1, 1, 1])
