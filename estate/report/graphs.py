"""Interactive graphs: estate-graph.html, data-flow.html, clusters/*.html, departments/*.html.

Each page is rendered through our own jinja2 template, ``templates/graph.html``; the
vis-network build that pyvis ships is copied once beside the pages. pyvis's default
template pulls Bootstrap from a CDN even with ``cdn_resources="in_line"``; ours references
nothing outside the output folder, so the pages work offline. Node and edge data are
embedded as JSON with ``<``, ``>``, ``&`` and ``'`` escaped (what jinja's ``tojson`` writes),
and tooltips are plain text (vis-network 9.1 shows a string title with ``innerText``).

Sizes measured in Chromium on the 2-core build machine (estate page, time until drawn):
with physics, 240 nodes 2.2 s and 390 nodes 3.6 s; with positions computed here and
physics off, 550 nodes 1.1 s, 1,500 nodes 1.6 s, 3,150 nodes 3.5 s, 6,300 nodes 4.8 s.
So physics is used up to :data:`PHYSICS_MAX_NODES`, Python positions above that, and above
:data:`OVERVIEW_MAX_NODES` the estate overview shows departments and capabilities instead
of systems (a view of thousands of dots is no longer readable), each department linking to
its own page with every system.

Cost: system nodes in the graph may carry only a few keys (type, label, department, ids);
what a page shows about a system (product, vendor, capability, users, cost...) is read from
the systems table column-wise once per run (:class:`EstateView`), tooltips are built in one
vectorised pass for every system any page draws, and a page walks only the edges of its
own nodes. So the pages together cost about what they draw, not pages x estate. The
system nodes and edges of a department or cluster page drawn one system at a time are held
as columns (:class:`PageRows`) and written as JSON text joined from pieces made once per run
(each system's id, label and tooltip) or once per page, not as a dict per node encoded by
``json.dumps``; the text is the same. So are a grouped page's group nodes
(:class:`GroupNodes`).
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from itertools import chain, compress, islice, repeat
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from estate.arrays import object_array, sorted_unique
from estate.graph import integration_index, type_counts
from estate.memory import gc_paused
from estate.report._files import write_text
from estate.report.html import STATIC, TEMPLATES, money, number

PYVIS_TEMPLATES = Path(importlib.util.find_spec("pyvis").submodule_search_locations[0]) \
    / "templates"

PHYSICS_MAX_NODES = 300
OVERVIEW_MAX_NODES = 2000
SEARCH_LIST_MAX = 5000
GROUP_ABOVE_NODES = 600
"""Above this many nodes a cluster or department page draws groups of systems (same
department and product, or same capability and product) instead of one node per system:
no page draws more systems one by one than a grouped page draws groups
(:data:`GROUP_DRAWN_MAX`), which keeps every view well within DESIGN.md's "about 1-2k nodes
per view at most" and its pages small (a page of 1,500 dots, each with its own tooltip, was
about 1 MB)."""
GROUP_DRAWN_MAX = 600
"""A grouped page draws at most this many groups (or :data:`GROUP_ABOVE_NODES`, if lower):
the largest, with the rest merged into one node per department (cluster page) or
capability (department page), see :func:`cap_groups`. A page also draws its department
or capability hubs and one node per other department linked to it (up to a few hundred
each in a large estate), so this keeps the whole view within DESIGN.md's 1-2k nodes, and
its file below about half a megabyte."""
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
UNKNOWN_PRODUCT = "Unknown product"


@dataclass
class GraphPage:
    """What one graph page shows; every text in it is escaped when rendered."""

    title: str
    subtitle: str
    nodes: list[dict] | PageRows
    edges: list[dict] | PageRows
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
    return Environment(loader=FileSystemLoader(str(TEMPLATES)),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


@lru_cache(maxsize=1)
def _library_text(name: str) -> str:
    return (PYVIS_TEMPLATES / name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


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


def _json(value) -> Markup:
    """JSON safe inside a ``<script>`` element: exactly what jinja's ``tojson`` filter
    writes (sorted keys; ``<``, ``>``, ``&``, ``'`` as \\u escapes), serialised in one
    ``json.dumps`` call instead of through the template. :class:`PageRows` (a page's nodes
    or edges in column blocks) join their blocks' texts."""
    if isinstance(value, PageRows):
        return Markup(value.json())
    return Markup(_safe(json.dumps(value, sort_keys=True)))


def _safe(text: str) -> str:
    """JSON text with ``<``, ``>``, ``&``, ``'`` escaped (they occur only inside strings,
    so escaping a whole text is escaping each string in it)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "&", "\\u0026").replace("'", "\\u0027")


def _encode(values: list[str]) -> list[str]:
    """The :func:`_json` text of each string, from one ``json.dumps`` of them all. An
    encoded string holds a quote only as ``\\"``, so ``", "`` occurs only between two."""
    if not values:
        return []
    return [f'"{x}"' for x in _safe(json.dumps(values))[2:-2].split('", "')]


def _encoder(values) -> dict[str, str]:
    """:func:`_encode` of each distinct string, by string."""
    distinct = list(dict.fromkeys(values))
    return dict(zip(distinct, _encode(distinct)))


def _numbers(values: list[float]) -> list[str]:
    """The JSON text of each float, as ``json.dumps`` writes it (``NaN``, ``Infinity``)."""
    return json.dumps(values)[1:-1].split(", ") if values else []


def _rounded(points: list) -> list:
    """``(round(x, 1), round(y, 1))`` of each point, None staying None: numpy's rounding
    (``rint(v * 10) / 10``) where it is Python's, i.e. away from halfway cases, which
    (and anything not a plain float) Python's ``round`` decides."""
    present = [p for p in points if p is not None]
    flat = list(chain.from_iterable(present))
    if len(flat) < 16 or set(map(type, flat)) != {float} or len(flat) != 2 * len(present):
        return [None if p is None else (round(p[0], 1), round(p[1], 1)) for p in points]
    values = np.array(flat, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):  # inf and nan are left to round()
        scaled = values * 10
        out = np.rint(scaled) / 10
        near = (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6) | ~(np.abs(values) < 1e12)
    if near.any():
        out[near] = [round(v, 1) for v in values[near].tolist()]
    pairs = list(map(tuple, out.reshape(-1, 2).tolist()))
    if len(pairs) == len(points):
        return pairs
    pairs.reverse()
    return [None if p is None else pairs.pop() for p in points]


def _value_texts(numbers: list[str], urls, xy) -> list[str]:
    """The ``"url"`` (when a node has one), ``"value"`` and ``"x"``/``"y"`` (when placed)
    part of each node's JSON, for the node blocks."""
    if urls is not None and any(urls):
        encoded = _encoder(u for u in urls if u)
        values = [f'"url": {encoded[u]}, "value": {v}' if u else f'"value": {v}'
                  for u, v in zip(urls, numbers)]
    else:
        values = [f'"value": {v}' for v in numbers]
    if xy is not None:
        coords = iter(_numbers([c for p in xy if p is not None for c in p]))
        values = [v if p is None else f'{v}, "x": {next(coords)}, "y": {next(coords)}'
                  for v, p in zip(values, xy)]
    return values


class PageRows(Sequence):
    """A page's nodes or edges: plain dicts and column blocks (:class:`SystemNodes`,
    :class:`EdgeBlock`) in order. Rendering joins each block's JSON texts, built for all
    its rows at once; reading a row (tests, small pages) makes its dict."""

    def __init__(self, parts: list):
        self.parts = [p for p in parts if len(p)]

    def __len__(self) -> int:
        return sum(map(len, self.parts))

    @cached_property
    def _rows(self) -> list[dict]:
        return [row for part in self.parts for row in (
            part.dicts() if isinstance(part, _Block) else part)]

    def __getitem__(self, i):
        return self._rows[i]

    def __iter__(self):
        return iter(self._rows)

    def json(self) -> str:
        texts = []
        for part in self.parts:
            if isinstance(part, _Block):
                texts += part.texts()
            else:
                texts.append(_safe(json.dumps(part, sort_keys=True))[1:-1])
        return "[" + ", ".join(texts) + "]"

    def ids(self) -> list[str]:
        return [x for part in self.parts for x in (
            part.ids if isinstance(part, _NODE_BLOCKS) else [n["id"] for n in part])]

    def labels(self) -> list:
        return [x for part in self.parts for x in (
            part.label_list() if isinstance(part, _NODE_BLOCKS)
            else [n.get("label") for n in part])]

    def place(self, positions: dict[str, tuple[float, float]]) -> None:
        for part in self.parts:
            if isinstance(part, _NODE_BLOCKS):
                part.place(positions)
            else:
                _place(part, positions)
        self.__dict__.pop("_rows", None)


class _Block:
    """A column block of :class:`PageRows`."""


class SystemNodes(_Block):
    """System nodes of one page as columns: what :func:`system_node` makes for each of
    ``ids`` (colour, legend per node; ``labels``, tooltip ``extra`` text and ``urls`` per
    node when given), with the ids', labels' and tooltips' JSON texts made once per run
    (:meth:`EstateView.encoded`)."""

    def __init__(self, view: EstateView, ids: list[str], colors: list[str],
                 legends: list[str], sized_by: str, labels: list[str] | None = None,
                 extra: list[str] | None = None, urls: list[str | None] | None = None):
        self.view, self.ids, self.colors, self.legends = view, ids, colors, legends
        self.sized_by, self.labels, self.extra, self.urls = sized_by, labels, extra, urls
        self.xy: list[tuple[float, float] | None] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def _values(self) -> list[float]:
        pos = self.view.pos
        at = np.fromiter(map(pos.__getitem__, self.ids), dtype=np.intp, count=len(self.ids))
        return [v or 0.0 for v in self.view.size_array[self.sized_by][at].tolist()]

    def label_list(self) -> list[str]:
        if self.labels is not None:
            return self.labels
        labels = self.view.labels
        try:
            return list(map(labels.__getitem__, self.ids))
        except KeyError:
            self.view.prepare(self.ids)
            return list(map(labels.__getitem__, self.ids))

    def place(self, positions: dict[str, tuple[float, float]]) -> None:
        self.xy = _rounded(list(map(positions.get, self.ids)))

    def dicts(self) -> list[dict]:
        out = []
        extra = self.extra or repeat("")
        urls = self.urls or repeat(None)
        for node, label, color, legend, more, url, value, xy in zip(
                self.ids, self.label_list(), self.colors, self.legends, extra, urls,
                self._values(), self.xy or repeat(None)):
            d = {"id": node, "label": label, "color": color, "shape": "dot",
                 "title": self.view.tooltip(node) + more, "legend": legend, "value": value}
            if url:
                d["url"] = url
            if xy is not None:
                d["x"], d["y"] = xy
            out.append(d)
        return out

    def texts(self) -> list[str]:
        ids, labels, titles = self.view.encoded(self.ids)
        if self.labels is not None:
            labels = _encode(self.labels)
        if self.extra is not None:
            more = _encoder(self.extra)
            titles = [t if not x else t[:-1] + more[x][1:]
                      for t, x in zip(titles, self.extra)]
        colors = _encoder(self.colors)
        legends = _encoder(self.legends)
        values = _value_texts(_numbers(self._values()), self.urls, self.xy)
        return [f'{{"color": {colors[c]}, "id": {i}, "label": {lab}, "legend": {legends[g]}, '
                f'"shape": "dot", "title": {t}, {v}}}'
                for c, i, lab, g, t, v in zip(self.colors, ids, labels, self.legends, titles,
                                             values)]


class GroupNodes(_Block):
    """Group nodes of one grouped page as rows of plain values: what :func:`group_node`
    (or, for a row added by :meth:`add_merged`, :func:`merged_node`) makes for each,
    written as JSON from a few ``json.dumps`` calls per page instead of one dict per
    node."""

    def __init__(self):
        self.rows: list[tuple] = []   # id, label, color, legend, title, value, url, dashed
        self.xy: list[tuple[float, float] | None] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, node_id: str, label: str, color: str, legend: str, ids: list[str],
            count: int, value: float, what: str, url: str | None = None) -> None:
        """A :func:`group_node`."""
        shown = ids[:GROUP_TOOLTIP_IDS]
        more = count - len(shown)
        title = (f"{label}\n{count:,} systems ({what})\nSystems: " + ", ".join(shown)
                 + (f" and {more:,} more" if more > 0 else "")
                 + ("\nDouble-click to open its graph" if url else ""))
        self.rows.append((node_id, f"{label} ({count:,})", color, legend, title,
                          float(value), url or None, False))

    def add_merged(self, node_id: str, label: str, color: str, legend: str,
                   products: list[tuple[str, int]], ids: list[str], count: int, value: float,
                   what: str, tables: str) -> None:
        """A :func:`merged_node`."""
        shown = products[:GROUP_TOOLTIP_IDS]
        more = len(products) - len(shown)
        first_ids = ids[:GROUP_TOOLTIP_IDS]
        title = "\n".join([
            label, f"{count:,} systems ({what})",
            f"{len(products):,} products with the fewest systems, merged to keep the page "
            "readable",
            "Products: " + ", ".join(f"{p} ({n:,})" for p, n in shown)
            + (f" and {more:,} more" if more > 0 else ""),
            "Systems: " + ", ".join(first_ids)
            + (f" and {count - len(first_ids):,} more" if count > len(first_ids) else ""),
            f"Too many products to draw one by one: every system is listed in {tables}"])
        self.rows.append((node_id, f"{label} ({count:,})", color, legend, title,
                          float(value), None, True))

    @property
    def ids(self) -> list[str]:
        return [row[0] for row in self.rows]

    def label_list(self) -> list[str]:
        return [row[1] for row in self.rows]

    def place(self, positions: dict[str, tuple[float, float]]) -> None:
        self.xy = _rounded(list(map(positions.get, self.ids)))

    def dicts(self) -> list[dict]:
        out = []
        for (node_id, label, color, legend, title, value, url, dashed), xy in zip(
                self.rows, self.xy or repeat(None)):
            d = {"id": node_id, "label": label, "color": color, "shape": "dot",
                 "title": title, "legend": legend, "value": value, "borderWidth": 3}
            if url:
                d["url"] = url
            if dashed:
                d["shapeProperties"] = {"borderDashes": [4, 3]}
            if xy is not None:
                d["x"], d["y"] = xy
            out.append(d)
        return out

    def texts(self) -> list[str]:
        if not self.rows:
            return []
        ids, labels, color_of, legend_of, titles, values, url_of, dashed = map(
            list, zip(*self.rows))
        colors, legends = _encoder(color_of), _encoder(legend_of)
        shapes = ['"shape": "dot", "shapeProperties": {"borderDashes": [4, 3]}, ' if d
                  else '"shape": "dot", ' for d in dashed]
        values = _value_texts(_numbers(values), url_of, self.xy)
        return [f'{{"borderWidth": 3, "color": {colors[c]}, "id": {i}, "label": {lab}, '
                f'"legend": {legends[g]}, {shape}"title": {t}, {v}}}'
                for c, i, lab, g, shape, t, v in zip(
                    color_of, _encode(ids), _encode(labels), legend_of, shapes,
                    _encode(titles), values)]


