"""Calibration targets of every kind: a mean over a period, a flow summed over a period, a stock
at each date of a series, a cumulative count from a start to each date — each computed from the
time series as its kind says, and a target whose metric is not of its kind refused at its place.

Every population here is synthetic; the targets are test fixtures.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from scsim.audit.calibration import calibrate
from scsim.scenario.errors import ScenarioError
from scsim.scenario.schema import Target

D = dt.date
DATES = [D(2014, 1, 31), D(2014, 2, 28), D(2014, 3, 31), D(2014, 4, 30)]
LISTED = [10.0, 20.0, 30.0, 25.0]  # a stock on each date
NEW = [10.0, 12.0, 11.0, 4.0]  # a flow: counted in each epoch


def series() -> pa.Table:
    n = len(DATES)
    return pa.table({
        "date": DATES * 2, "metric": ["listed"] * n + ["new_listings"] * n,
        "group": ["all"] * 2 * n, "category": [""] * 2 * n, "value": LISTED + NEW,
    })  # fmt: skip


def entries(**target) -> dict[str, dict]:
    found = calibrate({"t": Target(**target)}, series(), D(2014, 1, 1), D(2014, 4, 30))
    return {e["name"]: e for e in found}


def test_a_mean_target_averages_and_a_flow_target_adds_up_over_the_period():
    (mean,) = entries(metric="listed", period=[D(2014, 2, 1), D(2014, 4, 30)], low=0,
                      high=100).values()  # fmt: skip
    assert mean["simulated"] == pytest.approx(25.0) and mean["kind"] == "mean"
    (flow,) = entries(kind="flow", metric="new_listings", period=[D(2014, 2, 1), D(2014, 3, 31)],
                      low=20, high=25).values()  # fmt: skip
    assert flow["simulated"] == 23.0 and flow["within"] is True


def test_a_stock_series_reads_the_last_value_on_or_before_each_date():
    found = entries(kind="stock", metric="listed", series=[
        {"date": D(2014, 2, 28), "low": 15, "high": 25},
        {"date": D(2014, 4, 15), "low": 0, "high": 10},
    ])  # fmt: skip
    assert found["t@2014-02-28"]["simulated"] == 20.0 and found["t@2014-02-28"]["within"]
    assert found["t@2014-04-15"]["simulated"] == 30.0 and not found["t@2014-04-15"]["within"]


def test_a_cumulative_series_adds_the_flow_from_its_start_to_each_date():
    found = entries(kind="cumulative", metric="new_listings", since=D(2014, 1, 1), series=[
        {"date": D(2014, 2, 28), "low": 20, "high": 25},
        {"date": D(2014, 4, 30), "low": 30, "high": 40},
    ])  # fmt: skip
    assert found["t@2014-02-28"]["simulated"] == 22.0
    assert found["t@2014-04-30"]["simulated"] == 37.0
    assert found["t@2014-04-30"]["period"] == ["2014-01-01", "2014-04-30"]
    assert all(e["within"] for e in found.values())


@pytest.mark.parametrize(
    "target, needles",
    [
        ("{kind: cumulative, metric: listed, since: 2013-10-01, series: [{date: 2014-01-01, "
         "low: 1, high: 2}]}", ["is a level on its date", "calibration.t.metric"]),
        ("{kind: stock, metric: new_listings, series: [{date: 2014-01-01, low: 1, high: 2}]}",
         ["is a flow", "not a stock"]),
        ("{kind: cumulative, metric: new_listings, series: [{date: 2014-01-01, low: 1, high: 2}]}",
         ["needs 'since'"]),
        ("{kind: stock, metric: listed, series: [{date: 2015-01-01, low: 1, high: 2}, "
         "{date: 2014-01-01, low: 1, high: 2}]}", ["dates must increase"]),
        ("{kind: stock, metric: listed, period: [2014-01-01, 2014-02-01], series: [{date: "
         "2014-01-01, low: 1, high: 2}]}", ["'period' is not used"]),
        ("{kind: flow, metric: new_listings, low: 1, high: 2}", ["needs 'period'"]),
        ("{kind: stock, metric: listed, series: [{date: 2030-01-01, low: 1, high: 2}]}",
         ["calibration.t.series.0.date"]),
    ],
)  # fmt: skip
def test_a_target_that_does_not_fit_its_kind_is_refused_at_its_place(scenario_from, target,
                                                                     needles):  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        scenario_from(f"""
            name: kinds
            world: {{start: 2013-10-01, end: 2020-12-31, population: {{agents: 100}}}}
            include: [scsim:parts/catalogue.yaml, scsim:parts/court-list.yaml]
            calibration:
              t: {target}
        """)
    text = str(err.value)
    for needle in needles:
        assert needle in text, text


def test_show_prints_every_series_point_whole_at_80_columns(tmp_path):
    """A series' shared first day is said once under its name, so no name, date or mark is cut
    at 80 columns."""
    import os
    import subprocess
    import sys

    import scsim

    run = scsim.simulate("court-blacklist", population=1000, days=200, out=tmp_path)
    env = {**os.environ, "COLUMNS": "80"}
    out = subprocess.run([sys.executable, "-m", "scsim", "show", str(run.path)], env=env,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    table = out[out.index("Calibration") :]
    assert "…" not in table
    assert "since 2013-10-01" in table and "2019-07-09" in table
    assert "partial" in table and all(len(line) <= 80 for line in table.splitlines())
