"""PerceptronClassifier against the textbook rule, scikit-learn and theory."""

import numpy as np
import pytest
from conftest import plus_minus, reference_kesler, reference_perceptron
from scipy import sparse
from sklearn.datasets import make_blobs, make_classification
from sklearn.linear_model import Perceptron

from skann import PerceptronClassifier, config_context


def exact(**params):
    return PerceptronClassifier(shuffle=False, eta0=1.0, tol=None, **params)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("epochs", [1, 4])
def test_coef_matches_textbook_loop_and_sklearn(n_classes, epochs):
    X, y = make_classification(
        200,
        7,
        n_informative=5,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=n_classes,
    )
    W, b = reference_perceptron(X, plus_minus(y, np.unique(y)), epochs)
    ours = exact(max_iter=epochs).fit(X, y)
    theirs = Perceptron(shuffle=False, eta0=1.0, tol=None, max_iter=epochs).fit(X, y)
    np.testing.assert_allclose(ours.coef_, W, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, b, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-10)


def test_coef_is_bitwise_textbook_on_integer_data():
    rng = np.random.RandomState(0)
    X = rng.randint(-3, 4, size=(300, 5)).astype(float)
    y = (X @ rng.randn(5) + rng.randn(300) > 0).astype(int)
    W, b = reference_perceptron(X, plus_minus(y, [0, 1]), 3)
    ours = exact(max_iter=3).fit(X, y)
    np.testing.assert_array_equal(ours.coef_, W)
    np.testing.assert_array_equal(ours.intercept_, b)


@pytest.mark.parametrize("tau", [0.5, 3.0])
def test_margin_matches_textbook_loop(binary_data, tau):
    X, y = binary_data
    W, b = reference_perceptron(X, plus_minus(y, [0, 1]), 3, tau=tau)
    ours = exact(max_iter=3, margin=tau).fit(X, y)
    np.testing.assert_allclose(ours.coef_, W, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, b, atol=1e-10)


def test_no_intercept_matches_textbook_loop(multiclass_data):
    X, y = multiclass_data
    W, _ = reference_perceptron(X, plus_minus(y, np.unique(y)), 2, fit_intercept=False)
    ours = exact(max_iter=2, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(ours.coef_, W, atol=1e-10)
    np.testing.assert_array_equal(ours.intercept_, 0.0)


def test_multinomial_matches_kesler_loop(multiclass_data):
    X, y = multiclass_data
    W, b = reference_kesler(X, y, 4, 3)
    ours = exact(max_iter=3, multi_class="multinomial").fit(X, y)
    np.testing.assert_allclose(ours.coef_, W, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, b, atol=1e-10)


@pytest.mark.parametrize("data", ["binary_data", "multiclass_data"])
@pytest.mark.parametrize("storage", [np.asarray, sparse.csr_matrix])
def test_averaged_matches_reference_loop(data, storage, request):
    # the compiled rule carries its lazy sum from epoch to epoch: 3 epochs test it
    X, y = request.getfixturevalue(data)
    W, b = reference_perceptron(X, plus_minus(y, np.unique(y)), 3, average=True)
    ours = exact(max_iter=3, average=True).fit(storage(X), y)
    np.testing.assert_allclose(ours.coef_, W, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, b, atol=1e-10)


def test_sample_weight_scales_the_step(binary_data):
    # One step per mistake, scaled by the weight: W += eta w t p.
    X, y = binary_data
    sw = np.random.RandomState(0).uniform(0.1, 3.0, size=len(y))
    W, b = reference_perceptron(X, plus_minus(y, [0, 1]), 3, sample_weight=sw)
    ours = exact(max_iter=3).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, W, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, b, atol=1e-10)
    # by hand: the first sample, a mistake at W = 0, moves W by w t p
    first = exact(max_iter=1).partial_fit(
        X[:1], y[:1], classes=[0, 1], sample_weight=[2.5]
    )
    t = 1.0 if y[0] == 1 else -1.0
    np.testing.assert_allclose(first.coef_[0], 2.5 * t * X[0])


def test_a_huge_sample_weight_costs_one_step():
    X, y = make_classification(50, 4, random_state=0)
    sw = np.ones(len(y))
    sw[0] = 1e12
    clf = PerceptronClassifier(max_iter=3, tol=None).fit(X, y, sample_weight=sw)
    assert np.isfinite(clf.coef_).all()
    assert clf.n_iter_ == 3


