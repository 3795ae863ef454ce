"""`Reshape`: a new per-sample shape."""

from .layer import Layer


class Reshape(Layer):

    _engine_layer = True

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        self._validate()

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}

    def _engine_config(self):
        return {"target_shape": list(self.target_shape)}
