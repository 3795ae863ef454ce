"""Stateful metrics with Keras 3 names and semantics. A metric holds state variables; compiled into
a model, its `update_state` and `result` are traced into the engine, which updates the state
every step and computes the result when logs are read. Used on its own, a metric computes at
once: `m.update_state(y_true, y_pred); m.result()`."""

import numpy as np

from . import losses, ops
from ._naming import snake_case
from .variables import Variable


class Metric:
    """Base of metrics: create state with `add_variable`, write `update_state` and `result` with
    `swiftnet.ops` and `assign`/`assign_add`."""

    def __init__(self, dtype=None, name=None):
        self.name = name or snake_case(type(self).__name__)
        self._variables = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        variable = Variable(initializer=initializer, shape=shape, dtype=dtype or "float32", trainable=False,
                            name=name or f"variable_{len(self._variables)}", path=f"{self.name}/{name}")
        self._variables.append(variable)
        return variable

    add_weight = add_variable

    @property
    def variables(self):
        return list(self._variables)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"Metric {type(self).__name__} does not implement `update_state`.")

    def result(self):
        raise NotImplementedError(f"Metric {type(self).__name__} does not implement `result`.")

    def reset_state(self):
        for v in self._variables:
            v.assign(np.zeros(v.shape, dtype=np.float32 if v.dtype == "float32" else v.dtype))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": "float32"}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _samplewise(values, sample_weight):
    """Keras's reduction of metric values to one per sample (and of weights to match)."""
    values = ops.cast(values, "float32")
    if sample_weight is not None:
        values, weights = losses._same_rank(values, ops.cast(sample_weight, "float32"))
        rank_v, rank_w = len(ops.shape(values)), len(ops.shape(weights))
        if rank_v > rank_w:
            values = ops.mean(values, axis=list(range(rank_w, rank_v)))
        weights = ops.multiply(weights, ops.ones_like(values))
        values = ops.multiply(values, weights)
        if rank_w > 1:
            weights = ops.mean(weights, axis=list(range(1, rank_w)))
        sample_weight = weights
    if len(ops.shape(values)) > 1:
        values = ops.mean(values, axis=list(range(1, len(ops.shape(values)))))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of values."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name)
        self.total = self.add_variable(name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = _samplewise(values, sample_weight)
        self.total.assign_add(ops.sum(values))

    def result(self):
        return ops.add(self.total, 0.0)


class Mean(Metric):
    """The (weighted) mean of values: state `total` and `count`."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def update_state(self, values, sample_weight=None):
        values, weights = _samplewise(values, sample_weight)
        self.total.assign_add(ops.sum(values))
        if weights is not None:
            self.count.assign_add(ops.sum(weights))
        elif len(ops.shape(values)) >= 1:
            self.count.assign_add(ops.sum(ops.ones_like(values, dtype="float32")))
        else:
            self.count.assign_add(1.0)

    def result(self):
        return ops.divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The mean of a function's per-sample values, `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"))
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        # Masked predictions (from Keras masking) count with weight 0, as in Keras.
        sample_weight = losses.apply_mask(sample_weight, getattr(y_pred, "_keras_mask", None), reduction="sum")
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


# -- metric functions ---------------------------------------------------------------------------------

def accuracy(y_true, y_pred):
    """1 where y_pred equals y_true."""
    y_true, y_pred = losses._same_rank(y_true, y_pred)
    return ops.cast(ops.equal(y_true, y_pred), "float32")


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true, y_pred = losses._same_rank(y_true, y_pred)
    predicted = ops.cast(ops.greater(y_pred, threshold), "float32")
    return ops.cast(ops.equal(ops.cast(y_true, "float32"), predicted), "float32")


def categorical_accuracy(y_true, y_pred):
    return ops.cast(ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1)), "float32")


def sparse_categorical_accuracy(y_true, y_pred):
    if len(ops.shape(y_true)) == len(ops.shape(y_pred)) and ops.shape(y_true)[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    # Compared as integers: labels above 2**24 have no exact float32.
    predicted = ops.argmax(y_pred, axis=-1)
    return ops.cast(ops.equal(ops.cast(y_true, "int64"), ops.cast(predicted, "int64")), "float32")


def mean_squared_error(y_true, y_pred):
    return losses.mean_squared_error(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    return losses.mean_absolute_error(y_true, y_pred)


mse = mean_squared_error
mae = mean_absolute_error


# -- metric classes -------------------------------------------------------------------------------------

class Accuracy(MeanMetricWrapper):
    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, threshold=float(threshold))


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name)


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name)


_BY_NAME = {
    "accuracy": Accuracy, "acc": Accuracy, "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy, "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError, "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
}


def get(identifier):
    """A Metric object from a name, a Metric, a Metric class or a function (y_true, y_pred)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or next((c for c in _BY_NAME.values() if c.__name__ == identifier), None)
        if cls is None:
            raise ValueError(f"Could not interpret metric identifier: '{identifier}'. Expected one of: "
                             f"{', '.join(sorted(_BY_NAME))}, a swiftnet.metrics object or a function (y_true, y_pred).")
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = globals().get(identifier["class_name"])
        if not (isinstance(cls, type) and issubclass(cls, Metric)):
            raise ValueError(f"Unknown metric class: '{identifier['class_name']}'.")
        return cls(**identifier.get("config", {}))
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"Could not interpret metric identifier: {identifier!r}")


def resolve(identifier, y_true_shape, y_pred_shape):
    """Keras's `get_metric`: "accuracy"/"acc" becomes binary, sparse or categorical accuracy from the
    shapes; a metric given by name keeps that name."""
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        binary = y_pred_shape[-1] == 1 if y_pred_shape else True
        sparse = len(y_true_shape) < len(y_pred_shape) or (y_true_shape and y_true_shape[-1] == 1 and (y_pred_shape[-1] or 2) > 1)
        cls = BinaryAccuracy if binary else (SparseCategoricalAccuracy if sparse else CategoricalAccuracy)
        return cls(name=identifier)
    metric = get(identifier)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric
