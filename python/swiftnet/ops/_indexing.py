"""NumPy indexing of symbolic tensors (`x[1:, None, ..., -1]`, `x[:, indices]`) as graph ops: one
strided slice, then squeezes for integer indices, new axes for None, and a `take` for an integer
array index."""

import numpy as np

from ..keras_tensor import KerasTensor
from ._dispatch import run, shape_of


def strided_slice(x, slices):
    return run("strided_slice", [x], {"slices": slices})


def _bound(value):
    if value is None:
        return None
    if isinstance(value, KerasTensor):
        raise TypeError("Slice bounds must be Python integers, not symbolic tensors.")
    return int(value)


def getitem(x, key):
    if not isinstance(key, tuple):
        key = (key,)
    rank = len(shape_of(x))
    for k in key:
        if isinstance(k, (np.ndarray, list)) and np.asarray(k).dtype == np.bool_ or \
                isinstance(k, KerasTensor) and k.dtype == "bool":
            raise TypeError("Boolean mask indexing gives data-dependent shapes, which a graph cannot have; "
                            "use `ops.where` instead.")
    consumed = sum(1 for k in key if k is not None and k is not Ellipsis)
    if consumed > rank:
        raise IndexError(f"Too many indices for a tensor of rank {rank}: {key}")
    if sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("An index can only have a single ellipsis ('...').")
    expanded = []
    for k in key:
        if k is Ellipsis:
            expanded.extend([slice(None)] * (rank - consumed))
        else:
            expanded.append(k)
    slices, squeeze, new_axes, gathers = [], [], [], []
    axis = result_axis = 0
    for k in expanded:
        if k is None:
            new_axes.append(result_axis)
            result_axis += 1
        elif isinstance(k, slice):
            slices.append([_bound(k.start), _bound(k.stop), _bound(k.step)])
            axis += 1
            result_axis += 1
        elif isinstance(k, (int, np.integer)):
            i = int(k)
            size = shape_of(x)[axis]
            if size is not None and not -size <= i < size:
                raise IndexError(f"Index {i} is out of bounds for axis {axis} with size {size}.")
            slices.append([i, i + 1 if i != -1 else None, 1])
            squeeze.append(axis)
            axis += 1
        elif isinstance(k, (KerasTensor, np.ndarray, list)):
            slices.append([None, None, None])
            gathers.append((axis, k))
            axis += 1
            result_axis += 1
        else:
            raise TypeError(f"Unsupported index: {k!r}. Use integers, slices, None, '...' or an integer array.")
    if len(gathers) > 1:
        raise TypeError("Only one integer-array index per indexing expression is supported.")
    out = x
    if any(s != [None, None, None] for s in slices):
        out = strided_slice(out, slices)
    if gathers:
        gather_axis, indices = gathers[0]
        out = run("take", [out, indices], {"axis": gather_axis})
        extra = len(shape_of(indices)) - 1
        squeeze = [a + extra if a > gather_axis else a for a in squeeze]
        new_axes = [a + extra if a > gather_axis else a for a in new_axes]
    if squeeze:
        out = run("squeeze", [out], {"axis": squeeze})
    if new_axes:
        out = run("expand_dims", [out], {"axis": new_axes})
    return out
