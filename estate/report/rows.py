"""Long tables of the findings document (systems, dispositions, cluster members) as columns.

A million-row estate as a list of dicts takes gigabytes and seconds to build; here a table
is its DataFrame, the display order of its rows and, per output key, a source column and a
kind. findings.json and the CSV files are written from the columns in chunks of rows,
converting and encoding each distinct value of a column once. Iterating a :class:`Rows`
still gives one JSON-ready dict per row (made when asked for), so code that reads the
document as plain data (the audit, the tests) works unchanged.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from json.encoder import encode_basestring
from typing import Any

import numpy as np
import pandas as pd

CHUNK_ROWS = 20_000
"""Rows converted at a time: bounds the memory of the text being built."""

SMALL_ROWS = 200
"""Ranges up to this many rows are converted row by row, not factorised."""

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), allow_nan=False).encode

# kind -> the JSON-ready value of a missing cell
_MISSING: dict[str, Any] = {"list": [], "json": {}}


def json_text(value) -> str:
    """``json.dumps(value, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)``,
    with the common scalar cases done without building an encoder."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    return _ENCODE(value)


def py_values(series: pd.Series, kind: str) -> list:
    """One column as a list of JSON-ready values (vectorised per column).

    Kinds: ``text``, ``int``, ``float``, ``date`` (ISO text), ``list`` (of text), ``json``
    (object text, parsed), ``any`` (:func:`estate.report.model.plain` per value)."""
    if kind == "date":
        text = pd.to_datetime(series, errors="coerce").dt.strftime("%Y-%m-%d")
        return text.astype(object).where(text.notna(), None).tolist()
    if kind == "list":
        return [list(v) if isinstance(v, (tuple, list)) else
                ([] if v is None or v is pd.NA or (isinstance(v, float) and v != v) else [str(v)])
                for v in series.tolist()]
    if kind == "json":
        return _json_objects(series)
    if kind == "int":
        numbers = pd.to_numeric(series, errors="coerce").astype("Int64")
        return numbers.astype(object).where(numbers.notna(), None).tolist()
    if kind == "float":
        numbers = pd.to_numeric(series, errors="coerce").astype("Float64")
        return numbers.astype(object).where(numbers.notna(), None).tolist()
    if kind == "any":
        from estate.report.model import plain
        return [plain(v) for v in series.tolist()]
    out = series.astype(object).where(series.notna(), None)
    return [None if v is None else str(v) for v in out.tolist()]


def _json_objects(series: pd.Series) -> list:
    """Parse JSON object text (the unmapped columns of a row), once per distinct text."""
    text = series.astype(object).where(series.notna(), None)
    parsed = {}
    for value in pd.unique(text.to_numpy()):
        try:
            obj = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            obj = {"_unparsed": value}
        parsed[value] = obj if isinstance(obj, dict) else ({} if obj is None else {"_value": obj})
    return [dict(parsed[v]) if parsed[v] else {} for v in text.tolist()]


