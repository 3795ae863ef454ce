"""How every op runs: on symbolic tensors it adds a node to the graph being defined or traced; on
anything else it computes at once in the engine and returns NumPy arrays."""

import numbers

import numpy as np

from .. import _dtypes, _graph, _library
from .. import gradient_tape as _gradient_tape
from ..keras_tensor import KerasTensor


def _variable_class():
    from ..variables import Variable
    return Variable


def operand(value, like=None):
    """A KerasTensor or a NumPy array for `value`. Inside a trace, variables are graph values.
    Python numbers take the dtype of `like` when it is compatible (Keras's weak typing)."""
    if isinstance(value, KerasTensor):
        return value
    if isinstance(value, _variable_class()):
        scope = _graph.current_scope()
        return scope.read(value) if scope is not None else value.numpy()
    if isinstance(value, (bool, np.bool_)):
        return np.asarray(value, dtype=np.bool_)
    if isinstance(value, numbers.Number) and not isinstance(value, np.generic):
        like_dtype = getattr(like, "dtype", None)
        like_dtype = _dtypes.standardize_dtype(like_dtype) if like_dtype is not None else None
        if isinstance(value, numbers.Integral):
            dtype = like_dtype if like_dtype in ("float32", "int32", "int64") else "int32"
            if dtype != "float32" and not -2**31 <= value < 2**31:
                dtype = "int64"
        else:
            dtype = "float32"
        return np.asarray(value, dtype=_dtypes.numpy_dtype(dtype))
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    if isinstance(value, (list, tuple)):
        # Python integers become int32 as in Keras (int64 only when they need it).
        array = np.asarray(value)
        if array.dtype == np.int64 and array.size and -2**31 <= array.min() and array.max() < 2**31:
            return array.astype(np.int32)
        return _dtypes.as_engine_array(array)
    return _dtypes.as_engine_array(value)


def constant(array):
    """A NumPy value as a node of the graph being traced."""
    array = _dtypes.as_engine_array(array)
    return _graph.ConstantNode(array).make_outputs([(array.shape, "bool" if array.dtype == np.bool_ else array.dtype.name)])[0]


def run(op, inputs, attrs=None, outputs=1):
    """Runs `op` on `inputs` (values of any kind) with `attrs`; returns one result, or a list of
    `outputs` results when outputs > 1 (or None: all)."""
    first = next((v for v in inputs if isinstance(v, KerasTensor)), None)
    like = first if first is not None else next((v for v in inputs if not isinstance(v, numbers.Number)), None)
    converted = [operand(v, like=like if isinstance(v, numbers.Number) else None) for v in inputs]
    node_spec = {"op": op}
    if attrs:
        node_spec["attrs"] = attrs
    if any(isinstance(c, KerasTensor) for c in converted) or (op.startswith("random.") and _steps_traced()):
        tensors = [c if isinstance(c, KerasTensor) else constant(c) for c in converted]
        specs = _library.infer(node_spec, [(t.shape, t.dtype) for t in tensors])
        node = _graph.OpNode(op, attrs or {}, tensors)
        results = node.make_outputs(specs)
        if not _gradient_tape.recording() and _steps_traced():
            node.untaped = True    # in a traced step, outside every GradientTape: no gradient path
    else:
        results = _library.run_op(node_spec, converted)
        if _gradient_tape.recording():
            results = _gradient_tape.record(op, attrs, inputs, converted, results)
    return results[0] if outputs == 1 else results


def _steps_traced():
    """Whether a custom train step is being traced: its random draws happen anew every step."""
    from ..models import traced_step
    return traced_step.active() is not None


def shape_of(x):
    """Shape of a symbolic or concrete value (None where unknown)."""
    if isinstance(x, KerasTensor):
        return x.shape
    return tuple(np.shape(x.numpy() if hasattr(x, "numpy") and not isinstance(x, np.ndarray) else x))


def dtype_of(x):
    if isinstance(x, KerasTensor):
        return x.dtype
    if isinstance(x, _variable_class()):
        return x.dtype
    return _dtypes.standardize_dtype(np.asarray(x).dtype.name)


def axis_attr(axis):
    """An `axis` argument (None, an int or a sequence) in the engine's form."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return [int(a) for a in axis]
    return int(axis)


def normalize_axis(axis, rank, op):
    """`axis` in 0..<rank (negative counts from the end), or a ValueError naming `op`."""
    axis = int(axis)
    if not -rank <= axis < rank:
        raise ValueError(f"{op}: axis {axis} is out of bounds for a tensor of rank {rank}.")
    return axis % rank
