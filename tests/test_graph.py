"""The estate graph: typed nodes and edges built from a normalised systems table."""

from __future__ import annotations

import pandas as pd

from estate.graph import NODE_ATTRIBUTES, SYSTEM_ATTRIBUTES, build_graph, system_attributes
from estate.schema import FIELD_NAMES
from estate.settings import Settings


def systems_table(rows: list[dict]) -> pd.DataFrame:
    """A normalised systems table with every contract column, filled from ``rows``."""
    columns = list(FIELD_NAMES) + [
        "system_key", "source_file", "source_sheet", "source_line", "status", "status_reason",
        "extra", "product_id", "product_name", "vendor_name", "capability_id",
        "capability_name", "capability_group", "match_stage", "match_score", "match_input"]
    records = []
    for i, row in enumerate(rows, start=2):
        record = {c: pd.NA for c in columns}
        record.update(integrates_with=(), data_domains=(), status="analysed",
                      source_file="test.csv", source_line=i, extra="{}")
        record.update(row)
        record["system_key"] = f"{record['department']}:{record['system_id']}"
        records.append(record)
    return pd.DataFrame(records, columns=columns)


M365 = dict(product_id="microsoft-365", product_name="Microsoft 365", vendor_name="Microsoft",
            capability_id="productivity", capability_name="Productivity suite",
            capability_group="Workplace")


def test_nodes_and_edges_are_typed():
    table = systems_table([
        dict(department="Home Office", system_id="HO-1", name="O365", classification="SECRET",
             data_domains=("Birth records",), integrates_with=("HMRC:T-9",), **M365),
        dict(department="HMRC", system_id="T-9", name="Tax Core", capability_id="tax",
             capability_name="Tax collection", integrates_with=("HO:HO-1", "NOPE-1")),
        dict(department="HMRC", system_id="Q-1", name="bad row", status="quarantined"),
    ])
    graph = build_graph(table, Settings())

    types = {n: d["type"] for n, d in graph.nodes(data=True)}
    assert types["dept:Home Office"] == "department"
    assert types["sys:Home Office:HO-1"] == "system"
    assert types["product:microsoft-365"] == "product"
    assert types["vendor:microsoft"] == "vendor"
    assert types["cap:productivity"] == "capability"
    assert types["data:birth-records"] == "data_domain"
    assert "sys:HMRC:Q-1" not in graph, "quarantined rows are not analysed"

    edge = lambda u, v: graph.edges[u, v]["type"]  # noqa: E731
    assert edge("dept:Home Office", "sys:Home Office:HO-1") == "owns"
    assert edge("sys:Home Office:HO-1", "product:microsoft-365") == "runs"
    assert edge("product:microsoft-365", "vendor:microsoft") == "made_by"
    assert edge("sys:Home Office:HO-1", "cap:productivity") == "provides"
    assert edge("product:microsoft-365", "cap:productivity") == "provides"
    assert edge("sys:Home Office:HO-1", "data:birth-records") == "holds_data"
    assert edge("sys:Home Office:HO-1", "sys:HMRC:T-9") == "integrates_with"
    assert edge("sys:HMRC:T-9", "sys:Home Office:HO-1") == "integrates_with", "HO = Home Office"
    datas = [d for _, _, d in graph.edges(data=True)]
    assert len({id(d) for d in datas}) == len({d["type"] for d in datas}), \
        "the edges of one type share one attribute dict"


def test_unknown_integration_is_an_external_node_and_a_finding():
    table = systems_table([
        dict(department="HMRC", system_id="T-9", name="Tax Core", integrates_with=("NOPE-1",)),
    ])
    graph = build_graph(table, Settings())
    assert graph.nodes["sys:external:NOPE-1"]["external"] is True
    [finding] = graph.graph["findings"]
    assert (finding.file, finding.line, finding.column) == ("test.csv", 2, "integrates_with")
    assert finding.code == "unknown-integration"


