"""Report benchmark: the HTML report of one run, its wall time, peak memory and file size.

Reports on a run directory (``--run DIR``), or first simulates a bundled scenario
(``--scenario``, default ``national-documented``; ``court-blacklist`` is the cheap one) with
``--population N`` agents and reports on that. Each report is written in a fresh Python
subprocess, so its peak memory (the child's own ``ru_maxrss``) is the report's alone. A tiny
report first fills numba's kernel cache, so compilation is not counted.

    .venv/bin/python benchmarks/report.py --population 1000000 [--scenario court-blacklist]
        [--days 365] [--out DIR]
    .venv/bin/python benchmarks/report.py --run runs/national-documented-…-s2014 [--repeat 3]
        [--compare RUN2] [--json [PATH|-]]

Reported per repeat: the child's wall time (interpreter start to exit: what ``scsim report``
costs), the ``write_report`` call's time with its parts (Parquet read, audit), peak RSS and the
report's size. Targets (issue 4): 10^7 citizens in at most 10 s, a report of at most 5 MB.
Exit code 1 if a child fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from children import machine, rss_gb, run_child, simulate_child

TARGET_CITIZENS = 10_000_000
TARGET_S = 10.0
TARGET_BYTES = 5_000_000


def report_child(spec: dict[str, Any]) -> int:
    clock = time.perf_counter()
    from scsim.report import data as report_data
    from scsim.report import write_report

    import_s = time.perf_counter() - clock
    parts: dict[str, float] = {}
    gather = report_data.gather

    def timed_gather(run):  # noqa: ANN001, ANN202 - records the parts of the first gather
        result = gather(run)
        parts.setdefault("read_s", result.timings["read_s"])
        parts.setdefault("audit_s", result.timings["audit_s"])
        parts.setdefault("n_agents", result.metrics.result.info.get("n_agents"))
        return result

    from scsim.report import write as report_write

    report_write.gather = timed_gather
    rss_before = rss_gb()
    clock = time.perf_counter()
    path = write_report(spec["run"], out=spec["out"], compare=spec.get("compare"))
    report_s = time.perf_counter() - clock
    out = {
        "import_s": import_s,
        "report_s": report_s,
        **parts,
        "bytes": path.stat().st_size,
        "rss_after_imports_gb": rss_before,
        "peak_rss_gb": rss_gb(),
    }
    Path(spec["result"]).write_text(json.dumps(out), encoding="utf-8")
    return 0


# --------------------------------------------------------------------------------------------
# Parent


def warm_up() -> None:
    """Compile (or load) the audit's numba kernel once, outside the measured runs."""
    import numpy as np

    from scsim.audit.metrics import audit

    n = 1000
    rng = np.random.default_rng(0)
    tiny = {
        "age": rng.integers(0, 90, n).astype(np.int16),
        "hukou": (rng.integers(0, 2, n).astype(np.int8), ["rural", "urban"]),
        "income": rng.random(n).astype(np.float32),
        "listed": rng.random(n) < 0.1,
    }
    audit(tiny, by=["hukou", "income_quintile"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--run", help="An existing run directory to report on.")
    source.add_argument("--population", type=int, help="Simulate the scenario with N agents.")
    parser.add_argument("--scenario", default="national-documented",
                        help="Scenario to simulate (default national-documented).")  # fmt: skip
    parser.add_argument("--days", type=int, help="Days to simulate (default: the whole horizon).")
    parser.add_argument("--out", help="Keep the simulated run in this folder (default: temp).")
    parser.add_argument("--compare", help="A second run to compare with (--compare panel).")
    parser.add_argument("--repeat", type=int, default=1, help="Reports to time (default 1).")
    parser.add_argument("--json", nargs="?", const="-", metavar="PATH",
                        help="Write the results as JSON to PATH (or stdout).")  # fmt: skip
    parser.add_argument("--simulate-child", help=argparse.SUPPRESS)
    parser.add_argument("--report-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.simulate_child:
        return simulate_child(json.loads(args.simulate_child))
    if args.report_child:
        return report_child(json.loads(args.report_child))
    if args.run is None and args.population is None:
        parser.error("give --run DIR or --population N")
    if args.population is not None and args.population <= 0:
        parser.error("--population must be at least 1")

    log = sys.stderr if args.json == "-" else sys.stdout
    temp = tempfile.mkdtemp(prefix="scsim-report-bench-")
    simulated: dict[str, Any] | None = None
    try:
        if args.run:
            run_dir = args.run
        else:
            out = args.out or temp
            days = f"{args.days} days" if args.days else "its whole horizon"
            print(f"simulating {args.scenario}: {args.population:,} agents over {days} …",
                  file=log, flush=True)  # fmt: skip
            res, wall = run_child(
                __file__,
                "simulate",
                {"scenario": args.scenario, "population": args.population, "days": args.days,
                 "out": out},
            )  # fmt: skip
            run_dir = res["run_dir"]
            simulated = {"wall_s": wall, "run_dir": run_dir}
            print(f"  run written in {wall:.1f} s: {run_dir}", file=log, flush=True)
        warm_up()
        results = []
        for i in range(args.repeat):
            spec = {"run": run_dir, "out": str(Path(temp) / f"report-{i}.html"),
                    "compare": args.compare}  # fmt: skip
            res, wall = run_child(__file__, "report", spec)
            res["child_wall_s"] = wall
            results.append(res)
            print(
                f"report {i + 1}/{args.repeat}: {res.get('n_agents') or 0:,} citizens: "
                f"command wall {wall:.2f} s (write_report {res['report_s']:.2f} s: Parquet read "
                f"{res.get('read_s', 0):.2f} s, audit {res.get('audit_s', 0):.2f} s; imports "
                f"{res['import_s']:.2f} s), peak RSS {res['peak_rss_gb']:.2f} GB, "
                f"report {res['bytes'] / 1e6:.2f} MB",
                file=log,
                flush=True,
            )
        best = min(results, key=lambda r: r["child_wall_s"])
        if (best.get("n_agents") or 0) >= TARGET_CITIZENS:
            verdict = "PASS" if best["child_wall_s"] <= TARGET_S else "FAIL"
            print(f"target: 10^7 citizens in <= {TARGET_S:g} s: {verdict} "
                  f"({best['child_wall_s']:.2f} s)", file=log)  # fmt: skip
        size = "PASS" if best["bytes"] <= TARGET_BYTES else "FAIL"
        print(f"target: report <= {TARGET_BYTES / 1e6:g} MB: {size} "
              f"({best['bytes'] / 1e6:.2f} MB)", file=log)  # fmt: skip
        summary = {"machine": machine(), "run": run_dir, "simulated": simulated,
                   "reports": results}  # fmt: skip
        if args.json:
            text = json.dumps(summary, indent=2)
            if args.json == "-":
                print(text)
            else:
                Path(args.json).write_text(text + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
