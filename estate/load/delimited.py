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
import warnings
from collections import Counter
from itertools import compress, repeat

import numpy as np
import pandas as pd

from estate.errors import LoadError
from estate.load.base import CodedRecords, Note, RawFile, RawTable

csv.field_size_limit(1 << 30)

DELIMITERS: dict[str, str] = {",": "csv", "\t": "tsv", ";": "csv-semicolon", "|": "csv-pipe"}
_SAMPLE_CHARS = 65536
CODED_MIN_CHARS = 1 << 17
"""From this size on, text is split by pandas' C reader (:func:`read_coded`); below it the
reader's fixed cost per column outweighs what it saves (measured: they break even near
128k characters; on files of 0.5 MB the C reader takes a third less time)."""
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
    coded = read_coded(text, delimiter) if len(text) >= CODED_MIN_CHARS else None
    records, lines = coded if coded is not None else _split(text, delimiter, name, records)
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


def read_coded(text: str, delimiter: str) -> tuple[CodedRecords, list[int]] | None:
    """The records of ``text`` split by pandas' C reader into codes, with their lines;
    ``None`` where that reader could split differently from :func:`_split` (the csv
    module), which then reads the text.

    The C reader follows the csv module's rules (quotes open a field only at its start,
    doubled quotes, a closing quote followed by text keeps the text) and codes each
    column's distinct texts in C: on large files faster than a Python list per record.
    It is not used when the text holds a NUL, starts with a byte-order mark (it would
    drop it), has a quote open at its end, or a quoted line break (records then span
    lines, and their lines are counted by the csv module). Short records are padded with
    empty cells, which read the same as missing ones.
    """
    if "\x00" in text or text.startswith("\ufeff") or delimiter not in DELIMITERS:
        return None
    data = text.encode("utf-8")
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.append(np.flatnonzero(raw == 10), len(raw))
    # no record holds more cells than a line holds delimiters, plus one (else: error)
    per_line = np.diff(np.searchsorted(np.flatnonzero(raw == ord(delimiter)), ends), prepend=0)
    width = int(per_line.max()) + 1
    physical = text.count("\n") + (not text.endswith("\n"))
    if width * physical > 2 * len(data) + physical:
        return None  # a few lines of many (quoted) delimiters: the grid would dwarf the text
    try:
        with warnings.catch_warnings():  # it warns, not fails, where it would lose cells
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.BytesIO(data), sep=delimiter, header=None, names=range(width),
                                index_col=False, dtype=object, na_filter=False,
                                skip_blank_lines=False, quotechar='"', doublequote=True,
                                escapechar=None, comment=None, skipinitialspace=False,
                                engine="c", encoding="utf-8", low_memory=False)
    except (ValueError, pd.errors.ParserWarning):  # a quote open at the end, a record
        return None                                # wider than any line
    if len(frame) != physical:
        return None
    values = frame.to_numpy(dtype=object)
    del frame
    columns = [pd.factorize(values[:, j]) for j in range(width)]
    del values
    if any(len(codes) and codes.min() < 0 for codes, _ in columns):
        return None
    every = np.concatenate([np.array([""], dtype=object)] + [u for _, u in columns])
    recode, texts = pd.factorize(every)  # "" first: code 0
    cells = np.empty((physical, width), dtype=np.int32)
    start = 1
    for j, (codes, uniques) in enumerate(columns):
        cells[:, j] = recode[start:start + len(uniques)][codes]
        start += len(uniques)
    return CodedRecords(cells, np.asarray(texts, dtype=object)), list(range(1, physical + 1))


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
