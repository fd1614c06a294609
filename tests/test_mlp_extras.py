"""What BackpropMLPClassifier has beyond scikit-learn's MLPClassifier: each feature
checked against a hand computation, an equivalent formulation, or a gradient check.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest
import sklearn
from scipy.special import expit, softmax
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skann import BackpropMLPClassifier, check_gradient, make_activation
from skann._math.dropout import dropout_masks
from skann._math.init import he_uniform
from skann._math.optimizers import LearningRateSchedule
from skann._validation import class_weight_per_sample


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X[:500]), y[:500]


@pytest.fixture(scope="module")
def small():
    rng = np.random.RandomState(0)
    return rng.normal(size=(12, 4)), np.arange(12) % 3


def _same(a, b, rtol=1e-12, atol=1e-14):
    for W, V in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_allclose(W, V, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ class_weight
def test_class_weight_equals_sample_weight(digits):
    X, y = digits
    weights = {k: 1.0 + k for k in range(10)}
    sw = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    params = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    by_class = BackpropMLPClassifier(class_weight=weights, **params).fit(
        X, y, sample_weight=sw
    )
    by_sample = BackpropMLPClassifier(**params).fit(
        X, y, sample_weight=sw * np.vectorize(weights.get)(y)
    )
    _same(by_class, by_sample, rtol=1e-10, atol=1e-12)


def test_balanced_partial_fit_uses_all_data_seen():
    X, y = make_classification(
        300, 5, n_informative=3, weights=[0.8, 0.2], random_state=0
    )
    first, second = slice(0, 200), slice(200, 300)
    streamed = BackpropMLPClassifier(
        hidden_layer_sizes=(4,), class_weight="balanced", random_state=0
    )
    streamed.partial_fit(X[first], y[first], classes=[0, 1])
    streamed.partial_fit(X[second], y[second])
    # The same stream with the weights written out from the cumulative counts.
    explicit = BackpropMLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    counts_1 = np.bincount(y[first], minlength=2)
    counts_2 = counts_1 + np.bincount(y[second], minlength=2)
    for rows, counts in [(first, counts_1), (second, counts_2)]:
        w = class_weight_per_sample("balanced", np.array([0, 1]), y[rows], counts)
        np.testing.assert_allclose(w, counts.sum() / (2 * counts[y[rows]]))
        explicit.partial_fit(X[rows], y[rows], classes=[0, 1], sample_weight=w)
    _same(streamed, explicit, rtol=1e-6, atol=1e-8)


def test_class_weight_with_multilabel_is_refused():
    Y = np.eye(3, dtype=int)[np.arange(30) % 3]
    X = np.random.RandomState(0).normal(size=(30, 4))
    with pytest.raises(ValueError, match="multilabel"):
        BackpropMLPClassifier(class_weight="balanced", max_iter=2).fit(X, Y)


# ------------------------------------------------------------------ dropout
def test_dropout_masks_drop_at_the_rate_and_keep_the_mean():
    first, second = dropout_masks(
        np.random.RandomState(0), 4000, [200, 100], [0.25, 0.5], np.float32
    )
    assert first.dtype == np.float32 and first.shape == (4000, 200)
    assert set(np.unique(first)) == {0.0, np.float32(1 / 0.75)}
    assert abs((first == 0).mean() - 0.25) < 0.005
    assert abs((second == 0).mean() - 0.5) < 0.005
    assert abs(first.mean() - 1) < 0.01  # inverted dropout keeps E[A]
    # drawn from the generator: the same seed gives the same masks, the next
    # draw new ones
    rng = np.random.RandomState(0)
    again = dropout_masks(rng, 4000, [200, 100], [0.25, 0.5], np.float32)[0]
    np.testing.assert_array_equal(again, first)
    other = dropout_masks(rng, 4000, [200, 100], [0.25, 0.5], np.float32)[0]
    assert (other != first).mean() > 0.3
    assert dropout_masks(rng, 5, [10], [0.0], np.float64) == [None]


def test_dropout_masks_come_from_random_state(digits):
    X, y = digits
    params = dict(hidden_layer_sizes=(20,), dropout=0.3, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = BackpropMLPClassifier(random_state=0, **params).fit(X, y)
        b = BackpropMLPClassifier(random_state=0, **params).fit(X, y)
        c = BackpropMLPClassifier(random_state=1, **params).fit(X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert not np.allclose(a.coefs_[0], c.coefs_[0])


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "gelu"])
def test_dropout_forward_and_backward_match_gradient_check(small, activation):
    X, y = small
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(6, 5), activation=activation, dropout=(0.4, 0.2), alpha=0.1
    )
    assert check_gradient(clf, X, y) < 1e-5


def test_dropout_predictions_are_deterministic(digits):
    X, y = digits
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(20,), dropout=0.3, max_iter=5, random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
    hidden = np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)  # no mask
    expected = softmax(hidden @ clf.coefs_[1] + clf.intercepts_[1], axis=1)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-10)
    plain = BackpropMLPClassifier(hidden_layer_sizes=(20,), max_iter=5, random_state=0)
    plain.fit(X, y)
    assert not np.allclose(plain.coefs_[0], clf.coefs_[0])
    zero = BackpropMLPClassifier(
        hidden_layer_sizes=(20,), dropout=0.0, max_iter=5, random_state=0
    ).fit(X, y)
    _same(zero, plain, rtol=0, atol=0)


# ------------------------------------------------------------------ schedules
def test_cosine_and_step_schedules_per_epoch(digits):
    X, y = digits
    eta, epochs = 0.01, 6
    for solver in ("sgd", "adam"):
        cosine = BackpropMLPClassifier(
            hidden_layer_sizes=(5,),
            solver=solver,
            learning_rate="cosine",
            learning_rate_init=eta,
            max_iter=epochs,
            tol=0,
            n_iter_no_change=99,
            random_state=0,
        ).fit(X, y)
        e = np.arange(epochs)
        np.testing.assert_allclose(
            cosine.history_["learning_rate"], eta * (1 + np.cos(np.pi * e / epochs)) / 2
        )
        step = BackpropMLPClassifier(
            hidden_layer_sizes=(5,),
            solver=solver,
            learning_rate="step",
            learning_rate_init=eta,
            learning_rate_step=2,
            learning_rate_decay=0.5,
            max_iter=epochs,
            tol=0,
            n_iter_no_change=99,
            random_state=0,
        ).fit(X, y)
        np.testing.assert_allclose(
            step.history_["learning_rate"], eta * 0.5 ** (e // 2)
        )


def test_schedule_changes_adam_steps(digits):
    """For adam too the schedule scales the step (scikit-learn ignores it)."""
    X, y = digits
    params = dict(hidden_layer_sizes=(5,), max_iter=4, tol=0, random_state=0)
    constant = BackpropMLPClassifier(**params).fit(X, y)
    decayed = BackpropMLPClassifier(
        learning_rate="step", learning_rate_step=1, learning_rate_decay=0.0001, **params
    ).fit(X, y)
    first_epoch = BackpropMLPClassifier(**(params | {"max_iter": 1})).fit(X, y)
    # After epoch 1 the step is 1e-4 times smaller: the weights barely move.
    moved = np.abs(decayed.coefs_[0] - first_epoch.coefs_[0]).max()
    assert moved < 1e-3 * np.abs(constant.coefs_[0] - first_epoch.coefs_[0]).max()


def test_schedule_step_formula():
    schedule = LearningRateSchedule("step", 1.0, step=3, decay=0.5)
    rates = []
    for epoch in range(7):
        rates.append(schedule.learning_rate)
        schedule.epoch_ends(samples_seen=10 * (epoch + 1))
    assert rates == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]


# ------------------------------------------------------------------ user validation set
def test_early_stopping_on_a_given_validation_set(digits):
    X, y = digits
    X_tr, y_tr, X_val, y_val = X[:350], y[:350], X[350:], y[350:]
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(20,),
        early_stopping=True,
        n_iter_no_change=3,
        learning_rate_init=0.01,
        max_iter=200,
        random_state=0,
    ).fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    assert clf.n_iter_ < 200
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == clf.n_iter_
    assert clf.best_iteration_ == 1 + int(np.argmax(clf.validation_scores_))
    # The kept weights are the best epoch's: their score on X_val is the best score.
    assert clf.score(X_val, y_val) == pytest.approx(clf.best_validation_score_)
    proba = clf.predict_proba(X_val)
    best = clf.best_iteration_ - 1
    assert -np.mean(np.log(proba[np.arange(len(y_val)), y_val])) == pytest.approx(
        clf.validation_loss_curve_[best], rel=1e-9
    )
    history = clf.history_
    np.testing.assert_allclose(history["validation_score"], clf.validation_scores_)


def test_given_validation_set_errors(digits):
    X, y = digits
    with pytest.raises(ValueError, match="early_stopping=False"):
        BackpropMLPClassifier(max_iter=1).fit(X, y, X_val=X, y_val=y)
    with pytest.raises(ValueError, match="X_val is given but y_val is not"):
        BackpropMLPClassifier(early_stopping=True, max_iter=1).fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="features"):
        BackpropMLPClassifier(early_stopping=True, max_iter=1).fit(
            X, y, X_val=X[:, :5], y_val=y
        )
    with pytest.raises(ValueError, match=r"labels \[11\]"):
        BackpropMLPClassifier(early_stopping=True, max_iter=1).fit(
            X, y, X_val=X, y_val=np.where(y == 3, 11, y)
        )


def test_validation_set_routed_through_a_pipeline(digits):
    X, y = digits
    X_tr, y_tr, X_val, y_val = X[:350] * 10, y[:350], X[350:] * 10, y[350:]
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = Pipeline(
            [
                ("scale", StandardScaler()),
                (
                    "mlp",
                    BackpropMLPClassifier(
                        hidden_layer_sizes=(10,),
                        early_stopping=True,
                        max_iter=15,
                        random_state=0,
                    ).set_fit_request(X_val=True, y_val=True),
                ),
            ],
            transform_input=["X_val"],
        )
        pipe.fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    scaler = StandardScaler().fit(X_tr)
    direct = BackpropMLPClassifier(
        hidden_layer_sizes=(10,), early_stopping=True, max_iter=15, random_state=0
    ).fit(scaler.transform(X_tr), y_tr, X_val=scaler.transform(X_val), y_val=y_val)
    np.testing.assert_allclose(
        pipe[-1].validation_scores_, direct.validation_scores_, rtol=1e-12
    )


# ------------------------------------------------------------------ network as a map
def test_decision_function_and_hidden_activations(digits):
    X, y = digits
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(12, 7), max_iter=3, random_state=0
    ).fit(X, y)
    A1 = np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)
    A2 = np.maximum(A1 @ clf.coefs_[1] + clf.intercepts_[1], 0)
    Z = A2 @ clf.coefs_[2] + clf.intercepts_[2]
    np.testing.assert_allclose(clf.hidden_activations(X, layer=0), A1, rtol=1e-12)
    np.testing.assert_allclose(clf.hidden_activations(X), A2, rtol=1e-12)
    np.testing.assert_allclose(clf.decision_function(X), Z, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(softmax(Z, axis=1), clf.predict_proba(X), rtol=1e-10)
    with pytest.raises(ValueError, match="not a hidden layer"):
        clf.hidden_activations(X, layer=2)

    yb = (y > 4).astype(int)
    binary = BackpropMLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    binary.fit(X, yb)
    scores = binary.decision_function(X)
    assert scores.shape == (len(yb),)
    np.testing.assert_allclose(expit(scores), binary.predict_proba(X)[:, 1], rtol=1e-10)
    np.testing.assert_array_equal(binary.predict(X), (scores > 0).astype(int))


# ------------------------------------------------------------------ activations
def softsign(Z):
    return Z / (1 + np.abs(Z))


def softsign_derivative(Z):
    return 1 / (1 + np.abs(Z)) ** 2


def softsign_wrong_derivative(Z):
    return 1 / (1 + np.abs(Z))


def test_leaky_relu_and_gelu_gradients(small):
    X, y = small
    for activation in ("leaky_relu", "gelu"):
        clf = BackpropMLPClassifier(hidden_layer_sizes=(5, 4), activation=activation)
        assert check_gradient(clf, X, y, sample_weight=np.arange(1, 13)) < 1e-6


def test_user_activation_trains_pickles_and_is_checked(small, digits):
    X, y = small
    good = make_activation(softsign, softsign_derivative)
    wrong = make_activation(softsign, softsign_wrong_derivative)
    assert check_gradient(BackpropMLPClassifier((5,), activation=good), X, y) < 1e-6
    assert check_gradient(BackpropMLPClassifier((5,), activation=wrong), X, y) > 1e-2
    Xd, yd = digits
    clf = BackpropMLPClassifier(
        (20,), activation=good, learning_rate_init=0.01, max_iter=30, random_state=0
    ).fit(Xd, yd)
    assert clf.score(Xd, yd) > 0.9
    hidden = softsign(Xd @ clf.coefs_[0] + clf.intercepts_[0])
    np.testing.assert_allclose(clf.hidden_activations(Xd), hidden, rtol=1e-12)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(Xd), clf.predict_proba(Xd))


def test_check_gradient_uses_fitted_weights(digits):
    X, y = digits
    clf = BackpropMLPClassifier((6,), alpha=0.5, max_iter=3, random_state=0).fit(X, y)
    assert check_gradient(clf, X[:20], y[:20], max_params=40) < 1e-6


# ------------------------------------------------------------------ initial weights
def test_he_init_bounds():
    W, b = he_uniform(50, 400, np.random.RandomState(0), np.float32)
    bound = np.sqrt(6 / 50)
    assert W.dtype == np.float32 and W.shape == (50, 400)
    assert np.abs(W).max() <= bound and np.abs(W).max() > 0.99 * bound
    assert abs(W.var() - bound**2 / 3) < 0.05 * bound**2 / 3  # var of U(-r, r)


def test_he_init_option(digits):
    X, y = digits
    expected, _ = he_uniform(64, 30, np.random.RandomState(0))
    start = BackpropMLPClassifier((30,), init="he", learning_rate_init=1e-12)
    start.set_params(max_iter=1, random_state=0).fit(X, y)
    np.testing.assert_allclose(start.coefs_[0], expected, atol=1e-9)


def test_given_initial_weights(digits):
    X, y = digits
    params = dict(
        hidden_layer_sizes=(8,),
        solver="sgd",
        momentum=0.0,
        shuffle=False,
        learning_rate_init=0.05,
    )
    two = BackpropMLPClassifier(max_iter=2, random_state=0, **params).fit(X, y)
    one = BackpropMLPClassifier(max_iter=1, random_state=0, **params).fit(X, y)
    resumed = BackpropMLPClassifier(max_iter=1, random_state=5, **params).fit(
        X, y, coefs_init=one.coefs_, intercepts_init=one.intercepts_
    )
    _same(resumed, two)
    with pytest.raises(ValueError, match="network needs"):
        BackpropMLPClassifier(max_iter=1, **params).fit(
            X, y, coefs_init=[np.zeros((3, 8)), np.zeros((8, 10))]
        )


# ------------------------------------------------------------------ history, verbose
def test_history_and_verbose_lines(digits, capsys):
    X, y = digits
    clf = BackpropMLPClassifier((6,), max_iter=4, verbose=True, random_state=0)
    clf.fit(X, y)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "loss" in ln]
    assert len(lines) == 4 and lines[0].startswith("Iteration 1, loss = ")
    history = clf.history_
    assert list(history.columns) == [
        "epoch",
        "loss",
        "validation_loss",
        "validation_score",
        "learning_rate",
        "seconds",
    ]
    np.testing.assert_allclose(history["loss"], clf.loss_curve_)
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    assert (history["seconds"] > 0).all()

    lbfgs = BackpropMLPClassifier((6,), solver="lbfgs", max_iter=5, verbose=True)
    lbfgs.fit(X, y)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "Iteration" in ln]
    assert len(lines) == lbfgs.n_iter_ == len(lbfgs.history_) == 5


def test_history_follows_partial_fit_calls_and_new_fits(digits):
    X, y = digits
    clf = BackpropMLPClassifier((6,), random_state=0)
    assert not hasattr(clf, "history_")
    clf.partial_fit(X[:125], y[:125], classes=np.unique(y))
    first = clf.history_
    assert first["epoch"].tolist() == [1]
    curve = clf.loss_curve_
    for start in (125, 250, 375):
        clf.partial_fit(X[start : start + 125], y[start : start + 125])
    # each call appends its epoch to the records read before it
    assert clf.loss_curve_ is curve and len(curve) == 4
    history = clf.history_
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    assert history["epoch"].dtype == np.int64
    np.testing.assert_array_equal(history["loss"], clf.loss_curve_)
    assert history["validation_score"].isna().all()
    assert first["epoch"].tolist() == [1]  # an earlier frame is left as it was

    # a failed call leaves the records as they were
    with pytest.raises(ValueError):
        clf.partial_fit(X[:10, :5], y[:10])
    assert len(clf.loss_curve_) == len(clf.history_) == 4

    restored = pickle.loads(pickle.dumps(clf))
    assert restored.history_.equals(clf.history_)
    assert "_history_frame" not in pickle.loads(pickle.dumps(clf)).__dict__

    # a shallow copy shares the records; its history_ follows them
    snapshot = copy.copy(clf)
    clf.partial_fit(X[:125], y[:125])
    assert len(snapshot.history_) == len(snapshot.loss_curve_) == 5
    assert len(clf.history_) == 5

    # a new fit of as many epochs starts new records
    history = clf.history_
    clf.set_params(max_iter=5, tol=0)
    clf.fit(X, y)
    assert clf.loss_curve_ is not curve and len(curve) == 5
    np.testing.assert_array_equal(clf.history_["loss"], clf.loss_curve_)
    assert clf.history_["loss"].tolist() != history["loss"].tolist()


def test_validation_split_is_sklearns():
    from sklearn.model_selection import train_test_split

    from skann._engine import mlp_holdout_split as validation_split

    X, y = make_classification(400, 8, weights=[0.85, 0.15], random_state=0)
    Y = (y == 1).astype(float).reshape(-1, 1)
    train, val = validation_split(len(y), Y, 0.1, np.random.RandomState(3))
    # what MLPClassifier does: stratified on the binarised y for one output
    _, _, expected_train, expected_val = train_test_split(
        X,
        np.arange(len(y)),
        random_state=np.random.RandomState(3),
        test_size=0.1,
        stratify=Y.astype(bool),
    )
    np.testing.assert_array_equal(train, expected_train)
    np.testing.assert_array_equal(val, expected_val)
    assert abs(y[val].mean() - y.mean()) < 0.03  # stratified
    # several outputs (multiclass, multilabel): not stratified, as scikit-learn
    Y3 = np.eye(3)[np.arange(30) % 3]
    train, val = validation_split(30, Y3, 0.2, np.random.RandomState(0))
    expected_train, expected_val = train_test_split(
        np.arange(30), random_state=np.random.RandomState(0), test_size=0.2
    )
    np.testing.assert_array_equal(val, expected_val)
    # where scikit-learn's split fails, the fewest rows that make a split
    train, val = validation_split(10, Y3[:10], 0.1, np.random.RandomState(0))
    assert len(val) == 2 and len(train) == 8
    train, val = validation_split(10, Y[:10], 0.1, np.random.RandomState(0))
    assert len(val) == len(np.unique(Y[:10])) or len(val) == 2
    with pytest.raises(ValueError, match="validation set is too small"):
        validation_split(3, Y3[:3], 0.1, np.random.RandomState(0))


def test_validation_records_continue_under_warm_start(digits):
    X, y = digits
    clf = BackpropMLPClassifier(
        (10,),
        early_stopping=True,
        warm_start=True,
        max_iter=4,
        tol=0,
        n_iter_no_change=99,
        random_state=0,
    )
    clf.fit(X, y)
    first_best = clf.best_validation_score_
    clf.fit(X, y)
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == 8
    assert clf.n_iter_ == 4 and len(clf.history_) == 8
    assert clf.best_validation_score_ == max(clf.validation_scores_) >= first_best
    assert clf.validation_scores_[clf.best_iteration_ - 1] == clf.best_validation_score_


def test_validation_score_is_class_weighted(digits):
    """Early stopping judges epochs by the objective training minimises."""
    X, y = digits
    X_val, y_val = X[400:], y[400:]
    clf = BackpropMLPClassifier(
        (10,),
        early_stopping=True,
        class_weight="balanced",
        max_iter=5,
        tol=0,
        n_iter_no_change=99,
        random_state=0,
    ).fit(X[:400], y[:400], X_val=X_val, y_val=y_val)
    counts = np.bincount(y[:400], minlength=10)
    weights = class_weight_per_sample("balanced", np.arange(10), y_val, counts)
    correct = clf.predict(X_val) == y_val
    assert np.average(correct, weights=weights) == pytest.approx(
        clf.best_validation_score_
    )


def test_lbfgs_scores_a_given_validation_set_without_stopping(digits):
    X, y = digits
    clf = BackpropMLPClassifier(
        (10,), solver="lbfgs", early_stopping=True, max_iter=15, random_state=0
    ).fit(X[:400], y[:400], X_val=X[400:], y_val=y[400:])
    assert len(clf.validation_scores_) == clf.n_iter_ == 15
    assert clf.validation_scores_[-1] == pytest.approx(clf.score(X[400:], y[400:]))
    assert clf.best_iteration_ is None and clf.best_validation_score_ is None


def test_lbfgs_fit_drops_the_stochastic_optimiser(digits):
    X, y = digits
    clf = BackpropMLPClassifier((6,), max_iter=3, random_state=0).fit(X, y)
    assert clf._optimizer.t > 0
    clf.set_params(solver="lbfgs").fit(X, y)
    clf.set_params(solver="adam").partial_fit(X, y)
    assert clf._optimizer.t == 3  # a fresh Adam: one epoch of 3 batches


def test_balanced_counts_restart_with_each_fit():
    X, y = make_classification(
        400, 5, n_informative=3, weights=[0.9, 0.1], random_state=0
    )
    params = dict(
        hidden_layer_sizes=(4,), class_weight="balanced", max_iter=2, random_state=0
    )
    warm = BackpropMLPClassifier(warm_start=True, **params).fit(X, y)
    flipped = 1 - y
    warm.fit(X, flipped)
    np.testing.assert_allclose(warm._class_counts, np.bincount(flipped))
