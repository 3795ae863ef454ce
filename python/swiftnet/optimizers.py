"""Optimizers with Keras 3 names and defaults; the update rules run in the engine."""

from ._arrays import FLOAT32_MAX


class Optimizer:
    """Holds the config; once compiled into a model, `learning_rate` reads and writes the engine."""

    _defaults = {}

    def __init__(self, learning_rate=None, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        unknown = set(kwargs) - set(self._defaults)
        if unknown:
            raise TypeError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {sorted(unknown)}")
        if callable(learning_rate):
            raise NotImplementedError(
                "Learning-rate schedule objects are not supported yet; use "
                "`swiftnet.callbacks.LearningRateScheduler` or set `optimizer.learning_rate` between epochs.")
        config = dict(self._defaults)
        config.update(kwargs)
        config["learning_rate"] = float(self._default_learning_rate if learning_rate is None else learning_rate)
        for key, value in [("weight_decay", weight_decay), ("clipnorm", clipnorm), ("clipvalue", clipvalue),
                           ("global_clipnorm", global_clipnorm)]:
            if value is not None:
                config[key] = float(value)
        self._config = config
        self.name = name or type(self).__name__.lower()
        self._engine_owner = None  # the Model this optimizer is compiled into

    def get_config(self):
        return {"name": self.name, **self._config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def serialize(self):
        return {"class_name": type(self).__name__, "config": dict(self._config)}

    @property
    def learning_rate(self):
        # The config follows every change (the setter writes both), so a model rebuilt after
        # compile is recompiled with the current rate.
        return _LearningRate(self._config["learning_rate"], self)

    @learning_rate.setter
    def learning_rate(self, value):
        value = float(value)
        if not 0 <= value <= FLOAT32_MAX:
            raise ValueError("Expected a finite, non-negative learning rate within the float32 range. "
                             f"Received: learning_rate={value}")
        if self._engine_owner is not None and self._engine_owner._engine is not None:
            self._engine_owner._engine.set_learning_rate(value)
        self._config["learning_rate"] = value

    @property
    def iterations(self):
        owner = self._engine_owner
        if owner is None or owner._engine is None:
            return 0
        return int(owner._engine.describe().get("optimizer", {}).get("iterations", 0))

    def __repr__(self):
        return f"<{type(self).__name__} learning_rate={float(self.learning_rate):g}>"


class _LearningRate(float):
    """A float that also supports Keras's `optimizer.learning_rate.assign(value)`."""

    def __new__(cls, value, optimizer):
        instance = super().__new__(cls, value)
        instance._optimizer = optimizer
        return instance

    def assign(self, value):
        self._optimizer.learning_rate = value

    def numpy(self):
        return float(self)


class SGD(Optimizer):
    """learning_rate=0.01, momentum=0.0, nesterov=False."""
    _default_learning_rate = 0.01
    _defaults = {"momentum": 0.0, "nesterov": False}

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, momentum=float(momentum), nesterov=bool(nesterov), **kwargs)


class Adam(Optimizer):
    """learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False."""
    _default_learning_rate = 0.001
    _defaults = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=float(beta_1), beta_2=float(beta_2),
                         epsilon=float(epsilon), amsgrad=bool(amsgrad), **kwargs)


class RMSprop(Optimizer):
    """learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False."""
    _default_learning_rate = 0.001
    _defaults = {"rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False}

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate=learning_rate, rho=float(rho), momentum=float(momentum),
                         epsilon=float(epsilon), centered=bool(centered), **kwargs)


class Adagrad(Optimizer):
    """learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7."""
    _default_learning_rate = 0.001
    _defaults = {"initial_accumulator_value": 0.1, "epsilon": 1e-7}

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, initial_accumulator_value=float(initial_accumulator_value),
                         epsilon=float(epsilon), **kwargs)


_BY_NAME = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(identifier):
    """An optimizer object from a name ("adam") or an optimizer object."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Could not interpret optimizer identifier: '{identifier}'. "
                             f"Expected one of: {', '.join(_BY_NAME)}.")
        return cls()
    if isinstance(identifier, dict) and identifier.get("class_name", "").lower() in _BY_NAME:
        return _BY_NAME[identifier["class_name"].lower()](**identifier.get("config", {}))
    raise TypeError(f"Could not interpret optimizer identifier: {identifier!r}")