def test_same_numbers_in_any_storage_give_the_same_model():

    X, y = make_classification(150, 8, n_classes=3, n_informative=4, random_state=0)
    X[np.abs(X) < 0.5] = 0.0
    signed_zeros = np.where(X == 0, -0.0, X)
    coo = sparse.coo_matrix(X)
    # the same numbers as unsorted entries with duplicates: each value split in two
    halves = sparse.coo_matrix(
        (
            np.r_[coo.data / 2, coo.data / 2][::-1],
            (np.r_[coo.row, coo.row][::-1], np.r_[coo.col, coo.col][::-1]),
        ),
        shape=X.shape,
    )
    halves = sparse.csr_matrix(halves)
    halves.has_sorted_indices = False
    stores = [
        signed_zeros,
        np.asfortranarray(X),
        sparse.csr_matrix(X),
        sparse.csc_matrix(X),
        coo,
        halves,
    ]
    for params in [{}, {"average": True, "penalty": "l1"}, {"penalty": "l2"}]:
        ref = PerceptronClassifier(max_iter=4, tol=None, **params).fit(X, y)
        for stored in stores:
            other = PerceptronClassifier(max_iter=4, tol=None, **params).fit(stored, y)
            np.testing.assert_array_equal(other.coef_, ref.coef_)
            np.testing.assert_array_equal(other.intercept_, ref.intercept_)


def test_zero_weights_equal_removal(multiclass_data):
    X, y = multiclass_data
    sw = (np.arange(len(y)) % 3 != 0).astype(float)
    kept = sw > 0
    a = PerceptronClassifier(random_state=0).fit(X, y, sample_weight=sw)
    b = PerceptronClassifier(random_state=0).fit(X[kept], y[kept])
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_minibatch_matches_reference_loop(multiclass_data):
    X, y = multiclass_data
    T = plus_minus(y, np.unique(y))
    W, b = np.zeros((4, X.shape[1])), np.zeros(4)
    for _ in range(3):
        for start in range(0, len(X), 16):
            p, t = X[start : start + 16], T[start : start + 16]
            err = t * (p @ W.T + b) <= 0
            W += (err * t).T @ p
            b += (err * t).sum(axis=0)
    ours = exact(max_iter=3, batch_size=16).fit(X, y)
    np.testing.assert_allclose(ours.coef_, W, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, b, atol=1e-10)


def test_l2_penalty_matches_sklearn(binary_data):
    X, y = binary_data
    params = dict(shuffle=False, tol=None, max_iter=3, penalty="l2", alpha=0.01)
    ours = PerceptronClassifier(**params).fit(X, y)
    theirs = Perceptron(**params).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-8)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-8)


def test_l1_penalty_gives_sparse_weights():
    X, y = make_classification(300, 40, n_informative=3, n_redundant=0, random_state=0)
    plain = PerceptronClassifier(random_state=0, max_iter=20, tol=None).fit(X, y)
    l1 = PerceptronClassifier(
        random_state=0, max_iter=20, tol=None, penalty="l1", alpha=0.05
    ).fit(X, y)
    assert np.sum(l1.coef_ == 0) > 20
    assert np.sum(plain.coef_ == 0) == 0


def _training_errors(X, y, coef, intercept):
    return int(np.sum(((X @ coef.T + intercept).ravel() > 0) != (y == 1)))


@pytest.mark.parametrize("seed", range(4))
def test_pocket_is_never_worse_than_the_weights_training_stopped_with(seed):
    # After k epochs the pocket makes no more training mistakes than the weights
    # the rule stopped with (same epochs, same random_state).
    X, y = make_classification(300, 5, flip_y=0.2, random_state=seed)
    for k in range(1, 7):
        settings = dict(random_state=0, tol=None, max_iter=k)
        pocket = PerceptronClassifier(pocket=True, **settings).fit(X, y)
        last = PerceptronClassifier(**settings).fit(X, y)
        assert _training_errors(X, y, *_weights(pocket)) <= _training_errors(
            X, y, *_weights(last)
        )


@pytest.mark.parametrize("params", [{}, {"batch_size": 8}, {"average": True}])
def test_pocket_keeps_the_epoch_with_fewest_mistakes(params):
    # The pocket is offered the model's weights at the end of each epoch and keeps
    # the first with the fewest training mistakes.
    X, y = make_classification(300, 5, flip_y=0.2, random_state=3)
    epochs = 8
    per_epoch = [
        _training_errors(
            X,
            y,
            *_weights(
                PerceptronClassifier(
                    random_state=0, tol=None, max_iter=k, **params
                ).fit(X, y)
            ),
        )
        for k in range(1, epochs + 1)
    ]
    pocket = PerceptronClassifier(
        random_state=0, tol=None, max_iter=epochs, pocket=True, **params
    ).fit(X, y)
    assert _training_errors(X, y, pocket.coef_, pocket.intercept_) == min(per_epoch)
    best = PerceptronClassifier(
        random_state=0, tol=None, max_iter=1 + int(np.argmin(per_epoch)), **params
    ).fit(X, y)
    np.testing.assert_array_equal(pocket.coef_, best.coef_)


