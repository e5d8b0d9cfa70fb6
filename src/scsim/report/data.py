"""What a report shows, gathered from a run: its scenario, sources, audit and time series.

:func:`gather` reads only the citizen columns the report shows (one Parquet read), derives
two groupings — hukou type × migrant status, so that "rural-hukou migrants" can be set against
"urban-hukou residents", and the income quintile among adults (as the audit computes it) — and
hands exactly those columns to :func:`scsim.audit.metrics.audit`, whose grouped path computes
every rate with its interval in a few bincounts. What the audit is not given it does not
compute: the report leaves out the Gini coefficients (a sort of every income), offenders never
recorded (two columns per offence kind) and the groupings by sex and age band, which
``scsim audit`` reports. The time series are read filtered to the few metrics drawn over time.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from scsim.audit.frame import dictionary_codes
from scsim.audit.metrics import (
    ALL,
    BOOL_LABELS,
    INCOME_QUINTILES,
    AuditTable,
    audit,
    income_quintiles,
    valid_groupings,
)
from scsim.population.census import ADULT_AGE
from scsim.results.store import CITIZENS, TIMESERIES, Run
from scsim.scenario.schema import SCHEME_KINDS, CompositeScore, Param, PointsScheme, ScenarioSpec

HUKOU_MIGRANT = "hukou_migrant"
# Derived from income among adults; not the audit's own "income_quintile", which needs the
# income column (and with it the audit would also compute the Gini of income).
INCOME_QUINTILE = "income quintile"
# The audit folds all groupings into one joint cell index, whose size sets a fixed cost per
# metric; sex and age band (``scsim audit --by sex,age_band``) are left out to keep it small.
GROUPINGS = ("hukou", "migrant", HUKOU_MIGRANT, "province", "urban", INCOME_QUINTILE, "minority")
# Reference groups a reader expects ("compared with urban-hukou residents"), used when present.
PREFERRED_REFERENCES = {
    "hukou": "urban",
    "migrant": "non-migrant",
    HUKOU_MIGRANT: "urban hukou, non-migrant",
    "urban": "urban",
    INCOME_QUINTILE: "Q5",
    "minority": "non-minority",
}
# Citizen columns the audit is given when the run has them, besides the flag families below.
AUDITED = (
    "age", "hukou", "migrant", "province", "urban", "minority",
    "listed", "n_listings", "days_listed", "ever_trapped", "wrongful_listings",
    "wrongful_records", "case_wrongful", "scored", "grade", "composite_user", "composite_band",
    "friends", "friends_initial", "ties_dropped", "grade_own_records", "has_child",
)  # fmt: skip
FLAG_PREFIXES = ("sanction_", "on_", "lacks_")
# Read besides: income (for the quintiles) and the scores (for their distributions only).
DERIVED_FROM = ("income", "points", "composite_score")
# Notes of the audit about what the report leaves out on purpose (said once, in LEFT_OUT).
LEFT_OUT_NOTES = ("gini skipped", "offenders_never_recorded skipped")
LEFT_OUT = (
    "This report leaves out the Gini coefficients, offenders never recorded and the groupings "
    "by sex and age band, to stay fast on large runs: scsim audit RUN --by sex,age_band "
    "computes them."
)
# Scores drawn as distributions: (score column, who holds one, label, scheme kind).
SCORES = (
    ("points", "scored", "Points", "points"),
    ("composite_score", "composite_user", "Composite score", "composite"),
)
TIMESERIES_METRICS = ("grade_count", "composite_band", "listed", "trapped", "listed_wrongful")
# Stocks drawn over time: time-series metric → series name.
STOCKS = {
    "listed": "listed",
    "trapped": "listed and unable to pay",
    "listed_wrongful": "wrongfully listed",
}
MAX_BINS = 60


class ReportError(ValueError):
    """A report cannot be written as asked (runs that cannot be compared, a bad output path)."""


# --------------------------------------------------------------------------------------------
# The audit table, indexed


@dataclass(frozen=True)
class Row:
    """One row of an audit table."""

    metric: str
    category: str
    group_by: str
    group: str
    value: float
    low: float
    high: float
    n: int | None
    weight: float | None

    @property
    def has_interval(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)


class Metrics:
    """An audit table indexed by (metric, category, grouping, group)."""

    def __init__(self, result: AuditTable) -> None:
        self.result = result
        self.references: dict[str, str] = dict(result.info.get("reference") or {})
        # the outcomes that hurt: their labels, and each grouping's reference group for each
        self.outcomes: dict[str, str] = dict(result.info.get("outcomes") or {})
        self.adverse_references: dict[str, dict[str, str]] = dict(
            result.info.get("adverse_reference") or {}
        )
        self.weight = float(result.info.get("weight") or 1.0)
        self._rows: dict[tuple[str, str, str, str], Row] = {}
        self._order: dict[tuple[str, str, str], list[Row]] = {}
        self._categories: dict[str, list[str]] = {}
        for r in result.table.to_pylist():
            row = Row(
                r["metric"], r["category"] or "", r["group_by"], r["group"],
                _float(r["value"]), _float(r["ci_low"]), _float(r["ci_high"]), r["n"], r["weight"],
            )  # fmt: skip
            self._rows[(row.metric, row.category, row.group_by, row.group)] = row
            self._order.setdefault((row.metric, row.category, row.group_by), []).append(row)
            cats = self._categories.setdefault(row.metric, [])
            if row.category not in cats:
                cats.append(row.category)

    def get(
        self, metric: str, group: str = ALL, *, by: str = ALL, category: str = ""
    ) -> Row | None:
        """One row, or None when the audit has no such value."""
        return self._rows.get((metric, category, by, group))

    def value(self, metric: str, group: str = ALL, *, by: str = ALL, category: str = "") -> float:
        """One value, NaN when absent."""
        row = self.get(metric, group, by=by, category=category)
        return math.nan if row is None else row.value

    def groups(self, metric: str, by: str, category: str = "") -> list[Row]:
        """The rows of one metric for every group of a grouping, in the audit's order."""
        return list(self._order.get((metric, category, by), []))

    def categories(self, metric: str) -> list[str]:
        """The categories a metric has rows for, in the audit's order."""
        return list(self._categories.get(metric, []))

    def has(self, metric: str) -> bool:
        return metric in self._categories

    def groupings(self) -> list[str]:
        """The groupings of the audit (without 'all')."""
        return list(self.result.info.get("by") or [])


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


