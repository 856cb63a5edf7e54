"""Candidate consolidation groups and the hard constraints that split them.

Candidates never cross a capability: each capability is a block, and inside it systems on
one product form one *unit* (they are the obvious tenant consolidation). In a block of more
than ``LOCAL_UNIT_LIMIT`` units, what only one department runs is one unit per department,
so the work grows with departments and shared products rather than rows. Units are linked
in a weighted similarity graph built from inverted indexes (shared vendor, shared data
domain, integrations) and from rapidfuzz scores between the names of bespoke systems of
that capability only, so no step compares all pairs of the estate. Connected groups larger
than ``similarity.community_min_units`` are split by seeded Louvain community detection.

The hard constraints then split each candidate group, in this order: classification tier,
hosting region (sovereignty zone), and the user's rules. Every split is recorded as a
blocker, so a person sees where a constraint bit.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain

import networkx as nx
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from estate.arrays import factorize, sorted_unique
from estate.analyse.frame import map_unique, phrases_in, slug, sorted_codes
from estate.settings import Constraints, Rule, Settings, SimilarityModel

ColumnCodes = Callable[[str], tuple[np.ndarray, np.ndarray]]
"""A column's sorted codes at some rows (-1: missing) and its distinct values."""

_CHARS = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
"""The characters of a clean name other than the space (sorted)."""
_NAME_ROWS = 512
"""Rows of the pair bounds computed at a time (bounded memory for large name blocks)."""

MAX_INDEX_GROUP = 200
"""A vendor or data domain shared by more units than this links none of them: it is too
common to say anything (like a stop word), and linking it would be quadratic."""
NAME_BLOCK_LIMIT = 2000
"""Above this many bespoke names in a capability, names are compared only within the
group that shares their first word."""
NAME_GROUP_LIMIT = 1000
"""A first-word group of names larger than this is split again by the next word."""


@dataclass
class Candidate:
    capability_id: str
    capability: str
    keys: list[str]
    labels: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    tier: str | None = None
    rows: np.ndarray | None = field(default=None, repr=False, compare=False)
    """The positions of ``keys`` in the systems table, once :func:`apply_constraints`
    has looked them up (None before)."""


LOCAL_UNIT_LIMIT = 1000
"""Above this many units in a capability block, the units only one department runs (its
bespoke systems and products nobody else runs) become one unit per department, so the
similarity graph and Louvain grow with departments and shared products, not rows."""


def similar_names(names: list[str], cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs ``i < j`` of ``names`` whose rapidfuzz ``token_set_ratio`` reaches
    ``cutoff``, with the score (0-100, as ``cdist`` with ``uint8`` gives it).

    The score of a pair is the best of ratios fixed by the lengths of its shared and own
    words and of one ratio whose edit distance is at least the letters its own words
    differ in. Those counts come from word postings and per-letter array arithmetic, so
    an upper bound of every pair's score costs a few array operations (in row blocks of
    ``_NAME_ROWS``, no BLAS); rapidfuzz scores only the pairs the bound cannot rule out,
    so the result is exactly what scoring all pairs gives.
    """
    n = len(names)
    empty = np.zeros(0, dtype=np.int64)
    if n < 2:
        return empty, empty, np.zeros(0, dtype=np.uint8)
    words = [sorted(set(x.split())) for x in names]
    count = np.array([len(ws) for ws in words], dtype=np.float32)
    chars = np.array([sum(map(len, ws)) for ws in words], dtype=np.float32)
    # Entry e is word t_e of name k_e (entries in name order); the later names that share
    # the word (k_e's partners) are post[start_e:start_e + count_e].
    word_of: dict[str, int] = {}
    ent_name, ent_word = [], []
    for k, ws in enumerate(words):
        for t in ws:
            ent_name.append(k)
            ent_word.append(word_of.setdefault(t, len(word_of)))
    ent_name = np.array(ent_name, dtype=np.int64)
    ent_word = np.array(ent_word, dtype=np.int64)
    size = np.bincount(ent_word, minlength=len(word_of))
    length = np.array([len(t) for t in word_of], dtype=np.float64)
    by_word = np.argsort(ent_word, kind="stable")  # names ascending within a word
    post = ent_name[by_word]
    first = np.cumsum(size) - size
    place = np.empty(len(ent_word), dtype=np.int64)
    place[by_word] = np.arange(len(by_word)) - first[ent_word[by_word]]
    ent_start = first[ent_word] + place + 1
    ent_count = size[ent_word] - place - 1
    ent_bounds = np.searchsorted(ent_name, np.arange(n + 1))
    # Letters of each name's distinct words (what its own words can differ in).
    text = [" ".join(ws).encode() for ws in words]
    owner = np.repeat(np.arange(n), [len(t) for t in text])
    byte = np.frombuffer(b"".join(text), dtype=np.uint8)
    letter = np.searchsorted(_CHARS, byte)
    ok = (letter < len(_CHARS)) & (_CHARS[np.minimum(letter, len(_CHARS) - 1)] == byte)
    counts = np.zeros((n, len(_CHARS)), dtype=np.int32)
    np.add.at(counts, (owner[ok], letter[ok]), 1)
    used = np.flatnonzero(counts.any(axis=0)).tolist()
    # Half-width integers when they hold the letters two names differ in (half the memory
    # traffic of the per-letter passes below).
    small = np.int16 if 2 * chars.max(initial=0) <= 32767 else np.int32
    counts = counts.astype(small)
    limit = cutoff - 0.5
    found_i, found_j = [], []
    for start in range(0, n - 1, _NAME_ROWS):
        rows = slice(start, min(start + _NAME_ROWS, n - 1))
        cols = slice(start + 1, n)  # pairs i < j only ever need the columns after i
        shape = (rows.stop - rows.start, n - start - 1)
        e = slice(ent_bounds[rows.start], ent_bounds[rows.stop])
        many = ent_count[e]
        entry = np.repeat(np.arange(e.start, e.stop), many)
        partner = post[np.repeat(ent_start[e], many) + np.arange(len(entry))
                       - np.repeat(np.cumsum(many) - many, many)]
        cell = (ent_name[entry] - start) * shape[1] + partner - (start + 1)
        cells = shape[0] * shape[1]  # shared words and their length, per pair
        c = np.bincount(cell, minlength=cells).astype(np.float32).reshape(shape)
        w = np.bincount(cell, weights=length[ent_word[entry]],
                        minlength=cells).astype(np.float32).reshape(shape)
        apart = np.zeros(c.shape, dtype=small)  # letters the two names differ in
        part = np.empty_like(apart)
        for col in used:
            np.subtract.outer(counts[rows, col], counts[cols, col], out=part)
            np.abs(part, out=part)
            apart += part
        own_a = count[rows, None] - c
        own_b = count[None, cols] - c
        some = c > 0
        s = np.where(some, w + c - 1, 0)
        a = np.where(own_a > 0, chars[rows, None] - w + own_a - 1, 0)
        b = np.where(own_b > 0, chars[None, cols] - w + own_b - 1, 0)
        total = 2 * s + 2 * some + a + b
        short = np.minimum(a, b)
        apart = np.maximum(apart + np.abs(own_a - own_b), np.abs(a - b))
        with np.errstate(divide="ignore", invalid="ignore"):
            keep = (some & ((own_a == 0) | (own_b == 0))
                    | (some & (100 * (1 - (1 + short) / (2 * s + 1 + short)) >= limit))
                    | ((total > 0) & (100 * (1 - apart / total) >= limit)))
        keep &= np.arange(start + 1, n)[None, :] > np.arange(rows.start, rows.stop)[:, None]
        r, q = np.nonzero(keep)
        found_i.append(r + start)
        found_j.append(q + start + 1)
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    if not len(i):
        return i, j, np.zeros(0, dtype=np.uint8)
    scores = process.cpdist([names[k] for k in i.tolist()], [names[k] for k in j.tolist()],
                            scorer=fuzz.token_set_ratio, score_cutoff=cutoff,
                            dtype=np.uint8, workers=1)
    hit = scores > 0
    return i[hit], j[hit], scores[hit]


def _name_blocks(uniq: list[str]) -> list[list[str]]:
    """Groups of sorted unique names to compare with each other.

    Up to ``NAME_BLOCK_LIMIT`` names are one group; above it names are grouped by their
    first word, and a group still above ``NAME_GROUP_LIMIT`` by its first two words, and
    so on, so the comparisons grow with the number of names, not its square.
    """
    if len(uniq) <= NAME_BLOCK_LIMIT:
        return [uniq]
    found = []
    todo = [(uniq, 1)]
    while todo:
        names, words = todo.pop()
        heads = pd.Series(names).str.split().str[:words].str.join(" ").fillna("")
        for head, group in pd.Series(names).groupby(heads, sort=True):
            group = list(group)
            longer = any(len(n.split()) > words for n in group)
            if len(group) > NAME_GROUP_LIMIT and longer:
                todo.append((group, words + 1))
            else:
                found.append(group)
    return sorted(found)


@dataclass
class BlockInputs:
    """What the similarity graph of one capability block is built from, as plain lists.

    Made for every block of the estate at once by :func:`block_inputs` (a few whole-table
    sorts and groupbys), so a block costs no pandas calls of its own.
    """

    units: list[str] = field(default_factory=list)
    """Sorted units of the block."""
    vendors: list[list[str]] = field(default_factory=list)
    """Sorted units sharing each vendor, in vendor order (groups of 2..MAX_INDEX_GROUP)."""
    domains: list[list[str]] = field(default_factory=list)
    """Sorted units sharing each data domain, in domain order (same limits)."""
    integrations: list[tuple[str, str]] = field(default_factory=list)
    """Unit pairs of the block's integrations (between different units), in edge order."""
    names: dict[str, list[str]] = field(default_factory=dict)
    """Clean bespoke names (sorted) and the sorted units that carry each."""
    keys: dict[str, list[str]] = field(default_factory=dict)
    """Sorted system keys of each unit."""
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """The same systems as positions in the caller's table (see :func:`block_inputs`),
    unit after unit, each unit's in key order: :func:`group_rows` picks groups from these
    integers, with no key text sorted or looked up."""
    unit_starts: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    """Where each unit's run of ``rows`` starts, and (last) where the runs end."""


