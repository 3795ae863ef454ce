"""The main job: `python -m swiftnet.demo` trains a 784-128-10 MLP on real MNIST digits (the first
8,000 test-set images to train, the last 2,000 to test) and prints its test accuracy. Without the
MNIST files it uses scikit-learn's 8x8 digits instead."""

import time

import numpy as np

import swiftnet
from swiftnet import layers


def load_digits():
    """(x_train, y_train), (x_test, y_test), the data set's name and the number of epochs."""
    try:
        images, labels = swiftnet.datasets.mnist.load_test_set()
        x = images.astype("float32") / 255.0
        return (x[:8000], labels[:8000]), (x[-2000:], labels[-2000:]), "MNIST (8,000 train / 2,000 test)", 5
    except FileNotFoundError:
        from sklearn.datasets import load_digits as sklearn_digits
        digits = sklearn_digits()
        x = (digits.images / 16.0).astype("float32")
        rng = np.random.default_rng(0)
        order = rng.permutation(len(x))
        x, y = x[order], digits.target[order]
        # 1,400 images give few steps per epoch: more epochs to converge.
        return (x[:1400], y[:1400]), (x[1400:], y[1400:]), "scikit-learn digits (1,400 train / 397 test)", 30


def main():
    swiftnet.utils.set_random_seed(42)
    (x_train, y_train), (x_test, y_test), name, epochs = load_digits()
    print(f"Data: {name}")
    model = swiftnet.Sequential([
        layers.Flatten(input_shape=x_train.shape[1:]),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=64, validation_split=0.2,
                        verbose=1 if epochs <= 5 else 2)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"validation accuracy by epoch: {[round(a, 4) for a in history.history['val_accuracy']]}")
    print(f"training time: {seconds:.2f} s")
    print(f"test loss: {loss:.4f}")
    print(f"test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
