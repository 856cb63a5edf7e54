"""`estate audit` and `estate diff` from the command line: messages and exit codes.

Exit codes: 0 nothing worse, 1 worse by --fail-on, 2 could not run.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest
from click.testing import CliRunner

import estate.cli.audit  # noqa: F401  (registers the commands, also done by estate.cli.commands)
from estate.cli import main
from test_audit import Estate, runs_snapshot


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def estate(tmp_path) -> Estate:
    return Estate(tmp_path / "inventories")


def test_exit_codes_over_a_changing_estate(estate, tmp_path):
    history = tmp_path / "history"

    first = run("audit", estate.folder, "--history", history)
    assert first.exit_code == 0, first.output
    assert "first run" in first.output and "report.html" in first.output

    unchanged = run("audit", estate.folder, "--history", history, "--fail-on", "any-change")
    assert unchanged.exit_code == 0, unchanged.output
    assert "no changes" in unchanged.output

    estate.add_tenant()
    tenant = run("audit", estate.folder, "--history", history)
    assert tenant.exit_code == 1, tenant.output
    assert "WORSE" in tenant.output and "grown" in tenant.output and "DFE-1" in tenant.output

    estate.retire("dfe", "DFE-1")
    estate.retire("moj", "MOJ-1")
    retired = run("audit", estate.folder, "--history", history)
    assert retired.exit_code == 0, retired.output
    assert "shrunk" in retired.output or "resolved" in retired.output
    strict = run("diff", "--history", history, "--fail-on", "any-change")
    assert strict.exit_code == 1, strict.output

    estate.rename_column("dwp", "Annual Cost (£)", "FY25 outturn (see finance)")
    renamed = run("audit", estate.folder, "--history", history, "--fail-on", "quality-drop")
    assert renamed.exit_code == 1, renamed.output
    assert "quality-drop" in renamed.output
    relaxed = run("diff", "--history", history, "--fail-on", "none")
    assert relaxed.exit_code == 0, relaxed.output

    listing = run("diff", "--history", history, "--list")
    assert listing.exit_code == 0 and len(listing.output.strip().splitlines()) == 1 + 5


def test_diff_of_two_findings_files_and_json_output(estate, tmp_path):
    history = tmp_path / "history"
    run("audit", estate.folder, "--history", history, "--out", tmp_path / "a")
    old = tmp_path / "old-findings.json"
    old.write_bytes((tmp_path / "a" / "findings.json").read_bytes())
    estate.add_tenant()
    run("audit", estate.folder, "--history", history, "--out", tmp_path / "a")

    result = run("diff", old, tmp_path / "a" / "findings.json", "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert [s["system_id"] for s in data["changes"]["systems_added"]] == ["DFE-1"]
    assert any(w.startswith("new-duplicates") for w in data["worse"])

    markdown = run("diff", "latest~1", "latest", "--history", history, "--format", "markdown",
                   "--fail-on", "none")
    assert markdown.exit_code == 0 and markdown.output.startswith("# Estate diff")


def test_diff_of_stored_runs_reads_their_comparisons_or_their_findings(estate, tmp_path):
    history = tmp_path / "history"
    run("audit", estate.folder, "--history", history)
    estate.add_tenant()
    run("audit", estate.folder, "--history", history)
    expected = run("diff", "--history", history, "--format", "json")
    assert expected.exit_code == 1, expected.output
    assert [s["system_id"] for s in json.loads(expected.output)["changes"]["systems_added"]] \
        == ["DFE-1"]

    first = sorted((history / "runs").iterdir())[0]
    (first / "comparison.json").write_text('{"schema_version": "2.0"}', encoding="utf-8")
    fallback = CliRunner().invoke(main, ["diff", "--history", str(history),
                                         "--format", "json"])
    assert fallback.exit_code == 1, fallback.output
    assert "note:" in fallback.stderr and "comparison.json" in fallback.stderr \
        and "findings.json instead" in fallback.stderr
    assert json.loads(fallback.stdout)["changes"] == json.loads(expected.output)["changes"]


def test_audit_json_output_names_the_run(estate, tmp_path):
    result = run("audit", estate.folder, "--history", tmp_path / "h", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["previous_run"] is None and data["changes"] is None
    assert (tmp_path / "h" / "runs" / data["run"] / "manifest.json").is_file()


@pytest.mark.parametrize("setup, args, message", [
    ("not-history", [], "not an estate history"),
    ("newer", [], "newer estate"),
    ("locked", [], "another audit is running"),
    ("none", ["--fail-on", "everything"], "unknown --fail-on rule"),
])
def test_audit_that_cannot_run_exits_2_with_a_message(estate, tmp_path, setup, args, message):
    history = tmp_path / "history"
    history.mkdir()
    if setup == "not-history":
        (history / "precious.txt").write_text("keep me")
    elif setup == "newer":
        (history / "estate-history.json").write_text(json.dumps(
            {"format": "estate-history", "format_version": 7, "created_by": "estate 7.0"}))
    elif setup == "locked":
        run("audit", estate.folder, "--history", history)
        (history / "audit.lock").write_text(json.dumps(
            {"pid": os.getpid(), "host": socket.gethostname(), "started_at": "now"}))
    result = run("audit", estate.folder, "--history", history, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_inventory_path_exits_2(tmp_path):
    result = run("audit", tmp_path / "nope", "--history", tmp_path / "h")
    assert result.exit_code == 2 and "no such file" in result.output


def test_unexpected_error_exits_2_not_1(estate, tmp_path, monkeypatch):
    import estate.audit as audit_api

    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(audit_api, "run_audit", boom)
    result = run("audit", estate.folder, "--history", tmp_path / "h")
    assert result.exit_code == 2 and "unexpected error (RuntimeError: bug)" in result.output


def test_diff_without_runs_to_compare_exits_2(tmp_path):
    assert run("diff").exit_code == 2
    result = run("diff", tmp_path / "missing.json", tmp_path / "other.json")
    assert result.exit_code == 2 and "--history" in result.output


KILLED_AUDIT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from estate.audit import History, run_audit
    from estate.settings import Settings

    def stuck_commit(self, run_dir, run_id):
        Path(sys.argv[3]).write_text(run_id)
        time.sleep(600)

    History.commit = stuck_commit
    run_audit([Path(sys.argv[1])], Settings(), Path(sys.argv[2]))
""")


