"""Who is who across the estate: departments, system ids, keys and duplicates.

Run once over the rows of every file together, because identity problems cross files:

- department spellings that differ only in case (``dwp``/``DWP``) become one department,
  the most frequent spelling;
- a row with neither id nor name, a totals row or a repeated header row is quarantined
  (kept, with a reason) rather than analysed; an exact copy of an earlier row of the same
  department is quarantined too, so its cost is not counted twice;
- a row without an id gets a stable derived one, ``AUTO-`` plus a hash of department and
  name, so the same inventory gives the same id every run;
- ``system_key`` is ``DEPARTMENT:SYSTEM_ID``; a second row with the same id in one
  department keeps its row and gets ``#2`` (``#3`` ...) on its key;
- the same system listed by two departments (the same tenant/instance, or the same id and
  name) is reported, and both rows stay analysed.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from estate.arrays import factorize, row_codes
from estate.errors import Finding

TOTAL_WORDS = frozenset({"total", "totals", "grand total", "subtotal", "sub-total", "sum"})

Headers = dict[tuple[str, str | None], dict[str, str]]
"""(file, sheet) -> field -> the file's own header, so findings name the real column."""


def settle_identity(rows: pd.DataFrame, headers: Headers, id_folds: np.ndarray
                    ) -> tuple[pd.DataFrame, list[Finding]]:
    """Add ``system_key``, ``status`` and ``status_reason``; derive ids; report problems.

    ``rows`` come from :func:`estate.load.table.parse_fields`, with its ``_fold_`` codes;
    ``id_folds`` is the folded text of each ``_fold_system_id`` code.
    """
    rows = rows.copy(deep=False)
    findings: list[Finding] = []
    findings += _unify_departments(rows)
    reason = rows["_quarantine"].to_numpy(dtype=object, copy=True)  # None or a reason
    sid = rows["system_id"].to_numpy(dtype=object, na_value=None)
    name = rows["name"].to_numpy(dtype=object, na_value=None)
    no_sid, no_name = (rows[f"_fold_{f}"].to_numpy() < 0 for f in ("system_id", "name"))
    totals = np.zeros(len(rows), dtype=bool)
    for alone, text in ((~no_sid & no_name, sid), (no_sid & ~no_name, name)):
        at = np.flatnonzero(alone)
        totals[at] = [t.casefold() in TOTAL_WORDS for t in text[at]]
    reason[pd.isna(reason) & totals] = "a totals row, not a system"
    reason[pd.isna(reason) & no_sid & no_name] = "no system id and no name"

    derive = no_sid & ~no_name & pd.isna(reason)
    if derive.any():
        pairs = rows.loc[derive, ["department", "name"]]
        uniq = pairs.drop_duplicates()
        ids = [_derived_id(d, n) for d, n in zip(uniq["department"], uniq["name"])]
        lookup = pd.Series(ids, index=pd.MultiIndex.from_frame(uniq))
        derived = lookup.reindex(pd.MultiIndex.from_frame(pairs)).to_numpy()
        rows.loc[derive, "system_id"] = derived
        sid = sid.copy()
        sid[derive] = derived
        findings += _row_findings(rows, derive, headers, "system_id", "warning",
                                  "derived-system-id",
                                  [f"no system id; derived {d} from the department and name"
                                   for d in derived], value=False)
    rows["_derived"] = derive
    # The columns as object arrays (None when missing), converted once.
    texts = {"system_id": sid, "name": name,
             "department": rows["department"].to_numpy(dtype=object, na_value=None)}

    live = np.flatnonzero(pd.isna(reason))
    copies, originals = _repeats(texts["department"][live], rows["_sig"].to_numpy()[live])
    if len(copies):
        source = live[originals]
        files = rows["source_file"].to_numpy(dtype=object)[source]
        lines = rows["source_line"].to_numpy()[source]
        reason[live[copies]] = [f"an exact copy of {f} line {ln}"
                                for f, ln in zip(files, lines.tolist())]

    open_ = pd.isna(reason)
    departments = factorize(texts["department"])
    findings += _keys(rows, open_, headers, texts, departments, id_folds)
    findings += _cross_department(rows, open_, headers, texts, departments[0])

    missing_name = open_ & no_name
    findings += _row_findings(rows, missing_name, headers, "name", "warning", "missing-name",
                              "no system name; the system is shown by its id")
    hard = reason == "no system id and no name"
    for severity, mask in (("error", hard), ("warning", ~open_ & ~hard)):
        findings += _row_findings(rows, mask, headers, "system_id", severity, "quarantined-row",
                                  ["row not analysed: " + r for r in reason[mask]], value=False,
                                  column=False)
    # two texts taken row by row: no per-row check of a million texts
    rows["status"] = pd.array(["analysed", "quarantined"], dtype="string").take(
        (~open_).astype(np.intp))
    rows["status_reason"] = _string_array(reason)
    return rows, findings


