"""proposals.xlsx: the consolidation proposals as a workbook a finance lead can filter.

One sheet each for clusters, members, targets, savings and waves; bold frozen headers,
filters on every column, widths that fit the content, money and dates as real numbers and
dates. Text cells are always stored as text, never as formulas, so an inventory name such
as ``=HYPERLINK(...)`` shows as typed. The workbook's timestamps are fixed and the zip is
rewritten with fixed entry dates, so the same proposals give the same bytes.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from estate.report._files import write_bytes

MONEY = "£#,##0"
FIXED_TIME = datetime(2000, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F0")

# header -> kind: text | int | money | float | date
Columns = list[tuple[str, str]]


def _date(value):
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)


def _ref(ref: dict | None) -> tuple[str | None, str | None]:
    return (ref["department"], ref["system_id"]) if ref else (None, None)


def _sheet(wb: Workbook, title: str, columns: Columns, rows: list[tuple]) -> None:
    ws = wb.create_sheet(title)
    ws.append([name for name, _ in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    widths = [len(name) for name, _ in columns]
    for r, row in enumerate(rows, start=2):
        for c, ((_, kind), value) in enumerate(zip(columns, row), start=1):
            if value is None or value == "":
                continue
            cell = ws.cell(row=r, column=c)
            if kind == "date":
                value = _date(value)
            if isinstance(value, str):
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.data_type = "s"  # never a formula, whatever the text starts with
                shown = len(cell.value)
            else:
                cell.value = value
                shown = len(f"{value:,.0f}") + 1 if kind == "money" else len(str(value))
            if kind == "money":
                cell.number_format = MONEY
            elif kind == "date" and isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            widths[c - 1] = max(widths[c - 1], shown)
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 2)}"


def workbook(doc: dict) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    clusters = doc["clusters"]
    names = {(m["department"], m["system_id"]): m["name"] for c in clusters
             for m in c["members"]}

    _sheet(wb, "Clusters", [
        ("Cluster", "text"), ("Capability", "text"), ("Tier", "text"),
        ("Target department", "text"), ("Target system", "text"), ("Target name", "text"),
        ("Members", "int"), ("Migrating", "int"), ("Annual saving", "money"),
        ("One-off cost", "money"), ("Payback (years)", "float"), ("Waves", "int"),
        ("Blockers", "text"), ("Graph", "text"), ("Decision", "text"), ("Notes", "text"),
    ], [(c["id"], c["capability"], c["tier"], *_ref(c["target"]),
         names.get(_ref(c["target"])), len(c["members"]),
         sum(m["role"] != "target" for m in c["members"]), c["annual_saving"],
         c["one_off_cost"], c["payback_years"], c["waves"], "; ".join(c["blockers"]),
         c["graph"], None, None) for c in clusters])

    _sheet(wb, "Members", [
        ("Cluster", "text"), ("Capability", "text"), ("Role", "text"), ("Disposition", "text"),
        ("Department", "text"), ("System id", "text"), ("Name", "text"), ("Product", "text"),
        ("Users", "int"), ("Annual cost", "money"), ("Contract end", "date"), ("Wave", "int"),
        ("Earliest date", "date"), ("Notes", "text"),
    ], [(c["id"], c["capability"], m["role"], m["disposition"], m["department"],
         m["system_id"], m["name"], m["product"], m["users"], m["annual_cost"],
         m["contract_end"], m["wave"], m["earliest_date"], None)
        for c in clusters for m in c["members"]])

    _sheet(wb, "Targets", [
        ("Cluster", "text"), ("Capability", "text"), ("Target department", "text"),
        ("Target system", "text"), ("Target name", "text"), ("Why this target", "text"),
        ("Runner-up department", "text"), ("Runner-up system", "text"),
    ], [(c["id"], c["capability"], *_ref(c["target"]), names.get(_ref(c["target"])),
         "; ".join(c["target_reasons"]), *_ref(c["runner_up"])) for c in clusters])

    # nested inputs (per-system breakdowns) are in the Members sheet and findings.json
    input_keys = sorted({k for c in clusters for k, v in (c["saving_inputs"] or {}).items()
                         if not isinstance(v, dict) and not (
                             isinstance(v, list) and any(isinstance(x, (dict, list))
                                                         for x in v))})
    _sheet(wb, "Savings", [
        ("Cluster", "text"), ("Capability", "text"), ("Annual saving", "money"),
        ("One-off cost", "money"), ("Payback (years)", "float"), ("Explanation", "text"),
        *[(key, "float") for key in input_keys],
    ], [(c["id"], c["capability"], c["annual_saving"], c["one_off_cost"], c["payback_years"],
         c["saving_explanation"],
         *[_cell((c["saving_inputs"] or {}).get(k)) for k in input_keys]) for c in clusters])

    waves = []
    for c in clusters:
        by_wave: dict[int, list[dict]] = {}
        for m in c["members"]:
            if m["role"] != "target":
                by_wave.setdefault(m["wave"] if m["wave"] is not None else 0, []).append(m)
        for wave in sorted(by_wave):
            ms = by_wave[wave]
            costs = [m["annual_cost"] for m in ms if m["annual_cost"] is not None]
            starts = sorted(m["earliest_date"] for m in ms if m["earliest_date"])
            waves.append((c["id"], c["capability"], wave or None, len(ms),
                          "; ".join(f'{m["department"]} {m["system_id"]}' for m in ms),
                          starts[0] if starts else None, sum(costs) if costs else None))
    _sheet(wb, "Waves", [
        ("Cluster", "text"), ("Capability", "text"), ("Wave", "int"), ("Systems", "int"),
        ("Which", "text"), ("Earliest start", "date"), ("Annual cost moving", "money"),
    ], waves)

    wb.properties.creator = "estate"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return wb


def _cell(value):
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def proposals_bytes(doc: dict) -> bytes:
    """The workbook as bytes, with fixed zip entry dates so the output is reproducible."""
    raw = io.BytesIO()
    workbook(doc).save(raw)
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, \
            zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":  # openpyxl stamps "modified" on save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z",
                              data)
            dst.writestr(info, data)
    return fixed.getvalue()


def write_proposals(doc: dict, path: Path) -> Path:
    return write_bytes(path, proposals_bytes(doc))
