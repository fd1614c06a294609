"""The training engine shared by skann's estimators.

Written once, used by every estimator: the validation split, the order of the samples
in each epoch, the stopping rules, the training history and chunked prediction.
"""

import warnings
from contextlib import contextmanager

import numpy as np
from scipy import sparse
from sklearn import get_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

from skann import _compiled_hashes as compiled_hashes
from skann._compat import get_chunk_n_rows
from skann._validation import check_known_labels, class_weight_per_sample  # noqa: F401


def _word_bits(values):
    """The IEEE bit patterns of ``values`` as 32-bit words, rotated and widened.

    A float64 gives two words (low, high), a float32 one, along the last axis. A
    float's low bits are often all zero (1.0 is ``0x3FF0...0``); multiplied by an
    odd coefficient modulo ``2**64`` they would stay zero, so a linear hash of the
    raw patterns would keep only their top bits and cancel sign flips
    (``2**63 + 2**63 = 0``). Rotating each word by 9 bits puts its sign and
    exponent at the bottom; the rotation maps 0 to 0, so a CSR row still hashes
    like its dense form.
    """
    v = values.view(np.uint32)
    return ((v << np.uint32(9)) | (v >> np.uint32(23))).astype(np.uint64)


def row_hashes(X, codes, random_state):
    """A 64-bit hash of each row's values and label: equal rows, equal hashes.

    The hash is ``sum_j c_j bits(x_j) + c_0 code`` modulo ``2**64``, with random odd
    coefficients ``c`` and ``bits`` the IEEE bit pattern of each value, rotated so
    that its sign and exponent count in every bit of the sum (:func:`_word_bits`).
    Integer arithmetic modulo ``2**64`` is exact in any order, so identical rows get
    identical hashes wherever they sit, and a CSR row hashes like its dense form.
    Rows are hashed in chunks of at most 4 MiB of work space.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        Float32 or float64 samples.
    codes : ndarray of int of shape (n_samples,) or None
        Label code of each row, mixed into its hash.
    random_state : RandomState
        Draws the coefficients.

    Returns
    -------
    hashes : ndarray of uint64 of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, -2.0], [-1.0, 2.0], [1.0, -2.0]])
    >>> h = row_hashes(X, None, np.random.RandomState(0))
    >>> bool(h[0] == h[2]), bool(h[0] == h[1])
    (True, False)
    """
    n, n_features = X.shape
    words = X.dtype.itemsize // 4  # 32-bit words per value
    coef = random_state.randint(1, 2**62, size=words * n_features + 1, dtype=np.int64)
    coef = coef.astype(np.uint64) * np.uint64(2) + np.uint64(1)
    hashes = np.empty(n, dtype=np.uint64)
    if n == 0:
        return hashes
    if sparse.issparse(X):
        X = sparse.csr_matrix(X)
        # bytes of work space per stored value: its words, their columns and
        # coefficients, products, terms, sums and the row copy
        per_row = 48 * words * max(1, X.nnz // n) + 16
        for rows in chunked_rows(n, per_row, budget_mib=4):
            part = X[rows]
            bits = _word_bits(part.data).reshape(-1, words)
            columns = words * part.indices[:, None] + np.arange(words)
            terms = (bits * coef[1:][columns]).sum(axis=1)
            cumulative = np.concatenate([np.zeros(1, np.uint64), np.cumsum(terms)])
            hashes[rows] = cumulative[part.indptr[1:]] - cumulative[part.indptr[:-1]]
    elif compiled_hashes.AVAILABLE and X.flags.c_contiguous:
        compiled_hashes.dense_row_hashes(X, coef[1:], hashes)  # same hashes, one pass
    else:
        for rows in chunked_rows(n, 24 * words * n_features, budget_mib=4):
            # an integer matrix product: exact modulo 2**64, in any order
            hashes[rows] = _word_bits(np.ascontiguousarray(X[rows])) @ coef[1:]
    if codes is not None:
        hashes += codes.astype(np.uint64) * coef[0]
    return hashes


def validation_split(X, codes, sample_weight, validation_fraction, random_state):
    """Split the rows into training and validation rows for early stopping.

    The split is stratified (per class, when ``codes`` is given), weight-aware (each
    class gives ``validation_fraction`` of its total weight, rounded up) and made
    on row contents: rows are ranked by :func:`row_hashes`, so identical rows
    always fall on the same side. Copies of a sample therefore never leak across
    the split, and a sample of integer weight ``k`` is split exactly as ``k``
    copies of it would be. Every class keeps at least one distinct row in
    training; zero-weight rows, and classes with fewer than two distinct rows, stay
    in training entirely.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        Samples.
    codes : ndarray of int of shape (n_samples,) or None
        Class code of each row; None (multilabel targets) for one stratum.
    sample_weight : ndarray of shape (n_samples,) or None
        Weights; None for unit weights.
    validation_fraction : float
        Share of each class's weight held out.
    random_state : RandomState
        Seeds the row ranking.

    Returns
    -------
    train : ndarray of int
    validation : ndarray of int

    Raises
    ------
    ValueError
        When the split leaves no weighted row on one side.
    """
    n = X.shape[0]
    weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight)
    hashes = row_hashes(X, codes, random_state)
    strata = np.zeros(n, dtype=np.intp) if codes is None else codes
    held_out = np.zeros(n, dtype=bool)
    for stratum in np.unique(strata):
        rows = np.flatnonzero((strata == stratum) & (weight > 0))
        order = rows[np.argsort(hashes[rows], kind="stable")]
        keys = hashes[order]
        if len(np.unique(keys)) < 2:
            continue
        weight_before = np.cumsum(weight[order]) - weight[order]
        first_of_key = np.searchsorted(keys, keys, side="left")
        target = validation_fraction * weight[order].sum()
        # The last distinct row of the class always stays in training.
        held_out[order] = (weight_before[first_of_key] < target) & (keys != keys[-1])
    train = np.flatnonzero(~held_out)
    validation = np.flatnonzero(held_out)
    if not held_out.any() or not (weight[train] > 0).any():
        raise ValueError(
            f"validation_fraction={validation_fraction} leaves an empty training or "
            f"validation set with {n} samples; use more samples or a different "
            "validation_fraction."
        )
    return train, validation


