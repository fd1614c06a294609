"""Start-up and whole workflows as fresh processes: skann against scikit-learn.

Two workloads, each run as a new Python process so that imports, numba's loading (or
compiling) of the kernels and the first fit all count:

- ``first fit``: import the estimator and fit it once on ``load_digits``;
- ``workflow``: import, then ``GridSearchCV(Pipeline([StandardScaler(), estimator]),
  8 settings, cv=5)`` on ``load_digits``, and score the best model.

skann runs with a *warm* numba cache (the kernels compiled by an earlier process, as
after the first use of an install) and with a *cold* one (a new empty cache directory:
every kernel the fit needs is compiled). The commands alternate, skann and
scikit-learn, ``--repeat`` times; the figures are medians of wall seconds and the
ratio skann / scikit-learn of the medians.

The last row is the floor that any numba-compiled first fit pays: scikit-learn's own
first fit plus ``import numba`` and one call of a one-line ``@njit(cache=True)``
function (loaded from the warm cache, or compiled with a cold one). Run on an
otherwise idle machine::

    python benchmarks/bench_startup.py --repeat 5
"""

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time

FIRST_FIT = """
from sklearn.datasets import load_digits
from {module} import {name}
X, y = load_digits(return_X_y=True)
{name}({params}).fit(X, y)
"""

WORKFLOW = """
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from {module} import {name}
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
pipe = Pipeline([("scale", StandardScaler()), ("model", {name}({params}))])
search = GridSearchCV(pipe, {grid}, cv=5).fit(X_train, y_train)
print(search.score(X_test, y_test))
"""

ESTIMATORS = {
    "perceptron": (
        ("skann", "PerceptronClassifier", ""),
        ("sklearn.linear_model", "Perceptron", ""),
        {
            "model__penalty": [None, "l2"],
            "model__alpha": [1e-4, 1e-3],
            "model__eta0": [0.1, 1.0],
        },
    ),
    "mlp": (
        ("skann", "BackpropMLPClassifier", "max_iter=50, random_state=0"),
        ("sklearn.neural_network", "MLPClassifier", "max_iter=50, random_state=0"),
        {
            "model__hidden_layer_sizes": [(32,), (64,)],
            "model__alpha": [1e-4, 1e-2],
            "model__learning_rate_init": [1e-3, 1e-2],
        },
    ),
}


TRIVIAL_KERNEL = """
from numba import njit


@njit(cache=True)
def add_one(x):
    return x + 1.0
"""

NUMBA_FLOOR = (
    FIRST_FIT.format(module="sklearn.linear_model", name="Perceptron", params="")
    + "\nimport trivial_kernel\ntrivial_kernel.add_one(1.0)\n"
)


def wall_seconds(code, env):
    """Wall time of a fresh ``python -c code`` process (warnings silenced)."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def print_row(label, codes, warm_env, repeat):
    """Time ``codes[0]`` (skann's, warm and cold cache) against ``codes[1]``
    (scikit-learn's), alternating, and print the table row of their medians."""
    wall_seconds(codes[0], warm_env)  # compiles into the warm cache
    warm, cold, ref = [], [], []
    for _ in range(repeat):
        warm.append(wall_seconds(codes[0], warm_env))
        cold_env = dict(warm_env, NUMBA_CACHE_DIR=tempfile.mkdtemp())
        cold.append(wall_seconds(codes[0], cold_env))
        ref.append(wall_seconds(codes[1], dict(os.environ)))
    w, c, r = (statistics.median(x) for x in (warm, cold, ref))
    print(
        f"| {label} | {w:.2f} | {c:.2f} | {r:.2f} | {w / r:.2f} | {w - r:+.2f} |",
        flush=True,
    )


def warn_if_compiled_each_time():
    """Say so when skann's modules have no cached bytecode.

    ``pip install`` writes the bytecode of every module it installs; a source tree
    installed in editable mode gets it on its first import, unless
    ``PYTHONDONTWRITEBYTECODE`` is set: then every process compiles skann's modules
    again (20-60 ms here), which scikit-learn's installed modules do not pay.
    """
    spec = importlib.util.find_spec("skann")
    if spec is None or not spec.origin:
        return
    if not os.path.exists(importlib.util.cache_from_source(spec.origin)):
        print(
            "Note: skann's modules have no cached bytecode, so each process compiles "
            "them; time a pip-installed skann (or run `python -m compileall` on its "
            "package first).\n"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command")
    args = parser.parse_args(argv)
    warn_if_compiled_each_time()
    warm_cache = tempfile.mkdtemp(prefix="skann-numba-warm-")
    print(
        "| workload | skann warm s | skann cold s | scikit-learn s | warm ratio "
        "| warm - scikit-learn s |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, (ours, theirs, grid) in ESTIMATORS.items():
        for workload, template in (("first fit", FIRST_FIT), ("workflow", WORKFLOW)):
            codes = [
                template.format(module=m, name=n, params=p, grid=grid)
                for m, n, p in (ours, theirs)
            ]
            warm_env = dict(os.environ, NUMBA_CACHE_DIR=warm_cache)
            print_row(f"{name}, {workload}", codes, warm_env, args.repeat)
    kernel_dir = tempfile.mkdtemp(prefix="skann-trivial-kernel-")
    with open(os.path.join(kernel_dir, "trivial_kernel.py"), "w") as module:
        module.write(TRIVIAL_KERNEL)
    path = os.pathsep.join([kernel_dir, os.environ.get("PYTHONPATH", "")])
    codes = [
        NUMBA_FLOOR,
        FIRST_FIT.format(module="sklearn.linear_model", name="Perceptron", params=""),
    ]
    warm_env = dict(os.environ, NUMBA_CACHE_DIR=warm_cache, PYTHONPATH=path)
    print_row(
        "numba floor: Perceptron first fit + a one-line kernel",
        codes,
        warm_env,
        args.repeat,
    )


if __name__ == "__main__":
    main()
