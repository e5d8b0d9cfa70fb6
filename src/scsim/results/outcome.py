"""An engine outcome written as a run directory: the tidy time series, one citizens row per
agent, the event log, and the manifest (see :class:`scsim.results.RunWriter` for the atomic
write)."""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pyarrow as pa

from scsim import __version__
from scsim.core.layout import (
    ASSET_SEARCHES,
    BLOCKED_AIR,
    CASE_AMOUNT,
    CASE_WRONGFUL,
    CASES_PAID,
    CONSENT,
    DAYS_LISTED,
    DEBT,
    ESCAPES,
    EVER_TRAPPED,
    EXITS_CREDITOR,
    EXITS_EXPIRY,
    EXITS_LISTED_PAID,
    EXITS_NO_ASSETS,
    EXITS_SETTLEMENT,
    GROUND,
    INCOME,
    LAST_EXIT,
    LISTED,
    LISTED_ESCAPES,
    LISTED_SINCE,
    MEASURE_FLAGS,
    N_CASES,
    N_LISTINGS,
    POINTS,
    SCORED,
    STAGE,
    WEALTH,
    WRONGFUL_LISTINGS,
    WRONGFUL_POINTS,
    WRONGFUL_RECORDS,
)
from scsim.core.vocabulary import CONSEQUENCES, FLAG, NUMBER, TRAVEL_MODES, ColumnType, category
from scsim.engine import kernel
from scsim.engine.metrics import has_travel
from scsim.engine.simulate import Outcome, thread_count
from scsim.mechanisms import registry
from scsim.mechanisms.court_list import (
    EXIT_CREDITOR,
    EXIT_ESCAPED,
    EXIT_EXPIRY,
    EXIT_NO_ASSETS,
    EXIT_PAID,
    EXIT_SETTLEMENT,
)
from scsim.population.census import EDUCATION_LEVELS, PROVINCE_NAMES
from scsim.results.store import Run, RunWriter, run_dir_name
from scsim.scenario.schema import ScenarioSpec

CASE_STAGES = ["none", "awaiting_payment", "in_grace", "listed", "unlisted_enforcement"]
LISTING_GROUNDS = ["none", "refusing", "evasion"]  # core.layout.GROUND_* order
LOG_CODES = {
    kernel.LOG_EVENT: "event",
    kernel.LOG_WRONGFUL_RECORD: "wrongful_record",
    kernel.LOG_POINTS: "points",
    kernel.LOG_CASE_OPENED: "case_opened",
    kernel.LOG_LISTED: "listed",
    kernel.LOG_CASE_CLOSED: "case_closed",
    kernel.LOG_MOVED: "moved",
    kernel.LOG_LIST_JOINED: "list_joined",
    kernel.LOG_BLOCKED: "blocked",
}
EXIT_NAMES = {EXIT_PAID: "paid", EXIT_EXPIRY: "expiry", EXIT_NO_ASSETS: "no_assets",
              EXIT_ESCAPED: "escaped", EXIT_SETTLEMENT: "settlement",
              EXIT_CREDITOR: "creditor"}  # fmt: skip
# How the last listing ended (core.layout.LAST_EXIT: 0 while listed or if never listed).
LAST_EXITS = ["none", *(EXIT_NAMES[r] for r in sorted(EXIT_NAMES))]


def write(
    outcome: Outcome,
    out: Path,
    check: Callable[[pa.Table], list[dict[str, Any]]] = lambda _: [],
) -> Run:
    """Write an in-memory outcome as a run directory (atomically) and open it; ``check`` turns
    the time series into the manifest's calibration entries."""
    sc = outcome.scenario
    timeseries = pa.table(outcome.timeseries)
    clock = dt.datetime.now()
    name = run_dir_name(sc.run_name, sc.hash, outcome.seed)
    with RunWriter(out, name, scenario_hash=sc.hash) as writer:
        writer.write_timeseries(timeseries)
        writer.write_citizens(citizen_columns(outcome))
        if outcome.events is not None:
            writer.write_events(event_table(outcome))
        timings = dict(outcome.timings)
        timings["write_s"] = (dt.datetime.now() - clock).total_seconds()
        path = writer.commit(manifest(outcome, check(timeseries), timings))
    return Run(path)


