"""Tracing: the nodes that symbolic tensors come from, the scope in which a layer's `call` (or a
loss, or a metric's update) is traced, and the builder that turns a traced graph into the
engine's graph spec.

A model keeps the graph its user defined (calls of layers and ops on symbolic tensors). The
engine spec is produced by walking that graph once per mode (training and inference): built-in
layers become engine layer calls, ops become engine ops, and a custom layer's `call` is traced
again with symbolic inputs in the mode's `training` value, so that Python branches on `training`
take the right way."""

import threading

import numpy as np

from . import _dtypes, _tree
from .keras_tensor import KerasTensor


class Node:
    """The call that produced some symbolic tensors (its `outputs`)."""

    def __init__(self, name=None):
        self.name = name
        self.outputs = []

    def make_outputs(self, specs):
        self.outputs = [KerasTensor(shape, dtype, node=self, index=i, name=self.name) for i, (shape, dtype) in enumerate(specs)]
        return self.outputs


class InputNode(Node):
    """A model input (`keras.Input`)."""

    def __init__(self, layer):
        super().__init__(layer.name)
        self.layer = layer


class PlaceholderNode(Node):
    """A stand-in for a value given from outside a trace (a layer call's inputs while its `call`
    is traced again, a loss's y_true/y_pred)."""


class ConstantNode(Node):
    """A NumPy value used in a traced computation."""

    def __init__(self, value):
        super().__init__("constant")
        self.value = value


class VariableNode(Node):
    """A read of a variable inside a trace."""

    def __init__(self, variable):
        super().__init__(variable.name)
        self.variable = variable


class OpNode(Node):
    def __init__(self, op, attrs, inputs):
        super().__init__(op)
        self.op = op
        self.attrs = attrs
        self.inputs = inputs


class LayerNode(Node):
    """A layer called on symbolic tensors: `args` and `kwargs` as given (tensors inside them are
    the inputs), `training` when the call fixed it."""

    def __init__(self, layer, args, kwargs):
        super().__init__(layer.name)
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        # A traced call also reads the masks its inputs carry; an engine layer only its inputs.
        self.inputs = [t for t in _tree.flatten((args, kwargs)) if isinstance(t, KerasTensor)] \
            if getattr(layer, "_engine_layer", False) else call_inputs((args, kwargs))

    @property
    def training(self):
        value = self.kwargs.get("training")
        return value if isinstance(value, bool) else None


# -- trace scopes -----------------------------------------------------------------------------

_state = threading.local()


class TraceScope:
    """Active while a `call`, loss or metric update is traced: reads of variables become graph
    nodes, and `assign` records a state update instead of writing."""

    def __init__(self, training=None):
        self.training = training
        self.assigns = []          # (variable, KerasTensor) in order
        self._reads = {}           # id(variable) -> KerasTensor

    def on_layer_node(self, node):
        """A layer was called on symbolic tensors in this scope (a step trace records it)."""

    def on_inner_layer_node(self, node):
        """A layer was called on symbolic tensors in this scope or one inside it."""

    def read(self, variable):
        tensor = self._reads.get(id(variable))
        if tensor is None:
            tensor = VariableNode(variable).make_outputs([(variable.shape, variable.dtype)])[0]
            self._reads[id(variable)] = tensor
        return tensor

    def __enter__(self):
        stack = getattr(_state, "stack", None)
        if stack is None:
            stack = _state.stack = []
        stack.append(self)
        return self

    def __exit__(self, *exc):
        _state.stack.pop()
        return False


class OutsideTraces:
    """Within the block no trace is active (e.g. to build a model met during a trace)."""

    def __enter__(self):
        self.saved = getattr(_state, "stack", None)
        _state.stack = []

    def __exit__(self, *exc):
        _state.stack = self.saved
        return False


def layer_called(node):
    """Tells the active scopes that a layer was called on symbolic tensors (`node`)."""
    stack = getattr(_state, "stack", None)
    if stack:
        stack[-1].on_layer_node(node)
        for scope in stack:
            scope.on_inner_layer_node(node)


def current_scope():
    stack = getattr(_state, "stack", None)
    return stack[-1] if stack else None


def call_inputs(structure):
    """The symbolic tensors a layer call reads: those in `structure`, then the masks they carry
    (which layers called inside a traced `call` see, as in Keras)."""
    tensors = [t for t in _tree.flatten(structure) if isinstance(t, KerasTensor)]
    masks = []
    for t in tensors:
        mask = getattr(t, "_keras_mask", None)
        if isinstance(mask, KerasTensor) and not any(mask is m for m in tensors + masks):
            masks.append(mask)
    return tensors + masks


def placeholders(structure):
    """Fresh symbolic stand-ins for the tensors of `structure` (other leaves kept), carrying
    stand-ins of their masks: (the structure of stand-ins, the stand-ins in `call_inputs` order)."""
    originals = call_inputs(structure)
    stand_ins = {id(t): PlaceholderNode(t.name).make_outputs([(t.shape, t.dtype)])[0] for t in originals}
    for t in originals:
        mask = getattr(t, "_keras_mask", None)
        if isinstance(mask, KerasTensor):
            stand_ins[id(t)]._keras_mask = stand_ins[id(mask)]
    mapped = _tree.map_structure(lambda leaf: stand_ins[id(leaf)] if isinstance(leaf, KerasTensor) else leaf, structure)
    return mapped, [stand_ins[id(t)] for t in originals]


