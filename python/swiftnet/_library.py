"""The one module that talks to libswiftnet: loads it, declares the C signatures of
`swiftnet.h`, and turns every failed status into a Python exception."""

import ctypes
import json
import os
import pathlib
import re

import numpy as np

OK = 0
ERROR_VALUE = 1
ERROR_TYPE = 2
ERROR_STATE = 3
ERROR_INTERNAL = 4
ERROR_MEMORY = 5

MODE_TRAIN = "train"
MODE_EVALUATE = "evaluate"
MODE_PREDICT = "predict"

# Element types of dataset arrays (swiftnet.h SN_DTYPE_*); bool arrays travel as float32 0/1.
DTYPES = {np.dtype(np.float32): 0, np.dtype(np.int32): 1, np.dtype(np.int64): 2}
DTYPE_BOOL = 3
DTYPE_NAMES = {"float32": np.float32, "int32": np.int32, "int64": np.int64, "bool": np.bool_}

_c_float_p = ctypes.POINTER(ctypes.c_float)
_c_int64_p = ctypes.POINTER(ctypes.c_int64)
_c_int32_p = ctypes.POINTER(ctypes.c_int32)
_c_double_p = ctypes.POINTER(ctypes.c_double)
_handle = ctypes.c_void_p

# name: (restype, argtypes), mirroring swiftnet.h (a test checks the two agree).
SIGNATURES = {
    "sn_version": (ctypes.c_char_p, []),
    "sn_last_error": (ctypes.c_char_p, []),
    "sn_set_num_threads": (ctypes.c_int32, [ctypes.c_int32]),
    "sn_get_num_threads": (ctypes.c_int32, []),
    "sn_layer_validate": (ctypes.c_int32, [ctypes.c_char_p]),
    "sn_infer": (ctypes.c_int32, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int64, _c_int64_p]),
    "sn_op_run": (ctypes.c_int32, [ctypes.c_char_p, _handle, _handle]),
    "sn_tape_gradients": (ctypes.c_int32, [ctypes.c_char_p, _handle, _handle, ctypes.POINTER(_handle), ctypes.c_int32]),
    "sn_optimizer_create": (ctypes.c_int32, [ctypes.c_char_p, ctypes.POINTER(_handle)]),
    "sn_optimizer_apply": (ctypes.c_int32, [_handle, _handle, _handle]),
    "sn_optimizer_iterations": (ctypes.c_int32, [_handle, _c_int64_p]),
    "sn_optimizer_set_learning_rate": (ctypes.c_int32, [_handle, ctypes.c_double]),
    "sn_optimizer_free": (None, [_handle]),
    "sn_step_session_create": (ctypes.c_int32, [ctypes.c_char_p, _handle, ctypes.POINTER(_handle), ctypes.c_int32,
                                                ctypes.POINTER(_handle), ctypes.c_int32, ctypes.c_char_p,
                                                ctypes.POINTER(_handle)]),
    "sn_step_session_begin_epoch": (ctypes.c_int32, [_handle, ctypes.c_int64]),
    "sn_step_session_run": (ctypes.c_int32, [_handle, ctypes.c_int64, ctypes.c_double, _c_int32_p, _c_int64_p]),
    "sn_step_session_logs": (ctypes.c_int32, [_handle, _c_double_p, ctypes.c_int32, _c_int32_p]),
    "sn_step_session_states": (ctypes.c_int32, [_handle, _handle, ctypes.c_int32]),
    "sn_step_session_set_output": (ctypes.c_int32, [_handle, ctypes.c_int32, ctypes.c_void_p, ctypes.c_int64,
                                                    ctypes.c_int32]),
    "sn_step_session_free": (None, [_handle]),
    "sn_initializer_fill": (ctypes.c_int32, [ctypes.c_char_p, _c_int64_p, ctypes.c_int32, ctypes.c_uint64, _c_float_p,
                                             ctypes.c_int64]),
    "sn_model_create": (ctypes.c_int32, [ctypes.c_char_p, ctypes.POINTER(_handle)]),
    "sn_model_free": (None, [_handle]),
    "sn_model_describe": (ctypes.c_int32, [_handle, ctypes.c_char_p, ctypes.c_int64, _c_int64_p]),
    "sn_model_get_weight": (ctypes.c_int32, [_handle, ctypes.c_int32, ctypes.c_int32, _c_float_p, ctypes.c_int64]),
    "sn_model_set_weight": (ctypes.c_int32, [_handle, ctypes.c_int32, ctypes.c_int32, _c_float_p, ctypes.c_int64]),
    "sn_model_compile": (ctypes.c_int32, [_handle, ctypes.c_char_p]),
    "sn_model_get_learning_rate": (ctypes.c_int32, [_handle, _c_double_p]),
    "sn_model_set_learning_rate": (ctypes.c_int32, [_handle, ctypes.c_double]),
    "sn_model_optimizer_state": (ctypes.c_int32, [_handle, ctypes.c_char_p, ctypes.c_int64, ctypes.POINTER(ctypes.c_int64)]),
    "sn_model_set_optimizer_state": (ctypes.c_int32, [_handle, ctypes.c_int64, ctypes.POINTER(ctypes.c_float), ctypes.c_int32]),
    "sn_model_optimizer_slot": (ctypes.c_int32, [_handle, ctypes.c_int32, ctypes.c_int32, ctypes.POINTER(ctypes.c_float),
                                                 ctypes.c_int64, ctypes.c_int32]),
    "sn_dataset_create": (ctypes.c_int32, [ctypes.POINTER(_handle)]),
    "sn_dataset_add_array": (ctypes.c_int32, [_handle, ctypes.c_char_p, ctypes.c_int32, ctypes.c_void_p, _c_int64_p,
                                              ctypes.c_int32]),
    "sn_dataset_free": (None, [_handle]),
    "sn_session_create": (ctypes.c_int32, [_handle, _handle, ctypes.c_char_p, ctypes.POINTER(_handle)]),
    "sn_session_feed": (ctypes.c_int32, [_handle, _handle, ctypes.c_int64]),
    "sn_distribution_initialize": (ctypes.c_int32, [ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int64)]),
    "sn_distribution_abort": (ctypes.c_int32, [ctypes.c_int32]),
    "sn_distribution_finalize": (ctypes.c_int32, []),
    "sn_distribution_stats": (ctypes.c_int32, [ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int64)]),
    "sn_session_output_shape": (ctypes.c_int32, [_handle, ctypes.c_int32, _c_int64_p, ctypes.c_int32, _c_int32_p]),
    "sn_session_output_dtype": (ctypes.c_int32, [_handle, ctypes.c_int32, _c_int32_p]),
    "sn_session_set_output": (ctypes.c_int32, [_handle, ctypes.c_int32, ctypes.c_void_p, ctypes.c_int64]),
    "sn_session_free": (None, [_handle]),
    "sn_session_begin_epoch": (ctypes.c_int32, [_handle, ctypes.c_int64]),
    "sn_session_run": (ctypes.c_int32, [_handle, ctypes.c_int64, ctypes.c_double, _c_int32_p]),
    "sn_session_progress": (ctypes.c_int32, [_handle, _c_int64_p, _c_int64_p]),
    "sn_session_log_names": (ctypes.c_int32, [_handle, ctypes.c_char_p, ctypes.c_int64, _c_int64_p]),
    "sn_session_log_values": (ctypes.c_int32, [_handle, _c_double_p, ctypes.c_int32, _c_int32_p]),
    "sn_eval_roc_curve": (ctypes.c_int32, [_c_double_p, _c_int32_p, _c_double_p, ctypes.c_int64, ctypes.c_int32,
                                           _c_double_p, _c_double_p, _c_double_p, ctypes.c_int64, _c_int64_p,
                                           _c_double_p]),
    "sn_eval_precision_recall_curve": (ctypes.c_int32, [_c_double_p, _c_int32_p, _c_double_p, ctypes.c_int64,
                                                        ctypes.c_int32, _c_double_p, _c_double_p, _c_double_p,
                                                        ctypes.c_int64, _c_int64_p, _c_double_p]),
    "sn_eval_average_precision": (ctypes.c_int32, [_c_double_p, _c_int32_p, _c_double_p, ctypes.c_int64, _c_double_p,
                                                   _c_double_p]),
    "sn_eval_auc": (ctypes.c_int32, [_c_double_p, _c_double_p, ctypes.c_int64, _c_double_p]),
    "sn_eval_confusion_matrix": (ctypes.c_int32, [_c_int64_p, _c_int64_p, _c_double_p, ctypes.c_int64, ctypes.c_int64,
                                                  _c_double_p]),
    "sn_eval_class_totals": (ctypes.c_int32, [_c_int64_p, _c_int64_p, _c_double_p, ctypes.c_int64, ctypes.c_int64,
                                              _c_double_p, _c_double_p, _c_double_p]),
}


