"""Find duplicate implementations and propose consolidation clusters from the estate graph.

Public API: :func:`analyse` (graph + settings -> :class:`Analysis`) and the result
dataclasses. The steps, each in its own module:

- ``duplicates``: one product run as several implementations (tenant sprawl) and several
  products for one capability (divergence);
- ``clusters``: candidate groups per capability from a blocked similarity graph, split by
  the hard constraints (tier, region, scope, user rules), each split a recorded blocker;
- ``targets``: the target of each cluster with its score and reasons, the savings model,
  migration waves and the TIME disposition of every system.

Everything is sorted and seeded, so the same graph and settings give the same result;
ids (``dup-product-<product>``, ``clu-<capability>-<tier>[-<label>...]``) depend on what
the groups are, not on the order rows came in, so an audit can diff two runs.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import date

import networkx as nx
import numpy as np
import pandas as pd

from estate.arrays import object_array, sorted_unique
from estate.analyse.clusters import (BlockInputs, Candidate, ConstraintValues,
                                     apply_constraints, block_inputs, group_rows,
                                     out_of_scope, unit_groups, zone_of)
from estate.analyse.duplicates import (Coded, find_duplicates, first_known,
                                       implementation_keys)
from estate.analyse.frame import (edge_ends, map_unique, slug, sorted_from_codes,
                                  systems_frame)
from estate.analyse.model import (Analysis, ClusterMember, ColumnRows, ConsolidationCluster,
                                  DuplicateGroup, ItemTable, StandardsFlag, SystemDisposition,
                                  SystemRef, TableItems, table_ranges)
from estate.analyse.targets import (integration_row_counts, retiring_mask, savings,
                                    score_members, standards_columns, target_reasons, waves)
from estate.memory import gc_paused
from estate.parallel import Background, Jobs, workers
from estate.schema import CLASSIFICATION_TIER
from estate.settings import Settings
from estate.standards import Standards, load_standards

__all__ = ["analyse", "Analysis", "ClusterMember", "ConsolidationCluster", "DuplicateGroup",
           "StandardsFlag", "SystemDisposition", "SystemRef", "TableItems", "ColumnRows"]


def analyse(graph: nx.DiGraph, settings: Settings, *, as_of: date | None = None,
            standards: Standards | None = None,
            systems: pd.DataFrame | None = None) -> Analysis:
    """Duplicates, consolidation clusters, standards flags and dispositions of an estate.

    ``as_of`` (else ``settings.as_of``, else today) is the date waves start from; the
    standards come from ``settings.standards`` unless given. ``systems``, the normalised
    table the graph was built from, is read for the system attributes when given (faster
    than the node dicts); the graph still decides which systems and integrations count.
    """
    with gc_paused():  # millions of new rows and dicts, no cycles to collect
        return _analyse(graph, settings, as_of or settings.as_of or date.today(),
                        standards, systems)


def _analyse(graph: nx.DiGraph, settings: Settings, as_of: date, standards: Standards | None,
             systems: pd.DataFrame | None) -> Analysis:
    findings = []
    if standards is None:
        standards, findings = load_standards(settings.standards)
    tier = CLASSIFICATION_TIER.get(str(settings.assume_classification).upper(), "OFFICIAL")
    known: dict = {}  # the codes of text columns factorised while reading them
    systems = systems_frame(graph, tier, systems,
                            columns=[*_READ_COLUMNS, *(r.field for r in settings.rules)],
                            codes=known)
    result = Analysis(findings=findings, as_of=as_of.isoformat())
    if systems.empty:
        return result
    edges, *ends = edge_ends(graph, systems)
    coded = Coded(systems, known)  # each column factorised once, for every step below
    del known  # Coded lets go of each column's codes once it has sorted them
    impl = implementation_keys(systems, coded)
    for col, values in standards_columns(systems, standards, coded).items():
        systems[col] = values.to_numpy()  # same index: no join (a copy of every column)
    systems["impl"] = impl
    product_key, product_code, distinct = _product_keys(systems, coded)
    systems["product_key"] = product_key
    coded.know("product_key", product_code, distinct)
    systems["integrations"] = integration_row_counts(*ends, len(systems))
    systems["retiring"] = retiring_mask(systems, settings, coded.map)
    systems["eligible"] = ~systems["retiring"] & (systems["ring"] != "retire")
    systems["out_of_scope"] = out_of_scope(systems, settings.constraints, coded.map)

    def duplicates(frame: pd.DataFrame = systems) -> None:  # while a child groups blocks
        result.duplicates = find_duplicates(frame, impl, coded)

    parts = _candidate_parts(systems, edges, ends, settings, result.blocked_pairs,
                             meanwhile=duplicates, coded=coded)
    result.clusters, members = _build_clusters(parts, systems, (edges, *ends), settings,
                                               as_of, result.blocked_pairs,
                                               (product_code, coded("impl")[0]))
    result.blocked_pairs.sort(key=lambda b: b["id"])
    # the text columns of systems_frame hold None for missing already (no with_none)
    systems = systems[[c for c in _LATE_COLUMNS if c in systems]]
    result.standards_flags = _standards_flags(systems)
    result.dispositions = _dispositions(systems, *members, ranks=(
        coded("department"), coded("system_id")))
    return result


def _product_keys(systems: pd.DataFrame, coded: Coded
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each system's ``product_key`` (its product, else ``sys:`` and its key), an
    integer code of it (equal keys, equal codes) and the key of each code, from the
    product codes: only the keys of the systems with no product are prefixed and
    hashed."""
    pid, pids = coded("product_id")
    keys = systems["system_key"].to_numpy(object)
    bespoke = np.flatnonzero(pid < 0)
    product_key = systems["product_id"].to_numpy(object).copy()
    product_key[bespoke] = "sys:" + keys[bespoke]
    if any(str(p).startswith("sys:") for p in pids.tolist()):  # might equal a key made here
        code, distinct = pd.factorize(product_key)
        return product_key, code.astype(np.int64), np.asarray(distinct, dtype=object)
    code = pid.copy()
    own, own_keys = pd.factorize(keys[bespoke])
    code[bespoke] = len(pids) + own
    return product_key, code, np.concatenate(
        [pids, "sys:" + np.asarray(own_keys, dtype=object)]).astype(object)


