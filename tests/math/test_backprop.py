"""Forward pass, backpropagation and the flat parameter layout.

The gradient of :func:`loss_and_gradient` is checked against central differences of
its own loss (float64), and the loss and gradient against scikit-learn's MLP.
"""

import inspect

import numpy as np
import pytest
from scipy import sparse
from sklearn.neural_network import MLPClassifier

from skann._math.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from skann._math.backprop import (
    ParameterLayout,
    backward_pass,
    forward_pass,
    loss_and_gradient,
)

# (output activation, units in the output layer, kind of targets)
OUTPUTS = {
    "softmax-3": ("softmax", 3, "onehot"),
    "logistic-1": ("logistic", 1, "binary"),
    "logistic-3": ("logistic", 3, "multilabel"),
}
N_SAMPLES = 10


def _problem(hidden, output, weighted, seed=0):
    """A small net [4, 5, 3, out], its data and a random parameter vector."""
    out_activation, n_outputs, kind = OUTPUTS[output]
    rng = np.random.RandomState(seed)
    layout = ParameterLayout([4, 5, 3, n_outputs])
    flat = rng.uniform(-1.0, 1.0, layout.size)
    X = rng.randn(N_SAMPLES, 4)
    if kind == "onehot":
        Y = np.eye(n_outputs)[rng.randint(0, n_outputs, N_SAMPLES)]
    else:
        Y = rng.randint(0, 2, (N_SAMPLES, n_outputs)).astype(float)
    sw = rng.uniform(0.5, 2.0, N_SAMPLES) if weighted else None
    return layout, flat, X, Y, sw, out_activation


def _hidden_net_inputs(layout, flat, X):
    """Net inputs Z_l of the hidden layers of a relu net, computed by plain NumPy."""
    coefs, intercepts = layout.views(flat)
    A, nets = X, []
    for W, b in zip(coefs[:-1], intercepts[:-1], strict=True):
        Z = A @ W + b
        nets.append(Z)
        A = np.maximum(Z, 0)
    return nets


# Step of the central differences. The five-point stencil below has a truncation
# error of order h^4 ~ 1e-16 and a rounding error of order eps * loss / h ~ 1e-12,
# so even gradient components of 1e-5 are resolved to a relative 1e-7. (The
# two-point stencil's rounding error, ~1e-10 at h = 1e-6, is too coarse for them.)
H = 1e-4
# relu nets use a seed whose hidden net inputs are all this far from the kink at 0;
# the check then also asserts that no evaluation crossed a kink.
RELU_MARGIN = 1e-2


def _relu_safe_seed(output, weighted):
    """First seed whose relu net has no hidden net input near the kink."""
    for seed in range(100):
        layout, flat, X, *_ = _problem("relu", output, weighted, seed)
        nets = _hidden_net_inputs(layout, flat, X)
        if all(np.abs(Z).min() > RELU_MARGIN for Z in nets):
            return seed
    raise AssertionError("no seed keeps relu away from its kink")


