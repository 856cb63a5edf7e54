"""Regenerate the bundled sample inventories in ``inventories/`` (invented data).

The sample estate is the default input of ``estate analyse`` and the showcase of the tool:
ten invented UK public-sector bodies, each exporting its own column headers and value
habits, with the cases the tool exists for planted on purpose (Microsoft 365 tenant
sprawl, several CRMs, in-house case-management systems, classification tiers that must
not be merged, cross-department data flows, unknown products, bad cells). The planted
cases are listed in ``inventories/README.md`` and asserted in
``tests/test_bundled_inventories.py``.

Curated lists plus a seeded RNG: running this script again writes byte-identical files.

    python benchmarks/make_sample_inventories.py [--out inventories]
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

SEED = 20261127

# --------------------------------------------------------------------------------------
# Row model: canonical values; each department renders them in its own way.
# --------------------------------------------------------------------------------------


@dataclass
class Row:
    system_id: str | None
    name: str
    vendor: str | None = None
    product: str | None = None
    capability: str | None = None
    version: str | None = None
    instance: str | None = None
    hosting: str | None = None          # key of Dept.hosting, or literal text
    region: str | None = None
    users: int | str | None = None
    cost: float | str | None = None     # pounds a year, or literal text
    end: date | str | None = None       # contract end, or literal text
    life: str | None = "live"           # key of Dept.lifecycle, or literal text
    cls: str | None = "O"               # O | OS | S | TS, or literal text
    owner: str | None = None
    refs: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    notes: str | None = None
    department: str | None = None       # only for files with a department column
    planted: bool = False


def R(system_id, name, vendor, product, capability, **kw) -> Row:
    return Row(system_id, name, vendor, product, capability, planted=True, **kw)


# --------------------------------------------------------------------------------------
# Department export formats.
# --------------------------------------------------------------------------------------


def cost_gbp_commas(x: float) -> str:
    return f"£{x:,.0f}"


def cost_gbp_commas_2dp(x: float) -> str:
    return f"£{x:,.2f}"


def cost_plain(x: float) -> str:
    return f"{x:.0f}"


def cost_plain_2dp(x: float) -> str:
    return f"{x:.2f}"


def cost_commas(x: float) -> str:
    return f"{x:,.0f}"


def cost_short(x: float) -> str:
    if x >= 1_000_000:
        return f"£{x / 1_000_000:g}m"
    if x >= 1_000:
        return f"{x / 1_000:g}k"
    return f"{x:g}"


def date_dmy(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def date_iso(d: date) -> str:
    return d.isoformat()


def date_mon_yy(d: date) -> str:
    return d.strftime("%b-%y")


def date_d_mon_yyyy(d: date) -> str:
    return d.strftime("%d-%b-%Y")


@dataclass
class Dept:
    key: str                      # short name used in the curated lists
    file: str
    columns: list[tuple[str, str]]  # (header as exported, canonical field)
    id_format: str
    target: int
    cost_format: object = cost_plain
    date_format: object = date_iso
    list_sep: str = "; "
    classification: dict = field(default_factory=lambda: {
        "O": "OFFICIAL", "OS": "OFFICIAL-SENSITIVE", "S": "SECRET", "TS": "TOP SECRET"})
    lifecycle: dict = field(default_factory=dict)
    hosting: dict = field(default_factory=dict)
    owners: list[str] = field(default_factory=list)
    sort: str = "id"              # id | name | none
    encoding: str = "utf-8"
    lineterminator: str = "\r\n"
    quoting: int = csv.QUOTE_MINIMAL
    blank_rate: float = 0.04      # share of optional cells left empty at random
    department_value: str | None = None  # value of the department column, if any
    ref_name: str = ""            # how other departments write this one in DEPT:ID


HOSTING_STD = {"saas": "SaaS", "azure": "Azure", "aws": "AWS", "onprem": "On-premises",
               "crown": "Crown Hosting", "private": "Private cloud", "gcp": "Google Cloud"}

DEPTS: dict[str, Dept] = {}


def dept(d: Dept) -> Dept:
    DEPTS[d.key] = d
    return d


dept(Dept(
    key="DWP", file="dwp.csv", ref_name="DWP", id_format="DWP-{:04d}", target=112,
    columns=[("App ID", "system_id"), ("Application Name", "name"), ("Supplier", "vendor"),
             ("Product", "product"), ("Version", "version"),
             ("Business Capability", "capability"), ("Tenant", "instance"),
             ("Hosting", "hosting"), ("No. of users", "users"),
             ("Annual Cost (£)", "annual_cost"), ("Contract End", "contract_end"),
             ("Lifecycle", "lifecycle"), ("Security Classification", "classification"),
             ("Business Owner", "owner"), ("Interfaces", "integrates_with"),
             ("Data held", "data_domains"), ("Notes", "notes")],
    cost_format=cost_gbp_commas, date_format=date_dmy,
    lifecycle={"live": "Live", "invest": "Invest", "retiring": "Retiring",
               "decommissioning": "Decommissioning", "development": "Pilot",
               "tolerate": "Live"},
    hosting={"saas": "SaaS", "azure": "Azure", "aws": "AWS (public cloud)",
             "onprem": "On-premise", "crown": "Crown Hosting", "private": "Private cloud",
             "gcp": "GCP"},
    owners=["Director, Digital Workplace", "Head of Service Management",
            "Chief Data Officer", "Finance Director", "HR Director",
            "Head of Cyber Security", "Service Owner - Universal Credit",
            "Service Owner - Retirement Services", "Service Owner - Working Age",
            "Head of Fraud & Error", "Chief Architect"],
))

dept(Dept(
    key="HMRC", file="hmrc.csv", ref_name="HMRC", id_format="APP-{:d}", target=128,
    columns=[("APP_REF", "system_id"), ("APP_NAME", "name"), ("VENDOR", "vendor"),
             ("PRODUCT_NAME", "product"), ("PRODUCT_VERSION", "version"),
             ("CAPABILITY", "capability"), ("INSTANCE", "instance"),
             ("HOSTING_MODEL", "hosting"), ("REGION", "region"), ("USER_COUNT", "users"),
             ("COST_GBP", "annual_cost"), ("CONTRACT_EXPIRY", "contract_end"),
             ("STATUS", "lifecycle"), ("GSC_MARKING", "classification"), ("SRO", "owner"),
             ("DATA_FLOWS_TO", "integrates_with"), ("DATA_DOMAINS", "data_domains")],
    cost_format=cost_plain_2dp, date_format=date_iso, list_sep=";",
    lifecycle={"live": "LIVE", "invest": "LIVE", "retiring": "SUNSET",
               "decommissioning": "DECOMMISSIONING", "development": "DEV",
               "tolerate": "LIVE"},
    hosting={"saas": "SAAS", "azure": "PUBLIC_CLOUD_AZURE", "aws": "PUBLIC_CLOUD_AWS",
             "onprem": "ON_PREM", "crown": "CROWN_HOSTING", "private": "PRIVATE_CLOUD",
             "gcp": "PUBLIC_CLOUD_GCP"},
    owners=["Chief Digital & Information Officer", "Director Customer Services",
            "Director Customer Compliance", "Chief Finance Officer", "Chief People Officer",
            "Director Digital Security", "Director Child Benefit & Tax Credits",
            "Director PAYE", "Director Customs", "Chief Data Officer"],
    quoting=csv.QUOTE_ALL, lineterminator="\n",
))

dept(Dept(
    key="HO", file="home-office.csv", ref_name="Home Office", id_format="HO-{:d}", target=106,
    columns=[("Ref", "system_id"), ("System name", "name"), ("Manufacturer", "vendor"),
             ("Product", "product"), ("Function", "capability"), ("Tenancy", "instance"),
             ("Hosted", "hosting"), ("Users", "users"), ("Licence cost p.a.", "annual_cost"),
             ("Renewal date", "contract_end"), ("Status", "lifecycle"),
             ("Protective marking", "classification"), ("Owner", "owner"),
             ("Integrates With", "integrates_with"), ("Data domains", "data_domains"),
             ("Comments", "notes")],
    cost_format=cost_short, date_format=date_mon_yy, list_sep=", ",
    classification={"O": "Official", "OS": "Official Sensitive", "S": "Secret",
                    "TS": "Top Secret"},
    lifecycle={"live": "In service", "invest": "In service", "retiring": "Being replaced",
               "decommissioning": "Decommissioning", "development": "Development",
               "tolerate": "In service"},
    hosting={"saas": "SaaS", "azure": "Azure (UK South)", "aws": "AWS London",
             "onprem": "HO data centre", "crown": "Crown Hosting", "private": "Private cloud",
             "gcp": "Google Cloud"},
    owners=["DG Migration & Borders", "Border Force Digital", "HMPO Digital",
            "Chief Digital, Data & Technology Officer", "Finance Director",
            "HR Director", "Head of Cyber Security", "Homeland Security Group",
            "Immigration Enforcement"],
    sort="name",
))

dept(Dept(
    key="NHSE", file="nhs-england.csv", ref_name="NHS England", id_format="NHSE-{:03d}",
    target=92,
    columns=[("ID", "system_id"), ("Service", "name"), ("Vendor", "vendor"),
             ("Product / Platform", "product"), ("Version", "version"),
             ("Capability", "capability"), ("Instance", "instance"), ("Hosting", "hosting"),
             ("Region", "region"), ("User count", "users"), ("Annual cost", "annual_cost"),
             ("Contract end date", "contract_end"), ("Lifecycle stage", "lifecycle"),
             ("Classification", "classification"),
             ("Information Asset Owner", "owner"), ("Integrates with", "integrates_with"),
             ("Data domains", "data_domains")],
    cost_format=cost_gbp_commas_2dp, date_format=date_iso, encoding="utf-8-sig",
    classification={"O": "OFFICIAL", "OS": "OFFICIAL SENSITIVE", "S": "SECRET",
                    "TS": "TOP SECRET"},
    lifecycle={"live": "Operational", "invest": "Operational", "retiring": "Retiring",
               "decommissioning": "Decommissioning", "development": "Planned",
               "tolerate": "Operational"},
    hosting={"saas": "SaaS", "azure": "Azure", "aws": "AWS", "onprem": "On premise",
             "crown": "Crown Hosting", "private": "Private cloud", "gcp": "GCP"},
    owners=["Director of Data & Analytics", "Director of Platforms",
            "Chief Financial Officer", "Chief People Officer", "CISO",
            "Director of Transformation", "Head of Corporate IT"],
))

dept(Dept(
    key="MOJ", file="moj.csv", ref_name="MOJ", id_format="MOJ-{:03d}", target=86,
    columns=[("System ID", "system_id"), ("System Name", "name"), ("Vendor", "vendor"),
             ("Product", "product"), ("Capability", "capability"), ("Tenant ID", "instance"),
             ("Hosting Model", "hosting"), ("Users", "users"), ("Cost GBP", "annual_cost"),
             ("Contract expiry", "contract_end"), ("Status", "lifecycle"),
             ("GSC marking", "classification"), ("SRO", "owner"),
             ("Data flows to", "integrates_with"), ("Data held", "data_domains"),
             ("Notes", "notes")],
    cost_format=cost_commas, date_format=date_dmy,
    classification={"O": "OFFICIAL", "OS": "OFFICIAL-SENSITIVE", "S": "SECRET",
                    "TS": "TOP SECRET"},
    lifecycle={"live": "Tolerate", "invest": "Invest", "retiring": "Migrate",
               "decommissioning": "Eliminate", "development": "Invest",
               "tolerate": "Tolerate"},
    hosting={"saas": "SaaS", "azure": "Azure", "aws": "AWS", "onprem": "On-prem",
             "crown": "Crown Hosting", "private": "Private cloud", "gcp": "GCP"},
    owners=["HMPPS Digital", "HMCTS Digital", "Legal Aid Agency", "Group Finance",
            "Group HR", "MoJ Cyber", "Justice Digital", "OPG Digital"],
))

dept(Dept(
    key="DFE", file="dfe.csv", ref_name="DfE", id_format="DFE-{:02d}", target=50,
    columns=[("Ref", "system_id"), ("Service", "name"), ("Supplier", "vendor"),
             ("Product", "product"), ("What it does", "capability"),
             ("No. users", "users"), ("Hosted", "hosting"), ("Status", "lifecycle"),
             ("Contact", "owner"), ("Notes", "notes")],
    lifecycle={"live": "Live", "invest": "Live", "retiring": "Retiring",
               "decommissioning": "Retiring", "development": "Beta", "tolerate": "Live"},
    hosting={"saas": "SaaS", "azure": "Azure", "aws": "AWS", "onprem": "On prem",
             "crown": "", "private": "", "gcp": "GCP"},
    owners=["Digital team", "Finance", "HR", "Teaching Regulation", "Funding Policy",
            "Skills Group", "Schools Group"],
    blank_rate=0.12, lineterminator="\n",
))

dept(Dept(
    key="CO", file="cabinet-office.csv", ref_name="Cabinet Office", id_format="CO-APP-{:03d}",
    target=56,
    columns=[("Application", "name"), ("Vendor", "vendor"), ("Product", "product"),
             ("Version", "version"), ("Capability", "capability"), ("Instance", "instance"),
             ("Hosting", "hosting"), ("Users", "users"), ("Annual Cost (£)", "annual_cost"),
             ("Renewal date", "contract_end"), ("Lifecycle", "lifecycle"),
             ("Classification", "classification"), ("Owner", "owner"),
             ("Interfaces", "integrates_with"), ("Data held", "data_domains"),
             ("ID", "system_id")],
    cost_format=cost_gbp_commas, date_format=date_iso,
    lifecycle={"live": "live", "invest": "invest", "retiring": "retiring",
               "decommissioning": "decommissioning", "development": "development",
               "tolerate": "live"},
    hosting=HOSTING_STD,
    owners=["Government Digital Service", "Civil Service HR", "Finance Director",
            "Government Security Group", "Crown Commercial Service", "Cabinet Secretariat",
            "Propriety & Ethics"],
    sort="name",
))

TRANSPORT_COLUMNS = [
    ("Department", "department"), ("Asset Ref", "system_id"),
    ("Application Name", "name"), ("Vendor Name", "vendor"), ("Product Name", "product"),
    ("Business Function", "capability"), ("Tenant", "instance"), ("Deployment", "hosting"),
    ("Number of Users", "users"), ("Annual Cost", "annual_cost"),
    ("End of Contract", "contract_end"), ("Lifecycle Status", "lifecycle"),
    ("Security Marking", "classification"), ("Information Asset Owner", "owner"),
    ("Connected Systems", "integrates_with"), ("Data Categories", "data_domains")]
TRANSPORT_FORMAT = dict(
    columns=TRANSPORT_COLUMNS, file="transport.csv", cost_format=cost_plain_2dp,
    date_format=date_d_mon_yyyy, list_sep="; ",
    classification={"O": "Official", "OS": "Official - Sensitive", "S": "Secret",
                    "TS": "Top Secret"},
    lifecycle={"live": "Production", "invest": "Production", "retiring": "End of life",
               "decommissioning": "Decommissioning", "development": "Development",
               "tolerate": "Production"},
    hosting={"saas": "SaaS", "azure": "Azure", "aws": "AWS", "onprem": "On-premises",
             "crown": "Crown Hosting", "private": "Private cloud", "gcp": "GCP"},
)
dept(Dept(key="DFT", ref_name="DfT", id_format="DFT-{:03d}", target=46,
          department_value="DfT",
          owners=["DfT Digital Services", "Roads & Local Group", "Rail Group",
                  "Maritime & Security", "Group Finance", "Group HR"],
          **TRANSPORT_FORMAT))
dept(Dept(key="DVLA", ref_name="DVLA", id_format="DVLA-{:03d}", target=64,
          department_value="DVLA",
          owners=["Head of Drivers Digital", "Head of Vehicles Digital",
                  "Contact Centre Director", "Finance Director", "HR Director",
                  "Head of Cyber Security", "Chief Technology Officer"],
          **TRANSPORT_FORMAT))

dept(Dept(
    key="NCC", file="northshire-county-council.csv", ref_name="Northshire County Council",
    id_format="NCC-{:04d}", target=60,
    columns=[("ID", "system_id"), ("Application", "name"), ("Supplier", "vendor"),
             ("Product", "product"), ("Service Area", "capability"), ("Users", "users"),
             ("Annual Cost", "annual_cost"), ("Contract End", "contract_end"),
             ("Hosting", "hosting"), ("Status", "lifecycle"), ("Integrations", "integrates_with"),
             ("Notes", "notes")],
    cost_format=cost_plain, date_format=date_mon_yy,
    lifecycle={"live": "Active", "invest": "Active", "retiring": "Replacing",
               "decommissioning": "Replacing", "development": "Project", "tolerate": "Active"},
    hosting={"saas": "Cloud (SaaS)", "azure": "Azure", "aws": "AWS", "onprem": "On site",
             "crown": "Hosted", "private": "Hosted", "gcp": "Cloud"},
    owners=["ICT", "Adults Services", "Children's Services", "Highways", "Finance",
            "HR", "Planning", "Customer Services", "Waste & Environment"],
    sort="none", blank_rate=0.08, lineterminator="\n",
))


# --------------------------------------------------------------------------------------
# Planted cases (documented in inventories/README.md, asserted in the tests).
# --------------------------------------------------------------------------------------

D = date
PLANTED: dict[str, list[Row]] = {
    "DWP": [
        R("DWP-0001", "Microsoft 365", "Microsoft", "Microsoft 365 E5",
          "Productivity and collaboration", instance="dwp.onmicrosoft.com", hosting="saas",
          users=92000, cost=14_200_000, end=D(2027, 3, 31), owner="Director, Digital Workplace",
          domains=["Personal data", "Email"], notes="Enterprise Agreement; main DWP tenant"),
        R("DWP-0002", "Microsoft Teams", "Microsoft", "Microsoft Teams", "Collaboration",
          instance="dwp.onmicrosoft.com", hosting="saas", users=92000,
          cost="Included in EA", end=D(2027, 3, 31), owner="Director, Digital Workplace",
          notes="Part of the main M365 tenant (DWP-0001), listed separately"),
        R("DWP-0003", "MS O365 (Child Maintenance)", "Microsoft", "Office 365 E3",
          "Email & Collaboration", instance="cmsdwp.onmicrosoft.com", hosting="saas",
          users=4200, cost=1_150_000, end=D(2026, 6, 30), life="retiring",
          owner="Service Owner - Working Age",
          notes="Legacy tenant inherited from Child Maintenance Group; merge into main tenant not started"),
        R("DWP-0010", "Customer Contact CRM", "Salesforce", "Salesforce Service Cloud",
          "Customer relationship management", instance="dwp-cx.my.salesforce.com",
          hosting="saas", users=18500, cost=3_400_000, end=D(2028, 1, 31), cls="OS",
          owner="Service Owner - Universal Credit", refs=["DWP-0042"],
          domains=["Personal data", "Contact history"]),
        R("DWP-0015", "Resource Management (ERP)", "SAP", "SAP S/4HANA", "Finance",
          version="2021", hosting="crown", users=3100, cost=5_600_000, end=D(2029, 3, 31),
          owner="Finance Director", refs=["DWP-0016"], domains=["Financial", "Supplier data"]),
        R("DWP-0016", "HR & Payroll", "Oracle", "Oracle HCM Cloud", "HR & Payroll",
          hosting="saas", users=88000, cost=4_100_000, end=D(2028, 9, 30), cls="OS",
          owner="HR Director", domains=["HR records", "Payroll"]),
        R("DWP-0020", "Identity (Azure AD)", "Microsoft", "Azure AD", "Identity",
          instance="dwp.onmicrosoft.com", hosting="saas", users=92000,
          cost="Included in EA", end=D(2027, 3, 31), owner="Head of Cyber Security",
          refs=["DWP-0001"]),
        R("DWP-0042", "Claims Case Tracker", "In-house", "Bespoke", "Case management",
          hosting="aws", users=21000, cost=2_250_000, end=D(2027, 12, 31), cls="OS",
          owner="Service Owner - Working Age", refs=["DWP-0050"],
          domains=["Benefit claims", "Personal data"],
          notes="Built 2014; tracks claims casework across working-age benefits"),
        R("DWP-0050", "Customer Information System (CIS)", "In-house", "Bespoke (COBOL/DB2)",
          "Citizen master data", hosting="crown", users=60000, cost=7_800_000,
          end=D(2027, 3, 31), cls="OS", owner="Chief Data Officer",
          refs=["HMRC:APP-1060", "Home Office:HO-150"],
          domains=["Birth records", "Personal data", "National Insurance"],
          notes="Receives birth and death registrations from GRO"),
        R("DWP-0060", "Kestrel Rostering Suite", "Kestrel Systems Ltd", "Kestrel Rostering Suite",
          "Workforce rostering", hosting="onprem", users=2400, cost=96_000,
          end=D(2027, 7, 31), owner="Service Owner - Working Age"),
        R("DWP-0061", "Fraud Referral & Intervention (FRAIMS)", "Oracle", "Siebel CRM 8.1",
          "Fraud investigation", hosting="crown", users=4800, cost=1_300_000,
          end=D(2025, 3, 31), life="retiring", cls="OS", owner="Head of Fraud & Error",
          refs=["DWP-0050", "DWP-0062"], domains=["Fraud referrals", "Personal data"],
          notes="Extended support only; contract lapsed, rolling month-to-month"),
        R("DWP-0062", "Fraud Analytics (i2)", "IBM", "i2 Analyst's Notebook 9",
          "Intelligence analysis", hosting="onprem", users=350, cost=210_000,
          end=D(2027, 10, 31), cls="OS", owner="Head of Fraud & Error",
          domains=["Fraud referrals"]),
        R("DWP-0070", "Legacy Benefit Payments (LBPS)", "Fujitsu", "Bespoke",
          "Benefit payments", hosting="crown", users=900, cost=2_900_000, end=D(2025, 3, 31),
          life="decommissioning", cls="OS", owner="Service Owner - Retirement Services",
          refs=["DWP-0050"], domains=["Payments", "Bank details"],
          notes="Replaced by the Payments Engine; switch-off planned"),
        R("DWP-0071", "Splunk (SOC)", "Splunk", "Splunk Enterprise", "SIEM",
          version="9.1", hosting="aws", users=120, cost=1_450_000, end=D(2027, 5, 31),
          owner="Head of Cyber Security"),
    ],
    "HMRC": [
        R("APP-1001", "Microsoft 365 E5 tenant", "MICROSOFT", "Microsoft 365 E5",
          "Productivity suite", instance="hmrc.onmicrosoft.com", hosting="saas",
          region="UK South", users=66000, cost=11_900_000, end=D(2027, 6, 30),
          owner="Chief Digital & Information Officer", domains=["Email", "Personal data"]),
        R("APP-1002", "M365 Dev/Test tenant", "MICROSOFT", "Microsoft 365 E3",
          "Productivity suite", instance="hmrcdev.onmicrosoft.com", hosting="saas",
          region="UK South", users=420, cost=96_000, end=D(2027, 6, 30), life="development",
          owner="Chief Digital & Information Officer"),
        R("APP-1010", "Customer Engagement Platform", "MICROSOFT",
          "Dynamics 365 Customer Engagement", "CRM", hosting="saas", region="UK South",
          users=14000, cost=2_600_000, end=D(2028, 3, 31), cls="OS",
          owner="Director Customer Services", refs=["APP-1042"],
          domains=["Personal data", "Contact history"]),
        R("APP-1015", "Finance ERP (SAP)", "SAP", "SAP ECC 6.0", "Finance & ERP",
          version="EHP8", hosting="crown", region="Crown Hosting Corsham", users=2600,
          cost=4_900_000, end=D(2027, 12, 31), owner="Chief Finance Officer",
          refs=["APP-1016"], domains=["Financial"]),
        R("APP-1016", "People Services", "SAP", "SAP SuccessFactors", "HR / Payroll",
          hosting="saas", region="EU (Amsterdam)", users=66000, cost=3_200_000,
          end=D(2028, 3, 31), cls="OS", owner="Chief People Officer",
          domains=["HR records", "Payroll"]),
        R("APP-1020", "Entra ID", "MICROSOFT", "Microsoft Entra ID", "Identity & Access",
          instance="hmrc.onmicrosoft.com", hosting="saas", region="UK South", users=66000,
          cost=0, end=D(2027, 6, 30), owner="Director Digital Security"),
        R("APP-1042", "Compliance Casework Manager", "In-house", "Bespoke .NET",
          "Case Management", hosting="azure", region="UK South", users=9800,
          cost=1_750_000, end=D(2027, 3, 31), cls="OS",
          owner="Director Customer Compliance", domains=["Tax records", "Personal data"]),
        R("APP-1050", "Child Benefit Computer System", "In-house", "Bespoke",
          "Benefit entitlement", hosting="crown", region="Crown Hosting Farnborough",
          users=3100, cost=2_400_000, end=D(2027, 3, 31), cls="OS",
          owner="Director Child Benefit & Tax Credits", refs=["DWP:DWP-0050"],
          domains=["Birth records", "Child benefit", "Personal data"]),
        R("APP-1060", "PAYE Real Time Information", "In-house", "Bespoke (Java)",
          "PAYE", hosting="aws", region="eu-west-2", users=5200, cost=6_300_000,
          end=D(2028, 3, 31), cls="OS", owner="Director PAYE",
          refs=["DWP:DWP-0050", "DfE:DFE-21"], domains=["Tax records", "Payroll"]),
        R("APP-1070", "Risk & Intelligence Service", "In-house", "Bespoke",
          "Intelligence analysis", hosting="onprem", region="Secure DC", users=260,
          cost=3_100_000, end=D(2028, 3, 31), cls="S", owner="Director Customer Compliance",
          domains=["Tax records", "Intelligence"]),
        R("APP-1071", "i2 Analyst's Notebook (Secret)", "IBM", "IBM i2 Analyst's Notebook",
          "Intelligence analysis", version="9.4", hosting="onprem", region="Secure DC",
          users=140, cost=85_000, end=D(2027, 9, 30), cls="S",
          owner="Director Customer Compliance", refs=["APP-1070"],
          domains=["Intelligence"]),
        R("APP-1080", "Self Assessment Legacy (SA)", "Capgemini", "Bespoke (COBOL)",
          "Self Assessment", hosting="crown", region="Crown Hosting Corsham", users=4100,
          cost=3_800_000, end=D(2024, 3, 31), life="decommissioning", cls="OS",
          owner="Chief Digital & Information Officer", refs=["APP-1060"],
          domains=["Tax records"]),
        R("APP-1090", "Trader Forms", "QuickForms Ltd", "QuickForms Pro 2003",
          "Online forms", hosting="onprem", region="London DC", users=60, cost=4_500,
          end=D(2025, 12, 31), owner="Director Customs"),
        R("APP-1091", "Splunk Cloud (SOC)", "Splunk", "Splunk Cloud", "Security monitoring",
          hosting="saas", region="eu-west-2", users=150, cost=1_650_000, end=D(2028, 1, 31),
          owner="Director Digital Security"),
    ],
    "HO": [
        R("HO-101", "Office365", "Microsoft", "Office 365", "Email & collaboration",
          instance="homeoffice.onmicrosoft.com", hosting="saas", users=48000,
          cost=8_900_000, end=D(2027, 3, 31), owner="Chief Digital, Data & Technology Officer",
          domains=["Email", "Personal data"]),
        R("HO-110", "Visa Customer Enquiries", "Salesforce", "Salesforce.com Service Cloud",
          "Customer management", instance="ukvi-enquiries.my.salesforce.com",
          hosting="saas", users=2300, cost=950_000, end=D(2027, 8, 31), cls="OS",
          owner="DG Migration & Borders", refs=["HO-150"],
          domains=["Immigration status", "Contact history"]),
        R("HO-115", "Finance (Oracle EBS)", "Oracle", "Oracle E-Business Suite R12.2",
          "Financial management", hosting="crown", users=1900, cost=2_700_000,
          end=D(2026, 9, 30), life="retiring", owner="Finance Director",
          refs=["HO-116"], domains=["Financial"]),
        R("HO-116", "HR (SAP HCM)", "SAP", "SAP ERP HCM", "HR", hosting="crown", users=41000,
          cost=2_100_000, end=D(2027, 3, 31), cls="OS", owner="HR Director",
          domains=["HR records", "Payroll"]),
        R("HO-120", "Okta Workforce Identity", "Okta", "Okta Workforce Identity Cloud",
          "Identity & access", hosting="saas", users=52000, cost=1_200_000,
          end=D(2028, 2, 28), owner="Head of Cyber Security"),
        R("HO-142", "Casework Manager", "In-house", "Bespoke", "Case management",
          hosting="aws", users=6400, cost=1_850_000, end=D(2027, 3, 31), cls="OS",
          owner="DG Migration & Borders", refs=["HO-150", "HO-110"],
          domains=["Immigration status", "Personal data"]),
        R("HO-143", "Counter-Terrorism Casework", "In-house", "Bespoke", "Case management",
          hosting="onprem", users=380, cost=1_400_000, end=D(2028, 3, 31), cls="S",
          owner="Homeland Security Group", refs=["HO-300"],
          domains=["Intelligence", "Personal data"],
          notes="Accredited at SECRET; separate network"),
        R("HO-150", "Immigration Status Platform", "In-house", "Pega Platform",
          "Immigration decisions", hosting="aws", users=9500, cost=4_800_000,
          end=D(2028, 6, 30), life="invest", cls="OS", owner="DG Migration & Borders",
          refs=["HMRC:APP-1060", "DWP:DWP-0050", "HO-230"],
          domains=["Immigration status", "Biometrics", "Birth records"]),
        R("HO-220", "Registration Online (GRO)", "In-house", "Bespoke",
          "Civil registration", hosting="crown", users=3800, cost=1_100_000,
          end=D(2027, 3, 31), cls="OS", owner="HMPO Digital",
          refs=["HMRC:APP-1050", "DWP:DWP-0050", "HO-230"],
          domains=["Birth records", "Death records", "Personal data"],
          notes="Receives birth notifications from NHS England (NHSE-030)"),
        R("HO-230", "Passport Application System", "In-house", "Bespoke (Java)",
          "Passport issuing", hosting="aws", users=4600, cost=5_200_000, end=D(2028, 3, 31),
          cls="OS", owner="HMPO Digital", refs=["DVLA:DVLA-040"],
          domains=["Passport records", "Biometrics", "Birth records"]),
        R("HO-300", "Strategic Intelligence Platform", "In-house", "Bespoke",
          "Intelligence analysis", hosting="onprem", users=120, cost=6_500_000,
          end=D(2029, 3, 31), cls="TS", owner="Homeland Security Group",
          domains=["Intelligence"], notes="TOP SECRET enclave; not to be connected"),
        R("HO-301", "i2 Analyst's Notebook (Secret)", "IBM", "i2 Analysts Notebook",
          "Intelligence analysis", hosting="onprem", users=210, cost=120_000,
          end=D(2027, 9, 30), cls="S", owner="Homeland Security Group", refs=["HO-143"],
          domains=["Intelligence"]),
        R("HO-310", "Secret Collaboration (SharePoint)", "Microsoft", "SharePoint Server 2019",
          "Collaboration", hosting="onprem", users=900, cost=180_000, end=D(2027, 3, 31),
          cls="S", owner="Homeland Security Group"),
        R("HO-199", "Evidence Vault", "Tellurian Ltd", "Tellurian DocuVault",
          "Digital evidence", hosting="onprem", users=700, cost=64_000, end=D(2026, 3, 31),
          cls="OS", owner="Immigration Enforcement",
          notes="Supplier may have ceased trading"),
        R("HO-198", "Legacy Warrant Index", "In-house", "Lotus Notes 8.5",
          "Warrant records", hosting="onprem", users=150, cost=38_000, end=D(2024, 9, 30),
          life="decommissioning", cls="S", owner="Homeland Security Group"),
    ],
    "NHSE": [
        R("NHSE-001", "M365", "Microsoft", "Microsoft 365", "Productivity",
          version="E3", instance="nhsengland.onmicrosoft.com", hosting="saas",
          region="UK", users=16000, cost=2_900_000, end=D(2027, 3, 31),
          owner="Head of Corporate IT", domains=["Email"]),
        R("NHSE-010", "Stakeholder CRM", "Microsoft", "Dynamics CRM 2016",
          "Stakeholder management", hosting="onprem", region="UK", users=800,
          cost=240_000, end=D(2025, 6, 30), life="retiring",
          owner="Director of Transformation", domains=["Contact history"]),
        R("NHSE-015", "Integrated Single Financial Environment", "Oracle",
          "Oracle E-Business Suite", "Finance", version="12.2", hosting="private",
          region="UK", users=7800, cost=6_100_000, end=D(2028, 3, 31),
          owner="Chief Financial Officer", domains=["Financial"]),
        R("NHSE-016", "Electronic Staff Record", "IBM", "Oracle E-Business Suite HRMS",
          "Payroll", hosting="private", region="UK", users=16000, cost=3_900_000,
          end=D(2028, 8, 31), cls="OS", owner="Chief People Officer",
          domains=["HR records", "Payroll"]),
        R("NHSE-020", "PingFederate SSO", "Ping Identity", "PingFederate", "Single sign-on",
          version="11", hosting="azure", region="UK South", users=16000, cost=310_000,
          end=D(2027, 11, 30), owner="CISO"),
        R("NHSE-030", "Birth Notification Service", "In-house", "Bespoke",
          "Birth notification", hosting="azure", region="UK South", users=12000,
          cost=850_000, end=D(2027, 3, 31), cls="OS", owner="Director of Platforms",
          refs=["NHSE-031", "Home Office:HO-220"],
          domains=["Birth records", "Health records"]),
        R("NHSE-031", "Personal Demographics Service", "In-house", "Bespoke",
          "Demographics", hosting="aws", region="eu-west-2", users=250000,
          cost=2_300_000, end=D(2028, 3, 31), cls="OS", owner="Director of Platforms",
          refs=["HMRC:APP-1050", "DWP:DWP-0050"],
          domains=["Demographics", "Birth records", "Health records"]),
        R("NHSE-042", "Complaints Casework Tool", "In-house", "Bespoke", "Casework",
          hosting="azure", region="UK South", users=300, cost=140_000, end=D(2027, 3, 31),
          cls="OS", owner="Director of Transformation",
          domains=["Complaints", "Personal data"]),
        R("NHSE-050", "Estates Manager", "Heronsgate Software", "Heronsgate Estates Manager",
          "Estates management", hosting="onprem", region="UK", users=90, cost=27_500,
          end=D(2026, 1, 31), owner="Head of Corporate IT"),
    ],
    "MOJ": [
        R("MOJ-001", "O365 E3", "Microsoft", "O365 E3", "Office productivity",
          instance="justice.onmicrosoft.com", hosting="saas", users=71000,
          cost=9_600_000, end=D(2027, 3, 31), owner="Justice Digital",
          domains=["Email", "Personal data"]),
        R("MOJ-015", "Financial Management (Oracle Fusion)", "Oracle",
          "Oracle Fusion Cloud ERP", "Financial management", hosting="saas", users=3500,
          cost=3_300_000, end=D(2029, 3, 31), life="invest", owner="Group Finance",
          refs=["MOJ-016"], domains=["Financial"]),
        R("MOJ-016", "HR & Payroll (iTrent)", "MHR", "iTrent", "HR and Payroll",
          hosting="saas", users=76000, cost=1_900_000, end=D(2027, 10, 31), cls="OS",
          owner="Group HR", domains=["HR records", "Payroll"]),
        R("MOJ-020", "Active Directory (on-prem)", "Microsoft",
          "Active Directory Domain Services", "Directory services", version="2016",
          hosting="onprem", users=71000, cost=0, end="n/a", owner="MoJ Cyber"),
        R("MOJ-042", "CMS (bespoke)", "In-house", "Custom build", "Case management",
          hosting="aws", users=5300, cost=1_200_000, end=D(2027, 3, 31), cls="OS",
          owner="HMCTS Digital", refs=["MOJ-050"],
          domains=["Court records", "Personal data"]),
        R("MOJ-050", "Court Results Register", "In-house", "Bespoke", "Court results",
          hosting="aws", users=7200, cost=1_650_000, end=D(2028, 3, 31), cls="OS",
          owner="HMCTS Digital", refs=["DVLA:DVLA-050", "Home Office:HO-150"],
          domains=["Court records", "Criminal records"]),
        R("MOJ-060", "Offender Analysis (i2)", "IBM", "i2 Analyst's Notebook",
          "Intelligence analysis", hosting="onprem", users=180, cost=70_000,
          end=D(2027, 2, 28), cls="OS", owner="HMPPS Digital",
          domains=["Criminal records"]),
        R("MOJ-070", "Prison Staff Rostering", "Kestrel Systems Ltd",
          "Kestrel Rostering Suite v2", "Workforce rostering", hosting="onprem",
          users=9000, cost=240_000, end=D(2026, 3, 31), owner="HMPPS Digital",
          notes="Same supplier as DWP's rostering tool"),
        R("MOJ-080", "Prisoner Property Tracker", "In-house", "MS Access", "Prisoner property",
          hosting="onprem", users=600, cost=0, end=D(2024, 12, 31), life="decommissioning",
          cls="OS", owner="HMPPS Digital"),
        R("MOJ-090", "Legal Document Sharing", "Microsoft", "SharePoint Server 2016",
          "Document management", hosting="onprem", users=2500, cost=95_000,
          end=D(2026, 3, 31), life="retiring", owner="Legal Aid Agency"),
        R("MOJ-095", "Prison Intelligence System", "In-house", "Bespoke",
          "Intelligence analysis", hosting="onprem", users=1100, cost=2_100_000,
          end=D(2028, 3, 31), cls="S", owner="HMPPS Digital", refs=["MOJ-060"],
          domains=["Intelligence", "Criminal records"]),
    ],
    "DFE": [
        R("DFE-01", "Microsoft Office 365", "Microsoft", "Office 365", "Email", hosting="saas",
          users=8000, cls=None, owner="Digital team",
          notes="Tenant education.onmicrosoft.com"),
        R("DFE-05", "Stakeholder CRM", "HubSpot", "HubSpot CRM", "CRM", hosting="saas",
          users=400, cls=None, owner="Schools Group"),
        R("DFE-06", "Finance system", "Unit4", "Unit4 ERP", "Finance", hosting="saas",
          users=600, cls=None, owner="Finance"),
        R("DFE-07", "HR system", "Workday", "Workday HCM", "HR", hosting="saas",
          users=8000, cls=None, owner="HR"),
        R("DFE-08", "Azure Active Directory", "Microsoft", "Azure Active Directory", "Identity",
          hosting="saas", users=8000, cls=None, owner="Digital team"),
        R("DFE-12", "Casework System", "In-house", None, "Case management", hosting="azure",
          users=250, cls=None, owner="Teaching Regulation",
          notes="Teacher misconduct casework"),
        R("DFE-21", "Student Finance Repayments Feed", "In-house", "Bespoke",
          "Student loan repayments", hosting="azure", users=40, cls=None,
          owner="Skills Group", notes="Receives PAYE deductions from HMRC RTI"),
        R("DFE-30", "Funding calculator (spreadsheet macro)", None, None,
          "Funding calculation", hosting="onprem", users=12, cls=None,
          owner="Funding Policy", notes="Excel workbook with VBA; no supplier"),
        R(None, "Teacher Vacancy tool", "In-house", "Bespoke", "Recruitment", hosting="azure",
          users="", cls=None, owner="Schools Group", notes="Ref not yet allocated"),
    ],
    "CO": [
        R("CO-APP-001", "Microsoft 365 (CO tenant)", "Microsoft", "Microsoft 365 E3",
          "Productivity suite", instance="cabinetoffice.onmicrosoft.com", hosting="saas",
          users=9000, cost=1_700_000, end=D(2027, 3, 31), owner="Government Digital Service",
          domains=["Email"]),
        R("CO-APP-010", "Public Enquiries", "Zendesk", "Zendesk Suite",
          "Customer service management", hosting="saas", users=150, cost=60_000,
          end=D(2027, 1, 31), owner="Propriety & Ethics", domains=["Contact history"]),
        R("CO-APP-015", "Finance (Sage Intacct)", "Sage", "Sage Intacct", "Finance",
          hosting="saas", users=300, cost=210_000, end=D(2026, 3, 31),
          owner="Finance Director", domains=["Financial"]),
        R("CO-APP-016", "HR (CIPHR)", "CIPHR", "CIPHR HR", "HR", hosting="saas", users=9000,
          cost=260_000, end=D(2027, 4, 30), cls="OS", owner="Civil Service HR",
          domains=["HR records"]),
        R("CO-APP-020", "Okta", "Okta", "Okta", "Identity", hosting="saas", users=9000,
          cost=380_000, end=D(2027, 6, 30), owner="Government Security Group"),
        R("CO-APP-042", "Case Management System", "Pegasystems", "Pega Case Management",
          "Case management", hosting="aws", users=700, cost=640_000, end=D(2028, 3, 31),
          cls="OS", owner="Propriety & Ethics", domains=["Personal data"]),
        R("CO-APP-050", "Crisis Briefing Platform", "In-house", "Bespoke",
          "Crisis management", hosting="onprem", users=90, cost=2_700_000,
          end=D(2029, 3, 31), cls="TS", owner="Cabinet Secretariat",
          domains=["Intelligence"]),
        R("CO-APP-051", "Secure Briefing Collaboration", "Microsoft", "SharePoint Server 2019",
          "Collaboration", hosting="onprem", users=400, cost=150_000, end=D(2027, 3, 31),
          cls="S", owner="Cabinet Secretariat", refs=["CO-APP-050"]),
        R("CO-APP-060", "GOV.UK One Login", "GDS", "GOV.UK One Login", "Citizen identity",
          hosting="aws", users=12000000, cost=31_000_000, end="", life="invest",
          owner="Government Digital Service", domains=["Personal data", "Identity"],
          refs=["DWP:DWP-0050", "HMRC:APP-1060"]),
    ],
    "DFT": [
        R("DFT-001", "MS365", "Microsoft", "Microsoft 365 E3", "Email and Collaboration",
          instance="dft.onmicrosoft.com", hosting="saas", users=5200, cost=1_050_000,
          end=D(2027, 3, 31), owner="DfT Digital Services"),
        R("DFT-015", "ISSC Finance", "Oracle", "Oracle Fusion Cloud Financials", "Finance",
          hosting="saas", users=700, cost=1_100_000, end=D(2028, 3, 31),
          owner="Group Finance", refs=["DFT-016"], domains=["Financial"]),
        R("DFT-016", "ISSC HR", "Oracle", "Oracle Fusion HCM", "HR", hosting="saas",
          users=5200, cost=800_000, end=D(2028, 3, 31), cls="OS", owner="Group HR",
          domains=["HR records", "Payroll"]),
        R("DFT-020", "Entra ID", "Microsoft", "Azure Active Directory P2", "Identity",
          instance="dft.onmicrosoft.com", hosting="saas", users=5200, cost=210_000,
          end=D(2027, 3, 31), owner="DfT Digital Services"),
    ],
    "DVLA": [
        R("DVLA-001", "Office 365 (DVLA)", "Microsoft", "Office 365 E3",
          "Email and Collaboration", instance="dvla.onmicrosoft.com", hosting="saas",
          users=6500, cost=1_200_000, end=D(2026, 12, 31), owner="Chief Technology Officer"),
        R("DVLA-010", "Customer Enquiries CRM", "Pegasystems", "Pega Customer Service", "CRM",
          hosting="aws", users=1800, cost=1_350_000, end=D(2028, 3, 31), cls="OS",
          owner="Contact Centre Director", refs=["DVLA-040"],
          domains=["Personal data", "Contact history"]),
        R("DVLA-015", "Finance (Sage 200)", "Sage", "Sage 200", "Finance", hosting="onprem",
          users=120, cost=45_000, end=D(2026, 6, 30), owner="Finance Director",
          domains=["Financial"]),
        R("DVLA-016", "Payroll", "Sage", "Sage Payroll", "Payroll", hosting="onprem",
          users=40, cost=18_000, end=D(2026, 6, 30), cls="OS", owner="HR Director",
          domains=["Payroll"]),
        R("DVLA-040", "Driver Licensing System", "In-house", "Bespoke (Java)",
          "Driver licensing", hosting="aws", users=3200, cost=7_400_000, end=D(2028, 3, 31),
          cls="OS", owner="Head of Drivers Digital", refs=["DVLA-050", "Home Office:HO-230"],
          domains=["Driver records", "Biometrics", "Personal data"]),
        R("DVLA-042", "Vehicle Enforcement Case Tracker", "In-house", "Bespoke",
          "Case management", hosting="aws", users=450, cost=380_000, end=D(2027, 3, 31),
          cls="OS", owner="Head of Vehicles Digital", domains=["Vehicle records"]),
        R("DVLA-050", "Driver Endorsements Service", "In-house", "Bespoke", "Endorsements",
          hosting="aws", users=600, cost=520_000, end=D(2028, 3, 31), cls="OS",
          owner="Head of Drivers Digital", refs=["DVLA-040"],
          domains=["Driver records", "Court records"]),
        R("DVLA-060", "Heritage Vehicle Registry", "Microsoft", "Microsoft Access 97",
          "Vehicle records", hosting="onprem", users=8, cost=0, end="", life="decommissioning",
          owner="Head of Vehicles Digital", notes="Single PC; no backup"),
    ],
    "NCC": [
        R("NCC-0001", "Google Workspace", "Google", "Google Workspace Enterprise",
          "Email & Collaboration", users=5400, cost=310_000, end=D(2027, 8, 31),
          hosting="saas", owner="ICT", notes="Domain northshire.gov.uk"),
        R("NCC-0005", "Customer Services CRM", "Jadu", "Jadu CXM", "Customer Services",
          users=240, cost=85_000, end=D(2027, 3, 31), hosting="saas",
          owner="Customer Services", refs=["NCC-0006"]),
        R("NCC-0006", "Finance", "Unit4", "Agresso Business World", "Finance", users=450,
          cost=180_000, end=D(2026, 3, 31), hosting="onprem", owner="Finance",
          refs=["NCC-0007"]),
        R("NCC-0007", "Payroll & HR", "MHR", "iTrent", "HR", users=5400, cost=140_000,
          end=D(2027, 3, 31), hosting="saas", owner="HR"),
        R("NCC-0008", "Active Directory", "Microsoft", "Active Directory", "ICT",
          users=5400, cost=0, end="", hosting="onprem", owner="ICT"),
        R("NCC-0050", "Parking permits tool", None, None, "Parking", users=30, cost="",
          end="", hosting="onprem", owner="Highways",
          notes="Built by a former employee; no documentation"),
        R("NCC-0051", "Grounds Maintenance Scheduler", "Brightwater Systems",
          "Brightwater GroundsPro", "Grounds maintenance", users=45, cost=12_000,
          end=D(2025, 9, 30), hosting="onprem", owner="Waste & Environment"),
        # A second row with the same ID: the export was edited by hand.
        R("NCC-0051", "Grounds Maintenance Scheduler (mobile)", "Brightwater Systems",
          "Brightwater GroundsPro Mobile", "Grounds maintenance", users=40, cost=3_500,
          end=D(2025, 9, 30), hosting="saas", owner="Waste & Environment"),
    ],
}

# Literal odd cells: (dept, system_id) -> {field: raw text}. Rendered as written.
ODD_CELLS: dict[tuple[str, str], dict[str, str]] = {
    ("NCC", "NCC-0050"): {"annual_cost": "TBC"},
    ("NCC", "NCC-0008"): {"contract_end": "Perpetual"},
    ("DFE", "DFE-30"): {"users": "c. 12"},
    ("HO", "HO-199"): {"annual_cost": "approx 64k"},
}

# --------------------------------------------------------------------------------------
# Department-specific systems (unique to each department): name|capability|vendor|
# product|hosting|data domains (;)|classification[|instance].
# --------------------------------------------------------------------------------------

DOMAIN = {
    "DWP": """
