"""scikit-learn's callback API (``set_callbacks``) on both estimators.

A ``fit`` or ``partial_fit`` call is one task; each epoch (each ``lbfgs`` iteration)
is one of its subtasks. The tests count the hooks of fits of known length, check the
models the hooks are given, ``ProgressBar`` and ``ScoringMonitor``, meta-estimators,
stop requests and pickling.
"""

import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import BackpropMLPClassifier, PerceptronClassifier

callback = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9")

EPOCHS = 5
ESTIMATORS = {
    "perceptron": lambda: PerceptronClassifier(tol=None, max_iter=EPOCHS),
    "perceptron-minibatch": lambda: PerceptronClassifier(
        tol=None, max_iter=EPOCHS, batch_size=16
    ),
    "perceptron-full-batch": lambda: PerceptronClassifier(
        tol=None, max_iter=EPOCHS, batch_size=10_000
    ),
    "perceptron-averaged-pocket": lambda: PerceptronClassifier(
        tol=None, max_iter=EPOCHS, average=True, pocket=True
    ),
    "mlp-sgd": lambda: BackpropMLPClassifier(
        (6,), solver="sgd", max_iter=EPOCHS, random_state=0
    ),
    "mlp-adam": lambda: BackpropMLPClassifier((6,), max_iter=EPOCHS, random_state=0),
    "mlp-lbfgs": lambda: BackpropMLPClassifier(
        (6,), solver="lbfgs", max_iter=EPOCHS, random_state=0
    ),
}
# max_iter ends every MLP fit here, which BackpropMLPClassifier reports
quiet = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def data():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


class Recorder:
    """A user's FitCallback that records every hook call as a dict."""

    def __init__(self, stop_after=None):
        self.records = []
        self.stop_after = stop_after

    def _record(self, hook, estimator, context, fitted_estimator=None):
        self.records.append(
            {
                "hook": hook,
                "estimator": type(estimator).__name__,
                "task": context.task_name,
                "task_id": context.task_id,
                "parent": None if context.parent is None else context.parent.task_name,
                "merged_with": context.source_task_name,
                "model": fitted_estimator,
            }
        )

    def setup(self, estimator, context):
        self._record("setup", estimator, context)

    def teardown(self, estimator, context):
        self._record("teardown", estimator, context)

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        self._record("begin", estimator, context, fitted_estimator)

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self._record("end", estimator, context, fitted_estimator)
        return self.stop_after is not None and context.task_id + 1 == self.stop_after

    def hooks(self, task=None):
        """The hook names, in order: all, or the begin and end hooks of ``task``."""
        if task is None:
            return [r["hook"] for r in self.records]
        return [
            r["hook"]
            for r in self.records
            if r["task"] == task and r["hook"] in ("begin", "end")
        ]

    def select(self, hook, task, estimator=None):
        return [
            r
            for r in self.records
            if (r["hook"], r["task"]) == (hook, task)
            and estimator in (None, r["estimator"])
        ]

    def models(self, hook, task):
        return [r["model"] for r in self.select(hook, task)]


class AutoPropagatedRecorder(Recorder):
    """A Recorder that a meta-estimator hands down to its sub-estimators."""

    max_propagation_depth = None


def subtask_name(estimator):
    return "iteration" if getattr(estimator, "solver", None) == "lbfgs" else "epoch"


def coef_of(model):
    if isinstance(model, PerceptronClassifier):
        return model.coef_
    return np.concatenate([W.ravel() for W in model.coefs_])


@quiet
@pytest.mark.parametrize("name", ESTIMATORS)
def test_a_fit_is_a_task_and_each_epoch_a_subtask(name, data):
    X, y = data
    recorder = Recorder()
    estimator = ESTIMATORS[name]().set_callbacks(recorder)
    assert estimator.fit(X, y) is estimator
    assert estimator.n_iter_ == EPOCHS
    sub = subtask_name(estimator)
    assert recorder.hooks() == (
        ["setup", "begin"] + ["begin", "end"] * EPOCHS + ["end", "teardown"]
    )
    ended = recorder.select("end", sub)
    assert {r["parent"] for r in ended} == {"fit"}  # children of the fit task
    assert [r["task_id"] for r in ended] == list(range(EPOCHS))

    # each hook gets a copy of the model at that point, ready to predict
    begins, ends = recorder.models("begin", sub), recorder.models("end", sub)
    for model in begins + ends:
        assert model is not estimator
        assert model.predict(X).shape == y.shape
    # an epoch begins where the previous one ended; the last is the fitted model
    for before, after in zip(ends[:-1], begins[1:], strict=True):
        np.testing.assert_array_equal(coef_of(before), coef_of(after))
    np.testing.assert_array_equal(coef_of(ends[-1]), coef_of(estimator))
    assert not np.array_equal(coef_of(begins[0]), coef_of(ends[-1]))
    (fitted,) = recorder.models("end", "fit")
    np.testing.assert_array_equal(fitted.predict(X), estimator.predict(X))


