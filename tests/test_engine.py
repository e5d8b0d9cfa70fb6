"""The engine as a user relies on it: epochs, dated parameters and reforms, determinism for any
thread count, common random numbers, the event log, the metrics, and agreement with the Mesa
reference model. Every population is synthetic and every scenario a test fixture.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import scsim
from scsim.core.layout import GROUP_LABELS
from scsim.engine.epochs import epoch_bounds
from scsim.engine.metrics import GROUPS
from scsim.engine.simulate import SimulationError, simulate_arrays
from scsim.results.outcome import citizen_columns
from scsim.scenario.schema import Param

D = dt.date

# ---------------------------------------------------------------------------------------------
# epochs


def test_epoch_bounds_are_month_starts_plus_change_dates_plus_the_day_after_the_end():
    changes = [D(2021, 2, 20), D(2020, 12, 1), D(2021, 1, 15), D(2021, 4, 11), D(2021, 5, 1)]
    assert epoch_bounds(D(2021, 1, 15), D(2021, 4, 10), "month", changes) == [
        D(2021, 1, 15),
        D(2021, 2, 1),
        D(2021, 2, 20),
        D(2021, 3, 1),
        D(2021, 4, 1),
        D(2021, 4, 11),
    ]


def test_epoch_bounds_for_quarters_years_and_short_runs():
    assert epoch_bounds(D(2021, 1, 1), D(2021, 12, 31), "quarter", []) == [
        D(2021, 1, 1),
        D(2021, 4, 1),
        D(2021, 7, 1),
        D(2021, 10, 1),
        D(2022, 1, 1),
    ]
    assert epoch_bounds(D(2020, 6, 1), D(2022, 3, 31), "year", [D(2021, 5, 5)]) == [
        D(2020, 6, 1),
        D(2021, 1, 1),
        D(2021, 5, 5),
        D(2022, 1, 1),
        D(2022, 4, 1),
    ]
    assert epoch_bounds(D(2021, 3, 7), D(2021, 3, 7), "month", []) == [D(2021, 3, 7), D(2021, 3, 8)]
    bounds = epoch_bounds(D(2020, 1, 1), D(2020, 12, 31), "month", [])
    assert len(bounds) == 13 and bounds[-1] == D(2021, 1, 1)
    assert all(b.day == 1 for b in bounds)


# ---------------------------------------------------------------------------------------------
# dated parameters and reforms


def test_param_at_follows_dated_values_and_null_repeals():
    p = Param.model_validate(
        {"values": {D(2021, 1, 1): 2.0, D(2020, 1, 1): 1.0, D(2022, 1, 1): None}}
    )
    assert p.at(D(2019, 12, 31)) is None  # before the first date: not in force
    assert p.at(D(2020, 1, 1)) == 1.0
    assert p.at(D(2020, 12, 31)) == 1.0
    assert p.at(D(2021, 1, 1)) == 2.0
    assert p.at(D(2022, 1, 1)) is None  # repealed
    assert p.at(D(2030, 1, 1)) is None
    assert p.change_dates() == [D(2020, 1, 1), D(2021, 1, 1), D(2022, 1, 1)]
    assert p.max_over(D(2020, 6, 1), D(2023, 1, 1)) == 2.0
    assert p.max_over(D(2022, 6, 1), D(2023, 1, 1)) == 0.0
    plain = Param.model_validate(5)
    assert plain.at(D(1950, 1, 1)) == plain.at(D(2100, 1, 1)) == 5.0
    assert plain.change_dates() == []
    with pytest.raises(ValueError, match="remove the quotes"):
        Param.model_validate("5")


REFORMABLE = """
name: reformable
world: {start: 2021-01-01, end: 2021-12-31}
behaviour:
  events:
    judgment:
      daily_probability: 0.002
      consequence: judgment
      amount: {median: 20000, sigma: 1.0}
schemes:
  court:
    kind: court_list
    list_from: 2021-01-01
    national_from: 2021-01-01
    grace_days: 10
    term_days: 730
reforms:
  longer-grace:
    description: Ninety days of grace from July.
    set:
      - {path: schemes.court.grace_days, value: 90, from: 2021-07-01}
