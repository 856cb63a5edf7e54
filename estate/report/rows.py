"""Long tables of the findings document (systems, dispositions, cluster members) as columns.

A million-row estate as a list of dicts takes gigabytes and seconds to build; here a table
is its DataFrame, the display order of its rows and, per output key, a source column and a
kind. findings.json and the CSV files are written from the columns in chunks of rows,
converting and encoding each distinct value of a column once. Iterating a :class:`Rows`
still gives one JSON-ready dict per row (made when asked for), so code that reads the
document as plain data (the audit, the tests) works unchanged.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator, Sequence
from functools import partial
from json.encoder import c_make_encoder, encode_basestring
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from estate.analyse.model import ColumnRows, range_item
from estate.arrays import factorize, object_array

CHUNK_ROWS = 20_000
"""Rows converted at a time: bounds the memory of the text being built."""

SMALL_ROWS = 200
"""Ranges up to this many rows are converted row by row, not factorised."""

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), allow_nan=False)
# The C encoder ``_ENCODER.encode`` builds on every call (a closure and an encoder object:
# microseconds, more than a short list takes to encode), built once. No check for reference
# cycles: the values written are plain copies (estate.report.model.plain).
_C_ENCODE = c_make_encoder(None, _ENCODER.default, encode_basestring, None, ": ", ", ",
                           False, False, False) if c_make_encoder is not None else None


def _ENCODE(value) -> str:
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


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


_NONE = type(None)
_AS_IS = frozenset({str, int, bool, _NONE})  # types estate.report.model.plain keeps as they are
_IS_FLOAT = partial(type.__instancecheck__, float)
_NOT_FINITE = ("inf", "-inf", "nan")
_ENCODERS = {str: encode_basestring, int: int.__repr__, float: float.__repr__}


def json_text_list(values: list) -> list[str]:
    """:func:`json_text` of each of ``values``: the usual columns (all text, all integers or
    all floats, each perhaps with ``None``) with one C call per value, not a Python call."""
    kinds = set(map(type, values))
    missing = _NONE in kinds
    kinds.discard(_NONE)
    if not kinds:
        return ["null"] * len(values)
    encode = _ENCODERS.get(kinds.pop()) if len(kinds) == 1 else None
    if encode is not None:
        if missing:
            texts = [encode(v) if v is not None else "null" for v in values]
        else:
            texts = list(map(encode, values))
        if encode is not float.__repr__ or not any(t in texts for t in _NOT_FINITE):
            return texts
    return list(map(json_text, values))  # and json_text raises on NaN, as json.dumps does


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
        values = series.tolist()
        if _plain_already(values):
            return values
        from estate.report.model import plain
        return [plain(v) for v in values]
    values = series.astype(object).where(series.notna(), None).tolist()
    if set(map(type, values)) <= _TEXT:
        return values
    return [None if v is None else str(v) for v in values]


_TEXT = frozenset({str, _NONE})


def _plain_already(values: list) -> bool:
    """Whether :func:`estate.report.model.plain` would give every one of ``values`` as it
    is (text, whole numbers, booleans, None and finite floats), judged in C."""
    kinds = set(map(type, values))
    if kinds <= _AS_IS:
        return True
    if not kinds <= _AS_IS | {float}:
        return False
    floats = np.fromiter(filter(_IS_FLOAT, values), dtype=np.float64)
    return bool(np.isfinite(floats).all())


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


def _factorize(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``pd.factorize`` of a column: codes (-1 for a missing cell) and the distinct values
    (a categorical column's categories, some perhaps unused: its codes are taken as they
    are). Text columns are hashed as the array of Python strings they hold, without the
    string array's own (slower) factorize and the copy it makes of the distinct values."""
    if isinstance(series.dtype, pd.CategoricalDtype):  # codes the caller made already
        return (series.cat.codes.to_numpy(),
                pd.Series(series.cat.categories.to_numpy(), dtype=series.cat.categories.dtype))
    if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
        codes, uniques = factorize(series)
        return codes, pd.Series(uniques, dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if isinstance(uniques, pd.Index) and uniques.dtype == object:
        return codes, pd.Series(np.asarray(uniques, dtype=object))
    return codes, pd.Series(uniques)


def sort_ranks(series: pd.Series, keep: dict | None = None, source: str = "") -> np.ndarray:
    """Each cell's rank among the column's distinct values in sorted order (-1: missing),
    sorting only the distinct values. A categorical column ranks by its categories, as
    pandas sorts it. Raises ``TypeError`` when the values do not sort. The codes and
    distinct values are put in ``keep`` (a :class:`Rows` cache: its writers then need not
    factorise the column again; one found there already is used)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy().astype(np.int64)
    found = keep.get(("factorized", source)) if keep is not None else None
    codes, distinct = found if found is not None else _factorize(series)
    if keep is not None:
        keep[("factorized", source)] = (codes, distinct)
    values = distinct.to_numpy()
    try:
        if values.dtype == object:  # Python's sort compares text twice as fast as numpy's
            items = values.tolist()
            order = np.fromiter(sorted(range(len(items)), key=items.__getitem__),
                                dtype=np.int64, count=len(items))
        else:
            order = np.argsort(values, kind="stable")
    except TypeError:  # mixed types: pandas' own order (numbers before text), if any
        return pd.factorize(series.to_numpy(dtype=object), sort=True)[0].astype(np.int64)
    rank = np.empty(len(order) + 1, dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    rank[-1] = -1  # code -1, a missing cell
    return rank[codes]


def _merged(columns: Sequence[tuple[np.ndarray, np.ndarray]],
            count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``columns`` with runs of neighbours that take few distinct value pairs in these rows
    (department, status, tier ...) made one column of the pairs' texts: fewer, longer
    pieces to lay out and join."""
    limit = count // 8
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for table, codes in columns:
        if out and len(table) <= limit and len(out[-1][0]) <= limit:
            left, at = out[-1]
            joint = (np.where(at < 0, at + len(left), at).astype(np.int64) * len(table)
                     + np.where(codes < 0, codes + len(table), codes))
            if len(left) * len(table) <= limit:
                out[-1] = (np.add.outer(left, table).ravel(), joint)
                continue
            numbered = _combination_codes(joint, len(left) * len(table), limit)
            if numbered is not None:
                pairs, found = numbered
                out[-1] = (left[found // len(table)] + table[found % len(table)], pairs)
                continue
        out.append((table, codes))
    return out


def _combination_codes(joint: np.ndarray, span: int,
                       limit: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``pd.factorize`` of ``joint`` (combination numbers, each below ``span``) up to the
    numbering: codes and the combinations found; None when there are more than ``limit``.
    When ``span`` is at most a few times the rows, the combinations are marked in a table
    of ``span`` flags and numbered in order (several times faster than hashing them);
    otherwise more than ``limit`` distinct in every 4th row settles it before hashing all."""
    if span <= 8 * len(joint):
        present = np.zeros(span, dtype=bool)
        present[joint] = True
        found = np.flatnonzero(present)
        if len(found) > limit:
            return None
        number = np.zeros(span, dtype=np.int32 if span < 2**31 else np.int64)
        number[found] = np.arange(len(found))
        return number[joint], found
    if len(joint) // 4 > limit and len(pd.unique(joint[::4])) > limit:
        return None
    codes, found = pd.factorize(joint)
    return (codes, found) if len(found) <= limit else None


class PerChunk(NamedTuple):
    """In :meth:`Rows.pieces`, the place of a column of distinct values (column ``at``,
    ``coded``), whose text table :meth:`Rows.pieces_at` makes per chunk of rows."""

    at: int
    coded: "Coded"


class Group(NamedTuple):
    """A run of neighbouring columns: ``codes[row]`` is the row's combination of their
    values, and ``parts[j][code]`` the position in column j's values (its last: missing)
    of that combination's value."""

    codes: np.ndarray
    parts: list[np.ndarray]
    size: int  # the number of combinations


def group_columns(columns: Sequence[tuple[int, np.ndarray]], count: int,
                  state: Sequence[Group] = (), ends_only: bool = False
                  ) -> list[list[Group] | None]:
    """The groups of ``columns`` (each its number of values, the last of them for a
    missing cell, and its codes, -1: missing) after each column in turn, continuing the
    groups ``state`` of the columns before them: a column joins the group before it when
    both have at most ``count // 8`` values or combinations and so do they together
    (:func:`_merged`'s rule, on the codes alone and over the whole table). ``ends_only``:
    None after a column that the next one joins (its group's codes are a table of row
    codes that nothing else needs: megabytes a column at a million rows, not kept)."""
    limit = count // 8
    out = list(state)
    after: list[list[Group] | None] = []
    for size, codes in columns:
        group = out[-1] if out else None
        if group is not None and size <= limit and group.size <= limit:
            if ends_only and after:
                after[-1] = None
            left = group.codes
            joint = (np.where(left < 0, left + group.size, left).astype(np.int64) * size
                     + np.where(codes < 0, codes + size, codes))
            if group.size * size <= limit:  # every combination, in order
                every = np.arange(group.size * size, dtype=np.int64)
                out[-1] = Group(_narrow(joint),
                                [p[every // size] for p in group.parts] + [every % size],
                                group.size * size)
                after.append(list(out))
                continue
            numbered = _combination_codes(joint, group.size * size, limit)
            if numbered is not None:
                combos, found = numbered
                out[-1] = Group(_narrow(combos),
                                [p[found // size] for p in group.parts] + [found % size],
                                len(found))
                after.append(list(out))
                continue
        out.append(Group(codes, [np.arange(size, dtype=np.int64)], size))
        after.append(list(out))
    return after


def _narrow(codes: np.ndarray) -> np.ndarray:
    return codes.astype(np.int32) if len(codes) and codes.max() < 2**31 - 1 else codes


def join_rows(columns: Sequence[tuple[np.ndarray, np.ndarray]], count: int,
              sep: str | bytes | None, merge: bool = True) -> str | bytes:
    """The text of ``count`` rows joined by ``sep`` (None: run together), row i being
    ``table[codes[i]]`` of each ``(table, codes)`` column in turn: the pieces laid out row
    by row in one array and joined once, not once per row. The tables hold text, or
    UTF-8 bytes (then ``sep`` is bytes too, and so is the result). ``merge``: first make
    runs of columns with few value pairs one (see :func:`_merged`; not for columns merged
    so over the whole table already)."""
    if merge:
        columns = _merged(columns, count)
    pieces = np.empty((count, len(columns) + (sep is not None)), dtype=object)
    for i, (table, codes) in enumerate(columns):
        # straight into the column, no array in between ("wrap": code -1 is the last)
        np.take(table, codes, out=pieces[:, i], mode="wrap")
    first = columns[0][0] if columns else ()
    glue = b"" if isinstance(sep, bytes) or (len(first) and type(first[0]) is bytes) else ""
    if sep is None:
        return glue.join(pieces.ravel().tolist())
    pieces[:, len(columns)] = sep
    return glue.join(pieces.ravel().tolist()[:-1])


def utf8_texts(texts: list[str], prefix: str = "", suffix: str = "") -> list[bytes]:
    """``prefix + text + suffix`` of each of ``texts`` (JSON texts, and JSON punctuation
    around them: none holds a NUL, which JSON writes escaped) in UTF-8: one join, one
    encode and one split in C rather than a concatenation and an encoding per text."""
    if not texts:
        return []
    return (prefix + (suffix + "\0" + prefix).join(texts) + suffix).encode().split(b"\0")


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

    __slots__ = ("codes", "values", "kind", "tables", "distinct")

    def __init__(self, series: pd.Series | None, kind: str,
                 factorized: tuple[np.ndarray, pd.Series] | None = None):
        self.kind = kind
        self.tables: dict = {}
        self.distinct = False  # one value per row, not factorised (see rows_part)
        if series is None:
            return
        if kind == "text" and _mostly_distinct(series):  # ids, names: hashing buys nothing
            self.codes = np.arange(len(series), dtype=np.int64)
            self.values = py_values(series.reset_index(drop=True), kind) + [None]
            self.distinct = True
            return
        if kind == "any" and factorized is None and series.dtype == object \
                and _mostly_distinct(series):
            # keys, ids: as for text, if all are text (hashing makes 1 and 1.0 one value)
            values = series.tolist()
            if set(map(type, values)) <= _TEXT:
                self.codes = np.arange(len(series), dtype=np.int64)
                self.values = values + [None]
                self.distinct = True
                return
        try:
            codes, distinct = factorized if factorized is not None else _factorize(series)
        except TypeError:  # unhashable cells: one value per row
            codes, distinct = np.arange(len(series)), series.reset_index(drop=True)
        self.codes = codes.astype(np.int32 if len(distinct) < 2**31 - 1 else np.int64)
        self.values = py_values(distinct, kind) + [_MISSING.get(kind)]

    def slice(self, start: int, stop: int) -> "Coded":
        part = Coded(None, self.kind)
        part.codes, part.values, part.tables = self.codes[start:stop], self.values, self.tables
        part.distinct = self.distinct
        return part

    def rows_part(self, start: int, stop: int) -> "Coded":
        """Rows ``start:stop`` as a column of their own values (row i, code i): the text
        table of a :attr:`distinct` column made for a chunk of rows, not for every row of
        the table at once and kept (tens of megabytes a column at a million rows)."""
        every = self.tables.get(("values",))
        if every is None:
            every = self.tables[("values",)] = object_array(self.values)
        part = Coded(None, self.kind)
        part.codes = np.arange(stop - start, dtype=np.int32)
        part.values = every[self.codes[start:stop]].tolist() + [self.values[-1]]
        return part

    def table(self, encode, key=None) -> np.ndarray:
        """``encode(values)``: one text per distinct value, as an array to index with the
        codes (kept for all slices of the column when ``key`` names the encoding)."""
        table = self.tables.get(key) if key is not None else None
        if table is None:
            table = object_array(encode(self.values))
            if key is not None:
                self.tables[key] = table
        return table

    def texts(self, encode, key=None) -> list[str]:
        """``encode(value)`` per row, calling ``encode`` once per distinct value (and once
        for all slices of the column when ``key`` names the encoding)."""
        return self.table(lambda values: [encode(v) for v in values], key)[self.codes].tolist()

    def json_table(self, prefix: str = "", suffix: str = "") -> np.ndarray:
        """``prefix + json_text(value) + suffix`` per distinct value in UTF-8, as an array
        to index with the codes (kept for all slices of the column)."""
        return self.table(lambda values: utf8_texts(json_text_list(values), prefix, suffix),
                          ("json", prefix, suffix))

    def row_values(self) -> list:
        """Each row's value. A slice much shorter than the column's list of values looks
        each one up in the list (code -1: the last), so the cost is the rows', not the
        column's: an array of the values made for each cluster's few members cost a 1M
        audit's diff minutes. Otherwise through an array of the values (faster per row)."""
        if len(self.codes) * 4 < len(self.values):
            out = list(map(self.values.__getitem__, self.codes.tolist()))
        else:
            out = object_array(self.values)[self.codes].tolist()
        if self.kind in ("list", "json"):  # a fresh list/dict per row, as a reader expects
            out = [v.copy() for v in out]
        return out


class LazyOrder:
    """Row positions in display order, computed when first asked for and then kept.

    Sorting a million rows takes seconds; the document is built before the reports fork,
    and the half that runs in the background never reads this order, so it is made
    afterwards, by the writer that needs it."""

    __slots__ = ("_make", "_value", "_length")

    def __init__(self, make, length: int):
        self._make, self._value, self._length = make, None, length

    def __len__(self) -> int:
        return self._length

    def get(self) -> np.ndarray:
        if self._value is None:
            self._value = np.asarray(self._make())
            self._make = None
        return self._value

    def settle(self, order: np.ndarray) -> None:
        """Take ``order`` as the order (worked out by another process from the same rows)."""
        if len(order) != self._length:
            raise ValueError(f"an order of {len(order)} rows for {self._length} rows")
        self._value, self._make = np.asarray(order), None


class LazyColumns:
    """Columns aligned with a table's frame rows that are not in the frame (what another
    table says of each row, joined on demand), made together when first read and kept.

    ``make`` returns ``{name: array}``, one value per frame row; a :class:`Rows` reads
    a source named in ``names`` from here. Like :class:`LazyOrder`, the join runs in the
    writer that needs it, not while the document is built."""

    __slots__ = ("names", "_make", "_value")

    def __init__(self, names: Sequence[str], make):
        self.names = frozenset(names)
        self._make, self._value = make, None

    def get(self, name: str) -> np.ndarray:
        if self._value is None:
            self._value = self._make()
            self._make = None
        return self._value[name]


class Rows(Sequence):
    """A table's rows, in order, as JSON-ready dicts made on demand (see the module doc).

    ``columns`` is ``(key, source column, kind)`` per output key; ``order`` the frame's row
    positions in display order (None: as they are; a :class:`LazyOrder`: made when first
    needed). ``start``/``stop`` select a range of the ordered rows (a cluster's members
    are one range of all members). A source not in the frame is read from ``joined``
    when it names it (else every value is missing)."""

    def __init__(self, frame: pd.DataFrame, columns: Sequence[tuple[str, str, str]],
                 order: np.ndarray | LazyOrder | None = None, start: int = 0,
                 stop: int | None = None, _cache: dict | None = None,
                 _arrays: dict | None = None, joined: LazyColumns | None = None):
        self.frame = frame
        self.joined = joined
        self.columns = tuple(columns)
        self.keys = tuple(k for k, _, _ in self.columns)
        self._order = order
        self.start = start
        self.stop = len(frame) if stop is None else stop
        self._cache = {} if _cache is None else _cache
        self._arrays = {} if _arrays is None else _arrays  # object columns as arrays
        self.ahead: RowTexts | None = None

    def __len__(self) -> int:
        return self.stop - self.start

    @property
    def order(self) -> np.ndarray | None:
        order = self._order
        return order.get() if isinstance(order, LazyOrder) else order

    def view(self, start: int, stop: int) -> "Rows":
        """Rows ``start:stop`` of this table (positions relative to it), sharing its cache."""
        return Rows(self.frame, self.columns, self._order, self.start + start,
                    self.start + stop, self._cache, self._arrays, self.joined)

    def with_columns(self, columns: Sequence[tuple[str, str, str]],
                     joined: LazyColumns | None = None) -> "Rows":
        """The same rows with other ``columns`` (and ``joined`` sources), sharing the
        order and the factorised columns (not the cached texts, which depend on the
        columns)."""
        return Rows(self.frame, columns, self._order, self.start, self.stop, None,
                    self._arrays, joined if joined is not None else self.joined)

    def _source(self, source: str) -> pd.Series | None:
        """The column ``source`` in frame order, or None when neither the frame nor the
        joined columns have it."""
        if source in self.frame.columns:
            return self.frame[source]
        if self.joined is not None and source in self.joined.names:
            return pd.Series(self.joined.get(source), dtype=object, copy=False)
        return None

    def positions(self) -> np.ndarray:
        """Frame row positions of these rows, in order."""
        if self.order is None:
            return np.arange(self.start, self.stop)
        return np.asarray(self.order[self.start:self.stop])

    def column(self, key: str) -> pd.Series:
        """The source column of ``key`` for these rows, in order (raw, not converted)."""
        series = self._source(dict((k, c) for k, c, _ in self.columns)[key])
        if series is None:
            return pd.Series([None] * len(self), dtype=object)
        return series.iloc[self.positions()].reset_index(drop=True)

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
                series = self._source(source)
                if series is not None:
                    # factorised in frame order (the cells in memory order: fewer cache
                    # misses than in display order), then the codes put in display order;
                    # the order first, as it may have factorised the column already
                    # (its codes dropped once read: these codes replace them)
                    order = self.order
                    whole = Coded(series, kind, self._arrays.pop(("factorized", source), None))
                    if order is not None:
                        whole.codes = whole.codes[np.asarray(order)]
                else:
                    whole = Coded(pd.Series([None] * self._total(), dtype=object), kind)
                self._arrays[("coded", source, kind)] = whole
            out.append(whole.slice(start, stop))
        return out

    def _total(self) -> int:
        return len(self.frame) if self._order is None else len(self._order)

    def forget(self) -> None:
        """Drop everything the writers cached (codes, column groups, text tables) for this
        table and its views; what a later reader needs is made again."""
        self._arrays.clear()
        self._cache.clear()
        if self.ahead is not None:
            self.ahead.forget()

    def forget_texts(self) -> None:
        """Drop the text tables the writers made (the codes stay)."""
        for key in [k for k in self._arrays if isinstance(k, tuple) and k[0] in ("pieces",
                                                                                 "sizes")]:
            del self._arrays[key]
        for key, value in self._arrays.items():
            if isinstance(key, tuple) and key[0] == "coded":
                value.tables.clear()
        if self.ahead is not None:
            self.ahead.forget()

    def pieces(self, name, tables, keys: Sequence[str] | None = None
               ) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(table, codes)`` of the whole table (every row, in order) such that a row's
        text is ``table[codes[row]]`` of each in turn: ``tables(i, coded)`` is the text
        table of column i (or of ``keys[i]``), and each run of neighbouring columns with
        few distinct value combinations over the whole table (a product's id, vendor,
        capability ..., or status and its reason; see :meth:`groups`) is made one column
        of the combinations' texts, once, so each chunk of rows lays out and joins fewer
        pieces. Kept under ``name`` until :meth:`forget_texts`. The table of a column of
        distinct values is a :class:`PerChunk` (see :meth:`pieces_at`)."""
        key = ("pieces", name, self.columns, None if keys is None else tuple(keys))
        found = self._arrays.get(key)
        if found is None:
            coded = self.coded(0, self._total(), keys)
            found, at = [], 0
            for group in self.groups(keys):
                if len(group.parts) == 1 and coded[at].distinct:
                    found.append((PerChunk(at, coded[at]), coded[at].codes))
                elif len(group.parts) == 1:
                    found.append((tables(at, coded[at]), coded[at].codes))
                else:
                    table = None
                    for i, part in enumerate(group.parts, start=at):
                        texts = tables(i, coded[i])[part]
                        table = texts if table is None else table + texts
                    found.append((table, group.codes))
                at += len(group.parts)
            self._arrays[key] = found
        return found

    def pieces_at(self, name, tables, start: int, stop: int,
                  keys: Sequence[str] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`pieces` for rows ``start:stop`` (absolute): ``(table, codes)`` with the
        codes of those rows, the table of a column of distinct values (ids, names) made
        for those rows only."""
        out = []
        for table, codes in self.pieces(name, tables, keys):
            if isinstance(table, PerChunk):
                part = table.coded.rows_part(start, stop)
                out.append((tables(table.at, part), part.codes))
            else:
                out.append((table, codes[start:stop]))
        return out

    def groups(self, keys: Sequence[str] | None = None) -> list["Group"]:
        """The columns (or ``keys``) in runs of neighbours with few distinct value
        combinations over the whole table (see :func:`group_columns`). Kept, and shared by
        every writer: the runs of a list of columns are those of any longer list it
        begins (findings.json's ``systems[]`` has systems.csv's columns, then more). Those
        of a list that ends within a run are not kept: a shorter list is grouped on from
        the end of the last whole run before its end."""
        columns = list(self.columns) if keys is None else [
            next(c for c in self.columns if c[0] == k) for k in keys]
        sources = [(source, kind) for _, source, kind in columns]
        found = self._arrays.get(("groups", tuple(sources)))
        if found is not None or not sources:
            return found or []
        done = max(len(sources) - 1, 0)
        while done and ("groups", tuple(sources[:done])) not in self._arrays:
            done -= 1
        state = self._arrays[("groups", tuple(sources[:done]))] if done else []
        coded = self.coded(0, self._total(), [k for k, _, _ in columns[done:]])
        for i, states in enumerate(group_columns(
                [(len(c.values), c.codes) for c in coded], self._total(), state,
                ends_only=True), start=done):
            if states is not None:
                self._arrays[("groups", tuple(sources[:i + 1]))] = states
        return self._arrays[("groups", tuple(sources))]

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

    def plain_values(self, key: str) -> list:
        """:meth:`values`, but for a column not factorised yet (by findings.json or the CSV
        files in this process) converted cell by cell: a reader that goes over a column
        once need not hash every cell."""
        source, kind = next((c, k) for name, c, k in self.columns if name == key)
        if ("coded", source, kind) in self._arrays:
            return self.values(key)
        series = self._source(source)
        if series is None:
            return [copy.copy(_MISSING.get(kind)) for _ in range(len(self))]
        positions = self.positions()
        if kind != "any":
            return py_values(series.iloc[positions], kind)
        values = series.iloc[positions].tolist()  # pandas scalars as Python's
        kinds = set(map(type, values))
        if kinds <= _AS_IS:
            return values
        from estate.report.model import plain
        return [v if type(v) in _AS_IS else plain(v) for v in values]

    def cells(self, keys: Sequence[str], positions: np.ndarray) -> list[list]:
        """The JSON-ready values of each of ``keys`` at frame rows ``positions`` (a few
        rows, converted without factorising the columns)."""
        sources = {k: (source, kind) for k, source, kind in self.columns}
        return [self._few(*sources[k], np.asarray(positions, dtype=np.int64)) for k in keys]

    def _few(self, source: str, kind: str, positions: np.ndarray) -> list:
        series = self._source(source)
        if series is None:
            return [_MISSING.get(kind)] * len(positions)
        if kind == "any":
            if source not in self._arrays:
                self._arrays[source] = series.to_numpy() if series.dtype == object else None
            if self._arrays[source] is not None:
                from estate.report.model import plain
                return [plain(v) for v in self._arrays[source][positions].tolist()]
        return py_values(series.iloc[positions], kind)

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
        return range_item(index, len(self), lambda a, b: list(
            self._records(self.start + a, self.start + b)))

    def __eq__(self, other) -> bool:
        if isinstance(other, (Rows, list, tuple)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rows({len(self)} rows: {', '.join(self.keys)})"

    def json_pieces(self, start: int, stop: int, keys: Sequence[str] | None = None,
                    closed: bool = True, opened: bool = True
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(table, codes)`` per column of ``keys`` (every column when None), or run of
        columns (see :meth:`pieces`), of rows ``start:stop`` (absolute) such that a row's
        compact JSON text of those keys is its pieces in turn: the object opened with
        ``{`` (else ``, `` before the first key) and ``closed`` with ``}`` (else left
        open, for more keys to follow)."""
        names = self.keys if keys is None else tuple(keys)
        n = len(names)
        if not n:
            text = ("{" if opened else "") + ("}" if closed else "")
            return [(object_array([text.encode()]), np.zeros(stop - start, dtype=np.int32))]

        def table(i: int, coded: Coded) -> np.ndarray:
            prefix = ("{" if i == 0 and opened else ", ") + encode_basestring(names[i]) + ": "
            return coded.json_table(prefix, "}" if i == n - 1 and closed else "")
        return self.pieces_at(("json", opened, closed), table, start, stop, keys)

    def _json_columns(self, start: int, stop: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`json_pieces` of every column; the texts of the first ones read from
        :attr:`ahead` when another process wrote them (see :meth:`use_ahead`)."""
        ahead = self.ahead
        if ahead is None:
            return self.json_pieces(start, stop)
        rest = self.keys[len(ahead.keys):]
        return ([(ahead.texts(start, stop), np.arange(stop - start))]
                + self.json_pieces(start, stop, rest, opened=False))

    def use_ahead(self, texts: "RowTexts") -> None:
        """Read the JSON texts of this table's first columns from ``texts`` (written by
        :func:`write_row_texts` for the same frame) instead of encoding those columns
        here; their display order is this table's (not worked out again)."""
        if self.keys[:len(texts.keys)] != tuple(texts.keys):
            raise ValueError("the texts written ahead are not of this table's first columns")
        if isinstance(self._order, LazyOrder):
            self._order.settle(texts.order)
        self.ahead = texts

    def _sizes(self, table: np.ndarray) -> np.ndarray:
        """The length of each text of ``table`` (one of :meth:`pieces`' tables), kept when
        the table is longer than a chunk (a table made for a chunk is not)."""
        if len(table) <= CHUNK_ROWS + 1:
            return np.fromiter(map(len, table), dtype=np.int64, count=len(table))
        key = ("sizes", id(table))
        found = self._arrays.get(key)
        if found is None or found[0] is not table:
            found = self._arrays[key] = (table, np.fromiter(map(len, table), dtype=np.int64,
                                                            count=len(table)))
        return found[1]

    def _json_span(self, lo: int, hi: int) -> tuple[bytes, list[int]]:
        """The aligned chunk ``lo:hi`` as one UTF-8 text, rows joined by ``", "``, and
        where each row starts in it (and where a row after the last would start)."""
        key = ("span", lo, hi)
        cached = self._cache.get(key)
        if cached is None:
            pieces = self._json_columns(lo, hi)
            lengths = np.full(hi - lo, 2, dtype=np.int64)  # the ", " after each row
            for table, codes in pieces:
                lengths += self._sizes(table)[codes]
            starts = np.zeros(hi - lo + 1, dtype=np.int64)
            np.cumsum(lengths, out=starts[1:])
            text = join_rows(pieces, hi - lo, b", ", merge=False)
            cached = (text, starts.tolist())
            self._cache.clear()  # keep one chunk: readers go through the table in order
            self._cache[key] = cached
        return cached

    def _json_parts(self) -> Iterator[tuple[bytes, list[int], int, int]]:
        for a, b in self.chunks():
            lo = (a // CHUNK_ROWS) * CHUNK_ROWS
            text, starts = self._json_span(lo, min(lo + CHUNK_ROWS, self._total()))
            yield text, starts, a - lo, b - lo

    def json_texts(self) -> Iterator[str]:
        """The compact JSON text of each row, in order (what ``json_text(dict)`` gives)."""
        for text, starts, a, b in self._json_parts():
            for i in range(a, b):
                yield text[starts[i]:starts[i + 1] - 2].decode()

    def json_array_utf8(self) -> bytes:
        """These rows as one compact JSON array, in UTF-8."""
        return b"[" + b", ".join([text[starts[a]:starts[b] - 2]
                                  for text, starts, a, b in self._json_parts()]) + b"]"

    def json_array(self) -> str:
        """These rows as one compact JSON array."""
        return self.json_array_utf8().decode()

    def json_block_utf8(self, pad: str) -> Iterator[bytes]:
        """These rows as a JSON array with one row per line, indented by ``pad`` + 2, in
        UTF-8 (the file's encoding, made once per distinct value of a column rather than
        once for the whole text)."""
        if not len(self):
            yield b"[]"
            return
        inner = (",\n" + pad + "  ").encode()
        yield ("[\n" + pad + "  ").encode()
        first = True
        for a, b in self.chunks():
            if not first:
                yield inner
            # not added to ``inner``: no copy
            yield join_rows(self._json_columns(a, b), b - a, inner, merge=False)
            first = False
        self._cache.clear()
        self.forget_texts()
        yield ("\n" + pad + "]").encode()

    def json_block(self, pad: str) -> Iterator[str]:
        """:meth:`json_block_utf8` as text."""
        return (part.decode() for part in self.json_block_utf8(pad))


class JsonColumnRows(ColumnRows):
    """A :class:`~estate.analyse.model.ColumnRows` whose values are JSON-ready, written as
    JSON text column by column (each value's text made by one C call, the rows' pieces
    laid out and joined once) rather than a dict at a time."""

    __slots__ = ()

    def json_array(self) -> str:
        """These rows as one compact JSON array (what ``json_text(list(self))`` gives)."""
        count, cut = len(self), self.optional
        if not count:
            return "[]"
        if cut < 1:  # a row might have no key at all
            return json_text(list(self))
        texts = [json_text_list(c) for c in self.columns]
        names = [encode_basestring(k).replace("%", "%%") + ": %s" for k in self.keys]
        short = "{" + ", ".join(names[:cut]) + "}"
        if cut == len(self.keys):
            return "[" + ", ".join([short % row for row in zip(*texts)]) + "]"
        full = "{" + ", ".join(names) + "}"
        # a missing optional value (None) is the text "null", and only it is
        return "[" + ", ".join([full % row if row[cut] != "null" else short % row[:cut]
                                for row in zip(*texts)]) + "]"


ROW_END = b"\0"
"""What ends each row's text in a file of :func:`write_row_texts` (JSON text holds no raw
NUL: the encoder escapes it)."""


class RowTexts:
    """The compact JSON texts of the first ``keys`` of every row of a table, in the display
    ``order`` (frame row positions), in the file at ``path``: the object opened but not
    closed, so that the other keys follow (see :meth:`Rows.use_ahead`). ``spans[k]`` is
    the byte offset and length of the ``k``-th chunk of :data:`CHUNK_ROWS` rows, each
    row's text ended by :data:`ROW_END`."""

    def __init__(self, path, keys: Sequence[str], spans: list[tuple[int, int]],
                 order: np.ndarray):
        self.path, self.keys, self.spans, self.order = path, tuple(keys), spans, order
        self.rows = len(order)
        self._chunk: tuple[int, np.ndarray] | None = None

    def texts(self, start: int, stop: int) -> np.ndarray:
        """The texts of rows ``start:stop`` (absolute, within one chunk) as an array."""
        k = start // CHUNK_ROWS
        if stop > min((k + 1) * CHUNK_ROWS, self.rows):
            raise ValueError(f"rows {start}:{stop} are not within one chunk")
        if self._chunk is None or self._chunk[0] != k:
            offset, length = self.spans[k]
            with open(self.path, "rb") as handle:
                handle.seek(offset)
                data = handle.read(length)
            if len(data) != length:
                raise OSError(f"{self.path} ends before its rows {k * CHUNK_ROWS} on")
            self._chunk = (k, object_array(data.split(ROW_END)[:-1]))
        lo = k * CHUNK_ROWS
        return self._chunk[1][start - lo:stop - lo]

    def forget(self) -> None:
        self._chunk = None


def write_row_texts(rows: Rows, keys: Sequence[str], path) -> RowTexts:
    """Write the JSON texts of ``keys`` (the first columns of ``rows``, a whole table) of
    every row to a new file at ``path`` (see :class:`RowTexts`); what was written."""
    if tuple(keys) != rows.keys[:len(keys)] or rows.start != 0 or len(rows) != rows._total():
        raise ValueError("texts are written ahead for a whole table's first columns")
    spans = []
    offset = 0
    with open(path, "xb") as handle:
        for a, b in rows.chunks():
            text = join_rows(rows.json_pieces(a, b, keys, closed=False), b - a, ROW_END,
                             merge=False)
            handle.write(text)
            handle.write(ROW_END)  # not added to ``text``: no copy
            spans.append((offset, len(text) + len(ROW_END)))
            offset += len(text) + len(ROW_END)
    rows.forget_texts()
    return RowTexts(path, keys, spans, rows.positions())
