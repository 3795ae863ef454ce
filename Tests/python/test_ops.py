"""Every eager op of `swiftnet.ops` (and `swiftnet.random`) against an independent reference.

References are NumPy re-implementations computed in float64 (rounded to float32 for comparison),
and Keras 3 itself (JAX backend) where NumPy has no direct equivalent or where the rule being
checked is Keras's own (dtype promotion, activations). Keras is optional: those tests skip cleanly
when Keras or JAX is not installed. Dtype expectations written out in the tables below were
verified against Keras 3.15 (64-bit integers as Keras keeps them when the backend allows int64).

Gradients are checked through training: one SGD step on the weight of a custom layer written with
`ops` must move it by -learning_rate x the finite-difference gradient of the loss, computed in
NumPy.

Known bugs are marked `xfail(strict=True)` with a precise reason, so the file passes today and
flags each fix (an unexpected pass fails the run until the mark is removed)."""

import inspect
import math
import os

import numpy as np
import pytest

import swiftnet
from swiftnet import layers, ops
from swiftnet.ops._indexing import getitem

RTOL, ATOL = 1e-5, 1e-6


def bug(reason):
    """A known swiftnet bug: the test must fail until it is fixed."""
    return pytest.mark.xfail(strict=True, reason=reason)


def check(got, expected, dtype=None, rtol=RTOL, atol=ATOL):
    """`got` is an eager result: a NumPy array with `expected`'s shape (and `dtype` when given)
    whose values are close to `expected` (NaN where it is NaN, exact for bool results)."""
    assert isinstance(got, np.ndarray), f"eager ops return NumPy arrays, got {type(got).__name__}"
    expected = np.asarray(expected)
    assert got.shape == expected.shape, f"shape {got.shape} != expected {expected.shape}"
    if dtype is not None:
        assert got.dtype == np.dtype(dtype), f"dtype {got.dtype} != expected {np.dtype(dtype)}"
    if got.dtype == np.bool_ or expected.dtype == np.bool_ or (got.dtype.kind in "iu" and expected.dtype.kind in "iu"):
        np.testing.assert_array_equal(got, expected)  # exact (int64 beyond 2**53 too)
    else:
        np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), rtol=rtol, atol=atol,
                                   equal_nan=True)


