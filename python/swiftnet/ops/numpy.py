"""`keras.ops` NumPy-style functions: element-wise math with broadcasting, reductions, products,
shape manipulation, indexing, creation. Each runs in the engine (eagerly on arrays, as a graph
node on symbolic tensors)."""

import builtins

import numpy as np

from .. import _dtypes
from ..keras_tensor import KerasTensor
from ._dispatch import axis_attr, dtype_of, normalize_axis, run, shape_of


def _unary(name):
    def op(x):
        return run(name, [x])
    op.__name__ = name
    op.__doc__ = f"Element-wise `{name}`, as `keras.ops.{name}`."
    return op


def _binary(name):
    def op(x1, x2):
        return run(name, [x1, x2])
    op.__name__ = name
    op.__doc__ = f"Element-wise `{name}` with broadcasting, as `keras.ops.{name}`."
    return op


negative = _unary("negative")
abs = _unary("abs")
absolute = abs
square = _unary("square")
sqrt = _unary("sqrt")
rsqrt = _unary("rsqrt")
exp = _unary("exp")
expm1 = _unary("expm1")
log = _unary("log")
log1p = _unary("log1p")
log2 = _unary("log2")
log10 = _unary("log10")
sign = _unary("sign")
sin = _unary("sin")
cos = _unary("cos")
tan = _unary("tan")
arcsin = _unary("arcsin")
arccos = _unary("arccos")
arctan = _unary("arctan")
sinh = _unary("sinh")
cosh = _unary("cosh")
arcsinh = _unary("arcsinh")
arctanh = _unary("arctanh")
reciprocal = _unary("reciprocal")
floor = _unary("floor")
ceil = _unary("ceil")
erf = _unary("erf")
logical_not = _unary("logical_not")
isnan = _unary("isnan")
isinf = _unary("isinf")
isfinite = _unary("isfinite")

add = _binary("add")
subtract = _binary("subtract")
multiply = _binary("multiply")
divide = _binary("divide")
true_divide = divide
floor_divide = _binary("floor_divide")
mod = _binary("mod")
power = _binary("power")
maximum = _binary("maximum")
minimum = _binary("minimum")
arctan2 = _binary("arctan2")
equal = _binary("equal")
not_equal = _binary("not_equal")
less = _binary("less")
less_equal = _binary("less_equal")
greater = _binary("greater")
greater_equal = _binary("greater_equal")
logical_and = _binary("logical_and")
logical_or = _binary("logical_or")
logical_xor = _binary("logical_xor")


def tanh(x):
    return run("tanh", [x])


def divide_no_nan(x1, x2):
    """x1 / x2, and 0 where x2 is 0."""
    zero = equal(x2, 0)
    return where(zero, 0.0, divide(x1, where(zero, 1.0, x2)))


def round(x, decimals=0):
    """Round half to even to `decimals` places; integers stay integers (rounded to tens, hundreds,
    ... for negative `decimals`)."""
    if decimals == 0:
        return run("round", [x])
    if _dtypes.is_int(dtype_of(x)):
        if decimals > 0:
            return run("round", [x])
        scale = 10.0 ** -decimals
        return cast(multiply(run("round", [divide(x, scale)]), scale), dtype_of(x))
    scale = 10.0 ** decimals
    return divide(run("round", [multiply(x, scale)]), scale)


def clip(x, x_min, x_max):
    """Values limited to [x_min, x_max]; tensors as bounds broadcast like maximum/minimum."""
    if isinstance(x_min, (int, float)) and isinstance(x_max, (int, float)):
        # A float bound makes integer values float (Keras's weak-type promotion).
        if _dtypes.is_int(dtype_of(x)) and builtins.any(isinstance(b, float) for b in (x_min, x_max)):
            x = cast(x, "float32")
        return run("clip", [x], {"x_min": float(x_min), "x_max": float(x_max)})
    return minimum(maximum(x, x_min), x_max)


