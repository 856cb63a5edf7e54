"""Benchmark ``estate analyse`` end to end against reading the same files with pandas alone.

    python benchmarks/run.py                      # 1k, 10k, 100k, 1M rows, 3 runs each
    python benchmarks/run.py --sizes 1000,10000 --repeat 5
    python benchmarks/run.py --smoke              # 1k rows once: what CI runs (< 1 minute)
    python benchmarks/run.py --sizes 100000 --repeat 1 --profile   # + cProfile of the stages
    python benchmarks/run.py --sizes 100000 --repeat 1 --memory    # + peak memory per stage

For every size it generates a seeded messy estate (``benchmarks/generate.py``, cached under
``benchmarks/.cache/``, which git ignores) and then, each in a fresh process so that start-up
counts and peak memory is that run's own:

- ``estate analyse DIR --out TMP --quiet``: wall time, peak memory (the process's peak
  resident set, or the sampled sum over it and any child it forks, whichever is larger),
  and whether all the reports were written;
- seconds per stage: from ``estate analyse --timings FILE`` in that same run when the CLI
  offers the option, else from a second process that calls ``estate.pipeline.run_analysis``
  with a progress callback timing each stage, then ``estate.report.write_reports``
  (``--memory`` and ``--profile`` always use that second process, once per size, for
  peak memory after each stage and a cProfile of the stages);
- pandas alone: ``pd.read_csv`` of every file, the floor any analysis stands on.

Before the runs the package's bytecode is compiled (``compileall``, as ``pip install``
does), so start-up is measured as an installed tool starts, not with Python compiling
every module's source again in each run (which it does when ``PYTHONDONTWRITEBYTECODE``
is set and nothing has been compiled yet); ``--no-compile`` skips that.

It prints a markdown table of medians and the targets of issue 8 (1M rows in at most 60 s
and 4 GB with all reports; 1k rows in at most 2 s including start-up; time growing no
faster than linearly). Exit status: 1 when a run failed, 2 with ``--check`` when a target
was missed, else 0. Timings are printed, never asserted in tests.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
STAGES = ("import", "load", "normalise", "graph", "analyse", "report")
REPORTS = ("report.html", "estate-graph.html", "findings.json", "systems.csv", "clusters.csv",
           "data-quality.csv", "summary.md")
TARGET_1M_SECONDS = 60.0
TARGET_1M_MB = 4096.0
TARGET_1K_SECONDS = 2.0
LINEAR_SLACK = 1.15  # growth exponent allowed between sizes >= 10k (noise on 2 cores)


# --- children: each runs in its own process -------------------------------------------------

def child_stages(inputs: Path, out: Path, profile: Path | None) -> None:
    """Time each pipeline stage (imports included) and print the times as JSON."""
    times: dict[str, float] = {}
    started = time.perf_counter()
    from contextlib import contextmanager

    from estate.pipeline import run_analysis
    from estate.report import write_reports
    from estate.settings import Settings
    times["import"] = time.perf_counter() - started

    cpu: dict[str, float] = {"import": time.process_time()}
    rss: dict[str, dict[str, float]] = {"import": _memory()}

    @contextmanager
    def timed(stage: str):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            times[stage] = times.get(stage, 0.0) + time.perf_counter() - t0
            cpu[stage] = cpu.get(stage, 0.0) + time.process_time() - c0
            rss[stage] = _memory()
            print(json.dumps({"stage": stage, "wall": times[stage], "cpu": cpu[stage],
                              "memory": rss[stage]}), file=sys.stderr, flush=True)

    def work() -> None:
        findings = run_analysis([inputs], Settings(), progress=timed)
        with timed("report"):
            write_reports(findings, out)

    if profile is None:
        work()
    else:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        try:
            profiler.runcall(work)
        finally:  # a failing stage still leaves the profile of what ran
            profiler.dump_stats(str(profile))
            with open(profile.with_suffix(".txt"), "w") as fh:
                stats = pstats.Stats(str(profile), stream=fh)
                stats.sort_stats("cumulative").print_stats(60)
                stats.sort_stats("tottime").print_stats(40)
    print(json.dumps({**times, "cpu": cpu, "memory": rss}))


def _memory() -> dict[str, float]:
    """Resident memory now and at its peak so far, in MB (Linux)."""
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    try:
        pages = int(open("/proc/self/statm").read().split()[1])
        now = pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        now = float("nan")
    return {"now": round(now, 1), "peak": round(peak, 1)}


def child_pandas(inputs: Path) -> None:
    """Read every inventory file with pandas alone and print the seconds and rows as JSON."""
    started = time.perf_counter()
    import pandas as pd
    imported = time.perf_counter()
    rows = 0
    for path in sorted(inputs.glob("*.csv")):
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except UnicodeDecodeError:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp1252")
        rows += len(frame)
    print(json.dumps({"import": imported - started, "read": time.perf_counter() - imported,
                      "rows": rows}))


# --- the parent --------------------------------------------------------------------------------

def _tree_pids(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux; else just ``pid``)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return pids


def _rss_mb(pid: int) -> float:
    """Resident set of ``pid`` (cheap: /proc/PID/statm), 0 when unreadable."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) \
            * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _pss_mb(pid: int) -> float:
    """Proportional set size of ``pid``, which splits each page shared with another
    process between them. Reading it walks the page tables: about 0.1 s for a 4 GB
    process, during which the process cannot map memory."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _tree_memory_mb(pid: int) -> float:
    """Memory of ``pid`` and every process below it (Linux; else 0).

    One process: its resident set. Several (a run that writes reports in a forked child):
    the sum of their proportional set sizes, so the pair is neither hidden nor counted twice.
    """
    pids = _tree_pids(pid)
    if len(pids) == 1:
        return _rss_mb(pid)
    return sum(_pss_mb(p) for p in pids)


class TreeMemory:
    """Samples the memory of a running process and its children (see
    :func:`_tree_memory_mb`) every ``interval`` seconds, keeping the peak.

    Proportional set sizes are costly to read (see :func:`_pss_mb`): sampling them every
    0.1 s took a quarter of a core from a 1M run and stalled it. They are read only when
    the cheap sum of resident sets (never below them) exceeds the peak so far, and then at
    most ``share`` of the time, so the sampler stays out of the measurement."""

    def __init__(self, pid: int, interval: float = 0.1, share: float = 0.05) -> None:
        self.pid, self.interval, self.share, self.peak = pid, interval, share, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_pss = 0.0
        while not self._stop.is_set():
            pids = _tree_pids(self.pid)
            resident = sum(_rss_mb(p) for p in pids)
            if len(pids) == 1:
                self.peak = max(self.peak, resident)
            elif resident > self.peak and time.perf_counter() >= next_pss:
                started = time.perf_counter()
                self.peak = max(self.peak, sum(_pss_mb(p) for p in pids))
                cost = time.perf_counter() - started
                next_pss = started + cost / self.share
            self._stop.wait(self.interval)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def measure(command: list[str], timeout: float) -> dict:
    """Run ``command`` in a fresh process; its wall time, peak memory, exit code, output.

    Peak memory is the larger of the process's own peak RSS and the sampled memory of the
    process with all its children (see :func:`_tree_memory_mb`).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                cwd=ROOT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        tree = TreeMemory(proc.pid)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            tree_peak = tree.stop()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "wall": wall,
            "peak_mb": max(usage.ru_maxrss / 1024.0, tree_peak),  # ru_maxrss: KiB on Linux
            "cpu": usage.ru_utime + usage.ru_stime,
            "code": proc.returncode,
            "timed_out": wall > timeout,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def estate_command() -> list[str]:
    script = Path(sys.executable).parent / "estate"
    if script.exists():
        return [str(script)]
    found = shutil.which("estate")
    return [found] if found else [sys.executable, "-c", "from estate.cli import main; main()"]


