"""Reading the CIFAR-10/100 python-format archives (pickled batches in a .tar.gz)."""

import tarfile

import numpy as np

from . import _pickle


def read_batch(file, label_key):
    """(images uint8 (n, 32, 32, 3) channels-last, labels uint8 (n, 1)) from one pickled batch."""
    batch = _pickle.load(file)
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    labels = np.asarray(batch[label_key.encode()], dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3072 or labels.shape != (data.shape[0],):
        raise ValueError(f"Unexpected CIFAR batch shapes: data {data.shape}, labels {labels.shape}.")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels.reshape(-1, 1)


def read_archive(path, train_members, test_members, label_key):
    """Reads the named batches of a CIFAR archive without unpacking it to disk."""
    with tarfile.open(path, "r:gz") as archive:
        def load(members):
            parts = []
            for member in members:
                with archive.extractfile(member) as f:
                    parts.append(read_batch(f, label_key))
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        return load(train_members), load(test_members)
