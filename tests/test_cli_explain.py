"""``estate explain NAME`` prints how a name resolves, with the stage and the score."""

from __future__ import annotations

from click.testing import CliRunner

import estate.cli.explain  # noqa: F401  (registers the command on main)
from estate.cli import main


def run(*args: str):
    return CliRunner().invoke(main, ["explain", *args])


def test_explain_shows_product_stage_and_score():
    result = run("MS O365 E3")
    assert result.exit_code == 0, result.output
    assert "Microsoft 365 [microsoft-365]" in result.output
    assert "Stage:       tokens" in result.output
    assert "Score:       97" in result.output
    assert "Productivity and email" in result.output
    assert "b: microsoft o365" in result.output


def test_explain_unknown_name_is_not_forced():
    result = run("Kestrel Rostering Suite")
    assert result.exit_code == 0
    assert "unrecognised (not forced onto any product)" in result.output
    assert "fuzzy" in result.output


def test_explain_bespoke_with_capability():
    result = run("Case Manager", "--vendor", "In-house", "--capability", "Casework")
    assert result.exit_code == 0
    assert "built in-house" in result.output
    assert "Case management [case-management]" in result.output


def test_explain_with_user_catalogue(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    user = tmp_path / "mine.csv"
    user.write_text("id,name,vendor,capability,aliases\n"
                    "kestrel,Kestrel Rostering Suite,Kestrel Systems,hr-payroll,\n",
                    encoding="utf-8")
    result = run("Kestrel Rostering Suite v2", "--catalogue", str(user))
    assert result.exit_code == 0, result.output
    assert "Kestrel Rostering Suite [kestrel]" in result.output


def test_explain_bad_catalogue_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    user = tmp_path / "bad.csv"
    user.write_text("id,name,vendor,capability,strategic\nx,X,Acme,crm,perhaps\n",
                    encoding="utf-8")
    result = run("X", "--catalogue", str(user))
    assert result.exit_code == 1
    assert "line 2" in result.output and "strategic" in result.output
    assert "Traceback" not in result.output


def test_explain_threshold_option():
    assert "Salesforce [salesforce]" in run("Salesfroce").output
    assert "unrecognised" in run("Salesfroce", "--threshold", "95").output
