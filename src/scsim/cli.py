"""The command line: one verb per public function, errors as messages, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from scsim.scenario.schema import SEED_MAX


class _Console(Console):
    """rich's console, but a reader gone from the pipe is left to ``_user_errors`` (exit 141)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


console = _Console()
errors = _Console(stderr=True)

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a pipeline cut short by `head`


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


@dataclass
class _Outcome:
    """What an interrupt means at this point of a command (the run command updates it)."""

    interrupted: str


@contextmanager
def _user_errors(interrupted: str = "interrupted") -> Iterator[_Outcome]:
    """Turn the errors a user can fix into messages with a non-zero exit."""
    outcome = _Outcome(interrupted)
    try:
        import duckdb

        from scsim.engine.simulate import SimulationError
        from scsim.results import RunError
        from scsim.scenario.errors import ScenarioError
    except KeyboardInterrupt:
        _fail(outcome.interrupted, EXIT_INTERRUPTED)

    try:
        yield outcome
    except ScenarioError as err:
        for issue in err.issues:
            errors.print(str(issue), highlight=False, soft_wrap=True, markup=False)
        n = len(err.issues)
        _fail(f"{n} problem{'s' if n > 1 else ''} in the scenario; nothing was run")
    except (SimulationError, RunError, ValueError) as err:
        _fail(str(err))
    except BrokenPipeError:
        _quiet_exit_after_broken_pipe()
    except PermissionError as err:
        _fail(f"cannot write to {err.filename}: permission denied — choose another --out")
    except OSError as err:
        _fail(f"{err.strerror or err}: {err.filename or ''} — check the path and free space")
    except (KeyboardInterrupt, duckdb.InterruptException):
        _fail(outcome.interrupted, EXIT_INTERRUPTED)
    except RuntimeError as err:  # DuckDB reports a query stopped by Ctrl-C as this
        if "interrupted" not in str(err):
            raise
        _fail(outcome.interrupted, EXIT_INTERRUPTED)


def _quiet_exit_after_broken_pipe() -> None:
    """Exit without a message when the reader of stdout has gone (``scsim query ... | head``)."""
    # Stop the interpreter's final flush failing on the closed pipe too; under click's test
    # runner stdout is not a real file and there is nothing to redirect.
    with suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(EXIT_BROKEN_PIPE)


@click.group()
@click.version_option(package_name="scsim")
def main() -> None:
    """scsim: simulate and audit social credit systems over synthetic populations."""


PHASE_LABELS = {"preparing": "preparing (a first run compiles the kernels: ~30 s)"}


