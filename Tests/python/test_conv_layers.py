"""Image layers: outputs against NumPy references with the same weights, Keras weight layouts,
training-time behaviour, and bad arguments."""

import numpy as np
import pytest

import reference
import swiftnet
from swiftnet import layers


def one_layer(layer, input_shape):
    return swiftnet.Sequential([swiftnet.Input(shape=input_shape), layer])


def randomize(model, rng, scale=0.5):
    model.set_weights([rng.normal(0, scale, w.shape).astype(np.float32) for w in model.get_weights()])
    return model.get_weights()


@pytest.mark.parametrize("kwargs,input_shape", [
    (dict(filters=4, kernel_size=3), (9, 8, 3)),
    (dict(filters=5, kernel_size=(2, 3), strides=2, padding="same"), (9, 8, 3)),
    (dict(filters=4, kernel_size=3, dilation_rate=2, padding="same"), (9, 9, 2)),
    (dict(filters=6, kernel_size=3, groups=2, padding="same"), (7, 7, 4)),
    (dict(filters=8, kernel_size=5), (32, 32, 3)),       # raw images take the direct kernels
    (dict(filters=3, kernel_size=1), (5, 5, 7)),
])
def test_conv2d_matches_numpy(kwargs, input_shape, rng):
    model = one_layer(layers.Conv2D(**kwargs), input_shape)
    kernel, bias = randomize(model, rng)
    assert kernel.shape == (*np.broadcast_to(kwargs["kernel_size"], 2), input_shape[-1] // kwargs.get("groups", 1),
                            kwargs["filters"])
    x = rng.normal(size=(6,) + input_shape).astype(np.float32)
    expected = reference.conv2d(x, kernel, strides=np.broadcast_to(kwargs.get("strides", 1), 2),
                                padding=kwargs.get("padding", "valid"),
                                dilation=np.broadcast_to(kwargs.get("dilation_rate", 1), 2),
                                groups=kwargs.get("groups", 1), bias=bias)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("strides,padding", [((2, 2), "valid"), ((2, 2), "same"), ((1, 1), "same"), ((3, 2), "valid")])