_READ_COLUMNS = ("system_key", "department", "system_id", "name", "vendor", "instance",
                 "hosting", "region", "users", "annual_cost", "contract_end", "lifecycle",
                 "data_domains", "product_id", "product_name", "vendor_name", "capability_id",
                 "capability_name", "tier", "tier_assumed")
"""The columns of the systems the analysis reads (with the fields the user's rules
name): the others are not read into its table."""


_LATE_COLUMNS = ("department", "system_id", "capability_id", "capability_name", "product_id",
                 "product_name", "lifecycle", "ring", "adopted", "has_standard",
                 "out_of_scope", "retiring", "strategic")
"""What the standards flags and dispositions read: only these are copied with None for
missing, not the whole table."""


_BLOCK_COLUMNS = ("system_key", "department", "name", "product_id", "product_key",
                  "vendor_key", "data_domains", "capability_id", "capability_name",
                  "out_of_scope")
"""What the candidate groups read of the systems with a capability (only these are
copied when the rows are picked)."""


def _candidate_parts(systems: pd.DataFrame, edges: pd.DataFrame, ends: list[np.ndarray],
                     settings: Settings, blocked: list[dict],
                     meanwhile: Callable[[], None], coded: Coded) -> list[Candidate]:
    """The constraint-split candidate groups of every capability. ``meanwhile`` is other
    work of the caller, done while a forked child (with two cores) groups the largest
    capability blocks (see :class:`_BlockGroups`); ``coded``, the column codes of
    ``systems``."""
    parts: list[Candidate] = []
    has_cap = systems["capability_id"].notna().to_numpy(bool)
    with_cap = systems.loc[has_cap, list(_BLOCK_COLUMNS)]
    scoped = with_cap["out_of_scope"].to_numpy(bool)  # numpy masks: no index lookups
    inside = with_cap[~scoped]
    cap_of = inside["capability_id"]
    at = np.flatnonzero(has_cap & ~systems["out_of_scope"].to_numpy(bool))

    def block_codes(column: str) -> tuple[np.ndarray, np.ndarray]:
        codes, values = coded(column)
        if column == "product_key":  # the block's units: only the values it has
            return sorted_from_codes(codes[at], values)
        return codes[at], values
    cap_all, caps = coded("capability_id")
    codes = np.where(systems["out_of_scope"].to_numpy(bool), -1, cap_all)
    cap_code = [np.where(e >= 0, codes[np.maximum(e, 0)], -1) if len(codes) else
                np.full(len(e), -1) for e in ends]
    inner = (cap_code[0] >= 0) & (cap_code[0] == cap_code[1])
    same = edges[inner].assign(cap=np.asarray(caps, dtype=object)[cap_code[0][inner]])
    inputs = block_inputs(inside, cap_of, same, settings.similarity,
                          block_codes, at=at)
    # per capability (in id order) from the codes: its systems, those in scope, its name
    counts = np.bincount(cap_all[has_cap], minlength=len(caps))
    present = np.flatnonzero(counts)
    sizes = list(zip(caps[present].tolist(), counts[present].tolist()))
    inside_sizes = dict(zip(caps.tolist(), np.bincount(codes[codes >= 0],
                                                       minlength=len(caps)).tolist()))
    todo = [c for c, _ in sizes if inside_sizes[c] >= 2]
    groups = _BlockGroups([inputs[c] for c in todo], settings)
    try:
        meanwhile()
        names = dict(zip(caps.tolist(), first_known(
            cap_all[has_cap], len(caps), with_cap["capability_name"].to_numpy(object))))
        outside = with_cap[scoped]
        outside_keys = {c: sorted(k) for c, k in outside.groupby("capability_id")[
            "system_key"].agg(list).items()}
        needed = ["system_key", "tier", "region", *(r.field for r in settings.rules)]
        narrow = systems[list(dict.fromkeys(c for c in needed if c in systems))]
        if "zone" not in narrow:  # once for the estate, not once per candidate group
            narrow = narrow.assign(zone=zone_of(systems["region"], settings.constraints,
                                                lambda fn: coded.map("region", fn)))
        values = ConstraintValues(narrow)
        grouped = dict(zip(todo, groups.result()))
    except BaseException:
        groups.abandon()
        raise
    # systems are sorted by key: a group's ascending rows are its keys in order, read
    # in one pass for every candidate
    found = {c: [(rows, anchor) for rows, anchor in group_rows(inputs[c], grouped[c])
                 if len(rows) >= 2] for c in todo}
    flat = [rows for c in todo for rows, _ in found[c]]
    all_keys = (systems["system_key"].to_numpy(object)[np.concatenate(flat)].tolist()
                if flat else [])
    start = 0
    for cap_id, total in sizes:
        name = names.get(cap_id)
        cap_name = str(cap_id) if name is None or pd.isna(name) else str(name)
        note = []
        keys = outside_keys.get(cap_id, [])
        if keys and total > 1:
            shown = ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10
                                            else "")
            reason = (f"{len(keys)} system(s) of {cap_name} are marked out of scope and "
                      f"left out of its clusters: {shown}")
            blocked.append({"id": f"blk-scope-{slug(cap_id)}", "constraint": "scope",
                            "capability": cap_name, "capability_id": cap_id, "tier": None,
                            "reason": reason,
                            "groups": [{"label": "out of scope", "members": keys}]})
            note = [f"scope: {reason}"]
        if inside_sizes[cap_id] < 2:
            continue
        for rows, anchor in found[cap_id]:
            keys, start = all_keys[start:start + len(rows)], start + len(rows)
            candidate = Candidate(cap_id, cap_name, keys, labels=[anchor] if anchor else [],
                                  blockers=list(note))
            parts.extend(apply_constraints(candidate, values, settings, blocked, rows))
    return parts


