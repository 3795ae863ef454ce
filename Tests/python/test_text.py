"""Text utilities of issue 8: `utils.pad_sequences` (against Keras 3 itself), `datasets.imdb` and
`datasets.reuters` (against Keras's own loaders, on small files written here in the format of
Keras's files; checksums; the restricted unpickler; the offline message), the real IMDB subset,
and `TextVectorization`.

Keras's TextVectorization needs TensorFlow, which is not installed here, so the layer is checked
against expectations computed by hand from Keras's documented rules (its docstring and test
examples are among them). Nothing is downloaded."""

import hashlib
import inspect
import io
import json
import os
import pickle
import urllib.error

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

import swiftnet
from swiftnet.datasets import _cache, _download, _npz, _pickle, imdb, reuters
from swiftnet.layers.text_vectorization import TextVectorization
from swiftnet.utils import pad_sequences


@pytest.fixture(scope="module")
def keras():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


# -- pad_sequences ------------------------------------------------------------------------------------

RAGGED = [[1], [2, 3], [4, 5, 6]]
PAD_CASES = [
    ((RAGGED,), {}),
    ((RAGGED,), {"value": -1}),
    ((RAGGED,), {"padding": "post"}),
    ((RAGGED,), {"maxlen": 2}),
    ((RAGGED,), {"maxlen": 2, "truncating": "post"}),
    ((RAGGED,), {"maxlen": 2, "truncating": "post", "padding": "post"}),
    ((RAGGED,), {"maxlen": 5, "padding": "post", "value": 9}),
    ((RAGGED,), {"maxlen": np.int64(4)}),
    ((RAGGED,), {"maxlen": 0, "truncating": "post"}),
    (([[], [1, 2], []],), {}),
    (([[], []],), {}),
    (([[], []],), {"maxlen": 3, "value": 7}),
    (([[], [1]],), {"padding": "post", "maxlen": 1}),
    (([np.array([1, 2, 3]), (4,), [5, 6]],), {}),
    ((np.array([[1, 2], [3, 4]]),), {"maxlen": 3}),
    ((np.empty(3, dtype=object),), {}),  # None elements: not iterable
    (([[1.7, -2.2], [3.9]],), {}),
    (([[1.7, -2.2], [3.9]],), {"dtype": "float32", "value": 0.5}),
    (([[1.7, -2.2], [3.9]],), {"dtype": np.float64, "padding": "post"}),
    (([[1, 0, 2], [3]],), {"dtype": "bool"}),
    (([[1, 2], [3]],), {"dtype": "int64", "value": -1.0}),
    (([[1, 2], [3]],), {"dtype": "uint8", "value": 255}),
    (([["a", "bb"], ["ccc"]],), {"dtype": object, "value": ""}),
    (([["a", "bb"], ["ccc"]],), {"dtype": "<U2", "value": "pad"}),
    (([["a", "bb"], ["ccc"]],), {"dtype": "str", "value": "x"}),
    (([[b"a"], [b"bb", b"c"]],), {"dtype": "S2", "value": b"-"}),
    (([[[1, 2], [3, 4]], [[5, 6]]],), {}),
    (([[[1, 2], [3, 4]], [], [[5, 6]]],), {"padding": "post", "maxlen": 1}),
    (([[], [[1, 2]]],), {"maxlen": 2}),
    # errors, with Keras's types and messages
    (([],), {}),
    ((5,), {}),
    (((s for s in RAGGED),), {}),
    (([1, 2],), {}),
    (([[1], 3],), {}),
    ((RAGGED,), {"padding": "middle"}),
    ((RAGGED,), {"truncating": "middle"}),
    ((RAGGED,), {"truncating": "middle", "padding": "middle"}),
    (([[], []],), {"padding": "middle", "truncating": "middle"}),  # no non-empty sequence: no check
    ((RAGGED,), {"value": "x"}),
    ((RAGGED,), {"value": "x", "dtype": "float32"}),
    ((RAGGED,), {"maxlen": 0}),
    ((RAGGED,), {"maxlen": -1}),
    (([[[1, 2]], [[3, 4, 5]]],), {}),
    (([[[1, 2]], [3]],), {}),
    (([["a"], ["b"]],), {}),
    ((["abc", "de"],), {"dtype": "<U1", "value": ""}),
]


def _outcome(fn, args, kwargs):
    try:
        return "ok", fn(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the exception itself is what is compared
        return "error", error


@pytest.mark.parametrize("args,kwargs", PAD_CASES, ids=[str(i) for i in range(len(PAD_CASES))])
def test_pad_sequences_matches_keras(keras, args, kwargs):
    want_kind, want = _outcome(keras.utils.pad_sequences, args, kwargs)
    # a generator is consumed by the first call: make a fresh one
    args = tuple((s for s in RAGGED) if inspect.isgenerator(a) else a for a in args)
    got_kind, got = _outcome(pad_sequences, args, kwargs)
    assert got_kind == want_kind, (got, want)
    if want_kind == "error":
        assert type(got) is type(want)
        assert str(got) == str(want)
    else:
        assert type(got) is np.ndarray
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_pad_sequences_signature_and_docstring_example(keras):
    assert inspect.signature(pad_sequences) == inspect.signature(keras.utils.pad_sequences)
    out = pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2)
    np.testing.assert_array_equal(out, [[0, 1], [2, 3], [5, 6]])
    assert out.dtype == np.int32
    assert swiftnet.utils.pad_sequences is pad_sequences


