"""`swiftnet.GradientTape`: TensorFlow's tape over eager ops, computing in Swift.

While a tape is active, every `swiftnet.ops` call that runs eagerly (on NumPy arrays and
`Variable`s) is recorded here: the op, its attributes, its operands and its results. `gradient`
replays the part of that record the targets depend on as one engine graph, with the sources as
leaves, and runs it with a backward pass in the engine (`sn_tape_gradients`): one C call per
`gradient`, whatever the number of ops.

What is differentiated: `swiftnet.ops` calls (and functions and custom layers written with them)
on arrays and variables. NumPy's own operators on plain arrays (`a * b` on two ndarrays) are not
seen by the tape, and built-in layers called eagerly run as a whole in a model of their own, which
the tape does not record either: asking for their weights' gradients raises an error."""

import ctypes
import enum
import threading
import weakref

import numpy as np

from . import _dtypes, _library, _tree
from .variables import Variable
from .keras_tensor import KerasTensor

_state = threading.local()


def _active_tapes():
    tapes = getattr(_state, "tapes", None)
    if tapes is None:
        tapes = _state.tapes = []
    return tapes


def recording():
    """Whether some tape records eager ops on this thread."""
    return any(t._recording for t in getattr(_state, "tapes", ()) or ())


def record(op, attrs, operands, converted, results):
    """Called by eager op dispatch: `operands` as the caller gave them, `converted` the arrays the
    engine ran on, `results` the arrays it computed. Returns the results to give the caller: views
    whose arithmetic operators stay on the tape (`TapeArray`)."""
    results = [r.view(TapeArray) if isinstance(r, np.ndarray) else r for r in results]
    for tape in _active_tapes():
        if tape._recording:
            tape._record(op, attrs, operands, converted, results)
    return results


# NumPy ufuncs that, on a recorded array while a tape records, run as the swiftnet op of that name.
_UFUNC_OPS = {
    "add": "add", "subtract": "subtract", "multiply": "multiply", "divide": "divide", "true_divide": "divide",
    "power": "power", "negative": "negative", "matmul": "matmul", "square": "square", "sqrt": "sqrt", "exp": "exp",
    "log": "log", "tanh": "tanh", "absolute": "absolute", "maximum": "maximum", "minimum": "minimum",
    "sin": "sin", "cos": "cos", "log1p": "log1p", "expm1": "expm1", "reciprocal": "reciprocal", "sign": "sign",
    "greater": "greater", "less": "less", "equal": "equal",
}


