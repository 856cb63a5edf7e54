"""Consolidation clusters: constraints, target choice, savings, waves and dispositions."""

from __future__ import annotations

from datetime import date

import pytest
from test_analyse_helpers import M365, make_graph, run

from estate.analyse import Analysis, analyse
from estate.errors import SettingsError
from estate.settings import Constraints, Rule, SavingsModel, Settings, SimilarityModel
from estate.standards import load_standards



def cluster(a: Analysis, id_: str):
    found = [c for c in a.clusters if c.id == id_]
    assert found, f"{id_} not in {[c.id for c in a.clusters]}"
    return found[0]


def member_keys(c) -> list[str]:
    return sorted(m.key for m in c.members)


def roles(c) -> dict[str, str]:
    return {m.key: m.role for m in c.members}


# --- hard constraints ---------------------------------------------------------------

def test_tiers_are_never_merged_and_the_split_is_reported():
    a = run([dict(dept="DWP", users=10, **M365),
             dict(dept="HMRC", classification="OFFICIAL-SENSITIVE", users=5, **M365),
             dict(dept="MOD", classification="SECRET", **M365),
             dict(dept="GCHQ", classification="TOP SECRET", **M365)])
    c = cluster(a, "clu-collaboration-official")
    assert member_keys(c) == ["DWP:S1", "HMRC:S2"]
    assert c.tier == "OFFICIAL"
    assert any("classification tier" in b and "MOD:S3" in b for b in c.blockers)
    assert [x.id for x in a.clusters] == ["clu-collaboration-official"]
    tier_split = [b for b in a.blocked_pairs if b["constraint"] == "tier"]
    assert len(tier_split) == 1
    assert {g["label"] for g in tier_split[0]["groups"]} == {"OFFICIAL", "SECRET", "TOP SECRET"}


def test_secret_systems_cluster_among_themselves():
    a = run([dict(dept="MOD", classification="SECRET", **M365),
             dict(dept="GCHQ", classification="SECRET", **M365),
             dict(dept="DWP", **M365)])
    assert member_keys(cluster(a, "clu-collaboration-secret")) == ["GCHQ:S2", "MOD:S1"]


REGIONS = [dict(dept="DWP", region="London", **M365),
           dict(dept="HMRC", region="eu-west-2", **M365),
           dict(dept="HO", **M365),
           dict(dept="MOJ", region="us-east-1", **M365),
           dict(dept="FCDO", region="US East", **M365)]


def test_sovereignty_zones_split_clusters():
    a = run(REGIONS)
    assert member_keys(cluster(a, "clu-collaboration-official-uk")) == [
        "DWP:S1", "HMRC:S2", "HO:S3"]  # a missing region joins the largest zone
    us = cluster(a, "clu-collaboration-official-us")
    assert member_keys(us) == ["FCDO:S5", "MOJ:S4"]
    assert any("sovereignty zone" in b for b in us.blockers)
    assert [b["constraint"] for b in a.blocked_pairs] == ["region"]


def test_region_rule_region_and_none():
    by_region = run(REGIONS, Settings(constraints=Constraints(region_rule="region")))
    assert "clu-collaboration-official-london" not in [c.id for c in by_region.clusters]
    assert all(len(c.members) >= 2 for c in by_region.clusters)
    ignored = run(REGIONS, Settings(constraints=Constraints(region_rule="none")))
    assert [c.id for c in ignored.clusters] == ["clu-collaboration-official"]
    assert len(ignored.clusters[0].members) == 5 and ignored.blocked_pairs == []


def test_a_retiring_system_is_never_the_target():
    a = run([dict(dept="DWP", users=9000, lifecycle="Retiring", **M365),
             dict(dept="HMRC", users=100, **M365),
             dict(dept="MOJ", users=50, **M365)])
    c = cluster(a, "clu-collaboration-official")
    assert c.target.key == "HMRC:S2" and c.runner_up.key == "MOJ:S3"
    assert any("DWP:S1 is 'Retiring'" in b and "would otherwise have scored highest" in b
               for b in c.blockers)
    retiring = next(m for m in c.members if m.key == "DWP:S1")
    assert retiring.role == "migrate" and retiring.disposition == "Eliminate"
    assert retiring.score is None


