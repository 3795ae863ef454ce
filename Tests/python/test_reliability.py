"""Reliability: many cores, fork, memory over many models, out-of-memory, hostile values, data
changed during a call, and a fuzzer over every layer. Whatever could stop the interpreter runs in a
subprocess, so that a crash or a hang is a failed test, not a dead test run."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import swiftnet
from conftest import HERE
from swiftnet import layers


def run_python(code, timeout=300, env=None):
    environment = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=environment)


def test_every_layer_matches_one_thread_at_forced_thread_counts():
    """Forward (batches 1-100), backward, fit, evaluate and predict of every layer at 3, 4, 8, 16 and
    64 threads equal the 1-thread results: partitions never leave their range whatever the cores."""
    result = subprocess.run([sys.executable, str(HERE / "thread_battery.py"), "1,3,4,8,16,64"],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "battery ok" in result.stdout


def test_the_conv_example_of_a_16_core_machine_predicts():
    result = run_python("""
        import numpy as np, swiftnet
        from swiftnet import layers
        m = swiftnet.Sequential([swiftnet.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(10)])
        print(m.predict(np.zeros((20, 28, 28, 1), "float32"), verbose=0).shape, swiftnet.config.get_num_threads())
    """, env={"SWIFTNET_NUM_THREADS": "16"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["(20,", "10)", "16"]


def test_thread_count_setting_and_environment():
    before = swiftnet.config.get_num_threads()
    try:
        swiftnet.config.set_num_threads(3)
        assert swiftnet.config.get_num_threads() == 3
        for bad, error in [(0, ValueError), (257, ValueError), ("4", TypeError), (True, TypeError), (2.0, TypeError)]:
            with pytest.raises(error, match="count"):
                swiftnet.config.set_num_threads(bad)
        assert swiftnet.config.get_num_threads() == 3
    finally:
        swiftnet.config.set_num_threads(before)
    result = run_python("import swiftnet; print(swiftnet.config.get_num_threads())", env={"SWIFTNET_NUM_THREADS": "5"})
    assert result.stdout.strip() == "5", result.stderr
    result = run_python("import swiftnet; print(swiftnet.config.get_num_threads())", env={"SWIFTNET_NUM_THREADS": "lots"})
    assert result.returncode == 0 and "SWIFTNET_NUM_THREADS='lots' is not a positive integer" in result.stderr


FORK_SETUP = """
    import os, sys, numpy as np, swiftnet
    from swiftnet import layers
    swiftnet.config.set_num_threads(4)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 12, 12, 1)).astype(np.float32)
    y = rng.integers(0, 3, 512)
    def make():
        m = swiftnet.Sequential([swiftnet.Input((12, 12, 1)), layers.Conv2D(8, 3, activation="relu"),
                                 layers.MaxPooling2D(), layers.Flatten(), layers.Dense(3)])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return m
    model = make()
    model.fit(x, y, epochs=1, verbose=0)     # the parent's worker threads are running
