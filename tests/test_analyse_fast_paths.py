"""The fast paths of the analysis give what the plain pandas steps they replace give."""

from __future__ import annotations

import time
from datetime import date

import numpy as np
import pandas as pd

from estate.analyse.frame import _key_order, _texts
from estate.analyse.targets import savings, score_members, waves
from estate.settings import Settings

TEXTS = ["b", "a", "é", "A", "a", "zz", "", "b:1", "b-1", "日本", "a"]


def test_key_order_is_the_stable_pandas_sort():
    for keys in (TEXTS, TEXTS + ["bad \ud800 surrogate"], ["x", None, "a"]):
        values = np.array(keys, dtype=object)
        expected = pd.Series(values, dtype=object).sort_values(kind="stable").index
        assert _key_order(values).tolist() == expected.tolist()


def test_mostly_distinct_text_is_trimmed_as_repetitive_text_is():
    cells = [f" id {i} " if i % 7 else None for i in range(10_000)] + ["  ", "x"]
    for dtype in (object, "string"):
        values = pd.Series(cells, dtype=dtype)
        got = _texts(values).tolist()
        assert got == [None if c is None else (c.strip() or None) for c in cells]


def test_savings_read_columns_as_they_read_dicts():
    target = {"system_key": "T", "annual_cost": 1000.0, "users": 10.0, "product_id": None}
    keys, costs, users = ["A", "B", "C"], [500.0, float("nan"), 30.0], [4.0, 2.0, float("nan")]
    rows = [{"system_key": k, "annual_cost": c, "users": u}
            for k, c, u in zip(keys, costs, users)]
    settings = Settings()
    assert savings(target, (keys, costs, users), 2, settings) == savings(target, rows, 2,
                                                                         settings)
    whole = ([k for k in keys[:1]], costs[:1], users[:1])
    assert savings(target, whole, 0, settings) == savings(target, rows[:1], 0, settings)


def _members() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    users = rng.integers(0, 50, n).astype(float)
    users[::7] = np.nan
    cost = rng.integers(0, 9000, n).astype(float)
    cost[::5] = np.nan
    ends = pd.to_datetime(rng.choice(["2024-03-01", "2025-06-30", "2026-01-15", None], n))
    return pd.DataFrame({
        "cluster": rng.choice(["c-b", "c-a", "c-c"], n).astype(object),
        "system_key": [f"K{i:03d}" for i in range(n)],
        "product_id": rng.choice(["p1", "p2", None], n).astype(object),
        "ring": rng.choice(["adopt", "hold", None, "odd"], n).astype(object),
        "has_standard": rng.random(n) > 0.5, "users": users, "annual_cost": cost,
        "hosting": "cloud", "lifecycle": "live", "contract_end": ends,
        "strategic": rng.random(n) > 0.7, "integrations": rng.integers(0, 4, n),
    })


def test_scores_with_given_cluster_codes_are_the_scores_without():
    m = _members()
    codes = pd.factorize(m["cluster"])[0]
    plain = score_members(m, Settings(), date(2025, 1, 1))
    coded = score_members(m, Settings(), date(2025, 1, 1), groups=codes)
    pd.testing.assert_frame_equal(plain, coded)
    products = pd.factorize(m["product_id"].fillna("sys:" + m["system_key"]))[0]
    renumbered = products.max() - products  # any numbering of the product keys
    both = score_members(m, Settings(), date(2025, 1, 1), groups=codes, products=renumbered)
    pd.testing.assert_frame_equal(plain, both)
    expected = m.groupby(["cluster", m["product_id"].fillna("sys:" + m["system_key"])])[
        "system_key"].transform("size")
    assert plain["same_product"].tolist() == expected.tolist()


def test_wave_order_counts_by_date_then_key_within_each_cluster():
    m = _members()
    out = waves(m, date(2025, 1, 1), 6)
    ordered = out.assign(key=m["system_key"], cluster=m["cluster"]).sort_values(
        ["cluster", "earliest", "key"], na_position="last", kind="stable")
    expected = ordered.groupby("cluster").cumcount() + 1
    assert out["order"].tolist() == expected.reindex(out.index).tolist()


