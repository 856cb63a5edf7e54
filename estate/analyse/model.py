"""Result dataclasses of the analysis: the contract the reports and the audit read.

The classes made once per system (references, cluster members, dispositions) use slots:
no attribute dict each, which at a million systems is hundreds of megabytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from estate.errors import Finding


@dataclass(frozen=True, order=True, slots=True)
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
    serving one capability). ``capability`` and ``product`` are display names, the
    ``*_id`` fields the catalogue ids. ``annual_cost`` sums the members whose cost is
    known (``cost_known`` of them); it is None when no member's cost is known.
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
    capability_id: str | None = None
    product_id: str | None = None
    cost_known: int = 0
    tiers: list[str] = field(default_factory=list)


@dataclass(slots=True)
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
    product_id: str | None = None
    score: float | None = None
    """Target score (None when the system cannot be the target)."""
    order: int | None = None
    """Suggested migration order inside the cluster (1 = first); None for the target."""
    wave_reason: str = ""
    disposition_reason: str = ""
    tier: str | None = None
    region: str | None = None

    @property
    def key(self) -> str:
        return f"{self.department}:{self.system_id}"


@dataclass
class ConsolidationCluster:
    """Systems of one capability and tier that could merge onto one target.

    ``annual_saving`` is None when an input is missing; ``saving_inputs`` holds every
    number used (and the list of ``missing`` inputs) and ``saving_explanation`` says it
    in words. ``payback_years`` is None unless the saving is known and positive.
    """

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
    """The last wave a migration of this cluster falls in (0 when no date is known)."""
    capability_id: str = ""
    runner_up_reasons: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    """What set this cluster apart from others of its capability and tier (e.g. a
    sovereignty zone or a rule), also the suffix of its id."""


@dataclass
class StandardsFlag:
    """A system on a product the standards put on hold or retire, or off-standard."""

    department: str
    system_id: str
    capability: str | None
    product: str | None
    ring: str | None  # hold | retire | None when off-standard
    reason: str


@dataclass(slots=True)
class SystemDisposition:
    """The TIME disposition of one analysed system, and why."""

    department: str
    system_id: str
    disposition: str  # Tolerate | Invest | Migrate | Eliminate
    reason: str
    cluster: str | None = None


@dataclass
class Analysis:
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    clusters: list[ConsolidationCluster] = field(default_factory=list)
    blocked_pairs: list[dict] = field(default_factory=list)
    """Each place a hard constraint split candidates: ``{id, constraint, capability,
    capability_id, tier, reason, groups: [{label, members: [keys]}]}``."""
    standards_flags: list[StandardsFlag] = field(default_factory=list)
    dispositions: list[SystemDisposition] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    """Problems with the standards file (bad ring, unknown capability or product)."""
    as_of: str | None = None
