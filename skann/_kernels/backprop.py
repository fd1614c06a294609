"""Fused layer steps and the forward and backward passes built on them (numba).

:mod:`skann._math.backprop` computes each layer as its equation reads: ``Z += b``,
then ``g(Z)``; ``g'(Z) * delta``, then ``1^T delta``. Each of these is a pass over
the activations (and a temporary boolean array). The kernels here fuse them:

- :func:`bias_relu`: ``max(Z + b, 0)`` in one pass;
- :func:`relu_backward`: ``delta * (A > 0)`` and its column sums in one pass;
- :func:`bias_softmax`: ``softmax(Z + b)``, the row maximum and the row sum in
  compiled loops around NumPy's own ``exp`` (the sum in NumPy's pairwise order);
- :func:`softmax_output_error`: the softmax output's error, its column sums and
  each row's clipped true-class probability in one pass, from class indices.

:func:`forward_pass` and :func:`backpropagate` are the passes of
:mod:`skann._math.backprop` with these steps in place of the NumPy ones. Each
function does the same operations in the same order as its reference of the same
name in :mod:`skann._math.backprop`, so the results are bit for bit the same (NaN
and signed zeros included); where a kernel cannot promise that (a row too long for
the compiled pairwise sum, a single column, a non-contiguous array) it runs the
reference. ``tests/kernels/test_backprop_kernels.py`` checks both, float32 and
float64.
"""

import numpy as np
from numba import njit
from scipy import sparse

from skann._math import backprop as reference
from skann._math.activations import relu, relu_derivative, softmax
from skann._math.backprop import matmul

#: Longest row whose sum :func:`bias_softmax` computes in NumPy's order.
PAIRWISE_LIMIT = 128

_FLAGS = {"cache": True, "error_model": "numpy", "nogil": True}


@njit(**_FLAGS)
def _bias_relu(Z, b):
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            z = Z[i, j] + b[j]
            # np.maximum(z, 0): z when z > 0 or NaN; for z == 0 (either sign) the
            # second argument, +0.0
            Z[i, j] = z if (z > 0 or z != z) else 0.0


@njit(**_FLAGS)
def _relu_backward(A, delta, sums):
    for j in range(sums.shape[0]):
        sums[j] = 0.0  # NumPy's sum starts from +0.0 (a column of -0.0 sums to +0.0)
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            delta[i, j] = delta[i, j] * (1.0 if A[i, j] > 0 else 0.0)
            # read back: the sum runs in delta's dtype, as NumPy's does
            sums[j] += delta[i, j]


@njit(**_FLAGS)
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


@njit(inline="always", **_FLAGS)
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


@njit(**_FLAGS)
def _divide_by_row_sum(E):
    for i in range(E.shape[0]):
        total = _pairwise_row_sum(E[i])
        for j in range(E.shape[1]):
            E[i, j] = E[i, j] / total


@njit(**_FLAGS)
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


def bias_relu(Z, b):
    """``Z <- max(Z + b, 0)`` in place, in one pass (C-contiguous ``Z``).

    The kernel of :func:`skann._math.backprop.bias_relu`: the same result bit for
    bit (``np.maximum``'s NaN and signed zeros included).

    Its parameters and returns are those of
    :func:`skann._math.backprop.bias_relu`.
    """
    if not Z.flags.c_contiguous:
        return reference.bias_relu(Z, b)
    _bias_relu(Z, b)
    return Z


def relu_backward(A, delta, column_sums):
    """``delta <- delta * (A > 0)`` in place, and its column sums, in one pass.

    The kernel of :func:`skann._math.backprop.relu_backward`. The column sums (the
    layer's bias gradient ``1^T delta``) are added row after row, which is NumPy's
    order for ``delta.sum(axis=0)`` on a C-contiguous array of at least two
    columns; with one column NumPy sums pairwise, and the reference runs.

    Its parameters and returns are those of
    :func:`skann._math.backprop.relu_backward`.
    """
    if not (A.flags.c_contiguous and delta.flags.c_contiguous and delta.shape[1] > 1):
        return reference.relu_backward(A, delta, column_sums)
    _relu_backward(A, delta, column_sums)
    return delta


