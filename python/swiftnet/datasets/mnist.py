"""The MNIST digits (LeCun, Cortes, Burges): 28x28 uint8 images, labels 0-9."""

from . import _cache
from ._idx import read_idx

_TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def load_test_set():
    """The 10,000-image MNIST test set as (images uint8 (10000, 28, 28), labels uint8 (10000,)), from
    the local data directories (see `swiftnet.datasets`). Raises FileNotFoundError, naming the
    files and where to put them, when they are missing."""
    images = _cache.find_file("mnist", [_TEST_FILES[0], _TEST_FILES[0][:-3]])
    labels = _cache.find_file("mnist", [_TEST_FILES[1], _TEST_FILES[1][:-3]])
    if images is None or labels is None:
        places = "\n".join(f"  {d}" for d in _cache.candidate_dirs("mnist")[:2])
        raise FileNotFoundError(
            f"The MNIST test set ({', '.join(_TEST_FILES)}) was not found. Put the files in one of:\n{places}\n"
            "(or set SWIFTNET_DATA_DIR).")
    x, y = read_idx(images), read_idx(labels)
    if x.shape[1:] != (28, 28) or y.shape != (x.shape[0],):
        raise ValueError(f"Unexpected MNIST shapes: images {x.shape}, labels {y.shape}.")
    return x, y