def compile_package() -> bool:
    """Write the bytecode of every module of the package, as installing it would."""
    return bool(compileall.compile_dir(str(ROOT / "estate"), quiet=1))


def supports_timings() -> bool:
    result = subprocess.run([*estate_command(), "analyse", "--help"], capture_output=True,
                            text=True, cwd=ROOT)
    return "--timings" in result.stdout


def cached_estate(rows: int, seed: int, cache: Path) -> Path:
    """The generated estate for ``rows``/``seed``, generated once per generator version."""
    digest = hashlib.sha256((HERE / "generate.py").read_bytes())
    catalogue = ROOT / "estate" / "data" / "products.csv"
    if catalogue.is_file():
        digest.update(catalogue.read_bytes())
    folder = cache / f"estate-{rows}-seed{seed}-{digest.hexdigest()[:10]}"
    done = folder.with_name(folder.name + ".done")
    if not done.exists():
        cache.mkdir(parents=True, exist_ok=True)
        (cache / ".gitignore").write_text("*\n")
        for stale in cache.glob(f"estate-{rows}-seed{seed}-*"):  # older generator versions
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
        started = time.perf_counter()
        sys.path.insert(0, str(HERE))
        from generate import write_estate
        write_estate(rows, folder, seed)
        done.write_text("")
        log(f"  generated {rows:,} rows in {time.perf_counter() - started:.1f}s -> {folder}")
    return folder