def f64(x):
    return np.asarray(x, dtype=np.float64)


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _logsumexp(z, axis=None, keepdims=False):
    z = f64(z)
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@pytest.fixture(scope="module")
def keras_ops():
    """keras.ops on the JAX backend; skips when Keras or JAX is not installed."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import jax  # noqa: F401
        import keras
    except ImportError as error:
        pytest.skip(f"the Keras references need keras and jax: {error}")
    if keras.backend.backend() != "jax":
        pytest.skip(f"the Keras references are taken on the JAX backend, not {keras.backend.backend()}")
    return keras.ops


def keras_value(keras_ops, fn_name, *args, **kwargs):
    result = getattr(keras_ops, fn_name)(*args, **kwargs)
    if isinstance(result, (list, tuple)):
        return [np.asarray(keras_ops.convert_to_numpy(r)) for r in result]
    return np.asarray(keras_ops.convert_to_numpy(result))


# ================================================================================================
# Element-wise unary ops
# ================================================================================================

UNARY = {
    "negative": np.negative, "abs": np.abs, "absolute": np.abs, "square": np.square, "sqrt": np.sqrt,
    "rsqrt": lambda x: 1.0 / np.sqrt(x), "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p,
    "log2": np.log2, "log10": np.log10, "sign": np.sign, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "arcsinh": np.arcsinh, "arctanh": np.arctanh, "reciprocal": np.reciprocal, "floor": np.floor,
    "ceil": np.ceil, "erf": _erf, "tanh": np.tanh, "round": np.round,  # round: half to even, as Keras
}
PREDICATES = {"isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite, "logical_not": np.logical_not}

SPECIAL_VALUES = np.array([-np.inf, -1e30, -100, -20, -3, -1, -0.5, -1e-3, -1e-7, -1e-30, -0.0, 0.0, 1e-30, 1e-7,
                           1e-3, 0.5, 1, 2.5, 3, 20, 88, 89, 100, 1e30, np.inf], dtype=np.float32)
FLT_MIN = float(np.finfo(np.float32).tiny)  # results below it may be flushed to zero


def _unary_domain(name, rng):
    if name in ("sqrt", "rsqrt", "log", "log2", "log10", "log1p"):
        return rng.uniform(0.01, 50, 64).astype(np.float32)
    if name in ("arcsin", "arccos", "arctanh"):
        return rng.uniform(-0.99, 0.99, 64).astype(np.float32)
    return rng.uniform(-6, 6, 64).astype(np.float32)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_float32_matches_numpy_including_special_values(name, rng):
    x = np.concatenate([SPECIAL_VALUES, _unary_domain(name, rng)])
    with np.errstate(all="ignore"):
        expected = UNARY[name](f64(x)).astype(np.float32)  # overflow to inf as float32 does
    check(getattr(ops, name)(x), expected, "float32", rtol=1e-5, atol=FLT_MIN)


@pytest.mark.parametrize("name", sorted(PREDICATES))
def test_predicates_return_bool(name):
    x = np.append(SPECIAL_VALUES, np.nan).reshape(2, 13)
    check(getattr(ops, name)(x), PREDICATES[name](x), "bool")


_NAN_CASES = {**{n: (lambda n: lambda x: getattr(ops, n)(x))(n) for n in sorted(UNARY)},
              "relu": lambda x: ops.relu(x), "relu6": lambda x: ops.relu6(x),
              "sigmoid": lambda x: ops.sigmoid(x), "exponential": lambda x: ops.exponential(x),
              "hard_sigmoid": lambda x: ops.hard_sigmoid(x), "softplus": lambda x: ops.softplus(x),
              "gelu": lambda x: ops.gelu(x), "elu": lambda x: ops.elu(x), "selu": lambda x: ops.selu(x),
              "silu": lambda x: ops.silu(x), "log_sigmoid": lambda x: ops.log_sigmoid(x),
              "leaky_relu": lambda x: ops.leaky_relu(x), "softsign": lambda x: ops.softsign(x),
              "clip": lambda x: ops.clip(x, -1, 1), "maximum": lambda x: ops.maximum(x, 0.0),
              "add": lambda x: ops.add(x, 1.0), "power": lambda x: ops.power(x, 2.0),
              "softmax": lambda x: ops.softmax(x)[:1], "log_softmax": lambda x: ops.log_softmax(x)[1:],
              "logsumexp": lambda x: ops.logsumexp(x, keepdims=True), "sum": lambda x: ops.sum(x, keepdims=True),
              "max": lambda x: ops.max(x, keepdims=True), "mean": lambda x: ops.mean(x, keepdims=True),
              "std": lambda x: ops.std(x, keepdims=True), "prod": lambda x: ops.prod(x, keepdims=True)}


@pytest.mark.parametrize("name", list(_NAN_CASES))
def test_nan_propagates(name):
    """NaN in, NaN out (NumPy and Keras): a NaN must not turn into a finite value."""
    got = _NAN_CASES[name](np.float32([np.nan, 1, 2]))
    assert np.isnan(got.ravel()[0]), f"got {got}"


# keras.ops on int32: integer results for these, floats for all other math (floor and ceil too).
_INT_KEEPING = {"negative", "abs", "absolute", "square", "sign", "round"}


@pytest.mark.parametrize("name", sorted(UNARY) + sorted(PREDICATES))
def test_unary_on_int32_follows_keras_dtypes(name):
    x = np.array([[-7, -1, 0], [1, 2, 9]], dtype=np.int32)
    got = getattr(ops, name)(x)
    if name in PREDICATES:
        check(got, PREDICATES[name](x), "bool")
        return
    with np.errstate(all="ignore"):
        expected = UNARY[name](f64(x))
    check(got, expected, "int32" if name in _INT_KEEPING else "float32", atol=1e-6)


# keras.ops on bool (ops Keras refuses for bool -- negative, sign, rsqrt, erf, round -- are left out).
_BOOL_UNARY_DTYPES = {"abs": "bool", "absolute": "bool", "square": "int32", **{n: "bool" for n in PREDICATES}}


@pytest.mark.parametrize("name", [n for n in sorted(set(UNARY) | set(PREDICATES))
                                  if n not in ("negative", "sign", "rsqrt", "erf", "round")])
def test_unary_on_bool_follows_keras_dtypes(name):
    x = np.array([True, False, True])
    ref = UNARY.get(name) or PREDICATES[name]
    with np.errstate(all="ignore"):
        expected = ref(f64(x)) if name in UNARY else ref(x)
    check(getattr(ops, name)(x), expected, _BOOL_UNARY_DTYPES.get(name, "float32"))


# ================================================================================================
# Element-wise binary ops, broadcasting and dtype promotion
# ================================================================================================

ARITHMETIC = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
    "true_divide": np.divide, "floor_divide": np.floor_divide, "mod": np.mod, "power": np.power,
    "maximum": np.maximum, "minimum": np.minimum, "arctan2": np.arctan2,
}
COMPARISONS = {
    "equal": np.equal, "not_equal": np.not_equal, "less": np.less, "less_equal": np.less_equal,
    "greater": np.greater, "greater_equal": np.greater_equal,
}
LOGICAL = {"logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor}

BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 1, 4), (3, 1)), ((), (3,)),
                    ((5,), ()), ((1,), (2, 3)), ((0, 3), (1, 3))]


def _quarter_grid(rng, shape, nonzero=False):
    """Multiples of 1/4 (exact in float32): quotients that are integers come out exact, so that
    floor_divide and mod have no rounding ambiguity."""
    values = rng.integers(-12, 13, size=shape).astype(np.float32) / 4
    if nonzero:
        values = np.where(values == 0, np.float32(0.5), values).astype(np.float32)
    return np.asarray(values, dtype=np.float32)


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", sorted(ARITHMETIC))
def test_arithmetic_broadcasts_like_numpy(name, shapes, rng):
    a = _quarter_grid(rng, shapes[0])
    b = _quarter_grid(rng, shapes[1], nonzero=name in ("divide", "true_divide", "floor_divide", "mod"))
    with np.errstate(all="ignore"):
        expected = ARITHMETIC[name](f64(a), f64(b)).astype(np.float32)
    check(getattr(ops, name)(a, b), expected, "float32", atol=1e-6)


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", sorted(COMPARISONS) + sorted(LOGICAL))
def test_comparisons_and_logical_ops_broadcast_and_return_bool(name, shapes, rng):
    a = np.round(_quarter_grid(rng, shapes[0]) / 2)  # many ties and zeros
    b = np.round(_quarter_grid(rng, shapes[1]) / 2)
    ref = {**COMPARISONS, **LOGICAL}[name]
    check(getattr(ops, name)(a, b), ref(a, b), "bool")


def test_integer_floor_divide_and_mod_round_towards_minus_infinity():
    a, b = np.meshgrid(np.int32([-7, -2, -1, 0, 1, 2, 7]), np.int32([-7, -2, -1, 1, 2, 7]), indexing="ij")
    check(ops.floor_divide(a, b), np.floor_divide(a, b), "int32")
    check(ops.mod(a, b), np.mod(a, b), "int32")
    check(ops.mod(np.float32([7, -7, 7, -7.5]), np.float32([2, 2, -2, -2])), [1, 1, -1, -1.5], "float32")


def test_division_by_zero_gives_ieee_results():
    check(ops.divide(np.float32([1, -1, 0]), np.float32(0)), [np.inf, -np.inf, np.nan], "float32")
    check(ops.divide(np.int32([7, -7]), 0), [np.inf, -np.inf], "float32")


def test_nan_propagates_through_maximum_and_minimum():
    a, b = np.float32([1, np.nan, 3]), np.float32([np.nan, 2, 2])
    check(ops.maximum(a, b), np.maximum(a, b), "float32")
    check(ops.minimum(a, b), np.minimum(a, b), "float32")


_OPERANDS = {
    "f32": lambda: np.float32([[1.5, -2.0, 0.25], [3.0, -0.5, 2.0]]),
    "i32": lambda: np.int32([3, 1, 2]),
    "i64": lambda: np.int64([3, 1, 2]),
    "bool": lambda: np.array([True, False, True]),
    "pyint": lambda: 2,
    "pyfloat": lambda: 1.5,
    "pybool": lambda: True,
    "list_int": lambda: [1, 2, 3],
    "list_float": lambda: [1.5, 2.0, 3.0],
}

# (op, x1, x2, dtype Keras gives)
PROMOTION = [
    ("add", "f32", "f32", "float32"), ("add", "i32", "f32", "float32"), ("add", "f32", "i32", "float32"),
    ("add", "i32", "i32", "int32"), ("add", "i32", "i64", "int64"), ("add", "i64", "i64", "int64"),
    ("add", "bool", "i32", "int32"), ("add", "bool", "f32", "float32"), ("add", "i32", "pyint", "int32"),
    ("add", "pyint", "i32", "int32"), ("add", "i32", "pyfloat", "float32"), ("add", "pyfloat", "i32", "float32"),
    ("add", "f32", "pyint", "float32"), ("add", "bool", "pyint", "int32"), ("add", "bool", "pyfloat", "float32"),
    ("add", "i64", "pyint", "int64"), ("add", "i32", "pybool", "int32"), ("add", "f32", "pybool", "float32"),
    ("add", "pyint", "pyint", "int32"), ("add", "pyint", "pyfloat", "float32"),
    ("add", "pyfloat", "pyfloat", "float32"), ("add", "list_float", "pyint", "float32"),
    ("add", "list_int", "list_int", "int32"), ("add", "bool", "bool", "bool"), ("multiply", "bool", "bool", "bool"),
    ("maximum", "bool", "bool", "bool"), ("minimum", "bool", "bool", "bool"),
    ("subtract", "i32", "pyfloat", "float32"), ("multiply", "bool", "i32", "int32"),
    ("divide", "i32", "i32", "float32"), ("divide", "i32", "pyint", "float32"), ("divide", "bool", "bool", "float32"),
    ("divide", "f32", "pyint", "float32"), ("true_divide", "i32", "i32", "float32"),
    ("floor_divide", "i32", "i32", "int32"), ("floor_divide", "i32", "pyfloat", "float32"),
    ("mod", "i32", "pyint", "int32"), ("mod", "i32", "pyfloat", "float32"),
    ("power", "i32", "i32", "int32"), ("power", "i32", "pyfloat", "float32"), ("power", "f32", "pyint", "float32"),
    ("maximum", "i32", "pyfloat", "float32"), ("minimum", "i32", "pyint", "int32"),
    ("arctan2", "i32", "i32", "float32"),
    ("equal", "i32", "f32", "bool"), ("less", "bool", "pyint", "bool"), ("greater_equal", "f32", "pyfloat", "bool"),
    ("logical_and", "f32", "i32", "bool"), ("logical_or", "bool", "pybool", "bool"),
    ("logical_xor", "i32", "pyint", "bool"),
]


@pytest.mark.parametrize("op,kind1,kind2,dtype", PROMOTION)
def test_dtype_promotion_follows_keras(op, kind1, kind2, dtype):
    x1, x2 = _OPERANDS[kind1](), _OPERANDS[kind2]()
    ref = {**ARITHMETIC, **COMPARISONS, **LOGICAL}[op]
    with np.errstate(all="ignore"):
        expected = ref(np.asarray(x1), np.asarray(x2))
    check(getattr(ops, op)(x1, x2), expected, dtype)


_KERAS_BINARY_OPERANDS = {
    "f32,i32": (np.float32([[-1.5, 0.25, 2.0], [0.5, -2.0, 1.25]]), np.int32([1, 4, 2])),
    "i32,i32": (np.int32([1, 4, 2]), np.int32([[2], [3]])),
    "i32,bool": (np.int32([1, 4, 2]), np.array([[True], [True]])),  # all True: no integer division by 0
    "bool,bool": (np.array([[True], [False]]), np.array([True, True])),  # no False divisor either
    "i32,pyfloat": (np.int32([1, 4, 2]), 1.5),
    "bool,pyint": (np.array([True, False]), 2),
}


def _keras_binary_params():
    for op in sorted({**ARITHMETIC, **COMPARISONS, **LOGICAL}):
        for combo in _KERAS_BINARY_OPERANDS:
            if (op, combo) == ("subtract", "bool,bool"):
                continue  # Keras refuses it
            yield pytest.param(op, combo, id=f"{op}-{combo}")


@pytest.mark.parametrize("op,combo", list(_keras_binary_params()))
def test_binary_ops_match_keras_dtype_and_values(op, combo, keras_ops):
    x1, x2 = _KERAS_BINARY_OPERANDS[combo]
    expected = keras_value(keras_ops, op, x1, x2)
    check(getattr(ops, op)(x1, x2), expected, expected.dtype)


# ================================================================================================
# where, clip, divide_no_nan, round
# ================================================================================================

def test_where_broadcasts_condition_and_branches(rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    condition = x > 0
    check(ops.where(condition, x, -x), np.abs(x), "float32")
    check(ops.where(condition[:, :1], x[:1], 0.0), np.where(condition[:, :1], x[:1], 0.0), "float32")
    check(ops.where(condition, 1, 0), condition.astype(np.int32), "int32")
    check(ops.where(condition, np.int32(1), 2.5), np.where(condition, 1, 2.5), "float32")
    check(ops.where(np.array([True, False]), np.array([True, True]), np.array([False, False])), [True, False], "bool")
    # A non-bool condition counts as its truth value, as in NumPy.
    check(ops.where(np.float32([0, 2, -1]), 1.0, 0.0), [0, 1, 1], "float32")


@pytest.mark.parametrize("bounds", [(-1, 1), (-1.5, 0.5), (0, 0), (1, -1)])
def test_clip_with_scalar_bounds(bounds, rng):
    x = (rng.normal(size=(3, 4)) * 3).astype(np.float32)
    check(ops.clip(x, *bounds), np.minimum(np.maximum(x, bounds[0]), bounds[1]), "float32")


def test_clip_of_integers_and_with_tensor_bounds(rng):
    check(ops.clip(np.int32([-5, 0, 5]), -2, 3), [-2, 0, 3], "int32")
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    low = rng.normal(size=(1, 4, 1)).astype(np.float32) - 0.5
    check(ops.clip(x, low, 1.0), np.clip(x, low, 1.0), "float32")


def test_clip_of_integers_with_float_bounds_promotes_to_float():
    check(ops.clip(np.int32([-5, 0, 5]), -2.5, 3.5), [-2.5, 0, 3.5], "float32")


def test_divide_no_nan():
    check(ops.divide_no_nan(np.float32([1, 2, 0, -3]), np.float32([0, 4, 0, 2])), [0, 0.5, 0, -1.5], "float32")


def test_integer_round_power_and_clip_follow_keras():
    check(ops.round(np.int32([15, 24, -25, 7]), -1), [20, 20, -20, 10], "int32")
    check(ops.round(np.int32([15, 24]), 2), [15, 24], "int32")
    check(ops.power(np.int32([-1, -1, 1, 2, 0]), np.int32([-1, -2, -5, -1, 3])), [-1, 1, 1, 0, 0], "int32")
    check(ops.clip(np.int32([-7, 7, 3]), 0.5, 5), [0.5, 5, 3], "float32")
    check(ops.clip(np.int32([-7, 7, 3]), 0, 5), [0, 5, 3], "int32")


def test_split_and_repeat_take_arrays():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    for got, expected in zip(ops.split(x, np.array([1, 3])), np.split(x, [1, 3])):
        check(got, expected, "float32")
    check(ops.repeat(x, np.array([1, 0, 2, 1, 1, 3]), axis=0), np.repeat(x, [1, 0, 2, 1, 1, 3], axis=0), "float32")
    check(ops.repeat(np.float32([1, 2]), np.array([2, 1])), [1, 1, 2], "float32")
    with pytest.raises(ValueError, match="one non-negative count per element"):
        ops.repeat(x, np.array([1, 2]), axis=0)


@pytest.mark.parametrize("decimals", [0, 1, 2, -1])
def test_round_half_to_even_with_decimals(decimals):
    x = np.float32([0.5, 1.5, 2.5, -0.5, -1.5, 1.23456, -2.71828, 125.0, 1234.5678])
    check(ops.round(x, decimals), np.round(f64(x), decimals), "float32", rtol=1e-6)


# ================================================================================================
# Reductions
# ================================================================================================

REDUCTIONS = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "amax": np.max, "amin": np.min,
    "prod": np.prod, "var": np.var, "std": np.std, "logsumexp": _logsumexp, "any": np.any, "all": np.all,
    "argmax": np.argmax, "argmin": np.argmin,
}
AXES = [None, 0, 1, -1, (0, 2), (-1, -3), (1,)]


def _reduction_params():
    for name in sorted(REDUCTIONS):
        for axis in AXES:
            if name in ("argmax", "argmin") and isinstance(axis, tuple):
                continue
            for keepdims in (False, True):
                yield pytest.param(name, axis, keepdims, id=f"{name}-axis={axis}-keepdims={keepdims}")


@pytest.mark.parametrize("name,axis,keepdims", list(_reduction_params()))
def test_reductions_match_numpy(name, axis, keepdims, rng):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    if name in ("any", "all"):
        x = np.where(rng.random((2, 3, 4)) < 0.3, 0, x).astype(np.float32)
        x[0] = 0  # whole blocks of zeros and of non-zeros
        x[1, 1] = 1
    got = getattr(ops, name)(x, axis=axis, keepdims=keepdims)
    if name in ("argmax", "argmin"):
        expected = REDUCTIONS[name](x, axis=axis, keepdims=keepdims)
        check(got, expected, "int32")
    elif name in ("any", "all"):
        check(got, REDUCTIONS[name](x, axis=axis, keepdims=keepdims), "bool")
    else:
        check(got, REDUCTIONS[name](f64(x), axis=axis, keepdims=keepdims), "float32", rtol=2e-5, atol=1e-6)


# (op, Keras's result dtype for int32 input, for bool input)
REDUCTION_DTYPES = [
    ("sum", "int32", "int32"), ("prod", "int32", "int32"), ("max", "int32", "bool"), ("min", "int32", "bool"),
    ("mean", "float32", "float32"), ("var", "float32", "float32"), ("std", "float32", "float32"),
    ("logsumexp", "float32", "float32"), ("argmax", "int32", "int32"), ("argmin", "int32", "int32"),
    ("any", "bool", "bool"), ("all", "bool", "bool"),
]


@pytest.mark.parametrize("name,dtype", [(n, d) for n, d, _ in REDUCTION_DTYPES])
def test_reductions_of_int32_keep_keras_dtypes(name, dtype):
    x = np.int32([[1, -2, 3], [4, 5, 0], [7, 7, -9]])
    ref = REDUCTIONS[name]
    expected = ref(x, axis=1) if name in ("argmax", "argmin", "any", "all", "sum", "prod", "max", "min") \
        else ref(f64(x), axis=1)
    check(getattr(ops, name)(x, axis=1), expected, dtype)


@pytest.mark.parametrize("name,dtype", [(n, d) for n, _, d in REDUCTION_DTYPES])
def test_reductions_of_bool_follow_keras(name, dtype):
    x = np.array([[True, True, True], [True, False, True]])
    ref = REDUCTIONS[name]
    expected = ref(f64(x), axis=1) if name in ("mean", "var", "std", "logsumexp") else ref(x, axis=1)
    check(getattr(ops, name)(x, axis=1), expected, dtype)


def test_argmax_argmin_pick_the_first_of_ties_and_nan():
    x = np.float32([[1, 3, 3], [2, 2, 1], [0, np.nan, 5]])
    check(ops.argmax(x, axis=1), [1, 0, 1], "int32")
    check(ops.argmin(x, axis=1), [0, 2, 1], "int32")
    check(ops.argmax(np.float32([-np.inf, -np.inf])), 0, "int32")
    check(ops.argmax(x[:2], axis=0, keepdims=True), [[1, 0, 0]], "int32")


def test_logsumexp_is_stable():
    x = np.float32([[1000, 0, -1000], [-1e4, -1e4, -1e4], [-np.inf, -np.inf, -np.inf], [np.inf, 0, 1]])
    check(ops.logsumexp(x, axis=-1), [1000, -1e4 + np.log(3), -np.inf, np.inf], "float32")


def test_var_and_std_are_accurate_for_large_offsets():
    x = np.float32([1e4 + 1, 1e4 + 2, 1e4 + 3, 1e4 + 4])
    check(ops.var(x), 1.25, "float32")
    check(ops.std(x), np.sqrt(1.25), "float32")


def test_reductions_of_0d_and_empty_tuple_of_axes():
    check(ops.sum(np.float32(3)), 3.0, "float32")
    check(ops.sum(np.float32(3), keepdims=True), 3.0, "float32")
    x = np.float32([[1, 2], [3, 4]])
    check(ops.sum(x, axis=()), x, "float32")
    check(ops.max(np.zeros((2, 0), np.float32), axis=0), np.zeros((0,)), "float32")


_EMPTY_IDENTITIES = {"sum": np.float32(0), "mean": np.float32(np.nan), "prod": np.float32(1), "any": False,
                     "all": True}


@pytest.mark.parametrize("names", ["sum", "mean", "prod", "any+all"])
def test_reductions_over_an_empty_axis_give_the_identity(names):
    # An output left unwritten shows as garbage in some call. Garbage may be all zeros or all
    # non-zeros, so any (identity False) and all (identity True) are checked together.
    for _ in range(10):
        for name in names.split("+"):
            expected = _EMPTY_IDENTITIES[name]
            x = np.ones((64, 0), dtype=bool if name in ("any", "all") else np.float32)
            check(getattr(ops, name)(x, axis=1), np.full(64, expected), np.asarray(expected).dtype)


@pytest.mark.parametrize("name", ["sum", "mean"])
def test_large_float32_reductions_are_accurate(name):
    x = np.full(10**6, 0.1, np.float32)
    expected = 1e5 if name == "sum" else 0.1
    check(getattr(ops, name)(x), expected, "float32", rtol=1e-5)


def test_average_without_and_with_full_weights(rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    w = rng.random((3, 4)).astype(np.float32) + 0.1
    check(ops.average(x, axis=1), x.mean(axis=1), "float32")
    check(ops.average(x), x.mean(), "float32")
    check(ops.average(x, axis=0, weights=w), np.average(f64(x), axis=0, weights=w), "float32")


def test_average_with_one_dimensional_weights_along_axis(rng):
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    w = np.float32([1, 2, 3, 4])
    check(ops.average(x, axis=1, weights=w), np.average(f64(x), axis=1, weights=w), "float32")


# ================================================================================================
# Products: matmul, dot, einsum, tensordot, outer
# ================================================================================================

MATMUL_SHAPES = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)),
                 ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((1, 3, 4), (6, 4, 2)), ((4,), (2, 4, 5)),
                 ((2, 3, 4), (4,))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_numpy_with_batch_broadcasting(shapes, rng):
    a, b = rng.normal(size=shapes[0]).astype(np.float32), rng.normal(size=shapes[1]).astype(np.float32)
    check(ops.matmul(a, b), np.matmul(f64(a), f64(b)), "float32", atol=1e-5)


DOT_SHAPES = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)),
              ((2, 3, 4), (3, 4, 5)), ((3,), (2, 3, 4)), ((), (2, 2))]


@pytest.mark.parametrize("shapes", DOT_SHAPES, ids=str)
def test_dot_matches_numpy(shapes, rng):
    a, b = np.asarray(rng.normal(size=shapes[0]), np.float32), rng.normal(size=shapes[1]).astype(np.float32)
    check(ops.dot(a, b), np.dot(f64(a), f64(b)), "float32", atol=1e-5)


def test_matmul_and_einsum_of_int_and_float_give_float32():
    check(ops.matmul(np.int32([[1, 2], [3, 4]]), np.float32([[0.5], [1]])), [[2.5], [5.5]], "float32")
    check(ops.einsum("ij,jk->ik", np.int32([[1, 2]]), np.float32([[3], [4]])), [[11]], "float32")


@pytest.mark.parametrize("name", ["matmul", "einsum"])
def test_integer_products_stay_int32(name):
    a, b = np.int32([[1, 2], [3, 4]]), np.int32([[1, 0], [2, 1]])
    got = ops.matmul(a, b) if name == "matmul" else ops.einsum("ij,jk->ik", a, b)
    check(got, a @ b, "int32")


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ij->j", [(2, 3)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("i,j->ij", [(3,), (4,)]), ("i,i->", [(3,), (3,)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]), ("...ij,jk->...ik", [(2, 2, 3, 4), (4, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,kj", [(2, 3), (4, 3)]), ("abc->cab", [(2, 3, 4)]), ("i...->...", [(2, 3, 4)]), ("iJ->Ji", [(2, 3)]),
    ("bn,bn->b", [(3, 5), (3, 5)]), ("ijk,ikl->jl", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 4)]), ("bij,bjk->bik", [(1, 2, 3), (4, 3, 5)]),
    ("ii->i", [(3, 3)]), ("ii", [(4, 4)]), ("bii->bi", [(2, 3, 3)]), ("iij,j->i", [(3, 3, 2), (2,)]),
]


@pytest.mark.parametrize("subscripts,shapes", EINSUMS, ids=[e[0] for e in EINSUMS])
def test_einsum_matches_numpy(subscripts, shapes, rng):
    operands = [rng.normal(size=s).astype(np.float32) for s in shapes]
    check(ops.einsum(subscripts, *operands), np.einsum(subscripts, *map(f64, operands)), "float32", atol=1e-5)


TENSORDOTS = [((3, 4, 5), (4, 5, 2), 2), ((3, 4, 5), (5, 2), 1), ((3, 4), (2, 2), 0), ((3, 4, 5), (4, 2), ([1], [0])),
              ((3, 4, 5), (5, 3, 2), ((0, 2), (1, 0))), ((3, 4, 5), (5, 2), ([-1], [0]))]


@pytest.mark.parametrize("a_shape,b_shape,axes", TENSORDOTS, ids=[str(t[2]) for t in TENSORDOTS])
def test_tensordot_matches_numpy(a_shape, b_shape, axes, rng):
    a, b = rng.normal(size=a_shape).astype(np.float32), rng.normal(size=b_shape).astype(np.float32)
    check(ops.tensordot(a, b, axes=axes), np.tensordot(f64(a), f64(b), axes=axes), "float32", atol=1e-5)


def test_outer_flattens_its_operands(rng):
    a, b = rng.normal(size=3).astype(np.float32), rng.normal(size=(2, 2)).astype(np.float32)
    check(ops.outer(a, b), np.outer(f64(a), f64(b)), "float32")


# ================================================================================================
# Shapes: reshape, transpose, expand_dims, squeeze, concatenate, stack, split, ...
# ================================================================================================

@pytest.fixture
def x234(rng):
    return rng.normal(size=(2, 3, 4)).astype(np.float32)


@pytest.mark.parametrize("shape", [(-1,), (4, -1), (2, -1, 2), (24,), (1, 2, 1, 12, 1), -1, (3, 8)], ids=str)
def test_reshape_infers_minus_one(shape, x234):
    check(ops.reshape(x234, shape), x234.reshape(shape), "float32", rtol=0, atol=0)


def test_reshape_of_empty_and_of_integers():
    check(ops.reshape(np.zeros((0, 3), np.float32), (-1, 3)), np.zeros((0, 3)), "float32")
    check(ops.reshape(np.arange(6, dtype=np.int32), (3, 2)), np.arange(6).reshape(3, 2), "int32")
    check(ops.ravel(np.int32([[1, 2], [3, 4]])), [1, 2, 3, 4], "int32")


@pytest.mark.parametrize("axes", [None, (2, 0, 1), (0, 2, 1), (-1, 0, 1), (0, 1, 2)], ids=str)
def test_transpose(axes, x234):
    check(ops.transpose(x234, axes), np.transpose(x234, axes), "float32", rtol=0, atol=0)


@pytest.mark.parametrize("source,destination", [(0, -1), (2, 0), ([0, 1], [2, 0]), (-1, 1)], ids=str)
def test_moveaxis(source, destination, x234):
    check(ops.moveaxis(x234, source, destination), np.moveaxis(x234, source, destination), "float32")


def test_swapaxes(x234):
    check(ops.swapaxes(x234, 0, -1), np.swapaxes(x234, 0, -1), "float32")


@pytest.mark.parametrize("axis", [0, -1, 1, 3, (0, 2), (-1, 0)], ids=str)
def test_expand_dims(axis, x234):
    check(ops.expand_dims(x234, axis), np.expand_dims(x234, axis), "float32")


@pytest.mark.parametrize("axis", [None, 0, 2, -2, (0, 2)], ids=str)
def test_squeeze(axis, rng):
    y = rng.normal(size=(1, 3, 1, 2)).astype(np.float32)
    check(ops.squeeze(y, axis), np.squeeze(y, axis), "float32")


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_concatenate(axis, rng):
    shapes = {0: [(1, 3, 4), (2, 3, 4)], 1: [(2, 1, 4), (2, 5, 4)], -1: [(2, 3, 1), (2, 3, 2)], 2: [(2, 3, 4)] * 3}
    xs = [rng.normal(size=s).astype(np.float32) for s in shapes[axis]]
    check(ops.concatenate(xs, axis=axis), np.concatenate(xs, axis=axis), "float32")


def test_concatenate_with_axis_none_flattens(rng):
    xs = [rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=(4,)).astype(np.float32)]
    check(ops.concatenate(xs, axis=None), np.concatenate(xs, axis=None), "float32")


def test_concatenate_promotes_mixed_dtypes():
    check(ops.concatenate([np.float32([[0.5, 1, 2]]), np.int32([[1, 2, 3]])]), [[0.5, 1, 2], [1, 2, 3]], "float32")
    check(ops.concatenate([np.int32([1, 2]), np.array([True])]), [1, 2, 1], "int32")


@pytest.mark.parametrize("axis", [0, 1, -1, 3])
def test_stack(axis, x234):
    check(ops.stack([x234, 2 * x234, -x234], axis=axis), np.stack([x234, 2 * x234, -x234], axis=axis), "float32")


@pytest.mark.parametrize("indices_or_sections,axis", [(3, 0), (2, 1), ([1, 4], 0), ([2], 0), ([1, 3], 1),
                                                     ([0, 6], 0), ([], 0), (1, 1)], ids=str)
def test_split_into_sections_and_at_indices(indices_or_sections, axis, rng):
    x = rng.normal(size=(6, 4)).astype(np.float32)
    got = ops.split(x, indices_or_sections, axis)
    expected = np.split(x, indices_or_sections, axis)
    assert isinstance(got, list) and len(got) == len(expected)
    for g, e in zip(got, expected):
        check(g, e, "float32")


@pytest.mark.parametrize("axis", [None, 1, (0, -1), -1], ids=str)
def test_flip(axis, x234):
    check(ops.flip(x234, axis=axis), np.flip(x234, axis=axis), "float32")


def test_slice_within_bounds(x234):
    check(ops.slice(x234, (1, 0, 1), (1, 3, 2)), x234[1:2, 0:3, 1:3], "float32")


def test_slice_result_always_has_the_requested_shape():
    """As lax.dynamic_slice (Keras's JAX backend): a start too near the end moves back."""
    x = np.arange(5, dtype=np.float32)
    check(ops.slice(x, (3,), (3,)), [2, 3, 4], "float32")
    check(ops.slice(x, (-2,), (2,)), [0, 1], "float32")
    with pytest.raises(ValueError, match="does not fit"):
        ops.slice(x, (0,), (6,))


@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5), (3, 1, 5)], ids=str)
def test_broadcast_to(shape, rng):
    x = rng.normal(size=(3, 1, 5)).astype(np.float32)
    check(ops.broadcast_to(x, shape), np.broadcast_to(x, shape), "float32")
    check(ops.broadcast_to(np.array([True, False]), (3, 2)), np.broadcast_to([True, False], (3, 2)), "bool")


