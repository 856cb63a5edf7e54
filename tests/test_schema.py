from datetime import date

import pandas as pd
import pytest
from hypothesis import given, strategies as st

from estate.schema import (HEADER_SYNONYMS, Parsed, clean_text, header_key, header_scale,
                           parse_classification, parse_cost, parse_date, parse_list,
                           parse_unique, parse_users, resolve_header)


@pytest.mark.parametrize("header, field", [
    ("Application Name", "name"), ("System name", "name"), ("APP_NAME", "name"),
    ("applicationName", "name"), ("Supplier", "vendor"), ("Annual Cost (£)", "annual_cost"),
    ("Licence cost p.a.", "annual_cost"), ("License Cost", "annual_cost"),
    ("Tenant", "instance"), ("Renewal date", "contract_end"), ("No. of users", "users"),
    ("# Users", "users"), ("  system   ID ", "system_id"), ("Protective Marking", "classification"),
    ("Integrates With", "integrates_with"), ("Data held", "data_domains"),
    ("Dept", "department"), ("Organization", "department"),
])
def test_headers_resolve_whatever_their_spelling(header, field):
    assert resolve_header(header) == field


def test_every_field_has_synonyms_and_no_synonym_names_two_fields():
    owners = {}
    for field, names in HEADER_SYNONYMS.items():
        assert names
        for name in names:
            assert owners.setdefault(header_key(name), field) == field, name
    assert resolve_header("Favourite colour") is None


def test_cost_headers_in_thousands_scale_the_column():
    assert header_scale("Annual Cost (£k)") == 1000
    assert header_scale("Spend £m") == 1_000_000
    assert header_scale("Annual Cost (£)") == 1
    assert resolve_header("Annual Cost (£k)") == "annual_cost"


@pytest.mark.parametrize("raw, value", [
    ("£12,500", 12500.0), ("12.5k", 12500.0), ("GBP 1,200.00", 1200.0), ("£1.2m", 1_200_000.0),
    ("12,500 p.a.", 12500.0), ("£12,500 + VAT", 12500.0), ("1 200", 1200.0), ("0", 0.0),
    ("approx 64k", 64000.0), ("£100 per month", 1200.0),
])
def test_costs_are_read_as_pounds_per_year(raw, value):
    assert parse_cost(raw).value == value


@pytest.mark.parametrize("raw, code", [
    ("(1,200)", "negative-cost"), ("-5", "negative-cost"), ("$500", "unparsable-cost"),
    ("€10", "unparsable-cost"), ("12,50", "unparsable-cost"), ("Included in EA", "unparsable-cost"),
    ("1,2,3", "unparsable-cost"),
])
def test_costs_that_cannot_be_trusted_become_empty_with_a_problem(raw, code):
    parsed = parse_cost(raw)
    assert parsed.value is None and parsed.code == code


def test_placeholders_are_missing_without_a_problem():
    for raw in ("", "n/a", "TBC", "-", "Unknown", "#N/A"):
        assert parse_cost(raw) == parse_users(raw) == parse_date(raw)
        assert parse_cost(raw).value is None and parse_cost(raw).code is None


@pytest.mark.parametrize("raw, value", [
    ("1,200", 1200), ("~300", 300), ("c. 300", 300), ("300+", 300), (">300", 300),
    ("1.2k", 1200), ("300 users", 300),
])
def test_user_counts(raw, value):
    assert parse_users(raw).value == value


@pytest.mark.parametrize("raw", ["lots", "100-200", "1.5", "-3"])
def test_user_counts_that_are_not_whole_numbers_are_refused(raw):
    assert parse_users(raw).code == "unparsable-users"


@pytest.mark.parametrize("raw, value, code", [
    ("2027-03-31", date(2027, 3, 31), None),
    ("31/03/2027", date(2027, 3, 31), None),
    ("31/03/27", date(2027, 3, 31), None),
    ("31-Mar-2027", date(2027, 3, 31), None),
    ("31st March 2027", date(2027, 3, 31), None),
    ("2027-03-31T00:00:00", date(2027, 3, 31), None),
    ("01/02/2027", date(2027, 2, 1), None),  # day first
    ("Mar-27", date(2027, 3, 31), "partial-date"),
    ("Feb 2028", date(2028, 2, 29), "partial-date"),
    ("2027", date(2027, 12, 31), "partial-date"),
    ("Q2 2027", date(2027, 6, 30), "partial-date"),
    ("FY2026/27", date(2027, 3, 31), "partial-date"),
    ("2026-27", date(2027, 3, 31), "partial-date"),
    ("46477", date(2027, 3, 31), "excel-serial-date"),
])
def test_dates_are_day_first_and_partial_dates_end_their_period(raw, value, code):
    parsed = parse_date(raw)
    assert (parsed.value, parsed.code) == (value, code)


