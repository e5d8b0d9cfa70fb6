"""``scsim compare A [B] [--reform NAME]``: paired differences of two scenarios or two sets of
runs, as tables, CSV or JSON."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table

from scsim.audit.defaults import DEFAULT_BY
from scsim.audit.tidy import ALL
from scsim.cli.console import RunsProgress, console, sized, user_errors
from scsim.cli.layout import labelled_rows, notes
from scsim.cli.run import say_removed_event_logs, seed_range
from scsim.results.format import FLAGS, fmt_difference, missing, pct, persons
from scsim.results.format import fmt_metric as _fmt
from scsim.results.format import fmt_num as _num
from scsim.scenario.schema import SEED_MAX

if TYPE_CHECKING:
    from scsim.audit.compare import Comparison
    from scsim.results import Run


@click.command("compare")
@click.argument("a")
@click.argument("b", required=False)
@click.option("--reform", help="Compare A with A under one of its named reforms (instead of B).")
@click.option("--set", "settings", multiple=True, metavar="PATH=VALUE",
              help="Set a parameter in B for the whole horizon (repeatable; without B, "
                   "B is A so changed), e.g. schemes.court.grace_days=90.")  # fmt: skip
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
@click.option("--resume", is_flag=True,
              help="Reuse the runs an interrupted compare of these scenarios completed.")  # fmt: skip
@click.option("--all", "show_all", is_flag=True,
              help="Also list the rows that are identical in every pair.")  # fmt: skip
@click.option("--report", "report", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also write the comparison as one offline HTML page (e.g. compare.html).")  # fmt: skip
@click.option("--json", "fmt", flag_value="json", help="Print JSON (every row, notes, runs).")
@click.option("--csv", "fmt", flag_value="csv", help="Print the tidy table as CSV.")
def compare_command(
    a: str,
    b: str | None,
    reform: str | None,
    settings: tuple[str, ...],
    replicates: int | None,
    seed: int | None,
    population: int | None,
    until: dt.datetime | None,
    days: int | None,
    by: str,
    workers: int,
    out: str,
    progress: str,
    resume: bool,
    show_all: bool,
    report: str | None,
    fmt: str | None,
) -> None:
    """Compare scenario A with scenario B (or A with --reform NAME, or A with --set changes) over
    the same seeds, or two existing runs (run directories, or folders of one scenario's runs, paired by seed).

    Reports each audit metric's paired difference B − A with a bootstrap interval across the
    replicate pairs (common random numbers: both sides share the population and every draw)."""
    with user_errors(
        "interrupted — the runs already complete are kept; the same command with --resume continues"
    ) as outcome:
        from scsim.experiments import compare
        from scsim.scenario.settings import parse_assignments

        changes = {path: v[0] for path, v in parse_assignments(settings).items()}
        if report is not None:  # a bad file name fails before any run starts
            from scsim.report.comparison import target

            target(report)
        started = dt.datetime.now(dt.UTC)
        display = RunsProgress(progress, 2 * (replicates or 1), serial=workers == 1)
        try:
            result = compare(
                a, b, reform=reform, settings=changes, replicates=replicates, seed=seed, population=population,
                days=days, until=until.date() if until else None, by=by, out=Path(out),
                workers=workers, progress=display.epoch, on_phase=display.phase,
                on_run=display.finished, resume=resume,
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
        if report is not None:
            from scsim.report.comparison import write_comparison_report

            path = write_comparison_report(result, report)
            (console if fmt is None else Console(stderr=True)).print(
                f"report written to [bold]{escape(str(path))}[/]", highlight=False, soft_wrap=True
            )
        say_removed_event_logs([*result.runs_a, *result.runs_b], started,
                               "scsim run … --events writes one again")  # fmt: skip


def render(result: Comparison, console: Console, *, show_all: bool = False) -> None:
    """The comparison as rich tables: one per grouping (changed rows only unless ``show_all``),
    then the notes."""
    info = result.info
    r = info.get("replicates", 0)
    console = sized(console)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    for side in ("a", "b"):
        s = info[side]
        head.add_row(side.upper(), escape(s["scenario"]))
        head.add_row("", escape(seed_range(_runs(result, side))))
    seeds = info.get("seeds") or []
    head.add_row("pairs", f"{r} (seeds {seeds[0]} to {seeds[-1]})" if r > 1 else
                 f"1 (seed {seeds[0] if seeds else '?'})")  # fmt: skip
    weight = info.get("weight") or 1.0
    n = info.get("n_agents") or 0
    horizon = info.get("horizon") or {}
    head.add_row(
        "population",
        f"{_num(n)} agents · {persons(n * weight)} persons · {horizon.get('start')} to "
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
            console.print(
                _pairs(
                    grouping,
                    shown,
                    r,
                    info["confidence"],
                    console.width,
                    info.get("category_labels"),
                )
            )
    if hidden and hidden == len(rows):
        console.print(
            f"no metric differs in any pair: all {hidden} rows are identical (--all lists them)",
            highlight=False,
        )
    elif hidden:
        console.print(
            f"[dim]{hidden} rows identical in every pair are not shown (--all lists them; "
            "--csv or --json give every row)[/]",
            highlight=False,
        )
    if result.notes:
        console.print(notes(result.notes), highlight=False)


def _runs(result: Comparison, side: str) -> list[Run]:
    return result.runs_a if side == "a" else result.runs_b


def _pairs(
    grouping: str,
    rows: list[dict[str, Any]],
    replicates: int,
    confidence: float,
    width: int,
    labels: dict[str, dict[str, str]] | None = None,
) -> RenderableType:
    """One grouping's rows: a table when it fits unwrapped, else one record per metric."""
    headers = (["group"] if grouping != ALL else []) + ["A", "B", "B − A"]
    if replicates > 1:
        headers.append(f"{confidence * 100:g}% interval")
    title = "Overall" if grouping == ALL else f"By {grouping}"
    labelled = [(_label(row, labels or {}), _cells(row, grouping, replicates)) for row in rows]
    means = "means over the runs of each side; " if replicates > 1 else ""
    from scsim.cli.audit import CAPTION

    caption = f"{CAPTION}; {means}B − A in percentage points (pp) for shares"
    if any(row["metric"] == "switched_share" for row in rows):
        from scsim.audit.labels import metric_label

        caption += (f"; {metric_label('switched_share')}: A, hit in A's run and not in B's (B spares "
                    "them); B, hit in B's and not in A's (B adds them)")  # fmt: skip
    return labelled_rows(title, "metric", headers, labelled, width,
                         left=[0] if grouping != ALL else [], caption=caption)  # fmt: skip


def _cells(row: dict[str, Any], grouping: str, replicates: int) -> list[str]:
    """A row's cells after its label: group, A, B, B − A and the interval."""
    metric = row["metric"]
    cells = [escape(row["group"])] if grouping != ALL else []
    cells += [_value(metric, row["a"]), _value(metric, row["b"]),
              _difference(metric, row["difference"])]  # fmt: skip
    if replicates > 1:
        low, high = row["ci_low"], row["ci_high"]
        cells.append(
            "–" if missing(low) else f"{_difference(metric, low)} to {_difference(metric, high)}"
        )
    return cells


def _label(row: dict[str, Any], labels: dict[str, dict[str, str]]) -> str:
    """A row's name as the audit's terminal table gives it (labels; identifiers in --csv)."""
    from scsim.cli.audit import _label as audit_label

    return audit_label(row["metric"], row["category"], labels)


def _value(metric: str, value: float | None) -> str:
    if metric in FLAGS:
        return "–" if missing(value) else f"{pct(value)} of runs"
    return _fmt(metric, value)


_difference = fmt_difference