_NODE_BLOCKS = (SystemNodes, GroupNodes)


class EdgeBlock(_Block):
    """Edges of one page as columns: :func:`edge` for each (``sources``, ``targets``)
    pair, with the title and other fields of ``kinds[choice[i]]`` (``(kind, extra)``)."""

    def __init__(self, sources: list[str], targets: list[str],
                 kinds: list[tuple[str, dict]], choice: list[int] | None = None,
                 known: dict[str, str] | None = None):
        self.sources, self.targets, self.kinds = sources, targets, kinds
        self.choice = choice
        self.known = known   # node id -> its JSON text, shared by the pages of a run

    @classmethod
    def of(cls, pairs: list[tuple[str, str]], kind: str, known: dict[str, str] | None = None,
           **extra) -> EdgeBlock:
        """:func:`edge` ``(u, v, kind, **extra)`` for each pair."""
        return cls([u for u, _ in pairs], [v for _, v in pairs], [(kind, extra)], known=known)

    @classmethod
    def keyed(cls, rows: list[tuple[str, str, object]], kind_of,
              known: dict[str, str] | None = None) -> EdgeBlock:
        """Edges whose title and fields follow from a small key (an integration count, a
        flag): ``rows`` are (source, target, key), and ``kind_of(key)`` gives the
        ``(kind, extra)`` of :func:`edge`, made once per distinct key, not a dict per
        edge."""
        index: dict = {}
        kinds: list[tuple[str, dict]] = []
        choice = []
        for _, _, key in rows:
            at = index.get(key)
            if at is None:
                at = index[key] = len(kinds)
                kinds.append(kind_of(key))
            choice.append(at)
        return cls([u for u, _, _ in rows], [v for _, v, _ in rows], kinds, choice, known)

    def __len__(self) -> int:
        return len(self.sources)

    def dicts(self) -> list[dict]:
        choice = self.choice or repeat(0)
        return [edge(u, v, self.kinds[k][0], **self.kinds[k][1])
                for u, v, k in zip(self.sources, self.targets, choice)]

    def texts(self) -> list[str]:
        mark_u, mark_v = "\x01from\x01", "\x01to\x01"
        templates = []
        for kind, extra in self.kinds:
            text = _safe(json.dumps(edge(mark_u, mark_v, kind, **extra), sort_keys=True))
            head, rest = text[1:-1].split(json.dumps(mark_u))
            middle, tail = rest.split(json.dumps(mark_v))
            templates.append((head, middle, tail))
        code = {} if self.known is None else self.known
        todo = [x for x in dict.fromkeys([*self.sources, *self.targets]) if x not in code]
        code.update(zip(todo, _encode(todo)))
        if self.choice is None:
            head, middle, tail = templates[0]
            return [f"{{{head}{code[u]}{middle}{code[v]}{tail}}}"
                    for u, v in zip(self.sources, self.targets)]
        return ["{" + templates[k][0] + code[u] + templates[k][1] + code[v] + templates[k][2]
                + "}" for u, v, k in zip(self.sources, self.targets, self.choice)]


def _search_options(labels: list) -> Markup:
    """One ``<option>`` per label: the labels escaped in one call when they are plain text
    (escaping is per character, so it is the same as escaping each)."""
    if labels and set(map(type, labels)) == {str}:
        joined = "\x00".join(labels)
        if joined.count("\x00") == len(labels) - 1:
            text = str(escape(joined))
            return Markup('<option value="' + text.replace("\x00", '"><option value="')
                          + '">')
    return Markup("".join(f'<option value="{escape(label)}">' for label in labels))


def render_graph(page: GraphPage) -> str:
    """The HTML text of one self-contained graph page."""
    labels = page.nodes.labels() if isinstance(page.nodes, PageRows) else \
        [n.get("label") for n in page.nodes]
    labels = sorted({x for x in labels if x})[:SEARCH_LIST_MAX]
    return _environment().get_template("graph.html").render(
        page=page,
        css=_static("graph.css"),
        js=_static("graph.js"),
        vis_js_src=page.home.rpartition("/")[0] + ("/" if "/" in page.home else "")
        + VIS_JS_OUT,
        search_options=_search_options(labels),
        node_count=len(page.nodes),
        nodes_json=_json(page.nodes),
        edges_json=_json(page.edges),
        options_json=Markup(json.dumps(_options(page))),
        physics_json=_json(page.physics))


def write_graph(page: GraphPage, path: Path) -> Path:
    return write_text(path, render_graph(page))


# --- what the pages read ---------------------------------------------------------------

TOOLTIP_LINES = (("Department", ("department",)), ("System id", ("system_id",)),
                 ("Product", ("product_name", "product")), ("Vendor", ("vendor_name", "vendor")),
                 ("Capability", ("capability_name", "capability")), ("Users", ("users",)),
                 ("Annual cost", ("annual_cost",)), ("Contract end", ("contract_end",)),
                 ("Hosting", ("hosting",)), ("Classification", ("classification",)))
"""The lines of a system's tooltip after its name: label, then the first present column."""

TOOLTIP_COLUMNS = tuple(dict.fromkeys(
    ["name", "system_id"] + [c for _, columns in TOOLTIP_LINES for c in columns]))
"""The system attributes a tooltip shows."""


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


def _values(column: pd.Series) -> np.ndarray:
    """A column as Python objects, None where missing or empty (what :func:`_get` reads)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        column = column.dt.strftime("%Y-%m-%d")
    values = column.to_numpy(dtype=object, na_value=None)
    empty = values == ""
    if empty.any():
        values = values.copy()
        values[empty] = None
    return values


def _first(*columns: np.ndarray, default=None) -> np.ndarray:
    """Per row, the first column's value that is present."""
    out = columns[0].copy()
    for column in columns[1:]:
        missing = np.equal(out, None)
        out[missing] = column[missing]
    if default is not None:
        out[np.equal(out, None)] = default
    return out


def _strings(values: np.ndarray) -> np.ndarray:
    """``str`` of each value, as an object array (the array itself when all are text)."""
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return object_array(list(map(str, values)))


def _texts_or(values: np.ndarray, other) -> np.ndarray:
    """``str(value or other)`` for each value (``other``: one per value, an iterable)."""
    empty = ~values.astype(bool)
    if empty.any():
        values = values.copy()
        values[empty] = object_array(list(compress(other, empty.tolist())))
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return object_array(list(map(str, values.tolist())))


def _texts(values: np.ndarray, fmt) -> np.ndarray:
    """``fmt(value)`` for each present value (None stays None); a formatter other than
    ``str`` runs once per distinct value."""
    present = ~np.equal(values, None)
    out = np.full(len(values), None, dtype=object)
    if not present.any():
        return out
    if fmt is str:
        out[present] = [v if v.__class__ is str else str(v) for v in values[present]]
    else:
        keys = pd.Series(values[present], dtype=object)
        uniques = keys.drop_duplicates().tolist()
        out[present] = keys.map(dict(zip(uniques, map(fmt, uniques)))).to_numpy(dtype=object)
    return out


def _systems_table(graph: nx.DiGraph, systems: pd.DataFrame | None) -> pd.DataFrame:
    """The attributes of the graph's systems by node id: ``graph.graph["systems"]`` when
    the graph carries it, else the analysed rows of the normalised systems table (the
    last row of a key wins, as in the graph)."""
    table = graph.graph.get("systems")
    if isinstance(table, pd.DataFrame):
        return table
    if systems is None or "system_key" not in getattr(systems, "columns", ()):
        return pd.DataFrame(index=pd.Index([], dtype=object))
    if "status" in systems.columns:
        systems = systems.loc[(systems["status"] == "analysed").to_numpy(dtype=bool,
                                                                         na_value=False)]
    table = systems.set_axis(("sys:" + systems["system_key"].astype(str)).tolist())
    if not table.index.is_unique:
        table = table.loc[~table.index.duplicated(keep="last")]
    return table


