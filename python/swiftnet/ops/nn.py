"""`keras.ops.nn`: activations, softmax, one-hot encoding and the cross-entropies."""

from .. import _dtypes
from ._dispatch import axis_attr, run
from . import numpy as np_ops


def _activation(name, doc):
    def op(x):
        return run(name, [x])
    op.__name__ = name
    op.__doc__ = doc
    return op


relu = _activation("relu", "max(x, 0).")
relu6 = _activation("relu6", "min(max(x, 0), 6).")
sigmoid = _activation("sigmoid", "1 / (1 + exp(-x)).")
softplus = _activation("softplus", "log(1 + exp(x)).")
softsign = _activation("softsign", "x / (1 + |x|).")
silu = _activation("silu", "x · sigmoid(x).")
swish = silu
selu = _activation("selu", "Scaled exponential linear unit.")
hard_sigmoid = _activation("hard_sigmoid", "clip((x + 3) / 6, 0, 1).")
hard_silu = _activation("hard_silu", "x · hard_sigmoid(x).")
hard_swish = hard_silu
log_sigmoid = _activation("log_sigmoid", "log(sigmoid(x)).")
exponential = _activation("exponential", "exp(x).")


def tanh(x):
    return run("tanh", [x])


def gelu(x, approximate=True):
    """Gaussian error linear unit; the tanh approximation by default, as keras.ops.gelu."""
    return run("gelu", [x], {"approximate": bool(approximate)})


def elu(x, alpha=1.0):
    return run("elu", [x], {"alpha": float(alpha)})


def leaky_relu(x, negative_slope=0.2):
    return run("leaky_relu", [x], {"negative_slope": float(negative_slope)})


def softmax(x, axis=-1):
    """exp(x) normalised to sum to 1 over `axis` (an int or a tuple of axes)."""
    if isinstance(axis, (list, tuple)) and len(axis) != 1:
        # Over several axes: the exponentials of x − max, over their sum (a composite).
        shifted = np_ops.subtract(x, np_ops.stop_gradient(np_ops.max(x, axis=tuple(axis), keepdims=True)))
        e = np_ops.exp(shifted)
        return np_ops.divide(e, np_ops.sum(e, axis=tuple(axis), keepdims=True))
    return run("softmax", [x], {"axis": int(axis[0] if isinstance(axis, (list, tuple)) else axis)})


def log_softmax(x, axis=-1):
    """x − logsumexp(x) over `axis` (an int or a tuple of axes)."""
    if isinstance(axis, (list, tuple)) and len(axis) != 1:
        return np_ops.subtract(x, np_ops.logsumexp(x, axis=tuple(axis), keepdims=True))
    return run("log_softmax", [x], {"axis": int(axis[0] if isinstance(axis, (list, tuple)) else axis)})


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    return run("one_hot", [x], {"num_classes": int(num_classes), "axis": int(axis),
                                "dtype": _dtypes.standardize_dtype(dtype)})


def _loss(kind, target, output, from_logits):
    return run("loss", [target, output], {"kind": kind, "from_logits": bool(from_logits)})


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary cross-entropy (not reduced), as keras.ops.binary_crossentropy."""
    target = np_ops.expand_dims(target, -1)
    output = np_ops.expand_dims(output, -1)
    return _loss("binary_crossentropy", target, output, from_logits)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    if axis not in (-1, len(np_ops.shape(output)) - 1):
        target, output = np_ops.moveaxis(target, axis, -1), np_ops.moveaxis(output, axis, -1)
    return _loss("categorical_crossentropy", target, output, from_logits)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    if axis not in (-1, len(np_ops.shape(output)) - 1):
        output = np_ops.moveaxis(output, axis, -1)
    return _loss("sparse_categorical_crossentropy", target, output, from_logits)


def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over `axes`."""
    mean = np_ops.mean(x, axis=axes, keepdims=True)
    variance = np_ops.mean(np_ops.square(np_ops.subtract(x, mean)), axis=axes, keepdims=True)
    if not keepdims:
        mean = np_ops.squeeze(mean, axis=axis_attr(axes))
        variance = np_ops.squeeze(variance, axis=axis_attr(axes))
    return mean, variance


def normalize(x, axis=-1, order=2):
    """x divided by its L`order` norm along `axis`."""
    if order == 2:
        norm = np_ops.sqrt(np_ops.maximum(np_ops.sum(np_ops.square(x), axis=axis, keepdims=True), 1e-12))
    else:
        norm = np_ops.power(np_ops.sum(np_ops.power(np_ops.abs(x), order), axis=axis, keepdims=True), 1.0 / order)
    return np_ops.divide(x, norm)
