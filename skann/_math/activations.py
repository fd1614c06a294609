"""Transfer functions of hidden and output layers, each beside its derivative.

Each function ``g`` overwrites its argument ``Z`` (the net input of a layer, one
sample per row) with ``A = g(Z)`` and returns it, so a batch needs no new array.
Each derivative multiplies the back-propagated error ``delta`` in place by
``g'(Z)``, written in terms of the output ``A``: that is all the backward pass keeps.
See ``docs/math/activations``.
"""

from typing import NamedTuple

import numpy as np
from scipy.special import expit, ndtr


def identity(Z):
    """Identity ``g(z) = z``; ``Z`` is returned unchanged.

    Parameters
    ----------
    Z : ndarray
        Net input.

    Returns
    -------
    A : ndarray
        ``Z`` itself.

    Examples
    --------
    >>> import numpy as np
    >>> identity(np.array([-1.0, 2.0]))
    array([-1.,  2.])
    """
    return Z


def identity_derivative(A, delta):
    """``g'(z) = 1``: ``delta`` is left as it is.

    Parameters
    ----------
    A : ndarray
        Output of the layer (unused).
    delta : ndarray
        Back-propagated error, shape of ``A``.

    Returns
    -------
    delta : ndarray
        ``delta`` itself.
    """
    return delta


def logistic(Z):
    """Logistic sigmoid ``g(z) = 1 / (1 + exp(-z))``, in place.

    Parameters
    ----------
    Z : ndarray of float
        Net input; overwritten.

    Returns
    -------
    A : ndarray
        ``Z`` holding ``g(Z)``.

    Examples
    --------
    >>> import numpy as np
    >>> logistic(np.array([0.0]))
    array([0.5])
    """
    return expit(Z, out=Z)


def logistic_derivative(A, delta):
    """``g'(z) = g(z) (1 - g(z)) = A (1 - A)``, multiplied into ``delta`` in place.

    Parameters
    ----------
    A : ndarray
        Output of the layer, ``g(Z)``.
    delta : ndarray
        Back-propagated error; overwritten with ``delta * A * (1 - A)``.

    Returns
    -------
    delta : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> logistic_derivative(np.array([0.5]), np.array([1.0]))
    array([0.25])
    """
    delta *= A
    delta *= 1 - A
    return delta


def tanh(Z):
    """Hyperbolic tangent ``g(z) = tanh(z)``, in place.

    Parameters
    ----------
    Z : ndarray of float
        Net input; overwritten.

    Returns
    -------
    A : ndarray
        ``Z`` holding ``tanh(Z)``.

    Examples
    --------
    >>> import numpy as np
    >>> tanh(np.array([0.0]))
    array([0.])
    """
    return np.tanh(Z, out=Z)


def tanh_derivative(A, delta):
    """``g'(z) = 1 - tanh(z)^2 = 1 - A^2``, multiplied into ``delta`` in place.

    Parameters
    ----------
    A : ndarray
        Output of the layer, ``tanh(Z)``.
    delta : ndarray
        Back-propagated error; overwritten with ``delta * (1 - A^2)``.

    Returns
    -------
    delta : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> tanh_derivative(np.array([0.5]), np.array([2.0]))
    array([1.5])
    """
    delta *= 1 - A**2
    return delta


