"""Every file in tests/corpus is one awkward or malformed inventory (issue 3).

Each case says what the loader must make of it; the file itself is the fixture.
"""

from pathlib import Path

import pandas as pd
import pytest

from estate.errors import LoadError
from estate.load import load_inventories
from estate.settings import Settings

CORPUS = Path(__file__).parent / "corpus"


def load(name: str, **settings) -> "LoadResult":  # noqa: F821
    return load_inventories([CORPUS / name], Settings(**settings))


def codes(result, code: str) -> list:
    return [f for f in result.findings if f.code == code]


def by_id(result, system_id: str) -> pd.Series:
    rows = result.systems[result.systems["system_id"] == system_id]
    assert len(rows) == 1, system_id
    return rows.iloc[0]


def test_corpus_has_at_least_30_cases():
    files = [p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".py"]
    assert len(files) >= 30


# ---------------------------------------------------------------- formats

@pytest.mark.parametrize("name, fmt, ids", [
    ("basic.csv", "csv", ["B-1", "B-2"]),
    ("tab-separated.tsv", "tsv", ["T-1", "T-2"]),
    ("semicolon.csv", "csv-semicolon", ["S-1", "S-2"]),
    ("pipe-delimited.txt", "csv-pipe", ["P-1", "P-2"]),
    ("utf8-bom.csv", "csv", ["U-1"]),
    ("utf16-excel-unicode.txt", "tsv", ["X-1", "X-2"]),
    ("utf16-be.csv", "csv", ["Y-1"]),
    ("windows-1252.csv", "csv", ["W-1"]),
    ("crlf-and-cr.csv", "csv", ["C-1", "C-2", "C-3"]),
    ("workbook.xlsx", "xlsx", ["WB-1", "WB-2", "WB-3"]),
])
def test_formats_and_encodings_are_read(name, fmt, ids):
    result = load(name)
    assert result.inputs[0].format == fmt
    assert result.systems["system_id"].tolist() == ids
    assert (result.systems["status"] == "analysed").all()


def test_tab_file_keeps_commas_inside_cells():
    assert by_id(load("tab-separated.tsv"), "T-1")["name"] == "Payroll, HR"


def test_pound_sign_survives_every_encoding():
    assert by_id(load("windows-1252.csv"), "W-1")["annual_cost"] == 12500
    assert by_id(load("windows-1252.csv"), "W-1")["name"] == "Payroll – core"
    assert by_id(load("utf16-excel-unicode.txt"), "X-2")["annual_cost"] == 3000
    assert by_id(load("utf16-excel-unicode.txt"), "X-2")["name"] == "Régime"
    assert by_id(load("utf8-bom.csv"), "U-1")["name"] == "Café booking"
    assert any("Windows-1252" in f.message for f in codes(load("windows-1252.csv"), "encoding"))


def test_quoted_newlines_keep_physical_line_numbers():
    result = load("quoted-newlines.csv")
    assert result.systems["source_line"].tolist() == [2, 5]
    assert by_id(result, "Q-1")["notes"] == "line one\nline two\nline three"
    assert by_id(result, "Q-2")["notes"] == 'said "hi"'


def test_trailing_empty_rows_are_counted_and_empty_columns_dropped():
    result = load("trailing-empty-rows-and-columns.csv")
    assert len(result.systems) == 2
    assert "3 blank row(s)" in codes(result, "blank-rows")[0].message
    assert set(result.systems["extra"]) == {"{}"}
    assert not codes(result, "unnamed-column")


def test_title_block_above_the_header():
    result = load("title-block.csv")
    assert result.systems["source_line"].tolist() == [5, 6]
    assert codes(result, "header-not-on-first-line")[0].message.startswith("the header is on line 4")


def test_workbook_reads_every_inventory_sheet_and_names_it():
    result = load("workbook.xlsx")
    sheets = dict(zip(result.systems["system_id"], result.systems["source_sheet"]))
    assert sheets == {"WB-1": "Applications", "WB-2": "Applications", "WB-3": "Infrastructure"}
    assert by_id(result, "WB-1")["source_line"] == 4
    assert by_id(result, "WB-1")["contract_end"] == pd.Timestamp("2027-03-31")
    assert by_id(result, "WB-2")["users"] == 30
    assert "'Read me'" in codes(result, "skipped-sheet")[0].message


# ---------------------------------------------------------------- headers

