"""Time skann's PerceptronClassifier against scikit-learn in the same run.

Each row fits both libraries on the same ``make_classification`` data (80/20
train/test split) and reports the best-of-``--repeat`` fit time of each, their
ratio (skann / sklearn: below 1 means skann is faster), both held-out
accuracies, and the peak memory that skann's ``fit`` adds to the process as a
multiple of ``X_train.nbytes`` (tracemalloc, which sees NumPy's allocations).

Rows, for each dtype (float64, float32) and each number of classes (2, 10):

- ``online``: ``PerceptronClassifier()`` vs ``sklearn.linear_model.Perceptron``;
- ``averaged``: ``PerceptronClassifier(average=True)`` vs
  ``SGDClassifier(loss="perceptron", learning_rate="constant", eta0=1,
  penalty=None, average=True)``;
- ``mini-batch``: ``PerceptronClassifier(batch_size=256)``; scikit-learn has no
  mini-batch perceptron, so its column repeats the ``online`` Perceptron.

All estimators use ``shuffle=True, tol=None, max_iter=epochs, random_state=0``.

Usage::

    python benchmarks/bench_perceptron.py            # full run (minutes)
    python benchmarks/bench_perceptron.py --quick    # 20000 samples, 3 epochs

Run it on an otherwise idle machine: the reported time is the minimum over
repeats, and nothing else runs in parallel with a timed fit.

The functions are importable::

    from bench_perceptron import run, markdown_table
    rows = run(n_samples=20_000, epochs=3)
    print(markdown_table(rows))
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Sequence

import numpy as np
from _common import blas_limits, environment, peak_fit_memory, time_fit, write_json
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron, SGDClassifier
from sklearn.model_selection import train_test_split

VARIANTS = ("online", "averaged", "mini-batch")
QUICK_N_SAMPLES = 20_000
QUICK_EPOCHS = 3


def make_data(n_samples, n_features, n_informative, n_classes, dtype):
    """Build the benchmark data and split it 80/20 into train and test.

    Parameters
    ----------
    n_samples : int
        Total number of samples before the split.
    n_features : int
        Number of features.
    n_informative : int
        Number of informative features of ``make_classification``.
    n_classes : int
        Number of classes.
    dtype : {"float64", "float32"} or numpy dtype
        Dtype of the returned feature matrices.

    Returns
    -------
    X_train, X_test : ndarray of shape (n, n_features)
        C-contiguous feature matrices of dtype ``dtype``.
    y_train, y_test : ndarray of shape (n,)
        Integer class labels.
    """
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_classes=n_classes,
        random_state=0,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0
    )
    X_train = np.ascontiguousarray(X_train, dtype=dtype)
    X_test = np.ascontiguousarray(X_test, dtype=dtype)
    return X_train, X_test, y_train, y_test


def estimator_factories(variant, epochs, batch_size=256):
    """Return zero-argument constructors of the two estimators of a row.

    Parameters
    ----------
    variant : {"online", "averaged", "mini-batch"}
        Which perceptron rule to compare.
    epochs : int
        Number of passes over the training data (``max_iter``).
    batch_size : int, default=256
        Batch size of the ``"mini-batch"`` variant.

    Returns
    -------
    make_skann : callable
        Builds an unfitted ``skann.PerceptronClassifier``.
    make_sklearn : callable or None
        Builds the unfitted scikit-learn reference, or None when scikit-learn
        has no counterpart (``"mini-batch"``).
    reference : str
        Name of the scikit-learn reference shown in the table.
    """
    from skann import PerceptronClassifier

    common = dict(max_iter=epochs, tol=None, shuffle=True, random_state=0)
    if variant == "online":
        return (
            lambda: PerceptronClassifier(**common),
            lambda: Perceptron(**common),
            "Perceptron",
        )
    if variant == "averaged":
        return (
            lambda: PerceptronClassifier(average=True, **common),
            lambda: SGDClassifier(
                loss="perceptron",
                learning_rate="constant",
                eta0=1,
                penalty=None,
                average=True,
                **common,
            ),
            "SGDClassifier(perceptron, average)",
        )
    if variant == "mini-batch":
        return (
            lambda: PerceptronClassifier(batch_size=batch_size, **common),
            None,
            "Perceptron (online)",
        )
    raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")


def _warm_up(factories, X, y):
    """Fit each estimator once on a small slice (imports, caches, JIT-free)."""
    n = min(len(y), 1000)
    for make in factories:
        if make is not None:
            make().set_params(max_iter=1).fit(X[:n], y[:n])


def run(
    n_samples=200_000,
    n_features=100,
    n_informative=20,
    epochs=20,
    repeat=1,
    dtypes=("float64", "float32"),
    n_classes=(2, 10),
    variants=VARIANTS,
    batch_size=256,
    verbose=True,
):
    """Run the benchmark grid and return one dict per row.

    Parameters
    ----------
    n_samples : int, default=200_000
        Total samples of ``make_classification`` (80 % train, 20 % test).
    n_features : int, default=100
        Number of features.
    n_informative : int, default=20
        Number of informative features.
    epochs : int, default=20
        ``max_iter`` of every estimator (``tol=None``: exactly this many).
    repeat : int, default=1
        Timed fits per estimator; the minimum is reported.
    dtypes : sequence of str, default=("float64", "float32")
        Feature dtypes to benchmark.
    n_classes : sequence of int, default=(2, 10)
        Numbers of classes to benchmark.
    variants : sequence of str, default=("online", "averaged", "mini-batch")
        Rows to run for each dtype and number of classes.
    batch_size : int, default=256
        Batch size of the ``"mini-batch"`` rows.
    verbose : bool, default=True
        Print each row as soon as it is measured.

    Returns
    -------
    rows : list of dict
        Keys: ``config``, ``dtype``, ``n_classes``, ``variant``,
        ``reference``, ``n_train``, ``X_nbytes``, ``skann_s``, ``sklearn_s``,
        ``ratio``, ``skann_acc``, ``sklearn_acc``, ``skann_peak_bytes`` and
        ``skann_peak_x`` (peak extra memory of skann's fit / ``X.nbytes``).
    """
    rows = []
    for k in n_classes:
        for dtype in dtypes:
            X_train, X_test, y_train, y_test = make_data(
                n_samples, n_features, n_informative, k, dtype
            )
            online_sklearn = None  # (seconds, accuracy) of the online Perceptron
            for variant in variants:
                make_skann, make_sklearn, reference = estimator_factories(
                    variant, epochs, batch_size
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    _warm_up((make_skann, make_sklearn), X_train, y_train)
                    skann_s, skann_est = time_fit(make_skann, X_train, y_train, repeat)
                    skann_acc = skann_est.score(X_test, y_test)
                    if make_sklearn is not None:
                        sklearn_s, sklearn_est = time_fit(
                            make_sklearn, X_train, y_train, repeat
                        )
                        sklearn_acc = sklearn_est.score(X_test, y_test)
                    elif online_sklearn is not None:
                        sklearn_s, sklearn_acc = online_sklearn
                    else:  # online row not run: time the reference now
                        make_ref = estimator_factories("online", epochs)[1]
                        sklearn_s, sklearn_est = time_fit(
                            make_ref, X_train, y_train, repeat
                        )
                        sklearn_acc = sklearn_est.score(X_test, y_test)
                    if variant == "online":
                        online_sklearn = (sklearn_s, sklearn_acc)
                    peak = peak_fit_memory(make_skann, X_train, y_train)
                row = dict(
                    config=f"{dtype}, {k} classes, {variant}",
                    dtype=str(np.dtype(dtype)),
                    n_classes=k,
                    variant=variant,
                    reference=reference,
                    n_train=X_train.shape[0],
                    X_nbytes=X_train.nbytes,
                    skann_s=skann_s,
                    sklearn_s=sklearn_s,
                    ratio=skann_s / sklearn_s,
                    skann_acc=skann_acc,
                    sklearn_acc=sklearn_acc,
                    skann_peak_bytes=peak,
                    skann_peak_x=peak / X_train.nbytes,
                )
                rows.append(row)
                if verbose:
                    print(_row_line(row), flush=True)
    return rows


def _row_line(row):
    return (
        f"{row['config']:<32} skann {row['skann_s']:8.3f} s  "
        f"sklearn {row['sklearn_s']:8.3f} s  ratio {row['ratio']:6.2f}  "
        f"acc {row['skann_acc']:.4f} / {row['sklearn_acc']:.4f}  "
        f"skann peak mem {row['skann_peak_x']:.3f} x X.nbytes"
    )


def markdown_table(rows):
    """Format benchmark rows as a Markdown table.

    Parameters
    ----------
    rows : list of dict
        Rows returned by :func:`run`.

    Returns
    -------
    table : str
        The Markdown table, one line per row after the header.
    """
    header = (
        "| configuration | sklearn reference | skann (s) | sklearn (s) "
        "| skann / sklearn | skann acc | sklearn acc | skann fit peak mem (x X) |"
    )
    lines = [header, "|" + "|".join(["---"] * 2 + ["---:"] * 6) + "|"]
    for r in rows:
        lines.append(
            f"| {r['config']} | {r['reference']} | {r['skann_s']:.3f} "
            f"| {r['sklearn_s']:.3f} | {r['ratio']:.2f} | {r['skann_acc']:.4f} "
            f"| {r['sklearn_acc']:.4f} | {r['skann_peak_x']:.3f} |"
        )
    return "\n".join(lines)


def format_environment(info):
    """Format ``environment()`` (benchmarks/_common.py) as Markdown bullet lines.

    Parameters
    ----------
    info : dict
        Output of ``environment()``.

    Returns
    -------
    text : str
        One bullet per item.
    """
    lines = [
        f"- python {info['python']} on {info['platform']}",
        f"- numpy {info['numpy']}, scipy {info['scipy']}, "
        f"scikit-learn {info['sklearn']}, skann {info['skann']}",
        f"- {info['cpu']}, os.cpu_count(): {info['cpu_count']}",
    ]
    if isinstance(info["threadpools"], str):
        lines.append(f"- BLAS: {info['threadpools']}")
    else:
        for pool in info["threadpools"]:
            details = ", ".join(
                f"{name}={value}" if name == "threads" else str(value)
                for name, value in (
                    ("architecture", pool["architecture"]),
                    ("threads", pool["num_threads"]),
                    ("layer", pool["threading_layer"]),
                )
                if value is not None
            )
            version = f" {pool['version']}" if pool["version"] else ""
            lines.append(
                f"- {pool['user_api']}: {pool['internal_api']}{version}"
                f" ({details}) {pool['filepath']}"
            )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line.

    Parameters
    ----------
    argv : sequence of str, default=None
        Arguments without the program name; None reads ``sys.argv``.

    Returns
    -------
    args : argparse.Namespace
        Parsed options, with ``--quick`` already applied.
    """
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-samples", type=int, default=None, help="default 200000")
    p.add_argument("--n-features", type=int, default=100, help="default 100")
    p.add_argument("--n-informative", type=int, default=20, help="default 20")
    p.add_argument("--epochs", type=int, default=None, help="default 20")
    p.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="timed fits per estimator, fastest kept (default 1; 3 with --quick)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"tiny run: {QUICK_N_SAMPLES} samples, {QUICK_EPOCHS} epochs, "
        "repeat 3 (explicit --n-samples / --epochs / --repeat win)",
    )
    p.add_argument(
        "--dtypes",
        nargs="+",
        default=["float64", "float32"],
        metavar="DTYPE",
        help="default: float64 float32",
    )
    p.add_argument(
        "--classes",
        nargs="+",
        type=int,
        default=[2, 10],
        metavar="K",
        help="numbers of classes (default: 2 10)",
    )
    p.add_argument(
        "--variants",
        nargs="+",
        default=list(VARIANTS),
        choices=VARIANTS,
        help="default: all",
    )
    p.add_argument(
        "--batch-size", type=int, default=256, help="mini-batch rows (default 256)"
    )
    p.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="limit BLAS threads with threadpoolctl (default: leave them as they are)",
    )
    p.add_argument(
        "--json",
        default=None,
        help="also write args, environment and rows to this JSON file",
    )
    args = p.parse_args(argv)
    if args.n_samples is None:
        args.n_samples = QUICK_N_SAMPLES if args.quick else 200_000
    if args.epochs is None:
        args.epochs = QUICK_EPOCHS if args.quick else 20
    if args.repeat is None:
        # Quick fits last milliseconds: a few repeats tame the noise cheaply.
        args.repeat = 3 if args.quick else 1
    return args


def main(argv: Sequence[str] | None = None) -> list[dict]:
    """Run the benchmark from the command line and print the results.

    Parameters
    ----------
    argv : sequence of str, default=None
        Arguments without the program name; None reads ``sys.argv``.

    Returns
    -------
    rows : list of dict
        The rows of :func:`run`.
    """
    args = parse_args(argv)
    print(
        f"make_classification: {args.n_samples} samples (80/20 split), "
        f"{args.n_features} features, {args.n_informative} informative; "
        f"epochs={args.epochs}, repeat={args.repeat}",
        flush=True,
    )
    with blas_limits(args.blas_threads):
        rows = run(
            n_samples=args.n_samples,
            n_features=args.n_features,
            n_informative=args.n_informative,
            epochs=args.epochs,
            repeat=args.repeat,
            dtypes=args.dtypes,
            n_classes=args.classes,
            variants=args.variants,
            batch_size=args.batch_size,
        )
        info = environment()
    print()
    print(markdown_table(rows))
    print()
    print(format_environment(info))
    if args.json:
        write_json(args.json, args, info, rows)
    return rows


if __name__ == "__main__":
    main()
