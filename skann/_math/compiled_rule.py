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

Gallant's pocket is kept sample by sample: each neuron's run grows after each correct
sample, and the training set is counted (in the kernel) when it beats the pocket's
run. Runs and counts are added in the same order as in the NumPy epoch, so the two
take the same pocket decisions wherever their net inputs (here a compiled loop, there
a BLAS product) round to the same side of each comparison.
"""

import numpy as np

try:
    from numba import njit
except ImportError:  # the optional extra is not installed
    njit = None

#: Whether the compiled epoch can run (numba is importable).
AVAILABLE = njit is not None

# Rows gathered at a time into a contiguous buffer (see _gather), at most 1 MiB.
_CHUNK = 256
_CHUNK_BYTES = 1 << 20

# What a pocket knows of the current weights (as in skann._math.perceptron_rule).
_FRESH, _POCKETED, _REJECTED = 0, 1, 2


def _steps(margin, tau, eta, sq_norm, weight):
    # Scalar form of skann._math.perceptron_rule.steps_to_correct.
    if weight == 1.0 or sq_norm <= 0.0:
        return weight
    needed = np.floor((tau - margin) / (eta * sq_norm)) + 1.0
    return min(needed, weight)


def _repetition_correction(steps):
    # Scalar form of skann._math.perceptron_rule.repetition_correction.
    whole = np.floor(steps)
    return whole * (whole - 1.0) / 2.0 + (steps - whole) * whole


def _repetition_loss(margin, gain, steps):
    # Scalar form of skann._math.perceptron_rule.repetition_loss.
    whole = np.floor(steps)
    if margin >= 0.0:
        erring = 0.0
    elif gain > 0.0:
        erring = min(whole, np.ceil(-margin / gain))
    else:
        erring = whole
    loss = erring * -margin - gain * erring * (erring - 1.0) / 2.0
    return loss + (steps - whole) * max(0.0, -(margin + whole * gain))


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


def _neuron_errors(X, rows, T, sw, Wt, b, s):
    # Weighted mistakes of neuron s on the training rows, added in their order
    # (as skann._math.perceptron_rule.pocket_errors does).
    R = Wt.shape[0]
    wrong = 0.0
    for q in range(rows.shape[0]):
        row = rows[q]
        n = b[s] + _dot(X, row, Wt[:, s], R)
        if (n > 0) != (T[row, s] > 0):
            wrong += sw[row]
    return wrong


def _machine_errors(X, rows, y, sw, Wt, b, n):
    # Weighted arg-max mistakes of the Kesler machine on the training rows.
    S = Wt.shape[1]
    wrong = 0.0
    for q in range(rows.shape[0]):
        row = rows[q]
        _net_inputs(X, row, Wt, b, n)
        best = 0
        for s in range(1, S):
            if n[s] > n[best]:
                best = s
        if best != y[row]:
            wrong += sw[row]
    return wrong


def _chunk_rows(X, order):
    # Rows of the gather buffer: _CHUNK, fewer for wide rows or short epochs.
    fit = max(1, _CHUNK_BYTES // (X.shape[1] * X.itemsize))
    return max(1, min(_CHUNK, fit, order.shape[0]))


def _gather(X, order, first, buffer):
    # Copy the rows order[first:first + len(buffer)] into the contiguous buffer.
    # The copies' loads do not wait on each other, so the processor fetches many
    # rows from memory at once; the per-sample loop then reads from cache.
    stop = min(first + buffer.shape[0], order.shape[0])
    for k in range(stop - first):
        row = order[first + k]
        for r in range(X.shape[1]):
            buffer[k, r] = X[row, r]


def _rival(n, true):
    # The highest-scoring wrong class (the first of equals, as argmax).
    rival = -1
    for s in range(n.shape[0]):
        if s != true and (rival < 0 or n[s] > n[rival]):
            rival = s
    return rival


def _pocket_rows(PW, Pb, Wt, b, first, stop):
    # Put rows first .. stop - 1 of the current weights in the pocket.
    for s in range(first, stop):
        for r in range(Wt.shape[0]):
            PW[s, r] = Wt[r, s]
        Pb[s] = b[s]


def _independent(
    X,
    T,
    order,
    sw,
    W,
    b,
    U,
    Ub,
    n_updates,
    eta,
    tau,
    bias,
    average_from,
    pocketing,
    block,
    rows,
    psw,
    PW,
    Pb,
    p_errors,
    p_best,
    p_run,
    p_status,
    n_checks,
):
    """Binary, one-vs-rest and multilabel neurons; returns mistakes, loss, C."""
    averaging = average_from <= order.shape[0]
    S, R = W.shape
    Wt = np.ascontiguousarray(W.T)
    n = np.empty(S, dtype=W.dtype)
    n_mistakes = 0
    loss = 0.0
    C = 0.0
    # Pocket runs: start[s] + (cw - base[s]), cw the prefix sum of the weights in
    # the current block of `block` rows (how the NumPy epoch forms them).
    start = p_run.copy()
    base = np.zeros(S)
    cw = 0.0
    P = np.empty((_chunk_rows(X, order), R), dtype=X.dtype)
    for i in range(order.shape[0]):
        row = order[i]
        w = sw[row]
        k = i % P.shape[0]  # the sample is row k of the gathered chunk P
        if k == 0:
            _gather(X, order, i, P)
        if pocketing:
            if i % block == 0:
                for s in range(S):
                    start[s] += cw - base[s]
                    base[s] = 0.0
                cw = 0.0
            cw += w
        sq_norm = -1.0
        erred = False
        if S == 1:
            n[0] = b[0] + _dot(P, k, Wt[:, 0], R)
        else:
            _net_inputs(P, k, Wt, b, n)
        for s in range(S):
            t = T[row, s]
            m = t * n[s]
            if m <= tau:
                if sq_norm < 0.0:
                    sq_norm = bias
                    for r in range(R):
                        sq_norm += P[k, r] * P[k, r]
                steps = _steps(m, tau, eta, sq_norm, w)
                loss += _repetition_loss(m, eta * sq_norm, steps)
                C_move = C
                if steps > 1.0 and i + 1 > average_from:
                    # the copies a multi-step visit stands for saw the
                    # intermediate weights (perc-average-repetitions)
                    C_move = C + _repetition_correction(steps) / steps
                _move(Wt, b, U, Ub, s, eta * steps * t, P, k, C_move, averaging, bias)
                n_updates[s] += 1
                erred = True
                if pocketing:
                    # the copies of an integer weight left after its steps are
                    # classified correctly: they start the new run
                    start[s] = w - steps
                    base[s] = cw
                    p_status[s] = _FRESH
            if pocketing:
                run = start[s] + (cw - base[s])
                if p_status[s] == _POCKETED:
                    p_best[s] = run
                elif p_status[s] == _FRESH and run > p_best[s]:
                    n_checks[0] += 1
                    errors = _neuron_errors(X, rows, T, psw, Wt, b, s)
                    if errors < p_errors[s]:
                        _pocket_rows(PW, Pb, Wt, b, s, s + 1)
                        p_errors[s] = errors
                        p_best[s] = run
                        p_status[s] = _POCKETED
                    else:
                        p_status[s] = _REJECTED
        if erred:
            n_mistakes += 1
        if i + 1 > average_from:
            C += w
    if pocketing:
        for s in range(S):
            p_run[s] = start[s] + (cw - base[s])
    W[:, :] = Wt.T
    return n_mistakes, loss, C


def _multinomial(
    X,
    y,
    order,
    sw,
    W,
    b,
    U,
    Ub,
    n_updates,
    eta,
    tau,
    bias,
    average_from,
    pocketing,
    block,
    rows,
    psw,
    PW,
    Pb,
    p_errors,
    p_best,
    p_run,
    p_status,
    n_checks,
):
    """Kesler's rule: on a mistake the true row gains p, the best rival loses it."""
    averaging = average_from <= order.shape[0]
    S, R = W.shape
    Wt = np.ascontiguousarray(W.T)
    n = np.empty(S, dtype=W.dtype)
    touched = np.zeros(S, dtype=np.bool_)
    n_mistakes = 0
    loss = 0.0
    C = 0.0
    start = p_run[0]
    base = 0.0
    cw = 0.0
    P = np.empty((_chunk_rows(X, order), R), dtype=X.dtype)
    for i in range(order.shape[0]):
        row = order[i]
        w = sw[row]
        k = i % P.shape[0]  # the sample is row k of the gathered chunk P
        if k == 0:
            _gather(X, order, i, P)
        if pocketing:
            if i % block == 0:
                start += cw - base
                base = 0.0
                cw = 0.0
            cw += w
        _net_inputs(P, k, Wt, b, n)
        true = y[row]
        rival = _rival(n, true)
        m = n[true] - n[rival]
        if m <= tau:
            # w copies in a row: unit steps against the rival of the moment while
            # the sample errs and copies are left (the NumPy scan's loop)
            gain = bias
            for r in range(R):
                gain += P[k, r] * P[k, r]
            gain *= eta
            counted = i + 1 > average_from
            touched[:] = False
            left = w
            taken = 0.0
            while left > 0.0 and m <= tau:
                step = min(1.0, left)
                # a step after `taken` copies counts that much less in the average
                C_move = C + taken if counted else C
                _move(Wt, b, U, Ub, true, eta * step, P, k, C_move, averaging, bias)
                _move(Wt, b, U, Ub, rival, -eta * step, P, k, C_move, averaging, bias)
                loss += step * max(0.0, -m)
                touched[true] = True
                touched[rival] = True
                n[true] += gain * step
                n[rival] -= gain * step
                taken += step
                left -= step
                rival = _rival(n, true)
                m = n[true] - n[rival]
            for s in range(S):
                if touched[s]:
                    n_updates[s] += 1
            n_mistakes += 1
            if pocketing:
                start = w - taken
                base = cw
                p_status[0] = _FRESH
        if pocketing:
            run = start + (cw - base)
            if p_status[0] == _POCKETED:
                p_best[0] = run
            elif p_status[0] == _FRESH and run > p_best[0]:
                n_checks[0] += 1
                errors = _machine_errors(X, rows, y, psw, Wt, b, n)
                if errors < p_errors[0]:
                    _pocket_rows(PW, Pb, Wt, b, 0, S)
                    p_errors[0] = errors
                    p_best[0] = run
                    p_status[0] = _POCKETED
                else:
                    p_status[0] = _REJECTED
        if i + 1 > average_from:
            C += w
    if pocketing:
        p_run[0] = start + (cw - base)
    W[:, :] = Wt.T
    return n_mistakes, loss, C


