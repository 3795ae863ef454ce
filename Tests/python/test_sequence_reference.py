"""Proves every function of sequence_reference.py equals Keras 3 (JAX backend).

Imports only numpy + keras (never swiftnet); skipped when keras is unavailable.
"""

import os
import warnings

os.environ["KERAS_BACKEND"] = "jax"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

try:
    import keras  # noqa: E402
    from keras import layers, ops  # noqa: E402
except Exception as exc:  # ImportError, or a backend failing to initialise
    pytest.skip(f"keras (JAX backend) not importable: {exc}", allow_module_level=True)
if keras.backend.backend() != "jax":
    pytest.skip("these references were checked against the JAX backend", allow_module_level=True)

import sequence_reference as ref  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

RTOL = ATOL = 1e-5


@pytest.fixture(autouse=True)
def fixed_seed():
    """Overrides conftest's swiftnet-seeding fixture: this file must not import swiftnet."""
    keras.utils.set_random_seed(1234)
    yield


def close(reference, actual):
    if isinstance(reference, (tuple, list)):
        assert isinstance(actual, (tuple, list)), type(actual)
        assert len(reference) == len(actual)
        for r, a in zip(reference, actual):
            close(r, a)
        return
    actual = np.asarray(actual, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    assert reference.shape == actual.shape, (reference.shape, actual.shape)
    np.testing.assert_allclose(reference, actual, rtol=RTOL, atol=ATOL)


def randomize(layer, rng, scale=0.5):
    """Random normal weights set through set_weights; returns get_weights()."""
    layer.set_weights([rng.normal(0.0, scale, w.shape).astype(w.dtype) for w in layer.get_weights()])
    return layer.get_weights()


# Weights are always overwritten with set_weights, so build with cheap constant
# initializers: JAX compiles random/orthogonal initializers once per shape, which
# would dominate this file's runtime.
ZK = dict(kernel_initializer="zeros")
ZRNN = dict(kernel_initializer="zeros", recurrent_initializer="zeros")


def f32(rng, *shape, scale=1.0):
    return rng.normal(0.0, scale, shape).astype("float32")


# mask rows: full, post-padded, pre-padded (first step masked), holes
RNN_MASK = np.array(
    [
        [1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 0, 0],
        [0, 0, 1, 1, 1, 1],
        [1, 0, 1, 1, 0, 1],
    ],
    dtype=bool,
)
B, T, D, U = 4, 6, 3, 4

RNN_VARIANTS = {
    "simple_rnn": ("simple_rnn", "SimpleRNN", {}),
    "lstm": ("lstm", "LSTM", {}),
    "gru": ("gru", "GRU", {}),
    "gru_reset_before": ("gru", "GRU", {"reset_after": False}),
}


def make_rnn(variant, **kw):
    kind, cls, extra = RNN_VARIANTS[variant]
    return kind, getattr(layers, cls)(U, **extra, **ZRNN, **kw), extra


# --------------------------------------------------------------------------
# Embedding / Masking
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mask_zero", [False, True])
def test_embedding(mask_zero):
    rng = np.random.default_rng(1)
    layer = layers.Embedding(7, 5, mask_zero=mask_zero, embeddings_initializer="zeros")
    idx = rng.integers(0, 7, size=(3, 6))
    idx[0, 4:] = 0
    layer.build(idx.shape)
    w = randomize(layer, rng)
    close(ref.embedding(idx, w), layer(idx))
    km = layer.compute_mask(idx)
    rm = ref.embedding_mask(idx, mask_zero)
    if mask_zero:
        np.testing.assert_array_equal(rm, np.asarray(km))
    else:
        assert km is None and rm is None


def test_embedding_out_of_range_and_float_indices():
    rng = np.random.default_rng(2)
    layer = layers.Embedding(4, 3, mask_zero=True, embeddings_initializer="zeros")
    layer.build((1, 7))
    w = randomize(layer, rng)
    idx = np.array([[0, 3, -1, -4, -5, 4, 9]])
    close(ref.embedding(idx, w), layer(idx))  # NaN rows compare equal
    fidx = np.array([[1.7, 2.2, -0.5, 0.0]])
    close(ref.embedding(fidx, w), layer(fidx))
    np.testing.assert_array_equal(ref.embedding_mask(fidx, True), np.asarray(layer.compute_mask(fidx)))


@pytest.mark.parametrize("mask_value", [0.0, 1.5])
def test_masking(mask_value):
    rng = np.random.default_rng(3)
    x = f32(rng, 3, 5, 4)
    x[0, 3:] = mask_value
    x[1, 0] = mask_value
    x[2, 2, :2] = mask_value  # partially equal -> not masked
    layer = layers.Masking(mask_value=mask_value)
    close(ref.masking(x, mask_value), layer(x))
    np.testing.assert_array_equal(ref.masking_mask(x, mask_value), np.asarray(layer.compute_mask(x)))


# --------------------------------------------------------------------------
# SimpleRNN / LSTM / GRU
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "go_backwards,masked,return_sequences",
    [(False, False, True), (False, True, True), (False, True, False), (True, True, True), (True, True, False)],
    ids=["fwd-nomask-seq", "fwd-mask-seq", "fwd-mask-last", "bwd-mask-seq", "bwd-mask-last"],
)
@pytest.mark.parametrize("variant", list(RNN_VARIANTS))
def test_rnn_core(variant, go_backwards, masked, return_sequences):
    """Outputs + final states (return_state=True) with masks carried over."""
    rng = np.random.default_rng(10)
    kind, layer, extra = make_rnn(
        variant, return_sequences=return_sequences, return_state=True, go_backwards=go_backwards
    )
    x = f32(rng, B, T, D)
    mask = RNN_MASK if masked else None
    layer.build(x.shape)
    w = randomize(layer, rng)
    out = layer(x, mask=mask)
    expected = ref.RNN_FUNCTIONS[kind](
        x, w, return_sequences=return_sequences, return_state=True,
        go_backwards=go_backwards, mask=mask, **extra,
    )
    assert len(out) == 1 + ref.RNN_NUM_STATES[kind]
    close(expected, out)


