"""Global sensitivity analysis: SALib draws points over parameter ranges, each point runs as
cases of the experiment layer (every point with the same seeds: common random numbers), and
SALib's analyser turns each audit value into indices.

``sensitivity(scenario, {path: (low, high) or None}, method="sobol", samples=64)`` →
:class:`~scsim.experiments.store.Experiment` whose ``results`` are the cases' tidy rows and
whose ``indices`` (``indices.parquet``) are, per metric, category, grouping and group, each
index SALib gives (Sobol S1, ST, S2; Morris mu, mu_star, sigma; FAST S1, ST) with its confidence
half-width (none for FAST, whose bootstrap intervals SALib calls unreliable). The samplers and analysers are SALib's own (``SALib.sample.*``, ``SALib.analyze.*``,
over a :class:`SALib.ProblemSpec`); this module only maps points to cases and rows to outputs.

A range not given follows one documented rule (:data:`DEFAULT_SPAN`): ±50% — of the value in
force, clipped to the parameter's declared range, when it does not change during the run; of
each of its dated values (a factor of 0.5 to 1.5 on all of them, each result clipped), when it
does, so that the dates of its rule are kept. A range given as values (``PATH=LOW:HIGH``) holds
one value for the whole run, as ``--set`` does; one given as factors (``PATH=xLOW:HIGH``)
scales the dated values. Every case holds each
parameter at its point's value for the whole run (a setting replaces the dated history), and
a whole-number parameter (days, points) takes its value rounded to the nearest whole number.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scsim.core.errors import SimulationError
from scsim.engine.simulate import horizon
from scsim.experiments.design import Design
from scsim.experiments.evaluate import CaseResult, CaseTask, evaluate
from scsim.experiments.replicates import replicate_seeds
from scsim.experiments.store import INDICES, Experiment
from scsim.experiments.sweep import OnCase, run_design
from scsim.scenario.errors import Issue, ScenarioError
from scsim.scenario.model import Scenario, load, value_text
from scsim.scenario.schema import (
    Bounds,
    Param,
    ParameterPathError,
    dated_value_at,
    is_dated_key,
    parameter_at,
    whole_rule_also_given,
)
from scsim.scenario.settings import Scale

METHODS = ("sobol", "morris", "fast")
DEFAULT_METHOD = "sobol"
DEFAULT_SAMPLES = {"sobol": 64, "morris": 16, "fast": 65}
DEFAULT_SPAN = 0.5  # a range not given: the value in force on the first day ±50%
FAST_M = 4  # SALib's default interference factor; FAST needs N > 4 M²
KEY = ("metric", "category", "group_by", "group")

INDICES_SCHEMA = pa.schema(
    [
        ("metric", pa.string()),
        ("category", pa.string()),
        ("group_by", pa.string()),
        ("group", pa.string()),
        ("parameter", pa.string()),
        ("parameter_2", pa.string()),  # the second parameter of a pair (S2); null otherwise
        ("index", pa.string()),
        ("value", pa.float64()),
        ("conf", pa.float64()),  # half-width of the 95% interval; null when SALib gives none
    ]
)


@dataclass(frozen=True)
class Range:
    """A parameter's range in the analysis (values for the whole run, or with ``scale``
    factors on its dated values), and where it came from (said on the terminal and kept in
    experiment.json)."""

    path: str
    low: float
    high: float
    whole: bool = False
    rule: str = "given"
    scale: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "low": self.low, "high": self.high, "whole": self.whole,
                "rule": self.rule, "scale": self.scale}  # fmt: skip

    def describe(self) -> str:
        sign = "×" if self.scale else "="
        text = f"{self.path} {sign} {value_text(self.low)} … {value_text(self.high)}"
        return text + (f" ({self.rule})" if self.rule != "given" else "")


def ranges(
    scenario: Scenario,
    wanted: Mapping[str, tuple[float, float] | Scale | None],
    first_day: dt.date,
    last_day: dt.date,
    *,
    option: str = "--param",
) -> list[Range]:
    """The range of each parameter: as given (values checked against its declared range; a
    :class:`Scale` of factors), or by the default rule. Every problem at once, as a
    ScenarioError naming ``option PATH`` (``--param``, ``--free``)."""
    issues, out = [], []
    for path, given in wanted.items():
        where = f"{option} {path}"
        try:
            if is_dated_key(path):  # one dated value: a number, as if fixed for the run
                dated = dated_value_at(scenario.spec, path)
                number, bounds = dated.value, dated.bounds
                if whole := whole_rule_also_given(path, wanted):
                    raise ParameterPathError(f"{whole} is {option} too: give one of the two", ())
            else:
                number, bounds = parameter_at(scenario.spec, path)
        except ParameterPathError as err:
            issues.append(Issue(scenario.source, 0, 0, where, str(err)))
            continue
        try:
            out.append(_range(path, number, bounds, given, first_day, last_day, option))
        except ValueError as err:
            issues.append(Issue(scenario.source, 0, 0, where, str(err)))
    if issues:
        raise ScenarioError(issues)
    if not out:
        raise ValueError(f"give at least one parameter ({option} PATH=LOW:HIGH)")
    return out


def _range(
    path: str,
    number: Param | float,
    bounds: Bounds,
    given: tuple[float, float] | Scale | None,
    first_day: dt.date,
    last_day: dt.date,
    option: str,
) -> Range:
    if isinstance(given, Scale):
        low, high = float(given.low), float(given.high)
        if not (math.isfinite(low) and math.isfinite(high)) or low < 0:
            raise ValueError(f"scale factors are finite and 0 or more, got x{low:g}:{high:g}")
        if not low < high:
            raise ValueError(f"LOW (x{low:g}) must be below HIGH (x{high:g})")
        if low == 0 and bounds.above_low:
            raise ValueError(f"a factor of 0 would make it 0, and it must be {bounds.describe()}")
        on = (
            f"its value from {path.partition('@')[2]}" if is_dated_key(path) else "its dated values"
        )
        return Range(path, low, high, bounds.whole, f"given: factors on {on}", True)
    if given is not None:
        low, high = (float(v) for v in given)
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"LOW and HIGH must be finite numbers, got {low:g}:{high:g}")
        if not low < high:
            raise ValueError(f"LOW ({low:g}) must be below HIGH ({high:g})")
        for end in (low, high):
            if problem := bounds.problem(end):
                raise ValueError(f"the range {problem}")
        return Range(path, low, high, bounds.whole)
    value = number.at(first_day) if isinstance(number, Param) else number
    day = path.partition("@")[2]
    held = f"its value from {day}" if day else "its value in force"
    if isinstance(number, Param) and (changes := _changes(number, first_day, last_day)):
        if all(v is None or v == 0 for _, v in changes):
            raise ValueError(f"it is 0 or not in force throughout the run — give a range: "
                             f"{option} {path}=LOW:HIGH")  # fmt: skip
        history = ", ".join(f"{value_text(v)} from {d}" for d, v in changes)
        rule = (f"its dated values ({history}) × {1 - DEFAULT_SPAN:g} … {1 + DEFAULT_SPAN:g}, "
                "each clipped to its declared range")  # fmt: skip
        return Range(path, 1 - DEFAULT_SPAN, 1 + DEFAULT_SPAN, bounds.whole, rule, True)
    if value is None or value == 0:
        shown = "not in force" if value is None else "0"
        raise ValueError(
            f"no range given, and {held if day else f'its value on {first_day}'} is {shown}, "
            f"so ±50% of it is no range — give one: {option} {path}=LOW:HIGH"
        )
    half = sorted(_round(value * (1 + side * DEFAULT_SPAN)) for side in (-1, 1))
    low, high = half
    if bounds.low is not None:
        low = max(low, bounds.low)
    if bounds.high is not None:
        high = min(high, bounds.high)
    if not low < high:
        raise ValueError(f"its default range is empty — give one: {option} {path}=LOW:HIGH")
    rule = f"±50% of {value_text(value)}, {held}"
    rule += ", clipped to its declared range" if [low, high] != half else ""
    return Range(path, low, high, bounds.whole, rule)


def _changes(
    number: Param, first_day: dt.date, last_day: dt.date
) -> list[tuple[dt.date, float | None]]:
    """The values in force during the run, each from its date, when there are several."""
    dates = [first_day, *(d for d in sorted(number.values) if first_day < d <= last_day)]
    return [(d, number.at(d)) for d in dates] if len(dates) > 1 else []


def _round(value: float) -> float:
    """A default range's end without binary noise (0.45, not 0.44999999999999996)."""
    return float(f"{value:.12g}")


