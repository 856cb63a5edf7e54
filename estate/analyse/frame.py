"""Read the estate graph into the flat tables the analysis works on.

The analysis is column arithmetic (groupby, map, transform), so the system nodes are read
once into a DataFrame, the integration edges into a pair table, and everything after
that works on those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import repeat
from operator import truth

import networkx as nx
import numpy as np
import pandas as pd

from estate.arrays import factorize, object_array, sorted_unique
from estate.graph import integration_index

COLUMNS = (
    "system_key", "department", "system_id", "name", "vendor", "product", "capability",
    "instance", "hosting", "region", "users", "annual_cost", "contract_end", "lifecycle",
    "classification", "owner", "data_domains", "product_id", "product_name",
    "vendor_name", "capability_id", "capability_name", "capability_group", "tier",
    "tier_assumed", "version", "notes", "integrates_with",
)


def slug(text: object) -> str:
    """Lower-case words joined by ``-``: the stable part of an id."""
    return re.sub(r"[^0-9a-z]+", "-", str(text).casefold()).strip("-") or "none"


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, (str, tuple, list)) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def phrases_in(text: object, phrases) -> list[str]:
    """The phrases (case-insensitive, whole words) that occur in ``text``.

    Inventories write "Cloud (SaaS)", "AWS (public cloud)" or "Retiring 2026" where a
    setting says "saas", "public cloud" or "retiring"; an exact value is the best match.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    clean = " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())
    found = []
    for phrase in phrases:
        key = " ".join(re.sub(r"[^0-9a-z]+", " ", phrase.casefold()).split())
        if key and (clean == key or re.search(rf"(?<![0-9a-z]){re.escape(key)}(?![0-9a-z])",
                                             clean)):
            found.append(phrase)
    return found


def map_unique(values: pd.Series, fn) -> pd.Series:
    """``fn`` applied once per distinct value (inventories repeat values a lot); a
    missing value is passed as None. One hash pass and one take, whatever the rows."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return pd.Series(map_codes(codes, uniques, fn), index=values.index, dtype=object)


def map_codes(codes: np.ndarray, distinct, fn) -> np.ndarray:
    """``fn`` of each row's value, given as its code into ``distinct`` (-1: missing,
    passed as None), calling ``fn`` once per distinct value; an object array."""
    table = np.empty(len(distinct) + 1, dtype=object)
    table[:-1] = object_array([fn(value) for value in distinct])
    if (codes < 0).any():
        table[-1] = fn(None)
    return table[codes]


def sorted_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, sort=True)`` as int64 codes (-1 where missing) and an object
    array of the distinct values: sorting or grouping by the codes is sorting or grouping
    by the values. Distinct texts are sorted as numpy strings (see :func:`_text_order`),
    much faster than comparing Python objects."""
    array = np.asarray(values, dtype=object)
    codes, uniques = factorize(array)
    found = _sorted_from(codes, uniques)
    if found is None:  # not all text: pandas' own sort
        codes, uniques = pd.factorize(array, sort=True)
        return codes.astype(np.int64), np.asarray(uniques, dtype=object)
    return found


def sorted_from_codes(codes: np.ndarray, distinct: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`sorted_codes` of the column whose rows have ``codes`` (-1: missing) into
    ``distinct`` (distinct text, some perhaps unused): integer work on codes already
    known, no hashing of the rows. None when the distinct values are not all text."""
    codes = np.asarray(codes, dtype=np.int64)
    used = np.bincount(codes[codes >= 0], minlength=len(distinct)) > 0
    if not used.all():  # only the values some row has, as factorising the rows gives
        renumber = np.cumsum(used) - 1
        codes = np.where(codes >= 0, renumber[np.maximum(codes, 0)], -1)
        distinct = distinct[used]
    return _sorted_from(codes, np.asarray(distinct, dtype=object))


def _sorted_from(codes: np.ndarray, uniques: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes into distinct ``uniques`` renumbered to their sorted order (None when they
    are not all text)."""
    if len(uniques) < 2:
        return codes.astype(np.int64), uniques
    order = _text_order(uniques)
    if order is None:
        return None
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], -1), uniques[order]