def _mostly_distinct(series: pd.Series, sample: int = 20_000) -> bool:
    """Whether nearly every value of a long column differs (judged on an even sample)."""
    if len(series) < 10 * sample:
        return False
    picked = series.iloc[::len(series) // sample]
    return picked.nunique(dropna=False) > 0.95 * len(picked)


class Coded:
    """One column of a run of rows: ``values[codes[i]]`` is row i's JSON-ready value
    (code -1, a missing cell, is the last value). Slices share the values and the text
    tables made from them."""

    __slots__ = ("codes", "values", "kind", "tables")

    def __init__(self, series: pd.Series | None, kind: str):
        self.kind = kind
        self.tables: dict = {}
        if series is None:
            return
        if kind == "text" and _mostly_distinct(series):  # ids, names: hashing buys nothing
            self.codes = np.arange(len(series), dtype=np.int64)
            self.values = py_values(series.reset_index(drop=True), kind) + [None]
            return
        try:
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            distinct = pd.Series(uniques) if not isinstance(uniques, pd.Index) or \
                uniques.dtype != object else pd.Series(np.asarray(uniques, dtype=object))
        except TypeError:  # unhashable cells: one value per row
            codes, distinct = np.arange(len(series)), series.reset_index(drop=True)
        self.codes = codes.astype(np.int32 if len(distinct) < 2**31 - 1 else np.int64)
        self.values = py_values(distinct, kind) + [_MISSING.get(kind)]

    def slice(self, start: int, stop: int) -> "Coded":
        part = Coded(None, self.kind)
        part.codes, part.values, part.tables = self.codes[start:stop], self.values, self.tables
        return part

    def texts(self, encode, key=None) -> list[str]:
        """``encode(value)`` per row, calling ``encode`` once per distinct value (and once
        for all slices of the column when ``key`` names the encoding)."""
        table = self.tables.get(key) if key is not None else None
        if table is None:
            table = np.asarray([encode(v) for v in self.values], dtype=object)
            if key is not None:
                self.tables[key] = table
        return table[self.codes].tolist()

    def row_values(self) -> list:
        table = np.empty(len(self.values), dtype=object)
        table[:] = self.values
        out = table[self.codes].tolist()
        if self.kind in ("list", "json"):  # a fresh list/dict per row, as a reader expects
            out = [v.copy() for v in out]
        return out


class Rows(Sequence):
    """A table's rows, in order, as JSON-ready dicts made on demand (see the module doc).

    ``columns`` is ``(key, source column, kind)`` per output key; ``order`` the frame's row
    positions in display order (None: as they are). ``start``/``stop`` select a range of
    the ordered rows (a cluster's members are one range of all members)."""

    def __init__(self, frame: pd.DataFrame, columns: Sequence[tuple[str, str, str]],
                 order: np.ndarray | None = None, start: int = 0, stop: int | None = None,
                 _cache: dict | None = None, _arrays: dict | None = None):
        self.frame = frame
        self.columns = tuple(columns)
        self.keys = tuple(k for k, _, _ in self.columns)
        self.order = order
        self.start = start
        self.stop = len(frame) if stop is None else stop
        self._cache = {} if _cache is None else _cache
        self._arrays = {} if _arrays is None else _arrays  # object columns as arrays

    def __len__(self) -> int:
        return self.stop - self.start

    def view(self, start: int, stop: int) -> "Rows":
        """Rows ``start:stop`` of this table (positions relative to it), sharing its cache."""
        return Rows(self.frame, self.columns, self.order, self.start + start,
                    self.start + stop, self._cache, self._arrays)

    def positions(self) -> np.ndarray:
        """Frame row positions of these rows, in order."""
        if self.order is None:
            return np.arange(self.start, self.stop)
        return np.asarray(self.order[self.start:self.stop])

    def column(self, key: str) -> pd.Series:
        """The source column of ``key`` for these rows, in order (raw, not converted)."""
        source = dict((k, c) for k, c, _ in self.columns)[key]
        if source not in self.frame.columns:
            return pd.Series([None] * len(self), dtype=object)
        return self.frame[source].iloc[self.positions()].reset_index(drop=True)

    def coded(self, start: int, stop: int, keys: Sequence[str] | None = None) -> list[Coded]:
        """Each column (or each of ``keys``) of rows ``start:stop`` (absolute), factorised.

        A column is factorised once, over the whole table, and kept (4 bytes a row), so
        findings.json and the CSV files share the work."""
        columns = self.columns if keys is None else [
            next(c for c in self.columns if c[0] == k) for k in keys]
        out = []
        for _, source, kind in columns:
            whole = self._arrays.get(("coded", source, kind))
            if whole is None:
                if source in self.frame.columns:
                    # factorised in frame order (the cells in memory order: fewer cache
                    # misses than in display order), then the codes put in display order
                    whole = Coded(self.frame[source], kind)
                    if self.order is not None:
                        whole.codes = whole.codes[np.asarray(self.order)]
                else:
                    whole = Coded(pd.Series([None] * self._total(), dtype=object), kind)
                self._arrays[("coded", source, kind)] = whole
            out.append(whole.slice(start, stop))
        return out

    def _total(self) -> int:
        return len(self.frame) if self.order is None else len(self.order)

    def forget_texts(self) -> None:
        """Drop the text tables the writers made (the codes stay)."""
        for key, value in self._arrays.items():
            if isinstance(key, tuple) and key[0] == "coded":
                value.tables.clear()

    def chunks(self) -> Iterator[tuple[int, int]]:
        """Absolute ``(start, stop)`` ranges of at most :data:`CHUNK_ROWS` rows, aligned
        to the whole table so that views share the cached texts."""
        a = self.start
        while a < self.stop:
            b = min((a // CHUNK_ROWS + 1) * CHUNK_ROWS, self.stop)
            yield a, b
            a = b

    def values(self, key: str) -> list:
        """The JSON-ready values of ``key`` for these rows, in order."""
        return self.coded(self.start, self.stop, [key])[0].row_values()

    def _few(self, source: str, kind: str, positions: np.ndarray) -> list:
        if source not in self.frame.columns:
            return [_MISSING.get(kind)] * len(positions)
        if kind == "any":
            if source not in self._arrays:
                series = self.frame[source]
                self._arrays[source] = series.to_numpy() if series.dtype == object else None
            if self._arrays[source] is not None:
                from estate.report.model import plain
                return [plain(v) for v in self._arrays[source][positions].tolist()]
        return py_values(self.frame[source].iloc[positions], kind)

    def _records(self, start: int, stop: int) -> Iterator[dict]:
        if stop - start <= SMALL_ROWS:  # a few rows: convert them, without factorising
            positions = (np.arange(start, stop) if self.order is None
                         else np.asarray(self.order[start:stop]))
            columns = [self._few(source, kind, positions) for _, source, kind in self.columns]
            columns = [[v.copy() if isinstance(v, (list, dict)) else v for v in c]
                       for c in columns]
        else:
            columns = [c.row_values() for c in self.coded(start, stop)]
        keys = self.keys
        for row in zip(*columns):
            yield dict(zip(keys, row))

    def __iter__(self) -> Iterator[dict]:
        for a, b in self.chunks():
            yield from self._records(a, b)

    def __getitem__(self, index):
        if isinstance(index, slice):
            a, b, step = index.indices(len(self))
            if step != 1:
                return list(self)[index]
            return list(self._records(self.start + a, self.start + max(a, b)))
        i = index + len(self) if index < 0 else index
        if not 0 <= i < len(self):
            raise IndexError(index)
        return next(self._records(self.start + i, self.start + i + 1))

    def __eq__(self, other) -> bool:
        if isinstance(other, (Rows, list, tuple)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rows({len(self)} rows: {', '.join(self.keys)})"

    def _json_chunk(self, start: int, stop: int) -> list[str]:
        """Compact JSON text of each row of the aligned chunk ``start:stop``."""
        key = ("json", start, stop)
        if key in self._cache:
            return self._cache[key]
        parts = []
        last = len(self.columns) - 1
        for i, (coded, (name, _, _)) in enumerate(zip(self.coded(start, stop), self.columns)):
            prefix = ("{" if i == 0 else "") + encode_basestring(name) + ": "
            suffix = "}" if i == last else ""
            parts.append(coded.texts(lambda v: prefix + json_text(v) + suffix,
                                     ("json", name, i == 0, i == last)))
        texts = list(map(", ".join, zip(*parts))) if parts else ["{}"] * (stop - start)
        self._cache.clear()  # keep one chunk: readers go through the table in order
        self._cache[key] = texts
        return texts

    def _json_joined(self, start: int, stop: int, sep: str) -> str:
        """The compact JSON text of rows ``start:stop`` (absolute) joined by ``sep``: the
        pieces laid out row by row in one array and joined once, not once per row."""
        n = len(self.columns)
        if not n:
            return sep.join(["{}"] * (stop - start))
        pieces = np.empty((stop - start, n + 1), dtype=object)
        for i, (coded, (name, _, _)) in enumerate(zip(self.coded(start, stop), self.columns)):
            prefix = ("{" if i == 0 else ", ") + encode_basestring(name) + ": "
            suffix = "}" if i == n - 1 else ""
            table = coded.tables.get(("joined", name, i == 0, i == n - 1))
            if table is None:
                table = coded.tables[("joined", name, i == 0, i == n - 1)] = np.asarray(
                    [prefix + json_text(v) + suffix for v in coded.values], dtype=object)
            pieces[:, i] = table[coded.codes]
        pieces[:, n] = sep
        return "".join(pieces.ravel().tolist()[:-1])

    def json_texts(self) -> Iterator[str]:
        """The compact JSON text of each row, in order (what ``json_text(dict)`` gives)."""
        for a, b in self.chunks():
            lo = (a // CHUNK_ROWS) * CHUNK_ROWS
            texts = self._json_chunk(lo, min(lo + CHUNK_ROWS, self._total()))
            yield from texts[a - lo:b - lo]

    def json_array(self) -> str:
        """These rows as one compact JSON array."""
        return "[" + ", ".join(self.json_texts()) + "]"

    def json_block(self, pad: str) -> Iterator[str]:
        """These rows as a JSON array with one row per line, indented by ``pad`` + 2."""
        if not len(self):
            yield "[]"
            return
        inner = ",\n" + pad + "  "
        yield "[\n" + pad + "  "
        first = True
        for a, b in self.chunks():
            yield ("" if first else inner) + self._json_joined(a, b, inner)
            first = False
        self._cache.clear()
        self.forget_texts()
        yield "\n" + pad + "]"
