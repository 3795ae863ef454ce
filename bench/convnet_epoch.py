"""One training epoch of two convnets, timed in swiftnet:

- the CIFAR-10 network of the Keras/PyTorch tutorials (conv 6@5x5, pool, conv 16@5x5, pool,
  dense 120, 84, 10; relu; Adam) on 10,000 images of 32x32x3, batch 64;
- the MNIST convnet of the swiftnet README (RandomTranslation, conv 32@3x3, pool, conv 64@3x3 same
  without bias, batch norm, relu, pool, dropout, softmax) on 10,000 images of 28x28x1, batch 128.

Images are random (timing does not depend on the values; the MNIST images are used when found).
Prints time, images/s and achieved GFLOP/s (of the convolution and dense layers' multiply-adds,
forward and backward). Run: python bench/convnet_epoch.py [--repeats N]"""

import argparse
import time

import numpy as np

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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
