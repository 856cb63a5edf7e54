"""A sequence of audits over a changing estate, through the Python API and the real pipeline.

The estate starts with three departments; then it is audited again unchanged, a new
tenant appears, a system is retired and a department renames a column of its export.
Each step checks the stored run, the diff against the step before, and the verdict.
"""

from __future__ import annotations

import csv
import json
import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from estate.audit import History, load_document, run_audit
from estate.errors import AuditError
from estate.settings import Settings

HEADER = ["System ID", "System Name", "Vendor", "Product", "Capability", "Tenant", "Users",
          "Annual Cost (£)", "Contract End", "Classification"]

ESTATE: dict[str, list[list]] = {
    "home-office": [
        ["HO-1", "Office 365", "Microsoft", "Microsoft 365", "Email and collaboration",
         "homeoffice.onmicrosoft.com", 5000, "£1,200,000", "2027-03-31", "OFFICIAL"],
        ["HO-2", "Customer CRM", "Salesforce", "Salesforce", "CRM", "", 300, "£250,000",
         "2027-01-31", "OFFICIAL"],
    ],
    "dwp": [
        ["DWP-1", "Microsoft 365", "Microsoft", "Microsoft 365", "Email and collaboration",
         "dwp.onmicrosoft.com", 90000, "£14,000,000", "2027-03-31", "OFFICIAL"],
        ["DWP-2", "Dynamics CRM", "Microsoft", "Dynamics 365", "CRM", "", 900, "£400,000",
         "2028-06-30", "OFFICIAL"],
    ],
    "moj": [
        ["MOJ-1", "O365 E3", "Microsoft", "O365 E3", "Email and collaboration",
         "justice.onmicrosoft.com", 7000, "£1,600,000", "2026-09-30", "OFFICIAL"],
        ["MOJ-2", "Case Manager", "Acme", "Acme Case", "Case management", "", 800, "£90,000",
         "2029-01-31", "OFFICIAL"],
    ],
}
NEW_TENANT = [
    ["DFE-1", "Office 365", "Microsoft", "Office 365", "Email and collaboration",
     "education.onmicrosoft.com", 8000, "£1,500,000", "2027-06-30", "OFFICIAL"],
]


