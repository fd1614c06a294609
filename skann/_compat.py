"""The one module that imports private scikit-learn names.

scikit-learn does not promise these names across versions; keeping them here means a
rename is fixed in one place.
"""

from sklearn.base import _fit_context
from sklearn.linear_model._base import SparseCoefMixin
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9 has no callback API

    class CallbackSupportMixin:
        """Stand-in without ``set_callbacks``: an estimator never has callbacks."""


def has_callbacks(estimator):
    """Whether callbacks are set on ``estimator`` (by the user or a meta-estimator).

    ``set_callbacks`` keeps them in scikit-learn's private ``_skl_callbacks``.
    """
    return bool(estimator.__dict__.get("_skl_callbacks"))


__all__ = [
    "CallbackSupportMixin",
    "Interval",
    "Options",
    "SparseCoefMixin",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "get_chunk_n_rows",
    "has_callbacks",
]
