"""Resolving raw product, vendor and capability text to the catalogue."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from estate.catalogue import load_catalogue
from estate.load import load_inventories
from estate.normalise import ADDED_COLUMNS, explain, resolve_products
from estate.settings import Settings

TEXT = ("name", "vendor", "product", "capability", "version", "instance")


_CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def catalogue():
    return _CATALOGUE


def systems(*rows: dict, file: str = "dept.csv") -> pd.DataFrame:
    """A systems table shaped like the loader's, one dict of raw cells per row."""
    records = []
    for i, row in enumerate(rows):
        record = {field: row.get(field) for field in TEXT}
        record.update(system_id=f"S-{i + 1}", department=row.get("department", "Dept"),
                      source_file=file, source_line=i + 2,
                      status=row.get("status", "analysed"))
        records.append(record)
    frame = pd.DataFrame(records)
    for col in (*TEXT, "system_id", "department", "source_file", "status"):
        frame[col] = frame[col].astype("string")
    frame["source_line"] = frame["source_line"].astype("Int64")
    return frame


def resolve(catalogue, *rows, threshold: float | None = None, **kw):
    s = Settings() if threshold is None else Settings(fuzzy_threshold=threshold)
    return resolve_products(systems(*rows, **kw), catalogue, s)


def test_tenant_sprawl_names_are_one_product(catalogue):
    result = resolve(catalogue, *({"product": p} for p in (
        "MS O365 E3", "Microsoft 365 (tenant: moj)", "Office365", "M365")))
    assert set(result.systems["product_id"]) == {"microsoft-365"}
    assert set(result.systems["capability_id"]) == {"productivity-email"}
    assert set(result.systems["capability_source"]) == {"catalogue"}


def test_capability_synonyms_are_one_capability(catalogue):
    result = resolve(catalogue, {"name": "Mail", "capability": "Email & Collab"},
                     {"name": "Office", "capability": "Productivity suite"})
    assert list(result.systems["capability_id"]) == ["productivity-email"] * 2
    assert list(result.systems["capability_source"]) == ["column"] * 2


def test_dynamics_crm_and_microsoft_365_stay_two_products(catalogue):
    result = resolve(catalogue, {"product": "Dynamics 365 CRM"}, {"product": "Microsoft 365"})
    assert list(result.systems["product_id"]) == ["dynamics-365-ce", "microsoft-365"]
    assert list(result.systems["capability_id"]) == ["crm", "productivity-email"]


def test_in_house_case_manager_is_not_forced_onto_a_product(catalogue):
    result = resolve(catalogue,
                     {"name": "Case Manager", "vendor": "In-house", "capability": "Casework"},
                     {"name": "Case Manager", "product": "Bespoke (Java)"},
                     {"name": "Case Manager"},
                     {"name": "Cases", "product": "Case Manager"})
    out = result.systems
    assert out["product_id"].iloc[0] is pd.NA and out["match_stage"].iloc[0] == "bespoke"
    assert out["capability_id"].iloc[0] == "case-management"
    assert out["match_stage"].iloc[1] == "bespoke"
    # a system name that is no product, with no product or vendor written: no product
    assert out["product_id"].iloc[2] is pd.NA and out["match_stage"].iloc[2] == "none"
    # written as the product: an unknown product, kept and reported, never forced
    assert out["product_id"].iloc[3].startswith("unrecognised:")
    assert not any(f.value == "Case Manager" and f.line == 2 for f in result.findings
                   if f.code == "unrecognised-product")


def test_in_house_system_built_on_a_named_product_keeps_the_product(catalogue):
    result = resolve(catalogue, {"name": "Publications", "vendor": "In-house", "product": "Drupal 10"})
    assert result.systems["product_id"].iloc[0] == "drupal"


