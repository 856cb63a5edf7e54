"""Helpers of normalise's eighth speed round: the same answers from less work."""

from __future__ import annotations

from estate.catalogue import load_catalogue
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
