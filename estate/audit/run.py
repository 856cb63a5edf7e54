"""One audit: analyse, store the run in the history, compare it with the run before.

The steps, all while holding the history lock:

1. check the history and read the previous run (an unreadable history fails before the
   analysis, not after minutes of it);
2. analyse the inventories and build the findings document;
3. in ``.staging/<run-id>``: write findings.json, comparison.json (what the next audit's
   diff reads of this run), changes.json, audit.md and the reports, manifest.json last;
4. rename the run folder into ``runs/`` (the run now exists), then copy the reports to
   the report folder, each file atomically, report.html last.

A failure or a kill before step 4 leaves ``runs/`` as it was.
"""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from estate import __version__
from estate.audit._files import keep_copy, publish_folder, write_json, write_text
from estate.audit.diff import (DEFAULT_FAIL_ON, FAIL_RULES, FindingsDiff, comparable,
                               diff_findings, headline)
from estate.audit.documents import stored_comparison
from estate.audit.history import (COMPARISON, HISTORY_FORMAT, REPORT, History, RunRecord,
                                  new_run_id)
from estate.audit.render import html_section, markdown_report
from estate.errors import AuditError


@dataclass
class AuditResult:
    """What an audit stored and found; ``worse`` empty means exit code 0."""

    run: RunRecord
    previous: RunRecord | None
    diff: FindingsDiff | None
    worse: list[str]
    fail_on: tuple[str, ...]
    trend: list[dict]
    report_dir: Path | None
    markdown: str
    notes: list[str] = field(default_factory=list)


def check_rules(rules: Sequence[str]) -> tuple[str, ...]:
    """Validate ``--fail-on`` rule names (``none`` alone means no rule)."""
    rules = tuple(dict.fromkeys(r.strip() for r in rules if r.strip()))
    if rules == ("none",):
        return ()
    unknown = [r for r in rules if r not in FAIL_RULES]
    if unknown:
        raise AuditError(f"unknown --fail-on rule(s): {', '.join(unknown)}; choose from "
                         f"{', '.join(FAIL_RULES)} or none")
    return rules


def trend_row(run_id: str, generated_at: str | None, counts: dict) -> dict:
    return {"run_id": run_id, "generated_at": generated_at, **counts}


def run_audit(
    paths: Sequence[Path],
    settings,
    history_dir: Path,
    *,
    fail_on: Sequence[str] = DEFAULT_FAIL_ON,
    out_dir: Path | None = None,
    wait: float = 0.0,
    keep: int | None = None,
    progress: Callable | None = None,
    analyse: Callable | None = None,
    write_reports: Callable | None = None,
    notify: Callable[[str], None] | None = None,
) -> AuditResult:
    """Run one audit of the inventories at ``paths`` into the history at ``history_dir``.

    ``out_dir`` receives the reports (default ``<history>/report``); ``keep`` deletes all
    but the newest ``keep`` runs afterwards. ``analyse`` and ``write_reports`` default to
    :func:`estate.pipeline.run_analysis` and :func:`estate.report.write_reports`.
    ``notify`` is told about things a person should know that are not changes (a stale
    lock taken over, an unfinished run cleared).
    """
    rules = check_rules(fail_on)
    if keep is not None and keep < 1:
        raise AuditError("--keep must be at least 1")
    # the system tables are started ahead only for the pipeline's own analysis and
    # reports, which know of it (see estate.report.ahead)
    tables_ahead = analyse is None and write_reports is None
    if analyse is None:
        from estate.pipeline import run_analysis as analyse
    if write_reports is None:
        from estate.report import write_reports
    from estate.report import ReportSection, SystemsAhead, build_document

    notes: list[str] = []

    def note(message: str) -> None:
        notes.append(message)
        if notify:
            notify(message)

    progress = progress or _silent
    history = History.open(history_dir, create=True)
    out_dir = Path(out_dir) if out_dir is not None else history.root / REPORT
    with history.lock(wait=wait, on_stale=note), ExitStack() as stack:
        left = history.clear_staging()
        if left:
            note(f"cleared an unfinished run left by an audit that did not finish: "
                 f"{', '.join(left)}")
        runs = history.runs()
        previous = runs[-1] if runs else None
        previous_doc = stored_comparison(previous, note) if previous else None

        started = _now()
        if tables_ahead:  # in the history folder: the reports move them into the run's
            ahead = stack.enter_context(SystemsAhead(history.root))
            findings = analyse(list(paths), settings, progress, on_systems=ahead.start)
            report_options = {"ahead": ahead}
        else:
            findings = analyse(list(paths), settings, progress)
            report_options = {}
        document = build_document(findings)
        comparison = comparable(document)
        run_id = new_run_id(previous=previous.id if previous else None)
        work = history.begin(run_id)
        try:
            diff = (diff_findings(previous_doc, comparison, previous.id, run_id)
                    if previous else None)
            del previous_doc  # held through the reports, it cost a gigabyte at 1M rows
            worse = diff.worse(rules) if diff else []
            counts = headline(document)
            trend = [trend_row(r.id, r.manifest.get("generated_at"), r.counts) for r in runs]
            trend.append(trend_row(run_id, document.get("generated_at"), counts))
            markdown = markdown_report(diff, worse if diff else None, trend,
                                       title=f"Estate audit {run_id}")
            run_dir, report_dir = work / "run", work / "report"
            if diff is not None:
                write_json(run_dir / "changes.json", {
                    "previous_run": previous.id, "run": run_id, "fail_on": list(rules),
                    "worse": worse, "changes": diff.to_dict()})
            write_text(run_dir / "audit.md", markdown)
            write_json(run_dir / COMPARISON, comparison, compact=True)
            del comparison  # the next audit reads it from there
            with progress("report"):
                section = ReportSection("audit", "Audit",
                                        html_section(diff, worse if diff else None, trend))
                write_reports(findings, report_dir, sections=[section], document=document,
                              **report_options)
                # the staged report's findings.json is only ever copied from, then deleted
                keep_copy(report_dir / "findings.json", run_dir / "findings.json")
                write_text(report_dir / "audit.md", markdown)
            write_json(run_dir / "manifest.json", {
                "history_format": HISTORY_FORMAT,
                "run_id": run_id,
                "estate_version": __version__,
                "findings_schema_version": document.get("schema_version"),
                "started_at": started,
                "finished_at": _now(),
                "generated_at": document.get("generated_at"),
                "previous_run": previous.id if previous else None,
                "inputs": document.get("inputs", []),
                "settings": document.get("settings", {}),
                "counts": counts,
                "fail_on": list(rules),
                "worse": worse,
            })
            run = history.commit(run_dir, run_id)
            publish_folder(report_dir, out_dir)
            if keep:
                pruned = history.prune(keep)
                if pruned:
                    note(f"deleted {len(pruned)} old run(s) to keep the newest {keep}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return AuditResult(run=run, previous=previous, diff=diff, worse=worse, fail_on=rules,
                       trend=trend, report_dir=out_dir, markdown=markdown, notes=notes)


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class _silent:
    def __init__(self, stage: str) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None
