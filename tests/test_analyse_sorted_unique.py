"""sorted_unique gives what np.unique gives for integer arrays."""

from __future__ import annotations

import numpy as np

from estate.analyse.frame import sorted_unique


def test_sorted_unique_is_numpy_unique_of_integers():
    rng = np.random.default_rng(4)
    for values in (np.zeros(0, dtype=np.int64), np.array([3, -1, 3, 0, -7, 2**40]),
                   rng.integers(-50, 50, 1000), rng.integers(0, 10**12, 5000),
                   rng.integers(0, 9, 300).astype(np.int32)):
        got = sorted_unique(values)
        want = np.unique(values)
        assert got.dtype == want.dtype
        assert got.tolist() == want.tolist()
