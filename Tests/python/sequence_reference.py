"""NumPy (float64) reference forward passes for Keras 3 sequence layers.

Every function takes the weights exactly as the matching Keras layer's
``layer.get_weights()`` returns them (same order, same shapes) plus the layer's
config options, and returns exactly what the Keras layer's ``__call__`` returns
(a tuple ``(output, *states)`` when ``return_state=True``, ``(output, scores)``
when ``return_attention_scores=True``).  Masks that Keras would attach to the
output (``compute_mask``) are available from the ``*_mask`` helpers.  Only
inference mode is modelled (dropout is the identity).  All tensors are
channels_last unless a ``data_format`` argument says otherwise.  Checked
against Keras 3.15.1 on the JAX backend by ``test_sequence_reference.py``.

Semantic facts that are easy to get wrong (Keras 3.15, JAX backend)
====================================================================

Weights / layouts (``get_weights()`` order)
-------------------------------------------
* SimpleRNN: ``[kernel (D,U), recurrent_kernel (U,U), bias (U,)]``;
  ``h_t = act(x_t @ K + b + h_{t-1} @ R)``.
* LSTM: ``[kernel (D,4U), recurrent_kernel (U,4U), bias (4U,)]``, gate blocks
  along the last axis in the order **i, f, c(candidate), o**.
  ``c_t = f*c_{t-1} + i*act(z_c)``, ``h_t = o*act(c_t)`` (gates use
  ``recurrent_activation``).  ``unit_forget_bias=True`` only affects the
  initializer (forget block of the bias = 1); states are ``[h, c]`` in that order.
* GRU: ``[kernel (D,3U), recurrent_kernel (U,3U), bias]``, gate blocks in the
  order **z(update), r(reset), h(candidate)** (PyTorch uses r, z, n).
  ``h_t = z*h_{t-1} + (1-z)*hh``.
  - ``reset_after=True`` (default): bias shape ``(2, 3U)``: row 0 = input bias,
    row 1 = recurrent bias; ``hh = act(x@K_h + b_in_h + r*(h@R_h + b_rec_h))``.
  - ``reset_after=False``: bias shape ``(3U,)`` (input side only);
    ``hh = act(x@K_h + b_h + (r*h)@R_h)``.
  - ``use_bias=False``: no bias entry at all (lists have 2 arrays).
* Bidirectional: the forward layer's weights, then the backward layer's (each
  in the wrapped layer's own order).
* MultiHeadAttention (3-D inputs): ``[query/kernel (Eq,N,Kd), query/bias (N,Kd),
  key/kernel (Ek,N,Kd), key/bias (N,Kd), value/kernel (Ev,N,Vd),
  value/bias (N,Vd), attention_output/kernel (N,Vd,*out), attention_output/bias
  (*out,)]`` (biases absent when ``use_bias=False``); ``out`` = ``output_shape``
  or ``Eq``.  Scores are ``(B, N, T, S)``; the query is scaled by
  ``1/sqrt(key_dim)`` before the dot product.
* Attention: ``[scale]`` if ``use_scale``, then ``[concat_score_weight]`` if
  ``score_mode="concat"`` (both scalars, shape ``()``).  "dot": ``scale*(q@k^T)``;
  "concat": ``w * sum(tanh(scale*(q_i + k_j)))`` (scale *inside* the tanh).
* keras-io TransformerBlock: MHA's 8 arrays (key_dim = embed_dim, NOT
  embed_dim/num_heads), dense1 kernel/bias, dense2 kernel/bias, ln1 gamma/beta,
  ln2 gamma/beta (16 arrays).  TokenAndPositionEmbedding: ``[token_emb, pos_emb]``.
* Conv1D kernel ``(kernel_size, in_channels // groups, filters)``; group g uses
  input channels ``[g*Cin/G, (g+1)*Cin/G)`` and filters ``[g*F/G, (g+1)*F/G)``.
* LayerNormalization: ``[gamma]`` if scale, then ``[beta]`` if center; their
  shape is the input's sizes at the (sorted) normalised axes.

RNN loop and masks (``keras.src.backend.jax.rnn.rnn``)
--------------------------------------------------------
* A masked step does not update the state: ``state = where(mask_t, new, old)``
  for every state (h *and* c for LSTM).  Final states returned by
  ``return_state`` are therefore the states after the last *unmasked* step
  processed.
* Output at a masked step (unroll=False, the default):
  ``zero_output_for_mask=False`` (default for SimpleRNN/LSTM/GRU) -> the
  previous *state[0]* (= previous output h; for the very first step that is
  ``initial_state[0]``, not necessarily zero).  ``zero_output_for_mask=True`` ->
  zeros.  ``return_sequences=False`` returns the last element of that sequence,
  i.e. the output of the last unmasked step (or zeros if zero_output_for_mask
  and the last step is masked).
* ``unroll=True`` uses a different loop: masked-step output = previous *output*
  (zeros before the first step, even with a non-zero initial_state) and
  ``zero_output_for_mask`` is IGNORED.
* ``go_backwards=True``: the sequence (and its mask) is processed from t=T-1
  down to 0, and ``return_sequences`` outputs are in *processing* order, i.e.
  time-reversed (``out[:, 0]`` belongs to input step T-1).  The last output /
  final state are those after processing t=0.  ``compute_mask`` still
  returns the input mask un-reversed.
* ``return_state`` returns ``(output, h)`` for SimpleRNN/GRU and
  ``(output, h, c)`` for LSTM.
* Dropout (training only; not modelled here).  Masks are created once per call
  from the first time step's shape and reused for every time step; they are
  inverted-dropout masks (values 0 or 1/(1-rate)).  The LSTM/GRU cells only
  apply them when ``0 < rate < 1`` (rate 1.0 = no dropout at all there).
  SimpleRNN: one input mask (B,D) and one recurrent mask (B,U).  LSTM/GRU
  with recurrent_dropout == 0 ("implementation 2"): ONE input mask (B,D)
  shared by all 4 (3) gates and all steps, no recurrent mask.  With
  recurrent_dropout > 0 the cell switches to implementation 1: 4 (LSTM) /
  3 (GRU) independent input masks and 4/3 independent recurrent masks (B,U),
  one per gate, each shared over time.
  Bidirectional's two directions draw independent masks.

Bidirectional
-------------
* The backward layer is a copy of the wrapped layer's config with
  ``go_backwards=True`` (the wrapped layer itself must have go_backwards=False).
* Both directions get ``zero_output_for_mask = return_sequences``: with
  ``return_sequences=True`` masked steps give ZEROS in both halves (unlike a
  plain RNN), with ``return_sequences=False`` the carry-over rule applies.
  (With ``unroll=True`` the flag is ignored, see above.)
* With ``return_sequences=True`` the backward output is flipped along time
  (``y_rev[:, ::-1]``) so both halves are aligned with the input time steps;
  with ``return_sequences=False`` the backward "last output" is the one after
  it consumed t=0 and is not flipped.
* merge_mode: concat ``[fw, bw]`` on the last axis; sum; mul; ave
  ``(fw+bw)/2``; None -> the two outputs separately.
* ``return_state``: ``(merged, *fw_states, *bw_states)``; with merge_mode None:
  ``(fw_out, bw_out, *fw_states, *bw_states)``.  ``initial_state`` is a flat
  list whose first half goes to the forward layer and second half to the
  backward layer.

Embedding / Masking
-------------------
* Embedding: indices are cast to int32 (floats truncate toward zero); lookup is
  ``jnp.take``: negative indices in [-V, 0) wrap around, indices >= V or < -V
  give NaN rows.  ``mask_zero`` mask = ``inputs != 0`` computed on the raw
  inputs (not the cast ones).
* Masking: mask = ``any(x != mask_value, axis=-1)``; the output ZEROES the fully
  masked time steps (``where(mask, x, 0)``), so a non-zero mask_value is
  replaced by 0.

Convolution / pooling / reshaping
---------------------------------
* Conv1D ``padding="causal"``: left-pad ``dilation_rate*(kernel_size-1)``
  zeros, then a "valid" conv (output length ``(L - 1)//s + 1``; no right pad).
* "same" (conv and pooling): out = ceil(L/s); total pad =
  ``max((out-1)*s + eff_k - L, 0)`` with eff_k = ``(k-1)*d + 1``; LEFT gets
  ``total // 2`` and RIGHT gets the rest (extra pad goes on the right).
* AveragePooling1D "same": the divisor is the number of REAL (non-padded)
  elements in each window (padding is excluded from the count);
  "valid" divides by pool_size.  MaxPooling "same" pads with -inf.
  ``strides=None`` means strides = pool_size.
* GlobalAveragePooling1D with a mask: ``sum(x*mask)/sum(mask)`` over time
  (a fully masked sample gives 0/0 = NaN).  GlobalMaxPooling1D IGNORES the mask
  (plain max over all steps, padded ones included; Keras only warns that the
  mask is dropped).  Neither propagates a mask.
* UpSampling1D repeats every step ``size`` times (``np.repeat``, axis 1);
  ZeroPadding1D pads the time axis; Cropping1D crops it; RepeatVector turns
  (B,F) into (B,n,F); Permute ``dims`` are 1-based and exclude the batch axis.
* TimeDistributed(Dense) == Dense on the last axis (Dense already broadcasts).

LayerNormalization
------------------
* ``y = (x - mean) / sqrt(var + epsilon) * gamma + beta`` with the BIASED
  variance (divide by N, ``jnp.var``), epsilon INSIDE the sqrt, default
  ``epsilon=1e-3`` (not 1e-5/1e-6; the keras-io Transformer passes 1e-6).
  Statistics are taken jointly over all axes in ``axis``.  The layer passes a
  mask through unchanged and does not use it.

MultiHeadAttention
------------------
* Mask combination: ``query_mask[:, :, None] & value_mask[:, None, :] &
  key_mask[:, None, :] & causal & attention_mask`` -> (B,T,S), broadcast over
  heads.  The query mask is ALWAYS read from the Keras mask carried by the
  ``query`` tensor (an explicit ``query_mask=`` call argument is overwritten
  and so ignored); ``value_mask``/``key_mask`` are filled from the masks
  carried by value/key (or can be passed explicitly).  MHA strips the Keras
  masks from its input tensors and sets the query mask on its output.
* Causal mask is ``row >= col`` anchored at the TOP-LEFT (``tril`` of (T,S)),
  also when T != S.
* Fully-masked query rows (e.g. padded query positions) depend on the code path:
  - fast path (no dropout, ``return_attention_scores=False``, 3-D inputs ->
    ``ops.dot_product_attention``): masked logits are set to a huge negative,
    so a fully masked row becomes a UNIFORM average of all S value vectors;
  - explicit path (``return_attention_scores=True`` or ``dropout > 0`` even in
    inference): ``Softmax(mask)`` zeroes masked probabilities, so a fully
    masked row gets all-zero scores and the output there is just the output
    bias.
  Partially masked rows are identical in both paths.
* Keras 3.15/JAX bug: ``value_dim != key_dim`` crashes in the fast path
  (jax.nn.dot_product_attention requires equal head dims); it only works when
  the explicit path is taken.
* ``use_gate`` (new in 3.15) and non-default ``attention_axes``/higher-rank
  inputs are not modelled here.

Attention (Luong)
-----------------
* ``mask=[query_mask, value_mask]``.  Masked value positions get
  ``score - 1e9`` (subtracted, not replaced; in float32 that rounds to a
  multiple of 64, so a fully masked row gives ~uniform weights over all
  positions); the causal mask is ``row >= col``
  and is ANDed with the value mask.  Softmax over the last axis, output =
  ``weights @ value``; then rows of masked queries are set to 0 in the output
  (the returned scores are NOT zeroed).  Key defaults to value.

keras-io Transformer text classifier (inference)
------------------------------------------------
* ``TransformerBlock``: ``a = MHA(x, x)`` (fast path, no mask); ``o1 = LN1(x + a)``;
  ``f = Dense2(relu(Dense1(o1)))``; ``out = LN2(o1 + f)``; both LNs eps=1e-6;
  dropouts are identity at inference.
* ``TokenAndPositionEmbedding``: ``token_emb[x] + pos_emb[arange(T)]`` where
  T = the actual sequence length (must be <= maxlen).
"""