def salib() -> None:
    """Check that SALib is there (an optional dependency), with what to do if not."""
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise SimulationError(
            "sensitivity analysis needs SALib: pip install 'scsim[sensitivity]'"
        ) from None


def problem(chosen: Sequence[Range]) -> Any:
    """SALib's ProblemSpec over the ranges."""
    salib()
    from SALib import ProblemSpec

    return ProblemSpec({"names": [r.path for r in chosen],
                        "bounds": [[r.low, r.high] for r in chosen]})  # fmt: skip


def sample(spec: Any, method: str, samples: int, seed: int) -> np.ndarray:
    """The points SALib's sampler for ``method`` draws (rows: points): Sobol (Saltelli's
    scheme) N × (2D + 2) points, Morris N trajectories of D + 1, FAST N × D."""
    from SALib.sample import fast_sampler, morris, sobol

    if method == "sobol":
        if samples < 2 or samples & (samples - 1):
            nearest = 1 << max(1, round(math.log2(max(samples, 2))))
            raise ValueError(
                f"--samples for sobol must be a power of two (Sobol' sequences lose their "
                f"balance otherwise); the nearest is {nearest}"
            )
        return sobol.sample(spec, samples, calc_second_order=True, seed=seed)
    if method == "morris":
        if samples < 2:
            raise ValueError("--samples for morris (trajectories) must be at least 2")
        return morris.sample(spec, samples, seed=seed)
    if method == "fast":
        if samples <= 4 * FAST_M**2:
            raise ValueError(
                f"--samples for fast must be above {4 * FAST_M**2} (4 M², M = {FAST_M})"
            )
        return fast_sampler.sample(spec, samples, M=FAST_M, seed=seed)
    raise ValueError(f"the method is one of {', '.join(METHODS)}, not {method!r}")


