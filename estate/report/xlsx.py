"""proposals.xlsx: the consolidation proposals as a workbook a finance lead can filter.

One sheet each for clusters, members, targets, savings and waves; bold frozen headers,
filters on every column, widths that fit the content, money and dates as real numbers and
dates. Sheets are written with openpyxl's write-only mode (rows streamed, no cell objects
kept), and the Members sheet stops at :data:`MEMBER_ROWS_MAX` rows (clusters.csv has all).
Text cells are always stored as text, never as formulas, so an inventory name such as
``=HYPERLINK(...)`` shows as typed. The workbook's timestamps are fixed and the zip is
rewritten with fixed entry dates, so the same proposals give the same bytes.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

from estate.report._files import write_bytes

MONEY = "£#,##0"
FIXED_TIME = datetime(2000, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
HEADER_FILL = "DCE6F0"
MEMBER_ROWS_MAX = 10_000
"""Members sheet rows at most: the members of the clusters with the largest savings, whole
clusters, until this many. Writing a cell costs about 20 us in openpyxl, so a million-row
estate's 750k members would take minutes; clusters.csv always lists every member."""
CELL_TEXT_MAX = 32_767  # Excel's limit for one cell

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


def _widths(columns: Columns, rows: list[tuple]) -> list[int]:
    """Characters per column, from the header and (a sample of) the values."""
    widths = [len(name) for name, _ in columns]
    sample = rows if len(rows) <= 20_000 else rows[:20_000]
    for c, (_, kind) in enumerate(columns):
        longest = 0
        for row in sample:
            value = row[c]
            if value is None or value == "":
                continue
            if kind == "money" and not isinstance(value, str):
                shown = len(f"{value:,.0f}") + 1
            elif kind == "date":
                shown = 10
            else:
                shown = len(str(value))
            if shown > longest:
                longest = shown
        widths[c] = max(widths[c], longest)
    return widths


def _sheet(wb, title: str, columns: Columns, rows: list[tuple], note: str = "") -> None:
    """One write-only sheet: cells are streamed to the file, never held as objects.

    Widths, frozen header and filter are set before the first row (write-only sheets
    write them first). ``note``, when given, is a last row below the data."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    for c, width in enumerate(_widths(columns, rows), start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 2)}"
    font, fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    alignment = Alignment(vertical="top", wrap_text=True)
    header = []
    for name, _ in columns:
        cell = WriteOnlyCell(ws, name)
        cell.font, cell.fill, cell.alignment = font, fill, alignment
        header.append(cell)
    ws.append(header)

    def text(value: str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:CELL_TEXT_MAX]
        if value.startswith("=") or value in ERROR_CODES:
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"  # never a formula, whatever the text starts with
            return cell
        return value

    def styled(value, number_format: str):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = number_format
        return cell

    kinds = [kind for _, kind in columns]
    for row in rows:
        out = []
        for kind, value in zip(kinds, row):
            if value is None or value == "":
                out.append(None)
                continue
            if kind == "date":
                value = _date(value)
            if isinstance(value, str):
                out.append(text(value))
            elif kind == "money":
                out.append(styled(value, MONEY))
            elif kind == "date":
                out.append(styled(value, "yyyy-mm-dd"))
            else:
                out.append(value)
        ws.append(out)
    if note:
        ws.append([note])


def workbook(doc: dict, member_rows_max: int | None = None):
    """The proposals workbook (write-only: save it once)."""
    member_rows_max = MEMBER_ROWS_MAX if member_rows_max is None else member_rows_max
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
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

    total = sum(len(c["members"]) for c in clusters)
    shown_ids, room = set(), member_rows_max
    for c in sorted(clusters, key=lambda c: (-(c["annual_saving"] or 0), c["id"])):
        if len(c["members"]) <= room:
            shown_ids.add(c["id"])
            room -= len(c["members"])
    shown = [(c, m) for c in clusters if c["id"] in shown_ids for m in c["members"]]
    _sheet(wb, "Members", [
        ("Cluster", "text"), ("Capability", "text"), ("Role", "text"), ("Disposition", "text"),
        ("Department", "text"), ("System id", "text"), ("Name", "text"), ("Product", "text"),
        ("Users", "int"), ("Annual cost", "money"), ("Contract end", "date"), ("Wave", "int"),
        ("Earliest date", "date"), ("Notes", "text"),
    ], [(c["id"], c["capability"], m["role"], m["disposition"], m["department"],
         m["system_id"], m["name"], m["product"], m["users"], m["annual_cost"],
         m["contract_end"], m["wave"], m["earliest_date"], None) for c, m in shown],
        note=(f"Members of the {len(shown_ids):,} clusters with the largest savings that fit "
              f"in {member_rows_max:,} rows ({len(shown):,} of {total:,} members); "
              "clusters.csv lists them all." if len(shown) < total else ""))

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
