"""The global seed: `set_random_seed(s)` makes every later layer, initializer, dropout mask and
shuffle order reproducible, bit for bit."""

import random as _py_random

import numpy as np

_generator = np.random.default_rng()


def set_random_seed(seed):
    """Seeds swiftnet, Python's `random` and NumPy's global generator, as Keras does."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"Expected `seed` to be an integer. Received: seed={seed!r}")
    _generator = np.random.default_rng(int(seed))
    _py_random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))


def next_seed():
    """A fresh seed drawn from the global generator; below 2**50 so that it travels exactly as a
    JSON number to the engine."""
    return int(_generator.integers(0, 2**50))
