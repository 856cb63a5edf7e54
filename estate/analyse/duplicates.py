"""Duplicate implementations: one product run many times, many products for one capability.

Two rows are one *implementation* when they belong to the same department and name the
same instance (or neither names one): two lines for one tenant are not sprawl. An
instance that reads like a globally unique name (a domain or URL, e.g.
``dwp.onmicrosoft.com``) is one implementation wherever it appears, so departments that
share a tenant are not counted twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from estate.analyse.frame import slug
from estate.analyse.model import DuplicateGroup, SystemRef


def implementation_keys(systems: pd.DataFrame) -> pd.Series:
    """The implementation each system belongs to (see the module docstring)."""
    instance = systems["instance"].fillna("").str.strip().str.casefold()
    is_global = instance.str.contains(r"[./]", regex=True)
    scoped = "d:" + systems["department"].astype(str).str.casefold() + "|" + instance
    return ("i:" + instance).where(is_global, scoped)


def money(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "unknown"
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.0f}"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _names(values, limit: int = 6) -> str:
    values = list(values)
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _cost_text(total: float | None, known: int, size: int) -> str:
    if not known:
        return "annual cost unknown for every member"
    if known == size:
        return f"{money(total)} a year in all"
    return (f"{money(total)} a year across the {known} of {size} members with a known "
            "cost (the others' cost is missing)")


def _sorted_lists(frame: pd.DataFrame, by: str, col: str, index: pd.Index) -> pd.Series:
    """Per group of ``by``: the sorted distinct known values of ``col`` (one sort in all)."""
    values = (frame[[by, col]].dropna(subset=[col]).drop_duplicates()
              .sort_values([by, col], kind="stable"))
    found: dict = {}
    for group, value in zip(values[by].tolist(), values[col].tolist()):  # distinct pairs
        found.setdefault(group, []).append(value)
    return pd.Series([found.get(k, []) for k in index], index=index, dtype=object)


def _group_facts(frame: pd.DataFrame, by: str, refs: pd.DataFrame) -> pd.DataFrame:
    """Per group: sorted members, departments, tiers, instances and the cost sums.

    ``refs`` holds each system's SystemRef and its ``rank`` in (department, system_id)
    order (both made once for both kinds of group)."""
    mine = refs.loc[frame.index]
    order = pd.DataFrame({"by": frame[by].to_numpy(), "rank": mine["rank"].to_numpy(),
                          "ref": mine["ref"].to_numpy()}).sort_values(["by", "rank"],
                                                                      kind="stable")
    g = frame.groupby(by, sort=True)
    facts = pd.DataFrame({
        "members": order["ref"].groupby(order["by"], sort=True).agg(list),
        "size": g.size(),
        "known": g["annual_cost"].count(),
        "cost": g["annual_cost"].sum(min_count=1),
    })
    for col, name in (("department", "departments"), ("tier", "tiers"),
                      ("instance", "instances")):
        facts[name] = _sorted_lists(frame, by, col, facts.index)
    return facts[["members", "departments", "tiers", "instances", "size", "known", "cost"]]


def _main_capability(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """The most common capability of each group (ties: the first id), with its name."""
    counts = (frame.dropna(subset=["capability_id"])
              .groupby([by, "capability_id"]).size().rename("n").reset_index()
              .sort_values([by, "n", "capability_id"], ascending=[True, False, True])
              .drop_duplicates(by).set_index(by))
    names = frame.dropna(subset=["capability_id"]).groupby("capability_id")[
        "capability_name"].first()
    counts["capability_name"] = counts["capability_id"].map(names)
    return counts[["capability_id", "capability_name"]]


def find_duplicates(systems: pd.DataFrame, impl: pd.Series) -> list[DuplicateGroup]:
    """Both kinds of duplicate groups, sorted by id."""
    ranked = systems[["department", "system_id"]].sort_values(
        ["department", "system_id"], kind="stable")
    refs = pd.DataFrame({
        "ref": [SystemRef(d, s) for d, s in zip(ranked["department"].tolist(),
                                                 ranked["system_id"].tolist())],
        "rank": np.arange(len(ranked))}, index=ranked.index)
    return sorted(_same_product(systems, impl, refs) + _same_capability(systems, refs),
                  key=lambda g: g.id)


def _same_product(systems: pd.DataFrame, impl: pd.Series,
                  refs: pd.DataFrame) -> list[DuplicateGroup]:
    with_product = systems[systems["product_id"].notna()].assign(impl=impl)
    counts = with_product.groupby("product_id")["impl"].nunique()
    dup = with_product[with_product["product_id"].isin(counts.index[counts >= 2])]
    if dup.empty:
        return []
    facts = _group_facts(dup, "product_id", refs)
    facts["name"] = dup.groupby("product_id")["product_name"].first()
    facts = facts.join(_main_capability(dup, "product_id"))
    groups = []
    for product_id, f in zip(facts.index, facts.to_dict("records")):
        product = f["name"] if isinstance(f["name"], str) else product_id
        cap_id = f["capability_id"] if isinstance(f["capability_id"], str) else None
        cap_name = (f["capability_name"] if isinstance(f["capability_name"], str)
                    else cap_id)
        n = int(counts[product_id])
        cost = None if pd.isna(f["cost"]) else float(f["cost"])
        unrecognised = str(product_id).startswith("unrecognised:")
        what = f"The unrecognised product group {product!r}" if unrecognised else product
        reason = (f"{what} runs as {_plural(n, 'separate implementation')} "
                  f"(instances or tenants) in {_plural(len(f['departments']), 'department')} "
                  f"({_names(f['departments'])})")
        if f["instances"]:
            reason += f"; named instances: {_names(f['instances'])}"
        reason += (f"; {_plural(f['size'], 'system')}, "
                   f"{_cost_text(cost, f['known'], f['size'])}.")
        groups.append(DuplicateGroup(
            id=f"dup-product-{slug(product_id)}", kind="same-product", capability=cap_name,
            product=product, members=f["members"], instances=n,
            departments=f["departments"], annual_cost=cost, reason=reason,
            capability_id=cap_id, product_id=product_id, cost_known=int(f["known"]),
            tiers=f["tiers"]))
    return groups


def _same_capability(systems: pd.DataFrame, refs: pd.DataFrame) -> list[DuplicateGroup]:
    with_cap = systems[systems["capability_id"].notna()]
    product_key = with_cap["product_id"].fillna("bespoke:" + with_cap["system_key"])
    with_cap = with_cap.assign(product_key=product_key)
    counts = with_cap.groupby("capability_id")["product_key"].nunique()
    dup = with_cap[with_cap["capability_id"].isin(counts.index[counts >= 2])]
    if dup.empty:
        return []
    facts = _group_facts(dup, "capability_id", refs)
    facts["name"] = dup.groupby("capability_id")["capability_name"].first()
    products = dup.dropna(subset=["product_id"])
    labels = products["product_name"].fillna(products["product_id"])
    facts["products"] = labels.groupby(products["capability_id"]).agg(
        lambda s: sorted(set(s)))
    facts["bespoke"] = dup["product_id"].isna().groupby(dup["capability_id"]).sum()
    groups = []
    for cap_id, f in zip(facts.index, facts.to_dict("records")):
        cap_name = f["name"] if isinstance(f["name"], str) else cap_id
        product_labels = f["products"] if isinstance(f["products"], list) else []
        bespoke = int(f["bespoke"])
        n = int(counts[cap_id])
        cost = None if pd.isna(f["cost"]) else float(f["cost"])
        parts = []
        if product_labels:
            parts.append(f"{_plural(len(product_labels), 'product')} ({_names(product_labels)})")
        if bespoke:
            parts.append(f"{_plural(bespoke, 'bespoke system')} with no product")
        reason = (f"{cap_name} is served by {n} different products or systems: "
                  f"{' and '.join(parts)}, in {_plural(len(f['departments']), 'department')} "
                  f"({_names(f['departments'])}); {_plural(f['size'], 'system')}, "
                  f"{_cost_text(cost, f['known'], f['size'])}.")
        groups.append(DuplicateGroup(
            id=f"dup-capability-{slug(cap_id)}", kind="same-capability",
            capability=cap_name, product=None, members=f["members"], instances=n,
            departments=f["departments"], annual_cost=cost, reason=reason,
            capability_id=cap_id, product_id=None, cost_known=int(f["known"]),
            tiers=f["tiers"]))
    return groups
