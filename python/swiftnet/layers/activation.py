"""`Activation`: applies an activation function."""

from .. import activations
from .layer import Layer


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation) or "linear"
        self._validate()

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}

    def _engine_config(self):
        return {"activation": self.activation}
