"""Audit metrics of a run, by group: who is listed and sanctioned, how fairly, how often wrongly.

``audit(run, by=["hukou", "province"])`` returns an :class:`AuditTable`: one tidy row per
(metric, category, grouping, group) with ``value, ci_low, ci_high, n, weight``, where ``n`` is
the agents in the metric's denominator and ``weight`` the real people they represent
(``n`` × the run's persons per agent). ``category`` names the sub-item of a metric (a measure,
a grade, an event kind, a quantile) and is empty otherwise.

Metrics (each family's docstring below gives the definitions; docs/audit.md is the glossary).
First the outcomes that hurt, as the scenario's mechanisms declare them (on the court list, each
sanction, a black list, a hukou right lacked, a low grade or band): ``adverse_rate``,
``adverse_ratio`` (times as often as the least affected group), ``adverse_difference`` and
``adverse_four_fifths``; then ``listing_rate``,
``ever_listed_rate``, ``sanction_share`` / ``reward_share``, ``days_listed_per_adult``,
``scored_share``, ``grade_share``, ``composite_user_share``, ``composite_band_share``,
``list_share``, ``rights_lacking_share``,
``favourable_rate``, ``disparate_impact_ratio``, ``statistical_parity_difference``,
``four_fifths``, ``wrongful_listing_rate``, ``wrongful_listing_share``,
``wrongful_record_rate``, ``offenders_never_recorded``, ``poverty_trap_share``,
``listed_year_or_more_share``, ``days_listed_quantile``, ``exit_route_share``, ``gini``,
``calibration``,
``calibration_within``, ``events_per_adult`` (deterrence and chilling are its paired change
against a no-system run, with ``scsim compare``), ``grade_transition`` (grade mobility),
``friends_mean``, ``friends_lost_mean``, ``ties_lost_share``, ``ties_dropped_per_user`` and
``score_assortativity`` (network effects).

Intervals are 95%: Wilson score intervals for rates and shares, the normal approximation for
means, Katz's log interval for ratios of rates, Newcombe's hybrid score interval for differences
of rates, and NaN where no interval is meaningful (Gini coefficients, quantiles, flags). They
describe sampling variation among the agents of this one run, not variation between seeds.

Every metric reads only the citizen columns it needs; a metric whose columns the run lacks is
skipped and the table's ``notes`` say so. The grouped path reads each column once, computes the
group codes once, and folds all groupings into one joint cell code (see
:class:`scsim.audit.frame.GroupIndex`): each rate is one ``np.bincount`` over the population,
whatever the number of groupings.
"""

from __future__ import annotations

import difflib
import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scsim.audit.defaults import DEFAULT_AMONG, DEFAULT_BY, DEFAULT_FAVOURABLE
from scsim.audit.frame import (
    CellTotals,
    GroupIndex,
    Grouping,
    dictionary_codes,
    difference_interval,
    gini_by,
    grouped_quantiles,
    mean_interval,
    ratio_interval,
    wilson,
)
from scsim.audit.labels import category_label
from scsim.audit.tidy import ALL, TidyTable
from scsim.core.files import write_text_atomic
from scsim.core.vocabulary import ColumnType
from scsim.population.census import ADULT_AGE, EMPLOYMENT_TIERS
from scsim.results.outcome import COURT_COLUMNS
from scsim.results.store import CITIZENS, Run, arrow_kind, refuse_run_file
from scsim.rules import Bool, ExprError, Number, Ordinal, compile_expr
from scsim.scenario.model import spec_from_resolved
from scsim.scenario.schema import PointsScheme, ScenarioSpec

COLUMNS = ("metric", "category", "group_by", "group", "value", "ci_low", "ci_high", "n", "weight")
FOUR_FIFTHS = 0.8
DAYS_LISTED_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
YEAR_DAYS = 365

# Groupings with their own labels or derivation; any other boolean or categorical column of the
# run is a grouping too (by its own values).
BOOL_LABELS = {
    "urban": ("rural", "urban"),
    "migrant": ("non-migrant", "migrant"),
    "minority": ("non-minority", "minority"),
    "has_child": ("no child", "has child"),
}
CODED_LABELS = {"employment": EMPLOYMENT_TIERS}
DERIVED = {"income_quintile": ("income",), "age_band": ("age",)}
STANDARD_GROUPINGS = ("hukou", "migrant", "province", "urban", "income_quintile", "age_band",
                      "sex", "minority")  # fmt: skip
AGE_BANDS = ((0, "0-17"), (18, "18-29"), (30, "30-44"), (45, "45-59"), (60, "60+"))
INCOME_QUINTILES = ("Q1", "Q2", "Q3", "Q4", "Q5")

# Columns whose inequality is measured, with the true/false column of the people it is measured
# among (ADULTS: age 18 and over); a population column the run lacks means everyone.
ADULTS = ""
GINI_COLUMNS = {
    "points": "scored",
    "composite_score": "composite_user",
    "wealth": ADULTS,
    "income": ADULTS,
}
# Standings (a categorical column), the true/false column of those who have one, and the
# metric names of the standing's shares and of the share of adults who have one.
STANDINGS = (
    ("grade", "scored", "grade_share", "scored_share"),
    ("composite_band", "composite_user", "composite_band_share", "composite_user_share"),
)
OUTSIDE_LABELS = {"unscored", "not a user"}  # the level of those without a standing


class AuditError(ValueError):
    """An audit cannot be computed as asked (unknown grouping, bad favourable outcome, …)."""


# --------------------------------------------------------------------------------------------
# The result


@dataclass(repr=False)
class AuditTable(TidyTable):
    """The tidy metric table of one audit, its notes (skipped metrics, reference groups) and
    the run's calibration entries."""

    calibration: list[dict[str, Any]] = field(default_factory=list)

    COLUMNS: ClassVar[tuple[str, ...]] = COLUMNS

    def describe(self) -> list[tuple[str, Any]]:
        info = self.info
        agents = info.get("n_agents")
        return [
            ("scenario", info.get("scenario")),
            ("by", ",".join(info.get("by") or []) or "all"),
            ("agents", f"{agents:,}" if isinstance(agents, int) else agents),
        ]

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data (NaN as None)."""
        return {
            **self.info,
            "columns": list(COLUMNS),
            "notes": list(self.notes),
            "calibration": self.calibration,
            "metrics": self.records(),
        }


# --------------------------------------------------------------------------------------------
# Reading citizen columns from a run, an Arrow table or a dict of arrays


class _Columns:
    """Citizen columns by kind (bool, number, category), read once and only when needed."""

    def __init__(self, source: Any) -> None:
        self._arrays: dict[str, Any] = {}
        self._levels: dict[str, list[str]] = {}
        if isinstance(source, Run):
            self._path = source.file(CITIZENS)
            meta = pq.read_metadata(self._path)
            self.kinds = {f.name: arrow_kind(f.type) for f in meta.schema.to_arrow_schema()}
            self.num_rows = meta.num_rows
        else:
            self._path = None
            if isinstance(source, pa.Table):
                self._arrays = {n: source.column(n) for n in source.column_names}
            else:
                self._arrays = dict(source)
            self.kinds = {name: _value_kind(v) for name, v in self._arrays.items()}
            lengths = {_value_length(v) for v in self._arrays.values()}
            if len(lengths) > 1:
                raise AuditError(f"citizen columns differ in length: {sorted(lengths)}")
            self.num_rows = lengths.pop() if lengths else 0
        self._loaded = set() if self._path is not None else set(self._arrays)

    @classmethod
    def declared(cls, types: Mapping[str, ColumnType]) -> _Columns:
        """The columns a run will have, by type and without data
        (``results.outcome.citizen_column_types``): enough to check an audit's options."""
        cols = cls({})
        cols.kinds = {name: t.kind for name, t in types.items()}
        cols._levels = {name: list(t.levels) for name, t in types.items() if t.kind == "category"}
        return cols

    def has(self, *names: str) -> bool:
        return all(name in self.kinds for name in names)

    def hide(self, names: Iterable[str]) -> None:
        """Leave these columns out of the audit, as if the run had not written them."""
        for name in names:
            self.kinds.pop(name, None)

    def load(self, names: Iterable[str]) -> None:
        """Read the named columns (one Parquet read for all of them)."""
        wanted = [n for n in dict.fromkeys(names) if n not in self._loaded and n in self.kinds]
        if not wanted:
            return
        table = pq.read_table(self._path, columns=wanted)
        for name in wanted:
            self._arrays[name] = table.column(name)
        self._loaded.update(wanted)

    def array(self, name: str) -> np.ndarray:
        """A bool or numeric column as numpy, a categorical as its codes (-1 for null)."""
        value = self._arrays[name]
        if self.kinds[name] == "category":
            codes, labels = self._categorical(name)
            return codes
        if isinstance(value, pa.ChunkedArray | pa.Array):
            array = value.to_numpy(zero_copy_only=False)
        else:
            array = np.asarray(value)
        self._arrays[name] = array
        return array

    def labels(self, name: str) -> list[str]:
        """The levels of a categorical column (read from the first rows if not loaded)."""
        if name in self._levels:
            return self._levels[name]
        if name not in self._loaded:
            with pq.ParquetFile(self._path) as file:
                batch = next(file.iter_batches(batch_size=1, columns=[name]), None)
            self._levels[name] = [] if batch is None else dictionary_codes(batch.column(0))[1]
            return self._levels[name]
        return self._categorical(name)[1]

    def _categorical(self, name: str) -> tuple[np.ndarray, list[str]]:
        value = self._arrays[name]
        if isinstance(value, tuple):
            codes, labels = np.asarray(value[0]), [str(v) for v in value[1]]
        else:
            if isinstance(value, np.ndarray):
                value = pa.array(value)
            if not pa.types.is_dictionary(value.type):
                value = pc.dictionary_encode(value)
            codes, labels = dictionary_codes(value)
        self._arrays[name] = (codes, labels)
        self._levels[name] = labels
        return codes, labels


