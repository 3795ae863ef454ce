"""`Sequential`: a plain stack of layers."""

from ..keras_tensor import KerasTensor
from ..layers.input_layer import InputLayer
from ..layers.layer import Layer
from .. import _naming
from .model import Model


class Sequential(Model):
    """A linear stack of layers, as `keras.Sequential`. The input shape comes from a leading
    `Input(shape=…)`/`InputLayer`, from `input_shape=` on the first layer, or from the first data."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(name=name or _naming.unique_name("sequential"))
        self._input_layer = None
        self._layers = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        if self._layers and self._input_shape() is not None:
            self._build(self._input_shape())

    def add(self, layer, rebuild=True):
        """Appends a layer (or an `Input(...)` tensor as the first item)."""
        if isinstance(layer, KerasTensor) and isinstance(layer._layer, InputLayer):
            layer = layer._layer
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `swiftnet.layers.Layer` can be added to a Sequential model. "
                             f"Received: {layer!r} (of type {type(layer)})")
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._layers:
                raise ValueError("An `Input`/`InputLayer` can only be the first item of a Sequential model.")
            self._input_layer = layer
        else:
            if any(existing is layer for existing in self._layers):
                raise ValueError(f"Layer '{layer.name}' is already in the model.")
            names = {existing.name for existing in self._layers}
            if layer.name in names:
                raise ValueError(f"All layers added to a Sequential model should have unique names. "
                                 f"Name '{layer.name}' is already the name of a layer in this model.")
            self._layers.append(layer)
        if not rebuild:
            return
        if self._engine is not None:
            self._build(tuple(self._description["input_shape"]))
        elif self._input_shape() is not None and self._layers:
            self._build(self._input_shape())

    def pop(self, rebuild=True):
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        layer = self._layers.pop()
        layer._model = None
        if self._engine is not None and rebuild:
            if self._layers:
                self._build(tuple(self._description["input_shape"]))
            else:
                self._engine = None
        return layer

    @property
    def layers(self):
        return list(self._layers)

    def _input_shape(self):
        if self._input_layer is not None:
            return self._input_layer.shape
        if self._layers and self._layers[0]._input_shape_arg is not None:
            return self._layers[0]._input_shape_arg
        return None

    def _graph(self, input_shape=None):
        if not self._layers:
            raise ValueError("The Sequential model has no layers: add some before building it.")
        shape = self._input_shape() or input_shape
        if shape is None:
            raise ValueError("The model's input shape is unknown: add `swiftnet.Input(shape=...)` first, pass "
                             "`input_shape=` to the first layer, or call it on data.")
        if self._input_layer is None:
            self._input_layer = InputLayer(shape=shape)
        graph = [(self._input_layer, [])] + [(layer, [i]) for i, layer in enumerate(self._layers)]
        return graph, len(graph) - 1

    def _summary_rows(self, show_input_layer):
        if self._engine is None:
            return [(layer, None) for layer in self._layers]
        shapes = [layer["output_shape"] for layer in self._description["layers"]]
        return [(layer, (None,) + tuple(shapes[i + 1])) for i, layer in enumerate(self._layers)]

    @property
    def input_shape(self):
        shape = self._input_shape() if self._engine is None else tuple(self._description["input_shape"])
        return None if shape is None else (None,) + tuple(shape)

    @property
    def output_shape(self):
        if self._engine is None:
            raise AttributeError("The model is not built yet, so it has no output shape.")
        return (None,) + tuple(self._description["output_shape"])

    def get_config(self):
        return {"name": self.name, "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                                               for layer in ([self._input_layer] if self._input_layer else []) + self._layers]}

    @classmethod
    def from_config(cls, config):
        from .. import layers as layers_module
        items = []
        for item in config["layers"]:
            layer_class = getattr(layers_module, item["class_name"])
            item_config = dict(item["config"])
            if item["class_name"] == "InputLayer":
                item_config["shape"] = tuple(item_config.pop("batch_shape"))[1:]
            items.append(layer_class.from_config(item_config))
        return cls(items, name=config.get("name"))
