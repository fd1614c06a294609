"""Bad input is refused with a clear error before any state changes; good input of
every supported kind (DataFrame, label types, float32, CSR, multilabel) works.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.datasets import (
    make_blobs,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skann import PerceptronClassifier

FAST = {"max_iter": 5, "tol": None}
N_SAMPLES, N_FEATURES = 60, 5


@pytest.fixture(scope="module")
def data():
    """Multiclass data: 60 samples, 5 features, 3 classes."""
    return make_classification(
        N_SAMPLES,
        N_FEATURES,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )


@pytest.fixture(scope="module")
def blobs():
    """Three well separated blobs: the rule reaches zero training mistakes."""
    return make_blobs(
        90, centers=[[0, 6], [6, -4], [-6, -4]], cluster_std=0.8, random_state=0
    )


def _with_nan(X):
    X = X.copy()
    X[3, 1] = np.nan
    return X


def _with_inf(X):
    X = X.copy()
    X[3, 1] = np.inf
    return X


def _multilabel(y, n_labels=3):
    return np.eye(n_labels, dtype=int)[y % n_labels]


def _snapshot(clf):
    """Copies of everything a failing call must leave alone."""
    state = {
        name: np.copy(getattr(clf, name))
        for name in (
            "coef_",
            "intercept_",
            "t_",
            "n_iter_",
            "classes_",
            "n_features_in_",
            "mistakes_per_epoch_",
            "loss_curve_",
        )
    }
    if hasattr(clf, "feature_names_in_"):
        state["feature_names_in_"] = clf.feature_names_in_.copy()
    return state


def _assert_unchanged(clf, before, X, y_pred_before):
    after = {name: getattr(clf, name, None) for name in before}
    for name, value in before.items():
        assert after[name] is not None, f"{name} was deleted"
        assert np.array_equal(after[name], value), f"{name} changed"
    assert hasattr(clf, "feature_names_in_") == ("feature_names_in_" in before)
    np.testing.assert_array_equal(clf.predict(X), y_pred_before)


def _assert_unfitted(clf):
    fitted = [name for name in vars(clf) if name.endswith("_")]
    assert fitted == [], f"a failed call left {fitted} behind"
    with pytest.raises(NotFittedError):
        clf.predict(np.zeros((2, N_FEATURES)))


# ---------------------------------------------------------------------- X values
@pytest.mark.parametrize(
    "corrupt, match",
    [(_with_nan, "NaN"), (_with_inf, "infinity")],
    ids=["nan", "inf"],
)
def test_non_finite_X(data, corrupt, match):
    X, y = data
    X_bad = corrupt(X)
    with pytest.raises(ValueError, match=match):
        PerceptronClassifier(**FAST).fit(X_bad, y)
    with pytest.raises(ValueError, match=match):
        PerceptronClassifier(**FAST).partial_fit(X_bad, y, classes=np.unique(y))
    with pytest.raises(ValueError, match=match):
        PerceptronClassifier(**FAST).fit(sparse.csr_matrix(X_bad), y)
    clf = PerceptronClassifier(**FAST).fit(X, y)
    for method in (clf.predict, clf.decision_function):
        with pytest.raises(ValueError, match=match):
            method(X_bad)


@pytest.mark.parametrize("method", ["predict", "decision_function", "score"])
def test_wrong_number_of_features_at_predict(data, method):
    X, y = data
    clf = PerceptronClassifier(**FAST).fit(X, y)
    args = (X[:, :-1], y) if method == "score" else (X[:, :-1],)
    with pytest.raises(ValueError, match=f"4 features.*expecting {N_FEATURES}"):
        getattr(clf, method)(*args)
    wider = np.hstack([X, X[:, :1]])
    args = (wider, y) if method == "score" else (wider,)
    with pytest.raises(ValueError, match="features"):
        getattr(clf, method)(*args)


def test_predict_before_fit_raises_not_fitted(data):
    X, _ = data
    clf = PerceptronClassifier()
    for method in (clf.predict, clf.decision_function):
        with pytest.raises(NotFittedError):
            method(X)


# ---------------------------------------------------------------------- y values
def test_one_class_in_y(data):
    X, _ = data
    with pytest.raises(ValueError, match="class"):
        PerceptronClassifier(**FAST).fit(X, np.zeros(len(X), dtype=int))
    with pytest.raises(ValueError, match="class"):
        PerceptronClassifier(**FAST).fit(X, np.array(["a"] * len(X)))


def test_one_class_with_positive_weight(data):
    X, y = data
    sample_weight = (y == 1).astype(float)
    with pytest.raises(ValueError, match="class"):
        PerceptronClassifier(**FAST).fit(X, y, sample_weight=sample_weight)


def test_partial_fit_one_class_in_classes(data):
    X, _ = data
    with pytest.raises(ValueError, match="class"):
        PerceptronClassifier().partial_fit(X, np.zeros(len(X)), classes=[0])


def test_continuous_y(data):
    X, y = data
    y_cont = y + 0.5
    with pytest.raises(ValueError, match="Unknown label type"):
        PerceptronClassifier(**FAST).fit(X, y_cont)
    with pytest.raises(ValueError, match="Unknown label type"):
        PerceptronClassifier().partial_fit(X, y_cont, classes=np.unique(y_cont))


def test_multinomial_with_multilabel_y(data):
    X, y = data
    with pytest.raises(ValueError, match="multinomial"):
        PerceptronClassifier(multi_class="multinomial", **FAST).fit(X, _multilabel(y))
    with pytest.raises(ValueError, match="multinomial"):
        PerceptronClassifier(multi_class="multinomial").partial_fit(X, _multilabel(y))


# ---------------------------------------------------------------------- sample_weight
def test_negative_sample_weight(data):
    X, y = data
    sample_weight = np.ones(len(y))
    sample_weight[4] = -1.0
    with pytest.raises(ValueError, match="Negative"):
        PerceptronClassifier(**FAST).fit(X, y, sample_weight=sample_weight)
    with pytest.raises(ValueError, match="Negative"):
        PerceptronClassifier().partial_fit(
            X, y, classes=np.unique(y), sample_weight=sample_weight
        )


def test_sample_weight_of_wrong_length(data):
    X, y = data
    with pytest.raises(ValueError, match="sample_weight"):
        PerceptronClassifier(**FAST).fit(X, y, sample_weight=np.ones(len(y) - 1))
    with pytest.raises(ValueError, match="sample_weight"):
        PerceptronClassifier().partial_fit(
            X, y, classes=np.unique(y), sample_weight=np.ones(len(y) + 1)
        )


# ---------------------------------------------------------------------- parameters
BAD_PARAMS = [
    ("eta0", 0),
    ("eta0", -1.0),
    ("max_iter", 0),
    ("penalty", "l3"),
    ("multi_class", "x"),
    ("batch_size", 0),
    ("validation_fraction", 1.5),
    ("validation_fraction", 0.0),
    ("alpha", -1.0),
    ("l1_ratio", 2.0),
    ("n_iter_no_change", 0),
    ("average", -1),
    ("class_weight", "unbalanced"),
]


@pytest.mark.parametrize("name, value", BAD_PARAMS)
def test_bad_parameter_values(data, name, value):
    X, y = data
    clf = PerceptronClassifier(**{name: value})
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter") as info:
        clf.fit(X, y)
    assert isinstance(info.value, ValueError)
    _assert_unfitted(clf)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        clf.partial_fit(X, y, classes=np.unique(y))
    _assert_unfitted(clf)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"coef_init": np.zeros((2, N_FEATURES))}, r"coef_init has shape \(2, 5\)"),
        ({"coef_init": np.zeros((3, N_FEATURES + 1))}, "coef_init"),
        # (n_features, n_classes), the layout of scikit-learn's MLP coefs_, holds as
        # many numbers as (n_classes, n_features): it must not be reshaped silently.
        ({"coef_init": np.zeros((N_FEATURES, 3))}, "coef_init"),
        ({"intercept_init": np.zeros(2)}, "intercept_init"),
        (
            {"coef_init": np.full((3, N_FEATURES), np.nan)},
            "coef_init and intercept_init must be finite",
        ),
        (
            {"intercept_init": np.array([0.0, np.inf, 0.0])},
            "coef_init and intercept_init must be finite",
        ),
    ],
    ids=[
        "too_few_rows",
        "too_many_columns",
        "transposed",
        "intercept",
        "nan_coef",
        "infinite_intercept",
    ],
)
def test_coef_init_of_wrong_shape_or_not_finite(data, kwargs, match):
    X, y = data
    clf = PerceptronClassifier(**FAST)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y, **kwargs)


# ---------------------------------------------------------------------- partial_fit
def test_partial_fit_first_call_without_classes(data):
    X, y = data
    clf = PerceptronClassifier()
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    _assert_unfitted(clf)
    # The estimator is still usable.
    clf.partial_fit(X, y, classes=np.unique(y))
    assert clf.coef_.shape == (3, N_FEATURES)


def test_partial_fit_first_call_with_label_not_in_classes(data):
    X, y = data
    clf = PerceptronClassifier()
    with pytest.raises(ValueError, match=r"labels \[2\] that are not in classes"):
        clf.partial_fit(X, y, classes=[0, 1])
    _assert_unfitted(clf)


# id -> (params of the model, binary data?, failing call, message match or None).
# Parameters are not in the list: scikit-learn's _fit_context validates them on the
# first partial_fit only (test_bad_parameter_values), not on a fitted estimator.
PARTIAL_FIT_FAILURES = {
    "nan": ({}, False, lambda c, X, y: c.partial_fit(_with_nan(X), y), "NaN"),
    "inf": ({}, False, lambda c, X, y: c.partial_fit(_with_inf(X), y), "infinity"),
    "fewer_features": (
        {},
        False,
        lambda c, X, y: c.partial_fit(X[:, :-1], y),
        "features",
    ),
    "more_features": (
        {},
        False,
        lambda c, X, y: c.partial_fit(np.hstack([X, X]), y),
        "features",
    ),
    "label_not_in_classes": (
        {},
        False,
        lambda c, X, y: c.partial_fit(X, np.where(y == 2, 7, y)),
        r"labels \[7\] that are not in classes",
    ),
    "more_classes": (
        {},
        False,
        lambda c, X, y: c.partial_fit(X, y, classes=[0, 1, 2, 3]),
        "not the same as on the first call",
    ),
    "fewer_classes": (
        {},
        False,
        lambda c, X, y: c.partial_fit(X[y < 2], y[y < 2], classes=[0, 1]),
        "not the same as on the first call",
    ),
    "other_classes": (
        {},
        False,
        lambda c, X, y: c.partial_fit(X, y + 1, classes=[1, 2, 3]),
        "not the same as on the first call",
    ),
    "negative_weight": (
        {},
        False,
        lambda c, X, y: c.partial_fit(X, y, sample_weight=-np.ones(len(y))),
        "Negative",
    ),
    "weight_wrong_length": (
        {},
        False,
        lambda c, X, y: c.partial_fit(X, y, sample_weight=np.ones(3)),
        "sample_weight",
    ),
    "continuous_y": (
        {},
        False,
        lambda c, X, y: c.partial_fit(X, y + 0.5),
        "Unknown label type",
    ),
    "multinomial_multilabel": (
        {"multi_class": "multinomial"},
        False,
        lambda c, X, y: c.partial_fit(X, _multilabel(y)),
        "multinomial",
    ),
    # A model trained on class labels must refuse an indicator matrix later, and
    # the other way round: the target type is fixed by the first call.
    "multiclass_then_multilabel": (
        {},
        False,
        lambda c, X, y: c.partial_fit(X, _multilabel(y)),
        None,
    ),
    "binary_then_multilabel": (
        {},
        True,
        lambda c, X, y: c.partial_fit(X, _multilabel(y, 2)),
        None,
    ),
}


@pytest.mark.parametrize("fitted_by", ["fit", "partial_fit"])
@pytest.mark.parametrize("case", list(PARTIAL_FIT_FAILURES))
def test_failed_partial_fit_keeps_the_model(data, case, fitted_by):
    params, binary, call, match = PARTIAL_FIT_FAILURES[case]
    X, y = data
    if binary:
        X, y = X[y < 2], y[y < 2]
    clf = PerceptronClassifier(random_state=0, **FAST, **params)
    if fitted_by == "fit":
        clf.fit(X, y)
    else:
        clf.partial_fit(X, y, classes=np.unique(y))
        clf.partial_fit(X, y)
    before = _snapshot(clf)
    y_pred = clf.predict(X)

    with pytest.raises(ValueError, match=match):
        call(clf, X, y)

    _assert_unchanged(clf, before, X, y_pred)
    # A good call afterwards continues from the kept state.
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 1  # the epochs of the last call, as scikit-learn counts
    assert clf.t_ == before["t_"] + len(y)


def test_multilabel_then_class_labels_in_partial_fit(data):
    X, y = data
    clf = PerceptronClassifier(random_state=0).partial_fit(X, _multilabel(y))
    before = _snapshot(clf)
    y_pred = clf.predict(X)
    with pytest.raises(ValueError):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    _assert_unchanged(clf, before, X, y_pred)


# ---------------------------------------------------------------------- fit failures
# id -> failing call on a model already fitted on (X, y) with 5 features.
FIT_FAILURES = {
    "nan": (lambda c, X, y: c.fit(_with_nan(X), y), "NaN"),
    "one_class": (lambda c, X, y: c.fit(X, np.zeros_like(y)), "class"),
    "continuous_y": (lambda c, X, y: c.fit(X, y + 0.5), "Unknown label type"),
    "negative_weight": (
        lambda c, X, y: c.fit(X, y, sample_weight=-np.ones(len(y))),
        "Negative",
    ),
    "coef_init_shape": (
        lambda c, X, y: c.fit(X, y, coef_init=np.zeros((2, N_FEATURES))),
        "coef_init",
    ),
    "bad_param": (lambda c, X, y: c.set_params(max_iter=0).fit(X, y), "max_iter"),
    # The same failures with data of another width: the old model must survive
    # them too (n_features_in_ must not be reset to the new width).
    "one_class_other_width": (
        lambda c, X, y: c.fit(X[:, :3], np.zeros_like(y)),
        "class",
    ),
    "continuous_y_other_width": (
        lambda c, X, y: c.fit(X[:, :3], y + 0.5),
        "Unknown label type",
    ),
}


@pytest.mark.parametrize("case", list(FIT_FAILURES))
def test_failed_fit_keeps_the_model(data, case):
    call, match = FIT_FAILURES[case]
    X, y = data
    clf = PerceptronClassifier(random_state=0, **FAST).fit(X, y)
    before = _snapshot(clf)
    y_pred = clf.predict(X)
    with pytest.raises(ValueError, match=match):
        call(clf, X, y)
    clf.set_params(max_iter=FAST["max_iter"])
    _assert_unchanged(clf, before, X, y_pred)


def test_failed_fit_keeps_feature_names(data):
    X, y = data
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(N_FEATURES)])
    clf = PerceptronClassifier(random_state=0, **FAST).fit(df, y)
    before = _snapshot(clf)
    y_pred = clf.predict(df)
    with pytest.raises(ValueError, match="class"):
        clf.fit(X, np.zeros_like(y))
    _assert_unchanged(clf, before, df, y_pred)


# id -> failing call on a fresh estimator
FRESH_FAILURES = {
    "fit_one_class": (lambda c, X, y: c.fit(X, np.zeros_like(y)), "class"),
    "fit_continuous_y": (lambda c, X, y: c.fit(X, y + 0.5), "Unknown label type"),
    "fit_negative_weight": (
        lambda c, X, y: c.fit(X, y, sample_weight=-np.ones(len(y))),
        "Negative",
    ),
    "fit_coef_init_shape": (
        lambda c, X, y: c.fit(X, y, coef_init=np.zeros((2, N_FEATURES))),
        "coef_init",
    ),
    "partial_fit_no_classes": (lambda c, X, y: c.partial_fit(X, y), "classes"),
    "partial_fit_label_not_in_classes": (
        lambda c, X, y: c.partial_fit(X, y, classes=[0, 1]),
        "not in classes",
    ),
}


@pytest.mark.parametrize("case", list(FRESH_FAILURES))
def test_failed_first_call_leaves_estimator_unfitted(data, case):
    call, match = FRESH_FAILURES[case]
    X, y = data
    clf = PerceptronClassifier(**FAST)
    with pytest.raises(ValueError, match=match):
        call(clf, X, y)
    _assert_unfitted(clf)


# ---------------------------------------------------------------------- good input
def test_dataframe_input_sets_feature_names(data):
    X, y = data
    columns = [f"feature_{i}" for i in range(N_FEATURES)]
    df = pd.DataFrame(X, columns=columns)
    clf = PerceptronClassifier(random_state=0, **FAST).fit(df, pd.Series(y))
    np.testing.assert_array_equal(clf.feature_names_in_, columns)
    assert clf.n_features_in_ == N_FEATURES
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y_pred = clf.predict(df)
        assert clf.decision_function(df).shape == (N_SAMPLES, 3)
    with pytest.warns(UserWarning, match="feature names"):
        np.testing.assert_array_equal(y_pred, clf.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df[columns[::-1]])


def test_dataframe_input_partial_fit(data):
    X, y = data
    columns = [f"feature_{i}" for i in range(N_FEATURES)]
    df = pd.DataFrame(X, columns=columns)
    clf = PerceptronClassifier(random_state=0)
    clf.partial_fit(df.iloc[:30], y[:30], classes=np.unique(y))
    np.testing.assert_array_equal(clf.feature_names_in_, columns)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.partial_fit(df.iloc[30:], y[30:])
        assert clf.predict(df).shape == y.shape


LABELS = {
    "str_binary": np.array(["no", "yes"]),
    "str_multiclass": np.array(["cat", "dog", "eel"]),
    "int_multiclass": np.array([-3, 7, 11]),
    "int_binary": np.array([4, 9]),
    "bool": np.array([False, True]),
}


@pytest.mark.parametrize("multi_class", ["ovr", "multinomial"])
@pytest.mark.parametrize("kind", list(LABELS))
def test_label_types_round_trip(blobs, kind, multi_class):
    X, codes = blobs
    labels = LABELS[kind]
    if len(labels) == 2:
        X, codes = X[codes < 2], codes[codes < 2]
    y = labels[codes]
    clf = PerceptronClassifier(
        random_state=0, multi_class=multi_class, max_iter=50, tol=None
    ).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    assert clf.classes_.dtype == y.dtype
    y_pred = clf.predict(X)
    assert y_pred.dtype == y.dtype
    assert set(y_pred.tolist()) <= set(clf.classes_.tolist())
    # The blobs are separable: every label comes back.
    np.testing.assert_array_equal(y_pred, y)
    assert clf.score(X, y) == 1.0

    stream = PerceptronClassifier(random_state=0, multi_class=multi_class)
    stream.partial_fit(X, y, classes=labels)
    assert set(stream.predict(X).tolist()) <= set(labels.tolist())


FLOAT32_CONFIGS = [
    {},
    {"average": True},
    {"pocket": True},
    {"batch_size": 8},
    {"penalty": "l2"},
    {"penalty": "elasticnet", "alpha": 1e-3},
    {"multi_class": "multinomial"},
    {"early_stopping": True},
]


@pytest.mark.parametrize("binary", [False, True], ids=["multiclass", "binary"])
@pytest.mark.parametrize("params", FLOAT32_CONFIGS, ids=str)
def test_float32_is_kept(data, params, binary):
    X, y = data
    if binary:
        X, y = X[y < 2], y[y < 2]
    X32 = X.astype(np.float32)
    clf = PerceptronClassifier(random_state=0, **FAST, **params).fit(X32, y)
    assert clf.coef_.dtype == np.float32
    assert clf.intercept_.dtype == np.float32
    assert clf.decision_function(X32).dtype == np.float32

    stream = PerceptronClassifier(random_state=0, **params)
    stream.partial_fit(X32, y, classes=np.unique(y))
    stream.partial_fit(X32, y)
    assert stream.coef_.dtype == np.float32
    assert stream.intercept_.dtype == np.float32
    assert stream.decision_function(X32).dtype == np.float32


@pytest.mark.parametrize(
    "params",
    [{}, {"average": True}, {"multi_class": "multinomial"}],
    ids=["online", "average", "multinomial"],
)
@pytest.mark.parametrize(
    "order",
    [{"shuffle": False}, {"random_state": 0}],
    ids=["no_shuffle", "same_seed"],
)
def test_sparse_csr_matches_dense(data, params, order):
    X, y = data
    X = np.where(np.abs(X) < 0.7, 0.0, X)  # about half the entries are zero
    X_csr = sparse.csr_matrix(X)
    dense = PerceptronClassifier(**FAST, **params, **order).fit(X, y)
    sparse_clf = PerceptronClassifier(**FAST, **params, **order).fit(X_csr, y)
    assert not sparse.issparse(sparse_clf.coef_)
    np.testing.assert_allclose(sparse_clf.coef_, dense.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        sparse_clf.intercept_, dense.intercept_, rtol=1e-10, atol=1e-12
    )
    assert np.allclose(sparse_clf.coef_, dense.coef_)
    assert sparse_clf.t_ == dense.t_
    np.testing.assert_allclose(
        sparse_clf.decision_function(X_csr), dense.decision_function(X), atol=1e-10
    )
    np.testing.assert_array_equal(sparse_clf.predict(X_csr), dense.predict(X))


def test_multilabel_indicator_y():
    X, Y = make_multilabel_classification(
        60, N_FEATURES, n_classes=3, n_labels=2, random_state=0
    )
    clf = PerceptronClassifier(random_state=0, **FAST).fit(X, Y)
    assert clf.coef_.shape == (3, N_FEATURES)
    assert clf.intercept_.shape == (3,)
    np.testing.assert_array_equal(clf.classes_, np.arange(3))
    Y_pred = clf.predict(X)
    assert Y_pred.shape == Y.shape
    assert set(np.unique(Y_pred)) <= {0, 1}
    assert clf.decision_function(X).shape == Y.shape
    np.testing.assert_array_equal(Y_pred, (clf.decision_function(X) > 0).astype(int))

    stream = PerceptronClassifier(random_state=0).partial_fit(X, Y)
    assert stream.coef_.shape == (3, N_FEATURES)
    assert stream.predict(X).shape == Y.shape


def test_densify_sparsify(data):
    X, y = data
    clf = PerceptronClassifier(random_state=0, **FAST).fit(X, y)
    coef = clf.coef_.copy()
    y_pred = clf.predict(X)
    scores = clf.decision_function(X)

    assert clf.sparsify() is clf
    assert sparse.issparse(clf.coef_)
    np.testing.assert_array_equal(clf.coef_.toarray(), coef)
    np.testing.assert_array_equal(clf.predict(X), y_pred)
    np.testing.assert_allclose(clf.decision_function(X), scores)

    assert clf.densify() is clf
    assert isinstance(clf.coef_, np.ndarray)
    np.testing.assert_array_equal(clf.coef_, coef)
    np.testing.assert_array_equal(clf.predict(X), y_pred)


def test_no_predict_proba(data):
    X, y = data
    clf = PerceptronClassifier(**FAST)
    assert not hasattr(clf, "predict_proba")
    assert not hasattr(clf, "predict_log_proba")
    clf.fit(X, y)
    assert not hasattr(clf, "predict_proba")
    assert not hasattr(clf, "predict_log_proba")


# ---------------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None)
@given(
    n_samples=st.integers(8, 40),
    n_features=st.integers(1, 6),
    n_classes=st.integers(2, 4),
    multi_class=st.sampled_from(["ovr", "multinomial"]),
    seed=st.integers(0, 2**16),
)
def test_shapes_property(n_samples, n_features, n_classes, multi_class, seed):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features)
    y = rng.permutation(np.arange(n_samples) % n_classes)  # every class present
    clf = PerceptronClassifier(
        multi_class=multi_class, random_state=seed, max_iter=3, tol=None
    ).fit(X, y)

    n_neurons = 1 if n_classes == 2 else n_classes
    assert clf.coef_.shape == (n_neurons, n_features)
    assert clf.intercept_.shape == (n_neurons,)
    np.testing.assert_array_equal(clf.classes_, np.arange(n_classes))
    assert clf.n_features_in_ == n_features

    X_new = rng.randn(7, n_features)
    y_pred = clf.predict(X_new)
    assert y_pred.shape == (7,)
    assert np.isin(y_pred, clf.classes_).all()
    scores = clf.decision_function(X_new)
    assert scores.shape == ((7,) if n_classes == 2 else (7, n_classes))


@pytest.mark.parametrize(
    ("weight", "error", "match"),
    [
        (-1.0, ValueError, r"class_weight\[0\] is -1.0; class weights must be finite"),
        (np.nan, ValueError, r"class_weight\[0\] is nan"),
        (np.inf, ValueError, r"class_weight\[0\] is inf"),
        (None, TypeError, r"class_weight\[0\] is None of type NoneType"),
        ("a", TypeError, r"class_weight\[0\] is 'a' of type str"),
    ],
)
def test_bad_class_weight_is_named_before_training(data, weight, error, match):
    X, y = data
    clf = PerceptronClassifier(**FAST).fit(X, y)
    before = _snapshot(clf)
    y_pred = clf.predict(X)
    class_weight = {c: 1.0 for c in np.unique(y)} | {0: weight}
    with pytest.raises(error, match=match):
        clf.set_params(class_weight=class_weight).fit(X, y)
    _assert_unchanged(clf, before, X, y_pred)


@pytest.mark.parametrize(
    ("classes", "match"),
    [
        ([0.0, 1.0, 2.0, np.nan], "holds NaN"),
        ([0, 1, 1, 2], "holds the label 1 more than once"),
    ],
)
def test_bad_partial_fit_classes_are_named(data, classes, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        PerceptronClassifier().partial_fit(X, y % 3, classes=classes)


def test_diagnostics_check_labels_and_lengths(data):
    X, y = data
    clf = PerceptronClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="not in classes"):
        clf.novikoff_diagnostics(X, np.full(len(y), y.max() + 1))
    with pytest.raises(ValueError, match="not in classes"):
        clf.novikoff_diagnostics(X, np.array(["a"] * len(y)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.novikoff_diagnostics(X, y[:5])


def test_sparse_labels_are_refused_by_every_method_that_takes_y(data):
    X, y = data
    sparse_y = sparse.csr_matrix(y.reshape(-1, 1))
    clf = PerceptronClassifier(**FAST)
    with pytest.raises(TypeError, match="Sparse data was passed for y"):
        clf.fit(X, sparse_y)
    with pytest.raises(TypeError, match="Sparse data was passed for y"):
        clf.partial_fit(X, sparse_y, classes=np.unique(y))
    clf.fit(X, y)
    with pytest.raises(TypeError, match=r"y is a sparse matrix \(csr_matrix\)"):
        clf.novikoff_diagnostics(X, sparse_y)


def test_warm_start_on_fewer_features_names_warm_start(data):
    X, y = data
    clf = PerceptronClassifier(warm_start=True, **FAST).fit(X, y)
    coef = clf.coef_.copy()
    with pytest.raises(ValueError, match="warm_start=True but X has 3 features"):
        clf.fit(X[:, :3], y)
    np.testing.assert_array_equal(clf.coef_, coef)
    assert clf.n_features_in_ == N_FEATURES


@pytest.mark.parametrize("multi_class", ["ovr", "multinomial"])
def test_diagnostics_bound_beyond_float_range_is_inf_without_warning(multi_class):
    # Found by tests/test_fuzz.py: intercept_decay=1e-300 leaves biases of 1e-300,
    # so the margin is about 1e-301 and (R / margin)^2 overflowed with a
    # RuntimeWarning. The bound is beyond the float range: inf, quietly.
    X = np.array([[0.0], [-5.0], [5.0], [0.0]])
    y = np.array([0, 1, 2, 0])
    clf = PerceptronClassifier(
        max_iter=5, tol=None, intercept_decay=1e-300, multi_class=multi_class
    ).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        diagnostics = clf.novikoff_diagnostics(X, y)
    separated = diagnostics.separated
    assert separated.any()
    assert (diagnostics.margin[separated] < 1e-290).all()
    assert np.isinf(diagnostics.bound).all()


@pytest.mark.parametrize(
    ("labels", "types"),
    [(["a", 1], r"\['int', 'str'\]"), (["a", None], r"\['NoneType', 'str'\]")],
)
def test_labels_of_mixed_types_are_named(data, labels, types):
    # Found by tests/test_fuzz.py: NumPy's sort failed inside scikit-learn's target
    # check with "'<' not supported between instances of 'int' and 'str'", naming
    # neither y nor what to do.
    X, _ = data
    y = np.array(labels * (len(X) // 2), dtype=object)
    match = f"y holds labels of the types {types}, which cannot be sorted"
    with pytest.raises(TypeError, match=match):
        PerceptronClassifier(**FAST).fit(X, y)
    good = np.array(["a", "b"] * (len(X) // 2))
    classes = np.array(["a", "b", labels[1]], dtype=object)
    with pytest.raises(TypeError, match=match.replace("y holds", "classes holds")):
        PerceptronClassifier().partial_fit(X, good, classes=classes)
    clf = PerceptronClassifier(**FAST).fit(X, good)
    with pytest.raises(TypeError, match=match):
        clf.novikoff_diagnostics(X, y)
