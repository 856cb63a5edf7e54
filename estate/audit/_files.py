"""Atomic, durable file writes for the history folder.

An audit runs unattended and may be killed at any moment, so every file is written to a
temporary name in its own folder, flushed to disk and then renamed over its target: a
reader (or the next audit) sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from estate import files
from estate.errors import AuditError
from estate.files import fsync_dir


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and durably: temp file, fsync, rename."""
    return files.write_with(path, lambda handle: handle.write(data), error=AuditError,
                            durable=True)


def write_text(path: Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def dumps_json(data, compact: bool = False) -> str:
    """Deterministic JSON text (UTF-8, no NaN): indented to read, or ``compact`` for a
    file only programs read (no line per list item)."""
    if compact:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False) + "\n"
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def write_json(path: Path, data, compact: bool = False) -> Path:
    return write_text(path, dumps_json(data, compact))


def read_json(path: Path, what: str) -> dict:
    """Read a JSON object, or raise an :class:`AuditError` that names the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuditError(f"{what} not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(f"cannot read the {what}: {exc}", file=str(path)) from None
    except json.JSONDecodeError as exc:
        raise AuditError(f"the {what} is not valid JSON (line {exc.lineno}): {exc.msg}",
                         file=str(path)) from None
    if not isinstance(data, dict):
        raise AuditError(f"the {what} is not a JSON object", file=str(path))
    return data


def copy_file(source: Path, target: Path) -> None:
    """Copy one file over ``target`` atomically and durably (works across file systems)."""
    files.copy_with(source, target, error=AuditError, durable=True)


def keep_copy(source: Path, target: Path) -> None:
    """``target`` with the contents of ``source``, which nothing writes to afterwards: a
    second name for the same file (flushed to disk first) where the file system allows,
    else a copy. A run's findings.json is 1.6 GB at a million systems, and copying it
    took 8 s."""
    source, target = Path(source), Path(target)
    try:
        with open(source, "rb") as handle:
            os.fsync(handle.fileno())
        os.link(source, target)
    except OSError:  # no hard links here, another file system, or a target in the way
        copy_file(source, target)
        return
    fsync_dir(target.parent)


def publish_folder(source: Path, target: Path) -> None:
    """Copy every file of ``source`` into ``target``, each atomically, ``report.html`` last.

    The dashboard is replaced last so that it never links to a page not yet written.
    In the sub-folders of ``source`` (``clusters/``, ``departments/``) pages an earlier
    run left in ``target`` are removed, so no page describes a cluster that is gone;
    other files in ``target`` itself are left alone.
    """
    source, target = Path(source), Path(target)
    files = sorted(p for p in source.rglob("*") if p.is_file())
    files.sort(key=lambda p: p.name == "report.html")
    for path in files:
        copy_file(path, target / path.relative_to(source))
    wanted = {p.relative_to(source) for p in files}
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        old = target / folder.name
        for path in sorted(p for p in old.rglob("*") if p.is_file()):
            if path.relative_to(target) not in wanted:
                path.unlink(missing_ok=True)
    fsync_dir(target)
