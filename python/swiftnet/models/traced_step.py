"""A model's own `train_step` (or `test_step`) traced once into the engine, so that `fit` runs whole
chunks of steps in Swift, as it does with the built-in step.

The step is called once per batch size (full batches, and the last one when shorter) with
symbolic batches. What it does is recorded in order: ops, calls of whole models, reads of
weights and metric states, `GradientTape.gradient`, `optimizer.apply` and metric-state updates.
The record becomes a program of the engine (see `sn_step_session_create`); metric states live in
the engine during the pass and are copied back after every chunk.

Like `tf.function`, the trace runs the step's Python code once: Python side effects happen once,
and Python control flow on tensor values cannot be traced (a clear error names the line; compile
with `run_eagerly=True` to run the step eagerly, batch by batch). Steps that use what the
tracer does not handle (layers called on their own, gradients with respect to arrays) run
eagerly, with a warning that says why."""

import ctypes
import os
import traceback
import warnings

import numpy as np

from .. import _dtypes, _graph, _library, _tree
from .. import random as sn_random
from ..keras_tensor import KerasTensor, SymbolicValueError
from ..variables import Variable


class Untraceable(Exception):
    """The step uses something the tracer does not handle: it runs eagerly instead."""


# -- nodes of a step trace ----------------------------------------------------------------------------

class DataNode(_graph.PlaceholderNode):
    """Array `index` of the step's data (one batch)."""

    def __init__(self, index):
        super().__init__(f"data_{index}")
        self.index = index


class GradientNode(_graph.Node):
    """`tape.gradient(target, sources)`: one output per connected source."""

    def __init__(self, target, seed, sources):
        super().__init__("gradient")
        self.target, self.seed, self.sources = target, seed, sources
        self.inputs = [target] + ([seed] if seed is not None else [])


def _weight_key(variable):
    layer = getattr(variable, "_layer", None)
    return ("weight", id(layer), variable._index) if layer is not None else id(variable)


class _Assigns(list):
    """A trace's state updates, which later reads of the variable see."""

    def __init__(self, trace):
        super().__init__()
        self._trace = trace

    def append(self, pair):
        variable, value = pair
        super().append(pair)
        self._trace.assigned[id(variable)] = value
        self._trace.effects.append(("assign", variable, value))


