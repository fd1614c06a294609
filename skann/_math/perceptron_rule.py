"""The perceptron learning rule: textbook form, and its exact vectorised epochs.

Textbook, per sample (Hagan's *Neural Network Design*): ``e = t - a`` and
``W <- W + eta e p^T``, ``b <- b + eta e``. skann writes it with targets
``t in {-1, +1}``: a neuron errs when ``t n <= tau`` and then moves by ``eta t p^T``.

The epochs below keep the exact sequential semantics of that rule without a Python
loop over samples: between two mistakes the weights do not change, so the scores of a
block of samples are one matrix product, and the block's Gram matrix turns a mistake
into a correction of the later scores. Only a mistake costs a Python step. See
``docs/math/perceptron`` ("How the exact online rule is vectorised").

Gallant's pocket (``pocket_*``) rides on the same scan: between two mistakes of a
neuron its weights are fixed, so the length of each run of correct classifications is
a difference of prefix sums, and only a run that beats the pocket's run costs a check.
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

#: What a pocket knows of the current weights: not yet compared with the pocket, in
#: the pocket, or compared and rejected (a second count would give the same number).
FRESH, POCKETED, REJECTED = 0, 1, 2


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


def repetition_correction(steps):
    """How much less a multi-step visit adds to the average than its last weights.

    A sample of weight ``k`` that takes ``s`` unit steps stands for ``k`` copies
    visited in a row: copy ``c`` leaves the weights ``W_0 + min(c, s) Delta``, so
    the visit adds ``k W_0 + (k s - r) Delta`` to the sum of the average, with
    ``r = q (q - 1) / 2 + f q`` for ``s = q + f`` (``q`` whole steps and a last
    fractional step ``f``). ``r`` is 0 for ``s <= 1``: a single step needs no
    correction.

    Parameters
    ----------
    steps : ndarray
        ``s``, the unit steps each neuron took (0 for no step).

    Returns
    -------
    r : ndarray
        The correction, in units of ``Delta``.

    Examples
    --------
    >>> import numpy as np
    >>> repetition_correction(np.array([0.0, 1.0, 2.0, 3.0, 2.5]))
    array([0., 0., 1., 3., 2.])
    """
    whole = np.floor(steps)
    return whole * (whole - 1) / 2 + (steps - whole) * whole


def repetition_loss(margin, step_gain, steps):
    """Summed perceptron loss of the copies a weighted mistake stands for.

    Copy ``i`` of the sample (``i = 0, 1, ...``) meets the margin the previous
    copies' unit steps left, ``t n + i g`` with ``g = eta (||p||^2 + 1)``, and
    costs ``max(0, -(t n + i g))`` while it still errs; a last fractional step
    ``f`` costs ``f`` times its copy's loss, and the copies left after the steps
    are correct and cost nothing.

    Parameters
    ----------
    margin : ndarray
        ``t n`` of each erring neuron before the first step.
    step_gain : float
        ``g``, what one unit step adds to the margin.
    steps : ndarray
        Unit steps each neuron takes (:func:`steps_to_correct`).

    Returns
    -------
    loss : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> repetition_loss(np.array([-3.0]), 2.0, np.array([2.0]))  # 3 + 1
    array([4.])
    >>> repetition_loss(np.array([-3.0]), 2.0, np.array([0.5]))  # a half step
    array([1.5])
    """
    margin = np.asarray(margin, dtype=np.float64)
    whole = np.floor(steps)
    # copies i = 0 .. c - 1 still err: the terms of an arithmetic series
    if step_gain > 0:
        erring = np.minimum(whole, np.ceil(np.maximum(-margin, 0.0) / step_gain))
    else:
        erring = np.where(margin < 0, whole, 0.0)
    loss = erring * -margin - step_gain * erring * (erring - 1) / 2
    return loss + (steps - whole) * np.maximum(0.0, -(margin + whole * step_gain))


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


def _finish_block(state, settings, Xb, D, omega, powers, R=None):
    """Apply a block's deferred updates, averaging sums and penalties to ``state``.

    ``D[j]`` holds the update coefficients of row ``j`` (``W += eta D[j]^T p_j``),
    ``omega[j]`` the weight of step ``j`` in the average, ``powers`` the L2 shrink
    factors ``c^k`` and ``R`` the averaging corrections of multi-step visits (by
    default computed from ``D``, see :func:`repetition_correction`).
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
        if R is None and (np.abs(D) > 1).any():
            R = np.sign(D) * repetition_correction(np.abs(D))
        if R is not None and R.any():
            # multi-step visits of weighted samples: the copies they stand for saw
            # the intermediate weights (perc-average-repetitions)
            R = np.where((omega > 0)[:, None], R, 0.0)
            state.coef_sum -= eta * _weighted_rows_sum(R, Xb)
            if settings.fit_intercept:
                state.intercept_sum -= eta * R.sum(axis=0)
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


