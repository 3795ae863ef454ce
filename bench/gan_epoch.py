"""One DCGAN epoch on 10,000 MNIST images (batch 128), swiftnet against PyTorch (same
architecture, same batch) when PyTorch is installed.

The swiftnet step is the Keras DCGAN example's `train_step`: a `GradientTape` per network, each
network's Adam applied with `apply_gradients`. `fit` traces it once into the engine, which then runs
every step in Swift (pass --eager to run it eagerly, batch by batch, for comparison). Images are MNIST's test set when found, random otherwise (timing does not depend
on the values). Run: python bench/gan_epoch.py [--images N] [--batch B]"""

import argparse
import time

import numpy as np

import machine
import swiftnet
from swiftnet import layers, ops

LATENT = 64


def swiftnet_parts():
    generator = swiftnet.Sequential([
        swiftnet.Input(shape=(LATENT,)),
        layers.Dense(7 * 7 * 64), layers.LeakyReLU(negative_slope=0.2), layers.Reshape((7, 7, 64)),
        layers.Conv2DTranspose(64, 4, strides=2, padding="same"), layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(32, 4, strides=2, padding="same"), layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(1, 5, padding="same", activation="sigmoid"),
    ], name="generator")
    discriminator = swiftnet.Sequential([
        swiftnet.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 4, strides=2, padding="same"), layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(64, 4, strides=2, padding="same"), layers.LeakyReLU(negative_slope=0.2),
        layers.Flatten(), layers.Dense(1),
    ], name="discriminator")
    return generator, discriminator


class GAN(swiftnet.Model):
    """The Keras DCGAN example's model (without label noise)."""

    def __init__(self, discriminator, generator):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.d_loss_tracker = swiftnet.metrics.Mean(name="d_loss")
        self.g_loss_tracker = swiftnet.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn, run_eagerly=False):
        super().compile(run_eagerly=run_eagerly)
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real_images):
        batch = real_images.shape[0]
        generated = self.generator(swiftnet.random.normal((batch, LATENT)))
        combined = ops.concatenate([generated, real_images], axis=0)
        labels = ops.concatenate([ops.ones((batch, 1)), ops.zeros((batch, 1))], axis=0)
        with swiftnet.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(combined, training=True))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
        with swiftnet.GradientTape() as tape:
            fake = self.generator(swiftnet.random.normal((batch, LATENT)), training=True)
            g_loss = self.loss_fn(ops.zeros((batch, 1)), self.discriminator(fake, training=True))
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def swiftnet_epoch(images, batch, eager=False):
    generator, discriminator = swiftnet_parts()
    gan = GAN(discriminator, generator)
    gan.compile(swiftnet.optimizers.Adam(2e-4, beta_1=0.5), swiftnet.optimizers.Adam(2e-4, beta_1=0.5),
                swiftnet.losses.BinaryCrossentropy(from_logits=True), run_eagerly=eager)
    gan.fit(images[:batch], batch_size=batch, epochs=1, verbose=0)   # warm-up: builds both engines
    start = time.perf_counter()
    history = gan.fit(images, batch_size=batch, epochs=1, verbose=0)
    return time.perf_counter() - start, history.history


def torch_epoch(images, batch):
    import torch
    from torch import nn
    torch.manual_seed(0)
    generator = nn.Sequential(
        nn.Linear(LATENT, 7 * 7 * 64), nn.LeakyReLU(0.2), nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(32, 1, 5, padding=2), nn.Sigmoid())
    discriminator = nn.Sequential(
        nn.Conv2d(1, 32, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(7 * 7 * 64, 1))
    d_optimizer = torch.optim.Adam(discriminator.parameters(), 2e-4, betas=(0.5, 0.999))
    g_optimizer = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
    loss_fn = nn.BCEWithLogitsLoss()
    data = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())
    start = time.perf_counter()
    order = torch.randperm(len(data))
    for first in range(0, len(data), batch):
        real = data[order[first:first + batch]]
        n = len(real)
        generated = generator(torch.randn(n, LATENT)).detach()
        labels = torch.cat([torch.ones(n, 1), torch.zeros(n, 1)])
        d_loss = loss_fn(discriminator(torch.cat([generated, real])), labels)
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        g_loss = loss_fn(discriminator(generator(torch.randn(n, LATENT))), torch.zeros(n, 1))
        g_optimizer.zero_grad()
        g_loss.backward()
        g_optimizer.step()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--eager", action="store_true", help="run the step eagerly, batch by batch")
    args = parser.parse_args()
    print(machine.describe())
    print(f"roofline: sgemm 2048^3 {machine.square_gflops():.0f} GFLOP/s")
    try:
        (images, _) = swiftnet.datasets.mnist.load_test_set()
        source = "MNIST test set"
    except Exception:  # noqa: BLE001 - no data here: timing does not depend on the values
        images = np.random.default_rng(0).integers(0, 256, size=(args.images, 28, 28), dtype=np.uint8)
        source = "random images"
    images = (images[:args.images].astype(np.float32) / 255.0)[..., None]
    print(f"DCGAN epoch: {len(images)} {source}, batch {args.batch}")
    seconds, logs = swiftnet_epoch(images, args.batch, args.eager)
    print(f"swiftnet: {seconds:.2f} s ({len(images) / seconds:.0f} images/s), d_loss {logs['d_loss'][0]:.3f}, "
          f"g_loss {logs['g_loss'][0]:.3f}")
    try:
        import torch
    except ImportError:
        print("PyTorch not installed: no comparison.")
        return
    torch_seconds = torch_epoch(images, args.batch)
    print(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads): {torch_seconds:.2f} s "
          f"({len(images) / torch_seconds:.0f} images/s); swiftnet / PyTorch = {seconds / torch_seconds:.2f}x")


if __name__ == "__main__":
    main()
