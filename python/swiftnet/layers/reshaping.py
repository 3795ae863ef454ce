"""Layers that change image sizes."""

from .configured import ConfiguredLayer


class ZeroPadding2D(ConfiguredLayer):
    """Zeros around each image: `padding` an int, (rows, cols) or ((top, bottom), (left, right))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        kwargs["data_format"] = data_format
        self._configure(dict(padding=padding), kwargs)


class UpSampling2D(ConfiguredLayer):
    """Repeats rows and columns (`interpolation` "nearest") or resizes bilinearly."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        kwargs["data_format"] = data_format
        self._configure(dict(size=size, interpolation=interpolation), kwargs)
