"""skann.onnx: converted models give skann's labels exactly and its scores to 1e-5."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris, make_multilabel_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")

import skann.onnx  # noqa: E402,F401  (registers the converters)
from skann import (  # noqa: E402
    BackpropMLPClassifier,
    PerceptronClassifier,
    make_activation,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATIONS = ["relu", "tanh", "logistic", "identity", "leaky_relu", "gelu"]


def _data(kind):
    """Standardised iris (multiclass, binary, string labels) or a multilabel set."""
    if kind == "multilabel":
        X, y = make_multilabel_classification(
            80, 6, n_classes=3, random_state=0, allow_unlabeled=False
        )
    else:
        X, y = load_iris(return_X_y=True)
        if kind == "binary":
            y = y == 1
        elif kind == "strings":
            y = np.array(["setosa", "versicolor", "virginica"])[y]
    X = StandardScaler().fit_transform(X)
    return X, y


def _run(model, X, **options):
    """Convert ``model`` for inputs like ``X`` and run onnxruntime on ``X``."""
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False, **options})
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def _assert_scores_close(actual, expected):
    """Equal to 1e-5, relative to the scale of the scores (at least 1)."""
    scale = max(1.0, float(np.abs(expected).max()))
    assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_matches_skann(activation, kind, dtype):
    X, y = _data(kind)
    X = X.astype(dtype)
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(7, 5),
        activation=activation,
        solver="lbfgs",
        max_iter=30,
        random_state=0,
    ).fit(X, y)
    label, proba = _run(clf, X)
    assert_array_equal(label, clf.predict(X))
    _assert_scores_close(proba, clf.predict_proba(X))
    expected_out = "logistic" if kind != "multiclass" else "softmax"
    assert clf.out_activation_ == expected_out


def test_mlp_string_labels_and_zipmap():
    X, y = _data("strings")
    X = X.astype(np.float32)
    clf = BackpropMLPClassifier((5,), max_iter=30, random_state=0).fit(X, y)
    onx = skl2onnx.to_onnx(clf, X[:1])  # default options: a ZipMap, as scikit-learn
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    label, proba = session.run(None, {"X": X})
    assert_array_equal(label, clf.predict(X))
    expected = clf.predict_proba(X)
    as_array = np.array([[row[c] for c in clf.classes_] for row in proba])
    _assert_scores_close(as_array, expected)


@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("multi_class", ["ovr", "multinomial"])
@pytest.mark.parametrize("kind", ["multiclass", "binary", "strings", "multilabel"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_perceptron_matches_skann(kind, multi_class, average, dtype):
    if kind == "multilabel" and multi_class == "multinomial":
        pytest.skip("multilabel targets train one neuron per label")
    X, y = _data(kind)
    X = X.astype(dtype)
    clf = PerceptronClassifier(
        max_iter=10, multi_class=multi_class, average=average, random_state=0
    ).fit(X, y)
    label, scores = _run(clf, X)
    assert_array_equal(label, clf.predict(X))
    decision = clf.decision_function(X)
    if decision.ndim == 1:
        # binary: the columns [-n, n], the second one is decision_function
        _assert_scores_close(scores, np.column_stack([-decision, decision]))
    else:
        _assert_scores_close(scores, decision)


@pytest.mark.parametrize(
    "clf",
    [
        PerceptronClassifier(max_iter=10, random_state=0),
        BackpropMLPClassifier((6,), activation="gelu", max_iter=30, random_state=0),
    ],
    ids=["perceptron", "mlp"],
)
def test_in_pipeline_with_scaler(clf):
    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float32)
    pipe = make_pipeline(StandardScaler(), clf).fit(X, y)
    label, scores = _run(pipe, X)
    assert_array_equal(label, pipe.predict(X))
    if hasattr(clf, "predict_proba"):
        _assert_scores_close(scores, pipe.predict_proba(X))
    else:
        _assert_scores_close(scores, pipe.decision_function(X))


def test_default_to_onnx_call_works():
    """The call of the issue: ``to_onnx(model, X[:1].astype(np.float32))``."""
    X, y = load_iris(return_X_y=True)
    for clf in (PerceptronClassifier(max_iter=5), BackpropMLPClassifier(max_iter=5)):
        onx = skl2onnx.to_onnx(clf.fit(X, y), X[:1].astype(np.float32))
        assert [o.name for o in onx.graph.output] == [
            "output_label",
            "output_probability",
        ]


def softsign(Z):
    return Z / (1 + np.abs(Z))


def softsign_derivative(Z):
    return 1 / (1 + np.abs(Z)) ** 2


def test_user_activation_raises_naming_it():
    X, y = load_iris(return_X_y=True)
    clf = BackpropMLPClassifier(
        (4,), activation=make_activation(softsign, softsign_derivative), max_iter=5
    ).fit(X, y)
    with pytest.raises(NotImplementedError, match="user-defined activation.*softsign"):
        skl2onnx.to_onnx(clf, X[:1].astype(np.float32))
