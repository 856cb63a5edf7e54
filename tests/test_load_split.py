"""Files read on two cores give exactly what one core gives (issue 8)."""

import sys
from pathlib import Path

import pandas as pd
import pytest

from estate.errors import LoadError
from estate.load import load_inventories
from estate.settings import Settings

CORPUS = Path(__file__).parent / "corpus"
BUNDLED = Path(__file__).parent.parent / "inventories"


def _both(monkeypatch, paths, settings):
    monkeypatch.setattr("estate.load.SPLIT_BYTES", 0)
    monkeypatch.setenv("ESTATE_WORKERS", "1")
    one = load_inventories(paths, settings)
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    two = load_inventories(paths, settings)
    return one, two


@pytest.mark.parametrize("paths", [[CORPUS], [BUNDLED], [BUNDLED, CORPUS / "workbook.xlsx"]])
def test_two_cores_give_the_same_rows_findings_and_inputs(monkeypatch, paths):
    one, two = _both(monkeypatch, paths, Settings(keep_going=True))
    pd.testing.assert_frame_equal(one.systems, two.systems, check_exact=True)
    assert one.findings == two.findings
    assert one.inputs == two.inputs
    assert len(one.systems) > 0 and any(not i.readable for i in one.inputs) == (paths == [CORPUS])


def test_the_first_unusable_file_stops_the_run_on_two_cores_too(monkeypatch):
    if not sys.platform.startswith("linux"):
        pytest.skip("work is forked only on Linux")
    paths = sorted(p for p in BUNDLED.glob("*.csv")) + [CORPUS / "empty.csv", CORPUS / "binary.csv"]
    errors = []
    for workers in ("1", "2"):
        monkeypatch.setattr("estate.load.SPLIT_BYTES", 0)
        monkeypatch.setenv("ESTATE_WORKERS", workers)
        with pytest.raises(LoadError) as caught:
            load_inventories(paths, Settings())
        errors.append(str(caught.value))
    assert errors[0] == errors[1] and "empty.csv" in errors[0]


def test_mapping_rules_used_by_either_part_count_as_used(monkeypatch):
    paths = [CORPUS / "basic.csv", CORPUS / "costs.csv", CORPUS / "user-mapping.csv"]
    settings = Settings(mapping=CORPUS / "user-mapping.mapping.csv")
    one, two = _both(monkeypatch, paths, settings)
    pd.testing.assert_frame_equal(one.systems, two.systems, check_exact=True)
    assert one.findings == two.findings


@pytest.mark.parametrize("paths", [[CORPUS], [BUNDLED]])
def test_fields_read_in_a_child_give_the_same_rows_and_findings(monkeypatch, paths):
    settings = Settings(keep_going=True)
    monkeypatch.setenv("ESTATE_WORKERS", "2")
    here = load_inventories(paths, settings)
    monkeypatch.setattr("estate.load.table.PARALLEL_PARSE_ROWS", 0)
    apart = load_inventories(paths, settings)
    pd.testing.assert_frame_equal(here.systems, apart.systems, check_exact=True)
    assert here.findings == apart.findings
    assert any(f.code.endswith("-date") for f in here.findings) or paths != [CORPUS]
