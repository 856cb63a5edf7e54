"""systems.csv and findings.json's ``systems[]`` written while the graph and the analysis run.

Both hold one row per system, and all but three fields of findings.json's rows (the
disposition, its reason and the cluster, see :data:`~estate.report.model.DISPOSITION_KEYS`)
come from the systems table alone, final once the graph stage has given each system its
tier. At a million systems they are the largest files the reports write (seconds of work
that would otherwise wait for the analysis), and the graph and analysis stages leave one of
two cores idle for much of their time. So the caller of the pipeline hands
:meth:`SystemsAhead.start` to :func:`estate.pipeline.run_analysis` as its ``on_systems``
hook: a forked child writes systems.csv and the open JSON text of each system row into a
private folder inside the output folder, and :func:`estate.report.write_reports` then
moves systems.csv into place and completes each row of ``systems[]`` with the analysis'
fields. The files are the same bytes as without it.

Nothing is written over an existing output before the reports are: a run that fails
leaves the last run's files as they were, and :meth:`SystemsAhead.discard` stops the child
and removes its folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from estate.errors import ReportError
from estate.parallel import Background
from estate.report.model import SYSTEM_KEYS, system_records
from estate.report.rows import RowTexts, write_row_texts
from estate.report.tables import write_systems_csv

__all__ = ["SystemsAhead", "WrittenAhead", "place_systems_csv"]


@dataclass
class WrittenAhead:
    """What the child wrote: systems.csv, ready to be moved into place, and the row texts
    of findings.json's ``systems[]``."""

    systems_csv: Path
    texts: RowTexts


CHILD_NICE = 10
"""How much lower the child's priority is: the graph and analysis stages, and the children
they fork, are what the run waits for; the child takes the time they leave idle."""


class SystemsAhead:
    """The system tables of one output folder, started from the final systems table (see
    the module doc). Use it as a context manager, or call :meth:`discard` when done."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.systems: pd.DataFrame | None = None
        self._folder: Path | None = None
        self._work: Background[WrittenAhead] | None = None

    def start(self, systems: pd.DataFrame) -> None:
        """Start writing the tables of ``systems`` (in a forked child on a machine with two
        cores, else here, now). A folder that cannot be written is left for the reports
        to complain about, with the file they could not write."""
        self.discard()
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            _remove_abandoned(self.out_dir)
            self._folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-",
                                                 dir=self.out_dir))
        except OSError:
            return
        self.systems = systems
        folder = self._folder
        self._work = Background(lambda: _write_ahead(systems, folder), nice=CHILD_NICE)

    def covers(self, systems: pd.DataFrame) -> bool:
        """Whether the tables of ``systems`` were started here."""
        return self._work is not None and systems is self.systems

    def result(self, systems: pd.DataFrame) -> WrittenAhead | None:
        """What was written for ``systems`` (waiting for it if need be); None when nothing
        was started for this table, or the work failed: the reports then write the tables
        themselves, and report any error with the file it concerns."""
        if not self.covers(systems):
            return None
        try:
            return self._work.result()
        except Exception:  # noqa: BLE001 - written again, the normal way
            return None

    def discard(self) -> None:
        """Stop the child if it still runs and remove what it wrote but was not used."""
        if self._work is not None:
            self._work.cancel()
            self._work = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self.systems = None

    def __enter__(self) -> "SystemsAhead":
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


FOLDER_PREFIX = ".estate-ahead-"
"""The private folders are ``<prefix><pid of the run>-<random>`` in the output folder."""


def _remove_abandoned(out_dir: Path) -> None:
    """Remove the folders left by runs that were killed outright (their process is gone):
    a run that ends in any other way removes its own."""
    for folder in out_dir.glob(FOLDER_PREFIX + "*"):
        pid = folder.name[len(FOLDER_PREFIX):].partition("-")[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive, someone else's
            continue


def _write_ahead(systems: pd.DataFrame, folder: Path) -> WrittenAhead:
    rows = system_records(systems)
    texts = write_row_texts(rows, SYSTEM_KEYS, folder / "systems.json-rows")
    return WrittenAhead(write_systems_csv(folder / "systems.csv", {"systems": rows}), texts)


def place_systems_csv(written: WrittenAhead, target: Path) -> Path:
    """Move the systems.csv written ahead to ``target`` (a rename within the output
    folder: the file appears whole or not at all)."""
    try:
        os.replace(written.systems_csv, target)
    except OSError as exc:
        raise ReportError(f"cannot write: {exc.strerror or exc}", file=str(target)) from None
    return target