def test_pad_sequences_object_array_of_lists_as_load_data_returns():
    seqs = np.empty(3, dtype=object)
    seqs[:] = [[1, 5, 9, 3], [1, 7], [1, 2, 2, 2, 2, 2]]
    out = pad_sequences(seqs, maxlen=4)
    np.testing.assert_array_equal(out, [[1, 5, 9, 3], [0, 0, 1, 7], [2, 2, 2, 2]])


# -- IMDB and Reuters: Keras's format, Keras's transformations ----------------------------------------------

def _ragged(rng, n, vocab, max_len, min_len=1):
    out = np.empty(n, dtype=object)
    out[:] = [[int(w) for w in rng.integers(1, vocab, rng.integers(min_len, max_len + 1))] for _ in range(n)]
    return out


def write_imdb_npz(path, rng, n_train=40, n_test=30):
    """A small imdb.npz as Keras's: ragged object arrays of lists of word ranks (from 1), int64 labels."""
    np.savez(path, x_train=_ragged(rng, n_train, 60, 25), y_train=rng.integers(0, 2, n_train),
             x_test=_ragged(rng, n_test, 60, 25), y_test=rng.integers(0, 2, n_test))
    return _download.sha256(path)


def write_reuters_npz(path, rng, n=50):
    np.savez(path, x=_ragged(rng, n, 80, 30), y=rng.integers(0, 46, n))
    return _download.sha256(path)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty data directory, nothing in ~/.swiftnet or shared/data above, and no network."""
    monkeypatch.setenv("SWIFTNET_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("offline (test)")
    monkeypatch.setattr(_download.urllib.request, "urlopen", refuse)
    return tmp_path / "cache"


def _assert_same_split(got, want):
    (gx, gy), (wx, wy) = got, want
    assert type(gx) is np.ndarray and gx.dtype == object and gx.shape == wx.shape
    assert [list(s) for s in gx] == [list(s) for s in wx]
    assert all(type(w) is int for s in gx for w in s)
    assert gy.dtype == wy.dtype
    np.testing.assert_array_equal(gy, wy)


IMDB_KWARGS = [
    {}, {"num_words": 20}, {"num_words": 20, "skip_top": 6}, {"maxlen": 12}, {"seed": 7}, {"seed": 0, "maxlen": 20},
    {"start_char": None}, {"oov_char": None, "num_words": 30}, {"index_from": 0}, {"start_char": None, "index_from": 0},
    {"start_char": 5, "oov_char": 9, "index_from": 10, "num_words": 40, "skip_top": 12}, {"num_words": 0},
    {"maxlen": 0}, {"maxlen": 2},  # nothing left: ValueError
]


@pytest.mark.parametrize("kwargs", IMDB_KWARGS, ids=[str(k) for k in IMDB_KWARGS])
def test_imdb_load_data_matches_keras(keras, data_dir, monkeypatch, kwargs):
    import keras.src.datasets.imdb as keras_imdb
    (data_dir / "imdb").mkdir(parents=True)
    path = data_dir / "imdb" / "imdb.npz"
    monkeypatch.setattr(imdb, "FILE_HASH", write_imdb_npz(path, np.random.default_rng(3)))
    monkeypatch.setattr(keras_imdb, "get_file", lambda *a, **k: str(path))
    want_kind, want = _outcome(keras_imdb.load_data, (), kwargs)
    got_kind, got = _outcome(imdb.load_data, (), kwargs)
    assert got_kind == want_kind, (got, want)
    if want_kind == "error":
        assert type(got) is type(want) and str(got) == str(want)
        return
    for g, w in zip(got, want):
        _assert_same_split(g, w)


REUTERS_KWARGS = [
    {}, {"test_split": 0.5}, {"test_split": 0.29}, {"test_split": 0.0}, {"test_split": 1.0}, {"num_words": 25, "skip_top": 4},
    {"maxlen": 15, "seed": 1}, {"start_char": None, "index_from": 0}, {"oov_char": None, "num_words": 30},
]


@pytest.mark.parametrize("kwargs", REUTERS_KWARGS, ids=[str(k) for k in REUTERS_KWARGS])
def test_reuters_load_data_matches_keras(keras, data_dir, monkeypatch, kwargs):
    import keras.src.datasets.reuters as keras_reuters
    (data_dir / "reuters").mkdir(parents=True)
    path = data_dir / "reuters" / "reuters.npz"
    monkeypatch.setattr(reuters, "FILE_HASH", write_reuters_npz(path, np.random.default_rng(5)))
    monkeypatch.setattr(keras_reuters, "get_file", lambda *a, **k: str(path))
    got, want = reuters.load_data(**kwargs), keras_reuters.load_data(**kwargs)
    for g, w in zip(got, want):
        _assert_same_split(g, w)


def test_loader_semantics_by_hand(data_dir, monkeypatch):
    """Keras's rules, spelled out on a 3+2 review file: shuffle per split, start + shift, the
    strict maxlen, and num_words (None: the largest index itself becomes OOV)."""
    (data_dir / "imdb").mkdir(parents=True)
    path = data_dir / "imdb" / "imdb.npz"
    x_train, x_test = np.empty(3, dtype=object), np.empty(2, dtype=object)
    x_train[:] = [[1, 2], [3, 4, 5], [9]]
    x_test[:] = [[6, 7, 8, 1], [2]]
    np.savez(path, x_train=x_train, y_train=np.array([0, 1, 1]), x_test=x_test, y_test=np.array([1, 0]))
    monkeypatch.setattr(imdb, "FILE_HASH", _download.sha256(path))
    rng = np.random.RandomState(113)  # one generator: the training split is shuffled first
    order_train, order_test = np.arange(3), np.arange(2)
    rng.shuffle(order_train)
    rng.shuffle(order_test)
    (xt, yt), (xs, ys) = imdb.load_data()
    shifted = [[1] + [w + 3 for w in x_train[i]] for i in order_train]
    assert [list(s) for s in xt] == [[w if w < 12 else 2 for w in s] for s in shifted]  # 12 = 9 + 3: OOV
    np.testing.assert_array_equal(yt, np.array([0, 1, 1])[order_train])
    assert [list(s) for s in xs] == [[1] + [w + 3 for w in x_test[i]] for i in order_test]
    np.testing.assert_array_equal(ys, np.array([1, 0])[order_test])
    # lengths with the start character: train 3, 4, 2 and test 5, 2; only those < 3 stay, and the
    # largest index left (12) becomes OOV
    (xt, yt), (xs, ys) = imdb.load_data(maxlen=3)
    assert [list(s) for s in xt] == [[1, 2]] and list(yt) == [1]
    assert [list(s) for s in xs] == [[1, 5]] and list(ys) == [0]


def test_altered_file_is_refused_before_any_unpickling(data_dir, monkeypatch):
    (data_dir / "imdb").mkdir(parents=True)
    path = data_dir / "imdb" / "imdb.npz"
    monkeypatch.setattr(imdb, "FILE_HASH", write_imdb_npz(path, np.random.default_rng(0)))
    imdb.load_data()  # the genuine file loads
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    def never(*args, **kwargs):
        raise AssertionError("an unverified file was unpickled")
    monkeypatch.setattr(_pickle, "load_object_array", never)
    with pytest.raises(ValueError, match="expected SHA-256 checksum"):
        imdb.load_data()


class _Gadget:
    def __reduce__(self):
        return (os.getcwd, ())


def test_object_arrays_are_read_through_the_restricted_unpickler(tmp_path):
    from fractions import Fraction
    for element in (Fraction(1, 2), _Gadget()):
        evil = np.empty(2, dtype=object)
        evil[:] = [[1, 2], element]
        np.savez(tmp_path / "evil.npz", x=evil, y=np.arange(2))
        with pytest.raises(pickle.UnpicklingError, match="Refusing to load"):
            _npz.load(tmp_path / "evil.npz")
    good = _ragged(np.random.default_rng(1), 4, 9, 5)
    np.savez(tmp_path / "good.npz", x=good, y=np.arange(4, dtype=np.int8))
    arrays = _npz.load(tmp_path / "good.npz")
    assert arrays["y"].dtype == np.int8 and arrays["x"].dtype == object
    assert [list(s) for s in arrays["x"]] == [list(s) for s in good]
    # Only array reconstruction for object arrays; CIFAR's list is as before.
    assert _pickle._ObjectArrayUnpickler.allowed == {
        ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct")}
    assert _pickle._DataUnpickler.allowed == _pickle._ObjectArrayUnpickler.allowed | {
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}


def test_offline_errors_name_url_checksum_and_place(data_dir):
    cases = [(imdb.load_data, imdb.ORIGIN, imdb.FILE_HASH, "SHA-256", "imdb"),
             (imdb.get_word_index, imdb.WORD_INDEX_ORIGIN, imdb.WORD_INDEX_HASH, "MD5", "imdb"),
             (reuters.load_data, reuters.ORIGIN, reuters.FILE_HASH, "SHA-256", "reuters"),
             (reuters.get_word_index, reuters.WORD_INDEX_ORIGIN, reuters.WORD_INDEX_HASH, "MD5", "reuters")]
    for fn, origin, digest, label, name in cases:
        with pytest.raises(FileNotFoundError) as info:
            fn()
        message = str(info.value)
        assert origin in message and f"{label} {digest}" in message
        assert str(data_dir / name) in message


def test_keras_urls_hashes_and_signatures(keras):
    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert (imdb.ORIGIN, imdb.WORD_INDEX_ORIGIN) == (base + "imdb.npz", base + "imdb_word_index.json")
    assert (reuters.ORIGIN, reuters.WORD_INDEX_ORIGIN) == (base + "reuters.npz", base + "reuters_word_index.json")
    import keras.src.datasets.imdb as keras_imdb
    import keras.src.datasets.reuters as keras_reuters
    for ours, theirs in [(imdb, keras_imdb), (reuters, keras_reuters)]:
        source = inspect.getsource(theirs)
        assert ours.FILE_HASH in source and ours.WORD_INDEX_HASH in source
        for name in ("load_data", "get_word_index"):
            assert inspect.signature(getattr(ours, name)) == inspect.signature(getattr(theirs, name))
    assert reuters.get_label_names() == keras_reuters.get_label_names()
    assert len(reuters.get_label_names()) == 46


def test_word_index_with_md5_check(data_dir, monkeypatch):
    (data_dir / "reuters").mkdir(parents=True)
    path = data_dir / "reuters" / "reuters_word_index.json"
    path.write_text(json.dumps({"the": 1, "of": 2}))
    monkeypatch.setattr(reuters, "WORD_INDEX_HASH", hashlib.md5(path.read_bytes()).hexdigest())
    assert reuters.get_word_index() == {"the": 1, "of": 2}
    monkeypatch.setattr(reuters, "WORD_INDEX_HASH", "0" * 32)
    with pytest.raises(ValueError, match="expected MD5 checksum"):
        reuters.get_word_index()


# -- the real IMDB subset -------------------------------------------------------------------------------------

def write_subset(path, reviews, labels):
    """A file in the subset's format (flat tokens + offsets, no pickles)."""
    arrays = {}
    for split in ("train", "test"):
        lengths = [len(r) for r in reviews[split]]
        arrays[f"{split}_tokens"] = np.array([w for r in reviews[split] for w in r], dtype=np.int32)
        arrays[f"{split}_offsets"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        arrays[f"{split}_labels"] = np.array(labels[split], dtype=np.int8)
    np.savez(path, **arrays)
    return _download.sha256(path)


def test_load_subset_reader_limits_and_errors(data_dir, monkeypatch):
    with pytest.raises(FileNotFoundError, match="imdb_subset.npz") as info:
        imdb.load_subset()
    assert imdb.SUBSET_HASH in str(info.value) and str(data_dir / "imdb") in str(info.value)
    (data_dir / "imdb").mkdir(parents=True)
    path = data_dir / "imdb" / "imdb_subset.npz"
    reviews = {"train": [[1, 14, 22, 2, 499], [1, 4, 4], [1, 300, 7, 8, 9, 10]], "test": [[1, 5], []]}
    labels = {"train": [1, 0, 1], "test": [0, 1]}
    write_subset(path, reviews, labels)
    with pytest.raises(ValueError, match="expected SHA-256"):
        imdb.load_subset()
    monkeypatch.setattr(imdb, "SUBSET_HASH", write_subset(path, reviews, labels))
    (xt, yt), (xs, ys) = imdb.load_subset()
    assert xt.dtype == object and xt.shape == (3,) and [list(s) for s in xt] == reviews["train"]
    assert xs.shape == (2,) and [list(s) for s in xs] == reviews["test"]
    assert all(type(w) is int for s in xt for w in s)
    assert yt.dtype == np.int64 and list(yt) == [1, 0, 1] and list(ys) == [0, 1]
    (xt, _), _ = imdb.load_subset(num_words=10)
    assert [list(s) for s in xt] == [[1, 2, 2, 2, 2], [1, 4, 4], [1, 2, 7, 8, 9, 2]]
    (xt, _), _ = imdb.load_subset(skip_top=5)
    assert [list(s) for s in xt][1] == [2, 2, 2]
    (xt, yt), (xs, ys) = imdb.load_subset(maxlen=5)
    assert [list(s) for s in xt] == [[1, 4, 4]] and list(yt) == [0] and yt.dtype == np.int64 and len(xs) == 2
    for bad in (0, 501):
        with pytest.raises(ValueError, match="num_words"):
            imdb.load_subset(num_words=bad)


@pytest.fixture(scope="module")
def subset():
    if _cache.find_file("imdb", [imdb.SUBSET_FILE]) is None:
        pytest.skip("the IMDB subset (shared/data/imdb/imdb_subset.npz) is not available")
    return imdb.load_subset()


def test_real_subset_counts_labels_and_encoding(subset):
    (x_train, y_train), (x_test, y_test) = subset
    assert x_train.shape == (5000,) and x_test.shape == (1000,) and x_train.dtype == object
    assert y_train.shape == (5000,) and y_test.shape == (1000,) and y_train.dtype == np.int64
    assert set(np.unique(y_train)) == {0, 1} and set(np.unique(y_test)) == {0, 1}
    assert abs(y_train.mean() - 0.509) < 0.001 and abs(y_test.mean() - 0.474) < 0.001
    assert type(x_train[0]) is list and type(x_train[0][0]) is int
    flat = np.concatenate([np.asarray(s) for s in list(x_train) + list(x_test)])
    assert all(s[0] == 1 for s in x_train) and all(s[0] == 1 for s in x_test)  # start_char
    assert flat.min() == 1 and flat.max() == 499  # num_words=500
    assert not np.isin(flat, [0, 3]).any()  # 0 padding; index_from=3: words start at 4
    counts = np.bincount(flat, minlength=500)
    assert counts[1] == 6000  # one start per review
    assert counts[4] == counts[4:].max()  # rank 1 ("the") is the most frequent word
    assert counts[2] > counts[4]  # every word past the 500 most frequent is OOV
    lengths = np.array([len(s) for s in x_train])
    assert 150 < lengths.mean() < 350 and lengths.min() >= 2


def test_real_subset_pads_and_limits(subset):
    (x_train, _), _ = subset
    padded = pad_sequences(x_train, maxlen=256)
    assert padded.shape == (5000, 256) and padded.dtype == np.int32
    for i in (0, 1, 2):
        seq = x_train[i]
        np.testing.assert_array_equal(padded[i][-min(256, len(seq)):], seq[-256:])
    (x100, _), _ = imdb.load_subset(num_words=100)
    assert [[w if w < 100 else 2 for w in s] for s in x_train[:50]] == list(x100[:50])
    (xm, ym), _ = imdb.load_subset(maxlen=100)
    assert 0 < len(xm) < 5000 and max(len(s) for s in xm) < 100 and len(ym) == len(xm)


# -- TextVectorization ----------------------------------------------------------------------------------------

def test_keras_docstring_examples_and_vocabulary_order():
    layer = TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    # counts bar 2, baz 2, then 1s; ties by the token, descending
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    out = layer([["foo qux bar"], ["qux baz"]])
    np.testing.assert_array_equal(out, [[4, 1, 3, 0], [1, 2, 0, 0]])
    assert out.dtype == np.int64 and isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out.numpy(), out)
    layer = TextVectorization(max_tokens=5000, output_sequence_length=4, vocabulary=["earth", "wind", "and", "fire"])
    assert layer.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    assert layer.get_vocabulary(include_special_tokens=False) == ["earth", "wind", "and", "fire"]
    assert layer.vocabulary_size() == 6


