"""Fetching data set files: from the local data directories, else from their canonical source,
always checked against a checksum: SHA-256 (64 hex digits), or MD5 (32 hex digits) for the few
files Keras itself only publishes an MD5 for (the IMDB and Reuters word indices, plain JSON)."""

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request

from . import _cache

TIMEOUT_SECONDS = 30


def sha256(path):
    return file_digest(path, "sha256")


def file_digest(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _algorithm(file_hash):
    """("sha256" or "md5", its name in messages) for a hex digest, by its length as Keras's
    `get_file(hash_algorithm="auto")` decides."""
    if len(file_hash) == 64:
        return "sha256", "SHA-256"
    if len(file_hash) == 32:
        return "md5", "MD5"
    raise ValueError(f"Expected a SHA-256 (64 hex digits) or MD5 (32 hex digits) checksum. Received: {file_hash!r}")


def get_file(name, filename, origin, file_hash):
    """The local path of `filename` of data set `name`: found in a data directory with the right
    checksum, or downloaded from `origin` into the cache directory. Raises FileNotFoundError saying
    what to download and where to put it when neither works."""
    algorithm, label = _algorithm(file_hash)
    for folder in _cache.candidate_dirs(name):
        path = folder / filename
        if path.is_file():
            if file_digest(path, algorithm) == file_hash:
                return path
            raise ValueError(f"{path} does not have the expected {label} checksum {file_hash}: the file is "
                             "corrupt or a different version. Delete it so that it can be fetched again.")
    target = _cache.cache_dir() / name / filename
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(origin, timeout=TIMEOUT_SECONDS) as response, \
                tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as partial:
            shutil.copyfileobj(response, partial)
        if file_digest(partial.name, algorithm) != file_hash:
            os.unlink(partial.name)
            raise ValueError(f"The file downloaded from {origin} does not have the expected {label} checksum {file_hash}.")
        os.replace(partial.name, target)
        return target
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        raise FileNotFoundError(
            f"{filename} of the {name} data set is not available locally and could not be downloaded ({error}).\n"
            f"Download {origin}\n({label} {file_hash}) and put it at {target}\n"
            f"or in $SWIFTNET_DATA_DIR/{name}/.") from None
