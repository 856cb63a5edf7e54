"""The report stage: every output is written, stable, documented, escaped and safe."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from estate.errors import ReportError
from estate.report import SCHEMA_VERSION, write_reports
from conftest import FORMULA_NAME, SCRIPT_END_NAME, XSS_NAME, make_findings

REMOTE = re.compile(r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//)"""
                    r"""|url\(\s*["']?\s*(?:https?:)?//|@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//""",
                    re.IGNORECASE)


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def graph_data(path: Path) -> dict:
    """The node/edge data a graph page embeds (what vis-network is given)."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r"var ESTATE_GRAPH = (\{.*\});\n", text)
    assert match, f"no graph data in {path}"
    return json.loads(match.group(1))


def test_every_output_is_written(tiny_findings, tmp_path):
    files = write_reports(tiny_findings, tmp_path / "out")
    out = tmp_path / "out"
    for name in ("report.html", "estate-graph.html", "data-flow.html", "findings.json",
                 "systems.csv", "clusters.csv", "data-quality.csv", "summary.md",
                 "proposals.xlsx"):
        assert (out / name).is_file(), name
    assert set(files.cluster_graphs) == {"C001", "C002"}
    assert set(files.department_graphs) == {"DWP", "HO", "MOJ"}
    assert all(p.is_file() for p in files.all())
    assert not list(out.rglob("*.tmp")), "temporary files are renamed or removed"


def test_findings_json_is_documented_and_complete(tiny_findings, tmp_path):
    write_reports(tiny_findings, tmp_path)
    doc = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["generated_at"] == "2026-11-27T12:00:00Z" and doc["version"] == "0.1.0"
    assert len(doc["systems"]) == len(tiny_findings.systems), "one entry per systems row"
    first = doc["systems"][0]
    for key in ("department", "system_id", "name", "product", "vendor", "capability",
                "match_confidence", "source_file", "source_line", "status"):
        assert key in first
    ho1 = next(s for s in doc["systems"] if s["system_id"] == "HO-1")
    assert ho1["product"] == "Microsoft 365" and ho1["contract_end"] == "2026-03-31"
    assert ho1["users"] == 5000 and ho1["source_file"] == "ho.csv" and ho1["source_line"] == 2
    ho2 = next(s for s in doc["systems"] if s["system_id"] == "HO-2")
    assert ho2["extra"] == {"Cost centre": "=SUM(A1)"}, "unmapped columns are kept"
    assert ho1["extra"] == {}
    quarantined = next(s for s in doc["systems"] if s["system_id"] == "DWP-3")
    assert quarantined["status"] == "quarantined" and quarantined["users"] is None

    d001 = doc["duplicates"][0]
    assert d001["kind"] == "same-product"
    assert {"department": "MOJ", "system_id": "MOJ-1"} in d001["members"]
    c001 = doc["clusters"][0]
    assert c001["id"] == "C001" and c001["annual_saving"] == 1_050_000.0
    assert [m["role"] for m in c001["members"]] == ["target", "migrate", "migrate"]
    assert (tmp_path / c001["graph"]).is_file()
    assert doc["clusters"][1]["blockers"] == ["=cmd|' /C calc'!A0 contract clause"]
    assert doc["data_quality"]["scores"] == {"DWP": 66.7, "HO": 80.0, "MOJ": 90.0}
    assert len(doc["data_quality"]["findings"]) == 3
    assert doc["summary"]["clusters"] == 2 and len(doc["inputs"]) == 3
    assert doc["graph"]["nodes"]["system"] == 7


def test_schema_doc_names_every_top_level_key(tiny_findings, tmp_path):
    write_reports(tiny_findings, tmp_path)
    doc = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    schema = (Path(__file__).parents[1] / "docs" / "findings-schema.md").read_text("utf-8")
    for key in doc:
        assert f"`{key}`" in schema, f"{key} is not documented"
    for section in (doc["systems"][0], doc["duplicates"][0], doc["clusters"][0],
                    doc["clusters"][0]["members"][0]):
        for key in section:
            assert f"`{key}`" in schema, f"{key} is not documented"


def test_same_findings_give_the_same_bytes(tmp_path):
    write_reports(make_findings(), tmp_path / "a")
    write_reports(make_findings(), tmp_path / "b")
    later = make_findings()
    later.generated_at = "2026-11-28T08:00:00Z"
    write_reports(later, tmp_path / "c")
    names = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*")
                   if p.is_file())
    assert names == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*")
                           if p.is_file())
    for name in names:
        a, b = (tmp_path / "a" / name).read_bytes(), (tmp_path / "b" / name).read_bytes()
        assert a == b, f"{name} differs between two runs"
        c = (tmp_path / "c" / name).read_bytes()
        assert c.replace(b"2026-11-28T08:00:00Z", b"2026-11-27T12:00:00Z") == a, \
            f"{name} differs by more than generated_at"


def test_no_page_references_a_remote_resource(tiny_findings, tmp_path):
    write_reports(tiny_findings, tmp_path)
    pages = html_files(tmp_path)
    assert len(pages) == 8
    for page in pages:
        text = page.read_text(encoding="utf-8")
        found = REMOTE.findall(text)
        assert not found, f"{page.name} references {found}"
        assert "<link" not in text
        for src in re.findall(r'<script src="([^"]+)"', text):
            assert (page.parent / src).resolve().is_file(), f"{page.name}: {src} is missing"
            assert (page.parent / src).resolve().is_relative_to(tmp_path.resolve())


def test_remote_resource_check_catches_pyvis_default_template():
    """Guard the guard: pyvis's own in_line output must fail the check above."""
    from pyvis.network import Network
    net = Network(cdn_resources="in_line")
    net.add_node(1)
    assert REMOTE.search(net.generate_html())


