"""The forward pass and backpropagation of a multi-layer perceptron.

Batched notation (rows are samples, see ``docs/math/notation``): layer ``l`` maps the
activations ``A_{l-1}`` of shape (n, fan_in) to ``Z_l = A_{l-1} W_l + b_l`` and
``A_l = g_l(Z_l)``, with ``W_l`` of shape (fan_in, fan_out) as scikit-learn's
``coefs_[l]``. Backpropagation runs the chain rule from the output error
``delta_L = A_L - Y`` down to the first hidden layer (``docs/math/backprop``).

All weights and biases live in one flat vector (:class:`ParameterLayout`): the
optimisers update it with one vector operation and L-BFGS reads it as it is.
"""

import itertools

import numpy as np
from scipy import sparse

from skann._math.activations import (
    OUTPUT_ACTIVATIONS,
    relu,
    relu_derivative,
    softmax,
)
from skann._math.losses import LOSSES, l2_penalty, output_error


class ParameterLayout:
    """Where each layer's ``W_l`` and ``b_l`` sit in one flat parameter vector.

    All weight matrices come first, then all bias vectors (scikit-learn's packing
    order), so the penalised part of the vector is one slice, ``[:n_weights]``.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input first and output last.

    Attributes
    ----------
    shapes : list of tuple
        ``(fan_in, fan_out)`` of each layer.
    n_weights : int
        Entries of all weight matrices together.
    size : int
        Length of the flat vector.

    Examples
    --------
    >>> import numpy as np
    >>> layout = ParameterLayout([3, 2, 1])
    >>> layout.size
    11
    >>> coefs, intercepts = layout.views(np.arange(11.0))
    >>> coefs[1].ravel(), intercepts[0]
    (array([6., 7.]), array([8., 9.]))
    """

    def __init__(self, layer_units):
        self.layer_units = list(layer_units)
        self.shapes = list(itertools.pairwise(self.layer_units))
        self.n_weights = sum(fan_in * fan_out for fan_in, fan_out in self.shapes)
        self.size = self.n_weights + sum(self.layer_units[1:])

    def views(self, flat):
        """Split ``flat`` into per-layer weight and bias views (no copy).

        Parameters
        ----------
        flat : ndarray of shape (size,)
            The parameter vector.

        Returns
        -------
        coefs : list of ndarray of shape (fan_in, fan_out)
        intercepts : list of ndarray of shape (fan_out,)
        """
        coefs, intercepts = [], []
        start = 0
        for fan_in, fan_out in self.shapes:
            coefs.append(
                flat[start : start + fan_in * fan_out].reshape(fan_in, fan_out)
            )
            start += fan_in * fan_out
        for _, fan_out in self.shapes:
            intercepts.append(flat[start : start + fan_out])
            start += fan_out
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype):
        """Copy per-layer weights and biases into a new flat vector.

        Parameters
        ----------
        coefs : list of ndarray
        intercepts : list of ndarray
        dtype : dtype
            Of the result.

        Returns
        -------
        flat : ndarray of shape (size,)
        """
        flat = np.empty(self.size, dtype=dtype)
        flat_coefs, flat_intercepts = self.views(flat)
        for target, source in zip(
            flat_coefs + flat_intercepts, coefs + intercepts, strict=True
        ):
            target[...] = source
        return flat


def matmul(A, B, out=None):
    """``A @ B`` into ``out``, also when ``A`` is a sparse matrix (the input layer).

    Parameters
    ----------
    A : ndarray or sparse matrix of shape (n, k)
    B : ndarray of shape (k, m)
    out : ndarray of shape (n, m), default=None

    Returns
    -------
    product : ndarray of shape (n, m)
    """
    if sparse.issparse(A):
        product = A @ B
        if out is None:
            return np.asarray(product)
        out[...] = product
        return out
    return np.matmul(A, B, out=out)


