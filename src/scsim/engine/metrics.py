"""Per-epoch and daily metrics: per-chunk tallies from the kernel, summed in a fixed order.

Epoch rows (dated on the epoch's last day) cover every group; daily rows (points mean, grade
counts, people scored) cover the whole population and are rebuilt from the stock at the epoch
start plus the kernel's day-by-day changes. Counts are in real-population units (× weight).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from scsim.core.layout import GROUP_LABELS, N_GROUPS, MetricLayout

# Marginal groups, as sums of the hukou x migrant cells (core.layout.GROUP_LABELS order).
GROUPS = {
    "all": (0, 1, 2, 3),
    "hukou=rural": (0, 1),
    "hukou=urban": (2, 3),
    "migrant=no": (0, 2),
    "migrant=yes": (1, 3),
    **{label: (g,) for g, label in enumerate(GROUP_LABELS)},
}
# Stocks and flows counted in people (weighted), and means of money per person.
COUNTS = (
    "population", "adults", "listed", "listed_wrongful", "scored", "new_listings", "exits_paid",
    "exits_expiry", "exits_no_assets", "escapes", "cases_opened", "cases_paid", "open_cases",
    "trapped",
)  # fmt: skip
MEANS = {"wealth_mean": "wealth_sum", "income_mean": "income_sum", "debt_mean": "debt_sum"}


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
                    rows.append((date, "events_true", group, kind, t[lay.events_true + k] * w))
                    rows.append(
                        (date, "events_recorded", group, kind, t[lay.events_recorded + k] * w)
                    )
                    rows.append(
                        (date, "wrongful_records", group, kind, t[lay.events_wrongful + k] * w)
                    )
                    rows.append(
                        (date, "misattributed", group, kind, t[lay.events_misattributed + k] * w)
                    )
                for m, measure in enumerate(measure_names):
                    rows.append((date, "sanctioned", group, measure, t[lay.sanctioned + m] * w))
                    rows.append(
                        (date, "sanction_days", group, measure, t[lay.sanction_days + m] * w)
                    )
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


def metric_vocabulary() -> dict[str, tuple[list[str], str]]:
    """Every time-series metric: (the groups it is written for, what its category holds or "").

    Read off the rows a one-day run writes, with one event kind, grade and measure, so that it
    can never disagree with :meth:`MetricsRecorder.table`.
    """
    day = dt.date(2020, 1, 1)
    recorder = MetricsRecorder(MetricLayout(1, 1, 1), 1, 1, day)
    recorder.begin_epoch(0, 1)
    recorder.end_epoch(day + dt.timedelta(days=1))
    table = recorder.table(("event",), ("grade",), ("measure",))
    from scsim.engine.stages import stage_metrics

    out: dict[str, tuple[list[str], str]] = dict(stage_metrics())
    for metric, group, category in zip(
        table["metric"], table["group"], table["category"], strict=True
    ):
        groups, _ = out.setdefault(str(metric), ([], str(category)))
        if group not in groups:
            groups.append(str(group))
    return out