def _runs(frame: pd.DataFrame, by: list[str]) -> list[tuple[tuple, int, int]]:
    """``(values of by, start, stop)`` of each run of equal ``by`` in a sorted frame."""
    columns = [frame[col].to_numpy(dtype=object) for col in by]
    starts, stops = _code_runs(*columns)
    firsts = list(zip(*(c[starts].tolist() for c in columns)))
    return list(zip(firsts, starts, stops))


def _sorted_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Codes that follow the sorted order of the distinct values (-1 where missing), and
    those values: sorting or grouping by the codes is sorting or grouping by the values."""
    return sorted_codes(values)


def _code_runs(*codes: np.ndarray) -> tuple[list[int], list[int]]:
    """Start and stop of each run of equal codes in arrays sorted together."""
    n = len(codes[0])
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
    for c in codes:
        change[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(change)
    return starts.tolist(), np.append(starts[1:], n).tolist()


def _shared_groups(found: dict, attr: str, cap: np.ndarray, caps: np.ndarray,
                   unit: np.ndarray, units: np.ndarray, value: np.ndarray) -> None:
    """Per block, the sorted units sharing each value (inverted index), in value order;
    ``cap``, ``unit`` and ``value`` are sorted codes of the rows (-1: no value)."""
    ok = value >= 0
    nv, nu = int(value.max(initial=0)) + 1, max(len(units), 1)
    triple = sorted_unique((cap[ok] * nv + value[ok]) * nu + unit[ok])
    group, members = triple // nu, units[triple % nu].tolist()
    for a, b in zip(*_code_runs(group)):
        if 2 <= b - a <= MAX_INDEX_GROUP:
            getattr(found[caps[group[a] // nv]], attr).append(members[a:b])


def block_units(block: pd.DataFrame, cap: pd.Series, coded: ColumnCodes | None = None
                ) -> pd.Series:
    """The unit of each system: its product, else itself; in a block of more than
    ``LOCAL_UNIT_LIMIT`` units what one department alone runs is that department's unit.
    ``coded`` (see :func:`block_inputs`) gives the codes of ``cap`` and the department
    (and of ``product_key`` when the block has that column: the product, else ``sys:``
    and the key, the unit already)."""
    return _block_units(block, cap, coded)[0]


def _block_units(block: pd.DataFrame, cap: pd.Series, coded: ColumnCodes | None
                 ) -> tuple[pd.Series, bool]:
    """:func:`block_units`, and whether any system was given its department's unit
    (else the units are the product keys)."""
    keyed = coded is not None and "product_key" in block
    unit = (block["product_key"] if "product_key" in block else
            block["product_id"].fillna("sys:" + block["system_key"])).astype(object)
    caps = coded("capability_id")[0] if coded is not None else pd.factorize(
        cap.to_numpy(object))[0].astype(np.int64)
    units = coded("product_key")[0] if keyed else pd.factorize(
        unit.to_numpy(object))[0].astype(np.int64)
    pair = caps * (int(units.max(initial=0)) + 1) + units
    distinct = sorted_unique(pair)
    per_cap = np.bincount(distinct // (int(units.max(initial=0)) + 1))
    many = per_cap[caps] > LOCAL_UNIT_LIMIT
    if not many.any():
        return unit, False
    department = coded("department")[0] if coded is not None else pd.factorize(
        block["department"].to_numpy(object))[0].astype(np.int64)
    known = department >= 0
    pairs, at = np.unique(pair, return_inverse=True)
    spread = np.bincount(sorted_unique(at[known] * (int(department.max()) + 1)
                                       + department[known]) // (int(department.max()) + 1),
                         minlength=len(pairs))[at.ravel()]
    local = many & (spread == 1)
    return (unit.where(~local, "local:" + block["department"].astype(str)).astype(object),
            bool(local.any()))


def _clean_names(names: pd.Series) -> np.ndarray:
    """Casefolded names with every run of other characters one space (once per distinct
    name); None where a name is missing."""
    codes, uniques = pd.factorize(names.to_numpy(object))
    clean = (pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str)
             .str.casefold().str.replace(r"[^0-9a-z]+", " ", regex=True).str.strip()
             .to_numpy(object))
    return np.where(codes >= 0, clean[np.maximum(codes, 0)] if len(clean) else None, None)


def _domain_codes(domains: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each system's data domains exploded: (row, sorted domain code) pairs, and the
    domains. Distinct domain lists are exploded once each, not once per row."""
    values = domains.to_numpy(object)
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:  # unhashable lists: every row its own
        codes, uniques = np.arange(len(values)), values
    exploded = pd.Series(np.asarray(uniques, dtype=object), dtype=object).explode().dropna()
    owner = exploded.index.to_numpy(np.int64)
    code, names = _sorted_codes(exploded.to_numpy(object))
    count = np.bincount(owner, minlength=len(uniques))
    offset = np.cumsum(count) - count
    rows = np.flatnonzero(codes >= 0)
    rows = rows[count[codes[rows]] > 0]
    n = count[codes[rows]]
    row = np.repeat(rows, n)
    within = np.arange(len(row)) - np.repeat(np.cumsum(n) - n, n)
    return row, code[offset[codes[row]] + within], names