@pytest.mark.parametrize("repeats", [2, [2, 1, 3], [2, 1], [1, 1, 1, 2], [0, 1, 1]], ids=str)
def test_tile(repeats, x234):
    check(ops.tile(x234, repeats), np.tile(x234, repeats), "float32")


@pytest.mark.parametrize("repeats,axis", [(2, None), (3, 0), (2, -1), (1, 1), (0, 1)], ids=str)
def test_repeat(repeats, axis, x234):
    check(ops.repeat(x234, repeats, axis=axis), np.repeat(x234, repeats, axis=axis), "float32")


def test_repeat_with_per_element_repeats():
    check(ops.repeat(np.float32([1, 2, 3]), [1, 2, 0], axis=0), [1, 2, 2], "float32")
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    check(ops.repeat(x, np.array([3, 0, 1]), axis=1), np.repeat(x, [3, 0, 1], axis=1), "int32")
    check(ops.repeat(x, [1, 0, 2, 1, 1, 0]), np.repeat(x, [1, 0, 2, 1, 1, 0]), "int32")
    check(ops.repeat(x, [2], axis=0), np.repeat(x, 2, axis=0), "int32")


PADS = [([(1, 2), (0, 1), (2, 0)], "constant", None), ([(1, 2), (0, 1), (2, 0)], "constant", 3.5),
        (1, "constant", None), ((1, 2), "constant", None), ([(2, 2), (1, 1), (3, 3)], "reflect", None),
        ([(2, 2), (1, 1), (3, 3)], "symmetric", None), ([(2, 2), (1, 1), (3, 3)], "edge", None),
        ([(0, 0), (0, 0), (4, 0)], "reflect", None), ([(0, 0), (0, 0), (5, 6)], "symmetric", None)]