def test_a_group_with_no_possible_target_is_reported_not_clustered():
    a = run([dict(dept="DWP", lifecycle="retired", **M365),
             dict(dept="HMRC", lifecycle="decommissioning", **M365)])
    assert a.clusters == []
    assert [b["constraint"] for b in a.blocked_pairs] == ["lifecycle"]


def test_out_of_scope_systems_are_left_out_and_said_so():
    settings = Settings(constraints=Constraints(out_of_scope=["HO:*"]))
    a = run([dict(dept="DWP", **M365), dict(dept="HMRC", **M365),
             dict(dept="HO", **M365), dict(dept="MOJ", lifecycle="Out of scope", **M365)],
            settings)
    c = cluster(a, "clu-collaboration-official")
    assert member_keys(c) == ["DWP:S1", "HMRC:S2"]
    scope = [b for b in a.blocked_pairs if b["constraint"] == "scope"]
    assert scope[0]["groups"][0]["members"] == ["HO:S3", "MOJ:S4"]
    assert any(b.startswith("scope:") for b in c.blockers)
    out = {d.system_id: d for d in a.dispositions}
    assert out["S3"].disposition == "Tolerate" and "out of scope" in out["S3"].reason


HEALTH = [dict(dept="DWP", name="Case A", capability="Case management", domains=["Health records"]),
          dict(dept="HMRC", name="Case B", capability="Case management", domains=["health records"]),
          dict(dept="MOJ", name="Case C", capability="Case management", domains=["court records"]),
          dict(dept="HO", name="Case D", capability="Case management")]


def test_user_rule_keeps_health_data_systems_apart():
    rule = Rule(name="keep health data apart", kind="separate", field="data_domains",
                values=["health*"])
    a = run(HEALTH, Settings(rules=[rule]))
    health = cluster(a, "clu-case-management-official-keep-health-data-apart")
    assert member_keys(health) == ["DWP:S1", "HMRC:S2"]
    other = cluster(a, "clu-case-management-official")
    assert member_keys(other) == ["HO:S4", "MOJ:S3"]
    assert any("keep health data apart" in b for b in other.blockers)
    assert [b["constraint"] for b in a.blocked_pairs] == ["rule:keep health data apart"]


def test_user_rule_limited_to_other_capabilities_does_not_bite():
    rule = Rule(name="hr only", kind="separate", field="data_domains", values=["health*"],
                capabilities=["HR"])
    a = run(HEALTH, Settings(rules=[rule]))
    assert [c.id for c in a.clusters] == ["clu-case-management-official"]


def test_split_by_rule_never_merges_different_values():
    rule = Rule(name="by hosting", kind="split_by", field="hosting")
    a = run([dict(dept="DWP", hosting="SaaS", **M365), dict(dept="HMRC", hosting="saas", **M365),
             dict(dept="MOJ", hosting="On-premises", **M365),
             dict(dept="HO", hosting="on-premises", **M365)], Settings(rules=[rule]))
    assert sorted(c.id for c in a.clusters) == ["clu-collaboration-official-on-premises",
                                                "clu-collaboration-official-saas"]


# --- candidates and ids -----------------------------------------------------------

def test_large_groups_are_split_by_seeded_community_detection():
    rows = [dict(dept="DWP", id=f"P{i}", name=n, capability="Finance")
            for i, n in enumerate(["Payroll Alpha", "Payroll Alpha 2", "Payroll Alpha Plus"])]
    rows += [dict(dept="HMRC", id=f"G{i}", name=n, capability="Finance")
             for i, n in enumerate(["Grants Beta", "Grants Beta 2", "Grants Beta Plus"])]
    rows[0]["integrates"] = ["HMRC:G0"]  # one weak tie between the two groups
    settings = Settings(similarity=SimilarityModel(same_capability=0.0, community_min_units=3))
    first, second = run(rows, settings), run(rows, settings)
    assert first.clusters == second.clusters
    groups = sorted(member_keys(c) for c in first.clusters)
    assert groups == [["DWP:P0", "DWP:P1", "DWP:P2"], ["HMRC:G0", "HMRC:G1", "HMRC:G2"]]
    assert sorted(c.id for c in first.clusters) == ["clu-finance-official-dwp-p0",
                                                    "clu-finance-official-hmrc-g0"]


