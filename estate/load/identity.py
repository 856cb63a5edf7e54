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

import pandas as pd

from estate.errors import Finding

TOTAL_WORDS = frozenset({"total", "totals", "grand total", "subtotal", "sub-total", "sum"})

Headers = dict[tuple[str, str | None], dict[str, str]]
"""(file, sheet) -> field -> the file's own header, so findings name the real column."""


def settle_identity(rows: pd.DataFrame, headers: Headers) -> tuple[pd.DataFrame, list[Finding]]:
    """Add ``system_key``, ``status`` and ``status_reason``; derive ids; report problems."""
    rows = rows.copy()
    findings: list[Finding] = []
    findings += _unify_departments(rows)
    reason = rows["_quarantine"].astype("string")
    sid, name = rows["system_id"], rows["name"]
    totals = ((sid.str.casefold().isin(TOTAL_WORDS) & name.isna())
              | (name.str.casefold().isin(TOTAL_WORDS) & sid.isna())).fillna(False)
    reason = reason.mask(reason.isna() & totals, "a totals row, not a system")
    reason = reason.mask(reason.isna() & sid.isna() & name.isna(), "no system id and no name")

    derive = sid.isna() & name.notna() & reason.isna()
    if derive.any():
        pairs = rows.loc[derive, ["department", "name"]]
        uniq = pairs.drop_duplicates()
        ids = [_derived_id(d, n) for d, n in zip(uniq["department"], uniq["name"])]
        lookup = pd.Series(ids, index=pd.MultiIndex.from_frame(uniq))
        derived = lookup.reindex(pd.MultiIndex.from_frame(pairs)).to_numpy()
        rows.loc[derive, "system_id"] = derived
        findings += _row_findings(rows[derive], headers, "system_id", "warning", "derived-system-id",
                                  [f"no system id; derived {d} from the department and name"
                                   for d in derived], value=False)
    rows["_derived"] = derive

    live = rows[reason.isna()]
    by_copy = live.groupby(["department", "_sig"], sort=False)
    copies = live.duplicated(["department", "_sig"], keep="first")
    copy_reason = ("an exact copy of " + by_copy["source_file"].transform("first").astype(str)
                   + " line " + by_copy["source_line"].transform("first").astype(str))
    reason.loc[copies[copies].index] = copy_reason[copies]

    findings += _keys(rows, reason, headers)
    findings += _cross_department(rows, reason, headers)

    missing_name = reason.isna() & rows["name"].isna()
    findings += _row_findings(rows[missing_name], headers, "name", "warning", "missing-name",
                              "no system name; the system is shown by its id")
    quarantined = reason.notna()
    hard = reason == "no system id and no name"
    for severity, mask in (("error", hard), ("warning", quarantined & ~hard)):
        mask = mask.fillna(False)
        findings += _row_findings(rows[mask], headers, "system_id", severity, "quarantined-row",
                                  ("row not analysed: " + reason[mask]).tolist(), value=False,
                                  column=False)
    rows["status"] = pd.Series("analysed", index=rows.index, dtype="string").mask(
        quarantined, "quarantined")
    rows["status_reason"] = reason.astype("string")
    return rows, findings


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


def _keys(rows: pd.DataFrame, reason: pd.Series, headers: Headers) -> list[Finding]:
    sid = rows["system_id"]
    placeholder = ("~" + rows["source_file"].astype(str)
                   + rows["source_sheet"].fillna("").map(lambda s: f"[{s}]" if s else "")
                   + ":" + rows["source_line"].astype(str))
    base = rows["department"].astype(str) + ":" + sid.fillna(placeholder).astype(str)
    fold = base.str.casefold()
    n = fold.groupby(fold).cumcount()
    keys = base.where(n == 0, base + "#" + (n + 1).astype(str))
    while keys.str.casefold().duplicated().any():
        dup = keys.str.casefold().duplicated()
        keys = keys.where(~dup, keys + "#" + dup.cumsum().astype(str))
    rows["system_key"] = keys.astype("string")
    first_file = rows.groupby(fold)["source_file"].transform("first")
    first_line = rows.groupby(fold)["source_line"].transform("first")
    dup = (n > 0) & reason.isna() & sid.notna()
    messages = [f"system id {i!r} is also used in {f} line {ln}; both rows kept, this one "
                f"as {k!r}" for i, f, ln, k in zip(sid[dup], first_file[dup], first_line[dup],
                                                     keys[dup])]
    return _row_findings(rows[dup], headers, "system_id", "warning", "duplicate-system-id",
                         messages)


def _cross_department(rows: pd.DataFrame, reason: pd.Series, headers: Headers) -> list[Finding]:
    live = rows[reason.isna()]
    findings: list[Finding] = []
    flagged = pd.Series(False, index=live.index)
    keys = {
        "instance": live["instance"].str.strip().str.casefold(),
        "id-and-name": (live["system_id"].str.casefold() + "\x1f"
                        + live["name"].str.casefold()).where(~live["_derived"]),
    }
    for kind, key in keys.items():
        key = key.dropna()
        if key.empty:
            continue
        depts = live.loc[key.index, "department"]
        spread = depts.groupby(key).nunique()
        shared = key[key.map(spread) > 1]
        shared = shared[~flagged[shared.index]]
        if shared.empty:
            continue
        members = depts[shared.index].groupby(shared).agg(lambda s: sorted(set(s)))
        what = "the same instance" if kind == "instance" else "the same system id and name"
        column = "instance" if kind == "instance" else "system_id"
        sub = live.loc[shared.index]
        messages = [f"{what} is also listed by {', '.join(d for d in members[k] if d != own)}"
                    for k, own in zip(shared, sub["department"])]
        findings += _row_findings(sub, headers, column, "warning",
                                  "listed-by-several-departments", messages)
        flagged[shared.index] = True
    return findings


def _row_findings(sub: pd.DataFrame, headers: Headers, field: str, severity: str, code: str,
                  messages, value: bool = True, column: bool = True) -> list[Finding]:
    if isinstance(messages, str):
        messages = [messages] * len(sub)
    values = sub[field] if value else [None] * len(sub)
    return [
        Finding(f, int(ln),
                headers.get((f, sh if isinstance(sh, str) else None), {}).get(field) if column else None,
                "load", severity, code, m, d, None if pd.isna(v) else str(v))
        for f, sh, ln, d, v, m in zip(sub["source_file"], sub["source_sheet"], sub["source_line"],
                                       sub["department"], values, messages)
    ]
