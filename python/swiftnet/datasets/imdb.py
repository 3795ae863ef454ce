"""IMDB movie reviews (Maas et al., 2011): 25,000 training and 25,000 test reviews labelled by
sentiment (1 = positive, 0 = negative), each a list of word indices (words ranked by frequency).

`load_data` and `get_word_index` behave as Keras's. `load_subset` reads a small real subset that
needs no download (6,000 reviews already encoded as `load_data(num_words=500)` does)."""

import json

import numpy as np

from . import _cache, _npz, _sequences
from ._download import file_digest, get_file

BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ORIGIN = BASE + "imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_ORIGIN = BASE + "imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"  # MD5: Keras publishes no other checksum for it

SUBSET_FILE = "imdb_subset.npz"
SUBSET_HASH = "71f4dd765cc8f99e214b8570512f8156a25466546e59ebbaa4b0efb9e1f8654e"
SUBSET_NUM_WORDS = 500


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """`(x_train, y_train), (x_test, y_test)` as Keras returns them: `x_*` NumPy object arrays of
    lists of word indices, `y_*` int64 arrays of labels (1 positive, 0 negative).

    Args:
        path: file name of `imdb.npz` in the data directories (see `swiftnet.datasets`); downloaded
            from Keras's source when absent. Its SHA-256 is checked before anything is read.
        num_words: keep the `num_words` most frequent words; the others become `oov_char`. With
            None, the bound is the largest index present (so, as in Keras, that one word becomes
            `oov_char` too).
        skip_top: also make the `skip_top` most frequent words (indices below it) `oov_char`.
        maxlen: drop reviews of `maxlen` or more indices (start character included).
        seed: seed of the shuffle of each split (train, then test, with one generator).
        start_char: index put at the start of every review (None: none).
        oov_char: index of out-of-vocabulary words (None: drop them).
        index_from: real words start at this index (0 padding, 1 start, 2 OOV by default).
        **kwargs: accepted and ignored, as Keras does.
    """
    del kwargs  # Keras 3 accepts and ignores extra keyword arguments
    arrays = _npz.load(get_file("imdb", path, ORIGIN, FILE_HASH))
    return _prepare(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"], num_words=num_words,
                    skip_top=skip_top, maxlen=maxlen, seed=seed, start_char=start_char, oov_char=oov_char,
                    index_from=index_from)


def _prepare(x_train, labels_train, x_test, labels_test, *, num_words, skip_top, maxlen, seed, start_char, oov_char,
             index_from):
    """Keras's transformation of the stored splits: shuffle each split, shift and mark the starts,
    drop long reviews, then limit the vocabulary over both splits together."""
    rng = np.random.RandomState(seed)
    x_train, labels_train = _sequences.shuffled(rng, x_train, labels_train)
    x_test, labels_test = _sequences.shuffled(rng, x_test, labels_test)
    x_train = _sequences.shifted(x_train, start_char, index_from)
    x_test = _sequences.shifted(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = _sequences.without_long(maxlen, x_train, labels_train)
        x_test, labels_test = _sequences.without_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
                             "Increase maxlen.")
    labels = np.concatenate([labels_train, labels_test])
    xs = _sequences.limited(x_train + x_test, num_words, skip_top, oov_char)
    split = len(x_train)
    return ((_sequences.object_array(xs[:split]), labels[:split]),
            (_sequences.object_array(xs[split:]), labels[split:]))


def get_word_index(path="imdb_word_index.json"):
    """{word: rank} of the IMDB vocabulary (rank 1 = most frequent). In `load_data`'s sequences a
    word has index rank + `index_from` (3 by default)."""
    with open(get_file("imdb", path, WORD_INDEX_ORIGIN, WORD_INDEX_HASH), encoding="utf-8") as f:
        return json.load(f)


def load_subset(num_words=None, skip_top=0, maxlen=None):
    """A real 6,000-review subset of IMDB that needs no download: `(x_train, y_train), (x_test,
    y_test)` with 5,000 and 1,000 reviews, in the types `load_data` returns (object arrays of lists
    of ints; int64 labels, 1 positive, 0 negative).

    The reviews are the first 5,000 training and first 1,000 test reviews of
    `load_data(num_words=500)` (default seed, start 1, OOV 2, words from index 4 up to 499), so
    `pad_sequences(x_train, maxlen=256)` and an `Embedding(500, ...)` fit them directly.

    The file `imdb_subset.npz` (no pickles: flat token arrays and offsets; SHA-256 checked) is
    looked for in $SWIFTNET_DATA_DIR/imdb, ~/.swiftnet/datasets/imdb and a `shared/data/imdb`
    folder in the working directory or a parent; FileNotFoundError says where to put it.

    Args:
        num_words: at most 500; words of index `num_words` or more become 2 (OOV), as
            `load_data(num_words=...)` would encode them.
        skip_top: words of index below `skip_top` become 2 (OOV), as in `load_data`.
        maxlen: keep only the reviews shorter than `maxlen` (start character included). Unlike
            `load_data`, which filters all 25,000 reviews of each split, this filters the subset.
    """
    if num_words is not None and not 0 < num_words <= SUBSET_NUM_WORDS:
        raise ValueError(f"The IMDB subset is encoded with the {SUBSET_NUM_WORDS} most frequent words: `num_words` "
                         f"must be between 1 and {SUBSET_NUM_WORDS}. Received: num_words={num_words}. Use "
                         "`load_data` for a larger vocabulary.")
    path = _cache.find_file("imdb", [SUBSET_FILE])
    if path is None:
        places = "\n".join(f"  {d}" for d in _cache.candidate_dirs("imdb")[:3])
        raise FileNotFoundError(
            f"The IMDB subset {SUBSET_FILE} (SHA-256 {SUBSET_HASH}) was not found. Put it in one of:\n{places}\n"
            "(or set SWIFTNET_DATA_DIR). The full data set is `swiftnet.datasets.imdb.load_data()`.")
    if file_digest(path, "sha256") != SUBSET_HASH:
        raise ValueError(f"{path} does not have the expected SHA-256 checksum {SUBSET_HASH}: the file is corrupt or "
                         "a different version. Replace it.")
    with np.load(path, allow_pickle=False) as f:
        splits = [_subset_split(f, name) for name in ("train", "test")]
    out = []
    for xs, labels in splits:
        if maxlen:
            xs, labels = _sequences.without_long(maxlen, xs, labels)
            labels = np.asarray(labels, dtype=np.int64)
        if num_words is not None or skip_top:
            xs = _sequences.limited(xs, num_words or SUBSET_NUM_WORDS, skip_top, 2)
        array = np.empty(len(xs), dtype=object)
        array[:] = xs
        out.append((array, labels))
    return tuple(out)


def _subset_split(f, name):
    """(list of lists of ints, int64 labels) of one split of the subset file, checked for shape."""
    tokens, offsets, labels = f[f"{name}_tokens"], f[f"{name}_offsets"], f[f"{name}_labels"]
    n = len(labels)
    if (tokens.ndim != 1 or offsets.shape != (n + 1,) or labels.ndim != 1 or offsets[0] != 0
            or offsets[-1] != len(tokens) or np.any(np.diff(offsets) < 0)):
        raise ValueError(f"The IMDB subset's {name} arrays are inconsistent: tokens {tokens.shape}, "
                         f"offsets {offsets.shape}, labels {labels.shape}.")
    flat, bounds = tokens.tolist(), offsets.tolist()
    return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])], labels.astype(np.int64)
