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
