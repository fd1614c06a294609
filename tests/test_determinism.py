"""The same ``random_state`` gives the same model, bit for bit, whatever the process,
``n_jobs``, memory order, storage or thread; one model predicts the same from many
threads at once.

Where bits may differ, the test says why and bounds the difference: the MLP's first
layer multiplies a dense ``X`` with BLAS and a sparse one with SciPy's sparse
product, which add the same terms in another order.
"""

import hashlib
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from joblib import Parallel, delayed, parallel_backend
from scipy import sparse
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_info, threadpool_limits

import skann
from skann import BackpropMLPClassifier, PerceptronClassifier

# The configurations stop at max_iter on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Configurations of both estimators that draw random numbers (shuffling, the
# initial weights, dropout masks, the early-stopping split).
CONFIGURATIONS = {
    "perceptron": (PerceptronClassifier, {"max_iter": 8, "tol": None}),
    "perceptron_averaged_l1": (
        PerceptronClassifier,
        {"max_iter": 8, "average": True, "penalty": "l1", "alpha": 1e-3},
    ),
    "perceptron_multinomial_early_stopping": (
        PerceptronClassifier,
        {"max_iter": 8, "multi_class": "multinomial", "early_stopping": True},
    ),
    "mlp_adam": (BackpropMLPClassifier, {"hidden_layer_sizes": (8,), "max_iter": 8}),
    "mlp_sgd_dropout": (
        BackpropMLPClassifier,
        {"hidden_layer_sizes": (8, 4), "solver": "sgd", "dropout": 0.2, "max_iter": 8},
    ),
    "mlp_lbfgs": (
        BackpropMLPClassifier,
        {"hidden_layer_sizes": (8,), "solver": "lbfgs", "max_iter": 15},
    ),
    "mlp_early_stopping": (
        BackpropMLPClassifier,
        {"hidden_layer_sizes": (8,), "early_stopping": True, "max_iter": 8},
    ),
}


def data(dtype=np.float64):
    """Three classes, 20 features, about half the entries zero."""
    X, y = make_classification(
        240, 20, n_informative=6, n_classes=3, n_clusters_per_class=1, random_state=0
    )
    X[np.abs(X) < 0.7] = 0.0
    return X.astype(dtype), y


def fit(name, X, y, random_state=0, **params):
    estimator_class, defaults = CONFIGURATIONS[name]
    return estimator_class(**defaults, **params, random_state=random_state).fit(X, y)


def weights(model):
    if isinstance(model, PerceptronClassifier):
        return [model.coef_, model.intercept_]
    return model.coefs_ + model.intercepts_


def fingerprint(model):
    """SHA-256 of the weights' dtypes, shapes and bytes."""
    digest = hashlib.sha256()
    for array in weights(model):
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def assert_same_bits(model, other):
    for mine, theirs in zip(weights(model), weights(other), strict=True):
        assert mine.dtype == theirs.dtype
        np.testing.assert_array_equal(mine, theirs, strict=True)


# ------------------------------------------------------------------------- processes
FIT_IN_A_NEW_PROCESS = """
import json, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
from test_determinism import CONFIGURATIONS, data, fingerprint, fit
import numpy as np
prints = {}
for dtype in (np.float64, np.float32):
    X, y = data(dtype)
    for name in CONFIGURATIONS:
        prints[f"{name} {np.dtype(dtype).name}"] = fingerprint(fit(name, X, y))
print(json.dumps(prints))
"""


