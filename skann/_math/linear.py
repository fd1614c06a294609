"""The neuron's net input and the hard-limit transfer functions.

Per sample (textbook, Hagan's *Neural Network Design*): ``n = W p + b`` with ``W`` of
shape (S, R), ``p`` of shape (R,) and ``b`` of shape (S,). Batched (rows are samples):
``N = X W^T + b`` with ``X`` of shape (n_samples, R). See ``docs/math/notation``.
"""

import numpy as np
from scipy import sparse


def net_input(X, coef, intercept):
    """Net input of a layer of neurons for a batch of samples, ``N = X W^T + b``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, R)
        One sample per row.
    coef : ndarray of shape (S, R)
        Weight matrix ``W``: one row per neuron.
    intercept : ndarray of shape (S,)
        Biases ``b``.

    Returns
    -------
    N : ndarray of shape (n_samples, S)
        Row ``i`` is ``W p_i + b`` for the sample ``p_i = X[i]``.

    Examples
    --------
    >>> import numpy as np
    >>> net_input(np.array([[1.0, 2.0]]), np.array([[3.0, -1.0]]), np.array([0.5]))
    array([[1.5]])
    """
    if sparse.issparse(X):
        N = np.asarray(X @ coef.T)
    else:
        N = X @ coef.T
    N += intercept
    return N


def hard_limit(n):
    """Hard limit ``hardlim(n)``: 1 where ``n >= 0``, else 0.

    Parameters
    ----------
    n : array-like
        Net input.

    Returns
    -------
    a : ndarray of int
        The neuron's output in {0, 1}.

    Examples
    --------
    >>> hard_limit([-1.0, 0.0, 2.0])
    array([0, 1, 1])
    """
    return (np.asarray(n) >= 0).astype(int)


def symmetric_hard_limit(n):
    """Symmetric hard limit ``hardlims(n)``: +1 where ``n >= 0``, else -1.

    Parameters
    ----------
    n : array-like
        Net input.

    Returns
    -------
    a : ndarray of int
        The neuron's output in {-1, +1}.

    Examples
    --------
    >>> symmetric_hard_limit([-1.0, 0.0, 2.0])
    array([-1,  1,  1])
    """
    return np.where(np.asarray(n) >= 0, 1, -1)