# --------------------------------------------------------------------------------------------
# What a run holds besides its citizens


@dataclass
class TimeSeries:
    """Series over time: one list of values per name, aligned with ``dates``."""

    dates: list[str]
    series: dict[str, list[float | None]]


@dataclass
class Histogram:
    """The distribution of a score among those who hold one (bins of equal width)."""

    label: str
    column: str
    starts: list[int]
    width: int
    shares: list[float]
    persons: list[float]
    n: int
    bands: dict[str, float] = field(default_factory=dict)  # band → lower bound


@dataclass(frozen=True)
class Present:
    """The mechanisms the run's scenario has, which decide what the report draws and says:
    nothing for a mechanism it lacks (a run without a readable scenario: all of them, and its
    data decide)."""

    court_list: bool = True
    points: bool = True
    composite: bool = True
    measures: bool = True
    graph: bool = True

    @classmethod
    def of(cls, scenario: ScenarioSpec | None) -> Present:
        if scenario is None:
            return cls()
        return cls(
            court_list=scenario.court_list() is not None,
            points=scenario.points_scheme() is not None,
            composite=scenario.composite() is not None,
            measures=bool(scenario.measures),
            graph=scenario.world.population.graph is not None,
        )


@dataclass
class RunData:
    """Everything a report shows about one run."""

    run: Run
    summary: dict[str, Any]
    sources: list[dict[str, Any]]
    metrics: Metrics
    grades: TimeSeries | None
    bands: TimeSeries | None
    listed: TimeSeries | None
    histograms: list[Histogram]
    timings: dict[str, float]
    targets: list[TargetCurve] = field(default_factory=list)
    present: Present = field(default_factory=Present)

    @property
    def audit(self) -> AuditTable:
        return self.metrics.result