def holdout_split(codes, sample_weight, validation_fraction, random_state):
    """Split the rows into training and validation rows, as scikit-learn's SGD does.

    ``StratifiedShuffleSplit`` on the class codes (``ShuffleSplit`` for multilabel
    targets), as ``SGDClassifier(early_stopping=True)`` splits, holding out
    ``ceil(validation_fraction * n_samples)`` rows but at least one per class (and
    leaving one per class in training) so that small data sets can be split; a class
    of a single row makes the split unstratified. Rows of zero weight are left out
    of training.

    Parameters
    ----------
    codes : ndarray of int of shape (n_samples,) or None
        Class code of each row; None (multilabel targets) for an unstratified split.
    sample_weight : ndarray of shape (n_samples,)
        Weights.
    validation_fraction : float
        Share of the rows held out.
    random_state : RandomState
        Seeds the split.

    Returns
    -------
    train : ndarray of int
    validation : ndarray of int

    Raises
    ------
    ValueError
        When a side of the split has no weighted row, or a class is too small to be
        stratified, naming ``validation_fraction``.
    """
    n = len(sample_weight)
    n_classes = 1 if codes is None else len(np.unique(codes))
    # at least one row of each class on each side when there are rows enough
    n_test = int(np.ceil(validation_fraction * n))
    n_test = max(1, min(max(n_test, n_classes), n - n_classes))
    stratified = codes is not None and np.bincount(codes).max(initial=0) > 1
    if stratified and np.min(np.bincount(codes)[np.unique(codes)]) < 2:
        stratified = False  # a class of one row cannot be on both sides
    cv = (StratifiedShuffleSplit if stratified else ShuffleSplit)(
        test_size=n_test, random_state=random_state
    )
    try:
        train, validation = next(cv.split(np.zeros((n, 1)), codes))
    except ValueError as error:
        raise ValueError(
            f"early_stopping cannot hold out validation_fraction="
            f"{validation_fraction} of {n} samples: {error}"
        ) from error
    train, validation = np.sort(train), np.sort(validation)
    train = train[sample_weight[train] > 0]
    if not len(train) or not (sample_weight[validation] > 0).any():
        raise ValueError(
            f"validation_fraction={validation_fraction} leaves no sample of positive "
            f"weight on one side of the early-stopping split of {n} samples; use "
            "more samples or another validation_fraction."
        )
    return train, validation


