"""Parity with Keras 3 itself (JAX backend): the same weights give the same predictions, and one
training step gives the same weights. Skipped when Keras is not installed."""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

import swiftnet  # noqa: E402
from swiftnet import layers  # noqa: E402


def both(build):
    """The same architecture in Keras and swiftnet, swiftnet holding Keras's initial weights."""
    k_model = build(keras)
    s_model = build(swiftnet)
    s_model.set_weights(k_model.get_weights())
    return k_model, s_model


def mlp(lib):
    return lib.Sequential([lib.Input(shape=(28, 28)), lib.layers.Flatten(), lib.layers.Dense(64, activation="gelu"),
                           lib.layers.Dense(32, activation="selu"), lib.layers.Dense(10, activation="softmax")])


def convnet(lib):
    return lib.Sequential([
        lib.Input(shape=(28, 28, 1)),
        lib.layers.Conv2D(8, (3, 3), activation="relu"),
        lib.layers.MaxPooling2D((2, 2)),
        lib.layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False),
        lib.layers.BatchNormalization(),
        lib.layers.Activation("relu"),
        lib.layers.DepthwiseConv2D(3, padding="same"),
        lib.layers.AveragePooling2D(2, padding="same"),
        lib.layers.Conv2DTranspose(4, 3, strides=2),
        lib.layers.GlobalAveragePooling2D(),
        lib.layers.Dense(10, activation="softmax"),
    ])


def image_layers(lib):
    return lib.Sequential([
        lib.Input(shape=(12, 10, 3)),
        lib.layers.Rescaling(1 / 255, offset=-0.5),
        lib.layers.Normalization(mean=[0.1, -0.2, 0.3], variance=[1.0, 2.0, 0.5]),
        lib.layers.ZeroPadding2D(((1, 2), (0, 1))),
        lib.layers.SeparableConv2D(6, 3, depth_multiplier=2, padding="same", activation="elu"),
        lib.layers.MaxPooling2D(3, strides=2, padding="same"),
        lib.layers.UpSampling2D(2, interpolation="bilinear"),
        lib.layers.Conv2D(4, 3, dilation_rate=2, activation="swish"),
        lib.layers.UpSampling2D((1, 2)),
        lib.layers.Conv2D(6, 1, groups=2),
        lib.layers.RandomFlip(), lib.layers.RandomRotation(0.2), lib.layers.RandomZoom(0.2),
        lib.layers.GlobalMaxPooling2D(),
        lib.layers.Dense(3, activation="softmax"),
    ])


@pytest.mark.parametrize("build,shape", [(mlp, (28, 28)), (convnet, (28, 28, 1)), (image_layers, (12, 10, 3))])
def test_same_weights_same_predictions(build, shape, rng):
    k_model, s_model = both(build)
    assert [w.shape for w in s_model.get_weights()] == [tuple(w.shape) for w in k_model.get_weights()]
    x = rng.random((64,) + shape).astype(np.float32) * (255 if build is image_layers else 1)
    np.testing.assert_allclose(s_model.predict(x, verbose=0), np.asarray(k_model.predict(x, verbose=0)),
                               rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adagrad"])
def test_one_training_step_matches(optimizer, rng):
    k_model, s_model = both(convnet)
    x = rng.random((32, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    for model in (k_model, s_model):
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    k_logs = k_model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0).history
    s_logs = s_model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0).history
    assert s_logs["loss"][0] == pytest.approx(k_logs["loss"][0], rel=1e-4)
    assert s_logs["accuracy"][0] == pytest.approx(k_logs["accuracy"][0])
    for s_weight, k_weight in zip(s_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(s_weight, np.asarray(k_weight), rtol=1e-3, atol=1e-5)


def test_evaluate_matches_on_regression_and_binary_tasks(rng):
    for loss, activation, metric in [("mse", "linear", "mae"), ("binary_crossentropy", "sigmoid", "accuracy")]:
        def build(lib):
            return lib.Sequential([lib.Input(shape=(6,)), lib.layers.Dense(8, activation="tanh"),
                                   lib.layers.Dense(1, activation=activation)])
        k_model, s_model = both(build)
        x = rng.normal(size=(40, 6)).astype(np.float32)
        y = (rng.random((40, 1)) > 0.5).astype(np.float32)
        for model in (k_model, s_model):
            model.compile(optimizer="adam", loss=loss, metrics=[metric])
        k_result = k_model.evaluate(x, y, verbose=0, return_dict=True)
        s_result = s_model.evaluate(x, y, verbose=0, return_dict=True)
        for key in k_result:
            assert s_result[key] == pytest.approx(k_result[key], rel=1e-4, abs=1e-6), (loss, key)
