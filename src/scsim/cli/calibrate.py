"""``scsim calibrate``: the free parameters' values whose runs land within every calibration
target (rejection over a space-filling design), and the findings of an experiment read with
their spread over parameters and seeds (``scsim audit EXPERIMENT``)."""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scsim.cli.console import console, sized, user_errors
from scsim.cli.layout import labelled_rows
from scsim.cli.sweep import experiment_options, finished, loaded, run_experiment
from scsim.results.format import fmt_metric

if TYPE_CHECKING:
    from scsim.experiments import Experiment


@click.command("calibrate")
@click.argument("scenario")
@click.option("--free", "free", multiple=True, required=True, metavar="PATH[=LOW:HIGH]",
              help="A free parameter and its range (repeatable): =LOW:HIGH values, =xLOW:HIGH "
                   "factors on its dated values; without a range, ±50% of its value, clipped "
                   "to its declared range. PATH@DATE frees the one value dated DATE.")  # fmt: skip
@click.option("--design", type=click.Choice(["lhs", "sobol"]), default="lhs", show_default=True,
              help="Points: a Latin hypercube, or a scrambled Sobol' sequence.")  # fmt: skip
@click.option("--samples", "-N", type=click.IntRange(min=2), default=64, show_default=True,
              help="Points to draw (a power of two for sobol).")  # fmt: skip
