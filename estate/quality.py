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
        return column.str.len().fillna(0).gt(0)
    if pd.api.types.is_string_dtype(column):
        return column.notna() & column.str.strip().ne("").fillna(False)
    return column.notna()


def assess_quality(systems: pd.DataFrame, findings: list[Finding]) -> DataQuality:
    """Completeness per department and field, weighted scores, sorted findings and the
    product names that normalise could not recognise (when its columns are present)."""
    completeness: list[FieldCompleteness] = []
    scores: dict[str, float] = {}
    if len(systems):
        fields = [f for f in FIELD_NAMES if f in systems.columns]
        filled = pd.DataFrame({f: filled_mask(systems[f]) for f in fields})
        departments = systems["department"].astype(str).to_numpy()
        sums = filled.groupby(departments, sort=True)[fields].sum()
        totals = filled.groupby(departments, sort=True).size()
        weights = pd.Series({f: FIELD_WEIGHTS.get(f, 0) for f in fields})
        for department, row in sums.iterrows():
            total = int(totals[department])
            completeness += [FieldCompleteness(department, f, int(row[f]), total) for f in fields]
            share = row[fields] / total
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
    rows = systems[(systems["match_stage"] == "unrecognised").fillna(False)]
    if "status" in rows:
        rows = rows[rows["status"] == "analysed"]
    if rows.empty:
        return []
    grouped = rows.groupby(rows["match_input"].astype(str), sort=True).agg(
        count=("department", "size"),
        departments=("department", lambda s: sorted(set(map(str, s)))),
        group=("product_id", "first"),
    )
    return [{"raw": raw, "count": int(r["count"]), "departments": r["departments"],
             "group": None if pd.isna(r["group"]) else str(r["group"])}
            for raw, r in grouped.iterrows()]
