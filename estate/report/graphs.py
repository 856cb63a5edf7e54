"""Interactive graphs: estate-graph.html, data-flow.html, clusters/*.html, departments/*.html.

Each page is a pyvis network rendered through our own jinja2 template (a ``ChoiceLoader``
over ``templates/`` and pyvis's own folder, so vis-network is inlined from the copy pyvis
ships). pyvis's default template pulls Bootstrap from a CDN even with
``cdn_resources="in_line"``; ours references nothing outside the file, so the pages work
offline. Node and edge data are embedded with ``tojson`` (``<``, ``>``, ``&`` escaped), and
tooltips are plain text (vis-network 9.1 shows a string title with ``innerText``).

Sizes measured in Chromium on the 2-core build machine (estate page, time until drawn):
with physics, 240 nodes 2.2 s and 390 nodes 3.6 s; with positions computed here and
physics off, 550 nodes 1.1 s, 1,500 nodes 1.6 s, 3,150 nodes 3.5 s, 6,300 nodes 4.8 s.
So physics is used up to :data:`PHYSICS_MAX_NODES`, Python positions above that, and above
:data:`OVERVIEW_MAX_NODES` the estate overview shows departments and capabilities instead
of systems (a view of thousands of dots is no longer readable), each department linking to
its own page with every system.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import networkx as nx
import pandas as pd
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from estate.report._files import write_text
from estate.report.html import STATIC, TEMPLATES, money, number

# pyvis is imported only when a page is rendered (it pulls in IPython-sized imports)
PYVIS_TEMPLATES = Path(importlib.util.find_spec("pyvis").submodule_search_locations[0]) \
    / "templates"

PHYSICS_MAX_NODES = 300
OVERVIEW_MAX_NODES = 2000
SEARCH_LIST_MAX = 5000
GROUP_ABOVE_NODES = 1500
"""Above this many nodes a cluster or department page draws groups of systems (same
department and product, or same capability and product) instead of one node per system:
DESIGN.md's "about 1-2k nodes per view at most"."""
GROUP_TOOLTIP_IDS = 12

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#393b79", "#e7969c", "#637939", "#7b4173", "#3182bd",
           "#e6550d", "#31a354", "#756bb1", "#843c39", "#5254a3", "#ad494a")
GREY = "#b1b4b6"
DEPARTMENT = "#0b2239"
CAPABILITY = "#6f72af"
DOMAIN = "#9d5fb0"
ROLES = {"target": "#00703c", "migrate": "#f47738"}
UNKNOWN_CAPABILITY = "Unrecognised"


@dataclass
class GraphPage:
    """What one graph page shows; every text in it is escaped when rendered."""

    title: str
    subtitle: str
    nodes: list[dict]
    edges: list[dict]
    legend: list[dict]            # {"key", "label", "color", "shape"}
    home: str                     # relative link back to report.html
    links: list[tuple[str, str]] = field(default_factory=list)   # (text, href)
    note: str = ""
    physics: bool = True
    blockers: list[str] = field(default_factory=list)


# --- rendering -------------------------------------------------------------------------

VIS_JS = "lib/vis-9.1.2/vis-network.min.js"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """One environment, so graph.html is compiled once per process, not once per page."""
    env = Environment(loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES)),
                                           FileSystemLoader(str(PYVIS_TEMPLATES))]),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env


@lru_cache(maxsize=1)
def _library_text(name: str) -> str:
    return _LIBRARY_ENV.loader.get_source(_LIBRARY_ENV, name)[0]


_LIBRARY_ENV = Environment(loader=FileSystemLoader(str(PYVIS_TEMPLATES)))


VIS_JS_OUT = "lib/vis-network.min.js"
"""Where the graph pages find vis-network, relative to the output folder.

One copy beside the pages instead of 470 kB inlined in each: a large estate has hundreds
of cluster and department pages. A relative file reference still works offline and from a
file share, as long as the output folder is kept together."""


def write_vis_js(out_dir: Path) -> Path:
    """Copy the vis-network build that pyvis ships into the output folder."""
    return write_text(Path(out_dir) / VIS_JS_OUT, _library_text(VIS_JS))


def _options(page: GraphPage) -> dict:
    big = len(page.nodes) > 100
    return {
        "autoResize": True,
        "nodes": {"shape": "dot", "scaling": {"min": 8, "max": 42},
                  "font": {"size": 13, "face": "system-ui, Arial, sans-serif"},
                  "borderWidth": 1},
        "edges": {"color": {"color": "#c5ccd3", "highlight": "#1d2733"},
                  "scaling": {"min": 1, "max": 8},
                  "smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.4}}},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": big,
                        "navigationButtons": False, "keyboard": False},
        "layout": {"randomSeed": 42, "improvedLayout": not big},
        "physics": {"enabled": page.physics, "solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 90,
                                         "springConstant": 0.08, "avoidOverlap": 0.4},
                    "minVelocity": 1.5, "maxVelocity": 60,
                    "stabilization": {"enabled": page.physics, "iterations": 220,
                                      "updateInterval": 25, "fit": True}},
    }


