"""Custom training steps: `fit` on a model whose class overrides `train_step(self, data)`.

The step is traced once into the engine (`traced_step`), so that whole chunks of steps run in
Swift as the built-in step does; with `compile(run_eagerly=True)`, or when the step cannot be
traced, it runs eagerly, once per batch (`EagerStepPass`): its ops, model calls and
`GradientTape` gradients compute in Swift (see `swiftnet.gradient_tape`) and Python runs the
step's own code in between. `fit` keeps its progress bar, callbacks and History: the logs of an
epoch are the dict the last step returned, as in Keras.

Also here: Keras's default `train_step`, `compute_loss` and the `metrics` a custom step updates
(a "loss" tracker, then the compiled metrics)."""

import math
import time

import numpy as np

from .. import _tree, gradient_tape
from .. import metrics as metrics_module
from .. import random as sn_random
from ..keras_tensor import KerasTensor
from . import data as data_module
from . import objective as objective_module
from . import traced_step


def overrides_train_step(model):
    from .model import Model
    return getattr(type(model), "train_step", None) is not Model.train_step


def overrides_test_step(model):
    from .model import Model
    return getattr(type(model), "test_step", None) is not Model.test_step


def overrides_predict_step(model):
    from .model import Model
    return getattr(type(model), "predict_step", None) is not Model.predict_step


def custom_steps(model):
    """Whether `fit` or `evaluate` runs a step of the model's own."""
    return overrides_train_step(model) or overrides_test_step(model)


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Keras's packing of a batch: x alone (as a 1-tuple when x is a tuple or list), (x, y) or
    (x, y, sample_weight)."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) of a batch, None for what it lacks."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, found: {data}")


# -- what a step uses ----------------------------------------------------------------------------------------

def step_metrics(model, y=None, y_pred=None):
    """The metrics of a custom step: a Mean named "loss", then the compiled metrics (resolved for
    the shapes of y and y_pred the first time they are known)."""
    current = getattr(model, "_custom_step_metrics", None)
    if current is None:
        current = [metrics_module.Mean(name="loss")]
        object.__setattr__(model, "_custom_step_metrics", current)
        object.__setattr__(model, "_custom_step_metrics_resolved", False)
    config = model._compile_config
    if not model._custom_step_metrics_resolved and config is not None and y is not None and y_pred is not None:
        y_shape, pred_shape = np.shape(_tree.flatten(y)[0]), np.shape(_tree.flatten(y_pred)[0])
        for identifier in _tree.flatten(config.metrics) + _tree.flatten(config.weighted_metrics):
            if identifier is not None:
                current.append(metrics_module.resolve(identifier, y_shape, pred_shape))
        object.__setattr__(model, "_custom_step_metrics_resolved", True)
    return list(current)


def compute_loss(model, x=None, y=None, y_pred=None, sample_weight=None, training=True):
    """Keras's `Model.compute_loss`: the compiled loss(es) of y and y_pred (weighted by
    `loss_weights`), plus the weights' regularization penalties."""
    config = model._compile_config
    if config is None:
        raise ValueError("You must call `compile()` before calling `compute_loss()`.")
    preds = _tree.flatten(y_pred)
    targets = _tree.flatten(y) if y is not None else [None] * len(preds)
    names = list(model.output_names) or [f"output_{i}" for i in range(len(preds))]
    if len(names) != len(preds):
        names = [f"output_{i}" for i in range(len(preds))]
    loss_ids = config.per_output(config.loss, names, "loss")
    if isinstance(config.loss, (list, tuple)) and len(preds) == 1 and len(config.loss) == 1:
        loss_ids = list(config.loss)
    weights = config.per_output(config.loss_weights, names, "loss_weights") if config.loss_weights is not None \
        else [None] * len(preds)
    total = None
    for loss_id, target, pred, weight in zip(loss_ids, targets, preds, weights):
        if loss_id is None:
            continue
        if target is None:
            raise ValueError("`compute_loss` needs `y` for the compiled loss.")
        loss = objective_module._resolve_loss(loss_id, np.shape(target), np.shape(pred))
        value = loss(target, pred, sample_weight)
        if weight is not None:
            value = value * float(weight)
        total = value if total is None else total + value
    for variable, regularizer in model._regularization_terms():
        penalty = regularizer(variable)
        total = penalty if total is None else total + penalty
    if total is None:
        return np.asarray(0.0, np.float32)
    return total


def default_train_step(model, data):
    """Keras's built-in step, written with the eager tape (what `super().train_step(data)` runs)."""
    x, y, sample_weight = unpack_x_y_sample_weight(data)
    with gradient_tape.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
    variables = model.trainable_weights
    model.optimizer.apply(tape.gradient(loss, variables), variables)
    for metric in model.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
        else:
            metric.update_state(y, y_pred, sample_weight=sample_weight)
    return {m.name: m.result() for m in model.metrics}