def _value_length(value: Any) -> int:
    if isinstance(value, tuple):
        return len(value[0])
    return len(value)


def _value_kind(value: Any) -> str:
    if isinstance(value, tuple):
        return "category"
    if isinstance(value, pa.ChunkedArray | pa.Array):
        return arrow_kind(value.type)
    array = np.asarray(value)
    if array.dtype == np.bool_:
        return "bool"
    if array.dtype.kind in "iuf":
        return "number"
    if array.dtype.kind in "OUS":
        return "category"
    return "other"


# --------------------------------------------------------------------------------------------
# Groupings


def valid_groupings(kinds: Mapping[str, str]) -> list[str]:
    """The named groupings a run with these columns supports, the standard ones first: 'all',
    the standard groupings, then every categorical column. Any true/false column (``listed``,
    ``has_child``, …) is a grouping too, by its two values."""
    present = [ALL]
    for name in (*STANDARD_GROUPINGS, *CODED_LABELS, *BOOL_LABELS):
        needs = DERIVED.get(name, (name,))
        if all(n in kinds for n in needs) and name not in present:
            present.append(name)
    return present + sorted(n for n, k in kinds.items() if k == "category" and n not in present)


def _check_by(by: str | Sequence[str] | None, kinds: Mapping[str, str]) -> list[str]:
    """The requested groupings (without 'all'), each checked, in the order given."""
    valid = valid_groupings(kinds)
    if by is None:
        requested = [b for b in DEFAULT_BY if b in valid]
    elif isinstance(by, str):
        requested = [b.strip() for b in by.split(",") if b.strip()]
    else:
        requested = [str(b).strip() for b in by]
    out: list[str] = []
    for name in requested:
        if name not in valid and kinds.get(name) != "bool":
            raise AuditError(_unknown_grouping(name, valid, kinds))
        if name != ALL and name not in out:
            out.append(name)
    return out


def _unknown_grouping(name: str, valid: list[str], kinds: Mapping[str, str]) -> str:
    listing = f"valid groupings: {', '.join(valid)}, or any true/false column"
    if name in (*STANDARD_GROUPINGS, *CODED_LABELS, *BOOL_LABELS):
        missing = [n for n in DERIVED.get(name, (name,)) if n not in kinds]
        return f"cannot group by '{name}': this run has no column '{missing[0]}' ({listing})"
    candidates = valid + [n for n, k in kinds.items() if k == "bool"]
    close = [c for c in candidates if c.startswith(name)] or difflib.get_close_matches(
        name, candidates, n=1
    )
    hint = f" — did you mean '{close[0]}'?" if close else ""
    if name in kinds:
        return f"cannot group by '{name}': it is a numeric column{hint} ({listing})"
    return f"unknown grouping '{name}'{hint} ({listing})"


def _grouping(name: str, cols: _Columns, adult: np.ndarray | None) -> Grouping:
    """The group codes of one grouping."""
    if name == "age_band":
        age = cols.array("age")
        edges = np.array([low for low, _ in AGE_BANDS[1:]])
        # A lookup table over the ages present: one gather instead of a search per citizen.
        low = min(int(age.min()), 0) if age.size else 0
        table = np.searchsorted(edges, np.arange(low, int(age.max(initial=0)) + 1), side="right")
        codes = table.astype(np.int8)[age - low if low else age]
        return Grouping(name, codes, tuple(label for _, label in AGE_BANDS))
    if name == "income_quintile":
        return Grouping(name, income_quintiles(cols.array("income"), adult), INCOME_QUINTILES)
    kind = cols.kinds[name]
    if kind == "category":
        codes, labels = cols._categorical(name)
        return Grouping(name, codes, tuple(labels))
    values = cols.array(name)
    if kind == "bool":
        labels = BOOL_LABELS.get(name, ("false", "true"))
        return Grouping(name, values.view(np.int8), labels)
    if name in CODED_LABELS:
        labels = CODED_LABELS[name]
        codes = np.where(values < len(labels), values, -1).astype(np.int8)
        return Grouping(name, codes, labels)
    raise AuditError(f"cannot group by '{name}': it is a numeric column")


