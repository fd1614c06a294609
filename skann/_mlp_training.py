"""Training of BackpropMLPClassifier: the epoch → batch → step ladder.

:class:`Run` holds what one call of ``fit`` or ``partial_fit`` changes and commits
it to the estimator only when training succeeded; :class:`BatchTrainer` runs the
batches of an epoch: gather, forward pass, loss, backpropagation, optimiser step.
"""

import copy
import time
import warnings
from array import array

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

from skann._backend import implementation
from skann._callbacks import fit_task
from skann._engine import (
    EpochLog,
    chunked_rows,
    divergence_error,
    epoch_order,
    mlp_holdout_split,
    user_stacklevel,
)
from skann._math.activations import OUTPUT_ACTIVATIONS
from skann._math.backprop import loss_and_gradient
from skann._math.dropout import dropout_masks
from skann._math.losses import LOSSES
from skann._math.optimizers import SGD, Adam, LearningRateSchedule, minimize_lbfgs
from skann._mlp_batches import BatchTrainer
from skann._training import EpochOutcome, StoppingRule, run_epochs

#: The optimiser class of each stochastic solver.
OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def forward_in_chunks(X, coefs, intercepts, hidden_activation, last_activation):
    """The last layer's output of :func:`forward_pass`, computed chunk by chunk.

    Each chunk's activations take at most the engine's chunk budget, so a million
    rows never build one large activation matrix. The forward pass is the kernel of
    :mod:`skann._kernels.backprop` or its reference, chosen once per call.
    """
    forward_pass = implementation("backprop", "forward_pass")
    result = np.empty((X.shape[0], coefs[-1].shape[1]), dtype=X.dtype)
    row_bytes = X.dtype.itemsize * sum(W.shape[1] for W in coefs)
    for rows in chunked_rows(X.shape[0], row_bytes):
        result[rows] = forward_pass(
            X[rows], coefs, intercepts, hidden_activation, last_activation
        )[-1]
    return result


