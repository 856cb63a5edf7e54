"""Duplicates and the overall shape of the analysis, on small hand-built estates."""

from __future__ import annotations

import random
from dataclasses import asdict

import pytest
from test_analyse_helpers import AS_OF, M365, make_graph, run

from estate.analyse import Analysis, analyse
from estate.settings import Settings



def dup(analysis: Analysis, id_: str):
    found = [d for d in analysis.duplicates if d.id == id_]
    assert found, f"{id_} not in {[d.id for d in analysis.duplicates]}"
    return found[0]




def test_same_product_across_departments_is_tenant_sprawl():
    a = run([
        dict(dept="DWP", instance="dwp.onmicrosoft.com", cost=100.0, **M365),
        dict(dept="HMRC", instance="hmrc.onmicrosoft.com", cost=50.0, **M365),
        dict(dept="MOJ", **M365),
    ])
    group = dup(a, "dup-product-microsoft-365")
    assert group.kind == "same-product"
    assert group.instances == 3
    assert group.departments == ["DWP", "HMRC", "MOJ"]
    assert [m.key for m in group.members] == ["DWP:S1", "HMRC:S2", "MOJ:S3"]
    assert group.capability == "Collaboration" and group.product == "Microsoft 365"
    assert group.annual_cost == 150.0 and group.cost_known == 2
    assert "3 separate implementations" in group.reason
    assert "2 of 3 members with a known cost" in group.reason


def test_rows_of_one_department_and_instance_are_one_implementation():
    same_instance = run([dict(dept="DWP", instance="prod", **M365),
                         dict(dept="DWP", instance=" PROD", **M365)])
    no_instance = run([dict(dept="DWP", **M365), dict(dept="DWP", **M365)])
    for a in (same_instance, no_instance):
        assert not [d for d in a.duplicates if d.kind == "same-product"]
        assert a.clusters == []


def test_distinct_instances_in_one_department_are_a_duplicate():
    a = run([dict(dept="DWP", instance="tenant-a", **M365),
             dict(dept="DWP", instance="tenant-b", **M365)])
    assert dup(a, "dup-product-microsoft-365").instances == 2


def test_a_tenant_domain_shared_by_departments_is_one_implementation():
    a = run([dict(dept="DWP", instance="gov.onmicrosoft.com", **M365),
             dict(dept="HMRC", instance="gov.onmicrosoft.com", **M365)])
    assert not [d for d in a.duplicates if d.kind == "same-product"]
    # a generic instance name is only unique inside its department
    b = run([dict(dept="DWP", instance="prod", **M365), dict(dept="HMRC", instance="prod", **M365)])
    assert dup(b, "dup-product-microsoft-365").instances == 2


def test_unrecognised_product_group_counts_as_one_product():
    rows = [dict(dept=d, product="Acme Casebook", product_id="unrecognised:acme-casebook",
                 capability="Case management") for d in ("DWP", "HMRC")]
    group = dup(run(rows), "dup-product-unrecognised-acme-casebook")
    assert group.instances == 2 and "unrecognised" in group.reason


def test_same_capability_counts_products_and_each_bespoke_system():
    a = run([
        dict(dept="DWP", product="Salesforce", vendor="Salesforce", capability="CRM"),
        dict(dept="HMRC", product="Salesforce", vendor="Salesforce", capability="CRM"),
        dict(dept="MOJ", product="Dynamics 365", vendor="Microsoft", capability="CRM"),
        dict(dept="HO", name="Contact DB", capability="CRM"),
        dict(dept="HO", name="Contact DB 2", capability="CRM"),
    ])
    group = dup(a, "dup-capability-crm")
    assert group.kind == "same-capability" and group.product is None
    assert group.instances == 4  # Salesforce, Dynamics 365 and two bespoke systems
    assert "2 products (Dynamics 365, Salesforce)" in group.reason
    assert "2 bespoke systems" in group.reason
    assert group.annual_cost is None and "unknown" in group.reason


def test_one_product_alone_is_no_capability_duplicate():
    a = run([dict(dept="DWP", **M365), dict(dept="HMRC", **M365)])
    assert [d.kind for d in a.duplicates] == ["same-product"]


def test_duplicates_record_every_tier_they_span():
    a = run([dict(dept="DWP", **M365), dict(dept="MOD", classification="SECRET", **M365)])
    assert dup(a, "dup-product-microsoft-365").tiers == ["OFFICIAL", "SECRET"]


def test_empty_estate_gives_an_empty_analysis():
    a = analyse(make_graph([dict(dept="DWP", capability="CRM")]), Settings(), as_of=AS_OF)
    assert a.duplicates == [] and a.clusters == [] and a.as_of == "2025-01-01"
    assert [d.disposition for d in a.dispositions] == ["Tolerate"]


ESTATE = [
    dict(dept="DWP", instance="dwp.onmicrosoft.com", users=1000, cost=200_000.0,
         contract_end="2026-03-31", hosting="SaaS", **M365),
    dict(dept="HMRC", instance="hmrc.onmicrosoft.com", users=500, cost=120_000.0,
         contract_end="2025-09-30", hosting="SaaS", integrates=["DWP:S1", "X9"], **M365),
    dict(dept="MOJ", product="Google Workspace", vendor="Google", capability="Collaboration",
         users=300, cost=50_000.0, region="London"),
    dict(dept="MOD", classification="SECRET", users=100, **M365),
    dict(dept="DWP", id="C1", name="Case Tracker", capability="Case management", users=50,
         lifecycle="retiring", domains=["benefit claims"]),
    dict(dept="HMRC", id="C2", name="Case-Tracker", capability="Case management", users=80,
         domains=["Benefit claims"], region="eu-west-2"),
    dict(dept="HO", id="C3", name="Visa casework", capability="Case management",
         classification="OFFICIAL-SENSITIVE", region="uk-south", contract_end="2027-01-01"),
]


def test_same_input_in_any_row_order_gives_the_same_analysis():
    first = asdict(run(ESTATE))
    for seed in range(3):
        rows = list(ESTATE)
        random.Random(seed).shuffle(rows)
        # ids S<n> follow the row order, so keep each row's id fixed
        rows = [dict(r, id=r.get("id", f"S{ESTATE.index(r) + 1}")) for r in rows]
        assert asdict(run(rows)) == first


def test_every_analysed_system_gets_one_disposition():
    a = run(ESTATE)
    keys = [f"{d.department}:{d.system_id}" for d in a.dispositions]
    assert len(keys) == len(ESTATE) == len(set(keys))
    assert {d.disposition for d in a.dispositions} <= {"Tolerate", "Invest", "Migrate",
                                                       "Eliminate"}
    assert all(d.reason for d in a.dispositions)


@pytest.mark.parametrize("field", ["duplicates", "clusters", "blocked_pairs"])
def test_outputs_are_sorted_by_id(field):
    items = getattr(run(ESTATE), field)
    ids = [i["id"] if isinstance(i, dict) else i.id for i in items]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