"""


def test_reform_returns_a_new_scenario_and_leaves_the_baseline_alone(scenario_from):
    sc = scenario_from(REFORMABLE)
    resolved, digest = sc.resolved(), sc.hash
    grace = sc.spec.schemes["court"].grace_days

    reformed = sc.reform({"schemes.court.grace_days": 90}, start="2021-07-01", until="2021-10-01")
    assert reformed is not sc and reformed.hash != digest
    assert reformed.reforms_applied == (
        "schemes.court.grace_days=90 from 2021-07-01 until 2021-10-01",
    )
    assert reformed.run_name == f"{sc.name}-grace_days=90@2021-07-01..2021-10-01"
    new = reformed.spec.schemes["court"].grace_days
    assert [new.at(D(2021, m, 1)) for m in (6, 7, 9, 10)] == [10.0, 90.0, 90.0, 10.0]
    # The baseline is untouched: same content, same hash, same values in force.
    assert sc.resolved() == resolved and sc.hash == digest
    assert grace.at(D(2021, 8, 1)) == 10.0

    named = sc.reform("longer-grace")
    assert named.reforms_applied == ("longer-grace",)
    assert named.spec.schemes["court"].grace_days.at(D(2021, 8, 1)) == 90.0
    # Equal content, equal hash; a different change, a different hash.
    again = sc.reform({"schemes.court.grace_days": 90}, start="2021-07-01", until="2021-10-01")
    assert again.hash == reformed.hash
    assert (
        sc.reform({"schemes.court.grace_days": 91}).hash
        != sc.reform({"schemes.court.grace_days": 90}).hash
    )


def test_reform_errors_say_what_was_meant(scenario_from):
    sc = scenario_from(REFORMABLE)
    with pytest.raises(ValueError, match=r"no 'grace_dayz' — did you mean 'grace_days'\?"):
        sc.reform({"schemes.court.grace_dayz": 30})
    with pytest.raises(ValueError, match=r"did you mean 'schemes'\?"):
        sc.reform({"scheme.court.grace_days": 30})
    with pytest.raises(ValueError, match=r"no reform 'longer-grase' — did you mean 'longer-grace'"):
        sc.reform("longer-grase")
    with pytest.raises(
        ValueError, match=r"invalid: schemes\.court\..*grace_days.*valid number \(got 'long'\)$"
    ):
        sc.reform({"schemes.court.grace_days": "long"})
    with pytest.raises(ValueError, match="is not a number"):
        sc.reform({"schemes.court": 30})
    assert sc.hash == scenario_from(REFORMABLE).hash


# ---------------------------------------------------------------------------------------------
# a scenario that exercises every mechanism at once

RICH = """
name: rich
world: {start: 2021-01-01, end: 2021-12-31, seed: 21}
behaviour:
  events:
    traffic:
      daily_probability: 0.01
      modifier: "1 + 0.5 * urban"
      heterogeneity: {shape: 2.0, scale: 0.5, clip: [0.0, 10.0]}
      deterrence: {points_exponent: 2.0, detection_sensitivity: 0.3}
      consequence: fine
      amount: {median: 200, sigma: 0.4}
      pay_within_days: 15
    judgment:
      annual_rate: 0.6
      modifier: "1 + (debt > 6 * income)"
      consequence: judgment
      amount: {median: 20000, sigma: 1.0}
    relocation:
      daily_probability: 0.001
      consequence: move
observation:
  detection: {traffic: "where(urban, 0.8, 0.3)"}
  misattribution: {values: {2021-01-01: 0.05, 2021-06-15: 0.1}}
schemes:
  score:
    kind: points
    base: 1000
    cap: 1050
    deltas: {traffic: -20, judgment: -100}
    recovery: {clean_days: 30, points: 1}
    grades: {D: 0, C: 600, B: 850, A: 960, AA: 1030}
    consent: {required: true, share: 0.8}
  court:
    kind: court_list
    list_from: 2021-01-01
    national_from: 2021-05-01
    grace_days: 10
    term_days: 180
    pay_if_able: 0.6
    monthly_payment_propensity: 0.1
    no_assets: {enabled: true, after_days: 90, monthly_probability: 0.1, search_probability: 0.5}
    grounds: {refusing_share: 0.4}
    removal: {settlement_probability: 0.02, creditor_request_probability: 0.01}
