"""`Flatten`: one axis per sample."""

from .layer import Layer


class Flatten(Layer):

    _engine_layer = True

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        self._validate()

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}

    def _engine_config(self):
        return {"data_format": self.data_format}
