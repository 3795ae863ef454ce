"""Symbolic tensors: what `Input(...)`, layers and ops return when called on symbolic values. Each
knows its shape (None for dimensions fixed by the data), its dtype and the call that made it, so
that a model is the graph of calls between its inputs and outputs."""

from . import _dtypes


class SymbolicValueError(TypeError):
    """A symbolic tensor used where a value is needed (Python control flow, NumPy, `float()`)."""


class KerasTensor:
    """A placeholder with a shape (batch axis usually `None`), a dtype and its producing node."""

    # NumPy arrays defer to a symbolic tensor's operators (`array + tensor` is an op on the tensor).
    __array_ufunc__ = None

    def __init__(self, shape, dtype="float32", node=None, index=0, name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = _dtypes.standardize_dtype(dtype)
        self._node = node
        self._index = index
        self.name = name or (getattr(node, "name", None) if node is not None else None) or "keras_tensor"
        self._keras_mask = None

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    # -- values it does not have --------------------------------------------------------------

    def _no_value(self, what):
        return SymbolicValueError(
            f"A symbolic KerasTensor cannot be used {what}: it has no value while a model is being defined or "
            f"a layer's `call` is traced, only a shape ({self.shape}) and a dtype. Use `swiftnet.ops` (e.g. "
            "`ops.where`, `ops.cond`-free arithmetic) so that the computation becomes part of the graph, or call "
            "the model on data.")

    def __bool__(self):
        raise self._no_value("as a Python boolean (in `if`, `and`, `or`, `not`)")

    def __array__(self, *args, **kwargs):
        raise self._no_value("as a NumPy array")

    def numpy(self):
        raise self._no_value("through `.numpy()`")

    def __float__(self):
        raise self._no_value("as a Python float")

    def __int__(self):
        raise self._no_value("as a Python int")

    def __index__(self):
        raise self._no_value("as an index")

    def __len__(self):
        if self.shape and self.shape[0] is not None:
            return self.shape[0]
        raise TypeError(f"len() of a symbolic tensor whose first dimension is unknown: shape={self.shape}")

    def __iter__(self):
        raise self._no_value("in a Python loop")

    def __hash__(self):
        return id(self)

    # -- operators become ops ------------------------------------------------------------------

    def _op(self, name, *args):
        from . import ops
        return getattr(ops, name)(*args)

    def __add__(self, other): return self._op("add", self, other)
    def __radd__(self, other): return self._op("add", other, self)
    def __sub__(self, other): return self._op("subtract", self, other)
    def __rsub__(self, other): return self._op("subtract", other, self)
    def __mul__(self, other): return self._op("multiply", self, other)
    def __rmul__(self, other): return self._op("multiply", other, self)
    def __truediv__(self, other): return self._op("divide", self, other)
    def __rtruediv__(self, other): return self._op("divide", other, self)
    def __floordiv__(self, other): return self._op("floor_divide", self, other)
    def __rfloordiv__(self, other): return self._op("floor_divide", other, self)
    def __mod__(self, other): return self._op("mod", self, other)
    def __rmod__(self, other): return self._op("mod", other, self)
    def __pow__(self, other): return self._op("power", self, other)
    def __rpow__(self, other): return self._op("power", other, self)
    def __matmul__(self, other): return self._op("matmul", self, other)
    def __rmatmul__(self, other): return self._op("matmul", other, self)
    def __neg__(self): return self._op("negative", self)
    def __pos__(self): return self
    def __abs__(self): return self._op("abs", self)
    def __invert__(self): return self._op("logical_not", self)
    def __and__(self, other): return self._op("logical_and", self, other)
    def __rand__(self, other): return self._op("logical_and", other, self)
    def __or__(self, other): return self._op("logical_or", self, other)
    def __ror__(self, other): return self._op("logical_or", other, self)
    def __xor__(self, other): return self._op("logical_xor", self, other)
    def __lt__(self, other): return self._op("less", self, other)
    def __le__(self, other): return self._op("less_equal", self, other)
    def __gt__(self, other): return self._op("greater", self, other)
    def __ge__(self, other): return self._op("greater_equal", self, other)
    def __eq__(self, other): return self._op("equal", self, other)
    def __ne__(self, other): return self._op("not_equal", self, other)

    def __getitem__(self, key):
        from .ops import _indexing
        return _indexing.getitem(self, key)

    @property
    def T(self):
        return self._op("transpose", self)

    def astype(self, dtype):
        return self._op("cast", self, dtype)

    def reshape(self, *shape):
        return self._op("reshape", self, shape[0] if len(shape) == 1 else shape)


def is_symbolic(value):
    return isinstance(value, KerasTensor)