def test_same_model_in_a_fresh_process():
    here = {}
    for dtype in (np.float64, np.float32):
        X, y = data(dtype)
        for name in CONFIGURATIONS:
            here[f"{name} {np.dtype(dtype).name}"] = fingerprint(fit(name, X, y))
    # The child imports the skann this process imported, with another hash seed.
    root = str(Path(skann.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONHASHSEED="12345")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    child = subprocess.run(
        [sys.executable, "-c", FIT_IN_A_NEW_PROCESS, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    assert json.loads(child.stdout) == here


def test_other_seed_other_model():
    # The fingerprints above can tell models apart: the seed changes them.
    X, y = data()
    for name in CONFIGURATIONS:
        assert fingerprint(fit(name, X, y)) != fingerprint(fit(name, X, y, 1)), name


# ------------------------------------------------------------------------- n_jobs, BLAS
@pytest.mark.parametrize("n_jobs", [1, 2, -1])
def test_perceptron_n_jobs_does_not_change_the_model(n_jobs):
    X, y = data()
    for name in CONFIGURATIONS:
        if name.startswith("perceptron"):
            assert_same_bits(fit(name, X, y, n_jobs=n_jobs), fit(name, X, y))


@pytest.mark.skipif(
    not any(info["internal_api"] == "openblas" for info in threadpool_info()),
    reason="OpenBLAS splits a matrix product across threads by rows and columns, "
    "so each sum keeps its order; other BLAS libraries need not.",
)
def test_mlp_is_the_same_with_one_blas_thread_or_two():
    # BackpropMLPClassifier has no n_jobs: its parallelism is BLAS's.
    X, y = data()
    for name in CONFIGURATIONS:
        if name.startswith("mlp"):
            with threadpool_limits(limits=1, user_api="blas"):
                one = fit(name, X, y)
            with threadpool_limits(limits=2, user_api="blas"):
                two = fit(name, X, y)
            assert_same_bits(one, two)


# ------------------------------------------------------------------------- storage
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_c_and_fortran_order_and_strided_views_give_the_same_model(name, dtype):
    X, y = data(dtype)
    c_order = fit(name, np.ascontiguousarray(X), y)
    assert_same_bits(c_order, fit(name, np.asfortranarray(X), y))
    # a view of every other column, as load_digits' data is a view of a wider array
    wide = np.zeros((X.shape[0], 2 * X.shape[1]), dtype)
    wide[:, ::2] = X
    assert_same_bits(c_order, fit(name, wide[:, ::2], y))


SPARSE = {
    "csr": sparse.csr_matrix,
    "csc": sparse.csc_matrix,
    "coo": sparse.coo_matrix,
    "csr_array": sparse.csr_array,
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("storage", list(SPARSE))
def test_perceptron_dense_and_sparse_give_the_same_model(storage, dtype):
    X, y = data(dtype)
    for name in CONFIGURATIONS:
        if name.startswith("perceptron"):
            assert_same_bits(fit(name, X, y), fit(name, SPARSE[storage](X), y))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("storage", list(SPARSE))
def test_mlp_dense_and_sparse_agree_to_rounding(storage, dtype):
    # Not bit for bit: the first layer's X W and X^T delta are BLAS products for
    # dense X and SciPy's sparse products for sparse X, which add the same terms in
    # another order. Measured: a few units in the last place of the largest
    # weight (up to 9 for lbfgs, whose line search follows the loss).
    X, y = data(dtype)
    eps = np.finfo(dtype).eps
    for name in CONFIGURATIONS:
        if not name.startswith("mlp"):
            continue
        dense, stored = fit(name, X, y), fit(name, SPARSE[storage](X), y)
        for mine, theirs in zip(weights(dense), weights(stored), strict=True):
            assert mine.dtype == theirs.dtype == dtype
            scale = np.abs(mine).max()
            assert np.abs(mine - theirs).max() <= 64 * eps * scale, name
        np.testing.assert_array_equal(dense.predict(X), stored.predict(X))


# ------------------------------------------------------------------------- threads
N_THREADS = 8


@pytest.mark.parametrize("name", ["perceptron", "mlp_adam", "mlp_sgd_dropout"])
def test_predicting_from_many_threads_at_once(name):
    X, y = data()
    X = np.tile(X, (20, 1))  # 4800 rows: long enough calls to overlap
    model = fit(name, X[:240], y)
    methods = ["predict", "decision_function"]
    if hasattr(model, "predict_proba"):
        methods += ["predict_proba", "predict_log_proba", "hidden_activations"]
    expected = {method: getattr(model, method)(X) for method in methods}
    start = threading.Barrier(N_THREADS)

    def predict_all(thread):
        start.wait()
        order = methods[thread % len(methods) :] + methods[: thread % len(methods)]
        return {method: getattr(model, method)(X) for method in order}

    with ThreadPoolExecutor(N_THREADS) as pool:
        results = list(pool.map(predict_all, range(N_THREADS)))
    for result in results:
        for method, value in expected.items():
            np.testing.assert_array_equal(result[method], value, strict=True)


def test_fitting_in_joblib_threads_gives_the_sequential_models():
    X, y = data()
    X32 = X.astype(np.float32)
    jobs = [
        (name, data_, seed)
        for name in CONFIGURATIONS
        for data_ in (X, X32, sparse.csr_matrix(X))
        for seed in (0, 1)
    ]
    sequential = [fit(name, X_, y, seed) for name, X_, seed in jobs]
    with parallel_backend("threading", n_jobs=4):
        threaded = Parallel()(
            delayed(fit)(name, X_, y, seed) for name, X_, seed in jobs
        )
    for (name, _, seed), one, other in zip(jobs, sequential, threaded, strict=True):
        assert fingerprint(one) == fingerprint(other), (name, seed)
