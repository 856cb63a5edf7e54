"""The benchmark generator makes a valid, messy, deterministic estate that estate loads.

No timings here: ``python benchmarks/run.py`` prints those.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generate():
    return _module("generate")


def _read(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except UnicodeDecodeError:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp1252")


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def test_writes_the_rows_asked_for_in_one_csv_per_department(generate, tmp_path):
    paths = generate.write_estate(600, tmp_path, seed=3)

    assert len(paths) == generate.department_count(600) > 10
    frames = [_read(p) for p in paths]
    assert sum(len(f) for f in frames) == 600
    assert all(len(f) >= 1 for f in frames)


def test_departments_differ_in_headers_and_value_habits(generate, tmp_path):
    paths = generate.write_estate(2000, tmp_path, seed=1)
    headers = {tuple(_read(p).columns) for p in paths}
    text = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in paths)

    assert len(headers) > len(paths) * 0.8  # nearly every department its own header row
    assert ".onmicrosoft.com" in text  # tenants
    assert any(s in text for s in ("O365", "Office 365", "M365"))  # aliases
    assert ":" in text  # DEPT:ID integrations
    assert "£" in text and "k" in text  # costs such as £12,500 or 12.5k


def test_same_seed_same_bytes_other_seed_other_estate(generate, tmp_path):
    generate.write_estate(300, tmp_path / "a", seed=7)
    generate.write_estate(300, tmp_path / "b", seed=7)
    generate.write_estate(300, tmp_path / "c", seed=8)

    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_estate_loads_every_generated_row(generate, tmp_path):
    from estate.load import load_inventories
    from estate.settings import Settings

    generate.write_estate(400, tmp_path, seed=5)
    loaded = load_inventories([tmp_path], Settings())

    assert len(loaded.systems) == 400
    assert loaded.systems["department"].nunique() == generate.department_count(400)
    assert loaded.systems["name"].notna().mean() > 0.95
    assert loaded.systems["annual_cost"].notna().any()
    assert loaded.systems["contract_end"].notna().any()
    unmapped = [f for f in loaded.findings if f.code == "unmapped-column"]
    assert len(unmapped) <= len(generate.EXTRA_HEADERS) * generate.department_count(400)


def test_generate_command_line(generate, tmp_path, capsys):
    assert generate.main(["--rows", "120", "--out", str(tmp_path / "out"), "--seed", "2"]) == 0
    assert sum(len(_read(p)) for p in (tmp_path / "out").glob("*.csv")) == 120
    assert "wrote 120 rows" in capsys.readouterr().err


def test_run_table_and_targets_from_measurements():
    run = _module("run")
    summary = run.summarise({
        "rows": 1000, "files": 50, "errors": [], "missing_reports": [],
        "cli": [{"wall": 1.5, "peak_mb": 200.0}, {"wall": 1.7, "peak_mb": 210.0},
                {"wall": 1.6, "peak_mb": 205.0}],
        "stages": [{"import": 0.5, "load": 0.2}],
        "pandas": [{"wall": 0.5, "read": 0.1, "peak_mb": 80.0}],
    })

    assert summary["wall"] == 1.6 and summary["peak_mb"] == 205.0
    assert "| 1,000 | 50 | 1.60 | n/a | 205 |" in run.table([summary], 3)
    checks = dict((what, ok) for what, ok, _ in run.targets([summary]))
    assert checks["1,000 rows in <= 2 s including start-up"] is True
