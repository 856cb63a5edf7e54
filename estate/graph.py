"""Build the typed networkx graph of the estate from the normalised systems table.

The graph is the single source of truth the analysis and the reports read. It is a
``networkx.DiGraph``; every node has a ``type`` and a ``label``, every edge a ``type``.

Nodes (id prefix -> type):
- ``dept:<department>`` -> ``department``
- ``sys:<system_key>`` -> ``system`` (attributes: every canonical field plus the normalise
  columns, ``department``, ``system_key``, ``tier``)
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
  ``external=True`` and is reported)
- system -> data domain: ``holds_data``
"""

from __future__ import annotations

import re
from itertools import repeat

import networkx as nx
import pandas as pd

from estate.errors import Finding
from estate.schema import CLASSIFICATION_TIER, FIELD_NAMES, FIELDS_BY_NAME
from estate.settings import Settings

NORMALISED_COLUMNS: tuple[str, ...] = (
    "product_id", "product_name", "vendor_name", "capability_id", "capability_name",
    "capability_group", "match_stage", "match_score", "match_input",
)
SYSTEM_ATTRIBUTES: tuple[str, ...] = tuple(dict.fromkeys(
    FIELD_NAMES + NORMALISED_COLUMNS + ("system_key", "source_file", "source_line")))


