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
import numpy as np
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


def cluster_members(clusters: list[dict]) -> list[list[dict]]:
    """Each cluster's members (MEMBER_FIELDS only) as records, read from member_columns."""
    out = []
    for columns in graphs.member_columns(clusters):
        rows = zip(*(columns[k].tolist() for k in graphs.MEMBER_FIELDS))
        out.append([dict(zip(graphs.MEMBER_FIELDS, row)) for row in rows])
    return out


def test_members_read_column_wise_match_the_member_records(tiny_findings):
    doc = build_document(tiny_findings)
    clusters = [c for c in doc["clusters"] if c["graph"]]
    by_table = cluster_members(clusters)
    by_record = [[{k: m[k] for k in graphs.MEMBER_FIELDS} for m in c["members"]]
                 for c in clusters]
    assert by_table == by_record
    plain_lists = [dict(c, members=list(c["members"])) for c in clusters]
    assert cluster_members(plain_lists) == by_record


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
    assert view.capability_array.tolist() == ["Mail", graphs.UNKNOWN_CAPABILITY]
    assert view.product_array.tolist() == ["Exchange", graphs.UNKNOWN_PRODUCT]
    assert view.size_array["annual_cost"].tolist() == [5.0, 0.0]
    assert view.links[0] == {"sys:D:1": ["sys:D:2"]}
    assert view.tooltip("sys:D:1") == \
        "One\nDepartment: D\nSystem id: 1\nProduct: Exchange\nCapability: Mail\n" \
        "Annual cost: £5"


# --- grouped pages keep at most GROUP_ABOVE_NODES groups ----------------------------------

DEPT_PRODUCTS = {("Mail", "Exchange"): 4, ("Mail", "Gmail"): 3, ("Mail", "P1"): 1,
                 ("Mail", "P2"): 1, ("Mail", "P3"): 1, ("CRM", "Dynamics"): 3,
                 ("CRM", "Salesforce"): 2, ("CRM", "Q1"): 1}


def products_graph(order: int = 1) -> nx.DiGraph:
    """Department D's systems, ``DEPT_PRODUCTS`` of each (capability, product), named
    ``<product>-<n>``; one system in E; added in ``order`` (1 or -1) to show the page does
    not depend on it."""
    g = nx.DiGraph()
    systems = [(cap, product, f"{product}-{i}") for (cap, product), n in DEPT_PRODUCTS.items()
               for i in range(n)][::order]
    g.add_nodes_from([("dept:D", {"type": "department", "label": "D"}),
                      ("dept:E", {"type": "department", "label": "E"}),
                      ("cap:mail", {"type": "capability", "label": "Mail"}),
                      ("cap:crm", {"type": "capability", "label": "CRM"})][::order])
    for cap, product, sid in systems:
        node = f"sys:D:{sid}"
        g.add_node(node, type="system", label=sid, name=sid, department="D", system_id=sid,
                   capability_id=cap.lower(), capability_name=cap, product_name=product,
                   users=10)
        g.add_edge("dept:D", node, type="owns")
        g.add_edge(node, f"cap:{cap.lower()}", type="provides")
    g.add_node("sys:E:E-1", type="system", label="E-1", department="E", system_id="E-1")
    g.add_edge("dept:E", "sys:E:E-1", type="owns")
    for a, b in [("P1-0", "Q1-0"), ("P2-0", "Salesforce-1"), ("Exchange-0", "P3-0"),
                 ("Exchange-1", "Gmail-0")][::order]:
        g.add_edge(f"sys:D:{a}", f"sys:D:{b}", type="integrates_with")
    g.add_edge("sys:E:E-1", "sys:D:P1-0", type="integrates_with")
    return g


