"""Helpers of normalise's eighth speed round: the same answers from less work."""

from __future__ import annotations

import pandas as pd

import estate.normalise as normalise
from estate.catalogue import Catalogue, Product, load_catalogue
from estate.normalise import Candidate, _best_candidates, explain, resolve_products
from estate.settings import Settings

from test_normalise import systems

_CATALOGUE = load_catalogue()


def test_best_candidates_are_the_top_three_by_score_then_id():
    found = [Candidate("b", "fuzzy", 88.0, "fuzzy"), Candidate("a", "fuzzy", 88.4, "fuzzy"),
             Candidate("c", "tokens", 97.0, "b"), Candidate("d", "fuzzy", 70.0, "fuzzy")]
    assert _best_candidates(found) == "c 97; a 88; b 88"
    assert _best_candidates(found[:1]) == "b 88"


VENDOR_ROWS = [
    {"name": "Orion", "vendor": "SolarWinds"}, {"name": "Service Desk", "vendor": "Atlassian"},
    {"name": "Widget Tracker", "vendor": "Widgets Ltd"},
    {"name": "Tracker Pro", "vendor": "Atlassian"}, {"name": "Hub", "vendor": "Acme"},
    {"name": "Confluence", "vendor": "Microsoft"}, {"name": "Dynamics", "vendor": "MS"},
    {"name": "Splnuk", "vendor": "Splunk"}, {"name": "Jira Tracker", "vendor": "Acme"},
]


def test_names_with_a_vendor_resolve_as_explain_resolves_them_one_by_one():
    """Rows whose name has no candidates are decided only when the vendor in front of the
    name gives one: the others come out as deciding them would leave them."""
    table = resolve_products(systems(*VENDOR_ROWS), _CATALOGUE, Settings()).systems
    for i, row in enumerate(VENDOR_ROWS):
        alone = explain(row["name"], _CATALOGUE, Settings(), vendor=row["vendor"])
        assert table["match_stage"].iloc[i] == alone.stage, row
        if alone.product is not None:
            assert table["product_id"].iloc[i] == alone.product.id, row
            assert table["match_score"].iloc[i] == alone.score, row
        else:
            assert table["product_id"].iloc[i].startswith("unrecognised:"), row


def test_an_unknown_name_whose_group_id_is_a_catalogue_id_counts_as_that_product():
    """The vendor and capability columns are worked out before the unknown names are
    grouped, and again when a group's id turns out to be a catalogue product's."""
    odd = Product(id="unrecognised:acme-tool", name="Zeta Thing", vendor="Zeta",
                  capability=_CATALOGUE.products[0].capability)
    catalogue = Catalogue(products=(*_CATALOGUE.products, odd),
                          capabilities=_CATALOGUE.capabilities)
    table = resolve_products(systems(
        {"name": "Acme Tool", "product": "Acme Tool", "capability": "Prisoner records"},
        {"name": "Prisoner system", "capability": "Prisoner records"},
        {"name": "Acme Tool 2", "product": "Acme Tool", "vendor": "Acme"}),
        catalogue, Settings()).systems
    assert table["product_id"].tolist()[::2] == ["unrecognised:acme-tool"] * 2
    assert table["product_name"].tolist()[::2] == ["Acme Tool"] * 2
    assert table["vendor_name"].tolist()[::2] == ["Zeta", "Zeta"]
    assert table["capability_id"].tolist() == ["other:prisoner-records"] * 2 + [odd.capability]
    assert table["capability_source"].tolist() == ["column", "column", "catalogue"]


def test_group_keys_found_while_matching_group_names_as_working_them_out_does():
    matcher = normalise._matcher(_CATALOGUE, Settings().fuzzy_threshold)
    names = ["Widget Tracker", "Widget Tracker Pro", "Tracker Widget 2", "Wdget Trackr",
             "Payroll Hub", "Jira", "Splnuk", "Acme Casebook v2", "Casebook (Acme)"]
    found = normalise._candidates(matcher, names)
    keys = {t: key for t, (_, key) in found.items() if key is not None}
    assert "Jira" not in keys and "Payroll Hub" in keys
    assert all(any(c.stage != "fuzzy" for c in found[t][0]) for t in set(names) - set(keys))
    assert normalise._group_unknowns(names, matcher, keys) == \
        normalise._group_unknowns(names, matcher)


def test_an_unknown_products_vendor_is_its_vendor_column_made_canonical_else_its_name():
    table = resolve_products(systems(
        {"product": "Acme Widget", "vendor": "MS"},
        {"product": "Acme Widget", "vendor": "Acme Ltd"},
        {"product": "Acme Widget"}, {"product": "Atlassian", "name": "x"},
        {"product": "Zzq Widget", "vendor": "MS"},
        {"product": "Acme Widget", "vendor": "Microsoft"}),
        _CATALOGUE, Settings()).systems
    assert set(table["match_stage"]) == {"unrecognised"}
    assert table["vendor_name"].tolist() == [
        "Microsoft", "Acme Ltd", pd.NA, "Atlassian", "Microsoft", "Microsoft"]
