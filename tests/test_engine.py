"""The training engine's row hashes and content-ordered shuffle."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.utils import gen_batches

from skann import _compiled_hashes as compiled_hashes
from skann._engine import ContentShuffle, row_batches, row_hashes


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_equal_rows_hash_equal_and_dense_equals_csr(dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 7)).astype(dtype)
    X[rng.random(X.shape) < 0.5] = 0.0
    X = np.vstack([X, X[::-1]])
    h = row_hashes(X, None, np.random.RandomState(0))
    np.testing.assert_array_equal(h[:50], h[50:][::-1])
    csr = row_hashes(sparse.csr_matrix(X), None, np.random.RandomState(0))
    np.testing.assert_array_equal(h, csr)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hashes_separate_sign_flips_and_binary_rows(dtype):
    # A linear hash of raw float bit patterns cancels sign flips (2**63 + 2**63 =
    # 0 modulo 2**64) and keeps only the exponent bits of 0/1 data; the rotated
    # words must tell all these rows apart.
    rng = np.random.default_rng(1)
    A = rng.standard_normal((500, 6))
    signs = np.vstack([A, -A]).astype(dtype)
    assert len(np.unique(row_hashes(signs, None, np.random.RandomState(0)))) == 1000
    binary = np.unique(rng.integers(0, 2, (5000, 40)), axis=0).astype(dtype)
    hashes = row_hashes(binary, None, np.random.RandomState(0))
    assert len(np.unique(hashes)) == len(binary)


def test_labels_enter_the_hash():
    X = np.ones((2, 3))
    h = row_hashes(X, np.array([0, 1]), np.random.RandomState(0))
    assert h[0] != h[1]


def test_content_shuffle_orders_rows_by_contents_not_positions():
    keys = np.array([7, 3, 7, 9, 3, 7], dtype=np.uint64)
    rows = np.arange(6)
    orders = [
        ContentShuffle(rows, keys).order(np.random.RandomState(s)) for s in (0, 1)
    ]
    for order in orders:
        assert sorted(order) == list(range(6))
        visited = keys[order]
        # equal rows are visited one after the other
        assert sum(visited[1:] != visited[:-1]) == 2
    # Moving the rows around changes which positions come first, not which
    # contents: the same draw visits the same keys in the same order.
    moved = np.array([3, 0, 5, 1, 4, 2])
    order = ContentShuffle(rows, keys[moved]).order(np.random.RandomState(0))
    np.testing.assert_array_equal(keys[moved][order], keys[orders[0]])


def test_content_shuffle_without_equal_rows_is_a_permutation_of_the_rows():
    keys = np.random.default_rng(2).integers(0, 2**63, 100, dtype=np.uint64)
    rows = np.arange(10, 110)
    a = ContentShuffle(rows, np.r_[np.zeros(10, np.uint64), keys])
    orders = [a.order(np.random.RandomState(s)) for s in range(3)]
    for order in orders:
        np.testing.assert_array_equal(np.sort(order), rows)
    assert not np.array_equal(orders[0], orders[1])


@pytest.mark.skipif(
    not compiled_hashes.AVAILABLE, reason="numba (the skann[numba] extra) not installed"
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_hashes_equal_numpy_hashes(dtype, monkeypatch):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 11)).astype(dtype)
    X[rng.random(X.shape) < 0.3] = 0.0
    X[:5] = -X[5:10]
    X[20, 4], X[21, 2] = np.inf, -0.0
    compiled = row_hashes(X, np.arange(300) % 3, np.random.RandomState(0))
    monkeypatch.setattr(compiled_hashes, "AVAILABLE", False)
    reference = row_hashes(X, np.arange(300) % 3, np.random.RandomState(0))
    np.testing.assert_array_equal(compiled, reference)


@pytest.mark.parametrize(
    "n_rows, size", [(1, 1), (1, 256), (10, 3), (512, 256), (513, 256)]
)
def test_row_batches_are_gen_batches(n_rows, size):
    assert row_batches(n_rows, size) == list(gen_batches(n_rows, size))