class _BlockGroups:
    """:func:`unit_groups` of every block, started at once.

    With two cores a forked child works out blocks from the largest down while this
    process does its own work and then takes blocks from the smallest up, until the two
    meet: each block is a ticket (a byte) in a pipe both read, so whichever side is free
    takes the next one and both finish together whatever the blocks cost. The child sends
    back its groups (lists of integers). :meth:`result` gives them all in block order,
    the same either way.
    """

    def __init__(self, blocks: list[BlockInputs], settings: Settings):
        self.blocks, self.settings = blocks, settings
        weight = [len(b.units) + len(b.names) for b in blocks]
        self.order = sorted(range(len(blocks)), key=lambda i: (-weight[i], i))
        self.later: Background | None = None
        self.jobs: Jobs[list[int]] | None = None
        if len(blocks) < 2 or workers() < 2:
            return
        # one job a run of blocks, few enough to fit a pipe's buffer before the fork
        per = -(-len(blocks) // _TICKETS)
        self.jobs = Jobs([self.order[k:k + per] for k in range(0, len(blocks), per)])
        self.later = Background(self._child)

    def _run(self, at: list[int]) -> dict[int, list[list[int]]]:
        return {i: unit_groups(self.blocks[i], self.settings) for i in at}

    def _child(self) -> dict[int, list[list[int]]]:
        found: dict[int, list[list[int]]] = {}
        for at in self.jobs.taking():  # the largest blocks first
            found.update(self._run(at))
        return found

    def result(self) -> list[list[list[int]]]:
        try:
            if self.jobs is None:
                found = self._run(self.order)
            else:
                found = {}
                for at in self.jobs.taking(last=True):  # the smallest blocks first
                    found.update(self._run(at))
        except BaseException:
            self.abandon()
            raise
        if self.later is not None:
            found.update(self.later.result())
            self.later = None
        self._close()
        return [found[i] for i in range(len(self.blocks))]

    def abandon(self) -> None:
        """Wait for the child (its result unused) when this process's work failed."""
        if self.later is not None:
            with suppress(BaseException):
                self.later.result()
            self.later = None
        self._close()

    def _close(self) -> None:
        if self.jobs is not None:
            self.jobs.close()


_TICKETS = 4096
"""At most this many jobs (tickets in a pipe, see :class:`estate.parallel.Jobs`)."""


def _cluster_ids(parts: list[Candidate]) -> list[str]:
    base = [f"clu-{slug(p.capability_id)}-{slug(p.tier)}" + "".join(f"-{x}" for x in p.labels)
            for p in parts]
    ids = list(base)
    by_base: dict[str, list[int]] = {}
    for i, b in enumerate(base):
        by_base.setdefault(b, []).append(i)
    for b, idx in by_base.items():
        for n, i in enumerate(sorted(idx, key=lambda i: parts[i].keys[0]), start=1):
            ids[i] = b if n == 1 else f"{b}-{n}"
    return ids


CLUSTER_COLUMNS = [
    "system_key", "department", "system_id", "name", "product_id", "product_name",
    "users", "annual_cost", "contract_end", "lifecycle", "region", "tier", "integrations",
    "retiring", "eligible", "tier_assumed",
]
"""What the steps over every member read (see :func:`_build_clusters`)."""

_HEAD_COLUMNS = ["product_key", "impl", "hosting", "strategic", "has_standard", "ring",
                 "adopted"]
"""What only each cluster's target and runner-up are read for (their reasons): taken
for those rows alone, not for every member."""


_SCORE_COLUMNS = ["system_key", "product_id", "product_key", "users", "annual_cost",
                  "contract_end", "hosting", "lifecycle", "strategic", "integrations",
                  "has_standard", "ring"]
"""What :func:`score_members` reads of each member."""


def _build_clusters(parts, systems, edges, settings, as_of, blocked, codes=None
                    ) -> tuple[list[ConsolidationCluster], tuple]:
    """Turn constraint-split candidate parts into scored clusters (sorted by id).

    The members of every cluster are scored, ordered and described in whole columns, kept
    as one table (each cluster's ``members`` a range of it); only each cluster's target and
    runner-up become row dicts (for their reasons). Also returns that table, the
    systems-table row and the cluster id of each of its rows (see :func:`_members`).
    ``codes``: integer codes of the systems' ``product_key`` and ``impl`` (else hashed
    here).
    """
    none = ([], (None, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)))
    sized = [p for p in parts if len(p.keys) >= settings.min_cluster_size]
    if not sized:
        return none
    sizes = [len(p.keys) for p in sized]
    # systems are indexed by their unique key: the constraints looked every member's row
    # up already (else one lookup gives them)
    if systems.index.is_unique and all(p.rows is not None for p in sized):
        at = np.concatenate([p.rows for p in sized])
    else:
        at = systems.index.get_indexer([k for p in sized for k in p.keys])
    if codes is None:
        codes = tuple(pd.factorize(systems[c].to_numpy(object))[0].astype(np.int64)
                      for c in ("product_key", "impl"))
    product_code, impl_code = codes
    # distinct (product, implementation) pairs and eligible members per part, on codes
    row_part = np.repeat(np.arange(len(sized)), sizes)
    pair = pd.factorize(product_code[at] * (int(impl_code.max(initial=0)) + 2)
                        + impl_code[at] + 1)[0].astype(np.int64)
    width = int(pair.max(initial=0)) + 1
    implementations = np.bincount(sorted_unique(row_part * width + pair) // width,
                                  minlength=len(sized)).tolist()
    any_target = (np.bincount(row_part, weights=systems["eligible"].to_numpy(bool)[at],
                              minlength=len(sized)) > 0).tolist()
    keep, kept = [], np.zeros(len(sized), dtype=bool)
    for i, part in enumerate(sized):
        if implementations[i] < 2:
            continue
        if not any_target[i]:
            blocked.append({
                "id": f"blk-lifecycle-{slug(part.capability_id)}-{slug(part.tier)}-"
                      f"{slug(part.keys[0])}",
                "constraint": "lifecycle", "capability": part.capability,
                "capability_id": part.capability_id, "tier": part.tier,
                "reason": (f"no system of this {part.capability} group can be the target:"
                           f" every one is retiring or on a product the standard retires "
                           f"({', '.join(part.keys)})"),
                "groups": [{"label": "no target", "members": list(part.keys)}]})
            continue
        keep.append(part)
        kept[i] = True
    if not keep:
        return none
    ids = _cluster_ids(keep)
    rows = at[np.repeat(kept, sizes)]
    number = np.repeat(np.arange(len(keep)), [len(p.keys) for p in keep])
    # scored from the columns the score reads (each row on its own and within its
    # cluster, so in any row order); the members' table is then read once, in order
    scores = score_members(systems[_SCORE_COLUMNS].iloc[rows].reset_index(drop=True),
                           settings, as_of, groups=number, products=product_code[rows])
    users_rank = np.nan_to_num(systems["users"].to_numpy(float)[rows], nan=-1.0)
    # clusters in id order; in each, eligible first, then by score, users, key
    id_rank = np.argsort(np.argsort(np.array(ids, dtype=object), kind="stable"))
    order = np.lexsort((rows, -users_rank, -scores["score"].to_numpy(float),
                        ~systems["eligible"].to_numpy(bool)[rows], id_rank[number]))
    # None for missing text, as systems_frame reads it
    m = systems[CLUSTER_COLUMNS].iloc[rows[order]]
    m["cluster"] = np.array(ids, dtype=object)[number[order]]
    for col in ["score", "cpu", *(c for c in scores if c.startswith("points_")),
                "same_product"]:
        m[col] = scores[col].to_numpy()[order]
    m["users_rank"] = users_rank[order]
    m["key_rank"] = rows[order]  # systems are sorted by key
    number = id_rank[number][order]  # now 0, 0, ..., 1, ... (clusters in id order)
    first = np.r_[True, number[1:] != number[:-1]]
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(m))
    repoint = _repoint(edges, m, first, len(systems))
    _add_waves(m, ~first, number, as_of, settings.wave_months)
    stats = _cluster_stats(m, starts, ends)
    m["contract_iso"] = _iso_dates(m["contract_end"])
    m["earliest_iso"] = _iso_dates(m["earliest"])
    eligible = m["eligible"].to_numpy(bool)
    runner_at = starts + 1
    has_runner = (runner_at < ends) & eligible[np.minimum(runner_at, len(m) - 1)]
    head_at = np.concatenate([starts, runner_at[has_runner]])
    head = m.iloc[head_at]
    extra = systems[_HEAD_COLUMNS].iloc[m["key_rank"].to_numpy()[head_at]]
    heads = _records(pd.concat([head, extra.set_axis(head.index)], axis=1))
    targets = heads[:len(starts)]
    runners = iter(heads[len(starts):])
    cids = [t["cluster"] for t in targets]
    onto = [f"{t['system_key']} ({t['product_name'] or t['name']})" for t in targets]
    table, table_rows, of = _members(m, first, onto, cids, starts, ends, settings,
                                     as_of)
    members = table_ranges(table, starts.tolist(), ends.tolist())
    costs = _migrating(m, starts, ends)
    part_of = dict(zip(ids, keep))
    blockers = _member_blockers(m, eligible, targets, [part_of[c].capability for c in cids],
                                starts, ends)
    out = []
    for i, target in enumerate(targets):
        cid = cids[i]
        runner = next(runners) if has_runner[i] else None
        out.append(_cluster(part_of[cid], cid, target, runner, members[i], costs[i],
                            blockers[i], stats[i], repoint.get(cid, []), settings))
    return out, (table, table_rows, of)


