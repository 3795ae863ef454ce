"""Losses with Keras 3 names; computed in the engine (reduction: mean over the batch)."""

from ._naming import snake_case


class Loss:
    def __init__(self, name=None, reduction="sum_over_batch_size", **config):
        if reduction not in ("sum_over_batch_size", "auto"):
            raise NotImplementedError(f"Only reduction='sum_over_batch_size' is supported. Received: reduction={reduction!r}")
        self.name = name or snake_case(type(self).__name__)
        self._config = config

    def get_config(self):
        return {"name": self.name, "reduction": "sum_over_batch_size", **self._config}

    def serialize(self):
        return {"class_name": type(self).__name__, "config": dict(self._config)}

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} runs inside the engine during fit/evaluate; it cannot be called on Python values.")


class MeanSquaredError(Loss):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(name=name, reduction=reduction)


class MeanAbsoluteError(Loss):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(name=name, reduction=reduction)


class _CrossEntropy(Loss):
    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size", name=None, **kwargs):
        if label_smoothing:
            raise NotImplementedError(f"label_smoothing is not supported yet. Received: label_smoothing={label_smoothing}")
        kwargs.pop("axis", None)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {sorted(kwargs)}")
        super().__init__(name=name, reduction=reduction, from_logits=bool(from_logits))


class BinaryCrossentropy(_CrossEntropy):
    pass


class CategoricalCrossentropy(_CrossEntropy):
    pass


class SparseCategoricalCrossentropy(_CrossEntropy):
    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", name=None):
        if ignore_class is not None:
            raise NotImplementedError(f"ignore_class is not supported yet. Received: ignore_class={ignore_class}")
        super().__init__(from_logits=from_logits, reduction=reduction, name=name)


NAMES = ("mean_squared_error", "mse", "mean_absolute_error", "mae", "binary_crossentropy",
         "categorical_crossentropy", "sparse_categorical_crossentropy")

# Function-style names, usable as `loss=swiftnet.losses.mse`.
mean_squared_error = mse = "mean_squared_error"
mean_absolute_error = mae = "mean_absolute_error"
binary_crossentropy = "binary_crossentropy"
categorical_crossentropy = "categorical_crossentropy"
sparse_categorical_crossentropy = "sparse_categorical_crossentropy"


def serialize(identifier):
    """The engine form of a loss given by name, class name or object."""
    if isinstance(identifier, Loss):
        return identifier.serialize()
    if isinstance(identifier, str):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier().serialize()
    raise TypeError(
        f"Could not interpret loss identifier: {identifier!r}. Expected a name such as "
        f"'sparse_categorical_crossentropy' or a swiftnet.losses object (custom Python losses cannot run in the engine).")