def render_graph(page: GraphPage) -> str:
    """The HTML text of one self-contained graph page."""
    from pyvis.network import Network
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line",
                  heading="")
    net.nodes = page.nodes
    net.edges = page.edges
    net.node_ids = [n["id"] for n in page.nodes]
    net.node_map = {n["id"]: n for n in page.nodes}
    net.options = _options(page)
    page_globals = {
        "page": page,
        "css": (STATIC / "graph.css").read_text(encoding="utf-8"),
        "js": (STATIC / "graph.js").read_text(encoding="utf-8"),
        "vis_js_src": page.home.rpartition("/")[0] + ("/" if "/" in page.home else "")
        + VIS_JS_OUT,
        "search_labels": sorted({n["label"] for n in page.nodes if n.get("label")})
        [:SEARCH_LIST_MAX],
    }
    env = _environment()
    net.templateEnv = env
    net.path = "graph.html"
    with _RENDER_LOCK:  # the page's values reach the template through env.globals
        env.globals.update(page_globals)
        try:
            return net.generate_html()
        finally:
            for key in page_globals:
                env.globals.pop(key, None)


_RENDER_LOCK = threading.Lock()


def write_graph(page: GraphPage, path: Path) -> Path:
    return write_text(path, render_graph(page))


# --- node and edge helpers -----------------------------------------------------------

def palette(keys) -> dict[str, str]:
    """A stable colour per key (sorted), cycling through :data:`PALETTE`."""
    ordered = sorted(k for k in set(keys) if k != UNKNOWN_CAPABILITY)
    colours = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(ordered)}
    colours[UNKNOWN_CAPABILITY] = GREY
    return colours


def _get(attrs: dict, key: str):
    """An attribute, with NaN/NA/empty treated as missing."""
    value = attrs.get(key)
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float:
        return None if value != value else value
    if kind is int:
        return value
    if value is None or isinstance(value, (tuple, list, dict)):
        return value or None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return None if value == "" else value


def capability_of(attrs: dict) -> str:
    return str(_get(attrs, "capability_name") or _get(attrs, "capability_id")
               or UNKNOWN_CAPABILITY)


def _line(label: str, value) -> str | None:
    return None if value is None else f"{label}: {value}"


_TOOLTIP_KEYS = ("external", "label", "name", "system_id", "department", "product_name",
                 "product", "vendor_name", "vendor", "capability_name", "capability", "users",
                 "annual_cost", "contract_end", "hosting", "classification")


def system_tooltip(attrs: dict, extra: list[str] | None = None) -> str:
    """Plain-text tooltip with the fields a person needs to recognise a system."""
    a = {k: _get(attrs, k) for k in _TOOLTIP_KEYS}
    if a.get("external"):
        return "\n".join([str(a.get("label")), "Not in any inventory (external reference)"])
    lines = [str(a.get("name") or a.get("label") or a.get("system_id")),
             _line("Department", a.get("department")),
             _line("System id", a.get("system_id")),
             _line("Product", a.get("product_name") or a.get("product")),
             _line("Vendor", a.get("vendor_name") or a.get("vendor")),
             _line("Capability", a.get("capability_name") or a.get("capability")),
             _line("Users", number(a["users"]) if a.get("users") is not None else None),
             _line("Annual cost", money(a["annual_cost"])
                   if a.get("annual_cost") is not None else None),
             _line("Contract end", a.get("contract_end")),
             _line("Hosting", a.get("hosting")),
             _line("Classification", a.get("classification"))]
    return "\n".join(x for x in [*lines, *(extra or [])] if x)


def size_key(graph: nx.DiGraph, systems) -> str:
    """Size systems by users when any has a user count, else by annual cost."""
    return "users" if any(_get(graph.nodes[s], "users") for s in systems) else "annual_cost"


def system_node(graph, node: str, color: str, legend: str, sized_by: str,
                label: str | None = None, extra: list[str] | None = None,
                url: str | None = None) -> dict:
    attrs = graph.nodes[node]
    value = _get(attrs, sized_by)
    out = {"id": node, "label": label or str(_get(attrs, "label") or node),
           "color": color, "shape": "dot", "title": system_tooltip(attrs, extra),
           "legend": legend, "value": float(value) if value else 0.0}
    if url:
        out["url"] = url
    return out


def hub_node(node: str, label: str, color: str, shape: str, legend: str, tooltip: str,
             size: int = 18, url: str | None = None) -> dict:
    out = {"id": node, "label": label, "color": color, "shape": shape, "size": size,
           "title": tooltip, "legend": legend, "font": {"size": 15, "strokeWidth": 3}}
    if url:
        out["url"] = url
    return out


def edge(source: str, target: str, kind: str, **extra) -> dict:
    return {"from": source, "to": target, "title": kind.replace("_", " "), **extra}


