"""Calibration by rejection: which values of the free parameters make runs land within every
calibration target the scenario declares?

``calibrate(scenario, {path: (low, high)}, design="lhs", samples=64)`` draws space-filling
points over the free parameters (SALib's Latin hypercube, or a scrambled Sobol' sequence), runs
each point with the same seeds (common random numbers), and scores each point against every
target: the mean over the seeds of the target's simulated value (the audit's ``calibration``
rows, the value ``scsim show`` prints) against the target's [low, high]. The points within every
target are **accepted** (rejection sampling / history matching with the targets' own tolerances:
no tolerance is invented here); the **best** point is the one whose worst target is closest to
its range's centre, in half-widths (``distance`` ≤ 1 is within). The experiment directory adds
``calibration.parquet`` (a row per point and target) and ``best-reform.yaml`` (the best point as
a reform to paste under the scenario's ``reforms:``); experiment.json has the accepted count,
the accepted ranges and the best point as ``--set`` options.

What a target measures (a stock at a date, a mean over a period, a cumulative count) is the
target's own declaration; calibrate compares like with like because it reads the value the
scenario's own calibration check computes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scsim.engine.simulate import horizon
from scsim.experiments.design import Design
from scsim.experiments.evaluate import CaseResult, CaseTask, evaluate
from scsim.experiments.replicates import replicate_seeds
from scsim.experiments.sensitivity import Range, Scale, design_of, problem, ranges, salib
from scsim.experiments.store import CALIBRATION, Experiment
from scsim.experiments.sweep import OnCase, run_design
from scsim.scenario.errors import Issue, ScenarioError
from scsim.scenario.model import Scenario, load, setting_text, value_text
from scsim.scenario.schema import Param, dated_value_at, is_dated_key, parameter_at

DESIGNS = ("lhs", "sobol")
DEFAULT_SAMPLES = 64
BEST_REFORM = "best-reform.yaml"


def points(chosen: Sequence[Range], design: str, samples: int, seed: int) -> np.ndarray:
    """``samples`` space-filling points over the ranges (rows: points): SALib's Latin
    hypercube (``lhs``) or a scrambled Sobol' sequence (``sobol``, ``samples`` a power of two)."""
    salib()
    if design == "lhs":
        from SALib.sample import latin

        if samples < 2:
            raise ValueError("--samples for lhs must be at least 2")
        return latin.sample(problem(chosen), samples, seed=seed)
    if design == "sobol":
        from scipy.stats import qmc

        if samples < 2 or samples & (samples - 1):
            nearest = 1 << max(1, round(np.log2(max(samples, 2))))
            raise ValueError(
                f"--samples for sobol must be a power of two; the nearest is {nearest}"
            )
        unit = qmc.Sobol(len(chosen), scramble=True, seed=seed).random(samples)
        low = np.array([r.low for r in chosen])
        high = np.array([r.high for r in chosen])
        return qmc.scale(unit, low, high)
    raise ValueError(f"the design is one of {', '.join(DESIGNS)}, not {design!r}")


def check_targets(scenario: Scenario, start: dt.date, end: dt.date) -> None:
    """A scenario with targets, each inside the run's horizon, or a ScenarioError saying what
    to do."""
    targets = scenario.spec.calibration
    if not targets:
        raise ScenarioError([Issue(scenario.source, 0, 0, "calibration",
                                   "the scenario declares no calibration targets, so there is "
                                   "nothing to calibrate to — add a calibration: section")])  # fmt: skip
    issues = [
        Issue(scenario.source, 0, 0, f"calibration.{name}",
              f"{entry} counts {first}…{last}, not inside the run ({start}…{end}) — "
              "run longer (--until, --days) or leave the target out")
        for name, t in targets.items()
        for entry, (first, last), _, _ in t.entries(name)
        if not (start <= first and last <= end)
    ]  # fmt: skip
    if issues:
        raise ScenarioError(issues)


@dataclass(frozen=True)
class Entry:
    """One checked value of a target (a series has one per date): its range and its words."""

    label: str
    metric: str
    low: float
    high: float


def target_entries(targets: Mapping[str, Any]) -> dict[str, Entry]:
    """Every entry the scenario's calibration checks, by name (``target@date`` in a series)."""
    out = {}
    for name, target in targets.items():
        for entry, (_, last), low, high in target.entries(name):
            label = target.label if entry == name else f"{target.label or name}, {last}"
            out[entry] = Entry(label, target.metric, low, high)
    return out


