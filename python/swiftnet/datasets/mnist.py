"""MNIST handwritten digits (LeCun, Cortes, Burges): 28x28 uint8 images, labels 0-9."""

import numpy as np

from . import _cache
from ._download import get_file
from ._idx import read_idx

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
_TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
_TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
# SHA-256 of each original IDX file's content (after gunzip): every copy is checked against it.
IDX_HASHES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


def _read(path):
    """An IDX file of MNIST, verified against the known content checksum."""
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    return read_idx(path, IDX_HASHES[name])


def load_data(path="mnist.npz"):
    """`(x_train, y_train), (x_test, y_test)` as Keras returns them: uint8 arrays of shapes
    (60000, 28, 28), (60000,), (10000, 28, 28), (10000,).

    Read from `mnist.npz` (Keras's file) or the four original IDX files in a data directory, else
    downloaded from Keras's source and checked against its SHA-256."""
    idx = [_cache.find_file("mnist", [f]) for f in _TRAIN_FILES + _TEST_FILES]
    if all(idx):
        arrays = [_read(p) for p in idx]
        return _checked((arrays[0], arrays[1]), (arrays[2], arrays[3]))
    return load_npz(get_file("mnist", path, ORIGIN, FILE_HASH))


def load_npz(path):
    """The four arrays of a Keras-format mnist.npz."""
    with np.load(path, allow_pickle=False) as f:
        return _checked((f["x_train"], f["y_train"]), (f["x_test"], f["y_test"]))


def _checked(train, test):
    for x, y in (train, test):
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (x.shape[0],):
            raise ValueError(f"Unexpected MNIST shapes: images {x.shape}, labels {y.shape}.")
    return (train[0].astype(np.uint8), train[1].astype(np.uint8)), (test[0].astype(np.uint8), test[1].astype(np.uint8))


def load_test_set():
    """The 10,000-image MNIST test set as (images uint8 (10000, 28, 28), labels uint8 (10000,)), from
    the local data directories (see `swiftnet.datasets`); no download. Raises FileNotFoundError,
    naming the files and where to put them, when they are missing."""
    images = _cache.find_file("mnist", [_TEST_FILES[0], _TEST_FILES[0][:-3]])
    labels = _cache.find_file("mnist", [_TEST_FILES[1], _TEST_FILES[1][:-3]])
    if images is None or labels is None:
        places = "\n".join(f"  {d}" for d in _cache.candidate_dirs("mnist")[:2])
        raise FileNotFoundError(
            f"The MNIST test set ({', '.join(_TEST_FILES)}) was not found. Put the files in one of:\n{places}\n"
            "(or set SWIFTNET_DATA_DIR).")
    x, y = _read(images), _read(labels)
    if x.shape[1:] != (28, 28) or y.shape != (x.shape[0],):
        raise ValueError(f"Unexpected MNIST shapes: images {x.shape}, labels {y.shape}.")
    return x, y