def block_inputs(block: pd.DataFrame, cap: pd.Series, edges: pd.DataFrame,
                 sim: SimilarityModel, coded: ColumnCodes | None = None,
                 at: np.ndarray | None = None) -> dict[object, BlockInputs]:
    """:class:`BlockInputs` of every block (systems grouped by ``cap``, the block's
    ``capability_id``); ``edges`` are the integrations inside a block, with its ``cap``;
    ``at``, the position of each row of ``block`` in the caller's table (default: its
    position in ``block``).

    Each column is factorised once into codes that sort like its values, so every sort
    and distinct step below is integer work; ``coded(column)``, when given, has them
    already (sorted codes of the ``capability_id`` and ``department`` of the block's
    rows, and their values)."""
    unit, localised = _block_units(block, cap, coded)
    found: dict[object, BlockInputs] = {c: BlockInputs() for c in pd.unique(cap)}
    if block.empty:
        return found
    cap_code, caps = coded("capability_id") if coded is not None else _sorted_codes(cap)
    unit_code, units = coded("product_key") if (
        coded is not None and "product_key" in block and not localised) else _sorted_codes(unit)
    keys = block["system_key"]
    rank = (np.arange(len(keys)) if keys.is_monotonic_increasing
            else _sorted_codes(keys)[0])
    # one stable sort of (capability, unit, rank) as one integer (-1 codes sort first)
    key = ((cap_code.astype(np.int64) + 1) * (len(units) + 1) + unit_code + 1) \
        * (len(keys) + 1) + rank + 1
    order = np.argsort(key, kind="stable")
    sorted_keys = keys.to_numpy(object)[order].tolist()
    sorted_at = (np.arange(len(block)) if at is None else np.asarray(at, np.int64))[order]
    c, u = cap_code[order], unit_code[order]
    starts, stops = _code_runs(c, u)
    for ci, ui, a, b in zip(caps[c[starts]].tolist(), units[u[starts]].tolist(),
                            starts, stops):
        found[ci].keys[ui] = sorted_keys[a:b]
        found[ci].units.append(ui)
    bounds = np.append(starts, len(c))
    cap_starts, cap_stops = _code_runs(c)
    for ci, a, b, first, last in zip(caps[c[cap_starts]].tolist(), cap_starts, cap_stops,
                                     np.searchsorted(bounds, cap_starts).tolist(),
                                     np.searchsorted(bounds, cap_stops).tolist()):
        found[ci].rows = sorted_at[a:b]
        found[ci].unit_starts = bounds[first:last + 1] - a
    _shared_groups(found, "vendors", cap_code, caps, unit_code, units,
                   _sorted_codes(block["vendor_key"])[0])
    row, domain, _ = _domain_codes(block["data_domains"])
    _shared_groups(found, "domains", cap_code[row], caps, unit_code[row], units, domain)
    if not edges.empty:
        ends = pd.DataFrame({"cap": edges["cap"].to_numpy(object),
                             "a": edges["source"].map(unit).to_numpy(object),
                             "b": edges["target"].map(unit).to_numpy(object)}).dropna()
        ends = ends[ends["a"] != ends["b"]].sort_values("cap", kind="stable")
        pairs = list(zip(ends["a"].tolist(), ends["b"].tolist()))
        for (ci,), a, b in _runs(ends, ["cap"]):
            if ci in found:
                found[ci].integrations = pairs[a:b]
    bespoke = np.flatnonzero(block["product_id"].isna().to_numpy())
    if len(bespoke):
        name_code, names = _sorted_codes(_clean_names(block["name"].iloc[bespoke]))
        bespoke, name_code = bespoke[name_code >= 0], name_code[name_code >= 0]  # no name
        nn, nu = max(len(names), 1), max(len(units), 1)
        triple = sorted_unique((cap_code[bespoke] * nn + name_code) * nu + unit_code[bespoke])
        group, members = triple // nu, units[triple % nu].tolist()
        for a, b in zip(*_code_runs(group)):
            found[caps[group[a] // nn]].names[names[group[a] % nn]] = members[a:b]
    return found


def _pairs_within(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat positions ``(i, j)`` of every pair inside each run of ``sizes`` consecutive
    items, in ``itertools.combinations`` order run by run."""
    sizes = np.asarray(sizes, dtype=np.int64)
    n = int(sizes.sum())
    starts = np.cumsum(sizes) - sizes
    run = np.repeat(np.arange(len(sizes)), sizes)
    after = sizes[run] - 1 - (np.arange(n) - starts[run])
    first = np.repeat(np.arange(n), after)
    second = first + 1 + np.arange(len(first)) - np.repeat(np.cumsum(after) - after, after)
    return first, second


def _grouped_pairs(groups: list[list[str]], code: dict[str, int]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Unit codes of every pair inside each group of sorted units, in combinations order."""
    flat = np.array([code[u] for g in groups for u in g], dtype=np.int64)
    i, j = _pairs_within(np.array([len(g) for g in groups], dtype=np.int64))
    return flat[i], flat[j]


def _name_pairs(by_name: dict[str, list[str]], code: dict[str, int], sim: SimilarityModel
                ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(a, b, weight)`` arrays of the name links, in the order the links are added."""
    if sim.name_similarity <= 0 or not by_name:
        return []
    uniq = list(by_name)
    sizes = np.array([len(v) for v in by_name.values()], dtype=np.int64)
    flat = np.array([code[u] for v in by_name.values() for u in v], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    i, j = _pairs_within(sizes)
    found = [(flat[i], flat[j], np.full(len(i), float(sim.name_similarity)))]
    if len(uniq) < 2:
        return found
    number = {name: k for k, name in enumerate(uniq)}
    for names_block in _name_blocks(uniq):
        if len(names_block) < 2:
            continue
        rows, cols, scores = similar_names(names_block, sim.name_threshold)
        if not len(rows):
            continue
        ids = np.array([number[x] for x in names_block], dtype=np.int64)
        ni, nj = ids[rows], ids[cols]
        w = sim.name_similarity * scores.astype(np.float64) / 100.0
        ci, cj = sizes[ni], sizes[nj]
        pair = np.repeat(np.arange(len(ni)), ci * cj)
        t = np.arange(len(pair)) - np.repeat(np.cumsum(ci * cj) - ci * cj, ci * cj)
        a = flat[starts[ni][pair] + t // cj[pair]]
        b = flat[starts[nj][pair] + t % cj[pair]]
        keep = a != b
        a, b = a[keep], b[keep]
        found.append((np.minimum(a, b), np.maximum(a, b), w[pair[keep]]))
    return found


def unit_links(inputs: BlockInputs, sim: SimilarityModel
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linked pairs of one block as unit codes ``a < b`` (positions in ``inputs.units``)
    sorted by ``(a, b)``, with their weights.

    Every link's contributions are summed in the order the similarity model lists them
    (capability, vendors, domains, integrations, names), one after another, so each
    weight is the same float a running sum per pair gives.
    """
    units = inputs.units
    n = len(units)
    code = {u: k for k, u in enumerate(units)}
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if n <= sim.dense_limit and sim.same_capability > 0 and n > 1:
        i, j = _pairs_within(np.array([n]))
        parts.append((i, j, np.full(len(i), float(sim.same_capability))))
    for groups, weight in ((inputs.vendors, sim.same_vendor),
                           (inputs.domains, sim.shared_data_domain)):
        if weight > 0 and groups:
            a, b = _grouped_pairs(groups, code)
            parts.append((a, b, np.full(len(a), float(weight))))
    if sim.integration > 0 and inputs.integrations:
        ends = np.array([(code[a], code[b]) for a, b in inputs.integrations],
                        dtype=np.int64).reshape(-1, 2)
        parts.append((ends.min(axis=1), ends.max(axis=1),
                      np.full(len(ends), float(sim.integration))))
    parts.extend(_name_pairs(inputs.names, code, sim))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    a = np.concatenate([p[0] for p in parts]).astype(np.int64)
    b = np.concatenate([p[1] for p in parts]).astype(np.int64)
    w = np.concatenate([p[2] for p in parts]).astype(np.float64)
    pair, at = np.unique(a * max(n, 1) + b, return_inverse=True)
    return pair // n, pair % n, np.bincount(at.ravel(), weights=w, minlength=len(pair))


def block_weights(inputs: BlockInputs, sim: SimilarityModel) -> dict[tuple[str, str], float]:
    """The weight of each linked pair ``(a, b)``, ``a < b``, of one block's units."""
    a, b, w = unit_links(inputs, sim)
    units = inputs.units
    return {(units[i], units[j]): x for i, j, x in zip(a.tolist(), b.tolist(), w.tolist())}


def _component_labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest node of each node's connected group (min-label hooking with pointer
    jumping, whole arrays per round)."""
    label = np.arange(n)
    while True:
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, label[a], low)
        np.minimum.at(new, label[b], low)
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        while True:
            up = new[new]
            if np.array_equal(up, new):
                break
            new = up
        if np.array_equal(new, label):
            return label
        label = new


def _louvain(n: int, links, resolution: float, seed, threshold: float = 1e-7
             ) -> list[set[int]]:
    """``nx.community.louvain_communities(G, weight="weight", resolution=resolution,
    seed=seed)`` of the graph ``G`` with nodes ``0..n-1`` added in order and then the
    weighted edges ``links`` (pairs ``a != b``, no repeats), without building a graph.

    The same steps in the same order on plain lists and dicts: the same node and
    neighbour order, the same random shuffles and the same float expressions, so the
    communities are the same (checked against networkx in the tests).
    """
    graph: list[dict[int, float]] = [{} for _ in range(n)]
    for a, b, w in links:
        graph[a][b] = w
        graph[b][a] = w
    copy: list[dict[int, float]] = [{} for _ in range(n)]  # louvain_partitions' own copy
    for u, nbrs in enumerate(graph):
        for v, w in nbrs.items():
            if v >= u:
                copy[u][v] = w
                copy[v][u] = w
    return _louvain_levels(graph, copy, resolution, seed, threshold)


def _sorted_louvain(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray,
                    resolution: float, seed, threshold: float = 1e-7) -> list[set[int]]:
    """:func:`_louvain` of links given as arrays sorted by ``(a, b)`` with ``a < b`` (as
    :func:`unit_links` gives them). Added in that order, every node's neighbours come in
    ascending order, in networkx's graph and in its copy alike, so both are one set of
    dicts built from a sort of the link arrays."""
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    order = np.lexsort((dst, src))
    bounds = np.searchsorted(src[order], np.arange(n + 1)).tolist()
    nbr = dst[order].tolist()
    wt = np.concatenate([w, w])[order].tolist()
    graph = [dict(zip(nbr[s:e], wt[s:e])) for s, e in zip(bounds[:-1], bounds[1:])]
    return _louvain_levels(graph, graph, resolution, seed, threshold)


def _louvain_levels(graph: list[dict[int, float]], copy: list[dict[int, float]],
                    resolution: float, seed, threshold: float) -> list[set[int]]:
    """The levels of :func:`_louvain` from networkx's graph and its copy (read only)."""
    rng = nx.utils.create_py_random_state(seed)
    partition = [{u} for u in range(len(graph))]
    if not any(graph):
        return partition
    degrees = _degrees(graph)
    mod = _modularity(graph, degrees, partition, resolution)
    graph = copy
    degrees = _degrees(graph)
    m = sum(degrees) / 2
    members: list[set[int]] | None = None
    partition, inner, _ = _one_level(graph, degrees, m, partition, members, resolution, rng)
    while True:  # each level's partition is final unless the next one gains modularity
        new_mod = _modularity(graph, degrees, inner, resolution)
        if new_mod - mod <= threshold:
            return partition
        mod = new_mod
        graph, members = _next_graph(graph, inner, members)
        degrees = _degrees(graph)
        moved, inner, improvement = _one_level(graph, degrees, m, partition, members,
                                               resolution, rng)
        if not improvement:  # no node moved: partition is as it was
            return partition
        partition = moved


def _degrees(graph: list[dict[int, float]]) -> list[float]:
    """Weighted degree as networkx sums it (neighbours in order, a self-loop twice)."""
    return [sum(nbrs.values()) + (u in nbrs and nbrs[u]) for u, nbrs in enumerate(graph)]


def _modularity(graph: list[dict[int, float]], degrees: list[float],
                communities: list[set[int]], resolution: float) -> float:
    deg_sum = sum(degrees)
    m = deg_sum / 2
    norm = 1 / deg_sum**2

    def contribution(community: set[int]) -> float:
        if len(community) == 1:  # the same sums, without the sets
            (u,) = community
            inside = [graph[u][u]] if u in graph[u] else []
            return sum(inside) / m - resolution * degrees[u] * degrees[u] * norm
        comm = set(community)
        seen = set()
        inside = []
        for u in comm:
            for v, w in graph[u].items():
                if v not in seen and v in comm:
                    inside.append(w)
            seen.add(u)
        degree_sum = sum(degrees[u] for u in comm)
        return sum(inside) / m - resolution * degree_sum * degree_sum * norm

    return sum(map(contribution, communities))


_WIDE = 64
"""Nodes with at least this many neighbours weigh their moves with numpy (the same float
expressions element by element, and the same first-seen order of communities)."""


def _one_level(graph: list[dict[int, float]], degrees: list[float], m: float,
               partition: list[set[int]], members: list[set[int]] | None,
               resolution: float, rng) -> tuple[list[set[int]], list[set[int]], bool]:
    """One pass of node moves (networkx's ``_one_level`` for an undirected graph)."""
    n = len(graph)
    node2com = list(range(n))
    inner = [{u} for u in range(n)]
    stot = list(degrees)
    nbrs = [{v: w for v, w in adj.items() if v != u} if u in adj else adj
            for u, adj in enumerate(graph)]  # read only
    wide: list[tuple[np.ndarray, np.ndarray] | None] = [None] * n
    many = [u for u, adj in enumerate(nbrs) if len(adj) >= _WIDE]
    if many:  # their neighbours and weights as slices of two flat arrays
        sizes = [len(nbrs[u]) for u in many]
        flat = np.fromiter(chain.from_iterable(nbrs[u] for u in many), np.int64, sum(sizes))
        weight = np.fromiter(chain.from_iterable(nbrs[u].values() for u in many),
                             np.float64, len(flat))
        stops = np.cumsum(sizes).tolist()
        for u, start, stop in zip(many, [0, *stops[:-1]], stops):
            wide[u] = flat[start:stop], weight[start:stop]
    mirror = bool(many)
    com_of = np.arange(n)  # node2com and stot as arrays, for the wide nodes
    stot_of = np.array(stot, dtype=np.float64)
    rand_nodes = list(range(n))
    rng.shuffle(rand_nodes)
    twice_m2 = 2 * m**2
    nb_moves = 1
    improvement = False
    while nb_moves > 0:
        nb_moves = 0
        for u in rand_nodes:
            own = best_com = node2com[u]
            degree = degrees[u]
            arrays = wide[u]
            if arrays is None:
                best_mod = 0
                weights2com: defaultdict[int, float] = defaultdict(float)
                for nbr, wt in nbrs[u].items():
                    weights2com[node2com[nbr]] += wt
                stot[best_com] -= degree
                remove_cost = (-weights2com[best_com] / m
                               + resolution * (stot[best_com] * degree) / twice_m2)
                for nbr_com, wt in weights2com.items():
                    gain = (remove_cost + wt / m
                            - resolution * (stot[nbr_com] * degree) / twice_m2)
                    if gain > best_mod:
                        best_mod = gain
                        best_com = nbr_com
            else:
                best_com = _wide_move(arrays, own, degree, com_of, stot, stot_of, m,
                                      resolution, twice_m2)
            stot[best_com] += degree
            if mirror:
                stot_of[own] = stot[own]
                stot_of[best_com] = stot[best_com]
            if best_com != own:
                com = members[u] if members is not None else {u}
                partition[own].difference_update(com)
                inner[own].remove(u)
                partition[best_com].update(com)
                inner[best_com].add(u)
                improvement = True
                nb_moves += 1
                node2com[u] = best_com
                com_of[u] = best_com
    return list(filter(len, partition)), list(filter(len, inner)), improvement


def _wide_move(arrays: tuple[np.ndarray, np.ndarray], own: int, degree: float,
               com_of: np.ndarray, stot: list[float], stot_of: np.ndarray, m: float,
               resolution: float, twice_m2: float) -> int:
    """The best community of one node with many neighbours (the loop of
    :func:`_one_level` on arrays); takes the node's degree out of ``stot`` of its own.

    The loop keeps the first community of the highest gain in the order the neighbours
    first show them (its own last when no neighbour is in it): the gains are the same
    floats here, and only a tie for the highest needs that order."""
    nbr, wt = arrays
    coms = com_of[nbr]
    size = len(stot_of)
    sums = np.bincount(coms, weights=wt, minlength=size)  # in neighbour order, per community
    present = np.bincount(coms, minlength=size) > 0
    present[own] = True
    stot[own] -= degree
    stot_of[own] = stot[own]
    remove_cost = -float(sums[own]) / m + resolution * (stot[own] * degree) / twice_m2
    which = np.flatnonzero(present)
    gains = remove_cost + sums[which] / m - resolution * (stot_of[which] * degree) / twice_m2
    top = int(np.argmax(gains))
    if not gains[top] > 0:
        return own
    best = which[gains == gains[top]]
    if len(best) == 1:
        return int(best[0])
    seen = np.flatnonzero(np.isin(coms, best))
    return int(coms[seen[0]]) if len(seen) else own


def _next_graph(graph: list[dict[int, float]], inner: list[set[int]],
                members: list[set[int]] | None
                ) -> tuple[list[dict[int, float]], list[set[int]]]:
    """The graph of communities (networkx's ``_gen_graph``) and each one's first nodes."""
    node2com = [0] * len(graph)
    nodes_of = []
    for i, part in enumerate(inner):
        nodes: set[int] = set()
        for node in part:
            node2com[node] = i
            nodes.update(members[node] if members is not None else {node})
        nodes_of.append(nodes)
    # networkx adds each edge (u <= v, in adjacency order) to its communities' edge,
    # c1 -> c2 then c2 -> c1: every pair's weight is the running sum in that order (what
    # bincount adds), and each community's neighbours come in the order first added.
    sizes = [len(adj) for adj in graph]
    total = sum(sizes)
    src = np.repeat(np.arange(len(graph)), sizes)
    dst = np.fromiter(chain.from_iterable(graph), np.int64, total)
    wt = np.fromiter(chain.from_iterable(adj.values() for adj in graph), np.float64, total)
    keep = dst >= src
    com = np.array(node2com, dtype=np.int64)
    c1, c2, wt = com[src[keep]], com[dst[keep]], wt[keep]
    k = max(len(inner), 1)
    _, at = np.unique(np.minimum(c1, c2) * k + np.maximum(c1, c2), return_inverse=True)
    weight = np.bincount(at.ravel(), weights=wt)
    ends = np.stack([c1, c2], axis=1).ravel()  # c1 -> c2, c2 -> c1, edge by edge
    other = np.stack([c2, c1], axis=1).ravel()
    _, first = np.unique(ends * k + other, return_index=True)
    first = first[np.lexsort((first, ends[first]))]
    bounds = np.searchsorted(ends[first], np.arange(len(inner) + 1)).tolist()
    keys = other[first].tolist()
    values = weight[np.repeat(at.ravel(), 2)[first]].tolist()
    out = [dict(zip(keys[a:b], values[a:b])) for a, b in zip(bounds[:-1], bounds[1:])]
    return out, nodes_of


def _single(block: pd.DataFrame, edges: pd.DataFrame, sim: SimilarityModel) -> BlockInputs:
    found = block_inputs(block, pd.Series(0, index=block.index), edges.assign(cap=0), sim)
    return found.get(0, BlockInputs())


def similarity_weights(block: pd.DataFrame, edges: pd.DataFrame,
                       sim: SimilarityModel) -> tuple[list[str], dict[tuple[str, str], float]]:
    """Sorted units of one capability block and the weight of each linked pair ``(a, b)``,
    ``a < b``."""
    inputs = _single(block, edges, sim)
    return inputs.units, block_weights(inputs, sim)


def _graph(units: list[str], links) -> nx.Graph:
    """Nodes and edges added in sorted order, so Louvain's seeded run is reproducible."""
    graph = nx.Graph()
    graph.add_nodes_from(units)
    graph.add_weighted_edges_from(links)
    return graph


def similarity_graph(block: pd.DataFrame, edges: pd.DataFrame,
                     sim: SimilarityModel) -> nx.Graph:
    """The weighted unit graph of one capability block."""
    units, weights = similarity_weights(block, edges, sim)
    return _graph(units, ((a, b, w) for (a, b), w in sorted(weights.items())))


def candidate_groups(block: pd.DataFrame, edges: pd.DataFrame,
                     settings: Settings) -> list[tuple[list[str], str | None]]:
    """System keys of each candidate group of one capability block (see
    :func:`block_groups`)."""
    return block_groups(_single(block, edges, settings.similarity), settings)


def block_groups(inputs: BlockInputs,
                 settings: Settings) -> list[tuple[list[str], str | None]]:
    """System keys of each candidate group of one capability, with an anchor label.

    The anchor (the unit with most systems) names a group only when the block gives
    more than one group, so the id of the usual single cluster does not depend on it.
    Only connected groups above ``community_min_units`` get Louvain; each runs on just
    its own units and links, in sorted order.
    """
    return group_keys(inputs, unit_groups(inputs, settings))


def unit_groups(inputs: BlockInputs, settings: Settings) -> list[list[int]]:
    """The candidate groups of one block as positions in ``inputs.units`` (the costly
    part of :func:`block_groups`: links, connected groups and Louvain). Plain lists of
    integers, so blocks can be worked out in another process and sent back cheaply."""
    sim = settings.similarity
    a, b, w = unit_links(inputs, sim)
    label = _component_labels(len(inputs.units), a, b)
    order = np.argsort(label, kind="stable")
    starts = np.flatnonzero(np.r_[True, label[order][1:] != label[order][:-1]])
    bounds = np.append(starts, len(order)).tolist()
    groups: list[list[int]] = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        comp = order[start:stop]
        if len(comp) <= sim.community_min_units:
            groups.append(comp.tolist())
            continue
        mine = label[a] == label[comp[0]]
        local = np.searchsorted(comp, a[mine]), np.searchsorted(comp, b[mine])
        communities = _sorted_louvain(len(comp), *local, w[mine], sim.resolution,
                                      settings.seed)
        nodes = comp.tolist()
        groups.extend(sorted((sorted(nodes[k] for k in c) for c in communities),
                             key=lambda c: c[0]))
    return groups


def group_keys(inputs: BlockInputs,
               groups: list[list[int]]) -> list[tuple[list[str], str | None]]:
    """The sorted system keys and anchor label of each group of :func:`unit_groups`."""
    units, keys_by_unit = inputs.units, inputs.keys
    result = []
    for members in groups:
        keys = sorted(k for u in members for k in keys_by_unit[units[u]])
        anchor = None
        if len(groups) > 1:
            anchor_unit = units[min(members, key=lambda u: (-len(keys_by_unit[units[u]]), u))]
            anchor = slug(anchor_unit.removeprefix("sys:"))
        result.append((keys, anchor))
    return result


def group_rows(inputs: BlockInputs,
               groups: list[list[int]]) -> list[tuple[np.ndarray, str | None]]:
    """:func:`group_keys` as positions: the ascending ``inputs.rows`` of each group (key
    order when the caller's table is sorted by key) and its anchor label, on integers."""
    if not groups:
        return []
    sizes = np.diff(inputs.unit_starts)
    lengths = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
    members = np.fromiter(chain.from_iterable(groups), dtype=np.int64, count=int(lengths.sum()))
    number = np.repeat(np.arange(len(groups)), lengths)
    group_of_unit = np.empty(len(sizes), dtype=np.int64)
    group_of_unit[members] = number
    row_group = np.repeat(group_of_unit, sizes)
    picked = inputs.rows[np.lexsort((inputs.rows, row_group))]
    rows = np.split(picked, np.cumsum(np.bincount(row_group, minlength=len(groups)))[:-1])
    if len(groups) == 1:
        return [(rows[0], None)]
    # the anchor: the unit with most systems, the first of those
    best = np.lexsort((members, -sizes[members], number))
    heads = best[np.r_[True, number[best][1:] != number[best][:-1]]]
    anchors = np.asarray(inputs.units, dtype=object)[members[heads]].tolist()
    return [(r, slug(a.removeprefix("sys:"))) for r, a in zip(rows, anchors)]


# --- hard constraints --------------------------------------------------------------

def zone_of(regions: pd.Series, constraints: Constraints,
            mapped: Callable[[Callable], pd.Series] | None = None) -> pd.Series:
    """Sovereignty zone (or region, or nothing) of each system per ``region_rule``.
    ``mapped(fn)``, when given, is :func:`map_unique` of ``regions`` from codes the
    caller has."""
    if constraints.region_rule == "none":
        return pd.Series(None, index=regions.index, dtype=object)
    mapped = mapped or (lambda fn: map_unique(regions, fn))

    def clean(v: object) -> str | None:
        return v.strip().casefold() if isinstance(v, str) and v.strip() else None

    if constraints.region_rule == "region":
        return mapped(clean)
    exact = {}
    patterns = []
    for zone, names in constraints.sovereignty_zones.items():
        for name in names:
            name = name.casefold()
            if any(ch in name for ch in "*?["):
                patterns.append((name, zone))
            else:
                exact.setdefault(name, zone)

    def zone(region: str | None) -> str | None:
        if region is None:
            return None
        if region in exact:
            return exact[region]
        for pattern, z in patterns:
            if fnmatch.fnmatchcase(region, pattern):
                return z
        return region

    return mapped(lambda v: zone(clean(v)))  # one pass over the distinct regions


def rule_matches(block: pd.DataFrame, rule: Rule) -> pd.Series:
    """Whether each system matches a ``separate`` rule (any element of a list field)."""
    patterns = [v.casefold() for v in rule.values]

    def hit(value: object) -> bool:
        items = value if isinstance(value, (tuple, list)) else (value,)
        return any(isinstance(v, str) and any(fnmatch.fnmatchcase(v.casefold(), p)
                                              for p in patterns) for v in items)

    column = block[rule.field] if rule.field in block else pd.Series(None, index=block.index)
    return map_unique(column, hit).astype(bool)


def rule_applies(rule: Rule, capability_id: str, capability: str) -> bool:
    if not rule.capabilities:
        return True
    wanted = {slug(c) for c in rule.capabilities}
    return slug(capability_id) in wanted or slug(capability) in wanted


def _field_key(block: pd.DataFrame, name: str) -> pd.Series:
    column = block[name] if name in block else pd.Series(None, index=block.index)
    return map_unique(column, _field_text)


def _field_text(v: object) -> str | None:
    if isinstance(v, tuple):
        return " / ".join(map(str, v)).casefold() or None
    if v is None or (isinstance(v, float) and np.isnan(v)) or not str(v).strip():
        return None
    return str(v).strip().casefold()


class ConstraintValues:
    """Each constraint's value for every system, computed once for the whole estate.

    A constraint's value depends on the system alone, so one pass over the table serves
    every candidate group; a group then only looks its members up (as integer codes).
    """

    def __init__(self, systems: pd.DataFrame) -> None:
        self.systems = systems
        self._position: dict[str, int] | None = None
        self.columns: dict[tuple[str, str], tuple[list, np.ndarray]] = {}

    @property
    def position(self) -> dict[str, int]:
        """The row of each key (made on first use)."""
        if self._position is None:
            self._position = dict(zip(self.systems.index.tolist(), range(len(self.systems))))
        return self._position

    def coded(self, constraint: "_Constraint") -> tuple[list, np.ndarray]:
        """Every system's value, and its code (-1 where missing; equal values, equal code)."""
        name = (constraint.name, constraint.describe)
        if name not in self.columns:
            column = constraint.key(self.systems)
            codes = factorize(column)[0]
            codes[column.isna().to_numpy()] = -1
            self.columns[name] = (column.tolist(), codes)
        return self.columns[name]

    def positions(self, keys: list[str]) -> np.ndarray:
        return np.fromiter(map(self.position.__getitem__, keys), dtype=np.int64,
                           count=len(keys))

    def of(self, constraint: "_Constraint", keys: list[str]) -> tuple[list, list[bool]]:
        values, codes = self.coded(constraint)
        at = self.positions(keys).tolist()
        return [values[i] for i in at], (codes[at] < 0).tolist()


def _split(keys: list[str], at: np.ndarray, values: list, codes: np.ndarray
           ) -> list[tuple[object, list[str], np.ndarray]] | None:
    """Split system keys (at positions ``at``) by constraint value; unconstrained
    (missing) keys join the largest part. Parts are ordered largest first, then by value
    text, then by first appearance; each is its value, its sorted keys and their
    positions. Returns None when the constraint does not split.

    Works on the value codes, so only the distinct values of the group are looped over.
    """
    mine = codes[at]
    known = mine >= 0
    if not known.any() or mine[known].min() == mine[known].max():
        return None
    distinct, first = np.unique(mine[known], return_index=True)
    where = np.flatnonzero(known)
    array = np.array(keys, dtype=object)
    found = [[values[at[where[first[i]]]], mine == distinct[i]]
             for i in np.argsort(first, kind="stable").tolist()]  # in order of appearance
    sizes = [int(mask.sum()) for _, mask in found]
    largest = min(range(len(found)), key=lambda j: (-sizes[j], str(found[j][0])))
    found[largest][1] = found[largest][1] | ~known
    parts = []
    for value, mask in found:
        pos = np.flatnonzero(mask)
        chosen = array[pos]
        if len(chosen) > 1 and not np.all(chosen[1:] >= chosen[:-1]):  # keys come sorted
            order = np.array(sorted(range(len(chosen)), key=chosen.__getitem__), dtype=np.intp)
            pos, chosen = pos[order], chosen[order]
        parts.append((value, chosen.tolist(), at[pos]))
    return sorted(parts, key=lambda p: (-len(p[1]), str(p[0])))


def _others(split: list[tuple[object, list[str], np.ndarray]], i: int, limit: int = 5
            ) -> tuple[list[str], int]:
    """The first ``limit`` keys of every part of ``split`` but part ``i``, and how many
    keys those parts have."""
    head: list[str] = []
    for j, (_, keys, _) in enumerate(split):
        if j != i and len(head) < limit:
            head.extend(keys[:limit - len(head)])
    return head, sum(len(keys) for _, keys, _ in split) - len(split[i][1])


def _show(keys: list[str], limit: int = 5, count: int | None = None) -> str:
    """The first ``limit`` keys and how many more (of ``count``, else ``len(keys)``)."""
    count = len(keys) if count is None else count
    shown = ", ".join(keys[:limit])
    return shown + (f" and {count - limit} more" if count > limit else "")


@dataclass
class _Constraint:
    name: str        # tier | region | rule:<name>
    describe: str    # words for the reason
    key: callable    # block -> Series of partition keys
    label: callable  # partition key -> id label or None


def constraints_for(settings: Settings, capability_id: str, capability: str) -> list[_Constraint]:
    found = [_Constraint("tier", "classification tier (systems of different tiers are "
                         "never consolidated)", lambda b: b["tier"].astype(object),
                         lambda k: None)]
    rule = settings.constraints.region_rule
    if rule != "none":
        found.append(_Constraint(
            "region", "hosting " + ("sovereignty zone" if rule == "zone" else "region"),
            lambda b: b["zone"] if "zone" in b else zone_of(b["region"], settings.constraints),
            lambda k: slug(k)))
    for r in settings.rules:
        if not rule_applies(r, capability_id, capability):
            continue
        if r.kind == "separate":
            found.append(_Constraint(
                f"rule:{r.name}", f"the rule {r.name!r} (keep systems whose {r.field} "
                f"matches {', '.join(r.values)} apart)",
                lambda b, r=r: rule_matches(b, r).astype(object),
                lambda k, r=r: slug(r.name) if k else None))
        else:
            found.append(_Constraint(
                f"rule:{r.name}", f"the rule {r.name!r} (never merge systems with "
                f"different {r.field})", lambda b, r=r: _field_key(b, r.field),
                lambda k: slug(k)))
    return found


def _value_text(constraint: _Constraint, value: object) -> str:
    if constraint.name.startswith("rule:") and isinstance(value, bool):
        return "matching" if value else "not matching"
    return str(value)


def apply_constraints(candidate: Candidate, systems: pd.DataFrame | ConstraintValues,
                      settings: Settings, blocked: list[dict],
                      rows: np.ndarray | None = None) -> list[Candidate]:
    """Split a candidate group by every hard constraint, recording each split.

    ``systems`` is the systems table or, when many groups are split, its
    :class:`ConstraintValues` (made once and passed to every call); ``rows``, the
    positions of the candidate's keys in it when the caller looked them up already.
    """
    table = systems if isinstance(systems, ConstraintValues) else ConstraintValues(systems)
    parts: list[tuple[Candidate, np.ndarray | None]] = [(candidate, rows)]
    for constraint in constraints_for(settings, candidate.capability_id, candidate.capability):
        next_parts = []
        values, codes = table.coded(constraint)
        for part, at in parts:
            at = table.positions(part.keys) if at is None else at  # once per part
            split = _split(part.keys, at, values, codes)
            if split is None:
                if constraint.name == "tier":
                    part.tier = str(values[at[0]])
                next_parts.append((part, at))
                continue
            tier = part.tier
            record = {
                "constraint": constraint.name, "capability": candidate.capability,
                "capability_id": candidate.capability_id, "tier": tier,
                "reason": (f"{constraint.describe} splits {len(part.keys)} candidate "
                           f"systems of {candidate.capability} into {len(split)} groups: "
                           + "; ".join(f"{_value_text(constraint, v)}: {_show(k)}"
                                       for v, k, _ in split)),
                "groups": [{"label": _value_text(constraint, v), "members": k}
                           for v, k, _ in split],
            }
            record["id"] = "blk-" + "-".join(
                [slug(constraint.name), slug(candidate.capability_id), slug(tier or "all")]
                + [slug(x) for x in part.labels] + [slug(k[0]) for _, k, _ in split[:1]])
            blocked.append(record)
            for i, (value, keys, rows_of) in enumerate(split):
                head, count = _others(split, i)
                label = constraint.label(value)
                child = Candidate(
                    candidate.capability_id, candidate.capability, keys,
                    labels=part.labels + ([label] if label else []),
                    blockers=part.blockers + [
                        f"{constraint.describe}: kept apart from {count} "
                        f"system(s) of this capability ({_show(head, count=count)})"],
                    tier=str(value) if constraint.name == "tier" else tier)
                next_parts.append((child, rows_of.astype(np.int64)))
        parts = next_parts
    for part, at in parts:
        part.rows = at
    return [part for part, _ in parts]


def out_of_scope(systems: pd.DataFrame, constraints: Constraints,
                 mapped: Callable[[str, Callable], pd.Series] | None = None) -> pd.Series:
    """Systems marked out of scope by lifecycle or by key pattern. ``mapped(column, fn)``,
    when given, is :func:`map_unique` of a column of ``systems`` from codes the caller
    has."""
    lifecycles = {v.casefold() for v in constraints.out_of_scope_lifecycles}
    mapped = mapped or (lambda c, fn: map_unique(systems[c], fn))
    flag = mapped("lifecycle", lambda v: bool(phrases_in(v, lifecycles))).astype(bool)
    patterns = [p.casefold() for p in constraints.out_of_scope]
    if patterns:
        flag |= systems["system_key"].map(
            lambda k: any(fnmatch.fnmatchcase(str(k).casefold(), p) for p in patterns)
        ).astype(bool)  # keys are unique: one test per system is the least possible
    return flag