def test_header_synonyms_map_and_a_second_cost_column_is_kept_not_lost():
    row = by_id(load("header-synonyms.csv"), "HS-1")
    assert (row["name"], row["vendor"], row["instance"], row["users"]) == \
        ("Payroll", "SAP", "payroll.example", 1200)
    assert row["annual_cost"] == 1000 and row["classification"] == "OFFICIAL"
    assert '"Licence cost p.a.":"£2,000"' in row["extra"]


def test_shouty_snake_case_headers():
    row = by_id(load("shouty-snake-case.csv"), "SS-1")
    assert (row["name"], row["classification"]) == ("PAYROLL", "OFFICIAL")


def test_user_mapping_file_maps_ignores_and_reports_unused_rules():
    result = load("user-mapping.csv", mapping=CORPUS / "user-mapping.mapping.csv")
    row = by_id(result, "UM-1")
    assert (row["name"], row["vendor"], row["extra"]) == ("Payroll", "SAP", "{}")
    assert codes(result, "ignored-column")[0].column == "Cost Centre"
    assert "Never Seen" in codes(result, "unused-mapping")[0].message


def test_without_the_mapping_the_same_file_has_no_recognisable_header():
    with pytest.raises(LoadError, match="no recognisable header"):
        load("user-mapping.csv")


def test_unmapped_and_duplicate_columns_are_kept_and_reported():
    result = load("unmapped-and-duplicate-columns.csv")
    import json
    extra = json.loads(by_id(result, "UD-1")["extra"])
    assert extra == {"System Name": "Payroll (legacy)", "Cost Centre": "CC1", "Favourite Colour": "blue"}
    assert {f.column for f in codes(result, "unmapped-column")} == {"Cost Centre", "Favourite Colour"}
    assert codes(result, "duplicate-column")[0].column == "System Name"


def test_department_column_with_gaps_and_case_variants():
    result = load("department-column.csv")
    depts = dict(zip(result.systems["system_id"], result.systems["department"]))
    assert depts == {"DC-1": "DWP", "DC-2": "HMRC", "DC-3": "Department Column", "DC-4": "DWP"}
    assert codes(result, "missing-department")[0].line == 4
    assert codes(result, "department-spelling")


def test_cost_header_in_thousands():
    result = load("cost-in-thousands.csv")
    assert result.systems["annual_cost"].tolist() == [12500.0, 1_200_000.0]


# ---------------------------------------------------------------- values

def test_costs_corpus():
    result = load("costs.csv")
    costs = dict(zip(result.systems["system_id"], result.systems["annual_cost"]))
    assert (costs["V-1"], costs["V-2"], costs["V-3"], costs["V-7"]) == (12500, 12500, 1200, 1200)
    for bad in ("V-4", "V-5", "V-6", "V-8", "V-9"):
        assert pd.isna(costs[bad]), bad
    problems = {(f.line, f.code, f.value) for f in result.findings if f.column == "Annual Cost"}
    assert problems == {
        (5, "negative-cost", "(1,200)"), (6, "unparsable-cost", "$500"),
        (7, "unparsable-cost", "12,50"), (8, "monthly-cost", "£100 per month"),
        (10, "unparsable-cost", "Included in EA"),
    }


def test_users_corpus():
    result = load("users.csv")
    assert result.systems["users"].tolist()[:3] == [1200, 300, 300]
    assert [f.value for f in codes(result, "unparsable-users")] == ["lots", "100-200", "1.5"]


def test_dates_corpus():
    result = load("dates.csv")
    ends = dict(zip(result.systems["system_id"], result.systems["contract_end"]))
    assert ends["D-3"] == pd.Timestamp("2027-03-31") and ends["D-4"] == pd.Timestamp("2027-12-31")
    assert all(pd.isna(ends[k]) for k in ("D-7", "D-8", "D-9", "D-11"))
    assert [f.line for f in codes(result, "partial-date")] == [4, 5, 6, 7]
    assert [f.value for f in codes(result, "unparsable-date")] == ["03/31/2027", "9999-12-31", "soon"]


def test_lists_corpus():
    result = load("lists.csv")
    assert by_id(result, "L-1")["integrates_with"] == ("L-2", "L-3")
    assert by_id(result, "L-2")["integrates_with"] == ("L-1", "L-3")
    assert by_id(result, "L-3")["integrates_with"] == ("HMRC:APP-1", "L-1")
    assert by_id(result, "L-1")["data_domains"] == ("HR", "Payroll")
    assert by_id(result, "L-2")["data_domains"] == ()


