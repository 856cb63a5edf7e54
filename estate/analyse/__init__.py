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

from datetime import date

import networkx as nx
import numpy as np
import pandas as pd

from estate.analyse.clusters import (Candidate, apply_constraints, candidate_groups,
                                     out_of_scope, zone_of)
from estate.analyse.duplicates import find_duplicates, implementation_keys
from estate.analyse.frame import (integration_edges, map_unique, slug, systems_frame,
                                  with_none)
from estate.analyse.model import (Analysis, ClusterMember, ConsolidationCluster,
                                  DuplicateGroup, StandardsFlag, SystemDisposition,
                                  SystemRef)
from estate.analyse.targets import (integration_counts, retiring_mask, savings,
                                    score_members, standards_columns, target_reasons, waves)
from estate.schema import CLASSIFICATION_TIER
from estate.settings import Settings
from estate.standards import Standards, load_standards

__all__ = ["analyse", "Analysis", "ClusterMember", "ConsolidationCluster", "DuplicateGroup",
           "StandardsFlag", "SystemDisposition", "SystemRef"]


def analyse(graph: nx.DiGraph, settings: Settings, *, as_of: date | None = None,
            standards: Standards | None = None,
            systems: pd.DataFrame | None = None) -> Analysis:
    """Duplicates, consolidation clusters, standards flags and dispositions of an estate.

    ``as_of`` (else ``settings.as_of``, else today) is the date waves start from; the
    standards come from ``settings.standards`` unless given. ``systems``, the normalised
    table the graph was built from, is read for the system attributes when given (faster
    than the node dicts); the graph still decides which systems and integrations count.
    """
    as_of = as_of or settings.as_of or date.today()
    findings = []
    if standards is None:
        standards, findings = load_standards(settings.standards)
    tier = CLASSIFICATION_TIER.get(str(settings.assume_classification).upper(), "OFFICIAL")
    systems = systems_frame(graph, tier, systems)
    result = Analysis(findings=findings, as_of=as_of.isoformat())
    if systems.empty:
        return result
    edges = integration_edges(graph, systems)
    impl = implementation_keys(systems)
    result.duplicates = find_duplicates(systems, impl)
    systems = systems.join(standards_columns(systems, standards))
    systems["impl"] = impl
    systems["product_key"] = systems["product_id"].fillna("sys:" + systems["system_key"])
    systems["integrations"] = (systems["system_key"].map(integration_counts(edges))
                               .fillna(0).astype(int))
    systems["retiring"] = retiring_mask(systems, settings)
    systems["eligible"] = ~systems["retiring"] & (systems["ring"] != "retire")
    systems["out_of_scope"] = out_of_scope(systems, settings.constraints)
    parts = _candidate_parts(systems, edges, settings, result.blocked_pairs)
    result.clusters = _build_clusters(parts, systems, edges, settings, as_of,
                                      result.blocked_pairs)
    result.blocked_pairs.sort(key=lambda b: b["id"])
    systems = with_none(systems)
    result.standards_flags = _standards_flags(systems)
    result.dispositions = _dispositions(systems, result.clusters)
    return result


def _capability_name(block: pd.DataFrame, cap_id: str) -> str:
    names = block["capability_name"].dropna()
    return str(names.iloc[0]) if not names.empty else str(cap_id)


def _candidate_parts(systems: pd.DataFrame, edges: pd.DataFrame, settings: Settings,
                     blocked: list[dict]) -> list[Candidate]:
    parts: list[Candidate] = []
    needed = ["system_key", "tier", "region", *(r.field for r in settings.rules)]
    narrow = systems[list(dict.fromkeys(c for c in needed if c in systems))]
    if "zone" not in narrow:  # once for the estate, not once per candidate group
        narrow = narrow.assign(zone=zone_of(systems["region"], settings.constraints))
    with_cap = systems[systems["capability_id"].notna()]
    cap_of = with_cap["capability_id"][~with_cap["out_of_scope"]]
    same = edges.assign(cap=edges["source"].map(cap_of))
    same = same[same["cap"].notna() & (same["cap"] == edges["target"].map(cap_of))]
    edges_by_cap = {c: g[["source", "target"]] for c, g in same.groupby("cap", sort=True)}
    no_edges = edges.iloc[:0]
    for cap_id, block in with_cap.groupby("capability_id", sort=True):
        cap_name = _capability_name(block, cap_id)
        outside = block[block["out_of_scope"]]
        inside = block[~block["out_of_scope"]]
        note = []
        if len(outside) and len(block) > 1:
            keys = sorted(outside["system_key"])
            shown = ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10
                                            else "")
            reason = (f"{len(keys)} system(s) of {cap_name} are marked out of scope and "
                      f"left out of its clusters: {shown}")
            blocked.append({"id": f"blk-scope-{slug(cap_id)}", "constraint": "scope",
                            "capability": cap_name, "capability_id": cap_id, "tier": None,
                            "reason": reason,
                            "groups": [{"label": "out of scope", "members": keys}]})
            note = [f"scope: {reason}"]
        if len(inside) < 2:
            continue
        block_edges = edges_by_cap.get(cap_id, no_edges)
        for keys, anchor in candidate_groups(inside, block_edges, settings):
            if len(keys) < 2:
                continue
            candidate = Candidate(cap_id, cap_name, keys, labels=[anchor] if anchor else [],
                                  blockers=list(note))
            parts.extend(apply_constraints(candidate, narrow, settings, blocked))
    return parts


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
    "product_key", "impl", "users", "annual_cost", "contract_end", "hosting", "lifecycle",
    "region", "tier", "strategic", "integrations", "has_standard", "ring", "adopted",
    "retiring", "eligible", "tier_assumed",
]


