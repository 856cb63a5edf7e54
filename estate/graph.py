"""Build the typed networkx graph of the estate from the normalised systems table.

The graph is the single source of truth the analysis and the reports read. It is a
``networkx.DiGraph``; every node has a ``type`` and a ``label``, every edge a ``type``
(each edge its own attribute dict).

Nodes (id prefix -> type):
- ``dept:<department>`` -> ``department``
- ``sys:<system_key>`` -> ``system``. The node holds only what topology questions need:
  ``type``, ``label`` (name, else system id), ``external`` (False), ``department``,
  ``system_id``, ``system_key``, ``product_id``, ``capability_id``, ``tier``,
  ``tier_assumed``. Every other attribute is in ``graph.graph["systems"]`` (below);
  ``system_attributes(graph, node)`` returns the full dict of one node.
- ``product:<product_id>`` -> ``product`` (``unrecognised:*`` groups included)
- ``vendor:<vendor slug>`` -> ``vendor``
- ``cap:<capability_id>`` -> ``capability``
- ``data:<domain slug>`` -> ``data_domain``

Edges (source -> target, ``type``):
- department -> system: ``owns``
- system -> product: ``runs``
- product -> vendor: ``made_by``
- system -> capability and product -> capability: ``provides``
- system -> system: ``integrates_with`` (direction as written in the inventory; an edge
  to a system id that no inventory lists goes to a node of type ``system`` with
  ``external=True`` (and only ``type`` and ``label``) and is reported)
- system -> data domain: ``holds_data``

``graph.graph``:
- ``"systems"``: a DataFrame with one row per inventory system node (external nodes have
  none), in node order, indexed by node id (``sys:<system_key>``). Columns: every
  canonical field plus the normalise columns, ``system_key``, ``source_file``,
  ``source_line``, ``tier``, ``tier_assumed``. All columns are ``object`` dtype holding
  plain Python values: ``None`` for a missing value, ISO ``YYYY-MM-DD`` text for dates,
  ``int``/``float``/``bool``/``str``, tuples for list fields. One table instead of one
  attribute dict per system keeps the graph small (a dict per node cost ~40 keys).
- ``"integrations"``: the ``integrates_with`` edges build_graph added, as a DataFrame of
  ``source`` and ``target`` node ids, and ``"edge_count"``, the number of edges then.
  Read it through :func:`integration_index`, which gives it only while the graph still
  has that many edges (after edges are added or removed, readers walk the edges).
- ``"findings"``: the sorted ``unknown-integration`` findings.
- ``"type_counts"``: ``{"nodes": {type: n}, "edges": {type: n}}``, sorted by type, and
  ``"node_count"``, the number of nodes then. Read it through :func:`type_counts`, which
  gives it only while the graph still has as many nodes and edges as then.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from operator import methodcaller

import networkx as nx
import numpy as np
import pandas as pd

from estate.errors import Finding
from estate.memory import gc_paused
from estate.schema import CLASSIFICATION_TIER, FIELD_NAMES, FIELDS_BY_NAME
from estate.settings import Settings

NORMALISED_COLUMNS: tuple[str, ...] = (
    "product_id", "product_name", "vendor_name", "capability_id", "capability_name",
    "capability_group", "match_stage", "match_score", "match_input",
)
SYSTEM_ATTRIBUTES: tuple[str, ...] = tuple(dict.fromkeys(
    FIELD_NAMES + NORMALISED_COLUMNS + ("system_key", "source_file", "source_line")))
NODE_ATTRIBUTES: tuple[str, ...] = (
    "type", "label", "external", "department", "system_id", "system_key",
    "product_id", "capability_id", "tier", "tier_assumed")
"""The attributes a system node carries; the rest are in ``graph.graph["systems"]``.
Ten keys fit CPython's smaller dict table (eleven double it: ~190 MB more at 1M systems);
the name is in the label and the table."""


def slug(text: str) -> str:
    """A lower-case, dash-separated form of a name, used in node ids and lookups."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def system_node(system_key: str) -> str:
    return f"sys:{system_key}"


def system_attributes(graph: nx.DiGraph, node: str) -> dict:
    """Every attribute of one node as a new dict: for an inventory system its node
    attributes plus its row of ``graph.graph["systems"]`` (what each system node held
    before nodes were slimmed), for any other node a copy of its node dict."""
    attrs = graph.nodes[node]
    table = graph.graph.get("systems")
    if table is None or attrs.get("external") or node not in table.index:
        return dict(attrs)
    out = {k: attrs[k] for k in ("type", "label", "external") if k in attrs}
    out.update(zip(table.columns.tolist(), table.loc[node].tolist()))
    out.update(attrs)
    return out


