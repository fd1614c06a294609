"""Time skann's BackpropMLPClassifier against scikit-learn's MLPClassifier.

Both libraries (and, when ``torch`` is importable, a plain PyTorch CPU training
loop of the same network) train in the same run on the same data:

- data: ``make_classification(60_000 x 784, n_informative=100, n_classes=10,
  random_state=0)``, split 80/20 (48,000 train / 12,000 test rows,
  ``train_test_split(random_state=0, stratify=y)``), then a ``StandardScaler``
  fitted on the training rows; each dtype row passes ``X.astype(dtype)``;
- network: hidden layers (256, 128), relu, softmax output, solver adam,
  ``batch_size=256``, ``learning_rate_init=1e-3``, ``alpha=1e-4``,
  ``shuffle=True``, ``random_state=0`` and exactly ``--epochs`` epochs
  (``max_iter=epochs, tol=0, n_iter_no_change=epochs + 1,
  early_stopping=False``: nothing stops early; the benchmark checks
  ``n_iter_``).

Each row (dtype x library) reports seconds per epoch (best-of-``--repeat`` fit
time / epochs), the ratio to scikit-learn (below 1: faster than scikit-learn;
the median over the rounds of the ratio of the two fits of a round, see below),
the held-out accuracy and its difference to scikit-learn's in percentage
points, and:

- GEMM share: the matrix products of one epoch timed alone (per batch: the
  forward ``X @ W1``, ``A1 @ W2``, ``A2 @ W3``; the backward weight gradients
  ``A2^T @ D3``, ``A1^T @ D2``, ``X^T @ D1`` and the deltas ``D3 @ W3^T``,
  ``D2 @ W2^T``), with NumPy (``np.matmul`` into preallocated buffers, same
  shapes and dtype, as many batches as one epoch, best of 3 in each round of
  ``--repeat``), as a share of the library's epoch. The rest of the epoch is
  overhead (activations, softmax, the loss, Adam, batch gathering,
  allocations, Python). The ``numpy GEMMs only`` row shows that time per
  epoch as a floor.
- fit peak memory: the highest memory a one-epoch ``fit`` adds to the process,
  as a multiple of ``X_train.nbytes`` (``tracemalloc``, which sees NumPy's
  allocations; the peak does not grow with the number of epochs). Not
  measured for PyTorch, whose allocator tracemalloc does not see.

Last, ``predict_proba`` of the float32-fitted models on ``--predict-rows``
(default 1,000,000) rows of float32 ``np.random`` data: the peak memory each
library adds beyond its output array (``tracemalloc``). skann predicts in
chunks sized by scikit-learn's ``working_memory`` setting, so it is measured
under the default (1024 MiB) and under ``working_memory=64``; scikit-learn's
``MLPClassifier`` holds every layer's activations for all rows at once.

The PyTorch loop: ``nn.Sequential(Linear(784, 256), ReLU, Linear(256, 128),
ReLU, Linear(128, 10))`` in the same dtype; PyTorch's default initialisation
(scikit-learn and skann use Glorot uniform, about twice its range: that alone
moves the held-out accuracy, so compare PyTorch on time, not on accuracy);
``CrossEntropyLoss`` plus scikit-learn's L2 penalty
``alpha / (2 m) * sum ||W_l||^2`` on the weights (not the biases; ``m`` the
batch size) added to the loss rather than Adam's ``weight_decay``;
``torch.optim.Adam(lr=1e-3)`` (its ``eps`` is added to the bias-corrected
``sqrt(v)``, scikit-learn's to the raw one: a negligible difference); manual
shuffled batches of 256 rows (``torch.randperm`` + ``index_select`` on tensors
that share the NumPy memory, no DataLoader); and
``torch.set_num_threads(--torch-threads)`` (default 2).

Usage::

    python benchmarks/bench_mlp.py            # full run (a few minutes)
    python benchmarks/bench_mlp.py --quick    # 10000 samples, 2 epochs

Run it on an otherwise idle machine: nothing else runs in parallel with a
timed fit, each fit starts after a 1 s pause (so the thread pools of the
previous one stop spinning), and the times are minima over ``--repeat`` fits.
The fits run in rounds, one of each library per round, so that a slow spell of
the machine (this 2-core machine has them, for a minute or two: memory-bound
work then runs up to 2x slower) slows every library's fit of that round rather
than all the fits of one library; the ratios and GEMM shares are medians of the
per-round values, which such a spell moves less than a ratio of minima (also
printed, "of fastest"). Each printed row ends with ``other load``, the highest
share of the machine's CPU that other processes used during one of its timed
fits (from ``/proc/stat``): above a few percent, the row was disturbed and the
run should be repeated.

The functions are importable::

    from bench_mlp import run, markdown_table
    rows = run(n_samples=10_000, epochs=2, predict_rows=100_000)
    print(markdown_table(rows))
"""