@dataclass
class TargetCurve:
    """A calibration series (a stock or cumulative target) beside the run's own curve of what
    it counts: the metric at each date, or its running sum from the target's ``since``."""

    name: str
    label: str
    kind: str
    dates: list[str]
    values: list[float]
    points: list[tuple[str, float, float]]  # (date, low, high)


def target_curves(run: Run, scenario: ScenarioSpec | None) -> list[TargetCurve]:
    """The run's curve under each series target its scenario declares."""
    if scenario is None:
        return []
    out = []
    for name, target in scenario.calibration.items():
        if target.kind not in ("stock", "cumulative"):
            continue
        filters = [("metric", "=", target.metric), ("group", "=", target.group)]
        if target.categories:
            filters.append(("category", "in", list(target.categories)))
        table = pq.read_table(run.file(TIMESERIES), columns=["date", "value"], filters=filters)
        table = table.group_by("date").aggregate([("value", "sum")]).sort_by("date")
        dates = table["date"].to_pylist()
        values = np.asarray(table["value_sum"].to_numpy(zero_copy_only=False), dtype=np.float64)
        if target.kind == "cumulative":
            counted = np.array([d >= target.since for d in dates], dtype=bool)
            values = np.cumsum(np.where(counted, values, 0.0))
        points = [(p.date.isoformat(), p.low, p.high) for p in target.series]
        out.append(TargetCurve(name, target.label or name, target.kind,
                               [d.isoformat() for d in dates], values.tolist(), points))  # fmt: skip
    return out


def scenario_of(run: Run) -> ScenarioSpec | None:
    """The run's typed scenario (:attr:`Run.scenario`), or None when its manifest holds none."""
    return run.scenario if isinstance(run.manifest.get("scenario"), dict) else None


def summary(run: Run) -> dict[str, Any]:
    """Name, title, description, horizon, population, seed, hash and mechanisms of a run."""
    m = run.manifest
    scenario = scenario_of(run)
    population = run.population
    return {
        "name": run.name,
        "title": m.get("title") or (scenario.title if scenario is not None else "") or "",
        "description": (scenario.description if scenario is not None else "") or "",
        "horizon": dict(m.get("horizon") or {}),
        "n_agents": population.get("n_agents"),
        "real_population": population.get("real_population"),
        "weight": run.weight,
        "seed": run.seed,
        "scenario_hash": run.scenario_hash,
        "reforms_applied": list(m.get("reforms_applied") or []),
        "mechanisms": mechanisms(scenario),
        "written_at": m.get("written_at"),
        "version": (m.get("versions") or {}).get("scsim"),
        "path": str(run.path),
    }


def mechanisms(scenario: ScenarioSpec | None) -> list[str]:
    """The mechanisms a scenario uses, in data-flow order, as short phrases (none without one)."""
    if scenario is None:
        return []
    out = []
    observation = scenario.observation
    if observation.sources:
        out.append(f"surveillance ({', '.join(observation.sources)})")
    elif observation.detection or _positive(observation.misattribution):
        out.append("observation")
    for name, scheme in scenario.schemes.items():
        out.append(f"{SCHEME_KINDS[scheme.kind].label}: {scheme.label or name}")
    if scenario.world.population.graph is not None:
        out.append("friendship graph")
    measures = scenario.measures
    if measures:
        out.append(f"{len(measures)} measures ({', '.join(measures)})")
    hukou = scenario.hukou
    if hukou.rights or hukou.conversion:
        rights = ", ".join(hukou.rights)
        out.append("hukou rights" + (f" ({rights})" if rights else "") +
                   (" and conversion" if hukou.conversion else ""))  # fmt: skip
    return out


