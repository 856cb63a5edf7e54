"""The load API contract: one row per data row, the schema's columns and dtypes, errors."""

import json
from pathlib import Path

import pandas as pd
import pytest

from estate.errors import LoadError, SettingsError
from estate.load import InputFile, load_inventories
from estate.schema import FIELD_NAMES, PROVENANCE_COLUMNS
from estate.settings import Settings


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_systems_table_follows_the_schema_contract(tmp_path):
    write(tmp_path, "dwp.csv", "System ID,Name,Users,Annual Cost,Contract End,Integrates With\n"
          "A,Payroll,10,£5,2027-01-01,B;C\nB,HR,,,,\n")
    result = load_inventories([tmp_path], Settings())
    s = result.systems
    assert list(s.columns) == list(FIELD_NAMES + PROVENANCE_COLUMNS)
    assert str(s["users"].dtype) == "Int64" and str(s["annual_cost"].dtype) == "Float64"
    assert str(s["contract_end"].dtype).startswith("datetime64")
    assert s["integrates_with"].tolist() == [("B", "C"), ()]
    assert s["system_key"].tolist() == ["DWP:A", "DWP:B"]
    assert s["source_file"].tolist() == [str(tmp_path / "dwp.csv")] * 2
    assert s["source_line"].tolist() == [2, 3]
    assert pd.isna(s["source_sheet"]).all() and pd.isna(s["status_reason"]).all()
    assert [json.loads(x) for x in s["extra"]] == [{}, {}]
    assert isinstance(result.inputs[0], InputFile)
    assert result.inputs[0].rows == 2 and result.inputs[0].departments == ["DWP"]
    assert len(result.inputs[0].sha256) == 64


def test_every_input_row_is_accounted_for(tmp_path):
    write(tmp_path, "moj.csv", "System ID,Name\nA,x\n,\n,,\nB,y\n,z\nA,x\n")
    result = load_inventories([tmp_path], Settings())
    s = result.systems
    blank = [f for f in result.findings if f.code == "blank-rows"]
    assert len(s) + 2 == 6 and "2 blank row(s)" in blank[0].message
    assert sorted(s["source_line"].tolist() + [3, 4]) == [2, 3, 4, 5, 6, 7]
    assert s["system_key"].is_unique


def test_findings_are_sorted_and_name_file_line_column_and_raw_value(tmp_path):
    write(tmp_path, "b.csv", "ID,Name,Cost\nX,a,lots\n")
    write(tmp_path, "a.csv", "ID,Name,Cost\nY,b,£££\n")
    result = load_inventories([tmp_path], Settings())
    problems = [f for f in result.findings if f.code == "unparsable-cost"]
    assert [(Path(f.file).name, f.line, f.column, f.value) for f in problems] == [
        ("a.csv", 2, "Cost", "£££"), ("b.csv", 2, "Cost", "lots")]
    order = [(f.file, f.line if f.line is not None else -1) for f in result.findings]
    assert order == sorted(order)


def test_folders_are_read_recursively_in_sorted_order(tmp_path):
    write(tmp_path, "z/hmrc.csv", "ID,Name\nH1,a\n")
    write(tmp_path, "a/dwp.tsv", "ID\tName\nD1,x\tb\n")
    result = load_inventories([tmp_path], Settings())
    assert result.systems["system_key"].tolist() == ["DWP:D1,x", "HMRC:H1"]


def test_missing_path_raises_or_is_listed_with_keep_going(tmp_path):
    with pytest.raises(LoadError, match="no such file"):
        load_inventories([tmp_path / "nope.csv"], Settings())
    write(tmp_path, "dwp.csv", "ID,Name\nA,b\n")
    result = load_inventories([tmp_path / "nope.csv", tmp_path / "dwp.csv"],
                              Settings(keep_going=True))
    assert [i.readable for i in result.inputs] == [False, True]


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(LoadError, match="no inventory files"):
        load_inventories([tmp_path], Settings())


def test_permission_denied_is_one_clear_error(tmp_path, monkeypatch):
    path = write(tmp_path, "dwp.csv", "ID,Name\nA,b\n")

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(LoadError, match="permission denied") as caught:
        load_inventories([path], Settings())
    assert str(path) in str(caught.value)


def test_mapping_scopes_file_beats_department_beats_everything(tmp_path):
    write(tmp_path, "dwp.csv", "Key,Label,Thing\nA,Payroll,x\n")
    write(tmp_path, "hmrc.csv", "Key,Label,Thing\nB,Tax,y\n")
    mapping = write(tmp_path.parent / "maps", "m.csv",
                    "*,Thing,notes\nDWP,Thing,product\nhmrc.csv,Thing,vendor\n*,Label,name\n")
    result = load_inventories([tmp_path], Settings(mapping=mapping))
    s = result.systems.set_index("system_id")
    assert s.loc["A", "product"] == "x" and s.loc["B", "vendor"] == "y"
    assert s.loc["A", "name"] == "Payroll"


@pytest.mark.parametrize("text, message", [
    ("*,Name\n", "three cells"),
    ("*,Name,colour\n", "is not a field"),
])
def test_bad_mapping_file_names_its_line(tmp_path, text, message):
    mapping = write(tmp_path, "m.csv", "scope,header,field\n" + text)
    write(tmp_path, "inv/dwp.csv", "ID,Name\nA,b\n")
    with pytest.raises(SettingsError, match=message) as caught:
        load_inventories([tmp_path / "inv"], Settings(mapping=mapping))
    assert "line 2" in str(caught.value)


def test_utf16_without_bom_is_read(tmp_path):
    write(tmp_path, "dwp.csv", "ID,Name,Cost\nA,Payroll,£1\n", "utf-16-le")
    result = load_inventories([tmp_path], Settings())
    assert result.systems["annual_cost"].tolist() == [1.0]


def test_large_file_has_exact_lines_and_parses_costs_once_per_value(tmp_path):
    rows = "".join(f"S{i},System {i},£{i % 7},{i % 3 + 1}/01/2027\n" for i in range(20000))
    write(tmp_path, "dwp.csv", "ID,Name,Cost,Contract End\n" + rows)
    s = load_inventories([tmp_path], Settings()).systems
    assert len(s) == 20000 and s["source_line"].iloc[-1] == 20001
    assert s["annual_cost"].iloc[-1] == 19999 % 7