from __future__ import annotations

import argparse
import gc
import os
import time
import warnings
from collections.abc import Sequence

import numpy as np
import sklearn
from _common import (
    blas_limits,
    environment,
    peak_added,
    peak_fit_memory,
    time_fit,
    write_json,
)
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.utils import gen_batches

LIBRARIES = ("skann", "sklearn", "torch")
GEMM_ROW = "numpy GEMMs only"
HIDDEN = (256, 128)
N_SAMPLES = 60_000
EPOCHS = 5
PREDICT_ROWS = 1_000_000
QUICK_N_SAMPLES = 10_000
QUICK_EPOCHS = 2
QUICK_PREDICT_ROWS = 100_000
SETTLE_SECONDS = 1.0


def make_data(n_samples=N_SAMPLES, n_features=784, n_informative=100, n_classes=10):
    """Build the benchmark data: split 80/20, then standardise.

    Parameters
    ----------
    n_samples : int, default=60_000
        Total number of samples before the split.
    n_features : int, default=784
        Number of features.
    n_informative : int, default=100
        Number of informative features of ``make_classification``.
    n_classes : int, default=10
        Number of classes.

    Returns
    -------
    X_train, X_test : ndarray of shape (n, n_features)
        C-contiguous float64 features, scaled by a ``StandardScaler`` fitted on
        ``X_train``.
    y_train, y_test : ndarray of shape (n,)
        Integer class labels ``0 .. n_classes - 1``.
    """
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_classes=n_classes,
        random_state=0,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    X_train = np.ascontiguousarray(scaler.transform(X_train))
    X_test = np.ascontiguousarray(scaler.transform(X_test))
    return X_train, X_test, y_train, y_test


def _mlp_params(epochs, batch_size, hidden):
    return dict(
        hidden_layer_sizes=hidden,
        activation="relu",
        solver="adam",
        alpha=1e-4,
        batch_size=batch_size,
        learning_rate_init=1e-3,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        early_stopping=False,
        shuffle=True,
        random_state=0,
    )


class TorchMLP:
    """The benchmark network as a plain PyTorch CPU training loop.

    A minimal ``fit`` / ``predict`` / ``score`` object so that it is timed like
    the two estimators; see the module docstring for what it computes.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Units of the hidden layers.
    alpha : float, default=1e-4
        L2 penalty ``alpha / (2 m) sum ||W_l||^2`` added to each batch's loss.
    batch_size : int, default=256
        Rows per Adam step.
    learning_rate_init : float, default=1e-3
        Adam's learning rate.
    max_iter : int, default=5
        Epochs.
    random_state : int, default=0
        Seeds the initial weights and the shuffling.
    n_threads : int, default=2
        ``torch.set_num_threads``.
    """

    def __init__(
        self,
        hidden_layer_sizes=HIDDEN,
        alpha=1e-4,
        batch_size=256,
        learning_rate_init=1e-3,
        max_iter=EPOCHS,
        random_state=0,
        n_threads=2,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, X, y):
        """Train on ``(X, y)``; ``y`` holds labels ``0 .. n_classes - 1``."""
        import torch
        from torch import nn

        torch.set_num_threads(self.n_threads)
        torch.manual_seed(self.random_state)
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        units = [X.shape[1], *self.hidden_layer_sizes, int(y.max()) + 1]
        layers = []
        for fan_in, fan_out in zip(units[:-1], units[1:], strict=True):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        model = nn.Sequential(*layers[:-1]).to(dtype)
        weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
        optimizer = torch.optim.Adam(model.parameters(), lr=self.learning_rate_init)
        criterion = nn.CrossEntropyLoss()
        X_t = torch.from_numpy(np.ascontiguousarray(X))
        y_t = torch.from_numpy(np.asarray(y, dtype=np.int64))
        generator = torch.Generator().manual_seed(self.random_state)
        n = X_t.shape[0]
        model.train()
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, self.batch_size):
                idx = order[start : start + self.batch_size]
                Xb = X_t.index_select(0, idx)
                yb = y_t.index_select(0, idx)
                optimizer.zero_grad(set_to_none=True)
                loss = criterion(model(Xb), yb)
                if self.alpha:
                    penalty = sum((W * W).sum() for W in weights)
                    loss = loss + self.alpha / (2 * Xb.shape[0]) * penalty
                loss.backward()
                optimizer.step()
            self.n_iter_ += 1
        model.eval()
        self.model_ = model
        return self

    def predict(self, X):
        """Predicted label of each row of ``X``."""
        import torch

        with torch.no_grad():
            scores = self.model_(torch.from_numpy(np.ascontiguousarray(X)))
        return scores.argmax(dim=1).numpy()

    def score(self, X, y):
        """Accuracy on ``(X, y)``."""
        return float(np.mean(self.predict(X) == y))


