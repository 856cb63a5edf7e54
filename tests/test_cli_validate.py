import json
from pathlib import Path

from click.testing import CliRunner

import estate.cli.validate  # noqa: F401  (registers the command if commands.py does not yet)
from estate.cli import main

CORPUS = Path(__file__).parent / "corpus"


def run(*args):
    return CliRunner().invoke(main, ["validate", *map(str, args)])


def test_validate_prints_findings_by_file_and_scores(tmp_path):
    (tmp_path / "dwp.csv").write_text("ID,Name,Cost\nA,Payroll,lots\nB,HR,£5\n", encoding="utf-8")
    result = run(tmp_path)
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'dwp.csv'}  (csv, 2 rows, DWP)" in result.output
    assert "error   line 2 [Cost] unparsable-cost: not a cost in pounds: 'lots'" in result.output
    assert "Data quality" in result.output and "DWP" in result.output


def test_validate_exits_1_when_a_file_cannot_be_used_but_checks_the_others():
    result = run(CORPUS / "basic.csv", CORPUS / "binary.csv")
    assert result.exit_code == 1
    assert "basic.csv  (csv, 2 rows, BASIC)" in result.output
    assert "binary.csv  (NOT USED)" in result.output
    assert "Traceback" not in result.output
    assert "could not be used" in result.output


def test_validate_missing_path_is_one_line():
    result = run("/no/such/place.csv")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "no such file" in result.output


def test_validate_json_and_severity_and_limit():
    result = CliRunner().invoke(main, ["validate", str(CORPUS / "dates.csv"), "--json"])
    data = json.loads(result.output)
    assert data["rows"] == {"total": 11, "quarantined": 0}
    assert {"partial-date", "unparsable-date"} <= {f["code"] for f in data["findings"]}
    shown = CliRunner().invoke(main, ["validate", str(CORPUS / "dates.csv"),
                                      "--severity", "info", "--limit", "1"]).output
    assert "... and 3 more partial-date" in shown


def test_validate_with_mapping_file():
    result = CliRunner().invoke(main, ["validate", str(CORPUS / "user-mapping.csv"), "--mapping",
                                       str(CORPUS / "user-mapping.mapping.csv")])
    assert result.exit_code == 0, result.output
    bad = CliRunner().invoke(main, ["validate", str(CORPUS / "user-mapping.csv")])
    assert bad.exit_code == 1 and "no recognisable header" in bad.output
