"""The base of every layer: config, naming, symbolic calls, and weights held by the engine."""

import numpy as np

from .. import _library, _naming
from .. import random as sn_random
from ..keras_tensor import KerasTensor


class Layer:
    """A Keras-style layer. Its computation and weights live in the Swift engine once a model
    containing it is built; the Python object holds the config and a view on those weights."""

    # Accepted on any layer, as in Keras, to declare the model's input when used first.
    _SHAPE_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size")

    def __init__(self, name=None, trainable=True, dtype=None, **kwargs):
        shape_kwargs = {k: kwargs.pop(k) for k in self._SHAPE_KWARGS if k in kwargs}
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if dtype not in (None, "float32") and getattr(dtype, "__name__", None) != "float32":
            raise ValueError(f"swiftnet computes in float32. Received: dtype={dtype!r}")
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"Expected `name` to be a non-empty string. Received: name={name!r}")
        self.name = name or _naming.unique_name(_naming.snake_case(type(self).__name__))
        self.trainable = bool(trainable)
        self._input_shape_arg = _declared_input_shape(shape_kwargs)
        # Seeds the layer's initializers and random ops when they have no seed of their own.
        self._seed = sn_random.next_seed()
        self._model = None           # the Model whose engine holds this layer's weights
        self._node_index = None      # this layer's index in that engine model
        self._pending_weights = None  # weights to install when the layer is next built

    # -- config ---------------------------------------------------------------------------------

    def get_config(self):
        """The layer's Keras config (constructor arguments)."""
        return {"name": self.name, "trainable": self.trainable, "dtype": "float32"}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _engine_config(self):
        """The config the engine reads (Keras keys); layers add theirs."""
        return {}

    def _spec(self):
        return {"class_name": self._engine_class(), "name": self.name, "config": self._engine_config()}

    @classmethod
    def _engine_class(cls):
        return cls.__name__

    def _validate(self):
        """Checks the config in the engine, so bad arguments fail at construction as in Keras."""
        _library.validate_layer(self._spec())

    # -- symbolic use -------------------------------------------------------------------------------

    def compute_output_shape(self, input_shape):
        """Output shape (batch axis first) for an input shape, computed by the engine."""
        input_shape = tuple(input_shape)
        if not input_shape:
            raise ValueError(f"[{type(self).__name__}] Expected an input shape with a batch axis. Received: ()")
        sample = tuple(-1 if d is None else int(d) for d in input_shape[1:])
        if any(d < 0 for d in sample):
            raise ValueError(f"[{type(self).__name__}] All dimensions but the batch axis must be known. Received: {input_shape}")
        return (input_shape[0],) + _library.layer_output_shape(self._spec(), sample)

    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, KerasTensor):
            raise TypeError(
                f"Layer '{self.name}' can only be called on the symbolic output of `swiftnet.Input` or "
                f"another layer (functional API). To run it on data, put it in a model and call `predict`. "
                f"Received: {type(inputs).__name__}")
        return KerasTensor(self.compute_output_shape(inputs.shape), self, (inputs,))

    # -- weights ------------------------------------------------------------------------------------

    @property
    def built(self):
        return self._model is not None and self._model._engine is not None

    def _weight_specs(self):
        if not self.built:
            return []
        return self._model._description["layers"][self._node_index]["weights"]

    @property
    def weights(self):
        return [Weight(self, i, spec) for i, spec in enumerate(self._weight_specs())]

    @property
    def trainable_weights(self):
        return [w for w in self.weights if w.trainable] if self.trainable else []

    @property
    def non_trainable_weights(self):
        return [w for w in self.weights if not w.trainable or not self.trainable]

    def get_weights(self):
        """Copies of the weights as NumPy arrays, in Keras's order (e.g. Dense: kernel, bias)."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Overwrites the weights from arrays of the same shapes, in `get_weights()` order."""
        specs = self._weight_specs()
        if not self.built:
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}', which is not built yet. "
                f"Build its model first (give it an input shape or call it on data).")
        weights = list(weights)
        if len(weights) != len(specs):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of length "
                f"{len(weights)}, but the layer was expecting {len(specs)} weights.")
        arrays = []
        for spec, value in zip(specs, weights):
            value = np.asarray(value)
            if value.dtype.kind not in "biuf":
                raise TypeError(f"Expected numeric weights for layer '{self.name}'. Received: dtype={value.dtype}")
            if tuple(value.shape) != tuple(spec["shape"]):
                raise ValueError(
                    f"Layer {self.name} weight shape {tuple(spec['shape'])} is not compatible with provided "
                    f"weight shape {tuple(value.shape)}.")
            array = np.ascontiguousarray(value, dtype=np.float32)
            if not np.isfinite(array).all():
                raise ValueError(f"Weights for layer '{self.name}' contain NaN or infinite values.")
            arrays.append(array)
        # Checked all before writing any, so that a bad list changes nothing.
        for i, array in enumerate(arrays):
            self._model._engine.set_weight(self._node_index, i, array)

    def count_params(self):
        return int(sum(np.prod(spec["shape"], dtype=np.int64) for spec in self._weight_specs()))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class Weight:
    """A view on one engine-held weight: `numpy()` copies it out, `assign()` writes it."""

    def __init__(self, layer, index, spec):
        self._layer = layer
        self._index = index
        self.name = spec["name"]
        self.path = f"{layer.name}/{spec['name']}"
        self.shape = tuple(spec["shape"])
        self.trainable = bool(spec["trainable"])
        self.dtype = "float32"

    def numpy(self):
        return self._layer._model._engine.get_weight(self._layer._node_index, self._index, self.shape)

    def assign(self, value):
        values = self._layer.get_weights()
        values[self._index] = value
        self._layer.set_weights(values)

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def __repr__(self):
        return f"<Weight path={self.path}, shape={self.shape}>"


def _declared_input_shape(kwargs):
    """The per-sample input shape declared by `input_shape=`, `input_dim=` or `batch_input_shape=`."""
    if kwargs.get("input_shape") is not None:
        shape = kwargs["input_shape"]
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    elif kwargs.get("batch_input_shape") is not None:
        shape = tuple(kwargs["batch_input_shape"])[1:]
    elif kwargs.get("input_dim") is not None:
        shape = (kwargs["input_dim"],)
    else:
        return None
    if not shape or not all(isinstance(d, (int, np.integer)) and d > 0 for d in shape):
        raise ValueError(f"Expected `input_shape` to be a tuple of positive integers. Received: input_shape={shape}")
    return tuple(int(d) for d in shape)
