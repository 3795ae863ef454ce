"""CIFAR-10: 32x32 colour images in 10 classes."""

from . import cifar
from ._download import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """`(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (50000, 32, 32, 3), (50000, 1),
    (10000, 32, 32, 3), (10000, 1), as Keras returns them."""
    path = get_file("cifar10", "cifar-10-python.tar.gz", ORIGIN, FILE_HASH)
    train = [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)]
    return cifar.read_archive(path, train, ["cifar-10-batches-py/test_batch"], "labels")