def grouped_positions(groups: dict[str, list[str]], hubs: dict[str, str],
                      outer: list[str], spacing: float = 34.0) -> dict[str, tuple[float, float]]:
    """Positions for a large view, O(n): each group is a sunflower round its hub, groups
    are packed in rows (largest first), and ``outer`` nodes sit on a ring round them all."""
    golden = math.pi * (3 - math.sqrt(5))
    ordered = sorted(groups, key=lambda g: (-len(groups[g]), g))
    radius = {g: spacing * (math.sqrt(len(groups[g]) + 1) + 1.5) for g in ordered}
    total_area = sum((2 * r) ** 2 for r in radius.values()) or 1.0
    row_width = max(math.sqrt(total_area) * 1.2, max(radius.values(), default=0) * 2)
    pos: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for group in ordered:
        r = radius[group]
        if x > 0 and x + 2 * r > row_width:
            x, y, row_height = 0.0, y + row_height, 0.0
        cx, cy = x + r, y + r
        if group in hubs:
            pos[hubs[group]] = (cx, cy)
        for i, node in enumerate(groups[group]):
            d = spacing * math.sqrt(i + 1.5)
            pos[node] = (cx + d * math.cos(i * golden), cy + d * math.sin(i * golden))
        x += 2 * r
        row_height = max(row_height, 2 * r)
    width, height = row_width, y + row_height
    ring = max(width, height) * 0.75 + spacing * 3
    for i, node in enumerate(outer):
        angle = 2 * math.pi * i / max(len(outer), 1)
        pos[node] = (width / 2 + ring * math.cos(angle), height / 2 + ring * math.sin(angle))
    return pos


def _place(nodes: list[dict], positions: dict[str, tuple[float, float]]) -> None:
    for node in nodes:
        if node["id"] in positions:
            x, y = positions[node["id"]]
            node["x"], node["y"] = round(x, 1), round(y, 1)


def _nodes_of(graph: nx.DiGraph, kind: str) -> list[str]:
    return sorted(n for n, t in graph.nodes(data="type") if t == kind)


class EdgeIndex:
    """The graph's edges by type and source node, built in one pass over all edges, so a
    page costs what its own nodes touch: a department hub's thousands of ``owns`` edges
    are not walked again for every cluster page that shows the department."""

    def __init__(self, graph: nx.DiGraph):
        self.graph = graph
        self.out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for u, v, kind in graph.edges(data="type"):
            self.out[kind][u].append(v)

    def between(self, kind: str, nodes: set[str]) -> list[tuple[str, str]]:
        out = self.out.get(kind, {})
        return sorted((u, v) for u in nodes for v in out.get(u, ()) if v in nodes)


def _edges_of(graph: nx.DiGraph, kind: str, nodes: set[str] | None = None,
              index: EdgeIndex | None = None):
    """Edges of one type, all of them or only those between ``nodes``.

    With ``nodes`` it walks only their out-edges (through ``index`` when given, built once
    for all pages), so a page for a few systems costs what those systems touch."""
    if nodes is None:
        return sorted((u, v) for u, v, t in graph.edges(data="type") if t == kind)
    if index is not None and index.graph is graph:
        return index.between(kind, nodes)
    adjacency = graph.adj
    return sorted((u, v) for u in nodes if u in adjacency
                  for v, data in adjacency[u].items() if v in nodes and data.get("type") == kind)


def group_node(node_id: str, label: str, color: str, legend: str, ids: list[str],
               value: float, what: str, url: str | None = None) -> dict:
    """One node standing for several systems (``ids``: their system ids, sorted)."""
    shown = ids[:GROUP_TOOLTIP_IDS]
    more = len(ids) - len(shown)
    lines = [label, f"{len(ids):,} systems ({what})",
             "Systems: " + ", ".join(shown) + (f" and {more:,} more" if more > 0 else "")]
    out = {"id": node_id, "label": f"{label} ({len(ids):,})", "color": color, "shape": "dot",
           "title": "\n".join(lines), "legend": legend, "value": float(value),
           "borderWidth": 3}
    if url:
        lines.append("Double-click to open its graph")
        out["title"] = "\n".join(lines)
        out["url"] = url
    return out