measures:
  travel_ban:
    when: "listed"
    effects: {monthly_cost: 50, pay_pressure: 0.05}
  job_ban:
    when: "listed and not has_child"
    effects: {income_factor: 0.8}
  perk:
    when: "grade >= 'A'"
    effects: {monthly_cost: -20}
"""
FILES = ("timeseries.parquet", "citizens.parquet", "events.parquet")


@pytest.fixture(scope="module")
def rich(session_scenario):
    return session_scenario(RICH)


@pytest.fixture(scope="module")
def rich_run(rich, runs_root):
    return scsim.simulate(rich, population=12_000, seed=21, out=runs_root / "rich", events=True)


def test_results_are_byte_identical_for_any_thread_count(rich, tmp_path):
    code = (
        "import sys, scsim\n"
        "scsim.simulate(sys.argv[1], population=20_000, seed=5, out=sys.argv[2], events=True)\n"
    )
    procs = {}
    for threads in (1, 2):
        env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
        out = tmp_path / f"threads-{threads}"
        procs[threads] = subprocess.Popen(
            [sys.executable, "-c", code, rich.source, str(out)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    runs = {}
    for threads, proc in procs.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        (path,) = (tmp_path / f"threads-{threads}").iterdir()
        runs[threads] = scsim.Run(path)
    assert runs[1].manifest["threads"] == 1 and runs[2].manifest["threads"] == 2
    assert runs[1].path.name == runs[2].path.name
    for name in FILES:
        assert runs[1].file(name).read_bytes() == runs[2].file(name).read_bytes(), name


def outcome_fingerprint(o) -> list[np.ndarray]:
    arrays = [o.si, o.sf, o.n_true, o.n_rec, o.province, o.timeseries["value"]]
    if o.events is not None:
        arrays += list(o.events.values())
    return arrays


def same_outcome(a, b) -> bool:
    return all(
        x.shape == y.shape and np.array_equal(x, y)
        for x, y in zip(outcome_fingerprint(a), outcome_fingerprint(b), strict=True)
    )


def test_same_seed_same_run_different_seed_different_run(rich):
    a = simulate_arrays(rich, population=5_000, seed=8, events=True)
    b = simulate_arrays(rich, population=5_000, seed=8, events=True)
    c = simulate_arrays(rich, population=5_000, seed=9, events=True)
    assert same_outcome(a, b)
    assert not np.array_equal(a.n_true, c.n_true)
    assert not np.array_equal(a.si, c.si)
    assert not np.array_equal(a.timeseries["value"], c.timeseries["value"])


BUSY = """
name: busy
world: {start: 2021-01-01, end: 2021-12-31, seed: 2, epoch: year}
behaviour:
  events:
    good_deed: {daily_probability: 1.0, eligible: "True"}
    bad_deed: {daily_probability: 1.0, eligible: "True"}
schemes:
  score:
    kind: points
    base: 1000
    cap: 1050
    deltas: {good_deed: 3, bad_deed: -3}
    grades: {D: 0, C: 600, B: 850, A: 960, AA: 1030}
    applies_to: "True"
