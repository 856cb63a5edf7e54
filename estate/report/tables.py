"""findings.json, systems.csv, clusters.csv, data-quality.csv and summary.md.

The CSV files are for spreadsheet users: UTF-8 with a byte-order mark (so Excel reads
``£`` correctly), one header row, and every text cell that Excel would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) prefixed with ``'``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from estate.report._files import write_with
from estate.report.html import money, number
from estate.report.model import SYSTEM_KEYS, members_table
from estate.report.rows import Rows

FORMULA_START = r"^[=+\-@\t\r]"
_FORMULA_CHARS = "=+-@\t\r"

CLUSTER_COLUMNS = (
    "cluster_id", "capability", "tier", "role", "department", "system_id", "name", "product",
    "disposition", "users", "annual_cost", "contract_end", "wave", "earliest_date",
    "cluster_annual_saving", "cluster_one_off_cost", "cluster_payback_years", "cluster_waves",
    "target", "blockers", "graph",
)
FINDING_COLUMNS = ("file", "line", "column", "stage", "severity", "code", "message",
                   "department", "value")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to every text cell Excel would treat as a formula.

    The test runs once per distinct value (hashing in C), not once per cell."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if not (pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)):
            continue
        risky = [v for v in pd.unique(series.to_numpy(dtype=object, na_value=None))
                 if isinstance(v, str) and v[:1] in _FORMULA_CHARS and v]
        if risky:
            mask = series.isin(risky).to_numpy(dtype=bool)
            values = series.astype(object).copy()
            values[mask] = ["'" + v for v in values[mask]]
            out[column] = values
    return out


CSV_ENCODING = "utf-8-sig"


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` (neutralised) as CSV for spreadsheets, straight to the file:
    UTF-8 with a byte-order mark, ``\\n`` line ends, written atomically."""
    safe = neutralise(frame)

    def write(handle) -> None:
        text = io.TextIOWrapper(handle, encoding=CSV_ENCODING, newline="")
        safe.to_csv(text, index=False, lineterminator="\n")
        text.flush()
        text.detach()  # the caller closes the file
    return write_with(path, write)


def _joined(values) -> str:
    return "; ".join(str(v) for v in values)


def csv_cell(value) -> str:
    """One CSV field as pandas writes it: missing is empty, numbers as Python prints them,
    text neutralised (see :func:`neutralise`) and quoted when it holds ``,``, ``"`` or a
    line break."""
    if value is None:
        return ""
    if type(value) is not str:
        return float.__repr__(value) if type(value) is float else str(value)
    if value[:1] in _FORMULA_CHARS and value:
        value = "'" + value
    if '"' in value:
        return '"' + value.replace('"', '""') + '"'
    if "," in value or "\n" in value:
        return '"' + value + '"'
    return value


def _csv_json(value) -> str:
    return csv_cell(json.dumps(value, ensure_ascii=False, sort_keys=True) if value else "")


_SYSTEM_CELLS = {"integrates_with": lambda v: csv_cell(_joined(v)),
                 "data_domains": lambda v: csv_cell(_joined(v)), "extra": _csv_json}


def write_lines(path: Path, header, chunks) -> Path:
    """Write a CSV file from ``header`` and ``chunks`` (lists of per-column text lists,
    already CSV fields), UTF-8 with a byte-order mark, atomically."""
    def write(handle) -> None:
        text = io.TextIOWrapper(handle, encoding=CSV_ENCODING, newline="")
        text.write(",".join(csv_cell(h) for h in header) + "\n")
        for columns in chunks:
            if columns and len(columns[0]):
                text.write("\n".join(map(",".join, zip(*columns))) + "\n")
        text.flush()
        text.detach()  # the caller closes the file
    return write_with(path, write)


def _as_rows(records, keys) -> Rows:
    if isinstance(records, Rows):
        return records
    frame = pd.DataFrame.from_records(list(records), columns=list(keys)).astype(object)
    return Rows(frame, [(k, k, "any") for k in keys])


def write_systems_csv(path: Path, doc: dict) -> Path:
    """systems.csv: one row per system, the keys of findings.json's ``systems``."""
    rows = _as_rows(doc["systems"], SYSTEM_KEYS)

    def chunks():
        for a, b in rows.chunks():
            yield [c.texts(_SYSTEM_CELLS.get(k, csv_cell), ("csv", k))
                   for c, k in zip(rows.coded(a, b, SYSTEM_KEYS), SYSTEM_KEYS)]
        rows.forget_texts()
    return write_lines(path, SYSTEM_KEYS, chunks())