Universal Credit Full Service|Benefit claims processing|In-house|Bespoke (Ruby)|aws|Benefit claims;Personal data|OS
Universal Credit Payments Engine|Benefit payments|In-house|Bespoke (Java)|aws|Payments;Bank details|OS
Get Your State Pension|Pension claims|In-house|Bespoke (Java)|aws|Pension claims;Personal data|OS
PIP Assessment Service|Health assessment|Capita|Bespoke .NET|crown|Health records;Benefit claims|OS
Child Maintenance 2012 Scheme|Child maintenance|Capgemini|Salesforce Platform|saas|Child maintenance;Personal data|OS
Pension Credit Calculator|Entitlement calculation|In-house|Bespoke|aws|Benefit claims|O
Carer’s Allowance Digital Service|Benefit claims processing|In-house|Bespoke (Scala)|aws|Benefit claims;Personal data|OS
Jobcentre Appointment Booker|Appointment booking|In-house|Bespoke|aws|Personal data|O
Find a Job|Job matching|In-house|Bespoke (Java)|aws|Vacancies|O
Access to Work Online|Employment support|In-house|Bespoke|aws|Benefit claims;Health records|OS
Bereavement Support Payment|Benefit claims processing|In-house|Bespoke|aws|Death records;Benefit claims|OS
Labour Market System|Employment services|DXC|Bespoke (COBOL)|crown|Benefit claims;Personal data|OS
Debt Manager|Debt recovery|FICO|FICO Debt Manager|crown|Debt;Personal data|OS
Management Information System Programme|Management information|In-house|Oracle Exadata|crown|Benefit claims|O
Strategic Data Platform|Data platform|In-house|Amazon Redshift|aws|Benefit claims;Payments|OS
Confirm Your Identity|Identity verification|In-house|Bespoke|aws|Personal data;Identity|OS
Health Assessment Booking|Appointment booking|Maximus|Bespoke|saas|Health records|OS
DWP Integration Gateway|API management|Kong|Kong Enterprise|aws||O
Searchlight (Agent Identity)|Staff identity verification|In-house|Bespoke|aws|Identity|O
Telephony Routing (Bereavement)|Call routing|In-house|Bespoke|aws||O
Attendance Allowance Claim Service|Benefit claims processing|In-house|Bespoke|aws|Benefit claims;Health records|OS
Winter Fuel Payments Batch|Benefit payments|In-house|Bespoke (COBOL)|crown|Payments|OS
Pension Wise Bookings|Appointment booking|Money & Pensions Service|Bespoke|saas|Personal data|O
Digital Workplace Intranet (DWP Place)|Intranet|Microsoft|SharePoint Online|saas||O|dwp.onmicrosoft.com
Payee Verification|Bank account validation|Experian|Experian Bank Wizard|saas|Bank details|OS
Overpayment Recovery Calculator|Debt recovery|In-house|Bespoke|aws|Debt|OS
Social Fund Legacy|Benefit payments|In-house|Bespoke (COBOL)|crown|Payments|OS
Customer Experience Survey|Surveys|SmartSurvey|SmartSurvey|saas||O
Work Coach Scheduler|Workforce rostering|In-house|Bespoke|aws||O
Decision Maker Guidance|Guidance publishing|In-house|Bespoke|aws||O
Medical Evidence Portal|Document exchange|In-house|Bespoke|aws|Health records|OS
Disability Service Centre Post Scanning|Scanning|Kofax|Kofax Capture|crown|Documents|OS
Counter Fraud Data Matching|Data matching|In-house|Bespoke (Python)|aws|Fraud referrals;Personal data|OS
Benefit Cap Calculator|Entitlement calculation|In-house|Bespoke|aws||O
""",
    "HMRC": """