def build_graph(systems: pd.DataFrame, settings: Settings | None = None,
                products: pd.DataFrame | None = None) -> nx.DiGraph:
    """Build the typed estate graph from the normalised systems table.

    Only rows with ``status == "analysed"`` become systems. ``products`` (optional) is a
    table of catalogue attributes indexed by ``product_id`` (for example ``strategic`` and
    ``eol_id``) copied onto the product nodes. Integration references that match no system
    become ``external`` system nodes and are recorded as findings in
    ``graph.graph["findings"]``.

    Node ids are made once per distinct value and reused by every edge, so the graph
    holds one string per node rather than one per edge end.
    """
    with gc_paused():
        return _build(systems, settings or Settings(), products)


def _build(systems: pd.DataFrame, settings: Settings, products: pd.DataFrame | None
           ) -> nx.DiGraph:
    analysed = (systems["status"] == "analysed").to_numpy(dtype=bool, na_value=False)
    keep = None if analysed.all() else np.flatnonzero(analysed)
    columns = {c: systems[c] for c in SYSTEM_ATTRIBUTES if c in systems.columns}
    tiers = systems if "tier" in systems.columns else assign_tiers(
        systems[["classification"]], settings.assume_classification)
    columns.update(tier=tiers["tier"], tier_assumed=tiers["tier_assumed"])

    table = _systems_table(columns, keep)
    # The rest reads the table by position (a view: no copy of the columns).
    rows = table.reset_index(drop=True)
    graph = nx.DiGraph(systems=table, type_counts={"nodes": {}, "edges": {}})
    sys_ids = table.index.to_numpy(dtype=object)
    dept_ids = node_ids("dept:", rows["department"])

    depts = sorted(rows["department"].dropna().unique())
    _add_nodes(graph, [f"dept:{d}" for d in depts],
               [{"type": "department", "label": d} for d in depts])
    _add_nodes(graph, table.index.tolist(), _system_nodes(table))
    _add_edges(graph, dept_ids.tolist(), sys_ids.tolist(), "owns")

    _add_catalogue_nodes(graph, rows, sys_ids, products)
    _add_data_domains(graph, rows, sys_ids)
    _add_integrations(graph, rows, sys_ids)
    if not table.index.is_unique:
        graph.graph["systems"] = table[~table.index.duplicated(keep="last")]
    nodes = Counter(map(methodcaller("get", "type", "unknown"), graph._node.values()))
    edges = graph.graph["type_counts"]["edges"]
    graph.graph["type_counts"] = {"nodes": dict(sorted(nodes.items())),
                                  "edges": dict(sorted((k, n) for k, n in edges.items() if n))}
    graph.graph["node_count"] = graph.number_of_nodes()
    graph.graph["edge_count"] = _edge_count(graph)
    return graph


def integration_index(graph: nx.DiGraph) -> pd.DataFrame | None:
    """The graph's ``integrates_with`` edges as ``source``/``target`` node ids, from the
    index build_graph left, or None when there is none or it no longer describes the
    graph (its edge count changed): then the edges themselves must be walked."""
    index = graph.graph.get("integrations")
    if isinstance(index, pd.DataFrame) and \
            graph.graph.get("edge_count") == _edge_count(graph):
        return index
    return None


def type_counts(graph: nx.DiGraph) -> dict[str, dict[str, int]] | None:
    """How many nodes and edges of each ``type`` the graph has, as ``{"nodes": {type: n},
    "edges": {type: n}}`` sorted by type (a node without one counts as ``"unknown"``), from
    the counts build_graph left; None when there are none or the graph's node or edge
    count changed since (then readers count the nodes and edges themselves)."""
    counts = graph.graph.get("type_counts")
    if isinstance(counts, dict) and graph.graph.get("node_count") == graph.number_of_nodes() \
            and graph.graph.get("edge_count") == _edge_count(graph):
        return counts
    return None


def assign_tiers(rows: pd.DataFrame, assumed: str) -> pd.DataFrame:
    """Add ``tier`` (the consolidation tier of the classification) and ``tier_assumed``
    (the classification was missing, so ``assumed``'s tier was taken) to ``rows``."""
    tiers = rows["classification"].map(CLASSIFICATION_TIER)
    return rows.assign(tier_assumed=tiers.isna(), tier=tiers.fillna(
        CLASSIFICATION_TIER.get(assumed, assumed)).astype(object))


