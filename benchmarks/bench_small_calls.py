"""Time the small calls of skann's estimators against scikit-learn's: ``partial_fit``
over a stream of chunks, and predictions of a few rows.

Streaming training calls ``partial_fit`` once per chunk of data, often many
thousand times, so two things matter: what one call costs, and whether the
10 000th call costs what the first did. For each pair (``PerceptronClassifier``
/ ``Perceptron``; ``BackpropMLPClassifier`` / ``MLPClassifier``, adam, batches of
at most 256 rows) the script streams ``--calls`` chunks of ``--rows`` rows of 20
features (10 classes, ``make_classification``) through one estimator and prints
the median time per call over the first and the last tenth of the calls, and
the memory the estimator keeps per call (measured over 2000 further calls with
``tracemalloc``: records such as ``loss_curve_`` grow by one epoch a call). With
small chunks and a small network (``--hidden``) the arithmetic is light, so the
times are mostly each call's fixed cost: validation, label handling, bookkeeping.

Then, on the streamed models, the median time of ``predict`` and of
``predict_proba`` (``decision_function`` for the perceptrons) on 1 and on 100
rows, over 500 calls each: what serving one request costs.

Usage::

    python benchmarks/bench_small_calls.py                 # 4000 calls of 64 rows
    python benchmarks/bench_small_calls.py --calls 10000 --rows 256
"""

import argparse
import time
import tracemalloc
import warnings

import numpy as np
from _common import environment
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron
from sklearn.neural_network import MLPClassifier

from skann import BackpropMLPClassifier, PerceptronClassifier


def estimator_pairs(hidden, rows):
    """``(name, make_skann, make_sklearn)`` of each compared pair."""
    mlp = dict(hidden_layer_sizes=hidden, batch_size=min(256, rows), random_state=0)
    return [
        (
            "perceptron",
            lambda: PerceptronClassifier(random_state=0),
            lambda: Perceptron(random_state=0),
        ),
        (
            "MLP",
            lambda: BackpropMLPClassifier(**mlp),
            lambda: MLPClassifier(**mlp),
        ),
    ]


def stream_seconds(estimator, X, y, rows, calls):
    """Seconds of each of ``calls`` ``partial_fit`` calls on chunks of ``rows``.

    Parameters
    ----------
    estimator : classifier with ``partial_fit``
        Unfitted.
    X, y : ndarray
        The chunks are taken from these in turn, wrapping around.
    rows : int
        Rows per chunk.
    calls : int
        Chunks streamed.

    Returns
    -------
    seconds : ndarray of shape (calls,)
    """
    classes = np.unique(y)
    starts = np.arange(calls) * rows % (len(X) - rows)
    seconds = np.empty(calls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for call, start in enumerate(starts):
            chunk = slice(start, start + rows)
            begin = time.perf_counter()
            estimator.partial_fit(X[chunk], y[chunk], classes=classes)
            seconds[call] = time.perf_counter() - begin
    return seconds


def kept_bytes_per_call(estimator, X, y, rows, calls):
    """Memory the estimator keeps per ``partial_fit`` call (its records grow).

    Streams ``calls`` chunks after 100 untimed ones and returns the memory
    allocated and not freed over them (``tracemalloc``), divided by ``calls``.
    """
    stream_seconds(estimator, X, y, rows, 100)
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        stream_seconds(estimator, X, y, rows, calls)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    return sum(stat.size_diff for stat in after.compare_to(before, "filename")) / calls


def call_seconds(method, X, repeat=500):
    """Median seconds of ``method(X)`` over ``repeat`` calls (after one)."""
    method(X)
    seconds = np.empty(repeat)
    for call in range(repeat):
        begin = time.perf_counter()
        method(X)
        seconds[call] = time.perf_counter() - begin
    return float(np.median(seconds))


def main(argv=None):
    """Stream the chunks through each estimator and print one line per model."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=4000)
    p.add_argument("--rows", type=int, default=64)
    p.add_argument("--hidden", type=int, nargs="+", default=[8])
    args = p.parse_args(argv)
    X, y = make_classification(
        n_samples=20_000, n_features=20, n_informative=10, n_classes=10, random_state=0
    )
    X = X.astype(np.float32)
    tenth = max(args.calls // 10, 1)
    print(
        f"{args.calls} partial_fit calls of {args.rows} rows x 20 features, "
        f"10 classes; MLP hidden {tuple(args.hidden)}"
    )
    print(
        "| model | library | ms / call, first tenth | last tenth | / scikit-learn "
        "| bytes kept per call |"
    )
    print("|---|---|---:|---:|---:|---:|")
    models = {}
    for name, make_skann, make_sklearn in estimator_pairs(
        tuple(args.hidden), args.rows
    ):
        medians, kept = {}, {}
        for library, make in (("skann", make_skann), ("scikit-learn", make_sklearn)):
            model = models[name, library] = make()
            seconds = stream_seconds(model, X, y, args.rows, args.calls)
            medians[library] = (
                np.median(seconds[:tenth]) * 1e3,
                np.median(seconds[-tenth:]) * 1e3,
            )
            kept[library] = kept_bytes_per_call(make(), X, y, args.rows, 2000)
        for library, (first, last) in medians.items():
            ratio = last / medians["scikit-learn"][1]
            print(
                f"| {name} | {library} | {first:.3f} | {last:.3f} | {ratio:.2f} "
                f"| {kept[library]:.0f} |"
            )
    print("\n| model | library | method | µs, 1 row | µs, 100 rows |")
    print("|---|---|---|---:|---:|")
    for (name, library), model in models.items():
        second = "predict_proba" if name == "MLP" else "decision_function"
        for method in ("predict", second):
            call = getattr(model, method)
            one, hundred = (1e6 * call_seconds(call, X[:rows]) for rows in (1, 100))
            print(f"| {name} | {library} | {method} | {one:.0f} | {hundred:.0f} |")
    info = environment(optional=("numba",))
    print(
        f"\nMachine: {info['cpu']}, {info['cpu_count']} cores; python "
        f"{info['python']}, numpy {info['numpy']}, scikit-learn {info['sklearn']}, "
        f"skann {info['skann']}, numba {info['numba']}."
    )


if __name__ == "__main__":
    main()
