"""The run summary: headline numbers computed by SQL over a run's views, rendered with rich.

Every section is optional: it appears only when the run carries the metrics it needs, so the
summary works for any scenario.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import duckdb
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scsim.results.store import TIMESERIES, Run

ALL = "all"
HUKOU = {"hukou=rural": "rural hukou", "hukou=urban": "urban hukou"}  # group → column label
EVENT_METRICS = ("events_true", "events_recorded", "wrongful_records")

# Rows of one metric at its last date, in the order they first appear in the file.
_AT_LAST_SQL = """
WITH m AS (SELECT * FROM ts WHERE metric = $metric)
SELECT "group", coalesce(category, '') AS category, sum(value) AS value, min(rn) AS first
FROM m WHERE date = (SELECT max(date) FROM m)
GROUP BY ALL ORDER BY first
"""

_EVENTS_SQL = """
SELECT coalesce(category, '') AS category,
       sum(value) FILTER (WHERE metric = 'events_true') AS n_true,
       sum(value) FILTER (WHERE metric = 'events_recorded') AS n_recorded,
       sum(value) FILTER (WHERE metric = 'wrongful_records') AS n_wrongful,
       min(rn) AS first
FROM ts
WHERE "group" = 'all' AND metric IN ('events_true', 'events_recorded', 'wrongful_records')
GROUP BY ALL ORDER BY first
"""


# --------------------------------------------------------------------------------------------
# Computing


def _connect(run: Run) -> duckdb.DuckDBPyConnection:
    """The run's views plus ``ts``: the time series with its file row number as ``rn``."""
    con = run.connect()
    source = str(run.file(TIMESERIES).resolve()).replace("'", "''")
    con.execute(
        "CREATE VIEW ts AS SELECT * EXCLUDE (file_row_number), file_row_number AS rn "
        f"FROM read_parquet('{source}', file_row_number = true)"
    )
    return con


def _at_last(con: duckdb.DuckDBPyConnection, metric: str) -> list[tuple[str, str, float]]:
    """(group, category, value) of ``metric`` at its last date."""
    rows = con.execute(_AT_LAST_SQL, {"metric": metric}).fetchall()
    return [(g, c, float(v)) for g, c, v, _ in rows]


def _by_category(rows: Iterable[tuple[str, str, float]], group: str = ALL) -> dict[str, float]:
    """Category → value for one group."""
    return {c: v for g, c, v in rows if g == group}


def _by_group(rows: Iterable[tuple[str, str, float]]) -> dict[str, float]:
    """Group → value for the uncategorised rows."""
    return {g: v for g, c, v in rows if c == ""}


def _listed(con: duckdb.DuckDBPyConnection, metrics: set[str]) -> list[dict[str, Any]]:
    """Listed stock and listed share of adults by group, at the last date."""
    stock = _by_group(_at_last(con, "listed")) if "listed" in metrics else {}
    share = (
        _by_group(_at_last(con, "listed_share_adults")) if "listed_share_adults" in metrics else {}
    )
    groups = list(dict.fromkeys([*stock, *share]))
    groups.sort(key=lambda g: g != ALL)  # stable: "all" first, others in file order
    return [{"group": g, "listed": stock.get(g), "share_adults": share.get(g)} for g in groups]


