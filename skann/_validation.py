"""The checks of targets, classes and weights that both estimators share.

Each raises a ``ValueError`` or ``TypeError`` that names the parameter, the value
received and what is allowed, before any training starts.
"""

import warnings
from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import compute_class_weight
from sklearn.utils.validation import column_or_1d

from skann._engine import user_stacklevel


def ravel_column_vector(y):
    """``y``, or ``y`` of shape ``(n, 1)`` made 1-D with scikit-learn's warning.

    The warning is scikit-learn's ``DataConversionWarning`` of
    ``column_or_1d(y, warn=True)``, issued at the user's line that called ``fit``
    (``column_or_1d`` would name its caller, inside skann).

    Parameters
    ----------
    y : ndarray
        Validated targets.

    Returns
    -------
    y : ndarray
        ``y`` itself unless it has one column, raveled then.
    """
    if y.ndim != 2 or y.shape[1] != 1:
        return y
    y = column_or_1d(y)  # first, as scikit-learn: a sparse y raises, unwarned
    warnings.warn(
        "A column-vector y was passed when a 1d array was expected. Please change "
        "the shape of y to (n_samples, ), for example using ravel().",
        DataConversionWarning,
        stacklevel=user_stacklevel(),
    )
    return y


def check_class_weight(class_weight, classes):
    """Raise unless each weight of a ``class_weight`` dict is finite and >= 0.

    Parameters
    ----------
    class_weight : dict, "balanced" or None
        The estimator's parameter.
    classes : ndarray of shape (n_classes,)
        The classes of the problem.

    Raises
    ------
    TypeError
        When a weight is not a real number.
    ValueError
        When a weight is negative, NaN or infinite.

    Examples
    --------
    >>> check_class_weight({0: 1.0, 1: 2.0}, [0, 1])
    >>> check_class_weight({0: -1.0, 1: 2.0}, [0, 1])
    Traceback (most recent call last):
    ...
    ValueError: class_weight[0] is -1.0; class weights must be finite and >= 0.
    """
    if not isinstance(class_weight, dict):
        return
    for label, weight in class_weight.items():
        label = label.item() if isinstance(label, np.generic) else label
        if isinstance(weight, bool) or not isinstance(weight, Real | np.number):
            raise TypeError(
                f"class_weight[{label!r}] is {weight!r} of type "
                f"{type(weight).__name__}; class weights must be real numbers."
            )
        weight = weight.item() if isinstance(weight, np.generic) else weight
        if not (np.isfinite(weight) and weight >= 0):
            raise ValueError(
                f"class_weight[{label!r}] is {weight!r}; class weights must be "
                "finite and >= 0."
            )


def check_label_types(y, name="y"):
    """Raise unless the labels of ``y`` can be sorted into ``classes_``.

    Labels of several types (strings and numbers, or None among strings) cannot
    be compared, and NumPy's sort then fails with a message that names no input.

    Parameters
    ----------
    y : array-like
        Labels.
    name : str, default="y"
        How the error names ``y``.

    Raises
    ------
    TypeError
        Naming ``name`` and the types of its labels.

    Examples
    --------
    >>> check_label_types(np.array(["a", "b"], dtype=object))
    >>> check_label_types(np.array(["a", 1], dtype=object))
    Traceback (most recent call last):
    ...
    TypeError: y holds labels of the types ['int', 'str'], which cannot be sorted \
into classes; give labels of one type (all strings or all numbers).
    """
    values = np.asarray(y)
    if values.dtype.kind != "O":
        return
    try:
        np.unique(values)
    except TypeError:
        types = sorted({type(value).__name__ for value in values.ravel().tolist()})
        raise TypeError(
            f"{name} holds labels of the types {types}, which cannot be sorted into "
            "classes; give labels of one type (all strings or all numbers)."
        ) from None


def check_classes(classes):
    """The sorted classes given to ``partial_fit``: no NaN, no duplicates.

    Parameters
    ----------
    classes : array-like of shape (n_classes,)
        All the classes of the problem.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        Sorted.

    Raises
    ------
    ValueError
        When ``classes`` holds NaN or a label twice.

    Examples
    --------
    >>> check_classes([2, 0, 1])
    array([0, 1, 2])
    >>> check_classes([0, 1, 1])
    Traceback (most recent call last):
    ...
    ValueError: classes=[0, 1, 1] holds the label 1 more than once.
    """
    check_label_types(classes, name="classes")
    values = np.asarray(classes)
    if values.ndim != 1:
        raise ValueError(f"classes must be 1-D, got shape {values.shape}.")
    if values.dtype.kind in "fc" and np.isnan(values).any():
        raise ValueError(
            f"classes={values.tolist()} holds NaN; labels must be NaN-free."
        )
    unique, counts = np.unique(values, return_counts=True)
    if (counts > 1).any():
        raise ValueError(
            f"classes={values.tolist()} holds the label "
            f"{unique[counts > 1][0].item()!r} more than once."
        )
    return unique


