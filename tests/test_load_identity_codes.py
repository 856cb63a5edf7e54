"""Identity works on codes folded once per distinct text (issue 8); the keys and findings
stay those of the text rules."""

import numpy as np
import pandas as pd

from estate.arrays import factorize
from estate.load import load_inventories
from estate.load.identity import _string_array, _suffix_collides
from estate.load.table import _folded
from estate.settings import Settings


def test_a_suffixed_key_that_meets_a_written_one_is_suffixed_again(tmp_path):
    path = tmp_path / "dwp.csv"
    path.write_text("System ID,Name\nX,a\nx,b\nX#2,c\nY,d\nY,e\ny#2,f\n", encoding="utf-8")
    result = load_inventories([path], Settings())
    assert result.systems["system_key"].tolist() == [
        "DWP:X", "DWP:x#2", "DWP:X#2#1", "DWP:Y", "DWP:Y#2", "DWP:y#2#2"]
    assert result.systems["status"].tolist() == ["analysed"] * 6


def test_suffix_collision_check_agrees_with_a_full_duplicate_search():
    rng = np.random.default_rng(0)
    for _ in range(200):
        folds = rng.integers(0, 12, size=rng.integers(1, 15)).astype(str).astype(object)
        _, first = np.unique(folds, return_index=True)
        suffixed = np.setdiff1d(np.arange(len(folds)), first)
        folds[suffixed] = folds[suffixed] + "#2"
        if len(suffixed):
            assert _suffix_collides(folds, suffixed) == (len(set(folds)) < len(folds))


def test_folded_codes_ignore_case_and_with_strip_outer_spaces():
    values = np.array(["Tenant A", "tenant a ", "B", None], dtype=object)
    positions = np.array([0, 1, 2, 3, 0])
    plain, plain_texts = _folded(values, positions, strip=False)
    stripped, stripped_texts = _folded(values, positions, strip=True)
    assert plain_texts[plain[1]] == "tenant a " and stripped_texts[stripped[1]] == "tenant a"
    assert plain[0] == plain[4] != plain[1] and plain[3] == -1
    assert stripped[0] == stripped[1] == stripped[4] != stripped[2] and stripped[3] == -1


def test_the_same_instance_in_two_departments_is_reported_whatever_its_case(tmp_path):
    (tmp_path / "dwp.csv").write_text("System ID,Name,Tenant\nA1,Mail,Contoso.onmicrosoft.com\n",
                                      encoding="utf-8")
    (tmp_path / "hmrc.csv").write_text("System ID,Name,Tenant\nB7,Email,contoso.ONMICROSOFT.com\n",
                                       encoding="utf-8")
    result = load_inventories([tmp_path], Settings())
    shared = [f for f in result.findings if f.code == "listed-by-several-departments"]
    assert [(f.department, f.message) for f in shared] == [
        ("DWP", "the same instance is also listed by HMRC"),
        ("HMRC", "the same instance is also listed by DWP")]


def test_repeats_are_the_later_rows_of_each_department_and_signature():
    from estate.load.identity import _repeats
    rng = np.random.default_rng(1)
    for _ in range(200):
        n = int(rng.integers(0, 30))
        depts = np.array(["HO", "DWP", None], dtype=object)[rng.integers(0, 3, n)]
        sigs = rng.integers(-3, 3, n).astype(np.int64)
        seen: dict = {}
        copies, originals = [], []
        for i, pair in enumerate(zip(depts.tolist(), sigs.tolist())):
            if pair in seen:
                copies.append(i)
                originals.append(seen[pair])
            else:
                seen[pair] = i
        got = _repeats(depts, sigs)
        assert got[0].tolist() == copies and got[1].tolist() == originals


def test_key_codes_are_equal_exactly_where_the_keys_are_equal_ignoring_case():
    from estate.load.identity import _key_codes
    for departments in (["HO", "ho", "DWP", "Dwp"], ["HO", "HO:A", "ho:a"]):
        rng = np.random.default_rng(2)
        depts = np.array(departments, dtype=object)[rng.integers(0, len(departments), 300)]
        ids = np.array(["A", "a", "A:b", "b", "B", "ǅ", "ǆ", "ß", "SS"],
                       dtype=object)[rng.integers(0, 9, 300)]
        keys = depts + ":" + ids
        read = rng.random(300) < 0.8  # the others' ids were derived or made here
        fold_codes, folds = _folded(np.where(read, ids, None), np.arange(300), strip=False)
        codes = _key_codes(*factorize(depts), ids, keys, fold_codes, folds)
        folds = [k.casefold() for k in keys]
        for i in range(0, 300, 7):
            for j in range(300):
                assert (codes[i] == codes[j]) == (folds[i] == folds[j])


def test_id_codes_are_equal_exactly_where_the_ids_are_equal_ignoring_case():
    from estate.load.identity import _id_codes
    rng = np.random.default_rng(3)
    for share in (0.0, 0.5, 0.9, 1.0):
        ids = np.array(["A", "a", "AUTO-1F", "auto-1f", "ß", "SS", "ǅ", "ǆ", "~x:3"],
                       dtype=object)[rng.integers(0, 9, 200)]
        read = rng.random(200) < share
        fold_codes, folds = _folded(np.where(read, ids, None), np.arange(200), strip=False)
        codes = _id_codes(ids, fold_codes, folds)
        assert (codes[read] == fold_codes[read]).all()
        folded = [i.casefold() for i in ids]
        for i in range(200):
            for j in range(0, 200, 3):
                assert (codes[i] == codes[j]) == (folded[i] == folded[j])


def test_reasons_become_the_string_array_pd_array_makes():
    reasons = np.full(2000, None, dtype=object)
    reasons[::7] = "a repeated header row"
    reasons[3::11] = [f"an exact copy of a.csv line {i}" for i in range(len(reasons[3::11]))]
    for values in (reasons, reasons[:0], np.full(3, None, dtype=object)):
        pd.testing.assert_extension_array_equal(_string_array(values),
                                                pd.array(values, dtype="string"))
