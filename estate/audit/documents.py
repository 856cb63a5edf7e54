"""Find and check the findings documents a diff compares: files, run folders, run ids."""

from __future__ import annotations

from pathlib import Path

from estate.audit._files import read_json
from estate.audit.history import MARKER, History
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


def load_document(ref: str, history: Path | None = None) -> tuple[str, dict]:
    """``(label, document)`` for a findings.json file, a run folder, or a run reference.

    A run reference (a run id or its unique start, ``latest``, ``previous``,
    ``latest~N``) needs ``history``; an existing path wins over a run reference.
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
    return run.id, check_document(run.read_findings(), str(run.findings_path))
