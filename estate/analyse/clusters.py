"""Candidate consolidation groups and the hard constraints that split them.

Candidates never cross a capability: each capability is a block, and inside it systems on
one product form one *unit* (they are the obvious tenant consolidation). In a block of more
than ``LOCAL_UNIT_LIMIT`` units, what only one department runs is one unit per department,
so the work grows with departments and shared products rather than rows. Units are linked
in a weighted similarity graph built from inverted indexes (shared vendor, shared data
domain, integrations) and from rapidfuzz scores between the names of bespoke systems of
that capability only, so no step compares all pairs of the estate. Connected groups larger
than ``similarity.community_min_units`` are split by seeded Louvain community detection.

The hard constraints then split each candidate group, in this order: classification tier,
hosting region (sovereignty zone), and the user's rules. Every split is recorded as a
blocker, so a person sees where a constraint bit.
"""

from __future__ import annotations

import fnmatch
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

import networkx as nx
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from estate.analyse.frame import map_unique, phrases_in, slug
from estate.settings import Constraints, Rule, Settings, SimilarityModel

_CHARS = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
"""The characters of a clean name other than the space (sorted)."""
_NAME_ROWS = 512
"""Rows of the pair bounds computed at a time (bounded memory for large name blocks)."""

MAX_INDEX_GROUP = 200
"""A vendor or data domain shared by more units than this links none of them: it is too
common to say anything (like a stop word), and linking it would be quadratic."""
NAME_BLOCK_LIMIT = 2000
"""Above this many bespoke names in a capability, names are compared only within the
group that shares their first word."""
NAME_GROUP_LIMIT = 1000
"""A first-word group of names larger than this is split again by the next word."""


@dataclass
class Candidate:
    capability_id: str
    capability: str
    keys: list[str]
    labels: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    tier: str | None = None


LOCAL_UNIT_LIMIT = 1000
"""Above this many units in a capability block, the units only one department runs (its
bespoke systems and products nobody else runs) become one unit per department, so the
similarity graph and Louvain grow with departments and shared products, not rows."""


def _name_links(weights: dict, by_name: dict[str, list[str]], sim: SimilarityModel) -> None:
    """Link bespoke units whose names are similar (compared on unique clean names).

    ``by_name`` maps each sorted clean name to the sorted units that carry it.
    """
    if sim.name_similarity <= 0:
        return
    uniq = list(by_name)
    for units in by_name.values():
        for a, b in combinations(units, 2):
            weights[(a, b)] += sim.name_similarity
    if len(uniq) < 2:
        return
    for names_block in _name_blocks(uniq):
        if len(names_block) < 2:
            continue
        rows, cols, scores = similar_names(names_block, sim.name_threshold)
        for i, j, score in zip(rows.tolist(), cols.tolist(), scores.tolist()):
            w = sim.name_similarity * float(score) / 100.0
            for a in by_name[names_block[i]]:
                for b in by_name[names_block[j]]:
                    if a != b:
                        weights[(a, b) if a < b else (b, a)] += w