def _weighted_errors(X, y, classes, sw, coef, intercept, multinomial):
    """Weighted training mistakes of each neuron, or of the arg-max machine."""
    scores = X @ coef.T + intercept
    if multinomial:
        return [sw @ (classes[scores.argmax(axis=1)] != y)]
    T = (y == classes[1])[:, None] if len(classes) == 2 else y[:, None] == classes
    return list(sw @ ((scores > 0) != T))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"multi_class": "multinomial"},
        {"class_weight": {0: 1000, 1: 1e-4}},
        {"class_weight": {0: 1000, 1: 1e-4, 2: 1e-4}, "margin": 0.5},
    ],
)
def test_pocket_never_worse_than_last_weights(params):
    # The rule runs the same with or without a pocket, and the weights it stops
    # with are checked at the stop: per neuron, the pocket makes no more weighted
    # training mistakes than they do.
    n_classes = len(params.get("class_weight", {0: 1, 1: 1, 2: 1}))
    X, y = make_blobs(100, 2, centers=n_classes, cluster_std=20, random_state=0)
    sw = np.array([params.get("class_weight", {}).get(c, 1.0) for c in y])
    settings = dict(random_state=0, max_iter=40, tol=None, **params)
    plain = PerceptronClassifier(**settings).fit(X, y)
    pocket = PerceptronClassifier(pocket=True, **settings).fit(X, y)
    assert pocket.n_iter_ == plain.n_iter_
    kesler = params.get("multi_class") == "multinomial"
    ours = _weighted_errors(X, y, plain.classes_, sw, *_weights(pocket), kesler)
    last = _weighted_errors(X, y, plain.classes_, sw, *_weights(plain), kesler)
    assert all(a <= b for a, b in zip(ours, last, strict=True))


def _weights(est):
    return est.coef_, est.intercept_


def test_separable_data_converge_within_novikoff_bound():
    X, y = make_blobs(200, 4, centers=[[-3] * 4, [3] * 4], random_state=0)
    clf = PerceptronClassifier(random_state=0, max_iter=1000).fit(X, y)
    assert clf.converged_
    assert clf.mistakes_per_epoch_[-1] == 0
    assert clf.score(X, y) == 1.0
    diag = clf.novikoff_diagnostics(X, y)
    assert diag.separated.all()
    assert diag.n_updates[0] == clf.mistakes_per_epoch_.sum()
    # Novikoff: mistakes <= (R / gamma*)^2 <= (R / gamma)^2 for the final weights.
    assert diag.n_updates[0] <= diag.bound[0]


def test_early_stopping_restores_best_epoch():
    X, y = make_classification(600, 10, flip_y=0.3, random_state=0)
    clf = PerceptronClassifier(
        early_stopping=True, random_state=0, n_iter_no_change=4, max_iter=50
    ).fit(X, y)
    best = clf.best_iteration_
    scores = clf.validation_scores_
    # the latest epoch within tol (default 1e-3) of the best accuracy is restored
    assert scores[best - 1] >= scores.max() - 1e-3
    assert best == 1 + np.flatnonzero(scores >= scores.max() - 1e-3)[-1]
    again = PerceptronClassifier(
        early_stopping=True,
        random_state=0,
        n_iter_no_change=4,
        max_iter=best,
        tol=None,
    ).fit(X, y)
    np.testing.assert_array_equal(clf.coef_, again.coef_)


def test_early_stopping_keeps_the_latest_of_equally_good_epochs():
    # Separable blobs: the validation accuracy reaches 1.0 early and stays there;
    # the restored weights are those of the last epoch, not of the first perfect one.
    X, y = make_blobs(200, centers=[[-3, -3], [3, 3]], random_state=0)
    clf = PerceptronClassifier(
        early_stopping=True, random_state=0, n_iter_no_change=3, tol=None, max_iter=6
    ).fit(X, y)
    scores = clf.validation_scores_
    assert scores.max() == 1.0 and np.sum(scores == 1.0) > 1
    assert clf.best_iteration_ == len(scores)


