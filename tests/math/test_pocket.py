"""Gallant's pocket with ratchet: the mistake counts and the ratchet by hand."""

import numpy as np

from skann._math.pocket import Pocket, pocket_errors, pocket_offer


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


def test_ratchet_takes_only_strictly_fewer_mistakes():
    pocket = Pocket.empty(np.zeros((2, 1)), np.zeros(2), multinomial=False)
    assert np.isinf(pocket.errors).all()
    pocket_offer(pocket, np.full((2, 1), 1.0), np.zeros(2), np.array([3.0, 1.0]))
    # neuron 0 improves, neuron 1 only ties: the tie keeps the older weights
    pocket_offer(pocket, np.full((2, 1), 2.0), np.ones(2), np.array([2.0, 1.0]))
    np.testing.assert_array_equal(pocket.coef.ravel(), [2.0, 1.0])
    np.testing.assert_array_equal(pocket.intercept, [1.0, 0.0])
    pocket_offer(pocket, np.full((2, 1), 3.0), np.ones(2), np.array([5.0, 4.0]))
    np.testing.assert_array_equal(pocket.errors, [2.0, 1.0])


def test_kesler_pocket_moves_all_rows_together():
    pocket = Pocket.empty(np.zeros((3, 2)), np.zeros(3), multinomial=True)
    pocket_offer(pocket, np.ones((3, 2)), np.ones(3), np.array([4.0]))
    pocket_offer(pocket, 2 * np.ones((3, 2)), np.ones(3), np.array([4.0]))
    np.testing.assert_array_equal(pocket.coef, np.ones((3, 2)))
    pocket_offer(pocket, 2 * np.ones((3, 2)), np.ones(3), np.array([1.0]))
    np.testing.assert_array_equal(pocket.coef, 2 * np.ones((3, 2)))