# x86-64-v4: the AVX-512 subsets the AVX-512 copy of the library is compiled for (setup.py).
AVX512_FEATURES = ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL")
BASELINE_LIBRARY = "libswiftnet.so"
AVX512_LIBRARY = "libswiftnet_avx512.so"


def _cpuinfo_text():
    try:
        return pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def cpu_features():
    """The instruction-set extensions of this CPU that the OS enables, as upper-case names
    ("AVX2", "AVX512F", …). NumPy's run-time dispatch reads them with CPUID and XGETBV, which see
    what the CPU really offers, an emulated one included (`qemu-x86_64 -cpu Haswell`, where
    /proc/cpuinfo describes the host); /proc/cpuinfo's flags are the fallback."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:
        try:
            from numpy.core._multiarray_umath import __cpu_features__  # NumPy 1.x
        except ImportError:
            __cpu_features__ = None
    if isinstance(__cpu_features__, dict) and __cpu_features__:
        return {name for name, present in __cpu_features__.items() if present}
    for line in _cpuinfo_text().splitlines():
        if line.startswith("flags"):
            return {flag.upper() for flag in line.split(":", 1)[1].split()}
    return set()


def choose_library(lib_dir, features):
    """The library in `lib_dir` for a CPU with `features` (see `cpu_features`): the AVX-512 build
    when there is one and the CPU has every extension it was compiled for, else the baseline."""
    lib_dir = pathlib.Path(lib_dir)
    if (lib_dir / AVX512_LIBRARY).exists() and set(AVX512_FEATURES) <= set(features):
        return lib_dir / AVX512_LIBRARY
    return lib_dir / BASELINE_LIBRARY


KERNEL_PATHS = {"avx2": BASELINE_LIBRARY, "avx512": AVX512_LIBRARY}


def library_path():
    """Where libswiftnet is: $SWIFTNET_LIBRARY, else the copy installed inside the package that
    suits this CPU (`choose_library`), or the one $SWIFTNET_CPU forces ("avx2", "avx512"; "auto"
    is the default), as the thread count is forced, to test or compare the kernel paths."""
    override = os.environ.get("SWIFTNET_LIBRARY")
    if override:
        return pathlib.Path(override)
    lib_dir = pathlib.Path(__file__).resolve().parent / "lib"
    forced = os.environ.get("SWIFTNET_CPU", "auto").strip().lower() or "auto"
    if forced == "auto":
        return choose_library(lib_dir, cpu_features())
    if forced not in KERNEL_PATHS:
        raise ImportError(f"Unknown SWIFTNET_CPU={forced!r}: expected 'auto', 'avx2' or 'avx512'.")
    if forced == "avx512" and not set(AVX512_FEATURES) <= cpu_features():
        missing = sorted(set(AVX512_FEATURES) - cpu_features())
        raise ImportError(f"SWIFTNET_CPU=avx512, but this CPU lacks {', '.join(missing)}: the AVX-512 kernels "
                          "cannot run here. Use SWIFTNET_CPU=avx2 or auto.")
    path = lib_dir / KERNEL_PATHS[forced]
    if not path.exists():
        raise ImportError(f"SWIFTNET_CPU={forced}, but this installation has no {path.name} (`pip install .` and "
                          "the binary wheels build both kernel paths).")
    return path


# The library this process loaded (set by `_load`).
loaded_path = None


def kernel_path():
    """The kernel path of the loaded library: "avx512", "avx2", or "custom" ($SWIFTNET_LIBRARY)."""
    if loaded_path is None or loaded_path.parent != pathlib.Path(__file__).resolve().parent / "lib":
        return "custom"
    return next((path for path, library in KERNEL_PATHS.items() if library == loaded_path.name), "custom")


def _select_blas_kernels():
    """Debian's OpenBLAS (0.3.21) does not recognise AMD's AVX-512 cores (Zen 4/5) and falls back to
    its AVX2 kernels at a third of the speed; its SkylakeX kernels run there. Must happen before
    the library (and OpenBLAS with it) is loaded; an explicit OPENBLAS_CORETYPE is kept."""
    if "OPENBLAS_CORETYPE" in os.environ:
        return
    if "AuthenticAMD" in _cpuinfo_text() and set(AVX512_FEATURES) <= cpu_features():
        os.environ["OPENBLAS_CORETYPE"] = "SKYLAKEX"


def _load():
    global loaded_path
    _select_blas_kernels()
    path = library_path()
    loaded_path = path
    if not path.exists():
        raise ImportError(
            f"swiftnet's native library was not found at {path}. Install the package with "
            "`pip install .` from the source tree (it builds the Swift library), or set "
            "SWIFTNET_LIBRARY to a built libswiftnet.so, or install a binary wheel (README: Binary wheels).")
    # CDLL (not PyDLL): ctypes releases the GIL for the duration of every call.
    lib = ctypes.CDLL(str(path))
    for name, (restype, argtypes) in SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


lib = _load()

class StateError(ValueError, RuntimeError):
    """A call made in the wrong order, e.g. `fit` before `compile` (Keras raises ValueError here)."""


_EXCEPTIONS = {ERROR_VALUE: ValueError, ERROR_TYPE: TypeError, ERROR_STATE: StateError, ERROR_MEMORY: MemoryError}
_FUNCTION_PREFIX = re.compile(r"^\[sn_\w+\] ")


def check(status):
    """Raises the exception matching a failed status, with the library's message (without the C
    function's name that starts it: Python users called a Keras method, not the C function)."""
    if status != OK:
        message = _FUNCTION_PREFIX.sub("", lib.sn_last_error().decode("utf-8", "replace"))
        raise _EXCEPTIONS.get(status, RuntimeError)(message)


