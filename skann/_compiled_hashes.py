"""Row hashes as one compiled pass over the data (optional numba).

The NumPy row hash of :func:`skann._engine.row_hashes` rotates every 32-bit word of
the data into a temporary array and then takes an integer matrix product; with the
``skann[numba]`` extra, :func:`dense_row_hashes` does both per word in one loop. The
arithmetic is integer arithmetic modulo ``2**64``, exact in any order, so the
hashes are the same bit for bit. Without numba, :data:`AVAILABLE` is False and
nothing here runs.
"""

import numpy as np

try:
    from numba import njit
except ImportError:  # the optional extra is not installed
    njit = None

#: Whether the compiled hash can run (numba is importable).
AVAILABLE = njit is not None

_LOW_32 = 0xFFFFFFFF


def _hashes(words, coef, out):
    # out[i] = sum_j rot9(words[i, j]) * coef[j] modulo 2**64
    for i in range(words.shape[0]):
        h = np.uint64(0)
        for j in range(words.shape[1]):
            v = np.uint64(words[i, j])
            rotated = ((v << np.uint64(9)) | (v >> np.uint64(23))) & np.uint64(_LOW_32)
            h += rotated * coef[j]
        out[i] = h


if AVAILABLE:
    _hashes = njit(cache=True, nogil=True)(_hashes)


def dense_row_hashes(X, coef, out):
    """Write the hash of every row of a C-contiguous float array into ``out``.

    Parameters
    ----------
    X : ndarray of shape (n, R), C-contiguous float32 or float64
        The rows.
    coef : ndarray of uint64 of shape (words * R,)
        One odd coefficient per 32-bit word of a row.
    out : ndarray of uint64 of shape (n,)
        Receives the hashes.
    """
    _hashes(X.view(np.uint32), coef, out)