class Run:
    """One call of ``fit`` or ``partial_fit``: the state that training changes.

    Nothing is written to the estimator until :meth:`commit`, so a call that fails
    (bad input, divergence) leaves the estimator exactly as it was.
    """

    def __init__(
        self,
        estimator,
        layout,
        theta,
        dtype,
        out_activation,
        dropout,
        first,
        incremental,
    ):
        est = self.est = estimator
        self.layout = layout
        self.theta = theta
        self.dtype = dtype
        self.incremental = incremental
        self.activation = est._activation()
        self.out_activation = out_activation
        self.first = first
        self.dropout = dropout  # one rate per hidden layer
        # This call's epochs only: commit appends them to the estimator's records,
        # so a call costs the same however many came before it. The history is a
        # flat array of float64, one row of len(_HISTORY_COLUMNS) per epoch: 48
        # bytes per epoch, where a dict per epoch took several hundred.
        self.loss_curve, self.history = [], array("d")
        # n_iter counts the epochs of this call (scikit-learn's n_iter_); epoch
        # counts them since the weights were initialised (history_, best_iteration_)
        self.n_iter = 0
        if first:
            self.epoch, self.t, self.weight_seen = 0, 0, 0.0
            self.best_loss = np.inf
        else:
            self.epoch = len(est._history) // len(_HISTORY_COLUMNS)
            self.t = est.t_
            self.weight_seen = getattr(est, "_weight_seen", float(est.t_))
            best_loss = getattr(est, "best_loss_", None)
            self.best_loss = np.inf if best_loss is None else best_loss
        self.loss = None
        self.validation_scores = None
        self.validation_losses = None
        self.best_validation_score = None
        self.best_iteration = None
        self.optimizer = None
        self.task = None

    # -------------------------------------------------------------- callbacks
    def open_task(self, given, binarizer):
        """Start the call's callback task (``task``; None without callbacks).

        ``given`` is the ``(X, y, sample_weight)`` the call received. Each epoch is
        a subtask; for ``"lbfgs"``, each iteration (see :meth:`fit_lbfgs`).
        """
        est = self.est
        self.task = fit_task(
            est,
            "partial_fit" if self.incremental else "fit",
            1 if self.incremental else est.max_iter,
            *given,
            model_attributes=self._model_attributes(binarizer),
        )

    def close_task(self):
        """End the call's callback task, once the estimator is fitted."""
        if self.task is not None:
            self.task.end()

    def _model_attributes(self, binarizer):
        """The fitted attributes, besides the weights, that prediction reads."""
        return {
            "_label_binarizer": binarizer,
            "classes_": binarizer.classes_,
            "n_outputs_": self.layout.layer_units[-1],
            "n_layers_": len(self.layout.layer_units),
            "out_activation_": self.out_activation,
        }

    def _weights(self):
        """A copy of the current weights as ``coefs_`` and ``intercepts_``."""
        coefs, intercepts = self.layout.views(self.theta.copy())
        return {"coefs_": coefs, "intercepts_": intercepts}

    # -------------------------------------------------------------- stochastic
    def _optimizer(self):
        est = self.est
        if est.solver not in OPTIMIZERS:
            raise ValueError(
                f"solver={est.solver!r} has no stochastic optimiser; the stochastic "
                f"solvers are {sorted(OPTIMIZERS)}."
            )
        rule_class = OPTIMIZERS[est.solver]
        previous = getattr(est, "_optimizer", None)
        update = implementation("optimizers", f"{est.solver}_update")
        if (
            self.incremental
            and not self.first
            and isinstance(previous, rule_class)
            and previous.size == self.layout.size
        ):
            optimizer = copy.deepcopy(previous)
            optimizer.update = update
            return optimizer
        schedule = LearningRateSchedule(
            est.learning_rate,
            est.learning_rate_init,
            est.power_t,
            max_epochs=est.max_iter,
            step=est.learning_rate_step,
            decay=est.learning_rate_decay,
        )
        if est.solver == "sgd":
            return SGD(
                self.layout.size,
                self.dtype,
                schedule,
                est.momentum,
                est.nesterovs_momentum,
                update=update,
            )
        return Adam(
            self.layout.size,
            self.dtype,
            schedule,
            est.beta_1,
            est.beta_2,
            est.epsilon,
            update=update,
        )

    def _batch_size(self, n):
        est = self.est
        if est.batch_size == "auto":
            return min(200, n)
        if est.batch_size > n:
            warnings.warn(
                f"batch_size={est.batch_size} is larger than the {n} training "
                f"samples; it is clipped to {n}.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        return min(est.batch_size, n)

    def fit_stochastic(self, X, Y, labels, sw, val, rng):
        """Epochs of ``"sgd"`` or ``"adam"``.

        ``labels`` holds each sample's class index (None for multilabel ``y``).
        ``sw`` weighs the training loss and the validation score (class weights
        included, so early stopping follows the objective being minimised).
        """
        est = self.est
        rows = np.arange(X.shape[0])
        early_stopping = est.early_stopping and not self.incremental
        if early_stopping and val is None:
            rows, held_out = mlp_holdout_split(
                X.shape[0], Y, est.validation_fraction, rng
            )
            val = (
                X[held_out],
                Y[held_out],
                None if sw is None else sw[held_out],
            )
        if early_stopping:
            self._continue_validation_history()
            self.best_loss = None
        n = len(rows)
        self.optimizer = self._optimizer()
        trainer = BatchTrainer(self, X, Y, labels, sw, self._batch_size(n), rng)
        rule = StoppingRule(
            est.tol,
            est.n_iter_no_change,
            monitor_validation=early_stopping,
            strict=True,
        )
        if self.best_loss is not None and not early_stopping:
            rule.best_loss = self.best_loss
        if early_stopping:
            rule.best_score = self.best_validation_score
        start_theta = self.theta.copy() if early_stopping else None
        max_epochs = 1 if self.incremental else est.max_iter
        epoch_weight = float(n if sw is None else sw[rows].sum())
        log = EpochLog(est.verbose, max_epochs, bar=self.task is None)
        epoch_state = {"order": rows}

        def run_epoch(epoch):
            epoch_state["order"] = epoch_order(epoch_state["order"], est.shuffle, rng)
            epoch_state["started"] = time.perf_counter()
            epoch_state["learning_rate"] = self.optimizer.schedule.learning_rate
            loss = trainer.epoch(epoch_state["order"]) / n
            self._check_finite(loss, X)
            self.n_iter += 1
            self.epoch += 1
            self.t += n
            self.weight_seen += epoch_weight
            self.loss = loss
            self.loss_curve.append(loss)
            return EpochOutcome(loss=loss)

        def validation_score():
            val_loss, score = self._validate(*val)
            self.validation_scores.append(score)
            self.validation_losses.append(val_loss)
            return score

        def snapshot():
            self.best_validation_score = self.validation_scores[-1]
            self.best_iteration = self.epoch
            return self.theta.copy()

        def on_epoch_end(epoch, outcome, score):
            if not early_stopping:
                self.best_loss = min(self.best_loss, outcome.loss)
            val_loss = self.validation_losses[-1] if early_stopping else None
            self._record(
                outcome.loss,
                val_loss,
                score,
                epoch_state["learning_rate"],
                epoch_state["started"],
                log,
            )
            # the schedule counts samples by weight, so that an integer weight k
            # acts as k copies of a sample
            self.optimizer.schedule.epoch_ends(self.weight_seen)

        result = None
        try:
            result = run_epochs(
                run_epoch,
                max_epochs,
                rule,
                validation_score=validation_score,
                snapshot=snapshot if early_stopping else None,
                on_epoch_end=on_epoch_end,
                on_stall=lambda: self.incremental or self.optimizer.schedule.stalled(),
                callbacks=self.task,
                weights=self._weights,
                warn=not self.incremental,
            )
        finally:
            log.close()  # _record writes the epochs' lines (scikit-learn's format)
        if early_stopping:
            best = None if result is None else result.best
            self.theta = start_theta if best is None else best

    def _continue_validation_history(self):
        """Start the validation records, or go on with them under ``warm_start``."""
        est = self.est
        if not self.first and getattr(est, "validation_scores_", None) is not None:
            self.validation_scores = list(est.validation_scores_)
            self.validation_losses = list(est.validation_loss_curve_)
            self.best_validation_score = est.best_validation_score_
            self.best_iteration = est.best_iteration_
        else:
            self.validation_scores, self.validation_losses = [], []
            self.best_validation_score = -np.inf

    def _record(self, loss, val_loss, score, learning_rate, started, log):
        seconds = time.perf_counter() - started
        nan = float("nan")
        self.history.extend(
            (
                self.epoch,
                loss,
                nan if val_loss is None else val_loss,
                nan if score is None else score,
                learning_rate,
                seconds,
            )
        )
        message = f"Iteration {self.epoch}, loss = {loss:.8f}"
        if score is not None:
            message += f", validation loss = {val_loss:.8f}, score = {score:.6f}"
        if learning_rate == learning_rate:
            message += f", learning rate = {learning_rate:.3g}"
        log.epoch(f"{message} ({seconds:.2f} s)", loss)

    def _validate(self, X_val, Y_val, sw_val):
        """Loss and accuracy on the validation set (subset accuracy for multilabel)."""
        coefs, intercepts = self.layout.views(self.theta)
        P = forward_in_chunks(
            X_val,
            coefs,
            intercepts,
            self.activation.function,
            OUTPUT_ACTIVATIONS[self.out_activation],
        )
        loss = LOSSES[self.out_activation](Y_val, P, sw_val)
        if self.out_activation == "softmax":
            correct = P.argmax(axis=1) == Y_val.argmax(axis=1)
        else:
            correct = np.all((P > 0.5) == (Y_val > 0.5), axis=1)
        return loss, float(np.average(correct, weights=sw_val))

    def _check_finite(self, loss, X):
        if np.isfinite(loss) and np.isfinite(self.theta).all():
            return
        est = self.est
        what = (
            f"Training diverged in epoch {self.epoch + 1} (solver={est.solver!r}): "
            f"the loss became {loss:.3g}"
            + ("" if np.isfinite(self.theta).all() else " and the weights inf or NaN")
        )
        largest_x = abs(X).max() if X.shape[0] and X.shape[1] else 0.0
        suspects = {
            "alpha": est.alpha,
            "learning_rate_init": est.learning_rate_init,
            "the largest |X| value": float(largest_x),
        }
        advice = "the steps grew without bound: lower learning_rate_init"
        if est.solver == "sgd":
            # each step multiplies the weights by 1 - learning_rate * alpha / batch
            shrink = est.learning_rate_init * est.alpha / self._batch_size(X.shape[0])
            if shrink > 2:
                advice += (
                    f" or alpha: learning_rate_init * alpha / batch_size = {shrink:.3g}"
                    " > 2, so the L2 penalty's step alone overshoots and grows"
                )
        if not isinstance(est.activation, str):
            user = getattr(est.activation.function, "function", est.activation.function)
            name = getattr(user, "__name__", repr(user))
            advice += f", or check the user activation {name!r}"
        raise divergence_error(what, suspects, self.dtype, advice + ".")

    # -------------------------------------------------------------- lbfgs
    def fit_lbfgs(self, X, Y, sw, val, rng):
        """L-BFGS on the whole data set. A validation set given to ``fit`` is
        scored after each iteration (``validation_scores_``) but, as in
        scikit-learn, lbfgs neither stops early nor restores weights.

        With callbacks, each iteration is a subtask: it begins at its first loss
        evaluation and ends when SciPy reports the iteration done, where a
        callback's stop request ends the solver. When SciPy stops inside an
        iteration (a failed line search, a start that already meets ``tol``), that
        iteration ends with the solver, so there is one subtask more than
        ``n_iter_``.
        """
        est = self.est
        theta = self.theta
        task = self.task
        stopped = []
        masks = None
        if any(self.dropout):
            # L-BFGS needs one deterministic objective: one mask per sample for the
            # whole run (dropout as a fixed random thinning of the network).
            hidden = self.layout.layer_units[1:-1]
            masks = dropout_masks(rng, X.shape[0], hidden, self.dropout, self.dtype)

        def loss_and_grad(x):
            if task is not None and not task.subtask_open:
                task.begin_subtask(self._weights, task_name="iteration")
            theta[...] = x
            loss, grad = loss_and_gradient(
                theta,
                self.layout,
                X,
                Y,
                self.activation,
                self.out_activation,
                est.alpha,
                sw,
                masks=masks,
            )
            return loss, grad.astype(np.float64)

        log = EpochLog(est.verbose, est.max_iter, bar=task is None)
        started = [time.perf_counter()]
        if val is not None:
            self._continue_validation_history()
            self.best_validation_score = None  # lbfgs keeps its last iterate

        def record(loss):
            self.n_iter += 1
            self.epoch += 1
            self.loss_curve.append(float(loss))
            val_loss = score = None
            if val is not None:
                val_loss, score = self._validate(*val)
                self.validation_scores.append(score)
                self.validation_losses.append(val_loss)
            self._record(float(loss), val_loss, score, float("nan"), started[0], log)
            started[0] = time.perf_counter()
            if task is not None and task.end_subtask(self._weights):
                stopped.append(True)
                raise StopIteration  # SciPy ends the solver

        try:
            result = minimize_lbfgs(
                loss_and_grad,
                theta.astype(np.float64),
                est.max_iter,
                est.max_fun,
                est.tol,
                callback=record,
            )
        finally:
            log.close()
        theta[...] = result.x
        if task is not None and task.subtask_open:
            task.end_subtask(self._weights)
        self._check_finite(result.fun, X)
        if result.status == 1 and not stopped:
            warnings.warn(
                f"lbfgs stopped after {result.nit} iterations and {result.nfev} "
                f"loss evaluations without converging ({result.message}); "
                "increase max_iter or max_fun, or scale the data.",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )
        self.loss = float(result.fun)
        self.best_loss = min(self.best_loss, self.loss)

    # -------------------------------------------------------------- commit
    def commit(self, binarizer):
        est = self.est
        for name, value in self._model_attributes(binarizer).items():
            setattr(est, name, value)
        est.coefs_, est.intercepts_ = self.layout.views(self.theta)
        est.n_iter_ = self.n_iter
        est.t_ = self.t
        est._weight_seen = self.weight_seen
        est.loss_ = self.loss
        if self.first or not hasattr(est, "loss_curve_"):
            est.loss_curve_, est._history = self.loss_curve, self.history
        else:
            est.loss_curve_.extend(self.loss_curve)
            est._history.extend(self.history)
        early = self.best_iteration is not None or (
            self.validation_scores is not None and self.est.solver != "lbfgs"
        )
        est.best_loss_ = None if early else self.best_loss
        if not self.incremental or not hasattr(est, "validation_scores_"):
            est.validation_scores_ = self.validation_scores
            est.validation_loss_curve_ = self.validation_losses
            est.best_validation_score_ = self.best_validation_score
            est.best_iteration_ = self.best_iteration
        # None after lbfgs: a later partial_fit must not resume an older optimiser.
        est._optimizer = self.optimizer


def history_frame(history):
    """The records of :meth:`Run._record` as the estimator's ``history_``.

    Parameters
    ----------
    history : array.array of float64
        One row of ``len(_HISTORY_COLUMNS)`` values per epoch, one after the other.

    Returns
    -------
    history : pandas.DataFrame
        Columns ``epoch`` (int), ``loss``, ``validation_loss``,
        ``validation_score``, ``learning_rate`` and ``seconds``.
    """
    rows = np.array(history, dtype=np.float64).reshape(-1, len(_HISTORY_COLUMNS))
    frame = pd.DataFrame(rows, columns=_HISTORY_COLUMNS)
    frame["epoch"] = frame["epoch"].astype(np.int64)
    return frame


def plain_state(state):
    """An estimator's saved state with its training records as plain values.

    The history's ``array.array`` becomes a float64 array and the stochastic
    optimiser a dict ``{"solver": ..., "state": optimizer.state_dict()}``, so that
    the state holds NumPy arrays, dicts and Python scalars only (what ``skops.io``
    loads without trusting skann's private types). Training keeps the compact
    array and the optimiser object; :func:`state_from_plain` brings them back.

    Parameters
    ----------
    state : dict
        ``BackpropMLPClassifier.__getstate__``'s state; not modified.

    Returns
    -------
    state : dict
    """
    state = dict(state)
    if "_history" in state:
        state["_history"] = np.array(state["_history"], dtype=np.float64)
    optimizer = state.get("_optimizer")
    if optimizer is not None:
        solver = next(s for s, rule in OPTIMIZERS.items() if type(optimizer) is rule)
        state["_optimizer"] = {"solver": solver, "state": optimizer.state_dict()}
    return state


def state_from_plain(state):
    """The training records of a state made by :func:`plain_state`, rebuilt.

    A state saved before skann made it plain (an ``array.array`` history, an
    optimiser object) is returned as it is.

    Parameters
    ----------
    state : dict
        A saved state; not modified.

    Returns
    -------
    state : dict
    """
    state = dict(state)
    history = state.get("_history")
    if isinstance(history, np.ndarray):
        state["_history"] = array("d")
        state["_history"].frombytes(history.astype(np.float64).tobytes())
    optimizer = state.get("_optimizer")
    if isinstance(optimizer, dict):
        rule_class = OPTIMIZERS[optimizer["solver"]]
        state["_optimizer"] = rule_class.from_state_dict(optimizer["state"])
    return state


_HISTORY_COLUMNS = [
    "epoch",
    "loss",
    "validation_loss",
    "validation_score",
    "learning_rate",
    "seconds",
]