def _blocks(count: int) -> list:
    import random

    from estate.analyse.clusters import BlockInputs

    rnd = random.Random(5)
    blocks = []
    for b in range(count):
        units = sorted(f"u{b}-{i:03d}" for i in range(rnd.randint(2, 120)))
        vendors = [sorted(rnd.sample(units, min(len(units), rnd.randint(2, 6))))
                   for _ in range(rnd.randint(0, 12))]
        words = ["case", "grants", "payroll", "portal", "ledger", "hub"]
        names: dict[str, list[str]] = {}
        for u in units:
            if rnd.random() < 0.5:
                name = " ".join(rnd.sample(words, 2)) + f" {rnd.randint(1, 3)}"
                names.setdefault(name, []).append(u)
        blocks.append(BlockInputs(units=units, vendors=vendors, domains=[],
                                  integrations=[], names=dict(sorted(names.items())),
                                  keys={u: [f"DEPT:{u}"] for u in units}))
    return blocks


def test_blocks_shared_with_a_child_give_the_groups_of_one_process(monkeypatch):
    from estate.analyse import _BlockGroups
    from estate.analyse.clusters import unit_groups

    settings = Settings()
    blocks = _blocks(9)
    expected = [unit_groups(b, settings) for b in blocks]
    assert any(len(g) > 1 for g in expected)  # some blocks split into several groups
    for count in ("1", "2"):
        monkeypatch.setenv("ESTATE_WORKERS", count)
        # however long this process's own work takes first, the child takes more or
        # fewer (or all) of the blocks: the groups are the same
        for pause in (0.0, 0.2):
            groups = _BlockGroups(blocks, settings)
            time.sleep(pause)  # work of this process meanwhile
            assert groups.result() == expected
            assert groups.later is None and (groups.jobs is None or groups.jobs.closed)


def test_blocks_shared_in_runs_when_there_are_more_blocks_than_tickets(monkeypatch):
    import estate.analyse as analyse_module
    from estate.analyse import _BlockGroups
    from estate.analyse.clusters import unit_groups

    settings = Settings()
    blocks = _blocks(7)
    expected = [unit_groups(b, settings) for b in blocks]
    monkeypatch.setattr(analyse_module, "_TICKETS", 3)  # runs of 3, 3 and 1 blocks
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    groups = _BlockGroups(blocks, settings)
    assert [len(run) for run in groups.jobs.items] == [3, 3, 1]
    assert groups.result() == expected


def test_block_groups_wait_for_the_child_when_this_process_fails(monkeypatch):
    from estate.analyse import _BlockGroups

    monkeypatch.setenv("ESTATE_WORKERS", "2")
    groups = _BlockGroups(_blocks(4), Settings())
    groups.abandon()  # what the analysis does when its own work raises
    assert groups.later is None and groups.jobs.closed


def _split_by_sorting(keys, at, values, codes):
    """The constraint split as plainly as it can be said (the reference for _split)."""
    parts: dict = {}
    loose = []
    for key, i in zip(keys, at.tolist()):
        if codes[i] < 0:
            loose.append(key)
        else:
            parts.setdefault(values[i], []).append(key)
    if len(parts) < 2:
        return None
    largest = sorted(parts, key=lambda k: (-len(parts[k]), str(k)))[0]
    parts[largest] = parts[largest] + loose
    return sorted(((v, sorted(k)) for v, k in parts.items()), key=lambda p: (-len(p[1]), str(p[0])))


def test_constraint_split_matches_the_plain_split_with_its_positions():
    import random

    from estate.analyse.clusters import _others, _split

    rnd = random.Random(3)
    for _ in range(300):
        n = rnd.randint(1, 30)
        values = [rnd.choice(["north", "south", "east", None]) for _ in range(n + 5)]
        codes = np.array([-1 if v is None else ["north", "south", "east"].index(v)
                          for v in values])
        at = np.array(rnd.sample(range(n + 5), n), dtype=np.int64)
        keys = [f"D:{rnd.randint(0, 999):03d}-{k}" for k in range(n)]
        if rnd.random() < 0.5:
            keys.sort()
        found = _split(keys, at, values, codes)
        expected = _split_by_sorting(keys, at, values, codes)
        if expected is None:
            assert found is None
            continue
        assert [(v, k) for v, k, _ in found] == expected
        row_of = dict(zip(keys, at.tolist()))
        for i, (_, part, rows) in enumerate(found):
            assert rows.tolist() == [row_of[k] for k in part]
            others = [k for j, (_, ks, _) in enumerate(found) if j != i for k in ks]
            assert _others(found, i) == (others[:5], len(others))