def _grouped_edges(graph: nx.DiGraph, node_of: dict[str, str], kind: str
                   ) -> dict[tuple[str, str], int]:
    """Edges of one type between the groups systems are drawn in, with their number.
    Walks only the out-edges of the systems in ``node_of``."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    adjacency = graph.adj
    for u, a in node_of.items():
        if u not in adjacency:
            continue
        for v, data in adjacency[u].items():
            b = node_of.get(v)
            if b is not None and b != a and data.get("type") == kind:
                counts[(a, b)] += 1
    return counts


def _connected(graph: nx.DiGraph, systems, exclude: set[str]) -> list[str]:
    """Systems linked to ``systems`` (either direction) that are not in ``exclude``."""
    found = set()
    for s in systems:
        if s not in graph:
            continue
        for w in (*graph.successors(s), *graph.predecessors(s)):
            if w not in exclude and graph.nodes[w].get("type") == "system":
                found.add(w)
    return sorted(found)


def _legend(colours: dict[str, str], used: set[str], shape: str = "dot") -> list[dict]:
    return [{"key": k, "label": k, "color": colours[k], "shape": shape}
            for k in sorted(used, key=lambda k: (k == UNKNOWN_CAPABILITY, k))]


def _finish(page: GraphPage) -> GraphPage:
    """Lay out large pages in Python and turn physics off (vis physics is slow there)."""
    if len(page.nodes) > PHYSICS_MAX_NODES:
        page.physics = False
    return page


# --- the views -------------------------------------------------------------------------

def estate_page(graph: nx.DiGraph, pages: dict) -> GraphPage:
    """The estate overview: systems by capability, or departments x capabilities if large."""
    departments = _nodes_of(graph, "department")
    systems = [s for s in _nodes_of(graph, "system") if not graph.nodes[s].get("external")]
    capabilities = _nodes_of(graph, "capability")
    dept_pages = pages["departments"]
    if len(departments) + len(systems) + len(capabilities) > OVERVIEW_MAX_NODES:
        return estate_overview(graph, departments, systems, dept_pages)

    caps = {s: capability_of(graph.nodes[s]) for s in systems}
    cap_label = {c: str(graph.nodes[c].get("label") or c) for c in capabilities}
    colours = palette([*caps.values(), *cap_label.values()])
    sized_by = size_key(graph, systems)
    # Large: no capability hubs (colour says the capability); systems sit round their
    # department, so the same colour in many departments is the duplication to look at.
    large = len(departments) + len(systems) + len(capabilities) > PHYSICS_MAX_NODES
    dept_label = {d: str(graph.nodes[d].get("label") or d[5:]) for d in departments}
    nodes = [hub_node(d, dept_label[d], DEPARTMENT, "square", "Department",
                      f"Department: {dept_label[d]}\nDouble-click to open its graph",
                      size=24 if large else 18, url=dept_pages.get(dept_label[d]))
             for d in departments]
    if large:
        for node in nodes:
            node["font"] = {"size": 40, "strokeWidth": 6}
    else:
        nodes += [hub_node(c, cap_label[c], colours.get(cap_label[c], CAPABILITY), "diamond",
                           cap_label[c], f"Capability: {cap_label[c]}", size=18)
                  for c in capabilities]
    nodes += [system_node(graph, s, colours[caps[s]], caps[s], sized_by) for s in systems]
    keep = {n["id"] for n in nodes}
    edges = [edge(u, v, "owns", color={"color": "#dde2e7"}) for u, v in
             _edges_of(graph, "owns", keep)]
    edges += [edge(u, v, "provides", dashes=True) for u, v in _edges_of(graph, "provides", keep)
              if graph.nodes[u].get("type") == "system"]
    edges += [edge(u, v, "integrates with", color={"color": "rgba(76,106,136,0.55)"}, width=2)
              for u, v in _edges_of(graph, "integrates_with", keep)]
    legend = [{"key": "Department", "label": "Department", "color": DEPARTMENT,
               "shape": "square"}] + _legend(colours, set(caps.values()) | (
                   set() if large else set(cap_label.values())))
    page = GraphPage(
        title="Estate graph",
        subtitle=f"{len(systems):,} systems in {len(departments):,} departments, "
                 f"coloured by capability, sized by {sized_by.replace('_', ' ')}",
        nodes=nodes, edges=edges, legend=legend, home="report.html",
        links=[("Data flow", "data-flow.html")],
        note=("Systems sit round their department; the same colour in several departments "
              "is the same capability built again. " if large else "")
        + "Double-click a department to open its own graph.",
        physics=not large)
    if large:
        groups: dict[str, list[str]] = {d: [] for d in departments}
        for s in systems:
            groups.setdefault(f"dept:{graph.nodes[s].get('department')}", []).append(s)
        _place(page.nodes, grouped_positions(groups, {d: d for d in departments}, []))
    return page


def estate_overview(graph: nx.DiGraph, departments: list[str], systems: list[str],
                    dept_pages: dict[str, str]) -> GraphPage:
    """Departments and capabilities only; an edge's width is the number of systems."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    per_dept: dict[str, int] = defaultdict(int)
    per_cap: dict[str, int] = defaultdict(int)
    for s in systems:
        attrs = graph.nodes[s]
        dept, cap = f"dept:{attrs.get('department')}", capability_of(attrs)
        counts[(dept, cap)] += 1
        per_dept[dept] += 1
        per_cap[cap] += 1
    colours = palette(per_cap)
    nodes = [{"id": d, "label": str(graph.nodes[d].get("label") or d[5:]), "shape": "square",
              "color": DEPARTMENT, "value": float(per_dept.get(d, 0)), "legend": "Department",
              "title": f"Department: {graph.nodes[d].get('label') or d[5:]}\n"
                       f"{per_dept.get(d, 0):,} systems\nDouble-click to open its graph",
              "url": dept_pages.get(str(graph.nodes[d].get("label") or d[5:]))}
             for d in departments]
    nodes += [{"id": f"capgroup:{c}", "label": c, "shape": "diamond", "color": colours[c],
               "value": float(n), "legend": c, "title": f"Capability: {c}\n{n:,} systems"}
              for c, n in sorted(per_cap.items())]
    edges = [edge(d, f"capgroup:{c}", f"{n:,} systems", value=float(n),
                  color={"color": "rgba(120,135,150,0.35)"}, arrows={"to": {"enabled": False}})
             for (d, c), n in sorted(counts.items())]
    legend = [{"key": "Department", "label": "Department", "color": DEPARTMENT,
               "shape": "square"}] + _legend(colours, set(per_cap), "diamond")
    page = _finish(GraphPage(
        title="Estate graph (grouped)",
        subtitle=f"{len(systems):,} systems in {len(departments):,} departments: too many to "
                 "draw one by one, so each node is a department or a capability",
        nodes=nodes, edges=edges, legend=legend, home="report.html",
        links=[("Data flow", "data-flow.html")],
        note="Edge width is the number of systems. Double-click a department to open its "
             "graph with every system."))
    if not page.physics:
        _place(page.nodes, grouped_positions(
            {"capabilities": [f"capgroup:{c}" for c in sorted(per_cap)]}, {}, departments,
            spacing=60.0))
    return page