def test_a_small_capability_is_one_candidate_group_whatever_the_links():
    a = run([dict(dept="DWP", product="Salesforce", vendor="Salesforce", capability="CRM"),
             dict(dept="HMRC", product="Dynamics 365", vendor="Microsoft", capability="CRM"),
             dict(dept="HO", name="Contacts", capability="CRM")])
    assert member_keys(cluster(a, "clu-crm-official")) == ["DWP:S1", "HMRC:S2", "HO:S3"]


def test_cluster_id_survives_the_cluster_growing():
    base = [dict(dept="DWP", users=100, **M365), dict(dept="HMRC", users=50, **M365)]
    grown = base + [dict(dept="AAA", users=10, **M365)]
    assert [c.id for c in run(base).clusters] == [c.id for c in run(grown).clusters]


def test_systems_without_a_capability_are_not_clustered():
    a = run([dict(dept="DWP", product="Widget"), dict(dept="HMRC", product="Widget")])
    assert a.clusters == [] and [d.kind for d in a.duplicates] == ["same-product"]


# --- target choice ----------------------------------------------------------------

def standards_file(tmp_path, text: str):
    path = tmp_path / "standards.csv"
    path.write_text(text, encoding="utf-8")
    return path


CRM = [dict(dept="DWP", product="Salesforce", vendor="Salesforce", capability="CRM", users=5000),
       dict(dept="HMRC", product="Dynamics 365", vendor="Microsoft", capability="CRM", users=1000),
       dict(dept="MOJ", product="Siebel", vendor="Oracle", capability="CRM", users=200),
       dict(dept="HO", name="Contacts", capability="CRM")]
RADAR = ("capability,product,ring,description\n"
         "CRM,Dynamics 365,adopt,Board decision 2024\n"
         "crm,salesforce,hold,\n"
         "CRM,Siebel,retire,\n")


def test_target_prefers_the_adopted_standard_and_says_so(tmp_path):
    settings = Settings(standards=standards_file(tmp_path, RADAR))
    a = run(CRM, settings)
    c = cluster(a, "clu-crm-official")
    assert c.target.key == "HMRC:S2"
    assert c.runner_up.key == "DWP:S1"
    assert c.target_reasons[0].startswith("on the adopted standard for CRM (Dynamics 365")
    assert "runner-up DWP:S1" in c.target_reasons[-1]
    assert any("hold ring" in r for r in c.runner_up_reasons)
    assert any("MOJ:S3 runs Siebel, which the CRM standard retires" in b for b in c.blockers)
    flags = {f.system_id: f for f in a.standards_flags}
    assert sorted(flags) == ["S1", "S3", "S4"]
    assert flags["S1"].ring == "hold" and flags["S3"].ring == "retire"
    assert flags["S4"].ring is None and "off-standard" in flags["S4"].reason
    assert "Dynamics 365" in flags["S4"].reason


def test_without_standards_the_most_used_system_wins():
    a = run(CRM)
    c = cluster(a, "clu-crm-official")
    assert c.target.key == "DWP:S1" and c.runner_up.key == "HMRC:S2"
    assert "serves 5,000 users, the most in the cluster" in " ".join(c.target_reasons)
    assert a.standards_flags == []


def test_catalogue_strategic_flag_and_integrations_count():
    rows = [dict(dept="DWP", users=100, **M365),
            dict(dept="HMRC", users=100, product="Google Workspace", vendor="Google",
                 capability="Collaboration", integrates=["X1", "X2"])]
    a = run(rows, strategic={"google-workspace": True})
    c = cluster(a, "clu-collaboration-official")
    assert c.target.key == "HMRC:S2"
    text = " ".join(c.target_reasons)
    assert "the catalogue marks Google Workspace as strategic" in text
    assert "2 integration(s), the most in the cluster" in text


