"""Per-epoch and daily metrics: per-chunk tallies from the kernel, summed in a fixed order.

Epoch rows (dated on the epoch's last day) cover every group; daily rows (points mean, grade
counts, people scored) cover the whole population and are rebuilt from the stock at the epoch
start plus the kernel's day-by-day changes. Counts are in real-population units (× weight).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from scsim.core.layout import N_GROUPS, MetricLayout
from scsim.core.metrics import (
    COUNTS,
    EVENT_METRICS,
    GROUPS,
    MEASURE_METRICS,
    METRICS,
    TRAVEL_METRICS,
)
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
        "travel": has_travel(spec),
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


def has_travel(spec) -> bool:
    """Whether a run of ``spec`` counts trips and blocked purchases (an event kind buys tickets)."""
    return any(e.consequence in TICKETS for e in spec.behaviour.events.values())


TICKETS = ("air_ticket", "rail_ticket")


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
        (the epoch-boundary stages') are appended as they are.

        Row order: each epoch, each group (GROUPS' order), then that group's template —
        COUNTS, the listed share, MEANS, the points mean and grade counts (by group, with a
        points scheme), each kind's EVENT_METRICS, each measure's MEASURE_METRICS, the
        TRAVEL_METRICS (with a ticket-buying kind); then the
        daily rows, then ``extra``. Built as arrays (no loop over rows): one gather of the
        epoch totals per group.
        """

        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        if self.epoch_rows:
            dates = np.array([d for d, _ in self.epoch_rows], dtype="datetime64[D]")
            totals = np.stack([t for _, t in self.epoch_rows])  # [epoch, cell, column]
            for group, cells in GROUPS.items():
                t = totals[:, list(cells)].sum(axis=1)  # [epoch, column], as t[cells].sum(0)
                names, categories, values = self._group_rows(
                    t, group, kinds, grade_names, measure_names
                )
                n_epochs, width = values.shape
                parts.append((np.repeat(dates, width), np.tile(names, n_epochs),
                              np.full(n_epochs * width, group, dtype=object),
                              np.tile(categories, n_epochs), values.ravel()))  # fmt: skip
        # the rows above are epoch-major: reorder (group, epoch, row) → (epoch, group, row)
        epoch_part = _epoch_major(parts, len(self.epoch_rows))
        daily = self._daily_rows(grade_names) if grade_names else []
        tail = [epoch_part, *daily]
        if extra:
            d, m, g, c, v = zip(*extra, strict=True)
            tail.append((np.array(d, dtype="datetime64[D]"), np.array(m, dtype=object),
                         np.array(g, dtype=object), np.array(c, dtype=object),
                         np.array(v, dtype=np.float64)))  # fmt: skip
        tail = [part for part in tail if part is not None]
        if not tail:
            return {"date": np.array([], dtype="datetime64[D]"), "metric": np.array([], object),
                    "group": np.array([], object), "category": np.array([], object),
                    "value": np.array([], np.float64)}  # fmt: skip
        return {
            "date": np.concatenate([p[0] for p in tail]).astype("datetime64[D]"),
            "metric": np.concatenate([p[1] for p in tail]).astype(object),
            "group": np.concatenate([p[2] for p in tail]).astype(object),
            "category": np.concatenate([p[3] for p in tail]).astype(object),
            "value": np.concatenate([p[4] for p in tail]).astype(np.float64),
        }

    def _group_rows(
        self, t: np.ndarray, group: str, kinds, grade_names, measure_names
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One group's row template (names, categories) and its values at every epoch
        ([epoch, row]) from the group's epoch totals ``t`` ([epoch, column])."""
        lay, w = self.layout, self.weight
        names: list[str] = []
        categories: list[str] = []
        blocks: list[np.ndarray] = []

        def add(name: str, category: str, values: np.ndarray) -> None:
            names.append(name)
            categories.append(category)
            blocks.append(values)

        for name in COUNTS:
            add(name, "", t[:, lay.scalar(name)] * w)
        add("listed_share_adults", "", _ratio(t[:, lay.scalar("listed")],
                                              t[:, lay.scalar("adults")]))  # fmt: skip
        pop = t[:, lay.scalar("population")]
        for name, total in MEANS.items():
            add(name, "", _ratio(t[:, lay.scalar(total)], pop))
        if grade_names and group != "all":
            add("points_mean", "", _ratio(t[:, lay.scalar("points_sum")],
                                          t[:, lay.scalar("scored")]))  # fmt: skip
            for j, grade in enumerate(grade_names):
                add("grade_count", grade, t[:, lay.grades + j] * w)
        event_columns = (lay.events_true, lay.events_recorded, lay.events_wrongful,
                         lay.events_misattributed)  # fmt: skip
        for k, kind in enumerate(kinds):
            for name, column in zip(EVENT_METRICS, event_columns, strict=True):
                add(name, kind, t[:, column + k] * w)
        for m, measure in enumerate(measure_names):
            for name, column in zip(MEASURE_METRICS, (lay.sanctioned, lay.sanction_days),
                                    strict=True):  # fmt: skip
                add(name, measure, t[:, column + m] * w)
        if lay.travel:
            for name in TRAVEL_METRICS:
                add(name, "", t[:, lay.scalar(name)] * w)
        values = np.stack(blocks, axis=1) if blocks else np.zeros((t.shape[0], 0))
        return np.array(names, dtype=object), np.array(categories, dtype=object), values

    def _daily_rows(self, grade_names) -> list[tuple]:
        """Per day of a points scheme: the points mean, the people scored and each grade's
        count, for the whole population."""
        w = self.weight
        out = []
        names = np.array(["points_mean", "scored_daily", *["grade_count"] * len(grade_names)],
                         dtype=object)  # fmt: skip
        categories = np.array(["", "", *grade_names], dtype=object)
        start = np.datetime64(self.start, "D")
        for days, points_sum, grades in self.daily:
            n = len(days)
            counts = grades[:n]
            scored = counts.sum(axis=1)
            values = np.empty((n, 2 + len(grade_names)))
            values[:, 0] = _ratio(points_sum[:n].astype(np.float64), scored)
            values[:, 1] = scored * w
            values[:, 2:] = counts * w
            width = values.shape[1]
            out.append((np.repeat(start + days.astype("timedelta64[D]"), width),
                        np.tile(names, n), np.full(n * width, "all", dtype=object),
                        np.tile(categories, n), values.ravel()))  # fmt: skip
        return out


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (no one to average over)."""
    out = np.zeros(np.shape(numerator), dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _epoch_major(parts: list[tuple], n_epochs: int) -> tuple | None:
    """Per-group parts (each epoch-major within the group) interleaved epoch by epoch: all
    groups of the first epoch, then of the second, …"""
    if not parts:
        return None
    columns = []
    for c in range(5):
        pieces = [np.split(part[c], n_epochs) for part in parts]  # [group][epoch]
        columns.append(np.concatenate([pieces[g][e] for e in range(n_epochs)
                                       for g in range(len(parts))]))  # fmt: skip
    return tuple(columns)
