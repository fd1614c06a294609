"""Property-based fuzzing of both estimators and their peers in scikit-learn.

For inputs of every kind users pass (``tests/fuzz_strategies.py``), each public
method either gives a valid result (finite weights, probabilities in [0, 1] summing
to 1, predictions among ``classes_``) or raises a ``ValueError`` or ``TypeError``
with a message: never another exception, never more than a few warnings, never a
hang. The same draws go to scikit-learn's ``Perceptron`` and ``MLPClassifier``:
what they accept, skann accepts (or the difference is documented), and skann's
training accuracy is not worse.

The ``ci`` profile of ``tests/conftest.py`` runs a fixed set of examples;
``pytest -m fuzz --hypothesis-profile=long`` runs many more.
"""

import re
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from fuzz_strategies import (
    USER_FUNCTIONS,
    cases,
    mlp_parameters,
    perceptron_parameters,
)
from hypothesis import event, given, target
from hypothesis import strategies as st
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.linear_model import Perceptron
from sklearn.neural_network import MLPClassifier

from skann import (
    BackpropMLPClassifier,
    PerceptronClassifier,
    check_gradient,
    make_activation,
)

pytestmark = pytest.mark.fuzz

# A diverging fit raises FloatingPointError naming the learning rate (documented in
# the user guide's differences; its messages are being reworked separately).
ERRORS = (ValueError, TypeError, FloatingPointError)
# ConvergenceWarning and DataConversionWarning are UserWarnings; listed for clarity.
WARNINGS = (ConvergenceWarning, DataConversionWarning, UserWarning)
# NumPy's RuntimeWarnings (overflow, invalid value) are allowed only on data whose
# exact results leave the float range, as scikit-learn's peers give them there too
# (its finiteness check sums X, so inf and -inf warn before the ValueError).
EXTREME = {"float64": 1e100, "float32": 1e15, "float16": 1e2}
MAX_WARNINGS = 3
# A hang guard, not a speed test: every call here takes milliseconds once the
# kernels are compiled (the fixture below compiles them first).
MAX_SECONDS = 30.0


class Outcome:
    """What one call returned or raised."""

    def __init__(self, value=None, error=None):
        self.value, self.error = value, error

    @property
    def ok(self):
        return self.error is None


def extreme(X):
    """Whether ``X`` holds non-finite values or values near its dtype's overflow."""
    if X is None:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            values = X.toarray() if sparse.issparse(X) else np.asarray(X)
            dtype = values.dtype.name if values.dtype.kind == "f" else "float64"
            values = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            return False
    limit = EXTREME.get(dtype, EXTREME["float64"])
    return bool(values.size) and not np.all(np.abs(values) < limit)


def checked_call(function, *args, tolerate_overflow=False, **kwargs):
    """Call ``function``; check the time, the warnings and the kind of error.

    ``tolerate_overflow`` allows NumPy's RuntimeWarnings (see ``EXTREME``).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        try:
            outcome = Outcome(value=function(*args, **kwargs))
        except ERRORS as error:
            outcome = Outcome(error=error)
        elapsed = time.perf_counter() - start
    name = getattr(function, "__name__", repr(function))
    assert elapsed < MAX_SECONDS, f"{name} took {elapsed:.1f} s"
    messages = [f"{w.category.__name__}: {w.message}" for w in caught]
    assert len(caught) <= MAX_WARNINGS, f"{name} warned {len(caught)} times: {messages}"
    allowed = (*WARNINGS, RuntimeWarning) if tolerate_overflow else WARNINGS
    for w in caught:
        assert issubclass(w.category, allowed), f"{name}: {messages}"
        assert str(w.message).strip(), f"{name} warned without a message"
    if outcome.error is not None:
        assert str(outcome.error).strip(), f"{name} raised without a message"
    return outcome


@pytest.fixture(scope="module", autouse=True)
def compiled_kernels():
    """Compile (or load) the kernels the draws use, outside the timed calls."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((12, 3))
    y = np.arange(12) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dtype in (np.float64, np.float32):
            for data in (X.astype(dtype), sparse.csr_matrix(X.astype(dtype))):
                for params in (
                    {},
                    {"average": True, "penalty": "elasticnet"},
                    {"multi_class": "multinomial"},
                ):
                    PerceptronClassifier(max_iter=2, **params).fit(data, y)
                    PerceptronClassifier(max_iter=2, **params).fit(data, y % 2)
                for solver in ("sgd", "adam"):
                    BackpropMLPClassifier((2,), solver=solver, max_iter=1).fit(data, y)


