"""The engine's numbers against the NumPy re-implementation of Keras semantics in reference.py."""

import numpy as np
import pytest

import reference
import swiftnet
from swiftnet import layers


def build_mlp(activations, sizes=(6, 5, 4), seed_weights=0):
    rng = np.random.default_rng(seed_weights)
    model = swiftnet.Sequential([swiftnet.Input(shape=(sizes[0],))] +
                                [layers.Dense(n, activation=a) for n, a in zip(sizes[1:], activations)])
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weights.append((rng.normal(0, 0.5, (n_in, n_out)).astype(np.float32),
                        rng.normal(0, 0.1, n_out).astype(np.float32)))
    model.set_weights([w for pair in weights for w in pair])
    return model, weights


@pytest.mark.parametrize("activation", reference.ACTIVATIONS.keys())
def test_forward_pass_of_every_activation_matches_numpy(activation, rng):
    model, weights = build_mlp([activation, "softmax"])
    x = rng.normal(0, 1.5, (37, 6)).astype(np.float32)
    expected = reference.mlp_forward(x, weights, [activation, "softmax"])
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=2e-5, atol=2e-6)


def test_weights_use_keras_layout_and_order():
    model, weights = build_mlp(["relu", "softmax"])
    got = model.get_weights()
    assert [w.shape for w in got] == [(6, 5), (5,), (5, 4), (4,)]
    for actual, expected in zip(got, [w for pair in weights for w in pair]):
        np.testing.assert_array_equal(actual, expected)
    assert [w.path for w in model.weights] == [f"{model.layers[0].name}/kernel", f"{model.layers[0].name}/bias",
                                               f"{model.layers[1].name}/kernel", f"{model.layers[1].name}/bias"]


