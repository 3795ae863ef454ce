"""The steps Keras's `imdb.load_data` and `reuters.load_data` apply to the stored word-index
sequences, in Keras's order and with Keras's edge cases (see each loader for how they combine)."""

import numpy as np


def shuffled(rng, sequences, labels):
    """Both arrays in the order of one `rng.shuffle` of their indices."""
    order = np.arange(len(sequences))
    rng.shuffle(order)
    return sequences[order], labels[order]


def shifted(sequences, start_char, index_from):
    """Lists of word indices moved up by `index_from`, each preceded by `start_char` unless None."""
    head = [] if start_char is None else [start_char]
    return [head + [w + index_from for w in seq] for seq in sequences]


def without_long(maxlen, sequences, labels):
    """The sequences shorter than `maxlen` (strictly, as Keras: length == maxlen is dropped) and
    their labels, as lists."""
    kept = [(seq, label) for seq, label in zip(sequences, labels) if len(seq) < maxlen]
    return [seq for seq, _ in kept], [label for _, label in kept]


def limited(sequences, num_words, skip_top, oov_char):
    """Words outside [skip_top, num_words) replaced by `oov_char`, or dropped when it is None.
    With no `num_words` the bound is the largest index present, which (as in Keras) makes that
    largest word itself out of vocabulary."""
    if not num_words:
        num_words = max(max(seq) for seq in sequences)
    if oov_char is None:
        return [[w for w in seq if skip_top <= w < num_words] for seq in sequences]
    return [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in sequences]


def object_array(sequences):
    """`np.array(sequences, dtype="object")`, as Keras builds its return values."""
    return np.array(sequences, dtype="object")
