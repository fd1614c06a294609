"""The optimisers' update as one compiled pass over memory (optional numba).

The NumPy update of :mod:`skann._math.optimizers` (the reference) costs about a dozen
passes over the parameter vector per step: adding the L2 term, then each of Adam's
operations. With the ``skann[numba]`` extra, the kernels here do the same
operations, in the same order and the same dtype, entry by entry in one loop, so
their results are bit for bit those of the NumPy update. The same pass adds up
the squares of the updated weights, which the next batch's L2 penalty reads, in
the order of :func:`skann._math.losses.squared_norm`. No
fast-math: ``error_model="numpy"`` only drops Python's zero-division check, which
is what lets the loop use SIMD square roots and divisions. Without numba,
:data:`AVAILABLE` is False and nothing here runs.
"""

import numpy as np

from skann._math.compiled_layers import PAIRWISE_LIMIT, _pairwise_row_sum
from skann._math.losses import SQUARES_LANES as _LANES

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
# both; g + l2 theta as penalised_gradient computes it. The weights' loop also
# adds up the squares of the updated weights, in squared_norm's order: entry i
# into running sum i mod _LANES (each running sum its own vector lane, so no
# reordering of floating-point sums is needed to vectorise it).
def _adam_views(theta, g, m, v, penalise, l2, b1, b2, eps, step, lanes):
    if penalise:
        full = theta.shape[0] - theta.shape[0] % _LANES
        for start in range(0, full, _LANES):
            for lane in range(_LANES):
                i = start + lane
                _adam_entry(theta, m, v, i, g[i] + l2 * theta[i], b1, b2, eps, step)
                lanes[lane] += theta[i] * theta[i]
        for lane in range(theta.shape[0] - full):
            i = full + lane
            _adam_entry(theta, m, v, i, g[i] + l2 * theta[i], b1, b2, eps, step)
            lanes[lane] += theta[i] * theta[i]
    else:
        for i in range(theta.shape[0]):
            _adam_entry(theta, m, v, i, g[i], b1, b2, eps, step)


def _sgd_views(theta, g, velocity, penalise, l2, eta, mu, nesterov, lanes):
    if penalise:
        full = theta.shape[0] - theta.shape[0] % _LANES
        for start in range(0, full, _LANES):
            for lane in range(_LANES):
                i = start + lane
                _sgd_entry(theta, velocity, i, g[i] + l2 * theta[i], eta, mu, nesterov)
                lanes[lane] += theta[i] * theta[i]
        for lane in range(theta.shape[0] - full):
            i = full + lane
            _sgd_entry(theta, velocity, i, g[i] + l2 * theta[i], eta, mu, nesterov)
            lanes[lane] += theta[i] * theta[i]
    else:
        for i in range(theta.shape[0]):
            _sgd_entry(theta, velocity, i, g[i], eta, mu, nesterov)


def _lanes_total(lanes):
    # NumPy's pairwise sum of the _LANES running sums (a power of two times
    # PAIRWISE_LIMIT): its recursion halves them down to blocks of PAIRWISE_LIMIT
    # and adds the block sums back up as a balanced tree. Block b's sum is stored
    # in lanes[b], an entry of block 0, which has been summed already.
    blocks = _LANES // PAIRWISE_LIMIT
    for b in range(blocks):
        lanes[b] = _pairwise_row_sum(
            lanes[b * PAIRWISE_LIMIT : (b + 1) * PAIRWISE_LIMIT]
        )
    while blocks > 1:
        blocks //= 2
        for b in range(blocks):
            lanes[b] = lanes[2 * b] + lanes[2 * b + 1]
    return lanes[0]


def _adam(theta, g, m, v, k, l2, b1, b2, eps, step):
    lanes = np.zeros(_LANES, theta.dtype)
    _adam_views(theta[:k], g[:k], m[:k], v[:k], True, l2, b1, b2, eps, step, lanes)
    _adam_views(theta[k:], g[k:], m[k:], v[k:], False, l2, b1, b2, eps, step, lanes)
    return _lanes_total(lanes)


def _sgd(theta, g, velocity, k, l2, eta, mu, nesterov):
    lanes = np.zeros(_LANES, theta.dtype)
    _sgd_views(theta[:k], g[:k], velocity[:k], True, l2, eta, mu, nesterov, lanes)
    _sgd_views(theta[k:], g[k:], velocity[k:], False, l2, eta, mu, nesterov, lanes)
    return _lanes_total(lanes)


if AVAILABLE:
    _FLAGS = {"cache": True, "error_model": "numpy"}
    _adam_entry = njit(inline="always", **_FLAGS)(_adam_entry)
    _sgd_entry = njit(inline="always", **_FLAGS)(_sgd_entry)
    _adam_views = njit(**_FLAGS)(_adam_views)
    _sgd_views = njit(**_FLAGS)(_sgd_views)
    _lanes_total = njit(**_FLAGS)(_lanes_total)
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

    Returns
    -------
    squares : float
        :func:`~skann._math.losses.squared_norm` of the updated weights
        ``theta[:n_penalised]`` (0.0 without a penalty), added up during the
        update.
    """
    cast = theta.dtype.type
    squares = _adam(
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
    return float(squares)


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

    Returns
    -------
    squares : float
        :func:`~skann._math.losses.squared_norm` of the updated weights
        ``theta[:n_penalised]`` (0.0 without a penalty), added up during the
        update.
    """
    cast = theta.dtype.type
    squares = _sgd(
        theta,
        g,
        velocity,
        _penalised_count(theta.shape[0], n_penalised, l2_scale),
        cast(l2_scale),
        cast(eta),
        cast(mu),
        bool(nesterov),
    )
    return float(squares)
