"""BackpropMLPClassifier against scikit-learn's MLPClassifier and the textbook.

With the same ``random_state`` both draw the same initial weights and visit the
samples in the same order, so scikit-learn's MLPClassifier is an exact oracle for
the whole training loop: forward pass, backpropagation, optimisers, schedules,
stopping rule and sample weights.
"""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn import config_context
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelBinarizer, StandardScaler

from skann import BackpropMLPClassifier
from skann._mlp_targets import labels_of, target_matrix


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X[:600]), y[:600]


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(
        n_samples=300, n_features=8, n_informative=5, random_state=0
    )
    return X, np.where(y == 1, "yes", "no")


def _fit_both(X, y, sample_weight=None, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = BackpropMLPClassifier(**params).fit(X, y, sample_weight=sample_weight)
        theirs = MLPClassifier(**params).fit(X, y, sample_weight=sample_weight)
    return ours, theirs


def _assert_same_network(ours, theirs, rtol=1e-9, atol=1e-11):
    assert len(ours.coefs_) == len(theirs.coefs_)
    for mine, reference in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True
    ):
        np.testing.assert_allclose(mine, reference, rtol=rtol, atol=atol)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_weights_match_sklearn(digits, solver, activation, shuffle):
    X, y = digits
    ours, theirs = _fit_both(
        X,
        y,
        hidden_layer_sizes=(15, 7),
        activation=activation,
        solver=solver,
        max_iter=4,
        shuffle=shuffle,
        random_state=0,
        learning_rate_init=0.01,
    )
    _assert_same_network(ours, theirs)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    if solver != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
        assert ours.t_ == theirs.t_


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "sgd", "momentum": 0.0},
        {"solver": "sgd", "nesterovs_momentum": False},
        {"solver": "sgd", "learning_rate": "invscaling", "learning_rate_init": 0.5},
        {"solver": "sgd", "learning_rate": "adaptive", "tol": 0.5},
        {"solver": "adam", "tol": 0.05, "n_iter_no_change": 2},
        {"solver": "adam", "batch_size": 64, "alpha": 0.1},
        {"solver": "adam", "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-4},
    ],
)
def test_optimiser_options_and_stopping_match_sklearn(digits, params):
    """Schedules, momentum variants and the tol rule give scikit-learn's run."""
    X, y = digits
    params = {"hidden_layer_sizes": (12,), "max_iter": 30, "random_state": 1} | params
    ours, theirs = _fit_both(X, y, **params)
    assert ours.n_iter_ == theirs.n_iter_
    _assert_same_network(ours, theirs, rtol=1e-7, atol=1e-9)
    assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-9)


def test_adaptive_schedule_divides_the_step_by_five(digits):
    X, y = digits
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(8,),
        solver="sgd",
        learning_rate="adaptive",
        tol=10.0,
        n_iter_no_change=1,
        max_iter=7,
        random_state=0,
        learning_rate_init=0.1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    # Epoch 1 sets the best loss; no later epoch improves on it by tol=10, so the
    # patience of more than one epoch runs out after epochs 3, 5 and 7: 3 cuts.
    assert clf._optimizer.schedule.learning_rate == pytest.approx(0.1 / 5**3)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sample_weight_matches_sklearn(digits, solver):
    X, y = digits
    sw = np.random.RandomState(0).uniform(0.1, 3, size=len(y))
    ours, theirs = _fit_both(
        X,
        y,
        sample_weight=sw,
        hidden_layer_sizes=(10,),
        solver=solver,
        max_iter=5,
        random_state=0,
    )
    _assert_same_network(ours, theirs)


