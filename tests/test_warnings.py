"""Every warning skann issues names the line of the user's code, not one of skann's.

``warnings.warn`` is called with ``stacklevel=skann._engine.user_stacklevel()``, so
``warning.filename`` is this file. The perceptron's ConvergenceWarning and the MLP's
ConvergenceWarning and batch-size warning are checked in test_perceptron.py and
test_mlp.py; the others are here.
"""

import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning

import skann
import skann._backend
from skann import BackpropMLPClassifier, PerceptronClassifier


@pytest.fixture(scope="module")
def data():
    return make_classification(100, 4, flip_y=0.2, random_state=0)


def _recorded(call):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        call()
    return record


def test_lbfgs_convergence_warning_names_the_callers_line(data):
    clf = BackpropMLPClassifier((3,), solver="lbfgs", max_iter=2, random_state=0)
    record = _recorded(lambda: clf.fit(*data))
    assert [w.category for w in record] == [ConvergenceWarning]
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    "estimator",
    [
        PerceptronClassifier(max_iter=50),
        BackpropMLPClassifier((3,), max_iter=50, random_state=0),
    ],
    ids=["perceptron", "mlp"],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_column_vector_y_warning_names_the_callers_line(data, estimator, method):
    X, y = data
    kwargs = {"classes": [0, 1]} if method == "partial_fit" else {}
    record = _recorded(lambda: getattr(estimator, method)(X, y[:, None], **kwargs))
    conversions = [w for w in record if w.category is DataConversionWarning]
    assert len(conversions) == 1
    assert str(conversions[0].message).startswith("A column-vector y was passed")
    assert conversions[0].filename == __file__


def test_missing_numba_warning_names_the_callers_line(data, monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba fails
    monkeypatch.setattr(skann._backend, "_numba", {})
    clf = PerceptronClassifier(max_iter=3, tol=None)
    with skann.config_context(compiled=True):
        record = _recorded(lambda: clf.fit(*data))
    assert [w.category for w in record] == [RuntimeWarning]
    assert "numba could not be imported" in str(record[0].message)
    assert record[0].filename == __file__
    np.testing.assert_array_equal(
        clf.coef_, PerceptronClassifier(max_iter=3, tol=None).fit(*data).coef_
    )
