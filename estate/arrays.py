"""Numpy helpers every stage uses for columns of Python objects."""

from __future__ import annotations

import ctypes
from collections.abc import Sequence

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


def first_rows(codes: np.ndarray) -> np.ndarray:
    """The position of each code's first row, in row order, for codes numbered in order of
    first appearance (as ``pd.factorize`` numbers them; -1, missing, left out): the running
    maximum of such codes rises exactly at those rows."""
    codes = np.asarray(codes)
    return np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)


POINTER_SAMPLE = 4096
"""Cells sampled to judge whether a column shares its objects (see :func:`factorize`)."""


def factorize(values, use_na_sentinel: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values)`` for a column of Python objects (an object array, or a
    Series of ``object`` or Python-backed ``string`` dtype): the same codes (numbered by
    first appearance; -1 where missing unless ``use_na_sentinel`` is False), and the
    distinct values as an object array.

    A column a stage made from its distinct values holds one object per distinct value,
    so the cells' pointers are factorised first (integers: no visit to each object's
    memory), then one cell of each object by value; several times faster than hashing a
    million strings. Other data, and columns of mostly distinct objects, go to
    ``pd.factorize`` as they are."""
    objects = _object_cells(values)
    if objects is None:
        codes, uniques = pd.factorize(values, use_na_sentinel=use_na_sentinel)
        return codes, np.asarray(uniques, dtype=object)
    if len(objects) >= 1000 and not _mostly_distinct(addresses(objects)):
        by_object, held = pd.factorize(addresses(objects))
        if 3 * len(held) <= len(objects):
            where = np.empty(len(held), dtype=np.intp)
            where[by_object] = np.arange(len(objects), dtype=np.intp)  # any cell of each
            by_value, uniques = pd.factorize(objects[where], use_na_sentinel=use_na_sentinel)
            return by_value[by_object], np.asarray(uniques, dtype=object)
    codes, uniques = pd.factorize(objects, use_na_sentinel=use_na_sentinel)
    return codes, np.asarray(uniques, dtype=object)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of an integer array: hashed by pandas, then only the distinct values
    sorted. NumPy's own (a hash set since 2.3) costs five to ten times more on large
    arrays (1.7 s against 0.19 s on a million values, most distinct)."""
    return np.sort(pd.unique(np.asarray(values)))


def _object_cells(values) -> np.ndarray | None:
    """The contiguous object array of ``values``' cells (the column's own where it can),
    or None when they are not Python objects."""
    if isinstance(values, pd.Series):
        if values.dtype == object:
            values = values.to_numpy()
        elif isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "python":
            held = getattr(values.array, "_ndarray", None)  # str and the missing marker
            values = held if isinstance(held, np.ndarray) else values.to_numpy(dtype=object)
        else:
            return None
    if not isinstance(values, np.ndarray) or values.dtype != object or values.ndim != 1:
        return None
    return np.ascontiguousarray(values)


def _mostly_distinct(pointers: np.ndarray) -> bool:
    """Whether a column seems to hold about one object per cell (built row by row),
    judged by the repeats among an even sample of its pointers (``d`` distinct objects
    repeat about ``k * k / 2d`` times in ``k`` cells); then factorising the pointers
    first would only add a pass."""
    if len(pointers) < 4 * POINTER_SAMPLE:
        return False
    sample = pointers[::len(pointers) // POINTER_SAMPLE]
    repeats = len(sample) - len(pd.unique(sample))
    return repeats * 2 * len(pointers) < len(sample) ** 2 * 3


def row_codes(*columns) -> np.ndarray:
    """One integer per row, equal exactly where every column is equal (a missing value
    equal to a missing one): several columns compared at once without a tuple per row."""
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        part, uniques = factorize(column)
        codes = pd.factorize(codes * (len(uniques) + 1) + part)[0]
    return codes


def joint_codes(left: Sequence, right: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """:func:`row_codes` of the rows of ``left`` and of ``right`` (as many columns each),
    numbered together: an integer join on several columns."""
    n = len(left[0])
    codes = row_codes(*(np.concatenate([object_array(a), object_array(b)])
                        for a, b in zip(left, right)))
    return codes[:n], codes[n:]