@pytest.mark.parametrize("raw, code", [
    ("03/31/2027", "unparsable-date"), ("9999-12-31", "unparsable-date"),
    ("30/02/2027", "unparsable-date"), ("soon", "unparsable-date"),
    ("rolling", "open-ended-date"), ("FY2026/29", "unparsable-date"),
])
def test_dates_that_cannot_be_read(raw, code):
    parsed = parse_date(raw)
    assert parsed.value is None and parsed.code == code


@pytest.mark.parametrize("raw, value", [
    ("Official Sensitive", "OFFICIAL-SENSITIVE"), ("OFFSEN", "OFFICIAL-SENSITIVE"),
    ("O-S", "OFFICIAL-SENSITIVE"), ("OFFICIAL-SENSITIVE: COMMERCIAL", "OFFICIAL-SENSITIVE"),
    ("official", "OFFICIAL"), ("Secret", "SECRET"), ("TS", "TOP SECRET"),
    ("Top-Secret STRAP", "TOP SECRET"),
])
def test_classifications_spelled_loosely(raw, value):
    assert parse_classification(raw).value == value


def test_legacy_and_unknown_classifications():
    assert parse_classification("RESTRICTED").code == "legacy-classification"
    assert parse_classification("RESTRICTED").value == "OFFICIAL"
    assert parse_classification("Confidential").value is None
    assert parse_classification("Purple").code == "unparsable-classification"


def test_lists_split_on_any_separator_and_drop_repeats():
    assert parse_list("A; B,C\nD | A").value == ("A", "B", "C", "D")
    assert parse_list(" ; ,").value == ()


def test_parse_unique_parses_each_distinct_value_once_and_keeps_alignment():
    calls = []

    def parser(text):
        calls.append(text)
        return parse_cost(text)

    raw = pd.Series(["£1", None, "£1", "bad", "£1"], index=[10, 11, 12, 13, 14])
    out = parse_unique(raw, parser)
    assert sorted(calls) == ["bad", "£1"]
    assert list(out.index) == [10, 11, 12, 13, 14]
    assert out["value"].tolist()[0] == 1.0 and pd.isna(out["value"][11])
    assert out["code"][13] == "unparsable-cost"


def test_an_endless_cost_is_refused_by_the_fast_path_too(monkeypatch):
    from estate.schema import FAST_PATHS

    monkeypatch.setattr("estate.schema.FAST_PATH_MIN", 0)
    samples = ["1" * 400, "1" * 400 + "k", "12,500", "44.5k"]
    fast = parse_unique(pd.Series(samples), parse_cost, FAST_PATHS["cost"])
    assert fast["code"].tolist()[:2] == ["unparsable-cost"] * 2
    assert fast["value"].tolist()[2:] == [12500.0, 44500.0]


@pytest.mark.parametrize("kind, parser, samples", [
    ("cost", parse_cost, ["12500", "£12,500", "12,500.50", "£0", "1,2", "12.", "£ 5", "44.5k",
                          "£1.2m", "3K", "0.5M", "£k", "1.k", "2bn", "12,500k", "-5k", "1" * 400]),
    ("int", parse_users, ["1,200", "300", "0012", "1,20", "9999999999"]),
    ("date", parse_date, ["2027-03-31", "31/03/2027", "29/02/2027", "9999-12-31", "01/02/2027",
                          "31.03.2027", "31.13.2027", "29.02.2028", "01.01.1899", "31 Mar 2027",
                          "1 Sep 2026", "30 Feb 2027", "31-Mar-27", "01-Jan-69", "01-Jan-70",
                          "15-Dec-99", "31-Apr-27", "1-Sept-27", "3 mar 2027"]),
    ("list", parse_list, ["A; B,C", "A;A", "a|b", "x", "n/a; B", "birth records; tax", " ; ,",
                          "a;;b", "a,\n b", "a\nb", "a ,b", "a\x1cb;c", "NA", "x;-"]),
    ("text", lambda s: Parsed(clean_text(s)), ["Oracle", "n/a", "Two  spaces", "tab\there",
                                               "Unknown", "x", "  lead", "no\xa0break",
                                               "thin\u2009space", "line\u2028sep"]),
])
def test_fast_paths_agree_with_the_full_parsers(kind, parser, samples, monkeypatch):
    from estate.schema import FAST_PATHS

    monkeypatch.setattr("estate.schema.FAST_PATH_MIN", 0)
    fast = parse_unique(pd.Series(samples), parser, FAST_PATHS[kind])
    slow = parse_unique(pd.Series(samples), parser)
    assert fast["value"].tolist() == slow["value"].tolist()
    assert fast["code"].tolist() == slow["code"].tolist()


@given(st.lists(st.text(st.sampled_from(list("ab \t\n\x00\x1c\x1f\xa0\u2028\u3000é\U0001F600")),
                        max_size=6), max_size=8))
def test_odd_spaces_of_all_texts_at_once_match_the_pattern_on_each(texts):
    import numpy as np

    from estate.schema import _ODD_SPACE, _odd_spaces

    values = np.array(texts + [None], dtype=object)[:-1]  # an object array even if empty
    assert _odd_spaces(values).tolist() == [bool(_ODD_SPACE.search(t)) for t in texts]
