"""Generate a realistic, messy public-sector IT estate of N rows, for benchmarks.

    python benchmarks/generate.py --rows 100000 --out /tmp/estate-100k --seed 1

Writes one CSV per department into ``--out``. Every department exports its inventory its
own way, so the files differ the way real returns do:

- its own column headers (``Application Name`` / ``APP_NAME`` / ``System``; ``Supplier`` /
  ``Vendor``; ``Annual Cost (£)`` / ``Licence cost p.a.`` ...) and its own subset of columns,
  sometimes an extra column the schema does not know;
- its own value habits: costs as ``£12,500``, ``12.5k`` or ``12500.00``; UK, ISO or
  spelled-out dates; loosely spelled classifications (``Official Sensitive``, ``O-S``);
  UTF-8, UTF-8 with BOM, or Windows-1252 with ``£``;
- product names with alias and typo noise (``O365``, ``Micrsoft 365``, ``SFDC``), drawn
  from the packaged catalogue ``estate/data/products.csv`` when it is there, otherwise
  from a built-in list of real products;
- per-department tenants of the multi-tenant products (``dwp.onmicrosoft.com``,
  ``dwp-hr.my.salesforce.com``), bespoke systems with invented names, products no
  catalogue knows, integrations ``ID`` / ``DEPT:ID`` across departments, missing cells
  and a few rows with no id or a repeated id.

The same ``--rows`` and ``--seed`` give the same files, byte for byte. Generation works
on whole columns with numpy, so a million rows take seconds, not minutes.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

CATALOGUE = Path(__file__).resolve().parent.parent / "estate" / "data" / "products.csv"

# vendor, product, capability, aliases, tenant kind, weight (how common across departments)
FALLBACK_PRODUCTS: tuple[tuple[str, str, str, tuple[str, ...], str | None, float], ...] = (
    ("Microsoft", "Microsoft 365", "Productivity and collaboration",
     ("M365", "Office 365", "O365", "MS Office 365", "Microsoft Office 365"), "m365", 10.0),
    ("Microsoft", "Exchange Online", "Email", ("EXO", "Exchange", "MS Exchange Online"), "m365", 4.0),
    ("Microsoft", "Microsoft Teams", "Video conferencing", ("Teams", "MS Teams"), "m365", 4.0),
    ("Microsoft", "SharePoint Online", "Document management", ("SharePoint", "SPO"), "m365", 4.0),
    ("Google", "Google Workspace", "Productivity and collaboration",
     ("G Suite", "GSuite", "Google Apps"), "google", 2.0),
    ("Salesforce", "Salesforce Sales Cloud", "Customer relationship management",
     ("Salesforce", "SFDC", "Sales Cloud", "Salesforce CRM"), "salesforce", 4.0),
    ("Salesforce", "Salesforce Service Cloud", "Customer relationship management",
     ("Service Cloud", "SF Service Cloud"), "salesforce", 2.0),
    ("Microsoft", "Dynamics 365", "Customer relationship management",
     ("MS Dynamics", "Dynamics CRM", "D365", "Microsoft Dynamics CRM"), None, 3.0),
    ("SAP", "SAP S/4HANA", "Enterprise resource planning", ("S4HANA", "SAP S4", "SAP ERP"), None, 1.5),
    ("Oracle", "Oracle E-Business Suite", "Enterprise resource planning",
     ("Oracle EBS", "EBS", "Oracle eBS R12"), None, 1.5),
    ("Oracle", "Oracle Fusion Cloud ERP", "Enterprise resource planning",
     ("Oracle Fusion", "Oracle Cloud ERP"), None, 1.0),
    ("Unit4", "Unit4 ERP", "Enterprise resource planning", ("Agresso", "Unit 4 Business World"), None, 1.0),
    ("Workday", "Workday HCM", "Human resources", ("Workday", "Workday HR"), None, 1.5),
    ("SAP", "SAP SuccessFactors", "Human resources", ("SuccessFactors", "SF HCM"), None, 1.0),
    ("Oracle", "PeopleSoft HCM", "Human resources", ("PeopleSoft", "Oracle PeopleSoft"), None, 0.7),
    ("ServiceNow", "ServiceNow ITSM", "IT service management",
     ("ServiceNow", "SNOW", "Service Now", "Service-Now"), "servicenow", 3.0),
    ("Ivanti", "Ivanti Service Manager", "IT service management", ("Ivanti", "HEAT"), None, 1.0),
    ("Atlassian", "Jira Software", "Work management", ("Jira", "JIRA", "Atlassian Jira"), None, 3.0),
    ("Atlassian", "Confluence", "Knowledge management", ("Atlassian Confluence", "Wiki"), None, 2.0),
    ("Slack", "Slack", "Messaging", ("Slack Enterprise Grid",), None, 1.0),
    ("Zoom", "Zoom", "Video conferencing", ("Zoom Meetings", "Zoom Video"), None, 1.5),
    ("Cisco", "Webex", "Video conferencing", ("Cisco Webex", "WebEx Meetings"), None, 1.0),
    ("Box", "Box", "File sharing", ("Box.com", "Box Enterprise"), None, 0.7),
    ("Dropbox", "Dropbox Business", "File sharing", ("Dropbox",), None, 0.5),
    ("Esri", "ArcGIS", "Geographic information", ("ArcGIS Online", "Esri ArcGIS", "ArcGIS Pro"), None, 1.5),
    ("Tableau", "Tableau", "Business intelligence", ("Tableau Server", "Tableau Desktop"), None, 1.2),
    ("Microsoft", "Power BI", "Business intelligence", ("PowerBI", "MS Power BI"), None, 2.5),
    ("Qlik", "Qlik Sense", "Business intelligence", ("Qlik", "QlikView"), None, 0.8),
    ("Sage", "Sage 200", "Finance", ("Sage", "Sage Accounts"), None, 0.8),
    ("Civica", "Civica APP", "Case management", ("Civica", "Civica Flare"), None, 1.0),
    ("Microsoft", "Azure DevOps", "Software development", ("ADO", "VSTS", "Azure Devops"), None, 1.5),
    ("GitHub", "GitHub Enterprise", "Software development", ("GitHub", "Github Ent"), None, 1.5),
    ("GitLab", "GitLab", "Software development", ("Gitlab EE", "GitLab Premium"), None, 1.0),
    ("Okta", "Okta", "Identity and access management", ("Okta SSO", "Okta Identity Cloud"), None, 0.8),
    ("Microsoft", "Microsoft Entra ID", "Identity and access management",
     ("Azure AD", "AAD", "Azure Active Directory", "Entra"), "m365", 3.0),
    ("Zendesk", "Zendesk", "Customer service", ("Zendesk Suite", "ZenDesk"), None, 0.8),
    ("Genesys", "Genesys Cloud", "Contact centre", ("Genesys", "PureCloud"), None, 1.0),
    ("Amazon Web Services", "Amazon Connect", "Contact centre", ("AWS Connect",), None, 0.5),
    ("Oracle", "Oracle Database", "Database", ("Oracle DB", "Oracle 19c"), None, 1.5),
    ("Microsoft", "SQL Server", "Database", ("MS SQL", "MSSQL", "SQL Svr"), None, 2.0),
    ("Elastic", "Elasticsearch", "Search", ("Elastic", "ELK"), None, 0.7),
    ("Splunk", "Splunk Enterprise", "Security monitoring", ("Splunk",), None, 1.2),
    ("CrowdStrike", "CrowdStrike Falcon", "Endpoint security", ("Falcon", "Crowdstrike"), None, 1.0),
    ("Mimecast", "Mimecast", "Email security", ("Mimecast Email Security",), None, 1.0),
    ("Objective", "Objective ECM", "Records management", ("Objective", "Objective Nexus"), None, 1.0),
    ("OpenText", "OpenText Content Server", "Records management", ("Livelink", "OpenText"), None, 0.7),
    ("DocuSign", "DocuSign eSignature", "Electronic signature", ("DocuSign", "Docusign"), None, 0.8),
    ("Government Digital Service", "GOV.UK Notify", "Notifications", ("Notify", "GOV UK Notify"), None, 1.5),
    ("Government Digital Service", "GOV.UK Pay", "Payments", ("GOV UK Pay", "Pay"), None, 1.0),
    ("Drupal", "Drupal", "Web content management", ("Drupal CMS",), None, 1.0),
    ("WordPress", "WordPress", "Web content management", ("Wordpress", "WP"), None, 1.0),
    ("Microsoft", "Power Apps", "Low-code platform", ("PowerApps", "MS Power Apps"), "m365", 1.5),
    ("Mendix", "Mendix", "Low-code platform", ("Mendix Platform",), None, 0.5),
    ("Blue Prism", "Blue Prism", "Robotic process automation", ("BluePrism", "SS&C Blue Prism"), None, 0.6),
    ("UiPath", "UiPath", "Robotic process automation", ("UI Path", "Uipath Studio"), None, 0.6),
    ("Adobe", "Adobe Acrobat", "Document management", ("Acrobat Pro", "Adobe Acrobat DC"), None, 1.0),
)

TENANT_FORMS = {
    "m365": "{}.onmicrosoft.com",
    "google": "{}.gov.uk",
    "salesforce": "{}.my.salesforce.com",
    "servicenow": "{}.service-now.com",
}

CENTRAL = (
    ("dwp", "Department for Work and Pensions"), ("hmrc", "HM Revenue and Customs"),
    ("dfe", "Department for Education"), ("moj", "Ministry of Justice"), ("ho", "Home Office"),
    ("dhsc", "Department of Health and Social Care"), ("dft", "Department for Transport"),
    ("defra", "Department for Environment, Food and Rural Affairs"),
    ("desnz", "Department for Energy Security and Net Zero"),
    ("dsit", "Department for Science, Innovation and Technology"),
    ("dcms", "Department for Culture, Media and Sport"),
    ("mhclg", "Ministry of Housing, Communities and Local Government"),
    ("fcdo", "Foreign, Commonwealth and Development Office"), ("mod", "Ministry of Defence"),
    ("co", "Cabinet Office"), ("hmt", "HM Treasury"), ("dbt", "Department for Business and Trade"),
    ("ofsted", "Ofsted"), ("dvla", "Driver and Vehicle Licensing Agency"),
    ("dvsa", "Driver and Vehicle Standards Agency"), ("hmpps", "HM Prison and Probation Service"),
    ("hmcts", "HM Courts and Tribunals Service"), ("ukhsa", "UK Health Security Agency"),
    ("nhse", "NHS England"), ("ons", "Office for National Statistics"),
    ("hmlr", "HM Land Registry"), ("ch", "Companies House"), ("metoffice", "Met Office"),
    ("ea", "Environment Agency"), ("ne", "Natural England"), ("cps", "Crown Prosecution Service"),
    ("sfo", "Serious Fraud Office"), ("nca", "National Crime Agency"),
    ("ipo", "Intellectual Property Office"), ("fsa", "Food Standards Agency"),
    ("ofgem", "Ofgem"), ("ofwat", "Ofwat"), ("ofcom", "Ofcom"), ("mhra", "MHRA"),
    ("nice", "NICE"), ("slc", "Student Loans Company"), ("tna", "The National Archives"),
    ("gad", "Government Actuary's Department"), ("ukef", "UK Export Finance"),
    ("hse", "Health and Safety Executive"), ("ofqual", "Ofqual"), ("rpa", "Rural Payments Agency"),
    ("apha", "Animal and Plant Health Agency"), ("mca", "Maritime and Coastguard Agency"),
    ("caa", "Civil Aviation Authority"),
)
TOWNS = (
    "Leeds", "Manchester", "Birmingham", "Bristol", "Liverpool", "Sheffield", "Newcastle",
    "Nottingham", "Leicester", "Coventry", "Bradford", "Cardiff", "Swansea", "Plymouth",
    "Southampton", "Portsmouth", "Reading", "Oxford", "Cambridge", "Norwich", "Ipswich",
    "Exeter", "Derby", "Stoke", "Wolverhampton", "Sunderland", "Hull", "York", "Lincoln",
    "Preston", "Blackpool", "Bolton", "Wigan", "Salford", "Stockport", "Oldham", "Rochdale",
    "Bury", "Wakefield", "Doncaster", "Rotherham", "Barnsley", "Middlesbrough", "Durham",
    "Carlisle", "Lancaster", "Chester", "Warrington", "Luton", "Milton Keynes", "Northampton",
    "Peterborough", "Colchester", "Chelmsford", "Southend", "Brighton", "Hastings",
    "Canterbury", "Maidstone", "Guildford", "Woking", "Slough", "Swindon", "Bath",
    "Gloucester", "Worcester", "Hereford", "Shrewsbury", "Telford", "Stafford", "Walsall",
    "Dudley", "Solihull", "Bournemouth", "Poole", "Salisbury", "Taunton", "Truro",
    "Harrogate", "Scarborough", "Darlington", "Gateshead", "Halifax", "Huddersfield",
    "Kirklees", "Calderdale", "Wirral", "Sefton", "Knowsley", "St Helens", "Tameside",
    "Trafford", "Medway", "Thurrock", "Basildon", "Crawley", "Eastbourne", "Worthing",
)
BODY_KINDS = (("cc", "City Council"), ("nhs", "NHS Trust"), ("police", "Police"),
              ("fire", "Fire and Rescue Service"))

HEADERS: dict[str, tuple[str, ...]] = {
    "system_id": ("System ID", "ID", "App ID", "Application ID", "Ref", "Reference", "SYS_ID",
                  "Asset ID", "CMDB ID", "system_id"),
    "name": ("Name", "System Name", "Application Name", "Application", "APP_NAME", "System",
             "Service name", "System name"),
    "department": ("Department", "Organisation", "Dept", "Owning Department", "ORG"),
    "vendor": ("Vendor", "Supplier", "Manufacturer", "Supplier Name", "VENDOR_NAME", "Provider"),
    "product": ("Product", "Product Name", "Software", "Package", "COTS Product", "PRODUCT"),
    "version": ("Version", "Release", "Edition", "Product version"),
    "capability": ("Capability", "Business Capability", "Function", "Business Function",
                   "Service Area", "Category"),
    "instance": ("Tenant", "Instance", "Tenant ID", "Tenancy", "Instance URL"),
    "hosting": ("Hosting", "Hosting Model", "Hosted", "Deployment", "Hosting Type"),
    "region": ("Region", "Hosting Region", "Data Location", "Data Centre Location", "Country"),
    "users": ("Users", "No. of users", "Number of Users", "User Count", "USERS"),
    "annual_cost": ("Annual Cost (£)", "Annual Cost", "Licence cost p.a.", "Cost per annum",
                    "Yearly Cost", "Run Cost (£/yr)", "ANNUAL_COST_GBP", "Cost"),
    "contract_end": ("Renewal date", "Contract End", "Contract End Date", "Expiry",
                     "Contract expiry", "END_DATE", "Licence Renewal"),
    "lifecycle": ("Lifecycle", "Status", "Lifecycle Stage", "Lifecycle status"),
    "classification": ("Security Classification", "Classification", "Security Level",
                       "Data Classification", "Protective Marking"),
    "owner": ("Owner", "Business Owner", "System Owner", "SRO", "Service Owner",
              "Technical Owner"),
    "integrates_with": ("Integrates With", "Integrations", "Interfaces", "Connected Systems",
                        "INTEGRATES_WITH"),
    "data_domains": ("Data held", "Data Domains", "Data Types", "Personal data held",
                     "Information Assets"),
    "notes": ("Notes", "Comments", "Remarks", "NOTES"),
}
# Share of departments whose export has the column at all (system_id and name: always).
PRESENCE = {
    "department": 0.3, "vendor": 0.8, "product": 0.85, "version": 0.3, "capability": 0.6,
    "instance": 0.55, "hosting": 0.5, "region": 0.3, "users": 0.6, "annual_cost": 0.8,
    "contract_end": 0.65, "lifecycle": 0.4, "classification": 0.7, "owner": 0.5,
    "integrates_with": 0.6, "data_domains": 0.4, "notes": 0.3,
}
EXTRA_HEADERS = ("RAG status", "Last reviewed", "Reviewer comments", "Cost centre", "Spare")

CLASSIFICATION_SPELLINGS = (
    ("OFFICIAL", "Official", "official", "OFF", "Official "),
    ("OFFICIAL-SENSITIVE", "Official Sensitive", "OFFICIAL SENSITIVE", "O-S", "OS",
     "Off-Sen", "official-sensitive"),
    ("SECRET", "Secret", "secret"),
    ("TOP SECRET", "Top Secret", "TS", "top-secret"),
)
CLASSIFICATION_WEIGHTS = (0.7, 0.22, 0.06, 0.02)
HOSTING = ("SaaS", "Cloud (SaaS)", "Public Cloud", "AWS", "Azure", "On-premises", "On Prem",
           "Data centre", "Hybrid", "Crown Hosting")
REGIONS = ("UK", "UK South", "UK West", "EU", "EU West (Ireland)", "US", "United Kingdom")
LIFECYCLE = ("Live", "Live", "Live", "Invest", "Tolerate", "Migrate", "Eliminate", "Retiring",
             "Pilot", "live")
DATA_DOMAINS = ("Personal data", "Financial", "HR records", "Case files", "Payments",
                "Health records", "Criminal records", "Benefits claims", "Tax records",
                "Licences", "Grants", "Geospatial", "Correspondence", "Contracts",
                "Birth records", "Vehicle records", "Pensions", "Procurement")
FIRST = ("Alex", "Sam", "Jo", "Priya", "Mohammed", "Sarah", "David", "Emma", "Tom", "Aisha",
         "Chris", "Rachel", "James", "Fatima", "Owen", "Ruth", "Liam", "Grace", "Ian", "Mei")
LAST = ("Smith", "Jones", "Patel", "Khan", "Williams", "Brown", "Taylor", "Davies", "Evans",
        "Wilson", "Thomas", "Roberts", "Ahmed", "Walker", "Wright", "Green", "Hall", "Wood")
ROLES = ("Head of HR", "CIO", "Finance Director", "Head of Digital", "Service Manager",
         "Head of Operations", "CTO", "Deputy Director", "Chief Data Officer")
NOTES = ("Under review", "Contract extended", "Replacement planned", "See ITHC report",
         "Shared with partner body", "Legacy - no vendor support", "Migrating to cloud",
         "Spend approved", "TBC", "Data migration outstanding")
BESPOKE_QUAL = ("Integrated", "Legacy", "National", "Regional", "Online", "Digital", "Core",
                "Enterprise", "Local", "Shared", "New", "Strategic", "Secure", "Central")
BESPOKE_DOMAIN = (
    ("Benefits", "Case management"), ("Grants", "Grants management"),
    ("Licensing", "Licensing"), ("Permits", "Licensing"), ("Payments", "Payments"),
    ("Casework", "Case management"), ("Complaints", "Case management"),
    ("Inspections", "Case management"), ("Appeals", "Case management"),
    ("Records", "Records management"), ("Correspondence", "Correspondence"),
    ("Booking", "Scheduling"), ("Rostering", "Scheduling"), ("Fleet", "Asset management"),
    ("Estates", "Asset management"), ("Planning", "Planning applications"),
    ("Housing", "Case management"), ("Parking", "Payments"), ("Council Tax", "Revenues"),
    ("Revenues", "Revenues"), ("Debt Recovery", "Revenues"), ("Claims", "Case management"),
    ("Safeguarding", "Case management"), ("Intelligence", "Analytics"),
    ("Reporting", "Business intelligence"), ("Data Warehouse", "Business intelligence"),
    ("Referrals", "Case management"), ("Registration", "Registration"),
    ("Tax", "Revenues"), ("Court", "Case management"), ("Evidence", "Records management"),
    ("Training", "Learning management"), ("Recruitment", "Human resources"),
    ("Expenses", "Finance"), ("Procurement", "Procurement"), ("Contracts", "Procurement"),
    ("Asset", "Asset management"), ("Customer", "Customer relationship management"),
    ("Visitor", "Scheduling"), ("Incident", "IT service management"),
)
BESPOKE_THING = ("System", "Portal", "Database", "Service", "Platform", "Tool", "Hub",
                 "Application", "Manager", "Tracker", "Register", "Gateway")
BESPOKE_VENDORS = ("In-house", "Internal", "In house development", "Capgemini", "CGI",
                   "Kainos", "Deloitte", "Accenture", "TCS", "Sopra Steria", "Made Tech",
                   "Equal Experts", "BJSS", "")
SYLLABLES = ("ca", "se", "flo", "ro", "sta", "ve", "lin", "qu", "ix", "ta", "no", "mi", "zen",
             "tri", "ka", "lo", "pra", "cu", "dex", "vo", "ra", "li", "mo", "tek")
UNKNOWN_SUFFIX = ("", " Pro", " Cloud", " Suite", " 360", " Enterprise", " Online", " Plus")
VENDOR_SUFFIX = (" Ltd", " Limited", " Solutions", " Systems", " Software", " Group")
CAPABILITIES_EXTRA = ("Case management", "Scheduling", "Finance", "Analytics", "Payments")


@dataclass(frozen=True)
class Product:
    vendor: str
    name: str
    capability: str
    aliases: tuple[str, ...]
    tenant: str | None
    weight: float
    vendor_aliases: tuple[str, ...] = ()


def load_products(path: Path = CATALOGUE) -> list[Product]:
    """Products from the packaged catalogue when it is readable, else the built-in list."""
    fallback = [Product(*p) for p in FALLBACK_PRODUCTS]
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        names = _capability_names(path.with_name("capabilities.csv"))
    except Exception:  # missing or mid-edit: a catalogue must not stop a benchmark
        return fallback
    if not {"name", "vendor", "capability"} <= set(frame.columns) or frame.empty:
        return fallback
    known = {a.lower(): p for p in fallback for a in p.aliases}
    known.update({p.name.lower(): p for p in fallback})
    products = []
    for row in frame.to_dict("records"):
        name = row["name"].strip()
        if not name:
            continue
        base = known.get(name.lower())
        vendor = row["vendor"].strip()
        capability = row["capability"].strip()
        vendor_aliases = tuple(a.strip() for a in row.get("vendor_aliases", "").split("|") if a.strip())
        products.append(Product(
            vendor=vendor,
            name=name,
            capability=names.get(capability, capability.replace("-", " ").capitalize()),
            aliases=tuple(a.strip() for a in row.get("aliases", "").split("|") if a.strip()),
            tenant=base.tenant if base else _tenant_kind(name, vendor, row.get("hosting", "")),
            weight=base.weight if base else 0.6,
            vendor_aliases=vendor_aliases,
        ))
    return products or fallback


def _capability_names(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    caps = pd.read_csv(path, dtype=str, keep_default_na=False)
    return dict(zip(caps["id"], caps["name"])) if {"id", "name"} <= set(caps.columns) else {}


def _tenant_kind(name: str, vendor: str, hosting: str) -> str | None:
    low = name.lower()
    if vendor == "Microsoft" and hosting == "saas" and not low.startswith(("dynamics", "azure", "github")):
        return "m365"
    if low.startswith("google workspace"):
        return "google"
    if low.startswith("salesforce"):
        return "salesforce"
    if low.startswith("servicenow"):
        return "servicenow"
    return None


def department_count(rows: int) -> int:
    """About 50 departments at 1,000 rows, doubling per 10x rows, at most 400."""
    wanted = round(50 * (max(rows, 1) / 1000) ** 0.3)
    return int(max(1, min(400, wanted, max(1, rows // 5))))


def departments(n: int) -> list[tuple[str, str]]:
    central = list(CENTRAL)
    local = [(f"{re.sub(r'[^a-z]+', '', t.lower())}-{k}", f"{t} {label}")
             for k, label in BODY_KINDS for t in TOWNS]
    everything = central + local
    while len(everything) < n:
        i = len(everything)
        everything.append((f"body{i:03d}", f"Arm's-length Body {i}"))
    return everything[:n]


def typo(text: str, rng: np.random.Generator) -> str:
    """One keyboard slip: a dropped, doubled, swapped or replaced letter."""
    if len(text) < 4:
        return text.lower()
    i = int(rng.integers(1, len(text) - 1))
    kind = int(rng.integers(4))
    if kind == 0:
        return text[:i] + text[i + 1:]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2:
        return text[:i - 1] + text[i] + text[i - 1] + text[i + 1:]
    return text[:i] + "aeiourstn"[int(rng.integers(9))] + text[i + 1:]


def variant_pool(name: str, aliases: tuple[str, ...], size: int,
                 rng: np.random.Generator) -> list[str]:
    """``size`` spellings of a name; repeats make the canonical form the most common."""
    pool = [name] * (size * 3 // 8)
    forms = list(aliases) or [name]
    pool += [forms[i % len(forms)] for i in range(size // 4)]
    pool += [name.upper(), name.lower(), f" {name}", f"{name} "][: size // 8]
    while len(pool) < size:
        pool.append(typo(name if rng.random() < 0.7 else forms[int(rng.integers(len(forms)))], rng))
    return pool


def _pick(rng: np.random.Generator, values, n: int, p=None) -> np.ndarray:
    arr = np.array(values, dtype=object)
    return arr[rng.choice(len(arr), size=n, p=p)]


def _cost_text(costs: np.ndarray, style: int) -> list[str]:
    if style == 0:
        return [f"£{c:,.0f}" for c in costs]
    if style == 1:
        return [f"{c:.0f}" for c in costs]
    if style == 2:
        return [f"{c:,.2f}" for c in costs]
    if style == 3:
        return [f"£{c / 1e6:.1f}m" if c >= 1e6 else f"{c / 1e3:.1f}k" for c in costs]
    return [f"£{c:.0f}" for c in costs]


DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%Y", "%Y-%m-%d", "%d %b %Y", "%d-%b-%y", "%d.%m.%Y")
VARIANTS = 32


def build_estate(rows: int, seed: int = 0) -> dict[str, tuple[pd.DataFrame, str]]:
    """The estate as ``{file stem: (frame with the department's own headers, encoding)}``."""
    rng = np.random.default_rng(seed)
    products = load_products()
    n_dept = department_count(rows)
    depts = departments(n_dept)
    codes = np.array([c for c, _ in depts], dtype=object)

    weights = rng.lognormal(0.0, 1.0, n_dept)
    sizes = 1 + rng.multinomial(rows - n_dept, weights / weights.sum())
    dept = np.repeat(np.arange(n_dept), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    local = np.arange(rows) - starts[dept]

    kind = rng.choice(3, size=rows, p=[0.6, 0.25, 0.15])  # catalogue, bespoke, unknown product
    cat = kind == 0
    bes = kind == 1
    unk = kind == 2

    # Catalogue products, with each department's own habitual spelling most of the time.
    n_prod = len(products)
    pw = np.array([p.weight for p in products])
    prod = rng.choice(n_prod, size=rows, p=pw / pw.sum())
    name_pool = np.array([s for p in products for s in
                          variant_pool(p.name, p.aliases, VARIANTS, rng)], dtype=object)
    vendor_pool = np.array([s for p in products for s in variant_pool(
        p.vendor or "Unknown", p.vendor_aliases or (p.vendor + " Ltd", p.vendor + " UK"), 8, rng)],
        dtype=object)
    habit = rng.integers(VARIANTS, size=n_dept)
    slot = np.where(rng.random(rows) < 0.5, (habit[dept] + prod * 7) % VARIANTS,
                    rng.integers(VARIANTS, size=rows))
    prod_text = name_pool[prod * VARIANTS + slot]
    slot2 = np.where(rng.random(rows) < 0.5, (habit[dept] + prod * 3) % VARIANTS,
                     rng.integers(VARIANTS, size=rows))
    prod_text2 = name_pool[prod * VARIANTS + slot2]
    vendor_text = vendor_pool[prod * 8 + rng.integers(8, size=rows)]
    canon = np.array([p.name for p in products], dtype=object)[prod]
    capability = np.array([p.capability for p in products], dtype=object)[prod]

    # Products that no catalogue knows, from invented small vendors, reused across departments.
    n_unknown = max(20, rows // 200)
    syl = np.array(SYLLABLES, dtype=object)
    stems = (syl[rng.integers(len(syl), size=n_unknown)] + syl[rng.integers(len(syl), size=n_unknown)]
             + syl[rng.integers(len(syl), size=n_unknown)])
    stems = np.array([s.capitalize() for s in stems], dtype=object)
    unknown_names = stems + _pick(rng, UNKNOWN_SUFFIX, n_unknown)
    unknown_vendors = (np.array([s[:4] for s in stems], dtype=object)
                       + _pick(rng, ("tech", "soft", "ware", "logic", "data"), n_unknown)
                       + _pick(rng, VENDOR_SUFFIX, n_unknown))
    unknown_caps = _pick(rng, [d[1] for d in BESPOKE_DOMAIN] + list(CAPABILITIES_EXTRA), n_unknown)
    zipf = rng.zipf(1.6, size=rows) - 1
    uidx = (zipf + rng.integers(n_unknown)) % n_unknown
    unk_name = unknown_names[uidx]
    unk_name = np.where(rng.random(rows) < 0.1, np.char.upper(unk_name.astype(str)).astype(object),
                        unk_name)

    # Bespoke systems with invented names.
    dom = rng.integers(len(BESPOKE_DOMAIN), size=rows)
    bes_name = (_pick(rng, BESPOKE_QUAL, rows) + " "
                + np.array([d[0] for d in BESPOKE_DOMAIN], dtype=object)[dom] + " "
                + _pick(rng, BESPOKE_THING, rows))
    upper_codes = np.array([c.upper() for c in codes], dtype=object)
    prefixed = rng.random(rows) < 0.3
    bes_name = np.where(prefixed, upper_codes[dept] + " " + bes_name, bes_name)
    bes_cap = np.array([d[1] for d in BESPOKE_DOMAIN], dtype=object)[dom]

    # Tenants: each department runs one to three of each multi-tenant product.
    kinds = sorted(TENANT_FORMS)
    tkind = np.array([kinds.index(p.tenant) if p.tenant in TENANT_FORMS else -1
                      for p in products])[prod]
    n_tenants = 1 + (rng.random((n_dept, len(kinds))) < 0.3) + (rng.random((n_dept, len(kinds))) < 0.1)
    tenant_labels = ("", "-hr", "-dev")
    tenant_pool = np.array([TENANT_FORMS[k].format(c + tenant_labels[t])
                            for c in codes for k in kinds for t in range(3)], dtype=object)
    has_tenant = cat & (tkind >= 0)
    tk = np.maximum(tkind, 0)
    tnum = (rng.random(rows) * n_tenants[dept, tk]).astype(int)
    tenant = np.where(has_tenant, tenant_pool[(dept * len(kinds) + tk) * 3 + tnum], "")

    name = np.where(
        cat,
        np.where(rng.random(rows) < 0.6, prod_text2,
                 np.where(rng.random(rows) < 0.5, upper_codes[dept] + " " + canon,
                          canon + " - " + capability)),
        np.where(bes, bes_name, unk_name))
    product = np.where(cat, prod_text, np.where(unk, unk_name, _pick(
        rng, ("", "", "Bespoke", "In-house", "Custom build", "N/A"), rows)))
    vendor = np.where(cat, vendor_text, np.where(
        unk, unknown_vendors[uidx], _pick(rng, BESPOKE_VENDORS, rows)))
    capability = np.where(cat, capability, np.where(unk, unknown_caps[uidx], bes_cap))
    capability = np.where(rng.random(rows) < 0.2, np.char.lower(capability.astype(str)).astype(object),
                          capability)

    users = np.maximum(1, rng.lognormal(5.5, 1.6, rows)).astype(np.int64)
    per_user = np.where(cat, rng.lognormal(4.0, 0.8, rows), rng.lognormal(3.0, 1.0, rows))
    cost = np.round(users * per_user + np.where(bes, rng.lognormal(11, 1, rows), 0), -1)
    end = (np.datetime64("2024-01-01") + rng.integers(0, 365 * 6, size=rows).astype("timedelta64[D]"))

    cls_level = rng.choice(4, size=rows, p=CLASSIFICATION_WEIGHTS)
    cls_pool = np.array([s for level in CLASSIFICATION_SPELLINGS for s in (level * 8)[:8]], dtype=object)
    classification = cls_pool[cls_level * 8 + rng.integers(8, size=rows)]

    # System ids: each department its own scheme, with gaps in the numbering.
    prefix_forms = ("APP-", "SYS", "{}-", "", "A", "{}-APP-")
    id_prefix = np.array([prefix_forms[int(rng.integers(len(prefix_forms)))].format(c.upper())
                          for c in codes], dtype=object)
    width = rng.integers(3, 6, size=n_dept)
    gaps = np.cumsum(rng.random(rows) < 0.1)
    number = local + 1 + gaps - gaps[starts[dept]]
    system_id = np.empty(rows, dtype=object)
    for d in range(n_dept):
        sl = slice(starts[d], starts[d] + sizes[d])
        nums = pd.Series(number[sl]).astype(str).str.zfill(int(width[d])).to_numpy(dtype=object)
        system_id[sl] = id_prefix[d] + nums
    bad = rng.random(rows)
    dup = (bad < 0.001) & (local > 0)
    system_id[dup] = system_id[np.flatnonzero(dup) - 1]  # a few repeated ids

    integrations = _integrations(rng, rows, dept, sizes, starts, codes, system_id)
    domains = _lists(rng, rows, DATA_DOMAINS, 0.9)
    owner = np.where(rng.random(rows) < 0.3, _pick(rng, ROLES, rows),
                     _pick(rng, FIRST, rows) + " " + _pick(rng, LAST, rows))
    notes = np.where(rng.random(rows) < 0.2, _pick(rng, NOTES, rows), "")
    version = np.where(cat & (rng.random(rows) < 0.6),
                       _pick(rng, ("E3", "E5", "2019", "v10", "12.2", "Enterprise", "Cloud"), rows), "")

    columns = {
        "system_id": system_id, "name": name, "department": codes[dept], "vendor": vendor,
        "product": product, "version": version, "capability": capability, "instance": tenant,
        "hosting": _pick(rng, HOSTING, rows), "region": _pick(rng, REGIONS, rows),
        "lifecycle": _pick(rng, LIFECYCLE, rows), "classification": classification,
        "owner": owner, "integrates_with": integrations, "data_domains": domains, "notes": notes,
    }

    estate: dict[str, tuple[pd.DataFrame, str]] = {}
    for d in range(n_dept):
        sl = slice(starts[d], starts[d] + sizes[d])
        n = int(sizes[d])
        fields = ["system_id", "name"] + [f for f, share in PRESENCE.items() if rng.random() < share]
        style = int(rng.integers(10))
        frame = {}
        for f in fields:
            if f == "users":
                values = users[sl].astype(str).astype(object)
                if rng.random() < 0.3:
                    values = np.array([f"{u:,}" for u in users[sl]], dtype=object)
            elif f == "annual_cost":
                values = np.array(_cost_text(cost[sl], int(rng.integers(5))), dtype=object)
            elif f == "contract_end":
                fmt = DATE_FORMATS[int(rng.integers(len(DATE_FORMATS)))]
                values = pd.Series(end[sl]).dt.strftime(fmt).to_numpy(dtype=object)
            elif f == "integrates_with":
                sep = ("; ", ", ", " | ", ";")[int(rng.integers(4))]
                values = integrations[sl] if sep == "; " else np.array(
                    [v.replace("; ", sep) for v in integrations[sl]], dtype=object)
            else:
                values = columns[f][sl]
            if f != "department":
                rate = (0.0, 0.02, 0.05, 0.15, 0.4)[int(rng.integers(5))]
                rate = min(rate, 0.01) if f in ("system_id", "name") else rate
                values = np.where(rng.random(n) < rate, "", values)
            frame[_header(f, style, rng)] = values
        if rng.random() < 0.2:
            frame[EXTRA_HEADERS[int(rng.integers(len(EXTRA_HEADERS)))]] = _pick(
                rng, ("Green", "Amber", "Red", "", "2024-Q3"), n)
        table = pd.DataFrame(frame)
        if rng.random() < 0.3:  # some exports put the columns in their own order
            order = list(table.columns[:2]) + list(rng.permutation(table.columns[2:]))
            table = table[order]
        encoding = ("utf-8", "utf-8", "utf-8", "utf-8", "utf-8", "utf-8", "utf-8", "utf-8-sig",
                    "cp1252", "cp1252")[int(rng.integers(10))]
        estate[str(codes[d])] = (table, encoding)
    return estate


def _header(field: str, style: int, rng: np.random.Generator) -> str:
    options = HEADERS[field]
    text = options[int(rng.integers(len(options)))]
    if style == 7:
        return text.upper()
    if style == 8:
        return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or text
    if style == 9:
        return text.lower()
    return text


def _integrations(rng, rows, dept, sizes, starts, codes, system_id) -> np.ndarray:
    """``ID`` within the department, ``DEPT:ID`` across, a few to ids nobody lists."""
    count = np.minimum(rng.poisson(0.7, rows), 5)
    source = np.repeat(np.arange(rows), count)
    m = len(source)
    same = rng.random(m) < 0.8
    target = np.where(same, starts[dept[source]] + (rng.random(m) * sizes[dept[source]]).astype(int),
                      rng.integers(rows, size=m))
    text = np.where(same, system_id[target],
                    np.char.upper(codes[dept[target]].astype(str)).astype(object) + ":" + system_id[target])
    dangling = rng.random(m) < 0.01
    text = np.where(dangling, "LEGACY-" + rng.integers(1, 999, size=m).astype(str).astype(object), text)
    keep = (target != source) & (text != "") & (system_id[target] != "")
    source, text = source[keep], text[keep]
    rank = np.arange(len(source)) - np.searchsorted(source, source, side="left")
    out = np.full(rows, "", dtype=object)
    for k in range(int(rank.max(initial=-1)) + 1):
        at = rank == k
        out[source[at]] = text[at] if k == 0 else out[source[at]] + "; " + text[at]
    return out


def _lists(rng, rows, vocab, p_empty) -> np.ndarray:
    first = _pick(rng, vocab, rows)
    second = _pick(rng, vocab, rows)
    two = rng.random(rows) < 0.3
    out = np.where(two & (first != second), first + "; " + second, first)
    return np.where(rng.random(rows) < p_empty * 0.5, "", out)


def write_estate(rows: int, out: Path, seed: int = 0) -> list[Path]:
    """Write the estate's CSV files into ``out`` (created) and return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, (table, encoding) in sorted(build_estate(rows, seed).items()):
        path = out / f"{stem}.csv"
        table.to_csv(path, index=False, encoding=encoding, errors="replace",
                     quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n" if encoding == "cp1252" else "\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="number of data rows in all")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the CSVs to")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    started = time.perf_counter()
    paths = write_estate(args.rows, args.out, args.seed)
    print(f"wrote {args.rows:,} rows in {len(paths)} files to {args.out} "
          f"in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