def version():
    return lib.sn_version().decode()


def float_pointer(array):
    """A float* into a float32 C-contiguous array (None for None): no copy."""
    if array is None:
        return None
    return array.ctypes.data_as(_c_float_p)


def shape_array(shape):
    return (ctypes.c_int64 * max(len(shape), 1))(*shape)


def read_text(fn, *args):
    """Calls a `(…, char *buffer, int64_t capacity, int64_t *length)` function and decodes the text."""
    length = ctypes.c_int64(0)
    check(fn(*args, None, 0, ctypes.byref(length)))
    buffer = ctypes.create_string_buffer(length.value + 1)
    check(fn(*args, buffer, length.value + 1, ctypes.byref(length)))
    return buffer.value.decode("utf-8")


def to_json(value):
    """JSON text for the engine: NaN and infinities are written as Python's json writes them, and
    the engine rejects them naming the argument."""
    return json.dumps(value).encode()


def validate_layer(layer_spec):
    """Checks a layer's config natively, raising the engine's error."""
    check(lib.sn_layer_validate(to_json(layer_spec)))


def infer(node, input_specs):
    """Output specs [(shape, dtype)] of an op ({"op": …}) or layer ({"layer": …}) for input specs
    [(shape with None, dtype)]."""
    specs = [{"shape": [None if d is None else int(d) for d in shape], "dtype": dtype} for shape, dtype in input_specs]
    text = read_text(lib.sn_infer, to_json(node), to_json(specs))
    return [(tuple(spec["shape"]), spec["dtype"]) for spec in json.loads(text)]


