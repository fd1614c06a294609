"""The optimisers' updates as one compiled pass over memory (numba).

The NumPy updates of :mod:`skann._math.optimizers` (:func:`~skann._math.optimizers.
adam_update`, :func:`~skann._math.optimizers.sgd_update`) cost about a dozen passes
over the parameter vector per step: adding the L2 term, then each of Adam's
operations. The kernels here do the same operations, in the same order and the
same dtype, entry by entry in one loop, so their results are bit for bit those of
the NumPy updates (``tests/kernels/test_optimizer_kernels.py``). No fast-math:
``error_model="numpy"`` only drops Python's zero-division check, which is what lets
the loop use SIMD square roots and divisions.
"""

import numpy as np
from numba import njit

from skann._math.optimizers import penalised_count

_FLAGS = {"cache": True, "error_model": "numpy"}


@njit(inline="always", **_FLAGS)
def _adam_entry(theta, m, v, i, g, b1, b2, eps, step):
    m_i = m[i] * b1 + g
    v_i = v[i] * b2 + g * g
    m[i] = m_i
    v[i] = v_i
    theta[i] = theta[i] - (m_i / (np.sqrt(v_i) + eps)) * step


@njit(inline="always", **_FLAGS)
def _sgd_entry(theta, velocity, i, g, eta, mu, nesterov):
    eta_g = g * eta
    v_i = velocity[i] * mu - eta_g
    velocity[i] = v_i
    if nesterov:
        theta[i] = (theta[i] + v_i * mu) - eta_g
    else:
        theta[i] = theta[i] + v_i


# One loop with the L2 term (over the weights) and one without (over the biases),
# each over its own view and free of branches, so that the compiler vectorises
# both; g + l2 theta as penalised_gradient computes it.
@njit(**_FLAGS)
def _adam_views(theta, g, m, v, penalise, l2, b1, b2, eps, step):
    if penalise:
        for i in range(theta.shape[0]):
            _adam_entry(theta, m, v, i, g[i] + l2 * theta[i], b1, b2, eps, step)
    else:
        for i in range(theta.shape[0]):
            _adam_entry(theta, m, v, i, g[i], b1, b2, eps, step)


@njit(**_FLAGS)
def _sgd_views(theta, g, velocity, penalise, l2, eta, mu, nesterov):
    if penalise:
        for i in range(theta.shape[0]):
            _sgd_entry(theta, velocity, i, g[i] + l2 * theta[i], eta, mu, nesterov)
    else:
        for i in range(theta.shape[0]):
            _sgd_entry(theta, velocity, i, g[i], eta, mu, nesterov)


@njit(**_FLAGS)
def _adam(theta, g, m, v, k, l2, b1, b2, eps, step):
    _adam_views(theta[:k], g[:k], m[:k], v[:k], True, l2, b1, b2, eps, step)
    _adam_views(theta[k:], g[k:], m[k:], v[k:], False, l2, b1, b2, eps, step)


@njit(**_FLAGS)
def _sgd(theta, g, velocity, k, l2, eta, mu, nesterov):
    _sgd_views(theta[:k], g[:k], velocity[:k], True, l2, eta, mu, nesterov)
    _sgd_views(theta[k:], g[k:], velocity[k:], False, l2, eta, mu, nesterov)


def adam_update(theta, g, m, v, n_penalised, l2_scale, b1, b2, eps, step, scratch=None):
    """Adam's step in one pass over memory.

    The kernel of :func:`skann._math.optimizers.adam_update` (same parameters,
    same result bit for bit); see :class:`~skann._math.optimizers.Adam`.

    Its parameters and returns are those of
    :func:`skann._math.optimizers.adam_update`.
    """
    cast = theta.dtype.type
    _adam(
        theta,
        g,
        m,
        v,
        penalised_count(theta.shape[0], n_penalised, l2_scale),
        cast(l2_scale),
        cast(b1),
        cast(b2),
        cast(eps),
        cast(step),
    )


def sgd_update(
    theta, g, velocity, n_penalised, l2_scale, eta, mu, nesterov, scratch=None
):
    """The (Nesterov) momentum step in one pass over memory.

    The kernel of :func:`skann._math.optimizers.sgd_update` (same parameters,
    same result bit for bit); see :class:`~skann._math.optimizers.SGD`.

    Its parameters and returns are those of
    :func:`skann._math.optimizers.sgd_update`.
    """
    cast = theta.dtype.type
    _sgd(
        theta,
        g,
        velocity,
        penalised_count(theta.shape[0], n_penalised, l2_scale),
        cast(l2_scale),
        cast(eta),
        cast(mu),
        bool(nesterov),
    )
