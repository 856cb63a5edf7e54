"""The history folder: format checks, run references, and the lock between audits."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading

import pytest

from estate.audit import History, load_document
from estate.audit.history import LOCK, MARKER
from estate.errors import AuditError


def store_run(history: History, run_id: str, systems: int) -> None:
    run = history.runs_dir / run_id
    run.mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps(
        {"history_format": 1, "run_id": run_id, "counts": {"systems": systems}}))
    (run / "findings.json").write_text(json.dumps(
        {"schema_version": "1.0", "summary": {"systems": systems}}))


def test_new_history_is_created_with_a_format_marker(tmp_path):
    history = History.open(tmp_path / "h", create=True)
    marker = json.loads((tmp_path / "h" / MARKER).read_text())
    assert marker["format"] == "estate-history" and marker["format_version"] == 1
    assert history.runs() == []
    assert History.open(tmp_path / "h").runs() == []


def test_a_folder_with_other_things_is_not_taken_over(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(AuditError, match="not an estate history"):
        History.open(tmp_path, create=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_history_from_a_newer_version_is_refused(tmp_path):
    (tmp_path / MARKER).write_text(json.dumps(
        {"format": "estate-history", "format_version": 99, "created_by": "estate 9.0"}))
    with pytest.raises(AuditError, match="newer estate .*upgrade estate"):
        History.open(tmp_path)


def test_history_in_a_retired_older_format_is_refused_with_advice(tmp_path):
    (tmp_path / MARKER).write_text(json.dumps({"format": "estate-history",
                                               "format_version": 0}))
    with pytest.raises(AuditError, match="old history format 0.*start a new history"):
        History.open(tmp_path)


def test_broken_marker_is_refused_naming_the_file(tmp_path):
    (tmp_path / MARKER).write_text("{not json")
    with pytest.raises(AuditError, match=f"{MARKER}.*not valid JSON"):
        History.open(tmp_path)


def test_runs_resolve_by_id_prefix_latest_and_previous(tmp_path):
    history = History.open(tmp_path, create=True)
    for n, run_id in enumerate(["20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb",
                                "20260103T000000Z-cccccc"]):
        store_run(history, run_id, n)
    assert history.resolve("latest").id == "20260103T000000Z-cccccc"
    assert history.resolve("previous").id == "20260102T000000Z-bbbbbb"
    assert history.resolve("latest~2").id == "20260101T000000Z-aaaaaa"
    assert history.resolve("20260102").id == "20260102T000000Z-bbbbbb"
    with pytest.raises(AuditError, match="matches 3 runs"):
        history.resolve("2026")
    with pytest.raises(AuditError, match="no run 'nope'"):
        history.resolve("nope")
    with pytest.raises(AuditError, match="only 3 run"):
        history.resolve("latest~3")
    label, doc = load_document("previous", tmp_path)
    assert (label, doc["summary"]["systems"]) == ("20260102T000000Z-bbbbbb", 1)


def test_run_folder_without_manifest_stops_with_its_name(tmp_path):
    history = History.open(tmp_path, create=True)
    (history.runs_dir / "20260101T000000Z-aaaaaa").mkdir()
    with pytest.raises(AuditError, match="manifest of run 20260101T000000Z-aaaaaa not found"):
        history.runs()


def test_load_document_refuses_what_is_not_findings(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(AuditError, match="not a findings.json document"):
        load_document(str(tmp_path / "x.json"))
    (tmp_path / "y.json").write_text(json.dumps({"schema_version": "3.0", "summary": {}}))
    with pytest.raises(AuditError, match="newer estate"):
        load_document(str(tmp_path / "y.json"))
    with pytest.raises(AuditError, match="give --history"):
        load_document("latest")


def test_second_lock_stops_with_who_holds_it(tmp_path):
    history = History.open(tmp_path, create=True)
    with history.lock():
        with pytest.raises(AuditError) as caught:
            history.lock().acquire()
    message = str(caught.value)
    assert f"pid {os.getpid()}" in message and "--wait" in message
    assert not (tmp_path / LOCK).exists()


def test_waiting_lock_gets_it_when_the_holder_finishes(tmp_path):
    history = History.open(tmp_path, create=True)
    first = history.lock()
    first.acquire()
    releaser = threading.Timer(0.3, first.release)
    releaser.start()
    try:
        with history.lock(wait=30) as second:
            assert second.held
    finally:
        releaser.join()


def test_waiting_lock_gives_up_after_the_wait(tmp_path):
    history = History.open(tmp_path, create=True)
    with history.lock():
        with pytest.raises(AuditError, match="after waiting 0.3s"):
            history.lock(wait=0.3).acquire()


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_lock_of_a_dead_process_is_taken_over_with_a_note(tmp_path):
    history = History.open(tmp_path, create=True)
    (tmp_path / LOCK).write_text(json.dumps(
        {"pid": dead_pid(), "host": socket.gethostname(), "started_at": "yesterday"}))
    notes = []
    with history.lock(on_stale=notes.append):
        pass
    assert len(notes) == 1 and "no longer running" in notes[0]
    assert not (tmp_path / LOCK).exists()


def test_lock_from_another_host_is_not_broken(tmp_path):
    history = History.open(tmp_path, create=True)
    (tmp_path / LOCK).write_text(json.dumps(
        {"pid": dead_pid(), "host": "some-other-host", "started_at": "yesterday"}))
    with pytest.raises(AuditError, match="another host.*delete the lock file"):
        history.lock().acquire()
    assert (tmp_path / LOCK).exists()


def test_unreadable_lock_is_reported_not_broken(tmp_path):
    history = History.open(tmp_path, create=True)
    (tmp_path / LOCK).write_text("")
    with pytest.raises(AuditError, match="cannot be read.*delete the lock file"):
        history.lock().acquire()


def test_run_ids_sort_in_the_order_runs_were_made_even_within_one_second():
    from datetime import datetime, timezone

    from estate.audit.history import new_run_id

    now = datetime(2026, 11, 27, 15, 49, 29, tzinfo=timezone.utc)
    first = new_run_id(now)
    second = new_run_id(now, previous=first)
    earlier_clock = new_run_id(datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc),
                               previous=second)
    later = new_run_id(datetime(2026, 11, 27, 16, 0, tzinfo=timezone.utc), previous=second)
    assert first < second < earlier_clock < later
    assert first == "20261127T154929Z-001"
