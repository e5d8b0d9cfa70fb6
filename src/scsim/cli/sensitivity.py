"""``scsim sensitivity``: how the audit's values move as parameters move over their ranges —
SALib's samplers and analysers over the experiment layer's cases."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape

from scsim.cli.console import console, sized, user_errors
from scsim.cli.layout import labelled_rows
from scsim.cli.sweep import experiment_options, finished, loaded, run_experiment

if TYPE_CHECKING:
    from scsim.experiments import Experiment

SHOWN = {"sobol": ("ST", "S1"), "morris": ("mu_star", "sigma"), "fast": ("ST", "S1")}
BAR = 20  # characters of a bar at index 1 (Sobol, FAST) or at the largest mu_star (Morris)


@click.command("sensitivity")
@click.argument("scenario")
@click.option("--param", "params", multiple=True, required=True, metavar="PATH[=LOW:HIGH]",
              help="A parameter and its range (repeatable): =LOW:HIGH values, =xLOW:HIGH "
                   "factors on its dated values; without a range, ±50% of its value, clipped "
                   "to its declared range. PATH@DATE varies the one value dated DATE.")  # fmt: skip
@click.option("--method", type=click.Choice(["sobol", "morris", "fast"]), default="sobol",
              show_default=True, help="SALib's method: sampler and analyser.")  # fmt: skip
@click.option("--samples", "-N", type=click.IntRange(min=1),
              help="N: Sobol N(2D+2) points (a power of two, default 64); Morris N "
                   "trajectories (16); FAST N×D points (65).")  # fmt: skip
@click.option(
    "--by",
    default="",
    show_default=True,
    help="Comma-separated groupings of the audit ('' for the whole population).",
)
@click.option("--metrics",
              help="Comma-separated audit metrics to analyse (default: every one).")  # fmt: skip
@experiment_options
def sensitivity_command(
    scenario: str,
    params: tuple[str, ...],
    method: str,
    samples: int | None,
    by: str,
    metrics: str | None,
    replicates: int,
    seed: int | None,
    population: int | None,
    until: dt.datetime | None,
    days: int | None,
    reform: str | None,
    workers: int,
    use_dask: bool,
    scheduler: str | None,
    keep_runs: bool,
    resume: bool,
    out: str,
    progress: str,
    quiet: bool,
) -> None:
    """A global sensitivity analysis of SCENARIO's audit to the --param ranges: SALib draws
    the points, each runs as --replicates cases on common seeds, and each audit value's mean
    over the seeds is analysed. Writes an experiment directory: experiment.json (the ranges
    used and the rule each came from), results.parquet (every case's rows) and
    indices.parquet (metric, category, group_by, group, parameter, parameter_2, index, value,
    conf)."""
    with user_errors("interrupted") as outcome:
        from scsim.engine.simulate import horizon
        from scsim.experiments.sensitivity import cases_for, ranges, sensitivity
        from scsim.scenario.settings import parse_ranges

        wanted = parse_ranges(params)
        sc = loaded(scenario, reform, use_dask, scheduler)
        chosen = ranges(sc, wanted, *horizon(sc, days, until.date() if until else None))
        if not quiet:
            from scsim.experiments.sensitivity import DEFAULT_SAMPLES

            n = samples or DEFAULT_SAMPLES[method]
            console.print(
                f"{method} over {len(chosen)} parameters, N = {n}: "
                f"{cases_for(method, n, len(chosen)) * replicates} cases",
                highlight=False,
            )
            for r in chosen:
                console.print(f"  {r.describe()}", markup=False, highlight=False)
        experiment = run_experiment(
            outcome, out, progress,
            lambda on_case: sensitivity(
                sc, chosen, method=method, samples=samples, replicates=replicates, seed=seed,
                population=population, days=days, until=until.date() if until else None,
                by=by, metrics=metrics, out=Path(out), keep_runs=keep_runs, resume=resume,
                workers=workers, executor="dask" if use_dask else None, scheduler=scheduler,
                on_case=on_case,
            ),
        )  # fmt: skip
        finished(experiment, quiet, render)


def render(experiment: Experiment, console: Console) -> None:
    """Per metric of the whole population: each parameter's main indices, as numbers and bars."""
    import pyarrow.compute as pc

    method = experiment.manifest["design"]["method"]
    shown = SHOWN[method]
    table = experiment.indices
    table = table.filter(pc.and_(pc.equal(table["group_by"], "all"),
                                 pc.is_null(table["parameter_2"])))  # fmt: skip
    rows = table.to_pylist()
    left = experiment.manifest.get("outputs_left_out") or {}
    console = sized(console)
    if not rows:
        console.print("no audit value varied over the points: nothing to analyse", markup=False)
    else:
        cells: dict[tuple[str, str, str], dict[str, dict]] = {}
        for r in rows:
            key = (r["metric"], r["category"], r["parameter"])
            cells.setdefault(key, {})[r["index"]] = r
        # Sobol and FAST indices are shares of the variance (bars on 0–1); Morris's mu_star is
        # in the metric's own unit, so its bars compare the parameters of one output only.
        largest: dict[tuple[str, str], float] = {}
        for (metric, category, _), found in cells.items():
            lead = found.get(shown[0])
            if lead is not None and math.isfinite(lead["value"]):
                key = (metric, category)
                largest[key] = max(largest.get(key, 0.0), lead["value"])
        lines = []
        for (metric, category, parameter), found in cells.items():
            name = metric + (f" · {category}" if category else "")
            numbers = [_index(found.get(i)) for i in shown]
            lead = found.get(shown[0])
            scale = largest.get((metric, category), 0.0) if method == "morris" else 1.0
            share = lead["value"] / scale if lead is not None and scale > 0 else 0.0
            width = round(BAR * min(1.0, max(0.0, share))) if math.isfinite(share) else 0
            lines.append((name, [escape(parameter.rsplit(".", 1)[-1]), *numbers, "█" * width]))
        title = (f"{experiment.manifest['scenario']['name']} · {method} indices, whole "
                 "population (± 95% interval half-width)")  # fmt: skip
        console.print(labelled_rows(title, "metric", ["parameter", *shown, f"{shown[0]} (bar)"],
                                    lines, console.width, left=(0, len(shown) + 1)))  # fmt: skip
    if any(left.values()):
        console.print(
            f"left out: {left.get('constant', 0)} audit values constant over the points, "
            f"{left.get('not_a_number', 0)} not a number at some point",
            markup=False, highlight=False,
        )  # fmt: skip
    for message, n in (experiment.manifest.get("analysis_warnings") or {}).items():
        console.print(f"SALib warned for {n} audit value{'s' if n > 1 else ''}: {message}",
                      markup=False, highlight=False)  # fmt: skip
    console.print("every index, group and pair: indices.parquet (Experiment(path).indices)",
                  markup=False, highlight=False)  # fmt: skip


def _index(row: dict | None) -> str:
    if row is None or row["value"] is None or not math.isfinite(row["value"]):
        return "–"
    text = f"{row['value']:.3g}"
    conf = row.get("conf")
    return text + (f" ± {conf:.2g}" if conf is not None and math.isfinite(conf) else "")
