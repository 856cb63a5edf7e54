"""The report files besides the graph pages and findings.json are written by whichever
side of the reports is free first (estate.parallel.Jobs): every file is written once, the
same bytes whichever side writes it, and a failing writer still names its file."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

import estate.report as report
from estate.errors import ReportError
from estate.report import SHARED, write_reports

FORKS = sys.platform.startswith("linux")

WRITERS = {"systems_csv": "write_systems_csv", "clusters_csv": "write_clusters_csv",
           "proposals_xlsx": "write_proposals"}


def _wait_for(paths: list[Path], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        assert time.monotonic() < deadline, "the other side never took its files"
        time.sleep(0.01)


def _record_writers(monkeypatch, who: Path) -> None:
    """Each shared writer notes which process ran it, in ``who``."""
    who.mkdir()
    for name, attr in WRITERS.items():
        real = getattr(report, attr)

        def noted(*args, _real=real, _name=name):
            (who / _name).write_text(str(os.getpid()))
            return _real(*args)
        monkeypatch.setattr(report, attr, noted)


def _parent_waits_for(monkeypatch, marks: list[Path]) -> None:
    """findings.json (the parent's) is written only once the other side has taken
    ``marks``' files: the files the parent would otherwise take go to the child."""
    real = report.write_json

    def late(path, doc):
        _wait_for(marks)
        return real(path, doc)
    monkeypatch.setattr(report, "write_json", late)


def _read_all(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "findings.json"}


def test_shared_files_are_the_ones_that_read_no_deferred_key():
    assert set(SHARED) == set(WRITERS)


@pytest.mark.skipif(not FORKS, reason="forks only on Linux")
def test_files_taken_by_the_child_are_written_once_and_alike(tiny_findings, tmp_path,
                                                             monkeypatch):
    monkeypatch.setenv("ESTATE_WORKERS", "1")
    alone = write_reports(tiny_findings, tmp_path / "alone")
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    who = tmp_path / "who"
    _record_writers(monkeypatch, who)
    _parent_waits_for(monkeypatch, [who / name for name in SHARED])
    files = write_reports(tiny_findings, tmp_path / "both")
    pids = {(who / name).read_text() for name in SHARED}
    assert pids and str(os.getpid()) not in pids, "the free side took every shared file"
    assert files.all() == [tmp_path / "both" / p.relative_to(tmp_path / "alone")
                           for p in alone.all()]
    assert _read_all(tmp_path / "both") == _read_all(tmp_path / "alone")
    json_alone = (tmp_path / "alone" / "findings.json").read_text().splitlines()
    json_both = (tmp_path / "both" / "findings.json").read_text().splitlines()
    assert [line for line in json_both if "generated_at" not in line] == \
        [line for line in json_alone if "generated_at" not in line]


@pytest.mark.parametrize("count", ["1", "2"])
def test_a_shared_file_that_cannot_be_written_is_named_by_either_side(tiny_findings, tmp_path,
                                                                      monkeypatch, count):
    monkeypatch.setenv("ESTATE_WORKERS", count)
    out = tmp_path / "out"
    (out / "systems.csv").mkdir(parents=True)  # a folder where the file should go
    if count == "2" and FORKS:
        who = tmp_path / "who"
        _record_writers(monkeypatch, who)
        _parent_waits_for(monkeypatch, [who / "systems_csv"])
    with pytest.raises(ReportError, match="systems.csv"):
        write_reports(tiny_findings, out)
    if count == "2" and FORKS:
        assert (who / "systems_csv").read_text() != str(os.getpid()), "the child failed"


def test_shared_files_need_nothing_the_document_defers(tmp_path):
    """A side that did not complete the document (the child) writes the shared files as
    the side that did: they read none of model.DEFERRABLE."""
    from conftest import make_findings
    from estate.report.model import DEFERRABLE, build_document

    whole = build_document(make_findings())
    deferred = build_document(make_findings(), defer=True)
    for name, doc in (("whole", whole), ("deferred", deferred)):
        (tmp_path / name).mkdir()
        report._write_shared(report.Jobs(SHARED), doc, tmp_path / name)
    assert all(deferred[k] is None for k in DEFERRABLE), "never completed"
    assert _read_all(tmp_path / "whole") == _read_all(tmp_path / "deferred")
    assert len(_read_all(tmp_path / "whole")) == len(SHARED)
