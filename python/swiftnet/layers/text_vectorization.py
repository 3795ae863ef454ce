"""`TextVectorization`: strings → token indices, multi-hot, counts or TF-IDF, as Keras 3's layer.

Strings cannot enter the swiftnet engine, so this layer runs eagerly, in Python, on strings
(lists, NumPy arrays of str/bytes/object), before the model: `x = vectorizer(texts)`, then
`model.fit(x, y)`. Calling it on a symbolic tensor raises a TypeError that says so.

It reproduces Keras's TensorFlow-based layer: the same standardization (ASCII lowercasing, as
`tf.strings.lower`; ASCII punctuation removal), whitespace splitting on ASCII whitespace, n-grams
joined by a space (all n-grams of each width in turn, per sample), vocabulary order (by frequency,
ties by token, both descending), special tokens ("" at 0 and "[UNK]" at 1 in "int" mode; "[UNK]"
at 0 in the other modes), the TF-IDF weights log(1 + n_docs / (1 + doc_freq)), and output dtypes
(int64 for "int", "multi_hot" and "count", float32 for "tf_idf")."""

import collections
import heapq
import os
import re
import string

import numpy as np

from ..keras_tensor import KerasTensor
from .layer import Layer, _as_result

_MASK = ""
_OOV = "[UNK]"
_LOWER = {ord(c): ord(c.lower()) for c in string.ascii_uppercase}
_NO_PUNCTUATION = {ord(c): None for c in string.punctuation}
_WHITESPACE = re.compile("[ \t\n\v\f\r]+")


def _validate_string_arg(value, allowed, arg_name, allow_none=False, allow_callables=False):
    if allow_none and value is None or allow_callables and callable(value) or isinstance(value, str) and value in allowed:
        return
    raise ValueError(f"Unknown value for `{arg_name}` argument of TextVectorization. Allowed values are: {allowed}. "
                     f"Received: {arg_name}={value}")


