"""Weight initializers with Keras 3 names, defaults and seeding. Calling one,
`GlorotNormal(seed=1)(shape=(3, 4))`, fills an array in the engine."""

import numpy as np

from . import _dtypes


class Initializer:
    """Base class: a Keras class name and its config."""

    def __init__(self, **config):
        self._config = config

    def __call__(self, shape, dtype=None):
        """The initial values of a weight of `shape` (float32; integer or bool dtypes are cast)."""
        from . import _library
        from . import random as sn_random
        shape = tuple(int(d) for d in shape)
        seed = self._config.get("seed")
        values = _library.initializer_values(self.serialize(), shape, sn_random.next_seed() if seed is None else seed)
        return values.astype(_dtypes.numpy_dtype(dtype)) if dtype is not None and _dtypes.standardize_dtype(dtype) != "float32" else values

    def get_config(self):
        return dict(self._config)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def serialize(self):
        return {"class_name": type(self).__name__, "config": self.get_config()}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._config.items())
        return f"{type(self).__name__}({args})"


def _seeded(name, **defaults):
    """An initializer class taking Keras's arguments, positionally too: the defaults' keys, then `seed`."""
    order = list(defaults) + ["seed"]

    def __init__(self, *args, **kwargs):
        if len(args) > len(order):
            raise TypeError(f"{name} takes at most {len(order)} positional arguments ({', '.join(order)}).")
        config = dict(defaults, seed=None)
        for key, value in zip(order, args):
            kwargs.setdefault(key, value)
        unknown = set(kwargs) - set(config)
        if unknown:
            raise TypeError(f"Unrecognized keyword arguments passed to {name}: {sorted(unknown)}")
        config.update(kwargs)
        Initializer.__init__(self, **config)
    return type(name, (Initializer,), {"__init__": __init__, "__doc__": f"Keras's {name}({', '.join(order)})."})


GlorotUniform = _seeded("GlorotUniform")
GlorotNormal = _seeded("GlorotNormal")
HeNormal = _seeded("HeNormal")
HeUniform = _seeded("HeUniform")
LecunNormal = _seeded("LecunNormal")
LecunUniform = _seeded("LecunUniform")
RandomNormal = _seeded("RandomNormal", mean=0.0, stddev=0.05)
RandomUniform = _seeded("RandomUniform", minval=-0.05, maxval=0.05)
TruncatedNormal = _seeded("TruncatedNormal", mean=0.0, stddev=0.05)
VarianceScaling = _seeded("VarianceScaling", scale=1.0, mode="fan_in", distribution="truncated_normal")
Orthogonal = _seeded("Orthogonal", gain=1.0)


class Zeros(Initializer):
    def __init__(self):
        super().__init__()


class Ones(Initializer):
    def __init__(self):
        super().__init__()


class Constant(Initializer):
    def __init__(self, value=0.0):
        super().__init__(value=float(value))


class Identity(Initializer):
    """`gain` on the diagonal of a 2-D weight."""

    def __init__(self, gain=1.0):
        super().__init__(gain=float(gain))




def get(identifier):
    """An initializer object from a name ("he_normal", "GlorotUniform"), a config dict, or an
    initializer object."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        from ._naming import snake_case
        key = {"uniform": "random_uniform", "normal": "random_normal"}.get(identifier, snake_case(identifier))
        for name, value in list(globals().items()):
            if isinstance(value, type) and issubclass(value, Initializer) and value is not Initializer \
                    and snake_case(name) == key:
                return value()
        raise ValueError(f"Could not interpret initializer identifier: '{identifier}'.")
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = globals().get(identifier["class_name"])
        if not (isinstance(cls, type) and issubclass(cls, Initializer)):
            raise ValueError(f"Unknown initializer class: '{identifier['class_name']}'.")
        return cls(**identifier.get("config", {}))
    if callable(identifier):
        raise TypeError("Custom Python initializer functions are not supported: use a swiftnet.initializers class "
                        "or pass the values with `set_weights`.")
    raise TypeError(f"Could not interpret initializer identifier: {identifier!r}")


def serialize(identifier):
    """The JSON form the engine reads."""
    return get(identifier).serialize()

