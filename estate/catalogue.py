"""The product catalogue and capability taxonomy, shipped as data in the package.

Duplicates can only be found when differently written names are known to be one product
("MS O365 E3", "Office365", "M365") and differently worded capabilities one capability
("Email & Collab", "Productivity suite"). That knowledge lives in two CSV files in
``estate/data`` (documented in ``estate/data/README.md``) rather than in code, so a user
can extend or override it with a file of their own (``--catalogue FILE``).

Catalogue CSV columns (packaged ``products.csv`` and user files alike)::

    id, name, vendor, vendor_aliases, capability, aliases, eol_id, strategic, hosting

Lists (``aliases``, ``vendor_aliases``) are separated by ``|``. A user file may also hold
capability rows: a row whose ``kind`` column is ``capability`` is read with the columns
``id, name, group, synonyms``. A user row with an existing id replaces the packaged row.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from estate.errors import CatalogueError
from estate.files import read_user_text

PRODUCT_COLUMNS: tuple[str, ...] = (
    "id", "name", "vendor", "vendor_aliases", "capability", "aliases", "eol_id",
    "strategic", "hosting",
)
PRODUCT_REQUIRED: tuple[str, ...] = ("id", "name", "vendor", "capability")
CAPABILITY_COLUMNS: tuple[str, ...] = ("id", "name", "group", "synonyms", "description")
CAPABILITY_REQUIRED: tuple[str, ...] = ("id", "name", "group")
HOSTINGS: tuple[str, ...] = ("saas", "cloud", "hybrid", "on-premises", "")
OTHER_PREFIX = "other:"
OTHER_GROUP = "Other (not in taxonomy)"
"""Id prefix and group that normalise gives capability texts the taxonomy lacks
(``other:prisoner-records``); reserved, so no taxonomy id may start with it."""
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}


@dataclass(frozen=True)
class Capability:
    """One capability of the two-level taxonomy (``group`` is the first level)."""

    id: str
    name: str
    group: str
    synonyms: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Product:
    """A product that departments run; ``capability`` is a :class:`Capability` id.

    ``vendor_aliases`` are the other names the vendor appears under in inventories
    (abbreviations, former owners, resellers of record); ``eol_id`` is the product's
    identifier on endoflife.date when it has one; ``strategic`` marks a product that is a
    cross-government default and so a natural consolidation target.
    """

    id: str
    name: str
    vendor: str
    capability: str
    aliases: tuple[str, ...] = ()
    eol_id: str | None = None
    strategic: bool = False
    hosting: str | None = None
    vendor_aliases: tuple[str, ...] = ()
    source: str = "packaged"


@dataclass
class Catalogue:
    """Products and capabilities (sorted by id), lookups by id, and the files read."""

    products: tuple[Product, ...]
    capabilities: tuple[Capability, ...]
    sources: tuple[str, ...] = ()
    overridden: tuple[str, ...] = ()
    products_by_id: dict[str, Product] = field(init=False, repr=False)
    capabilities_by_id: dict[str, Capability] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.products_by_id = {p.id: p for p in self.products}
        self.capabilities_by_id = {c.id: c for c in self.capabilities}

    def capability_of(self, product_id: str) -> Capability:
        return self.capabilities_by_id[self.products_by_id[product_id].capability]

    def aliases(self) -> dict[str, tuple[str, ...]]:
        """Every name and alias (case-folded) -> the ids of the products that use it."""
        index: dict[str, set[str]] = {}
        for p in self.products:
            for text in (p.name, *p.aliases):
                index.setdefault(" ".join(text.casefold().split()), set()).add(p.id)
        return {k: tuple(sorted(v)) for k, v in sorted(index.items())}

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(sorted({c.group for c in self.capabilities}))

    @property
    def vendors(self) -> tuple[str, ...]:
        return tuple(sorted({p.vendor for p in self.products}))


def _split(value: str) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for part in value.split("|"):
        part = " ".join(part.split())
        if part and part.casefold() not in seen:
            seen[part.casefold()] = part
    return tuple(seen.values())


def _read_rows(text: str, source: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Rows with their 1-based physical line numbers; the header must be on line 1."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CatalogueError("the catalogue file is empty", file=source, line=1) from None
    except csv.Error as exc:
        raise CatalogueError(f"not a valid CSV file: {exc}", file=source, line=1) from None
    header = [h.strip().lstrip("\ufeff").strip().lower() for h in header]
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num
    try:
        for values in reader:
            start = line + 1
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(header):
                raise CatalogueError(
                    f"{len(values)} values but the header has {len(header)} columns",
                    file=source, line=start, column=None)
            values = values + [""] * (len(header) - len(values))
            rows.append((start, {h: v.strip() for h, v in zip(header, values)}))
    except csv.Error as exc:
        raise CatalogueError(f"not a valid CSV file: {exc}", file=source,
                             line=reader.line_num) from None
    return header, rows


def _require(row: dict[str, str], columns: tuple[str, ...], source: str, line: int) -> None:
    for col in columns:
        if not row.get(col, "").strip():
            raise CatalogueError("a value is required here", file=source, line=line, column=col)


def _parse_capability(row: dict[str, str], source: str, line: int) -> Capability:
    _require(row, CAPABILITY_REQUIRED, source, line)
    if row["id"].strip().lower().startswith(OTHER_PREFIX):
        raise CatalogueError(f"capability ids starting with {OTHER_PREFIX!r} are reserved for "
                             "capabilities outside the taxonomy", file=source, line=line,
                             column="id")
    return Capability(id=row["id"].strip().lower(), name=row["name"].strip(),
                      group=row["group"].strip(), synonyms=_split(row.get("synonyms", "")),
                      description=row.get("description", "").strip())


def _parse_product(row: dict[str, str], source: str, line: int, origin: str) -> Product:
    _require(row, PRODUCT_REQUIRED, source, line)
    strategic = row.get("strategic", "").strip().lower()
    if strategic not in _TRUE | _FALSE:
        raise CatalogueError(f"strategic must be true or false, not {row['strategic']!r}",
                             file=source, line=line, column="strategic")
    hosting = row.get("hosting", "").strip().lower()
    if hosting not in HOSTINGS:
        raise CatalogueError(
            f"hosting must be one of {', '.join(h for h in HOSTINGS if h)}, not {hosting!r}",
            file=source, line=line, column="hosting")
    return Product(
        id=row["id"].strip().lower(), name=row["name"].strip(), vendor=row["vendor"].strip(),
        capability=row["capability"].strip().lower(), aliases=_split(row.get("aliases", "")),
        eol_id=row.get("eol_id", "").strip() or None, strategic=strategic in _TRUE,
        hosting=hosting or None, vendor_aliases=_split(row.get("vendor_aliases", "")),
        source=origin)


def _check_header(header: list[str], required: tuple[str, ...], source: str) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise CatalogueError(f"missing column(s): {', '.join(missing)}", file=source, line=1,
                             column=missing[0])


def _packaged_text(name: str) -> str:
    return resources.files("estate").joinpath("data", name).read_text(encoding="utf-8")


def _read_user_file(path: Path) -> str:
    return read_user_text(path, "catalogue file", CatalogueError)


@functools.cache
def _packaged() -> tuple[tuple[Capability, ...], tuple[tuple[Product, int], ...]]:
    """The packaged capabilities, and products with their lines, read once per process
    (the files ship with the package and the parsed rows are frozen)."""
    capabilities: dict[str, Capability] = {}
    source = "estate/data/capabilities.csv"
    header, rows = _read_rows(_packaged_text("capabilities.csv"), source)
    _check_header(header, CAPABILITY_REQUIRED, source)
    for line, row in rows:
        cap = _parse_capability(row, source, line)
        capabilities[cap.id] = cap
    products: dict[str, tuple[Product, int]] = {}
    source = "estate/data/products.csv"
    header, rows = _read_rows(_packaged_text("products.csv"), source)
    _check_header(header, PRODUCT_REQUIRED, source)
    for line, row in rows:
        product = _parse_product(row, source, line, "packaged")
        if product.id in products:
            raise CatalogueError(f"duplicate product id {product.id!r}", file=source,
                                 line=line, column="id")
        products[product.id] = (product, line)
    return tuple(capabilities.values()), tuple(products.values())


def load_catalogue(extra: Path | None = None) -> Catalogue:
    """Read the packaged catalogue and merge ``extra`` (a user CSV) over it.

    A user row whose id already exists replaces that product or capability; new ids add
    to it. Every product must name a capability that exists after the merge. Problems
    raise :class:`CatalogueError` naming the file, line and column.
    """
    packaged_caps, packaged_products = _packaged()
    capabilities: dict[str, Capability] = {c.id: c for c in packaged_caps}
    products: dict[str, Product] = {p.id: p for p, _ in packaged_products}
    lines: dict[str, tuple[str, int]] = {p.id: ("estate/data/products.csv", line)
                                         for p, line in packaged_products}
    sources = ["estate/data/products.csv", "estate/data/capabilities.csv"]
    overridden: list[str] = []
    if extra is not None:
        source = str(extra)
        header, rows = _read_rows(_read_user_file(Path(extra)), source)
        if "id" not in header:
            raise CatalogueError("missing column(s): id", file=source, line=1, column="id")
        seen: set[tuple[str, str]] = set()
        for line, row in rows:
            kind = row.get("kind", "").strip().lower() or "product"
            if kind not in ("product", "capability"):
                raise CatalogueError(f"kind must be product or capability, not {kind!r}",
                                     file=source, line=line, column="kind")
            if kind == "capability":
                item = _parse_capability(row, source, line)
                target: dict = capabilities
            else:
                _check_header(header, PRODUCT_REQUIRED, source)
                item = _parse_product(row, source, line, source)
                target = products
                lines[item.id] = (source, line)
            if (kind, item.id) in seen:
                raise CatalogueError(f"duplicate {kind} id {item.id!r}", file=source,
                                     line=line, column="id")
            seen.add((kind, item.id))
            if item.id in target:
                overridden.append(f"{kind}:{item.id}")
            target[item.id] = item
        sources.append(source)
    for pid, product in products.items():
        if product.capability not in capabilities:
            file, line = lines[pid]
            raise CatalogueError(f"unknown capability {product.capability!r} for product "
                                 f"{pid!r}", file=file, line=line, column="capability")
    return Catalogue(products=tuple(products[k] for k in sorted(products)),
                     capabilities=tuple(capabilities[k] for k in sorted(capabilities)),
                     sources=tuple(sources), overridden=tuple(sorted(overridden)))
