"""Comparing two findings documents: matching groups across runs, and the --fail-on rules."""

from __future__ import annotations

import pytest

from estate.audit import diff_findings, html_section, markdown_report, text_report


def ref(key: str) -> dict:
    department, system_id = key.split(":")
    return {"department": department, "system_id": system_id}


def document(systems: list[str], duplicates=(), clusters=(), scores=None, findings=(),
             saving=None, inputs=(), settings=None) -> dict:
    """A findings.json-shaped dict; groups are (id, kind, product, [member keys])."""
    return {
        "schema_version": "1.0",
        "version": "0.1.0",
        "generated_at": "2026-01-01T00:00:00+00:00",
        "summary": {"departments": len({s.split(":")[0] for s in systems}),
                    "systems": len(systems), "analysed": len(systems), "quarantined": 0,
                    "duplicate_groups": len(duplicates), "clusters": len(clusters),
                    "annual_saving": saving},
        "inputs": [{"path": p, "sha256": h} for p, h in inputs],
        "settings": settings or {"fuzzy_threshold": 88.0},
        "systems": [{**ref(s), "name": f"name of {s}", "product": "Microsoft 365",
                     "capability": "Collaboration", "status": "analysed"} for s in systems],
        "duplicates": [{"id": i, "kind": kind, "capability": "Collaboration", "product": product,
                        "members": [ref(m) for m in members]}
                       for i, kind, product, members in duplicates],
        "clusters": [{"id": i, "capability": "Collaboration", "tier": "OFFICIAL",
                      "annual_saving": s, "target": ref(members[0]),
                      "members": [{**ref(m), "role": "target" if n == 0 else "migrate"}
                                  for n, m in enumerate(members)]}
                     for i, members, s in clusters],
        "data_quality": {"scores": scores or {},
                         "findings": [{"severity": sev, "code": code, "department": d}
                                      for sev, code, d in findings]},
    }


M365 = ["HO:1", "DWP:1", "MOJ:1"]


def test_identical_documents_have_no_changes_and_nothing_is_worse():
    old = document(M365, duplicates=[("dup-m365", "same-product", "M365", M365)],
                   scores={"HO": 80.0})
    diff = diff_findings(old, old)
    assert not diff.changed
    assert diff.worse(["new-duplicates", "saving-drop", "quality-drop", "any-change"]) == []
    assert "no changes" in text_report(diff, [])


def test_a_new_tenant_grows_the_group_and_breaks_new_duplicates():
    old = document(M365, duplicates=[("dup-m365", "same-product", "M365", M365)])
    new = document(M365 + ["DFE:9"],
                   duplicates=[("dup-m365", "same-product", "M365", M365 + ["DFE:9"])])
    diff = diff_findings(old, new)
    [group] = diff.duplicates
    assert (group.status, group.size_before, group.size_after, group.added) == \
        ("grown", 3, 4, ["DFE:9"])
    assert diff.departments_added == ["DFE"]
    assert [s.key for s in diff.systems_added] == ["DFE:9"]
    assert diff.worse(["new-duplicates"]) == [
        "new-duplicates: duplicate group dup-m365 (M365 / Collaboration) is grown: "
        "3 -> 4 members"]
    assert diff.worse(["saving-drop", "quality-drop"]) == []


def test_a_group_whose_id_changed_is_matched_by_member_overlap():
    old = document(M365, duplicates=[("dup-old-name", "same-product", "M365", M365)])
    new = document(M365 + ["DFE:9"],
                   duplicates=[("dup-new-name", "same-product", "M365", M365 + ["DFE:9"])])
    [group] = diff_findings(old, new).duplicates
    assert (group.status, group.id, group.previous_id, group.matched_by) == \
        ("grown", "dup-new-name", "dup-old-name", "overlap")


def test_overlap_matching_needs_the_same_kind_and_enough_overlap():
    old = document(M365, duplicates=[("a", "same-product", "M365", M365)])
    other_kind = document(M365, duplicates=[("b", "same-capability", None, M365)])
    assert sorted(g.status for g in diff_findings(old, other_kind).duplicates) == \
        ["new", "resolved"]
    little = document(M365 + ["X:1", "X:2", "X:3"],
                      duplicates=[("c", "same-product", "M365", ["HO:1", "X:1", "X:2", "X:3"])])
    assert sorted(g.status for g in diff_findings(old, little).duplicates) == \
        ["new", "resolved"]


