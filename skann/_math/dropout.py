"""Inverted dropout masks, drawn from each sample's contents.

During training each hidden unit's output is zeroed with probability ``p`` and the
survivors are scaled by ``1 / (1 - p)``, so the expected input of the next layer
is unchanged and prediction needs no rescaling (inverted dropout; Srivastava et
al., 2014). See ``docs/math/backprop``.

The uniform numbers behind a mask come from a counter-based generator
(SplitMix64) keyed by a hash of the sample, the epoch and the unit: a sample
presented twice in an epoch gets the same mask both times. That is what makes an
integer sample weight ``k`` equivalent to ``k`` copies of the sample.
"""

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_UNIT_STRIDE = np.uint64(0x632BE59BD9B4E019)


def splitmix64(z):
    """The SplitMix64 finaliser: a bijective scramble of 64-bit integers.

    Parameters
    ----------
    z : ndarray of uint64
        Keys.

    Returns
    -------
    scrambled : ndarray of uint64
        Uniformly distributed bits for distinct keys (Steele, Lea and Flood, 2014).

    Examples
    --------
    >>> import numpy as np
    >>> splitmix64(np.array([0, 1], dtype=np.uint64)).dtype
    dtype('uint64')
    """
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    return z ^ (z >> np.uint64(31))


def dropout_masks(row_keys, epoch_key, layer_sizes, rates, dtype):
    """Inverted-dropout masks ``M_l`` of the hidden layers for a batch.

    Parameters
    ----------
    row_keys : ndarray of uint64 of shape (n,)
        A key per sample (a hash of its contents).
    epoch_key : int
        A key per epoch, so masks change from epoch to epoch.
    layer_sizes : sequence of int
        Units of each hidden layer.
    rates : sequence of float
        Dropout probability ``p_l`` of each hidden layer, in [0, 1).
    dtype : dtype
        Of the masks.

    Returns
    -------
    masks : list of ndarray of shape (n, units_l) or None
        0 where a unit is dropped, ``1 / (1 - p_l)`` where it is kept; None for a
        layer with ``p_l = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> keys = np.arange(4, dtype=np.uint64)
    >>> [M] = dropout_masks(keys, 7, [3], [0.5], np.float64)
    >>> sorted(set(M.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    """
    masks = []
    offset = 0
    seeds = row_keys ^ splitmix64(np.array([epoch_key], dtype=np.uint64))
    for units, rate in zip(layer_sizes, rates, strict=True):
        if rate == 0:
            masks.append(None)
        else:
            unit_keys = (np.arange(offset, offset + units, dtype=np.uint64) + 1) * (
                _UNIT_STRIDE
            )
            bits = splitmix64(seeds[:, None] ^ unit_keys)
            uniform = (bits >> np.uint64(40)).astype(np.float64) * 2.0**-24
            masks.append(((uniform >= rate) / (1 - rate)).astype(dtype))
        offset += units
    return masks