def test_full_batch_stopping_ignores_the_epoch_scored_at_zero_weights():
    # The criterion is 0 at W = 0; were that epoch the best loss, no later epoch
    # could beat it and every full-batch fit would stop after n_iter_no_change + 1.
    X, y = make_classification(500, 10, flip_y=0.05, random_state=0)
    clf = PerceptronClassifier(random_state=0, batch_size=len(X)).fit(X, y)
    losses = clf.loss_curve_
    assert losses[0] == 0.0
    best, count, stopped_at = np.inf, 0, None
    for epoch, loss in enumerate(losses[1:], start=2):  # the rule from epoch 2 on
        count = count + 1 if loss > best - clf.tol else 0
        best = min(best, loss)
        if count >= clf.n_iter_no_change:
            stopped_at = epoch
            break
    assert clf.n_iter_ == stopped_at > clf.n_iter_no_change + 1


def test_n_iter_and_t_are_coherent(binary_data):
    X, y = binary_data
    clf = PerceptronClassifier(max_iter=3, tol=None, random_state=0).fit(X, y)
    assert clf.n_iter_ == 3 and clf.t_ == 1 + 3 * len(y)
    clf.set_params(warm_start=True).fit(X, y)
    # n_iter_ counts the last call's epochs, t_ every visit (scikit-learn's rule)
    assert clf.n_iter_ == 3 and clf.t_ == 1 + 6 * len(y)
    clf.partial_fit(X[:50], y[:50])
    assert clf.n_iter_ == 1 and clf.t_ == 1 + 6 * len(y) + 50
    assert len(clf.mistakes_per_epoch_) == 4  # the last fit's 3 epochs, then 1 appended


def test_warm_start_continues_training(binary_data):
    X, y = binary_data
    once = exact(max_iter=4).fit(X, y)
    twice = exact(max_iter=2, warm_start=True).fit(X, y).fit(X, y)
    np.testing.assert_allclose(once.coef_, twice.coef_, atol=1e-10)


@pytest.mark.parametrize("average", [False, True])
def test_partial_fit_equals_fit_epochs(multiclass_data, average):
    X, y = multiclass_data
    fitted = exact(max_iter=3, average=average).fit(X, y)
    streamed = exact(average=average)
    for _ in range(3):
        streamed.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_allclose(fitted.coef_, streamed.coef_, atol=1e-10)


def test_averaged_online_then_mini_batch_calls_continue_the_same_sum(multiclass_data):
    # The compiled online rule leaves part of the averaging sum as beta W in the
    # saved state; a mini-batch call (NumPy) must continue from the whole sum.
    X, y = multiclass_data

    def stream():
        clf = exact(average=True)
        clf.partial_fit(X, y, classes=np.unique(y))
        clf.set_params(batch_size=16).partial_fit(X, y)
        return clf

    compiled = stream()
    with config_context(compiled=False):
        reference = stream()
    np.testing.assert_allclose(compiled.coef_, reference.coef_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(compiled.intercept_, reference.intercept_, atol=1e-10)


def test_balanced_class_weight_under_partial_fit_uses_all_counts():
    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    y = np.array([0] * 30 + [1] * 10)
    clf = PerceptronClassifier(class_weight="balanced", shuffle=False)
    clf.partial_fit(X[:20], y[:20], classes=[0, 1])  # only class 0 so far
    clf.partial_fit(X[20:], y[20:])
    np.testing.assert_array_equal(clf._class_counts, [30, 10])
    # First batch: one class seen, weight 20 / (1 * 20) = 1. Second batch: weighted
    # with the counts of everything seen, 40 / (2 * 30) and 40 / (2 * 10).
    ref = exact(max_iter=1)
    ref.partial_fit(X[:20], y[:20], classes=[0, 1])
    ref.partial_fit(
        X[20:], y[20:], sample_weight=np.where(y[20:] == 0, 40 / 60, 40 / 20)
    )
    np.testing.assert_allclose(clf.coef_, ref.coef_, atol=1e-10)


@pytest.mark.parametrize(
    "scale_x, params, fit_weight, named",
    [
        (
            1e200,
            {"eta0": 1e200},
            1.0,
            r"eta0=1e\+200 and the largest \|X\| value=1e\+200",
        ),
        (1.0, {"eta0": 1e308}, 1e10, r"eta0=1e\+308 exceeds"),
        (1e100, {}, 1e300, r"\|X\| value=1e\+100 and the largest sample weight"),
    ],
)
def test_overflow_names_the_values_that_caused_it(scale_x, params, fit_weight, named):
    # a step is eta0 * weight * x: the error names the factors beyond the headroom
    X = np.array([[1.0, 1.0], [-1.0, 1.0]]) * scale_x
    y = np.array([0, 1])
    clf = PerceptronClassifier(max_iter=5, **params)
    with pytest.raises(FloatingPointError, match=named) as error:
        clf.fit(X, y, sample_weight=np.full(2, fit_weight))
    assert "left unchanged" in str(error.value)
    assert not hasattr(clf, "coef_")


def test_weights_whose_sum_overflows_are_refused_before_training():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 1])
    clf = PerceptronClassifier(class_weight={0: 1e200, 1: 1.0})
    with pytest.raises(ValueError, match="sample_weight times class_weight reaches"):
        clf.fit(X, y, sample_weight=np.array([1e200, 1.0]))
    assert not hasattr(clf, "n_features_in_")


