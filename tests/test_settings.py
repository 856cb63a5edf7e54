"""Settings: defaults, the settings file, overrides and clear errors."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from datetime import date
from pathlib import Path

import pytest

from estate.errors import SettingsError
from estate.settings import (Constraints, Rule, SavingsModel, Settings, SimilarityModel,
                             TargetModel, load_settings)

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "estate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_defaults():
    assert load_settings(None) == Settings()


def test_the_example_file_states_exactly_the_defaults():
    assert load_settings(ROOT / "estate.example.toml") == Settings()


def test_every_setting_is_documented_with_its_default():
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for cls, prefix in ((Settings, ""), (SavingsModel, "savings."),
                        (SimilarityModel, "similarity."), (TargetModel, "target."),
                        (Constraints, "constraints."), (Rule, "rules.")):
        for f in fields(cls):
            if cls is Settings and f.name in ("savings", "similarity", "target",
                                              "constraints", "rules"):
                continue
            assert f"`{prefix}{f.name}`" in doc, f"{prefix}{f.name} is not documented"


def test_file_values_and_sections_are_read(tmp_path):
    path = write(tmp_path, """
standards = "radar.csv"
seed = 7
as_of = 2025-04-01
wave_months = 3
[savings]
migration_cost_per_system = 1000
licence_cost_per_user = { "microsoft-365" = 240.0 }
[similarity]
community_min_units = 10
[target]
users = 5.0
[target.hosting_preference]
saas = 0.5
[constraints]
region_rule = "none"
out_of_scope = ["HO:*"]
[[rules]]
name = "keep health data apart"
kind = "separate"
field = "data_domains"
values = ["health*"]
""")
    s = load_settings(path)
    assert s.standards == tmp_path / "radar.csv" and s.seed == 7
    assert s.as_of == date(2025, 4, 1) and s.wave_months == 3
    assert s.savings.migration_cost_per_system == 1000
    assert s.savings.migration_cost_per_integration == 15_000.0  # default kept
    assert s.savings.licence_cost_per_user == {"microsoft-365": 240.0}
    assert s.similarity.community_min_units == 10
    assert s.target.users == 5.0 and s.target.hosting_preference == {"saas": 0.5}
    assert s.constraints.region_rule == "none" and s.constraints.out_of_scope == ["HO:*"]
    assert s.rules == [Rule("keep health data apart", "separate", "data_domains", ["health*"])]


def test_overrides_win_over_the_file(tmp_path):
    path = write(tmp_path, "seed = 7\nas_of = 2025-04-01\n")
    s = load_settings(path, seed=9, as_of="2026-01-31", keep_going=None)
    assert s.seed == 9 and s.as_of == date(2026, 1, 31) and s.keep_going is False


@pytest.mark.parametrize("text, message", [
    ("colour = 'blue'\n", "unknown setting(s): colour"),
    ("[savings]\nper_user = 1\n", "unknown [savings] setting(s): per_user"),
    ("[similarity]\nfoo = 1\n", "unknown [similarity] setting(s): foo"),
    ("seed = 'seven'\n", "seed has the wrong type"),
    ("[savings]\nmigration_cost_per_system = 'lots'\n", "savings.migration_cost_per_system"),
    ("[target]\nhosting_preference = { saas = 'high' }\n", "target.hosting_preference"),
    ("as_of = 'next week'\n", "as_of must be an ISO date"),
    ("fuzzy_threshold = 120\n", "fuzzy_threshold must be between 0 and 100"),
    ("min_cluster_size = 1\n", "min_cluster_size must be at least 2"),
    ("wave_months = 0\n", "wave_months must be at least 1"),
    ("[constraints]\nregion_rule = 'planet'\n", "region_rule must be one of"),
    ("[savings]\nmigration_cost_per_system = -1\n", "must not be negative"),
    ("[[rules]]\nname = 'x'\nkind = 'merge'\nfield = 'hosting'\n", "kind must be one of"),
    ("[[rules]]\nname = 'x'\nkind = 'split_by'\nfield = 'colour'\n", "unknown field 'colour'"),
    ("[[rules]]\nname = 'x'\nkind = 'separate'\nfield = 'hosting'\n", "needs values"),
    ("[[rules]]\nkind = 'separate'\nfield = 'hosting'\n", "[rules #1] needs name"),
    ("[[rules]]\nname = 'x'\nkind = 'split_by'\nfield = 'hosting'\n"
     "[[rules]]\nname = 'x'\nkind = 'split_by'\nfield = 'region'\n", "used twice"),
    ("seed = \n", "not a valid TOML file"),
])
def test_bad_settings_are_clear_errors_naming_the_file(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(SettingsError, match="settings file not found"):
        load_settings(tmp_path / "nope.toml")


def test_to_dict_is_plain_json_and_complete():
    s = Settings(as_of=date(2025, 1, 2), standards=Path("radar.csv"),
                 rules=[Rule("r", "split_by", "hosting")])
    data = json.loads(json.dumps(s.to_dict()))
    assert data["as_of"] == "2025-01-02" and data["standards"] == "radar.csv"
    assert data["rules"] == [{"name": "r", "kind": "split_by", "field": "hosting",
                              "values": [], "capabilities": []}]
    assert set(data["savings"]) == {f.name for f in fields(SavingsModel)}
    assert re.fullmatch(r"\d+", str(data["seed"]))


def test_file_paths_are_relative_to_the_settings_file_and_options_to_the_caller(tmp_path):
    path = write(tmp_path, 'catalogue = "cat.csv"\nstandards = "/abs/radar.csv"\n')
    s = load_settings(path, mapping=Path("here.csv"))
    assert s.catalogue == tmp_path / "cat.csv"
    assert s.standards == Path("/abs/radar.csv") and s.mapping == Path("here.csv")