@pytest.mark.parametrize(
    "estimator, extra",
    [
        # the rule converges (an epoch without mistakes) on separable data
        (PerceptronClassifier(tol=None), 0),
        (BackpropMLPClassifier((3,), solver="lbfgs", tol=1e-3, random_state=0), 0),
        # the start already meets tol: the one loss evaluation is a subtask
        (BackpropMLPClassifier((3,), solver="lbfgs", tol=1e10, random_state=0), 1),
    ],
)
def test_training_that_ends_by_itself_has_a_subtask_per_epoch(estimator, extra, data):
    X, y = data
    y = y == 0  # setosa against the rest: separable
    recorder = Recorder()
    estimator.set_callbacks(recorder).fit(X, y)
    assert estimator.n_iter_ < estimator.max_iter
    sub = subtask_name(estimator)
    assert recorder.hooks(sub) == ["begin", "end"] * (estimator.n_iter_ + extra)


@pytest.mark.parametrize("make", [PerceptronClassifier, BackpropMLPClassifier])
def test_partial_fit_is_one_task_of_one_epoch(make, data):
    X, y = data
    recorder = Recorder()
    estimator = make().set_callbacks(recorder)
    for _ in range(3):
        estimator.partial_fit(X, y, classes=np.unique(y))
    one_call = ["setup", "begin", "begin", "end", "end", "teardown"]
    assert recorder.hooks() == one_call * 3
    assert recorder.hooks("partial_fit") == ["begin", "end"] * 3
    assert recorder.hooks("epoch") == ["begin", "end"] * 3


@quiet
@pytest.mark.parametrize("make", [PerceptronClassifier, BackpropMLPClassifier])
def test_without_callbacks_no_callback_context_is_made(make, data, monkeypatch):
    """The zero-cost path: no callback set, no context, no hook."""
    X, y = data

    def fail(*args, **kwargs):
        raise AssertionError("a callback context was made without callbacks")

    monkeypatch.setattr(make, "_init_callback_context", fail)
    make(max_iter=3).fit(X, y)
    make().partial_fit(X, y, classes=np.unique(y))
    with pytest.raises(AssertionError, match="without callbacks"):
        make(max_iter=3).set_callbacks(Recorder()).fit(X, y)


@quiet
@pytest.mark.parametrize("name", ["perceptron", "mlp-adam", "mlp-lbfgs"])
def test_stop_request_ends_training_after_that_epoch(name, data):
    X, y = data
    # tol set: without the stop request, max_iter would end training and warn
    estimator = ESTIMATORS[name]().set_params(tol=1e-12, max_iter=EPOCHS)
    with pytest.warns(ConvergenceWarning):
        clone(estimator).fit(X, y)

    recorder = Recorder(stop_after=2)
    estimator.set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimator.fit(X, y)
    assert estimator.n_iter_ == 2
    assert len(estimator.loss_curve_) == 2
    sub = subtask_name(estimator)
    assert recorder.hooks(sub) == ["begin", "end"] * 2
    assert recorder.hooks("fit") == ["begin", "end"]
    np.testing.assert_array_equal(
        coef_of(recorder.models("end", sub)[-1]), coef_of(estimator)
    )
    assert estimator.predict(X).shape == y.shape


def test_stop_request_with_early_stopping_keeps_the_best_epoch(data):
    X, y = data
    recorder = Recorder(stop_after=4)
    estimator = PerceptronClassifier(early_stopping=True, validation_fraction=0.3)
    estimator.set_callbacks(recorder).fit(X, y)
    assert estimator.n_iter_ == 4
    assert 1 <= estimator.best_iteration_ <= 4
    best = recorder.models("end", "epoch")[estimator.best_iteration_ - 1]
    np.testing.assert_array_equal(best.coef_, estimator.coef_)


@quiet
@pytest.mark.parametrize("name", ["perceptron", "mlp-adam", "mlp-lbfgs"])
def test_scoring_monitor_logs_one_score_per_epoch(name):
    X, y = load_iris(return_X_y=True, as_frame=True)
    monitor = callback.ScoringMonitor(scoring="accuracy")
    estimator = ESTIMATORS[name]().set_callbacks(monitor)
    # X is scored as given (a DataFrame), so no feature-name warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    rows = monitor.get_logs().data
    sub = subtask_name(estimator)
    epochs = [row for row in rows if row["task_name"] == sub]
    assert [row["task_id"] for row in epochs] == list(range(EPOCHS))
    (fit_row,) = [row for row in rows if row["task_name"] == "fit"]
    assert fit_row["accuracy"] == epochs[-1]["accuracy"] == estimator.score(X, y)
    assert len({row["accuracy"] for row in epochs}) > 1


