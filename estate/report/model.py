"""Turn a :class:`~estate.pipeline.Findings` into plain, JSON-ready data.

Every report (findings.json, the CSV files, report.html, the workbook) is written from the
one document this module builds, so all of them say the same thing. Nothing here
computes a result: values are copied from the findings and formatted (ISO dates, ``None``
for missing values, lists for tuples), sorted for display where the findings leave the
order open.

The shape of the document is documented in ``docs/findings-schema.md``; bump
:data:`SCHEMA_VERSION` when a key changes meaning or disappears.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from datetime import date, datetime
from itertools import chain
from operator import attrgetter
from typing import Any, Sequence

import numpy as np
import pandas as pd

from estate.analyse.model import ColumnRows, TableItems
from estate.arrays import factorize, joint_codes, object_array
from estate.graph import type_counts
from estate.report._files import file_slug
from estate.report.rows import (_AS_IS, JsonColumnRows, LazyColumns, LazyOrder, Rows,
                                _factorize, _plain_already, sort_ranks)

SCHEMA_VERSION = "2.0"

# output key -> (systems-table column, kind)
SYSTEM_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("department", "department", "text"),
    ("system_id", "system_id", "text"),
    ("system_key", "system_key", "text"),
    ("name", "name", "text"),
    ("product", "product_name", "text"),
    ("product_id", "product_id", "text"),
    ("vendor", "vendor_name", "text"),
    ("capability", "capability_name", "text"),
    ("capability_id", "capability_id", "text"),
    ("capability_group", "capability_group", "text"),
    ("match_stage", "match_stage", "text"),
    ("match_confidence", "match_score", "float"),
    ("match_input", "match_input", "text"),
    ("raw_vendor", "vendor", "text"),
    ("raw_product", "product", "text"),
    ("raw_capability", "capability", "text"),
    ("version", "version", "text"),
    ("instance", "instance", "text"),
    ("hosting", "hosting", "text"),
    ("region", "region", "text"),
    ("users", "users", "int"),
    ("annual_cost", "annual_cost", "float"),
    ("contract_end", "contract_end", "date"),
    ("lifecycle", "lifecycle", "text"),
    ("classification", "classification", "text"),
    ("tier", "tier", "text"),
    ("owner", "owner", "text"),
    ("integrates_with", "integrates_with", "list"),
    ("data_domains", "data_domains", "list"),
    ("source_file", "source_file", "text"),
    ("source_sheet", "source_sheet", "text"),
    ("source_line", "source_line", "int"),
    ("status", "status", "text"),
    ("status_reason", "status_reason", "text"),
    ("extra", "extra", "json"),
)
SYSTEM_KEYS: tuple[str, ...] = tuple(k for k, _, _ in SYSTEM_COLUMNS)
"""The keys of systems.csv (findings.json's ``systems[]`` has these, then
:data:`DISPOSITION_KEYS`)."""

# output key -> (the analysis' disposition field, joined onto the systems as this source)
DISPOSITION_FIELDS: tuple[tuple[str, str], ...] = (
    ("disposition", "disposition"), ("disposition_reason", "reason"), ("cluster", "cluster"))
DISPOSITION_KEYS: tuple[str, ...] = tuple(k for k, _ in DISPOSITION_FIELDS)
_JOINED = "(disposition) "  # prefix of the joined sources: never a systems-table column


_INF = math.inf


def plain(value: Any) -> Any:
    """A JSON-ready copy of ``value``: NA/NaN -> None, dates -> ISO text, tuples -> lists."""
    kind = type(value)
    if kind is str or kind is int or kind is bool:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if kind is dict:  # the common nested shapes, without a call per plain item
        return {k if type(k) is str else str(k):
                v if type(v) in _AS_IS or (type(v) is float and -_INF < v < _INF) else plain(v)
                for k, v in value.items()}
    if kind is list or kind is tuple:
        if len(value) > 64:
            kinds = set(map(type, value))
            if kinds <= _AS_IS:  # long lists of text (the saving inputs' missing values)
                return list(value)
            if kinds == {dict}:  # per-system rows (saving inputs)
                rows = _plain_rows(value)
                if rows is not None:
                    return rows
        return [v if type(v) in _AS_IS or (type(v) is float and -_INF < v < _INF) else plain(v)
                for v in value]
    if isinstance(value, ColumnRows):
        return _plain_column_rows(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return plain(value.to_dict())
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, TableItems)):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.strftime("%Y-%m-%d") if _is_midnight(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "__fspath__"):
        return str(value)
    return str(value)


def _plain_rows(items: list[dict]) -> list[dict] | None:
    """:func:`plain` of a list of flat dicts (text keys, plain values) as copies of them,
    checked and copied in C; None when they are not all such dicts."""
    if not set(map(type, chain.from_iterable(map(dict.keys, items)))) <= {str} or \
            not _plain_already(list(chain.from_iterable(map(dict.values, items)))):
        return None
    return list(map(dict.copy, items))


def _plain_column_rows(rows: ColumnRows) -> JsonColumnRows | list[dict]:
    """:func:`plain` of a :class:`ColumnRows`, still as columns when every value is plain
    already (text, a whole number, a finite float or None: the saving inputs); else the
    list of plain dicts (a missing value then stays a key with None, as plain gives)."""
    if not all(_plain_already(column) for column in rows.columns):
        return [plain(r) for r in rows]
    return JsonColumnRows(rows.keys, rows.columns, rows.optional)


def _is_midnight(value) -> bool:
    return (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)


def sorted_positions(frame: pd.DataFrame, keep: dict | None = None) -> np.ndarray:
    """Row positions of the systems table in a stable display order: department, system
    id, source (the columns' factorisations put in ``keep``, see :func:`sort_ranks`)."""
    keys = [c for c in ("department", "system_id", "source_file", "source_line")
            if c in frame.columns]
    if not keys or frame.empty:
        return np.arange(len(frame))
    try:
        ranks = [sort_ranks(frame[c], keep, c) for c in keys]
    except TypeError:
        ordered = frame[keys].reset_index(drop=True).sort_values(keys, kind="mergesort",
                                                                 na_position="last")
        return ordered.index.to_numpy()
    # one stable sort on every key's rank, missing values last (as sort_values puts them)
    return np.lexsort([np.where(r < 0, r.max() + 1, r) for r in reversed(ranks)])


def system_records(frame: pd.DataFrame, links: "Links | None" = None) -> Rows:
    """One JSON-ready dict per systems-table row, keys in :data:`SYSTEM_KEYS` order and then
    :data:`DISPOSITION_KEYS` (what ``links`` joins onto the row: None without them, or for a
    row without a disposition, such as a quarantined one). Made on demand: findings.json
    and systems.csv are written from the columns, their order made and the dispositions
    joined when first needed."""
    arrays: dict = {}
    order = LazyOrder(lambda: sorted_positions(frame, arrays), len(frame))
    links = links if links is not None else Links(frame, ())
    links.order = order
    joined = LazyColumns([_JOINED + k for k in DISPOSITION_KEYS], links.system_columns)
    columns = SYSTEM_COLUMNS + tuple((k, _JOINED + k, "any") for k in DISPOSITION_KEYS)
    return Rows(frame, columns, order, _arrays=arrays, joined=joined)


def dataclass_rows(items) -> Rows | list:
    """:func:`plain` of each dataclass in ``items`` as :class:`Rows` (one column per field),
    or a plain list when the items are not all of one dataclass type. A
    :class:`~estate.analyse.model.TableItems` is read from its columns, not its items."""
    if isinstance(items, TableItems) and dataclasses.is_dataclass(items.table.kind) and \
            not hasattr(items.table.kind, "to_dict"):
        names = [f.name for f in dataclasses.fields(items.table.kind)]
        return _table_rows(items.table.frame, names, [(items.start, items.stop)])
    items = list(items)
    kinds = {type(i) for i in items}
    kind = next(iter(kinds)) if len(kinds) == 1 else None
    if not items or kind is None or not dataclasses.is_dataclass(kind) or \
            hasattr(kind, "to_dict"):
        return [plain(i) for i in items]
    names = [f.name for f in dataclasses.fields(kind)]
    return Rows(_attribute_frame(items, names), [(n, n, "any") for n in names])


def _table_rows(frame: pd.DataFrame, names: list[str],
                ranges: list[tuple[int, int]]) -> Rows:
    """:class:`Rows` of the ``ranges`` of an item table's frame (field columns), in turn."""
    if len(ranges) == 1 and ranges[0] == (0, len(frame)):
        order = None
    else:
        lengths = np.asarray([b - a for a, b in ranges], dtype=np.int64)
        starts = np.asarray([a for a, _ in ranges], dtype=np.int64)
        offsets = np.cumsum(lengths) - lengths
        order = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - offsets,
                                                                          lengths)
        if np.array_equal(order, np.arange(len(frame))):
            order = None
    return Rows(frame, [(n, n, "any") for n in names], order)


