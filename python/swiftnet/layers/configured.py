"""A base for layers whose constructor arguments are, one for one, the engine's config."""

from .. import activations, initializers
from .layer import Layer

_UNSUPPORTED = ("kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                "bias_constraint", "depthwise_regularizer", "pointwise_regularizer", "depthwise_constraint",
                "pointwise_constraint", "beta_regularizer", "gamma_regularizer", "beta_constraint",
                "gamma_constraint")


class ConfiguredLayer(Layer):
    """Stores Keras arguments, sends them to the engine and validates them there at construction."""

    _engine_layer = True
    _initializer_keys = ()

    def _configure(self, config, kwargs):
        for key in _UNSUPPORTED:
            if kwargs.pop(key, None) is not None:
                raise NotImplementedError(f"{type(self).__name__}: `{key}` is not supported yet.")
        data_format = kwargs.pop("data_format", None)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is supported. "
                             f"Received: data_format={data_format}")
        Layer.__init__(self, **kwargs)
        if "activation" in config:
            config["activation"] = activations.get(config["activation"])
            if callable(config["activation"]):
                object.__setattr__(self, "_python_activation", config["activation"])
        for key in self._initializer_keys:
            config[key] = initializers.get(config[key])
        self._config = config
        for key, value in config.items():
            if not isinstance(getattr(type(self), key, None), property):
                setattr(self, key, value)
        self._validate()

    def get_config(self):
        config = {**super().get_config(), **self._config}
        for key in self._initializer_keys:
            config[key] = initializers.serialize(config[key])
        return config

    def _engine_config(self):
        config = {}
        for key, value in self._config.items():
            if value is None or callable(value) and key == "activation":
                continue
            if key in self._initializer_keys:
                value = initializers.serialize(value)
            config[key] = _jsonable(value)
        return config


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()  # NumPy scalars
    return value
