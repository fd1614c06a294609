"""Gallant's pocket algorithm with ratchet, checked at the end of each epoch.

The pocket holds, per neuron (or for the whole Kesler machine under the multinomial
rule), the weights with the fewest weighted training mistakes among those offered, and
takes new weights only when they make strictly fewer (the ratchet). skann offers the
weights training has at the end of each epoch, which costs one prediction pass over the
training rows per epoch.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from skann._math.linear import net_input

#: Rows per chunk of :func:`pocket_errors` keep its net inputs under this many bytes.
_CHUNK_BYTES = 16 * 2**20


@dataclass
class Pocket:
    """The pocketed weights and their weighted training mistakes.

    Parameters
    ----------
    coef : ndarray of shape (S, R)
        Pocketed weights.
    intercept : ndarray of shape (S,)
        Pocketed biases.
    errors : ndarray of shape (P,)
        Weighted training mistakes of each pocket (inf while empty); ``P = S``, or 1
        for the Kesler machine.
    """

    coef: np.ndarray
    intercept: np.ndarray
    errors: np.ndarray

    @classmethod
    def empty(cls, coef, intercept, multinomial):
        """Empty pockets for weights shaped like ``coef`` and ``intercept``.

        Parameters
        ----------
        coef : ndarray of shape (S, R)
            Weights (only their shape and dtype are used).
        intercept : ndarray of shape (S,)
            Biases (likewise).
        multinomial : bool
            One pocket for the Kesler machine instead of one per neuron.

        Returns
        -------
        Pocket
        """
        P = 1 if multinomial else coef.shape[0]
        return cls(np.zeros_like(coef), np.zeros_like(intercept), np.full(P, np.inf))


def pocket_errors(X, rows, T, sample_weight, coef, intercept):
    """Weighted training mistakes ``E`` of each neuron, or of the Kesler machine.

    ``E_i = sum_q w_q [neuron i predicts p_q wrongly]``, predicting as ``predict``
    does: positive when ``n > 0``; for the multinomial rule (``T`` of class indices)
    one count for the machine, the arg max of the net inputs against the class.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, R)
        Samples.
    rows : ndarray of int
        The rows to count.
    T : ndarray
        Targets in {-1, +1} of shape (n_samples, S), or class indices of shape
        (n_samples,) for the multinomial rule.
    sample_weight : ndarray of shape (n_samples,)
        What a mistake on each sample counts.
    coef : ndarray of shape (S, R)
        Weights.
    intercept : ndarray of shape (S,)
        Biases.

    Returns
    -------
    errors : ndarray of shape (S,), or (1,) for the multinomial rule

    Examples
    --------
    >>> import numpy as np
    >>> X, T = np.array([[0.0], [1.0], [2.0]]), np.array([[-1], [1], [1]])
    >>> w, b = np.array([[1.0]]), np.array([-1.5])
    >>> pocket_errors(X, np.arange(3), T, np.ones(3), w, b)
    array([1.])
    """
    multinomial = T.ndim == 1
    total = np.zeros(1 if multinomial else coef.shape[0])
    # a copied row: its values, or a sparse row's stored values and their indices
    stored = 2 * (X.nnz // max(X.shape[0], 1) + 1) if sparse.issparse(X) else X.shape[1]
    row_bytes = X.dtype.itemsize * (coef.shape[0] + stored)
    step = max(1, _CHUNK_BYTES // max(row_bytes, 1))
    for start in range(0, len(rows), step):
        idx = rows[start : start + step]
        scores = net_input(X[idx], coef, intercept)
        if multinomial:
            wrong = (scores.argmax(axis=1) != T[idx])[:, None]
        else:
            wrong = (scores > 0) != (T[idx] > 0)
        total += sample_weight[idx] @ wrong
    return total


def pocket_offer(pocket, coef, intercept, errors):
    """Gallant's ratchet: each pocket takes the weights if they make fewer mistakes.

    Parameters
    ----------
    pocket : Pocket
        Updated in place.
    coef : ndarray of shape (S, R)
        Candidate weights.
    intercept : ndarray of shape (S,)
        Candidate biases.
    errors : ndarray of shape (P,)
        Their mistakes, from :func:`pocket_errors`.

    Examples
    --------
    >>> import numpy as np
    >>> pocket = Pocket.empty(np.zeros((2, 1)), np.zeros(2), multinomial=False)
    >>> pocket_offer(pocket, np.ones((2, 1)), np.zeros(2), np.array([3.0, 1.0]))
    >>> pocket_offer(pocket, 2 * np.ones((2, 1)), np.zeros(2), np.array([2.0, 1.0]))
    >>> pocket.coef.ravel(), pocket.errors
    (array([2., 1.]), array([2., 1.]))
    """
    better = errors < pocket.errors
    rows = np.full(coef.shape[0], better[0]) if len(better) == 1 else better
    pocket.coef[rows] = coef[rows]
    pocket.intercept[rows] = intercept[rows]
    pocket.errors = np.where(better, errors, pocket.errors)
