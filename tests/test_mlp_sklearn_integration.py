"""BackpropMLPClassifier at home in scikit-learn: Pipeline, GridSearchCV,
cross_validate, clone, pickle, metadata routing, reproducibility and the HTML
repr."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import BackpropMLPClassifier
from skann._docs import DOCS_URL

FAST = {"hidden_layer_sizes": (8,), "max_iter": 20, "random_state": 0}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_pipeline_and_grid_search(iris):
    X, y = iris
    pipe = make_pipeline(
        StandardScaler(),
        BackpropMLPClassifier(learning_rate_init=0.01, **(FAST | {"max_iter": 100})),
    )
    grid = {
        "backpropmlpclassifier__hidden_layer_sizes": [(2,), (16,)],
        "backpropmlpclassifier__alpha": [1e-4, 1.0],
    }
    search = GridSearchCV(pipe, grid, cv=3, error_score="raise").fit(X, y)
    assert search.cv_results_["mean_test_score"].shape == (4,)
    # Every candidate's score is the one a direct fit of that candidate gets.
    for i, params in enumerate(search.cv_results_["params"]):
        direct = cross_validate(clone(pipe).set_params(**params), X, y, cv=3)
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(
            direct["test_score"].mean()
        )
    assert search.best_score_ > 0.85


def test_cross_validate_with_proba_scoring(iris):
    X, y = iris
    pipe = make_pipeline(
        StandardScaler(),
        BackpropMLPClassifier(learning_rate_init=0.01, **(FAST | {"max_iter": 100})),
    )
    result = cross_validate(pipe, X, y, cv=3, scoring=["accuracy", "neg_log_loss"])
    assert np.all(result["test_accuracy"] > 0.6)
    assert np.all(np.isfinite(result["test_neg_log_loss"]))


def test_clone_keeps_params_and_drops_fitted_state(iris):
    X, y = iris
    clf = BackpropMLPClassifier(solver="sgd", momentum=0.5, **FAST).fit(X, y)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "coefs_")


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_pickle_round_trip_continues_training_identically(iris, solver):
    X, y = iris
    clf = BackpropMLPClassifier(solver=solver, **FAST).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    if solver != "lbfgs":
        # The optimiser's state travels too: both continue the same way.
        clf.partial_fit(X, y)
        restored.partial_fit(X, y)
        for a, b in zip(clf.coefs_, restored.coefs_, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "params",
    [{}, {"solver": "sgd"}, {"solver": "lbfgs"}, {"early_stopping": True}],
    ids=["adam", "sgd", "lbfgs", "early_stopping"],
)
def test_same_random_state_same_model_bit_for_bit(iris, params):
    X, y = iris
    first = BackpropMLPClassifier(**FAST, **params).fit(X, y)
    second = BackpropMLPClassifier(**FAST, **params).fit(X, y)
    for a, b in zip(first.coefs_, second.coefs_, strict=True):
        assert np.array_equal(a, b)
    other = BackpropMLPClassifier(**(FAST | {"random_state": 1}), **params).fit(X, y)
    assert not np.array_equal(first.coefs_[0], other.coefs_[0])


def _routed(**params):
    return make_pipeline(
        StandardScaler().set_fit_request(sample_weight=False),
        BackpropMLPClassifier(**FAST, **params)
        .set_fit_request(sample_weight=True)
        .set_score_request(sample_weight=True),
    )


def test_metadata_routing_sample_weight(iris):
    X, y = iris
    rng = np.random.RandomState(0)
    dropped = rng.rand(len(y)) < 0.3
    y_noisy = np.where(dropped, (y + 1) % 3, y)
    sample_weight = np.where(dropped, 0.0, 1.0)
    cv = KFold(3, shuffle=True, random_state=0)
    grid = {"backpropmlpclassifier__alpha": [1e-4, 1e-2]}
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(_routed(), grid, cv=cv, error_score="raise")
        search.fit(X, y_noisy, sample_weight=sample_weight)
        for i, params in enumerate(search.cv_results_["params"]):
            for k, (train, test) in enumerate(cv.split(X)):
                pipe = _routed().set_params(**params)
                pipe.fit(X[train], y_noisy[train], sample_weight=sample_weight[train])
                expected = pipe.score(
                    X[test], y_noisy[test], sample_weight=sample_weight[test]
                )
                got = search.cv_results_[f"split{k}_test_score"][i]
                assert got == pytest.approx(expected)
        direct = _routed().set_params(**search.best_params_)
        direct.fit(X, y_noisy, sample_weight=sample_weight)
    for a, b in zip(search.best_estimator_[-1].coefs_, direct[-1].coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_streams_to_a_good_model(iris):
    X, y = iris
    X = StandardScaler().fit_transform(X)
    order = np.random.RandomState(0).permutation(len(y))
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0
    )
    for _ in range(30):
        for batch in np.array_split(order, 5):
            clf.partial_fit(X[batch], y[batch], classes=[0, 1, 2])
    assert clf.score(X, y) > 0.9
    assert clf.t_ == 30 * len(y)


@pytest.mark.parametrize("n_centers", [2, 3])
def test_class_weight_with_early_stopping_is_mlpclassifiers_sample_weight(n_centers):
    # scikit-learn's check_class_weight_classifiers, which test_common expects to
    # fail with early stopping: MLPClassifier, given the same class weights as
    # sample weights, stops at the same epoch with the same network.
    from sklearn.datasets import make_blobs
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    X, y = make_blobs(centers=n_centers, random_state=0, cluster_std=20)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.5, random_state=0)
    weights = np.array([1000, 1e-4, 1e-4])[:n_centers]
    params = dict(
        activation="identity",
        early_stopping=True,
        max_iter=1000,
        n_iter_no_change=20,
        random_state=0,
    )
    ours = BackpropMLPClassifier(class_weight=dict(enumerate(weights)), **params).fit(
        X_train, y_train
    )
    theirs = MLPClassifier(**params).fit(
        X_train, y_train, sample_weight=weights[y_train]
    )
    assert ours.n_iter_ == theirs.n_iter_ < 30
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    for W, V in zip(ours.coefs_, theirs.coefs_, strict=True):
        np.testing.assert_allclose(W, V, rtol=1e-6, atol=1e-8)
    # the check wants > 87 % of the test rows predicted as the heavy class 0
    assert np.mean(ours.predict(X_test) == 0) < 0.87


def test_html_repr_links_to_the_api_page():
    page = f"{DOCS_URL}gen_modules/skann.BackpropMLPClassifier.html"  # docs/api.rst
    assert f'href="{page}"' in BackpropMLPClassifier()._repr_html_()
