"""Metrics with Keras 3 names; accumulated in the engine over each epoch."""

from . import _naming


class Metric:
    def __init__(self, name=None, **config):
        self.name = name or _naming.snake_case(type(self).__name__)
        self._config = config

    def get_config(self):
        return {"name": self.name, **self._config}

    def serialize(self):
        return {"class_name": type(self).__name__, "config": {"name": self.name, **self._config}}


class Accuracy(Metric):
    pass


class BinaryAccuracy(Metric):
    def __init__(self, name="binary_accuracy", threshold=0.5):
        super().__init__(name=name, threshold=float(threshold))


class CategoricalAccuracy(Metric):
    def __init__(self, name="categorical_accuracy"):
        super().__init__(name=name)


class SparseCategoricalAccuracy(Metric):
    def __init__(self, name="sparse_categorical_accuracy"):
        super().__init__(name=name)


class MeanSquaredError(Metric):
    def __init__(self, name="mean_squared_error"):
        super().__init__(name=name)


class MeanAbsoluteError(Metric):
    def __init__(self, name="mean_absolute_error"):
        super().__init__(name=name)


def serialize(identifier):
    if isinstance(identifier, Metric):
        if isinstance(identifier, Accuracy):
            raise NotImplementedError("metrics.Accuracy (exact equality) is not supported yet; use 'accuracy'.")
        return identifier.serialize()
    if isinstance(identifier, str):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return serialize(identifier())
    raise TypeError(
        f"Could not interpret metric identifier: {identifier!r}. Expected a name such as 'accuracy' or a "
        f"swiftnet.metrics object (custom Python metrics cannot run in the engine).")