@click.option(
    "--by",
    default="hukou,migrant",
    show_default=True,
    help="Groupings of the audit kept per case (for `scsim audit EXPERIMENT`).",
)
@experiment_options
def calibrate_command(
    scenario: str,
    free: tuple[str, ...],
    design: str,
    samples: int,
    by: str,
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
    """Fit the --free parameters of SCENARIO to its calibration targets: --samples points over
    the ranges, each run with --replicates seeds (the same for every point), each accepted when
    the mean over its seeds of every target's simulated value lies in the target's range. Writes
    an experiment directory: experiment.json (accepted count and ranges, the best point as --set
    options), results.parquet, calibration.parquet (a row per point and target) and
    best-reform.yaml (the best point as a reform). `scsim audit EXPERIMENT` then prints every
    finding over the accepted set."""
    with user_errors("interrupted") as outcome:
        from scsim.experiments.calibrate import calibrate
        from scsim.scenario.settings import parse_ranges

        wanted = parse_ranges(free, option="--free")
        sc = loaded(scenario, reform, use_dask, scheduler)
        experiment = run_experiment(
            outcome, out, progress,
            lambda on_case: calibrate(
                sc, wanted, design=design, samples=samples, replicates=replicates, seed=seed,
                population=population, days=days, until=until.date() if until else None,
                by=by, out=Path(out), keep_runs=keep_runs, resume=resume, workers=workers,
                executor="dask" if use_dask else None, scheduler=scheduler, on_case=on_case,
            ),
        )  # fmt: skip
        finished(experiment, quiet, render)


def render(experiment: Experiment, console: Console) -> None:
    """The targets against the best point and the accepted set; the accepted ranges; the best
    point as options to run it with."""
    result = experiment.manifest["calibration_result"]
    import pyarrow.compute as pc

    table = experiment.calibration
    console = sized(console)
    accepted, points = result["accepted"], result["points"]
    lines = []
    for target in result["targets"]:
        rows = table.filter(pc.equal(table["target"], target["name"]))
        values = [v for v in rows["simulated"].to_pylist() if v is not None and math.isfinite(v)]
        taken = [v for v, a in zip(rows["simulated"].to_pylist(), rows["accepted"].to_pylist(),
                                   strict=True) if a and v is not None]  # fmt: skip
        best = result["best"]["simulated"].get(target["name"])
        lines.append((target["label"] or target["name"], [
            f"{fmt_metric('calibration', target['low'])}–{fmt_metric('calibration', target['high'])}",
            "–" if best is None else fmt_metric("calibration", best), _span(taken), _span(values),
        ]))  # fmt: skip
    title = (f"{experiment.manifest['scenario']['name']} · calibration: {accepted} of {points} "
             "points within every target")  # fmt: skip
    console.print(labelled_rows(title, "target", ["range", "best point", "accepted points",
                                                  "all points"], lines, console.width))  # fmt: skip
    if result["accepted_ranges"]:
        console.print("accepted ranges of the free parameters:", markup=False)
        for path, (low, high) in result["accepted_ranges"].items():
            console.print(f"  {path}: {low:.6g} … {high:.6g}", markup=False, highlight=False)
    else:
        console.print("no point landed within every target: the best point below is the "
                      "closest, not a fit", markup=False)  # fmt: skip
    best = result["best"]
    console.print(f"best point (worst target {best['distance']:.2f} half-widths from its "
                  "centre):", markup=False, highlight=False)  # fmt: skip
    for setting in result["best_settings"]:
        option = setting if "=x" in setting else f"--set {setting}"
        console.print(f"  {option}", markup=False, highlight=False, soft_wrap=True)
    if any("=x" in s for s in result["best_settings"]):
        console.print("(=x: a factor on the dated values; best-reform.yaml has them, date by "
                      "date)", markup=False, highlight=False)  # fmt: skip
    console.print(f"as a reform:\n  {experiment.path / 'best-reform.yaml'}", markup=False,
                  highlight=False, soft_wrap=True)  # fmt: skip
    if accepted:
        console.print(f"findings over the accepted set:\n  scsim audit {experiment.path}",
                      markup=False, highlight=False, soft_wrap=True)  # fmt: skip


def _span(values: list[float]) -> str:
    if not values:
        return "–"
    low, high = min(values), max(values)
    if low == high:
        return fmt_metric("calibration", low)
    return f"{fmt_metric('calibration', low)}–{fmt_metric('calibration', high)}"


def audit_experiment(path: str, by: str | None, fmt: str | None, out: str | None) -> None:
    """``scsim audit EXPERIMENT``: every audit value over the experiment's cases (a
    calibration's accepted set × seeds), with the interval over parameters and seeds."""
    from scsim.experiments import Experiment
    from scsim.experiments.findings import FLAGS, findings

    experiment = Experiment(path)
    groupings = [g.strip() for g in by.split(",") if g.strip()] if by is not None else None
    table, what = findings(experiment, groupings)
    if out is not None:
        raise click.UsageError("--out is for runs; an experiment's findings print (--csv, --json)")
    if fmt == "csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, sys.stdout.buffer)
        return
    if fmt == "json":
        import json

        sys.stdout.write(json.dumps({"covers": what, "findings": table.to_pylist()}) + "\n")
        return
    rows = table.to_pylist()
    render_console = sized(console)
    render_console.print(f"{experiment.manifest['scenario']['name']} · findings {what}",
                         markup=False, highlight=False)  # fmt: skip
    # One table per metric: its name is a heading (never cut), the rows its groups.
    by_metric: dict[str, list[dict]] = {}
    for r in rows:
        by_metric.setdefault(r["metric"] + (f" · {r['category']}" if r["category"] else ""),
                             []).append(r)  # fmt: skip
    for metric, group_rows in by_metric.items():
        render_console.print(f"\n{metric}", markup=False, highlight=False, style="bold")
        out_table = Table(box=None, pad_edge=False, show_header=True, padding=(0, 1))
        flag = FLAGS.get(group_rows[0]["metric"])
        columns = ("group", flag) if flag else ("group", "mean", "middle 95%", "sd: parameters",
                                                "sd: seeds")  # fmt: skip
        for k, name in enumerate(columns):
            out_table.add_column(name, justify="left" if k == 0 else "right", overflow="fold")
        for r in group_rows:
            group = "all" if r["group_by"] == "all" else f"{r['group_by']}={r['group']}"
            name = r["metric"]
            if flag:
                out_table.add_row(escape(group), f"{r['mean']:.0%}")
                continue
            out_table.add_row(
                escape(group), fmt_metric(name, r["mean"]),
                f"{fmt_metric(name, r['low'])} – {fmt_metric(name, r['high'])}",
                _sd(name, r["parameter_sd"]), _sd(name, r["seed_sd"]),
            )  # fmt: skip
        render_console.print(out_table)


def _sd(metric: str, value: float | None) -> str:
    """A standard deviation in the metric's unit (never signed, unlike a difference)."""
    if value is None or not math.isfinite(value):
        return "–"
    return fmt_metric(metric, value).removeprefix("+")
