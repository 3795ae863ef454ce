"""Turning user data into what the library reads: float32, C-contiguous, finite."""

import numpy as np


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
