"""A Sobol analysis of six court-list parameters (issue 11's target): N = 64, so SALib's
Saltelli scheme draws N × (2D + 2) = 896 points, each one case of ``court-blacklist`` at
5 × 10^4 agents over the scenario's whole horizon (2013-10-01 to 2020-12-31), on a process
pool of 2 workers. Target: the whole ``scsim.sensitivity`` call (sampling, every case, the
analysis of every audit value, writing) in under 10 minutes on a 2-core machine.

    python benchmarks/sensitivity_sobol.py                  # the target's size
    python benchmarks/sensitivity_sobol.py --samples 8 --population 10000   # a quick look

Prints the wall time, the cases' summed simulate and total seconds, the analysis time and the
largest total-order indices of the listing rate.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time

import pyarrow.compute as pc

import scsim

# Six court-list parameters whose values do not change in the bundled scenario's horizon, or
# given ranges around their dated values (each case holds one value for the whole run).
RANGES = {
    "schemes.court.list_probability": (0.3, 0.9),
    "schemes.court.grace_days": (0, 90),
    "schemes.court.pay_if_able": (0.5, 1.0),
    "schemes.court.monthly_payment_propensity": None,  # the default rule: ±50%
    "schemes.court.min_listing_amount": None,
    "schemes.court.repeat_extension_days": None,
}
TARGET_S = 600.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=64, help="Sobol N (a power of two)")
    parser.add_argument("--population", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executor", choices=["processes", "dask"], default="processes")
    args = parser.parse_args()
    scsim.simulate("court-blacklist", population=1000, days=31, out=tempfile.mkdtemp())  # kernels
    cases = args.samples * (2 * len(RANGES) + 2)
    print(f"court-blacklist, Sobol N = {args.samples} over {len(RANGES)} parameters = {cases} "
          f"cases, {args.population:,} agents, whole horizon, {args.executor} × {args.workers}; "
          f"{platform.node()}, {platform.processor() or platform.machine()}")  # fmt: skip
    with tempfile.TemporaryDirectory() as out:
        clock = time.perf_counter()
        experiment = scsim.sensitivity(
            "court-blacklist", RANGES, method="sobol", samples=args.samples,
            population=args.population, out=out, workers=args.workers,
            executor=args.executor,
        )  # fmt: skip
        wall = time.perf_counter() - clock
        manifest = experiment.manifest
        found = experiment.indices
    timings = [c["timings"] for c in manifest["cases"]]
    simulate = sum(t.get("simulate_s", 0.0) for t in timings)
    total = sum(t["total_s"] for t in timings)
    print(f"wall {wall:.1f} s (target < {TARGET_S:.0f} s: {'PASS' if wall < TARGET_S else 'FAIL'})"
          f"; Σ simulate {simulate:.1f} s, Σ case {total:.1f} s, analysis "
          f"{manifest.get('analysis_s', 0):.1f} s; outputs left out "
          f"{manifest.get('outputs_left_out')}")  # fmt: skip
    rows = found.filter(pc.and_(pc.equal(found["metric"], "listing_rate"),
                                pc.equal(found["group_by"], "all"))).to_pylist()  # fmt: skip
    for r in sorted((r for r in rows if r["index"] == "ST"), key=lambda r: -r["value"]):
        print(f"  listing_rate ST {r['parameter']:<45} {r['value']:.3f} ± {r['conf']:.3f}")


if __name__ == "__main__":
    main()
