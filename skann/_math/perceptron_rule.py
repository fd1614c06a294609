"""The perceptron learning rule: the textbook step, and the epoch loop that takes it.

Textbook, per sample (Hagan's *Neural Network Design*): ``e = t - a`` and
``W <- W + eta e p^T``, ``b <- b + eta e``. skann writes it with targets
``t in {-1, +1}``: a neuron errs when ``t n <= tau`` and then moves by ``eta t p^T``.

:func:`online_epoch` is the readable reference loop, one sample at a time, with the
variants scikit-learn's ``SGDClassifier(loss="perceptron")`` takes in the same order at
each visit of a sample ``p`` of weight ``w``:

1. the net input ``n = W p + b`` (:func:`row_net_input`);
2. the L2 shrink ``W <- c W`` (:func:`skann._math.penalty.l2_shrink_factor`);
3. on a mistake the step ``W <- W + eta w t p^T``, ``b <- b + eta w t``
   (:func:`perceptron_update`), or Kesler's step for the multinomial rule
   (:func:`kesler_update`);
4. the cumulative L1 penalty on the weights of ``p``'s non-zero features
   (:func:`skann._math.penalty.cumulative_l1_penalty`);
5. the averaged perceptron adds the weights to a running sum.

The compiled kernel :func:`skann._kernels.perceptron_rule.online_epoch` reproduces it
with O(non-zeros of p) work per visit (the tricks of :mod:`skann._math.lazy_updates`).
A row is read as its non-zero entries (:func:`row_entries`), so a dense row and its
sparse form give the same numbers.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from skann._math.penalty import cumulative_l1_penalty


def perceptron_error(t, a):
    """Textbook error ``e = t - a``.

    Parameters
    ----------
    t : array-like
        Target.
    a : array-like
        Output of the hard limit.

    Returns
    -------
    e : ndarray
        The error.

    Examples
    --------
    >>> perceptron_error([1, 0, 1], [0, 0, 1])
    array([1, 0, 0])
    """
    return np.asarray(t) - np.asarray(a)


def perceptron_update(W, b, p, e, eta=1.0):
    """Textbook perceptron rule for one sample: ``W + eta e p^T`` and ``b + eta e``.

    Parameters
    ----------
    W : ndarray of shape (S, R)
        Weights.
    b : ndarray of shape (S,)
        Biases.
    p : ndarray of shape (R,)
        The sample.
    e : ndarray of shape (S,)
        Error of each neuron.
    eta : float, default=1.0
        Learning rate.

    Returns
    -------
    W_new : ndarray of shape (S, R)
    b_new : ndarray of shape (S,)

    Examples
    --------
    >>> import numpy as np
    >>> W, b = perceptron_update(np.array([[1.0, -0.8]]), np.zeros(1),
    ...                          np.array([1.0, 2.0]), np.array([1.0]))
    >>> W, b
    (array([[2. , 1.2]]), array([1.]))
    """
    e = np.asarray(e, dtype=float)
    return W + eta * np.outer(e, p), b + eta * e


def kesler_update(W, b, p, true_class, rival_class, eta=1.0):
    """Multinomial (Kesler) perceptron rule for one misclassified sample.

    Adds ``eta p`` to the true class's row and subtracts it from the rival's row
    (the highest-scoring wrong class); biases move by ``+eta`` and ``-eta``.

    Parameters
    ----------
    W : ndarray of shape (K, R)
        One row per class.
    b : ndarray of shape (K,)
        Biases.
    p : ndarray of shape (R,)
        The sample.
    true_class : int
        Row of the true class.
    rival_class : int
        Row of the highest-scoring wrong class.
    eta : float, default=1.0
        Learning rate.

    Returns
    -------
    W_new : ndarray of shape (K, R)
    b_new : ndarray of shape (K,)

    Examples
    --------
    >>> import numpy as np
    >>> W, b = kesler_update(np.zeros((3, 2)), np.zeros(3), np.array([1.0, 2.0]), 0, 2)
    >>> W
    array([[ 1.,  2.],
           [ 0.,  0.],
           [-1., -2.]])
    """
    W, b = W.copy(), b.copy()
    W[true_class] += eta * p
    W[rival_class] -= eta * p
    b[true_class] += eta
    b[rival_class] -= eta
    return W, b


def rival_class(n, true_class):
    """The highest-scoring wrong class (the first of equals, as ``argmax``).

    Parameters
    ----------
    n : ndarray of shape (K,)
        Net inputs of the K class rows.
    true_class : int
        The sample's class.

    Returns
    -------
    rival : int

    Examples
    --------
    >>> import numpy as np
    >>> rival_class(np.array([3.0, 1.0, 2.0]), 0)
    2
    """
    scores = np.array(n, dtype=np.float64)
    scores[true_class] = -np.inf
    return int(scores.argmax())


@dataclass
class RuleSettings:
    """The hyper-parameters of an epoch of the perceptron rule.

    Parameters
    ----------
    eta : float
        Learning rate ``eta``.
    tau : float
        Margin: a neuron errs when ``t n <= tau``.
    fit_intercept : bool
        Whether ``b`` is learned.
    intercept_decay : float
        Factor of the bias's step: ``b <- b + intercept_decay eta w t`` (scikit-learn's
        SGD takes 0.01 on sparse data; 1 is the textbook rule).
    shrink : float
        L2 shrink factor ``c`` per visit (1.0: no L2 penalty).
    l1_step : float
        L1 penalty ``eta alpha l1_ratio`` added to ``u`` per visit (0.0: none).
    average_from : int or None
        Visit number (1-based, counted over all epochs) from which the weights are
        averaged; None: no averaging.
    multinomial : bool
        Kesler rule (one row per class) instead of independent neurons.
    """

    eta: float = 1.0
    tau: float = 0.0
    fit_intercept: bool = True
    intercept_decay: float = 1.0
    shrink: float = 1.0
    l1_step: float = 0.0
    average_from: int | None = None
    multinomial: bool = False


@dataclass
class RuleState:
    """What the rule carries from one epoch (and one ``partial_fit`` call) to the next.

    Plain arrays and numbers only, so a fitted model saves and loads as data.

    Parameters
    ----------
    coef : ndarray of shape (S, R)
        Current weights ``W``.
    intercept : ndarray of shape (S,)
        Current biases ``b``.
    """

    coef: np.ndarray
    intercept: np.ndarray
    #: Sum of the weights after each averaged visit (see :meth:`weight_sum`), and how
    #: many visits that is.
    coef_sum: np.ndarray | None = None
    intercept_sum: np.ndarray | None = None
    n_averaged: int = 0
    #: The compiled rule keeps the lazy average of :mod:`skann._math.lazy_updates`
    #: from one epoch to the next: the sum of the weights is then
    #: ``coef_sum + average_beta * coef``, so that an epoch costs O(non-zeros), not
    #: O(S R). The NumPy rules fold it into ``coef_sum`` first (:meth:`fold_average`).
    average_beta: float = 0.0
    #: Visits made so far (scikit-learn's ``t_ - 1``).
    n_visits: int = 0
    #: Cumulative L1 penalty ``u`` per weight so far, and what each received, ``q``.
    l1_owed: float = 0.0
    l1_received: np.ndarray | None = None
    #: Updates each neuron made so far (for the Novikoff diagnostics).
    n_updates: np.ndarray = field(default=None)

    def __post_init__(self):
        if self.n_updates is None:
            self.n_updates = np.zeros(self.coef.shape[0], dtype=np.int64)

    def weight_sum(self):
        """The sum of the weights after each averaged visit, in float64.

        Returns
        -------
        ndarray of shape (S, R)
            ``coef_sum + average_beta * coef``.
        """
        return self.coef_sum + np.multiply(self.average_beta, self.coef, dtype=float)

    def fold_average(self):
        """Make ``coef_sum`` the whole sum (``average_beta`` 0), in place."""
        if self.average_beta:
            self.coef_sum += np.multiply(self.average_beta, self.coef, dtype=float)
            self.average_beta = 0.0


def row_entries(X, i):
    """The non-zero entries of row ``i``: column indices and values, by column.

    A dense row and its CSR form (canonical: sorted, no duplicates) give the same
    two arrays, so everything computed from them is the same bit for bit.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, R)
        Samples.
    i : int
        Row.

    Returns
    -------
    columns : ndarray of int
    values : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> row_entries(np.array([[0.0, 2.0, 0.0, -1.0]]), 0)
    (array([1, 3]), array([ 2., -1.]))
    """
    if sparse.issparse(X):
        start, stop = X.indptr[i], X.indptr[i + 1]
        columns, values = X.indices[start:stop], X.data[start:stop]
        keep = values != 0
        return columns[keep].astype(np.intp), values[keep]
    columns = np.flatnonzero(X[i])
    return columns, X[i, columns]


def row_net_input(W, b, columns, values):
    """``n = W p + b`` for one sample given as its non-zero entries.

    Parameters
    ----------
    W : ndarray of shape (S, R)
        Weights.
    b : ndarray of shape (S,)
        Biases.
    columns, values : ndarray
        The sample's non-zero entries (:func:`row_entries`).

    Returns
    -------
    n : ndarray of float64 of shape (S,)

    Examples
    --------
    >>> import numpy as np
    >>> row_net_input(np.array([[1.0, 5.0, 2.0]]), np.array([0.5]),
    ...               np.array([0, 2]), np.array([3.0, -1.0]))
    array([1.5])
    """
    return W[:, columns].astype(np.float64) @ values.astype(np.float64) + b


@dataclass
class EpochResult:
    """What one epoch observed.

    Parameters
    ----------
    n_mistakes : int
        Samples on which at least one neuron was updated.
    loss : float
        Weighted perceptron criterion ``sum_i w_i max(0, -t_i n_i)`` over the visits
        (summed over the neurons; Kesler's rule: ``max(0, -(n_true - n_rival))``),
        with ``n_i`` the net input when the sample was visited.
    finite : bool
        Whether every weight and bias is finite after an epoch that started with
        finite ones; a step that overflowed leaves an inf or a NaN. (The estimators
        stop at the first epoch that is not finite.)
    """

    n_mistakes: int = 0
    loss: float = 0.0
    finite: bool = True


def weights_finite(state):
    """Whether every weight and bias of ``state`` is finite.

    Parameters
    ----------
    state : RuleState
        The rule's weights ``coef`` and biases ``intercept``.

    Returns
    -------
    finite : bool
        False when a step overflowed somewhere (an inf or a NaN).
    """
    return bool(np.isfinite(state.coef).all() and np.isfinite(state.intercept).all())


def online_epoch(X, T, order, sample_weight, state, settings):
    """One pass of the online perceptron rule over ``X[order]``, one sample at a time.

    The reference the compiled kernel reproduces. At each visit, in this order: the
    net input, the L2 shrink, the step on a mistake (scaled by the sample's weight),
    the L1 penalty on the sample's features, and the running sum of the averaged
    perceptron (see the module docstring).

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, R)
        Samples; a CSR matrix must be canonical (sorted indices, no duplicates).
    T : ndarray
        Targets: ``(n_samples, S)`` in {-1, +1} for independent neurons, or the class
        index of each sample, shape ``(n_samples,)``, for the multinomial rule.
    order : ndarray of int
        The rows to visit, in order.
    sample_weight : ndarray of shape (n_samples,)
        Weight ``w`` of each sample: a mistake's step is ``eta w t p``.
    state : RuleState
        Weights and sums, updated in place.
    settings : RuleSettings
        Hyper-parameters.

    Returns
    -------
    EpochResult
        Mistakes, loss and finiteness of the epoch.
    """
    state.fold_average()  # coef_sum whole: this loop adds W to it
    W, b = state.coef, state.intercept
    result = EpochResult()
    for i in order:
        columns, values = row_entries(X, i)
        w = float(sample_weight[i])
        n = row_net_input(W, b, columns, values)
        if settings.multinomial:
            true = int(T[i])
            rival = rival_class(n, true)
            margin = n[true] - n[rival]
            result.loss += w * max(0.0, -margin)
            erring = np.zeros(len(n), dtype=bool)
            erring[[true, rival]] = margin <= settings.tau
            sign = np.zeros(len(n))
            sign[true], sign[rival] = 1.0, -1.0
        else:
            margins = T[i] * n
            result.loss += w * float(np.maximum(0.0, -margins).sum())
            erring = margins <= settings.tau
            sign = T[i]
        if settings.shrink != 1.0:
            W *= settings.shrink
        if erring.any():
            step = settings.eta * w * sign[erring]
            W[np.ix_(erring, columns)] += step[:, None] * values
            if settings.fit_intercept:
                b[erring] += settings.intercept_decay * step
            state.n_updates[erring] += 1
            result.n_mistakes += 1
        if settings.l1_step:
            state.l1_owed += settings.l1_step
            block = np.ix_(np.arange(W.shape[0]), columns)
            received = state.l1_received[block]
            W[block] = cumulative_l1_penalty(W[block], state.l1_owed, received)
            state.l1_received[block] = received
        state.n_visits += 1
        if (
            settings.average_from is not None
            and state.n_visits >= settings.average_from
        ):
            state.coef_sum += W
            state.intercept_sum += b
            state.n_averaged += 1
    result.finite = weights_finite(state)
    return result
