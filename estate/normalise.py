"""Resolve raw vendor, product and capability text to catalogue entries.

Public API (contract shared with the later stages):

``resolve_products(systems, catalogue, settings) -> NormalisedSystems``
    Works on the *unique* raw strings, never row by row, and adds these columns to a copy
    of the systems table: ``product_id`` (catalogue id, ``unrecognised:<slug>`` for a
    group of unknown names that resemble each other, ``<NA>`` when the row names no
    product at all), ``product_name``, ``vendor_name``, ``capability_id``,
    ``capability_name``, ``capability_group``, ``match_stage`` (``exact``, ``tokens``,
    ``fuzzy``, ``unrecognised`` or ``none``), ``match_score`` (0-100) and
    ``match_input`` (the raw text that was matched).

    Two additions: ``match_stage`` is ``bespoke`` (and ``product_id`` ``<NA>``) for a
    system its inventory marks as built in-house, which is never forced onto a product;
    ``capability_source`` says where the capability came from (``column`` when the
    inventory's own capability text gave it, ``catalogue`` when it was taken from the
    matched product, ``<NA>`` when neither).

    Capability text that the taxonomy lacks ("Prisoner records") is handled like unknown
    product names: texts that resemble each other are grouped (see
    :func:`group_other_capabilities`) into one capability ``other:<slug>`` whose
    ``capability_group`` is ``Other (not in taxonomy)``, so that in-house systems doing one
    job under different names still meet in the analysis. A group is used when one of
    its systems has no catalogue product to take a capability from; when all of them run
    catalogue products, each product's own capability stands. Either way one
    ``unrecognised-capability`` finding per group tells the data steward.

``explain(raw, catalogue, settings, vendor=None, capability=None) -> Resolution``
    The same matching for one name, with every stage tried and the best candidates, for
    ``estate explain``.

The text matched is the ``product`` cell, or the ``name`` cell when there is none. A
name that is not a catalogue product, on a row with no product and no vendor written,
names no product (``none``): it is a system's name, not an unknown product's.

Matching runs in stages and the first that answers wins, so a result can always say why
(``estate explain NAME`` prints them):

1. ``exact``: the text equals a catalogue name or alias (ignoring case and spacing).
2. ``tokens``: the text equals an alias once both are normalised: case, punctuation,
   vendor names made canonical (``MS`` -> Microsoft), tenant and environment words,
   version numbers, then edition and licence words (E3, Enterprise, Cloud, ...). Word
   order and spacing (``Office365``) do not matter; a bracketed or dashed part (a
   department, a tenant) may be dropped; a vendor prefix may be dropped. Looser rules
   follow: a product name with only words of its own capability around it
   (``ServiceNow IT Service Management``), a coined brand word with one more word
   (``UiPath Studio``), a multi-word alias with one or two extra words (``Microsoft 365
   MoJ``). Words that make a name something built around a product (``connector``,
   ``migration``, ``macro``) block the loose rules.
3. ``fuzzy``: rapidfuzz ``ratio`` of sorted words and of words run together, against
   catalogue names of a plausible length only (``ratio`` cannot reach the threshold
   across too large a length gap, so lengths are banded before comparing), plus one
   edit (a transposition counts as one) in a word of six letters or more. Every word of
   each side must appear, perhaps misspelt, in the other. Only this stage is subject to
   ``Settings.fuzzy_threshold``.

The inventory's vendor and capability columns then support or veto the match: a vendor
that the catalogue knows as some *other* vendor, or a capability in another taxonomy
group, vetoes a fuzzy match and a match on a short single-word alias (both together veto
any match); a supporting vendor or capability adds a few points to a fuzzy score and
breaks ties. Whatever does not match stays unknown; unknown names that resemble each
other (the same words, or a fuzzy score at the threshold within blocks that share their
first letters) are grouped into one ``unrecognised:<slug>`` product so that they still
count as duplicates.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import pickle
import re
import sys
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from estate.arrays import factorize, first_rows, object_array, sorted_unique
from estate.catalogue import OTHER_GROUP, OTHER_PREFIX, Capability, Catalogue, Product
from estate.errors import Finding
from estate.memory import gc_paused
from estate.parallel import Background, split_work, workers
from estate.settings import Settings

STAGE = "normalise"

ADDED_COLUMNS: tuple[str, ...] = (
    "product_id", "product_name", "vendor_name", "capability_id", "capability_name",
    "capability_group", "capability_source", "match_stage", "match_score", "match_input",
)

EDITION_WORDS = frozenset("""
e1 e2 e3 e4 e5 f1 f3 g1 g3 g5 a1 a3 a5 p1 p2 k1 enterprise ent professional pro standard std
premium premier plus business basic essentials edition ed licence license licences licenses
datacenter datacentre
licensed licensing subscription subscriptions subs online cloud saas hosted onprem prem
premise premises ltsc lts cal cals seat seats user users named full the for of and with
on a an by in at via
""".split())
"""Edition, licence, hosting and filler words: never what tells two products apart."""

TENANT_WORDS = frozenset("""
tenant tenants tenancy instance instances environment environments env prod production
nonprod preprod uat dev development test testing staging sandbox org organisation
organization domain estate
""".split())

GENERIC_WORDS = frozenset("""
sales service services marketing office finance financial data database server servers
platform portal system systems case cases manager management records record content access
project projects team mail email chat web hub one connect forms form pay payments search
analytics reporting report reports desktop workspace studio apps app security identity hr
payroll crm erp learning gateway directory monitor monitoring backup documents document files
file meetings meeting phone intranet website wiki engine cloud suite tools tool central core
live insight insights works work flow process network manager admin support help desk
""".split())
"""Single words too common to identify a product once edition words are stripped."""

COMPONENT_WORDS = frozenset("""
integration integrations interface interfaces connector connectors plugin plugins addin
addon add module modules extension extensions api apis feed feeds migration migrations
tool tools bot bots adapter adapters bridge export import sync replica replacement
wrapper front frontend end backend clone mirror training guidance macro macros
spreadsheet spreadsheets script scripts workbook workbooks template templates loader
""".split())
"""Words that make a name something built around a product rather than the product."""

BESPOKE_PHRASES = frozenset("""
in house|inhouse|in house build|in house development|developed in house|bespoke|
bespoke build|bespoke development|internal|internally developed|internal development|
internal build|home grown|homegrown|custom|custom built|custom build|custom development|
own build|self built|self developed|built in house|department|departmental|
locally developed|local build|internally built
""".replace("\n", "").split("|"))
BESPOKE_TOKENS = frozenset({"bespoke", "inhouse", "homegrown"})

_VERSION_DOTTED = re.compile(r"(?<![a-z0-9])v?\d+(?:\.(?:\d+|x))+[a-z]?(?![a-z0-9])")
_APOSTROPHE = re.compile(r"(?<=[a-z0-9])['\u2019](?=[a-z0-9])")
_HYPHEN = re.compile(r"(?<![a-z0-9])([a-z0-9])[-_](?=[a-z0-9])|(?<=[a-z0-9])[-_]([a-z0-9])(?![a-z0-9])")
_SLASH = re.compile(r"([a-z0-9]+)/([a-z0-9]+)")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_VERSION_TOKEN = re.compile(r"^(?:(?:v|r|sp|ver)?\d{1,2}[a-z]?|(?:19|20)\d\d(?:r\d)?|v\d+|r\d+|sp\d+|\d+x)$")
_BRACKETS = re.compile(r"[\(\[\{][^\)\]\}]*[\)\]\}]?")
_VARIANT_MARKS = re.compile(r"[\(\[\{\-\u2013\u2014:|;/]")
"""A text without these characters has no bracketed or dashed part to drop."""
_SEGMENT_SPLIT = re.compile(r"\s+[-\u2013\u2014:|]\s+|\s*[;|]\s*|\s+/\s+")

SCORES = {
    "exact": 100.0, "a": 99.0, "b": 97.0, "sorted": 95.0, "compact": 95.0,
    "vendorless": 94.0, "vendor-column": 93.0, "described": 93.0, "contains": 92.0,
    "brand": 90.0,
}
_BRAND = re.compile(r"[a-z][A-Z]|[A-Za-z]\d|\d[A-Za-z]")
ORDINARY_CAPITALS = frozenset("heat snow trim sits rosa apex moss hana vault".split())
"""Acronyms that are also everyday words, so never a coined product name on their own."""
VARIANT_PENALTY = 4.0
"""Taken off a token-stage score when a bracketed or dashed part had to be dropped."""
FILLER_WORDS = frozenset(
    "system systems platform service services solution software application".split())

CAPABILITY_STOP_WORDS = frozenset("a an and the of for to in on by with at".split())
SPELLINGS = {
    "license": "licence", "licencing": "licensing", "center": "centre", "catalog": "catalogue",
    "program": "programme", "defense": "defence", "enrolment": "enrollment",
}
"""US and UK spellings of words that capability texts use, made one."""
_IZE = re.compile(r"([iy])z(e|ed|er|ing|ation)$")


_TENANT, _VERSION, _EDITION = 1, 2, 4
(_IN_KEYS, _VENDOR_WORD, _VENDOR_START, _VENDOR_PART, _AROUND, _IN_BRAND, _STARTS_CONTAINED,
 _IN_CONTAINED) = (1 << i for i in range(8))
_WORD_KINDS: dict[str, int] = {}
(_R_KEYS, _R_AROUND, _R_VENDOR_ALL, _R_VENDOR_FLAG, _R_COMPONENT, _R_BRAND, _R_STARTS,
 _R_CONTAINED, _R_COMPACT) = (1 << i for i in range(9))


def _word_kinds(tokens: list[str]) -> dict[str, int]:
    """Tenant, version and edition marks of words, kept per distinct word."""
    kinds = _WORD_KINDS
    for t in tokens:
        if t not in kinds:
            if len(kinds) >= 1_000_000:
                kinds.clear()
            kinds[t] = ((_TENANT if t in TENANT_WORDS else 0)
                        | (_VERSION if _VERSION_TOKEN.match(t) else 0)
                        | (_EDITION if t in EDITION_WORDS else 0))
    return kinds


def _forms_of(tokens: list[str], kinds: dict[str, int]
              ) -> tuple[list[str], list[str], list[str], list[str]]:
    """``a0``, ``a``, ``b0`` and ``b`` of one token list (see :meth:`_Matcher.forms`)."""
    a0 = list(dict.fromkeys([t for t in tokens if not kinds[t] & _TENANT]))
    if not any(kinds[t] for t in a0):
        return a0, a0, a0, a0
    a = [t for t in a0 if not kinds[t] & _VERSION]
    return a0, a, [t for t in a0 if not kinds[t] & _EDITION], \
        [t for t in a if not kinds[t] & _EDITION]


def _fold(text: str) -> str:
    if text.isascii():
        return text.casefold()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


@functools.lru_cache(maxsize=1 << 18)
def _exact_key(text: str) -> str:
    return " ".join(_fold(text).split())


def _join_slash(match: re.Match) -> str:
    left, right = match.group(1), match.group(2)
    return left + right if min(len(left), len(right)) <= 2 else f"{left} {right}"


@functools.lru_cache(maxsize=1 << 18)
def _clean(text: str, *, joiners: bool = True) -> str:
    """Lower-case ASCII words: ``&`` is ``and``, dotted versions and punctuation go.

    With ``joiners``, punctuation that glues a short part to a word keeps one word:
    ``S/4HANA``, ``R/3``, ``E-Business``, ``Hyper-V``, ``Analyst's``; longer parts
    (``Exchange/2016``, ``Micro-Focus``) become separate words.
    """
    text = _fold(text)
    if "&" in text or "+" in text:
        text = text.replace("&", " and ").replace("+", " plus ")
    if "." in text:
        text = _VERSION_DOTTED.sub(" ", text)
    if joiners:
        if "'" in text or "\u2019" in text:
            text = _APOSTROPHE.sub("", text)
        if "-" in text or "_" in text:
            text = _HYPHEN.sub(lambda m: m.group(1) or m.group(2), text)
        if "/" in text:
            text = _SLASH.sub(_join_slash, text)
    return _NON_ALNUM.sub(" ", text).strip()


def _slug(text: str) -> str:
    return "-".join(_clean(text, joiners=False).split())[:60] or "unnamed"


def _capability_word(word: str) -> str:
    """One word of a capability text in a form that ignores plurals and spellings."""
    if len(word) >= 5 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) >= 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    word = SPELLINGS.get(word, word)
    return _IZE.sub(r"\1s\2", word) if len(word) > 6 else word


def _capability_key(text: str) -> str:
    """Sorted distinct words of a capability text: ``Licensing of drivers`` is
    ``driver licensing``, like ``Driver Licensing``."""
    words = {_capability_word(w) for w in _clean(text, joiners=False).split()
             if w not in CAPABILITY_STOP_WORDS}
    return " ".join(sorted(words)) or _exact_key(text)


def _readable(text: str) -> str:
    """A capability text as a display name: ``driver licensing`` -> ``Driver licensing``."""
    text = " ".join(text.split())
    if text.islower() or (text.isupper() and len(text.split()) > 1):
        text = text.lower()
        return text[:1].upper() + text[1:]
    return text


@dataclass(frozen=True)
class OtherCapability:
    """A group of capability texts outside the taxonomy that resemble each other."""

    id: str
    name: str
    text: str
    texts: tuple[str, ...]


def group_other_capabilities(texts: list[str], rows: dict[str, int], threshold: float
                             ) -> dict[str, OtherCapability]:
    """Group capability texts that the taxonomy lacks: text -> its group.

    Texts with the same words (ignoring case, punctuation, word order, ``of``/``and``,
    plurals and UK/US spelling) are one group; the rest join when ``fuzz.ratio`` of
    their words reaches ``threshold`` inside blocks (see :func:`_connect`). A group is
    named after its most used text (``rows`` counts them; ties: alphabetical), and its
    id ``other:<slug>`` follows from that text, so the same inputs give the same ids.
    (Between equally used texts, one that starts with a capital letter is preferred.)
    """
    keys = {t: _capability_key(t) for t in sorted(set(texts))}
    numbers = _connect(keys, threshold, word_blocks=True)
    members: dict[int, list[str]] = defaultdict(list)
    for text, number in numbers.items():
        members[number].append(text)
    out: dict[str, OtherCapability] = {}
    used: set[str] = set()
    for number in sorted(members, key=lambda g: min(members[g])):
        group = sorted(members[number])
        text = min(group, key=lambda t: (-int(rows.get(t, 0)), not t[:1].isupper(),
                                         t.casefold(), t))
        base = OTHER_PREFIX + _slug(text)
        cid, n = base, 2
        while cid in used:
            cid, n = f"{base}-{n}", n + 1
        used.add(cid)
        other = OtherCapability(id=cid, name=_readable(text), text=text, texts=tuple(group))
        out.update((t, other) for t in group)
    return out


_BESPOKE_HINT = re.compile("|".join(sorted(
    {max(p.split(), key=len) for p in BESPOKE_PHRASES} | BESPOKE_TOKENS | {"house", "grown"})))
"""One word of every bespoke phrase: a text without any of them cannot be one."""


@functools.lru_cache(maxsize=1 << 16)
def _is_bespoke(text: str | None) -> bool:
    if not text or not _BESPOKE_HINT.search(_fold(text)):
        return False
    cleaned = _clean(text, joiners=False)
    tokens = set(cleaned.split())
    return (cleaned in BESPOKE_PHRASES or bool(tokens & BESPOKE_TOKENS)
            or "in house" in cleaned or "home grown" in cleaned)


@dataclass(frozen=True)
class Candidate:
    """One product a name could be, with the stage and the key that led there."""

    product_id: str
    stage: str
    score: float
    via: str
    key: str = ""


@dataclass
class Step:
    """One stage tried while resolving a name, for ``estate explain``."""

    stage: str
    key: str
    outcome: str


@dataclass
class Resolution:
    """How one raw name resolved: the answer, the stages tried and the runners-up."""

    raw: str
    product: Product | None
    stage: str
    score: float | None
    steps: list[Step] = field(default_factory=list)
    candidates: list[tuple[str, str, float]] = field(default_factory=list)
    vendor: str | None = None
    vendor_name: str | None = None
    capability: Capability | None = None
    capability_source: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class NormalisedSystems:
    """The systems table with the resolved columns, one row per unique input, findings.

    The stages after this one read only ``systems`` and ``findings``; the table of
    ``resolutions`` (for inspection and tests) is put in order when first read."""

    systems: pd.DataFrame
    _resolutions: pd.DataFrame | _UnsortedResolutions = field(repr=False)
    findings: list[Finding]

    @property
    def resolutions(self) -> pd.DataFrame:
        if not isinstance(self._resolutions, pd.DataFrame):
            self._resolutions = self._resolutions.sorted()
        return self._resolutions


@dataclass
class _UnsortedResolutions:
    """The resolutions in the order they were found, and the (distinct texts, code per
    resolution) of the texts they are sorted by, the last first."""

    frame: pd.DataFrame
    keys: list[tuple[np.ndarray, np.ndarray]]

    def sorted(self) -> pd.DataFrame:
        order = np.lexsort([_rank(texts, codes) for texts, codes in self.keys])
        return (self.frame.drop(columns=["capability_id_column"])
                .rename(columns={"capability": "capability_text"})
                .take(order).reset_index(drop=True))


class _Matcher:
    """Indexes of the catalogue's names, built once per run."""

    def __init__(self, catalogue: Catalogue, threshold: float) -> None:
        self.catalogue = catalogue
        self.threshold = float(threshold)
        self._build_vendors()
        self._build_products()
        self._build_capabilities()
        phrases = [k.split() for k in self.vendor_canonical]
        self._word_sets = (
            (_IN_KEYS, self._product_tokens),
            (_VENDOR_WORD, {p[0] for p in phrases if len(p) == 1}
             | {t for t in self._vendor_tokens if " " not in t}),
            (_VENDOR_START, {p[0] for p in phrases if len(p) > 1}),
            (_VENDOR_PART, {t for p in phrases for t in p[1:]}),
            (_AROUND, set().union(*self.cap_words.values(), *self.vendor_words.values())),
            (_IN_BRAND, set(self.brands)),
            (_STARTS_CONTAINED, set(self.contain_by_token)),
            (_IN_CONTAINED, {t for key in self.keys["contain"] for t in key.split()}),
        )
        self._around = {pid: words | self.vendor_words[pid]
                        for pid, words in self.cap_words.items()}
        self._word_flags: dict[str, int] = {}
        self._reject_marks: dict[str, int] | None = None
        self._compact_parts: tuple[dict[str, str], set[str]] = ({}, set())

    # -- vendors ---------------------------------------------------------------
    def _build_vendors(self) -> None:
        cat = self.catalogue
        named_by: dict[str, set[str]] = defaultdict(set)
        for p in cat.products:
            for t in (p.name, *p.aliases):
                named_by[_clean(t)].add(p.id)
        names: dict[str, set[str]] = defaultdict(set)
        per_vendor: dict[str, set[str]] = defaultdict(set)
        self.vendor_products: dict[str, list[str]] = defaultdict(list)
        for p in cat.products:
            self.vendor_products[p.vendor].append(p.id)
            keys = {_clean(p.vendor)} | {_clean(a) for a in p.vendor_aliases}
            keys.discard("")
            per_vendor[p.vendor] |= keys
            for key in keys:
                names[key].add(p.vendor)
        self.vendor_names = dict(names)
        self.product_vendor_keys = {p.id: per_vendor[p.vendor] for p in cat.products}
        canonical = {}
        for key, vendors in names.items():
            if len(vendors) != 1:
                continue
            vendor = next(iter(vendors))
            vendor_key = _clean(vendor)
            products = named_by.get(key, set())
            if key == vendor_key or not products or (
                    len(self.vendor_products[vendor]) == 1
                    and products <= set(self.vendor_products[vendor])):
                canonical[key] = vendor_key
        self.vendor_canonical = canonical
        self._vendor_span = max((len(k.split()) for k in canonical), default=1)
        self._vendor_starts = {k.split()[0] for k in canonical}
        self._forms_cache: dict[str, dict[str, list[str]]] = {}
        self._token_cache: dict[str, list[Candidate]] = {}
        self._relation_cache: dict[tuple, tuple[str, str]] = {}
        self._vendor_tokens = {k for k in set(canonical.values()) | set(canonical)}

    def _canonical_tokens(self, tokens: list[str], drop: bool = False) -> list[str]:
        """Replace vendor names (longest first) by the canonical vendor, or drop them."""
        starts = self._vendor_starts
        if starts.isdisjoint(tokens):
            return list(tokens)
        out: list[str] = []
        i, n = 0, len(tokens)
        while i < n:
            if tokens[i] not in starts:
                out.append(tokens[i])
                i += 1
                continue
            for size in range(min(self._vendor_span, n - i), 0, -1):
                phrase = " ".join(tokens[i:i + size])
                vendor = self.vendor_canonical.get(phrase)
                if vendor is not None:
                    if not drop:
                        out.extend(vendor.split())
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out

    def canonical_vendor(self, text: str | None) -> tuple[str, ...]:
        """Catalogue vendors that ``text`` names (empty when unknown, several if shared)."""
        if not text:
            return ()
        return tuple(sorted(self.vendor_names.get(_clean(text), ())))

    # -- normalisation ------------------------------------------------------------
    def forms(self, text: str) -> dict[str, list[str]]:
        """The token lists a name is looked up by.

        ``a0``: words with vendor names made canonical (``MS`` -> microsoft), tenant and
        environment words and repeated words dropped; ``a``: ``a0`` without version
        numbers; ``b0``/``b``: the same without edition and licence words; ``u*``: the
        same forms without vendor canonicalisation.
        """
        cached = self._forms_cache.get(text)
        if cached is not None:
            return cached
        text = _clean(text)
        cached = self._forms_cache.get(text)
        if cached is not None:
            return cached
        cleaned = text.split()
        canon = self._canonical_tokens(cleaned)
        kinds = _word_kinds(canon if canon == cleaned else canon + cleaned)
        a0, a, b0, b = _forms_of(cleaned, kinds)
        out = {"ua0": a0, "ua": a, "ub0": b0, "ub": b}
        if canon != cleaned:
            a0, a, b0, b = _forms_of(canon, kinds)
        out.update(a0=a0, a=a, b0=b0, b=b)
        if len(self._forms_cache) < 500_000:
            self._forms_cache[text] = out
        return out

    def tokens(self, text: str) -> tuple[list[str], list[str]]:
        """Level A tokens (no versions or tenant words) and level B (no edition words)."""
        f = self.forms(text)
        return f["a"], f["b"]

    def _strip_vendor(self, tokens: list[str]) -> list[str]:
        stripped = self._canonical_tokens(tokens, drop=True)
        stripped = [t for t in stripped if t not in self._vendor_tokens]
        return stripped if stripped != tokens else []

    # -- products -------------------------------------------------------------------
    def _build_products(self) -> None:
        cat = self.catalogue
        self.exact: dict[str, set[str]] = defaultdict(set)
        self.keys: dict[str, dict[str, set[str]]] = {
            k: defaultdict(set) for k in ("a", "b", "sorted_a", "sorted_b", "compact_a",
                                          "compact_b", "contain")}
        vendor_keys = set(self.vendor_names) | set(self.vendor_canonical.values())
        fuzzy: dict[tuple[str, str], set[str]] = defaultdict(set)
        words: dict[tuple[str, str], str] = {}
        for p in cat.products:
            own = {_clean(p.name), " ".join(self.forms(p.name)["a"])}
            sole = len(self.vendor_products[p.vendor]) == 1
            texts = [p.name, *p.aliases]
            if not _clean(p.name).startswith(_clean(p.vendor)):
                texts.append(f"{p.vendor} {p.name}")
            for text in texts:
                self.exact[_exact_key(text)].add(p.id)
                forms = self.forms(text)
                full = " ".join(forms["a0"])
                for level, names in (("a", ("a0", "a", "ua0", "ua")),
                                     ("b", ("b0", "b", "ub0", "ub"))):
                    # equal forms would only add the same entries again
                    for toks in dict.fromkeys(tuple(forms[name]) for name in names):
                        key = " ".join(toks)
                        if not key or (key in vendor_keys and not sole and key not in own
                                       and _exact_key(text) != key):
                            continue
                        if level == "b" and key != full and len(toks) == 1 and (
                                toks[0] in GENERIC_WORDS or len(toks[0]) < 4):
                            continue
                        self.keys[level][key].add(p.id)
                        self.keys[f"sorted_{level}"][" ".join(sorted(toks))].add(p.id)
                        compact = "".join(toks)
                        if len(compact) >= 4:
                            self.keys[f"compact_{level}"][compact].add(p.id)
                            fuzzy[("s", " ".join(sorted(toks)))].add(p.id)
                            fuzzy[("c", compact)].add(p.id)
                            words.setdefault(("c", compact), " ".join(sorted(toks)))
                a0 = forms["a0"]
                if (len(a0) >= 2 and " ".join(a0) not in vendor_keys
                        and any(t not in GENERIC_WORDS and t not in EDITION_WORDS for t in a0)):
                    self.keys["contain"][" ".join(sorted(a0))].add(p.id)
        self.brands: dict[str, set[str]] = defaultdict(set)
        for p in cat.products:
            for text in (p.name, *p.aliases):
                word = text.strip()
                toks = _clean(word).split()
                own_vendor = len(self.vendor_products[p.vendor]) == 1
                if len(toks) == 1 and len(toks[0]) >= 4 and toks[0] not in ORDINARY_CAPITALS and (
                        toks[0] not in vendor_keys or own_vendor) and (
                        _BRAND.search(word) or (word.isupper() and word.isalpha())):
                    self.brands[toks[0]].add(p.id)
        self._product_tokens = {t for kind in ("a", "b") for key in self.keys[kind]
                                for t in key.split()}
        self.contain_by_token: dict[str, list[tuple[frozenset, str]]] = defaultdict(list)
        for key in sorted(self.keys["contain"]):
            toks = key.split()
            rarest = toks[0]
            self.contain_by_token[rarest].append((frozenset(toks), key))
        items = sorted(fuzzy.items())
        self.fuzzy_kind = np.array([k[0] for k, _ in items])
        self.fuzzy_text = [k[1] for k, _ in items]
        self.fuzzy_pids = [tuple(sorted(v)) for _, v in items]
        self.fuzzy_words = [words.get(k, k[1]) for k, _ in items]
        self._edit_choices: dict[int, list[tuple[int, str]]] | None = None

    @staticmethod
    @functools.lru_cache(maxsize=1 << 19)
    def _variants(raw: str) -> tuple[tuple[str, float], ...]:
        """The raw text, then without bracketed parts, then each dashed segment."""
        if not _VARIANT_MARKS.search(raw):
            return ((raw, 0.0),)
        variants: list[tuple[str, float]] = [(raw, 0.0)]
        without = " ".join(_BRACKETS.sub(" ", raw).split())
        if without and without != " ".join(raw.split()):
            variants.append((without, VARIANT_PENALTY))
        segments = [s.strip() for s in _SEGMENT_SPLIT.split(without or raw) if s.strip()]
        if len(segments) > 1:
            variants.extend((s, VARIANT_PENALTY) for s in segments)
        return tuple(variants)

    def _flags(self, tokens: list[str]) -> dict[str, int]:
        """Which of the catalogue's word sets each word belongs to, kept per word."""
        flags = self._word_flags
        for t in tokens:
            if t not in flags:
                if len(flags) >= 1_000_000:
                    flags.clear()
                flags[t] = sum(bit for bit, words in self._word_sets if t in words)
        return flags

    def _cannot_match(self, raw: str) -> bool:
        """True when no exact or token stage can match ``raw``: the checks of
        :meth:`_token_candidates` in the cheapest order, each skipped when the words
        show it cannot succeed (a key lookup needs every word to be a key word), so a
        name with nothing to find costs a few set look-ups. False means only that the
        stages must be tried."""
        if _exact_key(raw) in self.exact:
            return False
        keys = self.keys
        a_keys, b_keys, sorted_a, sorted_b = keys["a"], keys["b"], keys["sorted_a"], keys["sorted_b"]
        compact_a, compact_b = keys["compact_a"], keys["compact_b"]
        for text, _ in self._variants(raw):
            f = self.forms(text)
            a0, a, b = f["a0"], f["a"], f["b"]
            plain = a0 is f["ua0"] or a0 == f["ua0"]
            if a is a0 and b is a0 and plain:
                names: tuple[list[str], ...] = (a0,)
            elif plain:
                names = (a0, a, f["b0"], b)
            else:
                names = (a0, a, f["b0"], b, f["ua0"], f["ua"], f["ub0"], f["ub"])
            flags = self._flags(a0 if plain else a0 + f["ua0"])
            marks = 0
            for t in a0:
                marks |= flags[t]
            for toks in names:
                if not toks:
                    continue
                if marks & _IN_KEYS and all(flags[t] & _IN_KEYS for t in toks):
                    key, ordered = " ".join(toks), " ".join(sorted(toks))
                    if (key in a_keys or key in b_keys or ordered in sorted_a
                            or ordered in sorted_b):
                        return False
                compact = "".join(toks)
                if len(compact) >= 4 and (compact in compact_a or compact in compact_b):
                    return False
            # vendor words can only be dropped when one is a whole vendor name
            vendorish = marks & _VENDOR_WORD or (
                marks & _VENDOR_START and marks & _VENDOR_PART)
            if vendorish:
                for toks in (a, b):
                    stripped = self._strip_vendor(toks)
                    if stripped and all(flags[t] & _IN_KEYS for t in stripped):
                        return False
            if 2 <= len(b) <= 8 and all(flags[t] & (_IN_KEYS | _AROUND) for t in b) \
                    and self._described(b):
                return False
            if marks & _IN_BRAND:
                rest = b if len(b) == 2 or not vendorish else (self._strip_vendor(b) or b)
                if len(rest) == 2 and any(flags[t] & _IN_BRAND for t in rest) \
                        and self._branded(b):
                    return False
            if marks & _STARTS_CONTAINED:
                for toks in ((a0,) if a is a0 else (a0, a)):
                    # a contained name leaves at most two words of the text outside it
                    if 3 <= len(toks) <= 10 and sum(
                            1 for t in toks if not flags[t] & _IN_CONTAINED) <= 2 \
                            and self._contained(toks):
                        return False
        return True

    def _word_marks(self) -> dict[str, int]:
        """Bits of every catalogue word that :meth:`rejected` reads (see there)."""
        marks = self._reject_marks
        if marks is not None:
            return marks
        vendor_all = {w for k in self.vendor_canonical for w in k.split()} | {
            t for t in self._vendor_tokens if " " not in t}
        sets = (
            (_R_KEYS, self._product_tokens),
            (_R_AROUND, set().union(*self.cap_words.values(), *self.vendor_words.values())),
            (_R_VENDOR_ALL, vendor_all),
            (_R_VENDOR_FLAG, {t for bit, words in self._word_sets
                              if bit in (_VENDOR_WORD, _VENDOR_START) for t in words}),
            (_R_COMPONENT, COMPONENT_WORDS),
            (_R_BRAND, set(self.brands)),
            (_R_STARTS, set(self.contain_by_token)),
            (_R_CONTAINED, {t for key in self.keys["contain"] for t in key.split()}),
        )
        marks = defaultdict(int)
        for bit, words in sets:
            for word in words:
                marks[word] |= bit
        self._reject_marks = marks = dict(marks)
        compacts = sorted(set(self.keys["compact_a"]) | set(self.keys["compact_b"]))
        by_gram: dict[str, list[str]] = defaultdict(list)
        short: set[str] = set()
        for key in compacts:
            for gram in {key[i:i + 3] for i in range(len(key) - 2)}:
                by_gram[gram].append(key)
            short |= {key[i:i + n] for n in (1, 2) for i in range(len(key) - n + 1)}
        self._compact_parts = ({g: "\n".join(keys) for g, keys in by_gram.items()}, short)
        return marks

    def _in_compact(self, word: str) -> bool:
        """Whether ``word`` is part of some catalogue name's words run together."""
        by_gram, short = self._compact_parts
        if len(word) < 3:
            return word in short
        return word in by_gram.get(word[:3], "")

    def rejected(self, texts: list[str], contained: bool = True) -> np.ndarray:
        """Per text, True when :meth:`_cannot_match` would be True, decided for all texts
        at once from marks of their distinct words (False means only: not ruled out).

        Every exact or token stage needs something of the words: a key lookup needs each
        word that is not a version or edition word to be a key word; a lookup of the
        words run together needs each of them inside a compact key; dropping a vendor
        needs a vendor word and the other words to be key words; the looser rules need a
        product, brand or contained-name word. A text none of whose variants has what
        any stage needs cannot match; the rest are checked by :meth:`_cannot_match`.
        ``contained=False`` leaves out the ``contains`` rule (for a caller that drops
        such candidates): True then means no other stage can match.
        """
        n = len(texts)
        out = np.zeros(n, dtype=bool)
        if not n:
            return out
        known = self._word_marks()
        exact = self.exact
        pairs_t: list[int] = []
        variant_ids: dict[str, int] = {}
        pairs_v: list[int] = []
        for i, raw in enumerate(texts):
            if _exact_key(raw) in exact:
                continue
            for text, _ in self._variants(raw):
                pairs_t.append(i)
                pairs_v.append(variant_ids.setdefault(text, len(variant_ids)))
        if not pairs_t:
            return out
        words_of = [_clean(text).split() for text in variant_ids]
        # a vendor name may be made canonical: that gives a second word list
        sides = list(words_of)
        side_of_variant = np.arange(len(words_of), dtype=np.int64)
        canon_side = side_of_variant.copy()
        starts = self._vendor_starts
        for v, words in enumerate(words_of):
            if not starts.isdisjoint(words):
                canon = self._canonical_tokens(words)
                if canon != words:
                    canon_side[v] = len(sides)
                    sides.append(canon)
        lengths = np.fromiter(map(len, sides), dtype=np.int64, count=len(sides))
        flat = list(itertools.chain.from_iterable(sides))
        side = np.repeat(np.arange(len(sides), dtype=np.int64), lengths)
        codes, distinct = pd.factorize(np.array(flat, dtype=object)) if flat else (
            np.zeros(0, dtype=np.int64), np.array([], dtype=object))
        kinds = _word_kinds(list(distinct))
        bits = np.fromiter(
            ((kinds[w] << 12) | known.get(w, 0) | (_R_COMPACT if self._in_compact(w) else 0)
             for w in distinct), dtype=np.int64, count=len(distinct))
        row = bits[codes] if len(codes) else np.zeros(0, dtype=np.int64)
        m = len(sides)

        def count(mask: np.ndarray) -> np.ndarray:
            return np.bincount(side[mask], minlength=m)

        def distinct_count(mask: np.ndarray) -> np.ndarray:
            # hashing, not sorting: only how many distinct words each side has counts
            keyed = pd.unique(side[mask] * max(len(distinct), 1) + codes[mask])
            return np.bincount(keyed // max(len(distinct), 1), minlength=m)

        in_a0 = (row & (_TENANT << 12)) == 0
        in_b = in_a0 & ((row & ((_VERSION | _EDITION) << 12)) == 0)
        n_a0, n_b = count(in_a0), count(in_b)
        some = (n_a0 > 0) & (
            (n_b == 0)
            | (count(in_b & ((row & _R_KEYS) == 0)) == 0)
            | (count(in_b & ((row & _R_COMPACT) == 0)) == 0))
        # the looser rules read the canonical words only
        loose = np.zeros(m, dtype=bool)
        any_a0 = lambda bit: count(in_a0 & ((row & bit) != 0)) > 0  # noqa: E731
        loose |= any_a0(_R_VENDOR_FLAG) & (
            count(in_b & ((row & (_R_VENDOR_ALL | _R_KEYS)) == 0)) == 0)
        # distinct words are counted only on the sides the cheaper counts leave open
        described = ((count(in_b & ((row & (_R_KEYS | _R_AROUND)) == 0)) == 0)
                     & (count(in_b & ((row & _R_KEYS) != 0)) > 0)
                     & (count(in_b & ((row & _R_COMPONENT) != 0)) == 0))
        n_b_distinct = distinct_count(in_b & described[side])
        loose |= described & (n_b_distinct >= 2) & (n_b_distinct <= 8)
        loose |= any_a0(_R_BRAND)
        if contained:
            starts = any_a0(_R_STARTS)
            on = starts[side]
            loose |= (starts & (distinct_count(in_a0 & on) >= 3)
                      & (distinct_count(in_b & ((row & _R_CONTAINED) == 0) & on) <= 2))
        variant_open = some[side_of_variant] | some[canon_side] | loose[canon_side]
        open_pairs = variant_open[np.asarray(pairs_v, dtype=np.int64)]
        tried = np.asarray(pairs_t, dtype=np.int64)
        maybe = np.bincount(tried[open_pairs], minlength=n) > 0
        out[tried] = True
        out &= ~maybe
        return out

    def token_candidates(self, raw: str, steps: list[Step] | None = None) -> list[Candidate]:
        """Exact and token-stage candidates of one raw name, best first.

        Stages run over every variant of the name (as written, without brackets, each
        dashed segment) before the next, looser stage is tried. Case never matters, so
        results are kept per lower-cased text (ASCII only: folding other text can change
        its punctuation) while no steps are asked for.
        """
        if steps is not None:
            return self._token_candidates(raw, steps)
        key = raw.lower() if raw.isascii() else raw
        found = self._token_cache.get(key)
        if found is None:
            found = [] if self._cannot_match(raw) else self._token_candidates(raw, None)
            if len(self._token_cache) < 500_000:
                self._token_cache[key] = found
        return list(found)

    def _token_candidates(self, raw: str, steps: list[Step] | None) -> list[Candidate]:
        found: list[Candidate] = []

        def note(stage: str, key: str, pids: set[str], score: float, via: str) -> bool:
            if steps is not None:
                steps.append(Step(stage, key, ", ".join(sorted(pids)) or "no match"))
            for pid in sorted(pids):
                found.append(Candidate(pid, stage, score, via, key))
            return bool(pids)

        exact = self.exact.get(_exact_key(raw), set())
        if note("exact", _exact_key(raw), exact, SCORES["exact"], "alias"):
            return found
        variants = [(text, penalty, self.forms(text)) for text, penalty in self._variants(raw)]
        tried: set[tuple[str, str]] = set()

        def lookup(kind: str, key: str, label: str, score: float) -> bool:
            if not key or (kind, key) in tried:
                return False
            tried.add((kind, key))
            pids = self.keys[kind].get(key, set())
            if pids:
                return note("tokens", f"{label}: {key}", set(pids), score, label)
            return False

        for level, names in (("a", ("a0", "a", "ua0", "ua")), ("b", ("b0", "b", "ub0", "ub"))):
            for text, penalty, forms in variants:
                distinct = list(dict.fromkeys([tuple(forms[name]) for name in names]))
                for toks in distinct:
                    key = " ".join(toks)
                    if level == "b" and lookup("a", key, "b", SCORES["b"] - penalty):
                        return found
                    if lookup(level, key, level, SCORES[level] - penalty):
                        return found
                for toks in distinct:
                    if lookup(f"sorted_{level}", " ".join(sorted(toks)), "sorted",
                              SCORES["sorted"] - penalty):
                        return found
                    compact = "".join(toks)
                    if len(compact) >= 4 and lookup(f"compact_{level}", compact, "compact",
                                                    SCORES["compact"] - penalty):
                        return found
        for text, penalty, forms in variants:
            for name in ("a", "b"):
                toks = self._strip_vendor(forms[name])
                if not toks or (len(toks) == 1 and toks[0] in GENERIC_WORDS):
                    continue
                for kind in ("a", "b"):
                    if lookup(kind, " ".join(toks), "vendorless", SCORES["vendorless"] - penalty):
                        return found
                if lookup("sorted_a", " ".join(sorted(toks)), "vendorless",
                          SCORES["vendorless"] - penalty):
                    return found
        for text, penalty, forms in variants:
            described = self._described(forms["b"])
            if described:
                pids, key = described
                note("tokens", f"named with its capability: {key}", pids,
                     SCORES["described"] - penalty, "described")
                return found
        for text, penalty, forms in variants:
            branded = self._branded(forms["b"])
            if branded:
                pids, key = branded
                note("tokens", f"brand name and one word: {key}", pids,
                     SCORES["brand"] - penalty, "brand")
                return found
        best = None
        for text, penalty, forms in variants:
            for name in ("a0", "a") if forms["a"] != forms["a0"] else ("a0",):
                contained = self._contained(forms[name])
                if contained and (best is None or (contained[1], penalty) < (best[0][1], best[1])):
                    best = (contained, penalty)
        if best is not None:
            (pids, extra, key), penalty = best
            note("tokens", f"contains: {key} (+{extra} word{'s' if extra > 1 else ''})",
                 pids, SCORES["contains"] - 3.0 * (extra - 1) - penalty, "contains")
            return found
        if steps is not None:
            steps.append(Step("tokens", " ".join(variants[0][2]["b"]), "no match"))
        return found

    def _described(self, tokens: list[str]) -> tuple[set[str], str] | None:
        """A product name with only words of its own capability around it:
        ``ServiceNow IT Service Management``, ``PAN-OS firewalls``, ``Okta SSO``."""
        n = len(tokens)
        if n < 2 or n > 8 or self._product_tokens.isdisjoint(tokens) \
                or not COMPONENT_WORDS.isdisjoint(tokens):
            return None
        keys_a, keys_b = self.keys["a"], self.keys["b"]
        for size in (3, 2, 1):
            for start in range(0, n - size + 1):
                key = " ".join(tokens[start:start + size])
                if size == 1 and (key in GENERIC_WORDS or len(key) < 4):
                    continue
                in_a, in_b = keys_a.get(key), keys_b.get(key)
                if not in_a and not in_b:
                    continue
                pids = (in_a or set()) | (in_b or set())
                rest = set(tokens[:start] + tokens[start + size:])
                if not rest:
                    continue
                around = self._around
                fits = {pid for pid in pids if rest <= around[pid]}
                if fits:
                    return fits, f"{key} + {' '.join(sorted(rest))}"
        return None

    def _branded(self, tokens: list[str]) -> tuple[set[str], str] | None:
        """A coined product name (``SystmOne``, ``UiPath``, ``SCCM``: mixed case, capitals
        or digits, never an everyday word) with one more word: ``UiPath Studio``."""
        rest = tokens if len(tokens) == 2 else (self._strip_vendor(tokens) or tokens)
        if len(rest) != 2 or not COMPONENT_WORDS.isdisjoint(rest):
            return None
        hits = [(t, self.brands[t]) for t in rest if t in self.brands]
        if len(hits) != 1:
            return None
        word, pids = hits[0]
        other = rest[1] if rest[0] == word else rest[0]
        return set(pids), f"{word} + {other}"

    def _contained(self, tokens: list[str]) -> tuple[set[str], int, str] | None:
        """A multi-word name inside ``tokens`` with one or two extra words (a department,
        a site): ``Microsoft 365 MoJ``, ``Avaya Aura Contact Center``."""
        n = len(tokens)
        have = set(tokens)
        if n < 3 or n > 10 or have & COMPONENT_WORDS:
            return None
        hits: list[tuple[int, str]] = []
        for token in have:
            for words, key in self.contain_by_token.get(token, ()):
                extra = n - len(words)
                if 1 <= extra <= 2 and words <= have:
                    hits.append((extra, key))
        if not hits:
            return None
        fewest = min(e for e, _ in hits)
        keys = sorted(k for e, k in hits if e == fewest)
        pids = set().union(*(self.keys["contain"][k] for k in keys))
        return pids, fewest, keys[0]

    def _fuzzy_queries(self, raw: str) -> list[tuple[str, str, str]]:
        """(kind, text) strings a raw name is fuzzily compared by: sorted words (``s``)
        and words run together (``c``), of the main variant and of the full text."""
        texts = [raw]
        variants = self._variants(raw)
        if len(variants) > 1:
            texts.append(variants[1][0])
        out: list[tuple[str, str, str]] = []
        for text in texts:
            f = self.forms(text)
            for name in ("b", "ub"):
                if f[name]:
                    out.append(("s", " ".join(sorted(f[name])), " ".join(sorted(f[name]))))
            for name in ("a", "ua", "b", "ub"):
                if f[name]:
                    out.append(("c", "".join(f[name]), " ".join(sorted(f[name]))))
        return list(dict.fromkeys(out))

    @staticmethod
    def _covered(query: str, key: str) -> bool:
        """Every longer word of each side appears, perhaps misspelt, in the other: so a
        missing or extra word (``Idox`` in ``Idox Document Management``) is no typo."""
        qc, kc = query.replace(" ", ""), key.replace(" ", "")
        for words, other in ((query.split(), kc), (key.split(), qc)):
            for w in words:
                if len(w) >= 2 and fuzz.partial_ratio(w, other) < 75:
                    return False
        return True

    def fuzzy_candidates(self, raws: list[str], cutoff: float, top: int = 3
                         ) -> dict[int, list[Candidate]]:
        """Best fuzzy candidates per raw index, comparing within length bands only."""
        if not raws or not self.fuzzy_text:
            return {}
        owner: list[int] = []
        queries: list[tuple[str, str, str]] = []
        for i, raw in enumerate(raws):
            words = self.forms(raw)["ua"]
            if words and not [t for t in self._canonical_tokens(words, drop=True)
                              if t not in self._vendor_tokens]:
                continue
            for q in self._fuzzy_queries(raw):
                owner.append(i)
                queries.append(q)
        owner_arr = np.asarray(owner, dtype=np.int64)
        parts = []
        for kind in ("s", "c"):
            qidx = np.flatnonzero(np.array([q[0] == kind for q in queries], dtype=bool))
            cidx = np.flatnonzero(self.fuzzy_kind == kind)
            if not len(qidx) or not len(cidx):
                continue
            qtexts = [queries[i][1] for i in qidx]
            ctexts = [self.fuzzy_text[j] for j in cidx]
            for rows, cols, scores in _banded_matches(qtexts, ctexts, cutoff):
                parts.append((qidx[rows], cidx[cols], scores))
        parts.extend(self._edit_matches(queries, cutoff))
        if not parts:
            return {}
        qrow = np.concatenate([p[0] for p in parts])
        frame = pd.DataFrame({
            "q": qrow, "row": owner_arr[qrow], "col": np.concatenate([p[1] for p in parts]),
            "score": np.concatenate([p[2] for p in parts]).astype(float)})
        frame = frame.sort_values(["row", "score", "col"], ascending=[True, False, True])
        keep = [self._covered(queries[q][2], self.fuzzy_words[c])
                for q, c in zip(frame["q"].tolist(), frame["col"].tolist())]
        frame = frame[np.asarray(keep, dtype=bool)]
        frame = frame.assign(pid=frame["col"].map(dict(enumerate(self.fuzzy_pids)))).explode("pid")
        frame = frame.drop_duplicates(["row", "pid"]).groupby("row", sort=True).head(top)
        out: dict[int, list[Candidate]] = defaultdict(list)
        for row, pid, score, col in zip(*(frame[c].tolist() for c in ("row", "pid", "score",
                                                                       "col"))):
            out[int(row)].append(Candidate(str(pid), "fuzzy", float(score), "fuzzy",
                                           self.fuzzy_text[col]))
        return out

    def _edit_matches(self, queries: list[tuple[str, str, str]], cutoff: float):
        """Single words of six letters or more one edit (a transposition counts as one)
        away from a catalogue word score 90: ``Splunk`` typed ``Splnuk``."""
        if cutoff > 90:
            return []
        asked = [(i, t) for i, (k, t, _) in enumerate(queries) if k == "c" and len(t) >= 6
                 and t.isalpha()]
        if not asked:
            return []
        by_len = self._edit_choices
        if by_len is None:
            by_len = defaultdict(list)
            for j, (k, t) in enumerate(zip(self.fuzzy_kind.tolist(), self.fuzzy_text)):
                if k == "c" and len(t) >= 6:
                    by_len[len(t)].append((j, t))
            self._edit_choices = by_len
        out = []
        asked_by_len: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for i, t in asked:
            asked_by_len[len(t)].append((i, t))
        for length, group in sorted(asked_by_len.items()):
            near = [c for n in (length - 1, length, length + 1) for c in by_len.get(n, [])]
            if not near:
                continue
            matrix = process.cdist([t for _, t in group], [t for _, t in near],
                                   scorer=OSA.distance, dtype=np.int32, workers=-1,
                                   score_cutoff=1)
            r, c = np.nonzero(matrix == 1)
            if len(r):
                out.append((np.array([group[k][0] for k in r], dtype=np.int64),
                            np.array([near[k][0] for k in c], dtype=np.int64),
                            np.full(len(r), 90, dtype=np.uint8)))
        return out

    # -- capabilities -------------------------------------------------------------
    def _build_capabilities(self) -> None:
        words: dict[str, set[str]] = {}
        for cap in self.catalogue.capabilities:
            words[cap.id] = set(FILLER_WORDS)
            for text in (cap.name, *cap.synonyms):
                words[cap.id] |= set(_clean(text, joiners=False).split()) | set(_clean(text).split())
            words[cap.id] -= {"and", "the", "of", "for"}
        self.cap_words = {p.id: words.get(p.capability, set()) for p in self.catalogue.products}
        self.vendor_words = {p.id: {w for k in self.product_vendor_keys[p.id] for w in k.split()}
                             | set(_clean(p.vendor).split()) for p in self.catalogue.products}
        self.cap_exact: dict[str, set[str]] = defaultdict(set)
        self.cap_norm: dict[str, set[str]] = defaultdict(set)
        for cap in self.catalogue.capabilities:
            for text in (cap.id, cap.name, *cap.synonyms):
                self.cap_exact[_exact_key(text)].add(cap.id)
                self.cap_norm[self._cap_key(text)].add(cap.id)
        self.cap_keys = sorted(k for k in self.cap_norm if k)

    @staticmethod
    def _cap_key(text: str) -> str:
        words = [w for w in _clean(text, joiners=False).split() if w not in ("and", "the", "of")]
        return " ".join(sorted(words))

    def resolve_capability(self, text: str | None) -> tuple[str | None, str | None, float]:
        """(capability id, stage, score) for the inventory's own capability text."""
        if not text or not text.strip():
            return None, None, 0.0
        parts = [text] + [p for p in re.split(r"\s*[;,|/]\s*|\s+-\s+", text) if p.strip()]
        for part in parts:
            ids = self.cap_exact.get(_exact_key(part), set())
            if len(ids) == 1:
                return next(iter(ids)), "exact", 100.0
            ids = self.cap_norm.get(self._cap_key(part), set())
            if len(ids) == 1:
                return next(iter(ids)), "tokens", 98.0
        key = self._cap_key(text)
        if key and self.cap_keys:
            best = process.extractOne(key, self.cap_keys, scorer=fuzz.ratio,
                                      score_cutoff=self.threshold)
            if best is not None:
                ids = self.cap_norm[best[0]]
                if len(ids) == 1:
                    return next(iter(ids)), "fuzzy", float(best[1])
        return None, None, 0.0

    # -- context ------------------------------------------------------------------
    def vendor_relation(self, pid: str, vendor: str | None) -> str:
        """``support``, ``conflict`` (a known vendor of other products) or ``neutral``."""
        if not vendor or not vendor.strip():
            return "neutral"
        key = _clean(vendor)
        if key in self.product_vendor_keys[pid] or _clean(
                self.vendor_canonical.get(key, key)) in self.product_vendor_keys[pid]:
            return "support"
        return "conflict" if key in self.vendor_names else "neutral"

    def capability_relation(self, pid: str, cap_id: str | None) -> str:
        if cap_id is None:
            return "neutral"
        own = self.catalogue.products_by_id[pid].capability
        if own == cap_id:
            return "support"
        caps = self.catalogue.capabilities_by_id
        return "neutral" if caps[own].group == caps[cap_id].group else "conflict"

    def choose(self, candidates: list[Candidate], vendor: str | None, cap_id: str | None,
               notes: list[str] | None = None) -> Candidate | None:
        """The best candidate that the context does not veto, or None."""
        scored: list[tuple[float, Candidate]] = []
        for cand in candidates:
            vrel, crel = self._relations(cand.product_id, vendor, cap_id)
            short = cand.stage != "fuzzy" and self._short_alias(cand)
            veto = ((cand.stage == "fuzzy" and "conflict" in (vrel, crel))
                    or (vrel == "conflict" and crel == "conflict")
                    or (short and "conflict" in (vrel, crel)))
            if veto:
                if notes is not None:
                    why = " and ".join(x for x, r in (("vendor", vrel), ("capability", crel))
                                       if r == "conflict")
                    notes.append(f"{cand.product_id} ({cand.stage} {cand.score:.0f}) vetoed "
                                 f"by the {why} column")
                continue
            bonus = 0.0
            if cand.stage == "fuzzy":
                bonus = (3.0 if vrel == "support" else 0.0) + (2.0 if crel == "support" else 0.0)
            score = min(100.0, cand.score + bonus)
            if cand.stage == "fuzzy" and score < self.threshold:
                continue
            scored.append((score, cand if score == cand.score else Candidate(
                cand.product_id, cand.stage, score, cand.via, cand.key)))
        if not scored:
            return None
        best = max(s for s, _ in scored)
        top = [c for s, c in scored if s == best]
        if len({c.product_id for c in top}) > 1:
            supported = [c for c in top
                         if "support" in self._relations(c.product_id, vendor, cap_id)]
            if len({c.product_id for c in supported}) == 1:
                return supported[0]
            if notes is not None:
                notes.append("ambiguous: " + ", ".join(sorted({c.product_id for c in top})))
            return None
        return top[0]

    def _relations(self, pid: str, vendor: str | None, cap_id: str | None) -> tuple[str, str]:
        """(vendor relation, capability relation) of a product, kept per context: the
        same few vendors and capabilities come back for many names."""
        key = (pid, vendor, cap_id)
        found = self._relation_cache.get(key)
        if found is None:
            if len(self._relation_cache) >= 1_000_000:
                self._relation_cache.clear()
            found = self._relation_cache[key] = (self.vendor_relation(pid, vendor),
                                                 self.capability_relation(pid, cap_id))
        return found

    @staticmethod
    def _short_alias(cand: Candidate) -> bool:
        """A single short word (``Mosaic``, ``Eclipse``) is easily someone else's name."""
        key = cand.key.split(": ", 1)[-1]
        return len(key.split()) == 1 and len(key) <= 8


_MATCHERS: dict[tuple, _Matcher] = {}
_MATCHERS_KEPT = 4
INDEX_FILES_KEPT = 8
"""Catalogue indexes kept in the cache directory (the most recently written)."""


def _matcher(catalogue: Catalogue, threshold: float) -> _Matcher:
    """The indexes of a catalogue, built once per catalogue content and threshold.

    Keyed by the (frozen) products and capabilities rather than the object, so a
    catalogue loaded again, equal to one already indexed, reuses its indexes. A new
    process reads them from the cache directory (see :func:`index_cache_dir`) when an
    earlier run wrote them for the same catalogue, threshold and code.
    """
    key = (tuple(catalogue.products), tuple(catalogue.capabilities), float(threshold))
    matcher = _MATCHERS.pop(key, None)
    if matcher is None:
        matcher = _cached_matcher(catalogue, threshold)
        while len(_MATCHERS) >= _MATCHERS_KEPT:
            del _MATCHERS[next(iter(_MATCHERS))]
    _MATCHERS[key] = matcher
    return matcher


def index_cache_dir() -> Path | None:
    """Where catalogue indexes are kept between runs: ``ESTATE_CACHE_DIR`` (empty: keep
    none), else ``$XDG_CACHE_HOME/estate``, else ``~/.cache/estate``."""
    configured = os.environ.get("ESTATE_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "estate"


def _index_path(folder: Path, catalogue: Catalogue, threshold: float) -> Path:
    """The file of one catalogue's indexes, named by a hash of everything they follow
    from: the catalogue's content, the threshold, this module's code and Python."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(pickle.dumps((sys.version_info[:2], float(threshold), catalogue.products,
                                catalogue.capabilities), protocol=4))
    return folder / f"catalogue-index-{digest.hexdigest()[:32]}.pickle"


def _cached_matcher(catalogue: Catalogue, threshold: float) -> _Matcher:
    """The matcher read from the cache directory, else built (and written there when
    the directory can be written; any problem with the cache only means building)."""
    try:
        folder = index_cache_dir()
        path = _index_path(folder, catalogue, threshold) if folder is not None else None
    except (OSError, RuntimeError):
        path = None
    if path is not None:
        try:
            with open(path, "rb") as f:
                state = pickle.load(f)
            if isinstance(state, dict) and state.get("threshold") == float(threshold):
                matcher = _Matcher.__new__(_Matcher)
                matcher.__dict__.update(state)
                matcher.catalogue = catalogue
                return matcher
        except Exception:  # noqa: BLE001 - a missing, old or damaged file is rebuilt
            pass
    matcher = _Matcher(catalogue, threshold)
    if path is not None:
        matcher._word_marks()
        state = {k: v for k, v in matcher.__dict__.items() if k != "catalogue"}
        _write_index(path, state)
    return matcher


def _write_index(path: Path, state: dict) -> None:
    """Write the indexes whole or not at all, and keep only the newest files."""
    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False,
                                         suffix=".tmp") as f:
            temp = f.name
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)
        temp = None
        kept = sorted(path.parent.glob("catalogue-index-*.pickle"),
                      key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in kept[INDEX_FILES_KEPT:]:
            stale.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - an unwritable cache only means building next time
        if temp is not None:
            Path(temp).unlink(missing_ok=True)


def _banded_matches(queries: list[str], choices: list[str], cutoff: float, width: int = 4):
    """(row, col, score) arrays of ratio >= cutoff, comparing only plausible lengths.

    ``fuzz.ratio`` is ``2 * matches / (len(a) + len(b))``, so a pair whose lengths differ
    by more than the cutoff allows can never reach it: queries are bucketed by length
    (``width`` lengths a bucket) and each bucket is compared only with the choices in the
    length band it can reach.
    """
    if not queries or not choices:
        return
    qlen = np.fromiter((len(q) for q in queries), dtype=np.int64, count=len(queries))
    clen = np.fromiter((len(c) for c in choices), dtype=np.int64, count=len(choices))
    corder = np.argsort(clen, kind="stable")
    csorted = clen[corder]
    ratio = cutoff / (200.0 - cutoff)
    bucket = qlen // width
    for b in np.unique(bucket):
        rows = np.flatnonzero(bucket == b)
        shortest, longest = int(qlen[rows].min()), int(qlen[rows].max())
        if longest == 0:
            continue
        lo = int(np.ceil(max(shortest, 1) * ratio))
        hi = int(np.floor(longest / ratio)) if ratio > 0 else int(csorted[-1])
        start, stop = np.searchsorted(csorted, lo, "left"), np.searchsorted(csorted, hi, "right")
        if start >= stop:
            continue
        cols = corder[start:stop]
        matrix = process.cdist([queries[i] for i in rows], [choices[j] for j in cols],
                               scorer=fuzz.ratio, dtype=np.uint8, workers=-1,
                               score_cutoff=int(np.floor(cutoff)))
        r, c = _nonzero_cells(matrix)
        if len(r):
            yield rows[r], cols[c], matrix[r, c]


def _nonzero_cells(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a byte matrix whose cells are almost all zero, eight cells at a
    time: only the 8-byte words that are not zero are looked into."""
    flat = np.ascontiguousarray(matrix, dtype=np.uint8).reshape(-1)
    whole = len(flat) // 8 * 8
    words = np.flatnonzero(flat[:whole].view(np.uint64))
    cells = (words[:, None] * 8 + np.arange(8)).reshape(-1)
    cells = np.concatenate([cells[flat[cells] != 0], whole + np.flatnonzero(flat[whole:])])
    return np.divmod(cells, max(matrix.shape[1], 1))


def _text(value) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = " ".join(str(value).split())
    return text or None


def _decide(matcher: _Matcher, raw: str, vendor: str | None, cap_id: str | None,
            fallback: str | None, from_product: bool, bespoke: bool, cands_of,
            notes: list[str], steps: list[Step] | None = None
            ) -> tuple[Candidate | None, str, str]:
    """Pick the product of one input: (candidate or None, text used, match stage).

    A system marked as built in-house only takes a product its product column names
    outright (``Drupal 10`` built by an in-house team); otherwise it stays bespoke. The
    vendor column may complete a name (``Orion`` by SolarWinds), and when the product
    column does not resolve, the system's name is tried. A system name that is not a
    catalogue product, with no product and no vendor written, names no product at all
    (``none``): it is a system's name, not an unknown product's.
    """
    chosen, final = _decide_direct(matcher, raw, vendor, cap_id, from_product, bespoke,
                                   cands_of, notes, steps)
    if final is not None:
        return chosen, raw, final
    if fallback and fallback != raw:
        chosen = matcher.choose(cands_of(fallback), vendor, cap_id, notes)
        if chosen is not None:
            return chosen, fallback, chosen.stage
    return None, raw, _unmatched_stage(from_product, vendor)


def _unmatched_stage(from_product: bool, vendor: str | None) -> str:
    return "none" if not from_product and not vendor else "unrecognised"


def _decide_direct(matcher: _Matcher, raw: str, vendor: str | None, cap_id: str | None,
                   from_product: bool, bespoke: bool, cands_of, notes: list[str],
                   steps: list[Step] | None = None, prefixed_of=None
                   ) -> tuple[Candidate | None, str | None]:
    """The part of :func:`_decide` that does not need the system's name: (candidate,
    stage), with stage None when nothing matched and the name is still to be tried.

    ``prefixed_of`` (text -> token candidates) may stand in for the matcher's lookup of
    the name with the vendor in front; only its candidates not via ``contains`` count."""
    if not raw:
        return None, "none"
    if bespoke:
        chosen = None
        if from_product and not _is_bespoke(raw):
            allowed = [c for c in cands_of(raw) if c.stage in ("exact", "tokens")
                       and c.via != "contains"]
            chosen = matcher.choose(allowed, None, cap_id, notes)
        return chosen, chosen.stage if chosen else "bespoke"
    cands = cands_of(raw)
    chosen = matcher.choose(cands, vendor, cap_id, notes)
    if chosen is None and vendor and not any(c.stage != "fuzzy" for c in cands) \
            and _clean(vendor) not in _clean(raw):
        text = f"{vendor} {raw}"
        found = prefixed_of(text) if prefixed_of is not None else \
            matcher.token_candidates(text, steps)
        prefixed = [Candidate(c.product_id, "tokens", SCORES["vendor-column"], "vendor-column",
                              c.key) for c in found if c.via != "contains"]
        chosen = matcher.choose(prefixed, vendor, cap_id, notes)
    return chosen, chosen.stage if chosen else None


def _explain_capability(matcher: _Matcher, text: str | None, product: Product | None
                        ) -> tuple[Capability | None, str | None]:
    cap_id, _, _ = matcher.resolve_capability(text)
    if cap_id is not None:
        return matcher.catalogue.capabilities_by_id[cap_id], "column"
    if product is not None:
        return matcher.catalogue.capabilities_by_id[product.capability], "catalogue"
    if text:
        other = group_other_capabilities([text], {}, matcher.threshold)[text]
        return Capability(id=other.id, name=other.name, group=OTHER_GROUP), "column"
    return None, None


def explain(raw: str, catalogue: Catalogue, settings: Settings, vendor: str | None = None,
            capability: str | None = None) -> Resolution:
    """Resolve one name the way :func:`resolve_products` does, keeping every step."""
    matcher = _matcher(catalogue, settings.fuzzy_threshold)
    raw_text = _text(raw) or ""
    steps: list[Step] = []
    notes: list[str] = []
    vendor = _text(vendor)
    cap_id, cap_stage, cap_score = matcher.resolve_capability(_text(capability))
    if capability:
        steps.append(Step("capability", capability,
                          f"{cap_id} ({cap_stage} {cap_score:.0f})" if cap_id else "not in the taxonomy"))
    vendors = matcher.canonical_vendor(vendor)
    if vendor:
        steps.append(Step("vendor", vendor, ", ".join(vendors) or "not a catalogue vendor"))
    result = Resolution(raw=raw_text, product=None, stage="none", score=None, steps=steps,
                        vendor=vendor, notes=notes)
    bespoke = _is_bespoke(vendor) or _is_bespoke(raw_text)
    cands = matcher.token_candidates(raw_text, steps) if raw_text and not _is_bespoke(raw_text) else []
    fuzzy = matcher.fuzzy_candidates([raw_text], matcher.threshold - 20, top=5).get(0, []) \
        if raw_text and not cands and not bespoke else []
    if raw_text and not cands and not bespoke:
        steps.append(Step("fuzzy", " ".join(sorted(matcher.tokens(raw_text)[1])),
                          ", ".join(f"{c.product_id} {c.score:.0f}" for c in fuzzy)
                          or "nothing similar"))
    known = {raw_text: cands or fuzzy}

    def cands_of(text: str) -> list[Candidate]:
        if text not in known:
            known[text] = matcher.token_candidates(text) or matcher.fuzzy_candidates(
                [text], matcher.threshold - 5).get(0, [])
        return known[text]

    chosen, _, stage = _decide(matcher, raw_text, vendor, cap_id, None, True, bespoke,
                               cands_of, notes, steps)
    result.stage = stage
    if chosen is not None:
        result.product = catalogue.products_by_id[chosen.product_id]
        result.score = chosen.score
    if not raw_text:
        notes.append("no product or name given")
    elif stage == "bespoke":
        notes.append("marked as built in-house: not matched to a catalogue product")
    elif bespoke and chosen is not None:
        notes.append("built in-house on a product the name gives exactly")
    elif stage == "unrecognised" and fuzzy:
        notes.append(f"best fuzzy score {fuzzy[0].score:.0f} is below the threshold "
                     f"{matcher.threshold:.0f}")
    seen: dict[str, float] = {}
    for c in [*cands, *fuzzy]:
        seen[c.product_id] = max(seen.get(c.product_id, 0.0), c.score)
    result.candidates = sorted(((pid, catalogue.products_by_id[pid].name, sc)
                                for pid, sc in seen.items()), key=lambda t: (-t[2], t[0]))[:5]
    if result.product is not None:
        result.vendor_name = result.product.vendor
    else:
        found = vendors or matcher.canonical_vendor(raw_text)
        result.vendor_name = found[0] if len(found) == 1 else vendor
    result.capability, result.capability_source = _explain_capability(
        matcher, _text(capability), result.product)
    return result


def _group_unknowns(names: list[str], matcher: _Matcher,
                    known_keys: dict[str, str] | None = None) -> dict[str, int]:
    """Group unknown names that resemble each other: name -> group number.

    Names with the same normalised words are one group at once; the rest are compared
    with rapidfuzz only inside blocks that share the first three letters, and the
    pairs at or above the threshold are joined into connected groups. ``known_keys``
    holds the keys (see :func:`_group_key`) of names already worked out.
    """
    known = known_keys or {}
    keys = {name: known[name] if name in known else _group_key(matcher, name)
            for name in names}
    return _connect(keys, matcher.threshold)


def _group_key(matcher: _Matcher, name: str) -> str:
    """What an unknown name is grouped by: its words without version and edition words
    (or with them, when nothing else is left), sorted."""
    a, b = matcher.tokens(name)
    return " ".join(sorted(b or a) or _clean(name).split()) or _exact_key(name)


def _connect(keys: dict[str, str], threshold: float, word_blocks: bool = False
             ) -> dict[str, int]:
    """Connected groups of texts whose keys are equal, equal without spaces, or close.

    Keys are compared with ``fuzz.ratio`` only inside blocks (the key's first three
    letters and, with ``word_blocks``, each word of four letters or more), so the work
    grows with the pairs in a block, not with all pairs.
    """
    graph = nx.Graph()
    distinct = sorted(set(keys.values()))
    graph.add_nodes_from(distinct)
    by_compact: dict[str, list[str]] = defaultdict(list)
    for key in distinct:
        by_compact[key.replace(" ", "")].append(key)
    for same in by_compact.values():
        graph.add_edges_from(zip(same, same[1:]))
    blocks: dict[str, list[str]] = defaultdict(list)
    for key in distinct:
        blocks[key[:3]].append(key)
        if word_blocks:
            for word in set(key.split()):
                if len(word) >= 4:
                    blocks["w:" + word].append(key)
    cutoff = int(np.ceil(threshold))
    index = {key: i for i, key in enumerate(distinct)}
    small_left: list[np.ndarray] = []
    small_right: list[np.ndarray] = []
    for block_key in sorted(blocks):
        members = blocks[block_key]
        if len(members) < 2:
            continue
        if len(members) > 4000:
            sub: dict[str, list[str]] = defaultdict(list)
            for m in members:
                sub[m[:6]].append(m)
            groups = [g for g in sub.values() if len(g) > 1]
        else:
            groups = [members]
        for group in groups:
            ids = np.array([index[k] for k in group], dtype=np.int64)
            if len(group) <= 64:
                i, j = np.triu_indices(len(group), k=1)
                small_left.append(ids[i])
                small_right.append(ids[j])
                continue
            for rows, cols, _ in _banded_matches(group, group, cutoff):
                keep = rows < cols
                graph.add_edges_from((group[i], group[j]) for i, j in zip(rows[keep], cols[keep]))
    if small_left:
        left, right = np.concatenate(small_left), np.concatenate(small_right)
        if word_blocks:
            pairs = sorted_unique(np.minimum(left, right) * len(distinct) + np.maximum(left, right))
            left, right = pairs // len(distinct), pairs % len(distinct)
        scores = process.cpdist([distinct[i] for i in left], [distinct[j] for j in right],
                                scorer=fuzz.ratio, dtype=np.uint8, workers=-1,
                                score_cutoff=cutoff)
        hit = np.flatnonzero(scores >= cutoff)
        graph.add_edges_from((distinct[left[k]], distinct[right[k]]) for k in hit)
    component: dict[str, int] = {}
    for number, nodes in enumerate(sorted((sorted(c) for c in nx.connected_components(graph)),
                                          key=lambda c: c[0])):
        for node in nodes:
            component[node] = number
    return {name: component[key] for name, key in keys.items()}


def _text_codes(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A text column as codes into its distinct texts (spacing made single, ends
    stripped, empty missing): (codes, texts), code -1 where missing. Each distinct raw
    value is cleaned once, and later steps work on the integer codes."""
    if column not in frame.columns:
        return np.full(len(frame), -1, dtype=np.int64), np.array([], dtype=object)
    codes, values = factorize(frame[column])
    if all(type(v) is str for v in values.tolist()):
        # str.split() splits at what the regex \s matches and drops the ends
        values = np.array([" ".join(v.split()) or None for v in values.tolist()],
                          dtype=object)
    else:
        values = pd.Series(values).astype("string").str.strip()
        values = values.str.replace(r"\s+", " ", regex=True)
        values = values.mask(values == "", pd.NA)
    cleaned, texts = pd.factorize(values)
    remap = np.append(cleaned, -1).astype(np.int64)
    return remap[codes], np.asarray(texts, dtype=object)


def _first_text(frame: pd.DataFrame, column: str) -> pd.Series:
    codes, texts = _text_codes(frame, column)
    values = pd.array(np.append(texts, None), dtype="string")
    return pd.Series(values.take(codes), index=frame.index,
                     name=frame[column].name if column in frame.columns else None)


def _map_unique(values: pd.Series, func) -> pd.Series:
    """``values.map(func)``, calling ``func`` once per distinct value."""
    codes, uniques = factorize(values, use_na_sentinel=False)
    mapped = pd.Series(uniques, dtype=values.dtype).map(func)
    return pd.Series(mapped.array.take(codes), index=values.index, name=values.name)


def _group_codes(columns: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Group number of every row over integer code columns ((codes, number of distinct
    codes), code -1 allowed), numbered by first appearance as ``drop_duplicates`` keeps
    them, and the position of each group's first row."""
    codes = np.zeros(len(columns[0][0]) if columns else 0, dtype=np.int64)
    top = 1
    for col, size in columns:
        if top * (size + 1) >= 1 << 62:
            codes, uniques = pd.factorize(codes)
            top = len(uniques)
        codes = codes * (size + 1) + (np.asarray(col, dtype=np.int64) + 1)
        top *= size + 1
    codes, _ = pd.factorize(codes)
    codes = codes.astype(np.int64, copy=False)
    return codes, first_rows(codes)


def _counted(factorized: tuple[np.ndarray, object]) -> tuple[np.ndarray, int]:
    """(codes, how many distinct) of what ``pd.factorize`` returned."""
    return np.asarray(factorized[0], dtype=np.int64), len(factorized[1])


def _bespoke_marks(texts: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per row (``codes`` into ``texts``, -1 missing) whether its text marks a system
    built in-house, deciding each text that rows use once."""
    used = np.flatnonzero(np.bincount(codes + 1, minlength=len(texts) + 1)[1:])
    used = used[_hinted(texts[used].tolist())]
    marks = np.zeros(len(texts) + 1, dtype=bool)
    marks[used] = [_is_bespoke(t) for t in texts[used].tolist()]
    return marks[codes]


def _hinted(texts: list[str]) -> np.ndarray:
    """Per text, whether it holds a word of some bespoke phrase (what :func:`_is_bespoke`
    looks for first): one search of the ASCII texts joined (a hint word holds no line
    break, so a match lies inside one text), the others one by one."""
    out = np.zeros(len(texts), dtype=bool)
    plain = np.fromiter(map(str.isascii, texts), dtype=bool, count=len(texts))
    at = np.flatnonzero(plain)
    if len(at):
        chosen = [texts[i] for i in at.tolist()]
        sizes = np.fromiter(map(len, chosen), dtype=np.int64, count=len(chosen))
        starts = np.cumsum(sizes + 1) - (sizes + 1)
        # ASCII text casefolds as it lower-cases, character by character
        hits = [m.start() for m in _BESPOKE_HINT.finditer("\n".join(chosen).lower())]
        out[at[np.searchsorted(starts, hits, side="right") - 1]] = True
    for i in np.flatnonzero(~plain).tolist():
        out[i] = bool(_BESPOKE_HINT.search(_fold(texts[i])))
    return out


def _texts_at(texts: np.ndarray, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``pd.array(texts[codes], dtype="string")``, checked as text once per distinct text
    (``texts`` from :func:`_with_empty`: code -1 is its last, ``""``)."""
    return pd.array(texts, dtype="string").take(np.asarray(codes, dtype=np.intp))


def _with_empty(texts: np.ndarray) -> np.ndarray:
    """Distinct texts with ``""`` last, for code -1."""
    return np.append(texts, "").astype(object)


PARALLEL_ROWS = 50_000
"""From this many rows, the name column is coded in a forked child (two cores only)."""
PARALLEL_TEXTS = 2000
"""From this many new texts, half of them are matched in a forked child when there are
two cores (see :mod:`estate.parallel`); each text's candidates depend on it alone."""


def _add_candidates(matcher: _Matcher, texts, cands: dict[str, list[Candidate]],
                    group_keys: dict[str, str] | None = None) -> None:
    """Token-stage candidates of each new text, and fuzzy ones where there are none; into
    ``group_keys``, the keys that :func:`_candidates` gives."""
    texts = sorted(t for t in set(texts) if t and t not in cands)
    found = _in_halves(functools.partial(_candidates, matcher), texts)
    cands.update((t, found[t][0]) for t in texts)
    if group_keys is not None:
        group_keys.update((t, found[t][1]) for t in texts if found[t][1] is not None)


def _in_halves(work, texts: list) -> dict:
    """``work(texts)`` (a dict keyed by text whose values depend on their text alone),
    with every other text done in a forked child when there are many and two cores."""
    if len(texts) < PARALLEL_TEXTS or workers() < 2:
        return work(texts)
    found, other = split_work(work, texts[0::2], texts[1::2])
    found.update(other)
    return found


def _prefixed_candidates(matcher: _Matcher, texts: list[str]) -> dict[str, list[Candidate]]:
    """Token-stage candidates of names with the vendor in front, those that no stage
    but ``contains`` could match ruled out together (see :meth:`_Matcher.rejected`)."""
    hopeless = matcher.rejected(texts, contained=False).tolist()
    return {t: [] if no else matcher.token_candidates(t) for t, no in zip(texts, hopeless)}


def _candidates(matcher: _Matcher, texts: list[str]
                ) -> dict[str, tuple[list[Candidate], str | None]]:
    """The candidates of each text and, when none is an exact or token one, the key it
    is grouped by should it stay unknown (see :func:`_group_key`): its words are at hand
    here, in whichever process matched it."""
    token_cands = {t: matcher.token_candidates(t) for t in texts}
    need_fuzzy = [t for t in texts if not token_cands[t]]
    fuzzy = matcher.fuzzy_candidates(need_fuzzy, matcher.threshold - 5)
    for i, t in enumerate(need_fuzzy):
        token_cands[t] = fuzzy.get(i, [])
    return {t: (found, None if any(c.stage != "fuzzy" for c in found)
                else _group_key(matcher, t)) for t, found in token_cands.items()}


def resolve_products(systems: pd.DataFrame, catalogue: Catalogue, settings: Settings
                     ) -> NormalisedSystems:
    """Add the catalogue product, vendor and capability of every system (see module doc).

    Matching allocates many small lists and dicts that form no reference cycles, so the
    cyclic collector is paused meanwhile (see :mod:`estate.memory`)."""
    with gc_paused():
        return _resolve_products(systems, catalogue, settings)


def _resolve_products(systems: pd.DataFrame, catalogue: Catalogue, settings: Settings
                      ) -> NormalisedSystems:
    matcher = _matcher(catalogue, settings.fuzzy_threshold)
    out = systems.copy(deep=False)
    # names are the most varied column: with two cores a child codes them meanwhile
    naming = Background(functools.partial(_text_codes, out, "name")) \
        if len(out) >= PARALLEL_ROWS else None
    product, product_texts = _text_codes(out, "product")
    vendor, vendor_texts = _text_codes(out, "vendor")
    cap_text, cap_texts = _text_codes(out, "capability")
    name, name_texts = naming.result() if naming is not None else _text_codes(out, "name")

    bespoke_product = _bespoke_marks(product_texts, product)
    product = np.where(bespoke_product, -1, product)
    use_name = product < 0
    # the text matched is the product, else the name: one vocabulary for both
    joint, input_texts = pd.factorize(np.concatenate([product_texts, name_texts]))
    input_texts = np.asarray(input_texts, dtype=object)
    from_product_text = np.append(joint[:len(product_texts)], -1)
    from_name_text = np.append(joint[len(product_texts):], -1)
    match_input = np.where(use_name, from_name_text[name], from_product_text[product])
    bespoke = (_bespoke_marks(vendor_texts, vendor) | bespoke_product
               | _bespoke_marks(input_texts, match_input))
    fallback = np.where(use_name, -1, name)
    codes, firsts = _group_codes([
        (match_input, len(input_texts)), (vendor, len(vendor_texts)),
        (cap_text, len(cap_texts)), (fallback, len(name_texts)), (~use_name, 2), (bespoke, 2)])
    keys = _RowKeys(match_input, _with_empty(input_texts), cap_text, _with_empty(cap_texts))
    unique = pd.DataFrame({
        "input": _texts_at(keys.input_texts, match_input[firsts]),
        "vendor": _texts_at(_with_empty(vendor_texts), vendor[firsts]),
        "capability": _texts_at(keys.cap_texts, cap_text[firsts]),
        "fallback": _texts_at(_with_empty(name_texts), fallback[firsts]),
        "from_product": ~use_name[firsts], "bespoke": bespoke[firsts],
    })
    group_keys: dict[str, str] = {}
    results = _match_unique(matcher, unique, {
        "input": (match_input[firsts], len(input_texts)),
        "vendor": (vendor[firsts], len(vendor_texts)),
        "capability": (cap_text[firsts], len(cap_texts)),
        "fallback": (fallback[firsts], len(name_texts)),
        "named": (from_name_text[fallback[firsts]], len(input_texts))},
        {"input": input_texts, "capability": cap_texts}, group_keys)
    res = pd.concat([unique, results], axis=1)

    unrec = res["match_stage"] == "unrecognised"
    # an unrecognised row always has an input text: its code is that text's
    unknown = sorted_unique(match_input[firsts][unrec.to_numpy(dtype=bool)])
    unknown_names = sorted(input_texts[unknown].tolist())
    # grouping the unknown names is the longest step left: a child does it meanwhile
    grouping = Background(functools.partial(_group_unknowns, unknown_names, matcher,
                                            group_keys)) \
        if len(unknown_names) >= PARALLEL_TEXTS else None
    rows_per_input = dict(zip(input_texts[unknown].tolist(), np.bincount(
        match_input + 1, minlength=len(input_texts) + 1)[unknown + 1].tolist()))

    prod = catalogue.products_by_id
    capsd = catalogue.capabilities_by_id

    def catalogue_side(known: pd.Series) -> tuple[dict[str, OtherCapability], set[str]]:
        """Fill the vendor and capability columns of ``res``, ``known`` marking the rows
        on a catalogue product; the groups of capability texts outside the taxonomy and
        the ids of those used."""
        others, adopted = _other_capabilities(res, keys, known, matcher.threshold)
        other_id = _map_unique(res["capability"],
                               lambda t: others[t].id if t in others else None)
        from_product = _map_unique(res["product_id"].where(known),
                                   lambda p: prod[p].capability if isinstance(p, str) else None)
        from_column = res["capability_id_column"].notna()
        # per capability text, then read by each row's code (-1, none: the last)
        use_other = np.array([t in others and others[t].id in adopted
                              for t in keys.cap_texts.tolist()], dtype=bool)[cap_text[firsts]]
        res["vendor_name"] = _vendor_names(matcher, res, known)
        res["capability_id"] = res["capability_id_column"].where(
            from_column, other_id.where(use_other, from_product))
        res["capability_source"] = np.where(
            from_column | use_other, "column",
            np.where(res["capability_id"].notna(), "catalogue", None))
        other_names = {o.id: o.name for o in others.values()}
        res["capability_name"] = _map_unique(res["capability_id"], lambda c: capsd[c].name
            if c in capsd else other_names.get(c) if isinstance(c, str) else None)
        res["capability_group"] = _map_unique(res["capability_id"], lambda c: capsd[c].group
            if c in capsd else OTHER_GROUP if isinstance(c, str) else None)
        return others, adopted

    def added_column(col: str) -> pd.api.extensions.ExtensionArray:
        """One column of ``res`` spread to the rows of the systems table."""
        values = res[col].to_numpy()
        if col == "match_score":
            return pd.array(pd.to_numeric(values, errors="coerce"), dtype="Float64").take(codes)
        return _string_column(values, codes)

    # worked out while the names are grouped: every product id so far is a catalogue
    # product's, and an unknown name's group id is none (unless a catalogue product has
    # that very id, checked below); only the product id and name wait for the groups
    grouped = ("product_id", "product_name")
    res["product_name"] = _map_unique(res["product_id"],
                                      lambda p: prod[p].name if p in prod else None)
    others, adopted = catalogue_side(res["product_id"].notna())
    added = {col: added_column(col) for col in ADDED_COLUMNS if col not in grouped}

    groups = grouping.result() if grouping is not None else \
        _group_unknowns(unknown_names, matcher, group_keys)
    members: dict[int, list[str]] = defaultdict(list)
    for nm, g in groups.items():
        members[g].append(nm)
    group_id: dict[int, str] = {}
    group_name: dict[int, str] = {}
    used_ids: set[str] = set()
    for g in sorted(members, key=lambda g: sorted(members[g])[0]):
        rep = sorted(members[g], key=lambda n: (-rows_per_input.get(n, 0), len(n), n))[0]
        base = f"unrecognised:{_slug(rep)}"
        gid, n = base, 2
        while gid in used_ids:
            gid, n = f"{base}-{n}", n + 1
        used_ids.add(gid)
        group_id[g], group_name[g] = gid, rep
    res.loc[unrec, "product_id"] = _map_unique(res.loc[unrec, "input"],
                                               lambda n: group_id[groups[n]])
    res.loc[unrec, "product_name"] = _map_unique(res.loc[unrec, "input"],
                                                 lambda n: group_name[groups[n]])
    if not prod.keys().isdisjoint(group_id.values()):
        others, adopted = catalogue_side(res["product_id"].isin(list(prod)))
        added = {col: added_column(col) for col in ADDED_COLUMNS if col not in grouped}
    added.update((col, added_column(col)) for col in grouped)
    added = {col: added[col] for col in ADDED_COLUMNS}
    if out.columns.isin(ADDED_COLUMNS).any():
        for col, array in added.items():
            out[col] = array
    else:
        # copy-on-write: the new table shares the input's columns until one is changed
        out = pd.concat([out, pd.DataFrame(added, index=out.index)], axis=1)

    unrecognised = unrec.to_numpy(dtype=bool)[codes]
    findings = _findings(out, keys, unrecognised, group_name, groups, others, adopted, use_name)
    resolutions = _UnsortedResolutions(
        res.assign(rows=np.bincount(codes, minlength=len(res))),
        [(texts, column[firsts]) for texts, column in (
            (name_texts, fallback), (cap_texts, cap_text), (vendor_texts, vendor),
            (input_texts, match_input))])
    matcher._forms_cache.clear()
    matcher._token_cache.clear()
    matcher._relation_cache.clear()
    return NormalisedSystems(systems=out, _resolutions=resolutions, findings=findings)


def _rank(texts: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sort rank of each coded text (missing, code -1, as ``""``: first)."""
    order = np.argsort(texts, kind="stable")
    rank = np.empty(len(texts) + 1, dtype=np.int64)
    rank[order] = np.arange(1, len(texts) + 1)
    rank[-1] = 0
    return rank[codes]


@dataclass
class _RowKeys:
    """Per row, the code of the text matched and of the capability text, with their
    distinct texts (``""`` last, for code -1)."""

    input: np.ndarray
    input_texts: np.ndarray
    capability: np.ndarray
    cap_texts: np.ndarray

    def capability_rows(self, texts: list[str]) -> dict[str, int]:
        """How many rows give each of the capability ``texts``."""
        return self._rows(texts, self.capability, self.cap_texts)

    @staticmethod
    def _rows(texts: list[str], codes: np.ndarray, distinct: np.ndarray) -> dict[str, int]:
        counts = np.bincount(codes + 1, minlength=len(distinct))
        at = pd.Index(distinct[:-1]).get_indexer(texts)
        return {t: int(counts[i + 1]) if i >= 0 else 0 for t, i in zip(texts, at.tolist())}

    def capability_in(self, texts) -> np.ndarray:
        """Per row, whether its capability text is one of ``texts``."""
        inside = np.append(pd.Index(self.cap_texts[:-1]).isin(list(texts)), False)
        return inside[self.capability]


def _string_array(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A ``string`` array of the text values, anything else missing."""
    values = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        values = values.copy()
        values[pd.isna(values)] = None
        return pd.array(values, dtype="string")
    return pd.array([v if isinstance(v, str) else pd.NA for v in values], dtype="string")


def _string_column(values: np.ndarray, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``_string_array(values).take(rows)``, made from the few distinct values."""
    found, uniques = factorize(np.asarray(values, dtype=object))
    texts = _string_array(np.append(uniques, None))
    return texts.take(np.where(found < 0, len(uniques), found)[rows])


def _match_unique(matcher: _Matcher, unique: pd.DataFrame,
                  codes: dict[str, tuple[np.ndarray, int]], texts: dict[str, np.ndarray],
                  group_keys: dict[str, str] | None = None) -> pd.DataFrame:
    """The match of every distinct input row (see :func:`_decide`), in the same order.

    The part that does not need the system's name runs once per distinct (input,
    vendor, capability, ...); the name is then tried, once per distinct (name, vendor,
    capability), only where the input matched nothing, so names are looked up only when
    they are needed.

    ``codes`` gives (codes, how many distinct) of the ``input``, ``vendor``,
    ``capability`` and ``fallback`` text of each row (-1: none) and, as ``named``, the
    fallback texts' codes among the input texts; ``texts`` the distinct ``input`` and
    ``capability`` texts. Which texts need candidates is decided on these codes, not
    on the rows' strings. ``group_keys`` receives the keys an input text is grouped by
    should it stay unknown, where matching it gave them (see :func:`_candidates`).
    """
    in_codes, n_inputs = codes["input"]
    input_texts = texts["input"]
    from_product_col = unique["from_product"].to_numpy(dtype=bool)
    bespoke_col = unique["bespoke"].to_numpy(dtype=bool)
    cap_text, _ = codes["capability"]
    cap_texts = texts["capability"]
    used_caps = np.flatnonzero(np.bincount(cap_text + 1, minlength=len(cap_texts) + 1)[1:])
    cap_of = np.full(len(cap_texts) + 1, None, dtype=object)
    cap_of[used_caps] = [matcher.resolve_capability(t)[0] for t in cap_texts[used_caps].tolist()]
    cap_id = cap_of[cap_text]

    def inputs_of(rows: np.ndarray) -> np.ndarray:
        """Per input text, whether some row of ``rows`` (a mask or codes) has it."""
        present = np.zeros(n_inputs + 1, dtype=bool)
        present[in_codes[rows] if rows.dtype == bool else rows] = True
        return present[:-1]

    marked = inputs_of(bespoke_col)
    # a bespoke system's own name is never matched, so it needs no candidates
    asked = inputs_of(~bespoke_col | from_product_col)
    direct = asked & ~marked
    check = np.flatnonzero(asked & marked)
    direct[check] = [not _is_bespoke(t) for t in input_texts[check].tolist()]
    # a bespoke input that is also some system's name still shows its candidates
    named = inputs_of(np.asarray(codes["named"][0], dtype=np.int64))
    cands: dict[str, list[Candidate]] = defaultdict(list)
    matched = np.flatnonzero(direct | (marked & named))
    _add_candidates(matcher, input_texts[matched].tolist(), cands, group_keys)
    # per input text (and -1, none): whether it has candidates, and some not fuzzy
    lists = [cands[t] for t in input_texts[matched].tolist()]
    has_text, strong_text = np.zeros((2, n_inputs + 1), dtype=bool)
    has_text[matched] = [bool(found) for found in lists]
    strong_text[matched] = [any(c.stage != "fuzzy" for c in found) for found in lists]

    first = pd.DataFrame({"input": unique["input"], "vendor": unique["vendor"],
                          "cap_id": pd.Series(cap_id, dtype=object),
                          "from_product": unique["from_product"], "bespoke": unique["bespoke"]})
    cap_codes, cap_count = _counted(factorize(first["cap_id"], use_na_sentinel=False))
    first_codes, rows1 = _group_codes([
        codes["input"], codes["vendor"], (cap_codes, cap_count), (from_product_col, 2),
        (bespoke_col, 2)])
    n1 = len(rows1)
    columns = [first[c].to_numpy(dtype=object)[rows1] for c in first.columns]
    raw_c, vend_c = columns[0], columns[1]
    in1, v1 = codes["input"][0][rows1], codes["vendor"][0][rows1]
    from_product1, bespoke1 = from_product_col[rows1], bespoke_col[rows1]
    has_raw, has_vend = raw_c != "", vend_c != ""
    has_cands = has_text[in1]
    # names tried with the vendor in front, ruled out together where no stage can match
    at = np.flatnonzero(has_raw & has_vend & ~bespoke1 & ~strong_text[in1])
    _, pairs, pair_of = np.unique(
        in1[at].astype(np.int64) * (codes["vendor"][1] + 1) + (v1[at] + 1),
        return_index=True, return_inverse=True)
    pair_texts = [f"{vend} {raw}" if _clean(vend) not in _clean(raw) else None
                  for raw, vend in zip(raw_c[at[pairs]].tolist(), vend_c[at[pairs]].tolist())]
    asked_prefixed = sorted(set(pair_texts) - {None})
    prefixed = _in_halves(functools.partial(_prefixed_candidates, matcher), asked_prefixed)
    # a row whose name has no candidates decides something only when the vendor in front
    # gives a candidate that counts
    by_prefix = np.zeros(n1, dtype=bool)
    by_prefix[at] = np.array([t is not None and any(c.via != "contains" for c in prefixed[t])
                           for t in pair_texts], dtype=bool)[pair_of]

    def prefixed_of(text: str) -> list[Candidate]:
        found = prefixed.get(text)
        return matcher.token_candidates(text) if found is None else found

    final1 = object_array(np.where(
        ~has_raw, "none", np.where(bespoke1 & ~from_product1, "bespoke", None)))
    asked = np.flatnonzero(has_raw & ~(bespoke1 & ~from_product1)
                           & (bespoke1 | has_cands | by_prefix))
    # the decision reads where the text came from only for a bespoke system, and the
    # vendor only for one that is not: rows equal in the rest are decided once
    same_codes, same_firsts = _group_codes([
        (in1[asked], codes["input"][1]),
        (np.where(bespoke1[asked], -1, v1[asked]), codes["vendor"][1]),
        (cap_codes[rows1][asked], cap_count), (bespoke1[asked], 2)])
    same = asked[same_firsts]

    def cands_of(text: str) -> list[Candidate]:
        return cands.get(text, [])  # no insertion: a child's would not come back

    def decide(ks: list[int]) -> dict[int, tuple]:
        """(product id, score, key, stage, notes) per row: plain values, which travel
        back from a child faster than candidates."""
        out = {}
        at = np.asarray(ks, dtype=np.intp)
        for k, raw, vend, cid, from_product, is_bespoke in zip(
                ks, *(c[at].tolist() for c in columns)):
            notes: list[str] = []
            chosen, final = _decide_direct(matcher, raw, vend or None, cid, from_product,
                                           is_bespoke, cands_of, notes,
                                           prefixed_of=prefixed_of)
            out[k] = (None, None, None, final, "; ".join(notes)) if chosen is None else (
                chosen.product_id, chosen.score, chosen.key, final, "; ".join(notes))
        return out

    decided = _in_halves(decide, same.tolist())
    # each decided group's fields, then spread to its rows by the group codes
    pid1, score1, via1 = (np.full(n1, None, dtype=object) for _ in range(3))
    notes1 = np.full(n1, "", dtype=object)
    if len(same):
        fields = [object_array(column)[same_codes] for column in zip(
            *map(decided.__getitem__, same.tolist()))]
        pid1[asked], score1[asked], via1[asked], final1[asked], notes1[asked] = fields

    pending = pd.isna(final1)[first_codes]
    fallback = unique["fallback"].to_numpy(dtype=object)
    raw_all = unique["input"].to_numpy(dtype=object)
    pending &= (fallback != "") & (fallback != raw_all)
    second = first.loc[pending, ["vendor", "cap_id"]].assign(fallback=fallback[pending])
    second_codes, second_rows = _group_codes([
        (codes["fallback"][0][pending], codes["fallback"][1]),
        (codes["vendor"][0][pending], codes["vendor"][1]), (cap_codes[pending], cap_count)])
    _add_candidates(matcher, second["fallback"].tolist(), cands)
    n2 = len(second_rows)
    chosen2: list[Candidate | None] = [None] * n2
    notes2: list[str] = [""] * n2
    columns = [second[c].to_numpy(dtype=object)[second_rows]
               for c in ("fallback", "vendor", "cap_id")]
    for k, (text, vend, cid) in enumerate(zip(*columns)):
        found = cands[text]
        if found:  # no candidates: nothing chosen, nothing to note
            notes = []
            chosen2[k] = matcher.choose(found, vend or None, cid, notes)
            notes2[k] = "; ".join(notes)

    # the best candidates of each distinct input, found by its code
    input_codes = np.asarray(codes["input"][0], dtype=np.int64)
    _, first_at, which = np.unique(input_codes, return_index=True, return_inverse=True)
    top = object_array([_best_candidates(found) if (found := cands.get(raw)) else ""
                        for raw in raw_all[first_at].tolist()])
    second_of = np.full(len(unique), -1, dtype=np.int64)
    second_of[np.flatnonzero(pending)] = second_codes
    pid, score, via = pid1[first_codes], score1[first_codes], via1[first_codes]
    stage = final1[first_codes]
    notes = notes1[first_codes]
    used = raw_all.copy()
    open_rows = np.flatnonzero(pd.isna(stage))
    if len(open_rows):
        code2 = second_of[open_rows]
        tried = open_rows[code2 >= 0]
        extra = np.array(notes2, dtype=object)[second_of[tried]]
        notes[tried] = [f"{a}; {b}" if a and b else (b or a)
                        for a, b in zip(notes[tried].tolist(), extra.tolist())]
        pid2, score2, via2 = _chosen_fields(chosen2)
        stage2 = np.array([c.stage if c is not None else None for c in chosen2], dtype=object)
        code2 = second_of[tried]
        hit = tried[pd.notna(pid2[code2])]
        code2 = second_of[hit]
        pid[hit], score[hit], via[hit], used[hit] = pid2[code2], score2[code2], via2[code2], \
            fallback[hit]
        stage[hit] = stage2[code2]
        rest = open_rows[pd.isna(pid[open_rows])]
        vendors = unique["vendor"].to_numpy(dtype=object)[rest]
        from_product = unique["from_product"].to_numpy(dtype=bool)[rest]
        stage[rest] = np.where(~from_product & (vendors == ""), "none", "unrecognised")
    used[used == ""] = None
    return pd.DataFrame({
        "product_id": pd.Series(pid),
        "match_stage": pd.Series(stage),
        "match_score": pd.Series(score.tolist()),
        "match_input": pd.Series(used),
        "via": pd.Series(via), "capability_id_column": cap_id,
        "candidates": pd.Series(top[which]), "notes": pd.Series(notes),
    })


def _best_candidates(found: list[Candidate]) -> str:
    """The best three of a text's candidates as ``id score; ...``, for the resolutions."""
    return "; ".join(f"{c.product_id} {c.score:.0f}" for c in sorted(
        found, key=lambda c: (-c.score, c.product_id))[:3])


def _chosen_fields(chosen: list[Candidate | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Product ids, scores and keys of chosen candidates (None where nothing was)."""
    nothing = (None, None, None)
    fields = [(c.product_id, c.score, c.key) if c is not None else nothing for c in chosen]
    if not fields:
        return tuple(np.array([], dtype=object) for _ in range(3))  # type: ignore[return-value]
    pid, score, via = (object_array(column) for column in zip(*fields))
    return pid, score, via


def _vendor_names(matcher: _Matcher, res: pd.DataFrame, known: pd.Series) -> list:
    """The vendor of each row: the catalogue product's, else the vendor column made
    canonical, else a catalogue vendor that the name itself gives."""
    prod = matcher.catalogue.products_by_id

    def vendor_of(vendor: str, text: str) -> str | None:
        found = matcher.canonical_vendor(vendor) if vendor else ()
        if len(found) == 1:
            return found[0]
        if vendor:
            return vendor
        found = matcher.canonical_vendor(text)
        return found[0] if len(found) == 1 else None

    names = np.full(len(res), None, dtype=object)
    k = known.to_numpy(dtype=bool)
    pid_codes, pids = factorize(res["product_id"])
    vendors = object_array([prod[p].vendor if p in prod else None for p in pids.tolist()])
    names[k] = vendors[pid_codes[k]]
    rest = np.flatnonzero(~k & (res["match_stage"] != "bespoke").to_numpy(dtype=bool))
    if len(rest):  # once per distinct vendor; the name only counts where none is given
        vend = res["vendor"].to_numpy(dtype=object)[rest]
        codes, vendors = factorize(vend)
        found = object_array([vendor_of(v, "") for v in vendors.tolist()])[codes]
        blank = np.flatnonzero(vend == "")
        if len(blank):
            codes, texts = factorize(res["input"].to_numpy(dtype=object)[rest[blank]])
            found[blank] = object_array([vendor_of("", t) for t in texts.tolist()])[codes]
        names[rest] = found
    return names.tolist()


def _other_capabilities(res: pd.DataFrame, keys: _RowKeys, known: pd.Series,
                        threshold: float) -> tuple[dict[str, OtherCapability], set[str]]:
    """Groups of the capability texts outside the taxonomy, and the ids that are used.

    A group is used as the capability (``other:<slug>``) when at least one of its
    systems has no catalogue product to take a capability from (built in-house, an
    unknown product, none named): the text then names a job of its own, and every system
    naming it, on a product or not, is compared on that job. When every system of the
    group runs a catalogue product, the text is only a local wording and each product's
    own capability stands.
    """
    unknown = (res["capability"] != "") & res["capability_id_column"].isna()
    texts = sorted(set(res.loc[unknown, "capability"]))
    if not texts:
        return {}, set()
    rows = keys.capability_rows(texts)
    others = group_other_capabilities(texts, rows, threshold)
    without = res.loc[unknown & ~known.to_numpy(), "capability"]
    return others, {others[t].id for t in set(without)}


def _similar_phrase(similar: list[str], noun: str) -> str:
    """`` (with 2 similar names: 'a', 'b')`` for a finding, at most five shown."""
    if not similar:
        return ""
    shown = ", ".join(repr(t) for t in similar[:5]) + (", ..." if len(similar) > 5 else "")
    return f" (with {len(similar)} similar {noun}{'s' if len(similar) > 1 else ''}: {shown})"


def _findings(out: pd.DataFrame, keys: _RowKeys, unrecognised: np.ndarray,
              group_name: dict[int, str], groups: dict[str, int],
              others: dict[str, OtherCapability], adopted: set[str],
              use_name: np.ndarray) -> list[Finding]:
    """One finding per unrecognised product group and per group of unknown capabilities."""
    wanted = unrecognised | keys.capability_in(others)
    if "status" in out.columns:  # read only on the rows a finding may be about
        at = np.flatnonzero(wanted)
        live = out["status"].iloc[at].astype("string").fillna("analysed") != "quarantined"
        wanted[at] = live.to_numpy(dtype=bool)
    rows = np.flatnonzero(wanted)
    needed = ("source_file", "source_line", "department", "match_stage", "capability_id",
              "capability_source")
    part = out.iloc[rows, [out.columns.get_loc(c) for c in needed if c in out.columns]]
    frame = pd.DataFrame({
        "file": _first_text(part, "source_file").fillna("").to_numpy(),
        "line": pd.to_numeric(part["source_line"], errors="coerce").to_numpy()
        if "source_line" in part.columns else np.nan,
        "department": _first_text(part, "department").to_numpy(),
        "stage": part["match_stage"].to_numpy(), "input": keys.input_texts[keys.input[rows]],
        "capability": keys.cap_texts[keys.capability[rows]],
        "cap_id": part["capability_id"].to_numpy(), "cap_source": part["capability_source"].to_numpy(),
        "column": np.where(use_name[rows], "name", "product"),
        "pos": rows,
    })
    findings: list[Finding] = []

    def where(file, line, department) -> dict:
        return {"file": file, "line": None if pd.isna(line) else int(line),
                "department": None if pd.isna(department) else department}

    def by_group(firsts: pd.DataFrame, *columns: str):
        """(group, file, line, department, *columns) of each group's first row, by
        group: plain lists, not a tuple object per row."""
        firsts = firsts.sort_index()
        return zip(firsts.index.tolist(), *(firsts[c].tolist() for c in (
            "file", "line", "department", *columns)))

    unknown = frame[frame["stage"] == "unrecognised"]
    if len(unknown):
        codes = keys.input[unknown["pos"].to_numpy()]
        used = sorted_unique(codes)
        group_of = np.full(len(keys.input_texts), -1, dtype=np.int64)
        used_texts = keys.input_texts[used].tolist()
        group_of[used] = [groups[t] for t in used_texts]
        unknown = unknown.assign(group=group_of[codes])
        # the frame's rows are in position order: a group's first is its first row
        firsts = unknown.drop_duplicates("group").set_index("group")
        counts = unknown.groupby("group").size()
        from_product = unknown["column"].eq("product").groupby(unknown["group"]).any()
        # each name is in one group: the distinct names used, alphabetically, by group
        names: dict[int, list[str]] = defaultdict(list)
        for n, g in sorted(zip(used_texts, group_of[used].tolist())):
            names[g].append(n)
        counts, from_product = counts.to_dict(), from_product.to_dict()
        for g, file, line, department, column in by_group(firsts, "column"):
            rep = group_name[g]
            similar = [n for n in names[g] if n != rep]
            also = _similar_phrase(similar, "name")
            n = int(counts[g])
            findings.append(Finding(
                **where(file, line, department), column=column, stage=STAGE,
                severity="warning" if from_product[g] else "info", code="unrecognised-product",
                message=(f"{rep!r}{also} is not a product in the catalogue; {n} "
                         f"row{'s' if n > 1 else ''} use it. Add it to a catalogue file "
                         "(--catalogue) if it is a product, or give bespoke systems the "
                         "vendor In-house."),
                value=rep))
    bad_caps = frame[frame["capability"].isin(list(others))]
    if len(bad_caps):
        group = bad_caps["capability"].map({t: o.id for t, o in others.items()})
        bad_caps = bad_caps.assign(group=group.to_numpy())
        firsts = bad_caps.drop_duplicates("group").set_index("group")
        by = bad_caps.groupby("group")
        counts = by.size().to_dict()
        departments = by["department"].nunique().to_dict()
        pairs = bad_caps.drop_duplicates(["group", "capability"])
        texts: dict[str, list[str]] = defaultdict(list)
        for g, t in zip(pairs["group"].tolist(), pairs["capability"].tolist()):
            texts[g].append(t)
        texts = {g: sorted(ts) for g, ts in texts.items()}
        for cid, file, line, department, capability in by_group(firsts, "capability"):
            other = others[capability]
            similar = [t for t in texts[cid] if t != other.text]
            also = _similar_phrase(similar, "text")
            n, d = int(counts[cid]), int(departments[cid])
            used = (f"{n} row{'s' if n > 1 else ''} in {d} department{'s' if d > 1 else ''} "
                    f"use{'s' if n == 1 else ''} it")
            if cid in adopted:
                what = (f"; grouped as {cid} so that systems doing this job are still "
                        "compared (add it to a catalogue file, --catalogue, if the taxonomy "
                        "should know it)")
            else:
                what = ("; " + ("its system runs" if n == 1 else "all its systems run")
                        + " a catalogue product, whose own capability is used instead")
            findings.append(Finding(
                **where(file, line, department), column="capability", stage=STAGE,
                severity="info",
                code="unrecognised-capability",
                message=f"capability {other.text!r}{also} is not in the taxonomy; {used}{what}.",
                value=other.text))
    return sorted(findings, key=lambda f: (f.code, f.file, f.line or 0, f.value or ""))