def check_known_labels(y, classes, name="y"):
    """Raise if ``y`` holds labels outside ``classes``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Labels.
    classes : ndarray of shape (n_classes,)
        The labels the model knows.
    name : str, default="y"
        How the error names ``y``.

    Raises
    ------
    ValueError
        Naming the unknown labels and the known ones.
    """
    unseen = np.setdiff1d(np.unique(y), classes)
    if len(unseen):
        raise ValueError(
            f"{name} holds the labels {unseen.tolist()} that are not in classes "
            f"{np.asarray(classes).tolist()}."
        )


def class_weight_per_sample(class_weight, classes, y, class_counts):
    """The class weight of each sample, to multiply into its sample weight.

    Parameters
    ----------
    class_weight : dict or "balanced"
        Weight of each class, or ``"balanced"``:
        ``n_samples / (n_classes * count_c)`` computed from ``class_counts``, the
        counts of everything seen so far (so ``partial_fit`` stays balanced over
        the whole stream). Classes not seen yet get weight 0 (they have no samples).
    classes : ndarray of shape (n_classes,)
        Sorted class labels.
    y : ndarray of shape (n_samples,)
        Labels.
    class_counts : ndarray of int of shape (n_classes,)
        Samples of each class seen so far, this call included.

    Returns
    -------
    weights : ndarray of float64 of shape (n_samples,)
    """
    if class_weight == "balanced":
        seen = class_counts > 0
        per_class = np.zeros(len(classes), dtype=np.float64)
        per_class[seen] = class_counts.sum() / (seen.sum() * class_counts[seen])
    else:
        per_class = compute_class_weight(class_weight, classes=classes, y=y)
    return per_class[np.searchsorted(classes, y)]


def check_weight_total(sample_weight, dtype):
    """Raise unless the training weights (sample times class weights) and their
    sum are finite in ``dtype``.

    Losses, scores and the averaged rule's mean are weighted by these numbers;
    weights whose sum overflows would turn them into inf or NaN.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_samples,) or None
        ``sample_weight`` times the class weight of each sample.
    dtype : dtype
        The floating type training computes in.

    Raises
    ------
    ValueError
        Naming the largest weight and the sum.

    Examples
    --------
    >>> check_weight_total(np.array([1.0, 2.0]), np.float64)
    >>> check_weight_total(np.array([1e308, 1e308]), np.float64)
    Traceback (most recent call last):
    ...
    ValueError: sample_weight times class_weight reaches 1e+308 and sums to inf in \
float64; divide the weights by a common factor.
    """
    if sample_weight is None:
        return
    with np.errstate(over="ignore"):
        total = np.sum(sample_weight, dtype=dtype)
    if not (np.isfinite(total) and np.isfinite(sample_weight).all()):
        raise ValueError(
            f"sample_weight times class_weight reaches {np.max(sample_weight):.3g} "
            f"and sums to {total:.3g} in {np.dtype(dtype).name}; divide the weights "
            "by a common factor."
        )


def target_array(y, name="y"):
    """``y`` as an array; a sparse matrix is refused, as ``fit`` refuses it.

    Parameters
    ----------
    y : array-like
        Labels or a label indicator matrix.
    name : str, default="y"
        How the error names ``y``.

    Returns
    -------
    y : ndarray

    Raises
    ------
    TypeError
        When ``y`` is a sparse matrix.

    Examples
    --------
    >>> from scipy import sparse
    >>> target_array(sparse.csr_matrix([[0], [1]]))
    Traceback (most recent call last):
    ...
    TypeError: y is a sparse matrix (csr_matrix); pass labels as a dense array, \
e.g. y.toarray().
    """
    if sparse.issparse(y):
        raise TypeError(
            f"{name} is a sparse matrix ({type(y).__name__}); pass labels as a dense "
            f"array, e.g. {name}.toarray()."
        )
    return np.asarray(y)