def _add(dataset, name, array, dtype_code=None):
    check(lib.sn_dataset_add_array(dataset, name.encode(), DTYPES[array.dtype] if dtype_code is None else dtype_code,
                                   array.ctypes.data, shape_array(array.shape), array.ndim))


def run_op(node, operands):
    """Runs an op on NumPy arrays (float32, int32, int64 or bool) and returns its results."""
    specs = infer(node, [(a.shape, "bool" if a.dtype == np.bool_ else a.dtype.name) for a in operands])
    results = [np.empty(shape, dtype=np.float32 if dtype == "bool" else DTYPE_NAMES[dtype]) for shape, dtype in specs]
    inputs, outputs = _handle(), _handle()
    check(lib.sn_dataset_create(ctypes.byref(inputs)))
    try:
        check(lib.sn_dataset_create(ctypes.byref(outputs)))
        try:
            keep = []
            for i, a in enumerate(operands):
                if a.dtype == np.bool_:
                    a = a.astype(np.float32)
                    keep.append(a)
                    _add(inputs, str(i), a, DTYPE_BOOL)
                else:
                    _add(inputs, str(i), a)
            for i, (r, (_, dtype)) in enumerate(zip(results, specs)):
                _add(outputs, str(i), r, DTYPE_BOOL if dtype == "bool" else None)
            check(lib.sn_op_run(to_json(node), inputs, outputs))
        finally:
            lib.sn_dataset_free(outputs)
    finally:
        lib.sn_dataset_free(inputs)
    return [r.astype(np.bool_) if dtype == "bool" else r for r, (_, dtype) in zip(results, specs)]


