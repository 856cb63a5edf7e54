"""Build the typed networkx graph of the estate from the normalised systems table.

The graph is the single source of truth the analysis and the reports read. It is a
``networkx.DiGraph``; every node has a ``type`` and a ``label``, every edge a ``type``.
Every edge of one type shares one read-only attribute dict (:class:`EdgeAttributes`,
``{"type": kind}``): a million systems have millions of edges, and a dict per edge was
about a quarter of the graph's memory. Writing to it raises ``TypeError``;
``graph.copy()`` gives a graph whose edges have writable dicts of their own.

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

import functools
import re
from collections import deque
from itertools import chain, repeat

import networkx as nx
import numpy as np
import pandas as pd

from estate.arrays import factorize, first_rows, missing_mask, object_array
from estate.errors import Finding
from estate.memory import gc_paused
from estate.parallel import Background
from estate.schema import CLASSIFICATION_TIER, FIELD_NAMES, FIELDS_BY_NAME
from estate.settings import Settings

NORMALISED_COLUMNS: tuple[str, ...] = (
    "product_id", "product_name", "vendor_name", "capability_id", "capability_name",
    "capability_group", "match_stage", "match_score", "match_input",
)
SYSTEM_ATTRIBUTES: tuple[str, ...] = tuple(dict.fromkeys(
    FIELD_NAMES + NORMALISED_COLUMNS + ("system_key", "source_file", "source_line")))
PARALLEL_ROWS = 20_000
"""From this many systems, integration references are resolved in a forked child while
the graph is built, when there are two cores (see :mod:`estate.parallel`)."""
NODE_ATTRIBUTES: tuple[str, ...] = (
    "type", "label", "external", "department", "system_id", "system_key",
    "product_id", "capability_id", "tier", "tier_assumed")
"""The attributes a system node carries; the rest are in ``graph.graph["systems"]``.
Ten keys fit CPython's smaller dict table (eleven double it: ~190 MB more at 1M systems);
the name is in the label and the table."""


def slug(text: str) -> str:
    """A lower-case, dash-separated form of a name, used in node ids and lookups."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


_slug_of = functools.lru_cache(maxsize=1 << 12)(slug)
""":func:`slug` of the few department names that references repeat, each made once."""


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
    departments = _factorise("dept:", rows["department"])
    resolve = functools.partial(_integration_targets, rows, departments[:2])
    # resolving references needs no graph: with two cores a child does it meanwhile
    targets = Background(resolve) if len(rows) >= PARALLEL_ROWS else None
    succ_of = _add_systems(graph, table, departments)
    listed_once = graph.graph["type_counts"]["nodes"].get("system", 0) == len(table)

    _add_catalogue_nodes(graph, rows, sys_ids, succ_of, products)
    _add_data_domains(graph, rows, sys_ids, succ_of)
    _add_integrations(graph, rows, sys_ids, succ_of,
                      targets.result() if targets is not None else resolve())
    if not listed_once:
        graph.graph["systems"] = table[~table.index.duplicated(keep="last")]
    counts = graph.graph["type_counts"]
    graph.graph["type_counts"] = {kind: dict(sorted((k, n) for k, n in counts[kind].items() if n))
                                  for kind in ("nodes", "edges")}
    graph.graph["node_count"] = graph.number_of_nodes()
    graph.graph["edge_count"] = sum(counts["edges"].values())
    return graph


