"""Classification losses, each beside the output error it gives, ``delta = dL/dZ``.

The output layer pairs each loss with its canonical transfer function: softmax with
the categorical cross-entropy, the logistic sigmoid with the binary cross-entropy.
For both pairs the derivative of the loss with respect to the output net input is
``A - Y`` (see ``docs/math/losses``), so neither loss needs its own derivative code.
"""

import numpy as np
from scipy.special import xlogy


def _weighted_mean(per_sample, sample_weight):
    if sample_weight is None:
        # per_sample.mean(), the same sum and division without its Python wrapper
        return per_sample.sum() / per_sample.shape[0]
    return per_sample @ sample_weight / sample_weight.sum()


def log_loss(Y, P, sample_weight=None):
    """Categorical cross-entropy, ``L = -mean_i sum_k y_ik log p_ik``.

    The negative log-likelihood of the labels under the categorical distribution
    ``P``. Probabilities are clipped to ``[eps, 1 - eps]`` of their dtype, as
    scikit-learn does, so a confident mistake costs a large but finite loss.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, K)
        One-hot targets (each row has a single 1).
    P : ndarray of shape (n_samples, K)
        Predicted probabilities (softmax output).
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the samples in the mean.

    Returns
    -------
    loss : float

    Examples
    --------
    >>> import numpy as np
    >>> round(log_loss(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])), 4)
    0.6931
    """
    eps = np.finfo(P.dtype).eps
    # A one-hot row's sum over k has one term, the log of the true class's
    # probability p_i = sum_k y_ik p_ik; taking p_i first (exactly: the other
    # products are 0) costs one logarithm per sample instead of one per class.
    p_true = np.einsum("ij,ij->i", Y, P)
    np.minimum(np.maximum(p_true, eps, out=p_true), 1 - eps, out=p_true)  # clip
    return true_class_log_loss(p_true, sample_weight)


def true_class_log_loss(p_true, sample_weight=None):
    """:func:`log_loss` from each sample's clipped true-class probability.

    Parameters
    ----------
    p_true : ndarray of shape (n_samples,)
        ``p_i``, clipped to ``[eps, 1 - eps]``; overwritten with its logarithm.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the samples in the mean.

    Returns
    -------
    loss : float
        ``-mean_i log p_i``.
    """
    return float(-_weighted_mean(np.log(p_true, out=p_true), sample_weight))


def binary_log_loss(Y, P, sample_weight=None):
    """Binary cross-entropy summed over outputs, averaged over samples.

    ``L = -mean_i sum_k [y_ik log p_ik + (1 - y_ik) log(1 - p_ik)]``: the negative
    log-likelihood of independent Bernoulli outputs (one for binary targets, one
    per label for multilabel targets).

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_outputs)
        Targets in {0, 1}.
    P : ndarray of shape (n_samples, n_outputs)
        Predicted probabilities (logistic output).
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the samples in the mean.

    Returns
    -------
    loss : float

    Examples
    --------
    >>> import numpy as np
    >>> round(binary_log_loss(np.array([[1.0]]), np.array([[0.5]])), 4)
    0.6931
    """
    eps = np.finfo(P.dtype).eps
    P = np.clip(P, eps, 1 - eps)
    per_sample = (xlogy(Y, P) + xlogy(1 - Y, 1 - P)).sum(axis=1)
    return float(-_weighted_mean(per_sample, sample_weight))


#: Loss paired with each output transfer function.
LOSSES = {"softmax": log_loss, "logistic": binary_log_loss}


def output_error(A, Y, sample_weight=None, out=None):
    """Output error ``delta = dL/dZ = A - Y`` of a canonical output/loss pair.

    Holds for softmax with cross-entropy and for the logistic sigmoid with binary
    cross-entropy (the derivation is in ``docs/math/losses``). Each row is scaled by
    the sample's weight; dividing by the total weight is left to the gradient.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_outputs)
        Output layer activations.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets (one-hot or indicator).
    sample_weight : ndarray of shape (n_samples,), default=None
        Weight of each row.
    out : ndarray of shape (n_samples, n_outputs), default=None
        Where to write the result; may be ``A`` itself.

    Returns
    -------
    delta : ndarray of shape (n_samples, n_outputs)

    Examples
    --------
    >>> import numpy as np
    >>> output_error(np.array([[0.25, 0.75]]), np.array([[0.0, 1.0]]))
    array([[ 0.25, -0.25]])
    """
    delta = np.subtract(A, Y, out=out)
    if sample_weight is not None:
        delta *= sample_weight[:, None]
    return delta


def l2_penalty(coefs, alpha, total_weight):
    """L2 penalty ``alpha / (2 n) sum_l ||W_l||^2`` added to the loss.

    ``n`` is the total sample weight of the batch (the number of samples when
    unweighted), as in scikit-learn, so ``alpha`` means the same for any batch size.
    Its gradient, ``alpha W_l / n``, is added in
    :func:`skann._math.backprop.backpropagate` (L-BFGS and the gradient check) or
    by the optimiser's step (the stochastic solvers).

    Parameters
    ----------
    coefs : list of ndarray
        Weight matrices ``W_l``; biases are not penalised. Any split of the same
        weights gives the same penalty, up to rounding: the stochastic solvers
        pass all of them as one flat vector, one dot product per batch.
    alpha : float
        Strength.
    total_weight : float
        ``n``.

    Returns
    -------
    penalty : float

    Examples
    --------
    >>> import numpy as np
    >>> l2_penalty([np.array([[3.0, 4.0]])], alpha=2.0, total_weight=5.0)
    5.0
    """
    if alpha == 0:
        return 0.0
    squares = sum(float(np.dot(W.ravel(), W.ravel())) for W in coefs)
    return 0.5 * alpha * squares / total_weight