def similar_names(names: list[str], cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs ``i < j`` of ``names`` whose rapidfuzz ``token_set_ratio`` reaches
    ``cutoff``, with the score (0-100, as ``cdist`` with ``uint8`` gives it).

    The score of a pair is the best of ratios fixed by the lengths of its shared and own
    words and of one ratio whose edit distance is at least the letters its own words
    differ in. Those counts come from word postings and per-letter array arithmetic, so
    an upper bound of every pair's score costs a few array operations (in row blocks of
    ``_NAME_ROWS``, no BLAS); rapidfuzz scores only the pairs the bound cannot rule out,
    so the result is exactly what scoring all pairs gives.
    """
    n = len(names)
    empty = np.zeros(0, dtype=np.int64)
    if n < 2:
        return empty, empty, np.zeros(0, dtype=np.uint8)
    words = [sorted(set(x.split())) for x in names]
    count = np.array([len(ws) for ws in words], dtype=np.float32)
    chars = np.array([sum(map(len, ws)) for ws in words], dtype=np.float32)
    seen = Counter(t for ws in words for t in ws)
    postings: dict[str, list[int]] = {}
    for k, ws in enumerate(words):
        for t in ws:
            if seen[t] > 1:  # a word of one name shares nothing
                postings.setdefault(t, []).append(k)
    index = {t: np.array(ks) for t, ks in postings.items()}
    # Letters of each name's distinct words (what its own words can differ in).
    text = [" ".join(ws).encode() for ws in words]
    owner = np.repeat(np.arange(n), [len(t) for t in text])
    byte = np.frombuffer(b"".join(text), dtype=np.uint8)
    letter = np.searchsorted(_CHARS, byte)
    ok = (letter < len(_CHARS)) & (_CHARS[np.minimum(letter, len(_CHARS) - 1)] == byte)
    counts = np.zeros((n, len(_CHARS)), dtype=np.int32)
    np.add.at(counts, (owner[ok], letter[ok]), 1)
    used = np.flatnonzero(counts.any(axis=0)).tolist()
    limit = cutoff - 0.5
    found_i, found_j = [], []
    for start in range(0, n - 1, _NAME_ROWS):
        rows = slice(start, min(start + _NAME_ROWS, n - 1))
        cols = slice(start + 1, n)  # pairs i < j only ever need the columns after i
        c = np.zeros((rows.stop - rows.start, n - start - 1), dtype=np.float32)
        w = np.zeros_like(c)
        for k in range(rows.start, rows.stop):  # shared words and their length
            for t in words[k]:
                others = index.get(t)
                if others is not None:
                    others = others[others > k] - (start + 1)
                    c[k - start, others] += 1
                    w[k - start, others] += len(t)
        apart = np.zeros(c.shape, dtype=np.int32)  # letters the two names differ in
        part = np.empty_like(apart)
        for col in used:
            np.subtract.outer(counts[rows, col], counts[cols, col], out=part)
            np.abs(part, out=part)
            apart += part
        own_a = count[rows, None] - c
        own_b = count[None, cols] - c
        some = c > 0
        s = np.where(some, w + c - 1, 0)
        a = np.where(own_a > 0, chars[rows, None] - w + own_a - 1, 0)
        b = np.where(own_b > 0, chars[None, cols] - w + own_b - 1, 0)
        total = 2 * s + 2 * some + a + b
        short = np.minimum(a, b)
        apart = np.maximum(apart + np.abs(own_a - own_b), np.abs(a - b))
        with np.errstate(divide="ignore", invalid="ignore"):
            keep = (some & ((own_a == 0) | (own_b == 0))
                    | (some & (100 * (1 - (1 + short) / (2 * s + 1 + short)) >= limit))
                    | ((total > 0) & (100 * (1 - apart / total) >= limit)))
        keep &= np.arange(start + 1, n)[None, :] > np.arange(rows.start, rows.stop)[:, None]
        r, q = np.nonzero(keep)
        found_i.append(r + start)
        found_j.append(q + start + 1)
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    if not len(i):
        return i, j, np.zeros(0, dtype=np.uint8)
    scores = process.cpdist([names[k] for k in i.tolist()], [names[k] for k in j.tolist()],
                            scorer=fuzz.token_set_ratio, score_cutoff=cutoff,
                            dtype=np.uint8, workers=1)
    hit = scores > 0
    return i[hit], j[hit], scores[hit]


def _name_blocks(uniq: list[str]) -> list[list[str]]:
    """Groups of sorted unique names to compare with each other.

    Up to ``NAME_BLOCK_LIMIT`` names are one group; above it names are grouped by their
    first word, and a group still above ``NAME_GROUP_LIMIT`` by its first two words, and
    so on, so the comparisons grow with the number of names, not its square.
    """
    if len(uniq) <= NAME_BLOCK_LIMIT:
        return [uniq]
    found = []
    todo = [(uniq, 1)]
    while todo:
        names, words = todo.pop()
        heads = pd.Series(names).str.split().str[:words].str.join(" ").fillna("")
        for head, group in pd.Series(names).groupby(heads, sort=True):
            group = list(group)
            longer = any(len(n.split()) > words for n in group)
            if len(group) > NAME_GROUP_LIMIT and longer:
                todo.append((group, words + 1))
            else:
                found.append(group)
    return sorted(found)


@dataclass
class BlockInputs:
    """What the similarity graph of one capability block is built from, as plain lists.

    Made for every block of the estate at once by :func:`block_inputs` (a few whole-table
    sorts and groupbys), so a block costs no pandas calls of its own.
    """

    units: list[str] = field(default_factory=list)
    """Sorted units of the block."""
    vendors: list[list[str]] = field(default_factory=list)
    """Sorted units sharing each vendor, in vendor order (groups of 2..MAX_INDEX_GROUP)."""
    domains: list[list[str]] = field(default_factory=list)
    """Sorted units sharing each data domain, in domain order (same limits)."""
    integrations: list[tuple[str, str]] = field(default_factory=list)
    """Unit pairs of the block's integrations (between different units), in edge order."""
    names: dict[str, list[str]] = field(default_factory=dict)
    """Clean bespoke names (sorted) and the sorted units that carry each."""
    keys: dict[str, list[str]] = field(default_factory=dict)
    """Sorted system keys of each unit."""


