"""The online perceptron rule compiled: O(non-zeros of p) work per visit.

:func:`online_epoch` reproduces :func:`skann._math.perceptron_rule.online_epoch` (same
name, same signature, the same steps in the same order) with the bookkeeping of
:mod:`skann._math.lazy_updates`, so that no step of a visit costs O(R):

- the weights are kept as ``W = s V``: the L2 shrink multiplies the scalar ``s``;
- the L1 penalty touches only the sample's features (as in the reference);
- the averaged perceptron keeps ``sum_k W_k = U + beta V`` and updates ``U`` only
  where ``V`` changes; ``U`` and ``beta`` carry over from one epoch to the next
  (``RuleState.average_beta``).

For CSR rows the kernel reads the weights as ``Vt`` (R, S), C-ordered, so the S
weights of one feature sit side by side; for dense rows as ``V`` (S, R), C-ordered,
so each neuron's R weights sit side by side. (``Vt`` and ``V`` are the same memory,
transposed; the helpers are inlined into the epoch, since a call passes arrays with
atomic reference counting that costs more than a dense step.) The net input is
summed in float64 over the sample's non-zero entries in column order (four partial
sums, column c into sum c % 4; for a dense row, the four lanes of one vector,
:mod:`skann._kernels.lane_sums`), the same for a dense row and its CSR form: the
same data stored either way train the same model bit for bit. While it works on one
visit, the kernel asks the processor for the memory of a later visit
(:mod:`skann._kernels.prefetch`): the row of a dense ``X``; for CSR, the row's
entries and then the weights of its features.
The kernel returns to Python after each epoch, where Ctrl-C is seen.
"""

import numpy as np
from numba import njit, types
from numba.extending import overload
from scipy import sparse

from skann._kernels.lane_sums import lane_sums
from skann._kernels.prefetch import LINE_BYTES, prefetch
from skann._math.perceptron_rule import EpochResult

# Below this the scale s is folded into V (as scikit-learn's WeightVector does).
_MIN_SCALE = 1e-9
# How many visits ahead the memory of a row is asked for: far enough that it arrives
# before the visit, near enough that it is still in cache then. A CSR row's entries
# are asked for twice as far ahead as its weights, which need the entries' columns.
# (Measured: 3 or 4 beat 2, 6, 8 and 16 on CSR epochs, by 5-10 % against 8.)
_AHEAD = 4
# ``average_from`` of a rule that does not average: a visit number never reached
_NEVER = np.iinfo(np.int64).max
# The weights a CSR row selects are asked for ahead only when there are more than
# this many bytes of them: fewer stay in a core's cache (load_digits' 5 KiB epochs
# measured 7 % faster without asking, a text model's 12 MiB 20 % slower).
_FAR_WEIGHTS = 1 << 20


@njit(cache=True, inline="always")
def _dense_entries(X, row, columns, values):
    # The non-zero entries of a dense row, in column order; returns their count.
    nnz = 0
    for j in range(X.shape[1]):
        x = X[row, j]
        if x != 0:
            columns[nnz] = j
            values[nnz] = x
            nnz += 1
    return nnz


@njit(cache=True, inline="always")
def _sparse_entries(indptr, indices, data, row, columns, values):
    # The stored non-zero entries of a canonical CSR row (explicit zeros skipped:
    # each entry is written, and the next one overwrites it if it is a zero; with no
    # branch this measured 7 % faster CSR epochs on load_digits).
    nnz = 0
    for k in range(indptr[row], indptr[row + 1]):
        x = data[k]
        columns[nnz] = indices[k]
        values[nnz] = x
        nnz += x != 0
    return nnz


@njit(cache=True, inline="always")
def _net_inputs(Vt, b, scale, columns, values, nnz, n, partial):
    # n = s (V p) + b summed in float64 in column order into four partial sums per
    # neuron, column c into sum c % 4, as _dense_net_inputs does: the same numbers,
    # dense or sparse, give the same sums. Entry by entry, the S neurons' sums of
    # one row of ``partial`` (4, S) are updated together.
    S = Vt.shape[1]
    partial[:, :] = 0.0
    for k in range(nnz):
        c = columns[k]
        x = np.float64(values[k])
        for s in range(S):
            partial[c & 3, s] += np.float64(Vt[c, s]) * x
    for s in range(S):
        total = (partial[0, s] + partial[1, s]) + (partial[2, s] + partial[3, s])
        n[s] = scale * total + b[s]