def _build_clusters(parts, systems, edges, settings, as_of, blocked):
    """Turn constraint-split candidate parts into scored clusters (sorted by id)."""
    narrow = systems[CLUSTER_COLUMNS]
    sized = [p for p in parts if len(p.keys) >= settings.min_cluster_size]
    if not sized:
        return []
    part_no = pd.Series([i for i, p in enumerate(sized) for _ in p.keys],
                        index=[k for p in sized for k in p.keys])
    facts = narrow.loc[part_no.index, ["product_key", "impl", "eligible"]].assign(part=part_no)
    implementations = facts.drop_duplicates(["part", "product_key", "impl"]).groupby(
        "part").size()
    any_target = facts.groupby("part")["eligible"].any()
    keep = []
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
    if not keep:
        return []
    ids = _cluster_ids(keep)
    cluster_of = pd.Series({k: cid for p, cid in zip(keep, ids) for k in p.keys})
    m = with_none(narrow.loc[cluster_of.index].assign(cluster=cluster_of))
    scores = score_members(m, settings, as_of)
    m = m.join(scores[["score", "cpu"] + [c for c in scores if c.startswith("points_")]])
    m["users_rank"] = m["users"].fillna(-1)
    m = m.sort_values(["cluster", "eligible", "score", "users_rank", "system_key"],
                      ascending=[True, False, False, False, True], kind="stable")
    m["role"] = (m.groupby("cluster").cumcount() == 0).map({True: "target", False: "migrate"})
    repoint = _repoint(edges, m)
    m = m.join(waves(m[m["role"] == "migrate"], as_of, settings.wave_months))
    m["same_product"] = m.groupby(["cluster", "product_key"])["system_key"].transform("size")
    stats = m.groupby("cluster").agg(
        users_max=("users", "max"), cpu_min=("cpu", "min"),
        contract_max=("contract_end", "max"), integrations_max=("integrations", "max"),
        size=("system_key", "size")).to_dict("index")
    m["contract_iso"] = _iso_dates(m["contract_end"])
    m["earliest_iso"] = _iso_dates(m["earliest"])
    by_cluster: dict[str, list[dict]] = {}
    for record in _records(m):
        by_cluster.setdefault(record["cluster"], []).append(record)
    part_of = dict(zip(ids, keep))
    return [_cluster(part_of[cid], cid, by_cluster[cid], stats[cid], repoint.get(cid, []),
                     settings, as_of) for cid in sorted(by_cluster)]