def test_added_columns_and_original_table_untouched(catalogue):
    table = systems({"product": "ServiceNow", "name": "IT Help"}, {"name": "Salesforce"}, {})
    before = table.copy()
    result = resolve_products(table, catalogue, Settings())
    pd.testing.assert_frame_equal(table, before)
    assert len(result.systems) == 3
    for col in ADDED_COLUMNS:
        assert col in result.systems.columns
    pd.testing.assert_frame_equal(result.systems[before.columns], before)
    out = result.systems
    assert list(out["product_id"].iloc[:2]) == ["servicenow", "salesforce"]
    assert list(out["match_input"].iloc[:2]) == ["ServiceNow", "Salesforce"]
    assert out["match_stage"].iloc[2] == "none" and out["product_id"].iloc[2] is pd.NA
    assert out["match_score"].dtype == "Float64"


def test_stage_and_score_are_recorded(catalogue):
    result = resolve(catalogue, {"product": "Office 365"}, {"product": "SQL Server 2019 Enterprise"},
                     {"product": "Salesfroce"})
    out = result.systems
    assert list(out["match_stage"]) == ["exact", "tokens", "fuzzy"]
    assert out["match_score"].iloc[0] == 100
    assert 88 <= out["match_score"].iloc[2] < 100


def test_name_is_used_when_product_does_not_resolve(catalogue):
    result = resolve(catalogue, {"product": "Unknown Thing", "name": "Microsoft Teams"})
    assert result.systems["product_id"].iloc[0] == "microsoft-teams"
    assert result.systems["match_input"].iloc[0] == "Microsoft Teams"


def test_similar_unknown_names_are_grouped_and_reported_once(catalogue):
    result = resolve(catalogue, {"product": "Kestrel Rostering Suite"}, {"product": "Zylo Widgets"},
                     {"product": "Kestrel Rostering Suite v2"}, {"product": "kestrel rostering suite"})
    ids = list(result.systems["product_id"])
    assert ids[0] == ids[2] == ids[3] != ids[1]
    assert ids[0].startswith("unrecognised:")
    found = [f for f in result.findings if f.code == "unrecognised-product"]
    kestrel = [f for f in found if "Kestrel" in f.message]
    assert len(found) == 2 and len(kestrel) == 1
    assert (kestrel[0].file, kestrel[0].line, kestrel[0].column) == ("dept.csv", 2, "product")
    assert "3 rows" in kestrel[0].message


def test_vendor_column_vetoes_a_fuzzy_match_and_completes_a_name(catalogue):
    result = resolve(catalogue, {"product": "Salesfroce", "vendor": "Microsoft"},
                     {"product": "Salesfroce", "vendor": "Salesforce"},
                     {"product": "Orion", "vendor": "SolarWinds"},
                     {"product": "Orion"})
    ids = list(result.systems["product_id"])
    assert ids[0].startswith("unrecognised:")
    assert ids[1] == "salesforce"
    assert ids[2] == "solarwinds"
    assert ids[3].startswith("unrecognised:")


def test_capability_column_vetoes_a_short_name_of_another_kind(catalogue):
    result = resolve(catalogue, {"product": "Mosaic", "capability": "Social care"},
                     {"product": "Mosaic", "capability": "Source control"})
    assert result.systems["product_id"].iloc[0] == "mosaic"
    assert result.systems["product_id"].iloc[1].startswith("unrecognised:")


def test_unknown_capability_falls_back_to_the_product_and_is_reported(catalogue):
    result = resolve(catalogue, {"product": "Splunk", "capability": "Stuff we log"},
                     {"name": "Tax Engine", "vendor": "In-house", "capability": "Tax collection"})
    out = result.systems
    assert out["capability_id"].iloc[0] == "security-monitoring"
    assert out["capability_source"].iloc[0] == "catalogue"
    # an in-house system has no product to fall back on: its own text is its capability
    assert out["capability_id"].iloc[1] == "other:tax-collection"
    assert out["capability_name"].iloc[1] == "Tax collection"
    assert out["capability_group"].iloc[1] == "Other (not in taxonomy)"
    codes = sorted(f.value for f in result.findings if f.code == "unrecognised-capability")
    assert codes == ["Stuff we log", "Tax collection"]


def _in_house(name: str, capability: str, department: str) -> dict:
    return {"name": name, "vendor": "In-house", "capability": capability,
            "department": department}