class EstateView:
    """The graph plus the attributes of its system nodes, read once for all pages.

    Nodes are grouped by type in one pass. System attributes come from the systems table
    (``graph.graph["systems"]``, else ``findings.systems``) column-wise; a system node the
    table does not list (an external reference, a hand-built graph) is read from its own
    node attributes. Each system has a position (:attr:`pos`: the table's rows, then the
    unlisted nodes), and per position the pages find its capability (name, else id, else
    "Unrecognised"), product (name, else as written, else "Unknown product") and sizes.
    Tooltips are built by :meth:`prepare` for the systems some page draws, in one
    vectorised pass."""

    def __init__(self, graph: nx.DiGraph, systems: pd.DataFrame | None = None):
        self.graph = graph
        self.node, self.succ, self.pred = graph._node, graph._succ, graph._pred
        table = _systems_table(graph, systems)
        listed = table.index.tolist()
        pos = dict(zip(listed, range(len(listed))))
        kinds, unlisted = self._kinds(pos)
        self.of_type = {kind: sorted(kinds[kind])
                        for kind in ("department", "capability", "data_domain")}
        graph_ids = kinds["system"]
        if unlisted is None:
            unlisted = [n for n in graph_ids if n not in pos]
        if len(listed) + len(unlisted) != len(graph_ids):  # rows for nodes not in the graph
            table = table.loc[table.index.isin(graph_ids)]
            listed = table.index.tolist()
            pos = dict(zip(listed, range(len(listed))))
        self.table = table
        self.ids = listed + unlisted
        pos.update(zip(unlisted, range(len(listed), len(self.ids))))
        self.pos = pos
        self.external = np.zeros(len(self.ids), dtype=bool)
        self.external[len(listed):] = [bool(self.node[n].get("external")) for n in unlisted]
        # a few columns at a time: a million-row column of objects is 8 MB
        self.department_array = self._columns(None, ("department",))["department"]
        self.capability_array = _strings(_first(*self._columns(
            None, ("capability_name", "capability_id")).values(), default=UNKNOWN_CAPABILITY))
        self.product_array = _strings(_first(*self._columns(
            None, ("product_name", "product")).values(), default=UNKNOWN_PRODUCT))
        self.size_array = {key: _first(self._columns(None, (key,))[key],
                                       default=0.0).astype(float)
                           for key in ("users", "annual_cost")}
        # the table is the graph's own: its values are the system nodes' attributes
        self.own_table = isinstance(graph.graph.get("systems"), pd.DataFrame)
        self.tooltips: dict[str, str] = {}
        self.labels: dict[str, str] = {}

    def _kinds(self, listed: dict[str, int]
               ) -> tuple[dict[str, list[str]], list[str] | None]:
        """The graph's node ids by ``type``, in graph order, and the system nodes not
        ``listed`` when known. When the graph still has the type counts build_graph left
        and they say every ``listed`` id (the systems table) is a system node, only the
        other nodes' attributes are read: a million system nodes are not visited one by
        one."""
        kinds: dict[str, list[str]] = defaultdict(list)
        counts = type_counts(self.graph)
        if counts is not None and listed:
            others = [n for n in self.node if n not in listed]
            if len(self.node) - len(others) == len(listed):
                node = self.node
                for n in others:
                    kinds[node[n].get("type")].append(n)
                if counts["nodes"].get("system", 0) == len(listed) + len(kinds["system"]):
                    unlisted = kinds["system"]
                    kinds["system"] = [*listed, *unlisted]
                    return kinds, unlisted
                kinds.clear()
        for n, a in self.node.items():
            kinds[a.get("type")].append(n)
        return kinds, None

    def _columns(self, at: np.ndarray | None, names) -> dict[str, np.ndarray]:
        """Attribute columns for the systems at positions ``at`` (all when None): from the
        table for its rows, from the node attributes for the others."""
        listed = len(self.table)
        if at is None:
            unlisted = self.ids[listed:]
            inside = slice(0, listed)
            outside = slice(listed, len(self.ids))
            size = len(self.ids)
        else:
            inside = at < listed
            outside = ~inside
            rows = at[inside]
            unlisted = [self.ids[i] for i in at[outside].tolist()]
            size = len(at)
        out = {}
        for name in names:
            values = np.full(size, None, dtype=object)
            if name in self.table.columns:  # column by column: no copy of the whole table
                column = self.table[name]
                # by position, without the index (pandas would hash its labels to
                # look up attribute names on the subset)
                values[inside] = _values(column if at is None
                                         else pd.Series(column.array.take(rows)))
            if unlisted:
                values[outside] = [_get(self.node[n], name) for n in unlisted]
            out[name] = values
        return out

    def label(self, node: str) -> str:
        """A system's node label (its ``label``, else its id)."""
        label = self.labels.get(node)
        if label is None:
            self.prepare([node])
            label = self.labels[node]
        return label

    def sized_by(self, systems) -> str:
        """Size systems by users when any has a user count, else by annual cost.
        ``systems``: node ids, or their positions as an integer array."""
        at = systems if isinstance(systems, np.ndarray) else self.code_of(systems)
        return "users" if np.any(self.size_array["users"][at]) else "annual_cost"

    def tooltip(self, node: str, extra: list[str] | None = None) -> str:
        text = self.tooltips.get(node)
        if text is None:
            self.prepare([node])
            text = self.tooltips[node]
        return text + "".join("\n" + x for x in extra or () if x)

    def prepare(self, nodes) -> None:
        """Build the labels and tooltips of ``nodes`` (system nodes) column-wise, in one
        pass: a tooltip is the name, then one line per present attribute."""
        todo = [n for n in dict.fromkeys(nodes) if n not in self.tooltips]
        if not todo:
            return
        at = np.fromiter((self.pos[n] for n in todo), dtype=np.intp, count=len(todo))
        col = self._columns(at, TOOLTIP_COLUMNS)
        node = self.node
        raw = [node[n].get("label") for n in todo]
        labels = object_array([x if x.__class__ is str and x else _get({"label": x}, "label")
                           for x in raw])
        lines = [list(map(str, _first(col["name"], labels, col["system_id"])))]
        fmt = {"users": number, "annual_cost": money}
        for title, names in TOOLTIP_LINES:
            value = _texts(_first(*(col[c] for c in names)), fmt.get(names[0], str))
            present = ~np.equal(value, None)
            value[present] = f"{title}: " + value[present]
            lines.append(value.tolist())
        text = ["\n".join(filter(None, row)) for row in zip(*lines)]
        for i in np.flatnonzero(self.external[at]).tolist():
            text[i] = f"{labels[i]}\nNot in any inventory (external reference)"
        self.tooltips.update(zip(todo, text))
        self.labels.update(zip(todo, [str(x) if x is not None else n
                                      for x, n in zip(labels.tolist(), todo)]))

    def encoded(self, nodes: list[str]) -> tuple[list[str], list[str], list[str]]:
        """The JSON texts (:func:`_json`) of system nodes' ids, labels and tooltips, made
        for all of ``nodes`` not yet seen in one pass and kept for the run: a system drawn
        on several pages is encoded once."""
        done = self._encoded
        try:
            rows = list(map(done.__getitem__, nodes))
        except KeyError:
            todo = [n for n in dict.fromkeys(nodes) if n not in done]
            self.prepare(todo)
            ids = _encode(todo)
            self.id_texts.update(zip(todo, ids))
            done.update(zip(todo, zip(ids, _encode([self.labels[n] for n in todo]),
                                      _encode([self.tooltips[n] for n in todo]))))
            rows = list(map(done.__getitem__, nodes))
        return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]

    @cached_property
    def _encoded(self) -> dict[str, tuple[str, str, str]]:
        return {}

    @cached_property
    def id_texts(self) -> dict[str, str]:
        """The JSON text of node ids seen so far (:class:`EdgeBlock` adds its own)."""
        return {}

    # edges
    @cached_property
    def links(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """The integrates_with edges (the only edges between systems) by source and by
        target: from the graph's index of them while it is current, else by walking the
        out-edges of every system."""
        index = integration_index(self.graph)
        if index is not None:
            pairs = index.drop_duplicates()
            pairs = zip(pairs["source"].tolist(), pairs["target"].tolist())
        else:
            succ = self.succ
            pairs = ((u, v) for u in self.ids for v, d in succ[u].items()
                     if d.get("type") == "integrates_with")
        out: dict[str, list[str]] = defaultdict(list)
        into: dict[str, list[str]] = defaultdict(list)
        for u, v in pairs:
            if u != v:
                out[u].append(v)
                into[v].append(u)
        return dict(out), dict(into)

    def edges_from(self, sources, kind: str, keep,
                   codes: np.ndarray | None = None) -> list[tuple[str, str]]:
        """Edges of one type from ``sources`` to nodes in ``keep``, sorted; ``codes``: the
        sources' codes (:meth:`codes`), when the caller has them."""
        if kind == "integrates_with":
            names, out_ptr, out_to, _, _ = self.adjacency
            at = self.codes(sources) if codes is None else codes
            pairs = zip(map(names.__getitem__, np.repeat(at, out_ptr[at + 1] - out_ptr[at])
                            .tolist()),
                        map(names.__getitem__, _gather(out_ptr, out_to, at).tolist()))
            return sorted((u, v) for u, v in pairs if v in keep)
        succ = self.succ
        return sorted((u, v) for u in sources for v, d in succ.get(u, {}).items()
                      if v in keep and d.get("type") == kind)

    @cached_property
    def adjacency(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The integrates_with edges as integer codes, for the pages' set work: the node id
        of each code (system positions first, then any other node an edge reaches), and
        for each code the codes it links to (out) and from (into), CSR style."""
        index = integration_index(self.graph)
        if index is not None:
            source = index["source"].to_numpy(dtype=object)
            target = index["target"].to_numpy(dtype=object)
        else:
            out = self.links[0]
            source = object_array([u for u, targets in out.items() for _ in targets])
            target = object_array([v for targets in out.values() for v in targets])
        names = list(self.ids)
        ends = np.concatenate([source, target])
        ends = np.fromiter(map(self.pos.get, ends, repeat(-1, len(ends))), dtype=np.intp,
                           count=len(ends))   # by the view's own id -> position map
        unknown = ends < 0
        if unknown.any():
            codes, extra = pd.factorize(np.concatenate([source, target])[unknown])
            ends[unknown] = codes + len(names)
            names += extra.tolist()
        src, dst = ends[:len(source)], ends[len(source):]
        keep = src != dst
        pair = sorted_unique(src[keep].astype(np.int64) * len(names) + dst[keep])
        src, dst = pair // max(len(names), 1), pair % max(len(names), 1)
        out_ptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=len(names)))])
        order = np.argsort(dst, kind="stable")
        in_ptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=len(names)))])
        return names, out_ptr, dst, in_ptr, src[order]

    def codes(self, nodes) -> np.ndarray:
        """The integer codes (:attr:`adjacency`) of ``nodes``; nodes without one left out."""
        code = self.code_of(nodes)
        return code[code >= 0]

    def code_of(self, nodes) -> np.ndarray:
        """The integer code (:attr:`adjacency`) of each of ``nodes``, -1 for a node without
        one; system codes are their positions (:attr:`pos`)."""
        if not isinstance(nodes, (list, tuple)):
            nodes = list(nodes)
        return np.fromiter(map(self._code.get, nodes, repeat(-1, len(nodes))), dtype=np.intp,
                           count=len(nodes))

    @cached_property
    def _code(self) -> dict[str, int]:
        names = self.adjacency[0]
        if len(names) == len(self.ids):
            return self.pos
        return dict(zip(names, range(len(names))))

    def connected(self, systems, exclude) -> list[str]:
        """Systems integrated with ``systems`` (either direction) not in ``exclude`` (node
        ids, or their codes as an integer array)."""
        return self.connected_codes(systems, exclude)[0]

    def connected_codes(self, systems, exclude) -> tuple[list[str], np.ndarray]:
        """:meth:`connected`, with the code of each system found."""
        names, out_ptr, out_to, in_ptr, in_from = self.adjacency
        at = systems if isinstance(systems, np.ndarray) else self.codes(systems)
        found = np.concatenate([_gather(out_ptr, out_to, at), _gather(in_ptr, in_from, at)])
        drop = exclude if isinstance(exclude, np.ndarray) else self.codes(exclude)
        if len(found) * 16 > len(names):   # many: a mark per code, not a sort
            mark = self._mark
            mark[found] = True
            mark[drop] = False
            found = np.flatnonzero(mark)
            mark[found] = False
        else:
            found = sorted_unique(found)
            if len(drop) and len(found):
                found = found[~np.isin(found, drop)]
        found = self.by_id(found)
        return list(map(names.__getitem__, found.tolist())), found

    def by_id(self, codes: np.ndarray) -> np.ndarray:
        """``codes`` (distinct) sorted by their node ids."""
        return codes[np.argsort(self._rank[codes], kind="stable")]

    @cached_property
    def _rank(self) -> np.ndarray:
        """Each code's place when the node ids are sorted: one sort of the ids per run
        instead of one per page."""
        names = self.adjacency[0]
        rank = np.empty(len(names), dtype=np.intp)
        rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
        return rank

    @cached_property
    def _mark(self) -> np.ndarray:
        """A flag per code, all False between uses (:meth:`connected_codes`)."""
        return np.zeros(len(self.adjacency[0]), dtype=bool)

    def node_values(self, name: str, codes: np.ndarray) -> np.ndarray:
        """The ``name`` attribute of the nodes at ``codes`` as they hold it (None when
        missing). A system's comes from the table when the table is the graph's own (its
        nodes hold the same values): a million node dicts are not read, nor copied into a
        forked child by touching them."""
        column = self._table_column(name)
        inside = codes < (0 if column is None else len(column))
        out = np.empty(len(codes), dtype=object)
        if column is not None:
            out[inside] = column[codes[inside]]
        if not inside.all():
            names, node = self.adjacency[0], self.node
            out[~inside] = object_array([node[names[c]].get(name)
                                         for c in codes[~inside].tolist()])
        return out

    def _table_column(self, name: str) -> np.ndarray | None:
        """The table's column ``name`` by system position, when the table is the graph's
        own."""
        columns = self._table_columns
        if name not in columns:
            columns[name] = self.table[name].to_numpy(dtype=object) \
                if self.own_table and name in self.table.columns else None
        return columns[name]

    @cached_property
    def _table_columns(self) -> dict[str, np.ndarray | None]:
        return {}

    def node_departments(self) -> np.ndarray:
        """Per system position, its node's ``department`` (None when missing or empty)."""
        values = self.node_values("department", np.arange(len(self.ids)))
        values[~values.astype(bool)] = None
        return values

    def department_of(self, codes: np.ndarray) -> list[str]:
        """The department of the nodes at ``codes`` as a group name (``"external"`` when
        none), read once per run."""
        cache, known = self._departments
        todo = sorted_unique(codes[~known[codes]])
        if len(todo):
            cache[todo] = _texts_or(self.node_values("department", todo),
                                    repeat("external"))
            known[todo] = True
        return cache[codes].tolist()

    @cached_property
    def _departments(self) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`department_of` per code, and whether it has been read."""
        size = len(self.adjacency[0])
        return np.full(size, None, dtype=object), np.zeros(size, dtype=bool)

    def system_ids(self, codes: np.ndarray) -> list[str]:
        """The system id (else the node id) of the nodes at ``codes``, as a group's tooltip
        names them."""
        names = self.adjacency[0]
        return _texts_or(self.node_values("system_id", codes),
                         map(names.__getitem__, codes.tolist())).tolist()

    def grouped_counts(self, parts, labels: list[str]) -> dict[tuple[str, str], int]:
        """Integrations between the groups systems are drawn in, with their number.
        ``parts``: (codes, label positions) pairs assigned in turn (a later part wins for a
        code in two); ``labels``: the group ids (equal ids are one group)."""
        names, out_ptr, out_to, _, _ = self.adjacency
        codes, found = pd.factorize(object_array(labels))
        parts = [(at[at >= 0], codes[label[at >= 0]]) for at, label in parts]
        at = np.concatenate([at for at, _ in parts]) if parts else np.empty(0, dtype=np.intp)
        group = np.concatenate([g for _, g in parts]) if parts else at
        # one place per distinct code, the last one (a later part wins), without a sort
        scratch = self._scratch
        place = np.arange(len(at))
        scratch[at] = place
        last = scratch[at] == place
        at = at[last]
        scratch[at] = group[last]
        a = np.repeat(scratch[at], out_ptr[at + 1] - out_ptr[at])
        b = scratch[_gather(out_ptr, out_to, at)]
        scratch[at] = -1
        keep = (a >= 0) & (b >= 0) & (b != a)
        width = max(len(found), 1)
        pair, n = np.unique(a[keep].astype(np.int64) * width + b[keep], return_counts=True)
        first, second = np.divmod(pair, width)
        groups = found.tolist()
        return dict(zip(zip(map(groups.__getitem__, first.tolist()),
                            map(groups.__getitem__, second.tolist())), n.tolist()))

    @cached_property
    def _scratch(self) -> np.ndarray:
        """A group number per code, -1 between uses (:meth:`grouped_counts`)."""
        return np.full(len(self.adjacency[0]), -1, dtype=np.intp)

    @cached_property
    def capability_node(self) -> list[str | None]:
        """Per system position, the capability node it provides (``cap:<capability_id>``)."""
        codes, nodes = self.capability_codes
        return [None if c < 0 else nodes[c] for c in codes.tolist()]

    @cached_property
    def capability_codes(self) -> tuple[np.ndarray, list[str]]:
        """:attr:`capability_node` as codes (-1 for none, numbered in order of first
        appearance) and the node of each code; worked out once per distinct id."""
        ids, distinct = pd.factorize(self._columns(None, ("capability_id",))["capability_id"])
        node = self.node
        nodes = [f"cap:{c}" for c in distinct.tolist()]
        nodes = [n if node.get(n, {}).get("type") == "capability" else None for n in nodes]
        codes, found = pd.factorize(object_array(nodes))
        codes = np.append(codes.astype(np.intp, copy=False), -1)[ids]   # -1 stays -1
        return codes, list(found)

    def capabilities(self, systems) -> list[str]:
        """The capability nodes ``systems`` provide, sorted."""
        codes, nodes = self.capability_codes
        at = systems if isinstance(systems, np.ndarray) else self.code_of(systems)
        found = sorted_unique(codes[at])
        return sorted(nodes[c] for c in found.tolist() if c >= 0)


def _gather(ptr: np.ndarray, targets: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The CSR rows ``at`` of (``ptr``, ``targets``) concatenated."""
    starts = ptr[at]
    counts = ptr[at + 1] - starts
    total = int(counts.sum())
    if not total:
        return np.empty(0, dtype=np.intp)
    shift = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return targets[shift + np.arange(total)]


def _as_view(graph) -> EstateView:
    return graph if isinstance(graph, EstateView) else EstateView(graph)


# --- node and edge helpers -----------------------------------------------------------

def palette(keys) -> dict[str, str]:
    """A stable colour per key (sorted), cycling through :data:`PALETTE`."""
    ordered = sorted(k for k in set(keys) if k != UNKNOWN_CAPABILITY)
    colours = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(ordered)}
    colours[UNKNOWN_CAPABILITY] = GREY
    return colours


def system_node(view: EstateView, node: str, color: str, legend: str, sized_by: str,
                label: str | None = None, extra: list[str] | None = None,
                url: str | None = None) -> dict:
    out = {"id": node, "label": label or view.label(node), "color": color, "shape": "dot",
           "title": view.tooltip(node, extra), "legend": legend,
           "value": float(view.size_array[sized_by][view.pos[node]]) or 0.0}
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
        members = groups[group]
        dx, dy = _sunflower(spacing, len(members))
        pos.update(zip(members, zip(map(cx.__add__, dx[:len(members)]),
                                    map(cy.__add__, dy[:len(members)]))))
        x += 2 * r
        row_height = max(row_height, 2 * r)
    width, height = row_width, y + row_height
    ring = max(width, height) * 0.75 + spacing * 3
    for i, node in enumerate(outer):
        angle = 2 * math.pi * i / max(len(outer), 1)
        pos[node] = (width / 2 + ring * math.cos(angle), height / 2 + ring * math.sin(angle))
    return pos


_SUNFLOWERS: dict[float, tuple[list[float], list[float]]] = {}


def _sunflower(spacing: float, count: int) -> tuple[list[float], list[float]]:
    """The offsets of the first ``count`` seats of a sunflower round its hub (seat ``i``
    at distance ``spacing * sqrt(i + 1.5)``, turned by the golden angle each seat), kept
    for the run: every group of every page reuses them."""
    dx, dy = _SUNFLOWERS.setdefault(spacing, ([], []))
    golden = math.pi * (3 - math.sqrt(5))
    for i in range(len(dx), count):
        d = spacing * math.sqrt(i + 1.5)
        dx.append(d * math.cos(i * golden))
        dy.append(d * math.sin(i * golden))
    return dx, dy


def _place(nodes: list[dict], positions: dict[str, tuple[float, float]]) -> None:
    if isinstance(nodes, PageRows):
        nodes.place(positions)
        return
    at = positions.get
    for node in nodes:
        xy = at(node["id"])
        if xy is not None:
            node["x"], node["y"] = round(xy[0], 1), round(xy[1], 1)


def group_node(node_id: str, label: str, color: str, legend: str, ids: list[str],
               count: int, value: float, what: str, url: str | None = None) -> dict:
    """One node standing for ``count`` systems; ``ids``: the first system ids, sorted (the
    tooltip names :data:`GROUP_TOOLTIP_IDS` of them)."""
    block = GroupNodes()
    block.add(node_id, label, color, legend, ids, count, value, what, url)
    return block.dicts()[0]


def merged_node(node_id: str, label: str, color: str, legend: str,
                products: list[tuple[str, int]], ids: list[str], count: int, value: float,
                what: str, tables: str) -> dict:
    """One node standing for the smaller groups of a grouped page (``products``: each
    product merged and its number of systems, largest first): its tooltip names the
    largest of them and says where every system is listed."""
    block = GroupNodes()
    block.add_merged(node_id, label, color, legend, products, ids, count, value, what, tables)
    return block.dicts()[0]


def cap_groups(groups: dict[tuple[str, str], list]
               ) -> list[tuple[str, str | None, list, list[tuple[str, int]]]]:
    """The groups a grouped page draws, at most :func:`group_cap` of them.

    ``groups``: members by (bucket, product), where the bucket is what a merged node
    stands in (a department on a cluster page, a capability on a department page).
    Returns ``(bucket, product, members, [])`` per group drawn on its own, and
    ``(bucket, None, members, [(product, count), ...])`` per bucket whose smaller groups
    are merged into one node; sorted by bucket, then product, the merged node last.
    The largest groups are kept (most members, ties by bucket and product); one slot per
    bucket is held back for its merged node, and a bucket that would merge one group
    alone keeps it as it is."""
    ordered = sorted(groups)
    out = []
    for bucket, product, at in cap_plan(ordered, [len(groups[k]) for k in ordered]):
        if product is not None:
            out.append((bucket, product, groups[ordered[at[0]]], []))
        else:
            out.append((bucket, None, [m for i in at for m in groups[ordered[i]]],
                        [(ordered[i][1], len(groups[ordered[i]])) for i in at]))
    return out


def group_cap() -> int:
    """How many groups a grouped page draws at most."""
    return min(GROUP_ABOVE_NODES, GROUP_DRAWN_MAX)


def cap_plan(keys: list[tuple[str, str]], sizes: list[int]
             ) -> list[tuple[str, str | None, list[int]]]:
    """:func:`cap_groups` on group positions: ``keys`` (bucket, product) sorted, ``sizes``
    their member counts; returns ``(bucket, product, [i])`` per group drawn on its own and
    ``(bucket, None, [i, ...])`` per merged node (its groups largest first)."""
    cap = group_cap()
    if len(keys) <= cap:
        return [(b, p, [i]) for i, (b, p) in enumerate(keys)]
    buckets = {b for b, _ in keys}
    ranked = sorted(range(len(keys)), key=lambda i: -sizes[i])   # stable: ties stay sorted
    cut = max(cap - len(buckets), 0)
    keep = set(ranked[:cut])
    rest: dict[str, list[int]] = defaultdict(list)
    for i in ranked[cut:]:
        rest[keys[i][0]].append(i)
    for at in rest.values():
        if len(at) == 1:
            keep.add(at[0])
    out: list[tuple[str, str | None, list[int]]] = []
    for i, (b, p) in enumerate(keys):
        if i in keep:
            out.append((b, p, [i]))
        if (i + 1 == len(keys) or keys[i + 1][0] != b) and len(rest.get(b, ())) > 1:
            out.append((b, None, rest[b]))
    return out


def _split_by(names: list[str]) -> list[tuple[str, list[int]]]:
    """The positions of each distinct name in ``names`` (increasing), by name sorted: one
    sort of the names' codes, not a Python step per name."""
    if not len(names):
        return []
    codes, distinct = pd.factorize(object_array(names), sort=True)
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=len(distinct)))[:-1]
    return list(zip(distinct.tolist(), (part.tolist() for part in np.split(order, ends))))