def online_epoch(X, T, order, state, settings, sample_weight=None, pocket=None):
    """One pass of the exact online perceptron rule over ``X[order]``.

    The result equals presenting the samples one at a time in the order given, the
    weights changing after each mistake; the work is done block by block with matrix
    products (see the module docstring). With a ``pocket``, Gallant's pocket with
    ratchet is kept along the way, run by run (see :class:`PocketState`).

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
    pocket : PocketState, default=None
        Gallant's pocket, updated in place. Needs the plain rule: no penalty and no
        averaging (the weights must stay fixed between mistakes).

    Returns
    -------
    EpochResult
        Mistakes and loss of the epoch.
    """
    if pocket is not None and (
        settings.shrink != 1.0 or settings.l1_step or settings.average_start is not None
    ):
        raise ValueError(
            "The run-by-run pocket needs the plain rule: no penalty, no averaging."
        )
    if (
        compiled_epoch is not None
        and not sparse.issparse(X)
        and settings.shrink == 1.0
        and not settings.l1_step
    ):
        return compiled_epoch(X, T, order, state, settings, sample_weight, pocket)
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
        R = None
        if settings.multinomial:
            R = np.zeros(N.shape) if settings.average_start is not None else None
            scan(N, K, T[idx], wb, D, settings, result, R)
        else:
            scan(N, K, T[idx], wb, D, settings, result)
        updated = D != 0
        state.n_updates += updated.sum(axis=0)
        result.n_mistakes += int(updated.any(axis=1).sum())
        if settings.average_start is not None:
            ones = np.ones(B, dtype=dtype) if wb is None else wb
            omega = _averaging_weights(state, settings, ones)
        else:
            omega = None
        running = None
        if pocket is not None:
            # Runs that ended in the block are judged with the weights they had,
            # rebuilt from the block's start; runs still going, after the update.
            running = _pocket_block(pocket, state, settings, Xb, D, wb)
        _finish_block(state, settings, Xb, D, omega, powers, R)
        for unit in running or ():
            cols = _pocket_columns(pocket, unit)
            kept = pocket_check(
                pocket, unit, state.coef[cols], state.intercept[cols], pocket.run[unit]
            )
            pocket.status[unit] = POCKETED if kept else REJECTED
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
            if w == 1.0:
                result.loss += max(0.0, -mj)
            else:
                result.loss += float(repetition_loss(mj, eta * K[j, j], a))
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
        if w == 1.0:
            result.loss += float(np.maximum(0.0, -margins).sum())
        else:
            result.loss += float(repetition_loss(margins, eta * K[j, j], steps).sum())
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


def _scan_multinomial(N, K, yb, wb, D, settings, result, R=None):
    """Sequential scan of one block for the multinomial (Kesler) rule.

    A sample of weight ``w`` stands for ``w`` copies in a row: while it errs and
    copies are left, it takes a unit step (a last fractional one for a fractional
    weight) against the rival of the moment, which may change from step to step.
    ``R`` (when given) receives each class's averaging correction: a step taken
    after ``c`` earlier copies of the sample counts ``c`` times less in the average
    (:func:`repetition_correction` for one rival).
    """
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
        true = yb[j]
        left = 1.0 if wb is None else float(wb[j])
        gain = eta * K[j, j]
        n = N[j].copy()
        margin, other = float(M[j]), int(rival[j])
        taken = 0.0
        while left > 0 and margin <= tau:
            step = min(1.0, left)
            D[j, true] += step
            D[j, other] -= step
            result.loss += step * max(0.0, -margin)
            if R is not None and taken:
                R[j, true] += taken * step
                R[j, other] -= taken * step
            n[true] += gain * step
            n[other] -= gain * step
            taken += step
            left -= step
            scores = n.copy()
            scores[true] = -np.inf
            other = int(scores.argmax())
            margin = n[true] - scores[other]
        if j + 1 < B:
            N[j + 1 :] += eta * K[j + 1 :, j, None] * D[j]
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


