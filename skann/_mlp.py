"""BackpropMLPClassifier: a multi-layer perceptron trained by backpropagation."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from skann._compat import (
    CallbackSupportMixin,
    Interval,
    Options,
    StrOptions,
    _fit_context,
)
from skann._docs import API_PAGE
from skann._engine import unchanged_on_error
from skann._math.activations import (
    NAMED_ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    Activation,
    activation_named,
    identity,
)
from skann._math.backprop import (
    ParameterLayout,
)
from skann._mlp_parameters import (
    current_parameters,
    dropout_rates,
    given_parameters,
    hidden_units,
    initial_parameters,
)
from skann._mlp_targets import (
    fit_targets,
    labels_of,
    target_matrix,
    training_weights,
    validation_set,
)
from skann._mlp_training import (
    Run,
    forward_in_chunks,
    history_frame,
    plain_state,
    state_from_plain,
)
from skann._persistence import check_saved_version, stamp_version


def _stochastic_solver(estimator):
    if estimator.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for the stochastic solvers 'sgd' and "
            "'adam'; solver='lbfgs' optimises the whole data set at once."
        )
    return True


class BackpropMLPClassifier(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
    """A multi-layer perceptron trained by backpropagation and gradient descent.

    The hidden layers compute ``A_l = g(A_{l-1} W_l + b_l)``; the output layer is a
    softmax (multiclass) or logistic (binary, multilabel) layer trained on the
    cross-entropy. Backpropagation gives the gradient of the loss; ``sgd``,
    ``adam`` or ``lbfgs`` follows it. Parameters, defaults and fitted attributes
    are those of scikit-learn's ``MLPClassifier``; all weights and biases live in
    one flat vector, the input's float32 or float64 dtype is kept by every solver,
    and prediction runs in chunks of bounded memory.

    Read more in ``docs/user_guide`` and ``docs/math/backprop``.
    With scikit-learn 1.9 or later, ``set_callbacks`` attaches scikit-learn's
    callbacks: a ``fit`` is a task, each epoch a subtask (``docs/callbacks``).

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,) or int, default=(100,)
        Units of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu", "leaky_relu", "gelu"}, \
            str or Activation, default="relu"
        Transfer function of the hidden layers: a built-in name, a name given by
        :func:`skann.register_activation`, or a function and its derivative
        wrapped by :func:`skann.make_activation`.
    solver : {"lbfgs", "sgd", "adam"}, default="adam"
        ``"sgd"``: stochastic gradient descent with momentum; ``"adam"``: Adam;
        ``"lbfgs"``: the quasi-Newton L-BFGS-B of SciPy on the whole data set.
    alpha : float, default=0.0001
        Strength of the L2 penalty ``alpha / (2 n) sum ||W_l||^2``.
    batch_size : int or "auto", default="auto"
        Samples per gradient step of the stochastic solvers; ``"auto"`` is
        ``min(200, n_samples)``. Larger values are clipped with a warning.
    learning_rate : {"constant", "invscaling", "adaptive", "cosine", "step"}, \
            default="constant"
        Step-size schedule of ``"sgd"`` and ``"adam"``: scikit-learn's three
        (``"invscaling"`` counts the samples seen by their weight), cosine
        annealing over ``max_iter`` epochs, or a decay by ``learning_rate_decay``
        every ``learning_rate_step`` epochs. The rate of each epoch is in
        ``history_``.
    learning_rate_init : float, default=0.001
        Initial step size ``eta`` of ``"sgd"`` and ``"adam"``.
    learning_rate_step : int, default=10
        Epochs between two decays of the ``"step"`` schedule.
    learning_rate_decay : float, default=0.1
        Factor of each decay of the ``"step"`` schedule.
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
        Print one line per epoch (per iteration for ``"lbfgs"``): loss, validation
        loss and score, learning rate, time; with rich installed, also a progress
        bar on a terminal.
    warm_start : bool, default=False
        Start ``fit`` from the current weights.
    momentum : float, default=0.9
        Momentum ``mu`` of ``"sgd"``.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``"sgd"``.
    early_stopping : bool, default=False
        Stop when the accuracy on a validation set stalls and keep the best
        weights. The validation set is the ``X_val, y_val`` given to ``fit``, or
        else ``validation_fraction`` of the data, drawn as scikit-learn's
        ``MLPClassifier`` draws it (``train_test_split`` with the estimator's
        random generator, stratified for binary targets). Ignored by
        ``partial_fit``.
    validation_fraction : float in [0, 1), default=0.1
        Share held out for early stopping; 0 (scikit-learn's lower bound) only
        without early stopping or with ``X_val, y_val``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's moment estimates.
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    n_iter_no_change : int or np.inf, default=10
        Patience of the stopping rule, in epochs; ``np.inf`` never stops early.
    max_fun : int, default=15000
        Most loss evaluations of ``"lbfgs"``.
    class_weight : dict, "balanced" or None, default=None
        Weight of each class, multiplied into ``sample_weight`` (as scikit-learn's
        linear models do). ``"balanced"`` uses ``W / (n_classes * W_c)``, with
        ``W_c`` the total sample weight of class ``c`` in the data of ``fit`` (in
        all batches so far, for ``partial_fit``) and ``W`` their sum. Not for
        multilabel ``y``.
    dropout : float or array-like of float, default=0.0
        Inverted dropout: the probability of zeroing each hidden unit's output
        during training, one rate for all hidden layers or one per layer.
        Predictions are deterministic.
    init : {"glorot", "he"}, default="glorot"
        Initial weights: Glorot's uniform (scikit-learn's) or He's uniform
        ``U(-sqrt(6 / fan_in), sqrt(6 / fan_in))``, suited to relu.

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
        Loss of each epoch (each iteration for ``"lbfgs"``). ``partial_fit`` and
        ``warm_start`` fits append to this list in place, as scikit-learn's
        ``MLPClassifier`` does; a new fit starts a new list.
    validation_scores_ : list of float or None
        Validation accuracy of each epoch, with early stopping.
    best_validation_score_ : float or None
        Best validation accuracy, with early stopping.
    t_ : int
        Samples seen by the stochastic solvers since the weights were initialised.
    n_iter_ : int
        Epochs (iterations for ``"lbfgs"``) of the last call of ``fit`` (1 after
        ``partial_fit``), as in scikit-learn: after ``fit``, ``n_iter_ < max_iter``
        means training converged. ``loss_curve_`` and ``history_`` keep the epochs
        of every call since the weights were initialised.
    n_layers_ : int
        Layers, input and output included.
    n_outputs_ : int
        Output units.
    out_activation_ : {"softmax", "logistic"}
        Output transfer function.
    best_iteration_ : int or None
        Epoch whose weights were kept by early stopping.
    validation_loss_curve_ : list of float or None
        Cross-entropy on the validation set after each epoch (no penalty term).
    history_ : pandas.DataFrame
        One row per epoch (per iteration for ``"lbfgs"``): ``epoch``, ``loss``,
        ``validation_loss``, ``validation_score``, ``learning_rate``, ``seconds``.
        Built when read (not by every ``partial_fit`` call).
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
    Differences from scikit-learn's ``MLPClassifier`` (listed in the user guide):
    ``partial_fit`` ignores ``early_stopping``
    (scikit-learn raises); ``"lbfgs"`` keeps float32 and records ``loss_curve_``;
    a diverging fit raises ``FloatingPointError`` naming its cause and
    leaves the estimator as it was, as does an interrupted one (Ctrl-C);
    ``learning_rate`` schedules apply to ``"adam"`` too (scikit-learn applies
    them to ``"sgd"`` only).

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

    # Saved models (pickle, skops) name the class by its public path, so that they
    # do not depend on the private module that defines it.
    __module__ = "skann"
    # The HTML repr links to the class's page of skann's API reference.
    _doc_link_module = "skann"
    _doc_link_template = API_PAGE

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        # a live view: names registered later are valid too
        "activation": [StrOptions(NAMED_ACTIVATIONS.keys()), Activation],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [
            StrOptions({"constant", "invscaling", "adaptive", "cosine", "step"})
        ],
        "learning_rate_step": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_decay": [Interval(Real, 0, 1, closed="right")],
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
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "init": [StrOptions({"glorot", "he"})],
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
        learning_rate_step=10,
        learning_rate_decay=0.1,
        class_weight=None,
        dropout=0.0,
        init="glorot",
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
        self.learning_rate_step = learning_rate_step
        self.learning_rate_decay = learning_rate_decay
        self.class_weight = class_weight
        self.dropout = dropout
        self.init = init

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = self.class_weight is None
        return tags

    @property
    def history_(self):
        """One row per epoch, as a DataFrame (see the class's Attributes).

        Built when read, from the records training keeps, so that each
        ``partial_fit`` call costs the same however many came before it.
        """
        if "_history" not in self.__dict__:
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute 'history_'"
            )
        # Kept with the records it was built from and their length: a new fit
        # makes new records, a later call (also on a shallow copy) extends them.
        records = self._history
        cached = self.__dict__.get("_history_frame")
        if cached is None or cached[0] is not records or cached[1] != len(records):
            cached = (records, len(records), history_frame(records))
            self._history_frame = cached
        return cached[2]

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_history_frame", None)  # rebuilt from the records when read
        return stamp_version(plain_state(state))

    def __setstate__(self, state):
        state = check_saved_version(type(self).__name__, state)
        super().__setstate__(state_from_plain(state))

    def __copy__(self):
        # Not through __getstate__, which turns the records into new plain arrays:
        # a shallow copy shares them, as it shares loss_curve_.
        copied = type(self).__new__(type(self))
        copied.__dict__.update(self.__dict__)
        return copied

    # ------------------------------------------------------------------ public API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
        coefs_init=None,
        intercepts_init=None,
    ):
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; each sample's loss counts in proportion.
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
                default=None
            Validation samples for early stopping (needs ``early_stopping=True``),
            used instead of a ``validation_fraction`` split. In a ``Pipeline``,
            ``Pipeline(..., transform_input=["X_val"])`` transforms it like ``X``
            (with metadata routing enabled and ``set_fit_request(X_val=True,
            y_val=True)``).
        y_val : array-like of shape (n_val,) or (n_val, n_labels), default=None
            Their labels.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation samples in the validation score and loss
            (multiplied by ``class_weight``, as the training samples are).
        coefs_init : list of ndarray of shape (fan_in, fan_out), default=None
            Initial weight matrices, one per layer, instead of ``init``'s.
        intercepts_init : list of ndarray of shape (fan_out,), default=None
            Initial bias vectors (zeros when only ``coefs_init`` is given).

        Returns
        -------
        self : BackpropMLPClassifier
            The trained estimator.
        """
        validation = (X_val, y_val, sample_weight_val)
        start = (coefs_init, intercepts_init)
        with unchanged_on_error(self):
            return self._fit(X, y, None, sample_weight, False, validation, start)

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
            return self._fit(X, y, classes, sample_weight, True, None, None)

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
        P = self._forward(X)
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
        # A softmax output that underflowed to 0 has the log-probability -inf.
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
        output = self._forward(X)  # raises NotFittedError before fit
        return labels_of(self._label_binarizer, output)

    def decision_function(self, X):
        """Net input of the output layer, ``Z_L = A_{L-1} W_L + b_L``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column per output unit, one dimension for binary targets (the
            log-odds of ``classes_[1]``).
        """
        Z = self._forward(X, output="net_input")
        return Z.ravel() if self.n_outputs_ == 1 else Z

    def hidden_activations(self, X, layer=-1):
        """Outputs ``A_l`` of a hidden layer: the network as a learned feature map.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        layer : int, default=-1
            Which hidden layer, counted from 0 (the first); negative counts from
            the last.

        Returns
        -------
        A : ndarray of shape (n_samples, hidden_layer_sizes[layer])
            The layer's activations, computed without dropout.
        """
        check_is_fitted(self)
        n_hidden = len(self.coefs_) - 1
        if isinstance(layer, bool) or not isinstance(layer, Integral):
            raise TypeError(
                f"layer={layer!r} of type {type(layer).__name__}; layer must be an "
                f"integer in [{-n_hidden}, {n_hidden - 1}]."
            )
        if not -n_hidden <= layer < n_hidden:
            raise ValueError(
                f"layer={layer} is not a hidden layer; the network has {n_hidden} "
                f"(layer in [{-n_hidden}, {n_hidden - 1}])."
            )
        return self._forward(X, output=layer % n_hidden)

    # ------------------------------------------------------------------ validation
    def _activation(self):
        if isinstance(self.activation, Activation):
            return self.activation
        return activation_named(self.activation)

    # ------------------------------------------------------------------ training
    def _fit(self, X, y, classes, sample_weight, incremental, validation, start):
        given = X, y, sample_weight
        hidden = hidden_units(self)
        rates = dropout_rates(self, len(hidden))
        first = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        # Dense rows in C order, whatever order they come in: a batch gathers whole
        # rows (from a strided X each gather costs ten times more), and BLAS sums a
        # product over a Fortran-ordered X in another order (other bits, with lbfgs).
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=(np.float64, np.float32),
            order="C",
            multi_output=True,
            reset=first,
        )
        binarizer, y = fit_targets(self, y, classes, first, incremental)
        Y, labels = target_matrix(binarizer, y, X.dtype)
        sw, counts = training_weights(
            self, X, y, labels, sample_weight, binarizer, first, incremental
        )
        val = validation_set(self, validation, binarizer, X.dtype, counts)
        layout = ParameterLayout([X.shape[1], *hidden, Y.shape[1]])
        rng = check_random_state(self.random_state)
        coefs_init, intercepts_init = start if start else (None, None)
        if coefs_init is not None or intercepts_init is not None:
            theta = given_parameters(layout, X.dtype, coefs_init, intercepts_init)
            first = True
        elif first:
            theta = initial_parameters(self, layout, X.dtype, rng)
        else:
            theta = current_parameters(self, layout, X.dtype)
        out_activation = "softmax" if binarizer.y_type_ == "multiclass" else "logistic"
        run = Run(
            self, layout, theta, X.dtype, out_activation, rates, first, incremental
        )
        run.open_task(given, binarizer)
        # Overflow is reported once, as an error naming the learning rate, rather
        # than as NumPy warnings on the way there.
        with np.errstate(over="ignore", invalid="ignore"):
            if self.solver == "lbfgs":
                run.fit_lbfgs(X, Y, sw, val, rng)
            else:
                run.fit_stochastic(X, Y, labels, sw, val, rng)
        run.commit(binarizer)
        self._class_counts = counts
        run.close_task()
        return self

    # ------------------------------------------------------------------ prediction
    def _forward(self, X, output="activation"):
        """Run the trained network chunk by chunk.

        ``output`` is ``"activation"`` (``A_L``), ``"net_input"`` (``Z_L``) or the
        index of a hidden layer whose activations to return.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=False
        )
        hidden = self._activation().function
        coefs = [W.astype(X.dtype, copy=False) for W in self.coefs_]
        intercepts = [b.astype(X.dtype, copy=False) for b in self.intercepts_]
        if isinstance(output, Integral):
            coefs, intercepts = coefs[: output + 1], intercepts[: output + 1]
            last = hidden
        elif output == "net_input":
            last = identity
        else:
            last = OUTPUT_ACTIVATIONS[self.out_activation_]
        return forward_in_chunks(X, coefs, intercepts, hidden, last)
