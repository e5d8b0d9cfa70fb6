"""Scale benchmark: scsim run time and peak memory as the population grows.

Runs a bundled scenario (default ``court-blacklist``) for 365 days at 10^5, 10^6 and 10^7
citizens, each size in a fresh Python subprocess so that its peak memory (the child's own
``ru_maxrss``) is measured alone. A tiny run first warms numba's on-disk kernel cache, so
compilation is not counted. Per size it reports the child's wall time, every phase in the run
manifest's ``timings`` (``simulate_s`` is the day loop alone), the number of events simulated
(the ``n_<kind>`` columns of ``citizens.parquet``, summed), events and citizen-days per second of
``simulate_s``, and peak RSS; then a linearity check (simulate seconds per million citizens) and
the targets: 10^7 citizens x 365 days in <= 10 s of simulate time and <= 3 GB peak memory.

    .venv/bin/python benchmarks/scale.py [--sizes 100000,1000000,10000000] [--days 365]
        [--scenario court-blacklist] [--seed N] [--out DIR] [--json [PATH|-]]

Exit code 1 if a child run fails (its stderr is printed), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_SIZES = (100_000, 1_000_000, 10_000_000)
WARM_UP_CITIZENS = 2_000
TARGET_CITIZENS = 10_000_000
TARGET_DAYS = 365
TARGET_SIMULATE_S = 10.0
TARGET_PEAK_GB = 3.0
# Scenarios with their own targets (issue 3: the documented ecosystem, graph and score included).
SCENARIO_TARGETS = {"national-documented": (30.0, 6.0)}
GB = 1e9  # decimal gigabytes: ru_maxrss (KiB on Linux) * 1024 / 1e9


# --------------------------------------------------------------------------------------------
# Child: one run in a fresh interpreter, reporting its own peak RSS.
# --------------------------------------------------------------------------------------------


def child(spec: dict[str, Any]) -> int:
    """Run one simulation and write a small JSON result to ``spec['result']``."""
    clock = time.perf_counter()
    import scsim

    import_s = time.perf_counter() - clock
    cache_dir = _numba_cache_dir()
    cached_before = _count_files(cache_dir)
    clock = time.perf_counter()
    scenario = scsim.load(spec["scenario"])
    if spec.get("start"):  # a later start: every dated value as in force on that day
        scenario = scenario.configured(start=dt.date.fromisoformat(spec["start"]))
    run = scsim.simulate(
        scenario,
        population=spec["citizens"],
        days=spec["days"],
        seed=spec["seed"],
        out=spec["out"],
    )
    call_s = time.perf_counter() - clock
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    result = {
        "run_dir": str(run.path),
        "import_s": import_s,
        "simulate_call_s": call_s,
        "maxrss_kib": maxrss_kib,
        "numba_cache_dir": cache_dir,
        # New files in the kernel cache mean this run compiled kernels (the engine's sources
        # changed since the warm-up): its simulate_s then includes compilation.
        "compiled": _count_files(cache_dir) > cached_before,
    }
    Path(spec["result"]).write_text(json.dumps(result), encoding="utf-8")
    return 0


def _numba_cache_dir() -> str | None:
    try:
        import numba

        return str(numba.config.CACHE_DIR) if numba.config.CACHE_DIR else None
    except ImportError:
        return None


def _count_files(folder: str | None) -> int:
    if not folder or not os.path.isdir(folder):
        return 0
    return sum(len(files) for _, _, files in os.walk(folder))


class ChildFailed(Exception):
    def __init__(self, what: str, returncode: int, stderr: str) -> None:
        why = f"exit code {returncode}"
        if returncode < 0:  # e.g. SIGKILL from the kernel's out-of-memory killer
            why = f"killed by signal {-returncode}" + (
                " — out of memory?" if returncode == -9 else ""
            )
        super().__init__(f"{what} failed in its subprocess ({why})")
        self.returncode = returncode
        self.stderr = stderr


def run_child(
    citizens: int,
    days: int,
    scenario: str,
    seed: int | None,
    out: Path,
    what: str = "",
    start: str | None = None,
) -> dict[str, Any]:
    """Run one size in a fresh subprocess; return its measurements."""
    with tempfile.TemporaryDirectory(prefix="scsim-scale-result-") as tmp:
        result_file = Path(tmp) / "result.json"
        spec = {
            "citizens": citizens,
            "days": days,
            "scenario": scenario,
            "start": start,
            "seed": seed,
            "out": str(out),
            "result": str(result_file),
        }
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
        clock = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
        wall_s = time.perf_counter() - clock
        if proc.returncode != 0 or not result_file.is_file():
            what = what or f"the run of {citizens:,} citizens x {days} days"
            raise ChildFailed(what, proc.returncode, proc.stderr or proc.stdout)
        res = json.loads(result_file.read_text(encoding="utf-8"))

    run_dir = Path(res["run_dir"])
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    timings = {k: float(v) for k, v in (manifest.get("timings") or {}).items()}
    events, recorded = count_events(run_dir, manifest)
    simulate_s = timings.get("simulate_s", float("nan"))
    n_days = int((manifest.get("horizon") or {}).get("days") or days)
    return {
        "citizens": citizens,
        "days": n_days,
        "wall_s": wall_s,
        "import_s": res["import_s"],
        "simulate_call_s": res["simulate_call_s"],
        "timings": timings,
        "simulate_s": simulate_s,
        "events": events,
        "events_recorded": recorded,
        "events_per_s": events / simulate_s if simulate_s > 0 else float("inf"),
        "citizen_days_per_s": citizens * n_days / simulate_s if simulate_s > 0 else float("inf"),
        "peak_rss_gb": res["maxrss_kib"] * 1024 / GB,
        "threads": manifest.get("threads"),
        "compiled": bool(res.get("compiled")),
        "numba_cache_dir": res.get("numba_cache_dir"),
        "run_dir": str(run_dir),
    }


def count_events(run_dir: Path, manifest: dict[str, Any]) -> tuple[int, int]:
    """Events simulated and recorded: the ``n_<kind>`` / ``rec_<kind>`` citizen columns, summed.

    The kinds are the scenario's behaviour events (from the manifest), so the case and listing
    counters (``n_cases``, ``n_listings``) are not counted as events.
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = run_dir / "citizens.parquet"
    names = set(pq.read_schema(path).names)
    behaviour = (manifest.get("scenario") or {}).get("behaviour") or {}
    kinds = list(behaviour.get("events") or [])
    if not kinds:  # fall back on every per-kind pair present
        kinds = [n[2:] for n in names if n.startswith("n_") and f"rec_{n[2:]}" in names]

    def total(prefix: str) -> int:
        s = 0
        for kind in kinds:
            col = f"{prefix}{kind}"
            if col in names:  # one column at a time: 10^7 rows stay small
                s += int(pc.sum(pq.read_table(path, columns=[col]).column(0)).as_py() or 0)
        return s

    return total("n_"), total("rec_")