def income_quintiles(income: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
    """Income quintile codes 0..4 (Q1 lowest) of the rows ``among`` (adults), -1 elsewhere.

    Edges are the 20/40/60/80th percentiles of income among those rows; quintile k holds incomes
    in (edge_{k-1}, edge_k], so tied incomes share a quintile and ties at an edge go down.
    """
    values = income if among is None else income[among]
    codes = np.full(income.shape[0], -1, dtype=np.int8)
    if values.size == 0:
        return codes
    edges = np.quantile(values, [0.2, 0.4, 0.6, 0.8])
    quintile = np.zeros(income.shape[0], dtype=np.int8)
    for edge in edges:  # four comparisons beat a binary search per citizen
        quintile += income > edge
    return quintile if among is None else np.where(among, quintile, codes)


# --------------------------------------------------------------------------------------------
# What the scenario says (from the manifest)


def offence_kinds(scenario: ScenarioSpec | None, kinds: Sequence[str]) -> list[str]:
    """The event kinds the scenario punishes: a fine or a judgment follows, or some points
    scheme deducts points for them. Without a scenario, every kind."""
    if scenario is None:
        return list(kinds)
    events = scenario.behaviour.events
    negative = set()
    for scheme in scenario.schemes.values():
        if not isinstance(scheme, PointsScheme):
            continue
        for kind, delta in scheme.deltas.items():
            if any(v is not None and v < 0 for v in delta.values.values()):
                negative.add(kind)
    out = []
    for kind in kinds:
        event = events.get(kind)
        consequence = event.consequence if event is not None else None
        if consequence in ("fine", "judgment") or kind in negative:
            out.append(kind)
    return out


def _scenario_of(manifest: Mapping[str, Any] | None) -> ScenarioSpec | None:
    """The typed scenario of a run manifest (None when it holds none); AuditError when it
    holds one this version cannot read."""
    data = (manifest or {}).get("scenario")
    if not isinstance(data, dict):
        return None
    try:
        return spec_from_resolved(data)
    except ValueError as err:
        raise AuditError(f"the manifest's scenario cannot be read: {err}") from None


# --------------------------------------------------------------------------------------------
# Row building


class _Rows:
    """Accumulates tidy rows, one grouping at a time."""

    def __init__(self) -> None:
        self._parts: list[dict[str, Any]] = []

    def add(
        self,
        metric: str,
        category: str,
        group_by: str,
        groups: Sequence[str],
        value: Any,
        low: Any = None,
        high: Any = None,
        n: Any = None,
    ) -> None:
        """Rows of one metric for the groups of one grouping; groups with n == 0 are left out."""
        k = len(groups)
        value = np.broadcast_to(np.asarray(value, dtype=np.float64), (k,))
        nan = np.full(k, np.nan)
        low = nan if low is None else np.broadcast_to(np.asarray(low, dtype=np.float64), (k,))
        high = nan if high is None else np.broadcast_to(np.asarray(high, dtype=np.float64), (k,))
        counts = None if n is None else np.broadcast_to(np.asarray(n, dtype=np.int64), (k,))
        keep = np.ones(k, dtype=np.bool_) if counts is None else counts > 0
        self._parts.append(
            {
                "metric": metric,
                "category": category,
                "group_by": group_by,
                "group": [g for g, ok in zip(groups, keep, strict=True) if ok],
                "value": value[keep],
                "ci_low": low[keep],
                "ci_high": high[keep],
                "n": None if counts is None else counts[keep],
            }
        )

    def table(self, weight: float) -> pa.Table:
        cols: dict[str, list] = {c: [] for c in COLUMNS}
        for part in self._parts:
            k = len(part["group"])
            cols["metric"].extend([part["metric"]] * k)
            cols["category"].extend([part["category"]] * k)
            cols["group_by"].extend([part["group_by"]] * k)
            cols["group"].extend(part["group"])
            for c in ("value", "ci_low", "ci_high"):
                cols[c].append(part[c])
            n = part["n"]
            cols["n"].append(np.full(k, -1, dtype=np.int64) if n is None else n)
        n = np.concatenate(cols["n"]) if cols["n"] else np.zeros(0, dtype=np.int64)
        missing = n < 0
        arrays = {
            "metric": pa.array(cols["metric"], pa.string()),
            "category": pa.array(cols["category"], pa.string()),
            "group_by": pa.array(cols["group_by"], pa.string()),
            "group": pa.array(cols["group"], pa.string()),
        }
        for c in ("value", "ci_low", "ci_high"):
            values = np.concatenate(cols[c]) if cols[c] else np.zeros(0)
            arrays[c] = pa.array(values, pa.float64())
        arrays["n"] = pa.array(n, pa.int64(), mask=missing)
        arrays["weight"] = pa.array(n * weight, pa.float64(), mask=missing)
        return pa.table(arrays)


# --------------------------------------------------------------------------------------------
# The audit context: data, groupings, one joint cell index, rows and notes


# The court list's columns (citizens.parquet has them in every run), and not the records
# misattributed to a citizen, which any observation makes.
COURT_ONLY = frozenset(COURT_COLUMNS) - {"wrongful_records"}


class _Audit:
    def __init__(
        self,
        cols: _Columns,
        by: list[str],
        weight: float,
        scenario: ScenarioSpec | None,
    ) -> None:
        if scenario is not None and scenario.court_list() is None:
            cols.hide(COURT_ONLY)  # every run writes them; without a court list they are zeros
        self.cols = cols
        self.by = by
        self.weight = weight
        self.scenario = scenario
        self.notes: list[str] = []
        self.references: dict[str, str] = {}  # grouping → its reference group
        self.adverse_references: dict[str, dict[str, str]] = {}  # grouping → outcome → group
        self.outcomes: dict[str, str] = {}  # adverse outcome → its label
        self.rows = _Rows()
        self._totals: dict[int, tuple[np.ndarray | None, CellTotals]] = {}
        self.adult: np.ndarray | None = None
        self.groupings: list[Grouping] = []
        self.index: GroupIndex | None = None

    def prepare(self) -> None:
        """Adults, group codes and the joint cell index (after the columns are loaded)."""
        if self.cols.has("age"):
            self.adult = self.cols.array("age") >= ADULT_AGE
        else:
            self.notes.append("no 'age' column: every citizen counts as an adult")
        self.groupings = [_grouping(name, self.cols, self.adult) for name in self.by]
        # With no grouping but 'all', one trivial grouping keeps every total a cell total.
        everyone = Grouping("", np.zeros(self.cols.num_rows, dtype=np.int8), (ALL,))
        self.index = GroupIndex(self.groupings or [everyone])
        self.n_rows = self.cols.num_rows

    # grouped totals ---------------------------------------------------------------------------

    def _cells(self, where: np.ndarray | None, **kw: Any) -> CellTotals:
        assert self.index is not None, "prepare() first"
        return self.index.totals(where=where, **kw)

    def counts(self, where: np.ndarray | None) -> CellTotals:
        """Cell counts of the rows ``where`` is true, cached by mask."""
        key = id(where)
        if key not in self._totals:
            self._totals[key] = (where, self._cells(where))
        return self._totals[key][1]

    def per_group(self, totals: CellTotals) -> Iterable[tuple[str, list[str], np.ndarray]]:
        """(grouping name, group labels, totals per group), 'all' first."""
        yield ALL, [ALL], np.asarray(totals.overall())[None, ...]
        for g in self.groupings:
            yield g.name, list(g.labels), totals.by(g.name)

    # metric shapes ----------------------------------------------------------------------------

    def rates(
        self, hit: np.ndarray, among: np.ndarray | None
    ) -> Iterable[tuple[str, list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """(grouping, labels, share, Wilson low, high, n) of the rows ``among`` for which
        ``hit`` holds, per group, 'all' first."""
        both = hit if among is None else hit & among
        den = dict((n, v) for n, _, v in self.per_group(self.counts(among)))
        for name, labels, k in self.per_group(self._cells(both)):
            n = den[name]
            with np.errstate(invalid="ignore", divide="ignore"):
                p = k / n
            low, high = wilson(k, n)
            yield name, labels, p, low, high, n

    def share(self, metric: str, category: str, hit: np.ndarray, among: np.ndarray | None) -> None:
        """Share of the rows ``among`` for which ``hit`` holds, with Wilson intervals."""
        for name, labels, p, low, high, n in self.rates(hit, among):
            self.rows.add(metric, category, name, labels, p, low, high, n)

    def mean(
        self, metric: str, category: str, values: np.ndarray, among: np.ndarray | None
    ) -> None:
        """Mean of ``values`` over the rows ``among``, with normal-approximation intervals."""
        x = values.astype(np.float64)
        den = dict((n, v) for n, _, v in self.per_group(self.counts(among)))
        sq = dict((n, v) for n, _, v in self.per_group(self._cells(among, weights=x * x)))
        for name, labels, s in self.per_group(self._cells(among, weights=x)):
            m, low, high = mean_interval(s, sq[name], den[name])
            self.rows.add(metric, category, name, labels, m, low, high, den[name])

    def categorical_share(
        self,
        metric: str,
        codes: np.ndarray,
        labels: Sequence[str],
        among: np.ndarray | None,
        categories: Sequence[int],
    ) -> None:
        """Share of each category among the rows ``among``, with Wilson intervals."""
        k = len(labels)
        safe = np.where(codes >= 0, codes, 0).astype(np.int32)
        den = dict((n, v) for n, _, v in self.per_group(self.counts(among)))
        split = self._cells(among, category=(safe, k))
        for name, groups, counts in self.per_group(split):
            counts = counts.reshape(len(groups), k)
            n = den[name]
            for c in categories:
                with np.errstate(invalid="ignore", divide="ignore"):
                    p = counts[:, c] / n
                low, high = wilson(counts[:, c], n)
                self.rows.add(metric, labels[c], name, groups, p, low, high, n)


# --------------------------------------------------------------------------------------------
# The metrics. Each family lists the columns it needs (or None to skip, with the reason) and
# adds its rows.


class _Family:
    name: str = ""
    court = False  # the court list's own metrics: left out, unsaid, of a run without one

    def needs(self, a: _Audit) -> list[str] | str:
        """Columns to read, or a reason to skip."""
        raise NotImplementedError

    def compute(self, a: _Audit) -> None:
        raise NotImplementedError

    def writes(self, a: _Audit) -> list[str]:
        """The metrics :meth:`compute` writes for these columns (called after :meth:`needs`
        accepted them): declared, so that an experiment checks ``--metrics`` before any run.
        A metric may still be left out of a run's table when it has no group to report."""
        raise NotImplementedError


def _missing(a: _Audit, *names: str) -> list[str] | str:
    absent = [n for n in names if not a.cols.has(n)]
    if absent:
        return f"needs column(s) {', '.join(absent)}"
    return list(names)


@dataclass(frozen=True)
class Outcome:
    """An outcome that hurts, declared by a mechanism the run has: who suffers it (``hit``)
    among whom (``among``: None for adults), and the columns both read."""

    name: str  # the table's category: the column or condition it comes from
    label: str  # what a reader calls it
    columns: tuple[str, ...]
    hit: Any  # _Audit -> bool array
    among: Any = None  # _Audit -> bool array, or None for adults


def _has_court_list(a: _Audit) -> bool:
    """Whether the run has a court list (without its scenario: a ``listed`` column)."""
    return a.cols.has("listed") and (a.scenario is None or a.scenario.court_list() is not None)


def _lacks_court_list(a: _Audit) -> bool:
    """Whether the run's scenario is known to have no court list."""
    return a.scenario is not None and a.scenario.court_list() is None


def adverse_outcomes(a: _Audit) -> list[Outcome]:
    """The outcomes that hurt, from the mechanisms present: on the court list; under each
    sanction (a measure some of whose effects go against the citizen); on each black list;
    lacking each hukou right; scored below the grade a new citizen starts in; in a composite
    score's lowest band. Without the run's scenario, what its columns show."""
    sc = a.scenario
    cols = a.cols
    out: list[Outcome] = []
    if _has_court_list(a):
        out.append(Outcome("listed", "on the court list", ("listed",), _flag("listed")))
    for column, metric in SanctionExposure._metrics(a):
        if metric == "sanction_share":
            measure = column.removeprefix("sanction_")
            label = sc.measures[measure].label if sc and measure in sc.measures else ""
            out.append(Outcome(column, label or measure, (column,), _flag(column)))
    lists = sc.lists() if sc is not None else {}
    for name in cols.kinds:
        listed = name.removeprefix("on_")
        if _prefixed_flag(a, name, ("on_",)) and (sc is None or (
                listed in lists and lists[listed].kind == "blacklist")):  # fmt: skip
            label = lists[listed].label if listed in lists else ""
            out.append(Outcome(name, f"on the {label or listed}", (name,), _flag(name)))
    rights = sc.hukou.rights if sc is not None else {}
    for name in cols.kinds:
        if _prefixed_flag(a, name, ("lacks_",)):
            right = name.removeprefix("lacks_")
            label = rights[right].label if right in rights else ""
            out.append(Outcome(name, f"lacking {label or right}", (name,), _flag(name)))
    points = sc.points_scheme() if sc is not None else None
    if points is not None and cols.has("grade", "scored"):
        low = _grades_below_start(points[1], sc.world.start)
        if low:
            out.append(Outcome(
                "grade", f"scored below the starting grade ({', '.join(reversed(low))})",
                ("grade", "scored"), _levels("grade", low), _flag("scored"),
            ))  # fmt: skip
    composite = sc.composite() if sc is not None else None
    if composite is not None and cols.has("composite_band", "composite_user"):
        bands = composite[1].bands
        lowest = min(bands, key=bands.get)
        out.append(Outcome(
            "composite_band", f"in the lowest band of {composite[1].label or composite[0]} "
            f"({lowest})", ("composite_band", "composite_user"), _levels("composite_band",
            [lowest]), _flag("composite_user"),
        ))  # fmt: skip
    if sc is not None and sc.headline:  # the scenario's own headline first, in its order
        first = {name: k for k, name in enumerate(sc.headline)}
        out.sort(key=lambda o: first.get(o.name, len(first)))
    return out


STANDING = (
    "grade",
    "composite_band",
    "on_",
    "sanction_",
    "lacks_",
)  # what a score or list says first


def _standing_outcome(outcomes: Sequence[Outcome], scenario: ScenarioSpec | None) -> Outcome:
    """The outcome whose escape is the default favourable one without a court list: the
    scenario's first headline, else a low grade, a low band, a black list, a sanction, a right
    lacked, in that order."""
    if scenario is not None and scenario.headline:
        return outcomes[0]  # already in the headline's order
    return min(outcomes, key=lambda o: next(
        (k for k, p in enumerate(STANDING) if o.name.startswith(p)), len(STANDING)))  # fmt: skip


def _flag(column: str) -> Any:
    return lambda a: a.cols.array(column).astype(bool, copy=False)


def _levels(column: str, levels: Sequence[str]) -> Any:
    def hit(a: _Audit) -> np.ndarray:
        codes, labels = a.cols._categorical(column)
        wanted = [i for i, label in enumerate(labels) if label in levels]
        return np.isin(codes, wanted)

    return hit


def _grades_below_start(scheme: PointsScheme, day: Any) -> list[str]:
    """The grades below the one a citizen with the base points is in."""
    base = scheme.base.at(day)
    if base is None:
        return []
    bounds = sorted(scheme.grades.items(), key=lambda item: item[1])
    start = max((i for i, (_, low) in enumerate(bounds) if low <= base), default=0)
    return [name for name, _ in bounds[:start]]


def _outcome_base(a: _Audit, outcome: Outcome) -> np.ndarray | None:
    """Whom an outcome that hurts is counted among: adults, or its own base among adults
    (None: everyone, in a run without ages)."""
    if outcome.among is None:
        return a.adult
    return outcome.among(a) if a.adult is None else outcome.among(a) & a.adult


class AdverseOutcomes(_Family):
    """Disparities in the outcomes that hurt (see :func:`adverse_outcomes`); category: the
    outcome. Among adults, or among the scored or the score's users for a grade or band.

    - ``adverse_rate``: share of the group who suffer it, with Wilson intervals.
    - ``adverse_ratio``: the group's rate over the reference group's (Katz log intervals): 2.0
      means twice as often. The reference is the group given for the grouping (``reference``),
      else the one with the lowest rate above zero (ties: the largest), so that every ratio
      reads "times as often as the least affected group".
    - ``adverse_difference``: the group's rate minus the reference's (Newcombe intervals).
    - ``adverse_four_fifths``: 1 where the reference's rate is below four-fifths of the group's
      (a ratio above 1.25): the four-fifths rule of thumb read for an outcome that hurts.
    """

    name = "adverse_rate"

    def __init__(self, reference: Mapping[str, str]) -> None:
        self.reference = dict(reference)
        self.outcomes: list[Outcome] = []

    def needs(self, a):
        self.outcomes = adverse_outcomes(a)
        if not self.outcomes:
            return "the run has no mechanism with an outcome that hurts"
        return [c for o in self.outcomes for c in o.columns]

    def compute(self, a):
        for outcome in self.outcomes:
            hit = np.asarray(outcome.hit(a), bool)
            among = _outcome_base(a, outcome)
            for name, labels, p, low, high, n in a.rates(hit, among):
                a.rows.add("adverse_rate", outcome.name, name, labels, p, low, high, n)
                if name == ALL:
                    continue
                ref = self._reference(name, labels, p, n)
                if ref is None:
                    continue
                ratio, r_low, r_high, diff, d_low, d_high = _against(ref, p, n, low, high)
                a.rows.add("adverse_ratio", outcome.name, name, labels, ratio, r_low, r_high, n)
                a.rows.add("adverse_difference", outcome.name, name, labels, diff, d_low,
                           d_high, n)  # fmt: skip
                flag = np.where(np.isnan(ratio), np.nan,
                                (ratio * FOUR_FIFTHS > 1).astype(np.float64))  # fmt: skip
                a.rows.add("adverse_four_fifths", outcome.name, name, labels, flag, n=n)
                a.adverse_references.setdefault(name, {})[outcome.name] = labels[ref]
        a.outcomes.update({o.name: o.label for o in self.outcomes})

    def _reference(self, name: str, labels: list[str], p: np.ndarray, n: np.ndarray) -> int | None:
        if name in self.reference and self.reference[name] in labels:
            index = labels.index(self.reference[name])
            return index if n[index] > 0 and p[index] > 0 else None
        rates = np.where((n > 0) & (p > 0), p, np.inf)
        if not np.isfinite(rates).any():
            return None
        best = np.flatnonzero(rates == rates.min())
        return int(best[np.argmax(n[best])])

    def writes(self, a):
        ratios = ["adverse_ratio", "adverse_difference", "adverse_four_fifths"]
        return ["adverse_rate", *(ratios if a.by else [])]


class ListingRate(_Family):
    """``listing_rate``: share of adults on the list at the end of the run; ``ever_listed_rate``:
    share of adults listed at least once (``n_listings > 0``)."""

    court = True
    name = "listing_rate"

    def needs(self, a):
        return _missing(a, "listed")

    def compute(self, a):
        a.share("listing_rate", "", a.cols.array("listed"), a.adult)
        if a.cols.has("n_listings"):
            a.share("ever_listed_rate", "", a.cols.array("n_listings") > 0, a.adult)

    def writes(self, a):
        return ["listing_rate", *(["ever_listed_rate"] if a.cols.has("n_listings") else [])]


class SanctionExposure(_Family):
    """``sanction_share`` (category: the measure): share of adults under each measure at the end
    of the run (the ``sanction_<measure>`` flags); measures whose every effect favours the
    citizen are reported as ``reward_share``. ``days_listed_per_adult``: mean days on the list
    per adult over the run, the exposure behind the travel and schooling bans."""

    name = "sanction_share"

    def needs(self, a):
        flags = _sanction_columns(a)
        if not flags and not a.cols.has("days_listed"):
            return "needs sanction_<measure> or days_listed columns"
        return flags + (["days_listed"] if a.cols.has("days_listed") else [])

    def compute(self, a):
        for column, metric in self._metrics(a):
            a.share(metric, column.removeprefix("sanction_"), a.cols.array(column), a.adult)
        if a.cols.has("days_listed"):
            a.mean("days_listed_per_adult", "", a.cols.array("days_listed"), a.adult)

    def writes(self, a):
        metrics = dict.fromkeys(metric for _, metric in self._metrics(a))
        return [*metrics, *(["days_listed_per_adult"] if a.cols.has("days_listed") else [])]

    @staticmethod
    def _metrics(a: _Audit) -> list[tuple[str, str]]:
        """(column, metric) of each measure's flag: rewards apart from sanctions."""
        measures = a.scenario.measures if a.scenario is not None else {}
        rewards = {name for name, measure in measures.items() if measure.is_reward}
        return [
            (c, "reward_share" if c.removeprefix("sanction_") in rewards else "sanction_share")
            for c in _sanction_columns(a)
        ]


def _sanction_columns(a: _Audit) -> list[str]:
    return [n for n, k in a.cols.kinds.items() if n.startswith("sanction_") and k == "bool"]


class GradeDistribution(_Family):
    """``grade_share`` (category: the grade): share of scored citizens in each grade at the end
    of the run; ``scored_share``: share of adults the points scheme scores. Likewise
    ``composite_band_share`` and ``composite_user_share`` for a composite score's bands."""

    name = "grade_share"

    def needs(self, a):
        present = [(c, p) for c, p, *_ in STANDINGS if a.cols.has(c, p)]
        if not present:
            return "needs column(s) " + " or ".join(f"{c}, {p}" for c, p, *_ in STANDINGS)
        return [name for pair in present for name in pair]

    def compute(self, a):
        for column, population, metric, population_metric in STANDINGS:
            if not a.cols.has(column, population):
                continue
            holders = a.cols.array(population).astype(bool, copy=False)
            a.share(population_metric, "", holders, a.adult)
            codes, labels = a.cols._categorical(column)
            levels = [i for i, label in enumerate(labels) if label not in OUTSIDE_LABELS]
            a.categorical_share(metric, codes, labels, holders, levels)

    def writes(self, a):
        return [m for c, p, metric, pop in STANDINGS if a.cols.has(c, p) for m in (pop, metric)]


class Lists(_Family):
    """``list_share`` (category: the list): share of adults on each black or red list at the
    end of the run (``on_<list>``); ``rights_lacking_share`` (category: the right): share of
    adults whose hukou denies them each local right (``lacks_<right>``)."""

    name = "list_share"

    def needs(self, a):
        names = [n for n in a.cols.kinds if _prefixed_flag(a, n, ("on_", "lacks_"))]
        return names or "needs on_<list> or lacks_<right> columns"

    def compute(self, a):
        for name in a.cols.kinds:
            if _prefixed_flag(a, name, ("on_",)):
                a.share("list_share", name.removeprefix("on_"), a.cols.array(name), a.adult)
        for name in a.cols.kinds:
            if _prefixed_flag(a, name, ("lacks_",)):
                right = name.removeprefix("lacks_")
                a.share("rights_lacking_share", right, a.cols.array(name), a.adult)

    def writes(self, a):
        flags = [n for n in a.cols.kinds if _prefixed_flag(a, n, ("on_", "lacks_"))]
        return [metric for prefix, metric in (("on_", "list_share"),
                                              ("lacks_", "rights_lacking_share"))
                if any(n.startswith(prefix) for n in flags)]  # fmt: skip


def _prefixed_flag(a: _Audit, name: str, prefixes: tuple[str, ...]) -> bool:
    return name.startswith(prefixes) and a.cols.kinds[name] == "bool"


class Fairness(_Family):
    """Group fairness of a declared favourable outcome, among a declared population (default:
    adults); category: the favourable outcome. The default outcome is "not listed" where the
    run has a court list, else escaping the first outcome that hurts (:func:`adverse_outcomes`,
    among those it counts: "not scored below the starting grade" among the scored).

    - ``favourable_rate``: P(favourable | group) — Fairlearn's selection rate.
    - ``disparate_impact_ratio``: P(favourable | group) / P(favourable | reference group), the
      AIF360 name (Fairlearn: ``demographic_parity_ratio`` is its minimum over groups).
    - ``statistical_parity_difference``: P(favourable | group) − P(favourable | reference) (AIF360;
      Fairlearn's ``demographic_parity_difference`` is the largest such gap).
    - ``four_fifths``: 1 where the disparate impact ratio is below 0.8 (the US EEOC four-fifths
      rule of thumb for adverse impact), else 0.

    The reference (privileged) group of each grouping is the one with the highest favourable
    rate (ties: the largest) unless one is given; ``info["reference"]`` and the notes name it.
    """

    name = "disparate_impact_ratio"

    def __init__(self, favourable: str, among: str, reference: Mapping[str, str]) -> None:
        self.favourable_source = favourable
        self.among_source = among
        self.reference = dict(reference)
        self.favourable = None
        self.among = None
        self.escaped: Outcome | None = None

    def needs(self, a):
        variables = _variables(a.cols)
        # The default reads 'listed' where the scenario has a court list; without one it is
        # the escape from the first outcome that hurts (a run without either skips), while an
        # outcome the user wrote must compile.
        self.escaped = None
        if self.favourable_source == DEFAULT_FAVOURABLE and not _has_court_list(a):
            outcomes = adverse_outcomes(a)
            if not outcomes:
                return "the run has no court list and no outcome that hurts (give --favourable)"
            self.escaped = _standing_outcome(outcomes, a.scenario)
            self.among = None if self.among_source == DEFAULT_AMONG else _compile(
                self.among_source, variables, "population (--among)")  # fmt: skip
            self._check_references(a)
            among = sorted(self.among.reads) if self.among else []
            return [*self.escaped.columns, *among]
        self.favourable = _compile(self.favourable_source, variables, "favourable outcome")
        if self.among_source == DEFAULT_AMONG and not a.cols.has("age"):
            self.among = None
        else:
            self.among = _compile(self.among_source, variables, "population (--among)")
        self._check_references(a)
        return sorted(self.favourable.reads | (self.among.reads if self.among else set()))

    @property
    def outcome(self) -> str:
        """The favourable outcome as the audit's tables name it (its category)."""
        if self.escaped is None:
            return self.favourable_source
        if self.escaped.name.startswith("sanction_"):  # its label names the sanction itself
            return f"not under '{self.escaped.label}'"
        return f"not {self.escaped.label}"

    def _check_references(self, a: _Audit) -> None:
        unknown = [g for g in self.reference if g not in a.by]
        if unknown:
            raise AuditError(
                f"a reference group is given for {', '.join(map(repr, unknown))}, which is not "
                f"among the groupings ({', '.join(a.by) or 'none'})"
            )

    def compute(self, a):
        among = np.ones(a.n_rows, bool) if self.among is None else _evaluate(self.among, a.cols)
        among = np.broadcast_to(among, (a.n_rows,)) if among.ndim == 0 else among
        if self.escaped is not None:  # not suffering the first outcome that hurts, among its own
            outcome = self.escaped
            fav = ~np.asarray(outcome.hit(a), bool)
            if outcome.among is not None:
                among = among & outcome.among(a)
        else:
            fav = _evaluate(self.favourable, a.cols)
            fav = np.broadcast_to(fav, (a.n_rows,)) if fav.ndim == 0 else fav
        category = self.outcome
        for name, labels, p, low, high, n in a.rates(fav, among):
            a.rows.add("favourable_rate", category, name, labels, p, low, high, n)
            if name == ALL:
                continue
            ref = self._reference(name, labels, p, n)
            if ref is None:
                a.notes.append(f"{name}: no group has any favourable outcome; no ratios")
                continue
            a.references[name] = labels[ref]
            a.notes.append(
                f"{name}: reference group '{labels[ref]}' "
                f"({'given' if name in self.reference else 'highest favourable rate'})"
            )
            di, di_low, di_high, spd, spd_low, spd_high = _against(ref, p, n, low, high)
            a.rows.add("disparate_impact_ratio", category, name, labels, di, di_low, di_high, n)
            a.rows.add("statistical_parity_difference", category, name, labels, spd,
                       spd_low, spd_high, n)  # fmt: skip
            flag = np.where(np.isnan(di), np.nan, (di < FOUR_FIFTHS).astype(np.float64))
            a.rows.add("four_fifths", category, name, labels, flag, n=n)

    def writes(self, a):
        ratios = ["disparate_impact_ratio", "statistical_parity_difference", "four_fifths"]
        return ["favourable_rate", *(ratios if a.by else [])]

    def _reference(self, name: str, labels: list[str], p: np.ndarray, n: np.ndarray) -> int | None:
        if name in self.reference:
            wanted = self.reference[name]
            present = [lab for lab, m in zip(labels, n, strict=True) if m > 0]
            if wanted not in present:
                close = difflib.get_close_matches(wanted, present, n=1)
                hint = f" — did you mean '{close[0]}'?" if close else ""
                raise AuditError(
                    f"reference group '{wanted}' is not a group of '{name}'{hint} "
                    f"(groups: {', '.join(present)})"
                )
            return labels.index(wanted)
        rates = np.where(n > 0, p, -np.inf)
        if not np.isfinite(rates).any() or rates.max() <= 0:
            return None
        best = np.flatnonzero(rates == rates.max())
        return int(best[np.argmax(n[best])])  # ties: the largest group


def _against(ref: int, p: np.ndarray, n: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple:
    """Each group's rate against the reference group's: the ratio with Katz's interval and the
    difference with Newcombe's (no interval for the reference itself)."""
    p0, n0, lo0, hi0 = p[ref], n[ref], low[ref], high[ref]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = p / p0
    r_low, r_high = ratio_interval(p, n, p0, n0)
    d_low, d_high = difference_interval(p, low, high, p0, lo0, hi0)
    for arr in (r_low, r_high, d_low, d_high):
        arr[ref] = np.nan
    return ratio, r_low, r_high, p - p0, d_low, d_high


def _variables(cols: _Columns) -> dict[str, Any]:
    """Expression variable types for the run's columns."""
    out: dict[str, Any] = {}
    for name, kind in cols.kinds.items():
        if kind == "bool":
            out[name] = Bool()
        elif kind == "number":
            out[name] = Number()
        elif kind == "category":
            levels = cols.labels(name)
            if levels:
                out[name] = Ordinal(tuple(levels))
    return out


def _compile(source: str, variables: Mapping[str, Any], what: str) -> Any:
    try:
        return compile_expr(source, variables=variables, expect=Bool())
    except ExprError as err:
        raise AuditError(f"{what} {source!r}: {err}") from None


def _evaluate(expr: Any, cols: _Columns) -> np.ndarray:
    return np.asarray(expr.evaluate({name: cols.array(name) for name in expr.reads}), bool)


class WrongfulListings(_Family):
    """Wrongful listings: listings caused by a misattributed record (another person's offence
    attached to this citizen).

    - ``wrongful_listing_rate``: share of adults ever wrongfully listed (wrongful_listings > 0).
    - ``wrongful_listing_share``: share of the ever listed (n_listings > 0) who were ever
      wrongfully listed.
    - ``wrongful_record_rate``: share of adults who received a misattributed record.
    """

    name = "wrongful_listing_rate"

    def needs(self, a):
        names = [n for n in ("wrongful_listings", "n_listings", "wrongful_records")
                 if a.cols.has(n)]  # fmt: skip
        if not ({"wrongful_listings", "wrongful_records"} & set(names)):
            return "needs column(s) wrongful_listings or wrongful_records"
        return names

    def compute(self, a):
        if a.cols.has("wrongful_listings"):
            wrongful = a.cols.array("wrongful_listings") > 0
            a.share("wrongful_listing_rate", "", wrongful, a.adult)
            if a.cols.has("n_listings"):
                ever = a.cols.array("n_listings") > 0
                a.share("wrongful_listing_share", "", wrongful, ever)
        if a.cols.has("wrongful_records"):
            a.share("wrongful_record_rate", "", a.cols.array("wrongful_records") > 0, a.adult)

    def writes(self, a):
        has = a.cols.has
        return [metric for metric, present in (
            ("wrongful_listing_rate", has("wrongful_listings")),
            ("wrongful_listing_share", has("wrongful_listings", "n_listings")),
            ("wrongful_record_rate", has("wrongful_records")),
        ) if present]  # fmt: skip


class WrongfulSanctions(_Family):
    """``wrongful_sanction_share`` (category: the measure): among the people under each
    sanction at the end of the run, the share for whom it rests on records that were not theirs
    — its condition holds, and would not without them: read with the grade their own records
    give (``grade_own_records``: the points less ``wrongful_points``, the net change that
    misattributed records made) and with ``listed`` false for a listing on a wrongful case
    (``case_wrongful``). A condition that reads anything else (a composite score, a black list,
    a household) reads it as it is, so a band or a list entry caused by another person's record
    is not counted: a lower bound there; a sanction whose condition reads neither a grade nor
    the court list is not judged (no row). Without the run's scenario (its conditions unknown),
    the share whose current court case is wrongful."""

    name = "wrongful_sanction_share"
    # a condition's variable that can be read without the records that were not the citizen's
    # → the column that reading needs
    OWN = {"grade": "grade_own_records", "listed": "case_wrongful"}

    def __init__(self) -> None:
        self.conditions: dict[str, Any] = {}  # sanction column → compiled condition
        self.columns: dict[str, str] = {}  # variable → column

    def needs(self, a):
        sanctions = [c for c, metric in SanctionExposure._metrics(a) if metric == "sanction_share"]
        if not sanctions:
            return "the run has no sanction"
        if a.scenario is None:
            return ["case_wrongful", *sanctions] if a.cols.has("case_wrongful") else (
                "needs column case_wrongful")  # fmt: skip
        self.columns = self._variable_columns(a)
        types = _variables(a.cols)
        variables = {v: types[c] for v, c in self.columns.items() if c in types}
        self.conditions = {}
        for column in sanctions:
            measure = a.scenario.measures.get(column.removeprefix("sanction_"))
            if measure is None:
                continue
            try:
                expr = compile_expr(measure.when, variables=variables, expect=Bool())
            except ExprError:  # reads state the citizens table does not hold: not judged
                continue
            if not set(expr.reads) & set(self.OWN):  # nothing it reads can be replayed: a 0
                continue  # would say "never wrongful" where the audit cannot tell
            self.conditions[column] = expr
        if not self.conditions:
            return "no sanction's condition can be read from the citizens table"
        read = {v for e in self.conditions.values() for v in e.reads}
        return [*self.conditions, *(self.columns[v] for v in read),
                *(self.OWN[v] for v in read if v in self.OWN)]  # fmt: skip

    def _variable_columns(self, a: _Audit) -> dict[str, str]:
        sc = a.scenario
        out = {"has_child": "has_child"}
        if sc.points_scheme() is not None and a.cols.has("grade", "grade_own_records"):
            out["grade"] = "grade"
        if _has_court_list(a) and a.cols.has("case_wrongful"):
            out["listed"] = "listed"
        composite = sc.composite()
        if composite is not None:
            out[composite[0]] = "composite_band"
        out.update({name: f"on_{name}" for name in sc.lists()})
        return {v: c for v, c in out.items() if a.cols.has(c)}

    def compute(self, a):
        if a.scenario is None:  # no conditions known, and no measure known to be a reward
            case_wrongful = a.cols.array("case_wrongful").astype(bool)
            for column in _sanction_columns(a):
                a.share(self.name, column.removeprefix("sanction_"), case_wrongful,
                        a.cols.array(column))  # fmt: skip
            return
        read = {v for e in self.conditions.values() for v in e.reads}
        now = {v: a.cols.array(c) for v, c in self.columns.items() if v in read}
        own = dict(now)
        if "grade" in now:
            own["grade"] = a.cols.array(self.OWN["grade"])
        if "listed" in now:
            own["listed"] = now["listed"].astype(bool) & ~a.cols.array(self.OWN["listed"]).astype(
                bool
            )
        for column, expr in self.conditions.items():
            flag = a.cols.array(column).astype(bool)
            holds = np.asarray(expr.evaluate({v: now[v] for v in expr.reads}), bool)
            without = np.asarray(expr.evaluate({v: own[v] for v in expr.reads}), bool)
            a.share(self.name, column.removeprefix("sanction_"), holds & ~without, flag)

    def writes(self, a):
        return [self.name]


class NeverRecorded(_Family):
    """``offenders_never_recorded``: among citizens who committed an offence (``n_<kind> > 0``),
    the share of whom none was ever recorded (``rec_<kind> == 0``); category ``any`` over all
    offence kinds together (an offence of some kind, no record of any), then each kind.

    Offences are the kinds the scenario punishes (a fine, a judgment or a points deduction;
    every kind when the run has no scenario) unless given. A misattributed record counts as a
    record, so this is a lower bound on offenders the system never saw.
    """

    name = "offenders_never_recorded"

    def __init__(self, kinds: Sequence[str] | None) -> None:
        self.given = None if kinds is None else list(kinds)
        self.kinds: list[str] = []

    def needs(self, a):
        present = [
            n.removeprefix("n_")
            for n in a.cols.kinds
            if n.startswith("n_") and a.cols.has(n, "rec_" + n.removeprefix("n_"))
        ]
        if self.given is not None:
            unknown = [k for k in self.given if k not in present]
            if unknown:
                close = difflib.get_close_matches(unknown[0], present, n=1)
                hint = f" — did you mean '{close[0]}'?" if close else ""
                raise AuditError(
                    f"offence kind(s) {', '.join(map(repr, unknown))} have no n_/rec_ columns "
                    f"in this run{hint} (kinds: {', '.join(present) or 'none'})"
                )
            self.kinds = self.given
        else:
            self.kinds = offence_kinds(a.scenario, present)
        if not self.kinds:
            return "needs n_<kind> and rec_<kind> columns of some offence"
        a.notes.append(f"offenders_never_recorded: offence kinds {', '.join(self.kinds)}")
        return [c for k in self.kinds for c in (f"n_{k}", f"rec_{k}")]

    def compute(self, a):
        any_offence = np.zeros(a.n_rows, dtype=np.bool_)
        any_record = np.zeros(a.n_rows, dtype=np.bool_)
        per_kind = []
        for kind in self.kinds:
            offended = a.cols.array(f"n_{kind}") > 0
            recorded = a.cols.array(f"rec_{kind}") > 0
            any_offence |= offended
            any_record |= recorded
            per_kind.append((kind, offended, recorded))
        a.share("offenders_never_recorded", "any", ~any_record, any_offence)
        for kind, offended, recorded in per_kind:
            a.share("offenders_never_recorded", kind, ~recorded, offended)

    def writes(self, a):
        return ["offenders_never_recorded"]


class PovertyTrap(_Family):
    """Poverty trap, among citizens ever listed (``n_listings > 0``):

    - ``poverty_trap_share``: share ever trapped — listed for a year or more while their assets
      were below the amount owed (``ever_trapped``);
    - ``listed_year_or_more_share``: share with 365 or more days on the list in all;
    - ``days_listed_quantile`` (category p10…p90): quantiles of their total days on the list.
      Listings still running at the end of the run are counted up to the end (right-censored),
      so these understate the time to exit.
    """

    court = True
    name = "poverty_trap_share"

    def needs(self, a):
        if not a.cols.has("n_listings"):
            return "needs column n_listings"
        names = [n for n in ("ever_trapped", "days_listed") if a.cols.has(n)]
        return ["n_listings", *names] if names else "needs column(s) ever_trapped or days_listed"

    def compute(self, a):
        ever = a.cols.array("n_listings") > 0
        if a.cols.has("ever_trapped"):
            a.share("poverty_trap_share", "", a.cols.array("ever_trapped"), ever)
        if not a.cols.has("days_listed"):
            return
        days = a.cols.array("days_listed")
        a.share("listed_year_or_more_share", "", days >= YEAR_DAYS, ever)
        rows = np.flatnonzero(ever)
        xs = days[rows]
        split = [(ALL, [ALL], None, 1)]
        split += [(g.name, list(g.labels), g.codes[rows], g.n_groups) for g in a.groupings]
        for name, labels, codes, n_groups in split:
            values = grouped_quantiles(xs, codes, n_groups, DAYS_LISTED_QUANTILES)
            n = [rows.size] if codes is None else np.bincount(codes[codes >= 0], minlength=n_groups)
            for j, q in enumerate(DAYS_LISTED_QUANTILES):
                category = f"p{round(q * 100)}"
                a.rows.add("days_listed_quantile", category, name, labels, values[:, j], n=n)

    def writes(self, a):
        trapped = ["poverty_trap_share"] if a.cols.has("ever_trapped") else []
        days = ["listed_year_or_more_share", "days_listed_quantile"]
        return trapped + (days if a.cols.has("days_listed") else [])


class ExitRoutes(_Family):
    """``exit_route_share`` (category: ``still_listed`` or the route): among citizens ever
    listed (``n_listings > 0``), the share still listed at the end of the run and the share
    whose last listing ended by each removal route — paid, settlement, creditor, no_assets,
    expiry, escaped (``last_exit``). Which groups leave the list by paying and which only by
    expiry or a no-assets finding."""

    court = True
    name = "exit_route_share"

    def needs(self, a):
        return _missing(a, "last_exit", "n_listings")

    def compute(self, a):
        codes, labels = a.cols._categorical("last_exit")
        labels = ["still_listed", *labels[1:]]  # level 0: no ended listing since the last one
        ever = a.cols.array("n_listings") > 0
        a.categorical_share("exit_route_share", codes, labels, ever, range(len(labels)))

    def writes(self, a):
        return ["exit_route_share"]


class BlockedPurchases(_Family):
    """Tickets and the purchases bans block, per person over the run (category: ``air`` or
    ``rail``), in person-times as the published counts are:

    - ``trips_per_adult``: tickets bought, per adult (``trips_<mode>``);
    - ``blocked_attempts_per_adult``: purchase attempts blocked, per adult (``blocked_<mode>``);
    - ``blocked_attempts_per_listed``: the same among citizens ever listed (``n_listings > 0``),
      who are the only ones a court ban reaches.
    """

    name = "blocked_attempts_per_adult"
    MODES = ("air", "rail")

    def needs(self, a):
        names = [f"{what}_{mode}" for what in ("trips", "blocked") for mode in self.MODES]
        missing = _missing(a, "age", *names)
        if isinstance(missing, str):
            return missing
        return missing + (["n_listings"] if a.cols.has("n_listings") else [])

    def compute(self, a):
        adult = a.cols.array("age") >= ADULT_AGE
        for mode in self.MODES:
            a.mean("trips_per_adult", mode, a.cols.array(f"trips_{mode}"), adult)
        for mode in self.MODES:
            a.mean("blocked_attempts_per_adult", mode, a.cols.array(f"blocked_{mode}"), adult)
        if a.cols.has("n_listings"):
            ever = a.cols.array("n_listings") > 0
            for mode in self.MODES:
                blocked = a.cols.array(f"blocked_{mode}")
                a.mean("blocked_attempts_per_listed", mode, blocked, ever)

    def writes(self, a):
        listed = ["blocked_attempts_per_listed"] if a.cols.has("n_listings") else []
        return ["trips_per_adult", "blocked_attempts_per_adult", *listed]


class Inequality(_Family):
    """``gini`` (category: the column): Gini coefficient of points among the scored, of a
    composite score among its users, and of wealth and income among adults, per group. 0 is
    perfect equality, 1 one person holding everything."""

    name = "gini"

    def needs(self, a):
        names = [c for c in GINI_COLUMNS if a.cols.has(c) and a.cols.kinds[c] == "number"]
        if not names:
            return f"needs one of the columns {', '.join(GINI_COLUMNS)}"
        return names + [GINI_COLUMNS[c] for c in names if a.cols.has(GINI_COLUMNS[c])]

    def compute(self, a):
        for column, population in GINI_COLUMNS.items():
            if not (a.cols.has(column) and a.cols.kinds[column] == "number"):
                continue
            if population == ADULTS:
                among = a.adult
            else:
                among = a.cols.array(population) if a.cols.has(population) else None
            rows = None if among is None else np.flatnonzero(among)
            cells = a.index if a.groupings else []
            (overall, n_all), per_grouping = gini_by(a.cols.array(column), cells, rows)
            a.rows.add("gini", column, ALL, [ALL], overall, n=n_all)
            for g, (gini, n) in zip(a.groupings, per_grouping, strict=True):
                a.rows.add("gini", column, g.name, list(g.labels), gini, n=n)

    def writes(self, a):
        return ["gini"]


class Calibration(_Family):
    """``calibration`` (category: the target): the simulated value of each calibration target
    the scenario declares, from the run manifest; ``calibration_within``: 1 inside the target's
    range, 0 outside, NaN when the run does not cover the target's period."""

    name = "calibration"

    def __init__(self, entries: list[dict[str, Any]] | None) -> None:
        self.entries = entries

    def needs(self, a):
        if self.entries is None:
            return "needs the run manifest"
        return []

    def compute(self, a):
        for entry in self.entries or []:
            name = str(entry.get("name", ""))
            group = str(entry.get("group") or ALL)
            simulated = entry.get("simulated")
            within = entry.get("within")
            value = math.nan if simulated is None else float(simulated)
            a.rows.add("calibration", name, ALL, [group], value)
            a.rows.add("calibration_within", name, ALL, [group],
                       math.nan if within is None else float(within))  # fmt: skip

    def writes(self, a):
        return ["calibration", "calibration_within"] if self.entries else []


class Network(_Family):
    """Network effects, where the run has a friendship graph:

    - ``friends_mean``: mean number of friends at the end; ``friends_lost_mean``: mean ties lost
      over the run (dropped by either end); ``ties_lost_share``: share who lost at least one;
    - ``ties_dropped_per_user``: mean ties a composite-score user dropped to low scorers;
    - ``score_assortativity`` (overall only): correlation of friends' composite scores at the
      run's end (Newman's assortativity), as the run recorded it in its time series.
    """

    name = "network"

    def __init__(self, assortativity: float | None = None) -> None:
        self.assortativity = assortativity

    def needs(self, a):
        if not (a.cols.has("friends") and a.cols.has("friends_initial")):
            return "needs a friendship graph (columns friends, friends_initial)"
        extra = [c for c in ("ties_dropped", "composite_user") if a.cols.has(c)]
        return ["friends", "friends_initial", *extra]

    def compute(self, a):
        friends = a.cols.array("friends").astype(np.float64)
        lost = a.cols.array("friends_initial") - friends
        a.mean("friends_mean", "", friends, None)
        a.mean("friends_lost_mean", "", lost, None)
        a.share("ties_lost_share", "", lost > 0, None)
        if a.cols.has("ties_dropped") and a.cols.has("composite_user"):
            users = a.cols.array("composite_user").astype(bool)
            a.mean("ties_dropped_per_user", "", a.cols.array("ties_dropped"), users)
        if self.assortativity is not None:
            a.rows.add("score_assortativity", "", ALL, [ALL], self.assortativity)

    def writes(self, a):
        dropped = a.cols.has("ties_dropped", "composite_user")
        return [
            "friends_mean",
            "friends_lost_mean",
            "ties_lost_share",
            *(["ties_dropped_per_user"] if dropped else []),
            *(["score_assortativity"] if self.assortativity is not None else []),
        ]


class Behaviour(_Family):
    """``events_per_adult`` (category: the event kind): acts per adult over the run, true (not
    as recorded). Deterrence and chilling are its paired change against a no-system
    counterfactual on the same random numbers: ``scsim compare hukou-only RUN_SCENARIO``
    (offences, and critical posts where the catalogue has them)."""

    name = "events_per_adult"

    def needs(self, a):
        kinds = [c for c in a.cols.kinds if c.startswith("n_") and c not in ("n_cases",
                 "n_listings")]  # fmt: skip
        if not kinds or not a.cols.has("age"):
            return "needs per-kind event counts (n_<kind>) and age"
        self.kinds = kinds
        return ["age", *kinds]

    def compute(self, a):
        adult = a.cols.array("age") >= ADULT_AGE
        for column in self.kinds:
            a.mean("events_per_adult", column[2:], a.cols.array(column), adult)

    def writes(self, a):
        return ["events_per_adult"]


class GradeMobility(_Family):
    """``grade_transition`` (category "from→to"): among citizens in grade *from* when the last
    calendar year of the run began (or unscored), the share in each grade at the end — one row
    of the transition matrix per *from* grade."""

    name = "grade_transition"

    def needs(self, a):
        if not (a.cols.has("grade") and a.cols.has("grade_year_start")):
            return "needs a points scheme (columns grade, grade_year_start)"
        return ["grade", "grade_year_start"]

    def compute(self, a):
        start_codes, labels = a.cols._categorical("grade_year_start")
        end_codes, end_labels = a.cols._categorical("grade")
        for f, name in enumerate(labels):
            among = start_codes == f
            if not among.any():
                continue
            pairs = [f"{name}→{to}" for to in end_labels]
            a.categorical_share("grade_transition", end_codes, pairs, among,
                                range(len(end_labels)))  # fmt: skip

    def writes(self, a):
        return ["grade_transition"]


# --------------------------------------------------------------------------------------------
# The audit


def audit(
    source: Run | str | os.PathLike[str] | pa.Table | Mapping[str, Any],
    by: str | Sequence[str] | None = None,
    *,
    favourable: str = DEFAULT_FAVOURABLE,
    among: str = DEFAULT_AMONG,
    reference: Mapping[str, str] | None = None,
    offences: Sequence[str] | None = None,
    weight: float | None = None,
    manifest: Mapping[str, Any] | None = None,
    timeseries: pa.Table | None = None,
) -> AuditTable:
    """All audit metrics of a run (or a citizens table), overall and per group of each ``by``.

    ``source`` is a :class:`Run`, a run directory, an Arrow table or a ``{column: array}`` dict
    (categoricals as ``(codes, labels)``, as ``scsim.results.outcome.citizen_columns`` gives them).
    ``by`` is a list of groupings or a comma-separated string (default: hukou, migrant);
    ``favourable`` and ``among`` are expressions in the scenario language over citizen columns
    (``"not listed"``, ``"scored and grade >= 'A'"``); ``reference`` maps a grouping to its
    reference group (default: the group with the highest favourable rate); ``offences`` the
    event kinds counted as offences; ``weight`` real persons per agent (default: the run's, or
    1); ``manifest`` a run manifest and ``timeseries`` its time series when ``source`` is not
    a run (the experiments audit runs they never write).
    """
    clock = time.perf_counter()
    run = Run(source) if isinstance(source, str | os.PathLike) else source
    if isinstance(run, Run):
        manifest = run.manifest
        weight = run.weight if weight is None else weight
        scenario = run.scenario if isinstance(manifest.get("scenario"), dict) else None
    else:
        scenario = _scenario_of(manifest)
    weight = 1.0 if weight is None else float(weight)
    cols = _Columns(run)
    a = _Audit(cols, _check_by(by, cols.kinds), weight, scenario)
    calibration = None if manifest is None else list(manifest.get("calibration") or [])
    assortativity = _last_value(run, "score_assortativity", timeseries)
    families = _families(favourable, among, reference, offences, calibration, assortativity)
    needed = ["age"] if cols.has("age") else []
    for g in a.by:
        needed += list(DERIVED.get(g, (g,)))
    planned = []
    for family in families:
        if family.court and _lacks_court_list(a):
            continue
        needs = family.needs(a)
        if isinstance(needs, str):
            if scenario is None:  # with its scenario, a skip is a mechanism it lacks: unsaid
                a.notes.append(f"{family.name} skipped: {needs}")
            continue
        needed += needs
        planned.append(family)
    read_clock = time.perf_counter()
    if isinstance(run, Run):
        cols.load(needed)
    read_s = time.perf_counter() - read_clock
    a.prepare()
    for family in planned:
        family.compute(a)
    info = {
        "run": str(run.path) if isinstance(run, Run) else None,
        "scenario": run.name if isinstance(run, Run) else (manifest or {}).get("name"),
        "n_agents": a.n_rows,
        "weight": weight,
        "by": list(a.by),
        "favourable": next((f.outcome for f in planned if isinstance(f, Fairness)), favourable),
        "among": among,
        "reference": dict(a.references),
        "outcomes": dict(a.outcomes),
        "adverse_reference": {g: dict(r) for g, r in a.adverse_references.items()},
        "intervals": "95%: Wilson (rates), normal (means), Katz log (ratios), Newcombe (differences)",
        "columns_read": sorted(set(needed) & set(cols.kinds)),
        "timings": {"read_s": read_s, "total_s": time.perf_counter() - clock},
    }
    table = a.rows.table(weight)
    info["category_labels"] = _category_labels(table, scenario, a.outcomes)
    calibration = list((manifest or {}).get("calibration") or [])
    return AuditTable(table, calibration, notes=a.notes, info=info)


def _category_labels(
    table: pa.Table, scenario: ScenarioSpec | None, outcomes: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """metric → category → the scenario's label for it (a measure, a list, a right, an event
    kind, an outcome that hurts as the audit names it), where it has one: what terminal tables
    print for the identifier that ``--json`` and ``--csv`` keep."""
    if table.num_rows == 0:
        return {}
    pairs = table.select(["metric", "category"]).group_by(["metric", "category"]).aggregate([])
    out: dict[str, dict[str, str]] = {}
    for metric, category in zip(pairs["metric"].to_pylist(), pairs["category"].to_pylist(),
                                strict=True):  # fmt: skip
        if metric.startswith("adverse_") and category in outcomes:
            label = outcomes[category]
        else:
            label = category_label(scenario, metric, category) if category else ""
        if label and label != category.replace("_", " "):
            out.setdefault(metric, {})[category] = label
    return out


def _families(favourable: str, among: str, reference: Mapping[str, str] | None,
              offences: Sequence[str] | None, calibration: list | None,
              assortativity: float | None) -> list[_Family]:  # fmt: skip
    """The audit's families, in the order of its table."""
    return [
        AdverseOutcomes(reference or {}),
        ListingRate(),
        SanctionExposure(),
        GradeDistribution(),
        Lists(),
        Fairness(favourable, among, reference or {}),
        WrongfulListings(),
        WrongfulSanctions(),
        NeverRecorded(offences),
        PovertyTrap(),
        ExitRoutes(),
        BlockedPurchases(),
        Inequality(),
        Calibration(calibration),
        Network(assortativity),
        Behaviour(),
        GradeMobility(),
    ]


class AuditPlan(NamedTuple):
    """What an audit of a run will hold, known before the run: the groupings (checked) and
    the metrics its families write for the declared columns, in the table's order."""

    by: list[str]
    metrics: list[str]


def check(
    columns: Mapping[str, ColumnType],
    by: str | Sequence[str] | None = None,
    *,
    scenario: ScenarioSpec | None = None,
    favourable: str = DEFAULT_FAVOURABLE,
    among: str = DEFAULT_AMONG,
    reference: Mapping[str, str] | None = None,
    offences: Sequence[str] | None = None,
    weight: float | None = None,
    series: Iterable[str] = (),
) -> AuditPlan:
    """Check an audit's options against the citizen columns a run will have (declared by
    ``results.outcome.citizen_column_types``), before any run: an unknown grouping, an outcome
    that does not compile, an unknown offence kind or a reference group for no grouping raise
    the :class:`AuditError` that :func:`audit` would raise on the run. ``series`` are the
    metrics the run's time series will have (``engine.metrics.written_metrics``), which the
    audit reads for ``score_assortativity``. ``weight`` is accepted (and ignored) so that an
    audit's options can be passed as they are."""
    cols = _Columns.declared(columns)
    a = _Audit(cols, _check_by(by, cols.kinds), 1.0, scenario)
    targets = [{"name": name} for name in scenario.calibration] if scenario is not None else []
    # The value is the run's; only whether the time series will hold it matters here.
    assortativity = math.nan if "score_assortativity" in set(series) else None
    metrics: list[str] = []
    for family in _families(favourable, among, reference, offences, targets, assortativity):
        if family.court and _lacks_court_list(a):
            continue
        if not isinstance(family.needs(a), str):
            metrics += family.writes(a)
    return AuditPlan(list(a.by), list(dict.fromkeys(metrics)))


def _last_value(run: Any, metric: str, timeseries: pa.Table | None = None) -> float | None:
    """The last value of a whole-population time-series metric of a run, or of ``timeseries``
    when given (None if absent)."""
    if timeseries is not None:
        ts = timeseries
        rows = ts.filter(pc.and_(pc.equal(ts["metric"], metric), pc.equal(ts["group"], ALL)))
        if not rows.num_rows:
            return None
        return float(rows.sort_by([("date", "descending")])["value"][0].as_py())
    if not isinstance(run, Run):
        return None
    table = run.query(
        "select value from timeseries where metric = ? and \"group\" = 'all' "
        "order by date desc limit 1",
        [metric],
    )
    values = table.column("value").to_pylist()
    return float(values[0]) if values else None


def write(result: AuditTable, path: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Write an audit as CSV or JSON (``fmt``, or from the file suffix; see :func:`target`)."""
    path, fmt = target(path, fmt)
    return write_text_atomic(path, result.to_json() + "\n" if fmt == "json" else result.to_csv())


def target(path: str | os.PathLike[str], fmt: str | None = None) -> tuple[Path, str]:
    """Where an audit may be written and in which format: JSON for ``fmt="json"`` or a .json
    name, CSV for a .csv name or none; another suffix, or a file of a run, is refused (so that
    no file says it holds what it does not)."""
    path = refuse_run_file(path)
    suffix = path.suffix.lower()
    if fmt is None and suffix not in (".csv", ".json", ""):
        raise AuditError(
            f"--out {path}: an audit is written as CSV or JSON, not as {suffix} — name the file "
            f"{path.with_suffix('.csv').name} or {path.with_suffix('.json').name}"
        )
    return path, fmt or ("json" if suffix == ".json" else "csv")


# --------------------------------------------------------------------------------------------
# Who switches: the same synthetic citizens in two runs of a pair

SWITCH = "switched_share"
SAME_PERSON = ("sex", "minority", "age")  # fixed by the population draw: the pair's check


def switches(
    run_a: Run, run_b: Run, by: str | Sequence[str] | None = None
) -> dict[tuple[str, str, str, str], tuple[float, float, int]]:
    """For each outcome that hurts in both runs of a pair (:func:`adverse_outcomes`), the share
    of its base (adults, or the scored, the score's users, on either side) who suffer it in A
    and not in B, and in B and not in A, overall and per group of ``by`` (A's groups): key
    (``switched_share``, outcome, grouping, group) → (only in A, only in B, n).

    The two runs hold the same synthetic citizens (same seed and population: checked on
    ``SAME_PERSON``), so this is who a reform spares and whom it newly hits, not just the net
    change. AuditError when the citizens differ."""
    sides = []
    for run in (run_a, run_b):
        cols = _Columns(run)
        a = _Audit(cols, _check_by(by, cols.kinds) if run is run_a else [], 1.0, run.scenario)
        outcomes = {o.name: o for o in adverse_outcomes(a)}
        needed = [c for o in outcomes.values() for c in o.columns]
        needed += [c for c in SAME_PERSON if cols.has(c)]
        for g in a.by:
            needed += list(DERIVED.get(g, (g,)))
        cols.load(needed)
        a.prepare()
        sides.append((a, outcomes))
    (a, outcomes_a), (b, outcomes_b) = sides
    for column in SAME_PERSON:
        if a.cols.has(column) != b.cols.has(column) or (
            a.cols.has(column) and not np.array_equal(a.cols.array(column), b.cols.array(column))
        ):
            raise AuditError(
                f"{run_a.path} and {run_b.path} do not hold the same citizens ({column} differs):"
                " who switches can only be read between runs of one population and seed"
            )
    out: dict[tuple[str, str, str, str], tuple[float, float, int]] = {}
    for name in [n for n in outcomes_a if n in outcomes_b]:
        hit, among = [], []
        for side, outcome in ((a, outcomes_a[name]), (b, outcomes_b[name])):
            side_base = _outcome_base(side, outcome)
            side_base = np.ones(side.n_rows, bool) if side_base is None else side_base
            hit.append(np.asarray(outcome.hit(side), bool) & side_base)
            among.append(side_base)
        base = among[0] | among[1]
        only_a = list(a.rates(hit[0] & ~hit[1], base))
        only_b = list(a.rates(hit[1] & ~hit[0], base))
        for (grouping, labels, p_a, _, _, n), (_, _, p_b, _, _, _) in zip(
            only_a, only_b, strict=True
        ):
            for k, label in enumerate(labels):
                out[(SWITCH, name, grouping, label)] = (float(p_a[k]), float(p_b[k]), int(n[k]))
    return out


__all__ = [
    "ALL",
    "COLUMNS",
    "AuditError",
    "AuditTable",
    "audit",
    "income_quintiles",
    "offence_kinds",
    "switches",
    "target",
    "valid_groupings",
    "write",
]