Self Assessment Online|Self Assessment|In-house|Bespoke (Scala)|aws|Tax records;Personal data|OS
Making Tax Digital for VAT|VAT|In-house|Bespoke (Scala)|aws|Tax records|OS
Customs Declaration Service|Customs declarations|In-house|Bespoke (Java)|aws|Trade data|OS
CHIEF (legacy customs)|Customs declarations|Fujitsu|Bespoke (COBOL)|crown|Trade data|OS
Tax Credits Computer System|Tax credits|Capgemini|Bespoke|crown|Tax records;Benefit claims|OS
Multi-channel Digital Tax Platform|Digital tax platform|In-house|Bespoke (Scala)|aws|Tax records|OS
Enterprise Tax Management Platform|Tax accounting|SAP|SAP ETMP|crown|Tax records;Financial|OS
National Insurance Recording System|National Insurance records|In-house|Bespoke (COBOL)|crown|National Insurance;Personal data|OS
Connect (risk analytics)|Risk analytics|BAE Systems|NetReveal|private|Tax records;Intelligence|OS
Debt Management & Banking|Debt recovery|In-house|Bespoke|crown|Debt;Tax records|OS
Tax-Free Childcare|Childcare payments|In-house|Bespoke (Scala)|aws|Payments;Personal data|OS
Customer Identity (GG)|Citizen identity|In-house|Bespoke|aws|Identity|OS
Trader Support Service|Customs declarations|Kainos|Bespoke|aws|Trade data|O
Corporation Tax Online|Corporation tax|In-house|Bespoke|aws|Tax records|OS
Excise Movement Control|Excise|In-house|Bespoke (Java)|aws|Trade data|OS
Inheritance Tax Service|Inheritance tax|In-house|Bespoke|aws|Tax records;Death records|OS
Stamp Taxes Online|Stamp duty|In-house|Bespoke|aws|Tax records|O
Customer Contact Routing|Call routing|In-house|Bespoke|aws||O
Valuation Office Rating List|Property valuation|In-house|Bespoke|crown|Property|O
Help to Save|Savings scheme|In-house|Bespoke|aws|Bank details|OS
Construction Industry Scheme|Construction tax|In-house|Bespoke|aws|Tax records|OS
Charities Online|Charity tax relief|In-house|Bespoke|aws|Tax records|O
Pillar 2 Top-up Tax|Corporation tax|In-house|Bespoke (Scala)|aws|Tax records|OS
Tax Avoidance Schemes Register|Tax avoidance|In-house|Bespoke|aws|Tax records|OS
HMRC Intranet|Intranet|Microsoft|SharePoint Online|saas||O|hmrc.onmicrosoft.com
Agent Services Account|Tax agents|In-house|Bespoke (Scala)|aws|Tax records|OS
Offshore Tax Data Exchange|International data exchange|In-house|Bespoke|crown|Tax records|OS
Border Freight Risking|Risk analytics|In-house|Bespoke|aws|Trade data;Intelligence|OS
Excise Duty Stamps|Excise|De La Rue|Bespoke|saas|Trade data|O
Money Laundering Supervision|Anti-money-laundering supervision|In-house|Bespoke|aws|Personal data|OS
Tax Calculation Engine|Tax calculation|In-house|Bespoke (Scala)|aws|Tax records|OS
Employer Bulletin Publishing|Publishing|In-house|Bespoke|aws||O
""",
    "HO": """
