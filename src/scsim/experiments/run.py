"""One scenario, run once: the engine, the calibration checks, the run directory."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from scsim.audit.calibration import calibrate
from scsim.core.errors import SimulationError
from scsim.engine.simulate import (
    Heterogeneities,
    Outcome,
    Progress,
    Synthesizer,
    horizon,
    simulate_arrays,
)
from scsim.results import Run
from scsim.results.outcome import write
from scsim.scenario.model import Scenario, load


def simulate(
    scenario: Scenario | str | Path,
    *,
    population: int | None = None,
    seed: int | None = None,
    days: int | None = None,
    until: dt.date | str | None = None,
    out: str | Path = "runs",
    events: bool = False,
    progress: Callable[[int, int, dt.date], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> Run:
    """Run a scenario once and write its run directory under ``out``; returns the opened Run.

    ``progress(done, total, date)`` is called after every epoch, ``on_phase(name)`` as each phase
    begins: synthesizing, preparing (the first run compiles the kernels), simulating, writing.
    Several seeds: :func:`scsim.replicate`.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if isinstance(until, str):
        until = dt.date.fromisoformat(until)
    if population is not None and population <= 0:
        raise SimulationError(f"the population must be at least 1 agent, got {population}")
    _, end = horizon(scenario, days, until)
    _check_writable(Path(out))
    outcome = simulate_outcome(scenario, population=population, seed=seed, end=end,
                               events=events, progress=Progress(progress, on_phase))  # fmt: skip
    if on_phase is not None:
        on_phase("writing")
    return write_outcome(outcome, Path(out))


def simulate_outcome(
    scenario: Scenario,
    *,
    population: int | None,
    seed: int | None,
    end: dt.date,
    events: bool = False,
    progress: Progress | None = None,
    synthesized: Synthesizer | None = None,
    heterogeneity: Heterogeneities | None = None,
) -> Outcome:
    """The run of :func:`simulate`, in memory (the experiments audit it without writing it)."""
    # The run's agent count and end date become part of the scenario, and so of its hash and
    # run directory name: runs of different sizes never overwrite each other. The seed is written
    # in too (the manifest shows what ran; simulate_arrays checks it), but the hash leaves it out.
    scenario = scenario.configured(population=population, end=end, seed=seed)
    return simulate_arrays(
        scenario,
        seed=seed,
        events=events,
        progress=progress,
        synthesized=synthesized,
        heterogeneity=heterogeneity,
    )


def calibration_of(outcome: Outcome, timeseries: pa.Table) -> list[dict]:
    """The run's calibration entries: its time series against the scenario's targets."""
    return calibrate(outcome.scenario.spec.calibration, timeseries, outcome.start, outcome.end)


def write_outcome(outcome: Outcome, out: Path) -> Run:
    """The run directory of an outcome, with its calibration entries."""
    return write(outcome, out, lambda timeseries: calibration_of(outcome, timeseries))


def _check_writable(out: Path) -> None:
    """Fail before simulating, not after, when the output folder cannot be written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as err:
        raise SimulationError(
            f"cannot write runs to '{out}': {err.strerror or err} — choose another --out"
        ) from None