"""


def working(args) -> bool:
    """Whether a run_epoch call has citizens to process (not the warm-up on empty ranges)."""
    chunk_lo, chunk_hi = args[4], args[5]
    return bool((chunk_hi > chunk_lo).any())


def test_the_event_log_is_complete_and_does_not_change_the_run(scenario_from, monkeypatch):
    # Citizens busy every day of a one-year epoch overflow the per-chunk log buffers, so the
    # kernel stops and resumes chunks part-way; nothing may be lost, doubled or changed by that.
    import scsim.engine.simulate as engine

    calls = []
    kernel = engine.run_epoch
    monkeypatch.setattr(engine, "run_epoch", lambda *a: calls.append(working(a)) or kernel(*a))
    sc = scenario_from(BUSY)
    n = 256 * 44
    logged = simulate_arrays(sc, population=n, seed=2, events=True)
    assert sum(calls) > 1  # one epoch, yet the kernel had to resume
    silent = simulate_arrays(sc, population=n, seed=2, events=False)
    assert silent.events is None
    assert all(
        np.array_equal(x, y)
        for x, y in zip(outcome_fingerprint(logged), outcome_fingerprint(silent), strict=False)
    )
    ev = logged.events
    assert ev["citizen"].size == n * 365 * 4  # an event row and a points row per deed
    events_per_citizen = np.bincount(ev["citizen"][ev["code"] == 1], minlength=n)
    assert np.array_equal(events_per_citizen, logged.n_true.sum(axis=1))
    assert np.all(events_per_citizen == 2 * 365)
    # Sorted by citizen, then by day.
    step = np.diff(ev["citizen"])
    assert np.all((step > 0) | ((step == 0) & (np.diff(ev["day"]) >= 0)))


# ---------------------------------------------------------------------------------------------
# common random numbers


def test_a_court_reform_leaves_behaviour_draws_unchanged(rich):
    base = simulate_arrays(rich, population=8_000, seed=4)
    whole = simulate_arrays(rich.reform({"schemes.court.grace_days": 60}), population=8_000, seed=4)
    dated = simulate_arrays(
        rich.reform({"schemes.court.grace_days": 60}, start="2021-07-01"), population=8_000, seed=4
    )
    cb = citizen_columns(base)
    for reformed in (whole, dated):
        cr = citizen_columns(reformed)
        # The reform matters for the list...
        assert not np.array_equal(cb["n_listings"], cr["n_listings"])
        # ...but every citizen commits, and is recorded for, exactly the same events.
        assert np.array_equal(base.n_true, reformed.n_true)
        assert np.array_equal(base.n_rec, reformed.n_rec)
        assert np.array_equal(cb["wrongful_records"], cr["wrongful_records"])
        assert np.array_equal(cb["points"], cr["points"])


def test_a_mid_month_court_reform_leaves_misattributed_records_unchanged(rich):
    base = simulate_arrays(rich, population=8_000, seed=4)
    reformed = simulate_arrays(
        rich.reform({"schemes.court.grace_days": 60}, start="2021-08-15"), population=8_000, seed=4
    )
    assert np.array_equal(
        citizen_columns(base)["wrongful_records"], citizen_columns(reformed)["wrongful_records"]
    )
    assert np.array_equal(base.n_rec, reformed.n_rec)
    assert np.array_equal(base.n_true, reformed.n_true)


STILL_ECONOMY = """
name: still-economy
world: {start: 2021-01-01, end: 2021-12-31, seed: 6}
behaviour:
  events:
    judgment:
      daily_probability: 0.004
      consequence: judgment
      amount: {median: 5000, sigma: 1.0}
economy: {savings_rate: 0, income_growth: 0, debt_interest: 0, debt_repayment_share: 0}
schemes:
  court:
    kind: court_list
    list_from: 2021-01-01
    national_from: 2021-01-01
    grace_days: 10
    term_days: 180
    pay_if_able: 0.5
    monthly_payment_propensity: 0.3
    no_assets: {enabled: true, after_days: 30, monthly_probability: 0.3}
