"""scikit-learn's estimator checks over every configuration users meet."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skann import BackpropMLPClassifier, PerceptronClassifier

# The online and mini-batch rules visit the samples in a random order, so k copies of
# a sample (visited at k places of the order) and one sample of weight k (visited
# once, one step scaled by k) train different models: the result depends on the order
# of visits. scikit-learn marks the same check as an expected failure for Perceptron
# and SGDClassifier, for this reason. The full-batch rule sums every step of an epoch
# at once, so for it a weight is exactly a repetition, and it passes.
ORDER_OF_VISITS = (
    "The result depends on the order of visits: k copies of a sample are visited at "
    "k places of the shuffled epoch, one sample of weight k once with a step scaled "
    "by k (scikit-learn marks this check as an expected failure for Perceptron and "
    "SGDClassifier for the same reason). The full-batch configuration passes."
)
NOISY_CLASS_WEIGHT = {
    "early_stopping": (
        "Early stopping holds out 5 of the check's 50 training samples, so the "
        "three-class model is trained on 45 and stopped on 5: with random_state=0 it "
        "predicts class 0 for 86% of the test samples where the check wants 87% "
        "(measured; random_state 1, 2, 3 give 98%, 100%, 100%, and the two-class "
        "problem passes)."
    ),
    "average": (
        "The averaged perceptron weighs every visit alike, so the early epochs, "
        "before the class weights {0: 1000, 1: 1e-4} have moved the boundary, stay in "
        "the average: 80% of the test predictions are class 0 where the check wants "
        "87%. scikit-learn's SGDClassifier(loss='perceptron', average=True) gives 78% "
        "on the same check (measured); scikit-learn does not run it averaged."
    ),
    "full_batch": (
        "On non-separable data the full-batch rule with a constant step oscillates "
        "between boundaries (its loss jumps by a factor of 10 from epoch to epoch "
        "here), so the loss-based stopping rule (tol) ends it at an arbitrary point "
        "of the cycle. With tol=None it runs max_iter epochs and passes (100%)."
    ),
}

CONFIGURATIONS = {
    "default": {},
    "average": {"average": True},
    "pocket": {"pocket": True},
    "multinomial": {"multi_class": "multinomial"},
    "margin": {"margin": 0.5},
    "minibatch": {"batch_size": 8},
    "full_batch": {"batch_size": 100_000},
    "early_stopping": {"early_stopping": True},
    "elasticnet": {"penalty": "elasticnet", "alpha": 1e-3},
}


# Solver × activation, each schedule and early stopping: the configurations of
# BackpropMLPClassifier users meet. Expected failures: mini-batches, dropout and
# early stopping's random split for sample-weight equivalence, and MLPClassifier's own
# class-weight failure with early stopping (expected_failures below); the solver ×
# activation grid has none.
MLP_CONFIGURATIONS = {
    "adam_relu": {},
    "adam_tanh": {"activation": "tanh", "learning_rate_init": 0.01},
    "sgd_logistic_nesterov": {
        "solver": "sgd",
        "activation": "logistic",
        "learning_rate_init": 0.1,
    },
    "sgd_relu_adaptive": {
        "solver": "sgd",
        "learning_rate_init": 0.1,
        "momentum": 0.0,
        "learning_rate": "adaptive",
    },
    "sgd_tanh_invscaling": {
        "solver": "sgd",
        "activation": "tanh",
        "nesterovs_momentum": False,
        "learning_rate": "invscaling",
        "learning_rate_init": 0.5,
        "power_t": 0.25,
    },
    "lbfgs_identity": {"solver": "lbfgs", "activation": "identity"},
    "lbfgs_relu": {"solver": "lbfgs"},
    "adam_early_stopping": {"early_stopping": True, "learning_rate_init": 0.01},
    "adam_identity_early_stopping": {"activation": "identity", "early_stopping": True},
    "adam_minibatch": {"batch_size": 8},
    "adam_dropout": {"dropout": 0.2},
    "lbfgs_dropout_per_layer": {
        "solver": "lbfgs",
        "hidden_layer_sizes": (20, 10),
        "dropout": (0.3, 0.0),
    },
    "adam_class_weight": {"class_weight": "balanced"},
    "adam_cosine": {"learning_rate": "cosine"},
    "adam_step": {"learning_rate": "step", "learning_rate_step": 50},
    "sgd_step": {
        "solver": "sgd",
        "learning_rate": "step",
        "learning_rate_init": 0.1,
        "learning_rate_step": 50,
    },
    "adam_invscaling": {"learning_rate": "invscaling", "learning_rate_init": 0.02},
    "adam_gelu_he": {"activation": "gelu", "init": "he"},
    "adam_leaky_relu": {"activation": "leaky_relu"},
}


class MLPWithValidationSet(BackpropMLPClassifier):
    """Early stopping on a validation set given to ``fit`` (``X_val, y_val``).

    The checks call ``fit(X, y, sample_weight)`` only; this subclass hands the
    training data back as the validation set, so every check runs the ``X_val``
    path (and weighted data stay equivalent to repeated data).
    """

    def fit(self, X, y, sample_weight=None):
        return super().fit(
            X, y, sample_weight, X_val=X, y_val=y, sample_weight_val=sample_weight
        )


def _name(estimator):
    params = estimator.get_params()
    for name, config in CONFIGURATIONS.items():
        if all(params[key] == value for key, value in config.items()) and config:
            return name
    return "default"


MINI_BATCH_ORDER = (
    "With 8-sample batches the result depends on which samples share a batch, and "
    "the check shuffles the repeated data relative to the weighted data, so the "
    "batches differ. Data up to 200 samples (batch_size='auto') and any full batch "
    "pass the check: see the other configurations."
)


RANDOM_HELD_OUT = (
    "early_stopping holds out scikit-learn's random split of the rows: a sample of "
    "weight k falls on one side where its k copies are split between both, as in "
    "MLPClassifier (whose default has no early stopping)."
)
RANDOM_MASKS = (
    "Dropout masks are drawn from random_state for each row visited: a sample of "
    "weight k gets one mask where its k copies get k different ones."
)
SATURATED_VALIDATION = (
    "MLPClassifier's own early stopping fails this check the same way: on the "
    "check's 50 noisy samples the held-out set has 5 rows whose class-weighted "
    "accuracy is 1.0 from the first epochs, so training stops after "
    "n_iter_no_change epochs and keeps an early epoch's weights (62-64 % of the "
    "test rows go to class 0 with 3 classes; the check wants 87 %). MLPClassifier "
    "given the class weights as sample_weight stops at the same epoch with the same "
    "network: test_class_weight_with_early_stopping_is_mlpclassifiers_sample_weight."
)


def expected_failures(estimator):
    if isinstance(estimator, BackpropMLPClassifier):
        failures = {}
        reason = None
        if estimator.batch_size == 8:
            reason = MINI_BATCH_ORDER
        elif estimator.early_stopping and not isinstance(
            estimator, MLPWithValidationSet
        ):
            reason = RANDOM_HELD_OUT
            failures["check_class_weight_classifiers"] = SATURATED_VALIDATION
        elif estimator.dropout != 0.0:
            reason = RANDOM_MASKS
        if reason:
            failures["check_sample_weight_equivalence_on_dense_data"] = reason
            failures["check_sample_weight_equivalence_on_sparse_data"] = reason
        return failures
    name = _name(estimator)
    failures = {}
    if name != "full_batch":
        failures["check_sample_weight_equivalence_on_dense_data"] = ORDER_OF_VISITS
        failures["check_sample_weight_equivalence_on_sparse_data"] = ORDER_OF_VISITS
    if name in NOISY_CLASS_WEIGHT:
        failures["check_class_weight_classifiers"] = NOISY_CLASS_WEIGHT[name]
    return failures


# scikit-learn's checks fit on small data with few iterations by design; the
# ConvergenceWarning that says so is expected there and says nothing about the check.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [
        PerceptronClassifier(max_iter=100, random_state=0, **config)
        for config in CONFIGURATIONS.values()
    ]
    + [
        BackpropMLPClassifier(max_iter=200, random_state=0, **config)
        for config in MLP_CONFIGURATIONS.values()
    ]
    + [
        MLPWithValidationSet(
            early_stopping=True, learning_rate_init=0.01, max_iter=200, random_state=0
        )
    ],
    expected_failed_checks=expected_failures,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
