"""Activation functions by Keras name. They run inside the engine: pass them (or their names)
as `activation=` to layers; Python functions of your own cannot run there."""

NAMES = ("linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu", "leaky_relu",
         "softplus", "swish", "silu", "relu6", "softsign", "hard_sigmoid", "exponential")


class _Activation:
    def __init__(self, name):
        self.__name__ = name
        self.name = name

    def __call__(self, *args, **kwargs):
        raise TypeError(
            f"swiftnet.activations.{self.__name__} runs in the engine and cannot be called on Python "
            f"values; use it as `activation=` of a layer.")

    def __repr__(self):
        return f"<activation {self.__name__}>"


for _name in NAMES:
    globals()[_name] = _Activation(_name)


def get(identifier):
    """The engine name of an activation given as None, a name, or one of this module's functions."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return identifier
    if isinstance(identifier, _Activation):
        return identifier.name
    name = getattr(identifier, "__name__", None)
    if callable(identifier) and name in NAMES:
        return name  # e.g. keras.activations.relu
    raise TypeError(
        f"Could not interpret activation function identifier: {identifier!r}. Expected one of the "
        f"names {', '.join(NAMES)} (custom Python functions cannot run inside the Swift engine).")

