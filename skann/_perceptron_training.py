"""Training of PerceptronClassifier: the rule's settings and state, a call's epochs.

The estimator validates and commits; what one ``fit`` or ``partial_fit`` call does in
between lives here: the hyper-parameters of the rule (:func:`rule_settings`), the
training state (:func:`new_state`, :func:`saved_state`), and the epochs, run through
:func:`skann._training.run_epochs` (:func:`train`).
"""

from functools import partial as partial_function

import numpy as np
from scipy import sparse
from sklearn.utils import Bunch

from skann._backend import implementation
from skann._callbacks import fit_task
from skann._engine import EpochLog, chunked_rows, divergence_error, sgd_holdout_split
from skann._math.linear import net_input
from skann._math.minibatch_rule import minibatch_epoch
from skann._math.penalty import l2_shrink_factor
from skann._math.perceptron_rule import RuleSettings, RuleState
from skann._math.pocket import Pocket, pocket_errors, pocket_offer
from skann._training import EpochOutcome, StoppingRule, run_epochs

#: Below this share of non-zero entries, intercept_decay="auto" takes 0.01.
SPARSE_SHARE = 0.1


def intercept_decay(est, X):
    """``intercept_decay``, with "auto" decided by the share of non-zeros in X."""
    if est.intercept_decay != "auto":
        return float(est.intercept_decay)
    stored = np.count_nonzero(X.data) if sparse.issparse(X) else np.count_nonzero(X)
    return 0.01 if stored < SPARSE_SHARE * X.shape[0] * X.shape[1] else 1.0


def rule_settings(est, multinomial, intercept_decay):
    l1_ratio = {"l2": 0.0, "l1": 1.0, "elasticnet": est.l1_ratio}.get(est.penalty)
    penalised = est.penalty is not None
    return RuleSettings(
        eta=float(est.eta0),
        tau=float(est.margin),
        fit_intercept=est.fit_intercept,
        intercept_decay=intercept_decay,
        shrink=l2_shrink_factor(est.eta0, est.alpha, l1_ratio) if penalised else 1.0,
        l1_step=est.eta0 * est.alpha * l1_ratio if penalised else 0.0,
        average_from=int(est.average) if est.average else None,
        multinomial=multinomial,
    )


def initial_weights(n_neurons, n_features, dtype, coef_init, intercept_init):
    """The weights a fit starts from: zeros, or ``coef_init`` and ``intercept_init``
    checked against the layer's shape and for finite values."""
    # Fortran order: the compiled epoch works on coef.T, C-contiguous, in place
    coef = np.zeros((n_neurons, n_features), dtype=dtype, order="F")
    intercept = np.zeros(n_neurons, dtype=dtype)
    if coef_init is not None:
        coef_init = np.asarray(coef_init, dtype=dtype)
        if coef_init.ndim == 1 and n_neurons == 1:
            coef_init = coef_init[None, :]
        if coef_init.shape != coef.shape:
            raise ValueError(
                f"coef_init has shape {coef_init.shape}, expected {coef.shape}."
            )
        coef[:] = coef_init
    if intercept_init is not None:
        intercept_init = np.asarray(intercept_init, dtype=dtype)
        if intercept_init.ndim == 0 and n_neurons == 1:
            intercept_init = intercept_init.reshape(1)
        if intercept_init.shape != intercept.shape:
            raise ValueError(
                f"intercept_init has shape {intercept_init.shape}, expected "
                f"{intercept.shape}."
            )
        intercept[:] = intercept_init
    # (zeros are finite: a fit from zeros skips reading its weights, which for a
    # text model are millions)
    given = coef_init is not None or intercept_init is not None
    if given and not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise ValueError("coef_init and intercept_init must be finite.")
    return coef, intercept


def new_state(est, coef, intercept):
    state = RuleState(coef=coef, intercept=intercept)
    if est.average:
        state.coef_sum = np.zeros(coef.shape, order="F")  # as coef (see above)
        state.intercept_sum = np.zeros(intercept.shape)
    if est.penalty in ("l1", "elasticnet"):
        state.l1_received = np.zeros_like(coef, order="F")
    return state


