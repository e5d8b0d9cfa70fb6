"""Trips by air and high-speed rail, and the purchases a ban blocks (issue 12 item 3).

Every population here is synthetic; the small scenarios are test fixtures, not claims about
any real scheme.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import scsim
from scsim.cli.main import main
from scsim.scenario.errors import ScenarioError

# Two ticket kinds (the bundled part) and bans keyed to a fixed attribute, so that who is
# banned never changes: townspeople cannot fly, villagers cannot take the bullet train.
FIXED_BANS = """\
name: fixed-bans
include: ["scsim:parts/travel.yaml"]
world: {start: 2018-01-01, end: 2018-12-31, seed: 11, population: {agents: 4000}}
measures:
  town_flight_ban:
    when: "urban"
    blocks: [air]
  village_rail_ban:
    when: "not urban"
    blocks: [rail]
"""


def travel_run(tmp_path: Path, scenario, n: int, **kw) -> scsim.Run:
    return scsim.simulate(scenario, population=n, out=tmp_path / "runs", **kw)


def test_blocked_attempts_are_zero_for_the_unbanned_and_the_banned_citizens_trips(
    tmp_path, scenario_from, as_arrays
):
    run = travel_run(tmp_path, scenario_from(FIXED_BANS), 4000)
    c = as_arrays(run.citizens())
    urban = c["urban"]
    assert c["n_air_trip"].sum() > 0 and c["n_rail_trip"].sum() > 0
    # banned: every attempt is blocked, none is a trip
    assert np.array_equal(c["blocked_air"][urban], c["n_air_trip"][urban])
    assert np.array_equal(c["blocked_rail"][~urban], c["n_rail_trip"][~urban])
    assert not c["trips_air"][urban].any() and not c["trips_rail"][~urban].any()
    # not banned: no blocked attempt, every attempt a trip
    assert not c["blocked_air"][~urban].any() and not c["blocked_rail"][urban].any()
    assert np.array_equal(c["trips_air"][~urban], c["n_air_trip"][~urban])
    assert np.array_equal(c["trips_rail"][urban], c["n_rail_trip"][urban])
    # the time series counts the same person-times (weighted)
    weight = run.manifest["population"]["weight"]
    for metric, column in [("blocked_air", "blocked_air"), ("trips_rail", "trips_rail")]:
        (total,) = run.query(
            f"select sum(value) as v from timeseries where metric = '{metric}' "
            "and \"group\" = 'all'"
        ).column("v").to_pylist()  # fmt: skip
        assert total == pytest.approx(c[column].sum() * weight)


@pytest.fixture(scope="module")
def court_run(tmp_path_factory) -> scsim.Run:
    out = tmp_path_factory.mktemp("court")
    return scsim.simulate("court-blacklist", population=20_000, seed=4, out=out, events=True)


def test_a_court_ban_blocks_exactly_the_listed_debtors_purchases(court_run, as_arrays):
    """A ticket attempt is blocked on a day the debtor is listed (the day of listing and of
    removal included, whichever came first that day), never on a day they are not."""
    run = court_run
    c = as_arrays(run.citizens())
    never = c["n_listings"] == 0
    assert c["blocked_air"].sum() > 0 and c["blocked_rail"].sum() > 0
    assert not c["blocked_air"][never].any() and not c["blocked_rail"][never].any()
    for mode in ("air", "rail"):
        assert np.array_equal(c[f"trips_{mode}"] + c[f"blocked_{mode}"], c[f"n_{mode}_trip"])
    ev = run.query(
        "select citizen, date, event, kind from events "
        "where event in ('listed', 'case_closed', 'blocked') "
        "or (event = 'event' and kind in ('air_trip', 'rail_trip')) order by citizen, date"
    ).to_pandas()
    intervals: dict[int, list[list]] = {}
    for row in ev[ev.event == "listed"].itertuples():
        intervals.setdefault(row.citizen, []).append([row.date, None])
    for row in ev[ev.event == "case_closed"].itertuples():
        for span in intervals.get(row.citizen, []):
            if span[0] <= row.date and span[1] is None:
                span[1] = row.date
                break

    def listed_on(citizen, day, strictly):
        for start, end in intervals.get(citizen, []):
            end = end if end is not None else np.datetime64("2100-01-01")
            if (start < day < end) if strictly else (start <= day <= end):
                return True
        return False

    blocked = ev[ev.event == "blocked"]
    assert len(blocked) == c["blocked_air"].sum() + c["blocked_rail"].sum()
    assert all(listed_on(r.citizen, r.date, strictly=False) for r in blocked.itertuples())
    blocked_keys = set(zip(blocked.citizen, blocked.date, blocked.kind, strict=True))
    attempts = ev[ev.event == "event"]
    inside = [
        (r.citizen, r.date, r.kind) for r in attempts.itertuples()
        if listed_on(r.citizen, r.date, strictly=True)
    ]  # fmt: skip
    assert inside and all(key in blocked_keys for key in inside)


def test_travel_counts_are_identical_for_any_thread_count(tmp_path):
    code = (
        "import sys, scsim\n"
        "scsim.simulate('court-blacklist', population=20_000, seed=9, out=sys.argv[1])\n"
    )
    runs = {}
    for threads in (1, 2):
        out = tmp_path / f"threads-{threads}"
        env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
        done = subprocess.run([sys.executable, "-c", code, str(out)], env=env,
                              capture_output=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()
        (path,) = out.iterdir()
        runs[threads] = scsim.Run(path)
    columns = ["trips_air", "trips_rail", "blocked_air", "blocked_rail"]
    one, two = (runs[t].citizens(columns) for t in (1, 2))
    assert one.equals(two)
    sql = (
        'select date, metric, "group", value from timeseries where metric in '
        "('trips_air', 'trips_rail', 'blocked_air', 'blocked_rail') order by 1, 2, 3"
    )
    assert runs[1].query(sql).equals(runs[2].query(sql))
    assert runs[1].file("timeseries.parquet").read_bytes() == (
        runs[2].file("timeseries.parquet").read_bytes()
    )


PER_ATTEMPT = """\
name: per-attempt
include: ["scsim:parts/catalogue.yaml", "scsim:parts/court-list.yaml", "scsim:parts/economy.yaml",
          "scsim:parts/travel.yaml"]
