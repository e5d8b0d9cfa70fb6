"""Calibration: each target a scenario declares, against what the run simulated.

A target's kind says what the published figure counts and so what is computed from the run's
time series: ``mean``, the unweighted mean of the metric over the period; ``flow``, the sum of
a flow metric's values (one per epoch) over the period; ``stock``, the metric's last value on
or before each date of the series; ``cumulative``, the sum of a flow metric's values from
``since`` to each date (the epochs ending on or before it). A series gives one entry per point,
named ``target@date``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scsim.scenario.schema import Target


def calibrate(
    targets: Mapping[str, Target], timeseries: pa.Table, start: dt.date, end: dt.date
) -> list[dict]:
    """One entry per target (per point of a series): the simulated value beside the range;
    ``within`` is None when the run missed it or covered only part of it (``covered`` is then
    False: a run that stops early, or starts late, cannot be judged against the whole period)."""
    out = []
    for name, target in targets.items():
        dates, values = _series(target, timeseries)
        for entry, (first, last), low, high in target.entries(name):
            covered = start <= first and last <= end
            simulated = _simulated(target.kind, dates, values, first, last)
            out.append(
                {
                    "name": entry,
                    "target": name,
                    "kind": target.kind,
                    "label": target.label,
                    "metric": target.metric,
                    "group": target.group,
                    "categories": list(target.categories),
                    "period": [first.isoformat(), last.isoformat()],
                    "low": low,
                    "high": high,
                    "simulated": simulated,
                    "covered": covered,
                    "within": None
                    if simulated is None or not covered
                    else low <= simulated <= high,
                }
            )
    return out


def _series(target: Target, timeseries: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """The target's metric for its group, one value per date (the sum over its categories)."""
    mask = pc.and_(pc.equal(timeseries["metric"], target.metric),
                   pc.equal(timeseries["group"], target.group))  # fmt: skip
    if target.categories:
        mask = pc.and_(mask, pc.is_in(timeseries["category"], pa.array(target.categories)))
    rows = timeseries.filter(mask)
    if target.categories:  # the sum over the categories on each date
        rows = rows.group_by("date").aggregate([("value", "sum")]).rename_columns(["date", "value"])
    rows = rows.sort_by("date")
    dates = rows["date"].cast(pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    return dates, rows["value"].to_numpy(zero_copy_only=False).astype(np.float64)


def _simulated(
    kind: str, dates: np.ndarray, values: np.ndarray, first: dt.date, last: dt.date
) -> float | None:
    a, b = np.datetime64(first, "D"), np.datetime64(last, "D")
    if kind == "stock":
        before = values[dates <= b]
        return float(before[-1]) if before.size else None
    inside = values[(dates >= a) & (dates <= b)]
    if not inside.size:
        return None
    return float(np.mean(inside)) if kind == "mean" else float(np.sum(inside))
