"""The compiled relu layer steps against NumPy's, their reference, bit for bit.

Runs when the ``numba`` extra is installed (the ``test`` extra installs it, so CI
runs it).
"""

import numpy as np
import pytest

from skann._math import compiled_layers
from skann._math.activations import relu, relu_derivative, softmax

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
@pytest.mark.parametrize("shape", [(64, 33), (1, 2), (3, 2), (256, 10), (300, 257)])
def test_relu_backward_equals_numpy_bit_for_bit(dtype, shape):
    # delta * (A > 0) and its column sums, NumPy's delta.sum(axis=0)
    rng = np.random.default_rng(1)
    A = np.maximum(rng.standard_normal(shape), 0).astype(dtype)
    scales = rng.choice([1e-4, 1.0, 1e4], size=shape)
    delta = (rng.standard_normal(shape) * scales).astype(dtype)
    delta[0, :2] = [np.nan, -1.0]
    A[0, :2] = [0.0, 0.0]
    A[:, 1] = 0.0  # a column of -0.0 and +0.0 sums to +0.0, as in NumPy
    expected = relu_derivative(A, delta.copy())
    expected_sums = expected.sum(axis=0)
    sums = np.full(shape[1], 7.0, dtype)  # overwritten, not added to
    got = compiled_layers.relu_backward(A, delta.copy(), sums)
    np.testing.assert_array_equal(_bits(got), _bits(expected))
    np.testing.assert_array_equal(_bits(sums), _bits(expected_sums))
    assert np.isnan(sums[0]) and np.signbit(sums[1]) == np.signbit(expected_sums[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("K", [1, 2, 3, 7, 8, 9, 10, 16, 17, 100, 127, 128])
def test_bias_softmax_equals_numpy_bit_for_bit(dtype, K):
    # Row sums of every length class of NumPy's pairwise summation: a plain loop
    # (< 8), eight running sums with and without a remainder, up to the limit.
    rng = np.random.default_rng(K)
    Z = (5 * rng.standard_normal((64, K))).astype(dtype)
    b = rng.standard_normal(K).astype(dtype)
    Z[1, 0] = np.nan  # a NaN row stays NaN
    Z[2, -1] = np.inf  # so does a row with +inf (inf - inf)
    Z[3, 0] = -np.inf  # a -inf entry gets probability 0
    Z[4] = 1e4  # equal entries, large: the maximum is subtracted first
    expected = Z.copy()
    expected += b
    with np.errstate(invalid="ignore"):  # inf - inf in the NaN rows
        softmax(expected)
    got = compiled_layers.bias_softmax(Z.copy(), b)
    np.testing.assert_array_equal(_bits(got), _bits(expected))
    assert np.isnan(got[1]).all() and np.isnan(got[2]).all()
    assert np.isfinite(got[4]).all()
    if K > 1:
        assert got[3, 0] == 0.0


def test_bias_softmax_leaves_long_rows_to_numpy():
    from skann._math.activations import identity
    from skann._math.backprop import forward_pass

    K = compiled_layers.PAIRWISE_LIMIT + 1
    Z = np.zeros((2, K))
    with pytest.raises(ValueError, match="at most 128 classes"):
        compiled_layers.bias_softmax(Z, np.zeros(K))
    # forward_pass takes NumPy's softmax for such an output layer
    rng = np.random.default_rng(0)
    X, W, b = rng.standard_normal((5, 3)), rng.standard_normal((3, K)), np.zeros(K)
    P = forward_pass(X, [W], [b], identity, softmax)[-1]
    np.testing.assert_allclose(P.sum(axis=1), 1.0)


def test_bias_softmax_rounds_the_net_input_to_its_dtype_first():
    # float32 net input, float64 bias: NumPy's Z += b rounds each sum to float32
    # before the row maximum is taken; so must the kernel
    rng = np.random.default_rng(5)
    Z = (5 * rng.standard_normal((200, 10))).astype(np.float32)
    b = rng.standard_normal(10)
    expected = Z.copy()
    expected += b
    softmax(expected)
    got = compiled_layers.bias_softmax(Z.copy(), b)
    np.testing.assert_array_equal(_bits(got), _bits(expected))


def test_forward_pass_takes_the_compiled_layers(monkeypatch):
    from skann._math.backprop import forward_pass

    calls = []

    def spy(name):
        kernel = getattr(compiled_layers, name)

        def called(*args):
            calls.append(name)
            return kernel(*args)

        monkeypatch.setattr(compiled_layers, name, called)

    spy("bias_relu")
    spy("bias_softmax")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 5))
    W = [rng.standard_normal((5, 4)), rng.standard_normal((4, 3))]
    b = [np.zeros(4), np.zeros(3)]
    forward_pass(X, W, b, relu, softmax)
    assert calls == ["bias_relu", "bias_softmax"]