def _attribute_frame(items: list, names: list[str]) -> pd.DataFrame:
    """One object column per attribute name (no type inference: values stay as they are)."""
    columns = {name: np.fromiter(map(attrgetter(name), items), dtype=object, count=len(items))
               for name in names}
    return pd.DataFrame(columns, dtype=object, copy=False)


CLUSTER_PAGES_MAX = 200
"""Clusters that get their own graph page: the largest savings first (then the largest).
Every cluster is still in report.html, the CSV files, the workbook and findings.json."""
DEPARTMENT_PAGES_MAX = 200
"""Departments that get their own graph page: the most systems first."""


def cluster_pages(clusters, limit: int | None = None) -> dict[str, str]:
    """Cluster id -> relative path of its graph page (``clusters/<safe id>.html``), for the
    ``limit`` clusters with the largest estimated saving (ties: most members, then id)."""
    limit = CLUSTER_PAGES_MAX if limit is None else limit
    ranked = sorted(clusters, key=lambda c: (-(c.annual_saving or 0), -len(c.members), c.id))
    chosen = sorted((c.id for c in ranked[:limit]), key=str)
    taken: set[str] = set()
    return {cid: f"clusters/{file_slug(cid, taken)}.html" for cid in chosen}


def department_pages(departments, sizes: dict[str, int] | None = None,
                     limit: int | None = None) -> dict[str, str]:
    """Department -> relative path of its graph page (``departments/<safe name>.html``),
    for the ``limit`` departments with the most systems (``sizes``; ties by name)."""
    sizes = sizes or {}
    limit = DEPARTMENT_PAGES_MAX if limit is None else limit
    names = sorted(set(departments))
    if len(names) > limit:
        names = sorted(sorted(names, key=lambda d: (-sizes.get(d, 0), d))[:limit])
    taken: set[str] = set()
    return {d: f"departments/{file_slug(d, taken)}.html" for d in names}