class Estate:
    """Inventory CSV files in a folder, rewritten step by step."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.departments = {d: [list(r) for r in rows] for d, rows in ESTATE.items()}
        self.headers = {d: list(HEADER) for d in ESTATE}
        self.folder.mkdir(parents=True, exist_ok=True)
        self.write()

    def write(self) -> None:
        for old in self.folder.glob("*.csv"):
            if old.stem not in self.departments:
                old.unlink()
        for department, rows in self.departments.items():
            with open(self.folder / f"{department}.csv", "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(self.headers[department])
                writer.writerows(rows)

    def add_tenant(self) -> None:
        self.departments["dfe"] = [list(r) for r in NEW_TENANT]
        self.headers["dfe"] = list(HEADER)
        self.write()

    def retire(self, department: str, system_id: str) -> None:
        self.departments[department] = [r for r in self.departments[department]
                                        if r[0] != system_id]
        self.write()

    def rename_column(self, department: str, old: str, new: str) -> None:
        header = self.headers[department]
        header[header.index(old)] = new
        self.write()


def audit(estate: Estate, history: Path, **options):
    return run_audit([estate.folder], Settings(), history, **options)


def runs_snapshot(history: Path) -> dict[str, bytes]:
    """Every file of the stored runs and the format marker, with its bytes."""
    files = [history / "estate-history.json", *sorted((history / "runs").rglob("*"))]
    return {str(p.relative_to(history)): p.read_bytes() for p in files if p.is_file()}


@pytest.fixture
def estate(tmp_path) -> Estate:
    return Estate(tmp_path / "inventories")


def test_sequence_of_audits_over_a_changing_estate(estate, tmp_path):
    history = tmp_path / "history"

    first = audit(estate, history)
    assert first.previous is None and first.diff is None and first.worse == []
    manifest = json.loads((first.run.path / "manifest.json").read_text())
    assert manifest["estate_version"] and manifest["history_format"] == 1
    assert sorted(Path(i["path"]).name for i in manifest["inputs"]) == \
        ["dwp.csv", "home-office.csv", "moj.csv"]
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["settings"]["fuzzy_threshold"] == Settings().fuzzy_threshold
    assert manifest["counts"]["systems"] == 6
    m365 = [g for g in first.run.read_findings()["duplicates"]
            if g["kind"] == "same-product" and len(g["members"]) == 3]
    assert len(m365) == 1, "the fixture estate has one product run as three tenants"
    m365_id = m365[0]["id"]

    same = audit(estate, history, fail_on=["any-change"])
    assert same.previous.id == first.run.id
    assert not same.diff.changed and same.worse == []

    estate.add_tenant()
    tenant = audit(estate, history)
    grown = {g.id: g for g in tenant.diff.duplicates}[m365_id]
    assert (grown.status, grown.size_before, grown.size_after) == ("grown", 3, 4)
    assert tenant.diff.departments_added and [s.system_id for s in
                                              tenant.diff.systems_added] == ["DFE-1"]
    assert any(r.startswith("new-duplicates:") and m365_id in r for r in tenant.worse)

    estate.retire("moj", "MOJ-1")
    retired = audit(estate, history)
    shrunk = {g.id: g for g in retired.diff.duplicates}[m365_id]
    assert (shrunk.status, shrunk.size_before, shrunk.size_after) == ("shrunk", 4, 3)
    assert [s.system_id for s in retired.diff.systems_removed] == ["MOJ-1"]
    assert retired.worse == []

    estate.rename_column("dwp", "Annual Cost (£)", "FY25 outturn (see finance)")
    renamed = audit(estate, history, fail_on=["quality-drop", "saving-drop", "new-duplicates"])
    assert any(r.startswith("quality-drop:") for r in renamed.worse), renamed.worse
    assert not any(r.startswith("new-duplicates:") for r in renamed.worse)
    assert renamed.diff.inputs_changed and not renamed.diff.systems_added

    runs = History.open(history).runs()
    assert [r.id for r in runs] == [first.run.id, same.run.id, tenant.run.id, retired.run.id,
                                    renamed.run.id]
    assert [row["systems"] for row in renamed.trend] == [6, 6, 7, 6, 6]

    report = (history / "report" / "report.html").read_text(encoding="utf-8")
    assert 'id="audit"' in report and "<svg" in report
    assert report.index('id="audit"') < report.index("</main>")
    audit_md = (history / "report" / "audit.md").read_text(encoding="utf-8")
    assert "quality-drop" in audit_md and "## Trend" in audit_md
    assert (renamed.run.path / "audit.md").read_text(encoding="utf-8") == audit_md
    changes = json.loads((renamed.run.path / "changes.json").read_text())
    assert changes["previous_run"] == retired.run.id and changes["worse"] == renamed.worse

    label, old_doc = load_document(tenant.run.id, history)
    assert label == tenant.run.id and old_doc["summary"]["systems"] == 7


def test_findings_in_the_history_match_the_report(estate, tmp_path):
    result = audit(estate, tmp_path / "h", out_dir=tmp_path / "out")
    assert (result.run.path / "findings.json").read_bytes() == \
        (tmp_path / "out" / "findings.json").read_bytes()
    assert not (tmp_path / "h" / "report").exists()


def test_failure_before_the_run_is_stored_leaves_the_history_as_it_was(estate, tmp_path,
                                                                       monkeypatch):
    history = tmp_path / "history"
    audit(estate, history)
    before = runs_snapshot(history)
    estate.add_tenant()

    def broken_commit(self, run_dir, run_id):
        raise AuditError("disk full (injected)")

    monkeypatch.setattr(History, "commit", broken_commit)
    with pytest.raises(AuditError, match="injected"):
        audit(estate, history)
    assert runs_snapshot(history) == before
    assert not (history / "audit.lock").exists()
    assert not any((history / ".staging").iterdir())


def test_failure_while_writing_reports_leaves_the_history_as_it_was(estate, tmp_path):
    history = tmp_path / "history"
    audit(estate, history)
    before = runs_snapshot(history)

    def broken_reports(findings, out_dir, **options):
        (Path(out_dir) / "report.html").write_text("half")
        raise OSError("killed half-way (injected)")

    with pytest.raises(OSError, match="injected"):
        audit(estate, history, write_reports=broken_reports)
    assert runs_snapshot(history) == before
    assert "half" not in (history / "report" / "report.html").read_text(encoding="utf-8")


def test_keep_prunes_the_oldest_runs(estate, tmp_path):
    history = tmp_path / "history"
    ids = [audit(estate, history, keep=2).run.id for _ in range(3)]
    assert [r.id for r in History.open(history).runs()] == ids[1:]


def test_second_audit_while_one_runs_stops_with_a_message(estate, tmp_path):
    history = tmp_path / "history"
    audit(estate, history)
    with History.open(history).lock():
        with pytest.raises(AuditError, match="another audit is running"):
            audit(estate, history)
    assert len(History.open(history).runs()) == 1


def test_unreadable_previous_run_stops_before_the_analysis(estate, tmp_path):
    history = tmp_path / "history"
    first = audit(estate, history)
    first.run.findings_path.write_text("{broken", encoding="utf-8")
    first.run.comparison_path.write_text("[]", encoding="utf-8")
    before = runs_snapshot(history)

    def never(*args):
        raise AssertionError("the analysis must not start")

    with pytest.raises(AuditError, match=f"findings of run {first.run.id}.*not valid JSON"):
        audit(estate, history, analyse=never)
    assert runs_snapshot(history) == before
    assert not (history / "audit.lock").exists()


def test_each_run_keeps_what_the_next_diff_reads(estate, tmp_path):
    """comparison.json: the changes against it are those against the whole findings.json
    (which a run stored by an older estate has alone)."""
    history = tmp_path / "history"
    first = audit(estate, history)
    comparison = json.loads(first.run.comparison_path.read_text(encoding="utf-8"))
    assert comparison["comparison_format"] == 1
    assert sorted(comparison["systems"]["system_id"]) == sorted(
        s["system_id"] for s in first.run.read_findings()["systems"])

    estate.add_tenant()
    estate.retire("moj", "MOJ-1")
    from_comparison = audit(estate, history)

    same_changes = Estate(tmp_path / "same-estate")
    old_style = tmp_path / "old-style-history"
    audit(same_changes, old_style).run.comparison_path.unlink()  # as an older estate stored it
    same_changes.add_tenant()
    same_changes.retire("moj", "MOJ-1")
    from_findings = audit(same_changes, old_style)

    def changes(result) -> dict:
        found = result.diff.to_dict()
        for key in ("old_label", "new_label", "old_generated_at", "new_generated_at",
                    "inputs_added", "inputs_removed", "inputs_changed"):
            found.pop(key)
        return found

    assert changes(from_comparison) == changes(from_findings)
    assert [s.system_id for s in from_comparison.diff.systems_added] == ["DFE-1"]
    assert [s.system_id for s in from_comparison.diff.systems_removed] == ["MOJ-1"]


def test_an_unreadable_comparison_falls_back_to_the_findings_and_says_so(estate, tmp_path):
    history = tmp_path / "history"
    first = audit(estate, history)
    first.run.comparison_path.write_text("{broken", encoding="utf-8")
    estate.add_tenant()
    notes = []
    result = audit(estate, history, notify=notes.append)
    assert [s.system_id for s in result.diff.systems_added] == ["DFE-1"]
    assert any("comparison of run" in n and "not valid JSON" in n and "findings.json" in n
               for n in notes), notes


@pytest.mark.parametrize("links", [True, False])
def test_the_run_keeps_its_findings_with_or_without_hard_links(estate, tmp_path, monkeypatch,
                                                               links):
    if not links:
        def no_links(*args, **kwargs):
            raise OSError(1, "Operation not permitted")
        monkeypatch.setattr(os, "link", no_links)
    result = audit(estate, tmp_path / "h", out_dir=tmp_path / "out")
    stored = result.run.findings_path
    assert stored.read_bytes() == (tmp_path / "out" / "findings.json").read_bytes()
    assert stored.stat().st_nlink == 1, "the staged copy it was made from is gone"
    assert json.loads(stored.read_text(encoding="utf-8"))["summary"]["systems"] == 6


def test_tables_written_ahead_give_the_same_reports_and_leave_nothing(estate, tmp_path,
                                                                     monkeypatch):
    """The audit starts the system tables while it analyses (as `estate analyse` does):
    the same files as the reports write themselves, and no private folder left behind,
    whether the audit succeeds or fails."""
    from estate.report import write_reports

    monkeypatch.setenv("ESTATE_WORKERS", "2")
    seen_at_report = []

    @contextmanager
    def progress(stage):
        if stage == "report":
            seen_at_report.extend(p.name for p in (tmp_path / "ahead").glob(".estate-ahead-*"))
        yield

    ahead = audit(estate, tmp_path / "ahead", out_dir=tmp_path / "out-ahead",
                  progress=progress)
    assert seen_at_report, "the system tables were not started ahead"
    plain = audit(estate, tmp_path / "plain", out_dir=tmp_path / "out-plain",
                  write_reports=write_reports)
    for name in ("systems.csv", "clusters.csv"):
        assert (tmp_path / "out-ahead" / name).read_bytes() == \
            (tmp_path / "out-plain" / name).read_bytes()

    def without_generated(path: Path) -> dict:
        document = json.loads(path.read_text(encoding="utf-8"))
        document.pop("generated_at")
        return document

    assert without_generated(ahead.run.findings_path) == \
        without_generated(plain.run.findings_path)
    assert not list((tmp_path / "ahead").glob(".estate-ahead-*"))

    def broken_document(findings, **options):
        raise OSError("disk full (injected)")

    monkeypatch.setattr("estate.report.build_document", broken_document)
    with pytest.raises(OSError, match="injected"):
        audit(estate, tmp_path / "ahead")
    assert not list((tmp_path / "ahead").glob(".estate-ahead-*"))