class TapeArray(np.ndarray):
    """A NumPy array that a recorded op produced. While a tape records, its operators (`+`, `*`,
    `**`, `@`, …), the ufuncs above, `sum`, `mean`, `reshape` and indexing run as swiftnet ops, so
    that the tape sees them; otherwise it behaves as a plain array."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs and ufunc.__name__ in _UFUNC_OPS and recording():
            from . import ops
            return getattr(ops, _UFUNC_OPS[ufunc.__name__])(*inputs)
        plain = [i.view(np.ndarray) if isinstance(i, TapeArray) else i for i in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, TapeArray) else o for o in kwargs["out"])
        result = getattr(ufunc, method)(*plain, **kwargs)
        return result.view(np.ndarray) if isinstance(result, TapeArray) else result

    def sum(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        if recording() and dtype is None and out is None and not kwargs:
            from . import ops
            return ops.sum(self, axis=axis, keepdims=keepdims)
        return self.view(np.ndarray).sum(axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kwargs)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        if recording() and dtype is None and out is None and not kwargs:
            from . import ops
            return ops.mean(self, axis=axis, keepdims=keepdims)
        return self.view(np.ndarray).mean(axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kwargs)

    def reshape(self, *shape, **kwargs):
        if recording() and not kwargs:
            from . import ops
            return ops.reshape(self, shape[0] if len(shape) == 1 else shape)
        return self.view(np.ndarray).reshape(*shape, **kwargs)

    def numpy(self):
        return self.view(np.ndarray)

    def __getitem__(self, key):
        if recording():
            from .ops import _indexing
            return _indexing.getitem(self, key)
        return np.ndarray.__getitem__(self.view(np.ndarray), key)


class UnconnectedGradients(enum.Enum):
    """What `gradient` gives for a source the target does not depend on."""
    NONE = "none"
    ZERO = "zero"


class _Record:
    """One recorded call: an op (`op`, `attrs`), or a model run as a whole (`model`: its engine,
    `attrs`: training flag and seed)."""
    __slots__ = ("op", "attrs", "operands", "converted", "results", "model")

    def __init__(self, op, attrs, operands, converted, results, model=None):
        self.op = op
        self.attrs = attrs
        self.operands = operands
        self.converted = converted
        self.results = results
        self.model = model


def record_model_call(model, x, training):
    """`model(x)` on arrays while a tape records: the outputs (computed as `model(x)` computes
    them), recorded as one call of the model's engine graph, so that gradients reach its weights.
    With `training=True` the replay runs the training graph (dropout active, batch statistics):
    the gradients are those of a training-mode forward pass."""
    outputs = model._predict(x, batch_size=max(len(_tree.flatten(x)[0]), 1))
    engine = model._engine
    arrays, _, _ = model._arrays(x, what="call")
    converted = [arrays[f"x{i}"] for i in range(len(model._description()["inputs"]))]
    operands = _tree.flatten(x)
    if len(operands) != len(converted):
        operands = converted
    flat = [np.asarray(o).view(TapeArray) for o in _tree.flatten(outputs)]
    from . import random as sn_random
    attrs = {"training": bool(training), "seed": sn_random.next_seed() & 0x7FFFFFFF}
    for tape in _active_tapes():
        if tape._recording:
            tape._record(None, attrs, operands, converted, flat, model=engine)
    return _tree.pack_like(outputs, flat)


class GradientTape:
    """Records eager ops for differentiation, as `tf.GradientTape`:

        with swiftnet.GradientTape() as tape:
            loss = ops.mean(ops.square(ops.matmul(x, w) - y))
        dw = tape.gradient(loss, w)

    Trainable `Variable`s read inside the tape are watched automatically
    (`watch_accessed_variables=True`); arrays are watched with `tape.watch(x)`. A tape gives one
    set of gradients unless `persistent=True`. The target must be a scalar unless
    `output_gradients` are given (the gradient of a non-scalar target is ambiguous: reduce it
    first, e.g. with `ops.sum` or `ops.mean`, or pass its upstream gradient)."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._records = []
        self._produced = {}       # id(result array) -> (record index, output index)
        self._watched = {}        # id(object) -> object (arrays and variables given to `watch`)
        self._accessed = {}       # _key(variable) -> variable read by a recorded op
        self._models = {}         # id(engine) -> engine of a recorded model call
        self._recording = False
        self._entered = False
        self._used = False

    # -- the context ----------------------------------------------------------------------------------

    def __enter__(self):
        if self._entered:
            raise ValueError("GradientTape.__enter__ called on an already active tape.")
        self._entered = True
        self._recording = True
        _active_tapes().append(self)
        return self

    def __exit__(self, *exc):
        self._recording = False
        tapes = _active_tapes()
        if self in tapes:
            tapes.remove(self)
        self._entered = False
        return False

    class _Paused:
        def __init__(self, tape):
            self.tape = tape

        def __enter__(self):
            self.was = self.tape._recording
            self.tape._recording = False

        def __exit__(self, *exc):
            self.tape._recording = self.was
            return False

    def stop_recording(self):
        """A context in which ops are not recorded."""
        if not self._entered:
            raise ValueError("Tape must be recording when calling `stop_recording`.")
        return GradientTape._Paused(self)

    def reset(self):
        """Forgets everything recorded and watched so far."""
        self._records, self._produced, self._watched, self._accessed, self._models = [], {}, {}, {}, {}
        self._used = False

    # -- watching -----------------------------------------------------------------------------------------

    def watch(self, tensor):
        """Watches arrays or variables (or a nested structure of them) so that gradients can be
        taken with respect to them."""
        for item in _tree.flatten(tensor):
            if isinstance(item, Variable):
                self._watched[_key(item)] = item
            elif isinstance(item, np.ndarray):
                self._watched[_key(item)] = item
            else:
                raise ValueError(f"Passed in object {item!r} of type '{type(item).__name__}', not tensor or variable, "
                                 "to `GradientTape.watch`.")

    def watched_variables(self):
        """The variables watched so far, in the order they were first watched or read."""
        seen, result = set(), []
        for item in list(self._watched.values()) + list(self._accessed.values()):
            if isinstance(item, Variable) and _key(item) not in seen and self._is_watched(item):
                seen.add(_key(item))
                result.append(item)
        return result

    def _is_watched(self, item):
        if _key(item) in self._watched:
            return True
        return isinstance(item, Variable) and self._watch_accessed_variables and item.trainable \
            and (_key(item) in self._accessed or _engine_of(item) is not None and id(_engine_of(item)) in self._models)

    def _record(self, op, attrs, operands, converted, results, model=None):
        index = len(self._records)
        self._records.append(_Record(op, attrs, list(operands), list(converted), list(results), model))
        if model is not None:
            self._models[id(model)] = model
        for i, result in enumerate(results):
            self._produced[id(result)] = (index, i)
        for operand in operands:
            if isinstance(operand, Variable):
                self._accessed.setdefault(_key(operand), operand)

    # -- gradients ----------------------------------------------------------------------------------------

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients=UnconnectedGradients.NONE):
        """Gradients of `target` (an array produced by recorded ops, or a nested structure of them:
        their gradients add up) with respect to `sources` (variables or watched arrays, any nested
        structure), in the structure of `sources`. A source the target does not depend on gets
        None (zeros with `unconnected_gradients="zero"`)."""
        from .models import traced_step
        trace = traced_step.active()
        if trace is not None and any(isinstance(t, KerasTensor) for t in _tree.flatten(target)):
            return trace.gradient(self, target, sources, output_gradients, _unconnected_mode(unconnected_gradients))
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of gradients "
                               "(or jacobians)")
        unconnected = _unconnected_mode(unconnected_gradients)
        flat_sources = _tree.flatten(sources)
        for source in flat_sources:
            if not isinstance(source, (Variable, np.ndarray)):
                raise ValueError(f"Expected sources to be variables or arrays watched by the tape. Received: "
                                 f"{source!r} of type '{type(source).__name__}'")
        flat_targets = _tree.flatten(target)
        if output_gradients is None:
            flat_seeds = [None] * len(flat_targets)
        else:
            flat_seeds = _tree.flatten(output_gradients)
            if len(flat_seeds) != len(flat_targets):
                raise ValueError(f"`output_gradients` must have the structure of `target`: {len(flat_targets)} "
                                 f"value(s) expected, received {len(flat_seeds)}.")
        self._used = True
        gradients = self._compute(flat_targets, flat_seeds, flat_sources)
        result = []
        for source, grad in zip(flat_sources, gradients):
            if grad is None and isinstance(source, Variable) and getattr(source, "_layer", None) is not None \
                    and self._records and not self._models:
                # No model call was recorded: the weight's layer can only have run on its own.
                raise NotImplementedError(
                    f"No gradient reached '{source.path}', a weight of a built-in layer. Built-in layers called "
                    "on their own are not recorded by an eager GradientTape: call them inside a model (`model(x)` is "
                    "recorded), train with `fit`, or write the computation with `swiftnet.ops`.")
            if grad is None and unconnected == "zero":
                grad = np.zeros(np.shape(source), dtype=np.float32)
            result.append(grad)
        return _tree.pack_like(sources, result)

    def _compute(self, targets, seeds, sources):
        # Which sources are differentiable leaves: float variables and arrays the tape watches (or
        # arrays recorded ops produced: the graph is cut there, as TensorFlow differentiates with
        # respect to intermediate values).
        source_keys = {}
        weight_sources = {}       # bound variables of recorded models: gradients from the model calls
        for source in sources:
            if _dtype_of(source) != "float32":
                continue
            if isinstance(source, Variable) and not self._is_watched(source):
                continue
            engine = _engine_of(source)
            if engine is not None and id(engine) in self._models:
                weight_sources[_key(source)] = source
                if _key(source) not in self._accessed and _key(source) not in self._watched:
                    continue
            if isinstance(source, np.ndarray) and _key(source) not in self._watched and _key(source) not in self._produced:
                continue
            source_keys[_key(source)] = source

        leaves, leaf_of = [], {}
        nodes = []

        def leaf(key, value):
            index = leaf_of.get(key)
            if index is None:
                index = leaf_of[key] = len(leaves)
                leaves.append(np.ascontiguousarray(value))
                nodes.append({"input": index})
                refs[("leaf", index)] = [len(nodes) - 1, 0]
            return refs[("leaf", index)]

        refs = {}

        def ref_of(value, converted):
            """The graph value of an operand (None when it depends on no source)."""
            key = _key(value)
            if key in source_keys:
                return leaf(key, converted if converted is not None else _engine_value(value))
            produced = self._produced.get(key)
            if produced is not None:
                return emit(produced[0], produced[1])
            return None

        emitted = {}
        models, model_index = [], {}
        weight_engines = {id(_engine_of(v)) for v in weight_sources.values()}

        def emit(record_index, output):
            # Iterative walk back over the records a value depends on (computations can be deep).
            stack = [record_index]
            while stack:
                current = stack[-1]
                if current in emitted:
                    stack.pop()
                    continue
                pending = [self._produced[_key(o)][0] for o in self._records[current].operands
                           if _key(o) not in source_keys and _key(o) in self._produced
                           and self._produced[_key(o)][0] not in emitted]
                if pending:
                    stack.extend(pending)
                    continue
                stack.pop()
                emitted[current] = emit_record(current)
            base = emitted[record_index]
            return None if base is None else [base, output]

        def emit_record(index):
            record = self._records[index]
            inputs, depends = [], False
            for operand, converted in zip(record.operands, record.converted):
                key = _key(operand)
                if key in source_keys:
                    inputs.append(leaf(key, converted))
                    depends = True
                elif key in self._produced and emitted.get(self._produced[key][0]) is not None:
                    inputs.append([emitted[self._produced[key][0]], self._produced[key][1]])
                    depends = True
                else:
                    inputs.append(None)
            if record.model is not None and id(record.model) in weight_engines:
                depends = True
            if not depends:
                return None   # a constant as far as the sources go
            inputs = [ref if ref is not None else leaf(("constant", index, i), converted)
                      for i, (ref, converted) in enumerate(zip(inputs, record.converted))]
            if record.model is not None:
                if id(record.model) not in model_index:
                    model_index[id(record.model)] = len(models)
                    models.append(record.model)
                entry = {"model": model_index[id(record.model)], "inputs": inputs, **record.attrs}
            else:
                entry = {"op": record.op, "inputs": inputs}
                if record.attrs:
                    entry["attrs"] = record.attrs
            nodes.append(entry)
            return len(nodes) - 1

        outputs, output_seeds = [], []
        for target, seed in zip(targets, seeds):
            ref = ref_of(target, None) if isinstance(target, (np.ndarray, Variable)) else None
            if ref is None:
                continue
            shape = np.shape(target)
            if seed is None:
                if int(np.prod(shape)) != 1:
                    raise ValueError(f"The target of `GradientTape.gradient` must be a scalar when no "
                                     f"`output_gradients` are given. Received a target of shape {shape}: reduce it "
                                     "(e.g. `ops.sum` or `ops.mean`) or pass `output_gradients`.")
            else:
                seed = np.asarray(seed.numpy() if hasattr(seed, "numpy") and not isinstance(seed, np.ndarray) else seed,
                                  dtype=np.float32)
                if seed.shape != shape:
                    seed = np.broadcast_to(seed, shape) if seed.size == 1 else seed
                if seed.shape != shape:
                    raise ValueError(f"Each output gradient must have its target's shape {shape}. Received: "
                                     f"{seed.shape}")
                seed = np.ascontiguousarray(seed)
            outputs.append(ref)
            output_seeds.append(seed)

        wanted = list({_key(s): s for s in sources if _key(s) in leaf_of}.values())
        wanted_weights = [v for v in {_key(s): s for s in sources if _key(s) in weight_sources}.values()
                          if id(_engine_of(v)) in model_index]
        if not outputs or not (wanted or wanted_weights):
            return [None] * len(sources)
        source_leaves = [leaf_of[_key(s)] for s in wanted]
        weight_places = [[model_index[id(_engine_of(v))], v._slot.layer, v._slot.index] for v in wanted_weights]
        spec = {"nodes": nodes, "outputs": outputs, "sources": source_leaves, "weights": weight_places}
        grads = [np.empty(leaves[i].shape, dtype=np.float32) for i in source_leaves]
        weight_grads = [np.empty(tuple(v.shape), dtype=np.float32) for v in wanted_weights]
        connected = np.zeros(len(source_leaves) + len(weight_grads), dtype=np.float32)
        _run(spec, leaves, output_seeds, grads, weight_grads, connected, models)
        by_source = {}
        for source, grad, flag in zip(wanted + wanted_weights, grads + weight_grads, connected):
            if flag:
                grad = grad.reshape(np.shape(source))
                previous = by_source.get(_key(source))
                # A model weight also used in ops directly gets both contributions.
                by_source[_key(source)] = grad if previous is None else previous + grad
        return [by_source.get(_key(s)) for s in sources]


