"""The perceptron at text scale and with every penalty, against scikit-learn.

Workloads (the table of the issue "The perceptron at text scale"):

- ``synthetic``: a 20 000 x 2**18 CSR matrix, 60 non-zeros a row, 5 classes,
  ``max_iter=10, tol=None``, against ``Perceptron``;
- ``text``: documents drawn from a Zipf vocabulary (each class favours its own words),
  through ``HashingVectorizer(n_features=2**18)`` and ``TfidfTransformer``; the exact
  rule, ``l2``, ``l1`` and ``elasticnet`` against ``Perceptron`` and the averaged rule
  against ``SGDClassifier(loss="perceptron", average=True)``, with held-out accuracy;
- ``digits``: ``load_digits`` (scaled) as CSR with the defaults, and dense with each
  penalty.

Each fit is timed ``--repeat`` times, skann and scikit-learn alternating, and the
ratio is the median of skann's times over the median of scikit-learn's. Run with
nothing else heavy on the machine::

    python benchmarks/bench_text.py --repeat 3

``--memory-floor N`` instead times, N times alternating, an epoch of the synthetic
case against the least memory traffic such an epoch needs (see :func:`memory_floor`).
"""

import argparse
import statistics
import time

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import Perceptron, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skann import PerceptronClassifier


def synthetic(n_samples=20_000, n_features=2**18, nnz=60, n_classes=5, seed=0):
    """Random CSR rows of ``nnz`` non-zeros with a planted linear labelling."""
    rng = np.random.RandomState(seed)
    columns = rng.randint(0, n_features, size=(n_samples, nnz))
    columns.sort(axis=1)
    values = rng.rand(n_samples, nnz)
    X = sparse.csr_matrix(
        (values.ravel(), columns.ravel(), np.arange(0, n_samples * nnz + 1, nnz)),
        shape=(n_samples, n_features),
    )
    X.sum_duplicates()
    W = rng.randn(n_classes, n_features)
    y = np.asarray(X @ W.T).argmax(axis=1)
    return X, y


def zipf_documents(n_docs=8_000, n_classes=6, vocabulary=50_000, length=80, seed=0):
    """Documents of Zipf-distributed words; each class draws a tenth of its words
    from a topic of its own (3 000 random words of the vocabulary), so that a linear
    model reaches about 85 % held-out accuracy, not 100 %."""
    rng = np.random.RandomState(seed)
    words = np.array([f"w{i}" for i in range(vocabulary)])
    ranks = np.arange(1, vocabulary + 1)
    common = 1.0 / ranks**1.1
    common /= common.sum()
    topics = [rng.permutation(vocabulary)[:3000] for _ in range(n_classes)]
    y = rng.randint(0, n_classes, n_docs)
    docs = []
    for label in y:
        n_topic = length // 10
        picks = np.r_[
            rng.choice(vocabulary, size=length - n_topic, p=common),
            rng.choice(topics[label], size=n_topic),
        ]
        docs.append(" ".join(words[picks]))
    vectorizer = HashingVectorizer(n_features=2**18, alternate_sign=False, norm=None)
    X = TfidfTransformer().fit_transform(vectorizer.transform(docs))
    return sparse.csr_matrix(X), y


def workloads():
    """(name, X_train, y_train, X_test, y_test, skann params, scikit-learn model)."""
    X, y = synthetic()
    common = dict(max_iter=10, tol=None, random_state=0)
    yield ("synthetic CSR, exact", X, y, None, None, common, Perceptron(**common))
    X, y = zipf_documents()
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    common = dict(max_iter=20, tol=None, random_state=0)
    yield ("text, exact", Xtr, ytr, Xte, yte, common, Perceptron(**common))
    for penalty in ("l2", "l1", "elasticnet"):
        params = dict(common, penalty=penalty, alpha=1e-5)
        yield (f"text, {penalty}", Xtr, ytr, Xte, yte, params, Perceptron(**params))
    sgd = SGDClassifier(
        loss="perceptron",
        learning_rate="constant",
        eta0=1.0,
        penalty=None,
        average=True,
        **common,
    )
    yield ("text, averaged", Xtr, ytr, Xte, yte, dict(common, average=True), sgd)
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    yield (
        "digits CSR, defaults",
        sparse.csr_matrix(X),
        y,
        None,
        None,
        {},
        Perceptron(),
    )
    for penalty in ("l2", "l1", "elasticnet"):
        params = dict(penalty=penalty)
        yield (
            f"digits dense, {penalty}",
            X,
            y,
            None,
            None,
            params,
            Perceptron(**params),
        )


def timed(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start, model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="fits per library")
    parser.add_argument(
        "--accuracy-seeds",
        type=int,
        default=0,
        help="instead of timing, the mean held-out accuracy over random_state "
        "0..N-1 of each text workload (the last epoch's accuracy moves with the "
        "order of the samples, so one seed says little)",
    )
    parser.add_argument(
        "--memory-floor",
        type=int,
        default=0,
        help="instead of the table, N alternating timings of the synthetic case's "
        "epoch (skann, scikit-learn) and of a loop that only reads what it reads",
    )
    args = parser.parse_args(argv)
    if args.memory_floor:
        return memory_floor(args.memory_floor)
    if args.accuracy_seeds:
        return mean_accuracy(args.accuracy_seeds)
    PerceptronClassifier(max_iter=1).fit(*load_digits(return_X_y=True))  # compile
    print("| workload | skann s | scikit-learn s | ratio | accuracy skann / sklearn |")
    print("|---|---:|---:|---:|---|")
    for name, X, y, Xte, yte, params, theirs in workloads():
        ours_times, their_times = [], []
        for _ in range(args.repeat):
            seconds, ours = timed(PerceptronClassifier(**params), X, y)
            ours_times.append(seconds)
            seconds, fitted = timed(theirs, X, y)
            their_times.append(seconds)
        a, b = statistics.median(ours_times), statistics.median(their_times)
        accuracy = ""
        if Xte is not None:
            accuracy = f"{ours.score(Xte, yte):.3f} / {fitted.score(Xte, yte):.3f}"
        print(f"| {name} | {a:.3f} | {b:.3f} | {a / b:.2f} | {accuracy} |", flush=True)


