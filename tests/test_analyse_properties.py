"""Properties that hold for any estate: checked on generated small estates."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from test_analyse_helpers import make_graph

from estate.analyse import analyse
from estate.settings import Settings

PRODUCTS = [None, "Microsoft 365", "Google Workspace", "Salesforce", "Dynamics 365"]
CAPABILITY = {"Microsoft 365": "Collaboration", "Google Workspace": "Collaboration",
              "Salesforce": "CRM", "Dynamics 365": "CRM"}

system = st.fixed_dictionaries({
    "dept": st.sampled_from(["DWP", "HMRC", "MOJ", "HO"]),
    "product": st.sampled_from(PRODUCTS),
    "bespoke_capability": st.sampled_from(["Collaboration", "CRM", "Case management"]),
    "instance": st.sampled_from([None, "a", "b", "x.onmicrosoft.com"]),
    "classification": st.sampled_from([None, "OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET"]),
    "region": st.sampled_from([None, "London", "us-east-1", "eu-west-1"]),
    "lifecycle": st.sampled_from([None, "live", "invest", "retiring"]),
    "users": st.one_of(st.none(), st.integers(0, 5000)),
    "cost": st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False).map(lambda f: round(f, 2))),
    "contract_end": st.sampled_from([None, "2024-05-01", "2025-03-31", "2026-12-31"]),
    "domains": st.lists(st.sampled_from(["health", "tax", "benefits"]), max_size=2),
})


def to_row(i: int, s: dict) -> dict:
    product = s["product"]
    row = dict(dept=s["dept"], id=f"S{i}", name=f"System {i % 3}", instance=s["instance"],
               classification=s["classification"], region=s["region"],
               lifecycle=s["lifecycle"], users=s["users"], cost=s["cost"],
               contract_end=s["contract_end"], domains=s["domains"])
    if product:
        row.update(product=product, vendor=product.split()[0],
                   capability=CAPABILITY[product])
    else:
        row.update(capability=s["bespoke_capability"])
    return row


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(system, min_size=1, max_size=12))
def test_clusters_respect_every_invariant(systems):
    rows = [to_row(i, s) for i, s in enumerate(systems)]
    a = analyse(make_graph(rows), Settings(), as_of=date(2025, 1, 1))
    seen = set()
    for c in a.clusters:
        keys = [m.key for m in c.members]
        assert len(keys) >= 2 and not seen & set(keys)
        seen |= set(keys)
        assert {m.tier for m in c.members} == {c.tier}
        assert [m.role for m in c.members].count("target") == 1
        assert c.members[0].role == "target" and c.members[0].key == c.target.key
        assert c.members[0].score is not None
        assert all(m.score is None or m.score <= c.members[0].score for m in c.members)
        migrating = [r for r in c.saving_inputs["migrating"]]
        assert len(migrating) == len(c.members) - 1
        if c.annual_saving is None:
            assert c.saving_inputs["missing"]
        else:
            assert abs(c.annual_saving - sum(r["saving"] for r in migrating)) < 0.05
        assert c.one_off_cost == (len(migrating) * 50_000.0
                                  + len(c.integrations_to_repoint) * 15_000.0)
        for m in c.members:
            if m.earliest_date:
                assert m.earliest_date >= "2025-01-01"
    assert len(a.dispositions) == len(rows)
    for d in a.duplicates:
        assert d.instances >= 2 and len(d.members) >= 2
