"""proposals.xlsx: the consolidation proposals as a workbook a finance lead can filter.

One sheet each for clusters, members, targets, savings and waves; bold frozen headers,
filters on every column, widths that fit the content, money and dates as real numbers and
dates. The sheets' XML is written here directly (a few string operations per cell; openpyxl
took about 20 us a cell and its import time), and the Members sheet stops at
:data:`MEMBER_ROWS_MAX` rows (clusters.csv has all). Text cells are always stored as inline
text, never as formulas, so an inventory name such as ``=HYPERLINK(...)`` shows as typed.
The workbook's timestamps and zip entry dates are fixed, so the same proposals give the
same bytes.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np

from estate.arrays import joint_codes
from estate.report._files import write_bytes
from estate.report.model import members_table
from estate.report.rows import Rows

MONEY = "£#,##0"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
HEADER_FILL = "DCE6F0"
MEMBER_ROWS_MAX = 10_000
"""Members sheet rows at most: the members of the clusters with the largest savings, whole
clusters, until this many (a sheet people scroll and filter; a million-row estate has
~750k members); clusters.csv always lists every member."""
CELL_TEXT_MAX = 32_767  # Excel's limit for one cell, in UTF-16 code units
CUT_NOTE = " … [cut at Excel's limit of 32,767 characters a cell: findings.json has it all]"

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


_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_EXCEL_EPOCH = date(1899, 12, 30)
_STYLE = {"money": ' s="2"', "date": ' s="3"'}


def _letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _fitted(value: str) -> str:
    """``value``, or as much of it as fits one cell with :data:`CUT_NOTE` after it, so a
    reader of the workbook sees that the text goes on (Excel would refuse the file)."""
    if len(value) <= CELL_TEXT_MAX // 2:  # at most two UTF-16 units a character
        return value
    units = value.encode("utf-16-le")
    if len(units) <= 2 * CELL_TEXT_MAX:
        return value
    keep = 2 * (CELL_TEXT_MAX - len(CUT_NOTE))
    return units[:keep].decode("utf-16-le", errors="ignore") + CUT_NOTE


def _text_cell(ref: str, value: str, style: str = "") -> str:
    """An inline-string cell: always text, never a formula, whatever it starts with."""
    value = _fitted(_ILLEGAL.sub("", value))
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    stripped = value.strip()
    space = ' xml:space="preserve"' if stripped and stripped != value else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{value}</t></is></c>'


def _cell_tail(kind: str, value) -> tuple[str, int]:
    """A cell's XML after ``<c r="A1"`` and the width its value shows at."""
    if kind == "date":
        value = _date(value)
    if isinstance(value, str):
        return _text_cell("", value)[len('<c r=""'):], 10 if kind == "date" else len(value)
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v></c>', len(str(value))
    if kind == "date":
        number, shown = (value - _EXCEL_EPOCH).days, 10
    else:
        number = value
        shown = len(f"{value:,.0f}") + 1 if kind == "money" else len(str(value))
    text = "" if math.isnan(number) or math.isinf(number) else "%.16g" % number
    return f'{_STYLE.get(kind, "")} t="n"><v>{text}</v></c>', shown


