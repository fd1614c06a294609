"""Optimisers against scikit-learn's and hand values; L-BFGS on a known quadratic."""

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from skann._math.backprop import ParameterLayout
from skann._math.optimizers import (
    SGD,
    Adam,
    LearningRateSchedule,
    minimize_lbfgs,
    penalised_gradient,
)

LAYOUT = ParameterLayout([4, 3, 2])


def _gradients(n_steps, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.randn(LAYOUT.size) for _ in range(n_steps)]


def _sklearn_params(theta):
    """scikit-learn's optimisers take a list of per-layer arrays (here: views)."""
    coefs, intercepts = LAYOUT.views(theta)
    return coefs + intercepts


def _sklearn_grads(gradient):
    coefs, intercepts = LAYOUT.views(gradient)
    return coefs + intercepts


def test_schedules_hand_computed():
    constant = LearningRateSchedule("constant", 0.1)
    constant.epoch_ends(samples_seen=1000)
    assert constant.learning_rate == 0.1
    assert constant.stalled()  # a stall stops training

    # invscaling: eta = eta_0 / (t + 1) ** power_t, t the samples seen so far.
    inv = LearningRateSchedule("invscaling", 0.2, power_t=0.25)
    inv.epoch_ends(samples_seen=15)
    assert inv.learning_rate == pytest.approx(0.2 / 16**0.25)  # 0.1
    inv.epoch_ends(samples_seen=80)
    assert inv.learning_rate == pytest.approx(0.2 / 3.0)
    assert inv.stalled()

    # adaptive: divide by 5 at each stall while eta > 1e-6, then stop.
    adaptive = LearningRateSchedule("adaptive", 1e-3)
    adaptive.epoch_ends(samples_seen=1000)
    assert adaptive.learning_rate == 1e-3
    seen = []
    while not adaptive.stalled():
        seen.append(adaptive.learning_rate)
    np.testing.assert_allclose(seen, [2e-4, 4e-5, 8e-6, 1.6e-6, 3.2e-7])
    assert adaptive.learning_rate == pytest.approx(3.2e-7)


@pytest.mark.parametrize("kind", ["constant", "invscaling", "adaptive"])
def test_schedules_match_sklearn(kind):
    ours = LearningRateSchedule(kind, 0.5, power_t=0.3)
    theirs = SGDOptimizer([np.zeros(1)], 0.5, kind, power_t=0.3)
    for epoch in range(1, 12):
        ours.epoch_ends(samples_seen=37 * epoch)
        theirs.iteration_ends(37 * epoch)
        assert ours.learning_rate == pytest.approx(theirs.learning_rate, rel=1e-15)
        if epoch % 2 == 0:
            assert ours.stalled() == theirs.trigger_stopping("", verbose=False)
            assert ours.learning_rate == pytest.approx(theirs.learning_rate, rel=1e-15)


def test_sgd_hand_computed():
    # theta = 1, g = 2, eta = 0.1, mu = 0.5.
    # Classical: v1 = -0.2, theta = 0.8; v2 = 0.5 * -0.2 - 0.2 = -0.3, theta = 0.5.
    theta = np.array([1.0])
    sgd = SGD(1, theta.dtype, LearningRateSchedule("constant", 0.1), 0.5, False)
    sgd.step(theta, np.array([2.0]))
    np.testing.assert_allclose(theta, [0.8])
    sgd.step(theta, np.array([2.0]))
    np.testing.assert_allclose(theta, [0.5])
    # Nesterov: theta += mu v - eta g: 1 + 0.5 * -0.2 - 0.2 = 0.7; then
    # v2 = -0.3 and theta = 0.7 + 0.5 * -0.3 - 0.2 = 0.35.
    theta = np.array([1.0])
    sgd = SGD(1, theta.dtype, LearningRateSchedule("constant", 0.1), 0.5, True)
    sgd.step(theta, np.array([2.0]))
    np.testing.assert_allclose(theta, [0.7])
    sgd.step(theta, np.array([2.0]))
    np.testing.assert_allclose(theta, [0.35])