def memory_floor(repeat, epochs=10):
    """The synthetic case's epoch against the memory any such epoch must read.

    A compiled loop visits the rows in a random permutation, as an epoch does, and for
    each stored entry reads its value and the S weights of its feature (weights stored
    feature by feature, S side by side, as skann keeps them), with the kernel's
    prefetching, and computes nothing else. Its time is a floor for an epoch that
    keeps the weights that way. The same loop run once per class over one class's
    weights (R, 1), as scikit-learn's one-vs-rest passes keep them, is the floor of
    that other layout ("per-class floor"). Prints, per repeat, both floors and skann's
    and scikit-learn's epochs (``epochs``-epoch fits divided by ``epochs``),
    alternating, then the medians.
    """
    from numba import njit

    from skann._kernels.perceptron_rule import (
        _AHEAD,
        _prefetch_sparse_row,
        _prefetch_weights,
    )

    @njit
    def read_only(indptr, indices, data, order, Vt):
        total = 0.0
        n, last = order.shape[0], Vt.shape[1] - 1
        for i in range(n):
            if i + 2 * _AHEAD < n:
                _prefetch_sparse_row(indptr, indices, data, order[i + 2 * _AHEAD])
            if i + _AHEAD < n:
                _prefetch_weights(Vt, indptr, indices, order[i + _AHEAD])
            row = order[i]
            for k in range(indptr[row], indptr[row + 1]):
                total += data[k] * Vt[indices[k], 0] + Vt[indices[k], last]
        return total

    X, y = synthetic()
    S = len(np.unique(y))
    Vt = np.random.RandomState(0).randn(X.shape[1], S)
    rng = np.random.RandomState(0)
    columns = [np.ascontiguousarray(Vt[:, [s]]) for s in range(S)]
    read_only(X.indptr, X.indices, X.data, rng.permutation(X.shape[0]), Vt)
    read_only(X.indptr, X.indices, X.data, rng.permutation(X.shape[0]), columns[0])
    params = dict(max_iter=epochs, tol=None, random_state=0)
    times = {"floor": [], "per-class floor": [], "skann": [], "scikit-learn": []}
    print(
        "| repeat | floor ms | per-class floor ms | skann epoch ms "
        "| scikit-learn epoch ms |"
    )
    print("|---:|---:|---:|---:|---:|")
    for r in range(repeat):
        start = time.perf_counter()
        for _ in range(epochs):
            order = rng.permutation(X.shape[0])
            read_only(X.indptr, X.indices, X.data, order, Vt)
        times["floor"].append((time.perf_counter() - start) / epochs * 1e3)
        start = time.perf_counter()
        for _ in range(epochs):
            order = rng.permutation(X.shape[0])
            for weights in columns:
                read_only(X.indptr, X.indices, X.data, order, weights)
        times["per-class floor"].append((time.perf_counter() - start) / epochs * 1e3)
        seconds, _ = timed(PerceptronClassifier(**params), X, y)
        times["skann"].append(seconds / epochs * 1e3)
        seconds, _ = timed(Perceptron(**params), X, y)
        times["scikit-learn"].append(seconds / epochs * 1e3)
        row = " | ".join(f"{times[k][-1]:.1f}" for k in times)
        print(f"| {r} | {row} |", flush=True)
    floor, per_class, ours, theirs = (statistics.median(times[k]) for k in times)
    print(
        f"medians: floor {floor:.1f} ms, per-class floor {per_class:.1f} ms, skann "
        f"{ours:.1f} ms, scikit-learn {theirs:.1f} ms; / scikit-learn: floor "
        f"{floor / theirs:.2f}, per-class floor {per_class / theirs:.2f}, skann "
        f"{ours / theirs:.2f}"
    )


def mean_accuracy(n_seeds):
    """Held-out accuracy of skann and scikit-learn, mean and sd over seeds."""
    print("| workload | skann mean (sd) | scikit-learn mean (sd) | difference |")
    print("|---|---:|---:|---:|")
    for name, X, y, Xte, yte, params, theirs in workloads():
        if Xte is None:
            continue
        ours, their = [], []
        for seed in range(n_seeds):
            model = PerceptronClassifier(**dict(params, random_state=seed))
            ours.append(model.fit(X, y).score(Xte, yte))
            model = clone(theirs).set_params(random_state=seed)
            their.append(model.fit(X, y).score(Xte, yte))
        a, b = np.mean(ours), np.mean(their)
        print(
            f"| {name} | {a:.4f} ({np.std(ours):.4f}) | {b:.4f} "
            f"({np.std(their):.4f}) | {a - b:+.4f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