@pytest.mark.parametrize("pad_width,mode,constant_values", PADS, ids=[f"{p[1]}-{p[0]}-{p[2]}" for p in PADS])
def test_pad_modes(pad_width, mode, constant_values, x234):
    kwargs = {} if constant_values is None else {"constant_values": constant_values}
    check(ops.pad(x234, pad_width, mode=mode, **kwargs), np.pad(x234, pad_width, mode=mode, **kwargs), "float32")


def test_pad_of_integers_and_bools():
    check(ops.pad(np.int32([[1, 2], [3, 4]]), [(1, 0), (0, 1)], constant_values=7),
          np.pad(np.int32([[1, 2], [3, 4]]), [(1, 0), (0, 1)], constant_values=7), "int32")
    check(ops.pad(np.array([True, False, True]), [(1, 1)]), [False, True, False, True, False], "bool")


TAKES = [([0, 2, 2], None), ([0, 2, 2], 0), ([[1, 0], [3, 3]], 1), ([4, 0], -1), ([1], 2), (2, 1), ([-1, -3], 1),
         ([-1, -24], None)]


@pytest.mark.parametrize("indices,axis", TAKES, ids=str)
def test_take(indices, axis, rng):
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    check(ops.take(x, np.asarray(indices, np.int32), axis=axis), np.take(x, indices, axis=axis), "float32")


def test_take_with_float_indices_truncates_them_as_keras():
    x = np.arange(10, dtype=np.float32).reshape(2, 5)
    check(ops.take(x, np.float32([1.7, 3.0]), axis=1), x[:, [1, 3]], "float32")


def test_take_of_integers_with_list_and_int64_indices():
    x = np.arange(10, dtype=np.int32).reshape(2, 5)
    check(ops.take(x, [4, 1], axis=1), x[:, [4, 1]], "int32")
    check(ops.take(x, np.int64([1]), axis=0), x[[1]], "int32")
    check(ops.take(np.array([True, False]), np.int32([1, 0, 1])), [False, True, False], "bool")


@pytest.mark.parametrize("case", ["axis1", "broadcast", "last", "flattened"])
def test_take_along_axis(case, rng):
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    if case == "axis1":
        indices, axis = rng.integers(0, 4, size=(3, 2, 5)), 1
    elif case == "broadcast":
        indices, axis = rng.integers(0, 4, size=(1, 6, 5)), 1
    elif case == "last":
        indices, axis = rng.integers(-5, 5, size=(3, 4, 2)), -1
    else:
        indices, axis = rng.integers(0, 60, size=(7,)), None
    indices = indices.astype(np.int32)
    if case == "broadcast":
        expected = np.take_along_axis(x, np.broadcast_to(indices, (3, 6, 5)), axis=1)
    else:
        expected = np.take_along_axis(x, indices, axis=axis)
    check(ops.take_along_axis(x, indices, axis=axis), expected, "float32")


@pytest.mark.parametrize("axis", [-1, 0, 1, 2])
def test_one_hot(axis):
    labels = np.int32([[0, 2], [3, 1]])
    expected = np.moveaxis(np.eye(4, dtype=np.float32)[labels], -1, axis)
    check(ops.one_hot(labels, 4, axis=axis), expected, "float32")


def test_one_hot_out_of_range_rows_are_zero_and_dtype_is_honoured():
    check(ops.one_hot(np.int32([0, 5, -1, 3]), 4), [[1, 0, 0, 0], [0] * 4, [0] * 4, [0, 0, 0, 1]], "float32")
    check(ops.one_hot(np.int32([1]), 3, dtype="int32"), [[0, 1, 0]], "int32")


CASTS = [("float32", "int32", [-2.7, -0.5, 0.5, 1.5, 2.5, 1e6], [-2, 0, 0, 1, 2, 1000000]),
         ("float32", "int64", [-2.7, 2.5, 3e9], [-2, 2, 3000000000]),
         ("float32", "bool", [0.0, -0.0, 0.1, np.nan, -3], [False, False, True, True, True]),
         ("int32", "float32", [-2, 0, 3], [-2, 0, 3]), ("int32", "bool", [-2, 0, 3], [True, False, True]),
         ("int32", "int64", [-2, 0, 2**31 - 1], [-2, 0, 2**31 - 1]), ("bool", "float32", [True, False], [1, 0]),
         ("bool", "int32", [True, False], [1, 0]), ("int64", "int32", [5, -5], [5, -5])]


@pytest.mark.parametrize("source,target,values,expected", CASTS, ids=[f"{c[0]}->{c[1]}" for c in CASTS])
def test_cast_truncates_towards_zero(source, target, values, expected):
    check(ops.cast(np.asarray(values, dtype=source), target), np.asarray(expected, dtype=target), target)


def test_cast_accepts_numpy_dtypes_and_aliases():
    check(ops.cast(np.float32([1.5]), np.int32), [1], "int32")
    check(ops.cast(np.int32([1]), "float64"), [1], "float32")  # the engine computes floats as float32


def test_shape_ndim_size_dtype_and_conversions(x234):
    assert ops.shape(x234) == (2, 3, 4) and ops.ndim(x234) == 3 and ops.size(x234) == 24
    assert ops.dtype(x234) == "float32" and ops.dtype(np.int64([1])) == "int64" and ops.dtype([True]) == "bool"
    check(ops.convert_to_tensor([1.0, 2.0]), [1, 2], "float32")
    check(ops.convert_to_tensor(np.float64([1.5])), [1.5], "float32")
    check(ops.convert_to_tensor([1, 2], dtype="int32"), [1, 2], "int32")
    check(ops.convert_to_numpy(x234), x234, "float32")
    check(ops.stop_gradient(x234), x234, "float32")


# ================================================================================================
# Indexing (the engine's strided_slice/take path, eagerly and in a graph)
# ================================================================================================

INDEX_KEYS = [
    1, -1, (slice(1, None),), (slice(None, None, -1),), (slice(None, None, 2), slice(3, 0, -1)), (Ellipsis, -1),
    (None, 1, Ellipsis, None), (slice(-2, None), None, slice(None, -1)), (0, slice(None), 2), (slice(10, 20),),
    (slice(-10, 2),), (slice(None, None, -2), Ellipsis, slice(4, None, -3)), (np.array([2, 0, 2]),),
    (slice(None), np.array([[1, 0], [3, 3]])), (1, np.array([0, 3])), (Ellipsis, np.array([-1, 0])), (Ellipsis,),
    (-3,), (slice(1, 1),), (np.int64(2),), (slice(None), [1, 2]), (slice(-1, -4, -1),), (2, -1, -1),
    (slice(None, -4, -1),), (slice(-100, 100),),
]


@pytest.mark.parametrize("key", INDEX_KEYS, ids=repr)
def test_indexing_matches_numpy(key):
    x = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    check(getitem(x, key), x[key], "float32", rtol=0, atol=0)


def test_indexing_symbolic_tensors_in_a_model():
    x = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    inputs = swiftnet.Input((4, 5))
    keys = [(slice(None), slice(1, None), None, slice(None, None, -2)), (Ellipsis, -1),
            (slice(None), np.array([3, 0])), (slice(None), slice(None, None, -1), -2)]
    model = swiftnet.Model(inputs, [inputs[k] for k in keys])
    for got, key in zip(model.predict(x, verbose=0), keys):
        check(got, x[key], rtol=0, atol=0)