def _department_hubs(graph: nx.DiGraph, department: str, own: list[str],
                     colours: dict[str, str]) -> tuple[list[str], list[dict]]:
    """The department's own node and one node per capability its systems provide."""
    cap_nodes = sorted({v for s in own for v in graph.successors(s)
                        if graph.nodes[v].get("type") == "capability"})
    nodes = [hub_node(f"dept:{department}", department, DEPARTMENT, "square", "Department",
                      f"Department: {department}\n{len(own):,} systems", size=26)]
    nodes += [hub_node(c, str(graph.nodes[c].get("label") or c),
                       colours.get(str(graph.nodes[c].get("label")), CAPABILITY), "diamond",
                       str(graph.nodes[c].get("label") or c),
                       f"Capability: {graph.nodes[c].get('label')}", size=16)
              for c in cap_nodes]
    return cap_nodes, nodes


def department_page(graph: nx.DiGraph, department: str, dept_pages: dict[str, str],
                    index: EdgeIndex | None = None) -> GraphPage:
    """One department's systems, the capabilities they provide, and their integrations."""
    dept = f"dept:{department}"
    own = sorted(v for v in graph.successors(dept) if graph.nodes[v].get("type") == "system") \
        if dept in graph else []
    own_set = set(own)
    partners = _connected(graph, own, own_set)
    if len(own) + len(partners) > GROUP_ABOVE_NODES:
        return grouped_department_page(graph, department, own, partners, dept_pages)
    caps = {s: capability_of(graph.nodes[s]) for s in own}
    colours = palette(caps.values())
    sized_by = size_key(graph, own)
    up = "../"
    cap_nodes, nodes = _department_hubs(graph, department, own, colours)
    nodes += [system_node(graph, s, colours[caps[s]], caps[s], sized_by) for s in own]
    for w in partners:
        attrs = graph.nodes[w]
        other = attrs.get("department")
        href = dept_pages.get(str(other)) if other else None
        nodes.append(system_node(
            graph, w, GREY, "Other department's system", sized_by,
            label=f"{other} · {attrs.get('label')}" if other else str(attrs.get("label")),
            extra=["Double-click to open its department"] if href else None,
            url=up + href if href else None))
    keep = {n["id"] for n in nodes}
    edges = [edge(u, v, "owns", color={"color": "#dde2e7"}) for u, v in
             _edges_of(graph, "owns", keep, index)]
    edges += [edge(u, v, "provides", dashes=True)
              for u, v in _edges_of(graph, "provides", keep, index)
              if u in own_set]
    edges += [edge(u, v, "integrates with", color={"color": "#4c6a88"}, width=2)
              for u, v in _edges_of(graph, "integrates_with", keep, index)
              if u in own_set or v in own_set]
    legend = ([{"key": "Department", "label": "Department", "color": DEPARTMENT,
                "shape": "square"}] + _legend(colours, set(caps.values())))
    if partners:
        legend.append({"key": "Other department's system", "label": "Other department's system",
                       "color": GREY, "shape": "dot"})
    page = _finish(GraphPage(
        title=f"Department: {department}",
        subtitle=f"{len(own):,} systems coloured by capability, sized by "
                 f"{sized_by.replace('_', ' ')}; {len(partners):,} connected systems elsewhere",
        nodes=nodes, edges=edges, legend=legend, home=up + "report.html",
        links=[("Estate graph", up + "estate-graph.html"), ("Data flow", up + "data-flow.html")]))
    if not page.physics:
        groups: dict[str, list[str]] = defaultdict(list)
        for s in own:
            groups[caps[s]].append(s)
        hubs = {str(graph.nodes[c].get("label")): c for c in cap_nodes}
        _place(page.nodes, grouped_positions(groups, hubs, [dept, *partners]))
    return page