def sum_rows(delta, out):
    """``1^T delta``, a layer's bias gradient: the sum of the delta's rows."""
    return np.add.reduce(delta, axis=0, out=out)


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
    """Activations of every layer: ``Z_l = A_{l-1} W_l + b_l``, ``A_l = g_l(Z_l)``.

    With dropout, each hidden layer's output is multiplied by its mask,
    ``A_l <- A_l * M_l`` (inverted dropout: ``M_l`` holds 0 or ``1 / (1 - p)``, see
    :func:`skann._math.dropout.dropout_masks`), before the next layer reads it.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, n_features)
        Input batch, ``A_0``.
    coefs, intercepts : list of ndarray
        ``W_l`` of shape (fan_in, fan_out) and ``b_l`` of shape (fan_out,).
    hidden_activation : callable
        ``g`` of the hidden layers, in place (see :mod:`skann._math.activations`).
    output_activation : callable
        ``g_L`` of the output layer, in place.
    out : list of ndarray, default=None
        One buffer of shape (n, fan_out) per layer to write ``A_l`` into.
    masks : list of ndarray or None, default=None
        Dropout mask of each hidden layer, shape (n, fan_out); None for no
        dropout (in all layers or in one).
    kept : list, default=None
        If given, filled with what each hidden layer's derivative reads: its net
        input ``Z_l`` (when ``keep_net_input``) or its output before dropout.
    keep_net_input : bool, default=False
        Keep ``Z_l`` rather than ``A_l`` in ``kept``.

    Returns
    -------
    activations : list of ndarray
        ``[A_0, A_1, ..., A_L]``; ``A_0`` is ``X``; hidden outputs after dropout.

    Examples
    --------
    >>> import numpy as np
    >>> from skann._math.activations import identity, relu
    >>> W = [np.array([[1.0, -1.0]]), np.array([[1.0], [1.0]])]
    >>> b = [np.zeros(2), np.array([0.5])]
    >>> forward_pass(np.array([[2.0]]), W, b, relu, identity)[-1]
    array([[2.5]])
    """
    activations = [X]
    last = len(coefs) - 1
    keeps_net_input = kept is not None and keep_net_input
    for layer, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        buffer = None if out is None else out[layer]
        Z = matmul(activations[-1], W, out=buffer)  # Z_l = A_{l-1} W_l + b_l
        Z += b
        if layer == last:
            activations.append(output_activation(Z))  # A_L = g_L(Z_L)
            break
        if keeps_net_input:
            kept.append(Z.copy())
        A = hidden_activation(Z)  # A_l = g(Z_l)
        mask = None if masks is None else masks[layer]
        if kept is not None and not keep_net_input:
            kept.append(A if mask is None else A.copy())
        if mask is not None:
            A *= mask  # A_l <- A_l * M_l
        activations.append(A)
    return activations


def backward_pass(
    activations,
    Y,
    coefs,
    hidden_derivative,
    alpha,
    coef_grads,
    intercept_grads,
    sample_weight=None,
    deltas=None,
    *,
    masks=None,
    kept=None,
):
    """Backpropagation: the gradients of the mean loss plus its L2 penalty.

    With ``n`` the total sample weight: ``delta_L = (A_L - Y) / n`` (weighted by
    row), then for each layer from the output down
    ``dL/dW_l = A_{l-1}^T delta_l + (alpha / n) W_l``, ``dL/db_l = 1^T delta_l``
    (the column sums) and ``delta_{l-1} = (delta_l W_l^T) * g'(Z_{l-1})``, times
    the layer's dropout mask ``M_{l-1}`` when there is one. The input layer's delta
    is never computed: nothing reads it.

    Parameters
    ----------
    activations : list of ndarray
        ``[A_0, ..., A_L]`` from :func:`forward_pass`. ``A_L`` is overwritten with
        ``delta_L``; the caller computes the loss first.
    Y : ndarray of shape (n, n_outputs)
        Targets.
    coefs, hidden_derivative, alpha, coef_grads, intercept_grads
        As in :func:`backpropagate`, which runs the recursion below the output.
    sample_weight : ndarray of shape (n,), default=None
        Weights of the rows.
    deltas, masks, kept
        As in :func:`backpropagate`.

    Returns
    -------
    coef_grads, intercept_grads : list of ndarray
    """
    A_out = activations[-1]
    total = A_out.shape[0] if sample_weight is None else sample_weight.sum()
    output_delta(A_out, Y, sample_weight, total, intercept_grads[-1])
    return backpropagate(
        activations,
        coefs,
        hidden_derivative,
        alpha,
        total,
        coef_grads,
        intercept_grads,
        deltas,
        masks=masks,
        kept=kept,
    )


