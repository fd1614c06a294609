"""skann: neural-network estimators for scikit-learn on plain NumPy/SciPy math."""

from skann._backend import config_context, get_config, set_config
from skann._gradient_check import check_gradient
from skann._math.activations import make_activation, register_activation
from skann._mlp import BackpropMLPClassifier
from skann._perceptron import PerceptronClassifier
from skann._version import __version__

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
