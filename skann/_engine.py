"""The training engine shared by skann's estimators.

Written once, used by every estimator: the early-stopping split, the order of the
samples in each epoch, the verbose log, the convergence warning, and chunked
prediction. The epoch loop and its stopping rule are in :mod:`skann._training`.
"""

import sys
import warnings
from contextlib import contextmanager

import numpy as np
from sklearn import get_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import (
    ShuffleSplit,
    StratifiedShuffleSplit,
    train_test_split,
)

from skann._compat import get_chunk_n_rows


def sgd_holdout_split(codes, sample_weight, validation_fraction, random_state):
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


def mlp_holdout_split(n_samples, Y, validation_fraction, rng):
    """The training and validation rows of ``early_stopping``, as scikit-learn's
    ``MLPClassifier`` draws them.

    ``train_test_split`` with the estimator's random generator, stratified by the
    target when the network has one output (binary ``y``) and not otherwise, as
    scikit-learn does; so the same ``random_state`` holds out the same rows.

    Parameters
    ----------
    n_samples : int
        Rows of the training data.
    Y : ndarray of shape (n_samples, n_outputs)
        Binarised targets.
    validation_fraction : float
        Share of the rows held out.
    rng : numpy.random.RandomState
        The estimator's random generator (after the initial weights).

    Returns
    -------
    train, validation : ndarray of int

    Where scikit-learn's split would raise (fewer than two rows held out, or fewer
    than the classes it stratifies by), the fewest rows that make a split are held
    out instead (two, or one per class), on data of four rows or more.

    Raises
    ------
    ValueError
        When ``validation_fraction`` is 0, or no split holds out two rows and
        keeps one for training.
    """
    if validation_fraction <= 0:
        # Holding out rows anyway would contradict the 0 asked for.
        raise ValueError(
            f"early_stopping=True holds out validation_fraction={validation_fraction}"
            " of the samples, which must be > 0; give a validation_fraction in "
            "(0, 1), or X_val and y_val."
        )
    stratify = Y.astype(bool) if Y.shape[1] == 1 else None
    rows = np.arange(n_samples)
    try:
        train, validation = train_test_split(
            rows,
            random_state=rng,
            test_size=validation_fraction,
            stratify=stratify,
        )
    except ValueError:  # too few rows to stratify at this fraction
        train = validation = rows[:0]
    if len(validation) < 2 and n_samples >= 4:
        # Where scikit-learn raises (fewer than two held-out rows, or fewer than
        # the classes it stratifies by), hold out the fewest rows that work.
        strata = 1 if stratify is None else len(np.unique(stratify))
        classes_ok = stratify is None or np.bincount(stratify[:, 0]).min() >= 2
        train, validation = train_test_split(
            rows,
            random_state=rng,
            test_size=max(2, strata),
            stratify=stratify if classes_ok else None,
        )
    if len(validation) < 2 or len(train) == 0:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' or the "
            f"size of your dataset (n_samples = {n_samples})."
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


class EpochLog:
    """What ``verbose`` shows: one line per epoch and, when rich is installed (the
    optional ``skann[progress]`` extra, which scikit-learn's ``ProgressBar`` also
    needs) and the output is a terminal or a notebook, a progress bar over the
    epochs.

    Parameters
    ----------
    verbose : int or bool
        Nothing is shown when false.
    total : int
        Epochs planned, for the progress bar.
    bar : bool, default=True
        Whether a progress bar may be shown. False when scikit-learn callbacks are
        set: a ``ProgressBar`` callback draws the progress, and two live displays
        would fight over the terminal.
    """

    def __init__(self, verbose, total, bar=True):
        self.verbose = verbose
        self.progress = None
        if verbose and bar and total > 1:
            try:
                from rich.errors import LiveError
                from rich.progress import Progress
            except ImportError:
                return
            progress = Progress(transient=True)
            if not (progress.console.is_terminal or progress.console.is_jupyter):
                return  # a file or a pipe gets the lines only
            self.task = progress.add_task("epochs", total=total)
            try:
                progress.start()
            except LiveError:  # another live display is on (rich < 15 allows one)
                return
            self.progress = progress

    def epoch(self, message, loss):
        """Show the line of an epoch that has ended."""
        if not self.verbose:
            return
        if self.progress is None:
            print(message)
        else:
            # out(): no markup, highlighting or wrapping, so the line stays as printed
            self.progress.console.out(message, highlight=False)
            self.progress.update(
                self.task, advance=1, description=f"epochs, loss {loss:.5f}"
            )

    def close(self):
        """Remove the progress bar."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def user_stacklevel():
    """``stacklevel`` for ``warnings.warn`` that names the caller's line, not skann's.

    Counts the frames of skann (and of scikit-learn's ``fit`` wrapper in
    ``sklearn.base``) above the call, so a warning raised deep in training points at
    the line of the user's code that called ``fit``.

    Returns
    -------
    stacklevel : int
    """
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(
        ("skann.", "sklearn.base")
    ):
        level += 1
        frame = frame.f_back
    return level


def divergence_error(what, suspects, dtype, advice):
    """The error for training that overflowed, naming the values that caused it.

    A value beyond the fourth root of the largest number of ``dtype`` (about 1e77
    in float64, 4e9 in float32) leaves so little headroom that a product of a few
    such values overflows: those are named as the cause. When no value is that
    large, the steps themselves grew without bound and ``advice`` says what to
    lower.

    Parameters
    ----------
    what : str
        What went wrong and when, e.g. ``"The loss became inf in epoch 3"``.
    suspects : dict of str to float
        Each input or parameter that scales the steps, by how it is named to the
        user (``"alpha"``, ``"the largest |X| value"``), with its magnitude.
    dtype : dtype
        The floating type training computed in.
    advice : str
        What to change when no suspect is extreme.

    Returns
    -------
    FloatingPointError
        To raise; its message ends by saying the estimator was left unchanged.
    """
    headroom = float(np.finfo(dtype).max) ** 0.25
    extreme = [name for name, value in suspects.items() if not abs(value) <= headroom]
    if extreme:
        named = " and ".join(f"{name}={suspects[name]:.3g}" for name in extreme)
        cause = (
            f"{named} exceed{'s' if len(extreme) == 1 else ''} "
            f"{headroom:.2g}, the fourth root of the largest {np.dtype(dtype).name}, "
            "so a product of a few such values overflows. Bring "
            f"{'it' if len(extreme) == 1 else 'them'} closer to 1"
            + (
                " (StandardScaler scales the features)."
                if any("X" in name for name in extreme)
                else "."
            )
        )
    else:
        cause = f"no input or parameter is extreme, so {advice}"
    return FloatingPointError(
        f"{what}. The cause: {cause} The estimator was left unchanged."
    )


def warn_not_converged(max_iter):
    """Warn, as scikit-learn does, that ``max_iter`` ended training."""
    warnings.warn(
        f"Maximum number of iterations ({max_iter}) reached and the model has "
        "not converged; consider increasing max_iter.",
        ConvergenceWarning,
        stacklevel=user_stacklevel(),
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
