"""Paired comparisons: two scenarios (or a scenario and one of its reforms) run with the same
seeds — common random numbers: both see the same synthetic population and the same draws, so a
paired difference shows the effect of the change and little noise — or existing runs paired by
seed; then the audit's paired differences (:func:`scsim.audit.compare.paired`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from scsim.audit.compare import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    CONFIDENCE,
    CompareError,
    Comparison,
    check_same_world,
    pair_by_seed,
    paired,
    run_set,
)
from scsim.audit.metrics import check
from scsim.engine.simulate import horizon
from scsim.experiments.executors import Case, Done, Epoch, Phase, run_cases
from scsim.experiments.replicates import replicate_seeds, run_options
from scsim.results.outcome import citizen_column_types
from scsim.scenario.errors import did_you_mean
from scsim.scenario.model import Scenario, load
from scsim.scenario.settings import with_settings


def _world(scenario: Scenario, population: int | None, days, until) -> dict[str, Any]:
    """What makes two runs' synthetic populations the same: agents, provinces, persons per
    agent and the horizon."""
    start, end = horizon(scenario, days, until)
    pop = scenario.spec.world.population
    return {
        "agents": population or pop.agents,
        "provinces": sorted(pop.provinces) if pop.provinces else None,
        "real_population": pop.real_population,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }


def checked_reform(scenario: Scenario, name: str) -> Scenario:
    """``scenario.reform(name)``, with a message listing the reforms when there is no such one."""
    reforms = list(scenario.spec.reforms)
    if name not in reforms:
        listing = (
            f"its reforms: {', '.join(reforms)}"
            if reforms
            else "it defines none; add a 'reforms:' section to the scenario"
        )
        raise CompareError(
            f"scenario '{scenario.name}' has no reform '{name}'{did_you_mean(name, reforms)} "
            f"({listing})"
        )
    return scenario.reform(name)


def compare(
    a: Any,
    b: Any = None,
    *,
    reform: str | None = None,
    settings: Mapping[str, float | None] | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    population: int | None = None,
    days: int | None = None,
    until: dt.date | str | None = None,
    by: str | Sequence[str] | None = None,
    out: str | Path = "runs",
    workers: int = 1,
    executor: Executor | None = None,
    progress: Epoch | None = None,
    on_phase: Phase | None = None,
    on_run: Done | None = None,
    resume: bool = False,
    resamples: int = BOOTSTRAP_RESAMPLES,
    bootstrap_seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
    **audit_options: Any,
) -> Comparison:
    """Paired differences B − A of the audit metrics of two scenarios run with the same seeds.

    ``a`` and ``b`` are scenarios (a :class:`Scenario`, a bundled name or a YAML path), or
    ``b`` is left out and ``reform`` names one of ``a``'s reforms, or ``settings`` (``{path:
    value}``, as ``--set``) change B (B is A, or A's ``reform``, when ``b`` is left out); both run with the seeds
    ``seed, seed + 1, …`` (``replicates`` of them, default 1; ``seed`` defaults to A's) at the
    same ``population`` and horizon (``days``/``until``), through ``executor`` or a pool of
    ``workers`` (as :func:`scsim.replicate`; ``resume`` reuses the runs already complete). Or ``a`` and ``b`` are existing runs (a Run, a run
    directory, a folder of one scenario's runs, or a list of those), paired by seed.

    Both sides must have the same synthetic population (agents, provinces, persons per agent)
    and horizon. ``by`` and ``audit_options`` (``favourable``, ``among``, ``reference``,
    ``offences``) go to :func:`scsim.audit.metrics.audit`; the reference group of each grouping
    is fixed by the first A run (unless given), so that every replicate's ratios mean the same.
    """
    clock = time.perf_counter()
    runs_a, runs_b = run_set(a), None if b is None else run_set(b)
    if reform is not None and b is not None:
        raise CompareError("give either B or --reform NAME (the reform of A is B), not both")
    if b is None and reform is None and not settings:
        raise CompareError(
            "give two scenarios A and B, a scenario A with --reform NAME or --set PATH=VALUE, "
            "or two runs"
        )
    if runs_a is not None and runs_b is not None and settings:
        raise CompareError("--set changes a scenario; A and B are existing runs (give scenarios)")
    if runs_a is not None or runs_b is not None:
        if runs_a is None or runs_b is None or reform is not None or settings:
            raise CompareError(
                "compare two scenarios (each run here with the same seeds) or two existing runs "
                "or sets of runs, not a run with a scenario"
            )
        given = {"--replicates": replicates, "--seed": seed, "--population": population,
                 "--days": days, "--until": until}  # fmt: skip
        extra = [name for name, value in given.items() if value is not None]
        if extra:
            raise CompareError(
                f"{', '.join(extra)} set how scenarios are run; A and B are existing runs "
                "(pair them as they are, or give scenarios)"
            )
        runs_a, runs_b = pair_by_seed(runs_a, runs_b)
        seeds = [run.seed for run in runs_a]
    else:
        sc_a = a if isinstance(a, Scenario) else load(a)
        sc_b = checked_reform(sc_a, reform) if reform is not None else (sc_a if b is None else b)
        sc_b = with_settings(sc_b if isinstance(sc_b, Scenario) else load(sc_b), settings or {})
        options = run_options(sc_a, population, days, until, out, False)
        check_same_world(
            _world(sc_a, population, days, options["until"]),
            _world(sc_b, population, days, options["until"]),
            f"'{sc_a.name}'",
            f"'{sc_b.name}'",
        )
        seeds = replicate_seeds(sc_a.spec.world.seed if seed is None else seed, replicates or 1)
        _check_audit(sc_a, by, audit_options)
        cases: dict[tuple[str, int], Case] = {}
        for s in seeds:  # A and B of a seed one after the other; the same scenario runs once
            for sc in (sc_a, sc_b):
                cases.setdefault((sc.hash, s), Case(sc, s))
        done = run_cases(list(cases.values()), options, workers=workers, executor=executor,
                         progress=progress, on_phase=on_phase, on_run=on_run,
                         resume=resume)  # fmt: skip
        by_key = dict(zip(cases, done, strict=True))
        runs_a = [by_key[(sc_a.hash, s)] for s in seeds]
        runs_b = [by_key[(sc_b.hash, s)] for s in seeds]
    run_s = time.perf_counter() - clock
    result = paired(
        runs_a, runs_b, by, audit_options, resamples=resamples, seed=bootstrap_seed,
        confidence=confidence,
    )  # fmt: skip
    result.info.update(
        {
            "seeds": seeds,
            "timings": {"runs_s": run_s, "total_s": time.perf_counter() - clock},
        }
    )
    return result


def _check_audit(scenario: Scenario, by: Any, options: Mapping[str, Any]) -> None:
    """Check the audit's options against the columns the runs will write, declared from the
    scenario, so that a bad --by fails before any run starts."""
    check(citizen_column_types(scenario.spec), by, scenario=scenario.spec, **options)