def torch_available():
    """Whether ``import torch`` works.

    Returns
    -------
    available : bool
    """
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def estimator_factories(
    batch_size=256, hidden=HIDDEN, with_torch=True, torch_threads=2
):
    """Return constructors ``make(epochs)`` of the benchmarked models.

    Parameters
    ----------
    batch_size : int, default=256
        Rows per gradient step.
    hidden : tuple of int, default=(256, 128)
        Hidden layer sizes.
    with_torch : bool, default=True
        Include the PyTorch loop (the caller checks that torch imports).
    torch_threads : int, default=2
        ``torch.set_num_threads`` of the PyTorch loop.

    Returns
    -------
    factories : dict
        Library name -> callable taking the number of epochs and returning an
        unfitted model.
    """
    from skann import BackpropMLPClassifier

    factories = {
        "skann": lambda epochs: BackpropMLPClassifier(
            **_mlp_params(epochs, batch_size, hidden)
        ),
        "sklearn": lambda epochs: MLPClassifier(
            **_mlp_params(epochs, batch_size, hidden)
        ),
    }
    if with_torch:
        factories["torch"] = lambda epochs: TorchMLP(
            hidden_layer_sizes=hidden,
            batch_size=batch_size,
            max_iter=epochs,
            n_threads=torch_threads,
        )
    return factories


def _cpu_ticks():
    """Busy CPU ticks of the whole machine and of this process (Linux).

    Returns None where ``/proc/stat`` cannot be read.
    """
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:8]]
    except (OSError, ValueError):
        return None
    busy = sum(fields) - fields[3] - fields[4]  # minus idle and iowait
    own = os.times()
    return busy, (own.user + own.system) * os.sysconf("SC_CLK_TCK")


class OtherLoad:
    """Share of the machine's CPU that other processes used while timing.

    A context manager around a timed section: ``share`` is the CPU time of
    the whole machine minus this process's, divided by wall time x cores
    (0 on an idle machine; None where ``/proc/stat`` is missing). Timings
    with a share above a few percent were disturbed.
    """

    def __enter__(self):
        self._start = (_cpu_ticks(), time.perf_counter())
        self.share = None
        return self

    def __exit__(self, *exc):
        end = _cpu_ticks()
        start, t0 = self._start
        if start is not None and end is not None:
            ticks = os.sysconf("SC_CLK_TCK")
            other = (end[0] - start[0]) - (end[1] - start[1])
            wall = (time.perf_counter() - t0) * ticks * (os.cpu_count() or 1)
            self.share = max(other, 0) / wall if wall > 0 else None
        return False


def peak_predict_proba_memory(estimator, X):
    """Time ``predict_proba(X)`` and the peak memory it adds beyond its output.

    Parameters
    ----------
    estimator : classifier
        Fitted model with ``predict_proba``.
    X : ndarray of shape (n_samples, n_features)
        Rows to predict.

    Returns
    -------
    seconds : float
        Wall-clock time of an untraced call.
    output_bytes : int
        ``nbytes`` of the returned array.
    extra_bytes : int
        Peak traced memory of a second call minus ``output_bytes``.
    """
    gc.collect()
    start = time.perf_counter()
    proba = estimator.predict_proba(X)
    seconds = time.perf_counter() - start
    del proba
    proba, peak = peak_added(estimator.predict_proba, X)
    output = proba.nbytes
    del proba
    return seconds, output, peak - output