def systems_frame(graph: nx.DiGraph, default_tier: str = "OFFICIAL",
                  systems: pd.DataFrame | None = None,
                  columns: Iterable[str] | None = None,
                  codes: dict | None = None) -> pd.DataFrame:
    """One row per analysed system node, indexed by ``system_key``, sorted.

    ``default_tier`` fills a missing ``tier`` (graph.py normally sets it already). With
    ``systems`` (the normalised table the graph was built from) the attributes are read
    from its columns and only ``tier``/``tier_assumed`` from the nodes: column copies
    instead of one dict per system. Without it, the graph's own systems table
    (``graph.graph["systems"]``, indexed by node id) is read the same way; only a graph
    without that table is read from its node dicts. With ``columns``, only those of
    :data:`COLUMNS` (and what the derived columns are made from) are read: a column
    nobody reads is not cleaned. ``codes``, when given, gets for some text columns read
    from a table ``{column: (codes, distinct texts)}`` as factorising the column on the
    way gave them, so :func:`sorted_from_codes` need not hash its rows again.
    """
    wanted = list(COLUMNS) if columns is None else [
        c for c in COLUMNS if c in set(columns) | _ALWAYS]
    table = graph.graph.get("systems")
    in_order = True  # the table is read in key order, texts trimmed and keys filled
    if systems is not None:
        df = _from_table(graph, systems, wanted=wanted, codes=codes)
    elif isinstance(table, pd.DataFrame):
        df = _from_table(graph, table.assign(system_key=_keys_of(table)), own_tiers=True,
                         wanted=wanted, codes=codes)
    else:
        df, in_order = _from_nodes(graph), False
        df = df[[*wanted, "node"]]
    if df.empty:
        return df.set_index("system_key", drop=False)
    if not in_order:
        for col in _TEXT_IN:
            if col in df:
                df[col] = _texts(df[col])
        missing_key = df["system_key"].isna()
        df.loc[missing_key, "system_key"] = (
            df.loc[missing_key, "department"].astype(str) + ":"
            + df.loc[missing_key, "system_id"].astype(str))
    df["name"] = df["name"].fillna(df["system_id"])
    df["users"] = pd.to_numeric(df["users"], errors="coerce").astype("float64")
    df["annual_cost"] = pd.to_numeric(df["annual_cost"], errors="coerce").astype("float64")
    if not in_order:
        df["contract_end"] = _dates(df["contract_end"])
    df["data_domains"] = _domains(df["data_domains"])
    nodes = graph._node

    def strategic(pid: object) -> bool:
        attrs = nodes.get(f"product:{pid}") if pid is not None else None
        return bool(attrs is not None and attrs.get("type") == "product"
                    and attrs.get("strategic"))

    if codes is not None and "product_id" in codes:  # from the codes: no hashing again
        df["strategic"] = map_codes(*codes["product_id"], strategic).astype(bool)
    else:
        df["strategic"] = map_unique(df["product_id"], strategic).astype(bool)
    df["vendor_key"] = map_unique(df["vendor_name"].where(df["vendor_name"].notna(),
                                                          df["vendor"]),
                                  lambda v: slug(v) if v else None)
    df["tier"] = df["tier"].fillna(default_tier)
    df["tier_assumed"] = df["tier_assumed"].eq(True).astype(bool)
    if not in_order:
        df = df.take(_key_order(df["system_key"].to_numpy(dtype=object)))
    df = df.set_index("system_key", drop=False)
    df.index.name = None
    return df


def _key_order(keys: np.ndarray) -> np.ndarray:
    """The stable sort order of the system keys (``sort_values`` of them)."""
    order = _text_order(keys)
    if order is None:
        return pd.Series(keys, dtype=object).sort_values(kind="stable").index.to_numpy()
    return order


def _text_order(values: np.ndarray) -> np.ndarray | None:
    """The stable sort order of an object array that holds only text, compared as numpy
    strings (UTF-8 bytes sort as the code points do); None when it holds anything else
    (or text numpy cannot hold)."""
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        return None
    try:
        return np.argsort(values.astype(np.dtypes.StringDType()), kind="stable")
    except (UnicodeError, TypeError, ValueError):
        return None