def _unconnected_mode(value):
    if isinstance(value, UnconnectedGradients):
        return value.value
    if isinstance(value, str) and value.lower() in ("none", "zero"):
        return value.lower()
    raise ValueError(f"Unknown value for unconnected_gradients: {value!r}. Expected 'none' or 'zero'.")


def _dtype_of(value):
    if isinstance(value, Variable):
        return value.dtype
    return _dtypes.standardize_dtype(value.dtype.name)


def _engine_value(value):
    return _dtypes.as_engine_array(value.numpy() if isinstance(value, Variable) else value)


def _key(value):
    """Identity of a value for the tape: a built-in layer's weight is the same weight whichever
    `EngineWeight` object stands for it."""
    layer = getattr(value, "_layer", None) if isinstance(value, Variable) else None
    return ("weight", id(layer), value._index) if layer is not None else id(value)


def _engine_of(variable):
    """The engine model that holds a bound variable (a built model's weight), or None."""
    slot = getattr(variable, "_slot", None)
    return None if slot is None else slot.engine


def _run(spec, leaves, seeds, grads, weight_grads, connected, models):
    inputs, outputs = ctypes.c_void_p(), ctypes.c_void_p()
    _library.check(_library.lib.sn_dataset_create(ctypes.byref(inputs)))
    keep = []
    try:
        _library.check(_library.lib.sn_dataset_create(ctypes.byref(outputs)))
        try:
            for i, array in enumerate(leaves):
                if array.dtype == np.bool_:
                    array = array.astype(np.float32)
                    keep.append(array)
                    _library._add(inputs, str(i), array, _library.DTYPE_BOOL)
                else:
                    if array.dtype not in _library.DTYPES:
                        array = _dtypes.as_engine_array(array)
                        keep.append(array)
                    _library._add(inputs, str(i), array)
            for k, seed in enumerate(seeds):
                if seed is not None:
                    _library._add(inputs, f"seed{k}", seed)
            for j, grad in enumerate(grads):
                _library._add(outputs, f"g{j}", grad)
            for j, grad in enumerate(weight_grads):
                _library._add(outputs, f"w{j}", grad)
            _library._add(outputs, "connected", connected)
            handles = (ctypes.c_void_p * max(len(models), 1))(*[m.handle for m in models])
            _library.check(_library.lib.sn_tape_gradients(_library.to_json(spec), inputs, outputs, handles,
                                                          len(models)))
        finally:
            _library.lib.sn_dataset_free(outputs)
    finally:
        _library.lib.sn_dataset_free(inputs)


