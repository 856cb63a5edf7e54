"""report.html: the page a person opens first.

It is rendered from the findings document (see :mod:`estate.report.model`) with a jinja2
template that escapes every value, inlines its own CSS, JavaScript and SVG charts, and
references nothing outside the output folder, so it works on an air-gapped network.
"""

from __future__ import annotations

import hashlib
import sys
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from jinja2 import (Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined,
                    select_autoescape)

from estate.report.charts import bar_chart
from estate.report.model import members_table
from estate.report.rows import Rows
from estate.schema import FIELD_NAMES

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
FINDINGS_SHOWN_PER_FILE = 300
FINDINGS_SHOWN_TOTAL = 5_000
"""Findings rows in the page at most (each file shows at least 20); the CSV has them all."""
TABLE_ROWS_MAX = 500
"""Rows a table of report.html shows (the top ones in its order); the CSV files have all.
A page with tens of thousands of rows is slow to open and no one reads it."""
CLUSTER_DETAILS_MAX = 100
MEMBERS_SHOWN = 50


def money(value) -> str:
    """Pounds for people: £1.2m, £45k, £900; a negative amount (a cost, not a saving)
    reads −£45k."""
    if value is None:
        return "–"
    value = float(value)
    sign, amount = ("−" if value < 0 else ""), abs(value)
    if amount >= 1_000_000:
        return f"{sign}£{amount / 1_000_000:,.1f}m"
    if amount >= 10_000:
        return f"{sign}£{amount / 1_000:,.0f}k"
    return f"{sign}£{amount:,.0f}"


def saving_coverage(summary: dict, fmt=money) -> str:
    """What the estimated annual saving covers, in words: how many clusters have every
    input, and what the systems with every input in the other clusters would save (those
    clusters have no saving of their own: no figure without its inputs). Empty when every
    cluster is estimated or there are none."""
    clusters, estimated = summary.get("clusters") or 0, summary.get("clusters_with_saving") or 0
    if not clusters or estimated >= clusters:
        return ""
    rest = clusters - estimated
    text = (f"{estimated:,} of {clusters:,} clusters {'has' if estimated == 1 else 'have'} "
            f"every input; " + ("the other misses" if rest == 1 else f"the other {rest:,} miss")
            + " a cost or user count")
    partial = summary.get("partial_saving")
    if partial is not None:
        text += f", and their systems with every input would save {fmt(partial)} a year"
    return text


def number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


