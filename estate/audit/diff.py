"""Compare two findings documents (findings.json) and say what changed and what got worse.

The diff reads plain dicts so that any two stored runs or findings files can be compared,
including files written by an older estate: a key a document lacks reads as empty. It reads
only what schema 1.x and 2.x both have (systems and members by department and system id),
so a 1.0 file and a 2.0 file of the same estate give the same diff as two 2.0 files.

Duplicate groups and clusters are matched on their ``id`` first (analysis ids are
designed to be stable: ``dup-product-microsoft-365``). A group whose id vanished is then
matched to a new group of the same kind whose members overlap most (Jaccard similarity of
the ``department:system_id`` sets, at least :data:`MATCH_THRESHOLD`), so a group that a
new tenant joined reads as "grown", not as "one removed, one added".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from estate.report.rows import Rows

MATCH_THRESHOLD = 0.5

FAIL_RULES: dict[str, str] = {
    "new-duplicates": "a duplicate group or consolidation cluster appeared or grew",
    "saving-drop": "the estimated annual saving fell or can no longer be estimated",
    "quality-drop": "a department's data-quality score fell because values went missing, "
                    "or there are more errors",
    "any-change": "anything in the findings changed",
}
DEFAULT_FAIL_ON = ("new-duplicates", "quality-drop")

HEADLINE = (
    ("departments", "departments"),
    ("systems", "systems"),
    ("analysed", "analysed"),
    ("quarantined", "quarantined"),
    ("products_recognised", "products recognised"),
    ("capabilities", "capabilities"),
    ("duplicate_groups", "duplicate groups"),
    ("clusters", "clusters"),
    ("annual_saving", "annual saving (£)"),
    ("data_quality", "data quality (mean score)"),
)
"""Headline figures in display order: (key in :func:`headline`, label)."""

SYSTEM_FIELDS = ("name", "product", "vendor", "capability", "status")
SETTLED = {"unchanged"}


@dataclass
class Figure:
    key: str
    label: str
    before: float | int | None
    after: float | int | None

    @property
    def delta(self) -> float | int | None:
        if self.before is None or self.after is None:
            return None
        delta = self.after - self.before
        return round(delta, 6) if isinstance(delta, float) else delta

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class SystemEntry:
    key: str
    department: str
    system_id: str
    name: str | None
    product: str | None
    capability: str | None


@dataclass
class SystemChange:
    key: str
    field: str
    before: object
    after: object


@dataclass
class GroupChange:
    """How one duplicate group or cluster changed between the runs.

    ``status``: ``new``, ``grown``, ``shrunk``, ``changed`` (members swapped, same size),
    ``renamed`` (same members under another id), ``resolved`` (gone) or ``unchanged``.
    """

    id: str
    status: str
    label: str
    previous_id: str | None = None
    matched_by: str | None = None  # "id" | "overlap"
    size_before: int = 0
    size_after: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    saving_before: float | None = None
    saving_after: float | None = None
    target_before: str | None = None
    target_after: str | None = None


@dataclass
class QualityChange:
    """A department's data-quality score, and per field how many more values are missing."""

    department: str
    before: float | None
    after: float | None
    more_missing: dict[str, int] | None = field(default_factory=dict)

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 1)

    @property
    def dropped(self) -> bool:
        """The score fell and values went missing. A score that fell only because a
        well-documented system was retired is not worse data; when the documents carry
        no completeness counts, a lower score is enough."""
        return (self.delta is not None and self.delta < 0
                and (self.more_missing is None or bool(self.more_missing)))


