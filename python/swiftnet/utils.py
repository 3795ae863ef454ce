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


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pads (or truncates) sequences to one length: a list of `num_samples` sequences → a NumPy
    array of shape `(num_samples, maxlen) + sample_shape`, as `keras.utils.pad_sequences`.

    Args:
        sequences: a list (or anything with a length) of sequences: lists, tuples or arrays, of any
            lengths (empty ones give rows of `value`). Items may themselves be arrays of one shape.
        maxlen: the length of every row; None = the longest sequence.
        dtype: dtype of the result ("int32" by default; `object` for strings of any length).
        padding: "pre" or "post": where `value` is added to shorter sequences.
        truncating: "pre" or "post": where longer sequences lose items (at the start or the end).
        value: the padding value (a number, or a string with a string or object `dtype`).

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    lengths, sample_shape = [], None
    for seq in sequences:
        try:
            lengths.append(len(seq))
            if sample_shape is None and len(seq):
                sample_shape = np.asarray(seq).shape[1:]  # the first non-empty sequence fixes it
        except TypeError as error:
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: {seq}") from error
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = np.max(lengths)  # as Keras: an empty list of sequences raises NumPy's ValueError
    string_dtype = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not string_dtype:
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
                         "You should set `dtype=object` for variable length strings.")
    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for row, seq in enumerate(sequences):
        if not len(seq):
            continue
        # Checked only for non-empty sequences, in this order, as Keras does.
        if truncating == "pre":
            kept = seq[-maxlen:]
        elif truncating == "post":
            kept = seq[:maxlen]
        else:
            raise ValueError(f'Truncating type "{truncating}" not understood')
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"Shape of sample {kept.shape[1:]} of sequence at position {row} is different from "
                             f"expected shape {sample_shape}")
        if padding == "post":
            out[row, :len(kept)] = kept
        elif padding == "pre":
            out[row, -len(kept):] = kept
        else:
            raise ValueError(f'Padding type "{padding}" not understood')
    return out


__all__ = ["pad_sequences", "set_random_seed", "to_categorical"]
