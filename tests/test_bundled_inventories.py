"""The bundled sample inventories: well-formed files, and the planted cases are found.

``inventories/`` is the default input of ``estate analyse`` and the showcase of the tool.
Its files are invented; ``inventories/README.md`` documents every planted case and
``benchmarks/make_sample_inventories.py`` regenerates them. The first group of tests
checks the files themselves; the second runs the whole analysis once and checks that the
planted duplicates, tiers, data flows and bad cells come out as the design promises.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
INVENTORIES = ROOT / "inventories"
GENERATOR = ROOT / "benchmarks" / "make_sample_inventories.py"

# Every planted case in one place: (department slug, system id) pairs. Department slugs are
# the lower-case, dash-separated department names (file stem or Department column).
PLANTED = {
    "departments": {
        "dwp": "dwp.csv", "hmrc": "hmrc.csv", "home-office": "home-office.csv",
        "nhs-england": "nhs-england.csv", "moj": "moj.csv", "dfe": "dfe.csv",
        "cabinet-office": "cabinet-office.csv", "dft": "transport.csv",
        "dvla": "transport.csv", "northshire-county-council": "northshire-county-council.csv",
    },
    "bom_file": "nhs-england.csv",
    "m365_tenants": [
        ("dwp", "DWP-0001"), ("dwp", "DWP-0003"), ("hmrc", "APP-1001"), ("hmrc", "APP-1002"),
        ("home-office", "HO-101"), ("nhs-england", "NHSE-001"), ("moj", "MOJ-001"),
        ("dfe", "DFE-01"), ("cabinet-office", "CO-APP-001"), ("dft", "DFT-001"),
        ("dvla", "DVLA-001"),
    ],
    "m365_min_departments": 6,
    "m365_min_in_one_cluster": 3,
    "google_workspace": ("northshire-county-council", "NCC-0001"),
    "crm": [
        ("dwp", "DWP-0010"), ("hmrc", "APP-1010"), ("home-office", "HO-110"),
        ("nhs-england", "NHSE-010"), ("dvla", "DVLA-010"), ("cabinet-office", "CO-APP-010"),
        ("dfe", "DFE-05"), ("northshire-county-council", "NCC-0005"),
    ],
    "hr_payroll": [
        ("dwp", "DWP-0016"), ("hmrc", "APP-1016"), ("home-office", "HO-116"),
        ("nhs-england", "NHSE-016"), ("moj", "MOJ-016"), ("dfe", "DFE-07"),
        ("cabinet-office", "CO-APP-016"), ("dft", "DFT-016"), ("dvla", "DVLA-016"),
        ("northshire-county-council", "NCC-0007"),
    ],
    "finance_erp": [
        ("dwp", "DWP-0015"), ("hmrc", "APP-1015"), ("home-office", "HO-115"),
        ("nhs-england", "NHSE-015"), ("moj", "MOJ-015"), ("dfe", "DFE-06"),
        ("cabinet-office", "CO-APP-015"), ("dft", "DFT-015"), ("dvla", "DVLA-015"),
        ("northshire-county-council", "NCC-0006"),
    ],
    "identity": [
        ("dwp", "DWP-0020"), ("hmrc", "APP-1020"), ("home-office", "HO-120"),
        ("nhs-england", "NHSE-020"), ("moj", "MOJ-020"), ("dfe", "DFE-08"),
        ("cabinet-office", "CO-APP-020"), ("dft", "DFT-020"),
        ("northshire-county-council", "NCC-0008"),
    ],
    "min_distinct_products": 3,
    # In-house case management, OFFICIAL tier; all of these must be in one group.
    "case_management_inhouse": [
        ("dwp", "DWP-0042"), ("hmrc", "APP-1042"), ("home-office", "HO-142"),
        ("moj", "MOJ-042"),
    ],
    # More case management that should join the group (DFE-12 names no product and
    # states its capability in DfE's "What it does" column).
    "case_management_more": [
        ("nhs-england", "NHSE-042"), ("dvla", "DVLA-042"), ("cabinet-office", "CO-APP-042"),
        ("dfe", "DFE-12"),
    ],
    "case_management_secret": ("home-office", "HO-143"),
    "secret": [
        ("home-office", "HO-143"), ("home-office", "HO-301"), ("home-office", "HO-310"),
        ("home-office", "HO-198"), ("hmrc", "APP-1070"), ("hmrc", "APP-1071"),
        ("moj", "MOJ-095"), ("cabinet-office", "CO-APP-051"),
    ],
    "top_secret": [("home-office", "HO-300"), ("cabinet-office", "CO-APP-050")],
    # Same product at different tiers: never in one cluster.
    "split_by_tier": [
        [("home-office", "HO-310"), ("cabinet-office", "CO-APP-051"), ("moj", "MOJ-090")],
        [("hmrc", "APP-1071"), ("home-office", "HO-301"), ("moj", "MOJ-060"),
         ("dwp", "DWP-0062")],
    ],
    "cross_department_flows": [
        (("nhs-england", "NHSE-030"), ("home-office", "HO-220")),
        (("home-office", "HO-220"), ("hmrc", "APP-1050")),
        (("home-office", "HO-220"), ("dwp", "DWP-0050")),
        (("hmrc", "APP-1050"), ("dwp", "DWP-0050")),
        (("nhs-england", "NHSE-031"), ("hmrc", "APP-1050")),
        (("dwp", "DWP-0050"), ("hmrc", "APP-1060")),
        (("home-office", "HO-150"), ("hmrc", "APP-1060")),
        (("hmrc", "APP-1060"), ("dfe", "DFE-21")),
        (("home-office", "HO-230"), ("dvla", "DVLA-040")),
        (("dvla", "DVLA-040"), ("home-office", "HO-230")),
        (("moj", "MOJ-050"), ("dvla", "DVLA-050")),
        (("cabinet-office", "CO-APP-060"), ("dwp", "DWP-0050")),
    ],
    "birth_records_departments": {"nhs-england", "home-office", "hmrc", "dwp"},
    "unrecognised": [
        ("dwp", "DWP-0060"), ("moj", "MOJ-070"), ("hmrc", "APP-1090"),
        ("home-office", "HO-199"), ("nhs-england", "NHSE-050"),
    ],
    "unrecognised_lookalikes": [("dwp", "DWP-0060"), ("moj", "MOJ-070")],
    "no_product": [("dfe", "DFE-30"), ("northshire-county-council", "NCC-0050")],
    "annual_cost": {
        ("dwp", "DWP-0001"): 14_200_000.0,        # "£14,200,000"
        ("hmrc", "APP-1001"): 11_900_000.0,       # "11900000.00"
        ("home-office", "HO-142"): 1_850_000.0,   # "£1.85m"
        ("home-office", "HO-301"): 120_000.0,     # "120k"
        ("home-office", "HO-199"): 64_000.0,      # "approx 64k"
        ("nhs-england", "NHSE-001"): 2_900_000.0,  # "£2,900,000.00"
        ("moj", "MOJ-001"): 9_600_000.0,          # "9,600,000"
        ("dvla", "DVLA-001"): 1_200_000.0,        # "1200000.00"
        ("northshire-county-council", "NCC-0001"): 310_000.0,  # "310000"
    },
    "unparsable_cost": [("dwp", "DWP-0002", "Annual Cost (£)"),
                        ("dwp", "DWP-0020", "Annual Cost (£)")],
    "contract_end": {
        ("dwp", "DWP-0070"): "2025-03-31",        # "31/03/2025"
        ("hmrc", "APP-1080"): "2024-03-31",       # ISO
        ("moj", "MOJ-080"): "2024-12-31",         # "31/12/2024"
        ("dvla", "DVLA-040"): "2028-03-31",       # "31-Mar-2028"
        ("home-office", "HO-198"): "2024-09",     # "Sep-24": year and month only
    },
    "classification": {
        ("home-office", "HO-142"): "OFFICIAL-SENSITIVE",  # "Official Sensitive"
        ("home-office", "HO-143"): "SECRET",              # "Secret"
        ("home-office", "HO-300"): "TOP SECRET",          # "Top Secret"
        ("nhs-england", "NHSE-030"): "OFFICIAL-SENSITIVE",  # "OFFICIAL SENSITIVE"
        ("dvla", "DVLA-040"): "OFFICIAL-SENSITIVE",       # "Official - Sensitive"
        ("hmrc", "APP-1070"): "SECRET",
        ("cabinet-office", "CO-APP-050"): "TOP SECRET",
    },
    "row_without_id": ("dfe.csv", "Teacher Vacancy tool"),
    "duplicate_id": ("northshire-county-council", "NCC-0051"),
}


def slug(text: object) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


# --------------------------------------------------------------------------------------
# The files themselves (independent of the pipeline).
# --------------------------------------------------------------------------------------

ID_HEADERS = {"App ID", "APP_REF", "Ref", "ID", "System ID", "Asset Ref"}
REF_HEADERS = {"Interfaces", "DATA_FLOWS_TO", "Integrates With", "Integrates with",
               "Data flows to", "Connected Systems", "Integrations"}


def _csv_files() -> list[Path]:
    return sorted(INVENTORIES.glob("*.csv"))


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(physical line, row) for every data row, read with the csv module."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return [(reader.line_num, row) for row in reader]


def _inventory_rows() -> list[dict]:
    """Every data row of every file with its department slug, id, file and line."""
    out = []
    for path in _csv_files():
        for line, row in _read_rows(path):
            dept = row["Department"] if "Department" in row else path.stem
            id_header = next(h for h in row if h in ID_HEADERS)
            ref_header = next((h for h in row if h in REF_HEADERS), None)
            out.append({"file": path.name, "line": line, "dept": slug(dept),
                        "id": row[id_header].strip(), "row": row,
                        "refs": row[ref_header] if ref_header else ""})
    return out


def test_every_file_is_a_plain_table_pandas_can_read():
    files = _csv_files()
    assert len(files) >= 8
    for path in files:
        frame = pd.read_csv(path, encoding="utf-8-sig")
        assert len(frame) > 0, path.name
        assert not any(str(c).startswith("Unnamed") for c in frame.columns), path.name


def test_departments_and_row_counts_are_as_documented():
    counts = Counter(r["dept"] for r in _inventory_rows())
    assert set(counts) == set(PLANTED["departments"])
    for dept, n in counts.items():
        assert 40 <= n <= 150, (dept, n)
    files = {r["dept"]: r["file"] for r in _inventory_rows()}
    assert files == PLANTED["departments"]


def test_departments_export_their_own_headers_and_encoding():
    headers = [tuple(pd.read_csv(p, encoding="utf-8-sig", nrows=0).columns)
               for p in _csv_files()]
    assert len(set(headers)) == len(headers)
    with_bom = [p.name for p in _csv_files() if p.read_bytes().startswith(b"\xef\xbb\xbf")]
    assert with_bom == [PLANTED["bom_file"]]
    for path in _csv_files():
        path.read_bytes().decode("utf-8-sig")  # all UTF-8


def test_planted_systems_exist_in_the_files():
    known = {(r["dept"], r["id"]) for r in _inventory_rows()}
    for key, value in PLANTED.items():
        refs = _planted_refs(value)
        missing = [ref for ref in refs if ref not in known]
        assert not missing, (key, missing)


def test_every_integration_reference_names_a_listed_system():
    rows = _inventory_rows()
    known = {(r["dept"], r["id"].lower()) for r in rows}
    unresolved = []
    for r in rows:
        for ref in filter(None, (x.strip() for x in re.split(r"[;,]", r["refs"]))):
            dept, _, sid = ref.rpartition(":")
            target = (slug(dept) if dept else r["dept"], sid.strip().lower())
            if target not in known:
                unresolved.append((r["file"], r["line"], ref))
    assert unresolved == []


def test_readme_documents_every_planted_system_and_says_it_is_invented():
    readme = (INVENTORIES / "README.md").read_text(encoding="utf-8")
    assert "invented" in readme.lower()
    for key, value in PLANTED.items():
        for _, sid in _planted_refs(value):
            assert sid in readme, (key, sid)


def test_generator_rewrites_the_same_bytes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_sample_inventories", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    try:
        spec.loader.exec_module(module)
        module.write_all(tmp_path)
    finally:
        del sys.modules[spec.name]
    written = sorted(p.name for p in tmp_path.glob("*.csv"))
    assert written == [p.name for p in _csv_files()]
    for name in written:
        assert (tmp_path / name).read_bytes() == (INVENTORIES / name).read_bytes(), name


def _planted_refs(value) -> list[tuple[str, str]]:
    """Every (department slug, system id) pair inside a PLANTED entry."""
    if isinstance(value, tuple) and len(value) >= 2 and all(isinstance(v, str) for v in value):
        if value[0] in PLANTED["departments"]:
            return [(value[0], value[1])]
        return []
    if isinstance(value, dict):
        return [ref for k in value for ref in _planted_refs(k)]
    if isinstance(value, (list, tuple, set)):
        return [ref for v in value for ref in _planted_refs(v)]
    return []


# --------------------------------------------------------------------------------------
# The analysis of the bundled inventories.
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def findings():
    from estate.pipeline import run_analysis
    from estate.settings import Settings

    return run_analysis([INVENTORIES], Settings())


@pytest.fixture(scope="module")
def systems(findings) -> pd.DataFrame:
    frame = findings.systems.copy()
    frame["dept_slug"] = frame["department"].map(slug)
    return frame


def _row(systems: pd.DataFrame, ref: tuple[str, str]) -> pd.Series:
    dept, sid = ref
    match = systems[(systems["dept_slug"] == dept) & (systems["system_id"] == sid)]
    if len(match) > 1:  # only the planted duplicate id; its rows share every tested value
        match = match[match["status"] == "analysed"].sort_values("source_line")
    assert len(match) >= 1, ref
    return match.iloc[0]


def _ref(member) -> tuple[str, str]:
    return slug(member.department), str(member.system_id)


def _group_with(findings, kind: str, ref: tuple[str, str]):
    groups = [g for g in findings.analysis.duplicates
              if g.kind == kind and ref in {_ref(m) for m in g.members}]
    assert groups, f"no {kind} duplicate group contains {ref}"
    return max(groups, key=lambda g: len(g.members))


def _tier(systems: pd.DataFrame, ref: tuple[str, str]) -> str:
    from estate.schema import CLASSIFICATION_TIER
    from estate.settings import Settings

    value = _row(systems, ref)["classification"]
    assumed = CLASSIFICATION_TIER[Settings().assume_classification]
    return assumed if pd.isna(value) else CLASSIFICATION_TIER[value]


def test_one_systems_row_per_input_data_row(systems):
    rows = _inventory_rows()
    assert len(systems) == len(rows)
    expected = Counter(r["dept"] for r in rows)
    assert Counter(systems["dept_slug"]) == expected


def test_rows_keep_their_source_line(systems):
    lines = {(r["dept"], r["id"]): (r["file"], r["line"]) for r in _inventory_rows()}
    for ref in [("dwp", "DWP-0042"), ("nhs-england", "NHSE-030"), ("dvla", "DVLA-040"),
                ("cabinet-office", "CO-APP-050")]:
        row = _row(systems, ref)
        file, line = lines[ref]
        assert Path(str(row["source_file"])).name == file
        assert int(row["source_line"]) == line


def test_microsoft_365_tenant_sprawl_is_one_same_product_group(findings, systems):
    tenants = PLANTED["m365_tenants"]
    group = _group_with(findings, "same-product", tenants[0])
    assert "365" in (group.product or "")
    members = {_ref(m) for m in group.members}
    found = [t for t in tenants if t in members]
    assert len({dept for dept, _ in found}) >= PLANTED["m365_min_departments"], found
    assert PLANTED["google_workspace"] not in members
    assert ("dwp", "DWP-0003") in members  # a second DWP tenant is a duplicate too


def test_microsoft_365_tenants_are_proposed_for_consolidation(findings):
    tenants = set(PLANTED["m365_tenants"])
    best = max((len(tenants & {_ref(m) for m in c.members}) for c in findings.analysis.clusters),
               default=0)
    assert best >= PLANTED["m365_min_in_one_cluster"]


@pytest.mark.parametrize("case, words", [
    ("crm", ("customer", "crm")),
    ("hr_payroll", ("hr", "payroll", "human")),
    ("finance_erp", ("finance", "erp")),
    ("identity", ("identity",)),
])
def test_several_products_for_one_capability_form_a_group(findings, systems, case, words):
    planted = PLANTED[case]
    groups = [g for g in findings.analysis.duplicates if g.kind == "same-capability"
              and len(set(planted) & {_ref(m) for m in g.members}) >= 3]
    assert groups, f"no same-capability group holds three of the planted {case} systems"
    group = max(groups, key=lambda g: len(set(planted) & {_ref(m) for m in g.members}))
    assert any(w in (group.capability or "").lower() for w in words), group.capability
    in_group = [ref for ref in planted if ref in {_ref(m) for m in group.members}]
    products = {_row(systems, ref)["product_name"] for ref in in_group}
    products.discard(None)
    assert len({p for p in products if not pd.isna(p)}) >= PLANTED["min_distinct_products"]


def test_in_house_case_management_systems_share_one_capability_group(findings):
    core = PLANTED["case_management_inhouse"]
    group = _group_with(findings, "same-capability", core[0])
    members = {_ref(m) for m in group.members}
    assert set(core) <= members
    assert "case" in (group.capability or "").lower()
    assert len({dept for dept, _ in members}) >= 4
    more = [ref for ref in PLANTED["case_management_more"] if ref in members]
    assert more, "NHS England, DVLA or Cabinet Office case management should join the group"


def test_no_cluster_mixes_classification_tiers(findings, systems):
    assert findings.analysis.clusters
    for cluster in findings.analysis.clusters:
        tiers = {_tier(systems, _ref(m)) for m in cluster.members}
        assert tiers == {cluster.tier}, (cluster.id, tiers)


def test_secret_and_top_secret_systems_are_never_merged_with_official(findings, systems):
    secret_case = PLANTED["case_management_secret"]
    high = set(PLANTED["secret"]) | set(PLANTED["top_secret"])
    for cluster in findings.analysis.clusters:
        members = {_ref(m) for m in cluster.members}
        if members & high:
            assert cluster.tier in {"SECRET", "TOP SECRET"}, cluster.id
        if secret_case in members:
            assert not members & set(PLANTED["case_management_inhouse"]), cluster.id
        for ref in PLANTED["top_secret"]:
            if ref in members:
                assert cluster.tier == "TOP SECRET"
        for same_product in PLANTED["split_by_tier"]:
            tiers = {_tier(systems, ref) for ref in same_product if ref in members}
            assert len(tiers) <= 1, (cluster.id, same_product)


def test_official_case_management_cluster_has_one_target(findings):
    core = set(PLANTED["case_management_inhouse"])
    clusters = [c for c in findings.analysis.clusters
                if len(core & {_ref(m) for m in c.members}) >= 2]
    assert clusters
    for cluster in clusters:
        assert cluster.tier == "OFFICIAL"
        targets = [m for m in cluster.members if m.role == "target"]
        assert len(targets) == 1
        assert _ref(targets[0]) == _ref(cluster.target)
        assert {m.role for m in cluster.members} == {"target", "migrate"}


def test_cross_department_data_flows_are_graph_edges(findings, systems):
    graph = findings.graph
    for source, target in PLANTED["cross_department_flows"]:
        a = "sys:" + str(_row(systems, source)["system_key"])
        b = "sys:" + str(_row(systems, target)["system_key"])
        assert graph.has_edge(a, b), (source, target)
        assert graph.edges[a, b]["type"] == "integrates_with"
        assert graph.nodes[a]["department"] != graph.nodes[b]["department"]


def test_every_bundled_integration_reference_resolves(findings):
    external = [n for n, d in findings.graph.nodes(data=True)
                if d.get("type") == "system" and d.get("external")]
    assert external == []


def test_birth_records_are_held_across_departments(findings):
    graph = findings.graph
    domain = next(n for n, d in graph.nodes(data=True)
                  if d.get("type") == "data_domain" and slug(d.get("label")) == "birth-records")
    holders = {slug(graph.nodes[s]["department"]) for s in graph.predecessors(domain)
               if graph.edges[s, domain]["type"] == "holds_data"}
    assert PLANTED["birth_records_departments"] <= holders


def test_unknown_products_stay_unrecognised(systems):
    for ref in PLANTED["unrecognised"]:
        product_id = _row(systems, ref)["product_id"]
        assert pd.isna(product_id) or str(product_id).startswith("unrecognised:"), ref
    ids = {str(_row(systems, ref)["product_id"]) for ref in PLANTED["unrecognised_lookalikes"]}
    assert len(ids) == 1 and ids.pop().startswith("unrecognised:")


def test_bespoke_systems_without_a_product_have_none(systems):
    for ref in PLANTED["no_product"]:
        assert pd.isna(_row(systems, ref)["product_id"]), ref


def test_department_cost_formats_are_read_as_pounds(systems):
    for ref, pounds in PLANTED["annual_cost"].items():
        assert float(_row(systems, ref)["annual_cost"]) == pytest.approx(pounds), ref


def test_unparsable_costs_are_empty_and_reported(findings, systems):
    lines = {(r["dept"], r["id"]): r["line"] for r in _inventory_rows()}
    for dept, sid, header in PLANTED["unparsable_cost"]:
        assert pd.isna(_row(systems, (dept, sid))["annual_cost"])
        reported = [f for f in findings.data_quality.findings
                    if f.line == lines[(dept, sid)] and f.column == header
                    and Path(f.file).name == PLANTED["departments"][dept]]
        assert reported, (dept, sid)


def test_department_date_formats_are_read(systems):
    for ref, expected in PLANTED["contract_end"].items():
        value = pd.Timestamp(_row(systems, ref)["contract_end"])
        assert value.strftime("%Y-%m-%d").startswith(expected), (ref, value)


def test_department_classification_spellings_are_canonical(systems):
    for ref, expected in PLANTED["classification"].items():
        assert _row(systems, ref)["classification"] == expected, ref


def test_rows_without_an_id_or_with_a_repeated_id_are_kept_and_reported(findings, systems):
    def reported(file: str, line: int) -> bool:
        return any(Path(f.file).name == file and f.line == line
                   for f in findings.data_quality.findings)

    file, name = PLANTED["row_without_id"]
    row = systems[(systems["source_file"].map(lambda f: Path(str(f)).name) == file)
                  & (systems["name"] == name)]
    assert len(row) == 1
    assert reported(file, int(row.iloc[0]["source_line"]))

    dept, sid = PLANTED["duplicate_id"]
    dup = systems[(systems["dept_slug"] == dept) & (systems["system_id"] == sid)]
    assert len(dup) == 2
    assert reported(PLANTED["departments"][dept], int(dup["source_line"].max()))
    assert systems.loc[systems["status"] == "analysed", "system_key"].is_unique


def test_bespoke_capability_outside_the_taxonomy_is_compared_across_departments(
        findings, systems):
    # The Kestrel look-alikes (DWP, MOJ) are written with the capability "Workforce
    # rostering", which the taxonomy lacks; in-house rostering systems share the text.
    lookalikes = PLANTED["unrecognised_lookalikes"]
    group = _group_with(findings, "same-capability", lookalikes[0])
    members = {_ref(m) for m in group.members}
    assert set(lookalikes) <= members
    assert group.capability_id.startswith("other:")
    assert "roster" in (group.capability or "").lower()
    assert len(group.departments) >= 2
    assert any(pd.isna(_row(systems, ref)["product_id"]) for ref in members), \
        "an in-house system with the same capability text should join the group"
    assert {_row(systems, ref)["capability_group"] for ref in members} == {
        "Other (not in taxonomy)"}
    clusters = [c for c in findings.analysis.clusters if c.capability_id == group.capability_id]
    assert any(set(lookalikes) <= {_ref(m) for m in c.members} for c in clusters)
    reported = [f for f in findings.data_quality.findings
                if f.code == "unrecognised-capability" and group.capability_id in f.message]
    assert len(reported) == 1