def _extras(obj, known: dict) -> dict:
    """``known`` followed by any further dataclass fields of ``obj`` (in declared order),
    so a field the analysis adds later reaches findings.json without a change here."""
    out = dict(known)
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            if f.name not in out and f.name != "members":
                out[f.name] = plain(getattr(obj, f.name))
    return out


def _ref(ref) -> dict:
    return {"department": ref.department, "system_id": ref.system_id}


def duplicate_records(analysis) -> list[dict]:
    """One dict per duplicate group; each one's ``members`` (department and system id, in
    that order) is a range of one :class:`Rows` of every group's members."""
    groups = sorted(analysis.duplicates, key=lambda g: g.id)
    table = _ref_rows(groups)
    records, start = [], 0
    for g in groups:
        ms = g.members
        records.append(_extras(g, {
            "id": g.id,
            "kind": g.kind,
            "capability": g.capability,
            "product": g.product,
            "instances": g.instances,
            "departments": sorted(g.departments),
            "annual_cost": plain(g.annual_cost),
            "reason": g.reason,
            "members": table.view(start, start + len(ms)),
        }))
        start += len(ms)
    return records


_REF_COLUMNS = [("department", "department", "any"), ("system_id", "system_id", "any")]


def _ref_rows(groups: list) -> Rows:
    """Every group's members as one :class:`Rows`, each group's sorted by department and
    system id, made when first needed: ranks of the sorted distinct values and one stable
    sort, or (values not all text) a sort of each group's members."""
    flat = [m for g in groups for m in g.members]
    frame = _attribute_frame(flat, ["department", "system_id"])
    sizes = [len(g.members) for g in groups]

    arrays: dict = {}

    def order() -> np.ndarray:
        try:
            for c in ("department", "system_id"):
                codes, distinct = arrays[("factorized", c)] = _factorize(frame[c])
                if not (set(map(type, distinct)) <= {str} and (codes >= 0).all()):
                    return by_members()
        except TypeError:  # an unhashable value
            return by_members()
        sid, dept = [sort_ranks(frame[c], arrays, c) for c in ("system_id", "department")]
        group = np.repeat(np.arange(len(groups), dtype=np.int64), sizes)
        n_dept, n_sid = (int(dept.max()) + 1, int(sid.max()) + 1) if len(sid) else (1, 1)
        if len(groups) * n_dept * n_sid < 2**62:  # one stable sort of one integer key
            return np.argsort((group * n_dept + dept) * n_sid + sid, kind="stable")
        return np.lexsort((sid, dept, group))

    def by_members() -> np.ndarray:
        keys = list(zip(frame["department"].tolist(), frame["system_id"].tolist()))
        out, start = [], 0
        for size in sizes:
            out += sorted(range(start, start + size), key=keys.__getitem__)
            start += size
        return np.asarray(out, dtype=np.int64)
    return Rows(frame, _REF_COLUMNS, LazyOrder(order, len(frame)), _arrays=arrays)


MEMBER_KEYS = ("department", "system_id", "name", "product", "role", "disposition", "users",
               "annual_cost", "contract_end", "wave", "earliest_date")


