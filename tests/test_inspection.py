"""HistoryDisplay draws the estimator's own curves, with the Agg backend."""

import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import BackpropMLPClassifier, PerceptronClassifier
from skann.inspection import HistoryDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _estimators(early_stopping):
    return [
        PerceptronClassifier(
            max_iter=30, early_stopping=early_stopping, random_state=0
        ),
        BackpropMLPClassifier(
            (8,),
            max_iter=40,
            early_stopping=early_stopping,
            n_iter_no_change=5,
            learning_rate_init=0.01,
            random_state=0,
        ),
    ]


@pytest.mark.parametrize("clf", _estimators(early_stopping=True), ids=["perc", "mlp"])
def test_curves_with_early_stopping(clf, iris):
    clf.fit(*iris)
    display = HistoryDisplay.from_estimator(clf)
    loss_line, score_line = display.lines_
    n = len(clf.loss_curve_)
    assert_array_equal(loss_line.get_xdata(), np.arange(1, n + 1))
    assert_allclose(loss_line.get_ydata(), clf.loss_curve_)
    assert_allclose(score_line.get_ydata(), clf.validation_scores_)
    assert score_line.axes is display.score_ax_
    assert loss_line.axes is display.ax_
    assert display.best_line_.get_xdata()[0] == clf.best_iteration_
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_title() == type(clf).__name__
    legend = display.score_ax_.get_legend().get_texts()
    legend = [text.get_text() for text in legend]
    assert legend == [
        "Training loss",
        "Validation score",
        f"Best epoch ({clf.best_iteration_})",
    ]


@pytest.mark.parametrize("clf", _estimators(early_stopping=False), ids=["perc", "mlp"])
def test_curves_without_early_stopping(clf, iris):
    clf.fit(*iris)
    _, ax = plt.subplots()
    display = HistoryDisplay.from_estimator(clf, ax=ax, name="mine")
    assert display.ax_ is ax
    assert len(display.lines_) == 1
    assert_allclose(display.lines_[0].get_ydata(), clf.loss_curve_)
    assert display.score_ax_ is None
    assert display.best_line_ is None
    assert ax.get_title() == "mine"
    assert ax.get_xlabel() == "Epoch"


def test_pipeline_lbfgs_and_keywords(iris):
    pipe = make_pipeline(
        StandardScaler(),
        BackpropMLPClassifier((5,), solver="lbfgs", max_iter=20, random_state=0),
    ).fit(*iris)
    display = HistoryDisplay.from_estimator(pipe, loss_kw={"color": "black"})
    assert_allclose(display.lines_[0].get_ydata(), pipe[-1].loss_curve_)
    assert display.lines_[0].get_color() == "black"
    assert display.ax_.get_xlabel() == "Iteration"


def test_plot_from_curves_and_replot():
    display = HistoryDisplay(
        loss_curve=[3.0, 2.0, 1.5], validation_scores=[0.5, 0.7, 0.6], best_iteration=2
    )
    display.plot(best_kw={"color": "red"})
    first_ax = display.ax_
    assert display.best_line_.get_color() == "red"
    display.plot()  # a second plot draws a new figure
    assert display.ax_ is not first_ax


def test_errors(iris):
    with pytest.raises(NotFittedError):
        HistoryDisplay.from_estimator(PerceptronClassifier())
    with pytest.raises(ValueError, match="no loss_curve_"):
        HistoryDisplay.from_estimator(LogisticRegression().fit(*iris))


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skann\[plot\]"):
        HistoryDisplay(loss_curve=[1.0]).plot()
