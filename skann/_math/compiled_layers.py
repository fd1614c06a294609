"""A hidden relu layer's element-wise work as one compiled pass (optional numba).

In :func:`skann._math.backprop.forward_pass` a relu layer adds its bias and takes
``max(Z, 0)``; in :func:`skann._math.backprop.backward_pass` its delta is
multiplied by ``A > 0``. With NumPy each is two or three passes over the
activations (and a temporary boolean array); with the ``skann[numba]`` extra the
kernels here do each in one pass, with the same operations in the same order, so
the results are bit for bit those of :func:`skann._math.activations.relu` and
:func:`skann._math.activations.relu_derivative` (NaN and signed zeros included).
Without numba, :data:`AVAILABLE` is False and nothing here runs.
"""

try:
    from numba import njit
except ImportError:  # the optional extra is not installed
    njit = None

#: Whether the compiled kernels can run (numba is importable).
AVAILABLE = njit is not None


def _bias_relu(Z, b):
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            z = Z[i, j] + b[j]
            # np.maximum(z, 0): z when z > 0 or NaN; for z == 0 (either sign) the
            # second argument, +0.0
            Z[i, j] = z if (z > 0 or z != z) else 0.0


def _relu_backward(A, delta):
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            delta[i, j] = delta[i, j] * (1.0 if A[i, j] > 0 else 0.0)


if AVAILABLE:
    _FLAGS = {"cache": True, "error_model": "numpy", "nogil": True}
    _bias_relu = njit(**_FLAGS)(_bias_relu)
    _relu_backward = njit(**_FLAGS)(_relu_backward)


def bias_relu(Z, b):
    """``Z <- max(Z + b, 0)`` in place, in one pass.

    Parameters
    ----------
    Z : ndarray of shape (n, units), C-contiguous
        Net input without its bias; overwritten with the layer's output.
    b : ndarray of shape (units,)
        Bias of the layer.

    Returns
    -------
    A : ndarray
        ``Z``.
    """
    _bias_relu(Z, b)
    return Z


def relu_backward(A, delta):
    """``delta <- delta * (A > 0)`` in place, in one pass.

    Parameters
    ----------
    A : ndarray of shape (n, units)
        The layer's output.
    delta : ndarray of shape (n, units)
        Back-propagated error; overwritten.

    Returns
    -------
    delta : ndarray
    """
    _relu_backward(A, delta)
    return delta
