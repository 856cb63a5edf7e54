"""Whole-table column groups, records with columns in them, duplicate members and system
keys give what the plain ways give."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from estate.analyse.model import SystemRef
from estate.report._files import _compact
from estate.report.model import _key_text, duplicate_records
from estate.report.rows import Rows, _merged, group_columns, join_rows, json_text


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    product = rng.integers(0, 40, n)
    return pd.DataFrame({
        "id": [f"S{i}" for i in range(n)],  # every value distinct
        "product": pd.Series([f"p{p}" if p else None for p in product], dtype=object),
        "vendor": [f"v{p % 7}" for p in product],  # a function of product
        "status": rng.choice(["analysed", "quarantined"], n),
        "users": pd.array([None if u < 3 else int(u) for u in rng.integers(0, 900, n)],
                          dtype="Int64"),
        "note": rng.choice(["a \"quoted\" note", "caf\u00e9", None], n),
    })


_COLUMNS = [("id", "id", "text"), ("product", "product", "text"), ("vendor", "vendor", "text"),
            ("status", "status", "text"), ("users", "users", "int"), ("note", "note", "text")]


@pytest.mark.parametrize("n", [50, 3000])
def test_rows_json_from_grouped_columns_is_the_json_of_each_row(n):
    rows = Rows(_frame(n), _COLUMNS, order=np.arange(n)[::-1].copy())
    assert list(rows.json_texts()) == [json_text(r) for r in rows]
    text = "".join(rows.json_block(""))
    assert json.loads(text) == list(rows)
    assert text == "[\n" + ",\n".join("  " + json_text(r) for r in rows) + "\n]"
    view = rows.view(7, 30)
    assert view.json_array() == json_text(list(view))


def test_groups_of_leading_columns_are_shared_with_a_longer_list():
    frame = _frame(4000, 1)
    rows = Rows(frame, _COLUMNS)
    longer = rows.groups()
    assert sum(len(g.parts) for g in longer) == len(_COLUMNS)
    assert any(len(g.parts) > 1 for g in longer)  # product and vendor go together
    keys = ["id", "product", "vendor", "status"]
    assert ("groups", tuple((s, k) for _, s, k in _COLUMNS[:4])) in rows._arrays
    shared, alone = rows.groups(keys), Rows(frame, _COLUMNS).groups(keys)
    assert [len(g.parts) for g in shared] == [len(g.parts) for g in alone]
    for a, b in zip(shared, alone):
        assert np.array_equal(a.codes, b.codes) and a.size == b.size
        assert all(np.array_equal(x, y) for x, y in zip(a.parts, b.parts))


def _coded_columns(n: int) -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
    """Six text tables of 2 to 1,500 values (and a last "missing" text), and per table a
    column of ``n`` random codes into it: ``(tables, [(table, codes), ...])``."""
    rng = np.random.default_rng(5)
    tables = [np.array([f"<{c}{i}>" for i in range(size)] + ["<none>"], dtype=object)
              for c, size in zip("abcdef", (3, 4, 900, 2, 5, 1500))]
    return tables, [(t, rng.integers(-1, len(t) - 1, n).astype(np.int32)) for t in tables]


def test_merged_columns_join_to_the_same_text():
    n = 2000
    _, columns = _coded_columns(n)
    assert len(_merged(columns, n)) < len(columns)
    plain_text = ["".join(t[c[i]] for t, c in columns) for i in range(n)]
    assert join_rows(columns, n, "\n") == "\n".join(plain_text)
    assert join_rows(columns, n, None) == "".join(plain_text)


def test_group_columns_join_to_the_same_text_as_the_columns():
    n = 4000
    tables, columns = _coded_columns(n)
    groups = group_columns([(len(t), c) for t, c in columns], n)[-1]
    assert len(groups) < len(columns)
    pieces, at = [], 0
    for g in groups:
        table = None
        for t, part in zip(tables[at:at + len(g.parts)], g.parts):
            table = t[part] if table is None else table + t[part]
        pieces.append((table, g.codes))
        at += len(g.parts)
    assert join_rows(pieces, n, "\n", merge=False) == join_rows(columns, n, "\n")


def test_records_with_columns_are_written_as_their_plain_json():
    rows = Rows(_frame(20), _COLUMNS)
    record = {"id": "c1", "score": 1.5, "reasons": ["x", "\u00e9"], 3: "three",
              "members": rows.view(2, 5),
              "nested": {"inner": rows.view(0, 1), "k": None}, "last": {"a": [1, 2]}}
    expected = dict(record, members=list(rows.view(2, 5)),
                    nested={"inner": list(rows.view(0, 1)), "k": None})
    assert _compact(record) == json_text(expected)
    with pytest.raises(ValueError):
        _compact({"members": rows.view(0, 1), "x": float("nan")})


def _analysis(groups):
    return SimpleNamespace(duplicates=groups)


def _group(gid, members):
    return SimpleNamespace(id=gid, kind="same-product", capability="CRM", product="P",
                           members=members, instances=len(members), departments=["A"],
                           annual_cost=None, reason="r")


@pytest.mark.parametrize("ids", [["b", "a", "c"], [3, 1, 2]])
def test_duplicate_members_are_sorted_by_department_and_system_id(ids):
    groups = [_group("g1", [SystemRef("HO", ids[0]), SystemRef("DWP", ids[1]),
                            SystemRef("HO", ids[2])]),
              _group("g2", [SystemRef("MOJ", ids[2]), SystemRef("MOJ", ids[0])])]
    records = duplicate_records(_analysis(groups))
    for record, group in zip(records, groups):
        expected = sorted(group.members, key=lambda m: (m.department, m.system_id))
        assert list(record["members"]) == [
            {"department": m.department, "system_id": m.system_id} for m in expected]


def test_system_key_text_is_department_colon_id():
    department = np.array(["HO", "DWP", "HO", "A:B"] * 300, dtype=object)
    system_id = np.array([f"S{i}" for i in range(1200)], dtype=object)
    assert _key_text(department, system_id).tolist() == [
        f"{d}:{s}" for d, s in zip(department, system_id)]
    department[5] = None
    assert _key_text(department, system_id)[5] == "None:S5"


def test_forgotten_caches_are_made_again_to_the_same_text():
    rows = Rows(_frame(3000), _COLUMNS, order=np.arange(3000)[::-1].copy())
    text, records = "".join(rows.json_block("")), list(rows)
    rows.forget()
    assert "".join(rows.json_block("")) == text and list(rows) == records


def test_a_document_written_after_forgetting_its_caches_is_the_same(tiny_findings, tmp_path):
    from estate.report import build_document
    from estate.report._files import dumps_json
    from estate.report.tables import write_clusters_csv, write_systems_csv

    doc = build_document(tiny_findings)
    before = [dumps_json(doc), write_systems_csv(tmp_path / "a.csv", doc).read_bytes(),
              write_clusters_csv(tmp_path / "b.csv", doc).read_bytes()]
    doc.forget_caches(("systems",))
    assert write_systems_csv(tmp_path / "c.csv", doc).read_bytes() == before[1]
    doc.forget_caches()
    assert [dumps_json(doc), write_systems_csv(tmp_path / "d.csv", doc).read_bytes(),
            write_clusters_csv(tmp_path / "e.csv", doc).read_bytes()] == before


def test_groups_of_any_leading_columns_after_a_longer_list_are_as_if_alone():
    frame = _frame(4000, 1)
    rows = Rows(frame, _COLUMNS)
    rows.groups()
    keys = [k for k, _, _ in _COLUMNS]
    for k in range(1, len(keys)):
        shared, alone = rows.groups(keys[:k]), Rows(frame, _COLUMNS).groups(keys[:k])
        assert [len(g.parts) for g in shared] == [len(g.parts) for g in alone]
        for a, b in zip(shared, alone):
            assert np.array_equal(a.codes, b.codes) and a.size == b.size
            assert all(np.array_equal(x, y) for x, y in zip(a.parts, b.parts))
