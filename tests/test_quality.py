
import pandas as pd

from estate.errors import Finding
from estate.load import load_inventories
from estate.quality import FIELD_WEIGHTS, assess_quality
from estate.schema import FIELD_NAMES
from estate.settings import Settings


def test_scores_are_weighted_completeness_per_department(tmp_path):
    (tmp_path / "full.csv").write_text(
        "ID,Name,Department,Vendor,Product,Version,Capability,Tenant,Hosting,Region,Users,"
        "Cost,Contract End,Lifecycle,Classification,Owner,Integrates With,Data Domains,Notes\n"
        "A,a,FULL,v,p,1,c,t,SaaS,UK,1,£1,2027-01-01,live,OFFICIAL,o,B,HR,n\n", encoding="utf-8")
    (tmp_path / "thin.csv").write_text("ID,Name,Cost\nA,a,\nB,,£5\n", encoding="utf-8")
    loaded = load_inventories([tmp_path], Settings())
    quality = assess_quality(loaded.systems, loaded.findings)
    assert quality.scores["FULL"] == 100.0
    scored = {f: w for f, w in FIELD_WEIGHTS.items() if w}
    total = sum(scored.values())
    expected = (scored["system_id"] * 1 + scored["name"] * 0.5 + scored["annual_cost"] * 0.5) / total
    assert quality.scores["THIN"] == round(expected * 100, 1)
    cells = {(c.department, c.field): (c.filled, c.total) for c in quality.completeness}
    assert cells[("THIN", "name")] == (1, 2) and cells[("THIN", "integrates_with")] == (0, 2)
    assert {c.field for c in quality.completeness} == set(FIELD_NAMES)


def test_findings_are_sorted_and_unrecognised_products_listed():
    systems = pd.DataFrame({
        "department": ["A", "B", "B"], "status": ["analysed"] * 3,
        "match_stage": ["unrecognised", "unrecognised", "exact"],
        "match_input": ["Widgetron", "Widgetron", "SAP"],
        "product_id": ["unrecognised:widgetron", "unrecognised:widgetron", "sap"],
    })
    late = Finding("b.csv", 2, None, "load", "info", "x", "m")
    early = Finding("a.csv", None, None, "load", "info", "x", "m")
    quality = assess_quality(systems, [late, early])
    assert quality.findings == [early, late]
    assert quality.unrecognised_products == [
        {"raw": "Widgetron", "count": 2, "departments": ["A", "B"], "group": "unrecognised:widgetron"}]


def test_empty_table_gives_empty_quality():
    from estate.load import empty_systems

    quality = assess_quality(empty_systems(), [])
    assert quality.scores == {} and quality.completeness == [] and quality.unrecognised_products == []


def test_blank_text_and_empty_lists_are_not_filled():
    from estate.quality import filled_mask

    text = pd.Series(["x", " x ", "", "   ", "\t\n", "\u00a0\u3000", "\x1f", pd.NA, "é", "\u2003a"],
                     dtype="string")
    assert filled_mask(text).tolist() == [True, True, False, False, False, False, False,
                                          False, True, True]
    lists = pd.Series([("a",), (), None, ("a", "b"), float("nan")], dtype=object)
    assert filled_mask(lists).tolist() == [True, False, False, True, False]


def test_filled_mask_never_writes_into_its_column():
    import pickle

    from estate.quality import filled_mask

    # After unpickling, to_numpy(copy=True) on a string column can return the column's
    # own array; the mask must still leave the column as it was.
    frame = pickle.loads(pickle.dumps(pd.DataFrame({
        "text": pd.Series(["a", pd.NA, " "], dtype="string"),
        "lists": pd.Series([("a",), None, ()], dtype=object)})))
    before = frame.copy(deep=True)
    assert filled_mask(frame["text"]).tolist() == [True, False, False]
    assert filled_mask(frame["lists"]).tolist() == [True, False, False]
    pd.testing.assert_frame_equal(frame, before)
