"""The graph pages read system attributes from the systems table, not from the nodes.

Slim graphs (nodes with a few keys and ``graph.graph["systems"]``) and full graphs (every
attribute on the node) give the same pages; nodes the table does not list fall back to their
own attributes; the page data is exactly what jinja's ``tojson`` would have written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pandas as pd
from jinja2.utils import htmlsafe_json_dumps

from estate.graph import build_graph
from estate.report import write_reports
from estate.report import graphs
from estate.report.model import build_document
from conftest import XSS_NAME, SCRIPT_END_NAME, make_findings


def graph_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    match = re.search(r"var ESTATE_GRAPH = (\{.*\});\n", text)
    assert match, f"no graph data in {path}"
    return json.loads(match.group(1))


def pages(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text(encoding="utf-8")
            for p in sorted(out.rglob("*.html"))}


def nodes_by_id(path: Path) -> dict[str, dict]:
    return {n["id"]: n for n in graph_data(path)["nodes"]}


def full_graph(slim: nx.DiGraph) -> nx.DiGraph:
    """The same graph with every table attribute on its node and no systems table."""
    full = slim.copy()
    table = full.graph.pop("systems")
    for node, row in zip(table.index, table.to_dict("records")):
        full.nodes[node].update({k: v for k, v in row.items() if k not in full.nodes[node]})
    return full


def built_findings():
    """The tiny estate with its graph built by estate.graph (slim nodes plus a table)."""
    findings = make_findings()
    findings.graph = build_graph(findings.systems.assign(tier_assumed=False,
                                                                capability_group=None))
    assert isinstance(findings.graph.graph.get("systems"), pd.DataFrame)
    return findings


def test_tooltips_come_from_the_systems_table_of_a_slim_graph(tmp_path):
    findings = built_findings()
    node = findings.graph.nodes["sys:HO:HO-1"]
    assert "vendor_name" not in node and "users" not in node, "system nodes are slim"
    write_reports(findings, tmp_path)
    title = nodes_by_id(tmp_path / "estate-graph.html")["sys:HO:HO-1"]["title"]
    assert title.splitlines() == [
        "Microsoft 365", "Department: HO", "System id: HO-1", "Product: Microsoft 365",
        "Vendor: Microsoft", "Capability: Collaboration", "Users: 5,000",
        "Annual cost: £1.2m", "Contract end: 2026-03-31", "Classification: OFFICIAL"]
    cluster = nodes_by_id(tmp_path / "clusters" / "C001.html")
    assert cluster["sys:HO:HO-1"]["title"].endswith("Role: migrate\nDisposition: Migrate\nWave: 1")
    assert cluster["sys:DWP:DWP-1"]["value"] == 20000.0


def test_slim_and_full_graphs_give_the_same_pages(tmp_path):
    slim = built_findings()
    full = built_findings()
    full.graph = full_graph(full.graph)
    write_reports(slim, tmp_path / "slim")
    write_reports(full, tmp_path / "full")
    a, b = pages(tmp_path / "slim"), pages(tmp_path / "full")
    assert a.keys() == b.keys() and len(a) > 5
    for name in a:
        assert a[name] == b[name], name


def test_a_full_graph_reads_the_analysed_rows_of_findings_systems(tmp_path):
    findings = built_findings()
    findings.graph = full_graph(findings.graph)
    for attrs in findings.graph.nodes.values():   # the table, not the node, is read
        attrs.pop("vendor_name", None)
    write_reports(findings, tmp_path)
    title = nodes_by_id(tmp_path / "estate-graph.html")["sys:DWP:DWP-2"]["title"]
    assert "Vendor: Microsoft" in title and "Product: Dynamics 365" in title


def test_nodes_the_table_does_not_list_use_their_own_attributes(tmp_path):
    findings = built_findings()
    graph = findings.graph
    graph.add_node("sys:external:LEGACY-9", type="system", label="LEGACY-9", external=True)
    graph.add_edge("sys:DWP:DWP-1", "sys:external:LEGACY-9", type="integrates_with")
    graph.add_node("sys:HO:HAND-1", type="system", label="Hand made", name="Hand made",
                   department="HO", system_id="HAND-1", vendor_name="Acme", users=7)
    graph.add_edge("dept:HO", "sys:HO:HAND-1", type="owns")
    graph.add_edge("sys:HO:HAND-1", "sys:HO:HO-1", type="integrates_with")
    files = write_reports(findings, tmp_path)
    dwp = nodes_by_id(files.department_graphs["DWP"])
    assert dwp["sys:external:LEGACY-9"]["title"] == \
        "LEGACY-9\nNot in any inventory (external reference)"
    assert dwp["sys:external:LEGACY-9"]["legend"] == "Other department's system"
    ho = nodes_by_id(files.department_graphs["HO"])
    hand = ho["sys:HO:HAND-1"]
    assert "Vendor: Acme" in hand["title"] and hand["value"] == 7.0
    edges = {(e["from"], e["to"]) for e in graph_data(files.department_graphs["HO"])["edges"]}
    assert ("sys:HO:HAND-1", "sys:HO:HO-1") in edges, "an unlisted node's integrations count"


def test_page_data_is_what_the_tojson_filter_writes():
    hostile = {"label": XSS_NAME, "title": SCRIPT_END_NAME + " it's & <b>", "value": 1.5,
               "font": {"size": 15}, "x": -0.0, "n": 3, "ok": True, "none": None,
               "text": "Ünïcode · £ → –"}
    assert graphs._json([hostile, {"b": 1, "a": [1, "2"]}]) == \
        htmlsafe_json_dumps([hostile, {"b": 1, "a": [1, "2"]}], sort_keys=True)
    assert graphs._json(False) == "false"


def test_rendered_page_escapes_search_labels_and_counts_nodes():
    page = graphs.GraphPage(title="T", subtitle="S", legend=[], home="report.html",
                            nodes=[{"id": "a", "label": XSS_NAME}, {"id": "b", "label": ""},
                                   {"id": "c", "label": "a & b"}], edges=[])
    html = graphs.render_graph(page)
    assert '<datalist id="search-labels"><option value="&lt;script&gt;alert(1)&lt;/script&gt;">' \
        '<option value="a &amp; b"></datalist>' in html
    assert "Laying out 3 nodes" in html and XSS_NAME not in html


def test_members_read_column_wise_match_the_member_records(tiny_findings):
    doc = build_document(tiny_findings)
    clusters = [c for c in doc["clusters"] if c["graph"]]
    by_table = graphs.cluster_members(clusters)
    by_record = [[{k: m[k] for k in graphs.MEMBER_FIELDS} for m in c["members"]]
                 for c in clusters]
    assert by_table == by_record
    plain_lists = [dict(c, members=list(c["members"])) for c in clusters]
    assert graphs.cluster_members(plain_lists) == by_record


def test_integrations_are_found_from_the_rows_that_list_them():
    findings = built_findings()
    view = graphs.EstateView(findings.graph, findings.systems)
    out, into = view.links
    assert out == {"sys:DWP:DWP-1": ["sys:DWP:DWP-2"], "sys:DWP:DWP-2": ["sys:HO:HO-2"],
                   "sys:MOJ:MOJ-1": ["sys:MOJ:MOJ-2"]}
    assert into["sys:HO:HO-2"] == ["sys:DWP:DWP-2"]
    assert view.connected(["sys:DWP:DWP-2"], set()) == ["sys:DWP:DWP-1", "sys:HO:HO-2"]
    assert view.capabilities(["sys:HO:HO-1", "sys:HO:HO-3", "sys:MOJ:MOJ-2"]) == \
        ["cap:case-management", "cap:collaboration"]


def test_a_graph_without_a_table_is_read_from_its_nodes():
    g = nx.DiGraph()
    g.add_node("dept:D", type="department", label="D")
    g.add_node("sys:D:1", type="system", label="One", department="D", system_id="1",
               capability_name="Mail", product="Exchange", annual_cost=5.0)
    g.add_node("sys:D:2", type="system", label="Two", department="D", system_id="2")
    g.add_edge("sys:D:1", "sys:D:2", type="integrates_with")
    view = graphs.EstateView(g)
    assert view.capability == ["Mail", graphs.UNKNOWN_CAPABILITY]
    assert view.product == ["Exchange", graphs.UNKNOWN_PRODUCT]
    assert view.sizes["annual_cost"] == [5.0, 0.0]
    assert view.links[0] == {"sys:D:1": ["sys:D:2"]}
    assert view.tooltip("sys:D:1") == \
        "One\nDepartment: D\nSystem id: 1\nProduct: Exchange\nCapability: Mail\n" \
        "Annual cost: £5"