def test_tie_order_counts_and_unicode():
    layer = TextVectorization()
    layer.adapt(["b a c é", "c a z", "d", "[UNK] z"])
    # a, c, z twice: descending z, c, a; then once, descending by code point: é > unk > d > b
    assert layer.get_vocabulary() == ["", "[UNK]", "z", "c", "a", "é", "unk", "d", "b"]
    layer = TextVectorization(output_mode="multi_hot", standardize=None)
    layer.adapt(["x [UNK] y y", "[UNK]"])  # "[UNK]" itself is never a learnt term
    assert layer.get_vocabulary() == ["[UNK]", "y", "x"]


def test_standardization_is_keras_ascii():
    def vocab(standardize, texts):
        layer = TextVectorization(standardize=standardize)
        layer.adapt(texts)
        return layer.get_vocabulary(include_special_tokens=False)
    texts = ["ÉCOLE Straße DON'T stop—now!", "(x)"]
    # tf.strings.lower is ASCII-only; only ASCII punctuation is stripped
    assert set(vocab("lower_and_strip_punctuation", texts)) == {"École", "straße", "dont", "stop—now", "x"}
    assert set(vocab("lower", texts)) == {"École", "straße", "don't", "stop—now!", "(x)"}
    assert set(vocab("strip_punctuation", texts)) == {"ÉCOLE", "Straße", "DONT", "stop—now", "x"}
    assert set(vocab(None, texts)) == {"ÉCOLE", "Straße", "DON'T", "stop—now!", "(x)"}


