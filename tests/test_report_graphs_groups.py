"""Helpers of the grouped graph pages: a tooltip's first ids, partners split by department,
integrations counted between groups, and a cluster's members kept lazily by row."""

from __future__ import annotations

import networkx as nx
import numpy as np

from estate.report import graphs
from estate.report.model import build_document
from test_report_graphs import built_findings


def small_view() -> graphs.EstateView:
    g = nx.DiGraph()
    for i in range(30):
        dept = "AB"[i % 2]
        g.add_node(f"sys:{dept}:{i:02}", type="system", label=f"s{i}", department=dept,
                   system_id=f"ID-{i:02}" if i % 3 else None)
    for i in range(29):
        g.add_edge(f"sys:{'AB'[i % 2]}:{i:02}", f"sys:{'AB'[(i + 1) % 2]}:{i + 1:02}",
                   type="integrates_with")
    return graphs.EstateView(g)


def test_group_heads_are_the_system_ids_of_each_groups_first_members():
    view = small_view()
    ordered = np.arange(30)[::-1].copy()
    bounds = np.array([0, 20, 21, 30])
    heads = graphs._group_heads(view, ordered, bounds)
    ids = view.system_ids(ordered)
    expected = [x if i - bounds[np.searchsorted(bounds, i, side="right") - 1]
                < graphs.GROUP_TOOLTIP_IDS else None for i, x in enumerate(ids)]
    assert heads == expected
    assert graphs._group_heads(view, np.empty(0, dtype=np.intp), np.array([0])) == []


def test_first_ids_name_the_first_members_of_each_department():
    view = small_view()
    codes = np.arange(30)
    groups = graphs._split_by(view.department_of(codes))
    assert [name for name, _ in groups] == ["A", "B"]
    ids = view.system_ids(codes)
    assert graphs._first_ids(view, codes, groups) == [
        [ids[i] for i in where[:graphs.GROUP_TOOLTIP_IDS]] for _, where in groups]
    assert graphs._first_ids(view, codes, []) == []


def test_department_of_reads_each_code_once_and_answers_the_same():
    view = small_view()
    first = view.department_of(np.array([3, 4, 3]))
    assert first == ["B", "A", "B"]
    assert view.department_of(np.arange(6)) == ["A", "B"] * 3


def test_grouped_counts_let_a_later_part_win_and_count_each_code_once():
    view = small_view()
    codes = np.arange(30)
    labels = ["even", "odd", "late"]
    parity = codes % 2
    once = view.grouped_counts([(codes, parity)], labels)
    assert once == {("even", "odd"): 15, ("odd", "even"): 14}
    twice = view.grouped_counts([(codes, parity), (codes, parity)], labels)
    assert twice == once, "a code in two parts is counted once"
    late = view.grouped_counts([(codes, parity), (codes[:2], np.array([2, 2]))], labels)
    assert late == {("late", "even"): 1, ("odd", "even"): 13, ("even", "odd"): 14}
    assert view.grouped_counts([(np.array([-1, 0]), np.array([0, 1]))], labels) == {}
    assert view.grouped_counts([], labels) == {}


def test_member_columns_taken_by_row_read_lazily_the_same_values():
    findings = built_findings()
    clusters = [c for c in build_document(findings)["clusters"] if c["graph"]]
    columns = graphs.member_columns(clusters)[0]
    members = clusters[0]["members"]
    rows = np.arange(len(members))[::-1].copy()
    columns["department"]
    taken = columns.take(rows)
    assert list(taken._read) == ["department"]
    for key in graphs.MEMBER_FIELDS:
        assert taken[key].tolist() == [members[i][key] for i in rows.tolist()]
        assert taken.value(key, 0) == members[int(rows[0])][key]
    again = columns.take(rows).take(np.array([0]))
    assert again["name"].tolist() == [members[int(rows[0])]["name"]]
