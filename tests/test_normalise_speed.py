"""The ways normalise saves work give the same answers as doing all of it: the catalogue
index kept between runs, texts matched in a forked child, rows handled as integer codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

import estate.normalise as normalise
from estate.catalogue import load_catalogue
from estate.normalise import resolve_products
from estate.settings import Settings

from test_normalise import systems

_CATALOGUE = load_catalogue()

ROWS = [
    {"product": "MS O365 E3", "vendor": "Microsoft", "capability": "Email & Collab"},
    {"product": "Office365"}, {"name": "Jira", "vendor": "In-house"},
    {"name": "Jira", "product": "Jira"}, {"name": "Sales Force CRM", "vendor": "SFDC"},
    {"name": "Prisoner Records", "capability": "Prisoner records"},
    {"name": "Prisoner Record System", "vendor": "Acme", "capability": "prisoner record"},
    {"name": "Orion", "vendor": "SolarWinds"}, {"product": "Splnuk Enterprise"},
    {"name": "Widget Tracker", "product": "Wdget Trackr", "vendor": "Widgets Ltd"},
    {"name": "Widget Tracker", "product": "Widget Tracker", "vendor": "Widgets Ltd"},
    {"name": "  Legacy   Claims Manager ", "department": "HMRC"},
    {"name": "Legacy Claims Manager", "department": "DWP", "status": "quarantined"},
    {"product": "ServiceNow IT Service Management", "vendor": "Service Now"},
    {"name": "Bespoke casework", "product": "bespoke build"},
    {"name": "UiPath Studio"}, {"name": "Microsoft 365 MoJ", "capability": "Productivity"},
    {}, {"vendor": "Oracle"},
]


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.systems, b.systems, check_exact=True)
    pd.testing.assert_frame_equal(a.resolutions, b.resolutions, check_exact=True)
    assert a.findings == b.findings


@pytest.fixture
def fresh_indexes(monkeypatch, tmp_path):
    """No catalogue index in memory, and a cache directory of the test's own."""
    monkeypatch.setattr(normalise, "_MATCHERS", {})
    monkeypatch.setenv("ESTATE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_catalogue_index_is_read_back_from_the_cache(fresh_indexes, monkeypatch):
    table = systems(*ROWS)
    built = resolve_products(table, _CATALOGUE, Settings())
    files = list(fresh_indexes.glob("catalogue-index-*.pickle"))
    assert len(files) == 1
    monkeypatch.setattr(normalise, "_MATCHERS", {})

    def no_building(*args, **kwargs):
        raise AssertionError("the index should come from the cache")

    monkeypatch.setattr(normalise._Matcher, "__init__", no_building)
    _same(resolve_products(table, _CATALOGUE, Settings()), built)


def test_the_cache_follows_the_catalogue_and_threshold(fresh_indexes):
    normalise._matcher(_CATALOGUE, 85.0)
    normalise._matcher(_CATALOGUE, 90.0)
    assert len(list(fresh_indexes.glob("catalogue-index-*.pickle"))) == 2
    cached = normalise._MATCHERS.copy()
    normalise._MATCHERS.clear()
    assert normalise._matcher(_CATALOGUE, 90.0).threshold == 90.0
    assert len(cached) == 2


def test_a_damaged_cache_file_is_rebuilt(fresh_indexes, monkeypatch):
    table = systems(*ROWS)
    built = resolve_products(table, _CATALOGUE, Settings())
    (path,) = fresh_indexes.glob("catalogue-index-*.pickle")
    path.write_bytes(b"not a pickle")
    monkeypatch.setattr(normalise, "_MATCHERS", {})
    _same(resolve_products(table, _CATALOGUE, Settings()), built)
    assert path.read_bytes() != b"not a pickle"


def test_an_unwritable_cache_is_ignored(monkeypatch, tmp_path):
    monkeypatch.setattr(normalise, "_MATCHERS", {})
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    monkeypatch.setenv("ESTATE_CACHE_DIR", str(blocker / "cache"))
    table = systems(*ROWS)
    result = resolve_products(table, _CATALOGUE, Settings())
    monkeypatch.setenv("ESTATE_CACHE_DIR", "")
    monkeypatch.setattr(normalise, "_MATCHERS", {})
    _same(resolve_products(table, _CATALOGUE, Settings()), result)
    assert list(tmp_path.iterdir()) == [blocker]


def test_matching_in_a_child_gives_what_matching_here_gives(monkeypatch):
    table = systems(*ROWS, *({"name": f"{w} Tracker", "vendor": v} for w in
                             ("Jira", "Slack", "Zoom", "Sage", "Xero") for v in ("", "Acme")))
    monkeypatch.setenv("ESTATE_WORKERS", "1")
    here = resolve_products(table, _CATALOGUE, Settings())
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    monkeypatch.setattr(normalise, "PARALLEL_TEXTS", 1)
    monkeypatch.setattr(normalise, "PARALLEL_ROWS", 1)
    _same(resolve_products(table, _CATALOGUE, Settings()), here)


def test_text_columns_are_coded_as_stripping_and_single_spacing_them():
    table = pd.DataFrame({"name": pd.array(
        [" a  b ", "a b", "\ta\u00a0b", "", "   ", None, "c", "a\u2003b\n"], dtype="string")})
    codes, texts = normalise._text_codes(table, "name")
    expected = table["name"].str.strip().str.replace(r"\s+", " ", regex=True)
    expected = expected.mask(expected == "", pd.NA)
    assert [texts[c] if c >= 0 else None for c in codes] == \
        [None if pd.isna(v) else v for v in expected]
    assert list(texts) == ["a b", "c"]
    mixed = pd.DataFrame({"name": pd.Series([" x ", 3, None, "x"], dtype=object)})
    codes, texts = normalise._text_codes(mixed, "name")
    assert [texts[c] if c >= 0 else None for c in codes] == ["x", "3", None, "x"]


def test_resolutions_are_sorted_by_their_texts():
    result = resolve_products(systems(*ROWS), _CATALOGUE, Settings())
    res = result.resolutions
    order = res.sort_values(["input", "vendor", "capability_text", "fallback"], kind="stable")
    assert list(order.index) == list(res.index)
    assert res["rows"].sum() == len(ROWS)


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-1, 3), st.integers(-1, 2), st.booleans()),
                min_size=1, max_size=40))
