"""Symbolic tensors: what `Input(...)` and layers called on them return in the functional API."""


class KerasTensor:
    """A placeholder with a shape (batch axis `None` first) and the layer call that made it."""

    def __init__(self, shape, layer, inbound=(), name=None):
        self.shape = tuple(shape)
        self.dtype = "float32"
        self.name = name or layer.name
        self._layer = layer
        self._inbound = tuple(inbound)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "A symbolic KerasTensor has no values: it only describes a model's structure. "
            "Build a `swiftnet.Model(inputs, outputs)` and call `predict` on data.")