def _add_waves(m: pd.DataFrame, moving: np.ndarray, number: np.ndarray, as_of: date,
               wave_months: int) -> None:
    """``earliest``, ``wave`` and ``order`` (see :func:`waves`) of the migrating members
    of ``m`` (sorted by cluster, ``number`` each row's cluster); missing for targets."""
    at = np.flatnonzero(moving)
    found = waves(pd.DataFrame({"contract_end": m["contract_end"].iloc[at].to_numpy(),
                                "key_rank": m["key_rank"].to_numpy()[at]}),
                  as_of, wave_months, by="key_rank", groups=number[at])
    earliest = np.full(len(m), np.datetime64("NaT"), dtype=m["contract_end"].dtype)
    earliest[at] = found["earliest"].to_numpy()
    m["earliest"] = earliest
    for col in ("wave", "order"):
        values = np.full(len(m), np.nan)
        values[at] = found[col].to_numpy(float)
        m[col] = values


def _cluster_stats(m: pd.DataFrame, starts: np.ndarray, ends: np.ndarray) -> list[dict]:
    """Per cluster (rows ``starts[i]:ends[i]`` of ``m``): the most users, the lowest cost
    per user, the latest contract end, the most integrations, the size and the last
    wave; missing values skipped (NaN/NaT when a cluster has none)."""
    if not len(starts):
        return []
    contract = m["contract_end"]
    latest = np.maximum.reduceat(contract.to_numpy().view(np.int64), starts)  # NaT lowest
    columns = {
        "users_max": np.fmax.reduceat(m["users"].to_numpy(float), starts).tolist(),
        "cpu_min": np.fmin.reduceat(m["cpu"].to_numpy(float), starts).tolist(),
        "contract_max": pd.Series(latest.view(contract.dtype)).tolist(),
        "integrations_max": np.maximum.reduceat(m["integrations"].to_numpy(), starts).tolist(),
        "size": (ends - starts).tolist(),
        "waves": np.fmax.reduceat(m["wave"].to_numpy(float), starts).tolist(),
    }
    return [dict(zip(columns, row)) for row in zip(*columns.values())]


