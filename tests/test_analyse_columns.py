"""Cluster members and dispositions kept as column tables: read as lists, written as columns."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import asdict

from conftest import make_findings
from test_analyse_helpers import M365, run

from estate.analyse import ClusterMember, SystemDisposition, TableItems
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