@pytest.mark.parametrize("variant", ["lstm", "gru"])
def test_rnn_no_return_state_and_compute_mask(variant):
    rng = np.random.default_rng(11)
    kind, layer, extra = make_rnn(variant, return_sequences=True, go_backwards=True)
    x = f32(rng, B, T, D)
    layer.build(x.shape)
    w = randomize(layer, rng)
    out = layer(x, mask=RNN_MASK)
    assert not isinstance(out, (tuple, list))
    close(ref.RNN_FUNCTIONS[kind](x, w, return_sequences=True, go_backwards=True, mask=RNN_MASK, **extra), out)
    np.testing.assert_array_equal(
        ref.rnn_mask(RNN_MASK, return_sequences=True), np.asarray(layer.compute_mask(x, RNN_MASK))
    )


RNN_OPTIONS = [
    ("simple_rnn", dict(use_bias=False, activation="relu")),
    ("lstm", dict(activation="relu", recurrent_activation="hard_sigmoid")),
    ("lstm", dict(use_bias=False, activation="softsign")),
    ("gru", dict(activation="relu", recurrent_activation="hard_sigmoid")),
    ("gru", dict(use_bias=False)),
    ("gru_reset_before", dict(activation="elu", recurrent_activation="tanh")),
    ("gru_reset_before", dict(use_bias=False)),
]


@pytest.mark.parametrize("variant,opts", RNN_OPTIONS)
def test_rnn_options(variant, opts):
    rng = np.random.default_rng(12)
    kind, layer, extra = make_rnn(variant, return_sequences=True, return_state=True, **opts)
    x = f32(rng, B, T, D)
    layer.build(x.shape)
    w = randomize(layer, rng)
    expected = ref.RNN_FUNCTIONS[kind](
        x, w, return_sequences=True, return_state=True, mask=RNN_MASK, **extra, **opts
    )
    close(expected, layer(x, mask=RNN_MASK))