def _repoint(edges: tuple, m: pd.DataFrame, first: np.ndarray,
             rows: int) -> dict[str, list[tuple[str, str]]]:
    """Integrations of migrating systems whose other end is outside their cluster.

    ``edges`` is the edge table and each edge's source and target row of the systems
    table (see :func:`edge_ends`); ``m`` the members sorted by cluster, ``first`` marking
    each cluster's first row, ``rows`` the length of the systems table."""
    table, sources, targets = edges
    if table.empty:
        return {}
    at = m["key_rank"].to_numpy()
    number = np.cumsum(first) - 1
    cluster_of = np.full(rows + 1, -1, dtype=np.int64)  # the last slot: outside the table
    cluster_of[at] = number
    moving = np.zeros(rows + 1, dtype=bool)
    moving[at[~first]] = True  # every member but its cluster's target
    found = []
    for end, other in ((sources, targets), (targets, sources)):
        end, other = np.where(end >= 0, end, rows), np.where(other >= 0, other, rows)
        mine = cluster_of[end]
        hit = moving[end] & (mine != cluster_of[other])
        found.append(mine[hit] * len(table) + np.flatnonzero(hit))
    # cluster order (ids sorted), then edge order; no repeats: an edge found from both
    # ends is found under two different clusters
    code = np.sort(np.concatenate(found))
    if not len(code):
        return {}
    cluster, edge = code // len(table), code % len(table)
    links = list(zip(table["source"].to_numpy(object)[edge].tolist(),
                     table["target"].to_numpy(object)[edge].tolist()))
    ids = m["cluster"].to_numpy(object)[first]
    bounds = np.flatnonzero(np.r_[True, cluster[1:] != cluster[:-1]])
    return {ids[cluster[a]]: links[a:b]
            for a, b in zip(bounds.tolist(), np.append(bounds[1:], len(code)).tolist())}


def _opt(value):
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _iso_dates(values: pd.Series) -> pd.Series:
    """ISO dates as text, None where unknown: one text object per distinct date, shared
    by its rows."""
    codes, texts = _date_codes(values)
    return pd.Series(texts[codes], index=values.index, dtype=object)


def _date_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A code per row (-1: unknown) and the ISO text of each code (the last one None)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    texts = object_array(pd.DatetimeIndex(distinct).strftime("%Y-%m-%d").tolist() + [None])
    return codes, texts


def _records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")`` from whole columns (Python values, Timestamps)."""
    columns = list(frame.columns)
    values = [frame[c].tolist() for c in columns]
    return [dict(zip(columns, row)) for row in zip(*values)]


