"""The data set readers on small files written here in each real format, the checksum checks, and
the offline message. Nothing is downloaded."""

import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile
import urllib.error

import numpy as np
import pytest

import swiftnet
from swiftnet.datasets import _download, cifar10, cifar100, fashion_mnist, mnist


def write_idx(path, array):
    codes = {np.dtype(np.uint8): 0x08}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SWIFTNET_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)  # no shared data folders above

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("offline (test)")
    monkeypatch.setattr(_download.urllib.request, "urlopen", refuse)
    return tmp_path / "cache"


def images(rng, n, shape):
    return rng.integers(0, 256, (n,) + shape, dtype=np.uint8)


def test_idx_reader_roundtrip_and_errors(tmp_path, rng):
    array = images(rng, 7, (28, 28))
    write_idx(tmp_path / "x.gz", array)
    np.testing.assert_array_equal(swiftnet.datasets._idx.read_idx(tmp_path / "x.gz"), array)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04garbage")
    with pytest.raises(ValueError, match="not an IDX file"):
        swiftnet.datasets._idx.read_idx(tmp_path / "bad")
    with gzip.open(tmp_path / "short.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"abc")
    with pytest.raises(ValueError, match="holds 3 bytes"):
        swiftnet.datasets._idx.read_idx(tmp_path / "short.gz")


def test_mnist_from_npz_with_checksum(data_dir, rng, monkeypatch):
    (data_dir / "mnist").mkdir(parents=True)
    x_train, y_train = images(rng, 60, (28, 28)), rng.integers(0, 10, 60, dtype=np.uint8)
    x_test, y_test = images(rng, 10, (28, 28)), rng.integers(0, 10, 10, dtype=np.uint8)
    path = data_dir / "mnist" / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    monkeypatch.setattr(mnist, "FILE_HASH", _download.sha256(path))
    (a, b), (c, d) = mnist.load_data()
    for got, want in zip([a, b, c, d], [x_train, y_train, x_test, y_test]):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.uint8
    monkeypatch.setattr(mnist, "FILE_HASH", "0" * 64)
    with pytest.raises(ValueError, match="expected SHA-256"):
        mnist.load_data()


def test_mnist_from_the_four_idx_files(data_dir, rng, monkeypatch):
    folder = data_dir / "mnist"
    folder.mkdir(parents=True)
    arrays = [images(rng, 12, (28, 28)), rng.integers(0, 10, 12, dtype=np.uint8),
              images(rng, 5, (28, 28)), rng.integers(0, 10, 5, dtype=np.uint8)]
    names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz"]
    for name, array in zip(names, arrays):
        write_idx(folder / name, array)
    # Files that are not MNIST's are refused, wherever they are...
    with pytest.raises(ValueError, match="does not hold the expected data"):
        mnist.load_data()
    # ...and read once their content has the checksum on record (here: the synthetic files').
    hashes = {name[:-3]: hashlib.sha256(gzip.open(folder / name).read()).hexdigest() for name in names}
    monkeypatch.setattr(mnist, "IDX_HASHES", hashes)
    (a, b), (c, d) = mnist.load_data()
    for got, want in zip([a, b, c, d], arrays):
        np.testing.assert_array_equal(got, want)
    x, y = mnist.load_test_set()
    np.testing.assert_array_equal(x, arrays[2])


def test_offline_error_says_what_to_download_and_where(data_dir):
    with pytest.raises(FileNotFoundError) as error:
        mnist.load_data()
    message = str(error.value)
    assert mnist.ORIGIN in message and mnist.FILE_HASH in message
    assert str(data_dir / "mnist" / "mnist.npz") in message
    with pytest.raises(FileNotFoundError, match="cifar-10-python.tar.gz"):
        cifar10.load_data()


def test_fashion_mnist(data_dir, rng, monkeypatch):
    folder = data_dir / "fashion_mnist"
    folder.mkdir(parents=True)
    arrays = {"train-images-idx3-ubyte.gz": images(rng, 9, (28, 28)),
              "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 9, dtype=np.uint8),
              "t10k-images-idx3-ubyte.gz": images(rng, 4, (28, 28)),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 4, dtype=np.uint8)}
    hashes = {}
    for name, array in arrays.items():
        write_idx(folder / name, array)
        hashes[name] = _download.sha256(folder / name)
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", hashes)
    (a, b), (c, d) = fashion_mnist.load_data()
    assert a.shape == (9, 28, 28) and b.shape == (9,) and c.shape == (4, 28, 28) and d.shape == (4,)
    np.testing.assert_array_equal(a, arrays["train-images-idx3-ubyte.gz"])