@dataclass
class FindingsDiff:
    """Everything that changed from ``old`` to ``new``; :meth:`worse` applies the rules."""

    old_label: str
    new_label: str
    old_generated_at: str | None
    new_generated_at: str | None
    figures: list[Figure]
    departments_added: list[str]
    departments_removed: list[str]
    systems_added: list[SystemEntry]
    systems_removed: list[SystemEntry]
    systems_changed: list[SystemChange]
    duplicates: list[GroupChange]
    clusters: list[GroupChange]
    quality: list[QualityChange]
    severity_before: dict[str, int]
    severity_after: dict[str, int]
    finding_codes: list[tuple[str, int, int]]  # code, before, after (changed ones only)
    inputs_added: list[str]
    inputs_removed: list[str]
    inputs_changed: list[str]
    settings_changed: list[tuple[str, object, object]]

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    def groups(self, which: str, *statuses: str) -> list[GroupChange]:
        items = self.duplicates if which == "duplicates" else self.clusters
        return [g for g in items if g.status in statuses]

    @property
    def changed(self) -> bool:
        return bool(
            any(f.changed for f in self.figures) or self.departments_added
            or self.departments_removed or self.systems_added or self.systems_removed
            or self.systems_changed
            or any(g.status not in SETTLED for g in self.duplicates + self.clusters)
            or any(g.saving_before != g.saving_after or g.target_before != g.target_after
                   for g in self.clusters)
            or any(q.before != q.after for q in self.quality) or self.finding_codes
            or self.inputs_added or self.inputs_removed or self.inputs_changed
            or self.settings_changed)

    def worse(self, rules) -> list[str]:
        """One sentence per rule in ``rules`` that this diff breaks (empty: nothing worse)."""
        reasons = []
        for rule in rules:
            reasons.extend(f"{rule}: {r}" for r in self._broken(rule))
        return reasons

    def _broken(self, rule: str) -> list[str]:
        if rule == "new-duplicates":
            out = []
            for which, noun in (("duplicates", "duplicate group"), ("clusters", "cluster")):
                for g in self.groups(which, "new", "grown"):
                    size = (f"{g.size_after} members" if g.status == "new"
                            else f"{g.size_before} -> {g.size_after} members")
                    out.append(f"{noun} {g.id} ({g.label}) is {g.status}: {size}")
            return out
        if rule == "saving-drop":
            saving = self.figure("annual_saving")
            if saving.before is not None and saving.after is None:
                return ["the annual saving can no longer be estimated "
                        f"(was £{saving.before:,.0f})"]
            if saving.delta is not None and saving.delta < 0:
                return [f"annual saving fell from £{saving.before:,.0f} to £{saving.after:,.0f}"]
            return []
        if rule == "quality-drop":
            out = [f"data quality of {q.department} fell from {q.before:g} to {q.after:g}"
                   + (" (" + ", ".join(f"{f} missing in {n} more" for f, n in
                                       q.more_missing.items()) + ")" if q.more_missing else "")
                   for q in self.quality if q.dropped]
            errors = (self.severity_before.get("error", 0), self.severity_after.get("error", 0))
            if errors[1] > errors[0]:
                out.append(f"data-quality errors rose from {errors[0]} to {errors[1]}")
            return out
        if rule == "any-change":
            return ["the findings changed"] if self.changed else []
        raise ValueError(f"unknown rule {rule!r}")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["finding_codes"] = [{"code": c, "before": b, "after": a}
                                 for c, b, a in self.finding_codes]
        data["settings_changed"] = [{"setting": k, "before": b, "after": a}
                                    for k, b, a in self.settings_changed]
        for figure, item in zip(self.figures, data["figures"]):
            item["delta"] = figure.delta
        for change, item in zip(self.quality, data["quality"]):
            item["delta"] = change.delta
        data["changed"] = self.changed
        return data


