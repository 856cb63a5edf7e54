"""Analyse at scale: the systems table path and the grouping of very large blocks."""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import date

from test_analyse_helpers import make_graph, systems_table

from estate.analyse import analyse
from estate.analyse.clusters import LOCAL_UNIT_LIMIT
from estate.settings import Settings

AS_OF = date(2025, 1, 1)


def mixed_rows(n: int, seed: int = 3) -> list[dict]:
    rnd = random.Random(seed)
    products = [None, None, "Salesforce", "Dynamics 365", "ServiceNow", "Zendesk"]
    rows = []
    for i in range(n):
        rows.append(dict(
            dept=rnd.choice(["DWP", "HMRC", "MOJ", "DFE"]), id=f"S{i:03d}",
            name=rnd.choice(["Case Tracker", "Claims Portal", "Case Tracking", "Appeals"]),
            product=rnd.choice(products), capability=rnd.choice(["CRM", "Case management"]),
            instance=rnd.choice([None, "t1", "t2"]), users=rnd.choice([None, 10, 500]),
            cost=rnd.choice([None, 1000.0, 25000.0]), region=rnd.choice(["UK", "EU", None]),
            lifecycle=rnd.choice(["Live", "Retiring 2026", None]),
            classification=rnd.choice(["OFFICIAL", None, "SECRET"]),
            contract_end=rnd.choice([None, "2026-03-31", "2027-09-30"]),
            domains=rnd.sample(["citizen", "finance", "cases"], k=rnd.randint(0, 2)),
            integrates=[f"S{rnd.randrange(n):03d}"] if rnd.random() < 0.2 else []))
    return rows


def test_reading_the_systems_table_gives_the_same_analysis_as_the_graph():
    rows = mixed_rows(120)
    settings = Settings()
    graph = make_graph(rows, settings)
    from_graph = analyse(graph, settings, as_of=AS_OF)
    from_table = analyse(graph, settings, as_of=AS_OF, systems=systems_table(rows))
    assert from_graph.clusters
    assert asdict(from_table) == asdict(from_graph)


def test_a_huge_block_keeps_each_departments_own_systems_together():
    depts = ["DWP", "HMRC", "MOJ"]
    n = LOCAL_UNIT_LIMIT + 60
    rows = [dict(dept=depts[i % 3], id=f"B{i:05d}", name=f"Bespoke tool {i}",
                 capability="Case management", users=10 + i % 7, cost=1000.0,
                 region="UK", classification="OFFICIAL") for i in range(n)]
    rows += [dict(dept=d, id=f"P{d}", product="Salesforce", capability="Case management",
                  users=900, cost=5000.0, region="UK", classification="OFFICIAL")
             for d in depts]
    a = analyse(make_graph(rows), Settings(), as_of=AS_OF)
    bespoke = {d: {f"{d}:B{i:05d}" for i in range(n) if depts[i % 3] == d} for d in depts}
    clustered = set()
    for c in a.clusters:
        keys = {m.key for m in c.members}
        clustered |= keys
        for d in depts:
            assert not keys & bespoke[d] or bespoke[d] <= keys, (c.id, d)
    assert set().union(*bespoke.values()) <= clustered
    assert {d.system_id for d in a.dispositions} >= {r["id"] for r in rows}