def _repoint(edges: pd.DataFrame, m: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """Integrations of migrating systems whose other end is outside their cluster."""
    if edges.empty:
        return {}
    cluster = m["cluster"].to_dict()
    migrating = set(m.index[m["role"] == "migrate"])
    found: dict[str, set] = {}
    for end, other in (("source", "target"), ("target", "source")):
        moving = edges[edges[end].isin(migrating)]
        mine = moving[end].map(cluster)
        theirs = moving[other].map(cluster)
        hit = moving[mine != theirs]
        for cid, s, t in zip(mine[hit.index], hit["source"], hit["target"]):
            found.setdefault(cid, set()).add((s, t))
    return {cid: sorted(pairs) for cid, pairs in found.items()}


def _opt(value):
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _iso_dates(values: pd.Series) -> pd.Series:
    """ISO dates as text, None where unknown (one vectorised pass, not one call per row)."""
    text = values.dt.strftime("%Y-%m-%d")
    return text.astype(object).where(values.notna(), None)


def _records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")`` from whole columns (Python values, Timestamps)."""
    columns = list(frame.columns)
    values = [frame[c].tolist() for c in columns]
    return [dict(zip(columns, row)) for row in zip(*values)]


def _cluster(part: Candidate, cid: str, rows: list[dict], stats: dict, repoint: list,
             settings: Settings, as_of: date) -> ConsolidationCluster:
    target = rows[0]
    eligible = [r for r in rows if r["eligible"]]
    runner = eligible[1] if len(eligible) > 1 else None
    reasons = target_reasons(target, stats, part.capability)
    reasons.append(f"score {target['score']:.2f}" + (
        f"; runner-up {runner['system_key']} scored {runner['score']:.2f}"
        if runner is not None else "; no other system could be the target"))
    migrating = rows[1:]
    money = savings(target, migrating, len(repoint), settings)
    blockers = list(part.blockers)
    for r in rows:
        if r["eligible"]:
            continue
        why = (f"lifecycle: {r['system_key']} is {r['lifecycle']!r}" if r["retiring"]
               else f"standards: {r['system_key']} runs {r['product_name'] or r['product_id']}"
                    f", which the {part.capability} standard retires")
        bites = r["score"] > target["score"]
        blockers.append(why + ", so it cannot be the target"
                        + (" (it would otherwise have scored highest)" if bites else ""))
    assumed = [r["system_key"] for r in rows if r["tier_assumed"]]
    if assumed:
        blockers.append(
            f"classification: {len(assumed)} system(s) give no classification and are taken "
            f"as {part.tier} ({', '.join(assumed[:5])}{' ...' if len(assumed) > 5 else ''});"
            " confirm their tier before merging")
    members = []
    for r in rows:
        is_target = r is target
        wave = None if is_target or pd.isna(r["wave"]) else int(r["wave"])
        earliest = None if is_target else r["earliest_iso"]
        disposition, why = _member_disposition(r, is_target, target, cid, wave)
        if is_target:
            wave_reason = "target: nothing to migrate"
        elif earliest is None:
            wave_reason = "contract end unknown, so no earliest date or wave can be set"
        else:
            wave_reason = (f"earliest {earliest}: the later of its contract end "
                           f"{r['contract_iso']} and {as_of.isoformat()}; "
                           f"wave {wave} of {settings.wave_months} months each")
        members.append(ClusterMember(
            department=r["department"], system_id=r["system_id"], name=r["name"],
            product=r["product_name"] or r["product_id"],
            role="target" if is_target else "migrate", disposition=disposition,
            users=None if pd.isna(r["users"]) else int(r["users"]),
            annual_cost=None if pd.isna(r["annual_cost"]) else float(r["annual_cost"]),
            contract_end=r["contract_iso"], wave=wave, earliest_date=earliest,
            product_id=r["product_id"], score=float(r["score"]) if r["eligible"] else None,
            order=None if is_target else int(r["order"]), wave_reason=wave_reason,
            disposition_reason=why, tier=r["tier"], region=r["region"]))
    members.sort(key=lambda mem: (mem.role != "target", mem.order or 0, mem.key))
    known_waves = [mem.wave for mem in members if mem.wave is not None]
    return ConsolidationCluster(
        id=cid, capability=part.capability, tier=str(part.tier), members=members,
        target=SystemRef(target["department"], target["system_id"]),
        target_reasons=reasons,
        runner_up=SystemRef(runner["department"], runner["system_id"])
        if runner is not None else None,
        annual_saving=money["annual_saving"], saving_inputs=money["inputs"],
        saving_explanation=money["explanation"], one_off_cost=money["one_off_cost"],
        payback_years=money["payback_years"], integrations_to_repoint=repoint,
        blockers=blockers, waves=max(known_waves, default=0), capability_id=part.capability_id,
        runner_up_reasons=(target_reasons(runner, stats, part.capability)
                           + [f"score {runner['score']:.2f}"]) if runner is not None else [],
        labels=list(part.labels))


def _member_disposition(r, is_target, target, cid, wave) -> tuple[str, str]:
    if is_target:
        return "Invest", f"target of {cid}: the systems of the cluster move onto it"
    onto = f"{target['system_key']} ({target['product_name'] or target['name']})"
    if r["retiring"]:
        return "Eliminate", (f"already {r['lifecycle']!r}: switch it off; any remaining "
                             f"users go to {onto}")
    if r["users"] == 0:
        return "Eliminate", f"no users: switch it off rather than migrate it to {onto}"
    when = f" in wave {wave}" if wave else ""
    return "Migrate", f"move its users and data to {onto}{when}, then switch it off"


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


def _dispositions(systems: pd.DataFrame,
                  clusters: list[ConsolidationCluster]) -> list[SystemDisposition]:
    """TIME disposition of every analysed system: from its cluster role, else its state."""
    out = [SystemDisposition(mem.department, mem.system_id, mem.disposition,
                             mem.disposition_reason, c.id)
           for c in clusters for mem in c.members]
    clustered = {(d.department, d.system_id) for d in out}
    rest = systems[[(d, i) not in clustered
                    for d, i in zip(systems["department"], systems["system_id"])]]
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
        kind = np.select(cases, ["Tolerate", "Eliminate", "Migrate", "Invest", "Invest"],
                         "Tolerate")
        why = np.select(cases, [
            "marked out of scope: left as it is",
            ("already " + lifecycle + " and in no cluster: switch it off").to_numpy(object),
            ("its product is in the " + ring.fillna("").astype(str) + " ring of the " + cap
             + " standard" + adopted).to_numpy(object),
            "on the adopted standard and in no consolidation cluster",
            "on a product the catalogue marks strategic, in no cluster"],
            "in no consolidation cluster: keep it as it is")
        out.extend(SystemDisposition(d, i, k, w, None) for d, i, k, w in zip(
            rest["department"], rest["system_id"], kind.tolist(), why.tolist()))
    return sorted(out, key=lambda x: (x.department, x.system_id))
