"""Unpicklers for data set files that only build plain data and NumPy arrays.

`load` reads the CIFAR batches (dicts of arrays, labels and names). `load_object_array` reads the
pickle stream of one `dtype=object` array in an .npz (the ragged sequences of IMDB and Reuters):
rebuilding such an array needs only `numpy.ndarray`, `numpy.dtype` and `_reconstruct`; its
elements (lists of ints) need no global at all, so nothing else is allowed."""

import pickle

_RECONSTRUCT = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}
_ARRAY = {("numpy", "ndarray"), ("numpy", "dtype")} | _RECONSTRUCT

_ALLOWED = _ARRAY | {
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"), ("_codecs", "encode"),
}
_OBJECT_ARRAY_ALLOWED = frozenset(_ARRAY)


class _DataUnpickler(pickle.Unpickler):
    allowed = frozenset(_ALLOWED)

    def find_class(self, module, name):
        if (module, name) in self.allowed:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to load {module}.{name} from a data set file.")


class _ObjectArrayUnpickler(_DataUnpickler):
    allowed = _OBJECT_ARRAY_ALLOWED


def load(file):
    return _DataUnpickler(file, encoding="bytes").load()


def load_object_array(file):
    """The object array pickled in `file` (as `np.save` writes one); refuses any other global."""
    return _ObjectArrayUnpickler(file, encoding="latin1").load()