def cluster_records(analysis, pages: dict[str, str]) -> list[dict]:
    """One dict per cluster; each one's ``members`` is a range of one :class:`Rows` of
    every member (members in role, order, department, system id order: the order of a
    member table the analysis made, whose columns are then read as they are)."""
    clusters = sorted(analysis.clusters, key=lambda c: c.id)
    table = _member_table_rows(clusters)
    if table is None:
        members = [sorted(c.members, key=lambda m: (m.role != "target", m.order,
                                                     m.department, m.system_id))
                   for c in clusters]
        table = member_rows([m for ms in members for m in ms])
    sizes = [len(c.members) for c in clusters]
    records, start = [], 0
    for c, size in zip(clusters, sizes):
        stop = start + size
        records.append(_extras(c, {
            "id": c.id,
            "capability": c.capability,
            "tier": c.tier,
            "target": _ref(c.target),
            "target_reasons": list(c.target_reasons),
            "runner_up": _ref(c.runner_up) if c.runner_up else None,
            "annual_saving": plain(c.annual_saving),
            "saving_explanation": c.saving_explanation,
            "saving_inputs": _saving_inputs(c.saving_inputs),
            "one_off_cost": plain(c.one_off_cost),
            "payback_years": plain(c.payback_years),
            "waves": c.waves,
            "blockers": list(c.blockers),
            "integrations_to_repoint": list(map(list, c.integrations_to_repoint)),
            "members": table.view(start, stop),
            "graph": pages.get(c.id),
        }))
        start = stop
    return records


def _saving_inputs(inputs) -> Any:
    """:func:`plain` of a cluster's saving inputs, but its per-system ``migrating`` rows
    not checked value by value: findings.json has their figures on the members (see
    :func:`json_clusters`, which converts them) and the other reports leave them out."""
    rows = inputs.get("migrating") if type(inputs) is dict else None
    if not isinstance(rows, ColumnRows):
        return plain(inputs)
    rows = JsonColumnRows(rows.keys, rows.columns, rows.optional)
    return {str(k): rows if k == "migrating" else plain(v) for k, v in inputs.items()}


MEMBER_JSON_KEYS = ("department", "system_id", "system_key", "role", "wave", "earliest_date",
                    "score", "order", "wave_reason", "cost_on_target", "saving")
"""The keys of a member in findings.json (then any further field the analysis adds)."""
SYSTEM_REPEATS = frozenset({"name", "product", "product_id", "users", "annual_cost",
                            "contract_end", "tier", "region", "disposition",
                            "disposition_reason"})
"""Member fields findings.json leaves out: the member's entry in ``systems[]`` has them."""
_MEMBER_JOINED = {k: f"(member) {k}" for k in ("system_key", "cost_on_target", "saving")}
_TELLING = ("name", "product_id", "users", "annual_cost", "contract_end", "tier", "region")
"""What tells apart the systems-table rows of one department and system id (an inventory
may repeat an id: every row is kept, the later ones keyed ``<department>:<id>#2`` ...)."""


