"""What every benchmark prints beside its figures: the CPU's SIMD level and the swiftnet library it
loaded, the BLAS and the kernels it picked, the thread counts, and the sgemm roofline measured in
the same run (OpenBLAS's `cblas_sgemm`, the BLAS swiftnet itself calls, on the workload's own
shapes and on a large square product).

`roofline_seconds(products)` is the time the workload's matrix products alone take at the measured
rates: a workload that ran in that time would be at 100 % of the roofline."""

import ctypes
import os
import pathlib
import time

import numpy as np

import swiftnet
from swiftnet import _library

_CBLAS_ROW_MAJOR, _CBLAS_NO_TRANS, _CBLAS_TRANS = 101, 111, 112


def _openblas():
    """The OpenBLAS that libswiftnet loaded (found in this process's memory map)."""
    _library.lib.sn_version()   # loads libswiftnet, and OpenBLAS with it
    for line in pathlib.Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1] if len(line.split()) >= 6 else ""
        if "openblas" in os.path.basename(path).lower():
            return ctypes.CDLL(path)
    return None


_blas = None


def blas():
    global _blas
    if _blas is None:
        _blas = _openblas()
        if _blas is not None:
            _blas.cblas_sgemm.restype = None
            _blas.cblas_sgemm.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                          ctypes.c_int, ctypes.c_float, ctypes.c_void_p, ctypes.c_int,
                                          ctypes.c_void_p, ctypes.c_int, ctypes.c_float, ctypes.c_void_p,
                                          ctypes.c_int]
            for name in ("openblas_get_corename", "openblas_get_config"):
                getattr(_blas, name).restype = ctypes.c_char_p
            _blas.openblas_get_num_threads.restype = ctypes.c_int
    return _blas


def simd_level():
    features = _library.cpu_features()
    level = "AVX-512" if set(_library.AVX512_FEATURES) <= features else "AVX2+FMA" if {"AVX2", "FMA3"} <= features \
        or {"AVX2", "FMA"} <= features else "below AVX2"
    if "AVX512_BF16" in features or "AVX512BF16" in features:
        level += " (+BF16)"
    return level


def describe():
    """One line: CPU, SIMD level, loaded library, BLAS kernels, threads."""
    cpu = next((line.split(":", 1)[1].strip() for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    library = f"{swiftnet.config.kernel_path()} kernel path ({_library.loaded_path.name})"
    b = blas()
    if b is None:
        blas_text = "BLAS: not OpenBLAS"
    else:
        config = b.openblas_get_config().decode().split()
        blas_text = f"BLAS: {' '.join(config[:2])} kernels {b.openblas_get_corename().decode()}"
    forced = os.environ.get("OPENBLAS_CORETYPE")
    if forced:
        blas_text += f" (OPENBLAS_CORETYPE={forced})"
    return (f"machine: {cpu}, {os.cpu_count()} cores | SIMD {simd_level()} | swiftnet {library}, "
            f"{swiftnet.config.get_num_threads()} threads | {blas_text}")


def sgemm_gflops(m, n, k, trans_a=False, trans_b=False, seconds=0.3):
    """Measured GFLOP/s of one row-major sgemm C[m,n] = op(A) op(B) (best of repeated calls)."""
    b = blas()
    rng = np.random.default_rng(0)
    a = rng.random((k, m) if trans_a else (m, k), dtype=np.float32)
    bb = rng.random((n, k) if trans_b else (k, n), dtype=np.float32)
    c = np.zeros((m, n), np.float32)
    args = (_CBLAS_ROW_MAJOR, _CBLAS_TRANS if trans_a else _CBLAS_NO_TRANS, _CBLAS_TRANS if trans_b else _CBLAS_NO_TRANS,
            m, n, k, 1.0, a.ctypes.data, a.shape[1], bb.ctypes.data, bb.shape[1], 0.0, c.ctypes.data, n)
    # On every thread swiftnet uses (swiftnet itself runs OpenBLAS on one thread per worker).
    previous = b.openblas_get_num_threads()
    b.openblas_set_num_threads(swiftnet.config.get_num_threads())
    try:
        b.cblas_sgemm(*args)
        best, spent, calls = float("inf"), 0.0, 0
        while spent < seconds or calls < 3:
            start = time.perf_counter()
            b.cblas_sgemm(*args)
            elapsed = time.perf_counter() - start
            best, spent, calls = min(best, elapsed), spent + elapsed, calls + 1
    finally:
        b.openblas_set_num_threads(previous)
    return 2 * m * n * k / best / 1e9


def roofline_seconds(products):
    """Seconds the products take at their measured sgemm rates: `products` holds
    (m, n, k, trans_a, trans_b, count) tuples (count: how many times the workload runs it)."""
    total = 0.0
    for m, n, k, trans_a, trans_b, count in products:
        total += count * 2 * m * n * k / (sgemm_gflops(m, n, k, trans_a, trans_b) * 1e9)
    return total


def square_gflops(size=2048):
    return sgemm_gflops(size, size, size)
