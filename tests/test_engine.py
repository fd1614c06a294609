"""The engine's shared pieces: prediction chunks and the early-stopping split."""

import numpy as np
import pytest
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils import gen_batches

from skann._engine import row_batches, sgd_holdout_split


@pytest.mark.parametrize(
    ("n_rows", "size"), [(1, 1), (1, 256), (10, 3), (512, 256), (513, 256)]
)
def test_row_batches_are_gen_batches(n_rows, size):
    assert row_batches(n_rows, size) == list(gen_batches(n_rows, size))


def test_holdout_split_is_scikit_learns_stratified_split():
    codes = np.repeat([0, 1, 2], [40, 30, 30])
    sw = np.ones(100)
    train, val = sgd_holdout_split(codes, sw, 0.2, np.random.RandomState(5))
    cv = StratifiedShuffleSplit(test_size=20, random_state=np.random.RandomState(5))
    ref_train, ref_val = next(cv.split(np.zeros((100, 1)), codes))
    np.testing.assert_array_equal(train, np.sort(ref_train))
    np.testing.assert_array_equal(val, np.sort(ref_val))


def test_holdout_split_of_small_data_keeps_each_class_on_both_sides():
    codes = np.array([0, 0, 0, 1, 1, 1, 0, 1, 0, 1])
    train, val = sgd_holdout_split(codes, np.ones(10), 0.1, np.random.RandomState(0))
    assert set(codes[train]) == set(codes[val]) == {0, 1}
    sw = np.ones(10)
    sw[codes == 1] = 0.0  # no weighted row of class 1 can train
    train, _ = sgd_holdout_split(codes, sw, 0.1, np.random.RandomState(0))
    assert (sw[train] > 0).all()
    with pytest.raises(ValueError, match="validation_fraction"):
        sgd_holdout_split(codes, np.zeros(10), 0.1, np.random.RandomState(0))
