"""``scsim show RUN`` and ``scsim query RUN SQL``: a run's summary and SQL over its tables."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import sys
from typing import TYPE_CHECKING, Any

import click
from rich import box
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from scsim.cli.console import console, sized, user_errors
from scsim.cli.layout import needed_width
from scsim.results.format import (
    fmt_calibration,
    fmt_duration,
    fmt_num,
    fmt_pct,
    fmt_period,
    missing,
)
from scsim.results.summary import HUKOU, hukou_columns

if TYPE_CHECKING:
    import pyarrow as pa


@click.command()
@click.argument("run_dir", metavar="RUN")
def show(run_dir: str) -> None:
    """Summarise a run: a section per mechanism of its scenario (court list, grades, score
    bands, black and red lists, sanctions, rewards, hukou rights, friendship ties), by hukou;
    events; calibration."""
    with user_errors():
        from scsim.results import Run
        from scsim.results.summary import summarize

        render_summary(summarize(Run(run_dir)), console)


@click.command()
@click.argument("run_dir", metavar="RUN")
@click.argument("sql")
@click.option("--csv", "fmt", flag_value="csv", help="Print CSV instead of a table.")
@click.option("--json", "fmt", flag_value="json",
              help="Print JSON: a list of rows, each an object by column name.")  # fmt: skip
def query(run_dir: str, sql: str, fmt: str | None) -> None:
    """Run SQL (DuckDB) over a run's tables: timeseries, citizens, events, manifest.

    A result too wide for the terminal prints one record per row; --csv and --json print every
    row."""
    with user_errors():
        from scsim.results import Run

        table = Run(run_dir).query(sql)
        if fmt == "csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, sys.stdout.buffer)
            return
        if fmt == "json":
            rows = [{k: _finite(v) for k, v in row.items()} for row in table.to_pylist()]
            text = json.dumps(rows, ensure_ascii=False, default=_json_value, allow_nan=False)
            sys.stdout.write(text + "\n")
            return
        render_query(table, console)


def _finite(value: object) -> object:
    """A NaN or an infinity as null (JSON has neither)."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _json_value(value: object) -> object:
    """Dates as ISO text, decimals and anything else DuckDB returns as text or numbers."""
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)


ROW_LIMIT = 1000


def render_query(table: pa.Table, console: Console) -> None:
    """A query's result as a table when it fits the width, else one record per row (column
    names down the left, as psql's ``\\x``); at most ROW_LIMIT rows either way."""
    console = sized(console)
    rows = table.slice(0, ROW_LIMIT).to_pylist()
    out = Table(box=None, header_style="bold")
    for name in table.column_names:
        out.add_column(Text(name), no_wrap=True)
    for row in rows:
        out.add_row(*(Text(_cell(v)) for v in row.values()))  # data, never rich markup
    if needed_width(out) <= console.width:
        console.print(out)
    else:
        console.print(
            f"[dim]{table.num_columns} columns do not fit in a width of {console.width}: one record per "
            "row (--csv prints them as a table)[/]",
            highlight=False,
        )
        for i, row in enumerate(rows, start=1):
            record = Table.grid(padding=(0, 2))
            record.add_column(style="bold", no_wrap=True)
            record.add_column(overflow="fold")
            for name, value in row.items():
                record.add_row(Text(name), Text(_cell(value)))
            console.print(Rule(f"row {i}", align="left", style="dim"))
            console.print(record)
    if table.num_rows > ROW_LIMIT:
        console.print(f"… {table.num_rows - ROW_LIMIT} more rows (use --csv for all)")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


# --------------------------------------------------------------------------------------------
# The summary


def _table(title: str, *columns: str) -> Table:
    """A compact table; the first column (the names) left-aligned and folded, never cut, where
    it is too narrow; the rest right-aligned."""
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )
    for i, col in enumerate(columns):
        if i == 0:
            table.add_column(col, justify="left", overflow="fold")
        else:
            table.add_column(col, justify="right")
    return table