def output_delta(A_out, Y, sample_weight, total, column_sums):
    """The output layer's ``delta_L = (A_L - Y) / n`` in place, and ``1^T delta_L``.

    Parameters
    ----------
    A_out : ndarray of shape (n, n_outputs)
        ``A_L``; overwritten with ``delta_L``.
    Y : ndarray of shape (n, n_outputs)
        Targets.
    sample_weight : ndarray of shape (n,) or None
        Weights of the rows (see :func:`skann._math.losses.output_error`).
    total : float
        ``n``, the total sample weight of the rows.
    column_sums : ndarray of shape (n_outputs,)
        Overwritten with ``1^T delta_L``, the output layer's bias gradient.

    Returns
    -------
    delta : ndarray
        ``A_out``.
    """
    delta = output_error(A_out, Y, sample_weight, out=A_out)
    delta /= total
    sum_rows(delta, column_sums)
    return delta


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
    """The δ recursion of :func:`backward_pass`, from a given output delta down.

    Parameters
    ----------
    activations : list of ndarray
        ``[A_0, ..., A_{L-1}, delta_L]``: the forward pass's activations with the
        output layer's ``delta_L`` (divided by ``total``) in place of ``A_L``.
    coefs : list of ndarray
        ``W_l``.
    hidden_derivative : callable
        ``g'`` of the hidden layers, multiplied into a delta in place.
    alpha : float
        L2 penalty strength.
    total : float
        ``n``, the total sample weight of the rows.
    coef_grads, intercept_grads : list of ndarray
        Buffers shaped like ``coefs`` and the biases, overwritten with the
        gradients; ``intercept_grads[-1]`` already holds ``1^T delta_L``.
    deltas : list of ndarray, default=None
        Buffers of shape (n, fan_out) for the hidden layers' deltas; allocated when
        None.
    masks : list of ndarray, default=None
        The dropout masks the forward pass used.
    kept : list of ndarray, default=None
        What :func:`forward_pass` kept for the derivatives; when None the
        derivatives read the activations.

    Returns
    -------
    coef_grads, intercept_grads : list of ndarray
    """
    delta = activations[-1]
    for layer in range(len(coefs) - 1, -1, -1):
        A_in = activations[layer]
        # dL/dW_l = A_{l-1}^T delta_l (+ (alpha / n) W_l)
        if layer == 0 and sparse.issparse(A_in):  # only the input may be sparse
            coef_grads[layer][...] = A_in.T @ delta
        else:
            np.matmul(A_in.T, delta, out=coef_grads[layer])
        if alpha:
            coef_grads[layer] += (alpha / total) * coefs[layer]
        if layer == 0:
            break  # nothing reads the input layer's delta
        out = None if deltas is None else deltas[layer - 1]
        source = A_in if kept is None else kept[layer - 1]
        mask = None if masks is None else masks[layer - 1]
        # delta_{l-1} = (delta_l W_l^T) * g'(Z_{l-1}) (* M_{l-1})
        delta = np.matmul(delta, coefs[layer].T, out=out)
        delta = hidden_derivative(source, delta)
        if mask is not None:
            delta *= mask
        sum_rows(delta, intercept_grads[layer - 1])  # dL/db_{l-1} = 1^T delta
    return coef_grads, intercept_grads


# ----------------------------------------------------------------------------------
# One layer's steps as the equations write them. skann._kernels.backprop fuses each
# into one pass (same names, same signatures, same results bit for bit).


def bias_relu(Z, b):
    """A relu hidden layer's output from its net input without bias:
    ``A = max(Z + b, 0)``, in place.

    Parameters
    ----------
    Z : ndarray of shape (n, units)
        ``A_{l-1} W_l``; overwritten with ``A_l``.
    b : ndarray of shape (units,)
        ``b_l``.

    Returns
    -------
    A : ndarray
        ``Z``.

    Examples
    --------
    >>> import numpy as np
    >>> bias_relu(np.array([[-1.0, 1.0]]), np.array([0.5, 0.5]))
    array([[0. , 1.5]])
    """
    Z += b
    return relu(Z)


def relu_backward(A, delta, column_sums):
    """A relu layer's delta ``delta * g'(Z)`` (``g'`` read from ``A > 0``), in
    place, and its bias gradient ``1^T delta``.

    Parameters
    ----------
    A : ndarray of shape (n, units)
        The layer's output.
    delta : ndarray of shape (n, units)
        ``delta_l W_l^T``; overwritten with ``delta_{l-1}``.
    column_sums : ndarray of shape (units,)
        Overwritten with ``1^T delta_{l-1}``.

    Returns
    -------
    delta : ndarray
    """
    relu_derivative(A, delta)
    sum_rows(delta, column_sums)
    return delta