# -- optimizers outside fit ---------------------------------------------------------------------------

class _NativeOptimizer:
    """Owns an `sn_optimizer*`: an optimizer's state for eager `apply` calls."""

    def __init__(self, spec, variables):
        handle = ctypes.c_void_p()
        _library.check(_library.lib.sn_optimizer_create(_library.to_json(spec), ctypes.byref(handle)))
        self.handle = handle
        self.variables = list(variables)
        self.rate = spec["config"].get("learning_rate")

    def __del__(self):
        handle, self.handle = getattr(self, "handle", None), None
        if handle and _library.lib is not None:
            _library.lib.sn_optimizer_free(handle)

    def follow_learning_rate(self, optimizer):
        """Takes a rate set on the optimizer since the last update (a callback's, or yours)."""
        rate = optimizer._config["learning_rate"]
        if isinstance(rate, (int, float)) and rate != self.rate:
            _library.check(_library.lib.sn_optimizer_set_learning_rate(self.handle, float(rate)))
            self.rate = rate

    def iterations(self):
        value = ctypes.c_int64()
        _library.check(_library.lib.sn_optimizer_iterations(self.handle, ctypes.byref(value)))
        return int(value.value)

    def apply(self, values, grads):
        values_set, grads_set = ctypes.c_void_p(), ctypes.c_void_p()
        _library.check(_library.lib.sn_dataset_create(ctypes.byref(values_set)))
        try:
            _library.check(_library.lib.sn_dataset_create(ctypes.byref(grads_set)))
            try:
                for i, (value, grad) in enumerate(zip(values, grads)):
                    _library._add(values_set, str(i), value)
                    _library._add(grads_set, str(i), grad)
                _library.check(_library.lib.sn_optimizer_apply(self.handle, values_set, grads_set))
            finally:
                _library.lib.sn_dataset_free(grads_set)
        finally:
            _library.lib.sn_dataset_free(values_set)


