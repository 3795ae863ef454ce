"""Turning a model's traced graph into an engine model: the spec (inputs, layer instances,
variables, the inference graph and, when it differs, the training graph), then the weights: layers
and variables that already had values bring them along."""

from .. import _graph, _library
from .. import random as sn_random
from ..variables import EngineSlot


def effective_trainable(variable):
    owner = getattr(variable, "_owner", None)
    return variable.trainable and (owner is None or owner.trainable)


def build(name, inputs, outputs, output_names):
    """The engine model for symbolic `inputs` → `outputs` (flat lists), with its tables of layers
    and variables; every layer and variable it uses is bound to it."""
    tables = _graph.Tables()
    leaves = [(t, {"input": i}) for i, t in enumerate(inputs)]
    inference = _graph.GraphBuilder(tables, training=False, leaves=leaves)
    inference_spec = inference.spec(outputs)
    training = _graph.GraphBuilder(tables, training=True, leaves=leaves)
    training_spec = training.spec(outputs)
    spec = {
        "name": name,
        "seed": sn_random.next_seed(),
        "inputs": [{"name": t.name, "shape": list(t.shape), "dtype": t.dtype} for t in inputs],
        "layers": [dict(layer._spec(), trainable=layer.trainable, seed=layer._seed) for layer in tables.layers],
        "variables": [{"name": v.path, "shape": list(v.shape), "dtype": v.dtype, "trainable": effective_trainable(v)}
                      for v in tables.variables],
        "graph": inference_spec,
        "output_names": list(output_names),
    }
    if training_spec != inference_spec:
        spec["training_graph"] = training_spec
    for v in tables.variables:
        if v.dtype not in ("float32", "bool"):
            raise TypeError(f"Variable '{v.path}' has dtype {v.dtype}: layer weights must be float32.")
    engine = _library.NativeModel(spec)
    # Values the layers and variables had (in another model, or set before building) move in.
    carried = []
    for layer in tables.layers:
        if layer._engine_binding is not None:
            carried.append((layer, layer.get_weights()))
        elif layer._pending_weights is not None:
            carried.append((layer, layer._pending_weights))
    for index, layer in enumerate(tables.layers):
        layer._engine_binding = (engine, index)
        layer._pending_weights = None
    for layer, values in carried:
        layer.set_weights(values)
    for index, variable in enumerate(tables.variables):
        variable._bind(EngineSlot(engine, -1, index))
    return engine, tables


def trainable_state(tables):
    """What a change of requires rebuilding the engine model: every layer's and variable's
    trainable flag."""
    return [layer.trainable for layer in tables.layers] + [effective_trainable(v) for v in tables.variables]
