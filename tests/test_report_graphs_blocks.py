"""Column-built parts of the grouped graph pages write the same JSON as their dicts would.

Group nodes (:class:`graphs.GroupNodes`) and positions rounded with numpy
(:func:`graphs._rounded`) are checked against the plain Python they replace.
"""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings, strategies as st
from jinja2.utils import htmlsafe_json_dumps

from estate.report import graphs
from conftest import XSS_NAME, SCRIPT_END_NAME
from test_report_graphs import hostile_graph

HOSTILE = [XSS_NAME, SCRIPT_END_NAME, "Ünïcode · £", 'q"uote\\', "a, b", '", "', "\n\t", ""]


def test_group_nodes_are_the_dicts_of_group_node_and_merged_node_and_their_json():
    block = graphs.GroupNodes()
    expected = []
    for i, text in enumerate(HOSTILE):
        ids = [f"{text}{k}" for k in range(i * 3)]
        url = f"../d/{text}.html" if i % 2 else None
        block.add(f"group:{text}|{i}", text, "#123456", text, ids, len(ids) + i, i * 1.5,
                  f"what {text}", url=url)
        expected.append(graphs.group_node(f"group:{text}|{i}", text, "#123456", text, ids,
                                          len(ids) + i, i * 1.5, f"what {text}", url=url))
        products = [(f"{text}p{k}", k) for k in range(i * 2)]
        block.add_merged(f"rest:{text}", text, "#654321", "Migrate", products, ids,
                         len(ids), 0, text, "clusters.csv")
        expected.append(graphs.merged_node(f"rest:{text}", text, "#654321", "Migrate",
                                           products, ids, len(ids), 0, text, "clusters.csv"))
    assert block.dicts() == expected
    assert all(n["borderWidth"] == 3 and isinstance(n["value"], float) for n in expected)
    assert "shapeProperties" in expected[1] and "url" in expected[2]
    rows = graphs.PageRows([[{"id": "hub", "label": "Hub"}], block])
    assert graphs._json(rows) == htmlsafe_json_dumps(list(rows), sort_keys=True)
    positions = {n["id"]: (i * 10.25, -i / 3) for i, n in enumerate(expected) if i % 3}
    rows.place(positions)
    assert graphs._json(rows) == htmlsafe_json_dumps(list(rows), sort_keys=True)
    placed = [n for n in rows if "x" in n]
    assert len(placed) == len(positions)
    assert rows.ids() == ["hub", *(n["id"] for n in expected)]
    assert rows.labels() == ["Hub", *(n["label"] for n in expected)]


def test_grouped_pages_write_the_json_of_their_nodes_and_edges():
    g = hostile_graph(graphs.GROUP_ABOVE_NODES * 2 + 200)
    view = graphs.EstateView(g)
    dept_pages = {"A": "departments/A.html"}
    page = graphs.department_page(view, "A", dept_pages)
    assert any(n["id"].startswith("group:") for n in page.nodes)
    members = [{"department": "A", "system_id": f"S{i}", "name": f"n{i}",
                "product": (None, "")[i % 8 - 1] if i % 8 in (1, 2) else f"P{i} {XSS_NAME}",
                "role": "target" if i == 1 else "migrate", "disposition": "Migrate",
                "wave": i % 3 or None, "users": (None, 0, 2.5, 7)[i % 4], "annual_cost": None}
               for i in range(graphs.GROUP_ABOVE_NODES * 2 + 200) if i % 3]
    cluster = {"id": "C1", "capability": "Mail", "tier": 1, "annual_saving": None,
               "waves": 2, "blockers": [], "members": members,
               "target": {"department": "A", "system_id": "S1"},
               "integrations_to_repoint": [("A:S2", "A:S1"), ("A:S4", "B<&'>:S3"),
                                           ("A:nowhere", "A:S5")]}
    cpage = graphs.cluster_page(view, cluster, dept_pages)
    assert any(n["id"].startswith("group:") for n in cpage.nodes)
    assert any("to re-point" in e["title"] for e in cpage.edges)
    assert any(n["id"].startswith("rest:") for n in cpage.nodes)   # groups merged
    assert not cpage.physics and any("x" in n for n in cpage.nodes)
    for built in (page, cpage):
        for rows in (built.nodes, built.edges):
            assert graphs._json(rows) == htmlsafe_json_dumps(list(rows), sort_keys=True)
        assert "</script>" not in graphs.render_graph(built).split(
            "var ESTATE_GRAPH", 1)[1].split("</script>", 1)[0]


TRICKY = [0.0, -0.0, 0.05, -0.05, 0.15, 0.25, 0.35, 2.675, 1.005, 1e15 + 0.05, 1e300,
          -1e300, 5e-324, 12.349999999999, 12.35, 12.350000000001]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.tuples(
    st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(TRICKY),
              st.integers(-10**6, 10**6).map(lambda n: n / 20)),
    st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(TRICKY),
              st.integers(-10**6, 10**6).map(lambda n: n / 100)))), max_size=60))
def test_rounded_positions_are_pythons_round(points):
    got = graphs._rounded(points)
    expected = [None if p is None else (round(p[0], 1), round(p[1], 1)) for p in points]
    assert [None if p is None else tuple(map(repr, p)) for p in got] == \
        [None if p is None else tuple(map(repr, p)) for p in expected]


def test_rounded_positions_keep_what_is_not_a_float():
    points = [(1, 2), (0.25, 3)] * 10 + [None]
    assert graphs._rounded(points) == [None if p is None else (round(p[0], 1), round(p[1], 1))
                                       for p in points]
    assert type(graphs._rounded(points)[0][0]) is int


def test_split_by_is_positions_by_name_sorted():
    names = ["b", "a", "c<", "a", "b", "b", "Z", "a"]
    expected = defaultdict(list)
    for i, name in enumerate(names):
        expected[name].append(i)
    got = graphs._split_by(names)
    assert got == sorted(expected.items())
    assert graphs._split_by([]) == []