class StepTrace(_graph.TraceScope):
    """Active while a step is traced: records its effects in order."""

    def __init__(self, rows):
        super().__init__(training=None)
        self.rows = rows
        self.effects = []
        self.layer_nodes = []     # every layer call while tracing, inner ones included
        self.assigned = {}
        self.assigns = _Assigns(self)

    def read(self, variable):
        from .. import gradient_tape
        value = self.assigned.get(id(variable))
        if value is not None:
            return value
        node = _graph.VariableNode(variable)
        node.untaped = not gradient_tape.recording()
        tensor = node.make_outputs([(variable.shape, variable.dtype)])[0]
        self.effects.append(("read", tensor))
        return tensor

    def on_inner_layer_node(self, node):
        self.layer_nodes.append(node)

    def on_layer_node(self, node):
        from .. import gradient_tape
        node.untaped = not gradient_tape.recording()
        self.effects.append(("call", node))
        from .model import Model
        if isinstance(node.layer, Model):
            # Built now, so that the weights the step reads next are the engine's.
            _ensure_engine(node, self.rows)
            # A model keeps the batch axis: its outputs have the batch size of its inputs.
            batch = {t.shape[0] for t in _model_inputs(node) if t.shape}
            if len(batch) == 1 and None not in batch:
                for output in node.outputs:
                    if output.shape and output.shape[0] is None:
                        output.shape = (next(iter(batch)),) + output.shape[1:]

    def gradient(self, tape, target, sources, output_gradients, unconnected):
        if tape._used and not tape._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of gradients "
                               "(or jacobians)")
        tape._used = True
        targets = _tree.flatten(target)
        if len(targets) != 1 or not isinstance(targets[0], KerasTensor):
            raise Untraceable("the gradient of several targets, or of a value computed outside the step")
        target = targets[0]
        seed = None
        if output_gradients is not None:
            seeds = _tree.flatten(output_gradients)
            if len(seeds) != 1:
                raise ValueError(f"`output_gradients` must have the structure of `target`: 1 value expected, "
                                 f"received {len(seeds)}.")
            seed = seeds[0] if isinstance(seeds[0], KerasTensor) else _graph.ConstantNode(
                np.broadcast_to(np.asarray(seeds[0], np.float32), target.shape).copy()).make_outputs(
                [(target.shape, "float32")])[0]
        elif int(np.prod([d or 1 for d in target.shape])) != 1 or None in target.shape:
            raise ValueError(f"The gradient target must be a scalar; it has shape {target.shape}. Reduce it first "
                             "(e.g. with `ops.sum` or `ops.mean`) or pass `output_gradients`.")
        flat_sources = _tree.flatten(sources)
        reached = _reached(target)
        connected = []
        for source in flat_sources:
            if not isinstance(source, Variable) or source._slot is None:
                raise Untraceable("a gradient with respect to a value that is not a built model's weight")
            watched = source.trainable or _weight_key(source) in {_weight_key(v) for v in tape._watched.values()
                                                                  if isinstance(v, Variable)}
            if watched and _weight_key(source) in reached:
                model = reached[_weight_key(source)]
                if model is not None and model._engine is not source._slot.engine:
                    raise Untraceable(f"'{source.path}' belongs to another built model than '{model.name}'")
                connected.append(source)
        node = GradientNode(target, seed, connected)
        outputs = iter(node.make_outputs([(s.shape, "float32") for s in connected]))
        if connected:
            self.effects.append(("gradient", node))
        result = []
        for source in flat_sources:
            if any(source is s for s in connected):
                result.append(next(outputs))
            elif unconnected == "zero":
                result.append(np.zeros(source.shape, np.float32))
            else:
                result.append(None)
        return _tree.pack_like(sources, result)

    def apply(self, optimizer, grads, variables):
        from .. import gradient_tape
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        for _, variable in pairs:
            if not isinstance(variable, Variable) or variable._slot is None:
                raise Untraceable("an optimizer update of a variable that is not a built model's weight")
        native = gradient_tape.eager_state(optimizer, [v for _, v in pairs])
        by_key = {_weight_key(v): g for g, v in pairs}
        ordered = []
        for variable in native.variables:
            grad = by_key.get(_weight_key(variable))
            if grad is None:
                raise ValueError(f"No gradient for '{variable.path}': the optimizer updates all the variables it "
                                 "was built with together; pass a gradient for each (zeros where nothing changes).")
            if not isinstance(grad, KerasTensor):
                grad = _graph.ConstantNode(np.asarray(grad, np.float32)).make_outputs([(variable.shape, "float32")])[0]
            if tuple(grad.shape) != tuple(variable.shape):
                raise ValueError(f"The gradient of '{variable.path}' has shape {grad.shape}; the variable has shape "
                                 f"{tuple(variable.shape)}.")
            ordered.append(grad)
        if len(by_key) != len(native.variables):
            unknown = [v.path for _, v in pairs if _weight_key(v) not in {_weight_key(n) for n in native.variables}]
            raise ValueError(f"Unknown variable: '{unknown[0]}'. This optimizer can only be called for the "
                             "variables it was originally built with (those of its first `apply`).")
        self.effects.append(("apply", optimizer, native, ordered))


def active():
    """The step trace in progress (not a layer's `call` traced inside it), or None."""
    scope = _graph.current_scope()
    return scope if isinstance(scope, StepTrace) else None


