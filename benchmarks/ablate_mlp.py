"""Where BackpropMLPClassifier's epoch goes beyond the matrix products: an ablation.

Trains the network of ``bench_mlp.py`` (same data, same parameters) several times,
each time with one part of the batch step switched off, and prints the fastest
epoch of each run (epochs after the first, from ``history_``) and its difference to
the full epoch:

- ``no optimiser step``: the Adam update does nothing (the weights stay put, so the
  forward and backward passes see the same weights every batch);
- ``no L2 penalty sum``: the penalty's sum of squares in the loss is skipped;
- ``no loss``: the batch's cross-entropy is not computed (with numba, only its
  logarithms and mean: the true-class probabilities come out of the output
  error's pass);
- ``no gather``: ``shuffle=False``, so each batch is a contiguous slice of ``X``
  instead of rows gathered from all over it;
- ``NumPy optimiser step`` and ``NumPy layer steps``: the numba kernels
  (``skann._kernels.optimizers``; ``skann._kernels.backprop``, the relu layers and
  the softmax output) are replaced by their NumPy references in ``skann._math``
  (same result, bit for bit); a negative "part" is what the kernels save.

The parts are switched off by replacing skann's private functions for the run;
the models trained that way are wrong on purpose, only their times matter. The
runs alternate ``--repeat`` times and the fastest epoch of each kind is kept.

Then three floors, each timed alone for one epoch's worth of batches (fastest of
``--repeat``):

- ``Adam step alone``: the optimiser's step on a parameter vector the size of the
  network's, its data in cache between steps (with numba: the compiled pass,
  bound by its square roots and divisions);
- ``gather alone``: ``np.take`` of each batch's shuffled rows of ``X``;
- ``per-batch overhead``: the epoch of the same estimator on 8 features with
  hidden layers (4, 4), whose arithmetic is negligible: what Python and NumPy's
  per-call costs add to every batch.

With ``--parts N`` it does neither: it fits the full model ``N`` times and times
each part of the batch step where it runs, inside the epoch (wrapped with a clock,
about 1 µs per call), printing one line per fit in milliseconds per epoch: the
forward pass (products and layer steps), the loss (cross-entropy and the L2 sum),
backpropagation (output error, products, layer steps), the Adam step, and the rest
of the step (the gather, the batch's weights, Python). Fits of a slow spell of the
machine show which parts it slows.

Usage::

    python benchmarks/ablate_mlp.py                    # float32, 60 000 samples
    python benchmarks/ablate_mlp.py --dtype float64
    python benchmarks/ablate_mlp.py --parts 12         # in-epoch parts, 12 fits
"""

import argparse
import collections
import contextlib
import time
import warnings

import numpy as np
from bench_mlp import _mlp_params, make_data
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

import skann
import skann._math.optimizers as optimizers
import skann._mlp_batches as batches
import skann._mlp_training as training
from skann import BackpropMLPClassifier
from skann._backend import implementation
from skann._math.backprop import ParameterLayout

ABLATIONS = (
    "full epoch",
    "no optimiser step",
    "no L2 penalty sum",
    "no loss",
    "no gather",
    "NumPy optimiser step",
    "NumPy layer steps",
)


@contextlib.contextmanager
def _patches():
    """Yield ``patch(owner, attribute, value)``, which sets an attribute of skann
    until the block ends."""
    saved = []

    def patch(owner, attribute, value):
        saved.append((owner, attribute, getattr(owner, attribute)))
        setattr(owner, attribute, value)

    try:
        yield patch
    finally:
        for owner, attribute, value in reversed(saved):
            setattr(owner, attribute, value)


def _reference_for(module):
    """``skann._backend.implementation``, but the NumPy reference for ``module``."""

    def choose(name_of_module, name):
        if name_of_module == module:
            with skann.config_context(compiled=False):
                return implementation(name_of_module, name)
        return implementation(name_of_module, name)

    return choose


