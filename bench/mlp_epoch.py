"""One training epoch and one predict of the 784-128-10 MLP (relu/softmax, Adam, batch 64) on
60,000 samples, in swiftnet, PyTorch (when installed) and scikit-learn's MLPClassifier, in the same
run, beside the sgemm roofline of the same products measured in the same run (see machine.py).

Data: the real MNIST test images tiled to 60,000 when the files are found (see swiftnet.datasets),
else (or with --data noise) uniform noise of the same shape, which has no zeros to skip.
GFLOP/s are dense-equivalent: the FLOPs of the dense computation divided by the time.
Run: python bench/mlp_epoch.py [--repeats N] [--data mnist|noise] [--skip-sklearn] [--skip-torch]"""

import argparse
import time
import warnings

import numpy as np

import machine
import swiftnet
from swiftnet import layers

SAMPLES = 60_000
BATCH = 64
# The matrix products of one training step (m, n, k, transpose A, transpose B): the two layers'
# forward products, then the output layer's weight and input gradients and the hidden layer's
# weight gradient (the input needs none).
STEP_PRODUCTS = [(BATCH, 128, 784, False, False), (BATCH, 10, 128, False, False),
                 (128, 10, BATCH, True, False), (BATCH, 128, 10, False, True), (784, 128, BATCH, True, False)]
# Predict's products, at the best batch the BLAS could be given (8192 rows at a time).
PREDICT_ROWS = 8192
PREDICT_PRODUCTS = [(PREDICT_ROWS, 128, 784, False, False), (PREDICT_ROWS, 10, 128, False, False)]


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


def torch_epoch_and_predict(x, y, repeats):
    """The same MLP, loss, optimizer and batch in PyTorch: the idiomatic loop over a shuffled tensor."""
    import torch
    from torch import nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def epoch():
        order = torch.randperm(len(xt))
        for first in range(0, len(xt), BATCH):
            rows = order[first:first + BATCH]
            optimizer.zero_grad()
            loss_fn(model(xt[rows]), yt[rows]).backward()
            optimizer.step()

    def predict():
        with torch.no_grad():
            torch.softmax(model(xt), dim=1)

    return best_of(repeats, epoch), best_of(repeats, predict), torch.__version__


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--skip-torch", action="store_true")
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
    print(machine.describe())
    epoch_roofline = machine.roofline_seconds([p + (SAMPLES / BATCH,) for p in STEP_PRODUCTS])
    predict_roofline = machine.roofline_seconds([p + (SAMPLES / PREDICT_ROWS,) for p in PREDICT_PRODUCTS])
    print(f"roofline: sgemm 2048^3 {machine.square_gflops():.0f} GFLOP/s; the epoch's own products alone "
          f"{epoch_roofline:.3f} s, predict's {predict_roofline:.3f} s")
    print(f"swiftnet  epoch:   {epoch:.3f} s  {SAMPLES / epoch:>10,.0f} samples/s  {train_gflop / epoch:6.1f} GFLOP/s  "
          f"{100 * epoch_roofline / epoch:3.0f} % of roofline")
    print(f"swiftnet  predict: {predict:.3f} s  {SAMPLES / predict:>10,.0f} samples/s  {predict_gflop / predict:6.1f} GFLOP/s  "
          f"{100 * predict_roofline / predict:3.0f} % of roofline")
    if not args.skip_torch:
        try:
            torch_epoch, torch_predict, version = torch_epoch_and_predict(x, y, args.repeats)
            print(f"PyTorch {version}: epoch {torch_epoch:.3f} s, predict {torch_predict:.3f} s; "
                  f"ratio (swiftnet / PyTorch): epoch {epoch / torch_epoch:.2f}, predict {predict / torch_predict:.2f}")
        except ImportError:
            print("(PyTorch is not installed: no comparison)")

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