def test_a_grouped_department_merges_its_smaller_products_per_capability(monkeypatch):
    monkeypatch.setattr(graphs, "GROUP_ABOVE_NODES", 5)
    page = graphs.department_page(graphs.EstateView(products_graph()), "D", {"E": "E.html"})
    groups = {n["id"]: n for n in page.nodes if n["id"].startswith(("group:", "rest:"))}
    # 8 groups > 5: 2 slots held for the 2 capabilities' merged nodes, the 3 largest kept
    # (Exchange 4, then Dynamics and Gmail with 3: ties by capability and product).
    assert sorted(groups) == ["group:CRM|Dynamics", "group:Mail|Exchange", "group:Mail|Gmail",
                              "rest:CRM", "rest:Mail"]
    mail = groups["rest:Mail"]
    assert mail["label"] == "3 other products (3)" and mail["legend"] == "Mail"
    assert mail["shapeProperties"] == {"borderDashes": [4, 3]}
    assert mail["value"] == 30.0
    assert mail["title"].splitlines() == [
        "3 other products", "3 systems (Mail, D)",
        "3 products with the fewest systems, merged to keep the page readable",
        "Products: P1 (1), P2 (1), P3 (1)",
        "Systems: P1-0, P2-0, P3-0",
        "Too many products to draw one by one: every system is listed in systems.csv and "
        "report.html"]
    assert groups["rest:CRM"]["title"].splitlines()[3] == "Products: Salesforce (2), Q1 (1)"
    assert sum(int(n["label"].rpartition("(")[2][:-1]) for n in groups.values()) == 16
    edges = {(e["from"], e["to"]): e for e in page.edges}
    assert edges[("rest:Mail", "rest:CRM")]["value"] == 2.0, "P1->Q1 and P2->Salesforce"
    assert edges[("rest:Mail", "rest:CRM")]["title"] == "2 integration(s)"
    assert edges[("group:Mail|Exchange", "rest:Mail")]["value"] == 1.0
    assert ("group:Mail|Exchange", "group:Mail|Gmail") in edges
    assert ("other:E", "rest:Mail") in edges
    assert ("dept:D", "rest:Mail") in edges and ("rest:Mail", "cap:mail") in edges
    assert not any(e["from"].startswith("group:Mail|P") or e["to"].startswith("group:Mail|P")
                   for e in page.edges), "merged groups have no node or edge of their own"
    assert "8 groups" in page.subtitle and "merged into 2 node(s)" in page.subtitle
    assert "dashed dot" in page.note


def test_merged_groups_do_not_depend_on_the_order_the_graph_was_built_in(monkeypatch):
    monkeypatch.setattr(graphs, "GROUP_ABOVE_NODES", 5)
    a = graphs.department_page(graphs.EstateView(products_graph(1)), "D", {})
    b = graphs.department_page(graphs.EstateView(products_graph(-1)), "D", {})
    assert graphs.render_graph(a) == graphs.render_graph(b)


def test_groups_within_the_cap_are_all_drawn(monkeypatch):
    monkeypatch.setattr(graphs, "GROUP_ABOVE_NODES", 8)   # 16 systems are grouped, 8 groups fit
    page = graphs.department_page(graphs.EstateView(products_graph()), "D", {})
    ids = [n["id"] for n in page.nodes]
    assert sum(i.startswith("group:") for i in ids) == 8 and not any(
        i.startswith("rest:") for i in ids)
    assert "merged" not in page.subtitle and "dashed" not in page.note


def test_cap_groups_keeps_a_bucket_s_single_leftover_as_it_is(monkeypatch):
    monkeypatch.setattr(graphs, "GROUP_ABOVE_NODES", 3)
    groups = {("A", "x"): [1, 2, 3], ("A", "y"): [4], ("A", "z"): [5], ("B", "w"): [6]}
    assert graphs.cap_groups(groups) == [
        ("A", "x", [1, 2, 3], []), ("A", None, [4, 5], [("y", 1), ("z", 1)]),
        ("B", "w", [6], [])]