def _central_differences(f, theta, h=H):
    """Five-point central differences of ``f`` at ``theta``, one coordinate at a time.

    ``(8 [f(x + h) - f(x - h)] - [f(x + 2h) - f(x - 2h)]) / (12 h)``.
    """
    numerical = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        near = f(theta + step) - f(theta - step)
        far = f(theta + 2 * step) - f(theta - 2 * step)
        numerical[i] = (8 * near - far) / (12 * h)
    return numerical


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("alpha", [0.0, 0.1])
@pytest.mark.parametrize("output", sorted(OUTPUTS))
@pytest.mark.parametrize("hidden", ["identity", "logistic", "tanh", "relu"])
def test_gradient_matches_central_differences(hidden, output, alpha, weighted):
    """Backprop's gradient equals the central differences of the loss it returns."""
    seed = _relu_safe_seed(output, weighted) if hidden == "relu" else 0
    layout, flat, X, Y, sw, out_activation = _problem(hidden, output, weighted, seed)
    activation = ACTIVATIONS[hidden]
    signs = [Z > 0 for Z in _hidden_net_inputs(layout, flat, X)]

    def loss(theta):
        if hidden == "relu":  # the differences must not straddle a kink
            for Z, sign in zip(
                _hidden_net_inputs(layout, theta, X), signs, strict=True
            ):
                np.testing.assert_array_equal(Z > 0, sign)
        return loss_and_gradient(
            theta, layout, X, Y, activation, out_activation, alpha, sw
        )[0]

    flat_before = flat.copy()
    _, gradient = loss_and_gradient(
        flat, layout, X, Y, activation, out_activation, alpha, sw
    )
    np.testing.assert_array_equal(flat, flat_before)  # the parameters are not touched
    numerical = _central_differences(loss, flat)

    # relu's dead units have exact zeros on both sides; the floor only avoids 0 / 0.
    scale = np.maximum(np.abs(gradient), np.abs(numerical))
    relative = np.abs(gradient - numerical) / np.maximum(scale, 1e-12)
    assert relative.max() < 1e-6, relative.max()


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("output", sorted(OUTPUTS))
@pytest.mark.parametrize("hidden", ["identity", "logistic", "tanh", "relu"])
def test_loss_and_gradient_match_sklearn_backprop(hidden, output, weighted):
    """The same loss (penalty included) and gradient as scikit-learn's MLP."""
    layout, flat, X, Y, sw, out_activation = _problem(hidden, output, weighted)
    alpha = 0.1
    loss, gradient = loss_and_gradient(
        flat, layout, X, Y, ACTIVATIONS[hidden], out_activation, alpha, sw
    )

    coefs, intercepts = layout.views(flat.copy())
    mlp = MLPClassifier(hidden_layer_sizes=(5, 3), activation=hidden, alpha=alpha)
    mlp.n_layers_, mlp.out_activation_ = 4, out_activation
    mlp.coefs_, mlp.intercepts_ = list(coefs), list(intercepts)
    empty = [None] * 3
    buffers = ([X, *empty], list(empty), list(empty), list(empty))
    if "sample_weight" in inspect.signature(mlp._backprop).parameters:
        expected_loss, coef_grads, intercept_grads = mlp._backprop(X, Y, sw, *buffers)
    elif weighted:
        pytest.skip("this scikit-learn's MLP has no sample_weight")
    else:
        expected_loss, coef_grads, intercept_grads = mlp._backprop(X, Y, *buffers)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    expected = layout.pack(coef_grads, intercept_grads, np.float64)
    np.testing.assert_allclose(gradient, expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_batch_gradients_average_to_full_gradient(weighted):
    """Mini-batch gradients, weighted by each batch's share n_B / n, add up to the
    full-batch gradient; the L2 term, divided by each batch's own n_B, is counted
    once per batch."""
    layout, flat, X, Y, sw, out_activation = _problem("tanh", "softmax-3", weighted)
    tanh = ACTIVATIONS["tanh"]
    weights = np.ones(N_SAMPLES) if sw is None else sw
    batches = [slice(0, 4), slice(4, 8), slice(8, 10)]
    for alpha in (0.0, 0.1):
        _, full = loss_and_gradient(flat, layout, X, Y, tanh, out_activation, alpha, sw)
        combined = np.zeros_like(full)
        for rows in batches:
            swb = None if sw is None else sw[rows]
            _, part = loss_and_gradient(
                flat, layout, X[rows], Y[rows], tanh, out_activation, alpha, swb
            )
            combined += weights[rows].sum() / weights.sum() * part
        extra = np.zeros_like(full)
        extra[: layout.n_weights] = (
            (len(batches) - 1) * alpha / weights.sum() * flat[: layout.n_weights]
        )
        np.testing.assert_allclose(combined, full + extra, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("hidden", ["identity", "logistic", "tanh", "relu"])
def test_forward_pass_matches_per_sample_form(hidden):
    """Textbook form: per sample, a column p, ``n = W^T p + b``, ``a = g(n)``.

    skann stores ``W_l`` as (fan_in, fan_out), so the textbook's (S x R) weight
    matrix of layer l is ``coefs[l].T``.
    """
    formulas = {
        "identity": lambda n: n,
        "logistic": lambda n: 1 / (1 + np.exp(-n)),
        "tanh": np.tanh,
        "relu": lambda n: np.maximum(n, 0),
    }
    layout, flat, X, _, _, _ = _problem(hidden, "softmax-3", False)
    coefs, intercepts = layout.views(flat)
    activations = forward_pass(
        X,
        coefs,
        intercepts,
        ACTIVATIONS[hidden].function,
        OUTPUT_ACTIVATIONS["softmax"],
    )
    assert activations[0] is X
    assert [A.shape for A in activations] == [(10, 4), (10, 5), (10, 3), (10, 3)]
    for q in range(N_SAMPLES):
        a = X[q][:, None]  # column vector p
        for layer, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
            n = W.T @ a + b[:, None]
            if layer < len(coefs) - 1:
                a = formulas[hidden](n)
            else:
                a = np.exp(n) / np.exp(n).sum()
            np.testing.assert_allclose(activations[layer + 1][q], a[:, 0], rtol=1e-12)


def test_forward_pass_writes_into_buffers_and_takes_sparse_input():
    layout, flat, X, _, _, _ = _problem("tanh", "logistic-3", False)
    coefs, intercepts = layout.views(flat)
    g, g_out = ACTIVATIONS["tanh"].function, OUTPUT_ACTIVATIONS["logistic"]
    expected = forward_pass(X, coefs, intercepts, g, g_out)
    buffers = [np.empty((N_SAMPLES, fan_out)) for _, fan_out in layout.shapes]
    activations = forward_pass(X, coefs, intercepts, g, g_out, out=buffers)
    for A, buffer, A_expected in zip(
        activations[1:], buffers, expected[1:], strict=True
    ):
        assert A is buffer
        np.testing.assert_allclose(A, A_expected, rtol=1e-14)
    sparse_result = forward_pass(sparse.csr_matrix(X), coefs, intercepts, g, g_out)
    np.testing.assert_allclose(sparse_result[-1], expected[-1], rtol=1e-12)


def test_backward_pass_sparse_input_and_float32():
    layout, flat, X, Y, sw, out_activation = _problem("relu", "softmax-3", True)
    relu = ACTIVATIONS["relu"]
    _, gradient = loss_and_gradient(flat, layout, X, Y, relu, out_activation, 0.1, sw)
    _, sparse_gradient = loss_and_gradient(
        flat, layout, sparse.csr_matrix(X), Y, relu, out_activation, 0.1, sw
    )
    np.testing.assert_allclose(sparse_gradient, gradient, rtol=1e-12, atol=1e-15)

    flat32 = flat.astype(np.float32)
    X32, Y32, sw32 = (a.astype(np.float32) for a in (X, Y, sw))
    coefs, intercepts = layout.views(flat32)
    activations = forward_pass(
        X32, coefs, intercepts, relu.function, OUTPUT_ACTIVATIONS[out_activation]
    )
    grad32 = np.empty_like(flat32)
    coef_grads, intercept_grads = layout.views(grad32)
    backward_pass(
        activations, Y32, coefs, relu.derivative, 0.1, coef_grads, intercept_grads, sw32
    )
    assert grad32.dtype == np.float32
    assert all(A.dtype == np.float32 for A in activations)
    np.testing.assert_allclose(grad32, gradient, rtol=1e-3, atol=1e-5)


def test_parameter_layout_views_are_views():
    layout = ParameterLayout([3, 2, 1])
    assert layout.shapes == [(3, 2), (2, 1)]
    assert (layout.n_weights, layout.size) == (8, 11)
    flat = np.arange(11.0)
    coefs, intercepts = layout.views(flat)
    # All weights first (row-major per layer), then all biases: scikit-learn's order.
    np.testing.assert_array_equal(coefs[0], [[0, 1], [2, 3], [4, 5]])
    np.testing.assert_array_equal(coefs[1], [[6], [7]])
    np.testing.assert_array_equal(intercepts[0], [8, 9])
    np.testing.assert_array_equal(intercepts[1], [10])
    for view in coefs + intercepts:
        assert np.shares_memory(view, flat)
    coefs[1][1, 0] = -7.0
    intercepts[1][0] = -10.0
    assert flat[7] == -7.0 and flat[10] == -10.0
    flat[0] = 100.0
    assert coefs[0][0, 0] == 100.0


def test_parameter_layout_pack_round_trips():
    layout = ParameterLayout([4, 5, 3, 2])
    rng = np.random.RandomState(0)
    coefs = [rng.randn(fan_in, fan_out) for fan_in, fan_out in layout.shapes]
    intercepts = [rng.randn(fan_out) for _, fan_out in layout.shapes]
    flat = layout.pack(coefs, intercepts, np.float32)
    assert flat.shape == (layout.size,) and flat.dtype == np.float32
    coefs_back, intercepts_back = layout.views(flat)
    for got, want in zip(coefs_back + intercepts_back, coefs + intercepts, strict=True):
        np.testing.assert_array_equal(got, want.astype(np.float32))
    np.testing.assert_array_equal(
        layout.pack(coefs_back, intercepts_back, flat.dtype), flat
    )
    # scikit-learn packs in the same order.
    expected = np.hstack([a.ravel() for a in coefs + intercepts])
    np.testing.assert_array_equal(layout.pack(coefs, intercepts, np.float64), expected)
