"""The base of every layer, with Keras 3's life cycle: `__init__` stores the config, `build(input_shape)`
creates weights with `add_weight`, `call(inputs, training=None, mask=None)` computes with
`swiftnet.ops`, `compute_mask`, `get_config`.

Two kinds of layers share it. Built-in layers (`_engine_layer`) run as fused kernels in the engine,
which holds their weights. Layers with a Python `call` (yours) are traced: called on symbolic
tensors, `call` runs once with symbolic inputs and its ops become part of the model's graph, so
they train at engine speed; called on arrays, `call` runs at once, op by op."""

import inspect

import numpy as np

from .. import _dtypes, _graph, _library, _naming, _tree, constraints, regularizers
from .. import random as sn_random
from ..keras_tensor import KerasTensor
from ..variables import EngineWeight, Variable


class Tensor(np.ndarray):
    """A NumPy array returned by calling a model or layer on data; `.numpy()` gives the array, as
    TensorFlow tutorials expect (`model(x[:1]).numpy()`)."""

    def numpy(self):
        return np.asarray(self)


def _as_result(value):
    return _tree.map_structure(lambda v: np.asarray(v).view(Tensor) if isinstance(v, np.ndarray) else v, value)


class Layer:
    """A Keras layer. Subclass it and write `build` and `call` with `swiftnet.ops`; or use the
    built-in layers of `swiftnet.layers`."""

    # Accepted on any layer, as in Keras, to declare the model's input when used first.
    _SHAPE_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size")
    # Built-in layers run in the engine, which holds their weights.
    _engine_layer = False
    # Whether masks pass through the layer unchanged (Keras's `supports_masking`).
    supports_masking = False

    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        # Set before any __init__ so that attribute tracking works in subclasses' __init__.
        object.__setattr__(layer, "_tracked_layers", [])
        object.__setattr__(layer, "_own_variables", [])
        object.__setattr__(layer, "_inbound_nodes", [])
        return layer

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True, name=None, **kwargs):
        shape_kwargs = {k: kwargs.pop(k) for k in self._SHAPE_KWARGS if k in kwargs}
        kwargs.pop("input_dtype", None)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if isinstance(dtype, dict) and dtype.get("class_name") in ("DTypePolicy", "FloatDTypePolicy"):
            dtype = (dtype.get("config") or {}).get("name", "float32")  # Keras's serialized dtype policy
        if dtype is not None and not (isinstance(dtype, str) and dtype in ("float32", "mixed_float32")) \
                and getattr(dtype, "name", None) != "float32" and getattr(dtype, "__name__", None) != "float32":
            try:
                _dtypes.standardize_dtype(dtype)
            except ValueError:
                raise ValueError(f"swiftnet computes in float32. Received: dtype={dtype!r}") from None
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"Expected `name` to be a non-empty string. Received: name={name!r}")
        self.name = name or _naming.unique_name(_naming.snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.built = False
        self._input_shape_arg = _declared_input_shape(shape_kwargs)
        # Seeds the layer's initializers and random ops when they have no seed of their own.
        self._seed = sn_random.next_seed()
        self._engine_binding = None   # (NativeModel, layer index) once a built model holds the layer
        self._pending_weights = None  # weights to install when the layer is next bound
        self._build_shapes = None
        # Its penalty on the layer's outputs joins the loss (divided by the batch size, as Keras).
        self.activity_regularizer = regularizers.get(activity_regularizer)

    # -- attribute tracking (sublayers and variables, as Keras tracks them) ----------------------------

    def __setattr__(self, name, value):
        # Layers held directly or inside lists, tuples and dicts (at any depth) are sublayers, as in Keras.
        for layer in _layers_in(value):
            if layer is not self and not any(layer is l for l in self._tracked_layers):
                self._tracked_layers.append(layer)
        object.__setattr__(self, name, value)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        # Every sublayer follows, as in Keras (a functional model's layers live in its graph).
        for layer in self._tracked_layers + [l for l in getattr(self, "_graph_layers", ()) if l is not self]:
            layer.trainable = value

    # -- config ---------------------------------------------------------------------------------------

    def get_config(self):
        """The layer's Keras config (constructor arguments), in Keras 3's form: `dtype` as a
        DTypePolicy, nested objects as `{"module", "class_name", "config", "registered_name"}`."""
        from ..saving.serialization import keras_dtype_policy
        config = {"name": self.name, "trainable": self.trainable, "dtype": keras_dtype_policy()}
        if getattr(self, "activity_regularizer", None) is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        """The layer of a config (swiftnet's or Keras 3's): Keras-only arguments at their neutral
        values are dropped; any other argument swiftnet lacks is a clear error."""
        from ..saving import serialization
        return serialization.construct(cls, serialization.layer_kwargs(config), config)

    def get_build_config(self):
        """Keras's `{"input_shape": …}` for a built layer called on one tensor, else None."""
        shapes = self._build_shapes
        if not self.built or not isinstance(shapes, tuple) or not all(d is None or isinstance(d, int) for d in shapes):
            return None
        return {"input_shape": shapes}

    def build_from_config(self, config):
        shape = config.get("input_shape") if isinstance(config, dict) else None
        # Only a single tensor's shape: layers called on several build when the graph calls them.
        if isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int) for d in shape) \
                and not self._engine_layer and not self.built:
            self._maybe_build(_graph.PlaceholderNode("input").make_outputs([(tuple(shape), "float32")])[0])

    def _engine_config(self):
        """The config the engine reads (Keras keys); built-in layers add theirs."""
        return {}

    def _spec(self):
        return {"class_name": self._engine_class(), "name": self.name, "config": self._engine_config()}

    @classmethod
    def _engine_class(cls):
        return cls.__name__

    def _validate(self):
        """Checks a built-in layer's config in the engine, so bad arguments fail at construction."""
        _library.validate_layer(self._spec())

    # -- weights ----------------------------------------------------------------------------------------

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True, regularizer=None,
                   constraint=None, aggregation="none", name=None):
        """Creates a weight (Keras's `add_weight`): `initializer` defaults to glorot_uniform for floats."""
        shape = tuple(int(d) for d in (shape or ()))
        if any(d < 0 for d in shape):
            raise ValueError(f"Expected a shape of non-negative sizes for weight '{name}'. Received: shape={shape}")
        dtype = _dtypes.standardize_dtype(dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype == "float32" else "zeros"
        name = name or f"variable_{len(self._own_variables)}"
        variable = Variable(initializer=initializer, shape=shape, dtype=dtype, trainable=trainable, name=name,
                            path=f"{self.name}/{name}")
        variable._owner = self
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        self._own_variables.append(variable)
        return variable

    add_variable = add_weight

    @property
    def weights(self):
        if self._engine_layer:
            return self._engine_weights()
        own = [v for v in self._own_variables if v.trainable] + [v for v in self._own_variables if not v.trainable]
        result, seen = [], set()
        for w in own + [w for layer in self._tracked_layers for w in layer.weights]:
            if id(w) not in seen:
                seen.add(id(w))
                result.append(w)
        return result

    @property
    def variables(self):
        return self.weights

    def _engine_weights(self):
        if self._engine_binding is None:
            return []
        engine, index = self._engine_binding
        specs = engine.describe_cached()["layers"][index]["weights"]
        return [EngineWeight(self, i, spec) for i, spec in enumerate(specs)]

    @property
    def trainable_weights(self):
        return [w for w in self.weights if w.trainable] if self.trainable else []

    @property
    def non_trainable_weights(self):
        return [w for w in self.weights if not w.trainable or not self.trainable]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """Copies of the weights as NumPy arrays, in Keras's order (e.g. Dense: kernel, bias)."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Overwrites the weights from arrays of the same shapes, in `get_weights()` order."""
        current = self.weights
        if self._engine_layer and self._engine_binding is None:
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}', which is not built yet. "
                f"Build its model first (give it an input shape or call it on data).")
        weights = list(weights)
        if len(weights) != len(current):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of length "
                f"{len(weights)}, but the layer was expecting {len(current)} weights.")
        arrays = []
        for variable, value in zip(current, weights):
            value = np.asarray(value)
            if value.dtype.kind not in "biuf":
                raise TypeError(f"Expected numeric weights for layer '{self.name}'. Received: dtype={value.dtype}")
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"Layer {self.name} weight shape {tuple(variable.shape)} is not compatible with provided "
                    f"weight shape {tuple(value.shape)}.")
            array = np.array(value, dtype=np.float32, order="C")  # keeps 0-d weights 0-d
            if not np.isfinite(array).all():
                raise ValueError(f"Weights for layer '{self.name}' contain NaN or infinite values.")
            arrays.append(array)
        # Checked all before writing any, so that a bad list changes nothing.
        if self._engine_layer:
            engine, index = self._engine_binding
            for i, array in enumerate(arrays):
                engine.set_weight(index, i, array)
        else:
            for variable, array in zip(current, arrays):
                variable.assign(array)

    def count_params(self):
        return int(sum(int(np.prod(w.shape, dtype=np.int64)) for w in self.weights))

    def __getattr__(self, name):
        # Built-in layers' weights by their Keras names: `dense.kernel`, `bn.moving_mean`.
        if name.startswith("_") or not type(self)._engine_layer:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        for weight in self._engine_weights():
            if weight.name == name:
                return weight
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'"
                             + ("" if self._engine_binding else " (weights exist once the layer is built)"))

    # -- building ---------------------------------------------------------------------------------------

    def build(self, input_shape):
        """Creates the layer's weights for `input_shape` (batch axis first); layers with weights
        override it."""
        self.built = True

    def _maybe_build(self, inputs):
        if self.built and not self._engine_layer:
            return
        shapes = _tree.map_structure(lambda t: tuple(t.shape) if hasattr(t, "shape") else None, inputs)
        if self._engine_layer:
            self._build_shapes = shapes
            self.built = True
            return
        self.build(shapes)
        self.built = True
        self._build_shapes = shapes

    def _accepts(self, argument):
        cache = type(self).__dict__.get("_call_parameters")
        if cache is None:
            try:
                parameters = inspect.signature(self.call).parameters
                cache = set(parameters) | ({"**"} if any(p.kind == p.VAR_KEYWORD for p in parameters.values()) else set())
            except (TypeError, ValueError):
                cache = set()
            type.__setattr__(type(self), "_call_parameters", cache)
        return argument in cache or "**" in cache

    # -- calling ------------------------------------------------------------------------------------------

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call()` method implemented.")

    def __call__(self, *args, **kwargs):
        if not args:
            raise TypeError(f"Layer '{self.name}' needs its inputs as the first argument.")
        leaves = _tree.flatten((args, kwargs))
        scope = _graph.current_scope()
        symbolic = any(isinstance(v, KerasTensor) for v in leaves) or \
            (scope is not None and any(isinstance(v, Variable) for v in leaves))
        if symbolic:
            return self._symbolic_call(list(args), dict(kwargs))
        return self._eager_call(list(args), dict(kwargs))

    def _call_kwargs(self, args, kwargs):
        """kwargs for `call`: the inputs' masks when the layer takes `mask` (or, for several tensor
        arguments, each one's mask as `<argument>_mask`, as Keras 3), and `training` only when
        `call` takes it."""
        inputs = args[0]
        if "mask" not in kwargs and self._accepts("mask"):
            masks = _tree.map_structure(lambda t: getattr(t, "_keras_mask", None), inputs)
            if any(m is not None for m in _tree.flatten(masks)):
                kwargs["mask"] = masks
        try:
            bound = inspect.signature(self.call).bind_partial(*args, **kwargs).arguments
        except TypeError:
            bound = {}
        tensors = {k: v for k, v in bound.items() if isinstance(v, KerasTensor)}
        if len(tensors) > 1:
            for name, tensor in tensors.items():
                mask = getattr(tensor, "_keras_mask", None)
                if mask is not None and self._accepts(f"{name}_mask") and bound.get(f"{name}_mask") is None:
                    kwargs[f"{name}_mask"] = mask
        if "training" in kwargs and not self._accepts("training") and not self._engine_layer:
            kwargs.pop("training")
        return kwargs

    def _symbolic_call(self, args, kwargs):
        inputs = args[0]
        if self._engine_layer:
            for key in kwargs:
                if key != "training":
                    raise TypeError(f"{type(self).__name__}.call() got an unexpected keyword argument '{key}'")
            tensors = [t for t in _tree.flatten(inputs) if isinstance(t, KerasTensor)]
            for t in _tree.flatten(inputs):
                if not isinstance(t, KerasTensor):
                    raise TypeError(f"Layer '{self.name}' was called on a mix of symbolic tensors and values.")
            self._maybe_build(inputs)
            specs = _library.infer({"layer": self._spec()}, [(t.shape, t.dtype) for t in tensors])
            node = _graph.LayerNode(self, args, {k: v for k, v in kwargs.items() if k == "training"})
            outputs = node.make_outputs(specs)[0]
            self._inbound_nodes.append(node)
            _graph.layer_called(node)
            self._set_output_mask(inputs, outputs, kwargs)
            activation = self.__dict__.get("_python_activation")
            if activation is not None:
                # An activation of your own, traced after the engine layer (which ran without one).
                mask = outputs._keras_mask
                outputs = activation(outputs)
                outputs._keras_mask = mask
            return outputs
        args = [_tree.map_structure(self._resolve_variable, a) for a in args]
        inputs = args[0]
        self._maybe_build(inputs)
        kwargs = self._call_kwargs(args, kwargs)
        structure = self._trace_output_structure(args, kwargs)
        node = _graph.LayerNode(self, args, kwargs)
        outputs = _tree.pack_like(structure, node.make_outputs([(t.shape, t.dtype) for t in _tree.flatten(structure)]))
        self._inbound_nodes.append(node)
        _graph.layer_called(node)
        self._set_output_mask(inputs, outputs, kwargs)
        return outputs

    @staticmethod
    def _resolve_variable(value):
        scope = _graph.current_scope()
        return scope.read(value) if scope is not None and isinstance(value, Variable) else value

    def _trace_output_structure(self, args, kwargs):
        """The structure of symbolic outputs of `call`, traced on stand-ins for the inputs."""
        stand_ins, _ = _graph.placeholders((args, kwargs))
        training = kwargs.get("training")
        with _graph.TraceScope(training=training if isinstance(training, bool) else None):
            outputs = self.call(*stand_ins[0], **stand_ins[1])
        for leaf in _tree.flatten(outputs):
            if not isinstance(leaf, KerasTensor):
                raise TypeError(f"Layer '{self.name}': `call` must return tensors computed with swiftnet.ops from its "
                                f"inputs. Received: {type(leaf).__name__}")
        return outputs

    def _trace_for_graph(self, args, kwargs, training):
        """`call` traced again for the engine graph in mode `training`: (stand-ins for the call's
        tensors, in the order of its node's inputs; outputs; assigns)."""
        kwargs = dict(kwargs)
        if self._accepts("training"):
            kwargs["training"] = training
        else:
            kwargs.pop("training", None)
        stand_ins, flat_inputs = _graph.placeholders((list(args), kwargs))
        with _graph.TraceScope(training=training) as scope:
            outputs = self.call(*stand_ins[0], **stand_ins[1])
        return flat_inputs, _tree.flatten(outputs), scope.assigns

    def _set_output_mask(self, inputs, outputs, kwargs):
        previous = kwargs.get("mask")
        if previous is None:
            masks = [getattr(t, "_keras_mask", None) for t in _tree.flatten(inputs)]
            previous = masks[0] if len(masks) == 1 else (masks if any(m is not None for m in masks) else None)
        overridden = type(self).compute_mask is not Layer.compute_mask
        if previous is None and not overridden:
            return
        mask = self.compute_mask(inputs, previous)
        if mask is None:
            return
        for tensor, m in zip(_tree.flatten(outputs), _tree.flatten(mask) if _tree.is_nested(mask) else [mask] * len(_tree.flatten(outputs))):
            if isinstance(tensor, KerasTensor):
                tensor._keras_mask = m

    def compute_mask(self, inputs, mask=None):
        """The output mask: the input mask when `supports_masking`, else None."""
        return mask if self.supports_masking else None

    def compute_output_shape(self, *args, **kwargs):
        """Output shape for input shape(s) (batch axis first)."""
        input_shape = args[0] if args else kwargs.get("input_shape")
        if self._engine_layer:
            shape = tuple(input_shape)
            if not shape:
                raise ValueError(f"[{type(self).__name__}] Expected an input shape with a batch axis. Received: ()")
            return _library.infer({"layer": self._spec()}, [(shape, "float32")])[0][0]
        def stand_in(shape):
            return _graph.PlaceholderNode("input").make_outputs([(shape, "float32")])[0]
        structure = _shape_structure(input_shape)
        # Shapes are tuples: map over the list or dict that holds them, never into a shape.
        placeholder = stand_in(structure) if isinstance(structure, tuple) else (
            {k: stand_in(v) for k, v in structure.items()} if isinstance(structure, dict)
            else [stand_in(v) for v in structure])
        self._maybe_build(placeholder)
        outputs = self._trace_output_structure([placeholder], {})
        return _tree.map_structure(lambda t: t.shape, outputs)

    def compute_output_spec(self, *args, **kwargs):
        return self._trace_output_structure(list(args), dict(kwargs))

    def _eager_call(self, args, kwargs):
        if self._engine_layer:
            return self._engine_eager_call(args, kwargs)
        args = [_tree.map_structure(lambda v: v if isinstance(v, (Variable,)) or v is None or isinstance(v, (bool, str))
                                    else _eager_value(v), a) for a in args]
        self._maybe_build(args[0])
        if "training" in kwargs and not self._accepts("training"):
            kwargs.pop("training")
        return _as_result(self.call(*args, **kwargs))

    def _engine_eager_call(self, args, kwargs):
        """A built-in layer on arrays: run in a one-layer engine model. A layer that no model holds
        yet keeps that model (and its weights) from now on."""
        from ..models.functional import Functional
        from .input_layer import Input
        x = _eager_value(args[0])
        binding, pending = self._engine_binding, self._pending_weights
        inputs = Input(shape=x.shape[1:], dtype="bool" if x.dtype == np.bool_ else x.dtype.name)
        holder = Functional(inputs=inputs, outputs=self(inputs, **{k: v for k, v in kwargs.items() if k == "training"}),
                            name=f"{self.name}_call")
        result = holder.predict(x, batch_size=max(len(x), 1), verbose=0)
        if binding is not None:
            self._engine_binding, self._pending_weights = binding, pending
        return _as_result(result)

    # -- functional-API attributes --------------------------------------------------------------------

    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called and thus has no defined input.")
        return self._inbound_nodes[0].args[0]

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called and thus has no defined output.")
        outputs = self._inbound_nodes[0].outputs
        return outputs[0] if len(outputs) == 1 else outputs

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _eager_value(value):
    if isinstance(value, np.ndarray) and value.dtype in (np.float32, np.int32, np.int64, np.bool_):
        return value
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    return _dtypes.as_engine_array(value)


def _shape_structure(shape):
    """A shape, or a structure of shapes, with tuples for shapes."""
    if isinstance(shape, dict):
        return {k: _shape_structure(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(s, (list, tuple)) for s in shape):
        return [tuple(s) for s in shape]
    return tuple(shape)


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
    if not shape or not all(d is None or isinstance(d, (int, np.integer)) and d > 0 for d in shape):
        raise ValueError(f"Expected `input_shape` to be a tuple of positive integers. Received: input_shape={shape}")
    return tuple(None if d is None else int(d) for d in shape)


def _layers_in(value, depth=0):
    if isinstance(value, Layer):
        yield value
    elif depth < 8 and isinstance(value, (list, tuple)):
        for item in value:
            yield from _layers_in(item, depth + 1)
    elif depth < 8 and isinstance(value, dict):
        for item in value.values():
            yield from _layers_in(item, depth + 1)