def manifest(outcome: Outcome, calibration: list[dict], timings: dict) -> dict[str, Any]:
    sc = outcome.scenario
    pop = outcome.population
    return {
        "name": sc.name,
        "title": sc.spec.title,
        "source": sc.source,
        "reforms_applied": list(sc.reforms_applied),
        "scenario_hash": sc.hash,
        "seed": outcome.seed,
        "population": {
            "n_agents": len(pop),
            "real_population": pop.weight * len(pop),
            "weight": pop.weight,
        },
        "horizon": {
            "start": outcome.start.isoformat(),
            "end": outcome.end.isoformat(),
            "days": (outcome.end - outcome.start).days + 1,
        },
        "timings": timings,
        "threads": thread_count(),
        "versions": {
            "scsim": __version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": numba.__version__,
            "pyarrow": pa.__version__,
        },
        "calibration": calibration,
        "scenario": sc.resolved(),
    }


# The columns every run writes, by type (citizen_column_types declares the rest per scenario).
ATTRIBUTE_COLUMNS: dict[str, ColumnType] = {
    "province": category(PROVINCE_NAMES), "hukou_province": category(PROVINCE_NAMES),
    "hukou": category(("rural", "urban")), "urban": FLAG, "migrant": FLAG, "age": NUMBER,
    "sex": category(("female", "male")), "minority": FLAG, "has_child": FLAG,
    "employment": NUMBER, "education": category(EDUCATION_LEVELS), "residence_years": NUMBER,
    "income": NUMBER, "wealth": NUMBER, "debt": NUMBER,
}  # fmt: skip
COURT_COLUMNS: dict[str, ColumnType] = {
    "listed": FLAG, "case_stage": category(CASE_STAGES), "case_amount": NUMBER,
    "case_wrongful": FLAG, "listed_since": NUMBER, "days_listed": NUMBER, "n_cases": NUMBER,
    "n_listings": NUMBER, "cases_paid": NUMBER, "exits_expiry": NUMBER,
    "exits_no_assets": NUMBER, "escapes": NUMBER, "listing_ground": category(LISTING_GROUNDS),
    "asset_searches": NUMBER, "exits_listed_paid": NUMBER, "exits_settlement": NUMBER,
    "exits_creditor": NUMBER, "exits_listed_escaped": NUMBER,
    "last_exit": category(LAST_EXITS), "wrongful_records": NUMBER,
    "wrongful_listings": NUMBER, "ever_trapped": FLAG,
}  # fmt: skip


def citizen_column_types(spec: ScenarioSpec) -> dict[str, ColumnType]:
    """The columns of citizens.parquet a run of ``spec`` writes, by type, in the order
    :func:`citizen_columns` writes them: declared from the scenario, without running it (the
    experiments check an audit's options with it before any run)."""
    cols = dict(ATTRIBUTE_COLUMNS)
    points = spec.points_scheme()
    if points is not None:
        grades = category([*points[1].grades, "unscored"])
        cols.update({"consent": FLAG, "scored": FLAG, "points": NUMBER, "grade": grades,
                     "grade_year_start": grades, "wrongful_points": NUMBER,
                     "grade_own_records": grades})  # fmt: skip
    cols.update(COURT_COLUMNS)
    cols.update({f"sanction_{name}": FLAG for name in spec.measures})
    cols.update(registry.column_types(spec))
    for kind in spec.behaviour.events:
        cols[f"n_{kind}"] = cols[f"rec_{kind}"] = NUMBER
    if has_travel(spec):
        cols.update({name: NUMBER for name in TRAVEL_COLUMNS})
    return cols