class Sheet:
    """One worksheet's XML: bold frozen header, a filter on every column, widths that fit
    the content (header and the first 20,000 rows), money and dates as numbers."""

    def __init__(self, title: str, columns: Columns, rows: list[tuple], note: str = ""):
        self.title = title
        self.columns = columns
        self.rows = rows
        self.note = note

    def xml(self) -> str:
        letters = [_letters(c) for c in range(1, len(self.columns) + 1)]
        widths = [len(name) for name, _ in self.columns]
        kinds = [kind for _, kind in self.columns]
        body = ['<row r="1">' + "".join(_text_cell(f"{x}1", name, ' s="1"')
                                         for x, (name, _) in zip(letters, self.columns))
                + "</row>"]
        # per column: value -> (the cell's XML after its reference, the width it shows);
        # a value repeated down a column (a cluster id, a role, a wave) is formatted once
        seen: list[dict] = [{} for _ in self.columns]
        for r, row in enumerate(self.rows, start=2):
            cells = []
            measure = r <= 20_001
            for c, (x, kind, value) in enumerate(zip(letters, kinds, row)):
                if value is None or value == "":
                    continue
                kind_of = type(value)
                if kind_of is float and value == 0:  # 0.0 and -0.0: one key, two texts
                    known = _cell_tail(kind, value)
                else:
                    key = value if kind_of is str else (kind_of, value)
                    known = seen[c].get(key)
                    if known is None:
                        known = seen[c][key] = _cell_tail(kind, value)
                tail, shown = known
                cells.append(f'<c r="{x}{r}"{tail}')
                if measure and shown > widths[c]:
                    widths[c] = shown
            body.append(f'<row r="{r}">' + "".join(cells) + "</row>")
        if self.note:
            r = len(self.rows) + 2
            body.append(f'<row r="{r}">' + _text_cell(f"A{r}", self.note) + "</row>")
        cols = "".join(f'<col width="{min(max(w + 2, 8), 60)}" customWidth="1" min="{c}" '
                       f'max="{c}" />' for c, w in enumerate(widths, start=1))
        return (f'<worksheet xmlns="{_MAIN}"><sheetPr><outlinePr summaryBelow="1" '
                'summaryRight="1" /><pageSetUpPr /></sheetPr><sheetViews><sheetView '
                'workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                'state="frozen" /><selection pane="bottomLeft" activeCell="A1" sqref="A1" />'
                '</sheetView></sheetViews><sheetFormatPr baseColWidth="8" defaultRowHeight="15" />'
                f'<cols>{cols}</cols><sheetData>{"".join(body)}</sheetData>'
                f'<autoFilter ref="{self.filter_ref()}" /><pageMargins left="0.75" right="0.75" '
                'top="1" bottom="1" header="0.5" footer="0.5" /></worksheet>')

    def filter_ref(self) -> str:
        return f"A1:{_letters(len(self.columns))}{max(len(self.rows) + 1, 2)}"


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-"
_STYLES = (
    f'<styleSheet xmlns="{_MAIN}"><numFmts count="2"><numFmt numFmtId="164" '
    f'formatCode="{MONEY}" /><numFmt numFmtId="165" formatCode="yyyy-mm-dd" /></numFmts>'
    '<fonts count="2"><font><name val="Calibri" /><family val="2" /><sz val="11" />'
    '<scheme val="minor" /></font><font><b val="1" /></font></fonts><fills count="3"><fill>'
    '<patternFill /></fill><fill><patternFill patternType="gray125" /></fill><fill>'
    f'<patternFill patternType="solid"><fgColor rgb="00{HEADER_FILL}" /></patternFill></fill>'
    '</fills><borders count="1"><border><left /><right /><top /><bottom /><diagonal />'
    '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0" /></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0" xfId="0" /><xf numFmtId="0" fontId="1" fillId="2" borderId="0" '
    'applyAlignment="1" xfId="0"><alignment vertical="top" wrapText="1" /></xf><xf '
    'numFmtId="164" fontId="0" fillId="0" borderId="0" applyNumberFormat="1" xfId="0" /><xf '
    'numFmtId="165" fontId="0" fillId="0" borderId="0" applyNumberFormat="1" xfId="0" />'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0" />'
    '</cellStyles></styleSheet>')


