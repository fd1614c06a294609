"""The targets of BackpropMLPClassifier: labels to output units and back."""

import numpy as np


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
