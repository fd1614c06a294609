"""Export fitted skann estimators to ONNX with skl2onnx.

Importing this module registers a shape calculator and a converter for
:class:`~skann.PerceptronClassifier` and :class:`~skann.BackpropMLPClassifier`
with skl2onnx (``skl2onnx.update_registered_converter``). After that,
``skl2onnx.to_onnx`` converts them as it converts scikit-learn's own classifiers,
alone or inside a :class:`~sklearn.pipeline.Pipeline`.

Both converted models have two outputs, as scikit-learn's classifiers do:

``label``
    What ``predict`` returns: ``int64`` for integer, boolean or integral float
    class labels, strings for string labels; for multilabel targets an ``int64``
    indicator matrix of shape ``(n_samples, n_labels)``.
``probabilities``
    For :class:`~skann.BackpropMLPClassifier`, what ``predict_proba`` returns.
    For :class:`~skann.PerceptronClassifier`, which has no probabilities, the net
    inputs of ``decision_function``: one column per neuron, and for a binary
    model the two columns ``[-n, n]`` (so the second column is
    ``decision_function``, as skl2onnx does for scikit-learn's ``Perceptron``).

As for scikit-learn's classifiers, ``probabilities`` is a list of dictionaries
(a ``ZipMap``) unless the option ``zipmap`` is ``False``::

    to_onnx(model, X[:1], options={"zipmap": False})

Hidden layers may use every built-in activation (``"identity"``, ``"logistic"``,
``"tanh"``, ``"relu"``, ``"leaky_relu"`` and ``"gelu"``, the exact GELU
``z Phi(z)`` written with ``Erf``). A user-defined activation (from
:func:`skann.make_activation`) has no ONNX form: converting such a model raises
:class:`NotImplementedError` naming the function.

Requires the ``onnx`` extra: ``pip install "skann[onnx]"``.

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> from skl2onnx import to_onnx
>>> from sklearn.datasets import load_iris
>>> import skann.onnx  # registers the converters
>>> from skann import BackpropMLPClassifier
>>> X, y = load_iris(return_X_y=True)
>>> X = X.astype(np.float32)
>>> clf = BackpropMLPClassifier(
...     hidden_layer_sizes=(8,), solver="lbfgs", max_iter=300, random_state=0
... ).fit(X, y)
>>> onx = to_onnx(clf, X[:1], options={"zipmap": False})
>>> session = ort.InferenceSession(
...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
... )
>>> label, proba = session.run(None, {"X": X})
>>> bool((label == clf.predict(X)).all())
True
>>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
True
"""

import numpy as np

try:
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
        guess_proto_type,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )
    from skl2onnx.proto import onnx_proto
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "skann.onnx needs skl2onnx (and onnxruntime to run the converted models); "
        'install them with: pip install "skann[onnx]"'
    ) from exc

from skann import BackpropMLPClassifier, PerceptronClassifier

__all__ = ["register"]

#: ONNX operator of each built-in hidden activation that has one.
_ONNX_ACTIVATIONS = {
    "identity": "Identity",
    "logistic": "Sigmoid",
    "tanh": "Tanh",
    "relu": "Relu",
}
#: Slope of skann's ``leaky_relu`` on the negative side (``skann/_math/activations``).
_LEAKY_RELU_SLOPE = 0.01
_BUILT_IN = (*_ONNX_ACTIVATIONS, "leaky_relu", "gelu")


# ------------------------------------------------------------------ model facts
def _activation_name(model):
    """The built-in activation name of ``model``, or raise naming the user's one."""
    activation = model.activation
    if isinstance(activation, str) and activation in _BUILT_IN:
        return activation
    function = getattr(activation, "function", activation)
    function = getattr(function, "function", function)  # unwrap make_activation's
    name = getattr(function, "__qualname__", None) or repr(function)
    module = getattr(function, "__module__", None)
    if module:
        name = f"{module}.{name}"
    raise NotImplementedError(
        f"Cannot convert {type(model).__name__} with the user-defined activation "
        f"{name!r} to ONNX: skann.onnx knows the built-in activations "
        f"{', '.join(repr(a) for a in _BUILT_IN)} only. Refit with one of them, or "
        "write an ONNX converter for your function."
    )


def _is_multilabel(model):
    """Whether ``model`` was fitted on a multilabel indicator matrix."""
    if isinstance(model, BackpropMLPClassifier):
        return model.out_activation_ == "logistic" and len(model.intercepts_[-1]) > 1
    # The perceptron keeps one neuron per class for multiclass and multilabel
    # targets alike; only its private flag tells them apart.
    return bool(getattr(model, "_multilabel", False))