def test_retired_system_shrinks_and_a_two_member_group_resolves():
    old = document(M365 + ["HO:2", "DWP:2"],
                   duplicates=[("dup-m365", "same-product", "M365", M365),
                               ("dup-crm", "same-capability", None, ["HO:2", "DWP:2"])])
    new = document(["HO:1", "DWP:1", "HO:2"],
                   duplicates=[("dup-m365", "same-product", "M365", ["HO:1", "DWP:1"])])
    diff = diff_findings(old, new)
    statuses = {g.id: (g.status, g.removed) for g in diff.duplicates}
    assert statuses == {"dup-m365": ("shrunk", ["MOJ:1"]),
                        "dup-crm": ("resolved", ["DWP:2", "HO:2"])}
    assert [s.key for s in diff.systems_removed] == ["DWP:2", "MOJ:1"]
    assert diff.departments_removed == ["MOJ"]
    assert diff.worse(["new-duplicates"]) == []
    assert diff.worse(["any-change"]) == ["any-change: the findings changed"]


def test_swapped_member_reads_as_changed_not_grown():
    old = document(M365, duplicates=[("g", "same-product", "M365", M365)])
    new = document(["HO:1", "DWP:1", "DFE:1"],
                   duplicates=[("g", "same-product", "M365", ["HO:1", "DWP:1", "DFE:1"])])
    [group] = diff_findings(old, new).duplicates
    assert (group.status, group.added, group.removed) == ("changed", ["DFE:1"], ["MOJ:1"])


def test_cluster_saving_drop_and_target_change():
    old = document(M365, clusters=[("cl-m365", M365, 1_000_000.0)], saving=1_000_000.0)
    new = document(M365, clusters=[("cl-m365", ["DWP:1", "HO:1", "MOJ:1"], 400_000.0)],
                   saving=400_000.0)
    diff = diff_findings(old, new)
    [cluster] = diff.clusters
    assert (cluster.status, cluster.saving_before, cluster.saving_after) == \
        ("unchanged", 1_000_000.0, 400_000.0)
    assert (cluster.target_before, cluster.target_after) == ("HO:1", "DWP:1")
    assert diff.worse(["saving-drop"]) == [
        "saving-drop: annual saving fell from £1,000,000 to £400,000"]
    assert diff.changed


def test_saving_that_can_no_longer_be_estimated_is_a_drop():
    old = document(M365, saving=250_000.0)
    new = document(M365, saving=None)
    assert diff_findings(old, new).worse(["saving-drop"]) == [
        "saving-drop: the annual saving can no longer be estimated (was £250,000)"]
    assert diff_findings(new, old).worse(["saving-drop"]) == []


def test_quality_drop_by_score_or_by_more_errors():
    old = document(M365, scores={"HO": 90.0, "DWP": 70.0},
                   findings=[("warning", "unparsable-cost", "HO")])
    lower = document(M365, scores={"HO": 85.5, "DWP": 72.0, "DFE": 10.0},
                     findings=[("warning", "unparsable-cost", "HO")])
    assert diff_findings(old, lower).worse(["quality-drop"]) == [
        "quality-drop: data quality of HO fell from 90 to 85.5"]
    more_errors = document(M365, scores={"HO": 90.0, "DWP": 70.0},
                           findings=[("warning", "unparsable-cost", "HO"),
                                     ("error", "missing-required", "DWP")])
    diff = diff_findings(old, more_errors)
    assert diff.worse(["quality-drop"]) == [
        "quality-drop: data-quality errors rose from 0 to 1"]
    assert diff.finding_codes == [("missing-required", 0, 1)]
    assert diff_findings(more_errors, old).worse(["quality-drop"]) == []


def with_completeness(doc: dict, rows: list[tuple[str, str, int, int]]) -> dict:
    doc["data_quality"]["completeness"] = [
        {"department": d, "field": f, "filled": filled, "total": total}
        for d, f, filled, total in rows]
    return doc


