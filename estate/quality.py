"""Data quality of the inventories: per-department completeness of each field and findings.

(Implementation in progress: the dataclasses below are the contract the reports read.)
"""

from __future__ import annotations

from dataclasses import dataclass

from estate.errors import Finding


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


