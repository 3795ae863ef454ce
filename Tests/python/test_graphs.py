"""Graph models as Keras users write them: ops on symbolic tensors, several inputs and outputs,
custom layers and models, weights as attributes, masks, unknown dimensions, integer inputs, and
the errors of malformed graphs. References are NumPy computations of the same weights."""

import numpy as np
import pytest

import swiftnet
from swiftnet import layers, ops


def dense(x, layer):
    return x @ layer.kernel.numpy() + layer.bias.numpy()


def test_ops_applied_directly_to_symbolic_tensors(rng):
    inputs = swiftnet.Input((4,))
    scaled = inputs * 2 + 1
    hidden = layers.Dense(3)(scaled)
    outputs = ops.concatenate([ops.tanh(hidden), ops.sum(scaled, axis=-1, keepdims=True) / 4.0, hidden[:, :1] ** 2], axis=-1)
    model = swiftnet.Model(inputs, outputs)
    x = rng.normal(size=(10, 4)).astype(np.float32)
    h = dense(x * 2 + 1, model.layers[1])
    expected = np.concatenate([np.tanh(h), (x * 2 + 1).sum(-1, keepdims=True) / 4, h[:, :1] ** 2], axis=-1)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, expected + 0.1, epochs=2, verbose=0)


def test_lists_and_dicts_of_inputs_and_outputs(rng):
    a, b = swiftnet.Input((3,), name="a"), swiftnet.Input((2,), name="b")
    joined = layers.Concatenate()([a, b])
    model = swiftnet.Model({"a": a, "b": b}, [layers.Dense(1, name="one")(joined), layers.Dense(2, name="two")(joined)])
    x = {"a": rng.normal(size=(8, 3)).astype(np.float32), "b": rng.normal(size=(8, 2)).astype(np.float32)}
    one, two = model.predict(x, verbose=0)
    assert one.shape == (8, 1) and two.shape == (8, 2)
    both = np.concatenate([x["a"], x["b"]], axis=1)
    np.testing.assert_allclose(two, dense(both, model.get_layer("two")), rtol=1e-5, atol=1e-6)
    model.compile(optimizer="adam", loss=["mse", "mae"], loss_weights=[0.5, 2.0], metrics=[["mae"], []])
    history = model.fit(x, [np.zeros((8, 1)), np.ones((8, 2))], epochs=2, verbose=0).history
    assert set(history) == {"loss", "one_loss", "two_loss", "one_mae"}
    np.testing.assert_allclose(history["loss"][0], 0.5 * history["one_loss"][0] + 2.0 * history["two_loss"][0], rtol=1e-5)
    with pytest.raises(ValueError, match="Unknown key 'c'"):
        model.predict({"a": x["a"], "c": x["b"]}, verbose=0)
    with pytest.raises(ValueError, match="key 'three' does not correspond to any model output"):
        model.compile(optimizer="adam", loss={"one": "mse", "three": "mse"})
        model.fit(x, [np.zeros((8, 1)), np.ones((8, 2))], verbose=0)
    assert model.predict(x, verbose=0)[0].shape == (8, 1)  # still usable


def test_shared_layer_weights_are_one_set(rng):
    shared = layers.Dense(2)
    a, b = swiftnet.Input((3,)), swiftnet.Input((3,))
    model = swiftnet.Model([a, b], layers.Add()([shared(a), shared(b)]))
    assert len(model.weights) == 2
    x1, x2 = rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict([x1, x2], verbose=0), dense(x1, shared) + dense(x2, shared), rtol=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    model.fit([x1, x2], np.zeros((5, 2)), verbose=0)
    np.testing.assert_allclose(model.predict([x1, x2], verbose=0), dense(x1, shared) + dense(x2, shared), rtol=1e-5)