def test_tier_comes_from_classification_or_the_assumed_default():
    table = systems_table([
        dict(department="A", system_id="1", name="x", classification="OFFICIAL-SENSITIVE"),
        dict(department="A", system_id="2", name="y", classification="TOP SECRET"),
        dict(department="A", system_id="3", name="z"),
    ])
    graph = build_graph(table, Settings(assume_classification="OFFICIAL"))
    tiers = {k: graph.nodes[f"sys:A:{k}"]["tier"] for k in "123"}
    assert tiers == {"1": "OFFICIAL", "2": "TOP SECRET", "3": "OFFICIAL"}
    assert graph.nodes["sys:A:3"]["tier_assumed"] is True
    assert graph.nodes["sys:A:1"]["tier_assumed"] is False


def test_missing_values_are_none_and_dates_are_iso():
    table = systems_table([dict(department="A", system_id="1", name="x")])
    table["contract_end"] = pd.to_datetime(["2027-03-31"])
    graph = build_graph(table, Settings())
    node = system_attributes(graph, "sys:A:1")
    assert node["contract_end"] == "2027-03-31"
    assert node["users"] is None and node["vendor"] is None
    row = graph.graph["systems"].loc["sys:A:1"]
    assert row["contract_end"] == "2027-03-31"
    assert row["users"] is None and row["vendor"] is None


def test_system_nodes_are_slim_and_the_systems_table_holds_the_rest():
    table = systems_table([
        dict(department="A", system_id="1", name="Payroll", users=250, annual_cost=1200.5,
             hosting="AWS", integrates_with=("GONE-1",), data_domains=("HR",), **M365),
        dict(department="A", system_id="2", classification="SECRET"),
        dict(department="A", system_id="3", name="q", status="quarantined"),
    ])
    table["users"] = table["users"].astype("Int64")
    graph = build_graph(table, Settings())

    assert list(graph.nodes["sys:A:1"]) == list(NODE_ATTRIBUTES)
    systems = graph.graph["systems"]
    assert list(systems.index) == ["sys:A:1", "sys:A:2"], "one row per inventory system node"
    assert set(SYSTEM_ATTRIBUTES) | {"tier", "tier_assumed"} == set(systems.columns)
    assert (systems.dtypes == object).all()

    full = system_attributes(graph, "sys:A:1")
    assert list(full)[:3] == ["type", "label", "external"]
    assert set(full) == set(NODE_ATTRIBUTES) | set(systems.columns)
    assert full["users"] == 250 and type(full["users"]) is int
    assert full["annual_cost"] == 1200.5 and full["hosting"] == "AWS"
    assert full["product_name"] == "Microsoft 365" and full["source_line"] == 2
    assert full["integrates_with"] == ("GONE-1",) and full["data_domains"] == ("HR",)
    assert all(full[k] == v for k, v in graph.nodes["sys:A:1"].items())
    assert system_attributes(graph, "sys:A:2")["label"] == "2", "no name: the id labels it"
    assert system_attributes(graph, "sys:A:2")["tier"] == "SECRET"

    external = system_attributes(graph, "sys:external:GONE-1")
    assert external == {"type": "system", "label": "GONE-1", "external": True}
    assert system_attributes(graph, "dept:A") == {"type": "department", "label": "A"}
    full["hosting"] = "changed"
    assert systems.loc["sys:A:1", "hosting"] == "AWS", "a copy, not the table"


def test_the_integration_index_is_given_only_while_it_describes_the_graph():
    from estate.graph import integration_index

    table = systems_table([dict(department="A", system_id="1", integrates_with=("2",)),
                           dict(department="A", system_id="2")])
    graph = build_graph(table, Settings())
    index = integration_index(graph)
    assert list(zip(index["source"], index["target"])) == [("sys:A:1", "sys:A:2")]
    graph.add_edge("sys:A:2", "sys:A:1", type="integrates_with")
    assert integration_index(graph) is None, "stale once the edges change"