DRIVER_ROWS = (
    _in_house("Driver Licensing System", "Driver Licensing", "DVLA"),
    _in_house("Licence Checker", "driver licencing", "Police Scotland"),
    _in_house("Drivers Online", "Licensing of drivers", "Police Scotland"),
    _in_house("Vehicle Tax Online", "Vehicle tax", "DVLA"),
    _in_house("Appointment Booker", "Appointment booking", "DWP"),
    _in_house("Public Appointments", "Appointments", "Cabinet Office"),
)


def test_bespoke_capability_texts_that_resemble_each_other_share_one_other_id(catalogue):
    result = resolve(catalogue, *DRIVER_ROWS)
    out = result.systems
    ids = list(out["capability_id"])
    assert ids[:3] == ["other:driver-licensing"] * 3
    assert list(out["capability_name"].iloc[:3]) == ["Driver Licensing"] * 3
    assert set(out["capability_group"]) == {"Other (not in taxonomy)"}
    assert set(out["capability_source"]) == {"column"}
    # unlike texts stay apart, even when they share a word
    assert ids[3:] == ["other:vehicle-tax", "other:appointment-booking", "other:appointments"]
    found = [f for f in result.findings if f.code == "unrecognised-capability"]
    assert len(found) == 4
    driver = next(f for f in found if f.value == "Driver Licensing")
    assert (driver.line, driver.column, driver.department) == (2, "capability", "DVLA")
    assert "3 rows in 2 departments" in driver.message
    assert "other:driver-licensing" in driver.message
    assert "'driver licencing'" in driver.message and "'Licensing of drivers'" in driver.message


def test_other_capability_ids_are_deterministic(catalogue):
    a = resolve(catalogue, *DRIVER_ROWS)
    b = resolve(catalogue, *reversed(DRIVER_ROWS))
    assert list(a.systems["capability_id"]) == list(reversed(b.systems["capability_id"]))
    pd.testing.assert_frame_equal(a.resolutions, b.resolutions)
    assert sorted(f.message for f in a.findings) == sorted(f.message for f in b.findings)


def test_the_most_used_text_names_the_group(catalogue):
    result = resolve(catalogue, _in_house("Rota A", "workforce rosterring", "A"),
                     _in_house("Rota B", "Workforce rostering", "B"),
                     _in_house("Rota C", "Workforce rostering", "C"))
    assert set(result.systems["capability_id"]) == {"other:workforce-rostering"}
    assert set(result.systems["capability_name"]) == {"Workforce rostering"}


def test_a_job_named_by_a_bespoke_system_takes_in_systems_on_products(catalogue):
    result = resolve(catalogue,
                     _in_house("Digital Prison Services", "Prisoner records", "MOJ"),
                     {"name": "Prison NOMIS", "product": "Oracle Forms",
                      "capability": "Prisoner records", "department": "MOJ"},
                     {"name": "Remote Support", "product": "BeyondTrust Remote Support",
                      "capability": "Remote support", "department": "DWP"})
    out = result.systems
    assert list(out["capability_id"].iloc[:2]) == ["other:prisoner-records"] * 2
    assert out["product_id"].iloc[1] == "oracle-forms"
    # every system naming "Remote support" runs a catalogue product: its capability stands
    assert out["capability_id"].iloc[2] == "identity-access"
    assert out["capability_source"].iloc[2] == "catalogue"
    remote = next(f for f in result.findings if f.value == "Remote support")
    assert "catalogue product" in remote.message


def test_common_capability_wordings_are_taxonomy_synonyms(catalogue):
    result = resolve(catalogue, {"name": "Egress", "capability": "Email encryption"},
                     {"name": "Deep Security", "capability": "Server protection"},
                     {"name": "M365", "capability": "Productivity and collaboration"},
                     {"name": "GOV.UK Publishing", "vendor": "In-house", "capability": "Publishing"})
    assert list(result.systems["capability_id"]) == [
        "email-web-security", "endpoint-protection", "productivity-email", "web-content"]
    assert not [f for f in result.findings if f.code == "unrecognised-capability"]