@pytest.mark.parametrize("key,error,match", [
    ((0, 0, 0, 0), IndexError, "Too many indices"), ((Ellipsis, Ellipsis), IndexError, "single ellipsis"),
    ((np.array([True, False, True]),), TypeError, "ops.where"), ((1.5,), TypeError, "Unsupported index"),
    ((slice(None), np.array([9])), ValueError, "out of range"),
])
def test_bad_indices_raise_clear_errors(key, error, match):
    with pytest.raises(error, match=match):
        getitem(np.zeros((3, 4, 5), np.float32), key)


@pytest.mark.parametrize("index", [3, -4])
def test_out_of_range_integer_index_says_so(index):
    with pytest.raises(IndexError, match=f"Index {index} is out of bounds for axis 0 with size 3"):
        getitem(np.zeros((3, 4, 5), np.float32), index)


# ================================================================================================
# Creation: arange, full, zeros, ones, *_like, eye, identity
# ================================================================================================

ARANGES = [((5,), "int32"), ((2, 7), "int32"), ((2, 7, 2), "int32"), ((1.0, 2.0, 0.25), "float32"),
           ((5, 0, -1), "int32"), ((0, 1, 0.1), "float32"), ((3.5,), "float32"), ((10, 2), "int32"),
           ((1.0, -1.0, -0.3), "float32"), ((0, 3, 0.5), "float32"), ((2**24, 2**24 + 4), "int32")]


@pytest.mark.parametrize("args,dtype", ARANGES, ids=[str(a[0]) for a in ARANGES])
def test_arange(args, dtype):
    check(ops.arange(*args), np.arange(*args).astype(dtype), dtype, rtol=1e-6, atol=1e-7)


def test_arange_with_dtype():
    check(ops.arange(0, 5, 1, dtype="float32"), np.arange(5), "float32")
    check(ops.arange(3, dtype="int64"), np.arange(3), "int64")


def test_full_zeros_ones():
    check(ops.full((2, 3), 7), np.full((2, 3), 7), "float32")  # floatx by default, as Keras
    check(ops.full((2, 3), 7.5), np.full((2, 3), 7.5), "float32")
    check(ops.full(3, 7, dtype="int32"), [7, 7, 7], "int32")
    check(ops.full((2,), 2**30 + 1, dtype="int32"), [2**30 + 1] * 2, "int32")
    check(ops.zeros((2, 3)), np.zeros((2, 3)), "float32")
    check(ops.zeros(3, dtype="int32"), [0, 0, 0], "int32")
    check(ops.ones([2, 0]), np.ones((2, 0)), "float32")
    check(ops.ones((2,), dtype="bool"), [True, True], "bool")
    check(ops.full((), 2.5), 2.5, "float32")


def test_full_int64_values_are_exact_or_refused():
    """Fill values travel as doubles: exact up to 2**53, refused beyond."""
    check(ops.full((2,), 2**53, dtype="int64"), np.full(2, 2**53, np.int64), "int64", rtol=0, atol=0)
    check(ops.full((2,), -(2**40) - 3, dtype="int64"), np.full(2, -(2**40) - 3, np.int64), "int64", rtol=0, atol=0)
    with pytest.raises(ValueError, match="2\\*\\*53"):
        ops.full((2,), 2**53 + 1, dtype="int64")


def test_like_creators_keep_or_set_the_dtype(rng):
    f = rng.normal(size=(2, 2)).astype(np.float32)
    i = np.int32([1, 2])
    check(ops.zeros_like(i), [0, 0], "int32")
    check(ops.ones_like(f), np.ones((2, 2)), "float32")
    check(ops.ones_like(f, dtype="int32"), np.ones((2, 2)), "int32")
    check(ops.full_like(i, 3), [3, 3], "int32")
    check(ops.full_like(i, 3.7), [3, 3], "int32")  # the fill value takes x's dtype, as in Keras and NumPy
    check(ops.full_like(f, 3.5), np.full((2, 2), 3.5), "float32")
    check(ops.zeros_like(np.array([True, False])), [False, False], "bool")


def test_eye_and_identity():
    check(ops.eye(3, 4, 1), np.eye(3, 4, 1), "float32")
    check(ops.eye(2, dtype="int32"), np.eye(2), "int32")
    check(ops.identity(3), np.eye(3), "float32")


# ================================================================================================
# ops.nn: activations, softmax, cross-entropies, moments, normalize
# ================================================================================================

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def _sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0), "relu6": lambda x: np.clip(x, 0, 6), "sigmoid": _sigmoid,
    "softplus": lambda x: np.logaddexp(0, x), "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x), "swish": lambda x: x * _sigmoid(x),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6, "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6, "log_sigmoid": lambda x: -np.logaddexp(0, -x),
    "exponential": np.exp, "tanh": np.tanh,
    "gelu": _gelu_tanh,  # approximate=True is Keras's default
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
}


@pytest.fixture
def activation_input(rng):
    x = (rng.normal(size=(3, 4, 5)) * 3).astype(np.float32)
    x[0, 0, :5] = [0, -0.0, 50, -50, 80]
    x[1, 1, :5] = [-80, 3, -3, 6, -6]  # saturated regions and the hard_* kinks
    return x


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_match_numpy(name, activation_input):
    x = activation_input / 10 if name == "exponential" else activation_input
    fn = ops.nn.tanh if name == "tanh" else getattr(ops, name)
    check(fn(x), ACTIVATIONS[name](f64(x)), "float32", rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("approximate", [True, False])
def test_gelu_exact_and_approximate(approximate, activation_input):
    x = f64(activation_input)
    expected = _gelu_tanh(x) if approximate else 0.5 * x * (1 + _erf(x / np.sqrt(2)))
    check(ops.gelu(activation_input, approximate=approximate), expected, "float32")


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_elu_alpha(alpha, activation_input):
    x = f64(activation_input)
    check(ops.elu(activation_input, alpha=alpha), np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))), "float32")


@pytest.mark.parametrize("slope", [0.1, 0.01, 1.5])
def test_leaky_relu_slope(slope, activation_input):
    x = f64(activation_input)
    check(ops.leaky_relu(activation_input, negative_slope=slope), np.where(x > 0, x, slope * x), "float32")


def test_relu_keeps_int32():
    check(ops.relu(np.int32([-3, 0, 2, 7])), [0, 0, 2, 7], "int32")


@pytest.mark.parametrize("axis", [-1, 0, 1, 2, -2, (1,)], ids=str)
def test_softmax_and_log_softmax_on_any_axis(axis, activation_input):
    x = f64(activation_input)
    a = axis[0] if isinstance(axis, tuple) else axis
    check(ops.softmax(activation_input, axis=axis), _softmax(x, axis=a), "float32", atol=1e-7)
    check(ops.log_softmax(activation_input, axis=a), x - _logsumexp(x, axis=a, keepdims=True), "float32", atol=1e-5)


@pytest.mark.parametrize("axis", [(0, 1), (1, 2), (0, 2), (-1, 0), (0, 1, 2)], ids=str)
def test_softmax_and_log_softmax_over_several_axes(axis, activation_input):
    x = f64(activation_input)
    log_expected = x - _logsumexp(x, axis=axis, keepdims=True)
    check(ops.softmax(activation_input, axis=axis), np.exp(log_expected), "float32", atol=1e-7)
    check(ops.log_softmax(activation_input, axis=axis), log_expected, "float32", atol=1e-5)


def test_softmax_is_stable_and_handles_minus_infinity():
    x = np.float32([[1000, 0, -1000], [1e30, 1e30, 0], [-np.inf, 0, 1]])
    check(ops.softmax(x), _softmax(f64(x)), "float32", atol=1e-7)
    check(ops.log_softmax(x[:1]), [[0, -1000, -2000]], "float32")
    check(ops.softmax(np.float32([1, 2, 3])), _softmax(np.float64([1, 2, 3])), "float32")


def test_moments_and_normalize(rng):
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    mean, variance = ops.moments(x, axes=[0, 2])
    check(mean, f64(x).mean(axis=(0, 2)), "float32")
    check(variance, f64(x).var(axis=(0, 2)), "float32")
    mean, variance = ops.moments(x, axes=[1], keepdims=True)
    check(mean, f64(x).mean(axis=1, keepdims=True), "float32")
    check(variance, f64(x).var(axis=1, keepdims=True), "float32")
    check(ops.normalize(x, axis=1), f64(x) / np.linalg.norm(f64(x), axis=1, keepdims=True), "float32")
    check(ops.normalize(x, axis=-1, order=1), f64(x) / np.abs(f64(x)).sum(-1, keepdims=True), "float32")
    check(ops.normalize(np.zeros((2, 3), np.float32)), np.zeros((2, 3)), "float32")


EPS = 1e-7


def test_binary_crossentropy_probabilities_and_logits(rng):
    target = (rng.random((4, 3)) > 0.5).astype(np.float32)
    probs = np.float32(rng.random((4, 3)) * 0.98 + 0.01)
    probs[0, 0], probs[1, 1] = 0.0, 1.0  # clipped to [eps, 1 - eps], as Keras
    p = np.clip(f64(probs), EPS, 1 - EPS)
    check(ops.binary_crossentropy(target, probs), -(target * np.log(p) + (1 - target) * np.log(1 - p)), "float32",
          rtol=1e-4)
    logits = (rng.normal(size=(4, 3)) * 5).astype(np.float32)
    z = f64(logits)
    expected = np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z)))
    check(ops.binary_crossentropy(target, logits, from_logits=True), expected, "float32")


def test_categorical_crossentropies(rng):
    labels = np.int32([0, 2, 1, 1])
    onehot = np.eye(3, dtype=np.float32)[labels]
    raw = (rng.random((4, 3)) + 0.05).astype(np.float32)  # not normalised: Keras divides by the sum
    p = np.clip(f64(raw) / f64(raw).sum(-1, keepdims=True), EPS, 1 - EPS)
    expected = -np.log(p[np.arange(4), labels])
    check(ops.categorical_crossentropy(onehot, raw), expected, "float32")
    check(ops.sparse_categorical_crossentropy(labels, raw), expected, "float32")
    logits = (rng.normal(size=(4, 3)) * 4).astype(np.float32)
    expected = -(f64(logits) - _logsumexp(logits, axis=-1, keepdims=True))[np.arange(4), labels]
    check(ops.categorical_crossentropy(onehot, logits, from_logits=True), expected, "float32")
    check(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True), expected, "float32")
    check(ops.categorical_crossentropy(onehot.T.copy(), logits.T.copy(), from_logits=True, axis=0), expected,
          "float32")
    check(ops.sparse_categorical_crossentropy(labels, logits.T.copy(), from_logits=True, axis=0), expected,
          "float32")


KERAS_NN = [("relu", {}), ("relu6", {}), ("sigmoid", {}), ("softplus", {}), ("softsign", {}), ("silu", {}),
            ("selu", {}), ("hard_sigmoid", {}), ("hard_silu", {}), ("log_sigmoid", {}), ("gelu", {}),
            ("gelu", {"approximate": False}), ("elu", {"alpha": 0.7}), ("leaky_relu", {}),
            ("leaky_relu", {"negative_slope": 0.05}), ("softmax", {"axis": 1}), ("log_softmax", {"axis": 0})]