def test_conv2d_transpose_matches_numpy(strides, padding, rng):
    model = one_layer(layers.Conv2DTranspose(4, 3, strides=strides, padding=padding), (5, 4, 3))
    kernel, bias = randomize(model, rng)
    assert kernel.shape == (3, 3, 4, 3)
    x = rng.normal(size=(2, 5, 4, 3)).astype(np.float32)
    expected = reference.conv2d_transpose(x, kernel, strides, padding) + bias
    got = model.predict(x, verbose=0)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_depthwise_and_separable_match_numpy(rng):
    x = rng.normal(size=(3, 8, 7, 3)).astype(np.float32)
    depthwise = one_layer(layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (8, 7, 3))
    kernel, bias = randomize(depthwise, rng)
    assert kernel.shape == (3, 3, 3, 2) and bias.shape == (6,)
    np.testing.assert_allclose(depthwise.predict(x, verbose=0),
                               reference.depthwise_conv2d(x, kernel, padding="same") + bias, rtol=1e-4, atol=1e-4)
    separable = one_layer(layers.SeparableConv2D(5, 3), (8, 7, 3))
    dk, pk, bias = randomize(separable, rng)
    assert dk.shape == (3, 3, 3, 1) and pk.shape == (1, 1, 3, 5)
    expected = reference.conv2d(reference.depthwise_conv2d(x, dk), pk, bias=bias)
    np.testing.assert_allclose(separable.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("layer_class,op", [(layers.MaxPooling2D, "max"), (layers.AveragePooling2D, "mean")])
@pytest.mark.parametrize("pool,strides,padding", [((2, 2), None, "valid"), ((3, 3), (2, 2), "same"),
                                                  ((2, 3), (1, 2), "valid")])
@pytest.mark.parametrize("channels", [5, 37])
def test_pooling_matches_numpy(layer_class, op, pool, strides, padding, channels, rng):
    x = rng.normal(size=(4, 9, 8, channels)).astype(np.float32)
    model = one_layer(layer_class(pool_size=pool, strides=strides, padding=padding), (9, 8, channels))
    expected = reference.pool2d(x, pool, strides or pool, padding, op)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_global_pooling_padding_and_upsampling_match_numpy(rng):
    x = rng.normal(size=(3, 5, 4, 6)).astype(np.float32)
    checks = [
        (layers.GlobalAveragePooling2D(), x.mean(axis=(1, 2))),
        (layers.GlobalMaxPooling2D(keepdims=True), x.max(axis=(1, 2), keepdims=True)),
        (layers.ZeroPadding2D(((1, 2), (0, 3))), np.pad(x, ((0, 0), (1, 2), (0, 3), (0, 0)))),
        (layers.UpSampling2D((2, 3)), x.repeat(2, axis=1).repeat(3, axis=2)),
        (layers.UpSampling2D(2, interpolation="bilinear"), reference.resize_bilinear_half_pixel(x, 10, 8)),
    ]
    for layer, expected in checks:
        np.testing.assert_allclose(one_layer(layer, (5, 4, 6)).predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5,
                                   err_msg=type(layer).__name__)


def test_batch_normalization_inference_and_training(rng):
    model = one_layer(layers.BatchNormalization(momentum=0.9), (4, 4, 3))
    names = [w.name for w in model.weights]
    assert names == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.trainable for w in model.weights] == [True, True, False, False]
    gamma, beta = rng.normal(size=3).astype(np.float32), rng.normal(size=3).astype(np.float32)
    mean, var = rng.normal(size=3).astype(np.float32), rng.random(3).astype(np.float32) + 0.5
    model.set_weights([gamma, beta, mean, var])
    x = rng.normal(2, 3, size=(8, 4, 4, 3)).astype(np.float32)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    # One training step with lr 0: only the moving statistics move, towards the batch's (biased) ones.
    model.compile(optimizer=swiftnet.optimizers.SGD(0.0), loss="mse")
    model.fit(x, np.zeros_like(x), batch_size=8, epochs=1, verbose=0)
    _, _, new_mean, new_var = model.get_weights()
    np.testing.assert_allclose(new_mean, 0.9 * mean + 0.1 * x.mean(axis=(0, 1, 2)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(new_var, 0.9 * var + 0.1 * x.var(axis=(0, 1, 2)), rtol=1e-4, atol=1e-5)


def test_rescaling_and_normalization_adapt(rng):
    x = rng.normal(5, 2, size=(50, 3, 3, 2)).astype(np.float32)
    np.testing.assert_allclose(one_layer(layers.Rescaling(1 / 255, offset=-1), (3, 3, 2)).predict(x, verbose=0),
                               x / 255 - 1, rtol=1e-6, atol=1e-6)
    norm = layers.Normalization()
    norm.adapt(x)
    model = one_layer(norm, (3, 3, 2))
    mean, variance, count = model.get_weights()
    np.testing.assert_allclose(mean, x.reshape(-1, 2).mean(0), rtol=1e-5)
    np.testing.assert_allclose(variance, x.reshape(-1, 2).var(0), rtol=1e-4)
    assert count == 450
    out = model.predict(x, verbose=0)
    np.testing.assert_allclose(out.reshape(-1, 2).mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(out.reshape(-1, 2).std(0), 1, atol=1e-4)
    fixed = one_layer(layers.Normalization(axis=None, mean=3.0, variance=4.0), (3, 3, 2))
    np.testing.assert_allclose(fixed.predict(x, verbose=0), (x - 3) / 2, rtol=1e-6, atol=1e-6)


def test_augmentation_is_the_identity_at_inference(rng):
    x = rng.random((16, 12, 12, 3)).astype(np.float32) * 255
    for layer in [layers.RandomFlip(seed=1), layers.RandomTranslation(0.2, 0.2, seed=1),
                  layers.RandomRotation(0.2, seed=1), layers.RandomZoom(0.3, seed=1), layers.RandomContrast(0.5, seed=1)]:
        np.testing.assert_array_equal(one_layer(layer, (12, 12, 3)).predict(x, verbose=0), x)


def test_seeded_augmentation_training_is_reproducible(rng):
    x = rng.random((32, 10, 10, 1)).astype(np.float32)
    y = rng.integers(0, 2, 32)

    def train(seed):
        swiftnet.utils.set_random_seed(seed)
        model = swiftnet.Sequential([swiftnet.Input(shape=(10, 10, 1)), layers.RandomRotation(0.1),
                                     layers.RandomZoom(0.2), layers.Conv2D(2, 3), layers.Flatten(),
                                     layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        return model.get_weights()

    first, second, third = train(5), train(5), train(6)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(first, second))
    assert any(a.tobytes() != c.tobytes() for a, c in zip(first, third))


def test_random_crop_shapes(rng):
    x = rng.random((4, 10, 12, 3)).astype(np.float32)
    model = one_layer(layers.RandomCrop(6, 6, seed=1), (10, 12, 3))
    assert model.output_shape == (None, 6, 6, 3)
    # Inference: the centred 10x10 window resized to 6x6.
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               reference.resize_bilinear_half_pixel(x[:, :, 1:11], 6, 6), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("build,message", [
    (lambda: one_layer(layers.Conv2D(4, 5), (3, 3, 1)), "larger than the input"),
    (lambda: one_layer(layers.MaxPooling2D(4), (3, 3, 1)), "larger than the input"),
    (lambda: one_layer(layers.Conv2D(4, 3), (784,)), "expected ndim=4, found ndim=2"),
    (lambda: layers.Conv2D(-4, 3), "positive integer"),
    (lambda: layers.Conv2D(4, 0), "cannot contain 0 or negative"),
    (lambda: layers.Conv2D(4, 3, strides=-1), "cannot contain 0 or negative"),
    (lambda: layers.Conv2D(4, 3, padding="full"), "padding"),
    (lambda: one_layer(layers.Conv2D(6, 3, groups=4), (8, 8, 3)), "divisible"),
    (lambda: layers.ZeroPadding2D(-1), "negative"),
    (lambda: layers.RandomFlip("diagonal"), "unknown mode"),
    (lambda: layers.Conv2D(4, 3, data_format="channels_first"), "channels_last"),
])
def test_bad_arguments_raise_clear_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_channel_mismatch_in_weights_and_data(rng):
    model = one_layer(layers.Conv2D(8, 3), (10, 10, 3))
    kernel, bias = model.get_weights()
    with pytest.raises(ValueError, match=r"\(3, 3, 3, 8\) is not compatible with provided weight shape \(3, 3, 1, 8\)"):
        model.set_weights([kernel[:, :, :1], bias])
    with pytest.raises(ValueError, match=r"expected shape=\(None, 10, 10, 3\)"):
        model.predict(np.zeros((2, 10, 10, 1), np.float32), verbose=0)


def test_conv_model_trains_and_gradients_reach_every_layer(rng):
    # Images with one bright horizontal or vertical bar: the orientation is the class.
    n = 128
    x = rng.random((n, 12, 12, 1)).astype(np.float32) * 0.3
    y = rng.integers(0, 2, n)
    for i in range(n):
        k = rng.integers(2, 10)
        if y[i]:
            x[i, :, k, 0] += 1
        else:
            x[i, k, :, 0] += 1
    model = swiftnet.Sequential([swiftnet.Input(shape=(12, 12, 1)), layers.Conv2D(4, 3, padding="same"),
                                 layers.BatchNormalization(), layers.Activation("relu"), layers.MaxPooling2D(),
                                 layers.Conv2D(8, 3, activation="relu"), layers.GlobalAveragePooling2D(),
                                 layers.Dense(2, activation="softmax")])
    model.compile(optimizer=swiftnet.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.get_weights()
    history = model.fit(x, y, batch_size=16, epochs=20, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert history.history["accuracy"][-1] > 0.95


@pytest.mark.parametrize("pool,strides,padding", [((2, 2), None, "valid"), ((3, 3), (2, 2), "same")])
@pytest.mark.parametrize("channels", [6, 21])
def test_max_pooling_gradient_reaches_each_window_maximum(pool, strides, padding, channels, rng):
    import swiftnet
    x = rng.normal(size=(3, 9, 8, channels)).astype(np.float32)
    model = one_layer(layers.MaxPooling2D(pool_size=pool, strides=strides, padding=padding), (9, 8, channels))
    upstream = rng.normal(size=model.predict(x, verbose=0).shape).astype(np.float32)
    with swiftnet.GradientTape() as tape:
        tape.watch(x)
        loss = swiftnet.ops.sum(model(x) * upstream)
    gradient = tape.gradient(loss, x)
    # NumPy: each output's upstream gradient goes to the input its window took the maximum from.
    strides = strides or pool
    pad_h = reference.same_padding(9, pool[0], strides[0])[1:] if padding == "same" else (0, 0)
    pad_w = reference.same_padding(8, pool[1], strides[1])[1:] if padding == "same" else (0, 0)
    padded = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)), constant_values=-np.inf)
    expected = np.zeros_like(padded)
    for n in range(upstream.shape[0]):
        for i in range(upstream.shape[1]):
            for j in range(upstream.shape[2]):
                window = padded[n, i * strides[0]:i * strides[0] + pool[0], j * strides[1]:j * strides[1] + pool[1]]
                for c in range(channels):
                    a, b = np.unravel_index(np.argmax(window[:, :, c]), window.shape[:2])
                    expected[n, i * strides[0] + a, j * strides[1] + b, c] += upstream[n, i, j, c]
    expected = expected[:, pad_h[0]:pad_h[0] + 9, pad_w[0]:pad_w[0] + 8]
    np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-6)