def _string_array(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``pd.array(values, dtype="string")`` for an object array of texts and ``None``,
    checked and converted once per distinct text, not once per row (most rows have no
    quarantine reason)."""
    codes, uniques = factorize(values)
    return pd.array(uniques, dtype="string").take(codes, allow_fill=True)


def _repeats(departments: np.ndarray, signatures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the rows equal to an earlier row (same department and signature),
    ascending, and the position of the first such row of each.

    Only the rows whose signature another row shares are coded by (department,
    signature): most rows are unique, and one hash of the signatures is cheaper than
    coding every row's pair."""
    shared = np.flatnonzero(pd.Series(signatures).duplicated(keep=False).to_numpy())
    rank, first = _occurrences(row_codes(departments[shared], signatures[shared]))
    again = rank > 0
    return shared[again], shared[first[again]]


def _occurrences(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: how many earlier rows share its code, and the position of the first."""
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    position = np.arange(len(codes))
    starts = np.ones(len(codes), dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    start = np.maximum.accumulate(np.where(starts, position, 0))
    rank = np.empty(len(codes), dtype=np.int64)
    rank[order] = position - start
    first = np.empty(len(codes), dtype=np.int64)
    first[order] = order[start]
    return rank, first


def _key_codes(dept_codes: np.ndarray, dept_names: np.ndarray, ids: np.ndarray,
               keys: np.ndarray, id_fold_codes: np.ndarray, id_folds: np.ndarray
               ) -> np.ndarray:
    """Per row, an integer equal where the ``keys`` (``department:id``, the department
    ``dept_names[dept_codes]``) are equal ignoring case.

    Casefolding maps each character on its own, so the folded key is the folded
    department, ``:`` and the folded id: when no department holds a ``:``, equal keys are
    equal pairs, and each distinct department is folded once; the ids come folded
    (:func:`_id_codes`)."""
    if any(":" in d for d in dept_names.tolist()):
        return _folded_codes(keys)
    id_codes = _id_codes(ids, id_fold_codes, id_folds)
    return (_folded_codes(dept_names)[dept_codes] * (id_codes.max(initial=0) + 1)
            + id_codes)


def _id_codes(ids: np.ndarray, fold_codes: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Per row, an integer equal where ``ids`` are equal ignoring case, from the codes
    parse_fields folded the ids to (``fold_codes``, -1 for an id it did not read: derived,
    or a row's position) and the folded text of each code (``folds``). Only the ids
    without a code are folded here: each takes the code of the same folded id, found by
    one pass of set lookups over ``folds`` (their hashes are cached), or a new one."""
    codes = fold_codes.copy()
    alone = np.flatnonzero(codes < 0)
    if not len(alone):
        return codes
    extra = np.array(list(map(str.casefold, ids[alone].tolist())), dtype=object)
    few = set(extra.tolist())
    hits = np.flatnonzero(np.fromiter(map(few.__contains__, folds.tolist()), dtype=bool,
                                      count=len(folds)))
    found, distinct = pd.factorize(np.concatenate([folds[hits], extra]))
    code_of = np.concatenate([hits, np.arange(len(folds), len(folds) + len(distinct)
                                              - len(hits))])
    codes[alone] = code_of[found[len(hits):]]
    return codes


def _folded_codes(texts: np.ndarray) -> np.ndarray:
    """Per text, an integer code equal where the texts are equal ignoring case."""
    folded = np.array(list(map(str.casefold, texts.tolist())), dtype=object)
    return pd.factorize(folded)[0].astype(np.int64)


def _derived_id(department: str, name: str) -> str:
    digest = hashlib.sha1(f"{department.casefold()}\x1f{name.casefold()}".encode()).hexdigest()
    return "AUTO-" + digest[:8].upper()


def _unify_departments(rows: pd.DataFrame) -> list[Finding]:
    counts = rows.groupby("department", sort=True).size().rename("n").reset_index()
    if counts.empty:
        return []
    counts["fold"] = counts["department"].str.casefold()
    counts = counts.sort_values(["fold", "n", "department"], ascending=[True, False, True])
    canonical = counts.groupby("fold")["department"].transform("first")
    renames = dict(zip(counts["department"], canonical))
    renames = {k: v for k, v in renames.items() if k != v}
    findings = []
    for variant, target in sorted(renames.items()):
        first = rows[rows["department"] == variant].iloc[0]
        findings.append(Finding(first["source_file"], int(first["source_line"]), None, "load",
                                "info", "department-spelling",
                                f"department {variant!r} read as {target!r}", target, variant))
    if renames:
        rows["department"] = rows["department"].replace(renames)
    return findings


def _keys(rows: pd.DataFrame, open_: np.ndarray, headers: Headers,
          texts: dict[str, np.ndarray], departments: tuple[np.ndarray, np.ndarray],
          id_folds: np.ndarray) -> list[Finding]:
    sid = texts["system_id"]
    # read (parse_fields folded it) or derived: no test of a million objects
    has_id = (rows["_fold_system_id"].to_numpy() >= 0) | rows["_derived"].to_numpy(dtype=bool)
    missing = np.flatnonzero(~has_id)
    if len(missing):  # a row without an id is keyed by where it is
        sid = sid.copy()
        sheets = rows["source_sheet"].to_numpy(dtype=object, na_value=None)[missing]
        lines = rows["source_line"].to_numpy()[missing].tolist()
        sid[missing] = [f"~{f}" + (f"[{sh}]" if sh else "") + f":{ln}" for f, sh, ln in zip(
            rows["source_file"].to_numpy(dtype=object)[missing], sheets, lines)]
    dept_codes, dept_names = departments
    # each department's prefix made once: one concatenation per row, not two
    base = np.append(dept_names + ":", None)[dept_codes] + sid
    n, first = _occurrences(_key_codes(dept_codes, dept_names, sid, base,
                                       rows["_fold_system_id"].to_numpy(), id_folds))
    keys = base.copy()
    again = np.flatnonzero(n > 0)
    keys[again] = base[again] + np.array([f"#{k + 1}" for k in n[again].tolist()], dtype=object)
    if len(again) and _suffix_collides(keys, again):
        keys, key_folds = pd.Series(keys), pd.Series(keys).str.casefold()
        while key_folds.duplicated().any():
            dup = key_folds.duplicated()
            keys = keys.where(~dup, keys + "#" + dup.cumsum().astype(str))
            key_folds = keys.str.casefold()
        keys = keys.to_numpy(dtype=object)
    rows["system_key"] = pd.array(keys, dtype="string")
    dup = (n > 0) & open_ & has_id
    where = np.flatnonzero(dup)
    origin = first[where]
    files = rows["source_file"].to_numpy(dtype=object)[origin]
    lines = rows["source_line"].to_numpy()[origin].tolist()
    messages = [f"system id {i!r} is also used in {f} line {ln}; both rows kept, this one "
                f"as {k!r}" for i, f, ln, k in zip(sid[where], files, lines, keys[where])]
    return _row_findings(rows, where, headers, "system_id", "warning",
                         "duplicate-system-id", messages)


def _suffix_collides(keys: np.ndarray, suffixed: np.ndarray) -> bool:
    """Whether two of ``keys`` are equal ignoring case, knowing that only those at
    ``suffixed`` can equal another (the others are distinct): a set of the few suffixed
    keys, folded, checked against the keys holding a ``#`` (every suffixed one does),
    not a hash table of all of them."""
    few = set(map(str.casefold, keys[suffixed].tolist()))
    if len(few) < len(suffixed):
        return True
    hashed = [k for k in keys.tolist() if "#" in k]
    return sum(map(few.__contains__, map(str.casefold, hashed))) > len(few)


def _cross_department(rows: pd.DataFrame, open_: np.ndarray, headers: Headers,
                      texts: dict[str, np.ndarray], dept_codes: np.ndarray) -> list[Finding]:
    """Rows whose instance (else id and name) another department lists too. The
    department codes are the ones :func:`_keys` used, and the instance's fold codes are
    already small distinct integers: only the id-and-name pairs are factorised."""
    live = np.flatnonzero(open_)
    findings: list[Finding] = []
    flagged = np.zeros(len(rows), dtype=bool)
    departments = texts["department"]
    # codes parse_fields folded once per distinct text; a derived id has none (-1) and
    # is not compared anyway
    sid, name, instance = (rows[f"_fold_{f}"].to_numpy()[live]
                           for f in ("system_id", "name", "instance"))
    both = (sid >= 0) & (name >= 0) & ~rows["_derived"].to_numpy(dtype=bool)[live]
    id_and_name = np.where(both, sid * (name.max(initial=0) + 1) + name, -1)
    for kind, key in (("instance", instance), ("id-and-name", id_and_name)):
        keep = np.flatnonzero(key >= 0)
        if not len(keep):
            continue
        at = live[keep]
        codes = key[keep] if kind == "instance" else pd.factorize(key[keep])[0]
        depts = dept_codes[at]
        pairs = pd.unique(codes * (depts.max() + 1) + depts) // (depts.max() + 1)
        spread = np.bincount(pairs, minlength=codes.max() + 1)
        shared = np.flatnonzero((spread[codes] > 1) & ~flagged[at])
        if not len(shared):
            continue
        members: dict[int, set[str]] = {}
        for code, dept in zip(codes[shared].tolist(), departments[at[shared]]):
            members.setdefault(code, set()).add(dept)
        ordered = {code: sorted(depts) for code, depts in members.items()}
        what = "the same instance" if kind == "instance" else "the same system id and name"
        column = "instance" if kind == "instance" else "system_id"
        messages = [f"{what} is also listed by {', '.join(d for d in ordered[code] if d != own)}"
                    for code, own in zip(codes[shared].tolist(), departments[at[shared]])]
        findings += _row_findings(rows, at[shared], headers, column, "warning",
                                  "listed-by-several-departments", messages)
        flagged[at[shared]] = True
    return findings


def _row_findings(rows: pd.DataFrame, at: np.ndarray, headers: Headers, field: str,
                  severity: str, code: str, messages, value: bool = True,
                  column: bool = True) -> list[Finding]:
    """One finding per row of ``rows`` at ``at`` (a mask or positions); only the columns
    a finding names are taken at those rows, not the whole frame."""
    if at.dtype == bool:
        at = np.flatnonzero(at)
    if isinstance(messages, str):
        messages = [messages] * len(at)
    values = (rows[field].iloc[at].astype(object).to_numpy(dtype=object, na_value=None)
              if value else [None] * len(at))
    files = rows["source_file"].iloc[at].to_numpy(dtype=object)
    sheets = rows["source_sheet"].iloc[at].to_numpy(dtype=object, na_value=None)
    columns = {}
    if column:
        for key in set(zip(files, sheets)):
            columns[key] = headers.get(key, {}).get(field)
    lines = rows["source_line"].iloc[at].to_numpy().tolist()
    departments = rows["department"].iloc[at].to_numpy(dtype=object)
    return [
        Finding(f, ln, columns.get((f, sh)), "load", severity, code, m, d,
                None if v is None else str(v))
        for f, sh, ln, d, v, m in zip(files, sheets, lines, departments, values, messages)
    ]
