"""Graphs against Keras 3 itself (JAX backend): residual and Inception blocks, a three-input /
two-output model with loss weights, a shared layer, a nested model, a custom layer written with
`ops`, a custom loss and a custom metric. The same weights must give the same outputs, and one
training step the same loss, logs and weights. Each model is written once, for either library."""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

import swiftnet  # noqa: E402


def residual(lib):
    inputs = lib.Input((10,))
    h = lib.layers.Dense(10, activation="relu")(inputs)
    h = lib.layers.Dense(10)(h)
    h = lib.layers.Add()([h, inputs])
    h = lib.layers.Activation("relu")(h)
    h = lib.layers.Subtract()([h, lib.layers.Dense(10)(inputs)])
    return lib.Model(inputs, lib.layers.Dense(4, activation="softmax")(h))


def inception(lib):
    inputs = lib.Input((12, 12, 3))
    a = lib.layers.Conv2D(4, 1, activation="relu")(inputs)
    b = lib.layers.Conv2D(4, 3, padding="same", activation="relu")(lib.layers.Conv2D(2, 1)(inputs))
    c = lib.layers.MaxPooling2D(3, strides=1, padding="same")(inputs)
    c = lib.layers.Conv2D(3, 1)(c)
    merged = lib.layers.Concatenate(axis=-1)([a, b, c])
    merged = lib.layers.Multiply()([merged, merged])
    pooled = lib.layers.Average()([lib.layers.GlobalAveragePooling2D()(merged), lib.layers.GlobalMaxPooling2D()(merged)])
    return lib.Model(inputs, lib.layers.Dense(3, activation="softmax")(pooled))


def three_inputs_two_outputs(lib):
    """The Keras functional-API guide's ticket model, with dense features for its text inputs."""
    title = lib.Input((12,), name="title")
    body = lib.Input((20,), name="body")
    tags = lib.Input((5,), name="tags")
    x = lib.layers.Concatenate()([lib.layers.Dense(8, activation="relu")(title),
                                  lib.layers.Dense(8, activation="relu")(body), tags])
    priority = lib.layers.Dense(1, name="priority")(x)
    department = lib.layers.Dense(4, activation="softmax", name="department")(x)
    return lib.Model(inputs=[title, body, tags], outputs={"priority": priority, "department": department})


def shared_layer(lib):
    left, right = lib.Input((6,)), lib.Input((6,))
    shared = lib.layers.Dense(5, activation="tanh")
    merged = lib.layers.Concatenate()([shared(left), shared(right)])
    distance = lib.layers.Dot(axes=1, normalize=True)([shared(left), shared(right)])
    merged = lib.layers.Concatenate()([merged, distance])
    return lib.Model([left, right], lib.layers.Dense(1, activation="sigmoid")(merged))


def nested(lib):
    encoder = lib.Sequential([lib.Input((8,)), lib.layers.Dense(6, activation="relu"), lib.layers.Dense(3)])
    inputs = lib.Input((8,))
    branch_input = lib.Input((8,))
    branch = lib.Model(branch_input, lib.layers.Dense(3, activation="sigmoid")(branch_input))
    merged = lib.layers.Maximum()([encoder(inputs), branch(inputs)])
    merged = lib.layers.Minimum()([merged, encoder(inputs)])
    return lib.Model(inputs, lib.layers.Dense(2)(merged))