def _runs(frame: pd.DataFrame, by: list[str]) -> list[tuple[tuple, int, int]]:
    """``(values of by, start, stop)`` of each run of equal ``by`` in a sorted frame."""
    if frame.empty:
        return []
    change = np.zeros(len(frame), dtype=bool)
    change[0] = True
    for col in by:
        values = frame[col].to_numpy(dtype=object)
        change[1:] |= values[1:] != values[:-1]
    starts = np.flatnonzero(change).tolist()
    firsts = list(zip(*(frame[col].to_numpy(dtype=object)[starts].tolist() for col in by)))
    return list(zip(firsts, starts, starts[1:] + [len(frame)]))


def _shared_groups(frame: pd.DataFrame, key: str, found: dict) -> None:
    """Per block, the sorted units sharing each value of ``key`` (inverted index)."""
    frame = frame.dropna().drop_duplicates().sort_values(["cap", key, "unit"], kind="stable")
    units = frame["unit"].tolist()
    for (cap, _), a, b in _runs(frame, ["cap", key]):
        if 2 <= b - a <= MAX_INDEX_GROUP:
            found[cap].append(units[a:b])


def block_units(block: pd.DataFrame, cap: pd.Series) -> pd.Series:
    """The unit of each system: its product, else itself; in a block of more than
    ``LOCAL_UNIT_LIMIT`` units what one department alone runs is that department's unit."""
    unit = block["product_id"].fillna("sys:" + block["system_key"]).astype(object)
    many = unit.groupby(cap).transform("nunique") > LOCAL_UNIT_LIMIT
    if not many.any():
        return unit
    spread = block["department"].groupby([cap, unit]).transform("nunique")
    local = (many & spread.eq(1)).to_numpy()
    return unit.where(~local, "local:" + block["department"].astype(str)).astype(object)


def block_inputs(block: pd.DataFrame, cap: pd.Series, edges: pd.DataFrame,
                 sim: SimilarityModel) -> dict[object, BlockInputs]:
    """:class:`BlockInputs` of every block (systems grouped by ``cap``); ``edges`` are
    the integrations inside a block, with its ``cap``."""
    unit = block_units(block, cap)
    found: dict[object, BlockInputs] = {c: BlockInputs() for c in pd.unique(cap)}
    frame = pd.DataFrame({"cap": cap.to_numpy(object), "unit": unit.to_numpy(object),
                          "key": block["system_key"].to_numpy(object)}).sort_values(
        ["cap", "unit", "key"], kind="stable")
    keys = frame["key"].tolist()
    for (c, u), a, b in _runs(frame, ["cap", "unit"]):
        found[c].keys[u] = keys[a:b]
        found[c].units.append(u)
    vendors = {c: [] for c in found}
    _shared_groups(pd.DataFrame({"cap": cap.to_numpy(object), "unit": unit.to_numpy(object),
                                 "vendor": block["vendor_key"].to_numpy(object)}),
                   "vendor", vendors)
    domains = {c: [] for c in found}
    _shared_groups(pd.DataFrame({"cap": cap.to_numpy(object), "unit": unit.to_numpy(object),
                                 "domain": block["data_domains"].to_numpy(object)}
                                ).explode("domain"), "domain", domains)
    for c, item in found.items():
        item.vendors, item.domains = vendors[c], domains[c]
    if not edges.empty:
        ends = pd.DataFrame({"cap": edges["cap"].to_numpy(object),
                             "a": edges["source"].map(unit).to_numpy(object),
                             "b": edges["target"].map(unit).to_numpy(object)}).dropna()
        ends = ends[ends["a"] != ends["b"]].sort_values("cap", kind="stable")
        pairs = list(zip(ends["a"].tolist(), ends["b"].tolist()))
        for (c,), a, b in _runs(ends, ["cap"]):
            if c in found:
                found[c].integrations = pairs[a:b]
    bespoke = block["product_id"].isna().to_numpy()
    if bespoke.any():
        names = pd.Series(block["name"].astype(str).to_numpy()[bespoke])
        clean = names.str.casefold().str.replace(r"[^0-9a-z]+", " ", regex=True).str.strip()
        frame = (pd.DataFrame({"cap": cap.to_numpy(object)[bespoke], "name": clean.to_numpy(),
                               "unit": unit.to_numpy(object)[bespoke]})
                 .drop_duplicates().sort_values(["cap", "name", "unit"], kind="stable"))
        units = frame["unit"].tolist()
        for (c, name), a, b in _runs(frame, ["cap", "name"]):
            found[c].names[name] = units[a:b]
    return found


