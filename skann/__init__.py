"""skann: neural-network estimators for scikit-learn on plain NumPy/SciPy math.

The public names are imported the first time they are used (PEP 562), so that a
program using one estimator does not pay the import of the other.
"""

import importlib

from skann._backend import config_context, get_config, set_config
from skann._version import __version__

_LAZY = {
    "BackpropMLPClassifier": "skann._mlp",
    "PerceptronClassifier": "skann._perceptron",
    "check_gradient": "skann._gradient_check",
    "make_activation": "skann._math.activations",
    "register_activation": "skann._math.activations",
}

__all__ = [
    "BackpropMLPClassifier",
    "PerceptronClassifier",
    "__version__",
    "check_gradient",
    "config_context",
    "get_config",
    "make_activation",
    "register_activation",
    "set_config",
]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'skann' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
