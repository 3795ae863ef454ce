"""Fashion-MNIST (Zalando): 28x28 uint8 images of 10 kinds of clothing."""

from ._download import get_file
from ._idx import read_idx

BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASHES = {
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}


def load_data():
    """`(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (60000, 28, 28), (60000,),
    (10000, 28, 28), (10000,), from the data directories or Keras's source (checksums verified)."""
    arrays = {name: read_idx(get_file("fashion_mnist", name, BASE + name, digest)) for name, digest in FILE_HASHES.items()}
    x_train, y_train = arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]
    x_test, y_test = arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]
    if x_train.shape[0] != y_train.shape[0] or x_test.shape[0] != y_test.shape[0]:
        raise ValueError("Fashion-MNIST images and labels do not match in number.")
    return (x_train, y_train), (x_test, y_test)
