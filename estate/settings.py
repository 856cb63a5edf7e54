"""Settings for a run: defaults, the optional ``estate.toml`` file, and validation.

Every stage takes the one :class:`Settings` object instead of long argument lists, so a
run is fully described by its inputs plus this object (the audit manifest stores it).
Every setting and its default is documented in ``docs/settings.md``; the sub-tables of the
file (``[savings]``, ``[similarity]``, ``[target]``, ``[constraints]``, ``[[rules]]``)
map onto the dataclasses below.
"""

from __future__ import annotations

import tomllib
import types
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import date, datetime
from pathlib import Path

from estate.errors import SettingsError
from estate.schema import FIELD_NAMES


@dataclass
class SavingsModel:
    """How a cluster's saving is estimated (see ``docs/settings.md``, "Savings model").

    The annual saving of a cluster is the current annual cost of the systems that migrate
    minus what their users will cost on the target (the target's licence cost per user x
    migrating users), counted only when every one of those inputs is known. The one-off
    cost is a migration cost per system plus a cost per integration to re-point.
    """

    migration_cost_per_system: float = 50_000.0
    """One-off cost (pounds) of moving one system onto the target."""
    migration_cost_per_integration: float = 15_000.0
    """One-off cost (pounds) of re-pointing one integration at the target."""
    target_cost_share: float = 1.0
    """Multiplier on the target's own cost per user (e.g. 0.8 for an expected volume discount)."""
    licence_cost_per_user: dict[str, float] = field(default_factory=dict)
    """Known licence price per user per year by product id; used instead of the
    target's inventory cost per user when its product is listed here."""


@dataclass
class SimilarityModel:
    """Weights of the candidate similarity graph inside one capability block.

    Systems on the same product always sit together (they form one unit of the graph);
    the weights below link those units. They steer community detection, which only runs
    when a candidate group is larger than ``community_min_units``.
    """

    same_capability: float = 1.0
    """Weight linking every pair of units of one capability (only below ``dense_limit``)."""
    same_vendor: float = 2.0
    shared_data_domain: float = 1.0
    """Weight per data domain two units share."""
    integration: float = 3.0
    """Weight per integration between two units."""
    name_similarity: float = 2.0
    """Weight for similar names of bespoke systems, scaled by the rapidfuzz score."""
    name_threshold: float = 85.0
    """Lowest rapidfuzz ``token_set_ratio`` (0-100) at which two bespoke names are similar."""
    dense_limit: int = 300
    """Above this many units in a capability block the all-pairs capability link is
    dropped and only the specific links (vendor, data, integrations, names) remain."""
    community_min_units: int = 25
    """A connected candidate group with more units than this is split by Louvain."""
    resolution: float = 1.0
    """Louvain resolution: above 1 gives smaller communities."""


@dataclass
class TargetModel:
    """Weights of the target score. Each criterion gives 0..1 times its weight."""

    standard: float = 3.0
    """Adopt ring 1, trial 0.5, no standard 0.25, off-standard 0, hold/retire negative."""
    users: float = 2.0
    cost_per_user: float = 1.0
    hosting: float = 1.0
    lifecycle: float = 1.0
    contract_end: float = 0.5
    strategic: float = 1.5
    integrations: float = 1.0
    product_share: float = 1.0
    """Share of the cluster's systems already on the candidate's product."""
    hosting_preference: dict[str, float] = field(default_factory=lambda: {
        "saas": 1.0, "public cloud": 0.8, "cloud": 0.8, "iaas": 0.7, "paas": 0.8,
        "hybrid": 0.5, "private cloud": 0.5, "managed service": 0.5, "co-location": 0.3,
        "on-premises": 0.2, "on premises": 0.2, "on-prem": 0.2, "data centre": 0.2,
    })
    lifecycle_preference: dict[str, float] = field(default_factory=lambda: {
        "invest": 1.0, "strategic": 1.0, "growth": 1.0, "live": 0.6, "production": 0.6,
        "in service": 0.6, "operational": 0.6, "tolerate": 0.3, "maintain": 0.3,
        "contain": 0.2, "pilot": 0.4, "build": 0.4,
    })


