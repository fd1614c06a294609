"""A gradient check for BackpropMLPClassifier: backpropagation against central
differences, for any configuration, user activations included."""

from numbers import Integral, Real

import numpy as np
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_consistent_length

from skann._compat import _check_sample_weight
from skann._math.backprop import ParameterLayout, loss_and_gradient
from skann._math.dropout import dropout_masks
from skann._mlp import BackpropMLPClassifier
from skann._mlp_parameters import dropout_rates, hidden_units, initial_parameters
from skann._validation import check_label_types, target_array


def check_gradient(
    estimator, X, y, sample_weight=None, *, step=1e-4, max_params=None, random_state=0
):
    """Largest relative error between backpropagation and finite differences.

    The loss of ``estimator``'s network (its activation, output layer, ``alpha``
    and ``dropout`` with one fixed random mask) on ``(X, y)`` is differentiated
    twice, in float64: by :func:`skann._math.backprop.loss_and_gradient`
    (backpropagation) and by the five-point central difference
    ``(-f(t+2h) + 8 f(t+h) - 8 f(t-h) + f(t-2h)) / (12 h)`` in each parameter.
    The weights are the fitted ones if ``estimator`` is fitted with a network of
    the shape ``(X, y)`` asks for (same features, hidden layers and outputs), else
    initial ones drawn as ``fit`` would.

    Parameters
    ----------
    estimator : BackpropMLPClassifier
        The configuration to check; it is not modified.
    X : array-like of shape (n_samples, n_features)
        A few samples (the check costs four loss evaluations per parameter).
    y : array-like of shape (n_samples,) or (n_samples, n_labels)
        Their labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights, non-negative and not all zero (as ``fit`` takes them).
    step : float, default=1e-4
        ``h``, > 0.
    max_params : int >= 1, default=None
        Check only this many parameters, drawn at random; all when None.
    random_state : int or RandomState, default=0
        Draws the initial weights, the dropout mask and the checked parameters.

    Returns
    -------
    error : float
        ``max_i |g_i - d_i| / max(|g_i|, |d_i|, 1e-6 max_j |g_j|)`` over the checked
        parameters, with ``g`` backpropagation's gradient and ``d`` the finite
        difference. Correct code gives about 1e-8; a wrong derivative gives
        1e-3 or more.

    Examples
    --------
    >>> import numpy as np
    >>> from skann import BackpropMLPClassifier, check_gradient
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.normal(size=(8, 3)), np.array([0, 1, 2, 0, 1, 2, 0, 1])
    >>> clf = BackpropMLPClassifier(hidden_layer_sizes=(4,), activation="tanh")
    >>> check_gradient(clf, X, y) < 1e-6
    True
    """
    if not isinstance(estimator, BackpropMLPClassifier):
        raise TypeError(
            "check_gradient checks a BackpropMLPClassifier's backpropagation; got "
            f"{type(estimator).__name__}, which has no gradient to check."
        )
    if isinstance(step, bool) or not isinstance(step, Real):
        raise TypeError(
            f"step={step!r} of type {type(step).__name__}; the finite-difference "
            "step must be a real number > 0."
        )
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"step={step!r}; the finite-difference step must be > 0.")
    if max_params is not None:
        if isinstance(max_params, bool) or not isinstance(max_params, Integral):
            raise TypeError(
                f"max_params={max_params!r} of type {type(max_params).__name__}; "
                "max_params must be None or an integer >= 1."
            )
        if max_params < 1:
            raise ValueError(
                f"max_params={max_params!r}; max_params must be None or an integer "
                ">= 1 (the number of parameters to check)."
            )
    rng = check_random_state(random_state)
    X = check_array(X, dtype=np.float64)
    y = check_array(target_array(y), ensure_2d=False, dtype=None, input_name="y")
    check_consistent_length(X, y, sample_weight)
    check_label_types(y)
    check_classification_targets(y)
    binarizer = LabelBinarizer().fit(y)
    Y = binarizer.transform(y).astype(np.float64)
    out_activation = "softmax" if binarizer.y_type_ == "multiclass" else "logistic"
    hidden = hidden_units(estimator)
    layout = ParameterLayout([X.shape[1], *hidden, Y.shape[1]])
    fitted = (
        hasattr(estimator, "coefs_")
        and [W.shape for W in estimator.coefs_] == layout.shapes
    )
    if fitted:
        theta = layout.pack(estimator.coefs_, estimator.intercepts_, np.float64)
    else:
        theta = initial_parameters(estimator, layout, np.float64, rng)
    sw = None
    if sample_weight is not None:
        sw = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
    rates = dropout_rates(estimator, len(hidden))
    masks = None
    if any(rates):
        masks = dropout_masks(rng, X.shape[0], hidden, rates, np.float64)
    activation = estimator._activation()

    def evaluate(parameters):
        return loss_and_gradient(
            parameters,
            layout,
            X,
            Y,
            activation,
            out_activation,
            estimator.alpha,
            sw,
            masks=masks,
        )

    gradient = evaluate(theta)[1]
    indices = np.arange(layout.size)
    if max_params is not None and max_params < layout.size:
        indices = rng.choice(layout.size, size=max_params, replace=False)
    differences = np.empty(len(indices))
    for k, i in enumerate(indices):
        values = []
        for offset in (2 * step, step, -step, -2 * step):
            shifted = theta.copy()
            shifted[i] += offset
            values.append(evaluate(shifted)[0])
        differences[k] = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (
            12 * step
        )
    analytic = gradient[indices]
    floor = 1e-6 * np.abs(gradient).max()
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(differences)), floor)
    return float(np.max(np.abs(analytic - differences) / scale))