def test_a_grouped_cluster_merges_its_smaller_products_per_department(monkeypatch):
    monkeypatch.setattr(graphs, "GROUP_ABOVE_NODES", 3)
    g = nx.DiGraph()
    layout = [("A", "T", "Target product", "target")] + \
        [("A", f"X{i}", "X", "migrate") for i in range(3)] + \
        [("A", "Y0", "Y", "migrate"), ("A", "Z0", "Z", "migrate")] + \
        [("B", f"X{i}", "X", "migrate") for i in range(2)] + [("B", "W0", "W", "migrate")]
    members = []
    for dept, sid, product, role in layout:
        g.add_node(f"dept:{dept}", type="department", label=dept)
        g.add_node(f"sys:{dept}:{sid}", type="system", label=sid, department=dept,
                   system_id=sid, product_name=product, users=5)
        g.add_edge(f"dept:{dept}", f"sys:{dept}:{sid}", type="owns")
        members.append({"department": dept, "system_id": sid, "name": sid, "product": product,
                        "role": role, "disposition": role.capitalize(),
                        "wave": None if role == "target" else 1, "users": 5,
                        "annual_cost": None})
    g.add_edge("sys:A:Y0", "sys:A:T", type="integrates_with")
    g.add_edge("sys:B:W0", "sys:A:Z0", type="integrates_with")
    g.add_edge("sys:B:X0", "sys:A:Z0", type="integrates_with")
    cluster = {"id": "C9", "capability": "Mail", "tier": 2, "annual_saving": 100.0,
               "waves": 1, "blockers": [], "members": members,
               "target": {"department": "A", "system_id": "T"},
               "integrations_to_repoint": [("A:Y0", "A:T")]}
    page = graphs.cluster_page(graphs.EstateView(g), cluster, {"A": "departments/A.html"})
    nodes = {n["id"]: n for n in page.nodes}
    # 5 groups > 3: 2 slots held for departments A and B, the largest (A X, 3) kept; B's
    # X and W are merged; A's Y and Z too.
    assert sorted(i for i in nodes if i.startswith(("group:", "rest:"))) == \
        ["group:A|X", "rest:A", "rest:B"]
    rest_b = nodes["rest:B"]
    assert rest_b["label"] == "B · 2 other products (3)" and rest_b["legend"] == "Migrate"
    assert rest_b["title"].splitlines() == [
        "B · 2 other products", "3 systems (migrating, wave(s) 1)",
        "2 products with the fewest systems, merged to keep the page readable",
        "Products: X (2), W (1)", "Systems: X0, X1, W0",
        "Too many products to draw one by one: every system is listed in clusters.csv and "
        "report.html"]
    edges = sorted((e["from"], e["to"], e["title"], e.get("value")) for e in page.edges)
    assert [e for e in edges if e[0].startswith("rest:")] == [
        ("rest:A", "sys:A:T", "1 integration(s) to re-point", 1.0),
        ("rest:A", "sys:A:T", "2 migrate to the target", 2.0),
        ("rest:B", "rest:A", "2 integration(s)", 2.0),      # W0->Z0 and X0->Z0 summed
        ("rest:B", "sys:A:T", "3 migrate to the target", 3.0)]
    assert {e[:2] for e in edges if e[1].startswith("rest:")} == \
        {("dept:A", "rest:A"), ("dept:B", "rest:B"), ("rest:B", "rest:A")}
    assert "5 groups" in page.subtitle and "one per department" in page.subtitle


def test_integer_adjacency_agrees_with_the_walked_links():
    """connected, grouped_counts, edges_from and the data-flow counts read the integrations
    as integer codes; they must say what walking the edges says, including an edge to a
    node that is not a system, a self-loop and a system with no department."""
    g = nx.DiGraph()
    for dept in ("A", "B"):
        g.add_node(f"dept:{dept}", type="department", label=dept)
    for key, dept in (("sys:A:1", "A"), ("sys:A:2", "A"), ("sys:B:1", "B"), ("sys:B:2", "B"),
                      ("sys:X:1", None)):
        g.add_node(key, type="system", label=key[4:], department=dept, system_id=key[-1])
    g.add_node("other", type="note")
    for u, v in (("sys:A:1", "sys:B:1"), ("sys:A:1", "sys:A:2"), ("sys:B:2", "sys:A:1"),
                 ("sys:A:2", "sys:A:2"), ("sys:A:2", "other"), ("sys:X:1", "sys:B:2"),
                 ("sys:B:1", "sys:A:2")):
        g.add_edge(u, v, type="integrates_with")
    view = graphs.EstateView(g)
    out, into = view.links
    systems = view.ids
    for s in systems:
        expected = sorted({*out.get(s, ()), *into.get(s, ())} - {s})
        assert view.connected([s], {s}) == expected
    assert view.connected(["sys:A:1", "sys:A:2"], {"sys:A:1", "sys:A:2"}) == \
        ["other", "sys:B:1", "sys:B:2"]
    node_of = {"sys:A:1": "a", "sys:A:2": "a", "sys:B:1": "b", "sys:B:2": "b", "other": "o"}
    keys = list(node_of)
    grouped = view.grouped_counts([(view.code_of(keys), np.arange(len(keys)))],
                                  [node_of[k] for k in keys])
    assert grouped == {("a", "b"): 1, ("b", "a"): 2, ("a", "o"): 1}
    keep = set(systems) | {"other"}
    assert view.edges_from(systems, "integrates_with", keep) == sorted(
        (u, v) for u in systems for v in out.get(u, ()) if v in keep)
    flows = {(e["from"], e["to"]): e["value"] for e in
             graphs.data_flow_page(view, {"departments": {}}).edges if "value" in e
             and e["to"].startswith("dept:")}
    assert flows == {("dept:A", "dept:B"): 1.0, ("dept:B", "dept:A"): 2.0}


# --- a grouped page draws at most GROUP_DRAWN_MAX groups, below the grouping threshold -----