Border Crossing (Advance Passenger Info)|Border security|In-house|Bespoke|aws|Passenger data;Personal data|OS
ePassport Gates Management|Border control|Accenture|Bespoke|onprem|Biometrics;Passenger data|OS
Biometric Residence Permit Issuing|Document issuing|In-house|Bespoke|aws|Biometrics;Immigration status|OS
Police National Computer Link|Police data access|In-house|Bespoke|onprem|Criminal records|OS
Visa Application Centre Booking|Appointment booking|TLScontact|Bespoke|saas|Personal data|O
eVisas|Digital status|In-house|Bespoke|aws|Immigration status|OS
Asylum Support Payments|Asylum support|In-house|Bespoke|aws|Payments;Personal data|OS
Detention Estate Management|Detention management|In-house|Bespoke|onprem|Personal data|OS
Firearms Licensing Portal|Licensing|In-house|Bespoke|aws|Personal data|OS
Disclosure & Barring Link|Vetting|In-house|Bespoke|aws|Criminal records|OS
Emergency Services Network Ops|Emergency communications|Motorola Solutions|Bespoke|private||OS
Immigration Health Surcharge|Payments|In-house|Bespoke|aws|Payments|O
Sponsor Management System|Sponsor licensing|In-house|Bespoke|aws|Employers|OS
Passport Customer Tracker|Customer updates|In-house|Bespoke|aws|Passport records|O
Facial Recognition Matching|Biometric matching|In-house|Bespoke|onprem|Biometrics|S
Border Force Shift Planner|Workforce rostering|In-house|Bespoke|aws||O
EU Settlement Scheme|Immigration decisions|In-house|Bespoke (Java)|aws|Immigration status;Personal data|OS
Asylum Accommodation Booking|Accommodation booking|Serco|Bespoke|saas|Personal data|OS
Counter-Drugs Intelligence|Intelligence analysis|In-house|Bespoke|onprem|Intelligence|S
Electronic Travel Authorisation|Travel authorisation|In-house|Bespoke|aws|Passenger data;Personal data|OS
Home Office Intranet (Horizon)|Intranet|Microsoft|SharePoint Online|saas||O|homeoffice.onmicrosoft.com
Fee Collection Gateway|Payments|Worldpay|Worldpay Gateway|saas|Payments|O
Police Funding Calculator|Grant calculation|In-house|Bespoke|aws||O
Scanning & Indexing Bureau|Scanning|Kofax|Kofax TotalAgility|onprem|Documents|OS
""",
    "NHSE": """