@njit(cache=True, inline="always")
def _dense_net_inputs(V, b, scale, X, row, n):
    # The same sums read straight from a dense row (a zero entry adds an exact 0),
    # as vector lanes (lane_sums). V (S, R) holds each neuron's weights side by
    # side. Neurons go two at a time: one neuron's sums each wait for the adder's
    # last result, two neurons' keep it busy (and share the row's loads).
    S = n.shape[0]
    for s in range(0, S - 1, 2):
        a0, a1, a2, a3, d0, d1, d2, d3 = lane_sums(V, s, X, row, 2)
        n[s] = scale * ((a0 + a1) + (a2 + a3)) + b[s]
        n[s + 1] = scale * ((d0 + d1) + (d2 + d3)) + b[s + 1]
    for s in range(S - S % 2, S):  # the last neuron of an odd S, alone
        a0, a1, a2, a3 = lane_sums(V, s, X, row, 1)
        n[s] = scale * ((a0 + a1) + (a2 + a3)) + b[s]


def _stored(value, like):
    """``value`` as a weight of the model holds it: rounded to ``like``'s dtype."""


@overload(_stored, inline="always")
def _stored_compiled(value, like):
    # ``like``: an array in the model's dtype. The weights of a float32 model that
    # dense rows read are kept in float64 during the epoch, so that the net input
    # reads them without converting each one (with ten neurons those conversions
    # bound the epoch); each weight written is rounded to float32, so that they
    # hold the float32 model's values exactly.
    if like.dtype == types.float32:
        return lambda value, like: np.float64(np.float32(value))
    return lambda value, like: value


@njit(cache=True, inline="always")
def _add_dense_row(V, U, beta, averaging, s, step, X, row):
    # V[s] += step p for every feature of a dense row: a zero entry adds an exact 0;
    # U -= beta * the change. V and U are (S, R): neuron s's weights side by side.
    # (A dense step writes every weight, so they are checked once after the epoch.)
    R = X.shape[1]
    if averaging:
        for j in range(R):
            old = V[s, j]
            V[s, j] = _stored(old + step * X[row, j], X)
            U[s, j] -= beta * (np.float64(V[s, j]) - np.float64(old))
    else:
        for j in range(R):
            V[s, j] = _stored(V[s, j] + step * X[row, j], X)