def where(condition, x1=None, x2=None):
    """x1 where the condition holds, x2 elsewhere (both must be given)."""
    if x1 is None or x2 is None:
        raise ValueError("`where` needs both x1 and x2: swiftnet does not return index arrays of data-dependent size.")
    return run("where", [condition, x1, x2])


# -- reductions -------------------------------------------------------------------------------------

def _reduction(name):
    def op(x, axis=None, keepdims=False):
        attrs = {"keepdims": bool(keepdims)}
        if axis is not None:
            attrs["axis"] = axis_attr(axis)
        return run(name, [x], attrs)
    op.__name__ = name
    op.__doc__ = f"`{name}` over `axis` (all axes when None), as `keras.ops.{name}`."
    return op


sum = _reduction("sum")
mean = _reduction("mean")
max = _reduction("max")
min = _reduction("min")
amax = max
amin = min
prod = _reduction("prod")
var = _reduction("var")
std = _reduction("std")
any = _reduction("any")
all = _reduction("all")
logsumexp = _reduction("logsumexp")


def argmax(x, axis=None, keepdims=False):
    attrs = {"keepdims": bool(keepdims)}
    if axis is not None:
        attrs["axis"] = int(axis)
    return run("argmax", [x], attrs)


def argmin(x, axis=None, keepdims=False):
    attrs = {"keepdims": bool(keepdims)}
    if axis is not None:
        attrs["axis"] = int(axis)
    return run("argmin", [x], attrs)


def average(x, axis=None, weights=None):
    """The weighted mean over `axis`; 1-D `weights` along a single axis apply along it (NumPy)."""
    if weights is None:
        return mean(x, axis=axis)
    rank = len(shape_of(x))
    if isinstance(axis, (int, np.integer)) and len(shape_of(weights)) == 1 and rank > 1:
        axis = normalize_axis(axis, rank, "average")
        weights = reshape(weights, [-1 if a == axis else 1 for a in range(rank)])
    return divide(sum(multiply(x, weights), axis=axis), sum(multiply(ones_like(x), weights), axis=axis))


# -- products ----------------------------------------------------------------------------------------

def matmul(x1, x2):
    return run("matmul", [x1, x2])


def dot(x1, x2):
    """NumPy's dot: a matrix product for 1-D/2-D operands, the last axis of x1 with the
    second-to-last of x2 otherwise, a product for scalars."""
    if len(shape_of(x1)) == 0 or len(shape_of(x2)) == 0:
        return multiply(x1, x2)
    if len(shape_of(x2)) <= 2:
        return matmul(x1, x2)
    letters = "abcdefghijklmnopqrstuvwxyz"
    r1, r2 = len(shape_of(x1)), len(shape_of(x2))
    a = letters[:r1 - 1] + "z"
    b = letters[r1 - 1:r1 - 1 + r2 - 2] + "z" + letters[r1 - 1 + r2 - 2]
    return einsum(f"{a},{b}->{a[:-1]}{b[:-2]}{b[-1]}", x1, x2)


def einsum(subscripts, *operands):
    return run("einsum", list(operands), {"subscripts": subscripts})


def tensordot(x1, x2, axes=2):
    letters = "abcdefghijklmnopqrstuvwxyz"
    r1, r2 = len(shape_of(x1)), len(shape_of(x2))
    if isinstance(axes, int):
        axes = (list(range(r1 - axes, r1)), list(range(axes)))
    a_axes, b_axes = [list(np.atleast_1d(a)) for a in axes]
    a = list(letters[:r1])
    b = list(letters[r1:r1 + r2])
    for i, j in zip(a_axes, b_axes):
        b[j] = a[i]
    out = [c for k, c in enumerate(a) if k not in [i % r1 for i in a_axes]] + \
          [c for k, c in enumerate(b) if k not in [j % r2 for j in b_axes]]
    return einsum(f"{''.join(a)},{''.join(b)}->{''.join(out)}", x1, x2)


