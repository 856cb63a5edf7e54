"""Turn one raw table (any reader's output) into rows of the canonical schema.

Steps, the same for every format: find the header row (it may sit below a title block),
map each header to a field (user mapping first, then the built-in synonyms), skip blank
rows (counted), parse every mapped column over its unique raw strings, and keep unmapped
columns as a JSON ``extra`` text per row. Every problem becomes a :class:`Finding` with
file, line and the file's own column header.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    rows: pd.DataFrame        # canonical fields + department + source_* + extra + _sig, _quarantine
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
    for i, record in enumerate(table.records[:HEADER_SEARCH_RECORDS]):
        fields = {_field_for(c, rules)[0] for c in record if c.strip()}
        fields &= set(FIELD_NAMES)
        if not fields & IDENTITY_FIELDS:
            continue
        if best is None or len(fields) > best[0]:
            best = (len(fields), i)
    return None if best is None else best[1]


def build_table(table: RawTable, file: str, department: str,
                rules: dict[str, MappingRule], used_rules: set[int]) -> TableResult | None:
    """Canonical rows of ``table``; ``None`` when it has no recognisable header."""
    h = find_header(table, rules)
    if h is None:
        return None
    sheet = table.sheet
    header_line = table.lines[h]
    header = [c.strip() for c in table.records[h]]
    body = table.records[h + 1:]
    lines = table.lines[h + 1:]
    width = max([len(header), *map(len, body)]) if body else len(header)
    if body and len({len(r) for r in body}) > 1:
        body = [r + [""] * (width - len(r)) if len(r) < width else r for r in body]
    grid = pd.DataFrame(body, dtype=object)
    grid = grid.reindex(columns=range(width), fill_value="").astype(object).fillna("").astype(str)
    stripped = grid.apply(lambda c: c.str.strip()) if width else grid
    findings: list[Finding] = []

    def note(severity, code, message, line=header_line, column=None, value=None):
        findings.append(Finding(file, line, column, "load", severity, code, message,
                                department, value))

    above = [ln for rec, ln in zip(table.records[:h], table.lines[:h]) if any(c.strip() for c in rec)]
    if above:
        note("info", "header-not-on-first-line",
             f"the header is on line {header_line}; {len(above)} line(s) above it "
             "were read as a title block", line=above[0])

    blank = (stripped == "").all(axis=1) if width else pd.Series(True, index=grid.index)
    if blank.any():
        blank_lines = [lines[i] for i in blank[blank].index]
        shown = ", ".join(map(str, blank_lines[:10])) + (" ..." if len(blank_lines) > 10 else "")
        note("info", "blank-rows", f"{len(blank_lines)} blank row(s) skipped (lines {shown})",
             line=blank_lines[0])
    keep = ~blank
    stripped = stripped[keep]
    row_lines = pd.Series([lines[i] for i in stripped.index], index=stripped.index, dtype="int64")

    columns = _plan_columns(header, stripped, rules, used_rules, note, sheet)
    mapped = {c.role: c for c in columns if c.role in FIELDS_BY_NAME}

    out = pd.DataFrame(index=stripped.index)
    for name in FIELD_NAMES:
        column = mapped.get(name)
        if column is None:
            out[name] = _empty(name, len(stripped), stripped.index)
            continue
        raw = stripped[column.index].where(stripped[column.index] != "", None)
        values, problems = _parse(name, raw, column.header)
        out[name] = values
        if problems is not None and len(problems):
            for idx, code, message in zip(problems.index, problems["code"], problems["message"]):
                note(PROBLEM_SEVERITY[code], code, message, line=int(row_lines[idx]),
                     column=column.header, value=raw[idx])

    if "department" in mapped:
        missing = out["department"].isna()
        if missing.any() and (~missing).any():
            for idx in missing[missing].index:
                note("warning", "missing-department",
                     f"no department on this row; {department!r} taken from the file name",
                     line=int(row_lines[idx]), column=mapped["department"].header)
        out["department"] = out["department"].fillna(department)
    else:
        out["department"] = pd.array([department] * len(out), dtype="string")
        note("info", "department-from-file-name",
             f"no department column; every row belongs to {department!r} (from the file name)")

    out["source_file"] = pd.array([file] * len(out), dtype="string")
    out["source_sheet"] = pd.array([sheet] * len(out), dtype="string")
    out["source_line"] = row_lines.astype("int64")
    out["extra"] = _extra_json(stripped, [c for c in columns if c.role == "extra"])
    sig_cols = [c.index for c in columns if c.role not in ("drop", "ignore")]
    out["_sig"] = (pd.util.hash_pandas_object(stripped[sig_cols], index=False)
                   if sig_cols and len(stripped) else pd.Series(0, index=out.index, dtype="uint64"))
    out["_quarantine"] = _repeated_header(stripped, header, columns)
    if not len(out):
        note("warning", "no-data-rows", "the table has a header but no data rows")
    return TableResult(out.reset_index(drop=True), findings, header_line, columns)


def _plan_columns(header, stripped, rules, used_rules, note, sheet) -> list[Column]:
    columns: list[Column] = []
    taken: dict[str, str] = {}
    extra_keys: set[str] = set()
    pairs: list[str] = []
    width = stripped.shape[1]
    for j in range(width):
        text = header[j] if j < len(header) else ""
        has_data = bool((stripped[j] != "").any()) if len(stripped) else False
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


def _empty(name: str, n: int, index: pd.Index) -> object:
    kind = FIELDS_BY_NAME[name].kind
    if kind == "list":
        return pd.Series([()] * n, index=index, dtype=object)
    return pd.Series(pd.array([None] * n, dtype=_DTYPES.get(kind, "string")), index=index)


_DTYPES = {"int": "Int64", "cost": "Float64", "date": "datetime64[ns]"}


def _parse(name: str, raw: pd.Series, header: str) -> tuple[object, pd.DataFrame | None]:
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
        return values.where(values.notna(), None).map(lambda v: v if v else ()), problems
    if kind == "cost":
        scale = header_scale(header)
        series = pd.Series(pd.array(values.tolist(), dtype="Float64"), index=raw.index)
        return series * scale if scale != 1 else series, problems
    if kind == "int":
        return pd.Series(pd.array(values.tolist(), dtype="Int64"), index=raw.index), problems
    if kind == "date":
        return pd.to_datetime(values, errors="coerce").astype("datetime64[ns]"), problems
    return pd.Series(pd.array(values.tolist(), dtype="string"), index=raw.index), problems


def _extra_json(stripped: pd.DataFrame, extras: list[Column]) -> pd.Series:
    if not extras or not len(stripped):
        return pd.Series(pd.array(["{}"] * len(stripped), dtype="string"), index=stripped.index)
    frame = stripped[[c.index for c in extras]].copy()
    frame.columns = [c.key for c in extras]
    frame = frame.astype(object).where(frame != "", None)
    text = frame.to_json(orient="records", lines=True, force_ascii=False)
    lines = pd.Series(text.strip("\n").split("\n"), index=stripped.index, dtype="string")
    lines = lines.str.replace(r'"(?:[^"\\]|\\.)*":null,?', "", regex=True).str.replace(",}", "}")
    return lines


def _repeated_header(stripped: pd.DataFrame, header: list[str], columns: list[Column]) -> pd.Series:
    reason = pd.Series(pd.array([None] * len(stripped), dtype="string"), index=stripped.index)
    named = [c for c in columns if c.role in FIELDS_BY_NAME]
    if not named or not len(stripped):
        return reason
    first = named[0]
    same = stripped[first.index].str.len() == len(header[first.index])
    for c in named:
        if not same.any():
            break
        candidates = stripped.loc[same, c.index]
        same.loc[candidates.index] = candidates.str.casefold() == header[c.index].casefold()
    return reason.mask(same, "a repeated header row")