class Links:
    """Which systems-table row each cluster member is, and what that gives either side:
    each system's disposition and cluster, each member's system key and per-system
    saving figures. Joined once, when findings.json is written (after the reports fork),
    not while the document is built.

    A member is the analysed row whose ``system_key`` is ``<department>:<system_id>``;
    where an inventory repeats an id, the row of that id whose fields the member repeats.
    The systems outside every cluster take their disposition from the analysis'
    dispositions, on department and system id."""

    def __init__(self, frame: pd.DataFrame, dispositions):
        self.frame = frame
        self.dispositions = dispositions
        self.clusters: list[dict] = []  # the cluster records, once they are made
        self.order: LazyOrder | None = None  # the systems' display order
        self._members = None
        self._index: pd.Index | None = None

    def members(self) -> tuple[Rows, np.ndarray, np.ndarray, np.ndarray]:
        """:func:`members_table` of the clusters and each member's systems-table row (-1:
        none found)."""
        if self._members is None:
            table, cluster_of, starts = members_table(self.clusters)
            self._members = (table, cluster_of, starts, self._member_rows(table))
        return self._members

    def _analysed(self) -> np.ndarray:
        frame = self.frame
        if "status" not in frame.columns:
            return np.arange(len(frame))
        return np.flatnonzero(frame["status"].to_numpy(dtype=object) == "analysed")

    def keys(self) -> np.ndarray:
        """The system key of each analysed row (None elsewhere), and an index of them."""
        if self._index is None:
            frame = self.frame
            rows = self._analysed()
            base = _key_text(frame["department"].to_numpy(dtype=object)[rows],
                             frame["system_id"].to_numpy(dtype=object)[rows])
            if "system_key" in frame.columns:
                keys = frame["system_key"].to_numpy(dtype=object)[rows]  # a copy
                keys[pd.isna(keys)] = None
            else:
                keys = base
            self._keys = np.full(len(frame), None, dtype=object)
            self._keys[rows] = keys
            self._base = np.full(len(frame), None, dtype=object)
            self._base[rows] = base
            index = pd.Index(keys)
            if not index.is_unique:
                first = ~index.duplicated()
                index, rows = index[first], rows[first]
            self._index, self._rows = index, rows
        return self._keys

    def rows_of(self, keys: np.ndarray) -> np.ndarray:
        """The analysed row whose system key is each of ``keys`` (-1: none)."""
        self.keys()
        hit = self._index.get_indexer(keys)
        return np.where(hit >= 0, self._rows[np.maximum(hit, 0)], -1)

    def _member_rows(self, table: Rows) -> np.ndarray:
        if not len(table) or not {"department", "system_id"} <= set(self.frame.columns):
            return np.full(len(table), -1, dtype=np.int64)
        self.keys()
        base = _key_text(table.column("department").to_numpy(dtype=object),
                         table.column("system_id").to_numpy(dtype=object))
        rows = self.rows_of(base)
        # a key other than <department>:<system_id> means the id is repeated (or empty):
        # the members of such an id are matched on their other fields
        analysed = self._rows
        odd = analysed[self._keys[analysed] != self._base[analysed]]
        loose = np.zeros(len(base), dtype=bool)
        if len(odd):
            loose = pd.Series(base, dtype=object).isin(set(self._base[odd])).to_numpy()
            rows[loose] = -1
            self._match(table, base, rows, loose)
        self._base = None  # (a text per system) only the matching reads it
        return rows

    def _match(self, table: Rows, base: np.ndarray, rows: np.ndarray, loose: np.ndarray) -> None:
        """Rows for the members in ``loose``: of the analysed rows with their department and
        system id, the first not taken whose telling fields agree most with theirs."""
        which = np.flatnonzero(loose)
        wanted = set(base[which].tolist())
        candidates: dict[str, list[int]] = {}
        bases = self._base[self._rows]
        hit = np.flatnonzero(pd.Series(bases, dtype=object).isin(wanted).to_numpy())
        for r, b in zip(self._rows[hit].tolist(), bases[hit].tolist()):
            candidates.setdefault(b, []).append(r)
        systems = Rows(self.frame, SYSTEM_COLUMNS)
        fields = [k for k in _TELLING if k in table.keys]
        flat = sorted({r for rs in candidates.values() for r in rs})
        theirs = dict(zip(flat, zip(*systems.cells(fields, np.asarray(flat, dtype=np.int64)))))
        mine = list(zip(*table.cells(fields, table.positions()[which]))) if fields else \
            [()] * len(which)
        taken: set[int] = set()
        for i, values in zip(which.tolist(), mine):
            free = [r for r in candidates.get(base[i], ()) if r not in taken]
            if free:
                best = max(free, key=lambda r: (sum(a == b for a, b in zip(values, theirs[r])),
                                                -r))
                rows[i] = best
                taken.add(best)

    def system_columns(self) -> dict:
        """The joined disposition columns of the systems table (see :func:`system_records`)."""
        frame = self.frame
        out = {_JOINED + k: np.full(len(frame), None, dtype=object) for k in DISPOSITION_KEYS}
        if not {"department", "system_id"} <= set(frame.columns):
            return out
        taken = np.zeros(len(frame), dtype=bool)
        if self.clusters:
            table, cluster_of, _, rows = self.members()
            found = rows >= 0
            ids = object_array([c["id"] for c in self.clusters])[cluster_of]
            for key, value in (("disposition", table.column("disposition").to_numpy(object)),
                               ("disposition_reason",
                                table.column("disposition_reason").to_numpy(object)),
                               ("cluster", ids)):
                out[_JOINED + key][rows[found]] = value[found]
            taken[rows[found]] = True
        if not len(self.dispositions):
            return out
        dept, sid, *values = _field_arrays(
            self.dispositions, ["department", "system_id", *(f for _, f in DISPOSITION_FIELDS)])
        outside = np.flatnonzero(pd.isna(values[-1])) if self.clusters else \
            np.arange(len(dept))
        dept, sid, values = dept[outside], sid[outside], [v[outside] for v in values]
        analysed = np.zeros(len(frame), dtype=bool)
        analysed[self._analysed()] = True
        display = np.asarray(self.order.get() if self.order is not None
                             else np.arange(len(frame)), dtype=np.int64)
        rows = display[(analysed & ~taken)[display]]
        own = [frame[c].to_numpy(dtype=object) for c in ("department", "system_id")]
        which = None
        if len(rows) == len(dept):  # the dispositions are in display order: one comparison
            try:
                if (own[0][rows] == dept).all() and (own[1][rows] == sid).all():
                    which = np.arange(len(rows))
            except (TypeError, ValueError):  # a value that does not compare (pd.NA)
                pass
        if which is None:
            theirs, mine = joint_codes([dept, sid], [own[0][rows], own[1][rows]])
            keys = pd.Index(theirs)
            first = np.flatnonzero(~keys.duplicated())
            hit = keys[first].get_indexer(mine)
            rows, which = rows[hit >= 0], first[hit[hit >= 0]]
        for (key, _), column in zip(DISPOSITION_FIELDS, values):
            out[_JOINED + key][rows] = column[which]
        return out

    def member_columns(self) -> dict:
        """Each member-table row's ``system_key``, ``cost_on_target`` and ``saving`` (from
        its cluster's ``migrating`` saving inputs, joined on cluster and system; None for
        a member they do not list, such as the target)."""
        table, cluster_of, _, rows = self.members()
        out = {source: np.full(len(table.frame), None, dtype=object)
               for source in _MEMBER_JOINED.values()}
        if not len(table):
            return out
        positions = table.positions()
        keys = self.keys() if len(self.frame) else np.zeros(0, dtype=object)
        found = rows >= 0
        out[_MEMBER_JOINED["system_key"]][positions[found]] = keys[rows[found]]
        names = ("system", "cost_on_target", "saving")
        parts = [_per_system_rows(c.get("saving_inputs"), names) for c in self.clusters]
        lengths = np.asarray([len(p[0]) for p in parts], dtype=np.int64)
        if not lengths.sum() or not found.any():
            return out
        total = int(lengths.sum())
        listed = self.rows_of(np.fromiter(chain.from_iterable(p[0] for p in parts),
                                          dtype=object, count=total))
        span = len(self.frame) + 1
        wanted = np.where(found, np.asarray(cluster_of, dtype=np.int64) * span + rows, -1)
        known = np.where(listed >= 0, np.repeat(np.arange(len(parts), dtype=np.int64),
                                                lengths) * span + listed, -2)
        present, first = np.unique(known, return_index=True)
        at = np.minimum(np.searchsorted(present, wanted), len(present) - 1)
        hit = present[at] == wanted
        for i, name in enumerate(names[1:], start=1):
            column = np.fromiter(chain.from_iterable(p[i] for p in parts), dtype=object,
                                 count=total)
            out[_MEMBER_JOINED[name]][positions[hit]] = column[first[at[hit]]]
        self._index = None  # the last join that needs the index of the keys
        return out


