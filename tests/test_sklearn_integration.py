"""PerceptronClassifier inside scikit-learn's machinery.

Pipeline, GridSearchCV, cross_validate, clone, pickle, metadata routing of
``sample_weight``, reproducibility under ``random_state``, ``partial_fit``
streaming and the HTML repr. Small data and few epochs (``max_iter`` set,
``tol=None`` so that a short run is intended and raises no ConvergenceWarning).
"""

import pickle

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.metrics import accuracy_score
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_validate,
    train_test_split,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import PerceptronClassifier
from skann._docs import DOCS_URL

FAST = {"max_iter": 10, "tol": None}


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def iris_split(iris):
    X, y = iris
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    X = X[:600] / 16.0
    y = y[:600]
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


def _fitted_attributes(estimator):
    return sorted(
        name
        for name in vars(estimator)
        if name.endswith("_") and not name.startswith("__")
    )


# ---------------------------------------------------------------------- Pipeline
def test_pipeline_fit_predict_score(iris_split):
    X_train, X_test, y_train, y_test = iris_split
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("perceptron", PerceptronClassifier(random_state=0, **FAST)),
        ]
    )
    assert pipe.fit(X_train, y_train) is pipe

    y_pred = pipe.predict(X_test)
    assert y_pred.shape == y_test.shape
    assert set(np.unique(y_pred)) <= set(pipe.classes_)
    np.testing.assert_array_equal(pipe.classes_, np.unique(y_train))

    score = pipe.score(X_test, y_test)
    assert score == pytest.approx(accuracy_score(y_test, y_pred))
    # Iris is not linearly separable one class against the rest (versicolor).
    assert score > 0.7

    scores = pipe.decision_function(X_test)
    assert scores.shape == (len(X_test), 3)
    np.testing.assert_array_equal(pipe.classes_[scores.argmax(axis=1)], y_pred)


# ---------------------------------------------------------------------- GridSearchCV
def test_grid_search_over_rule_variants(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), PerceptronClassifier(random_state=0, **FAST))
    grid = {
        "perceptronclassifier__average": [False, True],
        "perceptronclassifier__margin": [0.0, 0.5],
        "perceptronclassifier__multi_class": ["ovr", "multinomial"],
    }
    search = GridSearchCV(pipe, grid, cv=3, error_score="raise").fit(X, y)

    assert set(search.best_params_) == set(grid)
    for name, value in search.best_params_.items():
        assert value in grid[name]
    assert len(search.cv_results_["params"]) == 8
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_score_ > 0.85
    assert search.best_score_ == pytest.approx(
        search.cv_results_["mean_test_score"].max()
    )
    best = search.best_estimator_[-1]
    for name, value in search.best_params_.items():
        assert best.get_params()[name.split("__")[1]] == value
    assert search.score(X, y) > 0.85


def test_grid_search_on_digits(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    search = GridSearchCV(
        PerceptronClassifier(random_state=0, max_iter=5, tol=None),
        {"average": [False, True], "multi_class": ["ovr", "multinomial"]},
        cv=3,
        error_score="raise",
    ).fit(X_train, y_train)
    assert search.best_score_ > 0.85
    assert search.best_estimator_.coef_.shape == (10, 64)
    assert search.score(X_test, y_test) > 0.85


# ---------------------------------------------------------------------- cross_validate
def test_cross_validate(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), PerceptronClassifier(random_state=0, **FAST))
    result = cross_validate(
        pipe,
        X,
        y,
        cv=3,
        return_train_score=True,
        return_estimator=True,
        error_score="raise",
    )
    assert result["test_score"].shape == (3,)
    assert result["train_score"].shape == (3,)
    assert result["test_score"].mean() > 0.8
    estimators = result["estimator"]
    assert len({id(est) for est in estimators}) == 3
    assert all(est[-1].coef_.shape == (3, 4) for est in estimators)
    # The folds saw different data, so the fitted weights differ.
    assert not np.array_equal(estimators[0][-1].coef_, estimators[1][-1].coef_)
    # The unfitted template was not fitted in place.
    assert not hasattr(pipe[-1], "coef_")


