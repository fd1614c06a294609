"""The one switch between a compiled kernel and the NumPy reference it reproduces.

Every numba kernel lives in ``skann._kernels.<module>`` under the name of the function
it reproduces in ``skann._math.<module>``. :func:`implementation` returns one or the
other: the kernel while the ``compiled`` setting is on and numba can be imported, the
reference otherwise. The setting comes from the ``SKANN_COMPILED`` environment variable
(``0`` turns the kernels off) and can be changed for a block of code with
:func:`skann.config_context` or for the whole process with :func:`skann.set_config`.

Kernel modules are imported the first time a fit needs them, so ``import skann`` does
not import numba.
"""

import importlib
import os
import threading
import warnings
from contextlib import contextmanager

from skann._engine import user_stacklevel

_FALSE = ("0", "false", "no", "off")
_global = {"compiled": os.environ.get("SKANN_COMPILED", "1").lower() not in _FALSE}
_local = threading.local()
_numba = {}  # "available": whether numba could be imported (set on first use)


def get_config():
    """The current skann settings.

    Returns
    -------
    config : dict
        ``{"compiled": bool}``: whether the numba kernels are used where they exist.

    See Also
    --------
    set_config : Change a setting for the whole process.
    config_context : Change a setting inside a ``with`` block.

    Examples
    --------
    >>> import skann
    >>> with skann.config_context(compiled=False):
    ...     skann.get_config()
    {'compiled': False}
    """
    return {"compiled": getattr(_local, "compiled", _global["compiled"])}


def set_config(compiled=None):
    """Change skann's settings for the whole process (all threads).

    Parameters
    ----------
    compiled : bool, default=None
        Whether to use the compiled numba kernels (True) or their NumPy references
        (False). Both train the same models; the references are slower and are what
        the documentation derives. None leaves the setting as it is.

    See Also
    --------
    config_context : Change a setting inside a ``with`` block.
    get_config : Read the settings.

    Examples
    --------
    >>> import skann
    >>> skann.set_config(compiled=True)
    """
    if compiled is not None:
        _check_compiled(compiled)
        _global["compiled"] = bool(compiled)


@contextmanager
def config_context(*, compiled=None):
    """Change skann's settings inside a ``with`` block, in this thread only.

    Parameters
    ----------
    compiled : bool, default=None
        Whether to use the compiled numba kernels; None leaves the setting as it is.

    Yields
    ------
    None

    See Also
    --------
    set_config : Change a setting for the whole process.

    Examples
    --------
    >>> import skann
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> with skann.config_context(compiled=False):  # the NumPy reference loop
    ...     clf = skann.PerceptronClassifier(max_iter=5, tol=None).fit(X, y)
    """
    if compiled is not None:
        _check_compiled(compiled)
    before = getattr(_local, "compiled", None)
    if compiled is not None:
        _local.compiled = bool(compiled)
    try:
        yield
    finally:
        if before is None:
            if hasattr(_local, "compiled"):
                del _local.compiled
        else:
            _local.compiled = before


def _check_compiled(compiled):
    if not isinstance(compiled, bool):
        raise TypeError(f"compiled must be True or False, got {compiled!r}.")


def numba_available():
    """Whether numba can be imported; warns once when it cannot.

    Returns
    -------
    available : bool
    """
    if "available" not in _numba:
        try:
            import numba  # noqa: F401
        except ImportError as error:
            _numba["available"] = False
            warnings.warn(
                f"numba could not be imported ({error}); skann runs its NumPy "
                "reference loops, which train the same models more slowly. "
                "Install numba (a dependency of skann) for the compiled kernels.",
                RuntimeWarning,
                stacklevel=user_stacklevel(),
            )
        else:
            _numba["available"] = True
    return _numba["available"]


def use_kernels():
    """Whether the compiled kernels are used now (setting on, numba importable).

    Returns
    -------
    compiled : bool
    """
    return get_config()["compiled"] and numba_available()


def implementation(module, name):
    """The function ``name`` of ``skann._math.<module>``, or its compiled kernel.

    Parameters
    ----------
    module : str
        Module name under ``skann._math`` (and ``skann._kernels``), e.g.
        ``"perceptron_rule"``.
    name : str
        Function name, the same in both modules.

    Returns
    -------
    function : callable
        ``skann._kernels.<module>.<name>`` when :func:`use_kernels` is true,
        ``skann._math.<module>.<name>`` otherwise.
    """
    package = "skann._kernels" if use_kernels() else "skann._math"
    return getattr(importlib.import_module(f"{package}.{module}"), name)
