"""The user guide's table "What skann checks" says what skann does: every row's rule is
broken here and must raise the row's error with the row's words, and every check
broken here has its row.
"""

import re
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.datasets import make_classification
from sklearn.exceptions import (
    ConvergenceWarning,
    DataConversionWarning,
    NotFittedError,
)
from sklearn.utils._param_validation import InvalidParameterError

from skann import (
    BackpropMLPClassifier,
    PerceptronClassifier,
    check_gradient,
    make_activation,
)

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user_guide.rst"
KINDS = {
    "ValueError": ValueError,
    "TypeError": TypeError,
    "NotFittedError": NotFittedError,
    "InvalidParameterError": InvalidParameterError,
    "DataConversionWarning": DataConversionWarning,
}
ESTIMATORS = (PerceptronClassifier, BackpropMLPClassifier)
FAST = {
    PerceptronClassifier: {"max_iter": 3, "tol": None},
    BackpropMLPClassifier: {"hidden_layer_sizes": (4,), "max_iter": 3},
}

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def table_rows():
    """The rows of the table, as (input, rule, where, error, message) strings."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split(".. _what_skann_checks:")[1].split(".. _refused_by_skann:")[0]
    rows, cells = [], None
    for line in section.split(".. list-table::")[1].splitlines():
        if line.startswith("   * - "):
            cells = [line[7:]]
            rows.append(cells)
        elif line.startswith("     - ") and cells is not None:
            cells.append(line[7:])
        elif line.startswith("       ") and cells is not None:
            cells[-1] += " " + line.strip()
        elif line.strip() and not line.startswith("   :") and cells is not None:
            break
    header, *rows = rows
    assert header == ["Input", "Rule", "Where", "Error", "The message says"]
    return [tuple(row) for row in rows]


def literals(cell):
    return re.findall(r"``(.+?)``", cell)


def key(row):
    """A row's identity: its input and the words of its message."""
    (message,) = literals(row[4])
    return row[0], message


# ------------------------------------------------------------------------- data
def data():
    X, y = make_classification(
        60, 5, n_informative=3, n_redundant=0, n_classes=3, random_state=0
    )
    return X, y


@cache
def fitted(estimator_class, kind="labels"):
    X, y = data()
    if kind == "frame":
        X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    elif kind == "multilabel":
        y = np.eye(3, dtype=int)[y]
        y[::4, 0] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator_class(**FAST[estimator_class]).fit(X, y)


def new(estimator_class, **params):
    return estimator_class(**FAST[estimator_class], **params)


def with_value(X, value):
    X = X.copy()
    X[3, 1] = value
    return X


def each(call, estimators=ESTIMATORS):
    """``call`` for each estimator class, as calls without arguments."""
    return [lambda e=e: call(e) for e in estimators]


X, y = data()
Y = np.eye(3, dtype=int)[y]
Y[::4, 0] = 1
P, M = PerceptronClassifier, BackpropMLPClassifier


def _softsign(Z):
    return Z / (1 + np.abs(Z))


def _wrong_shape(Z):
    return Z.ravel()


def _nan_beyond(Z):
    return np.where(np.abs(Z) > 2.5, np.nan, Z)