def _progress_printer(mode: str) -> tuple[Callable, Callable[[str], None], Callable[[], None]]:
    """(after each epoch, as each phase begins, at the end) for the chosen display."""
    if mode == "json":

        def emit(done: int, total: int, day: dt.date) -> None:
            line = {"epoch": done, "epochs": total, "date": day.isoformat()}
            print(json.dumps(line), file=sys.stderr, flush=True)

        def emit_phase(name: str) -> None:
            print(json.dumps({"phase": name}), file=sys.stderr, flush=True)

        return emit, emit_phase, lambda: None
    if mode == "none" or not errors.is_terminal and mode == "auto":
        return (lambda *_: None), (lambda _: None), lambda: None
    bar = Progress(
        TextColumn("[bold]{task.description}[/]"),
        BarColumn(),
        TextColumn("{task.fields[day]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    )
    task = bar.add_task("starting", total=None, day="")
    bar.start()

    def update(done: int, total: int, day: dt.date) -> None:
        bar.update(task, completed=done, total=total, day=day.isoformat())

    def phase(name: str) -> None:
        bar.update(task, description=PHASE_LABELS.get(name, name))

    return update, phase, bar.stop


@main.command()
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
@click.option("--progress", type=click.Choice(["auto", "bar", "json", "none"]), default="auto",
              show_default=True, help="Progress display; json writes one line per epoch to stderr.")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="Print only the run directory.")
@click.option("--replicates", "-r", type=click.IntRange(min=1),
              help="Run this many seeds, --seed, --seed + 1, … (each its own run directory), "
                   "and summarise the key metrics across them.")  # fmt: skip
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes running --replicates (the runs are the same for any number).")  # fmt: skip
def run(
    scenario, population, seed, until, days, out, events, reform, progress, quiet, replicates,
    workers,
) -> None:  # fmt: skip
    """Run SCENARIO (a bundled name or a YAML file) and write a run directory."""
    # Ctrl-C while importing is an interrupt like any other.
    with _user_errors("interrupted — no run directory was completed") as outcome:
        from scsim.api import load, simulate
        from scsim.results.summary import render_summary, summarize

        sc = load(scenario)
        if reform:
            sc = sc.reform(reform)
        if replicates is not None:
            from scsim.audit.compare import run_replicates

            outcome.interrupted = "interrupted — the replicates already complete are kept"
            run_replicates(
                sc, replicates, seed=seed, population=population, days=days,
                until=until.date() if until else None, out=Path(out), events=events,
                workers=workers, progress=progress, quiet=quiet, console=console,
            )  # fmt: skip
            return
        if workers > 1:
            _fail("--workers runs replicates side by side: give --replicates R too")
        callback, phase, stop = _progress_printer(progress)
        clock = time.perf_counter()
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


@main.command()
@click.argument("file")
def validate(file: str) -> None:
    """Check a scenario file and report every problem at once."""
    from scsim.scenario.model import load

    with _user_errors():
        sc = load(file)
        console.print(
            f"[green]ok[/] {sc.name} ({escape(sc.source)}), hash {sc.hash[:8]}",
            highlight=False,
            soft_wrap=True,
        )


@main.command()
def scenarios() -> None:
    """List the bundled scenarios, one line each."""
    from scsim.scenario.model import bundled_names, load

    rows = []
    with _user_errors():  # a broken bundled scenario is reported, not a traceback
        for name in bundled_names():
            spec = load(name).spec
            rows.append((name, ", ".join(spec.mechanisms()), spec.title))
    # One line each: a terminal cuts the title to fit; a pipe gets it whole.
    fixed = sum(max(len(r[j]) for r in rows) for j in (0, 1)) + 6
    room = max(console.width - fixed, 10) if console.is_terminal else None
    table = Table(box=None, show_header=True, header_style="bold")
    for column in ("name", "mechanisms", "title"):
        table.add_column(column, no_wrap=True)
    for name, mechanisms, title in rows:
        if room is not None and len(title) > room:
            title = title[: room - 1] + "…"
        table.add_row(name, mechanisms, title)
    (console if console.is_terminal else Console(width=10_000)).print(table)


@main.command()
@click.argument("run_dir", metavar="RUN")
def show(run_dir: str) -> None:
    """Summarise a run: listed stock, grades, sanctions, by hukou; calibration."""
    from scsim.results import Run
    from scsim.results.summary import render_summary, summarize

    with _user_errors():
        render_summary(summarize(Run(run_dir)), console)


@main.command()
@click.argument("run_dir", metavar="RUN")
@click.argument("sql")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
def query(run_dir: str, sql: str, as_csv: bool) -> None:
    """Run SQL (DuckDB) over a run's tables: timeseries, citizens, events, manifest."""
    from scsim.results import Run

    with _user_errors():
        table = Run(run_dir).query(sql)
        if as_csv:
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, sys.stdout.buffer)
            return
        out = Table(box=None, header_style="bold")
        for name in table.column_names:
            out.add_column(Text(name))
        for row in table.to_pylist()[:1000]:
            out.add_row(*(Text(_cell(v)) for v in row.values()))  # data, never rich markup
        console.print(out)
        if table.num_rows > 1000:
            console.print(f"… {table.num_rows - 1000} more rows (use --csv for all)")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _register() -> None:
    """Commands defined beside the code they drive (imported lazily: they load on use)."""
    from scsim.audit.commands import audit
    from scsim.audit.compare import compare_command
    from scsim.audit.explain_command import explain
    from scsim.report.command import report

    main.add_command(audit)
    main.add_command(compare_command)
    main.add_command(explain)
    main.add_command(report)


_register()

if __name__ == "__main__":
    main()
