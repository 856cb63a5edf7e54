"""Turn raw tables (any reader's output) into rows of the canonical schema.

Two phases, because per-file work does not scale with many small files:

1. :func:`build_table`, per table: find the header row (it may sit below a title block),
   map each header to a field (user mapping first, then the built-in synonyms), skip
   blank rows (counted), keep unmapped columns as a JSON ``extra`` text per row, and
   return every mapped field as integer codes into the table's distinct stripped texts
   (tables are independent, so files may be read on two cores); :func:`share_texts`
   then codes the texts of the tables one process read together.
2. :func:`read_fields`, where the tables were read: read each field once per distinct
   text of the tables that share their texts (costs, dates and classifications repeat
   across departments), so the parsers run once per distinct value of each process's
   files, side by side when the files were read on two cores.
3. :func:`merge_cells` and :func:`parse_fields`, once over the rows of every table
   together: put the readings of the tables side by side and turn them into typed
   columns and findings.

Every problem becomes a :class:`Finding` with file, line and the file's own column header.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from collections import defaultdict
from itertools import chain, count, repeat
from operator import is_not

import numpy as np
import pandas as pd

from estate.errors import Finding
from estate.load.base import CodedRecords, RawTable
from estate.load.mapping import MappingRule
from estate.parallel import Background
from estate.schema import (FAST_PATHS, FIELD_NAMES, FIELDS_BY_NAME, PARSERS, PROBLEM_SEVERITY,
                           Parsed, clean_text, header_key, header_scale, read_distinct,
                           resolve_header)

HEADER_SEARCH_RECORDS = 50
"""How far down a file the header row is looked for (title blocks are short)."""

IDENTITY_FIELDS = frozenset({"system_id", "name"})

PARSED_APART = ("contract_end", "integrates_with", "data_domains")
"""Fields whose distinct texts a forked child reads (the date and list parsers are the
slowest per text) while :func:`read_fields` reads the others, when the files were all
read by one process."""
PARALLEL_PARSE_ROWS = 50_000
"""From this many rows, :data:`PARSED_APART` are read in a child (two cores only, see
:class:`estate.parallel.Background`)."""


@dataclass
class Column:
    index: int
    header: str
    role: str                 # a field name, "extra", "ignore" or "drop"
    key: str = ""             # extra: the key in the row's JSON


Readings = dict[str, "np.ndarray | pd.api.extensions.ExtensionArray"]
"""One field's readings of distinct texts: ``value`` (typed, see :func:`_typed`),
``code``, ``message`` (see :func:`estate.schema.read_distinct`) and the ``text`` read
where there is a problem, one entry per text plus a last, empty one for empty cells."""


@dataclass
class TableResult:
    rows: dict[str, np.ndarray]   # mapped fields as codes into ``texts`` (0 when empty;
                                  # after read_fields: positions into ``readings``),
                                  # source_line, extra, _sig, _quarantine
    constants: dict[str, object]  # source_file, source_sheet, _file_department, ...
    n: int                        # rows kept (blank rows are not)
    texts: np.ndarray = field(default_factory=lambda: np.array([""], dtype=object))
    """The table's distinct stripped cell texts; code 0 is ``""``."""
    findings: list[Finding] = field(default_factory=list)
    header_line: int = 0
    columns: list[Column] = field(default_factory=list)
    readings: dict[str, Readings] | None = None
    """Per field, the readings of the texts of this table and of the tables read with it
    (:func:`read_fields`; then ``texts`` is empty)."""


def _field_for(header: str, rules: dict[str, MappingRule]) -> tuple[str | None, MappingRule | None]:
    rule = rules.get(header_key(header))
    if rule is not None:
        return rule.field, rule
    return resolve_header(header), None


def find_header(table: RawTable, rules: dict[str, MappingRule]) -> int | None:
    """Index of the record that maps the most fields and names an id or name column."""
    best: tuple[int, int] | None = None
    seen: dict[str, str | None] = {}
    for i, record in enumerate(table.records[:HEADER_SEARCH_RECORDS]):
        if best is not None and len({c for c in record if c.strip()}) <= best[0]:
            continue  # fewer distinct cells than the best record maps fields
        fields = set()
        for c in record:
            if c not in seen:
                seen[c] = _field_for(c, rules)[0] if c.strip() else None
            fields.add(seen[c])
        fields &= _FIELD_SET
        if not fields & IDENTITY_FIELDS:
            continue
        if best is None or len(fields) > best[0]:
            best = (len(fields), i)
    return None if best is None else best[1]


