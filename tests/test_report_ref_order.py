"""Duplicate groups' members come sorted by department and system id within each group,
repeats kept in their order, however many groups, departments and ids there are."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from estate.analyse.model import SystemRef
from estate.report.model import duplicate_records


def test_members_of_many_groups_sort_stably_by_department_and_id():
    rng = np.random.default_rng(3)
    groups = []
    for g in range(60):
        size = int(rng.integers(0, 40))
        groups.append(SimpleNamespace(
            id=f"g{g:02d}", kind="same-product", capability="CRM", product="P",
            instances=size, departments=["A"], annual_cost=None, reason="r",
            members=[SystemRef(f"D{rng.integers(0, 9)}", f"S{rng.integers(0, 25)}")
                     for _ in range(size)]))
    records = duplicate_records(SimpleNamespace(duplicates=groups))
    for record, group in zip(records, groups):
        expected = sorted(group.members, key=lambda m: (m.department, m.system_id))
        assert list(record["members"]) == [
            {"department": m.department, "system_id": m.system_id} for m in expected]
