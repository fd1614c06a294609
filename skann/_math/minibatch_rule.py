"""The (mini-)batch perceptron rule (Duda and Hart's batch perceptron).

For each batch of ``B`` samples all net inputs are computed with the weights at the
start of the batch; then, in the order of the online rule (see
:mod:`skann._math.perceptron_rule`), the batch's L2 shrinks ``c^B``, the sum of its
mistakes' steps ``eta sum_i w_i t_i p_i^T``, the L1 penalty of its ``B`` visits on the
features it holds, and, for the averaged perceptron, the weights after the batch
counted once per visit. With ``batch_size`` at least the number of samples it is the
full-batch rule. Matrix products do the work, so it needs no compiled kernel.
"""

import numpy as np
from scipy import sparse

from skann._math.linear import net_input
from skann._math.penalty import cumulative_l1_penalty
from skann._math.perceptron_rule import EpochResult, weights_finite


def batch_steps(N, T, sample_weight, settings):
    """Step coefficients ``D`` of a batch (``W += eta D^T X_B``), and its loss.

    Parameters
    ----------
    N : ndarray of shape (B, S)
        Net inputs of the batch, with the weights at its start.
    T : ndarray
        The batch's targets: ``(B, S)`` in {-1, +1}, or class indices ``(B,)`` for
        the multinomial rule.
    sample_weight : ndarray of shape (B,)
        Weights of the batch's samples.
    settings : RuleSettings
        Hyper-parameters (``tau``, ``multinomial``).

    Returns
    -------
    D : ndarray of float64 of shape (B, S)
        ``w t`` of each erring neuron (Kesler: ``+w`` true row, ``-w`` rival), else 0.
    loss : float
        Weighted perceptron criterion of the batch.

    Examples
    --------
    >>> import numpy as np
    >>> from skann._math.perceptron_rule import RuleSettings
    >>> D, loss = batch_steps(np.array([[-2.0], [3.0]]), np.array([[1], [1]]),
    ...                       np.ones(2), RuleSettings())
    >>> D, loss
    (array([[1.],
           [0.]]), 2.0)
    """
    B, S = N.shape
    w = np.asarray(sample_weight, dtype=np.float64)
    D = np.zeros((B, S))
    if settings.multinomial:
        rows = np.arange(B)
        rivals = N.astype(np.float64)
        rivals[rows, T] = -np.inf
        rival = rivals.argmax(axis=1)
        margin = N[rows, T] - N[rows, rival]
        erring = margin <= settings.tau
        D[rows[erring], T[erring]] = w[erring]
        D[rows[erring], rival[erring]] = -w[erring]
        return D, float(w @ np.maximum(0.0, -margin))
    margins = T * N
    D[margins <= settings.tau] = 1.0
    D *= T * w[:, None]
    return D, float(w @ np.maximum(0.0, -margins).sum(axis=1))


def minibatch_epoch(X, T, order, sample_weight, state, settings, batch_size):
    """One pass of the mini-batch perceptron rule over ``X[order]``.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, R)
        Samples.
    T : ndarray
        Targets, as for :func:`skann._math.perceptron_rule.online_epoch`.
    order : ndarray of int
        The rows to visit, in order.
    sample_weight : ndarray of shape (n_samples,)
        Weight of each sample.
    state : RuleState
        Weights and sums, updated in place.
    settings : RuleSettings
        Hyper-parameters.
    batch_size : int
        Samples per batch.

    Returns
    -------
    EpochResult
    """
    state.fold_average()  # coef_sum whole: this loop adds W to it
    W, b = state.coef, state.intercept
    result = EpochResult()
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        B = len(rows)
        Xb = X[rows]
        D, loss = batch_steps(
            net_input(Xb, W, b), T[rows], sample_weight[rows], settings
        )
        result.loss += loss
        erred = D != 0
        result.n_mistakes += int(erred.any(axis=1).sum())
        state.n_updates += erred.sum(axis=0)
        if settings.shrink != 1.0:
            W *= settings.shrink**B
        if erred.any():
            W += settings.eta * np.asarray(Xb.T @ D).T.astype(W.dtype)
            if settings.fit_intercept:
                b += settings.intercept_decay * settings.eta * D.sum(axis=0)
        if settings.l1_step:
            state.l1_owed += settings.l1_step * B
            features = (
                np.unique(Xb.indices[Xb.data != 0])
                if sparse.issparse(Xb)
                else np.flatnonzero((Xb != 0).any(axis=0))
            )
            block = np.ix_(np.arange(W.shape[0]), features)
            received = state.l1_received[block]
            W[block] = cumulative_l1_penalty(W[block], state.l1_owed, received)
            state.l1_received[block] = received
        state.n_visits += B
        if settings.average_from is not None:
            counted = min(B, max(0, state.n_visits - settings.average_from + 1))
            state.coef_sum += counted * W
            state.intercept_sum += counted * b
            state.n_averaged += counted
    result.finite = weights_finite(state)
    return result
