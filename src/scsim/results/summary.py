"""The run summary: headline numbers computed by SQL over a run's views (``scsim show`` renders
them).

Every section is optional: it appears only when the run carries the metrics it needs, so the
summary works for any scenario.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

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
        f"FROM read_parquet('{source}', file_row_number = true, hive_partitioning = false)"
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


def hukou_columns(rows: list[dict[str, Any]]) -> list[str]:
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
