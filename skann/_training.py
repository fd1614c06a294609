"""The training loop: fit -> epoch, with one place for stopping and the best epoch.

:func:`run_epochs` runs the epochs of one ``fit`` (or one ``partial_fit`` call) and
decides, in one place, when training stops and which epoch is the best. What an epoch
does is the estimator's business: it passes ``run_epoch`` and, with early stopping,
``validation_score`` and ``snapshot``. Per-epoch work attaches at named points:

``run_epoch(epoch)``
    trains one epoch (its batches and steps) and returns an :class:`EpochOutcome`;
``validation_score()``
    scores the current model on the held-out data (early stopping only);
``snapshot()``
    copies the weights of an epoch that became the best (early stopping only);
``on_epoch_end(epoch, outcome, score)``
    after the stopping rule has seen the epoch (records, schedules, callbacks);
``on_stall()``
    asked when the stopping rule would stop: return True to stop, False to go on
    (the MLP's adaptive learning rate divides its step there);
``log``
    an :class:`skann._engine.EpochLog` that shows one line per epoch;
``callbacks``
    a :class:`skann._callbacks.FitTask` when scikit-learn callbacks are set: each
    epoch is one of its subtasks, begun before ``run_epoch`` and ended after the
    epoch's log line, with the model's ``weights()``; a callback that asks to stop
    ends training after that epoch, as the stopping rule would.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from skann._engine import warn_not_converged


@dataclass
class EpochOutcome:
    """What one epoch reports to the loop.

    Parameters
    ----------
    loss : float
        The epoch's training objective, per unit of sample weight; the stopping rule
        watches it when there is no validation set.
    converged : bool, default=False
        Whether the epoch proved training complete (the perceptron: no mistake).
    message : str, default=""
        Extra text for the epoch's line in the verbose log.
    """

    loss: float
    converged: bool = False
    message: str = ""


@dataclass
class LoopResult:
    """What :func:`run_epochs` observed.

    Parameters
    ----------
    n_epochs : int
        Epochs run.
    losses : list of float
        Each epoch's loss.
    scores : list of float
        Each epoch's validation score (empty without early stopping).
    best : object or None
        ``snapshot()`` of the best epoch (early stopping only).
    best_epoch : int or None
        That epoch, 1-based.
    converged : bool
        Whether the last epoch reported convergence.
    """

    n_epochs: int = 0
    losses: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    best: object = None
    best_epoch: int | None = None
    converged: bool = False


class StoppingRule:
    """Decide after each epoch whether training goes on, and which epoch is best.

    Without a validation set, training stops when the loss has not fallen by ``tol``
    for ``n_iter_no_change`` epochs (scikit-learn's rule); with one, when the
    validation score has not risen by ``tol``. The best epoch is the first with the
    highest validation score (``strict``, as ``MLPClassifier`` keeps it), or else the
    latest whose score is within ``tol`` of the best so far.

    Parameters
    ----------
    tol : float or None
        Tolerance; None never stops early.
    n_iter_no_change : int
        Patience, in epochs.
    monitor_validation : bool
        Whether epochs are judged by a validation score.
    strict : bool, default=False
        ``MLPClassifier``'s rules: stop after more than ``n_iter_no_change`` epochs
        without improvement rather than after that many (``SGDClassifier``'s), and
        keep the first best epoch rather than the latest within ``tol``.
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

    def update(self, epoch, loss, score=None):
        """Record an epoch.

        Parameters
        ----------
        epoch : int
            1-based epoch number.
        loss : float
            Training loss of the epoch.
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
            best = max(self.best_score, score)
            # MLPClassifier keeps the first epoch of the highest score; the
            # perceptron the latest within tol of it: its weighted accuracies tie up
            # to rounding, and on a plateau the latest has trained longest.
            if score > self.best_score if self.strict else score >= best - max(tol, 0):
                improved = True
                self.best_epoch = epoch
            worse = score < self.best_score + tol
            self.best_score = max(self.best_score, score)
        else:
            worse = loss > self.best_loss - tol
            self.best_loss = min(self.best_loss, loss)
        self._no_improvement = self._no_improvement + 1 if worse else 0
        stop = self.tol is not None or self.monitor_validation
        patience = self.n_iter_no_change + 1 if self.strict else self.n_iter_no_change
        return improved, stop and self._no_improvement >= patience

    def restart_patience(self):
        """Count epochs without improvement from zero again (after a step-size cut)."""
        self._no_improvement = 0


def run_epochs(
    run_epoch,
    max_epochs,
    stopping,
    *,
    validation_score=None,
    snapshot=None,
    on_epoch_end=None,
    on_stall=None,
    log=None,
    callbacks=None,
    weights=None,
    warn=True,
):
    """Run up to ``max_epochs`` epochs; stop, keep the best epoch, log.

    Parameters
    ----------
    run_epoch : callable
        ``run_epoch(epoch) -> EpochOutcome``, ``epoch`` counted from 1.
    max_epochs : int
        Most epochs to run.
    stopping : StoppingRule
        Decides when to stop and which epoch is best.
    validation_score : callable, default=None
        Scores the current model on held-out data; given when ``stopping``
        monitors a validation score.
    snapshot : callable, default=None
        Copies the current weights; called for each epoch that becomes the best.
    on_epoch_end : callable, default=None
        ``on_epoch_end(epoch, outcome, score)``, after the stopping rule has seen
        the epoch.
    on_stall : callable, default=None
        Called when the stopping rule says stop; returns whether to stop. None:
        stop.
    log : EpochLog, default=None
        Shows one line per epoch.
    callbacks : FitTask, default=None
        The call's scikit-learn callbacks; None when none is set.
    weights : callable, default=None
        ``weights() -> dict``: fresh copies of the fitted attributes of the current
        weights, for the callbacks' model of the epoch (with ``callbacks`` only).
    warn : bool, default=True
        Whether to warn (``ConvergenceWarning``) when ``max_epochs`` ends training
        before anything else stopped it.

    Returns
    -------
    LoopResult
    """
    result = LoopResult()
    try:
        for epoch in range(1, max_epochs + 1):
            if callbacks is not None:
                callbacks.begin_subtask(weights)
            started = time.perf_counter()
            outcome = run_epoch(epoch)
            result.n_epochs = epoch
            result.losses.append(outcome.loss)
            score = None
            if stopping.monitor_validation:
                score = validation_score()
                result.scores.append(score)
            improved, stop = stopping.update(epoch, outcome.loss, score)
            if improved and snapshot is not None:
                result.best, result.best_epoch = snapshot(), epoch
            if on_epoch_end is not None:
                on_epoch_end(epoch, outcome, score)
            if log is not None:
                log.epoch(
                    f"-- Epoch {epoch}: loss {outcome.loss:.6g}"
                    + (f", {outcome.message}" if outcome.message else "")
                    + ("" if score is None else f", validation score {score:.4f}")
                    + f", {time.perf_counter() - started:.3f} s",
                    outcome.loss,
                )
            result.converged = outcome.converged
            if callbacks is not None and callbacks.end_subtask(weights):
                break
            if outcome.converged:
                break
            if stop:
                if on_stall is None or on_stall():
                    break
                stopping.restart_patience()
        else:
            if warn:
                warn_not_converged(max_epochs)
    finally:
        if log is not None:
            log.close()
    return result
