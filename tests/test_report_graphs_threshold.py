"""Where a cluster or department page stops drawing one node per system and draws groups.

A page draws its systems one by one up to :data:`graphs.GROUP_ABOVE_NODES` nodes (its own
systems, the systems linked to them and, on a cluster page, the members' departments), and
groups above that; the threshold is no higher than the number of groups a grouped page
draws, so no page draws more system nodes than a grouped page draws groups.
"""

from __future__ import annotations

import networkx as nx

from estate.report import graphs


def department_graph(own: int, partners: int = 0) -> nx.DiGraph:
    """Department D with ``own`` systems (a product each, two capabilities) and
    ``partners`` systems in E, each integrated with one of D's."""
    g = nx.DiGraph()
    for dept in ("D", "E"):
        g.add_node(f"dept:{dept}", type="department", label=dept)
    for cap in ("mail", "crm"):
        g.add_node(f"cap:{cap}", type="capability", label=cap.upper())
    for i in range(own):
        cap = ("mail", "crm")[i % 2]
        node = f"sys:D:S{i:04d}"
        g.add_node(node, type="system", label=f"S{i}", name=f"S{i}", department="D",
                   system_id=f"S{i:04d}", capability_id=cap, capability_name=cap.upper(),
                   product_name=f"P{i}", users=i)
        g.add_edge("dept:D", node, type="owns")
        g.add_edge(node, f"cap:{cap}", type="provides")
    for i in range(partners):
        node = f"sys:E:X{i:04d}"
        g.add_node(node, type="system", label=f"X{i}", department="E", system_id=f"X{i:04d}")
        g.add_edge("dept:E", node, type="owns")
        g.add_edge(node, f"sys:D:S{i % own:04d}", type="integrates_with")
    return g


def grouped(page: graphs.GraphPage) -> bool:
    return any(n["id"].startswith(("group:", "rest:")) for n in page.nodes)


def test_a_department_page_is_drawn_one_by_one_up_to_the_threshold_and_grouped_above():
    limit = graphs.GROUP_ABOVE_NODES
    at = graphs.department_page(graphs.EstateView(department_graph(limit - 10, 10)), "D", {})
    assert not grouped(at)
    assert sum(n["id"].startswith("sys:") for n in at.nodes) == limit
    above = graphs.department_page(graphs.EstateView(department_graph(limit - 10, 11)), "D",
                                   {})
    assert grouped(above) and "groups of one capability and product" in above.subtitle
    assert not any(n["id"].startswith("sys:") for n in above.nodes)
    assert {n["id"] for n in above.nodes if n["id"].startswith("other:")} == {"other:E"}


def cluster_of(members: int, neighbours: int) -> tuple[nx.DiGraph, dict]:
    g = department_graph(members, neighbours)
    records = [{"department": "D", "system_id": f"S{i:04d}", "name": f"S{i}",
                "product": f"P{i % 7}", "role": "target" if i == 0 else "migrate",
                "disposition": "Migrate", "wave": 1, "users": i, "annual_cost": None}
               for i in range(members)]
    cluster = {"id": "C1", "capability": "Mail", "tier": 1, "annual_saving": 10.0,
               "waves": 1, "blockers": [], "members": records,
               "target": {"department": "D", "system_id": "S0000"},
               "integrations_to_repoint": []}
    return g, cluster


def test_a_cluster_page_counts_members_departments_and_neighbours_against_the_threshold():
    limit = graphs.GROUP_ABOVE_NODES
    g, cluster = cluster_of(limit - 11, 10)   # members, their department and neighbours
    view = graphs.EstateView(g)
    plan = graphs.cluster_systems(view, cluster)
    assert len(plan.keys) + len(plan.departments) + len(plan.neighbours) == limit
    assert not plan.grouped and not grouped(graphs.cluster_page(view, cluster, {}, plan))
    g, cluster = cluster_of(limit - 11, 11)
    view = graphs.EstateView(g)
    plan = graphs.cluster_systems(view, cluster)
    page = graphs.cluster_page(view, cluster, {}, plan)
    assert plan.grouped and grouped(page)
    assert "groups of one department and product" in page.subtitle
    assert sorted(n["id"] for n in page.nodes if n["id"].startswith("group:")) == \
        [f"group:D|P{i}" for i in range(7)]


def test_no_page_draws_more_systems_one_by_one_than_a_grouped_page_draws_groups():
    assert 500 <= graphs.GROUP_ABOVE_NODES <= graphs.GROUP_DRAWN_MAX
    assert graphs.group_cap() == graphs.GROUP_DRAWN_MAX, \
        "the threshold does not lower the number of groups a grouped page draws"
