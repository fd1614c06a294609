"""BackpropMLPClassifier: a multi-layer perceptron trained by backpropagation."""

import copy
import time
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from skann._compat import Interval, StrOptions, _check_sample_weight, _fit_context
from skann._engine import (
    StoppingRule,
    chunked_rows,
    epoch_order,
    unchanged_on_error,
    validation_split,
    warn_not_converged,
)
from skann._math.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from skann._math.backprop import (
    ParameterLayout,
    backward_pass,
    forward_pass,
    loss_and_gradient,
)
from skann._math.init import glorot_uniform
from skann._math.losses import LOSSES, l2_penalty
from skann._math.optimizers import SGD, Adam, LearningRateSchedule, minimize_lbfgs


def _stochastic_solver(estimator):
    if estimator.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for the stochastic solvers 'sgd' and "
            "'adam'; solver='lbfgs' optimises the whole data set at once."
        )
    return True


class BackpropMLPClassifier(ClassifierMixin, BaseEstimator):
    """A multi-layer perceptron trained by backpropagation and gradient descent.

    The hidden layers compute ``A_l = g(A_{l-1} W_l + b_l)``; the output layer is a
    softmax (multiclass) or logistic (binary, multilabel) layer trained on the
    cross-entropy. Backpropagation gives the gradient of the loss; ``sgd``,
    ``adam`` or ``lbfgs`` follows it. Parameters, defaults and fitted attributes
    are those of scikit-learn's ``MLPClassifier``; all weights and biases live in
    one flat vector, the input's float32 or float64 dtype is kept by every solver,
    and prediction runs in chunks of bounded memory.

    Read more in ``docs/user_guide`` and ``docs/math/backprop``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,) or int, default=(100,)
        Units of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Transfer function of the hidden layers.
    solver : {"lbfgs", "sgd", "adam"}, default="adam"
        ``"sgd"``: stochastic gradient descent with momentum; ``"adam"``: Adam;
        ``"lbfgs"``: the quasi-Newton L-BFGS-B of SciPy on the whole data set.
    alpha : float, default=0.0001
        Strength of the L2 penalty ``alpha / (2 n) sum ||W_l||^2``.
    batch_size : int or "auto", default="auto"
        Samples per gradient step of the stochastic solvers; ``"auto"`` is
        ``min(200, n_samples)``. Larger values are clipped with a warning.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Step-size schedule of ``"sgd"``. ``"invscaling"`` counts the samples seen
        by their weight (the number of samples when unweighted, as scikit-learn).
    learning_rate_init : float, default=0.001
        Initial step size ``eta`` of ``"sgd"`` and ``"adam"``.
    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.
    max_iter : int, default=200
        Most epochs (stochastic solvers) or iterations (``"lbfgs"``) per ``fit``.
    shuffle : bool, default=True
        Shuffle the samples before each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the validation split.
    tol : float, default=1e-4
        Training stops when the loss (or the validation score) has not improved by
        ``tol`` for more than ``n_iter_no_change`` epochs.
    verbose : bool, default=False
        Print the loss after each epoch (each iteration for ``"lbfgs"``).
    warm_start : bool, default=False
        Start ``fit`` from the current weights.
    momentum : float, default=0.9
        Momentum ``mu`` of ``"sgd"``.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``"sgd"``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified), stop when its
        accuracy stalls and keep the best weights. Ignored by ``partial_fit``.
    validation_fraction : float, default=0.1
        Share held out for early stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's moment estimates.
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    n_iter_no_change : int, default=10
        Patience of the stopping rule, in epochs.
    max_fun : int, default=15000
        Most loss evaluations of ``"lbfgs"``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coefs_ : list of ndarray of shape (fan_in, fan_out)
        Weight matrix ``W_l`` of each layer.
    intercepts_ : list of ndarray of shape (fan_out,)
        Bias vector ``b_l`` of each layer.
    loss_ : float
        Loss of the last epoch (or of the solution of ``"lbfgs"``).
    best_loss_ : float or None
        Lowest training loss; None with early stopping.
    loss_curve_ : list of float
        Loss of each epoch (each iteration for ``"lbfgs"``).
    validation_scores_ : list of float or None
        Validation accuracy of each epoch, with early stopping.
    best_validation_score_ : float or None
        Best validation accuracy, with early stopping.
    t_ : int
        Samples seen by the stochastic solvers since the weights were initialised.
    n_iter_ : int
        Epochs (iterations for ``"lbfgs"``) since the weights were initialised;
        equals ``len(loss_curve_)`` for the stochastic solvers.
    n_layers_ : int
        Layers, input and output included.
    n_outputs_ : int
        Output units.
    out_activation_ : {"softmax", "logistic"}
        Output transfer function.
    n_features_in_ : int
        Features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The model this one mirrors.
    PerceptronClassifier : A single layer trained by the perceptron rule.

    Notes
    -----
    Differences from scikit-learn's ``MLPClassifier``: ``n_iter_`` counts every
    epoch since initialisation (scikit-learn resets it on each call while
    ``loss_curve_`` keeps growing); ``partial_fit`` ignores ``early_stopping``
    (scikit-learn raises); ``"lbfgs"`` keeps float32 and records ``loss_curve_``;
    a diverging fit raises ``FloatingPointError`` naming the learning rate and
    leaves the estimator as it was.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skann import BackpropMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = BackpropMLPClassifier(
    ...     hidden_layer_sizes=(10,), solver="lbfgs", max_iter=500, random_state=0
    ... ).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags

    # ------------------------------------------------------------------ public API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; each sample's loss counts in proportion.

        Returns
        -------
        self : BackpropMLPClassifier
            The trained estimator.
        """
        with unchanged_on_error(self):
            return self._fit(X, y, None, sample_weight, incremental=False)

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of the stochastic solver over the batch ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of samples.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Their labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes of the problem; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        self : BackpropMLPClassifier
            The updated estimator.
        """
        with unchanged_on_error(self):
            return self._fit(X, y, classes, sample_weight, incremental=True)

    def predict_proba(self, X):
        """Class probabilities, computed in chunks of bounded memory.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``. Rows sum to 1 for binary and multiclass
            targets; for multilabel targets each column is one label's probability.
            Logistic outputs are clipped to ``[eps, 1 - eps]`` of their dtype, as
            the loss clips them in training.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=False
        )
        P = self._output(X)
        if self.out_activation_ == "logistic":
            # A saturated sigmoid rounds to exactly 0 or 1; keep the probabilities
            # inside (0, 1), where the training loss clips them too.
            eps = np.finfo(P.dtype).eps
            np.clip(P, eps, 1 - eps, out=P)
        if self.n_outputs_ == 1:
            return np.hstack([1 - P, P])
        return P

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def predict(self, X):
        """Predicted class of each sample (label set, for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=False
        )
        return self._label_binarizer.inverse_transform(self._output(X))

    # ------------------------------------------------------------------ validation
    def _hidden_units(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if np.iterable(sizes) else [sizes]
        if any(
            not isinstance(s, Integral | np.integer) or isinstance(s, bool) or s <= 0
            for s in sizes
        ):
            raise ValueError(
                f"hidden_layer_sizes must hold positive integers, got {sizes}."
            )
        return [int(s) for s in sizes]

    def _targets(self, y, classes, first, incremental):
        """Validate labels; return the binarizer to use and ``y`` as 0/1 columns."""
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if first:
            binarizer = LabelBinarizer()
            if incremental and y.ndim == 1:
                if classes is None:
                    raise ValueError(
                        "classes must be passed on the first call to partial_fit."
                    )
                binarizer.fit(classes)
                unseen = np.setdiff1d(unique_labels(y), binarizer.classes_)
                if len(unseen):
                    raise ValueError(
                        f"y holds the labels {unseen.tolist()} that are not in "
                        f"classes={binarizer.classes_.tolist()}."
                    )
            else:
                binarizer.fit(y)
            if y.ndim == 1 and len(binarizer.classes_) < 2:
                raise ValueError(
                    "The data contain only one class; BackpropMLPClassifier needs "
                    f"samples of at least 2 classes, got {binarizer.classes_[0]!r}."
                )
        else:
            binarizer = self._label_binarizer
            labels = unique_labels(y)
            if self.warm_start and not incremental:
                if set(labels) != set(self.classes_):
                    raise ValueError(
                        "warm_start=True needs y with the classes of the previous "
                        f"fit, {self.classes_.tolist()}; y has {labels.tolist()}. "
                        "Set warm_start=False to start anew."
                    )
            elif classes is not None and not np.array_equal(
                np.sort(classes), self.classes_
            ):
                raise ValueError(
                    f"classes={list(classes)} differs from classes_="
                    f"{self.classes_.tolist()} of the earlier calls."
                )
            unseen = np.setdiff1d(labels, self.classes_)
            if len(unseen):
                raise ValueError(
                    f"y holds the labels {unseen.tolist()} that are not in "
                    f"classes_={self.classes_.tolist()}."
                )
        return binarizer, y

    # ------------------------------------------------------------------ training
    def _fit(self, X, y, classes, sample_weight, incremental):
        hidden = self._hidden_units()
        first = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=(np.float64, np.float32),
            multi_output=True,
            reset=first,
        )
        binarizer, y = self._targets(y, classes, first, incremental)
        Y = binarizer.transform(y).astype(X.dtype)
        sw = None
        if sample_weight is not None:
            sw = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        layout = ParameterLayout([X.shape[1], *hidden, Y.shape[1]])
        rng = check_random_state(self.random_state)
        if first:
            theta = self._initial_parameters(layout, X.dtype, rng)
        else:
            theta = self._current_parameters(layout, X.dtype)
        out_activation = "softmax" if binarizer.y_type_ == "multiclass" else "logistic"
        run = _Run(self, layout, theta, X.dtype, out_activation, first, incremental)
        # Overflow is reported once, as an error naming the learning rate, rather
        # than as NumPy warnings on the way there.
        with np.errstate(over="ignore", invalid="ignore"):
            if self.solver == "lbfgs":
                run.fit_lbfgs(X, Y, sw)
            else:
                run.fit_stochastic(X, Y, y, sw, rng)
        run.commit(binarizer)
        return self

    def _initial_parameters(self, layout, dtype, rng):
        coefs, intercepts = [], []
        for fan_in, fan_out in layout.shapes:
            W, b = glorot_uniform(fan_in, fan_out, self.activation, rng, dtype)
            coefs.append(W)
            intercepts.append(b)
        return layout.pack(coefs, intercepts, dtype)

    def _current_parameters(self, layout, dtype):
        shapes = [W.shape for W in self.coefs_]
        if shapes != layout.shapes:
            raise ValueError(
                f"The network has layers of shapes {shapes} but hidden_layer_sizes "
                f"and the data ask for {layout.shapes}; set warm_start=False or "
                "keep hidden_layer_sizes as it was."
            )
        return layout.pack(self.coefs_, self.intercepts_, dtype)

    # ------------------------------------------------------------------ prediction
    def _output(self, X):
        """Output-layer activations ``A_L``, computed chunk by chunk."""
        out = OUTPUT_ACTIVATIONS[self.out_activation_]
        hidden = ACTIVATIONS[self.activation].function
        coefs = [W.astype(X.dtype, copy=False) for W in self.coefs_]
        intercepts = [b.astype(X.dtype, copy=False) for b in self.intercepts_]
        result = np.empty((X.shape[0], self.n_outputs_), dtype=X.dtype)
        row_bytes = X.dtype.itemsize * sum(W.shape[1] for W in coefs)
        for rows in chunked_rows(X.shape[0], row_bytes):
            result[rows] = forward_pass(X[rows], coefs, intercepts, hidden, out)[-1]
        return result


class _Run:
    """One call of ``fit`` or ``partial_fit``: the state that training changes.

    Nothing is written to the estimator until :meth:`commit`, so a call that fails
    (bad input, divergence) leaves the estimator exactly as it was.
    """

    def __init__(
        self, estimator, layout, theta, dtype, out_activation, first, incremental
    ):
        est = self.est = estimator
        self.layout = layout
        self.theta = theta
        self.dtype = dtype
        self.incremental = incremental
        self.activation = ACTIVATIONS[est.activation]
        self.out_activation = out_activation
        self.first = first
        if first:
            self.n_iter, self.t, self.weight_seen, self.loss_curve = 0, 0, 0.0, []
            self.best_loss = np.inf
        else:
            self.n_iter, self.t = est.n_iter_, est.t_
            self.weight_seen = getattr(est, "_weight_seen", float(est.t_))
            self.loss_curve = list(getattr(est, "loss_curve_", []))
            self.best_loss = getattr(est, "best_loss_", None) or np.inf
        self.loss = None
        self.validation_scores = None
        self.best_validation_score = None
        self.optimizer = None

    # -------------------------------------------------------------- stochastic
    def _optimizer(self):
        est = self.est
        rule_class = SGD if est.solver == "sgd" else Adam
        previous = getattr(est, "_optimizer", None)
        if (
            self.incremental
            and not self.first
            and isinstance(previous, rule_class)
            and previous.size == self.layout.size
        ):
            return copy.deepcopy(previous)
        schedule = LearningRateSchedule(
            est.learning_rate if est.solver == "sgd" else "constant",
            est.learning_rate_init,
            est.power_t,
        )
        if est.solver == "sgd":
            return SGD(
                self.layout.size,
                self.dtype,
                schedule,
                est.momentum,
                est.nesterovs_momentum,
            )
        return Adam(
            self.layout.size,
            self.dtype,
            schedule,
            est.beta_1,
            est.beta_2,
            est.epsilon,
        )

    def fit_stochastic(self, X, Y, y, sw, rng):
        est = self.est
        rows = np.arange(X.shape[0])
        early_stopping = est.early_stopping and not self.incremental
        val = None
        if early_stopping:
            codes = Y.argmax(axis=1) if y.ndim == 1 else None
            rows, val = validation_split(X, codes, sw, est.validation_fraction, rng)
            self.validation_scores = []
            self.best_validation_score = -np.inf
            self.best_loss = None
        n = len(rows)
        if est.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if est.batch_size > n:
                warnings.warn(
                    f"batch_size={est.batch_size} is larger than the {n} training "
                    f"samples; it is clipped to {n}.",
                    UserWarning,
                    stacklevel=4,
                )
            batch_size = min(est.batch_size, n)
        self.optimizer = self._optimizer()
        trainer = _BatchTrainer(self, X, Y, sw, batch_size)
        rule = StoppingRule(
            est.tol,
            est.n_iter_no_change,
            monitor_validation=early_stopping,
            strict=True,
        )
        if self.best_loss is not None and not early_stopping:
            rule.best_loss = self.best_loss
        best_theta = self.theta.copy() if early_stopping else None
        max_epochs = 1 if self.incremental else est.max_iter
        epoch_weight = float(n if sw is None else sw[rows].sum())
        order = rows
        try:
            for _ in range(max_epochs):
                order = epoch_order(order, est.shuffle, rng)
                started = time.perf_counter()
                loss = trainer.epoch(order) / n
                self._check_finite(loss)
                self.n_iter += 1
                self.t += n
                self.weight_seen += epoch_weight
                self.loss = loss
                self.loss_curve.append(loss)
                if est.verbose:
                    print(
                        f"Iteration {self.n_iter}, loss = {loss:.8f} "
                        f"({time.perf_counter() - started:.2f} s)"
                    )
                score = None
                if early_stopping:
                    score = self._validation_score(X, Y, sw, val)
                    self.validation_scores.append(score)
                    if est.verbose:
                        print(f"Validation score: {score:f}")
                improved, stop = rule.update(self.n_iter, loss, 1, score)
                if early_stopping and improved:
                    best_theta[...] = self.theta
                    self.best_validation_score = score
                if not early_stopping:
                    self.best_loss = min(self.best_loss, loss)
                # the schedule counts samples by weight, so that an integer weight k
                # acts as k copies of a sample
                self.optimizer.schedule.epoch_ends(self.weight_seen)
                if stop and not self.incremental:
                    if self.optimizer.schedule.stalled():
                        break
                    rule.restart_patience()
            else:
                if not self.incremental:
                    warn_not_converged(est.max_iter)
        except KeyboardInterrupt:
            warnings.warn(
                f"Training interrupted by the user after {self.n_iter} epochs; the "
                "model keeps the weights it had reached.",
                UserWarning,
                stacklevel=4,
            )
            self._check_finite(0.0)
        if early_stopping:
            self.theta = best_theta

    def _validation_score(self, X, Y, sw, val):
        """Accuracy on the held-out rows (subset accuracy for multilabel)."""
        coefs, intercepts = self.layout.views(self.theta)
        P = forward_pass(
            X[val],
            coefs,
            intercepts,
            self.activation.function,
            OUTPUT_ACTIVATIONS[self.out_activation],
        )[-1]
        if self.out_activation == "softmax":
            correct = P.argmax(axis=1) == Y[val].argmax(axis=1)
        else:
            correct = np.all((P > 0.5) == (Y[val] > 0.5), axis=1)
        return float(np.average(correct, weights=None if sw is None else sw[val]))

    def _check_finite(self, loss):
        if not (np.isfinite(loss) and np.isfinite(self.theta).all()):
            raise FloatingPointError(
                "Training diverged: the loss or the weights became NaN or infinite "
                f"(learning_rate_init={self.est.learning_rate_init}, "
                f"solver={self.est.solver!r}). Lower learning_rate_init or scale "
                "the inputs (e.g. with StandardScaler); the estimator was left "
                "unchanged."
            )

    # -------------------------------------------------------------- lbfgs
    def fit_lbfgs(self, X, Y, sw):
        est = self.est
        theta = self.theta

        def loss_and_grad(x):
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
            )
            return loss, grad.astype(np.float64)

        curve = []

        def record(loss):
            curve.append(float(loss))
            if est.verbose:
                print(f"Iteration {self.n_iter + len(curve)}, loss = {loss:.8f}")

        result = minimize_lbfgs(
            loss_and_grad,
            theta.astype(np.float64),
            est.max_iter,
            est.max_fun,
            est.tol,
            callback=record,
        )
        theta[...] = result.x
        self._check_finite(result.fun)
        if result.status == 1:
            warnings.warn(
                f"lbfgs stopped after {result.nit} iterations and {result.nfev} "
                f"loss evaluations without converging ({result.message}); "
                "increase max_iter or max_fun, or scale the data.",
                ConvergenceWarning,
                stacklevel=4,
            )
        self.n_iter += result.nit
        self.loss = float(result.fun)
        self.loss_curve.extend(curve)
        self.best_loss = min(self.best_loss, self.loss)

    # -------------------------------------------------------------- commit
    def commit(self, binarizer):
        est = self.est
        est._label_binarizer = binarizer
        est.classes_ = binarizer.classes_
        est.n_outputs_ = self.layout.layer_units[-1]
        est.n_layers_ = len(self.layout.layer_units)
        est.out_activation_ = self.out_activation
        est.coefs_, est.intercepts_ = self.layout.views(self.theta)
        est.n_iter_ = self.n_iter
        est.t_ = self.t
        est._weight_seen = self.weight_seen
        est.loss_ = self.loss
        est.loss_curve_ = self.loss_curve
        est.best_loss_ = (
            None if self.best_validation_score is not None else (self.best_loss)
        )
        if not self.incremental or not hasattr(est, "validation_scores_"):
            est.validation_scores_ = self.validation_scores
            est.best_validation_score_ = self.best_validation_score
        if self.optimizer is not None:
            est._optimizer = self.optimizer


class _BatchTrainer:
    """The epoch → batch → step ladder of the stochastic solvers.

    Buffers for one batch (inputs, targets, every layer's activations, the
    gradient) are allocated once per call and reused by every batch.
    """

    def __init__(self, run, X, Y, sw, batch_size):
        self.run = run
        self.X, self.Y, self.sw = X, Y, sw
        self.batch_size = batch_size
        dtype = run.dtype
        units = run.layout.layer_units
        self.dense = not sparse.issparse(X)
        self.X_batch = np.empty((batch_size, units[0]), dtype) if self.dense else None
        self.Y_batch = np.empty((batch_size, units[-1]), dtype)
        self.layer_out = [np.empty((batch_size, u), dtype) for u in units[1:]]
        self.deltas = [np.empty((batch_size, u), dtype) for u in units[1:-1]]
        self.gradient = np.empty(run.layout.size, dtype)
        self.coef_grads, self.intercept_grads = run.layout.views(self.gradient)
        self.hidden = run.activation
        self.out = OUTPUT_ACTIVATIONS[run.out_activation]
        self.loss = LOSSES[run.out_activation]
        self.alpha = run.est.alpha

    def epoch(self, order):
        """Run one epoch over the rows ``order``; return the summed batch losses."""
        run = self.run
        coefs, intercepts = run.layout.views(run.theta)
        contiguous = np.array_equal(order, np.arange(order[0], order[0] + len(order)))
        total = 0.0
        for batch in gen_batches(len(order), self.batch_size):
            m = batch.stop - batch.start
            if contiguous:
                rows = slice(order[0] + batch.start, order[0] + batch.stop)
                Xb, Yb = self.X[rows], self.Y[rows]
                swb = None if self.sw is None else self.sw[rows]
            else:
                rows = order[batch]
                Xb = (
                    np.take(self.X, rows, axis=0, out=self.X_batch[:m], mode="clip")
                    if self.dense
                    else self.X[rows]
                )
                Yb = np.take(self.Y, rows, axis=0, out=self.Y_batch[:m], mode="clip")
                swb = None if self.sw is None else self.sw[rows]
            activations = forward_pass(
                Xb,
                coefs,
                intercepts,
                self.hidden.function,
                self.out,
                out=[buffer[:m] for buffer in self.layer_out],
            )
            weight = m if swb is None else swb.sum()
            if weight == 0:
                continue  # only zero-weight samples: nothing to learn from
            loss = self.loss(Yb, activations[-1], swb) + l2_penalty(
                coefs, self.alpha, weight
            )
            backward_pass(
                activations,
                Yb,
                coefs,
                self.hidden.derivative,
                self.alpha,
                self.coef_grads,
                self.intercept_grads,
                swb,
                deltas=[buffer[:m] for buffer in self.deltas],
            )
            run.optimizer.step(run.theta, self.gradient)
            total += loss * m
        return total