@pytest.mark.parametrize("name,kwargs", KERAS_NN, ids=[f"{n}-{k}" for n, k in KERAS_NN])
def test_nn_ops_match_keras(name, kwargs, activation_input, keras_ops):
    expected = keras_value(keras_ops, name, activation_input, **kwargs)
    check(getattr(ops, name)(activation_input, **kwargs), expected, expected.dtype, rtol=1e-5, atol=1e-6)


KERAS_MISC = [
    ("einsum", lambda r: ("bij,bjk->bik", r(2, 3, 4), r(2, 4, 5)), {}),
    ("tensordot", lambda r: (r(3, 4, 5), r(5, 3, 2)), {"axes": ((0, 2), (1, 0))}),
    ("pad", lambda r: (r(3, 4),), {"pad_width": [(2, 1), (3, 3)], "mode": "reflect"}),
    ("pad", lambda r: (r(3, 4),), {"pad_width": [(2, 1), (3, 3)], "mode": "symmetric"}),
    ("take_along_axis", lambda r: (r(3, 4), np.int32([[0, 3], [1, 1], [2, 0]])), {"axis": 1}),
    ("one_hot", lambda r: (np.int32([[0, 2], [3, 1]]), 4), {"axis": 1}),
    ("moments", lambda r: (r(3, 4, 5),), {"axes": [0, 2]}),
    ("normalize", lambda r: (r(3, 4),), {"axis": 0}),
    ("average", lambda r: (r(3, 4),), {"axis": 0, "weights": np.abs(np.float32(np.arange(12).reshape(3, 4))) + 1}),
    ("split", lambda r: (r(6, 4), [1, 4]), {"axis": 0}),
    ("logsumexp", lambda r: (r(3, 4) * 30,), {"axis": 0, "keepdims": True}),
    ("round", lambda r: (r(3, 4) * 100,), {"decimals": -1}),
    ("categorical_crossentropy", lambda r: (np.eye(4, dtype=np.float32)[[0, 3, 1]], r(3, 4)), {"from_logits": True}),
    ("binary_crossentropy", lambda r: (np.float32([[0, 1], [1, 0]]), r(2, 2)), {"from_logits": True}),
    ("divide_no_nan", lambda r: (r(3), np.float32([0, 2, 0])), {}),
    ("clip", lambda r: (np.int32([-5, 0, 5]), -2, 3), {}),
]


@pytest.mark.parametrize("name,make_args,kwargs", KERAS_MISC, ids=[f"{m[0]}-{i}" for i, m in enumerate(KERAS_MISC)])
def test_ops_match_keras(name, make_args, kwargs, rng, keras_ops):
    args = make_args(lambda *shape: rng.normal(size=shape).astype(np.float32))
    expected = keras_value(keras_ops, name, *args, **kwargs)
    got = getattr(ops, name)(*args, **kwargs)
    if isinstance(expected, list):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            check(g, e, e.dtype, atol=1e-5)
    else:
        check(got, expected, expected.dtype, atol=1e-5)


# ================================================================================================
# swiftnet.random: shapes, dtypes, statistics, seeds
# ================================================================================================

def test_random_normal_statistics_and_seed():
    a = swiftnet.random.normal((1000, 100), mean=1.0, stddev=2.0, seed=3)
    assert isinstance(a, np.ndarray) and a.dtype == np.float32 and a.shape == (1000, 100)
    assert abs(a.mean() - 1.0) < 4 * 2.0 / np.sqrt(a.size)
    assert abs(a.std() - 2.0) < 0.02
    assert abs(np.mean((a - 1) ** 3) / 8) < 0.05  # symmetric
    np.testing.assert_array_equal(a, swiftnet.random.normal((1000, 100), mean=1.0, stddev=2.0, seed=3))
    assert not np.array_equal(a, swiftnet.random.normal((1000, 100), mean=1.0, stddev=2.0, seed=4))


def test_random_uniform_statistics_and_seed():
    u = swiftnet.random.uniform((100000,), minval=-2.0, maxval=3.0, seed=1)
    assert u.dtype == np.float32 and u.shape == (100000,)
    assert u.min() >= -2.0 and u.max() < 3.0 and u.min() < -1.99 and u.max() > 2.99
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(25 / 12 / u.size)
    assert abs(u.var() - 25 / 12) < 0.03
    counts = np.histogram(u, bins=10, range=(-2, 3))[0]
    assert counts.min() > 9500 and counts.max() < 10500
    np.testing.assert_array_equal(u, swiftnet.random.uniform((100000,), minval=-2.0, maxval=3.0, seed=1))


def test_random_truncated_normal_stays_within_two_stddevs():
    t = swiftnet.random.truncated_normal((100000,), mean=1.0, stddev=2.0, seed=5)
    assert t.dtype == np.float32
    assert t.min() >= 1.0 - 4.0 and t.max() <= 1.0 + 4.0
    assert abs(t.mean() - 1.0) < 0.03
    assert abs(t.std() - 2.0 * 0.879596) < 0.02  # std of a normal truncated at +-2 sigma


def test_random_dropout_zeroes_at_rate_and_rescales():
    x = np.ones((1000, 100), np.float32)
    d = swiftnet.random.dropout(x, 0.3, seed=5)
    assert d.dtype == np.float32 and d.shape == x.shape
    assert abs((d == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(d), [0.0, 1 / 0.7], rtol=1e-6)
    np.testing.assert_array_equal(d, swiftnet.random.dropout(x, 0.3, seed=5))
    np.testing.assert_array_equal(swiftnet.random.dropout(x, 0.0, seed=5), x)


def test_random_seed_generator_and_global_seed():
    g1, g2 = swiftnet.random.SeedGenerator(7), swiftnet.random.SeedGenerator(7)
    first, second = swiftnet.random.normal((5,), seed=g1), swiftnet.random.normal((5,), seed=g1)
    assert not np.array_equal(first, second)  # a generator advances with every draw
    np.testing.assert_array_equal(first, swiftnet.random.normal((5,), seed=g2))
    swiftnet.utils.set_random_seed(11)
    a = swiftnet.random.uniform((5,))
    swiftnet.utils.set_random_seed(11)
    np.testing.assert_array_equal(a, swiftnet.random.uniform((5,)))
    assert not np.array_equal(a, swiftnet.random.uniform((5,)))


def test_random_shapes_including_scalars_and_empty():
    assert swiftnet.random.normal((), seed=1).shape == ()
    assert swiftnet.random.normal((0, 3), seed=1).shape == (0, 3)
    assert swiftnet.random.uniform([2, 3], seed=1).shape == (2, 3)


@pytest.mark.parametrize("call,match", [
    (lambda: swiftnet.random.normal((2,), dtype="int32"), "float32"),
    (lambda: swiftnet.random.normal((2,), seed=1.5), "seed"),
    (lambda: swiftnet.random.normal((2,), seed=True), "seed"),
    (lambda: swiftnet.random.normal((-1, 3), seed=1), "non-negative"),
    (lambda: swiftnet.random.uniform((3,), minval=2, maxval=1, seed=1), "minval < maxval"),
    (lambda: swiftnet.random.dropout(np.ones(3, np.float32), 1.0, seed=1), "rate"),
    (lambda: swiftnet.random.dropout(np.ones(3, np.float32), -0.1, seed=1), "rate"),
], ids=["int dtype", "float seed", "bool seed", "negative size", "minval>maxval", "rate 1", "rate<0"])
def test_random_argument_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ================================================================================================
# Errors: a Python exception with a clear message, never a crash
# ================================================================================================

_X = np.ones((2, 3, 4), np.float32)

ERRORS = {
    "broadcast": (lambda: ops.add(np.ones((2, 3)), np.ones((4,))), ValueError,
                  r"Cannot broadcast shapes \(2, 3\) and \(4,\)"),
    "where broadcast": (lambda: ops.where(np.ones((2, 3), bool), np.ones(3), np.ones(2)), ValueError, "broadcast"),
    "comparison broadcast": (lambda: ops.less(np.ones((2, 3)), np.ones((2, 2))), ValueError, "broadcast"),
    "sum axis": (lambda: ops.sum(_X, axis=3), ValueError, "Axis 3 is out of bounds for a tensor of rank 3"),
    "sum negative axis": (lambda: ops.sum(_X, axis=-4), ValueError, "out of bounds"),
    "sum axis tuple": (lambda: ops.sum(_X, axis=(0, 5)), ValueError, "out of bounds"),
    "sum repeated axis": (lambda: ops.sum(_X, axis=(0, 0)), ValueError, "Repeated axis"),
    "mean axis": (lambda: ops.mean(_X, axis=7), ValueError, "out of bounds"),
    "argmax axis": (lambda: ops.argmax(_X, axis=3), ValueError, "out of bounds"),
    "max of empty": (lambda: ops.max(np.ones((2, 0), np.float32), axis=1), ValueError, "empty"),
    "softmax axis": (lambda: ops.softmax(_X, axis=3), ValueError, "out of bounds"),
    "log_softmax axis": (lambda: ops.log_softmax(_X, axis=-4), ValueError, "out of bounds"),
    "concatenate axis": (lambda: ops.concatenate([_X, _X], axis=3), ValueError, "out of bounds"),
    "concatenate shapes": (lambda: ops.concatenate([_X, np.ones((2, 2, 5))], axis=1), ValueError, "matching shapes"),
    "concatenate ranks": (lambda: ops.concatenate([_X, np.ones((2, 3))]), ValueError, "same rank"),
    "concatenate nothing": (lambda: ops.concatenate([]), ValueError, "at least one"),
    "stack shapes": (lambda: ops.stack([_X, np.ones((2, 3, 5))]), ValueError, "shapes"),
    "expand_dims axis": (lambda: ops.expand_dims(_X, 5), ValueError, "out of bounds"),
    "squeeze size": (lambda: ops.squeeze(_X, axis=1), ValueError, "not 1"),
    "squeeze axis": (lambda: ops.squeeze(_X, axis=5), ValueError, "out of bounds"),
    "transpose axes": (lambda: ops.transpose(_X, (0, 1)), ValueError, "all 3 axes"),
    "transpose repeated": (lambda: ops.transpose(_X, (0, 0, 1)), ValueError, "Repeated axis"),
    "reshape size": (lambda: ops.reshape(_X, (5, 5)), ValueError, r"24 values\) into \[5, 5\]"),
    "reshape inferred": (lambda: ops.reshape(_X, (5, -1)), ValueError, "Cannot reshape"),
    "reshape two -1": (lambda: ops.reshape(_X, (-1, -1)), ValueError, "one -1"),
    "matmul inner": (lambda: ops.matmul(np.ones((2, 3)), np.ones((4, 2))), ValueError, "Inner dimensions differ"),
    "matmul batch": (lambda: ops.matmul(np.ones((2, 2, 3)), np.ones((3, 3, 2))), ValueError, "do not broadcast"),
    "matmul scalar": (lambda: ops.matmul(np.float32(2), np.ones(3)), ValueError, "Scalars"),
    "dot inner": (lambda: ops.dot(np.ones((2, 3)), np.ones(4)), ValueError, "Inner dimensions"),
    "einsum unknown output index": (lambda: ops.einsum("ij->k", np.ones((2, 3))), ValueError,
                                    "'k' appears in no operand"),
    "einsum sizes": (lambda: ops.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 2))), ValueError,
                     "'j' has sizes 3 and 4"),
    "einsum operand count": (lambda: ops.einsum("ij,jk->ik", np.ones((2, 3))), ValueError, "2 operands"),
    "einsum rank": (lambda: ops.einsum("ijk->i", np.ones((2, 3))), ValueError, "rank 2 has 3 indices"),
    "einsum malformed": (lambda: ops.einsum("ij,,->?", np.ones((2, 3))), ValueError, "Malformed"),
    "einsum diagonal sizes": (lambda: ops.einsum("ii->i", np.ones((3, 4))), ValueError, "'i' has sizes 3 and 4"),
    "einsum ellipsis sizes": (lambda: ops.einsum("...i,...i->...", np.ones((2, 3)), np.ones((4, 3))), ValueError,
                              r"Broadcast axis \(under '...'\) has sizes"),
    "tensordot sizes": (lambda: ops.tensordot(np.ones((2, 3)), np.ones((4, 2)), axes=1), ValueError, "sizes"),
    "split uneven": (lambda: ops.split(np.ones((5, 2)), 2), ValueError, "equal sections"),
    "split axis": (lambda: ops.split(np.ones((4, 2)), 2, axis=2), ValueError, "out of bounds"),
    "split zero": (lambda: ops.split(np.ones((4, 2)), 0), ValueError, "positive"),
    "take index": (lambda: ops.take(_X, np.int32([5]), axis=1), ValueError, "Index 5 is out of range"),
    "take axis": (lambda: ops.take(_X, np.int32([0]), axis=3), ValueError, "out of bounds"),
    "take_along_axis rank": (lambda: ops.take_along_axis(_X, np.zeros((2, 3, 2, 1), np.int32), axis=1), ValueError,
                             "rank"),
    "take_along_axis index": (lambda: ops.take_along_axis(_X, np.full((2, 3, 4), 9, np.int32), axis=1), ValueError,
                              "out of range"),
    "one_hot axis": (lambda: ops.one_hot(np.int32([0, 1]), 3, axis=3), ValueError, "out of bounds"),
    "tile negative": (lambda: ops.tile(_X, [-1]), ValueError, "non-negative"),
    "repeat negative": (lambda: ops.repeat(_X, -1), ValueError, "non-negative"),
    "repeat axis": (lambda: ops.repeat(_X, 2, axis=3), ValueError, "out of bounds"),
    "pad negative": (lambda: ops.pad(_X, [(-1, 0), (0, 0), (0, 0)]), ValueError, "non-negative"),
    "pad widths": (lambda: ops.pad(_X, [(1, 0), (0, 0)]), ValueError, "each of the 3 axes"),
    "pad mode": (lambda: ops.pad(_X, 1, mode="wrap"), ValueError, "mode"),
    "pad constant in reflect": (lambda: ops.pad(_X, 1, mode="reflect", constant_values=1), ValueError,
                                "constant_values"),
    "broadcast_to": (lambda: ops.broadcast_to(_X, (3, 3, 4)), ValueError, "Cannot broadcast"),
    "broadcast_to rank": (lambda: ops.broadcast_to(_X, (3, 4)), ValueError, "Cannot broadcast"),
    "cast dtype": (lambda: ops.cast(_X, "complex64"), ValueError, "Invalid dtype"),
    "arange step": (lambda: ops.arange(0, 5, 0), ValueError, "step"),
    "full shape": (lambda: ops.full((-1, 2), 1.0), ValueError, "non-negative"),
    "strings": (lambda: ops.add(np.array(["a"]), 1), TypeError, "numeric"),
    "objects": (lambda: ops.exp(np.array([None])), TypeError, "numeric"),
    "complex": (lambda: ops.add(np.array([1j]), 1), TypeError, "numeric"),
    "where without branches": (lambda: ops.where(_X > 0), ValueError, "needs both"),
    "flip axis": (lambda: ops.flip(_X, axis=3), ValueError, "flip: axis 3 is out of bounds for a tensor of rank 3"),
    "moveaxis axis": (lambda: ops.moveaxis(_X, 3, 0), ValueError, "moveaxis: axis 3 is out of bounds"),
    "swapaxes axis": (lambda: ops.swapaxes(_X, 0, 3), ValueError, "swapaxes: axis 3 is out of bounds"),
}

