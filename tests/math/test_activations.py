"""Activations against their formulas; derivatives against central differences."""

import numpy as np
import pytest

from skann._math.activations import (
    ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    identity,
    identity_derivative,
    logistic,
    logistic_derivative,
    relu,
    relu_derivative,
    softmax,
    tanh,
    tanh_derivative,
)

# Net inputs that stay at least 0.1 away from the kink of relu at 0.
Z = np.array([[-3.0, -1.2, -0.1, 0.1], [0.7, 1.5, 2.0, 4.0]])

FORMULAS = {
    "identity": lambda z: z,
    "logistic": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z: np.where(z > 0, z, 0.0),
}

FUNCTIONS = {
    "identity": (identity, identity_derivative),
    "logistic": (logistic, logistic_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_activation_matches_formula(name):
    function, _ = FUNCTIONS[name]
    buffer = Z.copy()
    A = function(buffer)
    np.testing.assert_allclose(A, FORMULAS[name](Z), rtol=1e-14, atol=1e-15)
    # In place: the net input's buffer now holds the activation.
    assert A is buffer


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_derivative_matches_central_differences(name):
    function, derivative = FUNCTIONS[name]
    rng = np.random.RandomState(0)
    delta = rng.randn(*Z.shape)
    h = 1e-6
    slope = (function(Z + h) - function(Z - h)) / (2 * h)
    A = function(Z.copy())
    A_before = A.copy()
    buffer = delta.copy()
    result = derivative(A, buffer)
    np.testing.assert_allclose(result, delta * slope, rtol=1e-8, atol=1e-10)
    # In place: the delta buffer is multiplied, the activations are left alone.
    assert result is buffer
    np.testing.assert_array_equal(A, A_before)


def test_derivatives_hand_computed():
    # g'(0) of each activation, and relu's convention g'(0) = 0 (as scikit-learn).
    a0 = {name: f(np.zeros(1)) for name, (f, _) in FUNCTIONS.items()}
    expected = {"identity": 1.0, "logistic": 0.25, "tanh": 1.0, "relu": 0.0}
    for name, (_, derivative) in FUNCTIONS.items():
        assert derivative(a0[name], np.ones(1))[0] == expected[name], name


def test_softmax_is_a_categorical_distribution():
    rng = np.random.RandomState(0)
    Zs = rng.randn(6, 4) * 3
    P = softmax(Zs.copy())
    expected = np.exp(Zs) / np.exp(Zs).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(P, expected, rtol=1e-14)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-15)
    assert np.all(P > 0)
    # Adding a constant to a row does not change it, so huge net inputs are safe.
    np.testing.assert_allclose(softmax(Zs + 1000.0), P, rtol=1e-12)
    np.testing.assert_array_equal(softmax(np.array([[1e4, 1e4]])), [[0.5, 0.5]])


def test_softmax_of_two_classes_is_logistic_of_the_difference():
    z = np.array([[0.3, -1.1], [2.0, 0.5]])
    np.testing.assert_allclose(
        softmax(z.copy())[:, 0], logistic(z[:, 0] - z[:, 1]), rtol=1e-14
    )


def test_float32_is_kept():
    for name, (function, derivative) in FUNCTIONS.items():
        A = function(Z.astype(np.float32))
        assert A.dtype == np.float32, name
        assert derivative(A, np.ones_like(A)).dtype == np.float32, name
    assert softmax(Z.astype(np.float32)).dtype == np.float32


def test_registries_pair_each_function_with_its_derivative():
    for name, (function, derivative) in FUNCTIONS.items():
        assert ACTIVATIONS[name].function is function
        assert ACTIVATIONS[name].derivative is derivative
    assert OUTPUT_ACTIVATIONS == {"logistic": logistic, "softmax": softmax}
