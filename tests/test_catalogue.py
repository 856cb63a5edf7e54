"""The packaged catalogue and taxonomy, and user catalogue files merged over them."""

from __future__ import annotations

import re

import pytest

from estate.catalogue import load_catalogue
from estate.errors import CatalogueError
from estate.normalise import explain
from estate.settings import Settings

HEADER = "id,name,vendor,vendor_aliases,capability,aliases,eol_id,strategic,hosting\n"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_packaged_catalogue_covers_the_public_sector_estate(catalogue):
    assert len(catalogue.products) >= 200
    groups = {c.group for c in catalogue.capabilities}
    assert 10 <= len(groups) <= 12
    assert 35 <= len(catalogue.capabilities) <= 55
    used = {p.capability for p in catalogue.products}
    for needed in ("productivity-email", "team-collaboration", "identity-access", "crm",
                   "erp-finance", "hr-payroll", "itsm", "case-management", "document-records",
                   "web-content", "bi-reporting", "gis", "contact-centre",
                   "security-monitoring", "cloud-platform", "database", "source-control-cicd"):
        assert needed in used, needed


def test_every_product_is_complete_and_ids_are_unique(catalogue):
    caps = catalogue.capabilities_by_id
    assert len(catalogue.products_by_id) == len(catalogue.products)
    for p in catalogue.products:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", p.id), p.id
        assert p.name and p.vendor and p.capability in caps, p.id
        assert p.eol_id is None or re.fullmatch(r"[a-z0-9][a-z0-9.-]*", p.eol_id), p.id
    assert catalogue.products_by_id["microsoft-365"].strategic
    assert catalogue.products_by_id["mssql"].eol_id == "mssqlserver"


def test_every_name_and_alias_resolves_to_its_own_product(catalogue):
    settings = Settings()
    wrong = []
    for p in catalogue.products:
        for text in (p.name, *p.aliases):
            result = explain(text, catalogue, settings)
            if result.product is None or result.product.id != p.id:
                wrong.append((text, p.id, result.product.id if result.product else None))
    assert wrong == []


def test_issue_examples_are_one_product_and_one_capability(catalogue):
    settings = Settings()
    ids = {explain(n, catalogue, settings).product.id
           for n in ("MS O365 E3", "Microsoft 365 (tenant: moj)", "Office365", "M365")}
    assert ids == {"microsoft-365"}
    assert explain("Dynamics 365 CRM", catalogue, settings).product.id == "dynamics-365-ce"
    caps = {explain("x", catalogue, settings, capability=c).capability.id
            for c in ("Email & Collab", "Productivity suite")}
    assert caps == {"productivity-email"}


def test_capabilities_the_taxonomy_lacks_are_not_forced_onto_it(catalogue):
    settings = Settings()
    for text in ("Prisoner records", "Driver licensing", "Appointment booking",
                 "Workforce rostering", "Benefit payments", "Vetting"):
        cap = explain("x", catalogue, settings, capability=text).capability
        assert cap.id.startswith("other:") and cap.group == "Other (not in taxonomy)", text
    for text, wanted in (("Secure email", "email-web-security"),
                         ("Online whiteboard", "team-collaboration"),
                         ("Mac management", "endpoint-management")):
        assert explain("x", catalogue, settings, capability=text).capability.id == wanted


def test_user_file_adds_and_overrides_products(tmp_path):
    user = tmp_path / "mine.csv"
    user.write_text(
        HEADER
        + "case-manager-plus,Case Manager Plus,Acme Gov,,case-management,CMP|Case Manager,,false,saas\n"
        + "zoom,Zoom (our contract),Zoom Video Communications,,video-conferencing,Zoom,,true,saas\n",
        encoding="utf-8")
    cat = load_catalogue(user)
    assert cat.products_by_id["case-manager-plus"].aliases == ("CMP", "Case Manager")
    assert cat.products_by_id["zoom"].name == "Zoom (our contract)"
    assert cat.products_by_id["zoom"].strategic is True
    assert "product:zoom" in cat.overridden
    assert explain("Case Manager", cat, Settings()).product.id == "case-manager-plus"


def test_user_file_may_add_a_capability(tmp_path):
    user = tmp_path / "mine.csv"
    user.write_text(
        "kind,id,name,vendor,capability,group,synonyms\n"
        "capability,prisons,Prison management,,,Public services,Prisoner records|Offender management\n"
        "product,nomis,NOMIS,Ministry of Justice,prisons,,\n", encoding="utf-8")
    cat = load_catalogue(user)
    assert cat.capabilities_by_id["prisons"].synonyms == ("Prisoner records", "Offender management")
    result = explain("NOMIS", cat, Settings(), capability="Prisoner records")
    assert result.product.id == "nomis"
    assert result.capability.id == "prisons"


@pytest.mark.parametrize("text, line, column", [
    ("id,name,vendor\nx,X,Acme\n", 1, "capability"),
    (HEADER + "x,X,Acme,,crm,,,maybe,saas\n", 2, "strategic"),
    (HEADER + "x,X,Acme,,crm,,,false,saas\ny,Y,,,crm,,,false,saas\n", 3, "vendor"),
    (HEADER + "x,X,Acme,,no-such-capability,,,false,saas\n", 2, "capability"),
    (HEADER + "x,X,Acme,,crm,,,false,on the moon\n", 2, "hosting"),
    (HEADER + "x,X,Acme,,crm,,,false,saas\nx,X2,Acme,,crm,,,false,saas\n", 3, "id"),
    ("kind,id,name,group\ncapability,other:prisons,Prisons,Public services\n", 2, "id"),
])
def test_malformed_user_file_names_file_line_and_column(tmp_path, text, line, column):
    user = tmp_path / "bad.csv"
    user.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(user)
    err = info.value
    assert (err.file, err.line, err.column) == (str(user), line, column)
    assert str(user) in str(err) and f"line {line}" in str(err)


def test_missing_or_unreadable_user_file(tmp_path):
    with pytest.raises(CatalogueError, match="not found"):
        load_catalogue(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CatalogueError, match="empty"):
        load_catalogue(empty)


def test_windows_1252_user_file_is_read(tmp_path):
    user = tmp_path / "cp1252.csv"
    user.write_bytes((HEADER + "caf,Café Bookings,Café Ltd,,crm,Cafe Bookings £,,false,saas\n")
                     .encode("cp1252"))
    assert load_catalogue(user).products_by_id["caf"].vendor == "Café Ltd"


def test_a_user_file_never_changes_later_loads_of_the_packaged_catalogue(tmp_path):
    user = tmp_path / "mine.csv"
    user.write_text(HEADER + "zoom,Zoom (ours),Zoom Video Communications,,video-conferencing,"
                    "Zoom Meetings,,true,saas\n", encoding="utf-8")
    packaged = load_catalogue()
    assert explain("Zoom (ours)", load_catalogue(user), Settings()).product.id == "zoom"
    again = load_catalogue()
    assert again.products == packaged.products
    assert again.products_by_id["zoom"].name != "Zoom (ours)"
    assert explain("Zoom (ours)", again, Settings()).stage != "exact"
