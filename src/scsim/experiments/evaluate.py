"""One case of an experiment, in whichever process runs it: simulate in memory (with the
process's reused population), audit, keep the chosen time series, and hand back a small tidy
table — the run directory itself only when asked to keep it.

The audit of a case is the audit of the run that ``scsim.simulate`` would write for the same
scenario and seed (the same columns, manifest entries and time series, read from memory
instead of from disk).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from scsim.audit.defaults import DEFAULT_BY
from scsim.audit.metrics import audit, check
from scsim.audit.tidy import ALL
from scsim.engine.metrics import written_metrics
from scsim.experiments.populations import POPULATIONS
from scsim.experiments.run import calibration_of, simulate_outcome, write_outcome
from scsim.results.outcome import citizen_column_types, citizen_columns
from scsim.scenario.errors import did_you_mean
from scsim.scenario.model import Scenario

# The columns of a case's rows (the experiment adds case, point, seed and the parameters).
ROWS = pa.schema(
    [
        ("metric", pa.string()),
        ("category", pa.string()),
        ("group_by", pa.string()),
        ("group", pa.string()),
        ("date", pa.date32()),  # a time-series row's date; null for the audit's end-of-run rows
        ("value", pa.float64()),
    ]
)


class MetricError(ValueError):
    """A metric asked for that neither the audit nor the time series of the scenario has."""


@dataclass(frozen=True)
class Measures:
    """What each case's table keeps: the audit's groupings, its metrics (None: all) and the
    time-series metrics (every date, the groups of ``by``)."""

    by: tuple[str, ...] = DEFAULT_BY
    metrics: tuple[str, ...] | None = None
    series: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"by": list(self.by), "metrics": self.metrics and list(self.metrics),
                "series": list(self.series)}  # fmt: skip


@dataclass(frozen=True)
class CaseTask:
    """One case to run: a scenario (the point's overlay applied), a seed, the run's size and
    end, what to measure, and the folder for its run directory when runs are kept."""

    case: int
    scenario: Scenario
    seed: int
    population: int | None
    end: dt.date
    measures: Measures
    keep_runs: str | None = None


@dataclass
class CaseResult:
    case: int
    rows: pa.Table  # ROWS
    timings: dict[str, float]
    worker: str
    run: str | None


def evaluate(task: CaseTask) -> CaseResult:
    """Run one case and measure it (the function the executors call)."""
    clock = time.perf_counter()
    outcome = simulate_outcome(task.scenario, population=task.population, seed=task.seed,
                               end=task.end, synthesized=POPULATIONS,
                               heterogeneity=POPULATIONS.heterogeneity)  # fmt: skip
    timeseries = pa.table(outcome.timeseries)
    run = None
    if task.keep_runs is not None:
        run = str(write_outcome(outcome, Path(task.keep_runs)).path)
    audit_clock = time.perf_counter()
    sc = outcome.scenario
    result = audit(
        citizen_columns(outcome),
        list(task.measures.by),
        weight=outcome.population.weight,
        manifest={
            "name": sc.name,
            "scenario": sc.resolved(),
            "calibration": calibration_of(outcome, timeseries),
        },  # fmt: skip
        timeseries=timeseries,
    )
    rows = pa.concat_tables(
        [
            audit_rows(result.table, task.measures.metrics),
            series_rows(timeseries, task.measures.series, task.measures.by),
        ]  # fmt: skip
    )
    timings = {k: round(v, 6) for k, v in outcome.timings.items()}
    timings["audit_s"] = round(time.perf_counter() - audit_clock, 6)
    timings["total_s"] = round(time.perf_counter() - clock, 6)
    return CaseResult(task.case, rows, timings, f"{socket.gethostname()}:{os.getpid()}", run)


def audit_rows(table: pa.Table, metrics: Sequence[str] | None) -> pa.Table:
    """The audit's rows (of ``metrics``, or all) in ROWS' columns."""
    if metrics is not None:
        table = table.filter(pc.is_in(table["metric"], pa.array(list(metrics), pa.string())))
    n = table.num_rows
    return pa.table(
        [
            table["metric"],
            table["category"],
            table["group_by"],
            table["group"],
            pa.nulls(n, pa.date32()),
            table["value"].cast(pa.float64()),
        ],  # fmt: skip
        schema=ROWS,
    )


def series_rows(timeseries: pa.Table, metrics: Sequence[str], by: Sequence[str]) -> pa.Table:
    """The time series of ``metrics`` in ROWS' columns: every date, the whole population and
    the groups of the groupings in ``by`` (``hukou=rural,migrant=no`` becomes grouping
    ``hukou,migrant``, group ``rural,no``)."""
    if not metrics:
        return ROWS.empty_table()
    table = timeseries.filter(pc.is_in(timeseries["metric"], pa.array(list(metrics))))
    labels = pc.unique(table["group"]).to_pylist()
    split = {label: _grouping(label) for label in labels}
    keep = [lab for lab, (g, _) in split.items() if g == ALL or set(g.split(",")) <= set(by)]
    table = table.filter(pc.is_in(table["group"], pa.array(keep, pa.string())))
    index = pc.index_in(table["group"], pa.array(labels, pa.string()))
    group_by = pa.array([split[lab][0] for lab in labels], pa.string()).take(index)
    group = pa.array([split[lab][1] for lab in labels], pa.string()).take(index)
    return pa.table(
        [
            table["metric"].cast(pa.string()),
            table["category"].cast(pa.string()),
            group_by,
            group,
            table["date"].cast(pa.date32()),
            table["value"].cast(pa.float64()),
        ],  # fmt: skip
        schema=ROWS,
    )


def _grouping(label: str) -> tuple[str, str]:
    if label == ALL:
        return ALL, ALL
    pairs = [part.partition("=") for part in label.split(",")]
    return ",".join(p[0] for p in pairs), ",".join(p[2] for p in pairs)


def check_measures(
    scenario: Scenario,
    by: str | Sequence[str] | None,
    metrics: str | Sequence[str] | None,
) -> Measures:
    """The measures asked for, checked against what the scenario's runs will write (their
    citizen columns and time-series metrics, declared from the scenario) before any case
    starts: an unknown grouping or metric fails here, naming the close ones."""
    spec = scenario.spec
    series = set(written_metrics(spec))
    groupings = _names(by) if by is not None else list(DEFAULT_BY)
    plan = check(citizen_column_types(spec), groupings, scenario=spec, series=series)
    by_checked = tuple(plan.by)
    if metrics is None:
        return Measures(by_checked, None, ())
    audited = set(plan.metrics)
    wanted = _names(metrics)
    unknown = [m for m in wanted if m not in audited | series]
    if unknown:
        raise MetricError(
            "; ".join(
                f"no metric '{m}'{did_you_mean(m, sorted(audited | series))}" for m in unknown
            )
            + f" (audit metrics: {', '.join(sorted(audited))}; time series: "
            f"{', '.join(sorted(series))})"
        )
    if not wanted:
        raise MetricError("--metrics names no metric")
    return Measures(
        by_checked,
        tuple(m for m in wanted if m in audited),
        tuple(m for m in wanted if m in series and m not in audited),
    )


def _names(value: str | Sequence[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return list(dict.fromkeys(s.strip() for s in items if s.strip()))
