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
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

import networkx as nx
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from estate.analyse.frame import map_unique, phrases_in, slug
from estate.settings import Constraints, Rule, Settings, SimilarityModel

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


def units_of(block: pd.DataFrame) -> pd.Series:
    """The unit of each system: its product, else itself (see ``LOCAL_UNIT_LIMIT``)."""
    unit = block["product_id"].fillna("sys:" + block["system_key"]).astype(object)
    if unit.nunique() <= LOCAL_UNIT_LIMIT:
        return unit
    spread = block["department"].groupby(unit).nunique()
    local = unit.map(spread).eq(1).to_numpy()
    return unit.where(~local, "local:" + block["department"].astype(str)).astype(object)


def _add_shared(weights: dict, pairs: pd.DataFrame, key: str, weight: float) -> None:
    """Add ``weight`` to every pair of units sharing a value of ``key`` (inverted index)."""
    if weight <= 0 or pairs.empty:
        return
    for _, units in pairs.groupby(key, sort=True)["unit"]:
        members = sorted(set(units))
        if 2 <= len(members) <= MAX_INDEX_GROUP:
            for a, b in combinations(members, 2):
                weights[(a, b)] += weight


def _name_links(weights: dict, names: pd.Series, sim: SimilarityModel) -> None:
    """Link bespoke units whose names are similar (compared on unique names)."""
    if sim.name_similarity <= 0 or len(names) < 2:
        return
    clean = names.str.casefold().str.replace(r"[^0-9a-z]+", " ", regex=True).str.strip()
    by_name = clean.groupby(clean, sort=True).apply(lambda s: sorted(set(s.index)))
    uniq = list(by_name.index)
    for name, units in by_name.items():
        for a, b in combinations(units, 2):
            weights[(a, b)] += sim.name_similarity
    if len(uniq) < 2:
        return
    for names_block in _name_blocks(uniq):
        if len(names_block) < 2:
            continue
        scores = process.cdist(names_block, names_block, scorer=fuzz.token_set_ratio,
                               score_cutoff=sim.name_threshold, dtype=np.uint8, workers=-1)
        rows, cols = np.nonzero(np.triu(scores, k=1))
        for i, j in zip(rows.tolist(), cols.tolist()):
            w = sim.name_similarity * float(scores[i, j]) / 100.0
            for a in by_name[names_block[i]]:
                for b in by_name[names_block[j]]:
                    if a != b:
                        weights[(a, b) if a < b else (b, a)] += w


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


def similarity_weights(block: pd.DataFrame, edges: pd.DataFrame,
                       sim: SimilarityModel) -> tuple[list[str], dict[tuple[str, str], float]]:
    """Sorted units of one capability block and the weight of each linked pair ``(a, b)``,
    ``a < b``."""
    unit = units_of(block)
    units = sorted(unit.unique())
    weights: dict[tuple[str, str], float] = defaultdict(float)
    if len(units) <= sim.dense_limit and sim.same_capability > 0:
        for a, b in combinations(units, 2):
            weights[(a, b)] += sim.same_capability
    frame = pd.DataFrame({"unit": unit, "vendor": block["vendor_key"],
                          "domain": block["data_domains"]})
    vendors = frame[["unit", "vendor"]].dropna().drop_duplicates()
    _add_shared(weights, vendors, "vendor", sim.same_vendor)
    domains = frame[["unit", "domain"]].explode("domain").dropna().drop_duplicates()
    _add_shared(weights, domains, "domain", sim.shared_data_domain)
    if sim.integration > 0 and not edges.empty:
        unit_of = unit.to_dict()
        ends = pd.DataFrame({"a": edges["source"].map(unit_of),
                             "b": edges["target"].map(unit_of)}).dropna()
        ends = ends[ends["a"] != ends["b"]]
        for a, b in zip(ends["a"], ends["b"]):
            weights[(a, b) if a < b else (b, a)] += sim.integration
    bespoke = block[block["product_id"].isna()]
    _name_links(weights, pd.Series(bespoke["name"].astype(str).values,
                                   index=unit[bespoke.index].values), sim)
    return units, weights


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
    """System keys of each candidate group of one capability, with an anchor label.

    The anchor (the unit with most systems) names a group only when the block gives
    more than one group, so the id of the usual single cluster does not depend on it.
    Only connected groups above ``community_min_units`` get a graph and Louvain; each
    such graph holds just its own units and links, in sorted order.
    """
    sim = settings.similarity
    units, weights = similarity_weights(block, edges, sim)
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
    unit = units_of(block)
    size = unit.value_counts().to_dict()
    keys_by_unit = block["system_key"].groupby(unit, sort=True).agg(sorted).to_dict()
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


def _partition(keys: pd.Series) -> list[tuple[object, list[str]]] | None:
    """Split system keys by constraint value; unconstrained (None) join the largest part.

    Returns None when the constraint does not split the group.
    """
    known = keys.dropna()
    if known.nunique() < 2:
        return None
    parts = {k: sorted(v) for k, v in known.groupby(known, sort=True).groups.items()}
    largest = sorted(parts, key=lambda k: (-len(parts[k]), str(k)))[0]
    parts[largest] = sorted(parts[largest] + list(keys[keys.isna()].index))
    return sorted(parts.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))


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


def apply_constraints(candidate: Candidate, systems: pd.DataFrame, settings: Settings,
                      blocked: list[dict]) -> list[Candidate]:
    """Split a candidate group by every hard constraint, recording each split."""
    parts = [candidate]
    for constraint in constraints_for(settings, candidate.capability_id, candidate.capability):
        next_parts = []
        for part in parts:
            block = systems.loc[part.keys]
            split = _partition(constraint.key(block))
            if split is None:
                if constraint.name == "tier":
                    part.tier = str(block["tier"].iloc[0])
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