def _int_objects(values: np.ndarray) -> np.ndarray:
    """Whole numbers as Python ints, None where NaN (see :func:`_number_objects`)."""
    return _number_objects(values, whole=True)


def _number_objects(values: np.ndarray, whole: bool = False,
                    known: np.ndarray | None = None) -> np.ndarray:
    """Numbers as Python ints (``whole``) or floats, None where not ``known`` (default:
    where NaN): one object per distinct value, shared by its rows, so a report that
    factorises the column by object finds few objects (and a million rows are not a
    million number objects)."""
    values = np.asarray(values, dtype=np.float64)
    known = ~np.isnan(values) if known is None else np.asarray(known, dtype=bool)
    out = np.full(len(values), None, dtype=object)
    inverse, bits = pd.factorize(values[known].view(np.int64))  # by bits: -0.0 too
    distinct = bits.view(np.float64)
    out[known] = (distinct.astype(np.int64) if whole else distinct).astype(object)[inverse]
    return out


def _per_combination(at: np.ndarray, keys: list[np.ndarray], make) -> np.ndarray:
    """``make(i)`` for rows ``at``, called for one row ``i`` of each distinct combination
    of the integer ``keys`` (arrays over all rows) and shared by the rows that have it:
    the text depends on those keys only, and each text is one object, not one a row."""
    combo = np.zeros(len(at), dtype=np.int64)
    for key in keys:
        key = np.asarray(key)[at].astype(np.int64)
        combo = pd.factorize(combo * (int(key.max(initial=0)) + 2) + (key + 1))[0]
        combo = combo.astype(np.int64)  # renumbered each step: no overflow
    count = int(combo.max(initial=-1)) + 1
    first = np.empty(count, dtype=np.int64)
    first[combo[::-1]] = at[::-1]  # the first row of each combination
    return object_array([make(i) for i in first.tolist()])[combo]


def _members(m: pd.DataFrame, is_target: np.ndarray, onto: list[str], cids: list[str],
             starts: np.ndarray, ends: np.ndarray, settings: Settings,
             as_of: date) -> tuple[ItemTable, np.ndarray, np.ndarray]:
    """Every cluster's members as one :class:`ClusterMember` table (clusters in ``cids``
    order, each target first, then by migration order), and the row of each member in the
    systems table. The wording of every disposition and wave is one pass per column.
    Each of ``m``'s columns is read in table order first (one take), so every column of
    the table is built in place."""
    order_f = np.where(is_target, np.nan, m["order"].to_numpy(float))
    number = np.repeat(np.arange(len(cids)), ends - starts)
    sort = np.lexsort((np.nan_to_num(order_f, nan=0.0), ~is_target, number))
    order_f, number, is_target = order_f[sort], number[sort], is_target[sort]

    def objects(column) -> np.ndarray:
        return object_array(column)[sort]

    def floats(name: str) -> np.ndarray:
        return m[name].to_numpy(float)[sort]

    migrate = ~is_target
    cluster = np.asarray(cids, dtype=object)[number]
    onto_of = object_array(onto)[number]
    wave_f = np.where(is_target, np.nan, floats("wave"))
    wave, order = _int_objects(wave_f), _int_objects(order_f)
    earliest = objects(m["earliest_iso"])
    earliest[is_target] = None
    users_f = floats("users")
    retiring = m["retiring"].to_numpy(bool)[sort]
    gone = migrate & retiring
    unused = migrate & ~retiring & (users_f == 0)
    moved = migrate & ~retiring & ~(users_f == 0)
    # every text below is one object per distinct text, shared by its rows (see
    # _per_combination): fewer objects, and the reports factorise them by object
    kinds = object_array(["Invest", "Eliminate", "Migrate"])[
        np.select([is_target, gone | unused], [0, 1], 2)]
    whys = np.empty(len(m), dtype=object)
    whys[is_target] = ("target of " + cluster[is_target]
                       + ": the systems of the cluster move onto it")
    lifecycle_code, lifecycles = pd.factorize(m["lifecycle"].to_numpy(object),
                                              use_na_sentinel=True)
    lifecycle_code = lifecycle_code[sort]
    lifecycle = [repr(value) for value in lifecycles] + [repr(None)]  # code -1: the last
    onto_list = onto_of.tolist()
    whys[gone] = _per_combination(np.flatnonzero(gone), [number, lifecycle_code], lambda i: (
        f"already {lifecycle[lifecycle_code[i]]}: switch it off; any remaining users go to "
        f"{onto_list[i]}"))
    whys[unused] = _per_combination(np.flatnonzero(unused), [number], lambda i: (
        f"no users: switch it off rather than migrate it to {onto_list[i]}"))
    said = ~np.isnan(wave_f) & (wave_f != 0)
    wave_key = np.nan_to_num(wave_f, nan=-1.0).astype(np.int64)
    whys[moved] = _per_combination(np.flatnonzero(moved), [number, wave_key], lambda i: (
        f"move its users and data to {onto_list[i]} in wave {wave[i]}, then switch it off"
        if said[i] else f"move its users and data to {onto_list[i]}, then switch it off"))
    contract_code, contract_texts = _date_codes(m["contract_end"])
    contract_code = contract_code[sort]
    contract = contract_texts[contract_code]
    earliest_code = _date_codes(m["earliest"])[0][sort]
    wave_reasons = np.empty(len(m), dtype=object)
    wave_reasons[is_target] = "target: nothing to migrate"
    unknown = migrate & np.equal(earliest, None)
    wave_reasons[unknown] = "contract end unknown, so no earliest date or wave can be set"
    dated = migrate & ~unknown
    start, months = as_of.isoformat(), settings.wave_months
    wave_reasons[dated] = _per_combination(
        np.flatnonzero(dated), [earliest_code, contract_code, wave_key], lambda i: (
            f"earliest {earliest[i]}: the later of its contract end {contract[i]} and "
            f"{start}; wave {wave[i]} of {months} months each"))
    cost_objects = _number_objects(floats("annual_cost"))
    eligible = m["eligible"].to_numpy(bool)[sort]
    score = _number_objects(floats("score"), known=eligible)
    product = m["product_name"].where(m["product_name"].notna(), m["product_id"])
    columns = {
        "department": objects(m["department"]), "system_id": objects(m["system_id"]),
        "name": objects(m["name"]), "product": objects(product),
        "role": object_array(["migrate", "target"])[is_target.astype(np.intp)],
        "disposition": kinds,
        "users": _int_objects(users_f), "annual_cost": cost_objects, "contract_end": contract,
        "wave": wave, "earliest_date": earliest, "product_id": objects(m["product_id"]),
        "score": score, "order": order, "wave_reason": wave_reasons,
        "disposition_reason": whys, "tier": objects(m["tier"]),
        "region": objects(m["region"]),
    }
    table = ItemTable.from_columns(ClusterMember, columns)
    return table, m["key_rank"].to_numpy()[sort], cluster