NHS e-Referral Service|Referrals|In-house|Bespoke|aws|Health records|OS
Summary Care Record|Shared care records|In-house|Bespoke|aws|Health records|OS
Electronic Prescription Service|Prescriptions|In-house|Bespoke|aws|Health records;Prescriptions|OS
NHS App Backend|Citizen app|In-house|Bespoke|aws|Health records;Identity|OS
National Immunisation Management Service|Immunisation records|Accenture|Salesforce Platform|saas|Health records|OS
Federated Data Platform|Data platform|Palantir|Palantir Foundry|aws|Health records|OS
Secondary Uses Service|Data processing|In-house|Bespoke|aws|Health records|OS
NHS Spine Messaging|Health messaging|In-house|Bespoke|aws|Health records|OS
Workforce Planning Model|Workforce planning|In-house|Bespoke (R)|azure||O
GP Payments Calculator|Practitioner payments|In-house|Bespoke|azure|Payments|O
Screening Invitations|Screening|In-house|Bespoke|aws|Health records|OS
Organisation Data Service|Reference data|In-house|Bespoke|aws|Reference data|O
Dental Claims Processing|Claims processing|In-house|Bespoke|aws|Health records;Payments|OS
Clinical Coding Browser|Clinical terminology|In-house|Bespoke|aws|Reference data|O
111 Online|Triage|In-house|Bespoke|aws|Health records|OS
Vaccination Booking|Appointment booking|In-house|Bespoke|aws|Health records|OS
Pharmacy Payments|Practitioner payments|In-house|Bespoke|azure|Payments|O
Care Identity Service 2|Health workforce identity|In-house|Bespoke|aws|Identity|OS
NHS England Intranet|Intranet|Microsoft|SharePoint Online|saas||O|nhsengland.onmicrosoft.com
Publications Portal|Publishing|In-house|Drupal 10|aws||O
Data Access Request Service|Data access requests|In-house|Bespoke|aws||O
""",
    "MOJ": """