def grouped_department_page(graph: nx.DiGraph, department: str, own: list[str],
                            partners: list[str], dept_pages: dict[str, str]) -> GraphPage:
    """A large department: one node per capability and product, one per other department."""
    dept = f"dept:{department}"
    up = "../"
    caps = {s: capability_of(graph.nodes[s]) for s in own}
    colours = palette(caps.values())
    sized_by = size_key(graph, own)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s in own:
        attrs = graph.nodes[s]
        product = str(_get(attrs, "product_name") or _get(attrs, "product") or "Unknown product")
        groups[(caps[s], product)].append(s)
    outside: dict[str, list[str]] = defaultdict(list)
    for w in partners:
        outside[str(graph.nodes[w].get("department") or "external")].append(w)
    cap_nodes, nodes = _department_hubs(graph, department, own, colours)
    node_of: dict[str, str] = {}
    by_cap: dict[str, list[str]] = defaultdict(list)
    for (cap, product), systems in sorted(groups.items()):
        gid = f"group:{cap}|{product}"
        node_of.update(dict.fromkeys(systems, gid))
        by_cap[cap].append(gid)
        nodes.append(group_node(
            gid, product, colours[cap], cap,
            [str(graph.nodes[s].get("system_id") or s) for s in systems],
            sum(float(_get(graph.nodes[s], sized_by) or 0) for s in systems),
            f"{cap}, {department}"))
    for other, systems in sorted(outside.items()):
        gid = f"other:{other}"
        node_of.update(dict.fromkeys(systems, gid))
        href = dept_pages.get(other)
        nodes.append(group_node(
            gid, other, GREY, "Other department's systems",
            [str(graph.nodes[s].get("system_id") or s) for s in systems],
            sum(float(_get(graph.nodes[s], sized_by) or 0) for s in systems),
            "connected systems in another department", url=up + href if href else None))
    edges = [edge(dept, gid, "owns", color={"color": "#dde2e7"})
             for gid in sorted({node_of[s] for s in own})]
    provides = sorted({(node_of[s], c) for s in own for c in graph.successors(s)
                       if graph.nodes[c].get("type") == "capability"})
    edges += [edge(g, c, "provides", dashes=True) for g, c in provides]
    integrations = _grouped_edges(graph, node_of, "integrates_with")
    edges += [edge(a, b, f"{n:,} integration(s)", value=float(n), color={"color": "#4c6a88"})
              for (a, b), n in sorted(integrations.items())
              if not (a.startswith("other:") and b.startswith("other:"))]
    legend = ([{"key": "Department", "label": "Department", "color": DEPARTMENT,
                "shape": "square"}] + _legend(colours, set(caps.values())))
    if partners:
        legend.append({"key": "Other department's systems",
                       "label": "Other department's systems", "color": GREY, "shape": "dot"})
    page = _finish(GraphPage(
        title=f"Department: {department}",
        subtitle=f"{len(own):,} systems in {len(groups):,} groups of one capability and "
                 f"product; {len(partners):,} connected systems elsewhere",
        nodes=nodes, edges=edges, legend=legend, home=up + "report.html",
        links=[("Estate graph", up + "estate-graph.html"), ("Data flow", up + "data-flow.html")],
        note="Too many systems to draw one by one: each dot is the department's systems of one "
             "product, sized by their total " + sized_by.replace("_", " ")
             + ". systems.csv lists every system."))
    if not page.physics:
        hubs = {str(graph.nodes[c].get("label")): c for c in cap_nodes}
        _place(page.nodes, grouped_positions(dict(by_cap), hubs,
                                             [dept, *(f"other:{o}" for o in sorted(outside))]))
    return page


def cluster_page(graph: nx.DiGraph, cluster: dict, dept_pages: dict[str, str],
                 index: EdgeIndex | None = None) -> GraphPage:
    """A cluster's members coloured by role, with their departments and integrations."""
    up = "../"
    members = {f"sys:{m['department']}:{m['system_id']}": m for m in cluster["members"]}
    target = f"sys:{cluster['target']['department']}:{cluster['target']['system_id']}"
    present = [s for s in sorted(members) if s in graph]
    if len(members) > GROUP_ABOVE_NODES:
        return grouped_cluster_page(graph, cluster, members, target, present, dept_pages)
    sized_by = size_key(graph, present) if present else "users"
    nodes: list[dict] = []
    for dept in sorted({m["department"] for m in cluster["members"]}):
        href = dept_pages.get(dept)
        nodes.append(hub_node(f"dept:{dept}", dept, DEPARTMENT, "square", "Department",
                              f"Department: {dept}" + ("\nDouble-click to open its graph"
                                                       if href else ""),
                              size=18, url=up + href if href else None))
    for key, m in sorted(members.items()):
        role = m["role"]
        extra = [f"Role: {role}", f"Disposition: {m['disposition']}"]
        if m.get("wave") is not None:
            extra.append(f"Wave: {m['wave']}")
        if key in graph:
            node = system_node(graph, key, ROLES.get(role, GREY), role.capitalize(), sized_by,
                               extra=extra)
        else:
            node = {"id": key, "label": m["name"] or m["system_id"], "shape": "dot",
                    "color": ROLES.get(role, GREY), "legend": role.capitalize(),
                    "value": float(m.get(sized_by) or 0),
                    "title": "\n".join([str(m["name"]), f"Department: {m['department']}",
                                        f"System id: {m['system_id']}", *extra])}
        if role == "target":
            node.update(shape="star", borderWidth=2)
        nodes.append(node)
    keep = {n["id"] for n in nodes}
    neighbours = _connected(graph, present, keep)
    if len(keep) + len(neighbours) > GROUP_ABOVE_NODES:
        return grouped_cluster_page(graph, cluster, members, target, present, dept_pages)
    for w in neighbours:
        attrs = graph.nodes[w]
        other = attrs.get("department")
        nodes.append(system_node(graph, w, GREY, "Connected system", sized_by,
                                 label=f"{other} · {attrs.get('label')}" if other
                                 else str(attrs.get("label"))))
    keep = {n["id"] for n in nodes}
    edges = [edge(f"dept:{m['department']}", key, "owns", color={"color": "#dde2e7"})
             for key, m in sorted(members.items())]
    repoint = {(f"sys:{a}", f"sys:{b}") for a, b in cluster["integrations_to_repoint"]}
    edges += [edge(u, v, "integration to re-point" if (u, v) in repoint or (v, u) in repoint
                   else "integrates with",
                   color={"color": "#d4351c" if (u, v) in repoint or (v, u) in repoint
                          else "#4c6a88"}, width=2)
              for u, v in _edges_of(graph, "integrates_with", keep, index)]
    edges += [edge(key, target, "migrates to", dashes=True, width=2,
                   color={"color": ROLES["migrate"]})
              for key, m in sorted(members.items()) if m["role"] != "target" and key != target]
    page = _cluster_graph_page(
        cluster, nodes, edges, up, neighbours=bool(neighbours),
        size=f"{len(members):,} systems",
        note="Dashed orange edges: migrates to the target. Red edges: integrations to "
             "re-point.")
    if not page.physics:
        _place(page.nodes, grouped_positions(
            {"members": [k for k in sorted(members) if k != target]}, {"members": target},
            [n["id"] for n in page.nodes if n["id"] not in members]))
    return page