def default_test_step(model, data):
    """Keras's built-in evaluation step (what `super().test_step(data)` runs)."""
    x, y, sample_weight = unpack_x_y_sample_weight(data)
    y_pred = model(x, training=False)
    loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
    for metric in model.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
        else:
            metric.update_state(y, y_pred, sample_weight=sample_weight)
    return {m.name: m.result() for m in model.metrics}


# -- fit ------------------------------------------------------------------------------------------------------

def logs_of(model, logs, step="train_step", symbolic=False):
    """The step's logs as a flat dict of floats (or, from a trace, of scalar symbolic tensors)."""
    if not isinstance(logs, dict):
        raise TypeError(f"`{type(model).__name__}.{step}` must return a dict of logs (metric name -> value), as "
                        f"Keras expects. Received: {logs!r} of type {type(logs).__name__}")
    result = {}

    def add(name, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                add(key, inner)
            return
        if symbolic and isinstance(value, KerasTensor):
            if None in value.shape or int(np.prod(value.shape)) != 1:
                raise ValueError(f"The log '{name}' returned by `{step}` has shape {value.shape}; logs are scalars.")
            result[name] = value
            return
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)
        if array.size != 1:
            raise ValueError(f"The log '{name}' returned by `{step}` has shape {array.shape}; logs are scalars.")
        result[name] = float(array.reshape(()))

    for name, value in logs.items():
        add(name, value)
    return result


class EagerStepPass:
    """A training pass that calls the model's `train_step` on each batch of arrays, with the
    interface of the engine passes (`begin_epoch`, `run`, `logs`, `names`, `done`, `steps`)."""

    def __init__(self, model, data, batch_size, shuffle, steps, step="train_step"):
        self.model = model
        self.step = step
        self.data = data
        leaves = _tree.flatten(data)
        self.count = len(leaves[0])
        if self.count == 0:
            raise ValueError("Expected `x` to contain at least one sample.")
        for leaf in leaves:
            if len(leaf) != self.count:
                raise ValueError(f"Data cardinality is ambiguous: all arrays must have the same number of samples. "
                                 f"Received sizes {sorted({len(a) for a in leaves})}.")
        self.batch_size = min(batch_size, self.count)
        total = math.ceil(self.count / self.batch_size)
        self.steps = total if steps is None else min(int(steps), total)
        self.shuffle = shuffle
        self.seed = sn_random.next_seed()
        self.done = 0
        self.names = []
        self._logs = {}
        self._order = None

    def begin_epoch(self, epoch):
        self.done = 0
        self._order = np.random.default_rng([self.seed, epoch]).permutation(self.count) if self.shuffle else None
        for metric in self.model.metrics:
            metric.reset_state()

    def run(self, max_steps, max_seconds):
        start = time.monotonic()
        ran = 0
        while self.done < self.steps and ran < max_steps:
            first = self.done * self.batch_size
            rows = slice(first, min(first + self.batch_size, self.count))
            picked = self._order[rows] if self._order is not None else rows
            batch = _tree.map_structure(lambda a: a[picked], self.data)
            self._logs = logs_of(self.model, getattr(self.model, self.step)(batch), self.step)
            self.names = list(self._logs)
            self.done += 1
            ran += 1
            if time.monotonic() - start >= max_seconds:
                break
        return self.done >= self.steps

    def logs(self):
        return dict(self._logs)

    def close(self):
        pass