def test_integer_weights_are_repetitions(binary):
    """Full-batch training: weight k and k copies give the same network."""
    X, y = binary
    counts = np.random.RandomState(0).randint(0, 4, size=len(y))
    # a batch of all the samples: batch_size is their number, not more (which warns)
    params = dict(hidden_layer_sizes=(6,), max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = BackpropMLPClassifier(batch_size=len(y), **params)
        weighted.fit(X, y, sample_weight=counts)
        repeated = BackpropMLPClassifier(batch_size=int(counts.sum()), **params).fit(
            np.repeat(X, counts, axis=0), np.repeat(y, counts)
        )
    _assert_same_network(weighted, repeated, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_binary_and_multilabel_match_sklearn(binary, solver):
    X, y = binary
    ours, theirs = _fit_both(
        X, y, hidden_layer_sizes=(5,), solver=solver, max_iter=5, random_state=0
    )
    _assert_same_network(ours, theirs)
    assert ours.out_activation_ == theirs.out_activation_ == "logistic"
    np.testing.assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9
    )
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))

    X, Y = make_multilabel_classification(n_samples=120, n_classes=4, random_state=0)
    ours, theirs = _fit_both(
        X, Y, hidden_layer_sizes=(5,), solver=solver, max_iter=5, random_state=0
    )
    _assert_same_network(ours, theirs)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict(X).shape == Y.shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "classes, y",
    [
        ([0, 1], [1, 0, 0, 1]),
        ([0, 1], [1, 1, 1]),  # a partial_fit chunk with one of two classes
        (["ant", "bee", "cat"], ["cat", "ant", "cat", "bee"]),
        ([-2, 5, 7, 9], [9, 5, 9]),  # a chunk without some classes
        ([False, True], [True, False]),
    ],
)
def test_target_matrix_is_the_label_binarizers(classes, y, dtype):
    binarizer = LabelBinarizer().fit(classes)
    y = np.asarray(y)
    Y, labels = target_matrix(binarizer, y, dtype)
    expected = binarizer.transform(y).astype(dtype)
    assert Y.dtype == expected.dtype
    np.testing.assert_array_equal(Y, expected)
    np.testing.assert_array_equal(binarizer.classes_[labels], y)


@pytest.mark.parametrize(
    "fitted_on",
    [np.array(["ant", "bee", "cat"]), np.array([-1, 4]), np.array([[1, 0], [0, 1]])],
)
def test_labels_of_an_output_are_the_label_binarizers(fitted_on):
    binarizer = LabelBinarizer().fit(fitted_on)
    n_outputs = 1 if binarizer.y_type_ == "binary" else len(binarizer.classes_)
    rng = np.random.default_rng(0)
    output = rng.random((40, n_outputs))
    output[:4] = 0.5  # ties, and exactly the binary threshold
    output[4] = np.nan
    got = labels_of(binarizer, output)
    expected = binarizer.inverse_transform(output)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_target_matrix_keeps_a_multilabel_indicator():
    Y_in = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 1]])
    binarizer = LabelBinarizer().fit(Y_in)
    Y, labels = target_matrix(binarizer, Y_in, np.float32)
    assert labels is None
    np.testing.assert_array_equal(Y, Y_in.astype(np.float32))


def test_predict_proba_is_softmax_of_the_network(digits):
    X, y = digits
    clf = BackpropMLPClassifier(hidden_layer_sizes=(9,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    hidden = np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)
    Z = hidden @ clf.coefs_[1] + clf.intercepts_[1]
    expected = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-10)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(expected), rtol=1e-8)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[expected.argmax(axis=1)])