def _group_heads(view: EstateView, ordered: np.ndarray, bounds: np.ndarray) -> list:
    """Per system in ``ordered`` (codes in groups, a group ending at each ``bounds``), its
    system id when among its group's first :data:`GROUP_TOOLTIP_IDS` (the ones a tooltip
    names), else None: the ids are read for those systems only."""
    sizes = np.diff(bounds)
    head = np.flatnonzero(np.arange(len(ordered)) - np.repeat(bounds[:-1], sizes)
                          < GROUP_TOOLTIP_IDS)
    out = np.full(len(ordered), None, dtype=object)
    out[head] = object_array(view.system_ids(ordered[head]))
    return out.tolist()


def _first_ids(view: EstateView, codes: np.ndarray, groups: list[tuple[str, list[int]]]
               ) -> list[list[str]]:
    """For each group of :func:`_split_by` positions in ``codes``, the system ids of its
    first :data:`GROUP_TOOLTIP_IDS` (what its tooltip names), read for those only."""
    firsts = [where[:GROUP_TOOLTIP_IDS] for _, where in groups]
    ids = iter(view.system_ids(codes[[i for where in firsts for i in where]]))
    return [list(islice(ids, len(where))) for where in firsts]


def _group_of(view: EstateView, systems: Sequence, sized_by: str,
              at: np.ndarray | None = None, ids: list[str] | None = None
              ) -> tuple[list[str], int, float]:
    """The first system ids (id, else node id), the number and the summed size of a group
    of graph systems (summed in order, as floats add); ``at``: their positions (then
    ``systems`` is only counted); ``ids``: their first :meth:`EstateView.system_ids`, when
    the caller has them."""
    if at is None:
        node = view.node
        at = np.fromiter(map(view.pos.__getitem__, systems), dtype=np.intp,
                         count=len(systems))
        ids = [str(node[s].get("system_id") or s) for s in systems[:GROUP_TOOLTIP_IDS]]
    elif ids is None:
        ids = view.system_ids(at[:GROUP_TOOLTIP_IDS])
    else:
        ids = ids[:GROUP_TOOLTIP_IDS]
    return ids, len(systems), sum(view.size_array[sized_by][at].tolist())