# ------------------------------------------------------------------------- validity
def weights_of(est):
    if isinstance(est, PerceptronClassifier):
        coef = est.coef_.toarray() if sparse.issparse(est.coef_) else est.coef_
        return [coef, est.intercept_]
    return est.coefs_ + est.intercepts_


def multilabel(case):
    return np.ndim(case.y) == 2 and np.shape(case.y)[1] > 1


def check_fitted(est, case):
    """The fitted attributes of a model that ``fit`` returned."""
    for weights in weights_of(est):
        assert np.isfinite(weights).all(), "fit returned non-finite weights"
    values = est.classes_.tolist()
    assert values == sorted(set(values)), f"classes_ {values} unsorted or repeated"
    if multilabel(case):
        assert values == list(range(np.shape(case.y)[1]))
    assert est.n_features_in_ == np.shape(case.X)[1]


def check_predictions(est, X, labels):
    """``predict`` gives labels of ``classes_`` (or an indicator matrix)."""
    n = np.shape(X)[0]
    if labels.ndim == 2:
        assert labels.shape == (n, len(est.classes_))
        assert set(np.unique(labels).tolist()) <= {0, 1}
    else:
        assert labels.shape == (n,)
        assert set(labels.tolist()) <= set(est.classes_.tolist())


def check_probabilities(est, proba, n, several_labels):
    """Probabilities in [0, 1], one column per class (two for binary, and for one
    class as in scikit-learn), rows summing to 1."""
    n_classes = len(est.classes_)
    assert proba.shape == (n, n_classes if several_labels else max(n_classes, 2))
    assert not np.isnan(proba).any(), "predict_proba gave NaN"
    assert ((proba >= 0) & (proba <= 1)).all(), "predict_proba outside [0, 1]"
    if not several_labels:
        tolerance = 10 * np.finfo(proba.dtype).eps * proba.shape[1]
        np.testing.assert_allclose(proba.sum(axis=1), 1, atol=tolerance)


def bounded_net_inputs(est, X):
    """Whether the perceptron's exact net inputs of ``X`` are far from overflowing,
    so that the computed ones must be finite."""
    values = X.toarray() if sparse.issparse(X) else np.asarray(X, dtype=np.float64)
    largest = np.abs(values.astype(np.float64)).max(initial=0)
    coef, intercept = weights_of(est)
    with np.errstate(over="ignore", invalid="ignore"):
        bound = largest * np.abs(coef).sum(axis=1).max() + np.abs(intercept).max()
    return bool(np.isfinite(bound) and bound < 1e30)


def check_methods(est, case):
    """Every public method on ``case.X_test``: a valid result or a clean error, and
    ``predict`` in agreement with the scores it is the decision of."""
    X = case.X_test
    n = np.shape(X)[0]
    call = partial(checked_call, tolerate_overflow=extreme(case.X) or extreme(X))
    predicted = call(est.predict, X)
    scores = call(est.decision_function, X)
    assert scores.ok == predicted.ok, (scores.error, predicted.error)
    score = call(est.score, X, y_of_length(case.y, n))
    if score.ok:
        assert 0.0 <= score.value <= 1.0
    if not predicted.ok:
        return
    labels = np.asarray(predicted.value)
    check_predictions(est, X, labels)
    assert scores.value.shape[0] == n
    if isinstance(est, PerceptronClassifier):
        if bounded_net_inputs(est, X):
            assert np.isfinite(scores.value).all()
            check_decisions(est, labels, scores.value, case, threshold=0.0)
        diagnostics = call(est.novikoff_diagnostics, X, y_of_length(case.y, n))
        if diagnostics.ok:
            assert diagnostics.value.radius >= 0
        sparse_coef = call(est.sparsify().predict, X)
        np.testing.assert_array_equal(sparse_coef.value, labels)
        np.testing.assert_array_equal(call(est.densify().predict, X).value, labels)
        return
    proba = call(est.predict_proba, X)
    assert proba.ok
    check_probabilities(est, proba.value, n, multilabel(case))
    check_decisions(est, labels, proba.value, case, threshold=0.5)
    log_proba = call(est.predict_log_proba, X)
    assert log_proba.ok
    assert not np.isnan(log_proba.value).any() and (log_proba.value <= 0).all()
    hidden = call(est.hidden_activations, X, layer=-1)
    assert hidden.ok
    assert hidden.value.shape == (n, est.coefs_[-1].shape[0])


