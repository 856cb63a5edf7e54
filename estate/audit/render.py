"""Say what changed: plain text for the terminal, Markdown for audit.md, an HTML section
(with the trend of the headline figures as small inline SVG charts) for report.html.

Names come from inventories, so everything that reaches HTML is escaped and every
Markdown table cell has its pipes and line breaks neutralised.
"""

from __future__ import annotations

import html

from estate.audit.diff import HEADLINE, FindingsDiff, GroupChange

MAX_LISTED = 50
"""Longest list of systems printed in full; the rest is counted (all are in changes.json)."""

_VERB = {"new": "new", "grown": "grown", "shrunk": "shrunk", "changed": "changed",
         "renamed": "renamed", "resolved": "resolved"}


def fmt(value, key: str = "") -> str:
    if value is None:
        return "n/a"
    if key == "annual_saving":
        return f"£{value:,.0f}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def fmt_delta(figure) -> str:
    delta = figure.delta
    if delta is None:
        return "" if figure.before == figure.after else "(changed)"
    if delta == 0:
        return ""
    sign = "+" if delta > 0 else "-"
    if figure.key == "annual_saving":
        return f"({sign}£{abs(delta):,.0f})"
    return f"({sign}{fmt(abs(delta))})"


def _group_line(g: GroupChange) -> str:
    size = {"new": f"{g.size_after} members", "resolved": f"had {g.size_before} members"}.get(
        g.status, f"{g.size_before} -> {g.size_after} members")
    parts = [f"{_VERB[g.status]:<9} {g.id}  {g.label}  {size}"]
    if g.previous_id:
        parts.append(f"was {g.previous_id}")
    if g.status not in ("new", "resolved"):
        if g.added:
            parts.append("+ " + ", ".join(g.added))
        if g.removed:
            parts.append("- " + ", ".join(g.removed))
    if g.target_before != g.target_after and g.status not in ("new", "resolved"):
        parts.append(f"target {g.target_before} -> {g.target_after}")
    return "; ".join(parts)


def _listed(items: list[str]) -> list[str]:
    shown = items[:MAX_LISTED]
    if len(items) > MAX_LISTED:
        shown.append(f"... and {len(items) - MAX_LISTED} more (see changes.json)")
    return shown


def _counts(groups: list[GroupChange]) -> str:
    statuses = ("new", "grown", "shrunk", "changed", "renamed", "resolved")
    counts = {s: sum(1 for g in groups if g.status == s) for s in statuses}
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no change"


def _saving_changes(diff: FindingsDiff) -> list[str]:
    return [f"{g.id}: {fmt(g.saving_before, 'annual_saving')} -> "
            f"{fmt(g.saving_after, 'annual_saving')}"
            for g in diff.clusters if g.saving_before != g.saving_after]


def _system_line(s) -> str:
    what = " / ".join(p for p in (s.product, s.capability) if p)
    return f"{s.key}  {s.name or ''}" + (f"  ({what})" if what else "")


def text_report(diff: FindingsDiff, worse: list[str] | None = None) -> str:
    """The changes as plain text, most important first."""
    lines = [f"changes from {diff.old_label} to {diff.new_label}"]
    if worse:
        lines.append("WORSE:")
        lines += [f"  {r}" for r in worse]
    elif worse is not None:
        lines.append("nothing worse by the --fail-on rules")
    if not diff.changed:
        lines.append("no changes")
        return "\n".join(lines) + "\n"
    lines.append("headline:")
    for f in diff.figures:
        lines.append(f"  {f.label:<26} {fmt(f.before, f.key):>14} -> "
                     f"{fmt(f.after, f.key):<14} {fmt_delta(f)}".rstrip())
    for which, title in (("duplicates", "duplicate groups"), ("clusters", "clusters")):
        groups = [g for g in getattr(diff, which) if g.status != "unchanged"]
        lines.append(f"{title}: {_counts(groups)}")
        lines += [f"  {_group_line(g)}" for g in groups]
    savings = _saving_changes(diff)
    if savings:
        lines.append("savings by cluster:")
        lines += [f"  {s}" for s in savings]
    if diff.departments_added or diff.departments_removed:
        lines.append("departments: " + "; ".join(
            p for p in (f"added {', '.join(diff.departments_added)}" if diff.departments_added
                        else "", f"removed {', '.join(diff.departments_removed)}"
                        if diff.departments_removed else "") if p))
    lines.append(f"systems: {len(diff.systems_added)} added, {len(diff.systems_removed)} "
                 f"removed, {len({c.key for c in diff.systems_changed})} changed")
    lines += [f"  + {x}" for x in _listed([_system_line(s) for s in diff.systems_added])]
    lines += [f"  - {x}" for x in _listed([_system_line(s) for s in diff.systems_removed])]
    lines += [f"  ~ {x}" for x in _listed([f"{c.key} {c.field}: {c.before} -> {c.after}"
                                           for c in diff.systems_changed])]
    quality = [q for q in diff.quality if q.before != q.after]
    if quality or diff.finding_codes:
        lines.append("data quality:")
        lines += [f"  {q.department}: {fmt(q.before)} -> {fmt(q.after)}" for q in quality]
        lines += [f"  {code}: {b} -> {a} findings" for code, b, a in diff.finding_codes]
    inputs = ([f"  + {p}" for p in diff.inputs_added] + [f"  - {p}" for p in diff.inputs_removed]
              + [f"  ~ {p}" for p in diff.inputs_changed])
    if inputs:
        lines.append("input files:")
        lines += inputs
    if diff.settings_changed:
        lines.append("settings:")
        lines += [f"  {k}: {b!r} -> {a!r}" for k, b, a in diff.settings_changed]
    return "\n".join(lines) + "\n"