def _key_text(department: np.ndarray, system_id: np.ndarray) -> np.ndarray:
    """``<department>:<system_id>`` of each row (how the loader keys a system)."""
    if set(map(type, system_id)) <= {str}:
        codes, names = factorize(department)
        if set(map(type, names)) <= {str} and (codes >= 0).all():
            # one new text per row: "<department>:" made once per department
            return (object_array(names) + ":")[codes] + system_id
    return object_array([f"{d}:{s}" for d, s in zip(department.tolist(), system_id.tolist())])


def _field_arrays(items, names: Sequence[str]) -> list[np.ndarray]:
    """One object array per attribute of ``items`` (a :class:`TableItems` read from its
    table's columns)."""
    if isinstance(items, TableItems) and all(n in items.table.frame for n in names):
        return [items.table.frame[n].to_numpy(dtype=object)[items.start:items.stop]
                for n in names]
    items = list(items)
    return [np.fromiter(map(attrgetter(n), items), dtype=object, count=len(items))
            for n in names]


def _per_system_rows(inputs, names: Sequence[str]) -> list[Sequence]:
    """Each of ``names`` of the saving inputs' ``migrating`` rows, as one sequence per name
    (a missing key reads as None; columns are the rows' own, not copies)."""
    rows = inputs.get("migrating") if isinstance(inputs, dict) else None
    if isinstance(rows, ColumnRows):
        n = len(rows)
        return [rows.columns[rows.keys.index(k)] if k in rows.keys else [None] * n
                for k in names]
    rows = [r for r in rows or () if isinstance(r, dict)]
    return [[r.get(k) for r in rows] for k in names]