def test_sparse_input_gives_the_dense_result(digits):
    X, y = digits
    params = dict(hidden_layer_sizes=(10,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = BackpropMLPClassifier(**params).fit(X, y)
        csr = BackpropMLPClassifier(**params).fit(sparse.csr_matrix(X), y)
    _assert_same_network(csr, dense, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        csr.predict_proba(sparse.csr_matrix(X)), dense.predict_proba(X)
    )


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_float32_is_kept_by_every_solver(digits, solver):
    X, y = digits
    params = dict(hidden_layer_sizes=(10,), solver=solver, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        single = BackpropMLPClassifier(**params).fit(X.astype(np.float32), y)
        double = BackpropMLPClassifier(**params).fit(X, y)
    for W in single.coefs_ + single.intercepts_:
        assert W.dtype == np.float32
    assert single.predict_proba(X.astype(np.float32)).dtype == np.float32
    # Same run in single precision: the weights agree to float32 rounding.
    _assert_same_network(single, double, rtol=1e-3, atol=1e-4)


def test_cross_validated_accuracy_on_digits_matches_sklearn():
    """The issue's acceptance test: 5-fold CV on load_digits within 0.5 points."""
    X, y = load_digits(return_X_y=True)
    scores = {}
    for name, clf in [
        ("skann", BackpropMLPClassifier(max_iter=30, random_state=0)),
        ("sklearn", MLPClassifier(max_iter=30, random_state=0)),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores[name] = cross_val_score(
                make_pipeline(StandardScaler(), clf), X, y, cv=5
            ).mean()
    assert scores["skann"] >= scores["sklearn"] - 0.005


def test_learns_xor():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs", random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), y)


def test_partial_fit_matches_sklearn_partial_fit(digits):
    X, y = digits
    ours = BackpropMLPClassifier(hidden_layer_sizes=(10,), random_state=0)
    theirs = MLPClassifier(hidden_layer_sizes=(10,), random_state=0)
    classes = np.unique(y)
    for batch in np.array_split(np.arange(len(y)), 4):
        ours.partial_fit(X[batch], y[batch], classes=classes)
        theirs.partial_fit(X[batch], y[batch], classes=classes)
    _assert_same_network(ours, theirs)
    assert ours.t_ == theirs.t_ == len(y)
    # as scikit-learn's: n_iter_ counts the epochs of the last call
    assert ours.n_iter_ == theirs.n_iter_ == 1
    assert len(ours.loss_curve_) == len(theirs.loss_curve_) == 4


def test_n_iter_and_t_stay_coherent_with_warm_start(digits):
    X, y = digits
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, warm_start=True, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        first = [W.copy() for W in clf.coefs_]
        clf.fit(X, y)
    # n_iter_ counts the epochs of the last fit, as scikit-learn's does; t_,
    # loss_curve_ and history_ keep every epoch since the weights were drawn
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 6
    assert clf.t_ == 6 * len(y)
    assert clf.history_["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    assert not np.allclose(first[0], clf.coefs_[0])
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 7
    assert clf.t_ == 7 * len(y)
    assert clf.history_["epoch"].iloc[-1] == 7


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_early_stopping_matches_sklearn(digits, binary, weighted):
    # the same held-out rows (scikit-learn's train_test_split, stratified for
    # binary y), the same epochs, the same restored weights
    X, y = digits
    if binary:
        y = (y > 4).astype(int)
    sw = np.random.RandomState(0).uniform(0.5, 2, len(y)) if weighted else None
    ours, theirs = _fit_both(
        X,
        y,
        sample_weight=sw,
        hidden_layer_sizes=(10,),
        early_stopping=True,
        n_iter_no_change=2,
        max_iter=30,
        random_state=0,
    )
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
    _assert_same_network(ours, theirs)


def test_early_stopping_restores_the_best_epoch(digits):
    X, y = digits
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(20,),
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=100,
        learning_rate_init=0.05,
        random_state=0,
    ).fit(X, y)
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_ < 100
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # The stopping rule: the last n_iter_no_change + 1 epochs did not beat the best.
    assert max(clf.validation_scores_[-4:]) <= clf.best_validation_score_
    best_epoch = int(np.argmax(clf.validation_scores_)) + 1
    replay = BackpropMLPClassifier(
        hidden_layer_sizes=(20,),
        early_stopping=True,
        n_iter_no_change=1000,
        max_iter=best_epoch,
        learning_rate_init=0.05,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        replay.fit(X, y)
    _assert_same_network(clf, replay, rtol=0, atol=0)


def test_divergence_names_the_value_that_overflowed(digits):
    X, y = digits
    huge = X * 1e200  # finite, but the net inputs overflow to inf
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(10,), solver="sgd", max_iter=5, random_state=0
    )
    with pytest.raises(FloatingPointError, match=r"the largest \|X\| value=\d"):
        clf.fit(huge, y)
    assert not hasattr(clf, "coefs_")

    with pytest.warns(ConvergenceWarning, match="Maximum number of iterations"):
        clf.set_params(learning_rate_init=0.01).fit(X, y)
    before = [W.copy() for W in clf.coefs_]
    proba_before = clf.predict_proba(X)
    with pytest.raises(FloatingPointError, match="StandardScaler"):
        clf.partial_fit(huge, y)
    for W, saved in zip(clf.coefs_, before, strict=True):
        np.testing.assert_array_equal(W, saved)
    np.testing.assert_array_equal(clf.predict_proba(X), proba_before)
    assert clf.n_iter_ == 5


@pytest.mark.parametrize(
    "params, named",
    [
        ({"solver": "lbfgs", "alpha": 1e300}, r"alpha=1e\+300 exceeds"),
        (
            {"solver": "adam", "learning_rate_init": 1e200},
            r"learning_rate_init=1e\+200",
        ),
        # nothing extreme: each sgd step multiplies W by 1 - 1 * 1e6 / 200
        (
            {"solver": "sgd", "learning_rate_init": 1.0, "alpha": 1e6},
            r"no input or parameter is extreme.*alpha / batch_size = 5e\+03 > 2",
        ),
        (
            {"solver": "sgd", "learning_rate_init": 1e3, "activation": "identity"},
            r"no input or parameter is extreme.*lower learning_rate_init\.",
        ),
    ],
)
def test_divergence_blames_the_parameter_that_caused_it(params, named):
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(10,), max_iter=20, random_state=0, **params
    )
    with pytest.raises(FloatingPointError, match=named):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")


def test_weights_whose_sum_overflows_are_refused_before_training(digits):
    X, y = digits
    clf = BackpropMLPClassifier(class_weight={0: 1e300})
    with pytest.raises(ValueError, match="sums to inf in float64"):
        clf.fit(X, y, sample_weight=np.full(len(y), 1e10))
    assert not hasattr(clf, "n_features_in_")


def test_batch_size_larger_than_data_is_clipped_with_a_warning(binary):
    X, y = binary
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        BackpropMLPClassifier(hidden_layer_sizes=(3,), batch_size=1000, max_iter=1).fit(
            X, y
        )
    assert any("clipped to 300" in str(w.message) for w in record)
    # both warnings name this line, not a line inside skann
    assert {w.category for w in record} == {UserWarning, ConvergenceWarning}
    assert {w.filename for w in record} == {__file__}


def test_prediction_in_chunks_equals_one_pass(digits):
    X, y = digits
    clf = BackpropMLPClassifier(hidden_layer_sizes=(10,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    whole = clf.predict_proba(X)
    # about 1 row per chunk (scikit-learn warns that it cannot keep to so little)
    with config_context(working_memory=0.0001), pytest.warns(UserWarning):
        np.testing.assert_allclose(clf.predict_proba(X), whole, rtol=1e-12)
        np.testing.assert_array_equal(
            clf.predict(X), clf.classes_[whole.argmax(axis=1)]
        )


def test_lbfgs_has_no_partial_fit_and_records_its_loss(digits):
    X, y = digits
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(10,), solver="lbfgs", max_iter=20, random_state=0
    )
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit") as error:
        clf.partial_fit(X, y)
    assert "only available for the stochastic solvers" in str(error.value.__cause__)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        clf.fit(X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == 20
    assert clf.loss_curve_[-1] == pytest.approx(clf.loss_)
    assert np.all(np.diff(clf.loss_curve_) <= 0)  # L-BFGS-B only accepts descent steps
