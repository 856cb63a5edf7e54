"""What the graph pages read from the systems table instead of the graph's nodes.

When the table is the graph's own (``graph.graph["systems"]``, built with the nodes), a
system's department and id are read from its columns, and a cluster's member columns are
read only when a page asks for them: in the forked report child every node dict or value
touched is a memory page copied. These tests check the table reads give what reading each
node gives, and the lazy member columns what reading them all at once gives.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from estate.report import graphs, xlsx
from estate.report.model import build_document
from test_report_graphs import built_findings, full_graph


def by_node(view: graphs.EstateView, values: list) -> dict:
    """``values`` (one per code) by node id."""
    return dict(zip(view.adjacency[0], values))


def with_strays(graph: nx.DiGraph) -> nx.DiGraph:
    """``graph`` plus an external reference and a node an integration reaches that is no
    system, both read from their nodes."""
    graph.add_node("sys:X:EXT-1", type="system", label="Elsewhere", external=True,
                   department="X", system_id="EXT-1")
    graph.add_node("thing:1", type="other")
    first = next(n for n, a in graph.nodes(data=True) if a.get("type") == "system")
    graph.add_edge(first, "sys:X:EXT-1", type="integrates_with")
    graph.add_edge("sys:X:EXT-1", "thing:1", type="integrates_with")
    return graph


@pytest.mark.parametrize("strays", [False, True])
def test_department_and_id_read_from_the_table_are_the_nodes(strays):
    slim = built_findings().graph
    full = full_graph(slim)
    if strays:
        slim, full = with_strays(slim), with_strays(full)
    from_table, from_nodes = graphs.EstateView(slim), graphs.EstateView(full)
    assert from_table.own_table and not from_nodes.own_table
    for view in (from_table, from_nodes):
        view.codes_all = np.arange(len(view.adjacency[0]))
    assert by_node(from_table, from_table.system_ids(from_table.codes_all)) == \
        by_node(from_nodes, from_nodes.system_ids(from_nodes.codes_all))
    assert by_node(from_table, from_table.department_of(from_table.codes_all)) == \
        by_node(from_nodes, from_nodes.department_of(from_nodes.codes_all))
    assert dict(zip(from_table.ids, from_table.node_departments().tolist())) == \
        {n: full.nodes[n].get("department") or None for n in from_nodes.ids}
    if strays:
        assert by_node(from_table, from_table.system_ids(from_table.codes_all))[
            "thing:1"] == "thing:1"


def test_a_missing_system_id_is_named_by_its_node_id():
    findings = built_findings()
    table = findings.graph.graph["systems"]
    table.iloc[0, table.columns.get_loc("system_id")] = None
    view = graphs.EstateView(findings.graph)
    assert view.system_ids(np.array([0, 1])) == [table.index[0], table.iloc[1]["system_id"]]


def test_departments_are_sorted_systems_and_partners_in_either_view():
    slim = built_findings().graph
    full = full_graph(slim)
    for department in ("HO", "DWP", "MOJ"):
        a = graphs.department_systems(graphs.EstateView(slim), department)
        b = graphs.department_systems(graphs.EstateView(full), department)
        assert (a.own, a.partners) == (b.own, b.partners)
        assert a.own == sorted(a.own) and a.partners == sorted(a.partners)


def test_member_columns_are_read_when_asked_for_and_match_reading_them_all():
    findings = built_findings()
    doc = build_document(findings)
    clusters = [c for c in doc["clusters"] if c["graph"]]
    lazy = graphs.member_columns(clusters)
    assert lazy and all(isinstance(c, graphs.MemberColumns) for c in lazy)
    assert not lazy[0]._read
    assert lazy[0].value("name", 0) == clusters[0]["members"][0]["name"]
    assert not lazy[0]._read, "one value is read without its column"
    for columns, cluster in zip(lazy, clusters):
        assert list(columns) == list(graphs.MEMBER_FIELDS)
        for key in graphs.MEMBER_FIELDS:
            assert columns[key].tolist() == [m[key] for m in cluster["members"]]
            assert [columns.value(key, i) for i in range(len(cluster["members"]))] == \
                columns[key].tolist()
    with pytest.raises(KeyError):
        lazy[0]["not a field"]


@pytest.mark.parametrize("ids", [
    ["A-1", "A-2", "A-1", "B-1", "A-3"],
    ["A-1", None, 7, "B-1", "A-1"],
    [],
])
def test_workbook_finds_the_target_rows_as_a_loop_would(ids):
    departments = ["D", "D", "E", "E", "F"][:len(ids)]
    targets = {("E", "A-1"), ("D", None), ("F", "A-1"), ("E", 7), ("Z", "B-1")}
    expected = [r for r, key in enumerate(zip(departments, ids)) if key in targets]
    assert xlsx._rows_of(departments, ids, targets) == expected
