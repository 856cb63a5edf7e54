"""Shared fixtures: a tiny hand-built Findings that every report test can read.

The estate has three departments, two duplicate groups and two clusters, and it carries
hostile names (HTML, a script end tag, spreadsheet formulas) so that the escaping is
exercised by every test that uses it.
"""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest


@pytest.fixture(autouse=True, scope="session")
def _index_cache(tmp_path_factory):
    """Keep the catalogue index cache of the tests out of the user's own cache folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv("ESTATE_CACHE_DIR", str(tmp_path_factory.mktemp("estate-cache")))
    yield
    mp.undo()


XSS_NAME = "<script>alert(1)</script>"
SCRIPT_END_NAME = "</script><b>bold</b>"
FORMULA_NAME = '=HYPERLINK("http://evil.example","x")'

_ROWS = [
    # department, id, name, product_id, product, vendor, cap_id, cap, users, cost, end,
    # integrates, domains, status, line
    ("HO", "HO-1", "Microsoft 365", "m365", "Microsoft 365", "Microsoft", "collaboration",
     "Collaboration", 5000, 1_200_000.0, "2026-03-31", (), ("staff records",), "analysed", 2),
    ("HO", "HO-2", "Siebel CRM", "siebel", "Siebel CRM", "Oracle", "crm", "CRM", 300,
     250_000.0, "2027-01-31", (), ("citizen contact",), "analysed", 3),
    ("HO", "HO-3", XSS_NAME, "unrecognised:script", XSS_NAME, None, None, None, None,
     None, None, (), (), "analysed", 4),
    ("DWP", "DWP-1", "M365 tenant", "m365", "Microsoft 365", "Microsoft", "collaboration",
     "Collaboration", 20000, 3_000_000.0, "2025-12-31", ("DWP-2",), (), "analysed", 2),
    ("DWP", "DWP-2", "Dynamics CRM", "dynamics", "Dynamics 365", "Microsoft", "crm", "CRM",
     900, 400_000.0, "2028-06-30", ("HO:HO-2",), ("citizen contact",), "analysed", 3),
    ("DWP", "DWP-3", FORMULA_NAME, None, None, None, None, None, None, None, None, (), (),
     "quarantined", 4),
    ("MOJ", "MOJ-1", SCRIPT_END_NAME, "m365", "Microsoft 365", "Microsoft", "collaboration",
     "Collaboration", 1200, 310_000.0, "2026-09-30", ("MOJ-2",), (), "analysed", 2),
    ("MOJ", "MOJ-2", "Case Mgmt", None, None, None, "case-management", "Case management",
     800, 90_000.0, None, (), ("court records",), "analysed", 3),
]


def _systems() -> pd.DataFrame:
    cols = ["department", "system_id", "name", "product_id", "product_name", "vendor_name",
            "capability_id", "capability_name", "users", "annual_cost", "contract_end",
            "integrates_with", "data_domains", "status", "source_line"]
    frame = pd.DataFrame(_ROWS, columns=cols)
    frame["users"] = frame["users"].astype("Int64")
    frame["annual_cost"] = frame["annual_cost"].astype("Float64")
    frame["contract_end"] = pd.to_datetime(frame["contract_end"])
    frame["source_line"] = frame["source_line"].astype("Int64")
    frame["system_key"] = frame["department"] + ":" + frame["system_id"]
    frame["source_file"] = frame["department"].str.lower() + ".csv"
    frame["product"] = frame["product_name"]
    frame["vendor"] = frame["vendor_name"]
    frame["capability"] = frame["capability_name"]
    frame["classification"] = "OFFICIAL"
    frame["tier"] = "OFFICIAL"
    frame["status_reason"] = frame["status"].map({"quarantined": "missing system_id"})
    frame["extra"] = "{}"
    frame.loc[frame["system_id"] == "HO-2", "extra"] = '{"Cost centre": "=SUM(A1)"}'
    frame["match_stage"] = frame["product_id"].map(
        lambda p: None if pd.isna(p) else ("unrecognised" if str(p).startswith("unrec")
                                          else "exact"))
    frame["match_score"] = frame["match_stage"].map({"exact": 100.0, "unrecognised": 0.0})
    return frame


def _graph(frame: pd.DataFrame) -> nx.DiGraph:
    """A graph of the typed shape estate/graph.py documents, built by hand for tests."""
    g = nx.DiGraph()
    frame = frame.astype(object).where(frame.notna(), None)
    for row in frame[frame["status"] == "analysed"].itertuples(index=False):
        dept, sys_ = f"dept:{row.department}", f"sys:{row.system_key}"
        g.add_node(dept, type="department", label=row.department)
        g.add_node(sys_, type="system", label=row.name, department=row.department,
                   system_id=row.system_id, system_key=row.system_key, name=row.name,
                   users=row.users, annual_cost=row.annual_cost,
                   product_id=row.product_id, product_name=row.product_name,
                   capability_id=row.capability_id, capability_name=row.capability_name,
                   tier="OFFICIAL")
        g.add_edge(dept, sys_, type="owns")
        if row.product_id:
            g.add_node(f"product:{row.product_id}", type="product", label=row.product_name)
            g.add_edge(sys_, f"product:{row.product_id}", type="runs")
        if row.capability_id:
            g.add_node(f"cap:{row.capability_id}", type="capability", label=row.capability_name)
            g.add_edge(sys_, f"cap:{row.capability_id}", type="provides")
        for domain in row.data_domains:
            g.add_node(f"data:{domain}", type="data_domain", label=domain)
            g.add_edge(sys_, f"data:{domain}", type="holds_data")
    for row in frame[frame["status"] == "analysed"].itertuples(index=False):
        for other in row.integrates_with:
            key = other if ":" in other else f"{row.department}:{other}"
            g.add_edge(f"sys:{row.system_key}", f"sys:{key}", type="integrates_with")
    return g


def _member(dept, sid, name, role, users, cost, end, wave):
    from estate.analyse import ClusterMember
    return ClusterMember(department=dept, system_id=sid, name=name, product="Microsoft 365",
                         role=role, disposition="Invest" if role == "target" else "Migrate",
                         users=users, annual_cost=cost, contract_end=end, wave=wave,
                         earliest_date=end)


def make_findings():
    """A fresh :class:`estate.pipeline.Findings` for the tiny estate described above."""
    # imported here so that a stage being rewritten never breaks other tests' collection
    from estate.analyse import (Analysis, ClusterMember, ConsolidationCluster,
                                DuplicateGroup, SystemRef)
    from estate.errors import Finding
    from estate.pipeline import Findings, InputFile, Summary
    from estate.quality import DataQuality, FieldCompleteness
    from estate.settings import Settings

    frame = _systems()
    duplicates = [
        DuplicateGroup(id="D001", kind="same-product", capability="Collaboration",
                       product="Microsoft 365",
                       members=[SystemRef("HO", "HO-1"), SystemRef("DWP", "DWP-1"),
                                SystemRef("MOJ", "MOJ-1")],
                       instances=3, departments=["DWP", "HO", "MOJ"],
                       annual_cost=4_510_000.0, reason="3 separate Microsoft 365 tenants"),
        DuplicateGroup(id="D002", kind="same-capability", capability="CRM", product=None,
                       members=[SystemRef("HO", "HO-2"), SystemRef("DWP", "DWP-2")],
                       instances=2, departments=["DWP", "HO"], annual_cost=650_000.0,
                       reason="2 different products serve CRM"),
    ]
    clusters = [
        ConsolidationCluster(
            id="C001", capability="Collaboration", tier="OFFICIAL",
            members=[_member("DWP", "DWP-1", "M365 tenant", "target", 20000, 3e6,
                             "2025-12-31", None),
                     _member("HO", "HO-1", "Microsoft 365", "migrate", 5000, 1.2e6,
                             "2026-03-31", 1),
                     _member("MOJ", "MOJ-1", SCRIPT_END_NAME, "migrate", 1200, 310000.0,
                             "2026-09-30", 2)],
            target=SystemRef("DWP", "DWP-1"), target_reasons=["most users (20,000)"],
            runner_up=SystemRef("HO", "HO-1"), annual_saving=1_050_000.0,
            saving_inputs={"migrating_cost": 1_510_000.0, "target_cost_per_user": 150.0},
            saving_explanation="1,510,000 current cost minus 6,200 users x 150",
            one_off_cost=100_000.0, payback_years=0.1,
            integrations_to_repoint=[("MOJ:MOJ-1", "MOJ:MOJ-2")],
            blockers=[], waves=2),
        ConsolidationCluster(
            id="C002", capability="CRM", tier="OFFICIAL",
            members=[ClusterMember("DWP", "DWP-2", "Dynamics CRM", "Dynamics 365", "target",
                                   "Invest", 900, 400000.0, "2028-06-30", None, None),
                     ClusterMember("HO", "HO-2", "Siebel CRM", "Siebel CRM", "migrate",
                                   "Migrate", 300, 250000.0, "2027-01-31", 1, "2027-01-31")],
            target=SystemRef("DWP", "DWP-2"), target_reasons=["newest contract"],
            runner_up=None, annual_saving=None, saving_inputs={},
            saving_explanation="cost per user of the target is unknown",
            one_off_cost=65_000.0, payback_years=None,
            integrations_to_repoint=[("DWP:DWP-2", "HO:HO-2")],
            blockers=["=cmd|' /C calc'!A0 contract clause"], waves=1),
    ]
    quality = DataQuality(
        completeness=[FieldCompleteness(d, f, filled, 3) for d, f, filled in (
            ("DWP", "annual_cost", 2), ("DWP", "users", 2), ("HO", "annual_cost", 2),
            ("HO", "users", 2), ("MOJ", "annual_cost", 2), ("MOJ", "users", 2))],
        scores={"DWP": 66.7, "HO": 80.0, "MOJ": 90.0},
        findings=[
            Finding("dwp.csv", 4, "System ID", "load", "error", "missing-required",
                    "system_id is empty", "DWP", None),
            Finding("ho.csv", 4, "Product", "normalise", "warning", "unrecognised-product",
                    "product not in the catalogue", "HO", XSS_NAME),
            Finding("moj.csv", 3, "Annual Cost (£)", "load", "warning", "unparsable-cost",
                    "cost is not a number", "MOJ", "-12+3"),
        ],
        unrecognised_products=[{"raw": XSS_NAME, "count": 1, "departments": ["HO"],
                                "group": "unrecognised:script"}],
    )
    summary = Summary(departments=3, systems=8, analysed=7, quarantined=1,
                      products_recognised=5, duplicate_groups=2, clusters=2,
                      annual_saving=1_050_000.0, capabilities=3)
    inputs = [InputFile(f"{d}.csv", "0" * 64, "csv", 3, [d.upper()]) for d in ("dwp", "ho", "moj")]
    return Findings(settings=Settings(), inputs=inputs, systems=frame, graph=_graph(frame),
                    analysis=Analysis(duplicates=duplicates, clusters=clusters),
                    data_quality=quality, summary=summary, version="0.1.0",
                    generated_at="2026-11-27T12:00:00Z")


@pytest.fixture
def tiny_findings():
    return make_findings()
