"""`Activation`: applies an activation function."""

from .. import activations
from .layer import Layer


class Activation(Layer):
    """Applies `activation` (a Keras name, or a function of your own written with swiftnet.ops)."""

    _engine_layer = True
    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation) or "linear"
        if callable(self.activation):
            object.__setattr__(self, "_python_activation", self.activation)
        self._validate()

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}

    def _engine_config(self):
        return {"activation": "linear" if callable(self.activation) else self.activation}