def json_clusters(clusters: list[dict], links: Links | None = None) -> list[dict]:
    """The cluster records as findings.json has them: members by department, system id and
    system key with what belongs to the membership (:data:`MEMBER_JSON_KEYS`), each one's
    ``cost_on_target`` and ``saving`` taken from the saving inputs' ``migrating`` rows,
    which ``saving_inputs`` then leaves out. ``links`` joins members to the systems."""
    if not clusters:
        return []
    if links is None or links.clusters is not clusters:
        links = Links(pd.DataFrame(), ())
        links.clusters = clusters
    table, _, starts, _ = links.members()
    sources = {k: (source, kind) for k, source, kind in table.columns}
    keys = [k for k in MEMBER_JSON_KEYS if k in sources or k in _MEMBER_JOINED]
    keys += [k for k in table.keys if k not in SYSTEM_REPEATS and k not in keys]
    columns = [(k, _MEMBER_JOINED[k], "any") if k in _MEMBER_JOINED else (k, *sources[k])
               for k in keys]
    members = table.with_columns(columns, LazyColumns(_MEMBER_JOINED.values(),
                                                      links.member_columns))
    out = []
    for c, start in zip(clusters, starts.tolist()):
        record = dict(c, members=members.view(start, start + len(c["members"])))
        inputs = c.get("saving_inputs")
        if isinstance(inputs, dict) and "migrating" in inputs:
            record["saving_inputs"] = {k: v for k, v in inputs.items() if k != "migrating"}
        out.append(record)
    return out


class Document(dict):
    """The findings document every report reads; findings.json is :meth:`json_document`.

    In memory it holds more than the file: the cluster members with the system fields the
    pages and tables show (``name``, ``product``, ``users``, ...), each cluster's
    per-system saving inputs (``saving_inputs.migrating``) and the ``dispositions`` as a
    list. Since schema 2.0 findings.json has these once, in ``systems[]``."""

    def __init__(self, data: dict, links: Links | None = None):
        super().__init__(data)
        self.links = links
        self.pending = None

    def complete(self) -> "Document":
        """Fill in what :func:`build_document` deferred (nothing when it deferred nothing)."""
        if self.pending is not None:
            make, self.pending = self.pending, None
            self.update(make())
        return self

    def forget_caches(self, keys: Sequence[str] | None = None) -> None:
        """Drop what the writers cached on the document's tables under ``keys`` (every
        table, with the cluster members, when None; :meth:`Rows.forget`): hundreds of
        megabytes at a million systems, worth handing back once a process has written
        what reads them."""
        tables = [v for k, v in self.items() if isinstance(v, Rows) and (keys is None
                                                                          or k in keys)]
        if keys is None:
            tables += [c["members"] for c in self.get("clusters", ())
                       if isinstance(c, dict) and isinstance(c.get("members"), Rows)]
        for table in tables:
            table.forget()

    def json_document(self) -> dict:
        """The document as findings.json has it (see docs/findings-schema.md)."""
        self.complete()
        out = {k: v for k, v in self.items() if k not in MEMORY_ONLY}
        if "clusters" in out:
            out["clusters"] = json_clusters(out["clusters"], self.links)
        return out


MEMORY_ONLY = frozenset({"dispositions"})
"""Top-level keys of the in-memory document that findings.json leaves out."""


