"""Background work: the same result whether it runs in a forked child or here."""

import os
import sys

import pytest

from estate.errors import ReportError
from estate.parallel import Background, BackgroundError, workers


def test_result_comes_back_from_the_child(tmp_path, monkeypatch):
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    target = tmp_path / "page.html"
    job = Background(lambda: (target.write_text("drawn"), os.getpid())[1])
    child_pid = job.result()
    assert target.read_text() == "drawn"
    if sys.platform.startswith("linux"):
        assert child_pid != os.getpid()


def test_one_worker_runs_the_work_here(monkeypatch):
    monkeypatch.setenv("ESTATE_WORKERS", "1")
    assert workers() == 1
    assert Background(os.getpid).result() == os.getpid()


@pytest.mark.parametrize("count", ["1", "2"])
def test_an_error_in_the_work_is_raised_by_result(monkeypatch, count):
    monkeypatch.setenv("ESTATE_WORKERS", count)

    def fails():
        raise ReportError("cannot write clusters/x.html: disk full")

    job = Background(fails)
    with pytest.raises(ReportError, match="disk full"):
        job.result()


def test_an_error_that_cannot_travel_still_says_what_happened(monkeypatch):
    monkeypatch.setenv("ESTATE_WORKERS", "2")

    class Local(Exception):  # defined here, so it cannot be unpickled by name
        pass

    def fails():
        raise Local("page 7 broke")

    job = Background(fails)
    with pytest.raises((BackgroundError, Local), match="page 7 broke"):
        job.result()


def test_a_child_that_dies_is_an_error(monkeypatch):
    if not sys.platform.startswith("linux"):
        pytest.skip("work is forked only on Linux")
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    job = Background(lambda: os._exit(3))
    with pytest.raises(BackgroundError, match="without a result"):
        job.result()
