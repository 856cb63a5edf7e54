"""findings.json schema 2.0: each system described once, nothing of 1.0 lost, and the audit
reading 1.x and 2.x files alike."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import make_findings
from test_analyse_helpers import AS_OF, M365, systems_table
from test_audit import Estate, audit

from estate.analyse import analyse
from estate.audit import check_document, diff_findings, load_document
from estate.errors import AuditError
from estate.graph import assign_tiers, build_graph
from estate.report import SCHEMA_VERSION, write_reports
from estate.report._files import dumps_json
from estate.report.model import MEMBER_JSON_KEYS, SYSTEM_KEYS, build_document
from estate.settings import Settings

DISPOSITION = ("disposition", "disposition_reason", "cluster")
MEMBER_V1 = ("department", "system_id", "name", "product", "role", "disposition", "users",
             "annual_cost", "contract_end", "wave", "earliest_date", "product_id", "score",
             "order", "wave_reason", "disposition_reason", "tier", "region")


def downgrade(doc: dict) -> dict:
    """The schema 1.0 document a 2.0 one stands for, by the rules docs/findings-schema.md
    gives: members and the saving inputs re-joined to the systems on ``system_key``."""
    systems = {s["system_key"]: s for s in doc["systems"] if s["status"] == "analysed"}
    out = {}
    for key, value in doc.items():
        if key == "systems":
            value = [{k: v for k, v in s.items() if k not in DISPOSITION} for s in value]
        elif key == "clusters":
            value = [_cluster_v1(c, systems) for c in value]
        elif key == "data_quality":
            out["dispositions"] = [
                {"department": s["department"], "system_id": s["system_id"],
                 "disposition": s["disposition"], "reason": s["disposition_reason"],
                 "cluster": s["cluster"]}
                for s in doc["systems"] if s["disposition"] is not None]
        out[key] = value
    out["schema_version"] = "1.0"
    return out


def _cluster_v1(cluster: dict, systems: dict) -> dict:
    members, migrating = [], []
    for m in cluster["members"]:
        s = systems[m["system_key"]]
        derived = {"name": s["name"] if s["name"] is not None else s["system_id"],
                   "product": s["product"] if s["product"] is not None else s["product_id"]}
        members.append({k: m[k] if k in m else derived.get(k, s[k]) for k in MEMBER_V1})
        if m["role"] == "migrate":
            row = {"system": m["system_key"], "annual_cost": s["annual_cost"],
                   "users": s["users"]}
            if m["cost_on_target"] is not None:
                row.update(cost_on_target=m["cost_on_target"], saving=m["saving"])
            migrating.append(row)
    inputs = dict(cluster["saving_inputs"])
    if migrating:
        inputs["migrating"] = migrating
    return dict(cluster, members=members, saving_inputs=inputs)


def _repeated_id_findings(repeat: bool = True):
    """An analysed estate; with ``repeat`` DWP lists one id twice (two different systems,
    as a careless export does): the loader keeps both, keying the second ``DWP:A#2``."""
    rows = [dict(dept="DWP", id="A", name="Mail", users=900, cost=90_000.0,
                 contract_end="2026-03-31", **M365),
            dict(dept="DWP", id="A", name="Mail (mobile)", users=40, cost=3_500.0,
                 contract_end="2025-06-30", **M365),
            dict(dept="HMRC", id="B", name=None, users=300, cost=60_000.0, **M365),
            dict(dept="MOJ", id="C", users=20, cost=10_000.0, lifecycle="Retiring",
                 product="Bespoke tool", capability="Case work")]
    if not repeat:
        rows[1]["id"] = "A2"
    table = systems_table(rows)
    if repeat:
        table.loc[1, "system_key"] = "DWP:A#2"
    settings = Settings()
    table = assign_tiers(table, settings.assume_classification)
    graph = build_graph(table, settings)
    findings = make_findings()
    findings.systems, findings.graph = table, graph
    findings.analysis = analyse(graph, settings, as_of=AS_OF, systems=table)
    return findings


def _rows(rows: list[dict]) -> list[str]:
    """The rows in a set order, users as the number they are (1.0 wrote them as floats)."""
    return sorted(json.dumps({**r, "users": None if r["users"] is None else float(r["users"])},
                             sort_keys=True) for r in rows)


@pytest.mark.parametrize("repeat", [False, True])
def test_the_1_0_document_is_recoverable_from_2_0(repeat):
    findings = _repeated_id_findings(repeat)
    doc = build_document(findings)
    written = json.loads(dumps_json(doc))
    assert written["schema_version"] == SCHEMA_VERSION == "2.0"
    # what 1.0 wrote: the in-memory document, members and dispositions as they were
    v1 = json.loads(dumps_json(dict(doc)))
    v1["systems"] = [{k: v for k, v in s.items() if k not in DISPOSITION} for s in v1["systems"]]
    v1["schema_version"] = "1.0"
    back = downgrade(written)
    assert list(back) == list(v1)
    for key in v1:
        if key == "dispositions":  # rows of one repeated id may come in either order
            assert Counter(map(json.dumps, back[key])) == Counter(map(json.dumps, v1[key]))
        elif key == "clusters":
            for a, b in zip(back[key], v1[key]):
                migrating = b["saving_inputs"].pop("migrating", None)
                rebuilt = a["saving_inputs"].pop("migrating", [])
                if migrating is not None:  # (the hand-made fixture has none)
                    assert _rows(rebuilt) == _rows(migrating)
                assert a == b
        else:
            assert back[key] == v1[key], key


