"""Read the estate graph into the flat tables the analysis works on.

The analysis is column arithmetic (groupby, map, transform), so the system nodes are read
once into a DataFrame, the integration edges into a pair table, and everything after
that works on those.
"""

from __future__ import annotations

import re

import networkx as nx
import numpy as np
import pandas as pd

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
    table = np.empty(len(uniques) + 1, dtype=object)
    for k, value in enumerate(uniques):
        table[k] = fn(value)
    if (codes < 0).any():
        table[-1] = fn(None)
    return pd.Series(table[codes], index=values.index, dtype=object)


def systems_frame(graph: nx.DiGraph, default_tier: str = "OFFICIAL",
                  systems: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per analysed system node, indexed by ``system_key``, sorted.

    ``default_tier`` fills a missing ``tier`` (graph.py normally sets it already). With
    ``systems`` (the normalised table the graph was built from) the attributes are read
    from its columns and only ``tier``/``tier_assumed`` from the nodes: column copies
    instead of one dict per system. Without it, the graph's own systems table
    (``graph.graph["systems"]``, indexed by node id) is read the same way; only a graph
    without that table is read from its node dicts.
    """
    table = graph.graph.get("systems")
    if systems is not None:
        df = _from_table(graph, systems)
    elif isinstance(table, pd.DataFrame):
        df = _from_table(graph, table.assign(system_key=_keys_of(table)), own_tiers=True)
    else:
        df = _from_nodes(graph)
    if df.empty:
        return df.set_index("system_key", drop=False)
    for col in _TEXT_IN:
        df[col] = map_unique(df[col], _text)
    missing_key = df["system_key"].isna()
    df.loc[missing_key, "system_key"] = (df.loc[missing_key, "department"].astype(str) + ":"
                                         + df.loc[missing_key, "system_id"].astype(str))
    df["name"] = df["name"].fillna(df["system_id"])
    df["users"] = pd.to_numeric(df["users"], errors="coerce").astype("float64")
    df["annual_cost"] = pd.to_numeric(df["annual_cost"], errors="coerce").astype("float64")
    df["contract_end"] = _dates(df["contract_end"])
    df["data_domains"] = map_unique(df["data_domains"].map(
        lambda v: tuple(v) if isinstance(v, (list, tuple, set, frozenset)) else ()),
        lambda v: tuple(sorted({str(x).strip().casefold() for x in v if str(x).strip()})))
    product_attrs = {n[len("product:"):]: a for n, a in graph.nodes(data=True)
                     if a.get("type") == "product"}
    strategic = {pid: bool(a.get("strategic")) for pid, a in product_attrs.items()}
    df["strategic"] = df["product_id"].map(strategic).eq(True).astype(bool)
    df["vendor_key"] = map_unique(df["vendor_name"].where(df["vendor_name"].notna(),
                                                          df["vendor"]),
                                  lambda v: slug(v) if v else None)
    df["tier"] = df["tier"].fillna(default_tier)
    df["tier_assumed"] = df["tier_assumed"].eq(True).astype(bool)
    df = df.sort_values("system_key", kind="stable").set_index("system_key", drop=False)
    df.index.name = None
    return df


_TEXT_IN = ("department", "system_id", "name", "vendor", "product", "instance", "hosting",
            "region", "lifecycle", "product_id", "product_name", "vendor_name",
            "capability_id", "capability_name", "capability_group", "tier", "contract_end",
            "owner", "classification", "version", "notes")
"""Columns read as trimmed text (None when blank) whatever their type in the input."""


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


def _from_table(graph: nx.DiGraph, systems: pd.DataFrame,
                own_tiers: bool = False) -> pd.DataFrame:
    """The analysed rows of the table that have a system node in ``graph``.

    ``tier``/``tier_assumed`` come from the nodes, or from the table when ``own_tiers``
    (the graph's own table holds the nodes' values).
    """
    rows = systems[systems["status"] == "analysed"] if "status" in systems else systems
    df = pd.DataFrame({c: (rows[c].reset_index(drop=True) if c in _TEXT_IN
                           else pd.Series(rows[c].to_numpy(dtype=object), dtype=object))
                       if c in rows else pd.Series([None] * len(rows), dtype=object)
                       for c in COLUMNS})
    df["node"] = ("sys:" + df["system_key"].astype(str)).to_numpy()
    nodes = graph.nodes
    attrs = [nodes[n] if n in nodes else None for n in df["node"]]
    keep = [a is not None and a.get("type") == "system" and not a.get("external")
            for a in attrs]
    df = df[keep].reset_index(drop=True)
    if not own_tiers:
        attrs = [a for a, k in zip(attrs, keep) if k]
        df["tier"] = [a.get("tier") for a in attrs]
        df["tier_assumed"] = [a.get("tier_assumed") for a in attrs]
    return df


def integration_edges(graph: nx.DiGraph, systems: pd.DataFrame) -> pd.DataFrame:
    """``integrates_with`` edges touching an analysed system: ``source``, ``target`` keys.

    An edge to an external system (listed by no inventory) keeps the node id as its key,
    so it still counts as an integration to re-point.
    """
    key_of = dict(zip(systems["node"].tolist(), systems["system_key"].tolist()))
    table = integration_index(graph)
    if table is not None:
        touching = table[table["source"].isin(key_of) | table["target"].isin(key_of)]
        ends = pd.unique(pd.concat([touching["source"], touching["target"]]))
        keys = {n: key_of[n] if n in key_of else _external_key(graph, n) for n in ends}
        rows = list(zip(touching["source"].map(keys), touching["target"].map(keys)))
        return _edge_table(rows)
    rows = []
    for u, targets in graph.adj.items():  # the adjacency dicts: no tuple per other edge
        for v, attrs in targets.items():
            if attrs.get("type") != "integrates_with" or (u not in key_of
                                                          and v not in key_of):
                continue
            rows.append((key_of[u] if u in key_of else _external_key(graph, u),
                         key_of[v] if v in key_of else _external_key(graph, v)))
    return _edge_table(rows)


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
    df = df.copy()
    for col in TEXT_COLUMNS:
        if col in df:
            df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df