def _header(s: dict[str, Any]) -> Table:
    """Scenario, population, horizon and timing as a two-column grid."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    pop = s["population"]
    agents, persons = pop.get("n_agents"), pop.get("real_population")
    population = f"{fmt_num(agents)} agents"
    if not missing(persons):
        population += f" · {fmt_num(persons)} persons"
        if agents:
            population += f" ({fmt_num(persons / agents)} per agent)"
    grid.add_row("scenario", f"{escape(str(s['name']))}  seed {s['seed']}  hash {s['hash8']}")
    grid.add_row("population", population)
    horizon = s["horizon"]
    if horizon.get("start") or horizon.get("end"):
        grid.add_row("horizon", f"{horizon.get('start') or '?'} → {horizon.get('end') or '?'}")
    if s.get("last_date"):
        grid.add_row("last date", str(s["last_date"]))
    if not missing(s.get("simulate_s")):
        grid.add_row("simulated in", fmt_duration(s["simulate_s"]))
    return grid


def _listed_table(s: dict[str, Any]) -> RenderableType:
    """Listed stock and share by group, under the court list's name."""
    court = (s.get("mechanisms") or {}).get("court_list")
    table = _table(f"Listed at {s['last_date']}", "group", "listed", "share of adults")
    for row in s["listed"]:
        table.add_row(escape(row["group"]), fmt_num(row["listed"]), fmt_pct(row["share_adults"]))
    facts = []
    if not missing(s.get("listed_wrongful")):
        facts.append(f"listed on records that were not theirs: {fmt_num(s['listed_wrongful'])}")
    if not missing(s.get("trapped")):
        facts.append(f"listed a year or more and unable to pay: {fmt_num(s['trapped'])}")
    if facts:
        table.caption, table.caption_justify = "\n".join(facts), "left"
    if court is None:
        return table
    return Group(Text(court["label"], style="bold"), table)


def _grades_table(s: dict[str, Any]) -> RenderableType:
    """Grade distribution, overall and within each hukou type, under the points scheme's name
    ("share": of the people scored)."""
    points = (s.get("mechanisms") or {}).get("points")
    groups = hukou_columns(s["grades"])
    table = _table(
        f"Grades at {s['last_date']}", "grade", "people", "share", *(HUKOU[g] for g in groups)
    )
    for row in s["grades"]:
        within = [fmt_pct(row["by_hukou"].get(g)) for g in groups]
        table.add_row(escape(row["grade"]), fmt_num(row["count"]), fmt_pct(row["share"]), *within)
    table.caption = "share: of the people graded" + (
        "; rural/urban hukou: of the graded with that hukou type" if groups else ""
    )
    table.caption_justify = "left"
    if points is None:
        return table
    return Group(Text(points["label"], style="bold"), table)


def _sanctions_table(s: dict[str, Any], key: str = "sanctions") -> Table:
    """People under each measure, their share of each hukou type, and cumulative person-days."""
    groups = hukou_columns(s[key])
    table = _table(
        f"{key.capitalize()} at {s['last_date']}",
        "reward" if key == "rewards" else "sanction",
        "people now",
        *(HUKOU[g] for g in groups),
        "person-days",
    )
    if groups:
        table.caption = "rural/urban hukou: share of everyone with that hukou type"
        table.caption_justify = "left"
    labels = (s.get("mechanisms") or {}).get("measures") or {}
    for row in s[key]:
        within = [fmt_pct(row["by_hukou"].get(g)) for g in groups]
        name = (labels.get(row["measure"]) or {}).get("label") or row["measure"]
        table.add_row(escape(name), fmt_num(row["people"]), *within, fmt_num(row["days"]))
    return table


def _rewards_table(s: dict[str, Any]) -> Table:
    return _sanctions_table(s, "rewards")


def _shares_table(
    title: str,
    name: str,
    rows: list[dict[str, Any]],
    share: str,
    labels: dict[str, str] | None = None,
) -> Table:
    """People per category (by its label where ``labels`` has one), their share (of everyone,
    or of ``share``), and of each hukou type."""
    groups = hukou_columns(rows)
    table = _table(title, name, "people", f"share of {share}", *(HUKOU[g] for g in groups))
    for row in rows:
        within = [fmt_pct(row["by_hukou"].get(g)) for g in groups]
        category = (labels or {}).get(row["category"]) or row["category"]
        table.add_row(escape(category), fmt_num(row["people"]), fmt_pct(row["share"]), *within)
    if groups:
        table.caption = "rural/urban hukou: share of everyone with that hukou type"
        table.caption_justify = "left"
    return table


def _composite_section(s: dict[str, Any]) -> RenderableType:
    """Users of the composite score and its bands (a line when it has no users yet)."""
    c, about = s["composite"], (s.get("mechanisms") or {}).get("composite")
    name = escape(about["label"] if about else "Composite score")
    if not c["users"]:
        return Text.from_markup(f"[bold]{name}[/]: no users at {s['last_date']}")
    median = "" if missing(c["median"]) else f", median score {fmt_num(c['median'])}"
    head = Text.from_markup(f"[bold]{name}[/]: {fmt_num(c['users'])} users{median}")
    title = f"Score bands at {s['last_date']}"
    return Group(head, _shares_table(title, "band", c["bands"], "users"))


def _lists_table(s: dict[str, Any]) -> Table:
    """Members of each black and red list now, by hukou, and who joined over the run."""
    rows = s["lists"]
    groups = hukou_columns(rows)
    table = _table(
        f"Black and red lists at {s['last_date']}",
        "list", "kind", "on it", "share", *(HUKOU[g] for g in groups), "joined",
    )  # fmt: skip
    labels = (s.get("mechanisms") or {}).get("lists") or {}
    for row in rows:
        within = [fmt_pct(row["by_hukou"].get(g)) for g in groups]
        kind = "red" if row["kind"] == "redlist" else "black"
        name = (labels.get(row["list"]) or {}).get("label") or row["list"]
        table.add_row(escape(name), kind, fmt_num(row["people"]), fmt_pct(row["share"]),
                      *within, fmt_num(row["joined"]))  # fmt: skip
    table.caption = "share: of everyone (rural/urban: of that hukou type); joined: over the run"
    table.caption_justify = "left"
    return table


