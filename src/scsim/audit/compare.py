"""Replications and pairs: a scenario over R seeds, two scenarios over the same seeds, and the
paired differences of their audit metrics with bootstrap intervals.

- :func:`replicate` runs a scenario with the seeds ``S, S + 1, …, S + R - 1`` (``S``: the given
  seed, else the scenario's ``world.seed``), one run directory each, through a
  ``concurrent.futures.Executor``: :class:`SerialExecutor` by default, a process pool with
  ``workers=N``, or any executor you pass. Every draw is keyed by (seed, stream, citizen,
  counter), so the runs are the same bit for bit whichever executor and worker count ran them.
  ``scsim.simulate(..., replicates=R)`` calls it.
- :func:`compare` runs two scenarios (or a scenario and one of its reforms) with the same seeds —
  common random numbers: both see the same synthetic population and the same draws, so a paired
  difference shows the effect of the change and little noise — or pairs existing runs by seed.
  It audits every run (:func:`scsim.audit.metrics.audit`) and reports, for each metric row,
  the mean of A, the mean of B, the mean paired difference B − A and a percentile bootstrap
  interval over the replicate pairs (:func:`paired_bootstrap`).

The command ``scsim compare`` is defined here too; ``scsim run --replicates`` renders its
progress and summary with :func:`run_replicates`. Like ``scsim.audit.commands`` this module stays
light to import (numpy, pyarrow and the engine load when something runs) and borrows the CLI's
consoles and error handling when a command runs.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scsim.audit.commands import DEFAULT_BY, PERCENT, _fmt, _missing, _num
from scsim.audit.tidy import ALL, TidyTable
from scsim.scenario.schema import SEED_MAX

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from scsim.audit.metrics import AuditTable
    from scsim.results import Run
    from scsim.scenario.model import Scenario

COLUMNS = ("metric", "category", "group_by", "group", "a", "b", "difference", "ci_low",
           "ci_high", "replicates")  # fmt: skip
KEY = ("metric", "category", "group_by", "group")
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 20_131_001  # fixed: the same runs always give the same intervals
CONFIDENCE = 0.95
PROBE_AGENTS = 64  # agents of the tiny in-memory run that checks the audit options up front

Epoch = Callable[[int, int, dt.date], None]
Phase = Callable[[str], None]
Done = Callable[[int, int, "Run"], None]


class CompareError(ValueError):
    """Two sides cannot be compared as asked (different populations, unpaired seeds, …)."""


# --------------------------------------------------------------------------------------------
# Executors


class SerialExecutor(Executor):
    """Runs each task in the calling process as it is submitted (the default executor)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:  # an interrupt is not a task's result: it propagates
            future.set_exception(err)
        return future


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` fresh processes (spawned: numba's threads do not survive a fork),
    each with an equal share of the CPUs unless NUMBA_NUM_THREADS is set."""
    import multiprocessing

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(max(1, (cpus or 1) // workers),),
    )


def _start_worker(threads: int) -> None:
    """Pool worker set-up: its share of the threads; Ctrl-C is the parent's to handle."""
    os.environ.setdefault("NUMBA_NUM_THREADS", str(threads))
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(executor: Executor, out: Path) -> None:
    """Stop an executor now: cancel what has not started, end the pool's processes and remove
    the partial run directories they leave in ``out``."""
    import shutil

    processes = list((getattr(executor, "_processes", None) or {}).values())  # gone on shutdown
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
    # The pool notices its ended processes; waiting for it releases its queues' semaphores.
    executor.shutdown(wait=all(p.exitcode is not None for p in processes), cancel_futures=True)
    for process in processes:
        if process.exitcode is not None:  # ended: what it was writing is nobody's now
            for partial in out.glob(f".*.partial-{process.pid}-*"):
                shutil.rmtree(partial, ignore_errors=True)
    gc.collect()  # the pool's queues unregister their semaphores now, not at an exit that
    # an interrupt may cut short (the CLI leaves with os._exit)


def _simulate_job(scenario: Scenario, seed: int, options: dict[str, Any]) -> str:
    """One run (in whichever process the executor chose); returns its directory."""
    from scsim.api import simulate

    return str(simulate(scenario, seed=seed, **options).path)


@dataclass(frozen=True)
class _Job:
    scenario: Scenario
    seed: int


def _run_jobs(
    jobs: Sequence[_Job],
    options: dict[str, Any],
    *,
    workers: int,
    executor: Executor | None,
    progress: Epoch | None,
    on_phase: Phase | None,
    on_run: Done | None,
) -> list[Run]:
    """Run every job; the Runs in job order, whatever order they finished in.

    Serially each job is submitted once the one before has finished, with the epoch and phase
    callbacks; on any other executor all are submitted at once, ``on_phase("running")`` is
    called once, and then ``on_run`` (in this process) as each finishes.
    """
    from scsim.results import Run

    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    own = executor is None
    if own:
        executor = SerialExecutor() if workers == 1 else process_pool(min(workers, len(jobs)))
    assert executor is not None
    runs: list[Run | None] = [None] * len(jobs)
    try:
        if isinstance(executor, SerialExecutor):
            callbacks = {"progress": progress, "on_phase": on_phase}
            for k, job in enumerate(jobs):
                path = executor.submit(_simulate_job, job.scenario, job.seed,
                                       {**options, **callbacks}).result()  # fmt: skip
                runs[k] = Run(path)
                if on_run is not None:
                    on_run(k + 1, len(jobs), runs[k])
        else:
            if on_phase is not None:
                on_phase("running")
            pending = {
                executor.submit(_simulate_job, job.scenario, job.seed, options): k
                for k, job in enumerate(jobs)
            }
            for done, future in enumerate(as_completed(pending), 1):
                k = pending[future]
                runs[k] = Run(future.result())
                if on_run is not None:
                    on_run(done, len(jobs), runs[k])
    except BrokenProcessPool:
        from scsim.engine.simulate import SimulationError

        if own:
            _stop(executor, options["out"])
        raise SimulationError(
            "a worker process ended abruptly (out of memory, or killed) — use fewer --workers "
            "or a smaller --population (a script that starts workers needs "
            "`if __name__ == '__main__':`)"
        ) from None
    except BaseException:
        if own:
            _stop(executor, options["out"])
        raise
    if own:
        executor.shutdown()
    return [run for run in runs if run is not None]


# --------------------------------------------------------------------------------------------
# Replicates


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


def _run_options(
    scenario: Scenario,
    population: int | None,
    days: int | None,
    until: dt.date | str | None,
    out: str | Path,
    events: bool,
) -> dict[str, Any]:
    """The options of every run, checked before any run starts (a pool would report later)."""
    from scsim.engine.simulate import SimulationError, horizon

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
) -> list[Run]:
    """Run ``scenario`` with ``replicates`` seeds (``seed``, ``seed + 1``, …; ``seed`` defaults
    to the scenario's); the Runs in seed order, each in its own run directory under ``out``.

    Runs go through ``executor`` (default: serially here, or a process pool of ``workers``);
    the results do not depend on either. ``progress`` and ``on_phase`` are as for
    :func:`scsim.simulate` when running serially (elsewhere ``on_phase("running")`` is called
    once); ``on_run(done, total, run)`` is called here as each run completes.
    """
    from scsim.scenario.model import Scenario, load

    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    seeds = replicate_seeds(scenario.spec.world.seed if seed is None else seed, replicates)
    options = _run_options(scenario, population, days, until, out, events)
    jobs = [_Job(scenario, s) for s in seeds]
    return _run_jobs(jobs, options, workers=workers, executor=executor, progress=progress,
                     on_phase=on_phase, on_run=on_run)  # fmt: skip


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
    import numpy as np

    from scsim.audit.metrics import audit

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


# --------------------------------------------------------------------------------------------
# Paired bootstrap


def paired_bootstrap(
    differences: Any,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the mean paired difference, for each row of
    ``differences`` (rows: metrics, columns: the R replicate pairs).

    The pairs are resampled with replacement: resample i takes the pairs
    ``numpy.random.Generator(PCG64(seed)).integers(0, R, (resamples, R))[i]`` (the same resamples
    for every row, so rows stay comparable), and the interval is the (1 − confidence) / 2 and
    (1 + confidence) / 2 quantiles (linear interpolation) of the resampled means. Fewer than two
    pairs, or a NaN among a row's differences, give NaN.
    """
    import numpy as np

    d = np.asarray(differences, dtype=np.float64)
    d = d[None, :] if d.ndim == 1 else d
    k, r = d.shape
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, got {confidence}")
    nan = np.full(k, np.nan)
    if r < 2 or k == 0:
        return nan, nan.copy()
    picks = np.random.Generator(np.random.PCG64(seed)).integers(0, r, size=(resamples, r))
    # How often each pair was drawn, per resample: the resampled means are one matrix product.
    offsets = (picks + r * np.arange(resamples)[:, None]).ravel()
    counts = np.bincount(offsets, minlength=resamples * r).reshape(resamples, r)
    means = d @ counts.T.astype(np.float64) / r
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha], axis=1)
    bad = np.isnan(d).any(axis=1)
    low[bad] = np.nan
    high[bad] = np.nan
    return low, high


# --------------------------------------------------------------------------------------------
# Comparison


@dataclass
class Comparison(TidyTable):
    """Paired differences B − A of every audit metric row, with bootstrap intervals.

    ``table`` has the columns :data:`COLUMNS`; ``a`` and ``b`` are means over the replicates,
    ``difference`` the mean paired difference, ``ci_low``/``ci_high`` its interval (NaN with one
    replicate). ``identical`` says, per row, whether every pair gave exactly the same value.
    """

    runs_a: list[Run]
    runs_b: list[Run]
    identical: list[bool] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def overall(self) -> pa.Table:
        """The rows of the whole population."""
        return self.by_group(ALL)

    def by_group(self, grouping: str) -> pa.Table:
        """The rows of one grouping (``"hukou"``, …; ``"all"`` for the whole population)."""
        import pyarrow.compute as pc

        return self.table.filter(pc.equal(self.table.column("group_by"), grouping))

    def to_csv(self) -> str:
        """The table as CSV text."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        sink = pa.BufferOutputStream()
        pacsv.write_csv(self.table, sink)
        return sink.getvalue().to_pybytes().decode()

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data (NaN as None)."""
        rows = [
            {**{k: _json_value(v) for k, v in r.items()}, "identical": same}
            for r, same in zip(self.table.to_pylist(), self.identical, strict=True)
        ]
        return {**self.info, "columns": list(COLUMNS), "notes": list(self.notes), "metrics": rows}

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def _json_value(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _is_run_path(value: Any) -> bool:
    return isinstance(value, str | os.PathLike) and (Path(value) / "manifest.json").is_file()


def _run_set(value: Any) -> list[Run] | None:
    """The runs ``value`` names (a Run, a run directory, a folder of one scenario's runs, or a
    sequence of those), or None when it names a scenario."""
    from scsim.results import Run
    from scsim.scenario.model import Scenario

    if isinstance(value, Run):
        return [value]
    if isinstance(value, Scenario):
        return None
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [run for item in value for run in (_run_set(item) or [_not_a_run(item)])]
    if not isinstance(value, str | os.PathLike):
        raise CompareError(f"cannot compare a {type(value).__name__}: give a scenario or runs")
    path = Path(value)
    if _is_run_path(path):
        return [Run(path)]
    if path.is_dir() and not (path / "scenario.yaml").is_file():
        inside = sorted(p for p in path.iterdir() if _is_run_path(p))
        if inside:
            return _one_scenario([Run(p) for p in inside], path)
    return None


def _not_a_run(item: Any) -> Run:
    raise CompareError(f"{item}: not a run directory (a list given to compare holds runs only)")


def _one_scenario(runs: list[Run], folder: Path) -> list[Run]:
    """The runs of a folder, which must all be of one scenario (one hash)."""
    kinds: dict[str, list[Run]] = {}
    for run in runs:
        kinds.setdefault(f"{run.name}-{run.hash8}", []).append(run)
    if len(kinds) > 1:
        listing = ", ".join(f"{k} ×{len(v)}" for k, v in kinds.items())
        raise CompareError(
            f"{folder} holds runs of {len(kinds)} scenarios ({listing}) — give one run "
            "directory, or a folder holding one scenario's runs (scsim run … --replicates R "
            "--out FOLDER)"
        )
    return sorted(runs, key=lambda run: run.seed or 0)


def _world(scenario: Scenario, population: int | None, days, until) -> dict[str, Any]:
    """What makes two runs' synthetic populations the same: agents, provinces, persons per
    agent and the horizon."""
    from scsim.engine.simulate import horizon

    start, end = horizon(scenario, days, until)
    pop = scenario.spec.world.population
    return {
        "agents": population or pop.agents,
        "provinces": sorted(pop.provinces) if pop.provinces else None,
        "real_population": pop.real_population,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }


def _run_world(run: Run) -> dict[str, Any]:
    world = (run.manifest.get("scenario") or {}).get("world") or {}
    provinces = (world.get("population") or {}).get("provinces")
    horizon = run.manifest.get("horizon") or {}
    return {
        "agents": run.population.get("n_agents"),
        "provinces": sorted(provinces) if provinces else None,
        "real_population": run.population.get("real_population"),
        "start": horizon.get("start"),
        "end": horizon.get("end"),
    }


WORLD_LABELS = {
    "agents": "agents",
    "provinces": "provinces",
    "real_population": "real population",
    "start": "start date",
    "end": "end date",
}


def _check_same_world(a: dict[str, Any], b: dict[str, Any], a_name: str, b_name: str) -> None:
    """Refuse two sides whose synthetic populations or horizons differ (nothing would pair)."""
    differ = [key for key in WORLD_LABELS if a[key] != b[key]]
    if not differ:
        return

    def show(key: str, value: Any) -> str:
        if key == "provinces":
            return "all provinces" if value is None else ", ".join(value)
        if key == "real_population":
            return "the census default" if value is None else _num(value)
        if key == "agents":
            return _num(value)
        return str(value)

    parts = "; ".join(f"{WORLD_LABELS[k]}: A {show(k, a[k])}, B {show(k, b[k])}" for k in differ)
    hint = " — pass --population N to run both at the same size" if differ == ["agents"] else ""
    raise CompareError(
        f"cannot compare {a_name} with {b_name}: a paired comparison needs the same synthetic "
        f"population and horizon, and these differ ({parts}){hint}"
    )


def checked_reform(scenario: Scenario, name: str) -> Scenario:
    """``scenario.reform(name)``, with a message listing the reforms when there is no such one."""
    from scsim.scenario.errors import did_you_mean

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
    resamples: int = BOOTSTRAP_RESAMPLES,
    bootstrap_seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
    **audit_options: Any,
) -> Comparison:
    """Paired differences B − A of the audit metrics of two scenarios run with the same seeds.

    ``a`` and ``b`` are scenarios (a :class:`Scenario`, a bundled name or a YAML path), or
    ``b`` is left out and ``reform`` names one of ``a``'s reforms; both then run with the seeds
    ``seed, seed + 1, …`` (``replicates`` of them, default 1; ``seed`` defaults to A's) at the
    same ``population`` and horizon (``days``/``until``), through ``executor`` or a pool of
    ``workers`` (as :func:`replicate`). Or ``a`` and ``b`` are existing runs (a Run, a run
    directory, a folder of one scenario's runs, or a list of those), paired by seed.

    Both sides must have the same synthetic population (agents, provinces, persons per agent)
    and horizon. ``by`` and ``audit_options`` (``favourable``, ``among``, ``reference``,
    ``offences``) go to :func:`scsim.audit.metrics.audit`; the reference group of each grouping
    is fixed by the first A run (unless given), so that every replicate's ratios mean the same.
    """
    from scsim.scenario.model import Scenario, load

    clock = time.perf_counter()
    runs_a, runs_b = _run_set(a), None if b is None else _run_set(b)
    if reform is not None and b is not None:
        raise CompareError("give either B or --reform NAME (the reform of A is B), not both")
    if b is None and reform is None:
        raise CompareError(
            "give two scenarios A and B, a scenario A with --reform NAME, or two runs"
        )
    if runs_a is not None or runs_b is not None:
        if runs_a is None or runs_b is None or reform is not None:
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
        runs_a, runs_b = _paired_runs(runs_a, runs_b)
        seeds = [run.seed for run in runs_a]
    else:
        sc_a = a if isinstance(a, Scenario) else load(a)
        sc_b = checked_reform(sc_a, reform) if reform is not None else b
        sc_b = sc_b if isinstance(sc_b, Scenario) else load(sc_b)
        options = _run_options(sc_a, population, days, until, out, False)
        _check_same_world(
            _world(sc_a, population, days, options["until"]),
            _world(sc_b, population, days, options["until"]),
            f"'{sc_a.name}'",
            f"'{sc_b.name}'",
        )
        seeds = replicate_seeds(sc_a.spec.world.seed if seed is None else seed, replicates or 1)
        _probe_audit(sc_a, by, audit_options)
        jobs: dict[tuple[str, int], _Job] = {}
        for s in seeds:  # A and B of a seed one after the other; the same scenario runs once
            for sc in (sc_a, sc_b):
                jobs.setdefault((sc.hash, s), _Job(sc, s))
        done = _run_jobs(list(jobs.values()), options, workers=workers, executor=executor,
                         progress=progress, on_phase=on_phase, on_run=on_run)  # fmt: skip
        by_key = dict(zip(jobs, done, strict=True))
        runs_a = [by_key[(sc_a.hash, s)] for s in seeds]
        runs_b = [by_key[(sc_b.hash, s)] for s in seeds]
    run_s = time.perf_counter() - clock
    result = _paired(
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


def _paired_runs(runs_a: list[Run], runs_b: list[Run]) -> tuple[list[Run], list[Run]]:
    """Existing runs paired by seed; every seed must be on both sides, once."""
    sides = []
    for label, runs in (("A", runs_a), ("B", runs_b)):
        seeds = [run.seed for run in runs]
        twice = sorted({s for s in seeds if seeds.count(s) > 1})
        if twice:
            raise CompareError(f"{label} holds more than one run with seed {twice[0]}")
        sides.append({run.seed: run for run in runs})
    only_a, only_b = sorted(set(sides[0]) - set(sides[1])), sorted(set(sides[1]) - set(sides[0]))
    if only_a or only_b:
        raise CompareError(
            "runs are paired by seed, and these have no partner: "
            + "; ".join(
                f"{label} seed(s) {', '.join(map(str, seeds))}"
                for label, seeds in (("A", only_a), ("B", only_b))
                if seeds
            )
        )
    seeds = sorted(sides[0])
    pairs_a, pairs_b = [sides[0][s] for s in seeds], [sides[1][s] for s in seeds]
    for run_a, run_b in zip(pairs_a, pairs_b, strict=True):
        _check_same_world(_run_world(run_a), _run_world(run_b), str(run_a.path), str(run_b.path))
    return pairs_a, pairs_b


def _probe_audit(scenario: Scenario, by: Any, options: Mapping[str, Any]) -> None:
    """Audit a tiny in-memory run, so that a bad --by fails before any real run starts."""
    from scsim.api import citizen_columns
    from scsim.audit.metrics import audit
    from scsim.engine.simulate import simulate_arrays

    try:
        columns = citizen_columns(simulate_arrays(scenario, population=PROBE_AGENTS, days=1))
    except Exception:  # a problem of the tiny run itself, not of the options: the runs will tell
        return
    audit(columns, by=by, manifest={"scenario": scenario.resolved()}, **options)


def _paired(
    runs_a: list[Run],
    runs_b: list[Run],
    by: Any,
    options: Mapping[str, Any],
    *,
    resamples: int,
    seed: int,
    confidence: float,
) -> Comparison:
    """Audit every run and pair the metric rows by replicate."""
    import numpy as np
    import pyarrow as pa

    from scsim.audit.metrics import audit

    clock = time.perf_counter()
    options = dict(options)
    first = audit(runs_a[0], by=by, **options)
    options["reference"] = dict(first.info.get("reference") or {})  # given, or first A run's
    audits_a = [first] + [audit(run, by=by, **options) for run in runs_a[1:]]
    audits_b = [audit(run, by=by, **options) for run in runs_b]
    audit_s = time.perf_counter() - clock
    tables = [_values(t) for t in (*audits_a, *audits_b)]
    keys = [k for k in tables[0] if all(k in t for t in tables[1:])]
    r = len(runs_a)
    notes = []
    left_out = sorted({k[0] for t in tables for k in t} - {k[0] for k in keys})
    partial = len({k for t in tables for k in t}) - len(keys)
    if partial:
        notes.append(
            f"{partial} metric row(s) left out: not in every run of both sides (a group with no "
            "members, a metric one scenario lacks)"
            + (f"; metrics absent altogether: {', '.join(left_out)}" if left_out else "")
        )
    a = np.array([[t[k] for t in tables[:r]] for k in keys], dtype=np.float64).reshape(-1, r)
    b = np.array([[t[k] for t in tables[r:]] for k in keys], dtype=np.float64).reshape(-1, r)
    d = b - a
    with np.errstate(invalid="ignore"):
        identical = ((d == 0) | (np.isnan(a) & np.isnan(b))).all(axis=1)
    low, high = paired_bootstrap(d, resamples=resamples, seed=seed, confidence=confidence)
    if r < 2:
        notes.append(
            "intervals need replicates: with one pair only the point difference is shown "
            "(use --replicates 10 or more for intervals you can rely on)"
        )
    elif r < 10:
        notes.append(
            f"with {r} replicate pairs the bootstrap intervals are rough (and too narrow); "
            "10 or more pairs give steadier ones"
        )
    columns = list(zip(*keys, strict=True)) if keys else [[], [], [], []]
    table = pa.table(
        {
            **{
                name: pa.array(list(col), pa.string())
                for name, col in zip(KEY, columns, strict=True)
            },
            "a": pa.array(a.mean(axis=1), pa.float64()),
            "b": pa.array(b.mean(axis=1), pa.float64()),
            "difference": pa.array(d.mean(axis=1), pa.float64()),
            "ci_low": pa.array(low, pa.float64()),
            "ci_high": pa.array(high, pa.float64()),
            "replicates": pa.array(np.full(len(keys), r), pa.int64()),
        }
    )
    side = [_side_info(runs) for runs in (runs_a, runs_b)]
    info = {
        "a": side[0],
        "b": side[1],
        "replicates": r,
        "by": list(first.info.get("by") or []),
        "favourable": first.info.get("favourable"),
        "among": first.info.get("among"),
        "reference": dict(options.get("reference") or {}),
        "n_agents": first.info.get("n_agents"),
        "weight": first.info.get("weight"),
        "horizon": runs_a[0].manifest.get("horizon"),
        "intervals": (
            f"{_percent(confidence)} percentile bootstrap of the mean paired difference B − A over "
            f"{r} replicate pairs ({resamples:,} resamples, seed {seed})"
            if r > 1
            else "none: one replicate pair"
        ),
        "confidence": confidence,
        "audit_s": audit_s,
    }
    notes += [n for n in first.notes if "reference group" not in n]
    notes += [
        f"{grouping}: reference group '{group}' (fixed for every run)"
        for grouping, group in info["reference"].items()
    ]
    return Comparison(table, runs_a, runs_b, identical.tolist(), notes, info)


def _percent(share: float) -> str:
    return f"{share * 100:g}%"


def _values(result: AuditTable) -> dict[tuple[str, str, str, str], float]:
    t = result.table
    columns = [t.column(c).to_pylist() for c in (*KEY, "value")]
    return {
        tuple(row[:4]): (math.nan if row[4] is None else row[4])
        for row in zip(*columns, strict=True)
    }  # type: ignore[misc]


def _side_info(runs: Sequence[Run]) -> dict[str, Any]:
    first = runs[0]
    return {
        "scenario": first.name,
        "scenario_hash": first.scenario_hash,
        "reforms_applied": list(first.manifest.get("reforms_applied") or []),
        "runs": [str(run.path) for run in runs],
    }


# --------------------------------------------------------------------------------------------
# The command line: progress over several runs


class RunsProgress:
    """Progress over several runs for ``--progress``: a bar across all of them (moved on every
    epoch when they run one after the other) with a line as each completes; JSON lines; or
    nothing (``none``, or ``auto`` when stderr is not a terminal). The bar appears with the
    first run, so a command that runs nothing shows none."""

    def __init__(self, mode: str, total: int, serial: bool) -> None:
        from scsim.cli import PHASE_LABELS, errors

        if mode == "auto":
            mode = "bar" if errors.is_terminal else "none"
        self.mode, self.total, self.serial, self.done = mode, total, serial, 0
        self.labels, self.console = PHASE_LABELS, errors
        self.clock = time.perf_counter()
        self.bar: Any = None

    def _started(self) -> Any:
        """The bar, created on first use."""
        if self.bar is None and self.mode == "bar":
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("[bold]{task.description}[/]"),
                BarColumn(),
                TextColumn("{task.fields[day]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.task = self.bar.add_task(self._label("starting"), total=self.total, day="")
            self.bar.start()
        return self.bar

    def _label(self, phase: str) -> str:
        if not self.serial:
            return f"{self.total} runs · {phase}"
        return f"run {min(self.done + 1, self.total)}/{self.total} · {phase}"

    def _json(self, line: dict[str, Any]) -> None:
        print(json.dumps(line), file=sys.stderr, flush=True)

    def epoch(self, done: int, total: int, day: dt.date) -> None:
        """After each epoch of the run in progress (serial runs only)."""
        if self.mode == "json":
            self._json({"run": self.done + 1, "runs": self.total, "epoch": done,
                        "epochs": total, "date": day.isoformat()})  # fmt: skip
        elif bar := self._started():
            bar.update(self.task, completed=self.done + done / max(total, 1), day=day.isoformat())

    def phase(self, name: str) -> None:
        """As each phase of the run in progress begins (serial runs only)."""
        if self.mode == "json":
            self._json({"run": self.done + 1, "runs": self.total, "phase": name})
        elif bar := self._started():
            first = self.done == 0 or not self.serial  # later runs find the kernels compiled
            label = self.labels.get(name, name) if first else name
            bar.update(self.task, description=self._label(label))

    def finished(self, done: int, total: int, run: Run) -> None:
        """As each run completes."""
        self.done, self.total = done, total
        elapsed = time.perf_counter() - self.clock
        if self.mode == "json":
            self._json({"run": done, "runs": total, "complete": str(run.path),
                        "seed": run.seed, "elapsed_s": round(elapsed, 3)})  # fmt: skip
        elif bar := self._started():
            bar.console.print(
                f"[green]✓[/] run {done}/{total}  seed {run.seed}  {escape(str(run.path))}  "
                f"[dim]{elapsed:.1f} s[/]",
                highlight=False,
                soft_wrap=True,
            )
            bar.update(self.task, completed=done, total=total, description=self._label("…"))

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


# --------------------------------------------------------------------------------------------
# `scsim run --replicates R`


def run_replicates(
    scenario: Scenario,
    replicates: int,
    *,
    seed: int | None,
    population: int | None,
    days: int | None,
    until: dt.date | None,
    out: Path,
    events: bool,
    workers: int,
    progress: str,
    quiet: bool,
    console: Console,
) -> list[Run]:
    """What ``scsim run --replicates`` does: the runs with progress, then a summary across them
    (or, with ``quiet``, their directories one per line)."""
    clock = time.perf_counter()
    display = RunsProgress(progress, replicates, serial=workers == 1)
    try:
        runs = replicate(
            scenario, replicates, seed=seed, population=population, days=days, until=until,
            out=out, events=events, workers=workers, progress=display.epoch,
            on_phase=display.phase, on_run=display.finished,
        )  # fmt: skip
    finally:
        display.stop()
    if quiet:
        for run in runs:
            print(run.path)
        return runs
    render_replicates(runs, replicate_summary(runs), console)
    console.print(
        f"\n{len(runs)} runs written to [bold]{escape(_seed_range(runs))}[/] in "
        f"{time.perf_counter() - clock:.1f} s ({workers} worker{'s' if workers > 1 else ''})",
        highlight=False,
        soft_wrap=True,
    )
    return runs


def _seed_range(runs: Sequence[Run]) -> str:
    """The run directories in one short text: ``runs/name-hash-s{7..11}`` when they differ only
    by consecutive seeds (a shell expands it), else the first and last."""
    first, last = runs[0], runs[-1]
    if len(runs) == 1:
        return str(first.path)
    stem = str(first.path)[: -len(f"s{first.seed}")]
    seeds = [run.seed for run in runs]
    if all(str(run.path) == f"{stem}s{run.seed}" for run in runs):
        if seeds == list(range(seeds[0], seeds[0] + len(seeds))):
            return f"{stem}s{{{first.seed}..{last.seed}}}"
        return f"{stem}s{{{','.join(map(str, seeds))}}}"
    return f"{first.path} … {last.path} ({len(runs)} runs)"


def render_replicates(runs: Sequence[Run], summary: list[dict[str, Any]], console: Console) -> None:
    """The key metrics across replicates: mean, sd, min and max."""
    first = runs[0]
    pop = first.population
    horizon = first.manifest.get("horizon") or {}
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("scenario", escape(f"{first.name} ({first.hash8})"))
    head.add_row("replicates", f"{len(runs)}, seeds {runs[0].seed} to {runs[-1].seed}")
    head.add_row(
        "population",
        f"{_num(pop.get('n_agents'))} agents · {_num(pop.get('real_population'))} persons",
    )
    head.add_row("horizon", f"{horizon.get('start')} to {horizon.get('end')}")
    console.print(head)
    table = Table(title=f"Across {len(runs)} replicates (overall, end of run)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)  # fmt: skip
    table.add_column("metric", no_wrap=True)
    for column in ("mean", "sd", "min", "max"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in summary:
        label = r["metric"] + (f" · {r['category']}" if r["category"] else "")
        table.add_row(
            escape(label),
            _fmt(r["metric"], r["mean"]),
            _fmt(r["metric"], r["sd"]),
            _fmt(r["metric"], r["min"]),
            _fmt(r["metric"], r["max"]),
        )
    table.caption = "all metrics and groups of one run: scsim audit RUN"
    table.caption_justify = "left"
    console.print(table)


# --------------------------------------------------------------------------------------------
# `scsim compare`


@click.command("compare")
@click.argument("a")
@click.argument("b", required=False)
@click.option("--reform", help="Compare A with A under one of its named reforms (instead of B).")
@click.option(
    "--replicates",
    "-r",
    type=click.IntRange(min=1),
    help="Replicate pairs: seeds --seed, --seed + 1, … on both sides (default 1).",
)
@click.option("--seed", "-s", type=click.IntRange(min=0, max=SEED_MAX),
              help="First seed (default: A's scenario seed).")  # fmt: skip
@click.option("--population", "-n", type=click.IntRange(min=1), help="Number of agents.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Stop after this date.")
@click.option("--days", type=click.IntRange(min=1), help="Run this many days from the start.")
@click.option(
    "--by",
    default=",".join(DEFAULT_BY),
    show_default=True,
    help="Comma-separated groupings, as for scsim audit ('' for only 'all').",
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes running the simulations (the same results for any number).",
)
@click.option("--out", type=click.Path(file_okay=False), default="runs", show_default=True,
              help="Folder that receives the run directories.")  # fmt: skip
@click.option("--progress", type=click.Choice(["auto", "bar", "json", "none"]), default="auto",
              show_default=True, help="Progress display; json writes lines to stderr.")  # fmt: skip
@click.option("--all", "show_all", is_flag=True,
              help="Also list the rows that are identical in every pair.")  # fmt: skip
@click.option("--json", "fmt", flag_value="json", help="Print JSON (every row, notes, runs).")
@click.option("--csv", "fmt", flag_value="csv", help="Print the tidy table as CSV.")
def compare_command(
    a: str,
    b: str | None,
    reform: str | None,
    replicates: int | None,
    seed: int | None,
    population: int | None,
    until: dt.datetime | None,
    days: int | None,
    by: str,
    workers: int,
    out: str,
    progress: str,
    show_all: bool,
    fmt: str | None,
) -> None:
    """Compare scenario A with scenario B (or A with --reform NAME) over the same seeds, or two
    existing runs (run directories, or folders of one scenario's runs, paired by seed).

    Reports each audit metric's paired difference B − A with a bootstrap interval across the
    replicate pairs (common random numbers: both sides share the population and every draw)."""
    from scsim.cli import _user_errors, console

    with _user_errors("interrupted — the runs already complete are kept") as outcome:
        display = RunsProgress(progress, 2 * (replicates or 1), serial=workers == 1)
        try:
            result = compare(
                a, b, reform=reform, replicates=replicates, seed=seed, population=population,
                days=days, until=until.date() if until else None, by=by, out=Path(out),
                workers=workers, progress=display.epoch, on_phase=display.phase,
                on_run=display.finished,
            )  # fmt: skip
        finally:
            display.stop()
        outcome.interrupted = "interrupted"
        if fmt == "json":
            sys.stdout.write(result.to_json() + "\n")
        elif fmt == "csv":
            sys.stdout.write(result.to_csv())
        else:
            render(result, console, show_all=show_all)


def render(result: Comparison, console: Console, *, show_all: bool = False) -> None:
    """The comparison as rich tables: one per grouping (changed rows only unless ``show_all``),
    then the notes."""
    info = result.info
    r = info.get("replicates", 0)
    if not console.is_terminal:  # a pipe or a file gets whole lines, however long
        console = Console(width=10_000, file=console.file, force_terminal=False)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    for side in ("a", "b"):
        s = info[side]
        head.add_row(side.upper(), escape(f"{s['scenario']} · {_seed_range(_runs(result, side))}"))
    seeds = info.get("seeds") or []
    head.add_row("pairs", f"{r} (seeds {seeds[0]} to {seeds[-1]})" if r > 1 else
                 f"1 (seed {seeds[0] if seeds else '?'})")  # fmt: skip
    weight = info.get("weight") or 1.0
    n = info.get("n_agents") or 0
    horizon = info.get("horizon") or {}
    head.add_row(
        "population",
        f"{_num(n)} agents · {_num(n * weight)} persons · {horizon.get('start')} to "
        f"{horizon.get('end')}",
    )
    head.add_row("intervals", escape(str(info.get("intervals", ""))))
    console.print(head)
    rows = result.table.to_pylist()
    hidden = 0
    for grouping in [ALL, *info.get("by", [])]:
        mine = [
            (row, same)
            for row, same in zip(rows, result.identical, strict=True)
            if row["group_by"] == grouping
        ]
        shown = [row for row, same in mine if show_all or not same]
        hidden += len(mine) - len(shown)
        if shown:
            console.print(_pairs_table(grouping, shown, r, info.get("confidence", CONFIDENCE)))
    if hidden and hidden == len(rows):
        console.print(
            f"no metric differs in any pair: all {hidden} rows are identical (--all lists them)",
            highlight=False,
            soft_wrap=True,
        )
    elif hidden:
        console.print(
            f"[dim]{hidden} rows identical in every pair are not shown (--all lists them; "
            "--csv or --json give every row)[/]",
            highlight=False,
            soft_wrap=True,
        )
    for note in result.notes:
        console.print(f"[dim]note: {escape(note)}[/]", highlight=False, soft_wrap=True)


def _runs(result: Comparison, side: str) -> list[Run]:
    return result.runs_a if side == "a" else result.runs_b


def _pairs_table(
    grouping: str, rows: list[dict[str, Any]], replicates: int, confidence: float
) -> Table:
    title = "Overall" if grouping == ALL else f"By {grouping}"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    longest = max(len(r["metric"]) + len(r["category"]) + 3 for r in rows)
    table.add_column("metric", overflow="fold", min_width=min(longest, 26))
    if grouping != ALL:
        table.add_column("group", no_wrap=True)
    for column in ("A", "B", "B − A"):
        table.add_column(column, justify="right", no_wrap=True)
    if replicates > 1:
        table.add_column(f"{_percent(confidence)} interval", justify="right", no_wrap=True)
    previous = None
    for row in rows:
        metric = row["metric"]
        key = (metric, row["category"])
        label = metric + (f" · {row['category']}" if row["category"] else "")
        cells = [escape(label) if key != previous else ""]
        if grouping != ALL:
            cells.append(escape(row["group"]))
        cells += [_value(metric, row["a"]), _value(metric, row["b"]),
                  _difference(metric, row["difference"])]  # fmt: skip
        if replicates > 1:
            low, high = row["ci_low"], row["ci_high"]
            cells.append(
                "–" if _missing(low) else
                f"{_difference(metric, low)} to {_difference(metric, high)}"
            )  # fmt: skip
        table.add_row(*cells)
        previous = key
    return table


FLAGS = {"four_fifths", "calibration_within"}  # 0/1 per run: their means are shares of runs


def _proportion(metric: str) -> bool:
    return metric.endswith(("_share", "_rate")) or metric in PERCENT or metric in FLAGS


def _value(metric: str, value: float | None) -> str:
    if metric in FLAGS:
        return "–" if _missing(value) else f"{value:.0%} of runs"
    return _fmt(metric, value)


def _difference(metric: str, value: float | None) -> str:
    """A difference as it reads: percentage points for shares, a signed number otherwise."""
    if _missing(value):
        return "–"
    if value == 0:
        return "0"
    if _proportion(metric) or metric == "statistical_parity_difference":
        return f"{value * 100:+.3g} pp"
    return f"{value:+.3g}" if abs(value) < 1000 else f"{value:+,.0f}"


__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "COLUMNS",
    "CompareError",
    "Comparison",
    "SerialExecutor",
    "compare",
    "compare_command",
    "paired_bootstrap",
    "process_pool",
    "replicate",
    "replicate_seeds",
    "replicate_summary",
    "run_replicates",
]