def _legend(colours: dict[str, str], used: set[str], shape: str = "dot") -> list[dict]:
    return [{"key": k, "label": k, "color": colours[k], "shape": shape}
            for k in sorted(used, key=lambda k: (k == UNKNOWN_CAPABILITY, k))]


def _finish(page: GraphPage) -> GraphPage:
    """Lay out large pages in Python and turn physics off (vis physics is slow there)."""
    if len(page.nodes) > PHYSICS_MAX_NODES:
        page.physics = False
    return page


# --- the views -------------------------------------------------------------------------

def estate_page(view: EstateView | nx.DiGraph, pages: dict) -> GraphPage:
    """The estate overview: systems by capability, or departments x capabilities if large."""
    view = _as_view(view)
    node = view.node
    departments = view.of_type["department"]
    capabilities = view.of_type["capability"]
    dept_pages = pages["departments"]
    count = len(view.ids) - int(view.external.sum())
    if len(departments) + count + len(capabilities) > OVERVIEW_MAX_NODES:
        return estate_overview(view, departments, count, dept_pages)

    systems = sorted(s for s, external in zip(view.ids, view.external.tolist())
                     if not external)
    view.prepare(systems)
    caps = dict(zip(systems, view.capability_array[view.code_of(systems)].tolist()))
    cap_label = {c: str(node[c].get("label") or c) for c in capabilities}
    colours = palette([*caps.values(), *cap_label.values()])
    sized_by = view.sized_by(systems)
    # Large: no capability hubs (colour says the capability); systems sit round their
    # department, so the same colour in many departments is the duplication to look at.
    large = len(departments) + len(systems) + len(capabilities) > PHYSICS_MAX_NODES
    dept_label = {d: str(node[d].get("label") or d[5:]) for d in departments}
    nodes = [hub_node(d, dept_label[d], DEPARTMENT, "square", "Department",
                      f"Department: {dept_label[d]}\nDouble-click to open its graph",
                      size=24 if large else 18, url=dept_pages.get(dept_label[d]))
             for d in departments]
    if large:
        for n in nodes:
            n["font"] = {"size": 40, "strokeWidth": 6}
    else:
        nodes += [hub_node(c, cap_label[c], colours.get(cap_label[c], CAPABILITY), "diamond",
                           cap_label[c], f"Capability: {cap_label[c]}", size=18)
                  for c in capabilities]
    nodes += [system_node(view, s, colours[caps[s]], caps[s], sized_by) for s in systems]
    keep = {n["id"] for n in nodes}
    edges = [edge(u, v, "owns", color={"color": "#dde2e7"}) for u, v in
             view.edges_from(departments, "owns", keep)]
    edges += [edge(u, v, "provides", dashes=True)
              for u, v in view.edges_from(systems, "provides", keep)]
    edges += [edge(u, v, "integrates with", color={"color": "rgba(76,106,136,0.55)"}, width=2)
              for u, v in view.edges_from(systems, "integrates_with", keep)]
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
            groups.setdefault(f"dept:{node[s].get('department')}", []).append(s)
        _place(page.nodes, grouped_positions(groups, {d: d for d in departments}, []))
    return page


