"""Cluster members and dispositions kept as column tables: read as lists, written as columns."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
from dataclasses import asdict

import numpy as np
from conftest import make_findings
from test_analyse_helpers import M365, run

from estate.analyse import ClusterMember, ColumnRows, SystemDisposition, TableItems
from estate.report._files import dumps_json
from estate.report.model import build_document

CRM = dict(product="Dynamics 365", vendor="Microsoft", capability="CRM")
ROWS = [dict(dept="DWP", id="A", users=900, cost=90_000.0, contract_end="2026-03-31", **M365),
        dict(dept="HMRC", id="B", users=300, cost=60_000.0, contract_end="2025-06-30", **M365),
        dict(dept="MOJ", id="C", users=0, cost=10_000.0, **M365),
        dict(dept="HO", id="D", users=50, lifecycle="Retiring", **M365),
        dict(dept="DWP", id="E", users=10, cost=5_000.0, **CRM),
        dict(dept="HMRC", id="F", users=40, cost=9_000.0, contract_end="2027-01-31", **CRM),
        dict(dept="DFE", id="G", users=5, product="Bespoke tool", capability="Case work")]


def _as_lists(analysis):
    return dataclasses.replace(
        analysis, dispositions=list(analysis.dispositions),
        clusters=[dataclasses.replace(c, members=list(c.members)) for c in analysis.clusters])


def test_members_and_dispositions_read_as_the_lists_they_stand_for():
    a = run(ROWS)
    assert len(a.clusters) == 2
    for c in a.clusters:
        members = c.members
        assert isinstance(members, TableItems)
        items = list(members)
        assert all(type(m) is ClusterMember for m in items) and len(members) == len(items)
        assert members == items and items == members and members == tuple(items)
        assert members[0] == items[0] and members[-1] == items[-1]
        assert members[1:] == items[1:] and members[::2] == items[::2]
        assert members[0].role == "target" and members[0].key == c.target.key
        assert [m.order for m in members[1:]] == list(range(1, len(members)))
        assert items[-1] in members and members.index(items[-1]) == len(items) - 1
        assert members != items[:-1] and members != items[::-1]
        members[0].name = "changed"  # an item read is a fresh object: the table stays
        assert members[0] == items[0]
    dispositions = list(a.dispositions)
    assert all(type(d) is SystemDisposition for d in dispositions)
    assert a.dispositions == dispositions and len(dispositions) == len(ROWS)
    assert [(d.department, d.system_id) for d in dispositions] == sorted(
        (d.department, d.system_id) for d in dispositions)
    by_key = {f"{d.department}:{d.system_id}": d for d in dispositions}
    assert by_key["HO:D"].disposition == "Eliminate" and by_key["HO:D"].cluster is not None
    assert by_key["MOJ:C"].disposition == "Eliminate"
    assert by_key["DFE:G"].cluster is None


def test_an_analysis_with_member_tables_pickles_copies_and_compares_as_lists():
    a = run(ROWS)
    back = pickle.loads(pickle.dumps(a, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == a and back == _as_lists(a) and _as_lists(a) == back
    assert isinstance(back.clusters[0].members, TableItems)
    assert list(back.clusters[1].members) == list(a.clusters[1].members)
    assert copy.deepcopy(a) == a and copy.copy(a.dispositions) == a.dispositions
    assert asdict(a) == asdict(run(ROWS))
    changed = run(ROWS[:-1])
    assert changed.dispositions != a.dispositions


def test_the_report_writes_the_member_tables_as_it_writes_the_items():
    findings = make_findings()
    findings.analysis = run(ROWS)
    from_tables = build_document(findings)
    assert from_tables["dispositions"].frame is \
        findings.analysis.dispositions.table.frame  # columns, no object per row
    first = from_tables["clusters"][0]["members"]
    assert first.frame is findings.analysis.clusters[0].members.table.frame
    as_lists = dataclasses.replace(findings, analysis=_as_lists(findings.analysis))
    assert dumps_json(from_tables) == dumps_json(build_document(as_lists))
    # clusters listed in another order still come out by id, members in their order
    shuffled = dataclasses.replace(findings.analysis,
                                   clusters=list(reversed(findings.analysis.clusters)))
    reordered = dataclasses.replace(findings, analysis=shuffled)
    assert dumps_json(build_document(reordered)) == dumps_json(from_tables)


def test_saving_inputs_per_system_are_columns_read_as_the_list_of_dicts():
    a = run(ROWS)
    for c in a.clusters:
        migrating = c.saving_inputs["migrating"]
        assert isinstance(migrating, ColumnRows)
        rows = list(migrating)
        assert len(rows) == len(migrating) == len(c.members) - 1
        assert migrating == rows and rows == migrating and migrating[-1] == rows[-1]
        assert migrating[1:] == rows[1:] and migrating[::-1] == rows[::-1]
        assert sorted(r["system"] for r in rows) == sorted(m.key for m in list(c.members)[1:])
        for r in rows:  # a system's saving comes with its cost on the target, or neither
            assert list(r)[:3] == ["system", "annual_cost", "users"]
            assert ("saving" in r) == ("cost_on_target" in r) == (
                r["annual_cost"] is not None and r["users"] is not None)
        rows[0]["system"] = "changed"  # a row read is a fresh dict
        assert migrating[0]["system"] != "changed"
        assert copy.deepcopy(migrating) is migrating
        assert pickle.loads(pickle.dumps(migrating)) == migrating


def test_column_rows_leave_the_optional_keys_out_together():
    rows = ColumnRows(("a", "b", "c"), ([1, 2], ["x", None], [3.0, None]), optional=1)
    assert list(rows) == [{"a": 1, "b": "x", "c": 3.0}, {"a": 2}]
    assert rows == [{"a": 1, "b": "x", "c": 3.0}, {"a": 2}] and rows != [{"a": 1}]
    assert list(ColumnRows(("a",), ([None],))) == [{"a": None}]
    assert len(ColumnRows((), ())) == 0 and list(ColumnRows((), ())) == []


def test_member_and_disposition_texts_share_one_object_per_distinct_value():
    a = run(ROWS * 1 + [dict(r, id=r["id"] + "2") for r in ROWS])
    frame = a.clusters[0].members.table.frame
    for col in ("role", "disposition", "wave_reason", "disposition_reason", "users",
                "annual_cost", "contract_end", "earliest_date", "score", "wave", "order"):
        values = frame[col].tolist()
        assert len({id(v) for v in values}) == len({(type(v), v) for v in values}), col
    table = a.dispositions.table.frame
    for col in ("disposition", "reason"):
        values = table[col].tolist()
        assert len({id(v) for v in values}) == len(set(values)), col


def test_number_objects_are_shared_and_keep_their_values():
    from estate.analyse import _number_objects, _per_combination
    values = np.array([1.5, np.nan, -0.0, 0.0, 1.5, 2.0, np.nan])
    out = _number_objects(values)
    assert [repr(v) for v in out] == ["1.5", "None", "-0.0", "0.0", "1.5", "2.0", "None"]
    assert out[0] is out[4] and type(out[5]) is float
    whole = _number_objects(np.array([3.0, np.nan, 3.0, 70000.0]), whole=True)
    assert whole.tolist() == [3, None, 3, 70000] and type(whole[3]) is int
    assert whole[0] is whole[2]
    kept = _number_objects(np.array([1.0, 2.0, np.nan]), known=np.array([False, True, True]))
    assert kept[0] is None and kept[1] == 2.0 and math.isnan(kept[2])
    keys = [np.array([0, 0, 1, 1, -1]), np.array([5, 5, 5, 6, 5])]
    made = []
    texts = _per_combination(np.array([0, 1, 2, 3, 4]), keys,
                             lambda i: made.append(i) or f"{keys[0][i]}/{keys[1][i]}")
    assert texts.tolist() == ["0/5", "0/5", "1/5", "1/6", "-1/5"]
    assert texts[0] is texts[1] and sorted(made) == [0, 2, 3, 4]
    assert _per_combination(np.zeros(0, dtype=np.int64), keys, str).tolist() == []
