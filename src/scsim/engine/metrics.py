"""Per-epoch and daily metrics: per-chunk tallies from the kernel, summed in a fixed order.

Epoch rows (dated on the epoch's last day) cover every group; daily rows (points mean, grade
counts, people scored) cover the whole population and are rebuilt from the stock at the epoch
start plus the kernel's day-by-day changes. Counts are in real-population units (× weight).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from scsim.core.layout import N_GROUPS, MetricLayout
from scsim.core.metrics import COUNTS, EVENT_METRICS, GROUPS, MEASURE_METRICS, METRICS
from scsim.core.metrics import MEANS as MEAN_NAMES

# Means of money per person: the accumulator column each is the per-person mean of.
MEANS = dict(zip(MEAN_NAMES, ("wealth_sum", "income_sum", "debt_sum"), strict=True))


def written_metrics(spec) -> dict[str, tuple[str, ...]]:
    """The declared metrics a run of ``spec`` writes (core.metrics.METRICS, by mechanism), each
    with the groups it is written for. (``score_assortativity`` only once users have ties.)"""
    graph = spec.world.population.graph is not None
    present = {
        "engine": True,
        "behaviour": bool(spec.behaviour.events),
        "measures": bool(spec.measures),
        "points": spec.points_scheme() is not None,
        "lists": bool(spec.lists()),
        "composite": spec.composite() is not None,
        "ties": spec.composite() is not None and graph,
        "graph": graph,
        "hukou": bool(spec.hukou.rights or spec.hukou.conversion),
        "hukou rights": bool(spec.hukou.rights),
        "hukou conversions": bool(spec.hukou.conversion),
    }
    out = {}
    for mechanism, metrics in METRICS.items():
        if present[mechanism]:
            out.update({m.name: m.groups for m in metrics})
    if spec.composite() is None:
        out.pop("score_assortativity", None)
    return out


class MetricsRecorder:
    """Holds the kernel's output buffers and turns each epoch's tallies into tidy rows."""

    def __init__(self, layout: MetricLayout, epoch_days: int, n_chunks: int, start: dt.date,
                 weight: float = 1.0):  # fmt: skip
        self.layout = layout
        self.start = start
        self.weight = weight
        self.acc = np.zeros((n_chunks, N_GROUPS, layout.width))
        g = max(layout.n_grades, 1)
        self.points_day = np.zeros((n_chunks, epoch_days), dtype=np.int64)
        self.grade_day = np.zeros((n_chunks, epoch_days, g), dtype=np.int64)
        self.start_grade = np.zeros((n_chunks, g), dtype=np.int64)
        self.start_points = np.zeros(n_chunks, dtype=np.int64)
        self.epoch_rows: list[tuple[dt.date, np.ndarray]] = []
        self.daily: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.day0 = self.day1 = 0

    def begin_epoch(self, day0: int, day1: int) -> None:
        for buf in (self.acc, self.points_day, self.grade_day, self.start_grade,
                    self.start_points):  # fmt: skip
            buf[...] = 0
        self.day0, self.day1 = day0, day1

    def end_epoch(self, stop: dt.date) -> None:
        """Close the epoch ending the day before ``stop``."""
        totals = self.acc.sum(axis=0)  # [group, column], summed in chunk order
        self.epoch_rows.append((stop - dt.timedelta(days=1), totals))
        days = self.day1 - self.day0
        grades = self.start_grade.sum(axis=0) + np.cumsum(self.grade_day.sum(axis=0), axis=0)
        points_sum = self.start_points.sum() + np.cumsum(self.points_day.sum(axis=0))
        self.daily.append((np.arange(self.day0, self.day1), points_sum[:days], grades[:days]))

    def table(self, kinds, grade_names, measure_names, extra=()) -> dict[str, np.ndarray]:
        """The whole run as tidy columns: date, metric, group, category, value; ``extra`` rows
        (the epoch-boundary stages') are appended as they are."""
        rows: list[tuple] = []
        lay = self.layout
        w = self.weight
        event_columns = (lay.events_true, lay.events_recorded, lay.events_wrongful,
                         lay.events_misattributed)  # fmt: skip
        measure_columns = (lay.sanctioned, lay.sanction_days)
        for date, totals in self.epoch_rows:
            for group, cells in GROUPS.items():
                t = totals[list(cells)].sum(axis=0)
                for name in COUNTS:
                    rows.append((date, name, group, "", t[lay.scalar(name)] * w))
                adults = t[lay.scalar("adults")]
                share = t[lay.scalar("listed")] / adults if adults else 0.0
                rows.append((date, "listed_share_adults", group, "", share))
                pop = t[lay.scalar("population")]
                for name, total in MEANS.items():
                    rows.append((date, name, group, "", t[lay.scalar(total)] / pop if pop else 0.0))
                if grade_names:
                    scored = t[lay.scalar("scored")]
                    mean = t[lay.scalar("points_sum")] / scored if scored else 0.0
                    if group != "all":
                        rows.append((date, "points_mean", group, "", mean))
                        for j, grade in enumerate(grade_names):
                            rows.append((date, "grade_count", group, grade, t[lay.grades + j] * w))
                for k, kind in enumerate(kinds):
                    for name, column in zip(EVENT_METRICS, event_columns, strict=True):
                        rows.append((date, name, group, kind, t[column + k] * w))
                for m, measure in enumerate(measure_names):
                    for name, column in zip(MEASURE_METRICS, measure_columns, strict=True):
                        rows.append((date, name, group, measure, t[column + m] * w))
        if grade_names:
            for days, points_sum, grades in self.daily:
                for d, total, counts in zip(days, points_sum, grades, strict=True):
                    date = self.start + dt.timedelta(days=int(d))
                    scored = counts.sum()
                    rows.append((date, "points_mean", "all", "", total / scored if scored else 0.0))
                    rows.append((date, "scored_daily", "all", "", scored * w))
                    for j, grade in enumerate(grade_names):
                        rows.append((date, "grade_count", "all", grade, counts[j] * w))
        rows.extend(extra)
        dates, metrics, groups, categories, values = zip(*rows, strict=True) if rows else ([],) * 5
        return {
            "date": np.array(dates, dtype="datetime64[D]"),
            "metric": np.array(metrics, dtype=object),
            "group": np.array(groups, dtype=object),
            "category": np.array(categories, dtype=object),
            "value": np.array(values, dtype=np.float64),
        }
