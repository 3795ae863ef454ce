"""One training epoch and one predict of the 784-128-10 MLP (relu/softmax, Adam, batch 64) on
60,000 samples, in swiftnet and scikit-learn's MLPClassifier, in the same run.

Data: the real MNIST test images tiled to 60,000 when the files are found (see swiftnet.datasets),
else (or with --data noise) uniform noise of the same shape, which has no zeros to skip.
GFLOP/s are dense-equivalent: the FLOPs of the dense computation divided by the time.
Run: python bench/mlp_epoch.py [--repeats N] [--data mnist|noise]"""

import argparse
import time
import warnings

import numpy as np

import swiftnet
from swiftnet import layers

SAMPLES = 60_000


def load_data(kind):
    if kind == "noise":
        rng = np.random.default_rng(0)
        return rng.random((SAMPLES, 784), dtype=np.float32), rng.integers(0, 10, SAMPLES), "uniform noise"
    try:
        images, labels = swiftnet.datasets.mnist.load_test_set()
        x = np.tile(images.reshape(len(images), 784).astype(np.float32) / 255, (SAMPLES // len(images) + 1, 1))
        y = np.tile(labels, SAMPLES // len(labels) + 1)
        return x[:SAMPLES], y[:SAMPLES].astype(np.int64), "MNIST images (tiled)"
    except FileNotFoundError:
        rng = np.random.default_rng(0)
        return rng.random((SAMPLES, 784), dtype=np.float32), rng.integers(0, 10, SAMPLES), "uniform noise"


def flops_per_sample_training():
    forward = 2 * (784 * 128 + 128 * 10)
    backward = 2 * (784 * 128) + 2 * (128 * 10) * 2  # weight gradients, and the hidden layer's input gradient
    return forward + backward


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--data", choices=["mnist", "noise"], default="mnist")
    args = parser.parse_args()
    x, y, source = load_data(args.data)
    print(f"data: {SAMPLES} samples of {source}")

    swiftnet.utils.set_random_seed(0)
    model = swiftnet.Sequential([swiftnet.Input(shape=(784,)), layers.Dense(128, activation="relu"),
                                 layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:2048], y[:2048], batch_size=64, epochs=1, verbose=0)  # warm-up
    epoch = best_of(args.repeats, lambda: model.fit(x, y, batch_size=64, epochs=1, verbose=0))
    model.predict(x[:4096], verbose=0)
    predict = best_of(args.repeats, lambda: model.predict(x, verbose=0))
    train_gflop = SAMPLES * flops_per_sample_training() / 1e9
    predict_gflop = SAMPLES * 2 * (784 * 128 + 128 * 10) / 1e9
    print(f"swiftnet  epoch:   {epoch:.3f} s  {SAMPLES / epoch:>10,.0f} samples/s  {train_gflop / epoch:6.1f} GFLOP/s")
    print(f"swiftnet  predict: {predict:.3f} s  {SAMPLES / predict:>10,.0f} samples/s  {predict_gflop / predict:6.1f} GFLOP/s")

    if args.skip_sklearn:
        return
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    sk = MLPClassifier(hidden_layer_sizes=(128,), activation="relu", solver="adam", batch_size=64, max_iter=1,
                       shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk_epoch = best_of(args.repeats, lambda: sk.fit(x, y))
    sk_predict = best_of(args.repeats, lambda: sk.predict_proba(x))
    print(f"sklearn   epoch:   {sk_epoch:.3f} s  {SAMPLES / sk_epoch:>10,.0f} samples/s  {train_gflop / sk_epoch:6.1f} GFLOP/s")
    print(f"sklearn   predict: {sk_predict:.3f} s  {SAMPLES / sk_predict:>10,.0f} samples/s")
    print(f"ratio (swiftnet / sklearn): epoch {epoch / sk_epoch:.2f}, predict {predict / sk_predict:.2f}")
    print(f"targets: epoch <= {sk_epoch / 2:.3f} s (half of sklearn): {'met' if epoch <= sk_epoch / 2 else 'NOT met'}; "
          f"predict < 0.050 s: {'met' if predict < 0.05 else 'NOT met'}")


if __name__ == "__main__":
    main()
