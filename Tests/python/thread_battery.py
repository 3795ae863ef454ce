"""Every layer forward and backward, predict, fit and evaluate, at forced engine thread counts,
compared with the 1-thread results. Run as a script (a crash must not take pytest down):

    python thread_battery.py 1,3,4,8,16,64

Prints one line per mismatch and "battery ok: N cases" when every result matches."""

import sys

import numpy as np

import swiftnet
from swiftnet import layers

IMAGE = (12, 12, 2)
SEQUENCE = (9, 3)


class _SelfAttention(layers.Layer):
    def __init__(self):
        super().__init__()
        self.attention = layers.MultiHeadAttention(2, 3)

    def call(self, x):
        return self.attention(x, x, use_causal_mask=True)
# (name, input shape, layer factory): the layer sits between the input and a Flatten + Dense head.
CASES = [
    ("Dense", (6,), lambda: layers.Dense(5, activation="relu")),
    ("Activation", (6,), lambda: layers.Activation("tanh")),
    ("Dropout", (6,), lambda: layers.Dropout(0.3, seed=3)),
    ("Reshape", (6,), lambda: layers.Reshape((3, 2))),
    ("Conv2D direct (raw grey image)", (12, 12, 1), lambda: layers.Conv2D(8, 3, activation="relu")),
    ("Conv2D direct (two channels)", IMAGE, lambda: layers.Conv2D(8, 3)),
    ("Conv2D strided same", IMAGE, lambda: layers.Conv2D(4, 3, strides=2, padding="same")),
    ("Conv2D dilated", IMAGE, lambda: layers.Conv2D(4, 3, dilation_rate=2)),
    ("Conv2D grouped", (12, 12, 4), lambda: layers.Conv2D(4, 3, groups=2)),
    ("Conv2DTranspose", IMAGE, lambda: layers.Conv2DTranspose(3, 3, strides=2)),
    ("DepthwiseConv2D", IMAGE, lambda: layers.DepthwiseConv2D(3, depth_multiplier=2)),
    ("SeparableConv2D", IMAGE, lambda: layers.SeparableConv2D(4, 3)),
    ("MaxPooling2D", IMAGE, lambda: layers.MaxPooling2D()),
    ("AveragePooling2D same", IMAGE, lambda: layers.AveragePooling2D(3, strides=2, padding="same")),
    ("GlobalAveragePooling2D", IMAGE, lambda: layers.GlobalAveragePooling2D()),
    ("GlobalMaxPooling2D", IMAGE, lambda: layers.GlobalMaxPooling2D()),
    ("ZeroPadding2D", IMAGE, lambda: layers.ZeroPadding2D(2)),
    ("UpSampling2D nearest", IMAGE, lambda: layers.UpSampling2D()),
    ("UpSampling2D bilinear", IMAGE, lambda: layers.UpSampling2D(interpolation="bilinear")),
    ("BatchNormalization", IMAGE, lambda: layers.BatchNormalization()),
    ("Rescaling", IMAGE, lambda: layers.Rescaling(0.5, offset=0.1)),
    ("Normalization", IMAGE, lambda: layers.Normalization(mean=[0.1, 0.2], variance=[2.0, 3.0])),
    ("RandomFlip", IMAGE, lambda: layers.RandomFlip(seed=1)),
    ("RandomTranslation", IMAGE, lambda: layers.RandomTranslation(0.2, 0.2, seed=2)),
    ("RandomRotation", IMAGE, lambda: layers.RandomRotation(0.2, seed=3)),
    ("RandomZoom", IMAGE, lambda: layers.RandomZoom(0.2, seed=4)),
    ("RandomCrop", IMAGE, lambda: layers.RandomCrop(8, 8, seed=5)),
    ("RandomContrast", IMAGE, lambda: layers.RandomContrast(0.3, value_range=(-3, 3), seed=6)),
    ("Conv1D causal", SEQUENCE, lambda: layers.Conv1D(4, 3, padding="causal", dilation_rate=2)),
    ("MaxPooling1D", SEQUENCE, lambda: layers.MaxPooling1D(3, strides=2, padding="same")),
    ("SimpleRNN", SEQUENCE, lambda: layers.SimpleRNN(6, return_sequences=True)),
    ("LSTM", SEQUENCE, lambda: layers.LSTM(6, return_sequences=True, go_backwards=True)),
    ("GRU", SEQUENCE, lambda: layers.GRU(6, return_sequences=True)),
    ("GRU reset before", SEQUENCE, lambda: layers.GRU(6, reset_after=False)),
    ("Bidirectional LSTM", SEQUENCE, lambda: layers.Bidirectional(layers.LSTM(5, return_sequences=True))),
    ("LayerNormalization", SEQUENCE, lambda: layers.LayerNormalization()),
    ("MultiHeadAttention", SEQUENCE, lambda: _SelfAttention()),
]
BATCHES = range(1, 101)
FIT_SAMPLES = [1, 5, 9, 13, 17, 20, 29, 33, 41, 65, 100]


def run_case(shape, make_layer, threads):
    """Everything the engine computes for one layer at one thread count, in a fixed order."""
    swiftnet.config.set_num_threads(threads)
    swiftnet.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100,) + shape).astype(np.float32)
    y = rng.integers(0, 3, size=100)
    model = swiftnet.Sequential([swiftnet.Input(shape=shape), make_layer(), layers.Flatten(), layers.Dense(3)])
    model.compile(optimizer=swiftnet.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    results = [model.predict(x[:n], batch_size=n, verbose=0) for n in BATCHES]
    results.append(model.predict(x, batch_size=32, verbose=0))  # a partial last batch
    # Each training step starts from the same weights (plain SGD keeps no other state), so that
    # rounding differences of sums split across threads do not compound from step to step.
    initial = model.get_weights()
    for n in FIT_SAMPLES:
        model.set_weights(initial)
        history = model.fit(x[:n], y[:n], batch_size=n, epochs=1, shuffle=False, verbose=0)
        results.append(np.array(history.history["loss"]))
        results.extend(model.get_weights())
    model.set_weights(initial)
    history = model.fit(x, y, batch_size=64, epochs=1, verbose=0)  # shuffled, partial last batch
    results.append(np.array(history.history["loss"]))
    results.append(np.array(model.evaluate(x, y, batch_size=7, verbose=0)))
    results.extend(model.get_weights())
    return results


def main(thread_counts):
    mismatches = 0
    for name, shape, make_layer in CASES:
        reference = run_case(shape, make_layer, 1)
        for threads in thread_counts:
            if threads == 1:
                continue
            for i, (expected, actual) in enumerate(zip(reference, run_case(shape, make_layer, threads))):
                if expected.shape != actual.shape or not np.allclose(actual, expected, rtol=1e-4, atol=1e-5):
                    mismatches += 1
                    print(f"MISMATCH {name}: {threads} threads, result {i}: max difference "
                          f"{np.max(np.abs(actual - expected)) if expected.shape == actual.shape else 'shape'}")
                    break
    if mismatches == 0:
        print(f"battery ok: {len(CASES)} cases")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main([int(t) for t in sys.argv[1].split(",")]))
