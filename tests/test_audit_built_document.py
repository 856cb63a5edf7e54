"""The audit compares the previous run's stored findings.json with the document it has
just built, whose tables are made on demand: the changes must be the ones the same
document gives once written and read back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from estate.audit import diff_findings
from estate.pipeline import run_analysis
from estate.report import build_document, write_reports
from estate.report.rows import Rows
from estate.settings import Settings

HEADER = ["System ID", "System Name", "Vendor", "Product", "Capability", "Tenant", "Users",
          "Annual Cost (£)", "Contract End", "Classification"]
DEPARTMENTS = [f"dept-{i:02d}" for i in range(30)]


def tenants(retired: set[int] = frozenset(), extra: int = 0) -> dict[str, list[list]]:
    """250 Microsoft 365 tenants over 30 departments (a duplicate group larger than the
    few rows the report converts one by one), a CRM in each department, and ``extra``
    new tenants."""
    rows: dict[str, list[list]] = {d: [] for d in DEPARTMENTS}
    for i in [*range(250), *range(1000, 1000 + extra)]:
        if i in retired:
            continue
        rows[DEPARTMENTS[i % 30]].append(
            [f"M{i}", f"Office 365 tenant {i}", "Microsoft", "Microsoft 365",
             "Email and collaboration", f"t{i}.onmicrosoft.com", 100 + i, "£12,000",
             "2027-03-31", "OFFICIAL"])
    for n, department in enumerate(DEPARTMENTS):
        rows[department].append(
            [f"C{n}", "Customer CRM", "Salesforce", "Salesforce", "CRM", "", 50, "£40,000",
             "2027-01-31", "OFFICIAL"])
    return rows


def write_estate(folder: Path, rows: dict[str, list[list]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for department, table in rows.items():
        with open(folder / f"{department}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(HEADER)
            writer.writerows(table)
    return folder


def written(findings, out: Path) -> dict:
    write_reports(findings, out)
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


def test_a_built_document_compares_as_its_written_form(tmp_path):
    settings = Settings()
    before = run_analysis([write_estate(tmp_path / "before", tenants())], settings)
    previous = written(before, tmp_path / "out-before")

    changed = tenants(retired={3, 4, 5, 200}, extra=12)
    changed["dept-07"][0][3] = "Google Workspace"  # one tenant moves product
    after = run_analysis([write_estate(tmp_path / "after", changed)], settings)
    built = build_document(after)
    assert isinstance(built["systems"], Rows)
    assert any(isinstance(g["members"], Rows) and len(g["members"]) > 200
               for g in built["duplicates"])

    from_built = diff_findings(previous, built, "before", "after").to_dict()
    from_file = diff_findings(previous, written(after, tmp_path / "out-after"),
                              "before", "after").to_dict()
    assert from_built == from_file
    assert len(from_built["systems_added"]) == 12
    assert len(from_built["systems_removed"]) == 4
    assert any(c["field"] == "product" for c in from_built["systems_changed"])
    assert {g["status"] for g in from_built["duplicates"]} & {"grown", "shrunk"}