def test_standards_file_problems_are_findings_or_errors(tmp_path):
    _, findings = load_standards(standards_file(
        tmp_path, "capability,product,ring\nCRM,Salesforce,adopt\nCRM,Siebel,sunset\n"
        ",Dynamics,adopt\nCRM,salesforce,trial\n"))
    assert [(f.line, f.code) for f in findings] == [
        (3, "standard-bad-ring"), (4, "standard-incomplete"), (5, "standard-duplicate")]
    with pytest.raises(SettingsError, match="ring"):
        load_standards(standards_file(tmp_path, "capability,product\nCRM,Salesforce\n"))
    with pytest.raises(SettingsError, match="not found"):
        load_standards(tmp_path / "missing.csv")
    radar, _ = load_standards(standards_file(
        tmp_path, "name,ring,quadrant,isNew,description\nSalesforce,adopt,CRM,FALSE,x\n"))
    assert radar.lookup(("crm",), ("salesforce",))[1].ring == "adopt"


def test_standards_findings_reach_the_analysis(tmp_path):
    settings = Settings(standards=standards_file(
        tmp_path, "capability,product,ring\nCRM,Salesforce,sometimes\n"))
    a = run(CRM, settings)
    assert [f.code for f in a.findings] == ["standard-bad-ring"]


# --- savings ------------------------------------------------------------------------

SAVINGS = [dict(dept="DWP", id="T", users=1000, cost=100_000.0, **M365),
           dict(dept="HMRC", id="A", users=200, cost=50_000.0, integrates=["MOJ:X"], **M365),
           dict(dept="MOJ", id="B", users=100, cost=5_000.0, **M365),
           dict(dept="MOJ", id="X", name="Other", capability="Payroll")]


def test_savings_arithmetic_with_every_input():
    c = cluster(run(SAVINGS), "clu-collaboration-official")
    assert c.target.key == "DWP:T"
    # A: 50,000 - 200 x 100 = 30,000; B: 5,000 - 100 x 100 = -5,000
    assert c.annual_saving == 25_000.0
    assert c.integrations_to_repoint == [("HMRC:A", "MOJ:X")]
    assert c.one_off_cost == 2 * 50_000 + 1 * 15_000
    assert c.payback_years == 4.6
    inputs = c.saving_inputs
    assert inputs["target_cost_per_user"] == 100.0 and inputs["missing"] == []
    assert [r["saving"] for r in inputs["migrating"]] == [30_000.0, -5_000.0]
    assert "Annual saving £25,000" in c.saving_explanation
    assert "Payback 4.60 years" in c.saving_explanation


def test_a_missing_cost_is_said_missing_not_taken_as_zero():
    rows = [dict(r) for r in SAVINGS]
    rows[2]["cost"] = None
    c = cluster(run(rows), "clu-collaboration-official")
    assert c.annual_saving is None and c.payback_years is None
    assert c.one_off_cost == 115_000.0
    assert c.saving_inputs["missing"] == ["MOJ:B annual_cost"]
    assert c.saving_inputs["partial_saving"] == 30_000.0
    assert "not estimated: missing MOJ:B annual_cost" in c.saving_explanation


def test_the_explanation_names_ten_missing_inputs_and_counts_the_rest():
    rows = [dict(r) for r in SAVINGS] + [
        dict(dept="MOJ", id=f"M{i:02d}", users=10, cost=None, **M365) for i in range(12)]
    c = cluster(run(rows), "clu-collaboration-official")
    missing = c.saving_inputs["missing"]
    assert len(missing) == 12 and c.annual_saving is None
    assert "; ".join(missing[:10]) + "; and 2 more (all 12 in the inputs' missing list)." \
        in c.saving_explanation
    assert missing[10] not in c.saving_explanation


