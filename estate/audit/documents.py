"""Find and check the findings documents a diff compares: files, run folders, run ids."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from estate.audit._files import read_json
from estate.audit.diff import COMPARISON_FORMAT
from estate.audit.history import MARKER, History, RunRecord
from estate.errors import AuditError

READABLE_SCHEMA_MAJOR = 2
"""The newest findings.json schema this estate reads. It reads every 1.x and 2.x: the diff
reads only what both have (systems by department and system id, members by the same,
cluster targets, figures, data quality), and keys a document lacks read as empty, so
the first audit after an upgrade compares with the last run's 1.0 file."""


def check_document(document: dict, where: str) -> dict:
    """Refuse what is not a findings document, or one from a newer, incompatible schema."""
    version = document.get("schema_version")
    if version is None or "summary" not in document:
        raise AuditError("not a findings.json document (it has no schema_version or "
                         "summary)", file=where)
    try:
        major = int(str(version).split(".")[0])
    except ValueError:
        raise AuditError(f"unknown findings schema_version {version!r}", file=where) from None
    if major > READABLE_SCHEMA_MAJOR:
        raise AuditError(
            f"findings schema {version} was written by a newer estate "
            f"({document.get('version', '?')}); this estate reads schema 1.x to "
            f"{READABLE_SCHEMA_MAJOR}.x: upgrade estate", file=where)
    return document


def stored_comparison(run: RunRecord, notify: Callable[[str], None] | None = None) -> dict:
    """What the diff reads of a stored run: its comparison.json, else (a run stored
    before estate wrote one, or one that cannot be read: ``notify`` is told) its
    findings.json, which holds the same and more."""
    path = run.comparison_path
    if path.is_file():
        try:
            document = check_document(read_json(path, f"comparison of run {run.id}"), str(path))
            if document.get("comparison_format") != COMPARISON_FORMAT:
                raise AuditError(f"comparison_format {document.get('comparison_format')!r} "
                                 f"is not {COMPARISON_FORMAT}", file=str(path))
            return document
        except AuditError as exc:
            if notify is not None:
                notify(f"{exc}; compared with the run's findings.json instead")
    return check_document(run.read_findings(), str(run.findings_path))


def load_document(ref: str, history: Path | None = None, compact: bool = False,
                  notify: Callable[[str], None] | None = None) -> tuple[str, dict]:
    """``(label, document)`` for a findings.json file, a run folder, or a run reference.

    A run reference (a run id or its unique start, ``latest``, ``previous``,
    ``latest~N``) needs ``history``; an existing path wins over a run reference. With
    ``compact``, a stored run gives only what the diff reads (see
    :func:`stored_comparison`).
    """
    path = Path(ref)
    if path.is_file():
        return str(path), check_document(read_json(path, "findings file"), str(path))
    if path.is_dir():
        if (path / "findings.json").is_file():
            found = path / "findings.json"
            return path.name, check_document(read_json(found, "findings file"), str(found))
        if (path / MARKER).is_file():
            raise AuditError("this is a history folder: pass it as --history and name the "
                             "runs to compare (e.g. previous latest)", file=str(path))
        raise AuditError("no findings.json in this folder", file=str(path))
    if history is None:
        raise AuditError(f"{ref!r} is not a file or folder; to name a stored run, "
                         "give --history DIR too")
    run = History.open(history).resolve(ref)
    if compact:
        return run.id, stored_comparison(run, notify)
    return run.id, check_document(run.read_findings(), str(run.findings_path))