def grouped_cluster_page(graph: nx.DiGraph, cluster: dict, members: dict[str, dict],
                         target: str, present: list[str], dept_pages: dict[str, str]
                         ) -> GraphPage:
    """A large cluster: the target, then one node per department and product migrating onto
    it, and one node per department for the systems connected to the cluster."""
    up = "../"
    sized_by = size_key(graph, present) if present else "users"
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key, m in members.items():
        if key != target:
            groups[(m["department"], m["product"] or "Unknown product")].append(key)
    neighbours = _connected(graph, present, set(members))
    outside: dict[str, list[str]] = defaultdict(list)
    for w in neighbours:
        outside[str(graph.nodes[w].get("department") or "external")].append(w)
    departments = sorted({m["department"] for m in members.values()})
    nodes = []
    for dept in departments:
        href = dept_pages.get(dept)
        nodes.append(hub_node(f"dept:{dept}", dept, DEPARTMENT, "square", "Department",
                              f"Department: {dept}" + ("\nDouble-click to open its graph"
                                                       if href else ""),
                              size=18, url=up + href if href else None))
    t = members.get(target)
    if t is not None:
        extra = [f"Role: {t['role']}", f"Disposition: {t['disposition']}"]
        node = (system_node(graph, target, ROLES["target"], "Target", sized_by, extra=extra)
                if target in graph else
                {"id": target, "label": t["name"] or t["system_id"], "color": ROLES["target"],
                 "legend": "Target", "value": float(t.get(sized_by) or 0),
                 "title": "\n".join([str(t["name"]), f"Department: {t['department']}",
                                     f"System id: {t['system_id']}", *extra])})
        node.update(shape="star", borderWidth=2)
        nodes.append(node)
    node_of: dict[str, str] = {target: target}
    for (dept, product), keys in sorted(groups.items()):
        gid = f"group:{dept}|{product}"
        node_of.update(dict.fromkeys(keys, gid))
        waves = sorted({members[k]["wave"] for k in keys if members[k]["wave"] is not None})
        nodes.append(group_node(
            gid, f"{dept} · {product}", ROLES["migrate"], "Migrate",
            [members[k]["system_id"] for k in keys],
            sum(float(members[k].get(sized_by) or 0) for k in keys),
            "migrating" + (f", wave(s) {', '.join(map(str, waves))}" if waves else "")))
    for other, keys in sorted(outside.items()):
        gid = f"other:{other}"
        node_of.update(dict.fromkeys(keys, gid))
        nodes.append(group_node(
            gid, other, GREY, "Connected system",
            [str(graph.nodes[k].get("system_id") or k) for k in keys],
            sum(float(_get(graph.nodes[k], sized_by) or 0) for k in keys),
            "connected to the cluster"))
    owns = sorted({(f"dept:{members[k]['department']}", node_of[k]) for k in members})
    edges = [edge(d, g, "owns", color={"color": "#dde2e7"}) for d, g in owns]
    repoint = {(f"sys:{a}", f"sys:{b}") for a, b in cluster["integrations_to_repoint"]}
    red = {(node_of.get(a), node_of.get(b)) for a, b in repoint} | \
        {(node_of.get(b), node_of.get(a)) for a, b in repoint}
    integrations = _grouped_edges(graph, node_of, "integrates_with")
    edges += [edge(a, b, f"{n:,} integration(s)" + (" to re-point" if (a, b) in red else ""),
                   value=float(n), color={"color": "#d4351c" if (a, b) in red else "#4c6a88"})
              for (a, b), n in sorted(integrations.items())
              if not (a.startswith("other:") and b.startswith("other:"))]
    edges += [edge(gid, target, f"{len(keys):,} migrate to the target", dashes=True,
                   value=float(len(keys)), color={"color": ROLES["migrate"]})
              for gid, keys in sorted((f"group:{d}|{p}", k) for (d, p), k in groups.items())]
    page = _cluster_graph_page(
        cluster, nodes, edges, up, neighbours=bool(neighbours),
        size=f"{len(members):,} systems in {len(groups):,} groups of one department and "
             "product",
        note="Too many systems to draw one by one: each orange dot is one department's "
             "systems of one product. Dashed orange edges: migrates to the target. Red edges: "
             "integrations to re-point. clusters.csv lists every member.")
    if not page.physics:
        _place(page.nodes, grouped_positions(
            {"members": [f"group:{d}|{p}" for d, p in sorted(groups)]}, {"members": target},
            [*(f"dept:{d}" for d in departments), *(f"other:{o}" for o in sorted(outside))]))
    return page


