"""The overhead of a sweep over the simulations it runs (issue 11's target).

A sweep of ``court-blacklist`` (grace_days × seeds, 200 cases by default) at 10^5 agents over
2 years, run serially, on a process pool of 2 workers and on a Dask LocalCluster of 2
single-threaded workers. For each, the wall time of the whole ``scsim.sweep`` call (probe,
reforms, worker start-up, population synthesis, kernel loading, audits, writing) against the
time the cases spent simulating:

    overhead = wall × workers / sum(simulate_s)       (target: at most 1.5 with 2 workers)

A serial sweep counts as 1 worker (its numba kernels use every core). The three must write
byte-identical results.parquet; the script checks it.

    python benchmarks/sweep_overhead.py                      # the target's size
    python benchmarks/sweep_overhead.py --cases 40 --population 20000
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import tempfile
import time
from pathlib import Path

import scsim

GRACE = "schemes.court.grace_days"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200, help="cases (points × 5 seeds)")
    parser.add_argument("--replicates", type=int, default=5)
    parser.add_argument("--population", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=["serial", "processes", "dask"], action="append")
    args = parser.parse_args()
    points = max(1, args.cases // args.replicates)
    values = {GRACE: [float(5 * k) for k in range(points)]}  # 0, 5, 10, … days
    # compile (or load) the kernels once, outside the timings
    scsim.simulate("court-blacklist", population=1000, days=31, out=tempfile.mkdtemp())
    print(f"court-blacklist, {points} points × {args.replicates} seeds = "
          f"{points * args.replicates} cases, {args.population:,} agents, {args.days} days; "
          f"{platform.node()}, {platform.processor() or platform.machine()}")  # fmt: skip
    print(f"{'executor':<11}{'wall s':>9}{'cases s':>9}{'Σ simulate s':>14}{'Σ case s':>10}"
          f"{'overhead':>10}")  # fmt: skip
    digests = set()
    for kind in args.only or ["serial", "processes", "dask"]:
        workers = 1 if kind == "serial" else args.workers
        with tempfile.TemporaryDirectory() as out:
            clock = time.perf_counter()
            experiment = scsim.sweep(
                "court-blacklist", values, replicates=args.replicates,
                population=args.population, days=args.days, out=out, executor=kind,
                workers=workers, metrics=None,
            )  # fmt: skip
            wall = time.perf_counter() - clock
            t = experiment.manifest["timings"]
            digests.add(hashlib.sha256(Path(experiment.path, "results.parquet").read_bytes())
                        .hexdigest())  # fmt: skip
        overhead = wall * workers / t["simulate_s_sum"]
        print(f"{kind:<11}{wall:>9.1f}{t['cases_wall_s']:>9.1f}{t['simulate_s_sum']:>14.1f}"
              f"{t['case_total_s_sum']:>10.1f}{overhead:>10.2f}", flush=True)  # fmt: skip
    print("results.parquet identical across executors:", len(digests) == 1)


if __name__ == "__main__":
    main()