_FIELD_SET = frozenset(FIELD_NAMES)


def build_table(table: RawTable, file: str, department: str,
                rules: dict[str, MappingRule], used_rules: set[int]) -> TableResult | None:
    """Rows of ``table`` with raw field texts; ``None`` when it has no recognisable header.

    Field columns hold codes into the table's distinct stripped cell texts (0 when
    empty) until :func:`parse_fields` reads them; ``_file_department``,
    ``_department_mapped`` and ``_cost_scale`` carry what that needs to know about this
    table.
    """
    h = find_header(table, rules)
    if h is None:
        return None
    sheet = table.sheet
    header_line = table.lines[h]
    header = [c.strip() for c in table.records[h]]
    lines = table.lines[h + 1:]
    if isinstance(table.records, CodedRecords):
        cells, texts = _stripped(table.records.cells[h + 1:], table.records.texts.tolist())
    else:
        cells, texts = _cells(table.records[h + 1:], len(header))
    findings: list[Finding] = []

    def note(severity, code, message, line=header_line, column=None, value=None):
        findings.append(Finding(file, line, column, "load", severity, code, message,
                                department, value))

    above = [ln for rec, ln in zip(table.records[:h], table.lines[:h]) if any(c.strip() for c in rec)]
    if above:
        note("info", "header-not-on-first-line",
             f"the header is on line {header_line}; {len(above)} line(s) above it "
             "were read as a title block", line=above[0])

    row_lines = np.array(lines, dtype="int64")
    empty = cells == 0
    blank = empty.all(axis=1)
    if blank.any():
        blank_lines = row_lines[blank].tolist()
        shown = ", ".join(map(str, blank_lines[:10])) + (" ..." if len(blank_lines) > 10 else "")
        note("info", "blank-rows", f"{len(blank_lines)} blank row(s) skipped (lines {shown})",
             line=blank_lines[0])
        cells, row_lines, empty = cells[~blank], row_lines[~blank], empty[~blank]
    n = len(cells)

    columns = _plan_columns(header, ~empty.all(axis=0), rules, used_rules, note, sheet)
    mapped = {c.role: c for c in columns if c.role in FIELDS_BY_NAME}

    out: dict[str, np.ndarray] = {}
    for name, column in mapped.items():
        out[name] = cells[:, column.index].copy()
    if "department" not in mapped:
        note("info", "department-from-file-name",
             f"no department column; every row belongs to {department!r} (from the file name)")

    out["source_line"] = row_lines
    out["extra"] = _extra_json(cells, texts, empty, [c for c in columns if c.role == "extra"])
    out["_sig"] = _signature(cells, texts,
                             [c.index for c in columns if c.role not in ("drop", "ignore")])
    out["_quarantine"] = _repeated_header(cells, texts, header, columns)
    texts = _keep_used(out, [name for name in mapped], texts)
    constants = {"source_file": file, "source_sheet": sheet, "_file_department": department,
                 "_department_mapped": "department" in mapped,
                 "_cost_scale": header_scale(mapped["annual_cost"].header)
                 if "annual_cost" in mapped else 1.0}
    if not n:
        note("warning", "no-data-rows", "the table has a header but no data rows")
    return TableResult(out, constants, n, texts, findings, header_line, columns)


def _repeat(value: object, n: int) -> np.ndarray:
    """``n`` references to one object (``np.full`` would copy a string ``n`` times)."""
    out = np.empty(n, dtype=object)
    out[:] = [value]
    return out


def _cells(body: list[list[str]], header_width: int) -> tuple[np.ndarray, np.ndarray]:
    """The cells as a rows x columns array of codes into the table's stripped texts (an
    object array whose code 0 is ``""``, also the padding of short rows); equal stripped
    texts share one code (the texts of codes no cell keeps are dropped later).

    Each distinct text is stripped once, and the table's own small dictionary codes the
    cells (one estate-wide dictionary would be slower per cell); later steps compare
    integers, not strings.
    """
    n = len(body)
    lengths = np.fromiter(map(len, body), dtype=np.int64, count=n)
    width = max(header_width, int(lengths.max())) if n else header_width
    seen: defaultdict[str, int] = defaultdict(count().__next__)
    seen[""]  # code 0
    flat = np.fromiter(map(seen.__getitem__, chain.from_iterable(body)), dtype=np.int32,
                       count=int(lengths.sum()))
    if n and lengths.min() == width:
        cells = flat.reshape(n, width)
    else:
        cells = np.zeros((n, width), dtype=np.int32)
        cells[np.arange(width) < lengths[:, None]] = flat
    return _stripped(cells, list(seen), seen)