def _reached(target):
    """Weights the target depends on: key -> the model whose call reaches it (None: read directly)."""
    reached, seen, stack = {}, set(), [target]
    while stack:
        tensor = stack.pop()
        node = tensor._node
        if id(node) in seen or node is None:
            continue
        seen.add(id(node))
        if isinstance(node, _graph.VariableNode):
            reached.setdefault(_weight_key(node.variable), None)
        elif isinstance(node, _graph.LayerNode):
            for weight in getattr(node.layer, "weights", []):
                reached.setdefault(_weight_key(weight), node.layer)
            stack.extend(_model_inputs(node))
        elif isinstance(node, GradientNode):
            raise Untraceable("a gradient of a gradient")
        elif isinstance(node, _graph.OpNode):
            stack.extend(node.inputs)
    return reached


def _model_inputs(node):
    from .model import Model
    if not isinstance(node.layer, Model):
        raise Untraceable(f"layer '{node.layer.name}' called on its own (call it inside a model)")
    inputs = node.args[0] if node.args else None
    if isinstance(inputs, dict):
        raise Untraceable(f"model '{node.layer.name}' called on a dict")
    tensors = _tree.flatten(inputs)
    if not all(isinstance(t, KerasTensor) for t in tensors):
        raise Untraceable(f"model '{node.layer.name}' called on a mix of symbolic tensors and values")
    return tensors


def _ensure_engine(node, rows):
    """The engine of the model a node calls, built for batches of `rows` samples if need be."""
    model = node.layer
    if model._engine is not None:
        return model._ensure_engine()
    inputs = _model_inputs(node)
    for t in inputs:
        if None in t.shape[1:]:
            raise Untraceable(f"model '{model.name}' called on a tensor of unknown shape {t.shape}")
    sample = [np.zeros((rows,) + tuple(t.shape[1:]), _dtypes.numpy_dtype(t.dtype)) for t in inputs]
    with _graph.OutsideTraces():
        return model._ensure_engine(sample[0] if len(sample) == 1 else sample)


# -- from a trace to an engine program ---------------------------------------------------------------------

class StepTables:
    """What the programs of one pass share: models, optimizers and states, each once."""

    def __init__(self):
        self.engines, self.optimizers, self.natives, self.states = [], [], [], []

    @staticmethod
    def _index(items, item):
        for i, existing in enumerate(items):
            if existing is item:
                return i
        items.append(item)
        return len(items) - 1

    def model(self, engine):
        return self._index(self.engines, engine)

    def optimizer(self, optimizer, native):
        index = self._index(self.optimizers, optimizer)
        if index == len(self.natives):
            self.natives.append(native)
        return index

    def state(self, variable):
        return self._index(self.states, variable)

    def weight(self, variable):
        slot = variable._slot
        return [self.model(slot.engine), int(slot.layer), int(slot.index)]