def block_weights(inputs: BlockInputs, sim: SimilarityModel) -> dict[tuple[str, str], float]:
    """The weight of each linked pair ``(a, b)``, ``a < b``, of one block's units."""
    weights: dict[tuple[str, str], float] = defaultdict(float)
    if len(inputs.units) <= sim.dense_limit and sim.same_capability > 0:
        for a, b in combinations(inputs.units, 2):
            weights[(a, b)] += sim.same_capability
    for groups, weight in ((inputs.vendors, sim.same_vendor),
                           (inputs.domains, sim.shared_data_domain)):
        if weight > 0:
            for members in groups:
                for a, b in combinations(members, 2):
                    weights[(a, b)] += weight
    if sim.integration > 0:
        for a, b in inputs.integrations:
            weights[(a, b) if a < b else (b, a)] += sim.integration
    _name_links(weights, inputs.names, sim)
    return weights


def _single(block: pd.DataFrame, edges: pd.DataFrame, sim: SimilarityModel) -> BlockInputs:
    found = block_inputs(block, pd.Series(0, index=block.index), edges.assign(cap=0), sim)
    return found.get(0, BlockInputs())


def similarity_weights(block: pd.DataFrame, edges: pd.DataFrame,
                       sim: SimilarityModel) -> tuple[list[str], dict[tuple[str, str], float]]:
    """Sorted units of one capability block and the weight of each linked pair ``(a, b)``,
    ``a < b``."""
    inputs = _single(block, edges, sim)
    return inputs.units, block_weights(inputs, sim)


def _graph(units: list[str], links) -> nx.Graph:
    """Nodes and edges added in sorted order, so Louvain's seeded run is reproducible."""
    graph = nx.Graph()
    graph.add_nodes_from(units)
    graph.add_weighted_edges_from(links)
    return graph


def similarity_graph(block: pd.DataFrame, edges: pd.DataFrame,
                     sim: SimilarityModel) -> nx.Graph:
    """The weighted unit graph of one capability block."""
    units, weights = similarity_weights(block, edges, sim)
    return _graph(units, ((a, b, w) for (a, b), w in sorted(weights.items())))


def _components(units: list[str], pairs) -> list[list[str]]:
    """Connected groups of units (union-find), each sorted, ordered by first unit."""
    parent = {u: u for u in units}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    found: dict[str, list[str]] = {}
    for u in units:
        found.setdefault(find(u), []).append(u)
    return sorted(found.values(), key=lambda c: c[0])


def candidate_groups(block: pd.DataFrame, edges: pd.DataFrame,
                     settings: Settings) -> list[tuple[list[str], str | None]]:
    """System keys of each candidate group of one capability block (see
    :func:`block_groups`)."""
    return block_groups(_single(block, edges, settings.similarity), settings)


def block_groups(inputs: BlockInputs,
                 settings: Settings) -> list[tuple[list[str], str | None]]:
    """System keys of each candidate group of one capability, with an anchor label.

    The anchor (the unit with most systems) names a group only when the block gives
    more than one group, so the id of the usual single cluster does not depend on it.
    Only connected groups above ``community_min_units`` get a graph and Louvain; each
    such graph holds just its own units and links, in sorted order.
    """
    sim = settings.similarity
    units, weights = inputs.units, block_weights(inputs, settings.similarity)
    links = sorted(weights.items())
    components = _components(units, (pair for pair, _ in links))
    big = [c for c in components if len(c) > sim.community_min_units]
    links_of: dict[int, list] = {}
    if big:
        comp_of = {u: i for i, c in enumerate(big) for u in c}
        for (a, b), w in links:
            i = comp_of.get(a)
            if i is not None:
                links_of.setdefault(i, []).append((a, b, w))
    big_no = {id(c): i for i, c in enumerate(big)}
    groups: list[list[str]] = []
    for comp in components:
        i = big_no.get(id(comp))
        if i is None:
            groups.append(comp)
            continue
        communities = nx.community.louvain_communities(
            _graph(comp, links_of.get(i, [])), weight="weight", resolution=sim.resolution,
            seed=settings.seed)
        groups.extend(sorted((sorted(c) for c in communities), key=lambda c: c[0]))
    keys_by_unit = inputs.keys
    size = {u: len(k) for u, k in keys_by_unit.items()}
    result = []
    for members in groups:
        keys = sorted(k for u in members for k in keys_by_unit[u])
        anchor = None
        if len(groups) > 1:
            anchor_unit = min(members, key=lambda u: (-int(size[u]), u))
            anchor = slug(anchor_unit.removeprefix("sys:"))
        result.append((keys, anchor))
    return result