def _systems_table(columns: dict[str, pd.Series], keep: np.ndarray | None) -> pd.DataFrame:
    """The ``columns`` (at the row positions ``keep``, else all) as plain Python values
    (see the module docstring), indexed by node id. Column-wise, straight from the input
    columns into one object array; dates and numbers become one object per distinct value
    (text keeps the input's own strings), so the table adds little more than its pointers."""
    n = len(next(iter(columns.values())))
    data = np.empty((len(columns), n if keep is None else len(keep)), dtype=object)
    for row, (column, values) in zip(data, columns.items()):
        field = FIELDS_BY_NAME.get(column)
        missing = None
        if field is not None and field.kind == "list":
            objects = values.to_numpy(dtype=object)
        elif pd.api.types.is_datetime64_any_dtype(values):
            codes, uniques = pd.factorize(values)
            objects = np.array([*uniques.strftime("%Y-%m-%d"), None], dtype=object)[codes]
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            codes, uniques = pd.factorize(values)
            objects = np.array([*_objects(pd.Series(uniques)), None], dtype=object)[codes]
        else:
            # The column's own array where it is one (no copy), its missing values
            # replaced after the one copy into the table.
            objects = values.to_numpy(dtype=object)
            missing = values.isna().to_numpy()
        if keep is None:
            row[:] = objects
        else:
            np.take(objects, keep, out=row)
        if missing is not None and missing.any():
            row[missing if keep is None else missing[keep]] = None
    index = pd.Index(node_ids("sys:", data[list(columns).index("system_key")]),
                     dtype=object, copy=False)
    return pd.DataFrame(data.T, index=index, columns=list(columns), dtype=object, copy=False)


def _system_nodes(table: pd.DataFrame) -> list[dict]:
    """The attribute dict (``NODE_ATTRIBUTES``) of each system, in table order; the values
    are the table's own objects, so nodes add dicts but no copies of the values. A dict
    display with constant keys is built presized, about three times faster than
    ``dict(zip(names, row))``."""
    label = [name or sid for name, sid in zip(table["name"].tolist(),
                                              table["system_id"].tolist())]
    return [{"type": "system", "label": lab, "external": False, "department": dept,
             "system_id": sid, "system_key": key, "product_id": pid, "capability_id": cid,
             "tier": tier, "tier_assumed": assumed}
            for lab, dept, sid, key, pid, cid, tier, assumed in zip(label, *(
                table[c].tolist() for c in NODE_ATTRIBUTES[3:]))]


def _add_nodes(graph: nx.DiGraph, nodes: list, attrs: list[dict]) -> None:
    """``graph.add_nodes_from(zip(nodes, attrs))``, keeping each given dict as the node's
    attribute dict. When every node is new and listed once, the node and adjacency dicts
    are filled in bulk (networkx's own loop copies every dict, twice); otherwise networkx
    adds them."""
    node, unique = graph._node, set(nodes)
    if len(unique) == len(nodes) and None not in unique and node.keys().isdisjoint(unique):
        node.update(zip(nodes, attrs))
        graph._succ.update(zip(nodes, iter(dict, None)))
        graph._pred.update(zip(nodes, iter(dict, None)))
    else:
        graph.add_nodes_from(zip(nodes, attrs))


def _add_edges(graph: nx.DiGraph, sources: list, targets: list, kind: str) -> None:
    """``graph.add_edges_from(zip(sources, targets), type=kind)``: the same adjacency
    order and one new ``{"type": kind}`` dict per edge (a repeated or existing edge keeps
    its place and gets this dict: every edge dict here holds only ``type``, so that is what
    networkx's update leaves too). Written straight into the adjacency dicts by C-level
    maps, several times cheaper than networkx's per-edge Python at millions of edges.

    An end that is not a node yet stops the maps (a KeyError) and networkx redoes the
    batch: it adds that node where it would have (or refuses ``None``) and finds the edges
    written so far in place. Counts the edges it adds under ``kind`` in
    ``graph.graph["type_counts"]`` (every edge so far was added here; edges of two kinds
    never join the same pair of nodes, their id prefixes differ)."""
    counts = graph.graph["type_counts"]["edges"]
    before = sum(counts.values())
    succ, pred = graph._succ, graph._pred
    attrs = [{"type": kind} for _ in range(len(sources))]
    try:
        deque(map(dict.__setitem__, map(succ.__getitem__, sources), targets, attrs), maxlen=0)
        deque(map(dict.__setitem__, map(pred.__getitem__, targets), sources, attrs), maxlen=0)
    except KeyError:
        graph.add_edges_from(zip(sources, targets), type=kind)
    counts[kind] = counts.get(kind, 0) + _edge_count(graph) - before