# -- the builder of engine graphs ---------------------------------------------------------------

class Tables:
    """What several graphs of one model share: its engine layers and variables (each once, in
    first-use order), and, for loss graphs, the metric states."""

    def __init__(self, variables=None):
        self.layers = []
        self._layer_index = {}
        self.variables = list(variables or [])
        self._variable_index = {id(v): i for i, v in enumerate(self.variables)}
        self.states = []
        self._state_index = {}
        self.state_variables = set()

    def layer(self, layer):
        index = self._layer_index.get(id(layer))
        if index is None:
            index = self._layer_index[id(layer)] = len(self.layers)
            self.layers.append(layer)
        return index

    def variable(self, variable):
        """("variable", i), for metric states ("state", i), for a built-in layer's weight
        ("weight", [layer, index])."""
        layer = getattr(variable, "_layer", None)
        if layer is not None:
            return "weight", [self.layer(layer), variable._index]
        if id(variable) in self.state_variables:
            index = self._state_index.get(id(variable))
            if index is None:
                index = self._state_index[id(variable)] = len(self.states)
                self.states.append(variable)
            return "state", index
        index = self._variable_index.get(id(variable))
        if index is None:
            index = self._variable_index[id(variable)] = len(self.variables)
            self.variables.append(variable)
        return "variable", index


class GraphBuilder:
    """Emits one engine graph (`{"nodes", "outputs"}`) in a mode (training or not)."""

    def __init__(self, tables, training, leaves=None):
        self.tables = tables
        self.training = training
        self.nodes = []
        # id(tensor) -> [node, output]; leaves (inputs, targets, …) are given by the caller.
        self.env = {}
        for tensor, entry in (leaves or []):
            self.env[id(tensor)] = self._emit(entry)

    def _emit(self, entry):
        self.nodes.append(entry)
        return [len(self.nodes) - 1, 0]

    def spec(self, outputs):
        return {"nodes": self.nodes, "outputs": [self.ref(t) for t in outputs]}

    def ref(self, tensor, env=None, training=None):
        """The engine reference of a symbolic tensor, emitting what it depends on."""
        env = self.env if env is None else env
        training = self.training if training is None else training
        found = env.get(id(tensor))
        if found is not None:
            return found
        # Walk back to known values without recursion (graphs can be deep).
        stack = [tensor]
        while stack:
            current = stack[-1]
            if id(current) in env:
                stack.pop()
                continue
            node = current._node
            pending = [t for t in self._node_inputs(node) if id(t) not in env]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            self._emit_node(node, env, training)
        return env[id(tensor)]

    @staticmethod
    def _node_inputs(node):
        if isinstance(node, (OpNode, LayerNode)):
            return node.inputs
        return []

    def _emit_node(self, node, env, training):
        if isinstance(node, (InputNode, PlaceholderNode)) or node is None:
            name = getattr(node, "name", None) or "?"
            raise ValueError(f"Graph disconnected: cannot obtain value for tensor '{name}'. It is not among the "
                             "model's inputs, and no layer or op computes it from them.")
        if isinstance(node, ConstantNode):
            value = node.value
            refs = [self._emit({"op": "constant", "attrs": {
                "values": value.astype(np.float64 if value.dtype.kind == "f" else np.int64).ravel().tolist(),
                "shape": list(value.shape), "dtype": _dtypes.standardize_dtype(value.dtype.name)}})]
        elif isinstance(node, VariableNode):
            kind, index = self.tables.variable(node.variable)
            refs = [self._emit({kind: index})]
        elif isinstance(node, OpNode):
            refs = self._emit_op(node, env)
        elif isinstance(node, LayerNode):
            refs = self._emit_layer(node, env, training)
        else:
            raise TypeError(f"internal: unknown node {node!r}")
        for tensor, ref in zip(node.outputs, refs):
            env[id(tensor)] = ref

    def _emit_op(self, node, env):
        entry = {"op": node.op, "inputs": [env[id(t)] for t in node.inputs]}
        if node.attrs:
            entry["attrs"] = node.attrs
        self.nodes.append(entry)
        index = len(self.nodes) - 1
        return [[index, i] for i in range(len(node.outputs))]

    def _emit_layer(self, node, env, training):
        layer = node.layer
        mode = node.training if node.training is not None else training
        if getattr(layer, "_engine_layer", False):
            entry = {"layer": self.tables.layer(layer), "inputs": [env[id(t)] for t in node.inputs]}
            if node.training is not None:
                entry["training"] = node.training
            return [self._emit(entry)]
        # A model used as a layer, or a layer with a Python `call`: traced again in this mode, its
        # inputs standing for the values they are called on here.
        inner_inputs, inner_outputs, assigns = layer._trace_for_graph(node.args, node.kwargs, mode)
        inner_env = {}
        for placeholder, actual in zip(inner_inputs, node.inputs):
            inner_env[id(placeholder)] = env[id(actual)]
        refs = [self.ref(t, inner_env, mode) for t in inner_outputs]
        for variable, value in assigns:
            kind, index = self.tables.variable(variable)
            self._emit({("update" if kind == "state" else "assign"): index, "inputs": [self.ref(value, inner_env, mode)]})
        return refs

    def emit_assigns(self, assigns, env=None):
        for variable, value in assigns:
            kind, index = self.tables.variable(variable)
            self._emit({("update" if kind == "state" else "assign"): index, "inputs": [self.ref(value, env)]})