# Per citizen, over the run: tickets bought and purchase attempts blocked, by mode.
TRAVEL_COLUMNS = (
    *(f"trips_{mode}" for mode in TRAVEL_MODES),
    *(f"blocked_{mode}" for mode in TRAVEL_MODES),
)


def travel_columns(o: Outcome) -> dict[str, np.ndarray]:
    """Each citizen's trips (ticket events not blocked) and blocked attempts, by mode."""
    blocked = {mode: o.si[:, BLOCKED_AIR + j].astype(np.int32)
               for j, mode in enumerate(TRAVEL_MODES)}  # fmt: skip
    trips = {mode: np.zeros(len(o.si), dtype=np.int32) for mode in TRAVEL_MODES}
    consequence = o.scenario.spec.behaviour.events
    for k, kind in enumerate(o.kinds):
        ticket = CONSEQUENCES.index(consequence[kind].consequence) - kernel.AIR_TICKET
        if ticket >= 0:
            trips[TRAVEL_MODES[ticket]] += o.n_true[:, k]
    for mode in TRAVEL_MODES:
        trips[mode] -= blocked[mode]
    return {**{f"trips_{m}": trips[m] for m in TRAVEL_MODES},
            **{f"blocked_{m}": blocked[m] for m in TRAVEL_MODES}}  # fmt: skip


def citizen_columns(o: Outcome) -> dict[str, Any]:
    """One row per agent: attributes, each scheme's state, and counts per event kind (their
    types declared by :func:`citizen_column_types`)."""
    pop, si, sf = o.population, o.si, o.sf
    end_day = (o.end - o.start).days + 1
    listed = si[:, STAGE] == LISTED
    cols: dict[str, Any] = {
        "province": (o.province, list(PROVINCE_NAMES)),
        "hukou_province": (pop.hukou_province, list(PROVINCE_NAMES)),
        "hukou": (pop.hukou_urban.astype(np.uint8), ["rural", "urban"]),
        "urban": pop.urban,
        "migrant": pop.migrant,
        "age": pop.age(o.end.year),
        "sex": (pop.sex, ["female", "male"]),
        "minority": pop.minority,
        "has_child": pop.has_child,
        "employment": pop.employment,
        "education": (pop.education, list(EDUCATION_LEVELS)),
        "residence_years": np.maximum(o.end.year - pop.moved_in, 0).astype(np.int16),
        "income": sf[:, INCOME],
        "wealth": sf[:, WEALTH],
        "debt": sf[:, DEBT],
    }
    if o.points_active:
        scored = si[:, SCORED] == 1
        grade = np.searchsorted(o.grade_bounds[1:], si[:, POINTS], side="right")
        grade = np.where(scored, grade, len(o.grade_names))
        cols["consent"] = si[:, CONSENT] == 1
        cols["scored"] = scored
        cols["points"] = si[:, POINTS]
        cols["grade"] = (grade.astype(np.uint8), [*o.grade_names, "unscored"])
        if o.year_start is not None:  # the grade the last calendar year started from
            before, was_scored = o.year_start
            start = np.searchsorted(o.grade_bounds[1:], before, side="right")
            start = np.where(was_scored, start, len(o.grade_names))
            cols["grade_year_start"] = (start.astype(np.uint8), [*o.grade_names, "unscored"])
        # The points and grade without the changes of records that were not the citizen's (at
        # first order: later clamps and recoveries are not replayed), for wrongful sanctions.
        cols["wrongful_points"] = si[:, WRONGFUL_POINTS]
        own = si[:, POINTS].astype(np.int32) - si[:, WRONGFUL_POINTS]
        own = np.where(scored, np.searchsorted(o.grade_bounds[1:], own, side="right"),
                       len(o.grade_names))  # fmt: skip
        cols["grade_own_records"] = (own.astype(np.uint8), [*o.grade_names, "unscored"])
    cols.update(
        {
            "listed": listed,
            "case_stage": (si[:, STAGE].astype(np.uint8), CASE_STAGES),
            "case_amount": sf[:, CASE_AMOUNT],
            # every record behind the open case was someone else's (a wrongful case)
            "case_wrongful": (si[:, STAGE] != 0) & (si[:, CASE_WRONGFUL] == 1),
            "listed_since": np.where(listed, si[:, LISTED_SINCE], -1),
            "days_listed": si[:, DAYS_LISTED] + np.where(listed, end_day - si[:, LISTED_SINCE], 0),
            "n_cases": si[:, N_CASES],
            "n_listings": si[:, N_LISTINGS],
            "cases_paid": si[:, CASES_PAID],
            "exits_expiry": si[:, EXITS_EXPIRY],
            "exits_no_assets": si[:, EXITS_NO_ASSETS],
            "escapes": si[:, ESCAPES],
            "listing_ground": (si[:, GROUND].astype(np.uint8), LISTING_GROUNDS),
            "asset_searches": si[:, ASSET_SEARCHES],
            "exits_listed_paid": si[:, EXITS_LISTED_PAID],
            "exits_settlement": si[:, EXITS_SETTLEMENT],
            "exits_creditor": si[:, EXITS_CREDITOR],
            "exits_listed_escaped": si[:, LISTED_ESCAPES],
            "last_exit": (si[:, LAST_EXIT].astype(np.uint8), LAST_EXITS),
            "wrongful_records": si[:, WRONGFUL_RECORDS],
            "wrongful_listings": si[:, WRONGFUL_LISTINGS],
            "ever_trapped": si[:, EVER_TRAPPED] == 1,
        }
    )
    for m, name in enumerate(o.measure_names):
        cols[f"sanction_{name}"] = (si[:, MEASURE_FLAGS] >> m) & 1 == 1
    if o.stages is not None:
        cols.update(o.stages.citizen_columns((o.end - o.start).days + 1))
    for k, kind in enumerate(o.kinds):
        cols[f"n_{kind}"] = o.n_true[:, k]
        cols[f"rec_{kind}"] = o.n_rec[:, k]
    if has_travel(o.scenario.spec):
        cols.update(travel_columns(o))
    return cols