def estate_overview(view: EstateView, departments: list[str], systems: int,
                    dept_pages: dict[str, str]) -> GraphPage:
    """Departments and capabilities only; an edge's width is the number of systems."""
    node = view.node
    listed = ~view.external
    pairs = Counter(zip(view.department_array[listed].tolist(),
                        view.capability_array[listed].tolist()))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    per_dept: dict[str, int] = defaultdict(int)
    per_cap: dict[str, int] = defaultdict(int)
    for (dept, cap), n in pairs.items():
        counts[(f"dept:{dept}", cap)] += n
        per_dept[f"dept:{dept}"] += n
        per_cap[cap] += n
    colours = palette(per_cap)
    nodes = [{"id": d, "label": str(node[d].get("label") or d[5:]), "shape": "square",
              "color": DEPARTMENT, "value": float(per_dept.get(d, 0)), "legend": "Department",
              "title": f"Department: {node[d].get('label') or d[5:]}\n"
                       f"{per_dept.get(d, 0):,} systems\nDouble-click to open its graph",
              "url": dept_pages.get(str(node[d].get("label") or d[5:]))}
             for d in departments]
    nodes += [{"id": f"capgroup:{c}", "label": c, "shape": "diamond", "color": colours[c],
               "value": float(n), "legend": c, "title": f"Capability: {c}\n{n:,} systems"}
              for c, n in sorted(per_cap.items())]
    edges = PageRows([EdgeBlock.keyed(
        [(d, f"capgroup:{c}", n) for (d, c), n in sorted(counts.items())],
        lambda n: (f"{n:,} systems", {"value": float(n),
                                      "color": {"color": "rgba(120,135,150,0.35)"},
                                      "arrows": {"to": {"enabled": False}}}))])
    legend = [{"key": "Department", "label": "Department", "color": DEPARTMENT,
               "shape": "square"}] + _legend(colours, set(per_cap), "diamond")
    page = _finish(GraphPage(
        title="Estate graph (grouped)",
        subtitle=f"{systems:,} systems in {len(departments):,} departments: too many to "
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


def _department_hubs(view: EstateView, department: str, own: list[str],
                     colours: dict[str, str], codes: np.ndarray | None = None
                     ) -> tuple[list[str], list[dict]]:
    """The department's own node and one node per capability its systems provide
    (``codes``: the systems' codes, when the caller has them)."""
    node = view.node
    cap_nodes = view.capabilities(own if codes is None else codes)
    nodes = [hub_node(f"dept:{department}", department, DEPARTMENT, "square", "Department",
                      f"Department: {department}\n{len(own):,} systems", size=26)]
    nodes += [hub_node(c, str(node[c].get("label") or c),
                       colours.get(str(node[c].get("label")), CAPABILITY), "diamond",
                       str(node[c].get("label") or c),
                       f"Capability: {node[c].get('label')}", size=16)
              for c in cap_nodes]
    return cap_nodes, nodes


@dataclass
class DepartmentSystems:
    """A department's own systems and the systems elsewhere linked to them, each sorted,
    with their codes (:meth:`EstateView.code_of`); reads as the pair ``(own, partners)``."""

    own: list[str]
    partners: list[str]
    own_codes: np.ndarray
    partner_codes: np.ndarray

    def __iter__(self):
        return iter((self.own, self.partners))

    def __len__(self) -> int:
        return 2

    def __getitem__(self, i):
        return (self.own, self.partners)[i]


def department_systems(view: EstateView, department: str) -> DepartmentSystems:
    """A department's own systems and the systems elsewhere linked to them, each sorted."""
    linked = view.succ.get(f"dept:{department}", {})
    at = np.fromiter(map(view.pos.get, linked, repeat(-1, len(linked))), dtype=np.intp,
                     count=len(linked))
    at = view.by_id(at[at >= 0])   # system codes are their positions
    own = list(map(view.ids.__getitem__, at.tolist()))
    partners, partner_codes = view.connected_codes(at, at)
    return DepartmentSystems(own, partners, at, partner_codes)


def department_page(view: EstateView | nx.DiGraph, department: str,
                    dept_pages: dict[str, str],
                    systems: DepartmentSystems | tuple | None = None) -> GraphPage:
    """One department's systems, the capabilities they provide, and their integrations.
    ``systems``: :func:`department_systems`, when the caller has it already."""
    view = _as_view(view)
    systems = systems or department_systems(view, department)
    own, partners = systems
    if len(own) + len(partners) > GROUP_ABOVE_NODES:
        return grouped_department_page(view, department, own, partners, dept_pages,
                                       systems)
    codes = getattr(systems, "own_codes", None)
    if codes is None:
        codes = view.code_of(own)
    node = view.node
    dept = f"dept:{department}"
    own_set = set(own)
    caps = dict(zip(own, view.capability_array[codes].tolist()))
    colours = palette(caps.values())
    sized_by = view.sized_by(codes)
    up = "../"
    cap_nodes, hubs = _department_hubs(view, department, own, colours, codes)
    own_legend = [caps[s] for s in own]
    labels, extra, urls = [], [], []
    for w in partners:
        attrs = node[w]
        other = attrs.get("department")
        href = dept_pages.get(str(other)) if other else None
        labels.append((f"{other} · {attrs.get('label')}" if other
                       else str(attrs.get("label"))) or view.label(w))
        extra.append("\nDouble-click to open its department" if href else "")
        urls.append(up + href if href else None)
    nodes = PageRows([
        hubs, SystemNodes(view, own, [colours[c] for c in own_legend], own_legend, sized_by),
        SystemNodes(view, partners, [GREY] * len(partners),
                    ["Other department's system"] * len(partners), sized_by,
                    labels=labels, extra=extra, urls=urls)])
    keep = {*(n["id"] for n in hubs), *own, *partners}
    partner_codes = getattr(systems, "partner_codes", None)
    both = None if partner_codes is None else np.concatenate([codes, partner_codes])
    links = [(u, v) for u, v in view.edges_from(own + partners, "integrates_with", keep,
                                                both)
             if u in own_set or v in own_set]
    known = view.id_texts
    edges = PageRows([
        EdgeBlock.of(view.edges_from([dept], "owns", keep), "owns", known,
                     color={"color": "#dde2e7"}),
        EdgeBlock.of(view.edges_from(own, "provides", keep), "provides", known, dashes=True),
        EdgeBlock.of(links, "integrates with", known, color={"color": "#4c6a88"}, width=2)])
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
        hubs = {str(node[c].get("label")): c for c in cap_nodes}
        _place(page.nodes, grouped_positions(groups, hubs, [dept, *partners]))
    return page


def grouped_department_page(view: EstateView, department: str, own: list[str],
                            partners: list[str], dept_pages: dict[str, str],
                            systems: DepartmentSystems | tuple | None = None) -> GraphPage:
    """A large department: one node per capability and product, one per other department.
    Worked on system positions, as :func:`grouped_cluster_page` is on member rows."""
    dept = f"dept:{department}"
    up = "../"
    node = view.node
    at = getattr(systems, "own_codes", None)
    if at is None:
        at = view.code_of(own)
    caps = view.capability_array[at]
    colours = palette(caps.tolist())
    sized_by = view.sized_by(at)
    group_keys, order, bounds = _grouping(caps, view.product_array[at])
    sizes = np.diff(bounds).tolist()
    ordered = at[order]
    id_at = _group_heads(view, ordered, bounds)
    value_at = view.size_array[sized_by][ordered].tolist()
    cap_at = view.capability_codes[0][ordered].tolist()
    cap_names = view.capability_codes[1]
    partner_codes = getattr(systems, "partner_codes", None)
    if partner_codes is None:
        partner_codes = view.code_of(partners)
    outside = _split_by(view.department_of(partner_codes))
    cap_nodes, nodes = _department_hubs(view, department, own, colours, at)
    groups_drawn = GroupNodes()
    by_cap: dict[str, list[str]] = defaultdict(list)
    provides: set[tuple[str, str]] = set()
    drawn = cap_plan(group_keys, sizes)
    group_label = [0] * len(group_keys)
    labels: list[str] = []
    starts = bounds.tolist()
    for cap, name, groups in drawn:
        gid = f"group:{cap}|{name}" if name is not None else f"rest:{cap}"
        spans = [(starts[i], starts[i + 1]) for i in groups]
        if len(spans) == 1:
            (a, b), = spans
            count, value, found = b - a, value_at[a:b], set(cap_at[a:b])
            first = id_at[a:min(b, a + GROUP_TOOLTIP_IDS)]
        else:
            count = sum(b - a for a, b in spans)
            value = [k for a, b in spans for k in value_at[a:b]]
            found = {k for a, b in spans for k in cap_at[a:b]}
            first = [k for a, b in spans for k in id_at[a:min(b, a + GROUP_TOOLTIP_IDS)]]
        for i in groups:
            group_label[i] = len(labels)
        labels.append(gid)
        by_cap[cap].append(gid)
        provides.update((gid, cap_names[c]) for c in found if c >= 0)
        group = (first[:GROUP_TOOLTIP_IDS], count, sum(value))
        if name is None:
            merged = [(group_keys[i][1], sizes[i]) for i in groups]
            groups_drawn.add_merged(
                gid, f"{len(merged):,} other products", colours[cap], cap, merged,
                *group, f"{cap}, {department}", "systems.csv and report.html")
        else:
            groups_drawn.add(gid, name, colours[cap], cap, *group, f"{cap}, {department}")
    partner_label = np.empty(len(partners), dtype=np.intp)
    for (other, where), first in zip(outside, _first_ids(view, partner_codes, outside)):
        gid = f"other:{other}"
        partner_label[where] = len(labels)
        labels.append(gid)
        href = dept_pages.get(other)
        groups_drawn.add(
            gid, other, GREY, "Other department's systems",
            *_group_of(view, where, sized_by, partner_codes[where], first),
            "connected systems in another department", url=up + href if href else None)
    known: dict[str, str] = {}
    integrations = view.grouped_counts(
        [(ordered, np.repeat(np.asarray(group_label, dtype=np.intp), sizes)),
         (partner_codes, partner_label)],
        labels)
    edges = PageRows([
        EdgeBlock.of([(dept, gid) for gid in sorted(
            gid for values in by_cap.values() for gid in values)], "owns", known,
            color={"color": "#dde2e7"}),
        EdgeBlock.of(sorted(provides), "provides", known, dashes=True),
        EdgeBlock.keyed([(a, b, n) for (a, b), n in sorted(integrations.items())
                         if not (a.startswith("other:") and b.startswith("other:"))],
                        lambda n: (f"{n:,} integration(s)",
                                   {"value": float(n), "color": {"color": "#4c6a88"}}),
                        known)])
    legend = ([{"key": "Department", "label": "Department", "color": DEPARTMENT,
                "shape": "square"}] + _legend(colours, set(caps.tolist())))
    if partners:
        legend.append({"key": "Other department's systems",
                       "label": "Other department's systems", "color": GREY, "shape": "dot"})
    page = _finish(GraphPage(
        title=f"Department: {department}",
        subtitle=f"{len(own):,} systems in {len(group_keys):,} groups of one capability and "
                 f"product{_shown(drawn, len(group_keys), 'capability')}; "
                 f"{len(partners):,} connected systems elsewhere",
        nodes=PageRows([nodes, groups_drawn]), edges=edges, legend=legend, home=up + "report.html",
        links=[("Estate graph", up + "estate-graph.html"), ("Data flow", up + "data-flow.html")],
        note="Too many systems to draw one by one: each dot is the department's systems of one "
             "product, sized by their total " + sized_by.replace("_", " ")
             + (". A dashed dot: a capability's smaller products merged into one"
                if len(drawn) < len(group_keys) else "")
             + ". systems.csv lists every system."))
    if not page.physics:
        hubs = {str(node[c].get("label")): c for c in cap_nodes}
        _place(page.nodes, grouped_positions(dict(by_cap), hubs,
                                             [dept, *(f"other:{o}" for o, _ in outside)]))
    return page


@dataclass
class ClusterSystems:
    """A cluster's members as columns (one row per distinct node id, in member order; a
    repeated id keeps its first place and its last record), its target, the members in
    the graph and the systems outside the cluster linked to them; what its page is built
    from."""

    columns: Mapping[str, np.ndarray]   # MEMBER_FIELDS -> values, one per member
    keys: list[str]                  # each member's node id
    codes: np.ndarray                # each member's code (EstateView.code_of), -1 if none
    target: str
    present: list[str]
    neighbours: list[str]
    departments: list[str]
    present_codes: np.ndarray | None = None      # codes of present, of neighbours
    neighbour_codes: np.ndarray | None = None

    @cached_property
    def members(self) -> dict[str, dict]:
        """The members as records by node id (a page drawn one system at a time)."""
        rows = zip(*(self.columns[k].tolist() for k in MEMBER_FIELDS))
        return {key: dict(zip(MEMBER_FIELDS, row)) for key, row in zip(self.keys, rows)}

    @property
    def grouped(self) -> bool:
        """Too many nodes to draw one by one (members, their departments, neighbours)."""
        return len(self.keys) > GROUP_ABOVE_NODES or \
            len(self.departments) + len(self.keys) + len(self.neighbours) > GROUP_ABOVE_NODES

    @property
    def drawn(self) -> list[str]:
        """The graph systems the page draws as nodes of their own."""
        if not self.grouped:
            return self.present + self.neighbours
        return [s for s in self.present if s == self.target]


_PLAIN = frozenset({str, int, bool})
_PLAIN_OR_NONE = _PLAIN | {type(None)}

MEMBER_FIELDS = ("department", "system_id", "name", "product", "role", "disposition", "wave",
                 "users", "annual_cost")
"""The fields of a cluster member the pages read."""


def member_columns(clusters: list[dict]) -> list[Mapping[str, np.ndarray]]:
    """Each cluster's members as :data:`MEMBER_FIELDS` columns (object arrays). Members
    that are ranges of one shared table (:class:`estate.report.rows.Rows`) are read
    column-wise from it, and a column only when a page asks for it (:class:`MemberColumns`):
    a grouped page reads a few, and in a forked child every value read is a value copied."""
    views = [c["members"] for c in clusters]
    first = views[0] if views else None
    if first is None or not all(hasattr(v, "positions") and getattr(v, "frame", None)
                                is first.frame and v.columns == first.columns for v in views):
        return [{k: object_array([m.get(k) for m in v]) for k in MEMBER_FIELDS}
                for v in views]
    source = _MemberSource(first, [np.asarray(v.positions(), dtype=np.intp) for v in views])
    return [MemberColumns(source, i) for i in range(len(views))]


class _MemberSource:
    """The table every cluster's members are rows of, and each cluster's row positions."""

    def __init__(self, first, positions: list[np.ndarray]):
        self.frame = first.frame
        self.source = {key: (column, kind) for key, column, kind in first.columns}
        self.positions = positions
        self._arrays: dict[str, np.ndarray | list[np.ndarray]] = {}

    def values(self, key: str, cluster: int, rows: list[int] | None = None) -> np.ndarray:
        """Column ``key`` of one cluster's members (at ``rows`` of them, when given)."""
        at = self.positions[cluster]
        if rows is not None:
            at = at[np.asarray(rows, dtype=np.intp)]
        array = self._arrays.get(key)
        if array is None:
            array = self._arrays[key] = self._array(key)
        if isinstance(array, list):   # converted for every cluster at once
            whole = array[cluster]
            return whole if rows is None else whole[np.asarray(rows, dtype=np.intp)]
        values = array[at]
        if not set(map(type, values.tolist())) <= _PLAIN_OR_NONE:
            from estate.report.model import plain   # the identity for str, int and None
            values = object_array([v if v is None or type(v) in _PLAIN else plain(v)
                                   for v in values.tolist()])
        return values

    def _array(self, key: str) -> np.ndarray | list[np.ndarray]:
        """The table's column for ``key`` as objects; a column of another kind than
        ``any`` is converted for every cluster at once, as the table would be, and held
        as one array per cluster."""
        column, kind = self.source.get(key, (None, "any"))
        if column not in self.frame.columns:
            return np.full(len(self.frame), None, dtype=object)
        if kind == "any":
            return self.frame[column].to_numpy(dtype=object)
        from estate.report.rows import py_values
        everyone = np.concatenate(self.positions) if self.positions else []
        values = object_array(py_values(self.frame[column].iloc[everyone], kind))
        ends = np.cumsum([len(p) for p in self.positions]).tolist()
        return [values[a:b] for a, b in zip([0, *ends[:-1]], ends)]


class MemberColumns(Mapping):
    """One cluster's :data:`MEMBER_FIELDS` columns, each read when first asked for;
    ``rows``: the members kept (positions among the cluster's), when not all."""

    def __init__(self, source: _MemberSource, cluster: int, rows: np.ndarray | None = None):
        self._source, self._cluster, self._rows = source, cluster, rows
        self._read: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        found = self._read.get(key)
        if found is None:
            if key not in MEMBER_FIELDS:
                raise KeyError(key)
            found = self._read[key] = self._source.values(key, self._cluster, self._rows)
        return found

    def take(self, rows: np.ndarray) -> MemberColumns:
        """The columns of the members at ``rows``, still read only when asked for."""
        out = MemberColumns(self._source, self._cluster,
                            rows if self._rows is None else self._rows[rows])
        out._read = {key: values[rows] for key, values in self._read.items()}
        return out

    def __iter__(self):
        return iter(MEMBER_FIELDS)

    def __len__(self) -> int:
        return len(MEMBER_FIELDS)

    def value(self, key: str, row: int):
        """``self[key][row]``, without reading the whole column."""
        found = self._read.get(key)
        if found is not None:
            return found[row]
        at = [row] if self._rows is None else self._rows[[row]]
        return self._source.values(key, self._cluster, at)[0]


def _member_value(columns: Mapping[str, np.ndarray], key: str, row: int):
    """One member's field (see :meth:`MemberColumns.value`)."""
    if isinstance(columns, MemberColumns):
        return columns.value(key, row)
    return columns[key][row]


def cluster_systems(view: EstateView, cluster: dict,
                    columns: dict[str, np.ndarray] | None = None) -> ClusterSystems:
    """What a cluster's page is built from; ``columns``: the cluster's
    :func:`member_columns`, when the caller has them already."""
    if columns is None:
        columns = member_columns([cluster])[0]
    # one f-string per member: about twice as fast as numpy adding object arrays
    keys = [f"sys:{d}:{i}" for d, i in zip(columns["department"].tolist(),
                                            columns["system_id"].tolist())]
    last = dict(zip(keys, range(len(keys))))   # first place, last record
    if len(last) < len(keys):
        rows = np.fromiter(last.values(), dtype=np.intp, count=len(last))
        columns = columns.take(rows) if isinstance(columns, MemberColumns) else \
            {k: v[rows] for k, v in columns.items()}
        keys = list(last)
    code = view.code_of(keys)
    placed = np.flatnonzero((code >= 0) & (code < len(view.ids)))
    placed = placed[np.argsort(view._rank[code[placed]], kind="stable")]   # by key
    present = list(map(keys.__getitem__, placed.tolist()))
    present_codes = code[placed]
    neighbours, neighbour_codes = view.connected_codes(present_codes, code[code >= 0])
    return ClusterSystems(
        columns=columns, keys=keys, codes=code,
        target=f"sys:{cluster['target']['department']}:{cluster['target']['system_id']}",
        present=present, neighbours=neighbours,
        departments=sorted(set(columns["department"].tolist())),
        present_codes=present_codes, neighbour_codes=neighbour_codes)


def _member_node(view: EstateView, key: str, m: dict, color: str, legend: str,
                 sized_by: str, extra: list[str]) -> dict:
    """A cluster member: from the graph, else from the cluster's own record of it."""
    if key in view.pos:
        return system_node(view, key, color, legend, sized_by, extra=extra)
    return {"id": key, "label": m["name"] or m["system_id"], "shape": "dot", "color": color,
            "legend": legend, "value": float(m.get(sized_by) or 0),
            "title": "\n".join([str(m["name"]), f"Department: {m['department']}",
                                f"System id: {m['system_id']}", *extra])}


def _member_block(view: EstateView, rows: list[tuple[str, str, str, str]],
                  sized_by: str) -> SystemNodes:
    """Cluster members in the graph as a node block; ``rows``: (node id, colour, legend,
    tooltip lines) each."""
    keys, colors, legends, extra = (list(x) for x in zip(*rows)) if rows else ([],) * 4
    return SystemNodes(view, keys, colors, legends, sized_by, extra=extra)


def _department_hub_nodes(departments: list[str], dept_pages: dict[str, str], up: str):
    for dept in departments:
        href = dept_pages.get(dept)
        yield hub_node(f"dept:{dept}", dept, DEPARTMENT, "square", "Department",
                       f"Department: {dept}" + ("\nDouble-click to open its graph"
                                                if href else ""),
                       size=18, url=up + href if href else None)


def cluster_page(view: EstateView | nx.DiGraph, cluster: dict, dept_pages: dict[str, str],
                 systems: ClusterSystems | None = None) -> GraphPage:
    """A cluster's members coloured by role, with their departments and integrations.
    ``systems``: :func:`cluster_systems`, when the caller has it already."""
    up = "../"
    view = _as_view(view)
    plan = systems or cluster_systems(view, cluster)
    if plan.grouped:
        return grouped_cluster_page(view, cluster, plan, dept_pages)
    members, target, present, neighbours = plan.members, plan.target, plan.present, \
        plan.neighbours
    sized_by = view.sized_by(present if plan.present_codes is None
                             else plan.present_codes) if present else "users"
    parts: list = [list(_department_hub_nodes(plan.departments, dept_pages, up))]
    rows: list = []   # (key, colour, legend, tooltip lines) per member in the graph
    ordered = sorted(members.items())
    for key, m in ordered:
        role = m["role"]
        extra = [f"Role: {role}", f"Disposition: {m['disposition']}"]
        if m.get("wave") is not None:
            extra.append(f"Wave: {m['wave']}")
        if role != "target" and key in view.pos:
            rows.append((key, ROLES.get(role, GREY), role.capitalize(),
                         "".join("\n" + x for x in extra if x)))
            continue
        node = _member_node(view, key, m, ROLES.get(role, GREY), role.capitalize(), sized_by,
                            extra)
        if role == "target":
            node.update(shape="star", borderWidth=2)
        parts += [_member_block(view, rows, sized_by), [node]]
        rows = []
    parts.append(_member_block(view, rows, sized_by))
    labels = []
    for w in neighbours:
        attrs = view.node[w]
        other = attrs.get("department")
        labels.append((f"{other} · {attrs.get('label')}" if other
                       else str(attrs.get("label"))) or view.label(w))
    parts.append(SystemNodes(view, neighbours, [GREY] * len(neighbours),
                             ["Connected system"] * len(neighbours), sized_by, labels=labels))
    nodes = PageRows(parts)
    keep = set(nodes.ids())
    known = view.id_texts
    owns = EdgeBlock([f"dept:{m['department']}" for _, m in ordered], [k for k, _ in ordered],
                     [("owns", {"color": {"color": "#dde2e7"}})], known=known)
    repoint = {(f"sys:{a}", f"sys:{b}") for a, b in cluster["integrations_to_repoint"]}
    links = view.edges_from(present + neighbours, "integrates_with", keep,
                            None if plan.present_codes is None or plan.neighbour_codes is None
                            else np.concatenate([plan.present_codes, plan.neighbour_codes]))
    links = EdgeBlock([u for u, _ in links], [v for _, v in links],
                      [("integrates with", {"color": {"color": "#4c6a88"}, "width": 2}),
                       ("integration to re-point", {"color": {"color": "#d4351c"}, "width": 2})],
                      [int((u, v) in repoint or (v, u) in repoint) for u, v in links], known)
    moving = [k for k, m in ordered if m["role"] != "target" and k != target]
    edges = PageRows([owns, links, EdgeBlock(moving, [target] * len(moving), [(
        "migrates to", {"dashes": True, "width": 2, "color": {"color": ROLES["migrate"]}})],
        known=known)])
    page = _cluster_graph_page(
        cluster, nodes, edges, up, neighbours=bool(neighbours),
        size=f"{len(members):,} systems",
        note="Dashed orange edges: migrates to the target. Red edges: integrations to "
             "re-point.")
    if not page.physics:
        _place(page.nodes, grouped_positions(
            {"members": [k for k in sorted(members) if k != target]}, {"members": target},
            [n for n in page.nodes.ids() if n not in members]))
    return page


def grouped_cluster_page(view: EstateView, cluster: dict, plan: ClusterSystems,
                         dept_pages: dict[str, str]) -> GraphPage:
    """A large cluster: the target, then one node per department and product migrating onto
    it, and one node per department for the systems connected to the cluster.

    Worked on member rows (:attr:`ClusterSystems.columns`): the groups come from one sort
    of their (department, product) codes, so a page costs about its members' numpy work
    plus one Python step per node it draws."""
    up = "../"
    cols, keys, target, present, neighbours = plan.columns, plan.keys, plan.target, \
        plan.present, plan.neighbours
    present_codes = plan.present_codes if plan.present_codes is not None \
        else view.code_of(present)
    neighbour_codes = plan.neighbour_codes if plan.neighbour_codes is not None \
        else view.code_of(neighbours)
    sized_by = view.sized_by(present_codes) if present else "users"
    key_of = object_array(keys)
    is_target = key_of == target
    rows = np.flatnonzero(~is_target)
    products = object_array([p or UNKNOWN_PRODUCT for p in cols["product"][rows].tolist()])
    group_keys, order, bounds = _grouping(cols["department"][rows], products)
    order = rows[order]
    sizes = np.diff(bounds).tolist()
    outside = _split_by(view.department_of(neighbour_codes))
    departments = plan.departments
    nodes = list(_department_hub_nodes(departments, dept_pages, up))
    at_target = np.flatnonzero(is_target).tolist()
    t = {k: _member_value(cols, k, at_target[0]) for k in MEMBER_FIELDS} \
        if at_target else None
    if t is not None:
        node = _member_node(view, target, t, ROLES["target"], "Target", sized_by,
                            [f"Role: {t['role']}", f"Disposition: {t['disposition']}"])
        node.update(shape="star", borderWidth=2)
        nodes.append(node)
    # the members' fields in group order, as lists: a group is a slice of them
    id_at = cols["system_id"][order].tolist()
    wave_at = cols["wave"][order].tolist()
    value_at = [float(v or 0) for v in cols[sized_by][order].tolist()]
    drawn = cap_plan(group_keys, sizes)
    migrating: list[tuple[str, int]] = []   # each group's node and number of members
    owner: list[tuple[str, str]] = []   # each group's node and department
    label_of = np.full(len(keys), -1, dtype=np.intp)
    group_label = [0] * len(group_keys)
    labels = [target]
    starts = bounds.tolist()
    groups_drawn = GroupNodes()
    for dept, product, at in drawn:
        gid = f"group:{dept}|{product}" if product is not None else f"rest:{dept}"
        spans = [(starts[i], starts[i + 1]) for i in at]
        if len(spans) == 1:
            (a, b), = spans
            count, ids, waves, value = b - a, id_at[a:min(b, a + GROUP_TOOLTIP_IDS)], \
                set(wave_at[a:b]), value_at[a:b]
        else:
            count = sum(b - a for a, b in spans)
            ids = [k for a, b in spans for k in id_at[a:min(b, a + GROUP_TOOLTIP_IDS)]]
            waves = {k for a, b in spans for k in wave_at[a:b]}
            value = [k for a, b in spans for k in value_at[a:b]]
        migrating.append((gid, count))
        owner.append((gid, dept))
        for i in at:
            group_label[i] = len(labels)
        labels.append(gid)
        waves = sorted(waves - {None})
        group = (ids[:GROUP_TOOLTIP_IDS], count, sum(value),
                 "migrating" + (f", wave(s) {', '.join(map(str, waves))}" if waves else ""))
        if product is None:
            merged = [(group_keys[i][1], sizes[i]) for i in at]
            groups_drawn.add_merged(gid, f"{dept} · {len(merged):,} other products",
                                    ROLES["migrate"], "Migrate", merged, *group,
                                    "clusters.csv and report.html")
        else:
            groups_drawn.add(gid, f"{dept} · {product}", ROLES["migrate"], "Migrate", *group)
    if len(order):
        label_of[order] = np.repeat(np.asarray(group_label, dtype=np.intp), sizes)
    neighbour_label = np.empty(len(neighbours), dtype=np.intp)
    for (other, at), first in zip(outside, _first_ids(view, neighbour_codes, outside)):
        gid = f"other:{other}"
        neighbour_label[at] = len(labels)
        labels.append(gid)
        groups_drawn.add(gid, other, GREY, "Connected system",
                         *_group_of(view, at, sized_by, neighbour_codes[at], first),
                         "connected to the cluster")
    owns = {(f"dept:{dept}", gid) for gid, dept in owner}
    if t is not None:
        owns.add((f"dept:{t['department']}", target))
    owns = sorted(owns)
    red = _repointed(cluster["integrations_to_repoint"], labels, [
        (object_array([target]), np.zeros(1, dtype=np.intp)),
        (key_of[label_of >= 0], label_of[label_of >= 0]),
        (object_array(neighbours), neighbour_label)])
    placed = plan.codes >= 0
    integrations = view.grouped_counts(
        [(view.code_of([target]), np.zeros(1, dtype=np.intp)),
         (plan.codes[placed & (label_of >= 0)], label_of[placed & (label_of >= 0)]),
         (neighbour_codes, neighbour_label)], labels)
    known: dict[str, str] = {}
    edges = PageRows([
        EdgeBlock.of(owns, "owns", known, color={"color": "#dde2e7"}),
        EdgeBlock.keyed([(a, b, (n, (a, b) in red)) for (a, b), n in
                         sorted(integrations.items())
                         if not (a.startswith("other:") and b.startswith("other:"))],
                        lambda key: (f"{key[0]:,} integration(s)"
                                     + (" to re-point" if key[1] else ""),
                                     {"value": float(key[0]), "color": {
                                         "color": "#d4351c" if key[1] else "#4c6a88"}}),
                        known),
        EdgeBlock.keyed([(gid, target, count) for gid, count in sorted(migrating)],
                        lambda n: (f"{n:,} migrate to the target",
                                   {"dashes": True, "value": float(n),
                                    "color": {"color": ROLES["migrate"]}}),
                        known)])
    page = _cluster_graph_page(
        cluster, PageRows([nodes, groups_drawn]), edges, up, neighbours=bool(neighbours),
        size=f"{len(plan.keys):,} systems in {len(group_keys):,} groups of one department "
             f"and product{_shown(drawn, len(group_keys), 'department')}",
        note="Too many systems to draw one by one: each orange dot is one department's "
             "systems of one product"
             + ("; a dashed one, a department's smaller products merged into one"
                if len(drawn) < len(group_keys) else "")
             + ". Dashed orange edges: migrates to the target. Red edges: "
             "integrations to re-point. clusters.csv lists every member.")
    if not page.physics:
        _place(page.nodes, grouped_positions(
            {"members": [gid for gid, _ in migrating]}, {"members": target},
            [*(f"dept:{d}" for d in departments), *(f"other:{o}" for o, _ in outside)]))
    return page


def _repointed(pairs, labels: list[str], parts) -> set[tuple]:
    """The (node, node) pairs, both ways round, that integrations to re-point (``pairs``
    of system keys) join on a grouped page. ``parts``: (node ids, label positions) pairs,
    a later part winning for a node in two; ``labels``: the drawn node of each position."""
    node_of: dict[str, str] = {}
    for ids, label in parts:
        node_of.update(zip(ids.tolist(), map(labels.__getitem__, label.tolist())))
    get = node_of.get
    red = {(get(f"sys:{a}"), get(f"sys:{b}")) for a, b in pairs}
    return red | {(b, a) for a, b in red}


def _grouping(buckets: np.ndarray, products: np.ndarray
              ) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray]:
    """Rows grouped by (bucket, product): the keys sorted, the row positions ordered by
    group (rows of a group in their input order) and each group's bounds in that order."""
    bucket, bucket_names = pd.factorize(buckets, sort=True)
    product, product_names = pd.factorize(products, sort=True)
    width = max(len(product_names), 1)
    pair, inverse = np.unique(bucket.astype(np.int64) * width + product, return_inverse=True)
    order = np.argsort(inverse.ravel(), kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse.ravel(),
                                                        minlength=len(pair)))])
    b, p = np.divmod(pair, width)
    keys = list(zip(np.asarray(bucket_names, dtype=object)[b].tolist(),
                    np.asarray(product_names, dtype=object)[p].tolist()))
    return keys, order, bounds


