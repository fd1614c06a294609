"""The perceptron learning rule: textbook form, and its exact vectorised epochs.

Textbook, per sample (Hagan's *Neural Network Design*): ``e = t - a`` and
``W <- W + eta e p^T``, ``b <- b + eta e``. skann writes it with targets
``t in {-1, +1}``: a neuron errs when ``t n <= tau`` and then moves by ``eta t p^T``.

The epochs below keep the exact sequential semantics of that rule without a Python
loop over samples: between two mistakes the weights do not change, so the scores of a
block of samples are one matrix product, and the block's Gram matrix turns a mistake
into a correction of the later scores. Only a mistake costs a Python step. See
``docs/math/perceptron`` ("How the exact online rule is vectorised").
"""

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from skann._math import compiled_rule
from skann._math.linear import net_input
from skann._math.penalty import cumulative_l1_penalty

#: The compiled per-sample epoch used when numba is installed (see
#: :mod:`skann._math.compiled_rule`); None runs the NumPy epoch, the reference.
compiled_epoch = (
    compiled_rule.online_epoch_compiled if compiled_rule.AVAILABLE else None
)

#: Rows per block in the online scan. The L1 penalty is applied at the end of each
#: block, so this number is part of the documented semantics of ``penalty="l1"``.
BLOCK_SIZE = 64


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


def steps_to_correct(margin, tau, eta, sq_norm, weight):
    """Unit steps a sample of weight ``weight`` takes when it is misclassified.

    Presenting a misclassified sample ``k`` times in a row moves its margin
    ``t n`` by ``eta (||p||^2 + 1)`` per update (``+ 1`` from the bias) until it
    exceeds ``tau``. The number of updates is ``min(k, m)`` with
    ``m = floor((tau - t n) / (eta (||p||^2 + 1))) + 1``; for a fractional weight the
    same formula gives a fractional last step. This is what makes an integer
    ``sample_weight`` act as repetitions.

    Parameters
    ----------
    margin : ndarray
        ``t n`` of the erring neurons, each ``<= tau``.
    tau : float
        Margin below which a neuron errs.
    eta : float
        Learning rate.
    sq_norm : float
        ``||p||^2`` plus 1 when the model has a bias.
    weight : float
        The sample's weight.

    Returns
    -------
    steps : ndarray
        Number of unit updates for each erring neuron, at most ``weight``.

    Examples
    --------
    >>> import numpy as np
    >>> steps_to_correct(np.array([-3.0, 0.0]), 0.0, 1.0, 2.0, 5.0)
    array([2., 1.])
    """
    if sq_norm <= 0.0:
        return np.full(np.shape(margin), float(weight))
    needed = np.floor((tau - margin) / (eta * sq_norm)) + 1.0
    return np.minimum(needed, weight)


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


@dataclass
class RuleState:
    """Weights and running sums that a perceptron carries from one epoch to the next.

    Parameters
    ----------
    coef : ndarray of shape (S, R)
        Current weights ``W``.
    intercept : ndarray of shape (S,)
        Current biases ``b``.
    """

    coef: np.ndarray
    intercept: np.ndarray
    #: Sum over averaged steps of the weights after each step (averaged perceptron).
    coef_sum: np.ndarray | None = None
    intercept_sum: np.ndarray | None = None
    #: Total weight of the steps in the sums above.
    n_averaged: float = 0.0
    #: Sample visits so far; averaging counts the visits after ``average_start``.
    n_visits: int = 0
    #: Cumulative L1 penalty ``u`` and what each weight received, ``q``.
    l1_owed: float = 0.0
    l1_received: np.ndarray | None = None
    #: Updates each neuron made so far (used by the Novikoff diagnostics).
    n_updates: np.ndarray = field(default=None)

    def __post_init__(self):
        if self.n_updates is None:
            self.n_updates = np.zeros(self.coef.shape[0], dtype=np.int64)


