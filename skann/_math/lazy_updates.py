"""Weights that make every step of a visit cost O(non-zeros of the sample).

The textbook loop (:func:`skann._math.perceptron_rule.online_epoch`) shrinks all of
``W`` at every visit for the L2 penalty and adds all of ``W`` to a running sum for the
averaged perceptron: O(S R) per visit, where a sparse sample has a few dozen non-zeros
among hundreds of thousands of features. :class:`LazyWeights` keeps the same numbers
in a form where each operation touches only the sample's features; it is the readable
reference of what the compiled kernel (:mod:`skann._kernels.perceptron_rule`) does
with plain arrays. See ``docs/math/perceptron`` for the derivations.

- **Scale trick** (scikit-learn's ``WeightVector``): ``W = s V``. Shrinking ``W`` by
  ``c`` multiplies the scalar ``s``; a step ``Delta W`` on some entries adds
  ``Delta W / s`` to ``V`` there. When ``s`` falls below :data:`MIN_SCALE` it is folded
  into ``V`` (``V <- s V``, ``s <- 1``), which keeps ``V`` finite.
- **Lazy L1** (Tsuruoka, Tsujii and Ananiadou, 2009): the cumulative penalty of
  :func:`skann._math.penalty.cumulative_l1_penalty`, applied to the sample's features
  only, in ``V``'s units.
- **Lazy average**: the sum of the weights after each averaged visit,
  ``sum_k W_k = U + beta V`` with ``beta = sum_k s_k``. A change ``Delta V`` at visit
  ``k`` subtracts ``beta_{k-1} Delta V`` from ``U`` at the same entries; a visit adds
  its ``s`` to ``beta``. Nothing else changes, so the sum costs nothing per visit.
"""

import numpy as np

#: Below this scale ``s`` is folded into ``V`` (scikit-learn's threshold).
MIN_SCALE = 1e-9


class LazyWeights:
    """``W = s V`` and the averaging sum ``U + beta V``.

    Parameters
    ----------
    W : ndarray of shape (S, R)
        Initial weights (copied, in float64).

    Examples
    --------
    >>> import numpy as np
    >>> lazy = LazyWeights(np.ones((1, 3)))
    >>> lazy.shrink(0.5)
    >>> lazy.add([0], np.array([2]), np.array([1.0]))  # W[0, 2] += 1
    >>> lazy.count_visit()
    >>> lazy.weights(), lazy.weight_sum()
    (array([[0.5, 0.5, 1.5]]), array([[0.5, 0.5, 1.5]]))
    """

    def __init__(self, W):
        self.V = np.array(W, dtype=np.float64)
        self.s = 1.0
        self.U = np.zeros_like(self.V)
        self.beta = 0.0

    def weights(self):
        """``W = s V``."""
        return self.s * self.V

    def weight_sum(self):
        """The sum of the weights after each counted visit, ``U + beta V``."""
        return self.U + self.beta * self.V

    def net_input(self, b, columns, values):
        """``n = s (V p) + b`` for a sample given by its non-zero entries."""
        return self.s * (self.V[:, columns] @ values) + b

    def shrink(self, c):
        """``W <- c W``: one multiplication, and a fold when ``s`` gets small."""
        self.s *= c
        if self.s < MIN_SCALE:
            self.U += self.beta * self.V
            self.V *= self.s
            self.beta, self.s = 0.0, 1.0

    def _change(self, rows, columns, change):
        block = np.ix_(rows, columns)
        self.V[block] += change
        self.U[block] -= self.beta * change

    def add(self, rows, columns, delta):
        """``W[rows, columns] += delta``, in ``V``'s units ``delta / s``."""
        self._change(np.asarray(rows), columns, np.asarray(delta) / self.s)

    def l1_penalty(self, u, q, columns):
        """The cumulative L1 penalty on ``columns`` (``q`` updated in place).

        Each weight ``w = s v`` moves towards 0 by what it is owed, ``u + q`` or
        ``u - q``, without crossing 0; ``q`` gains what it received.
        """
        rows = np.arange(self.V.shape[0])
        block = np.ix_(rows, columns)
        v = self.V[block]
        w = self.s * v
        new = np.where(
            w > 0,
            np.maximum(0.0, v - (u + q[block]) / self.s),
            np.where(w < 0, np.minimum(0.0, v + (u - q[block]) / self.s), v),
        )
        q[block] += self.s * (new - v)
        self._change(rows, columns, new - v)

    def count_visit(self):
        """Add the current weights to the averaging sum: ``beta += s``."""
        self.beta += self.s