def bias_softmax(Z, b):
    """The softmax output layer from its net input without bias:
    ``A = softmax(Z + b)``, in place.

    Parameters
    ----------
    Z : ndarray of shape (n, K)
        ``A_{L-1} W_L``; overwritten with the class probabilities.
    b : ndarray of shape (K,)
        ``b_L``.

    Returns
    -------
    A : ndarray
        ``Z``.
    """
    Z += b
    return softmax(Z)


def check_weight_dtype(P, sample_weight):
    """Raise unless ``sample_weight`` is None or of ``P``'s dtype."""
    if sample_weight is not None and sample_weight.dtype != P.dtype:
        raise TypeError(
            f"sample_weight must have P's dtype {P.dtype}, got {sample_weight.dtype}."
        )


def softmax_output_error(P, labels, sample_weight, total, column_sums):
    """The softmax output layer's ``delta_L`` from class indices, and its loss terms.

    With ``Y`` the one-hot rows of ``labels``: ``P <- (P - Y) * w / n`` in place
    (:func:`output_delta`, :func:`skann._math.losses.output_error`), its column
    sums ``1^T delta_L`` (the output bias gradient), and each row's true-class
    probability clipped to ``[eps, 1 - eps]``, what
    :func:`skann._math.losses.log_loss` reads
    (:func:`skann._math.losses.true_class_log_loss` takes it).

    Parameters
    ----------
    P : ndarray of shape (n, K)
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

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[0.25, 0.75]])
    >>> sums = np.empty(2)
    >>> softmax_output_error(P, np.array([1]), None, 1.0, sums)
    array([0.75])
    >>> P
    array([[ 0.25, -0.25]])
    """
    check_weight_dtype(P, sample_weight)
    rows = np.arange(P.shape[0])
    eps = np.finfo(P.dtype).eps
    p_true = np.minimum(np.maximum(P[rows, labels], eps), P.dtype.type(1 - eps))
    P[rows, labels] -= P.dtype.type(1)  # A - Y, Y one-hot
    if sample_weight is not None:
        P *= sample_weight[:, None]
    P /= P.dtype.type(total)
    sum_rows(P, column_sums)
    return p_true


def loss_and_gradient(
    flat, layout, X, Y, activation, out_activation, alpha, sw=None, masks=None
):
    """The penalised loss and its gradient at the parameter vector ``flat``.

    What L-BFGS minimises and what the gradient check compares with central
    differences.

    Parameters
    ----------
    flat : ndarray of shape (layout.size,)
        Parameters.
    layout : ParameterLayout
        Where each layer sits in ``flat``.
    X : ndarray or sparse matrix of shape (n, n_features)
        Inputs.
    Y : ndarray of shape (n, n_outputs)
        Targets.
    activation : Activation
        Hidden transfer function and derivative.
    out_activation : {"softmax", "logistic"}
        Output transfer function (it selects the loss).
    alpha : float
        L2 penalty strength.
    sw : ndarray of shape (n,), default=None
        Sample weights.
    masks : list of ndarray, default=None
        Fixed dropout masks of the hidden layers.

    Returns
    -------
    loss : float
    gradient : ndarray of shape (layout.size,)
    """
    coefs, intercepts = layout.views(flat)
    kept = []
    activations = forward_pass(
        X,
        coefs,
        intercepts,
        activation.function,
        OUTPUT_ACTIVATIONS[out_activation],
        masks=masks,
        kept=kept,
        keep_net_input=activation.from_net_input,
    )
    total = X.shape[0] if sw is None else sw.sum()
    loss = LOSSES[out_activation](Y, activations[-1], sw)
    loss += l2_penalty(coefs, alpha, total)
    gradient = np.empty_like(flat)
    coef_grads, intercept_grads = layout.views(gradient)
    backward_pass(
        activations,
        Y,
        coefs,
        activation.derivative,
        alpha,
        coef_grads,
        intercept_grads,
        sw,
        masks=masks,
        kept=kept,
    )
    return loss, gradient
