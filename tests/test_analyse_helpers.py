"""Small hand-built estates for the analyse tests: rows -> systems table -> graph."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from estate.analyse import Analysis, analyse
from estate.graph import build_graph
from estate.settings import Settings

AS_OF = date(2025, 1, 1)
"""The planning date of every analyse test, so waves do not depend on today."""
M365 = dict(product="Microsoft 365", vendor="Microsoft", capability="Collaboration")

TEXT = ("vendor", "product", "version", "capability", "instance", "hosting", "region",
        "lifecycle", "classification", "owner", "notes")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def systems_table(rows: list[dict]) -> pd.DataFrame:
    """A normalised systems table as ``normalise`` hands it on, from short dicts.

    ``product`` and ``capability`` are taken as recognised catalogue names (their id is
    the slug) unless ``product_id``/``capability_id`` say otherwise; ``dept`` defaults
    to DWP and ``id`` to S<n>.
    """
    records = []
    for n, row in enumerate(rows, start=1):
        row = dict(row)
        dept = row.pop("dept", "DWP")
        sid = row.pop("id", f"S{n}")
        rec = {"department": dept, "system_id": sid, "name": row.pop("name", f"System {sid}"),
               "system_key": f"{dept}:{sid}", "status": "analysed", "status_reason": None,
               "source_file": f"{dept}.csv", "source_sheet": None, "source_line": n + 1,
               "extra": "{}"}
        for col in TEXT:
            rec[col] = row.pop(col, None)
        rec["users"] = row.pop("users", None)
        rec["annual_cost"] = row.pop("cost", None)
        rec["contract_end"] = pd.to_datetime(row.pop("contract_end", None))
        rec["integrates_with"] = tuple(row.pop("integrates", ()))
        rec["data_domains"] = tuple(row.pop("domains", ()))
        product = rec["product"]
        rec["product_id"] = row.pop("product_id", _slug(product) if product else None)
        rec["product_name"] = product
        rec["vendor_name"] = rec["vendor"]
        cap = rec["capability"]
        rec["capability_id"] = row.pop("capability_id", _slug(cap) if cap else None)
        rec["capability_name"] = cap
        rec["capability_group"] = None
        rec["match_stage"] = "exact" if product else "none"
        rec["match_score"] = 100.0 if product else None
        rec["match_input"] = product
        assert not row, f"unknown test keys {sorted(row)}"
        records.append(rec)
    df = pd.DataFrame.from_records(records)
    df["users"] = df["users"].astype("Int64")
    df["annual_cost"] = df["annual_cost"].astype("Float64")
    return df


def make_graph(rows: list[dict], settings: Settings | None = None,
               strategic: dict[str, bool] | None = None):
    products = None
    if strategic:
        products = pd.DataFrame({"strategic": strategic}).rename_axis("product_id")
    return build_graph(systems_table(rows), settings or Settings(), products)


def run(rows, settings=None, **kw) -> Analysis:
    """Analyse a hand-built estate as of :data:`AS_OF`."""
    settings = settings or Settings()
    return analyse(make_graph(rows, settings, **kw), settings, as_of=AS_OF)
