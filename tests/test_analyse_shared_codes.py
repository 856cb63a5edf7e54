"""The shared and narrowed steps of the analysis give what the steps they replace give:
sorted codes, the systems table read straight in key order and only in the columns
asked for, candidate rows looked up at once, and savings worked out on arrays."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
from test_analyse_helpers import M365, make_graph, systems_table

from estate.analyse.frame import COLUMNS, sorted_codes, systems_frame, with_none
from estate.analyse.targets import _float_rows, _rows

TEXTS = ["b", "a", "é", "A", None, "a", "zz", "", "b:1", "b-1", "日本", "a", float("nan")]


def test_sorted_codes_are_pandas_sorted_factorize():
    for values in (TEXTS, TEXTS + ["bad \ud800 surrogate"], [3, 1, None, 3], [], [None],
                   ["x", "a", "x"]):
        array = np.array(values, dtype=object)
        codes, uniques = sorted_codes(array)
        expected_codes, expected_uniques = pd.factorize(array, sort=True)
        assert codes.tolist() == expected_codes.tolist()
        assert list(uniques) == list(expected_uniques)


def _estate(rows: int = 40):
    rnd = random.Random(3)
    table = []
    for n in range(rows):
        table.append(dict(dept=rnd.choice(["DWP", "HMRC", " MOJ "]),
                          id=f"S{rnd.randint(1, 99)}-{n}",
                          hosting=rnd.choice([None, " SaaS", "On premises "]),
                          owner=rnd.choice([None, "  Ops", "IT"]), users=rnd.choice([None, 10]),
                          **M365))
    return table


def test_the_table_read_in_key_order_is_the_one_sorted_afterwards():
    rows = _estate()
    graph = make_graph(rows)
    systems = systems_table(rows)
    from_table = systems_frame(graph, "OFFICIAL", systems)
    from_nodes = systems_frame(graph, "OFFICIAL")
    assert list(from_table.columns) == [*COLUMNS, "node", "strategic", "vendor_key"]
    assert from_table.index.is_monotonic_increasing
    pd.testing.assert_frame_equal(from_table, from_nodes[from_table.columns])


def test_only_the_columns_asked_for_are_read():
    rows = _estate()
    graph, systems = make_graph(rows), systems_table(rows)
    full = systems_frame(graph, "OFFICIAL", systems)
    some = systems_frame(graph, "OFFICIAL", systems, columns=["region", "owner"])
    assert "owner" in some and "notes" not in some and "classification" not in some
    pd.testing.assert_frame_equal(some, full[some.columns])


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        (x is None and y is None) or (type(x) is type(y) and (x == y or (
            isinstance(x, float) and math.isnan(x) and math.isnan(y)))) for x, y in zip(a, b))


def test_savings_rows_on_arrays_are_the_rows_of_the_loop():
    rnd = random.Random(7)
    nan = float("nan")
    for per_user in (None, 12.345, 0.1):
        for _ in range(20):
            n = rnd.randint(0, 30)
            keys = [f"K{i}" for i in range(n)]
            costs = [rnd.choice([nan, round(rnd.uniform(0, 1e6), 2), 0.0]) for _ in keys]
            users = [rnd.choice([nan, float(rnd.randint(0, 5000)), 0.0]) for _ in keys]
            missing_a, missing_b = ["target"], ["target"]
            got = _float_rows(keys, costs, users, per_user, missing_a)
            expected = _rows(keys, costs, users, per_user, missing_b)
            assert missing_a == missing_b
            assert all(_same(list(x), list(y)) for x, y in zip(got, expected))


def test_the_systems_table_holds_none_for_missing_text_already():
    """The analysis reads its columns without :func:`with_none`: it would change nothing."""
    rows = _estate() + [dict(dept="DWP", id="blank", name="  ", hosting="", **M365)]
    graph, systems = make_graph(rows), systems_table(rows)
    for frame in (systems_frame(graph, "OFFICIAL", systems), systems_frame(graph, "OFFICIAL")):
        again = with_none(frame)
        for col in frame.columns:
            assert frame[col].dtype == again[col].dtype
            if frame[col].dtype == object:
                assert all(a is b for a, b in zip(frame[col].tolist(), again[col].tolist()))


def test_steps_given_the_shared_codes_give_what_they_give_alone():
    from estate.analyse.duplicates import Coded, implementation_keys
    from estate.analyse.targets import standards_columns
    from estate.settings import Settings
    from estate.standards import load_standards

    rows = _estate() + [dict(dept="DWP", id="t1", instance="x.onmicrosoft.com", **M365),
                        dict(dept="HMRC", id="t2", instance="Tenant A", **M365),
                        dict(dept="MOJ", id="t3", instance=" Tenant A", **M365)]
    frame = systems_frame(make_graph(rows), "OFFICIAL")
    coded = Coded(frame)
    assert implementation_keys(frame, coded).equals(implementation_keys(frame))
    standards, _ = load_standards(Settings().standards)
    pd.testing.assert_frame_equal(standards_columns(frame, standards, coded),
                                  standards_columns(frame, standards))


def test_member_rows_carried_from_the_constraints_are_their_keys_rows():
    from estate.analyse.clusters import Candidate, apply_constraints
    from estate.settings import Settings

    rows = [dict(dept="DWP", id=f"S{i}", classification=c, **M365)
            for i, c in enumerate(["OFFICIAL", "SECRET", "OFFICIAL", None, "SECRET"])]
    frame = systems_frame(make_graph(rows), "OFFICIAL")
    keys = sorted(frame.index)
    parts = apply_constraints(Candidate("collaboration", "Collaboration", keys), frame,
                              Settings(), [])
    assert len(parts) == 2
    for part in parts:
        assert part.rows.tolist() == frame.index.get_indexer(part.keys).tolist()


def test_sorted_codes_from_known_codes_are_those_of_the_rows():
    from estate.analyse.frame import sorted_from_codes

    rnd = random.Random(5)
    distinct = np.array(["b", "a", "é", "zz", "unused", "A", "b:1", "日本"], dtype=object)
    for _ in range(20):
        codes = np.array([rnd.choice([-1, 0, 1, 2, 3, 5, 6, 7]) for _ in range(rnd.randint(0, 30))],
                         dtype=np.int64)
        rows = np.array([None if c < 0 else distinct[c] for c in codes], dtype=object)
        got_codes, got_uniques = sorted_from_codes(codes, distinct)
        want_codes, want_uniques = sorted_codes(rows)
        assert got_codes.tolist() == want_codes.tolist()
        assert got_uniques.tolist() == want_uniques.tolist()
    assert sorted_from_codes(np.array([0, 1]), np.array(["a", 3], dtype=object)) is None


def _messy_estate():
    rows = _estate(60)
    rows += [dict(dept="DWP ", id="sp", instance=" Tenant A", region=" uk", lifecycle="Live ",
                  **M365),
             dict(dept="HMRC", id="sp2", instance="Tenant A ", region="  ", lifecycle=" ",
                  **M365),
             dict(dept="MOJ", id="sp3", instance="", region="EU-west", lifecycle="retiring",
                  product="Salesforce", vendor="Salesforce", capability="CRM")]
    return rows


def test_the_codes_handed_on_by_the_systems_table_are_its_columns_sorted_codes():
    from estate.analyse import _READ_COLUMNS

    rows = _messy_estate()
    graph, systems = make_graph(rows), systems_table(rows)
    known: dict = {}
    frame = systems_frame(graph, "OFFICIAL", systems, columns=list(_READ_COLUMNS),
                          codes=known)
    assert {"department", "instance", "region", "lifecycle", "product_id"} <= set(known)
    from estate.analyse.frame import sorted_from_codes
    for column, (codes, distinct) in known.items():
        got_codes, got_uniques = sorted_from_codes(codes, distinct)
        want_codes, want_uniques = sorted_codes(frame[column].to_numpy(object))
        assert got_codes.tolist() == want_codes.tolist(), column
        assert got_uniques.tolist() == want_uniques.tolist(), column
    plain = systems_frame(graph, "OFFICIAL", systems, columns=list(_READ_COLUMNS))
    pd.testing.assert_frame_equal(frame, plain)


def test_steps_given_known_codes_give_what_they_give_without():
    from estate.analyse import _READ_COLUMNS
    from estate.analyse.clusters import out_of_scope, zone_of
    from estate.analyse.duplicates import Coded, find_duplicates, implementation_keys
    from estate.analyse.frame import map_unique
    from estate.analyse.targets import retiring_mask
    from estate.settings import Constraints, Settings

    rows = _messy_estate() + [dict(dept="DWP", id="b1", name="Case tool", capability="CRM"),
                              dict(dept="HMRC", id="b2", name="Case tool", capability="CRM",
                                   product_id="bespoke:DWP:b1")]
    graph, systems = make_graph(rows), systems_table(rows)
    known: dict = {}
    frame = systems_frame(graph, "OFFICIAL", systems, columns=list(_READ_COLUMNS),
                          codes=known)
    coded, alone = Coded(frame, known), Coded(frame)
    for column in ("department", "region", "lifecycle", "capability_id"):
        assert coded.map(column, repr).equals(map_unique(frame[column], repr))
    for rule in ("zone", "region", "none"):
        constraints = Constraints(region_rule=rule)
        assert zone_of(frame["region"], constraints,
                       lambda fn: coded.map("region", fn)).tolist() == \
            zone_of(frame["region"], constraints).tolist()
    settings = Settings()
    assert retiring_mask(frame, settings, coded.map).equals(retiring_mask(frame, settings))
    assert out_of_scope(frame, settings.constraints, coded.map).equals(
        out_of_scope(frame, settings.constraints))
    impl = implementation_keys(frame, coded)
    assert coded.knows("impl") and impl.equals(implementation_keys(frame, alone))
    assert find_duplicates(frame, impl, coded) == find_duplicates(frame, impl)

    from estate.analyse.duplicates import _capability_groups
    for table in (frame, frame[frame["product_id"] != "bespoke:DWP:b1"]):
        rows, group, ids, counts = _capability_groups(Coded(table))
        with_cap = table[table["capability_id"].notna()]
        key = with_cap["product_id"].where(with_cap["product_id"].notna(),
                                           "bespoke:" + with_cap["system_key"])
        want = key.groupby(with_cap["capability_id"]).nunique()
        want = want[want >= 2]
        assert ids.tolist() == want.index.tolist()
        assert counts.tolist() == want.tolist()


def test_product_keys_and_their_codes_are_the_keys_made_from_the_text():
    from estate.analyse import _product_keys
    from estate.analyse.duplicates import Coded

    rows = _messy_estate() + [dict(dept="DWP", id="b1", name="Case tool", capability="CRM"),
                              dict(dept="HMRC", id="b2", name="Case tool", capability="CRM")]
    frame = systems_frame(make_graph(rows), "OFFICIAL")
    for table in (frame, frame.assign(product_id=frame["product_id"].where(
            frame["system_id"] != "sp3", "sys:DWP:b1"))):  # a product named like a key
        keys, codes, distinct = _product_keys(table, Coded(table))
        expected = table["product_id"].fillna("sys:" + table["system_key"])
        assert keys.tolist() == expected.tolist() == distinct[codes].tolist()
        assert pd.factorize(codes)[0].tolist() == pd.factorize(expected)[0].tolist()


def test_first_known_value_of_each_group_is_pandas_first():
    from estate.analyse.duplicates import first_known

    rnd = random.Random(11)
    for _ in range(30):
        n, k = rnd.randint(0, 40), rnd.randint(1, 6)
        group = np.array([rnd.randrange(k) for _ in range(n)], dtype=np.int64)
        values = np.array([rnd.choice([None, float("nan"), "a", "b", "c"]) for _ in range(n)],
                          dtype=object)
        want = pd.Series(values, dtype=object).groupby(group).first()
        got = first_known(group, k, values)
        assert got == [want.get(g) if g in want.index and not pd.isna(want.get(g)) else None
                       for g in range(k)]