Common Platform (Courts)|Court case progression|In-house|Bespoke (Java)|azure|Court records;Personal data|OS
Prison NOMIS|Prisoner records|Oracle|Oracle Forms|crown|Criminal records;Personal data|OS
Digital Prison Services|Prisoner records|In-house|Bespoke (Kotlin)|aws|Criminal records|OS
nDelius (Probation)|Probation records|In-house|Bespoke (Java)|aws|Criminal records;Personal data|OS
Legal Aid Means Assessment|Legal aid|In-house|Bespoke|aws|Financial;Personal data|OS
Legal Aid Billing (CCMS)|Legal aid|Oracle|Oracle E-Business Suite|crown|Financial|OS
Court Hearing Scheduler|Court scheduling|In-house|Bespoke|azure|Court records|O
Jury Summoning|Jury management|In-house|Bespoke|azure|Personal data|OS
Lasting Power of Attorney|Power of attorney|In-house|Bespoke|aws|Personal data|OS
Video Hearings|Remote hearings|In-house|Bespoke|azure|Court records|OS
Electronic Monitoring|Tagging|Serco|Bespoke|private|Criminal records;Location data|OS
Prison Visits Booking|Appointment booking|In-house|Bespoke|aws|Personal data|O
Tribunal Appeals|Tribunal appeals|In-house|Bespoke|azure|Court records|OS
Criminal Injuries Compensation|Compensation claims|In-house|Bespoke|aws|Personal data;Health records|OS
Online Money Claims|Civil money claims|In-house|Bespoke|azure|Court records|O
Probate Service|Probate|In-house|Bespoke|azure|Death records;Court records|OS
Divorce Service|Family justice|In-house|Bespoke|azure|Court records;Personal data|OS
Offender Assessment System|Risk assessment|In-house|Bespoke|aws|Criminal records|OS
MoJ Intranet|Intranet|In-house|WordPress|aws||O
Court Fees|Payments|In-house|GOV.UK Pay|saas|Payments|O
""",
    "DFE": """
Get Information About Schools|Schools register|In-house|Bespoke (.NET)|azure|Education records|O
School Census Collection|Data collection|In-house|Bespoke (.NET)|azure|Education records|O
Teacher Pensions Interface|Pensions interface|Capita|Bespoke|saas|HR records|O
Apply for Teacher Training|Applications|In-house|Bespoke (Ruby)|azure|Personal data|O
Learner Records Service|Learner records|In-house|Bespoke|azure|Education records;Personal data|O
Academies Funding Payments|Grant payments|In-house|Bespoke (.NET)|azure|Payments|O
Find an Apprenticeship|Job matching|In-house|Bespoke|azure||O
Childcare Entitlement Checker|Eligibility checking|In-house|Bespoke|azure|Personal data|O
Teaching Vacancies|Job matching|In-house|Bespoke (Ruby)|azure||O
Analyse School Performance|Performance reporting|In-house|Bespoke|azure|Education records|O
""",
    "CO": """
Civil Service Jobs|Recruitment|Engage|Oleeo|saas|Personal data|O
Contracts Finder|Procurement publishing|In-house|Bespoke|aws||O
Find a Tender|Procurement publishing|In-house|Bespoke|aws||O
Public Appointments|Appointments|In-house|Bespoke|aws|Personal data|O
Honours & Awards|Honours|In-house|Bespoke|onprem|Personal data|OS
Government Security Vetting|Vetting|In-house|Bespoke|onprem|Personal data;Vetting|S
GOV.UK Publishing|Publishing|In-house|Bespoke (Ruby)|aws||O
GOV.UK Notify|Notifications|In-house|GOV.UK Notify|aws||O
GOV.UK Pay|Payments|In-house|GOV.UK Pay|aws|Payments|O
Electoral Registration Digital Service|Electoral registration|In-house|Bespoke|aws|Personal data|OS
""",
    "DFT": """
Road Traffic Statistics|Statistics|In-house|Bespoke (R)|aws||O
Rail Franchise Monitoring|Contract monitoring|In-house|Bespoke|azure||O
Maritime Security Incident Log|Incident recording|In-house|Bespoke|onprem||OS
Bus Open Data Service|Open data|In-house|Bespoke|aws||O
Local Transport Grants|Grant payments|In-house|Bespoke|azure|Payments|O
Aviation Security Compliance|Compliance inspections|In-house|Bespoke|onprem||OS
""",
    "DVLA": """
Vehicle Register|Vehicle registration|In-house|Bespoke (Java)|aws|Vehicle records;Personal data|OS
Vehicle Tax (Online)|Vehicle tax|In-house|Bespoke (Java)|aws|Vehicle records;Payments|OS
View Driving Licence|Driver licensing|In-house|Bespoke|aws|Driver records|OS
Vehicle Enquiry Service|Vehicle enquiries|In-house|Bespoke|aws|Vehicle records|O
Personalised Registrations|Number plate sales|In-house|Bespoke|aws|Vehicle records;Payments|O
Medical Licensing Casework|Medical licensing|In-house|Bespoke|aws|Health records;Driver records|OS
Mail Handling & Scanning|Scanning|Kofax|Kofax Capture|onprem|Documents|OS
Keeper at Date of Event|Enforcement data sharing|In-house|Bespoke|aws|Vehicle records|OS
Contact Centre Telephony|Contact centre|Genesys|Genesys Cloud CX|saas||O
Welsh Language Service (Gwasanaeth Cymraeg)|Translation|In-house|Bespoke|aws||O
Tachograph Cards|Tachograph cards|In-house|Bespoke|aws|Driver records|OS
Driver Photo Matching|Biometric matching|In-house|Bespoke|aws|Biometrics|OS
""",
    "NCC": """
