"""`estate analyse` run the way a user runs it: small inventories on disk, CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from estate import __version__
from estate.cli import main

DWP = """\
App ID,Application Name,Supplier,Product,Tenant,No. of users,Annual Cost (£),Renewal date,Security Classification,Interfaces
DWP-1,Office,Microsoft,MS O365 E3,dwp.onmicrosoft.com,"80,000","£1,200,000",31/03/2027,OFFICIAL,HMRC:T-1
DWP-2,Customer CRM,Salesforce,Salesforce Service Cloud,,900,£250k,2026-12-31,OFFICIAL-SENSITIVE,
DWP-3,Benefit Casework,In-house,,,3000,,,OFFICIAL,DWP-1
"""

HMRC = """\
Ref,System name,Vendor,Product,Instance,User count,Licence cost p.a.,Contract End,GSC marking,Integrates With
T-1,Tax Office Suite,Microsoft,Microsoft 365 E5 tenant,hmrc.onmicrosoft.com,60000,900000,Mar-28,Official,
T-2,Taxpayer CRM,Microsoft,Dynamics 365 Customer Engagement,,1200,300000,2027-06-30,OFFICIAL,DWP:DWP-2
T-3,Secret Ledger,In-house,,,40,,,SECRET,
"""


def write_estate(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dwp.csv").write_text(DWP, encoding="utf-8")
    (folder / "hmrc.csv").write_text(HMRC, encoding="utf-8")
    return folder


def test_analyse_writes_every_output_and_accounts_for_every_row(tmp_path):
    inventories = write_estate(tmp_path / "inventories")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyse", str(inventories), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "6 systems from 2 departments" in result.output
    assert str(out / "report.html") in result.output

    for name in ("report.html", "estate-graph.html", "data-flow.html", "findings.json",
                 "systems.csv", "clusters.csv", "data-quality.csv", "summary.md",
                 "proposals.xlsx"):
        assert (out / name).is_file(), name
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert doc["schema_version"]
    assert sorted((s["department"], s["system_id"], s["source_line"])
                  for s in doc["systems"]) == [
        ("DWP", "DWP-1", 2), ("DWP", "DWP-2", 3), ("DWP", "DWP-3", 4),
        ("HMRC", "T-1", 2), ("HMRC", "T-2", 3), ("HMRC", "T-3", 4)]

    tiers = {s["system_id"]: s["tier"] for s in doc["systems"]}
    assert tiers["T-3"] == "SECRET" and tiers["DWP-2"] == "OFFICIAL"

    m365 = [g for g in doc["duplicates"] if g["kind"] == "same-product"
            and g["product"] == "Microsoft 365"]
    assert len(m365) == 1
    assert sorted((m["department"], m["system_id"]) for m in m365[0]["members"]) == [
        ("DWP", "DWP-1"), ("HMRC", "T-1")]
    crm = [g for g in doc["duplicates"] if g["kind"] == "same-capability"
           and {(m["department"], m["system_id"]) for m in g["members"]}
           >= {("DWP", "DWP-2"), ("HMRC", "T-2")}]
    assert crm, "two different CRMs form a same-capability group"
    for cluster in doc["clusters"]:
        roles = [m["role"] for m in cluster["members"]]
        assert roles.count("target") == 1
        for page in [cluster["graph"]] if cluster.get("graph") else []:
            assert (out / page).is_file()


def test_analyse_without_paths_reads_inventories_in_the_current_folder(tmp_path, monkeypatch):
    write_estate(tmp_path / "inventories")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["analyse", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert (tmp_path / "outputs" / "report.html").is_file()


def test_analyse_without_paths_and_without_inventories_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["analyse"])
    assert result.exit_code == 1
    assert "no inventories/ folder" in result.output
    assert "Traceback" not in result.output


def test_missing_path_and_bad_option_values_are_one_clear_line(tmp_path):
    result = CliRunner().invoke(main, ["analyse", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1 and "no such file or folder" in result.output
    inventories = write_estate(tmp_path / "inv")
    result = CliRunner().invoke(main, ["analyse", str(inventories), "--as-of", "31/02/2027",
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "as_of" in result.output
    (tmp_path / "bad.toml").write_text("fuzzy_threshold = [", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyse", str(inventories), "--config",
                                       str(tmp_path / "bad.toml")])
    assert result.exit_code == 1 and "bad.toml" in result.output
    assert "Traceback" not in result.output


def test_unreadable_input_stops_unless_keep_going(tmp_path):
    inventories = write_estate(tmp_path / "inv")
    (inventories / "broken.csv").write_bytes(b"\x00\x01\x02\xff" * 50)
    result = CliRunner().invoke(main, ["analyse", str(inventories), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "broken.csv" in result.output
    result = CliRunner().invoke(main, ["analyse", str(inventories), "--keep-going",
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "6 systems" in result.output


def test_timings_file_names_every_stage(tmp_path):
    inventories = write_estate(tmp_path / "inv")
    timings = tmp_path / "t.json"
    result = CliRunner().invoke(main, ["analyse", str(inventories), "--quiet", "--out",
                                       str(tmp_path / "o"), "--timings", str(timings)])
    assert result.exit_code == 0, result.output
    assert set(json.loads(timings.read_text())) == {"load", "normalise", "graph", "analyse",
                                                    "report"}


def test_version_and_help_explain_the_commands():
    runner = CliRunner()
    assert __version__ in runner.invoke(main, ["--version"]).output
    help_text = runner.invoke(main, ["--help"]).output
    for command in ("analyse", "validate", "explain", "audit", "diff"):
        assert command in help_text
    analyse_help = runner.invoke(main, ["analyse", "--help"]).output
    for option in ("--out", "--config", "--catalogue", "--mapping", "--standards", "--as-of",
                   "--keep-going", "--quiet", "Example"):
        assert option in analyse_help


def test_progress_shows_a_bar_per_stage_on_a_terminal_and_nothing_in_a_pipe(monkeypatch, capsys):
    from estate.cli.options import PIPELINE_STAGES, StageProgress

    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    shown = StageProgress(quiet=False)
    for stage in PIPELINE_STAGES:
        with shown(stage):
            pass
    shown.close()
    err = capsys.readouterr().err
    assert all(stage in err for stage in PIPELINE_STAGES)
    assert set(shown.timings) == set(PIPELINE_STAGES)

    quiet = StageProgress(quiet=True)
    with quiet("load"):
        pass
    assert capsys.readouterr().err == "" and set(quiet.timings) == {"load"}