def _package(sheets: list[Sheet]) -> dict[str, str]:
    """Every part of the workbook's zip, by name."""
    n = len(sheets)
    sheet_ct = f"{_CT}officedocument.spreadsheetml.worksheet+xml"
    types = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_ct}" />'
                    for i in range(1, n + 1))
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="{_CT}package.relationships+xml" />'
            '<Default Extension="xml" ContentType="application/xml" />'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}officedocument.'
            'spreadsheetml.sheet.main+xml" />'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}officedocument.'
            'spreadsheetml.styles+xml" />'
            f'<Override PartName="/docProps/core.xml" ContentType="{_CT}package.core-'
            'properties+xml" />'
            f'<Override PartName="/docProps/app.xml" ContentType="{_CT}officedocument.'
            f'extended-properties+xml" />{types}</Types>'),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/'
            'officeDocument" Target="xl/workbook.xml" /><Relationship Id="rId2" Type="'
            'http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-'
            'properties" Target="docProps/core.xml" /><Relationship Id="rId3" Type="'
            f'{_REL}/extended-properties" Target="docProps/app.xml" /></Relationships>'),
        "docProps/app.xml": (
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties"><Application>estate</Application></Properties>'),
        "docProps/core.xml": (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
            'XMLSchema-instance"><dc:creator>estate</dc:creator><dcterms:created '
            'xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:created>'
            '<dcterms:modified xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z'
            '</dcterms:modified></cp:coreProperties>'),
        "xl/workbook.xml": (
            f'<workbook xmlns:r="{_REL}" xmlns="{_MAIN}"><workbookPr /><bookViews>'
            '<workbookView activeTab="0" /></bookViews><sheets>'
            + "".join(f'<sheet name="{_attr(s.title)}" sheetId="{i}" r:id="rId{i}" />'
                      for i, s in enumerate(sheets, start=1))
            + "</sheets><definedNames>"
            + "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" '
                      f"hidden=\"1\">'{_attr(s.title)}'!{_absolute(s.filter_ref())}</definedName>"
                      for i, s in enumerate(sheets))
            + '</definedNames><calcPr calcId="124519" fullCalcOnLoad="1" /></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PKG_REL}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
                      f'Target="/xl/worksheets/sheet{i}.xml" />' for i in range(1, n + 1))
            + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml" />'
            "</Relationships>"),
        "xl/styles.xml": _STYLES,
    }
    for i, sheet in enumerate(sheets, start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = sheet.xml()
    return parts


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _absolute(ref: str) -> str:
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def workbook(doc: dict, member_rows_max: int | None = None) -> list[Sheet]:
    """The proposals workbook's sheets."""
    member_rows_max = MEMBER_ROWS_MAX if member_rows_max is None else member_rows_max
    clusters = doc["clusters"]
    table, cluster_of, starts = members_table(clusters)
    member = {k: table.plain_values(k) if isinstance(table, Rows) else table.values(k)
              for k in ("department", "system_id", "role", "annual_cost", "wave",
                        "earliest_date")}
    roles = np.asarray(member["role"], dtype=object)
    migrating = np.bincount(cluster_of[roles != "target"], minlength=len(clusters))
    targets = {_ref(c["target"]) for c in clusters}
    departments, ids = member["department"], member["system_id"]
    at_target = _rows_of(departments, ids, targets)
    names = {(departments[r], ids[r]): name
             for r, name in zip(at_target, _member_cells(table, "name", at_target))}
    sheets = [Sheet("Clusters", [
        ("Cluster", "text"), ("Capability", "text"), ("Tier", "text"),
        ("Target department", "text"), ("Target system", "text"), ("Target name", "text"),
        ("Members", "int"), ("Migrating", "int"), ("Annual saving", "money"),
        ("One-off cost", "money"), ("Payback (years)", "float"), ("Waves", "int"),
        ("Blockers", "text"), ("Graph", "text"), ("Decision", "text"), ("Notes", "text"),
    ], [(c["id"], c["capability"], c["tier"], *_ref(c["target"]),
         names.get(_ref(c["target"])), len(c["members"]), int(migrating[i]),
         c["annual_saving"], c["one_off_cost"], c["payback_years"], c["waves"],
         "; ".join(c["blockers"]), c["graph"], None, None) for i, c in enumerate(clusters)])]

    total = len(table)
    shown_ids, room = set(), member_rows_max
    for i in sorted(range(len(clusters)), key=lambda i: (-(clusters[i]["annual_saving"] or 0),
                                                         clusters[i]["id"])):
        if len(clusters[i]["members"]) <= room:
            shown_ids.add(i)
            room -= len(clusters[i]["members"])
    shown = [(i, r) for i in sorted(shown_ids)
             for r in range(int(starts[i]), int(starts[i]) + len(clusters[i]["members"]))]
    m = dict(member)  # the columns only the Members sheet shows, read for its rows alone
    rows = [r for _, r in shown]
    for k in ("name", "disposition", "product", "users", "contract_end"):
        m[k] = dict(zip(rows, _member_cells(table, k, rows)))
    sheets.append(Sheet("Members", [
        ("Cluster", "text"), ("Capability", "text"), ("Role", "text"), ("Disposition", "text"),
        ("Department", "text"), ("System id", "text"), ("Name", "text"), ("Product", "text"),
        ("Users", "int"), ("Annual cost", "money"), ("Contract end", "date"), ("Wave", "int"),
        ("Earliest date", "date"), ("Notes", "text"),
    ], [(clusters[i]["id"], clusters[i]["capability"], m["role"][r], m["disposition"][r],
         m["department"][r], m["system_id"][r], m["name"][r], m["product"][r], m["users"][r],
         m["annual_cost"][r], m["contract_end"][r], m["wave"][r], m["earliest_date"][r], None)
        for i, r in shown],
        note=(f"Members of the {len(shown_ids):,} clusters with the largest savings that fit "
              f"in {member_rows_max:,} rows ({len(shown):,} of {total:,} members); "
              "clusters.csv lists them all." if len(shown) < total else "")))

    sheets.append(Sheet("Targets", [
        ("Cluster", "text"), ("Capability", "text"), ("Target department", "text"),
        ("Target system", "text"), ("Target name", "text"), ("Why this target", "text"),
        ("Runner-up department", "text"), ("Runner-up system", "text"),
    ], [(c["id"], c["capability"], *_ref(c["target"]), names.get(_ref(c["target"])),
         "; ".join(c["target_reasons"]), *_ref(c["runner_up"])) for c in clusters]))

    # nested inputs (per-system breakdowns) are in the Members sheet and findings.json
    input_keys = sorted({k for c in clusters for k, v in (c["saving_inputs"] or {}).items()
                         if not isinstance(v, dict) and not (_is_list(v) and _nested(v))})
    sheets.append(Sheet("Savings", [
        ("Cluster", "text"), ("Capability", "text"), ("Annual saving", "money"),
        ("One-off cost", "money"), ("Payback (years)", "float"), ("Explanation", "text"),
        *[(key, "float") for key in input_keys],
    ], [(c["id"], c["capability"], c["annual_saving"], c["one_off_cost"], c["payback_years"],
         c["saving_explanation"],
         *[_cell((c["saving_inputs"] or {}).get(k)) for k in input_keys]) for c in clusters]))

    waves = _waves(clusters, m, cluster_of, roles)
    sheets.append(Sheet("Waves", [
        ("Cluster", "text"), ("Capability", "text"), ("Wave", "int"), ("Systems", "int"),
        ("Which", "text"), ("Earliest start", "date"), ("Annual cost moving", "money"),
    ], waves))
    return sheets


def _rows_of(departments: list, ids: list, keys: set[tuple]) -> list[int]:
    """The rows whose (department, system id) is one of ``keys``, in order: an integer
    join (a million members, a few hundred targets)."""
    if not keys:
        return []
    wanted = list(keys)
    rows, found = joint_codes([departments, ids], [[d for d, _ in wanted],
                                                   [i for _, i in wanted]])
    return np.flatnonzero(np.isin(rows, found)).tolist()


def _member_cells(table, key: str, rows: list[int]) -> list:
    """The values of ``key`` at member rows ``rows`` (as :meth:`Rows.plain_values` has
    them there), without converting the whole column."""
    if not isinstance(table, Rows):
        values = table.values(key)
        return [values[r] for r in rows]
    if not rows:
        return []
    return table.cells([key], table.positions()[np.asarray(rows, dtype=np.int64)])[0]


def _waves(clusters: list[dict], m: dict[str, list], cluster_of: np.ndarray,
           roles: np.ndarray) -> list[tuple]:
    """The Waves sheet's rows: per cluster and wave (in order), the members that migrate
    in it, grouped by one stable sort rather than a pass per cluster."""
    moving = np.flatnonzero(roles != "target")
    wave = m["wave"]
    numbers = np.empty(len(wave), dtype=object)
    numbers[:] = wave
    numbers = numbers[moving]
    numbers[np.equal(numbers, None)] = 0
    if len(moving) and set(map(type, numbers.tolist())) == {int}:
        numbers = numbers.astype(np.int64)
        order = np.lexsort((numbers, cluster_of[moving]))
        rows, cluster, numbers = moving[order], cluster_of[moving][order], numbers[order]
        breaks = np.flatnonzero((cluster[1:] != cluster[:-1]) | (numbers[1:] != numbers[:-1]))
        bounds = [0, *(breaks + 1).tolist(), len(rows)]
        rows = rows.tolist()
        runs = [rows[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    else:  # no members to move, or waves that are not all integers
        groups: dict[tuple, list[int]] = {}
        for r, w in zip(moving.tolist(), numbers.tolist()):
            groups.setdefault((int(cluster_of[r]), w), []).append(r)
        runs = [groups[k] for k in sorted(groups)]
    dept, sid, cost, earliest = (m[k] for k in ("department", "system_id", "annual_cost",
                                                 "earliest_date"))
    out = []
    for rs in runs:
        c = clusters[int(cluster_of[rs[0]])]
        costs = [cost[r] for r in rs if cost[r] is not None]
        dates = [earliest[r] for r in rs if earliest[r]]
        out.append((c["id"], c["capability"], wave[rs[0]] or None, len(rs),
                    "; ".join([f"{dept[r]} {sid[r]}" for r in rs]),
                    min(dates) if dates else None, sum(costs) if costs else None))
    return out


def _is_list(value) -> bool:
    """A list, or a list-like of rows (e.g. per-system saving inputs held as columns)."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, tuple))


def _nested(values: Sequence) -> bool:
    """Whether any of ``values`` is a dict or a list, read item by item: a column-held
    list (:class:`~estate.analyse.model.ColumnRows`) would make every row to iterate."""
    return any(isinstance(values[i], (dict, list)) for i in range(len(values)))


def _cell(value):
    if _is_list(value):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def proposals_bytes(doc: dict) -> bytes:
    """The workbook as bytes, with fixed zip entry dates so the output is reproducible."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, text in _package(workbook(doc)).items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, text.encode("utf-8"))
    return out.getvalue()


def write_proposals(doc: dict, path: Path) -> Path:
    return write_bytes(path, proposals_bytes(doc))
