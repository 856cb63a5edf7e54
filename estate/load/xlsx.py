"""Read ``.xlsx`` workbooks: every sheet becomes a table; cells are turned into text.

Cells are read with their cached values (``data_only``), so formulas show what Excel last
computed. Dates become ISO text and whole numbers lose their ``.0``, so every format goes
through the same value parsers. Which sheets hold an inventory is decided later, by
whether a recognisable header is found (:mod:`estate.load.table`).
"""

from __future__ import annotations

import io
import warnings
import zipfile
from datetime import date, datetime, time

from estate.errors import LoadError
from estate.load.base import Note, RawFile, RawTable


def read_xlsx(data: bytes, name: str) -> RawFile:
    """Every worksheet of the workbook as a :class:`RawTable` (line = spreadsheet row)."""
    try:
        import openpyxl
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except zipfile.BadZipFile:
        raise LoadError("not a readable .xlsx workbook (damaged or not a zip archive)",
                        file=name) from None
    except Exception as exc:  # openpyxl raises many types on untrusted input
        raise LoadError(f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})",
                        file=name) from None
    tables: list[RawTable] = []
    notes: list[Note] = []
    try:
        for sheet in book.worksheets:
            if getattr(sheet, "sheet_state", "visible") != "visible":
                notes.append(Note("info", "hidden-sheet", f"sheet {sheet.title!r} is hidden; "
                                  "it is read like the others"))
            records, lines = [], []
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [_text(v) for v in row]
                while cells and cells[-1] == "":
                    cells.pop()
                records.append(cells)
                lines.append(number)
            while records and not records[-1]:
                records.pop()
                lines.pop()
            tables.append(RawTable(records, lines, "xlsx", sheet=sheet.title))
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(f"cannot read the workbook's sheets ({type(exc).__name__}: {exc})",
                        file=name) from None
    finally:
        book.close()
    if not tables:
        raise LoadError("the workbook has no worksheets", file=name)
    return RawFile(tables, "xlsx", notes)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)
