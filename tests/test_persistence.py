"""Saved models load back the same: pickle, joblib and skops.io, and the version rule.

Every configuration a fitted model can be in (each solver, after ``partial_fit``,
with early stopping, with an activation registered by name; the perceptron's
variants) is saved and loaded: the loaded model predicts the same and trains on
identically. The saved state holds NumPy arrays, dicts and Python scalars only, so
``skops.io`` asks the user to trust the public estimator class and nothing else.
"""

import copy
import io
import pickle
from array import array

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.preprocessing import LabelBinarizer

import skann
import skann._persistence
from skann import BackpropMLPClassifier, PerceptronClassifier, register_activation
from skann._math.activations import NAMED_ACTIVATIONS

pytestmark = pytest.mark.filterwarnings(
    "ignore:Maximum number of iterations:sklearn.exceptions.ConvergenceWarning",
    "ignore:lbfgs stopped:sklearn.exceptions.ConvergenceWarning",
)

MLP = {"hidden_layer_sizes": (5,), "max_iter": 5, "random_state": 0}
PERCEPTRON = {"max_iter": 5, "tol": None}


def softsign(Z):
    return Z / (1 + np.abs(Z))


def softsign_derivative(Z):
    return 1 / (1 + np.abs(Z)) ** 2


@pytest.fixture
def softsign_registered():
    register_activation("softsign", softsign, softsign_derivative)
    yield "softsign"
    NAMED_ACTIVATIONS.pop("softsign", None)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(90, 6, n_informative=4, n_classes=3, random_state=0)
    return X, y


def _multilabel(y):
    return np.c_[y == 0, y != 1, y == 2].astype(int)


def _partial_fit(est, X, y, calls=2):
    classes = None if y.ndim == 2 else np.unique(y)
    for rows in np.array_split(np.arange(len(y)), calls):
        est.partial_fit(X[rows], y[rows], classes=classes)
    return est


#: name -> a function that fits the model of that configuration on (X, y)
CONFIGURATIONS = {
    "mlp-sgd": lambda X, y: BackpropMLPClassifier(solver="sgd", **MLP).fit(X, y),
    "mlp-adam": lambda X, y: BackpropMLPClassifier(**MLP).fit(X, y),
    "mlp-lbfgs": lambda X, y: BackpropMLPClassifier(solver="lbfgs", **MLP).fit(X, y),
    "mlp-partial-fit-sgd": lambda X, y: _partial_fit(
        BackpropMLPClassifier(solver="sgd", learning_rate="invscaling", **MLP), X, y
    ),
    "mlp-partial-fit-adam": lambda X, y: _partial_fit(
        BackpropMLPClassifier(**MLP), X, y
    ),
    "mlp-early-stopping": lambda X, y: BackpropMLPClassifier(
        early_stopping=True, n_iter_no_change=2, **MLP
    ).fit(X, y),
    "mlp-cosine-float32": lambda X, y: BackpropMLPClassifier(
        learning_rate="cosine", **MLP
    ).fit(X.astype(np.float32), y),
    "mlp-multilabel": lambda X, y: BackpropMLPClassifier(**MLP).fit(X, _multilabel(y)),
    "mlp-registered-activation": lambda X, y: BackpropMLPClassifier(
        activation="softsign", **MLP
    ).fit(X, y),
    "perceptron": lambda X, y: PerceptronClassifier(**PERCEPTRON).fit(X, y),
    "perceptron-averaged": lambda X, y: PerceptronClassifier(
        average=True, **PERCEPTRON
    ).fit(X, y),
    "perceptron-pocket": lambda X, y: PerceptronClassifier(
        pocket=True, **PERCEPTRON
    ).fit(X, y),
    "perceptron-l1": lambda X, y: PerceptronClassifier(penalty="l1", **PERCEPTRON).fit(
        X, y
    ),
    "perceptron-elasticnet-averaged": lambda X, y: PerceptronClassifier(
        penalty="elasticnet", average=3, **PERCEPTRON
    ).fit(X, y),
    "perceptron-multinomial": lambda X, y: PerceptronClassifier(
        multi_class="multinomial", **PERCEPTRON
    ).fit(X, y),
    "perceptron-multilabel": lambda X, y: PerceptronClassifier(**PERCEPTRON).fit(
        X, _multilabel(y)
    ),
    "perceptron-mini-batch": lambda X, y: PerceptronClassifier(
        batch_size=16, **PERCEPTRON
    ).fit(X, y),
    "perceptron-early-stopping": lambda X, y: PerceptronClassifier(
        early_stopping=True, max_iter=5
    ).fit(X, y),
    "perceptron-partial-fit": lambda X, y: _partial_fit(PerceptronClassifier(), X, y),
}


