"""Glorot initialisation: the bounds formula and scikit-learn's own draws."""

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import LabelBinarizer

from skann._math.init import glorot_uniform

LAYER_UNITS = [4, 5, 3, 2]


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_glorot_uniform_hand_computed_bounds(activation):
    factor = 2.0 if activation == "logistic" else 6.0
    rng, reference = np.random.RandomState(0), np.random.RandomState(0)
    for fan_in, fan_out in zip(LAYER_UNITS[:-1], LAYER_UNITS[1:], strict=True):
        bound = np.sqrt(factor / (fan_in + fan_out))
        W, b = glorot_uniform(fan_in, fan_out, activation, rng)
        assert W.shape == (fan_in, fan_out) and b.shape == (fan_out,)
        assert np.abs(W).max() <= bound and np.abs(b).max() <= bound
        # Weights first, then biases, from the same stream.
        np.testing.assert_array_equal(
            W, reference.uniform(-bound, bound, (fan_in, fan_out))
        )
        np.testing.assert_array_equal(b, reference.uniform(-bound, bound, fan_out))
    # The bound is sqrt(6 / 60) = 0.316 (sqrt(2 / 60) for logistic) and is reached.
    W, _ = glorot_uniform(30, 30, activation, np.random.RandomState(1))
    assert np.abs(W).max() == pytest.approx(np.sqrt(factor / 60), rel=0.01)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_glorot_uniform_matches_sklearn_initial_network(activation, dtype):
    # scikit-learn's initial network for random_state=0: _initialize draws every
    # layer with _init_coef from check_random_state(0).
    y = np.array([0, 1, 0, 1])
    mlp = MLPClassifier(hidden_layer_sizes=LAYER_UNITS[1:-1], activation=activation)
    mlp._random_state = np.random.RandomState(0)
    mlp._label_binarizer = LabelBinarizer().fit(y)
    mlp._initialize(np.zeros((4, LAYER_UNITS[-1])), LAYER_UNITS, dtype)

    rng = np.random.RandomState(0)
    for layer, (fan_in, fan_out) in enumerate(
        zip(LAYER_UNITS[:-1], LAYER_UNITS[1:], strict=True)
    ):
        W, b = glorot_uniform(fan_in, fan_out, activation, rng, dtype)
        assert W.dtype == dtype and b.dtype == dtype
        np.testing.assert_array_equal(W, mlp.coefs_[layer])
        np.testing.assert_array_equal(b, mlp.intercepts_[layer])

    # And one layer at a time against _init_coef itself.
    mlp._random_state = np.random.RandomState(7)
    rng = np.random.RandomState(7)
    for fan_in, fan_out in [(6, 4), (4, 1)]:
        W_ref, b_ref = mlp._init_coef(fan_in, fan_out, dtype)
        W, b = glorot_uniform(fan_in, fan_out, activation, rng, dtype)
        np.testing.assert_array_equal(W, W_ref)
        np.testing.assert_array_equal(b, b_ref)
