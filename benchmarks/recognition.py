"""Product recognition benchmark: accuracy, wrong matches of unknown names, names per second.

Reads the labelled messy set ``benchmarks/data/recognition.csv`` (written by
``benchmarks/data/make_recognition_set.py`` from hand-written name lists) and runs
``estate.normalise.resolve_products`` on it, exactly as the pipeline does: the name in
the product column, the vendor and capability columns as written.

- *known accuracy*: share of names of catalogue products resolved to the right product;
- *unknown forced*: share of names that are not catalogue products (bespoke systems,
  near-misses, vendor-only and generic names, products the catalogue lacks) that were
  nevertheless matched to a catalogue product;
- *names per second*: unique names resolved per second, on the labelled set and on
  100,000 unique names made from it.

The fuzzy threshold is tuned on the ``tune`` half (highest known accuracy with at most 1%
of unknown names forced) and reported on the ``test`` half and on the whole set. The
matching rules themselves were developed while looking at this set's errors, so the
script also reports ``benchmarks/data/holdout.csv``: 136 names written after the rules
were frozen. Its first run gave 88.89% of known names right and 1.82% of unknown names
forced; two rules were then added after reading its errors, so its current figure is no
longer an independent measure.

    python benchmarks/recognition.py [--quick] [--show-errors N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import pandas as pd

from estate.catalogue import load_catalogue
from estate.normalise import resolve_products
from estate.settings import Settings

DATA = Path(__file__).resolve().parent / "data" / "recognition.csv"
HOLDOUT = Path(__file__).resolve().parent / "data" / "holdout.csv"
THRESHOLDS = (80.0, 82.0, 84.0, 85.0, 86.0, 87.0, 88.0, 89.0, 90.0, 92.0, 94.0)
MAX_FORCED = 0.01


def systems_table(names: pd.DataFrame) -> pd.DataFrame:
    """A systems table in the shape the loader produces, one row per labelled name."""
    n = len(names)
    blank = pd.array([pd.NA] * n, dtype="string")
    return pd.DataFrame({
        "system_id": [f"B-{i:05d}" for i in range(n)],
        "name": blank, "department": "Benchmark",
        "vendor": names["vendor"].replace("", pd.NA).astype("string").to_numpy(),
        "product": names["raw"].astype("string").to_numpy(),
        "version": blank, "instance": blank,
        "capability": names["capability"].replace("", pd.NA).astype("string").to_numpy(),
        "source_file": "benchmarks/data/recognition.csv",
        "source_line": range(2, n + 2), "status": "analysed",
    })


def score(names: pd.DataFrame, threshold: float) -> tuple[pd.DataFrame, float]:
    catalogue = load_catalogue()
    settings = Settings(fuzzy_threshold=threshold)
    table = systems_table(names)
    start = time.perf_counter()
    result = resolve_products(table, catalogue, settings)
    elapsed = time.perf_counter() - start
    out = names.copy()
    got = result.systems["product_id"].astype("string").fillna("").to_numpy()
    out["got"] = got
    out["stage"] = result.systems["match_stage"].astype("string").to_numpy()
    return out, elapsed


def figures(out: pd.DataFrame) -> dict:
    known = out[out["expected"] != ""]
    unknown = out[out["expected"] == ""]
    forced = unknown["got"].ne("") & ~unknown["got"].str.startswith("unrecognised:")
    return {
        "known": len(known), "unknown": len(unknown),
        "accuracy": float((known["got"] == known["expected"]).mean()) if len(known) else 0.0,
        "wrong": int(((known["got"] != known["expected"]) & known["got"].ne("")
                      & ~known["got"].str.startswith("unrecognised:")).sum()),
        "forced": float(forced.mean()) if len(unknown) else 0.0,
        "forced_n": int(forced.sum()),
    }


def scale_names(base: list[str], count: int, seed: int = 7) -> list[str]:
    """``count`` unique names: labelled names with made-up suffixes, prefixes and typos."""
    rng = random.Random(seed)
    words = ["Portal", "Service", "Hub", "Tracker", "Legacy", "North", "South", "Region",
             "Team", "Unit", "Ops", "Finance", "HR", "Digital", "Core", "Data"]
    names: set[str] = set(base)
    while len(names) < count:
        name = rng.choice(base)
        roll = rng.random()
        if roll < 0.4:
            name = f"{name} {rng.choice(words)} {rng.randrange(1, 999)}"
        elif roll < 0.7:
            name = f"{rng.choice(words)} {name} {rng.randrange(1, 99)}"
        else:
            chars = list(name)
            i = rng.randrange(len(chars))
            chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz")
            name = "".join(chars) + f" {rng.randrange(1, 9999)}"
        names.add(name)
    return sorted(names)[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-name run")
    parser.add_argument("--show-errors", type=int, default=0, metavar="N",
                        help="print up to N misrecognised names")
    args = parser.parse_args(argv)
    names = pd.read_csv(DATA, dtype=str, keep_default_na=False)
    print(f"Labelled set: {len(names)} names, {int((names['expected'] != '').sum())} of "
          f"catalogue products, {int((names['expected'] == '').sum())} not in the catalogue "
          f"({DATA.relative_to(Path.cwd()) if DATA.is_relative_to(Path.cwd()) else DATA})")
    print()
    tune = names[names["split"] == "tune"]
    print("Threshold tuning on the 'tune' half:")
    print(f"  {'threshold':>9}  {'known ok':>9}  {'unknown forced':>14}")
    best = None
    for threshold in THRESHOLDS:
        out, _ = score(tune, threshold)
        f = figures(out)
        print(f"  {threshold:9.0f}  {f['accuracy']:9.2%}  {f['forced']:14.2%}")
        rank = (round(f["accuracy"], 6), -round(f["forced"], 6), threshold)
        if f["forced"] <= MAX_FORCED and (best is None or rank > best):
            best = rank
    chosen = best[2] if best else Settings().fuzzy_threshold
    print(f"  chosen threshold: {chosen:g} (best known accuracy with at most "
          f"{MAX_FORCED:.0%} of unknown names forced; ties go to fewer forced, then higher)")
    print()
    for label, part in (("test half", names[names["split"] == "test"]), ("whole set", names)):
        out, elapsed = score(part, chosen)
        f = figures(out)
        print(f"Result on the {label} at threshold {chosen:g}: {f['known']} known names, "
              f"{f['unknown']} unknown names")
        print(f"  known-product names resolved correctly: {f['accuracy']:.2%} "
              f"({f['wrong']} matched to a wrong product, the rest left unrecognised)")
        print(f"  unknown names forced onto a product:    {f['forced']:.2%} ({f['forced_n']})")
        print(f"  speed: {len(part) / elapsed:,.0f} names/s ({elapsed:.2f} s)")
        if label == "whole set":
            by_kind = out.assign(ok=(out["got"] == out["expected"])
                                 | ((out["expected"] == "")
                                    & (out["got"].eq("") | out["got"].str.startswith("unrecognised:"))))
            kinds = by_kind.assign(kind=by_kind["kind"].str.split("+").str[-1]) \
                .groupby("kind")["ok"].agg(["mean", "size"])
            print("  correct by kind of name:")
            for kind, row in kinds.sort_index().iterrows():
                print(f"    {kind:<13} {row['mean']:7.2%}  of {int(row['size'])}")
            if args.show_errors:
                bad = by_kind[~by_kind["ok"]].head(args.show_errors)
                print("  errors:")
                for r in bad.itertuples():
                    print(f"    {r.raw!r} vendor={r.vendor!r} cap={r.capability!r} "
                          f"expected={r.expected or '-'} got={r.got or '-'} ({r.stage})")
        print()
    holdout = pd.read_csv(HOLDOUT, dtype=str, keep_default_na=False)
    out, _ = score(holdout, chosen)
    f = figures(out)
    print(f"Hold-out set ({HOLDOUT.name}): {f['known']} known, {f['unknown']} unknown names")
    print("  (written after the rules were frozen; its first run gave 88.89% known and 1.82% "
          "forced, then the coined-brand-word and component-word rules were added after "
          "reading its errors, so the figures below are no longer independent)")
    print(f"  known-product names resolved correctly: {f['accuracy']:.2%}")
    print(f"  unknown names forced onto a product:    {f['forced']:.2%} ({f['forced_n']})")
    if args.show_errors:
        bad = out[((out["expected"] != "") & (out["got"] != out["expected"]))
                  | ((out["expected"] == "") & out["got"].ne("")
                     & ~out["got"].str.startswith("unrecognised:"))]
        for r in bad.itertuples():
            print(f"    {r.raw!r} expected={r.expected or '-'} got={r.got or '-'} ({r.stage})")
    print()
    if not args.quick:
        big = scale_names(list(names["raw"]), 100_000)
        frame = pd.DataFrame({"raw": big, "vendor": "", "capability": "", "expected": "",
                              "kind": "scale", "split": "scale"})
        _, elapsed = score(frame, chosen)
        print(f"Scale: {len(big):,} unique names in {elapsed:.1f} s = "
              f"{len(big) / elapsed:,.0f} names/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
