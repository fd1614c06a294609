"""Initial weights of a multi-layer perceptron."""

import numpy as np


def glorot_uniform(fan_in, fan_out, activation, random_state, dtype=np.float64):
    """Glorot (Xavier) uniform initialisation, as scikit-learn's MLP draws it.

    ``W`` and ``b`` are drawn from ``U(-r, r)`` with
    ``r = sqrt(f / (fan_in + fan_out))``, ``f = 2`` for the logistic activation and
    ``f = 6`` otherwise (Glorot and Bengio, 2010). The weights are drawn before the
    biases, layer after layer, so the same ``random_state`` gives scikit-learn's
    initial network.

    Parameters
    ----------
    fan_in, fan_out : int
        Units feeding the layer and units in it.
    activation : str
        Name of the hidden activation.
    random_state : numpy.random.RandomState
        Source of randomness.
    dtype : dtype, default=np.float64
        Of the result.

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)
    b : ndarray of shape (fan_out,)

    Examples
    --------
    >>> import numpy as np
    >>> W, b = glorot_uniform(4, 2, "relu", np.random.RandomState(0))
    >>> bool(np.all(np.abs(W) <= 1.0)), W.shape, b.shape
    (True, (4, 2), (2,))
    """
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    return _uniform_layer(bound, fan_in, fan_out, random_state, dtype)


def he_uniform(fan_in, fan_out, random_state, dtype=np.float64):
    """He (Kaiming) uniform initialisation for rectifier networks.

    ``W`` and ``b`` are drawn from ``U(-r, r)`` with ``r = sqrt(6 / fan_in)``, which
    keeps the variance of a relu layer's output equal to its input's (He et al.,
    2015).

    Parameters
    ----------
    fan_in, fan_out : int
        Units feeding the layer and units in it.
    random_state : numpy.random.RandomState
        Source of randomness.
    dtype : dtype, default=np.float64
        Of the result.

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)
    b : ndarray of shape (fan_out,)

    Examples
    --------
    >>> import numpy as np
    >>> W, b = he_uniform(6, 3, np.random.RandomState(0))
    >>> bool(np.all(np.abs(W) <= 1.0)), W.shape
    (True, (6, 3))
    """
    bound = np.sqrt(6.0 / fan_in)
    return _uniform_layer(bound, fan_in, fan_out, random_state, dtype)


def _uniform_layer(bound, fan_in, fan_out, random_state, dtype):
    # Weights first, then biases: the order of scikit-learn's draws.
    W = random_state.uniform(-bound, bound, (fan_in, fan_out))
    b = random_state.uniform(-bound, bound, fan_out)
    return W.astype(dtype, copy=False), b.astype(dtype, copy=False)
