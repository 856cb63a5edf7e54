"""``estate validate``: check inventories without analysing them."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import click

from estate.cli import main
from estate.cli.options import build_settings, inventory_paths, library_errors, resolve_paths

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@main.command("validate")
@inventory_paths
@click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False),
              help="Settings file (estate.toml). Default: ./estate.toml if present.")
@click.option("--mapping", type=click.Path(path_type=Path, dir_okay=False),
              help="Header mapping file (CSV: scope,header,field).")
@click.option("--severity", "min_severity", type=click.Choice(["error", "warning", "info"]),
              default="warning", show_default=True,
              help="Show findings of this severity and worse.")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Findings shown per file and code (0: all).")
@click.option("--json", "as_json", is_flag=True,
              help="Print inputs, scores and every finding as JSON instead.")
def validate_command(paths, config, mapping, min_severity, limit, as_json):
    """Check inventories and report what is wrong with them, without analysing.

    Every input is read as `estate analyse` would read it. Findings are printed grouped
    by file (file, line, column, what is wrong and the raw text), followed by each
    department's data-quality score: the weighted completeness of the canonical fields.
    Exits 1 when a file cannot be used at all (unreadable, empty, no recognisable
    header), 0 otherwise; the other files are still checked.

    Example:

        estate validate inventories/

        estate validate dwp.csv hmrc.xlsx --mapping headers.csv --severity info
    """
    from estate.load import load_inventories
    from estate.quality import assess_quality

    with library_errors():
        settings = build_settings(config, mapping=mapping, keep_going=True)
        loaded = load_inventories(resolve_paths(paths), settings)
        quality = assess_quality(loaded.systems, loaded.findings)
    unusable = [i for i in loaded.inputs if not i.readable]
    if as_json:
        click.echo(json.dumps(_as_dict(loaded, quality), indent=2, ensure_ascii=False))
    else:
        click.echo(format_report(loaded, quality, min_severity, limit))
    if unusable:
        raise click.ClickException(
            f"{len(unusable)} file(s) could not be used: "
            + "; ".join(i.error or i.path for i in unusable))


def format_report(loaded, quality, min_severity: str = "warning", limit: int = 20) -> str:
    """The text `estate validate` prints: findings per file, then per-department scores."""
    shown_rank = SEVERITY_RANK[min_severity]
    by_file: dict[str, list] = defaultdict(list)
    for f in loaded.findings:
        by_file[f.file].append(f)
    inputs = {i.path: i for i in loaded.inputs}
    out: list[str] = []
    for file in sorted(set(by_file) | set(inputs)):
        item = inputs.get(file)
        if item is None:
            head = file
        elif not item.readable:
            head = f"{file}  (NOT USED)"
        else:
            depts = ", ".join(item.departments) or "no department"
            head = f"{file}  ({item.format}, {item.rows} rows, {depts})"
        out.append(head)
        findings = by_file.get(file, [])
        hidden = Counter()
        per_code = Counter()
        for f in findings:
            if SEVERITY_RANK.get(f.severity, 2) > shown_rank:
                hidden[f.severity] += 1
                continue
            per_code[f.code] += 1
            if limit and per_code[f.code] > limit:
                continue
            out.append("  " + _finding_line(f))
        for code, n in sorted(per_code.items()):
            if limit and n > limit:
                out.append(f"  ... and {n - limit} more {code}")
        if hidden:
            out.append("  (" + ", ".join(f"{n} {s}" for s, n in sorted(hidden.items()))
                       + " finding(s) not shown; --severity info shows them)")
        if not findings:
            out.append("  no problems found")
        out.append("")
    out.append("Data quality (weighted completeness of the canonical fields, 0-100):")
    if not quality.scores:
        out.append("  no rows loaded")
    weakest = _weakest_fields(quality)
    for department, score in sorted(quality.scores.items()):
        out.append(f"  {department:<30} {score:5.1f}   least complete: {weakest[department]}")
    counts = Counter(f.severity for f in loaded.findings)
    systems = loaded.systems
    quarantined = int((systems["status"] == "quarantined").sum()) if len(systems) else 0
    out.append("")
    out.append(f"{len(systems)} rows ({len(systems) - quarantined} analysable, {quarantined} "
               f"quarantined) from {sum(i.readable for i in loaded.inputs)} file(s); "
               f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} info")
    return "\n".join(out)


def _finding_line(f) -> str:
    where = f"line {f.line}" if f.line is not None else "file"
    column = f" [{f.column}]" if f.column else ""
    value = f": {f.value!r}" if f.value not in (None, "") else ""
    return f"{f.severity:<7} {where}{column} {f.code}: {f.message}{value}"


def _weakest_fields(quality) -> dict[str, str]:
    from estate.quality import FIELD_WEIGHTS

    per_dept: dict[str, list] = defaultdict(list)
    for c in quality.completeness:
        if FIELD_WEIGHTS.get(c.field, 0) > 0:
            per_dept[c.department].append((c.share, -FIELD_WEIGHTS[c.field], c.field))
    return {d: ", ".join(f"{name} {share:.0%}" for share, _, name in sorted(items)[:3])
            for d, items in per_dept.items()}


def _as_dict(loaded, quality) -> dict:
    return {
        "inputs": [vars(i) for i in loaded.inputs],
        "scores": quality.scores,
        "completeness": [{"department": c.department, "field": c.field, "filled": c.filled,
                          "total": c.total, "share": round(c.share, 4)}
                         for c in quality.completeness],
        "findings": [f.to_dict() for f in loaded.findings],
        "rows": {"total": len(loaded.systems),
                 "quarantined": int((loaded.systems["status"] == "quarantined").sum())
                 if len(loaded.systems) else 0},
    }