@dataclass
class RuleSettings:
    """The hyper-parameters of one epoch of the perceptron rule.

    Parameters
    ----------
    eta : float
        Learning rate ``eta``.
    tau : float
        Margin: a neuron errs when ``t n <= tau``.
    fit_intercept : bool
        Whether ``b`` is learned.
    shrink : float
        L2 shrink factor per sample visit (1.0: no L2 penalty).
    l1_step : float
        L1 penalty added to ``u`` per sample visit (0.0: no L1 penalty).
    average_start : int or None
        Visits after which the weights are averaged; None: no averaging.
    multinomial : bool
        Kesler rule (one row per class) instead of independent neurons.
    """

    eta: float = 1.0
    tau: float = 0.0
    fit_intercept: bool = True
    shrink: float = 1.0
    l1_step: float = 0.0
    average_start: int | None = None
    multinomial: bool = False


@dataclass
class EpochResult:
    """What one epoch observed.

    Parameters
    ----------
    n_mistakes : int
        Samples on which at least one neuron was updated.
    loss : float
        Weighted perceptron criterion ``sum_i w_i max(0, -t_i n_i)`` over the
        samples, with ``n_i`` the score when the sample was presented.
    """

    n_mistakes: int = 0
    loss: float = 0.0


def _gram(Xb):
    """``Xb Xb^T`` as a dense array."""
    G = Xb @ Xb.T
    return G.toarray() if sparse.issparse(G) else G


def _weighted_rows_sum(D, Xb):
    """``D^T Xb`` as a dense array of shape (S, R)."""
    if sparse.issparse(Xb):
        return np.asarray((Xb.T @ D).T)
    return D.T @ Xb


def _powers(c, n, dtype):
    """``c^0, c^1, ..., c^(n-1)``."""
    if c == 1.0:
        return np.ones(n, dtype=dtype)
    return np.power(dtype.type(c), np.arange(n, dtype=dtype))


def _finish_block(state, settings, Xb, D, omega, powers):
    """Apply a block's deferred updates, averaging sums and penalties to ``state``.

    ``D[j]`` holds the update coefficients of row ``j`` (``W += eta D[j]^T p_j``),
    ``omega[j]`` the weight of step ``j`` in the average, and ``powers`` the L2 shrink
    factors ``c^k``.
    """
    B = D.shape[0]
    eta = settings.eta
    c = settings.shrink
    if settings.average_start is not None:
        # sum_k omega_k W_{k+1} = (sum_k omega_k c^(k+1)) W_0 + sum_j H_j Delta_j,
        # H_j = sum_{k>=j} omega_k c^(k-j); and the same for the (unshrunk) bias.
        weighted = omega * powers[:B]
        H = np.cumsum(weighted[::-1])[::-1] / powers[:B]
        state.coef_sum += (c * weighted.sum()) * state.coef
        state.coef_sum += eta * _weighted_rows_sum(D * H[:, None], Xb)
        if settings.fit_intercept:
            Omega = np.cumsum(omega[::-1])[::-1]
            state.intercept_sum += omega.sum() * state.intercept
            state.intercept_sum += eta * (D * Omega[:, None]).sum(axis=0)
        state.n_averaged += float(omega.sum())
    bias_steps = D.sum(axis=0)
    if c != 1.0:
        # W_B = c^B W_0 + sum_j c^(B-1-j) Delta_j; the bias is not shrunk.
        state.coef *= c**B
        D = D * powers[:B][::-1, None]
    if D.any():
        state.coef += eta * _weighted_rows_sum(D, Xb)
        if settings.fit_intercept:
            state.intercept += eta * bias_steps
    if settings.l1_step:
        state.l1_owed += settings.l1_step * B
        cumulative_l1_penalty(state.coef, state.l1_owed, state.l1_received)


def _averaging_weights(state, settings, wb):
    """Weight of each step of the block in the average (0 before ``average_start``)."""
    visit = state.n_visits + np.arange(1, wb.shape[0] + 1)
    return np.where(visit > settings.average_start, wb, 0.0)