def outer(x1, x2):
    return multiply(expand_dims(reshape(x1, (-1,)), -1), reshape(x2, (-1,)))


# -- shapes -------------------------------------------------------------------------------------------

def shape(x):
    """The shape as a tuple (None where a symbolic tensor's dimension is unknown)."""
    return shape_of(x)


def ndim(x):
    return len(shape_of(x))


def size(x):
    return int(np.prod(shape_of(x)))


def reshape(x, newshape):
    """x with shape `newshape` (one -1 is inferred; a None, as from `ops.shape` of a symbolic
    batch, counts as -1)."""
    if isinstance(newshape, (int, np.integer)):
        newshape = (int(newshape),)
    dims = [-1 if d is None else int(d) for d in newshape]
    return run("reshape", [x], {"shape": dims})


def transpose(x, axes=None):
    return run("transpose", [x], {} if axes is None else {"axes": [int(a) for a in axes]})


def swapaxes(x, axis1, axis2):
    rank = len(shape_of(x))
    axis1, axis2 = normalize_axis(axis1, rank, "swapaxes"), normalize_axis(axis2, rank, "swapaxes")
    perm = list(range(rank))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return transpose(x, perm)


def moveaxis(x, source, destination):
    rank = len(shape_of(x))
    source = [normalize_axis(s, rank, "moveaxis") for s in np.atleast_1d(source)]
    destination = [normalize_axis(d, rank, "moveaxis") for d in np.atleast_1d(destination)]
    if len(source) != len(destination) or len(set(source)) != len(source) or len(set(destination)) != len(destination):
        raise ValueError(f"moveaxis: `source` and `destination` must be distinct axes, as many of each. "
                         f"Received: source={source}, destination={destination}")
    order = [a for a in range(rank) if a not in source]
    for d, s in sorted(zip(destination, source)):
        order.insert(d, s)
    return transpose(x, order)


def expand_dims(x, axis):
    return run("expand_dims", [x], {"axis": axis_attr(axis) if isinstance(axis, (list, tuple)) else [int(axis)]})


def squeeze(x, axis=None):
    return run("squeeze", [x], {} if axis is None else {"axis": axis_attr(axis) if isinstance(axis, (list, tuple)) else [int(axis)]})


def ravel(x):
    return reshape(x, (-1,))


def concatenate(xs, axis=0):
    """Joins tensors along `axis`; `axis=None` flattens them first."""
    if axis is None:
        return run("concatenate", [reshape(x, (-1,)) for x in xs], {"axis": 0})
    return run("concatenate", list(xs), {"axis": int(axis)})


def stack(x, axis=0):
    return run("stack", list(x), {"axis": int(axis)})


def split(x, indices_or_sections, axis=0):
    """`indices_or_sections`: a number of equal sections, or the indices (a sequence or 1-D array)
    where to cut."""
    sections = indices_or_sections
    if np.ndim(sections) == 1:
        sections = [int(i) for i in np.asarray(sections)]
    elif np.ndim(sections) == 0:
        sections = int(sections)
    else:
        raise ValueError(f"`indices_or_sections` must be an integer or a 1-D list of indices. Received: {indices_or_sections!r}")
    attrs = {"axis": int(axis), "indices_or_sections": sections}
    count = len(sections) + 1 if isinstance(sections, list) else sections
    results = run("split", [x], attrs, outputs=None)
    return list(results)[:count]


def take(x, indices, axis=None):
    if _dtypes.is_float(dtype_of(indices)):
        indices = cast(indices, "int32")  # as Keras does
    return run("take", [x, indices], {} if axis is None else {"axis": int(axis)})


def take_along_axis(x, indices, axis=None):
    if axis is None:
        return take_along_axis(reshape(x, (-1,)), reshape(indices, (-1,)), axis=0)
    return run("take_along_axis", [x, indices], {"axis": int(axis)})