@pytest.mark.parametrize("call,error,match", [pytest.param(*v, id=k) for k, v in ERRORS.items()])
def test_errors_are_python_exceptions_with_clear_messages(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_the_engine_stays_usable_after_errors():
    for call, error, _ in list(ERRORS.values())[:10]:
        with pytest.raises(error):
            call()
    check(ops.add(np.float32([1, 2]), 1), [2, 3], "float32")


# ================================================================================================
# Gradients through training: one SGD step == -lr x the NumPy finite-difference gradient
# ================================================================================================

class _OpLayer(layers.Layer):
    """y = fn(x, w) for a weight `w` starting at `init`."""

    def __init__(self, fn, init, **kwargs):
        super().__init__(**kwargs)
        self.fn, self.init = fn, np.asarray(init, np.float32)

    def build(self, input_shape):
        self.w = self.add_weight(shape=self.init.shape, initializer="zeros", name="w")
        self.w.assign(self.init)

    def call(self, x):
        return self.fn(x, self.w)


_IDX = np.int32([1, 3, 3, 0])  # a repeated index: its gradients must add up
_ALONG = np.int32([[0, 2, 1], [1, 1, 0], [2, 0, 0], [3, 3, 3]])
_LABELS = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]


def _shuffled_splits(w):
    """w's columns split at 1 and 3, rearranged (one part through tanh, one doubled) and joined again."""
    first, middle, last = ops.split(w, [1, 3], axis=1)
    return ops.concatenate([last, ops.tanh(first), 2 * middle], axis=1)


def _np_gelu_exact(z):
    return 0.5 * z * (1 + _erf(z / np.sqrt(2)))


