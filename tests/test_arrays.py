"""estate.arrays: factorize gives pd.factorize's answer, first_rows the first row per code."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estate.arrays import factorize, first_rows, joint_codes


def _same(values, use_na_sentinel=True, types=True):
    codes, uniques = factorize(values, use_na_sentinel=use_na_sentinel)
    want_codes, want = pd.factorize(values, use_na_sentinel=use_na_sentinel)
    assert isinstance(uniques, np.ndarray) and uniques.dtype == object
    np.testing.assert_array_equal(codes, want_codes)
    want = list(want)
    assert len(uniques) == len(want)
    for got, expected in zip(uniques.tolist(), want):
        if pd.isna(expected):
            assert pd.isna(got)
        else:
            assert got == expected and (type(got) is type(expected) or not types)


def _shared_column(n, distinct, missing=pd.NA, seed=0):
    """A column as a stage makes it: one object per distinct text, taken row by row."""
    rng = np.random.default_rng(seed)
    texts = np.array([f"text {i}" for i in range(distinct)] + [missing], dtype=object)
    return texts[rng.integers(0, distinct + 1, n)]


@pytest.mark.parametrize("dtype", ["string", "str", object])
@pytest.mark.parametrize("sentinel", [True, False])
def test_shared_objects_match_pandas(dtype, sentinel):
    values = _shared_column(20_000, 50)
    _same(pd.Series(values, dtype=dtype), sentinel)


@pytest.mark.parametrize("sentinel", [True, False])
def test_equal_texts_held_by_different_objects_share_a_code(sentinel):
    values = _shared_column(20_000, 30, missing=None)
    # the same texts again, as new objects, in the second half
    values[10_000:] = ["".join(list(v)) if isinstance(v, str) else v for v in values[10_000:]]
    _same(values, sentinel)
    _same(pd.Series(values, dtype="string"), sentinel)


def test_mostly_distinct_objects_and_small_columns():
    distinct = np.array([f"id-{i}" for i in range(50_000)], dtype=object)
    _same(distinct)
    _same(pd.Series(distinct[:10], dtype="string"))
    _same(np.array([], dtype=object))


def test_mixed_objects_and_missing_kinds():
    base = np.array(["a", 1, 1.0, None, np.nan, pd.NA, "b", True, ("x",)], dtype=object)
    _same(base[np.random.default_rng(1).integers(0, len(base), 5000)])
    _same(base[np.random.default_rng(1).integers(0, len(base), 5000)], False)


def test_a_strided_view_and_other_dtypes():
    values = _shared_column(40_000, 20)
    _same(values[::2])
    # not Python objects: pd.factorize's own answer, its values as an object array
    _same(pd.Series(np.arange(3000) % 7), types=False)
    _same(pd.Series(pd.array([1, None, 3] * 500, dtype="Int64")), types=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "A", " a", "ß"]),
                          st.text(max_size=3)), max_size=60),
       st.integers(min_value=1, max_value=40), st.booleans())
def test_any_text_column(items, repeat, sentinel):
    values = np.empty(len(items) * repeat, dtype=object)
    values[:] = items * repeat
    _same(values, sentinel)
    _same(pd.Series(values, dtype="string"), sentinel)


def test_first_rows():
    codes, _ = pd.factorize(np.array(["b", None, "a", "b", None, "c", "a"], dtype=object))
    np.testing.assert_array_equal(first_rows(codes), [0, 2, 5])
    np.testing.assert_array_equal(first_rows(np.array([-1, -1], dtype=np.int64)), [])
    np.testing.assert_array_equal(first_rows(np.zeros(0, dtype=np.int64)), [])
    codes, _ = pd.factorize(np.random.default_rng(2).integers(0, 50, 1000))
    np.testing.assert_array_equal(first_rows(codes), np.unique(codes, return_index=True)[1])


def test_joint_codes_are_equal_exactly_where_the_rows_are():
    rng = np.random.default_rng(3)
    values = np.array(["HO", "DWP", "MOJ", None, "H", "O:DWP"], dtype=object)
    left = [values[rng.integers(0, 6, 300)], values[rng.integers(0, 6, 300)]]
    right = [values[rng.integers(0, 6, 200)], values[rng.integers(0, 6, 200)]]
    mine, theirs = joint_codes(left, right)
    rows_left = list(zip(*left))
    rows_right = list(zip(*right))
    for i in range(0, 300, 7):
        for j in range(200):
            assert (mine[i] == theirs[j]) == (rows_left[i] == rows_right[j])