def initializer_values(spec, shape, seed):
    """The values a Keras initializer (engine form) gives a weight of `shape`."""
    out = np.empty(shape, dtype=np.float32)
    check(lib.sn_initializer_fill(to_json(spec), shape_array(shape), len(shape), int(seed) & 0xFFFFFFFFFFFFFFFF,
                                  float_pointer(out), out.size))
    return out


class NativeModel:
    """Owns an `sn_model*`; every method is one C call."""

    def __init__(self, spec):
        handle = _handle()
        check(lib.sn_model_create(to_json(spec), ctypes.byref(handle)))
        self.handle = handle

    def __del__(self):
        handle, self.handle = getattr(self, "handle", None), None
        if handle and lib is not None:
            lib.sn_model_free(handle)

    def describe(self):
        return json.loads(read_text(lib.sn_model_describe, self.handle))

    def describe_cached(self):
        """The description as first read: layers, weights and variables never change after creation."""
        cached = getattr(self, "_description", None)
        if cached is None:
            cached = self._description = self.describe()
        return cached

    def get_weight(self, layer_index, weight_index, shape):
        """Weight `weight_index` of layer `layer_index`, or with layer_index -1 variable `weight_index`."""
        out = np.empty(shape, dtype=np.float32)
        check(lib.sn_model_get_weight(self.handle, layer_index, weight_index, float_pointer(out), out.size))
        return out

    def set_weight(self, layer_index, weight_index, values):
        values = np.ascontiguousarray(values, dtype=np.float32)
        check(lib.sn_model_set_weight(self.handle, layer_index, weight_index, float_pointer(values), values.size))

    def compile(self, settings):
        check(lib.sn_model_compile(self.handle, to_json(settings)))

    def get_learning_rate(self):
        value = ctypes.c_double(0)
        check(lib.sn_model_get_learning_rate(self.handle, ctypes.byref(value)))
        return value.value

    def set_learning_rate(self, value):
        check(lib.sn_model_set_learning_rate(self.handle, float(value)))

    def get_optimizer_state(self):
        """The optimizer's state: {"class_name", "iterations", "slot_names", "extra", "weights" (where
        each optimized weight lives), "slots": per weight a list of float32 arrays (empty lists
        before the first update)}."""
        state = json.loads(read_text(lib.sn_model_optimizer_state, self.handle))
        slots = []
        for w, sizes in enumerate(state.pop("sizes")):
            arrays = []
            for s, size in enumerate(sizes):
                values = np.empty(int(size), np.float32)
                check(lib.sn_model_optimizer_slot(self.handle, w, s, values.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                                  values.size, 0))
                arrays.append(values)
            slots.append(arrays)
        state["slots"] = slots
        return state

    def set_optimizer_state(self, iterations, slots=None, extra=()):
        """Restores `iterations`, `extra` and, when given, every slot (`slots[w][s]` arrays of the
        sizes `get_optimizer_state` reports)."""
        extra = np.ascontiguousarray(np.asarray(extra, np.float32).ravel())
        check(lib.sn_model_set_optimizer_state(self.handle, int(iterations),
                                               extra.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), extra.size))
        for w, arrays in enumerate(slots or []):
            for s, values in enumerate(arrays):
                values = np.ascontiguousarray(np.asarray(values, np.float32).ravel())
                check(lib.sn_model_optimizer_slot(self.handle, w, s, values.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                                  values.size, 1))


class NativeDataset:
    """Owns an `sn_dataset*` and the arrays it points to (bool arrays as float32 0/1)."""

    def __init__(self, arrays):
        handle = _handle()
        check(lib.sn_dataset_create(ctypes.byref(handle)))
        self.handle = handle
        self.arrays = {}
        for name, array in arrays.items():
            code = None
            if array.dtype == np.bool_:
                array, code = array.astype(np.float32), DTYPE_BOOL
            if array.dtype not in DTYPES or not array.flags.c_contiguous:
                raise TypeError(f"internal: array '{name}' must be C-contiguous float32, int32 or int64")
            self.arrays[name] = array
            _add(handle, name, array, code)

    def close(self):
        handle, self.handle = getattr(self, "handle", None), None
        if handle and lib is not None:
            lib.sn_dataset_free(handle)

    __del__ = close