def gemm_epoch_seconds(
    n_train, layer_units, batch_size, dtype, repeat=3, random_state=0
):
    """Time the matrix products of one epoch alone.

    Per batch of ``m`` rows: the forward ``Z_l = A_{l-1} @ W_l`` of every
    layer, the weight gradients ``A_{l-1}^T @ D_l`` of every layer and the
    deltas ``D_l @ W_l^T`` of every layer but the first, all with
    ``np.matmul`` into buffers allocated once, chained as in backpropagation
    (``A_l`` is the previous ``Z_l``, ``D_{l-1}`` the previous ``D_l W_l^T``).

    Parameters
    ----------
    n_train : int
        Rows of one epoch.
    layer_units : sequence of int
        Units per layer, input first and output last.
    batch_size : int
        Rows per batch (the last batch holds the remainder).
    dtype : str or numpy dtype
        Of every matrix.
    repeat : int, default=3
        Timed epochs; the fastest is kept.
    random_state : int, default=0
        Seeds the (standard normal) matrix contents.

    Returns
    -------
    seconds : float
        Fastest time of one epoch of products.
    """
    rng = np.random.default_rng(random_state)
    dtype = np.dtype(dtype)
    n_layers = len(layer_units) - 1
    batch_size = min(batch_size, n_train)

    def randn(*shape):
        return np.ascontiguousarray(rng.standard_normal(shape), dtype=dtype)

    X = randn(batch_size, layer_units[0])
    W = [randn(layer_units[i], layer_units[i + 1]) for i in range(n_layers)]
    Z = [randn(batch_size, layer_units[i + 1]) for i in range(n_layers)]
    D = [randn(batch_size, layer_units[i + 1]) for i in range(n_layers)]
    G = [np.empty_like(w) for w in W]
    A = [X, *Z[:-1]]
    sizes = [b.stop - b.start for b in gen_batches(n_train, batch_size)]
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        time.sleep(SETTLE_SECONDS)
        gc.disable()
        try:
            start = time.perf_counter()
            for m in sizes:
                for i in range(n_layers):
                    np.matmul(A[i][:m], W[i], out=Z[i][:m])
                for i in range(n_layers - 1, -1, -1):
                    np.matmul(A[i][:m].T, D[i][:m], out=G[i])
                    if i > 0:
                        np.matmul(D[i][:m], W[i].T, out=D[i - 1][:m])
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best


def _note_load(loads, row, share):
    """Keep in ``loads[row]`` the highest other-load ``share`` seen for ``row``."""
    if share is not None:
        loads[row] = max(loads.get(row, 0.0), share)


def _warm_up(factories, X, y):
    """Fit each model for one epoch on a small slice (imports, caches)."""
    n = min(len(y), 2000)
    for make in factories.values():
        make(1).fit(X[:n], y[:n])


