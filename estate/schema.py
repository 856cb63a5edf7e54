"""The canonical inventory schema: fields, header synonyms and value parsers.

Every department exports its own column headers and value habits. The loader maps them
onto the fields below; the later stages only ever see these names and these types.

The systems table that ``estate.load`` produces has one row per input data row and these
columns (pandas dtypes in brackets):

- the canonical fields of :data:`FIELDS` (``users`` is ``Int64``, ``annual_cost`` is
  ``Float64`` in pounds per year, ``contract_end`` is ``datetime64``, ``integrates_with``
  and ``data_domains`` hold a ``tuple`` of strings, every other field is text, missing
  values are ``<NA>``/``NaT``/empty tuple);
- ``department`` (always set), ``system_key`` (``DEPARTMENT:SYSTEM_ID``, unique across the
  whole estate), ``source_file``, ``source_sheet`` (or ``<NA>``), ``source_line``
  (1-based physical line of the row in its file), ``status`` (``analysed`` or
  ``quarantined``), ``status_reason`` (why a row is quarantined, else ``<NA>``),
  ``extra`` (a JSON object text of the unmapped columns of that row, ``{}`` if none).

Value parsers take one raw text and return a :class:`Parsed`; the loader applies them to
the *unique* raw strings of a field over every file at once (:func:`parse_unique`) and
maps the results back, so a million rows with a few thousand distinct costs cost a few
thousand parses. A value that cannot be read becomes missing plus a problem code; it
never becomes a wrong number.

Readings worth knowing (documented choices):

- Costs are pounds per year. ``£12,500``, ``12.5k``, ``GBP 1,200.00``, ``£1.2m``,
  ``12,500 p.a.``, ``approx 64k`` are read; a monthly figure (``£100 per month``, ``pcm``) is multiplied
  by 12 and noted. Accounting negatives ``(1,200)`` and ``-1200`` are credits, not annual
  costs: they become missing with a ``negative-cost`` error. Other currencies (``$``,
  ``€``, ``USD``) are not converted (``unparsable-cost``). Thousands separators must be
  well formed (``12,50`` is refused rather than guessed). A header such as ``Cost (£k)``
  scales the column by 1,000 (:func:`header_scale`).
- User counts: ``1,200``, ``~300``, ``c. 300``, ``300+``, ``>300``, ``1.2k`` are read as
  the number written; ranges (``100-200``) and words are refused.
- Dates are day-first (UK): ISO ``2027-03-31``, ``31/03/2027``, ``31/03/27``,
  ``31 Mar 2027``, ``31-Mar-27``. A partial date resolves to the END of the period it
  names, because a contract runs until then, and is noted (``partial-date``):
  ``Mar-27``/``March 2027``/``03/2027``/``2027-03`` -> 2027-03-31, ``Q1 2027`` ->
  2027-03-31, ``2027`` -> 2027-12-31, UK financial years ``FY2026/27``/``2026-27`` ->
  2027-03-31. Five-digit numbers in a date column are Excel serial days (noted).
  ``rolling``/``perpetual``/``ongoing`` mean no end date: missing, noted. Years outside
  1900-2200 (``9999-12-31`` placeholders) and month-first dates are refused.
- Classifications are read loosely (``Official Sensitive``, ``OFFSEN``, ``O-S``, ``OS``,
  ``TS``); handling descriptors after the marking (``OFFICIAL-SENSITIVE: COMMERCIAL``)
  are ignored. Pre-2014 markings ``UNCLASSIFIED``/``PROTECT``/``RESTRICTED`` read as
  OFFICIAL with a warning; ``CONFIDENTIAL`` could be OFFICIAL or SECRET and is refused.
- Lists (``integrates_with``, ``data_domains``) split on ``;``, ``,``, ``|`` and newlines.
- Placeholders (``n/a``, ``-``, ``unknown``, ``TBC``, ``#N/A`` ...) are missing values in
  every field but ``notes``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import chain, repeat
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text | int | cost | date | list | classification
    description: str
    required: bool = False


FIELDS: tuple[Field, ...] = (
    Field("system_id", "text", "The department's own identifier for the system.", True),
    Field("name", "text", "The system's name as the department knows it.", True),
    Field("department", "text", "Owning department; a column or taken from the file name."),
    Field("vendor", "text", "Supplier or vendor."),
    Field("product", "text", "The product the system is an instance of."),
    Field("version", "text", "Product version or edition."),
    Field("capability", "text", "The business capability the system provides."),
    Field("instance", "text", "Tenant or instance identifier, e.g. dwp.onmicrosoft.com."),
    Field("hosting", "text", "Hosting model: SaaS, public cloud, on-premises, ..."),
    Field("region", "text", "Hosting region or country (sovereignty)."),
    Field("users", "int", "Number of users."),
    Field("annual_cost", "cost", "Annual cost in pounds."),
    Field("contract_end", "date", "Contract end or renewal date."),
    Field("lifecycle", "text", "Lifecycle stage: live, invest, retiring, retired, ..."),
    Field("classification", "classification",
          "Security classification: OFFICIAL, OFFICIAL-SENSITIVE, SECRET, TOP SECRET."),
    Field("owner", "text", "Business or technical owner."),
    Field("integrates_with", "list",
          "System ids this system exchanges data with; DEPT:ID for another department's."),
    Field("data_domains", "list", "Kinds of data the system holds, e.g. birth records."),
    Field("notes", "text", "Free text."),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

PROVENANCE_COLUMNS: tuple[str, ...] = (
    "system_key", "source_file", "source_sheet", "source_line", "status", "status_reason",
    "extra",
)

CLASSIFICATIONS: tuple[str, ...] = ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET")

CLASSIFICATION_TIER: dict[str, str] = {
    "OFFICIAL": "OFFICIAL",
    "OFFICIAL-SENSITIVE": "OFFICIAL",
    "SECRET": "SECRET",
    "TOP SECRET": "TOP SECRET",
}
"""Systems may only be consolidated within one tier: OFFICIAL-SENSITIVE is a handling
caveat within OFFICIAL, while SECRET and TOP SECRET need separate accredited platforms."""


# --------------------------------------------------------------------------- headers

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "system_id": (
        "System ID", "ID", "Sys ID", "sys_id", "App ID", "Application ID", "Asset ID",
        "Asset Tag", "Asset Number", "Asset Ref", "Ref", "Reference", "Ref No",
        "System Ref", "System Reference", "Application Ref", "Application Reference",
        "App Ref", "CMDB ID", "CMDB Ref", "CI ID", "CI Number", "Configuration Item ID",
        "Identifier", "UID", "Unique ID", "Record ID", "Service ID", "Inventory ID",
        "System Code", "App Code", "Application Code", "System Number", "Application Number",
        "Item ID", "Key", "System Key", "Application Key",
    ),
    "name": (
        "Name", "System Name", "System", "Application Name", "Application", "App Name", "App",
        "Service Name", "Title", "Display Name", "Application Title", "System Title",
        "Asset Name", "CI Name", "Configuration Item", "Configuration Item Name",
        "Solution", "Solution Name", "IT System", "IT System Name", "Business Application",
        "Business Application Name", "Application/System", "System/Application",
        "Service/System", "Common Name", "Service",
    ),
    "department": (
        "Department", "Dept", "Department Name", "Dept Name", "Owning Department",
        "Organisation", "Organisation Name", "Org", "Org Name", "Owning Organisation",
        "Owning Org", "Body", "Public Body", "Agency", "Ministry", "Government Department",
        "Department/Agency", "Department Code", "Dept Code", "Org Code",
    ),
    "vendor": (
        "Vendor", "Vendor Name", "Supplier", "Supplier Name", "Manufacturer", "Publisher",
        "Provider", "Service Provider", "Software Vendor", "Software Supplier",
        "Software Publisher", "Company", "Contractor", "Vendor/Supplier", "Supplier/Vendor",
        "Third Party Supplier", "Make",
    ),
    "product": (
        "Product", "Product Name", "Software", "Software Product", "Software Name",
        "Software Package", "Platform", "Technology", "Technology Product", "Package",
        "COTS Product", "Product/Platform", "Product/Service", "Underlying Product",
        "Underlying Platform", "Base Product", "Model",
    ),
    "version": (
        "Version", "Product Version", "Software Version", "Ver", "Version Number",
        "Version No", "Release", "Release Version", "Edition", "Product Edition",
    ),
    "capability": (
        "Capability", "Business Capability", "Capability Area", "Function",
        "Business Function", "Functional Area", "Category", "Service Category",
        "Application Category", "Purpose", "Application Type", "System Type", "App Type",
        "Business Area", "Business Service", "Service Type", "Primary Function",
        "What it does", "Service Area", "Capability Description",
    ),
    "instance": (
        "Instance", "Instance ID", "Instance Name", "Tenant", "Tenant ID", "Tenant Name",
        "Tenancy", "Tenant Domain", "Tenant/Instance", "Instance/Tenant", "Org ID",
        "Subscription", "Subscription ID", "Workspace", "Instance URL", "URL", "Site URL",
        "Domain Name", "Environment ID", "Deployment ID", "Account ID",
    ),
    "hosting": (
        "Hosting", "Hosting Model", "Hosting Type", "Hosting Arrangement", "Hosted",
        "Hosted Where", "Where Hosted", "Deployment", "Deployment Model", "Deployment Type",
        "Delivery Model", "Service Model", "Cloud Model", "Cloud", "Hosting Platform",
        "On Prem/Cloud", "Cloud/On Prem", "SaaS/On Prem",
    ),
    "region": (
        "Region", "Hosting Region", "Hosting Location", "Location", "Data Location",
        "Data Residency", "Residency", "Country", "Hosting Country", "Data Centre",
        "Data Center", "Datacentre", "Sovereignty", "Geography", "Cloud Region",
    ),
    "users": (
        "Users", "User Count", "Number of Users", "No of Users", "Num Users", "Nbr Users",
        "# Users", "Users (approx)", "Approx Users", "Active Users", "Total Users",
        "Licensed Users", "Named Users", "User Base", "Seats", "Licences", "Licence Count",
        "Number of Licences", "Headcount", "Staff Using", "User Numbers",
    ),
    "annual_cost": (
        "Annual Cost", "Cost", "Costs", "Annual Cost (£)", "Cost (£)", "Cost (GBP)",
        "Cost p.a.", "Cost per annum", "Cost per year", "Yearly Cost", "Annual Costs",
        "Licence cost p.a.", "Annual Licence Cost", "Licence Cost", "Licence Costs",
        "Annual Licence Fee", "Licence Fee", "Run Cost", "Annual Run Cost", "Running Cost",
        "Running Costs", "Annual Running Cost", "Annual Spend", "Spend", "Annual Spend (£)",
        "Spend p.a.", "Annual Contract Value", "ACV", "Contract Value p.a.",
        "Annual Contract Cost", "Annual Charge", "Annual Support Cost", "Support Cost",
        "Support and Maintenance Cost", "Total Annual Cost", "Annual TCO", "TCO p.a.",
        "Cost to Run", "Annual Cost to Run", "Price", "Annual Price", "Yearly Spend",
    ),
    "contract_end": (
        "Contract End", "Contract End Date", "Contract Ends", "Contract Expiry",
        "Contract Expiry Date", "Contract Expires", "Contract Renewal",
        "Contract Renewal Date", "Renewal", "Renewal Date", "Next Renewal",
        "Next Renewal Date", "Expiry", "Expiry Date", "Expires", "End Date",
        "Licence Expiry", "Licence Expiry Date", "Licence Renewal", "Licence Renewal Date",
        "Licence End Date", "Term End", "Term End Date", "Agreement End Date",
        "Subscription End", "Subscription End Date", "Contract End/Renewal",
        "End of Contract", "Contract Term End", "Expiry of Contract",
    ),
    "lifecycle": (
        "Lifecycle", "Life Cycle", "Lifecycle Stage", "Lifecycle Status", "Lifecycle Phase",
        "Lifecycle State", "Status", "System Status", "Application Status", "Stage",
        "Operational Status", "State", "TIME", "TIME Category", "Disposition",
        "Strategic Status", "Strategic Position", "Investment Status", "Roadmap Status",
    ),
    "classification": (
        "Classification", "Security Classification", "Classification Level",
        "Protective Marking", "Marking", "Security Marking", "Data Classification",
        "Information Classification", "Info Classification", "Sensitivity",
        "Data Sensitivity", "GSC", "GSC Level", "GSC Marking", "Classification Marking", "Government Security Classification",
        "Govt Security Classification", "Security Level", "Highest Classification",
        "Max Classification",
    ),
    "owner": (
        "Owner", "System Owner", "Business Owner", "Service Owner", "Technical Owner",
        "Product Owner", "Application Owner", "App Owner", "Owned By", "Managed By",
        "IAO", "Information Asset Owner", "Accountable Owner", "Responsible Owner",
        "Responsible", "SRO", "Contact", "Owner Email", "Owner Name", "Custodian",
    ),
    "integrates_with": (
        "Integrates With", "Integrations", "Integration", "Integrated With",
        "Interfaces", "Interfaces With", "Interfaces To", "Interface", "Dependencies",
        "Depends On", "Dependent Systems", "Connected Systems", "Connects To",
        "Linked Systems", "Related Systems", "Upstream/Downstream", "Data Flows",
        "Data Flows To", "Feeds", "Feeds Into", "Integration Points",
    ),
    "data_domains": (
        "Data Domains", "Data Domain", "Data", "Data Held", "Data Types", "Data Type",
        "Data Categories", "Data Category", "Data Subjects", "Information Assets",
        "Information Held", "Information Types", "Personal Data", "Data Sets",
        "Datasets", "Records Held",
    ),
    "notes": (
        "Notes", "Note", "Comments", "Comment", "Remarks", "Description",
        "System Description", "Application Description", "Notes/Comments",
        "Additional Information", "Additional Info", "Other Information", "Other Info",
        "Details", "Free Text",
    ),
}
"""Built-in header synonyms per field. Headers are compared by :func:`header_key`, so
case, spacing, punctuation, British/American spelling and currency marks do not matter."""

_SPELLING = {
    "license": "licence", "licenses": "licences", "licensed": "licenced",
    "organization": "organisation", "organizations": "organisation",
    "organisations": "organisation", "center": "centre", "catalog": "catalogue",
    "dept": "department", "depts": "department", "departments": "department",
    "nbr": "number", "num": "number", "no": "number", "nr": "number", "qty": "number",
    "yr": "year", "yrs": "year", "annually": "annual", "pa": "perannum",
    "sys": "system", "apps": "app", "application": "app", "applications": "app",
    "vendors": "vendor", "suppliers": "supplier", "owners": "owner",
}
# Unit marks dropped from a header when something else is left ("Cost (£k)" -> "cost").
_UNIT_TOKENS = frozenset({"gbp", "k", "m", "000", "000s", "pounds", "sterling", "stg",
                          "inc", "incl", "ex", "exc", "excl", "vat", "est", "estimated",
                          "approx", "approximate", "of"})


@lru_cache(maxsize=8192)
def header_key(text: object) -> str:
    """A comparison key for a column header: lower case letters and digits only.

    ``"Application Name"``, ``"APP_NAME"`` and ``"applicationName"`` share a key, as do
    ``"Annual Cost (£)"`` and ``"annual cost"``.
    """
    s = unicodedata.normalize("NFKC", str(text))
    s = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", s).casefold()  # camelCase -> camel case
    s = s.replace("&", " and ").replace("#", " number ").replace("p.a.", " perannum ")
    tokens = [_SPELLING.get(t, t) for t in re.findall(r"[a-z0-9]+", s)]
    kept = [t for t in tokens if t not in _UNIT_TOKENS]
    return "".join(kept or tokens)


SYNONYM_INDEX: dict[str, str] = {}
"""header_key -> field for every built-in synonym and every field name."""
for _field, _names in HEADER_SYNONYMS.items():
    for _name in (_field, *_names):
        SYNONYM_INDEX.setdefault(header_key(_name), _field)


def resolve_header(text: object) -> str | None:
    """The canonical field a header names by the built-in synonyms, else ``None``."""
    return SYNONYM_INDEX.get(header_key(text))


def header_scale(text: object) -> float:
    """The multiplier a cost header implies: ``Cost (£k)`` -> 1000, ``Spend £m`` -> 1e6."""
    s = unicodedata.normalize("NFKC", str(text)).casefold()
    if re.search(r"£\s*m\b|\bgbp\s*m\b|\(m\)|\bmillions?\b|\b£?mn\b", s):
        return 1e6
    if re.search(r"£\s*k\b|\bk\s*£|\bgbp\s*k\b|\(k\)|£\s*0{3}s?\b|\b0{3}s\b|\bthousands?\b", s):
        return 1e3
    return 1.0


# --------------------------------------------------------------------------- values

@dataclass(frozen=True)
class Parsed:
    """The reading of one raw text.

    ``value`` is ``None`` when nothing usable was read. ``code`` names a problem or a note
    (see :data:`PROBLEM_SEVERITY`); a note can come with a value (``partial-date``).
    """

    value: object = None
    code: str | None = None
    message: str | None = None


PROBLEM_SEVERITY: dict[str, str] = {
    "unparsable-cost": "error",
    "negative-cost": "error",
    "monthly-cost": "warning",
    "unparsable-users": "error",
    "unparsable-date": "error",
    "partial-date": "info",
    "excel-serial-date": "warning",
    "open-ended-date": "info",
    "unparsable-classification": "error",
    "legacy-classification": "warning",
}

MISSING_TOKENS = frozenset({
    "", "-", "--", "---", "n/a", "na", "n.a.", "n.a", "none", "null", "nil", "nan", "?",
    "??", "unknown", "not known", "unk", "tbc", "tbd", "to be confirmed", "#n/a", "#na",
    "not applicable", "not specified", "blank", ".",
})
"""Placeholders read as a missing value (compared after strip and casefold)."""


def is_missing_token(text: str) -> bool:
    return text.strip().casefold() in MISSING_TOKENS


def clean_text(text: str) -> str | None:
    """Strip and collapse white space; placeholders become ``None``."""
    s = " ".join(str(text).split())
    return None if s.casefold() in MISSING_TOKENS else s


_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:\.\d+)?|\.\d+"
_NUMBER_RE = re.compile(rf"^(?P<num>{_NUMBER})\s*(?P<mult>k|m|mn|bn|thousand|million|billion)?$")
_MULTIPLIERS = {None: 1, "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6,
                "bn": 1e9, "billion": 1e9}
_FOREIGN = re.compile(r"[$€¥]|\b(?:usd|eur|euros?|dollars?|aud|cad|chf|jpy)\b")
_POUND = re.compile(r"£|\bgbp\b|\bstg\b|\bpounds?\b|\bsterling\b")
_VAT = re.compile(r"\(?\s*(?:\+|plus|inc\.?|incl\.?|including|ex\.?|excl\.?|excluding)\s*vat\s*\)?")
_YEARLY = re.compile(r"(?:/|\bper\b|\ba\b)?\s*(?:annum|year|yr|pa|p\.a\.?|annually|yearly)\.?$")
_MONTHLY = re.compile(r"(?:/|\bper\b|\ba\b)?\s*(?:month|mth|pcm|pm|p\.m\.?|monthly)\.?$")


def _number(text: str) -> float | None:
    m = _NUMBER_RE.match(text)
    if not m:
        return None
    return float(m["num"].replace(",", "").replace(" ", "")) * _MULTIPLIERS[m["mult"]]


def parse_cost(text: str) -> Parsed:
    """Read an annual cost in pounds (see the module docstring for the readings)."""
    raw = str(text)
    s = unicodedata.normalize("NFKC", raw).strip().casefold()
    if s in MISSING_TOKENS:
        return Parsed()
    if _FOREIGN.search(s):
        return Parsed(None, "unparsable-cost", "a cost in a currency other than pounds is not converted")
    negative = False
    s = _APPROX.sub("", s)
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    s = _VAT.sub(" ", s).strip()
    factor, code, message = 1, None, None
    if _MONTHLY.search(s):
        s = _MONTHLY.sub("", s).strip()
        factor, code, message = 12, "monthly-cost", "a monthly cost, multiplied by 12"
    else:
        s = _YEARLY.sub("", s).strip()
    s = _POUND.sub("", s).strip()
    if s[:1] in "-−":
        negative, s = True, s[1:].strip()
    s = _POUND.sub("", s).strip()
    value = _number(s)
    if value is None or not math.isfinite(value):
        return Parsed(None, "unparsable-cost", "not a cost in pounds")
    if negative and value != 0:
        return Parsed(None, "negative-cost",
                      "a negative amount (a credit) is not an annual cost; left empty")
    return Parsed(value * factor, code, message)


_APPROX = re.compile(r"^(?:~|≈|c\.|c|ca\.?|circa|approx\.?|approximately|about|around|"
                     r"over|under|up to|>=|<=|>|<|\+/-)\s*")
_USER_WORDS = re.compile(r"\s*\+?\s*(?:users?|staff|people|seats?|licences?|licenses?|"
                         r"employees?|named users?|approx\.?)?\s*\+?$")


def parse_users(text: str) -> Parsed:
    """Read a number of users: ``1,200``, ``~300``, ``c. 300``, ``300+``, ``1.2k``."""
    s = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    if s in MISSING_TOKENS:
        return Parsed()
    s = _APPROX.sub("", s)
    s = _USER_WORDS.sub("", s).strip()
    value = _number(s)
    if value is None or not math.isfinite(value) or value != int(value) or value > 1e9:
        return Parsed(None, "unparsable-users", "not a whole number of users")
    return Parsed(int(value))


_MONTHS = {name: i for i, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
    ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
    ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december")), start=1) for name in names}
_MON = "(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_TIME = r"(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?"
_DATE_PATTERNS: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p), kind) for p, kind in (
    (rf"^(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){_TIME}$", "ymd"),
    (r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})$", "ymd"),
    (rf"^(?P<d>\d{{1,2}})[/.\-](?P<m>\d{{1,2}})[/.\-](?P<y>\d{{4}}|\d{{2}}){_TIME}$", "dmy"),
    (rf"^(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[ \-/.]*{_MON}[ \-/.,]*(?P<y>\d{{4}}|\d{{2}})$", "dmy"),
    (rf"^{_MON}[ \-/.]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?[ \-/.]+(?P<y>\d{{4}})$", "dmy"),
    (rf"^{_MON}[ \-/.,']*(?P<y>\d{{4}}|\d{{2}})$", "month"),
    (r"^(?P<m>\d{1,2})[/.\-](?P<y>\d{4})$", "month"),
    (r"^(?P<y>\d{4})[\-/](?P<m>\d{1,2})$", "month-or-fy"),
    (r"^q(?P<q>[1-4])[ \-/]*(?:fy)?(?P<y>\d{4}|\d{2})$", "quarter"),
    (r"^(?P<y>\d{4})[ \-/]*q(?P<q>[1-4])$", "quarter"),
    (r"^fy[ \-]?(?P<y1>\d{4}|\d{2})[ /\-]+(?P<y2>\d{4}|\d{2})$", "fy"),
    (r"^fy[ \-]?(?P<y2>\d{4}|\d{2})$", "fy"),
    (r"^(?P<y>\d{4})$", "year"),
    (r"^(?P<serial>\d{5})(?:\.0+)?$", "serial"),
))
_OPEN_ENDED = frozenset({"rolling", "ongoing", "perpetual", "evergreen", "open", "open-ended",
                         "open ended", "indefinite", "no end date", "no end", "n/a - rolling",
                         "rolling contract", "annual rolling", "monthly rolling"})


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 2000 if y < 70 else 1900
    return y


def _end_of_month(y: int, m: int) -> date:
    return (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1))


def parse_date(text: str) -> Parsed:
    """Read a day-first (UK) date; partial dates resolve to the end of their period."""
    s = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    if s in MISSING_TOKENS:
        return Parsed()
    if s in _OPEN_ENDED:
        return Parsed(None, "open-ended-date", "no end date (open-ended); left empty")
    for pattern, kind in _DATE_PATTERNS:
        m = pattern.match(s)
        if not m:
            continue
        g = m.groupdict()
        try:
            return _date_from(kind, g)
        except ValueError as exc:
            return Parsed(None, "unparsable-date", str(exc))
    return Parsed(None, "unparsable-date", "not a date")


def _date_from(kind: str, g: dict) -> Parsed:
    partial = None
    if kind == "serial":
        n = int(g["serial"])
        if not 20000 <= n <= 80000:
            raise ValueError("not a date")
        d = date(1899, 12, 30) + timedelta(days=n)
        return Parsed(_checked(d), "excel-serial-date", f"an Excel day number, read as {d.isoformat()}")
    if kind == "month-or-fy":
        y, m = int(g["y"]), int(g["m"])
        if len(g["m"]) == 2 and m == (y + 1) % 100 and m > 12:
            kind, g = "fy", {"y1": g["y"], "y2": g["m"]}
        else:
            kind = "month"
    if kind in ("ymd", "dmy"):
        y = _year(g["y"])
        mon = _MONTHS[g["mon"]] if g.get("mon") else int(g["m"])
        day = int(g["d"])
        if not 1 <= mon <= 12:
            hint = " (is it month-first, US style?)" if kind == "dmy" and mon <= 31 and day <= 12 else ""
            raise ValueError(f"month {mon} is not 1-12{hint}")
        d = date(y, mon, day)
    elif kind == "month":
        y = _year(g["y"])
        mon = _MONTHS[g["mon"]] if g.get("mon") else int(g["m"])
        if not 1 <= mon <= 12:
            raise ValueError(f"month {mon} is not 1-12")
        d, partial = _end_of_month(y, mon), "a month"
    elif kind == "quarter":
        y, q = _year(g["y"]), int(g["q"])
        d, partial = _end_of_month(y, 3 * q), "a calendar quarter"
    elif kind == "fy":
        y2 = _year(g["y2"]) if len(g["y2"]) == 4 else _year(g["y2"])
        if g.get("y1") is not None and _year(g["y1"]) + 1 != y2:
            raise ValueError("the financial year's two years are not consecutive")
        d, partial = date(y2, 3, 31), "a UK financial year"
    else:
        d, partial = date(int(g["y"]), 12, 31), "a year"
    d = _checked(d)
    if partial:
        return Parsed(d, "partial-date", f"{partial}, read as its last day {d.isoformat()}")
    return Parsed(d)


def _checked(d: date) -> date:
    if not 1900 <= d.year <= 2200:
        raise ValueError(f"year {d.year} is outside 1900-2200 (a placeholder?)")
    return d


def parse_classification(text: str) -> Parsed:
    """Read a security classification spelled loosely onto :data:`CLASSIFICATIONS`."""
    s = unicodedata.normalize("NFKC", str(text)).strip().upper()
    if s.casefold() in MISSING_TOKENS:
        return Parsed()
    compact = re.sub(r"[^A-Z]", "", re.split(r"[:\[(]", s)[0]) or re.sub(r"[^A-Z]", "", s)
    compact = compact.removeprefix("UK")
    if compact.startswith("TOPSECRET") or compact == "TS":
        return Parsed("TOP SECRET")
    if compact.startswith("SECRET") or compact == "S":
        return Parsed("SECRET")
    if (compact.startswith("OFFICIALSENSITIVE") or compact.startswith("OFFSEN")
            or compact in {"OS", "OFFICIALS", "OSENS", "OFFSENS"}):
        return Parsed("OFFICIAL-SENSITIVE")
    if compact.startswith("OFFICIAL") or compact in {"O", "OFF", "OFFIC"}:
        return Parsed("OFFICIAL")
    if compact in {"UNCLASSIFIED", "UNCLASS", "PROTECT", "RESTRICTED", "NOTPROTECTIVELYMARKED",
                   "NPM", "PROTECTED"}:
        return Parsed("OFFICIAL", "legacy-classification",
                      f"pre-2014 marking {s!r}, read as OFFICIAL")
    if compact == "CONFIDENTIAL":
        return Parsed(None, "unparsable-classification",
                      "legacy marking CONFIDENTIAL is OFFICIAL or SECRET today; state which")
    return Parsed(None, "unparsable-classification",
                  f"not one of {', '.join(CLASSIFICATIONS)}")


_LIST_SPLIT = re.compile(r"[;,|\n\r]+")


def parse_list(text: str) -> Parsed:
    """Split a list cell on ``;``, ``,``, ``|`` or newlines into a tuple of unique items."""
    items = (" ".join(p.split()) for p in _LIST_SPLIT.split(str(text)))
    return Parsed(tuple(dict.fromkeys(i for i in items if i and i.casefold() not in MISSING_TOKENS)))


PARSERS: dict[str, Callable[[str], Parsed]] = {
    "cost": parse_cost,
    "int": parse_users,
    "date": parse_date,
    "classification": parse_classification,
    "list": parse_list,
}
"""Value parser per field kind; text fields use :func:`clean_text`."""


_ODD_SPACE = re.compile(r"[^\S ]|\s\s|^\s|\s$")  # white space clean_text would change


@lru_cache(maxsize=1)
def _space_table() -> np.ndarray:
    """``str.isspace`` of every code point up to U+3000 (none above is white space)."""
    import numpy as np

    return np.array([chr(i).isspace() for i in range(0x3001)], dtype=bool)


def _odd_spaces(values: np.ndarray) -> np.ndarray:
    """Which texts ``_ODD_SPACE`` matches: the same test on all texts at once, as code
    points, instead of one regular-expression search per text."""
    import numpy as np

    n = len(values)
    if not n:
        return np.zeros(0, dtype=bool)
    points = np.frombuffer("\x00".join(values.tolist()).encode("utf-32-le", "surrogatepass"),
                           dtype=np.uint32)
    table = _space_table()
    space = np.zeros(len(points), dtype=bool)
    low = np.flatnonzero(points < len(table))
    space[low] = table[points[low]]
    odd = space & (points != 32)
    odd[:-1] |= space[:-1] & space[1:]  # the separator is not white space
    sizes = np.fromiter(map(len, values), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(sizes[:-1] + 1, out=starts[1:])
    out = np.zeros(n, dtype=bool)
    out[np.searchsorted(starts, np.flatnonzero(odd), side="right") - 1] = True
    filled = np.flatnonzero(sizes)
    out[filled] |= space[starts[filled]] | space[starts[filled] + sizes[filled] - 1]
    return out


def _matches(pattern: re.Pattern, values) -> np.ndarray:
    """Which of ``values`` (texts) ``pattern`` matches; C-level loops, no Python per value."""
    import numpy as np

    return np.fromiter(map(bool, map(pattern, values)), dtype=bool, count=len(values))


_LONGEST_TOKEN = max(map(len, MISSING_TOKENS))


def _fast_text(u: pd.Series) -> pd.Series:
    import numpy as np

    values = u.to_numpy(dtype=object)
    odd = _odd_spaces(values)
    # casefolding never shortens a text: only short ones can be a placeholder
    short = np.flatnonzero(np.fromiter(map(len, values), dtype=np.int64, count=len(values))
                           <= _LONGEST_TOKEN)
    odd[short] |= _matches(MISSING_TOKENS.__contains__,
                           list(map(str.casefold, values[short].tolist())))
    return u.where(~odd)


def _fast_number(pattern: str) -> Callable[[pd.Series], pd.Series]:
    whole = re.compile(pattern).fullmatch
    marks = re.compile(r"[£,]")

    def fast(u: pd.Series) -> pd.Series:
        import numpy as np
        import pandas as pd

        values = u.to_numpy(dtype=object)
        plain = _matches(whole, values)
        digits = np.full(len(values), np.nan, dtype=object)
        digits[plain] = list(map(marks.sub, repeat(""), values[plain]))
        numbers = pd.to_numeric(pd.Series(digits, index=u.index, dtype=object), errors="coerce")
        finite = np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
        return numbers.astype(object).where(plain & finite)
    return fast


_SCALED_COST = re.compile(r"£?([0-9]+(?:\.[0-9]+)?)([kKmM])")


def _fast_cost(u: pd.Series) -> pd.Series:
    """Plain pounds (``12,500``) vectorised, then ``44.5k`` / ``£1.2m`` read the way
    :func:`parse_cost` reads them (the number times 1e3 or 1e6)."""
    import numpy as np

    out = _fast_plain_cost(u)
    values = u.to_numpy(dtype=object)
    scaled = np.flatnonzero(_matches(_SCALED_COST.fullmatch, values) & out.isna().to_numpy())
    if len(scaled):
        parts = [m.groups() for m in map(_SCALED_COST.fullmatch, values[scaled])]
        read = np.array([float(number) * _MULTIPLIERS[unit.lower()] for number, unit in parts])
        finite = np.isfinite(read)  # an endless number is for the full parser to refuse
        out.iloc[scaled[finite]] = read[finite].tolist()
    return out


_MON3 = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DATE_FORMATS = tuple((re.compile(p), f) for p, f in (
    (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"), (r"\d{2}/\d{2}/\d{4}", "%d/%m/%Y"),
    (r"[0-9]{2}\.[0-9]{2}\.[0-9]{4}", "%d.%m.%Y"),
    (rf"[0-9]{{1,2}} {_MON3} [0-9]{{4}}", "%d %b %Y"),
    # two-digit years: 69 is 2069 here but 1969 to strptime, so it takes the full parser
    (rf"[0-9]{{1,2}}-{_MON3}-(?:[0-5][0-9]|6[0-8]|[7-9][0-9])", "%d-%b-%y"),
))


def _fast_date(u: pd.Series) -> pd.Series:
    import numpy as np
    import pandas as pd

    out = pd.Series(None, index=u.index, dtype=object)
    values = u.to_numpy(dtype=object)
    left = np.arange(len(values))  # the formats exclude each other: a match is not retried
    for pattern, fmt in _DATE_FORMATS:
        match = _matches(pattern.fullmatch, values[left])
        if match.any():
            stamps = pd.to_datetime(u.iloc[left[match]], format=fmt, errors="coerce")
            good = stamps.notna() & stamps.dt.year.between(1900, 2200)
            out[good[good].index] = stamps[good].dt.date.to_numpy(dtype=object)
            left = left[~match]
    return out


_LIST_ITEM = re.compile(r"[^\s;,|]+")
_PLAIN_LIST = re.compile(r"[^\s;,|]+(?:\s*[;,|]\s*[^\s;,|]+)*")


def _fast_list(u: pd.Series) -> pd.Series:
    """Lists of one-word items, each once and none a placeholder (``A; B | C``)."""
    import numpy as np
    import pandas as pd

    values = u.to_numpy(dtype=object)
    out = np.full(len(values), None, dtype=object)
    plain = np.flatnonzero(_matches(_PLAIN_LIST.fullmatch, values))
    if len(plain):
        items = list(map(_LIST_ITEM.findall, values[plain]))
        sizes = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        distinct = np.fromiter(map(len, map(set, items)), dtype=np.int64, count=len(items))
        codes, words = pd.factorize(np.array(list(chain.from_iterable(items)), dtype=object))
        placeholder = _matches(MISSING_TOKENS.__contains__, list(map(str.casefold, words)))
        owner = np.repeat(np.arange(len(items)), sizes)
        held = np.bincount(owner, weights=placeholder[codes], minlength=len(items)) > 0
        ok = (sizes == distinct) & ~held
        out[plain[ok]] = np.fromiter(map(tuple, items), dtype=object, count=len(items))[ok]
    return pd.Series(out, index=u.index, dtype=object)


_fast_plain_cost = _fast_number(r"£?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")

FAST_PATH_MIN = 1000
"""Below this many distinct values the plain parser is quicker than the vectorised path."""

FAST_PATHS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "text": _fast_text,
    "cost": _fast_cost,
    "int": _fast_number(r"(?:\d{1,3}(?:,\d{3})+|\d{1,9})"),
    "date": _fast_date,
    "list": _fast_list,
}
"""Vectorised readings of the plainest forms (``12500``, ``2027-03-31``, ``A; B``); what they leave
(``None``) goes through the full parser, so both give the same reading."""


# numpy and pandas are imported inside the functions that use them, so that importing the
# schema (settings and the command line do) stays cheap: `estate --help` needs neither.


def parse_unique(raw: pd.Series, parser: Callable[[str], Parsed],
                 fast: Callable[[pd.Series], pd.Series] | None = None) -> pd.DataFrame:
    """Apply ``parser`` once per unique raw string and map the readings back.

    ``fast`` (optional, from :data:`FAST_PATHS`) reads the plain values vectorised first.
    Returns a frame aligned with ``raw`` with columns ``value`` (object), ``code`` and
    ``message`` (``None`` where the reading is clean or the cell is empty).
    """
    import pandas as pd

    positions, table = read_unique(raw, parser, fast)
    return pd.DataFrame({name: column[positions] for name, column in table.items()},
                        index=raw.index)


def read_unique(raw: pd.Series, parser: Callable[[str], Parsed],
                fast: Callable[[pd.Series], pd.Series] | None = None
                ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The readings of each distinct raw string, and where each row's reading is.

    Returns ``(positions, table)``: ``table`` maps ``value``, ``code`` and ``message`` to
    object arrays with one entry per distinct string plus a last, empty one for missing
    cells; ``table[name][positions]`` is what :func:`parse_unique` returns row by row.
    """
    import numpy as np
    import pandas as pd

    positions, uniques = pd.factorize(raw.astype(object), use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    if pd.api.types.infer_dtype(uniques, skipna=False) not in ("string", "empty") \
            or "\x00" in "".join(uniques):  # numpy's str drops trailing NULs: keep that
        uniques = uniques.astype(str).astype(object)
    return positions, read_distinct(uniques, parser, fast)


def read_distinct(uniques: np.ndarray, parser: Callable[[str], Parsed],
                  fast: Callable[[pd.Series], pd.Series] | None = None
                  ) -> dict[str, np.ndarray]:
    """The readings of distinct texts ``uniques`` (an object array of ``str``).

    Maps ``value``, ``code`` and ``message`` to object arrays with one entry per text
    plus a last, empty one for missing cells (see :func:`read_unique`).
    """
    import numpy as np
    import pandas as pd

    n = len(uniques)
    table = {name: np.empty(n + 1, dtype=object) for name in ("value", "code", "message")}
    todo = range(n)
    if fast is not None and n > FAST_PATH_MIN:
        quick = fast(pd.Series(uniques, dtype=object))
        read = quick.notna().to_numpy()
        table["value"][:n][read] = quick.to_numpy(dtype=object)[read]
        todo = np.flatnonzero(~read).tolist()
    value, code, message = table["value"], table["code"], table["message"]
    for i in todo:  # item by item: tuples must stay single cells
        reading = parser(uniques[i])
        value[i], code[i], message[i] = reading.value, reading.code, reading.message
    return table
