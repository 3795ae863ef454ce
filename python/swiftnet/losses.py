"""Losses with Keras 3 names and semantics. A loss is `call(y_true, y_pred)` (per-sample values)
then a reduction ("sum_over_batch_size": the mean, with sample weights applied). The built-in
losses are one fused engine op each; a loss of your own, a function `(y_true, y_pred)` or a
`Loss` subclass written with `swiftnet.ops`, is traced into the training graph."""

from . import ops
from ._naming import snake_case

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None, "auto")


def _fused(kind, y_true, y_pred, from_logits=False):
    from .ops._dispatch import run
    return run("loss", [y_true, y_pred], {"kind": kind, "from_logits": bool(from_logits)})


# -- loss functions (per-sample values) -------------------------------------------------------------

def mean_squared_error(y_true, y_pred):
    """mean((y_pred − y_true)², axis=-1)."""
    return _fused("mean_squared_error", y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_pred − y_true|, axis=-1)."""
    return _fused("mean_absolute_error", y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """mean over the last axis of the element-wise binary cross-entropy."""
    _no_smoothing(label_smoothing)
    return _fused("binary_crossentropy", y_true, y_pred, from_logits)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """−Σ y_true · log(y_pred) over the last axis (probabilities renormalised and clipped)."""
    _no_smoothing(label_smoothing)
    return _fused("categorical_crossentropy", y_true, y_pred, from_logits)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """−log(y_pred[label]) per sample, labels as integers."""
    if ignore_class is not None:
        raise NotImplementedError(f"ignore_class is not supported yet. Received: ignore_class={ignore_class}")
    return _fused("sparse_categorical_crossentropy", y_true, y_pred, from_logits)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


def _no_smoothing(label_smoothing):
    if label_smoothing:
        raise NotImplementedError(f"label_smoothing is not supported yet. Received: label_smoothing={label_smoothing}")


# -- reduction --------------------------------------------------------------------------------------

def _same_rank(values, weights):
    """Keras's squeeze_or_expand_to_same_rank for (values, sample weights)."""
    rank_v, rank_w = len(ops.shape(values)), len(ops.shape(weights))
    if rank_w == rank_v + 1 and ops.shape(weights)[-1] == 1:
        weights = ops.squeeze(weights, axis=-1)
    elif rank_v == rank_w + 1 and ops.shape(values)[-1] == 1:
        values = ops.squeeze(values, axis=-1)
    while len(ops.shape(weights)) < len(ops.shape(values)):
        weights = ops.expand_dims(weights, -1)
    return values, weights


def apply_mask(sample_weight, mask, reduction):
    """Keras's merge of a prediction's mask into the sample weights: masked entries weigh 0, and for
    the mean reductions the others weigh total/valid, so that the mean runs over valid entries."""
    if mask is None:
        return sample_weight
    mask = ops.cast(mask, "float32")
    if reduction in ("mean", "sum_over_batch_size"):
        total = ops.sum(ops.ones_like(mask))
        mask = mask * ops.divide_no_nan(total, ops.sum(mask))
    if sample_weight is None:
        return mask
    mask, weights = _same_rank(mask, ops.cast(sample_weight, "float32"))
    return ops.multiply(weights, mask)


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size", mask=None):
    """Keras's reduction: values × sample weights (and the prediction's mask, see `apply_mask`),
    then their sum, or the sum divided by the number of values (sum_over_batch_size, mean) or by the
    sum of weights (mean_with_sample_weight)."""
    sample_weight = apply_mask(sample_weight, mask, reduction)
    values = ops.cast(values, "float32")
    if sample_weight is not None:
        values, weights = _same_rank(values, ops.cast(sample_weight, "float32"))
        values = ops.multiply(values, weights)
    if reduction in (None, "none") or len(ops.shape(values)) == 0:
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return ops.divide_no_nan(ops.sum(values), ops.sum(ops.multiply(ops.ones_like(values), weights)))
    return ops.mean(values)


# -- Loss objects ------------------------------------------------------------------------------------

class Loss:
    """Base of losses: override `call(y_true, y_pred)` to return per-sample values."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction == "auto":
            reduction = "sum_over_batch_size"
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid value for argument `reduction`. Expected one of {_REDUCTIONS[:5]}. "
                             f"Received: reduction={reduction!r}")
        self.name = name or snake_case(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"Loss {type(self).__name__} does not implement `call(y_true, y_pred)`.")

    def __call__(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        return reduce_weighted_values(self.call(y_true, y_pred), sample_weight, self.reduction, mask=mask)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A loss function `fn(y_true, y_pred, **kwargs)` as a Loss."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name)


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        _no_smoothing(label_smoothing)
        super().__init__(binary_crossentropy, reduction=reduction, name=name, from_logits=bool(from_logits))
        self.from_logits = bool(from_logits)


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        _no_smoothing(label_smoothing)
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, from_logits=bool(from_logits))
        self.from_logits = bool(from_logits)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        if ignore_class is not None:
            raise NotImplementedError(f"ignore_class is not supported yet. Received: ignore_class={ignore_class}")
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name, from_logits=bool(from_logits))
        self.from_logits = bool(from_logits)


_BY_NAME = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}


def get(identifier):
    """A Loss object from a name ("mse", "MeanSquaredError"), a Loss, a Loss class or a function."""
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or next((c for c in _BY_NAME.values() if c.__name__ == identifier), None)
        if cls is None:
            raise ValueError(f"Could not interpret loss identifier: '{identifier}'. Expected one of: "
                             f"{', '.join(sorted(set(_BY_NAME) - {'MSE', 'MAE'}))}, or a function (y_true, y_pred).")
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = globals().get(identifier["class_name"])
        if not (isinstance(cls, type) and issubclass(cls, Loss)):
            raise ValueError(f"Unknown loss class: '{identifier['class_name']}'.")
        return cls(**identifier.get("config", {}))
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise TypeError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss):
    loss = get(loss)
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config):
    return get(config)
