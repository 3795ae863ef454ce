"""CIFAR-100: 32x32 colour images in 100 fine or 20 coarse classes."""

from . import cifar
from ._download import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    """`(x_train, y_train), (x_test, y_test)` with `label_mode` "fine" (0-99) or "coarse" (0-19)."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.')
    path = get_file("cifar100", "cifar-100-python.tar.gz", ORIGIN, FILE_HASH)
    return cifar.read_archive(path, ["cifar-100-python/train"], ["cifar-100-python/test"], label_mode + "_labels")