def test_unknown_target_cost_per_user_means_no_saving():
    rows = [dict(r) for r in SAVINGS]
    rows[0]["cost"] = None
    rows[0]["users"] = 5000
    c = cluster(run(rows), "clu-collaboration-official")
    assert c.target.key == "DWP:T" and c.annual_saving is None
    assert ("DWP:T (target) annual_cost or users, so its cost per user (or a price for "
            "microsoft-365 in savings.licence_cost_per_user)") in c.saving_explanation


def test_savings_model_settings_are_used():
    settings = Settings(savings=SavingsModel(
        migration_cost_per_system=1_000.0, migration_cost_per_integration=500.0,
        licence_cost_per_user={"microsoft-365": 60.0}))
    c = cluster(run(SAVINGS, settings), "clu-collaboration-official")
    # A: 50,000 - 200 x 60 = 38,000; B: 5,000 - 100 x 60 = -1,000
    assert c.annual_saving == 37_000.0
    assert c.one_off_cost == 2_500.0
    assert c.payback_years == round(2_500 / 37_000, 2)
    assert c.saving_inputs["cost_per_user_source"].startswith("settings")


def test_no_payback_when_the_saving_is_not_positive():
    settings = Settings(savings=SavingsModel(target_cost_share=10.0))
    c = cluster(run(SAVINGS, settings), "clu-collaboration-official")
    assert c.annual_saving < 0 and c.payback_years is None
    assert "No payback" in c.saving_explanation


# --- waves and dispositions --------------------------------------------------------------

def test_waves_follow_contract_end_dates():
    rows = [dict(dept="DWP", id="T", users=10_000, contract_end="2030-01-01", **M365),
            dict(dept="A", id="A", users=10, contract_end="2024-06-30", **M365),
            dict(dept="B", id="B", users=10, contract_end="2025-08-15", **M365),
            dict(dept="C", id="C", users=10, contract_end="2026-02-01", **M365),
            dict(dept="D", id="D", users=10, **M365)]
    c = cluster(run(rows, Settings(wave_months=6)), "clu-collaboration-official")
    plan = {m.key: (m.order, m.wave, m.earliest_date) for m in c.members}
    assert plan == {"DWP:T": (None, None, None),
                    "A:A": (1, 1, "2025-01-01"),   # contract already ended: from as_of
                    "B:B": (2, 2, "2025-08-15"),
                    "C:C": (3, 3, "2026-02-01"),
                    "D:D": (4, None, None)}        # unknown contract end comes last
    assert c.waves == 3
    d = next(m for m in c.members if m.key == "D:D")
    assert "contract end unknown" in d.wave_reason
    assert [m.key for m in c.members] == ["DWP:T", "A:A", "B:B", "C:C", "D:D"]


def test_as_of_from_settings_drives_the_waves():
    rows = [dict(dept="DWP", users=100, **M365),
            dict(dept="HMRC", users=1, contract_end="2025-03-01", **M365)]
    settings = Settings(as_of=date(2026, 1, 1))
    a = analyse(make_graph(rows, settings), settings)
    m = next(m for m in a.clusters[0].members if m.role == "migrate")
    assert m.earliest_date == "2026-01-01" and m.wave == 1 and a.as_of == "2026-01-01"


def test_time_dispositions_follow_cluster_roles(tmp_path):
    settings = Settings(standards=standards_file(tmp_path, RADAR))
    rows = [dict(dept="DWP", users=100, **M365),
            dict(dept="HMRC", users=10, **M365),
            dict(dept="MOJ", users=0, **M365),
            dict(dept="HO", users=5, lifecycle="sunset", **M365),
            dict(dept="DWP", id="R1", product="Dynamics 365", capability="CRM"),
            dict(dept="DWP", id="R2", product="Siebel", capability="CRM", classification="SECRET"),
            dict(dept="DWP", id="R3", name="Old thing", capability="Archive", lifecycle="retiring"),
            dict(dept="DWP", id="R4", name="Thing", capability="Archive 2")]
    got = {f"{d.department}:{d.system_id}": d.disposition for d in run(rows, settings).dispositions}
    assert got == {"DWP:S1": "Invest", "HMRC:S2": "Migrate", "MOJ:S3": "Eliminate",
                   "HO:S4": "Eliminate", "DWP:R1": "Invest", "DWP:R2": "Migrate",
                   "DWP:R3": "Eliminate", "DWP:R4": "Tolerate"}


