"""`swiftnet.ops`: Keras 3's `keras.ops`. On NumPy arrays (or lists, numbers) each op computes at
once in the Swift engine and returns a NumPy array; on symbolic tensors (inside a functional
model definition or a layer's `call`) it adds a node to the graph, which then trains and predicts
in the engine."""

from . import nn, numpy
from .nn import (binary_crossentropy, categorical_crossentropy, elu, exponential, gelu, hard_sigmoid, hard_silu,
                 hard_swish, leaky_relu, log_sigmoid, log_softmax, moments, normalize, one_hot, relu, relu6, selu,
                 sigmoid, silu, softmax, softplus, softsign, sparse_categorical_crossentropy, swish)
from .numpy import *  # noqa: F401,F403
from .numpy import (abs, all, any, max, min, round, slice, sum)  # noqa: F401 (names shadowing builtins)

__all__ = [name for name in dir() if not name.startswith("_")]
