"""Audit benchmark: the full audit of one run, its wall time and peak memory.

Audits a run directory (``--run DIR``), or first simulates ``court-blacklist`` for 365 days with
``--population N`` agents and audits that. The audit runs in a fresh Python subprocess, so its
peak memory (the child's own ``ru_maxrss``) is the audit's alone: reading the needed columns of
``citizens.parquet`` and computing every metric by hukou, province, income quintile and age band.
A tiny audit first fills numba's kernel cache, so compilation is not counted.

    .venv/bin/python benchmarks/audit.py --population 1000000 [--days 365] [--out DIR]
    .venv/bin/python benchmarks/audit.py --run runs/court-blacklist-…-s20131001 [--repeat 3]
        [--by hukou,province,income_quintile,age_band] [--json [PATH|-]]

Reported per repeat: the child's wall time (interpreter start to exit), the audit call's wall
time with its Parquet read, rows in the metric table, peak RSS and the RSS after imports.
Target (issue 4): a full audit of 10^7 citizens in at most 20 s. Exit code 1 if a child fails.
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

DEFAULT_BY = "hukou,province,income_quintile,age_band"
TARGET_CITIZENS = 10_000_000
TARGET_S = 20.0


def audit_child(spec: dict[str, Any]) -> int:
    clock = time.perf_counter()
    from scsim.audit.metrics import audit
    from scsim.results import Run

    import_s = time.perf_counter() - clock
    run = Run(spec["run"])
    rss_before = rss_gb()
    clock = time.perf_counter()
    result = audit(run, by=spec["by"])
    audit_s = time.perf_counter() - clock
    out = {
        "import_s": import_s,
        "audit_s": audit_s,
        "read_s": result.info["timings"]["read_s"],
        "rows": len(result),
        "columns_read": len(result.info["columns_read"]),
        "n_agents": result.info["n_agents"],
        "rss_after_imports_gb": rss_before,
        "peak_rss_gb": rss_gb(),
    }
    Path(spec["result"]).write_text(json.dumps(out), encoding="utf-8")
    return 0


# --------------------------------------------------------------------------------------------
# Parent


def warm_up(by: list[str]) -> None:
    """Compile (or load) the audit's numba kernel once, outside the measured runs."""
    import numpy as np

    from scsim.audit.metrics import audit

    n = 1000
    rng = np.random.default_rng(0)
    tiny = {
        "age": rng.integers(0, 90, n).astype(np.int16),
        "hukou": (rng.integers(0, 2, n).astype(np.int8), ["rural", "urban"]),
        "province": (rng.integers(0, 3, n).astype(np.int8), ["a", "b", "c"]),
        "income": rng.random(n).astype(np.float32),
        "wealth": rng.random(n).astype(np.float32),
        "listed": rng.random(n) < 0.1,
    }
    audit(tiny, by=[b for b in by if b in ("hukou", "province", "income_quintile", "age_band")])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--run", help="An existing run directory to audit.")
    source.add_argument("--population", type=int, help="Simulate court-blacklist with N agents.")
    parser.add_argument("--days", type=int, default=365, help="Days to simulate (default 365).")
    parser.add_argument("--scenario", default="court-blacklist")
    parser.add_argument("--out", help="Keep the simulated run in this folder (default: temp).")
    parser.add_argument("--by", default=DEFAULT_BY, help=f"Groupings (default {DEFAULT_BY}).")
    parser.add_argument("--repeat", type=int, default=1, help="Audits to time (default 1).")
    parser.add_argument("--json", nargs="?", const="-", metavar="PATH",
                        help="Write the results as JSON to PATH (or stdout).")  # fmt: skip
    parser.add_argument("--simulate-child", help=argparse.SUPPRESS)
    parser.add_argument("--audit-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.simulate_child:
        return simulate_child(json.loads(args.simulate_child))
    if args.audit_child:
        return audit_child(json.loads(args.audit_child))
    if args.run is None and args.population is None:
        parser.error("give --run DIR or --population N")
    if args.population is not None and args.population <= 0:
        parser.error("--population must be at least 1")

    by = [b.strip() for b in args.by.split(",") if b.strip()]
    report = sys.stderr if args.json == "-" else sys.stdout
    temp = None
    simulated: dict[str, Any] | None = None
    try:
        if args.run:
            run_dir = args.run
        else:
            out = args.out or (temp := tempfile.mkdtemp(prefix="scsim-audit-bench-runs-"))
            print(f"simulating {args.scenario}: {args.population:,} agents x {args.days} days …",
                  file=report, flush=True)  # fmt: skip
            res, wall = run_child(
                __file__,
                "simulate",
                {"scenario": args.scenario, "population": args.population, "days": args.days,
                 "out": out},
            )  # fmt: skip
            run_dir = res["run_dir"]
            simulated = {"wall_s": wall, "run_dir": run_dir}
            print(f"  run written in {wall:.1f} s: {run_dir}", file=report, flush=True)
        warm_up(by)
        results = []
        for i in range(args.repeat):
            res, wall = run_child(__file__, "audit", {"run": run_dir, "by": by})
            res["child_wall_s"] = wall
            results.append(res)
            print(
                f"audit {i + 1}/{args.repeat}: {res['n_agents']:,} citizens by {','.join(by)}: "
                f"audit {res['audit_s']:.2f} s (Parquet read {res['read_s']:.2f} s, "
                f"{res['columns_read']} columns), child wall {wall:.2f} s, "
                f"{res['rows']:,} rows, peak RSS {res['peak_rss_gb']:.2f} GB "
                f"(after imports {res['rss_after_imports_gb']:.2f} GB)",
                file=report,
                flush=True,
            )
        best = min(results, key=lambda r: r["audit_s"])
        if best["n_agents"] >= TARGET_CITIZENS:
            verdict = "PASS" if best["audit_s"] <= TARGET_S else "FAIL"
            print(f"target: 10^7 citizens in <= {TARGET_S:g} s: {verdict} "
                  f"({best['audit_s']:.2f} s)", file=report)  # fmt: skip
        summary = {
            "machine": machine(),
            "run": run_dir,
            "simulated": simulated,
            "by": by,
            "audits": results,
        }
        if args.json:
            text = json.dumps(summary, indent=2)
            if args.json == "-":
                print(text)
            else:
                Path(args.json).write_text(text + "\n", encoding="utf-8")
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
