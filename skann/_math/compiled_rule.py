"""The exact online perceptron rule as a compiled per-sample loop (optional numba).

With the ``skann[numba]`` extra installed, :func:`online_epoch_compiled` runs the
textbook loop of ``docs/math/perceptron`` sample by sample in machine code: the net
input of each neuron, and on a mistake ``W <- W + eta t p^T``, ``b <- b + eta t``.
Each step equals a step of the vectorised NumPy epoch
(:func:`skann._math.perceptron_rule.online_epoch`, the reference implementation)
up to rounding; since a mistake is decided by the sign of a rounded net input, two
whole fits can part ways where one net input rounds to the other side of the
margin, which in float32 on large data does happen. It is used for dense input
without penalty; everything else keeps the NumPy epoch. Without numba,
:data:`AVAILABLE` is False and nothing here runs.

The averaged perceptron stays O(mistakes): with ``C_j`` the total averaging weight
before step ``j``, ``sum_k omega_k W_{k+1} = C W_last - sum_j C_j Delta_j``, so only
the correction ``U = sum_j C_j Delta_j`` is updated, on mistakes.
"""

import numpy as np

try:
    from numba import njit
except ImportError:  # the optional extra is not installed
    njit = None

#: Whether the compiled epoch can run (numba is importable).
AVAILABLE = njit is not None


def _steps(margin, tau, eta, sq_norm, weight):
    # Scalar form of skann._math.perceptron_rule.steps_to_correct.
    if weight == 1.0 or sq_norm <= 0.0:
        return weight
    needed = np.floor((tau - margin) / (eta * sq_norm)) + 1.0
    return min(needed, weight)


def _dot(X, row, w, R):
    # Four partial sums in a fixed order: deterministic whatever the alignment,
    # and independent, so the processor overlaps them.
    zero = w[0] * 0  # accumulate in the data's own dtype (float32 stays float32)
    a0 = a1 = a2 = a3 = zero
    full = R - R % 4
    for r in range(0, full, 4):
        a0 += w[r] * X[row, r]
        a1 += w[r + 1] * X[row, r + 1]
        a2 += w[r + 2] * X[row, r + 2]
        a3 += w[r + 3] * X[row, r + 3]
    total = (a0 + a1) + (a2 + a3)
    for r in range(full, R):
        total += w[r] * X[row, r]
    return total


def _net_inputs(X, row, Wt, b, n):
    # n = W p + b for all S neurons; the loop over neurons is innermost so it runs
    # on contiguous memory (Wt is W transposed) and each n_s keeps a fixed order.
    R, S = Wt.shape
    for s in range(S):
        n[s] = b[s]
    for r in range(R):
        x = X[row, r]
        for s in range(S):
            n[s] += Wt[r, s] * x


def _move(Wt, b, U, Ub, s, step, X, row, C, averaging, bias):
    # Neuron s learns step * p (W and b), and the averaging correction U gains
    # C times the same update (see the module docstring).
    R = Wt.shape[0]
    for r in range(R):
        Wt[r, s] += step * X[row, r]
    if averaging:
        for r in range(R):
            U[s, r] += C * step * X[row, r]
        Ub[s] += C * step * bias
    if bias:
        b[s] += step


def _independent(X, T, order, sw, W, b, U, Ub, n_updates, eta, tau, bias, average_from):
    """Binary, one-vs-rest and multilabel neurons; returns mistakes, loss, C."""
    averaging = average_from <= order.shape[0]
    S, R = W.shape
    Wt = np.ascontiguousarray(W.T)
    n = np.empty(S, dtype=W.dtype)
    n_mistakes = 0
    loss = 0.0
    C = 0.0
    for i in range(order.shape[0]):
        row = order[i]
        w = sw[row]
        sq_norm = -1.0
        erred = False
        if S == 1:
            n[0] = b[0] + _dot(X, row, Wt[:, 0], R)
        else:
            _net_inputs(X, row, Wt, b, n)
        for s in range(S):
            t = T[row, s]
            m = t * n[s]
            if m <= tau:
                if sq_norm < 0.0:
                    sq_norm = bias
                    for r in range(R):
                        sq_norm += X[row, r] * X[row, r]
                step = eta * _steps(m, tau, eta, sq_norm, w) * t
                _move(Wt, b, U, Ub, s, step, X, row, C, averaging, bias)
                loss += w * max(0.0, -m)
                n_updates[s] += 1
                erred = True
        if erred:
            n_mistakes += 1
        if i + 1 > average_from:
            C += w
    W[:, :] = Wt.T
    return n_mistakes, loss, C