def test_loss_curve_is_the_perceptron_criterion(binary_data):
    X, y = binary_data
    T = np.where(y == 1, 1.0, -1.0)
    W, b = np.zeros(X.shape[1]), 0.0
    losses, mistakes = [], []
    for _ in range(3):
        loss = count = 0
        for p, t in zip(X, T, strict=True):
            n = W @ p + b
            if t * n <= 0:
                loss += max(0.0, -t * n)
                count += 1
                W, b = W + t * p, b + t
        losses.append(loss / len(y))
        mistakes.append(count)
    clf = exact(max_iter=3).fit(X, y)
    np.testing.assert_allclose(clf.loss_curve_, losses, rtol=1e-10)
    np.testing.assert_array_equal(clf.mistakes_per_epoch_, mistakes)


def test_sparse_input_is_never_densified():
    # 20 000 x 10**6 float64 would take 160 GB dense; the CSR matrix takes 2.4 MB.

    rng = np.random.RandomState(0)
    n, R, nnz = 20_000, 10**6, 10
    columns = np.sort(rng.randint(0, R, size=(n, nnz)), axis=1)
    X = sparse.csr_matrix(
        (rng.rand(n * nnz), columns.ravel(), np.arange(0, n * nnz + 1, nnz)),
        shape=(n, R),
    )
    y = rng.randint(0, 3, n)
    y[np.asarray(X[:, :1000].sum(axis=1)).ravel() > 0] = 0  # something to learn
    for params in [{}, {"average": True, "penalty": "l1"}, {"pocket": True}]:
        clf = PerceptronClassifier(max_iter=2, tol=None, **params).fit(X, y)
        assert clf.coef_.shape == (3, R)
        assert clf.predict(X).shape == (n,)
    clf = PerceptronClassifier(max_iter=2, early_stopping=True, tol=None).fit(X, y)
    assert clf.score(X, y) > 0.3


def test_intercept_decay_auto_follows_the_numbers_not_the_storage():

    rng = np.random.RandomState(0)
    X = rng.rand(200, 50) * (rng.rand(200, 50) < 0.05)  # 5 % non-zero, as text
    y = (X[:, :25].sum(axis=1) > X[:, 25:].sum(axis=1)).astype(int)
    dense = PerceptronClassifier(max_iter=3, tol=None).fit(X, y)
    stored = PerceptronClassifier(max_iter=3, tol=None).fit(sparse.csr_matrix(X), y)
    assert dense.intercept_decay_ == stored.intercept_decay_ == 0.01
    np.testing.assert_array_equal(dense.coef_, stored.coef_)
    np.testing.assert_array_equal(dense.intercept_, stored.intercept_)
    # the bias's step is scaled by the decay: the textbook loop with b += 0.01 t
    order = np.random.RandomState(0).permutation(200)
    ref = PerceptronClassifier(shuffle=False, max_iter=1, tol=None)
    ref.fit(X[order], y[order])
    T = plus_minus(y[order], [0, 1])
    W, b = reference_perceptron(X[order], T, 1, intercept_decay=0.01)
    assert ref.intercept_decay_ == 0.01
    np.testing.assert_allclose(ref.coef_, W, atol=1e-12)
    np.testing.assert_allclose(ref.intercept_, b, atol=1e-12)
    W, b = reference_perceptron(X[order], T, 1)
    textbook = PerceptronClassifier(shuffle=False, max_iter=1, tol=None)
    textbook.set_params(intercept_decay=1.0).fit(X[order], y[order])
    np.testing.assert_allclose(textbook.intercept_, b, atol=1e-12)
    # dense data keep the textbook rule
    X_dense = rng.randn(100, 5)
    assert PerceptronClassifier().fit(X_dense, X_dense[:, 0] > 0).intercept_decay_ == 1


def test_convergence_warning_names_the_callers_line():
    from sklearn.exceptions import ConvergenceWarning

    X, y = make_classification(100, 4, flip_y=0.3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="Maximum number of iterations") as w:
        PerceptronClassifier(max_iter=2).fit(X, y)
    assert w[0].filename == __file__