def saved_state(est, dtype):
    """A copy of the saved training state in ``dtype``, to train on."""
    state = RuleState(**est._state)
    state.coef = np.asfortranarray(state.coef, dtype=dtype).copy(order="F")
    state.intercept = state.intercept.astype(dtype)
    if state.l1_received is not None:
        state.l1_received = np.array(state.l1_received, dtype=dtype, order="F")
    for name in ("coef_sum", "intercept_sum", "n_updates"):
        value = getattr(state, name)
        setattr(state, name, None if value is None else value.copy(order="K"))
    return state


def train(
    est,
    X,
    T,
    sw,
    state,
    rng,
    max_epochs,
    multilabel,
    decay,
    *,
    given,
    classes,
    partial=False,
):
    """Run the epochs of one call through the training loop; the run's results.

    ``given`` is the ``(X, y, sample_weight)`` the call received, for the callbacks:
    when some are set, the call is a :class:`skann._callbacks.FitTask` (the run's
    ``callbacks``, which the estimator ends once fitted) and every rule (online,
    mini-batch, full-batch) runs its epochs through
    :func:`skann._training.run_epochs`, which makes each epoch a subtask.
    """
    callbacks = fit_task(
        est,
        "partial_fit" if partial else "fit",
        max_epochs,
        *given,
        model_attributes={"classes_": classes, "_multilabel": multilabel},
    )
    settings = rule_settings(est, T.ndim == 1, decay)
    monitor = est.early_stopping and not partial
    rows = np.flatnonzero(sw > 0)
    val = None
    if monitor:
        codes = None if multilabel else class_codes(T)
        rows, val = sgd_holdout_split(codes, sw, est.validation_fraction, rng)
    if est.batch_size == 1:
        epoch_rule = implementation("perceptron_rule", "online_epoch")
    else:
        epoch_rule = partial_function(minibatch_epoch, batch_size=est.batch_size)
    pocket = (
        Pocket.empty(state.coef, state.intercept, settings.multinomial)
        if est.pocket
        else None
    )
    seen = float(sw[rows].sum())
    mistakes = []

    def run_epoch(epoch):
        order = rng.permutation(rows) if est.shuffle else rows
        # The perceptron criterion is 0 at W = 0, where every sample sits on the
        # boundary: a full-batch epoch scored there says nothing about progress.
        trivial = est.batch_size >= len(order) and not (
            state.coef.any() or state.intercept.any()
        )
        # Overflow is reported below, once, as an error that names eta0.
        with np.errstate(over="ignore", invalid="ignore"):
            result = epoch_rule(X, T, order, sw, state, settings)
        if not result.finite:
            raise overflow_error(est, X, sw, epoch)
        if pocket is not None:
            coef, intercept = output_weights(est, state)
            errors = pocket_errors(X, rows, T, sw, coef, intercept)
            pocket_offer(pocket, coef, intercept, errors)
        mistakes.append(result.n_mistakes)
        loss = result.loss / seen if seen else 0.0
        return EpochOutcome(
            loss=np.inf if trivial else loss,
            converged=result.n_mistakes == 0,
            message=f"mistakes {result.n_mistakes}",
        )

    def model_weights(copy=False):
        return output_weights(est, state, pocket, copy=copy)

    def fitted_weights():
        coef, intercept = model_weights(copy=True)
        return {"coef_": coef, "intercept_": intercept}

    run = run_epochs(
        run_epoch,
        max_epochs,
        StoppingRule(None if partial else est.tol, est.n_iter_no_change, monitor),
        validation_score=lambda: accuracy(X, val, T, sw, multilabel, *model_weights()),
        snapshot=lambda: model_weights(copy=True),
        log=EpochLog(est.verbose, max_epochs, bar=callbacks is None),
        callbacks=callbacks,
        weights=fitted_weights,
        warn=not (partial or monitor or est.tol is None) and max_epochs > 1,
    )
    losses = np.asarray(run.losses, dtype=np.float64)
    losses[~np.isfinite(losses)] = 0.0  # the trivial epoch's criterion is 0
    if run.best is not None:
        coef, intercept = run.best
    else:
        # the plain rule's coef_ is the state's array (a later call trains on a
        # copy), so a fitted model holds its weights once
        coef, intercept = model_weights()
    if run.best is not None and not est.average and not est.pocket:
        state.coef[:], state.intercept[:] = coef, intercept
    return Bunch(
        intercept_decay=decay,
        coef=coef,
        intercept=intercept,
        mistakes=np.asarray(mistakes, dtype=np.int64),
        losses=losses,
        scores=np.asarray(run.scores, dtype=np.float64) if monitor else None,
        best_epoch=run.best_epoch,
        converged=run.converged,
        n_epochs=run.n_epochs,
        n_visits=len(rows) * run.n_epochs,
        callbacks=callbacks,
    )