_OPTIONS = dict(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


class _TemplateCache(FileSystemBytecodeCache):
    """Compiled templates kept between runs, so a run does not compile report.html again
    (a fixed ~0.08 s, a twentieth of a small run). jinja2 checks each file against the
    template's text; the file name holds the jinja2 and Python versions and the options
    the code depends on. Any problem with the folder only means compiling."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - a damaged or unreadable file is compiled again
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except Exception:  # noqa: BLE001 - a folder that cannot be written keeps nothing
            pass


def template_cache() -> _TemplateCache | None:
    """The compiled-template cache in the cache directory (see
    :func:`estate.normalise.index_cache_dir`), or None when caching is off."""
    from estate.normalise import index_cache_dir

    try:
        folder = index_cache_dir()
    except (OSError, RuntimeError):
        return None
    if folder is None:
        return None
    tag = hashlib.sha256(repr((jinja2.__version__, sys.version_info[:2],
                               sorted(_OPTIONS.items()))).encode()).hexdigest()[:12]
    return _TemplateCache(str(folder / "templates"), f"report-{tag}-%s.cache")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, bytecode_cache=template_cache(), **_OPTIONS)
    env.filters.update(money=money, number=number)
    env.globals["static"] = lambda name: (STATIC / name).read_text(encoding="utf-8")
    return env


def render_report(doc: dict, findings, sections=()) -> str:
    """The report.html text for one run, with any extra sections (``ReportSection``)."""
    return environment().get_template("report.html").render(
        **report_context(doc, findings), sections=list(sections))


def report_context(doc: dict, findings) -> dict:
    dq = doc["data_quality"]
    table, cluster_of, _ = members_table(doc["clusters"])
    roles = np.asarray(table.values("role"), dtype=object) if len(table) else \
        np.zeros(0, dtype=object)
    migrating = np.bincount(cluster_of[roles != "target"], minlength=len(doc["clusters"]))
    position = {c["id"]: i for i, c in enumerate(doc["clusters"])}
    ranked = sorted(doc["clusters"], key=lambda c: (-(c["annual_saving"] or 0), c["id"]))
    ranked_groups = sorted(doc["duplicates"], key=lambda g: (-(g["annual_cost"] or 0), g["id"]))
    shown_groups = ranked_groups[:TABLE_ROWS_MAX]
    group_members = first_members([g["members"] for g in shown_groups], MEMBERS_SHOWN,
                                  ("department", "system_id"))
    names = system_names(findings.systems, {
        (m["department"], m["system_id"]) for ms in group_members for m in ms} | {
        (c["target"]["department"], c["target"]["system_id"]) for c in ranked[:TABLE_ROWS_MAX]})
    clusters = [dict(c, target_name=names.get((c["target"]["department"],
                                                c["target"]["system_id"]),
                                               c["target"]["system_id"]),
                     migrating=int(migrating[position[c["id"]]]))
                for c in ranked[:TABLE_ROWS_MAX]]
    details = clusters[:CLUSTER_DETAILS_MAX]
    for c, members in zip(details, first_members([c["members"] for c in details],
                                                 MEMBERS_SHOWN)):
        c["members_shown"] = members
    duplicates = [dict(g, member_names=[
        (m["department"], m["system_id"],
         names.get((m["department"], m["system_id"]), m["system_id"]))
        for m in members]) for g, members in zip(shown_groups, group_members)]

    by_file: dict[str, list[dict]] = defaultdict(list)
    for finding in dq["findings"]:
        by_file[finding["file"] or "(no file)"].append(finding)
    per_file = min(FINDINGS_SHOWN_PER_FILE,
                   max(20, FINDINGS_SHOWN_TOTAL // max(len(by_file), 1)))
    files = [{
        "file": name,
        "count": len(items),
        "errors": sum(f["severity"] == "error" for f in items),
        "warnings": sum(f["severity"] == "warning" for f in items),
        "shown": items[:per_file],
    } for name, items in sorted(by_file.items())]

    saving_by_cap: dict[str, float] = defaultdict(float)
    for cluster in ranked:
        if cluster["annual_saving"]:
            saving_by_cap[cluster["capability"] or "Unknown"] += cluster["annual_saving"]
    systems_by_cap = systems_per_capability(findings.systems)

    return {
        "doc": doc,
        "summary": doc["summary"],
        "saving_coverage": saving_coverage(doc["summary"]),
        "clusters": clusters,
        "cluster_total": len(ranked),
        "cluster_details": clusters[:CLUSTER_DETAILS_MAX],
        "clusters_with_pages": [c for c in ranked if c["graph"]],
        "duplicates": duplicates,
        "duplicate_total": len(ranked_groups),
        "departments": department_rows(findings.systems, doc),
        "completeness": completeness_matrix(dq),
        "finding_files": files,
        "unrecognised": dq["unrecognised_products"][:TABLE_ROWS_MAX],
        "unrecognised_total": len(dq["unrecognised_products"]),
        "charts": [
            bar_chart("Estimated annual saving by capability", saving_by_cap, money,
                      empty_text="No cluster has an estimated saving.",
                      negative_text=lambda count, total: (
                          f"{count:,} {'capability' if count == 1 else 'capabilities'} "
                          f"where consolidating would cost more than it saves "
                          f"({total} a year in all)")),
            bar_chart("Systems per capability", systems_by_cap, number,
                      empty_text="No systems were analysed."),
        ],
        "pages": doc["pages"],
    }


def first_members(views: list, n: int, keys: tuple[str, ...] | None = None) -> list[list[dict]]:
    """The first ``n`` members of each of ``views`` (member lists) as dicts of ``keys``
    (default: all). Views of one :class:`Rows` table are read column by column, all
    views at once, instead of a few pandas reads per view and column."""
    if not views or not all(isinstance(v, Rows) and v.frame is views[0].frame
                            and v.columns == views[0].columns for v in views):
        return [list(v[:n]) for v in views]
    keys = views[0].keys if keys is None else keys
    parts = [v.view(0, min(n, len(v))).positions() for v in views]
    positions = np.concatenate(parts).astype(np.int64)
    records = [dict(zip(keys, row)) for row in zip(*views[0].cells(keys, positions))]
    bounds = np.cumsum([0] + [len(p) for p in parts]).tolist()
    return [records[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def system_names(systems: pd.DataFrame, wanted: set[tuple[str, str]]
                 ) -> dict[tuple[str, str], str]:
    """Names of the ``wanted`` (department, system id) systems, looked up in one join."""
    if not wanted or not {"department", "system_id", "name"} <= set(systems.columns):
        return {}
    keys = pd.DataFrame(sorted(wanted), columns=["department", "system_id"])
    ids = systems["system_id"]
    near = ids.isin({sid for _, sid in wanted}) | ids.isna()
    table = systems.loc[near, ["department", "system_id", "name"]].astype(str).drop_duplicates(
        ["department", "system_id"])
    found = keys.merge(table, on=["department", "system_id"], how="inner")
    return dict(zip(zip(found["department"], found["system_id"]), found["name"]))


def systems_per_capability(systems: pd.DataFrame) -> dict[str, float]:
    if systems.empty or "capability_name" not in systems.columns:
        return {}
    names = systems["capability_name"]
    if "status" in systems:  # the one column filtered, not the whole table
        names = names[(systems["status"] != "quarantined").to_numpy()]
    names = names.astype(object).where(names.notna(), "Unrecognised")
    return {str(k): float(v) for k, v in names.value_counts(sort=False).items()}


def department_rows(systems: pd.DataFrame, doc: dict) -> list[dict]:
    """One summary row per department (counts for display, grouped with pandas)."""
    pages = doc["pages"]["departments"]
    if systems.empty or "department" not in systems.columns:
        return []
    frame = pd.DataFrame({
        "department": systems["department"].astype(str),
        "quarantined": (systems["status"] == "quarantined") if "status" in systems
        else False,
        "capability": systems.get("capability_id", pd.Series(pd.NA, index=systems.index)),
        "cost": pd.to_numeric(systems.get("annual_cost", pd.Series(pd.NA,
                                                                    index=systems.index)),
                              errors="coerce"),
    })
    grouped = frame.groupby("department", sort=True).agg(
        systems=("department", "size"), quarantined=("quarantined", "sum"),
        capabilities=("capability", "nunique"), cost=("cost", "sum"))
    dup_count = _groups_per_department(doc["duplicates"])
    cluster_count = _groups_per_department(doc["clusters"])
    scores = doc["data_quality"]["scores"]
    return [{
        "department": dept,
        "systems": int(row.systems),
        "quarantined": int(row.quarantined),
        "capabilities": int(row.capabilities),
        "annual_cost": float(row.cost) if row.cost else None,
        "duplicates": dup_count.get(dept, 0),
        "clusters": cluster_count.get(dept, 0),
        "score": scores.get(dept),
        "page": pages.get(dept),
    } for dept, row in grouped.iterrows()]


def _groups_per_department(groups: list[dict]) -> dict[str, int]:
    """How many of ``groups`` (clusters or duplicate groups) have a member in each
    department: distinct (group, department code) pairs counted, no strings hashed."""
    table, group_of, _ = members_table(groups)
    if not len(table):
        return {}
    column = table.coded(table.start, table.stop, ["department"])[0]
    names = column.values  # the last one stands for a missing department (code -1)
    codes = np.where(column.codes < 0, len(names) - 1, column.codes).astype(np.int64)
    pairs = pd.unique(group_of.astype(np.int64) * len(names) + codes)   # hashed, not sorted
    counts: dict[str, int] = {}
    for code, n in enumerate(np.bincount(pairs % len(names), minlength=len(names)).tolist()):
        name = names[code]
        if n and name is not None and not (isinstance(name, float) and name != name):
            counts[name] = counts.get(name, 0) + n
    return counts


def completeness_matrix(dq: dict) -> dict:
    order = {name: i for i, name in enumerate(FIELD_NAMES)}
    fields = sorted({c["field"] for c in dq["completeness"]},
                    key=lambda f: (order.get(f, len(order)), f))
    cells: dict[str, dict[str, dict]] = defaultdict(dict)
    for c in dq["completeness"]:
        cells[c["department"]][c["field"]] = c
    return {"fields": fields, "rows": [
        {"department": d, "score": dq["scores"].get(d),
         "cells": [cells[d].get(f) for f in fields]}
        for d in sorted(set(cells) | set(dq["scores"]))]}