def test_an_assumed_tier_is_said_where_it_matters():
    a = run([dict(dept="DWP", classification="OFFICIAL", **M365), dict(dept="HMRC", **M365)])
    c = cluster(a, "clu-collaboration-official")
    assert any(b.startswith("classification: 1 system(s) give no classification") and
               "HMRC:S2" in b for b in c.blockers)


def test_lifecycle_and_hosting_words_are_found_inside_longer_values():
    a = run([dict(dept="DWP", users=9000, lifecycle="Retiring 2026", **M365),
             dict(dept="HMRC", users=10, hosting="On-prem", **M365),
             dict(dept="MOJ", users=10, hosting="Cloud (SaaS)", **M365)])
    c = cluster(a, "clu-collaboration-official")
    assert c.target.key == "MOJ:S3"
    assert "hosted as Cloud (SaaS) (+1.00)" in c.target_reasons
    assert any("DWP:S1 is 'Retiring 2026'" in b for b in c.blockers)


@pytest.mark.parametrize("field", ["owner", "notes", "version", "vendor_name", "department"])
def test_split_by_rule_works_on_any_rule_field(field):
    key = {"vendor_name": "vendor", "department": "dept"}.get(field, field)
    rows = [dict(M365, **{"dept": "DWP", key: "A"}), dict(M365, **{"dept": "HMRC", key: "A"}),
            dict(M365, **{"dept": "MOJ", key: "B"}), dict(M365, **{"dept": "HO", key: "B"})]
    if field == "department":
        rows = [dict(M365, dept=d, instance=i) for d in ("DWP", "HMRC") for i in ("x", "y")]
    a = run(rows, Settings(rules=[Rule(name="apart", kind="split_by", field=field)]))
    assert len(a.clusters) == 2 and all(len(c.members) == 2 for c in a.clusters)


def test_similar_names_finds_exactly_the_pairs_rapidfuzz_scores_above_the_threshold():
    import random

    import numpy as np
    from rapidfuzz import fuzz, process

    from estate.analyse.clusters import similar_names

    rnd = random.Random(7)
    words = ["case", "cases", "tracker", "trackers", "casetracker", "core", "dwp", "hmrc",
             "portal", "benefits", "benefit", "claims", "hub", "a", "system", "systems"]
    names = sorted({" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 5)))
                    for _ in range(400)} | {"", "case", "case case tracker"})
    for threshold in (0.0, 60.0, 85.0, 100.0):
        full = process.cdist(names, names, scorer=fuzz.token_set_ratio,
                             score_cutoff=threshold, dtype=np.uint8)
        rows, cols = np.nonzero(np.triu(full, k=1))
        i, j, scores = similar_names(names, threshold)
        assert (i.tolist(), j.tolist()) == (rows.tolist(), cols.tolist())
        assert scores.tolist() == full[rows, cols].tolist()


def test_integrations_read_from_the_graph_index_match_a_walk_of_every_edge():
    from estate.analyse.frame import integration_edges, systems_frame

    rows = [dict(dept="HMRC", id="A", integrates=["B", "MOJ:X", "NOWHERE-9"], **M365),
            dict(dept="HMRC", id="B", integrates=["A"], **M365),
            dict(dept="MOJ", id="X", integrates=["HMRC:A", "X"], **M365)]
    graph = make_graph(rows)
    systems = systems_frame(graph, "OFFICIAL")
    indexed = integration_edges(graph, systems)
    del graph.graph["integrations"]
    walked = integration_edges(graph, systems)
    assert indexed.equals(walked)
    assert list(map(tuple, indexed.to_numpy())) == [
        ("HMRC:A", "HMRC:B"), ("HMRC:A", "MOJ:X"), ("HMRC:A", "external:NOWHERE-9"),
        ("HMRC:B", "HMRC:A"), ("MOJ:X", "HMRC:A")]


