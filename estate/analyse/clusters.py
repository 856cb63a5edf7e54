"""Candidate consolidation groups and the hard constraints that split them.

Candidates never cross a capability: each capability is a block, and inside it systems on
one product form one *unit* (they are the obvious tenant consolidation). Units are linked
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


@dataclass
class Candidate:
    capability_id: str
    capability: str
    keys: list[str]
    labels: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    tier: str | None = None


def units_of(block: pd.DataFrame) -> pd.Series:
    return block["product_id"].fillna("sys:" + block["system_key"])


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
    by_name = clean.groupby(clean, sort=True).apply(lambda s: sorted(s.index))
    uniq = list(by_name.index)
    for name, units in by_name.items():
        for a, b in combinations(units, 2):
            weights[(a, b)] += sim.name_similarity
    if len(uniq) < 2:
        return
    blocks = ([uniq] if len(uniq) <= NAME_BLOCK_LIMIT else
              [list(g) for _, g in pd.Series(uniq).groupby(
                  pd.Series(uniq).str.split().str[0].fillna(""), sort=True)])
    for names_block in blocks:
        if len(names_block) < 2:
            continue
        scores = process.cdist(names_block, names_block, scorer=fuzz.token_set_ratio,
                               score_cutoff=sim.name_threshold, dtype=np.uint8, workers=1)
        rows, cols = np.nonzero(np.triu(scores, k=1))
        for i, j in zip(rows.tolist(), cols.tolist()):
            w = sim.name_similarity * float(scores[i, j]) / 100.0
            for a in by_name[names_block[i]]:
                for b in by_name[names_block[j]]:
                    weights[tuple(sorted((a, b)))] += w


def similarity_graph(block: pd.DataFrame, edges: pd.DataFrame,
                     sim: SimilarityModel) -> nx.Graph:
    """The weighted unit graph of one capability block."""
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
            weights[tuple(sorted((a, b)))] += sim.integration
    bespoke = block[block["product_id"].isna()]
    _name_links(weights, pd.Series(bespoke["name"].astype(str).values,
                                   index=("sys:" + bespoke["system_key"]).values), sim)
    graph = nx.Graph()
    graph.add_nodes_from(units)
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in sorted(weights.items()))
    return graph


def candidate_groups(block: pd.DataFrame, edges: pd.DataFrame,
                     settings: Settings) -> list[tuple[list[str], str | None]]:
    """System keys of each candidate group of one capability, with an anchor label.

    The anchor (the unit with most systems) names a group only when the block gives
    more than one group, so the id of the usual single cluster does not depend on it.
    """
    sim = settings.similarity
    graph = similarity_graph(block, edges, sim)
    unit = units_of(block)
    size = unit.value_counts()
    groups: list[list[str]] = []
    for comp in sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: c[0]):
        if len(comp) > sim.community_min_units:
            sub = graph if len(comp) == graph.number_of_nodes() else graph.subgraph(comp).copy()
            communities = nx.community.louvain_communities(
                sub, weight="weight", resolution=sim.resolution, seed=settings.seed)
            groups.extend(sorted((sorted(c) for c in communities), key=lambda c: c[0]))
        else:
            groups.append(comp)
    keys_by_unit = block["system_key"].groupby(unit, sort=True).apply(sorted).to_dict()
    result = []
    for units in groups:
        keys = sorted(k for u in units for k in keys_by_unit[u])
        anchor = None
        if len(groups) > 1:
            anchor_unit = sorted(units, key=lambda u: (-int(size[u]), u))[0]
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
            lambda b: zone_of(b["region"], settings.constraints), lambda k: slug(k)))
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
