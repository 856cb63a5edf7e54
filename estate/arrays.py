"""Numpy helpers every stage uses for columns of Python objects."""

from __future__ import annotations

import ctypes

import numpy as np
import pandas as pd


def object_array(values) -> np.ndarray:
    """``values`` (a list, any sized iterable, a Series or an array) as a one-dimensional
    object array holding the values themselves. ``np.array`` would turn a list of tuples
    into a two-dimensional array; a Series gives the Python values ``tolist`` gives."""
    if isinstance(values, pd.Series):
        values = values.to_numpy() if values.dtype == object else values.tolist()
    if isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1:
        return values
    out = np.empty(len(values), dtype=object)
    out[:] = values if isinstance(values, (list, np.ndarray)) else list(values)
    return out


def missing_mask(values: pd.Series, objects: np.ndarray) -> np.ndarray:
    """``values.isna()`` as an array; ``objects`` is ``values.to_numpy(dtype=object)``.
    In pandas' Python-backed strings every missing value is the one ``pd.NA`` object, so
    the array's object pointers are compared with it instead of testing every value."""
    array = values.array
    if isinstance(array, pd.arrays.StringArray) and values.dtype.na_value is pd.NA \
            and objects.ndim == 1 and objects.flags.c_contiguous and len(objects):
        return addresses(objects) == id(pd.NA)
    return values.isna().to_numpy()


def addresses(values: np.ndarray) -> np.ndarray:
    """The object pointers a contiguous object array holds, as integers: a view of its
    memory (valid while ``values`` is), made without touching the objects."""
    if not len(values):
        return np.zeros(0, dtype=np.intp)
    memory = (ctypes.c_ssize_t * len(values)).from_address(values.ctypes.data)
    return np.frombuffer(memory, dtype=np.intp)
