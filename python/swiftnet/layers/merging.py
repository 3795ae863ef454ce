"""Merge layers (`Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`, `Concatenate`,
`Dot`): layers whose `call` is a few `swiftnet.ops`, so they become ops of the model's graph."""

from functools import reduce

from .. import ops
from .layer import Layer


class _Merge(Layer):
    supports_masking = True

    def _check_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"A merge layer should be called on a list of at least 2 inputs. "
                             f"Got {len(inputs) if isinstance(inputs, (list, tuple)) else 1} inputs.")

    def build(self, input_shape):
        self._check_inputs(input_shape)
        shapes = [tuple(s) for s in input_shape]
        batch = {s[0] for s in shapes if s and s[0] is not None}
        if len(batch) > 1:
            raise ValueError(f"Cannot merge tensors with different batch sizes. Received tensors with shapes {shapes}")
        self._check_shapes(shapes)
        self.built = True

    def _check_shapes(self, shapes):
        # Element-wise merges broadcast like NumPy, and like Keras reject other shape mismatches.
        ranks = {len(s) for s in shapes}
        for dims in zip(*[s[1:] for s in shapes]) if len(ranks) == 1 else []:
            known = {d for d in dims if d is not None and d != 1}
            if len(known) > 1:
                raise ValueError(f"Inputs have incompatible shapes. Received shapes {shapes}")

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        masks = [m for m in mask if m is not None]
        return reduce(ops.logical_and, masks)


class Add(_Merge):
    """Element-wise sum of the inputs."""

    def call(self, inputs):
        return reduce(ops.add, inputs)


class Subtract(_Merge):
    """inputs[0] − inputs[1]."""

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Received: input_shape={input_shape}")
        super().build(input_shape)

    def call(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


class Multiply(_Merge):
    """Element-wise product of the inputs."""

    def call(self, inputs):
        return reduce(ops.multiply, inputs)


class Average(_Merge):
    """Element-wise mean of the inputs."""

    def call(self, inputs):
        return ops.divide(reduce(ops.add, inputs), float(len(inputs)))


class Maximum(_Merge):
    def call(self, inputs):
        return reduce(ops.maximum, inputs)


class Minimum(_Merge):
    def call(self, inputs):
        return reduce(ops.minimum, inputs)


class Concatenate(_Merge):
    """Joins the inputs along `axis` (-1 by default); other axes must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check_shapes(self, shapes):
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise ValueError("A `Concatenate` layer should be called on a list of inputs with matching ranks. "
                             f"Received: input_shape={shapes}")
        rank = ranks.pop()
        axis = self.axis % rank
        for i in range(rank):
            if i == axis:
                continue
            known = {s[i] for s in shapes if s[i] is not None}
            if len(known) > 1:
                raise ValueError("A `Concatenate` layer requires inputs with matching shapes except for the "
                                 f"concatenation axis. Received: input_shape={shapes}")

    def call(self, inputs):
        return ops.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        return None if self.axis not in (-1, len(ops.shape(inputs[0])) - 1) else \
            reduce(ops.logical_and, [m for m in mask if m is not None])

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Dot products of samples over `axes` (an int or a pair), optionally of L2-normalised inputs."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes = axes if isinstance(axes, (list, tuple)) else (axes, axes)
        self.axes = tuple(int(a) for a in self.axes)
        self.normalize = bool(normalize)

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"A `Dot` layer should be called on exactly 2 inputs. Received: input_shape={input_shape}")
        a, b = [tuple(s) for s in input_shape]
        ax, bx = self.axes[0] % len(a), self.axes[1] % len(b)
        if a[ax] is not None and b[bx] is not None and a[ax] != b[bx]:
            raise ValueError(f"Incompatible input shapes: axis values {a[ax]} (at axis {ax}) != {b[bx]} (at axis {bx}). "
                             f"Full input shapes: {a}, {b}")
        self.built = True

    def call(self, inputs):
        x, y = inputs
        ax, bx = self.axes[0] % len(ops.shape(x)), self.axes[1] % len(ops.shape(y))
        if self.normalize:
            x, y = ops.normalize(x, axis=ax), ops.normalize(y, axis=bx)
        letters = "bcdefghijklmnopqrstuvwxyz"
        rx, ry = len(ops.shape(x)), len(ops.shape(y))
        left = ["a"] + list(letters[:rx - 1])
        right = ["a"] + list(letters[rx - 1:rx - 1 + ry - 1])
        right[bx] = left[ax]
        out = [c for i, c in enumerate(left) if i != ax] + [c for i, c in enumerate(right) if i not in (0, bx)]
        result = ops.einsum(f"{''.join(left)},{''.join(right)}->{''.join(out)}", x, y)
        return ops.expand_dims(result, -1) if len(out) == 1 else result

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    return Dot(axes=axes, **kwargs)(inputs)
