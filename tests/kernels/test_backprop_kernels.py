"""Every kernel of skann._kernels.backprop against its NumPy reference in
skann._math.backprop, bit for bit, in float32 and float64."""

import numpy as np
import pytest

pytest.importorskip("numba")

import skann  # noqa: E402
from skann._backend import implementation  # noqa: E402
from skann._kernels import backprop as kernels  # noqa: E402
from skann._math import backprop as reference  # noqa: E402
from skann._math.activations import (  # noqa: E402
    ACTIVATIONS,
    logistic,
    relu,
    relu_derivative,
    softmax,
)

DTYPES = [np.float32, np.float64]


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


def assert_same_bits(got, expected):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(_bits(got), _bits(expected))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["C", "F"])
def test_bias_relu_equals_reference(dtype, order):
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((64, 33)).astype(dtype)
    b = rng.standard_normal(33).astype(dtype)
    # NaN, signed zeros and infinities go through np.maximum unchanged
    Z[0, :6] = [np.nan, -0.0, 0.0, np.inf, -np.inf, -0.0]
    b[:6] = [0.0, 0.0, -0.0, 1.0, 1.0, -0.0]  # -0.0 + -0.0 is -0.0: relu gives +0.0
    Z[1, 0] = -b[0]
    Z = np.asarray(Z, order=order)
    expected = reference.bias_relu(Z.copy(order="K"), b)
    got = kernels.bias_relu(Z.copy(order="K"), b)
    assert_same_bits(got, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape", [(64, 33), (1, 2), (3, 2), (256, 10), (300, 257), (200, 1)]
)
def test_relu_backward_equals_reference(dtype, shape):
    # delta * (A > 0) and its column sums (a width-1 layer: NumPy sums pairwise,
    # and the kernel leaves it to the reference)
    rng = np.random.default_rng(1)
    A = np.maximum(rng.standard_normal(shape), 0).astype(dtype)
    scales = rng.choice([1e-4, 1.0, 1e4], size=shape)
    delta = (rng.standard_normal(shape) * scales).astype(dtype)
    delta[0, 0] = np.nan
    A[0, 0] = 0.0
    if shape[1] > 1:
        delta[0, 1] = -1.0
        A[:, 1] = 0.0  # a column of -0.0 and +0.0 sums to +0.0, as in NumPy
    expected_sums = np.full(shape[1], 7.0, dtype)  # overwritten, not added to
    expected = reference.relu_backward(A, delta.copy(), expected_sums)
    sums = np.full(shape[1], 7.0, dtype)
    got = kernels.relu_backward(A, delta.copy(), sums)
    assert_same_bits(got, expected)
    assert_same_bits(sums, expected_sums)
    if shape[1] > 1:
        assert np.isnan(sums[0]) and not np.signbit(sums[1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("K", [1, 2, 3, 7, 8, 9, 10, 16, 17, 100, 127, 128, 129])
def test_bias_softmax_equals_reference(dtype, K):
    # Row sums of every length class of NumPy's pairwise summation: a plain loop
    # (< 8), eight running sums with and without a remainder, up to the limit;
    # longer rows run the reference.
    rng = np.random.default_rng(K)
    Z = (5 * rng.standard_normal((64, K))).astype(dtype)
    b = rng.standard_normal(K).astype(dtype)
    Z[1, 0] = np.nan  # a NaN row stays NaN
    Z[2, -1] = np.inf  # so does a row with +inf (inf - inf)
    Z[3, 0] = -np.inf  # a -inf entry gets probability 0
    Z[4] = 1e4  # equal entries, large: the maximum is subtracted first
    with np.errstate(invalid="ignore"):  # inf - inf in the NaN rows
        expected = reference.bias_softmax(Z.copy(), b)
        got = kernels.bias_softmax(Z.copy(), b)
    assert_same_bits(got, expected)
    assert np.isnan(got[1]).all() and np.isnan(got[2]).all()
    assert np.isfinite(got[4]).all()


def test_bias_softmax_rounds_the_net_input_to_its_dtype_first():
    # float32 net input, float64 bias: NumPy's Z += b rounds each sum to float32
    # before the row maximum is taken; so must the kernel
    rng = np.random.default_rng(5)
    Z = (5 * rng.standard_normal((200, 10))).astype(np.float32)
    b = rng.standard_normal(10)
    expected = reference.bias_softmax(Z.copy(), b)
    got = kernels.bias_softmax(Z.copy(), b)
    assert_same_bits(got, expected)


def _output_case(dtype, weighted, n=300, K=10):
    rng = np.random.default_rng(2)
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
    return P, labels, sw, total


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_softmax_output_error_equals_reference(dtype, weighted):
    P, labels, sw, total = _output_case(dtype, weighted)
    K = P.shape[1]
    expected, expected_sums = P.copy(), np.empty(K, dtype)
    expected_p = reference.softmax_output_error(
        expected, labels, sw, total, expected_sums
    )
    got, sums = P.copy(), np.empty(K, dtype)
    p_true = kernels.softmax_output_error(got, labels, sw, total, sums)
    assert_same_bits(got, expected)
    assert_same_bits(sums, expected_sums)
    assert_same_bits(p_true, expected_p)
    assert np.isfinite(sums).all() and not np.signbit(sums[-1])
    eps = np.finfo(dtype).eps
    assert p_true[1] == dtype(1 - eps) and p_true[2] == eps


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_output_error_keeps_a_nan_row_nan(dtype):
    # A softmax row is all NaN or has no NaN; a NaN row's error, loss and the
    # column sums it enters stay NaN, in both.
    P = softmax(np.random.default_rng(3).standard_normal((5, 4))).astype(dtype)
    P[2] = np.nan
    labels = np.array([0, 1, 2, 3, 0])
    expected, expected_sums = P.copy(), np.empty(4, dtype)
    expected_p = reference.softmax_output_error(
        expected, labels, None, 5, expected_sums
    )
    got, sums = P.copy(), np.empty(4, dtype)
    p_true = kernels.softmax_output_error(got, labels, None, 5, sums)
    assert_same_bits(got, expected)
    assert_same_bits(p_true, expected_p)
    assert np.isnan(p_true[2]) and np.isnan(sums).all()
    assert np.isnan(expected_sums).all()


@pytest.mark.parametrize("module", [reference, kernels], ids=["reference", "kernel"])
def test_softmax_output_error_takes_weights_of_its_dtype(module):
    P = np.full((2, 2), 0.5, np.float32)
    with pytest.raises(TypeError, match="sample_weight"):
        module.softmax_output_error(
            P, np.array([0, 1]), np.ones(2), 2.0, np.empty(2, np.float32)
        )


def _network(dtype, hidden, n_out, rng, n=50, n_in=6):
    units = [n_in, *hidden, n_out]
    X = rng.standard_normal((n, n_in)).astype(dtype)
    W = [
        rng.standard_normal((a, b)).astype(dtype)
        for a, b in zip(units, units[1:], strict=False)
    ]
    b = [rng.standard_normal(u).astype(dtype) for u in units[1:]]
    return X, W, b


PASSES = [
    ("relu", softmax, None),
    ("relu", logistic, None),
    ("relu", softmax, (0.5, 0.0)),
    ("tanh", softmax, (0.3, 0.3)),
    ("gelu", softmax, None),  # keeps its net input for the derivative
    ("relu", softmax, "width_one"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "output", "dropout"), PASSES)
def test_forward_pass_and_backpropagate_equal_reference(dtype, name, output, dropout):
    rng = np.random.default_rng(7)
    hidden = (1, 4) if dropout == "width_one" else (8, 5)
    X, W, b = _network(dtype, hidden, 4 if output is softmax else 1, rng)
    activation = ACTIVATIONS[name]
    masks = None
    if isinstance(dropout, tuple):
        masks = [
            ((rng.random((X.shape[0], u)) >= p) / (1 - p)).astype(dtype) if p else None
            for u, p in zip(hidden, dropout, strict=True)
        ]
    results = []
    for module in (reference, kernels):
        kept = []
        activations = module.forward_pass(
            X,
            W,
            b,
            activation.function,
            output,
            masks=masks,
            kept=kept,
            keep_net_input=activation.from_net_input,
        )
        outputs = [A.copy() for A in activations[1:]]
        Y = np.zeros_like(activations[-1])
        Y[:, 0] = 1
        G = [np.empty_like(w) for w in W]
        g = [np.empty_like(v) for v in b]
        total = X.shape[0]
        reference.output_delta(activations[-1], Y, None, total, g[-1])
        module.backpropagate(
            activations,
            W,
            activation.derivative,
            1e-2,
            total,
            G,
            g,
            masks=masks,
            kept=kept,
        )
        results.append(outputs + G + g)
    for got, expected in zip(results[1], results[0], strict=True):
        assert_same_bits(got, expected)


def test_forward_pass_kernel_takes_the_fused_steps(monkeypatch):
    calls = []
    for name in ("bias_relu", "bias_softmax", "relu_backward"):
        kernel = getattr(kernels, name)

        def spy(*args, _name=name, _kernel=kernel):
            calls.append(_name)
            return _kernel(*args)

        monkeypatch.setattr(kernels, name, spy)
    rng = np.random.default_rng(0)
    X, W, b = _network(np.float64, (4,), 3, rng, n=8, n_in=5)
    activations = kernels.forward_pass(X, W, b, relu, softmax)
    G = [np.empty_like(w) for w in W]
    g = [np.empty_like(v) for v in b]
    kernels.backpropagate(activations, W, relu_derivative, 0.0, 8, G, g)
    assert calls == ["bias_relu", "bias_softmax", "relu_backward"]


@pytest.mark.parametrize("compiled", [True, False])
def test_implementation_follows_config_context(compiled):
    with skann.config_context(compiled=compiled):
        for name in ("forward_pass", "backpropagate", "softmax_output_error"):
            module = kernels if compiled else reference
            assert implementation("backprop", name) is getattr(module, name)
