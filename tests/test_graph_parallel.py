"""build_graph with integration references resolved in a forked child gives the graph it
gives in one process, and missing text is found the same way for every string column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estate import graph as graph_module
from estate.arrays import missing_mask
from estate.graph import build_graph
from estate.settings import Settings
from test_graph import M365, systems_table
from test_graph_build import _shape


def _table() -> pd.DataFrame:
    rows = []
    for d, dept in enumerate(("Home Office", "HMRC", "DWP")):
        for i in range(12):
            rows.append(dict(
                department=dept, system_id=f"S-{i}", name=f"{dept} system {i}",
                integrates_with=(f"s-{(i + 1) % 12}", f"HO:S-{i}", f"NOWHERE:{i}", " ", "S-99"),
                data_domains=("HR",) if i % 3 else (), **(M365 if i % 2 else {})))
    rows[5]["status"] = "quarantined"
    return systems_table(rows)


def test_references_resolved_in_a_child_give_the_same_graph(monkeypatch):
    table = _table()
    monkeypatch.setenv("ESTATE_WORKERS", "1")
    here = build_graph(table, Settings())
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    monkeypatch.setattr(graph_module, "PARALLEL_ROWS", 1)
    forked = build_graph(table, Settings())
    assert _shape(forked) == _shape(here)
    pd.testing.assert_frame_equal(forked.graph["integrations"], here.graph["integrations"])
    assert forked.graph["findings"] == here.graph["findings"]
    assert forked.graph["type_counts"] == here.graph["type_counts"]
    assert len(here.graph["findings"]) > 0 and len(here.graph["integrations"]) > 0


@pytest.mark.parametrize("dtype", ["string", "object", "str"])
def test_missing_mask_is_isna(dtype):
    values = pd.Series(["a", None, "", " b", None, "c"], dtype=dtype)
    objects = values.to_numpy(dtype=object)
    assert missing_mask(values, objects).tolist() == values.isna().tolist()
    empty = pd.Series([], dtype=dtype)
    assert missing_mask(empty, empty.to_numpy(dtype=object)).tolist() == []


def test_missing_text_of_string_columns_is_none_in_the_systems_table():
    table = systems_table([dict(department="A", system_id="1", name="one", hosting="AWS"),
                           dict(department="A", system_id="2", name="two")])
    table = table.astype({c: "string" for c in ("name", "hosting", "region", "owner")})
    systems = build_graph(table, Settings()).graph["systems"]
    assert systems["hosting"].tolist() == ["AWS", None]
    assert systems["region"].tolist() == [None, None]
    assert systems["name"].tolist() == ["one", "two"]
    assert all(v is None for v in systems["owner"].tolist())
    assert np.asarray(systems.dtypes == object).all()
