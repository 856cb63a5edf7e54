"""Settings for a run: defaults, the optional ``estate.toml`` file, and validation.

Every stage takes the one :class:`Settings` object instead of long argument lists, so a
run is fully described by its inputs plus this object (the audit manifest stores it).
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from estate.errors import SettingsError


@dataclass
class SavingsModel:
    """How a cluster's saving is estimated (see README, "Savings model").

    The annual saving of a cluster is the current annual cost of the systems that migrate
    minus what their users cost on the target (target cost per user x migrating users),
    counted only when those inputs are known. One-off cost is a migration cost per system
    plus a cost per integration to re-point.
    """

    migration_cost_per_system: float = 50_000.0
    migration_cost_per_integration: float = 15_000.0
    target_cost_share: float = 1.0  # multiplier on the target's own cost per user


@dataclass
class Settings:
    """Everything that changes a run's result, with documented defaults."""

    catalogue: Path | None = None
    """Extra or overriding catalogue file (CSV) merged over the packaged catalogue."""
    mapping: Path | None = None
    """Header mapping file: department or file -> its own header -> canonical field."""
    fuzzy_threshold: float = 88.0
    """Lowest rapidfuzz score (0-100) at which a raw product name is matched."""
    assume_classification: str = "OFFICIAL"
    """Tier assumed for a system whose classification is missing (reported as such)."""
    min_cluster_size: int = 2
    seed: int = 42
    """Seed for community detection, so the clusters are the same every run."""
    keep_going: bool = False
    """Analyse the readable inputs when another input cannot be read at all."""
    savings: SavingsModel = field(default_factory=SavingsModel)

    def to_dict(self) -> dict:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, Path):
                data[key] = str(value)
        return data


def load_settings(path: Path | None, **overrides) -> Settings:
    """Read ``estate.toml`` (if given) and apply command-line overrides on top."""
    values: dict = {}
    if path is not None:
        try:
            values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError("settings file not found", file=str(path)) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"not a valid TOML file: {exc}", file=str(path)) from None
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)}", file=str(path))
    savings_values = values.pop("savings", {})
    savings_known = {f.name for f in fields(SavingsModel)}
    bad = sorted(set(savings_values) - savings_known)
    if bad:
        raise SettingsError(f"unknown [savings] setting(s): {', '.join(bad)}", file=str(path))
    values.update({k: v for k, v in overrides.items() if v is not None})
    for key in ("catalogue", "mapping"):
        if values.get(key) is not None:
            values[key] = Path(values[key])
    try:
        settings = Settings(**values, savings=SavingsModel(**savings_values))
    except TypeError as exc:
        raise SettingsError(str(exc), file=str(path) if path else None) from None
    if not 0 <= settings.fuzzy_threshold <= 100:
        raise SettingsError("fuzzy_threshold must be between 0 and 100",
                            file=str(path) if path else None)
    return settings
