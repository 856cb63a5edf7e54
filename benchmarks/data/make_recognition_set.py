"""Write ``recognition.csv``, the labelled messy name set ``benchmarks/recognition.py`` reads.

The names come from two hand-written lists in this folder:

- ``known_names.txt``: for each catalogue product, names as inventories write them
  (abbreviations, old names, editions, versions, vendor prefixes, tenants);
- ``unknown_names.txt``: names that are *not* catalogue products (bespoke systems,
  near-misses that share a word with a product, vendor-only names, generic words, and
  real products the catalogue does not hold).

Each listed name is kept as written, and a seeded generator adds messy variants the way
exports mangle names: one typo in a longer word, words in another order, an edition or
licence word, a tenant or environment suffix, a version, a department suffix, upper or
lower case. It also fills the vendor and capability columns for some rows (the product's
vendor, an abbreviation, a reseller, "In-house", a capability phrase or an off-taxonomy
one). Every row is labelled with the expected catalogue id, or empty for unknown, and put
in the ``tune`` or the ``test`` half (the threshold is tuned on one half, reported on the
other). Running it again writes the same bytes.

    python benchmarks/data/make_recognition_set.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE.parents[1] / "estate" / "data"
SEED = 20260427

EDITIONS = ["E3", "E5", "Enterprise", "Enterprise Edition", "Professional", "Pro", "Standard",
            "Premium", "Cloud", "Online", "(SaaS)", "Licence", "- Enterprise licence", "Plus",
            "Business", "Essentials", "Subscription", "on-prem", "Hosted"]
TENANTS = ["(tenant: moj)", "- DWP tenant", "[prod]", "(HMRC instance)", "- Production",
           "(UAT)", "- dwp.onmicrosoft.com", "(tenant 2)", "- Test environment",
           "[Live]", "(instance: homeoffice)", "- PROD"]
VERSIONS = ["2019", "v8.2", "12.1", "2016 R2", "v3", "9.4", "2021", "7.x", "R12", "11g"]
DEPARTMENTS = ["- HMRC", "(MoJ)", "- DfE", "(Home Office)", "- NHSE", "(DVLA)", "- Cabinet Office",
               "(Northshire CC)"]
RESELLERS = ["Softcat", "Computacenter", "CDW UK", "Bytes Software Services", "Phoenix Software",
             "Insight Direct", "SCC"]
INTEGRATORS = ["Capgemini", "Kainos", "CGI", "Fujitsu", "Accenture", "Atos", "Sopra Steria",
               "Leidos", "DXC"]
IN_HOUSE = ["In-house", "Bespoke", "Internal", "In house", "Custom build", "Developed in-house"]
OFF_TAXONOMY = ["Benefit claims processing", "Prisoner records", "Driver licensing",
                "Grant payments", "Tax collection", "Vehicle tax", "Probate", "Screening"]
NEIGHBOURS = {c: n for c, n in zip("qwertyuiopasdfghjklzxcvbnm", "wertyuiopqsdfghjkla"
                                   "xcvbnmz")}


def read_lines(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([part.strip() for part in line.split("|")])
    return rows


def catalogue() -> tuple[dict[str, dict], dict[str, list[str]]]:
    with open(CATALOGUE / "products.csv", encoding="utf-8", newline="") as fh:
        products = {r["id"]: r for r in csv.DictReader(fh)}
    with open(CATALOGUE / "capabilities.csv", encoding="utf-8", newline="") as fh:
        caps = {r["id"]: [r["name"], *r["synonyms"].split("|")] for r in csv.DictReader(fh)}
    return products, caps


def typo(name: str, rng: random.Random) -> str | None:
    words = name.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return None
    i = rng.choice(long)
    w = words[i]
    pos = rng.randrange(1, len(w) - 1)
    kind = rng.choice(["swap", "drop", "double", "neighbour"])
    if kind == "swap":
        w = w[:pos] + w[pos + 1] + w[pos] + w[pos + 2:]
    elif kind == "drop":
        w = w[:pos] + w[pos + 1:]
    elif kind == "double":
        w = w[:pos] + w[pos] + w[pos:]
    else:
        c = w[pos].lower()
        w = w[:pos] + NEIGHBOURS.get(c, c) + w[pos + 1:]
    words[i] = w
    return " ".join(words)


def reorder(name: str, rng: random.Random) -> str | None:
    words = name.split(" ")
    if len(words) < 2:
        return None
    if len(words) == 2:
        return f"{words[1]} {words[0]}"
    cut = rng.randrange(1, len(words))
    return " ".join(words[cut:] + words[:cut])


def variant(name: str, rng: random.Random, vendor: str | None) -> tuple[str, str] | None:
    kinds = ["typo", "order", "edition", "tenant", "version", "department", "case", "vendor",
             "punctuation"]
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == "typo":
            out = typo(name, rng)
        elif kind == "order":
            out = reorder(name, rng)
        elif kind == "edition":
            out = f"{name} {rng.choice(EDITIONS)}"
        elif kind == "tenant":
            out = f"{name} {rng.choice(TENANTS)}"
        elif kind == "version":
            out = f"{name} {rng.choice(VERSIONS)}"
        elif kind == "department":
            out = f"{name} {rng.choice(DEPARTMENTS)}"
        elif kind == "case":
            out = name.upper() if rng.random() < 0.5 else name.lower()
        elif kind == "vendor":
            out = f"{vendor} {name}" if vendor and vendor.lower() not in name.lower() else None
        else:
            out = name.replace(" ", rng.choice(["-", "_", "  ", "/"]), 1) if " " in name else None
        if out and out != name:
            return out, kind
    return None


def main() -> None:
    rng = random.Random(SEED)
    products, caps = catalogue()
    rows: list[dict] = []
    for expected, *names in read_lines(HERE / "known_names.txt"):
        if expected not in products:
            raise SystemExit(f"known_names.txt: {expected!r} is not a catalogue product id")
        product = products[expected]
        vendors = [product["vendor"], *filter(None, product["vendor_aliases"].split("|"))]
        for name in names:
            written = [(name, "as-written")]
            for _ in range(2 if rng.random() < 0.35 else 1):
                v = variant(name, rng, rng.choice(vendors))
                if v:
                    written.append(v)
            for raw, kind in written:
                roll = rng.random()
                vendor = (rng.choice(vendors) if roll < 0.35 else rng.choice(RESELLERS)
                          if roll < 0.42 else "")
                roll = rng.random()
                capability = (rng.choice(caps[product["capability"]]) if roll < 0.25
                              else rng.choice(OFF_TAXONOMY) if roll < 0.30 else "")
                rows.append({"raw": raw, "vendor": vendor, "capability": capability,
                             "expected": expected, "kind": kind})
    for kind, name in read_lines(HERE / "unknown_names.txt"):
        written = [(name, kind)]
        for _ in range(2 if rng.random() < 0.6 else 1):
            v = variant(name, rng, None)
            if v:
                written.append((v[0], f"{kind}+{v[1]}"))
        for raw, label in written:
            roll = rng.random()
            if kind == "bespoke":
                vendor = (rng.choice(IN_HOUSE) if roll < 0.25 else rng.choice(INTEGRATORS)
                          if roll < 0.5 else "")
            else:
                vendor = rng.choice(RESELLERS) if roll < 0.1 else ""
            capability = rng.choice(OFF_TAXONOMY) if rng.random() < 0.3 else ""
            rows.append({"raw": raw, "vendor": vendor, "capability": capability,
                         "expected": "", "kind": label})
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for row in rows:
        key = (row["raw"], row["vendor"], row["capability"])
        if key not in seen:
            seen.add(key)
            row["split"] = "tune" if rng.random() < 0.5 else "test"
            unique.append(row)
    with open(HERE / "recognition.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["raw", "vendor", "capability", "expected", "kind", "split"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(unique)
    known = sum(1 for r in unique if r["expected"])
    print(f"wrote {len(unique)} names ({known} known, {len(unique) - known} unknown) "
          f"to {HERE / 'recognition.csv'}")


if __name__ == "__main__":
    main()