def slug(text: str) -> str:
    """A lower-case, dash-separated form of a name, used in node ids and lookups."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def system_node(system_key: str) -> str:
    return f"sys:{system_key}"


def build_graph(systems: pd.DataFrame, settings: Settings | None = None,
                products: pd.DataFrame | None = None) -> nx.DiGraph:
    """Build the typed estate graph from the normalised systems table.

    Only rows with ``status == "analysed"`` become systems. ``products`` (optional) is a
    table of catalogue attributes indexed by ``product_id`` (for example ``strategic`` and
    ``eol_id``) copied onto the product nodes. Integration references that match no system
    become ``external`` system nodes and are recorded as findings in
    ``graph.graph["findings"]``.
    """
    settings = settings or Settings()
    graph = nx.DiGraph()
    rows = systems.loc[systems["status"] == "analysed"]
    if "tier" not in rows.columns:
        rows = assign_tiers(rows, settings.assume_classification)

    depts = sorted(rows["department"].dropna().unique())
    graph.add_nodes_from((f"dept:{d}", {"type": "department", "label": d}) for d in depts)

    graph.add_nodes_from(_system_nodes(rows, [c for c in SYSTEM_ATTRIBUTES if c in rows.columns]
                                       + ["tier", "tier_assumed"]))
    graph.add_edges_from(pairs("dept:" + rows["department"], "sys:" + rows["system_key"]),
                         type="owns")

    _add_catalogue_nodes(graph, rows, products)
    _add_data_domains(graph, rows)
    _add_integrations(graph, rows)
    return graph


def assign_tiers(rows: pd.DataFrame, assumed: str) -> pd.DataFrame:
    """Add ``tier`` (the consolidation tier of the classification) and ``tier_assumed``
    (the classification was missing, so ``assumed``'s tier was taken) to ``rows``."""
    rows = rows.copy()
    tiers = rows["classification"].map(CLASSIFICATION_TIER)
    rows["tier_assumed"] = tiers.isna()
    rows["tier"] = tiers.fillna(CLASSIFICATION_TIER.get(assumed, assumed)).astype(object)
    return rows


def _system_nodes(rows: pd.DataFrame, columns: list[str]) -> zip:
    """``(node, attributes)`` per system: type, label, external, then ``columns`` with None
    for missing values and ISO text for dates. Built column-wise: one dict per system."""
    frame = rows[columns].copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    lists = [c for c in frame.columns if FIELDS_BY_NAME.get(c) and FIELDS_BY_NAME[c].kind == "list"]
    present = frame.notna()
    present[lists] = True
    frame = frame.astype(object).where(present, None)
    values = {c: frame[c].tolist() for c in frame.columns}
    labels = [n or i for n, i in zip(values["name"], values["system_id"])]
    names = ["type", "label", "external", *frame.columns]
    records = (dict(zip(names, v)) for v in zip(
        repeat("system"), labels, repeat(False), *values.values()))
    return zip([system_node(k) for k in values["system_key"]], records)


def _is_present(value: object) -> bool:
    if isinstance(value, (tuple, list)):
        return True
    return not pd.isna(value)


def pairs(sources, targets) -> zip:
    """Edge tuples from two aligned series (plain lists iterate far faster than Series)."""
    return zip(pd.Series(sources).tolist(), pd.Series(targets).tolist())


def map_unique(values: pd.Series, function) -> pd.Series:
    """``values.map(function)``, calling ``function`` once per distinct value."""
    uniques = values.dropna().unique()
    return values.map(dict(zip(uniques, map(function, uniques)))).astype(object)


def _add_catalogue_nodes(graph: nx.DiGraph, rows: pd.DataFrame,
                         products: pd.DataFrame | None) -> None:
    with_product = rows.dropna(subset=["product_id"])
    product_nodes = with_product.drop_duplicates("product_id")
    extra = products if products is not None else pd.DataFrame()
    for row in product_nodes[["product_id", "product_name", "vendor_name"]].itertuples(index=False):
        info = extra.loc[row.product_id].to_dict() if row.product_id in extra.index else {}
        info = {k: (None if not _is_present(v) else v) for k, v in info.items()}
        graph.add_node(f"product:{row.product_id}", type="product",
                       label=row.product_name or row.product_id,
                       unrecognised=str(row.product_id).startswith("unrecognised:"), **info)
    graph.add_edges_from(pairs("sys:" + with_product["system_key"],
                             "product:" + with_product["product_id"]), type="runs")

    vendors = product_nodes.dropna(subset=["vendor_name"])
    vendor_ids = "vendor:" + map_unique(vendors["vendor_name"], slug)
    graph.add_nodes_from((vid, {"type": "vendor", "label": name})
                         for vid, name in zip(vendor_ids, vendors["vendor_name"]))
    graph.add_edges_from(pairs("product:" + vendors["product_id"], vendor_ids), type="made_by")

    with_cap = rows.dropna(subset=["capability_id"])
    caps = with_cap.drop_duplicates("capability_id")
    graph.add_nodes_from(
        (f"cap:{c.capability_id}", {"type": "capability", "label": c.capability_name or c.capability_id,
                                    "group": c.capability_group})
        for c in caps[["capability_id", "capability_name", "capability_group"]]
        .astype(object).where(caps[["capability_id", "capability_name", "capability_group"]].notna(), None)
        .itertuples(index=False))
    graph.add_edges_from(pairs("sys:" + with_cap["system_key"], "cap:" + with_cap["capability_id"]),
                         type="provides")
    provided = with_cap.dropna(subset=["product_id"]).drop_duplicates(["product_id", "capability_id"])
    graph.add_edges_from(pairs("product:" + provided["product_id"], "cap:" + provided["capability_id"]),
                         type="provides")


def _add_data_domains(graph: nx.DiGraph, rows: pd.DataFrame) -> None:
    held = rows[["system_key", "data_domains"]].explode("data_domains").dropna()
    held = held[held["data_domains"].astype(str).str.strip() != ""]
    if held.empty:
        return
    held["domain_id"] = "data:" + map_unique(held["data_domains"], slug)
    first_label = held.drop_duplicates("domain_id").sort_values("domain_id")
    graph.add_nodes_from((d, {"type": "data_domain", "label": label})
                         for d, label in zip(first_label["domain_id"], first_label["data_domains"]))
    graph.add_edges_from(pairs("sys:" + held["system_key"], held["domain_id"]), type="holds_data")


def _add_integrations(graph: nx.DiGraph, rows: pd.DataFrame) -> None:
    """Resolve ``integrates_with`` references (``ID`` or ``DEPT:ID``) to system nodes."""
    refs = rows[["system_key", "department", "system_id", "integrates_with",
                 "source_file", "source_line"]].explode("integrates_with")
    refs = refs.dropna(subset=["integrates_with"])
    refs["ref"] = refs["integrates_with"].astype(str).str.strip()
    refs = refs[refs["ref"] != ""]
    findings: list[Finding] = []
    if not refs.empty:
        known = rows[["department", "system_id", "system_key"]].copy()
        known["dept_slug"] = map_unique(known["department"], slug)
        known["id_slug"] = known["system_id"].astype(str).str.strip().str.lower()
        dept_aliases = _department_aliases(rows["department"].unique())

        qualified = refs["ref"].str.contains(":", regex=False)
        parts = refs["ref"].str.split(":", n=1)
        refs["dept_slug"] = map_unique(refs["department"], slug)
        refs.loc[qualified, "dept_slug"] = map_unique(
            parts[qualified].str[0], lambda d: dept_aliases.get(slug(d), slug(d)))
        refs["id_slug"] = refs["ref"].str.lower()
        refs.loc[qualified, "id_slug"] = parts[qualified].str[1].str.strip().str.lower()
        merged = refs.merge(known[["dept_slug", "id_slug", "system_key"]].drop_duplicates(
            ["dept_slug", "id_slug"]), on=["dept_slug", "id_slug"], how="left",
            suffixes=("", "_target"))
        found = merged.dropna(subset=["system_key_target"])
        found = found[found["system_key"] != found["system_key_target"]]
        graph.add_edges_from(pairs("sys:" + found["system_key"], "sys:" + found["system_key_target"]),
                             type="integrates_with")
        missing = merged[merged["system_key_target"].isna()]
        external = "sys:external:" + missing["ref"]
        graph.add_nodes_from((node, {"type": "system", "label": ref, "external": True})
                             for node, ref in zip(external.unique(), missing["ref"].unique()))
        graph.add_edges_from(pairs("sys:" + missing["system_key"], external),
                             type="integrates_with")
        findings = [
            Finding(file=str(file), line=int(line), column="integrates_with", stage="graph",
                    severity="warning", code="unknown-integration",
                    message=f"integrates with {ref!r}, which no inventory lists",
                    department=dept, value=ref)
            for file, line, dept, ref in zip(*(missing[c].tolist() for c in (
                "source_file", "source_line", "department", "ref")))]
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
