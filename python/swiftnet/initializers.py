"""Weight initializers with Keras 3 names, defaults and seeding."""

class Initializer:
    """Base class: a Keras class name and its config."""

    def __init__(self, **config):
        self._config = config

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


class Zeros(Initializer):
    def __init__(self):
        super().__init__()


class Ones(Initializer):
    def __init__(self):
        super().__init__()


class Constant(Initializer):
    def __init__(self, value=0.0):
        super().__init__(value=float(value))


def get(identifier):
    """An initializer from a name ("he_normal"), a config dict, or an initializer object."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        return identifier
    if isinstance(identifier, dict) and "class_name" in identifier:
        return identifier
    raise TypeError(f"Could not interpret initializer identifier: {identifier!r}")


def serialize(identifier):
    """The JSON form the engine reads."""
    identifier = get(identifier)
    if isinstance(identifier, Initializer):
        return identifier.serialize()
    return identifier

