"""A model's own `train_step` / `test_step` traced into the engine: `fit` runs whole chunks of steps in
Swift. References: the same step run eagerly (`run_eagerly=True`, itself checked against Keras in
test_custom_training.py), the built-in `fit`, and Keras 3 on JAX."""

import warnings

import numpy as np
import pytest

import swiftnet
from swiftnet import layers, ops
from test_custom_training import GuideModel, _gan_parts, _keras_gan_steps


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def _guide_pair(x):
    """Two GuideModels with the same weights."""
    a, b = GuideModel(), GuideModel()
    a(x[:2])
    b(x[:2])
    b.set_weights(a.get_weights())
    return a, b


def _no_eager_fallback():
    """Fails the test if a step falls back to eager execution."""
    return warnings.catch_warnings()


@pytest.mark.parametrize("weighted", [False, True])
def test_traced_step_matches_the_eager_step(rng, weighted):
    # 50 samples in batches of 16: three full batches and a tail of 2 (a second trace).
    x = rng.normal(size=(50, 4)).astype(np.float32)
    y = rng.normal(size=(50, 1)).astype(np.float32)
    sample_weight = rng.uniform(0.2, 2.0, size=(50,)).astype(np.float32) if weighted else None
    traced, eager = _guide_pair(x)
    traced.compile(optimizer=swiftnet.optimizers.Adam(0.02), loss="mse", metrics=["mae"])
    eager.compile(optimizer=swiftnet.optimizers.Adam(0.02), loss="mse", metrics=["mae"], run_eagerly=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h1 = traced.fit(x, y, sample_weight=sample_weight, batch_size=16, epochs=3, shuffle=False, verbose=0)
    h2 = eager.fit(x, y, sample_weight=sample_weight, batch_size=16, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key in ("loss", "mae"):
        np.testing.assert_allclose(h1.history[key], h2.history[key], rtol=1e-5)
    assert traced.optimizer.iterations == eager.optimizer.iterations == 12
    # The metric states come back to Python after the pass: result() is the last log.
    np.testing.assert_allclose(float(traced.metrics[0].result()), h1.history["loss"][-1], rtol=1e-6)


def test_the_step_is_traced_once_per_batch_size_not_called_per_batch(rng):
    calls = []

    class Counted(GuideModel):
        def train_step(self, data):
            calls.append(1)
            return super().train_step(data)

    x = rng.normal(size=(100, 4)).astype(np.float32)
    y = rng.normal(size=(100, 1)).astype(np.float32)
    model = Counted()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=10, epochs=3, verbose=0)
    assert len(calls) == 1            # 10 full batches per epoch, one trace
    model.fit(x, y, batch_size=30, epochs=1, verbose=0)
    assert len(calls) == 3            # batches of 30 and a tail of 10: two traces
    assert model.optimizer.iterations == 34


class NoiseInDataGAN(swiftnet.Model):
    """The GAN step of test_custom_training, its noise given with each batch (so that it can be
    compared step by step with Keras)."""

    def __init__(self, discriminator, generator):
        super().__init__()
        self.discriminator, self.generator = discriminator, generator
        self.d_loss_tracker = swiftnet.metrics.Mean(name="d_loss")
        self.g_loss_tracker = swiftnet.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, data):
        real_images, z1, z2 = data
        batch_size = ops.shape(real_images)[0]
        generated = self.generator(z1)
        combined = ops.concatenate([generated, real_images], axis=0)
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)
        with swiftnet.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(combined))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        with swiftnet.GradientTape() as tape:
            g_loss = self.loss_fn(ops.zeros((batch_size, 1)), self.discriminator(self.generator(z2)))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_tracker.reset_state()
        self.g_loss_tracker.reset_state()
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def test_traced_gan_steps_match_keras_jax(rng):
    latent, features, batch, steps = 4, 8, 8, 3
    generator, discriminator = _gan_parts(swiftnet, latent, features)
    real = rng.normal(loc=1.0, size=(batch * steps, features)).astype(np.float32)
    z1 = rng.normal(size=(batch * steps, latent)).astype(np.float32)
    z2 = rng.normal(size=(batch * steps, latent)).astype(np.float32)
    g_weights, d_weights = generator.get_weights(), discriminator.get_weights()
    gan = NoiseInDataGAN(discriminator, generator)
    gan.compile(d_optimizer=swiftnet.optimizers.Adam(1e-3), g_optimizer=swiftnet.optimizers.Adam(2e-3),
                loss_fn=swiftnet.losses.BinaryCrossentropy(from_logits=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = gan.fit((real, z1, z2), batch_size=batch, epochs=1, shuffle=False, verbose=0)
    rows = [slice(i * batch, (i + 1) * batch) for i in range(steps)]
    expected_g, expected_d, losses = _keras_gan_steps(g_weights, d_weights, [real[r] for r in rows],
                                                      [(z1[r], z2[r]) for r in rows], latent, features)
    for a, b in zip(generator.get_weights(), expected_g):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for a, b in zip(discriminator.get_weights(), expected_d):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # The epoch's logs are the last step's.
    np.testing.assert_allclose([history.history["d_loss"][0], history.history["g_loss"][0]], losses[-1], rtol=1e-4)
    assert gan.d_optimizer.iterations == steps and gan.g_optimizer.iterations == steps


def test_random_draws_in_a_traced_step_are_new_every_step_and_seeded(rng):
    class Draws(GuideModel):
        def train_step(self, data):
            x, y = data
            logs = super().train_step((x + 0.01 * swiftnet.random.normal((ops.shape(x)[0], 4)), y))
            logs["draw"] = ops.mean(swiftnet.random.normal((ops.shape(x)[0], 64)))
            return logs

    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.normal(size=(16, 1)).astype(np.float32)

    def run():
        swiftnet.utils.set_random_seed(3)
        model = Draws()
        model.compile(optimizer="sgd", loss="mse")
        return model.fit(x, y, batch_size=8, epochs=4, verbose=0).history["draw"]

    first, second = run(), run()
    assert len(set(first)) == 4                 # a new draw every step
    np.testing.assert_array_equal(first, second)  # the same with the same seed
    assert all(abs(d) < 0.5 for d in first)


def test_persistent_tape_gives_two_gradients_in_a_traced_step(rng):
    class TwoLosses(GuideModel):
        def train_step(self, data):
            x, y = data
            with swiftnet.GradientTape(persistent=True) as tape:
                y_pred = self(x, training=True)
                squared = ops.mean(ops.square(y_pred - y))
                absolute = ops.mean(ops.absolute(y_pred - y))
            variables = self.trainable_variables
            g1, g2 = tape.gradient(squared, variables), tape.gradient(absolute, variables)
            self.optimizer.apply([a + 0.5 * b for a, b in zip(g1, g2)], variables)
            return {"squared": squared, "absolute": absolute}

    x = rng.normal(size=(24, 4)).astype(np.float32)
    y = rng.normal(size=(24, 1)).astype(np.float32)
    traced, eager = TwoLosses(), TwoLosses()
    traced(x[:2])
    eager(x[:2])
    eager.set_weights(traced.get_weights())
    traced.compile(optimizer=swiftnet.optimizers.SGD(0.1), loss="mse")
    eager.compile(optimizer=swiftnet.optimizers.SGD(0.1), loss="mse", run_eagerly=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h1 = traced.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    h2 = eager.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h1.history["absolute"], h2.history["absolute"], rtol=1e-5)


def test_functional_subclass_with_batch_norm_matches_built_in_fit(rng):
    class CustomModel(swiftnet.Model):
        def train_step(self, data):
            x, y = data
            with swiftnet.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            self.optimizer.apply(tape.gradient(loss, self.trainable_variables), self.trainable_variables)
            return {"loss": loss}

    def build(cls):
        inputs = layers.Input(shape=(5,))
        hidden = layers.BatchNormalization()(layers.Dense(6)(inputs))
        return cls(inputs, layers.Dense(1)(layers.Activation("relu")(hidden)))

    x = rng.normal(size=(32, 5)).astype(np.float32)
    y = rng.normal(size=(32, 1)).astype(np.float32)
    custom = build(CustomModel)
    assert isinstance(custom, CustomModel) and custom.outputs is not None
    reference = build(swiftnet.Model)
    reference.set_weights(custom.get_weights())
    for model in (custom, reference):
        model.compile(optimizer=swiftnet.optimizers.SGD(0.05), loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    # Weights and batch normalization's moving statistics alike.
    for a, b in zip(custom.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_python_control_flow_on_tensor_values_names_the_line(rng):
    class Branchy(GuideModel):
        def train_step(self, data):
            logs = super().train_step(data)
            if logs["loss"] > 100.0:    # needs the value: cannot be traced
                raise RuntimeError("diverged")
            return logs

    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.normal(size=(16, 1)).astype(np.float32)
    model = Branchy()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError) as error:
        model.fit(x, y, batch_size=8, verbose=0)
    message = str(error.value)
    assert "test_traced_step.py, line" in message and 'if logs["loss"] > 100.0' in message
    assert "run_eagerly=True" in message
    # The model is usable, and runs the same step eagerly when asked to.
    before = model.get_weights()
    assert model.predict(x, verbose=0).shape == (16, 1)
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


def test_a_step_the_tracer_cannot_take_runs_eagerly_with_a_warning(rng):
    class Scaled(GuideModel):
        """Trains a free-standing variable beside the model's weights."""

        def __init__(self):
            super().__init__()
            self.scale = swiftnet.Variable(value=np.float32(1.0), name="scale")

        def train_step(self, data):
            x, y = data
            variables = self.trainable_variables + [self.scale]
            with swiftnet.GradientTape() as tape:
                loss = ops.mean(ops.square(self(x, training=True) * self.scale - y))
            self.optimizer.apply(tape.gradient(loss, variables), variables)
            return {"loss": loss}

    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.normal(size=(16, 1)).astype(np.float32)
    model = Scaled()
    model.compile(optimizer=swiftnet.optimizers.SGD(0.1), loss="mse")
    with pytest.warns(UserWarning, match="runs eagerly"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert model.scale.numpy() != 1.0


def test_non_finite_data_is_a_clear_error_and_the_model_stays_usable(rng):
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.normal(size=(16, 1)).astype(np.float32)
    x[11, 2] = np.nan
    model = GuideModel()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="NaN or infinite values.*sample 11"):
        model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())
    x[11, 2] = 0.0
    assert np.isfinite(model.fit(x, y, batch_size=8, verbose=0).history["loss"][0])


def test_non_scalar_gradient_target_is_a_clear_error(rng):
    class Vector(GuideModel):
        def train_step(self, data):
            x, y = data
            with swiftnet.GradientTape() as tape:
                errors = ops.square(self(x, training=True) - y)
            self.optimizer.apply(tape.gradient(errors, self.trainable_variables), self.trainable_variables)
            return {"loss": ops.mean(errors)}

    x = rng.normal(size=(8, 4)).astype(np.float32)
    y = rng.normal(size=(8, 1)).astype(np.float32)
    model = Vector()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="must be a scalar"):
        model.fit(x, y, batch_size=4, verbose=0)
    assert model.predict(x, verbose=0).shape == (8, 1)


def test_traced_test_step_drives_evaluate_and_validation(rng):
    calls = []

    class Scored(GuideModel):
        def test_step(self, data):
            calls.append(1)
            x, y = data
            return {"abs_error": ops.mean(ops.absolute(self(x) - y))}

    x = rng.normal(size=(40, 4)).astype(np.float32)
    y = rng.normal(size=(40, 1)).astype(np.float32)
    model = Scored()
    model.compile(optimizer="sgd", loss="mse")
    result = model.evaluate(x, y, batch_size=40, return_dict=True, verbose=0)
    np.testing.assert_allclose(result["abs_error"], np.mean(np.abs(model.predict(x, verbose=0) - y)), rtol=1e-5)
    assert len(calls) == 1
    history = model.fit(x, y, batch_size=8, epochs=2, validation_data=(x[:16], y[:16]), verbose=0)
    assert len(history.history["val_abs_error"]) == 2


def test_custom_predict_step_is_traced_and_matches_the_model(rng):
    calls = []

    class Rescaled(GuideModel):
        def predict_step(self, data):
            calls.append(1)
            y = self(data, training=False)
            return {"scaled": 2.0 * y + 1.0, "positive": y > 0.0}

    x = rng.normal(size=(45, 4)).astype(np.float32)
    model = Rescaled()
    model(x[:2])
    outputs = model.predict(x, batch_size=20, verbose=0)
    assert len(calls) == 2            # batches of 20 and a tail of 5
    reference = GuideModel()
    reference(x[:2])
    reference.set_weights(model.get_weights())
    expected = reference.predict(x, verbose=0)
    np.testing.assert_allclose(outputs["scaled"], 2.0 * expected + 1.0, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(outputs["positive"], (expected > 0).astype(np.float32))
    # Eagerly, batch by batch, the same.
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    eager = model.predict(x, batch_size=20, verbose=0)
    np.testing.assert_allclose(eager["scaled"], outputs["scaled"], rtol=1e-6)
    assert len(calls) == 5


def test_arrays_combined_with_symbolic_tensors_defer_to_them():
    from swiftnet.keras_tensor import KerasTensor
    t = KerasTensor((4, 1))
    for result in (np.ones((4, 1), np.float32) + t, np.ones((4, 1)) * t, np.float32(2) - t):
        assert isinstance(result, KerasTensor) and result.shape == (4, 1)


def test_many_traced_fits_keep_memory_flat(rng):
    import gc

    def resident_mib():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20

    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model = GuideModel()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    for _ in range(50):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    gc.collect()
    before, calls = resident_mib(), [len(layer._inbound_nodes) for layer in model.layers]
    for _ in range(300):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    gc.collect()
    assert resident_mib() - before < 4.0
    # The traces leave no calls behind in the layers' graphs.
    assert [len(layer._inbound_nodes) for layer in model.layers] == calls


def _step_session(spec, arrays, engines=(), optimizers=(), options=None):
    import ctypes
    from swiftnet import _library
    data = _library.NativeDataset(arrays)
    engine_handles = (_library._handle * max(len(engines), 1))(*[e.handle for e in engines])
    optimizer_handles = (_library._handle * max(len(optimizers), 1))(*[o.handle for o in optimizers])
    handle = _library._handle()
    _library.check(_library.lib.sn_step_session_create(
        _library.to_json(spec), data.handle, engine_handles, len(engines), optimizer_handles, len(optimizers),
        _library.to_json(options or {"batch_size": 4}), ctypes.byref(handle)))
    try:
        finished, done = ctypes.c_int32(), ctypes.c_int64()
        _library.check(_library.lib.sn_step_session_run(handle, 10, 0.0, ctypes.byref(finished), ctypes.byref(done)))
    finally:
        _library.lib.sn_step_session_free(handle)
        data.close()


@pytest.mark.parametrize("program", [
    {"rows": 4, "nodes": [{"data": 5}], "outputs": []},
    {"rows": 4, "nodes": [{"op": "no_such_op", "inputs": []}], "outputs": []},
    {"rows": 4, "nodes": [{"op": "add", "inputs": [[0, 0], [0, 0]]}], "outputs": []},
    {"rows": 4, "nodes": [{"data": 0}, {"op": "add", "inputs": [[0, 3], [0, 0]]}], "outputs": [[1, 0]]},
    {"rows": 4, "nodes": [{"data": 0}, {"model": 3, "inputs": [[0, 0]]}], "outputs": []},
    {"rows": 4, "nodes": [{"data": 0}, {"model": 0, "inputs": [[0, 0], [0, 0]]}], "outputs": []},
    {"rows": 4, "nodes": [{"data": 0}, {"model": 0, "inputs": [[0, 0]]}], "outputs": [[1, 0]]},
    {"rows": 4, "nodes": [{"data": 0}, {"gradient": [0, 0], "sources": [[0, 99, 0]]}], "outputs": []},
    {"rows": 4, "nodes": [{"data": 0}, {"op": "sum", "inputs": [[0, 0]]}, {"gradient": [1, 0], "sources": [[0, 0, 0]]},
                          {"apply": 0, "inputs": [[0, 0]], "weights": [[0, 0, 0]]}], "outputs": []},
    {"rows": 4, "nodes": [{"data": 0}, {"apply": 0, "inputs": [[0, 0]], "weights": []}], "outputs": []},
    {"rows": 4, "nodes": [{"data": 0}, {"update": 0, "inputs": [[0, 0]]}], "outputs": []},
    {"rows": 4, "nodes": [{"data": 0}, {"update": 0, "inputs": [[0, 0]]}], "outputs": [[1, 0]]},
    {"rows": -1, "nodes": [], "outputs": []},
    {"rows": 4, "nodes": [{"weight": [0, -1, 7]}], "outputs": []},
    {"rows": 4, "nodes": [{"weight": "kernel"}], "outputs": []},
    {"rows": 4, "nodes": [{"state": 0}, {"nonsense": 1}], "outputs": []},
    {"rows": 4, "nodes": [{"data": 0}, {"model": 0, "inputs": [[0, 0]]},
                          {"gradient": [1, 0], "seed": [0, 0], "sources": [[0, 0, 0]]}], "outputs": []},
])
def test_hostile_step_programs_get_clean_errors(program):
    model = swiftnet.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.predict(np.zeros((1, 3), np.float32), verbose=0)
    from swiftnet import gradient_tape
    native = gradient_tape.eager_state(swiftnet.optimizers.SGD(0.1), [model.layers[0].kernel])
    spec = {"programs": [program], "log_names": ["a"] * len(program["outputs"]), "states": []}
    with pytest.raises((ValueError, TypeError, RuntimeError)):
        _step_session(spec, {"d0": np.ones((8, 3), np.float32)}, [model._engine], [native])
    # Nothing broke: the model still trains and predicts.
    model.fit(np.ones((8, 3), np.float32), np.ones((8, 2), np.float32), verbose=0)
    assert np.isfinite(model.predict(np.ones((2, 3), np.float32), verbose=0)).all()


@pytest.mark.parametrize("spec", [
    {"programs": [], "log_names": []},
    {"programs": [{"rows": 3, "nodes": [], "outputs": []}], "log_names": []},          # no program for rows 4
    {"programs": [{"rows": 4, "nodes": [], "outputs": []}], "log_names": [1]},
    {"programs": [{"rows": 4, "nodes": [], "outputs": []}], "log_names": [], "states": [{"shape": [None]}]},
])
def test_hostile_step_sessions_get_clean_errors(spec):
    with pytest.raises((ValueError, TypeError)):
        _step_session(spec, {"d0": np.ones((8, 3), np.float32)})
