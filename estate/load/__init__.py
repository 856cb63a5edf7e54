"""Load department inventories into one systems table in the canonical schema.

Public API: :func:`load_inventories` -> :class:`LoadResult`. The table's columns are the
contract in :mod:`estate.schema`. Every data row of every input ends up in it, analysed
or quarantined with a reason; blank rows are skipped and counted in a finding; a file that
cannot be used at all raises :class:`~estate.errors.LoadError` (or, with
``Settings.keep_going``, is listed as unreadable with an error finding).

Readers (one per format, same interface :data:`estate.load.base.Reader`):
:mod:`estate.load.delimited` (CSV, TSV and other delimiters, sniffed encodings) and
:mod:`estate.load.xlsx` (workbooks, every sheet that has an inventory header).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from estate.arrays import factorize
from estate.errors import Finding, LoadError
from estate.load.base import Note, RawFile, Reader, sniff_format
from estate.load.delimited import read_delimited
from estate.load.identity import settle_identity
from estate.load.mapping import HeaderMapping, read_mapping
from estate.load.sources import Source, department_from_filename, discover
from estate.load.table import (FIELDS_BY_NAME, Cells, TableResult, build_table, merge_cells,
                               parse_fields, read_fields, share_texts)
from estate.load.xlsx import read_xlsx
from estate.parallel import map_split
from estate.schema import FIELD_NAMES, PROVENANCE_COLUMNS
from estate.settings import Settings

__all__ = ["InputFile", "LoadResult", "LoadError", "load_inventories", "READERS",
           "empty_systems", "SYSTEMS_COLUMNS"]

READERS: dict[str, Reader] = {"text": read_delimited, "xlsx": read_xlsx}

SYSTEMS_COLUMNS: tuple[str, ...] = FIELD_NAMES + PROVENANCE_COLUMNS

SPLIT_BYTES: int | None = 4 << 20
"""From this many bytes of input on, the files are read on two cores (when there are two,
see :func:`estate.parallel.map_split`); ``None``: always on one. Measured on an idle
two-core machine: 100k rows (12 MB) 2.0 -> 1.8 s, 1M rows (113 MB) 19.4 -> 16.4 s
(medians of 3); below a few MB the fork and the pickled tables cost more than they save."""


@dataclass
class InputFile:
    path: str          # as given / relative display path
    sha256: str
    format: str        # csv | tsv | csv-semicolon | csv-pipe | xlsx
    rows: int          # data rows read (analysed + quarantined)
    departments: list[str]
    readable: bool = True
    error: str | None = None


@dataclass
class LoadResult:
    systems: pd.DataFrame
    findings: list[Finding]
    inputs: list[InputFile] = field(default_factory=list)


def load_inventories(paths: Sequence[Path], settings: Settings) -> LoadResult:
    """Read every inventory at ``paths`` (files or folders) into one systems table."""
    mapping = read_mapping(settings.mapping)
    sources, skipped, missing = discover(paths)
    findings: list[Finding] = [
        Finding(s.shown, None, None, "load", "info", "skipped-file", f"not read: {s.reason}")
        for s in skipped]
    inputs: list[InputFile] = []
    for shown in missing:
        _unusable(LoadError("no such file or folder", file=shown), shown, "", settings,
                  inputs, findings)
    if not sources and not missing:
        shown = ", ".join(map(str, paths)) or "(no paths)"
        raise LoadError(f"no inventory files (.csv, .tsv, .txt, .xlsx) found in {shown}")
    frames: list[TableResult] = []
    headers: dict = {}
    used_rules: set[int] = set()
    sizes = [_size(s) for s in sources]
    split = SPLIT_BYTES is not None and sum(sizes) >= SPLIT_BYTES and len(sources) > 1
    read_all = lambda part: _shared([_read_source(s, mapping) for s in part],  # noqa: E731
                                    apart=not split)
    reads = map_split(read_all, sources, sizes) if split else read_all(sources)
    for source, read in zip(sources, reads):
        used_rules |= read.used_rules
        if read.error is not None:
            _unusable(read.error, source.shown, read.digest, settings, inputs, findings)
            continue
        findings += [Finding(source.shown, n.line, None, "load", n.severity, n.code, n.message)
                     for n in read.notes]
        for sheet, result in read.results:
            if result is None:
                findings.append(Finding(source.shown, None, None, "load", "info",
                                        "skipped-sheet", f"sheet {sheet!r} has no "
                                        "inventory header (no id or name column); not read"))
                continue
            findings += result.findings
            if result.n:
                frames.append(result)
            headers[(source.shown, sheet)] = {
                c.role: c.header for c in result.columns if c.role in FIELDS_BY_NAME}
        inputs.append(InputFile(source.shown, read.digest, read.format,
                                sum(r.n for _, r in read.results if r is not None), []))
    findings += _unused_rules(mapping, used_rules)
    if not frames:
        systems = empty_systems()
    else:
        rows, cells = _one_frame(frames)
        rows, parse_findings, id_folds = parse_fields(rows, cells, headers)
        findings += parse_findings
        rows, identity_findings = settle_identity(rows, headers, id_folds)
        findings += identity_findings
        systems = rows[list(SYSTEMS_COLUMNS)].reset_index(drop=True)
        per_file = _departments_per_file(systems)
        for item in inputs:
            if item.readable and item.path in per_file:
                item.departments = per_file[item.path]
    findings.sort(key=finding_order)
    return LoadResult(systems, findings, inputs)


def _departments_per_file(systems: pd.DataFrame) -> dict[str, list[str]]:
    files, file_names = factorize(systems["source_file"])
    depts, dept_names = factorize(systems["department"])
    pairs = pd.unique(files * len(dept_names) + depts)
    found: dict[str, set[str]] = {}
    for f, d in zip((pairs // len(dept_names)).tolist(), (pairs % len(dept_names)).tolist()):
        found.setdefault(file_names[f], set()).add(dept_names[d])
    return {f: sorted(d) for f, d in found.items()}


def _one_frame(tables: list[TableResult]) -> tuple[pd.DataFrame, Cells]:
    """The rows of every table: their field cells as estate-wide codes, and a frame of the
    other columns.

    Empties the tables column by column, so the rows are held about once, not twice.
    """
    cells = merge_cells(tables)
    sizes = [t.n for t in tables]
    columns = {}
    for name in list(tables[0].rows):
        values = np.concatenate([t.rows.pop(name) if name in t.rows
                                 else np.full(t.n, None, dtype=object) for t in tables])
        if name in _STRING_COLUMNS:
            columns[name] = pd.array(values, dtype="string")
        elif values.dtype == object:
            columns[name] = pd.Series(values, dtype=object, copy=False)
        else:
            columns[name] = values
    table = np.repeat(np.arange(len(tables), dtype=np.int64), sizes)
    for name in tables[0].constants:  # each table's value, typed once, taken per row
        each = np.empty(len(tables), dtype=object)
        each[:] = [t.constants[name] for t in tables]
        if name in _STRING_COLUMNS:
            columns[name] = pd.array(each, dtype="string").take(table)
        elif name in _CONSTANT_DTYPES:
            columns[name] = each.astype(_CONSTANT_DTYPES[name])[table]
        else:
            columns[name] = pd.Series(each[table], dtype=object, copy=False)
    columns["_table"] = table
    return pd.DataFrame(columns, copy=False), cells


_STRING_COLUMNS = frozenset({"source_file", "source_sheet", "extra"})
"""Columns typed as text here; ``_quarantine`` (``None`` on most rows) stays Python objects
for :func:`settle_identity`, which turns the reasons into text once per distinct one."""
_CONSTANT_DTYPES = {"_department_mapped": "bool", "_cost_scale": "float64"}


def finding_order(f: Finding) -> tuple:
    """Findings sort by file, line, column, code, message (``None`` first)."""
    return (f.file or "", f.line if f.line is not None else -1, f.column or "", f.code,
            f.message)


def empty_systems() -> pd.DataFrame:
    """A systems table with no rows and the contract's columns and dtypes."""
    columns = {}
    for name in FIELD_NAMES:
        kind = FIELDS_BY_NAME[name].kind
        dtype = {"int": "Int64", "cost": "Float64", "date": "datetime64[ns]",
                 "list": object}.get(kind, "string")
        columns[name] = pd.Series([], dtype=dtype)
    for name in PROVENANCE_COLUMNS:
        columns[name] = pd.Series([], dtype="int64" if name == "source_line" else "string")
    return pd.DataFrame(columns)