def test_splitting():
    layer = TextVectorization(split="whitespace", standardize=None, vocabulary=["a\u00a0b", "c", "d"])
    # ASCII whitespace only (a no-break space does not split), runs count once, ends are stripped
    np.testing.assert_array_equal(layer(["  a\u00a0b \t\n c\x0b\x0cd\r"]), [[2, 3, 4]])
    layer = TextVectorization(split="character", vocabulary=["a", "b", " ", "é"])
    np.testing.assert_array_equal(layer(["ab a", "é!"]), [[2, 3, 4, 2], [5, 0, 0, 0]])
    layer = TextVectorization(split=None, vocabulary=["foo", "bar", "baz"])
    np.testing.assert_array_equal(layer([["foo"], ["bar"], ["unknown"]]), [[2], [3], [1]])
    np.testing.assert_array_equal(layer(["Foo", "foo bar", ""]), [2, 1, 0])  # "" is the mask token: 0

    def by_comma(strings):
        assert isinstance(strings, np.ndarray) and strings.dtype.kind == "U" and strings.ndim == 1
        return [s.split(",") for s in strings]
    layer = TextVectorization(split=by_comma, standardize=None)
    layer.adapt(["a,b", "b,c d"])
    assert layer.get_vocabulary() == ["", "[UNK]", "b", "c d", "a"]
    np.testing.assert_array_equal(layer(["c d,a,zz"]), [[3, 4, 1]])


