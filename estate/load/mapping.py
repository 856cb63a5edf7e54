"""The user's header mapping file: which of a file's own headers is which canonical field.

Format: a CSV file with the columns ``scope,header,field`` (the header line itself is
optional; lines starting with ``#`` are comments)::

    scope,header,field
    *,Cost Centre,ignore
    DWP,App Ref,system_id
    hmrc-*.csv,Tenancy URL,instance

- ``scope`` is ``*`` (every file), a file name or glob matched against the file's name or
  path (``hmrc-*.csv``), or a department, matched case-insensitively against the
  department taken from the file name (``DWP`` for ``dwp-inventory.csv``).
- ``header`` is the file's own column header, compared like the built-in synonyms (case,
  spacing and punctuation do not matter).
- ``field`` is a canonical field name (:data:`estate.schema.FIELD_NAMES`), ``ignore``
  (drop the column, reported once) or ``extra`` (keep it among the unmapped columns).

The most specific scope wins: file, then department, then ``*``, then the built-in
synonyms.
"""

from __future__ import annotations

import csv
import fnmatch
import io
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from estate.errors import SettingsError
from estate.files import read_user_text
from estate.schema import FIELD_NAMES, header_key

SPECIAL_TARGETS = ("ignore", "extra")


@dataclass(frozen=True)
class MappingRule:
    scope: str
    header: str
    field: str
    line: int


@dataclass
class HeaderMapping:
    """Rules read from a mapping file; an empty mapping maps nothing."""

    rules: list[MappingRule] = field(default_factory=list)
    source: str | None = None
    used: set[int] = field(default_factory=set)

    def for_file(self, path: str, department: str) -> dict[str, MappingRule]:
        """header_key -> rule for one file, the most specific scope winning."""
        name = PurePath(path).name.casefold()
        full = str(path).casefold()
        chosen: dict[str, tuple[int, MappingRule]] = {}
        for rule in self.rules:
            scope = rule.scope.casefold()
            if scope == "*":
                rank = 1
            elif fnmatch.fnmatchcase(name, scope) or fnmatch.fnmatchcase(full, scope):
                rank = 3
            elif scope == department.casefold():
                rank = 2
            else:
                continue
            key = header_key(rule.header)
            if key not in chosen or chosen[key][0] < rank:
                chosen[key] = (rank, rule)
        return {k: r for k, (_, r) in chosen.items()}


def read_mapping(path: Path | None) -> HeaderMapping:
    """Read and check a mapping file; a file that is not valid stops the run."""
    if path is None:
        return HeaderMapping()
    shown = str(path)
    text = read_user_text(path, "mapping file", SettingsError)
    rules: list[MappingRule] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in row]
        if [c.casefold() for c in cells[:3]] == ["scope", "header", "field"]:
            continue
        if len(cells) != 3 or not all(cells):
            raise SettingsError("expected three cells: scope,header,field", file=shown,
                                line=number)
        scope, header, target = cells
        target = target.casefold()
        if target not in FIELD_NAMES and target not in SPECIAL_TARGETS:
            raise SettingsError(f"{cells[2]!r} is not a field; use one of "
                                f"{', '.join(FIELD_NAMES + SPECIAL_TARGETS)}",
                                file=shown, line=number)
        rules.append(MappingRule(scope, header, target, number))
    return HeaderMapping(rules, shown)
