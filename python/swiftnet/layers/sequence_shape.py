"""Layers that reshape sequences [batch, steps, features]: `ZeroPadding1D`, `Cropping1D`,
`UpSampling1D`, `RepeatVector`, `Permute`; and `Masking`, which marks padded steps. Each is a few
`swiftnet.ops`, traced into the model's graph."""

from .. import ops
from .layer import Layer


def _pair(value, name):
    """Keras's standardize_tuple(value, 2, allow_zero=True)."""
    values = (value, value) if isinstance(value, int) and not isinstance(value, bool) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        raise ValueError(f"The `{name}` argument must be a tuple of 2 integers. Received {name}={value}, including "
                         f"a negative value or a non-integer." if len(values) == 2 else
                         f"The `{name}` argument must be a tuple of 2 integers. Received {name}={value}")
    return values


def _positive(value, name):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"Expected an integer value for `{name}`, got {type(value)}.")
    if value <= 0:
        raise ValueError(f"Argument `{name}` should be a positive integer. Received: {name}={value}")
    return value


class _SequenceLayer(Layer):
    _rank = 3

    def build(self, input_shape):
        if len(input_shape) != self._rank:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected "
                             f"ndim={self._rank}, found ndim={len(input_shape)}. Full shape received: "
                             f"{tuple(input_shape)}")
        self.built = True


class ZeroPadding1D(_SequenceLayer):
    """Zeros before and after the steps: `padding` an int or (before, after)."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"ZeroPadding1D: only data_format='channels_last' is supported. Received: {data_format}")
        super().__init__(**kwargs)
        self.padding = _pair(padding, "padding")
        self.data_format = "channels_last"

    def call(self, inputs):
        return ops.pad(inputs, ((0, 0), self.padding, (0, 0)))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class Cropping1D(_SequenceLayer):
    """Drops steps at the start and end: `cropping` an int or (start, end)."""

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pair(cropping, "cropping")

    def call(self, inputs):
        steps = ops.shape(inputs)[1]
        if steps is not None and sum(self.cropping) >= steps:
            raise ValueError(f"`cropping` parameter of `Cropping1D` layer must be smaller than the input length. "
                             f"Received: inputs.shape={tuple(ops.shape(inputs))}, cropping={self.cropping}")
        start, end = self.cropping
        return inputs[:, start:, :] if end == 0 else inputs[:, start:-end, :]

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class UpSampling1D(_SequenceLayer):
    """Repeats each step `size` times."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = _positive(size, "size")

    def call(self, inputs):
        return ops.repeat(inputs, self.size, axis=1)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class RepeatVector(_SequenceLayer):
    """[batch, features] → [batch, n, features]: the vector repeated n times."""

    _rank = 2

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = _positive(n, "n")

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Permute(Layer):
    """Reorders the axes after the batch: `dims` a permutation of 1..rank-1."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` must "
                             f"be consecutive and start from 1. Received dims={dims}")

    def build(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected "
                             f"ndim={len(self.dims) + 1}, found ndim={len(input_shape)}. Full shape received: "
                             f"{tuple(input_shape)}")
        self.built = True

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class Masking(Layer):
    """Marks as padding the steps whose features all equal `mask_value`: they are zeroed, and the
    mask reaches the layers that follow (recurrent layers skip them, pooling leaves them out)."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def call(self, inputs):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return ops.where(keep, inputs, 0.0)

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