def _positive(parameter: Param) -> bool:
    """Whether a dated parameter ever takes a positive value."""
    return any(v is not None and v > 0 for v in parameter.values.values())


def sources(scenario: Any) -> list[dict[str, Any]]:
    """Every reference in a resolved scenario, deduplicated by title and address, in order of
    first appearance, each with the parameters citing it. A reference is verified only if every
    citation of it says so."""
    found: dict[tuple[str, str], dict[str, Any]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            refs = node.get("reference")
            if isinstance(refs, list):
                for ref in refs:
                    if not isinstance(ref, Mapping):
                        continue
                    key = (str(ref.get("title") or ""), str(ref.get("href") or ""))
                    entry = found.setdefault(
                        key, {"title": key[0], "href": key[1], "verified": True, "used_by": []}
                    )
                    entry["verified"] = entry["verified"] and ref.get("verified") is True
                    entry["used_by"].append(path or "(scenario)")
            for key, value in node.items():
                if key != "reference":
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(scenario, "")
    return list(found.values())


# --------------------------------------------------------------------------------------------
# Citizens: the columns shown, two derived groupings, the audit


def citizen_columns(names: Sequence[str]) -> list[str]:
    """The columns of ``names`` (a run's citizen columns) that the report reads."""
    present = set(names)
    wanted = [c for c in (*AUDITED, *DERIVED_FROM) if c in present]
    wanted += [c for c in names if c.startswith(FLAG_PREFIXES)]
    return list(dict.fromkeys(wanted))


def _dictionary(codes: np.ndarray, labels: Sequence[str]) -> pa.DictionaryArray:
    """A dictionary column from int8 codes (-1: missing)."""
    missing = codes < 0
    indices = pa.array(codes, mask=missing if missing.any() else None)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(labels), pa.string()))


def with_hukou_migrant(table: pa.Table) -> pa.Table:
    """The table with a ``hukou_migrant`` grouping column (e.g. 'rural hukou, migrant')."""
    if "hukou" not in table.column_names or "migrant" not in table.column_names:
        return table
    hukou, labels = dictionary_codes(table.column("hukou"))
    migrant = table.column("migrant").to_numpy(zero_copy_only=False)
    codes = hukou.astype(np.int8) * np.int8(2)
    np.add(codes, migrant, out=codes, casting="unsafe")
    if (hukou < 0).any():
        codes[hukou < 0] = -1
    names = [f"{h} hukou, {m}" for h in labels for m in ("non-migrant", "migrant")]
    return table.append_column(HUKOU_MIGRANT, _dictionary(codes, names))


def with_income_quintile(table: pa.Table) -> pa.Table:
    """The table with an ``income quintile`` grouping (Q1–Q5 among adults) instead of income."""
    if "income" not in table.column_names:
        return table
    income = table.column("income").to_numpy(zero_copy_only=False)
    adult = None
    if "age" in table.column_names:
        adult = table.column("age").to_numpy(zero_copy_only=False) >= ADULT_AGE
    codes = income_quintiles(income, adult)
    table = table.drop_columns(["income"])
    return table.append_column(INCOME_QUINTILE, _dictionary(codes, INCOME_QUINTILES))


def _present_references(table: pa.Table, groupings: Iterable[str]) -> dict[str, str]:
    """The preferred reference groups that have adults in this table."""
    out = {}
    adult = None
    if "age" in table.column_names:
        adult = table.column("age").to_numpy(zero_copy_only=False) >= ADULT_AGE
    for name in groupings:
        wanted = PREFERRED_REFERENCES.get(name)
        if wanted is None:
            continue
        if name not in table.column_names:
            continue
        column = table.column(name)
        if pa.types.is_boolean(column.type):
            labels = list(BOOL_LABELS.get(name, ("false", "true")))
            codes = column.to_numpy(zero_copy_only=False).astype(np.int8)
        else:
            codes, labels = dictionary_codes(column)
        if wanted not in labels:
            continue
        hit = codes == labels.index(wanted)
        if (hit & adult).any() if adult is not None else hit.any():
            out[name] = wanted
    return out