def _add_systems(graph: nx.DiGraph, table: pd.DataFrame,
                 departments: tuple[np.ndarray, list, np.ndarray]) -> np.ndarray:
    """Add the department and system nodes and the ``owns`` edges (``departments``: what
    :func:`_factorise` gives for the table's department column). Returns the successor
    dict of each table row's system node (so later edges from systems need no lookup).

    When every system key is set and listed once (the usual case), each system's
    predecessor dict is made already holding its ``owns`` edge: the same dicts, in the
    same order, as adding the nodes and then the edges gives. Whether they are listed
    once is seen from the node dict's size once they are in it (only department nodes
    exist yet, and "sys:" ids are new to the graph), not from a hash table of them."""
    dept_codes, dept_names, dept_ids = departments
    order = sorted(range(len(dept_names)), key=dept_names.__getitem__)
    _add_nodes(graph, [dept_ids[k] for k in order],
               [{"type": "department", "label": dept_names[k]} for k in order], "department")
    sys_list = table.index.tolist()
    attrs = _system_nodes(table)
    owner = dept_ids[dept_codes].tolist()
    node = graph._node
    before = len(node)
    if not table.index.hasnans and not (dept_codes < 0).any():
        node.update(zip(sys_list, attrs))
    if len(node) - before < len(sys_list):  # a key listed twice (or missing): undone
        deque(map(node.pop, sys_list, repeat(None)), maxlen=0)
        _add_nodes(graph, sys_list, attrs, "system")
        _add_edges(graph, owner, sys_list, "owns")
        return object_array(list(map(graph._succ.__getitem__, sys_list)))
    owns = edge_attributes("owns")
    succ = [{} for _ in sys_list]
    graph._succ.update(zip(sys_list, succ))
    graph._pred.update(zip(sys_list, [{d: owns} for d in owner]))
    _count(graph, "nodes", "system", len(sys_list))
    _add_hub_edges(graph, "owns", dept_ids[:-1].tolist(), graph._succ, dept_codes,
                   table.index.to_numpy(dtype=object), None)
    return object_array(succ)


def _count(graph: nx.DiGraph, what: str, kind: str, n: int) -> None:
    counts = graph.graph["type_counts"][what]
    counts[kind] = counts.get(kind, 0) + n


def _add_hub_edges(graph: nx.DiGraph, kind: str, hubs: list, hub_adjacency: dict,
                   codes: np.ndarray, others: np.ndarray, other_dicts: list[dict] | None
                   ) -> None:
    """Edges between a few hub nodes (departments, products, capabilities, data domains)
    and many others (systems), edge ``i`` joining ``hubs[codes[i]]`` and ``others[i]``:
    what :func:`_add_edges` does, with the same order in every adjacency dict.

    ``hub_adjacency`` is the graph's dict (``_succ`` or ``_pred``) holding the hubs' side
    of these edges, ``other_dicts`` the other end's dict of each edge (None: already
    written). Each hub's dict is filled in one go from its edges in order (dict.fromkeys
    of one shared value), not by one insert per edge into hub dicts all over memory."""
    attrs = edge_attributes(kind)
    if other_dicts is not None:
        hub_ids = object_array(hubs)
        deque(map(dict.__setitem__, other_dicts, hub_ids[codes].tolist(), repeat(attrs)),
              maxlen=0)
    dicts = list(map(hub_adjacency.__getitem__, hubs))
    before = sum(map(len, dicts))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes, np.arange(len(hubs) + 1), sorter=order).tolist()
    ordered = others[order].tolist()
    for adjacency, lo, hi in zip(dicts, bounds, bounds[1:]):
        if hi > lo:
            adjacency.update(dict.fromkeys(ordered[lo:hi], attrs))
    _count(graph, "edges", kind, sum(map(len, dicts)) - before)


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
        missing = distinct = None
        if field is not None and field.kind == "list":
            objects = values.to_numpy(dtype=object)
        elif pd.api.types.is_datetime64_any_dtype(values):
            codes, uniques = pd.factorize(values)
            distinct = np.array([*uniques.strftime("%Y-%m-%d"), None], dtype=object)
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            codes, uniques = pd.factorize(values)
            distinct = np.array([*_objects(pd.Series(uniques)), None], dtype=object)
        else:
            # The column's own array where it is one (no copy), its missing values
            # replaced after the one copy into the table.
            objects = values.to_numpy(dtype=object)
            missing = missing_mask(values, objects)
        if distinct is not None:  # each kept row's value straight from the distinct ones
            np.take(distinct, codes if keep is None else codes[keep], out=row)
        elif keep is None:
            row[:] = objects
        else:
            np.take(objects, keep, out=row)
        if missing is not None and missing.any():
            row[missing if keep is None else missing[keep]] = None
    keys = data[list(columns).index("system_key")]
    try:  # keys are distinct text: one concatenation each, in C
        ids = np.add("sys:", keys)
    except TypeError:  # a missing or non-text key
        ids = node_ids("sys:", keys)
    index = pd.Index(ids, dtype=object, copy=False)
    return pd.DataFrame(data.T, index=index, columns=list(columns), dtype=object, copy=False)


