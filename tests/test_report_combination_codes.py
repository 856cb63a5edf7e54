"""Combination numbering of grouped report columns (estate.report.rows)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estate.report.rows import _combination_codes


@pytest.mark.parametrize("span", [7, 1000, 50_000, 10**12])
def test_combination_codes_number_each_combination_once(span):
    rng = np.random.default_rng(7)
    joint = rng.choice(rng.integers(0, span, 200), 3000).astype(np.int64)
    codes, found = _combination_codes(joint, span, limit=300)
    assert np.array_equal(found[codes], joint)
    assert len(found) == len(pd.factorize(joint)[1])
    assert codes.min() == 0 and codes.max() == len(found) - 1


@pytest.mark.parametrize("span", [5000, 10**12])
def test_combination_codes_refuse_more_combinations_than_the_limit(span):
    joint = np.random.default_rng(3).permutation(5000).astype(np.int64)
    assert _combination_codes(joint, span, limit=4999) is None
    assert _combination_codes(joint[:4000], span, limit=3999) is None
    assert _combination_codes(joint, span, limit=5000) is not None


def test_combination_codes_of_no_rows():
    codes, found = _combination_codes(np.zeros(0, dtype=np.int64), 0, limit=0)
    assert len(codes) == 0 and len(found) == 0