def online_epoch(X, T, order, state, settings, sample_weight=None):
    """One pass of the exact online perceptron rule over ``X[order]``.

    The result equals presenting the samples one at a time in the order given, the
    weights changing after each mistake; the work is done block by block with matrix
    products (see the module docstring).

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, R)
        Samples.
    T : ndarray of shape (n_samples, S)
        Targets in {-1, +1} per neuron; for the multinomial rule, shape
        (n_samples,) with the class index of each sample.
    order : ndarray of int
        The rows to visit, in order.
    state : RuleState
        Weights and sums, updated in place.
    settings : RuleSettings
        Hyper-parameters.
    sample_weight : ndarray of shape (n_samples,), default=None
        Positive weight of each sample (a budget of unit steps, see
        :func:`steps_to_correct`); leave zero-weight samples out of ``order``.

    Returns
    -------
    EpochResult
        Mistakes and loss of the epoch.
    """
    if (
        compiled_epoch is not None
        and not sparse.issparse(X)
        and settings.shrink == 1.0
        and not settings.l1_step
    ):
        return compiled_epoch(X, T, order, state, settings, sample_weight)
    result = EpochResult()
    dtype = state.coef.dtype
    powers = _powers(settings.shrink, BLOCK_SIZE + 1, dtype)
    bias = 1.0 if settings.fit_intercept else 0.0
    zero_bias = np.zeros_like(state.intercept)
    scan = _scan_multinomial if settings.multinomial else _scan_independent
    for start in range(0, len(order), BLOCK_SIZE):
        idx = order[start : start + BLOCK_SIZE]
        B = len(idx)
        Xb = X[idx]
        wb = None if sample_weight is None else sample_weight[idx]
        K = _influence(_gram(Xb), powers, bias)
        N = net_input(Xb, state.coef, zero_bias)
        if settings.shrink != 1.0:
            N *= powers[:B, None]
        N += state.intercept
        D = np.zeros_like(N)
        scan(N, K, T[idx], wb, D, settings, result)
        updated = D != 0
        state.n_updates += updated.sum(axis=0)
        result.n_mistakes += int(updated.any(axis=1).sum())
        if settings.average_start is not None:
            ones = np.ones(B, dtype=dtype) if wb is None else wb
            omega = _averaging_weights(state, settings, ones)
        else:
            omega = None
        _finish_block(state, settings, Xb, D, omega, powers)
        state.n_visits += B
    return result


def _influence(G, powers, bias):
    """``K[k, j]``: how a unit update at row ``j`` moves the net input of row ``k > j``.

    A unit update ``Delta W = eta t_j p_j^T``, ``Delta b = eta t_j`` changes the net
    input of a later row ``k`` by ``eta t_j (c^(k-1-j) p_k . p_j + 1)``, with ``c`` the
    L2 shrink applied at each visit in between; the diagonal holds ``||p_j||^2 + 1``.
    """
    if powers[1] != 1.0:
        B = G.shape[0]
        lag = np.subtract.outer(np.arange(B), np.arange(B)) - 1
        G = G * powers[np.clip(lag, 0, None)]
    if bias:
        G += bias
    return G


def _scan_independent(N, K, Tb, wb, D, settings, result):
    """Sequential scan of one block for independent neurons (binary, OvR, multilabel).

    Fills ``D`` with the update coefficients ``steps * t`` of each mistake; ``wb`` is
    None when every weight is 1.
    """
    M = Tb * N
    eta, tau = settings.eta, settings.tau
    B, S = M.shape
    j0 = 0
    if S == 1:  # binary: one neuron, 1-D arrays, fewest operations per mistake
        m, t = M[:, 0], Tb[:, 0]
        TK = K * t[:, None]
        while j0 < B:
            j = j0 + int(np.argmax(m[j0:] <= tau))
            mj = float(m[j])
            if mj > tau:
                break
            w = 1.0 if wb is None else float(wb[j])
            a = w if w == 1.0 else float(steps_to_correct(mj, tau, eta, K[j, j], w))
            D[j, 0] = a * t[j]
            result.loss += w * max(0.0, -mj)
            if j + 1 < B:
                m[j + 1 :] += (eta * a * t[j]) * TK[j + 1 :, j]
            j0 = j + 1
        return
    while j0 < B:
        erring_rows = M[j0:].min(axis=1) <= tau
        jrel = int(erring_rows.argmax())
        if not erring_rows[jrel]:
            break
        j = j0 + jrel
        e = M[j] <= tau
        margins = M[j, e]
        w = 1.0 if wb is None else float(wb[j])
        steps = w if w == 1.0 else steps_to_correct(margins, tau, eta, K[j, j], w)
        coeff = steps * Tb[j, e]
        D[j, e] = coeff
        result.loss += w * float(np.maximum(0.0, -margins).sum())
        if j + 1 < B:
            M[j + 1 :, e] += eta * (Tb[j + 1 :, e] * coeff) * K[j + 1 :, j, None]
        j0 = j + 1