"""


def test_a_forked_child_predicts_and_trains_and_so_does_the_parent():
    result = run_python(FORK_SETUP + """
    expected = model.predict(x, verbose=0)
    pid = os.fork()
    if pid == 0:
        ok = np.allclose(model.predict(x, verbose=0), expected)
        model.fit(x, y, epochs=1, verbose=0)
        make().fit(x, y, epochs=1, verbose=0)
        os._exit(0 if ok else 3)
    model.fit(x, y, epochs=1, verbose=0)
    _, status = os.waitpid(pid, 0)
    print("child", os.waitstatus_to_exitcode(status))
    """, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "child 0" in result.stdout


def test_multiprocessing_fork_pool_and_joblib_workers_use_the_engine():
    pytest.importorskip("joblib")
    result = run_python(FORK_SETUP + """
    import multiprocessing, joblib
    def score(seed):
        m = make()
        m.fit(x[:128], y[:128], epochs=1, verbose=0)
        return float(m.evaluate(x, y, verbose=0))
    with multiprocessing.get_context("fork").Pool(2) as pool:
        first = pool.map(score, range(4))
    second = joblib.Parallel(n_jobs=2, backend="multiprocessing")(joblib.delayed(score)(s) for s in range(4))
    print("scores", len(first), len(second), all(np.isfinite(first + second)))
    """, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "scores 4 4 True" in result.stdout


def test_memory_stays_flat_over_hundreds_of_models():
    """500 create→fit→delete cycles of an MLP and of a convnet, interrupted fits, trainable toggles
    and raw C ABI cycles: resident memory must not grow (it grew 1-2 MB per trained model, 36 KB
    per C ABI cycle)."""
    result = run_python("""
        import ctypes, gc, json, os, numpy as np, swiftnet
        from swiftnet import layers, _library

        libc = ctypes.CDLL("libc.so.6")

        def rss_mb():
            gc.collect()
            libc.malloc_trim(0)  # freed memory goes back to the system: what stays is live
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

        rng = np.random.default_rng(0)
        x = rng.random((64, 784), dtype=np.float32)
        images = rng.random((32, 12, 12, 1), dtype=np.float32)
        y = rng.integers(0, 10, 64)

        class Stop(swiftnet.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                raise KeyboardInterrupt

        def mlp():
            m = swiftnet.Sequential([swiftnet.Input((784,)), layers.Dense(128, activation="relu"), layers.Dense(10)])
            m.compile(optimizer="adam", loss=swiftnet.losses.SparseCategoricalCrossentropy(from_logits=True))
            m.fit(x, y, batch_size=32, verbose=0)

        def convnet():
            m = swiftnet.Sequential([swiftnet.Input((12, 12, 1)), layers.Conv2D(4, 3), layers.BatchNormalization(),
                                     layers.MaxPooling2D(), layers.Flatten(), layers.Dropout(0.2), layers.Dense(10)])
            m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
            m.fit(images, y[:32], batch_size=16, verbose=0)
            m.predict(images, verbose=0)

        def toggled_and_interrupted():
            m = swiftnet.Sequential([swiftnet.Input((784,)), layers.Dense(32), layers.Dense(10)])
            m.compile(optimizer="adam", loss="mse")
            m.layers[0].trainable = False
            m.compile(optimizer="rmsprop", loss="mse")
            try:
                m.fit(x, np.zeros((64, 10), np.float32), batch_size=8, epochs=3, verbose=0, callbacks=[Stop()])
            except KeyboardInterrupt:
                pass

        spec = json.dumps({"inputs": [{"shape": [None, 784]}], "layers": [{"class_name": "Dense", "name": "d", "config": {"units": 10}}],
                           "graph": {"nodes": [{"input": 0}, {"layer": 0, "inputs": [[0, 0]]}], "outputs": [[1, 0]]}}).encode()
        objective = json.dumps({"graph": {"nodes": [
            {"target": 0}, {"output": 0},
            {"op": "loss", "attrs": {"kind": "sparse_categorical_crossentropy", "from_logits": True}, "inputs": [[0, 0], [1, 0]]},
            {"op": "mean", "inputs": [[2, 0]]}], "outputs": [[3, 0]]}, "loss_names": ["loss"]})
        labels = y.astype(np.int64)

        def raw_c_abi():
            lib, model, data, session = _library.lib, ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
            _library.check(lib.sn_model_create(spec, ctypes.byref(model)))
            _library.check(lib.sn_model_compile(model, b'{"optimizer": "adam"}'))
            _library.check(lib.sn_dataset_create(ctypes.byref(data)))
            _library.check(lib.sn_dataset_add_array(data, b"x0", 0, x.ctypes.data, _library.shape_array(x.shape), 2))
            _library.check(lib.sn_dataset_add_array(data, b"y0", 2, labels.ctypes.data, _library.shape_array(labels.shape), 1))
            options = ('{"mode": "train", "batch_size": 16, "objective": %s}' % objective).encode()
            _library.check(lib.sn_session_create(model, data, options, ctypes.byref(session)))
            finished = ctypes.c_int32(0)
            lib.sn_session_begin_epoch(session, 0)
            _library.check(lib.sn_session_run(session, 100, 0.0, ctypes.byref(finished)))
            lib.sn_session_free(session)
            lib.sn_dataset_free(data)
            lib.sn_model_free(model)

        for name, cycle, count in [("mlp", mlp, 400), ("convnet", convnet, 400),
                                   ("toggled+interrupted", toggled_and_interrupted, 400), ("c abi", raw_c_abi, 1500)]:
            for _ in range(100):
                cycle()
            start = rss_mb()
            for _ in range(count):
                cycle()
            print(name, round(rss_mb() - start, 1))
    """, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    growth = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in result.stdout.strip().splitlines()}
    assert set(growth) == {"mlp", "convnet", "toggled+interrupted", "c abi"}, result.stdout
    for name, megabytes in growth.items():
        assert megabytes < 10, f"{name}: resident memory grew {megabytes} MB"


def test_running_out_of_memory_raises_memory_error_and_leaves_models_usable():
    result = run_python("""
        import resource, numpy as np
        resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))
        import swiftnet
        from swiftnet import layers
        try:
            swiftnet.Sequential([swiftnet.Input((1,)), layers.Dense(10**9)])
            print("built")
        except MemoryError as error:
            print("weights:", error)
        m = swiftnet.Sequential([swiftnet.Input((1,)), layers.Dense(2**25), layers.Dense(1)])
        m.compile(optimizer="sgd", loss="mse")
        before = m.get_weights()[2].copy()
        try:
            m.fit(np.ones((31, 1), np.float32), np.ones((31, 1), np.float32), batch_size=31, verbose=0)
            print("trained")
        except MemoryError as error:
            print("step:", error)
        m.fit(np.ones((2, 1), np.float32), np.ones((2, 1), np.float32), batch_size=2, verbose=0)
        print("usable", not np.array_equal(m.get_weights()[2], before))
    """, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "weights: Out of memory: could not allocate 3.7 GiB" in result.stdout, result.stdout
    assert "step: Out of memory" in result.stdout, result.stdout
    assert "usable True" in result.stdout


def test_hostile_configs_get_clean_errors():
    result = run_python("""
        import json, numpy as np, swiftnet
        from swiftnet import layers, _library
        attempts = {
            "empty scale": lambda: swiftnet.Sequential([swiftnet.Input((3,)), layers.Rescaling(scale=[])]),
            "empty offset": lambda: swiftnet.Sequential([swiftnet.Input((3,)), layers.Rescaling(scale=1.0, offset=[])]),
            "empty mean": lambda: swiftnet.Sequential([swiftnet.Input((3,)), layers.Normalization(mean=[], variance=[])]),
            "mismatched variance": lambda: swiftnet.Sequential([swiftnet.Input((3,)), layers.Normalization(mean=[1.0], variance=[1.0, 2.0])]),
            "undeclared input": lambda: _library.NativeModel({"inputs": [{"shape": [None, 2]}], "layers": [
                {"class_name": "Dense", "name": "d", "config": {"units": 2}}, {"class_name": "Dense", "name": "e", "config": {"units": 2}}],
                "graph": {"nodes": [{"input": 0}, {"layer": 0, "inputs": [[0, 0]]}, {"input": 1}, {"layer": 1, "inputs": [[2, 0]]}],
                          "outputs": [[1, 0]]}}),
            "second input without data": lambda: swiftnet.Model(
                inputs=[a := swiftnet.Input((2,)), b := swiftnet.Input((2,))], outputs=layers.Add()([a, b]))._arrays(np.ones((3, 2), np.float32)),
        }
        for name, attempt in attempts.items():
            try:
                attempt()
                print(name, "accepted")
            except (ValueError, TypeError) as error:
                print(name, "refused:", error)
    """)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = dict(line.split(" refused: ") if " refused: " in line else (line, "") for line in result.stdout.splitlines())
    assert "non-empty list" in lines["empty scale"]
    assert "non-empty list" in lines["empty offset"]
    assert "non-empty list" in lines["empty mean"]
    assert "one value per feature" in lines["mismatched variance"]
    assert "names input 1, but there are 1" in lines["undeclared input"]
    assert "The model has 2 inputs" in lines["second input without data"]


@pytest.mark.parametrize("make, argument", [
    (lambda v: swiftnet.optimizers.SGD(learning_rate=v), "learning_rate"),
    (lambda v: swiftnet.optimizers.Adam(beta_1=v), "beta_1"),
    (lambda v: swiftnet.optimizers.Adam(epsilon=v), "epsilon"),
    (lambda v: swiftnet.optimizers.RMSprop(rho=v), "rho"),
    (lambda v: swiftnet.optimizers.SGD(momentum=v), "momentum"),
    (lambda v: swiftnet.optimizers.Adam(clipnorm=v), "clipnorm"),
    (lambda v: swiftnet.optimizers.Adagrad(initial_accumulator_value=v), "initial_accumulator_value"),
])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 1e300])
def test_optimizer_hyperparameters_outside_float32_name_their_argument(make, argument, value):
    model = swiftnet.Sequential([swiftnet.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=f"`{argument}`"):
        model.compile(optimizer=make(value), loss="mse")


@pytest.mark.parametrize("make, argument", [
    (lambda v: layers.Dropout(v), "rate"),
    (lambda v: layers.Rescaling(v), "scale"),
    (lambda v: layers.Rescaling(1.0, offset=v), "offset"),
    (lambda v: layers.BatchNormalization(momentum=v), "momentum"),
    (lambda v: layers.Dense(2, kernel_initializer=swiftnet.initializers.Constant(v)), "value"),
    (lambda v: layers.Dense(2, kernel_initializer=swiftnet.initializers.RandomNormal(stddev=v)), "stddev"),
    (lambda v: layers.RandomRotation(v), "factor"),
])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e39])
def test_layer_hyperparameters_outside_float32_name_their_argument(make, argument, value):
    with pytest.raises(ValueError, match=f"`{argument}`|{argument}="):
        swiftnet.Sequential([swiftnet.Input((4, 4, 1)), make(value)])


def test_learning_rate_beyond_float32_is_refused_after_compile_and_keeps_the_old_rate():
    model = swiftnet.Sequential([swiftnet.Input((3,)), layers.Dense(2)])
    model.compile(optimizer=swiftnet.optimizers.SGD(0.1), loss="mse")
    for value in [1e300, float("nan"), float("inf"), -1.0]:
        with pytest.raises(ValueError, match="learning rate"):
            model.optimizer.learning_rate = value
    assert model.optimizer.learning_rate == pytest.approx(0.1)
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), verbose=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_huge_counts_do_not_wrap_around():
    model = swiftnet.Sequential([swiftnet.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((10, 3), np.float32), np.ones((10, 2), np.float32)
    history = model.fit(x, y, batch_size=2**64 + 5, verbose=0)  # one batch of all 10 samples, as in Keras
    assert model.optimizer.iterations == 1 and len(history.history["loss"]) == 1
    assert model.predict(x, batch_size=2**70, verbose=0).shape == (10, 2)
    for key in ["epochs", "initial_epoch", "validation_freq"]:
        with pytest.raises(ValueError, match=f"`{key}`"):
            model.fit(x, y, verbose=0, **{key: 2**70})


def test_integer_labels_arrive_exactly():
    """16,777,217 is not a float32: labels travel as integers, so it is a different class than
    16,777,216 (as float32 they were the same)."""
    classes = 2**24 + 2
    model = swiftnet.Sequential([swiftnet.Input((1,)), layers.Dense(classes, use_bias=False)])
    model.compile(optimizer="sgd", loss=swiftnet.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    kernel = np.zeros((1, classes), np.float32)
    kernel[0, 2**24 + 1] = 30.0
    model.set_weights([kernel])
    x = np.ones((1, 1), np.float32)
    right = model.evaluate(x, np.array([2**24 + 1]), verbose=0)
    wrong = model.evaluate(x, np.array([2**24], dtype=np.int64), verbose=0)
    assert right[1] == 1.0 and right[0] < 1e-3
    assert wrong[1] == 0.0 and wrong[0] > 20
    with pytest.raises(ValueError, match=r"label value of 16777218 .* \[0, 16777217\]"):
        model.evaluate(x, np.array([2**24 + 2]), verbose=0)


def test_integer_labels_of_every_integer_dtype_train_alike(rng):
    x = rng.normal(size=(60, 4)).astype(np.float32)
    labels = rng.integers(0, 3, 60)
    results = []
    for dtype in [np.int64, np.int32, np.uint8, np.int16, np.uint32, np.float32, np.float64]:
        swiftnet.utils.set_random_seed(3)
        model = swiftnet.Sequential([swiftnet.Input((4,)), layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, labels.astype(dtype), epochs=2, batch_size=16, verbose=0)
        results.append(model.get_weights()[0])
    for weights in results[1:]:
        np.testing.assert_array_equal(weights, results[0])


def test_data_changed_during_fit_is_caught_at_the_next_batch(rng):
    x = rng.normal(size=(256, 4)).astype(np.float32)
    y = rng.integers(0, 3, 256)

    class Poison(swiftnet.callbacks.Callback):
        def __init__(self, array, index, value):
            super().__init__()
            self.array, self.index, self.value = array, index, value

        def on_epoch_end(self, epoch, logs=None):
            self.array[self.index] = self.value

    for shuffle in [True, False]:
        model = swiftnet.Sequential([swiftnet.Input((4,)), layers.Dense(3)])
        model.compile(optimizer="sgd", loss=swiftnet.losses.SparseCategoricalCrossentropy(from_logits=True))
        data = x.copy()
        with pytest.raises(ValueError, match="Input x contains NaN or infinite values .*sample 77"):
            model.fit(data, y, epochs=3, shuffle=shuffle, verbose=0, callbacks=[Poison(data, (77, 2), np.nan)])
        assert all(np.isfinite(w).all() for w in model.get_weights())
        labels = y.copy()
        with pytest.raises(ValueError, match="label value of 9 at sample 5"):
            model.fit(x, labels, epochs=3, shuffle=shuffle, verbose=0, callbacks=[Poison(labels, 5, 9)])
        assert all(np.isfinite(w).all() for w in model.get_weights())


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adagrad"])
def test_a_model_built_after_compile_keeps_its_compile_settings(optimizer, rng):
    x = rng.normal(size=(64, 5)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    model = swiftnet.Sequential([layers.Dense(16, activation="relu"), layers.Dense(10)])
    model.compile(optimizer=optimizer, loss=swiftnet.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    model.add(layers.Dense(10))
    assert model.compiled
    model.fit(x, y, epochs=1, verbose=0)
    model.pop()
    model.layers[0].trainable = False
    frozen = model.layers[0].get_weights()[0].copy()
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], frozen)
    assert len(model.evaluate(x, y, verbose=0)) == 2


def test_learning_rate_set_before_the_model_is_built_is_used():
    model = swiftnet.Sequential([layers.Dense(1)])
    model.compile(optimizer=swiftnet.optimizers.SGD(0.5), loss="mse")
    model.optimizer.learning_rate = 0.0
    model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), verbose=0)
    before = model.get_weights()
    model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_layer_fuzzer_finds_no_crash():
    """A seeded fuzzer builds, trains and runs random configs of every layer class through the C ABI."""
    result = subprocess.run([sys.executable, str(HERE / "fuzz_layers.py"), "--seed", "20261123", "--cases", "400"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "fuzz ok: 400 cases" in result.stdout, result.stdout[-2000:]


def test_mnist_files_are_verified_wherever_they_are_found(tmp_path, monkeypatch):
    from swiftnet.datasets import _idx
    planted = tmp_path / "work" / "shared" / "data" / "mnist"
    planted.mkdir(parents=True)
    header = bytes([0, 0, 8, 3]) + (10000).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    (planted / "t10k-images-idx3-ubyte").write_bytes(header + bytes(10000 * 28 * 28))
    (planted / "t10k-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1]) + (10000).to_bytes(4, "big") + bytes(10000))
    nested = tmp_path / "work" / "project"
    nested.mkdir()
    monkeypatch.chdir(nested)
    monkeypatch.setenv("SWIFTNET_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(ValueError, match="does not hold the expected data"):
        swiftnet.datasets.mnist.load_test_set()
    assert _idx.read_idx(planted / "t10k-labels-idx1-ubyte").shape == (10000,)  # a valid IDX file, just not MNIST
