"""Turning user data into what the library reads: float32, C-contiguous, finite."""

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)


def as_float32(data, name, allow_empty=False):
    """Returns `data` as a float32 C-contiguous array, without copying when it already is one.

    Accepts arrays, lists, buffer-protocol objects and array-likes (e.g. pandas frames).
    Raises TypeError for non-numeric data (strings, objects) and ValueError for empty arrays.
    """
    if data is None:
        raise ValueError(f"Expected `{name}` to be an array. Received: {name}=None")
    if not isinstance(data, np.ndarray):
        try:
            data = np.asarray(data)
        except (ValueError, TypeError) as error:
            raise TypeError(f"Expected `{name}` to be array-like with numeric values: {error}") from None
    kind = data.dtype.kind
    if kind not in "biuf":
        raise TypeError(
            f"Expected `{name}` to hold numbers (bool, int or float). Received: dtype={data.dtype}"
            + (" (strings must be encoded as numbers first)" if kind in "USO" else ""))
    if data.ndim == 0:
        raise ValueError(f"Expected `{name}` to be an array with a sample axis. Received a scalar: {data!r}")
    if data.shape[0] == 0 and not allow_empty:
        raise ValueError(f"Expected `{name}` to contain at least one sample. Received: shape={data.shape}")
    if data.dtype == np.float32 and data.flags.c_contiguous and data.flags.aligned:
        return data
    with np.errstate(over="ignore"):
        # np.array (not ascontiguousarray) also realigns buffers that start at an odd address.
        return np.array(data, dtype=np.float32, order="C", copy=True)


def as_targets(data, name):
    """Targets for the engine: integer arrays stay integers (int32, or int64 when values need it),
    so that class labels arrive exactly; everything else becomes float32 as `as_float32` does."""
    if not isinstance(data, np.ndarray):
        try:
            data = np.asarray(data)
        except (ValueError, TypeError) as error:
            raise TypeError(f"Expected `{name}` to be array-like with numeric values: {error}") from None
    if data.dtype.kind not in "iu" or data.ndim == 0 or data.size == 0:
        return as_float32(data, name)
    if data.dtype in (np.int32, np.int64) and data.flags.c_contiguous and data.flags.aligned:
        return data
    if data.dtype.kind == "u" and data.dtype.itemsize == 8 and data.max(initial=0) > np.iinfo(np.int64).max:
        raise ValueError(f"`{name}` holds values beyond int64. Received: max={data.max()}")
    target = np.int32 if data.dtype.itemsize < 4 or (data.dtype.itemsize == 4 and data.dtype.kind == "i") else np.int64
    return np.array(data, dtype=target, order="C", copy=True)


def as_input(data, name, dtype):
    """An input array of the dtype a model input declares: float32 (converted once, no copy when it
    already is), integers kept as int32/int64 (token ids), or bool."""
    if dtype == "float32":
        return as_float32(data, name)
    if dtype == "bool":
        array = np.asarray(as_float32(data, name))
        return np.ascontiguousarray(array != 0)
    array = as_targets(data, name)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise TypeError(f"Input '{name}' expects integers ({dtype}). Received non-integer values.")
    limits = np.iinfo(np.int64 if dtype == "int64" else np.int32)
    if array.size and (array.min() < limits.min or array.max() > limits.max):
        raise ValueError(f"Input '{name}' expects {dtype} values. Received values from {array.min()} to "
                         f"{array.max()}, beyond the range of {dtype}.")
    if array.dtype.kind == "f":
        array = np.ascontiguousarray(array, dtype=np.int64 if dtype == "int64" else np.int32)
    return array
