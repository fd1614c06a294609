"""Penalties on the weights: L2 as a shrink factor, L1 as a cumulative penalty."""

import numpy as np


def l2_shrink_factor(eta, alpha, l1_ratio):
    """Factor by which the L2 part of the penalty shrinks ``W`` at each sample visit.

    The gradient step on ``alpha (1 - l1_ratio) / 2 ||W||^2`` is
    ``W <- W - eta alpha (1 - l1_ratio) W``, a multiplication by ``1 - eta alpha
    (1 - l1_ratio)``; as in scikit-learn it is clipped at 0.

    Parameters
    ----------
    eta : float
        Learning rate.
    alpha : float
        Penalty strength.
    l1_ratio : float
        Share of the penalty that is L1 (0 for ``penalty="l2"``).

    Returns
    -------
    c : float
        The shrink factor, in [0, 1].

    Examples
    --------
    >>> l2_shrink_factor(1.0, 0.01, 0.0)
    0.99
    """
    return max(0.0, 1.0 - eta * alpha * (1.0 - l1_ratio))


def cumulative_l1_penalty(W, u, q):
    """Apply the cumulative L1 penalty of Tsuruoka et al. (2009) in place.

    ``u`` is the total L1 penalty each weight could have received so far
    (``eta alpha l1_ratio`` per sample visit) and ``q`` the penalty each weight has
    actually received. Each weight moves towards 0 by what it is owed, without
    crossing 0::

        w > 0:  w <- max(0, w - (u + q))
        w < 0:  w <- min(0, w + (u - q))
        q <- q + (w_new - w_old)

    Parameters
    ----------
    W : ndarray
        Weights, modified in place.
    u : float
        Cumulative penalty per weight so far.
    q : ndarray of the shape of ``W``
        Penalty received so far, modified in place.

    Returns
    -------
    W : ndarray
        The same array, penalised.

    Examples
    --------
    >>> import numpy as np
    >>> W, q = np.array([0.5, -0.05, 0.0]), np.zeros(3)
    >>> cumulative_l1_penalty(W, 0.1, q)
    array([0.4, 0. , 0. ])
    >>> q
    array([-0.1 ,  0.05,  0.  ])
    """
    old = W.copy()
    positive = W > 0
    negative = W < 0
    W[positive] = np.maximum(0.0, W[positive] - (u + q[positive]))
    W[negative] = np.minimum(0.0, W[negative] + (u - q[negative]))
    q += W - old
    return W
