"""What the report stage does to avoid fixed costs: compiled templates kept between runs,
shown members read column by column, frozen-heap bookkeeping, stale pages found by name.
Each must leave the outputs exactly as they were."""

from __future__ import annotations

import gc

import pandas as pd
import pytest

from estate import memory
from estate.report import html, write_reports
from estate.report.model import build_document
from estate.report.rows import Rows
from estate.report.xlsx import _nested
from estate.analyse.model import ColumnRows


def _render(findings, cache_dir, monkeypatch) -> str:
    monkeypatch.setenv("ESTATE_CACHE_DIR", str(cache_dir))
    html.environment.cache_clear()
    try:
        return html.render_report(build_document(findings), findings)
    finally:
        html.environment.cache_clear()


def test_compiled_report_template_is_kept_and_gives_the_same_page(tiny_findings, tmp_path,
                                                                   monkeypatch):
    first = _render(tiny_findings, tmp_path / "cache", monkeypatch)
    kept = list((tmp_path / "cache" / "templates").glob("report-*.cache"))
    assert len(kept) == 1, "the compiled template is written to the cache folder"
    assert _render(tiny_findings, tmp_path / "cache", monkeypatch) == first


@pytest.mark.parametrize("damage", ["garbage", "unwritable", "off"])
def test_a_bad_template_cache_only_means_compiling(tiny_findings, tmp_path, monkeypatch,
                                                   damage):
    expected = _render(tiny_findings, tmp_path / "good", monkeypatch)
    if damage == "garbage":
        cache = tmp_path / "bad"
        _render(tiny_findings, cache, monkeypatch)
        for kept in (cache / "templates").glob("*.cache"):
            kept.write_bytes(b"not a template")
    elif damage == "unwritable":
        cache = tmp_path / "a-file"
        cache.write_text("in the way")  # the cache folder cannot be made
    else:
        cache = ""
    if cache == "":
        monkeypatch.setenv("ESTATE_CACHE_DIR", "")
        html.environment.cache_clear()
        try:
            page = html.render_report(build_document(tiny_findings), tiny_findings)
        finally:
            html.environment.cache_clear()
    else:
        page = _render(tiny_findings, cache, monkeypatch)
    assert page == expected


def test_first_members_reads_views_of_one_table_as_slicing_them_would():
    frame = pd.DataFrame({"department": list("ABCDEFGHIJ"),
                          "system_id": [f"S{i}" for i in range(10)],
                          "users": [1, None, 3, 4, 5, 6, 7, 8, 9, 10]})
    table = Rows(frame, [("department", "department", "text"),
                         ("system_id", "system_id", "text"), ("users", "users", "int")],
                 order=list(range(9, -1, -1)))
    views = [table.view(0, 4), table.view(4, 5), table.view(5, 5), table.view(5, 10)]
    assert html.first_members(views, 3) == [list(v[:3]) for v in views]
    assert html.first_members(views, 2, ("system_id",)) == [
        [{"system_id": m["system_id"]} for m in v[:2]] for v in views]
    lists = [list(v) for v in views]
    assert html.first_members(lists, 3) == [v[:3] for v in lists]
    assert html.first_members([], 3) == []


def test_nested_inputs_are_found_without_reading_every_row():
    rows = ColumnRows(["system", "cost"], [["a", "b"], [1.0, 2.0]])
    assert _nested(rows) and _nested([1, {"a": 1}]) and _nested([[1]])
    assert not _nested([1, "x", None]) and not _nested([])
    assert not _nested(ColumnRows(["system"], [[]]))


def test_kept_frozen_heap_is_known_without_counting(monkeypatch):
    assert not memory._kept_frozen
    calls = []
    monkeypatch.setattr(gc, "get_freeze_count", lambda: calls.append(1) or 0)
    assert not memory.heap_frozen() and calls
    try:
        memory.keep_frozen()
        calls.clear()
        assert memory.heap_frozen() and not calls
    finally:
        memory.unfreeze()
    assert not memory._kept_frozen


def test_pages_are_kept_when_the_output_folder_is_named_through_a_link(tiny_findings,
                                                                        tmp_path):
    real = tmp_path / "real"
    write_reports(tiny_findings, real)
    stale = real / "clusters" / "OLD.html"
    stale.write_text("old")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    files = write_reports(tiny_findings, link)
    assert files.removed == [link / "clusters" / "OLD.html"] and not stale.exists()
    assert all(p.is_file() for p in files.all())


def test_repeated_numbers_in_a_sheet_are_written_as_each_one_is():
    from estate.report.xlsx import Sheet, _cell_tail

    values = [1, 1.0, True, 0.0, -0.0, 0.0, float("nan"), 2.5, 2.5, 1]
    sheet = Sheet("S", [("A", "money")], [(v,) for v in values])
    xml = sheet.xml()
    for r, v in enumerate(values, start=2):
        assert f'<c r="A{r}"{_cell_tail("money", v)[0]}' in xml