class TextVectorization(Layer):
    """Maps strings to token indices (`output_mode="int"`) or to one vector per string
    ("multi_hot", "count", "tf_idf"), with a vocabulary learnt by `adapt(texts)` or given.

    Each string is standardized (`standardize`), split into tokens (`split`), optionally combined
    into n-grams (`ngrams`), then looked up. In "int" mode index 0 is padding (and the "" token),
    1 is out-of-vocabulary, vocabulary terms start at 2, and each row is padded with 0 to the
    longest in the batch, or padded/truncated to `output_sequence_length`. In the other modes
    index 0 counts out-of-vocabulary tokens and each output row has `vocabulary_size()` entries
    (or `max_tokens` with `pad_to_max_tokens=True`).

    Args:
        max_tokens: largest vocabulary size, special tokens included (learnt terms:
            `max_tokens - 2` in "int" mode, `max_tokens - 1` otherwise). None: no limit.
        standardize: "lower_and_strip_punctuation" (default), "lower", "strip_punctuation", None,
            or a callable that takes a NumPy array of str and returns one of the same shape.
        split: "whitespace" (default), "character", None (each string is one token), or a callable
            that takes a 1-D NumPy array of str and returns one sequence of tokens per string.
        ngrams: None, an int n (all n-grams of widths 1..n) or a tuple of widths.
        output_mode: "int" (default), "multi_hot", "count" or "tf_idf".
        output_sequence_length: "int" mode only: the length of every output row.
        pad_to_max_tokens: not "int" mode: make rows `max_tokens` long.
        vocabulary: a list/tuple/array of terms, or the path of a text file with one per line.
        idf_weights: "tf_idf" mode with `vocabulary`: one weight per term.
        sparse, ragged: must stay False (Keras supports them with TensorFlow only; swiftnet
            returns dense NumPy arrays).
        encoding: how bytes inputs and vocabulary files are decoded ("utf-8").

    The vocabulary is learnt with `adapt(data)` (a list or array of strings, or an iterable of
    batches of strings); `get_vocabulary()`, `vocabulary_size()` and `set_vocabulary()` as in Keras.
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None, **kwargs):
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend. swiftnet's TextVectorization "
                             "returns dense NumPy arrays.")
        if ragged:
            raise ValueError("`ragged=True` can only be used with the TensorFlow backend. swiftnet's TextVectorization "
                             "returns dense NumPy arrays (see `output_sequence_length`).")
        _validate_string_arg(standardize, ("lower_and_strip_punctuation", "lower", "strip_punctuation"), "standardize",
                             allow_none=True, allow_callables=True)
        _validate_string_arg(split, ("whitespace", "character"), "split", allow_none=True, allow_callables=True)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode) \
            if isinstance(output_mode, str) else output_mode
        _validate_string_arg(output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf"), "output_mode")
        if output_mode == "one_hot":
            raise NotImplementedError("TextVectorization(output_mode='one_hot') is not supported by swiftnet yet. Use "
                                      "'int', 'multi_hot', 'count' or 'tf_idf'.")
        if not (ngrams is None or isinstance(ngrams, int)
                or isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams)):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}")
        widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        if widths is not None and any(n <= 0 for n in widths):
            # TensorFlow refuses these when the layer is called ("ngram_widths must contain positive values").
            raise ValueError(f"`ngrams` must contain positive values. Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None or isinstance(output_sequence_length, int)):
            raise ValueError("`output_sequence_length` must be either None or an integer when `output_mode` is 'int'. "
                             f"Received: output_sequence_length={output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                             f"Received output_sequence_length={output_sequence_length}.")
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens={max_tokens}")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError("`idf_weights` should only be set if `output_mode` is `'tf_idf'`. Received: "
                             f"idf_weights={idf_weights} and output_mode={output_mode}")
        self._has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        frozen_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = widths
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._pad_to_max_tokens = bool(pad_to_max_tokens)
        self._encoding = encoding
        self._input_vocabulary = None if isinstance(vocabulary, (str, os.PathLike)) else vocabulary
        self._input_idf_weights = idf_weights
        self._tokens = []          # learnt or given terms, without the special tokens
        self._index = {}           # term -> output index
        self._idf = None           # float32 weights of every output index ("tf_idf")
        self._frozen_vocab_size = frozen_size
        self._reset_counts()
        self.built = True
        if output_mode == "tf_idf" and self._has_input_vocabulary and idf_weights is None:
            raise ValueError("When specifying the `vocabulary` argument, in TF-IDF output mode, the `idf_weights` "
                             "argument must also be provided.")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- vocabulary -----------------------------------------------------------------------------------

    def _token_start(self):
        """Index of the first vocabulary term: after "" and "[UNK]" in "int" mode, after "[UNK]" otherwise."""
        return 2 if self._output_mode == "int" else 1

    def vocabulary_size(self):
        """The vocabulary size, special tokens included."""
        return len(self._tokens) + self._token_start()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, so that a term's position is its output index (with the special tokens),
        or only the terms (`include_special_tokens=False`)."""
        if not include_special_tokens:
            return list(self._tokens)
        special = [_MASK, _OOV] if self._output_mode == "int" else [_OOV]
        return special + list(self._tokens)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (a list/tuple/array of terms, or a text file with one per line) and, in
        "tf_idf" mode, its IDF weights, replacing any vocabulary the layer has."""
        if self._output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError("`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                             f"output_mode={self._output_mode} and idf_weights={idf_weights}")
        if isinstance(vocabulary, (str, os.PathLike)):
            if not os.path.exists(vocabulary):
                raise ValueError(f"Vocabulary file {vocabulary} does not exist.")
            if self._output_mode == "tf_idf":
                raise ValueError("output_mode `'tf_idf'` does not support loading a vocabulary from file.")
            with open(vocabulary, encoding=self._encoding) as f:
                lines = f.read().split("\n")
            if lines and lines[-1] == "":
                lines.pop()  # the file's last newline ends a line; it does not start one
            self._check_repeated(lines)
            self._check_size(lines)
            self._install(lines, None)
            return
        array = np.array(vocabulary, dtype=object) if isinstance(vocabulary, (list, tuple)) else np.asarray(vocabulary)
        if array.size == 0:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={list(array.reshape(-1))}")
        if array.ndim != 1:
            raise ValueError(f"Expected a 1-D vocabulary (a list, tuple or array of strings). Received: shape "
                             f"{array.shape}")
        terms = [self._text(t) for t in array.tolist()]
        special = [_MASK, _OOV] if self._output_mode == "int" else [_OOV]
        has_special = terms[:len(special)] == special
        tokens = terms[len(special):] if has_special else terms
        self._check_repeated(tokens)
        if _MASK in tokens:
            position = len(terms) - 1 - terms[::-1].index(_MASK)
            raise ValueError("Found reserved mask token at unexpected location in `vocabulary`. Note that passed "
                             "`vocabulary` does not need to include the OOV and mask tokens. Either remove all mask and "
                             "OOV tokens, or include them only at the start of the vocabulary in precisely this order: "
                             f"{special}. Received: mask_token= at vocabulary index [{position}]")
        self._check_size(tokens)
        weights = None
        if self._output_mode == "tf_idf":
            weights = np.asarray(idf_weights)
            if len(terms) != len(weights):
                raise ValueError(f"`idf_weights` must be the same length as vocabulary. len(idf_weights) is "
                                 f"{len(weights)}; len(vocabulary) is {len(terms)}")
            if weights.ndim != 1:
                raise ValueError(f"TF-IDF data must be a 1-index array. Received: type(idf_weights)={type(idf_weights)}")
            # Terms given without the special tokens: the out-of-vocabulary slot gets the mean weight.
            front = [] if has_special else [np.average(weights)] * self._token_start()
            weights = np.concatenate([np.asarray(front, dtype=np.float64), weights.astype(np.float64)])
            weights = self._padded_idf(weights.astype(np.float32))
        self._install(tokens, weights)

    @staticmethod
    def _check_repeated(tokens):
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError("The passed vocabulary has at least one repeated term. Please uniquify your dataset. "
                             f"The repeated terms are: {repeated}")

    def _check_size(self, tokens):
        size = self._token_start() + len(tokens)
        if self._max_tokens is not None and size > self._max_tokens:
            raise ValueError("Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary "
                             f"size is {size}; `max_tokens` is {self._max_tokens}.")

    def _padded_idf(self, weights):
        if self._pad_to_max_tokens and self._max_tokens is not None:
            weights = np.concatenate([weights, np.zeros(self._max_tokens - len(weights), np.float32)])
        return weights.astype(np.float32)

    def _install(self, tokens, idf):
        """Makes `tokens` (and `idf`) the layer's vocabulary, after checking that a fixed output size
        does not change (Keras: once known, the size of "multi_hot"/"count"/"tf_idf" rows stays)."""
        size = self._token_start() + len(tokens)
        if self._output_mode != "int" and not self._pad_to_max_tokens and self._frozen_vocab_size is not None \
                and size != self._frozen_vocab_size:
            raise RuntimeError(f"When using `output_mode={self._output_mode}` and `pad_to_max_tokens=False`, the "
                               "vocabulary size cannot be changed after the layer is called. Old vocab size is "
                               f"{self._frozen_vocab_size}, new vocab size is {size}")
        start = self._token_start()
        self._tokens = list(tokens)
        self._index = {t: start + i for i, t in enumerate(tokens)}
        if idf is not None:
            self._idf = idf
        self._frozen_vocab_size = size

    # -- adapt ------------------------------------------------------------------------------------------

    def _reset_counts(self):
        self._token_counts = collections.Counter()
        self._document_counts = collections.Counter()
        self._num_documents = 0

    def reset_state(self):
        if not self._has_input_vocabulary:
            self._reset_counts()

    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary (and, in "tf_idf" mode, the IDF weights) from `data`: a list, tuple
        or NumPy array of strings, or any other iterable of batches of strings (a generator;
        `steps` limits how many batches are read). Terms are ordered by frequency, most frequent
        first, ties by the terms themselves in descending order; `max_tokens` keeps the first ones."""
        del batch_size  # accepted as in Keras; the data is processed whole
        self.reset_state()
        if isinstance(data, KerasTensor):
            self._refuse_symbolic()
        if hasattr(data, "__iter__") and not isinstance(data, (list, tuple, np.ndarray)):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        else:
            array = self._strings(data)
            if array.ndim == 1:
                array = array[:, None]
            self.update_state(array)
        self.finalize_state()

    def update_state(self, data):
        """Adds the tokens of one batch of strings to the counts `finalize_state` turns into a vocabulary."""
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static vocabulary via `vocabulary` "
                             "argument or `set_vocabulary()` method.")
        tokens, rank = self._preprocess(data)
        if rank < 2:
            tokens, rank = [tokens if rank == 1 else [tokens]], 2  # a single string or token row is one document
        for row in tokens:
            self._token_counts.update(row)
        if self._output_mode == "tf_idf":
            for row in tokens:
                self._document_counts.update(set(row))
            self._num_documents += len(tokens)

    def finalize_state(self):
        """Turns the counts of `update_state` into the vocabulary (and IDF weights)."""
        if self._has_input_vocabulary or not self._token_counts:
            return
        counts = dict(self._token_counts)
        counts.pop(_MASK, None)
        counts.pop(_OOV, None)
        limit = self._max_tokens - self._token_start() if self._max_tokens else None
        tokens = _most_frequent(counts, limit)
        idf = None
        if self._output_mode == "tf_idf":
            documents = np.array([self._document_counts[t] for t in tokens], dtype=np.float64)
            weights = np.log(1 + self._num_documents / (1 + documents)).astype(np.float32)
            with np.errstate(invalid="ignore", divide="ignore"):
                oov = np.float32(weights.mean()) if len(weights) else np.float32(np.nan)
            idf = self._padded_idf(np.concatenate([np.full(self._token_start(), oov, np.float32), weights]))
        self._install(tokens, idf)
        self._reset_counts()

    # -- calling ----------------------------------------------------------------------------------------

    def __call__(self, inputs, *args, **kwargs):
        if _symbolic(inputs) or any(_symbolic(a) for a in args) or any(_symbolic(v) for v in kwargs.values()):
            self._refuse_symbolic()
        kwargs.pop("training", None)
        if args or kwargs:
            raise TypeError(f"TextVectorization takes one argument, the strings. Received also: {args or kwargs}")
        return _as_result(self.call(inputs))

    def _refuse_symbolic(self):
        raise TypeError(
            f"TextVectorization layer '{self.name}' was called on a symbolic tensor (a KerasTensor). swiftnet's "
            "models compute on numbers only: strings cannot enter the engine, so this layer cannot be part of a "
            "model. Apply it to the raw strings before the model instead, e.g. `x = vectorizer(texts)`, and give "
            "the model the resulting integer array (`Input(shape=(sequence_length,), dtype=\"int64\")`) or, for "
            "'multi_hot'/'count'/'tf_idf', the vectors (`Input(shape=(vocabulary_size,))`).")

    def call(self, inputs):
        if _symbolic(inputs):
            self._refuse_symbolic()
        tokens, rank = self._preprocess(inputs)
        if self._output_mode == "int":
            return self._as_indices(tokens, rank)
        return self._as_vectors(tokens, rank)

    def _as_indices(self, tokens, rank):
        index = self._index

        def lookup(t):
            return 0 if t == _MASK else index.get(t, 1)

        length = self._output_sequence_length
        if rank == 0:
            return np.asarray(lookup(tokens), dtype=np.int64)
        if rank == 1:
            rows, single = [tokens], True
        else:
            rows, single = tokens, False
        width = length if length is not None else max((len(r) for r in rows), default=0)
        out = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids = [lookup(t) for t in row[:width]]
            out[i, :len(ids)] = ids
        return out[0] if single else out

    def _as_vectors(self, tokens, rank):
        if self._pad_to_max_tokens:
            depth = self._max_tokens
        elif self._frozen_vocab_size is None:
            raise RuntimeError(f"When using `output_mode={self._output_mode}` and `pad_to_max_tokens=False`, you must "
                               "set the layer's vocabulary before calling it. Either pass a `vocabulary` argument to "
                               "the layer, or call `adapt` with some sample data.")
        else:
            depth = self._frozen_vocab_size
        if self._output_mode == "tf_idf" and self._idf is None:
            raise ValueError("When `output_mode` is `'tf_idf'`, `idf_weights` must be provided.")
        single = rank < 2
        rows = [[tokens] if rank == 0 else tokens] if single else tokens
        counts = np.zeros((len(rows), depth), dtype=np.int64)
        index = self._index
        for i, row in enumerate(rows):
            for t in row:
                if t != _MASK:  # the mask token is dropped, not counted as out-of-vocabulary
                    j = index.get(t, 0)
                    if j < depth:
                        counts[i, j] += 1
        if self._output_mode == "multi_hot":
            out = np.minimum(counts, 1)
        elif self._output_mode == "count":
            out = counts
        else:
            out = counts.astype(np.float32) * self._idf[:depth]
        return out[0] if single else out

    # -- preprocessing ----------------------------------------------------------------------------------

    def _text(self, value):
        if isinstance(value, bytes):
            return value.decode(self._encoding)
        if isinstance(value, str):
            return str(value)
        raise TypeError(f"TextVectorization expects strings. Received: {value!r} of type {type(value).__name__}")

    def _strings(self, data):
        """`data` as a NumPy object array of Python str (bytes decoded with `encoding`)."""
        if isinstance(data, (str, bytes)):
            return np.array(self._text(data), dtype=object)
        # A list of str is read as objects: as a fixed-width "U" array, long texts would take
        # (number of texts) x (longest text) x 4 bytes.
        array = np.array(data, dtype=object) if isinstance(data, (list, tuple)) else np.asarray(data)
        if array.dtype.kind not in "USO":
            if array.size == 0:
                return np.empty(array.shape, dtype=object)
            raise TypeError(f"TextVectorization expects strings. Received: dtype={array.dtype}")
        out = np.empty(array.shape, dtype=object)
        flat = out.reshape(-1)
        for i, value in enumerate(array.reshape(-1).tolist()):
            flat[i] = self._text(value)
        return out

    def _standardized(self, array):
        mode = self._standardize
        if mode is None:
            return array
        if callable(mode):
            result = np.asarray(mode(array.astype(str)))
            if result.shape != array.shape:
                raise ValueError(f"The `standardize` callable must return an array of the shape it receives "
                                 f"{array.shape}. Received: shape {result.shape}")
            return self._strings(result) if result.size else np.empty(result.shape, dtype=object)
        out = np.empty(array.shape, dtype=object)
        src, dst = array.reshape(-1), out.reshape(-1)
        for i, text in enumerate(src):
            if mode in ("lower", "lower_and_strip_punctuation"):
                text = text.translate(_LOWER)  # ASCII only, as tf.strings.lower
            if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
                text = text.translate(_NO_PUNCTUATION)
            dst[i] = text
        return out

    def _split_strings(self, array):
        """Tokens: a list of tokens for a 0-d array, else a list of token lists (one per string)."""
        split = self._split
        if callable(split):
            result = split(array.astype(str))
            if array.ndim == 0:
                return [self._text(t) for t in np.asarray(result, dtype=object).reshape(-1)]
            result = list(result)
            if len(result) != len(array):
                raise ValueError(f"The `split` callable must return one sequence of tokens per string: {len(array)}. "
                                 f"Received: {len(result)}")
            return [[self._text(t) for t in np.asarray(row, dtype=object).reshape(-1)] for row in result]

        def one(text):
            if split == "whitespace":
                return [t for t in _WHITESPACE.split(text) if t]
            return list(text)  # "character": one token per Unicode code point

        if array.ndim == 0:
            return one(array.item())
        return [one(text) for text in array]

    def _preprocess(self, inputs):
        """(tokens, rank): a token (rank 0), a list of tokens (rank 1) or a list of token lists (rank
        2), after standardization, splitting and n-grams, shaped as Keras's tensors would be."""
        array = self._standardized(self._strings(inputs))
        if self._split is not None:
            if array.ndim > 1:
                if array.shape[-1] != 1:
                    raise ValueError("When using `TextVectorization` to tokenize strings, the input rank must be 1 or "
                                     f"the last shape dimension must be 1. Received: inputs.shape={array.shape} with "
                                     f"rank={array.ndim}")
                array = array[..., 0]
            if array.ndim > 1:
                raise ValueError(f"TextVectorization takes a string, a batch of strings, or a batch of shape (n, 1). "
                                 f"Received: inputs.shape={array.shape + (1,)}")
            tokens, rank = self._split_strings(array), array.ndim + 1
        else:
            if array.ndim > 2:
                raise ValueError(f"TextVectorization with `split=None` takes a string, a batch of strings, or a batch "
                                 f"of token rows. Received: inputs.shape={array.shape}")
            tokens, rank = array.tolist(), array.ndim
        if self._ngrams is not None:
            if rank == 0:
                raise ValueError("`ngrams` needs sequences of tokens; a single string with `split=None` has none.")
            tokens = _ngrams(tokens, self._ngrams) if rank == 1 else [_ngrams(row, self._ngrams) for row in tokens]
        return tokens, rank

    # -- shapes and config ------------------------------------------------------------------------------

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = input_shape + (1,)
        else:
            if len(input_shape) > 1 and input_shape[-1] == 1:
                input_shape = input_shape[:-1]  # squeezed before splitting, as the call does
            input_shape = input_shape + (None,)
        depth = self._max_tokens if self._pad_to_max_tokens else self._frozen_vocab_size
        return input_shape[:-1] + (depth,)

    def get_config(self):
        config = {
            "max_tokens": self._max_tokens,
            "standardize": self._standardize,
            "split": self._split,
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": self._pad_to_max_tokens,
            "sparse": False,
            "ragged": False,
            "vocabulary": _listed(self._input_vocabulary),
            "idf_weights": _listed(self._input_idf_weights),
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size(),
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)


def _symbolic(value):
    if isinstance(value, KerasTensor):
        return True
    return isinstance(value, (list, tuple)) and any(isinstance(v, KerasTensor) for v in value)


def _ngrams(tokens, widths):
    """All n-grams of each width in `widths`, in turn (as tf.strings.ngrams), joined by a space."""
    out = []
    for n in widths:
        out.extend(tokens if n == 1 else map(" ".join, zip(*[tokens[i:] for i in range(n)])))
    return out


def _most_frequent(counts, limit):
    """The terms of {term: count} ordered as Keras orders a vocabulary (count descending, ties by
    the term descending, i.e. its reversed lexsort on (term, count)), the first `limit` only."""
    by_count = collections.defaultdict(list)
    for term, n in counts.items():
        by_count[n].append(term)
    out = []
    for n in sorted(by_count, reverse=True):
        bucket = by_count[n]
        if limit is not None and limit - len(out) < len(bucket):
            out.extend(heapq.nlargest(limit - len(out), bucket))
            break
        bucket.sort(reverse=True)
        out.extend(bucket)
    return out


def _listed(value):
    return value.tolist() if isinstance(value, np.ndarray) else value