# ---------------------------------------------------------------------- clone
def test_clone_keeps_params_and_drops_fitted_state(iris):
    X, y = iris
    params = {
        "average": True,
        "margin": 0.25,
        "multi_class": "multinomial",
        "eta0": 0.5,
        "batch_size": 4,
        "class_weight": {0: 1.0, 1: 2.0, 2: 1.0},
        "random_state": 3,
        **FAST,
    }
    clf = PerceptronClassifier(**params).fit(X, y)
    assert _fitted_attributes(clf)
    coef = clf.coef_.copy()

    twin = clone(clf)
    assert twin is not clf
    assert twin.get_params() == clf.get_params()
    for name, value in params.items():
        assert twin.get_params()[name] == value
    assert _fitted_attributes(twin) == []
    assert not hasattr(twin, "coef_")
    assert not hasattr(twin, "_state")
    # The original is untouched, and the clone refits to the same weights.
    np.testing.assert_array_equal(clf.coef_, coef)
    np.testing.assert_array_equal(twin.fit(X, y).coef_, coef)


# ---------------------------------------------------------------------- pickle
@pytest.mark.parametrize(
    "params",
    [{}, {"average": True}, {"multi_class": "multinomial"}, {"pocket": True}],
    ids=["default", "average", "multinomial", "pocket"],
)
def test_pickle_round_trip(iris, params):
    X, y = iris
    clf = PerceptronClassifier(random_state=0, **FAST, **params).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))

    assert restored.get_params() == clf.get_params()
    np.testing.assert_array_equal(
        restored.decision_function(X), clf.decision_function(X)
    )
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    np.testing.assert_array_equal(restored.classes_, clf.classes_)
    assert (restored.t_, restored.n_iter_) == (clf.t_, clf.n_iter_)

    # The training state survives too: both continue identically.
    clf.partial_fit(X[:50], y[:50])
    restored.partial_fit(X[:50], y[:50])
    np.testing.assert_array_equal(restored.coef_, clf.coef_)
    np.testing.assert_array_equal(restored.intercept_, clf.intercept_)
    assert (restored.t_, restored.n_iter_) == (clf.t_, clf.n_iter_)


# ------------------------------------------------------------------ metadata routing
def _routed_pipeline(**params):
    return make_pipeline(
        StandardScaler().set_fit_request(sample_weight=False),
        PerceptronClassifier(shuffle=False, **FAST, **params)
        .set_fit_request(sample_weight=True)
        .set_score_request(sample_weight=True),
    )


def test_metadata_routing_sample_weight(iris):
    X, y = iris
    rng = np.random.RandomState(0)
    dropped = rng.rand(len(y)) < 0.3
    # The dropped samples carry wrong labels: a model that sees them differs.
    y_noisy = y.copy()
    y_noisy[dropped] = (y[dropped] + 1) % 3
    sample_weight = np.where(dropped, 0.0, 1.0)
    grid = {"perceptronclassifier__margin": [0.0, 0.5]}
    cv = KFold(3, shuffle=True, random_state=0)

    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(_routed_pipeline(), grid, cv=cv, error_score="raise")
        search.fit(X, y_noisy, sample_weight=sample_weight)

        # Every split of the search: same score as fitting with the fold's weights.
        for i, params in enumerate(search.cv_results_["params"]):
            for k, (train, test) in enumerate(cv.split(X, y_noisy)):
                pipe = _routed_pipeline().set_params(**params)
                pipe.fit(X[train], y_noisy[train], sample_weight=sample_weight[train])
                expected = pipe.score(
                    X[test], y_noisy[test], sample_weight=sample_weight[test]
                )
                got = search.cv_results_[f"split{k}_test_score"][i]
                assert got == pytest.approx(expected)

        # Weighted scores on the correctly labelled samples.
        assert search.best_score_ > 0.7
        best = search.best_estimator_
        direct = _routed_pipeline().set_params(**search.best_params_)
        direct.fit(X, y_noisy, sample_weight=sample_weight)

    # The refit received the weights: it equals fitting with them directly ...
    np.testing.assert_array_equal(best[-1].coef_, direct[-1].coef_)
    np.testing.assert_array_equal(best[-1].intercept_, direct[-1].intercept_)
    # ... and zero weights equal removing the samples (shuffle=False keeps order).
    X_scaled = best[0].transform(X)
    margin = search.best_params_["perceptronclassifier__margin"]
    removed = PerceptronClassifier(shuffle=False, margin=margin, **FAST).fit(
        X_scaled[~dropped], y_noisy[~dropped]
    )
    np.testing.assert_allclose(best[-1].coef_, removed.coef_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        best[-1].intercept_, removed.intercept_, rtol=1e-12, atol=1e-12
    )
    assert best[-1].t_ == removed.t_
    assert best[-1].n_iter_ == removed.n_iter_
    # Without the weights the wrong labels would have changed the model.
    unweighted = PerceptronClassifier(shuffle=False, margin=margin, **FAST).fit(
        X_scaled, y_noisy
    )
    assert not np.allclose(unweighted.coef_, removed.coef_)


