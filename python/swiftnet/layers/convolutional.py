"""Convolution layers over channels-last images, with Keras 3 arguments and weight layouts."""

from .configured import ConfiguredLayer


class Conv2D(ConfiguredLayer):
    """2-D convolution. Weights: kernel (kh, kw, channels // groups, filters), bias (filters,)."""

    _initializer_keys = ("kernel_initializer", "bias_initializer")

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        kwargs["data_format"] = data_format
        self._configure(dict(filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
                             dilation_rate=dilation_rate, groups=groups, activation=activation, use_bias=use_bias,
                             kernel_initializer=kernel_initializer, bias_initializer=bias_initializer), kwargs)


class Conv2DTranspose(ConfiguredLayer):
    """Transposed 2-D convolution. Weights: kernel (kh, kw, filters, channels), bias (filters,)."""

    _initializer_keys = ("kernel_initializer", "bias_initializer")

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        kwargs["data_format"] = data_format
        self._configure(dict(filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
                             output_padding=output_padding, dilation_rate=dilation_rate, activation=activation,
                             use_bias=use_bias, kernel_initializer=kernel_initializer,
                             bias_initializer=bias_initializer), kwargs)


class DepthwiseConv2D(ConfiguredLayer):
    """Depthwise 2-D convolution. Weights: kernel (kh, kw, channels, depth_multiplier), bias."""

    _initializer_keys = ("depthwise_initializer", "bias_initializer")

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        kwargs["data_format"] = data_format
        self._configure(dict(kernel_size=kernel_size, strides=strides, padding=padding,
                             depth_multiplier=depth_multiplier, dilation_rate=dilation_rate, activation=activation,
                             use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                             bias_initializer=bias_initializer), kwargs)


class SeparableConv2D(ConfiguredLayer):
    """Depthwise then 1x1 convolution. Weights: depthwise_kernel, pointwise_kernel, bias."""

    _initializer_keys = ("depthwise_initializer", "pointwise_initializer", "bias_initializer")

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        kwargs["data_format"] = data_format
        self._configure(dict(filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
                             dilation_rate=dilation_rate, depth_multiplier=depth_multiplier, activation=activation,
                             use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                             pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer), kwargs)


class Conv1D(ConfiguredLayer):
    """1-D convolution over sequences [batch, steps, channels], as `keras.layers.Conv1D`
    (`padding` "valid", "same" or "causal"). Weights: kernel (kernel_size, channels // groups,
    filters), bias (filters,)."""

    _initializer_keys = ("kernel_initializer", "bias_initializer")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 **kwargs):
        kwargs["data_format"] = data_format
        self._configure(dict(filters=filters, kernel_size=_one(kernel_size, "kernel_size"),
                             strides=_one(strides, "strides"), padding=padding,
                             dilation_rate=_one(dilation_rate, "dilation_rate"), groups=groups, activation=activation,
                             use_bias=use_bias, kernel_initializer=kernel_initializer,
                             bias_initializer=bias_initializer), kwargs)


def _one(value, name):
    """A 1-D window argument as Keras stores it: a one-element tuple."""
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise ValueError(f"The `{name}` argument must be a tuple of 1 integers. Received {name}={value}")
        return (value[0],)
    return (value,)