@njit(cache=True, inline="always")
def _prefetch_dense_row(X, row):
    # every cache line of X[row]
    step = max(1, LINE_BYTES // X.itemsize)
    for c in range(0, X.shape[1], step):
        prefetch(X, (row, c))
    prefetch(X, (row, X.shape[1] - 1))


@njit(cache=True, inline="always")
def _prefetch_sparse_row(indptr, indices, data, row):
    # every cache line of the row's stored columns and values
    first, last = indptr[row], indptr[row + 1]
    if last > first:
        for k in range(first, last, max(1, LINE_BYTES // indices.itemsize)):
            prefetch(indices, k)
        prefetch(indices, last - 1)
        for k in range(first, last, max(1, LINE_BYTES // data.itemsize)):
            prefetch(data, k)
        prefetch(data, last - 1)


@njit(cache=True, inline="always")
def _prefetch_weights(A, indptr, indices, row):
    # the rows of A (R, S) that the CSR row's features select
    last = A.shape[1] - 1
    for k in range(indptr[row], indptr[row + 1]):
        prefetch(A, (indices[k], 0))
        prefetch(A, (indices[k], last))


@njit(cache=True, inline="always")
def _add_row(Vt, Ut, beta, averaging, s, step, columns, values, nnz):
    # V[s] += step p (step already divided by the scale); Ut -= beta * the change.
    # Returns whether a new weight is not finite (|w| < inf fails for inf and NaN),
    # so that an overflow is known without reading every weight after the epoch.
    overflow = False
    for k in range(nnz):
        j = columns[k]
        old = Vt[j, s]
        Vt[j, s] = _stored(old + step * values[k], values)
        new = np.float64(Vt[j, s])
        if averaging:
            Ut[j, s] -= beta * (new - np.float64(old))
        overflow |= not abs(new) < np.inf
    return overflow


@njit(cache=True, inline="always")
def _step(Vt, V, Ut, U, beta, averaging, s, step, X, row, columns, values, nnz):
    # V[s] += step p: over the gathered entries (through Vt, Ut), or a whole dense
    # row (nnz < 0; through V, U); returns whether a new weight of the entries is
    # not finite
    if nnz < 0:
        _add_dense_row(V, U, beta, averaging, s, step, X, row)
        return False
    return _add_row(Vt, Ut, beta, averaging, s, step, columns, values, nnz)


@njit(cache=True, inline="always")
def _l1_shrunk(z, q, u, inverse):
    # Tsuruoka et al.'s cumulative penalty on one weight v = z that has received q
    # of the u owed; the scale is positive, so w = s v has the sign of v.
    # Selects, not branches: the signs of the weights are unpredictable.
    down = max(0.0, z - (u + q) * inverse)
    up = min(0.0, z + (u - q) * inverse)
    return down if z > 0.0 else (up if z < 0.0 else z)


@njit(cache=True, inline="always")
def _l1_penalty(Vt, Qt, Ut, beta, averaging, scale, u, columns, nnz):
    # The penalty on the weights of a CSR row's features, the S weights of a
    # feature side by side (a dense row's: _dense_l1_penalty).
    inverse = 1.0 / scale
    for k in range(nnz):
        j = columns[k]
        for s in range(Vt.shape[1]):
            z = Vt[j, s]
            Vt[j, s] = _stored(_l1_shrunk(z, Qt[j, s], u, inverse), Qt)
            change = np.float64(Vt[j, s]) - np.float64(z)
            Qt[j, s] += scale * change
            if averaging:
                Ut[j, s] -= beta * change


@njit(cache=True, inline="always")
def _dense_l1_penalty(V, Q, U, beta, averaging, scale, u, X, row):
    # The same penalty on a dense row, neuron by neuron over V (S, R): the weight of
    # a zero entry is left as it is (a select, so that the loop runs over
    # contiguous weights as vector operations).
    inverse = 1.0 / scale
    for s in range(V.shape[0]):
        for j in range(X.shape[1]):
            z = V[s, j]
            new = _l1_shrunk(z, Q[s, j], u, inverse)
            V[s, j] = _stored(new if X[row, j] != 0 else z, X)
            change = np.float64(V[s, j]) - np.float64(z)
            Q[s, j] += scale * change
            if averaging:
                U[s, j] -= beta * change


@njit(cache=True)
def _epoch(
    X,
    indptr,
    indices,
    data,
    dense,
    T,
    y,
    multinomial,
    order,
    sw,
    Vt,
    V,
    b,
    Qt,
    Q,
    Ut,
    U,
    summing,
    b_sum,
    n_updates,
    eta,
    tau,
    bias_rate,
    shrink,
    l1_step,
    u,
    average_from,
    n_visits,
    beta,
    longest,
):
    R, S = Vt.shape
    # room for the longest row's entries (``longest``, counted by the caller)
    columns = np.empty(longest, dtype=np.intp)
    values = np.empty(longest, dtype=data.dtype)
    n = np.empty(S)
    scale = 1.0
    # beta: the sum of the scales of the averaged visits since the last fold of
    # beta V into U (given by the caller, which keeps U and beta between epochs)
    n_averaged = 0
    loss = 0.0
    n_mistakes = 0
    overflow = False  # whether a weight or a bias is not finite
    partial = np.zeros((4, S))
    n_order = order.shape[0]
    far = Vt.size * Vt.itemsize > _FAR_WEIGHTS
    for i in range(n_order):
        row = order[i]
        w = sw[row]
        # the memory of later visits: a CSR row's entries first, since the weights
        # it selects can be asked for only once its columns are in cache
        if not dense and i + 2 * _AHEAD < n_order:
            _prefetch_sparse_row(indptr, indices, data, order[i + 2 * _AHEAD])
        if i + _AHEAD < n_order:
            ahead = order[i + _AHEAD]
            prefetch(sw, ahead)
            if multinomial:
                prefetch(y, ahead)
            else:
                prefetch(T, (ahead, 0))
            if dense:
                _prefetch_dense_row(X, ahead)
            else:
                if far:
                    _prefetch_weights(Vt, indptr, indices, ahead)
                    if l1_step != 0.0:
                        _prefetch_weights(Qt, indptr, indices, ahead)
        if dense:
            _dense_net_inputs(V, b, scale, X, row, n)
            # a step adds the whole row, or with L1 the gathered entries: stepping
            # whole rows there too measured 1-3 ms slower unpenalised binary epochs
            nnz = -1
            if l1_step != 0.0:
                nnz = _dense_entries(X, row, columns, values)
        else:
            nnz = _sparse_entries(indptr, indices, data, row, columns, values)
            _net_inputs(Vt, b, scale, columns, values, nnz, n, partial)
        counted = n_visits + 1 >= average_from
        if shrink != 1.0:
            scale *= shrink
            if scale < _MIN_SCALE:
                # fold the scale into V, and the averaging sum's beta V into Ut
                for j in range(R):
                    for s in range(S):
                        if summing:
                            Ut[j, s] += beta * Vt[j, s]
                        Vt[j, s] = _stored(Vt[j, s] * scale, values)
                beta = 0.0
                scale = 1.0
        erred = False
        if multinomial:
            true = y[row]
            # an int64, not the literal -1: a literal would compile _step twice
            rival = np.int64(-1)
            for s in range(S):
                if s != true and (rival < 0 or n[s] > n[rival]):
                    rival = s
            margin = n[true] - n[rival]
            loss += w * max(0.0, -margin)
            if margin <= tau:
                step = eta * w
                overflow |= _step(
                    Vt,
                    V,
                    Ut,
                    U,
                    beta,
                    summing,
                    true,
                    step / scale,
                    X,
                    row,
                    columns,
                    values,
                    nnz,
                )
                overflow |= _step(
                    Vt,
                    V,
                    Ut,
                    U,
                    beta,
                    summing,
                    rival,
                    -step / scale,
                    X,
                    row,
                    columns,
                    values,
                    nnz,
                )
                b[true] += bias_rate * step
                b[rival] -= bias_rate * step
                n_updates[true] += 1
                n_updates[rival] += 1
                erred = True
        else:
            for s in range(S):
                t = T[row, s]
                margin = t * n[s]
                loss += w * max(0.0, -margin)
                if margin <= tau:
                    step = eta * w * t
                    overflow |= _step(
                        Vt,
                        V,
                        Ut,
                        U,
                        beta,
                        summing,
                        s,
                        step / scale,
                        X,
                        row,
                        columns,
                        values,
                        nnz,
                    )
                    b[s] += bias_rate * step
                    n_updates[s] += 1
                    erred = True
        if erred:
            n_mistakes += 1
        if l1_step != 0.0:
            u += l1_step
            if dense:
                _dense_l1_penalty(V, Q, U, beta, summing, scale, u, X, row)
            else:
                _l1_penalty(Vt, Qt, Ut, beta, summing, scale, u, columns, nnz)
        n_visits += 1
        if counted:
            beta += scale
            n_averaged += 1
            for s in range(S):
                b_sum[s] += b[s]
    # The L1 penalty and the scale only move weights towards 0: an overflow can only
    # come from a step. A step on a CSR row checked the weights it wrote; one on a
    # dense row wrote all R x S of them, so reading them once costs less than an
    # n-th of the epoch. The biases are read as the model's dtype will hold them.
    if dense:
        for s in range(S):
            for j in range(R):
                overflow |= not abs(V[s, j]) < np.inf
    for s in range(S):
        overflow |= not abs(_stored(b[s], values)) < np.inf
    return n_mistakes, loss, u, n_visits, n_averaged, beta, scale, overflow


def online_epoch(X, T, order, sample_weight, state, settings):
    """One pass of the online perceptron rule over ``X[order]``, compiled.

    Same contract as :func:`skann._math.perceptron_rule.online_epoch`; the weights
    agree with it to rounding.

    Its parameters and returns are those of
    :func:`skann._math.perceptron_rule.online_epoch`.
    """
    dtype = state.coef.dtype
    S, R = state.coef.shape
    dense = not sparse.issparse(X)
    if dense:
        X = np.ascontiguousarray(X)
        indptr = indices = np.zeros(1, dtype=np.int32)
        data = np.zeros(1, dtype=dtype)
    else:
        indptr, indices, data = X.indptr, X.indices, X.data
        X = np.zeros((1, 1), dtype=dtype)
    # Vt is V transposed, (R, S). For CSR rows it is C-ordered, in the model's dtype.
    # For dense rows it is float64 (see _stored) and Fortran-ordered, so that
    # V = Vt.T, the same memory, is (S, R) C-ordered. A coef already as wanted (a
    # Fortran-ordered one, as the estimator keeps it, for CSR rows; a float64 one
    # with one neuron, for dense rows) is worked on in place.
    layout = np.asfortranarray if dense else np.ascontiguousarray
    Vt = layout(state.coef.T, dtype=np.float64 if dense else dtype)
    b = state.intercept.astype(np.float64)
    penalised = bool(settings.l1_step)
    averaging = settings.average_from is not None
    # arrays a fit does not use are placeholders of Vt's layout in the model's dtype
    # (one compiled variant per layout): a dense Vt is small, a CSR one needs no
    # room for them
    unused = np.zeros((R, S), dtype, order="F") if dense else np.zeros((1, 1), dtype)
    Qt = layout(state.l1_received.T) if penalised else unused
    # The averaging sum U + beta V carries over from epoch to epoch (RuleState's
    # average_beta), so that no epoch reads or writes all R x S of it.
    Ut = layout(state.coef_sum.T) if averaging else unused.astype(np.float64)
    if dense:
        V, Q, U = Vt.T, Qt.T, Ut.T
    else:
        V, Q, U = np.zeros((1, 1), dtype), np.zeros((1, 1), dtype), np.zeros((1, 1))
    b_sum = np.zeros(S)
    if settings.multinomial:
        y, T = np.asarray(T, dtype=np.intp), np.zeros((1, 1), dtype=np.int8)
    else:
        y = np.zeros(1, dtype=np.intp)
    n_mistakes, loss, u, n_visits, n_averaged, beta, scale, overflow = _epoch(
        X,
        indptr,
        indices,
        data,
        dense,
        T,
        y,
        settings.multinomial,
        np.asarray(order, dtype=np.intp),
        np.asarray(sample_weight, dtype=np.float64),
        Vt,
        V,
        b,
        Qt,
        Q,
        Ut,
        U,
        averaging,
        b_sum,
        state.n_updates,
        float(settings.eta),
        float(settings.tau),
        float(settings.intercept_decay) if settings.fit_intercept else 0.0,
        float(settings.shrink),
        float(settings.l1_step),
        float(state.l1_owed),
        settings.average_from if averaging else _NEVER,
        int(state.n_visits),
        float(state.average_beta) if averaging else 0.0,
        R if dense else int(np.diff(indptr).max(initial=0)),
    )
    if averaging:
        if not np.shares_memory(Ut, state.coef_sum):
            state.coef_sum[...] = Ut.T
        state.average_beta = float(beta)
        state.intercept_sum += b_sum
        state.n_averaged += int(n_averaged)
    if not np.shares_memory(Vt, state.coef):  # a C-ordered coef was copied
        state.coef[...] = Vt.T
    if scale != 1.0:
        state.fold_average()  # beta V into the sum before V takes the scale
        state.coef *= scale
    state.intercept[...] = b
    if penalised:
        if not np.shares_memory(Qt, state.l1_received):
            state.l1_received[...] = Qt.T
        state.l1_owed = float(u)
    state.n_visits = int(n_visits)
    return EpochResult(
        n_mistakes=int(n_mistakes), loss=float(loss), finite=not overflow
    )
