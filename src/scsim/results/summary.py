"""The run summary: headline numbers computed by SQL over a run's views (``scsim show`` renders
them).

Sections follow the mechanisms of the run's scenario (read from its manifest): a scenario without
a court list has no listed section, one without a points scheme no grades, and measures are
split into sanctions and rewards (``Measure.is_reward``, as the audit does). For a run whose
manifest holds no readable scenario, a section appears when the run carries its metrics.
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


def _mechanisms(run: Run) -> dict[str, Any] | None:
    """What the run's scenario contains (from the resolved scenario in its manifest), or None
    for a run whose manifest holds no scenario this version can read."""
    from scsim.results.store import IncompatibleRun

    try:
        spec = run.scenario
    except IncompatibleRun:
        return None
    court, points, composite = spec.court_list(), spec.points_scheme(), spec.composite()

    def named(found: tuple[str, Any] | None) -> dict[str, str] | None:
        return None if found is None else {"name": found[0], "label": found[1].label or found[0]}

    return {
        "court_list": named(court),
        "points": named(points),
        "composite": named(composite),
        "lists": {n: {"kind": s.kind, "label": s.label or n} for n, s in spec.lists().items()},
        "measures": {
            n: {"reward": m.is_reward, "label": m.label or n} for n, m in spec.measures.items()
        },
        "rights": {n: r.label or n for n, r in spec.hukou.rights.items()},
        "events": {n: e.label or n for n, e in spec.behaviour.events.items()},
        "conversion": bool(spec.hukou.conversion),
        "graph": spec.world.population.graph is not None,
    }


def _shares_by_hukou(
    con: duckdb.DuckDBPyConnection, metric: str, metrics: set[str]
) -> list[dict[str, Any]]:
    """Per category of ``metric`` at the last date: people overall and their share of everyone,
    and of each hukou type."""
    if metric not in metrics:
        return []
    rows = _at_last(con, metric)
    population = _by_group(_at_last(con, "population")) if "population" in metrics else {}
    within = _by_hukou(rows, population)
    overall = _by_category(rows)
    total = population.get(ALL)
    return [
        {
            "category": c,
            "people": v,
            "share": v / total if total else None,
            "by_hukou": within.get(c, {}),
        }
        for c, v in overall.items()
    ]


def _over_run(con: duckdb.DuckDBPyConnection, metric: str, metrics: set[str]) -> float | None:
    """The sum of a per-epoch metric over the run, for group ``all``."""
    if metric not in metrics:
        return None
    row = con.execute(
        "SELECT sum(value) FROM ts WHERE metric = $m AND \"group\" = 'all'", {"m": metric}
    ).fetchone()
    return float(row[0]) if row and row[0] is not None else None


def _last_all(con: duckdb.DuckDBPyConnection, metric: str, metrics: set[str]) -> float | None:
    """A metric's overall value at its last date."""
    if metric not in metrics:
        return None
    return _by_group(_at_last(con, metric)).get(ALL)


def _composite(con: duckdb.DuckDBPyConnection, metrics: set[str]) -> dict[str, Any]:
    """Users of the composite score and the bands they are in, at the last date."""
    users = _last_all(con, "composite_users", metrics)
    bands = [r for r in _shares_by_hukou(con, "composite_band", metrics) if r["category"]]
    for band in bands:  # a band's share of the users, not of everyone
        band["share"] = band["people"] / users if users else None
    return {
        "users": users,
        "median": _last_all(con, "composite_median", metrics) if users else None,
        "bands": bands,
    }


def _network(con: duckdb.DuckDBPyConnection, metrics: set[str]) -> dict[str, Any]:
    """Ties dropped over the run, friends per person and score assortativity at the end."""
    return {
        "ties_dropped": _over_run(con, "ties_dropped", metrics),
        "friends_mean": _last_all(con, "friends_mean", metrics),
        "assortativity": _last_all(con, "score_assortativity", metrics),
    }


def _lists(
    con: duckdb.DuckDBPyConnection, metrics: set[str], lists: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """Members of each black and red list at the last date (and their share of everyone and of
    each hukou type), with the people who joined over the run."""
    members = {r["category"]: r for r in _shares_by_hukou(con, "list_members", metrics)}
    joined = {}
    if "list_joined" in metrics:
        rows = con.execute(
            "SELECT category, sum(value) FROM ts WHERE metric = 'list_joined' "
            "AND \"group\" = 'all' GROUP BY ALL"
        ).fetchall()
        joined = {c: float(v) for c, v in rows}
    out = []
    for name, info in lists.items():
        row = members.get(name, {"people": None, "share": None, "by_hukou": {}})
        out.append({"list": name, **info, **{k: row[k] for k in ("people", "share", "by_hukou")},
                    "joined": joined.get(name)})  # fmt: skip
    return out


def _calibration(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Calibration targets vs simulated values, from the manifest."""
    targets = manifest.get("calibration") or []
    if isinstance(targets, dict):
        targets = [{"name": k, **v} for k, v in targets.items()]
    keys = ("name", "target", "kind", "metric", "period", "low", "high", "simulated", "within",
            "covered")  # fmt: skip
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
        mech = _mechanisms(run)

        def has(mechanism: str) -> bool:
            """Whether the scenario has it (unknown scenario: whether its metrics are there)."""
            return mech is None or bool(mech[mechanism])

        measures = _sanctions(con, metrics) if mech is None or mech["measures"] else []

        def reward(row: dict[str, Any]) -> bool:
            return bool(mech) and mech["measures"].get(row["measure"], {}).get("reward", False)

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
            "mechanisms": mech,
            "listed": _listed(con, metrics) if has("court_list") else [],
            "listed_wrongful": _last_all(con, "listed_wrongful", metrics)
            if has("court_list")
            else None,
            "trapped": _last_all(con, "trapped", metrics) if has("court_list") else None,
            "grades": _grades(con, metrics) if has("points") else [],
            "sanctions": [r for r in measures if not reward(r)],
            "rewards": [r for r in measures if reward(r)],
            "composite": _composite(con, metrics) if has("composite") else None,
            "lists": _lists(con, metrics, mech["lists"]) if mech and mech["lists"] else [],
            "rights": _shares_by_hukou(con, "rights_lacking", metrics) if has("rights") else [],
            "conversions": _over_run(con, "hukou_conversions", metrics)
            if has("conversion")
            else None,
            "network": _network(con, metrics) if has("graph") else None,
            "events": _events(con, metrics),
            "calibration": _calibration(m),
        }
    finally:
        con.close()
