"""The optimisers' update as one compiled pass over memory (optional numba).

The NumPy update of :mod:`skann._math.optimizers` (the reference) costs about a dozen
passes over the parameter vector per step: summing the batch shards' gradients,
adding the L2 term, then each of Adam's operations. With the ``skann[numba]`` extra,
the kernels here do the same operations, in the same order and the same dtype, per
entry in one loop, so their results are bit for bit those of the NumPy update. No
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


# One loop per case, each free of branches on the shard count or the penalty, so
# that the compiler vectorises it. g = g0 (+ g1) (+ l2 theta) as total_gradient.
def _adam(theta, g0, g1, m, v, two, penalise, l2, b1, b2, eps, step):
    if two and penalise:
        for i in range(theta.shape[0]):
            g = (g0[i] + g1[i]) + l2 * theta[i]
            _adam_entry(theta, m, v, i, g, b1, b2, eps, step)
    elif two:
        for i in range(theta.shape[0]):
            _adam_entry(theta, m, v, i, g0[i] + g1[i], b1, b2, eps, step)
    elif penalise:
        for i in range(theta.shape[0]):
            g = g0[i] + l2 * theta[i]
            _adam_entry(theta, m, v, i, g, b1, b2, eps, step)
    else:
        for i in range(theta.shape[0]):
            _adam_entry(theta, m, v, i, g0[i], b1, b2, eps, step)


def _sgd(theta, g0, g1, velocity, two, penalise, l2, eta, mu, nesterov):
    if two and penalise:
        for i in range(theta.shape[0]):
            g = (g0[i] + g1[i]) + l2 * theta[i]
            _sgd_entry(theta, velocity, i, g, eta, mu, nesterov)
    elif two:
        for i in range(theta.shape[0]):
            _sgd_entry(theta, velocity, i, g0[i] + g1[i], eta, mu, nesterov)
    elif penalise:
        for i in range(theta.shape[0]):
            g = g0[i] + l2 * theta[i]
            _sgd_entry(theta, velocity, i, g, eta, mu, nesterov)
    else:
        for i in range(theta.shape[0]):
            _sgd_entry(theta, velocity, i, g0[i], eta, mu, nesterov)


if AVAILABLE:
    _FLAGS = {"cache": True, "error_model": "numpy"}
    _adam_entry = njit(inline="always", **_FLAGS)(_adam_entry)
    _sgd_entry = njit(inline="always", **_FLAGS)(_sgd_entry)
    _adam = njit(**_FLAGS)(_adam)
    _sgd = njit(**_FLAGS)(_sgd)


def _pieces(G, part, n_penalised, l2_scale):
    """The penalised and unpenalised pieces of ``part``, each as ``(slice, two,
    penalise)``; at most two shards (what the trainer makes)."""
    if G.shape[0] > 2:
        raise ValueError(f"at most two gradient shards, got {G.shape[0]}")
    start, stop = part
    middle = min(max(n_penalised, start), stop) if l2_scale else start
    return [
        (slice(a, b), G.shape[0] == 2, penalise)
        for a, b, penalise in ((start, middle, True), (middle, stop, False))
        if b > a
    ]


def adam_update(theta, G, m, v, part, n_penalised, l2_scale, b1, b2, eps, step):
    """Adam's step over ``theta[start:stop]`` in one pass (see :class:`Adam`).

    Parameters
    ----------
    theta : ndarray of shape (size,)
        Parameters; updated.
    G : ndarray of shape (n_shards, size)
        Gradient of each batch shard; their sum is the batch gradient.
    m, v : ndarray of shape (size,)
        Adam's moments, kept divided by ``1 - beta``; updated.
    part : tuple of int
        ``(start, stop)``: the entries to update.
    n_penalised : int
        Entries ``[0, n_penalised)`` are weights and get the L2 term.
    l2_scale : float
        ``alpha / n``.
    b1, b2, eps, step : float
        ``beta_1``, ``beta_2``, the scaled ``epsilon`` and the step's factor.
    """
    cast = theta.dtype.type
    for rows, two, penalise in _pieces(G, part, n_penalised, l2_scale):
        _adam(
            theta[rows],
            G[0, rows],
            G[-1, rows],
            m[rows],
            v[rows],
            two,
            penalise,
            cast(l2_scale),
            cast(b1),
            cast(b2),
            cast(eps),
            cast(step),
        )


def sgd_update(theta, G, velocity, part, n_penalised, l2_scale, eta, mu, nesterov):
    """The (Nesterov) momentum step over ``theta[start:stop]`` in one pass.

    Parameters are those of :func:`adam_update`, with ``velocity`` the momentum
    buffer, ``eta`` the learning rate, ``mu`` the momentum and ``nesterov`` the
    choice of Nesterov's form (see :class:`SGD`).
    """
    cast = theta.dtype.type
    for rows, two, penalise in _pieces(G, part, n_penalised, l2_scale):
        _sgd(
            theta[rows],
            G[0, rows],
            G[-1, rows],
            velocity[rows],
            two,
            penalise,
            cast(l2_scale),
            cast(eta),
            cast(mu),
            bool(nesterov),
        )
