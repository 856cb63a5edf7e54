"""How build_graph fills the networkx graph: the same graph networkx's own calls would make,
one shared read-only attribute dict per edge type, integration references resolved, type
counts kept."""

from __future__ import annotations

import copy
import pickle
import random
from collections import Counter

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from estate.graph import (_add_edges, _add_hub_edges, _add_nodes, build_graph, edge_attributes,
                          type_counts)
from estate.settings import Settings
from test_graph import M365, systems_table


def _shape(graph: nx.DiGraph) -> tuple:
    """Everything order-sensitive about a graph: nodes, successors and predecessors."""
    return (list(graph.nodes(data=True)), list(graph.edges(data=True)),
            [(n, list(graph.pred[n])) for n in graph], list(graph._pred), list(graph._succ))


def _counted(graph: nx.DiGraph) -> nx.DiGraph:
    graph.graph["type_counts"] = {"nodes": {}, "edges": {}}
    return graph


def test_adding_edges_matches_networkx_with_repeats_existing_edges_and_new_nodes():
    rng = random.Random(7)
    nodes = [f"n{i}" for i in range(40)]
    for trial in range(30):
        ours, theirs = _counted(nx.DiGraph()), nx.DiGraph()
        for g in (ours, theirs):
            g.add_nodes_from(nodes[:30])
            g.add_edge("n1", "n2", type="old")
        for kind in ("a", "b", "a"):
            ends = nodes[:30 + trial % 3]  # some trials reach nodes not added yet
            pairs = [(rng.choice(ends if trial % 2 else nodes[:30]), rng.choice(ends))
                     for _ in range(60)]
            pairs.append(("n1", "n2"))
            _add_edges(ours, [u for u, _ in pairs], [v for _, v in pairs], kind)
            theirs.add_edges_from(pairs, type=kind)
        assert _shape(ours) == _shape(theirs)
        assert all(d is edge_attributes(d["type"]) for _, _, d in ours.edges(data=True)), \
            "every edge of a type holds that type's one dict, repeated and old edges too"
        assert all(ours._succ[u][v] is ours._pred[v][u] for u, v in ours.edges)


def test_hub_edges_match_networkx_in_both_directions_with_repeats():
    rng = random.Random(3)
    hubs, others = [f"h{i}" for i in range(5)], [f"s{i}" for i in range(30)]
    for trial in range(20):
        codes = [rng.randrange(len(hubs)) for _ in range(50)]
        ends = [rng.choice(others) for _ in range(50)]
        ours, theirs = _counted(nx.DiGraph()), nx.DiGraph()
        for g in (ours, theirs):
            g.add_nodes_from(others + hubs)
            g.add_edge("s1", "h1", type="old")
            g.add_edge("h2", "s2", type="old")
        outward = trial % 2 == 0  # hub -> system (owns), else system -> hub (runs)
        pairs = [(hubs[c], e) if outward else (e, hubs[c]) for c, e in zip(codes, ends)]
        theirs.add_edges_from(pairs, type="k")
        other_side = ours._pred if outward else ours._succ
        _add_hub_edges(ours, "k", hubs, ours._succ if outward else ours._pred,
                       np.array(codes), np.array(ends, dtype=object),
                       [other_side[e] for e in ends])
        assert _shape(ours) == _shape(theirs)
        assert ours.graph["type_counts"]["edges"]["k"] == len(set(pairs) - {("s1", "h1"),
                                                                          ("h2", "s2")})


def test_list_fields_that_are_not_tuples_are_read_as_pandas_explodes_them():
    table = systems_table([dict(department="A", system_id="1", data_domains=("HR", " ", None),
                                integrates_with=(" 2 ", "")),
                           dict(department="A", system_id="2", data_domains="Finance",
                                integrates_with=None)])
    graph = build_graph(table, Settings())
    assert list(graph.successors("sys:A:1")) == ["data:hr", "sys:A:2"]
    assert list(graph.successors("sys:A:2")) == ["data:finance"]
    assert graph.nodes["data:finance"] == {"type": "data_domain", "label": "Finance"}
    assert type_counts(graph)["edges"] == {"holds_data": 2, "integrates_with": 1, "owns": 2}


def _edge_graph() -> nx.DiGraph:
    graph = _counted(nx.DiGraph())
    graph.add_nodes_from("abc")
    _add_edges(graph, ["a", "a"], ["b", "c"], "owns")
    _add_edges(graph, ["b"], ["c"], "runs")
    return graph


