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
"""

from __future__ import annotations

from dataclasses import dataclass


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
