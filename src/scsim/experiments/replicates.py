"""Replicates: one scenario over the seeds ``S, S + 1, …, S + R - 1``, one run directory each,
and the key metrics across them."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from scsim.audit.metrics import audit
from scsim.core.errors import SimulationError
from scsim.engine.simulate import horizon
from scsim.experiments.executors import Case, Done, Epoch, Phase, run_cases
from scsim.results import Run
from scsim.scenario.model import Scenario, load
from scsim.scenario.schema import SEED_MAX


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """The seeds of ``replicates`` replicates from ``seed``: seed, seed + 1, …"""
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    if not 0 <= seed <= SEED_MAX - (replicates - 1):
        raise ValueError(
            f"the seeds {seed} to {seed + replicates - 1} do not all lie in 0 to 2**63 - 1 — "
            "choose a smaller --seed"
        )
    return [seed + i for i in range(replicates)]


def run_options(
    scenario: Scenario,
    population: int | None,
    days: int | None,
    until: dt.date | str | None,
    out: str | Path,
    events: bool,
) -> dict[str, Any]:
    """The options of every run, checked before any run starts (a pool would report later)."""
    if isinstance(until, str):
        until = dt.date.fromisoformat(until)
    if population is not None and population <= 0:
        raise SimulationError(f"the population must be at least 1 agent, got {population}")
    horizon(scenario, days, until)
    return {"population": population, "days": days, "until": until, "out": Path(out),
            "events": events}  # fmt: skip


def replicate(
    scenario: Scenario | str | Path,
    replicates: int,
    *,
    seed: int | None = None,
    population: int | None = None,
    days: int | None = None,
    until: dt.date | str | None = None,
    out: str | Path = "runs",
    events: bool = False,
    workers: int = 1,
    executor: Executor | None = None,
    progress: Epoch | None = None,
    on_phase: Phase | None = None,
    on_run: Done | None = None,
    resume: bool = False,
) -> list[Run]:
    """Run ``scenario`` with ``replicates`` seeds (``seed``, ``seed + 1``, …; ``seed`` defaults
    to the scenario's); the Runs in seed order, each in its own run directory under ``out``.

    Runs go through ``executor`` (default: serially here, or a process pool of ``workers``);
    the results do not depend on either. ``progress`` and ``on_phase`` are as for
    :func:`scsim.simulate` when running serially (elsewhere ``on_phase("running")`` is called
    once); ``on_run(done, total, run)`` is called here as each run completes. With ``resume``,
    a replicate whose run is already complete under ``out`` (an interrupted call before) is
    reused, not run again: the runs are the same as those of one uninterrupted call.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    seeds = replicate_seeds(scenario.spec.world.seed if seed is None else seed, replicates)
    options = run_options(scenario, population, days, until, out, events)
    cases = [Case(scenario, s) for s in seeds]
    return run_cases(cases, options, workers=workers, executor=executor, progress=progress,
                     on_phase=on_phase, on_run=on_run, resume=resume)  # fmt: skip


# Overall audit metrics shown by `scsim run --replicates` (metric, category or None for all).
KEY_METRICS = (
    ("listing_rate", ""),
    ("ever_listed_rate", ""),
    ("days_listed_per_adult", ""),
    ("sanction_share", None),
    ("reward_share", None),
    ("scored_share", ""),
    ("grade_share", None),
    ("list_share", None),
    ("wrongful_listing_share", ""),
    ("wrongful_record_rate", ""),
    ("offenders_never_recorded", "any"),
    ("poverty_trap_share", ""),
    ("gini", "wealth"),
    ("calibration", None),
)


def replicate_summary(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """Key overall metrics across replicates: mean, standard deviation (n − 1), min and max."""
    values: dict[tuple[str, str], list[float]] = {}
    for run in runs:
        for r in audit(run, by=[]).table.to_pylist():
            values.setdefault((r["metric"], r["category"]), []).append(r["value"])
    out = []
    for metric, category in KEY_METRICS:
        for (m, c), xs in values.items():
            if m != metric or (category is not None and c != category):
                continue
            x = np.asarray(xs, dtype=np.float64)
            present = len(xs) == len(runs) and not np.isnan(x).any()
            out.append(
                {
                    "metric": m,
                    "category": c,
                    "mean": float(x.mean()) if present else math.nan,
                    "sd": float(x.std(ddof=1)) if present and len(x) > 1 else math.nan,
                    "min": float(x.min()) if present else math.nan,
                    "max": float(x.max()) if present else math.nan,
                    "replicates": len(xs),
                }
            )
    return out