def test_members_refer_to_their_system_and_carry_the_membership():
    findings = _repeated_id_findings()
    written = json.loads(dumps_json(build_document(findings)))
    systems = {s["system_key"]: s for s in written["systems"]}
    assert list(written["systems"][0]) == [*SYSTEM_KEYS, *DISPOSITION]
    (cluster,) = written["clusters"]
    assert "migrating" not in cluster["saving_inputs"]
    members = {m["system_key"]: m for m in cluster["members"]}
    assert set(members) == {"DWP:A", "DWP:A#2", "HMRC:B"}
    assert all(list(m) == list(MEMBER_JSON_KEYS) for m in cluster["members"])
    mobile = members["DWP:A#2"]
    assert systems["DWP:A#2"]["name"] == "Mail (mobile)"
    assert (mobile["department"], mobile["system_id"]) == ("DWP", "A")
    target = next(m for m in cluster["members"] if m["role"] == "target")
    assert target["cost_on_target"] is None and target["saving"] is None
    for key, m in members.items():
        assert systems[key]["cluster"] == cluster["id"]
        if m["role"] == "migrate" and m["cost_on_target"] is not None:
            assert m["saving"] == pytest.approx(systems[key]["annual_cost"]
                                                - m["cost_on_target"])
    assert systems["MOJ:C"]["cluster"] is None and systems["MOJ:C"]["disposition"]


def test_findings_json_drops_what_repeats_the_systems(tiny_findings, tmp_path):
    write_reports(tiny_findings, tmp_path)
    doc = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert "dispositions" not in doc
    quarantined = next(s for s in doc["systems"] if s["status"] == "quarantined")
    assert all(quarantined[k] is None for k in DISPOSITION)
    ho1 = next(s for s in doc["systems"] if s["system_id"] == "HO-1")
    assert (ho1["disposition"], ho1["cluster"]) == ("Migrate", "C001")
    for cluster in doc["clusters"]:
        for m in cluster["members"]:
            assert not {"name", "product", "users", "annual_cost", "disposition"} & set(m)


def _without_labels(diff) -> dict:
    data = diff.to_dict()
    for key in ("old_label", "new_label", "old_generated_at", "new_generated_at"):
        data.pop(key)
    return data


def test_the_audit_reads_1_0_and_2_0_alike(tmp_path):
    estate = Estate(tmp_path / "inventories")
    history = tmp_path / "history"
    first = audit(estate, history)
    estate.add_tenant()
    estate.retire("moj", "MOJ-2")
    second = audit(estate, history)
    old, new = first.run.read_findings(), second.run.read_findings()
    assert old["schema_version"] == new["schema_version"] == "2.0"
    old_v1 = check_document(downgrade(old), "old")
    assert "dispositions" in old_v1 and "name" in old_v1["clusters"][0]["members"][0]
    expected = _without_labels(diff_findings(old, new))
    assert expected["changed"] and expected["systems_added"]
    assert _without_labels(diff_findings(old_v1, new)) == expected
    assert not diff_findings(old_v1, old).changed

    # an audit whose previous run was stored by an estate that wrote 1.0
    (first.run.path / "findings.json").write_text(json.dumps(old_v1), encoding="utf-8")
    estate.departments.pop("dfe")
    estate.write()
    third = audit(estate, history)
    assert third.previous.id == second.run.id
    (second.run.path / "findings.json").write_text(json.dumps(downgrade(new)), "utf-8")
    fourth = audit(estate, history, fail_on=["any-change"])
    assert not fourth.diff.changed and fourth.worse == []
    label, doc = load_document(str(first.run.path))
    assert label == first.run.id and doc["schema_version"] == "1.0"


def test_an_unknown_major_version_is_refused(tmp_path):
    doc = {"schema_version": "3.0", "version": "9.0", "summary": {}}
    with pytest.raises(AuditError, match="newer estate .*upgrade estate"):
        check_document(doc, "x")
    for version in ("1.0", "1.4", "2.0", "2.7"):
        assert check_document(dict(doc, schema_version=version), "x")["summary"] == {}


def test_a_deferred_document_gives_the_same_reports(tmp_path):
    """What the graph pages and the workbook read is there before :meth:`complete`, so the
    report stage can build the rest after it forks; the written bytes do not change."""
    from estate.report.graphs import write_graphs
    from estate.report.model import DEFERRABLE
    from estate.report.xlsx import write_proposals

    whole = build_document(make_findings())
    deferred = build_document(make_findings(), defer=True)
    assert all(deferred[k] is None for k in DEFERRABLE)
    for name, doc in (("whole", whole), ("deferred", deferred)):
        write_graphs(make_findings(), doc, tmp_path / name)
        write_proposals(doc, tmp_path / name / "proposals.xlsx")
    assert all(deferred[k] is None for k in DEFERRABLE), "the child never completes it"
    files = sorted(p.relative_to(tmp_path / "whole") for p in (tmp_path / "whole").rglob("*")
                   if p.is_file() and p.suffix != ".xlsx")
    assert files and all((tmp_path / "whole" / f).read_bytes() ==
                         (tmp_path / "deferred" / f).read_bytes() for f in files)
    assert dumps_json(deferred.complete()) == dumps_json(whole)
