"""Losses against hand values and scikit-learn; the output error by differences."""

import numpy as np
import pytest
from sklearn.metrics import log_loss as sklearn_log_loss

from skann._math.activations import logistic, softmax
from skann._math.losses import (
    LOSSES,
    binary_log_loss,
    l2_penalty,
    log_loss,
    output_error,
)


def test_log_loss_hand_computed():
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    P = np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]])
    # Only the probability of the true class counts: -(ln 0.5 + ln 0.8) / 2.
    assert log_loss(Y, P) == pytest.approx(-(np.log(0.5) + np.log(0.8)) / 2, 1e-15)
    weighted = -(1.0 * np.log(0.5) + 3.0 * np.log(0.8)) / 4.0
    assert log_loss(Y, P, np.array([1.0, 3.0])) == pytest.approx(weighted, 1e-15)
    # A confident mistake is clipped to eps, not infinite.
    eps = np.finfo(np.float64).eps
    assert log_loss(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])) == pytest.approx(
        -np.log(eps)
    )


def test_binary_log_loss_hand_computed():
    Y = np.array([[1.0, 0.0], [0.0, 0.0]])
    P = np.array([[0.8, 0.4], [0.3, 0.5]])
    # Sum over the outputs, mean over the samples.
    expected = -(np.log(0.8) + np.log(0.6) + np.log(0.7) + np.log(0.5)) / 2
    assert binary_log_loss(Y, P) == pytest.approx(expected, 1e-15)
    weighted = -(2 * (np.log(0.8) + np.log(0.6)) + (np.log(0.7) + np.log(0.5))) / 3
    assert binary_log_loss(Y, P, np.array([2.0, 1.0])) == pytest.approx(weighted, 1e-15)


@pytest.mark.parametrize("weighted", [False, True])
def test_losses_match_sklearn_metrics(weighted):
    rng = np.random.RandomState(0)
    n = 12
    sw = rng.uniform(0.5, 2.0, n) if weighted else None
    # Categorical: one-hot targets, softmax probabilities.
    y = rng.randint(0, 3, n)
    Y = np.eye(3)[y]
    P = softmax(rng.randn(n, 3))
    expected = sklearn_log_loss(y, P, sample_weight=sw, labels=[0, 1, 2])
    assert log_loss(Y, P, sw) == pytest.approx(expected, rel=1e-12)
    # Binary: one logistic output.
    t = rng.randint(0, 2, n)
    p = logistic(rng.randn(n, 1))
    expected = sklearn_log_loss(t, p[:, 0], sample_weight=sw, labels=[0, 1])
    assert binary_log_loss(t[:, None].astype(float), p, sw) == pytest.approx(
        expected, rel=1e-12
    )
    # Multilabel: independent Bernoulli outputs, so the losses of the columns add.
    T = rng.randint(0, 2, (n, 3)).astype(float)
    Q = logistic(rng.randn(n, 3))
    expected = sum(
        sklearn_log_loss(T[:, k], Q[:, k], sample_weight=sw, labels=[0, 1])
        for k in range(3)
    )
    assert binary_log_loss(T, Q, sw) == pytest.approx(expected, rel=1e-12)


def test_output_error_hand_computed():
    A = np.array([[0.25, 0.75], [0.6, 0.4]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(output_error(A, Y), [[0.25, -0.25], [-0.4, 0.4]])
    np.testing.assert_allclose(
        output_error(A, Y, np.array([2.0, 0.5])), [[0.5, -0.5], [-0.2, 0.2]]
    )
    # out=A overwrites the activations with the error (what backprop does).
    result = output_error(A, Y, out=A)
    assert result is A
    np.testing.assert_allclose(A, [[0.25, -0.25], [-0.4, 0.4]])


CANONICAL_PAIRS = {
    "softmax+log_loss": ("softmax", 3, "onehot"),
    "logistic+binary_log_loss": ("logistic", 1, "binary"),
    "logistic+binary_log_loss-multilabel": ("logistic", 3, "multilabel"),
}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pair", sorted(CANONICAL_PAIRS))
def test_output_error_matches_central_differences(pair, weighted):
    """delta = A - Y is the derivative of the loss with respect to Z (canonical pair).

    ``output_error`` leaves the division by the total weight ``n`` to the gradient, so
    ``dL/dZ = output_error / n``.
    """
    name, n_outputs, kind = CANONICAL_PAIRS[pair]
    g = {"softmax": softmax, "logistic": logistic}[name]
    loss = LOSSES[name]
    rng = np.random.RandomState(1)
    n = 7
    Z = rng.randn(n, n_outputs)
    if kind == "onehot":
        Y = np.eye(n_outputs)[rng.randint(0, n_outputs, n)]
    else:
        Y = rng.randint(0, 2, (n, n_outputs)).astype(float)
    sw = rng.uniform(0.5, 2.0, n) if weighted else None
    total = n if sw is None else sw.sum()

    h = 1e-6
    numerical = np.empty_like(Z)
    for index in np.ndindex(*Z.shape):
        up, down = Z.copy(), Z.copy()
        up[index] += h
        down[index] -= h
        numerical[index] = (loss(Y, g(up), sw) - loss(Y, g(down), sw)) / (2 * h)

    delta = output_error(g(Z.copy()), Y, sw) / total
    np.testing.assert_allclose(delta, numerical, rtol=1e-6, atol=1e-10)


def test_l2_penalty_hand_computed():
    coefs = [np.array([[3.0, 4.0]]), np.array([[1.0], [-2.0]])]
    # alpha / (2 n) * (9 + 16 + 1 + 4) = 0.5 * 2 * 30 / 5.
    assert l2_penalty(coefs, alpha=2.0, total_weight=5.0) == pytest.approx(6.0)
    assert l2_penalty(coefs, alpha=0.0, total_weight=5.0) == 0.0
