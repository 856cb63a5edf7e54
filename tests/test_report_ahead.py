"""systems.csv and findings.json's systems[] started from the systems table while the graph
and the analysis run (estate.report.ahead): the same bytes as written at the end, nothing
left behind, and a failure on either side leaves the outputs as the normal path would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import estate.report.ahead as ahead_module
import estate.report.rows as rows_module
from estate.cli import main
from estate.errors import EstateError
from estate.parallel import Background
from estate.report import SystemsAhead, write_reports
from estate.report.rows import Rows, write_row_texts

FORKS = sys.platform.startswith("linux")

INVENTORY = """\
App ID,Application Name,Supplier,Product,No. of users,Annual Cost,Security Classification
DWP-1,Office,Microsoft,MS O365 E3,80000,1200000,OFFICIAL
DWP-2,Office again,Microsoft,Microsoft 365 E5 tenant,900,250000,OFFICIAL
DWP-3,Customer CRM,Salesforce,Salesforce Service Cloud,3000,,OFFICIAL
"""


def write_estate(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "dwp.csv").write_text(INVENTORY, encoding="utf-8")
    return folder


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".estate-ahead"))


@pytest.mark.parametrize("workers", ["1", "2"])
def test_reports_with_the_system_tables_written_ahead_are_the_same_bytes(
        tiny_findings, tmp_path, monkeypatch, workers):
    monkeypatch.setenv("ESTATE_WORKERS", workers)
    write_reports(tiny_findings, tmp_path / "alone")
    out = tmp_path / "ahead"
    with SystemsAhead(out) as ahead:
        ahead.start(tiny_findings.systems)
        written = ahead.result(tiny_findings.systems)
        assert written is not None and written.systems_csv.is_file()
        files = write_reports(tiny_findings, out, ahead=ahead)
        assert not written.systems_csv.exists(), "systems.csv was not the one written ahead"
    assert files.systems_csv == out / "systems.csv"
    assert _files(out) == _files(tmp_path / "alone")
    assert _leftovers(out) == []


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "id": [f"S{i:03d}" for i in range(n)],
        "name": [f"caf\u00e9 \u0000 {i}" if i % 4 else None for i in range(n)],
        "cost": [float(i % 5) if i % 3 else None for i in range(n)],
        "fate": ["keep" if i % 2 else "retire" for i in range(n)],
        "cluster": [f"clu-{i % 3}" if i % 5 else None for i in range(n)],
    })


FIRST = [("id", "id", "text"), ("name", "name", "text"), ("cost", "cost", "float")]
LATER = [("fate", "fate", "text"), ("cluster", "cluster", "text")]


@pytest.mark.parametrize("n", [0, 1, 7, 25])
def test_rows_complete_the_texts_written_ahead_across_chunks(tmp_path, monkeypatch, n):
    monkeypatch.setattr(rows_module, "CHUNK_ROWS", 7)
    frame = _frame(n)
    order = np.arange(n)[::-1].copy()
    texts = write_row_texts(Rows(frame, FIRST, order), [k for k, _, _ in FIRST],
                            tmp_path / "rows")
    whole = Rows(frame, FIRST + LATER, order)
    expected = b"".join(whole.json_block_utf8("  "))
    completed = Rows(frame, FIRST + LATER, order)
    completed.use_ahead(texts)
    assert b"".join(completed.json_block_utf8("  ")) == expected
    assert completed.json_array_utf8() == whole.json_array_utf8()
    if n:
        assert json.loads(expected) == list(whole)


def test_texts_written_ahead_must_be_of_the_first_columns(tmp_path):
    frame = _frame(3)
    texts = write_row_texts(Rows(frame, LATER), ["fate"], tmp_path / "rows")
    with pytest.raises(ValueError):
        Rows(frame, FIRST + LATER).use_ahead(texts)
    with pytest.raises(ValueError):
        write_row_texts(Rows(frame, FIRST), ["name"], tmp_path / "other")


def test_a_failure_ahead_leaves_the_tables_to_the_reports(tiny_findings, tmp_path, monkeypatch):
    write_reports(tiny_findings, tmp_path / "alone")

    def broken(systems, folder):
        raise OSError("disk full")
    monkeypatch.setattr(ahead_module, "_write_ahead", broken)
    out = tmp_path / "out"
    with SystemsAhead(out) as ahead:
        ahead.start(tiny_findings.systems)
        assert ahead.result(tiny_findings.systems) is None
        write_reports(tiny_findings, out, ahead=ahead)
    assert _files(out) == _files(tmp_path / "alone")
    assert _leftovers(out) == []


def test_tables_of_another_systems_table_are_not_used(tiny_findings, tmp_path):
    with SystemsAhead(tmp_path / "out") as ahead:
        ahead.start(tiny_findings.systems.copy())
        assert ahead.result(tiny_findings.systems) is None


def test_an_output_folder_that_cannot_be_made_is_left_to_the_reports(tiny_findings, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with SystemsAhead(blocked / "out") as ahead:
        ahead.start(tiny_findings.systems)
        assert ahead.result(tiny_findings.systems) is None


def test_a_failed_analysis_leaves_the_last_outputs_and_no_folder_behind(tmp_path, monkeypatch):
    inventories = write_estate(tmp_path / "inventories")
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["analyse", str(inventories), "--out", str(out),
                                     "--quiet"]).exit_code == 0
    before = _files(out)
    assert _leftovers(out) == []

    def failing(*args, **kwargs):
        raise EstateError("the analysis broke")
    monkeypatch.setattr("estate.pipeline.analyse", failing)
    result = CliRunner().invoke(main, ["analyse", str(inventories), "--out", str(out)])
    assert result.exit_code != 0 and "the analysis broke" in result.output
    assert _files(out) == before
    assert _leftovers(out) == []


@pytest.mark.skipif(not FORKS, reason="forks only on Linux")
def test_cancel_stops_the_child_at_once(monkeypatch):
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    started = time.monotonic()
    work = Background(lambda: time.sleep(60))
    pid = work._pid
    work.cancel()
    assert time.monotonic() - started < 30
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)


@pytest.mark.skipif(not FORKS, reason="forks only on Linux")
def test_a_nice_child_runs_at_lower_priority_and_this_process_does_not(monkeypatch):
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    assert Background(lambda: os.nice(0), nice=5).result() == min(os.nice(0) + 5, 19)
    monkeypatch.setenv("ESTATE_WORKERS", "1")
    assert Background(lambda: os.nice(0), nice=5).result() == os.nice(0)


def test_a_folder_left_by_a_killed_run_is_removed_by_the_next(tiny_findings, tmp_path):
    out = tmp_path / "out"
    gone = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout)
    left = out / f".estate-ahead-{gone}-abcd"
    left.mkdir(parents=True)
    (left / "systems.csv").write_text("half")
    alive = out / f".estate-ahead-{os.getppid()}-efgh"
    alive.mkdir()
    with SystemsAhead(out) as ahead:
        ahead.start(tiny_findings.systems)
        assert not left.exists()
        assert alive.exists(), "a folder of a run still going was removed"
        assert ahead.result(tiny_findings.systems) is not None
    assert _leftovers(out) == [alive.name]