import math

import numpy as np

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _f64(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


_erf = np.vectorize(math.erf, otypes=[np.float64])

ACTIVATIONS = {
    None: lambda x: x,
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip((x + 3.0) / 6.0, 0.0, 1.0),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "selu": lambda x: 1.0507009873554804934193349852946
    * np.where(x > 0, x, 1.6732632423543772848170429916717 * np.expm1(np.minimum(x, 0.0))),
    "swish": lambda x: x * _sigmoid(x),
    "silu": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0))),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "exponential": np.exp,
    "softmax": _softmax,
}


def activation_fn(activation):
    """Map a Keras activation name (or None, or a callable) to a NumPy function."""
    if callable(activation):
        return activation
    if activation not in ACTIVATIONS:
        raise ValueError(f"unsupported activation {activation!r}")
    return ACTIVATIONS[activation]


def dense(x, weights, activation=None, use_bias=True):
    """keras.layers.Dense on the last axis. weights = [kernel (in, units), bias (units,)]."""
    x = _f64(x)
    y = x @ _f64(weights[0])
    if use_bias:
        y = y + _f64(weights[1])
    return activation_fn(activation)(y)


def _check_len(weights, n, name):
    if len(weights) != n:
        raise ValueError(f"{name}: expected {n} weight arrays, got {len(weights)}")