def pickled_batch(data, **labels):
    return pickle.dumps({b"data": data, **{k.encode(): v for k, v in labels.items()}}, protocol=2)


def write_tar(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))


def test_cifar10_reads_channels_last_uint8(data_dir, rng, monkeypatch):
    folder = data_dir / "cifar10"
    folder.mkdir(parents=True)
    batches, members = [], {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = images(rng, 3, (3072,))
        labels = list(rng.integers(0, 10, 3))
        batches.append((data, labels))
        members[f"cifar-10-batches-py/{name}"] = pickled_batch(data, labels=labels)
    path = folder / "cifar-10-python.tar.gz"
    write_tar(path, members)
    monkeypatch.setattr(cifar10, "FILE_HASH", _download.sha256(path))
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (15, 32, 32, 3) and y_train.shape == (15, 1) and x_test.shape == (3, 32, 32, 3)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    # Channel-major rows of 3072 become channels-last images.
    first = batches[0][0][0]
    assert x_train[0, 0, 0, 0] == first[0] and x_train[0, 0, 0, 1] == first[1024] and x_train[0, 0, 1, 0] == first[1]
    np.testing.assert_array_equal(y_test[:, 0], batches[5][1])


def test_cifar100_label_modes_and_refuses_code_in_pickles(data_dir, rng, monkeypatch):
    folder = data_dir / "cifar100"
    folder.mkdir(parents=True)
    train, test = images(rng, 4, (3072,)), images(rng, 2, (3072,))
    members = {"cifar-100-python/train": pickled_batch(train, fine_labels=[1, 2, 3, 99], coarse_labels=[0, 1, 2, 19]),
               "cifar-100-python/test": pickled_batch(test, fine_labels=[5, 6], coarse_labels=[7, 8])}
    path = folder / "cifar-100-python.tar.gz"
    write_tar(path, members)
    monkeypatch.setattr(cifar100, "FILE_HASH", _download.sha256(path))
    (_, fine), _ = cifar100.load_data()
    (_, coarse), (_, coarse_test) = cifar100.load_data(label_mode="coarse")
    assert fine[:, 0].tolist() == [1, 2, 3, 99] and coarse[:, 0].tolist() == [0, 1, 2, 19]
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo unsafe",))
    write_tar(path, {"cifar-100-python/train": pickle.dumps({b"data": Evil()}), "cifar-100-python/test": b""})
    monkeypatch.setattr(cifar100, "FILE_HASH", _download.sha256(path))
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        cifar100.load_data()


def test_the_issue_example_runs_as_written(data_dir, rng, monkeypatch):
    """The convnet example of the docs, with a small mnist.npz standing in for the download."""
    (data_dir / "mnist").mkdir(parents=True)
    path = data_dir / "mnist" / "mnist.npz"
    np.savez(path, x_train=images(rng, 300, (28, 28)), y_train=rng.integers(0, 10, 300, dtype=np.uint8),
             x_test=images(rng, 50, (28, 28)), y_test=rng.integers(0, 10, 50, dtype=np.uint8))
    monkeypatch.setattr(mnist, "FILE_HASH", _download.sha256(path))
    from swiftnet import layers
    (x_train, y_train), (x_test, y_test) = swiftnet.datasets.mnist.load_data()
    x_train = x_train[..., None].astype("float32") / 255
    model = swiftnet.Sequential([
        swiftnet.Input(shape=(28, 28, 1)),
        layers.RandomTranslation(0.1, 0.1),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, 3, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=128, epochs=2, validation_split=0.1, verbose=0)
    assert set(history.history) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    assert [w.shape for w in model.get_weights()] == [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (64,), (64,), (64,),
                                                      (2304, 10), (10,)]
