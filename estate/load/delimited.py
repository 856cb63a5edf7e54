"""Read delimited text exports: CSV, TSV, semicolon or pipe separated, any common encoding.

The encoding is decided from the bytes: a BOM (UTF-8, UTF-16, UTF-32), UTF-16 without a
BOM (NUL bytes in every other position), then strict UTF-8, then Windows-1252 (what Excel
on Windows writes, so a ``£`` survives) and, for the few bytes Windows-1252 leaves
undefined, Latin-1. Line endings are normalised so a quoted field may hold newlines and
the physical line of every record stays exact.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from itertools import compress, repeat

from estate.errors import LoadError
from estate.load.base import Note, RawFile, RawTable

csv.field_size_limit(1 << 30)

DELIMITERS: dict[str, str] = {",": "csv", "\t": "tsv", ";": "csv-semicolon", "|": "csv-pipe"}
_SAMPLE_CHARS = 65536
_ENCODING_NAMES = {"cp1252": "Windows-1252", "latin-1": "Latin-1", "utf-16": "UTF-16",
                   "utf-16-le": "UTF-16 (little-endian, no BOM)",
                   "utf-16-be": "UTF-16 (big-endian, no BOM)", "utf-32": "UTF-32"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_delimited(data: bytes, name: str) -> RawFile:
    """Decode, sniff the delimiter and split ``data`` into records with their lines."""
    text, encoding = decode(data, name)
    if not text.strip():
        raise LoadError("the file is empty", file=name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    delimiter, records = _sniff(text, name.lower().endswith((".tsv", ".tab")))
    records, lines = _split(text, delimiter, name, records)
    notes = []
    if encoding not in ("utf-8", "ascii"):
        notes.append(Note("info", "encoding", f"read as {_ENCODING_NAMES.get(encoding, encoding)}"))
    if delimiter not in (",", "\t"):
        notes.append(Note("info", "delimiter", f"columns separated by {delimiter!r}"))
    notes.extend(_unterminated_quote(text, records, lines))
    fmt = DELIMITERS[delimiter]
    return RawFile([RawTable(records, lines, fmt)], fmt, notes)


def decode(data: bytes, name: str) -> tuple[str, str]:
    """The text of ``data`` and the encoding it was read with; refuse binary content."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise LoadError(f"starts with a {encoding} byte-order mark but is not valid "
                                f"{encoding} (byte {exc.start})", file=name) from None
            return _checked(text, name), "utf-8" if encoding == "utf-8-sig" else encoding
    if b"\x00" in data[:4096]:
        guess = _utf16_without_bom(data)
        if guess is None:
            raise LoadError("a binary file (it contains NUL bytes), not a text inventory",
                            file=name)
        return _checked(data.decode(guess), name), guess
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return _checked(data.decode(encoding), name), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        sample = sample[: len(sample) - len(sample) % 2]
    even, odd = sample[0::2], sample[1::2]
    for encoding, zeros in (("utf-16-le", odd), ("utf-16-be", even)):
        if zeros.count(0) >= 0.9 * len(zeros) and len(data) % 2 == 0:
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                return None
            return encoding
    return None


def _checked(text: str, name: str) -> str:
    sample = text[:_SAMPLE_CHARS]
    bad = len(_CONTROL.findall(sample))
    if "\x00" in sample or bad > max(2, len(sample) // 100):
        raise LoadError("a binary file (it holds control characters), not a text inventory",
                        file=name)
    return text


def sniff_delimiter(text: str, prefer_tab: bool = False) -> str:
    """The delimiter that splits most sample lines into the same number (>= 2) of cells."""
    return _sniff(text, prefer_tab)[0]


def _sniff(text: str, prefer_tab: bool) -> tuple[str, list[list[str]] | None]:
    """The delimiter, and the records it splits ``text`` into when the sample was all of
    ``text`` (so the file is split once, not twice)."""
    sample = text[:_SAMPLE_CHARS]
    if len(text) > _SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    whole = len(sample) == len(text)
    best, best_score, best_records = ",", (0, 0, 0), None
    order = ["\t", ",", ";", "|"] if prefer_tab else [",", "\t", ";", "|"]
    # A record wider than one cell holds its delimiter on one of its own lines, so the
    # lines holding a delimiter bound its score: the likeliest delimiter is split first and
    # the ones that cannot beat it are not split at all (the scores are a total order).
    split = sample.split("\n") if "\r" not in sample else None
    lines = None if whole or any(c in sample for c in '"\r\x00') else split
    bounds = {d: (sum(map(str.__contains__, split, repeat(d))) if split is not None
                  else len(sample)) for d in order if d in sample}
    for rank, delimiter in sorted(enumerate(order), key=lambda p: -bounds.get(p[1], -1)):
        if delimiter not in bounds:
            continue  # every record would be one cell
        if bounds[delimiter] < best_score[0]:
            continue
        records = None
        if lines is not None:  # no quotes: a record is a line split at the delimiter
            counts = Counter(compress(map(str.count, lines, repeat(delimiter)), map(
                str.strip, map(str.replace, lines, repeat(delimiter), repeat("")))))
            counts = Counter({n + 1: k for n, k in counts.items()})
        else:
            try:
                records = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
            except csv.Error:
                continue
            # Record widths of the records that hold anything but white space.
            counts = Counter(compress(map(len, records), map(str.strip, map("".join, records))))
        wide = {n: k for n, k in counts.items() if n >= 2}
        if not wide:
            continue
        modal = max(wide, key=lambda n: (wide[n], n))
        score = (wide[modal], modal, -rank)
        if score > best_score:
            best, best_score, best_records = delimiter, score, records
    return best, best_records if whole else None


def _split(text: str, delimiter: str, name: str, records: list[list[str]] | None = None
           ) -> tuple[list[list[str]], list[int]]:
    """Records of ``text`` and the line each starts on (``records``: already split)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', strict=False)
    if records is None:
        try:
            records = list(reader)
        except csv.Error as exc:
            raise LoadError(f"cannot split into columns: {exc}", file=name,
                            line=reader.line_num) from None
    physical = text.count("\n") + (not text.endswith("\n"))
    if len(records) == physical:  # every record is one line (no quoted line breaks)
        return records, list(range(1, physical + 1))
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', strict=False)
    lines: list[int] = []
    previous = 0
    for _ in reader:
        lines.append(previous + 1)
        previous = reader.line_num
    return records, lines


def _unterminated_quote(text: str, records: list[list[str]], lines: list[int]) -> list[Note]:
    if not records:
        return []
    last_start = lines[-1]
    tail_lines = text.count("\n") + (not text.endswith("\n")) - last_start + 1
    if tail_lines <= 2:
        return []
    tail = text.split("\n", last_start - 1)[-1]
    if tail.count('"') % 2:
        return [Note("error", "unterminated-quote",
                     f"a quote opened on this line is never closed; the remaining "
                     f"{tail_lines} lines were read as part of one record", last_start)]
    return []