def one_step(model, x, y, **fit_kwargs):
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0, **fit_kwargs)
    return model.get_weights()


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
def test_one_sgd_step_matches_numpy_backpropagation(hidden, rng):
    model, weights = build_mlp([hidden, "softmax"])
    x = rng.normal(size=(16, 6)).astype(np.float32)
    y = rng.integers(0, 4, 16)
    model.compile(optimizer=swiftnet.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    grads = reference.mlp_gradients_softmax_ce(x, y, weights, hidden)
    expected = reference.sgd_step([w for pair in weights for w in pair], grads, lr=0.1)
    for actual, want in zip(one_step(model, x, y), expected):
        np.testing.assert_allclose(actual, want, rtol=1e-5, atol=1e-6)


def test_two_adam_steps_match_numpy(rng):
    model, weights = build_mlp(["relu", "softmax"])
    x = rng.normal(size=(16, 6)).astype(np.float32)
    y = rng.integers(0, 4, 16)
    model.compile(optimizer=swiftnet.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    flat = [w.astype(np.float64) for pair in weights for w in pair]
    m = [np.zeros_like(w) for w in flat]
    v = [np.zeros_like(w) for w in flat]
    for step in (1, 2):
        pairs = [(flat[0], flat[1]), (flat[2], flat[3])]
        grads = reference.mlp_gradients_softmax_ce(x, y, pairs, "relu")
        flat = reference.adam_step(flat, grads, step, lr=0.01, m=m, v=v)
        actual = one_step(model, x, y)
        for a, want in zip(actual, flat):
            np.testing.assert_allclose(a, want, rtol=1e-4, atol=2e-6)


def test_sgd_with_nesterov_momentum_matches_numpy(rng):
    model, weights = build_mlp(["tanh", "softmax"])
    x = rng.normal(size=(8, 6)).astype(np.float32)
    y = rng.integers(0, 4, 8)
    model.compile(optimizer=swiftnet.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                  loss="sparse_categorical_crossentropy")
    flat = [w.astype(np.float64) for pair in weights for w in pair]
    velocity = [np.zeros_like(w) for w in flat]
    for _ in range(3):
        grads = reference.mlp_gradients_softmax_ce(x, y, [(flat[0], flat[1]), (flat[2], flat[3])], "tanh")
        flat = reference.sgd_step(flat, grads, lr=0.05, momentum=0.9, nesterov=True, velocity=velocity)
        actual = one_step(model, x, y)
    for a, want in zip(actual, flat):
        np.testing.assert_allclose(a, want, rtol=1e-4, atol=2e-6)


@pytest.mark.parametrize("loss,activation,from_logits", [
    ("mse", "linear", False), ("mae", "linear", False),
    ("binary_crossentropy", "sigmoid", False), ("binary_crossentropy", "linear", True),
    ("categorical_crossentropy", "softmax", False), ("categorical_crossentropy", "linear", True),
    ("sparse_categorical_crossentropy", "softmax", False), ("sparse_categorical_crossentropy", "linear", True),
])
def test_evaluate_loss_matches_numpy(loss, activation, from_logits, rng):
    outputs = 1 if loss == "binary_crossentropy" else 3
    model = swiftnet.Sequential([swiftnet.Input(shape=(5,)), layers.Dense(outputs, activation=activation)])
    x = rng.normal(size=(50, 5)).astype(np.float32)
    if loss == "sparse_categorical_crossentropy":
        y = rng.integers(0, 3, 50)
    elif loss == "categorical_crossentropy":
        y = swiftnet.utils.to_categorical(rng.integers(0, 3, 50), 3)
    elif loss == "binary_crossentropy":
        y = rng.integers(0, 2, (50, 1)).astype(np.float32)
    else:
        y = rng.normal(size=(50, outputs)).astype(np.float32)
    loss_object = {"binary_crossentropy": swiftnet.losses.BinaryCrossentropy,
                   "categorical_crossentropy": swiftnet.losses.CategoricalCrossentropy,
                   "sparse_categorical_crossentropy": swiftnet.losses.SparseCategoricalCrossentropy}
    spec = loss_object[loss](from_logits=True) if from_logits else loss
    model.compile(optimizer="sgd", loss=spec)
    kernel, bias = model.layers[0].get_weights()
    logits = x.astype(np.float64) @ kernel + bias
    prediction = logits if from_logits else reference.ACTIVATIONS[activation](logits)
    expected = reference.loss(loss, y, prediction, from_logits=from_logits)
    assert model.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_saturated_softmax_gives_finite_loss_and_gradient():
    model = swiftnet.Sequential([swiftnet.Input(shape=(2,)), layers.Dense(3, activation="softmax")])
    model.set_weights([np.array([[200, -200, 0], [0, 0, 0]], np.float32), np.zeros(3, np.float32)])
    model.compile(optimizer=swiftnet.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    x = np.array([[1, 0], [1, 0]], np.float32)
    y = np.array([1, 2])  # confidently wrong: probabilities of the true class underflow to 0
    history = model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and history.history["loss"][0] > 100
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_metrics_match_numpy(rng):
    model = swiftnet.Sequential([swiftnet.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=["accuracy", "mse", "mae", swiftnet.metrics.CategoricalAccuracy(name="cat")])
    x = rng.normal(size=(40, 4)).astype(np.float32)
    y = swiftnet.utils.to_categorical(rng.integers(0, 3, 40), 3)
    result = model.evaluate(x, y, return_dict=True, verbose=0)
    p = model.predict(x, verbose=0)
    assert result["accuracy"] == pytest.approx(np.mean(p.argmax(1) == y.argmax(1)))
    assert result["cat"] == result["accuracy"]
    assert result["mse"] == pytest.approx(np.mean((p - y) ** 2), rel=1e-5)
    assert result["mae"] == pytest.approx(np.mean(np.abs(p - y)), rel=1e-5)


def test_binary_accuracy_is_chosen_for_one_output(rng):
    model = swiftnet.Sequential([swiftnet.Input(shape=(4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = rng.integers(0, 2, 64)
    loss, accuracy = model.evaluate(x, y, verbose=0)
    p = model.predict(x, verbose=0)[:, 0]
    assert accuracy == pytest.approx(np.mean((p > 0.5) == y))


def test_training_metrics_are_averaged_over_the_epoch(rng):
    """Keras reports the mean over every sample of the epoch, not the last batch."""
    model = swiftnet.Sequential([swiftnet.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=swiftnet.optimizers.SGD(0.0), loss="mse", metrics=["mae"])
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = rng.normal(size=(50, 1)).astype(np.float32)
    history = model.fit(x, y, batch_size=7, epochs=1, verbose=0)  # lr 0: the weights do not move
    p = model.predict(x, verbose=0)
    assert history.history["loss"][0] == pytest.approx(np.mean((p - y) ** 2), rel=1e-5)
    assert history.history["mae"][0] == pytest.approx(np.mean(np.abs(p - y)), rel=1e-5)
