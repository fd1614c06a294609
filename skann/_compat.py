"""The one module that imports private scikit-learn names.

scikit-learn does not promise these names across versions; keeping them here means a
rename is fixed in one place.
"""

from sklearn.base import _fit_context
from sklearn.linear_model._base import SparseCoefMixin
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "Interval",
    "Options",
    "SparseCoefMixin",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "get_chunk_n_rows",
]
