"""Data quality of the inventories: per-department completeness of each field and findings.

A department's score (0-100) is the weighted share of filled canonical fields over all of
its rows, analysed and quarantined alike (a quarantined row is a data-quality problem
too). A value that could not be parsed was left empty by the loader, so it counts as
missing. The weights say how much each field matters to the analysis:

- 3: ``system_id``, ``name``, ``product`` (identity, and what duplicates are found on);
- 2: ``vendor``, ``capability``, ``annual_cost``, ``contract_end``, ``classification``
  (matching, savings, waves and the tier constraint);
- 1: ``users``, ``instance``, ``hosting``, ``lifecycle``, ``owner``, ``integrates_with``;
- 0.5: ``version``, ``region``, ``data_domains``;
- 0: ``notes`` and ``department`` (always set) are shown but not scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from estate.errors import Finding
from estate.schema import FIELD_NAMES


@dataclass
class FieldCompleteness:
    department: str
    field: str
    filled: int
    total: int

    @property
    def share(self) -> float:
        return self.filled / self.total if self.total else 0.0


@dataclass
class DataQuality:
    """Per-department completeness of each canonical field plus every recorded finding."""

    completeness: list[FieldCompleteness]
    scores: dict[str, float]               # department -> 0..100
    findings: list[Finding]                # load + normalise findings, sorted
    unrecognised_products: list[dict]      # {raw, count, departments, group}


FIELD_WEIGHTS: dict[str, float] = {
    "system_id": 3, "name": 3, "product": 3,
    "vendor": 2, "capability": 2, "annual_cost": 2, "contract_end": 2, "classification": 2,
    "users": 1, "instance": 1, "hosting": 1, "lifecycle": 1, "owner": 1, "integrates_with": 1,
    "version": 0.5, "region": 0.5, "data_domains": 0.5,
    "notes": 0, "department": 0,
}


def filled_mask(column: pd.Series) -> pd.Series:
    """True where a canonical column holds a value (a non-empty tuple for list fields)."""
    if column.dtype == object:
        values = column.to_numpy(dtype=object, copy=True)
        missing = pd.isna(values)
        values[missing] = ""
        try:
            sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        except TypeError:  # a value without a length is no value
            return column.str.len().fillna(0).gt(0)
        return pd.Series(sizes > 0, index=column.index)
    if pd.api.types.is_string_dtype(column):
        missing = column.isna().to_numpy(dtype=bool)
        values = column.to_numpy(dtype=object, copy=True)
        values[missing] = "-"
        filled = ~missing
        try:
            # only a value that is empty or starts with whitespace can be blank, and
            # every whitespace character sorts before "!" or from "\x85" on
            maybe = np.flatnonzero((values < "!") | (values >= "\x85"))
        except TypeError:
            return column.notna() & column.str.strip().ne("").fillna(False)
        filled[maybe] = [bool(v.strip()) for v in values[maybe]]
        return pd.Series(filled, index=column.index)
    return column.notna()


def assess_quality(systems: pd.DataFrame, findings: list[Finding]) -> DataQuality:
    """Completeness per department and field, weighted scores, sorted findings and the
    product names that normalise could not recognise (when its columns are present)."""
    completeness: list[FieldCompleteness] = []
    scores: dict[str, float] = {}
    if len(systems):
        fields = [f for f in FIELD_NAMES if f in systems.columns]
        departments, names = pd.factorize(systems["department"].astype(str).to_numpy(),
                                          sort=True)
        totals = np.bincount(departments, minlength=len(names))
        sums = np.column_stack([
            np.bincount(departments[filled_mask(systems[f]).to_numpy(dtype=bool)],
                        minlength=len(names)) for f in fields])
        weights = np.array([FIELD_WEIGHTS.get(f, 0) for f in fields], dtype=float)
        for k, department in enumerate(names.tolist()):
            total = int(totals[k])
            completeness += [FieldCompleteness(department, f, int(n), total)
                             for f, n in zip(fields, sums[k].tolist())]
            share = sums[k] / total
            weighted = float((share * weights).sum() / weights.sum()) if weights.sum() else 0.0
            scores[department] = round(weighted * 100, 1)
    return DataQuality(
        completeness=completeness,
        scores=scores,
        findings=sorted(findings, key=_order),
        unrecognised_products=_unrecognised(systems),
    )


def _order(f: Finding) -> tuple:
    return (f.file or "", f.line if f.line is not None else -1, f.column or "", f.code,
            f.message)


def _unrecognised(systems: pd.DataFrame) -> list[dict]:
    needed = {"match_stage", "match_input", "product_id", "department"}
    if not len(systems) or not needed <= set(systems.columns):
        return []
    wanted = (systems["match_stage"] == "unrecognised").fillna(False)
    columns = ["match_input", "department", "product_id", "status"]
    rows = systems.loc[wanted, [c for c in columns if c in systems.columns]]
    if "status" in rows:
        rows = rows[rows["status"] == "analysed"]
    if rows.empty:
        return []
    raw = rows["match_input"].astype(str).to_numpy(dtype=object)
    frame = pd.DataFrame({"raw": raw, "department": rows["department"].astype(str).to_numpy(
        dtype=object), "group": rows["product_id"].to_numpy(dtype=object)})
    by = frame.groupby("raw", sort=True)
    counts = by.size()
    groups = by["group"].first()
    pairs = frame.drop_duplicates(["raw", "department"]).sort_values(["raw", "department"])
    departments: dict[str, list[str]] = {}
    for name, department in zip(pairs["raw"].tolist(), pairs["department"].tolist()):
        departments.setdefault(name, []).append(department)
    return [{"raw": name, "count": int(n), "departments": departments[name],
             "group": None if pd.isna(g) else str(g)}
            for name, n, g in zip(counts.index.tolist(), counts.tolist(), groups.tolist())]