def _system_nodes(table: pd.DataFrame) -> list[dict]:
    """The attribute dict (``NODE_ATTRIBUTES``) of each system, in table order; the values
    are the table's own objects, so nodes add dicts but no copies of the values. A dict
    display with constant keys is built presized, about three times faster than
    ``dict(zip(names, row))``."""
    names = table["name"].to_numpy(dtype=object)
    label = np.where(names.astype(bool), names, table["system_id"].to_numpy(dtype=object))
    return [{"type": "system", "label": lab, "external": False, "department": dept,
             "system_id": sid, "system_key": key, "product_id": pid, "capability_id": cid,
             "tier": tier, "tier_assumed": assumed}
            for lab, dept, sid, key, pid, cid, tier, assumed in zip(label.tolist(), *(
                table[c].tolist() for c in NODE_ATTRIBUTES[3:]))]


def _add_nodes(graph: nx.DiGraph, nodes: list, attrs: list[dict], kind: str | None = None
               ) -> None:
    """``graph.add_nodes_from(zip(nodes, attrs))``, keeping each given dict as the node's
    attribute dict. When every node is new and listed once, the node and adjacency dicts
    are filled in bulk (networkx's own loop copies every dict, twice); otherwise networkx
    adds them. With ``kind``, counts the nodes it adds under it in
    ``graph.graph["type_counts"]``."""
    node, unique = graph._node, set(nodes)
    before = len(node)
    if len(unique) == len(nodes) and None not in unique and node.keys().isdisjoint(unique):
        node.update(zip(nodes, attrs))
        graph._succ.update(zip(nodes, iter(dict, None)))
        graph._pred.update(zip(nodes, iter(dict, None)))
    else:
        graph.add_nodes_from(zip(nodes, attrs))
    if kind is not None:
        _count(graph, "nodes", kind, len(node) - before)


class EdgeAttributes(dict):
    """The attribute dict every edge of one type shares (see :func:`edge_attributes`).

    Read-only, because a change to one edge's attributes would change every edge of its
    type. Reading, ``==``, ``dict(...)``, pickling and ``copy.deepcopy`` work as for a
    dict; ``.copy()`` (as ``graph.copy()`` calls it) gives a plain, writable dict."""

    __slots__ = ()

    def _read_only(self, *args, **kwargs):
        raise TypeError(
            "the estate graph's edge attributes are shared by every edge of a type and are "
            "read-only; graph.copy() gives a graph whose edge attributes can be written")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def copy(self) -> dict:
        return dict(self)

    def __reduce__(self):
        return type(self), (dict(self),)


_EDGE_ATTRIBUTES: dict[str, EdgeAttributes] = {}


def edge_attributes(kind: str) -> EdgeAttributes:
    """The one read-only ``{"type": kind}`` that every edge of type ``kind`` holds."""
    attrs = _EDGE_ATTRIBUTES.get(kind)
    if attrs is None:
        attrs = _EDGE_ATTRIBUTES.setdefault(kind, EdgeAttributes(type=kind))
    return attrs