# (input, words of the message) -> calls that break the row's rule.
VIOLATIONS = {
    ("``X``", "Expected 2D array"): each(lambda e: new(e).fit(X[:, 0], y))
    + each(lambda e: fitted(e).predict(X[0])),
    ("``X``", "Found array with dim 3"): each(lambda e: new(e).fit(X[:, :, None], y)),
    ("``X``", "could not convert string to float"): each(
        lambda e: new(e).fit(np.full(X.shape, "a"), y)
    ),
    ("``X``", "Complex data not supported"): each(lambda e: new(e).fit(X + 1j, y)),
    ("``X``", "Input X contains NaN"): each(
        lambda e: new(e).fit(with_value(X, np.nan), y)
    )
    + each(lambda e: fitted(e).decision_function(with_value(X, np.nan)))
    + each(
        lambda e: new(e).fit(pd.DataFrame({"a": pd.array([1, None] * 30)}), y),
    ),
    ("``X``", "Input X contains infinity"): each(
        lambda e: new(e).partial_fit(with_value(X, np.inf), y, classes=[0, 1, 2])
    )
    + each(lambda e: fitted(e).predict(with_value(X, -np.inf))),
    ("``X``", "0 sample(s)"): each(lambda e: new(e).fit(X[:0], y[:0]))
    + each(lambda e: fitted(e).predict(X[:0])),
    ("``X``", "0 feature(s)"): each(lambda e: new(e).fit(X[:, :0], y)),
    ("``X``", "features, but"): each(lambda e: fitted(e).predict(X[:, :3]))
    + each(lambda e: fitted(e).score(X[:, :3], y))
    + each(lambda e: fitted(e).partial_fit(sparse.csr_matrix(X[:, :4]), y)),
    ("``X``", "The feature names should match those that were passed during fit"): each(
        lambda e: fitted(e, "frame").predict(
            pd.DataFrame(X, columns=[f"f{i}" for i in range(5)][::-1])
        )
    ),
    ("the model", "is not fitted yet"): each(lambda e: e().predict(X))
    + [lambda: P().novikoff_diagnostics(X, y), lambda: M().hidden_activations(X)],
    ("``y``", "inconsistent numbers of samples"): each(lambda e: new(e).fit(X, y[:5]))
    + each(lambda e: fitted(e).score(X, y[:5])),
    ("``y``", "Unknown label type"): each(lambda e: new(e).fit(X, y + 0.5))
    + each(lambda e: new(e).partial_fit(X, y + 0.5, classes=[0.5, 1.5, 2.5]))
    + [lambda: check_gradient(M((3,)), X, y + 0.5)],
    ("``y``", "Input y contains NaN"): each(
        lambda e: new(e).fit(X, np.where(y == 1, np.nan, y))
    )
    + [lambda: check_gradient(M((3,)), X, np.where(y == 1, np.nan, y))],
    ("``y``", "y holds labels of the types"): each(
        lambda e: new(e).fit(X, np.array(["a", 1] * 30, dtype=object))
    )
    + [lambda: check_gradient(M((3,)), X, np.array(["a", 1] * 30, dtype=object))],
    ("``y``", "A column-vector y was passed"): each(
        lambda e: new(e).fit(X, y.reshape(-1, 1))
    ),
    ("``y``", "Sparse data was passed for y"): each(
        lambda e: new(e).fit(X, sparse.csr_matrix(y.reshape(-1, 1)))
    ),
    ("``y``", "only one class"): [lambda: new(P).fit(X, np.zeros_like(y))],
    ("``y``", "multilabel targets need multi_class='ovr'"): [
        lambda: new(P, multi_class="multinomial").fit(X, Y)
    ],
    ("``y``", "kind of target"): [
        lambda: new(P).partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, Y),
        lambda: new(M).partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, Y),
        lambda: new(M, warm_start=True).fit(X, Y).fit(X, y),
    ],
    ("``y``", "warm_start"): each(
        lambda e: new(e, warm_start=True).fit(X, y).fit(X[y < 2], y[y < 2])
    ),
    ("``sample_weight``", "sample_weight.shape =="): each(
        lambda e: new(e).fit(X, y, sample_weight=np.ones(59))
    ),
    ("``sample_weight``", "Sample weights must be 1D"): each(
        lambda e: new(e).fit(X, y, sample_weight=np.ones((60, 1)))
    ),
    ("``sample_weight``", "Negative values in data passed to"): each(
        lambda e: new(e).fit(X, y, sample_weight=-np.ones(60))
    )
    + [lambda: check_gradient(M((3,)), X, y, -np.ones(60))],
    ("``sample_weight``", "Input sample_weight contains"): each(
        lambda e: new(e).fit(X, y, sample_weight=np.r_[np.nan, np.ones(59)])
    )
    + each(lambda e: new(e).fit(X, y, sample_weight=np.r_[np.inf, np.ones(59)])),
    ("``sample_weight``", "at least one non-zero"): each(
        lambda e: new(e).fit(X, y, sample_weight=np.zeros(60))
    )
    + [lambda: check_gradient(M((3,)), X, y, np.zeros(60))],
    (
        "``sample_weight``, ``class_weight``",
        "with a positive weight hold only one class",
    ): [
        lambda: new(P).fit(X, y, sample_weight=(y == 1).astype(float)),
        lambda: new(P, class_weight={0: 0, 1: 1, 2: 0}).fit(X, y),
    ],
    ("``class_weight``", "class weights must be real numbers"): each(
        lambda e: new(e, class_weight={0: "a", 1: 1, 2: 1}).fit(X, y)
    ),
    ("``class_weight``", "class weights must be finite and >= 0"): each(
        lambda e: new(e, class_weight={0: -1.0, 1: 1, 2: 1}).fit(X, y)
    )
    + each(lambda e: new(e, class_weight={0: np.nan, 1: 1, 2: 1}).fit(X, y)),
    ("``class_weight``", "class_weight is not supported for multilabel"): each(
        lambda e: new(e, class_weight="balanced").fit(X, Y)
    ),
    ("``class_weight``", "class_weight gives every sample a zero weight"): [
        lambda: new(M, class_weight={0: 0, 1: 0, 2: 0}).fit(X, y)
    ],
    ("``classes``", "classes must be passed on the first call"): each(
        lambda e: new(e).partial_fit(X, y)
    ),
    ("``classes``", "holds NaN"): each(
        lambda e: new(e).partial_fit(X, y, classes=[0.0, 1.0, 2.0, np.nan])
    ),
    ("``classes``", "more than once"): each(
        lambda e: new(e).partial_fit(X, y, classes=[0, 1, 1, 2])
    ),
    ("``classes``", "classes holds labels of the types"): each(
        lambda e: new(e).partial_fit(
            X, y, classes=np.array([0, 1, 2, "a"], dtype=object)
        )
    ),
    ("``classes``", "that are not in classes"): each(
        lambda e: new(e).partial_fit(X, y, classes=[0, 1])
    ),
    ("``classes``", "classes_="): each(
        lambda e: (
            new(e)
            .partial_fit(X, y, classes=[0, 1, 2])
            .partial_fit(X, y, classes=[0, 1, 2, 3])
        )
    ),
    ("``classes``", "classes must hold at least 2 classes"): [
        lambda: new(P).partial_fit(X, np.zeros_like(y), classes=[0])
    ],
    ("``y`` of the diagnostics", "that are not in classes"): [
        lambda: fitted(P).novikoff_diagnostics(X, y + 5)
    ],
    ("``y`` of the diagnostics", "inconsistent numbers of samples"): [
        lambda: fitted(P).novikoff_diagnostics(X, y[:5])
    ],
    ("``y`` of the diagnostics", "but the model was fitted on"): [
        lambda: fitted(P).novikoff_diagnostics(X, Y)
    ],
    ("``coef_init``, ``intercept_init``", "coef_init has shape"): [
        lambda: new(P).fit(X, y, coef_init=np.zeros((2, 5)))
    ],
    ("``coefs_init``, ``intercepts_init``", "coefs_init/intercepts_init have shapes"): [
        lambda: new(M).fit(X, y, coefs_init=[np.zeros((5, 3)), np.zeros((3, 3))])
    ],
    ("``X_val``, ``y_val``", "X_val"): [
        lambda: new(M, early_stopping=True).fit(X, y, X_val=X),
        lambda: new(M).fit(X, y, X_val=X, y_val=y),
    ],
    ("``validation_fraction``", "must be > 0"): [
        lambda: new(M, early_stopping=True, validation_fraction=0.0).fit(X, y)
    ],
    ("``hidden_layer_sizes``", "hidden_layer_sizes must hold positive integers"): [
        lambda: M(hidden_layer_sizes=(4, 0)).fit(X, y)
    ],
    ("``dropout``", "dropout must be one rate or one per hidden layer"): [
        lambda: new(M, dropout=(0.1, 0.2)).fit(X, y)
    ],
    ("every other constructor parameter", "parameter of"): [
        lambda: new(P, eta0=0).fit(X, y),
        lambda: new(P, penalty="l3").partial_fit(X, y, classes=[0, 1, 2]),
        lambda: new(M, solver="rmsprop").fit(X, y),
        lambda: new(M, alpha=-1.0).partial_fit(X, y, classes=[0, 1, 2]),
    ],
    ("``layer``", "layer must be an integer"): [
        lambda: fitted(M).hidden_activations(X, layer=0.0)
    ],
    ("``layer``", "is not a hidden layer"): [
        lambda: fitted(M).hidden_activations(X, layer=1)
    ],
    ("``function``, ``derivative``", "must be a callable"): [
        lambda: make_activation(_softsign, "relu")
    ],
    ("``function``, ``derivative``", "make_activation's"): [
        lambda: make_activation(_wrong_shape, _softsign),
        lambda: (
            new(M, activation=make_activation(_nan_beyond, _softsign))
            .fit(X, y)
            .predict(1e3 * X)
        ),
    ],
    ("``estimator``", "no gradient to check"): [lambda: check_gradient(P(), X, y)],
    ("``step``", "step must be"): [
        lambda: check_gradient(M((3,)), X, y, step=0),
        lambda: check_gradient(M((3,)), X, y, step="a"),
    ],
    ("``max_params``", "max_params must be None or an integer"): [
        lambda: check_gradient(M((3,)), X, y, max_params=0),
        lambda: check_gradient(M((3,)), X, y, max_params=2.5),
    ],
    ("``X``, ``y``", "inconsistent numbers of samples"): [
        lambda: check_gradient(M((3,)), X, y[:10])
    ],
}


ROWS = table_rows()


def test_every_row_is_checked_and_every_check_has_a_row():
    documented = [key(row) for row in ROWS]
    assert len(documented) == len(set(documented)), "two rows say the same"
    assert set(documented) - set(VIOLATIONS) == set(), "rows without a check here"
    assert set(VIOLATIONS) - set(documented) == set(), "checks without a row"


@pytest.mark.parametrize("row", ROWS, ids=[" ".join(key(row)) for row in ROWS])
def test_breaking_the_rule_gives_the_documented_error(row):
    kinds = tuple(KINDS[name] for name in literals(row[3]) if name in KINDS)
    assert kinds, f"no known error in {row[3]!r}"
    message = key(row)[1]
    calls = VIOLATIONS[key(row)]
    for call in calls:
        if kinds == (DataConversionWarning,):
            with pytest.warns(DataConversionWarning, match=re.escape(message)):
                call()
            continue
        with pytest.raises(Exception) as info:  # noqa: PT011 - the type is checked
            call()
        assert isinstance(info.value, kinds), (
            f"{type(info.value).__name__}: {info.value}"
        )
        assert message in str(info.value)
