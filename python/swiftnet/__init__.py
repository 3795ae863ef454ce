"""swiftnet: Keras-style deep learning whose whole training core runs in Swift.

    import swiftnet
    from swiftnet import layers
    model = swiftnet.Sequential([layers.Input(shape=(784,)), layers.Dense(10, activation="softmax")])
"""

from . import activations, callbacks, config, datasets, initializers, layers, losses, metrics, optimizers, utils
from ._library import StateError, version as _version
from .keras_tensor import KerasTensor
from .layers import Input, InputLayer
from .models import Model, Sequential

__version__ = _version()

__all__ = ["Input", "InputLayer", "KerasTensor", "Model", "Sequential", "StateError", "activations", "callbacks", "config", "datasets",
           "initializers", "layers", "losses", "metrics", "optimizers", "utils"]