Planning & Building Control|Planning|Idox|Idox Uniform|onprem|Property;Personal data|O
Revenues & Benefits|Council Tax|Northgate|Northgate Revenues & Benefits|onprem|Financial;Personal data|OS
Children's Social Care|Children's services|Liquidlogic|Liquidlogic LCS|private|Social care records|OS
Adults Social Care|Adult social care|Servelec|Mosaic|private|Social care records|OS
Education MIS|Education|Capita|Capita One|onprem|Education records|OS
Waste Collection|Waste|Bartec|Bartec Collective|saas|Property|O
Highways Asset Management|Highways|Yotta|Yotta Horizons|saas|Assets|O
Library Management|Libraries|Civica|Civica Spydus|saas|Personal data|O
Environmental Health|Environmental health|Civica|Civica APP|onprem|Property|O
Registrars Booking|Registration|Stopford|Stopford Registration Online|saas|Birth records;Personal data|OS
Council Website|Website|Jadu|Jadu CMS|saas||O
Housing Register|Housing|Civica|Civica CX|onprem|Personal data|OS
Electoral Management|Elections|Idox|Idox Xpress|onprem|Personal data|OS
""",
}

# --------------------------------------------------------------------------------------
# Common products any department might run: (vendors, product spellings, capability
# spellings, hosting, cost range, users range, data domains, may repeat as instances).
# --------------------------------------------------------------------------------------

POOL = [
    (["ServiceNow"], ["ServiceNow", "ServiceNow ITSM", "ServiceNow IT Service Management"],
     ["IT service management", "ITSM", "Service desk"], "saas", (150e3, 900e3), (200, 3000), [], False),
    (["Atlassian"], ["Jira Service Management", "Jira Service Desk"],
     ["IT service management", "Service desk"], "saas", (20e3, 120e3), (50, 800), [], False),
    (["Atlassian"], ["Jira Software", "JIRA", "Jira Cloud"],
     ["Work tracking", "Agile planning", "Issue tracking"], "saas", (15e3, 90e3), (100, 2500), [], False),
    (["Atlassian"], ["Confluence", "Confluence Cloud"],
     ["Knowledge management", "Wiki"], "saas", (10e3, 70e3), (100, 3000), [], False),
    (["GitHub", "Microsoft"], ["GitHub Enterprise Cloud", "GitHub Enterprise"],
     ["Source control", "Code repository"], "saas", (30e3, 250e3), (50, 1500), [], False),
    (["GitLab"], ["GitLab Premium", "GitLab"], ["Source control", "CI/CD"], "onprem",
     (20e3, 120e3), (40, 600), [], False),
    (["Microsoft"], ["Azure DevOps Services", "Azure DevOps"], ["CI/CD", "DevOps"], "saas",
     (10e3, 80e3), (30, 500), [], False),
    (["Jenkins"], ["Jenkins"], ["CI/CD", "Build pipeline"], "onprem", (0, 0), (20, 200), [], False),
    (["SonarSource"], ["SonarQube"], ["Code quality", "Static analysis"], "onprem",
     (8e3, 40e3), (20, 300), [], False),
    (["JFrog"], ["Artifactory", "JFrog Artifactory"], ["Artifact repository"], "saas",
     (15e3, 60e3), (20, 300), [], False),
    (["Microsoft"], ["Power BI Pro", "Power BI", "PowerBI"],
     ["Business intelligence", "Reporting", "MI"], "saas", (20e3, 300e3), (100, 5000), [], True),
    (["Tableau", "Salesforce"], ["Tableau Server", "Tableau"],
     ["Business intelligence", "Dashboards"], "onprem", (40e3, 250e3), (50, 1500), [], True),
    (["Qlik"], ["Qlik Sense Enterprise", "QlikView"], ["Business intelligence", "Reporting"],
     "onprem", (30e3, 200e3), (50, 900), [], True),
    (["SAS"], ["SAS Viya", "SAS 9.4"], ["Statistical analysis", "Advanced analytics"],
     "onprem", (100e3, 800e3), (20, 400), [], False),
    (["Posit", "RStudio"], ["Posit Workbench", "RStudio Server Pro"], ["Statistics", "Data science"],
     "aws", (10e3, 60e3), (10, 150), [], False),
    (["Esri"], ["ArcGIS Enterprise", "ArcGIS Online", "Esri ArcGIS"], ["GIS", "Mapping"],
     "onprem", (25e3, 200e3), (20, 600), [], False),
    (["OpenText", "Micro Focus"], ["Content Manager", "HPE Records Manager", "TRIM 7"],
     ["Records management", "EDRMS"], "onprem", (60e3, 400e3), (500, 20000), ["Documents"], False),
    (["OpenText"], ["Documentum", "OpenText Documentum"], ["Document management"], "onprem",
     (80e3, 500e3), (300, 8000), ["Documents"], False),
    (["Objective"], ["Objective ECM", "Objective"], ["Records management"], "onprem",
     (50e3, 250e3), (300, 6000), ["Documents"], False),
    (["Oracle"], ["Oracle Database 19c", "Oracle DB", "Oracle 12c"], ["Database"], "onprem",
     (40e3, 600e3), (5, 50), [], True),
    (["Microsoft"], ["SQL Server 2019", "MS SQL Server 2016", "SQL Server 2022"], ["Database"],
     "onprem", (10e3, 200e3), (5, 40), [], True),
    (["PostgreSQL", "Open source"], ["PostgreSQL 14", "Postgres"], ["Database"], "aws",
     (0, 20e3), (5, 30), [], True),
    (["AWS", "Amazon Web Services"], ["Amazon RDS for PostgreSQL", "AWS RDS Postgres"],
     ["Database"], "aws", (2e3, 60e3), (5, 30), [], True),
    (["MongoDB"], ["MongoDB Atlas"], ["Database", "NoSQL"], "saas", (10e3, 80e3), (5, 30), [], False),
    (["Genesys"], ["Genesys Cloud CX", "Genesys PureConnect"], ["Contact centre", "Telephony"],
     "saas", (200e3, 2.5e6), (100, 4000), ["Contact history"], False),
    (["Amazon Web Services", "AWS"], ["Amazon Connect"], ["Contact centre"], "aws",
     (100e3, 1.5e6), (100, 3000), ["Contact history"], False),
    (["Avaya"], ["Avaya Aura Contact Center"], ["Contact centre", "Call centre"], "onprem",
     (150e3, 900e3), (100, 2000), ["Contact history"], False),
    (["Splunk"], ["Splunk Enterprise", "Splunk"], ["SIEM", "Log management"], "onprem",
     (150e3, 1.2e6), (20, 200), [], False),
    (["Microsoft"], ["Microsoft Sentinel", "Azure Sentinel"], ["SIEM", "Security monitoring"],
     "azure", (80e3, 700e3), (10, 120), [], False),
    (["CrowdStrike"], ["CrowdStrike Falcon", "Falcon Insight"], ["Endpoint protection", "EDR"],
     "saas", (100e3, 900e3), (1000, 40000), [], False),
    (["Microsoft"], ["Defender for Endpoint", "Microsoft Defender for Endpoint"],
     ["Endpoint protection", "Anti-malware"], "saas", (0, 0), (1000, 40000), [], False),
    (["Tenable"], ["Tenable.io", "Nessus Professional"], ["Vulnerability scanning"], "saas",
     (20e3, 150e3), (5, 50), [], False),
    (["Qualys"], ["Qualys VMDR"], ["Vulnerability management"], "saas", (20e3, 150e3),
     (5, 50), [], False),
    (["Mimecast"], ["Mimecast Email Security"], ["Email security"], "saas", (40e3, 400e3),
     (1000, 40000), [], False),
    (["Zscaler"], ["Zscaler Internet Access", "ZIA"], ["Secure web gateway", "Web filtering"],
     "saas", (100e3, 800e3), (1000, 40000), [], False),
    (["Palo Alto Networks"], ["Palo Alto NGFW", "PAN-OS firewalls"], ["Firewall"], "onprem",
     (50e3, 400e3), (5, 40), [], False),
    (["Cisco"], ["Cisco AnyConnect", "AnyConnect VPN"], ["Remote access VPN", "VPN"], "onprem",
     (30e3, 200e3), (1000, 40000), [], False),
    (["CyberArk"], ["CyberArk Privileged Access Manager", "CyberArk PAM"],
     ["Privileged access management", "PAM"], "onprem", (60e3, 300e3), (20, 300), [], False),
    (["HashiCorp"], ["HashiCorp Vault", "Vault Enterprise"], ["Secrets management"], "aws",
     (20e3, 120e3), (10, 200), [], False),
    (["Egress"], ["Egress Protect"], ["Secure email", "Email encryption"], "saas",
     (15e3, 90e3), (200, 8000), [], False),
    (["BeyondTrust"], ["BeyondTrust Remote Support", "Bomgar"], ["Remote support"], "onprem",
     (15e3, 70e3), (20, 300), [], False),
    (["Microsoft"], ["Microsoft Intune", "Intune", "Endpoint Manager"],
     ["Device management", "MDM"], "saas", (0, 0), (1000, 40000), [], False),
    (["Jamf"], ["Jamf Pro"], ["Device management", "Mac management"], "saas", (10e3, 80e3),
     (50, 2000), [], False),
    (["Ivanti"], ["Ivanti Neurons", "LANDesk Management Suite"], ["Endpoint management",
     "Software deployment"], "onprem", (30e3, 200e3), (1000, 20000), [], False),
    (["Citrix"], ["Citrix Virtual Apps and Desktops", "XenApp 7.15"], ["VDI", "Virtual desktop"],
     "onprem", (100e3, 900e3), (300, 10000), [], False),
    (["VMware", "Broadcom"], ["VMware vSphere 7", "vSphere", "VMware vSphere 8"],
     ["Virtualisation", "Hypervisor"], "onprem", (50e3, 700e3), (5, 60), [], False),
    (["Red Hat"], ["Red Hat OpenShift", "OpenShift"], ["Container platform"], "aws",
     (80e3, 500e3), (20, 300), [], False),
    (["Red Hat"], ["Red Hat Enterprise Linux", "RHEL 8"], ["Operating system"], "onprem",
     (20e3, 300e3), (5, 50), [], False),
    (["Zoom"], ["Zoom Meetings", "Zoom"], ["Video conferencing"], "saas", (20e3, 150e3),
     (100, 5000), [], False),
    (["Cisco"], ["Webex", "Cisco Webex Meetings"], ["Video conferencing"], "saas",
     (20e3, 150e3), (100, 5000), [], False),
    (["Slack"], ["Slack Enterprise Grid", "Slack"], ["Team chat", "Instant messaging"], "saas",
     (30e3, 200e3), (100, 3000), [], False),
    (["Miro"], ["Miro"], ["Online whiteboard", "Collaboration"], "saas", (5e3, 60e3),
     (50, 2000), [], False),
    (["Adobe"], ["Adobe Experience Manager", "AEM"], ["Web content management", "CMS"],
     "saas", (100e3, 600e3), (20, 300), [], False),
    (["Acquia"], ["Drupal 9", "Acquia Drupal Cloud"], ["Web content management", "Website"],
     "saas", (20e3, 150e3), (10, 200), [], False),
    (["GDS", "Government Digital Service"], ["GOV.UK Notify"], ["Notifications"], "saas",
     (0, 30e3), (10, 300), [], False),
    (["GDS", "Government Digital Service"], ["GOV.UK Pay"], ["Payments"], "saas",
     (0, 50e3), (10, 200), ["Payments"], False),
    (["GDS", "Government Digital Service"], ["GOV.UK Forms"], ["Online forms"], "saas",
     (0, 0), (10, 200), [], False),
    (["DocuSign"], ["DocuSign eSignature", "DocuSign"], ["E-signature"], "saas", (10e3, 90e3),
     (50, 1500), ["Documents"], False),
    (["Adobe"], ["Adobe Acrobat Sign"], ["E-signature"], "saas", (8e3, 60e3), (50, 1500),
     ["Documents"], False),
    (["MuleSoft", "Salesforce"], ["MuleSoft Anypoint Platform", "Mulesoft"],
     ["Integration", "API management"], "saas", (150e3, 700e3), (10, 80), [], False),
    (["IBM"], ["IBM MQ", "WebSphere MQ"], ["Message queue", "Middleware"], "onprem",
     (40e3, 300e3), (5, 40), [], False),
    (["Microsoft"], ["BizTalk Server 2016"], ["Integration", "ESB"], "onprem", (30e3, 150e3),
     (5, 30), [], False),
    (["Informatica"], ["Informatica PowerCenter", "Informatica IDMC"], ["ETL",
     "Data integration"], "onprem", (80e3, 500e3), (10, 60), [], False),
    (["Databricks", "Microsoft"], ["Azure Databricks", "Databricks"], ["Data platform",
     "Lakehouse"], "azure", (80e3, 900e3), (20, 400), [], False),
    (["Snowflake"], ["Snowflake"], ["Data warehouse", "Data platform"], "saas",
     (60e3, 700e3), (20, 400), [], False),
    (["SAP"], ["SAP Concur", "Concur Expense"], ["Expenses"], "saas", (50e3, 400e3),
     (1000, 40000), ["Financial"], False),
    (["Jaggaer"], ["JAGGAER One", "Jaggaer"], ["E-sourcing", "Procurement"], "saas",
     (40e3, 250e3), (50, 600), ["Supplier data"], False),
    (["Coupa"], ["Coupa"], ["Procurement", "Spend management"], "saas", (100e3, 600e3),
     (100, 3000), ["Supplier data"], False),
    (["Atamis"], ["Atamis"], ["Contract management"], "saas", (30e3, 200e3), (50, 500),
     ["Supplier data"], False),
    (["Planview"], ["Planview Portfolios", "Planview Enterprise One"],
     ["Portfolio management", "PPM"], "saas", (60e3, 300e3), (50, 800), [], False),
    (["Microsoft"], ["Project Online", "MS Project Server 2016"], ["Project management"],
     "saas", (10e3, 80e3), (50, 800), [], False),
    (["Cornerstone OnDemand"], ["Cornerstone OnDemand", "Cornerstone LMS"],
     ["Learning management", "E-learning"], "saas", (60e3, 400e3), (1000, 40000), [], False),
    (["Moodle", "Moodle Pty"], ["Moodle", "Moodle 4.1"], ["LMS", "Training"], "aws",
     (5e3, 40e3), (200, 8000), [], False),
    (["Mendix", "Siemens"], ["Mendix"], ["Low-code", "Low code"], "saas", (60e3, 300e3),
     (20, 500), [], False),
    (["Microsoft"], ["Power Apps", "PowerApps"], ["Low-code", "Citizen development"], "saas",
     (0, 60e3), (50, 2000), [], False),
    (["UiPath"], ["UiPath Automation Cloud", "UiPath"], ["RPA", "Process automation"], "saas",
     (40e3, 300e3), (10, 100), [], False),
    (["Veritas"], ["NetBackup", "Veritas NetBackup"], ["Backup"], "onprem", (40e3, 250e3),
     (5, 30), [], False),
    (["Commvault"], ["Commvault Complete Backup", "Commvault"], ["Backup and recovery"],
     "onprem", (40e3, 250e3), (5, 30), [], False),
    (["Dynatrace"], ["Dynatrace"], ["APM", "Monitoring"], "saas", (60e3, 400e3), (20, 200),
     [], False),
    (["Elastic"], ["Elastic Stack", "ELK", "Elastic Cloud"], ["Logging", "Log analytics"],
     "aws", (20e3, 200e3), (10, 150), [], False),
    (["SolarWinds"], ["SolarWinds NPM", "Orion"], ["Network monitoring"], "onprem",
     (20e3, 120e3), (10, 80), [], False),
    (["Amazon Web Services", "AWS"], ["AWS", "Amazon Web Services"], ["Public cloud", "Cloud hosting"],
     "aws", (500e3, 9e6), (50, 800), [], False),
    (["Microsoft"], ["Microsoft Azure", "Azure"], ["Public cloud", "Cloud platform"], "azure",
     (300e3, 6e6), (50, 800), [], False),
    (["Verint"], ["Verint WFM", "Verint Workforce Management"], ["Workforce management"],
     "saas", (60e3, 300e3), (100, 3000), [], False),
    (["Kofax"], ["Kofax Capture"], ["Scanning", "Document capture"], "onprem", (30e3, 200e3),
     (20, 400), ["Documents"], False),
    (["Alfresco", "Hyland"], ["Alfresco Content Services"], ["Document management"], "aws",
     (40e3, 250e3), (100, 4000), ["Documents"], False),
    (["SmartSurvey"], ["SmartSurvey"], ["Surveys"], "saas", (2e3, 15e3), (10, 200), [], False),
    (["Qualtrics"], ["Qualtrics CoreXM", "Qualtrics"], ["Surveys", "Customer feedback"],
     "saas", (30e3, 200e3), (10, 200), [], False),
    (["Trend Micro"], ["Trend Micro Deep Security"], ["Anti-virus", "Server protection"],
     "onprem", (30e3, 150e3), (5, 40), [], False),
    (["Microsoft"], ["System Center Configuration Manager", "SCCM"], ["Software deployment",
     "Patch management"], "onprem", (0, 50e3), (1000, 20000), [], False),
]

INSTANCE_SUFFIXES = ["Finance", "Casework", "Operations", "Corporate", "Analytics", "HR",
                     "Legacy", "Digital", "Estates", "Fraud"]


def _round_cost(x: float) -> float:
    if x <= 0:
        return 0.0
    if x < 10_000:
        return float(round(x / 100) * 100)
    if x < 1_000_000:
        return float(round(x / 500) * 500)
    return float(round(x / 100_000) * 100_000)


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def _random_end(rng: random.Random) -> date | str:
    r = rng.random()
    if r < 0.06:
        return _month_end(rng.choice([2024, 2025]), rng.randint(1, 12))
    if r < 0.10:
        return ""
    return _month_end(rng.randint(2027, 2030), rng.choice([3, 3, 3, 6, 9, 12, rng.randint(1, 12)]))


def _pool_rows(d: Dept, rng: random.Random, count: int) -> list[Row]:
    order = list(range(len(POOL)))
    rng.shuffle(order)
    picks = order[:count]
    repeats = count - len(picks)
    instanced = [i for i in range(len(POOL)) if POOL[i][7]]
    picks += [rng.choice(instanced) for _ in range(max(0, repeats))]
    rows = []
    used_names: set[str] = set()
    for i in picks:
        vendors, products, caps, hosting, (lo, hi), (ulo, uhi), domains, inst = POOL[i]
        product = rng.choice(products)
        name = product
        if inst and (name in used_names or rng.random() < 0.5):
            suffixes = [s for s in INSTANCE_SUFFIXES if f"{product} - {s}" not in used_names]
            name = f"{product} - {rng.choice(suffixes)}"
        if name in used_names:
            continue
        used_names.add(name)
        rows.append(Row(
            None, name, rng.choice(vendors), product, rng.choice(caps),
            hosting=hosting, users=rng.randint(ulo, uhi),
            cost=_round_cost(rng.uniform(lo, hi)) if hi else 0.0, end=_random_end(rng),
            life=rng.choices(["live", "invest", "retiring", "tolerate"], [70, 10, 6, 14])[0],
            cls=rng.choices(["O", "OS"], [85, 15])[0], owner=rng.choice(d.owners),
            domains=list(domains)))
    return rows


def _domain_rows(d: Dept, rng: random.Random) -> list[Row]:
    rows = []
    for line in DOMAIN[d.key].strip().splitlines():
        name, cap, vendor, product, hosting, domains, cls, *instance = line.split("|")
        bespoke = product.lower().startswith(("bespoke", "custom"))
        users = rng.randint(20, 800) if rng.random() < 0.6 else rng.randint(800, 20000)
        cost = rng.uniform(80e3, 3e6) if bespoke else rng.uniform(20e3, 900e3)
        rows.append(Row(
            None, name, vendor, product, cap, hosting=hosting, users=users,
            cost=_round_cost(cost), end=_random_end(rng),
            life=rng.choices(["live", "invest", "retiring", "decommissioning", "tolerate"],
                             [62, 16, 9, 3, 10])[0],
            cls=cls, owner=rng.choice(d.owners), instance=instance[0] if instance else None,
            domains=[x for x in domains.split(";") if x]))
    return rows


def build_department(d: Dept) -> list[Row]:
    rng = random.Random(f"{SEED}:{d.key}")
    planted = PLANTED[d.key]
    domain = _domain_rows(d, rng)
    pool = _pool_rows(d, rng, d.target - len(planted) - len(domain))
    rows = planted + domain + pool

    used = {r.system_id for r in planted if r.system_id}
    taken_numbers: set[int] = set()
    for sid in used:
        taken_numbers.add(int("".join(ch for ch in sid.split("-")[-1] if ch.isdigit())))
    start = 1000 if d.key == "HMRC" else (100 if d.key == "HO" else 0)
    number = start
    generated = domain + pool
    rng.shuffle(generated)
    for row in generated:
        number += 1
        while number in taken_numbers:
            number += 1
        row.system_id = d.id_format.format(number)

    ids = [r.system_id for r in generated]
    for row in generated:
        if rng.random() < 0.45:
            row.refs = sorted(set(rng.sample([i for i in ids if i != row.system_id],
                                             rng.randint(1, 3))))
    for row in rows:
        row.department = d.department_value
    _blank_some(d, rng, generated)
    return rows


OPTIONAL_BLANKABLE = ("vendor", "version", "capability", "users", "cost", "end", "owner",
                      "hosting", "cls", "domains")


def _blank_some(d: Dept, rng: random.Random, rows: list[Row]) -> None:
    """Leave some optional cells empty, as real exports do (never on planted rows, and
    never the marking of a SECRET or TOP SECRET system)."""
    for row in rows:
        for attr in OPTIONAL_BLANKABLE:
            if rng.random() < d.blank_rate and not (attr == "cls" and row.cls in ("S", "TS")):
                setattr(row, attr, [] if attr == "domains" else None)


def render(d: Dept, row: Row) -> dict[str, str]:
    def text(value) -> str:
        return "" if value is None else str(value)

    cost = row.cost
    if isinstance(cost, (int, float)) and not isinstance(cost, bool):
        cost = d.cost_format(float(cost))
    end = row.end
    if isinstance(end, date):
        end = d.date_format(end)
    values = {
        "system_id": text(row.system_id), "name": row.name, "vendor": text(row.vendor),
        "product": text(row.product), "version": text(row.version),
        "capability": text(row.capability), "instance": text(row.instance),
        "hosting": d.hosting.get(row.hosting, text(row.hosting)) if row.hosting else "",
        "region": text(row.region), "users": text(row.users), "annual_cost": text(cost),
        "contract_end": text(end),
        "lifecycle": d.lifecycle.get(row.life, text(row.life)) if row.life else "",
        "classification": d.classification.get(row.cls, text(row.cls)) if row.cls else "",
        "owner": text(row.owner), "integrates_with": d.list_sep.join(row.refs),
        "data_domains": d.list_sep.join(row.domains), "notes": text(row.notes),
        "department": text(row.department),
    }
    values.update(ODD_CELLS.get((d.key, row.system_id or ""), {}))
    return {header: values[fieldname] for header, fieldname in d.columns}


def _sorted(d: Dept, rows: list[Row], rng: random.Random) -> list[Row]:
    if d.sort == "name":
        return sorted(rows, key=lambda r: (r.name.lower(), r.system_id or ""))
    if d.sort == "none":
        rows = list(rows)
        rng.shuffle(rows)
        return rows
    return sorted(rows, key=lambda r: (r.system_id is None, r.system_id or "", r.name))


def write_all(out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[tuple[Dept, list[Row]]]] = {}
    counts: dict[str, int] = {}
    for d in DEPTS.values():
        rows = build_department(d)
        assert 40 <= len(rows) <= 150, (d.key, len(rows))
        counts[d.key] = len(rows)
        files.setdefault(d.file, []).append((d, rows))
    for filename, parts in files.items():
        first = parts[0][0]
        rng = random.Random(f"{SEED}:order:{filename}")
        with open(out / filename, "w", encoding=first.encoding, newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=[h for h, _ in first.columns],
                                    quoting=first.quoting, lineterminator=first.lineterminator)
            writer.writeheader()
            for d, rows in parts:
                for row in _sorted(d, rows, rng):
                    writer.writerow(render(d, row))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent.parent / "inventories")
    args = parser.parse_args()
    counts = write_all(args.out)
    for key, n in counts.items():
        print(f"{DEPTS[key].file:34} {key:5} {n:4} rows")
    print(f"{'total':40} {sum(counts.values()):4} rows")


if __name__ == "__main__":
    main()