def bias_softmax(Z, b):
    """``Z <- softmax(Z + b)`` row by row, in place.

    The kernel of :func:`skann._math.backprop.bias_softmax`: subtract the row
    maximum, NumPy's ``exp``, divide by the row sum (summed in NumPy's pairwise
    order); so the same result, bit for bit. Rows longer than
    :data:`PAIRWISE_LIMIT` (NumPy splits their sums recursively) and
    non-contiguous arrays run the reference.

    Its parameters and returns are those of
    :func:`skann._math.backprop.bias_softmax`.
    """
    if not Z.flags.c_contiguous or Z.shape[1] > PAIRWISE_LIMIT:
        return reference.bias_softmax(Z, b)
    _shift_by_row_max(Z, b)
    np.exp(Z, out=Z)
    _divide_by_row_sum(Z)
    return Z


def softmax_output_error(P, labels, sample_weight, total, column_sums):
    """The softmax output layer's error and what its loss reads, in one pass.

    The kernel of :func:`skann._math.backprop.softmax_output_error`: the same
    operations in the same order, so the same results bit for bit, for rows of a
    softmax (each all NaN or free of NaN).

    Its parameters and returns are those of
    :func:`skann._math.backprop.softmax_output_error`.
    """
    reference.check_weight_dtype(P, sample_weight)
    if not P.flags.c_contiguous or P.shape[1] < 2:
        return reference.softmax_output_error(
            P, labels, sample_weight, total, column_sums
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


def forward_pass(
    X,
    coefs,
    intercepts,
    hidden_activation,
    output_activation,
    out=None,
    *,
    masks=None,
    kept=None,
    keep_net_input=False,
):
    """:func:`skann._math.backprop.forward_pass` with the fused steps.

    A relu hidden layer runs :func:`bias_relu` (unless its net input is kept), a
    softmax output layer :func:`bias_softmax`; every other layer runs as in the
    reference. Same parameters, same result bit for bit.

    Its parameters and returns are those of
    :func:`skann._math.backprop.forward_pass`.
    """
    activations = [X]
    last = len(coefs) - 1
    keeps_net_input = kept is not None and keep_net_input
    for layer, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        buffer = None if out is None else out[layer]
        Z = matmul(activations[-1], W, out=buffer)
        if layer == last:
            if output_activation is softmax:
                activations.append(bias_softmax(Z, b))
            else:
                Z += b
                activations.append(output_activation(Z))
            break
        if hidden_activation is relu and not keeps_net_input:
            A = bias_relu(Z, b)  # Z += b; relu(Z), in one pass
        else:
            Z += b
            if keeps_net_input:
                kept.append(Z.copy())
            A = hidden_activation(Z)
        mask = None if masks is None else masks[layer]
        if kept is not None and not keep_net_input:
            kept.append(A if mask is None else A.copy())
        if mask is not None:
            A *= mask
        activations.append(A)
    return activations


def backpropagate(
    activations,
    coefs,
    hidden_derivative,
    alpha,
    total,
    coef_grads,
    intercept_grads,
    deltas=None,
    *,
    masks=None,
    kept=None,
):
    """:func:`skann._math.backprop.backpropagate` with the fused relu step.

    A relu layer's ``g'(Z)`` and bias gradient run as :func:`relu_backward` (one
    pass); every other step runs as in the reference. Same parameters, same
    result bit for bit.

    Its parameters and returns are those of
    :func:`skann._math.backprop.backpropagate`.
    """
    delta = activations[-1]
    for layer in range(len(coefs) - 1, -1, -1):
        A_in = activations[layer]
        if layer == 0 and sparse.issparse(A_in):  # only the input may be sparse
            coef_grads[layer][...] = A_in.T @ delta
        else:
            np.matmul(A_in.T, delta, out=coef_grads[layer])
        if alpha:
            coef_grads[layer] += (alpha / total) * coefs[layer]
        if layer == 0:
            break
        out = None if deltas is None else deltas[layer - 1]
        source = A_in if kept is None else kept[layer - 1]
        mask = None if masks is None else masks[layer - 1]
        delta = np.matmul(delta, coefs[layer].T, out=out)
        if hidden_derivative is relu_derivative and mask is None:
            # g'(Z) and the bias gradient 1^T delta in one pass
            relu_backward(source, delta, intercept_grads[layer - 1])
            continue
        delta = hidden_derivative(source, delta)
        if mask is not None:
            delta *= mask
        np.add.reduce(delta, axis=0, out=intercept_grads[layer - 1])
    return coef_grads, intercept_grads
