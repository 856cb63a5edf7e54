"""Run the stages in order: load -> normalise -> graph -> analyse, then quality and summary.

``run_analysis`` is what ``estate analyse`` calls; everything the command does is
reachable from Python through it and :func:`estate.report.write_reports`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

import networkx as nx
import pandas as pd

from estate import __version__
from estate.analyse import Analysis, analyse
from estate.catalogue import load_catalogue
from estate.graph import assign_tiers, build_graph
from estate.load import InputFile, load_inventories
from estate.normalise import resolve_products
from estate.quality import DataQuality, assess_quality
from estate.settings import Settings

Progress = Callable[[str], AbstractContextManager]
"""Called with each stage name; the context it returns spans that stage."""


@dataclass
class Summary:
    departments: int
    systems: int
    analysed: int
    quarantined: int
    products_recognised: int
    duplicate_groups: int
    clusters: int
    annual_saving: float | None
    capabilities: int
    clusters_with_saving: int = 0
    partial_saving: float | None = None


@dataclass
class Findings:
    """Everything a run found; the reports and the audit only read this."""

    settings: Settings
    inputs: list[InputFile]
    systems: pd.DataFrame
    graph: nx.DiGraph
    analysis: Analysis
    data_quality: DataQuality
    summary: Summary
    version: str = ""
    generated_at: str = ""
    extra: dict = field(default_factory=dict)


def run_analysis(paths: Sequence[Path], settings: Settings, progress: Progress | None = None,
                 on_systems: Callable[[pd.DataFrame], None] | None = None) -> Findings:
    """Load, normalise, graph and analyse the inventories at ``paths``.

    ``settings.as_of`` (the date waves are planned from) defaults to today and is recorded
    in the returned settings, so a stored run says which date it used. ``on_systems`` is
    called with the systems table as soon as it is final (what ``Findings.systems`` will
    be, before the graph is built), so that a caller can start work that needs only it
    while the graph and the analysis run (:class:`estate.report.SystemsAhead`).
    """
    progress = progress or _silent
    settings = replace(settings, as_of=settings.as_of or date.today())
    with progress("load"):
        loaded = load_inventories(paths, settings)
    with progress("normalise"):
        catalogue = load_catalogue(settings.catalogue)
        normalised = resolve_products(loaded.systems, catalogue, settings)
    with progress("graph"):
        systems = assign_tiers(normalised.systems, settings.assume_classification)
        if on_systems is not None:
            on_systems(systems)
        graph = build_graph(systems, settings, catalogue_products(catalogue))
    with progress("analyse"):
        analysis = analyse(graph, settings, systems=systems)
        findings = sorted([*loaded.findings, *normalised.findings, *graph.graph["findings"],
                           *analysis.findings], key=_finding_order)
        quality = assess_quality(systems, findings)
    return Findings(
        settings=settings,
        inputs=loaded.inputs,
        systems=systems,
        graph=graph,
        analysis=analysis,
        data_quality=quality,
        summary=summarise(systems, analysis),
        version=__version__,
        generated_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
    )


def summarise(systems: pd.DataFrame, analysis: Analysis) -> Summary:
    """Headline figures of a run.

    ``annual_saving`` sums the clusters whose every input is known; a cluster missing one
    cost or user count has none (see docs/settings.md). With thousands of members nearly
    every cluster misses one, so the headline also says how many clusters it covers
    (``clusters_with_saving``) and what the systems with every input in the others would
    save (``partial_saving``, the sum of their ``saving_inputs.partial_saving``)."""
    analysed = systems["status"] == "analysed"
    recognised = systems["product_id"].notna() & ~systems["product_id"].astype("string").str.startswith(
        "unrecognised:", na=False)
    savings = [c.annual_saving for c in analysis.clusters if c.annual_saving is not None]
    partial = [p for c in analysis.clusters if c.annual_saving is None
               and (p := (c.saving_inputs or {}).get("partial_saving")) is not None]
    return Summary(
        departments=int(systems["department"].nunique()),
        systems=len(systems),
        analysed=int(analysed.sum()),
        quarantined=int((~analysed).sum()),
        products_recognised=int(systems.loc[analysed & recognised, "product_id"].nunique()),
        duplicate_groups=len(analysis.duplicates),
        clusters=len(analysis.clusters),
        annual_saving=float(sum(savings)) if savings else None,
        capabilities=int(systems.loc[analysed, "capability_id"].nunique()),
        clusters_with_saving=len(savings),
        partial_saving=round(float(sum(partial)), 2) if partial else None,
    )


def catalogue_products(catalogue) -> pd.DataFrame:
    """Catalogue attributes the graph copies onto product nodes, indexed by product id."""
    return pd.DataFrame(
        [{"product_id": p.id, "strategic": bool(p.strategic), "eol_id": p.eol_id}
         for p in catalogue.products]
    ).set_index("product_id")


def _finding_order(f) -> tuple:
    return (f.file or "", f.line if f.line is not None else -1, f.column or "", f.code, f.message)


@contextmanager
def _silent(stage: str) -> Iterator[None]:
    yield
