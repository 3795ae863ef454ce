"""swiftnet: Keras-style deep learning whose whole training core runs in Swift.

    import swiftnet
    from swiftnet import layers
    model = swiftnet.Sequential([layers.Input(shape=(784,)), layers.Dense(10, activation="softmax")])
"""

from . import activations, callbacks, config, datasets, initializers, layers, losses, metrics, ops, optimizers, random, utils
from ._library import StateError, version as _version
from .keras_tensor import KerasTensor
from .layers import Input, InputLayer, Layer
from .models import Model, Sequential
from .variables import Variable

__version__ = _version()

__all__ = ["Input", "InputLayer", "KerasTensor", "Layer", "Model", "Sequential", "StateError", "Variable", "activations",
           "callbacks", "config", "datasets", "initializers", "layers", "losses", "metrics", "ops", "optimizers", "random",
           "utils"]