"""


def test_a_dated_value_that_changes_nothing_changes_no_outcome(scenario_from):
    sc = scenario_from(STILL_ECONOMY)
    # Same savings rate again from mid-July: a no-op that only splits July into two epochs.
    split = sc.reform({"economy.savings_rate": 0.0}, start="2021-07-15")
    assert split.spec.economy.savings_rate.change_dates() == [D(2021, 7, 15)]
    a = simulate_arrays(sc, population=8_000, seed=6)
    b = simulate_arrays(split, population=8_000, seed=6)
    assert np.array_equal(a.n_true, b.n_true)  # behaviour is unaffected either way
    assert np.array_equal(a.si, b.si)


# ---------------------------------------------------------------------------------------------
# metrics


def series(run, metric, group="all", category=""):
    t = run.query(
        'select value from timeseries where metric = ? and "group" = ? and category = ? '
        "order by date",
        [metric, group, category],
    )
    return t.column("value").to_numpy()


def test_timeseries_groups_add_up_and_population_is_the_real_one(rich_run):
    real = rich_run.manifest["population"]["real_population"]
    weight = rich_run.manifest["population"]["weight"]
    assert real == pytest.approx(weight * 12_000)
    population = series(rich_run, "population")
    assert population.size >= 12  # monthly epochs, plus the misattribution change date
    np.testing.assert_allclose(population, real, rtol=1e-9)
    for metric in ("listed", "population", "adults", "new_listings", "open_cases", "scored"):
        cells = {group: series(rich_run, metric, group) for group in GROUPS}
        for group, members in GROUPS.items():
            total = sum(cells[GROUP_LABELS[g]] for g in members)
            np.testing.assert_allclose(cells[group], total, rtol=1e-9, err_msg=f"{metric} {group}")
    listed = series(rich_run, "listed")
    assert listed.max() > 0
    share = series(rich_run, "listed_share_adults")
    np.testing.assert_allclose(share, listed / series(rich_run, "adults"), rtol=1e-9)


def test_daily_grade_counts_add_up_to_the_scored(rich_run, as_arrays):
    t = as_arrays(
        rich_run.query(
            "select date, sum(value) as graded from timeseries where metric = 'grade_count' "
            "and \"group\" = 'all' group by date order by date"
        )
    )
    scored = series(rich_run, "scored_daily")
    assert t["graded"].size == scored.size == 365
    np.testing.assert_allclose(t["graded"], scored, rtol=1e-9)
    c = as_arrays(rich_run.citizens(["scored"]))
    weight = rich_run.manifest["population"]["weight"]
    assert scored[-1] == pytest.approx(c["scored"].sum() * weight)


def test_event_counts_in_the_timeseries_match_the_citizens(rich_run, as_arrays):
    weight = rich_run.manifest["population"]["weight"]
    c = as_arrays(rich_run.citizens())
    for kind in ("traffic", "judgment", "relocation"):
        assert series(rich_run, "events_true", category=kind).sum() == pytest.approx(
            c[f"n_{kind}"].sum() * weight
        )
        assert series(rich_run, "events_recorded", category=kind).sum() == pytest.approx(
            c[f"rec_{kind}"].sum() * weight
        )


def monthly(run, metric, category):
    """A per-epoch series summed by calendar month (epoch rows are dated on their last day)."""
    t = run.query(
        "select date_trunc('month', date) as m, sum(value) as v from timeseries "
        "where metric = ? and \"group\" = 'all' and category = ? group by m order by m",
        [metric, category],
    )
    return t.column("v").to_numpy()


def test_misattributed_records_are_delivered_in_the_next_month(rich_run, as_arrays):
    weight = rich_run.manifest["population"]["weight"]
    c = as_arrays(rich_run.citizens(["wrongful_records"]))
    delivered = 0.0
    for kind in ("traffic", "judgment", "relocation"):
        mis = monthly(rich_run, "misattributed", kind)
        wrong = monthly(rich_run, "wrongful_records", kind)
        assert mis.size == 12  # the mid-month change date splits an epoch, not a month
        assert wrong[0] == 0.0
        np.testing.assert_allclose(wrong[1:], mis[:-1], rtol=1e-9, err_msg=kind)
        delivered += wrong.sum()
    assert delivered > 0
    assert delivered == pytest.approx(c["wrongful_records"].sum() * weight)


# ---------------------------------------------------------------------------------------------
# agreement with the Mesa reference model

MESA_VIOLATIONS = 3.5425  # 20,000-agent Mesa 3 run of benchmarks/mesa_reference.py, 365 days
MESA_POINTS = 992.35


def test_mesa_reference_agrees_with_the_mesa_model():
    sc = scsim.load("mesa-reference")
    n = 20_000
    out = simulate_arrays(sc, population=n)
    assert (out.end - out.start).days + 1 == 365
    cols = citizen_columns(out)
    violations = out.n_true[:, 0].astype(np.float64)
    points = cols["points"].astype(np.float64)
    # Two-sample z-tests at |z| <= 4, taking the Mesa run's per-citizen variance to be ours.
    se_v = math.sqrt(2 * violations.var(ddof=1) / n)
    se_p = math.sqrt(2 * points.var(ddof=1) / n)
    assert abs(violations.mean() - MESA_VIOLATIONS) <= 4 * se_v
    assert abs(points.mean() - MESA_POINTS) <= 4 * se_p
    assert abs(violations.mean() - 3.53) <= 0.1 and abs(points.mean() - 992.4) <= 0.5
    assert points.max() <= 1050

    ts = out.timeseries
    daily = (ts["metric"] == "points_mean") & (ts["group"] == "all")
    assert daily.sum() == 365
    assert ts["value"][daily][-1] == pytest.approx(points.mean())
    real = out.population.weight * n
    grades = (ts["metric"] == "grade_count") & (ts["group"] == "all")
    per_day = {}
    for date, value in zip(ts["date"][grades], ts["value"][grades], strict=True):
        per_day[date] = per_day.get(date, 0.0) + value
    assert len(per_day) == 365
    np.testing.assert_allclose(list(per_day.values()), real, rtol=1e-9)


@pytest.mark.parametrize("seed", [-1, 2**63])
def test_a_seed_outside_63_bits_is_a_simulation_error(rich, seed):
    with pytest.raises(SimulationError, match="2\\*\\*63 - 1"):
        simulate_arrays(rich, population=10, seed=seed)


def test_an_event_log_that_will_not_fit_stops_the_run_early(rich, monkeypatch):
    import scsim.engine.simulate as engine

    calls = []
    kernel = engine.run_epoch
    monkeypatch.setattr(engine, "run_epoch", lambda *a: calls.append(working(a)) or kernel(*a))
    free = iter([1 << 40])  # plenty for the state, checked first; then 2 MiB for the log
    monkeypatch.setattr(engine, "available_bytes", lambda: next(free, 2 << 20))
    with pytest.raises(SimulationError, match=r"event log \(--events\) would grow to .* without"):
        simulate_arrays(rich, population=8_000, seed=4, events=True)
    assert sum(calls) == 1  # stopped after the first epoch, not at the end


def test_the_manifest_shows_the_seed_that_ran_and_replicates_share_a_hash(rich, tmp_path):
    a = scsim.simulate(rich, population=500, seed=11, days=31, out=tmp_path)
    b = scsim.simulate(rich, population=500, seed=12, days=31, out=tmp_path)
    assert (a.manifest["seed"], a.manifest["scenario"]["world"]["seed"]) == (11, 11)
    assert (b.manifest["seed"], b.manifest["scenario"]["world"]["seed"]) == (12, 12)
    assert a.manifest["scenario_hash"] == b.manifest["scenario_hash"]
    assert a.path != b.path


BASE_LOWERED = """
name: base-lowered
world: {start: 2021-01-01, end: 2021-12-31, seed: 3}
behaviour:
  events:
    offence:
      daily_probability: 0.002
      deterrence: {points_exponent: 2}