world: {start: 2013-10-01, end: 2016-12-31, seed: 5, population: {agents: 20000}}
measures:
  flight_ban:
    pay_pressure_per: PER
    effects: {pay_pressure: {value: 1.0}}
  high_speed_rail_ban:
    pay_pressure_per: PER
    effects: {pay_pressure: {value: 1.0}}
"""


def test_pressure_per_blocked_attempt_makes_able_debtors_pay_at_the_attempt(
    tmp_path, scenario_from
):
    """With ``pay_pressure_per: blocked_attempt`` and a certain chance, a debtor who can pay
    pays on the day a purchase is blocked; the ban's flat monthly pressure is gone."""
    runs = {}
    for per in ("month", "blocked_attempt"):
        sc = scenario_from(PER_ATTEMPT.replace("PER", per))
        runs[per] = travel_run(tmp_path / per, sc, 20_000, events=True)

    def paid_at_a_blocked_attempt(run) -> int:
        ev = run.query(
            "select citizen, date, event, kind from events "
            "where event = 'blocked' or (event = 'case_closed' and kind = 'paid')"
        ).to_pandas()
        paid = ev[ev.event == "case_closed"]
        keys = set(zip(paid.citizen, paid.date, strict=True))
        return sum((r.citizen, r.date) in keys for r in ev[ev.event == "blocked"].itertuples())

    assert paid_at_a_blocked_attempt(runs["blocked_attempt"]) > 0
    # per attempt, the pressure reaches only debtors who try to travel: some pay at once
    # (more than by chance in the monthly run), the rest no longer feel it monthly
    assert paid_at_a_blocked_attempt(runs["blocked_attempt"]) > paid_at_a_blocked_attempt(
        runs["month"]
    )


def test_the_blocked_ticket_targets_load_and_print_in_show(court_run):
    sc = scsim.load("court-blacklist")
    targets = sc.spec.calibration
    for name, metric in [("blocked_air_cumulative", "blocked_air"),
                         ("blocked_rail_cumulative", "blocked_rail")]:  # fmt: skip
        assert targets[name].kind == "cumulative" and targets[name].metric == metric
        assert str(targets[name].since) == "2014-07-01"
    assert [str(p.date) for p in targets["blocked_rail_cumulative"].series] == [
        "2017-02-14", "2017-12-31", "2018-12-31", "2019-07-09"
    ]  # fmt: skip
    nd = scsim.load("national-documented").spec.calibration
    assert {"blocked_air_cumulative", "blocked_rail_cumulative"} <= set(nd)
    shown = CliRunner(env={"COLUMNS": "120"}).invoke(main, ["show", str(court_run.path)])
    assert shown.exit_code == 0, shown.output
    assert "blocked_air_cumulative" in shown.output
    assert "blocked_rail_cumulative" in shown.output
    entries = [t for t in court_run.manifest["calibration"] if t["target"].startswith("blocked")]
    assert len(entries) == 9 and all(t["simulated"] is not None for t in entries)


BAD = {
    "unknown mode": ("blocks: [air]", "blocks: [bus]", "bus", "measures.town_flight_ban.blocks.0",
                     "air"),
    "misspelt key": ("blocks: [rail]", "blokcs: [rail]", "blokcs",
                     "measures.village_rail_ban.blokcs", "did you mean 'blocks'"),
    "pressure without a ban": (
        "blocks: [rail]", "pay_pressure_per: blocked_attempt", "pay_pressure_per",
        "measures.village_rail_ban.pay_pressure_per", "needs a measure that blocks",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_travel_input_is_reported_at_its_position(tmp_path, case):
    old, new, needle, dotted, fragment = BAD[case]
    text = FIXED_BANS.replace(old, new)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        scsim.load(path)
    (issue,) = caught.value.issues
    line = next(i for i, t in enumerate(text.splitlines(), 1) if needle in t)
    assert (issue.file, issue.line, issue.path) == (str(path), line, dotted)
    assert fragment in issue.message
    assert str(issue).startswith(f"{path}:{line}:{issue.col}: {dotted}: ")


def test_an_out_of_range_trip_rate_is_reported_at_its_value(tmp_path):
    text = FIXED_BANS.replace(
        "measures:",
        "behaviour:\n  events:\n    air_trip:\n      annual_rate: {values: {2018-01-01: -0.5}}\n"
        "measures:",
    )
    path = tmp_path / "bad-rate.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        scsim.load(path)
    (issue,) = caught.value.issues
    assert issue.path.startswith("behaviour.events.air_trip.annual_rate")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "-0.5" in t)
    assert (issue.line, issue.col) == (line, text.splitlines()[line - 1].index("-0.5") + 1)
    assert "-0.5" in issue.message