def diff_findings(old: dict, new: dict, old_label: str = "old", new_label: str = "new"
                  ) -> FindingsDiff:
    """Compare two findings documents (whole, or as :func:`comparable` gives them)."""
    old, new = comparable(old), comparable(new)
    old_systems, new_systems = _systems(old), _systems(new)
    old_depts = set(map(str, old_systems["department"].unique())) | set(_scores(old))
    new_depts = set(map(str, new_systems["department"].unique())) | set(_scores(new))
    inputs_before, inputs_after = _inputs(old), _inputs(new)
    scores_before, scores_after = _scores(old), _scores(new)
    missing_before, missing_after = _missing(old), _missing(new)
    quality = []
    for d in sorted(set(scores_before) | set(scores_after)):
        change = QualityChange(d, scores_before.get(d), scores_after.get(d))
        if missing_before is None or missing_after is None:
            change.more_missing = None
        else:
            before, after = missing_before.get(d, {}), missing_after.get(d, {})
            change.more_missing = {f: after[f] - before.get(f, 0) for f in sorted(after)
                                   if after[f] > before.get(f, 0)}
        quality.append(change)
    sev_before, sev_after = _severities(old), _severities(new)
    codes_before, codes_after = _codes(old), _codes(new)
    codes = [(c, codes_before.get(c, 0), codes_after.get(c, 0))
             for c in sorted(set(codes_before) | set(codes_after))
             if codes_before.get(c, 0) != codes_after.get(c, 0)]
    return FindingsDiff(
        old_label=old_label,
        new_label=new_label,
        old_generated_at=old.get("generated_at"),
        new_generated_at=new.get("generated_at"),
        figures=[Figure(k, label, headline(old).get(k), headline(new).get(k))
                 for k, label in HEADLINE],
        departments_added=sorted(new_depts - old_depts),
        departments_removed=sorted(old_depts - new_depts),
        systems_added=_entries(new_systems, new_systems.index.difference(old_systems.index)),
        systems_removed=_entries(old_systems, old_systems.index.difference(new_systems.index)),
        systems_changed=_system_changes(old_systems, new_systems),
        duplicates=match_groups(_list(old, "duplicates"), _list(new, "duplicates"), "duplicates"),
        clusters=match_groups(_list(old, "clusters"), _list(new, "clusters"), "clusters"),
        quality=quality,
        severity_before=sev_before,
        severity_after=sev_after,
        finding_codes=codes,
        inputs_added=sorted(set(inputs_after) - set(inputs_before)),
        inputs_removed=sorted(set(inputs_before) - set(inputs_after)),
        inputs_changed=sorted(p for p in set(inputs_before) & set(inputs_after)
                              if inputs_before[p] != inputs_after[p]),
        settings_changed=_settings_changes(old.get("settings"), new.get("settings")),
    )


COMPARISON_FORMAT = 1
"""The version of :func:`comparable`'s layout (``comparison_format`` in it)."""


def comparable(document: dict) -> dict:
    """What :func:`diff_findings` reads of a findings document, compactly: the headline
    parts as they are; each group's members and a cluster's target as
    ``department:system_id`` keys; the systems (only the fields compared) and the
    data-quality findings (only severity and code) as columns.

    A stored run keeps this beside its findings.json, as comparison.json (see
    :func:`estate.audit.documents.stored_comparison`): at a million systems it is about a
    ninth of the size and is read in seconds, where the whole findings.json took half a
    minute and over 5 GB. A document that is already in this form comes back
    as it is, so a stored comparison and a whole document compare alike."""
    if document.get("comparison_format") == COMPARISON_FORMAT:
        return document
    quality = document.get("data_quality") or {}
    completeness = quality.get("completeness")
    return {
        "comparison_format": COMPARISON_FORMAT,
        **{k: document.get(k) for k in ("schema_version", "version", "generated_at",
                                          "summary", "settings")},
        "inputs": [{"path": i.get("path"), "sha256": i.get("sha256")}
                   for i in _list(document, "inputs")],
        "data_quality": {
            "scores": quality.get("scores"),
            "completeness": [{k: row.get(k) for k in _COMPLETENESS_KEYS}
                             for row in completeness or () if isinstance(row, dict)]
            if completeness else completeness,
            "findings": _columns(quality.get("findings"), ("severity", "code")),
        },
        "duplicates": [_comparable_group(g) for g in _list(document, "duplicates")],
        "clusters": [_comparable_group(g, with_target=True)
                     for g in _list(document, "clusters")],
        "systems": _columns(document.get("systems"), _SYSTEM_KEYS),
    }


_COMPLETENESS_KEYS = ("department", "field", "total", "filled")
_GROUP_KEYS = ("id", "kind", "tier", "product", "capability", "annual_saving")
_SYSTEM_KEYS = ("department", "system_id", *SYSTEM_FIELDS)
"""What the diff reads of a system (:func:`_entries`, :func:`_system_changes`)."""


def _comparable_group(group: dict, with_target: bool = False) -> dict:
    members = group.get("members") or ()
    if isinstance(members, Rows):  # two columns, not a dict of every key per member
        keys = list(map(_join_key, members.values("department"),
                        members.values("system_id")))
    else:
        keys = [_key(m) for m in members]
    return {**{k: group.get(k) for k in _GROUP_KEYS},
            "target": _target(group) if with_target else None, "members": keys}