def test_an_integration_added_after_the_graph_was_built_still_counts():
    from estate.analyse.frame import integration_edges, systems_frame

    graph = make_graph([dict(dept="HMRC", id="A", **M365), dict(dept="MOJ", id="X", **M365)])
    graph.add_edge("sys:MOJ:X", "sys:HMRC:A", type="integrates_with")
    edges = integration_edges(graph, systems_frame(graph, "OFFICIAL"))
    assert list(map(tuple, edges.to_numpy())) == [("MOJ:X", "HMRC:A")]


def _random_links(rnd, n: int, p: float) -> list[tuple[int, int, float]]:
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n) if rnd.random() < p]
    rnd.shuffle(pairs)
    return [((b, a) if rnd.random() < 0.5 else (a, b)) + (rnd.choice([1.0, 2.0, 0.3, 1.74]),)
            for a, b in pairs]


def test_louvain_without_a_graph_gives_networkx_communities():
    import random

    import networkx as nx

    from estate.analyse.clusters import _louvain

    for trial in range(150):
        rnd = random.Random(trial)
        n = rnd.randint(1, 50)
        links = _random_links(rnd, n, rnd.choice([0.05, 0.2, 0.6, 1.0]))
        resolution, seed = rnd.choice([0.5, 1.0, 1.3, 2.0]), rnd.randint(0, 99)
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        graph.add_weighted_edges_from(links)
        want = nx.community.louvain_communities(graph, weight="weight",
                                                resolution=resolution, seed=seed)
        got = _louvain(n, links, resolution, seed)
        assert sorted(map(sorted, got)) == sorted(map(sorted, want)), trial


def test_connected_groups_of_unit_codes_match_networkx():
    import random

    import networkx as nx
    import numpy as np

    from estate.analyse.clusters import _component_labels

    for trial in range(100):
        rnd = random.Random(trial)
        n = rnd.randint(1, 80)
        links = _random_links(rnd, n, rnd.choice([0.0, 0.01, 0.03, 0.1]))
        a = np.array([x for x, _, _ in links], dtype=np.int64)
        b = np.array([y for _, y, _ in links], dtype=np.int64)
        label = _component_labels(n, a, b)
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from((x, y) for x, y, _ in links)
        assert all(label[u] == min(c) for c in nx.connected_components(graph) for u in c)


