"""Technology standards in the shape of a tech radar: capability -> products, each in a ring.

Architecture boards keep their standards as a radar: for each capability the approved
products and a ring, ``adopt`` (the standard), ``trial``, ``hold`` (no new use) or
``retire`` (move off). The file is a CSV with the columns ``capability``, ``product``,
``ring`` and an optional ``description``; a Build-Your-Own-Radar export (``name``,
``ring``, ``quadrant``, ``isNew``, ``description``) is read too, its quadrant taken as
the capability. Capabilities and products may be written as catalogue ids or names.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from estate.errors import Finding, SettingsError
from estate.files import read_user_text

RINGS = ("adopt", "trial", "hold", "retire")

_HEADER_SYNONYMS = {"capability": "capability", "quadrant": "capability",
                    "product": "product", "name": "product", "ring": "ring",
                    "description": "description", "note": "description",
                    "notes": "description"}


def norm_key(text: object) -> str:
    """The comparison key of a capability or product written as an id or a name."""
    if text is None:
        return ""
    return re.sub(r"[^0-9a-z]+", "-", str(text).casefold()).strip("-")


@dataclass(frozen=True)
class StandardEntry:
    capability: str
    product: str
    ring: str
    description: str
    line: int


@dataclass
class Standards:
    """Lookup of the ring of (capability, product); empty when no file is given."""

    entries: tuple[StandardEntry, ...] = ()
    source: str | None = None
    _by_pair: dict = field(default_factory=dict, repr=False)
    _by_cap: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            cap, prod = norm_key(entry.capability), norm_key(entry.product)
            self._by_pair[(cap, prod)] = entry
            self._by_cap.setdefault(cap, []).append(entry)

    def _cap_entries(self, capability_keys) -> list[StandardEntry]:
        for cap in capability_keys:
            if cap and cap in self._by_cap:
                return self._by_cap[cap]
        return []

    def lookup(self, capability_keys, product_keys) -> tuple[bool, StandardEntry | None]:
        """(a standard exists for the capability, the entry for the product or None).

        ``capability_keys`` and ``product_keys`` are the id and the name (either may
        be None); the first that the file names wins.
        """
        caps = [norm_key(c) for c in capability_keys if c]
        entries = self._cap_entries(caps)
        if not entries:
            return False, None
        prods = {norm_key(p) for p in product_keys if p}
        for entry in entries:
            if norm_key(entry.product) in prods:
                return True, entry
        return True, None

    def adopted(self, capability_keys) -> list[StandardEntry]:
        caps = [norm_key(c) for c in capability_keys if c]
        return [e for e in self._cap_entries(caps) if e.ring == "adopt"]


def load_standards(path: Path | None) -> tuple[Standards, list[Finding]]:
    """Read a standards CSV; a bad row is a finding, an unreadable file a SettingsError."""
    if path is None:
        return Standards(), []
    file = str(path)
    text = read_user_text(path, "standards file", SettingsError)
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise SettingsError("the standards file is empty", file=file)
    header = [_HEADER_SYNONYMS.get(h.strip().casefold()) for h in rows[0]]
    missing = [c for c in ("capability", "product", "ring") if c not in header]
    if missing:
        raise SettingsError(
            f"the standards file needs the column(s) {', '.join(missing)} "
            "(capability, product, ring[, description])", file=file, line=1)
    col = {name: header.index(name) for name in set(header) if name}
    findings: list[Finding] = []
    entries: list[StandardEntry] = []
    seen: dict[tuple[str, str], int] = {}

    def cell(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cap, prod, ring = cell(row, "capability"), cell(row, "product"), cell(row, "ring")
        ring_key = ring.casefold()
        problem = None
        if not cap or not prod:
            problem = ("standard-incomplete", "capability and product are both needed",
                       "capability" if not cap else "product", cap or prod)
        elif ring_key not in RINGS:
            problem = ("standard-bad-ring", f"ring must be one of {', '.join(RINGS)}",
                       rows[0][col["ring"]], ring)
        elif (norm_key(cap), norm_key(prod)) in seen:
            problem = ("standard-duplicate",
                       f"{prod} is already listed for {cap} on line "
                       f"{seen[(norm_key(cap), norm_key(prod))]}; this line is ignored",
                       None, prod)
        if problem:
            code, message, column, value = problem
            findings.append(Finding(file=file, line=line, column=column, stage="standards",
                                    severity="warning", code=code, message=message,
                                    value=value))
            continue
        seen[(norm_key(cap), norm_key(prod))] = line
        entries.append(StandardEntry(cap, prod, ring_key, cell(row, "description"), line))
    return Standards(tuple(entries), file), findings