def test_callable_standardize_gets_numpy_unicode_arrays():
    seen = []

    def np_standardize(text):
        seen.append((type(text), text.dtype.kind, text.shape))
        return np.char.replace(np.char.lower(text), ",", "")
    layer = TextVectorization(standardize=np_standardize)
    layer.adapt(["Hello, world.", "A b"])
    assert seen == [(np.ndarray, "U", (2, 1))]  # adapt sees the batch as (n, 1), as in Keras
    assert "hello" in layer.get_vocabulary() and "world." in layer.get_vocabulary()
    layer(["Hello, world."])
    assert seen[-1] == (np.ndarray, "U", (1,))


def test_ngrams_order_and_widths():
    layer = TextVectorization(ngrams=2, vocabulary=["a", "b", "c", "a b", "b c"])
    # per sample: all unigrams, then all bigrams (as tf.strings.ngrams)
    np.testing.assert_array_equal(layer(["a b c", "c"]), [[2, 3, 4, 5, 6], [4, 0, 0, 0, 0]])
    layer = TextVectorization(ngrams=(3, 1))
    layer.adapt(["foo bar baz"])
    assert layer.get_vocabulary() == ["", "[UNK]", "foo bar baz", "foo", "baz", "bar"]
    np.testing.assert_array_equal(layer(["foo bar baz qux"]), [[2, 1, 3, 5, 4, 1]])
    layer = TextVectorization(ngrams=(2,), output_mode="count", vocabulary=["a b"])
    np.testing.assert_array_equal(layer(["a b a b", "a"]), [[1, 2], [0, 0]])


