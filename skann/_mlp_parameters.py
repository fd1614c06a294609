"""The parameters of BackpropMLPClassifier: layer sizes, dropout rates and the
weights training starts from (random, given, or those of an earlier fit)."""

from numbers import Integral

import numpy as np

from skann._math.init import glorot_uniform, he_uniform


def hidden_units(est):
    """``hidden_layer_sizes`` as a list of ints, checked to be positive."""
    sizes = est.hidden_layer_sizes
    sizes = list(sizes) if np.iterable(sizes) else [sizes]
    if any(
        not isinstance(s, Integral | np.integer) or isinstance(s, bool) or s <= 0
        for s in sizes
    ):
        raise ValueError(
            f"hidden_layer_sizes must hold positive integers, got {sizes}."
        )
    return [int(s) for s in sizes]


def dropout_rates(est, n_hidden):
    """``dropout`` as one rate per hidden layer, each in [0, 1)."""
    rates = np.atleast_1d(np.asarray(est.dropout, dtype=float))
    if rates.ndim != 1 or len(rates) not in (1, n_hidden):
        raise ValueError(
            f"dropout must be one rate or one per hidden layer ({n_hidden}), got "
            f"{est.dropout!r}."
        )
    if np.any((rates < 0) | (rates >= 1)):
        raise ValueError(f"dropout rates must lie in [0, 1), got {est.dropout!r}.")
    return np.broadcast_to(rates, (n_hidden,)).tolist()


def initial_parameters(est, layout, dtype, rng):
    """Random starting weights (``init``'s scheme), packed into one vector."""
    coefs, intercepts = [], []
    for fan_in, fan_out in layout.shapes:
        if est.init == "he":
            W, b = he_uniform(fan_in, fan_out, rng, dtype)
        else:
            name = est.activation if isinstance(est.activation, str) else ""
            W, b = glorot_uniform(fan_in, fan_out, name, rng, dtype)
        coefs.append(W)
        intercepts.append(b)
    return layout.pack(coefs, intercepts, dtype)


def given_parameters(layout, dtype, coefs_init, intercepts_init):
    """``coefs_init`` and ``intercepts_init`` checked against the network's
    shapes and packed into one vector."""
    if coefs_init is None:
        raise ValueError("intercepts_init is given without coefs_init.")
    coefs = [np.asarray(W, dtype=dtype) for W in coefs_init]
    if intercepts_init is None:
        intercepts = [np.zeros(fan_out, dtype) for _, fan_out in layout.shapes]
    else:
        intercepts = [np.asarray(b, dtype=dtype) for b in intercepts_init]
    shapes = [W.shape for W in coefs]
    bias_shapes = [b.shape for b in intercepts]
    if shapes != layout.shapes or bias_shapes != [
        (fan_out,) for _, fan_out in layout.shapes
    ]:
        raise ValueError(
            f"coefs_init/intercepts_init have shapes {shapes}/{bias_shapes}; the "
            f"network needs {layout.shapes} and "
            f"{[(fan_out,) for _, fan_out in layout.shapes]}."
        )
    if not all(np.isfinite(a).all() for a in coefs + intercepts):
        raise ValueError("coefs_init/intercepts_init contain NaN or infinity.")
    return layout.pack(coefs, intercepts, dtype)


def current_parameters(est, layout, dtype):
    """The fitted weights, to go on training from (``warm_start``,
    ``partial_fit``), packed into one vector."""
    shapes = [W.shape for W in est.coefs_]
    if shapes != layout.shapes:
        raise ValueError(
            f"The network has layers of shapes {shapes} but hidden_layer_sizes "
            f"and the data ask for {layout.shapes}; set warm_start=False or "
            "keep hidden_layer_sizes as it was."
        )
    return layout.pack(est.coefs_, est.intercepts_, dtype)
