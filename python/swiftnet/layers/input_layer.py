"""The model input: `Input(shape=…)` returns the symbolic tensor of an `InputLayer`."""

import numpy as np

from ..keras_tensor import KerasTensor
from .layer import Layer


class InputLayer(Layer):
    """Declares the per-sample input shape (without the batch axis)."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **kwargs):
        if shape is None and batch_shape is not None:
            shape = tuple(batch_shape)[1:]
        if shape is None and "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if shape is None:
            raise ValueError("You must pass a `shape` argument to Input.")
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if not shape or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0 for d in shape):
            raise ValueError(
                "Expected `shape` to be a tuple of positive integers (variable dimensions are not supported). "
                f"Received: shape={shape}")
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.shape = tuple(int(d) for d in shape)
        self.batch_size = batch_size
        self.output = KerasTensor((None,) + self.shape, self)

    def get_config(self):
        return {"batch_shape": (self.batch_size,) + self.shape, "dtype": "float32", "name": self.name}

    def _engine_config(self):
        return {"shape": list(self.shape)}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **kwargs):
    """A symbolic model input of per-sample `shape`, as `keras.Input`."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape,
                      **kwargs).output
