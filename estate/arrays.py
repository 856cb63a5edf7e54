"""Numpy helpers every stage uses for columns of Python objects."""

from __future__ import annotations

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