schemes:
  pts:
    kind: points
    base: {values: {2021-01-01: 1000, 2021-07-01: 500}}
    cap: 1000
    deltas: {offence: 0}
    grades: {D: 0, C: 600, B: 850, A: 960, AA: 1030}
    applies_to: "True"
"""


def test_deterrence_follows_a_lowered_base(scenario_from, tmp_path):
    # Points stay at 1000 while the base halves: (points / base) ** 2 quadruples the rate.
    run = scsim.simulate(scenario_from(BASE_LOWERED), population=40_000, out=tmp_path)
    t = run.query(
        "select month(date) <= 6 as first_half, sum(value) as n from timeseries "
        "where metric = 'events_true' and \"group\" = 'all' group by all"
    ).to_pydict()
    n = dict(zip(t["first_half"], t["n"], strict=True))
    assert n[False] / n[True] == pytest.approx(4.0 * 184 / 181, rel=0.08)


QUARTERLY = """
name: quarterly-misattribution
world: {start: 2021-01-01, end: 2021-12-31, seed: 5, epoch: quarter}
behaviour:
  events:
    traffic:
      daily_probability: 0.02
      deterrence: {points_exponent: 4}
observation:
  misattribution: 0.1
schemes:
  pts:
    kind: points
    base: 1000
    cap: 1050
    deltas: {traffic: -20}
    recovery: {clean_days: 30, points: 1}
    grades: {D: 0, C: 600, B: 850, A: 960, AA: 1030}
    applies_to: "True"
"""


def test_misattributed_records_ignore_quarterly_epoch_boundaries(scenario_from):
    sc = scenario_from(QUARTERLY)
    split = sc.reform({"observation.misattribution": 0.1}, start="2021-02-15")  # a no-op value
    a = simulate_arrays(sc, population=8_000, seed=5)
    b = simulate_arrays(split, population=8_000, seed=5)
    assert np.array_equal(a.n_true, b.n_true)
    assert np.array_equal(a.n_rec, b.n_rec)
    assert np.array_equal(citizen_columns(a)["points"], citizen_columns(b)["points"])
