"""Reader for the IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed)."""

import gzip
import hashlib

import numpy as np

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path, content_sha256=None):
    """The array stored in an IDX file; raises ValueError on a malformed file, or when
    `content_sha256` is given and the (decompressed) IDX bytes do not have that SHA-256, so that a
    gzip file recompressed differently is still recognised but any other file is not."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"{path} could not be read as {'gzip-compressed ' if opener is gzip.open else ''}IDX: {error}") from None
    if content_sha256 is not None and hashlib.sha256(data).hexdigest() != content_sha256:
        raise ValueError(f"{path} does not hold the expected data (SHA-256 of its IDX content should be "
                         f"{content_sha256}): the file is corrupt or not the one expected. Delete or replace it.")
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number).")
    rank = data[3]
    header = 4 + 4 * rank
    if len(data) < header:
        raise ValueError(f"{path} is truncated: its header needs {header} bytes.")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank))
    dtype = np.dtype(_TYPES[data[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(f"{path} holds {len(data) - header} bytes of data; its header {shape} needs {expected}.")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))