# --------------------------------------------------------------------------
# Embedding / Masking
# --------------------------------------------------------------------------


def embedding(inputs, weights):
    """keras.layers.Embedding. weights = [embeddings (V, E)].

    Indices are truncated to int32; negative indices in [-V, 0) wrap, others out
    of range give NaN rows (jnp.take 'fill' mode)."""
    table = _f64(weights[0])
    vocab = table.shape[0]
    idx = np.trunc(np.asarray(inputs, dtype=np.float64)).astype(np.int64)
    valid = (idx >= -vocab) & (idx < vocab)
    safe = np.where(valid, np.where(idx < 0, idx + vocab, idx), 0)
    out = table[safe]
    out[~valid] = np.nan
    return out


def embedding_mask(inputs, mask_zero=False):
    """Embedding.compute_mask: inputs != 0 when mask_zero, else None."""
    if not mask_zero:
        return None
    return np.asarray(inputs) != 0


def masking_mask(inputs, mask_value=0.0):
    """Masking.compute_mask: any feature differs from mask_value -> (B, T) bool."""
    return np.any(np.asarray(inputs) != mask_value, axis=-1)


def masking(inputs, mask_value=0.0):
    """keras.layers.Masking output: fully-masked steps are set to 0."""
    x = _f64(inputs)
    keep = masking_mask(inputs, mask_value)[..., None]
    return np.where(keep, x, 0.0)


