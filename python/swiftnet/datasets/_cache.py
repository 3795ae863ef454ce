"""Where data sets are looked for: $SWIFTNET_DATA_DIR/<name>, ~/.swiftnet/datasets/<name>, and a
`shared/data/<name>` folder in the working directory or one of its parents (a shared data
checkout next to the project)."""

import os
import pathlib


def cache_dir():
    """The directory downloads go to: $SWIFTNET_DATA_DIR, else ~/.swiftnet/datasets."""
    override = os.environ.get("SWIFTNET_DATA_DIR")
    return pathlib.Path(override).expanduser() if override else pathlib.Path.home() / ".swiftnet" / "datasets"


def candidate_dirs(name):
    """Directories that may hold data set `name`, in the order they are searched (every file found
    is checked against its known checksum before it is used)."""
    dirs = [cache_dir() / name]
    if os.environ.get("SWIFTNET_DATA_DIR"):
        dirs.append(pathlib.Path.home() / ".swiftnet" / "datasets" / name)
    here = pathlib.Path.cwd().resolve()
    for folder in [here, *here.parents]:
        dirs.append(folder / "shared" / "data" / name)
    return dirs


def find_file(name, filenames):
    """The first existing path of any of `filenames` in the candidate directories of `name`."""
    for folder in candidate_dirs(name):
        for filename in filenames:
            path = folder / filename
            if path.is_file():
                return path
    return None