@pytest.mark.parametrize("kind", ["constant", "invscaling"])
@pytest.mark.parametrize(
    ("momentum", "nesterov"), [(0.0, False), (0.9, False), (0.9, True), (0.5, True)]
)
def test_sgd_matches_sklearn(momentum, nesterov, kind):
    rng = np.random.RandomState(1)
    theta = rng.randn(LAYOUT.size)
    theirs_theta = theta.copy()
    schedule = LearningRateSchedule(kind, 0.05, power_t=0.5)
    ours = SGD(LAYOUT.size, theta.dtype, schedule, momentum, nesterov)
    theirs = SGDOptimizer(
        _sklearn_params(theirs_theta), 0.05, kind, momentum, nesterov, power_t=0.5
    )
    for step, gradient in enumerate(_gradients(8), start=1):
        ours.step(theta, gradient)
        theirs.update_params(_sklearn_params(theirs_theta), _sklearn_grads(gradient))
        np.testing.assert_allclose(theta, theirs_theta, rtol=1e-13, atol=1e-15)
        if step % 3 == 0:  # an epoch ends now and then
            schedule.epoch_ends(10 * step)
            theirs.iteration_ends(10 * step)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_matches_sklearn(dtype):
    rng = np.random.RandomState(2)
    theta = rng.randn(LAYOUT.size).astype(dtype)
    theirs_theta = theta.copy()
    ours = Adam(
        LAYOUT.size, dtype, LearningRateSchedule("constant", 0.01), 0.8, 0.99, 1e-7
    )
    theirs = AdamOptimizer(_sklearn_params(theirs_theta), 0.01, 0.8, 0.99, 1e-7)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for gradient in _gradients(10, seed=3):
        gradient = gradient.astype(dtype)
        ours.step(theta, gradient)
        theirs.update_params(_sklearn_params(theirs_theta), _sklearn_grads(gradient))
        assert theta.dtype == dtype
        np.testing.assert_allclose(theta, theirs_theta, rtol=rtol, atol=rtol)
    assert ours.t == theirs.t == 10


def test_adam_bias_correction_hand_computed():
    # After one step m = (1 - b1) g and v = (1 - b2) g^2; the corrected step is
    # eta * m / (1 - b1) / (sqrt(v / (1 - b2)) + ...) = eta * sign(g), whatever |g|.
    theta = np.array([0.0, 0.0])
    adam = Adam(2, theta.dtype, LearningRateSchedule("constant", 0.1), epsilon=0.0)
    adam.step(theta, np.array([1e-3, -50.0]))
    np.testing.assert_allclose(theta, [-0.1, 0.1], rtol=1e-12)
    np.testing.assert_allclose(adam.first_moment, [1e-4, -5.0])
    np.testing.assert_allclose(adam.second_moment, [1e-9, 2.5])
    # Second step with g = 0: m2 = 0.9 m1, v2 = 0.999 v1; step
    # eta * sqrt(1 - 0.999^2) / (1 - 0.9^2) * m2 / sqrt(v2).
    adam.step(theta, np.zeros(2))
    m2, v2 = 0.9 * 1e-4, 0.999 * 1e-9
    step = 0.1 * np.sqrt(1 - 0.999**2) / (1 - 0.9**2) * m2 / np.sqrt(v2)
    np.testing.assert_allclose(theta, [-0.1 - step, 0.1 + step], rtol=1e-12)


def test_minimize_lbfgs_finds_quadratic_minimiser():
    # f(x) = 1/2 x^T A x - b^T x, minimised at x* where A x* = b.
    rng = np.random.RandomState(0)
    M = rng.randn(6, 6)
    A = M @ M.T + 6 * np.eye(6)
    x_star = np.array([1.0, -2.0, 3.0, 0.5, -0.25, 4.0])
    b = A @ x_star

    def quadratic(x):
        return 0.5 * x @ A @ x - b @ x, A @ x - b

    losses = []
    result = minimize_lbfgs(
        quadratic, np.zeros(6), max_iter=200, max_fun=15000, tol=1e-10,
        callback=losses.append,
    )  # fmt: skip
    # SciPy also stops once an iteration lowers f by less than a relative 2.2e-9
    # (its default ftol), which bounds how close x gets.
    assert result.status == 0
    np.testing.assert_allclose(result.x, x_star, atol=1e-4)
    assert result.fun == pytest.approx(-0.5 * x_star @ A @ x_star, rel=1e-8)
    assert len(losses) == result.nit
    assert all(np.diff(losses) <= 0)  # L-BFGS's line search only goes downhill