def custom_layer(lib):
    """A Dense of our own, a gated layer mixing ops, and a layer with a non-trainable weight."""
    ops = lib.ops

    class MyDense(lib.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

        def call(self, x):
            return ops.relu(ops.matmul(x, self.kernel) + self.bias)

    class Gate(lib.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
            self.offset = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="offset", trainable=False)

        def call(self, x):
            gate = ops.sigmoid(x * self.scale)
            centered = x - ops.mean(x, axis=-1, keepdims=True)
            return ops.where(gate > 0.5, centered * gate, ops.tanh(x)) + self.offset

    inputs = lib.Input((7,))
    h = MyDense(9)(inputs)
    h = Gate()(h)
    h = lib.layers.Dense(3)(h)
    return lib.Model(inputs, ops.softmax(ops.log_softmax(h) * 1.5 + ops.square(h) * 0.01))


def _same_weights(k_model, s_model):
    assert [tuple(w.shape) for w in s_model.get_weights()] == [tuple(w.shape) for w in k_model.get_weights()]
    s_model.set_weights([np.asarray(w) for w in k_model.get_weights()])


def _inputs(model_fn, rng, n=24):
    shapes = {residual: [(10,)], inception: [(12, 12, 3)], three_inputs_two_outputs: [(12,), (20,), (5,)],
              shared_layer: [(6,), (6,)], nested: [(8,)], custom_layer: [(7,)]}[model_fn]
    arrays = [rng.normal(size=(n,) + s).astype(np.float32) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


@pytest.mark.parametrize("build", [residual, inception, three_inputs_two_outputs, shared_layer, nested, custom_layer])
def test_same_weights_give_the_same_outputs(build, rng):
    k_model, s_model = build(keras), build(swiftnet)
    _same_weights(k_model, s_model)
    x = _inputs(build, rng)
    expected, received = k_model.predict(x, verbose=0), s_model.predict(x, verbose=0)
    if isinstance(expected, dict):
        assert set(received) == set(expected)
        for key in expected:
            np.testing.assert_allclose(received[key], np.asarray(expected[key]), rtol=1e-4, atol=1e-5)
    else:
        np.testing.assert_allclose(received, np.asarray(expected), rtol=1e-4, atol=1e-5)


def _one_step(k_model, s_model, x, y, **compile_args):
    for model in (k_model, s_model):
        model.compile(optimizer=model is k_model and keras.optimizers.SGD(0.1) or swiftnet.optimizers.SGD(0.1),
                      **compile_args)
    k_logs = k_model.fit(x, y, batch_size=len(y) if not isinstance(y, dict) else 24, epochs=1, shuffle=False, verbose=0).history
    s_logs = s_model.fit(x, y, batch_size=len(y) if not isinstance(y, dict) else 24, epochs=1, shuffle=False, verbose=0).history
    assert set(s_logs) == set(k_logs)
    for key in k_logs:
        assert s_logs[key][0] == pytest.approx(k_logs[key][0], rel=1e-4, abs=1e-6), key
    for s_weight, k_weight in zip(s_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(s_weight, np.asarray(k_weight), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("build", [residual, inception, shared_layer, nested, custom_layer])
def test_one_training_step_matches(build, rng):
    k_model, s_model = build(keras), build(swiftnet)
    _same_weights(k_model, s_model)
    x = _inputs(build, rng)
    outputs = np.asarray(k_model.predict(x, verbose=0)).shape[-1]
    if outputs == 1:
        y, loss, metrics = (rng.random((24, 1)) > 0.5).astype(np.float32), "binary_crossentropy", ["accuracy"]
    elif build is nested:
        y, loss, metrics = rng.normal(size=(24, outputs)).astype(np.float32), "mse", ["mae"]
    else:
        y, loss, metrics = rng.integers(0, outputs, 24), "sparse_categorical_crossentropy", ["accuracy"]
    _one_step(k_model, s_model, x, y, loss=loss, metrics=metrics)


def test_three_input_two_output_model_with_loss_weights_matches(rng):
    k_model, s_model = three_inputs_two_outputs(keras), three_inputs_two_outputs(swiftnet)
    _same_weights(k_model, s_model)
    x = {"title": rng.normal(size=(24, 12)).astype(np.float32), "body": rng.normal(size=(24, 20)).astype(np.float32),
         "tags": (rng.random((24, 5)) > 0.5).astype(np.float32)}
    y = {"priority": rng.random((24, 1)).astype(np.float32), "department": rng.integers(0, 4, 24)}
    _one_step(k_model, s_model, x, y,
              loss={"priority": "mean_squared_error", "department": "sparse_categorical_crossentropy"},
              loss_weights={"priority": 1.0, "department": 0.2},
              metrics={"priority": ["mae"], "department": ["accuracy"]})


def test_custom_loss_and_custom_metric_match(rng):
    def build(lib):
        ops = lib.ops

        def huberish(y_true, y_pred):
            error = y_pred - y_true
            return ops.mean(ops.where(ops.abs(error) < 0.5, 0.5 * ops.square(error), 0.5 * ops.abs(error) - 0.125), axis=-1)

        class WeightedError(lib.losses.Loss):
            def call(self, y_true, y_pred):
                return ops.sum(ops.square(y_true - y_pred) * ops.arange(1, 4, dtype="float32"), axis=-1) / 6.0

        class MeanMaxError(lib.metrics.Metric):
            def __init__(self, name="mean_max_error", **kwargs):
                super().__init__(name=name, **kwargs)
                self.total = self.add_variable(shape=(), initializer="zeros", name="total")
                self.count = self.add_variable(shape=(), initializer="zeros", name="count")

            def update_state(self, y_true, y_pred, sample_weight=None):
                worst = ops.max(ops.abs(y_true - y_pred), axis=-1)
                self.total.assign(self.total + ops.sum(worst))
                self.count.assign(self.count + ops.cast(ops.shape(worst)[0] if ops.shape(worst)[0] is not None
                                                        else ops.sum(ops.ones_like(worst)), "float32"))

            def result(self):
                return self.total / self.count

        model = lib.Sequential([lib.Input((5,)), lib.layers.Dense(3)])
        return model, huberish, WeightedError(), MeanMaxError()

    k_model, k_loss, k_class_loss, k_metric = build(keras)
    s_model, s_loss, s_class_loss, s_metric = build(swiftnet)
    _same_weights(k_model, s_model)
    x = rng.normal(size=(24, 5)).astype(np.float32)
    y = rng.normal(size=(24, 3)).astype(np.float32)
    for k_l, s_l in ((k_loss, s_loss), (k_class_loss, s_class_loss)):
        k_model.compile(optimizer=keras.optimizers.SGD(0.1), loss=k_l, metrics=[k_metric])
        s_model.compile(optimizer=swiftnet.optimizers.SGD(0.1), loss=s_l, metrics=[s_metric])
        k_logs = k_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
        s_logs = s_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
        assert set(s_logs) == set(k_logs) == {"loss", "mean_max_error"}
        for key in k_logs:
            np.testing.assert_allclose(s_logs[key], k_logs[key], rtol=1e-4)
        for s_weight, k_weight in zip(s_model.get_weights(), k_model.get_weights()):
            np.testing.assert_allclose(s_weight, np.asarray(k_weight), rtol=1e-4, atol=1e-5)
        k_eval = k_model.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
        s_eval = s_model.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
        for key in k_eval:
            assert s_eval[key] == pytest.approx(k_eval[key], rel=1e-4)
