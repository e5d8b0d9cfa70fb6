"""``scsim sweep``: a scenario over a grid (or zipped lists) of parameter values × seeds, into
one experiment directory."""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape

from scsim.audit.defaults import DEFAULT_BY
from scsim.cli.console import console, errors, sized, user_errors
from scsim.cli.layout import labelled_rows
from scsim.results.format import fmt_metric as _fmt
from scsim.scenario.model import value_text
from scsim.scenario.schema import SEED_MAX

if TYPE_CHECKING:
    from scsim.experiments import Experiment

SUMMARY_METRICS = ("listing_rate", "wrongful_listing_share", "poverty_trap_share")


def experiment_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options every experiment command takes: seeds, the run's size and end, a reform,
    the executor, keeping runs, resuming, the output folder and progress."""
    options = [
        click.option(
            "--replicates",
            "-r",
            type=click.IntRange(min=1),
            default=1,
            show_default=True,
            help="Seeds per point, --seed, --seed + 1, … (the same for every point).",
        ),
        click.option(
            "--seed",
            "-s",
            type=click.IntRange(min=0, max=SEED_MAX),
            help="First seed (default: the scenario's).",
        ),
        click.option("--population", "-n", type=click.IntRange(min=1), help="Number of agents."),
        click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Stop after this date."),
        click.option(
            "--days", type=click.IntRange(min=1), help="Run this many days from the start."
        ),
        click.option("--reform", help="Apply one of the scenario's named reforms first."),
        click.option(
            "--workers",
            "-w",
            type=click.IntRange(min=1),
            default=1,
            show_default=True,
            help="Processes (or Dask workers with --dask) running the cases.",
        ),
        click.option(
            "--dask",
            "use_dask",
            is_flag=True,
            help="Run the cases on an embedded Dask LocalCluster of --workers workers.",
        ),
        click.option(
            "--scheduler",
            metavar="tcp://HOST:PORT",
            help="Run the cases on an existing Dask cluster.",
        ),
        click.option(
            "--keep-runs",
            is_flag=True,
            help="Keep every case's run directory (in the experiment's runs/).",
        ),
        click.option(
            "--resume",
            is_flag=True,
            help="Continue the interrupted experiment of this design (finished cases kept).",
        ),
        click.option(
            "--out",
            type=click.Path(file_okay=False),
            default="experiments",
            show_default=True,
            help="Folder that receives the experiment directory.",
        ),
        click.option(
            "--progress",
            type=click.Choice(["auto", "bar", "json", "none"]),
            default="auto",
            show_default=True,
            help="Progress over cases; json writes a line per case.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="Print only the experiment directory."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command("sweep")
@click.argument("scenario")
@click.option("--set", "settings", multiple=True, required=True, metavar="PATH=V1,V2,…",
              help="A parameter and its values (repeatable), e.g. "
                   "schemes.court.grace_days=0,30,90; each replaces the whole history.")  # fmt: skip
@click.option("--grid", "method", flag_value="grid", default=True,
              help="Every combination of the values (the default).")  # fmt: skip
@click.option("--zip", "method", flag_value="zip",
              help="The i-th values of every --set together (lists of one length).")  # fmt: skip
@click.option("--by", default=",".join(DEFAULT_BY), show_default=True,
              help="Comma-separated groupings of the audit ('' for only 'all').")  # fmt: skip
@click.option("--metrics",
              help="Comma-separated metrics to keep: audit metrics, and time-series metrics "
                   "(kept at every date); default: every audit metric.")  # fmt: skip
@experiment_options
def sweep_command(
    scenario: str,
    settings: tuple[str, ...],
    method: str,
    replicates: int,
    seed: int | None,
    population: int | None,
    until: dt.datetime | None,
    days: int | None,
    reform: str | None,
    by: str,
    metrics: str | None,
    workers: int,
    use_dask: bool,
    scheduler: str | None,
    keep_runs: bool,
    resume: bool,
    out: str,
    progress: str,
    quiet: bool,
) -> None:
    """Run SCENARIO at every combination of the --set values (or the zipped lists), each point
    with the same seeds (common random numbers), and write an experiment directory:
    experiment.json and results.parquet (case, point, seed, each parameter, then the audit's
    metric, category, group_by, group, date, value)."""
    with user_errors("interrupted") as outcome:
        from scsim.experiments import sweep
        from scsim.scenario.settings import parse_assignments

        values = parse_assignments(settings, several=True)
        sc = loaded(scenario, reform, use_dask, scheduler)
        experiment = run_experiment(
            outcome, out, progress,
            lambda on_case: sweep(
                sc, values, method=method, replicates=replicates, seed=seed,
                population=population, days=days, until=until.date() if until else None,
                by=by, metrics=metrics, out=Path(out), keep_runs=keep_runs, resume=resume,
                workers=workers, executor="dask" if use_dask else None, scheduler=scheduler,
                on_case=on_case,
            ),
        )  # fmt: skip
        finished(experiment, quiet, render)


def loaded(scenario: str, reform: str | None, use_dask: bool, scheduler: str | None) -> Any:
    """The scenario of an experiment command (its named reform applied)."""
    from scsim.scenario.model import load

    if use_dask and scheduler:
        raise click.UsageError("give --dask (a cluster started here) or --scheduler, not both")
    sc = load(scenario)
    return sc.reform(reform) if reform else sc


def run_experiment(
    outcome: Any, out: str, progress: str, start: Callable[[Any], Experiment]
) -> Experiment:
    """``start(on_case)`` with one progress display over the cases, and the message an
    interrupt leaves saying where the finished cases are."""
    display = CasesProgress(progress)
    outcome.interrupted = (
        f"interrupted — the finished cases are kept in {out}/.<name>.partial; the same "
        "command with --resume continues"
    )
    try:
        experiment = start(display.case)
    finally:
        display.stop()
    outcome.interrupted = f"interrupted — the experiment is complete: {experiment.path}"
    display.experiment = experiment
    return experiment


def finished(
    experiment: Experiment, quiet: bool, render: Callable[[Experiment, Console], None]
) -> None:
    """The experiment's directory (``--quiet``), or its summary and where it was written."""
    if quiet:
        print(experiment.path)
        return
    render(experiment, console)
    info = experiment.manifest.get("executor") or {}
    kind = info.get("kind", "?")
    seconds = (experiment.manifest.get("timings") or {}).get("total_s", 0.0)
    console.print(
        f"\nexperiment written in {seconds:.1f} s ({len(experiment.design)} cases, {kind}"
        f"{'' if kind == 'serial' else ', ' + str(info.get('workers')) + ' workers'}):\n"
        f"  [bold]{escape(str(experiment.path))}[/]",
        highlight=False,
        soft_wrap=True,
    )


