"""Small helpers the report writers share: atomic writes, safe file names, safe JSON.

Every output is written to a temporary file in its own folder and then renamed over the
target, so a reader never sees half a report and a failed run never leaves a broken one.
"""

from __future__ import annotations

import hashlib
import re
from itertools import chain
from pathlib import Path
from typing import IO, Callable, Iterator

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
    """Write :func:`dumps_json`'s text for ``data`` to ``path`` in UTF-8, streamed in
    pieces (made in UTF-8: the file needs no encoding pass of its own)."""
    data = _written(data)

    def write(handle: IO[bytes]) -> None:
        for chunk in _json_chunks(data):
            handle.write(chunk)
    return write_with(path, write)


def _compact(value) -> str:
    """The compact JSON text of ``value`` (see :func:`_compact_utf8`)."""
    return _compact_utf8(value).decode()


def _compact_utf8(value) -> bytes:
    """The compact JSON text of ``value`` in UTF-8, rows kept as columns in it (an
    :class:`estate.report.rows.Rows`, at any depth of dicts) written from their columns."""
    utf8 = getattr(value, "json_array_utf8", None)
    if utf8 is not None:
        return utf8()
    if hasattr(value, "json_array"):  # other rows kept as columns
        return value.json_array().encode()
    if _holds_columns(value):
        return _compact_dict(value)
    return json_text(value).encode()


def _compact_dict(value: dict) -> bytes:
    """A dict with rows kept as columns in it: each run of its other items (text keys)
    encoded by one call of the C encoder, as a dict whose braces are then left off."""
    parts, plain = [], {}
    for k, v in value.items():
        if type(k) is str and not _has_columns(v):
            plain[k] = v
            continue
        if plain:
            parts.append(json_text(plain)[1:-1].encode())
            plain = {}
        parts.append(json_text(str(k)).encode() + b": " + _compact_utf8(v))
    if plain:
        parts.append(json_text(plain)[1:-1].encode())
    return b"{" + b", ".join(parts) + b"}"


def _has_columns(value) -> bool:
    return hasattr(value, "json_array") or (type(value) is dict and _holds_columns(value))


def _holds_columns(value) -> bool:
    """Whether ``value`` is a dict with rows kept as columns in it, at any depth."""
    return isinstance(value, dict) and any(map(_has_columns, value.values()))


def _plain_items(items: list) -> bool:
    """Whether no item of ``items`` holds rows kept as columns, judged (in C) on the types
    of the items and, for dicts, of their values: a list of findings is then encoded item
    by item without looking into each."""
    kinds = set(map(type, items))
    if kinds == {dict}:
        kinds = set(map(type, chain.from_iterable(map(dict.values, items))))
    return not any(issubclass(k, dict) or hasattr(k, "json_array") for k in kinds)


LINES_AT_ONCE = 2000
"""Lines of plain list items encoded together (one encoding and one write per run)."""


def _json_chunks(data: dict) -> Iterator[bytes]:
    """The UTF-8 text of :func:`dumps_json` in pieces of about one list item, or a run of
    list items, each."""
    def block(value, pad: str, depth: int):
        inner = pad + "  "
        if hasattr(value, "json_block_utf8"):
            yield from value.json_block_utf8(pad)
        elif isinstance(value, list) and value:
            yield b"[\n"
            last = len(value) - 1
            plain = _plain_items(value)  # then no item needs a look of its own
            lines: list[str] = []
            for i, item in enumerate(value):
                end = ",\n" if i < last else "\n"
                if not plain and (hasattr(item, "json_array") or _holds_columns(item)):
                    if lines:
                        yield "".join(lines).encode()
                        lines = []
                    yield inner.encode() + _compact_utf8(item) + end.encode()
                    continue
                lines.append(inner + json_text(item) + end)
                if len(lines) == LINES_AT_ONCE:
                    yield "".join(lines).encode()
                    lines = []
            yield ("".join(lines) + pad + "]").encode()
        elif isinstance(value, dict) and value and depth < 2:
            yield b"{\n"
            last = len(value) - 1
            for i, (k, v) in enumerate(value.items()):
                yield f"{inner}{json_text(str(k))}: ".encode()
                yield from block(v, inner, depth + 1)
                yield b",\n" if i < last else b"\n"
            yield (pad + "}").encode()
        else:
            yield _compact_utf8(value)

    yield from block(data, "", 0)
    yield b"\n"


def dumps_json(data: dict) -> str:
    """Deterministic, diff-friendly JSON: one line per top-level key or nested key, and one
    line per item of a list (a system, a cluster, a finding).

    Indenting every value is ten times slower with the standard library (its C encoder
    only runs without ``indent``) and makes a million-row file unwieldy; findings.json is
    this text, written by :func:`write_json` without holding it whole."""
    return b"".join(_json_chunks(_written(data))).decode()
