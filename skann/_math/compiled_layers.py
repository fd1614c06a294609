"""A layer's element-wise work as compiled passes (optional numba).

In :func:`skann._math.backprop.forward_pass` a relu layer adds its bias and takes
``max(Z, 0)``; in :func:`skann._math.backprop.backward_pass` its delta is
multiplied by ``A > 0`` and summed over the rows (the bias gradient). With NumPy
each is two or three passes over the activations (and a temporary boolean array);
with the ``skann[numba]`` extra the kernels here do each in one pass, with the
same operations in the same order, so the results are bit for bit those of
:func:`skann._math.activations.relu`, :func:`skann._math.activations.relu_derivative`
and ``delta.sum(axis=0)`` (NaN and signed zeros included).

The softmax output layer's row maximum and row sum are NumPy reductions along
short rows, which cost NumPy more per call than the exponentials themselves;
:func:`bias_softmax` does them in compiled loops around NumPy's own ``exp``, and
sums each row in NumPy's pairwise order, so its result is bit for bit
:func:`skann._math.activations.softmax`'s.

Without numba, :data:`AVAILABLE` is False and nothing here runs.
"""

import numpy as np

#: Longest row whose sum :func:`bias_softmax` computes in NumPy's order.
PAIRWISE_LIMIT = 128

try:
    from numba import njit
except ImportError:  # the optional extra is not installed
    njit = None

#: Whether the compiled kernels can run (numba is importable).
AVAILABLE = njit is not None


def _bias_relu(Z, b):
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            z = Z[i, j] + b[j]
            # np.maximum(z, 0): z when z > 0 or NaN; for z == 0 (either sign) the
            # second argument, +0.0
            Z[i, j] = z if (z > 0 or z != z) else 0.0


def _relu_backward(A, delta, sums):
    for j in range(sums.shape[0]):
        sums[j] = 0.0  # NumPy's sum starts from +0.0 (a column of -0.0 sums to +0.0)
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            delta[i, j] = delta[i, j] * (1.0 if A[i, j] > 0 else 0.0)
            # read back: the sum runs in delta's dtype, as NumPy's does
            sums[j] += delta[i, j]


def _shift_by_row_max(Z, b):
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            # stored first, so the maximum is taken of Z's dtype's values, as
            # after NumPy's Z += b (b may be wider)
            Z[i, j] = Z[i, j] + b[j]
        top = Z[i, 0]
        for j in range(Z.shape[1]):
            z = Z[i, j]
            # np.max's result: NaN as soon as one entry is NaN (and then kept)
            if z > top or z != z:
                top = z
        for j in range(Z.shape[1]):
            Z[i, j] = Z[i, j] - top


def _pairwise_row_sum(row):
    # NumPy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src) as
    # np.sum applies it to a contiguous row of at most PAIRWISE_LIMIT entries: a
    # plain loop below 8 entries, eight running sums above. (Longer rows are split
    # in halves by a recursion, which numba cannot cache; bias_softmax leaves them
    # to NumPy.)
    n = row.shape[0]
    if n < 8:
        total = row.dtype.type(0.0)
        for k in range(n):
            total += row[k]
        return total
    r0, r1, r2, r3 = row[0], row[1], row[2], row[3]
    r4, r5, r6, r7 = row[4], row[5], row[6], row[7]
    k = 8
    while k < n - n % 8:
        r0 += row[k]
        r1 += row[k + 1]
        r2 += row[k + 2]
        r3 += row[k + 3]
        r4 += row[k + 4]
        r5 += row[k + 5]
        r6 += row[k + 6]
        r7 += row[k + 7]
        k += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while k < n:
        total += row[k]
        k += 1
    return total


def _divide_by_row_sum(E):
    for i in range(E.shape[0]):
        total = _pairwise_row_sum(E[i])
        for j in range(E.shape[1]):
            E[i, j] = E[i, j] / total


def _softmax_error(P, labels, sw, weighted, total, one, zero, low, high, p_true, sums):
    for j in range(sums.shape[0]):
        sums[j] = 0.0
    for i in range(P.shape[0]):
        y = labels[i]
        # np.minimum(np.maximum(p, low), high): a NaN stays NaN
        p = P[i, y]
        if p < low:
            p = low
        if p > high:
            p = high
        p_true[i] = p
        for j in range(P.shape[1]):
            # each step stored, so each rounds to P's dtype as NumPy's does
            P[i, j] = P[i, j] - (one if j == y else zero)
            if weighted:
                P[i, j] = P[i, j] * sw[i]
            P[i, j] = P[i, j] / total
            sums[j] += P[i, j]