def event_table(o: Outcome) -> pa.Table:
    ev = o.events
    codes = ev["code"]
    kind = ev["kind"].astype(np.int64)
    # Labels: the event kinds, then the causes of points rows no event caused, then exit reasons,
    # then the black and red lists.
    causes = {kernel.POINTS_RECOVERY: "recovery", kernel.POINTS_CAP: "cap_lowered"}
    exits = sorted(EXIT_NAMES)
    list_names = [s.name for s in o.stages.lists] if o.stages is not None else []
    labels = [*o.kinds, *causes.values(), *(EXIT_NAMES[r] for r in exits), *list_names, ""]
    n_k, n_c = len(o.kinds), len(causes)
    cause_idx = np.full(kind.shape, len(labels) - 1)
    for j, cause in enumerate(causes):
        cause_idx[kind == cause] = n_k + j
    label_idx = np.where(kind >= 0, kind, cause_idx)
    closed = codes == kernel.LOG_CASE_CLOSED
    label_idx = np.where(closed, n_k + n_c + kind - exits[0], label_idx)
    joined = codes == kernel.LOG_LIST_JOINED
    label_idx = np.where(joined, n_k + n_c + len(exits) + kind, label_idx)
    start = np.datetime64(o.start.isoformat(), "D")
    code_names = [LOG_CODES.get(c, "") for c in range(max(LOG_CODES) + 1)]
    return pa.table(
        {
            "date": (start + ev["day"].astype("timedelta64[D]")),
            "citizen": ev["citizen"],
            # Dictionary-encoded: a small index per row, never a Python string per row.
            "event": pa.DictionaryArray.from_arrays(codes.astype(np.int8), code_names),
            "kind": pa.DictionaryArray.from_arrays(label_idx.astype(np.int16), labels),
            "value": ev["value"],
        }
    )
