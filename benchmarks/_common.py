"""What both benchmark scripts need: timing, memory tracing, the machine's description,
BLAS thread limits and the JSON record. Imported by ``bench_*.py`` from this folder."""

import gc
import json
import os
import platform
import sys
import time
import tracemalloc
from contextlib import nullcontext

import numpy as np
import scipy
import sklearn


def time_fit(make_estimator, X, y, repeat=1, settle=0.0):
    """Fit fresh models ``repeat`` times and keep the fastest fit.

    The garbage collector is run before and disabled during each timed fit.
    Each fit may start after a pause of ``settle`` seconds: the thread pools of
    the previous computation (OpenBLAS, OpenMP) keep spinning for a moment after
    their last task and would steal the second core from the next fit.

    Parameters
    ----------
    make_estimator : callable
        Returns an unfitted model.
    X : ndarray of shape (n_samples, n_features)
        Training data.
    y : ndarray of shape (n_samples,)
        Training labels.
    repeat : int, default=1
        Number of timed fits.
    settle : float, default=0.0
        Seconds to wait before each fit.

    Returns
    -------
    seconds : float
        Minimum wall-clock time of ``fit`` (``time.perf_counter``).
    estimator : object
        The model of the last fit.
    """
    best = float("inf")
    estimator = None
    for _ in range(repeat):
        estimator = make_estimator()
        gc.collect()
        if settle:
            time.sleep(settle)
        gc.disable()
        try:
            start = time.perf_counter()
            estimator.fit(X, y)
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best, estimator


def peak_added(function, *args):
    """Run ``function(*args)``; return its result and the peak memory it added.

    Arrays that exist before the call are not counted, so a function that reads
    them in place adds little; every copy or buffer it allocates counts.
    """
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = function(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return result, peak - baseline


def peak_fit_memory(make_estimator, X, y):
    """Peak memory, in bytes, that one ``fit`` of a fresh model adds to the process."""
    return peak_added(make_estimator().fit, X, y)[1]


def cpu_model():
    """The CPU's model name from ``/proc/cpuinfo``, or what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _version(module_name):
    try:
        module = __import__(module_name)
    except ImportError:
        return "not installed"
    return getattr(module, "__version__", "unknown")


def environment(optional=()):
    """Describe the software and hardware the benchmark ran on.

    Parameters
    ----------
    optional : sequence of str, default=()
        Further packages whose version to report (``"not installed"`` if absent).

    Returns
    -------
    info : dict
        CPU model, ``os.cpu_count()``, Python, platform, the versions of numpy,
        scipy, scikit-learn, skann and ``optional``, and the thread pools reported
        by ``threadpoolctl`` (a string if it is not installed).
    """
    try:
        from threadpoolctl import threadpool_info

        keys = (
            "user_api",
            "internal_api",
            "version",
            "num_threads",
            "threading_layer",
            "architecture",
            "filepath",
        )
        pools = [{key: pool.get(key) for key in keys} for pool in threadpool_info()]
    except ImportError:
        pools = "threadpoolctl not installed"
    info = dict(
        cpu=cpu_model(),
        cpu_count=os.cpu_count(),
        python=sys.version.split()[0],
        platform=platform.platform(),
        numpy=np.__version__,
        scipy=scipy.__version__,
        sklearn=sklearn.__version__,
        skann=_version("skann"),
        threadpools=pools,
    )
    info.update({name: _version(name) for name in optional})
    return info


def blas_limits(n_threads):
    """A context limiting the BLAS to ``n_threads`` threads (no limit for None)."""
    if n_threads is None:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n_threads, user_api="blas")


def write_json(path, args, info, rows):
    """Save the arguments, the machine and the rows of a run to ``path``."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(dict(args=vars(args), environment=info, rows=rows), f, indent=2)
