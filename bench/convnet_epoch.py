"""One training epoch of two convnets, timed in swiftnet:

- the CIFAR-10 network of the Keras/PyTorch tutorials (conv 6@5x5, pool, conv 16@5x5, pool,
  dense 120, 84, 10; relu; Adam) on 10,000 images of 32x32x3, batch 64;
- the MNIST convnet of the swiftnet README (RandomTranslation, conv 32@3x3, pool, conv 64@3x3 same
  without bias, batch norm, relu, pool, dropout, softmax) on 10,000 images of 28x28x1, batch 128.

Images are random (timing does not depend on the values; the MNIST images are used when found).
Prints time, images/s and achieved GFLOP/s (of the convolution and dense layers' multiply-adds,
forward and backward), the machine and its sgemm roofline (machine.py), and the CIFAR-10 network's
epoch in PyTorch (same network, optimizer and batch) when PyTorch is installed.
Run: python bench/convnet_epoch.py [--repeats N] [--skip-torch]"""

import argparse
import time

import numpy as np

import machine
import swiftnet
from swiftnet import layers

IMAGES = 10_000


def conv_flops(out_h, out_w, k_h, k_w, c_in, c_out, input_gradient=True):
    forward = 2 * out_h * out_w * k_h * k_w * c_in * c_out
    return forward * (3 if input_gradient else 2)


def dense_flops(n_in, n_out, input_gradient=True):
    return 2 * n_in * n_out * (3 if input_gradient else 2)


def cifar_model():
    return swiftnet.Sequential([
        swiftnet.Input(shape=(32, 32, 3)),
        layers.Conv2D(6, 5, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(120, activation="relu"), layers.Dense(84, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]), (conv_flops(28, 28, 5, 5, 3, 6, False) + conv_flops(10, 10, 5, 5, 6, 16) + dense_flops(400, 120)
         + dense_flops(120, 84) + dense_flops(84, 10))


def mnist_model():
    return swiftnet.Sequential([
        swiftnet.Input(shape=(28, 28, 1)),
        layers.RandomTranslation(0.1, 0.1),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"), layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, 3, padding="same", use_bias=False), layers.BatchNormalization(), layers.Activation("relu"),
        layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ]), conv_flops(26, 26, 3, 3, 1, 32, False) + conv_flops(13, 13, 3, 3, 32, 64) + dense_flops(2304, 10)


def run(name, build, x, y, batch_size, repeats):
    swiftnet.utils.set_random_seed(0)
    model, flops_per_image = build()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:1024], y[:1024], batch_size=batch_size, epochs=1, verbose=0)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        best = min(best, time.perf_counter() - start)
    gflop = flops_per_image * len(x) / 1e9
    print(f"{name}: epoch {best:.3f} s  {len(x) / best:>8,.0f} images/s  {gflop / best:6.1f} GFLOP/s "
          f"({gflop:.1f} GFLOP per epoch)")
    return best


def torch_cifar_epoch(x, y, batch_size, repeats):
    """The CIFAR-10 network in PyTorch (NCHW), Adam, the idiomatic loop over a shuffled tensor."""
    import torch
    from torch import nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                          nn.Linear(84, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), torch.from_numpy(y.astype(np.int64))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        order = torch.randperm(len(xt))
        for first in range(0, len(xt), batch_size):
            rows = order[first:first + batch_size]
            optimizer.zero_grad()
            loss_fn(model(xt[rows]), yt[rows]).backward()
            optimizer.step()
        best = min(best, time.perf_counter() - start)
    return best, torch.__version__


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-torch", action="store_true")
    args = parser.parse_args()
    print(machine.describe())
    print(f"roofline: sgemm 2048^3 {machine.square_gflops():.0f} GFLOP/s")
    rng = np.random.default_rng(0)
    cifar_x = rng.random((IMAGES, 32, 32, 3), dtype=np.float32)
    cifar_y = rng.integers(0, 10, IMAGES)
    try:
        images, labels = swiftnet.datasets.mnist.load_test_set()
        mnist_x, mnist_y = images[..., None].astype(np.float32) / 255, labels
    except FileNotFoundError:
        mnist_x, mnist_y = rng.random((IMAGES, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, IMAGES)
    cifar = run("CIFAR-10 net (batch 64) ", cifar_model, cifar_x, cifar_y, 64, args.repeats)
    run("MNIST convnet (batch 128)", mnist_model, mnist_x, mnist_y, 128, args.repeats)
    print(f"target: CIFAR-10 epoch <= 0.7 s: {'met' if cifar <= 0.7 else 'NOT met'}")
    if not args.skip_torch:
        try:
            theirs, version = torch_cifar_epoch(cifar_x, cifar_y, 64, args.repeats)
            print(f"PyTorch {version} CIFAR-10 net (batch 64): epoch {theirs:.3f} s; ratio (swiftnet / PyTorch) "
                  f"{cifar / theirs:.2f} (target <= 0.35: {'met' if cifar / theirs <= 0.35 else 'NOT met'})")
        except ImportError:
            print("(PyTorch is not installed: no comparison)")


if __name__ == "__main__":
    main()