def score(
    results: pa.Table, design: Design, targets: Mapping[str, Any]
) -> tuple[pa.Table, dict[str, Any]]:
    """Each point against each target (the mean over its seeds, and the share of its seeds
    within), which points are accepted, and the best point."""
    rows = results.filter(pc.and_(pc.equal(results["metric"], "calibration"),
                                  pc.equal(results["group_by"], "all")))  # fmt: skip
    rows = rows.filter(pc.is_null(rows["date"]))
    n_points = len(design.points)
    names = list(targets)
    within_share = np.zeros((n_points, len(names)))
    counts = np.zeros((n_points, len(names)))
    point, target, value = (rows[c].to_numpy(zero_copy_only=False)
                            for c in ("point", "category", "value"))  # fmt: skip
    column = {name: j for j, name in enumerate(names)}
    sums = np.zeros((n_points, len(names)))
    for name, j in column.items():
        mask = target == name
        np.add.at(sums[:, j], point[mask], value[mask])
        np.add.at(counts[:, j], point[mask], 1)
        low, high = targets[name].low, targets[name].high
        inside = mask & (value >= low) & (value <= high)
        np.add.at(within_share[:, j], point[inside], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        simulated = np.where(counts > 0, sums / counts, np.nan)
        within_share = np.where(counts > 0, within_share / counts, np.nan)
    low = np.array([targets[n].low for n in names])
    high = np.array([targets[n].high for n in names])
    half = (high - low) / 2
    distance = np.abs(simulated - (low + high) / 2) / np.where(half > 0, half, np.nan)
    within = (simulated >= low) & (simulated <= high)
    accepted = within.all(axis=1)
    worst = np.where(np.isnan(distance), np.inf, distance).max(axis=1)  # unknown: the worst
    pool = np.flatnonzero(accepted) if accepted.any() else np.arange(n_points)
    best = int(pool[np.argmin(worst[pool])])
    table = _table(design, names, targets, simulated, within_share, within, distance, accepted)
    taken = design_values(design)[accepted]
    spread = {path: [float(taken[:, i].min()), float(taken[:, i].max())]
              for i, path in enumerate(design.parameters)} if accepted.any() else {}  # fmt: skip
    best_values = design.overlay(best)
    summary = {
        "targets": [{"name": n, "label": targets[n].label, "metric": targets[n].metric,
                     "low": targets[n].low, "high": targets[n].high} for n in names],
        "points": n_points,
        "accepted": int(accepted.sum()),
        "accepted_points": [int(p) for p in np.flatnonzero(accepted)],
        "accepted_ranges": spread,
        "best": {"point": best, "values": best_values, "distance": float(worst[best]),
                 "within_every_target": bool(accepted[best]),
                 "simulated": dict(zip(names, map(float, simulated[best]), strict=True))},
        "best_settings": [f"{p}=x{value_text(v)}" if p in design.scale else setting_text(p, v)
                          for p, v in best_values.items()],
    }  # fmt: skip
    return table, summary


def design_values(design: Design) -> np.ndarray:
    return np.array(design.points, dtype=float)


def _table(
    design: Design,
    names: Sequence[str],
    targets: Mapping[str, Any],
    simulated: np.ndarray,
    within_share: np.ndarray,
    within: np.ndarray,
    distance: np.ndarray,
    accepted: np.ndarray,
) -> pa.Table:
    n_points, n_targets = simulated.shape
    point = np.repeat(np.arange(n_points), n_targets)
    columns: dict[str, Any] = {"point": pa.array(point, pa.int64())}
    values = design_values(design)
    for i, path in enumerate(design.parameters):
        columns[path] = pa.array(np.repeat(values[:, i], n_targets), pa.float64())
    columns["target"] = pa.array(list(names) * n_points, pa.string())
    columns["low"] = pa.array(np.tile([targets[n].low for n in names], n_points), pa.float64())
    columns["high"] = pa.array(np.tile([targets[n].high for n in names], n_points), pa.float64())
    columns["simulated"] = pa.array(simulated.ravel(), pa.float64())
    columns["seeds_within"] = pa.array(within_share.ravel(), pa.float64())
    columns["within"] = pa.array(within.ravel(), pa.bool_())
    columns["distance"] = pa.array(distance.ravel(), pa.float64())
    columns["accepted"] = pa.array(np.repeat(accepted, n_targets), pa.bool_())
    return pa.table(columns)


def reform_yaml(base: Scenario, design: Design, point: int, experiment_name: str) -> str:
    """The best point as a reform (a ``reforms:`` entry of a scenario file): a value for the
    whole run, or, for a scaled parameter, its scaled dated values, one entry per date."""
    calibrated = design.scenario(base, point)
    lines = [
        f"# The best point of calibration experiment {experiment_name}: paste this under the",
        "# scenario's reforms: and run it with --reform calibrated. An entry without 'from'",
        "# holds for the whole run; a scaled parameter keeps the dates of its rule.",
        "calibrated:",
        f"  description: Best point of the calibration of {base.name} ({experiment_name}).",
        "  set:",
    ]
    for path, value in design.overlay(point).items():
        if is_dated_key(path):  # one step of a dated rule: from its date to the next
            dated = dated_value_at(calibrated.spec, path)
            until = f", until: {dated.until}" if dated.until is not None else ""
            lines.append(f"    - {{path: {dated.path}, value: {value_text(dated.value)}, "
                         f"from: {dated.day}{until}}}")  # fmt: skip
            continue
        if path not in design.scale:
            lines.append(f"    - {{path: {path}, value: {value_text(value)}}}")
            continue
        number, _ = parameter_at(calibrated.spec, path)
        dated = sorted(number.values.items()) if isinstance(number, Param) else [(None, number)]
        for k, (day, v) in enumerate(dated):
            since = "" if k == 0 else f", from: {day}"
            lines.append(f"    - {{path: {path}, value: {value_text(v)}{since}}}")
    return "\n".join(lines) + "\n"


def calibrate(
    scenario: Scenario | str | Path,
    free: Mapping[str, tuple[float, float] | Scale | None] | Sequence[str],
    *,
    design: str = "lhs",
    samples: int = DEFAULT_SAMPLES,
    replicates: int = 1,
    seed: int | None = None,
    population: int | None = None,
    days: int | None = None,
    until: dt.date | str | None = None,
    by: str | Sequence[str] | None = None,
    metrics: str | Sequence[str] | None = None,
    out: str | Path = "experiments",
    keep_runs: bool = False,
    resume: bool = False,
    workers: int = 1,
    executor: Executor | str | None = None,
    scheduler: str | None = None,
    on_case: OnCase | None = None,
    evaluate_fn: Callable[[CaseTask], CaseResult] = evaluate,
) -> Experiment:
    """Fit the ``free`` parameters (``{path: (low, high)}``; ``None``: the default range of
    :func:`scsim.sensitivity`) to the scenario's calibration targets by rejection: ``samples``
    points (``design`` ``"lhs"`` or ``"sobol"``) × ``replicates`` seeds, each point accepted when
    the mean over its seeds of every target's simulated value lies in the target's range.

    Every case keeps its audit rows (``by``, ``metrics`` as for :func:`scsim.sweep`; the
    calibration rows always), so the accepted set's findings can be read with their spread over
    parameters and seeds (:func:`scsim.experiments.findings`). Returns the
    :class:`Experiment`; ``.accepted`` and ``.best`` hold what the calibration found.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if design not in DESIGNS:
        raise ValueError(f"the design is one of {', '.join(DESIGNS)}, not {design!r}")
    if not isinstance(free, Mapping):
        free = dict.fromkeys(free)
    if isinstance(until, str):
        until = dt.date.fromisoformat(until)
    start, end = horizon(scenario, days, until)
    check_targets(scenario, start, end)
    chosen = ranges(scenario, free, start, end, option="--free")
    seeds = replicate_seeds(scenario.spec.world.seed if seed is None else seed, replicates)
    drawn = design_of(design, chosen, points(chosen, design, samples, seeds[0]), seeds)
    if metrics is not None:  # the calibration rows are what the scores read
        names = metrics.split(",") if isinstance(metrics, str) else list(metrics)
        metrics = list(dict.fromkeys([*names, "calibration", "calibration_within"]))
    settings = {"design": design, "samples": samples, "sampler_seed": seeds[0],
                "ranges": [r.to_dict() for r in chosen]}  # fmt: skip
    targets = target_entries(scenario.spec.calibration)

    def finish(
        results: pa.Table, manifest: Mapping[str, Any]
    ) -> tuple[dict[str, pa.Table | str], dict[str, Any]]:
        table, summary = score(results, drawn, targets)
        text = reform_yaml(scenario, drawn, summary["best"]["point"], manifest["name"])
        return {CALIBRATION: table, BEST_REFORM: text}, {"calibration_result": summary}

    return run_design(
        scenario, drawn, population=population, days=days, until=until, by=by,
        metrics=metrics, out=out, keep_runs=keep_runs, resume=resume, workers=workers,
        executor=executor, scheduler=scheduler, on_case=on_case, kind="calibration",
        settings=settings, finish=finish, evaluate_fn=evaluate_fn,
    )  # fmt: skip
