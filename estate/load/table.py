"""Turn raw tables (any reader's output) into rows of the canonical schema.

Two phases, because per-file work does not scale with many small files:

1. :func:`build_table`, per table: find the header row (it may sit below a title block),
   map each header to a field (user mapping first, then the built-in synonyms), skip
   blank rows (counted), keep unmapped columns as a JSON ``extra`` text per row, and
   return every mapped field as its stripped raw text.
2. :func:`parse_fields`, once over the rows of every table together: parse each field
   over the unique raw strings of the whole estate (costs, dates and classifications
   repeat across departments), so the parsers run once per distinct value.

Every problem becomes a :class:`Finding` with file, line and the file's own column header.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from estate.errors import Finding
from estate.load.base import RawTable
from estate.load.mapping import MappingRule
from estate.schema import (FAST_PATHS, FIELD_NAMES, FIELDS_BY_NAME, PARSERS, PROBLEM_SEVERITY,
                           Parsed, clean_text, header_key, header_scale, parse_unique,
                           resolve_header)

HEADER_SEARCH_RECORDS = 50
"""How far down a file the header row is looked for (title blocks are short)."""

IDENTITY_FIELDS = frozenset({"system_id", "name"})


@dataclass
class Column:
    index: int
    header: str
    role: str                 # a field name, "extra", "ignore" or "drop"
    key: str = ""             # extra: the key in the row's JSON


@dataclass
class TableResult:
    rows: pd.DataFrame        # raw field texts + source_* + extra + _sig, _quarantine, _file_*
    findings: list[Finding] = field(default_factory=list)
    header_line: int = 0
    columns: list[Column] = field(default_factory=list)


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

    Field columns hold the stripped cell text (``None`` when empty) until
    :func:`parse_fields` reads them; ``_file_department``, ``_department_mapped`` and
    ``_cost_scale`` carry what that needs to know about this table.
    """
    h = find_header(table, rules)
    if h is None:
        return None
    sheet = table.sheet
    header_line = table.lines[h]
    header = [c.strip() for c in table.records[h]]
    body = table.records[h + 1:]
    lines = table.lines[h + 1:]
    width = max([len(header), *map(len, body)]) if body else len(header)
    pad = [""] * width
    body = [[c.strip() for c in r] + pad[len(r):] if len(r) < width else [c.strip() for c in r]
            for r in body]
    findings: list[Finding] = []

    def note(severity, code, message, line=header_line, column=None, value=None):
        findings.append(Finding(file, line, column, "load", severity, code, message,
                                department, value))

    above = [ln for rec, ln in zip(table.records[:h], table.lines[:h]) if any(c.strip() for c in rec)]
    if above:
        note("info", "header-not-on-first-line",
             f"the header is on line {header_line}; {len(above)} line(s) above it "
             "were read as a title block", line=above[0])

    blank_list = [not any(r) for r in body]
    if any(blank_list):
        blank_lines = [ln for ln, b in zip(lines, blank_list) if b]
        shown = ", ".join(map(str, blank_lines[:10])) + (" ..." if len(blank_lines) > 10 else "")
        note("info", "blank-rows", f"{len(blank_lines)} blank row(s) skipped (lines {shown})",
             line=blank_lines[0])
        body = [r for r, b in zip(body, blank_list) if not b]
        lines = [ln for ln, b in zip(lines, blank_list) if not b]
    n = len(body)
    cells = np.empty((n, width), dtype=object)
    if n and width:
        cells[:] = body
    row_lines = np.array(lines, dtype="int64")

    columns = _plan_columns(header, cells, rules, used_rules, note, sheet)
    mapped = {c.role: c for c in columns if c.role in FIELDS_BY_NAME}

    out: dict[str, object] = {}
    for name in FIELD_NAMES:
        column = mapped.get(name)
        values = np.full(n, None, dtype=object)
        if column is not None and n:
            raw = cells[:, column.index]
            present = raw != ""
            values[present] = raw[present]
        out[name] = values
    if "department" not in mapped:
        note("info", "department-from-file-name",
             f"no department column; every row belongs to {department!r} (from the file name)")

    out["source_file"] = pd.array([file] * n, dtype="string")
    out["source_sheet"] = pd.array([sheet] * n, dtype="string")
    out["source_line"] = row_lines
    out["extra"] = _extra_json(cells, [c for c in columns if c.role == "extra"])
    sig_cols = [c.index for c in columns if c.role not in ("drop", "ignore")]
    out["_sig"] = (pd.util.hash_pandas_object(pd.DataFrame(cells[:, sig_cols]), index=False,
                                              categorize=False).to_numpy()
                   if sig_cols and n else np.zeros(n, dtype="uint64"))
    out["_quarantine"] = _repeated_header(cells, header, columns)
    out["_file_department"] = np.full(n, department, dtype=object)
    out["_department_mapped"] = np.full(n, "department" in mapped, dtype=bool)
    out["_cost_scale"] = np.full(n, header_scale(mapped["annual_cost"].header)
                                 if "annual_cost" in mapped else 1.0, dtype="float64")
    if not n:
        note("warning", "no-data-rows", "the table has a header but no data rows")
    return TableResult(pd.DataFrame(out), findings, header_line, columns)


