"""Which files to read, and the department a file name implies.

A folder is read recursively in sorted order; inventory extensions are taken, and what is
left out (README, hidden or Excel lock files, other extensions) is reported, never
silently ignored. A file named explicitly is always read, whatever its extension, because
its content decides its format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

INVENTORY_SUFFIXES = frozenset({".csv", ".tsv", ".tab", ".txt", ".psv", ".xlsx", ".xlsm"})

_FILLER = frozenset({
    "inventory", "inventories", "systems", "system", "applications", "application", "apps",
    "app", "export", "exported", "extract", "cmdb", "register", "list", "catalogue", "it",
    "estate", "data", "final", "latest", "copy", "draft", "asset", "assets", "dump", "report",
})
_SMALL_WORDS = frozenset({"and", "of", "for", "the", "on", "in"})


@dataclass(frozen=True)
class Source:
    path: Path
    shown: str            # how the file is named in findings and outputs


@dataclass(frozen=True)
class Skipped:
    shown: str
    reason: str


def discover(paths) -> tuple[list[Source], list[Skipped], list[str]]:
    """Files to read, files skipped (with why) and given paths that do not exist."""
    sources: list[Source] = []
    skipped: list[Skipped] = []
    missing: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if not child.is_file():
                    continue
                reason = _skip_reason(child.relative_to(path))
                if reason:
                    skipped.append(Skipped(str(child), reason))
                else:
                    sources.append(Source(child, str(child)))
        elif path.exists() or path.is_symlink():
            sources.append(Source(path, str(path)))
        else:
            missing.append(str(path))
    seen: set[Path] = set()
    unique = []
    for s in sources:
        key = s.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(s)
    return unique, skipped, missing


def _skip_reason(relative: Path) -> str | None:
    if any(part.startswith(".") for part in relative.parts):
        return "a hidden file"
    name = relative.name
    if name.startswith("~$"):
        return "an Excel lock file"
    if name.casefold().startswith(("readme", "licence", "license")):
        return "a README or licence file"
    if relative.suffix.casefold() not in INVENTORY_SUFFIXES:
        return f"not an inventory file type ({relative.suffix or 'no extension'})"
    return None


def department_from_filename(path: str | Path) -> str:
    """``dwp-inventory-2024.csv`` -> ``DWP``; ``home_office.csv`` -> ``Home Office``.

    Filler words (inventory, export, cmdb, ...), dates and version marks are dropped.
    A single short word is read as an acronym; words in one case are title-cased; a name
    already in mixed case (``DfE``) is kept as written.
    """
    stem = Path(path).stem
    tokens = [t for t in re.split(r"[\s_\-.()\[\]]+", stem) if t]
    kept = [t for t in tokens if t.casefold() not in _FILLER
            and not re.fullmatch(r"(?:v\d+|\d+|\d{4}q[1-4]|q[1-4])", t.casefold())]
    tokens = kept or tokens or ["unknown"]
    if len(tokens) == 1 and len(tokens[0]) <= 6 and tokens[0].isalpha() and (
            tokens[0].islower() or tokens[0].isupper()):
        return tokens[0].upper()
    if all(t.islower() or t.isupper() or not t.isalpha() for t in tokens):
        words = [t.lower() if t.lower() in _SMALL_WORDS and i else
                 (t.upper() if _acronym(t) else t.capitalize())
                 for i, t in enumerate(tokens)]
        return " ".join(words)
    return " ".join(tokens)


def _acronym(token: str) -> bool:
    return token.isalpha() and len(token) <= 5 and (
        token.isupper() or not set(token.casefold()) & set("aeiouy"))
