"""Independent NumPy implementations of Keras 3 semantics, to check the engine against."""

import numpy as np
from scipy.special import erf

EPS = 1e-7
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "softmax": softmax,
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    "gelu": lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2))),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "softplus": lambda x: np.logaddexp(0, x),
    "swish": lambda x: x * sigmoid(x),
    "silu": lambda x: x * sigmoid(x),
    "relu6": lambda x: np.clip(x, 0, 6),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "hard_sigmoid": lambda x: np.clip((x + 3) / 6, 0, 1),
    "exponential": np.exp,
}


def dense(x, kernel, bias, activation):
    return ACTIVATIONS[activation or "linear"](x.astype(np.float64) @ kernel + bias)


def mlp_forward(x, weights, activations):
    h = x.reshape(len(x), -1).astype(np.float64)
    for (kernel, bias), activation in zip(weights, activations):
        h = dense(h, kernel, bias, activation)
    return h


def loss(name, y_true, y_pred, from_logits=False):
    y_pred = y_pred.astype(np.float64)
    if name == "mse":
        return np.mean((y_pred - y_true.reshape(y_pred.shape)) ** 2)
    if name == "mae":
        return np.mean(np.abs(y_pred - y_true.reshape(y_pred.shape)))
    if name == "sparse_categorical_crossentropy":
        p = softmax(y_pred) if from_logits else y_pred / y_pred.sum(-1, keepdims=True)
        p = np.clip(p, EPS, 1 - EPS)
        return -np.mean(np.log(p[np.arange(len(p)), y_true.astype(int).ravel()]))
    if name == "categorical_crossentropy":
        p = softmax(y_pred) if from_logits else y_pred / y_pred.sum(-1, keepdims=True)
        return -np.mean(np.sum(y_true * np.log(np.clip(p, EPS, 1 - EPS)), axis=-1))
    if name == "binary_crossentropy":
        p = sigmoid(y_pred) if from_logits else y_pred
        p = np.clip(p, EPS, 1 - EPS)
        t = y_true.reshape(p.shape)
        return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    raise KeyError(name)


def sgd_step(weights, grads, lr=0.01, momentum=0.0, nesterov=False, velocity=None):
    out, velocity = [], velocity or [np.zeros_like(w) for w in weights]
    for w, g, v in zip(weights, grads, velocity):
        if momentum:
            v[:] = momentum * v - lr * g
            out.append(w + (momentum * v - lr * g if nesterov else v))
        else:
            out.append(w - lr * g)
    return out


def adam_step(weights, grads, step, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, m=None, v=None):
    """Keras 3's Adam: bias corrections folded into the step size."""
    m = m or [np.zeros_like(w) for w in weights]
    v = v or [np.zeros_like(w) for w in weights]
    alpha = lr * np.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
    out = []
    for w, g, mi, vi in zip(weights, grads, m, v):
        mi += (g - mi) * (1 - beta_1)
        vi += (g * g - vi) * (1 - beta_2)
        out.append(w - alpha * mi / (np.sqrt(vi) + epsilon))
    return out


def mlp_gradients_softmax_ce(x, labels, weights, hidden_activation="relu"):
    """Backpropagation by hand for Dense(hidden) -> Dense(softmax) with sparse cross-entropy."""
    (k1, b1), (k2, b2) = weights
    x = x.reshape(len(x), -1).astype(np.float64)
    pre = x @ k1 + b1
    assert hidden_activation in ("relu", "tanh")
    h = np.maximum(pre, 0) if hidden_activation == "relu" else np.tanh(pre)
    p = softmax(h @ k2 + b2)
    n = len(x)
    d_logits = p.copy()
    d_logits[np.arange(n), labels] -= 1
    d_logits /= n
    g_k2 = h.T @ d_logits
    g_b2 = d_logits.sum(0)
    d_h = d_logits @ k2.T
    d_pre = d_h * (pre > 0) if hidden_activation == "relu" else d_h * (1 - h * h)
    return [x.T @ d_pre, d_pre.sum(0), g_k2, g_b2]


# ---- images (channels-last) ---------------------------------------------------------------------

