"""`Dropout`: random zeroing during training only."""

from .layer import Layer


class Dropout(Layer):
    """Sets inputs to 0 with probability `rate` in training and scales the rest by 1/(1 - rate)."""

    _engine_layer = True
    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        if noise_shape is not None:
            raise NotImplementedError(f"Dropout: `noise_shape` is not supported yet. Received: noise_shape={noise_shape}")
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) and not hasattr(rate, "__float__"):
            raise TypeError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate={rate!r}")
        self.rate = float(rate)
        self.seed = seed
        self._validate()

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": None}

    def _engine_config(self):
        return {"rate": self.rate, "seed": self._seed if self.seed is None else int(self.seed)}
