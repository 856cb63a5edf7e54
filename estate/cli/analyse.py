"""``estate analyse``: the main job."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from estate.cli import main
from estate.cli.options import (
    inventory_paths, keep_until_exit, quiet_option, resolve_paths, settings_options,
    StageProgress, with_library_errors,
)


@main.command("analyse")
@inventory_paths
@click.option("--out", "-o", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("outputs"), show_default=True,
              help="Folder the reports are written to (created if missing).")
@settings_options
@quiet_option
@click.option("--timings", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the seconds each stage took to this JSON file.")
@with_library_errors
def analyse_command(paths, out_dir, settings, quiet, timings):
    """Analyse inventories and write the reports.

    PATH is an inventory file (CSV, TSV, XLSX) or a folder of them; with no PATH the
    inventories/ folder in the current directory is read. Each department's file may use
    its own column headers: they are mapped onto the canonical schema and anything that
    cannot be mapped is reported, never dropped.

    Writes report.html (open it first); the interactive graphs estate-graph.html,
    data-flow.html, clusters/<id>.html and departments/<dept>.html (they load
    lib/vis-network.min.js beside them: keep the folder together); findings.json;
    systems.csv, clusters.csv, data-quality.csv and proposals.xlsx; and summary.md.

    Example:

        estate analyse

        estate analyse exports/dwp.csv exports/hmrc.xlsx --out /tmp/estate-report
    """
    from estate.pipeline import run_analysis
    from estate.report import SystemsAhead, write_reports

    inputs = resolve_paths(paths)
    progress = StageProgress(quiet)
    try:
        with SystemsAhead(out_dir) as ahead:
            findings = run_analysis(inputs, settings, progress=progress, on_systems=ahead.start)
            keep_until_exit(findings)
            with progress("report"):
                written = write_reports(findings, out_dir, ahead=ahead)
    finally:
        progress.close()
    if timings:
        progress.write_timings(timings)
    if not quiet:
        click.echo(format_summary(findings, out_dir, written))


def format_summary(findings, out_dir: Path, written) -> str:
    from estate.report.html import saving_coverage
    s = findings.summary
    saving = f"£{s.annual_saving:,.0f} a year" if s.annual_saving is not None else "not estimable (costs missing)"
    problems = sum(1 for f in findings.data_quality.findings if f.severity in ("error", "warning"))
    lines = [
        f"{s.systems:,} systems from {s.departments:,} departments "
        f"({s.analysed:,} analysed, {s.quarantined:,} quarantined)",
        f"{s.duplicate_groups:,} duplicate groups, {s.clusters:,} consolidation clusters",
        f"estimated saving: {saving}" + (f" ({coverage})" if (coverage := saving_coverage(
            asdict(s), lambda v: f"£{v:,.0f}")) else ""),
        f"{problems:,} data-quality findings",
        f"report: {Path(out_dir) / 'report.html'}",
    ]
    return "\n".join(lines)
