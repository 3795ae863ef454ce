"""Utilities with Keras names."""

import numpy as np

from .random import set_random_seed


def to_categorical(x, num_classes=None):
    """One-hot encodes integer labels: shape (n,) → (n, num_classes), as keras.utils.to_categorical."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"Expected integer class labels. Received: dtype={x.dtype}")
    if x.size and (np.any(x != np.round(x)) or np.any(x < 0)):
        raise ValueError("Expected non-negative integer class labels.")
    x = x.astype(np.int64)
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    if num_classes is None:
        num_classes = int(x.max()) + 1 if x.size else 0
    if x.size and x.max() >= num_classes:
        raise ValueError(f"Labels go up to {int(x.max())}, which does not fit num_classes={num_classes}.")
    out = np.zeros(x.shape + (num_classes,), dtype=np.float32)
    np.put_along_axis(out, x[..., None], 1.0, axis=-1)
    return out


__all__ = ["set_random_seed", "to_categorical"]