def check_decisions(est, labels, output, case, threshold):
    """``predict`` is the decision of its scores (net inputs or probabilities)."""
    if len(est.classes_) == 1:
        np.testing.assert_array_equal(labels, np.repeat(est.classes_, len(labels)))
    elif multilabel(case):
        np.testing.assert_array_equal(labels, (output > threshold).astype(int))
    elif output.ndim == 1:  # the perceptron's binary net input
        expected = est.classes_[(output > threshold).astype(int)]
        np.testing.assert_array_equal(labels, expected)
    else:  # largest score or probability (one column per class)
        np.testing.assert_array_equal(labels, est.classes_[output.argmax(axis=1)])


def y_of_length(y, n):
    """``y`` when it has ``n`` rows, else its first row repeated ``n`` times."""
    if np.shape(y)[0] == n:
        return y
    return np.repeat(np.asarray(y, dtype=object)[:1], n, axis=0)


def fit_call(est, case, method):
    """``fit`` or a first ``partial_fit`` of ``case``, checked."""
    kwargs = {"tolerate_overflow": extreme(case.X) or extreme(case.X_test)}
    if case.sample_weight is not None:
        kwargs["sample_weight"] = case.sample_weight
    if method == "partial_fit":
        return checked_call(
            est.partial_fit, case.X, case.y, classes=case.classes, **kwargs
        )
    return checked_call(est.fit, case.X, case.y, **kwargs)


def run_contract(estimator_class, case, method):
    est = estimator_class(**case.params)
    if method == "partial_fit" and not hasattr(est, "partial_fit"):
        return
    outcome = fit_call(est, case, method)
    event(f"{method}: " + ("ok" if outcome.ok else type(outcome.error).__name__))
    if not outcome.ok:
        assert not [name for name in vars(est) if name.endswith("_")], (
            f"a failed {method} left fitted attributes behind"
        )
        return
    assert outcome.value is est
    check_fitted(est, case)
    check_methods(est, case)
    if hasattr(est, "partial_fit"):
        again = fit_call(est, case, "partial_fit")
        if again.ok:
            check_fitted(est, case)


# ------------------------------------------------------------------------- properties
@given(
    case=cases(perceptron_parameters()), method=st.sampled_from(["fit", "partial_fit"])
)
def test_perceptron_contract(case, method):
    run_contract(PerceptronClassifier, case, method)


@given(case=cases(mlp_parameters()), method=st.sampled_from(["fit", "partial_fit"]))
def test_mlp_contract(case, method):
    run_contract(BackpropMLPClassifier, case, method)


# ------------------------------------------------------------------------- peers
PEERS = {PerceptronClassifier: Perceptron, BackpropMLPClassifier: MLPClassifier}
MIN_ROWS = 10  # accuracy is compared on draws of at least this many rows


def peer_call(peer, case, method):
    kwargs = {}
    if case.sample_weight is not None:
        kwargs["sample_weight"] = case.sample_weight
    if method == "partial_fit":
        kwargs["classes"] = case.classes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            getattr(peer, method)(case.X, case.y, **kwargs)
        except Exception as error:  # noqa: BLE001 - any refusal of the peer
            return error
    return None