def test_inventory_names_are_escaped_in_html(tiny_findings, tmp_path):
    write_reports(tiny_findings, tmp_path)
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert XSS_NAME not in report and SCRIPT_END_NAME not in report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    for page in html_files(tmp_path):
        text = page.read_text(encoding="utf-8")
        assert XSS_NAME not in text and SCRIPT_END_NAME not in text, page.name
        assert "<b>bold" not in text, page.name
    estate = graph_data(tmp_path / "estate-graph.html")
    labels = {n["label"] for n in estate["nodes"]}
    assert XSS_NAME in labels and SCRIPT_END_NAME in labels, "names survive as text"


def test_graphs_have_legend_sizes_tooltips_and_colours(tiny_findings, tmp_path):
    write_reports(tiny_findings, tmp_path)
    estate = graph_data(tmp_path / "estate-graph.html")
    systems = [n for n in estate["nodes"] if n["id"].startswith("sys:")]
    assert len(systems) == 7
    by_id = {n["id"]: n for n in systems}
    assert by_id["sys:HO:HO-1"]["color"] == by_id["sys:DWP:DWP-1"]["color"], \
        "same capability, same colour"
    assert by_id["sys:HO:HO-1"]["color"] != by_id["sys:HO:HO-2"]["color"]
    assert by_id["sys:DWP:DWP-1"]["value"] > by_id["sys:HO:HO-1"]["value"], "sized by users"
    assert "Department: HO" in by_id["sys:HO:HO-1"]["title"]
    page = (tmp_path / "estate-graph.html").read_text(encoding="utf-8")
    for label in ("Collaboration", "CRM", "Case management", "Department"):
        assert f'data-key="{label}"' in page

    cluster = graph_data(tmp_path / "clusters" / "C001.html")
    roles = {n["id"]: n["legend"] for n in cluster["nodes"]}
    assert roles["sys:DWP:DWP-1"] == "Target"
    assert roles["sys:HO:HO-1"] == roles["sys:MOJ:MOJ-1"] == "Migrate"
    assert roles["sys:MOJ:MOJ-2"] == "Connected system"
    migrations = [e for e in cluster["edges"] if e["title"] == "migrates to"]
    assert {(e["from"], e["to"]) for e in migrations} == {
        ("sys:HO:HO-1", "sys:DWP:DWP-1"), ("sys:MOJ:MOJ-1", "sys:DWP:DWP-1")}
    assert any(e["title"] == "integration to re-point" for e in cluster["edges"])


def test_report_links_every_cluster_to_its_graph(tiny_findings, tmp_path):
    write_reports(tiny_findings, tmp_path)
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    for cluster_id in ("C001", "C002"):
        assert f'href="clusters/{cluster_id}.html"' in report
    assert 'href="estate-graph.html"' in report and 'href="data-flow.html"' in report
    for href in set(re.findall(r'href="([^"#][^"]*)"', report)):
        assert (tmp_path / href).is_file(), href