def test_models_nested_in_models_and_in_sequential(rng):
    inner = swiftnet.Sequential([swiftnet.Input((4,)), layers.Dense(3, activation="relu")])
    wrapper = swiftnet.Sequential([swiftnet.Input((4,)), inner, layers.Dense(2)])
    inputs = swiftnet.Input((4,))
    outer = swiftnet.Model(inputs, layers.Dense(1)(wrapper(inputs)))
    assert len(outer.weights) == 6
    x = rng.normal(size=(6, 4)).astype(np.float32)
    h = np.maximum(dense(x, inner.layers[0]), 0)
    expected = dense(dense(h, wrapper.layers[1]), outer.layers[-1])
    np.testing.assert_allclose(outer.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    outer.compile(optimizer="adam", loss="mse")
    outer.fit(x, np.ones((6, 1)), epochs=3, verbose=0)
    # The nested layers' weights are those the outer model trained.
    h = np.maximum(dense(x, inner.layers[0]), 0)
    np.testing.assert_allclose(outer.predict(x, verbose=0), dense(dense(h, wrapper.layers[1]), outer.layers[-1]), rtol=1e-5)
    assert wrapper.inputs[0].shape == (None, 4) and wrapper.outputs[0].shape == (None, 2)


def test_subclassed_model_trains_and_calls(rng):
    class TwoTower(swiftnet.Model):
        def __init__(self):
            super().__init__(name="two_tower")
            self.left = layers.Dense(4, activation="relu")
            self.right = layers.Dense(4, activation="tanh")
            self.head = layers.Dense(1)

        def call(self, inputs, training=None):
            merged = ops.concatenate([self.left(inputs), self.right(inputs)], axis=-1)
            if training:
                merged = swiftnet.random.dropout(merged, 0.5, seed=3)
            return self.head(merged)

    model = TwoTower()
    x = rng.normal(size=(32, 5)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=20, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert [l.name for l in model.layers] == [model.left.name, model.right.name, model.head.name]
    merged = np.concatenate([np.maximum(dense(x, model.left), 0), np.tanh(dense(x, model.right))], axis=1)
    result = model(x)  # inference: no dropout
    np.testing.assert_allclose(result.numpy(), dense(merged, model.head), rtol=1e-5, atol=1e-5)
    assert len(model.trainable_weights) == 6


def test_layer_and_model_calls_on_arrays_return_arrays_with_numpy(rng):
    layer = layers.Dense(3, activation="relu")
    x = rng.normal(size=(4, 5)).astype(np.float32)
    out = layer(x)
    assert isinstance(out, np.ndarray) and out.numpy().shape == (4, 3)
    np.testing.assert_allclose(out, np.maximum(dense(x, layer), 0), rtol=1e-6)
    model = swiftnet.Sequential([swiftnet.Input((5,)), layer])
    np.testing.assert_allclose(model(x[:1]).numpy(), out[:1], rtol=1e-6)  # the weights moved into the model

    class Scale(layers.Layer):
        def build(self, input_shape):
            self.factor = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="factor")

        def call(self, x):
            return x * self.factor + 1.0

    scale = Scale()
    np.testing.assert_allclose(scale(x), x + 1, rtol=1e-6)  # eager: op by op
    scale.factor.assign(np.full(5, 2.0, np.float32))
    np.testing.assert_allclose(scale(x), 2 * x + 1, rtol=1e-6)


def test_weights_as_attributes_with_numpy_and_assign(rng):
    model = swiftnet.Sequential([swiftnet.Input((3,)), layers.Dense(2), layers.BatchNormalization()])
    d, bn = model.layers
    assert d.kernel.shape == (3, 2) and d.bias.shape == (2,)
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    np.testing.assert_array_equal(bn.moving_variance.numpy(), np.ones(2))
    d.kernel.assign(np.arange(6, dtype=np.float32).reshape(3, 2))
    np.testing.assert_array_equal(model.get_weights()[0], np.arange(6).reshape(3, 2))
    assert [w.path for w in model.trainable_weights] == [f"{d.name}/kernel", f"{d.name}/bias", f"{bn.name}/gamma",
                                                          f"{bn.name}/beta"]
    with pytest.raises(ValueError, match="shape"):
        d.kernel.assign(np.zeros((2, 3)))


def test_initializers_are_callable_and_follow_their_distributions():
    init = swiftnet.initializers
    a = init.GlorotNormal(seed=1)(shape=(3, 4))
    np.testing.assert_array_equal(a, init.GlorotNormal(seed=1)(shape=(3, 4)))
    assert a.shape == (3, 4) and a.dtype == np.float32
    q = init.Orthogonal(seed=2)(shape=(6, 4))
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    wide = init.Orthogonal(gain=2.0, seed=3)(shape=(3, 5))
    np.testing.assert_allclose(wide @ wide.T, 4 * np.eye(3), atol=1e-5)
    np.testing.assert_array_equal(init.Identity(gain=3.0)(shape=(2, 3)), [[3, 0, 0], [0, 3, 0]])
    t = init.TruncatedNormal(mean=1.0, stddev=0.5, seed=4)(shape=(20000,))
    assert t.min() >= 0.0 and t.max() <= 2.0 and abs(t.mean() - 1.0) < 0.02
    v = init.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=5)(shape=(100, 400))
    limit = np.sqrt(3 * 2.0 / 400)
    assert np.abs(v).max() <= limit and abs(v.std() - limit / np.sqrt(3)) < 0.01 * limit
    with pytest.raises(ValueError, match="2D"):
        init.Identity()(shape=(2, 2, 2))