def test_edges_of_a_type_share_one_dict_that_refuses_every_write():
    graph = _edge_graph()
    assert graph.edges["a", "b"] is graph.edges["a", "c"] is graph.pred["b"]["a"]
    assert graph.edges["b", "c"] == {"type": "runs"}
    writes = [lambda d: d.__setitem__("type", "x"), lambda d: d.__delitem__("type"),
              lambda d: d.update(weight=1), lambda d: d.setdefault("weight", 1),
              lambda d: d.pop("type"), lambda d: d.popitem(), lambda d: d.clear(),
              lambda d: d.__ior__({"weight": 1})]
    for write in writes:
        with pytest.raises(TypeError, match=r"shared .* read-only.*graph\.copy\(\)"):
            write(graph.edges["a", "b"])
    with pytest.raises(TypeError, match="read-only"):
        graph.add_edge("a", "b", weight=2)
    with pytest.raises(TypeError, match="read-only"):
        nx.set_edge_attributes(graph, 1, "weight")
    assert graph.edges["a", "b"] == {"type": "owns"} and graph.edges["a", "c"] == {"type": "owns"}


def test_a_copy_of_the_graph_has_writable_edge_dicts_of_its_own():
    graph = _edge_graph()
    copied = graph.copy()
    copied.edges["a", "b"]["type"] = "changed"
    copied.add_edge("a", "c", weight=2)
    assert copied.edges["a", "b"] == {"type": "changed"}
    assert copied.edges["a", "c"] == {"type": "owns", "weight": 2}
    assert graph.edges["a", "b"] == graph.edges["a", "c"] == {"type": "owns"}


def test_networkx_reads_and_copies_see_the_same_edges_as_plain_dicts_give():
    ours = _edge_graph()
    theirs = nx.DiGraph()
    theirs.add_nodes_from("abc")
    theirs.add_edges_from([("a", "b"), ("a", "c")], type="owns")
    theirs.add_edge("b", "c", type="runs")
    assert _shape(ours) == _shape(theirs)
    assert list(ours.edges(data="type")) == list(theirs.edges(data="type"))
    assert ours.get_edge_data("a", "c") == theirs.get_edge_data("a", "c")
    assert dict(ours.adj["a"]) == dict(theirs.adj["a"]) and dict(ours.pred["c"]) == dict(
        theirs.pred["c"])
    for make in (nx.DiGraph, nx.reverse, copy.deepcopy, lambda g: pickle.loads(pickle.dumps(g)),
                 lambda g: g.subgraph("ab").copy()):
        assert _shape(make(ours)) == _shape(make(theirs))
    ours_u, theirs_u = ours.to_undirected(), theirs.to_undirected()
    assert list(ours_u.edges(data=True)) == list(theirs_u.edges(data=True))
    assert nx.node_link_data(ours, edges="links")["links"] == nx.node_link_data(
        theirs, edges="links")["links"]
    assert list(nx.topological_sort(ours)) == list(nx.topological_sort(theirs))
    unpickled = pickle.loads(pickle.dumps(ours))
    assert unpickled.edges["a", "b"] is unpickled.edges["a", "c"], "still one dict per type"


def test_an_edge_to_none_is_refused_as_networkx_does():
    for sources, targets in ((["a", "a", "x"], ["b", None, "c"]),
                             (["a", "y", None], ["b", "c", "a"])):
        ours, theirs = _counted(nx.DiGraph()), nx.DiGraph()
        for g in (ours, theirs):
            g.add_nodes_from("abc")
        with pytest.raises(ValueError, match="None cannot be a node"):
            _add_edges(ours, sources, targets, "owns")
        with pytest.raises(ValueError, match="None cannot be a node"):
            theirs.add_edges_from(zip(sources, targets), type="owns")
        assert _shape(ours) == _shape(theirs), "the edges before it added, nothing after"


def test_adding_nodes_matches_networkx_with_repeats_and_existing_nodes():
    for nodes in (["x", "y", "z"], ["x", "y", "x"], ["a", "y"]):
        ours, theirs = nx.DiGraph(), nx.DiGraph()
        for g in (ours, theirs):
            g.add_node("a", type="old", keep=1)
        attrs = [{"type": "t", "label": i} for i in range(len(nodes))]
        _add_nodes(ours, nodes, [dict(a) for a in attrs])
        theirs.add_nodes_from(zip(nodes, attrs))
        assert _shape(ours) == _shape(theirs)


def _integrations(graph) -> list[tuple[str, str]]:
    return [(u, v) for u, v, d in graph.edges(data=True) if d["type"] == "integrates_with"]


