"""Write the outputs of a run: report.html, the graphs, findings.json, CSV, Markdown, Excel.

``write_reports(findings, out_dir)`` is the one public entry point. The reports only read
the findings; every file is written atomically, and the same findings give the same bytes
(only ``generated_at`` changes between runs of the same inputs).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from estate.memory import heap_frozen, release_free_memory
from estate.parallel import Background, Jobs
from estate.report._files import write_json, write_text
from estate.report.ahead import SystemsAhead, WrittenAhead, place_systems_csv
from estate.report.graphs import write_graphs
from estate.report.html import render_report
from estate.report.model import SCHEMA_VERSION, build_document
from estate.report.rows import Rows
from estate.report.tables import (findings_frame, summary_markdown, write_clusters_csv,
                                  write_csv, write_systems_csv)
from estate.report.xlsx import write_proposals

if TYPE_CHECKING:
    from estate.pipeline import Findings

__all__ = ["ReportFiles", "ReportSection", "SCHEMA_VERSION", "SystemsAhead", "build_document",
           "write_reports"]


@dataclass(frozen=True)
class ReportSection:
    """An extra section of report.html written by a stage above the reports (the audit).

    ``html`` is an already-escaped ``<section id="...">`` element whose id is ``id``; it is
    placed at the end of the page as it is and linked from the navigation under ``title``.
    """

    id: str
    title: str
    html: str


@dataclass
class ReportFiles:
    """The files one call of :func:`write_reports` wrote."""

    out_dir: Path
    report_html: Path
    estate_graph: Path
    data_flow: Path
    findings_json: Path
    systems_csv: Path
    clusters_csv: Path
    data_quality_csv: Path
    summary_md: Path
    proposals_xlsx: Path
    vis_js: Path
    cluster_graphs: dict[str, Path] = field(default_factory=dict)
    department_graphs: dict[str, Path] = field(default_factory=dict)
    removed: list[Path] = field(default_factory=list)

    def all(self) -> list[Path]:
        fixed = [self.report_html, self.estate_graph, self.data_flow, self.findings_json,
                 self.systems_csv, self.clusters_csv, self.data_quality_csv, self.summary_md,
                 self.proposals_xlsx, self.vis_js]
        return sorted([*fixed, *self.cluster_graphs.values(), *self.department_graphs.values()])


def write_reports(findings: "Findings", out_dir: Path, sections: Sequence[ReportSection] = (),
                  document: dict | None = None, ahead: SystemsAhead | None = None
                  ) -> ReportFiles:
    """Write every output into ``out_dir`` (created if needed) and say what was written.

    Graph pages in ``clusters/`` and ``departments/`` left by an earlier run that this run
    did not write are removed, so no page describes a cluster that no longer exists.
    ``document`` is the findings document when the caller has already built it;
    ``ahead``, the system tables started for this output folder while the findings were
    worked out (see :mod:`estate.report.ahead`), used when they are of
    ``findings.systems``.
    """
    with _frozen_heap():
        return _write_reports(findings, Path(out_dir), sections, document, ahead)


@contextmanager
def _frozen_heap():
    """The objects that exist already (the findings, the graph) left out of garbage
    collection while the reports are written: the writers make millions of short-lived
    objects, and each full collection would walk the whole graph again. It also keeps the
    forked child from writing to the pages it shares with this process."""
    if heap_frozen():  # frozen by the caller already
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _write_reports(findings: "Findings", out: Path, sections: Sequence[ReportSection],
                   document: dict | None, ahead: SystemsAhead | None) -> ReportFiles:
    doc = document if document is not None else build_document(findings, defer=True)
    # The writers only read the findings: on a machine with two cores a forked copy of
    # this process draws the graph pages while this one writes findings.json and what
    # reads the deferred keys; the files either may write go to whichever is free first.
    pending = ahead is not None and ahead.covers(findings.systems)
    shared = Jobs(SHARED if not pending else [n for n in SHARED if n != "systems_csv"])
    try:
        pages = Background(lambda: _write_pages(findings, doc, out, shared))
        try:
            if hasattr(doc, "complete"):
                doc.complete()  # what only this half reads (see model.DEFERRABLE)
            written = _written_ahead(doc, findings, ahead) if pending else None
            tables = dict(findings_json=write_json(out / "findings.json", doc))
            # systems.csv now, while the codes findings.json made are at hand; then they go
            if pending:
                tables.update(systems_csv=_systems_csv(doc, out, written))
            else:
                tables.update(_write_shared(shared, doc, out, last=True, most=1))
            _release(doc, ("systems",))
            tables.update(
                data_quality_csv=write_csv(out / "data-quality.csv", findings_frame(doc)),
                summary_md=write_text(out / "summary.md", summary_markdown(doc)),
                report_html=write_text(out / "report.html",
                                       render_report(doc, findings, sections)),
            )
            tables.update(_write_shared(shared, doc, out, last=True))
            _release(doc)  # before waiting: the child may still be writing
        except BaseException:
            with suppress(Exception):  # the first error is the one to report
                pages.result()
            raise
        drawn = pages.result()
    finally:
        shared.close()
    files = ReportFiles(out_dir=out, **drawn, **tables)
    files.removed = _remove_stale(out, files)
    return files


def _written_ahead(doc: dict, findings: "Findings", ahead: SystemsAhead
                   ) -> WrittenAhead | None:
    """What ``ahead`` wrote of these findings' systems, taken up by the document's systems
    table (None when nothing was, and the tables are written here)."""
    systems = doc.get("systems")
    written = ahead.result(findings.systems)
    if written is None or not isinstance(systems, Rows) or systems.frame is not findings.systems:
        return None
    systems.use_ahead(written.texts)
    return written


def _systems_csv(doc: dict, out: Path, ahead: WrittenAhead | None = None) -> Path:
    """systems.csv: moved into place when it was written ``ahead``, else written here."""
    if ahead is not None:
        return place_systems_csv(ahead, out / "systems.csv")
    return write_systems_csv(out / "systems.csv", doc)


SHARED = ("proposals_xlsx", "clusters_csv", "systems_csv")
"""The files either side of the reports may write: they read nothing that
:meth:`~estate.report.model.Document.complete` fills in. The child takes them from the
first on once its pages are drawn; this process from the last back: one right after
findings.json, the others once the files that need the completed document are written.
systems.csv reads what findings.json has just factorised and sorted (in the child it
costs half as much again), so it is this process's first choice and the child's last:
written straight after findings.json, its codes are dropped before the rest is written
rather than held to the end. When it is being written ahead (see
:mod:`estate.report.ahead`) it is not shared: this process moves it into place. The
workbook costs the same on either side. Each side takes
the next file only when it is free, so neither waits for the other but at the end, and
the two finish close together."""


def _write_shared(jobs: Jobs, doc: dict, out: Path, last: bool = False,
                  most: int | None = None) -> dict[str, Path]:
    """Each file of ``jobs`` this side takes (see :meth:`Jobs.take`; ``most`` of them at
    the most), written; the paths by ReportFiles field."""
    written = {}
    for name in islice(jobs.taking(last), most):
        if name == "systems_csv":
            written[name] = _systems_csv(doc, out)
        elif name == "clusters_csv":
            written[name] = write_clusters_csv(out / "clusters.csv", doc)
        else:
            written[name] = write_proposals(doc, out / "proposals.xlsx")
    return written


def _release(doc: dict, keys: Sequence[str] | None = None) -> None:
    """The writers' caches on ``doc`` (on its tables under ``keys``; all when None)
    dropped and the freed memory handed back, so that a process holds little more than
    the findings while the other half still writes."""
    if hasattr(doc, "forget_caches"):
        doc.forget_caches(keys)
    release_free_memory()


def _write_pages(findings: "Findings", doc: dict, out: Path, shared: Jobs) -> dict:
    """The graph pages, then the shared files this side takes: the half of the reports
    run in the background."""
    graphs = write_graphs(findings, doc, out)
    release_free_memory()
    drawn = dict(
        estate_graph=graphs["estate_graph"],
        vis_js=graphs["vis_js"],
        data_flow=graphs["data_flow"],
        cluster_graphs=graphs["clusters"],
        department_graphs=graphs["departments"],
    )
    drawn.update(_write_shared(shared, doc, out))
    return drawn


def _remove_stale(out: Path, files: ReportFiles) -> list[Path]:
    """The pages in ``clusters/`` and ``departments/`` that this run did not write,
    removed. Paths are compared with their folders resolved (one call per folder, not
    one per page: a run writes hundreds of pages)."""
    folders: dict[Path, Path] = {}

    def real(folder: Path) -> Path:
        found = folders.get(folder)
        if found is None:
            found = folders[folder] = folder.resolve()
        return found

    keep = {real(p.parent) / p.name for p in files.all()}
    removed = []
    for folder in ("clusters", "departments"):
        for page in sorted((out / folder).glob("*.html")):
            if real(page.parent) / page.name not in keep:
                page.unlink(missing_ok=True)
                removed.append(page)
    return removed
