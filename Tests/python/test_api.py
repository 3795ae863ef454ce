"""The Keras-shaped API: building, naming, summary, weights, config, compile settings, callbacks."""

import re

import numpy as np
import pytest

import swiftnet
from swiftnet import layers


def mlp(**kwargs):
    return swiftnet.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(128, activation="relu"),
                                layers.Dropout(0.2), layers.Dense(10, activation="softmax")], **kwargs)


def test_the_three_ways_to_declare_the_input_agree(rng):
    with_input = swiftnet.Sequential([swiftnet.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(10)])
    with_kwarg = swiftnet.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(10)])
    deferred = swiftnet.Sequential([layers.Flatten(), layers.Dense(10)])
    assert with_input.built and with_kwarg.built and not deferred.built
    deferred.predict(rng.normal(size=(2, 28, 28)), verbose=0)  # builds from the data
    for model in (with_input, with_kwarg, deferred):
        assert model.output_shape == (None, 10)
        assert [w.shape for w in model.get_weights()] == [(784, 10), (10,)]


def test_functional_model_matches_sequential_with_same_weights(rng):
    inputs = swiftnet.Input(shape=(784,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    functional = swiftnet.Model(inputs=inputs, outputs=outputs, name="mnist_model")
    assert isinstance(functional, swiftnet.Model)
    assert functional.name == "mnist_model"
    assert x.shape == (None, 64) and outputs.shape == (None, 10)
    assert [type(l).__name__ for l in functional.layers] == ["InputLayer", "Dense", "Dense", "Dense"]
    sequential = swiftnet.Sequential([swiftnet.layers.Input(shape=(784,)), layers.Dense(64, activation="relu"),
                                      layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])
    sequential.set_weights(functional.get_weights())
    data = rng.normal(size=(9, 784)).astype(np.float32)
    np.testing.assert_array_equal(functional.predict(data, verbose=0), sequential.predict(data, verbose=0))
    functional.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = functional.fit(data, np.arange(9) % 10, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_functional_graph_errors():
    a = swiftnet.Input(shape=(3,))
    b = swiftnet.Input(shape=(3,))
    with pytest.raises(ValueError, match="Graph disconnected"):
        swiftnet.Model(inputs=a, outputs=layers.Dense(2)(b))
    # A layer called on arrays computes at once (building its weights), as in Keras.
    dense = layers.Dense(2)
    result = dense(np.ones((2, 3), np.float32))
    assert result.numpy().shape == (2, 2)
    np.testing.assert_allclose(result, np.ones((2, 3)) @ dense.kernel.numpy() + dense.bias.numpy(), rtol=1e-6)


def test_automatic_names_follow_keras():
    first, second = layers.Dense(1), layers.Dense(1)
    base = first.name
    suffix = int(base.split("_")[-1]) if "_" in base else 0
    assert second.name == f"dense_{suffix + 1}"
    assert layers.Activation("relu").name.startswith("activation")
    assert mlp().name.startswith("sequential")


def test_automatic_names_of_image_layers_are_keras_snake_case():
    from swiftnet._naming import snake_case
    assert [snake_case(n) for n in ["Conv2D", "MaxPooling2D", "BatchNormalization", "GlobalAveragePooling2D",
                                     "Conv2DTranspose", "DepthwiseConv2D", "ZeroPadding2D", "UpSampling2D"]] == [
        "conv2d", "max_pooling2d", "batch_normalization", "global_average_pooling2d", "conv2d_transpose",
        "depthwise_conv2d", "zero_padding2d", "up_sampling2d"]
    assert layers.Conv2D(2, 3).name.startswith("conv2d")


def test_summary_prints_keras_table(capsys):
    model = mlp(name="digits")
    model.summary()
    text = capsys.readouterr().out
    assert 'Model: "digits"' in text
    assert re.search(r"│ flatten\S* \(Flatten\)\s+│ \(None, 784\)\s+│\s+0 │", text)
    assert re.search(r"│ dense\S* \(Dense\)\s+│ \(None, 128\)\s+│\s+100,480 │", text)
    assert "Total params: 101,770 (397.54 KB)" in text
    assert "Trainable params: 101,770 (397.54 KB)" in text
    assert "Non-trainable params: 0 (0.00 B)" in text
    assert text.splitlines()[1].startswith("┏") and "┃ Layer (type)" in text


def test_summary_counts_optimizer_state_after_training(capsys, rng):
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(rng.random((8, 28, 28)), np.arange(8), verbose=0)
    model.summary()
    assert "Optimizer params: 203,542 (795.09 KB)" in capsys.readouterr().out


def test_history_keys_and_validation_split_takes_the_last_fraction(rng):
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = rng.random((100, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 100)
    history = model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.epoch == [0, 1] and model.history is history
    # The validation logs are an evaluation of the last 20 samples after the last epoch.
    loss, accuracy = model.evaluate(x[80:], y[80:], verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(accuracy)


def test_validation_data_and_initial_epoch(rng, capsys):
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    x = rng.random((30, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 30)
    history = model.fit(x, y, epochs=3, initial_epoch=1, validation_data=(x[:5], y[:5]), verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 2/3" in out and "Epoch 3/3" in out and "Epoch 1/3" not in out
    assert history.epoch == [1, 2]
    assert set(history.history) == {"acc", "loss", "val_acc", "val_loss"}
    assert re.search(r"1/1 ━+ \d+s \S+/step - acc: [\d.]+ - loss: [\d.]+ - val_acc: [\d.]+ - val_loss: [\d.]+", out)


def test_verbose_two_prints_one_line_per_epoch(rng, capsys):
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(rng.random((10, 28, 28)), np.arange(10), batch_size=4, epochs=2, verbose=2)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.strip()]
    assert lines[0] == "Epoch 1/2" and re.match(r"3/3 - \d+s - \S+/step - loss: [\d.]+$", lines[1])
    model.fit(rng.random((10, 28, 28)), np.arange(10), epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_return_forms(rng):
    model = mlp()
    x, y = rng.random((10, 28, 28)), np.arange(10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy", "sparse_categorical_accuracy"])
    assert len(model.evaluate(x, y, verbose=0)) == 3
    assert set(model.evaluate(x, y, verbose=0, return_dict=True)) == {"loss", "accuracy", "sparse_categorical_accuracy"}
    assert model.metrics_names == ["loss", "accuracy", "sparse_categorical_accuracy"]


def test_learning_rate_is_settable_after_compile(rng):
    model = mlp()
    model.compile(optimizer=swiftnet.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    model.optimizer.learning_rate = 0.0
    before = model.get_weights()
    model.fit(rng.random((8, 28, 28)), np.arange(8), verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # lr 0 moves nothing
    model.optimizer.learning_rate.assign(0.5)
    assert float(model.optimizer.learning_rate) == 0.5
    model.fit(rng.random((8, 28, 28)), np.arange(8), verbose=0)
    assert model.optimizer.iterations == 2
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_optimizer_defaults_are_keras_defaults():
    assert swiftnet.optimizers.Adam().get_config() == {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9,
                                                       "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}
    assert swiftnet.optimizers.SGD().get_config()["learning_rate"] == 0.01
    assert swiftnet.optimizers.RMSprop().get_config()["rho"] == 0.9
    assert swiftnet.optimizers.Adagrad().get_config()["initial_accumulator_value"] == 0.1


def test_layer_config_round_trip():
    dense = layers.Dense(7, activation="tanh", use_bias=False, kernel_initializer="he_normal", name="d")
    config = dense.get_config()
    assert config["units"] == 7 and config["activation"] == "tanh" and config["use_bias"] is False
    clone = layers.Dense.from_config(config)
    assert clone.get_config() == config
    model = mlp()
    rebuilt = swiftnet.Sequential.from_config(model.get_config())
    assert [type(l) for l in rebuilt.layers] == [type(l) for l in model.layers]
    assert rebuilt.output_shape == model.output_shape


def test_add_and_pop_keep_existing_weights(rng):
    model = swiftnet.Sequential([swiftnet.Input(shape=(4,)), layers.Dense(3)])
    kernel = model.layers[0].get_weights()[0]
    model.add(layers.Dense(2))
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], kernel)
    assert model.output_shape == (None, 2)
    model.pop()
    assert model.output_shape == (None, 3)


def test_frozen_layer_keeps_its_weights(rng):
    model = swiftnet.Sequential([swiftnet.Input(shape=(4,)), layers.Dense(8), layers.Dense(2)])
    model.layers[0].trainable = False
    model.compile(optimizer="adam", loss="mse")
    frozen = model.layers[0].get_weights()
    model.fit(rng.normal(size=(16, 4)), rng.normal(size=(16, 2)), epochs=2, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2


def test_initializers_follow_keras_distributions():
    model = swiftnet.Sequential([swiftnet.Input(shape=(400,)),
                                 layers.Dense(300, kernel_initializer="glorot_uniform", bias_initializer="ones"),
                                 layers.Dense(300, kernel_initializer=swiftnet.initializers.HeNormal(seed=3)),
                                 layers.Dense(300, kernel_initializer=swiftnet.initializers.RandomUniform(-0.2, 0.2)),
                                 layers.Dense(300, kernel_initializer="zeros")])
    w = model.get_weights()
    limit = np.sqrt(6 / (400 + 300))
    assert np.abs(w[0]).max() <= limit and np.abs(w[0]).max() > 0.99 * limit
    assert np.std(w[0]) == pytest.approx(limit / np.sqrt(3), rel=0.02)
    np.testing.assert_array_equal(w[1], 1)
    assert np.std(w[2]) == pytest.approx(np.sqrt(2 / 300), rel=0.03)  # truncated normal, rescaled
    assert np.abs(w[2]).max() <= 2 * np.sqrt(2 / 300) / 0.87962566103423978 + 1e-6
    assert w[4].min() >= -0.2 and w[4].max() <= 0.2 and w[4].max() > 0.19
    np.testing.assert_array_equal(w[6], 0)


def test_seeded_initializer_is_reproducible():
    make = lambda: swiftnet.Sequential([swiftnet.Input(shape=(5,)), layers.Dense(
        4, kernel_initializer=swiftnet.initializers.GlorotNormal(seed=11))]).get_weights()[0]
    np.testing.assert_array_equal(make(), make())


def test_callbacks_early_stopping_and_scheduler(rng):
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = rng.random((20, 28, 28)), rng.integers(0, 10, 20)
    stopper = swiftnet.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=100)
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[stopper])
    assert len(history.epoch) == 2 and stopper.stopped_epoch == 1
    rates = []
    scheduler = swiftnet.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[scheduler])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])


def test_to_categorical():
    np.testing.assert_array_equal(swiftnet.utils.to_categorical([0, 2, 1], 3),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert swiftnet.utils.to_categorical(np.array([[1], [3]])).shape == (2, 4)


def test_arrays_are_passed_without_copy_and_array_likes_accepted(rng):
    from swiftnet._arrays import as_float32
    x = rng.random((5, 3)).astype(np.float32)
    assert as_float32(x, "x") is x
    assert as_float32(x.T, "x").flags.c_contiguous
    assert as_float32([[1, 2], [3, 4]], "x").dtype == np.float32
    assert as_float32(memoryview(np.ones((2, 2), np.float64)), "x").dtype == np.float32
    unaligned = np.frombuffer(b"\0" + np.arange(6, dtype=np.float32).tobytes(), dtype=np.float32, offset=1).reshape(2, 3)
    assert not unaligned.flags.aligned
    converted = as_float32(unaligned, "x")
    assert converted.flags.aligned and np.array_equal(converted, unaligned)