def _md(text) -> str:
    return (str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ")
            .replace("\n", " ").replace("<", "&lt;"))


def _table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return out + [""]


def markdown_report(diff: FindingsDiff | None, worse: list[str] | None, trend: list[dict],
                    title: str = "Estate audit") -> str:
    """audit.md: the verdict, the changes and the trend, fit for a ticket or an email."""
    lines = [f"# {_md(title)}", ""]
    if diff is None:
        lines += ["First run in this history: stored as the baseline, nothing to compare yet.",
                  ""]
    else:
        lines += [f"Changes from `{_md(diff.old_label)}` ({_md(diff.old_generated_at or '?')}) "
                  f"to `{_md(diff.new_label)}` ({_md(diff.new_generated_at or '?')}).", ""]
        if worse:
            lines += ["**Worse** by the `--fail-on` rules:", ""]
            lines += [f"- {_md(r)}" for r in worse] + [""]
        elif worse is not None:
            lines += ["Nothing worse by the `--fail-on` rules.", ""]
        lines += _markdown_changes(diff)
    if trend:
        lines += ["## Trend", ""]
        lines += _table(["run", "generated"] + [label for _, label in HEADLINE],
                        [[row.get("run_id", ""), row.get("generated_at") or ""]
                         + [fmt(row.get(k), k) for k, _ in HEADLINE] for row in trend])
    return "\n".join(lines).rstrip() + "\n"


def _markdown_changes(diff: FindingsDiff) -> list[str]:
    if not diff.changed:
        return ["No changes.", ""]
    lines = ["## Headline figures", ""]
    lines += _table(["figure", "before", "after", "change"],
                    [[f.label, fmt(f.before, f.key), fmt(f.after, f.key), fmt_delta(f)]
                     for f in diff.figures])
    for which, title in (("duplicates", "Duplicate groups"), ("clusters", "Clusters")):
        groups = [g for g in getattr(diff, which) if g.status != "unchanged"]
        lines += [f"## {title}: {_counts(groups)}", ""]
        if groups:
            header = ["status", "id", "what", "members", "joined", "left"]
            if which == "clusters":
                header += ["saving before", "saving after"]
            rows = []
            for g in groups:
                row = [g.status, g.id + (f" (was {g.previous_id})" if g.previous_id else ""),
                       g.label, f"{g.size_before} -> {g.size_after}",
                       ", ".join(g.added), ", ".join(g.removed)]
                if which == "clusters":
                    row += [fmt(g.saving_before, "annual_saving"),
                            fmt(g.saving_after, "annual_saving")]
                rows.append(row)
            lines += _table(header, rows)
    lines += [f"## Systems: {len(diff.systems_added)} added, {len(diff.systems_removed)} "
              f"removed, {len({c.key for c in diff.systems_changed})} changed", ""]
    if diff.departments_added:
        lines += [f"Departments added: {_md(', '.join(diff.departments_added))}", ""]
    if diff.departments_removed:
        lines += [f"Departments removed: {_md(', '.join(diff.departments_removed))}", ""]
    rows = ([["added", s.key, s.name or "", s.product or "", s.capability or ""]
             for s in diff.systems_added]
            + [["removed", s.key, s.name or "", s.product or "", s.capability or ""]
               for s in diff.systems_removed])
    if rows:
        lines += _table(["change", "system", "name", "product", "capability"],
                        rows[:MAX_LISTED])
        if len(rows) > MAX_LISTED:
            lines += [f"... and {len(rows) - MAX_LISTED} more (see changes.json)", ""]
    if diff.systems_changed:
        lines += _table(["system", "field", "before", "after"],
                        [[c.key, c.field, c.before, c.after]
                         for c in diff.systems_changed[:MAX_LISTED]])
    quality = [q for q in diff.quality if q.before != q.after]
    if quality or diff.finding_codes:
        lines += ["## Data quality", ""]
        if quality:
            lines += _table(["department", "score before", "score after"],
                            [[q.department, fmt(q.before), fmt(q.after)] for q in quality])
        if diff.finding_codes:
            lines += _table(["finding", "before", "after"],
                            [[c, b, a] for c, b, a in diff.finding_codes])
    if diff.inputs_added or diff.inputs_removed or diff.inputs_changed:
        lines += ["## Input files", ""]
        lines += _table(["change", "file"],
                        [["added", p] for p in diff.inputs_added]
                        + [["removed", p] for p in diff.inputs_removed]
                        + [["changed", p] for p in diff.inputs_changed])
    if diff.settings_changed:
        lines += ["## Settings", ""]
        lines += _table(["setting", "before", "after"],
                        [[k, repr(b), repr(a)] for k, b, a in diff.settings_changed])
    return lines