@dataclass
class Constraints:
    """Hard constraints that split candidate clusters (each reported where it bites)."""

    region_rule: str = "zone"
    """``zone`` keeps sovereignty zones apart, ``region`` keeps every region apart,
    ``none`` ignores hosting region."""
    sovereignty_zones: dict[str, list[str]] = field(default_factory=lambda: {
        "UK": ["uk", "uk*", "gb", "united kingdom", "england", "scotland", "wales",
               "northern ireland", "london", "cardiff", "manchester", "edinburgh",
               "eu-west-2", "europe-west2", "uksouth", "ukwest", "uk south", "uk west"],
        "EU": ["eu", "eu*", "europe*", "ireland", "dublin", "frankfurt", "amsterdam",
               "paris", "westeurope", "northeurope", "west europe", "north europe"],
        "US": ["us", "us*", "usa", "united states", "virginia", "oregon", "ohio",
               "eastus*", "westus*", "east us*", "west us*"],
    })
    """Zone -> region names or glob patterns (case-insensitive). Exact names win over
    patterns; a region that matches nothing is its own zone."""
    retiring_lifecycles: list[str] = field(default_factory=lambda: [
        "retiring", "retired", "retire", "decommissioning", "decommissioned", "sunset",
        "sunsetting", "end of life", "eol", "eliminate", "being replaced", "phasing out",
        "phase out",
    ])
    """Lifecycle words of systems already being retired (whole words, any case, e.g.
    "Retiring 2026"): never a target."""
    out_of_scope_lifecycles: list[str] = field(default_factory=lambda: [
        "out of scope", "out-of-scope", "excluded", "exempt",
    ])
    out_of_scope: list[str] = field(default_factory=list)
    """System keys (``DEPT:ID``) or glob patterns (``DEPT:*``) left out of clusters."""


RULE_KINDS = ("separate", "split_by")
RULE_FIELDS = tuple(sorted(set(FIELD_NAMES) | {
    "product_id", "product_name", "vendor_name", "capability_id", "capability_name",
    "capability_group", "tier", "system_key"}))
"""System attributes a rule may test: the canonical fields plus the normalised names."""


@dataclass
class Rule:
    """A user constraint, e.g. keep systems holding health data apart from the others.

    ``separate``: systems whose ``field`` matches one of ``values`` (case-insensitive
    glob; any element of a list field) never share a cluster with systems that do not.
    ``split_by``: systems with different values of ``field`` never share a cluster.
    ``capabilities`` limits the rule to those capability ids or names (empty: all).
    """

    name: str
    kind: str
    field: str
    values: list[str] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)


@dataclass
class Settings:
    """Everything that changes a run's result, with documented defaults."""

    catalogue: Path | None = None
    """Extra or overriding catalogue file (CSV) merged over the packaged catalogue."""
    mapping: Path | None = None
    """Header mapping file: department or file -> its own header -> canonical field."""
    standards: Path | None = None
    """Technology standards (tech radar) CSV: capability, product, ring (adopt, trial,
    hold, retire), description."""
    fuzzy_threshold: float = 89.0
    """Lowest rapidfuzz score (0-100) at which a raw product name is matched."""
    assume_classification: str = "OFFICIAL"
    """Tier assumed for a system whose classification is missing (reported as such)."""
    min_cluster_size: int = 2
    """Fewest systems (and separate implementations) a consolidation cluster needs."""
    seed: int = 42
    """Seed for community detection, so the clusters are the same every run."""
    keep_going: bool = False
    """Analyse the readable inputs when another input cannot be read at all."""
    as_of: date | None = None
    """The date the analysis is made on (waves start here); none means today."""
    wave_months: int = 6
    """Length of a migration wave in months."""
    savings: SavingsModel = field(default_factory=SavingsModel)
    similarity: SimilarityModel = field(default_factory=SimilarityModel)
    target: TargetModel = field(default_factory=TargetModel)
    constraints: Constraints = field(default_factory=Constraints)
    rules: list[Rule] = field(default_factory=list)

    def to_dict(self) -> dict:
        return _plain(asdict(self))


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (Path, date)):
        return str(value) if isinstance(value, Path) else value.isoformat()
    return value


_SECTIONS = {"savings": SavingsModel, "similarity": SimilarityModel, "target": TargetModel,
             "constraints": Constraints}


def _type_ok(value, hint) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is bool:
        return isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if hint is Path:
        return isinstance(value, (str, Path))
    if hint is date:
        return isinstance(value, date)
    if origin is list:
        (inner,) = typing.get_args(hint)
        return isinstance(value, list) and all(_type_ok(v, inner) for v in value)
    if origin is dict:
        key, inner = typing.get_args(hint)
        return isinstance(value, dict) and all(
            _type_ok(k, key) and _type_ok(v, inner) for k, v in value.items())
    return True


