"""Functional models: `Model(inputs=Input(...), outputs=layer(...(inputs)))`."""

from .. import _naming
from ..keras_tensor import KerasTensor
from ..layers.input_layer import InputLayer
from .model import Model


class Functional(Model):
    """A model defined by calling layers on `swiftnet.Input` tensors."""

    def __init__(self, inputs, outputs, name=None, trainable=True):
        super().__init__(name=name or _naming.unique_name("functional"))
        inputs = _single(inputs, "inputs")
        outputs = _single(outputs, "outputs")
        if not isinstance(inputs._layer, InputLayer):
            raise ValueError("`inputs` must be the output of `swiftnet.Input(...)`.")
        self._inputs, self._outputs = inputs, outputs
        self._nodes = _topological_order(inputs, outputs)
        names = [tensor._layer.name for tensor in self._nodes]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"The name \"{duplicates[0]}\" is used {names.count(duplicates[0])} times in the model. "
                             "All layer names should be unique.")
        self._build(inputs._layer.shape)

    @property
    def inputs(self):
        return [self._inputs]

    @property
    def outputs(self):
        return [self._outputs]

    @property
    def input_shape(self):
        return self._inputs.shape

    @property
    def output_shape(self):
        return self._outputs.shape

    @property
    def layers(self):
        # Keras 3 lists the InputLayer among a functional model's layers.
        return [tensor._layer for tensor in self._nodes]

    def _input_shape(self):
        return self._inputs._layer.shape

    def _graph(self, input_shape=None):
        index = {id(tensor): i for i, tensor in enumerate(self._nodes)}
        graph = [(tensor._layer, [index[id(t)] for t in tensor._inbound]) for tensor in self._nodes]
        return graph, index[id(self._outputs)]

    def _summary_rows(self, show_input_layer):
        return [(tensor._layer, tensor.shape) for tensor in self._nodes]


def _single(tensors, what):
    if isinstance(tensors, (list, tuple)):
        if len(tensors) != 1:
            raise NotImplementedError(f"Models with several {what} are not supported yet. Received {len(tensors)}.")
        tensors = tensors[0]
    if isinstance(tensors, dict):
        raise NotImplementedError(f"Dict {what} are not supported yet.")
    if not isinstance(tensors, KerasTensor):
        raise TypeError(f"Expected `{what}` to be symbolic tensors from `swiftnet.Input` and layer calls. "
                        f"Received: {tensors!r}")
    return tensors


def _topological_order(inputs, outputs):
    """The tensors between `inputs` and `outputs`, each after those it depends on."""
    order, visiting, done = [], set(), set()

    def visit(tensor):
        if id(tensor) in done:
            return
        if id(tensor) in visiting:
            raise ValueError("The layer graph has a cycle.")
        visiting.add(id(tensor))
        if not tensor._inbound and tensor is not inputs:
            raise ValueError(f"Graph disconnected: cannot find the input of layer '{tensor._layer.name}' among "
                             f"the model's `inputs` ({inputs.name}).")
        for parent in tensor._inbound:
            visit(parent)
        visiting.discard(id(tensor))
        done.add(id(tensor))
        order.append(tensor)

    visit(outputs)
    if order[0] is not inputs:
        raise ValueError("The model's output does not depend on its input.")
    return order
