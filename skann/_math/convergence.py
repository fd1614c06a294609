"""Novikoff's perceptron convergence bound, measured on data and weights."""

import numpy as np
from scipy import sparse


def novikoff_bound(X, T, coef, intercept):
    """Radius, margin and Novikoff's bound ``(R / gamma)^2`` for each neuron.

    The bias is folded into the weights with augmented vectors ``(p, 1)`` and
    ``(w, b)``: ``R = max_i ||(p_i, 1)||`` and ``gamma = min_i t_i (w p_i + b) /
    ||(w, b)||``. When ``gamma > 0`` the data are separated by ``(w, b)`` and the
    perceptron rule makes at most ``(R / gamma)^2`` mistakes on them, in any order.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, R)
        Samples.
    T : ndarray of shape (n_samples, S)
        Targets in {-1, +1}, one column per neuron.
    coef : ndarray of shape (S, R)
        Weights.
    intercept : ndarray of shape (S,)
        Biases; zeros when the model has no intercept.

    Returns
    -------
    radius : float
        ``R``, the largest norm of an augmented sample.
    margin : ndarray of shape (S,)
        ``gamma`` per neuron (negative or zero when the data are not separated).
    bound : ndarray of shape (S,)
        ``(R / gamma)^2`` where ``gamma > 0``, else ``inf`` (also ``inf`` where the
        bound exceeds the float range).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    >>> T = np.array([[1], [-1]])
    >>> W, b = np.array([[1.0, 0.0]]), np.zeros(1)
    >>> radius, margin, bound = novikoff_bound(X, T, W, b)
    >>> float(radius), margin, bound
    (1.4142135623730951, array([1.]), array([2.]))
    """
    sq = (
        X.multiply(X).sum(axis=1) if sparse.issparse(X) else np.einsum("ij,ij->i", X, X)
    )
    radius = float(np.sqrt(np.max(np.asarray(sq).ravel() + 1.0)))
    scores = np.asarray(X @ coef.T) + intercept
    norms = np.sqrt(np.sum(coef.astype(np.float64) ** 2, axis=1) + intercept**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        margin = np.min(T * scores, axis=0) / norms
    margin = np.where(norms > 0, margin, 0.0)
    # A margin tiny beside R gives a bound beyond the float range: inf, quietly.
    with np.errstate(divide="ignore", over="ignore"):
        bound = np.where(
            margin > 0, (radius / np.where(margin > 0, margin, 1)) ** 2, np.inf
        )
    return radius, margin, bound


def kesler_novikoff_bound(X, y, coef, intercept):
    """Radius, margin and Novikoff's bound of Kesler's construction as a whole.

    Kesler's rule is the perceptron rule on one long weight vector (all class rows
    ``(w_k, b_k)`` stacked) and, per sample and rival class, the vector that holds
    ``(p, 1)`` in the true class's block and ``-(p, 1)`` in the rival's. Its norm is
    ``sqrt(2) ||(p, 1)||``, hence ``R = sqrt(2) max ||(p, 1)||``; the margin is
    ``min_i (n_true - max_{k != true} n_k) / ||(W, b)||``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, R)
        Samples.
    y : ndarray of int of shape (n_samples,)
        Class index of each sample.
    coef : ndarray of shape (K, R)
        One weight row per class.
    intercept : ndarray of shape (K,)
        Biases; zeros when the model has no intercept.

    Returns
    -------
    radius : float
    margin : ndarray of shape (1,)
    bound : ndarray of shape (1,)

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.array([[1.0], [-1.0]]), np.array([0, 1])
    >>> W, b = np.array([[1.0], [-1.0], [0.0]]), np.zeros(3)
    >>> radius, margin, bound = kesler_novikoff_bound(X, y, W, b)
    >>> round(radius, 4), margin.round(4), bound.round(4)
    (2.0, array([0.7071]), array([8.]))
    """
    scores = np.asarray(X @ coef.T, dtype=np.float64) + intercept
    rows = np.arange(len(y))
    true = scores[rows, y]
    scores[rows, y] = -np.inf
    gap = true - scores.max(axis=1)
    sq = (
        X.multiply(X).sum(axis=1) if sparse.issparse(X) else np.einsum("ij,ij->i", X, X)
    )
    radius = float(np.sqrt(2.0 * (np.max(np.asarray(sq)) + 1.0)))
    norm = np.sqrt((coef.astype(np.float64) ** 2).sum() + (intercept**2).sum())
    margin = np.array([gap.min() / norm if norm > 0 else 0.0])
    with np.errstate(over="ignore"):
        bound = np.where(
            margin > 0, (radius / np.where(margin > 0, margin, 1)) ** 2, np.inf
        )
    return radius, margin, bound
