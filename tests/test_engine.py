"""The engine's shared pieces: prediction chunks, the early-stopping split and the
verbose log."""

import sys
import types

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.preprocessing import StandardScaler
from sklearn.utils import gen_batches

from skann import BackpropMLPClassifier, PerceptronClassifier
from skann._engine import row_batches, sgd_holdout_split


@pytest.mark.parametrize(
    ("n_rows", "size"), [(1, 1), (1, 256), (10, 3), (512, 256), (513, 256)]
)
def test_row_batches_are_gen_batches(n_rows, size):
    assert row_batches(n_rows, size) == list(gen_batches(n_rows, size))


def test_holdout_split_is_scikit_learns_stratified_split():
    codes = np.repeat([0, 1, 2], [40, 30, 30])
    sw = np.ones(100)
    train, val = sgd_holdout_split(codes, sw, 0.2, np.random.RandomState(5))
    cv = StratifiedShuffleSplit(test_size=20, random_state=np.random.RandomState(5))
    ref_train, ref_val = next(cv.split(np.zeros((100, 1)), codes))
    np.testing.assert_array_equal(train, np.sort(ref_train))
    np.testing.assert_array_equal(val, np.sort(ref_val))


def test_holdout_split_of_small_data_keeps_each_class_on_both_sides():
    codes = np.array([0, 0, 0, 1, 1, 1, 0, 1, 0, 1])
    train, val = sgd_holdout_split(codes, np.ones(10), 0.1, np.random.RandomState(0))
    assert set(codes[train]) == set(codes[val]) == {0, 1}
    sw = np.ones(10)
    sw[codes == 1] = 0.0  # no weighted row of class 1 can train
    train, _ = sgd_holdout_split(codes, sw, 0.1, np.random.RandomState(0))
    assert (sw[train] > 0).all()
    with pytest.raises(ValueError, match="validation_fraction"):
        sgd_holdout_split(codes, np.zeros(10), 0.1, np.random.RandomState(0))


class _TerminalProgress:
    """``rich.progress.Progress`` on a terminal, recording what the verbose log
    does with it (rich draws nothing when the output is captured)."""

    made = []

    def __init__(self, transient):
        self.console = types.SimpleNamespace(
            is_terminal=True, is_jupyter=False, out=lambda line, highlight: print(line)
        )
        self.total, self.advanced, self.running = None, 0, False
        self.made.append(self)

    def add_task(self, description, total):
        self.total = total
        return 0

    def start(self):
        self.running = True

    def update(self, task, advance, description):
        self.advanced += advance

    def stop(self):
        self.running = False


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: BackpropMLPClassifier((4,), max_iter=3, random_state=0, **kw),
        lambda **kw: BackpropMLPClassifier(
            (4,), solver="lbfgs", max_iter=3, random_state=0, **kw
        ),
        lambda **kw: PerceptronClassifier(tol=None, max_iter=3, **kw),
    ],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_verbose_progress_bar_is_rich(make, monkeypatch, capsys):
    pytest.importorskip("rich.progress")
    X, y = load_digits(return_X_y=True)
    X, y = StandardScaler().fit_transform(X[:300]), y[:300]
    bars = _TerminalProgress.made = []
    monkeypatch.setattr("rich.progress.Progress", _TerminalProgress)

    def epoch_lines():
        return [line for line in capsys.readouterr().out.splitlines() if line]

    make(verbose=1).fit(X, y)
    assert len(bars) == 1
    assert (bars[0].total, bars[0].advanced, bars[0].running) == (3, 3, False)
    assert len(epoch_lines()) == 3
    make(verbose=0).fit(X, y)
    assert len(bars) == 1 and not epoch_lines()  # no bar without verbose
    if hasattr(make(), "set_callbacks"):
        # with callbacks (a ProgressBar, maybe) the lines come without a bar
        make(verbose=1).set_callbacks(_NoOpCallback()).fit(X, y)
        assert len(bars) == 1 and len(epoch_lines()) == 3
    # without rich, and on rich's console when output is not a terminal: lines
    monkeypatch.undo()
    make(verbose=1).fit(X, y)
    assert len(epoch_lines()) == 3
    monkeypatch.setitem(sys.modules, "rich.progress", None)
    make(verbose=1).fit(X, y)
    assert len(epoch_lines()) == 3


class _NoOpCallback:
    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        pass