@pytest.mark.parametrize(
    "variant,go_backwards",
    [("simple_rnn", False), ("lstm", True), ("lstm", False), ("gru", True), ("gru_reset_before", False)],
)
def test_rnn_initial_state_with_mask(variant, go_backwards):
    """Masked first steps output initial_state[0] (not zeros) in the scan loop."""
    rng = np.random.default_rng(13)
    kind, layer, extra = make_rnn(variant, return_sequences=True, return_state=True, go_backwards=go_backwards)
    x = f32(rng, B, T, D)
    init = [f32(rng, B, U) for _ in range(ref.RNN_NUM_STATES[kind])]
    layer.build(x.shape)
    w = randomize(layer, rng)
    mask = RNN_MASK.copy()
    mask[3, -1] = False  # last step masked too (first processed when going backwards)
    expected = ref.RNN_FUNCTIONS[kind](
        x, w, return_sequences=True, return_state=True, go_backwards=go_backwards,
        mask=mask, initial_state=init, **extra,
    )
    close(expected, layer(x, mask=mask, initial_state=init))


@pytest.mark.parametrize("variant", ["lstm", "gru"])
def test_rnn_zero_output_for_mask(variant):
    rng = np.random.default_rng(14)
    kind, layer, extra = make_rnn(variant, return_sequences=True, return_state=True, zero_output_for_mask=True)
    x = f32(rng, B, T, D)
    layer.build(x.shape)
    w = randomize(layer, rng)
    out = layer(x, mask=RNN_MASK)
    close(ref.RNN_FUNCTIONS[kind](
        x, w, return_sequences=True, return_state=True, mask=RNN_MASK, zero_output_for_mask=True, **extra
    ), out)
    assert np.all(np.asarray(out[0])[~RNN_MASK] == 0)


@pytest.mark.parametrize("variant", ["simple_rnn", "lstm", "gru_reset_before"])
def test_rnn_unroll_masked(variant):
    """unroll=True: masked output = previous output (zeros first), zero_output_for_mask ignored."""
    rng = np.random.default_rng(15)
    kind, layer, extra = make_rnn(
        variant, return_sequences=True, return_state=True, unroll=True, zero_output_for_mask=True
    )
    x = f32(rng, B, T, D)
    init = [f32(rng, B, U) for _ in range(ref.RNN_NUM_STATES[kind])]
    layer.build(x.shape)
    w = randomize(layer, rng)
    expected = ref.RNN_FUNCTIONS[kind](
        x, w, return_sequences=True, return_state=True, mask=RNN_MASK, initial_state=init,
        unroll=True, zero_output_for_mask=True, **extra,
    )
    close(expected, layer(x, mask=RNN_MASK, initial_state=init))
    scan_semantics = ref.RNN_FUNCTIONS[kind](
        x, w, return_sequences=True, mask=RNN_MASK, initial_state=init, **extra
    )
    assert not np.allclose(scan_semantics, expected[0])  # the two loops really differ


# --------------------------------------------------------------------------
# Bidirectional
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "merge_mode,return_sequences",
    [("concat", True), ("sum", True), ("mul", True), ("ave", True), (None, True), ("ave", False)],
)
def test_bidirectional_merge_modes(merge_mode, return_sequences):
    rng = np.random.default_rng(20)
    kind, inner, extra = make_rnn("lstm", return_sequences=return_sequences)
    layer = layers.Bidirectional(inner, merge_mode=merge_mode)
    x = f32(rng, B, T, D)
    layer.build(x.shape)
    w = randomize(layer, rng)
    out = layer(x, mask=RNN_MASK)
    expected = ref.bidirectional(
        x, w, layer=kind, merge_mode=merge_mode, return_sequences=return_sequences, mask=RNN_MASK, **extra
    )
    if merge_mode is None:
        out = tuple(out)
    close(expected, out)


@pytest.mark.parametrize(
    "variant,return_sequences,masked",
    [
        ("simple_rnn", True, True),
        ("gru", False, False),
        ("gru_reset_before", True, True),
        ("gru_reset_before", False, True),
    ],
)
def test_bidirectional_layers(variant, return_sequences, masked):
    rng = np.random.default_rng(21)
    kind, inner, extra = make_rnn(variant, return_sequences=return_sequences)
    layer = layers.Bidirectional(inner)
    x = f32(rng, B, T, D)
    layer.build(x.shape)
    w = randomize(layer, rng)
    mask = RNN_MASK if masked else None
    expected = ref.bidirectional(x, w, layer=kind, return_sequences=return_sequences, mask=mask, **extra)
    close(expected, layer(x, mask=mask))


