"""The compiled one-pass updates against the NumPy updates, their reference.

Runs when the ``numba`` extra is installed (the ``test`` extra installs it, so CI
runs it). Each kernel does the NumPy update's operations in the same order and
dtype, so the two must agree bit for bit, not only to rounding.
"""

import numpy as np
import pytest

from skann._math import compiled_layers, compiled_optimizers
from skann._math.optimizers import SGD, Adam, LearningRateSchedule

pytestmark = pytest.mark.skipif(
    not compiled_optimizers.AVAILABLE,
    reason="numba (the skann[numba] extra) not installed",
)

SIZE, N_WEIGHTS = 1003, 811  # odd sizes: the vector loops' remainders run too


def _optimizer(kind, dtype, compiled, number):
    schedule = LearningRateSchedule("constant", number(0.01))
    if kind == "adam":
        return Adam(
            SIZE,
            dtype,
            schedule,
            beta_1=number(0.9),
            beta_2=number(0.999),
            epsilon=number(1e-8),
            compiled=compiled,
        )
    return SGD(
        SIZE,
        dtype,
        schedule,
        momentum=number(0.9),
        nesterov=kind == "nesterov",
        compiled=compiled,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["adam", "nesterov", "momentum"])
@pytest.mark.parametrize("l2_scale", [0.0, 1e-3])
# hyper-parameters as Python floats, or as NumPy float64 scalars (what a grid built
# with np.logspace gives), which must not make NumPy compute in float64
@pytest.mark.parametrize("number", [float, np.float64], ids=["float", "np.float64"])
def test_compiled_update_equals_numpy_update_bit_for_bit(dtype, kind, l2_scale, number):
    l2_scale = number(l2_scale)
    rng = np.random.default_rng(0)
    start = rng.standard_normal(SIZE).astype(dtype)
    # an infinite weight: without a penalty its update must not see 0 * inf = NaN
    start[3] = np.inf
    theta = {True: start.copy(), False: start.copy()}
    optimizers = {c: _optimizer(kind, dtype, c, number) for c in (True, False)}
    assert optimizers[True].compiled and not optimizers[False].compiled
    for _ in range(5):
        gradient = rng.standard_normal(SIZE).astype(dtype)
        for compiled, optimizer in optimizers.items():
            # the step uses its gradient as work space: each gets its own copy;
            # with a penalty the infinite weight turns NaN in both (inf / inf)
            with np.errstate(invalid="ignore"):
                optimizer.step(theta[compiled], gradient.copy(), N_WEIGHTS, l2_scale)
    np.testing.assert_array_equal(theta[True], theta[False])
    assert np.isnan(theta[True][3]) == bool(l2_scale)
    assert theta[True].dtype == dtype


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_estimator_learns_the_same_weights_without_numba(
    dtype, solver, weighted, dropout, monkeypatch
):
    # relu (the default activation) and the softmax output (10 classes, its loss
    # and error from class indices) run their compiled layer steps too; with
    # weights the output error scales each row; with dropout the masked deltas'
    # bias gradients are summed after the mask
    from sklearn.datasets import load_digits

    from skann import BackpropMLPClassifier

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(dtype)
    params = dict(
        hidden_layer_sizes=(20,),
        solver=solver,
        alpha=1e-3,
        max_iter=3,
        random_state=0,
        class_weight="balanced" if weighted else None,
        dropout=dropout,
    )
    sw = np.random.default_rng(0).uniform(0, 3, len(y)) if weighted else None
    compiled = BackpropMLPClassifier(**params).fit(X, y, sample_weight=sw)
    monkeypatch.setattr(compiled_optimizers, "AVAILABLE", False)
    monkeypatch.setattr(compiled_layers, "AVAILABLE", False)
    reference = BackpropMLPClassifier(**params).fit(X, y, sample_weight=sw)
    assert not reference._optimizer.compiled and compiled._optimizer.compiled
    for ours, theirs in zip(
        compiled.coefs_ + compiled.intercepts_,
        reference.coefs_ + reference.intercepts_,
        strict=True,
    ):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(compiled.loss_curve_, reference.loss_curve_)