def _read_bytes(source: Source) -> bytes:
    try:
        return source.path.read_bytes()
    except PermissionError:
        raise LoadError("permission denied: the file cannot be opened", file=source.shown) from None
    except IsADirectoryError:
        raise LoadError("a folder where a file was expected", file=source.shown) from None
    except OSError as exc:
        raise LoadError(f"cannot be read: {exc.strerror or exc}", file=source.shown) from None


@dataclass
class _Read:
    """What one file gave (its rows, not its raw cells), or why it cannot be used."""

    digest: str = ""
    format: str = ""
    notes: list[Note] = field(default_factory=list)
    results: list[tuple[str | None, TableResult | None]] = field(default_factory=list)
    used_rules: set[int] = field(default_factory=set)
    error: LoadError | None = None


def _read_source(source: Source, mapping: HeaderMapping) -> _Read:
    """Read one file; independent of every other file, so files may be read side by side."""
    read = _Read()
    try:
        data = _read_bytes(source)
        read.digest = hashlib.sha256(data).hexdigest()
        raw, results = _read_file(source, data, mapping, read.used_rules)
    except LoadError as exc:
        read.error = exc
        return read
    read.format, read.notes = raw.format, raw.notes
    read.results = [(table.sheet, result) for table, result in results]
    return read


