"""Candidate groups picked as table positions give the keys (and anchors) that picking
them by key text gives; savings read from float arrays give what lists give."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from estate.analyse.clusters import block_inputs, group_keys, group_rows
from estate.settings import SimilarityModel


def _block(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A block of systems over a few capabilities, and its rows' positions in a larger
    table sorted by key (every other row of it)."""
    rnd = random.Random(seed)
    keys = sorted({f"D{rnd.randint(0, 5)}:S{rnd.randint(0, 999):03d}" for _ in range(rows)})
    frame = pd.DataFrame({
        "system_key": keys,
        "department": [k.split(":")[0] for k in keys],
        "name": [rnd.choice(["Case hub", "Ledger", None]) for _ in keys],
        "product_id": [rnd.choice(["p1", "p2", "p3", None]) for _ in keys],
        "vendor_key": [rnd.choice(["v1", "v2", None]) for _ in keys],
        "data_domains": [tuple(rnd.sample(["hr", "tax", "case"], rnd.randint(0, 2)))
                         for _ in keys],
        "capability_id": [rnd.choice(["cap-a", "cap-b", "cap-c"]) for _ in keys],
    })
    return frame, 2 * np.arange(len(frame)) + 1


def _groups(units: int, rnd: random.Random) -> list[list[int]]:
    label = [rnd.randint(0, 3) for _ in range(units)]
    found = [[u for u in range(units) if label[u] == g] for g in range(4)]
    return [g for g in found if g]


def test_group_rows_are_the_rows_of_group_keys():
    rnd = random.Random(1)
    for seed in range(6):
        frame, at = _block(60, seed)
        table = np.full(2 * len(frame) + 1, None, dtype=object)
        table[at] = frame["system_key"].to_numpy(object)  # a sorted table around the block
        found = block_inputs(frame, frame["capability_id"], pd.DataFrame(
            columns=["source", "target", "cap"]), SimilarityModel(), at=at)
        for inputs in found.values():
            for u, unit in enumerate(inputs.units):
                a, b = inputs.unit_starts[u], inputs.unit_starts[u + 1]
                assert table[inputs.rows[a:b]].tolist() == inputs.keys[unit]
            for groups in (_groups(len(inputs.units), rnd), [list(range(len(inputs.units)))]):
                by_rows = group_rows(inputs, groups)
                by_keys = group_keys(inputs, groups)
                assert [(table[r].tolist(), a) for r, a in by_rows] == by_keys


def test_no_groups_no_rows():
    frame, at = _block(5, 0)
    inputs = next(iter(block_inputs(frame, frame["capability_id"], pd.DataFrame(
        columns=["source", "target", "cap"]), SimilarityModel(), at=at).values()))
    assert group_rows(inputs, []) == []


def test_savings_read_float_arrays_as_they_read_lists():
    from estate.analyse.targets import savings
    from estate.settings import Settings

    target = {"system_key": "T", "annual_cost": 1000.0, "users": 10.0, "product_id": None}
    keys, costs, users = ["A", "B", "C"], [500.0, float("nan"), 30.0], [4.0, 2.0, float("nan")]
    settings = Settings()
    for n in (0, 1, 3):
        arrays = (keys[:n], np.array(costs[:n]), np.array(users[:n]))
        assert savings(target, arrays, 2, settings) == savings(
            target, (keys[:n], costs[:n], users[:n]), 2, settings)
    assert savings(target, (keys, [500, None, 30], users), 0, settings) == savings(
        target, (keys, [500.0, float("nan"), 30.0], np.array(users)), 0, settings)