class StepBuilder(_graph.GraphBuilder):
    def __init__(self, tables, rows):
        super().__init__(tables, training=True)
        self.rows = rows

    def _node_inputs(self, node):
        if isinstance(node, GradientNode):
            return node.inputs
        if isinstance(node, _graph.LayerNode):
            return _model_inputs(node)
        return _graph.GraphBuilder._node_inputs(node)

    def _emit_node(self, node, env, training):
        if isinstance(node, DataNode):
            refs = [self._emit({"data": node.index})]
        elif isinstance(node, _graph.OpNode) and getattr(node, "untaped", False):
            refs = self._emit_op(node, env)
            self.nodes[-1]["taped"] = False
        elif isinstance(node, _graph.VariableNode):
            variable = node.variable
            refs = [self._emit({"weight": self.tables.weight(variable), "taped": not getattr(node, "untaped", False)}
                               if variable._slot is not None else {"state": self.tables.state(variable)})]
        elif isinstance(node, _graph.LayerNode):
            refs = self._emit_model_call(node, env)
        elif isinstance(node, GradientNode):
            entry = {"gradient": env[id(node.target)], "sources": [self.tables.weight(s) for s in node.sources]}
            if node.seed is not None:
                entry["seed"] = env[id(node.seed)]
            self._emit(entry)
            refs = [[len(self.nodes) - 1, j] for j in range(len(node.sources))]
        elif isinstance(node, (_graph.ConstantNode, _graph.OpNode)):
            return super()._emit_node(node, env, training)
        else:
            raise Untraceable("a value that does not come from the step's data")
        for tensor, ref in zip(node.outputs, refs):
            env[id(tensor)] = ref

    def _emit_model_call(self, node, env):
        inputs = _model_inputs(node)
        engine = _ensure_engine(node, self.rows)
        training = node.training if node.training is not None else False
        self._emit({"model": self.tables.model(engine), "inputs": [env[id(t)] for t in inputs],
                    "training": bool(training), "seed": sn_random.next_seed() & 0x7FFFFFFF,
                    "taped": not getattr(node, "untaped", False)})
        return [[len(self.nodes) - 1, i] for i in range(len(node.outputs))]

    def emit_effects(self, effects):
        for effect in effects:
            kind = effect[0]
            if kind == "read":
                self.ref(effect[1])
            elif kind == "call":
                if effect[1].outputs:
                    self.ref(effect[1].outputs[0])
            elif kind == "gradient":
                self.ref(effect[1].outputs[0])
            elif kind == "apply":
                _, optimizer, native, grads = effect
                refs = [self.ref(g) for g in grads]
                self._emit({"apply": self.tables.optimizer(optimizer, native), "inputs": refs,
                            "weights": [self.tables.weight(v) for v in native.variables]})
            elif kind == "assign":
                _, variable, value = effect
                if variable._slot is not None:
                    raise Untraceable(f"an assignment of '{variable.path}', a model's variable")
                self._emit({"update": self.tables.state(variable), "inputs": [self.ref(value)]})