def test_minimize_lbfgs_respects_max_iter():
    def rosenbrock(x):
        value = 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2
        gradient = np.array(
            [
                -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]),
                200 * (x[1] - x[0] ** 2),
            ]
        )
        return value, gradient

    losses = []
    result = minimize_lbfgs(
        rosenbrock, np.array([-1.2, 1.0]), max_iter=3, max_fun=15000, tol=1e-12,
        callback=losses.append,
    )  # fmt: skip
    assert result.nit == 3 and len(losses) == 3
    assert result.status == 1  # stopped by the limit, not converged
    result = minimize_lbfgs(
        rosenbrock, np.array([-1.2, 1.0]), max_iter=1000, max_fun=15000, tol=1e-10
    )
    assert result.status == 0
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-4)


@pytest.mark.parametrize(
    ("ratio", "converges"), [(0.5, True), (1.9, True), (2.1, False)]
)
def test_gradient_descent_stable_below_two_over_curvature(ratio, converges):
    # J = 1/2 theta^T diag(lam) theta: each step multiplies theta_i by (1 - eta lam_i),
    # so gradient descent converges iff eta < 2 / max(lam).
    lam = np.array([0.5, 2.0, 10.0])
    eta = ratio / lam.max()
    theta = np.ones(3)
    sgd = SGD(3, theta.dtype, LearningRateSchedule("constant", eta), momentum=0.0)
    for _ in range(5):
        sgd.step(theta, lam * theta)
    np.testing.assert_allclose(theta, (1 - eta * lam) ** 5, rtol=1e-12)
    for _ in range(400):
        sgd.step(theta, lam * theta)
    assert (np.abs(theta).max() < 1e-3) == converges


def test_momentum_terminal_velocity():
    # Under a constant gradient g the velocity tends to -eta g / (1 - mu): momentum
    # 0.9 multiplies the step by 10 on a steady slope.
    theta = np.zeros(2)
    g = np.array([1.0, -3.0])
    for nesterov in (False, True):
        sgd = SGD(2, theta.dtype, LearningRateSchedule("constant", 0.01), 0.9, nesterov)
        for _ in range(400):
            sgd.step(theta, g)
        np.testing.assert_allclose(sgd.velocity, -0.01 * g / (1 - 0.9), rtol=1e-12)
        before = theta.copy()
        sgd.step(theta, g)
        np.testing.assert_allclose(theta - before, -0.1 * g, rtol=1e-12)


def test_penalised_gradient_adds_the_l2_term_to_the_weights_only():
    rng = np.random.default_rng(1)
    theta, gradient = rng.standard_normal((2, LAYOUT.size))
    expected = gradient.copy()
    expected[: LAYOUT.n_weights] += 0.5 * theta[: LAYOUT.n_weights]
    scratch = np.empty(LAYOUT.size)
    result = penalised_gradient(gradient, theta, LAYOUT.n_weights, 0.5, scratch)
    assert result is gradient
    np.testing.assert_array_equal(gradient, expected)


def test_step_with_l2_term_equals_step_on_the_penalised_gradient():
    # The L2 term passed to step is what backward_pass adds with alpha.
    rng = np.random.default_rng(2)
    theta = rng.standard_normal(LAYOUT.size)
    for make in (
        lambda: Adam(LAYOUT.size, np.float64, LearningRateSchedule("constant", 0.1)),
        lambda: SGD(LAYOUT.size, np.float64, LearningRateSchedule("constant", 0.1)),
    ):
        inside, outside = theta.copy(), theta.copy()
        first, second = make(), make()
        for _ in range(3):
            gradient = rng.standard_normal(LAYOUT.size)
            penalised = gradient.copy()
            penalised[: LAYOUT.n_weights] += 0.01 * outside[: LAYOUT.n_weights]
            first.step(inside, gradient, LAYOUT.n_weights, 0.01)
            second.step(outside, penalised)
        np.testing.assert_allclose(inside, outside, rtol=1e-14)


def test_optimizers_share_the_interface_the_loop_calls():
    from skann._math.optimizers import SGD, Adam, Optimizer
    from skann._mlp_training import OPTIMIZERS

    assert set(OPTIMIZERS.values()) == {SGD, Adam}
    assert all(issubclass(cls, Optimizer) for cls in OPTIMIZERS.values())
    with pytest.raises(NotImplementedError, match="does not define step"):
        Optimizer().step(np.zeros(1), np.zeros(1))