def output_weights(est, state, pocket=None, copy=False):
    """The weights the model predicts with: pocketed, averaged, or current."""
    if est.average and state.n_averaged > 0:
        coef = (state.weight_sum() / state.n_averaged).astype(state.coef.dtype)
        intercept = (state.intercept_sum / state.n_averaged).astype(
            state.intercept.dtype
        )
    else:
        coef, intercept = state.coef, state.intercept
    if pocket is not None:
        filled = np.isfinite(pocket.errors)
        if len(filled) == 1:
            filled = np.full(coef.shape[0], filled[0])
        coef, intercept = coef.copy(), intercept.copy()
        coef[filled] = pocket.coef[filled]
        intercept[filled] = pocket.intercept[filled]
    if copy:
        return coef.copy(), intercept.copy()
    return coef, intercept


def class_codes(T):
    """Class index of each row of the rule's targets (binary, OvR or Kesler)."""
    if T.ndim == 1:
        return T
    if T.shape[1] == 1:
        return (T[:, 0] > 0).astype(np.intp)
    return T.argmax(axis=1)


def accuracy(X, rows, T, sw, multilabel, coef, intercept):
    """Weighted accuracy of the weights on ``X[rows]`` (exact match for multilabel)."""
    correct = 0.0
    for chunk in chunked_rows(len(rows), row_bytes(X, coef.shape[0])):
        idx = rows[chunk]
        scores = net_input(X[idx], coef, intercept)
        if multilabel or T.shape[-1] == 1:
            hit = np.all((scores > 0) == (T[idx] > 0), axis=1)
        else:
            hit = scores.argmax(axis=1) == class_codes(T[idx])
        correct += float(sw[idx] @ hit)
    return correct / float(sw[rows].sum())


def rule_input(X):
    """``X`` as the rule reads it: C-ordered rows, or a canonical CSR matrix.

    A CSR matrix with unsorted or duplicate entries is summed and sorted (on a copy),
    so that every way of storing the same numbers trains the same model.
    """
    if sparse.issparse(X):
        if not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()
        return X
    return np.ascontiguousarray(X)


def row_bytes(X, n_outputs):
    """Memory a chunk needs per row: a copy of the row and its ``n_outputs`` scores.

    A sparse row costs its stored entries (value and index), not ``n_features``.
    """
    if sparse.issparse(X):
        per_entry = X.dtype.itemsize + X.indices.dtype.itemsize
        stored = per_entry * (X.nnz // max(X.shape[0], 1) + 1)
    else:
        stored = X.dtype.itemsize * X.shape[1]
    return stored + X.dtype.itemsize * n_outputs


def overflow_error(est, X, sw, epoch):
    """The error for weights that overflowed: a step is eta0 x weight x feature
    value (plus alpha's shrink), so these are the values it names."""
    suspects = {
        "eta0": est.eta0,
        "the largest |X| value": float(abs(X).max()) if X.shape[0] else 0.0,
        "the largest sample weight": float(sw.max()) if sw.shape[0] else 0.0,
    }
    if est.penalty is not None:
        suspects["alpha"] = est.alpha
    return divergence_error(
        f"The weights overflowed to inf or NaN in epoch {epoch}",
        suspects,
        X.dtype,
        "lower eta0 or scale the features (e.g. StandardScaler).",
    )
