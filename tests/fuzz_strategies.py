"""Hypothesis strategies of the fuzz suite: the inputs users pass, good and bad.

Each strategy draws a few choices (shape, a seed, where to put special values, which
dtype and container) and builds the data with NumPy from them, so that examples are
cheap to make and shrink towards small, plain data. ``Case`` holds one drawn call:
the estimator's parameters, ``X``, ``y``, the weights, and a second ``X`` to predict.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from scipy import sparse

# Values a user's data may hold at a few places: non-finite, extreme, signed zero.
SPECIAL_VALUES = [
    np.nan,
    np.inf,
    -np.inf,
    0.0,
    -0.0,
    1e308,
    -1e308,
    5e-324,
    3.4e38,
    1e-45,
]
# Orders of magnitude of a whole matrix: huge and tiny ones test the arithmetic.
SCALES = [1.0, 1.0, 1.0, 1e-3, 1e3, 1e-150, 1e150, 1e-300]
DTYPES = [
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.int8,
    np.uint8,
    np.bool_,
    object,
    np.complex128,
]
SPARSE_FORMATS = ["csr", "csc", "coo", "bsr", "lil", "dok", "dia"]
CONTAINERS = ["C", "F", "strided", "list", "frame", "mixed_frame", "sparse"]


@dataclass
class Case:
    """One drawn call: parameters and arguments, and the numbers behind ``X``."""

    params: dict
    X: object
    y: object
    sample_weight: object = None
    X_test: object = None
    classes: object = None
    notes: list = field(default_factory=list)

    def __repr__(self):
        def show(value):
            if sparse.issparse(value):
                return (
                    f"{value.format} {type(value).__name__} {value.dtype} {value.shape}"
                )
            return repr(value)

        return (
            f"Case(params={self.params!r}, notes={self.notes!r},\n  X={show(self.X)},"
            f"\n  y={show(self.y)},\n  sample_weight={show(self.sample_weight)},\n  "
            f"classes={self.classes!r},\n  X_test={show(self.X_test)})"
        )


def rarely(draw):
    """True one time in four (and False when shrinking)."""
    return draw(st.sampled_from([False, False, False, True]))


# ------------------------------------------------------------------------- numbers
@st.composite
def numbers(draw, n_rows, n_cols, *, specials=True):
    """A float64 matrix of shape (n_rows, n_cols): random values at one scale, some
    rows duplicated, some columns constant, and (maybe) a few special values."""
    rng = np.random.RandomState(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["normal", "integers", "binary", "sparse"]))
    if kind == "normal":
        scales = SCALES if specials else SCALES[:5]  # no overflow to inf in float32
        values = rng.standard_normal((n_rows, n_cols)) * draw(st.sampled_from(scales))
    elif kind == "integers":
        values = rng.randint(-5, 6, (n_rows, n_cols)).astype(float)
    elif kind == "binary":
        values = rng.randint(0, 2, (n_rows, n_cols)).astype(float)
    else:
        values = rng.standard_normal((n_rows, n_cols))
        values[rng.rand(n_rows, n_cols) < 0.8] = 0.0
    for source, target in draw(
        st.lists(st.tuples(st.integers(0, n_rows - 1), st.integers(0, n_rows - 1)))
    ):
        values[target] = values[source]
    for column in draw(st.lists(st.integers(0, n_cols - 1), max_size=2)):
        values[:, column] = values[0, column]
    if specials and rarely(draw):
        for row, column, value in draw(
            st.lists(
                st.tuples(
                    st.integers(0, n_rows - 1),
                    st.integers(0, n_cols - 1),
                    st.sampled_from(SPECIAL_VALUES),
                ),
                min_size=1,
                max_size=2,
            )
        ):
            values[row, column] = value
    return values


def _cast(values, dtype):
    """``values`` in ``dtype``, as a user would have built them (so float16 may
    overflow to inf); non-finite values stay float for integer dtypes."""
    dtype = np.dtype(dtype)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if dtype.kind in "iu":
            if not np.isfinite(values).all():
                return values
            info = np.iinfo(dtype)
            return np.clip(np.round(values), info.min, info.max).astype(dtype)
        if dtype.kind == "b":
            return values != 0
        if dtype.kind == "O":
            out = np.empty(values.shape, dtype=object)
            out[...] = [[_python_number(v) for v in row] for row in values]
            return out
        return values.astype(dtype)


def _python_number(value):
    return int(value) if np.isfinite(value) and value == int(value) else float(value)


# ------------------------------------------------------------------------- X
@st.composite
def feature_matrices(draw, n_rows, n_cols, *, allow_sparse=True, specials=True):
    """``X`` in a drawn container and dtype; returns ``(X, values, notes)`` with
    ``values`` the float64 numbers ``X`` was built from."""
    values = draw(numbers(n_rows, n_cols, specials=specials))
    X, notes = _container(draw, values, allow_sparse)
    return X, values, notes


def _container(draw, values, allow_sparse):
    n_rows, n_cols = values.shape
    containers = CONTAINERS if allow_sparse else CONTAINERS[:-1]
    container = draw(st.sampled_from(containers))
    notes = [container]
    if container == "sparse":
        fmt = draw(st.sampled_from(SPARSE_FORMATS))
        dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, np.bool_]))
        as_array = draw(st.booleans())
        notes += [fmt, np.dtype(dtype).name, "array" if as_array else "matrix"]
        matrix = sparse.csr_array if as_array else sparse.csr_matrix
        X = matrix(_cast(values, dtype)).asformat(fmt)
        if fmt == "csr" and draw(st.booleans()):
            X.indices = X.indices.astype(np.int64)
            X.indptr = X.indptr.astype(np.int64)
            notes.append("int64 indices")
        return X, notes
    if container == "mixed_frame":
        return _mixed_frame(draw, values), notes
    dtype = draw(st.sampled_from(DTYPES))
    notes.append(np.dtype(dtype).name)
    X = _cast(values, dtype)
    if container == "F":
        X = np.asfortranarray(X)
    elif container == "strided":
        wide = np.repeat(X, 2, axis=1)
        X = wide[:, ::2]
    elif container == "list":
        X = X.tolist()
    elif container == "frame":
        named = draw(st.sampled_from(["str", "int", "none"]))
        notes.append(f"{named} columns")
        X = pd.DataFrame(X)
        if named == "str":
            X.columns = [f"f{j}" for j in range(n_cols)]
    return X, notes


def _mixed_frame(draw, values):
    """A DataFrame whose columns each have their own pandas dtype."""
    columns = {}
    for j in range(values.shape[1]):
        column = values[:, j]
        kind = draw(
            st.sampled_from(
                ["float", "Int64", "Float64", "boolean", "category", "int", "object"]
            )
        )
        finite = np.isfinite(column)
        if kind == "Int64":
            integers = np.where(finite, np.round(np.clip(column, -1e15, 1e15)), 0)
            series = pd.array(integers.astype(np.int64), dtype="Int64")
            series[~finite] = pd.NA
        elif kind == "Float64":
            series = pd.array(column, dtype="Float64")
            if draw(st.booleans()):
                series[~finite] = pd.NA
        elif kind == "boolean":
            series = pd.array(column != 0, dtype="boolean")
            series[np.isnan(column)] = pd.NA
        elif kind == "category":
            series = pd.Categorical(column)
        elif kind == "int":
            series = _cast(column, np.int64)
        elif kind == "object":
            series = _cast(column[:, None], object)[:, 0]
        else:
            series = column
        columns[f"{kind}{j}"] = series
    return pd.DataFrame(columns)


# ------------------------------------------------------------------------- y
LABEL_SETS = {
    "int": np.array([-3, 7, 11, 40]),
    "large_int": np.array([0, 2**40, 2**62, -(2**62)]),
    "str": np.array(["cat", "dog", "emu", "gnu"]),
    "unicode": np.array(["", "é", "日本", "z z"]),
    "bool": np.array([False, True]),
    "float_int": np.array([0.0, 1.0, 2.0, 3.0]),
    "object_str": np.array(["a", "b", "c", "d"], dtype=object),
    "object_int": np.array([1, 2, 3, 4], dtype=object),
    # refused by scikit-learn's target checks
    "continuous": np.array([0.5, 1.5, 2.25, 3.5]),
    "mixed": np.array(["a", 1, "c", 2], dtype=object),
    "with_nan": np.array([0.0, 1.0, np.nan, 2.0]),
    "with_none": np.array(["a", None, "b", "c"], dtype=object),
}
GOOD_LABELS = ["int", "large_int", "str", "unicode", "bool", "float_int", "object_str"]
Y_CONTAINERS = ["array", "list", "series", "category", "column", "string_dtype"]


def label_codes(rng, values, n_classes, linear):
    """Class codes in [0, n_classes): a linear rule of ``values`` or at random."""
    n = len(values)
    if linear and n_classes > 1:
        finite = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        with np.errstate(all="ignore"):
            score = finite @ rng.standard_normal(values.shape[1])
        ranks = np.argsort(np.argsort(score, kind="stable"), kind="stable")
        return ranks * n_classes // n
    return rng.randint(0, n_classes, n)


@st.composite
def targets(draw, values, *, kinds=None, allow_multilabel=True):
    """``y`` for the rows of ``values``; returns ``(y, notes)``."""
    n = len(values)
    rng = np.random.RandomState(draw(st.integers(0, 2**32 - 1)))
    bad = [kind for kind in LABEL_SETS if kind not in GOOD_LABELS]
    kinds = kinds or [*GOOD_LABELS, *GOOD_LABELS, *bad] + (
        ["multilabel"] if allow_multilabel else []
    )
    kind = draw(st.sampled_from(kinds))
    n_classes = draw(st.sampled_from([2, 2, 3, 4, 1]))
    codes = label_codes(rng, values, n_classes, linear=draw(st.booleans()))
    if kind == "multilabel":
        Y = np.zeros((n, n_classes + 1), dtype=int)
        Y[np.arange(n), codes] = 1
        Y[rng.rand(n) < 0.3, -1] = 1
        return Y, [kind]
    labels = LABEL_SETS[kind]
    n_labels = len(np.unique(labels.astype(str)))
    y = labels[codes % n_labels]
    container = draw(st.sampled_from(Y_CONTAINERS))
    notes = [kind, container]
    if container == "list":
        y = y.tolist()
    elif container == "series":
        y = pd.Series(y)
    elif container == "category":
        y = pd.Series(pd.Categorical(y))
    elif container == "column":
        y = y.reshape(-1, 1)
    elif container == "string_dtype" and y.dtype.kind in "OU":
        y = pd.Series(y, dtype="string")
    return y, notes


# ------------------------------------------------------------------------- weights
@st.composite
def sample_weights(draw, n):
    """None mostly; else weights good or bad; returns ``(weights, notes)``."""
    kind = draw(st.sampled_from(["none", "none", "good", "bad"]))
    if kind == "good":
        kind = draw(
            st.sampled_from(["positive", "with_zeros", "integers", "list", "scalar"])
        )
    elif kind == "bad":
        kind = draw(
            st.sampled_from(
                ["all_zero", "negative", "nan", "inf", "wrong_length", "2d"]
            )
        )
    rng = np.random.RandomState(draw(st.integers(0, 2**32 - 1)))
    weights = rng.uniform(0.1, 3.0, n)
    if kind == "none":
        return None, []
    if kind == "with_zeros":
        weights[rng.rand(n) < 0.3] = 0.0
    elif kind == "integers":
        weights = rng.randint(0, 4, n)
    elif kind == "list":
        weights = weights.tolist()
    elif kind == "all_zero":
        weights = np.zeros(n)
    elif kind == "negative":
        weights[0] = -1.0
    elif kind == "nan":
        weights[-1] = np.nan
    elif kind == "inf":
        weights[-1] = np.inf
    elif kind == "wrong_length":
        weights = weights[:-1] if n > 1 else np.ones(2)
    elif kind == "2d":
        weights = weights[:, None]
    elif kind == "scalar":
        weights = 2.0
    return weights, [f"sample_weight {kind}"]


def class_weights(draw, y):
    """A ``class_weight`` for the labels of ``y``: None, "balanced" or a dict."""
    kind = draw(
        st.sampled_from(["none", "none", "none", "balanced", "dict", "partial", "bad"])
    )
    if kind == "none":
        return None
    if kind == "balanced":
        return "balanced"
    labels = _label_values(y)
    if labels is None:
        return None
    weights = draw(
        st.lists(
            st.sampled_from([1.0, 0.5, 3.0, 0.0, 1e-9, 1e9]),
            min_size=len(labels),
            max_size=len(labels),
        )
    )
    chosen = dict(zip(labels, weights, strict=True))
    if kind == "partial" and chosen:
        chosen.pop(labels[0])
    elif kind == "bad" and chosen:
        chosen[labels[0]] = draw(st.sampled_from([-1.0, np.nan, np.inf, "a", None]))
    return chosen


def _label_values(y):
    """The distinct labels of ``y`` as Python values, or None if not sortable."""
    values = np.asarray(y, dtype=object).ravel()
    if isinstance(y, np.ndarray) and y.ndim == 2 and y.shape[1] > 1:
        return None
    try:
        return sorted(set(values.tolist()))
    except TypeError:
        return None


# ------------------------------------------------------------------------- parameters
# Values of each parameter at the edges of its documented range and in between;
# max_iter stays small so that every call is fast.
PERCEPTRON_PARAMS = {
    "penalty": [None, "l2", "l1", "elasticnet"],
    "alpha": [0.0, 1e-4, 1.0, 1e3],
    "l1_ratio": [0.0, 0.15, 1.0],
    "fit_intercept": [True, False],
    "max_iter": [1, 2, 5, 20],
    "tol": [None, 0.0, 1e-3, 1e3],
    "shuffle": [True, False],
    "eta0": [1e-300, 1e-6, 1.0, 1e6],
    "n_jobs": [None, 1, -1, 2],
    "random_state": [0, 1, 123],
    "early_stopping": [False, True],
    "validation_fraction": [1e-9, 0.1, 0.5, 1 - 1e-9],
    "n_iter_no_change": [1, 5],
    "warm_start": [False, True],
}
PERCEPTRON_ONLY = {
    "average": [False, True, 1, 10**6],
    "multi_class": ["ovr", "multinomial"],
    "pocket": [False, True],
    "margin": [0.0, 1.0, 1e6, -1.0],
    "batch_size": [1, 2, 10**6],
    "intercept_decay": ["auto", 1e-300, 0.01, 1.0],
}
MLP_PARAMS = {
    "hidden_layer_sizes": [(1,), (3,), (2, 2), 4, [3], np.array([2])],
    "activation": ["identity", "logistic", "tanh", "relu"],
    "solver": ["lbfgs", "sgd", "adam"],
    "alpha": [0.0, 1e-4, 10.0, 1e6],
    "batch_size": ["auto", 1, 3, 10**6],
    "learning_rate": ["constant", "invscaling", "adaptive"],
    "learning_rate_init": [1e-300, 1e-3, 0.1, 10.0],
    "power_t": [0.0, 0.5, 10.0],
    "max_iter": [1, 2, 5],
    "tol": [0.0, 1e-4, 1e6],
    "shuffle": [True, False],
    "random_state": [0, 1, 42],
    "warm_start": [False, True],
    "momentum": [0.0, 0.9, 1.0],
    "nesterovs_momentum": [True, False],
    "early_stopping": [False, True],
    "validation_fraction": [0.0, 1e-9, 0.1, 0.5, 1 - 1e-9],
    "beta_1": [0.0, 0.9, 1 - 1e-9],
    "beta_2": [0.0, 0.999, 1 - 1e-12],
    "epsilon": [1e-300, 1e-8, 1.0],
    "n_iter_no_change": [1, 10, np.inf],
    "max_fun": [1, 15000],
}
MLP_ONLY = {
    "activation": ["leaky_relu", "gelu"],
    "learning_rate": ["cosine", "step"],
    "learning_rate_step": [1, 10],
    "learning_rate_decay": [1e-9, 0.1, 1.0],
    "dropout": [0.0, 0.5, 0.99, (0.2,)],
    "init": ["glorot", "he"],
}


def _merge(common, extra):
    merged = {name: list(values) for name, values in common.items()}
    for name, values in extra.items():
        merged[name] = merged.get(name, []) + list(values)
    return merged


def parameters(common, extra=None):
    """Some of the parameters, each at a value of its list; the rest default."""
    table = _merge(common, extra or {})
    optional = {name: st.sampled_from(values) for name, values in table.items()}
    return st.fixed_dictionaries({}, optional=optional)


def perceptron_parameters(peer=False):
    """Parameters of ``PerceptronClassifier``; only ``Perceptron``'s when ``peer``,
    which keep the order of the samples (scikit-learn shuffles with a generator of
    its own, so only unshuffled epochs visit the samples in the same order)."""
    if peer:
        params = parameters(PERCEPTRON_PARAMS)
        return params.map(lambda p: {"max_iter": 5, **p, "shuffle": False})
    params = parameters(PERCEPTRON_PARAMS, PERCEPTRON_ONLY)
    return params.map(lambda p: {"max_iter": 5, **p})


def mlp_parameters(peer=False):
    """Parameters of ``BackpropMLPClassifier``; only ``MLPClassifier``'s when
    ``peer``."""
    params = parameters(MLP_PARAMS, None if peer else MLP_ONLY)
    return params.map(
        lambda p: {"hidden_layer_sizes": (3,), "max_iter": 3, "random_state": 0, **p}
    )


# ------------------------------------------------------------------------- calls
@st.composite
def cases(draw, params, *, good=False, class_weight=True, max_rows=24, max_cols=4):
    """A call of ``fit`` or ``partial_fit`` and the ``X`` to predict afterwards.

    ``good`` keeps to input every estimator should accept: finite numbers, labels
    of a supported kind, no weights.
    """
    n_rows = draw(st.integers(1, max_rows))
    n_cols = draw(st.integers(1, max_cols))
    X, values, notes = draw(feature_matrices(n_rows, n_cols, specials=not good))
    if good:
        y, y_notes = draw(targets(values, kinds=GOOD_LABELS))
        sample_weight, w_notes = None, []
    else:
        y, y_notes = draw(targets(values))
        sample_weight, w_notes = draw(sample_weights(n_rows))
    case = Case(
        params=dict(draw(params)),
        X=X,
        y=y,
        sample_weight=sample_weight,
        notes=notes + y_notes + w_notes,
    )
    if not good:
        if class_weight:
            case.params["class_weight"] = class_weights(draw, y)
        case.classes = _classes(draw, y)
    case.X_test = X
    if not good and rarely(draw):
        test_cols = draw(
            st.sampled_from([n_cols, n_cols, n_cols + 1, max(n_cols - 1, 1)])
        )
        case.X_test, _, test_notes = draw(
            feature_matrices(draw(st.integers(1, 8)), test_cols)
        )
        case.notes.append(f"X_test {test_notes}")
    return case


def _classes(draw, y):
    """The ``classes`` of a first ``partial_fit``: right, too many, too few, bad."""
    labels = _label_values(y)
    kind = draw(st.sampled_from(["exact"] * 4 + ["extra", "missing", "none", "bad"]))
    if kind == "none" or labels is None:
        return None
    if kind == "extra" and isinstance(labels[-1], str):
        return np.array([*labels, "zzz"])
    if kind == "extra" and isinstance(labels[-1], int | float):
        return np.array([*labels, labels[-1] + 1])
    if kind == "missing":
        return np.array(labels[1:])
    if kind == "bad":
        return np.array(labels + labels[:1]) if labels else np.array([np.nan])
    return np.array(labels)


# ------------------------------------------------------------------------- activations
def _softsign(Z):
    return Z / (1 + np.abs(Z))


def _softsign_derivative(Z):
    return 1 / (1 + np.abs(Z)) ** 2


def _tanh_in_place(Z):
    return np.tanh(Z, out=Z)


def _tanh_derivative(Z):
    return 1 - np.tanh(Z) ** 2


def _as_list(Z):
    return Z.tolist()


def _integers(Z):
    return np.sign(Z).astype(np.int64)


def _raises(Z):
    raise RuntimeError("not defined here")


def _first_row(Z):
    return Z[:1]


def _nan_beyond_probe(Z):  # passes the probe on [-2, 2]
    return np.where(np.abs(Z) > 2.5, np.nan, Z)


def _float64(Z):
    return np.asarray(Z, dtype=np.float64)


# Functions users may hand to make_activation, good and bad.
USER_FUNCTIONS = [
    _softsign,
    _softsign_derivative,
    _tanh_in_place,
    _tanh_derivative,
    _as_list,
    _integers,
    _raises,
    _first_row,
    _float64,
    _nan_beyond_probe,
    np.tanh,
    None,
    "relu",
]
