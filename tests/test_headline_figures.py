"""Headline figures people read: what the estimated saving covers (clusters missing a cost
or a user count have no saving of their own, and the run's summary, the CLI, summary.md and
report.html say how many clusters the total covers and what the complete systems of the
others would save), and large counts written with thousands separators."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from estate.cli import main

INVENTORY = """\
Department,System ID,Name,Product,Tenant,Users,Annual cost,Classification
DWP,D1,Office,Microsoft 365,dwp,1000,100000,OFFICIAL
HMRC,H1,Office,Microsoft 365,hmrc,200,50000,OFFICIAL
MOJ,M1,Office,Microsoft 365,moj,100,30000,OFFICIAL
DWP,D2,CRM,Salesforce Service Cloud,,1000,100000,OFFICIAL
HMRC,H2,CRM,Salesforce Service Cloud,,200,60000,OFFICIAL
MOJ,M2,CRM,Salesforce Service Cloud,,100,,OFFICIAL
"""


def run(tmp_path: Path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "estate.csv").write_text(INVENTORY, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyse", str(tmp_path / "in"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output, out


def test_the_headline_says_what_the_saving_covers(tmp_path):
    output, out = run(tmp_path)
    summary = json.loads((out / "findings.json").read_text(encoding="utf-8"))["summary"]
    # Microsoft 365: 50,000 - 200 x 100 + 30,000 - 100 x 100 = 50,000; the CRM misses
    # MOJ's cost, and HMRC alone would save 60,000 - 200 x 100 = 40,000
    assert summary["clusters"] == 2 and summary["clusters_with_saving"] == 1
    assert summary["annual_saving"] == 50_000.0 and summary["partial_saving"] == 40_000.0
    coverage = ("1 of 2 clusters has every input; the other misses a cost or user count, "
                "and their systems with every input would save")
    assert f"estimated saving: £50,000 a year ({coverage} £40,000 a year)" in output
    markdown = (out / "summary.md").read_text(encoding="utf-8")
    assert f"- Estimated annual saving: £50k ({coverage} £40k a year)" in markdown
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"{coverage} £40k a year" in html


def test_nothing_is_added_when_every_cluster_is_estimated(tmp_path):
    (tmp_path / "in").mkdir()
    complete = INVENTORY.replace("MOJ,M2,CRM,Salesforce Service Cloud,,100,,",
                                 "MOJ,M2,CRM,Salesforce Service Cloud,,100,9000,")
    (tmp_path / "in" / "estate.csv").write_text(complete, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyse", str(tmp_path / "in"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "findings.json").read_text(encoding="utf-8"))["summary"]
    assert summary["clusters_with_saving"] == 2 and summary["partial_saving"] is None
    assert "every input" not in result.output
    assert "every input" not in (out / "summary.md").read_text(encoding="utf-8")


def test_large_counts_are_written_with_thousands_separators():
    from types import SimpleNamespace

    from estate.cli.analyse import format_summary
    from estate.pipeline import Summary

    summary = Summary(departments=1_200, systems=1_000_000, analysed=999_937, quarantined=63,
                      products_recognised=335, duplicate_groups=7_385, clusters=2_261,
                      annual_saving=None, capabilities=53)
    findings = SimpleNamespace(summary=summary, data_quality=SimpleNamespace(findings=[
        SimpleNamespace(severity="warning")] * 1_500))
    text = format_summary(findings, Path("out"), None)
    assert text.startswith("1,000,000 systems from 1,200 departments (999,937 analysed, 63 ")
    assert "7,385 duplicate groups, 2,261 consolidation clusters" in text
    assert "1,500 data-quality findings" in text


def test_duplicate_reasons_and_report_counts_use_thousands_separators(tmp_path):
    rows = "\n".join(f"{'DWP' if i % 2 else 'HMRC'},S{i},Office,Microsoft 365,t{i},10,100,"
                     "OFFICIAL" for i in range(1_200))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "estate.csv").write_text(
        INVENTORY.splitlines()[0] + "\n" + rows + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyse", str(tmp_path / "in"), "--out", str(out),
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    m365 = next(g for g in doc["duplicates"] if g["product"] == "Microsoft 365")
    assert "runs as 1,200 separate implementations" in m365["reason"]
    assert "1,200 systems" in m365["reason"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<summary>1,200 systems</summary>" in html