def _switch_off(name, patch):
    """Patch skann, with ``patch`` of :func:`_patches`, for the ablation ``name``."""
    if name == "no optimiser step":
        patch(optimizers.Adam, "step", lambda *args: None)
    elif name == "no L2 penalty sum":
        patch(batches, "l2_penalty", lambda *args: 0.0)
    elif name == "NumPy optimiser step":
        patch(training, "implementation", _reference_for("optimizers"))
    elif name == "NumPy layer steps":
        patch(batches, "implementation", _reference_for("backprop"))
    elif name == "no loss":
        init = batches.BatchTrainer.__init__

        def without_loss(self, *args, **kwargs):
            init(self, *args, **kwargs)
            self.loss = lambda Y, P, sw: 0.0

        patch(batches.BatchTrainer, "__init__", without_loss)
        patch(batches, "true_class_log_loss", lambda p_true, sw: 0.0)


def run(dtype="float32", n_samples=60_000, epochs=4, repeat=2):
    """Fastest epoch (seconds) of each ablation.

    Parameters
    ----------
    dtype : str, default="float32"
        Of the training data.
    n_samples : int, default=60_000
        Before the 80/20 split.
    epochs : int, default=4
        Per fit; the first is left out (warm-up).
    repeat : int, default=2
        Rounds over all ablations.

    Returns
    -------
    seconds : dict
        Ablation name to the fastest epoch.
    """
    X, _, y, _ = make_data(n_samples)
    X = X.astype(dtype)
    best = dict.fromkeys(ABLATIONS, np.inf)
    for _ in range(repeat):
        for name in ABLATIONS:
            params = _mlp_params(epochs, 256, (256, 128))
            params["shuffle"] = name != "no gather"
            with _patches() as patch, warnings.catch_warnings():
                _switch_off(name, patch)
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = BackpropMLPClassifier(**params).fit(X, y)
            seconds = float(model.history_["seconds"].iloc[1:].min())
            best[name] = min(best[name], seconds)
    return best


def floors(dtype="float32", n_samples=60_000, repeat=2):
    """Seconds per epoch of the parts that remain with everything else removed.

    Parameters
    ----------
    dtype : str, default="float32"
        Of the data and the parameters.
    n_samples : int, default=60_000
        Before the 80/20 split.
    repeat : int, default=2
        Timings of each floor; the fastest is kept.

    Returns
    -------
    seconds : dict
        ``"Adam step alone"``, ``"gather alone"`` (per epoch) and
        ``"per-batch overhead"`` (per batch).
    """
    X, _, y, _ = make_data(n_samples)
    X = np.ascontiguousarray(X, dtype=dtype)
    n, batch = X.shape[0], 256
    batches = range(0, n, batch)
    layout = ParameterLayout([X.shape[1], 256, 128, int(y.max()) + 1])
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(layout.size).astype(dtype)
    gradient = rng.standard_normal(layout.size).astype(dtype)
    adam = optimizers.Adam(
        layout.size, dtype, optimizers.LearningRateSchedule("constant", 1e-3)
    )
    X_batch = np.empty((batch, X.shape[1]), dtype)
    tiny = BackpropMLPClassifier(
        hidden_layer_sizes=(4, 4), max_iter=3, tol=0, random_state=0, batch_size=batch
    )
    X_tiny = rng.standard_normal((n, 8)).astype(dtype)
    best = dict.fromkeys(
        ["Adam step alone", "gather alone", "per-batch overhead"], np.inf
    )
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in batches:
            # (the NumPy step adds the L2 term into ``gradient``: its values drift,
            # which does not change the time)
            adam.step(theta, gradient, layout.n_weights, 1e-4 / batch)
        best["Adam step alone"] = min(
            best["Adam step alone"], time.perf_counter() - start
        )
        order = rng.permutation(n)
        start = time.perf_counter()
        for first in batches:
            rows = order[first : first + batch]
            X.take(rows, axis=0, out=X_batch[: len(rows)], mode="clip")
        best["gather alone"] = min(best["gather alone"], time.perf_counter() - start)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = clone(tiny).fit(X_tiny, y)
        per_batch = float(model.history_["seconds"].min()) / len(batches)
        best["per-batch overhead"] = min(best["per-batch overhead"], per_batch)
    return best


