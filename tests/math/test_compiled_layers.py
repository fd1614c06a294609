"""The compiled relu layer steps against NumPy's, their reference, bit for bit.

Runs when the ``numba`` extra is installed (the ``test`` extra installs it, so CI
runs it).
"""

import numpy as np
import pytest

from skann._math import compiled_layers
from skann._math.activations import relu, relu_derivative

pytestmark = pytest.mark.skipif(
    not compiled_layers.AVAILABLE,
    reason="numba (the skann[numba] extra) not installed",
)


def _bits(a):
    return a.view(np.uint8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_relu_equals_numpy_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((64, 33)).astype(dtype)
    b = rng.standard_normal(33).astype(dtype)
    # NaN, signed zeros and infinities go through np.maximum unchanged
    Z[0, :6] = [np.nan, -0.0, 0.0, np.inf, -np.inf, -0.0]
    b[:6] = [0.0, 0.0, -0.0, 1.0, 1.0, -0.0]  # -0.0 + -0.0 is -0.0: relu gives +0.0
    Z[1, 0] = -b[0]
    expected = Z.copy()
    expected += b
    relu(expected)
    got = compiled_layers.bias_relu(Z.copy(), b)
    np.testing.assert_array_equal(_bits(got), _bits(expected))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_equals_numpy_bit_for_bit(dtype):
    rng = np.random.default_rng(1)
    A = np.maximum(rng.standard_normal((64, 33)), 0).astype(dtype)
    delta = rng.standard_normal((64, 33)).astype(dtype)
    delta[0, :3] = [np.nan, -1.0, 2.0]
    A[0, :3] = [0.0, 0.0, 1.0]
    expected = relu_derivative(A, delta.copy())
    got = compiled_layers.relu_backward(A, delta.copy())
    np.testing.assert_array_equal(_bits(got), _bits(expected))