if AVAILABLE:
    _FLAGS = {"cache": True, "error_model": "numpy", "nogil": True}
    _bias_relu = njit(**_FLAGS)(_bias_relu)
    _relu_backward = njit(**_FLAGS)(_relu_backward)
    _shift_by_row_max = njit(**_FLAGS)(_shift_by_row_max)
    _pairwise_row_sum = njit(inline="always", **_FLAGS)(_pairwise_row_sum)
    _divide_by_row_sum = njit(**_FLAGS)(_divide_by_row_sum)
    _softmax_error = njit(**_FLAGS)(_softmax_error)


def bias_relu(Z, b):
    """``Z <- max(Z + b, 0)`` in place, in one pass.

    Parameters
    ----------
    Z : ndarray of shape (n, units), C-contiguous
        Net input without its bias; overwritten with the layer's output.
    b : ndarray of shape (units,)
        Bias of the layer.

    Returns
    -------
    A : ndarray
        ``Z``.
    """
    _bias_relu(Z, b)
    return Z


def relu_backward(A, delta, column_sums):
    """``delta <- delta * (A > 0)`` in place, and its column sums, in one pass.

    The column sums are the layer's bias gradient ``1^T delta``, added row after
    row in NumPy's order for ``delta.sum(axis=0)`` on a C-contiguous array of at
    least two columns (with one column NumPy sums pairwise), so both results are
    bit for bit NumPy's.

    Parameters
    ----------
    A : ndarray of shape (n, units), C-contiguous
        The layer's output.
    delta : ndarray of shape (n, units), C-contiguous, ``units >= 2``
        Back-propagated error; overwritten.
    column_sums : ndarray of shape (units,)
        Overwritten with ``delta.sum(axis=0)`` of the new ``delta``.

    Returns
    -------
    delta : ndarray
    """
    _relu_backward(A, delta, column_sums)
    return delta


def bias_softmax(Z, b):
    """``Z <- softmax(Z + b)`` row by row, in place.

    The same operations as ``Z += b`` followed by
    :func:`skann._math.activations.softmax`: subtract the row maximum, NumPy's
    ``exp``, divide by the row sum (summed in NumPy's pairwise order); so the same
    result, bit for bit.

    Parameters
    ----------
    Z : ndarray of shape (n, K), C-contiguous, ``K <= PAIRWISE_LIMIT``
        Net input of the output layer without its bias; overwritten with the
        class probabilities.
    b : ndarray of shape (K,)
        Bias of the layer.

    Returns
    -------
    A : ndarray
        ``Z``.
    """
    if Z.shape[1] > PAIRWISE_LIMIT:
        raise ValueError(f"bias_softmax takes at most {PAIRWISE_LIMIT} classes.")
    _shift_by_row_max(Z, b)
    np.exp(Z, out=Z)
    _divide_by_row_sum(Z)
    return Z


def softmax_output_error(P, labels, sample_weight, total, column_sums):
    """The softmax output layer's error and what its loss reads, in one pass.

    With ``Y`` the one-hot rows of ``labels``: ``P <- (P - Y) * w / n`` in place
    (:func:`skann._math.losses.output_error` divided by the total weight ``n``, as
    :func:`skann._math.backprop.backward_pass` computes it), its column sums (the
    output bias gradient) and each row's true-class probability clipped as
    :func:`skann._math.losses.log_loss` clips it. The same operations in the same
    order as that NumPy code, so the same results bit for bit, for rows of a
    softmax (each all NaN or free of NaN: ``log_loss`` would also turn a partly
    NaN row's loss NaN, through ``0 * nan``).

    Parameters
    ----------
    P : ndarray of shape (n, K), C-contiguous
        Class probabilities of the batch; overwritten with ``delta_L``.
    labels : ndarray of int of shape (n,)
        Each row's class index, ``0 <= labels[i] < K``.
    sample_weight : ndarray of shape (n,) or None
        Weights of the rows, of ``P``'s dtype.
    total : float
        ``n``, the total sample weight.
    column_sums : ndarray of shape (K,)
        Overwritten with ``1^T delta_L``.

    Returns
    -------
    p_true : ndarray of shape (n,)
        ``P[i, labels[i]]`` before the update, clipped to ``[eps, 1 - eps]``.
    """
    if sample_weight is not None and sample_weight.dtype != P.dtype:
        raise TypeError(
            f"sample_weight must have P's dtype {P.dtype}, got {sample_weight.dtype}."
        )
    cast = P.dtype.type
    eps = np.finfo(P.dtype).eps
    p_true = np.empty(P.shape[0], P.dtype)
    weighted = sample_weight is not None
    _softmax_error(
        P,
        labels,
        sample_weight if weighted else p_true,  # unread placeholder of one type
        weighted,
        cast(total),
        cast(1),
        cast(0),
        eps,
        cast(1 - eps),
        p_true,
        column_sums,
    )
    return p_true