def relu(Z):
    """Rectified linear unit ``g(z) = max(z, 0)``, in place.

    Parameters
    ----------
    Z : ndarray of float
        Net input; overwritten.

    Returns
    -------
    A : ndarray
        ``Z`` holding ``max(Z, 0)``.

    Examples
    --------
    >>> import numpy as np
    >>> relu(np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    return np.maximum(Z, 0, out=Z)


def relu_derivative(A, delta):
    """``g'(z) = 1`` where ``z > 0``, else ``0``; read from ``A > 0``.

    At ``z = 0`` the derivative is taken as 0, as scikit-learn does.

    Parameters
    ----------
    A : ndarray
        Output of the layer, ``max(Z, 0)``.
    delta : ndarray
        Back-propagated error; zeroed where ``A == 0``.

    Returns
    -------
    delta : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> relu_derivative(np.array([0.0, 3.0]), np.array([5.0, 5.0]))
    array([0., 5.])
    """
    delta *= A > 0
    return delta


def softmax(Z):
    """Softmax over each row, ``a_k = exp(z_k) / sum_j exp(z_j)``, in place.

    The row maximum is subtracted first so ``exp`` cannot overflow; the result is
    the same. Its derivative is never needed on its own: paired with the
    cross-entropy it gives the output error ``A - Y`` (see
    :func:`skann._math.losses.output_error`).

    Parameters
    ----------
    Z : ndarray of float of shape (n_samples, K)
        Net input of the output layer; overwritten.

    Returns
    -------
    A : ndarray of shape (n_samples, K)
        ``Z`` holding the class probabilities; each row sums to 1.

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([[0.0, 0.0]]))
    array([[0.5, 0.5]])
    """
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


def leaky_relu(Z, slope=0.01):
    """Leaky rectifier ``g(z) = z`` for ``z > 0``, ``slope z`` otherwise, in place.

    Parameters
    ----------
    Z : ndarray of float
        Net input; overwritten.
    slope : float, default=0.01
        Gradient on the negative side.

    Returns
    -------
    A : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> leaky_relu(np.array([-2.0, 3.0]))
    array([-0.02,  3.  ])
    """
    Z *= np.where(Z > 0, 1.0, slope).astype(Z.dtype, copy=False)
    return Z


def leaky_relu_derivative(A, delta, slope=0.01):
    """``g'(z) = 1`` for ``z > 0``, else ``slope``; read from the sign of ``A``.

    Parameters
    ----------
    A : ndarray
        Output of the layer (same sign as ``Z`` since ``slope > 0``).
    delta : ndarray
        Back-propagated error; multiplied in place.
    slope : float, default=0.01
        Gradient on the negative side.

    Returns
    -------
    delta : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> leaky_relu_derivative(np.array([-0.02, 3.0]), np.array([1.0, 1.0]))
    array([0.01, 1.  ])
    """
    delta *= np.where(A > 0, 1.0, slope).astype(delta.dtype, copy=False)
    return delta


def gelu(Z):
    """Gaussian error linear unit ``g(z) = z Phi(z)``, in place.

    ``Phi`` is the standard normal distribution function (Hendrycks and Gimpel,
    2016; the exact form, not the tanh approximation).

    Parameters
    ----------
    Z : ndarray of float
        Net input; overwritten.

    Returns
    -------
    A : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> gelu(np.array([0.0, 1.0])).round(4)
    array([0.    , 0.8413])
    """
    Z *= ndtr(Z)
    return Z


def gelu_derivative(Z, delta):
    """``g'(z) = Phi(z) + z phi(z)``; needs the net input ``Z``, not ``A``.

    Parameters
    ----------
    Z : ndarray
        Net input of the layer.
    delta : ndarray
        Back-propagated error; multiplied in place.

    Returns
    -------
    delta : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> gelu_derivative(np.array([0.0]), np.array([1.0]))
    array([0.5])
    """
    density = np.exp(-0.5 * Z**2) / np.sqrt(2 * np.pi)
    delta *= ndtr(Z) + Z * density
    return delta


class Activation(NamedTuple):
    """A transfer function and its derivative, as the backward pass uses them.

    ``function(Z)`` returns ``A = g(Z)`` (it may overwrite ``Z``);
    ``derivative(S, delta)`` multiplies ``delta`` in place by ``g'(Z)``, where
    ``S`` is the layer's output ``A``, or its net input ``Z`` when
    ``from_net_input`` is true (for functions whose derivative cannot be read from
    ``A``, such as GELU).
    """

    function: object
    derivative: object
    from_net_input: bool = False


def make_activation(function, derivative):
    """Wrap a user's transfer function and its derivative for the network.

    Parameters
    ----------
    function : callable
        ``g``: takes the net input ``Z`` (an ndarray) and returns ``g(Z)`` of the
        same shape, without modifying ``Z``.
    derivative : callable
        ``g'``: takes ``Z`` and returns ``g'(Z)`` elementwise.

    Returns
    -------
    activation : Activation
        Pass it as ``BackpropMLPClassifier(activation=...)``. Use module-level
        functions (not lambdas) if the estimator must be pickled. Check the pair
        with :func:`skann.check_gradient`.

    Examples
    --------
    >>> import numpy as np
    >>> def softsign(Z):
    ...     return Z / (1 + np.abs(Z))
    >>> def softsign_derivative(Z):
    ...     return 1 / (1 + np.abs(Z)) ** 2
    >>> act = make_activation(softsign, softsign_derivative)
    >>> act.function(np.array([1.0]))
    array([0.5])
    """
    for name, value in (("function", function), ("derivative", derivative)):
        if not callable(value):
            raise TypeError(
                f"make_activation's {name} must be a callable taking the net input "
                f"Z; got {value!r} of type {type(value).__name__}."
            )
    for dtype in (np.float64, np.float32):
        probe = np.linspace(-2.0, 2.0, 6, dtype=dtype).reshape(2, 3)
        for name, value in (("function", function), ("derivative", derivative)):
            _check_probe(name, value, probe)
    return Activation(
        _UserFunction(function), _UserDerivative(derivative), from_net_input=True
    )


def _check_probe(name, callable_, Z):
    """Raise unless ``callable_(Z)`` is a finite array of Z's shape and dtype."""
    label = getattr(callable_, "__qualname__", repr(callable_))
    try:
        result = callable_(Z.copy())
    except Exception as error:
        raise ValueError(
            f"make_activation's {name} {label} failed on a {Z.dtype} array of shape "
            f"{Z.shape}: {type(error).__name__}: {error}"
        ) from error
    if not isinstance(result, np.ndarray):
        raise ValueError(
            f"make_activation's {name} {label} returned {type(result).__name__}; it "
            f"must return an ndarray of the net input's shape {Z.shape} and dtype."
        )
    if result.shape != Z.shape or result.dtype != Z.dtype:
        raise ValueError(
            f"make_activation's {name} {label} returned shape {result.shape} and "
            f"dtype {result.dtype} for a net input of shape {Z.shape} and dtype "
            f"{Z.dtype}; they must be the same."
        )
    if not np.isfinite(result).all():
        raise ValueError(
            f"make_activation's {name} {label} returned NaN or inf for finite net "
            f"inputs in [-2, 2]."
        )


