"""Reading the small files a user hands in, and atomic writes of outputs.

User files (catalogue, header mapping, standards) come from spreadsheets: they are read as
UTF-8 (with or without BOM) or else Windows-1252, and a file that cannot be read stops the
run with one message naming it. Every output is written to a temporary file in its own folder and then renamed over its
target, so a reader never sees half a file and a failed or killed run leaves the old file
in place. ``durable`` also flushes the data and the rename to disk, which the audit
history needs because it runs unattended and may lose power.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Callable

from estate.errors import EstateError


def read_user_text(path: Path, what: str, error: type[EstateError]) -> str:
    """The text of a user's ``what`` file (e.g. "mapping file"), or ``error`` naming it."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"{what} not found", file=str(path)) from None
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror or exc}", file=str(path)) from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise error(f"the {what} is neither UTF-8 nor Windows-1252 text", file=str(path))


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


_FILE_MODE = 0o666 & ~_umask()


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_with(path: Path, write: Callable[[IO[bytes]], object], *,
               error: type[EstateError] = EstateError, durable: bool = False) -> Path:
    """Call ``write`` with a binary handle on a temp file beside ``path``, then rename it
    over ``path``; large outputs are streamed, never held whole in memory. A failure is
    raised as ``error`` naming the file, and the temp file is removed."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, _FILE_MODE)  # mkstemp makes it private; outputs are ordinary files
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise error(f"cannot write: {exc.strerror or exc}", file=str(path)) from None
    if durable:
        fsync_dir(path.parent)
    return path


def copy_with(source: Path, target: Path, **options) -> Path:
    """Copy ``source`` over ``target`` atomically (works across file systems)."""
    def copy(handle: IO[bytes]) -> None:
        with open(source, "rb") as src:
            shutil.copyfileobj(src, handle)
    return write_with(target, copy, **options)
