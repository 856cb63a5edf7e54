"""Find duplicate implementations and propose consolidation clusters from the estate graph.

(Implementation in progress: the dataclasses below are the contract the reports read.)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class SystemRef:
    department: str
    system_id: str

    @property
    def key(self) -> str:
        return f"{self.department}:{self.system_id}"


@dataclass
class DuplicateGroup:
    """Several implementations of one thing.

    ``kind`` is ``same-product`` (one product run as several separate instances or
    tenants) or ``same-capability`` (several different products, or bespoke systems,
    serving one capability).
    """

    id: str
    kind: str
    capability: str | None
    product: str | None
    members: list[SystemRef]
    instances: int
    departments: list[str]
    annual_cost: float | None
    reason: str


@dataclass
class ClusterMember:
    department: str
    system_id: str
    name: str
    product: str | None
    role: str  # "target" | "migrate"
    disposition: str  # TIME: Tolerate | Invest | Migrate | Eliminate
    users: int | None
    annual_cost: float | None
    contract_end: str | None  # ISO date
    wave: int | None
    earliest_date: str | None


@dataclass
class ConsolidationCluster:
    id: str
    capability: str
    tier: str
    members: list[ClusterMember]
    target: SystemRef
    target_reasons: list[str]
    runner_up: SystemRef | None
    annual_saving: float | None
    saving_inputs: dict
    saving_explanation: str
    one_off_cost: float | None
    payback_years: float | None
    integrations_to_repoint: list[tuple[str, str]]
    blockers: list[str]
    waves: int


@dataclass
class Analysis:
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    clusters: list[ConsolidationCluster] = field(default_factory=list)
    blocked_pairs: list[dict] = field(default_factory=list)
