"""``estate audit`` and ``estate diff``: scheduled audits with exit codes a scheduler acts on.

Exit codes: 0 nothing worse, 1 worse by the ``--fail-on`` rules, 2 the audit could not
run (any error, a held lock, an unreadable history, an interruption). An uncaught
exception would exit 1 and read as "worse", so every failure here becomes exit code 2.
"""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import sys
from pathlib import Path
from typing import Callable, Iterator

import click

from estate.cli import main
from estate.cli.options import (
    StageProgress, inventory_paths, quiet_option, resolve_paths,
    settings_options,
)
from estate.errors import EstateError

EXIT_OK, EXIT_WORSE, EXIT_FAILED = 0, 1, 2


class AuditFailed(click.ClickException):
    """The audit could not run: exit code 2, never confused with "worse" (1)."""

    exit_code = EXIT_FAILED


@contextlib.contextmanager
def exit_2_on_failure() -> Iterator[None]:
    """Map every failure to one clear message and exit code 2 (SIGTERM included)."""
    previous = _on_sigterm()
    try:
        yield
    except (click.exceptions.Exit, click.exceptions.Abort, AuditFailed):
        raise
    except click.UsageError:
        raise
    except EstateError as exc:
        raise AuditFailed(str(exc)) from None
    except click.ClickException as exc:
        raise AuditFailed(exc.format_message()) from None
    except KeyboardInterrupt:
        raise AuditFailed("interrupted; the history was left as it was before this run") from None
    except Exception as exc:  # noqa: BLE001  (a bug must not read as "estate got worse")
        raise AuditFailed(f"unexpected error ({type(exc).__name__}: {exc}); the history was "
                          "left as it was before this run") from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def exits_2_on_failure(command):
    """:func:`exit_2_on_failure` around a whole command, settings options included."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with exit_2_on_failure():
            return command(*args, **kwargs)
    return wrapper


def _on_sigterm():
    """Turn SIGTERM (systemd stop, CI timeout) into KeyboardInterrupt so that the lock is
    released and the work folder removed on the way out."""
    try:
        def stop(signum, frame):
            raise KeyboardInterrupt
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread
        return None


def _parse_rules(ctx, param, values) -> tuple[str, ...]:
    from estate.audit import DEFAULT_FAIL_ON, check_rules

    if not values:
        return DEFAULT_FAIL_ON
    names = [name for value in values for name in value.split(",")]
    try:
        return check_rules(names)
    except EstateError as exc:
        raise click.BadParameter(str(exc).removeprefix("audit: ")) from None


def fail_on_option(command: Callable) -> Callable:
    return click.option(
        "--fail-on", "fail_on", multiple=True, callback=_parse_rules, metavar="RULES",
        help="Exit 1 when the estate got worse by these rules (comma-separated or repeated): "
             "new-duplicates, saving-drop, quality-drop, any-change, or none. "
             "Default: new-duplicates,quality-drop.")(command)


def format_option(command: Callable) -> Callable:
    return click.option(
        "--format", "output_format", type=click.Choice(["text", "markdown", "json"]),
        default="text", show_default=True, help="How the changes are printed.")(command)


@main.command("audit")
@inventory_paths
@click.option("--history", "history_dir", required=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="History folder: one stored run per audit (created if missing).")
@click.option("--out", "-o", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for report.html, audit.md and the other reports. "
                   "Default: HISTORY/report.")
@fail_on_option
@click.option("--wait", type=click.FloatRange(min=0), default=0, show_default=True,
              metavar="SECONDS",
              help="If another audit holds the history, wait up to this long for it.")
@click.option("--keep", type=click.IntRange(min=1), metavar="N",
              help="Keep only the newest N runs in the history (default: keep all).")
@format_option
@exits_2_on_failure
@settings_options
@quiet_option
def audit_command(paths, history_dir, out_dir, fail_on, wait, keep, output_format, settings,
                  quiet):
    """Analyse, store the run in a history folder and report what changed since the last run.

    Each run is stored under HISTORY/runs/ (a manifest with input hashes, settings, version
    and counts, plus its findings.json); the changes against the previous run are printed
    and written to audit.md and into report.html, with a trend over all stored runs.

    Exit code 0: nothing worse; 1: worse by the --fail-on rules; 2: the audit could not
    run (the history is then left as it was). Safe to run from cron: a second audit on
    the same history waits (--wait) or stops with a message.

    Example:

    \b
        estate audit inventories/ --history /var/lib/estate/history
        estate audit exports/ --history audits --fail-on new-duplicates,saving-drop --wait 600
    """
    from estate.audit import run_audit, text_report

    with exit_2_on_failure():
        inputs = resolve_paths(paths)
        progress = StageProgress(quiet or output_format != "text")
        try:
            result = run_audit(
                inputs, settings, history_dir, fail_on=fail_on, out_dir=out_dir, wait=wait,
                keep=keep, progress=progress,
                notify=None if quiet else _note)
        finally:
            progress.close()
        if not quiet:
            if output_format == "json":
                click.echo(json.dumps({
                    "run": result.run.id,
                    "previous_run": result.previous.id if result.previous else None,
                    "fail_on": list(result.fail_on), "worse": result.worse,
                    "changes": result.diff.to_dict() if result.diff else None,
                    "report": str(result.report_dir / "report.html"),
                }, indent=2, ensure_ascii=False))
            elif output_format == "markdown":
                click.echo(result.markdown, nl=False)
            else:
                if result.diff is None:
                    click.echo(f"first run {result.run.id} stored as the baseline; "
                               "nothing to compare yet")
                else:
                    click.echo(text_report(result.diff, result.worse), nl=False)
                click.echo(f"run stored: {result.run.path}")
                click.echo(f"report: {result.report_dir / 'report.html'}")
    sys.exit(EXIT_WORSE if result.worse else EXIT_OK)


@main.command("diff")
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.option("--history", "history_dir", type=click.Path(path_type=Path, file_okay=False),
              help="History folder, to name stored runs by id, latest, previous or latest~N.")
@click.option("--list", "list_runs", is_flag=True,
              help="List the runs stored in --history with their headline figures.")
@fail_on_option
@format_option
def diff_command(old, new, history_dir, list_runs, fail_on, output_format):
    """Compare two stored runs or findings.json files.

    OLD and NEW are findings.json files, run folders, or (with --history) run ids,
    `latest`, `previous` or `latest~N`. With --history and no OLD/NEW, the previous run
    is compared with the latest; with only OLD, OLD is compared with the latest.

    Exit code 0: nothing worse; 1: NEW is worse than OLD by the --fail-on rules;
    2: the comparison could not be made.

    Example:

    \b
        estate diff --history audits
        estate diff old/findings.json outputs/findings.json --fail-on any-change
        estate diff 20250101 latest --history audits --format markdown
    """
    from estate.audit import History, diff_findings, load_document, markdown_report, text_report

    with exit_2_on_failure():
        if list_runs:
            if history_dir is None:
                raise AuditFailed("--list needs --history DIR")
            click.echo(_run_list(History.open(history_dir).runs()), nl=False)
            return
        if history_dir is not None:
            old = old or ("previous" if new is None else None)
            new = new or "latest"
        if old is None or new is None:
            raise AuditFailed("give OLD and NEW (findings.json files or run folders), "
                              "or --history DIR to compare stored runs")
        old_label, old_doc = load_document(old, history_dir, compact=True, notify=_note)
        new_label, new_doc = load_document(new, history_dir, compact=True, notify=_note)
        diff = diff_findings(old_doc, new_doc, old_label, new_label)
        worse = diff.worse(fail_on)
        if output_format == "json":
            click.echo(json.dumps({"old": old_label, "new": new_label,
                                   "fail_on": list(fail_on), "worse": worse,
                                   "changes": diff.to_dict()}, indent=2, ensure_ascii=False))
        elif output_format == "markdown":
            click.echo(markdown_report(diff, worse, [], title="Estate diff"), nl=False)
        else:
            click.echo(text_report(diff, worse), nl=False)
    sys.exit(EXIT_WORSE if worse else EXIT_OK)


def _note(message: str) -> None:
    """What a person should know that is not a change (on stderr, apart from the report)."""
    click.echo(f"note: {message}", err=True)


def _run_list(runs) -> str:
    from estate.audit.render import fmt

    if not runs:
        return "no runs stored yet\n"
    lines = [f"{'run':<24} {'systems':>8} {'dup groups':>10} {'clusters':>8} "
             f"{'saving':>14} {'quality':>7}  worse"]
    for run in runs:
        c = run.counts
        lines.append(
            f"{run.id:<24} {fmt(c.get('systems')):>8} {fmt(c.get('duplicate_groups')):>10} "
            f"{fmt(c.get('clusters')):>8} {fmt(c.get('annual_saving'), 'annual_saving'):>14} "
            f"{fmt(c.get('data_quality')):>7}  {len(run.manifest.get('worse') or [])}")
    return "\n".join(lines) + "\n"