def _shown(drawn: list, groups: int, bucket: str) -> str:
    """What a subtitle adds when some groups are merged: how many nodes show them."""
    if len(drawn) == groups:
        return ""
    merged = sum(1 for _, product, *_ in drawn if product is None)
    return (f" (the largest {len(drawn) - merged:,} drawn, the rest merged into "
            f"{merged:,} node(s), one per {bucket})")


def _cluster_graph_page(cluster: dict, nodes: list[dict], edges: list[dict] | PageRows,
                        up: str, *, neighbours: bool, size: str, note: str) -> GraphPage:
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


def data_flow_page(view: EstateView | nx.DiGraph, pages: dict) -> GraphPage:
    """Integrations between departments and the data domains each department holds."""
    view = _as_view(view)
    node, pred, pos = view.node, view.pred, view.pos
    held_by = view.node_departments()
    names, out_ptr, out_to, _, _ = view.adjacency
    codes, found = pd.factorize(np.concatenate([
        held_by, np.full(len(names) - len(view.ids), None, dtype=object)]))
    a = np.repeat(codes, np.diff(out_ptr))
    b = codes[out_to]
    keep = (a >= 0) & (b >= 0) & (a != b)
    pair, n = np.unique(a[keep].astype(np.int64) * len(found) + b[keep], return_counts=True)
    depts = found.tolist()
    flows = {(depts[x], depts[y]): k for x, y, k in
             zip(*(part.tolist() for part in np.divmod(pair, max(len(found), 1))), n.tolist())}
    held: dict[tuple[str, str], int] = defaultdict(int)
    for v in view.of_type["data_domain"]:
        for u, d in pred[v].items():
            if d.get("type") == "holds_data":
                at = pos.get(u)
                holder = None if at is None else held_by[at]
                if holder:
                    held[(holder, v)] += 1
    departments = sorted({d for pair in flows for d in pair} | {d for d, _ in held} |
                         {str(node[d].get("label") or d[5:])
                          for d in view.of_type["department"]})
    domains = sorted({v for _, v in held})
    holders: dict[str, int] = defaultdict(int)
    for (_, v), n in held.items():
        holders[v] += n
    dept_pages = pages["departments"]
    nodes = [hub_node(f"dept:{d}", d, DEPARTMENT, "square", "Department",
                      f"Department: {d}\nDouble-click to open its graph"
                      if dept_pages.get(d) else f"Department: {d}",
                      url=dept_pages.get(d)) for d in departments]
    nodes += [hub_node(v, str(node[v].get("label") or v), DOMAIN, "triangle",
                       "Data domain", f"Data domain: {node[v].get('label') or v}\n"
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
    """Write every graph page; returns the paths written by kind.

    First each page's systems are found (walking only the edges of its own nodes), then
    the tooltips of every system some page draws are built in one pass, then each page is
    built and written in turn, so only one page's nodes are held at a time."""
    with gc_paused():
        return _write_graphs(findings, doc, Path(out_dir))


def _write_graphs(findings, doc: dict, out_dir: Path) -> dict[str, object]:
    view = EstateView(findings.graph, findings.systems)
    pages = doc["pages"]
    departments = {d: department_systems(view, d) for d in pages["departments"]}
    paged = [c for c in doc["clusters"] if c["graph"]]
    clusters = [(c, cluster_systems(view, c, columns))
                for c, columns in zip(paged, member_columns(paged))]
    drawn = [s for own, partners in departments.values()
             if len(own) + len(partners) <= GROUP_ABOVE_NODES for s in (*own, *partners)]
    drawn += [s for _, plan in clusters for s in plan.drawn]
    view.encoded(drawn)
    written: dict[str, object] = {
        "vis_js": write_vis_js(out_dir),
        "estate_graph": write_graph(estate_page(view, pages), out_dir / pages["estate_graph"]),
        "data_flow": write_graph(data_flow_page(view, pages), out_dir / pages["data_flow"]),
    }
    written["clusters"] = {
        c["id"]: write_graph(cluster_page(view, c, pages["departments"], plan),
                             out_dir / c["graph"])
        for c, plan in clusters}
    written["departments"] = {
        d: write_graph(department_page(view, d, pages["departments"], departments[d]),
                       out_dir / rel)
        for d, rel in pages["departments"].items()}
    return written