def run_against_peer(estimator_class, case, method):
    peer = PEERS[estimator_class](**case.params)
    ours = estimator_class(**case.params)
    if estimator_class is PerceptronClassifier:
        # The bias's step as scikit-learn decides it, by the storage of X (skann's
        # "auto" decides by the numbers: a documented difference).
        ours.set_params(intercept_decay=0.01 if sparse.issparse(case.X) else 1.0)
    if method == "partial_fit" and not hasattr(peer, "partial_fit"):
        return
    peer_error = peer_call(peer, case, method)
    outcome = fit_call(ours, case, method)
    event(
        f"peer {'refuses' if peer_error else 'accepts'}, skann "
        + ("accepts" if outcome.ok else "refuses")
    )
    if peer_error is not None:
        return
    if not outcome.ok:
        reason = documented_difference(estimator_class, case, outcome.error)
        assert reason, (
            f"scikit-learn's {type(peer).__name__} accepts this {method} but skann "
            f"raises {type(outcome.error).__name__}: {outcome.error}"
        )
        event(f"documented difference: {reason}")
        return
    if np.shape(case.X)[0] < MIN_ROWS or trains_otherwise(ours, case):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = peer.score(case.X, case.y)
        mine = ours.score(case.X, case.y)
    event("training accuracy compared")
    target(theirs - mine, label="peer's accuracy minus skann's")
    assert mine >= theirs - ACCURACY_TOLERANCE, (mine, theirs)


ACCURACY_TOLERANCE = 0.0


def trains_otherwise(est, case):
    """Why the fitted ``est`` is another model than its peer's on ``case``, on
    purpose (the user guide says so), or None."""
    params = case.params
    if params.get("early_stopping"):
        # The perceptron restores the best epoch's weights (scikit-learn keeps the
        # last); the MLP's split differs on data this small.
        return "early stopping"
    if (
        isinstance(est, BackpropMLPClassifier)
        and params.get("solver", "adam") == "adam"
        and params.get("learning_rate", "constant") != "constant"
    ):
        return "learning_rate schedules scale Adam's step"
    if isinstance(est, PerceptronClassifier) and len(est.classes_) > 2:
        # scikit-learn trains each one-vs-rest problem on its own: its stopping
        # rule stops each at its own epoch, and class_weight[k] weighs only the
        # positive samples of problem k (its negatives weigh 1).
        if params.get("tol", 1e-3) is not None:
            return "one stopping rule for all classes"
        if params.get("class_weight") is not None:
            return "a class weight weighs its samples in every neuron"
    return None


class Difference:
    """Input a peer accepts and skann refuses, on purpose.

    ``name`` is the term of the user guide's list (``docs/user_guide.rst``,
    "Input scikit-learn accepts and skann refuses"), which
    ``test_documented_differences_are_in_the_user_guide`` finds there; ``message``
    a part of skann's error message that identifies the refusal.
    """

    def __init__(self, name, estimators, message, reason, error=Exception):
        self.name, self.estimators = name, estimators
        self.message, self.reason, self.error = message, reason, error

    def applies(self, estimator_class, error):
        return (
            estimator_class in self.estimators
            and isinstance(error, self.error)
            and self.message in str(error)
        )


DIFFERENCES = [
    Difference(
        "Divergence",
        (PerceptronClassifier, BackpropMLPClassifier),
        "",
        "A fit whose weights or loss overflow raises FloatingPointError naming the "
        "learning rate; scikit-learn raises a ValueError, or returns the weights of "
        "the best epoch before the overflow under early stopping. (The messages of "
        "these errors are being reworked; any FloatingPointError counts here.)",
        error=FloatingPointError,
    ),
    Difference(
        "Negative sample weights",
        (PerceptronClassifier, BackpropMLPClassifier),
        "Negative values in data passed to `sample_weight`",
        "A negative weight turns its sample's step around: the perceptron would "
        "learn the opposite of its label, the network a cross-entropy without "
        "bound. scikit-learn trains on them.",
    ),
    Difference(
        "Negative, NaN or infinite class weights",
        (PerceptronClassifier, BackpropMLPClassifier),
        "class weights must be finite and >= 0",
        "A negative class weight turns the step on its samples around: the "
        "perceptron would learn the opposite of their label, the network a loss "
        "without bound. scikit-learn trains on them.",
    ),
    Difference(
        "Repeated labels in classes",
        (PerceptronClassifier, BackpropMLPClassifier),
        "more than once",
        "A label listed twice in partial_fit's classes is most often a typing "
        "mistake in the list; scikit-learn drops the repeat silently.",
    ),
    Difference(
        "Fewer than two classes of positive weight",
        (PerceptronClassifier,),
        "with a positive weight hold only one class",
        "A perceptron learns a boundary between classes; with the weights (sample "
        "weights times class weights) of all but one class zero there is nothing to "
        "learn. Perceptron returns a model that always predicts that class.",
    ),
]