def run(
    n_samples=N_SAMPLES,
    n_features=784,
    n_informative=100,
    epochs=EPOCHS,
    repeat=1,
    dtypes=("float32", "float64"),
    batch_size=256,
    hidden=HIDDEN,
    with_torch=True,
    torch_threads=2,
    predict_rows=PREDICT_ROWS,
    predict_working_memory=(None, 64),
    verbose=True,
):
    """Run the benchmark and return one dict per row.

    Parameters
    ----------
    n_samples : int, default=60_000
        Total samples of ``make_classification`` (80 % train, 20 % test).
    n_features : int, default=784
        Number of features.
    n_informative : int, default=100
        Number of informative features.
    epochs : int, default=5
        Epochs of every fit (nothing stops early).
    repeat : int, default=1
        Rounds of timed fits, one fit of each model per round; each model's
        fastest fit is reported.
    dtypes : sequence of str, default=("float32", "float64")
        Feature dtypes to benchmark.
    batch_size : int, default=256
        Rows per gradient step.
    hidden : tuple of int, default=(256, 128)
        Hidden layer sizes.
    with_torch : bool, default=True
        Add the PyTorch loop (skipped with a message when torch is missing).
    torch_threads : int, default=2
        ``torch.set_num_threads`` of the PyTorch loop.
    predict_rows : int, default=1_000_000
        Rows of the ``predict_proba`` memory measure (0 skips it). It uses the
        models fitted on float32 (or on the first dtype if float32 is not run).
    predict_working_memory : sequence of int or None, default=(None, 64)
        scikit-learn ``working_memory`` settings (MiB; None keeps the current
        one, 1024 by default) under which skann's ``predict_proba`` is
        measured; scikit-learn's, which does not chunk, is measured once.
    verbose : bool, default=True
        Print each row as soon as it is measured.

    Returns
    -------
    rows : list of dict
        ``kind="fit"`` rows, keys: ``dtype``, ``library``, ``n_train``,
        ``n_test``, ``epochs``, ``n_iter``, ``X_nbytes``, ``fit_s``,
        ``epoch_s``, ``ratio`` (median over the rounds of the fit time /
        scikit-learn's fit time of the same round), ``ratio_of_minima``
        (fastest fit / scikit-learn's fastest fit), ``round_fit_s`` (the fit
        time of every round), ``acc``, ``acc_diff_pts``
        (accuracy minus scikit-learn's, in points), ``gemm_epoch_s`` (fastest
        epoch of GEMMs alone), ``gemm_share`` (median over the rounds of the
        GEMMs' epoch / the library's epoch),
        ``peak_bytes``, ``peak_x`` (peak extra memory of a one-epoch fit /
        ``X_nbytes``) and ``other_load`` (the highest :class:`OtherLoad` share
        of its timed fits over the rounds); values that do not apply are None.
        ``kind="predict"`` rows, keys: ``library``, ``working_memory``,
        ``fit_dtype``, ``rows``, ``X_dtype``, ``X_nbytes``, ``seconds``,
        ``output_bytes``, ``extra_bytes``.
    """
    if with_torch and not torch_available():
        if verbose:
            print("torch is not importable: the PyTorch rows are skipped.")
        with_torch = False
    factories = estimator_factories(batch_size, hidden, with_torch, torch_threads)
    X_train64, X_test64, y_train, y_test = make_data(
        n_samples, n_features, n_informative
    )
    n_classes = int(y_train.max()) + 1
    layer_units = [n_features, *hidden, n_classes]
    rows = []
    predict_models = None
    for dtype in dtypes:
        dtype = str(np.dtype(dtype))
        X_train = np.ascontiguousarray(X_train64, dtype=dtype)
        X_test = np.ascontiguousarray(X_test64, dtype=dtype)
        common = dict(
            kind="fit",
            dtype=dtype,
            n_train=X_train.shape[0],
            n_test=X_test.shape[0],
            epochs=epochs,
            X_nbytes=X_train.nbytes,
        )
        measured = {}
        fitted = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            _warm_up(factories, X_train, y_train)
            # Round by round, one epoch of GEMMs alone and one fit of each library
            # per round: a slow spell of the machine then slows the fits of one
            # round, and the ratios are taken within each round.
            rounds = []
            loads = {}  # highest other load of each row's timings, over the rounds
            for _ in range(repeat):
                with OtherLoad() as gemm_load:
                    seconds = {
                        GEMM_ROW: epochs
                        * gemm_epoch_seconds(
                            X_train.shape[0], layer_units, batch_size, dtype
                        )
                    }
                _note_load(loads, GEMM_ROW, gemm_load.share)
                for library, make in factories.items():
                    with OtherLoad() as load:
                        seconds[library], estimator = time_fit(
                            lambda make=make: make(epochs),
                            X_train,
                            y_train,
                            settle=SETTLE_SECONDS,
                        )
                    _note_load(loads, library, load.share)
                    if estimator.n_iter_ != epochs:
                        raise RuntimeError(
                            f"{library} ran {estimator.n_iter_} epochs, not {epochs}."
                        )
                    best = measured.get(library)
                    if best is None or seconds[library] < best["fit_s"]:
                        fitted[library] = estimator
                        measured[library] = dict(
                            fit_s=seconds[library],
                            acc=estimator.score(X_test, y_test),
                        )
                rounds.append(seconds)
            for library in ("skann", "sklearn"):
                measured[library]["peak_bytes"] = peak_fit_memory(
                    lambda make=factories[library]: make(1), X_train, y_train
                )
        ref = measured["sklearn"]
        gemm_s = min(r[GEMM_ROW] for r in rounds) / epochs
        measured[GEMM_ROW] = dict(fit_s=gemm_s * epochs, acc=None)
        for library, m in measured.items():
            epoch_s = m["fit_s"] / epochs
            peak = m.get("peak_bytes")
            gemm_applies = library in ("skann", "sklearn")
            row = dict(
                common,
                library=library,
                n_iter=epochs if library != GEMM_ROW else None,
                fit_s=m["fit_s"],
                epoch_s=epoch_s,
                ratio=float(np.median([r[library] / r["sklearn"] for r in rounds])),
                ratio_of_minima=m["fit_s"] / ref["fit_s"],
                round_fit_s=[r[library] for r in rounds],
                acc=m["acc"],
                acc_diff_pts=None
                if m["acc"] is None
                else 100 * (m["acc"] - ref["acc"]),
                gemm_epoch_s=gemm_s if gemm_applies or library == GEMM_ROW else None,
                gemm_share=float(np.median([r[GEMM_ROW] / r[library] for r in rounds]))
                if gemm_applies
                else None,
                peak_bytes=peak,
                peak_x=None if peak is None else peak / X_train.nbytes,
                other_load=loads.get(library),
            )
            rows.append(row)
            if verbose:
                print(_row_line(row), flush=True)
        if predict_models is None or dtype == "float32":
            predict_models = (dtype, fitted["skann"], fitted["sklearn"])
        del X_train, X_test, fitted
    if predict_rows and predict_models is not None:
        fit_dtype, skann_est, sklearn_est = predict_models
        rng = np.random.default_rng(0)
        X_big = rng.standard_normal((predict_rows, n_features), dtype=np.float32)
        cases = [("skann", skann_est, wm) for wm in predict_working_memory]
        cases.append(("sklearn", sklearn_est, None))
        for library, estimator, working_memory in cases:
            with sklearn.config_context(working_memory=working_memory):
                working_memory = sklearn.get_config()["working_memory"]
                seconds, output, extra = peak_predict_proba_memory(estimator, X_big)
            row = dict(
                kind="predict",
                library=library,
                working_memory=working_memory,
                fit_dtype=fit_dtype,
                rows=predict_rows,
                X_dtype="float32",
                X_nbytes=X_big.nbytes,
                seconds=seconds,
                output_bytes=output,
                extra_bytes=extra,
            )
            rows.append(row)
            if verbose:
                print(_predict_line(row), flush=True)
        del X_big
    return rows


