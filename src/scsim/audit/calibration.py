"""Calibration: each target a scenario declares, against what the run simulated."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scsim.scenario.schema import Target


def calibrate(targets: Mapping[str, Target], timeseries: pa.Table) -> list[dict]:
    """Mean of the target's metric over its period; ``within`` is None when the run missed it."""
    out = []
    dates = timeseries["date"]
    for name, target in targets.items():
        mask = pc.and_(
            pc.and_(pc.equal(timeseries["metric"], target.metric),
                    pc.equal(timeseries["group"], target.group)),
            pc.and_(pc.greater_equal(dates, pa.scalar(target.period[0])),
                    pc.less_equal(dates, pa.scalar(target.period[1]))),
        )  # fmt: skip
        values = timeseries.filter(mask)["value"].to_numpy()
        simulated = float(np.mean(values)) if values.size else None
        out.append(
            {
                "name": name,
                "label": target.label,
                "metric": target.metric,
                "group": target.group,
                "period": [target.period[0].isoformat(), target.period[1].isoformat()],
                "low": target.low,
                "high": target.high,
                "simulated": simulated,
                "within": None if simulated is None else target.low <= simulated <= target.high,
            }
        )
    return out
