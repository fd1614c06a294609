"""Inverted dropout masks.

During training each hidden unit's output is zeroed with probability ``p`` and the
survivors are scaled by ``1 / (1 - p)``, so the expected input of the next layer
is unchanged and prediction needs no rescaling (inverted dropout; Srivastava et
al., 2014). See ``docs/math/backprop``. The masks are drawn from the estimator's
random generator, one independent draw per sample, unit and batch.
"""


def dropout_masks(random_state, n, layer_sizes, rates, dtype):
    """Inverted-dropout masks ``M_l`` of the hidden layers for a batch of ``n`` rows.

    Parameters
    ----------
    random_state : numpy.random.RandomState
        Draws the masks.
    n : int
        Rows of the batch.
    layer_sizes : sequence of int
        Units of each hidden layer.
    rates : sequence of float
        Dropout probability ``p_l`` of each hidden layer, in [0, 1).
    dtype : dtype
        Of the masks.

    Returns
    -------
    masks : list of ndarray of shape (n, units_l) or None
        0 where a unit is dropped (probability ``p_l``), ``1 / (1 - p_l)`` where it
        is kept; None for a layer with ``p_l = 0`` (nothing is drawn for it).

    Examples
    --------
    >>> import numpy as np
    >>> [M] = dropout_masks(np.random.RandomState(0), 4, [3], [0.5], np.float64)
    >>> M.shape, sorted(set(M.ravel().tolist()))
    ((4, 3), [0.0, 2.0])
    """
    masks = []
    for units, rate in zip(layer_sizes, rates, strict=True):
        if rate == 0:
            masks.append(None)
            continue
        kept = random_state.random_sample((n, units)) >= rate
        masks.append((kept / (1 - rate)).astype(dtype))
    return masks