def test_classifications_corpus():
    result = load("classifications.csv")
    assert result.systems["classification"].tolist()[:5] == [
        "OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE", "TOP SECRET", "OFFICIAL"]
    assert [f.value for f in codes(result, "unparsable-classification")] == ["Confidential", "Purple"]
    assert codes(result, "legacy-classification")[0].line == 6


def test_placeholders_are_empty_not_errors():
    result = load("placeholders.csv")
    assert result.systems[["vendor", "annual_cost", "contract_end"]].isna().all().all()
    assert not [f for f in result.findings if f.severity == "error"]


# ---------------------------------------------------------------- identity

def test_duplicate_ids_keep_both_rows_and_exact_copies_are_quarantined():
    result = load("duplicate-ids.csv")
    s = result.systems
    assert s["system_key"].is_unique
    assert s["system_key"].tolist() == ["Duplicate Ids:DI-1", "Duplicate Ids:DI-1#2",
                                        "Duplicate Ids:DI-2", "Duplicate Ids:DI-2#2"]
    assert s["status"].tolist() == ["analysed", "analysed", "analysed", "quarantined"]
    assert "exact copy of" in s["status_reason"].iloc[3]
    assert codes(result, "duplicate-system-id")[0].line == 3


def test_missing_ids_are_derived_stably_and_empty_rows_quarantined():
    first, second = load("missing-ids.csv"), load("missing-ids.csv")
    s = first.systems
    assert s["system_id"].tolist() == second.systems["system_id"].tolist()
    assert s["system_id"].iloc[0].startswith("AUTO-")
    assert s["system_key"].is_unique
    reasons = dict(zip(s["source_line"], s["status_reason"]))
    assert reasons[4] == "no system id and no name"
    assert reasons[6] == "a repeated header row"
    assert reasons[7] == "a totals row, not a system"
    assert [f.line for f in codes(first, "derived-system-id")] == [2, 3]


def test_same_system_listed_by_two_departments():
    result = load("cross-department")
    found = codes(result, "listed-by-several-departments")
    assert {(f.department, f.line) for f in found} == {("DWP", 2), ("DWP", 3), ("HMRC", 2), ("HMRC", 3)}
    assert (result.systems["status"] == "analysed").all()


def test_ragged_rows_keep_stray_cells():
    result = load("ragged-rows.csv")
    assert by_id(result, "R-1")["extra"] == '{"column 3":"stray","column 4":"cells"}'
    assert codes(result, "missing-name")[0].line == 3


def test_unterminated_quote_is_reported():
    result = load("unterminated-quote.csv")
    assert codes(result, "unterminated-quote")[0].line == 2
    assert "UQ-2" in by_id(result, "UQ-1")["notes"]


def test_header_only_file_is_usable_with_a_warning():
    result = load("header-only.csv")
    assert len(result.systems) == 0 and result.inputs[0].readable
    assert codes(result, "no-data-rows")


def test_folder_reports_skipped_files():
    result = load("folder-with-extras")
    assert result.systems["system_id"].tolist() == ["M-1"]
    skipped = {Path(f.file).name for f in codes(result, "skipped-file")}
    assert skipped == {"README.md", ".hidden.csv", "~$lock.xlsx", "notes.json"}


# ---------------------------------------------------------------- unusable files

@pytest.mark.parametrize("name, message", [
    ("empty.csv", "the file is empty"),
    ("whitespace-only.csv", "the file is empty"),
    ("binary.csv", "binary file"),
    ("no-header.csv", "no recognisable header"),
    ("corrupt.xlsx", "not a readable .xlsx"),
    ("legacy.xls", "legacy Excel .xls"),
    ("pdf-renamed.csv", "a PDF document"),
])
def test_unusable_files_raise_one_clear_load_error(name, message):
    with pytest.raises(LoadError) as caught:
        load(name)
    text = str(caught.value)
    assert message in text and name in text and "\n" not in text


def test_keep_going_loads_the_rest_and_lists_unusable_files():
    paths = [CORPUS / "binary.csv", CORPUS / "basic.csv", CORPUS / "empty.csv"]
    result = load_inventories(paths, Settings(keep_going=True))
    assert result.systems["system_id"].tolist() == ["B-1", "B-2"]
    unusable = {Path(i.path).name: i.error for i in result.inputs if not i.readable}
    assert set(unusable) == {"binary.csv", "empty.csv"}
    assert len(codes(result, "unreadable-file")) == 2