def _audit(run: Run, table: pa.Table) -> AuditTable:
    """The audit of the report's columns, by every report grouping the run supports."""
    table = table.drop_columns([c for c in DERIVED_FROM if c in table.column_names])
    kinds = {
        f.name: "category" if pa.types.is_dictionary(f.type) or pa.types.is_string(f.type)
        else "bool" if pa.types.is_boolean(f.type) else "number"
        for f in table.schema
    }  # fmt: skip
    valid = set(valid_groupings(kinds))
    by = [g for g in GROUPINGS if g in valid]
    result = audit(
        table,
        by=by,
        reference=_present_references(table, by),
        weight=run.weight,
        manifest=run.manifest,
    )
    result.notes = [n for n in result.notes if not n.startswith(LEFT_OUT_NOTES)] + [LEFT_OUT]
    return result


# --------------------------------------------------------------------------------------------
# Scores


def _score_bands(scenario: ScenarioSpec | None, kind: str) -> dict[str, float]:
    """The grade bands (points) or perk bands (composite) of the scenario's first such scheme."""
    for scheme in scenario.schemes.values() if scenario is not None else ():
        if kind == "points" and isinstance(scheme, PointsScheme):
            return {str(k): float(v) for k, v in scheme.grades.items()}
        if kind == "composite" and isinstance(scheme, CompositeScore):
            return {str(k): float(v) for k, v in scheme.bands.items()}
    return {}


def _nice_width(span: int, max_bins: int = MAX_BINS) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, … that splits ``span`` into at most ``max_bins``."""
    for magnitude in itertools.count():
        for step in (1, 2, 5):
            width = step * 10**magnitude
            if math.ceil(span / width) <= max_bins:
                return width
    raise AssertionError("unreachable")


def histogram(
    values: np.ndarray, holders: np.ndarray | None, weight: float, label: str, column: str
) -> Histogram | None:
    """Equal-width bins of integer scores among the holders; None when nobody holds one."""
    held = values if holders is None else values[holders]
    if held.size == 0:
        return None
    held = held.astype(np.int64, copy=False)
    low, high = int(held.min()), int(held.max())
    width = _nice_width(high - low + 1)
    start = (low // width) * width
    counts = np.bincount((held - start) // width)
    total = float(counts.sum())
    return Histogram(
        label=label,
        column=column,
        starts=[start + i * width for i in range(counts.size)],
        width=width,
        shares=(counts / total).tolist(),
        persons=(counts * weight).tolist(),
        n=int(held.size),
    )


def _histograms(table: pa.Table, run: Run) -> list[Histogram]:
    scenario = scenario_of(run)
    out = []
    for column, holders, label, kind in SCORES:
        if column not in table.column_names:
            continue
        values = table.column(column).to_numpy(zero_copy_only=False)
        mask = None
        if holders in table.column_names:
            mask = table.column(holders).to_numpy(zero_copy_only=False).astype(bool)
        found = histogram(values, mask, run.weight or 1.0, label, column)
        if found is not None:
            found.bands = _score_bands(scenario, kind)
            out.append(found)
    return out


# --------------------------------------------------------------------------------------------
# Time series


def _month_ends(dates: Sequence[Any]) -> set[Any]:
    """The last of the given dates in each month."""
    last: dict[tuple[int, int], Any] = {}
    for d in dates:
        key = (d.year, d.month)
        if key not in last or d > last[key]:
            last[key] = d
    return set(last.values())


def _read_timeseries(run: Run) -> dict[str, list[dict[str, Any]]]:
    """The rows of the few metrics drawn over time, for the whole population, by metric."""
    table = pq.read_table(
        run.file(TIMESERIES),
        columns=["date", "metric", "category", "value"],
        filters=[("metric", "in", list(TIMESERIES_METRICS)), ("group", "=", ALL)],
    )
    table = table.sort_by([("metric", "ascending"), ("date", "ascending")])
    out: dict[str, list[dict[str, Any]]] = {}
    for row in table.to_pylist():
        out.setdefault(row["metric"], []).append(row)
    return out


def category_shares(rows: list[dict[str, Any]], order: Sequence[str] = ()) -> TimeSeries | None:
    """Each category's share of the total at each month end (None before anyone is counted)."""
    if not rows:
        return None
    keep = _month_ends([r["date"] for r in rows])
    dates = sorted(keep)
    index = {d: i for i, d in enumerate(dates)}
    present = list(dict.fromkeys(str(r["category"] or "") for r in rows))
    categories = [c for c in order if c in present] + [c for c in present if c not in order]
    counts = np.zeros((len(categories), len(dates)))
    position = {c: i for i, c in enumerate(categories)}
    for r in rows:
        if r["date"] in keep:
            counts[position[str(r["category"] or "")], index[r["date"]]] += r["value"] or 0.0
    totals = counts.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, counts / totals, np.nan)
    if not (totals > 0).any():
        return None
    return TimeSeries(
        dates=[d.isoformat() for d in dates],
        series={c: [None if math.isnan(v) else float(v) for v in shares[i]]
                for i, c in enumerate(categories)},
    )  # fmt: skip


