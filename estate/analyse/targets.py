"""Target choice, savings, waves and TIME dispositions of consolidation clusters.

Every figure here carries its inputs: a target comes with the points each criterion gave
it, a saving with every number used and, when one is missing, the missing input named
instead of a figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import numpy as np
import pandas as pd

from estate.arrays import first_rows, sorted_unique
from estate.analyse.duplicates import money
from estate.analyse.frame import map_unique, phrases_in
from estate.analyse.model import ColumnRows
from estate.settings import Settings
from estate.standards import Standards

RING_SCORE = {"adopt": 1.0, "trial": 0.5, "hold": -0.5, "retire": -1.0}
NO_STANDARD_SCORE = 0.25
MIGRATING_KEYS = ("system", "annual_cost", "users", "cost_on_target", "saving")
"""The keys of each row of a saving's ``migrating`` inputs (the last two only when the
system's saving is known)."""
CRITERIA = ("standard", "users", "cost_per_user", "hosting", "lifecycle", "contract_end",
            "strategic", "integrations", "product_share")


def standards_columns(systems: pd.DataFrame, standards: Standards,
                      coded: Callable[[str], tuple[np.ndarray, np.ndarray]] | None = None
                      ) -> pd.DataFrame:
    """``has_standard``, ``ring`` and ``adopted`` (names) per system, from unique combos
    (each column factorised once; a combination is a row of their integer codes).
    ``coded(column)``, when given, gives a column's codes (-1: missing) and values, so a
    caller that factorised them already shares them."""
    cols = ["capability_id", "capability_name", "product_id", "product_name"]
    codes, texts = [], []
    for col in cols:
        code, distinct = coded(col) if coded is not None else pd.factorize(
            systems[col].to_numpy(dtype=object), use_na_sentinel=True)
        codes.append(code.astype(np.int64) + 1)  # 0: missing, read as ""
        texts.append([""] + [str(v) for v in np.asarray(distinct, dtype=object).tolist()])
    combo = codes[0]
    for code, text in zip(codes[1:], texts[1:]):  # renumbered each step: no overflow
        combo = pd.factorize(combo * len(text) + code)[0].astype(np.int64)
    # combo numbers the combinations by first appearance: each one's first row in order
    inverse, first = combo, first_rows(combo)
    has, ring, adopted = [], [], []
    per_capability: dict[tuple[str, str], tuple[bool, str | None]] = {}
    for at in first.tolist():
        cap_id, cap_name, prod_id, prod_name = (t[c[at]] for t, c in zip(texts, codes))
        cap = per_capability.get((cap_id, cap_name))
        if cap is None:  # what depends on the capability alone: once per capability
            names = ", ".join(e.product for e in standards.adopted((cap_id, cap_name)))
            cap = per_capability[cap_id, cap_name] = (
                standards.lookup((cap_id, cap_name), ())[0], names or None)
        covered, names = cap
        found, entry = standards.lookup((cap_id, cap_name), (prod_id, prod_name)) \
            if covered else (False, None)
        has.append(bool(found))
        ring.append(entry.ring if entry else None)
        adopted.append(names)
    table = {"has_standard": np.asarray(has, dtype=bool),
             "ring": np.asarray(ring + [None], dtype=object)[:-1],
             "adopted": np.asarray(adopted + [None], dtype=object)[:-1]}
    return pd.DataFrame({k: v[inverse] for k, v in table.items()},
                        index=systems.index)


def retiring_mask(systems: pd.DataFrame, settings: Settings,
                  mapped: Callable[[str, Callable], pd.Series] | None = None) -> pd.Series:
    """Systems whose lifecycle says they are retiring. ``mapped(column, fn)``, when given,
    is :func:`map_unique` of a column of ``systems`` from codes the caller has."""
    values = {v.casefold() for v in settings.constraints.retiring_lifecycles}
    mapped = mapped or (lambda c, fn: map_unique(systems[c], fn))
    return mapped("lifecycle", lambda v: bool(phrases_in(v, values))).astype(bool)


def integration_counts(edges: pd.DataFrame) -> pd.Series:
    """Number of distinct systems each system exchanges data with."""
    if edges.empty:
        return pd.Series(dtype="int64")
    pairs = pd.DataFrame(np.sort(edges[["source", "target"]].to_numpy(), axis=1),
                         columns=["a", "b"]).drop_duplicates()
    return pd.concat([pairs["a"], pairs["b"]]).value_counts()