def test_audit_killed_half_way_leaves_the_history_intact(estate, tmp_path):
    history = tmp_path / "history"
    assert run("audit", estate.folder, "--history", history).exit_code == 0
    before = runs_snapshot(history)
    report_before = (history / "report" / "report.html").read_bytes()
    estate.add_tenant()

    ready = tmp_path / "ready"
    child = subprocess.Popen([sys.executable, "-c", KILLED_AUDIT, str(estate.folder),
                              str(history), str(ready)])
    try:
        deadline = time.monotonic() + 300
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready.exists(), "the audit never reached the point where it is killed"
        staged = history / ".staging" / ready.read_text() / "run"
        assert (staged / "manifest.json").is_file()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()

    assert runs_snapshot(history) == before
    assert (history / "report" / "report.html").read_bytes() == report_before
    assert (history / "audit.lock").exists()

    after = run("audit", estate.folder, "--history", history)
    assert after.exit_code == 1, after.output
    assert "stale lock" in after.output and "unfinished run" in after.output
    assert len(list((history / "runs").iterdir())) == 2
    assert not any((history / ".staging").iterdir())
    assert not (history / "audit.lock").exists()


def test_sigterm_stops_the_audit_with_exit_2_and_releases_the_lock(estate, tmp_path):
    history = tmp_path / "history"
    assert run("audit", estate.folder, "--history", history).exit_code == 0
    before = runs_snapshot(history)
    ready = tmp_path / "ready"
    script = textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from estate.audit import History
        from estate.cli import main
        import estate.cli.audit

        def stuck_commit(self, run_dir, run_id):
            Path(sys.argv[1]).write_text(run_id)
            time.sleep(600)

        History.commit = stuck_commit
        main(sys.argv[2:])
    """)
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(ready), "audit", str(estate.folder),
         "--history", str(history)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready.exists()
    finally:
        child.send_signal(signal.SIGTERM)
        _, stderr = child.communicate()
    assert child.returncode == 2, stderr
    assert "interrupted" in stderr
    assert runs_snapshot(history) == before
    assert not (history / "audit.lock").exists()