def run_size(rows: int, args, timings_option: bool) -> dict:
    inputs = cached_estate(rows, args.seed, args.cache)
    result = {"rows": rows, "files": len(list(inputs.glob("*.csv"))), "cli": [], "stages": [],
              "pandas": [], "errors": [], "missing_reports": [], "memory": {}}
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="estate-bench-") as tmp:
            out = Path(tmp) / "out"
            command = [*estate_command(), "analyse", str(inputs), "--out", str(out), "--quiet"]
            timings = Path(tmp) / "timings.json"
            if timings_option:
                command += ["--timings", str(timings)]
            run = measure(command, args.timeout)
            if run["code"] != 0:
                result["errors"].append(f"estate analyse exited {run['code']}"
                                        f"{' (timed out)' if run['timed_out'] else ''}: "
                                        f"{run['stderr'].strip()[-2000:]}")
            else:
                result["missing_reports"] = sorted(r for r in REPORTS if not (out / r).exists())
            result["cli"].append({"wall": run["wall"], "cpu": run["cpu"], "peak_mb": run["peak_mb"]})
            log(f"  {rows:>9,} rows run {i + 1}: estate analyse {run['wall']:.2f}s wall "
                f"{run['cpu']:.2f}s cpu {run['peak_mb']:.0f} MB (exit {run['code']})")
            if timings_option and timings.exists():
                data = json.loads(timings.read_text())
                data = {k: v for k, v in data.get("stages", data).items() if k in STAGES}
                data["import"] = max(0.0, run["wall"] - sum(data.values()))
                result["stages"].append(data)
        if not timings_option or ((args.profile or args.memory) and i == 0):
            with tempfile.TemporaryDirectory(prefix="estate-bench-") as tmp:
                profile = None
                if args.profile and i == 0:
                    profile = args.cache / f"profile-{rows}.prof"
                command = [sys.executable, str(Path(__file__).resolve()), "--child-stages",
                           str(inputs), str(Path(tmp) / "out")]
                if profile:
                    command += ["--child-profile", str(profile)]
                run = measure(command, args.timeout * (3 if profile else 1))
                if run["code"] == 0:
                    data = json.loads(run["stdout"].strip().splitlines()[-1])
                    result["memory"] = data.get("memory", {})
                    if not timings_option:
                        result["stages"].append(data)
                if run["code"] == 0:
                    if profile:
                        log(f"  profile: {profile.with_suffix('.txt')}")
                else:
                    result["errors"].append(f"stage timing exited {run['code']}: "
                                            f"{run['stderr'].strip()[-2000:]}")
        run = measure([sys.executable, str(Path(__file__).resolve()), "--child-pandas",
                       str(inputs)], args.timeout)
        if run["code"] == 0:
            data = json.loads(run["stdout"].strip().splitlines()[-1])
            result["pandas"].append({"wall": run["wall"], "read": data["read"],
                                     "peak_mb": run["peak_mb"]})
        else:
            result["errors"].append(f"pandas read exited {run['code']}: {run['stderr'][-2000:]}")
    return result


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(result: dict) -> dict:
    stages = {s: median(r.get(s) for r in result["stages"]) for s in STAGES}
    cli_wall = median(r["wall"] for r in result["cli"]) if not result["errors"] else None
    pandas_wall = median(r["wall"] for r in result["pandas"])
    return {
        "rows": result["rows"],
        "files": result["files"],
        "wall": cli_wall,
        "cpu": median(r.get("cpu") for r in result["cli"]) if cli_wall else None,
        "peak_mb": median(r["peak_mb"] for r in result["cli"]) if cli_wall else None,
        "stages": stages,
        "pandas_wall": pandas_wall,
        "pandas_read": median(r["read"] for r in result["pandas"]),
        "pandas_mb": median(r["peak_mb"] for r in result["pandas"]),
        "ratio": cli_wall / pandas_wall if cli_wall and pandas_wall else None,
        "missing_reports": result["missing_reports"],
        "errors": result["errors"],
        "memory": {s: m.get("peak") for s, m in result.get("memory", {}).items()},
    }


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def table(rows: list[dict], repeat: int) -> str:
    head = ["rows", "files", "estate analyse (s)", "cpu (s)", "peak MB",
            *[f"{'start-up' if s == 'import' else s} (s)" for s in STAGES], "pandas read_csv (s)", "pandas peak MB",
            "analyse / read"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in rows:
        cells = [f"{r['rows']:,}", str(r["files"]), fmt(r["wall"]), fmt(r.get("cpu")),
                 fmt(r["peak_mb"], ".0f"),
                 *[fmt(r["stages"][s]) for s in STAGES],
                 f"{fmt(r['pandas_wall'])} ({fmt(r['pandas_read'])} read)",
                 fmt(r["pandas_mb"], ".0f"), fmt(r["ratio"], ".1f") + "x" if r["ratio"] else "n/a"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"Medians of {repeat} run(s), each in a fresh process on {os.cpu_count()} cores. "
                 "`estate analyse` and pandas times are wall clock including interpreter "
                 "start-up and imports; start-up is the wall time outside the stages (interpreter, "
                 "imports, option parsing). cpu is user + system time of the "
                 "`estate analyse` process, less disturbed than wall time by other work on "
                 f"the machine (load average at the end: {load_average()}).")
    return "\n".join(lines)


def load_average() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def memory_table(rows: list[dict]) -> str:
    head = ["rows", *[f"after {'import' if s == 'import' else s} (MB)" for s in STAGES]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join([f"{r['rows']:,}", *[fmt(r["memory"].get(s), ".0f")
                                                             for s in STAGES]]) + " |")
    lines.append("")
    lines.append("Peak resident memory of the process by the end of each stage (one run of "
                 "the library per size).")
    return "\n".join(lines)


def targets(rows: list[dict]) -> list[tuple[str, bool | None, str]]:
    """Issue 8's targets: (what, met (None: not measured), the figures)."""
    by_size = {r["rows"]: r for r in rows}
    checks: list[tuple[str, bool | None, str]] = []
    big = by_size.get(1_000_000)
    if big:
        ok = (big["wall"] is not None and big["wall"] <= TARGET_1M_SECONDS
              and big["peak_mb"] <= TARGET_1M_MB and not big["missing_reports"])
        checks.append(("1,000,000 rows in <= 60 s and <= 4 GB, all reports written", ok,
                       f"{fmt(big['wall'])} s, {fmt(big['peak_mb'], '.0f')} MB, missing reports: "
                       f"{', '.join(big['missing_reports']) or 'none'}"))
    else:
        checks.append(("1,000,000 rows in <= 60 s and <= 4 GB, all reports written", None,
                       "not measured (add 1000000 to --sizes)"))
    small = by_size.get(1000)
    if small:
        ok = small["wall"] is not None and small["wall"] <= TARGET_1K_SECONDS
        checks.append(("1,000 rows in <= 2 s including start-up", ok, f"{fmt(small['wall'])} s"))
    # CPU seconds: on a shared machine wall time mostly measures the neighbours.
    measured = sorted((r["rows"], r.get("cpu") or r["wall"]) for r in rows
                      if r["wall"] and r["rows"] >= 10_000)
    if len(measured) >= 2:
        import math
        exps = [math.log(t2 / t1) / math.log(n2 / n1)
                for (n1, t1), (n2, t2) in zip(measured, measured[1:])]
        checks.append(("time grows no faster than linearly (cpu seconds, from 10k rows on)",
                       all(e <= LINEAR_SLACK for e in exps),
                       "growth exponents " + ", ".join(
                           f"{e:.2f} ({n1:,}->{n2:,})" for e, (n1, _), (n2, _)
                           in zip(exps, measured, measured[1:]))))
    return checks


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000",
                        help="comma-separated row counts (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (default 3)")
    parser.add_argument("--smoke", action="store_true",
                        help="1,000 rows, one run: the quick check CI runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=CACHE,
                        help="where generated estates are kept (default benchmarks/.cache)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the first stage run of each size into the cache folder")
    parser.add_argument("--memory", action="store_true",
                        help="also measure peak memory after each stage (one extra run per size)")
    parser.add_argument("--json", type=Path, help="also write the raw measurements here")
    parser.add_argument("--no-compile", action="store_true",
                        help="do not compile the package's bytecode before the runs")
    parser.add_argument("--check", action="store_true",
                        help="exit 2 when a target of issue 8 is missed")
    parser.add_argument("--child-stages", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-profile", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-pandas", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child_stages:
        child_stages(*args.child_stages, args.child_profile)
        return 0
    if args.child_pandas:
        child_pandas(args.child_pandas)
        return 0

    if args.smoke:
        args.sizes, args.repeat = "1000", 1
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes comma-separated whole numbers, e.g. 1000,10000")
    if not sizes or min(sizes) < 1 or args.repeat < 1:
        parser.error("--sizes and --repeat must be positive")

    if not args.no_compile and not compile_package():
        log("warning: could not compile the package's bytecode; start-up includes compiling")
    timings_option = supports_timings()
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if busy > (os.cpu_count() or 1):
        log(f"warning: load average {busy:.1f} on {os.cpu_count()} cores; wall times will be "
            "inflated by other work (compare the cpu column)")
    raw, summary = [], []
    for rows in sizes:
        log(f"{rows:,} rows:")
        result = run_size(rows, args, timings_option)
        raw.append(result)
        summary.append(summarise(result))
        for error in result["errors"]:
            log(f"  ERROR {error}")

    print(table(summary, args.repeat))
    if any(r["memory"] for r in summary):
        print()
        print(memory_table(summary))
    print()
    print("| target | met | measured |")
    print("|---|---|---|")
    checks = targets(summary)
    for what, ok, figures in checks:
        print(f"| {what} | {'yes' if ok else 'not measured' if ok is None else 'NO'} | {figures} |")
    if args.json:
        args.json.write_text(json.dumps({"raw": raw, "summary": summary}, indent=2))
    if any(r["errors"] or r["missing_reports"] for r in summary):
        return 1
    if args.check and any(ok is False for _, ok, _ in checks):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
