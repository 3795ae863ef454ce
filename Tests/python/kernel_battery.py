"""Runs a battery of engine kernels on fixed inputs and saves the results (and the inputs) to the
.npz file named on the command line. test_kernel_paths.py runs it once per kernel path
(SWIFTNET_CPU=avx2, avx512) and checks each against NumPy and the paths against each other.
Sizes are odd so that vector loops and their scalar tails both run."""

import sys

import numpy as np

import swiftnet
from swiftnet import layers, ops


def battery():
    rng = np.random.default_rng(11)
    out = {"kernel_path": np.array(swiftnet.config.kernel_path())}
    x = rng.normal(size=(13, 37)).astype(np.float32)
    out["x"] = x
    out["exp"] = np.asarray(ops.exp(x))
    out["log1p_abs"] = np.asarray(ops.log(ops.abs(x) + 1.0))
    out["tanh"] = np.asarray(ops.tanh(x))
    out["sigmoid"] = np.asarray(ops.sigmoid(x))
    out["softmax"] = np.asarray(ops.softmax(x, axis=-1))
    out["logsumexp"] = np.asarray(ops.logsumexp(x, axis=-1))
    out["sum"] = np.asarray(ops.sum(x, axis=0))
    out["max"] = np.asarray(ops.max(x, axis=1))
    out["matmul"] = np.asarray(ops.matmul(x, x.T))

    # A dense network: predictions, then weights after two Adam steps on one batch.
    features, hidden, classes, samples = 61, 33, 10, 29
    mlp = swiftnet.Sequential([swiftnet.Input((features,)), layers.Dense(hidden, activation="relu"),
                               layers.Dense(classes, activation="softmax")])
    weights = [rng.normal(scale=0.3, size=w.shape).astype(np.float32) for w in mlp.get_weights()]
    mlp.set_weights(weights)
    data = rng.normal(size=(samples, features)).astype(np.float32)
    labels = rng.integers(0, classes, size=samples)
    out["mlp_weights"] = np.array(weights, dtype=object)
    out["mlp_data"], out["mlp_labels"] = data, labels
    out["mlp_predict"] = mlp.predict(data, verbose=0)
    mlp.compile(optimizer=swiftnet.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    mlp.fit(data, labels, batch_size=samples, epochs=2, shuffle=False, verbose=0)
    out["mlp_after_adam"] = np.array(mlp.get_weights(), dtype=object)

    # A convolution (same padding, bias) and an LSTM over a sequence.
    conv = swiftnet.Sequential([swiftnet.Input((11, 13, 3)), layers.Conv2D(5, 3, padding="same")])
    conv.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in conv.get_weights()])
    images = rng.normal(size=(4, 11, 13, 3)).astype(np.float32)
    out["conv_weights"] = np.array(conv.get_weights(), dtype=object)
    out["conv_images"] = images
    out["conv"] = conv.predict(images, verbose=0)
    lstm = swiftnet.Sequential([swiftnet.Input((7, 5)), layers.LSTM(6, return_sequences=True)])
    lstm.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in lstm.get_weights()])
    sequences = rng.normal(size=(3, 7, 5)).astype(np.float32)
    out["lstm_weights"] = np.array(lstm.get_weights(), dtype=object)
    out["lstm_sequences"] = sequences
    out["lstm"] = lstm.predict(sequences, verbose=0)
    return out


if __name__ == "__main__":
    np.savez(sys.argv[1], **battery(), allow_pickle=True)
