"""Calibration: each target a scenario declares, against what the run simulated."""

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
    """Mean of the target's metric over its period; ``within`` is None when the run missed it
    or covered only part of it (``covered`` is then False: a run that stops early, or starts
    late, cannot be judged against the whole period)."""
    out = []
    dates = timeseries["date"]
    for name, target in targets.items():
        mask = pc.and_(
            pc.and_(pc.equal(timeseries["metric"], target.metric),
                    pc.equal(timeseries["group"], target.group)),
            pc.and_(pc.greater_equal(dates, pa.scalar(target.period[0])),
                    pc.less_equal(dates, pa.scalar(target.period[1]))),
        )  # fmt: skip
        if target.categories:
            mask = pc.and_(mask, pc.is_in(timeseries["category"], pa.array(target.categories)))
        rows = timeseries.filter(mask)
        if target.categories:  # the sum over the categories on each date
            rows = (
                rows.group_by("date")
                .aggregate([("value", "sum")])
                .rename_columns(["date", "value"])
            )
        values = rows["value"].to_numpy()
        simulated = float(np.mean(values)) if values.size else None
        covered = start <= target.period[0] and target.period[1] <= end
        out.append(
            {
                "name": name,
                "label": target.label,
                "metric": target.metric,
                "group": target.group,
                "categories": list(target.categories),
                "period": [target.period[0].isoformat(), target.period[1].isoformat()],
                "low": target.low,
                "high": target.high,
                "simulated": simulated,
                "covered": covered,
                "within": (
                    None
                    if simulated is None or not covered
                    else target.low <= simulated <= target.high
                ),
            }
        )
    return out