def documented_difference(estimator_class, case, error):
    """The name of the documented difference that explains ``error``, or None."""
    for difference in DIFFERENCES:
        if difference.applies(estimator_class, error):
            return difference.name
    return None


@given(
    case=cases(perceptron_parameters(peer=True)),
    method=st.sampled_from(["fit", "partial_fit"]),
)
def test_perceptron_against_peer(case, method):
    run_against_peer(PerceptronClassifier, case, method)


@given(
    case=cases(mlp_parameters(peer=True), class_weight=False),
    method=st.sampled_from(["fit", "partial_fit"]),
)
def test_mlp_against_peer(case, method):
    run_against_peer(BackpropMLPClassifier, case, method)


# ------------------------------------------------------------------------- helpers of
# the networks: user activations, the gradient check, hidden layers
@given(
    function=st.sampled_from(USER_FUNCTIONS),
    derivative=st.sampled_from(USER_FUNCTIONS),
    case=cases(mlp_parameters(), good=True, max_rows=12),
)
def test_make_activation_contract(function, derivative, case):
    activation = checked_call(make_activation, function, derivative)
    if not activation.ok:
        return
    est = BackpropMLPClassifier(**{**case.params, "activation": activation.value})
    outcome = checked_call(est.fit, case.X, case.y, tolerate_overflow=extreme(case.X))
    if outcome.ok:
        check_fitted(est, case)
        check_methods(est, case)


@given(
    case=cases(mlp_parameters(), max_rows=6, max_cols=3),
    step=st.sampled_from([1e-4, 1e-6, 1e-2, 0, -1e-4, np.nan, np.inf, "a", None]),
    max_params=st.sampled_from([None, 3, 10**9, 0, -1, 2.5, True]),
)
def test_check_gradient_contract(case, step, max_params):
    outcome = checked_call(
        check_gradient,
        BackpropMLPClassifier(**case.params),
        case.X,
        case.y,
        case.sample_weight,
        step=step,
        max_params=max_params,
        tolerate_overflow=extreme(case.X),
    )
    if outcome.ok:
        assert isinstance(outcome.value, float)
        assert outcome.value >= 0 or (np.isnan(outcome.value) and extreme(case.X))


@given(
    case=cases(mlp_parameters(), good=True, max_rows=12),
    layer=st.sampled_from([0, -1, 1, -2, 5, -5, 0.0, "0", None, True, np.int64(0)]),
)
def test_hidden_activations_layer_contract(case, layer):
    est = BackpropMLPClassifier(**case.params)
    if not checked_call(est.fit, case.X, case.y, tolerate_overflow=extreme(case.X)).ok:
        return
    n_hidden = len(est.coefs_) - 1
    outcome = checked_call(est.hidden_activations, case.X, layer=layer)
    valid = not isinstance(layer, bool | float | str | type(None))
    assert outcome.ok == (valid and -n_hidden <= layer < n_hidden), outcome.error
    if outcome.ok:
        units = est.coefs_[layer % n_hidden].shape[1]
        assert outcome.value.shape == (np.shape(case.X)[0], units)
    else:
        assert "layer" in str(outcome.error)


def test_documented_differences_are_in_the_user_guide():
    guide = (Path(__file__).resolve().parents[1] / "docs" / "user_guide.rst").read_text(
        encoding="utf-8"
    )
    # The subsection runs from its title to the next heading's underline.
    lines = guide.split(".. _refused_by_skann:")[1].strip().splitlines()[2:]
    end = next(i for i, line in enumerate(lines) if re.fullmatch(r"[-~=]{4,}", line))
    section = "\n".join(lines[: end - 1])
    terms = re.findall(r"^(\S.*)\n    \S", section, flags=re.MULTILINE)
    assert sorted(terms) == sorted(d.name for d in DIFFERENCES)
