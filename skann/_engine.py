"""The training engine shared by skann's estimators.

Written once, used by every estimator: the validation split, the order of the samples
in each epoch, the stopping rules, the training history and chunked prediction.
"""

import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils import gen_batches

from skann._compat import get_chunk_n_rows


def validation_split(indices, stratify, validation_fraction, random_state):
    """Split ``indices`` into training and validation rows for early stopping.

    Parameters
    ----------
    indices : ndarray of int
        Rows available for training.
    stratify : ndarray of shape (len(indices),) or None
        Class of each row, to keep class proportions; None for a plain split.
    validation_fraction : float
        Share of the rows held out.
    random_state : RandomState
        Source of randomness.

    Returns
    -------
    train : ndarray of int
    validation : ndarray of int

    Raises
    ------
    ValueError
        When the split leaves no row on one side.

    Notes
    -----
    The split keeps the class proportions when every class has at least two rows
    and both sides can hold one row of each class; otherwise it is a plain random
    split.
    """
    n = len(indices)
    n_val = int(np.ceil(validation_fraction * n))
    if n_val < 1 or n - n_val < 1:
        raise ValueError(
            f"validation_fraction={validation_fraction} leaves an empty training or "
            f"validation set with {n} samples; use more samples or a different "
            "validation_fraction."
        )
    seed = random_state.randint(np.iinfo(np.int32).max)
    if stratify is not None:
        counts = np.unique(stratify, return_counts=True)[1]
        if counts.min() < 2 or n_val < len(counts) or n - n_val < len(counts):
            stratify = None  # too few samples of a class to keep proportions
    splitter_cls = ShuffleSplit if stratify is None else StratifiedShuffleSplit
    splitter = splitter_cls(test_size=n_val, random_state=seed)
    train, val = next(splitter.split(np.zeros((n, 1)), stratify))
    return indices[np.sort(train)], indices[np.sort(val)]


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
        n_samples : int
            Samples in the epoch.
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


def warn_not_converged(max_iter):
    """Warn, as scikit-learn does, that ``max_iter`` ended training."""
    warnings.warn(
        f"Maximum number of iterations ({max_iter}) reached and the model has "
        "not converged; consider increasing max_iter.",
        ConvergenceWarning,
        stacklevel=3,
    )


def chunked_rows(n_rows, row_bytes):
    """Slices of rows whose working memory stays within scikit-learn's budget.

    Parameters
    ----------
    n_rows : int
        Number of rows.
    row_bytes : int
        Memory one row needs.

    Returns
    -------
    slices : generator of slice
        Consecutive slices covering ``range(n_rows)``; the chunk size follows
        ``sklearn.get_config()["working_memory"]``.
    """
    chunk = get_chunk_n_rows(row_bytes=max(row_bytes, 1), max_n_rows=max(n_rows, 1))
    return gen_batches(n_rows, chunk)
