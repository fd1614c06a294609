"""PerceptronClassifier: S perceptron neurons trained by the perceptron rule."""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from skann._compat import (
    CallbackSupportMixin,
    Interval,
    SparseCoefMixin,
    StrOptions,
    _fit_context,
)
from skann._docs import API_PAGE
from skann._engine import chunked_rows, unchanged_on_error
from skann._math.convergence import kesler_novikoff_bound, novikoff_bound
from skann._math.linear import net_input
from skann._perceptron_targets import (
    check_targets,
    encode_targets,
    n_neurons,
    partial_fit_classes,
    training_weights,
)
from skann._perceptron_training import (
    initial_weights,
    intercept_decay,
    new_state,
    row_bytes,
    rule_input,
    saved_state,
    train,
)
from skann._persistence import check_saved_version, stamp_version
from skann._validation import (
    check_known_labels,
    target_array,
)


class PerceptronClassifier(
    CallbackSupportMixin, ClassifierMixin, SparseCoefMixin, BaseEstimator
):
    """A single layer of perceptron neurons trained by the perceptron rule.

    Each of the S neurons computes the net input ``n = W p + b`` of a sample ``p``
    and the hard limit of it. A neuron with target ``t in {-1, +1}`` errs when
    ``t n <= margin`` and then learns ``W <- W + eta0 t p^T``, ``b <- b + eta0 t``
    (the textbook rule ``e = t - a``). Binary targets use one neuron, multiclass
    targets one neuron per class (all trained in one pass over the data) and
    multilabel indicator targets one neuron per label, all trained in one pass. A
    sample of weight ``w`` makes one step scaled by ``w``; penalties and averaging
    take scikit-learn's ``SGDClassifier(loss="perceptron")`` steps. Dense and sparse
    input train the same model, and a visit to a sparse row costs O(its non-zeros).

    Read more in ``docs/user_guide`` and ``docs/math/perceptron``.
    With scikit-learn 1.9 or later, ``set_callbacks`` attaches scikit-learn's
    callbacks: a ``fit`` is a task, each epoch a subtask (``docs/callbacks``).

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet"} or None, default=None
        Penalty on the weights. L2 shrinks them by ``1 - eta0 alpha`` (by
        ``1 - eta0 alpha (1 - l1_ratio)`` for the elastic net) at each sample
        visit; L1 uses the cumulative penalty of Tsuruoka et al. (2009) on the
        features of each visited sample, as scikit-learn's SGD does. ``"l1"`` is
        ``"elasticnet"`` with ``l1_ratio=1``, ``"l2"`` with ``l1_ratio=0``.
    alpha : float, default=1e-4
        Strength of the penalty.
    l1_ratio : float, default=0.15
        Share of L1 in the elastic net (``penalty="elasticnet"`` only).
    fit_intercept : bool, default=True
        Whether to learn the biases ``b``.
    max_iter : int, default=1000
        Maximum number of epochs (passes over the training data) in ``fit``.
    tol : float or None, default=1e-3
        Training stops when the mean loss has not fallen by ``tol`` (or the
        validation score has not risen by ``tol``) for ``n_iter_no_change`` epochs.
        None: only ``max_iter`` and convergence stop it.
    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch.
    verbose : int, default=0
        Print one line per epoch when positive; with rich installed, also a
        progress bar on a terminal.
    eta0 : float, default=1.0
        Learning rate ``eta``.
    n_jobs : int or None, default=None
        Accepted for compatibility with scikit-learn's ``Perceptron``, which trains
        one class per job. skann trains all classes in one pass over the data, which
        is faster than scikit-learn's parallel passes; the parameter has no effect.
    random_state : int, RandomState instance or None, default=0
        Seeds the shuffling and the validation split (scikit-learn's default 0).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified, as scikit-learn's
        SGD does), stop when its accuracy stops improving, and restore the weights
        of the best epoch (the latest of those within ``tol`` of the best accuracy).
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=5
        Patience of the stopping rule, in epochs.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``. "balanced" uses
        ``n_samples / (n_classes * count)``; under ``partial_fit`` the counts are
        those of all the data seen so far.
    warm_start : bool, default=False
        Continue from the previous solution when ``fit`` is called again.
    average : bool or int, default=False
        Averaged perceptron: ``coef_`` is the mean of the weights after every sample
        visit; an int ``k`` averages from visit ``k`` on (scikit-learn's convention).
        The average is kept lazily: a visit costs O(non-zeros of the sample).
    multi_class : {"ovr", "multinomial"}, default="ovr"
        "ovr": one independent neuron per class. "multinomial": Kesler's
        construction, one row per class; on a mistake the true row gains ``p`` and
        the highest-scoring wrong row loses it. Binary targets use one neuron either
        way.
    pocket : bool, default=False
        Gallant's pocket algorithm with ratchet: ``coef_`` holds, per neuron (per
        Kesler machine for ``multi_class="multinomial"``), the weights with the
        fewest weighted training mistakes among those at the end of each epoch; new
        weights replace the pocket only with strictly fewer mistakes. A pocket lasts
        one call to ``fit`` or ``partial_fit``.
    margin : float, default=0.0
        ``tau``: a neuron is updated when ``t n <= tau``.
    batch_size : int, default=1
        1: the online rule. ``k > 1``: the mini-batch rule, all scores of a batch of
        ``k`` samples computed with the weights at its start.
    intercept_decay : float in (0, 1] or "auto", default="auto"
        Factor of the bias's step, ``b <- b + intercept_decay eta0 w t``. On sparse
        data such as text, scikit-learn's SGD takes 0.01: the bias, which sees every
        sample and is never penalised, would otherwise outgrow weights of normalised
        rows. "auto" takes 0.01 when fewer than 10 % of the training data's entries
        are non-zero and 1 (the textbook rule) otherwise; unlike scikit-learn, which
        decides by the storage (a sparse matrix or not), skann decides by the numbers,
        so the same data train the same model whatever their storage.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).
    coef_ : ndarray of shape (S, n_features)
        Weights ``W``: S = 1 for binary targets, else one row per class or label.
    intercept_ : ndarray of shape (S,)
        Biases ``b``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` has string column names.
    n_iter_ : int
        Epochs run by the last call to ``fit`` (1 for ``partial_fit``), as in
        scikit-learn: ``n_iter_ < max_iter`` means training stopped by itself.
    t_ : int
        ``1 +`` the number of sample visits since the weights were initialised, so
        ``t_ == 1 + n_iter_ * n_samples`` after one ``fit`` whose epochs each saw
        ``n_samples``.
    intercept_decay_ : float
        The factor of the bias's step used (``intercept_decay``, "auto" decided by
        the first ``fit`` or ``partial_fit`` data).
    converged_ : bool
        Whether the last epoch made no mistake.
    mistakes_per_epoch_ : ndarray of shape (n_epochs,)
        Samples on which at least one neuron was updated, per epoch.
    loss_curve_ : ndarray of shape (n_epochs,)
        Mean perceptron criterion ``max(0, -t n)`` per epoch, weighted: the summed
        loss divided by the epoch's total sample weight.
    best_iteration_ : int or None
        Epoch whose weights were restored by early stopping (1-based): the latest
        epoch whose validation accuracy is within ``tol`` of the best.
    validation_scores_ : ndarray of shape (n_epochs,) or None
        Validation accuracy per epoch with early stopping.

    See Also
    --------
    sklearn.linear_model.Perceptron : scikit-learn's perceptron (one pass per class).
    sklearn.linear_model.SGDClassifier : ``loss="perceptron"`` gives the same rule.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skann import PerceptronClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = PerceptronClassifier(random_state=0).fit(X, y)
    >>> clf.coef_.shape
    (3, 4)
    >>> bool(clf.score(X, y) > 0.6)
    True
    """

    # Saved models (pickle, skops) name the class by its public path, so that they
    # do not depend on the private module that defines it.
    __module__ = "skann"
    # The HTML repr links to the class's page of skann's API reference.
    _doc_link_module = "skann"
    _doc_link_template = API_PAGE

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, None, None, closed="neither"), None],
        "shuffle": ["boolean"],
        "verbose": ["verbose"],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "warm_start": ["boolean"],
        "average": [Interval(Integral, 0, None, closed="left"), "boolean"],
        "multi_class": [StrOptions({"ovr", "multinomial"})],
        "pocket": ["boolean"],
        "margin": [Interval(Real, None, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "intercept_decay": [Interval(Real, 0, 1, closed="right"), StrOptions({"auto"})],
    }

    def __init__(
        self,
        *,
        penalty=None,
        alpha=0.0001,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        eta0=1.0,
        n_jobs=None,
        random_state=0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        class_weight=None,
        warm_start=False,
        average=False,
        multi_class="ovr",
        pocket=False,
        margin=0.0,
        batch_size=1,
        intercept_decay="auto",
    ):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.eta0 = eta0
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.average = average
        self.multi_class = multi_class
        self.pocket = pocket
        self.margin = margin
        self.batch_size = batch_size
        self.intercept_decay = intercept_decay

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = self.multi_class == "ovr"
        return tags

    def __getstate__(self):
        return stamp_version(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(check_saved_version(type(self).__name__, state))

    # ------------------------------------------------------------------ training
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Train the layer on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.
        coef_init : ndarray of shape (S, n_features), default=None
            Initial weights (zeros when None).
        intercept_init : ndarray of shape (S,), default=None
            Initial biases (zeros when None).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights: a mistake on a sample of weight ``w`` makes one
            step ``eta0 w t p``; zero-weight samples are left out.

        Returns
        -------
        self : PerceptronClassifier
            The trained estimator.
        """
        with unchanged_on_error(self):
            return self._fit(X, y, coef_init, intercept_init, sample_weight)

    def _fit(self, X, y, coef_init, intercept_init, sample_weight):
        given = X, y, sample_weight
        warm = self.warm_start and hasattr(self, "_state")
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=(np.float64, np.float32),
            multi_output=True,
            reset=True,
        )
        y, kind = check_targets(self, y)
        classes = (
            np.arange(y.shape[1]) if kind == "multilabel-indicator" else np.unique(y)
        )
        if len(classes) < 2:
            raise ValueError(
                "The data contain only one class; PerceptronClassifier needs samples "
                f"of at least 2 classes, got the class {classes[0]} only."
            )
        counts = None if y.ndim == 2 else np.bincount(np.searchsorted(classes, y))
        sw = training_weights(self, X, y, sample_weight, classes, counts)
        if y.ndim == 1 and len(np.unique(y[sw > 0])) < 2:
            raise ValueError(
                "The samples with a positive weight hold only one class; "
                "PerceptronClassifier needs samples of at least 2 classes."
            )
        neurons = n_neurons(self, kind, classes)
        if warm:
            if not np.array_equal(classes, self.classes_):
                raise ValueError(
                    "warm_start=True but y has the classes "
                    f"{classes.tolist()} while the model was trained on "
                    f"{self.classes_.tolist()}; set warm_start=False to start anew."
                )
            trained_on = self._state["coef"].shape[1]
            if X.shape[1] != trained_on:
                raise ValueError(
                    f"warm_start=True but X has {X.shape[1]} features while the model "
                    f"was trained on {trained_on}; set warm_start=False to start anew."
                )
            saved = saved_state(self, X.dtype)
            coef_init = saved.coef if coef_init is None else coef_init
            intercept_init = (
                saved.intercept if intercept_init is None else intercept_init
            )
        coef, intercept = initial_weights(
            neurons, X.shape[1], X.dtype, coef_init, intercept_init
        )
        state = new_state(self, coef, intercept)
        if warm:
            if self.average and saved.coef_sum is not None:
                state.coef_sum[:] = saved.weight_sum()
                state.intercept_sum[:] = saved.intercept_sum
                state.n_averaged = saved.n_averaged
            state.n_visits = saved.n_visits
            state.n_updates = saved.n_updates
        t_start = self.t_ if warm else 1
        rng = check_random_state(self.random_state)
        T = encode_targets(self, y, classes)
        run = train(
            self,
            rule_input(X),
            T,
            sw,
            state,
            rng,
            self.max_iter,
            kind == "multilabel-indicator",
            intercept_decay(self, X),
            given=given,
            classes=classes,
        )
        self.classes_ = classes
        self._class_counts = counts
        self._commit(run, state, kind, t_start)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of the rule over the batch ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of samples.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Their labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes of the problem. Required on the first call (for
            multilabel indicator targets it may be omitted); must match
            ``classes_`` afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        self : PerceptronClassifier
            The updated estimator.
        """
        with unchanged_on_error(self):
            return self._partial_fit(X, y, classes, sample_weight)

    def _partial_fit(self, X, y, classes, sample_weight):
        given = X, y, sample_weight
        first = not hasattr(self, "_state")
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=(np.float64, np.float32),
            multi_output=True,
            reset=first,
        )
        y, kind = check_targets(self, y)
        if not first and (kind == "multilabel-indicator") != self._multilabel:
            raise ValueError(
                "partial_fit got "
                + ("multilabel indicator" if y.ndim == 2 else "class label")
                + " targets but the model was first fitted on "
                + ("multilabel indicator" if self._multilabel else "class label")
                + " targets; the kind of target cannot change."
            )
        classes = partial_fit_classes(self, y, kind, classes, first)
        if y.ndim == 1:
            check_known_labels(y, classes)
            counts = np.bincount(np.searchsorted(classes, y), minlength=len(classes))
            counts = counts + (0 if first else self._class_counts)
        else:
            counts = None
        sw = training_weights(self, X, y, sample_weight, classes, counts)
        if first:
            coef, intercept = initial_weights(
                n_neurons(self, kind, classes), X.shape[1], X.dtype, None, None
            )
            state = new_state(self, coef, intercept)
            t_start = 1
        else:
            state = saved_state(self, X.dtype)
            t_start = self.t_
        rng = check_random_state(self.random_state)
        history_before = None if first else (self.mistakes_per_epoch_, self.loss_curve_)
        T = encode_targets(self, y, classes)
        run = train(
            self,
            rule_input(X),
            T,
            sw,
            state,
            rng,
            1,
            kind == "multilabel-indicator",
            intercept_decay(self, X) if first else self.intercept_decay_,
            partial=True,
            given=given,
            classes=classes,
        )
        self.classes_ = classes
        self._class_counts = counts
        self._commit(run, state, kind, t_start, history_before)
        return self

    def _commit(self, run, state, kind, t_start, history_before=None):
        """Publish a finished run as fitted attributes (nothing is set before this)."""
        mistakes, losses = run.mistakes, run.losses
        if history_before is not None:
            mistakes = np.concatenate([history_before[0], mistakes])
            losses = np.concatenate([history_before[1], losses])
        self._state = dict(vars(state))
        self._multilabel = kind == "multilabel-indicator"
        self.intercept_decay_ = run.intercept_decay
        self.coef_ = run.coef
        self.intercept_ = run.intercept
        self.n_iter_ = run.n_epochs
        self.t_ = t_start + run.n_visits
        self.converged_ = run.converged
        self.mistakes_per_epoch_ = mistakes
        self.loss_curve_ = losses
        self.validation_scores_ = run.scores
        self.best_iteration_ = run.best_epoch
        if run.callbacks is not None:
            run.callbacks.end()  # the call's task ends with a fitted estimator

    # ------------------------------------------------------------------ prediction
    def decision_function(self, X):
        """Net input ``n = W p + b`` of every neuron for each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, S)
            For binary targets the one neuron's net input (positive means
            ``classes_[1]``); otherwise one column per neuron.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=False
        )
        coef = self.coef_.toarray() if sparse.issparse(self.coef_) else self.coef_
        coef = coef.astype(X.dtype, copy=False)
        intercept = self.intercept_.astype(X.dtype, copy=False)
        scores = np.empty((X.shape[0], coef.shape[0]), dtype=X.dtype)
        for rows in chunked_rows(X.shape[0], row_bytes(X, coef.shape[0])):
            scores[rows] = net_input(X[rows], coef, intercept)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Class of each sample: the hard limit of the net input.

        A binary model predicts ``classes_[1]`` where ``n > 0`` (as scikit-learn
        does; Hagan's ``hardlim`` also gives 1 at the tie ``n = 0``), a multiclass
        model the class of the largest net input, a multilabel model every label
        whose neuron has ``n > 0``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels (an indicator matrix for multilabel targets).
        """
        scores = self.decision_function(X)
        if self._multilabel:
            return (scores > 0).astype(int)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]

    def novikoff_diagnostics(self, X, y):
        """Measure the quantities of Novikoff's convergence theorem on ``(X, y)``.

        With augmented vectors ``(p, 1)`` and ``(w, b)`` (see ``docs/math/perceptron``):
        ``R = max ||(p, 1)||``; the margin ``gamma = min t (w p + b) / ||(w, b)||`` of
        the fitted weights, positive when they separate the data; the bound
        ``(R / gamma)^2`` on the number of mistakes the rule can make on separable
        data; and the updates each neuron actually made in training.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples, usually the training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Their labels.

        Returns
        -------
        diagnostics : Bunch
            ``radius`` (float), and arrays with one entry per neuron: ``margin``,
            ``bound`` (inf where the data are not separated, or where the bound
            exceeds the float range), ``n_updates`` and
            ``separated``. For ``multi_class="multinomial"`` the entries describe the
            Kesler construction as a whole (one entry), with ``R`` scaled by
            ``sqrt(2)``.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=False
        )
        y, kind = check_targets(self, target_array(y))
        check_consistent_length(X, y)
        if (kind == "multilabel-indicator") != self._multilabel:
            raise ValueError(
                f"y is {kind!r} but the model was fitted on "
                + ("multilabel indicator" if self._multilabel else "class label")
                + " targets."
            )
        if y.ndim == 1:
            check_known_labels(y, self.classes_)
        elif y.shape[1] != len(self.classes_):
            raise ValueError(
                f"y has {y.shape[1]} label columns; the model has {len(self.classes_)}."
            )
        coef = self.coef_.toarray() if sparse.issparse(self.coef_) else self.coef_
        intercept = (
            self.intercept_ if self.fit_intercept else np.zeros_like(self.intercept_)
        )
        T = encode_targets(self, y, self.classes_)
        n_updates = self._state["n_updates"].copy()
        if T.ndim == 1:
            radius, margin, bound = kesler_novikoff_bound(X, T, coef, intercept)
            n_updates = np.array([n_updates.sum() // 2])
        else:
            radius, margin, bound = novikoff_bound(X, T, coef, intercept)
        return Bunch(
            radius=radius,
            margin=margin,
            bound=bound,
            n_updates=n_updates,
            separated=margin > 0,
        )