def stocks(
    rows_by_metric: Mapping[str, list[dict[str, Any]]], names: Mapping[str, str]
) -> TimeSeries | None:
    """Month-end values of uncategorised metrics (persons), one series per metric."""
    present = {m: rows_by_metric[m] for m in names if rows_by_metric.get(m)}
    if not present:
        return None
    all_dates = [r["date"] for rows in present.values() for r in rows]
    dates = sorted(_month_ends(all_dates))
    series = {}
    for metric, rows in present.items():
        at = {r["date"]: r["value"] for r in rows}
        series[names[metric]] = [None if at.get(d) is None else float(at[d]) for d in dates]
    return TimeSeries(dates=[d.isoformat() for d in dates], series=series)


# --------------------------------------------------------------------------------------------
# Gathering


def gather(run: Run) -> RunData:
    """Everything the report shows about one run."""
    clock = time.perf_counter()
    scenario = scenario_of(run)
    names = pq.read_schema(run.file(CITIZENS)).names
    table = pq.read_table(run.file(CITIZENS), columns=citizen_columns(names))
    table = with_income_quintile(with_hukou_migrant(table))
    read_s = time.perf_counter() - clock
    result = _audit(run, table)
    audit_s = time.perf_counter() - clock - read_s
    histograms = _histograms(table, run)
    del table
    rows = _read_timeseries(run)
    grades = _score_bands(scenario, "points")
    bands = _score_bands(scenario, "composite")
    timings = {"read_s": read_s, "audit_s": audit_s, "total_s": time.perf_counter() - clock}
    return RunData(
        run=run,
        summary=summary(run),
        sources=sources(scenario.model_dump(mode="json", by_alias=True) if scenario else {}),
        metrics=Metrics(result),
        grades=category_shares(rows.get("grade_count", []), list(grades)),
        bands=category_shares(rows.get("composite_band", []), list(bands)),
        listed=stocks(rows, STOCKS),
        histograms=histograms,
        timings=timings,
        targets=target_curves(run, scenario),
        present=Present.of(scenario),
    )


__all__ = [
    "GROUPINGS",
    "HUKOU_MIGRANT",
    "INCOME_QUINTILE",
    "Histogram",
    "Metrics",
    "Present",
    "ReportError",
    "Row",
    "RunData",
    "TimeSeries",
    "citizen_columns",
    "gather",
    "histogram",
    "mechanisms",
    "sources",
    "summary",
    "with_hukou_migrant",
]