_MEMBER_CSV = ("role", "department", "system_id", "name", "product", "disposition", "users",
               "annual_cost", "contract_end", "wave", "earliest_date")


def write_clusters_csv(path: Path, doc: dict) -> Path:
    """clusters.csv: one row per cluster member. The cluster's figures, target and graph
    are on every row (to sort and filter by); its ``blockers``, long text, only on its
    first row (the target), so a cluster of thousands does not repeat them thousands of
    times."""
    clusters = doc["clusters"]
    table, cluster_of, starts = members_table(clusters)

    def per_cluster(values) -> np.ndarray:
        out = np.empty(len(values) + 1, dtype=object)
        out[:-1] = [csv_cell(v) for v in values]
        out[-1] = ""
        return out
    before = [per_cluster([c[k] for c in clusters]) for k in ("id", "capability", "tier")]
    after = [per_cluster([c[k] for c in clusters])
             for k in ("annual_saving", "one_off_cost", "payback_years", "waves")]
    after.append(per_cluster([f'{c["target"]["department"]}:{c["target"]["system_id"]}'
                              for c in clusters]))
    blockers = per_cluster([_joined(c["blockers"]) for c in clusters])
    graph = per_cluster([c["graph"] for c in clusters])
    first = np.zeros(len(table), dtype=bool)
    first[starts[starts < len(table)]] = True

    def chunks():
        for a, b in table.chunks():
            which = cluster_of[a - table.start:b - table.start]
            at_first = first[a - table.start:b - table.start]
            members = [c.texts(csv_cell, ("csv", k))
                       for c, k in zip(table.coded(a, b, _MEMBER_CSV), _MEMBER_CSV)]
            yield ([t[which].tolist() for t in before] + members
                   + [t[which].tolist() for t in after]
                   + [np.where(at_first, blockers[which], "").tolist(), graph[which].tolist()])
        table.forget_texts()
    return write_lines(path, CLUSTER_COLUMNS, chunks())


def findings_frame(doc: dict) -> pd.DataFrame:
    frame = pd.DataFrame(doc["data_quality"]["findings"], columns=list(FINDING_COLUMNS))
    frame["line"] = frame["line"].astype("Int64")
    return frame


def summary_markdown(doc: dict, top: int = 5) -> str:
    """A short text summary fit for an email or a ticket."""
    s = doc["summary"]
    dq = doc["data_quality"]
    errors = sum(f["severity"] == "error" for f in dq["findings"])
    warnings = sum(f["severity"] == "warning" for f in dq["findings"])
    lines = [
        "# Estate analysis summary", "",
        f"Generated {doc['generated_at']} by estate {doc['version']} from "
        f"{len(doc['inputs'])} inventory file(s).", "",
        f"- Systems: {number(s['systems'])} ({number(s['analysed'])} analysed, "
        f"{number(s['quarantined'])} quarantined)",
        f"- Departments: {number(s['departments'])}; capabilities: {number(s['capabilities'])}",
        f"- Duplicate groups: {number(s['duplicate_groups'])}",
        f"- Consolidation clusters: {number(s['clusters'])}",
        f"- Estimated annual saving: {money(s['annual_saving'])}",
        f"- Data quality: {errors} error(s), {warnings} warning(s), "
        f"{len(dq['unrecognised_products'])} unrecognised product name(s)",
    ]
    ranked = sorted(doc["clusters"], key=lambda c: (-(c["annual_saving"] or 0), c["id"]))[:top]
    if ranked:
        lines += ["", f"## Top {len(ranked)} cluster(s) by estimated saving", ""]
        for c in ranked:
            target = f'{c["target"]["department"]} {c["target"]["system_id"]}'
            lines.append(f"- {_md(c['id'])} ({_md(c['capability'] or 'unknown capability')}): "
                         f"{len(c['members'])} systems onto {_md(target)}, "
                         f"saving {money(c['annual_saving'])} a year"
                         + (f"; blocked by: {_md(_joined(c['blockers']))}" if c["blockers"]
                            else ""))
    scores = dq["scores"]
    if scores:
        worst = sorted(scores.items(), key=lambda kv: (kv[1] if kv[1] is not None else -1,
                                                       kv[0]))[:3]
        lines += ["", "Least complete inventories: " + ", ".join(
            f"{_md(d)} ({number(v)})" for d, v in worst)]
    lines += ["", "Open report.html in the output folder for the tables and graphs."]
    return "\n".join(lines) + "\n"


def _md(text) -> str:
    """Plain text for Markdown: no HTML, no link or emphasis syntax from inventory names."""
    text = str(text).replace("\r", " ").replace("\n", " ")
    for ch in "\\`*_[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text