# name: (weight shape, fn with ops, the same in NumPy as fn(x, w, w0) with w0 the initial weight)
GRADIENTS = {
    "matmul+softmax+logsumexp": (
        (4, 3),
        lambda x, w: ops.softmax(ops.matmul(x, w), axis=-1) + ops.logsumexp(ops.matmul(x, w), axis=-1, keepdims=True),
        lambda x, w, w0: _softmax(x @ w) + _logsumexp(x @ w, axis=-1, keepdims=True)),
    "softmax axis 0": ((4, 3), lambda x, w: ops.softmax(ops.matmul(x, w), axis=0),
                       lambda x, w, w0: _softmax(x @ w, axis=0)),
    "log_softmax": ((4, 3), lambda x, w: ops.log_softmax(ops.matmul(x, w)),
                    lambda x, w, w0: x @ w - _logsumexp(x @ w, axis=-1, keepdims=True)),
    "logsumexp axis 0": ((4, 3), lambda x, w: ops.matmul(x, w) - ops.logsumexp(ops.matmul(x, w), axis=0, keepdims=True),
                         lambda x, w, w0: x @ w - _logsumexp(x @ w, axis=0, keepdims=True)),
    "take (repeated indices)": ((5, 3), lambda x, w: ops.matmul(x, ops.take(w, _IDX, axis=0)),
                                lambda x, w, w0: x @ w[_IDX]),
    "take_along_axis": ((4, 3), lambda x, w: ops.matmul(x, ops.take_along_axis(w, _ALONG, axis=0)),
                        lambda x, w, w0: x @ np.take_along_axis(w, _ALONG, axis=0)),
    "concatenate+split": (
        (4, 5),
        lambda x, w: ops.matmul(x, _shuffled_splits(w)),
        lambda x, w, w0: x @ np.concatenate([w[:, 3:], np.tanh(w[:, :1]), 2 * w[:, 1:3]], axis=1)),
    "stack+squeeze+expand_dims": (
        (4, 3), lambda x, w: ops.squeeze(ops.matmul(ops.expand_dims(x, 1), ops.stack([w, 2 * w], axis=0)[1]), axis=1),
        lambda x, w, w0: x @ (2 * w)),
    "pad constant": ((3, 2), lambda x, w: ops.matmul(x, ops.pad(w, [(1, 0), (0, 2)], constant_values=0.5)),
                     lambda x, w, w0: x @ np.pad(w, [(1, 0), (0, 2)], constant_values=0.5)),
    "pad reflect": ((4, 3), lambda x, w: ops.matmul(x, ops.pad(w, [(0, 0), (2, 1)], mode="reflect")),
                    lambda x, w, w0: x @ np.pad(w, [(0, 0), (2, 1)], mode="reflect")),
    "pad symmetric": ((4, 3), lambda x, w: ops.matmul(x, ops.pad(w, [(0, 0), (1, 2)], mode="symmetric")),
                      lambda x, w, w0: x @ np.pad(w, [(0, 0), (1, 2)], mode="symmetric")),
    "pad edge": ((4, 3), lambda x, w: ops.matmul(x, ops.pad(w, [(0, 0), (2, 2)], mode="edge")),
                 lambda x, w, w0: x @ np.pad(w, [(0, 0), (2, 2)], mode="edge")),
    "max and min": ((4, 3), lambda x, w: ops.max(ops.expand_dims(x, -1) * w, axis=1) +
                    ops.min(ops.expand_dims(x, -1) * w, axis=1),
                    lambda x, w, w0: (x[:, :, None] * w).max(1) + (x[:, :, None] * w).min(1)),
    "einsum": ((3,), lambda x, w: ops.reshape(ops.einsum("bi,j->bij", x, w), (-1, 12)),
               lambda x, w, w0: np.einsum("bi,j->bij", x, w).reshape(-1, 12)),
    "dot+tensordot": ((4, 3), lambda x, w: ops.dot(x, w) + ops.tensordot(x, w, axes=1), lambda x, w, w0: 2 * (x @ w)),
    "indexing": ((4, 5), lambda x, w: ops.matmul(x, w[::-1, 4:0:-2]), lambda x, w, w0: x @ w[::-1, 4:0:-2]),
    "slice": ((4, 5), lambda x, w: ops.matmul(x, ops.slice(w, (0, 1), (4, 3))), lambda x, w, w0: x @ w[:, 1:4]),
    "transpose+reshape": ((3, 4), lambda x, w: ops.matmul(x, ops.reshape(ops.transpose(w), (4, 3))),
                          lambda x, w, w0: x @ w.T.reshape(4, 3)),
    "moveaxis+flip": ((3, 4), lambda x, w: ops.matmul(x, ops.flip(ops.moveaxis(w, 0, 1), axis=0)),
                      lambda x, w, w0: x @ np.flip(w.T, 0)),
    "tile+repeat": ((2, 3),
                    lambda x, w: ops.matmul(x, ops.concatenate([ops.tile(w, [1, 2]), ops.repeat(w, 2, axis=1)])),
                    lambda x, w, w0: x @ np.concatenate([np.tile(w, [1, 2]), np.repeat(w, 2, axis=1)])),
    "broadcasting add": ((1, 4), lambda x, w: x + w, lambda x, w, w0: x + w),
    "broadcast_to": ((4, 1), lambda x, w: ops.matmul(x, ops.broadcast_to(w, (4, 3))),
                     lambda x, w, w0: x @ np.broadcast_to(w, (4, 3))),
    "where+clip": ((4,), lambda x, w: ops.where(x > 0, ops.clip(x * w, -0.5, 0.5), w * w),
                   lambda x, w, w0: np.where(x > 0, np.clip(x * w, -0.5, 0.5), w * w)),
    "divide+power+sqrt+abs": (
        (4,), lambda x, w: ops.divide(x, ops.sqrt(ops.power(w, 2.0) + 1.0)) + ops.power(ops.abs(w) + 0.5, 3.0),
        lambda x, w, w0: x / np.sqrt(w**2 + 1) + (np.abs(w) + 0.5) ** 3),
    "var+std+mean": (
        (4, 3), lambda x, w: ops.concatenate([ops.var(ops.matmul(x, w), axis=-1, keepdims=True),
                                              ops.std(ops.matmul(x, w), axis=-1, keepdims=True),
                                              ops.mean(ops.matmul(x, w), axis=-1, keepdims=True)], axis=-1),
        lambda x, w, w0: np.concatenate([(x @ w).var(-1, keepdims=True), (x @ w).std(-1, keepdims=True),
                                         (x @ w).mean(-1, keepdims=True)], -1)),
    "prod": ((4,), lambda x, w: ops.prod(x * w + 2.0, axis=-1, keepdims=True),
             lambda x, w, w0: (x * w + 2).prod(-1, keepdims=True)),
    "sum over axis tuple": ((4, 3, 2), lambda x, w: ops.matmul(x, ops.sum(w * w, axis=(1, 2))[:, None] * w[:, :, 0]),
                            lambda x, w, w0: x @ ((w * w).sum((1, 2))[:, None] * w[:, :, 0])),
    "activations": (
        (4,), lambda x, w: ops.concatenate([ops.gelu(x * w, approximate=False), ops.gelu(x * w), ops.silu(x * w),
                                            ops.softplus(x * w), ops.elu(x * w), ops.selu(x * w), ops.leaky_relu(x * w),
                                            ops.sigmoid(x * w), ops.log_sigmoid(x * w), ops.softsign(x * w),
                                            ops.relu(x * w), ops.hard_sigmoid(x * w)], axis=-1),
        lambda x, w, w0: np.concatenate([f(x * w) for f in (
            _np_gelu_exact, _gelu_tanh, ACTIVATIONS["silu"], ACTIVATIONS["softplus"], ACTIVATIONS["elu"],
            ACTIVATIONS["selu"], ACTIVATIONS["leaky_relu"], ACTIVATIONS["sigmoid"], ACTIVATIONS["log_sigmoid"],
            ACTIVATIONS["softsign"], ACTIVATIONS["relu"], ACTIVATIONS["hard_sigmoid"])], -1)),
    "unary math": (
        (4,), lambda x, w: ops.concatenate([ops.exp(x * w), ops.log(ops.abs(w) + 1.0) + x, ops.sin(x * w),
                                            ops.cos(x * w), ops.tanh(x * w), ops.arctan(x * w), ops.square(x * w),
                                            ops.reciprocal(w * w + 1.0) + x, ops.log1p(ops.abs(x * w)),
                                            ops.expm1(x * w * 0.1), ops.sinh(x * w * 0.3), ops.cosh(x * w * 0.3),
                                            ops.arcsinh(x * w), ops.rsqrt(w * w + 1.0) + x, ops.erf(x * w)], axis=-1),
        lambda x, w, w0: np.concatenate([np.exp(x * w), np.log(np.abs(w) + 1) + x, np.sin(x * w), np.cos(x * w),
                                         np.tanh(x * w), np.arctan(x * w), (x * w) ** 2, 1 / (w * w + 1) + x,
                                         np.log1p(np.abs(x * w)), np.expm1(x * w * 0.1), np.sinh(x * w * 0.3),
                                         np.cosh(x * w * 0.3), np.arcsinh(x * w), 1 / np.sqrt(w * w + 1) + x,
                                         _erf(x * w)], -1)),
    "binary math": (
        (4,), lambda x, w: ops.concatenate([ops.maximum(x, w), ops.minimum(x, w), ops.arctan2(x, w),
                                            ops.arctan2(w, x + 3.0), ops.subtract(x, w) * w, ops.mod(w, 0.7) * x],
                                           axis=-1),
        lambda x, w, w0: np.concatenate([np.maximum(x, w), np.minimum(x, w), np.arctan2(x, w), np.arctan2(w, x + 3),
                                         (x - w) * w, np.mod(w, 0.7) * x], -1)),
    "normalize+moments": (
        (4, 3), lambda x, w: ops.normalize(ops.matmul(x, w), axis=-1) +
        ops.moments(ops.matmul(x, w), axes=[-1], keepdims=True)[1],
        lambda x, w, w0: (x @ w) / np.linalg.norm(x @ w, axis=-1, keepdims=True) + (x @ w).var(-1, keepdims=True)),
    "categorical_crossentropy": (
        (4, 3),
        lambda x, w: ops.expand_dims(ops.categorical_crossentropy(_LABELS, ops.matmul(x, w), from_logits=True), -1),
        lambda x, w, w0: -np.sum(_LABELS * (x @ w - _logsumexp(x @ w, axis=-1, keepdims=True)), -1, keepdims=True)),
    "stop_gradient and integer casts": (
        (4, 3), lambda x, w: ops.matmul(x, w) + ops.stop_gradient(ops.matmul(x, w * w)) +
        ops.matmul(x, ops.cast(ops.cast(w * 3.0, "int32"), "float32")),
        lambda x, w, w0: x @ w + x @ (w0 * w0) + x @ np.trunc(w0 * 3)),
}


@pytest.mark.parametrize("name", list(GRADIENTS))
def test_gradient_of_one_sgd_step_matches_finite_differences(name, rng):
    shape, fn, fn_np = GRADIENTS[name]
    x = rng.normal(size=(6, 4)).astype(np.float32)
    w0 = rng.normal(size=shape).astype(np.float32)
    layer = _OpLayer(fn, w0)
    model = swiftnet.Sequential([swiftnet.Input((4,)), layer])
    prediction = model.predict(x, verbose=0)
    expected = fn_np(f64(x), f64(w0), f64(w0))
    np.testing.assert_allclose(prediction, expected, rtol=1e-5, atol=1e-5)  # the forward pass first
    y = rng.normal(size=expected.shape).astype(np.float32)
    lr = 0.05
    model.compile(optimizer=swiftnet.optimizers.SGD(learning_rate=lr), loss="mse")
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    gradient = (w0 - layer.w.numpy()) / lr

    def loss(w):
        return np.mean((fn_np(f64(x), w, f64(w0)) - y) ** 2)

    numeric, eps = np.zeros(shape), 1e-6
    for i in np.ndindex(*shape):
        step = np.zeros(shape)
        step[i] = eps
        numeric[i] = (loss(f64(w0) + step) - loss(f64(w0) - step)) / (2 * eps)
    assert np.abs(numeric).max() > 1e-3  # the check is not vacuous
    np.testing.assert_allclose(gradient, numeric, rtol=1e-3, atol=1e-4 * np.abs(numeric).max())


# ================================================================================================
# The same ops on symbolic tensors (inside a model) compute what they compute eagerly
# ================================================================================================

SYMBOLIC = {
    "exp": lambda t: ops.exp(t), "add scalar": lambda t: ops.add(t, 2), "rsub": lambda t: 1.5 - t,
    "pow": lambda t: ops.power(ops.abs(t), 1.5), "floor_divide": lambda t: ops.floor_divide(t, 0.75),
    "mod": lambda t: ops.mod(t, 0.75), "where": lambda t: ops.where(t > 0, t, 0.5 * t),
    "clip": lambda t: ops.clip(t, -0.5, 0.5), "sum": lambda t: ops.sum(t, axis=(1, 2)),
    "mean keepdims": lambda t: ops.mean(t, axis=-1, keepdims=True), "std": lambda t: ops.std(t, axis=1),
    "logsumexp": lambda t: ops.logsumexp(t, axis=1), "argmax": lambda t: ops.argmax(t, axis=-1),
    "prod": lambda t: ops.prod(t, axis=-1), "matmul": lambda t: ops.matmul(t, np.float32(np.arange(20).reshape(5, 4))),
    "einsum": lambda t: ops.einsum("bij,bkj->bik", t, t), "transpose": lambda t: ops.transpose(t, (0, 2, 1)),
    "reshape": lambda t: ops.reshape(t, (-1, 5, 4)), "concatenate": lambda t: ops.concatenate([t, 2 * t], axis=1),
    "split": lambda t: ops.split(t, [1, 3], axis=2)[1], "take": lambda t: ops.take(t, np.int32([3, 0, 3]), axis=1),
    "take_along_axis": lambda t: ops.take_along_axis(t, np.int32([[[0], [1], [2], [3]]]), axis=2),
    "pad reflect": lambda t: ops.pad(t, [(0, 0), (1, 2), (2, 1)], mode="reflect"),
    "tile": lambda t: ops.tile(t, [1, 2, 1]), "repeat": lambda t: ops.repeat(t, 2, axis=1),
    "softmax axis 1": lambda t: ops.softmax(t, axis=1), "gelu exact": lambda t: ops.gelu(t, approximate=False),
    "sigmoid+log_softmax": lambda t: ops.log_softmax(ops.sigmoid(t) * 3, axis=-1),
}


@pytest.mark.parametrize("name", list(SYMBOLIC))
def test_symbolic_ops_compute_what_eager_ops_compute(name, rng):
    fn = SYMBOLIC[name]
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    inputs = swiftnet.Input((4, 5))
    model = swiftnet.Model(inputs, fn(inputs))
    eager = fn(x)
    symbolic = model.predict(x, verbose=0)
    assert symbolic.shape == eager.shape
    np.testing.assert_allclose(symbolic, eager.astype(np.float32), rtol=1e-5, atol=1e-6)


# ================================================================================================
# Every op is covered
# ================================================================================================

COVERED_ELSEWHERE = {
    "amax", "amin", "average", "binary_crossentropy", "broadcast_to", "cast", "categorical_crossentropy", "clip",
    "concatenate", "convert_to_numpy", "convert_to_tensor", "divide_no_nan", "dot", "dtype", "einsum", "elu",
    "expand_dims", "eye", "flip", "full", "full_like", "gelu", "identity", "leaky_relu", "log_softmax", "logsumexp",
    "matmul", "moments", "moveaxis", "ndim", "normalize", "one_hot", "ones", "ones_like", "outer", "pad", "ravel",
    "repeat", "reshape", "shape", "size", "slice", "softmax", "sparse_categorical_crossentropy", "split", "squeeze",
    "stack", "stop_gradient", "swapaxes", "take", "take_along_axis", "tensordot", "tile", "transpose", "where",
    "zeros", "zeros_like", "arange",
}


def test_every_public_op_is_covered_by_this_file():
    public = {n for n in ops.__all__ if callable(getattr(ops, n)) and not inspect.ismodule(getattr(ops, n))}
    covered = (set(UNARY) | set(PREDICATES) | set(ARITHMETIC) | set(COMPARISONS) | set(LOGICAL) | set(REDUCTIONS)
               | set(ACTIVATIONS) | COVERED_ELSEWHERE)
    assert public - covered == set(), f"ops without a test here: {sorted(public - covered)}"
