"""Combination numbering of grouped report columns (estate.report.rows)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estate.report.rows import Coded, _combination_codes, py_values


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


def _factorized_rows(series: pd.Series, kind: str) -> list:
    codes, distinct = pd.factorize(series.to_numpy(dtype=object))
    table = py_values(pd.Series(distinct, dtype=object), kind) + [None]
    return [table[c] for c in codes]


@pytest.mark.parametrize("cells", [
    [f"dept-{i % 7}:sys-{i}" if i % 101 else None for i in range(250_000)],
    [i // 2 if i % 2 else float(i // 2) for i in range(250_000)],
])
def test_a_long_mostly_distinct_column_reads_as_when_hashed(cells):
    series = pd.Series(cells, dtype=object)
    assert Coded(series, "any").row_values() == _factorized_rows(series, "any")
