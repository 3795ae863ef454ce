"""What Sequential and functional models share: building the engine model, compile, fit,
evaluate, predict, weights and summary. Every step of the work runs in the engine; Python runs
the epoch loop, callbacks and the progress bar between chunks of steps."""

import math

import numpy as np

from .. import _library, losses, metrics as metrics_module, optimizers
from .. import random as sn_random
from .._arrays import as_float32, as_targets
from ..callbacks import Callback, History
from ..progbar import Progbar
from ..summary import print_summary

# How long one engine call may run before Python regains control (progress, Ctrl-C).
CHUNK_SECONDS = 0.05
# Counts (epochs, batch sizes) travel as signed 64-bit integers.
_MAX_COUNT = 2**62


def _check_count(name, value, minimum):
    """Rejects non-integers, values below `minimum` and values beyond what the engine counts."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not minimum <= value <= _MAX_COUNT:
        kind = "a non-negative" if minimum == 0 else "a positive"
        raise ValueError(f"Expected `{name}` to be {kind} integer no larger than 2**62. Received: {name}={value!r}")


class Model:
    """Base of `Sequential` and functional models; `Model(inputs=…, outputs=…)` builds a functional
    model, as `keras.Model` does."""

    def __new__(cls, *args, **kwargs):
        if cls is Model:
            if not ("inputs" in kwargs or "outputs" in kwargs or len(args) >= 2):
                raise TypeError("Use `swiftnet.Model(inputs=..., outputs=...)` or `swiftnet.Sequential([...])`; "
                                "subclassing Model with a Python `call` cannot run in the engine.")
            from .functional import Functional
            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, name=None):
        self.name = name
        self._engine = None         # _library.NativeModel once built
        self._description = None    # the engine's description of the built model
        self._compile_settings = None
        self._built_trainable = None
        self._built_layers = []
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None

    # -- structure (provided by subclasses) --------------------------------------------------------

    def _graph(self, input_shape=None):
        """The engine graph: a list of (layer, inbound indices) with the InputLayer first, and the
        index of the output; `input_shape` is the per-sample shape when data decides it."""
        raise NotImplementedError

    def _input_shape(self):
        """The declared per-sample input shape, or None if data must decide it."""
        raise NotImplementedError

    @property
    def layers(self):
        raise NotImplementedError

    def _summary_rows(self, show_input_layer):
        raise NotImplementedError

    # -- building ---------------------------------------------------------------------------------

    @property
    def built(self):
        return self._engine is not None

    def build(self, input_shape=None):
        """Creates the engine model and its weights; `input_shape` includes the batch axis."""
        sample = None if input_shape is None else tuple(input_shape)[1:]
        self._build(sample)

    def _build(self, sample_shape=None):
        """(Re)creates the engine model, keeping the weights of layers that already have some."""
        graph, output_index = self._graph(sample_shape)
        for layer, _ in graph:
            if layer._model is not None and layer._model is not self and layer.built:
                # A layer already built in another model brings its weights along (copied, not shared).
                layer._pending_weights = layer.get_weights()
            elif layer._model is self and self._engine is not None:
                layer._pending_weights = layer.get_weights()
        spec = {"name": self.name, "seed": sn_random.next_seed(),
                "layers": [], "inputs": [0], "outputs": [output_index]}
        for layer, inbound in graph:
            entry = layer._spec()
            entry.update({"inbound": list(inbound), "seed": layer._seed, "trainable": layer.trainable})
            spec["layers"].append(entry)
        engine = _library.NativeModel(spec)
        self._engine = engine
        self._description = engine.describe()
        self._built_trainable = [layer.trainable for layer, _ in graph]
        self._built_layers = [layer for layer, _ in graph]
        for index, (layer, _) in enumerate(graph):
            layer._model = self
            layer._node_index = index
        for layer, _ in graph:
            pending, layer._pending_weights = layer._pending_weights, None
            if pending is not None:
                layer.set_weights(pending)
        if self._compile_settings is not None:
            self._compile_engine()

    def _ensure_built(self, x):
        if self._engine is None:
            declared = self._input_shape()
            self._build(declared if declared is not None else tuple(x.shape[1:]))
        elif self._built_trainable != [layer.trainable for layer in self._engine_layers()]:
            self._build(tuple(self._description["input_shape"]))

    def _engine_layers(self):
        """The layers of the engine model, by engine index (the InputLayer first)."""
        return list(self._built_layers)

    def _description_fresh(self):
        self._description = self._engine.describe()
        return self._description

    # -- compile ----------------------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Sets the optimizer, loss and metrics (Keras names or swiftnet objects)."""
        if loss is None:
            raise ValueError("Argument `loss` must be provided to `compile()`: swiftnet models train on a compiled loss.")
        for key, value in [("loss_weights", loss_weights), ("weighted_metrics", weighted_metrics)]:
            if value is not None:
                raise NotImplementedError(f"compile: `{key}` is not supported yet.")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"Expected `metrics` argument to be a list, tuple, or dict. Received instead: "
                             f"metrics={metrics} of type {type(metrics)}")
        optimizer = optimizers.get(optimizer)
        settings = {"optimizer": optimizer.serialize(), "loss": losses.serialize(loss),
                    "metrics": [metrics_module.serialize(m) for m in (metrics or [])]}
        previous = (self._compile_settings, self.optimizer, self.loss)
        self._compile_settings, self.optimizer, self.loss = settings, optimizer, loss
        if self._engine is not None:
            try:
                if self._built_trainable != [layer.trainable for layer in self._engine_layers()]:
                    self._build(tuple(self._description["input_shape"]))
                else:
                    self._compile_engine()
            except Exception:
                self._compile_settings, self.optimizer, self.loss = previous
                raise
        else:
            self._check_settings_without_engine(settings)
        optimizer._engine_owner = self

    def _compile_engine(self):
        settings = dict(self._compile_settings)
        settings["optimizer"] = self.optimizer.serialize()
        self._engine.compile(settings)
        self._description = self._engine.describe()

    @staticmethod
    def _check_settings_without_engine(settings):
        """Validates compile settings on a one-layer model so that errors surface at compile()."""
        probe = _library.NativeModel({"name": "probe", "layers": [
            {"class_name": "InputLayer", "name": "input", "config": {"shape": [1]}}]})
        probe.compile(settings)

    @property
    def compiled(self):
        return self._compile_settings is not None

    @property
    def metrics_names(self):
        names = ["loss"]
        for m in (self._compile_settings or {}).get("metrics", []):
            names.append(m if isinstance(m, str) else m["config"].get("name", m["class_name"]))
        return names

    def _require_compiled(self):
        if not self.compiled:
            raise _library.StateError("You must call `compile()` before using the model.")

    # -- data -------------------------------------------------------------------------------------

    @staticmethod
    def _batch_size(batch_size, default=32):
        if batch_size is None:
            return default
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"Expected `batch_size` to be a positive integer. Received: batch_size={batch_size!r}")
        # A batch larger than the data is the whole data (the engine clamps); no tensor holds more
        # than 2**30 values, so larger batches can never be formed anyway.
        return min(int(batch_size), 2**31)

    @staticmethod
    def _xy(x, y, what):
        if isinstance(x, (tuple, list)) and y is None and len(x) == 2 and not np.isscalar(x[0]):
            x, y = x  # fit((x, y)) as for a dataset of pairs
        if y is None:
            raise ValueError(f"`{what}` needs targets: pass `y` along with `x`.")
        x = as_float32(x, "x")
        y = as_targets(y, "y")
        if x.shape[0] != y.shape[0]:
            raise ValueError(
                "Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. "
                f"'x' sizes: {x.shape[0]}, 'y' sizes: {y.shape[0]}")
        return x, y

    # -- training ---------------------------------------------------------------------------------

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1):
        """Trains for `epochs` epochs; returns a `History`. Runs entirely in the engine, in chunks of
        batches; Ctrl-C stops after the current chunk and leaves the model usable."""
        for key, value in [("class_weight", class_weight), ("sample_weight", sample_weight),
                           ("steps_per_epoch", steps_per_epoch), ("validation_steps", validation_steps)]:
            if value is not None:
                raise NotImplementedError(f"fit: `{key}` is not supported yet.")
        self._require_compiled()
        x, y = self._xy(x, y, "fit")
        batch_size = self._batch_size(batch_size)
        _check_count("epochs", epochs, minimum=0)
        _check_count("initial_epoch", initial_epoch, minimum=0)
        _check_count("validation_freq", validation_freq, minimum=1)
        verbose = 1 if verbose == "auto" else int(verbose)

        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("Expected `validation_data` to be a tuple (x_val, y_val). "
                                 f"Received: {type(validation_data).__name__} of length "
                                 f"{len(validation_data) if hasattr(validation_data, '__len__') else '?'}")
            x_val, y_val = self._xy(validation_data[0], validation_data[1], "validation_data")
        elif validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"`validation_split` must be between 0 and 1. Received: {validation_split}")
            # Keras: the last fraction of the data, taken before any shuffling.
            split_at = int(math.floor(x.shape[0] * (1.0 - validation_split)))
            if split_at == 0 or split_at == x.shape[0]:
                raise ValueError(f"validation_split={validation_split} leaves no training or no validation "
                                 f"samples out of {x.shape[0]}.")
            x, x_val = x[:split_at], x[split_at:]
            y, y_val = y[:split_at], y[split_at:]
        else:
            x_val = y_val = None

        self._ensure_built(x)
        train = _library.NativeSession(self._engine, _library.MODE_TRAIN, x, y, batch_size=batch_size,
                                       shuffle=bool(shuffle), seed=sn_random.next_seed())
        validation = None
        if x_val is not None:
            validation = _library.NativeSession(self._engine, _library.MODE_EVALUATE, x_val, y_val,
                                                batch_size=self._batch_size(validation_batch_size, batch_size))
        history = History()
        callback_list = list(callbacks or []) + [history]  # History last, as in Keras
        for callback in callback_list:
            if not isinstance(callback, Callback):
                raise TypeError(f"Expected swiftnet.callbacks.Callback instances. Received: {callback!r}")
            callback.set_model(self)
            callback.set_params({"verbose": verbose, "epochs": epochs, "steps": train.progress()[1]})
        self.history = history
        self.stop_training = False
        try:
            for callback in callback_list:
                callback.on_train_begin()
            for epoch in range(int(initial_epoch), int(epochs)):
                for callback in callback_list:
                    callback.on_epoch_begin(epoch)
                if verbose:
                    print(f"Epoch {epoch + 1}/{epochs}")
                logs, progbar = self._run_pass(train, epoch, verbose, callback_list, finalize=validation is None)
                if validation is not None and (epoch + 1) % validation_freq == 0:
                    validation.begin_epoch(0)
                    while not validation.run(max_seconds=CHUNK_SECONDS):
                        pass
                    logs.update({f"val_{k}": v for k, v in sorted(validation.logs().items())})
                    progbar.update(train.progress()[1], logs, finalize=True)
                elif validation is not None:
                    progbar.update(train.progress()[1], logs, finalize=True)
                for callback in callback_list:
                    callback.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
            for callback in callback_list:
                callback.on_train_end()
        finally:
            train.close()
            if validation is not None:
                validation.close()
            self._description = self._engine.describe()
        return history

    def _run_pass(self, session, epoch, verbose, callbacks=(), finalize=True):
        """Runs one pass of a session in chunks, updating a progress bar; returns its logs sorted
        by name, as Keras reports them, and the bar (to be finalised by the caller if not done)."""
        session.begin_epoch(epoch)
        progbar = Progbar(session.progress()[1], verbose=verbose)
        finished = False
        try:
            while not finished:
                finished = session.run(max_seconds=CHUNK_SECONDS)
                done, _ = session.progress()
                logs = dict(sorted(session.logs().items()))
                if not finished or finalize:
                    progbar.update(done, logs, finalize=finished and finalize)
                for callback in callbacks:
                    callback.on_train_batch_end(done - 1, logs)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            progbar.interrupt()
            raise
        return dict(sorted(session.logs().items())), progbar

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss and metrics on the data: a float (loss only), `[loss, *metrics]`, or a dict."""
        if sample_weight is not None or steps is not None:
            raise NotImplementedError("evaluate: `sample_weight` and `steps` are not supported yet.")
        self._require_compiled()
        x, y = self._xy(x, y, "evaluate")
        self._ensure_built(x)
        verbose = 1 if verbose == "auto" else int(verbose)
        session = _library.NativeSession(self._engine, _library.MODE_EVALUATE, x, y, batch_size=self._batch_size(batch_size))
        try:
            logs, _ = self._run_pass(session, 0, verbose)
            ordered = session.logs()  # loss first, then metrics in compile order
        finally:
            session.close()
        if return_dict:
            return logs
        values = list(ordered.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for `x`, as a float32 array with the batch axis first."""
        if steps is not None:
            raise NotImplementedError("predict: `steps` is not supported yet.")
        x = as_float32(x, "x")
        self._ensure_built(x)
        verbose = 1 if verbose == "auto" else int(verbose)
        session = _library.NativeSession(self._engine, _library.MODE_PREDICT, x, batch_size=self._batch_size(batch_size))
        try:
            self._run_pass(session, 0, verbose)
        finally:
            session.close()
        return session.output

    def __call__(self, inputs, training=False):
        if isinstance(inputs, np.ndarray) or hasattr(inputs, "__array__"):
            return self.predict(inputs, verbose=0)
        raise TypeError("Calling a model on symbolic tensors (nesting models) is not supported yet.")

    # -- weights ----------------------------------------------------------------------------------

    @property
    def weights(self):
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self):
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    def get_weights(self):
        """All weights as NumPy arrays, layer by layer in Keras's order."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Sets all weights from arrays in `get_weights()` order (e.g. taken from a Keras model)."""
        if not self.built:
            raise ValueError("You called `set_weights(weights)` on a model that is not built yet. "
                             "Give it an input shape or call it on data first.")
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(f"You called `set_weights(weights)` on model '{self.name}' with a weight list of "
                             f"length {len(weights)}, but the model was expecting {expected} weights.")
        position = 0
        for layer in self.layers:
            count = len(layer.weights)
            layer.set_weights(weights[position:position + count])
            position += count

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on model '{self.name}', but the model has "
                             "not been built. You can build it manually via: `model.build(input_shape)`.")
        return sum(layer.count_params() for layer in self.layers)

    def _optimizer_state_count(self):
        if self._engine is None:
            return 0
        return int(self._description_fresh().get("optimizer", {}).get("state_count", 0))

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints the layers, their output shapes and parameter counts, as Keras 3 does."""
        print_summary(self, line_length=line_length, print_fn=print_fn)

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}.")

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

