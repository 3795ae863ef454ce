"""Standard data sets, read from local files.

Files are searched in $SWIFTNET_DATA_DIR/<name>, ~/.swiftnet/datasets/<name>, and a
`shared/data/<name>` folder in the working directory or one of its parents."""

from . import mnist

__all__ = ["mnist"]
