"""Time what scikit-learn's callback hooks cost skann's training: nothing, when no
callback is set.

For each case (``PerceptronClassifier`` and ``BackpropMLPClassifier``, adam, on small
and medium ``make_classification`` data, a fixed number of epochs; and a stream of
small ``partial_fit`` calls, where fixed costs dominate) the script times ``fit`` with
no callback and, when the skann it imports has ``set_callbacks``, with a callback whose
hooks do nothing. The two alternate, round after round, and the table gives the median
over rounds of each round's fastest fit, and their ratio.

The figure that matters is a fit *without* callbacks on this branch against the same
fit on a checkout without callback support. ``--trees`` runs the measure in fresh
processes, one per checkout and round, alternating the checkouts, each importing skann
from its tree (``PYTHONPATH``), and gives each checkout's median and the ratio to the
first. Without ``--trees`` the script times whatever skann is importable.

Usage::

    python benchmarks/bench_callbacks.py                      # the skann on the path
    python benchmarks/bench_callbacks.py --trees ../main .    # main against this tree
    python benchmarks/bench_callbacks.py --quick              # only checks the script
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
from _common import environment, time_fit
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

import skann
from skann import BackpropMLPClassifier, PerceptronClassifier


class DoNothing:
    """A callback whose hooks do nothing: the cost of the hooks themselves."""

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        pass


def cases(quick):
    """``(name, make_estimator, X, y, partial_fit_rows)`` of each timed case.

    ``partial_fit_rows`` is None for a ``fit``; else the case streams the data through
    ``partial_fit`` in chunks of that many rows.
    """

    def data(n_samples, n_features, n_classes):
        X, y = make_classification(
            n_samples=n_samples,
            n_features=n_features,
            n_informative=n_features // 2,
            n_classes=n_classes,
            random_state=0,
        )
        return X.astype(np.float32), y

    small, medium = data(500, 20, 3), data(2_000 if quick else 20_000, 100, 10)
    stream = data(3_200, 20, 3)  # 50 calls of 64 rows
    epochs = 3 if quick else 20
    mlp = dict(max_iter=epochs, tol=0.0, n_iter_no_change=epochs, random_state=0)
    return [
        (
            "perceptron, 500 x 20",
            lambda: PerceptronClassifier(max_iter=epochs, tol=None),
            *small,
            None,
        ),
        (
            f"perceptron, {len(medium[0])} x 100",
            lambda: PerceptronClassifier(max_iter=epochs, tol=None),
            *medium,
            None,
        ),
        (
            "MLP (16,), 500 x 20",
            lambda: BackpropMLPClassifier((16,), **mlp),
            *small,
            None,
        ),
        (
            f"MLP (64,), {len(medium[0])} x 100",
            lambda: BackpropMLPClassifier((64,), **mlp),
            *medium,
            None,
        ),
        ("perceptron, 50 partial_fit of 64 rows", PerceptronClassifier, *stream, 64),
        (
            "MLP (8,), 50 partial_fit of 64 rows",
            lambda: BackpropMLPClassifier((8,)),
            *stream,
            64,
        ),
    ]


class Stream:
    """An estimator whose ``fit`` streams the data through ``partial_fit``."""

    def __init__(self, estimator, rows):
        self.estimator, self.rows = estimator, rows

    def fit(self, X, y):
        classes = np.unique(y)
        for start in range(0, len(X) - self.rows + 1, self.rows):
            chunk = slice(start, start + self.rows)
            self.estimator.partial_fit(X[chunk], y[chunk], classes=classes)
        return self


def measure(rounds, repeat, quick):
    """``{case: {"none": [s per round], "no-op": [...] or None}}``, alternating."""
    supports = hasattr(PerceptronClassifier(), "set_callbacks")
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, make, X, y, rows in cases(quick):

            def build(callbacks, make=make, rows=rows):
                def new():
                    estimator = make()
                    if callbacks:
                        estimator.set_callbacks(DoNothing())
                    return estimator if rows is None else Stream(estimator, rows)

                return new

            kinds = {"none": build(False)}
            if supports:
                kinds["no-op"] = build(True)
            time_fit(kinds["none"], X, y)  # warm-up: numba's kernels, caches
            times = {kind: [] for kind in kinds}
            for _ in range(rounds):
                for kind, build_one in kinds.items():
                    times[kind].append(time_fit(build_one, X, y, repeat=repeat)[0])
            results[name] = {"none": times["none"], "no-op": times.get("no-op")}
    return results


def median_ms(seconds):
    return float(np.median(seconds)) * 1e3


def print_in_process(results):
    print("| case | no callback, ms | do-nothing callback, ms | ratio |")
    print("|---|---:|---:|---:|")
    for name, times in results.items():
        none = median_ms(times["none"])
        if times["no-op"] is None:
            print(f"| {name} | {none:.2f} | (no set_callbacks) | |")
        else:
            noop = median_ms(times["no-op"])
            print(f"| {name} | {none:.2f} | {noop:.2f} | {noop / none:.3f} |")


def compare_trees(trees, rounds, repeat, quick):
    """Run one worker process per tree and round, trees alternating; print medians."""
    per_tree = {tree: [] for tree in trees}
    imported = {}
    script = os.path.abspath(__file__)
    for round_ in range(rounds):
        order = trees if round_ % 2 == 0 else trees[::-1]
        for tree in order:
            env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
            args = [sys.executable, script, "--worker", "--rounds", "1"]
            args += ["--repeat", str(repeat)] + (["--quick"] if quick else [])
            done = subprocess.run(
                args, env=env, capture_output=True, text=True, check=True
            )
            run = json.loads(done.stdout.splitlines()[-1])
            imported[tree] = run["skann"]
            per_tree[tree].append(run["results"])
            time.sleep(0.5)
    first = trees[0]
    for tree in trees:
        print(f"{tree}: imported {imported[tree]}")
    print("\nNo callback set: median over rounds of each round's fastest fit, ms.")
    print(
        "| case | "
        + " | ".join(trees)
        + " | "
        + " | ".join(f"{tree} / {first}" for tree in trees[1:])
        + " |"
    )
    print("|---|" + "---:|" * (2 * len(trees) - 1))
    for name in per_tree[first][0]:
        medians = [
            median_ms([run[name]["none"][0] for run in per_tree[tree]])
            for tree in trees
        ]
        ratios = [f"{m / medians[0]:.3f}" for m in medians[1:]]
        cells = [f"{m:.2f}" for m in medians] + ratios
        print(f"| {name} | " + " | ".join(cells) + " |")
    for tree in trees:
        print(f"\n{tree}, in the same processes:")
        print_in_process(
            {
                name: {
                    kind: None
                    if per_tree[tree][0][name][kind] is None
                    else [run[name][kind][0] for run in per_tree[tree]]
                    for kind in ("none", "no-op")
                }
                for name in per_tree[tree][0]
            }
        )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=7, help="alternating rounds")
    p.add_argument("--repeat", type=int, default=3, help="fits per round, fastest kept")
    p.add_argument("--trees", nargs="+", help="checkouts to compare, alternating")
    p.add_argument("--quick", action="store_true", help="small data, few rounds")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.repeat = min(args.rounds, 2), 1
    if args.worker:
        results = measure(args.rounds, args.repeat, args.quick)
        print(json.dumps({"skann": skann.__file__, "results": results}))
        return
    if args.trees:
        compare_trees(args.trees, args.rounds, args.repeat, args.quick)
    else:
        print_in_process(measure(args.rounds, args.repeat, args.quick))
    info = environment(optional=("numba",))
    print(
        f"\nMachine: {info['cpu']}, {info['cpu_count']} cores; python "
        f"{info['python']}, numpy {info['numpy']}, scikit-learn {info['sklearn']}, "
        f"numba {info['numba']}."
    )


if __name__ == "__main__":
    main()
