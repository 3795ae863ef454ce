"""What every model shares: building the engine model from the traced graph, compile, fit,
evaluate, predict, weights and summary. Every step of the work runs in the engine; Python runs the
epoch loop, callbacks and the progress bar between chunks of steps.

`Model(inputs=…, outputs=…)` is a functional model; subclass `Model` and write `call` (your layers
created in `__init__`) for a subclassed one, traced into the engine on its first data."""

import math

import numpy as np

from .. import _library, _naming, _tree, constraints, distribution, optimizers
from .. import random as sn_random
from ..callbacks import CallbackList
from ..keras_tensor import KerasTensor
from ..layers import weight_options
from ..layers.layer import Layer, Tensor
from ..progbar import Progbar
from ..summary import print_summary
from . import data as data_module
from . import data_sources, passes
from . import engine as engine_module
from . import objective as objective_module
from . import train_step as train_step_module

# How long one engine call may run before Python regains control (progress, Ctrl-C).
CHUNK_SECONDS = 0.05
# Steps between reads of the logs in data-parallel runs (every process must read at the same step).
LOCKSTEP_CHUNK_STEPS = 32
# Counts (epochs, batch sizes) travel as signed 64-bit integers.
_MAX_COUNT = 2**62


_functional_subclasses = {}


def _functional_subclass(cls):
    """`cls` (a Model subclass) mixed with `Functional`, made once per class."""
    from .functional import Functional
    mixed = _functional_subclasses.get(cls)
    if mixed is None:
        mixed = type(cls.__name__, (cls, Functional), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
        _functional_subclasses[cls] = mixed
    return mixed


def _check_count(name, value, minimum):
    """Rejects non-integers, values below `minimum` and values beyond what the engine counts."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not minimum <= value <= _MAX_COUNT:
        kind = "a non-negative" if minimum == 0 else "a positive"
        raise ValueError(f"Expected `{name}` to be {kind} integer no larger than 2**62. Received: {name}={value!r}")


class Model(Layer):
    """A model: `Model(inputs=…, outputs=…)` (functional), `Sequential([...])`, or your subclass with
    a `call`."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and ("inputs" in kwargs or "outputs" in kwargs or len(args) >= 2):
            from .functional import Functional
            return Layer.__new__(Functional)
        return Layer.__new__(cls)

    def __init__(self, *args, name=None, trainable=True, dtype=None, **kwargs):
        from .functional import Functional
        if (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs) or ("inputs" in kwargs and "outputs" in kwargs)) \
                and not isinstance(self, Functional):
            # A subclass that passes inputs and outputs on (`CustomModel(inputs, outputs)`, as in
            # Keras's guides): as in Keras, it becomes a functional model with the subclass's methods.
            object.__setattr__(self, "__class__", _functional_subclass(type(self)))
            Functional.__init__(self, *args, name=name, trainable=trainable, **kwargs)
            return
        if args or kwargs:
            raise TypeError(f"Unrecognized arguments passed to {type(self).__name__}: {args or ''} {kwargs or ''}")
        Layer.__init__(self, name=name or _naming.unique_name(_naming.snake_case(type(self).__name__)),
                       trainable=trainable, dtype=dtype)
        self._init_model_state()

    def _init_model_state(self):
        object.__setattr__(self, "_engine", None)
        object.__setattr__(self, "_tables", None)
        object.__setattr__(self, "_engine_io", None)       # (inputs, outputs, output names, structures)
        object.__setattr__(self, "_built_trainable", None)
        object.__setattr__(self, "_compile_config", None)
        object.__setattr__(self, "optimizer", None)
        object.__setattr__(self, "loss", None)
        object.__setattr__(self, "stop_training", False)
        object.__setattr__(self, "history", None)

    # -- the graph ----------------------------------------------------------------------------------------

    def _graph_io(self, data=None):
        """(input tensors, output tensors) structures of the model's graph, or None when data must
        decide the input specs (`data`: the first input arrays)."""
        if data is None:
            return None
        inputs = _tree.map_structure(lambda a: _input_for(a), data)
        outputs = self(inputs)
        return inputs, outputs

    @property
    def built(self):
        return self._engine is not None or getattr(self, "_built_flag", False)

    @built.setter
    def built(self, value):
        object.__setattr__(self, "_built_flag", bool(value))

    def build(self, input_shape=None):
        """Builds the model for inputs of `input_shape` (batch axis first)."""
        if input_shape is None:
            io = self._graph_io()
            if io is None:
                raise ValueError(f"Model '{self.name}' needs an input shape to be built.")
        else:
            io = self._graph_io(_sample_arrays(input_shape))
        self._build_engine(io)

    def _maybe_build(self, inputs):
        # A model builds its engine from its graph; a subclass's own `build` (weights of its own) runs.
        if type(self).build is not Model.build and not getattr(self, "_built_flag", False):
            from .. import _tree as tree
            self.build(tree.map_structure(lambda t: tuple(t.shape), inputs))
        object.__setattr__(self, "_built_flag", True)

    def _build_engine(self, io):
        inputs, outputs = io
        flat_inputs, flat_outputs = _tree.flatten(inputs), _tree.flatten(outputs)
        for t in flat_inputs + flat_outputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model '{self.name}': inputs and outputs must be symbolic tensors. Received: {t!r}")
        names = _unique([_output_name(t) for t in flat_outputs])
        # Outputs that carry a Keras mask also output it, after the model's own outputs: the loss
        # and the metrics weigh masked entries 0, as in Keras.
        masks = [getattr(t, "_keras_mask", None) for t in flat_outputs]
        mask_outputs = [m for m in masks if m is not None]
        mask_names = _unique(names + [f"{n}_mask" for n, m in zip(names, masks) if m is not None])[len(names):]
        # Activity-regularization penalties of the graph's layers are outputs too (after the masks),
        # spread over the batch so that they have a batch axis; the loss sums them.
        activity = _activity_penalties(self, flat_inputs)
        activity_names = _unique(names + mask_names + [f"{layer.name}_activity_loss" for layer, _ in activity])
        activity_names = activity_names[len(names) + len(mask_names):]
        object.__setattr__(self, "_activity_output_indices", list(range(len(flat_outputs) + len(mask_outputs),
                                                                        len(flat_outputs) + len(mask_outputs)
                                                                        + len(activity))))
        engine, tables = engine_module.build(self.name, flat_inputs,
                                             flat_outputs + mask_outputs + [p for _, p in activity],
                                             names + mask_names + activity_names)
        positions, next_index = [], len(flat_outputs)
        for m in masks:
            positions.append(None if m is None else next_index)
            next_index += m is not None
        object.__setattr__(self, "_output_mask_indices", positions)
        object.__setattr__(self, "_engine", engine)
        object.__setattr__(self, "_tables", tables)
        object.__setattr__(self, "_engine_io", (inputs, outputs, names))
        object.__setattr__(self, "_built_trainable", engine_module.trainable_state(tables))
        self._compile_engine()

    def _ensure_engine(self, x=None):
        """The engine model, built (from `x` when data decides the input specs) or rebuilt after
        trainable flags changed."""
        if self._engine is None:
            io = self._graph_io()
            if io is None:
                if x is None:
                    raise ValueError(f"Model '{self.name}' is not built yet: call it on data, or give its input shape.")
                io = self._graph_io(_tree.map_structure(np.asarray, x) if not isinstance(x, np.ndarray) else x)
            self._build_engine(io)
        elif self._built_trainable != engine_module.trainable_state(self._tables):
            self._build_engine(self._engine_io[:2])
        return self._engine

    def _description(self):
        return self._engine.describe_cached()

    @property
    def inputs(self):
        return _tree.flatten(self._engine_io[0]) if self._engine_io else None

    @property
    def outputs(self):
        return _tree.flatten(self._engine_io[1]) if self._engine_io else None

    @property
    def output_names(self):
        return list(self._engine_io[2]) if self._engine_io else []

    # -- compile ------------------------------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Sets the optimizer, losses and metrics (Keras names, objects, or functions of your own)."""
        optimizer = optimizers.get(optimizer)
        config = objective_module.CompileConfig(loss, loss_weights, metrics, weighted_metrics)
        previous = (self._compile_config, self.optimizer, self.loss)
        object.__setattr__(self, "_compile_config", config)
        object.__setattr__(self, "optimizer", optimizer)
        object.__setattr__(self, "loss", loss)
        # Keras's switch for custom steps: run `train_step` batch by batch in Python, untraced.
        object.__setattr__(self, "_run_eagerly", bool(run_eagerly))
        try:
            if self._engine is not None and self._built_trainable != engine_module.trainable_state(self._tables):
                self._build_engine(self._engine_io[:2])
            elif self._engine is not None:
                self._compile_engine()
            else:
                _check_optimizer(optimizer)
        except Exception:
            object.__setattr__(self, "_compile_config", previous[0])
            object.__setattr__(self, "optimizer", previous[1])
            object.__setattr__(self, "loss", previous[2])
            raise
        optimizer._engine_owner = self

    def _compile_engine(self):
        if self.optimizer is not None and self._engine is not None:
            self._engine.compile({"optimizer": self.optimizer.serialize(), "constraints": self._constraint_specs()})

    def _constraint_specs(self):
        """The weight constraints for the engine: `{"layer": L, "weight": W, "constraint":
        {"class_name", "config"}}` or `{"variable": V, "constraint": …}`."""
        specs = []
        tables = self._tables
        for layer, variable in _layer_weights(self):
            constraint = weight_options.constraint_of(layer, variable)
            if constraint is None:
                continue
            spec = constraints.engine_spec(constraint)
            if spec is None:
                continue
            if getattr(variable, "_layer", None) is not None:
                index = tables._layer_index.get(id(variable._layer))
                if index is not None:
                    specs.append({"layer": index, "weight": variable._index, "constraint": spec})
            elif id(variable) in tables._variable_index:
                specs.append({"variable": tables._variable_index[id(variable)], "constraint": spec})
        return specs

    def _regularization_terms(self):
        """(weight, regularizer) for every trainable weight with a regularizer, as Keras sums them
        into the loss."""
        terms = []
        for layer, variable in _layer_weights(self):
            regularizer = weight_options.regularizer_of(layer, variable)
            if regularizer is not None and variable.trainable and _trainable_path(self, layer):
                terms.append((variable, regularizer))
        return terms

    @property
    def compiled(self):
        return self._compile_config is not None

    @property
    def metrics(self):
        if train_step_module.custom_steps(self):
            # A custom step updates these itself: a "loss" tracker, then the compiled metrics.
            return train_step_module.step_metrics(self)
        config = self._compile_config
        return list(config.compiled_metrics) if config else []

    def train_step(self, data):
        """One training step on a batch `data` ((x, y, sample_weight) as packed by `fit`); override
        it to customise `fit` (see `swiftnet.GradientTape`). Returns the logs."""
        return train_step_module.default_train_step(self, data)

    def test_step(self, data):
        """One evaluation step on a batch (what `evaluate` and `fit`'s validation run for a model
        with a custom step); override it to customise `evaluate`. Returns the logs."""
        return train_step_module.default_test_step(self, data)

    def predict_step(self, data):
        """One prediction step on a batch (what `predict` runs); override it to customise `predict`.
        Returns the predictions."""
        x, _, _ = train_step_module.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of `y` and `y_pred` plus the weights' regularization penalties."""
        train_step_module.step_metrics(self, y, y_pred)
        return train_step_module.compute_loss(self, x, y, y_pred, sample_weight, training)

    @property
    def metrics_names(self):
        return getattr(self, "_last_log_names", ["loss"])

    def _require_compiled(self):
        if not self.compiled:
            raise _library.StateError("You must call `compile()` before using the model.")

    # -- data -----------------------------------------------------------------------------------------------

    @staticmethod
    def _batch_size(batch_size, default=32):
        if batch_size is None:
            return default
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"Expected `batch_size` to be a positive integer. Received: batch_size={batch_size!r}")
        # A batch larger than the data is the whole data (the engine clamps); no tensor holds more
        # than 2**30 values, so larger batches can never be formed anyway.
        return min(int(batch_size), 2**31)

    def _input_specs(self):
        return [(spec["name"], spec["dtype"]) for spec in self._description()["inputs"]]

    def _output_specs(self):
        return [(tuple(spec["shape"]), spec["dtype"]) for spec in self._description()["outputs"]]

    def _arrays(self, x, y=None, sample_weight=None, what="fit"):
        """(named arrays, target specs, sample-weight specs) for x (and y), building the model from
        x when it has no input shape yet."""
        if x is None:
            raise ValueError(f"`{what}` needs data: pass `x`.")
        self._ensure_engine(_first_arrays(x))
        x = _expand_flat_inputs(x, self._description()["inputs"])
        arrays = data_module.inputs(self._input_specs(), x)
        target_specs = weight_specs = []
        if y is not None:
            y_arrays, target_specs, weight_specs = data_module.targets(self.output_names, y, sample_weight)
            arrays.update(y_arrays)
        data_module.sample_count(arrays)
        data_module.check_sample_weights(arrays)
        if any(a.shape[0] == 0 for a in arrays.values()):
            raise ValueError(f"Expected `x` to contain at least one sample. Received: shape={arrays['x0'].shape}")
        return arrays, target_specs, weight_specs

    def _objective(self, target_specs, weight_specs):
        return objective_module.build(self._compile_config, self._tables, self._output_specs(), self.output_names,
                                      target_specs, weight_specs, self._output_mask_indices,
                                      regularization=self._regularization_terms(),
                                      activity_outputs=self._activity_output_indices)

    # -- training -------------------------------------------------------------------------------------------

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Trains for `epochs` epochs; returns a `History`. Runs entirely in the engine, in chunks of
        batches (batch by batch when a callback has batch hooks); Ctrl-C stops after the current
        chunk and leaves the model usable. `x` may be arrays, a pandas frame, a generator or any
        iterable of batches, a `PyDataset`, a PyTorch `DataLoader` or a `tf.data.Dataset`."""
        self._require_compiled()
        batch_size = self._batch_size(batch_size)
        _check_count("epochs", epochs, minimum=0)
        _check_count("initial_epoch", initial_epoch, minimum=0)
        _check_count("validation_freq", validation_freq, minimum=1)
        for name, value in (("steps_per_epoch", steps_per_epoch), ("validation_steps", validation_steps)):
            if value is not None:
                _check_count(name, value, minimum=1)
        verbose = 0 if distribution.active() and not distribution.is_primary() else (1 if verbose == "auto" else int(verbose))
        if train_step_module.overrides_train_step(self):
            return train_step_module.fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split,
                                         validation_data, shuffle, class_weight, sample_weight, initial_epoch,
                                         steps_per_epoch, validation_steps,
                                         validation_batch_size and self._batch_size(validation_batch_size),
                                         validation_freq)
        if data_sources.is_stream(x):
            for name, value in (("y", y), ("sample_weight", sample_weight)):
                if value is not None:
                    raise ValueError(f"`{name}` argument is not supported when using a dataset or generator as input: "
                                     "its batches carry the targets and weights.")
            if validation_split:
                raise ValueError("`validation_split` is only supported for Tensors or NumPy arrays. Pass "
                                 "`validation_data` for a dataset or generator.")
            train = self._stream_pass(x, steps_per_epoch, _library.MODE_TRAIN, class_weight, "fit")
            validation_arrays = None
        else:
            x, y, packed_weight = data_module.split_xy(x, y, "fit")
            if sample_weight is None:
                sample_weight = packed_weight
            if class_weight is not None:
                if sample_weight is not None:
                    raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
                sample_weight = data_module.class_weight_to_sample_weights(y, class_weight)
            arrays, target_specs, weight_specs = self._arrays(x, y, sample_weight)
            count = data_module.sample_count(arrays)
            validation_arrays = None
            if validation_split and validation_data is None:
                if not 0 < validation_split < 1:
                    raise ValueError(f"`validation_split` must be between 0 and 1. Received: {validation_split}")
                # Keras: the last fraction of the data, taken before any shuffling.
                split_at = int(math.floor(count * (1.0 - validation_split)))
                if split_at == 0 or split_at == count:
                    raise ValueError(f"validation_split={validation_split} leaves no training or no validation "
                                     f"samples out of {count}.")
                validation_arrays = (data_module.take(arrays, slice(split_at, None)), target_specs, weight_specs)
                arrays = data_module.take(arrays, slice(None, split_at))
            session = _library.NativeSession(self._engine, _library.MODE_TRAIN, arrays,
                                             self._objective(target_specs, weight_specs), batch_size=batch_size,
                                             shuffle=bool(shuffle) and shuffle != "batch", seed=sn_random.next_seed(),
                                             distributed=distribution.active())
            train = passes.ArrayPass(session, steps_per_epoch)
        validation = None
        try:
            if validation_data is not None:
                validation = self._validation_pass(validation_data, validation_steps,
                                                   self._batch_size(validation_batch_size, batch_size))
            elif validation_arrays is not None:
                arrays, target_specs, weight_specs = validation_arrays
                validation = passes.ArrayPass(_library.NativeSession(
                    self._engine, _library.MODE_EVALUATE, arrays, self._objective(target_specs, weight_specs),
                    batch_size=self._batch_size(validation_batch_size, batch_size), distributed=distribution.active()),
                    validation_steps)
            callback_list = CallbackList(callbacks, add_history=True, model=self,
                                         verbose=verbose, epochs=epochs, steps=train.steps)
            if callback_list.shows_progress and not verbose:
                verbose = 1
            return self._train(train, validation, callback_list, int(epochs), int(initial_epoch), verbose,
                               validation_freq)
        finally:
            train.close()
            if validation is not None:
                validation.close()

    def _train(self, train, validation, callbacks, epochs, initial_epoch, verbose, validation_freq):
        self.stop_training = False
        object.__setattr__(self, "_initial_epoch", None)
        callbacks.on_train_begin()
        # A callback (BackupAndRestore) may resume from a later epoch.
        initial_epoch = self._initial_epoch or initial_epoch
        training_logs = None
        for epoch in range(initial_epoch, epochs):
            callbacks.on_epoch_begin(epoch)
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            logs, progbar = self._run_pass(train, epoch, verbose, callbacks, "train",
                                           finalize=validation is None)
            if validation is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_pass(validation, callbacks)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
                progbar.update(train.done, logs, finalize=True)
            elif validation is not None:
                progbar.update(train.done, logs, finalize=True)
            callbacks.on_epoch_end(epoch, logs)
            training_logs = logs
            if self.stop_training or getattr(train, "source", None) is not None and train.source.exhausted:
                break
        callbacks.on_train_end(training_logs)
        return callbacks.history

    def _run_pass(self, run, epoch, verbose, callbacks, mode, finalize=True):
        """Runs one pass in chunks (batch by batch when a callback has batch hooks for `mode`),
        updating a progress bar; returns its logs sorted by name, as Keras reports them, and the
        bar (to be finalised by the caller if not done)."""
        per_batch = callbacks is not None and callbacks.per_batch(mode)
        # Processes of a distributed job meet in every step's all-reduce and every read of the logs,
        # so they run fixed numbers of steps between reads (not time slices), and only rank 0 prints.
        lockstep = distribution.active() and mode != "predict"
        if lockstep and not distribution.is_primary():
            verbose = 0
        if isinstance(run, passes.StreamPass):
            run.max_chunk_batches = 1 if per_batch else passes.STREAM_CHUNK_BATCHES
        run.begin_epoch(epoch)
        progbar = Progbar(run.steps, verbose=verbose)
        begin = getattr(callbacks, f"on_{mode}_batch_begin", None)
        end = getattr(callbacks, f"on_{mode}_batch_end", None)
        finished = False
        logs = {}
        try:
            while not finished:
                before = run.done
                if per_batch:
                    begin(before, {})
                finished = run.run(max_steps=1 if per_batch else (LOCKSTEP_CHUNK_STEPS if lockstep else 1 << 62),
                                   max_seconds=0.0 if lockstep else CHUNK_SECONDS)
                if mode != "predict":
                    logs = dict(sorted(run.logs().items()))
                    object.__setattr__(self, "_last_log_names", list(run.names))
                if run.done > before or not finished or finalize:
                    progbar.update(run.done, logs, finalize=finished and finalize)
                if per_batch and run.done > before:
                    end(run.done - 1, {"outputs": run.batch_outputs(before, run.done)} if mode == "predict" else logs)
                if mode == "train" and self.stop_training:
                    break
        except KeyboardInterrupt:
            progbar.interrupt()
            raise
        if mode != "predict":
            logs = dict(sorted(run.logs().items()))
        return logs, progbar

    def _evaluate_pass(self, run, callbacks, verbose=0):
        callbacks.on_test_begin()
        logs, _ = self._run_pass(run, 0, verbose, callbacks, "test")
        callbacks.on_test_end(logs)
        return logs

    def _validation_pass(self, validation_data, steps, batch_size):
        if data_sources.is_stream(validation_data):
            return self._stream_pass(validation_data, steps, _library.MODE_EVALUATE, None, "validation_data")
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("Expected `validation_data` to be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight). "
                             f"Received: {type(validation_data).__name__} of length "
                             f"{len(validation_data) if hasattr(validation_data, '__len__') else '?'}")
        arrays, targets, weights = self._arrays(validation_data[0], validation_data[1],
                                                validation_data[2] if len(validation_data) == 3 else None,
                                                "validation_data")
        return passes.ArrayPass(_library.NativeSession(self._engine, _library.MODE_EVALUATE, arrays,
                                                       self._objective(targets, weights), batch_size=batch_size,
                                                       distributed=distribution.active()), steps)

    def _stream_pass(self, source, steps, mode, class_weight, what):
        """A pass over batches from a generator, iterable or PyDataset."""
        if distribution.active() and mode != _library.MODE_PREDICT:
            raise NotImplementedError("Data-parallel training reads arrays (every process holds them and takes its "
                                      "share of each batch); generators and datasets are not supported yet.")
        def prepare(x, y, sample_weight, mode):
            if mode == _library.MODE_PREDICT:
                arrays, _, _ = self._arrays(x, what="predict")
                return arrays, None
            if y is None:
                raise ValueError(f"`{what}`: a batch has no targets. Yield (x, y) or (x, y, sample_weight) batches.")
            arrays, targets, weights = self._arrays(x, y, sample_weight, what)
            return arrays, (targets, weights)

        def make_session(arrays, specs, rows):
            objective = None if specs is None else self._objective(*specs)
            return _library.NativeSession(self._engine, mode, arrays, objective, batch_size=rows)

        return passes.StreamPass(data_sources.BatchSource(source, steps, what), prepare, make_session, mode,
                                 class_weight)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss and metrics on the data: a float (loss only), `[loss, *metrics]`, or a dict."""
        self._require_compiled()
        if steps is not None:
            _check_count("steps", steps, minimum=1)
        verbose = 0 if distribution.active() and not distribution.is_primary() else (1 if verbose == "auto" else int(verbose))
        if train_step_module.overrides_test_step(self):
            run = train_step_module.evaluation_pass(self, x, y, sample_weight, self._batch_size(batch_size), steps)
        elif data_sources.is_stream(x):
            if y is not None or sample_weight is not None:
                raise ValueError("`y` and `sample_weight` arguments are not supported when using a dataset or "
                                 "generator as input: its batches carry them.")
            run = self._stream_pass(x, steps, _library.MODE_EVALUATE, None, "evaluate")
        else:
            x, y, packed_weight = data_module.split_xy(x, y, "evaluate")
            arrays, target_specs, weight_specs = self._arrays(
                x, y, sample_weight if sample_weight is not None else packed_weight, "evaluate")
            run = passes.ArrayPass(_library.NativeSession(self._engine, _library.MODE_EVALUATE, arrays,
                                                          self._objective(target_specs, weight_specs),
                                                          batch_size=self._batch_size(batch_size),
                                                          distributed=distribution.active()), steps)
        try:
            callback_list = CallbackList(callbacks, model=self, verbose=verbose, epochs=1, steps=run.steps)
            callback_list.on_test_begin()
            logs, _ = self._run_pass(run, 0, verbose, callback_list, "test")
            ordered = run.logs()  # loss first, then metrics in compile order
            callback_list.on_test_end(logs)
        finally:
            run.close()
        if return_dict:
            return dict(ordered)  # "loss" first, then the metrics, as Keras
        values = list(ordered.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for `x`: arrays with the batch axis first, in the structure of the
        model's outputs."""
        return self._predict(x, batch_size, verbose, steps, callbacks, train_step_module.overrides_predict_step(self))

    def _predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None, custom_step=False):
        """`predict`, with the model's own `predict_step` when `custom_step` (calling the model on
        arrays predicts without it, as Keras's `model(x)` runs `call`)."""
        if steps is not None:
            _check_count("steps", steps, minimum=1)
        verbose = 1 if verbose == "auto" else int(verbose)
        if custom_step:
            run = train_step_module.prediction_pass(self, x, self._batch_size(batch_size), steps)
        elif data_sources.is_stream(x):
            run = self._stream_pass(x, steps, _library.MODE_PREDICT, None, "predict")
        else:
            arrays, _, _ = self._arrays(x, what="predict")
            batch_size = min(self._batch_size(batch_size), data_module.sample_count(arrays))
            run = passes.ArrayPass(_library.NativeSession(self._engine, _library.MODE_PREDICT, arrays,
                                                          batch_size=batch_size), steps, batch_size)
        try:
            callback_list = CallbackList(callbacks, model=self, verbose=verbose, epochs=1, steps=run.steps)
            callback_list.on_predict_begin()
            self._run_pass(run, 0, verbose, callback_list, "predict")
            callback_list.on_predict_end()
            outputs = run.all_outputs()
        finally:
            run.close()
        if custom_step:
            return _tree.pack_like(run.structure, outputs)
        if self._engine is None or not outputs:
            raise ValueError("Unexpected result of `predict`: the data produced no batches.")
        return _tree.pack_like(self._engine_io[1], outputs[:len(self.output_names)])

    def _eager_call(self, args, kwargs):
        """`model(x)` on arrays: the outputs (inference mode), as arrays with `.numpy()`. While a
        `GradientTape` records, the call is recorded so that gradients reach the model's weights."""
        x = args[0]
        from .. import gradient_tape
        if gradient_tape.recording():
            return gradient_tape.record_model_call(self, x, kwargs.get("training"))
        outputs = self._predict(x, batch_size=max(data_module.sample_count(_flat_arrays(x)), 1))
        return _tree.map_structure(lambda a: np.asarray(a).view(Tensor), outputs)

    # -- weights ----------------------------------------------------------------------------------------

    @property
    def layers(self):
        return list(self._tracked_layers)

    def _all_layers(self):
        return self.layers

    @property
    def weights(self):
        result, seen = [], set()
        for layer in self._all_layers():
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    result.append(w)
        for w in self._own_variables:
            if id(w) not in seen:
                result.append(w)
        return result

    def get_weights(self):
        """All weights as NumPy arrays, layer by layer in Keras's order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Sets all weights from arrays in `get_weights()` order (e.g. taken from a Keras model)."""
        if not self.built:
            raise ValueError("You called `set_weights(weights)` on a model that is not built yet. "
                             "Give it an input shape or call it on data first.")
        weights = list(weights)
        current = self.weights
        if len(weights) != len(current):
            raise ValueError(f"You called `set_weights(weights)` on model '{self.name}' with a weight list of length "
                             f"{len(weights)}, but the model was expecting {len(current)} weights.")
        for variable, value in zip(current, weights):
            value = np.asarray(value)
            if tuple(value.shape) != tuple(variable.shape):
                owner = variable.path.split("/")[0]
                raise ValueError(f"Layer {owner} weight shape {tuple(variable.shape)} is not compatible with provided "
                                 f"weight shape {tuple(value.shape)}.")
            if value.dtype.kind not in "biuf" or not np.isfinite(value.astype(np.float64)).all():
                raise ValueError(f"Weights for model '{self.name}' contain NaN or infinite values, or are not numbers.")
        for variable, value in zip(current, weights):
            variable.assign(np.asarray(value, dtype=np.float32))

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Saves all weights to a `.weights.h5` file in Keras 3's format (optimizer state is not saved yet)."""
        if max_shard_size is not None:
            raise NotImplementedError("save_weights: `max_shard_size` (sharded weights) is not supported yet.")
        from ..saving import weights_h5
        weights_h5.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Loads weights from a `.weights.h5` file (or a `.keras` archive) written by swiftnet or Keras 3,
        or a Keras 2 `.h5` weights file (by layer order, or by layer name with `by_name=True`)."""
        from ..saving import weights_h5
        weights_h5.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    # -- saving whole models (Keras 3's `.keras` format) ---------------------------------------------

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Saves the model (architecture, weights, compile config and optimizer state) as a `.keras` archive."""
        from ..saving import keras_archive
        keras_archive.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def to_json(self, **kwargs):
        """The model's config (Keras's `serialize_keras_object` form) as a JSON string."""
        import json
        from ..saving import serialization
        from ..saving.keras_archive import _json_default
        return json.dumps(serialization.serialize_keras_object(self), default=_json_default, **kwargs)

    def get_config(self):
        """A subclassed model's config: the base layer's (override `get_config` to add your arguments)."""
        return Layer.get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..saving import model_config, serialization
        if isinstance(config, dict) and {"layers", "input_layers", "output_layers"} <= set(config):
            from .functional import Functional
            target = cls if issubclass(cls, Functional) else Functional
            return model_config.functional_from_config(target, config, custom_objects)
        return serialization.construct(cls, serialization.layer_kwargs(config), config)

    def get_build_config(self):
        """Keras's `{"input_shape": …}`: the shapes of the model's inputs, batch axis first."""
        if self._engine_io is None:
            return None
        shapes = _tree.map_structure(lambda t: tuple(t.shape), self._engine_io[0])
        return {"input_shape": shapes}

    def build_from_config(self, config):
        shape = config.get("input_shape") if isinstance(config, dict) else None
        if shape is not None and self._engine is None:
            self.build(_shape_tuples(shape))

    def get_compile_config(self):
        """The arguments of `compile`, serialized (None when not compiled)."""
        if not self.compiled:
            return None
        from ..saving import serialization
        config = self._compile_config
        return {"optimizer": serialization.serialize_keras_object(self.optimizer),
                "loss": serialization.serialize_keras_object(config.loss),
                "loss_weights": serialization.serialize_keras_object(config.loss_weights),
                "metrics": serialization.serialize_keras_object(config.metrics),
                "weighted_metrics": serialization.serialize_keras_object(config.weighted_metrics),
                "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}

    def compile_from_config(self, config):
        """Compiles the model with a config from `get_compile_config` (swiftnet's or Keras's)."""
        import warnings
        from ..saving import serialization
        custom = {}
        try:
            arguments = {key: serialization.deserialize_keras_object(config.get(key), custom)
                         for key in ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics")}
            if arguments["optimizer"] is None:
                arguments["optimizer"] = "rmsprop"
            self.compile(**arguments)
        except Exception as error:  # noqa: BLE001 - Keras warns and leaves the model uncompiled
            warnings.warn(f"`compile()` was not called as part of model loading because the model's compile "
                          f"config could not be restored: {error}", stacklevel=2)

    def __reduce__(self):
        # Keras 3 models pickle as their `.keras` archive.
        from ..saving import keras_archive
        return _model_from_archive_bytes, (keras_archive.archive_bytes(self),)

    def __deepcopy__(self, memo):
        from ..saving import keras_archive
        copy = _model_from_archive_bytes(keras_archive.archive_bytes(self))
        memo[id(self)] = copy
        return copy

    def export(self, filepath, format="tf_saved_model", verbose=True, input_signature=None, **kwargs):
        """Writes the model for inference, as Keras 3's `Model.export`; `format="onnx"` is supported
        (an ONNX graph, batch axis dynamic). Needs `pip install onnx`."""
        from ..export import export as export_model
        return export_model(self, filepath, format=format, verbose=verbose, input_signature=input_signature,
                            **kwargs)

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on model '{self.name}', but the model has "
                             "not been built. You can build it manually via: `model.build(input_shape)`.")
        return int(sum(int(np.prod(w.shape, dtype=np.int64)) for w in self.weights))

    def _optimizer_state_count(self):
        if self._engine is None:
            return 0
        return int(self._engine.describe().get("optimizer", {}).get("state_count", 0))

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints the layers, their output shapes and parameter counts, as Keras 3 does."""
        print_summary(self, line_length=line_length, print_fn=print_fn)

    def _summary_rows(self):
        """(layer, output shape or None, connected-to names or None) for the summary table."""
        rows = []
        for layer in self.layers:
            shape = layer.output.shape if layer._inbound_nodes and isinstance(layer.output, KerasTensor) else None
            rows.append((layer, shape, None))
        return rows

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}.")

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _model_from_archive_bytes(data):
    import io
    from ..saving import keras_archive
    return keras_archive.load_archive(io.BytesIO(data), compile=True, safe_mode=True)


def _shape_tuples(shape):
    """A JSON shape (lists) as tuples, or a list/dict of them."""
    if isinstance(shape, dict):
        return {k: _shape_tuples(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int) for d in shape):
        return tuple(shape)
    return [_shape_tuples(s) for s in shape]


def _input_for(array):
    from ..layers.input_layer import Input
    array = np.asarray(array)
    dtype = "bool" if array.dtype == np.bool_ else ("float32" if array.dtype.kind == "f" else
                                                    ("int64" if array.dtype == np.int64 else "int32"))
    return Input(shape=array.shape[1:], dtype=dtype)


def _first_arrays(x):
    """x with array-likes as arrays (dicts and lists kept), for building from data."""
    if isinstance(x, dict):
        return {k: np.asarray(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and all(hasattr(v, "shape") or isinstance(v, (list, tuple)) for v in x) \
            and not np.isscalar(x[0]) and isinstance(x[0], np.ndarray):
        return [np.asarray(v) for v in x]
    return np.asarray(x)


def _flat_arrays(x):
    return {str(i): np.asarray(a) for i, a in enumerate(_tree.flatten(x))}


def _sample_arrays(shapes):
    """One zero sample per input for a shape (batch axis first, None for unknown sizes) or a
    list or dict of shapes."""
    if isinstance(shapes, dict):
        return {k: _sample_arrays(v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)) and all(d is None or isinstance(d, (int, np.integer)) for d in shapes):
        return np.zeros((1,) + tuple(1 if d is None else int(d) for d in tuple(shapes)[1:]), np.float32)
    if isinstance(shapes, (list, tuple)):
        return [_sample_arrays(s) for s in shapes]
    raise ValueError(f"Expected an input shape (a tuple with the batch axis first) or a list or dict of them. "
                     f"Received: {shapes!r}")


def _output_name(tensor):
    node = tensor._node
    layer = getattr(node, "layer", None)
    return layer.name if layer is not None else (node.name if node is not None and node.name else tensor.name)


def _unique(names):
    seen, result = {}, []
    for name in names:
        if name in seen:
            seen[name] += 1
            result.append(f"{name}_{seen[name]}")
        else:
            seen[name] = 0
            result.append(name)
    return result


def _check_optimizer(optimizer):
    """Validates an optimizer's settings in the engine (on a one-op probe model), so that errors
    surface at `compile()`."""
    probe = _library.NativeModel({"name": "probe", "inputs": [{"shape": [None, 1]}],
                                  "graph": {"nodes": [{"input": 0}], "outputs": [[0, 0]]}})
    probe.compile({"optimizer": optimizer.serialize()})



def _walk_layers(layer, seen=None):
    """`layer`'s sublayers, depth first, each once."""
    seen = set() if seen is None else seen
    children = list(getattr(layer, "_tracked_layers", []))
    if isinstance(layer, Model):
        children += [l for l in layer.layers if not any(l is c for c in children)]
    for sub in children:
        if id(sub) not in seen:
            seen.add(id(sub))
            yield sub
            yield from _walk_layers(sub, seen)


def _layer_weights(model):
    """(layer, weight) for each weight a layer of the model owns, each weight once."""
    seen = set()
    for layer in [model] + list(_walk_layers(model)):
        own = layer._engine_weights() if layer._engine_layer else list(layer._own_variables)
        for variable in own:
            if id(variable) not in seen and not isinstance(variable, type(None)):
                seen.add(id(variable))
                yield layer, variable


def _trainable_path(model, layer):
    """Whether `layer` and every layer that contains it in `model` are trainable."""
    if not model.trainable:
        return False
    def search(parent):
        for sub in parent.layers if isinstance(parent, Model) else getattr(parent, "_tracked_layers", []):
            if sub is layer:
                return sub.trainable
            if sub.trainable and search(sub):
                return True
        return False
    return layer is model or search(model)


def _activity_penalties(model, inputs):
    """(layer, per-sample penalty) for the activity regularizers of layers called in the model's
    graph: Keras's regularizer(output) / batch size, spread evenly over the samples."""
    from .. import ops
    penalties = []
    for layer in _walk_layers(model):
        regularizer = getattr(layer, "activity_regularizer", None)
        if regularizer is None:
            continue
        for node in layer._inbound_nodes:
            for output in node.outputs if hasattr(node, "outputs") else []:
                if not _depends_only_on(output, inputs):
                    continue
                rank = len(output.shape)
                ones = ops.ones_like(ops.sum(output, axis=tuple(range(1, rank)))) if rank > 1 else ops.ones_like(output)
                batch = ops.sum(ones)
                penalty = ops.divide(regularizer(output), batch)
                penalties.append((layer, ops.multiply(ones, ops.divide(penalty, batch))))
    return penalties


def _depends_only_on(tensor, inputs):
    """Whether `tensor` is computed from `inputs` (and constants or variables) alone."""
    from .. import _graph
    allowed = {id(t) for t in inputs}
    stack, seen = [tensor], set()
    while stack:
        t = stack.pop()
        if id(t) in allowed:
            continue
        node = getattr(t, "_node", None)
        if node is None or isinstance(node, (_graph.InputNode, _graph.PlaceholderNode)):
            return False
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(getattr(node, "inputs", []))
    return True


def _expand_flat_inputs(x, specs):
    """Keras's expansion of 1-D data for an input of shape (1,): (n,) becomes (n, 1)."""
    if len(specs) != 1 or len(specs[0]["shape"]) != 2 or specs[0]["shape"][1] != 1:
        return x
    array = x if isinstance(x, np.ndarray) else None
    if array is None and hasattr(x, "to_numpy") and getattr(x, "ndim", 2) == 1:
        array = x.to_numpy()
    if array is not None and array.ndim == 1:
        return array[:, None]
    return x