def design_of(method: str, chosen: Sequence[Range], x: np.ndarray, seeds: Sequence[int]) -> Design:
    """The design of sampled points: a whole-number parameter's values rounded (a factor is
    not: the scaled values are rounded instead)."""
    whole = np.array([r.whole and not r.scale for r in chosen])
    points = np.where(whole, np.round(x), x)
    return Design(method, tuple(r.path for r in chosen), tuple(map(tuple, points)),
                  tuple(seeds), tuple(r.path for r in chosen if r.scale))  # fmt: skip


def cases_for(method: str, samples: int, parameters: int) -> int:
    """How many points a method draws (times the replicates: the cases)."""
    return {"sobol": samples * (2 * parameters + 2), "morris": samples * (parameters + 1),
            "fast": samples * parameters}[method]  # fmt: skip


def analyse_one(spec: Any, method: str, x: np.ndarray, y: np.ndarray, seed: int) -> Mapping:
    """SALib's analyser for ``method`` on outputs ``y`` of points ``x``."""
    from SALib.analyze import fast, morris, sobol

    if method == "sobol":
        return sobol.analyze(spec, y, calc_second_order=True, seed=seed)
    if method == "morris":
        return morris.analyze(spec, x, y, seed=seed)
    with warnings.catch_warnings():
        # SALib warns that FAST's bootstrap intervals are unreliable (SALib#649), and they are
        # not kept (indices_rows drops them); the indices themselves are its usual estimates
        warnings.filterwarnings("ignore", "FAST confidence intervals", UserWarning)
        found = dict(fast.analyze(spec, y, M=FAST_M, seed=seed))
    return {k: v for k, v in found.items() if not k.endswith("_conf")}


def outputs(results: pa.Table, points: int) -> tuple[list[tuple[str, ...]], np.ndarray]:
    """Each audit value (a row of the audit: metric, category, grouping, group; time series
    are left out) as one output: its mean over a point's seeds, points in order. Returns the
    keys and a (keys × points) array (NaN where a point has no finite value)."""
    table = results.filter(pc.is_null(results["date"]))
    table = table.group_by([*KEY, "point"]).aggregate([("value", "mean")])
    keys = table.select(list(KEY)).to_pylist()
    names = sorted({tuple(k.values()) for k in keys})
    index = {k: i for i, k in enumerate(names)}
    y = np.full((len(names), points), np.nan)
    rows = [index[tuple(k.values())] for k in keys]
    y[rows, table["point"].to_numpy()] = table["value_mean"].to_numpy(zero_copy_only=False)
    return names, y


def analyse(
    results: pa.Table, chosen: Sequence[Range], method: str, x: np.ndarray, seed: int
) -> tuple[pa.Table, dict[str, Any]]:
    """The indices of every output that varies; how many outputs were left out (constant over
    the points, or not a number at some point) and what SALib warned about, with the number of
    outputs it warned for (its warnings are kept, not printed)."""
    spec = problem(chosen)
    names, y = outputs(results, len(x))
    tables, skipped = [], {"constant": 0, "not_a_number": 0}
    warned: dict[str, int] = {}
    for key, values in zip(names, y, strict=True):
        if not np.isfinite(values).all():
            skipped["not_a_number"] += 1
        elif np.ptp(values) == 0:
            skipped["constant"] += 1
        else:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                found = analyse_one(spec, method, x, values, seed)
            for message in {str(w.message) for w in caught}:
                warned[message] = warned.get(message, 0) + 1
            tables.append(indices_rows(chosen, found, key))
    table = pa.concat_tables(tables) if tables else INDICES_SCHEMA.empty_table()
    return table, {"outputs_left_out": skipped, "analysis_warnings": warned}