def _columns(items, keys: Sequence[str]) -> dict[str, list]:
    """``{key: [value of each entry]}`` of a document's list of entries (dicts: anything
    else is no entry), of a table made on demand (:class:`Rows`: read column by column,
    not as a dict per row), or of entries already in columns."""
    if isinstance(items, Rows):
        return {k: items.values(k) if k in items.keys else [None] * len(items) for k in keys}
    if isinstance(items, dict):
        size = max((len(v) for v in items.values() if isinstance(v, list)), default=0)
        return {k: items[k] if isinstance(items.get(k), list) else [None] * size
                for k in keys}
    entries = [e for e in items or () if isinstance(e, dict)]
    return {k: [e.get(k) for e in entries] for k in keys}


def headline(document: dict) -> dict:
    """The headline figures of a findings document (summary plus mean quality score)."""
    summary = document.get("summary") or {}
    figures = {k: _number(summary.get(k)) for k, _ in HEADLINE if k != "data_quality"}
    scores = [v for v in _scores(document).values() if v is not None]
    figures["data_quality"] = round(sum(scores) / len(scores), 1) if scores else None
    return figures


def match_groups(old: list[dict], new: list[dict], which: str) -> list[GroupChange]:
    """Pair old and new groups (id first, then member overlap) and classify each pair;
    the groups as :func:`comparable` gives them (members as keys)."""
    old_by_id = {str(g.get("id")): g for g in old}
    new_by_id = {str(g.get("id")): g for g in new}
    pairs = [(i, i, "id") for i in sorted(set(old_by_id) & set(new_by_id))]
    left_old = sorted(set(old_by_id) - set(new_by_id))
    left_new = sorted(set(new_by_id) - set(old_by_id))
    members = {("old", i): _members(old_by_id[i]) for i in left_old}
    members.update({("new", i): _members(new_by_id[i]) for i in left_new})
    index: dict[str, list[str]] = {}
    for i in left_new:
        for key in members[("new", i)]:
            index.setdefault(key, []).append(i)
    candidates = []
    for o in left_old:
        seen = {n for key in members[("old", o)] for n in index.get(key, ())}
        for n in sorted(seen):
            if _group_kind(old_by_id[o], which) != _group_kind(new_by_id[n], which):
                continue
            a, b = members[("old", o)], members[("new", n)]
            score = len(a & b) / len(a | b)
            if score >= MATCH_THRESHOLD:
                candidates.append((-score, o, n))
    taken_old, taken_new = set(), set()
    for _, o, n in sorted(candidates):
        if o not in taken_old and n not in taken_new:
            taken_old.add(o)
            taken_new.add(n)
            pairs.append((o, n, "overlap"))
    changes = [_pair(old_by_id[o], new_by_id[n], how, which) for o, n, how in pairs]
    changes += [_one_sided(old_by_id[o], "resolved", which) for o in left_old if o not in taken_old]
    changes += [_one_sided(new_by_id[n], "new", which) for n in left_new if n not in taken_new]
    order = {"new": 0, "grown": 1, "shrunk": 2, "changed": 3, "renamed": 4, "resolved": 5,
             "unchanged": 6}
    return sorted(changes, key=lambda c: (order[c.status], c.id))


def _pair(old: dict, new: dict, how: str, which: str) -> GroupChange:
    a, b = _members(old), _members(new)
    if len(b) > len(a):
        status = "grown"
    elif len(b) < len(a):
        status = "shrunk"
    elif a != b:
        status = "changed"
    elif how == "overlap":
        status = "renamed"
    else:
        status = "unchanged"
    change = GroupChange(
        id=str(new.get("id")), status=status, label=_label(new, which),
        previous_id=str(old.get("id")) if how == "overlap" else None, matched_by=how,
        size_before=len(a), size_after=len(b),
        added=sorted(b - a), removed=sorted(a - b))
    if which == "clusters":
        change.saving_before = _number(old.get("annual_saving"))
        change.saving_after = _number(new.get("annual_saving"))
        change.target_before, change.target_after = _target(old), _target(new)
    return change


def _one_sided(group: dict, status: str, which: str) -> GroupChange:
    members = _members(group)
    change = GroupChange(id=str(group.get("id")), status=status, label=_label(group, which))
    if status == "new":
        change.size_after, change.added = len(members), sorted(members)
    else:
        change.size_before, change.removed = len(members), sorted(members)
    if which == "clusters":
        saving, target = _number(group.get("annual_saving")), _target(group)
        if status == "new":
            change.saving_after, change.target_after = saving, target
        else:
            change.saving_before, change.target_before = saving, target
    return change