def _domain_key(value: object) -> tuple:
    if not isinstance(value, (list, tuple, set, frozenset)):
        return ()
    return tuple(sorted({str(x).strip().casefold() for x in value if str(x).strip()}))


def _domains(values: pd.Series) -> pd.Series:
    """Each cell's data domains as a sorted tuple of distinct casefolded names, worked out
    once per distinct cell (tuples hash as they are; lists are made tuples first)."""
    try:
        return map_unique(values, _domain_key)
    except TypeError:  # unhashable cells (lists, sets)
        return map_unique(values.map(lambda v: tuple(v) if isinstance(
            v, (list, tuple, set, frozenset)) else ()), _domain_key)


def _texts(values: pd.Series) -> pd.Series:
    """``map_unique(values, _text)``; when every distinct value is text (the usual case),
    trimmed with one C-level pass over the distinct values instead of a call each."""
    return pd.Series(_texts_at(values), index=values.index, dtype=object)


def _texts_at(values: pd.Series, at: np.ndarray | None = None,
              codes_out: list | None = None) -> np.ndarray:
    """:func:`_texts` of the cells at positions ``at`` (all when None), as an object
    array: the column is factorised where it is and only the codes are picked, so the
    text cells are never copied to pick rows first. When the column was factorised and
    ``codes_out`` is given, the codes of the result (-1: None) and the distinct texts
    they point into are appended to it (see :func:`sorted_from_codes`)."""
    raw = getattr(values.array, "_ndarray", None) if isinstance(values.dtype, pd.StringDtype) \
        else None
    if not isinstance(raw, np.ndarray) or raw.dtype != object:
        raw = values.to_numpy(dtype=object) if values.dtype == object else None
    if raw is None:
        mapped = map_unique(values, _text).to_numpy(object)
        return mapped if at is None else mapped[at]
    if codes_out is None and len(raw) > _SAMPLE and \
            len(pd.unique(raw[:_SAMPLE])) > _SAMPLE // 2:
        # mostly distinct (ids, names): trimming each cell costs less than hashing them,
        # unless the codes are wanted (hashing them later again costs more)
        picked = raw if at is None else raw[at]
        missing = pd.isna(picked)
        cells = picked[~missing]
        if pd.api.types.infer_dtype(cells, skipna=False) == "string":
            out = np.full(len(picked), None, dtype=object)
            out[~missing] = [t.strip() or None for t in cells.tolist()]
            return out
    codes, uniques = factorize(raw)
    distinct = uniques.tolist()
    if set(map(type, distinct)) - {str}:
        mapped = map_unique(values, _text).to_numpy(object)
        return mapped if at is None else mapped[at]
    stripped = list(map(str.strip, distinct))
    table = np.empty(len(distinct) + 1, dtype=object)
    table[:-1] = [t or None for t in stripped]
    table[-1] = None
    picked = codes if at is None else codes[at]
    if codes_out is not None:
        if all(stripped) and stripped == distinct:  # nothing trimmed: the codes hold
            codes_out.append((picked.astype(np.int64), table[:-1]))
        else:  # trimming may make two texts one, or a text None: codes of the trimmed
            trimmed, texts = pd.factorize(table[:-1])
            codes_out.append((np.append(trimmed, -1).astype(np.int64)[picked],
                              np.asarray(texts, dtype=object)))
    return table[picked]


_ALWAYS = frozenset({"system_key", "department", "system_id", "name", "users", "annual_cost",
                     "contract_end", "data_domains", "product_id", "vendor_name", "vendor",
                     "tier", "tier_assumed"})
"""What :func:`systems_frame` reads whatever ``columns`` says (the derived columns)."""
_KEPT_CODES = frozenset({"department", "instance", "system_id", "product_id", "product_name",
                         "capability_id", "capability_name", "lifecycle", "region"})