def _label_encoding(classes):
    """ONNX type of the labels and the class array to store, as skl2onnx does for
    scikit-learn's classifiers: integers (float labels must be integral) or
    strings."""
    classes = np.asarray(classes)
    if classes.dtype == np.bool_ or np.issubdtype(classes.dtype, np.integer):
        return onnx_proto.TensorProto.INT64, classes.astype(np.int64)
    if np.issubdtype(classes.dtype, np.floating):
        as_int = classes.astype(np.int64)
        if not np.array_equal(as_int, classes):
            raise NotImplementedError(
                "ONNX labels are integers or strings; the class labels "
                f"{classes.tolist()} are floats that are not integers."
            )
        return onnx_proto.TensorProto.INT64, as_int
    return onnx_proto.TensorProto.STRING, np.array(
        [str(c).encode("utf-8") for c in classes]
    )


# ------------------------------------------------------------------ shapes
def _output_shapes(operator):
    """Shape calculator of both estimators: ``label`` and ``probabilities``."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(
        operator,
        good_input_types=[
            FloatTensorType,
            DoubleTensorType,
            Int64TensorType,
            BooleanTensorType,
        ],
    )
    model = operator.raw_operator
    if isinstance(model, BackpropMLPClassifier):
        _activation_name(model)  # fail early, before any graph is built
    N = operator.inputs[0].get_first_dimension()
    n_classes = len(model.classes_)
    multilabel = _is_multilabel(model)
    label_shape = [N, n_classes] if multilabel else [N]
    label_type, _ = (
        (onnx_proto.TensorProto.INT64, None)
        if multilabel
        else _label_encoding(model.classes_)
    )
    if label_type == onnx_proto.TensorProto.STRING:
        operator.outputs[0].set_type(StringTensorType(shape=label_shape))
    else:
        operator.outputs[0].set_type(Int64TensorType(shape=label_shape))
    if operator.inputs[0].type.__class__ is DoubleTensorType:
        operator.outputs[1].set_type(DoubleTensorType(shape=[N, n_classes]))
    else:
        operator.outputs[1].set_type(FloatTensorType(shape=[N, n_classes]))


# ------------------------------------------------------------------ graph pieces
class _Graph:
    """Adds nodes and constants to skl2onnx's container under unique names."""

    def __init__(self, scope, container, dtype):
        self.scope = scope
        self.container = container
        self.dtype = dtype  # onnx_proto.TensorProto.FLOAT or DOUBLE

    def name(self, hint):
        return self.scope.get_unique_variable_name(hint)

    def constant(self, hint, value, dtype=None):
        value = np.asarray(value)
        name = self.name(hint)
        self.container.add_initializer(
            name,
            self.dtype if dtype is None else dtype,
            list(value.shape),
            value.ravel().tolist(),
        )
        return name

    def node(self, op_type, inputs, output=None, op_domain="", **attrs):
        output = self.name(op_type.lower()) if output is None else output
        self.container.add_node(
            op_type,
            inputs,
            output,
            op_domain=op_domain,
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return output

    def one(self):
        return self.constant("one", np.array(1.0))

    def affine(self, X, W, b):
        """``X W + b`` with ``W`` of shape (fan_in, fan_out)."""
        W = self.constant("coefficient", W)
        b = self.constant("intercept", np.asarray(b).reshape(1, -1))
        return self.node("Add", [self.node("MatMul", [X, W]), b])

    def labels(self, scores, classes, output):
        """``classes_[argmax(scores, axis=1)]`` into ``output``."""
        label_type, classes = _label_encoding(classes)
        index = self.node("ArgMax", [scores], axis=1, keepdims=0)
        classes = self.constant("classes", classes, dtype=label_type)
        return self.node("Gather", [classes, index], output, axis=0)

    def indicator(self, values, threshold, output):
        """``(values > threshold)`` as an int64 matrix into ``output``."""
        threshold = self.constant("threshold", np.array(threshold))
        above = self.node("Greater", [values, threshold])
        return self.node("Cast", [above], output, to=onnx_proto.TensorProto.INT64)


def _input(graph, operator):
    """The input cast to the float type of the computation."""
    return graph.node("Cast", [operator.inputs[0].full_name], to=graph.dtype)


def _float_type(operator):
    dtype = guess_proto_type(operator.inputs[0].type)
    if dtype != onnx_proto.TensorProto.DOUBLE:
        dtype = onnx_proto.TensorProto.FLOAT
    return dtype


def _numpy_dtype(proto_dtype):
    return np.float64 if proto_dtype == onnx_proto.TensorProto.DOUBLE else np.float32


# ------------------------------------------------------------------ converters
def _hidden_activation(graph, Z, name):
    if name == "gelu":
        # g(z) = z Phi(z) = z (1 + erf(z / sqrt(2))) / 2: skann's exact GELU.
        scaled = graph.node("Mul", [Z, graph.constant("inv_sqrt2", 1 / np.sqrt(2))])
        if graph.dtype == onnx_proto.TensorProto.DOUBLE:
            # onnxruntime has no double Erf: take it in float32 (error ~1e-7).
            scaled = graph.node("Cast", [scaled], to=onnx_proto.TensorProto.FLOAT)
            erf = graph.node("Cast", [graph.node("Erf", [scaled])], to=graph.dtype)
        else:
            erf = graph.node("Erf", [scaled])
        half = graph.node("Mul", [Z, graph.constant("half", 0.5)])
        return graph.node("Mul", [half, graph.node("Add", [erf, graph.one()])])
    if name == "leaky_relu":
        # max(z, slope z) for 0 < slope < 1; onnxruntime's LeakyRelu is float only.
        slope = graph.constant("slope", _LEAKY_RELU_SLOPE)
        return graph.node("Max", [Z, graph.node("Mul", [Z, slope])])
    return graph.node(_ONNX_ACTIVATIONS[name], [Z])


def _convert_mlp(scope, operator, container):
    """``A_l = g(A_{l-1} W_l + b_l)``, then softmax or logistic outputs."""
    model = operator.raw_operator
    activation = _activation_name(model)
    graph = _Graph(scope, container, _float_type(operator))
    dtype = _numpy_dtype(graph.dtype)
    A = _input(graph, operator)
    n_layers = len(model.coefs_)
    for layer, (W, b) in enumerate(zip(model.coefs_, model.intercepts_, strict=True)):
        Z = graph.affine(A, np.asarray(W, dtype), np.asarray(b, dtype))
        A = Z if layer == n_layers - 1 else _hidden_activation(graph, Z, activation)
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    if model.out_activation_ == "softmax":
        P = graph.node("Softmax", [Z], proba, axis=1)
        graph.labels(P, model.classes_, label)
        return
    # Logistic outputs are clipped to [eps, 1 - eps], as predict_proba does.
    eps = np.finfo(dtype).eps
    P = graph.node("Sigmoid", [Z])
    P = graph.node(
        "Clip",
        [P, graph.constant("eps", np.array(eps)), graph.constant("1-eps", 1 - eps)],
    )
    if _is_multilabel(model):
        graph.node("Identity", [P], proba)
        graph.indicator(P, 0.5, label)
        return
    negative = graph.node("Sub", [graph.one(), P])
    graph.node("Concat", [negative, P], proba, axis=1)
    # classes_[1] where P > 0.5 (an argmax over [1 - P, P] picks classes_[0] at
    # a tie, as skann does).
    graph.labels(proba, model.classes_, label)


def _convert_perceptron(scope, operator, container):
    """``n = W p + b`` for every neuron, then the hard limit or the argmax."""
    model = operator.raw_operator
    graph = _Graph(scope, container, _float_type(operator))
    dtype = _numpy_dtype(graph.dtype)
    coef = model.coef_
    if hasattr(coef, "toarray"):  # sparsified coef_
        coef = coef.toarray()
    X = _input(graph, operator)
    N = graph.affine(X, np.asarray(coef, dtype).T, np.asarray(model.intercept_, dtype))
    label, scores = operator.outputs[0].full_name, operator.outputs[1].full_name
    if _is_multilabel(model):
        graph.node("Identity", [N], scores)
        graph.indicator(N, 0.0, label)
        return
    if coef.shape[0] == 1:
        # Binary: the columns [-n, n]; classes_[1] where n > 0 (at n = 0 the
        # argmax picks the first column, classes_[0], as predict does).
        graph.node("Concat", [graph.node("Neg", [N]), N], scores, axis=1)
    else:
        graph.node("Identity", [N], scores)
    graph.labels(scores, model.classes_, label)


# ``nocl`` (class indices instead of labels) is not implemented; ZipMap reads it.
_OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [False]}


def register():
    """Register skann's shape calculators and converters with skl2onnx.

    Called when :mod:`skann.onnx` is imported; calling it again is harmless.

    Examples
    --------
    >>> from skl2onnx import supported_converters
    >>> from skann.onnx import register
    >>> register()
    >>> [name for name in supported_converters() if name.startswith("Skann")]
    ['SkannBackpropMLPClassifier', 'SkannPerceptronClassifier']
    """
    update_registered_converter(
        PerceptronClassifier,
        "SkannPerceptronClassifier",
        _output_shapes,
        _convert_perceptron,
        options=_OPTIONS,
    )
    update_registered_converter(
        BackpropMLPClassifier,
        "SkannBackpropMLPClassifier",
        _output_shapes,
        _convert_mlp,
        options=_OPTIONS,
    )


register()