def test_integration_references_resolve_by_department_and_id():
    table = systems_table([
        dict(department="Home Office", system_id="HO-1",
             integrates_with=("ho-2", " HO-2 ", "HMRC:t-9", "HO-1", "T-9", "", "DWP:X")),
        dict(department="Home Office", system_id=" ho-2"),
        dict(department="Home Office", system_id="HO-2", name="later duplicate id"),
        dict(department="HMRC", system_id="T-9", integrates_with=("HO:HO-1", "ho:ho-1")),
        dict(department="HMRC", system_id="Q", status="quarantined", integrates_with=("T-9",)),
    ])
    graph = build_graph(table, Settings())
    assert _integrations(graph) == [
        ("sys:Home Office:HO-1", "sys:Home Office: ho-2"),
        ("sys:Home Office:HO-1", "sys:HMRC:T-9"),
        ("sys:Home Office:HO-1", "sys:external:T-9"),
        ("sys:Home Office:HO-1", "sys:external:DWP:X"),
        ("sys:HMRC:T-9", "sys:Home Office:HO-1"),
    ], "first system with the id wins; a self reference is dropped; unqualified ids stay " \
       "in the department; initials name a department"
    assert sorted((f.line, f.value) for f in graph.graph["findings"]) == [
        (2, "DWP:X"), (2, "T-9")]
    index = graph.graph["integrations"]
    assert list(zip(index["source"], index["target"])) == [
        ("sys:Home Office:HO-1", "sys:Home Office: ho-2"),
        ("sys:Home Office:HO-1", "sys:Home Office: ho-2"),
        ("sys:Home Office:HO-1", "sys:HMRC:T-9"),
        ("sys:HMRC:T-9", "sys:Home Office:HO-1"),
        ("sys:HMRC:T-9", "sys:Home Office:HO-1"),
        ("sys:Home Office:HO-1", "sys:external:T-9"),
        ("sys:Home Office:HO-1", "sys:external:DWP:X"),
    ]


def test_no_reference_matching_any_system_makes_only_external_nodes():
    table = systems_table([dict(department="A", system_id="1", integrates_with=("B:2", "3"))])
    graph = build_graph(table, Settings())
    assert _integrations(graph) == [("sys:A:1", "sys:external:B:2"),
                                    ("sys:A:1", "sys:external:3")]


def test_rows_after_a_quarantined_row_keep_their_own_values():
    table = systems_table([
        dict(department="A", system_id="1", name="one", hosting="AWS", **M365),
        dict(department="A", system_id="2", name="gone", status="quarantined", hosting="x"),
        dict(department="A", system_id="3", name="three", data_domains=("HR",)),
    ])
    graph = build_graph(table, Settings())
    systems = graph.graph["systems"]
    assert list(systems.index) == ["sys:A:1", "sys:A:3"]
    assert systems["name"].tolist() == ["one", "three"]
    assert systems["hosting"].tolist() == ["AWS", None]
    assert systems["source_line"].tolist() == [2, 4]
    assert graph.nodes["sys:A:3"]["label"] == "three"
    assert list(graph.successors("sys:A:3")) == ["data:hr"]


def test_a_repeated_system_key_is_one_node_with_the_last_row():
    table = systems_table([dict(department="A", system_id="1", name="first", **M365),
                           dict(department="A", system_id="1", name="second")])
    graph = build_graph(table, Settings())
    assert graph.graph["systems"]["name"].tolist() == ["second"]
    assert graph.nodes["sys:A:1"]["label"] == "second"
    assert graph.number_of_edges("dept:A", "sys:A:1") == 1


def _walked(graph) -> dict:
    nodes = Counter(d.get("type", "unknown") for _, d in graph.nodes(data=True))
    edges = Counter(d.get("type", "unknown") for _, _, d in graph.edges(data=True))
    return {"nodes": dict(sorted(nodes.items())), "edges": dict(sorted(edges.items()))}


def test_type_counts_are_kept_while_the_graph_is_unchanged():
    table = systems_table([
        dict(department="A", system_id="1", integrates_with=("2", "2", "9"),
             data_domains=("HR", "hr"), **M365),
        dict(department="A", system_id="2", **M365),
        dict(department="B", system_id="1", capability_id="tax", capability_name="Tax"),
    ])
    graph = build_graph(table, Settings())
    assert type_counts(graph) == _walked(graph)
    assert type_counts(graph)["edges"]["integrates_with"] == 2
    graph.add_node("loose")
    assert type_counts(graph) is None, "stale once the nodes change"
    graph.remove_node("loose")
    graph.remove_edge("sys:A:1", "sys:A:2")
    assert type_counts(graph) is None, "stale once the edges change"


def test_an_empty_table_builds_an_empty_graph():
    graph = build_graph(systems_table([]), Settings())
    assert graph.number_of_nodes() == 0
    assert type_counts(graph) == {"nodes": {}, "edges": {}}
    assert isinstance(graph.graph["integrations"], pd.DataFrame)


def test_a_system_key_listed_twice_makes_one_node_with_the_last_row():
    table = systems_table([
        dict(department="A", system_id="1", name="first", system_key="A:1"),
        dict(department="A", system_id="2", name="other", system_key="A:2"),
        dict(department="A", system_id="1", name="second", system_key="A:1"),
    ])
    graph = build_graph(table, Settings())
    systems = [n for n, d in graph.nodes(data=True) if d["type"] == "system"]
    assert systems == ["sys:A:1", "sys:A:2"]
    assert graph.nodes["sys:A:1"]["label"] == "second"
    assert list(graph.predecessors("sys:A:1")) == ["dept:A"]
    assert graph.graph["systems"].index.tolist() == ["sys:A:2", "sys:A:1"]
    assert graph.graph["systems"].loc["sys:A:1", "name"] == "second"
    assert graph.graph["type_counts"]["nodes"]["system"] == 2
