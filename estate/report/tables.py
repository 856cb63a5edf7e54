"""findings.json, systems.csv, clusters.csv, data-quality.csv and summary.md.

The CSV files are for spreadsheet users: UTF-8 with a byte-order mark (so Excel reads
``£`` correctly), one header row, and every text cell that Excel would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) prefixed with ``'``.
"""

from __future__ import annotations

import codecs
import io
import json
from json.encoder import c_make_encoder, encode_basestring
from pathlib import Path

import numpy as np
import pandas as pd

from estate.report._files import write_with
from estate.report.html import money, number, saving_coverage
from estate.report.model import SYSTEM_KEYS, members_table
from estate.report.rows import Rows, join_rows

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


def csv_cells(values: list) -> list[str]:
    """:func:`csv_cell` of each of ``values``. A text column that needs no quoting and no
    neutralising anywhere (the usual case, checked on the column's text as one string)
    is its own CSV text."""
    kinds = set(map(type, values))
    if kinds <= {str, type(None)} and values:
        texts = [v if v is not None else "" for v in values] if type(None) in kinds else values
        joined = "\n".join(texts)
        if ("," not in joined and '"' not in joined and joined.count("\n") == len(texts) - 1
                and not (joined[:1] and joined[:1] in _FORMULA_CHARS)
                and not any("\n" + c in joined for c in _FORMULA_CHARS if c in joined)):
            return list(texts)
    return [csv_cell(v) for v in values]


# json.dumps(value, ensure_ascii=False, sort_keys=True), its C encoder built once
_SORTED_JSON = c_make_encoder(None, json.JSONEncoder().default, encode_basestring, None,
                              ": ", ", ", True, False, True) if c_make_encoder else None


def _sorted_json(value) -> str:
    if _SORTED_JSON is None or isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "".join(_SORTED_JSON(value, 0))


def _csv_json(value) -> str:
    return csv_cell(_sorted_json(value) if value else "")


_SYSTEM_CELLS = {"integrates_with": lambda v: csv_cell(_joined(v)),
                 "data_domains": lambda v: csv_cell(_joined(v)), "extra": _csv_json}


def _csv_encoder(cell=None, end: str = ","):
    """CSV text of each distinct value, followed by ``end`` (``,``, or a line end)."""
    if cell is None:
        return lambda values: [t + end for t in csv_cells(values)]
    return lambda values: [cell(v) + end for v in values]


def _utf8_encoder(encode):
    """``encode`` (an encoder of :func:`_csv_encoder`) with its texts in UTF-8."""
    return lambda values: utf8_list(encode(values))


def utf8_list(texts: list[str]) -> list[bytes]:
    """Each of ``texts`` in UTF-8: one join, one encode and one split in C when no text
    holds a NUL (CSV text may: it is not escaped), else one encode per text."""
    joined = "\0".join(texts)
    if joined.count("\0") == len(texts) - 1 and texts:
        return joined.encode().split(b"\0")
    return [t.encode() for t in texts]


def write_texts(path: Path, header, texts) -> Path:
    """Write a CSV file from ``header`` and ``texts`` (runs of whole lines, already CSV:
    text, or UTF-8 bytes written as they are), UTF-8 with a byte-order mark, atomically."""
    def write(handle) -> None:
        handle.write(codecs.BOM_UTF8 + (",".join(csv_cell(h) for h in header) + "\n").encode())
        for lines in texts:
            handle.write(lines if type(lines) is bytes else lines.encode())
    return write_with(path, write)


def write_lines(path: Path, header, chunks) -> Path:
    """Write a CSV file from ``header`` and ``chunks`` (lists of per-column text lists,
    already CSV fields), UTF-8 with a byte-order mark, atomically."""
    return write_texts(path, header, ("\n".join(map(",".join, zip(*columns))) + "\n"
                                      for columns in chunks if columns and len(columns[0])))


def _as_rows(records, keys) -> Rows:
    if isinstance(records, Rows):
        return records
    frame = pd.DataFrame.from_records(list(records), columns=list(keys)).astype(object)
    return Rows(frame, [(k, k, "any") for k in keys])


def write_systems_csv(path: Path, doc: dict) -> Path:
    """systems.csv: one row per system, the keys of findings.json's ``systems``."""
    rows = _as_rows(doc["systems"], SYSTEM_KEYS)

    ends = [","] * (len(SYSTEM_KEYS) - 1) + ["\n"]
    encoders = [_utf8_encoder(_csv_encoder(_SYSTEM_CELLS.get(k), end))
                for k, end in zip(SYSTEM_KEYS, ends)]

    def table(i: int, coded) -> np.ndarray:
        return coded.table(encoders[i], ("csv-utf8", SYSTEM_KEYS[i], ends[i]))

    def texts():
        for a, b in rows.chunks():
            yield join_rows(rows.pieces_at("csv-utf8", table, a, b, SYSTEM_KEYS), b - a, None,
                            merge=False)
        rows.forget_texts()
    return write_texts(path, SYSTEM_KEYS, texts())


_MEMBER_CSV = ("role", "department", "system_id", "name", "product", "disposition", "users",
               "annual_cost", "contract_end", "wave", "earliest_date")


def write_clusters_csv(path: Path, doc: dict) -> Path:
    """clusters.csv: one row per cluster member. The cluster's figures, target and graph
    are on every row (to sort and filter by); its ``blockers``, long text, only on its
    first row (the target), so a cluster of thousands does not repeat them thousands of
    times."""
    clusters = doc["clusters"]
    table, cluster_of, starts = members_table(clusters)

    def per_cluster(values, end: str = ",") -> np.ndarray:
        out = np.empty(len(values) + 1, dtype=object)
        out[:-1] = [csv_cell(v) + end for v in values]
        out[-1] = end
        return out
    before = [per_cluster([c[k] for c in clusters]) for k in ("id", "capability", "tier")]
    after = [per_cluster([c[k] for c in clusters])
             for k in ("annual_saving", "one_off_cost", "payback_years", "waves")]
    after.append(per_cluster([f'{c["target"]["department"]}:{c["target"]["system_id"]}'
                              for c in clusters]))
    blockers = per_cluster([_joined(c["blockers"]) for c in clusters])
    graph = per_cluster([c["graph"] for c in clusters], "\n")
    first = np.zeros(len(table), dtype=bool)
    first[starts[starts < len(table)]] = True
    no_cluster = len(clusters)  # the empty cell at the end of each per-cluster table
    member_csv = _csv_encoder()

    def texts():
        for a, b in table.chunks():
            which = cluster_of[a - table.start:b - table.start]
            at_first = first[a - table.start:b - table.start]
            members = [(c.table(member_csv, ("csv", k, ",")), c.codes)
                       for c, k in zip(table.coded(a, b, _MEMBER_CSV), _MEMBER_CSV)]
            yield join_rows([(t, which) for t in before] + members
                            + [(t, which) for t in after]
                            + [(blockers, np.where(at_first, which, no_cluster)),
                               (graph, which)], b - a, None)
        table.forget_texts()
    return write_texts(path, CLUSTER_COLUMNS, texts())


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
        f"- Estimated annual saving: {money(s['annual_saving'])}"
        + (f" ({coverage})" if (coverage := saving_coverage(s)) else ""),
        f"- Data quality: {number(errors)} error(s), {number(warnings)} warning(s), "
        f"{number(len(dq['unrecognised_products']))} unrecognised product name(s)",
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
