"""Standard data sets with Keras's `load_data()` contract.

Files are looked for in $SWIFTNET_DATA_DIR/<name>, ~/.swiftnet/datasets/<name>, and a
`shared/data/<name>` folder in the working directory or one of its parents; missing files are
downloaded from their canonical source into the first of these (checksums always verified).
Offline, the error says what to download and where to put it."""

from . import cifar10, cifar100, fashion_mnist, imdb, mnist, reuters

__all__ = ["cifar10", "cifar100", "fashion_mnist", "imdb", "mnist", "reuters"]
