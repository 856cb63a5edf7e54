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
from estate.arrays import missing_mask, sorted_unique
from estate.memory import gc_paused
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
    """True where a canonical column holds a value (a non-empty tuple for list fields).
    Reads the column only: what it works on is a new array (``to_numpy`` may hand back the
    column's own array even when asked for a copy, e.g. after unpickling)."""
    if column.dtype == object:
        values = column.to_numpy(dtype=object)
        values = np.where(pd.isna(values), "", values)
        try:
            sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        except TypeError:  # a value without a length is no value
            return column.str.len().fillna(0).gt(0)
        return pd.Series(sizes > 0, index=column.index)
    if pd.api.types.is_string_dtype(column):
        objects = column.to_numpy(dtype=object)
        missing = missing_mask(column, objects)
        values = np.where(missing, "-", objects)
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
    """Each product name normalise could not recognise (analysed rows), sorted: how many
    rows gave it, the departments that did (sorted) and its group (the first row's
    ``product_id`` that is set). Names and departments are factorised once and the rest
    is counted on their integer codes; no per-name pandas calls."""
    needed = {"match_stage", "match_input", "product_id", "department"}
    if not len(systems) or not needed <= set(systems.columns):
        return []
    wanted = (systems["match_stage"] == "unrecognised").fillna(False).to_numpy(dtype=bool)
    if "status" in systems.columns:
        wanted = wanted & (systems["status"] == "analysed").fillna(False).to_numpy(dtype=bool)
    at = np.flatnonzero(wanted)
    if not len(at):
        return []
    raw_codes, raws = pd.factorize(
        systems["match_input"].iloc[at].astype(str).to_numpy(dtype=object), sort=True)
    dept_codes, depts = pd.factorize(
        systems["department"].iloc[at].astype(str).to_numpy(dtype=object), sort=True)
    groups = systems["product_id"].iloc[at].to_numpy(dtype=object)
    counts = np.bincount(raw_codes, minlength=len(raws))
    group_of = [None] * len(raws)
    named = np.flatnonzero(pd.notna(groups))
    _, first = np.unique(raw_codes[named], return_index=True)
    for code, group in zip(raw_codes[named][first].tolist(), groups[named][first].tolist()):
        group_of[code] = str(group)
    pairs = sorted_unique(raw_codes.astype(np.int64) * len(depts) + dept_codes)
    pair_raw, pair_dept = np.divmod(pairs, len(depts))
    bounds = np.searchsorted(pair_raw, np.arange(len(raws) + 1)).tolist()
    dept_names = depts[pair_dept].tolist()
    with gc_paused():  # a dict and a list per name, all kept
        return [{"raw": name, "count": n, "departments": dept_names[lo:hi], "group": group}
                for name, n, group, lo, hi in zip(raws.tolist(), counts.tolist(), group_of,
                                                  bounds, bounds[1:])]