def tile(x, repeats):
    repeats = [int(r) for r in np.atleast_1d(repeats)]
    return run("tile", [x], {"repeats": repeats})


def repeat(x, repeats, axis=None):
    """Repeats each element `repeats` times (one count for all, or one per element along `axis`)."""
    if np.ndim(repeats) > 0 and np.size(repeats) != 1:
        if axis is None:
            x, axis = reshape(x, (-1,)), 0
        size = shape_of(x)[axis]
        counts = np.asarray(repeats).astype(np.int64).reshape(-1)
        if size is None or counts.size != size or (counts < 0).any():
            raise ValueError(f"`repeats` must give one non-negative count per element along axis {axis} "
                             f"(size {size}). Received: {np.asarray(repeats).tolist()}")
        # The copies are a gather of each index as often as it repeats.
        return take(x, np.repeat(np.arange(size, dtype=np.int32), counts), axis=axis)
    repeats = int(np.asarray(repeats).reshape(-1)[0]) if np.ndim(repeats) else int(repeats)
    attrs = {"repeats": repeats}
    if axis is not None:
        attrs["axis"] = int(axis)
    return run("repeat", [x], attrs)


def pad(x, pad_width, mode="constant", constant_values=None):
    rank = len(shape_of(x))
    widths = np.asarray(pad_width, dtype=np.int64)
    if widths.ndim == 0 or widths.shape in ((2,), (1, 2)):
        widths = np.broadcast_to(widths.reshape(-1)[-2:] if widths.ndim else np.full(2, int(widths)), (rank, 2))
    if widths.shape != (rank, 2):
        raise ValueError(f"`pad_width` must give (before, after) for each of the {rank} axes. Received: {pad_width}")
    if mode not in ("constant", "reflect", "symmetric", "edge"):
        raise ValueError(f"`pad` mode must be one of constant, reflect, symmetric, edge. Received: mode={mode!r}")
    if constant_values is not None and mode != "constant":
        raise ValueError("`constant_values` can only be used with mode='constant'.")
    return run("pad", [x], {"pad_width": widths.tolist(), "mode": mode,
                            "constant_values": float(constant_values or 0)})


def broadcast_to(x, shape):
    return run("broadcast_to", [x], {"shape": [int(d) for d in shape]})


def flip(x, axis=None):
    rank = len(shape_of(x))
    axes = range(rank) if axis is None else [normalize_axis(a, rank, "flip") for a in np.atleast_1d(axis)]
    key = tuple(builtins.slice(None, None, -1) if a in axes else builtins.slice(None) for a in range(rank))
    from ._indexing import getitem
    return getitem(x, key)


def slice(inputs, start_indices, shape):
    """keras.ops.slice: the block of `shape` starting at `start_indices` (static integers). As in
    JAX, a start too close to the end moves back so that the block fits."""
    from ._indexing import strided_slice
    sizes = shape_of(inputs)
    if len(start_indices) != len(sizes) or len(shape) != len(sizes):
        raise ValueError(f"slice: `start_indices` and `shape` need one entry per axis of the input (rank {len(sizes)}). "
                         f"Received: start_indices={list(start_indices)}, shape={list(shape)}")
    bounds = []
    for start, length, size in zip(start_indices, shape, sizes):
        start, length = int(start), int(length)
        if size is not None:
            if not 0 <= length <= size:
                raise ValueError(f"slice: a block of size {length} does not fit an axis of size {size}.")
            start = builtins.min(builtins.max(start, 0), size - length)
        bounds.append([start, start + length, 1])
    return strided_slice(inputs, bounds)


def cast(x, dtype):
    return run("cast", [x], {"dtype": _dtypes.standardize_dtype(dtype)})


def stop_gradient(x):
    return run("stop_gradient", [x])


# -- creation -------------------------------------------------------------------------------------------

def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dtype = "float32" if builtins.any(isinstance(v, float) for v in (start, stop, step)) else "int32"
    return run("arange", [], {"start": float(start), "stop": float(stop), "step": float(step),
                              "dtype": _dtypes.standardize_dtype(dtype)})


