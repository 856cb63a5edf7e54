"""findings.json, systems.csv, clusters.csv, data-quality.csv and summary.md.

The CSV files are for spreadsheet users: UTF-8 with a byte-order mark (so Excel reads
``£`` correctly), one header row, and every text cell that Excel would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) prefixed with ``'``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from estate.report._files import write_with
from estate.report.html import money, number
from estate.report.model import SYSTEM_KEYS

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


def systems_frame(doc: dict) -> pd.DataFrame:
    frame = pd.DataFrame(doc["systems"], columns=list(SYSTEM_KEYS))
    for column in ("integrates_with", "data_domains"):
        frame[column] = frame[column].map(_joined)
    frame["extra"] = frame["extra"].map(
        lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True) if v else "")
    for column in ("users", "source_line"):
        frame[column] = frame[column].astype("Int64")
    return frame


def clusters_frame(doc: dict) -> pd.DataFrame:
    """One row per cluster member. The cluster's figures, target and graph are on every
    row (to sort and filter by); its ``blockers``, long text, only on its first row (the
    target), so a cluster of thousands does not repeat them thousands of times."""
    rows = []
    for c in doc["clusters"]:
        target = f'{c["target"]["department"]}:{c["target"]["system_id"]}'
        blockers = _joined(c["blockers"])
        for i, m in enumerate(c["members"]):
            rows.append((c["id"], c["capability"], c["tier"], m["role"], m["department"],
                         m["system_id"], m["name"], m["product"], m["disposition"],
                         m["users"], m["annual_cost"], m["contract_end"], m["wave"],
                         m["earliest_date"], c["annual_saving"], c["one_off_cost"],
                         c["payback_years"], c["waves"], target, "" if i else blockers,
                         c["graph"]))
    frame = pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS))
    for column in ("users", "wave", "cluster_waves"):
        frame[column] = frame[column].astype("Int64")
    return frame


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