def _numpy_output_error(P, labels, sw, total):
    """What backward_pass and log_loss compute from the one-hot rows of labels."""
    from skann._math.losses import output_error

    Y = np.eye(P.shape[1], dtype=P.dtype)[labels]
    eps = np.finfo(P.dtype).eps
    delta = output_error(P.copy(), Y, sw)
    delta /= total
    p_true = np.einsum("ij,ij->i", Y, P)
    np.minimum(np.maximum(p_true, eps), 1 - eps, out=p_true)
    return delta, delta.sum(axis=0), p_true


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_softmax_output_error_equals_numpy_bit_for_bit(dtype, weighted):
    rng = np.random.default_rng(2)
    n, K = 300, 10
    P = softmax(5 * rng.standard_normal((n, K))).astype(dtype)
    labels = rng.integers(0, K - 1, n)  # no row of the last class
    P[1] = 0.0
    P[1, labels[1]] = 1.0  # certain and right: clipped to 1 - eps
    P[2] = 1.0 / (K - 2)
    P[2, labels[2]] = 0.0  # certain and wrong: clipped to eps
    # a column of -0.0 sums to +0.0, as in NumPy (not a softmax output, but it
    # pins where the sums start)
    P[:, -1] = -0.0
    sw = rng.uniform(0, 3, n).astype(dtype) if weighted else None
    total = n if sw is None else sw.sum()
    expected, expected_sums, expected_p = _numpy_output_error(P, labels, sw, total)

    sums = np.empty(K, dtype)
    got = P.copy()
    p_true = compiled_layers.softmax_output_error(got, labels, sw, total, sums)
    np.testing.assert_array_equal(_bits(got), _bits(expected))
    np.testing.assert_array_equal(_bits(sums), _bits(expected_sums))
    np.testing.assert_array_equal(_bits(p_true), _bits(expected_p))
    assert np.isfinite(sums).all() and not np.signbit(sums[-1])
    eps = np.finfo(dtype).eps
    assert p_true[1] == dtype(1 - eps) and p_true[2] == eps


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_output_error_keeps_a_nan_row_nan(dtype):
    # A softmax row is all NaN or has no NaN; a NaN row's error, loss and the
    # column sums it enters stay NaN, as in NumPy.
    P = softmax(np.random.default_rng(3).standard_normal((5, 4))).astype(dtype)
    P[2] = np.nan
    labels = np.array([0, 1, 2, 3, 0])
    expected, expected_sums, expected_p = _numpy_output_error(P, labels, None, 5)
    sums = np.empty(4, dtype)
    p_true = compiled_layers.softmax_output_error(P, labels, None, 5, sums)
    np.testing.assert_array_equal(_bits(P), _bits(expected))
    np.testing.assert_array_equal(_bits(p_true), _bits(expected_p))
    assert (
        np.isnan(p_true[2]) and np.isnan(sums).all() and np.isnan(expected_sums).all()
    )


def test_softmax_output_error_takes_weights_of_its_dtype():
    P = np.full((2, 2), 0.5, np.float32)
    with pytest.raises(TypeError, match="sample_weight"):
        compiled_layers.softmax_output_error(
            P, np.array([0, 1]), np.ones(2), 2.0, np.empty(2, np.float32)
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_width_one_relu_layer_sums_its_bias_gradient_as_numpy(dtype, monkeypatch):
    # With one column NumPy sums pairwise, not row after row: backward_pass leaves
    # that layer to NumPy, so the gradients are the same with and without numba.
    from skann._math.activations import relu_derivative
    from skann._math.backprop import backward_pass, forward_pass

    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 3)).astype(dtype)
    W = [np.ones((3, 1), dtype), rng.standard_normal((1, 3)).astype(dtype)]
    b = [np.full(1, 10.0, dtype), np.zeros(3, dtype)]  # the unit is always active
    Y = np.eye(3, dtype=dtype)[rng.integers(0, 3, 200)]

    def gradients():
        A = forward_pass(X, W, b, relu, softmax)
        G = [np.empty_like(w) for w in W]
        g = [np.empty_like(v) for v in b]
        backward_pass(A, Y, W, relu_derivative, 0.0, G, g)
        return G + g

    compiled = gradients()
    monkeypatch.setattr(compiled_layers, "AVAILABLE", False)
    reference = gradients()
    for ours, theirs in zip(compiled, reference, strict=True):
        np.testing.assert_array_equal(_bits(ours), _bits(theirs))