def html_section(diff: FindingsDiff | None, worse: list[str] | None, trend: list[dict]) -> str:
    """An ``<section id="audit">`` for report.html: verdict, changes, trend charts."""
    e = html.escape
    parts = ['<section id="audit" class="audit">', "<h2>Audit: changes since the previous run</h2>"]
    if diff is None:
        parts.append("<p>First run in this history: stored as the baseline.</p>")
    else:
        parts.append(f"<p>From <code>{e(diff.old_label)}</code> to <code>{e(diff.new_label)}"
                     "</code>.</p>")
        if worse:
            parts.append('<p class="audit-worse"><strong>Worse</strong> by the --fail-on '
                         "rules:</p><ul>" + "".join(f"<li>{e(r)}</li>" for r in worse)
                         + "</ul>")
        elif worse is not None:
            parts.append("<p>Nothing worse by the --fail-on rules.</p>")
        if not diff.changed:
            parts.append("<p>No changes.</p>")
        else:
            parts.append(_html_table(
                ["figure", "before", "after", "change"],
                [[f.label, fmt(f.before, f.key), fmt(f.after, f.key), fmt_delta(f)]
                 for f in diff.figures if f.changed]))
            groups = [("duplicate group", g) for g in diff.duplicates if g.status != "unchanged"]
            groups += [("cluster", g) for g in diff.clusters if g.status != "unchanged"]
            if groups:
                parts.append("<h3>Duplicate groups and clusters</h3>")
                parts.append(_html_table(
                    ["kind", "status", "id", "what", "members", "joined", "left"],
                    [[kind, g.status, g.id + (f" (was {g.previous_id})" if g.previous_id
                                              else ""), g.label,
                      f"{g.size_before} → {g.size_after}", ", ".join(g.added),
                      ", ".join(g.removed)] for kind, g in groups]))
            rows = ([["added", s.key, s.name or "", s.product or ""]
                     for s in diff.systems_added]
                    + [["removed", s.key, s.name or "", s.product or ""]
                       for s in diff.systems_removed])
            if rows:
                parts.append("<h3>Systems</h3>")
                parts.append(_html_table(["change", "system", "name", "product"],
                                         rows[:MAX_LISTED]))
            quality = [q for q in diff.quality if q.before != q.after]
            if quality:
                parts.append("<h3>Data quality</h3>")
                parts.append(_html_table(["department", "before", "after"],
                                         [[q.department, fmt(q.before), fmt(q.after)]
                                          for q in quality]))
    if trend:
        parts.append(f"<h3>Trend over {len(trend)} run(s)</h3>")
        parts.append('<div class="audit-trend" style="display:flex;flex-wrap:wrap;gap:1em">')
        for key, label in HEADLINE:
            values = [row.get(key) for row in trend]
            if any(v is not None for v in values):
                parts.append(_sparkline(label, key, values))
        parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts) + "\n"


def _html_table(header: list[str], rows: list[list]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _sparkline(label: str, key: str, values: list) -> str:
    """A small SVG line chart of one figure over the runs (no script, no external file)."""
    width, height, pad = 220, 60, 6
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    low, high = min(v for _, v in known), max(v for _, v in known)
    step = (width - 2 * pad) / max(1, len(values) - 1)

    def y(v) -> float:
        if high == low:
            return height / 2
        return height - pad - (v - low) / (high - low) * (height - 2 * pad)

    xy = [(pad + i * step, y(v)) for i, v in known]
    points = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in xy)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="2.5" fill="#1d70b8"/>'
                   for x, yy in xy[-30:])
    last = known[-1][1]
    e = html.escape
    return (f'<figure style="margin:0"><figcaption>{e(label)}: <strong>{e(fmt(last, key))}'
            f"</strong></figcaption>"
            f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{e(label)} over {len(values)} runs">'
            f'<polyline fill="none" stroke="#1d70b8" stroke-width="2" points="{points}"/>{dots}'
            f"<title>{e(label)}: " + e(", ".join(fmt(v, key) for v in values)) + "</title>"
            "</svg></figure>")