if AVAILABLE:
    # No fast-math: reassociating the dot products would make their rounding, and
    # so the model, depend on memory alignment; the same random_state must give
    # the same model bit for bit.
    _FLAGS = {"cache": True}
    _steps = njit(**_FLAGS)(_steps)
    _repetition_correction = njit(**_FLAGS)(_repetition_correction)
    _repetition_loss = njit(**_FLAGS)(_repetition_loss)
    _dot = njit(**_FLAGS)(_dot)
    _net_inputs = njit(**_FLAGS)(_net_inputs)
    _move = njit(**_FLAGS)(_move)
    _gather = njit(**_FLAGS)(_gather)
    _chunk_rows = njit(**_FLAGS)(_chunk_rows)
    _neuron_errors = njit(**_FLAGS)(_neuron_errors)
    _machine_errors = njit(**_FLAGS)(_machine_errors)
    _pocket_rows = njit(**_FLAGS)(_pocket_rows)
    _rival = njit(**_FLAGS)(_rival)
    _independent = njit(**_FLAGS)(_independent)
    _multinomial = njit(**_FLAGS)(_multinomial)


def online_epoch_compiled(
    X, T, order, state, settings, sample_weight=None, pocket=None
):
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
    pocket : PocketState, default=None
        Gallant's pocket, updated in place (see
        :class:`skann._math.perceptron_rule.PocketState`).

    Returns
    -------
    EpochResult
    """
    from skann._math.perceptron_rule import BLOCK_SIZE, EpochResult

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
    n_checks = np.zeros(1, dtype=np.int64)
    if pocket is None:  # placeholders of the right types, never read
        pockets = (
            np.zeros(0, dtype=np.intp),
            np.zeros(0),
            np.zeros_like(state.coef),
            np.zeros_like(state.intercept),
            np.zeros(1),
            np.zeros(1),
            np.zeros(1),
            np.zeros(1, dtype=np.int8),
        )
    else:
        pockets = (
            pocket.rows,
            pocket.sample_weight,
            pocket.coef,
            pocket.intercept,
            pocket.errors,
            pocket.best_run,
            pocket.run,
            pocket.status,
        )
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
        pocket is not None,
        BLOCK_SIZE,
        *pockets,
        n_checks,
    )
    if pocket is not None:
        pocket.n_checks += int(n_checks[0])
    if averaging:
        state.coef_sum += (C * state.coef - U).astype(dtype, copy=False)
        if settings.fit_intercept:
            state.intercept_sum += (C * state.intercept - Ub).astype(dtype, copy=False)
        state.n_averaged += float(C)
    state.n_visits += len(order)
    return EpochResult(n_mistakes=int(n_mistakes), loss=float(loss))
