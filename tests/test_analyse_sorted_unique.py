"""Distinct values without np.unique: sorted_unique gives what it gives for integer
arrays, and number objects are one per distinct number."""

from __future__ import annotations

import numpy as np

from estate.arrays import sorted_unique


def test_sorted_unique_is_numpy_unique_of_integers():
    rng = np.random.default_rng(4)
    for values in (np.zeros(0, dtype=np.int64), np.array([3, -1, 3, 0, -7, 2**40]),
                   rng.integers(-50, 50, 1000), rng.integers(0, 10**12, 5000),
                   rng.integers(0, 9, 300).astype(np.int32)):
        got = sorted_unique(values)
        want = np.unique(values)
        assert got.dtype == want.dtype
        assert got.tolist() == want.tolist()


def test_number_objects_one_object_per_distinct_number():
    from estate.analyse import _number_objects

    values = np.array([2.5, np.nan, -0.0, 2.5, 0.0, 7.0, np.nan])
    out = _number_objects(values)
    assert out.tolist() == [2.5, None, -0.0, 2.5, 0.0, 7.0, None]
    assert str(out[2]) == "-0.0" and str(out[4]) == "0.0"
    assert out[0] is out[3]
    whole = _number_objects(values, whole=True, known=~np.isnan(values) & (values != 7.0))
    assert whole.tolist() == [2, None, 0, 2, 0, None, None]
    assert all(type(v) is int for v in whole.tolist() if v is not None)
