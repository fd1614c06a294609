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

from skann._math import compiled_layers
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


def _fused_relu(function, A, B=None):
    """Whether a relu layer's element-wise step on ``A`` (and ``B``) may run as one
    compiled pass (:mod:`skann._math.compiled_layers`, the same result bit for
    bit). The backward step also sums the delta's columns, in NumPy's order for
    two columns or more."""
    return (
        compiled_layers.AVAILABLE
        and (function is relu or function is relu_derivative)
        and A.flags.c_contiguous
        and (B is None or (B.flags.c_contiguous and B.shape[1] > 1))
    )


def _column_sums(delta, out):
    """``1^T delta``, a layer's bias gradient: the sum of the delta's rows."""
    return np.add.reduce(delta, axis=0, out=out)


def _fused_softmax(function, Z):
    """Whether the softmax output layer may run as compiled passes around NumPy's
    ``exp`` (:func:`skann._math.compiled_layers.bias_softmax`, the same result
    bit for bit)."""
    return (
        compiled_layers.AVAILABLE
        and function is softmax
        and Z.flags.c_contiguous
        and Z.shape[1] <= compiled_layers.PAIRWISE_LIMIT
    )


def _matmul(A, B, out=None):
    """``A @ B`` into ``out``, also when ``A`` is a sparse matrix."""
    if sparse.issparse(A):
        product = A @ B
        if out is None:
            return np.asarray(product)
        out[...] = product
        return out
    return np.matmul(A, B, out=out)


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
    for layer, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        buffer = None if out is None else out[layer]
        # only the input may be sparse
        Z = (_matmul if layer == 0 else np.matmul)(activations[-1], W, out=buffer)
        keeps_net_input = kept is not None and keep_net_input
        if layer == last and _fused_softmax(output_activation, Z):
            activations.append(compiled_layers.bias_softmax(Z, b))
            break
        if layer < last and not keeps_net_input and _fused_relu(hidden_activation, Z):
            A = compiled_layers.bias_relu(Z, b)  # Z += b; relu(Z), in one pass
        else:
            Z += b
            if layer == last:
                activations.append(output_activation(Z))
                break
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
    _column_sums(delta, column_sums)
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
        if layer == 0 and sparse.issparse(A_in):  # only the input may be sparse
            coef_grads[layer][...] = A_in.T @ delta
        else:
            np.matmul(A_in.T, delta, out=coef_grads[layer])
        if alpha:
            coef_grads[layer] += (alpha / total) * coefs[layer]
        if layer > 0:
            out = None if deltas is None else deltas[layer - 1]
            source = A_in if kept is None else kept[layer - 1]
            mask = None if masks is None else masks[layer - 1]
            delta = np.matmul(delta, coefs[layer].T, out=out)
            if _fused_relu(hidden_derivative, source, delta):
                # g'(Z) and the bias gradient 1^T delta in one pass
                compiled_layers.relu_backward(source, delta, intercept_grads[layer - 1])
                if mask is None:
                    continue
            else:
                delta = hidden_derivative(source, delta)
            if mask is not None:
                delta *= mask  # (then the bias gradient is summed again)
            _column_sums(delta, intercept_grads[layer - 1])
    return coef_grads, intercept_grads


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
