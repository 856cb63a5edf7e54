"""The `estate` executable: output is flushed and exit codes survive the fast exit."""

import subprocess
import sys


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "estate", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_success_prints_everything_and_exits_0(tmp_path):
    done = run("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert "estate, version" in done.stdout


def test_usage_error_exits_2_with_its_message(tmp_path):
    done = run("analyse", "--no-such-option", cwd=tmp_path)
    assert done.returncode == 2
    assert "No such option" in done.stderr


def test_library_error_exits_1_with_its_message(tmp_path):
    done = run("analyse", str(tmp_path / "missing.csv"), cwd=tmp_path)
    assert done.returncode == 1
    assert "no such file or folder" in done.stderr


def test_analyse_writes_its_summary_before_exiting(tmp_path):
    inventory = tmp_path / "dwp.csv"
    inventory.write_text("system_id,name,product,capability\n"
                         "1,Mail,Microsoft 365,Email\n2,Mail 2,Office 365,Email\n",
                         encoding="utf-8")
    done = run("analyse", str(inventory), "--out", str(tmp_path / "out"), "--as-of",
               "2026-01-01", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 systems from 1 departments" in done.stdout
    assert (tmp_path / "out" / "report.html").is_file()


def test_commands_called_in_process_keep_nothing_alive(tmp_path):
    """Only the executable, which ends with os._exit, keeps the analysis until exit; a
    caller of the commands in process (CliRunner, a notebook) gets its memory back."""
    import gc
    import weakref

    from click.testing import CliRunner

    from estate import pipeline
    from estate.cli import main

    inventory = tmp_path / "dwp.csv"
    inventory.write_text("system_id,name,product,capability\n1,Mail,Microsoft 365,Email\n",
                         encoding="utf-8")
    made = []
    real = pipeline.run_analysis

    def spy(*args, **kwargs):
        findings = real(*args, **kwargs)
        made.append(weakref.ref(findings.analysis))
        return findings

    pipeline.run_analysis = spy
    try:
        result = CliRunner().invoke(main, ["analyse", str(inventory), "--out",
                                           str(tmp_path / "out"), "--quiet"])
    finally:
        pipeline.run_analysis = real
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == 0  # the stages' freezes are undone in process
    gc.collect()
    assert made and made[0]() is None
