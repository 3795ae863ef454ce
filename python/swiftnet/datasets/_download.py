"""Fetching data set files: from the local data directories, else from their canonical source,
always checked against a SHA-256 checksum."""

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request

from . import _cache

TIMEOUT_SECONDS = 30


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def get_file(name, filename, origin, file_hash):
    """The local path of `filename` of data set `name`: found in a data directory with the right
    checksum, or downloaded from `origin` into the cache directory. Raises FileNotFoundError saying
    what to download and where to put it when neither works."""
    for folder in _cache.candidate_dirs(name):
        path = folder / filename
        if path.is_file():
            if sha256(path) == file_hash:
                return path
            raise ValueError(f"{path} does not have the expected SHA-256 checksum {file_hash}: the file is "
                             "corrupt or a different version. Delete it so that it can be fetched again.")
    target = _cache.cache_dir() / name / filename
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(origin, timeout=TIMEOUT_SECONDS) as response, \
                tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as partial:
            shutil.copyfileobj(response, partial)
        if sha256(partial.name) != file_hash:
            os.unlink(partial.name)
            raise ValueError(f"The file downloaded from {origin} does not have the expected SHA-256 checksum {file_hash}.")
        os.replace(partial.name, target)
        return target
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        raise FileNotFoundError(
            f"{filename} of the {name} data set is not available locally and could not be downloaded ({error}).\n"
            f"Download {origin}\n(SHA-256 {file_hash}) and put it at {target}\n"
            f"or in $SWIFTNET_DATA_DIR/{name}/.") from None