def _build(cls, values: dict, where: str, file: str | None):
    """Make ``cls`` from a TOML table, naming the bad key when a value does not fit."""
    if not isinstance(values, dict):
        raise SettingsError(f"[{where}] must be a table", file=file)
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        label = f"[{where}] setting(s)" if where else "setting(s)"
        raise SettingsError(f"unknown {label}: {', '.join(unknown)}", file=file)
    missing = sorted(n for n, f in known.items() if f.default is MISSING
                     and f.default_factory is MISSING and n not in values)
    if missing:
        raise SettingsError(f"[{where}] needs {', '.join(missing)}", file=file)
    for name, value in values.items():
        if not _type_ok(value, hints[name]):
            label = f"{where}.{name}" if where else name
            raise SettingsError(f"{label} has the wrong type ({value!r})", file=file)
    return cls(**values)


def _parse_date(value, file: str | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SettingsError(f"as_of must be an ISO date (YYYY-MM-DD), not {value!r}",
                            file=file) from None


def load_settings(path: Path | None, **overrides) -> Settings:
    """Read ``estate.toml`` (if given) and apply command-line overrides on top."""
    values: dict = {}
    file = str(path) if path is not None else None
    if path is not None:
        try:
            values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError("settings file not found", file=file) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"not a valid TOML file: {exc}", file=file) from None
    for key in ("catalogue", "mapping", "standards"):
        if isinstance(values.get(key), str) and path is not None:
            values[key] = Path(path).parent / values[key]  # relative to the settings file
    values.update({k: v for k, v in overrides.items() if v is not None})
    sections = {name: values.pop(name, {}) for name in _SECTIONS}
    rules = values.pop("rules", [])
    if "as_of" in values:
        values["as_of"] = _parse_date(values["as_of"], file)
    for key in ("catalogue", "mapping", "standards"):
        if isinstance(values.get(key), str):
            values[key] = Path(values[key])
    built = {name: sections[name] if isinstance(sections[name], cls)
             else _build(cls, sections[name], name, file)
             for name, cls in _SECTIONS.items()}
    if not isinstance(rules, list):
        raise SettingsError("rules must be an array of tables ([[rules]])", file=file)
    built_rules = [r if isinstance(r, Rule) else _build(Rule, r, f"rules #{i + 1}", file)
                   for i, r in enumerate(rules)]
    settings = _build(Settings, values, "", file)
    for name, value in built.items():
        setattr(settings, name, value)
    settings.rules = built_rules
    _validate(settings, file)
    return settings


def _validate(s: Settings, file: str | None) -> None:
    def fail(message: str) -> None:
        raise SettingsError(message, file=file)

    if not 0 <= s.fuzzy_threshold <= 100:
        fail("fuzzy_threshold must be between 0 and 100")
    if not 0 <= s.similarity.name_threshold <= 100:
        fail("similarity.name_threshold must be between 0 and 100")
    if s.min_cluster_size < 2:
        fail("min_cluster_size must be at least 2")
    if s.wave_months < 1:
        fail("wave_months must be at least 1")
    if s.similarity.community_min_units < 2:
        fail("similarity.community_min_units must be at least 2")
    if s.similarity.resolution <= 0:
        fail("similarity.resolution must be above 0")
    if s.constraints.region_rule not in ("zone", "region", "none"):
        fail("constraints.region_rule must be one of zone, region, none")
    for name in ("migration_cost_per_system", "migration_cost_per_integration",
                 "target_cost_share"):
        if getattr(s.savings, name) < 0:
            fail(f"savings.{name} must not be negative")
    if any(v < 0 for v in s.savings.licence_cost_per_user.values()):
        fail("savings.licence_cost_per_user prices must not be negative")
    seen = set()
    for i, rule in enumerate(s.rules, 1):
        if rule.kind not in RULE_KINDS:
            fail(f"rules #{i} ({rule.name}): kind must be one of {', '.join(RULE_KINDS)}")
        if rule.kind == "separate" and not rule.values:
            fail(f"rules #{i} ({rule.name}): a 'separate' rule needs values")
        if rule.field not in RULE_FIELDS:
            fail(f"rules #{i} ({rule.name}): unknown field {rule.field!r}; use one of "
                 f"{', '.join(RULE_FIELDS)}")
        if rule.name in seen:
            fail(f"rules #{i}: the rule name {rule.name!r} is used twice")
        seen.add(rule.name)