def _by_hukou(
    rows: list[tuple[str, str, float]], denominators: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Category → {hukou group → value / that group's denominator} (groups present only)."""
    out: dict[str, dict[str, float]] = {}
    for g, c, v in rows:
        if g in HUKOU and denominators.get(g):
            out.setdefault(c, {})[g] = v / denominators[g]
    return out


def _grades(con: duckdb.DuckDBPyConnection, metrics: set[str]) -> list[dict[str, Any]]:
    """Grade counts and shares at the last date, overall and within each hukou type."""
    if "grade_count" not in metrics:
        return []
    rows = _at_last(con, "grade_count")
    counts = _by_category(rows)
    graded: dict[str, float] = {}
    for g, _, v in rows:
        graded[g] = graded.get(g, 0.0) + v
    within = _by_hukou(rows, graded)
    total = sum(counts.values())
    return [
        {
            "grade": g,
            "count": n,
            "share": n / total if total else None,
            "by_hukou": within.get(g, {}),
        }
        for g, n in counts.items()
    ]


def _sanctions(con: duckdb.DuckDBPyConnection, metrics: set[str]) -> list[dict[str, Any]]:
    """People under each measure (overall, and as a share of each hukou type's population) and
    cumulative sanction days, at the last date."""
    rows = _at_last(con, "sanctioned") if "sanctioned" in metrics else []
    people = _by_category(rows)
    days = _by_category(_at_last(con, "sanction_days")) if "sanction_days" in metrics else {}
    population = _by_group(_at_last(con, "population")) if "population" in metrics else {}
    within = _by_hukou(rows, population)
    measures = list(dict.fromkeys([*people, *days]))
    return [
        {"measure": m, "people": people.get(m), "days": days.get(m), "by_hukou": within.get(m, {})}
        for m in measures
    ]


def _hukou_columns(rows: list[dict[str, Any]]) -> list[str]:
    """The hukou groups that any row has a share for, in HUKOU order."""
    present = {g for row in rows for g in row.get("by_hukou", {})}
    return [g for g in HUKOU if g in present]


def _sum_or_none(values: Iterable[float | None]) -> float | None:
    """The sum of the non-missing values, or None if all are missing."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _events(con: duckdb.DuckDBPyConnection, metrics: set[str]) -> dict[str, Any]:
    """True, recorded and wrongful events over the whole run, by category, with totals."""
    if not metrics.intersection(EVENT_METRICS):
        return {"by_category": [], "total": None}
    rows = con.execute(_EVENTS_SQL).fetchall()
    cats = [{"category": c, "true": t, "recorded": r, "wrongful": w} for c, t, r, w, _ in rows]
    named = [row for row in cats if row["category"] != ""]
    total: dict[str, Any] = {"category": "total"}
    for key in ("true", "recorded", "wrongful"):
        parts = [row[key] for row in named if row[key] is not None]
        unnamed = [row[key] for row in cats if row["category"] == ""]
        total[key] = _sum_or_none(parts) if parts else _sum_or_none(unnamed)
    return {"by_category": named, "total": total}


def _calibration(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Calibration targets vs simulated values, from the manifest."""
    targets = manifest.get("calibration") or []
    if isinstance(targets, dict):
        targets = [{"name": k, **v} for k, v in targets.items()]
    keys = ("name", "metric", "period", "low", "high", "simulated", "within", "covered")
    return [{k: t.get(k) for k in keys} for t in targets if isinstance(t, dict)]


def _get(mapping: Any, *keys: str) -> Any:
    """A nested value, or None where any level is missing."""
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def summarize(run: Run) -> dict[str, Any]:
    """The headline numbers of a run, as a plain dict (sections empty when metrics are absent)."""
    m = run.manifest
    con = _connect(run)
    try:
        metrics = {r[0] for r in con.execute("SELECT DISTINCT metric FROM ts").fetchall()}
        last = con.execute("SELECT max(date) FROM ts").fetchone()
        return {
            "name": run.name,
            "seed": run.seed,
            "scenario_hash": run.scenario_hash,
            "hash8": run.hash8,
            "path": str(run.path),
            "population": {
                "n_agents": _get(m, "population", "n_agents"),
                "real_population": _get(m, "population", "real_population"),
            },
            "horizon": {"start": _get(m, "horizon", "start"), "end": _get(m, "horizon", "end")},
            "simulate_s": _get(m, "timings", "simulate_s"),
            "last_date": last[0].isoformat() if last and last[0] is not None else None,
            "listed": _listed(con, metrics),
            "grades": _grades(con, metrics),
            "sanctions": _sanctions(con, metrics),
            "events": _events(con, metrics),
            "calibration": _calibration(m),
        }
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# Formatting


def _missing(x: Any) -> bool:
    """None or NaN."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_num(x: float | int | None) -> str:
    """A count for humans: 1,234 · 45.6 k · 1.23 M · 1.41 B."""
    if _missing(x):
        return "–"
    x = float(x)  # type: ignore[arg-type]
    a = abs(x)
    for scale, suffix, threshold in ((1e9, "B", 1e9), (1e6, "M", 1e6), (1e3, "k", 1e4)):
        if a >= threshold:
            return f"{x / scale:.3g} {suffix}" if a < 1e3 * scale else f"{x / scale:,.0f} {suffix}"
    if a >= 1000 or x == round(x):
        return f"{x:,.0f}"
    return f"{x:.3g}"


def fmt_pct(x: float | None) -> str:
    """A share for humans: 4.5% · 0.0123%."""
    if _missing(x):
        return "–"
    return f"{float(x) * 100:.3g}%"  # type: ignore[arg-type]


def fmt_duration(seconds: float | None) -> str:
    """A duration for humans: 850 ms · 12.3 s · 4 min 05 s · 1 h 02 min."""
    if _missing(seconds):
        return "–"
    s = float(seconds)  # type: ignore[arg-type]
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 60:
        return f"{s:.3g} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def _fmt_value(metric: str | None, x: float | None) -> str:
    """A calibration value: a share if the metric looks like one, else a count."""
    name = (metric or "").lower()
    is_share = any(word in name for word in ("share", "rate", "fraction", "prop"))
    return fmt_pct(x) if is_share else fmt_num(x)


def _fmt_period(period: Any) -> str:
    """A calibration period: a single date/label or a range."""
    if isinstance(period, list | tuple):
        return "…".join(str(p) for p in period)
    return "–" if period is None else str(period)


# --------------------------------------------------------------------------------------------
# Rendering


def _table(title: str, *columns: str) -> Table:
    """A compact table; the first column left-aligned, the rest right-aligned."""
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    return table


def _header(s: dict[str, Any]) -> Table:
    """Scenario, population, horizon and timing as a two-column grid."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    pop = s["population"]
    agents, persons = pop.get("n_agents"), pop.get("real_population")
    population = f"{fmt_num(agents)} agents"
    if not _missing(persons):
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
    if not _missing(s.get("simulate_s")):
        grid.add_row("simulated in", fmt_duration(s["simulate_s"]))
    return grid


def _listed_table(s: dict[str, Any]) -> Table:
    """Listed stock and share by group."""
    table = _table(f"Listed at {s['last_date']}", "group", "listed", "share of adults")
    for row in s["listed"]:
        table.add_row(escape(row["group"]), fmt_num(row["listed"]), fmt_pct(row["share_adults"]))
    return table


def _grades_table(s: dict[str, Any]) -> Table:
    """Grade distribution, overall and within each hukou type."""
    groups = _hukou_columns(s["grades"])
    table = _table(
        f"Grades at {s['last_date']}", "grade", "people", "share", *(HUKOU[g] for g in groups)
    )
    for row in s["grades"]:
        within = [fmt_pct(row["by_hukou"].get(g)) for g in groups]
        table.add_row(escape(row["grade"]), fmt_num(row["count"]), fmt_pct(row["share"]), *within)
    return table


def _sanctions_table(s: dict[str, Any]) -> Table:
    """People under each measure, their share of each hukou type, and cumulative person-days."""
    groups = _hukou_columns(s["sanctions"])
    table = _table(
        f"Sanctions at {s['last_date']}",
        "measure",
        "people now",
        *(HUKOU[g] for g in groups),
        "person-days",
    )
    if groups:
        table.caption = "rural/urban hukou: share of everyone with that hukou type"
        table.caption_justify = "left"
    for row in s["sanctions"]:
        within = [fmt_pct(row["by_hukou"].get(g)) for g in groups]
        table.add_row(escape(row["measure"]), fmt_num(row["people"]), *within, fmt_num(row["days"]))
    return table


def _events_table(s: dict[str, Any]) -> Table:
    """Events over the whole run."""
    events = s["events"]
    rows = [*events["by_category"], events["total"]]
    wrongful = any(r["wrongful"] is not None for r in rows)
    columns = ["event", "true", "recorded", "recorded/true"] + (["wrongful"] if wrongful else [])
    table = _table("Events over the run", *columns)
    for i, row in enumerate(rows):
        t, r = row["true"], row["recorded"]
        ratio = r / t if not _missing(t) and not _missing(r) and t else None
        cells = [escape(row["category"]), fmt_num(t), fmt_num(r), fmt_pct(ratio)]
        cells += [fmt_num(row["wrongful"])] if wrongful else []
        table.add_row(
            *cells, end_section=i == len(rows) - 2, style="bold" if i == len(rows) - 1 else None
        )
    return table


def _calibration_table(s: dict[str, Any]) -> Table:
    """Calibration targets against simulated values."""
    table = _table("Calibration", "target", "period", "range", "simulated", "")
    for row in s["calibration"]:
        metric = row["metric"]
        span = f"{_fmt_value(metric, row['low'])} – {_fmt_value(metric, row['high'])}"
        within = row["within"]
        if row.get("covered") is False:
            mark = "[yellow]partial[/]"
            table.caption = "partial: the run covers only part of the period, so it is not judged"
            table.caption_justify = "left"
        else:
            mark = "–" if within is None else ("[green]✓[/]" if within else "[red]✗[/]")
        table.add_row(
            escape(str(row["name"])),
            escape(_fmt_period(row["period"])),
            span,
            _fmt_value(metric, row["simulated"]),
            mark,
        )
    return table


def render_summary(summary: dict[str, Any], console: Console) -> None:
    """Print a run summary: a header, then one compact table per section present."""
    console.print(_header(summary))
    sections = [
        (summary["listed"], _listed_table),
        (summary["grades"], _grades_table),
        (summary["sanctions"], _sanctions_table),
        (summary["events"]["by_category"] or summary["events"]["total"], _events_table),
        (summary["calibration"], _calibration_table),
    ]
    for present, build in sections:
        if present:
            console.print()
            console.print(build(summary))