class _UserFunction:
    """``g`` of a user activation, in the calling convention of the built-ins."""

    def __init__(self, function):
        self.function = function

    def __call__(self, Z):
        A = np.asarray(self.function(Z), dtype=Z.dtype)
        _check_finite_output("function", self.function, A, Z)
        return A

    def __eq__(self, other):
        return isinstance(other, _UserFunction) and other.function is self.function

    def __hash__(self):
        return hash(self.function)


class _UserDerivative(_UserFunction):
    """``delta *= g'(Z)`` for a user derivative that returns ``g'(Z)``."""

    def __call__(self, Z, delta):
        derivative = np.asarray(self.function(Z), dtype=delta.dtype)
        _check_finite_output("derivative", self.function, derivative, Z)
        delta *= derivative
        return delta


def _check_finite_output(name, callable_, result, Z):
    """Raise where a user function gives NaN or inf for a finite net input.

    The probe of :func:`make_activation` sees net inputs in [-2, 2] only; training
    and prediction reach others. (Non-finite net inputs come from a diverging fit,
    which training reports itself.)
    """
    if np.isfinite(result).all():
        return
    bad = ~np.isfinite(result) & np.isfinite(Z)
    if bad.any():
        label = getattr(callable_, "__qualname__", repr(callable_))
        raise ValueError(
            f"make_activation's {name} {label} returned NaN or inf for finite net "
            f"inputs between {Z[bad].min():.6g} and {Z[bad].max():.6g}; it must "
            "return finite values for every finite net input."
        )


#: Hidden-layer activations by the name ``activation`` takes.
ACTIVATIONS = {
    "identity": Activation(identity, identity_derivative),
    "logistic": Activation(logistic, logistic_derivative),
    "tanh": Activation(tanh, tanh_derivative),
    "relu": Activation(relu, relu_derivative),
    "leaky_relu": Activation(leaky_relu, leaky_relu_derivative),
    "gelu": Activation(gelu, gelu_derivative, from_net_input=True),
}

#: Output-layer transfer functions, by scikit-learn's ``out_activation_`` names.
OUTPUT_ACTIVATIONS = {"logistic": logistic, "softmax": softmax}

#: Every activation ``activation`` takes by name: the built-ins and those registered
#: by :func:`register_activation`. The estimator's parameter check reads its keys,
#: so a name registered after import is valid too.
NAMED_ACTIVATIONS = dict(ACTIVATIONS)


def register_activation(name, function, derivative):
    """Give a transfer function and its derivative a name ``activation`` takes.

    A network built with ``activation=name`` stores the name only: it is a plain
    string in ``get_params()`` and in a saved model, so a model saved with
    ``skops.io`` needs no trust in your functions. Register the name again (in the
    process that loads the model) before the loaded model predicts or trains.

    Parameters
    ----------
    name : str
        The name; not one of the built-in activations.
    function : callable
        ``g``, as :func:`make_activation` takes it.
    derivative : callable
        ``g'``, as :func:`make_activation` takes it.

    Returns
    -------
    activation : Activation
        What :func:`make_activation` returns for the pair. Registering a name again
        replaces its functions.

    See Also
    --------
    make_activation : The same pair without a name.

    Examples
    --------
    >>> import numpy as np
    >>> from skann import BackpropMLPClassifier, register_activation
    >>> def softsign(Z):
    ...     return Z / (1 + np.abs(Z))
    >>> def softsign_derivative(Z):
    ...     return 1 / (1 + np.abs(Z)) ** 2
    >>> _ = register_activation("softsign", softsign, softsign_derivative)
    >>> BackpropMLPClassifier(activation="softsign").get_params()["activation"]
    'softsign'
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}.")
    if name in ACTIVATIONS:
        raise ValueError(
            f"{name!r} is a built-in activation; register yours under another name."
        )
    activation = make_activation(function, derivative)
    NAMED_ACTIVATIONS[name] = activation
    return activation


def activation_named(name):
    """The activation ``activation=name`` stands for.

    Parameters
    ----------
    name : str
        A built-in or registered name.

    Returns
    -------
    activation : Activation

    Raises
    ------
    ValueError
        If no activation of that name is registered in this process, as happens
        when a model saved with a registered activation is loaded before its name
        is registered again.
    """
    try:
        return NAMED_ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"activation={name!r} is not a built-in activation and is not "
            f"registered in this Python process; call skann.register_activation("
            f"{name!r}, function, derivative) first (a model saved with a "
            "registered activation keeps its name only)."
        ) from None