def _add_edges(graph: nx.DiGraph, sources: list, targets: list, kind: str,
               out: list[dict] | None = None, ends: list[dict] | None = None) -> None:
    """``graph.add_edges_from(zip(sources, targets), type=kind)`` with the same adjacency
    order, except that every edge gets the shared :func:`edge_attributes` of ``kind`` (a
    repeated or existing edge keeps its place and gets it too). Written straight into the
    adjacency dicts by C-level maps, several times cheaper than networkx's per-edge Python
    at millions of edges. ``out`` may give the successor dict of each source when the
    caller has them at hand.

    The targets are looked up first, so a target that is not a node yet stops the work
    before anything is written; a source that is not one stops it with only edges
    networkx would also have added written. Then :func:`_add_edges_one_by_one` does the
    batch as networkx would (adding nodes, refusing ``None``).

    Counts the edges it adds under ``kind`` in ``graph.graph["type_counts"]``: from the
    sizes of ``ends`` (the adjacency dicts of every node on one side of these edges, a
    short list when that side has few nodes), else from the graph's edge count (every
    edge so far was counted; edges of two kinds never join the same pair of nodes, their
    id prefixes differ)."""
    counts = graph.graph["type_counts"]["edges"]
    before = sum(map(len, ends)) if ends is not None else sum(counts.values())
    succ, pred = graph._succ, graph._pred
    attrs = edge_attributes(kind)
    try:
        into = list(map(pred.__getitem__, targets))
        if out is None:
            out = map(succ.__getitem__, sources)
        deque(map(dict.__setitem__, out, targets, repeat(attrs)), maxlen=0)
    except KeyError:
        _add_edges_one_by_one(graph, sources, targets, attrs)
    else:
        deque(map(dict.__setitem__, into, sources, repeat(attrs)), maxlen=0)
    after = sum(map(len, ends)) if ends is not None else _edge_count(graph)
    counts[kind] = counts.get(kind, 0) + after - before


def _add_edges_one_by_one(graph: nx.DiGraph, sources: list, targets: list,
                          attrs: EdgeAttributes) -> None:
    """networkx's ``add_edges_from`` loop, giving each edge ``attrs`` itself."""
    node, succ, pred = graph._node, graph._succ, graph._pred
    for u, v in zip(sources, targets):
        for end in (u, v):
            if end not in succ:
                if end is None:
                    raise ValueError("None cannot be a node")
                succ[end], pred[end], node[end] = {}, {}, {}
        succ[u][v] = attrs
        pred[v][u] = attrs


def _edge_count(graph: nx.DiGraph) -> int:
    """``graph.number_of_edges()`` without networkx's degree view (a second at 1M nodes)."""
    return sum(map(len, graph._succ.values()))


def node_ids(prefix: str, values: pd.Series, key=str) -> np.ndarray:
    """``prefix + key(value)`` per value as an object array (None where missing), with one
    string object per distinct value: edges then share the node's id string."""
    codes, _, ids = _factorise(prefix, values, key)
    return ids[codes]


def _factorise(prefix: str, values, key=str) -> tuple[np.ndarray, list, np.ndarray]:
    """The factorisation codes of ``values`` (-1 where missing: the codes number the
    distinct values in order of first appearance), the distinct values, and the node id
    ``prefix + key(value)`` of each followed by None, so ``ids[codes]`` is :func:`node_ids`."""
    codes, uniques = factorize(values)
    uniques = uniques.tolist()
    ids = np.array([*(prefix + key(u) for u in uniques), None], dtype=object)
    return codes, uniques, ids


def _objects(values: pd.Series) -> list:
    """The values as plain Python objects, None where missing."""
    return values.to_numpy(dtype=object, na_value=None).tolist()


