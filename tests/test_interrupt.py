"""Ctrl-C during training: it stops the call and leaves the estimator as it was.

A long ``fit`` must be interruptible (the compiled loops return to Python after each
epoch), and the interrupted call must not leave a half-trained model behind: a fitted
estimator keeps its previous model, an unfitted one stays unfitted.
"""

import _thread
import pickle
import signal
import threading
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

import skann._training
from skann import BackpropMLPClassifier, PerceptronClassifier


@pytest.fixture(scope="module")
def data():
    # overlapping classes: the perceptron keeps making mistakes, so never converges
    X, y = make_classification(
        300, 8, n_informative=4, flip_y=0.2, n_classes=3, random_state=0
    )
    return X, y


def interrupt_at_epoch(monkeypatch, epoch):
    """Raise KeyboardInterrupt when the training loop records ``epoch``."""
    update = skann._training.StoppingRule.update

    def interrupted(self, at, loss, score=None):
        if at == epoch:
            raise KeyboardInterrupt
        return update(self, at, loss, score)

    monkeypatch.setattr(skann._training.StoppingRule, "update", interrupted)


ESTIMATORS = {
    "perceptron": lambda: PerceptronClassifier(max_iter=20, tol=None),
    "averaged multinomial l1": lambda: PerceptronClassifier(
        max_iter=20, tol=None, average=True, multi_class="multinomial", penalty="l1"
    ),
    "pocket mini-batch": lambda: PerceptronClassifier(
        max_iter=20, tol=None, pocket=True, batch_size=16
    ),
    "perceptron early stopping": lambda: PerceptronClassifier(
        max_iter=20, early_stopping=True, n_iter_no_change=50
    ),
    "mlp adam": lambda: BackpropMLPClassifier((5,), max_iter=20, tol=0),
    "mlp sgd early stopping": lambda: BackpropMLPClassifier(
        (5,), solver="sgd", max_iter=20, early_stopping=True, n_iter_no_change=50
    ),
}


@pytest.mark.parametrize("name", ESTIMATORS)
def test_interrupted_fit_leaves_the_fitted_model_as_it_was(data, monkeypatch, name):
    X, y = data
    est = ESTIMATORS[name]().set_params(max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 epochs are short
        est.fit(X, y)
    before = pickle.dumps(est)
    predictions = est.predict(X)
    interrupt_at_epoch(monkeypatch, 2)
    est.set_params(max_iter=20)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X[::-1], y[::-1])
    est.set_params(max_iter=3)
    assert pickle.dumps(est) == before
    np.testing.assert_array_equal(est.predict(X), predictions)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_interrupted_partial_fit_keeps_the_previous_model(data, monkeypatch, name):
    X, y = data
    est = ESTIMATORS[name]()
    if name.endswith("early stopping"):
        est.set_params(early_stopping=False)
    est.partial_fit(X, y, classes=np.unique(y))
    before = pickle.dumps(est)
    interrupt_at_epoch(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X, y)
    assert pickle.dumps(est) == before


@pytest.mark.parametrize("name", ESTIMATORS)
def test_interrupted_first_fit_leaves_the_estimator_unfitted(data, monkeypatch, name):
    X, y = data
    est = ESTIMATORS[name]()
    unfitted = pickle.dumps(est)
    interrupt_at_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert pickle.dumps(est) == unfitted


def test_interrupted_lbfgs_leaves_the_fitted_model_as_it_was(data, monkeypatch):
    X, y = data
    est = BackpropMLPClassifier((5,), solver="lbfgs", max_iter=5)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    before = pickle.dumps(est)
    loss_and_gradient = skann._mlp_training.loss_and_gradient
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return loss_and_gradient(*args, **kwargs)

    monkeypatch.setattr(skann._mlp_training, "loss_and_gradient", interrupted)
    with pytest.raises(KeyboardInterrupt):
        est.set_params(warm_start=True).fit(X, y)
    est.set_params(warm_start=False)
    assert pickle.dumps(est) == before


@pytest.mark.parametrize(
    "est",
    [
        PerceptronClassifier(max_iter=10**9, tol=None),
        # endless patience: only max_iter (or the interrupt) can end it
        BackpropMLPClassifier(
            (5,), max_iter=10**9, n_iter_no_change=10**9, batch_size=300
        ),
    ],
    ids=["perceptron", "mlp"],
)
def test_a_real_ctrl_c_stops_a_fit_that_would_run_for_days(data, est):
    # 10**9 epochs: only the interrupt can end this fit. It is delivered to the
    # main thread, which sees it when the compiled epoch returns to Python.
    X, y = data
    # The kernels are compiled (or loaded from numba's cache) by a short fit first,
    # so that the interrupt lands in training, not in numba's compiler; and Python's
    # own SIGINT handler is in place, whatever earlier tests' libraries installed.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clone(est).set_params(max_iter=1).fit(X, y)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            est.fit(X, y)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert not hasattr(est, "classes_")
