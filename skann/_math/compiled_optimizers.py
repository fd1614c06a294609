"""The optimisers' update as one compiled pass over memory (optional numba).

The NumPy update of :mod:`skann._math.optimizers` (the reference) costs about a dozen
passes over the parameter vector per step: adding the L2 term, then each of Adam's
operations. With the ``skann[numba]`` extra, the kernels here do the same
operations, in the same order and the same dtype, entry by entry in one loop, so
their results are bit for bit those of the NumPy update. No
fast-math: ``error_model="numpy"`` only drops Python's zero-division check, which
is what lets the loop use SIMD square roots and divisions. Without numba,
:data:`AVAILABLE` is False and nothing here runs.
"""

import numpy as np

try:
    from numba import njit
except ImportError:  # the optional extra is not installed
    njit = None

#: Whether the compiled update can run (numba is importable).
AVAILABLE = njit is not None


def _adam_entry(theta, m, v, i, g, b1, b2, eps, step):
    m_i = m[i] * b1 + g
    v_i = v[i] * b2 + g * g
    m[i] = m_i
    v[i] = v_i
    theta[i] = theta[i] - (m_i / (np.sqrt(v_i) + eps)) * step


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
def _adam_views(theta, g, m, v, penalise, l2, b1, b2, eps, step):
    if penalise:
        for i in range(theta.shape[0]):
            _adam_entry(theta, m, v, i, g[i] + l2 * theta[i], b1, b2, eps, step)
    else:
        for i in range(theta.shape[0]):
            _adam_entry(theta, m, v, i, g[i], b1, b2, eps, step)


def _sgd_views(theta, g, velocity, penalise, l2, eta, mu, nesterov):
    if penalise:
        for i in range(theta.shape[0]):
            _sgd_entry(theta, velocity, i, g[i] + l2 * theta[i], eta, mu, nesterov)
    else:
        for i in range(theta.shape[0]):
            _sgd_entry(theta, velocity, i, g[i], eta, mu, nesterov)


def _adam(theta, g, m, v, k, l2, b1, b2, eps, step):
    _adam_views(theta[:k], g[:k], m[:k], v[:k], True, l2, b1, b2, eps, step)
    _adam_views(theta[k:], g[k:], m[k:], v[k:], False, l2, b1, b2, eps, step)


def _sgd(theta, g, velocity, k, l2, eta, mu, nesterov):
    _sgd_views(theta[:k], g[:k], velocity[:k], True, l2, eta, mu, nesterov)
    _sgd_views(theta[k:], g[k:], velocity[k:], False, l2, eta, mu, nesterov)


if AVAILABLE:
    _FLAGS = {"cache": True, "error_model": "numpy"}
    _adam_entry = njit(inline="always", **_FLAGS)(_adam_entry)
    _sgd_entry = njit(inline="always", **_FLAGS)(_sgd_entry)
    _adam_views = njit(**_FLAGS)(_adam_views)
    _sgd_views = njit(**_FLAGS)(_sgd_views)
    _adam = njit(**_FLAGS)(_adam)
    _sgd = njit(**_FLAGS)(_sgd)


def _penalised_count(size, n_penalised, l2_scale):
    """How many leading entries get the L2 term: none when there is no penalty
    (``g + 0 theta`` is not ``g`` where ``theta`` is infinite)."""
    return min(n_penalised, size) if l2_scale else 0


def adam_update(theta, g, m, v, n_penalised, l2_scale, b1, b2, eps, step):
    """Adam's step in one pass over memory (see :class:`~skann._math.optimizers.Adam`).

    Parameters
    ----------
    theta : ndarray of shape (size,)
        Parameters; updated.
    g : ndarray of shape (size,)
        Gradient of the unpenalised loss.
    m, v : ndarray of shape (size,)
        Adam's moments, kept divided by ``1 - beta``; updated.
    n_penalised : int
        Entries ``[0, n_penalised)`` are weights and get the L2 term.
    l2_scale : float
        ``alpha / n``.
    b1, b2, eps, step : float
        ``beta_1``, ``beta_2``, the scaled ``epsilon`` and the step's factor.
    """
    cast = theta.dtype.type
    _adam(
        theta,
        g,
        m,
        v,
        _penalised_count(theta.shape[0], n_penalised, l2_scale),
        cast(l2_scale),
        cast(b1),
        cast(b2),
        cast(eps),
        cast(step),
    )


def sgd_update(theta, g, velocity, n_penalised, l2_scale, eta, mu, nesterov):
    """The (Nesterov) momentum step in one pass over memory.

    See :class:`~skann._math.optimizers.SGD` for the update.

    Parameters
    ----------
    theta : ndarray of shape (size,)
        Parameters; updated.
    g : ndarray of shape (size,)
        Gradient of the unpenalised loss.
    velocity : ndarray of shape (size,)
        The momentum buffer ``v``; updated.
    n_penalised : int
        Entries ``[0, n_penalised)`` are weights and get the L2 term.
    l2_scale : float
        ``alpha / n``.
    eta : float
        Learning rate.
    mu : float
        Momentum.
    nesterov : bool
        Nesterov's form of the step.
    """
    cast = theta.dtype.type
    _sgd(
        theta,
        g,
        velocity,
        _penalised_count(theta.shape[0], n_penalised, l2_scale),
        cast(l2_scale),
        cast(eta),
        cast(mu),
        bool(nesterov),
    )
