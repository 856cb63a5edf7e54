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
"""

from __future__ import annotations

import re

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
    rows = systems if analysed.all() else systems.loc[analysed]
    rows = rows.reset_index(drop=True)
    if "tier" not in rows.columns:
        rows = assign_tiers(rows, settings.assume_classification)

    table = _systems_table(rows, [c for c in SYSTEM_ATTRIBUTES if c in rows.columns]
                           + ["tier", "tier_assumed"])
    graph = nx.DiGraph(systems=table)
    sys_ids = table.index.to_numpy(dtype=object)
    dept_ids = node_ids("dept:", rows["department"])

    depts = sorted(rows["department"].dropna().unique())
    graph.add_nodes_from((f"dept:{d}", {"type": "department", "label": d}) for d in depts)
    graph.add_nodes_from(_system_nodes(table))
    graph.add_edges_from(zip(dept_ids.tolist(), sys_ids.tolist()), type="owns")

    _add_catalogue_nodes(graph, rows, sys_ids, products)
    _add_data_domains(graph, rows, sys_ids)
    _add_integrations(graph, rows, sys_ids)
    if not table.index.is_unique:
        graph.graph["systems"] = table[~table.index.duplicated(keep="last")]
    graph.graph["edge_count"] = graph.number_of_edges()
    return graph


def integration_index(graph: nx.DiGraph) -> pd.DataFrame | None:
    """The graph's ``integrates_with`` edges as ``source``/``target`` node ids, from the
    index build_graph left, or None when there is none or it no longer describes the
    graph (its edge count changed): then the edges themselves must be walked."""
    index = graph.graph.get("integrations")
    if isinstance(index, pd.DataFrame) and \
            graph.graph.get("edge_count") == graph.number_of_edges():
        return index
    return None


def assign_tiers(rows: pd.DataFrame, assumed: str) -> pd.DataFrame:
    """Add ``tier`` (the consolidation tier of the classification) and ``tier_assumed``
    (the classification was missing, so ``assumed``'s tier was taken) to ``rows``."""
    tiers = rows["classification"].map(CLASSIFICATION_TIER)
    return rows.assign(tier_assumed=tiers.isna(), tier=tiers.fillna(
        CLASSIFICATION_TIER.get(assumed, assumed)).astype(object))


def _systems_table(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``rows`` as plain Python values (see the module docstring), indexed
    by node id. Column-wise; dates and numbers become one object per distinct value (text
    keeps the table's own strings), so the table adds little more than its pointers."""
    data = np.empty((len(columns), len(rows)), dtype=object)
    for i, column in enumerate(columns):
        values = rows[column]
        field = FIELDS_BY_NAME.get(column)
        if field is not None and field.kind == "list":
            data[i] = values.to_numpy(dtype=object)
        elif pd.api.types.is_datetime64_any_dtype(values):
            codes, uniques = pd.factorize(values)
            data[i] = np.array([*uniques.strftime("%Y-%m-%d"), None], dtype=object)[codes]
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            codes, uniques = pd.factorize(values)
            data[i] = np.array([*_objects(pd.Series(uniques)), None], dtype=object)[codes]
        else:
            data[i] = values.to_numpy(dtype=object, na_value=None)
    index = pd.Index(node_ids("sys:", rows["system_key"]), dtype=object, copy=False)
    return pd.DataFrame(data.T, index=index, columns=columns, dtype=object, copy=False)


def _system_nodes(table: pd.DataFrame) -> zip:
    """``(node, attributes)`` per system with ``NODE_ATTRIBUTES``; the values are the
    table's own objects, so nodes add dicts but no copies of the values."""
    values = {c: table[c].tolist() for c in NODE_ATTRIBUTES if c in table.columns}
    n = len(table)
    values["type"] = ["system"] * n
    values["label"] = [name or sid for name, sid in zip(table["name"].tolist(),
                                                        values["system_id"])]
    values["external"] = [False] * n
    names = [c for c in NODE_ATTRIBUTES if c in values]
    records = (dict(zip(names, v)) for v in zip(*(values[c] for c in names)))
    return zip(table.index.tolist(), records)


def node_ids(prefix: str, values: pd.Series, key=str) -> np.ndarray:
    """``prefix + key(value)`` per value as an object array (None where missing), with one
    string object per distinct value: edges then share the node's id string."""
    codes, uniques = pd.factorize(values)
    return np.array([*(prefix + key(u) for u in uniques.tolist()), None], dtype=object)[codes]


def map_unique(values: pd.Series, function) -> pd.Series:
    """``values.map(function)``, calling ``function`` once per distinct value."""
    uniques = values.dropna().unique()
    return values.map(dict(zip(uniques, map(function, uniques)))).astype(object)


def _objects(values: pd.Series) -> list:
    """The values as plain Python objects, None where missing."""
    return values.to_numpy(dtype=object, na_value=None).tolist()


def _add_catalogue_nodes(graph: nx.DiGraph, rows: pd.DataFrame, sys_ids: np.ndarray,
                         products: pd.DataFrame | None) -> None:
    product_ids = node_ids("product:", rows["product_id"])
    with_product = rows["product_id"].notna().to_numpy()
    firsts = rows.loc[with_product].drop_duplicates("product_id")
    extra = products if products is not None else pd.DataFrame()
    known = firsts["product_id"].isin(extra.index).to_numpy()
    info = extra.reindex(firsts.loc[known, "product_id"])
    info = info.astype(object).where(info.notna(), None)
    infos = iter([dict(zip(info.columns, r)) for r in info.itertuples(index=False)])
    graph.add_nodes_from(
        (node, {"type": "product", "label": name or pid,
                "unrecognised": str(pid).startswith("unrecognised:"),
                **(next(infos) if has_info else {})})
        for node, pid, name, has_info in zip(product_ids[firsts.index.to_numpy()].tolist(),
                                             firsts["product_id"].tolist(),
                                             _objects(firsts["product_name"]), known.tolist()))
    graph.add_edges_from(zip(sys_ids[with_product].tolist(), product_ids[with_product].tolist()),
                         type="runs")

    vendors = firsts.dropna(subset=["vendor_name"])
    vendor_ids = node_ids("vendor:", vendors["vendor_name"], slug).tolist()
    graph.add_nodes_from((vid, {"type": "vendor", "label": name})
                         for vid, name in zip(vendor_ids, vendors["vendor_name"].tolist()))
    graph.add_edges_from(zip(product_ids[vendors.index.to_numpy()].tolist(), vendor_ids),
                         type="made_by")

    cap_ids = node_ids("cap:", rows["capability_id"])
    with_cap = rows["capability_id"].notna().to_numpy()
    caps = rows.loc[with_cap].drop_duplicates("capability_id")
    graph.add_nodes_from(
        (cap_ids[i], {"type": "capability", "label": name or cid, "group": group})
        for i, cid, name, group in zip(caps.index.tolist(), *(_objects(caps[c]) for c in (
            "capability_id", "capability_name", "capability_group"))))
    graph.add_edges_from(zip(sys_ids[with_cap].tolist(), cap_ids[with_cap].tolist()),
                         type="provides")
    provided = rows.loc[with_cap & with_product].drop_duplicates(
        ["product_id", "capability_id"]).index.to_numpy()
    graph.add_edges_from(zip(product_ids[provided].tolist(), cap_ids[provided].tolist()),
                         type="provides")


def _add_data_domains(graph: nx.DiGraph, rows: pd.DataFrame, sys_ids: np.ndarray) -> None:
    held = rows["data_domains"].explode().dropna()
    held = held[held.astype(str).str.strip() != ""]
    if held.empty:
        return
    domain_ids = node_ids("data:", held, slug)
    first = pd.Series(held.tolist(), index=domain_ids).groupby(level=0, sort=True).first()
    graph.add_nodes_from((d, {"type": "data_domain", "label": label})
                         for d, label in zip(first.index.tolist(), first.tolist()))
    graph.add_edges_from(zip(sys_ids[held.index.to_numpy()].tolist(), domain_ids.tolist()),
                         type="holds_data")


def _add_integrations(graph: nx.DiGraph, rows: pd.DataFrame, sys_ids: np.ndarray) -> None:
    """Resolve ``integrates_with`` references (``ID`` or ``DEPT:ID``) to system nodes."""
    refs = rows[["department", "integrates_with", "source_file", "source_line"]].explode(
        "integrates_with")
    refs = refs.dropna(subset=["integrates_with"])
    refs["ref"] = refs["integrates_with"].astype(str).str.strip()
    refs = refs[refs["ref"] != ""]
    findings: list[Finding] = []
    integrations = pd.DataFrame({"source": [], "target": []}, dtype=object)
    if not refs.empty:
        known = pd.DataFrame({"dept_slug": map_unique(rows["department"], slug),
                              "id_slug": rows["system_id"].astype(str).str.strip().str.lower(),
                              "target": np.arange(len(rows))})
        dept_aliases = _department_aliases(rows["department"].unique())

        qualified = refs["ref"].str.contains(":", regex=False)
        parts = refs["ref"].str.split(":", n=1)
        refs["dept_slug"] = map_unique(refs["department"], slug)
        refs.loc[qualified, "dept_slug"] = map_unique(
            parts[qualified].str[0], lambda d: dept_aliases.get(slug(d), slug(d)))
        refs["id_slug"] = refs["ref"].str.lower()
        refs.loc[qualified, "id_slug"] = parts[qualified].str[1].str.strip().str.lower()
        refs["source"] = refs.index
        merged = refs.merge(known.drop_duplicates(["dept_slug", "id_slug"]),
                            on=["dept_slug", "id_slug"], how="left")
        found = merged.dropna(subset=["target"])
        source = sys_ids[found["source"].to_numpy()]
        target = sys_ids[found["target"].to_numpy(dtype=np.int64)]
        keep = source != target
        internal = (source[keep].tolist(), target[keep].tolist())
        graph.add_edges_from(zip(*internal), type="integrates_with")
        missing = merged[merged["target"].isna()]
        external = node_ids("sys:external:", missing["ref"])
        graph.add_nodes_from((node, {"type": "system", "label": ref, "external": True})
                             for node, ref in zip(pd.unique(external).tolist(),
                                                  missing["ref"].unique().tolist()))
        outward = (sys_ids[missing["source"].to_numpy()].tolist(), external.tolist())
        graph.add_edges_from(zip(*outward), type="integrates_with")
        integrations = pd.DataFrame({"source": internal[0] + outward[0],
                                     "target": internal[1] + outward[1]}, dtype=object)
        findings = [
            Finding(file=str(file), line=int(line), column="integrates_with", stage="graph",
                    severity="warning", code="unknown-integration",
                    message=f"integrates with {ref!r}, which no inventory lists",
                    department=dept, value=ref)
            for file, line, dept, ref in zip(*(missing[c].tolist() for c in (
                "source_file", "source_line", "department", "ref")))]
    graph.graph["integrations"] = integrations
    graph.graph["findings"] = sorted(findings)


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