# --------------------------------------------------------------------------
# Recurrent layers
# --------------------------------------------------------------------------


def _rnn_loop(step, x, states, mask, go_backwards, zero_output_for_mask, unroll):
    """Replicates keras.src.backend.jax.rnn.rnn (batch-major inputs).

    Returns (last_output, outputs (B, T, U) in processing order, final_states)."""
    B, T = x.shape[0], x.shape[1]
    order = range(T - 1, -1, -1) if go_backwards else range(T)
    outputs = []
    prev_out = None
    for t in order:
        out, new_states = step(x[:, t], states)
        if mask is not None:
            m = np.asarray(mask[:, t], dtype=bool)[:, None]
            if unroll:
                # unrolled loop: previous *output* (zeros at the first step);
                # zero_output_for_mask is not consulted.
                prev = np.zeros_like(out) if prev_out is None else prev_out
                out = np.where(m, out, prev)
            elif zero_output_for_mask:
                out = np.where(m, out, 0.0)
            else:
                # scan loop: previous state[0] (initial_state[0] at first step)
                out = np.where(m, out, states[0])
            new_states = [np.where(m, ns, s) for ns, s in zip(new_states, states)]
        states = new_states
        outputs.append(out)
        prev_out = out
    outs = np.stack(outputs, axis=1)
    return outs[:, -1], outs, states


def _rnn_result(last, outs, states, return_sequences, return_state):
    y = outs if return_sequences else last
    if return_state:
        return (y, *states)
    return y


def _init_states(initial_state, batch, units, n):
    if initial_state is None:
        return [np.zeros((batch, units)) for _ in range(n)]
    if not isinstance(initial_state, (list, tuple)):
        initial_state = [initial_state]
    if len(initial_state) != n:
        raise ValueError(f"expected {n} initial states, got {len(initial_state)}")
    return [_f64(s) for s in initial_state]


def simple_rnn(
    inputs,
    weights,
    activation="tanh",
    use_bias=True,
    return_sequences=False,
    return_state=False,
    go_backwards=False,
    mask=None,
    initial_state=None,
    zero_output_for_mask=False,
    unroll=False,
):
    """keras.layers.SimpleRNN. weights = [kernel (D,U), recurrent_kernel (U,U), bias (U,)]."""
    _check_len(weights, 3 if use_bias else 2, "SimpleRNN")
    x = _f64(inputs)
    K, R = _f64(weights[0]), _f64(weights[1])
    b = _f64(weights[2]) if use_bias else 0.0
    act = activation_fn(activation)
    units = R.shape[0]

    def step(xt, st):
        h = act(xt @ K + b + st[0] @ R)
        return h, [h]

    states = _init_states(initial_state, x.shape[0], units, 1)
    last, outs, states = _rnn_loop(
        step, x, states, mask, go_backwards, zero_output_for_mask, unroll
    )
    return _rnn_result(last, outs, states, return_sequences, return_state)


def lstm(
    inputs,
    weights,
    activation="tanh",
    recurrent_activation="sigmoid",
    use_bias=True,
    return_sequences=False,
    return_state=False,
    go_backwards=False,
    mask=None,
    initial_state=None,
    zero_output_for_mask=False,
    unroll=False,
):
    """keras.layers.LSTM. weights = [kernel (D,4U), recurrent_kernel (U,4U), bias (4U,)],
    gate order i, f, c, o.  initial_state = [h0, c0]; return_state -> (y, h, c)."""
    _check_len(weights, 3 if use_bias else 2, "LSTM")
    x = _f64(inputs)
    K, R = _f64(weights[0]), _f64(weights[1])
    b = _f64(weights[2]) if use_bias else 0.0
    act, ract = activation_fn(activation), activation_fn(recurrent_activation)
    U = R.shape[0]

    def step(xt, st):
        h_tm1, c_tm1 = st
        z = xt @ K + h_tm1 @ R + b
        i = ract(z[:, :U])
        f = ract(z[:, U : 2 * U])
        c = f * c_tm1 + i * act(z[:, 2 * U : 3 * U])
        o = ract(z[:, 3 * U :])
        h = o * act(c)
        return h, [h, c]

    states = _init_states(initial_state, x.shape[0], U, 2)
    last, outs, states = _rnn_loop(
        step, x, states, mask, go_backwards, zero_output_for_mask, unroll
    )
    return _rnn_result(last, outs, states, return_sequences, return_state)


