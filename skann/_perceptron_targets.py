"""The targets and weights of PerceptronClassifier: labels checked and encoded for the
rule, the classes of ``partial_fit``, and the training weights."""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from skann._compat import _check_sample_weight
from skann._validation import (
    check_class_weight,
    check_classes,
    check_label_types,
    check_weight_total,
    class_weight_per_sample,
    ravel_column_vector,
)


def check_targets(est, y):
    """Return ``y`` as 1-D labels or a 2-D indicator, and its target type."""
    check_label_types(y)
    y = ravel_column_vector(y)
    kind = type_of_target(y, input_name="y")
    if kind not in ("binary", "multiclass", "multilabel-indicator"):
        check_classification_targets(y)  # scikit-learn's error for non-class targets
        raise ValueError(
            f"PerceptronClassifier supports binary, multiclass and multilabel "
            f"indicator targets, got {kind!r} targets."
        )
    if kind == "multilabel-indicator":
        if est.multi_class == "multinomial":
            raise ValueError(
                "multi_class='multinomial' needs one class per sample; "
                "multilabel targets need multi_class='ovr'."
            )
        if est.class_weight is not None:
            raise ValueError("class_weight is not supported for multilabel targets.")
    return y, kind


def encode_targets(est, y, classes):
    """Targets in the form the rule uses: ±1 per neuron, or class codes."""
    if y.ndim == 2:
        return np.where(np.asarray(y) > 0, np.int8(1), np.int8(-1))
    codes = np.searchsorted(classes, y)
    if len(classes) == 2:
        return np.where(codes == 1, np.int8(1), np.int8(-1))[:, None]
    if est.multi_class == "multinomial":
        return codes
    same = codes[:, None] == np.arange(len(classes))
    return np.where(same, np.int8(1), np.int8(-1))


def training_weights(est, X, y, sample_weight, classes, class_counts):
    """``sample_weight`` times the class weights, as an array of X's dtype."""
    sw = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
    if est.class_weight is not None and y.ndim == 1:
        check_class_weight(est.class_weight, classes)
        per_sample = class_weight_per_sample(est.class_weight, classes, y, class_counts)
        with np.errstate(over="ignore"):
            sw = sw * per_sample.astype(X.dtype)
    check_weight_total(sw, X.dtype)
    return sw


def n_neurons(est, kind, classes):
    """Neurons of the layer: one per class or label, one for two classes."""
    return len(classes) if kind == "multilabel-indicator" or len(classes) > 2 else 1


def partial_fit_classes(est, y, kind, classes, first):
    """The classes of a ``partial_fit`` call, checked against earlier calls."""
    if kind == "multilabel-indicator":
        inferred = np.arange(y.shape[1])
        classes = inferred if classes is None else np.asarray(classes)
        if not np.array_equal(classes, inferred):
            raise ValueError(
                f"classes={classes.tolist()} does not match the {y.shape[1]} "
                "columns of the multilabel indicator y."
            )
    elif classes is None:
        if first:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        classes = est.classes_
    else:
        classes = check_classes(classes)
    if not first and not np.array_equal(classes, est.classes_):
        raise ValueError(
            f"`classes={classes.tolist()}` is not the same as on the first call "
            f"to partial_fit, classes_={est.classes_.tolist()}."
        )
    if len(classes) < 2:
        raise ValueError(
            "classes must hold at least 2 classes; PerceptronClassifier needs "
            f"samples of at least 2 classes, got {classes.tolist()}."
        )
    return classes