def _cluster_graph_page(cluster: dict, nodes: list[dict], edges: list[dict], up: str, *,
                        neighbours: bool, size: str, note: str) -> GraphPage:
    """The page around a cluster's nodes: title, figures, role legend and links."""
    legend = [{"key": "Target", "label": "Target", "color": ROLES["target"], "shape": "star"},
              {"key": "Migrate", "label": "Migrate", "color": ROLES["migrate"], "shape": "dot"},
              {"key": "Department", "label": "Department", "color": DEPARTMENT,
               "shape": "square"}]
    if neighbours:
        legend.append({"key": "Connected system", "label": "Connected system", "color": GREY,
                       "shape": "dot"})
    saving = (f"estimated saving {money(cluster['annual_saving'])} a year"
              if cluster["annual_saving"] is not None else "saving not estimable")
    return _finish(GraphPage(
        title=f"Cluster {cluster['id']}: {cluster['capability'] or 'unknown capability'}",
        subtitle=f"{size}, tier {cluster['tier']}, {saving}, {cluster['waves']} wave(s)",
        nodes=nodes, edges=edges, legend=legend, home=up + "report.html",
        links=[("Estate graph", up + "estate-graph.html")], note=note,
        blockers=list(cluster["blockers"])))


def data_flow_page(graph: nx.DiGraph, pages: dict) -> GraphPage:
    """Integrations between departments and the data domains each department holds."""
    dept_of = {n: graph.nodes[n].get("department") for n, t in graph.nodes(data="type")
               if t == "system"}
    flows: dict[tuple[str, str], int] = defaultdict(int)
    for u, v in _edges_of(graph, "integrates_with"):
        a, b = dept_of.get(u), dept_of.get(v)
        if a and b and a != b:
            flows[(a, b)] += 1
    held: dict[tuple[str, str], int] = defaultdict(int)
    for u, v in _edges_of(graph, "holds_data"):
        if dept_of.get(u):
            held[(dept_of[u], v)] += 1
    departments = sorted({d for pair in flows for d in pair} | {d for d, _ in held} |
                         {str(graph.nodes[d].get("label") or d[5:])
                          for d in _nodes_of(graph, "department")})
    domains = sorted({v for _, v in held})
    holders: dict[str, int] = defaultdict(int)
    for (_, v), n in held.items():
        holders[v] += n
    dept_pages = pages["departments"]
    nodes = [hub_node(f"dept:{d}", d, DEPARTMENT, "square", "Department",
                      f"Department: {d}\nDouble-click to open its graph"
                      if dept_pages.get(d) else f"Department: {d}",
                      url=dept_pages.get(d)) for d in departments]
    nodes += [hub_node(v, str(graph.nodes[v].get("label") or v), DOMAIN, "triangle",
                       "Data domain", f"Data domain: {graph.nodes[v].get('label') or v}\n"
                       f"held in {holders[v]:,} systems",
                       size=14) for v in domains]
    edges = [edge(f"dept:{a}", f"dept:{b}", f"{n:,} integration(s) {a} → {b}", value=float(n),
                  color={"color": "#4c6a88"}) for (a, b), n in sorted(flows.items())]
    edges += [edge(f"dept:{d}", v, f"{n:,} system(s) in {d} hold this data", value=float(n),
                   dashes=True, arrows={"to": {"enabled": False}}, color={"color": "#c9b3d3"})
              for (d, v), n in sorted(held.items())]
    legend = [{"key": "Department", "label": "Department", "color": DEPARTMENT,
               "shape": "square"},
              {"key": "Data domain", "label": "Data domain", "color": DOMAIN,
               "shape": "triangle"}]
    page = _finish(GraphPage(
        title="Data flow",
        subtitle=f"Integrations between {len(departments):,} departments and the "
                 f"{len(domains):,} kinds of data they hold",
        nodes=nodes, edges=edges, legend=legend, home="report.html",
        links=[("Estate graph", "estate-graph.html")],
        note="Solid arrows: integrations from one department's systems to another's; edge "
             "width is their number. Dashed: data domains held."))
    if not page.physics:
        _place(page.nodes, grouped_positions({"domains": domains}, {},
                                             [f"dept:{d}" for d in departments]))
    return page


def write_graphs(findings, doc: dict, out_dir: Path) -> dict[str, object]:
    """Write every graph page; returns the paths written by kind."""
    graph = findings.graph
    pages = doc["pages"]
    written: dict[str, object] = {
        "vis_js": write_vis_js(out_dir),
        "estate_graph": write_graph(estate_page(graph, pages), out_dir / pages["estate_graph"]),
        "data_flow": write_graph(data_flow_page(graph, pages), out_dir / pages["data_flow"]),
    }
    index = EdgeIndex(graph)
    written["clusters"] = {
        c["id"]: write_graph(cluster_page(graph, c, pages["departments"], index),
                             out_dir / c["graph"])
        for c in doc["clusters"] if c["graph"]}
    written["departments"] = {
        d: write_graph(department_page(graph, d, pages["departments"], index), out_dir / rel)
        for d, rel in pages["departments"].items()}
    return written