"""Text columns whose codes :func:`systems_frame` hands on (what the analysis codes; columns
it changes after reading them, ``name`` and ``tier``, are not among them)."""
_SAMPLE = 4096
"""Cells looked at to tell a mostly distinct text column from a repetitive one."""
_TEXT_IN = ("department", "system_id", "name", "vendor", "product", "instance", "hosting",
            "region", "lifecycle", "product_id", "product_name", "vendor_name",
            "capability_id", "capability_name", "capability_group", "tier", "contract_end",
            "owner", "classification", "version", "notes")
"""Columns read as trimmed text (None when blank) whatever their type in the input."""
_NUMBERS = ("users", "annual_cost")
"""Read as numbers: a numeric input column is taken as it is (no object copy to parse)."""


def _dates(values: pd.Series) -> pd.Series:
    """``pd.to_datetime(values, errors="coerce")``, parsing each distinct value once (the
    first value, which sets the inferred format, is the same)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = pd.to_datetime(pd.Series(np.asarray(uniques, dtype=object), dtype=object),
                            errors="coerce")
    if not len(parsed):
        return pd.to_datetime(values, errors="coerce")
    out = parsed.take(np.where(codes < 0, 0, codes)).where(codes >= 0, pd.NaT)
    return pd.Series(out.to_numpy(), index=values.index)


def _from_nodes(graph: nx.DiGraph) -> pd.DataFrame:
    records = []
    for node, attrs in graph.nodes(data=True):
        if attrs.get("type") != "system" or attrs.get("external"):
            continue
        if attrs.get("status") not in (None, "analysed"):
            continue
        rec = {c: attrs.get(c) for c in COLUMNS}
        rec["node"] = node
        records.append(rec)
    return pd.DataFrame.from_records(records, columns=[*COLUMNS, "node"])


def _keys_of(table: pd.DataFrame) -> pd.Series:
    """The system key of each row of the graph's systems table (its node id without
    ``sys:`` where the row gives none)."""
    from_index = pd.Series(table.index.astype(str), index=table.index).str.removeprefix("sys:")
    if "system_key" not in table:
        return from_index
    return table["system_key"].where(table["system_key"].notna(), from_index)


def _from_table(graph: nx.DiGraph, systems: pd.DataFrame, own_tiers: bool = False,
                wanted: list[str] = list(COLUMNS), codes: dict | None = None) -> pd.DataFrame:
    """The analysed rows of the table that have a system node in ``graph``, with the
    text columns already read as :func:`_texts` and the keys filled, in key order.

    ``tier``/``tier_assumed`` come from the nodes, or from the table when ``own_tiers``
    (the graph's own table holds the nodes' values). The rows and their key order are
    worked out first; then each column is read once, straight at those rows. ``codes``
    (see :func:`systems_frame`) gets the codes of the columns factorised on the way.
    """
    n = len(systems)
    rows = np.flatnonzero((systems["status"] == "analysed").to_numpy(bool, na_value=False)) \
        if "status" in systems else np.arange(n)
    keys = systems["system_key"].to_numpy(dtype=object)[rows] if "system_key" in systems \
        else np.full(len(rows), None, dtype=object)
    nodes = list(map("sys:".__add__, map(str, keys.tolist())))
    # the node dicts ({} for no node) and what is read of them: C passes, no Python loop
    attrs = list(map(graph._node.get, nodes, repeat({})))
    keep = ((object_array(list(map(dict.get, attrs, repeat("type")))) == "system")
            & ~np.fromiter(map(truth, map(dict.get, attrs, repeat("external"))),
                           dtype=bool, count=len(attrs)))
    rows, keys = rows[keep], keys[keep]

    def texts(c: str, at: np.ndarray, coded: list | None = None) -> np.ndarray:
        if c not in systems:
            return np.full(len(at), None, dtype=object)
        return _texts_at(systems[c], at, coded)

    missing = pd.isna(keys)
    if missing.any():
        keys = keys.copy()
        keys[missing] = (pd.Series(texts("department", rows[missing]), dtype=object).astype(str)
                         + ":" + pd.Series(texts("system_id", rows[missing]),
                                           dtype=object).astype(str)).to_numpy(object)
    order = _key_order(keys)
    at = rows[order]

    def column(c: str) -> pd.Series:
        if c == "contract_end":  # parsed in row order (the first value sets the format)
            return pd.Series(_dates(pd.Series(texts(c, rows), dtype=object)).to_numpy()[order])
        values = systems[c] if c in systems else None
        if c in _NUMBERS and values is not None and pd.api.types.is_numeric_dtype(values):
            return pd.Series(values.array.take(at), dtype=values.dtype)
        if c == "system_key":
            found = keys[order]
        elif c in _TEXT_IN and (c != "tier" or own_tiers):
            made: list = []
            found = texts(c, at, made if codes is not None and c in _KEPT_CODES else None)
            if made:
                codes[c] = made[0]
        elif values is None:
            found = np.full(len(at), None, dtype=object)
        else:
            found = values.to_numpy(dtype=object)[at]
        return pd.Series(found, dtype=object)

    df = pd.DataFrame({c: column(c) for c in wanted}, copy=False)
    df["node"] = np.asarray(nodes, dtype=object)[keep][order]
    if not own_tiers:
        kept = object_array(attrs)[np.flatnonzero(keep)[order]].tolist()
        df["tier"] = _texts(pd.Series(list(map(dict.get, kept, repeat("tier"))), dtype=object))
        df["tier_assumed"] = list(map(dict.get, kept, repeat("tier_assumed")))
    return df


def integration_edges(graph: nx.DiGraph, systems: pd.DataFrame) -> pd.DataFrame:
    """``integrates_with`` edges touching an analysed system: ``source``, ``target`` keys,
    without repeats or self-loops, sorted.

    An edge to an external system (listed by no inventory) keeps the node id as its key,
    so it still counts as an integration to re-point.
    """
    return edge_ends(graph, systems)[0]


def edge_ends(graph: nx.DiGraph, systems: pd.DataFrame
              ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """:func:`integration_edges` and, per edge, the ``systems`` row of its source and of
    its target (-1 for an end outside the table; two ends with one key share one row or
    one negative id, so integer ends compare as the keys do)."""
    table = integration_index(graph)
    if table is not None:
        sources = table["source"].to_numpy(dtype=object)
        targets = table["target"].to_numpy(dtype=object)
    else:
        pairs = [(u, v) for u, out in graph.adj.items()  # the adjacency dicts
                 for v, attrs in out.items() if attrs.get("type") == "integrates_with"]
        sources = np.asarray([u for u, _ in pairs] or [], dtype=object)
        targets = np.asarray([v for _, v in pairs] or [], dtype=object)
    keys = systems["system_key"].to_numpy(dtype=object)
    index = pd.Index(systems["node"].to_numpy(dtype=object))
    if not (index.is_unique and pd.Index(keys).is_unique
            and pd.Index(keys).is_monotonic_increasing):
        return _edges_by_text(graph, systems, sources, targets)
    s_row, t_row = index.get_indexer(sources), index.get_indexer(targets)
    touching = (s_row >= 0) | (t_row >= 0)
    s_row, t_row = s_row[touching], t_row[touching]
    outside = pd.unique(np.concatenate([sources[touching][s_row < 0],
                                        targets[touching][t_row < 0]]))
    outer = np.asarray([_external_key(graph, n) for n in outside], dtype=object)
    # Each distinct end key gets a rank in key order: the table's rows are sorted by key,
    # the few outside keys are merged in (one equal to a row's key takes that row).
    at = np.searchsorted(keys, outer) if len(outer) else np.zeros(0, dtype=np.int64)
    same = (at < len(keys)) & (keys[np.minimum(at, max(len(keys) - 1, 0))] == outer) \
        if len(keys) else np.zeros(len(outer), dtype=bool)
    names = np.asarray(sorted(set(outer[~same].tolist())), dtype=object)
    name_at = np.searchsorted(keys, names) if len(names) else np.zeros(0, dtype=np.int64)
    row_rank = np.arange(len(keys)) + np.searchsorted(name_at, np.arange(len(keys)),
                                                      side="right")
    name_rank = name_at + np.arange(len(names))
    outer_rank = np.empty(len(outer), dtype=np.int64)
    outer_rank[same] = row_rank[at[same]]
    if len(names):
        outer_rank[~same] = name_rank[np.searchsorted(names, outer[~same])]
    count = len(keys) + len(names)
    key_of = np.empty(count, dtype=object)
    key_of[row_rank] = keys
    key_of[name_rank] = names
    row_of = np.full(count, -1, dtype=np.int64)
    row_of[row_rank] = np.arange(len(keys))
    lookup = {n: r for n, r in zip(outside.tolist(), outer_rank.tolist())}

    def ranks(rows: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        out = np.where(rows >= 0, row_rank[np.maximum(rows, 0)], 0)
        out[rows < 0] = [lookup[n] for n in nodes[rows < 0].tolist()]
        return out

    s_rank = ranks(s_row, sources[touching])
    t_rank = ranks(t_row, targets[touching])
    code = sorted_unique(s_rank[s_rank != t_rank].astype(np.int64) * count
                         + t_rank[s_rank != t_rank])
    s_rank, t_rank = code // count, code % count
    edges = pd.DataFrame({"source": key_of[s_rank], "target": key_of[t_rank]})
    # An end outside the table: minus one minus its rank (distinct per key).
    s_end = np.where(row_of[s_rank] >= 0, row_of[s_rank], -1 - s_rank)
    t_end = np.where(row_of[t_rank] >= 0, row_of[t_rank], -1 - t_rank)
    return edges, s_end, t_end


def _edges_by_text(graph: nx.DiGraph, systems: pd.DataFrame, sources: np.ndarray,
                   targets: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """:func:`edge_ends` through the key text (a table whose keys repeat or are out of
    order)."""
    key_of = dict(zip(systems["node"].tolist(), systems["system_key"].tolist()))
    rows = [(key_of[u] if u in key_of else _external_key(graph, u),
             key_of[v] if v in key_of else _external_key(graph, v))
            for u, v in zip(sources.tolist(), targets.tolist()) if u in key_of or v in key_of]
    edges = _edge_table(rows)
    position = pd.Series(np.arange(len(systems)), index=systems["system_key"].to_numpy(object))
    position = position[~position.index.duplicated(keep="first")]
    codes, _ = pd.factorize(np.concatenate([edges["source"].to_numpy(object),
                                            edges["target"].to_numpy(object)]))
    ends = []
    for col, part in (("source", codes[:len(edges)]), ("target", codes[len(edges):])):
        row = edges[col].map(position)
        ends.append(np.where(row.notna(), row.fillna(-1).to_numpy(float).astype(np.int64),
                             -1 - part))
    return edges, ends[0], ends[1]


def _edge_table(rows: list[tuple[str, str]]) -> pd.DataFrame:
    edges = pd.DataFrame(rows, columns=["source", "target"]).drop_duplicates()
    edges = edges[edges["source"] != edges["target"]]
    return edges.sort_values(["source", "target"], kind="stable").reset_index(drop=True)


def _external_key(graph: nx.DiGraph, node: str) -> str:
    key = graph.nodes[node].get("system_key")
    if key:
        return str(key)
    return node[len("sys:"):] if str(node).startswith("sys:") else str(node)


TEXT_COLUMNS = ("department", "system_id", "name", "vendor", "product", "instance", "hosting",
                "region", "lifecycle", "product_id", "product_name", "vendor_name",
                "capability_id", "capability_name", "tier", "vendor_key")


def with_none(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as objects holding None for missing (joins turn None into NaN)."""
    df = df.copy(deep=False)  # the columns changed are replaced, not written into
    for col in TEXT_COLUMNS:
        if col in df:
            values = df[col]
            if values.dtype == object:
                cells = values.to_numpy()
                missing = cells[pd.isna(cells)]
                if set(missing.tolist()) <= {None}:
                    continue  # None already
            df[col] = values.astype(object).where(values.notna(), None)
    return df
