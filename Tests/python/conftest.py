import pathlib
import sys

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))


@pytest.fixture(autouse=True)
def fixed_seed():
    import swiftnet
    swiftnet.utils.set_random_seed(1234)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_configure(config):
    # Keras (for the parity tests) runs on JAX; Keras's own deprecation noise is not ours.
    import os
    os.environ.setdefault("KERAS_BACKEND", "jax")
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:keras.*")