def test_unit_link_weights_are_running_sums_in_model_order():
    """The weights are exactly what adding each contribution to a dict in turn gives
    (floats: the order of the additions matters)."""
    import random
    from collections import defaultdict
    from itertools import combinations

    import numpy as np
    from rapidfuzz import fuzz, process

    from estate.analyse.clusters import BlockInputs, block_weights

    rnd = random.Random(3)
    units = sorted({f"u{rnd.randint(0, 99):02d}" for _ in range(40)})
    words = ["case", "cases", "tracker", "core", "hub", "portal", "claims"]
    names = {" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 3))) for _ in range(30)}
    inputs = BlockInputs(
        units=units,
        vendors=[sorted(rnd.sample(units, rnd.randint(2, 6))) for _ in range(5)],
        domains=[sorted(rnd.sample(units, rnd.randint(2, 9))) for _ in range(5)],
        integrations=[tuple(rnd.sample(units, 2)) for _ in range(15)],
        names={n: sorted(rnd.sample(units, rnd.randint(1, 4))) for n in sorted(names)},
        keys={u: [u] for u in units})
    for sim in (SimilarityModel(), SimilarityModel(same_capability=0.1, same_vendor=0.3,
                                                   shared_data_domain=0.7, integration=0.1,
                                                   name_similarity=1.3, name_threshold=60.0)):
        want: dict = defaultdict(float)
        for a, b in combinations(units, 2):
            want[(a, b)] += sim.same_capability
        for groups, weight in ((inputs.vendors, sim.same_vendor),
                               (inputs.domains, sim.shared_data_domain)):
            for members in groups:
                for a, b in combinations(members, 2):
                    want[(a, b)] += weight
        for a, b in inputs.integrations:
            want[min(a, b), max(a, b)] += sim.integration
        for members in inputs.names.values():
            for a, b in combinations(members, 2):
                want[(a, b)] += sim.name_similarity
        uniq = list(inputs.names)
        scores = process.cdist(uniq, uniq, scorer=fuzz.token_set_ratio,
                               score_cutoff=sim.name_threshold, dtype=np.uint8)
        for i, j in combinations(range(len(uniq)), 2):
            score = scores[i, j]
            if score > 0:
                for a in inputs.names[uniq[i]]:
                    for b in inputs.names[uniq[j]]:
                        if a != b:
                            want[min(a, b), max(a, b)] += (sim.name_similarity
                                                           * float(score) / 100.0)
        got = block_weights(inputs, sim)
        assert list(got.items()) == sorted(want.items())


def test_louvain_on_sorted_link_arrays_gives_networkx_communities(monkeypatch):
    """The array-built graph and the numpy move of wide nodes (forced here for every
    node, and for none) keep networkx's result, ties between equal gains included."""
    import random

    import networkx as nx
    import numpy as np

    from estate.analyse import clusters
    from estate.analyse.clusters import _sorted_louvain

    for trial in range(80):
        rnd = random.Random(1000 + trial)
        n = rnd.randint(1, 60)
        links = sorted((min(a, b), max(a, b), 1.0 if trial % 2 else w)  # even: many ties
                       for a, b, w in _random_links(rnd, n, rnd.choice([0.1, 0.5, 1.0])))
        resolution, seed = rnd.choice([0.5, 1.0, 1.3, 2.0]), rnd.randint(0, 99)
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        graph.add_weighted_edges_from(links)
        want = sorted(map(sorted, nx.community.louvain_communities(
            graph, weight="weight", resolution=resolution, seed=seed)))
        a, b, w = (np.array([x[k] for x in links], dtype=float if k == 2 else np.int64)
                   for k in range(3))
        for wide in (1, 10**9):
            monkeypatch.setattr(clusters, "_WIDE", wide)
            got = _sorted_louvain(n, a.reshape(-1), b.reshape(-1), w.reshape(-1),
                                  resolution, seed)
            assert sorted(map(sorted, got)) == want, (trial, wide)


def test_community_graph_keeps_networkx_neighbour_order_and_sums():
    """_next_graph (built on arrays) gives the dicts networkx's _gen_graph builds edge by
    edge: the same neighbours in the same order and the same float sums."""
    import random

    from estate.analyse.clusters import _next_graph

    for trial in range(60):
        rnd = random.Random(trial)
        n = rnd.randint(1, 40)
        graph: list[dict[int, float]] = [{} for _ in range(n)]
        for a, b, w in _random_links(rnd, n, rnd.choice([0.1, 0.4, 1.0])):
            graph[a][b] = graph[b][a] = w * rnd.choice([1.0, 0.1, 1 / 3])
        if n and rnd.random() < 0.5:
            graph[0][0] = 0.7  # a self-loop, as later levels have
        labels = [rnd.randrange(max(1, n // 3)) for _ in range(n)]
        inner = [set(u for u in range(n) if labels[u] == c) for c in sorted(set(labels))]
        node2com = {u: i for i, part in enumerate(inner) for u in part}
        want: list[dict[int, float]] = [{} for _ in inner]
        for u, adj in enumerate(graph):
            for v, wt in adj.items():
                if v >= u:
                    c1, c2 = node2com[u], node2com[v]
                    new = wt + want[c1].get(c2, 0)
                    want[c1][c2] = new
                    want[c2][c1] = new
        got, nodes = _next_graph(graph, inner, None)
        assert [list(d.items()) for d in got] == [list(d.items()) for d in want], trial
        assert nodes == inner
