"""BackpropMLPClassifier: bad input is refused with a clear error before any state
changes; every supported kind of good input works.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skann import BackpropMLPClassifier

FAST = {"hidden_layer_sizes": (6,), "max_iter": 3, "random_state": 0}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        60, 5, n_informative=3, n_redundant=0, n_classes=3, random_state=0
    )
    return X, y


def _with(X, value):
    X = X.copy()
    X[3, 1] = value
    return X


def _state(clf):
    names = ["classes_", "n_iter_", "t_", "loss_curve_", "n_features_in_"]
    state = {name: pickle.dumps(getattr(clf, name)) for name in names}
    state["weights"] = [W.copy() for W in clf.coefs_ + clf.intercepts_]
    return state


def _assert_unchanged(clf, before, X):
    after = _state(clf)
    for name, value in before.items():
        if name == "weights":
            for W, saved in zip(after[name], value, strict=True):
                np.testing.assert_array_equal(W, saved)
        else:
            assert after[name] == value, f"{name} changed"
    assert clf.predict(X).shape == (X.shape[0],)


FAILURES = {
    "nan": (lambda X, y: (_with(X, np.nan), y), ValueError, "NaN"),
    "inf": (lambda X, y: (_with(X, np.inf), y), ValueError, "infinity"),
    "fewer_features": (lambda X, y: (X[:, :-1], y), ValueError, "features"),
    "unseen_label": (
        lambda X, y: (X, np.where(y == 2, 7, y)),
        ValueError,
        r"labels \[7\] that are not in classes",
    ),
    "continuous_y": (lambda X, y: (X, y + 0.5), ValueError, "Unknown label type"),
    "empty": (lambda X, y: (X[:0], y[:0]), ValueError, "0 sample"),
}


@pytest.mark.parametrize("case", list(FAILURES))
@pytest.mark.parametrize("fitted_by", ["fit", "partial_fit"])
def test_failed_partial_fit_keeps_the_model(data, case, fitted_by):
    X, y = data
    clf = BackpropMLPClassifier(**FAST)
    if fitted_by == "fit":
        clf.fit(X, y)
    else:
        clf.partial_fit(X, y, classes=np.unique(y))
    before = _state(clf)
    corrupt, error, match = FAILURES[case]
    with pytest.raises(error, match=match):
        clf.partial_fit(*corrupt(X, y))
    _assert_unchanged(clf, before, X)
    clf.partial_fit(X, y)  # still usable
    assert clf.t_ == pickle.loads(before["t_"]) + len(y)


@pytest.mark.parametrize("case", ["nan", "inf", "continuous_y", "empty"])
def test_failed_fit_leaves_no_trace(data, case):
    X, y = data
    corrupt, error, match = FAILURES[case]
    clf = BackpropMLPClassifier(**FAST)
    with pytest.raises(error, match=match):
        clf.fit(*corrupt(X, y))
    assert [name for name in vars(clf) if name.endswith("_")] == []
    with pytest.raises(NotFittedError):
        clf.predict(X)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_one_class_fits_and_predicts_it_as_sklearn(data, solver):
    from sklearn.neural_network import MLPClassifier

    X, y = data
    labels = np.full(len(y), "only")
    params = dict(FAST, solver=solver)
    ours = BackpropMLPClassifier(**params).fit(X, labels)
    theirs = MLPClassifier(**params).fit(X, labels)
    assert ours.classes_.tolist() == theirs.classes_.tolist() == ["only"]
    assert ours.n_outputs_ == theirs.n_outputs_ == 1
    assert ours.predict(X).tolist() == ["only"] * len(y)
    assert ours.predict_proba(X).shape == theirs.predict_proba(X).shape
    for mine, reference in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True
    ):
        np.testing.assert_allclose(mine, reference, rtol=1e-7, atol=1e-9)


def test_partial_fit_first_call_needs_classes(data):
    X, y = data
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        BackpropMLPClassifier(**FAST).partial_fit(X, y)


def test_partial_fit_with_different_classes(data):
    X, y = data
    clf = BackpropMLPClassifier(**FAST).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="differs from classes_"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])


def test_warm_start_with_changed_classes(data):
    X, y = data
    clf = BackpropMLPClassifier(warm_start=True, **FAST).fit(X, y)
    before = _state(clf)
    with pytest.raises(
        ValueError, match="warm_start can only be used where `y` has the same classes"
    ):
        clf.fit(X[y < 2], y[y < 2])
    _assert_unchanged(clf, before, X)


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_changed_kind_of_target(data, how):
    X, y = data
    Y = np.eye(3, dtype=int)[y]
    Y[::4, 0] = 1  # rows with two labels: a multilabel indicator matrix
    for first, then, model, given in [
        (Y, y, "a multilabel indicator matrix", "class labels"),
        (y, Y, "class labels", "a multilabel indicator matrix"),
    ]:
        clf = BackpropMLPClassifier(warm_start=how == "warm_start", **FAST)
        if how == "partial_fit":
            clf.partial_fit(X, first, classes=np.unique(y))
        else:
            clf.fit(X, first)
        weights = [W.copy() for W in clf.coefs_]
        with pytest.raises(ValueError, match=f"trained on {model}, but y is {given}"):
            getattr(clf, "partial_fit" if how == "partial_fit" else "fit")(X, then)
        for W, saved in zip(clf.coefs_, weights, strict=True):
            np.testing.assert_array_equal(W, saved)


def test_y_val_of_another_kind_or_type(data):
    X, y = data
    Y = np.eye(3, dtype=int)[y]
    Y[::4, 0] = 1
    clf = BackpropMLPClassifier(early_stopping=True, **FAST)
    with pytest.raises(ValueError, match="y_val is class labels but y is a multi"):
        clf.fit(X[:40], Y[:40], X_val=X[40:], y_val=y[40:])
    with pytest.raises(ValueError, match="y_val is a multilabel indicator matrix"):
        clf.fit(X[:40], y[:40], X_val=X[40:], y_val=Y[40:])
    with pytest.raises(ValueError, match="y_val: Unknown label type"):
        clf.fit(X[:40], y[:40], X_val=X[40:], y_val=y[40:].astype(object))


def test_warm_start_with_changed_layers(data):
    X, y = data
    clf = BackpropMLPClassifier(warm_start=True, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        clf.set_params(hidden_layer_sizes=(4, 4)).fit(X, y)


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (-np.ones(60), "Negative values in data passed to `sample_weight`"),
        (np.ones(59), r"sample_weight.shape == \(59,\), expected \(60,\)"),
        (np.zeros(60), "at least one non-zero"),
    ],
)
def test_bad_sample_weight(data, sample_weight, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        BackpropMLPClassifier(**FAST).fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize(
    "name, value",
    [
        ("hidden_layer_sizes", 0),
        ("hidden_layer_sizes", (10, 0)),
        ("hidden_layer_sizes", (10, -3)),
        ("hidden_layer_sizes", (2.5,)),
        ("activation", "softplus"),
        ("solver", "rmsprop"),
        ("learning_rate_init", 0.0),
        ("learning_rate", "linear"),
        ("dropout", 1.0),
        ("dropout", (0.5, 0.5, 0.5)),
        ("init", "orthogonal"),
        ("learning_rate_step", 0),
        ("batch_size", 0),
        ("momentum", 1.5),
        ("validation_fraction", 1.0),
        ("beta_2", 1.0),
        ("max_iter", 0),
        ("alpha", -1.0),
    ],
)
def test_bad_parameter_values(data, name, value):
    X, y = data
    clf = BackpropMLPClassifier(**FAST).set_params(**{name: value})
    with pytest.raises((ValueError, InvalidParameterError), match=name):
        clf.fit(X, y)


def test_wrong_number_of_features_at_predict(data):
    X, y = data
    clf = BackpropMLPClassifier(**FAST).fit(X, y)
    for method in (clf.predict, clf.predict_proba, clf.predict_log_proba):
        with pytest.raises(ValueError, match="features"):
            method(X[:, :3])


def test_good_input_of_every_kind(data):
    X, y = data
    labels = np.array(["cat", "dog", "emu"])[y]
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    reference = BackpropMLPClassifier(**FAST).fit(X, y)
    for X_in, y_in in [
        (frame, labels),
        (sparse.csr_matrix(X), y),
        (X.tolist(), y.tolist()),
        (X, pd.Series(labels)),
    ]:
        clf = BackpropMLPClassifier(**FAST).fit(X_in, y_in)
        np.testing.assert_allclose(
            clf.predict_proba(X_in), reference.predict_proba(X), rtol=1e-10
        )
    clf = BackpropMLPClassifier(**FAST).fit(frame, labels)
    np.testing.assert_array_equal(clf.feature_names_in_, frame.columns)
    assert set(clf.predict(frame)) <= set(labels)
    boolean = BackpropMLPClassifier(**FAST).fit(X, y == 1)
    assert boolean.predict(X).dtype == bool


def _softsign(Z):
    return Z / (1 + np.abs(Z))


def _softsign_derivative(Z):
    return 1 / (1 + np.abs(Z)) ** 2


def _wrong_shape(Z):
    return Z.ravel()


def _nan(Z):
    return np.full_like(Z, np.nan)


def _nothing(Z):
    return None


def _float64(Z):
    return np.asarray(Z, dtype=np.float64)


@pytest.mark.parametrize(
    ("function", "derivative", "error", "match"),
    [
        (None, _softsign_derivative, TypeError, "function must be a callable"),
        (_softsign, "relu", TypeError, "derivative must be a callable"),
        (_wrong_shape, _softsign_derivative, ValueError, "_wrong_shape returned shape"),
        (_softsign, _nan, ValueError, "derivative _nan returned NaN or inf"),
        (_nothing, _softsign_derivative, ValueError, "_nothing returned NoneType"),
        (_float64, _softsign_derivative, ValueError, "dtype float64 for a net input"),
    ],
)
def test_make_activation_checks_both_functions_on_a_probe(
    function, derivative, error, match
):
    from skann import make_activation

    with pytest.raises(error, match=match):
        make_activation(function, derivative)
    assert make_activation(_softsign, _softsign_derivative).function is not None


def test_hidden_activations_layer_must_be_an_integer():
    X, y = make_classification(60, 4, random_state=0)
    clf = BackpropMLPClassifier((5, 3), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    for layer in (0.0, "0", True, None):
        with pytest.raises(TypeError, match="layer must be an integer"):
            clf.hidden_activations(X, layer=layer)
    assert clf.hidden_activations(X, layer=0).shape == (60, 5)


def test_check_gradient_checks_its_inputs():
    from skann import PerceptronClassifier, check_gradient

    X, y = make_classification(20, 4, random_state=0)
    clf = BackpropMLPClassifier((3,))
    with pytest.raises(TypeError, match="no gradient to check"):
        check_gradient(PerceptronClassifier(), X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        check_gradient(clf, X, y[:10])
    for step in (0, -1e-4, float("nan")):
        with pytest.raises(ValueError, match="step must be > 0"):
            check_gradient(clf, X, y, step=step)
    # Found by tests/test_fuzz.py: these gave NumPy's errors ("zero-size array to
    # reduction operation", "Negative dimensions are not allowed", "expected a
    # sequence of integers") or, for step=True, a check with a step of 1.
    for step in ("a", None, True):
        with pytest.raises(TypeError, match="step must be a real number > 0"):
            check_gradient(clf, X, y, step=step)
    for max_params in (0, -1):
        with pytest.raises(ValueError, match="max_params must be None or an integer"):
            check_gradient(clf, X, y, max_params=max_params)
    for max_params in (2.5, "3", True):
        with pytest.raises(TypeError, match="max_params must be None or an integer"):
            check_gradient(clf, X, y, max_params=max_params)
    assert check_gradient(clf, X, y, max_params=np.int64(3)) < 1e-6
    # Found by tests/test_fuzz.py: weights that are all zero made the loss 0 / 0,
    # a storm of 205 RuntimeWarnings and a NaN result.
    for sample_weight, match in [
        (np.zeros(len(y)), "at least one non-zero"),
        (-np.ones(len(y)), "Negative values"),
        (np.ones((len(y), 2)), "1D array"),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match=match):
                check_gradient(clf, X, y, sample_weight)
    # Found by tests/test_fuzz.py: labels with NaN went to LabelBinarizer, which
    # warned "invalid value encountered in cast"; y is checked as fit checks it.
    labels = y.astype(float)
    labels[0] = np.nan
    for bad_y, error, match in [
        (labels, ValueError, "Input y contains NaN"),
        (y + 0.5, ValueError, "Unknown label type"),
        (np.array(["a", 1] * 10, dtype=object), TypeError, "y holds labels of"),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(error, match=match):
                check_gradient(clf, X, bad_y)
    with pytest.raises(TypeError, match=r"y is a sparse matrix \(csr_matrix\)"):
        check_gradient(clf, X, sparse.csr_matrix(y.reshape(-1, 1)))


def test_sparse_labels_are_refused(data):
    X, y = data
    sparse_y = sparse.csr_matrix(y.reshape(-1, 1))
    clf = BackpropMLPClassifier((3,), max_iter=5)
    with pytest.raises(TypeError, match="Sparse data was passed for y"):
        clf.fit(X, sparse_y)
    with pytest.raises(TypeError, match="Sparse data was passed for y"):
        clf.partial_fit(X, sparse_y, classes=np.unique(y))


def test_log_proba_of_an_underflowed_softmax_is_minus_inf_without_warning():
    # Found by tests/test_fuzz.py: a sample of 3.4e38 drives the softmax of the
    # other classes to exactly 0, and np.log(0) warned "divide by zero".
    X = np.array([[3.4e38], [0.4], [0.97], [2.24], [1.87], [-0.98]])
    y = np.array([-3, 7, -3, 7, 7, 11])
    clf = BackpropMLPClassifier((3,), max_iter=3, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_proba = clf.predict_log_proba(X)
    proba = clf.predict_proba(X)
    assert (proba[0] == 0).any()
    np.testing.assert_array_equal(np.isneginf(log_proba), proba == 0)
    np.testing.assert_allclose(np.exp(log_proba), proba)


def test_validation_fraction_zero_as_in_sklearn(data):
    # Found by tests/test_fuzz.py: MLPClassifier accepts validation_fraction=0
    # (its range is [0, 1)); skann refused it. It is accepted where nothing is held
    # out, and refused, naming it, where early stopping would hold out rows.
    X, y = data
    params = dict(FAST, solver="sgd")
    zero = BackpropMLPClassifier(validation_fraction=0.0, **params).fit(X, y)
    default = BackpropMLPClassifier(**params).fit(X, y)
    for W, reference in zip(zero.coefs_, default.coefs_, strict=True):
        np.testing.assert_array_equal(W, reference)
    clf = BackpropMLPClassifier(validation_fraction=0.0, early_stopping=True, **params)
    with pytest.raises(ValueError, match=r"validation_fraction=0.0 .* must be > 0"):
        clf.fit(X, y)
    assert [name for name in vars(clf) if name.endswith("_")] == []
    clf.fit(X[:40], y[:40], X_val=X[40:], y_val=y[40:])
    assert len(clf.validation_scores_) == clf.n_iter_


def test_labels_of_mixed_types_are_named(data):
    # Found by tests/test_fuzz.py: "'<' not supported between instances of 'int'
    # and 'str'" from NumPy's sort, naming neither y nor what to do.
    X, _ = data
    mixed = np.array(["a", 1] * 30, dtype=object)
    match = r"holds labels of the types \['int', 'str'\], which cannot be sorted"
    with pytest.raises(TypeError, match="y " + match):
        BackpropMLPClassifier(**FAST).fit(X, mixed)
    clf = BackpropMLPClassifier(early_stopping=True, **FAST)
    with pytest.raises(TypeError, match="y_val " + match):
        clf.fit(X[:40], np.array(["a", "b"] * 20), X_val=X[40:], y_val=mixed[40:])


def _nan_beyond(Z):
    return np.where(np.abs(Z) > 2.5, np.nan, Z)


def _ones(Z):
    return np.ones_like(Z)


def test_user_activation_giving_nan_beyond_the_probe_is_named():
    # Found by tests/test_fuzz.py: make_activation's probe sees net inputs in
    # [-2, 2] only; a function that returns NaN beyond them trained a model whose
    # predict_proba was NaN. The function is named wherever it gives NaN or inf for
    # a finite net input, in training and in prediction.
    from skann import make_activation

    activation = make_activation(_nan_beyond, _ones)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    clf = BackpropMLPClassifier(
        (3,), activation=activation, max_iter=50, random_state=0
    ).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()
    match = "make_activation's function _nan_beyond returned NaN or inf for finite"
    for method in (clf.predict, clf.predict_proba, clf.hidden_activations):
        with pytest.raises(ValueError, match=match):
            method(100 * X)
    # The fuzzer's case: one step of 10 takes the training sample's net inputs
    # past 2.5, and predict_proba gave NaN on the training data.
    X_one, y_one = np.array([[1.76405235]]), np.array([-3])
    stepped = BackpropMLPClassifier(
        (3,), activation=activation, max_iter=1, learning_rate_init=10.0, random_state=0
    ).fit(X_one, y_one)
    with pytest.raises(ValueError, match=match):
        stepped.predict_proba(X_one)
    # In training, the first NaN stops the fit and leaves no model behind.
    diverging = BackpropMLPClassifier(
        (3,), activation=activation, max_iter=3, learning_rate_init=10.0, random_state=0
    )
    with pytest.raises(ValueError, match=match):
        diverging.fit(X_one, y_one)
    assert [name for name in vars(diverging) if name.endswith("_")] == []