def test_a_grouped_page_draws_at_most_group_drawn_max_groups(monkeypatch):
    monkeypatch.setattr(graphs, "GROUP_ABOVE_NODES", 10)  # 16 systems: grouped, 8 groups
    monkeypatch.setattr(graphs, "GROUP_DRAWN_MAX", 100)
    view = graphs.EstateView(products_graph())
    ids = [n["id"] for n in graphs.department_page(view, "D", {}).nodes]
    assert sum(i.startswith("group:") for i in ids) == 8, "8 groups fit under both limits"
    monkeypatch.setattr(graphs, "GROUP_DRAWN_MAX", 5)
    assert graphs.group_cap() == 5
    page = graphs.department_page(graphs.EstateView(products_graph()), "D", {})
    groups = sorted(n["id"] for n in page.nodes if n["id"].startswith(("group:", "rest:")))
    assert groups == ["group:CRM|Dynamics", "group:Mail|Exchange", "group:Mail|Gmail",
                      "rest:CRM", "rest:Mail"], "as when 5 is the grouping threshold"
    assert "8 groups" in page.subtitle and "merged into 2 node(s)" in page.subtitle


def test_the_drawn_group_cap_keeps_a_large_view_within_the_design_limit():
    assert graphs.group_cap() <= graphs.GROUP_ABOVE_NODES
    assert graphs.GROUP_DRAWN_MAX <= 1000, "DESIGN.md: about 1-2k nodes per view at most, " \
        "with up to a few hundred department hubs and other-department nodes besides"


# --- ungrouped pages build their node and edge JSON column-wise ----------------------------

def hostile_graph(systems: int) -> nx.DiGraph:
    """Two departments with systems whose names and labels need escaping, sizes that are
    missing, zero, -0.0 and NaN, and integrations both ways."""
    g = nx.DiGraph()
    for dept in ("A", "B<&'>"):
        g.add_node(f"dept:{dept}", type="department", label=dept)
    g.add_node("cap:c1", type="capability", label="Mail </script>")
    sizes = [None, 0.0, -0.0, float("nan"), 12.5, 1e21, 3.0]
    depts = ["A" if i % 3 else "B<&'>" for i in range(systems)]
    for i in range(systems):
        dept = depts[i]
        key = f"sys:{dept}:S{i}"
        g.add_node(key, type="system", department=dept, system_id=f"S{i}",
                   label=f"{XSS_NAME} {i}" if i % 2 else f"Ünïcode · £ {SCRIPT_END_NAME}",
                   name=f"n{i}\n\"q\"", product="P", capability_id="c1" if i % 4 else None,
                   capability_name="Mail </script>" if i % 4 else None,
                   users=sizes[i % len(sizes)])
        g.add_edge(f"dept:{dept}", key, type="owns")
        if i % 4:
            g.add_edge(key, "cap:c1", type="provides")
        if i:
            g.add_edge(key, f"sys:{depts[i - 1]}:S{i - 1}", type="integrates_with")
    return g


def test_column_built_page_json_is_the_json_of_its_nodes_and_edges():
    for systems in (12, graphs.PHYSICS_MAX_NODES + 40):   # with physics, and laid out here
        g = hostile_graph(systems)
        view = graphs.EstateView(g)
        dept_pages = {"A": "departments/A.html", "B<&'>": "departments/B.html"}
        members = [{"department": d, "system_id": i, "name": f"n{i}", "product": "P",
                    "role": "target" if i == "S1" else "migrate", "disposition": "Migrate",
                    "wave": None if i == "S1" else 2, "users": 1, "annual_cost": None}
                   for d, i in (("A", "S1"), ("A", "S2"), ("B<&'>", "S3"), ("A", "S4"),
                                ("A", "gone"))]
        cluster = {"id": "C1", "capability": "Mail", "tier": 1, "annual_saving": None,
                   "waves": 1, "blockers": [], "members": members,
                   "target": {"department": "A", "system_id": "S1"},
                   "integrations_to_repoint": [("A:S2", "A:S1")]}
        built = [graphs.department_page(view, d, dept_pages) for d in dept_pages]
        built.append(graphs.cluster_page(view, cluster, dept_pages))
        for page in built:
            assert isinstance(page.nodes, graphs.PageRows)
            for rows in (page.nodes, page.edges):
                assert graphs._json(rows) == htmlsafe_json_dumps(list(rows), sort_keys=True)
            html = graphs.render_graph(page)
            assert "</script>" not in html.split("var ESTATE_GRAPH", 1)[1].split(
                "</script>", 1)[0]
        titles = {e["title"] for e in built[-1].edges}
        assert "integration to re-point" in titles and "migrates to" in titles
        assert any("x" in n for n in built[0].nodes) == (systems > graphs.PHYSICS_MAX_NODES)
