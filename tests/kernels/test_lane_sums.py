"""The vector lane sums against the scalar loop they stand for."""

import numpy as np
import pytest
from numba import njit

from skann._kernels.lane_sums import lane_sums

# ``rows`` is a literal in a kernel's code: one compiled caller for each
_CALLERS = {
    1: njit(lambda A, i, X, j: lane_sums(A, i, X, j, 1)),
    2: njit(lambda A, i, X, j: lane_sums(A, i, X, j, 2)),
    3: njit(lambda A, i, X, j: lane_sums(A, i, X, j, 3)),
}


def _sums(A, i, X, j, rows):
    return _CALLERS[rows](A, i, X, j)


def _scalar_loop(A, i, X, j, rows):
    # the module docstring's loop: column c into sum c % 4, in column order
    sums = []
    for r in range(rows):
        lanes = [0.0, 0.0, 0.0, 0.0]
        for c in range(X.shape[1]):
            lanes[c % 4] += float(A[i + r, c]) * float(X[j, c])
        sums += lanes
    return tuple(sums)


@pytest.mark.parametrize("n_columns", [0, 1, 2, 3, 4, 5, 7, 8, 13, 100])
@pytest.mark.parametrize("rows", [1, 2, 3])
@pytest.mark.parametrize(
    "a_dtype, x_dtype",
    [(np.float64, np.float64), (np.float64, np.float32), (np.float32, np.float32)],
)
def test_lane_sums_are_the_scalar_loop_bit_for_bit(n_columns, rows, a_dtype, x_dtype):
    rng = np.random.RandomState(n_columns)
    # magnitudes far apart, so that any other order of the adds rounds differently
    A = (rng.randn(5, n_columns) * 10.0 ** rng.randint(-8, 8, (5, n_columns))).astype(
        a_dtype
    )
    X = rng.randn(3, n_columns).astype(x_dtype)
    X[0, ::3] = -0.0
    for i in range(5 - rows + 1):
        for j in range(3):
            assert _sums(A, i, X, j, rows) == _scalar_loop(A, i, X, j, rows)


def test_lane_sums_keep_nan_and_infinity_in_their_lane():
    A = np.array([[np.inf, 1.0, np.nan, 2.0, -np.inf]])
    X = np.array([[1.0, 1.0, 1.0, 1.0, 1.0]])
    result = _sums(A, 0, X, 0, 1)
    assert np.isnan(result[0])  # inf + -inf, both in lane 0
    assert result[1] == 1.0
    assert np.isnan(result[2])
    assert result[3] == 2.0
