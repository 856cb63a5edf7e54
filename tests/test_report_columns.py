"""The column helpers behind findings.json and the CSV files give what the plain ways give."""

from __future__ import annotations


import numpy as np
import pandas as pd

from estate.analyse.model import ColumnRows
from estate.report._files import _compact
from estate.report.model import _plain_rows, plain, sorted_positions
from estate.report.rows import JsonColumnRows, LazyOrder, Rows, json_text, sort_ranks


def _shared(n: int, distinct: list, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    table = np.empty(len(distinct), dtype=object)
    table[:] = distinct
    return table[rng.integers(0, len(distinct), n)]


def test_sort_ranks_sort_as_pandas_does():
    values = pd.Series(_shared(3000, ["b", "a", None, "c", "B", "ab"]), dtype="string")
    ranks = sort_ranks(values)
    order = np.lexsort([np.where(ranks < 0, ranks.max() + 1, ranks)])
    expected = values.sort_values(kind="mergesort", na_position="last").index.to_numpy()
    assert np.array_equal(order, expected)
    cats = pd.Series(pd.Categorical(["z", "a", "z"], categories=["z", "a"]))
    assert sort_ranks(cats).tolist() == [0, 1, 0]


def test_sorted_positions_match_a_stable_pandas_sort():
    rng = np.random.default_rng(1)
    n = 4000
    frame = pd.DataFrame({
        "department": pd.Series(_shared(n, ["HMRC", "DWP", None, "MOJ"], 2), dtype="string"),
        "system_id": pd.Series(_shared(n, [f"S{i % 50}" for i in range(60)], 3),
                               dtype="string"),
        "source_file": pd.Series(_shared(n, ["b.csv", "a.csv"], 4), dtype="string"),
        "source_line": rng.integers(0, 30, n),
    })
    keys = list(frame.columns)
    expected = frame.sort_values(keys, kind="mergesort", na_position="last").index
    assert np.array_equal(sorted_positions(frame), expected.to_numpy())


def test_lazy_order_is_made_once_when_first_needed():
    calls = []

    def make():
        calls.append(1)
        return np.array([2, 0, 1])
    frame = pd.DataFrame({"x": ["a", "b", "c"]})
    rows = Rows(frame, [("x", "x", "text")], LazyOrder(make, 3))
    view = rows.view(1, 3)
    assert not calls and len(rows) == 3 and len(view) == 2
    assert list(view) == [{"x": "a"}, {"x": "b"}]
    assert list(rows) == [{"x": "c"}, {"x": "a"}, {"x": "b"}]
    assert len(calls) == 1


def test_plain_rows_copies_flat_rows_and_declines_the_rest():
    rows = [{"system": f"d:{i}", "annual_cost": float(i), "users": None} for i in range(100)]
    copied = plain(rows)
    assert copied == rows and all(a is not b for a, b in zip(copied, rows))
    assert _plain_rows(rows + [{"x": float("nan")}]) is None
    assert plain(rows + [{"x": float("inf")}])[-1] == {"x": None}
    assert _plain_rows(rows + [{1: "a"}]) is None
    assert plain(rows + [{"when": pd.Timestamp("2026-01-02")}])[-1] == {"when": "2026-01-02"}


def test_column_rows_are_written_as_the_json_of_their_dicts():
    rows = ColumnRows(("system", "annual_cost", "users", "cost_on_target", "saving"),
                      (['A:"1"', "B:100%", "C:\u00e9"], [1.5, None, 2.0], [3.0, 4.0, None],
                       [1.25, None, None], [0.25, None, None]), optional=3)
    doc = plain({"inputs": {"migrating": rows, "missing": ["x"]}})
    written = doc["inputs"]["migrating"]
    assert isinstance(written, JsonColumnRows) and written == list(rows)
    assert written.json_array() == json_text(list(rows))
    assert _compact(doc) == json_text({"inputs": {"migrating": list(rows), "missing": ["x"]}})
    empty = ColumnRows(("a",), ([],))
    assert empty == [] and plain(empty).json_array() == "[]"
    plain_only = JsonColumnRows(("a", "b"), (["x", "y"], [1, None]))
    assert plain_only.json_array() == json_text([{"a": "x", "b": 1}, {"a": "y", "b": None}])
    # a value plain would change (not finite) gives the plain list of dicts instead
    odd = plain(ColumnRows(("a", "b"), (["x", "y"], [float("inf"), None]), optional=1))
    assert odd == [{"a": "x", "b": None}, {"a": "y"}] and isinstance(odd, list)