def _shared(reads: list[_Read], apart: bool) -> list[_Read]:
    """``reads`` with the texts of all their tables coded together (:func:`share_texts`)
    and read per field (:func:`read_fields`, with ``apart``)."""
    tables = [r for read in reads for _, r in read.results if r is not None]
    share_texts(tables)
    read_fields(tables, apart)
    return reads


def _size(source: Source) -> int:
    try:
        return source.path.stat().st_size
    except OSError:
        return 0


def _read_file(source: Source, data: bytes, mapping: HeaderMapping, used_rules: set[int]
               ) -> tuple[RawFile, list[tuple]]:
    if not data.strip():
        raise LoadError("the file is empty", file=source.shown)
    raw = READERS[sniff_format(data, source.shown)](data, source.shown)
    department = department_from_filename(source.path)
    rules = mapping.for_file(source.shown, department)
    results = [(t, build_table(t, source.shown, department, rules, used_rules))
               for t in raw.tables]
    if all(r is None for _, r in results):
        where = "no sheet has" if raw.format == "xlsx" else "no line in the first 50 is"
        raise LoadError(f"no recognisable header: {where} a header naming a system id or "
                        "name column (e.g. 'System ID', 'Application Name'); map your headers "
                        "with --mapping", file=source.shown)
    return raw, results


def _unusable(exc: LoadError, shown: str, digest: str, settings: Settings,
              inputs: list[InputFile], findings: list[Finding]) -> None:
    if not settings.keep_going:
        raise exc
    inputs.append(InputFile(shown, digest, "", 0, [], readable=False, error=str(exc)))
    findings.append(Finding(shown, exc.line, exc.column, "load", "error", "unreadable-file",
                            f"file not used: {exc.args[0]}"))


def _unused_rules(mapping: HeaderMapping, used: set[int]) -> list[Finding]:
    return [Finding(mapping.source or "", r.line, None, "load", "info", "unused-mapping",
                    f"mapping {r.scope!r}, {r.header!r} -> {r.field} matched no column")
            for r in mapping.rules if r.line not in used]