class NativeSession:
    """Owns an `sn_session*` and keeps the arrays it reads alive as long as it lives. `arrays` are
    named as the engine reads them ("x0", "y0", "sw0", …); predict sessions allocate their output
    arrays (`outputs`), which the engine fills."""

    def __init__(self, model, mode, arrays, objective=None, batch_size=32, shuffle=False, seed=0, distributed=False):
        dataset = NativeDataset(arrays)
        self._arrays = dataset.arrays
        options = {"mode": mode, "batch_size": int(batch_size), "shuffle": bool(shuffle), "seed": int(seed) & (2**53 - 1),
                   "distributed": bool(distributed)}
        if objective is not None:
            options["objective"] = objective
        handle = _handle()
        try:
            check(lib.sn_session_create(model.handle, dataset.handle, to_json(options), ctypes.byref(handle)))
        finally:
            dataset.close()
        self.handle = handle
        self.model = model
        self._buffers = []
        if mode == MODE_PREDICT:
            index = 0
            while True:
                shape = (ctypes.c_int64 * 16)()
                rank = ctypes.c_int32(0)
                if lib.sn_session_output_shape(self.handle, index, shape, 16, ctypes.byref(rank)) != OK:
                    break
                dtype = ctypes.c_int32(0)
                check(lib.sn_session_output_dtype(self.handle, index, ctypes.byref(dtype)))
                # Bool outputs arrive as float32 0/1 (see `outputs`).
                storage = {1: np.int32, 2: np.int64}.get(dtype.value, np.float32)
                out = np.empty(tuple(shape[i] for i in range(rank.value)), dtype=storage)
                check(lib.sn_session_set_output(self.handle, index, out.ctypes.data_as(ctypes.c_void_p), out.size))
                self._buffers.append((out, dtype.value == DTYPE_BOOL))
                index += 1
        self._raw_names = json.loads(read_text(lib.sn_session_log_names, self.handle))
        # Vector results log one "name#i" per element; `names` has each name once.
        self.names = list(dict.fromkeys(n.partition("#")[0] for n in self._raw_names))

    @property
    def outputs(self):
        """The predictions written so far, one array per model output, in the output's dtype."""
        return [buffer != 0 if is_bool else buffer for buffer, is_bool in self._buffers]

    def close(self):
        handle, self.handle = getattr(self, "handle", None), None
        if handle and lib is not None:
            lib.sn_session_free(handle)

    __del__ = close

    def begin_epoch(self, epoch):
        check(lib.sn_session_begin_epoch(self.handle, int(epoch)))

    def run(self, max_steps=1 << 62, max_seconds=0.0):
        finished = ctypes.c_int32(0)
        check(lib.sn_session_run(self.handle, max_steps, max_seconds, ctypes.byref(finished)))
        return bool(finished.value)

    def progress(self):
        done, total = ctypes.c_int64(0), ctypes.c_int64(0)
        check(lib.sn_session_progress(self.handle, ctypes.byref(done), ctypes.byref(total)))
        return done.value, total.value

    def feed(self, arrays, batch_size):
        """Streams the next arrays of a train or evaluate pass (see `sn_session_feed`); they stay
        alive until the next feed."""
        dataset = NativeDataset(arrays)
        try:
            check(lib.sn_session_feed(self.handle, dataset.handle, int(batch_size)))
        finally:
            dataset.close()
        self._arrays = dataset.arrays

    def logs(self):
        values = (ctypes.c_double * max(len(self._raw_names), 1))()
        count = ctypes.c_int32(0)
        check(lib.sn_session_log_values(self.handle, values, len(self._raw_names), ctypes.byref(count)))
        logs = {}
        for i, name in enumerate(self._raw_names[:count.value]):
            base, _, element = name.partition("#")
            if element:  # a metric's vector result, one element per name (see Objective.resultLogNames)
                logs.setdefault(base, []).append(float(values[i]))
            else:
                logs[name] = float(values[i])
        return {k: np.array(v, np.float32) if isinstance(v, list) else v for k, v in logs.items()}


def set_num_threads(count):
    check(lib.sn_set_num_threads(count))


def get_num_threads():
    return int(lib.sn_get_num_threads())