def _edge_count(graph: nx.DiGraph) -> int:
    """``graph.number_of_edges()`` without networkx's degree view (a second at 1M nodes)."""
    return sum(map(len, graph._succ.values()))


def node_ids(prefix: str, values: pd.Series, key=str) -> np.ndarray:
    """``prefix + key(value)`` per value as an object array (None where missing), with one
    string object per distinct value: edges then share the node's id string."""
    return _node_codes(prefix, values, key)[0]


def _node_codes(prefix: str, values: pd.Series, key=str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`node_ids` and the factorisation codes it came from (-1 where missing):
    the codes number the distinct values in order of first appearance."""
    codes, uniques = pd.factorize(values)
    ids = np.array([*(prefix + key(u) for u in uniques.tolist()), None], dtype=object)
    return ids[codes], codes


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The position of each distinct code's first row, in row order, missing (-1) left
    out: ``drop_duplicates`` on integer codes instead of on the strings again."""
    _, first = np.unique(codes, return_index=True)
    return np.sort(first[codes[first] >= 0])


def map_unique(values: pd.Series, function) -> pd.Series:
    """``values.map(function)``, calling ``function`` once per distinct value."""
    uniques = values.dropna().unique()
    return values.map(dict(zip(uniques, map(function, uniques)))).astype(object)


def _objects(values: pd.Series) -> list:
    """The values as plain Python objects, None where missing."""
    return values.to_numpy(dtype=object, na_value=None).tolist()


def _add_catalogue_nodes(graph: nx.DiGraph, rows: pd.DataFrame, sys_ids: np.ndarray,
                         products: pd.DataFrame | None) -> None:
    product_ids, product_codes = _node_codes("product:", rows["product_id"])
    with_product = product_codes >= 0
    firsts = _first_rows(product_codes)
    pids = _objects(rows["product_id"].iloc[firsts])
    extra = products if products is not None else pd.DataFrame()
    known = pd.Index(pids).isin(extra.index)
    info = extra.reindex([p for p, k in zip(pids, known) if k])
    info = info.astype(object).where(info.notna(), None)
    infos = iter([dict(zip(info.columns, r)) for r in info.itertuples(index=False)])
    _add_nodes(graph, product_ids[firsts].tolist(), [
        {"type": "product", "label": name or pid,
         "unrecognised": str(pid).startswith("unrecognised:"),
         **(next(infos) if has_info else {})}
        for pid, name, has_info in zip(pids, _objects(rows["product_name"].iloc[firsts]),
                                       known.tolist())])
    _add_edges(graph, sys_ids[with_product].tolist(), product_ids[with_product].tolist(),
               "runs")

    vendors = rows["vendor_name"].iloc[firsts]
    made = vendors.notna().to_numpy()
    vendors = vendors[made]
    vendor_ids = node_ids("vendor:", vendors, slug).tolist()
    _add_nodes(graph, vendor_ids, [{"type": "vendor", "label": name}
                                   for name in vendors.tolist()])
    _add_edges(graph, product_ids[firsts[made]].tolist(), vendor_ids, "made_by")

    cap_ids, cap_codes = _node_codes("cap:", rows["capability_id"])
    with_cap = cap_codes >= 0
    caps = _first_rows(cap_codes)
    _add_nodes(graph, cap_ids[caps].tolist(), [
        {"type": "capability", "label": name or cid, "group": group}
        for cid, name, group in zip(*(_objects(rows[c].iloc[caps]) for c in (
            "capability_id", "capability_name", "capability_group")))])
    _add_edges(graph, sys_ids[with_cap].tolist(), cap_ids[with_cap].tolist(), "provides")
    both = with_cap & with_product
    pairs = np.where(both, product_codes.astype(np.int64) * (cap_codes.max(initial=0) + 1)
                     + cap_codes, -1)
    provided = _first_rows(pairs)
    _add_edges(graph, product_ids[provided].tolist(), cap_ids[provided].tolist(), "provides")


def _add_data_domains(graph: nx.DiGraph, rows: pd.DataFrame, sys_ids: np.ndarray) -> None:
    held = rows["data_domains"].explode().dropna()
    held = held[held.astype(str).str.strip() != ""]
    if held.empty:
        return
    domain_ids = node_ids("data:", held, slug)
    first = pd.Series(held.tolist(), index=domain_ids).groupby(level=0, sort=True).first()
    _add_nodes(graph, first.index.tolist(), [{"type": "data_domain", "label": label}
                                             for label in first.tolist()])
    _add_edges(graph, sys_ids[held.index.to_numpy()].tolist(), domain_ids.tolist(),
               "holds_data")


def _add_integrations(graph: nx.DiGraph, rows: pd.DataFrame, sys_ids: np.ndarray) -> None:
    """Resolve ``integrates_with`` references (``ID`` or ``DEPT:ID``) to system nodes.

    A reference names a department (else the referring system's own) and a system id;
    it resolves to the first system of that department slug with that id (stripped, lower
    case). Each distinct reference is parsed once, and only systems whose id some
    reference names take part in the match, as integer keys."""
    listed = rows["integrates_with"].explode().dropna()
    text = listed.astype(str).str.strip()
    present = (text != "").to_numpy()
    findings: list[Finding] = []
    integrations = pd.DataFrame({"source": [], "target": []}, dtype=object)
    if present.any():
        source = listed.index.to_numpy()[present]
        refs = text.to_numpy(dtype=object)[present]
        codes, uniques = pd.factorize(refs)
        aliases = _department_aliases(rows["department"].unique())
        named, ids = zip(*(_reference(ref, aliases) for ref in uniques.tolist()))
        row_dept = map_unique(rows["department"], slug).to_numpy(dtype=object)
        ref_dept = np.array(named, dtype=object)[codes]
        own = pd.isna(ref_dept)
        ref_dept[own] = row_dept[source[own]]

        id_index = pd.Index(pd.unique(np.array(ids, dtype=object)), dtype=object)
        ref_id = id_index.get_indexer(np.array(ids, dtype=object))[codes]
        sid_codes, sids = pd.factorize(rows["system_id"])  # each distinct id slugged once
        row_id = np.append(id_index.get_indexer(np.array(
            [str(s).strip().lower() for s in sids.tolist()], dtype=object)), -1)[sid_codes]
        candidates = np.flatnonzero(row_id >= 0)
        dept_codes = pd.factorize(np.concatenate([row_dept[candidates], ref_dept]))[0]
        keys = dept_codes.astype(np.int64) * len(id_index) + np.concatenate(
            [row_id[candidates], ref_id])
        known, wanted = keys[:len(candidates)], keys[len(candidates):]
        first = ~pd.Series(known).duplicated().to_numpy()
        at = pd.Index(known[first]).get_indexer(wanted)
        target = np.append(candidates[first], -1)[at]

        found = target >= 0
        src, dst = sys_ids[source[found]], sys_ids[target[found]]
        keep = src != dst
        internal = (src[keep].tolist(), dst[keep].tolist())
        _add_edges(graph, *internal, "integrates_with")
        lost = source[~found]
        missing = pd.Series(refs[~found], dtype=object)
        external = node_ids("sys:external:", missing)
        _add_nodes(graph, pd.unique(external).tolist(),
                   [{"type": "system", "label": ref, "external": True}
                    for ref in missing.unique().tolist()])
        outward = (sys_ids[lost].tolist(), external.tolist())
        _add_edges(graph, *outward, "integrates_with")
        integrations = pd.DataFrame({"source": internal[0] + outward[0],
                                     "target": internal[1] + outward[1]}, dtype=object)
        findings = [
            Finding(file=str(file), line=int(line), column="integrates_with", stage="graph",
                    severity="warning", code="unknown-integration",
                    message=f"integrates with {ref!r}, which no inventory lists",
                    department=dept, value=ref)
            for file, line, dept, ref in zip(*(
                rows[c].to_numpy(dtype=object)[lost].tolist()
                for c in ("source_file", "source_line", "department")), missing.tolist())]
    graph.graph["integrations"] = integrations
    graph.graph["findings"] = sorted(findings)


def _reference(ref: str, aliases: dict[str, str]) -> tuple[str | None, str]:
    """The department slug ``ref`` names (None: the referring system's own; initials
    and slugs of department names both work) and the system id it names, lower case."""
    if ":" not in ref:
        return None, ref.lower()
    dept, system_id = ref.split(":", 1)
    return aliases.get(slug(dept), slug(dept)), system_id.strip().lower()


def _department_aliases(departments) -> dict[str, str]:
    """Map initials and slugs of department names to their slug, so ``HO:X`` finds Home Office."""
    aliases: dict[str, str] = {}
    for dept in sorted(departments):
        s = slug(dept)
        aliases.setdefault(s, s)
        words = [w for w in re.split(r"[^A-Za-z0-9]+", str(dept)) if w]
        initials = "".join(w[0] for w in words if w.lower() not in {"of", "for", "and", "the"})
        if len(words) > 1:
            aliases.setdefault(slug(initials), s)
    return aliases
