"""Where BackpropMLPClassifier's epoch goes beyond the matrix products: an ablation.

Trains the network of ``bench_mlp.py`` (same data, same parameters) several times,
each time with one part of the batch step switched off, and prints the fastest
epoch of each run (epochs after the first, from ``history_``) and its difference to
the full epoch:

- ``no optimiser step``: the Adam update does nothing (the weights stay put, so the
  forward and backward passes see the same weights every batch);
- ``no L2 penalty sum``: the penalty's sum of squares in the loss is skipped;
- ``no loss``: the batch's cross-entropy is not computed;
- ``no gather``: ``shuffle=False``, so each batch is a contiguous slice of ``X``
  instead of rows gathered from all over it;
- ``NumPy optimiser step`` and ``NumPy layer steps``: the optional numba kernels
  (``skann._math.compiled_optimizers``; ``skann._math.compiled_layers``, the relu
  layers and the softmax output) are switched off, so that step runs as NumPy
  code (same result, bit for bit); a negative "part" is what the kernels save.

The parts are switched off by replacing skann's private functions for the run;
the models trained that way are wrong on purpose, only their times matter. The
runs alternate ``--repeat`` times and the fastest epoch of each kind is kept.

Usage::

    python benchmarks/ablate_mlp.py                    # float32, 60 000 samples
    python benchmarks/ablate_mlp.py --dtype float64
"""

import argparse
import warnings

import numpy as np
from bench_mlp import _mlp_params, make_data
from sklearn.exceptions import ConvergenceWarning

import skann._math.optimizers as optimizers
import skann._mlp_batches as batches
from skann import BackpropMLPClassifier
from skann._math import compiled_layers, compiled_optimizers

ABLATIONS = (
    "full epoch",
    "no optimiser step",
    "no L2 penalty sum",
    "no loss",
    "no gather",
    "NumPy optimiser step",
    "NumPy layer steps",
)


def _switched_off(name):
    """Patch skann for the ablation ``name``; return a function that undoes it."""
    saved = []

    def patch(owner, attribute, value):
        saved.append((owner, attribute, getattr(owner, attribute)))
        setattr(owner, attribute, value)

    if name == "no optimiser step":
        patch(optimizers.Adam, "step", lambda *args: None)
    elif name == "no L2 penalty sum":
        patch(batches, "l2_penalty", lambda *args: 0.0)
    elif name == "NumPy optimiser step":
        patch(compiled_optimizers, "AVAILABLE", False)
    elif name == "NumPy layer steps":
        patch(compiled_layers, "AVAILABLE", False)
    elif name == "no loss":
        init = batches.BatchTrainer.__init__

        def without_loss(self, *args, **kwargs):
            init(self, *args, **kwargs)
            self.loss = lambda Y, P, sw: 0.0

        patch(batches.BatchTrainer, "__init__", without_loss)

    def undo():
        for owner, attribute, value in reversed(saved):
            setattr(owner, attribute, value)

    return undo


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
            undo = _switched_off(name)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model = BackpropMLPClassifier(**params).fit(X, y)
            finally:
                undo()
            seconds = float(model.history_["seconds"].iloc[1:].min())
            best[name] = min(best[name], seconds)
    return best


def main(argv=None):
    """Run the ablation and print one line per part."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dtype", default="float32")
    p.add_argument("--n-samples", type=int, default=60_000)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args(argv)
    best = run(args.dtype, args.n_samples, args.epochs, args.repeat)
    full = best["full epoch"]
    for name, seconds in best.items():
        part = 1e3 * (full - seconds)
        print(f"{name:20s} {seconds:.4f} s/epoch  part: {part:6.1f} ms")


if __name__ == "__main__":
    main()