def test_normalization_mean_and_variance_after_adapt(rng):
    data = rng.normal(loc=3.0, scale=2.0, size=(500, 4)).astype(np.float32)
    norm = layers.Normalization()
    norm.adapt(data)
    np.testing.assert_allclose(norm.mean, data.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(norm.variance, data.var(axis=0), rtol=1e-4)
    model = swiftnet.Sequential([swiftnet.Input((4,)), norm])
    np.testing.assert_allclose(norm.mean, data.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(model.predict(data, verbose=0), (data - data.mean(0)) / data.std(0), rtol=1e-3, atol=1e-4)


def test_unknown_dimensions_take_their_size_from_each_batch(rng):
    inputs = swiftnet.Input((None, 3))
    hidden = layers.Dense(4, activation="tanh")(inputs)        # per time step
    pooled = ops.mean(hidden, axis=1)                           # over a length the data decides
    model = swiftnet.Model(inputs, layers.Dense(2)(pooled))
    assert model.output_shape == (None, 2) and hidden.shape == (None, None, 4)
    first, second = model.layers[1], model.layers[2]
    for length in (5, 9):
        x = rng.normal(size=(7, length, 3)).astype(np.float32)
        expected = dense(np.tanh(dense(x, first)).mean(axis=1), second)
        np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    model.compile(optimizer="adam", loss="mse")
    model.fit(rng.normal(size=(16, 6, 3)).astype(np.float32), np.zeros((16, 2)), verbose=0)
    with pytest.raises(ValueError, match="needs every input dimension known"):
        swiftnet.Model(inputs, layers.Conv2D(2, 3)(ops.expand_dims(inputs, -1)))


def test_integer_inputs_stay_integers(rng):
    ids = swiftnet.Input((6,), dtype="int32")

    class Lookup(layers.Layer):
        def build(self, input_shape):
            self.table = self.add_weight(shape=(20, 3), initializer="random_normal", name="table")

        def call(self, tokens):
            return ops.take(self.table, tokens, axis=0)

    lookup = Lookup()
    vectors = lookup(ids)
    assert vectors.dtype == "float32" and ids.dtype == "int32"
    model = swiftnet.Model(ids, layers.Dense(1)(ops.mean(vectors, axis=1) + ops.cast(ops.one_hot(ids[:, 0], 3), "float32")))
    x = rng.integers(0, 20, size=(10, 6))
    table = lookup.table.numpy()
    one_hot = (x[:, :1] == np.arange(3)).astype(np.float32)  # ids beyond the classes are all zeros, as in Keras
    expected = dense(table[x].mean(axis=1) + one_hot, model.layers[-1])
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones((10, 1)), verbose=0)
    assert not np.allclose(lookup.table.numpy(), table)  # the gradient reached the rows looked up
    np.testing.assert_array_equal(lookup.table.numpy()[np.setdiff1d(np.arange(20), x)], table[np.setdiff1d(np.arange(20), x)])
    with pytest.raises(TypeError, match="expects integers"):
        model.predict(x + 0.5, verbose=0)
    with pytest.raises(ValueError, match="out of range"):
        model.predict(x + 20, verbose=0)
    assert model.predict(x, verbose=0).shape == (10, 1)  # still usable


def test_masks_flow_from_compute_mask_to_call(rng):
    class ZeroMask(layers.Layer):
        """Passes values through and masks the steps whose features are all zero."""

        def call(self, x):
            return x

        def compute_mask(self, inputs, mask=None):
            return ops.any(ops.not_equal(inputs, 0), axis=-1)

    class MaskedMean(layers.Layer):
        def call(self, x, mask=None):
            weights = ops.cast(mask, "float32")[:, :, None]
            return ops.sum(x * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)

    inputs = swiftnet.Input((None, 2))
    masked = ZeroMask()(inputs)
    assert masked._keras_mask is not None and masked._keras_mask.shape == (None, None)
    scaled = layers.Dense(2, use_bias=False, kernel_initializer="identity")(masked)  # masks pass Dense
    model = swiftnet.Model(inputs, MaskedMean()(scaled))
    x = rng.normal(size=(4, 5, 2)).astype(np.float32)
    x[0, 3:] = 0
    x[2, :1] = 0
    keep = np.any(x != 0, axis=-1)[..., None]
    np.testing.assert_allclose(model.predict(x, verbose=0), (x * keep).sum(1) / keep.sum(1), rtol=1e-5, atol=1e-6)


def test_training_flag_picks_the_branch_in_custom_layers(rng):
    class Noisy(layers.Layer):
        def call(self, x, training=None):
            if training:
                return x + 100.0
            return x

    inputs = swiftnet.Input((2,))
    model = swiftnet.Model(inputs, Noisy()(inputs))
    x = np.ones((3, 2), np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    model.compile(optimizer="sgd", loss="mae")
    # In fit the training branch runs: the loss sees x + 100.
    assert model.evaluate(x, x, verbose=0) == pytest.approx(0.0)
    assert model.fit(x, x, verbose=0).history["loss"][0] == pytest.approx(100.0)


def test_custom_layer_state_updates_apply_after_each_step(rng):
    class Counter(layers.Layer):
        def build(self, input_shape):
            self.seen = self.add_weight(shape=(), initializer="zeros", trainable=False, name="seen")

        def call(self, x, training=None):
            if training:
                self.seen.assign(self.seen + ops.cast(ops.shape(x)[0] or ops.sum(ops.ones_like(x[:, 0])), "float32"))
            return x

    counter = Counter()
    inputs = swiftnet.Input((3,))
    model = swiftnet.Model(inputs, layers.Dense(1)(counter(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((50, 3), np.float32), np.ones((50, 1)), batch_size=16, epochs=2, verbose=0)
    assert float(counter.seen.numpy()) == 100.0
    model.predict(np.ones((10, 3), np.float32), verbose=0)
    assert float(counter.seen.numpy()) == 100.0


def test_summary_shows_connections_for_graphs(capsys):
    a, b = swiftnet.Input((3,), name="left"), swiftnet.Input((3,), name="right")
    model = swiftnet.Model([a, b], layers.Dense(1, name="out")(layers.Add(name="sum")([a, b])))
    model.summary()
    text = capsys.readouterr().out
    assert "Connected to" in text and "left[0][0], right[0][0]" in text and "sum[0][0]" in text


def test_malformed_graphs_get_keras_errors_and_models_stay_usable(rng):
    a, b = swiftnet.Input((3,)), swiftnet.Input((4,))
    with pytest.raises(ValueError, match="Graph disconnected"):
        swiftnet.Model(a, layers.Dense(2)(b))
    with pytest.raises(ValueError, match="requires inputs with matching shapes except for the concatenation axis"):
        layers.Concatenate(axis=-1)([swiftnet.Input((2, 3)), swiftnet.Input((4, 3))])
    with pytest.raises(ValueError, match="incompatible shapes"):
        layers.Add()([a, b])
    with pytest.raises(ValueError, match="at least 2 inputs"):
        layers.Add()([a])
    with pytest.raises(TypeError, match="cannot be used as a Python boolean"):
        if a > 0:
            pass
    with pytest.raises(TypeError, match="as a NumPy array"):
        np.asarray(a)
    with pytest.raises(ValueError, match="Cannot broadcast"):
        a + b
    with pytest.raises(ValueError, match="Inner dimensions"):
        ops.matmul(a, np.ones((5, 2), np.float32))

    class Branchy(layers.Layer):
        def call(self, x):
            return x if ops.sum(x) > 0 else -x

    with pytest.raises(TypeError, match="Python boolean"):
        Branchy()(a)
    model = swiftnet.Model(a, layers.Dense(2)(a))
    assert model.predict(rng.normal(size=(2, 3)), verbose=0).shape == (2, 2)


def test_bad_keys_and_dtypes_for_graph_inputs_get_clear_errors(rng):
    a, b = swiftnet.Input((3,), name="a"), swiftnet.Input((2,), dtype="int32", name="ids")
    features = layers.Concatenate()([a, ops.cast(b, "float32")])
    model = swiftnet.Model({"a": a, "ids": b}, {"out": layers.Dense(1, name="out")(features)})
    model.compile(optimizer="sgd", loss="mse")
    x, ids, y = rng.normal(size=(4, 3)), np.ones((4, 2), np.int32), rng.normal(size=(4, 1))
    with pytest.raises(ValueError, match="Unknown key 'c' in the dict of input"):
        model.fit({"a": x, "c": ids}, {"out": y}, verbose=0)
    with pytest.raises(ValueError, match="Unknown key 'nope' in the dict of output"):
        model.fit({"a": x, "ids": ids}, {"nope": y}, verbose=0)
    with pytest.raises(TypeError, match="expects integers"):
        model.predict({"a": x, "ids": np.full((4, 2), 1.5)}, verbose=0)
    with pytest.raises(ValueError, match="beyond the range of int32"):
        model.predict({"a": x, "ids": np.full((4, 2), 2**40)}, verbose=0)
    with pytest.raises(TypeError, match="hold numbers"):
        model.predict({"a": x, "ids": np.full((4, 2), "a")}, verbose=0)
    # Whole-number floats are ids too; the model is still usable after the errors.
    as_floats = model.predict({"a": x, "ids": np.ones((4, 2))}, verbose=0)["out"]
    np.testing.assert_array_equal(as_floats, model.predict({"a": x, "ids": ids}, verbose=0)["out"])
    model.fit({"a": x, "ids": ids}, {"out": y}, verbose=0)


def test_custom_dense_written_with_ops_trains_to_the_same_weights_as_dense(rng):
    """`ops.matmul` + bias + relu in a layer of your own is the same computation as `layers.Dense`;
    bench/custom_dense.py compares their speed."""
    class MyDense(layers.Layer):
        def __init__(self, units, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.units, self.activation = units, activation

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

        def call(self, x):
            y = ops.matmul(x, self.kernel) + self.bias
            return ops.relu(y) if self.activation == "relu" else y

    x = rng.random((512, 20), dtype=np.float32)
    y = rng.integers(0, 5, 512)
    models = []
    for cls in (layers.Dense, MyDense):
        model = swiftnet.Sequential([swiftnet.Input((20,)), cls(16, activation="relu"), cls(5)])
        model.compile(optimizer="adam", loss=swiftnet.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    histories = [m.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0).history for m in models]
    np.testing.assert_allclose(histories[1]["loss"], histories[0]["loss"], rtol=1e-5)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


def test_build_with_input_shapes_as_keras_does():
    sequential = swiftnet.Sequential([layers.Dense(2)])
    sequential.build((None, 1))
    assert sequential.output_shape == (None, 2) and [w.shape for w in sequential.get_weights()] == [(1, 2), (2,)]
    a, b = swiftnet.Input((3,)), swiftnet.Input((4,))
    model = swiftnet.Model([a, b], layers.Concatenate()([a, b]))
    model.build([(None, 3), (None, 4)])
    assert model.output_shape == (None, 7)
    with pytest.raises(ValueError, match="Expected an input shape"):
        swiftnet.Sequential([layers.Dense(2)]).build("wide")