# ---------------------------------------------------------------- Gallant's pocket
@dataclass
class PocketState:
    """Gallant's pocket with ratchet: the best weights met so far, and their run.

    One pocket per neuron (binary, one-vs-rest, multilabel), or one for the whole
    Kesler machine (multinomial rule). The *run* of the current weights is the total
    weight of the consecutive samples they have classified without an update (an
    integer weight counts as that many presentations); it restarts at each mistake.
    When the run grows longer than the pocket's run, the current weights are checked
    against the whole training set, and they replace the pocket only if they make
    strictly fewer (weighted) mistakes, :func:`pocket_errors`. While the pocket holds
    the current weights, their run keeps growing and is the pocket's run.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, R)
        Training samples: the array the epochs see.
    rows : ndarray of int
        The rows whose mistakes count, in increasing order of weight.
    T : ndarray
        Targets, as for :func:`online_epoch`.
    sample_weight : ndarray of shape (n_samples,)
        A mistake on a sample counts its weight (float64).
    coef : ndarray of shape (S, R)
        Pocketed weights (the rows of an empty pocket are meaningless).
    intercept : ndarray of shape (S,)
        Pocketed biases.
    errors : ndarray of shape (P,)
        Weighted training mistakes of each pocket; inf while it is empty. ``P = S``,
        or 1 for the multinomial rule.
    best_run : ndarray of shape (P,)
        Run of the weights in each pocket.
    run : ndarray of shape (P,)
        Run of the current weights so far.
    status : ndarray of shape (P,)
        :data:`FRESH`, :data:`POCKETED` or :data:`REJECTED`: what the pocket knows of
        the current weights.
    n_checks : int
        Passes over the training set made so far to count mistakes.
    """

    X: object
    rows: np.ndarray
    T: np.ndarray
    sample_weight: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    errors: np.ndarray
    best_run: np.ndarray
    run: np.ndarray
    status: np.ndarray
    n_checks: int = 0

    @classmethod
    def empty(cls, X, rows, T, sample_weight, coef, intercept):
        """Empty pockets for weights shaped like ``coef`` and ``intercept``.

        Parameters
        ----------
        X : ndarray or CSR matrix of shape (n_samples, R)
            Training samples.
        rows : ndarray of int
            The rows whose mistakes count.
        T : ndarray
            Targets, as for :func:`online_epoch`.
        sample_weight : ndarray of shape (n_samples,)
            Weight of each sample.
        coef : ndarray of shape (S, R)
            Current weights (only their shape and dtype are used).
        intercept : ndarray of shape (S,)
            Current biases (likewise).

        Returns
        -------
        PocketState
        """
        P = 1 if T.ndim == 1 else coef.shape[0]
        rows = np.asarray(rows, dtype=np.intp)
        sample_weight = np.ascontiguousarray(sample_weight, dtype=np.float64)
        # Counting the rows from the lightest weight up makes a weighted count a
        # function of the weights of the wrong rows only: two sets of mistakes with
        # the same weights tie exactly, whatever the rows.
        rows = rows[np.argsort(sample_weight[rows], kind="stable")]
        return cls(
            X=X,
            rows=rows,
            T=T,
            sample_weight=sample_weight,
            coef=np.zeros_like(coef),
            intercept=np.zeros_like(intercept),
            errors=np.full(P, np.inf),
            best_run=np.zeros(P),
            run=np.zeros(P),
            status=np.full(P, FRESH, dtype=np.int8),
        )

    @property
    def multinomial(self):
        """Whether there is one pocket for the whole Kesler machine."""
        return self.T.ndim == 1


#: Rows per chunk of :func:`pocket_errors` are chosen to keep its scores under this.
_CHUNK_BYTES = 16 * 2**20


