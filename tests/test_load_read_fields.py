"""Fields are read where the files were read, once per distinct text of each process's
tables (issue 8): whether the tables were read together or in two groups, merging their
readings gives every row the same reading."""

import pandas as pd

from estate.load.base import RawTable
from estate.load.table import build_table, merge_cells, read_fields, share_texts

HEADER = ["System ID", "Name", "Annual Cost", "Contract End"]
BODIES = [
    [["A1", "Payroll", "£1,200", "2027-03-31"], ["A2", " payroll ", "12k", "soon"],
     ["A3", "Ledger", "", "31/03/2027"]],
    [["B1", "Ledger", "£1,200", "soon"], ["B2", "Payroll", "lots", ""],
     ["B3", "Ledger", "-5", "2027-03-31"]],
]


def _tables():
    return [build_table(RawTable([HEADER] + body, list(range(1, len(body) + 2)), "csv"),
                        f"dept-{i}.csv", f"dept-{i}", {}, set())
            for i, body in enumerate(BODIES)]


def _per_row(tables):
    """Per field: each row's value, and its problem code and text."""
    cells = merge_cells(tables)
    return {name: (pd.Series(table["value"][cells.positions[name]], dtype=object),
                   [(table["code"][at], table["text"][at])
                    for at in cells.positions[name].tolist()])
            for name, table in cells.readings.items()}


def _same(one, two):
    assert one.keys() == two.keys()
    for name in one:
        pd.testing.assert_series_equal(one[name][0], two[name][0])
        assert one[name][1] == two[name][1]


def test_tables_read_in_two_groups_give_every_row_the_reading_of_one_group():
    together = _tables()
    share_texts(together)
    read_fields(together)
    apart = _tables()
    for table in apart:
        read_fields([table])
    _same(_per_row(together), _per_row(apart))


def test_readings_keep_the_text_of_a_problem_and_leave_empty_cells_empty():
    tables = _tables()
    for table in tables:
        read_fields([table])
    assert all(len(t.texts) == 0 for t in tables)
    rows = _per_row(tables)
    assert [text for _, text in rows["annual_cost"][1]] == [
        None, None, None, None, "lots", "-5"]
    assert rows["annual_cost"][0].tolist()[:3] == [1200.0, 12000.0, pd.NA]
    assert rows["contract_end"][1][1] == ("unparsable-date", "soon")
    assert rows["name"][0].tolist()[:2] == ["Payroll", "payroll"]