@pytest.mark.parametrize(
    "variant,merge_mode,return_sequences,with_initial_state",
    [
        ("lstm", "concat", True, True),
        ("lstm", None, False, False),
        ("lstm", None, True, True),
        ("gru", "concat", False, True),
        ("simple_rnn", "ave", True, True),
    ],
)
def test_bidirectional_return_state(variant, merge_mode, return_sequences, with_initial_state):
    rng = np.random.default_rng(22)
    kind, inner, extra = make_rnn(variant, return_sequences=return_sequences, return_state=True)
    layer = layers.Bidirectional(inner, merge_mode=merge_mode)
    x = f32(rng, B, T, D)
    n_states = 2 * ref.RNN_NUM_STATES[kind]
    init = [f32(rng, B, U) for _ in range(n_states)] if with_initial_state else None
    layer.build(x.shape)
    w = randomize(layer, rng)
    out = tuple(layer(x, mask=RNN_MASK, initial_state=init))
    expected = ref.bidirectional(
        x, w, layer=kind, merge_mode=merge_mode, return_sequences=return_sequences,
        return_state=True, mask=RNN_MASK, initial_state=init, **extra,
    )
    assert len(out) == (2 if merge_mode is None else 1) + n_states
    close(expected, out)


def test_bidirectional_unroll_ignores_zero_output_for_mask():
    rng = np.random.default_rng(24)
    layer = layers.Bidirectional(layers.GRU(U, return_sequences=True, unroll=True, **ZRNN), merge_mode=None)
    x = f32(rng, B, T, D)
    layer.build(x.shape)
    w = randomize(layer, rng)
    out = tuple(layer(x, mask=RNN_MASK))
    close(ref.bidirectional(x, w, layer="gru", merge_mode=None, return_sequences=True, mask=RNN_MASK, unroll=True), out)
    assert np.any(np.asarray(out[0])[~RNN_MASK] != 0)  # carried outputs, not zeros


def test_bidirectional_options_and_masked_zero_outputs():
    rng = np.random.default_rng(23)
    opts = dict(activation="relu", recurrent_activation="hard_sigmoid", use_bias=False)
    layer = layers.Bidirectional(layers.GRU(U, return_sequences=True, **ZRNN, **opts), merge_mode="sum")
    x = f32(rng, B, T, D)
    layer.build(x.shape)
    w = randomize(layer, rng)
    out = layer(x, mask=RNN_MASK)
    close(ref.bidirectional(x, w, layer="gru", merge_mode="sum", return_sequences=True, mask=RNN_MASK, **opts), out)
    assert np.all(np.asarray(out)[~RNN_MASK] == 0)


# --------------------------------------------------------------------------
# Convolution / pooling
# --------------------------------------------------------------------------