# optimizer -> its engine state for eager `apply` calls; kept apart from the optimizer so that
# copying or pickling an optimizer copies its configuration (a copy starts with fresh state).
_eager_states = weakref.WeakKeyDictionary()


def optimizer_iterations(optimizer):
    """Updates an optimizer made by eager `apply` calls (0 before the first)."""
    native = _eager_states.get(optimizer)
    return 0 if native is None else native.iterations()


def eager_state(optimizer, variables):
    """The engine state of an optimizer's `apply` calls, built for `variables` at the first."""
    native = _eager_states.get(optimizer)
    if native is None:
        native = _NativeOptimizer(optimizer.serialize(), variables)
        _eager_states[optimizer] = native
    return native


def apply_eagerly(optimizer, grads, trainable_variables=None):
    """Keras's `optimizer.apply(grads, trainable_variables)` on eager variables, computed in Swift.
    The first call fixes the optimizer's variables (Keras builds the optimizer then); gradients
    that are None are skipped, as Keras skips them, only when no update of that variable is due."""
    grads = list(grads)
    from .models import traced_step
    trace = traced_step.active()
    if trace is not None and any(isinstance(g, KerasTensor) for g in grads):
        if trainable_variables is None:
            native = _eager_states.get(optimizer)
            if native is None:
                raise ValueError("When calling `apply` for the first time, `trainable_variables` must be provided.")
            trainable_variables = native.variables
        return trace.apply(optimizer, grads, list(trainable_variables))
    native = _eager_states.get(optimizer)
    if trainable_variables is None:
        if native is None:
            raise ValueError("When calling `apply` for the first time, `trainable_variables` must be provided.")
        trainable_variables = native.variables
    trainable_variables = list(trainable_variables)
    if len(grads) != len(trainable_variables):
        raise ValueError(f"Expected as many gradients as variables. Received {len(grads)} gradients and "
                         f"{len(trainable_variables)} variables.")
    for variable in trainable_variables:
        if not isinstance(variable, Variable):
            raise ValueError(f"Expected `trainable_variables` to hold variables. Received: {variable!r}")
    pairs = [(g, v) for g, v in zip(grads, trainable_variables) if g is not None]
    if not pairs:
        raise ValueError("No gradients provided for any variable.")
    native = eager_state(optimizer, [v for _, v in pairs])
    built = {_key(v): i for i, v in enumerate(native.variables)}
    by_position = [None] * len(native.variables)
    for grad, variable in pairs:
        position = built.get(_key(variable))
        if position is None:
            raise ValueError(f"Unknown variable: '{variable.path}'. This optimizer can only be called for the "
                             "variables it was originally built with (those of its first `apply`).")
        grad = np.asarray(grad.numpy() if hasattr(grad, "numpy") and not isinstance(grad, np.ndarray) else grad,
                          dtype=np.float32)
        if grad.shape != tuple(variable.shape):
            raise ValueError(f"The gradient of '{variable.path}' has shape {grad.shape}; the variable has shape "
                             f"{tuple(variable.shape)}.")
        by_position[position] = np.ascontiguousarray(grad)
    missing = [native.variables[i].path for i, g in enumerate(by_position) if g is None]
    if missing:
        raise ValueError(f"No gradient for {missing}: the optimizer updates all the variables it was built with "
                         "together; pass a gradient for each (zeros where nothing changes).")
    values = [np.ascontiguousarray(v.numpy(), dtype=np.float32) for v in native.variables]
    native.follow_learning_rate(optimizer)
    native.apply(values, by_position)
    for variable, value in zip(native.variables, values):
        variable.assign(value.reshape(variable.shape))
