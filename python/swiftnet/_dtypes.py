"""Dtype names as Keras spells them, and how NumPy values map onto the engine's four types."""

import numpy as np

FLOATX = "float32"
ENGINE_DTYPES = ("float32", "int32", "int64", "bool")
_ALIASES = {
    "float": "float32", "float16": "float32", "bfloat16": "float32", "float64": "float32", "double": "float32",
    "int": "int32", "int8": "int32", "int16": "int32", "uint8": "int32", "uint16": "int32",
    "uint32": "int64", "uint64": "int64", "long": "int64", "bool_": "bool",
}


def standardize_dtype(dtype):
    """Keras's name for a dtype given as a string, NumPy dtype or type; computed as one of the
    engine's dtypes (float32, int32, int64, bool)."""
    if dtype is None:
        return FLOATX
    if isinstance(dtype, str):
        name = dtype
    elif hasattr(dtype, "name") and isinstance(getattr(dtype, "name"), str) and not isinstance(dtype, type):
        name = dtype.name
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = getattr(dtype, "__name__", str(dtype))
    name = _ALIASES.get(name, name)
    if name not in ENGINE_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype!r}. Expected one of: {', '.join(ENGINE_DTYPES)}.")
    return name


def numpy_dtype(dtype):
    return {"float32": np.float32, "int32": np.int32, "int64": np.int64, "bool": np.bool_}[standardize_dtype(dtype)]


def as_engine_array(value, dtype=None):
    """`value` as a C-contiguous NumPy array of an engine dtype (float64 → float32, small integers
    → int32, as Keras's JAX backend does), or of `dtype` when given."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Expected numeric values (bool, int or float). Received: dtype={array.dtype}")
    target = numpy_dtype(dtype) if dtype is not None else numpy_dtype(array.dtype.name)
    # np.asarray keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d).
    return np.asarray(array, dtype=target, order="C")


def is_float(dtype):
    return standardize_dtype(dtype) == "float32"


def is_int(dtype):
    return standardize_dtype(dtype) in ("int32", "int64")
