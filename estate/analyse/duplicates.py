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

from estate.arrays import sorted_unique
from estate.analyse.frame import map_codes, slug, sorted_codes, sorted_from_codes
from estate.analyse.model import DuplicateGroup, SystemRef


def implementation_keys(systems: pd.DataFrame, coded: Coded | None = None) -> pd.Series:
    """The implementation each system belongs to (see the module docstring).

    Worked out once per distinct (department, instance) pair, then spread to the rows
    (``coded``: the codes of ``systems`` when the caller has them)."""
    if coded is not None:
        dept, inst = coded("department")[0], coded("instance")[0]
    else:
        dept = pd.factorize(systems["department"].to_numpy(object))[0]
        inst = pd.factorize(systems["instance"].to_numpy(object))[0]
    pair = (dept.astype(np.int64) + 1) * (int(inst.max(initial=-1)) + 2) + inst + 1
    codes, first = np.unique(pair, return_index=True)
    at = np.searchsorted(codes, pair)
    if (dept < 0).any():  # a missing department prints as its own text: keep those rows
        first = np.concatenate([first, np.flatnonzero(dept < 0)])
        at[dept < 0] = len(codes) + np.arange(int((dept < 0).sum()))
    keys = _implementation_keys(systems.iloc[first]).to_numpy(object)
    if coded is not None:  # the keys' codes, from the few distinct pairs
        codes, distinct = pd.factorize(keys)
        coded.know("impl", codes.astype(np.int64)[at], np.asarray(distinct, dtype=object))
    return pd.Series(keys[at], index=systems.index, dtype=object)


def _implementation_keys(systems: pd.DataFrame) -> pd.Series:
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
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _names(values, limit: int = 6) -> str:
    values = list(values)
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit:,} more" if len(values) > limit else "")


def _cost_text(total: float | None, known: int, size: int) -> str:
    if not known:
        return "annual cost unknown for every member"
    if known == size:
        return f"{money(total)} a year in all"
    return (f"{money(total)} a year across the {known:,} of {size:,} members with a known "
            "cost (the others' cost is missing)")


