"""The compiled one-pass updates of skann._kernels.optimizers against their NumPy
references in skann._math.optimizers, and the estimator with and without kernels.

Each kernel does the reference's operations in the same order and dtype, so the
two agree bit for bit, not only to rounding.
"""

import numpy as np
import pytest

pytest.importorskip("numba")

import skann  # noqa: E402
from skann._kernels import optimizers as kernels  # noqa: E402
from skann._math import optimizers as reference  # noqa: E402
from skann._math.optimizers import SGD, Adam, LearningRateSchedule  # noqa: E402

SIZE, N_WEIGHTS = 1003, 811  # odd sizes: the vector loops' remainders run too


def _optimizer(kind, dtype, compiled, number):
    schedule = LearningRateSchedule("constant", number(0.01))
    module = kernels if compiled else reference
    if kind == "adam":
        return Adam(
            SIZE,
            dtype,
            schedule,
            beta_1=number(0.9),
            beta_2=number(0.999),
            epsilon=number(1e-8),
            update=module.adam_update,
        )
    return SGD(
        SIZE,
        dtype,
        schedule,
        momentum=number(0.9),
        nesterov=kind == "nesterov",
        update=module.sgd_update,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["adam", "nesterov", "momentum"])
@pytest.mark.parametrize("l2_scale", [0.0, 1e-3])
# hyper-parameters as Python floats, or as NumPy float64 scalars (what a grid built
# with np.logspace gives), which must not make NumPy compute in float64
@pytest.mark.parametrize("number", [float, np.float64], ids=["float", "np.float64"])
def test_update_kernels_equal_reference(dtype, kind, l2_scale, number):
    l2_scale = number(l2_scale)
    rng = np.random.default_rng(0)
    start = rng.standard_normal(SIZE).astype(dtype)
    # an infinite weight: without a penalty its update must not see 0 * inf = NaN
    start[3] = np.inf
    theta = {True: start.copy(), False: start.copy()}
    optimizers = {c: _optimizer(kind, dtype, c, number) for c in (True, False)}
    for _ in range(5):
        gradient = rng.standard_normal(SIZE).astype(dtype)
        for compiled, optimizer in optimizers.items():
            # the step uses its gradient as work space: each gets its own copy;
            # with a penalty the infinite weight turns NaN in both (inf / inf)
            with np.errstate(invalid="ignore"):
                optimizer.step(theta[compiled], gradient.copy(), N_WEIGHTS, l2_scale)
    np.testing.assert_array_equal(
        theta[True].view(np.uint8), theta[False].view(np.uint8)
    )
    assert np.isnan(theta[True][3]) == bool(l2_scale)
    assert theta[True].dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["adam_update", "sgd_update"])
def test_update_kernels_called_directly_equal_reference(dtype, name):
    rng = np.random.default_rng(1)
    theta = rng.standard_normal(SIZE).astype(dtype)
    g = rng.standard_normal(SIZE).astype(dtype)
    state = [rng.standard_normal(SIZE).astype(dtype) for _ in range(2)]
    state[-1] = np.abs(state[-1])  # Adam's second moment
    if name == "adam_update":
        args = (N_WEIGHTS, 1e-3, 0.9, 0.999, 1e-8, 0.01)
    else:
        args = (N_WEIGHTS, 1e-3, 0.01, 0.9, True)
        state = state[:1]
    outputs = []
    for module in (reference, kernels):
        copies = [theta.copy(), g.copy()] + [s.copy() for s in state]
        getattr(module, name)(*copies, *args)
        outputs.append(copies)
    # the parameters and the optimiser's state; the gradient is work space
    del outputs[0][1], outputs[1][1]
    for got, expected in zip(outputs[1], outputs[0], strict=True):
        np.testing.assert_array_equal(got.view(np.uint8), expected.view(np.uint8))


def test_optimizer_pickle_leaves_the_update_out():
    import pickle

    adam = Adam(4, np.float64, LearningRateSchedule("constant", 0.1))
    adam.update = kernels.adam_update
    adam.step(np.ones(4), np.ones(4))
    restored = pickle.loads(pickle.dumps(adam))
    assert restored.update is reference.adam_update
    assert restored.t == 1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_estimator_learns_the_same_weights_with_and_without_kernels(
    dtype, solver, weighted, dropout
):
    # relu (the default activation) and the softmax output (10 classes, its loss
    # and error from class indices) run their fused layer steps too; with weights
    # the output error scales each row; with dropout the masked deltas' bias
    # gradients are summed after the mask
    from sklearn.datasets import load_digits

    from skann import BackpropMLPClassifier

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(dtype)
    params = dict(
        hidden_layer_sizes=(20,),
        solver=solver,
        alpha=1e-3,
        max_iter=3,
        random_state=0,
        class_weight="balanced" if weighted else None,
        dropout=dropout,
    )
    sw = np.random.default_rng(0).uniform(0, 3, len(y)) if weighted else None
    with skann.config_context(compiled=True):
        compiled = BackpropMLPClassifier(**params).fit(X, y, sample_weight=sw)
        proba_compiled = compiled.predict_proba(X)
    with skann.config_context(compiled=False):
        plain = BackpropMLPClassifier(**params).fit(X, y, sample_weight=sw)
        proba_plain = plain.predict_proba(X)
    assert compiled._optimizer.update is getattr(kernels, f"{solver}_update")
    assert plain._optimizer.update is getattr(reference, f"{solver}_update")
    for ours, theirs in zip(
        compiled.coefs_ + compiled.intercepts_,
        plain.coefs_ + plain.intercepts_,
        strict=True,
    ):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(compiled.loss_curve_, plain.loss_curve_)
    np.testing.assert_array_equal(proba_compiled, proba_plain)