def _fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def _row_line(row):
    return (
        f"{row['dtype']:<8} {row['library']:<17} "
        f"{row['epoch_s']:8.3f} s/epoch  ratio {row['ratio']:5.2f} "
        f"(of fastest {_fmt(row.get('ratio_of_minima'), '4.2f')})  "
        f"acc {_fmt(row['acc'], '.4f', '     -')} "
        f"({_fmt(row['acc_diff_pts'], '+.2f', '    -')} pts)  "
        f"GEMM share {_fmt(row['gemm_share'], '5.1%', '    -')}  "
        f"fit peak mem {_fmt(row['peak_x'], '.3f')} x X_train  "
        f"other load {_fmt(row.get('other_load'), '.0%')}"
    )


def _predict_line(row):
    return (
        f"predict_proba {row['rows']} x {row['X_dtype']} rows, {row['library']:<7} "
        f"(fit on {row['fit_dtype']}, working_memory {row['working_memory']}): "
        f"{row['seconds']:.2f} s, output "
        f"{row['output_bytes'] / 2**20:.1f} MiB, peak beyond output "
        f"{row['extra_bytes'] / 2**20:.1f} MiB"
    )


def markdown_table(rows):
    """Format benchmark rows as Markdown tables.

    Parameters
    ----------
    rows : list of dict
        Rows returned by :func:`run`.

    Returns
    -------
    table : str
        The fit table (one line per dtype x library) and, if measured, the
        ``predict_proba`` memory table below it.
    """
    fit_rows = [r for r in rows if r.get("kind", "fit") == "fit"]
    predict_rows = [r for r in rows if r.get("kind") == "predict"]
    lines = []
    if fit_rows:
        lines += [
            "| dtype | library | s / epoch | / sklearn | fastest / fastest "
            "| test acc | acc - sklearn (pts) | GEMM share of epoch "
            "| fit peak mem (x X_train) |",
            "|" + "|".join(["---"] * 2 + ["---:"] * 7) + "|",
        ]
        for r in fit_rows:
            lines.append(
                f"| {r['dtype']} | {r['library']} | {r['epoch_s']:.3f} "
                f"| {r['ratio']:.2f} | {_fmt(r.get('ratio_of_minima'), '.2f')} "
                f"| {_fmt(r['acc'], '.4f')} "
                f"| {_fmt(r['acc_diff_pts'], '+.2f')} "
                f"| {_fmt(r['gemm_share'], '.0%')} | {_fmt(r['peak_x'], '.3f')} |"
            )
    if predict_rows:
        if lines:
            lines.append("")
        lines += [
            "| predict_proba | working_memory (MiB) | rows (float32) | X (MiB) "
            "| seconds | output (MiB) | peak beyond output (MiB) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in predict_rows:
            lines.append(
                f"| {r['library']} (fit on {r['fit_dtype']}) "
                f"| {r['working_memory']} | {r['rows']:,} "
                f"| {r['X_nbytes'] / 2**20:.0f} | {r['seconds']:.2f} "
                f"| {r['output_bytes'] / 2**20:.1f} "
                f"| {r['extra_bytes'] / 2**20:.1f} |"
            )
    return "\n".join(lines)


def format_environment(info):
    """Format :func:`environment` as one machine line and Markdown bullets.

    Parameters
    ----------
    info : dict
        Output of :func:`environment`.

    Returns
    -------
    text : str
    """
    pools = info["threadpools"]
    if isinstance(pools, str):
        blas = pools
    else:
        blas = (
            ", ".join(
                f"{p['internal_api']} {p['version'] or ''}".strip()
                + f" ({p['num_threads']} threads)"
                for p in pools
                if p["user_api"] == "blas" and "numpy" in (p["filepath"] or "")
            )
            or "unknown"
        )
    lines = [
        f"Machine: {info['cpu']}, {info['cpu_count']} cores; numpy BLAS: {blas}; "
        f"python {info['python']}, numpy {info['numpy']}, scipy {info['scipy']}, "
        f"scikit-learn {info['sklearn']}, skann {info['skann']}, "
        f"torch {info['torch']}.",
        f"- platform: {info['platform']}",
    ]
    if not isinstance(pools, str):
        for p in pools:
            lines.append(
                f"- {p['user_api']}: {p['internal_api']} {p['version'] or ''} "
                f"({p['num_threads']} threads) {p['filepath']}"
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
    p.add_argument("--n-samples", type=int, default=None, help=f"default {N_SAMPLES}")
    p.add_argument("--epochs", type=int, default=None, help=f"default {EPOCHS}")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of timed fits, one fit per model per round (default 1)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"small run: {QUICK_N_SAMPLES} samples, {QUICK_EPOCHS} epochs, "
        f"{QUICK_PREDICT_ROWS} predict_proba rows (explicit options win)",
    )
    p.add_argument(
        "--dtypes",
        nargs="+",
        default=["float32", "float64"],
        metavar="DTYPE",
        help="default: float32 float64",
    )
    p.add_argument(
        "--batch-size", type=int, default=256, help="rows per step (default 256)"
    )
    p.add_argument(
        "--predict-rows",
        type=int,
        default=None,
        help=f"rows of the predict_proba memory measure, 0 to skip "
        f"(default {PREDICT_ROWS})",
    )
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch loop")
    p.add_argument(
        "--torch-threads",
        type=int,
        default=2,
        help="torch.set_num_threads of the PyTorch loop (default 2)",
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
        args.n_samples = QUICK_N_SAMPLES if args.quick else N_SAMPLES
    if args.epochs is None:
        args.epochs = QUICK_EPOCHS if args.quick else EPOCHS
    if args.predict_rows is None:
        args.predict_rows = QUICK_PREDICT_ROWS if args.quick else PREDICT_ROWS
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
        f"make_classification: {args.n_samples} samples x 784 features, 100 "
        f"informative, 10 classes (80/20 split, StandardScaler); MLP {HIDDEN} "
        f"relu adam, batch {args.batch_size}, epochs={args.epochs}, "
        f"repeat={args.repeat}",
        flush=True,
    )
    with blas_limits(args.blas_threads):
        rows = run(
            n_samples=args.n_samples,
            epochs=args.epochs,
            repeat=args.repeat,
            dtypes=args.dtypes,
            batch_size=args.batch_size,
            with_torch=not args.no_torch,
            torch_threads=args.torch_threads,
            predict_rows=args.predict_rows,
        )
        info = environment(optional=("torch",))
    print()
    print(markdown_table(rows))
    print()
    print(format_environment(info))
    if args.json:
        write_json(args.json, args, info, rows)
    return rows


if __name__ == "__main__":
    main()