def _stripped(cells: np.ndarray, raw: list[str], seen: dict[str, int] | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """``cells`` (codes into the distinct texts ``raw``, ``raw[0] == ""``) recoded so that
    texts equal once stripped share a code, and the stripped texts (``seen``: the codes of
    ``raw`` as a dictionary, when there is one already)."""
    stripped = list(map(str.strip, raw))
    # str.strip returns the text itself when it has nothing to strip
    changed = np.flatnonzero(np.fromiter(map(is_not, stripped, raw), dtype=bool,
                                         count=len(raw)))
    if len(changed):  # " Oracle" takes the code of "Oracle" (code 0 for blank cells)
        if seen is None:
            seen = dict(zip(raw, range(len(raw))))
        canonical = np.arange(len(raw), dtype=np.int32)
        for i in changed.tolist():
            canonical[i] = seen.setdefault(stripped[i], i)
        cells = canonical[cells]
    return cells, np.fromiter(stripped, dtype=object, count=len(stripped))


@dataclass
class Cells:
    """The field cells of every table as positions into one table of readings per field."""

    positions: dict[str, np.ndarray]  # field -> one int32 position per row into readings
    readings: dict[str, Readings]     # field -> its readings; the last entry: empty cells


def _keep_used(rows: dict[str, np.ndarray], fields: list[str], texts: np.ndarray
               ) -> np.ndarray:
    """Only the texts the ``fields`` of ``rows`` use (recoded in place): the others
    (unmapped columns, already in ``extra``) are not needed any more."""
    used = np.zeros(len(texts), dtype=bool)
    for name in fields:
        used[rows[name]] = True
    used[0] = True
    at = np.flatnonzero(used)
    renumber = np.zeros(len(texts), dtype=np.int32)
    renumber[at] = np.arange(len(at), dtype=np.int32)
    for name in fields:
        rows[name] = renumber[rows[name]]
    return texts[at]


def share_texts(tables: list[TableResult]) -> None:
    """Code the field texts of ``tables`` (the tables one process read) together: every
    table's ``texts`` becomes one shared array of distinct texts, its field codes
    renumbered into it.

    Done where the files were read, so that :func:`read_fields` reads each distinct text
    of those tables once.
    """
    if len({id(t.texts) for t in tables}) < 2:
        return
    renumbers, texts = _code_together([t.texts for t in tables])
    for t, renumber in zip(tables, renumbers):
        for name in FIELD_NAMES:
            if name in t.rows:
                t.rows[name] = renumber[t.rows[name]]
        t.texts = texts


def _code_together(arrays: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct texts of ``arrays`` (each starts with ``""``, so ``""`` is code 0),
    and per array the new code of each of its texts."""
    codes, texts = pd.factorize(np.concatenate(arrays))
    codes = codes.astype(np.int32)
    bounds = np.cumsum([0, *map(len, arrays)]).tolist()
    return ([codes[lo:hi] for lo, hi in zip(bounds, bounds[1:])],
            np.asarray(texts, dtype=object))


def read_fields(tables: list[TableResult], apart: bool = False) -> None:
    """Read the fields of ``tables`` (the tables one process read) once per distinct text
    of the tables that share a ``texts`` array (see :func:`share_texts`): their field codes
    become positions into the readings of each field, which they share, and ``texts`` is
    emptied (the texts read stay in the readings).

    Done where the files were read, so that on two cores each half of the files is read
    side by side, and only per-text readings travel back. ``apart``: the fields
    :data:`PARSED_APART` of many rows are read by a forked child meanwhile (for files
    that this one process reads).
    """
    groups: dict[int, list[TableResult]] = {}
    for t in tables:
        groups.setdefault(id(t.texts), []).append(t)
    for group in groups.values():
        texts = group[0].texts
        distinct: dict[str, np.ndarray] = {}
        for name in FIELD_NAMES:
            held = [t for t in group if name in t.rows]
            if held:
                distinct[name], positions = _distinct([t.rows[name] for t in held], len(texts))
                for t, at in zip(held, positions):
                    t.rows[name] = at
        far = [name for name in PARSED_APART if name in distinct] \
            if apart and sum(t.n for t in group) >= PARALLEL_PARSE_ROWS else []
        reading = Background(functools.partial(_read_texts, far, distinct, texts)) if far else None
        read = _read_texts([name for name in distinct if name not in far], distinct, texts)
        if reading is not None:
            read.update(reading.result())
        readings = {name: read[name] for name in distinct}
        for t in group:
            t.readings, t.texts = readings, _NO_TEXTS


_NO_TEXTS = np.empty(0, dtype=object)


def merge_cells(tables: list[TableResult]) -> Cells:
    """Put the readings of all ``tables`` (see :func:`read_fields`) one after the other per
    field, each shared readings once, and renumber each table's positions into them
    (taking them out of ``rows``). A text that two processes read has two equal entries."""
    groups = list({id(t.readings): t.readings for t in tables}.values())
    positions: dict[str, np.ndarray] = {}
    readings: dict[str, Readings] = {}
    for name in FIELD_NAMES:
        parts = [g[name] for g in groups if name in g]
        sizes = [len(p["text"]) - 1 for p in parts]
        empty = sum(sizes)
        if not parts:  # no table has the field: the readings of no text
            readings[name] = _read_texts([name], {name: np.empty(0, dtype=np.intp)},
                                         _NO_TEXTS)[name]
        elif len(parts) == 1:
            readings[name] = parts[0]
        else:
            readings[name] = {key: _joined([p[key][:-1] for p in parts] + [parts[0][key][-1:]])
                              for key in _READING_KEYS}
        renumbers = {}
        for part, start, size in zip(parts, np.cumsum([0, *sizes]).tolist(), sizes):
            renumbers[id(part)] = np.append(np.arange(start, start + size, dtype=np.int32),
                                            np.int32(empty))
        positions[name] = np.concatenate([
            renumbers[id(t.readings[name])][t.rows.pop(name)] if name in t.rows
            else np.full(t.n, empty, dtype=np.int32) for t in tables])
    return Cells(positions, readings)


_READING_KEYS = ("value", "code", "message", "text")


def parse_fields(rows: pd.DataFrame, cells: Cells, headers: dict
                 ) -> tuple[pd.DataFrame, list[Finding], np.ndarray]:
    """Turn the readings of every field of ``cells`` (from :func:`merge_cells`, all tables
    together) into columns of ``rows`` (the same rows' provenance columns; ``_table``
    numbers each row's table), with the ``_fold_`` codes of :data:`FOLDED_FIELDS`; also
    the folded text of each ``_fold_system_id`` code (identity keys compare ids folded:
    no second fold).

    ``headers`` maps ``(file, sheet)`` to field -> the file's own header, so a problem
    names the column as the file spells it. Rows of a table without a department column
    take the department from the file name; so do rows of a table whose department
    column is empty on some rows only (each reported).
    """
    rows = rows.copy(deep=False)
    findings: list[Finding] = []
    files = rows["source_file"].to_numpy(dtype=object)
    sheets = rows["source_sheet"].to_numpy(dtype=object)
    lines = rows["source_line"].to_numpy()
    depts = rows["_file_department"].to_numpy(dtype=object)

    def header_of(i: int, name: str) -> str | None:
        sheet = sheets[i] if isinstance(sheets[i], str) else None
        return headers.get((files[i], sheet), {}).get(name)

    id_folds = np.empty(0, dtype=object)
    for name in FIELD_NAMES:
        positions, table = cells.positions[name], cells.readings[name]
        values = pd.Series(table["value"][positions], index=rows.index,
                           dtype=object if FIELDS_BY_NAME[name].kind == "list" else None)
        if name == "annual_cost":
            values = values * rows["_cost_scale"].to_numpy()
        rows[name] = values
        if name in FOLDED_FIELDS:
            rows["_fold_" + name], folds = _folded(table["value"], positions,
                                                   name == "instance")
            if name == "system_id":
                id_folds = folds
        if FIELDS_BY_NAME[name].kind == "text":
            continue
        code, message, text = table["code"], table["message"], table["text"]
        bad = np.flatnonzero(code != None)  # noqa: E711 (elementwise)
        if not len(bad):
            continue
        for i in np.flatnonzero(np.isin(positions, bad)).tolist():
            u = positions[i]
            findings.append(Finding(files[i], int(lines[i]), header_of(i, name), "load",
                                    PROBLEM_SEVERITY[code[u]], code[u], message[u], depts[i],
                                    text[u]))

    missing = rows["department"].isna()
    if missing.any():
        missing = missing.to_numpy(dtype=bool)
        table = rows["_table"].to_numpy()
        all_missing = (np.bincount(table, weights=~missing) == 0)[table]
        warn = missing & rows["_department_mapped"].to_numpy(dtype=bool) & ~all_missing
        for i in np.flatnonzero(warn):
            findings.append(Finding(
                files[i], int(lines[i]), header_of(i, "department"), "load", "warning",
                "missing-department",
                f"no department on this row; {depts[i]!r} taken from the file name",
                depts[i], None))
        rows["department"] = rows["department"].fillna(rows["_file_department"]).astype("string")
    return rows, findings, id_folds


def _plan_columns(header, filled, rules, used_rules, note, sheet) -> list[Column]:
    columns: list[Column] = []
    taken: dict[str, str] = {}
    extra_keys: set[str] = set()
    pairs: list[str] = []
    width = len(filled)
    for j in range(width):
        text = header[j] if j < len(header) else ""
        has_data = bool(filled[j])
        if not text:
            if not has_data:
                columns.append(Column(j, text, "drop"))
                continue
            key = _unique_key(f"column {j + 1}", extra_keys)
            columns.append(Column(j, text, "extra", key))
            note("warning", "unnamed-column",
                 f"column {j + 1} has no header but holds values; kept in extra as {key!r}",
                 column=key)
            continue
        target, rule = _field_for(text, rules)
        if rule is not None:
            used_rules.add(rule.line)
        if target == "ignore":
            columns.append(Column(j, text, "ignore"))
            note("info", "ignored-column", "column ignored by the mapping file", column=text)
            continue
        if target in FIELDS_BY_NAME and target in taken:
            key = _unique_key(text, extra_keys)
            columns.append(Column(j, text, "extra", key))
            note("warning", "duplicate-column",
                 f"also maps to {target!r}, which column {taken[target]!r} already provides; "
                 "kept in extra", column=text)
            continue
        if target in FIELDS_BY_NAME:
            taken[target] = text
            columns.append(Column(j, text, target))
            pairs.append(f"{text!r} -> {target}")
            continue
        key = _unique_key(text, extra_keys)
        columns.append(Column(j, text, "extra", key))
        if target != "extra":
            note("info", "unmapped-column",
                 "no field matches this header; kept in extra (map it with --mapping)",
                 column=text)
    if pairs:
        where = f" (sheet {sheet!r})" if sheet else ""
        note("info", "header-mapping", f"columns mapped{where}: " + ", ".join(pairs))
    return columns


def _unique_key(text: str, seen: set[str]) -> str:
    key, n = text, 2
    while key in seen:
        key, n = f"{text} ({n})", n + 1
    seen.add(key)
    return key


def _distinct(codes: list[np.ndarray], size: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The distinct non-empty codes among the arrays ``codes`` (of ``size`` possible),
    ascending, and per array each cell's position among them (the count of them for an
    empty cell)."""
    present = np.zeros(size, dtype=bool)
    for at in codes:
        present[at] = True
    present[0] = False
    distinct = np.flatnonzero(present)
    lookup = np.full(size, len(distinct), dtype=np.int32)
    lookup[distinct] = np.arange(len(distinct), dtype=np.int32)
    return distinct, [lookup[at] for at in codes]


def _readings(name: str, uniques: np.ndarray) -> dict[str, np.ndarray]:
    """The readings of the distinct texts ``uniques`` of the field ``name`` (see
    :func:`read_distinct`)."""
    kind = FIELDS_BY_NAME[name].kind
    if kind == "text":
        cleaner = (lambda s: Parsed(s.strip() or None)) if name == "notes" else \
            (lambda s: Parsed(clean_text(s)))
        return read_distinct(uniques, cleaner, None if name == "notes" else FAST_PATHS["text"])
    return read_distinct(uniques, PARSERS[kind], FAST_PATHS.get(kind))


def _read_texts(names: list[str], distinct: dict[str, np.ndarray], texts: np.ndarray
                ) -> dict[str, Readings]:
    """The readings of each field in ``names``: of the texts ``texts[distinct[name]]``,
    their values typed (:func:`_typed`), the texts kept only where there is a problem to
    report (what a forked reader sends back is small: typed numbers and dates pickle as
    a few arrays, not an object per text)."""
    out = {}
    for name in names:
        uniques = texts[distinct[name]]
        table = _readings(name, uniques)
        table["value"] = _typed(name, table["value"])
        table["text"] = np.append(uniques, None)
        table["text"][table["code"] == None] = None  # noqa: E711 (elementwise)
        out[name] = table
    return out


def _typed(name: str, values: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The values of the field ``name`` read per distinct text, as the column's type (an
    empty list is an empty tuple, a date a ``datetime64``)."""
    kind = FIELDS_BY_NAME[name].kind
    if kind == "list":
        return np.fromiter((v if v else () for v in values.tolist()), dtype=object,
                           count=len(values))  # tuples stay single cells
    if kind == "date":
        stamps = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
        return stamps.astype("datetime64[ns]").to_numpy()
    return pd.array(values.tolist(), dtype={"cost": "Float64", "int": "Int64"}.get(kind, "string"))


def _joined(parts: list) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The arrays ``parts`` (all numpy, or all one pandas extension type), one after the
    other."""
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts)
    return type(parts[0])._concat_same_type(parts)


FOLDED_FIELDS = ("system_id", "name", "instance")
"""Text fields that also get a ``_fold_<field>`` column for :mod:`estate.load.identity`."""


def _folded(values: np.ndarray, positions: np.ndarray, strip: bool
            ) -> tuple[np.ndarray, np.ndarray]:
    """Per row, a code equal where the texts ``values[positions]`` are equal ignoring case
    (and outer spaces with ``strip``); -1 where missing. Folded once per distinct text.
    Also the folded text of each code."""
    present = np.flatnonzero(pd.notna(values))
    texts = values[present].tolist()
    if strip:
        texts = list(map(str.strip, texts))
    folded = np.full(len(values), -1, dtype=np.int64)
    uniques = np.empty(0, dtype=object)
    if len(present):
        folded[present], uniques = pd.factorize(np.array(list(map(str.casefold, texts)),
                                                         dtype=object))
    return folded[positions], np.asarray(uniques, dtype=object)


def _signature(cells: np.ndarray, texts: np.ndarray, indexes: list[int]) -> np.ndarray:
    """A 64-bit hash of each row's kept cells: rows with equal texts share it, in any file.

    Each distinct text is hashed once (Python's string hash); a row's hash is a polynomial
    of its cells' hashes modulo 2**64, computed column by column. Only equality within one
    run is used, so the per-process hash seed does not matter (a forked child shares it);
    different rows collide with odds of about 1 in 2**64.
    """
    if not indexes or not len(cells):
        return np.zeros(len(cells), dtype=np.int64)
    hashes = np.fromiter(map(hash, texts), dtype=np.int64, count=len(texts)).view(np.uint64)
    out = np.full(len(cells), len(indexes), dtype=np.uint64)
    for j in indexes:
        out *= _MULTIPLIER
        out += hashes[cells[:, j]]
    return out.view(np.int64)


_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def _extra_json(cells: np.ndarray, texts: np.ndarray, empty: np.ndarray,
                extras: list[Column]) -> np.ndarray:
    """The JSON text of each row's unmapped cells, built once per distinct combination."""
    out = _repeat("{}", len(cells))
    if not extras or not len(cells):
        return out
    at = [c.index for c in extras]
    filled = np.flatnonzero(~empty[:, at].all(axis=1))
    if len(filled):
        sub = cells[filled][:, at]
        codes = np.zeros(len(sub), dtype=np.int64)
        for j in range(sub.shape[1]):
            part, uniques = pd.factorize(sub[:, j])
            codes = pd.factorize(codes * len(uniques) + part)[0]
        _, first = np.unique(codes, return_index=True)
        distinct = texts[sub[first]]
        distinct[sub[first] == 0] = None
        text = pd.DataFrame(distinct, columns=[c.key for c in extras], dtype=object).to_json(
            orient="records", lines=True, force_ascii=False)
        lines = map(_NULL_ITEM.sub, repeat(""), text.strip("\n").split("\n"))
        lines = list(map(str.replace, lines, repeat(",}"), repeat("}")))
        out[filled] = np.array(lines, dtype=object)[codes]
    return out


_NULL_ITEM = re.compile(r'"(?:[^"\\]|\\.)*":null,?')


def _repeated_header(cells: np.ndarray, texts: np.ndarray, header: list[str],
                     columns: list[Column]) -> np.ndarray:
    n = len(cells)
    reason = np.full(n, None, dtype=object)
    named = [c for c in columns if c.role in FIELDS_BY_NAME]
    if not named or not n:
        return reason
    size = len(header[named[0].index])
    sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    same = sizes[cells[:, named[0].index]] == size
    for c in named:
        if not same.any():
            break
        rows = np.flatnonzero(same)
        text = header[c.index].casefold()
        same[rows] = [x.casefold() == text for x in texts[cells[rows, c.index]]]
    reason[same] = "a repeated header row"
    return reason