def gru(
    inputs,
    weights,
    activation="tanh",
    recurrent_activation="sigmoid",
    use_bias=True,
    reset_after=True,
    return_sequences=False,
    return_state=False,
    go_backwards=False,
    mask=None,
    initial_state=None,
    zero_output_for_mask=False,
    unroll=False,
):
    """keras.layers.GRU. weights = [kernel (D,3U), recurrent_kernel (U,3U), bias],
    gate order z, r, h; bias (2,3U) if reset_after else (3U,)."""
    _check_len(weights, 3 if use_bias else 2, "GRU")
    x = _f64(inputs)
    K, R = _f64(weights[0]), _f64(weights[1])
    act, ract = activation_fn(activation), activation_fn(recurrent_activation)
    U = R.shape[0]
    if use_bias:
        bias = _f64(weights[2])
        if reset_after:
            if bias.shape != (2, 3 * U):
                raise ValueError(f"GRU(reset_after=True) bias must be (2, {3 * U})")
            b_in, b_rec = bias[0], bias[1]
        else:
            if bias.shape != (3 * U,):
                raise ValueError(f"GRU(reset_after=False) bias must be ({3 * U},)")
            b_in, b_rec = bias, np.zeros(3 * U)
    else:
        b_in = b_rec = np.zeros(3 * U)

    def step(xt, st):
        h_tm1 = st[0]
        mx = xt @ K + b_in
        if reset_after:
            mi = h_tm1 @ R + b_rec
            z = ract(mx[:, :U] + mi[:, :U])
            r = ract(mx[:, U : 2 * U] + mi[:, U : 2 * U])
            hh = act(mx[:, 2 * U :] + r * mi[:, 2 * U :])
        else:
            mi = h_tm1 @ R[:, : 2 * U]
            z = ract(mx[:, :U] + mi[:, :U])
            r = ract(mx[:, U : 2 * U] + mi[:, U:])
            hh = act(mx[:, 2 * U :] + (r * h_tm1) @ R[:, 2 * U :])
        h = z * h_tm1 + (1.0 - z) * hh
        return h, [h]

    states = _init_states(initial_state, x.shape[0], U, 1)
    last, outs, states = _rnn_loop(
        step, x, states, mask, go_backwards, zero_output_for_mask, unroll
    )
    return _rnn_result(last, outs, states, return_sequences, return_state)


RNN_FUNCTIONS = {"simple_rnn": simple_rnn, "lstm": lstm, "gru": gru}
RNN_NUM_STATES = {"simple_rnn": 1, "lstm": 2, "gru": 1}


def rnn_mask(mask, return_sequences=False, return_state=False, num_states=1):
    """RNN.compute_mask: the input mask (un-reversed, even with go_backwards)
    if return_sequences else None; plus None per state when return_state."""
    out = mask if return_sequences else None
    if return_state:
        return [out] + [None] * num_states
    return out