class CasesProgress:
    """One bar over the cases, a JSON line per case, or nothing."""

    def __init__(self, mode: str) -> None:
        if mode == "auto":
            mode = "bar" if errors.is_terminal else "none"
        self.mode, self.bar, self.clock = mode, None, time.perf_counter()

    def case(self, done: int, total: int, record: dict[str, Any]) -> None:
        elapsed = round(time.perf_counter() - self.clock, 3)
        if self.mode == "json":
            line = {"case": record["case"], "point": record["point"], "seed": record["seed"],
                    "done": done, "cases": total, "elapsed_s": elapsed}  # fmt: skip
            print(json.dumps(line), file=sys.stderr, flush=True)
        elif self.mode == "bar":
            if self.bar is None:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )

                self.bar = Progress(
                    TextColumn("[bold]cases[/]"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=errors, transient=True,
                )  # fmt: skip
                self.task = self.bar.add_task("cases", total=total)
                self.bar.start()
            self.bar.update(self.task, completed=done, total=total)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def render(experiment: Experiment, console: Console) -> None:
    """Per design point: its values and the mean (min–max) over seeds of a few overall
    metrics."""
    design = experiment.design
    table = experiment.results
    present = set(table.column("metric").unique().to_pylist())
    chosen = [m for m in SUMMARY_METRICS if m in present]
    if not chosen:
        chosen = sorted(present)[:3]
    rows = experiment.query(
        "select point, metric, avg(value) as mean, min(value) as lo, max(value) as hi "
        "from results where group_by = 'all' and date is null and category = '' "
        "group by point, metric"
    ).to_pylist()
    by_key = {(r["point"], r["metric"]): r for r in rows}
    console = sized(console)
    seeds = design.seeds
    title = (
        f"{experiment.manifest['scenario']['name']} · {design.method} of {len(design.points)} "
        f"points × {len(seeds)} seed{'s' if len(seeds) > 1 else ''} "
        f"({seeds[0]}{'…' + str(seeds[-1]) if len(seeds) > 1 else ''}) · overall, "
        + ("mean (min–max) over seeds" if len(seeds) > 1 else "one seed")
    )
    lines = []
    for p in range(len(design.points)):
        cells = []
        for metric in chosen:
            r = by_key.get((p, metric))
            if r is None or r["mean"] is None or math.isnan(r["mean"]):
                cells.append("–")
            elif len(seeds) > 1:
                cells.append(f"{_fmt(metric, r['mean'])} ({_fmt(metric, r['lo'])}–"
                             f"{_fmt(metric, r['hi'])})")  # fmt: skip
            else:
                cells.append(_fmt(metric, r["mean"]))
        label = ", ".join(
            f"{path.rsplit('.', 1)[-1]}={'x' if path in design.scale else ''}{value_text(v)}"
            for path, v in design.overlay(p).items()
        ) if len(design.parameters) > 1 else value_text(design.points[p][0])  # fmt: skip
        lines.append((label, [escape(c) for c in cells]))
    head = design.parameters[0] if len(design.parameters) == 1 else "point"
    console.print(labelled_rows(title, head, chosen, lines, console.width))
    console.print("every metric, group and seed: results.parquet (Experiment(path).results)",
                  markup=False, highlight=False)  # fmt: skip