def test_group_codes_number_groups_as_drop_duplicates_keeps_them(rows):
    a, b, c = (np.array(col) for col in zip(*rows))
    codes, first = normalise._group_codes([(a, 4), (b, 3), (c, 2)])
    frame = pd.DataFrame({"a": a, "b": b, "c": c})
    kept = frame.drop_duplicates()
    assert first.tolist() == list(kept.index)
    assert frame.iloc[first[codes]].to_numpy().tolist() == frame.to_numpy().tolist()


def _bespoke_reference(text: str | None) -> bool:
    if not text:
        return False
    cleaned = normalise._clean(text, joiners=False)
    return (cleaned in normalise.BESPOKE_PHRASES
            or bool(set(cleaned.split()) & normalise.BESPOKE_TOKENS)
            or "in house" in cleaned or "home grown" in cleaned)


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.sampled_from(sorted(normalise.BESPOKE_PHRASES) + sorted(normalise.BESPOKE_TOKENS)),
    st.sampled_from(["In-House", "HOME-GROWN", "Dépärtment", "in_house", "&", "(", "v1.2",
                     "Build", "Custom-built", "locally", "Self", "developed"]),
    st.text(min_size=1, max_size=6)), min_size=1, max_size=4))
def test_the_bespoke_shortcut_changes_no_answer(words):
    text = " ".join(words)
    assert normalise._is_bespoke(text) == _bespoke_reference(text), text


def test_every_bespoke_phrase_is_still_bespoke():
    for phrase in normalise.BESPOKE_PHRASES | normalise.BESPOKE_TOKENS:
        for text in (phrase, phrase.upper(), phrase.title().replace(" ", "-")):
            assert normalise._is_bespoke(text) == _bespoke_reference(text), text
        assert normalise._is_bespoke(phrase), phrase


def test_the_collector_is_restored_after_matching():
    import gc

    assert gc.isenabled()
    resolve_products(systems(*ROWS), _CATALOGUE, Settings())
    assert gc.isenabled()
    gc.disable()
    try:
        resolve_products(systems(*ROWS), _CATALOGUE, Settings())
        assert not gc.isenabled()
    finally:
        gc.enable()


@hsettings(max_examples=200, deadline=None)
@given(st.integers(0, 12), st.integers(0, 20), st.floats(0, 1), st.integers(0, 2**32 - 1))
def test_nonzero_cells_are_numpys_nonzero(rows, cols, density, seed):
    rng = np.random.default_rng(seed)
    matrix = ((rng.random((rows, cols)) < density)
              * rng.integers(1, 256, (rows, cols))).astype(np.uint8)
    for m in (matrix, matrix[:, 1:]):
        expected = np.nonzero(m)
        found = normalise._nonzero_cells(m)
        assert [a.tolist() for a in found] == [a.tolist() for a in expected]


DECIDED_ROWS = [
    {"product": "Splnuk Enterprise", "vendor": "Splunk"},
    {"name": "Splnuk Enterprise", "vendor": "Splunk"},
    {"name": "Splnuk Enterprise", "product": "bespoke build", "vendor": "Splunk"},
    {"product": "Drupal 10", "vendor": "In-house", "capability": "Web content"},
    {"product": "Drupal 10", "vendor": "Bespoke", "capability": "Web content"},
    {"product": "Drupal 10", "vendor": "Acquia", "capability": "Web content"},
    {"product": "Office365", "vendor": "MS"}, {"name": "Office365", "vendor": "MS"},
    {"product": "Office365", "vendor": "Oracle", "capability": "Case management"},
]


def test_rows_equal_in_what_the_decision_reads_are_decided_once_and_alike(monkeypatch):
    """Where the text came from counts only for a bespoke system and the vendor only for
    one that is not, so such rows share one decision, and it is each row's own."""
    calls = []
    decide = normalise._decide_direct

    def counted(*args, **kwargs):
        calls.append(args[1:6])
        return decide(*args, **kwargs)

    monkeypatch.setenv("ESTATE_WORKERS", "1")
    monkeypatch.setattr(normalise, "_decide_direct", counted)
    together = resolve_products(systems(*DECIDED_ROWS), _CATALOGUE, Settings()).systems
    assert len(calls) == len(set(calls)) and len(calls) < len(DECIDED_ROWS)
    for i, row in enumerate(DECIDED_ROWS):
        alone = resolve_products(systems(row), _CATALOGUE, Settings()).systems
        for col in ("product_id", "match_stage", "match_score", "match_input"):
            a, b = together[col].iloc[i], alone[col].iloc[0]
            assert (pd.isna(a) and pd.isna(b)) if pd.isna(a) or pd.isna(b) else a == b, \
                (row, col)