def test_data_flow_shows_integrations_across_departments(tiny_findings, tmp_path):
    write_reports(tiny_findings, tmp_path)
    flow = graph_data(tmp_path / "data-flow.html")
    ids = {n["id"] for n in flow["nodes"]}
    assert {"dept:DWP", "dept:HO", "dept:MOJ"} <= ids
    assert {"data:citizen contact", "data:court records", "data:staff records"} <= ids
    cross = [(e["from"], e["to"]) for e in flow["edges"] if e["from"].startswith("dept:")
             and e["to"].startswith("dept:")]
    assert cross == [("dept:DWP", "dept:HO")], "only DWP-2 -> HO:HO-2 crosses departments"


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_cells_that_excel_would_run_are_neutralised(tiny_findings, tmp_path):
    write_reports(tiny_findings, tmp_path)
    systems = read_csv(tmp_path / "systems.csv")
    assert len(systems) == 8
    names = {r["system_id"]: r["name"] for r in systems}
    assert names["DWP-3"] == "'" + FORMULA_NAME
    assert names["HO-3"] == XSS_NAME, "CSV keeps text as it is otherwise"
    quality = read_csv(tmp_path / "data-quality.csv")
    assert {r["value"] for r in quality} == {"", XSS_NAME, "'-12+3"}
    clusters = read_csv(tmp_path / "clusters.csv")
    assert len(clusters) == 5
    c002 = [r for r in clusters if r["cluster_id"] == "C002"]
    assert c002[0]["role"] == "target" and c002[0]["blockers"] == \
        "'=cmd|' /C calc'!A0 contract clause", "cluster text once, on the target's row"
    assert all(r["blockers"] == "" for r in c002[1:])
    assert {r["target"] for r in c002} == {c002[0]["target"]}, "figures on every row"
    for path in tmp_path.glob("*.csv"):
        for row in read_csv(path):
            for value in row.values():
                assert not re.match(r"[=+\-@\t\r]", value or ""), (path.name, value)


def test_neutralise_leaves_numbers_and_safe_text_alone():
    import pandas as pd
    from estate.report.tables import neutralise
    frame = pd.DataFrame({"text": ["=1+1", "+44 20", "-x", "@SUM(A1)", "\tcmd", "plain", None],
                          "cost": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, None]})
    out = neutralise(frame)
    assert out["text"].tolist()[:6] == ["'=1+1", "'+44 20", "'-x", "'@SUM(A1)", "'\tcmd",
                                        "plain"]
    assert out["text"].isna().tolist()[-1]
    assert out["cost"].tolist()[0] == -5.0


