"""Background work: the same result whether it runs in a forked child or here."""

import os
import sys
import tempfile
import time
from pathlib import Path

import pytest

from estate.errors import ReportError
from estate.parallel import Background, BackgroundError, Jobs, map_split, split_work, workers


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


def _process_state(pid: int) -> str:
    """The state letter of a process (Z: ended, not yet waited for), '' when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return ""


def test_a_large_result_does_not_keep_the_child_alive(tmp_path, monkeypatch):
    """A result larger than a pipe holds: the child still ends as soon as its work does,
    not when the parent gets round to asking (until then it would hold every page it
    copied)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("work is forked only on Linux")
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    pid_file = tmp_path / "pid"
    result = list(range(300_000))

    def work():
        pid_file.write_text(str(os.getpid()))
        return result

    job = Background(work)
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.01)
    pid = int(pid_file.read_text())
    while _process_state(pid) not in ("Z", ""):
        assert time.monotonic() < deadline, "the child waits for its result to be read"
        time.sleep(0.01)
    assert job.result() == result


def test_the_result_leaves_no_file_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    job = Background(lambda: "x" * 1_000_000)
    assert job.result() == "x" * 1_000_000
    cancelled = Background(lambda: time.sleep(30))
    cancelled.cancel()
    assert list(temporary.iterdir()) == []


def test_with_no_temporary_folder_the_work_is_done_here(tmp_path, monkeypatch):
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    assert Background(os.getpid).result() == os.getpid()


@pytest.mark.parametrize("count", ["1", "2"])
@pytest.mark.parametrize("items, weights", [
    (list(range(7)), None), (["a", "b"], [5, 1]), (["a", "b", "c"], [0, 0, 9]), ([4], None),
    ([], None),
])
def test_map_split_gives_the_one_call_result_in_order(monkeypatch, count, items, weights):
    monkeypatch.setenv("ESTATE_WORKERS", count)
    calls = []

    def square(part):
        calls.append(list(part))
        return [(x * 2, os.getpid()) for x in part]

    out = map_split(square, items, weights)
    assert [x for x, _ in out] == [x * 2 for x in items]
    if count == "2" and len(items) > 1 and sys.platform.startswith("linux"):
        assert {pid for _, pid in out} == {os.getpid(), out[-1][1]} and out[-1][1] != os.getpid()
        assert len(calls) == 1 and calls[0] == items[:len(calls[0])]  # the child's call is not seen


def test_map_split_raises_the_first_error_and_waits_for_the_child(monkeypatch):
    monkeypatch.setenv("ESTATE_WORKERS", "2")

    def fails(part):
        raise ReportError(f"broke on {part[0]}")

    with pytest.raises(ReportError, match="broke on 1"):
        map_split(fails, [1, 2, 3, 4])


@pytest.mark.parametrize("count", ["1", "2"])
def test_split_work_gives_both_results_in_place(monkeypatch, count):
    monkeypatch.setenv("ESTATE_WORKERS", count)
    assert split_work(lambda xs: [x * 2 for x in xs], [1, 2], [3]) == ([2, 4], [6])


def test_split_work_raises_the_error_of_this_process(monkeypatch):
    monkeypatch.setenv("ESTATE_WORKERS", "2")

    def fails(part):
        raise ReportError(f"broke on {part}")

    with pytest.raises(ReportError, match="broke on here"):
        split_work(fails, "here", "there")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks only on Linux")
def test_the_child_leaves_what_it_inherited_to_no_collection(monkeypatch):
    import gc

    monkeypatch.setenv("ESTATE_WORKERS", "2")
    inherited = Background(lambda: gc.get_freeze_count()).result()
    assert inherited > 0


@pytest.mark.parametrize("count", ["1", "2"])
def test_a_single_job_is_taken_by_one_side_only(monkeypatch, count):
    monkeypatch.setenv("ESTATE_WORKERS", count)
    claim = Jobs(["workbook"])
    try:
        there = Background(lambda: claim.take()[0])
        here = claim.take()[0]
        assert sorted([here, there.result()]) == [False, True]
        assert not claim.take()[0], "taken once for good"
    finally:
        claim.close()
    assert not claim.take()[0], "a closed job is never taken"


def test_the_workbook_is_written_once_and_alike_by_either_side(tiny_findings, tmp_path,
                                                               monkeypatch):
    from estate.report import write_reports

    written = {}
    for count in ("1", "2"):
        monkeypatch.setenv("ESTATE_WORKERS", count)
        files = write_reports(tiny_findings, tmp_path / count)
        assert files.proposals_xlsx == tmp_path / count / "proposals.xlsx"
        written[count] = files.proposals_xlsx.read_bytes()
    assert written["1"] == written["2"]


@pytest.mark.parametrize("count", ["1", "2"])
@pytest.mark.parametrize("last", [False, True])
def test_jobs_are_each_taken_once_by_either_side(monkeypatch, count, last):
    monkeypatch.setenv("ESTATE_WORKERS", count)
    items = ["a", "b", "c", "d", "e"]
    jobs = Jobs(items)
    try:
        there = Background(lambda: list(jobs.taking()))  # from the first on
        here = list(jobs.taking(last))
        theirs = there.result()
        assert sorted(here + theirs) == items
        assert theirs == items[:len(theirs)], "the child takes from the first on"
        if last:
            assert here == items[::-1][:len(here)], "this side from the last back"
        else:
            assert here == sorted(here)
        if count == "1":
            assert here == [] and theirs == items, "no fork: the work ran at once"
        assert jobs.take() == (False, None) and jobs.take(True) == (False, None)
    finally:
        jobs.close()
    assert list(jobs.taking()) == [], "closed jobs are never taken"


def test_jobs_taken_from_both_ends_in_one_process_meet_once():
    jobs = Jobs(list(range(7)))
    try:
        taken = [jobs.take(last=i % 2 == 1) for i in range(9)]
    finally:
        jobs.close()
    assert taken == [(True, 0), (True, 6), (True, 1), (True, 5), (True, 2), (True, 4),
                     (True, 3), (False, None), (False, None)]


def test_jobs_are_few_enough_to_fill_the_pipe_before_the_fork():
    with pytest.raises(ValueError):
        Jobs(list(range(4097)))
    assert list(Jobs([]).taking()) == []
    assert len(list(Jobs(list(range(4096))).taking())) == 4096