def _kesler_margins(N, y):
    """Margin ``n_y - max_{k != y} n_k`` and the rival class of each row."""
    rows = np.arange(N.shape[0])
    rivals_scores = N.copy()
    rivals_scores[rows, y] = -np.inf
    rival = rivals_scores.argmax(axis=1)
    return N[rows, y] - rivals_scores[rows, rival], rival


def _scan_multinomial(N, K, yb, wb, D, settings, result):
    """Sequential scan of one block for the multinomial (Kesler) rule."""
    eta, tau = settings.eta, settings.tau
    M, rival = _kesler_margins(N, yb)
    B = N.shape[0]
    j0 = 0
    while j0 < B:
        erring_rows = M[j0:] <= tau
        jrel = int(erring_rows.argmax())
        if not erring_rows[jrel]:
            break
        j = j0 + jrel
        true, other = yb[j], rival[j]
        step = 1.0 if wb is None else float(wb[j])
        D[j, true] += step
        D[j, other] -= step
        result.loss += step * max(0.0, -float(M[j]))
        if j + 1 < B:
            g = (eta * step) * K[j + 1 :, j]
            N[j + 1 :, true] += g
            N[j + 1 :, other] -= g
            M[j + 1 :], rival[j + 1 :] = _kesler_margins(N[j + 1 :], yb[j + 1 :])
        j0 = j + 1


def minibatch_epoch(X, T, order, state, settings, batch_size, sample_weight=None):
    """One pass of the (mini-)batch perceptron rule over ``X[order]``.

    For each batch all scores are computed with the weights at the start of the
    batch, and ``W <- c^B W + eta sum_{i in batch, mistake} w_i t_i p_i^T`` (Duda and
    Hart's batch perceptron; with ``batch_size`` at least the number of samples it is
    the full-batch rule, where integer weights are exactly repetitions).

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, R)
        Samples.
    T : ndarray
        Targets, as for :func:`online_epoch`.
    order : ndarray of int
        The rows to visit, in order.
    state : RuleState
        Weights and sums, updated in place.
    settings : RuleSettings
        Hyper-parameters.
    batch_size : int
        Samples per batch.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weight of each sample: it scales the sample's step.

    Returns
    -------
    EpochResult
        Mistakes and loss of the epoch.
    """
    result = EpochResult()
    dtype = state.coef.dtype
    c = settings.shrink
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        B = len(idx)
        Xb = X[idx]
        wb = np.ones(B, dtype=dtype) if sample_weight is None else sample_weight[idx]
        N = net_input(Xb, state.coef, state.intercept)
        D = np.zeros_like(N)
        if settings.multinomial:
            M, rival = _kesler_margins(N, T[idx])
            mistakes = (M <= settings.tau) & (wb > 0)
            rows = np.flatnonzero(mistakes)
            np.add.at(D, (rows, T[idx][rows]), wb[rows])
            np.add.at(D, (rows, rival[rows]), -wb[rows])
            np.add.at(state.n_updates, T[idx][rows], 1)
            np.add.at(state.n_updates, rival[rows], 1)
            losses = np.maximum(0.0, -M[rows])
        else:
            M = T[idx] * N
            err = (M <= settings.tau) & (wb > 0)[:, None]
            D[err] = (T[idx] * wb[:, None])[err]
            mistakes = err.any(axis=1)
            state.n_updates += err.sum(axis=0)
            losses = np.where(err, np.maximum(0.0, -M), 0.0).sum(axis=1)[mistakes]
        result.n_mistakes += int(mistakes.sum())
        result.loss += float((wb[mistakes] * losses).sum())
        if c != 1.0:
            state.coef *= c**B
        if D.any():
            state.coef += settings.eta * _weighted_rows_sum(D, Xb)
            if settings.fit_intercept:
                state.intercept += settings.eta * D.sum(axis=0)
        if settings.l1_step:
            state.l1_owed += settings.l1_step * B
            cumulative_l1_penalty(state.coef, state.l1_owed, state.l1_received)
        state.n_visits += B
        if (
            settings.average_start is not None
            and state.n_visits > settings.average_start
        ):
            counted = min(B, state.n_visits - settings.average_start)
            share = float(wb[B - counted :].sum())
            state.coef_sum += share * state.coef
            state.intercept_sum += share * state.intercept
            state.n_averaged += share
    return result
