"""Layers with Keras 3 names, arguments and weight layouts."""

from .activation import Activation
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .input_layer import Input, InputLayer
from .layer import Layer, Weight
from .reshape import Reshape

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "Layer", "Reshape", "Weight"]
