"""Reading Keras's .npz files whose arrays may have `dtype=object` (ragged sequences, which NumPy
can only store as a pickle). Call it only on a file whose checksum was verified: numeric arrays are
read with pickling disabled, object arrays through `_pickle.load_object_array`, which builds NumPy
arrays and plain lists/ints only."""

import io
import zipfile

import numpy as np

from . import _pickle


def _read_member(data, name):
    f = io.BytesIO(data)
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(f)
    elif version in ((2, 0), (3, 0)):
        # Version 3.0 differs from 2.0 only in the header's text encoding (UTF-8, not latin-1).
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f"{name}: unsupported .npy format version {version}.")
    if not dtype.hasobject:
        f.seek(0)
        return np.lib.format.read_array(f, allow_pickle=False)
    array = _pickle.load_object_array(f)
    if not isinstance(array, np.ndarray) or array.dtype != dtype or array.shape != tuple(shape):
        raise ValueError(f"{name} does not hold the {dtype} array of shape {tuple(shape)} its header announces.")
    return array


def load(path):
    """{name: array} for every .npy member of the .npz at `path`."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[:-4]] = _read_member(archive.read(member), f"{path}:{member}")
    return arrays