def _items(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The row position and the value of every item of a list column, missing items left
    out: ``values.explode().dropna()`` as two arrays, without pandas' per-row work when
    every value is a tuple or list (as the loader makes them)."""
    column = values.to_numpy(dtype=object)
    if not set(map(type, column)) <= {tuple, list}:
        held = values.explode().dropna()
        return held.index.to_numpy(), held.to_numpy(dtype=object)
    lengths = np.fromiter(map(len, column), dtype=np.int64, count=len(column))
    items = object_array(list(chain.from_iterable(column)))
    at = np.repeat(np.arange(len(column)), lengths)
    present = ~pd.isna(items)
    return at[present], items[present]


def _stripped(items: np.ndarray) -> tuple[np.ndarray, list]:
    """Factorisation codes of ``str(item).strip()`` per item (-1 where that is empty) and
    the distinct stripped texts in order of first appearance: each distinct item is
    converted and stripped once."""
    codes, uniques = factorize(items)
    text = np.array([str(u).strip() for u in uniques.tolist()], dtype=object)
    text_codes, texts = pd.factorize(np.where(text == "", None, text))
    return np.append(text_codes, -1)[codes], texts.tolist()


def _add_catalogue_nodes(graph: nx.DiGraph, rows: pd.DataFrame, sys_ids: np.ndarray,
                         succ_of: np.ndarray, products: pd.DataFrame | None) -> None:
    product_codes, pids, product_ids = _factorise("product:", rows["product_id"])
    with_product = product_codes >= 0
    firsts = first_rows(product_codes)
    extra = products if products is not None else pd.DataFrame()
    known = pd.Index(pids, dtype=object).isin(extra.index)
    info = extra.reindex([p for p, k in zip(pids, known) if k])
    info = info.astype(object).where(info.notna(), None)
    infos = iter([dict(zip(info.columns, r)) for r in info.itertuples(index=False)])
    product_nodes = product_ids[:-1].tolist()
    _add_nodes(graph, product_nodes, [
        {"type": "product", "label": name or pid,
         "unrecognised": str(pid).startswith("unrecognised:"),
         **(next(infos) if has_info else {})}
        for pid, name, has_info in zip(pids, _objects(rows["product_name"].iloc[firsts]),
                                       known.tolist())], "product")
    _add_hub_edges(graph, "runs", product_nodes, graph._pred, product_codes[with_product],
                   sys_ids[with_product], succ_of[with_product].tolist())

    vendors = rows["vendor_name"].iloc[firsts]
    made = vendors.notna().to_numpy()
    vendors = vendors[made]
    vendor_ids = node_ids("vendor:", vendors, slug).tolist()
    _add_nodes(graph, vendor_ids, [{"type": "vendor", "label": name}
                                   for name in vendors.tolist()], "vendor")
    product_succ = list(map(graph._succ.__getitem__, product_nodes))
    _add_edges(graph, product_ids[:-1][made].tolist(), vendor_ids, "made_by",
               ends=product_succ)

    cap_codes, cids, cap_ids = _factorise("cap:", rows["capability_id"])
    with_cap = cap_codes >= 0
    caps = first_rows(cap_codes)
    cap_nodes = cap_ids[:-1].tolist()
    _add_nodes(graph, cap_nodes, [
        {"type": "capability", "label": name or cid, "group": group}
        for cid, name, group in zip(cids, *(_objects(rows[c].iloc[caps]) for c in (
            "capability_name", "capability_group")))], "capability")
    _add_hub_edges(graph, "provides", cap_nodes, graph._pred, cap_codes[with_cap],
                   sys_ids[with_cap], succ_of[with_cap].tolist())
    cap_pred = list(map(graph._pred.__getitem__, cap_nodes))
    both = np.flatnonzero(with_cap & with_product)
    pairs = product_codes[both].astype(np.int64) * (cap_codes.max(initial=0) + 1) \
        + cap_codes[both]
    provided = both[first_rows(pd.factorize(pairs)[0])]
    _add_edges(graph, product_ids[product_codes[provided]].tolist(),
               cap_ids[cap_codes[provided]].tolist(), "provides", ends=cap_pred)


def _add_data_domains(graph: nx.DiGraph, rows: pd.DataFrame, sys_ids: np.ndarray,
                      succ_of: np.ndarray) -> None:
    """One node per slug of the listed data domains (labelled with its first spelling)
    and an edge from each system to each domain it lists; blank entries are skipped."""
    at, items = _items(rows["data_domains"])
    codes, values = factorize(items)
    values = values.tolist()
    filled = [str(v).strip() != "" for v in values]
    present = np.append(filled, False)[codes]
    if not present.any():
        return
    ids = np.array([*("data:" + slug(v) for v in values), None], dtype=object)
    labels: dict[str, object] = {}
    for node, value, used in zip(ids.tolist(), values, filled):
        if used:
            labels.setdefault(node, value)
    nodes = sorted(labels)
    _add_nodes(graph, nodes, [{"type": "data_domain", "label": labels[n]} for n in nodes],
               "data_domain")
    at = at[present]
    node_code = pd.Index(nodes).get_indexer(ids)
    _add_hub_edges(graph, "holds_data", nodes, graph._pred, node_code[codes[present]],
                   sys_ids[at], succ_of[at].tolist())


def _integration_targets(rows: pd.DataFrame, departments: tuple[np.ndarray, list]
                         ) -> tuple[np.ndarray, np.ndarray, list]:
    """Resolve ``integrates_with`` references (``ID`` or ``DEPT:ID``) to table rows: the
    row of every listed reference, the row it names (-1: none) and the references that
    name none, in order.

    A reference names a department (else the referring system's own) and a system id;
    it resolves to the first system of that department slug with that id (stripped, lower
    case). Each distinct reference is parsed once, and only systems whose id some
    reference names take part in the match, as integer keys. Reads only ``rows``, so it
    may run in a child process while the graph is built (see :func:`build_graph`)."""
    listed_at, listed = _items(rows["integrates_with"])
    codes, uniques = _stripped(listed)
    present = codes >= 0
    if not present.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), []
    source = listed_at[present]
    codes = codes[present]
    dept_codes, dept_names = departments
    dept_slugs = [slug(d) for d in dept_names]
    aliases = _department_aliases(dept_names)
    named, ids = zip(*(_reference(ref, aliases) for ref in uniques))
    # Departments as codes of their slugs; a slug no department has gets its own.
    slug_index = pd.Index(pd.unique(np.array([*dept_slugs, *named], dtype=object)))
    row_dept = np.append(slug_index.get_indexer(np.array(dept_slugs, dtype=object)),
                         -1)[dept_codes]
    ref_dept = slug_index.get_indexer(np.array(named, dtype=object))[codes]
    own = np.array([n is None for n in named], dtype=bool)[codes]
    ref_dept[own] = row_dept[source[own]]

    id_index = pd.Index(pd.unique(np.array(ids, dtype=object)), dtype=object)
    ref_id = id_index.get_indexer(np.array(ids, dtype=object))[codes]
    sid_codes, sids = factorize(rows["system_id"])  # each distinct id slugged once
    row_id = np.append(id_index.get_indexer(np.array(
        [str(s).strip().lower() for s in sids.tolist()], dtype=object)), -1)[sid_codes]
    candidates = np.flatnonzero(row_id >= 0)
    known = row_dept[candidates].astype(np.int64) * len(id_index) + row_id[candidates]
    wanted = ref_dept.astype(np.int64) * len(id_index) + ref_id
    first = ~pd.Series(known).duplicated().to_numpy()
    at = pd.Index(known[first]).get_indexer(wanted)
    target = np.append(candidates[first], -1)[at]
    return (np.asarray(source, dtype=np.int64), np.asarray(target, dtype=np.int64),
            object_array(uniques)[codes[target < 0]].tolist())


def _add_integrations(graph: nx.DiGraph, rows: pd.DataFrame, sys_ids: np.ndarray,
                      succ_of: np.ndarray,
                      targets: tuple[np.ndarray, np.ndarray, list]) -> None:
    """Add the ``integrates_with`` edges that :func:`_integration_targets` resolved; a
    reference that names no system gets an external node and a finding."""
    source, target, unresolved = targets
    findings: list[Finding] = []
    integrations = pd.DataFrame({"source": [], "target": []}, dtype=object)
    if len(source):
        found = target >= 0
        src, dst = sys_ids[source[found]], sys_ids[target[found]]
        keep = src != dst
        internal = (src[keep].tolist(), dst[keep].tolist())
        lost = source[~found]
        missing = pd.Series(unresolved, dtype=object)
        external = node_ids("sys:external:", missing)
        _add_nodes(graph, pd.unique(external).tolist(),
                   [{"type": "system", "label": ref, "external": True}
                    for ref in missing.unique().tolist()], "system")
        outward = (sys_ids[lost].tolist(), external.tolist())
        integrations = pd.DataFrame({"source": internal[0] + outward[0],
                                     "target": internal[1] + outward[1]}, dtype=object)
        # The edges to systems, then those to external references, from each system.
        _add_edges(graph, internal[0] + outward[0], internal[1] + outward[1],
                   "integrates_with", out=np.concatenate(
                       [succ_of[source[found][keep]], succ_of[lost]]).tolist())
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
    named = _slug_of(dept)
    return aliases.get(named, named), system_id.strip().lower()


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