def test_lower_score_without_new_gaps_is_not_a_quality_drop():
    """Retiring a well-documented system lowers the share, but no value went missing."""
    old = with_completeness(document(M365, scores={"MOJ": 77.4}),
                            [("MOJ", "annual_cost", 2, 2), ("MOJ", "instance", 1, 2)])
    retired = with_completeness(document(M365, scores={"MOJ": 75.5}),
                                [("MOJ", "annual_cost", 1, 1), ("MOJ", "instance", 0, 1)])
    assert diff_findings(old, retired).worse(["quality-drop"]) == []
    renamed = with_completeness(document(M365, scores={"MOJ": 60.0}),
                                [("MOJ", "annual_cost", 0, 2), ("MOJ", "instance", 1, 2)])
    assert diff_findings(old, renamed).worse(["quality-drop"]) == [
        "quality-drop: data quality of MOJ fell from 77.4 to 60 "
        "(annual_cost missing in 2 more)"]


def test_headline_figures_and_mean_quality():
    old = document(M365, scores={"HO": 90.0, "DWP": 70.0}, saving=100.0)
    new = document(M365 + ["DFE:1"], scores={"HO": 90.0, "DWP": 70.0, "DFE": 50.0},
                   saving=300.0)
    diff = diff_findings(old, new)
    assert (diff.figure("systems").before, diff.figure("systems").after) == (3, 4)
    assert diff.figure("data_quality").before == 80.0
    assert diff.figure("data_quality").after == 70.0
    assert diff.figure("annual_saving").delta == 200.0


def test_inputs_and_settings_changes_are_reported():
    old = document(M365, inputs=[("ho.csv", "a" * 64), ("moj.csv", "b" * 64)],
                   settings={"fuzzy_threshold": 88.0, "savings": {"target_cost_share": 1.0}})
    new = document(M365, inputs=[("ho.csv", "c" * 64), ("dfe.csv", "d" * 64)],
                   settings={"fuzzy_threshold": 90.0, "savings": {"target_cost_share": 1.0}})
    diff = diff_findings(old, new)
    assert (diff.inputs_added, diff.inputs_removed, diff.inputs_changed) == \
        (["dfe.csv"], ["moj.csv"], ["ho.csv"])
    assert diff.settings_changed == [("fuzzy_threshold", 88.0, 90.0)]
    assert diff.worse(["any-change"])


def test_older_documents_without_optional_keys_still_compare():
    old = {"schema_version": "1.0", "summary": {"systems": 2}}
    new = document(M365)
    diff = diff_findings(old, new)
    assert [s.key for s in diff.systems_added] == sorted(M365)
    assert diff.figure("data_quality").before is None


def test_unknown_rule_is_refused():
    diff = diff_findings(document(M365), document(M365))
    with pytest.raises(ValueError):
        diff.worse(["everything"])


def test_renderings_escape_names_from_inventories():
    hostile = "<script>alert(1)</script>|x"
    old = document(M365, scores={hostile: 90.0})
    new = document(M365 + [f"{hostile}:1"], scores={hostile: 50.0},
                   duplicates=[("dup-m365", "same-product", hostile, M365)])
    diff = diff_findings(old, new)
    section = html_section(diff, diff.worse(["quality-drop"]), [
        {"run_id": "r1", "systems": 3, "data_quality": 90.0},
        {"run_id": "r2", "systems": 4, "data_quality": 50.0}])
    assert "<script>" not in section and "&lt;script&gt;" in section
    assert "<svg" in section and "http" not in section
    markdown = markdown_report(diff, [], [{"run_id": "r1", "systems": 3}])
    assert "<script>" not in markdown
    assert "\\|x" in markdown
    assert "## Trend" in markdown


def test_to_dict_is_json_ready():
    import json

    old = document(M365, duplicates=[("g", "same-product", "M365", M365)],
                   clusters=[("c", M365, 10.0)], settings={"a": 1})
    new = document(M365[:2], clusters=[("c", M365[:2], 5.0)], settings={"a": 2})
    data = json.loads(json.dumps(diff_findings(old, new).to_dict()))
    assert data["changed"] is True
    assert data["duplicates"][0]["status"] == "resolved"
    assert data["settings_changed"] == [{"setting": "a", "before": 1, "after": 2}]
