"""The targets of BackpropMLPClassifier: labels checked, turned into output units and
back, the training weights, and the validation set given to ``fit``."""

import numpy as np
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_consistent_length, validate_data

from skann._compat import _check_sample_weight
from skann._validation import (
    check_class_weight,
    check_classes,
    check_known_labels,
    check_label_types,
    check_weight_total,
    class_weight_per_sample,
    ravel_column_vector,
)


def target_matrix(binarizer, y, dtype):
    """The network's targets ``Y`` in ``dtype``, and each sample's class index.

    ``Y`` is what ``binarizer.transform(y)`` returns: one-hot rows for three
    classes or more, one column (1 for ``classes_[1]``) for two, and a multilabel
    indicator matrix as it is. For labels it is built from their indices in
    ``classes_``, without the transform's type checks and sparse intermediate
    (which cost more than the rest of a small ``partial_fit``).

    Parameters
    ----------
    binarizer : sklearn.preprocessing.LabelBinarizer
        Fitted; every label of ``y`` is in its ``classes_``.
    y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        Labels, or a multilabel indicator matrix.
    dtype : numpy dtype
        Of ``Y``.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_outputs)
    labels : ndarray of int of shape (n_samples,) or None
        Index of each sample's label in ``classes_``; None for multilabel ``y``.
    """
    if y.ndim != 1:
        return binarizer.transform(y).astype(dtype), None
    labels = np.searchsorted(binarizer.classes_, y)
    n_classes = len(binarizer.classes_)
    if n_classes <= 2:  # one logistic output (all 0 for a single class)
        return (labels == 1).astype(dtype).reshape(-1, 1), labels
    Y = np.zeros((len(labels), n_classes), dtype)
    Y[np.arange(len(labels)), labels] = 1
    return Y, labels


def labels_of(binarizer, output):
    """``binarizer.inverse_transform(output)``: the class of greatest output for
    several classes, ``classes_[1]`` where the single output exceeds 0.5 for two.

    Computed directly for class labels, without the transform's checks (which
    cost more than predicting a few rows); multilabel outputs go through it.
    """
    if binarizer.y_type_ == "multiclass":
        return binarizer.classes_.take(output.argmax(axis=1))
    if binarizer.y_type_ == "binary" and output.shape[1] == 1:
        if len(binarizer.classes_) == 1:  # a single class: always that one
            return np.repeat(binarizer.classes_, output.shape[0])
        return binarizer.classes_[(output[:, 0] > 0.5).astype(np.intp)]
    return binarizer.inverse_transform(output)


def check_target_kind(binarizer, y, name):
    """Raise if ``y`` is class labels for a model of multilabel targets, or the
    other way round (the output layer and its loss differ)."""
    model_multilabel = binarizer.y_type_.startswith("multilabel")
    if model_multilabel == (y.ndim == 2):
        return
    model, given = (
        ("a multilabel indicator matrix", "class labels")
        if model_multilabel
        else ("class labels", "a multilabel indicator matrix")
    )
    if name == "y_val":
        raise ValueError(f"y_val is {given} but y is {model}; give both of one kind.")
    raise ValueError(
        f"The model was trained on {model}, but y is {given}. Fit a new model "
        "(warm_start=False) to change the kind of target."
    )


def fit_targets(est, y, classes, first, incremental):
    """Validate the labels of a ``fit`` or ``partial_fit`` call; return the
    binarizer to use and ``y``."""
    check_label_types(y)
    y = ravel_column_vector(y)
    check_classification_targets(y)
    if first:
        binarizer = LabelBinarizer()
        if incremental and y.ndim == 1:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            binarizer.fit(check_classes(classes))
            check_known_labels(y, binarizer.classes_)
        else:
            binarizer.fit(y)
    else:
        binarizer = est._label_binarizer
        check_target_kind(binarizer, y, "y")
        labels = unique_labels(y)
        if est.warm_start and not incremental:
            if set(labels) != set(est.classes_):
                # scikit-learn's message, which code written for it may match
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes "
                    "as in the previous call to fit. Previously got "
                    f"{est.classes_}, `y` has {labels}"
                )
        elif classes is not None and not np.array_equal(
            check_classes(classes), est.classes_
        ):
            raise ValueError(
                f"classes={list(classes)} differs from classes_="
                f"{est.classes_.tolist()} of the earlier calls."
            )
        check_known_labels(labels, est.classes_)
    return binarizer, y


def training_weights(est, X, y, labels, sample_weight, binarizer, first, incremental):
    """The training weights (class weights included) and the total weight per
    class seen so far; ``labels`` are the class indices of
    :func:`target_matrix`."""
    raw = None
    if sample_weight is not None:
        raw = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
    counts = None
    if labels is not None:
        # Total sample weight per class, so that "balanced" treats a weight k
        # as k copies of a sample.
        counts = np.bincount(labels, weights=raw, minlength=len(binarizer.classes_))
        if incremental and not first:
            counts = counts + est._class_counts
    if est.class_weight is None:
        check_weight_total(raw, X.dtype)
        return raw, counts
    if y.ndim == 2:
        raise ValueError("class_weight is not supported for multilabel targets.")
    check_class_weight(est.class_weight, binarizer.classes_)
    per_sample = class_weight_per_sample(
        est.class_weight, binarizer.classes_, y, counts
    )
    sw = per_sample.astype(X.dtype)
    if raw is not None:
        with np.errstate(over="ignore"):
            sw *= raw
    check_weight_total(sw, X.dtype)
    if not sw.any():
        raise ValueError("class_weight gives every sample a zero weight.")
    return sw, counts


def validation_set(est, validation, binarizer, dtype, class_counts):
    """``X_val, y_val, sample_weight_val`` given to ``fit``, checked and encoded
    (``(X_val, Y_val, sw_val)``), or None when none was given."""
    X_val, y_val, sw_val = validation if validation else (None, None, None)
    if X_val is None and y_val is None:
        if sw_val is not None:
            raise ValueError("sample_weight_val is given without X_val, y_val.")
        return None
    if X_val is None or y_val is None:
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise ValueError(f"{given} is given but {missing} is not.")
    if not est.early_stopping:
        raise ValueError(
            "X_val and y_val are given but early_stopping=False; set "
            "early_stopping=True to use them."
        )
    X_val = validate_data(est, X_val, accept_sparse="csr", dtype=dtype, reset=False)
    y_val = np.asarray(y_val)
    if y_val.ndim == 2 and y_val.shape[1] == 1:
        y_val = y_val.ravel()
    check_consistent_length(X_val, y_val)
    check_target_kind(binarizer, y_val, "y_val")
    if y_val.ndim == 1:
        check_label_types(y_val, name="y_val")
        try:
            check_classification_targets(y_val)
        except ValueError as error:
            raise ValueError(f"y_val: {error}") from error
        check_known_labels(y_val, binarizer.classes_, name="y_val")
    Y_val, _ = target_matrix(binarizer, y_val, dtype)
    if sw_val is not None or est.class_weight is not None:
        sw_val = _check_sample_weight(
            sw_val, X_val, dtype=dtype, ensure_non_negative=True
        )
    if est.class_weight is not None and y_val.ndim == 1:
        # Score the validation set with the weights training minimises.
        sw_val *= class_weight_per_sample(
            est.class_weight, binarizer.classes_, y_val, class_counts
        ).astype(dtype)
    return X_val, Y_val, sw_val