def _multinomial(X, y, order, sw, W, b, U, Ub, n_updates, eta, tau, bias, average_from):
    """Kesler's rule: on a mistake the true row gains p, the best rival loses it."""
    averaging = average_from <= order.shape[0]
    S = W.shape[0]
    Wt = np.ascontiguousarray(W.T)
    n = np.empty(S, dtype=W.dtype)
    n_mistakes = 0
    loss = 0.0
    C = 0.0
    for i in range(order.shape[0]):
        row = order[i]
        w = sw[row]
        _net_inputs(X, row, Wt, b, n)
        true = y[row]
        rival = -1
        for s in range(S):
            if s != true and (rival < 0 or n[s] > n[rival]):
                rival = s
        m = n[true] - n[rival]
        if m <= tau:
            step = eta * w
            _move(Wt, b, U, Ub, true, step, X, row, C, averaging, bias)
            _move(Wt, b, U, Ub, rival, -step, X, row, C, averaging, bias)
            loss += w * max(0.0, -m)
            n_updates[true] += 1
            n_updates[rival] += 1
            n_mistakes += 1
        if i + 1 > average_from:
            C += w
    W[:, :] = Wt.T
    return n_mistakes, loss, C


if AVAILABLE:
    # No fast-math: reassociating the dot products would make their rounding, and
    # so the model, depend on memory alignment; the same random_state must give
    # the same model bit for bit.
    _FLAGS = {"cache": True}
    _steps = njit(**_FLAGS)(_steps)
    _dot = njit(**_FLAGS)(_dot)
    _net_inputs = njit(**_FLAGS)(_net_inputs)
    _move = njit(**_FLAGS)(_move)
    _independent = njit(**_FLAGS)(_independent)
    _multinomial = njit(**_FLAGS)(_multinomial)


def online_epoch_compiled(X, T, order, state, settings, sample_weight=None):
    """One pass of the exact online rule, compiled; same contract as the NumPy epoch.

    Parameters
    ----------
    X : ndarray of shape (n_samples, R)
        Dense samples.
    T : ndarray
        Targets: ``(n_samples, S)`` in {-1, +1}, or class codes for the
        multinomial rule.
    order : ndarray of int
        Rows to visit, in order.
    state : RuleState
        Updated in place.
    settings : RuleSettings
        Hyper-parameters; ``shrink`` must be 1 and ``l1_step`` 0.
    sample_weight : ndarray of shape (n_samples,), default=None
        Positive weights.

    Returns
    -------
    EpochResult
    """
    from skann._math.perceptron_rule import EpochResult

    dtype = state.coef.dtype
    sw = (
        np.ones(X.shape[0], dtype=np.float64)
        if sample_weight is None
        else np.asarray(sample_weight, dtype=np.float64)
    )
    averaging = settings.average_start is not None
    average_from = (
        max(settings.average_start - state.n_visits, 0) if averaging else len(order) + 1
    )
    U = np.zeros_like(state.coef)
    Ub = np.zeros_like(state.intercept)
    kernel = _multinomial if settings.multinomial else _independent
    n_mistakes, loss, C = kernel(
        X,
        T,
        np.asarray(order, dtype=np.intp),
        sw,
        state.coef,
        state.intercept,
        U,
        Ub,
        state.n_updates,
        float(settings.eta),
        float(settings.tau),
        1.0 if settings.fit_intercept else 0.0,
        float(average_from),
    )
    if averaging:
        state.coef_sum += (C * state.coef - U).astype(dtype, copy=False)
        if settings.fit_intercept:
            state.intercept_sum += (C * state.intercept - Ub).astype(dtype, copy=False)
        state.n_averaged += float(C)
    state.n_visits += len(order)
    return EpochResult(n_mistakes=int(n_mistakes), loss=float(loss))