def pocket_errors(X, rows, T, sample_weight, coef, intercept):
    """Weighted training mistakes ``E`` of each neuron, or of the Kesler machine.

    ``E_i = sum_q omega_q [neuron i predicts p_q wrongly]``, predicting as
    ``predict`` does: positive when ``n > 0`` (a tie ``n = 0`` is negative); under
    the multinomial rule one count for the machine, the arg max of the net inputs
    against the class.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, R)
        Samples.
    rows : ndarray of int
        The rows to count.
    T : ndarray
        Targets in {-1, +1} of shape (n_samples, S), or class codes of shape
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
        In float64, added one sample after the other in the order of ``rows`` (the
        compiled epoch adds them the same way, so both get the same numbers).

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
    row_bytes = X.dtype.itemsize * (X.shape[1] + coef.shape[0])
    step = max(1, _CHUNK_BYTES // max(row_bytes, 1))
    for start in range(0, len(rows), step):
        idx = rows[start : start + step]
        scores = net_input(X[idx], coef, intercept)
        if multinomial:
            wrong = (scores.argmax(axis=1) != T[idx])[:, None]
        else:
            wrong = (scores > 0) != (T[idx] > 0)
        counted = wrong * sample_weight[idx, None]
        total = np.add.accumulate(np.vstack([total, counted]), axis=0)[-1]
    return total


def pocket_check(pocket, unit, coef, intercept, run):
    """Gallant's ratchet: pocket the weights if they make strictly fewer mistakes.

    Parameters
    ----------
    pocket : PocketState
        Updated in place; ``n_checks`` counts this pass over the training set.
    unit : int
        Which pocket (the neuron; 0 for the Kesler machine).
    coef : ndarray of shape (1, R), or (K, R) for the Kesler machine
        The candidate weights.
    intercept : ndarray of shape (1,) or (K,)
        The candidate biases.
    run : float
        The candidate's run, which becomes the pocket's run if it is kept.

    Returns
    -------
    kept : bool
        Whether the candidate replaced the pocket.
    """
    cols = _pocket_columns(pocket, unit)
    T = pocket.T if pocket.multinomial else pocket.T[:, cols]
    errors = pocket_errors(
        pocket.X, pocket.rows, T, pocket.sample_weight, coef, intercept
    )[0]
    pocket.n_checks += 1
    if not errors < pocket.errors[unit]:
        return False
    pocket.coef[cols] = coef
    pocket.intercept[cols] = intercept
    pocket.errors[unit] = errors
    pocket.best_run[unit] = run
    return True


def pocket_offer(pocket, coef, intercept):
    """Offer the weights to every pocket at once, with the ratchet (no runs).

    The pocket of the mini-batch rule and of the averaged perceptron, offered the
    weights at the end of each epoch: one pass over the training set counts the
    mistakes of all neurons, and each pocket takes its neuron's weights if they make
    strictly fewer. An empty pocket takes them in any case.

    Parameters
    ----------
    pocket : PocketState
        Updated in place.
    coef : ndarray of shape (S, R)
        Candidate weights.
    intercept : ndarray of shape (S,)
        Candidate biases.
    """
    errors = pocket_errors(
        pocket.X, pocket.rows, pocket.T, pocket.sample_weight, coef, intercept
    )
    pocket.n_checks += 1
    better = errors < pocket.errors
    rows = np.full(coef.shape[0], better[0]) if pocket.multinomial else better
    pocket.coef[rows] = coef[rows]
    pocket.intercept[rows] = intercept[rows]
    pocket.errors = np.where(better, errors, pocket.errors)


def pocket_final_check(pocket, coef, intercept):
    """Check the weights training stops with, in each pocket that has not yet.

    Their run is cut short by the stop, not ended by a mistake. After an epoch
    without a mistake it would never end (the weights would never change again) and
    would outgrow any pocket's run; otherwise it might still have. So each pocket
    that has not judged them does so now, with the ratchet, and the pocket never
    makes more training mistakes than the weights training ended with.

    Parameters
    ----------
    pocket : PocketState
        Updated in place.
    coef : ndarray of shape (S, R)
        The current weights.
    intercept : ndarray of shape (S,)
        The current biases.
    """
    for unit in np.flatnonzero(pocket.status == FRESH):
        cols = _pocket_columns(pocket, unit)
        kept = pocket_check(pocket, unit, coef[cols], intercept[cols], np.inf)
        pocket.status[unit] = POCKETED if kept else REJECTED


def pocket_weights(pocket, coef, intercept):
    """The pocketed weights; an empty pocket gives the weights passed instead.

    Parameters
    ----------
    pocket : PocketState
        The pockets.
    coef : ndarray of shape (S, R)
        Weights for the neurons whose pocket is empty.
    intercept : ndarray of shape (S,)
        Biases likewise.

    Returns
    -------
    coef : ndarray of shape (S, R)
    intercept : ndarray of shape (S,)
    """
    filled = np.isfinite(pocket.errors)
    if filled.all():
        return pocket.coef, pocket.intercept
    if not filled.any():
        return coef, intercept
    coef, intercept = coef.copy(), intercept.copy()
    coef[filled] = pocket.coef[filled]
    intercept[filled] = pocket.intercept[filled]
    return coef, intercept


def _pocket_columns(pocket, unit):
    """The rows of ``W`` that pocket ``unit`` holds."""
    return slice(None) if pocket.multinomial else slice(unit, unit + 1)


def _steps_taken(d, weight, dtype):
    """The unit steps a mistake took, from ``d`` as stored in ``D`` (``dtype``).

    A sample takes a whole number of steps, or its whole weight when the weight
    ran out first; reading them back from a float32 ``D`` must not leave a run of
    rounding error (2.1 - float32(2.1)), so ``d`` is snapped to whichever it is:
    the weight when it is within a few units of ``dtype``'s last place.
    """
    if abs(d - weight) <= 4 * np.finfo(dtype).eps * max(1.0, weight):
        return weight
    return float(round(d))


def _pocket_block(pocket, state, settings, Xb, D, wb):
    """Follow the runs through one block of the online scan; check the long ones.

    Called before the block's deferred update, so ``state`` still holds the weights
    ``W_0`` of the block's start. A pocket's run ends at each of its mistakes (the
    nonzero entries of ``D``) and the weights during a run are fixed, so the run's
    length just before the mistake decides whether it is a candidate, and the
    weights it had are ``W_0 + eta D[:e]^T X_B[:e]`` for a mistake at row ``e``.
    Runs still going at the end of the block are returned: they are checked with the
    weights after the update. The loop is over mistakes, like the scan's.

    A run is ``start + (c_k - c_j)`` with ``c`` the prefix sums of the block's weights
    (in float64), ``start`` the run carried from the previous block or what a
    mistake's weight leaves after its steps; the compiled epoch forms it the same
    way, so both round the runs alike.
    """
    B = D.shape[0]
    if wb is None:
        weights = [1.0] * B
        cw = np.arange(1.0, B + 1.0).tolist()
    else:
        weights = wb.astype(np.float64).tolist()
        cw = np.cumsum(wb, dtype=np.float64).tolist()
    erred = (D != 0).any(axis=1, keepdims=True) if pocket.multinomial else D != 0
    start = pocket.run.tolist()  # run at the start of each pocket's current run
    base = [0.0] * len(start)  # prefix sum where that run started
    status = pocket.status.tolist()
    moved = [False] * len(start)  # whether the weights changed in this block
    best = pocket.best_run
    rows, units = np.nonzero(erred)
    for row, unit in zip(rows.tolist(), units.tolist(), strict=True):
        length = start[unit] + ((cw[row - 1] if row else 0.0) - base[unit])
        if status[unit] == POCKETED:
            best[unit] = length
        elif status[unit] == FRESH and length > best[unit]:
            cols = _pocket_columns(pocket, unit)
            coef, intercept = state.coef[cols], state.intercept[cols]
            if moved[unit]:
                Dk = D[:row, cols]
                coef = coef + settings.eta * _weighted_rows_sum(Dk, Xb[:row])
                if settings.fit_intercept:
                    intercept = intercept + settings.eta * Dk.sum(axis=0)
            pocket_check(pocket, unit, coef, intercept, length)
        # An integer weight k is k presentations: the copies left after its steps
        # are classified correctly and start the new run.
        # (the Kesler machine's true class gains every step)
        d = float(D[row].max()) if pocket.multinomial else abs(float(D[row, unit]))
        start[unit] = weights[row] - _steps_taken(d, weights[row], D.dtype)
        base[unit] = cw[row]
        status[unit] = FRESH
        moved[unit] = True
    running = []
    for unit, (first, at) in enumerate(zip(start, base, strict=True)):
        length = first + (cw[-1] - at)
        pocket.run[unit] = length
        if status[unit] == POCKETED:
            best[unit] = length
        elif status[unit] == FRESH and length > best[unit]:
            running.append(unit)
    pocket.status[:] = status
    return running