@pytest.fixture(params=sorted(CONFIGURATIONS))
def fitted(request, data):
    """(fitted model, its twin fitted alike, X, y) of each configuration."""
    name = request.param
    if name == "mlp-registered-activation":
        request.getfixturevalue("softsign_registered")
    X, y = data
    if "multilabel" in name:
        y = _multilabel(y)
    if "float32" in name:
        X = X.astype(np.float32)
    return CONFIGURATIONS[name](*data), CONFIGURATIONS[name](*data), X, y


def _outputs(est, X):
    if isinstance(est, BackpropMLPClassifier):
        return est.predict(X), est.predict_proba(X)
    return est.predict(X), est.decision_function(X)


def _train_on(est, X, y):
    """One more call of training that continues from the fitted state."""
    if getattr(est, "solver", None) == "lbfgs":
        return est.set_params(warm_start=True, max_iter=2).fit(X, y)
    return est.partial_fit(X, y)


def _weights(est):
    if isinstance(est, BackpropMLPClassifier):
        return [*est.coefs_, *est.intercepts_]
    return [est.coef_, est.intercept_]


def assert_same_model(loaded, twin, X, y):
    """Same predictions as ``twin`` (a model trained as the saved one was, never
    saved), and the same weights after one more call of training on both."""
    assert type(loaded) is type(twin)
    assert loaded.get_params() == twin.get_params()
    for theirs, ours in zip(_outputs(loaded, X), _outputs(twin, X), strict=True):
        np.testing.assert_array_equal(theirs, ours)
    _train_on(loaded, X, y)
    _train_on(twin, X, y)
    for theirs, ours in zip(_weights(loaded), _weights(twin), strict=True):
        np.testing.assert_array_equal(theirs, ours)
    assert loaded.t_ == twin.t_
    if isinstance(twin, BackpropMLPClassifier):
        assert loaded.history_.drop(columns="seconds").equals(
            twin.history_.drop(columns="seconds")
        )


# ------------------------------------------------------------------ the state
_PLAIN = (str, int, float, bool, type(None), np.generic)


def _non_plain(value, where):
    """Paths and types in ``value`` that are not plain NumPy or Python values."""
    if isinstance(value, dict):
        return [
            found
            for key, item in value.items()
            for found in _non_plain(item, f"{where}[{key!r}]")
        ]
    if isinstance(value, list | tuple):
        return [
            found
            for i, item in enumerate(value)
            for found in _non_plain(item, f"{where}[{i}]")
        ]
    if isinstance(value, np.ndarray) and value.dtype != object:
        return []
    if isinstance(value, _PLAIN) or type(value) is LabelBinarizer:
        return []
    return [(where, type(value))]


def test_saved_state_is_plain_values(fitted):
    est, _, _, _ = fitted
    state = est.__getstate__()
    # scikit-learn's LabelBinarizer is a public estimator, which skops trusts
    assert _non_plain(state, "state") == []
    assert state["_skann_version"] == skann.__version__


# ------------------------------------------------------------------ round trips
def test_pickle_round_trip(fitted):
    est, twin, X, y = fitted
    assert_same_model(pickle.loads(pickle.dumps(est)), twin, X, y)


def test_joblib_round_trip(fitted):
    est, twin, X, y = fitted
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    assert_same_model(joblib.load(buffer), twin, X, y)


def test_skops_round_trip_trusts_the_public_estimator_only(fitted, tmp_path):
    sio = pytest.importorskip("skops.io")
    est, twin, X, y = fitted
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == [f"skann.{type(est).__name__}"]
    assert_same_model(sio.load(path, trusted=untrusted), twin, X, y)


def test_skops_refuses_to_load_untrusted_estimator(data):
    sio = pytest.importorskip("skops.io")
    est = PerceptronClassifier(**PERCEPTRON).fit(*data)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(sio.dumps(est))


def test_sparsified_perceptron_also_trusts_the_sparse_matrix(data):
    sio = pytest.importorskip("skops.io")
    X, y = data
    est = PerceptronClassifier(**PERCEPTRON).fit(X, y).sparsify()
    saved = sio.dumps(est)
    matrix = type(est.coef_)
    assert sio.get_untrusted_types(data=saved) == sorted(
        [f"{matrix.__module__}.{matrix.__qualname__}", "skann.PerceptronClassifier"]
    )
    loaded = sio.loads(saved, trusted=sio.get_untrusted_types(data=saved))
    np.testing.assert_array_equal(loaded.decision_function(X), est.decision_function(X))


def test_unfitted_estimators_round_trip():
    for est in (BackpropMLPClassifier(alpha=0.1), PerceptronClassifier(eta0=0.5)):
        loaded = pickle.loads(pickle.dumps(est))
        assert loaded.get_params() == est.get_params()
        assert vars(loaded) == vars(est)