def full(shape, fill_value, dtype=None):
    shape = [int(d) for d in np.atleast_1d(shape)] if np.ndim(shape) or not isinstance(shape, (int, np.integer)) \
        else [int(shape)]
    return run("full", [], {"shape": shape, "fill_value": _fill_value(fill_value, dtype),
                            "dtype": _dtypes.standardize_dtype(dtype)})


def _fill_value(value, dtype):
    """A fill value as the engine reads it (a double): integers beyond 2**53 would change."""
    if isinstance(value, (int, np.integer)) and builtins.abs(int(value)) > 2 ** 53:
        raise ValueError(f"Fill values beyond ±2**53 cannot be represented exactly. Received: {value}")
    return float(value)


def zeros(shape, dtype=None):
    return full(shape, 0, dtype)


def ones(shape, dtype=None):
    return full(shape, 1, dtype)


def _like(name, x, dtype, fill_value=None):
    attrs = {} if dtype is None else {"dtype": _dtypes.standardize_dtype(dtype)}
    if fill_value is not None:
        attrs["fill_value"] = _fill_value(fill_value, dtype)
    return run(name, [x], attrs)


def zeros_like(x, dtype=None):
    return _like("zeros_like", x, dtype)


def ones_like(x, dtype=None):
    return _like("ones_like", x, dtype)


def full_like(x, fill_value, dtype=None):
    return _like("full_like", x, dtype, fill_value)


def eye(N, M=None, k=0, dtype=None):
    return np.eye(N, M, k, dtype=_dtypes.numpy_dtype(dtype))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def convert_to_tensor(x, dtype=None, sparse=None):
    if isinstance(x, KerasTensor):
        return x if dtype is None else cast(x, dtype)
    return _dtypes.as_engine_array(x.numpy() if hasattr(x, "numpy") and not isinstance(x, np.ndarray) else x, dtype)


def convert_to_numpy(x):
    if isinstance(x, KerasTensor):
        return x.numpy()  # raises the symbolic-value error
    return np.asarray(x.numpy() if hasattr(x, "numpy") and not isinstance(x, np.ndarray) else x)


def dtype(x):
    return dtype_of(x)


__all__ = ['abs', 'absolute', 'add', 'all', 'amax', 'amin', 'any', 'arange', 'arccos', 'arcsin', 'arcsinh', 'arctan', 'arctan2', 'arctanh', 'argmax', 'argmin', 'average', 'broadcast_to', 'cast', 'ceil', 'clip', 'concatenate', 'convert_to_numpy', 'convert_to_tensor', 'cos', 'cosh', 'divide', 'divide_no_nan', 'dot', 'dtype', 'einsum', 'equal', 'erf', 'exp', 'expand_dims', 'expm1', 'eye', 'flip', 'floor', 'floor_divide', 'full', 'full_like', 'greater', 'greater_equal', 'identity', 'isfinite', 'isinf', 'isnan', 'less', 'less_equal', 'log', 'log10', 'log1p', 'log2', 'logical_and', 'logical_not', 'logical_or', 'logical_xor', 'logsumexp', 'matmul', 'max', 'maximum', 'mean', 'min', 'minimum', 'mod', 'moveaxis', 'multiply', 'ndim', 'negative', 'not_equal', 'ones', 'ones_like', 'outer', 'pad', 'power', 'prod', 'ravel', 'reciprocal', 'repeat', 'reshape', 'round', 'rsqrt', 'shape', 'sign', 'sin', 'sinh', 'size', 'slice', 'split', 'sqrt', 'square', 'squeeze', 'stack', 'std', 'stop_gradient', 'subtract', 'sum', 'swapaxes', 'take', 'take_along_axis', 'tan', 'tanh', 'tensordot', 'tile', 'transpose', 'true_divide', 'var', 'where', 'zeros', 'zeros_like']