# --- hard constraints --------------------------------------------------------------

def zone_of(regions: pd.Series, constraints: Constraints) -> pd.Series:
    """Sovereignty zone (or region, or nothing) of each system per ``region_rule``."""
    if constraints.region_rule == "none":
        return pd.Series(None, index=regions.index, dtype=object)
    text = map_unique(regions, lambda v: v.strip().casefold()
                      if isinstance(v, str) and v.strip() else None)
    if constraints.region_rule == "region":
        return text
    exact = {}
    patterns = []
    for zone, names in constraints.sovereignty_zones.items():
        for name in names:
            name = name.casefold()
            if any(ch in name for ch in "*?["):
                patterns.append((name, zone))
            else:
                exact.setdefault(name, zone)

    def zone(region: str | None) -> str | None:
        if region is None:
            return None
        if region in exact:
            return exact[region]
        for pattern, z in patterns:
            if fnmatch.fnmatchcase(region, pattern):
                return z
        return region

    uniq = {r: zone(r) for r in text.dropna().unique()}
    return text.map(uniq).astype(object)


def rule_matches(block: pd.DataFrame, rule: Rule) -> pd.Series:
    """Whether each system matches a ``separate`` rule (any element of a list field)."""
    patterns = [v.casefold() for v in rule.values]

    def hit(value: object) -> bool:
        items = value if isinstance(value, (tuple, list)) else (value,)
        return any(isinstance(v, str) and any(fnmatch.fnmatchcase(v.casefold(), p)
                                              for p in patterns) for v in items)

    column = block[rule.field] if rule.field in block else pd.Series(None, index=block.index)
    return map_unique(column, hit).astype(bool)


def rule_applies(rule: Rule, capability_id: str, capability: str) -> bool:
    if not rule.capabilities:
        return True
    wanted = {slug(c) for c in rule.capabilities}
    return slug(capability_id) in wanted or slug(capability) in wanted


def _field_key(block: pd.DataFrame, name: str) -> pd.Series:
    column = block[name] if name in block else pd.Series(None, index=block.index)
    return map_unique(column, _field_text)


def _field_text(v: object) -> str | None:
    if isinstance(v, tuple):
        return " / ".join(map(str, v)).casefold() or None
    if v is None or (isinstance(v, float) and np.isnan(v)) or not str(v).strip():
        return None
    return str(v).strip().casefold()


def _partition(keys: list[str], values: list, missing: list[bool]
               ) -> list[tuple[object, list[str]]] | None:
    """Split system keys by constraint value; unconstrained (missing) join the largest part.

    Returns None when the constraint does not split the group.
    """
    groups: dict[object, list[str]] = {}
    loose = []
    for key, value, miss in zip(keys, values, missing):
        if miss:
            loose.append(key)
        else:
            groups.setdefault(value, []).append(key)
    if len(groups) < 2:
        return None
    parts = {k: sorted(v) for k, v in groups.items()}
    largest = sorted(parts, key=lambda k: (-len(parts[k]), str(k)))[0]
    parts[largest] = sorted(parts[largest] + loose)
    return sorted(parts.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))


class ConstraintValues:
    """Each constraint's value for every system, computed once for the whole estate.

    A constraint's value depends on the system alone, so one pass over the table serves
    every candidate group; a group then only looks its members up.
    """

    def __init__(self, systems: pd.DataFrame) -> None:
        self.systems = systems
        self.position = dict(zip(systems.index.tolist(), range(len(systems))))
        self.columns: dict[tuple[str, str], tuple[list, list[bool]]] = {}

    def of(self, constraint: "_Constraint", keys: list[str]) -> tuple[list, list[bool]]:
        name = (constraint.name, constraint.describe)
        if name not in self.columns:
            column = constraint.key(self.systems)
            self.columns[name] = (column.tolist(), column.isna().tolist())
        values, missing = self.columns[name]
        at = [self.position[k] for k in keys]
        return [values[i] for i in at], [missing[i] for i in at]


