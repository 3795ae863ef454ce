"""Training on real data, reproducibility, Ctrl-C, and calls from several threads."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import swiftnet
from swiftnet import layers


def digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)
    return train_test_split(x, digits.target, test_size=0.25, random_state=0, stratify=digits.target)


def test_mlp_reaches_95_percent_on_sklearn_digits():
    x_train, x_test, y_train, y_test = digits_split()
    model = swiftnet.Sequential([layers.Flatten(input_shape=(8, 8)), layers.Dense(128, activation="relu"),
                                 layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.95, accuracy
    # predict agrees with evaluate.
    assert np.mean(model.predict(x_test, verbose=0).argmax(1) == y_test) == pytest.approx(accuracy)


def test_every_optimizer_and_loss_learns_digits():
    x_train, x_test, y_train, y_test = digits_split()
    y_onehot = swiftnet.utils.to_categorical(y_train, 10)
    for optimizer, loss, target in [
        (swiftnet.optimizers.SGD(0.1, momentum=0.9), "categorical_crossentropy", y_onehot),
        (swiftnet.optimizers.RMSprop(), "sparse_categorical_crossentropy", y_train),
        (swiftnet.optimizers.Adagrad(0.05), "sparse_categorical_crossentropy", y_train),
        (swiftnet.optimizers.Adam(), "mse", y_onehot),
    ]:
        model = swiftnet.Sequential([swiftnet.Input(shape=(8, 8)), layers.Flatten(),
                                     layers.Dense(64, activation="tanh"), layers.Dense(10, activation="softmax")])
        model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
        model.fit(x_train, target, epochs=15, batch_size=32, verbose=0)
        accuracy = np.mean(model.predict(x_test, verbose=0).argmax(1) == y_test)
        assert accuracy > 0.9, (type(optimizer).__name__, loss, accuracy)


def test_binary_classification_on_breast_cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler
    x, y = load_breast_cancer(return_X_y=True)
    x = StandardScaler().fit_transform(x)
    model = swiftnet.Sequential([swiftnet.Input(shape=(30,)), layers.Dense(16, activation="relu"),
                                 layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:450], y[:450], epochs=30, batch_size=16, verbose=0, validation_data=(x[450:], y[450:]))
    assert history.history["val_accuracy"][-1] > 0.93


def test_regression_on_diabetes():
    from sklearn.datasets import load_diabetes
    x, y = load_diabetes(return_X_y=True)
    y = (y - y.mean()) / y.std()
    model = swiftnet.Sequential([swiftnet.Input(shape=(10,)), layers.Dense(32, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=swiftnet.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    history = model.fit(x[:350], y[:350], epochs=60, batch_size=32, verbose=0, validation_data=(x[350:], y[350:]))
    assert history.history["val_loss"][-1] < 0.6  # variance of the target is 1


@pytest.mark.skipif(swiftnet.datasets.mnist._cache.find_file("mnist", ["t10k-images-idx3-ubyte.gz"]) is None,
                    reason="the MNIST files are not available")
def test_mnist_split_reaches_keras_accuracy():
    images, labels = swiftnet.datasets.mnist.load_test_set()
    x = images.astype("float32") / 255
    model = swiftnet.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(128, activation="relu"),
                                 layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:8000], labels[:8000], epochs=5, batch_size=64, validation_split=0.2, verbose=0)
    loss, accuracy = model.evaluate(x[-2000:], labels[-2000:], verbose=0)
    assert accuracy >= 0.93, accuracy


def train_once(seed):
    swiftnet.utils.set_random_seed(seed)
    x_train, _, y_train, _ = digits_split()
    model = swiftnet.Sequential([swiftnet.Input(shape=(8, 8)), layers.Flatten(), layers.Dense(32, activation="relu"),
                                 layers.Dropout(0.3), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=3, batch_size=16, verbose=0)
    return model.get_weights()


def test_same_seed_gives_bitwise_identical_weights():
    first, second, other = train_once(7), train_once(7), train_once(8)
    for a, b in zip(first, second):
        assert a.tobytes() == b.tobytes()
    assert any(a.tobytes() != c.tobytes() for a, c in zip(first, other))


def test_same_seed_in_a_fresh_process_gives_the_same_weights(tmp_path):
    script = textwrap.dedent("""
        import sys, numpy as np
        sys.path.insert(0, sys.argv[1])
        from test_training import train_once
        np.savez(sys.argv[2], *train_once(7))
    """)
    out = tmp_path / "weights.npz"
    subprocess.run([sys.executable, "-c", script, os.path.dirname(__file__), str(out)], check=True)
    saved = np.load(out)
    for i, w in enumerate(train_once(7)):
        assert saved[f"arr_{i}"].tobytes() == w.tobytes()


def test_shuffle_false_and_epoch_orders(rng):
    """Unshuffled training does not depend on the seed; shuffled training does."""
    x = rng.normal(size=(64, 5)).astype(np.float32)
    y = rng.normal(size=(64, 1)).astype(np.float32)

    def weights_after(shuffle, seed):
        swiftnet.utils.set_random_seed(seed)
        model = swiftnet.Sequential([swiftnet.Input(shape=(5,)), layers.Dense(1, kernel_initializer="zeros")])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=shuffle, verbose=0)
        return model.get_weights()[0]

    np.testing.assert_array_equal(weights_after(False, 1), weights_after(False, 2))
    assert not np.array_equal(weights_after(True, 1), weights_after(True, 2))


def test_ctrl_c_stops_fit_quickly_and_leaves_the_model_usable():
    script = textwrap.dedent("""
        import sys, time, numpy as np, swiftnet
        from swiftnet import layers
        x = np.random.default_rng(0).random((20000, 784), dtype=np.float32)
        y = np.random.default_rng(1).integers(0, 10, 20000)
        model = swiftnet.Sequential([swiftnet.Input(shape=(784,)), layers.Dense(256, activation="relu"),
                                     layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        print("training", flush=True)
        try:
            model.fit(x, y, epochs=1000, batch_size=32, verbose=0)
        except KeyboardInterrupt:
            stopped = time.perf_counter()
            p = model.predict(x[:10], verbose=0)
            assert np.isfinite(p).all() and np.allclose(p.sum(1), 1, atol=1e-5)
            model.fit(x[:64], y[:64], epochs=1, verbose=0)
            print(f"interrupted cleanly {stopped:.6f}", flush=True)
            sys.exit(0)
        print("not interrupted")
        sys.exit(1)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "training"
    time.sleep(1.0)
    sent = time.perf_counter()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "interrupted cleanly" in out
    # perf_counter is system-wide monotonic on Linux, so the two processes' clocks compare.
    assert float(out.split()[-1]) - sent < 0.5


def test_threads_can_train_separate_models_and_share_one(rng):
    x = rng.normal(size=(512, 20)).astype(np.float32)
    y = rng.integers(0, 3, 512)

    def build(seed):
        swiftnet.utils.set_random_seed(seed)
        model = swiftnet.Sequential([swiftnet.Input(shape=(20,)), layers.Dense(32, activation="relu"),
                                     layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    serial = [build(s) for s in (1, 2)]
    for m in serial:
        m.fit(x, y, epochs=3, shuffle=False, verbose=0)
    parallel = [build(s) for s in (1, 2)]
    threads = [threading.Thread(target=m.fit, args=(x, y), kwargs=dict(epochs=3, shuffle=False, verbose=0))
               for m in parallel]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(serial, parallel):
        for wa, wb in zip(a.get_weights(), b.get_weights()):
            np.testing.assert_array_equal(wa, wb)

    shared = serial[0]
    expected = shared.predict(x, verbose=0)
    results, errors = [], []

    def predict_many():
        try:
            for _ in range(20):
                results.append(shared.predict(x, verbose=0))
        except Exception as error:  # surfaced below
            errors.append(error)

    workers = [threading.Thread(target=predict_many) for _ in range(3)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors and len(results) == 60
    for r in results:
        np.testing.assert_array_equal(r, expected)


def test_the_gil_is_released_during_engine_calls(rng):
    from swiftnet import _library
    model = swiftnet.Sequential([swiftnet.Input(shape=(256,)), layers.Dense(512, activation="relu"), layers.Dense(10)])
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(60000, 256)).astype(np.float32)
    y = rng.normal(size=(60000, 10)).astype(np.float32)
    arrays, targets, weights = model._arrays(x, y)
    session = _library.NativeSession(model._engine, _library.MODE_TRAIN, arrays, model._objective(targets, weights),
                                     batch_size=32)
    session.begin_epoch(0)
    start = time.perf_counter()
    worker = threading.Thread(target=session.run)  # one call, no time limit: the whole epoch
    worker.start()
    ticks = 0
    while worker.is_alive():
        ticks += 1
    duration = time.perf_counter() - start
    worker.join()
    session.close()
    assert duration > 0.2
    assert ticks > 10000  # the main thread kept running Python during the call


@pytest.mark.skipif(swiftnet.datasets.mnist._cache.find_file("mnist", ["t10k-images-idx3-ubyte.gz"]) is None,
                    reason="the MNIST files are not available")
def test_mnist_convnet_reaches_97_percent_in_5_epochs():
    swiftnet.utils.set_random_seed(3)
    images, labels = swiftnet.datasets.mnist.load_test_set()
    x = images[..., None].astype("float32") / 255
    # The convnet of the example (written out literally in test_datasets.py).
    model = swiftnet.Sequential([
        swiftnet.Input(shape=(28, 28, 1)), layers.RandomTranslation(0.1, 0.1),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"), layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, 3, padding="same", use_bias=False), layers.BatchNormalization(), layers.Activation("relu"),
        layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x[:8000], labels[:8000], batch_size=128, epochs=5, validation_split=0.1, verbose=0)
    loss, accuracy = model.evaluate(x[-2000:], labels[-2000:], verbose=0)
    assert accuracy >= 0.97, accuracy