def test_a_shallow_copy_shares_the_records(data):
    est = BackpropMLPClassifier(**MLP).fit(*data)
    snapshot = copy.copy(est)
    assert snapshot._history is est._history
    assert snapshot._optimizer is est._optimizer


# ------------------------------------------------------------------ activations
def test_registered_activation_is_saved_by_name(data, softsign_registered):
    sio = pytest.importorskip("skops.io")
    X, y = data
    est = BackpropMLPClassifier(activation=softsign_registered, **MLP).fit(X, y)
    saved = sio.dumps(est)

    # A process that has not registered the name loads the model, and then says
    # what to do when the model is used.
    NAMED_ACTIVATIONS.pop(softsign_registered)
    loaded = sio.loads(saved, trusted=["skann.BackpropMLPClassifier"])
    assert loaded.activation == "softsign"
    with pytest.raises(ValueError, match=r"skann.register_activation\('softsign'"):
        loaded.predict(X)
    with pytest.raises(ValueError, match="register_activation"):
        loaded.partial_fit(X, y)

    register_activation("softsign", softsign, softsign_derivative)
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_register_activation_checks_its_name():
    with pytest.raises(ValueError, match="'relu' is a built-in activation"):
        register_activation("relu", softsign, softsign_derivative)
    with pytest.raises(TypeError, match="non-empty str"):
        register_activation("", softsign, softsign_derivative)
    with pytest.raises(ValueError, match="activation"):
        BackpropMLPClassifier(activation="not registered").fit([[0.0], [1.0]], [0, 1])


# ------------------------------------------------------------------ versions
@pytest.fixture(params=["mlp-adam", "perceptron-averaged"])
def saved_by(request, data, monkeypatch):
    """``save(version)``: a model pickled as if by skann ``version``, and its twin
    (trained alike, never saved)."""
    est, twin = (CONFIGURATIONS[request.param](*data) for _ in range(2))

    def save(version):
        with monkeypatch.context() as patch:
            patch.setattr(skann._persistence, "__version__", version)
            return twin, pickle.dumps(est)

    return save


@pytest.mark.parametrize("version", ["0.1.0", "0.1.7", "0.1.3rc1"])
def test_a_model_of_the_same_minor_version_loads(saved_by, data, version):
    twin, saved = saved_by(version)
    X, y = data
    assert_same_model(pickle.loads(saved), twin, X, y)


@pytest.mark.parametrize(
    ("version", "advice"),
    [
        ("0.0.9", r'pip install "skann==0\.0\.9"'),
        ("0.2.0", r'pip install "skann>=0\.2"'),
        ("1.0.0", r'pip install "skann>=1\.0"'),
    ],
)
def test_a_model_of_another_minor_version_names_both_versions(
    saved_by, version, advice
):
    est, saved = saved_by(version)
    name = type(est).__name__
    message = (
        rf"This {name} was saved by skann {version} and cannot be loaded by skann "
        rf"{skann.__version__}, which loads models saved by skann 0\.1\.x: .*{advice}"
    )
    with pytest.raises(ValueError, match=message):
        pickle.loads(saved)


def test_skops_load_checks_the_version(data, tmp_path, monkeypatch):
    sio = pytest.importorskip("skops.io")
    est = BackpropMLPClassifier(**MLP).fit(*data)
    monkeypatch.setattr(skann._persistence, "__version__", "0.3.1")
    saved = sio.dumps(est)
    monkeypatch.undo()
    with pytest.raises(ValueError, match=r'saved by skann 0\.3\.1 .*"skann>=0\.3"'):
        sio.loads(saved, trusted=["skann.BackpropMLPClassifier"])


def test_a_state_of_no_version_and_runtime_objects_loads(data):
    """A pickle written before skann recorded its version holds the training
    objects (the history's array, the optimiser) and no version: it loads."""
    X, y = data
    est, twin = (
        _partial_fit(BackpropMLPClassifier(solver="sgd", **MLP), X, y) for _ in range(2)
    )
    old_state = dict(vars(est))
    assert isinstance(old_state["_history"], array)
    loaded = BackpropMLPClassifier.__new__(BackpropMLPClassifier)
    loaded.__setstate__(old_state)
    assert_same_model(loaded, twin, X, y)


def test_a_state_of_a_version_that_is_no_number_is_refused(data):
    est = PerceptronClassifier(**PERCEPTRON).fit(*data)
    state = {**est.__getstate__(), "_skann_version": None}
    with pytest.raises(ValueError, match="saved by skann None .* not a version"):
        PerceptronClassifier.__new__(PerceptronClassifier).__setstate__(state)