def test_proposals_workbook_is_filterable_and_safe(tiny_findings, tmp_path):
    from openpyxl import load_workbook
    write_reports(tiny_findings, tmp_path)
    wb = load_workbook(tmp_path / "proposals.xlsx")
    assert wb.sheetnames == ["Clusters", "Members", "Targets", "Savings", "Waves"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref, ws.title
        assert all(c.font.bold for c in ws[1] if c.value), ws.title
        assert ws.column_dimensions["A"].width >= 8
    clusters = wb["Clusters"]
    header = [c.value for c in clusters[1]]
    row = dict(zip(header, [c.value for c in clusters[2]]))
    assert row["Cluster"] == "C001" and row["Annual saving"] == 1_050_000.0
    assert clusters.cell(2, header.index("Annual saving") + 1).number_format == "£#,##0"
    assert "Decision" in header and "Notes" in header, "room to annotate"
    blocker = clusters.cell(3, header.index("Blockers") + 1)
    assert blocker.data_type == "s" and blocker.value.startswith("=cmd"), \
        "formula-like text stays text"
    members = wb["Members"]
    assert members.max_row == 1 + 5
    names = [members.cell(r, 7).value for r in range(2, 7)]
    assert SCRIPT_END_NAME in names
    waves = wb["Waves"]
    header = [c.value for c in waves[1]]
    rows = [dict(zip(header, [c.value for c in r])) for r in waves.iter_rows(min_row=2)]
    assert [(r["Cluster"], r["Wave"], r["Systems"]) for r in rows] == [
        ("C001", 1, 1), ("C001", 2, 1), ("C002", 1, 1)]


def test_a_text_too_long_for_a_cell_is_cut_with_a_note(tiny_findings, tmp_path):
    from openpyxl import load_workbook
    from estate.report.xlsx import CELL_TEXT_MAX, CUT_NOTE
    long = "🙂" + "x" * 40_000  # the emoji is two UTF-16 units, as Excel counts
    tiny_findings.analysis.clusters[0].blockers = [long]
    write_reports(tiny_findings, tmp_path)
    clusters = load_workbook(tmp_path / "proposals.xlsx")["Clusters"]
    header = [c.value for c in clusters[1]]
    cell = clusters.cell(2, header.index("Blockers") + 1).value
    assert cell.startswith("🙂xxx") and cell.endswith(CUT_NOTE)
    assert len(cell.encode("utf-16-le")) // 2 <= CELL_TEXT_MAX
    assert len(cell.encode("utf-16-le")) // 2 > CELL_TEXT_MAX - 2


def test_summary_is_short_plain_text(tiny_findings, tmp_path):
    write_reports(tiny_findings, tmp_path)
    text = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "Consolidation clusters: 2" in text and "£1.1m" in text
    assert "C001 (Collaboration)" in text
    assert len(text.splitlines()) < 40
    assert "<script>" not in text


def test_empty_estate_still_gives_every_output(tmp_path):
    findings = make_findings()
    findings.systems = findings.systems.iloc[0:0]
    findings.graph.clear()
    findings.analysis.duplicates.clear()
    findings.analysis.clusters.clear()
    findings.data_quality.findings.clear()
    findings.data_quality.completeness.clear()
    findings.data_quality.scores.clear()
    findings.data_quality.unrecognised_products.clear()
    files = write_reports(findings, tmp_path)
    assert files.cluster_graphs == {} and files.department_graphs == {}
    report = files.report_html.read_text(encoding="utf-8")
    assert "No consolidation clusters were proposed." in report
    assert json.loads(files.findings_json.read_text(encoding="utf-8"))["systems"] == []
    assert graph_data(files.estate_graph)["nodes"] == []


def test_pages_from_an_earlier_run_are_removed(tiny_findings, tmp_path):
    stale = tmp_path / "clusters" / "C999.html"
    stale.parent.mkdir()
    stale.write_text("old", encoding="utf-8")
    keep = tmp_path / "notes.txt"
    keep.write_text("mine", encoding="utf-8")
    files = write_reports(tiny_findings, tmp_path)
    assert not stale.exists() and files.removed == [stale]
    assert keep.exists(), "only stale graph pages are removed"


def test_cluster_ids_that_are_not_file_names_get_distinct_pages(tiny_findings, tmp_path):
    tiny_findings.analysis.clusters[0].id = "../A/B"
    tiny_findings.analysis.clusters[1].id = "../A B"
    files = write_reports(tiny_findings, tmp_path)
    pages = sorted(files.cluster_graphs.values())
    assert len(set(pages)) == 2
    assert all(p.parent == tmp_path / "clusters" for p in pages)


def test_unwritable_output_is_a_clear_report_error(tiny_findings, tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(ReportError) as info:
        write_reports(tiny_findings, blocker)
    assert "report" in str(info.value) and "out" in str(info.value)


def synthetic_graph(systems: int, departments: int = 8, capabilities: int = 12):
    """A typed estate graph of the documented shape, big enough to need the large views."""
    import networkx as nx
    g = nx.DiGraph()
    for d in range(departments):
        g.add_node(f"dept:D{d}", type="department", label=f"D{d}")
    for c in range(capabilities):
        g.add_node(f"cap:c{c}", type="capability", label=f"Capability {c}")
    for i in range(systems):
        dept, cap = f"D{i % departments}", f"c{(i * 7) % capabilities}"
        node = f"sys:{dept}:S{i}"
        g.add_node(node, type="system", label=f"System {i}", name=f"System {i}",
                   department=dept, system_id=f"S{i}", capability_id=cap,
                   capability_name=f"Capability {cap[1:]}", users=10 + i)
        g.add_edge(f"dept:{dept}", node, type="owns")
        g.add_edge(node, f"cap:{cap}", type="provides")
        if i:
            g.add_edge(node, f"sys:D{(i - 1) % departments}:S{i - 1}", type="integrates_with")
    return g


def test_a_large_estate_is_laid_out_in_python_round_departments(tiny_findings, tmp_path):
    from estate.report import graphs
    tiny_findings.graph = synthetic_graph(graphs.PHYSICS_MAX_NODES + 50)
    write_reports(tiny_findings, tmp_path)
    page = (tmp_path / "estate-graph.html").read_text(encoding="utf-8")
    data = graph_data(tmp_path / "estate-graph.html")
    assert data["physics"] is False and '"improvedLayout": false' in page
    assert all("x" in n and "y" in n for n in data["nodes"])
    assert not any(n["id"].startswith("cap:") for n in data["nodes"]), \
        "colour carries the capability; hubs are departments"
    systems = [n for n in data["nodes"] if n["id"].startswith("sys:")]
    assert len(systems) == graphs.PHYSICS_MAX_NODES + 50


def test_a_very_large_estate_overview_is_grouped_with_a_way_in(tiny_findings, tmp_path):
    from estate.report import graphs
    tiny_findings.graph = synthetic_graph(graphs.OVERVIEW_MAX_NODES + 1, departments=16)
    files = write_reports(tiny_findings, tmp_path)
    data = graph_data(files.estate_graph)
    kinds = sorted({n["id"].split(":")[0] for n in data["nodes"]})
    assert kinds == ["capgroup", "dept"]
    assert len(data["nodes"]) == 16 + 12
    for dept in (n for n in data["nodes"] if n["id"].startswith("dept:")):
        assert (tmp_path / dept["url"]).is_file(), "each department drills into its page"
    edges = {(e["from"], e["to"]): e["value"] for e in data["edges"]}
    assert sum(edges.values()) == graphs.OVERVIEW_MAX_NODES + 1, "every system is counted"
    d0 = graph_data(files.department_graphs["D0"])
    assert sum(n["id"].startswith("sys:D0:") for n in d0["nodes"]) == 126


# --- large estates: pages, tables and sheets are capped, never the CSV files -------------

def test_only_the_largest_savings_get_cluster_pages(tiny_findings, tmp_path, monkeypatch):
    from estate.report import model
    monkeypatch.setattr(model, "CLUSTER_PAGES_MAX", 1)
    files = write_reports(tiny_findings, tmp_path)
    assert set(files.cluster_graphs) == {"C001"}, "C001 saves more; C002's saving is unknown"
    doc = json.loads(files.findings_json.read_text(encoding="utf-8"))
    assert [c["graph"] for c in doc["clusters"]] == ["clusters/C001.html", None]
    assert doc["pages"]["clusters"] == {"C001": "clusters/C001.html"}
    rows = read_csv(files.clusters_csv)
    assert {r["graph"] for r in rows if r["cluster_id"] == "C002"} == {""}
    report = files.report_html.read_text(encoding="utf-8")
    assert "C002" in report and "No graph page" in report
    assert 'href="None"' not in report


def test_only_the_largest_departments_get_pages(tiny_findings, tmp_path, monkeypatch):
    from estate.report import model
    monkeypatch.setattr(model, "DEPARTMENT_PAGES_MAX", 2)
    files = write_reports(tiny_findings, tmp_path)
    assert len(files.department_graphs) == 2
    estate = graph_data(files.estate_graph)
    for node in estate["nodes"]:
        if node.get("url"):
            assert (tmp_path / node["url"]).is_file(), "no link to a page not written"


def test_a_cluster_too_large_to_draw_is_grouped_by_department_and_product(
        tiny_findings, tmp_path, monkeypatch):
    from estate.report import graphs
    monkeypatch.setattr(graphs, "GROUP_ABOVE_NODES", 2)
    files = write_reports(tiny_findings, tmp_path)
    data = graph_data(files.cluster_graphs["C001"])
    ids = {n["id"] for n in data["nodes"]}
    assert "sys:DWP:DWP-1" in ids, "the target stays a node of its own"
    groups = [n for n in data["nodes"] if n["id"].startswith("group:")]
    assert {g["id"] for g in groups} == {"group:HO|Microsoft 365",
                                         "group:MOJ|Microsoft 365"}
    assert all("(1)" in g["label"] and "Systems: " in g["title"] for g in groups)
    assert not any(i.startswith("sys:") and i != "sys:DWP:DWP-1" for i in ids)
    migrates = [e for e in data["edges"] if e["to"] == "sys:DWP:DWP-1" and e.get("dashes")]
    assert len(migrates) == 2


def test_a_department_too_large_to_draw_is_grouped(tiny_findings, tmp_path, monkeypatch):
    from estate.report import graphs
    tiny_findings.graph = synthetic_graph(80, departments=2, capabilities=3)
    monkeypatch.setattr(graphs, "GROUP_ABOVE_NODES", 30)
    files = write_reports(tiny_findings, tmp_path)
    data = graph_data(files.department_graphs["D0"])
    groups = [n for n in data["nodes"] if n["id"].startswith("group:")]
    assert groups and not any(n["id"].startswith("sys:") for n in data["nodes"])
    assert sum(int(re.search(r"\((\d+)\)$", g["label"]).group(1)) for g in groups) == 40, \
        "every system of the department is in a group"


def test_report_tables_show_the_top_rows_and_say_where_the_rest_are(
        tiny_findings, tmp_path, monkeypatch):
    from estate.report import html
    monkeypatch.setattr(html, "TABLE_ROWS_MAX", 1)
    files = write_reports(tiny_findings, tmp_path)
    report = files.report_html.read_text(encoding="utf-8")
    assert report.count('class="cluster-link"') == 1
    assert "Showing the first 1 of 2; all of them are in" in report
    assert '<a href="clusters.csv">clusters.csv</a>' in report
    assert len(read_csv(files.clusters_csv)) == 5, "the CSV keeps every member"


def test_members_sheet_keeps_whole_clusters_with_the_largest_savings(
        tiny_findings, tmp_path, monkeypatch):
    from openpyxl import load_workbook
    from estate.report import xlsx
    monkeypatch.setattr(xlsx, "MEMBER_ROWS_MAX", 4)
    write_reports(tiny_findings, tmp_path)
    members = load_workbook(tmp_path / "proposals.xlsx")["Members"]
    clusters = [members.cell(r, 1).value for r in range(2, members.max_row + 1)]
    assert clusters[:-1] == ["C001"] * 3, "C001 (3 members) fits; C002 would pass 4 rows"
    assert "clusters.csv" in clusters[-1]


def test_money_reads_naturally_for_savings_and_costs():
    from estate.report.html import money

    assert [money(v) for v in (None, 900, 45_000, 1_250_000, -17_300_000, -450)] == [
        "–", "£900", "£45k", "£1.2m", "−£17.3m", "−£450"]


def test_long_tables_are_kept_as_columns_but_read_as_records(monkeypatch, tmp_path):
    """findings.json's systems, dispositions and cluster members are written from columns;
    read as data they are the same records, in whatever chunk size they are converted."""
    from estate.report import rows as rows_module
    from estate.report._files import dumps_json
    from estate.report.model import build_document, system_records

    from estate.analyse.model import SystemDisposition
    from estate.report.model import dataclass_rows, plain

    findings = make_findings()
    doc = build_document(findings)
    dispositions = [SystemDisposition("HO", f"HO-{i}", "Migrate", f"why {i}",
                                      "C001" if i % 2 else None) for i in range(5)]
    tables = {"systems": doc["systems"], "dispositions": dataclass_rows(dispositions)}
    assert list(tables["dispositions"]) == [plain(d) for d in dispositions]
    for key, table in tables.items():
        records = [dict(r) for r in table]
        assert table == records and len(table) == len(records) > 2
        assert table[-1] == records[-1] and table[1:3] == records[1:3]
        assert dumps_json({key: table}) == dumps_json({key: records})
    plain_clusters = [dict(c, members=list(c["members"])) for c in doc["clusters"]]
    assert dumps_json({"clusters": doc["clusters"]}) == dumps_json({"clusters": plain_clusters})
    written = json.loads(dumps_json(doc))
    as_written = [dict(c, members=list(c["members"])) for c in doc.json_document()["clusters"]]
    assert written["clusters"] == json.loads(dumps_json({"clusters": as_written}))["clusters"]
    assert written["clusters"][0]["members"][0] == {
        "department": "DWP", "system_id": "DWP-1", "system_key": "DWP:DWP-1", "role": "target",
        "wave": None, "earliest_date": "2025-12-31", "score": None, "order": None,
        "wave_reason": "", "cost_on_target": None, "saving": None}
    assert "dispositions" not in written and "dispositions" in doc, "kept in memory only"

    from estate.report.tables import write_systems_csv
    whole = dumps_json({"systems": system_records(findings.systems)})
    write_systems_csv(tmp_path / "whole.csv", {"systems": system_records(findings.systems)})
    monkeypatch.setattr(rows_module, "CHUNK_ROWS", 2)
    monkeypatch.setattr(rows_module, "SMALL_ROWS", 0)
    chunked = system_records(findings.systems)
    assert dumps_json({"systems": chunked}) == whole
    assert list(chunked) == json.loads(whole)["systems"]
    monkeypatch.setattr(rows_module, "_mostly_distinct", lambda series: True)
    unhashed = system_records(findings.systems)
    assert dumps_json({"systems": unhashed}) == whole
    assert list(unhashed) == json.loads(whole)["systems"]
    write_systems_csv(tmp_path / "unhashed.csv", {"systems": system_records(findings.systems)})
    assert (tmp_path / "unhashed.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_csv_fields_are_written_as_pandas_writes_them(tmp_path):
    import pandas as pd
    from estate.report.tables import csv_cell, neutralise, write_lines

    values = ["plain", "a,b", 'say "hi"', "two\nlines", "=1+1", "-x", "", None, 1.5, 3,
              "cr\rhere", " sp ", "£5", "é"]
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object), "w": 1})
    expected = neutralise(frame).to_csv(index=False, lineterminator="\n")
    write_lines(tmp_path / "x.csv", ["v", "w"], [[[csv_cell(v) for v in values],
                                                  ["1"] * len(values)]])
    assert (tmp_path / "x.csv").read_bytes().decode("utf-8-sig") == expected