def _rights_section(s: dict[str, Any]) -> RenderableType:
    """People lacking each hukou right, and conversions to a local hukou over the run."""
    parts: list[RenderableType] = []
    if s["rights"]:
        title = f"Hukou rights lacked at {s['last_date']}"
        labels = (s.get("mechanisms") or {}).get("rights") or {}
        parts.append(_shares_table(title, "right", s["rights"], "everyone", labels))
    if not missing(s["conversions"]):
        parts.append(Text(f"hukou conversions over the run: {fmt_num(s['conversions'])} persons"))
    return Group(*parts)


def _network_section(s: dict[str, Any]) -> RenderableType:
    """The friendship graph: ties dropped, friends per person, score assortativity."""
    n = s["network"]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("ties dropped over the run", fmt_num(n["ties_dropped"]))
    grid.add_row(f"friends per person at {s['last_date']}", fmt_num(n["friends_mean"]))
    if not missing(n["assortativity"]):
        grid.add_row("score assortativity (ties)", f"{n['assortativity']:.2f}")
    return Group(Text("Friendship graph", style="table.title"), grid)


def _events_table(s: dict[str, Any]) -> Table:
    """Events over the whole run, by their labels."""
    events = s["events"]
    labels = (s.get("mechanisms") or {}).get("events") or {}
    rows = [*events["by_category"], events["total"]]
    wrongful = any(r["wrongful"] is not None for r in rows)
    columns = ["event", "true", "recorded", "recorded/true"] + (["wrongful"] if wrongful else [])
    table = _table("Events over the run", *columns)
    table.caption = "true: acts committed · recorded: records made of them" + (
        " · wrongful: of those, put on someone else" if wrongful else ""
    )
    table.caption_justify = "left"
    for i, row in enumerate(rows):
        t, r = row["true"], row["recorded"]
        ratio = r / t if not missing(t) and not missing(r) and t else None
        name = labels.get(row["category"]) or row["category"]
        cells = [escape(name), fmt_num(t), fmt_num(r), fmt_pct(ratio)]
        cells += [fmt_num(row["wrongful"])] if wrongful else []
        table.add_row(
            *cells, end_section=i == len(rows) - 2, style="bold" if i == len(rows) - 1 else None
        )
    return table


def _calibration_table(s: dict[str, Any]) -> Table:
    """Calibration targets against simulated values."""
    table = _table("Calibration", "target", "period", "range", "simulated", "")
    previous = None
    for row in s["calibration"]:
        target = row.get("target") or row["name"]  # a series' points: its name once
        name, previous = ("" if target == previous else target), target
        period = fmt_period(row["period"])
        if row.get("target") and isinstance(row["period"], list | tuple):
            # A series' points share their first day: said once under its name, so that each
            # point's period is its date and nothing is cut at 80 columns.
            name = f"{name}\nsince {row['period'][0]}" if name else ""
            period = str(row["period"][-1])
        metric = row["metric"]
        span = f"{fmt_calibration(metric, row['low'])} – {fmt_calibration(metric, row['high'])}"
        within = row["within"]
        if row.get("covered") is False:
            mark = "[yellow]partial[/]"
            table.caption = "partial: the run covers only part of the period, so it is not judged"
            table.caption_justify = "left"
        else:
            mark = "–" if within is None else ("[green]✓[/]" if within else "[red]✗[/]")
        table.add_row(
            escape(str(name)),
            escape(period),
            span,
            fmt_calibration(metric, row["simulated"]),
            mark,
        )
    return table


def render_summary(summary: dict[str, Any], console: Console) -> None:
    """Print a run summary: a header, then one compact section per mechanism the scenario has
    (court list, grades, composite score, black and red lists, sanctions, rewards, hukou rights,
    friendship graph), then events and calibration."""
    console.print(_header(summary))
    sections = [
        (summary["listed"], _listed_table),
        (summary["grades"], _grades_table),
        (summary.get("composite"), _composite_section),
        (summary.get("lists"), _lists_table),
        (summary["sanctions"], _sanctions_table),
        (summary.get("rewards"), _rewards_table),
        (summary.get("rights") or not missing(summary.get("conversions")), _rights_section),
        (summary.get("network"), _network_section),
        (summary["events"]["by_category"] or summary["events"]["total"], _events_table),
        (summary["calibration"], _calibration_table),
    ]
    for present, build in sections:
        if present:
            console.print()
            console.print(build(summary))
