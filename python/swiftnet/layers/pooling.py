"""Pooling layers over channels-last sequences and images."""

from .. import ops
from .configured import ConfiguredLayer
from .convolutional import _one
from .layer import Layer


class _Pooling2D(ConfiguredLayer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        kwargs["data_format"] = data_format
        self._configure(dict(pool_size=pool_size, strides=strides, padding=padding), kwargs)


class MaxPooling2D(_Pooling2D):
    """Max over windows (`pool_size` (2, 2), `strides` = `pool_size`, `padding` "valid")."""


class AveragePooling2D(_Pooling2D):
    """Mean over windows; "same" padding averages only positions inside the image."""


class _GlobalPooling2D(ConfiguredLayer):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        kwargs["data_format"] = data_format
        self._configure(dict(keepdims=keepdims), kwargs)


class GlobalAveragePooling2D(_GlobalPooling2D):
    """Mean over all pixels per channel."""


class GlobalMaxPooling2D(_GlobalPooling2D):
    """Max over all pixels per channel."""


class _Pooling1D(ConfiguredLayer):
    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        kwargs["data_format"] = data_format
        self._configure(dict(pool_size=_one(pool_size, "pool_size"),
                             strides=None if strides is None else _one(strides, "strides"), padding=padding), kwargs)


class MaxPooling1D(_Pooling1D):
    """Max over windows of steps (`pool_size` 2, `strides` = `pool_size`, `padding` "valid")."""


class AveragePooling1D(_Pooling1D):
    """Mean over windows of steps; "same" padding averages only steps inside the sequence."""


class _GlobalPooling1D(Layer):
    supports_masking = True

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is supported. "
                             f"Received: data_format={data_format}")
        super().__init__(**kwargs)
        self.data_format = "channels_last"
        self.keepdims = bool(keepdims)

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected ndim=3, found "
                             f"ndim={len(input_shape)}. Full shape received: {tuple(input_shape)}")
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling1D):
    """Mean over the steps per channel; masked steps (from `Embedding(mask_zero=True)` or
    `Masking`) are left out of the mean, as in Keras."""

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1, keepdims=self.keepdims)
        keep = ops.expand_dims(ops.cast(mask, "bool"), -1)
        total = ops.sum(ops.where(keep, inputs, 0.0), axis=1, keepdims=self.keepdims)
        return total / ops.sum(ops.cast(keep, "float32"), axis=1, keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalPooling1D):
    """Max over the steps per channel."""

    def call(self, inputs):
        return ops.max(inputs, axis=1, keepdims=self.keepdims)


MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
