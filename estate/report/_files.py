"""Small helpers the report writers share: atomic writes, safe file names, safe JSON.

Every output is written to a temporary file in its own folder and then renamed over the
target, so a reader never sees half a report and a failed run never leaves a broken one.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import IO, Callable

from estate import files
from estate.errors import ReportError
from estate.report.rows import json_text

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def write_with(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    """:func:`estate.files.write_with` for report files (errors are ``ReportError``)."""
    return files.write_with(path, write, error=ReportError)


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, then rename)."""
    return write_with(path, lambda handle: handle.write(data))


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes(path, text.encode(encoding))


def file_slug(text: str, taken: set[str] | None = None) -> str:
    """A file-name-safe, readable slug; unique within ``taken`` (which it updates).

    Two different names that slug alike ("A/B" and "A B") get a short hash suffix, so
    every cluster or department keeps its own page.
    """
    base = _UNSAFE.sub("-", str(text)).strip("-.")[:80] or "item"
    slug = base
    if taken is not None:
        if slug.lower() in taken:
            digest = hashlib.sha256(str(text).encode("utf-8")).hexdigest()[:8]
            slug = f"{base}-{digest}"
        taken.add(slug.lower())
    return slug


def _written(data: dict) -> dict:
    """What the file holds of ``data``: a findings document (which holds more in memory)
    gives its ``json_document()``."""
    shaped = getattr(data, "json_document", None)
    return shaped() if callable(shaped) else data


def write_json(path: Path, data: dict) -> Path:
    """Write :func:`dumps_json`'s text for ``data`` to ``path``, streamed item by item."""
    data = _written(data)

    def write(handle: IO[bytes]) -> None:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="\n")
        for chunk in _json_chunks(data):
            text.write(chunk)
        text.flush()
        text.detach()  # the caller closes the file
    return write_with(path, write)


def _compact(value) -> str:
    if hasattr(value, "json_array"):  # rows kept as columns (estate.report.rows.Rows)
        return value.json_array()
    if _holds_columns(value):
        return _compact_dict(value)
    return json_text(value)


def _compact_dict(value: dict) -> str:
    """A dict with rows kept as columns in it: each run of its other items (text keys)
    encoded by one call of the C encoder, as a dict whose braces are then left off."""
    parts, plain = [], {}
    for k, v in value.items():
        if type(k) is str and not _has_columns(v):
            plain[k] = v
            continue
        if plain:
            parts.append(json_text(plain)[1:-1])
            plain = {}
        parts.append(f"{_compact(str(k))}: {_compact(v)}")
    if plain:
        parts.append(json_text(plain)[1:-1])
    return "{" + ", ".join(parts) + "}"


def _has_columns(value) -> bool:
    return hasattr(value, "json_array") or (type(value) is dict and _holds_columns(value))


def _holds_columns(value) -> bool:
    """Whether ``value`` is a dict with rows kept as columns in it, at any depth."""
    return isinstance(value, dict) and any(map(_has_columns, value.values()))


def _json_chunks(data: dict):
    """The text of :func:`dumps_json` in pieces of about one list item each."""
    def block(value, pad: str, depth: int):
        inner = pad + "  "
        if hasattr(value, "json_block"):
            yield from value.json_block(pad)
        elif isinstance(value, list) and value:
            yield "[\n"
            last = len(value) - 1
            for i, item in enumerate(value):
                yield inner + _compact(item) + (",\n" if i < last else "\n")
            yield pad + "]"
        elif isinstance(value, dict) and value and depth < 2:
            yield "{\n"
            last = len(value) - 1
            for i, (k, v) in enumerate(value.items()):
                yield f"{inner}{_compact(str(k))}: "
                yield from block(v, inner, depth + 1)
                yield ",\n" if i < last else "\n"
            yield pad + "}"
        else:
            yield _compact(value)

    yield from block(data, "", 0)
    yield "\n"


def dumps_json(data: dict) -> str:
    """Deterministic, diff-friendly JSON: one line per top-level key or nested key, and one
    line per item of a list (a system, a cluster, a finding).

    Indenting every value is ten times slower with the standard library (its C encoder
    only runs without ``indent``) and makes a million-row file unwieldy; findings.json is
    this text, written by :func:`write_json` without holding it whole.
    """
    return "".join(_json_chunks(_written(data)))