def integration_row_counts(sources: np.ndarray, targets: np.ndarray, rows: int) -> np.ndarray:
    """:func:`integration_counts` per row of the systems table, from each edge's source
    and target row (a negative id for an end outside the table, one id per key)."""
    if not len(sources):
        return np.zeros(rows, dtype=np.int64)
    low, high = np.minimum(sources, targets), np.maximum(sources, targets)
    shift = -int(min(low.min(), 0))
    pairs = sorted_unique((low + shift).astype(np.int64) * (rows + shift + 1) + (high + shift))
    ends = np.concatenate([pairs // (rows + shift + 1), pairs % (rows + shift + 1)]) - shift
    return np.bincount(ends[ends >= 0], minlength=rows)[:rows].astype(np.int64)


def _pref(values: pd.Series, table: dict[str, float]) -> pd.Series:
    table = {k.casefold().strip(): float(v) for k, v in table.items()}

    def value(text: object) -> float:
        if not isinstance(text, str):
            return 0.0
        if text.strip().casefold() in table:
            return table[text.strip().casefold()]
        return max((table[k] for k in phrases_in(text, table)), default=0.0)

    return map_unique(values, value).astype(float)


def group_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes of ``values`` (one per distinct value) and how many there are."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    return codes.astype(np.int64), len(uniques)


def _group_reduce(ufunc, values: np.ndarray, groups: np.ndarray, count: int,
                  empty: float) -> np.ndarray:
    """``ufunc`` (``np.fmax``/``np.fmin``: missing skipped) over each group's values,
    spread back to the rows; ``empty`` seeds a group (a group of only NaN gives NaN)."""
    out = np.full(count, empty, dtype=np.float64)
    ufunc.at(out, groups, values)
    return out[groups]


def score_members(m: pd.DataFrame, settings: Settings, as_of: date,
                  groups: np.ndarray | None = None,
                  products: np.ndarray | None = None) -> pd.DataFrame:
    """Criterion values (0..1, or -1..1 for the standard) per member, and the score.

    ``m`` has one row per cluster member with a ``cluster`` column; every comparison is
    within the member's own cluster. ``groups``, integer codes of ``cluster`` when the
    caller has them, saves hashing the ids again; ``products``, integer codes of the
    members' product keys, likewise. Also gives ``same_product``, the members of the
    cluster on the member's product (or bespoke system).
    """
    w = settings.target
    if groups is None:
        groups, count = group_codes(m["cluster"])
    else:
        groups = np.asarray(groups, dtype=np.int64)
        count = int(groups.max(initial=-1)) + 1
    c = pd.DataFrame(index=m.index)
    ring = map_unique(m["ring"], RING_SCORE.get).to_numpy(dtype=np.float64, na_value=np.nan)
    c["standard"] = np.where(m["ring"].notna().to_numpy(), ring,
                             np.where(m["has_standard"].to_numpy(bool), 0.0,
                                      NO_STANDARD_SCORE))
    users = m["users"].to_numpy(np.float64)
    nan = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        share = users / _group_reduce(np.fmax, users, groups, count, nan)
        c["users"] = np.where(np.isnan(share), 0.0, share)
        cpu = m["annual_cost"].to_numpy(np.float64) / np.where(users > 0, users, nan)
        ratio = _group_reduce(np.fmin, cpu, groups, count, nan) / cpu
        c["cost_per_user"] = np.where(cpu == 0, 1.0, np.where(np.isnan(ratio), 0.0, ratio))
    c["hosting"] = _pref(m["hosting"], w.hosting_preference)
    c["lifecycle"] = _pref(m["lifecycle"], w.lifecycle_preference)
    days = (m["contract_end"] - pd.Timestamp(as_of)).dt.days.clip(lower=0).to_numpy(
        np.float64, na_value=np.nan)
    c["contract_end"] = _share_of_max(days, groups, count)
    c["strategic"] = m["strategic"].astype(float)
    c["integrations"] = _share_of_max(m["integrations"].to_numpy(np.float64), groups, count)
    if products is None:
        product, count_products = group_codes(m["product_key"] if "product_key" in m else
                                              m["product_id"].fillna("sys:" + m["system_key"]))
    else:
        product = np.asarray(products, dtype=np.int64)
        count_products = int(product.max(initial=-1)) + 1
    pair = pd.factorize(groups * max(count_products, 1) + product)[0]
    same = np.bincount(pair)[pair]
    c["product_share"] = same / np.bincount(groups, minlength=count)[groups]
    weights = pd.Series({k: float(getattr(w, k)) for k in CRITERIA})
    points = c[list(CRITERIA)].mul(weights, axis=1)
    c["score"] = points.sum(axis=1).round(4)
    for k in CRITERIA:
        c[f"points_{k}"] = points[k].round(4)
    c["cpu"] = cpu
    c["same_product"] = same
    return c


def _share_of_max(values: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
    """Each value over its group's largest (0 where either is missing or that is 0)."""
    most = _group_reduce(np.fmax, values, groups, count, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = values / np.where(most > 0, most, np.nan)
    return np.where(np.isnan(share), 0.0, share)


def target_reasons(row: dict, stats: dict, capability: str) -> list[str]:
    """Each criterion's contribution to ``row``'s score, in words.

    ``stats`` holds the cluster's ``users_max``, ``cpu_min``, ``contract_max``,
    ``integrations_max`` and ``size``; ``row`` its ``same_product`` count.
    """
    out = []
    product = row["product_name"] or row["product_id"] or "a bespoke system"

    def add(key: str, text: str) -> None:
        out.append(f"{text} ({row[f'points_{key}']:+.2f})")

    if row["ring"] == "adopt":
        add("standard", f"on the adopted standard for {capability} ({product}, ring adopt)")
    elif row["ring"]:
        add("standard", f"{product} is in the {row['ring']} ring of the {capability} standard")
    elif row["has_standard"]:
        add("standard", f"off-standard: the {capability} standard adopts "
            f"{row['adopted'] or 'other products'}")
    else:
        add("standard", f"no standard covers {capability}")
    users, most = row["users"], stats["users_max"]
    if pd.isna(users):
        add("users", "number of users unknown")
    else:
        text = f"serves {int(users):,} users"
        if users == most:
            text += ", the most in the cluster"
        elif not pd.isna(most):
            text += f" (the most in the cluster is {int(most):,})"
        add("users", text)
    cpu, best = row["cpu"], stats["cpu_min"]
    if pd.isna(cpu):
        add("cost_per_user", "cost per user unknown (annual cost or users missing)")
    else:
        text = f"{money(cpu)} a year per user"
        text += (", the lowest known in the cluster" if cpu == best
                 else f" (the lowest known in the cluster is {money(best)})")
        add("cost_per_user", text)
    add("hosting", f"hosted as {row['hosting']}" if row["hosting"] else "hosting unknown")
    add("lifecycle", f"lifecycle {row['lifecycle']!r}" if row["lifecycle"]
        else "lifecycle unknown")
    if pd.isna(row["contract_end"]):
        add("contract_end", "contract end unknown")
    else:
        text = f"contract runs to {row['contract_end'].date().isoformat()}"
        if row["contract_end"] == stats["contract_max"]:
            text += ", the latest in the cluster"
        add("contract_end", text)
    add("strategic", f"the catalogue marks {product} as strategic" if row["strategic"]
        else "not marked strategic in the catalogue")
    ints, most_ints = int(row["integrations"]), int(stats["integrations_max"])
    add("integrations", f"{ints} integration(s)" +
        (", the most in the cluster" if ints == most_ints and ints else
         f" (the most in the cluster is {most_ints})" if ints != most_ints else ""))
    add("product_share", f"{int(row['same_product'])} of {int(stats['size'])} systems in the "
        "cluster run " + (product if row["product_id"] else "this bespoke system"))
    return out


MISSING_SHOWN = 10
"""How many missing inputs a saving's explanation names; ``inputs["missing"]`` lists them
all. At a whole sector's scale one cluster can miss thousands, and the explanation is a
sentence people read (in the report, the workbook's cells, the cluster pages)."""


def savings(target: dict, migrating: list[dict] | tuple[list, Sequence, Sequence], repoint: int,
            settings: Settings) -> dict:
    """Annual saving, one-off cost and payback with every input, or the missing ones.

    ``migrating`` holds each migrating system's ``system_key``, ``annual_cost`` and
    ``users``: a dict each, or (cheaper for many) a tuple of those three lists (the
    costs and users may be float arrays: cheaper still, nothing to convert or check)."""
    if isinstance(migrating, tuple):
        keys, costs, users_of = migrating
    else:
        keys = [m["system_key"] for m in migrating]
        costs = [m["annual_cost"] for m in migrating]
        users_of = [m["users"] for m in migrating]
    model = settings.savings
    inputs: dict = {
        "target": target["system_key"],
        "target_annual_cost": _num(target["annual_cost"]),
        "target_users": _num(target["users"]),
        "target_cost_share": model.target_cost_share,
        "licence_cost_per_user": model.licence_cost_per_user.get(target["product_id"])
        if target["product_id"] else None,
        "migration_cost_per_system": model.migration_cost_per_system,
        "migration_cost_per_integration": model.migration_cost_per_integration,
        "systems_to_migrate": len(keys),
        "integrations_to_repoint": repoint,
    }
    missing = []
    if inputs["licence_cost_per_user"] is not None:
        per_user = inputs["licence_cost_per_user"] * model.target_cost_share
        inputs["cost_per_user_source"] = "settings (savings.licence_cost_per_user)"
    elif inputs["target_annual_cost"] is not None and (inputs["target_users"] or 0) > 0:
        per_user = (inputs["target_annual_cost"] / inputs["target_users"]
                    * model.target_cost_share)
        inputs["cost_per_user_source"] = "target's inventory cost / users"
    else:
        per_user = None
        inputs["cost_per_user_source"] = None
        product = target["product_id"]
        hint = (f" (or a price for {product} in savings.licence_cost_per_user)"
                if product and not str(product).startswith(("unrecognised:", "sys:")) else "")
        missing.append(f"{target['system_key']} (target) annual_cost or users, so its "
                       f"cost per user{hint}")
    inputs["target_cost_per_user"] = None if per_user is None else round(per_user, 4)
    if all(v.dtype == np.float64 if isinstance(v, np.ndarray) else
           all(type(x) is float for x in v) for v in (costs, users_of)):
        costs_out, users_out, on_target, saved = _float_rows(keys, costs, users_of, per_user,
                                                             missing)
    else:
        costs_out, users_out, on_target, saved = _rows(keys, costs, users_of, per_user,
                                                       missing)
    # one list per key, not a dict per system (see ColumnRows)
    inputs["migrating"] = ColumnRows(MIGRATING_KEYS, (list(keys), costs_out, users_out,
                                                      on_target, saved), optional=3)
    inputs["missing"] = missing
    one_off = round(len(keys) * model.migration_cost_per_system
                    + repoint * model.migration_cost_per_integration, 2)
    one_off_text = (f"One-off cost {money(one_off)} = {len(keys)} system(s) x "
                    f"{money(model.migration_cost_per_system)} + {repoint} integration(s) "
                    f"to re-point x {money(model.migration_cost_per_integration)}.")
    if missing:
        known = [s for s in saved if s is not None]
        inputs["partial_saving"] = round(sum(known), 2) if known else None
        shown = "; ".join(missing[:MISSING_SHOWN]) + (
            f"; and {len(missing) - MISSING_SHOWN:,} more (all {len(missing):,} in the "
            "inputs' missing list)" if len(missing) > MISSING_SHOWN else "")
        text = ("Annual saving not estimated: missing " + shown + "."
                + (f" The {len(known)} system(s) with every input would save "
                   f"{money(inputs['partial_saving'])} a year." if known else "")
                + " " + one_off_text + " No payback without a saving.")
        return {"annual_saving": None, "one_off_cost": one_off, "payback_years": None,
                "inputs": inputs, "explanation": text}
    annual = round(sum(saved), 2)
    current = sum(costs_out)
    on_target_total = sum(on_target)
    users_total = sum(users_out)
    text = (f"Annual saving {money(annual)} = current cost of the {len(keys)} migrating "
            f"system(s) {money(current)} - their {int(users_total):,} users x "
            f"{money(per_user)} per user on the target ({money(on_target_total)}); cost per user "
            f"from the {inputs['cost_per_user_source']}"
            + (f" x {model.target_cost_share}" if model.target_cost_share != 1 else "")
            + f". {one_off_text}")
    payback = None
    if annual > 0:
        payback = round(one_off / annual, 2)
        text += f" Payback {payback:.2f} years = one-off cost / annual saving."
    else:
        text += " No payback: the estimate shows no annual saving."
    return {"annual_saving": annual, "one_off_cost": one_off, "payback_years": payback,
            "inputs": inputs, "explanation": text}


def _float_rows(keys: list, costs: list[float], users_of: list[float],
                per_user: float | None, missing: list[str]) -> tuple[list, list, list, list]:
    """:func:`_rows` when every cost and user count is a float (NaN for unknown, as the
    analysis passes them): the same values, with array arithmetic for the products (the
    same IEEE operations) and Python's ``round`` for the rounding."""
    cost, users = np.asarray(costs, dtype=np.float64), np.asarray(users_of, dtype=np.float64)
    cost_ok, users_ok = ~np.isnan(cost), ~np.isnan(users)
    for i in np.flatnonzero(~(cost_ok & users_ok)).tolist():
        if not cost_ok[i]:
            missing.append(f"{keys[i]} annual_cost")
        if not users_ok[i]:
            missing.append(f"{keys[i]} users")

    def known(values: np.ndarray, ok: np.ndarray) -> list:
        out = values.astype(object)
        out[~ok] = None
        return out.tolist()

    on_target = np.full(len(cost), None, dtype=object)
    saved = np.full(len(cost), None, dtype=object)
    both = cost_ok & users_ok
    if per_user is not None and both.any():
        product = users[both] * per_user
        on_target[both] = [round(x, 2) for x in product.tolist()]
        saved[both] = [round(x, 2) for x in (cost[both] - product).tolist()]
    return known(cost, cost_ok), known(users, users_ok), on_target.tolist(), saved.tolist()


def _rows(keys: list, costs: list, users_of: list, per_user: float | None,
          missing: list[str]) -> tuple[list, list, list, list]:
    """Each migrating system's known cost and users (None when unknown), its cost on the
    target and its saving (None unless all are known); the unknown inputs are added to
    ``missing``."""
    costs_out, users_out, on_target, saved = [], [], [], []
    for key, cost, users in zip(keys, costs, users_of):
        cost = (cost if cost == cost else None) if type(cost) is float else _num(cost)
        users = (users if users == users else None) if type(users) is float else _num(users)
        if cost is None:
            missing.append(f"{key} annual_cost")
        if users is None:
            missing.append(f"{key} users")
        if cost is not None and users is not None and per_user is not None:
            on_target.append(round(users * per_user, 2))
            saved.append(round(cost - users * per_user, 2))
        else:
            on_target.append(None)
            saved.append(None)
        costs_out.append(cost)
        users_out.append(users)
    return costs_out, users_out, on_target, saved


def _num(value) -> float | None:
    if type(value) is float:  # the usual case, without pd.isna's dispatch
        return value if value == value else None
    return None if value is None or pd.isna(value) else float(value)


def waves(migrating: pd.DataFrame, as_of: date, wave_months: int,
          by: str = "system_key", groups: np.ndarray | None = None) -> pd.DataFrame:
    """Earliest date, wave and order of each migration, from contract end dates.

    The earliest date is the later of the contract end and ``as_of``; wave ``n`` holds
    the migrations whose earliest date falls in the ``n``-th period of ``wave_months``
    from ``as_of``. A migration whose contract end is unknown gets no date or wave and
    comes last in the order. The order counts within each ``cluster``; ties of date go
    by the column ``by`` (the system key, or any column sorting as it does). ``groups``
    (integer codes of ``cluster``, any numbering) saves hashing the ids again.
    """
    start = pd.Timestamp(as_of)
    end = migrating["contract_end"]
    earliest = end.where(end > start, start).where(end.notna())
    months = ((earliest.dt.year - start.year) * 12 + earliest.dt.month - start.month
              - (earliest.dt.day < start.day).astype(int))
    wave = (months // wave_months + 1).where(earliest.notna())
    out = pd.DataFrame({"earliest": earliest, "wave": wave}, index=migrating.index)
    if groups is None:
        groups = group_codes(migrating["cluster"])[0]
    key = migrating[by]
    key = key.to_numpy() if pd.api.types.is_numeric_dtype(key) else \
        pd.factorize(key.to_numpy(dtype=object), sort=True)[0]
    known = earliest.notna().to_numpy()
    dates = earliest.to_numpy()
    when = np.where(known, dates.view(np.int64) if dates.dtype.kind == "M"
                    else pd.factorize(dates, sort=True)[0], 0)
    ordered = np.lexsort((key, when, ~known, groups))
    first = np.r_[True, groups[ordered][1:] != groups[ordered][:-1]]
    place = np.arange(len(ordered))
    order = np.empty(len(ordered), dtype=np.int64)
    order[ordered] = place - np.maximum.accumulate(np.where(first, place, 0)) + 1
    out["order"] = order
    return out
