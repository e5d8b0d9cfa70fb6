"""``scsim run``, ``scsim validate`` and ``scsim scenarios``: run a scenario (once or over
several seeds), check one, list the bundled ones."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scsim.cli.console import (
    RunsProgress,
    console,
    errors,
    fail,
    progress_printer,
    sized,
    user_errors,
)
from scsim.cli.layout import labelled_rows
from scsim.cli.show import render_summary
from scsim.results.format import fmt_metric as _fmt
from scsim.results.format import fmt_num as _num
from scsim.scenario.schema import SEED_MAX

if TYPE_CHECKING:
    from scsim.results import Run
    from scsim.scenario.model import Scenario


@click.command()
@click.argument("scenario")
@click.option("--population", "-n", type=click.IntRange(min=1), help="Number of agents.")
@click.option("--seed", "-s", type=click.IntRange(min=0, max=SEED_MAX),
              help="Random seed, 0 to 2**63 - 1 (default: the scenario's).")  # fmt: skip
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Stop after this date.")
@click.option("--days", type=click.IntRange(min=1), help="Run this many days from the start.")
@click.option("--out", type=click.Path(file_okay=False), default="runs", show_default=True,
              help="Folder that receives the run directory.")  # fmt: skip
@click.option("--events", is_flag=True, help="Also write the full event log (events.parquet).")
@click.option("--reform", help="Apply one of the scenario's named reforms.")
@click.option("--set", "settings", multiple=True, metavar="PATH=VALUE",
              help="Set a parameter for the whole horizon (repeatable; after --reform), "
                   "e.g. schemes.court.grace_days=30; null repeals.")  # fmt: skip
@click.option("--progress", type=click.Choice(["auto", "bar", "json", "none"]), default="auto",
              show_default=True, help="Progress display; json writes one line per epoch to stderr.")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="Print only the run directory.")
@click.option("--replicates", "-r", type=click.IntRange(min=1),
              help="Run this many seeds, --seed, --seed + 1, … (each its own run directory), "
                   "and summarise the key metrics across them.")  # fmt: skip
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes running --replicates (the runs are the same for any number).")  # fmt: skip
@click.option("--resume", is_flag=True,
              help="With --replicates: reuse the replicates an interrupted run completed.")  # fmt: skip
def run(
    scenario, population, seed, until, days, out, events, reform, settings, progress, quiet,
    replicates, workers, resume,
) -> None:  # fmt: skip
    """Run SCENARIO (a bundled name or a YAML file) and write a run directory."""
    # Ctrl-C while importing is an interrupt like any other.
    with user_errors("interrupted — no run directory was completed") as outcome:
        from scsim.experiments import simulate
        from scsim.results.summary import summarize
        from scsim.scenario.model import load
        from scsim.scenario.settings import parse_assignments, with_settings

        changes = {path: v[0] for path, v in parse_assignments(settings).items()}
        sc = load(scenario)
        if reform:
            sc = sc.reform(reform)
        sc = with_settings(sc, changes)
        if replicates is not None:
            outcome.interrupted = (
                "interrupted — the replicates already complete are kept; the same command with "
                "--resume continues"
            )
            run_replicates(
                sc, replicates, seed=seed, population=population, days=days,
                until=until.date() if until else None, out=Path(out), events=events,
                workers=workers, progress=progress, quiet=quiet, console=console, resume=resume,
            )  # fmt: skip
            return
        if resume:
            fail("--resume continues an interrupted --replicates R: give --replicates R too")
        if workers > 1:
            fail("--workers runs replicates side by side: give --replicates R too")
        callback, phase, stop = progress_printer(progress)
        clock, started = time.perf_counter(), dt.datetime.now(dt.UTC)
        try:
            result = simulate(
                sc,
                population=population,
                seed=seed,
                days=days,
                until=until.date() if until else None,
                out=Path(out),
                events=events,
                progress=callback,
                on_phase=phase,
            )
        finally:
            stop()
        outcome.interrupted = f"interrupted — the run itself is complete: {result.path}"
        if quiet:
            print(result.path)
            say_removed_event_logs([result], started)
            return
        render_summary(summarize(result), console)
        elapsed = time.perf_counter() - clock
        simulated = result.manifest["timings"]["simulate_s"]
        console.print(
            f"\nrun written to [bold]{escape(str(result.path))}[/] in {elapsed:.1f} s "
            f"(simulation {simulated:.1f} s)",
            highlight=False,
            soft_wrap=True,  # a path folded over two lines cannot be copied
        )
        say_removed_event_logs([result], started)


@click.command()
@click.argument("file")
def validate(file: str) -> None:
    """Check a scenario file and report every problem at once."""
    from scsim.scenario.model import load

    with user_errors():
        sc = load(file)
        console.print(
            f"[green]ok[/] {sc.name} ({escape(sc.source)}), hash {sc.hash[:8]}",
            highlight=False,
            soft_wrap=True,
        )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON: name, title, mechanisms.")
def scenarios(as_json: bool) -> None:
    """List the bundled scenarios: one line each when the terminal is wide enough, else one
    record each (name, then its title and mechanisms, wrapped)."""
    from scsim.scenario.model import bundled_names, load

    listing: list[dict[str, Any]] = []
    with user_errors():  # a broken bundled scenario is reported, not a traceback
        for name in bundled_names():
            spec = load(name).spec
            listing.append({"name": name, "title": spec.title, "mechanisms": spec.mechanisms()})
    if as_json:
        print(json.dumps(listing, ensure_ascii=False, indent=2))
        return
    rows = [(s["name"], ", ".join(s["mechanisms"]), s["title"]) for s in listing]
    out = sized(console)
    widest = [max(len(r[j]) for r in rows) for j in range(3)]
    if sum(widest) + 4 <= out.width:
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        for column in ("name", "mechanisms", "title"):
            table.add_column(column, no_wrap=True)
        for row in rows:
            table.add_row(*map(escape, row))
        out.print(table)
        return
    # Too narrow for one line each: the name whole on the left, title and mechanisms wrapped
    # at word boundaries beside it.
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(overflow="fold")
    for i, (name, mechanisms, title) in enumerate(rows):
        grid.add_row(escape(name), escape(title))
        grid.add_row("", f"[dim]{escape(mechanisms)}[/]")
        if i < len(rows) - 1:
            grid.add_row("", "")
    out.print(grid)


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
    resume: bool = False,
) -> list[Run]:
    """What ``scsim run --replicates`` does: the runs with progress, then a summary across them
    (or, with ``quiet``, their directories one per line)."""
    from scsim.experiments import replicate, replicate_summary

    clock, started = time.perf_counter(), dt.datetime.now(dt.UTC)
    display = RunsProgress(progress, replicates, serial=workers == 1)
    try:
        runs = replicate(
            scenario, replicates, seed=seed, population=population, days=days, until=until,
            out=out, events=events, workers=workers, progress=display.epoch,
            on_phase=display.phase, on_run=display.finished, resume=resume,
        )  # fmt: skip
    finally:
        display.stop()
    if quiet:
        for run in runs:
            print(run.path)
        say_removed_event_logs(runs, started)
        return runs
    render_replicates(runs, replicate_summary(runs), console)
    written = len(written_since(runs, started))
    reused = (
        "" if written == len(runs) else f" ({len(runs) - written} more already complete, reused)"
    )
    runs_written = f"{written} run{'' if written == 1 else 's'} written{reused}"
    console.print(
        f"\n{runs_written} to [bold]{escape(seed_range(runs))}[/] in "
        f"{time.perf_counter() - clock:.1f} s ({workers} worker{'s' if workers > 1 else ''})",
        highlight=False,
        soft_wrap=True,
    )
    say_removed_event_logs(runs, started)
    return runs


def say_removed_event_logs(
    runs: Sequence[Run], since: dt.datetime, hint: str = "run with --events to keep one"
) -> None:
    """One line on stderr when writing ``runs`` (those written from ``since`` on, not runs
    that were only read) removed the event log of the runs they replaced (a re-run without
    --events), so that the loss is never silent."""
    from scsim.results.store import EVENTS

    lost = [run for run in written_since(runs, since) if EVENTS in run.removed_from_previous_run]
    if not lost:
        return
    if len(lost) == 1:
        what = f"the event log of the previous run in {lost[0].path} was removed"
    else:
        what = f"the event logs of the previous runs in {len(lost)} run directories were removed"
    errors.print(f"[yellow]note:[/] {escape(what)} ({hint})", highlight=False, soft_wrap=True)


def written_since(runs: Sequence[Run], since: dt.datetime) -> list[Run]:
    """The runs written from ``since`` on (by their manifests' ``written_at``, to the second);
    the others were complete before and only read (``--resume``)."""
    start = since.replace(microsecond=0).isoformat(timespec="seconds")
    return [run for run in runs if str(run.manifest.get("written_at", "")) >= start]


def seed_range(runs: Sequence[Run]) -> str:
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
    rows = [
        (
            r["metric"] + (f" · {r['category']}" if r["category"] else ""),
            [_fmt(r["metric"], r[k]) for k in ("mean", "sd", "min", "max")],
        )
        for r in summary
    ]
    console = sized(console)
    console.print(
        labelled_rows(
            f"Across {len(runs)} replicates (overall, end of run)", "metric",
            ["mean", "sd", "min", "max"], rows, console.width,
            caption="all metrics and groups of one run: scsim audit RUN",
        )
    )  # fmt: skip