def test_near_misses_and_vendor_only_names_stay_unknown(catalogue):
    names = ["Teams Rota Planner", "SharePoint Migration Tool", "Oracle", "Microsoft",
             "Case Management System", "Zoom Text Magnifier", "CRM"]
    result = resolve(catalogue, *({"product": n} for n in names))
    assert all(p.startswith("unrecognised:") for p in result.systems["product_id"])
    assert result.systems["vendor_name"].iloc[2] == "Oracle"


def test_quarantined_rows_are_resolved_but_not_reported(catalogue):
    result = resolve(catalogue, {"product": "Mystery Box 3000", "status": "quarantined"})
    assert result.systems["product_id"].iloc[0].startswith("unrecognised:")
    assert result.findings == []


def test_resolutions_have_one_row_per_unique_input(catalogue):
    result = resolve(catalogue, *([{"product": "M365"}] * 5), {"product": "Jira"})
    res = result.resolutions
    assert len(res) == 2
    assert dict(zip(res["input"], res["rows"])) == {"Jira": 1, "M365": 5}
    assert set(res.columns) >= {"input", "vendor", "capability_text", "product_id",
                                "match_stage", "match_score", "candidates"}


def test_user_catalogue_changes_the_answer(catalogue, tmp_path):
    user = tmp_path / "mine.csv"
    user.write_text("id,name,vendor,capability,aliases\n"
                    "kestrel,Kestrel Rostering Suite,Kestrel Systems,hr-payroll,Kestrel\n",
                    encoding="utf-8")
    result = resolve_products(systems({"product": "Kestrel Rostering Suite v2"}),
                              load_catalogue(user), Settings())
    assert result.systems["product_id"].iloc[0] == "kestrel"


def test_same_input_same_output(catalogue):
    rows = [{"product": p, "vendor": v} for p, v in
            [("Office 365", "MS"), ("Acme Widgets", None), ("Acme Widget", None), ("Jira", None)]]
    a, b = resolve(catalogue, *rows), resolve(catalogue, *reversed(rows))
    assert sorted(a.systems["product_id"]) == sorted(b.systems["product_id"])
    pd.testing.assert_frame_equal(a.resolutions, b.resolutions)


def test_explain_records_each_stage(catalogue):
    r = explain("MS O365 E3", catalogue, Settings())
    assert r.product.id == "microsoft-365" and r.stage == "tokens"
    assert [s.stage for s in r.steps][:2] == ["exact", "tokens"]
    assert r.steps[-1].outcome == "microsoft-365"
    unknown = explain("Zylo Widgets", catalogue, Settings())
    assert unknown.product is None and unknown.stage == "unrecognised"
    assert any(s.stage == "fuzzy" for s in unknown.steps)
    bespoke = explain("Prison Records", catalogue, Settings(), vendor="In-house",
                      capability="Prisoner records")
    assert bespoke.capability.id == "other:prisoner-records"
    assert bespoke.capability.group == "Other (not in taxonomy)"


def test_bundled_style_file_through_the_loader(catalogue, tmp_path):
    (tmp_path / "dept-a.csv").write_text(
        "System ID,System Name,Supplier,Product,Capability\n"
        "A-1,Email,Microsoft,O365 E3,Email & Collab\n"
        "A-2,Casework,In-house,,Case management\n"
        "A-3,Rota,Kestrel Systems Ltd,Kestrel Rostering Suite,Workforce\n", encoding="utf-8")
    loaded = load_inventories([tmp_path], Settings())
    result = resolve_products(loaded.systems, catalogue, Settings())
    out = result.systems.sort_values("system_id")
    assert list(out["match_stage"]) == ["tokens", "bespoke", "unrecognised"]
    assert list(out["capability_id"].iloc[:2]) == ["productivity-email", "case-management"]


@hsettings(max_examples=100, deadline=None)
@given(st.text(max_size=40), st.one_of(st.none(), st.text(max_size=15)),
       st.one_of(st.none(), st.text(max_size=15)))
