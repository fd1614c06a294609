"""What ``import skann`` loads: start-up is part of speed (see docs/performance.rst)."""

import pickle
import subprocess
import sys

import pytest
from sklearn.datasets import load_iris

import skann


def _modules_after(code):
    """The skann and numba modules a fresh interpreter has loaded after ``code``."""
    script = (
        f"{code}\nimport sys\n"
        "print(' '.join(m for m in sys.modules if m.split('.')[0] in "
        "('skann', 'numba')))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(run.stdout.split())


def test_one_estimator_does_not_import_the_other_or_numba():
    loaded = _modules_after("from skann import PerceptronClassifier")
    assert "skann._perceptron" in loaded
    assert not {"skann._mlp", "skann._mlp_training", "numba"} & loaded
    loaded = _modules_after("from skann import BackpropMLPClassifier")
    assert "skann._mlp" in loaded
    assert not {"skann._perceptron", "skann._perceptron_training", "numba"} & loaded


def test_every_public_name_resolves_and_is_listed():
    for name in skann.__all__:
        assert getattr(skann, name) is not None
        assert name in dir(skann)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'Perceptron'"):
        skann.Perceptron  # noqa: B018


def test_a_fresh_process_unpickles_a_model_by_its_public_name(tmp_path):
    # joblib's workers (GridSearchCV(n_jobs=2)) load estimators this way: the pickle
    # names skann.PerceptronClassifier, which the fresh process has not imported yet
    X, y = load_iris(return_X_y=True)
    model = skann.PerceptronClassifier(random_state=0).fit(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps((model, X[::10])))
    code = (
        "import pickle\n"
        f"model, rows = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        "print(*model.predict(rows))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert run.stdout.split() == [str(label) for label in model.predict(X[::10])]