def _step_error(model, step, error):
    """The error for Python code that needs a symbolic tensor's value, naming the user's line."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not os.path.abspath(f.filename).startswith(package)]
    where = f"{frames[-1].filename}, line {frames[-1].lineno}: `{(frames[-1].line or '').strip()}`" if frames else "the step"
    return TypeError(
        f"`{type(model).__name__}.{step}` cannot be traced into the engine: {where} needs the value of a tensor "
        f"({error}). `fit` traces the step once with symbolic batches, so Python control flow on tensor values (`if`, "
        "`while`, `float(t)`, NumPy calls) cannot follow the data: write it with `swiftnet.ops` (e.g. `ops.where`), or "
        "compile with `run_eagerly=True` to run the step eagerly, batch by batch.")


def trace(model, step, data, rows, tables):
    """The program of `model.<step>` for batches of `rows` samples of `data` (a structure of arrays):
    (program spec, log names, constant logs); for `predict_step`, (program spec, the step's
    symbolic outputs, {})."""
    from .train_step import logs_of
    leaves = _tree.flatten(data)
    stand_ins = [DataNode(i).make_outputs([((rows,) + a.shape[1:], _dtypes.standardize_dtype(a.dtype.name))])[0]
                 for i, a in enumerate(leaves)]
    scope = StepTrace(rows)
    with scope:
        try:
            result = getattr(model, step)(_tree.pack_like(data, stand_ins))
            if step == "predict_step":
                result = _predictions(result, rows)
        except SymbolicValueError as error:
            raise _step_error(model, step, error) from None
    builder = StepBuilder(tables, rows)
    builder.emit_effects(scope.effects)
    names, outputs, constants = [], [], {}
    if step == "predict_step":
        outputs = [builder.ref(t) for t in _tree.flatten(result)]
        names = result
    else:
        for name, value in logs_of(model, result, step, symbolic=True).items():
            if isinstance(value, KerasTensor):
                names.append(name)
                outputs.append(builder.ref(value))
            else:
                constants[name] = value
    # The trace's calls are not part of any model's graph: the layers forget them.
    for layer_node in scope.layer_nodes:
        inbound = getattr(layer_node.layer, "_inbound_nodes", None)
        if inbound is not None and any(n is layer_node for n in inbound):
            inbound[:] = [n for n in inbound if n is not layer_node]
    return {"rows": rows, "nodes": builder.nodes, "outputs": outputs}, names, constants


def _predictions(result, rows):
    """The outputs of a traced `predict_step`: tensors with a batch axis (bool as float32)."""
    from .. import ops

    def check(t):
        if not isinstance(t, KerasTensor) or not t.shape or t.shape[0] != rows:
            raise ValueError(f"`predict_step` must return tensors with the batch axis first (a structure of them). "
                             f"Received: {t!r}")
        return ops.cast(t, "float32") if t.dtype == "bool" else t

    return _tree.map_structure(check, result)


class TracedStepPass:
    """A pass that runs the model's traced step in the engine, with the interface of the engine
    passes (`begin_epoch`, `run`, `logs`, `names`, `done`, `steps`)."""

    def __init__(self, model, data, batch_size, shuffle, steps, step="train_step"):
        self.model = model
        leaves = [_dtypes.as_engine_array(a.astype(np.float32) if np.asarray(a).dtype == np.bool_ else a)
                  for a in _tree.flatten(data)]
        count = len(leaves[0]) if leaves and np.ndim(leaves[0]) else 0
        if count == 0:
            raise ValueError("Expected `x` to contain at least one sample.")
        for leaf in leaves:
            if np.ndim(leaf) == 0 or len(leaf) != count:
                raise ValueError(f"Data cardinality is ambiguous: all arrays must have the same number of samples. "
                                 f"Received sizes {sorted({len(np.atleast_1d(a)) for a in leaves})}.")
        data = _tree.pack_like(data, leaves)
        self.batch_size = min(batch_size, count)
        total = -(-count // self.batch_size)
        self.steps = total if steps is None else min(int(steps), total)
        self.done = 0
        tables = StepTables()
        programs, names, self._constants = [], None, {}
        for rows in sorted({self.batch_size, count % self.batch_size} - {0}, reverse=True):
            program, program_names, constants = trace(model, step, data, rows, tables)
            if step == "predict_step":
                self.structure = self.structure if names is not None else program_names
                program_names = [[t.shape[1:], t.dtype] for t in _tree.flatten(program_names)]
            if names is not None and program_names != names:
                raise Untraceable("outputs that differ between batch sizes")
            names = program_names
            self._constants.update(constants)
            programs.append(program)
        self._count = count
        self._tables = tables
        if step == "predict_step":
            self._engine_names, self.names = [], []
            self.outputs = [np.empty((count,) + tuple(shape), _dtypes.numpy_dtype(dtype)) for shape, dtype in names]
        else:
            self._engine_names = names
            self.names = names + [n for n in self._constants if n not in names]
        spec = {"programs": programs, "log_names": self._engine_names,
                "states": [{"name": v.path, "shape": list(v.shape), "dtype": v.dtype} for v in tables.states]}
        self._data = _library.NativeDataset({f"d{i}": a for i, a in enumerate(leaves)})
        engines = (_library._handle * max(len(tables.engines), 1))(*[e.handle for e in tables.engines])
        natives = (_library._handle * max(len(tables.natives), 1))(*[n.handle for n in tables.natives])
        method = {"train_step": "fit", "test_step": "evaluate", "predict_step": "predict"}[step]
        options = {"batch_size": self.batch_size, "shuffle": bool(shuffle), "seed": sn_random.next_seed(),
                   "method": method}
        handle = _library._handle()
        _library.check(_library.lib.sn_step_session_create(
            _library.to_json(spec), self._data.handle, engines, len(tables.engines), natives, len(tables.natives),
            _library.to_json(options), ctypes.byref(handle)))
        self._handle = handle
        self._logs = {}
        for i, output in enumerate(getattr(self, "outputs", [])):
            _library.check(_library.lib.sn_step_session_set_output(
                handle, i, output.ctypes.data, output.size, _library.DTYPES[output.dtype]))

    def _states(self, write):
        states = self._tables.states
        if not states:
            return
        arrays = {f"s{i}": np.ascontiguousarray(v.numpy(), dtype=_dtypes.numpy_dtype(v.dtype)) for i, v in enumerate(states)}
        dataset = _library.NativeDataset(arrays)
        try:
            _library.check(_library.lib.sn_step_session_states(self._handle, dataset.handle, 1 if write else 0))
            if not write:
                for i, variable in enumerate(states):
                    variable.assign(dataset.arrays[f"s{i}"].reshape(variable.shape))
        finally:
            dataset.close()

    def begin_epoch(self, epoch):
        for metric in self.model.metrics:
            metric.reset_state()
        _library.check(_library.lib.sn_step_session_begin_epoch(self._handle, int(epoch)))
        self._states(write=True)
        self.done = 0
        self._logs = {}

    def run(self, max_steps, max_seconds):
        max_steps = min(max_steps, self.steps - self.done)
        if max_steps <= 0:
            return True
        for optimizer, native in zip(self._tables.optimizers, self._tables.natives):
            native.follow_learning_rate(optimizer)
        finished, done = ctypes.c_int32(), ctypes.c_int64()
        try:
            _library.check(_library.lib.sn_step_session_run(self._handle, int(max_steps), float(max_seconds or 0),
                                                            ctypes.byref(finished), ctypes.byref(done)))
        finally:
            self._states(write=False)
        self.done = min(int(done.value), self.steps)
        values = (ctypes.c_double * max(len(self._engine_names), 1))()
        count = ctypes.c_int32()
        _library.check(_library.lib.sn_step_session_logs(self._handle, values, len(self._engine_names),
                                                         ctypes.byref(count)))
        if count.value:
            self._logs = dict(zip(self._engine_names, values[:count.value]))
            self._logs.update((k, v) for k, v in self._constants.items() if k not in self._logs)
        return bool(finished.value) or self.done >= self.steps

    def logs(self):
        return dict(self._logs)

    def batch_outputs(self, first, stop):
        """Predict: the outputs of batches `first` up to `stop`."""
        return [o[first * self.batch_size:stop * self.batch_size] for o in self.outputs]

    def all_outputs(self):
        return self.batch_outputs(0, self.steps)

    def close(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle and _library.lib is not None:
            _library.lib.sn_step_session_free(handle)

    __del__ = close


_warned = set()


def make_pass(model, data, batch_size, shuffle, steps, step="train_step"):
    """The traced pass of the model's step, or the eager one (with `run_eagerly=True`, or when the
    step cannot be traced, with a warning saying why)."""
    from .train_step import EagerStepPass
    if not getattr(model, "_run_eagerly", False):
        try:
            return TracedStepPass(model, data, batch_size, shuffle, steps, step)
        except Untraceable as why:
            warn_eager(model, step, why)
    return EagerStepPass(model, data, batch_size, shuffle, steps, step)


def warn_eager(model, step, why):
    """Says once (per model class, step and reason) that a step runs eagerly, and why."""
    key = (type(model), step, str(why))
    if key not in _warned:
        _warned.add(key)
        warnings.warn(f"`{type(model).__name__}.{step}` runs eagerly, batch by batch in Python: it uses {why}, "
                      "which the tracer does not take into the engine.", stacklevel=4)


class TracedPredictPass(TracedStepPass):
    """`predict` with the model's own `predict_step`, traced into the engine: `outputs` holds the
    predictions, `structure` their structure."""

    def __init__(self, model, data, batch_size, steps):
        super().__init__(model, data, batch_size, False, steps, step="predict_step")

    def begin_epoch(self, epoch):
        _library.check(_library.lib.sn_step_session_begin_epoch(self._handle, int(epoch)))
        self.done = 0