def _group_kind(group: dict, which: str) -> str:
    return str(group.get("kind")) if which == "duplicates" else str(group.get("tier"))


def _label(group: dict, which: str) -> str:
    parts = [group.get("product"), group.get("capability")]
    if which == "clusters" and group.get("tier"):
        parts.append(group.get("tier"))
    return " / ".join(dict.fromkeys(str(p) for p in parts if p)) or str(group.get("id"))


def _key(member) -> str:
    if isinstance(member, dict):
        return _join_key(member.get("department"), member.get("system_id"))
    return str(member)


_join_key = "{}:{}".format
"""``department:system_id``, the key a system or member is known by across runs."""


def _members(group: dict) -> frozenset[str]:
    """The member keys of a comparable group (see :func:`comparable`)."""
    return frozenset(map(str, group.get("members") or ()))


def _target(cluster: dict) -> str | None:
    target = cluster.get("target")
    if target:
        return _key(target)
    found = [_key(m) for m in cluster.get("members") or () if isinstance(m, dict)
             and m.get("role") == "target"]
    return found[0] if found else None


def _list(document: dict, key: str) -> list[dict]:
    return [g for g in document.get(key) or () if isinstance(g, dict)]


def _systems(document: dict) -> pd.DataFrame:
    """The systems of a comparable document, a row of :data:`_SYSTEM_KEYS` each, indexed
    by ``department:system_id`` key (the first entry of a key wins)."""
    table = pd.DataFrame(_columns(document.get("systems"), _SYSTEM_KEYS), dtype=object)
    table.index = pd.Index(table["department"].map(str) + ":" + table["system_id"].map(str),
                           dtype=object)
    return table[~table.index.duplicated(keep="first")]


def _entries(systems: pd.DataFrame, keys: pd.Index) -> list[SystemEntry]:
    rows = systems.loc[sorted(keys)]
    return [SystemEntry(k, str(dept), str(sid), name, product, capability)
            for k, dept, sid, name, product, capability in zip(
                rows.index, rows["department"], rows["system_id"], rows["name"],
                rows["product"], rows["capability"])]


def _system_changes(before: pd.DataFrame, after: pd.DataFrame) -> list[SystemChange]:
    """Each field of :data:`SYSTEM_FIELDS` that differs for a key in both, by key and
    field order: the fields of all systems compared at once, a change made per change."""
    common = before.index.intersection(after.index)
    old = before.loc[common, list(SYSTEM_FIELDS)].to_numpy(dtype=object)
    new = after.loc[common, list(SYSTEM_FIELDS)].to_numpy(dtype=object)
    rows, fields = np.nonzero(old != new)  # Python equality per cell: None equals None
    changes = [SystemChange(common[r], SYSTEM_FIELDS[f], old[r, f], new[r, f])
               for r, f in zip(rows.tolist(), fields.tolist())]
    return sorted(changes, key=lambda c: (c.key, SYSTEM_FIELDS.index(c.field)))


def _scores(document: dict) -> dict[str, float | None]:
    scores = (document.get("data_quality") or {}).get("scores") or {}
    return {str(d): _number(v) for d, v in scores.items()}


def _missing(document: dict) -> dict[str, dict[str, int]] | None:
    """Department -> field -> values missing, or None when the document has no counts."""
    rows = (document.get("data_quality") or {}).get("completeness")
    if not rows:
        return None
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("total"), int) \
                and isinstance(row.get("filled"), int):
            out.setdefault(str(row.get("department")), {})[str(row.get("field"))] = \
                row["total"] - row["filled"]
    return out


def _severities(document: dict) -> dict[str, int]:
    return dict(sorted(_counts(document, "severity").items()))


def _codes(document: dict) -> dict[str, int]:
    return _counts(document, "code")


def _counts(document: dict, key: str) -> dict[str, int]:
    """How many data-quality findings have each value of ``key``."""
    findings = (document.get("data_quality") or {}).get("findings")
    return dict(Counter(map(str, _columns(findings, (key,))[key])))


def _inputs(document: dict) -> dict[str, str | None]:
    return {str(i.get("path")): i.get("sha256") for i in _list(document, "inputs")}


def _settings_changes(old, new) -> list[tuple[str, object, object]]:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    a, b = _flatten(old), _flatten(new)
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def _flatten(data: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _number(value) -> float | int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