def parse_fields(rows: pd.DataFrame, headers: dict) -> tuple[pd.DataFrame, list[Finding]]:
    """Parse every field of ``rows`` (from :func:`build_table`, all tables together).

    ``headers`` maps ``(file, sheet)`` to field -> the file's own header, so a problem
    names the column as the file spells it. Rows of a table without a department column
    take the department from the file name; so do rows of a table whose department
    column is empty on some rows only (each reported).
    """
    rows = rows.copy()
    findings: list[Finding] = []
    files = rows["source_file"].to_numpy(dtype=object)
    sheets = rows["source_sheet"].to_numpy(dtype=object)
    lines = rows["source_line"].to_numpy()
    depts = rows["_file_department"].to_numpy(dtype=object)

    def header_of(i: int, name: str) -> str | None:
        sheet = sheets[i] if isinstance(sheets[i], str) else None
        return headers.get((files[i], sheet), {}).get(name)

    for name in FIELD_NAMES:
        raw = rows[name]
        values, problems = _parse(name, raw)
        if name == "annual_cost":
            values = values * rows["_cost_scale"].to_numpy()
        rows[name] = values
        if problems is not None and len(problems):
            cells = raw.to_numpy(dtype=object)
            for i, code, message in zip(problems.index, problems["code"], problems["message"]):
                findings.append(Finding(files[i], int(lines[i]), header_of(i, name), "load",
                                        PROBLEM_SEVERITY[code], code, message, depts[i],
                                        cells[i]))

    missing = rows["department"].isna()
    if missing.any():
        mapped = rows["_department_mapped"]
        table = [rows["source_file"], rows["source_sheet"].fillna("")]
        all_missing = missing.groupby(table, sort=False).transform("all")
        warn = missing & mapped & ~all_missing
        for i in np.flatnonzero(warn.to_numpy()):
            findings.append(Finding(
                files[i], int(lines[i]), header_of(i, "department"), "load", "warning",
                "missing-department",
                f"no department on this row; {depts[i]!r} taken from the file name",
                depts[i], None))
        rows["department"] = rows["department"].fillna(rows["_file_department"]).astype("string")
    return rows, findings


def _plan_columns(header, cells, rules, used_rules, note, sheet) -> list[Column]:
    columns: list[Column] = []
    taken: dict[str, str] = {}
    extra_keys: set[str] = set()
    pairs: list[str] = []
    width = cells.shape[1]
    filled = (cells != "").any(axis=0) if len(cells) else [False] * width
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


def _parse(name: str, raw: pd.Series) -> tuple[object, pd.DataFrame | None]:
    kind = FIELDS_BY_NAME[name].kind
    if kind in ("text",):
        cleaner = (lambda s: Parsed(s.strip() or None)) if name == "notes" else \
            (lambda s: Parsed(clean_text(s)))
        parsed = parse_unique(raw, cleaner, None if name == "notes" else FAST_PATHS["text"])
        return pd.Series(pd.array(parsed["value"].tolist(), dtype="string"), index=raw.index), None
    parsed = parse_unique(raw, PARSERS[kind], FAST_PATHS.get(kind))
    problems = parsed.loc[parsed["code"].notna(), ["code", "message"]]
    values = parsed["value"]
    if kind == "list":
        return pd.Series([v if v else () for v in values.tolist()], index=raw.index,
                         dtype=object), problems
    if kind == "cost":
        return pd.Series(pd.array(values.tolist(), dtype="Float64"), index=raw.index), problems
    if kind == "int":
        return pd.Series(pd.array(values.tolist(), dtype="Int64"), index=raw.index), problems
    if kind == "date":
        return pd.to_datetime(values, errors="coerce").astype("datetime64[ns]"), problems
    return pd.Series(pd.array(values.tolist(), dtype="string"), index=raw.index), problems


def _extra_json(cells: np.ndarray, extras: list[Column]) -> pd.api.extensions.ExtensionArray:
    if not extras or not len(cells):
        return pd.array(["{}"] * len(cells), dtype="string")
    frame = pd.DataFrame(cells[:, [c.index for c in extras]])
    frame.columns = [c.key for c in extras]
    frame = frame.astype(object).where(frame != "", None)
    text = frame.to_json(orient="records", lines=True, force_ascii=False)
    lines = pd.Series(text.strip("\n").split("\n"), dtype="string")
    lines = lines.str.replace(r'"(?:[^"\\]|\\.)*":null,?', "", regex=True).str.replace(",}", "}")
    return lines


def _repeated_header(cells: np.ndarray, header: list[str], columns: list[Column]) -> pd.api.extensions.ExtensionArray:
    n = len(cells)
    reason = pd.array([None] * n, dtype="string")
    named = [c for c in columns if c.role in FIELDS_BY_NAME]
    if not named or not n:
        return reason
    size = len(header[named[0].index])
    same = np.fromiter((len(x) == size for x in cells[:, named[0].index]), dtype=bool, count=n)
    for c in named:
        if not same.any():
            break
        rows = np.flatnonzero(same)
        text = header[c.index].casefold()
        same[rows] = [x.casefold() == text for x in cells[rows, c.index]]
    reason[same] = "a repeated header row"
    return reason