def same_padding(size, kernel, stride, dilation=1):
    """TensorFlow's "same": output ceil(size / stride), padding split with the extra one after."""
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return out, total // 2, total - total // 2


def conv2d(x, kernel, strides=(1, 1), padding="valid", dilation=(1, 1), groups=1, bias=None):
    n, h, w, c = x.shape
    kh, kw, cg, filters = kernel.shape
    if padding == "same":
        oh, top, bottom = same_padding(h, kh, strides[0], dilation[0])
        ow, left, right = same_padding(w, kw, strides[1], dilation[1])
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    else:
        oh = (h - (kh - 1) * dilation[0] - 1) // strides[0] + 1
        ow = (w - (kw - 1) * dilation[1] - 1) // strides[1] + 1
    out = np.zeros((n, oh, ow, filters))
    fg = filters // groups
    for g in range(groups):
        xs = x[..., g * cg:(g + 1) * cg].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, i * dilation[0]: i * dilation[0] + (oh - 1) * strides[0] + 1: strides[0],
                           j * dilation[1]: j * dilation[1] + (ow - 1) * strides[1] + 1: strides[1], :]
                out[..., g * fg:(g + 1) * fg] += patch @ kernel[i, j, :, g * fg:(g + 1) * fg]
    return out if bias is None else out + bias


def conv2d_transpose(x, kernel, strides, padding):
    """Scatter form: every input pixel adds kernel · value into the output window it maps to."""
    n, h, w, c = x.shape
    kh, kw, filters, _ = kernel.shape
    sh, sw = strides
    full_h, full_w = (h - 1) * sh + kh, (w - 1) * sw + kw
    full = np.zeros((n, full_h, full_w, filters))
    for i in range(h):
        for j in range(w):
            full[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :] += np.einsum("nc,abfc->nabf", x[:, i, j, :], kernel)
    if padding == "valid":
        out_h, out_w = h * sh + max(kh - sh, 0), w * sw + max(kw - sw, 0)
        result = np.zeros((n, out_h, out_w, filters))
        result[:, :min(out_h, full_h), :min(out_w, full_w)] = full[:, :out_h, :out_w]
        return result
    out_h, out_w = h * sh, w * sw
    top, left = max(kh - sh, 0) // 2, max(kw - sw, 0) // 2
    return full[:, top:top + out_h, left:left + out_w]


def depthwise_conv2d(x, kernel, strides=(1, 1), padding="valid"):
    n, h, w, c = x.shape
    kh, kw, _, m = kernel.shape
    outs = [conv2d(x[..., ch:ch + 1], kernel[:, :, ch:ch + 1, :], strides, padding) for ch in range(c)]
    return np.concatenate(outs, axis=-1)


def pool2d(x, size, strides, padding, op):
    n, h, w, c = x.shape
    if padding == "same":
        oh, top, _ = same_padding(h, size[0], strides[0])
        ow, left, _ = same_padding(w, size[1], strides[1])
    else:
        oh, ow, top, left = (h - size[0]) // strides[0] + 1, (w - size[1]) // strides[1] + 1, 0, 0
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * strides[0] - top, j * strides[1] - left
            window = x[:, max(r0, 0):min(r0 + size[0], h), max(c0, 0):min(c0 + size[1], w), :]
            out[:, i, j, :] = window.max(axis=(1, 2)) if op == "max" else window.mean(axis=(1, 2))
    return out


def resize_bilinear_half_pixel(x, out_h, out_w):
    n, h, w, c = x.shape
    def coords(out, size):
        src = (np.arange(out) + 0.5) * size / out - 0.5
        src = np.clip(src, 0, size - 1)
        low = np.floor(src).astype(int)
        high = np.minimum(low + 1, size - 1)
        return low, high, src - low
    y0, y1, wy = coords(out_h, h)
    x0, x1, wx = coords(out_w, w)
    top = x[:, y0][:, :, x0] * (1 - wx)[None, None, :, None] + x[:, y0][:, :, x1] * wx[None, None, :, None]
    bottom = x[:, y1][:, :, x0] * (1 - wx)[None, None, :, None] + x[:, y1][:, :, x1] * wx[None, None, :, None]
    return top * (1 - wy)[None, :, None, None] + bottom * wy[None, :, None, None]