def epoch_order(indices, shuffle, random_state):
    """The rows of one epoch, in the order they are presented.

    Parameters
    ----------
    indices : ndarray of int
        Training rows.
    shuffle : bool
        Whether to permute them.
    random_state : RandomState
        Source of randomness.

    Returns
    -------
    order : ndarray of int
    """
    return random_state.permutation(indices) if shuffle else indices


class ContentShuffle:
    """Shuffled epochs whose order depends on the rows' contents, not positions.

    Equal rows (same values, same label: equal :func:`row_hashes` keys) form one
    group. Each epoch draws a random permutation of the groups and visits every
    group's rows one after the other. The groups are ranked by key, so which group
    a draw picks depends only on what the rows hold: ``k`` copies of a sample,
    wherever they sit in ``X``, are visited exactly when one sample of weight ``k``
    would be, which makes an integer ``sample_weight`` act as repetitions. With no
    equal rows this is a plain random permutation at the cost of one.

    Parameters
    ----------
    rows : ndarray of int
        Training rows.
    row_keys : ndarray of uint64 of shape (n_samples,)
        Key of every row of the data.
    """

    def __init__(self, rows, row_keys):
        self.rows = rows[np.argsort(row_keys[rows], kind="stable")]
        keys = row_keys[self.rows]
        new_group = keys[1:] != keys[:-1]
        del keys
        self.starts = self.sizes = None  # None: every row is a group of its own
        if not new_group.all():
            self.starts = np.flatnonzero(np.r_[True, new_group])
            self.sizes = np.diff(np.r_[self.starts, len(rows)])

    def order(self, random_state):
        """The rows of the next epoch.

        Parameters
        ----------
        random_state : RandomState
            Draws the permutation of the groups.

        Returns
        -------
        order : ndarray of int
        """
        if self.starts is None:
            return self.rows[random_state.permutation(len(self.rows))]
        groups = random_state.permutation(len(self.starts))
        sizes = self.sizes[groups]
        first = np.repeat(self.starts[groups], sizes)
        within = np.arange(len(self.rows)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        return self.rows[first + within]


@contextmanager
def unchanged_on_error(estimator):
    """Undo what input validation set on ``estimator`` if the call then fails.

    ``validate_data`` records ``n_features_in_`` and ``feature_names_in_`` before
    training starts; estimators commit everything else only once training has
    succeeded, so restoring these two leaves a failed call without a trace.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator being fitted.
    """
    names = ("n_features_in_", "feature_names_in_")
    saved = {
        name: getattr(estimator, name) for name in names if hasattr(estimator, name)
    }
    try:
        yield
    except BaseException:
        for name in names:
            if name in saved:
                setattr(estimator, name, saved[name])
            elif hasattr(estimator, name):
                delattr(estimator, name)
        raise


class StoppingRule:
    """Decide after each epoch whether training goes on.

    Without a validation set, training stops when the training loss has not fallen
    by ``tol * n_samples`` for ``n_iter_no_change`` epochs (scikit-learn's rule); with
    one, when the validation score has not risen by ``tol``. The epoch with the best
    validation score is remembered so its weights can be restored.

    Parameters
    ----------
    tol : float or None
        Tolerance; None never stops early.
    n_iter_no_change : int
        Patience, in epochs.
    monitor_validation : bool
        Whether epochs are judged by a validation score.
    strict : bool, default=False
        Stop after more than ``n_iter_no_change`` epochs without improvement
        (``MLPClassifier``'s rule) rather than after that many (``SGDClassifier``'s).
    """

    def __init__(self, tol, n_iter_no_change, monitor_validation, strict=False):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.monitor_validation = monitor_validation
        self.strict = strict
        self.best_loss = np.inf
        self.best_score = -np.inf
        self.best_epoch = None
        self._no_improvement = 0

    def update(self, epoch, loss, n_samples, score=None):
        """Record an epoch.

        Parameters
        ----------
        epoch : int
            1-based epoch number.
        loss : float
            Summed training loss of the epoch.
        n_samples : float
            Samples in the epoch (their total weight when they are weighted).
        score : float, optional
            Validation score of the epoch.

        Returns
        -------
        improved : bool
            Whether this epoch is the best so far on the validation score.
        stop : bool
            Whether training should stop.
        """
        tol = -np.inf if self.tol is None else self.tol
        improved = False
        if self.monitor_validation:
            if score > self.best_score:
                improved = True
                self.best_epoch = epoch
            worse = score < self.best_score + tol
            self.best_score = max(self.best_score, score)
        else:
            worse = loss > self.best_loss - tol * n_samples
            self.best_loss = min(self.best_loss, loss)
        self._no_improvement = self._no_improvement + 1 if worse else 0
        stop = self.tol is not None or self.monitor_validation
        patience = self.n_iter_no_change + 1 if self.strict else self.n_iter_no_change
        return improved, stop and self._no_improvement >= patience

    def restart_patience(self):
        """Count epochs without improvement from zero again (after a step-size cut)."""
        self._no_improvement = 0


class EpochLog:
    """What ``verbose`` shows: one line per epoch and, when tqdm is installed, a
    progress bar over the epochs (the optional ``skann[progress]`` extra).

    Parameters
    ----------
    verbose : int or bool
        Nothing is shown when false.
    total : int
        Epochs planned, for the progress bar.
    """

    def __init__(self, verbose, total):
        self.verbose = verbose
        self.bar = None
        if verbose and total > 1:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, unit="epoch", leave=False)

    def epoch(self, message, loss):
        """Show the line of an epoch that has ended."""
        if not self.verbose:
            return
        if self.bar is None:
            print(message)
        else:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.5f}", refresh=False)
            self.bar.write(message)

    def close(self):
        """Remove the progress bar."""
        if self.bar is not None:
            self.bar.close()


