"""``estate explain NAME``: show how one product name resolves, stage by stage."""

from __future__ import annotations

from pathlib import Path

import click

from estate.cli import main
from estate.cli.options import build_settings, library_errors


@main.command("explain")
@click.argument("name")
@click.option("--vendor", help="The vendor or supplier written next to the name.")
@click.option("--capability", help="The capability written next to the name.")
@click.option("--catalogue", type=click.Path(path_type=Path, dir_okay=False),
              help="Your own catalogue CSV, merged over the built-in one.")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False),
              help="Settings file (estate.toml). Default: ./estate.toml if present.")
@click.option("--threshold", type=click.FloatRange(0, 100),
              help="Fuzzy threshold (0-100) instead of the configured one.")
def explain_command(name: str, vendor: str | None, capability: str | None,
                    catalogue: Path | None, config: Path | None,
                    threshold: float | None) -> None:
    """Show how NAME resolves to a catalogue product: each stage tried, the score,
    and the closest candidates.

    Example: estate explain "MS O365 E3" --vendor Microsoft
    """
    from estate.catalogue import load_catalogue
    from estate.normalise import explain

    settings = build_settings(config, catalogue=catalogue)
    if threshold is not None:
        settings.fuzzy_threshold = threshold
    with library_errors():
        cat = load_catalogue(settings.catalogue)
        result = explain(name, cat, settings, vendor=vendor, capability=capability)
    echo = click.echo
    echo(f"Name:        {result.raw!r}")
    if result.product is not None:
        p = result.product
        echo(f"Product:     {p.name} [{p.id}]")
        echo(f"Vendor:      {p.vendor}")
        echo(f"Stage:       {result.stage}")
        echo(f"Score:       {result.score:.0f}  (threshold {settings.fuzzy_threshold:g})")
        if p.eol_id:
            echo(f"endoflife:   {p.eol_id}")
    else:
        label = {"bespoke": "none (built in-house)", "none": "none (no name given)"}.get(
            result.stage, "unrecognised (not forced onto any product)")
        echo(f"Product:     {label}")
        echo(f"Stage:       {result.stage}")
        if result.vendor_name:
            echo(f"Vendor:      {result.vendor_name}")
    if result.capability is not None:
        c = result.capability
        echo(f"Capability:  {c.name} [{c.id}] in {c.group} (from the {result.capability_source})")
    echo("")
    echo("Stages tried:")
    for step in result.steps:
        echo(f"  {step.stage:<11} {step.key:<45} -> {step.outcome}")
    if result.candidates:
        echo("")
        echo("Closest candidates:")
        for pid, pname, score in result.candidates:
            echo(f"  {score:5.0f}  {pname} [{pid}]")
    for note in result.notes:
        echo(f"Note: {note}")