def indices_rows(chosen: Sequence[Range], found: Mapping[str, Any], key: Sequence[str]) -> pa.Table:
    """SALib's result for one output as tidy rows (an index ``X`` with ``X_conf`` → value and
    conf; a square S2 → one row per pair)."""
    names = [r.path for r in chosen]
    rows: list[tuple[str, str | None, str, float, float | None]] = []
    for index, values in found.items():
        if index == "names" or index.endswith("_conf"):
            continue
        values = np.asarray(values, dtype=float)
        conf = found.get(f"{index}_conf")
        conf = None if conf is None else np.asarray(conf, dtype=float)
        if values.ndim == 2:  # S2: the upper triangle
            for i, a in enumerate(names):
                for j in range(i + 1, len(names)):
                    c = None if conf is None else float(conf[i, j])
                    rows.append((a, names[j], index, float(values[i, j]), c))
        elif values.ndim == 1 and len(values) == len(names):
            for i, name in enumerate(names):
                rows.append((name, None, index, float(values[i]),
                             None if conf is None else float(conf[i])))  # fmt: skip
    n = len(rows)
    columns = {k: [v] * n for k, v in zip(KEY, key, strict=True)}
    for name, column in zip(("parameter", "parameter_2", "index", "value", "conf"),
                            zip(*rows, strict=True) if rows else [()] * 5, strict=True):  # fmt: skip
        columns[name] = list(column)
    return pa.table(columns, schema=INDICES_SCHEMA)


def sensitivity(
    scenario: Scenario | str | Path,
    parameters: Mapping[str, tuple[float, float] | Scale | None] | Sequence[str] | Sequence[Range],
    *,
    method: str = DEFAULT_METHOD,
    samples: int | None = None,
    replicates: int = 1,
    seed: int | None = None,
    population: int | None = None,
    days: int | None = None,
    until: dt.date | str | None = None,
    by: str | Sequence[str] | None = (),
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
    """A global sensitivity analysis of ``scenario``'s audit to ``parameters`` (``{path: (low,
    high)}``; ``None`` or a bare list of paths: the default range, ±50% of the value in force,
    clipped to the declared range, for a parameter whose value does not change in the run).

    SALib's sampler for ``method`` (``"sobol"``: ``samples`` N → N(2D + 2) points, a power of
    two; ``"morris"``: N trajectories; ``"fast"``) draws the points with the first seed; each
    point runs ``replicates`` seeds (the same for every point) and each audit value's mean over
    them is one output. ``by``: the audit's groupings (default: the whole population only);
    ``metrics``: the audit metrics to analyse (default: all). The other options are those of
    :func:`scsim.sweep`. Returns the :class:`Experiment`; ``.indices`` holds the indices.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if method not in METHODS:
        raise ValueError(f"the method is one of {', '.join(METHODS)}, not {method!r}")
    samples = DEFAULT_SAMPLES[method] if samples is None else samples
    if isinstance(until, str):
        until = dt.date.fromisoformat(until)
    if parameters and all(isinstance(p, Range) for p in parameters):
        chosen = list(parameters)  # ranges already made (the command prints them first)
    else:
        wanted = parameters if isinstance(parameters, Mapping) else dict.fromkeys(parameters)
        chosen = ranges(scenario, wanted, *horizon(scenario, days, until))
    seeds = replicate_seeds(scenario.spec.world.seed if seed is None else seed, replicates)
    spec = problem(chosen)
    x = sample(spec, method, samples, seeds[0])
    design = design_of(method, chosen, x, seeds)
    settings = {"method": method, "samples": samples, "sampler_seed": seeds[0],
                "ranges": [r.to_dict() for r in chosen]}  # fmt: skip

    def indices(
        results: pa.Table, _: Mapping[str, Any]
    ) -> tuple[dict[str, pa.Table], dict[str, Any]]:
        table, entries = analyse(results, chosen, method, x, seeds[0])
        return {INDICES: table}, {**entries, "sample": x.tolist()}

    return run_design(
        scenario, design, population=population, days=days, until=until, by=by,
        metrics=metrics, out=out, keep_runs=keep_runs, resume=resume, workers=workers,
        executor=executor, scheduler=scheduler, on_case=on_case, kind="sensitivity",
        settings=settings, finish=indices, evaluate_fn=evaluate_fn,
    )  # fmt: skip