def test_max_tokens_and_output_sequence_length():
    layer = TextVectorization(max_tokens=5)
    layer.adapt(["a b c d e f g h i j", "j i"])
    assert layer.get_vocabulary() == ["", "[UNK]", "j", "i", "h"]
    np.testing.assert_array_equal(layer(["j a", "h i j h", "", "a"]), [[2, 1, 0, 0], [4, 3, 2, 4], [0, 0, 0, 0],
                                                                      [1, 0, 0, 0]])
    assert layer([""]).shape == (1, 0) and layer([]).shape == (0, 0)
    layer = TextVectorization(max_tokens=5, output_mode="multi_hot")
    layer.adapt(["a b c d e f g h i j", "j i"])
    assert layer.get_vocabulary() == ["[UNK]", "j", "i", "h", "g"]
    layer = TextVectorization(vocabulary=["a", "b"], output_sequence_length=3)
    np.testing.assert_array_equal(layer(["a b a b b", "b", ""]), [[2, 3, 2], [3, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(layer("b a"), [3, 2, 0])  # a single string: one row, no batch axis
    layer = TextVectorization(vocabulary=["a", "b"])
    np.testing.assert_array_equal(layer("b a a"), [3, 2, 2])


def test_multi_hot_and_count():
    layer = TextVectorization(output_mode="multi_hot", vocabulary=["foo", "bar", "baz"])
    out = layer([["foo bar"], ["baz foo foo qux"]])
    np.testing.assert_array_equal(out, [[0, 1, 1, 0], [1, 1, 0, 1]])
    assert out.dtype == np.int64  # as Keras's lookup returns (issue keras-team/keras#19660)
    layer = TextVectorization(output_mode="count", vocabulary=["foo", "bar", "baz"])
    out = layer(("foo bar", "baz foo foo qux qux"))
    np.testing.assert_array_equal(out, [[0, 1, 1, 0], [2, 2, 0, 1]])
    np.testing.assert_array_equal(layer("bar bar"), [0, 0, 2, 0])
    layer = TextVectorization(output_mode="multi_hot", vocabulary=["foo", "bar"], max_tokens=8, pad_to_max_tokens=True)
    np.testing.assert_array_equal(layer(["foo bar zz"]), [[1, 1, 1, 0, 0, 0, 0, 0]])
    layer = TextVectorization(output_mode="count", split=None, vocabulary=["a"])
    np.testing.assert_array_equal(layer([["a", "", "b"], ["", "", ""]]), [[1, 1], [0, 0]])  # "" is dropped


def test_tf_idf():
    layer = TextVectorization(output_mode="tf_idf", vocabulary=["foo", "bar", "baz"], idf_weights=[0.3, 0.5, 0.2])
    out = layer(["foo bar", "baz foo foo qux"])
    # OOV weight: the mean of the given weights
    np.testing.assert_allclose(out, [[0, 0.3, 0.5, 0], [1 / 3, 0.6, 0, 0.2]], rtol=1e-6)
    assert out.dtype == np.float32
    layer = TextVectorization(output_mode="tf_idf", vocabulary=["[UNK]", "foo"], idf_weights=[0.7, 0.3])
    np.testing.assert_allclose(layer(["foo x x"]), [[1.4, 0.3]], rtol=1e-6)
    texts = ["the cat sat", "the dog", "the cat the end"]
    layer = TextVectorization(output_mode="tf_idf", max_tokens=10, pad_to_max_tokens=True)
    layer.adapt(texts)
    vocab = layer.get_vocabulary()
    assert vocab == ["[UNK]", "the", "cat", "sat", "end", "dog"]
    docs = {"the": 3, "cat": 2, "sat": 1, "end": 1, "dog": 1}
    idf = [np.log(1 + 3 / (1 + docs[t])) for t in vocab[1:]]
    out = layer(["the the cat zebra", "dog"])
    want = np.zeros((2, 10))
    want[0, :3] = [np.mean(idf), 2 * idf[0], idf[1]]
    want[1, 5] = idf[4]
    np.testing.assert_allclose(out, want, rtol=1e-6)
    assert out.shape == (2, 10) and out.dtype == np.float32


def test_input_forms():
    layer = TextVectorization(vocabulary=["a", "b"])
    want = [[2, 3], [3, 0]]
    for data in (["a b", "b"], ("a b", "b"), np.array(["a b", "b"]), np.array(["a b", "b"], dtype=object),
                 np.array([b"a b", b"b"]), [b"a b", "b"], np.array([["a b"], ["b"]])):
        np.testing.assert_array_equal(layer(data), want)
    with pytest.raises(ValueError, match=r"the input rank must be 1 or the last shape dimension must be 1. "
                                         r"Received: inputs.shape=\(2, 2\) with rank=2"):
        layer(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(TypeError, match="expects strings"):
        layer(np.array([1, 2]))
    latin = TextVectorization(vocabulary=["café"], encoding="latin-1")
    np.testing.assert_array_equal(latin([b"caf\xe9 x"]), [[2, 1]])


def test_argument_errors():
    bad = [({"standardize": "upper"}, ValueError, "Unknown value for `standardize` argument of TextVectorization"),
           ({"split": "comma"}, ValueError, "Unknown value for `split`"),
           ({"output_mode": "ints"}, ValueError, "Unknown value for `output_mode`"),
           ({"ngrams": "invalid"}, ValueError, "`ngrams` must be None, an integer, or a tuple of integers"),
           ({"ngrams": [1, 2]}, ValueError, "`ngrams` must be None"),
           ({"ngrams": (0, 2)}, ValueError, "positive"),
           ({"output_sequence_length": 2.5}, ValueError, "must be either None or an integer"),
           ({"output_mode": "multi_hot", "output_sequence_length": 5}, ValueError,
            "`output_sequence_length` must not be set if `output_mode` is not 'int'"),
           ({"max_tokens": 1}, ValueError, "`max_tokens` must be greater than 1"),
           ({"pad_to_max_tokens": True, "output_mode": "count"}, ValueError, "must set `max_tokens`"),
           ({"sparse": True, "output_mode": "multi_hot"}, ValueError, "`sparse=True`"),
           ({"ragged": True}, ValueError, "`ragged=True`"),
           ({"idf_weights": [1.0], "vocabulary": ["a"]}, ValueError, "`idf_weights` should only be set"),
           ({"output_mode": "tf_idf", "vocabulary": ["a"]}, ValueError, "the `idf_weights` argument must also be"),
           ({"vocabulary": []}, ValueError, "Cannot set an empty vocabulary"),
           ({"vocabulary": ["a", "b", "a"]}, ValueError, r"repeated term.*\['a'\]"),
           ({"vocabulary": ["a", "", "b"]}, ValueError, r"reserved mask token.*index \[1\]"),
           ({"vocabulary": ["a", "b", "c"], "max_tokens": 4}, ValueError, "vocabulary size is 5; `max_tokens` is 4"),
           ({"vocabulary": ["a", "b", ""], "max_tokens": 3}, ValueError, r"reserved mask token.*index \[2\]"),
           ({"output_mode": "one_hot"}, NotImplementedError, "one_hot"),
           ({"vocabulary": "/nonexistent/vocab.txt"}, ValueError, "Vocabulary file /nonexistent/vocab.txt does not exist"),
           ({"foo": 1}, TypeError, "Unrecognized keyword arguments")]
    for kwargs, kind, message in bad:
        with pytest.raises(kind, match=message):
            TextVectorization(**kwargs)
    layer = TextVectorization(vocabulary=["", "[UNK]", "a"])  # the special tokens may lead the list
    assert layer.get_vocabulary() == ["", "[UNK]", "a"]
    with pytest.raises(ValueError, match="`idf_weights` must be set if output_mode is 'tf_idf'"):
        TextVectorization(output_mode="tf_idf").set_vocabulary(["a"])
    with pytest.raises(ValueError, match="same length as vocabulary"):
        TextVectorization(output_mode="tf_idf").set_vocabulary(["a"], idf_weights=[1.0, 2.0])
    with pytest.raises(RuntimeError, match="you must set the layer's vocabulary before calling it"):
        TextVectorization(output_mode="multi_hot")(["a"])


def test_vocabulary_file_set_vocabulary_and_adapt_rules(tmp_path):
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("foo\nbar\nbaz\n")
    layer = TextVectorization(vocabulary=str(vocab_file))
    np.testing.assert_array_equal(layer(["foo bar baz unknown"]), [[2, 3, 4, 1]])
    assert layer.get_config()["vocabulary"] is None
    with pytest.raises(ValueError, match="does not support loading a vocabulary from file"):
        TextVectorization(output_mode="tf_idf").set_vocabulary(str(vocab_file), idf_weights=[1.0])
    with pytest.raises(ValueError, match="Cannot adapt layer .* after setting a static vocabulary"):
        layer.adapt(["foo"])
    layer = TextVectorization(max_tokens=4)
    layer.set_vocabulary(["baz", "bar"])
    np.testing.assert_array_equal(layer(["bar baz"]), [[3, 2]])
    layer.adapt(["x y y"])  # set_vocabulary does not forbid adapt; adapt replaces the vocabulary
    assert layer.get_vocabulary() == ["", "[UNK]", "y", "x"]

    def batches():
        yield ["a b", "b"]
        yield np.array(["c c c"])
        yield ["unused"]  # fetched (as Keras does) but not used
        raise AssertionError("read past `steps`")
    layer = TextVectorization()
    layer.adapt(batches(), steps=2)
    assert layer.get_vocabulary() == ["", "[UNK]", "c", "b", "a"]
    # Keras: in multi_hot/count/tf_idf mode without padding, the output size is fixed once known
    layer = TextVectorization(output_mode="multi_hot")
    layer.adapt(["a b"])
    with pytest.raises(RuntimeError, match="the vocabulary size cannot be changed"):
        layer.adapt(["a b c"])
    layer.adapt(["d e"])
    assert layer.get_vocabulary() == ["[UNK]", "e", "d"]


def test_config_round_trip_and_output_shape():
    layer = TextVectorization(max_tokens=20, ngrams=(1, 2), output_sequence_length=6, vocabulary=["a", "b", "a b"],
                              name="vec")
    config = layer.get_config()
    assert set(config) == {"name", "trainable", "dtype", "max_tokens", "standardize", "split", "ngrams", "output_mode",
                           "output_sequence_length", "pad_to_max_tokens", "sparse", "ragged", "vocabulary",
                           "idf_weights", "encoding", "vocabulary_size"}
    assert config["vocabulary_size"] == 5 and config["ngrams"] == (1, 2) and config["vocabulary"] == ["a", "b", "a b"]
    config["ngrams"] = [1, 2]  # as JSON gives it back
    clone = TextVectorization.from_config(config)
    texts = ["a b c", "b a"]
    np.testing.assert_array_equal(clone(texts), layer(texts))
    assert clone.name == "vec"
    assert layer.compute_output_shape((None, 1)) == (None, 6)
    counter = TextVectorization(output_mode="count", vocabulary=["a", "b"])
    assert counter.compute_output_shape((None, 1)) == (None, 3)
    assert counter.compute_output_shape((None,)) == (None, 3)
    padded = TextVectorization(output_mode="count", max_tokens=9, pad_to_max_tokens=True, split=None)
    assert padded.compute_output_shape((None,)) == (None, 9)
    assert layer.weights == [] and layer.count_params() == 0


def test_symbolic_use_is_refused_with_the_way_out():
    layer = TextVectorization(vocabulary=["a"])
    with pytest.raises(TypeError, match=r"symbolic tensor.*strings cannot enter the engine.*x = vectorizer\(texts\)"):
        layer(swiftnet.Input(shape=(1,)))
    with pytest.raises(TypeError, match=r"x = vectorizer\(texts\)"):
        swiftnet.Sequential([swiftnet.layers.Input(shape=(1,)), layer])
    with pytest.raises(TypeError, match=r"x = vectorizer\(texts\)"):
        layer.adapt(swiftnet.Input(shape=(1,)))


def test_vectors_train_a_model():
    rng = np.random.default_rng(0)
    good, bad = ["great", "fine", "superb", "lovely"], ["awful", "poor", "boring", "dull"]
    filler = ["the", "movie", "plot", "was", "a", "really"]
    texts, labels = [], []
    for i in range(64):
        words = list(rng.choice(filler, 4)) + [rng.choice(good if i % 2 else bad)]
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + "!")
        labels.append(i % 2)
    vectorizer = TextVectorization(output_mode="multi_hot")
    vectorizer.adapt(texts)
    x = vectorizer(texts)
    assert x.shape == (64, vectorizer.vocabulary_size())
    model = swiftnet.Sequential([swiftnet.layers.Input(shape=(x.shape[1],)),
                                 swiftnet.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=swiftnet.optimizers.Adam(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, np.array(labels, dtype=np.float32), epochs=30, batch_size=16, verbose=0)
    _, accuracy = model.evaluate(x, np.array(labels, dtype=np.float32), verbose=0)
    assert accuracy == 1.0
