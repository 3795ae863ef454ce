"""Reuters newswires: 11,228 wires labelled over 46 topics, each a list of word indices (words
ranked by frequency). `load_data`, `get_word_index` and `get_label_names` behave as Keras's."""

import json

import numpy as np

from . import _npz, _sequences
from ._download import get_file

BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ORIGIN = BASE + "reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_ORIGIN = BASE + "reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"  # MD5: Keras publishes no other checksum for it

_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee", "sugar",
    "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
    "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi", "iron-steel",
    "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3):
    """`(x_train, y_train), (x_test, y_test)` as Keras returns them: `x_*` NumPy object arrays of
    lists of word indices, `y_*` int64 arrays of topic labels (0-45, see `get_label_names`).

    All wires are shuffled together with `seed`, shifted, filtered by `maxlen` and limited to
    `num_words`, then the first `int(n * (1 - test_split))` are the training set. The arguments
    mean what they mean in `swiftnet.datasets.imdb.load_data` (`maxlen` drops wires of `maxlen` or
    more indices; with no `num_words` the largest index present becomes `oov_char`, as in Keras).
    The file's SHA-256 is checked before anything is read."""
    arrays = _npz.load(get_file("reuters", path, ORIGIN, FILE_HASH))
    return _prepare(arrays["x"], arrays["y"], num_words=num_words, skip_top=skip_top, maxlen=maxlen,
                    test_split=test_split, seed=seed, start_char=start_char, oov_char=oov_char, index_from=index_from)


def _prepare(xs, labels, *, num_words, skip_top, maxlen, test_split, seed, start_char, oov_char, index_from):
    """Keras's transformation of the stored wires (one array for both splits)."""
    xs, labels = _sequences.shuffled(np.random.RandomState(seed), xs, labels)
    xs = _sequences.shifted(xs, start_char, index_from)
    if maxlen:
        xs, labels = _sequences.without_long(maxlen, xs, labels)
    xs = _sequences.limited(xs, num_words, skip_top, oov_char)
    split = int(len(xs) * (1 - test_split))
    return ((_sequences.object_array(xs[:split]), np.array(labels[:split])),
            (_sequences.object_array(xs[split:]), np.array(labels[split:])))


def get_word_index(path="reuters_word_index.json"):
    """{word: rank} of the Reuters vocabulary (rank 1 = most frequent). In `load_data`'s sequences
    a word has index rank + `index_from` (3 by default)."""
    with open(get_file("reuters", path, WORD_INDEX_ORIGIN, WORD_INDEX_HASH), encoding="utf-8") as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, indexed by label (a tuple, as Keras returns it)."""
    return _LABEL_NAMES