CONV_CASES = [
    dict(kernel_size=3, strides=2),
    dict(kernel_size=4, strides=3, padding="same"),
    dict(kernel_size=4, padding="same"),  # even kernel: extra pad goes right
    dict(kernel_size=3, padding="causal", dilation_rate=2),
    dict(kernel_size=2, padding="causal", strides=2),
    dict(kernel_size=3, dilation_rate=3, use_bias=False, activation="relu"),
    dict(kernel_size=3, padding="same", dilation_rate=2),
    dict(kernel_size=3, groups=2, padding="same"),
    dict(kernel_size=2, groups=4, filters=8, activation="tanh"),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_conv1d(case):
    rng = np.random.default_rng(30)
    case = dict(case)
    filters = case.pop("filters", 6)
    layer = layers.Conv1D(filters, **case, **ZK)
    x = f32(rng, 2, 11, 4)
    layer(x)
    w = randomize(layer, rng)
    case.pop("kernel_size")
    close(ref.conv1d(x, w, **case), layer(x))


def test_conv1d_channels_first():
    rng = np.random.default_rng(31)
    layer = layers.Conv1D(5, 3, padding="same", data_format="channels_first", **ZK)
    x = f32(rng, 2, 4, 9)
    layer(x)
    w = randomize(layer, rng)
    close(ref.conv1d(x, w, padding="same", data_format="channels_first"), layer(x))


POOL_CASES = [
    dict(pool_size=2),
    dict(pool_size=3),
    dict(pool_size=3, strides=1),
    dict(pool_size=2, strides=3),
    dict(pool_size=2, padding="same"),
    dict(pool_size=3, padding="same"),
    dict(pool_size=3, strides=1, padding="same"),
    dict(pool_size=4, strides=1, padding="same"),
    dict(pool_size=4, strides=3, padding="same"),
    dict(pool_size=5, strides=2, padding="same"),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.parametrize("kind", ["max", "average"])
def test_pooling1d(kind, case):
    rng = np.random.default_rng(32)
    x = f32(rng, 2, 11, 3)
    if kind == "max":
        layer, fn = layers.MaxPooling1D(**case), ref.max_pooling1d
    else:
        layer, fn = layers.AveragePooling1D(**case), ref.average_pooling1d
    close(fn(x, **case), layer(x))


def test_average_pooling_same_excludes_padding_from_count():
    x = np.ones((1, 5, 1), "float32")
    out = np.asarray(layers.AveragePooling1D(4, strides=1, padding="same")(x))
    np.testing.assert_allclose(out, 1.0)  # would be < 1 at the edges if padding counted
    close(ref.average_pooling1d(x, 4, strides=1, padding="same"), out)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_no_mask(keepdims, data_format):
    rng = np.random.default_rng(33)
    x = f32(rng, 3, 6, 4)
    kw = dict(keepdims=keepdims, data_format=data_format)
    close(ref.global_average_pooling1d(x, **kw), layers.GlobalAveragePooling1D(**kw)(x))
    close(ref.global_max_pooling1d(x, **kw), layers.GlobalMaxPooling1D(**kw)(x))


@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_pooling_mask(keepdims):
    rng = np.random.default_rng(34)
    x = f32(rng, 4, 6, 3)
    mask = RNN_MASK.copy()
    mask[0] = False  # fully masked sample -> 0/0 = NaN in Keras too
    layer = layers.GlobalAveragePooling1D(keepdims=keepdims)
    close(ref.global_average_pooling1d(x, mask=mask, keepdims=keepdims), layer(x, mask=mask))


def test_global_pooling_after_masking_layer():
    """GAP uses the propagated mask; GMP silently ignores it (max over padded steps too)."""
    rng = np.random.default_rng(35)
    x = f32(rng, 3, 6, 4)
    x[0, 3:] = 0.0
    x[1, :2] = 0.0
    x[2] -= 10.0  # all negative: the padded zeros would win a masked max
    x[2, 4:] = 0.0
    inp = keras.Input((6, 4))
    m = layers.Masking()(inp)
    model = keras.Model(inp, [layers.GlobalAveragePooling1D()(m), layers.GlobalMaxPooling1D()(m)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gap, gmp = model(x)
    mask = ref.masking_mask(x)
    close(ref.global_average_pooling1d(ref.masking(x), mask=mask), gap)
    close(ref.global_max_pooling1d(ref.masking(x), mask=mask), gmp)
    np.testing.assert_allclose(np.asarray(gmp)[2], 0.0)


# --------------------------------------------------------------------------
# Reshaping / TimeDistributed
# --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3])
def test_up_sampling1d(size):
    x = f32(np.random.default_rng(40), 2, 4, 3)
    close(ref.up_sampling1d(x, size), layers.UpSampling1D(size)(x))


@pytest.mark.parametrize("padding", [1, 3, (0, 2), (2, 1)])
def test_zero_padding1d(padding):
    x = f32(np.random.default_rng(41), 2, 4, 3)
    close(ref.zero_padding1d(x, padding), layers.ZeroPadding1D(padding)(x))


@pytest.mark.parametrize("cropping", [1, (0, 2), (2, 0), (1, 2)])
def test_cropping1d(cropping):
    x = f32(np.random.default_rng(42), 2, 6, 3)
    close(ref.cropping1d(x, cropping), layers.Cropping1D(cropping)(x))


@pytest.mark.parametrize("n", [1, 4])
def test_repeat_vector(n):
    x = f32(np.random.default_rng(43), 3, 5)
    close(ref.repeat_vector(x, n), layers.RepeatVector(n)(x))


@pytest.mark.parametrize("dims", [(2, 1), (1, 2), (3, 1, 2), (2, 3, 1)])
def test_permute(dims):
    rng = np.random.default_rng(44)
    x = f32(rng, 2, 3, 4) if len(dims) == 2 else f32(rng, 2, 3, 4, 5)
    close(ref.permute(x, dims), layers.Permute(dims)(x))


@pytest.mark.parametrize("activation,use_bias", [(None, True), ("relu", True), ("tanh", False)])
def test_time_distributed_dense(activation, use_bias):
    rng = np.random.default_rng(45)
    layer = layers.TimeDistributed(layers.Dense(5, activation=activation, use_bias=use_bias, **ZK))
    x = f32(rng, 3, 4, 6)
    layer(x)
    w = randomize(layer, rng)
    close(ref.time_distributed_dense(x, w, activation=activation, use_bias=use_bias), layer(x))


# --------------------------------------------------------------------------
# LayerNormalization
# --------------------------------------------------------------------------

LN_CASES = [
    dict(),
    dict(epsilon=1e-6),
    dict(center=False),
    dict(scale=False),
    dict(center=False, scale=False),
    dict(axis=1),
    dict(axis=[1, 2]),
    dict(axis=[-2, -1], epsilon=0.1),
]


@pytest.mark.parametrize("case", LN_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "default")
def test_layer_normalization(case):
    rng = np.random.default_rng(50)
    x = (f32(rng, 3, 4, 5) * 3 + 1).astype("float32")
    x[0, 0] = 0.01 * x[0, 0]  # small variance: epsilon placement matters
    layer = layers.LayerNormalization(**case)
    layer(x)
    w = randomize(layer, rng)
    close(ref.layer_normalization(x, w, **case), layer(x))


# --------------------------------------------------------------------------
# MultiHeadAttention
# --------------------------------------------------------------------------

MHA_CASES = [
    dict(num_heads=2, key_dim=3),
    dict(num_heads=2, key_dim=3, scores=True),
    dict(num_heads=3, key_dim=2, output_shape=7, use_bias=False, scores=True),
    dict(num_heads=2, key_dim=3, output_shape=(2, 3), attention_axes=-2),
    dict(num_heads=2, key_dim=3, cross=True, key=True),
    # value_dim != key_dim only works on the explicit (scores) path in Keras 3.15/JAX
    dict(num_heads=2, key_dim=3, cross=True, key=True, value_dim=5, use_bias=False, scores=True),
]


@pytest.mark.parametrize("case", MHA_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_mha_basic(case):
    case = dict(case)
    scores = case.pop("scores", False)
    cross = case.pop("cross", False)
    with_key = case.pop("key", False)
    rng = np.random.default_rng(60)
    q = f32(rng, 3, 5, 6)
    v = f32(rng, 3, 4, 7) if cross else q
    k = f32(rng, 3, 4, 5) if with_key else None
    layer = layers.MultiHeadAttention(**case, **ZK)
    layer.build(q.shape, v.shape, None if k is None else k.shape)
    w = randomize(layer, rng)
    out = layer(q, v, key=k, return_attention_scores=scores)
    expected = ref.multi_head_attention(q, v, w, key=k, return_attention_scores=scores, **case)
    close(expected, tuple(out) if scores else out)


MHA_MASK_CASES = [
    dict(query_masked=True),
    dict(value_masked=True),
    dict(query_masked=True, value_masked=True),
    dict(key_masked=True, cross=True),
    dict(query_masked=True, value_masked=True, key_masked=True, cross=True),
    dict(causal=True),
    dict(causal=True, cross=True),
    dict(causal=True, query_masked=True, value_masked=True),
    dict(attention_mask=True),
    dict(attention_mask=True, value_masked=True, causal=True),
    dict(attention_mask="full_row"),
]


@pytest.mark.parametrize("scores", [False, True], ids=["fast", "scores"])
@pytest.mark.parametrize("case", MHA_MASK_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_mha_masks(case, scores):
    rng = np.random.default_rng(61)
    cross = case.get("cross", False)
    Tq, S = 5, (4 if cross else 5)
    q = f32(rng, 3, Tq, 6)
    v = f32(rng, 3, S, 6) if cross else q.copy()
    k = f32(rng, 3, S, 6) if cross else None
    q[0, 3:] = 0.0  # padded query positions (fully masked rows when query-masked)
    q[2, 0] = 0.0
    v[1, S - 2:] = 0.0
    if k is not None:
        k[2, 1] = 0.0
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, **ZK)
    layer.build(q.shape, v.shape, None if k is None else k.shape)
    w = randomize(layer, rng)

    qk, vk, kk = q, v, k
    qm = vm = km = None
    if case.get("query_masked"):
        qk, qm = layers.Masking()(q), ref.masking_mask(q)
    if case.get("value_masked"):
        vk, vm = layers.Masking()(v), ref.masking_mask(v)
    if case.get("key_masked"):
        kk, km = layers.Masking()(k), ref.masking_mask(k)
    am = None
    if case.get("attention_mask") is True:
        am = rng.random((3, Tq, S)) > 0.3
        am[..., 0] = True
    elif case.get("attention_mask") == "full_row":
        am = np.ones((3, Tq, S), bool)
        am[0, 1] = False
        am[2, 4] = False
    causal = case.get("causal", False)
    out = layer(qk, vk, key=kk, attention_mask=am, use_causal_mask=causal, return_attention_scores=scores)
    expected = ref.multi_head_attention(
        q, v, w, num_heads=2, key_dim=3, key=k, query_mask=qm, value_mask=vm, key_mask=km,
        attention_mask=am, use_causal_mask=causal, return_attention_scores=scores,
    )
    close(expected, tuple(out) if scores else out)


def test_mha_explicit_mask_arguments():
    """Only the Keras mask carried by `query` counts (an explicit query_mask is
    overwritten); an explicit value_mask argument is used."""
    rng = np.random.default_rng(62)
    q = f32(rng, 3, 5, 6)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, **ZK)
    layer.build(q.shape, q.shape)
    w = randomize(layer, rng)
    qmask = np.ones((3, 5), bool)
    qmask[0, 2:] = False
    vmask = np.ones((3, 5), bool)
    vmask[1, 3:] = False
    out = layer(q, q, query_mask=qmask, value_mask=vmask, return_attention_scores=True)
    expected = ref.multi_head_attention(q, q, w, num_heads=2, key_dim=3, value_mask=vmask, return_attention_scores=True)
    close(expected, tuple(out))


def test_mha_dropout_selects_explicit_path_in_inference():
    rng = np.random.default_rng(63)
    q = f32(rng, 2, 5, 6)
    q[0, 3:] = 0.0
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.3, **ZK)
    layer.build(q.shape, q.shape)
    w = randomize(layer, rng)
    qk = layers.Masking()(q)
    qm = ref.masking_mask(q)
    out = layer(qk, layers.Masking()(q), training=False)
    expected = ref.multi_head_attention(q, q, w, num_heads=2, key_dim=3, query_mask=qm, value_mask=qm, dropout=0.3)
    close(expected, out)
    np.testing.assert_allclose(np.asarray(out)[0, 3:], np.broadcast_to(w[-1], (2, 6)), atol=1e-6)
    fast = ref.multi_head_attention(q, q, w, num_heads=2, key_dim=3, query_mask=qm, value_mask=qm)
    assert not np.allclose(fast[0, 3:], expected[0, 3:])


# --------------------------------------------------------------------------
# Attention (Luong)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("scores", [False, True], ids=["out", "scores"])
@pytest.mark.parametrize("masks", ["none", "query", "value", "both"])
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("use_scale,score_mode", [(False, "dot"), (True, "dot"), (False, "concat"), (True, "concat")])
def test_attention(use_scale, score_mode, causal, masks, scores):
    rng = np.random.default_rng(70)
    q = f32(rng, 3, 5, 4)
    v = f32(rng, 3, 5, 4)
    k = f32(rng, 3, 5, 4) if score_mode == "dot" else None
    qm = np.ones((3, 5), bool)
    qm[0, 3:] = False
    vm = np.ones((3, 5), bool)
    vm[1, 2:] = False
    vm[2, :] = False  # fully masked values: -1e9 shift cancels in the softmax
    layer = layers.Attention(use_scale=use_scale, score_mode=score_mode)
    inputs = [q, v] if k is None else [q, v, k]
    layer(inputs)
    w = randomize(layer, rng) if layer.get_weights() else []
    kmask = {"none": None, "query": [qm, None], "value": [None, vm], "both": [qm, vm]}[masks]
    out = layer(inputs, mask=kmask, use_causal_mask=causal, return_attention_scores=scores)
    expected = ref.attention(
        q, v, w, key=k, use_scale=use_scale, score_mode=score_mode,
        query_mask=None if kmask is None else kmask[0],
        value_mask=None if kmask is None else kmask[1],
        use_causal_mask=causal, return_attention_scores=scores,
    )
    close(expected, tuple(out) if scores else out)


# --------------------------------------------------------------------------
# keras-io Transformer text classifier pieces
# --------------------------------------------------------------------------


class TransformerBlock(layers.Layer):
    """keras-io 'Text classification with Transformer' block (Keras 3 version)."""

    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        # (zeros initializers only to keep the test fast; weights are set later)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim, **ZK)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu", **ZK), layers.Dense(embed_dim, **ZK)])
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        attn_output = self.dropout1(self.att(inputs, inputs))
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.dropout2(self.ffn(out1))
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim, embeddings_initializer="zeros")
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim, embeddings_initializer="zeros")

    def call(self, x):
        positions = self.pos_emb(ops.arange(start=0, stop=ops.shape(x)[-1], step=1))
        return self.token_emb(x) + positions


@pytest.mark.parametrize("embed_dim,num_heads,ff_dim", [(8, 2, 12)])
def test_transformer_block(embed_dim, num_heads, ff_dim):
    rng = np.random.default_rng(80)
    block = TransformerBlock(embed_dim, num_heads, ff_dim)
    x = f32(rng, 3, 8, embed_dim)
    block(x)
    w = randomize(block, rng, scale=0.3)
    assert len(w) == 16
    close(ref.transformer_block(x, w, num_heads=num_heads), block(x, training=False))


@pytest.mark.parametrize("seq_len", [6, 9])
def test_token_and_position_embedding(seq_len):
    rng = np.random.default_rng(81)
    layer = TokenAndPositionEmbedding(maxlen=9, vocab_size=20, embed_dim=5)
    idx = rng.integers(0, 20, size=(3, seq_len))
    layer(idx)
    w = randomize(layer, rng)
    close(ref.token_and_position_embedding(idx, w), layer(idx))


def test_keras_io_text_classifier_model():
    """The whole keras-io classifier (inference) composed from reference pieces."""
    rng = np.random.default_rng(82)
    maxlen, vocab, embed_dim, heads, ff = 8, 30, 8, 2, 12
    inputs = keras.Input(shape=(maxlen,))
    x = TokenAndPositionEmbedding(maxlen, vocab, embed_dim)(inputs)
    x = TransformerBlock(embed_dim, heads, ff)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu", **ZK)(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax", **ZK)(x)
    model = keras.Model(inputs, outputs)
    w = randomize(model, rng, scale=0.3)
    idx = rng.integers(0, vocab, size=(3, maxlen)).astype("float32")
    h = ref.token_and_position_embedding(idx, w[0:2])
    h = ref.transformer_block(h, w[2:18], num_heads=heads)
    h = ref.global_average_pooling1d(h)
    h = ref.dense(h, w[18:20], activation="relu")
    h = ref.dense(h, w[20:22], activation="softmax")
    close(h, model(idx, training=False))


def test_embedding_mask_zero_lstm_pipeline():
    """Embedding(mask_zero) -> Bidirectional(LSTM seq) -> LSTM -> Dense, via Keras mask propagation."""
    rng = np.random.default_rng(83)
    inputs = keras.Input(shape=(T,), dtype="int32")
    x = layers.Embedding(10, D, mask_zero=True, embeddings_initializer="zeros")(inputs)
    x = layers.Bidirectional(layers.LSTM(U, return_sequences=True, **ZRNN))(x)
    x = layers.LSTM(U, **ZRNN)(x)
    outputs = layers.Dense(2, **ZK)(x)
    model = keras.Model(inputs, outputs)
    w = randomize(model, rng)
    idx = rng.integers(1, 10, size=(B, T))
    idx[~RNN_MASK] = 0
    mask = ref.embedding_mask(idx, mask_zero=True)
    h = ref.embedding(idx, w[0:1])
    h = ref.bidirectional(h, w[1:7], layer="lstm", return_sequences=True, mask=mask)
    h = ref.lstm(h, w[7:10], mask=mask)
    close(ref.dense(h, w[10:12]), model(idx))
