"""Process-wide engine settings: the number of threads the engine's kernels use."""

import os
import warnings

import numpy as np

from . import _library


def set_num_threads(count):
    """Sets how many threads the engine's kernels use in this process (1 to 256). The default is
    `SWIFTNET_NUM_THREADS` when set, else the CPUs the process may run on (at most 64). Useful when
    several processes share a machine (MPI ranks, joblib workers) or to match a CPU quota."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)):
        raise TypeError(f"Expected `count` to be an integer. Received: count={count!r}")
    if not 1 <= count <= 256:
        raise ValueError(f"Expected a number of threads between 1 and 256. Received: count={count}")
    _library.set_num_threads(int(count))


def get_num_threads():
    """The number of threads the engine's kernels use."""
    return _library.get_num_threads()


def kernel_path():
    """The engine's kernel path: "avx512" or "avx2" (the copy of the library chosen for this CPU at
    import, or forced with SWIFTNET_CPU), "custom" for a library given by SWIFTNET_LIBRARY."""
    return _library.kernel_path()


def _check_environment():
    value = os.environ.get("SWIFTNET_NUM_THREADS")
    if value is not None and not (value.strip().isdigit() and int(value) >= 1):
        warnings.warn(f"SWIFTNET_NUM_THREADS={value!r} is not a positive integer and is ignored; "
                      f"the engine uses {get_num_threads()} threads.", RuntimeWarning, stacklevel=3)


_check_environment()
