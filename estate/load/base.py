"""What every reader returns, and how a file's bytes are told apart before reading.

A reader turns the bytes of one file into :class:`RawTable` objects: a grid of cell
texts with the physical line (or spreadsheet row) of every record. Readers know nothing
about the schema; finding the header and mapping it is done once, for every format, in
:mod:`estate.load.table`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import numpy as np

from estate.errors import LoadError


@dataclass
class Note:
    """A reader's remark about the whole file or one line (becomes a Finding)."""

    severity: str
    code: str
    message: str
    line: int | None = None


class CodedRecords:
    """Records held as a rows x columns array of codes into their distinct texts.

    Reads like a list of records (lists of texts), so the header search sees text, while
    the rows below the header go on as integers (:mod:`estate.load.table`): a large file
    is never turned into one Python list per record. Short records are padded with empty
    cells, which read the same as missing ones.
    """

    def __init__(self, cells: np.ndarray, texts: np.ndarray) -> None:
        self.cells = cells    # int32 codes, rows x columns; ``texts[0] == ""``
        self.texts = texts    # object array of distinct texts, as read (not stripped)

    def __len__(self) -> int:
        return len(self.cells)

    def __getitem__(self, at):
        if isinstance(at, slice):
            return [self.texts[row].tolist() for row in self.cells[at]]
        return self.texts[self.cells[at]].tolist()


@dataclass
class RawTable:
    """Cells as text, one list per record, with the 1-based line each record starts on."""

    records: list[list[str]] | CodedRecords
    lines: list[int]
    format: str                      # csv | tsv | csv-semicolon | csv-pipe | xlsx
    sheet: str | None = None
    notes: list[Note] = field(default_factory=list)


@dataclass
class RawFile:
    """Everything a reader got out of one file."""

    tables: list[RawTable]
    format: str
    notes: list[Note] = field(default_factory=list)


Reader = Callable[[bytes, str], RawFile]
"""``reader(data, name) -> RawFile``; raises :class:`LoadError` when nothing can be read."""

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"SQLite format 3": "an SQLite database",
}


def sniff_format(data: bytes, name: str) -> str:
    """``xlsx`` or ``text`` from the content (not the extension); refuse what is neither."""
    if data.startswith(_ZIP):
        return "xlsx"
    if data.startswith(_OLE):
        raise LoadError("a legacy Excel .xls or password-protected workbook; save it as "
                        ".xlsx (without a password) or CSV", file=name)
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise LoadError(f"{what}, not an inventory (CSV, TSV or .xlsx)", file=name)
    return "text"