def _migrating(m: pd.DataFrame, starts: np.ndarray,
               ends: np.ndarray) -> list[tuple[list, np.ndarray, np.ndarray]]:
    """Per cluster, what the savings model reads of the migrating members: their keys,
    annual costs and users (float arrays: views, see :func:`savings`)."""
    keys = m["system_key"].tolist()
    costs = m["annual_cost"].to_numpy(float)
    users = m["users"].to_numpy(float)
    return [(keys[a + 1:b], costs[a + 1:b], users[a + 1:b])
            for a, b in zip(starts.tolist(), ends.tolist())]


def _member_blockers(m: pd.DataFrame, eligible: np.ndarray, targets: list[dict],
                     capabilities: list[str], starts: np.ndarray,
                     ends: np.ndarray) -> list[tuple[list[str], list[str]]]:
    """Per cluster: why each member that cannot be the target cannot, and which tiers
    were assumed (in the members' score order)."""
    found: list[list[str]] = [[] for _ in capabilities]
    number = np.repeat(np.arange(len(capabilities)), ends - starts)
    barred = np.flatnonzero(~eligible)
    if len(barred):
        rows = m.iloc[barred]
        for i, key, retiring, lc, pname, pid, score in zip(
                number[barred].tolist(), rows["system_key"].tolist(), rows["retiring"].tolist(),
                rows["lifecycle"].tolist(), rows["product_name"].tolist(),
                rows["product_id"].tolist(), rows["score"].tolist()):
            why = (f"lifecycle: {key} is {lc!r}" if retiring
                   else f"standards: {key} runs {pname or pid}"
                        f", which the {capabilities[i]} standard retires")
            bites = score > targets[i]["score"]
            found[i].append(why + ", so it cannot be the target"
                            + (" (it would otherwise have scored highest)" if bites else ""))
    assumed = m["tier_assumed"].to_numpy(bool)
    keys: list[list[str]] = [[] for _ in capabilities]
    at = np.flatnonzero(assumed)
    for i, key in zip(number[at].tolist(), m["system_key"].iloc[at].tolist()):
        keys[i].append(key)
    return list(zip(found, keys))


def _cluster(part: Candidate, cid: str, target: dict, runner: dict | None,
             members: TableItems, migrating: tuple[list, list, list], barred: tuple,
             stats: dict, repoint: list, settings: Settings) -> ConsolidationCluster:
    reasons = target_reasons(target, stats, part.capability)
    reasons.append(f"score {target['score']:.2f}" + (
        f"; runner-up {runner['system_key']} scored {runner['score']:.2f}"
        if runner is not None else "; no other system could be the target"))
    money = savings(target, migrating, len(repoint), settings)
    why_not, assumed = barred
    blockers = list(part.blockers) + why_not
    if assumed:
        blockers.append(
            f"classification: {len(assumed)} system(s) give no classification and are taken "
            f"as {part.tier} ({', '.join(assumed[:5])}{' ...' if len(assumed) > 5 else ''});"
            " confirm their tier before merging")
    waves_max = stats["waves"]
    return ConsolidationCluster(
        id=cid, capability=part.capability, tier=str(part.tier), members=members,
        target=SystemRef(target["department"], target["system_id"]),
        target_reasons=reasons,
        runner_up=SystemRef(runner["department"], runner["system_id"])
        if runner is not None else None,
        annual_saving=money["annual_saving"], saving_inputs=money["inputs"],
        saving_explanation=money["explanation"], one_off_cost=money["one_off_cost"],
        payback_years=money["payback_years"], integrations_to_repoint=repoint,
        blockers=blockers, waves=0 if pd.isna(waves_max) else int(waves_max),
        capability_id=part.capability_id,
        runner_up_reasons=(target_reasons(runner, stats, part.capability)
                           + [f"score {runner['score']:.2f}"]) if runner is not None else [],
        labels=list(part.labels))


