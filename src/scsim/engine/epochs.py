"""Epoch boundaries: month starts, plus every date on which a parameter or scheme changes.

Splitting epochs at change dates means a dated value takes effect on its own day, not at the
next month start, while cross-citizen effects still synchronise only at boundaries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month after ``start`` up to ``end`` inclusive."""
    out = []
    year, month = start.year, start.month
    while True:
        month += 1
        if month == 13:
            year, month = year + 1, 1
        first = dt.date(year, month, 1)
        if first > end:
            return out
        out.append(first)


EPOCH_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def epoch_bounds(
    start: dt.date, end: dt.date, epoch: str, changes: Iterable[dt.date]
) -> list[dt.date]:
    """Sorted epoch start dates, with the day after ``end`` appended as the final bound.

    ``epoch`` is "month", "quarter" or "year": epochs start on the first day of such a period
    (calendar quarters and years), and also on every date in ``changes``.
    """
    stop = end + dt.timedelta(days=1)
    step = EPOCH_MONTHS[epoch]
    periodic = [d for d in month_starts(start, end) if (d.month - 1) % step == 0]
    bounds = {start, stop, *periodic}
    bounds.update(d for d in changes if start < d < stop)
    return sorted(bounds)
