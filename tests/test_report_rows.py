"""The bulk encoders behind findings.json, the CSV files and the workbook give exactly what
their one-value-at-a-time definitions give."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from estate.report.rows import Rows, join_rows, json_text, json_text_list
from estate.report.tables import csv_cell, csv_cells


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)


@pytest.mark.parametrize("values", [
    ["a", "£é\"\\\n", None, ""],
    [1, None, -3, 10**20],
    [1.5, None, -0.0, 1e300, 2.0],
    [None, None],
    [True, 1, 1.0, "1", None],          # mixed: one value at a time
    [[1, "x"], {"k": [None]}, (), {}],  # nested values
])
def test_bulk_json_texts_match_json_dumps(values):
    assert json_text_list(values) == [_dumps(v) for v in values]
    assert [json_text(v) for v in values] == [_dumps(v) for v in values]


def test_bulk_json_texts_refuse_nan_and_infinity_like_json_dumps():
    for bad in ([1.0, math.nan], [math.inf, None], [{"a": -math.inf}]):
        with pytest.raises(ValueError):
            json_text_list(bad)
    with pytest.raises(TypeError):
        json_text(object())


@pytest.mark.parametrize("values", [
    ["plain", "two words", None, ""],
    ["a,b", "x"], ['say "hi"', "y"], ["two\nlines", "z"],
    ["=1+1", "ok"], ["ok", "-x"], ["ok", "@x"], ["\tx", "y"], ["ok", "\rx"],
    ["cr\rhere", " sp ", "£5", "é"],
    [1.5, None, 3, "t"],
])
def test_bulk_csv_cells_match_csv_cell(values):
    assert csv_cells(values) == [csv_cell(v) for v in values]


def test_rows_are_joined_from_tables_and_codes():
    columns = [(np.array(["a", "b", "-"], dtype=object), np.array([0, 1, -1, 0])),
               (np.array(["1;", "2;"], dtype=object), np.array([1, 1, 0, 0]))]
    assert join_rows(columns, 4, " | ") == "a2; | b2; | -1; | a1;"
    assert join_rows(columns, 4, None) == "a2;b2;-1;a1;"
    assert join_rows(columns[:0], 0, "x") == ""


def test_plain_values_are_the_values_without_factorising():
    frame = pd.DataFrame({
        "when": pd.to_datetime(["2026-01-02", None, "2027-03-04"]),
        "n": pd.array([1, None, 3], dtype="Int64"),
        "x": [1.5, float("nan"), 2.0],
        "s": pd.array(["a", None, "b"], dtype="string"),
        "o": pd.Series([(1, 2), None, {"a": 1}], dtype=object),
    })
    columns = [(c, c, "any") for c in frame.columns] + [("t", "s", "text"), ("gone", "no", "list")]
    order = np.array([2, 0, 1])
    for key, _, _ in columns:
        fresh = Rows(frame, columns, order)
        assert fresh.plain_values(key) == Rows(frame, columns, order).values(key)
        assert ("coded", dict((k, c) for k, c, _ in columns)[key], "any") not in fresh._arrays
    view = Rows(frame, columns, order).view(1, 3)
    assert view.plain_values("s") == ["a", None]


@pytest.mark.parametrize("kind", ["text", "any"])
def test_values_of_a_short_view_and_of_the_whole_table(kind):
    """A few rows of a column of many values read as the frame holds them (a missing cell
    as None), as the whole table does."""
    names = [None if i % 7 == 3 else f"system {i}" for i in range(1000)]
    frame = pd.DataFrame({"name": pd.Series(names, dtype=object)})
    order = np.arange(999, -1, -1)
    table = Rows(frame, [("name", "name", kind)], order)
    assert table.values("name") == names[::-1]
    for a, b in [(0, 3), (993, 1000), (500, 500), (0, 1000)]:
        assert table.view(a, b).values("name") == names[::-1][a:b]


@pytest.mark.parametrize("chunk", [2, 3, 100])
def test_member_json_ranges_read_like_their_records(monkeypatch, chunk):
    """Clusters' members are ranges of one table: each range's JSON text is cut from the
    text of its chunk, whatever the chunk size."""
    from estate.report import rows as rows_module

    monkeypatch.setattr(rows_module, "CHUNK_ROWS", chunk)
    frame = pd.DataFrame({"d": ["x", "y", None, "x", "z"], "n": [1, 2, 3, None, 5]},
                         dtype=object)
    table = Rows(frame, [("d", "d", "any"), ("n", "n", "int")], np.array([4, 3, 2, 1, 0]))
    for a, b in [(0, 5), (0, 2), (1, 4), (3, 5), (2, 2)]:
        view = table.view(a, b)
        assert view.json_array() == _dumps(list(view))
        assert list(view.json_texts()) == [_dumps(r) for r in view]


def test_groups_per_department_counts_each_group_once_per_department():
    from estate.report.html import _groups_per_department

    frame = pd.DataFrame({"department": ["A", "A", "B", None, "B", "A"]}, dtype=object)
    table = Rows(frame, [("department", "department", "any")])
    groups = [{"members": table.view(0, 3)}, {"members": table.view(3, 4)},
              {"members": table.view(4, 6)}]
    assert _groups_per_department(groups) == {"A": 2, "B": 2}
    assert _groups_per_department([]) == {}


def test_workbook_waves_group_members_by_cluster_and_wave():
    from estate.report.xlsx import _waves

    clusters = [{"id": "C1", "capability": "A"}, {"id": "C2", "capability": "B"}]
    m = {"department": ["D"] * 6, "system_id": [f"S{i}" for i in range(6)],
         "annual_cost": [None, 10.0, 5, None, 2.5, 1.0],
         "earliest_date": [None, "2027-01-01", "2026-05-01", "", None, "2028-01-01"],
         "wave": [None, 2, 1, 2, None, 1]}
    cluster_of = np.array([0, 0, 0, 0, 1, 1])
    roles = np.array(["target", "migrate", "migrate", "migrate", "migrate", "target"],
                     dtype=object)
    expected = [("C1", "A", 1, 1, "D S2", "2026-05-01", 5),
                ("C1", "A", 2, 2, "D S1; D S3", "2027-01-01", 10.0),
                ("C2", "B", None, 1, "D S4", None, 2.5)]
    assert _waves(clusters, m, cluster_of, roles) == expected
    m["wave"] = [None, 2.0, 1.0, 2.0, None, 1.0]  # not integers: grouped one by one
    assert _waves(clusters, m, cluster_of, roles) == expected


def test_categorical_columns_are_read_through_their_codes():
    plain = pd.DataFrame({"c": pd.Series(["b", None, "a", "b"], dtype=object),
                          "n": pd.Series([2.5, None, 1.0, 2.5], dtype=object)})
    coded = pd.DataFrame({"c": plain["c"].astype("category"),
                          "n": pd.Categorical([2.5, None, 1.0, 2.5], categories=[1.0, 2.5, 9.0])})
    for kind in ("any", "text"):
        columns = [("c", "c", kind), ("n", "n", "any")]
        a, b = Rows(plain, columns, np.array([3, 1, 0, 2])), Rows(coded, columns,
                                                                  np.array([3, 1, 0, 2]))
        assert list(a) == list(b) and a.json_array() == b.json_array()


@pytest.mark.parametrize("distinct", [False, True])
def test_columns_of_distinct_values_give_the_same_files_chunk_by_chunk(
        tiny_findings, tmp_path, monkeypatch, distinct):
    """At a million rows ids and names are not factorised but taken as one value per row,
    and their texts are made a chunk of rows at a time: the files do not change."""
    import estate.report.rows as rows_module
    from estate.report import write_reports

    expected = write_reports(tiny_findings, tmp_path / "factorised")
    monkeypatch.setattr(rows_module, "CHUNK_ROWS", 3)
    monkeypatch.setattr(rows_module, "_mostly_distinct", lambda series, sample=0: distinct)
    written = write_reports(tiny_findings, tmp_path / "chunked")
    for name in ("findings.json", "systems.csv", "clusters.csv"):
        assert getattr(written, name.replace(".", "_")).read_bytes() == \
            getattr(expected, name.replace(".", "_")).read_bytes(), name
    members = Rows(tiny_findings.systems, [("id", "system_id", "any"), ("n", "name", "text")])
    assert members.view(1, 7).json_array_utf8() == json_text(list(members.view(1, 7))).encode()


def test_csv_texts_in_utf8_keep_a_nul_in_a_cell(tmp_path):
    from estate.report.model import SYSTEM_KEYS
    from estate.report.tables import utf8_list, write_systems_csv

    texts = ["a\0b,", "£é,", ",", "\0"]
    assert utf8_list(texts) == [t.encode() for t in texts]
    assert utf8_list(texts[1:3]) == [t.encode() for t in texts[1:3]]
    assert utf8_list([]) == []
    from estate.report.model import system_records

    names = ["nul\0inside", "£ plain", None]
    frame = pd.DataFrame({"department": ["D"] * 3, "system_id": ["S0", "S1", "S2"],
                          "name": pd.Series(names, dtype=object)})
    written = write_systems_csv(tmp_path / "s.csv", {"systems": system_records(frame)})
    lines = [",".join(["D", f"S{i}", "", csv_cell(n)] + [""] * (len(SYSTEM_KEYS) - 4))
             for i, n in enumerate(names)]
    text = written.read_bytes().decode("utf-8-sig")
    assert text == "\n".join([",".join(SYSTEM_KEYS), *lines]) + "\n"
