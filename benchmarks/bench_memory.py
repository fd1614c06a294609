"""Peak memory of skann's fit and prediction against scikit-learn's, in fresh processes.

Three calls, each measured for skann and for its scikit-learn peer, each in a fresh
Python process (so that nothing an earlier measurement allocated or cached counts):

- ``predict``: ``predict_proba`` of ``BackpropMLPClassifier`` / ``MLPClassifier``
  (hidden layer of 100 units, 10 classes) and ``decision_function`` of
  ``PerceptronClassifier`` / ``Perceptron`` (10 classes), on ``--predict-rows``
  (default 1 000 000) rows of 100 float32 features. The models are fitted first on
  2 000 float32 rows.
- ``sparse fit``: ``fit`` of ``PerceptronClassifier`` / ``Perceptron`` and of
  ``BackpropMLPClassifier`` / ``MLPClassifier`` (hidden layer of 16 units, adam,
  2 epochs) on a ``--fit-rows`` x ``--fit-features`` (default 2 000 x 1 000 000)
  float64 CSR matrix with 100 non-zeros per row, 5 classes.

Before it is measured, each call runs once on a few rows (so that the code it runs,
numba's kernels and runtime for skann, is loaded: a fixed cost of about 100 MiB of RSS
in the first call of a process, whatever the data). Each measurement then reports the
memory the call adds to its process, two ways:

- ``tracemalloc``: the peak of Python's allocations (NumPy's and SciPy's arrays
  included) during the call, above what was allocated before it. Exact and
  repeatable; it does not see memory allocated outside Python's allocator (BLAS
  buffers, numba's runtime).
- ``RSS``: the peak resident memory of the process during the call (Linux's
  ``VmHWM``, reset just before the call through ``/proc/self/clear_refs``) minus its
  resident memory before it. It sees everything, but also pages the allocator keeps.

Both include the call's output (``predict_proba``'s array, the fitted weights). The
``1.2x`` target of the docs (skann adds at most 1.2 times what scikit-learn adds)
refers to the ``tracemalloc`` figure; the RSS figure checks that it does not miss
memory. The whole process's peak RSS (``ru_maxrss`` of the child from ``os.wait4``,
imports and input data included) is printed too, for reference.

Usage::

    python benchmarks/bench_memory.py            # full size (several GB, minutes)
    python benchmarks/bench_memory.py --quick    # 100 000 rows, 2 000 x 100 000 CSR

Run it on an otherwise idle machine; measurements run one at a time.
"""

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import environment  # noqa: E402

PREDICT_ROWS, QUICK_PREDICT_ROWS = 1_000_000, 100_000
FIT_ROWS, FIT_FEATURES, QUICK_FIT_FEATURES = 2_000, 1_000_000, 100_000
N_FEATURES, N_CLASSES, HIDDEN = 100, 10, 100
FIT_CLASSES, FIT_HIDDEN, NNZ_PER_ROW = 5, 16, 100

# (call, model) -> (skann's estimator, scikit-learn's)
MEASUREMENTS = {
    ("predict_proba", "mlp"): ("BackpropMLPClassifier", "MLPClassifier"),
    ("decision_function", "perceptron"): ("PerceptronClassifier", "Perceptron"),
    ("fit", "perceptron"): ("PerceptronClassifier", "Perceptron"),
    ("fit", "mlp"): ("BackpropMLPClassifier", "MLPClassifier"),
}


# ------------------------------------------------------------------------- child
def _estimator(library, model):
    if model == "perceptron":
        if library == "skann":
            from skann import PerceptronClassifier as Estimator
        else:
            from sklearn.linear_model import Perceptron as Estimator
        return Estimator(max_iter=2, tol=None, random_state=0)
    if library == "skann":
        from skann import BackpropMLPClassifier as Estimator
    else:
        from sklearn.neural_network import MLPClassifier as Estimator
    return Estimator((HIDDEN,), max_iter=2, random_state=0)