def bidirectional(
    inputs,
    weights,
    layer="lstm",
    merge_mode="concat",
    return_sequences=False,
    return_state=False,
    mask=None,
    initial_state=None,
    **layer_kwargs,
):
    """keras.layers.Bidirectional(<layer>(..., return_sequences, return_state, **layer_kwargs)).

    layer: "simple_rnn" | "lstm" | "gru".  weights = forward weights + backward
    weights.  layer_kwargs: activation, recurrent_activation, use_bias,
    reset_after, unroll (the wrapped layer's config; go_backwards must be False).
    initial_state: flat list, first half forward, second half backward."""
    if layer_kwargs.get("go_backwards"):
        raise ValueError("Bidirectional requires the wrapped layer to have go_backwards=False")
    layer_kwargs.pop("go_backwards", None)
    layer_kwargs.pop("zero_output_for_mask", None)  # forced by Bidirectional
    fn = RNN_FUNCTIONS[layer]
    n = len(weights)
    if n % 2:
        raise ValueError("Bidirectional weights must split evenly forward/backward")
    fw_w, bw_w = weights[: n // 2], weights[n // 2 :]
    fw_s = bw_s = None
    if initial_state is not None:
        half = len(initial_state) // 2
        fw_s, bw_s = list(initial_state[:half]), list(initial_state[half:])
    common = dict(
        return_sequences=return_sequences,
        return_state=True,
        mask=mask,
        zero_output_for_mask=return_sequences,
        **layer_kwargs,
    )
    fw = fn(inputs, fw_w, go_backwards=False, initial_state=fw_s, **common)
    bw = fn(inputs, bw_w, go_backwards=True, initial_state=bw_s, **common)
    y, states_f = fw[0], list(fw[1:])
    y_rev, states_b = bw[0], list(bw[1:])
    if return_sequences:
        y_rev = y_rev[:, ::-1]
    if merge_mode == "concat":
        out = (np.concatenate([y, y_rev], axis=-1),)
    elif merge_mode == "sum":
        out = (y + y_rev,)
    elif merge_mode == "ave":
        out = ((y + y_rev) / 2,)
    elif merge_mode == "mul":
        out = (y * y_rev,)
    elif merge_mode is None:
        out = (y, y_rev)
    else:
        raise ValueError(f"bad merge_mode {merge_mode!r}")
    if return_state:
        return out + tuple(states_f) + tuple(states_b)
    return out[0] if merge_mode is not None else out


# --------------------------------------------------------------------------
# Convolution / pooling
# --------------------------------------------------------------------------


def _same_pads(length, window, stride):
    out = -(-length // stride)
    total = max((out - 1) * stride + window - length, 0)
    return total // 2, total - total // 2


def _to_channels_last(x, data_format):
    return np.swapaxes(x, 1, 2) if data_format == "channels_first" else x


def conv1d(
    inputs,
    weights,
    strides=1,
    padding="valid",
    dilation_rate=1,
    groups=1,
    activation=None,
    use_bias=True,
    data_format="channels_last",
):
    """keras.layers.Conv1D. weights = [kernel (k, Cin//groups, F), bias (F,)]."""
    x = _to_channels_last(_f64(inputs), data_format)
    kernel = _f64(weights[0])
    k, cin_g, F = kernel.shape
    cin = x.shape[-1]
    if cin != cin_g * groups or F % groups:
        raise ValueError("Conv1D: channels/filters not divisible by groups")
    eff = (k - 1) * dilation_rate + 1
    padding = padding.lower()
    if padding == "causal":
        x = np.pad(x, ((0, 0), (eff - 1, 0), (0, 0)))
    elif padding == "same":
        x = np.pad(x, ((0, 0), _same_pads(x.shape[1], eff, strides), (0, 0)))
    elif padding != "valid":
        raise ValueError(padding)
    L = x.shape[1]
    out_len = (L - eff) // strides + 1
    starts = np.arange(out_len) * strides
    taps = starts[:, None] + np.arange(k)[None, :] * dilation_rate  # (out, k)
    patches = x[:, taps, :]  # (B, out, k, Cin)
    fg = F // groups
    outs = []
    for g in range(groups):
        p = patches[..., g * cin_g : (g + 1) * cin_g]
        w = kernel[..., g * fg : (g + 1) * fg]
        outs.append(np.einsum("botc,tcf->bof", p, w))
    y = np.concatenate(outs, axis=-1)
    if use_bias:
        y = y + _f64(weights[1])
    y = activation_fn(activation)(y)
    return _to_channels_last(y, data_format)


def _pool1d(x, pool_size, strides, padding, mode):
    strides = pool_size if strides is None else strides
    L = x.shape[1]
    if padding == "same":
        lo, hi = _same_pads(L, pool_size, strides)
    elif padding == "valid":
        lo = hi = 0
    else:
        raise ValueError(padding)
    fill = -np.inf if mode == "max" else 0.0
    xp = np.pad(x, ((0, 0), (lo, hi), (0, 0)), constant_values=fill)
    valid = np.pad(np.ones(L), (lo, hi))
    out_len = (L + lo + hi - pool_size) // strides + 1
    idx = np.arange(out_len)[:, None] * strides + np.arange(pool_size)[None, :]
    win = xp[:, idx, :]  # (B, out, pool, C)
    if mode == "max":
        return win.max(axis=2)
    if padding == "valid":
        return win.sum(axis=2) / pool_size
    counts = valid[idx].sum(axis=1)  # real elements per window
    return win.sum(axis=2) / counts[None, :, None]


def max_pooling1d(inputs, pool_size=2, strides=None, padding="valid", data_format="channels_last"):
    """keras.layers.MaxPooling1D (strides=None -> pool_size)."""
    x = _to_channels_last(_f64(inputs), data_format)
    return _to_channels_last(_pool1d(x, pool_size, strides, padding.lower(), "max"), data_format)


def average_pooling1d(inputs, pool_size=2, strides=None, padding="valid", data_format="channels_last"):
    """keras.layers.AveragePooling1D; "same" divides by the count of real elements."""
    x = _to_channels_last(_f64(inputs), data_format)
    return _to_channels_last(_pool1d(x, pool_size, strides, padding.lower(), "avg"), data_format)


def global_average_pooling1d(inputs, mask=None, keepdims=False, data_format="channels_last"):
    """keras.layers.GlobalAveragePooling1D; with a (B,T) mask: masked mean over time."""
    x = _to_channels_last(_f64(inputs), data_format)
    if mask is None:
        y = x.mean(axis=1, keepdims=True)
    else:
        m = np.asarray(mask, dtype=bool)[:, :, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(m, x, 0.0).sum(axis=1, keepdims=True) / m.sum(axis=1, keepdims=True)
    y = _to_channels_last(y, data_format)
    return y if keepdims else y.reshape(y.shape[0], -1)


def global_max_pooling1d(inputs, mask=None, keepdims=False, data_format="channels_last"):
    """keras.layers.GlobalMaxPooling1D; the mask is IGNORED (Keras drops it)."""
    del mask
    x = _to_channels_last(_f64(inputs), data_format)
    y = _to_channels_last(x.max(axis=1, keepdims=True), data_format)
    return y if keepdims else y.reshape(y.shape[0], -1)


# --------------------------------------------------------------------------
# Reshaping
# --------------------------------------------------------------------------


def up_sampling1d(inputs, size=2):
    return np.repeat(_f64(inputs), size, axis=1)


def zero_padding1d(inputs, padding=1):
    lr = (padding, padding) if isinstance(padding, int) else tuple(padding)
    return np.pad(_f64(inputs), ((0, 0), lr, (0, 0)))


def cropping1d(inputs, cropping=(1, 1)):
    lr = (cropping, cropping) if isinstance(cropping, int) else tuple(cropping)
    x = _f64(inputs)
    return x[:, lr[0] : x.shape[1] - lr[1]]


def repeat_vector(inputs, n):
    x = _f64(inputs)
    return np.repeat(x[:, None, :], n, axis=1)


def permute(inputs, dims):
    """keras.layers.Permute: dims are 1-based, batch axis excluded."""
    return np.transpose(_f64(inputs), (0,) + tuple(dims))


def time_distributed_dense(inputs, weights, activation=None, use_bias=True):
    """keras.layers.TimeDistributed(Dense(...)): Dense applied at every step."""
    return dense(inputs, weights, activation=activation, use_bias=use_bias)


# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------


def layer_normalization(inputs, weights, axis=-1, epsilon=1e-3, center=True, scale=True):
    """keras.layers.LayerNormalization. weights = [gamma] if scale + [beta] if center."""
    x = _f64(inputs)
    axes = sorted(a % x.ndim for a in ([axis] if isinstance(axis, int) else axis))
    _check_len(weights, int(scale) + int(center), "LayerNormalization")
    bshape = [1] * x.ndim
    for a in axes:
        bshape[a] = x.shape[a]
    mean = x.mean(axis=tuple(axes), keepdims=True)
    var = x.var(axis=tuple(axes), keepdims=True)  # biased (ddof=0)
    y = (x - mean) / np.sqrt(var + epsilon)
    i = 0
    if scale:
        y = y * _f64(weights[i]).reshape(bshape)
        i += 1
    if center:
        y = y + _f64(weights[i]).reshape(bshape)
    return y


# --------------------------------------------------------------------------
# Attention
# --------------------------------------------------------------------------


def causal_mask(t, s):
    """(1, T, S) boolean lower-triangular mask anchored at the top-left (row >= col)."""
    return (np.arange(t)[:, None] >= np.arange(s)[None, :])[None]


def mha_attention_mask(
    t,
    s,
    query_mask=None,
    value_mask=None,
    key_mask=None,
    attention_mask=None,
    use_causal_mask=False,
):
    """MultiHeadAttention._compute_attention_mask -> (B|1, T, S) bool or None."""
    auto = None

    def _and(a, b):
        return b if a is None else a & b

    if query_mask is not None:
        auto = _and(auto, np.asarray(query_mask, bool)[:, :, None])
    if value_mask is not None:
        auto = _and(auto, np.asarray(value_mask, bool)[:, None, :])
    if key_mask is not None:
        auto = _and(auto, np.asarray(key_mask, bool)[:, None, :])
    if use_causal_mask:
        auto = _and(auto, causal_mask(t, s))
    if attention_mask is not None:
        attention_mask = np.asarray(attention_mask).astype(bool)
    if auto is not None:
        attention_mask = auto if attention_mask is None else attention_mask & auto
    return attention_mask


def multi_head_attention(
    query,
    value,
    weights,
    num_heads,
    key_dim,
    value_dim=None,
    use_bias=True,
    output_shape=None,
    key=None,
    query_mask=None,
    value_mask=None,
    key_mask=None,
    attention_mask=None,
    use_causal_mask=False,
    return_attention_scores=False,
    dropout=0.0,
    attention_axes=None,
):
    """keras.layers.MultiHeadAttention on 3-D inputs (attention over the time axis).

    query_mask / value_mask / key_mask are the Keras masks carried by the
    query / value / key tensors (B, T) / (B, S).  ``dropout`` only selects the
    code path (dropout > 0 uses the explicit-softmax path even in inference),
    which matters for fully masked query rows (see module docstring)."""
    q_in, v_in = _f64(query), _f64(value)
    k_in = v_in if key is None else _f64(key)
    if q_in.ndim != 3:
        raise NotImplementedError("only (batch, time, features) inputs are modelled")
    if attention_axes is not None:
        axes = (attention_axes,) if isinstance(attention_axes, int) else tuple(attention_axes)
        # Keras normalises negative axes against the projected rank (4): -2 -> 1
        if tuple(a if a >= 0 else 3 + a for a in axes) != (1,):
            raise NotImplementedError("for 3-D inputs only attention_axes=(1,) is meaningful")
    value_dim = value_dim or key_dim
    _check_len(weights, 8 if use_bias else 4, "MultiHeadAttention")
    w = [_f64(a) for a in weights]
    if use_bias:
        wq, bq, wk, bk, wv, bv, wo, bo = w
    else:
        wq, wk, wv, wo = w
        bq = bk = bv = bo = 0.0
    assert wq.shape[1:] == (num_heads, key_dim) and wv.shape[1:] == (num_heads, value_dim)
    q = np.einsum("bte,enh->btnh", q_in, wq) + bq
    k = np.einsum("bse,enh->bsnh", k_in, wk) + bk
    v = np.einsum("bse,enh->bsnh", v_in, wv) + bv
    T, S = q.shape[1], k.shape[1]
    # (causal-only masking goes through is_causal=True in the fast path, which
    # is the same top-left tril mask.)
    mask = mha_attention_mask(
        T, S, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
    )
    logits = np.einsum("btnh,bsnh->bnts", q * (1.0 / math.sqrt(key_dim)), k)
    explicit = return_attention_scores or dropout > 0.0
    if mask is not None:
        m = mask[:, None, :, :] if mask.ndim == 3 else mask
        m = np.broadcast_to(m, logits.shape)
        if explicit:
            # keras.layers.Softmax(mask): -1e9 fill, softmax, then zero masked probs
            probs = np.where(m, _softmax(np.where(m, logits, -1e9)), 0.0)
        else:
            # jax.nn.dot_product_attention: huge negative fill -> fully masked
            # rows become uniform.
            probs = _softmax(np.where(m, logits, -1e300))
            full = ~m.any(axis=-1, keepdims=True)
            probs = np.where(full, 1.0 / S, probs)
    else:
        probs = _softmax(logits)
    ctx = np.einsum("bnts,bsnh->btnh", probs, v)
    out = np.tensordot(ctx, wo, axes=([2, 3], [0, 1])) + bo
    if return_attention_scores:
        return out, probs
    return out


def attention(
    query,
    value,
    weights=(),
    key=None,
    use_scale=False,
    score_mode="dot",
    query_mask=None,
    value_mask=None,
    use_causal_mask=False,
    return_attention_scores=False,
):
    """keras.layers.Attention()([query, value(, key)], mask=[query_mask, value_mask]).

    weights = [scale] if use_scale, then [concat_score_weight] if score_mode == "concat"."""
    q, v = _f64(query), _f64(value)
    k = v if key is None else _f64(key)
    _check_len(weights, int(use_scale) + int(score_mode == "concat"), "Attention")
    w = list(weights)
    scale = float(np.asarray(w.pop(0))) if use_scale else None
    if score_mode == "dot":
        scores = q @ np.swapaxes(k, -1, -2)
        if scale is not None:
            scores = scores * scale
    elif score_mode == "concat":
        csw = float(np.asarray(w.pop(0)))
        s = q[:, :, None, :] + k[:, None, :, :]
        if scale is not None:
            s = scale * s
        scores = csw * np.tanh(s).sum(-1)
    else:
        raise ValueError(score_mode)
    smask = None
    if value_mask is not None:
        smask = np.asarray(value_mask, bool)[:, None, :]
    if use_causal_mask:
        cm = causal_mask(scores.shape[-2], scores.shape[-1])
        smask = cm if smask is None else smask & cm
    if smask is not None:
        # Keras computes `scores - 1e9` in float32, where the spacing near 1e9
        # is 64: masked scores collapse to ~-1e9, so a FULLY masked row becomes
        # (near-)uniform instead of the exact-arithmetic unmasked softmax.
        shifted = (scores - 1e9).astype(np.float32).astype(np.float64)
        scores = np.where(smask, scores, shifted)
    weights_ = _softmax(scores)
    out = weights_ @ v
    if query_mask is not None:
        out = np.where(np.asarray(query_mask, bool)[:, :, None], out, 0.0)
    if return_attention_scores:
        return out, weights_
    return out


# --------------------------------------------------------------------------
# keras-io "Text classification with Transformer" building blocks
# --------------------------------------------------------------------------


def transformer_block(inputs, weights, num_heads, epsilon=1e-6):
    """keras-io TransformerBlock(embed_dim, num_heads, ff_dim, rate) in inference mode.

    weights (16) = MHA (8, key_dim = embed_dim) + dense1 (2) + dense2 (2) +
    layernorm1 (gamma, beta) + layernorm2 (gamma, beta)."""
    _check_len(weights, 16, "TransformerBlock")
    x = _f64(inputs)
    embed_dim = x.shape[-1]
    mha_w, d1, d2 = weights[:8], weights[8:10], weights[10:12]
    ln1, ln2 = weights[12:14], weights[14:16]
    a = multi_head_attention(x, x, mha_w, num_heads=num_heads, key_dim=embed_dim)
    out1 = layer_normalization(x + a, ln1, epsilon=epsilon)
    f = dense(dense(out1, d1, activation="relu"), d2)
    return layer_normalization(out1 + f, ln2, epsilon=epsilon)


def token_and_position_embedding(inputs, weights):
    """keras-io TokenAndPositionEmbedding: token_emb[x] + pos_emb[arange(T)].

    weights = [token_embeddings (vocab, E), position_embeddings (maxlen, E)]."""
    T = np.asarray(inputs).shape[-1]
    if T > np.asarray(weights[1]).shape[0]:
        raise ValueError("sequence longer than maxlen")
    return embedding(inputs, weights[:1]) + embedding(np.arange(T), weights[1:])