PARTS = ("forward", "loss", "backprop", "Adam", "rest")


def _clocked(parts, name, function):
    """``function``, adding its run time to ``parts[name]``."""

    def clocked(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            parts[name] += time.perf_counter() - start

    return clocked


def parts_in_epoch(dtype="float32", n_samples=60_000, epochs=2, fits=12):
    """Seconds per epoch of each part of the batch step, timed inside the epoch.

    Parameters
    ----------
    dtype : str, default="float32"
        Of the training data.
    n_samples : int, default=60_000
        Before the 80/20 split.
    epochs : int, default=2
        Per fit.
    fits : int, default=12
        Fits to time (after one untimed fit).

    Returns
    -------
    rows : list of dict
        Per fit: ``"epoch"`` and each of :data:`PARTS`, in seconds per epoch.
    """
    X, _, y, _ = make_data(n_samples)
    X = X.astype(dtype)
    params = _mlp_params(epochs, 256, (256, 128))
    parts = collections.defaultdict(float)
    rows = []
    with _patches() as patch, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)

        def clock(owner, attribute, name):
            patch(owner, attribute, _clocked(parts, name, getattr(owner, attribute)))

        kinds = {
            "forward_pass": "forward",
            "backpropagate": "backprop",
            "softmax_output_error": "backprop",
        }

        def clocked_implementation(module, name):
            function = implementation(module, name)
            if name in kinds:
                return _clocked(parts, kinds[name], function)
            return function

        patch(batches, "implementation", clocked_implementation)
        clock(batches, "output_delta", "backprop")
        for loss in ("true_class_log_loss", "l2_penalty"):
            clock(batches, loss, "loss")
        clock(optimizers.Adam, "step", "Adam")
        clock(batches.BatchTrainer, "_step", "step")
        for fit in range(fits + 1):
            parts.clear()
            model = BackpropMLPClassifier(**params).fit(X, y)
            if fit == 0:
                continue  # warm-up
            row = {name: parts[name] / epochs for name in PARTS[:-1]}
            row["rest"] = parts["step"] / epochs - sum(row.values())
            row["epoch"] = float(model.history_["seconds"].mean())
            rows.append(row)
    return rows


def main(argv=None):
    """Run the ablation and print one line per part."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dtype", default="float32")
    p.add_argument("--n-samples", type=int, default=60_000)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument(
        "--parts",
        type=int,
        default=0,
        metavar="N",
        help="instead: time each part inside the epoch over N fits",
    )
    args = p.parse_args(argv)
    if args.parts:
        print("ms per epoch:\n" + "  ".join(f"{k:>8s}" for k in ("epoch", *PARTS)))
        for row in parts_in_epoch(args.dtype, args.n_samples, 2, args.parts):
            print("  ".join(f"{1e3 * row[k]:8.1f}" for k in ("epoch", *PARTS)))
        return
    best = run(args.dtype, args.n_samples, args.epochs, args.repeat)
    full = best["full epoch"]
    for name, seconds in best.items():
        part = 1e3 * (full - seconds)
        print(f"{name:20s} {seconds:.4f} s/epoch  part: {part:6.1f} ms")
    alone = floors(args.dtype, args.n_samples, args.repeat)
    for name in ("Adam step alone", "gather alone"):
        print(f"{name:20s} {1e3 * alone[name]:.1f} ms/epoch")
    overhead = alone["per-batch overhead"]
    print(f"{'per-batch overhead':20s} {1e6 * overhead:.1f} us/batch")


if __name__ == "__main__":
    main()