def fit(model, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle,
        class_weight, sample_weight, initial_epoch, steps_per_epoch, validation_steps=None,
        validation_batch_size=None, validation_freq=1):
    """`fit` for a model with its own `train_step` (arguments already checked by `Model.fit`)."""
    from ..callbacks import CallbackList
    if class_weight is not None:
        raise NotImplementedError("`class_weight` with a custom `train_step` is not supported: pass `sample_weight`.")
    if x is None:
        raise ValueError("`fit` needs data: pass `x`.")
    if not isinstance(x, (np.ndarray, list, tuple, dict)) and not hasattr(x, "__array__"):
        raise NotImplementedError("With a custom `train_step`, `fit` takes NumPy arrays (or lists or dicts of them).")
    if isinstance(x, tuple) and y is None and len(x) in (2, 3) and not np.isscalar(x[0]):
        x, y, packed_weight = data_module.split_xy(x, y, "fit")
        sample_weight = packed_weight if sample_weight is None else sample_weight

    def as_arrays(value):
        return None if value is None else _tree.map_structure(np.asarray, value)

    x, y, sample_weight = as_arrays(x), as_arrays(y), as_arrays(sample_weight)
    validation = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("Expected `validation_data` to be a tuple (x_val, y_val) or (x_val, y_val, "
                             "val_sample_weight).")
        validation = tuple(as_arrays(v) for v in validation_data)
    elif validation_split:
        if not 0 < validation_split < 1:
            raise ValueError(f"`validation_split` must be between 0 and 1. Received: {validation_split}")
        count = len(_tree.flatten(x)[0])
        split_at = int(math.floor(count * (1.0 - validation_split)))
        if split_at == 0 or split_at == count:
            raise ValueError(f"validation_split={validation_split} leaves no training or no validation samples "
                             f"out of {count}.")
        # Keras: the last fraction of the data, taken before any shuffling.
        head, tail = slice(None, split_at), slice(split_at, None)
        take = (lambda part: lambda v: None if v is None else _tree.map_structure(lambda a: a[part], v))
        validation = (take(tail)(x), take(tail)(y), take(tail)(sample_weight))
        x, y, sample_weight = take(head)(x), take(head)(y), take(head)(sample_weight)
    run = traced_step.make_pass(model, pack_x_y_sample_weight(x, y, sample_weight), batch_size,
                        bool(shuffle) and shuffle != "batch", steps_per_epoch)
    validation_run = None if validation is None else traced_step.make_pass(
        model, pack_x_y_sample_weight(*validation), validation_batch_size or batch_size, False, validation_steps,
        step="test_step")
    callback_list = CallbackList(callbacks, add_history=True, model=model, verbose=verbose, epochs=epochs,
                                 steps=run.steps)
    if callback_list.shows_progress and not verbose:
        verbose = 1
    return model._train(run, validation_run, callback_list, int(epochs), int(initial_epoch), verbose,
                        validation_freq)


def evaluation_pass(model, x, y, sample_weight, batch_size, steps):
    """`evaluate`'s pass for a model with its own `test_step`."""
    if x is None:
        raise ValueError("`evaluate` needs data: pass `x`.")
    if isinstance(x, tuple) and y is None and len(x) in (2, 3) and not np.isscalar(x[0]):
        x, y, packed_weight = data_module.split_xy(x, y, "evaluate")
        sample_weight = packed_weight if sample_weight is None else sample_weight
    as_arrays = (lambda v: None if v is None else _tree.map_structure(np.asarray, v))
    return traced_step.make_pass(model, pack_x_y_sample_weight(as_arrays(x), as_arrays(y), as_arrays(sample_weight)),
                         batch_size, False, steps, step="test_step")


def prediction_pass(model, x, batch_size, steps):
    """`predict`'s pass for a model with its own `predict_step` (traced into the engine)."""
    if x is None:
        raise ValueError("`predict` needs data: pass `x`.")
    if not isinstance(x, (np.ndarray, list, tuple, dict)) and not hasattr(x, "__array__"):
        raise NotImplementedError("With a custom `predict_step`, `predict` takes NumPy arrays (or lists or dicts of them).")
    data = pack_x_y_sample_weight(_tree.map_structure(np.asarray, x))
    if not getattr(model, "_run_eagerly", False):
        try:
            return traced_step.TracedPredictPass(model, data, batch_size, steps)
        except traced_step.Untraceable as why:
            traced_step.warn_eager(model, "predict_step", why)
    return EagerPredictPass(model, data, batch_size, steps)


class EagerPredictPass(EagerStepPass):
    """`predict` calling the model's `predict_step` on each batch of arrays."""

    def __init__(self, model, data, batch_size, steps):
        super().__init__(model, data, batch_size, False, steps, step="predict_step")
        self.structure = None
        self._batches = []

    def begin_epoch(self, epoch):
        self.done = 0
        self._batches = []

    def run(self, max_steps, max_seconds):
        start = time.monotonic()
        ran = 0
        while self.done < self.steps and ran < max_steps:
            rows = slice(self.done * self.batch_size, min((self.done + 1) * self.batch_size, self.count))
            result = self.model.predict_step(_tree.map_structure(lambda a: a[rows], self.data))
            self.structure = result
            self._batches.append([np.asarray(r.numpy() if hasattr(r, "numpy") else r) for r in _tree.flatten(result)])
            self.done += 1
            ran += 1
            if time.monotonic() - start >= max_seconds:
                break
        return self.done >= self.steps

    def batch_outputs(self, first, stop):
        return [np.concatenate(parts) for parts in zip(*self._batches[first:stop])]

    def all_outputs(self):
        return self.batch_outputs(0, len(self._batches))