def _resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _reset_peak_resident():
    """Reset VmHWM to the current RSS (Linux 4.0+); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_resident_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return None


def _inputs(call, model, args):
    """The fitted model (for predictions) or estimator (for fit) and the data."""
    import warnings

    from scipy import sparse

    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    if call == "fit":
        rows, features = args.fit_rows, args.fit_features
        indices = rng.integers(0, features, (rows, NNZ_PER_ROW)).ravel()
        indptr = np.arange(0, rows * NNZ_PER_ROW + 1, NNZ_PER_ROW)
        values = rng.standard_normal(rows * NNZ_PER_ROW)
        X = sparse.csr_matrix((values, indices, indptr), shape=(rows, features))
        X.sum_duplicates()
        y = rng.integers(0, FIT_CLASSES, rows)
        estimator = _estimator(args.library, model)
        if model == "mlp":
            estimator.set_params(hidden_layer_sizes=(FIT_HIDDEN,))
        return estimator, (X, y)
    X_train = rng.standard_normal((2_000, N_FEATURES), dtype=np.float32)
    y_train = rng.integers(0, N_CLASSES, 2_000)
    estimator = _estimator(args.library, model).fit(X_train, y_train)
    X = rng.standard_normal((args.predict_rows, N_FEATURES), dtype=np.float32)
    return estimator, (X,)


def _warm_up(estimator, call, data):
    """The same call on a few rows first, so that the code it runs (numba's
    kernels and runtime, for skann) is loaded before the measurement."""
    from sklearn.base import clone

    if call == "fit":
        X, y = data
        small = X[:, : 5 * NNZ_PER_ROW][:50]
        clone(estimator).fit(small, np.arange(50) % FIT_CLASSES)
    else:
        getattr(estimator, call)(data[0][:10])


def measure(args):
    """Run one call in this process; return what it added to the memory."""
    estimator, data = _inputs(args.call, args.model, args)
    _warm_up(estimator, args.call, data)
    method = getattr(estimator, args.call)
    gc.collect()
    before = _resident_bytes()
    supported = _reset_peak_resident()
    start = time.perf_counter()
    result = method(*data)
    seconds = time.perf_counter() - start
    rss_added = _peak_resident_bytes() - before if supported else None
    output = result.nbytes if isinstance(result, np.ndarray) else None
    del result
    if args.call == "fit":  # a fresh estimator, as in the first measurement
        from sklearn.base import clone

        estimator = clone(estimator)
        method = estimator.fit
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    method(*data)
    traced_added = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    return dict(
        seconds=seconds,
        traced_bytes=traced_added,
        rss_bytes=rss_added,
        output_bytes=output,
        input_bytes=sum(_nbytes(a) for a in data),
    )


def _nbytes(a):
    if hasattr(a, "data") and hasattr(a, "indices"):
        return a.data.nbytes + a.indices.nbytes + a.indptr.nbytes
    return a.nbytes


# ------------------------------------------------------------------------- parent
def run_child(call, model, library, args):
    """One measurement in a fresh process; its result and its peak RSS."""
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        call,
        model,
        library,
        "--predict-rows",
        str(args.predict_rows),
        "--fit-rows",
        str(args.fit_rows),
        "--fit-features",
        str(args.fit_features),
    ]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({child.returncode})")
    row = json.loads(output)
    row.update(call=call, model=model, library=library)
    row["process_peak_bytes"] = usage.ru_maxrss * 1024  # KiB on Linux
    return row


def run(args):
    rows = []
    for (call, model), _ in MEASUREMENTS.items():
        if model not in args.models or call not in args.calls:
            continue
        for library in ("skann", "sklearn"):
            row = run_child(call, model, library, args)
            rows.append(row)
            print(_line(row), flush=True)
    return rows


def _mib(value):
    return "-" if value is None else f"{value / 2**20:9.1f}"


def _line(row):
    return (
        f"{row['call']:>17} {row['model']:>10} {row['library']:>7}: "
        f"tracemalloc {_mib(row['traced_bytes'])} MiB, RSS {_mib(row['rss_bytes'])} "
        f"MiB (output {_mib(row['output_bytes'])} MiB, input "
        f"{_mib(row['input_bytes'])} MiB, process peak "
        f"{_mib(row['process_peak_bytes'])} MiB), {row['seconds']:.2f} s"
    )


def ratios(rows):
    """skann's memory added / scikit-learn's, per call."""
    table = []
    for call, model in MEASUREMENTS:
        pair = {
            r["library"]: r for r in rows if (r["call"], r["model"]) == (call, model)
        }
        if len(pair) < 2:
            continue
        ours, theirs = pair["skann"], pair["sklearn"]
        line = {"call": call, "model": model}
        for key in ("traced_bytes", "rss_bytes"):
            if ours[key] is not None and theirs[key]:
                line[key] = ours[key] / theirs[key]
        table.append(line)
    return table


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes: checks it runs")
    p.add_argument("--predict-rows", type=int, default=None)
    p.add_argument("--fit-rows", type=int, default=FIT_ROWS)
    p.add_argument("--fit-features", type=int, default=None)
    p.add_argument(
        "--models", nargs="+", default=["perceptron", "mlp"], help="which models"
    )
    p.add_argument(
        "--calls",
        nargs="+",
        default=["predict_proba", "decision_function", "fit"],
        help="which calls",
    )
    p.add_argument("--json", default=None, help="also write the rows to this file")
    p.add_argument("--child", nargs=3, metavar=("CALL", "MODEL", "LIBRARY"))
    args = p.parse_args(argv)
    if args.predict_rows is None:
        args.predict_rows = QUICK_PREDICT_ROWS if args.quick else PREDICT_ROWS
    if args.fit_features is None:
        args.fit_features = QUICK_FIT_FEATURES if args.quick else FIT_FEATURES
    return args


def main(argv: Sequence[str] | None = None):
    args = parse_args(argv)
    if args.child:
        args.call, args.model, args.library = args.child
        print(json.dumps(measure(args)))
        return None
    print(
        f"predict: {args.predict_rows} x {N_FEATURES} float32; sparse fit: "
        f"{args.fit_rows} x {args.fit_features} CSR, {NNZ_PER_ROW} non-zeros a row",
        flush=True,
    )
    rows = run(args)
    print()
    for line in ratios(rows):
        traced = line.get("traced_bytes")
        rss = line.get("rss_bytes")
        print(
            f"{line['call']:>17} {line['model']:>10}: skann / scikit-learn = "
            f"{traced:.2f} (tracemalloc), "
            + (f"{rss:.2f} (RSS)" if rss is not None else "- (RSS)")
        )
    info = environment()
    print(f"\nnumpy {info['numpy']}, scipy {info['scipy']}, sklearn {info['sklearn']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(args=vars(args), environment=info, rows=rows), f, indent=2)
    return rows


if __name__ == "__main__":
    main()
