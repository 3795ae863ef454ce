"""Pooling layers over channels-last images."""

from .configured import ConfiguredLayer


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


MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
