"""A Dense layer of your own (`ops.matmul` + bias + relu, traced into the engine) against the
built-in `layers.Dense`: one epoch of a 784-128-10 MLP (Adam, batch 64) on 60,000 samples, best of
several interleaved runs. Run: python bench/custom_dense.py [--repeats N]"""

import argparse
import time

import numpy as np

import machine
import swiftnet
from swiftnet import layers, ops


class MyDense(layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation = units, activation

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, x):
        y = ops.matmul(x, self.kernel) + self.bias
        return ops.relu(y) if self.activation == "relu" else y


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(machine.describe())
    print(f"roofline: sgemm 2048^3 {machine.square_gflops():.0f} GFLOP/s")
    rng = np.random.default_rng(0)
    x = rng.random((60000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 60000)
    models = {}
    for name, cls in (("layers.Dense", layers.Dense), ("MyDense (ops)", MyDense)):
        swiftnet.utils.set_random_seed(0)
        model = swiftnet.Sequential([swiftnet.Input((784,)), cls(128, activation="relu"), cls(10)])
        model.compile(optimizer="adam", loss=swiftnet.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        model.fit(x[:2048], y[:2048], batch_size=64, verbose=0)
        models[name] = model
    times = {name: [] for name in models}
    for _ in range(args.repeats):
        for name, model in models.items():
            start = time.perf_counter()
            model.fit(x, y, batch_size=64, epochs=1, verbose=0)
            times[name].append(time.perf_counter() - start)
    best = {name: min(t) for name, t in times.items()}
    for name, seconds in best.items():
        print(f"{name:<16} epoch: {seconds:.3f} s")
    ratio = best["MyDense (ops)"] / best["layers.Dense"]
    print(f"ratio: {ratio:.2f} (target <= 1.3: {'met' if ratio <= 1.3 else 'NOT met'})")


if __name__ == "__main__":
    main()