def _show(keys: list[str], limit: int = 5) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


@dataclass
class _Constraint:
    name: str        # tier | region | rule:<name>
    describe: str    # words for the reason
    key: callable    # block -> Series of partition keys
    label: callable  # partition key -> id label or None


def constraints_for(settings: Settings, capability_id: str, capability: str) -> list[_Constraint]:
    found = [_Constraint("tier", "classification tier (systems of different tiers are "
                         "never consolidated)", lambda b: b["tier"].astype(object),
                         lambda k: None)]
    rule = settings.constraints.region_rule
    if rule != "none":
        found.append(_Constraint(
            "region", "hosting " + ("sovereignty zone" if rule == "zone" else "region"),
            lambda b: b["zone"] if "zone" in b else zone_of(b["region"], settings.constraints),
            lambda k: slug(k)))
    for r in settings.rules:
        if not rule_applies(r, capability_id, capability):
            continue
        if r.kind == "separate":
            found.append(_Constraint(
                f"rule:{r.name}", f"the rule {r.name!r} (keep systems whose {r.field} "
                f"matches {', '.join(r.values)} apart)",
                lambda b, r=r: rule_matches(b, r).astype(object),
                lambda k, r=r: slug(r.name) if k else None))
        else:
            found.append(_Constraint(
                f"rule:{r.name}", f"the rule {r.name!r} (never merge systems with "
                f"different {r.field})", lambda b, r=r: _field_key(b, r.field),
                lambda k: slug(k)))
    return found


def _value_text(constraint: _Constraint, value: object) -> str:
    if constraint.name.startswith("rule:") and isinstance(value, bool):
        return "matching" if value else "not matching"
    return str(value)


def apply_constraints(candidate: Candidate, systems: pd.DataFrame | ConstraintValues,
                      settings: Settings, blocked: list[dict]) -> list[Candidate]:
    """Split a candidate group by every hard constraint, recording each split.

    ``systems`` is the systems table or, when many groups are split, its
    :class:`ConstraintValues` (made once and passed to every call).
    """
    table = systems if isinstance(systems, ConstraintValues) else ConstraintValues(systems)
    parts = [candidate]
    for constraint in constraints_for(settings, candidate.capability_id, candidate.capability):
        next_parts = []
        for part in parts:
            values, missing = table.of(constraint, part.keys)
            split = _partition(part.keys, values, missing)
            if split is None:
                if constraint.name == "tier":
                    part.tier = str(values[0])
                next_parts.append(part)
                continue
            tier = part.tier
            record = {
                "constraint": constraint.name, "capability": candidate.capability,
                "capability_id": candidate.capability_id, "tier": tier,
                "reason": (f"{constraint.describe} splits {len(part.keys)} candidate "
                           f"systems of {candidate.capability} into {len(split)} groups: "
                           + "; ".join(f"{_value_text(constraint, v)}: {_show(k)}"
                                       for v, k in split)),
                "groups": [{"label": _value_text(constraint, v), "members": k}
                           for v, k in split],
            }
            record["id"] = "blk-" + "-".join(
                [slug(constraint.name), slug(candidate.capability_id), slug(tier or "all")]
                + [slug(x) for x in part.labels] + [slug(k[0]) for _, k in split[:1]])
            blocked.append(record)
            for value, keys in split:
                others = [k for v, ks in split if v != value for k in ks]
                label = constraint.label(value)
                child = Candidate(
                    candidate.capability_id, candidate.capability, keys,
                    labels=part.labels + ([label] if label else []),
                    blockers=part.blockers + [
                        f"{constraint.describe}: kept apart from {len(others)} "
                        f"system(s) of this capability ({_show(others)})"],
                    tier=str(value) if constraint.name == "tier" else tier)
                next_parts.append(child)
        parts = next_parts
    return parts


def out_of_scope(systems: pd.DataFrame, constraints: Constraints) -> pd.Series:
    """Systems marked out of scope by lifecycle or by key pattern."""
    lifecycles = {v.casefold() for v in constraints.out_of_scope_lifecycles}
    flag = map_unique(systems["lifecycle"], lambda v: bool(phrases_in(v, lifecycles))
                      ).astype(bool)
    patterns = [p.casefold() for p in constraints.out_of_scope]
    if patterns:
        flag |= systems["system_key"].map(
            lambda k: any(fnmatch.fnmatchcase(str(k).casefold(), p) for p in patterns)
        ).astype(bool)  # keys are unique: one test per system is the least possible
    return flag
