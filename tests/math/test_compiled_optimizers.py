"""The compiled one-pass updates against the NumPy updates, their reference.

Runs when the ``numba`` extra is installed (the ``test`` extra installs it, so CI
runs it). Each kernel does the NumPy update's operations in the same order and
dtype, so the two must agree bit for bit, not only to rounding.
"""

import numpy as np
import pytest

from skann._math import compiled_optimizers
from skann._math.optimizers import SGD, Adam, LearningRateSchedule

pytestmark = pytest.mark.skipif(
    not compiled_optimizers.AVAILABLE,
    reason="numba (the skann[numba] extra) not installed",
)

SIZE, N_WEIGHTS = 1003, 811  # odd sizes: the vector loops' remainders run too


def _optimizer(kind, dtype, compiled):
    schedule = LearningRateSchedule("constant", 0.01)
    if kind == "adam":
        return Adam(SIZE, dtype, schedule, compiled=compiled)
    return SGD(
        SIZE,
        dtype,
        schedule,
        momentum=0.9,
        nesterov=kind == "nesterov",
        compiled=compiled,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["adam", "nesterov", "momentum"])
@pytest.mark.parametrize("n_shards", [1, 2])
@pytest.mark.parametrize("l2_scale", [0.0, 1e-3])
def test_compiled_update_equals_numpy_update_bit_for_bit(
    dtype, kind, n_shards, l2_scale
):
    rng = np.random.default_rng(0)
    start = rng.standard_normal(SIZE).astype(dtype)
    theta = {True: start.copy(), False: start.copy()}
    optimizers = {c: _optimizer(kind, dtype, c) for c in (True, False)}
    assert optimizers[True].compiled and not optimizers[False].compiled
    # Two threads' parts, cut inside the weights, as the trainer cuts them.
    parts = [(0, 500), (500, SIZE)]
    for _ in range(5):
        G = rng.standard_normal((n_shards, SIZE)).astype(dtype)
        for compiled, optimizer in optimizers.items():
            optimizer.begin_step()
            shards = G.copy()  # the update uses its gradient as work space
            for part in parts:
                optimizer.update(theta[compiled], shards, part, N_WEIGHTS, l2_scale)
    np.testing.assert_array_equal(theta[True], theta[False])
    assert theta[True].dtype == dtype


def test_more_than_two_shards_are_refused():
    adam = Adam(SIZE, np.float64, LearningRateSchedule("constant", 0.01))
    adam.begin_step()
    with pytest.raises(ValueError, match="two gradient shards"):
        adam.update(np.zeros(SIZE), np.zeros((3, SIZE)), (0, SIZE))