def test_workbook_cells_keep_text_numbers_and_dates_as_typed(tmp_path):
    from datetime import datetime
    from openpyxl import load_workbook
    from estate.report.xlsx import Sheet, _package

    sheet = Sheet("Odd <&> 'name'", [("Text", "text"), ("Money", "money"), ("Date", "date"),
                                     ("Count", "int")],
                  [("  padded ", 1234.5, "2027-03-31", 7), ("a < b & c > d", None, "soon", True),
                   ("=SUM(A1)", -2.0, None, None), ("#N/A", 0.1 + 0.2, "", 10**15)], note="n")
    import zipfile
    with zipfile.ZipFile(tmp_path / "x.xlsx", "w") as z:
        for name, text in _package([sheet]).items():
            z.writestr(name, text)
    ws = load_workbook(tmp_path / "x.xlsx")[sheet.title]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["Text", "Money", "Date", "Count"],
        ["  padded ", 1234.5, datetime(2027, 3, 31), 7],
        ["a < b & c > d", None, "soon", True],
        ["=SUM(A1)", -2, None, None],
        ["#N/A", 0.3, None, 10**15],
        ["n", None, None, None]]
    assert ws["A4"].data_type == "s" and ws["B2"].number_format == "£#,##0"
    assert ws["C2"].number_format == "yyyy-mm-dd" and ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:D5" and ws["A1"].font.bold


def test_rows_in_display_order_dump_like_their_records():
    """A table written in an order other than its frame's, with a column the frame lacks
    and one with no columns at all, reads and dumps as the same records."""
    import numpy as np
    import pandas as pd

    from estate.report._files import dumps_json
    from estate.report.rows import Rows

    frame = pd.DataFrame({"a": ["x", None, "x", "=y"], "n": [3, 1, 2, None]}, dtype=object)
    table = Rows(frame, [("a", "a", "text"), ("n", "n", "int"), ("gone", "gone", "list")],
                 order=np.array([3, 1, 0, 2]))
    records = [{"a": "=y", "n": None, "gone": []}, {"a": None, "n": 1, "gone": []},
               {"a": "x", "n": 3, "gone": []}, {"a": "x", "n": 2, "gone": []}]
    assert list(table) == records
    assert dumps_json({"t": table}) == dumps_json({"t": records})
    empty = Rows(frame, [])
    assert dumps_json({"t": empty}) == dumps_json({"t": [{}] * 4})
