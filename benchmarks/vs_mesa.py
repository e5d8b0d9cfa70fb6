"""Benchmark scsim against Mesa 3 on the "traffic points" reference model.

Runs the idiomatic Mesa implementation (``benchmarks/mesa_reference.py``) and scsim's bundled
``mesa-reference`` scenario, prints throughput (agent-steps per second, an agent-step being one
citizen-day) and a statistical agreement check: two-sample z-tests, using per-citizen sample
variances, on violations per citizen and on final mean points. Exit code 1 if agreement FAILs.

    .venv/bin/python benchmarks/vs_mesa.py [--mesa-agents 100000] [--scsim-agents 1000000]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mesa_reference import GRADES, run_mesa  # noqa: E402


def _column(table, name: str) -> np.ndarray:
    """A column of a pyarrow Table (or anything with ``.column``/``[]``) as a float array."""
    if hasattr(table, "column"):
        col = table.column(name)
        return np.asarray(col.to_numpy() if hasattr(col, "to_numpy") else col, dtype=np.float64)
    return np.asarray(table[name], dtype=np.float64)


def run_scsim(n_agents: int, days: int = 365, seed: int = 0) -> dict:
    """Run scsim's ``mesa-reference`` scenario; same keys as ``run_mesa`` where meaningful."""
    import scsim

    sc = scsim.load("mesa-reference")
    with tempfile.TemporaryDirectory(prefix="scsim-vs-mesa-") as tmp:
        run = scsim.simulate(sc, population=n_agents, seed=seed, days=days, out=tmp)
        simulate_s = float(run.manifest["timings"]["simulate_s"])
        cit = run.citizens(columns=["points", "n_traffic_violation"])
        points = _column(cit, "points")
        violations = _column(cit, "n_traffic_violation")
        rows = run.timeseries().to_pylist()

    daily = sorted(
        (r["date"], r["value"])
        for r in rows
        if r["metric"] == "points_mean" and r.get("group") in ("all", None)
    )
    grade_rows = [r for r in rows if r["metric"] == "grade_count"]
    last = max((r["date"] for r in grade_rows), default=None)
    grades_final = dict.fromkeys(GRADES, 0)
    for r in grade_rows:
        if r["date"] == last and r.get("group") in ("all", None) and r["category"] in grades_final:
            grades_final[r["category"]] = float(r["value"])
    ddof = 1 if n_agents > 1 else 0
    return {
        "agent_steps_per_s": n_agents * days / simulate_s if simulate_s > 0 else float("inf"),
        "wall_s": simulate_s,
        "mean_points_final": float(points.mean()),
        "violations_per_citizen": float(violations.mean()),
        "violations_var": float(violations.var(ddof=ddof)),
        "points_var_final": float(points.var(ddof=ddof)),
        "daily_mean_points": [float(v) for _, v in daily],
        "grade_counts_final": grades_final,
    }


def _share(counts: dict, grade: str) -> float:
    """A grade's share of all graded citizens (scsim's counts are in real-population units)."""
    total = sum(counts.values())
    return counts.get(grade, 0) / total if total else 0.0


def z_two_sample(m1: float, v1: float, n1: int, m2: float, v2: float, n2: int) -> float:
    """z statistic for a difference of two independent sample means (Welch-style SE)."""
    se = math.sqrt(v1 / n1 + v2 / n2)
    if se == 0:
        return 0.0 if m1 == m2 else math.inf
    return (m1 - m2) / se


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mesa-agents", type=int, default=100_000)
    parser.add_argument("--scsim-agents", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--z-crit",
        type=float,
        default=3.29,
        help="|z| above this FAILs (default 3.29: two-sided alpha 0.001 per test)",
    )
    args = parser.parse_args(argv)

    try:  # fail before spending time on Mesa if the scsim side is missing
        import scsim

        for name in ("load", "simulate"):
            getattr(scsim, name)
    except (ImportError, AttributeError) as exc:
        print(f"error: scsim side unavailable: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2

    n_m, n_s, days = args.mesa_agents, args.scsim_agents, args.days
    print(f"Mesa: {n_m:,} agents x {days} days ...", flush=True)
    mesa_res = run_mesa(n_m, days=days, seed=args.seed)
    print(f"scsim: {n_s:,} agents x {days} days ...", flush=True)
    scsim_res = run_scsim(n_s, days=days, seed=args.seed)

    ratio = scsim_res["agent_steps_per_s"] / mesa_res["agent_steps_per_s"]
    z_viol = z_two_sample(
        scsim_res["violations_per_citizen"],
        scsim_res["violations_var"],
        n_s,
        mesa_res["violations_per_citizen"],
        mesa_res["violations_var"],
        n_m,
    )
    z_pts = z_two_sample(
        scsim_res["mean_points_final"],
        scsim_res["points_var_final"],
        n_s,
        mesa_res["mean_points_final"],
        mesa_res["points_var_final"],
        n_m,
    )
    ok = abs(z_viol) <= args.z_crit and abs(z_pts) <= args.z_crit

    rows = [
        ("agents", f"{n_m:,}", f"{n_s:,}"),
        ("simulate seconds", f"{mesa_res['wall_s']:.2f}", f"{scsim_res['wall_s']:.2f}"),
        (
            "agent-steps/s",
            f"{mesa_res['agent_steps_per_s']:,.0f}",
            f"{scsim_res['agent_steps_per_s']:,.0f}",
        ),
        (
            "final mean points",
            f"{mesa_res['mean_points_final']:.3f}",
            f"{scsim_res['mean_points_final']:.3f}",
        ),
        (
            "violations/citizen",
            f"{mesa_res['violations_per_citizen']:.4f}",
            f"{scsim_res['violations_per_citizen']:.4f}",
        ),
    ]
    for g in GRADES:
        rows.append(
            (
                f"final share {g}",
                f"{_share(mesa_res['grade_counts_final'], g):.4f}",
                f"{_share(scsim_res['grade_counts_final'], g):.4f}",
            )
        )
    w = max(len(r[0]) for r in rows)
    print()
    print(f"{'':<{w}}  {'Mesa 3':>16}  {'scsim':>16}")
    for name, a, b in rows:
        print(f"{name:<{w}}  {a:>16}  {b:>16}")
    print()
    print(f"throughput ratio scsim/Mesa: {ratio:,.1f}x")
    dm, ds = mesa_res["daily_mean_points"], scsim_res["daily_mean_points"]
    if len(dm) == len(ds) and dm:
        print(f"max |daily mean points difference|: {np.max(np.abs(np.subtract(dm, ds))):.4f}")
    print(f"z (violations/citizen): {z_viol:+.2f}")
    print(f"z (final mean points):  {z_pts:+.2f}")
    print(f"agreement (|z| <= {args.z_crit}): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
