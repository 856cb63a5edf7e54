"""The history folder: stored runs, their manifests, and the lock that serialises audits.

Layout (``HISTORY_FORMAT`` 1)::

    <history>/estate-history.json      format marker (format "estate-history", format_version)
    <history>/audit.lock               present while an audit runs: pid, host, start time
    <history>/runs/<run-id>/           one folder per finished run, never changed afterwards
        manifest.json                  inputs with hashes, settings, version, counts
        findings.json                  the run's findings document (docs/findings-schema.md)
        changes.json, audit.md         the changes against the run before it
    <history>/.staging/                work folder of the audit that holds the lock
    <history>/report/                  report.html, audit.md, ... of the latest run (default --out)

A run is written in ``.staging`` and renamed into ``runs/`` as its very last step, so an
audit that crashes or is killed leaves ``runs/`` exactly as it was; the next audit clears
what it left in ``.staging``. The list of runs is the folder listing, so there is no index
file that could disagree with it. Run ids begin with the UTC start time and sort in
run order.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from estate import __version__
from estate.audit._files import fsync_dir, read_json, write_json
from estate.errors import AuditError

HISTORY_FORMAT = 1
"""Version of the folder layout and manifest; bump it when either changes meaning."""
READABLE_FORMATS = (1,)
MARKER = "estate-history.json"
RUNS = "runs"
STAGING = ".staging"
LOCK = "audit.lock"
REPORT = "report"
COMPARISON = "comparison.json"
_GONE = object()


def new_run_id(now: datetime | None = None, previous: str | None = None) -> str:
    """``YYYYMMDDTHHMMSSZ-NNN``: sorts in the order the runs were made.

    Runs are made under the history lock, so the sequence number only has to follow the
    ``previous`` run's: it counts up within one second, and a clock that went backwards
    keeps the previous stamp rather than sorting the new run before the old one.
    """
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    if previous:
        last_stamp, _, last_seq = previous.partition("-")
        if last_stamp >= stamp:
            number = int(last_seq) + 1 if last_seq.isdigit() else 1
            return f"{last_stamp}-{number:03d}"
    return f"{stamp}-001"


@dataclass(frozen=True)
class RunRecord:
    """One stored run: its folder and its manifest."""

    id: str
    path: Path
    manifest: dict

    @property
    def findings_path(self) -> Path:
        return self.path / "findings.json"

    def read_findings(self) -> dict:
        return read_json(self.findings_path, f"findings of run {self.id}")

    @property
    def comparison_path(self) -> Path:
        """What the diff reads of this run (see :func:`estate.audit.diff.comparable`);
        runs stored before estate wrote it have only their findings.json."""
        return self.path / COMPARISON

    @property
    def counts(self) -> dict:
        return dict(self.manifest.get("counts") or {})


class History:
    """A history folder; :meth:`open` checks it is one this version can read."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def runs_dir(self) -> Path:
        return self.root / RUNS

    @property
    def staging_dir(self) -> Path:
        return self.root / STAGING

    @property
    def lock_path(self) -> Path:
        return self.root / LOCK

    @classmethod
    def open(cls, root: Path, create: bool = False) -> "History":
        """Open the history at ``root``, creating it when ``create`` and it does not exist.

        A folder that holds other things, or a history written in a format this version
        cannot read, is refused with a message that says what to do: an audit must never
        mix its runs into somebody else's folder or misread an older layout.
        """
        root = Path(root)
        history = cls(root)
        marker = root / MARKER
        if marker.is_file():
            history._check_marker(read_json(marker, "history format file"))
            return history
        if root.exists() and not root.is_dir():
            raise AuditError("the history path is a file, not a folder", file=str(root))
        if root.is_dir() and any(not _being_created(p.name) for p in root.iterdir()):
            raise AuditError(
                f"this folder is not an estate history (it has no {MARKER}); "
                "give --history an empty or new folder", file=str(root))
        if not create:
            raise AuditError("no estate history here (run `estate audit` to start one)",
                             file=str(root))
        try:
            (root / RUNS).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AuditError(f"cannot create the history folder: {exc.strerror or exc}",
                             file=str(root)) from None
        write_json(marker, {
            "format": "estate-history",
            "format_version": HISTORY_FORMAT,
            "created_by": f"estate {__version__}",
            "created_at": _now(),
        })
        return history

    def _check_marker(self, data: dict) -> None:
        where = str(self.root / MARKER)
        if data.get("format") != "estate-history":
            raise AuditError("not an estate history format file", file=where)
        version = data.get("format_version")
        if not isinstance(version, int):
            raise AuditError("the history format file has no format_version", file=where)
        if version > HISTORY_FORMAT:
            raise AuditError(
                f"this history was written by a newer estate ({data.get('created_by', '?')}, "
                f"history format {version}); this is estate {__version__}, which reads "
                f"format {HISTORY_FORMAT}: upgrade estate", file=where)
        if version not in READABLE_FORMATS:
            raise AuditError(
                f"this history uses the old history format {version}, which estate "
                f"{__version__} can no longer read; keep it for reference and start a new "
                "history folder", file=where)

    def runs(self) -> list[RunRecord]:
        """Every finished run, oldest first. A run folder without a readable manifest
        stops the audit: runs are only ever renamed in whole, so one is a sign that
        somebody changed the folder by hand."""
        if not self.runs_dir.is_dir():
            return []
        records = []
        for path in sorted(p for p in self.runs_dir.iterdir() if not p.name.startswith(".")):
            if not path.is_dir():
                continue
            manifest = read_json(path / "manifest.json", f"manifest of run {path.name}")
            version = manifest.get("history_format")
            if isinstance(version, int) and version > HISTORY_FORMAT:
                raise AuditError(
                    f"run {path.name} was written by a newer estate (history format "
                    f"{version}); upgrade estate", file=str(path / "manifest.json"))
            records.append(RunRecord(path.name, path, manifest))
        return records

    def latest(self) -> RunRecord | None:
        runs = self.runs()
        return runs[-1] if runs else None

    def resolve(self, ref: str) -> RunRecord:
        """A run by id, unique id prefix, ``latest``, ``previous`` or ``latest~N``."""
        runs = self.runs()
        if not runs:
            raise AuditError("the history has no runs yet", file=str(self.root))
        match = re.fullmatch(r"latest(?:~(\d+))?|previous", ref)
        if match:
            back = 1 if ref == "previous" else int(match.group(1) or 0)
            if back >= len(runs):
                raise AuditError(f"{ref!r}: the history has only {len(runs)} run(s)",
                                 file=str(self.root))
            return runs[-1 - back]
        found = [r for r in runs if r.id.startswith(ref)]
        if len(found) == 1:
            return found[0]
        if not found:
            raise AuditError(f"no run {ref!r} in this history (`estate diff --history "
                             f"{self.root} --list` lists them)", file=str(self.root))
        raise AuditError(f"{ref!r} matches {len(found)} runs; give more of the id",
                         file=str(self.root))

    def begin(self, run_id: str) -> Path:
        """A fresh work folder for ``run_id`` (call while holding the lock)."""
        self.clear_staging()
        work = self.staging_dir / run_id
        try:
            (work / "run").mkdir(parents=True)
            (work / "report").mkdir()
        except OSError as exc:
            raise AuditError(f"cannot create a work folder: {exc.strerror or exc}",
                             file=str(work)) from None
        return work

    def clear_staging(self) -> list[str]:
        """Remove what a crashed audit left in ``.staging``; returns the run ids removed."""
        if not self.staging_dir.is_dir():
            return []
        left = sorted(p.name for p in self.staging_dir.iterdir())
        for name in left:
            shutil.rmtree(self.staging_dir / name, ignore_errors=True)
        return left

    def commit(self, run_dir: Path, run_id: str) -> RunRecord:
        """Move a fully written run into ``runs/``: the one step that makes it exist."""
        target = self.runs_dir / run_id
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            os.rename(run_dir, target)
        except OSError as exc:
            raise AuditError(f"cannot store the run: {exc.strerror or exc}",
                             file=str(target)) from None
        fsync_dir(self.runs_dir)
        return RunRecord(run_id, target, read_json(target / "manifest.json", "manifest"))

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest ``keep`` runs; each vanishes in one rename."""
        runs = self.runs()
        doomed = runs[:-keep] if keep > 0 else []
        trash = self.staging_dir / f"pruned-{secrets.token_hex(3)}"
        removed = []
        for run in doomed:
            trash.mkdir(parents=True, exist_ok=True)
            os.rename(run.path, trash / run.id)
            removed.append(run.id)
        if removed:
            fsync_dir(self.runs_dir)
            shutil.rmtree(trash, ignore_errors=True)
        return removed

    def lock(self, wait: float = 0.0, on_stale: Callable[[str], None] | None = None
             ) -> "HistoryLock":
        return HistoryLock(self.lock_path, wait=wait, on_stale=on_stale)


class HistoryLock:
    """An exclusive lock on a history folder: a file created with ``O_EXCL``.

    The file holds the pid, host and start time of the audit that holds it. When that
    process is gone (same host, pid not running: a crash, a kill, a reboot) the lock is
    stale and is taken over with a note; a lock held from another host cannot be checked
    and is reported with the way to remove it.
    """

    def __init__(self, path: Path, wait: float = 0.0, poll: float = 0.2,
                 on_stale: Callable[[str], None] | None = None) -> None:
        self.path = Path(path)
        self.wait = max(0.0, float(wait))
        self.poll = poll
        self.on_stale = on_stale or (lambda message: None)
        self.token = secrets.token_hex(8)
        self.held = False

    def __enter__(self) -> "HistoryLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        content = json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(), "started_at": _now(),
            "command": " ".join(sys.argv)[:500], "token": self.token,
        }).encode("utf-8")
        while True:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = self._read()
                if holder is _GONE:
                    continue  # released between our attempt and the read
                if holder is not None and self._stale(holder):
                    self._break(holder)
                    continue
                if time.monotonic() >= deadline:
                    raise AuditError(self._held_message(holder), file=str(self.path)) from None
                time.sleep(min(self.poll, max(0.0, deadline - time.monotonic())) or self.poll)
                continue
            except OSError as exc:
                raise AuditError(f"cannot create the lock file: {exc.strerror or exc}",
                                 file=str(self.path)) from None
            try:
                os.write(fd, content)
                os.fsync(fd)
            finally:
                os.close(fd)
            self.held = True
            return

    def release(self) -> None:
        if not self.held:
            return
        holder = self._read()
        if isinstance(holder, dict) and holder.get("token") == self.token:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
        self.held = False

    def _read(self):
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return _GONE
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    @staticmethod
    def _stale(holder: dict) -> bool:
        return holder.get("host") == socket.gethostname() and not pid_alive(holder.get("pid"))

    def _break(self, holder: dict) -> None:
        """Take a stale lock away, making sure it is still the stale one we read."""
        aside = self.path.with_name(f"{self.path.name}.stale-{self.token}")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return
        try:
            moved = json.loads(aside.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            moved = None
        if moved != holder:
            os.rename(aside, self.path)  # a live audit took it meanwhile: give it back
            return
        aside.unlink(missing_ok=True)
        self.on_stale(
            f"took over a stale lock: the audit that held it (pid {holder.get('pid')}, "
            f"started {holder.get('started_at', '?')}) is no longer running; it did not "
            "finish, so its run was not stored")

    def _held_message(self, holder: dict | None) -> str:
        waited = f" after waiting {self.wait:g}s" if self.wait else ""
        if not holder:
            return (f"another audit holds the lock{waited} (its lock file cannot be read); "
                    "if no audit is running, delete the lock file and run again")
        where = holder.get("host", "?")
        text = (f"another audit is running on this history{waited}: pid {holder.get('pid')} "
                f"on {where}, started {holder.get('started_at', '?')}. ")
        if where == socket.gethostname():
            return text + "Try again later, or pass --wait SECONDS to wait for it."
        return text + ("It runs on another host, so estate cannot check whether it is still "
                       "alive; if it is not, delete the lock file and run again.")


def pid_alive(pid) -> bool:
    """Whether a process with this pid runs on this host (unknown counts as alive)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    if sys.platform == "win32":
        return True  # os.kill(pid, 0) would signal the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def _being_created(name: str) -> bool:
    """What a concurrent first audit may already have put into a new history folder."""
    return name in (RUNS, LOCK) or name.startswith(f".{MARKER}.")


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
