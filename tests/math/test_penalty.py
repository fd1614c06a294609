"""Penalties, against values computed by hand."""

import numpy as np

from skann._math.penalty import cumulative_l1_penalty, l2_shrink_factor


def test_l2_shrink_factor_hand_computed():
    assert l2_shrink_factor(0.5, 0.1, 0.0) == 1 - 0.05
    assert l2_shrink_factor(0.5, 0.1, 0.15) == 1 - 0.5 * 0.1 * 0.85
    assert l2_shrink_factor(10.0, 1.0, 0.0) == 0.0


def test_cumulative_l1_penalty_hand_computed():
    W = np.array([1.0, -1.0, 0.05, 0.0])
    q = np.zeros(4)
    cumulative_l1_penalty(W, 0.1, q)  # each weight owed 0.1
    np.testing.assert_allclose(W, [0.9, -0.9, 0.0, 0.0])
    np.testing.assert_allclose(q, [-0.1, 0.1, -0.05, 0.0])
    cumulative_l1_penalty(W, 0.3, q)  # 0.2 more owed; received so far counts
    np.testing.assert_allclose(W, [0.7, -0.7, 0.0, 0.0])
    # Applying the total at once equals applying it in two steps (no updates between).
    W2, q2 = np.array([1.0, -1.0, 0.05, 0.0]), np.zeros(4)
    cumulative_l1_penalty(W2, 0.3, q2)
    np.testing.assert_allclose(W2, W)