class Coded:
    """The columns the duplicate groups (and the dispositions) read, each factorised once.

    A text column's codes follow the sorted order of its distinct values (-1 where
    missing), so sorting by it, or listing its distinct values per group in sorted
    order, is integer work instead of hashing and comparing the same strings again.
    """

    def __init__(self, systems: pd.DataFrame,
                 known: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> None:
        self.systems = systems
        self._coded: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._known = dict(known or {})
        """Codes of some columns from reading them (see :func:`systems_frame`): sorted
        from those, the column's rows are not hashed again."""

    def __call__(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in self._coded:
            found = None
            if column in self._known:
                found = sorted_from_codes(*self._known.pop(column))
            if found is None:
                found = sorted_codes(self.systems[column].to_numpy(object))
            self._coded[column] = found
        return self._coded[column]

    def know(self, column: str, codes: np.ndarray, distinct: np.ndarray) -> None:
        """Codes of a column (-1: missing) into its distinct texts, worked out elsewhere
        (see :func:`sorted_from_codes`)."""
        self._coded.pop(column, None)
        self._known[column] = (codes, distinct)

    def knows(self, column: str) -> bool:
        """Whether the codes of ``column`` are at hand (without hashing it)."""
        return column in self._known or column in self._coded

    def map(self, column: str, fn) -> pd.Series:
        """:func:`~estate.analyse.frame.map_unique` of a column, from its codes: ``fn``
        once per distinct value (None for missing), no hashing of the rows."""
        return pd.Series(map_codes(*self(column), fn), index=self.systems.index,
                         dtype=object)

    def rank(self) -> np.ndarray:
        """Each system's position in (department, system_id) order (missing last), by
        one stable sort of a single integer key (about half the time of a lexsort)."""
        key = np.zeros(len(self.systems), dtype=np.int64)
        for column in ("department", "system_id"):
            codes, uniques = self(column)
            key = key * (len(uniques) + 1) + np.where(codes < 0, len(uniques), codes)
        rank = np.empty(len(self.systems), dtype=np.int64)
        rank[np.argsort(key, kind="stable")] = np.arange(len(self.systems))
        return rank


def _bounds(group: np.ndarray, k: int) -> list[int]:
    """Start of each group 0..k in sorted ``group`` codes, and the end."""
    return np.searchsorted(group, np.arange(k + 1)).tolist()


def _distinct(group: np.ndarray, k: int, codes: np.ndarray, uniques: np.ndarray) -> list[list]:
    """Per group 0..k-1: the sorted distinct known values (codes are in sorted order)."""
    known = codes >= 0
    pair = sorted_unique(group[known].astype(np.int64) * max(len(uniques), 1) + codes[known])
    values = uniques[pair % max(len(uniques), 1)].tolist()
    at = _bounds(pair // max(len(uniques), 1), k)
    return [values[a:b] for a, b in zip(at[:-1], at[1:])]


def first_known(group: np.ndarray, k: int, values: np.ndarray) -> list:
    """Per group 0..k-1: the first known value in row order (pandas ``first``), else None."""
    known = np.flatnonzero(~pd.isna(values))
    first = np.full(k, -1, dtype=np.int64)
    first[np.asarray(group)[known][::-1]] = known[::-1]  # written last: each group's first
    found = [None] * k
    firsts = np.flatnonzero(first >= 0)
    for g, v in zip(firsts.tolist(), values[first[firsts]].tolist()):
        found[g] = v
    return found


def _renumber(codes: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose code is kept, and their code among the kept ones (same order)."""
    rows = np.flatnonzero(codes >= 0)
    rows = rows[keep[codes[rows]]]
    return rows, (np.cumsum(keep) - 1)[codes[rows]]


def _nunique(group: np.ndarray, k: int, codes: np.ndarray) -> np.ndarray:
    """Distinct known codes per group 0..k-1."""
    known = codes >= 0
    pair = sorted_unique(group[known].astype(np.int64) * (int(codes.max(initial=0)) + 1)
                         + codes[known])
    return np.bincount(pair // (int(codes.max(initial=0)) + 1), minlength=k)


def _group_facts(table: Coded, rows: np.ndarray, group: np.ndarray, k: int,
                 refs: np.ndarray, rank: np.ndarray) -> list[dict]:
    """Per group 0..k-1 of ``rows``: sorted members, departments, tiers, instances and
    the cost sums (pandas' sum, so the same float as a groupby of the rows in order)."""
    order = np.argsort(group.astype(np.int64) * max(len(rank), 1) + rank[rows], kind="stable")
    members = refs[rows[order]].tolist()
    at = _bounds(group[order], k)
    cost = table.systems["annual_cost"].to_numpy(float)[rows]
    sums = pd.Series(cost).groupby(group).sum(min_count=1).reindex(range(k)).tolist()
    known = np.bincount(group, weights=~np.isnan(cost), minlength=k).astype(int).tolist()
    size = np.bincount(group, minlength=k).tolist()
    lists = {}
    for column, name in (("department", "departments"), ("tier", "tiers"),
                         ("instance", "instances")):
        codes, uniques = table(column)
        lists[name] = _distinct(group, k, codes[rows], uniques)
    return [{"members": members[at[i]:at[i + 1]], "departments": lists["departments"][i],
             "tiers": lists["tiers"][i], "instances": lists["instances"][i],
             "size": size[i], "known": known[i], "cost": sums[i]} for i in range(k)]


def _main_capability(table: Coded, rows: np.ndarray, group: np.ndarray,
                     k: int) -> list[tuple[str | None, object]]:
    """Per group: its most common capability (ties: the first id) and that capability's
    first known name among ``rows``."""
    cap, caps = table("capability_id")
    cap = cap[rows]
    known = cap >= 0
    pair, n = np.unique(group[known].astype(np.int64) * len(caps) + cap[known],
                        return_counts=True)
    g, c = pair // max(len(caps), 1), pair % max(len(caps), 1)
    best = np.lexsort((c, -n, g))
    g, c = g[best], c[best]
    head = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, dtype=bool)
    names = first_known(cap[known], len(caps),
                        table.systems["capability_name"].to_numpy(object)[rows][known])
    found: list[tuple[str | None, object]] = [(None, None)] * k
    for gi, ci in zip(g[head].tolist(), c[head].tolist()):
        found[gi] = (caps[ci], names[ci])
    return found


def find_duplicates(systems: pd.DataFrame, impl: pd.Series,
                    table: Coded | None = None) -> list[DuplicateGroup]:
    """Both kinds of duplicate groups, sorted by id (``table``: the codes of ``systems``
    when the caller has them, to share them)."""
    table = Coded(systems) if table is None else table
    rank = table.rank()
    product = _product_groups(table, impl)
    capability = _capability_groups(table)
    used = np.zeros(len(systems), dtype=bool)
    used[product[0]] = True
    used[capability[0]] = True
    refs = np.empty(len(systems), dtype=object)
    at = np.flatnonzero(used)
    refs[at] = list(map(SystemRef, systems["department"].to_numpy(object)[at].tolist(),
                        systems["system_id"].to_numpy(object)[at].tolist()))
    return sorted(_same_product(table, *product, refs, rank)
                  + _same_capability(table, *capability, refs, rank), key=lambda g: g.id)


def _product_groups(table: Coded, impl: pd.Series):
    """Rows of products run as two or more implementations, their group and counts."""
    pid, pids = table("product_id")
    has = pid >= 0
    impl_code = table("impl")[0] if table.knows("impl") else pd.factorize(
        impl.to_numpy(object))[0]
    counts = _nunique(pid[has], len(pids), impl_code[has])
    keep = counts >= 2
    rows, group = _renumber(pid, keep)
    return rows, group, pids[keep], counts[keep]


def _capability_groups(table: Coded):
    """Rows of capabilities served by two or more products or bespoke systems."""
    cid, cids = table("capability_id")
    has = np.flatnonzero(cid >= 0)
    pid, pids = table("product_id")
    if any(str(p).startswith("bespoke:") for p in pids.tolist()):  # could equal a key below
        product = table.systems["product_id"].to_numpy(object)[has]
        bespoke = pd.isna(product)
        key = product.copy()
        key[bespoke] = "bespoke:" + table.systems["system_key"].to_numpy(object)[has][bespoke]
        key = pd.factorize(key)[0]
    else:  # a product by its code, a bespoke system by its key (only those hashed)
        key = pid[has].copy()
        bespoke = key < 0
        key[bespoke] = len(pids) + pd.factorize(
            table.systems["system_key"].to_numpy(object)[has][bespoke])[0]
    counts = _nunique(cid[has], len(cids), key)
    keep = counts >= 2
    rows, group = _renumber(cid, keep)
    return rows, group, cids[keep], counts[keep]


def _same_product(table: Coded, rows: np.ndarray, group: np.ndarray, ids: np.ndarray,
                  counts: np.ndarray, refs: np.ndarray,
                  rank: np.ndarray) -> list[DuplicateGroup]:
    if not len(rows):
        return []
    k = len(ids)
    facts = _group_facts(table, rows, group, k, refs, rank)
    names = first_known(group, k, table.systems["product_name"].to_numpy(object)[rows])
    caps = _main_capability(table, rows, group, k)
    groups = []
    for product_id, f, name, (cap_id, cap_name), n in zip(
            ids.tolist(), facts, names, caps, counts.tolist()):
        product = name if isinstance(name, str) else product_id
        cap_id = cap_id if isinstance(cap_id, str) else None
        cap_name = cap_name if isinstance(cap_name, str) else cap_id
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


def _same_capability(table: Coded, rows: np.ndarray, group: np.ndarray, ids: np.ndarray,
                     counts: np.ndarray, refs: np.ndarray,
                     rank: np.ndarray) -> list[DuplicateGroup]:
    if not len(rows):
        return []
    k = len(ids)
    facts = _group_facts(table, rows, group, k, refs, rank)
    names = first_known(group, k, table.systems["capability_name"].to_numpy(object)[rows])
    product = table.systems["product_id"].to_numpy(object)[rows]
    with_product = ~pd.isna(product)
    label = table.systems["product_name"].to_numpy(object)[rows][with_product]
    label = np.where(pd.isna(label), product[with_product], label)
    products = _distinct(group[with_product], k, *sorted_codes(label))
    bespoke = np.bincount(group[~with_product], minlength=k).tolist()
    groups = []
    for cap_id, f, name, product_labels, n, bespoke_n in zip(
            ids.tolist(), facts, names, products, counts.tolist(), bespoke):
        cap_name = name if isinstance(name, str) else cap_id
        bespoke = int(bespoke_n)
        cost = None if pd.isna(f["cost"]) else float(f["cost"])
        parts = []
        if product_labels:
            parts.append(f"{_plural(len(product_labels), 'product')} ({_names(product_labels)})")
        if bespoke:
            parts.append(f"{_plural(bespoke, 'bespoke system')} with no product")
        reason = (f"{cap_name} is served by {n:,} different products or systems: "
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