def members_table(clusters: list[dict]) -> tuple[Rows, np.ndarray, np.ndarray]:
    """Every member of ``clusters`` (document records) as one :class:`Rows`, with the
    cluster position of each row and each cluster's first row."""
    views = [c["members"] for c in clusters]
    lengths = np.asarray([len(v) for v in views], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if len(views) \
        else np.zeros(0, dtype=np.int64)
    cluster_of = np.repeat(np.arange(len(views)), lengths)
    if views and all(isinstance(v, Rows) and v.frame is views[0].frame for v in views) and \
            all(v.start == views[0].start + s for v, s in zip(views, starts)):
        first = views[0]
        table = first.view(0, int(lengths.sum()))
    else:
        records = [m for v in views for m in v]
        keys = list(dict.fromkeys(k for m in records for k in m)) or list(MEMBER_KEYS)
        frame = pd.DataFrame.from_records(records, columns=keys).astype(object)
        table = Rows(frame, [(k, k, "any") for k in keys])
    return table, cluster_of, starts


def _member_table_rows(clusters: list) -> Rows | None:
    """The members of ``clusters`` as :class:`Rows` of the one member table they are all
    ranges of (see :mod:`estate.analyse.model`), or None when they are not."""
    views = [c.members for c in clusters]
    if not views or not all(isinstance(v, TableItems) for v in views):
        return None
    table = views[0].table
    if any(v.table is not table for v in views) or not dataclasses.is_dataclass(table.kind):
        return None
    names = list(MEMBER_KEYS) + [f.name for f in dataclasses.fields(table.kind)
                                 if f.name not in MEMBER_KEYS and f.name != "members"]
    return _table_rows(table.frame, names, [(v.start, v.stop) for v in views])


def member_rows(members: list) -> Rows:
    """Cluster members as :class:`Rows`: :data:`MEMBER_KEYS`, then any further dataclass
    fields of the member type in declared order."""
    names = list(MEMBER_KEYS)
    if members and dataclasses.is_dataclass(members[0]):
        names += [f.name for f in dataclasses.fields(members[0]) if f.name not in names
                  and f.name != "members"]
    return Rows(_attribute_frame(members, names), [(n, n, "any") for n in names])


def data_quality_record(quality) -> dict:
    return {
        "scores": {d: plain(quality.scores[d]) for d in sorted(quality.scores)},
        "completeness": [{
            "department": c.department, "field": c.field, "filled": c.filled,
            "total": c.total, "share": plain(round(c.share, 6)),
        } for c in sorted(quality.completeness, key=lambda c: (c.department, c.field))],
        "findings": [f.to_dict() for f in sorted(quality.findings, key=_finding_key)],
        "unrecognised_products": [plain(u) for u in quality.unrecognised_products],
    }


def _finding_key(f) -> tuple:
    return (f.file, f.line if f.line is not None else -1, f.column or "", f.stage, f.code,
            f.message, f.department or "", f.value or "")


def graph_counts(graph) -> dict:
    """Nodes and edges of the graph by ``type``: the counts build_graph recorded while
    they are current, else one pass over the nodes and edges."""
    counts = type_counts(graph)
    if counts is not None:
        return counts
    nodes = Counter(t for _, t in graph.nodes(data="type", default="unknown"))
    edges = Counter(t for _, _, t in graph.edges(data="type", default="unknown"))
    return {"nodes": dict(sorted(nodes.items())), "edges": dict(sorted(edges.items()))}


DEFERRABLE = ("duplicates", "blocked_pairs", "standards_flags", "dispositions",
              "data_quality")
"""Keys of the document that the graph pages, the workbook, systems.csv and clusters.csv
(what the forked child of the reports may write) never read: :func:`build_document` can
leave them to :meth:`Document.complete`, which the parent calls after the fork."""


def build_document(findings, defer: bool = False) -> Document:
    """The findings document (see :class:`Document` and docs/findings-schema.md).

    With ``defer`` the keys in :data:`DEFERRABLE` hold None until
    :meth:`Document.complete` fills them in (in the same order: the written bytes do not
    change)."""
    analysis = findings.analysis
    pages = cluster_pages(analysis.clusters)
    departments = _departments(findings)
    links = Links(findings.systems, analysis.dispositions)
    clusters = cluster_records(analysis, pages)
    links.clusters = clusters
    doc = Document({
        "schema_version": SCHEMA_VERSION,
        "tool": "estate",
        "version": findings.version,
        "generated_at": findings.generated_at,
        "summary": plain(findings.summary),
        "inputs": [plain(i) for i in sorted(findings.inputs, key=lambda i: i.path)],
        "settings": plain(findings.settings.to_dict()),
        "graph": graph_counts(findings.graph),
        "systems": system_records(findings.systems, links),
        "duplicates": None,
        "clusters": clusters,
        "blocked_pairs": None,
        "as_of": plain(analysis.as_of),
        "standards_flags": None,
        "dispositions": None,
        "data_quality": None,
        "pages": {
            "report": "report.html",
            "estate_graph": "estate-graph.html",
            "data_flow": "data-flow.html",
            "clusters": pages,
            "departments": department_pages(departments, _department_sizes(findings)),
        },
    }, links)
    doc.pending = lambda: {
        "duplicates": duplicate_records(analysis),
        "blocked_pairs": [plain(p) for p in analysis.blocked_pairs],
        "standards_flags": [plain(f) for f in analysis.standards_flags],
        "dispositions": dataclass_rows(analysis.dispositions),
        "data_quality": data_quality_record(findings.data_quality),
    }
    if not defer:
        doc.complete()
    return doc


def _department_sizes(findings) -> dict[str, int]:
    if "department" not in findings.systems.columns:
        return {}
    counts = findings.systems["department"].dropna().astype(str).value_counts(sort=False)
    return {str(k): int(v) for k, v in counts.items()}


def _departments(findings) -> list[str]:
    names = set()
    if "department" in findings.systems.columns:
        names.update(str(d) for d in findings.systems["department"].dropna().unique())
    graph = findings.graph
    names.update(str(n)[5:] for n in graph if (n if type(n) is str else str(n)).startswith(
        "dept:") and graph.nodes[n].get("type") == "department")
    return sorted(names)