def test_any_text_resolves_without_error(text, vendor, capability):
    cat = _CATALOGUE
    result = resolve_products(systems({"product": text, "vendor": vendor,
                                       "capability": capability}), cat, Settings())
    stage = result.systems["match_stage"].iloc[0]
    assert stage in {"exact", "tokens", "fuzzy", "unrecognised", "bespoke", "none"}
    r = explain(text, cat, Settings(), vendor=vendor, capability=capability)
    assert r.stage in {"exact", "tokens", "fuzzy", "unrecognised", "bespoke", "none"}


def _catalogue_words(catalogue) -> list[str]:
    words = {w for p in catalogue.products for t in (p.name, p.vendor, *p.aliases)
             for w in t.split()}
    return sorted(words)


@hsettings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_quick_reject_never_hides_a_token_match(data):
    """``_cannot_match`` only skips names for which every exact and token stage fails."""
    from estate.normalise import _matcher

    matcher = _matcher(_CATALOGUE, Settings().fuzzy_threshold)
    known = _catalogue_words(_CATALOGUE)
    word = st.one_of(st.sampled_from(known), st.sampled_from(
        ["Dept", "MOJ", "Tool", "Service", "System", "New", "E3", "v2", "(HR)", "-", "UAT",
         "Connector", "Cloud", "Suite", "Online", "Records", "Legacy"]),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9))
    name = " ".join(data.draw(st.lists(word, min_size=1, max_size=6)))
    if matcher._cannot_match(name):
        assert matcher._token_candidates(name, None) == []


@hsettings(max_examples=200, deadline=None)
@given(data=st.data())
def test_the_batch_reject_never_hides_a_token_match(data):
    """``rejected`` rules a name out only where ``_cannot_match`` would, and without the
    ``contains`` rule only where no other stage finds a candidate."""
    from estate.normalise import _matcher

    matcher = _matcher(_CATALOGUE, Settings().fuzzy_threshold)
    known = _catalogue_words(_CATALOGUE) + sorted(matcher.vendor_canonical)
    word = st.one_of(st.sampled_from(known), st.sampled_from(
        ["Dept", "MOJ", "Tool", "Service", "System", "New", "E3", "v2", "(HR)", "-", "UAT",
         "Connector", "Cloud", "Suite", "Online", "Records", "Legacy", "&", "/", "2019"]),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9))
    names = [" ".join(data.draw(st.lists(word, min_size=1, max_size=6))) for _ in range(5)]
    for name, out in zip(names, matcher.rejected(names).tolist()):
        if out:
            assert matcher._cannot_match(name), name
    for name, out in zip(names, matcher.rejected(names, contained=False).tolist()):
        if out:
            assert [c for c in matcher._token_candidates(name, None)
                    if c.via != "contains"] == [], name


def test_the_batch_reject_keeps_names_the_stages_match(catalogue):
    from estate.normalise import _matcher

    matcher = _matcher(catalogue, Settings().fuzzy_threshold)
    names = ["MS O365 E3", "Office365", "Microsoft 365 MoJ", "ServiceNow IT Service Management",
             "UiPath Studio", "Avaya Aura Contact Center", "Microsoft 365 (tenant: moj)",
             "Xqzzy Wibble Tracker"]
    assert matcher.rejected(names).tolist() == [False] * 7 + [True]
    assert matcher.rejected([]).tolist() == []


def test_the_quick_reject_passes_names_the_stages_match(catalogue):
    from estate.normalise import _matcher

    matcher = _matcher(catalogue, Settings().fuzzy_threshold)
    for name in ("MS O365 E3", "Office365", "Microsoft 365 MoJ", "ServiceNow IT Service Management",
                 "UiPath Studio", "Avaya Aura Contact Center", "Microsoft 365 (tenant: moj)"):
        assert not matcher._cannot_match(name), name
        assert matcher.token_candidates(name), name


def test_a_bespoke_systems_own_name_is_not_looked_up(catalogue):
    result = resolve(catalogue, {"name": "Jira", "vendor": "In-house"},
                     {"name": "Jira", "product": "Jira"})
    res = result.resolutions.set_index(["input", "bespoke"])
    assert res.loc[("Jira", True), "match_stage"] == "bespoke"
    assert res.loc[("Jira", False), "match_stage"] == "exact"
    assert list(result.systems["match_stage"]) == ["bespoke", "exact"]