def warn_not_converged(max_iter):
    """Warn, as scikit-learn does, that ``max_iter`` ended training."""
    warnings.warn(
        f"Maximum number of iterations ({max_iter}) reached and the model has "
        "not converged; consider increasing max_iter.",
        ConvergenceWarning,
        stacklevel=3,
    )


#: Upper bound, in MiB, on the working memory of one prediction chunk. Chunks this
#: size stay in cache better than scikit-learn's default of 1024 MiB and predict
#: faster (measured by benchmarks/bench_mlp.py).
CHUNK_MIB = 64


def chunked_rows(n_rows, row_bytes, budget_mib=CHUNK_MIB):
    """Slices of rows whose working memory stays within a bounded budget.

    Parameters
    ----------
    n_rows : int
        Number of rows.
    row_bytes : int
        Memory one row needs.
    budget_mib : float, default=CHUNK_MIB
        Most MiB a chunk may need.

    Returns
    -------
    slices : generator of slice
        Consecutive slices covering ``range(n_rows)``; a chunk needs at most
        ``budget_mib`` MiB, or ``sklearn.get_config()["working_memory"]`` if lower.
    """
    budget = min(get_config()["working_memory"], budget_mib)
    chunk = get_chunk_n_rows(
        row_bytes=max(row_bytes, 1), max_n_rows=max(n_rows, 1), working_memory=budget
    )
    return row_batches(n_rows, chunk)


def row_batches(n_rows, size):
    """Consecutive slices of at most ``size`` rows covering ``range(n_rows)``.

    The slices of ``sklearn.utils.gen_batches(n_rows, size)``, without its
    parameter validation, which costs more (about 20 µs a call) than predicting a
    few rows.

    Parameters
    ----------
    n_rows : int
        Number of rows.
    size : int
        Rows per slice, at least 1; the last slice holds the remainder.

    Returns
    -------
    slices : list of slice
    """
    return [slice(start, min(start + size, n_rows)) for start in range(0, n_rows, size)]
