"""Activation functions by Keras name: use them as `activation=` of a layer (the engine fuses the
built-in ones into the layer's kernel) or call them on tensors (`activations.relu(x)`). A Python
function of your own written with `swiftnet.ops` works as `activation=` too: it is traced after
the layer."""

NAMES = ("linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu", "leaky_relu",
         "softplus", "swish", "silu", "relu6", "softsign", "hard_sigmoid", "exponential")


class _Activation:
    def __init__(self, name):
        self.__name__ = name
        self.name = name

    def __call__(self, x, *args, **kwargs):
        from . import ops
        if self.name == "linear":
            return x
        if self.name == "gelu":
            return ops.nn.gelu(x, approximate=kwargs.get("approximate", args[0] if args else False))
        if self.name in ("softmax", "log_softmax"):
            return getattr(ops.nn, self.name)(x, axis=kwargs.get("axis", args[0] if args else -1))
        return getattr(ops.nn, self.name)(x)

    def __repr__(self):
        return f"<activation {self.__name__}>"


for _name in NAMES:
    globals()[_name] = _Activation(_name)


def get(identifier):
    """The engine name of a built-in activation given as None, a name or one of this module's
    functions; a function of your own is returned as it is."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in NAMES and identifier != "None":
            raise ValueError(f"Could not interpret activation function identifier: '{identifier}'. Expected one of: "
                             f"{', '.join(NAMES)}, or a function written with swiftnet.ops.")
        return identifier
    if isinstance(identifier, _Activation):
        return identifier.name
    name = getattr(identifier, "__name__", None)
    if callable(identifier) and name in NAMES and getattr(identifier, "__module__", "").startswith(("keras", "swiftnet")):
        return name  # e.g. keras.activations.relu
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation):
    return activation if isinstance(activation, str) or activation is None else getattr(activation, "__name__", "custom")