def _standards_flags(systems: pd.DataFrame) -> list[StandardsFlag]:
    hit = systems[systems["ring"].isin(["hold", "retire"])
                  | (systems["has_standard"] & systems["ring"].isna())]
    flags = []
    for r in hit.to_dict("records"):
        cap = _opt(r["capability_name"]) or _opt(r["capability_id"])
        product = _opt(r["product_name"]) or _opt(r["product_id"])
        adopted = f"; the standard adopts {r['adopted']}" if _opt(r["adopted"]) else ""
        if r["ring"] in ("hold", "retire"):
            reason = (f"{product} is in the {r['ring']} ring of the {cap} standard{adopted}")
        else:
            reason = (f"off-standard: {product or 'a bespoke system'} is not in the "
                      f"{cap} standard{adopted}")
        flags.append(StandardsFlag(r["department"], r["system_id"], cap, product,
                                   _opt(r["ring"]), reason))
    return flags


def _dispositions(systems: pd.DataFrame, members: ItemTable | None, member_rows: np.ndarray,
                  member_clusters: np.ndarray, ranks: tuple) -> TableItems:
    """TIME disposition of every analysed system: from its cluster role, else its state.

    One :class:`SystemDisposition` table sorted by department and system id: the cluster
    members' (from the member table; ``member_rows`` their systems-table rows) and, for
    every system whose department and system id no member has, one from its state;
    ``member_clusters`` is the cluster id of each member row; ``ranks``, the sorted codes
    of the department and system id columns)."""
    department = systems["department"].to_numpy(object)
    system_id = systems["system_id"].to_numpy(object)
    (dept_rank, _), (sid_rank, sids) = ranks
    in_order = dept_rank * (len(sids) + 1) + sid_rank  # sorts as (department, system id)
    pair = pd.factorize(in_order)[0]
    member_rows = np.asarray(member_rows, dtype=np.int64)
    hit = np.zeros(int(pair.max(initial=-1)) + 1, dtype=bool)
    hit[pair[member_rows]] = True
    outside = ~hit[pair]
    rest = systems[outside]
    parts: list[dict] = []
    if members is not None:
        f = members.frame
        parts.append({"department": f["department"].to_numpy(object),
                      "system_id": f["system_id"].to_numpy(object),
                      "disposition": f["disposition"].to_numpy(object),
                      "reason": f["disposition_reason"].to_numpy(object),
                      "cluster": member_clusters})
    if not rest.empty:
        def text(col: str) -> pd.Series:
            return rest[col].astype(object).where(rest[col].notna(), None)

        cap = text("capability_name").fillna("its capability").astype(str)
        adopted = text("adopted")
        adopted = (" (the standard adopts " + adopted.astype(str) + ")").where(
            adopted.notna(), "")
        ring = text("ring")
        held = ring.isin(["hold", "retire"])
        lifecycle = map_unique(rest["lifecycle"], repr).astype(str)
        cases = [rest["out_of_scope"].to_numpy(bool), rest["retiring"].to_numpy(bool),
                 held.to_numpy(bool), (ring == "adopt").to_numpy(bool),
                 rest["strategic"].to_numpy(bool)]
        case = np.select(cases, [0, 1, 2, 3, 4], 5)
        kind = object_array(["Tolerate", "Eliminate", "Migrate", "Invest", "Invest",
                             "Tolerate"])[case]
        fixed = {0: "marked out of scope: left as it is",
                 3: "on the adopted standard and in no consolidation cluster",
                 4: "on a product the catalogue marks strategic, in no cluster",
                 5: "in no consolidation cluster: keep it as it is"}
        texts = [c.tolist() for c in (lifecycle, ring.fillna("").astype(str), cap, adopted)]

        def why_of(i: int) -> str:
            if case[i] == 1:
                return f"already {texts[0][i]} and in no cluster: switch it off"
            if case[i] == 2:
                return (f"its product is in the {texts[1][i]} ring of the {texts[2][i]} "
                        f"standard{texts[3][i]}")
            return fixed[int(case[i])]

        def code(values: pd.Series, used: np.ndarray) -> np.ndarray:
            found = pd.factorize(values.to_numpy(object), use_na_sentinel=True)[0]
            return np.where(used, found, -1)

        # one text object per distinct reason (see _per_combination)
        why = _per_combination(np.arange(len(rest)), [
            case, code(rest["lifecycle"], case == 1), *(code(v, case == 2)
                                                        for v in (ring, cap, adopted))], why_of)
        parts.append({"department": department[outside], "system_id": system_id[outside],
                      "disposition": kind, "reason": why,
                      "cluster": np.full(len(rest), None, dtype=object)})
    rows = np.concatenate([member_rows, np.flatnonzero(outside)])
    order = np.argsort(in_order[rows], kind="stable")
    names = ("department", "system_id", "disposition", "reason", "cluster")
    columns = {n: np.concatenate([p[n] for p in parts])[order] if parts
               else np.empty(0, dtype=object) for n in names}
    return TableItems(ItemTable.from_columns(SystemDisposition, columns))