# --------------------------------------------------------------------------------------------
# Parent: machine, warm-up, sizes, tables.
# --------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_total = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_total = int(line.split()[1]) * 1024 / GB
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": model or platform.processor() or "unknown",
        "mem_total_gb": mem_total,
        "numba_num_threads_env": os.environ.get("NUMBA_NUM_THREADS"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": dt.date.today().isoformat(),
    }


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(float(s.replace("_", ""))) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of sizes: {text!r}") from None
    if not sizes or any(n <= 0 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive integers, e.g. 100000,1000000")
    return sizes


def linearity(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Simulate seconds per million citizens per size; ratio largest size / smallest size."""
    per_m = {r["citizens"]: r["simulate_s"] / (r["citizens"] / 1e6) for r in results}
    lo, hi = min(per_m), max(per_m)
    return {
        "simulate_s_per_million": {str(n): v for n, v in sorted(per_m.items())},
        "ratio_largest_smallest": per_m[hi] / per_m[lo] if per_m[lo] > 0 else float("nan"),
        "largest": hi,
        "smallest": lo,
    }


def targets(
    results: list[dict[str, Any]], days: int, scenario: str = "court-blacklist"
) -> dict[str, Any]:
    """Compare with the targets: measured at 10^7, else projected from the measured sizes.

    Time is projected from the largest size's seconds per citizen (linear, and proportional to
    days); memory from a straight line through the two largest sizes (or proportionally from
    the largest). Projections are labelled as such and are no substitute for running 10^7.
    """
    target_s, target_gb = SCENARIO_TARGETS.get(scenario, (TARGET_SIMULATE_S, TARGET_PEAK_GB))
    at = {r["citizens"]: r for r in results}
    scale_days = TARGET_DAYS / days if days else float("nan")
    if TARGET_CITIZENS in at and days == TARGET_DAYS:
        r = at[TARGET_CITIZENS]
        sim, mem, basis = r["simulate_s"], r["peak_rss_gb"], "measured"
    else:
        big = sorted(at)
        top = at[big[-1]]
        sim = top["simulate_s"] * TARGET_CITIZENS / top["citizens"] * scale_days
        mem = top["peak_rss_gb"] * TARGET_CITIZENS / top["citizens"]  # proportional
        if len(big) >= 2:  # a fixed part plus a part per citizen, when the two sizes allow it
            a, b = at[big[-2]], top
            slope = (b["peak_rss_gb"] - a["peak_rss_gb"]) / (b["citizens"] - a["citizens"])
            if slope > 0:
                mem = b["peak_rss_gb"] + slope * (TARGET_CITIZENS - b["citizens"])
        basis = f"projected from {big[-1]:,} citizens x {days} days (linear)"
    return {
        "basis": basis,
        "simulate_s": sim,
        "simulate_target_s": target_s,
        "simulate_ok": sim <= target_s,
        "peak_rss_gb": mem,
        "peak_target_gb": target_gb,
        "peak_ok": mem <= target_gb,
    }


def _fmt_s(v: float) -> str:
    return f"{v:.3f}" if v < 10 else f"{v:.2f}"


def print_report(console, results: list[dict], lin: dict, tgt: dict) -> None:
    from rich.table import Table

    phases: list[str] = []
    for r in results:
        phases += [k for k in r["timings"] if k not in phases]

    t = Table(title=f"scsim scale: {results[0]['scenario']}, {results[0]['days']} days")
    t.add_column("citizens", justify="right")
    t.add_column("child wall s", justify="right")
    for p in phases:
        t.add_column(p, justify="right", style="bold" if p == "simulate_s" else None)
    t.add_column("events", justify="right")
    t.add_column("events/s", justify="right")
    t.add_column("citizen-days/s", justify="right")
    t.add_column("peak RSS GB", justify="right")
    for r in results:
        t.add_row(
            f"{r['citizens']:,}" + (" *" if r["compiled"] else ""),
            _fmt_s(r["wall_s"]),
            *(_fmt_s(r["timings"][p]) if p in r["timings"] else "-" for p in phases),
            f"{r['events']:,}",
            f"{r['events_per_s']:,.0f}",
            f"{r['citizen_days_per_s']:,.0f}",
            f"{r['peak_rss_gb']:.2f}",
        )
    console.print(t)
    if any(r["compiled"] for r in results):
        console.print("[red]* compiled kernels during the run: figures include compilation[/red]")
    console.print(
        "child wall s = the whole subprocess (interpreter start, imports, all phases); "
        "events = n_<kind> columns of citizens.parquet summed "
        "(recorded: " + ", ".join(f"{r['events_recorded']:,}" for r in results) + "); "
        "events/s and citizen-days/s are per second of simulate_s; GB = 10^9 bytes."
    )

    lt = Table(title="Linearity: simulate seconds per million citizens")
    lt.add_column("citizens", justify="right")
    lt.add_column("simulate s / 10^6 citizens", justify="right")
    for n, v in lin["simulate_s_per_million"].items():
        lt.add_row(f"{int(n):,}", f"{v:.3f}")
    console.print(lt)
    console.print(
        f"ratio {lin['largest']:,} / {lin['smallest']:,}: "
        f"[bold]{lin['ratio_largest_smallest']:.2f}[/bold] "
        "(≈1 linear; >1 worse than linear; <1 fixed per-run costs weigh on the small sizes)"
    )

    tt = Table(title=f"Targets: {TARGET_CITIZENS:,} citizens x {TARGET_DAYS} days ({tgt['basis']})")
    tt.add_column("quantity")
    tt.add_column("value", justify="right")
    tt.add_column("target", justify="right")
    tt.add_column("status")
    word = "PASS" if tgt["basis"] == "measured" else "on track"
    miss = "FAIL" if tgt["basis"] == "measured" else "off track"

    def status(ok: bool) -> str:
        return f"[green]{word}[/green]" if ok else f"[red]{miss}[/red]"

    tt.add_row(
        "simulate_s",
        f"{tgt['simulate_s']:.2f} s",
        f"<= {tgt['simulate_target_s']:g} s",
        status(tgt["simulate_ok"]),
    )
    tt.add_row(
        "peak RSS",
        f"{tgt['peak_rss_gb']:.2f} GB",
        f"<= {tgt['peak_target_gb']:g} GB",
        status(tgt["peak_ok"]),
    )
    console.print(tt)
    if tgt["basis"] != "measured":
        console.print(
            "[yellow]10^7 x 365 was not run: the figures above are projections, "
            "not measurements.[/yellow]"
        )


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--child"]:
        return child(json.loads(argv[1]))

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated citizen counts (default 100000,1000000,10000000)",
    )
    parser.add_argument("--days", type=int, default=365, help="days to simulate (default 365)")
    parser.add_argument("--scenario", default="court-blacklist", help="bundled name or YAML path")
    parser.add_argument("--seed", type=int, default=None, help="default: the scenario's seed")
    parser.add_argument(
        "--start",
        default=None,
        help="start the scenario later (YYYY-MM-DD), e.g. when all its schemes run; default: "
        "its own start",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="keep the run directories here (default: a temporary folder, deleted at the end)",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        default=None,
        metavar="PATH",
        help="write machine-readable results to PATH, or with no PATH (or '-') to stdout "
        "instead of the tables (which then go to stderr)",
    )
    args = parser.parse_args(argv)
    if args.days <= 0:
        parser.error("--days must be at least 1")

    from rich.console import Console

    console = Console(stderr=args.json == "-")
    if not console.is_terminal:  # logs and pipes: do not squeeze the tables into 80 columns
        console.width = max(console.width, 150)
    m = machine()
    console.print(
        f"[bold]Machine[/bold]: {m['cpu_model']}; {m['cpu_count']} CPUs "
        f"({m['cpus_usable']} usable); "
        + (f"{m['mem_total_gb']:.1f} GB RAM; " if m["mem_total_gb"] else "")
        + f"NUMBA_NUM_THREADS={m['numba_num_threads_env'] or 'unset (numba default)'}; "
        f"Python {m['python']}; {m['date']}"
    )

    tmp = None
    if args.out is None:
        tmp = tempfile.mkdtemp(prefix="scsim-scale-")
        out = Path(tmp)
    else:
        out = args.out
    try:
        console.print(
            f"Warming the numba kernel cache: {WARM_UP_CITIZENS:,} citizens x {args.days} days "
            "in a subprocess (not counted) ...",
            highlight=False,
        )
        warm = run_child(
            WARM_UP_CITIZENS, args.days, args.scenario, args.seed, out / "warm-up", "the warm-up"
        )
        if warm["compiled"]:
            note = "kernels compiled and cached"
        else:
            note = (
                "cache was already warm; this simulate_s bounds the per-process cost of loading "
                "cached kernels, which each size's simulate_s includes"
            )
        console.print(
            f"  warm-up done: child {warm['wall_s']:.2f} s, simulate_s "
            f"{warm['simulate_s']:.3f} s ({note})",
            highlight=False,
        )
        results = []
        for n in args.sizes:
            console.print(f"{n:,} citizens x {args.days} days (fresh subprocess) ...")
            r = run_child(n, args.days, args.scenario, args.seed, out, start=args.start)
            if r["compiled"]:  # kernel sources changed since the warm-up: run it again
                console.print(
                    f"  [yellow]compiled kernels (simulate_s {r['simulate_s']:.2f} s): the "
                    "engine's sources changed since the warm-up; running this size again"
                    "[/yellow]"
                )
                r = run_child(n, args.days, args.scenario, args.seed, out, start=args.start)
                if r["compiled"]:
                    console.print(
                        "  [red]compiled again: this size's figures include compilation[/red]"
                    )
            r["scenario"] = args.scenario
            results.append(r)
            if tmp is not None:  # measured; free the disk before the next, larger size
                shutil.rmtree(r.pop("run_dir"), ignore_errors=True)
            console.print(
                f"  simulate_s {r['simulate_s']:.3f} s, child {r['wall_s']:.2f} s, "
                f"peak RSS {r['peak_rss_gb']:.2f} GB, threads {r['threads']}",
                highlight=False,
            )
    except ChildFailed as exc:
        console.print(f"[red]error: {exc}[/red]")
        sys.stderr.write(exc.stderr)
        if not exc.stderr.endswith("\n"):
            sys.stderr.write("\n")
        return 1
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    lin = linearity(results)
    tgt = targets(results, args.days, args.scenario)
    print_report(console, results, lin, tgt)

    if args.json is not None:
        payload = {
            "scenario": args.scenario,
            "days": args.days,
            "seed": args.seed,
            "machine": m,
            "warm_up": warm,
            "results": results,
            "linearity": lin,
            "targets": tgt,
        }
        if tmp is not None:  # the run directories are gone
            warm.pop("run_dir", None)
        text = json.dumps(payload, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
            console.print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