# ---------------------------------------------------------------------- random_state
@pytest.mark.parametrize(
    "params",
    [{}, {"early_stopping": True}, {"batch_size": 8}],
    ids=["default", "early_stopping", "minibatch"],
)
def test_random_state_reproducible(iris, params):
    X, y = iris
    X = StandardScaler().fit_transform(X)
    first = PerceptronClassifier(random_state=0, **FAST, **params).fit(X, y)
    second = PerceptronClassifier(random_state=0, **FAST, **params).fit(X, y)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.intercept_, second.intercept_)
    assert np.array_equal(first.coef_, second.coef_)

    others = [
        PerceptronClassifier(random_state=seed, **FAST, **params).fit(X, y).coef_
        for seed in (1, 2, 3)
    ]
    assert any(not np.array_equal(first.coef_, coef) for coef in others)


def test_random_state_instance_same_seed_same_model(iris):
    X, y = iris
    a = PerceptronClassifier(random_state=np.random.RandomState(5), **FAST).fit(X, y)
    b = PerceptronClassifier(random_state=np.random.RandomState(5), **FAST).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)


# ---------------------------------------------------------------------- partial_fit
def test_partial_fit_streaming_matches_fit_exactly(digits_split):
    """With shuffle=False, batches in order are the online rule over the data."""
    X_train, _, y_train, _ = digits_split
    classes = np.unique(y_train)
    n_epochs = 3
    full = PerceptronClassifier(shuffle=False, max_iter=n_epochs, tol=None)
    full.fit(X_train, y_train)
    assert not full.converged_

    stream = PerceptronClassifier(shuffle=False)
    batches = np.array_split(np.arange(len(y_train)), 6)
    for _ in range(n_epochs):
        for rows in batches:
            stream.partial_fit(X_train[rows], y_train[rows], classes=classes)

    np.testing.assert_allclose(stream.coef_, full.coef_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(stream.intercept_, full.intercept_, rtol=1e-10)
    assert stream.t_ == full.t_ == 1 + n_epochs * len(y_train)
    assert stream.n_iter_ == 1  # the last call's epochs, as scikit-learn counts


def test_partial_fit_streaming_score_close_to_fit(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    classes = np.unique(y_train)
    n_epochs = 5
    full = PerceptronClassifier(random_state=0, max_iter=n_epochs, tol=None)
    full_score = full.fit(X_train, y_train).score(X_test, y_test)

    stream = PerceptronClassifier(random_state=0)
    rng = np.random.RandomState(0)
    for epoch in range(n_epochs):
        order = rng.permutation(len(y_train))
        for rows in np.array_split(order, 10):
            stream.partial_fit(
                X_train[rows], y_train[rows], classes=classes if epoch == 0 else None
            )
    stream_score = stream.score(X_test, y_test)

    assert full_score > 0.85
    assert stream_score > 0.85
    assert abs(stream_score - full_score) < 0.06
    assert stream.t_ == 1 + n_epochs * len(y_train)


# ---------------------------------------------------------------------- HTML repr
def test_html_repr_links_to_the_api_page():
    page = f"{DOCS_URL}gen_modules/skann.PerceptronClassifier.html"  # docs/api.rst
    html = make_pipeline(StandardScaler(), PerceptronClassifier())._repr_html_()
    assert f'href="{page}"' in html