@quiet
@pytest.mark.parametrize("name", ["perceptron", "mlp-adam", "mlp-lbfgs"])
def test_progress_bar_runs(name, data, capsys):
    pytest.importorskip("rich")
    X, y = data
    ESTIMATORS[name]().set_callbacks(callback.ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert f"{type(ESTIMATORS[name]()).__name__} - fit" in out
    assert "100%" in out


@quiet
@pytest.mark.parametrize("make", [PerceptronClassifier, BackpropMLPClassifier])
def test_pipeline_and_grid_search_reach_the_callbacks(make, data):
    X, y = data
    on_estimator = Recorder()
    on_search = AutoPropagatedRecorder()
    model = make(max_iter=3).set_callbacks(on_estimator)
    pipe = make_pipeline(StandardScaler(), model)
    search = GridSearchCV(pipe, {f"{make.__name__.lower()}__alpha": [1e-4, 1e-3]}, cv=2)
    search.set_callbacks(on_search)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing about propagation
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    n_fits = 2 * 2 + 1  # candidates x folds, and the refit
    name = make.__name__
    for recorder in (on_estimator, on_search):
        assert len(recorder.select("end", "fit", name)) == n_fits
        assert len(recorder.select("end", "epoch", name)) == 3 * n_fits
    # the propagated callback is set up once, by the search, not by each fit
    assert on_search.hooks().count("setup") == 1
    assert on_estimator.hooks().count("setup") == n_fits
    # the estimator's fit task is the pipeline's task of fitting its final step
    merged = {r["merged_with"] for r in on_estimator.select("begin", "fit", name)}
    assert merged == {"fit-final-estimator"}


@quiet
@pytest.mark.parametrize("make", [PerceptronClassifier, BackpropMLPClassifier])
def test_cross_validate_reaches_the_callbacks(make, data):
    X, y = data
    recorder = Recorder()
    monitor = callback.ScoringMonitor(scoring="accuracy")
    model = make(max_iter=3).set_callbacks(recorder, monitor)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        cross_validate(model, X, y, cv=3)
    assert recorder.hooks("fit") == ["begin", "end"] * 3
    assert recorder.hooks("epoch") == ["begin", "end"] * 9
    epoch_rows = [
        row
        for log in monitor.get_logs(select="all")
        for row in log.data
        if row["task_name"] == "epoch"
    ]
    assert len(epoch_rows) == 9


@pytest.mark.parametrize("make", [PerceptronClassifier, BackpropMLPClassifier])
def test_pickle_and_clone_keep_the_callbacks(make, data):
    X, y = data
    monitor = callback.ScoringMonitor(scoring="accuracy")
    estimator = make(max_iter=2).set_callbacks(monitor)
    restored = pickle.loads(pickle.dumps(estimator))
    assert [type(c) for c in restored._skl_callbacks] == [callback.ScoringMonitor]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
        fitted = pickle.loads(pickle.dumps(estimator))
        np.testing.assert_array_equal(fitted.predict(X), estimator.predict(X))
        fitted.fit(X, y)  # the unpickled callback works
    (copy,) = fitted._skl_callbacks
    assert [row["task_name"] for row in copy.get_logs().data] == [
        "fit",
        "epoch",
        "epoch",
    ]
    # clone hands the same callback instances to the clone, as scikit-learn does
    assert clone(estimator)._skl_callbacks == [monitor]


def test_set_callbacks_is_absent_without_sklearn_callback():
    """With a scikit-learn that has no ``sklearn.callback`` (before 1.9), skann
    imports, fits and predicts as before, and has no ``set_callbacks``.

    Simulated in a fresh interpreter: scikit-learn's own modules are imported first
    (scikit-learn 1.9 needs its callback module), then ``sklearn.callback`` is made
    unimportable while skann is imported.
    """
    code = textwrap.dedent(
        """
        import sys
        import sklearn.linear_model, sklearn.model_selection, sklearn.pipeline
        import sklearn.preprocessing
        from sklearn.datasets import load_iris

        real = sys.modules.pop("sklearn.callback")
        sys.modules["sklearn.callback"] = None  # ImportError on import
        from skann import BackpropMLPClassifier, PerceptronClassifier
        sys.modules["sklearn.callback"] = real

        X, y = load_iris(return_X_y=True)
        for make in (PerceptronClassifier, BackpropMLPClassifier):
            assert not hasattr(make(), "set_callbacks"), make
            assert make(max_iter=200).fit(X, y).score(X, y) > 0.6
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.stdout.strip() == "ok", result.stderr
