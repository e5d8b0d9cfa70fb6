"""Mechanism rules as a user relies on them: points, the court list, misattribution, measures,
consent and the economy. Every population is synthetic and every scenario a test fixture.

Most checks replay the event log (events.parquet) citizen by citizen and compare what the rules
say must have happened with the end-of-run snapshot (citizens.parquet).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scsim
from scsim.engine.epochs import epoch_bounds
from scsim.engine.simulate import simulate_arrays
from scsim.mechanisms.points import grade_of
from scsim.results.outcome import citizen_columns

# ---------------------------------------------------------------------------------------------
# helpers


def by_citizen(ev: dict[str, np.ndarray], start: dt.date):
    """Yield (citizen, rows) in log order; each row is (day index, event, kind, value)."""
    days = (ev["date"] - np.datetime64(start.isoformat(), "D")).astype(np.int64)
    citizen = ev["citizen"]
    if citizen.size == 0:
        return
    cuts = np.flatnonzero(np.diff(citizen)) + 1
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, citizen.size], strict=True):
        rows = list(
            zip(days[lo:hi], ev["event"][lo:hi], ev["kind"][lo:hi], ev["value"][lo:hi], strict=True)
        )
        yield int(citizen[lo]), rows


def daily_series(run, metric: str) -> np.ndarray:
    table = run.query(
        f"select value from timeseries where metric = '{metric}' and \"group\" = 'all' "
        "order by date"
    )
    return table.column("value").to_numpy()


# ---------------------------------------------------------------------------------------------
# points: grade bands


def test_grade_of_band_edges():
    bounds = np.array([0.0, 600.0, 850.0, 960.0, 1030.0, 1050.0])  # D C B A AA AAA
    cases = {
        -5: 0,
        0: 0,
        599: 0,
        600: 1,
        849: 1,
        850: 2,
        959: 2,
        960: 3,
        1029: 3,
        1030: 4,
        1049: 4,
        1050: 5,
        30_000: 5,
    }
    for points, grade in cases.items():
        assert grade_of(points, bounds) == grade, points


# ---------------------------------------------------------------------------------------------
# points: the cap and the floor hold whatever the deltas

POINTS_BOUNDS = """
name: points-bounds
world: {{start: 2021-01-01, end: 2021-08-31, seed: 1, epoch: {epoch}}}
behaviour:
  events:
    charity:
      daily_probability: {charity_p}
      eligible: "True"
    offence:
      daily_probability: {offence_p}
      eligible: "True"
      deterrence: {{points_exponent: {exponent}}}
schemes:
  pts:
    kind: points
    base: 1000
    cap: {cap}
    floor: {floor}
    deltas: {{charity: {reward}, offence: {penalty}}}
    recovery: {{clean_days: 30, points: 1}}
    grades: {{D: 0, C: 600, B: 850, A: 960, AA: 1030}}
    applies_to: "True"
"""


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**31),
    reward=st.integers(1, 400),
    penalty=st.integers(-1500, -1),
    headroom=st.sampled_from([0, 1, 5, 50, 500]),
    floor=st.sampled_from([0, 100, 900, 999]),
    charity_p=st.sampled_from([0.01, 0.05, 0.3]),
    offence_p=st.sampled_from([0.005, 0.05]),
    exponent=st.sampled_from([0.0, 2.0]),
    epoch=st.sampled_from(["month", "year"]),
)
def test_points_never_pass_the_cap_or_the_floor(
    session_scenario, seed, reward, penalty, headroom, floor, charity_p, offence_p, exponent, epoch
):
    cap = 1000 + headroom
    sc = session_scenario(
        POINTS_BOUNDS.format(
            cap=cap,
            floor=floor,
            reward=reward,
            penalty=penalty,
            charity_p=charity_p,
            offence_p=offence_p,
            exponent=exponent,
            epoch=epoch,
        )
    )
    out = simulate_arrays(sc, population=2_000, seed=seed)
    points = citizen_columns(out)["points"]
    assert points.max() <= cap
    assert points.min() >= floor
    ts = out.timeseries
    daily = ts["value"][(ts["metric"] == "points_mean") & (ts["group"] == "all")]
    assert daily.size == (sc.spec.world.end - sc.spec.world.start).days + 1
    assert daily.max() <= cap + 1e-9
    assert daily.min() >= floor - 1e-9


@pytest.mark.parametrize(
    ("seed", "reward", "penalty", "cap", "floor"),
    [(1, 50, -400, 1050, 0), (2, 300, -900, 1050, 250), (3, 7, -5, 1001, 990)],
)
def test_points_log_adds_up_and_both_bounds_are_reached(
    scenario_from, tmp_path, as_arrays, seed, reward, penalty, cap, floor
):
    sc = scenario_from(
        POINTS_BOUNDS.format(
            cap=cap,
            floor=floor,
            reward=reward,
            penalty=penalty,
            charity_p=0.05,
            offence_p=0.02,
            exponent=0.0,
            epoch="month",
        )
    )
    run = scsim.simulate(sc, population=3_000, seed=seed, out=tmp_path, events=True)
    c = as_arrays(run.citizens(["points"]))
    points = c["points"].astype(np.int64)
    assert points.max() == cap and points.min() == floor  # both bounds bind, neither is passed
    assert np.all((points >= floor) & (points <= cap))
    ev = as_arrays(run.events())
    pts = ev["event"] == "points"
    # Starting points plus every logged change gives the final points, citizen by citizen.
    total = np.bincount(ev["citizen"][pts], weights=ev["value"][pts], minlength=points.size)
    assert np.array_equal(1000 + total.astype(np.int64), points)
    changes = ev["value"][pts & (ev["kind"] == "charity")]
    assert changes.min() >= 0 and changes.max() <= reward
    daily = daily_series(run, "points_mean")
    assert daily.max() <= cap and daily.min() >= floor


def test_a_lowered_cap_applies_to_those_already_above_it(scenario_from):
    sc = scenario_from(
        """
        name: cap-lowered
        world: {start: 2021-01-01, end: 2021-12-31, seed: 1}
        behaviour:
          events:
            charity:
              daily_probability: {values: {2021-01-01: 0.05, 2021-06-01: 0.0}}
              eligible: "True"
        schemes:
          pts:
            kind: points
            base: 1000
            cap: {values: {2021-01-01: 1050, 2021-07-01: 1020}}
            deltas: {charity: 50}
            grades: {D: 0, C: 600, B: 850, A: 960, AA: 1030}
            applies_to: "True"
        """
    )
    out = simulate_arrays(sc, population=2_000, seed=1)
    assert citizen_columns(out)["points"].max() <= 1020


def test_applies_to_may_read_dynamic_attributes(scenario_from):
    # Eligibility is re-evaluated every year, so it may read where a citizen lives and earns.
    sc = scenario_from(
        """
        name: shandong-only
        world: {start: 2021-01-01, end: 2021-03-31, seed: 3}
        behaviour:
          events:
            charity: {daily_probability: 0.01}
        schemes:
          pts:
            kind: points
            base: 1000
            deltas: {charity: 5}
            grades: {D: 0, C: 600, B: 850, A: 960, AA: 1030}
            applies_to: "province == 'Shandong' and income > 2000"
        """
    )
    out = simulate_arrays(sc, population=20_000, seed=3)
    c = citizen_columns(out)
    province = np.asarray(c["province"][1])[c["province"][0]]
    scored = c["scored"]
    assert scored.sum() > 100
    assert np.all(province[scored] == "Shandong")
    assert not np.all(scored[province == "Shandong"])  # the income condition also bites


# ---------------------------------------------------------------------------------------------
# points: recovery for clean time

RECOVERY = """
name: recovery
world: {{start: 2021-01-01, end: 2021-12-31, seed: 4, epoch: month}}
behaviour:
  events:
    offence:
      daily_probability: 0.01
      eligible: "urban"
schemes:
  pts:
    kind: points
    base: 1000
    cap: {cap}
    deltas: {{offence: -5}}
    recovery: {{clean_days: 30, points: 1}}
    grades: {{D: 0, C: 600, B: 850, A: 960, AA: 1030, AAA: 1050}}
    applies_to: "True"
"""


@pytest.mark.parametrize("cap", [1050, 1005])
def test_clean_citizens_gain_a_point_per_30_days(scenario_from, tmp_path, as_arrays, cap):
    sc = scenario_from(RECOVERY.format(cap=cap))
    days = sc.spec.world.days
    assert days == 365
    run = scsim.simulate(sc, population=4_000, seed=4, out=tmp_path, events=True)
    c = as_arrays(run.citizens(["urban", "points", "n_offence"]))
    clean = ~c["urban"]
    assert clean.sum() > 500 and (c["n_offence"][clean] == 0).all()
    assert np.all(c["points"][clean] == min(1000 + days // 30, cap))

    # One offence on day t: the credits earned before it stay, the count restarts after it.
    ev = as_arrays(run.events())
    offences = ev["event"] == "event"
    once = np.flatnonzero(c["n_offence"] == 1)
    assert once.size > 100
    first_day = {}
    start = np.datetime64(sc.spec.world.start.isoformat(), "D")
    for who, date in zip(ev["citizen"][offences], ev["date"][offences], strict=True):
        first_day.setdefault(int(who), int((date - start).astype(np.int64)))
    for i in once:
        t = first_day[int(i)]
        before = min(1000 + t // 30, cap)
        expected = min(before - 5 + (days - 1 - t) // 30, cap)
        assert c["points"][i] == expected, (i, t)


def test_daily_points_of_a_clean_population_step_every_30_days(scenario_from, tmp_path):
    sc = scenario_from(RECOVERY.format(cap=1050).replace('eligible: "urban"', 'eligible: "False"'))
    run = scsim.simulate(sc, population=1_000, seed=1, out=tmp_path)
    daily = daily_series(run, "points_mean")
    expected = np.minimum(1000 + (np.arange(daily.size) + 1) // 30, 1050)
    assert np.array_equal(daily, expected)


# ---------------------------------------------------------------------------------------------
# the court list

COURT = """
name: court-rules
world: {{start: 2021-01-01, end: 2021-12-31, seed: 3}}
behaviour:
  events:
    judgment:
      daily_probability: 0.004
      consequence: judgment
      amount: {{median: 20000, sigma: 1.0}}
      pay_within_days: 30
    traffic_fine:
      daily_probability: 0.004
      consequence: fine
      amount: {{median: 3000, sigma: 0.8}}
      pay_within_days: 15
schemes:
  court:
    kind: court_list
    list_from: 2021-03-01
    national_from: 2021-03-01
    grace_days: {grace}
    term_days: {term}
    repeat_extension_days: {extension}
    pay_if_able: {pay_if_able}
    monthly_payment_propensity: {propensity}
    no_assets:
      enabled: {no_assets}
      after_days: 60
      monthly_probability: 0.5
"""
GRACE, TERM, EXTENSION = 10, 90, 45
PAY_WITHIN = {"judgment": 30, "traffic_fine": 15}


def court_text(**changes) -> str:
    values = dict(
        grace=GRACE,
        term=TERM,
        extension=EXTENSION,
        pay_if_able=0.5,
        propensity=0.3,
        no_assets="false",
    )
    values.update(changes)
    return COURT.format(**values)


@pytest.fixture(scope="module")
def court_run(session_scenario, runs_root):
    sc = session_scenario(court_text())
    return scsim.simulate(sc, population=6_000, seed=3, out=runs_root / "court", events=True)


def replay_court(run, as_arrays):
    """Replay the case events of every citizen; checks each step against the court rules."""
    spec = run.manifest["scenario"]
    start = dt.date.fromisoformat(spec["world"]["start"])
    court = spec["schemes"]["court"]
    list_from = (dt.date.fromisoformat(court["list_from"]) - start).days
    ev = as_arrays(run.events())
    stats = defaultdict(int)
    final = {}
    for who, rows in by_citizen(ev, start):
        stage, opened, first_kind, amount, listings, since = "none", -1, "", 0.0, 0, -1
        last_close = ""
        for day, event, kind, value in rows:
            if event == "case_opened":
                if stage == "none":
                    stage, opened, first_kind, amount = "open", day, kind, value
                else:
                    amount += value
                last_close = ""
            elif event == "listed":
                assert stage == "open", (who, day)
                due = opened + PAY_WITHIN[first_kind]
                # Listed on the day the grace period ends (and never before the list exists).
                assert day == max(due + GRACE, list_from), (who, day, opened)
                stage, since = "listed", day
                listings += 1
                stats["listings"] += 1
            elif event == "case_closed":
                assert stage != "none", (who, day)
                if kind == "paid":
                    # The whole debt of the case is paid, and payment ends any listing.
                    assert value == pytest.approx(amount, rel=1e-5)
                    if stage == "listed":
                        stats["paid_while_listed"] += 1
                        # A listed debtor pays only at a monthly enforcement round.
                        assert (start + dt.timedelta(days=int(day))).day == 1, (who, day)
                elif kind == "expiry":
                    assert stage == "listed"
                    # The k-th listing lasts term + (k - 1) extensions, to the day.
                    assert day - since == TERM + EXTENSION * (listings - 1), (who, listings)
                    stats[f"expiry_{min(listings, 2)}"] += 1
                else:
                    stats[kind] += 1
                stage, last_close = "none", kind
        final[who] = (stage, listings, last_close)
    return final, stats


def test_paid_cases_end_listings_and_the_log_matches_the_snapshot(court_run, as_arrays):
    c = as_arrays(court_run.citizens(["listed", "case_stage", "n_listings", "cases_paid"]))
    final, stats = replay_court(court_run, as_arrays)
    assert stats["paid_while_listed"] > 20  # some listed debtors pay, others do not
    assert c["listed"].sum() > 20
    # Listed in the snapshot exactly when the case stage is "listed".
    assert np.array_equal(c["listed"], c["case_stage"] == "listed")
    for who in range(c["listed"].size):
        stage, listings, last_close = final.get(who, ("none", 0, ""))
        assert c["listed"][who] == (stage == "listed"), who
        assert (c["case_stage"][who] != "none") == (stage != "none"), who
        assert c["n_listings"][who] == listings, who
        if last_close == "paid":
            assert not c["listed"][who] and c["case_stage"][who] == "none", who


def test_listing_terms_expire_to_the_day(court_run, as_arrays):
    _, stats = replay_court(court_run, as_arrays)
    assert stats["expiry_1"] > 20  # first listings expire after term_days
    assert stats["expiry_2"] > 0  # and repeat listings after term + extension


def test_no_assets_exit_only_when_enabled(session_scenario, runs_root, as_arrays):
    # Nobody pays and terms outlast the run: the only way off the list is a no-assets finding.
    counts = {}
    for enabled in ("false", "true"):
        sc = session_scenario(
            court_text(pay_if_able=0.0, propensity=0.0, term=1000, no_assets=enabled)
        )
        run = scsim.simulate(
            sc, population=4_000, seed=5, out=runs_root / f"na-{enabled}", events=True
        )
        ev = as_arrays(run.events())
        c = as_arrays(run.citizens(["exits_no_assets", "n_listings", "listed"]))
        closed = ev["event"] == "case_closed"
        exits = closed & (ev["kind"] == "no_assets")
        counts[enabled] = int(exits.sum())
        assert int(c["exits_no_assets"].sum()) == counts[enabled]
        assert set(ev["kind"][closed]) <= {"no_assets"}
        if enabled == "false":
            # Listed once and for the rest of the run.
            assert np.array_equal(c["n_listings"] > 0, c["listed"])
            continue
        listed_on = {}
        start = sc.spec.world.start
        for who, rows in by_citizen(ev, start):
            for day, event, _, _ in rows:
                if event == "listed":
                    listed_on[who] = day
                elif event == "case_closed":
                    assert day - listed_on[who] >= 60, who  # after_days
                    assert (start + dt.timedelta(days=int(day))).day == 1  # monthly round
    assert counts["false"] == 0 and counts["true"] > 20


def test_a_repealed_term_means_later_listings_never_expire(session_scenario, runs_root, as_arrays):
    term = "{values: {2021-01-01: 60, 2021-06-01: null}}"
    sc = session_scenario(court_text(term=term, pay_if_able=0.0, propensity=0.0))
    run = scsim.simulate(sc, population=4_000, seed=8, out=runs_root / "repeal", events=True)
    start = sc.spec.world.start
    repeal, last = (dt.date(2021, 6, 1) - start).days, sc.spec.world.days - 1
    expired = listed_after = 0
    for who, rows in by_citizen(as_arrays(run.events()), start):
        since, listings = None, 0
        for day, event, kind, _ in rows:
            if event == "listed":
                since, listings = day, listings + 1
            elif event == "case_closed":
                # Only the term in force when listed can end a listing (nobody pays here).
                assert kind == "expiry" and since < repeal, (who, day)
                assert day - since == 60 + EXTENSION * (listings - 1), who
                since = None
                expired += 1
        if since is not None and since >= repeal:
            listed_after += 1
        elif since is not None:
            assert since + 60 + EXTENSION * (listings - 1) > last, who
    assert expired > 20 and listed_after > 20


ESCAPE = """
name: escape
world: {start: 2021-01-01, end: 2021-12-31, seed: 9}
behaviour:
  events:
    judgment:
      daily_probability: 0.004
      consequence: judgment
      amount: {median: 20000, sigma: 1.0}
      pay_within_days: 20
    relocation:
      daily_probability: 0.004
      consequence: move
observation:
  misattribution: MISATTRIBUTION
schemes:
  court:
    kind: court_list
    list_from: 2021-01-01
    national_from: 2021-07-01
    grace_days: 10
    term_days: 365
    pay_if_able: 0.3
    monthly_payment_propensity: 0.05
"""


@pytest.fixture(scope="module")
def escape_run(session_scenario, runs_root):
    sc = session_scenario(ESCAPE.replace("MISATTRIBUTION", "0.0"))
    return scsim.simulate(sc, population=6_000, seed=9, out=runs_root / "escape", events=True)


def test_moving_escapes_the_case_only_before_the_list_is_national(escape_run, as_arrays):
    start = dt.date(2021, 1, 1)
    national = (dt.date(2021, 7, 1) - start).days
    ev = as_arrays(escape_run.events())
    c = as_arrays(escape_run.citizens(["case_stage", "escapes"]))
    escaped = np.zeros(c["escapes"].size, dtype=np.int64)
    kept_after_move = 0
    for who, rows in by_citizen(ev, start):
        open_case = False
        for day, event, _, _ in rows:
            if event == "case_opened":
                open_case = True
            elif event == "case_closed":
                open_case = False
            elif event == "moved" and open_case:
                if day < national:
                    escaped[who] += 1
                    open_case = False
                else:
                    kept_after_move += 1
        assert open_case == (c["case_stage"][who] != "none"), who
    assert escaped.sum() > 20 and kept_after_move > 20
    assert np.array_equal(escaped, c["escapes"])


def test_escapes_are_in_the_event_log(escape_run, as_arrays):
    ev = as_arrays(escape_run.events())
    c = as_arrays(escape_run.citizens(["escapes"]))
    logged = (ev["event"] == "case_closed") & (ev["kind"] == "escaped")
    assert c["escapes"].sum() > 0
    assert logged.sum() == c["escapes"].sum()


# ---------------------------------------------------------------------------------------------
# misattribution: never-offenders are listed only through records that were not theirs

MISATTRIBUTION = """
name: misattribution
world: {start: 2021-01-01, end: 2021-12-31, seed: 7}
behaviour:
  events:
    judgment:
      daily_probability: 0.002
      consequence: judgment
      amount: {median: 20000, sigma: 1.0}
      pay_within_days: 20
    fine_offence:
      daily_probability: 0.003
      consequence: fine
      amount: {median: 2000, sigma: 0.5}
      pay_within_days: 10
    littering:
      daily_probability: 0.01
observation:
  detection: {fine_offence: 0.7, littering: 0.5}
  misattribution: 0.2
schemes:
  court:
    kind: court_list
    list_from: 2021-01-01
    national_from: 2021-01-01
    grace_days: 5
    term_days: 365
    pay_if_able: 0.2
    monthly_payment_propensity: 0.02
"""
CASE_KINDS = ("judgment", "fine_offence")
MIS_COLUMNS = [
    "n_listings",
    "wrongful_records",
    "wrongful_listings",
    "listed",
    "case_stage",
    *(f"{p}_{k}" for p in ("n", "rec") for k in (*CASE_KINDS, "littering")),
]


@pytest.fixture(scope="module")
def misattribution_runs(session_scenario, runs_root):
    sc = session_scenario(MISATTRIBUTION)
    runs = {}
    for label, scenario in (("on", sc), ("off", sc.reform({"observation.misattribution": 0.0}))):
        runs[label] = scsim.simulate(
            scenario, population=8_000, seed=7, out=runs_root / f"mis-{label}", events=True
        )
    return runs


def test_never_offenders_are_listed_only_by_misattributed_records(misattribution_runs, as_arrays):
    c = as_arrays(misattribution_runs["on"].citizens(MIS_COLUMNS))
    never = np.all([c[f"n_{k}"] == 0 for k in CASE_KINDS], axis=0)
    listed = never & (c["n_listings"] > 0)
    assert listed.sum() > 10  # misattribution does list innocent people
    assert np.all(c["wrongful_records"][listed] > 0)
    # Every listing of a never-offender is counted as wrongful.
    assert np.array_equal(c["wrongful_listings"][listed], c["n_listings"][listed])
    assert np.all(c["wrongful_listings"] <= c["n_listings"])
    recorded = sum(c[f"rec_{k}"].astype(np.int64) for k in (*CASE_KINDS, "littering"))
    committed = sum(c[f"n_{k}"].astype(np.int64) for k in (*CASE_KINDS, "littering"))
    assert np.all(recorded <= committed + c["wrongful_records"])


def test_without_misattribution_never_offenders_are_never_listed(misattribution_runs, as_arrays):
    c = as_arrays(misattribution_runs["off"].citizens(MIS_COLUMNS))
    never = np.all([c[f"n_{k}"] == 0 for k in CASE_KINDS], axis=0)
    assert never.sum() > 1000 and c["n_listings"].sum() > 20
    assert np.all(c["n_listings"][never] == 0)
    assert not c["listed"][never].any()
    assert np.all(c["wrongful_records"] == 0) and np.all(c["wrongful_listings"] == 0)
    for k in (*CASE_KINDS, "littering"):
        assert np.all(c[f"rec_{k}"] <= c[f"n_{k}"]), k


def test_a_listed_row_names_a_kind_of_the_case_it_lists(misattribution_runs, as_arrays):
    ev = as_arrays(misattribution_runs["on"].events())
    bad = 0
    for _, rows in by_citizen(ev, dt.date(2021, 1, 1)):
        kinds: set[str] = set()
        for _, event, kind, _ in rows:
            if event == "case_opened":
                kinds.add(kind)
            elif event == "case_closed":
                kinds = set()
            elif event == "listed":
                bad += kind not in kinds
    assert bad == 0


# ---------------------------------------------------------------------------------------------
# measures, consent

MEASURES = """
name: measures
world: {start: 2021-01-01, end: 2021-12-31, seed: 5}
behaviour:
  events:
    judgment:
      daily_probability: 0.003
      consequence: judgment
      amount: {median: 20000, sigma: 1.0}
      pay_within_days: 20
schemes:
  score:
    kind: points
    base: 1000
    cap: 1050
    deltas: {judgment: -200}
    recovery: {clean_days: 30, points: 1}
    grades: {D: 0, C: 600, B: 850, A: 960, AA: 1030}
    consent: {required: true, share: 0.3}
  court:
    kind: court_list
    list_from: 2021-01-01
    national_from: 2021-01-01
    grace_days: 10
    term_days: 120
    pay_if_able: 0.3
    monthly_payment_propensity: 0.1
measures:
  travel_ban:
    when: "listed"
    effects: {monthly_cost: 50, pay_pressure: 0.05}
  low_grade_watch:
    when: "grade <= 'C'"
"""


@pytest.fixture(scope="module")
def measures_run(session_scenario, runs_root):
    sc = session_scenario(MEASURES)
    return scsim.simulate(sc, population=10_000, seed=5, out=runs_root / "measures", events=True)


def status_at(run, as_arrays, day0: int):
    """Listed flag and points of every citizen at the start of day ``day0`` (from the log)."""
    start = dt.date.fromisoformat(run.manifest["horizon"]["start"])
    n = run.manifest["population"]["n_agents"]
    listed = np.zeros(n, dtype=bool)
    ev = as_arrays(run.events())
    for who, rows in by_citizen(ev, start):
        for day, event, _, _ in rows:
            if day >= day0:
                break
            if event == "listed":
                listed[who] = True
            elif event == "case_closed":
                listed[who] = False
    before = (ev["event"] == "points") & (ev["date"] < np.datetime64(start, "D") + day0)
    points = 1000 + np.bincount(ev["citizen"][before], weights=ev["value"][before], minlength=n)
    return listed, points


def last_epoch_start(run) -> int:
    start = dt.date.fromisoformat(run.manifest["horizon"]["start"])
    end = dt.date.fromisoformat(run.manifest["horizon"]["end"])
    return (epoch_bounds(start, end, "month", [])[-2] - start).days


def test_listed_measure_applies_exactly_to_those_listed_at_the_epoch_start(measures_run, as_arrays):
    c = as_arrays(measures_run.citizens(["listed", "sanction_travel_ban"]))
    listed_then, _ = status_at(measures_run, as_arrays, last_epoch_start(measures_run))
    assert listed_then.sum() > 20
    assert np.array_equal(c["sanction_travel_ban"], listed_then)
    # Listed during the last epoch but not at its start: not (yet) sanctioned.
    assert (c["listed"] & ~c["sanction_travel_ban"]).any()


def test_sanctioned_count_follows_the_list_with_an_epoch_lag(measures_run):
    def series(metric, category=""):
        t = measures_run.query(
            "select value from timeseries where metric = ? and \"group\" = 'all' "
            "and category = ? order by date",
            [metric, category],
        )
        return t.column("value").to_numpy()

    sanctioned = series("sanctioned", "travel_ban")
    listed = series("listed")
    assert sanctioned.size == listed.size == 12
    assert sanctioned[0] == 0.0
    np.testing.assert_allclose(sanctioned[1:], listed[:-1], rtol=1e-12)


def test_grade_measure_never_applies_to_unscored_citizens(measures_run, as_arrays):
    c = as_arrays(measures_run.citizens(["scored", "sanction_low_grade_watch", "age"]))
    watched = c["sanction_low_grade_watch"]
    assert not watched[~c["scored"]].any()
    # Among the scored it applies exactly to those at grade C or below at the epoch start.
    _, points = status_at(measures_run, as_arrays, last_epoch_start(measures_run))
    low = c["scored"] & (points < 850)
    assert low.sum() > 20
    assert np.array_equal(watched, low)


def test_consent_share_decides_who_is_scored(measures_run, as_arrays):
    c = as_arrays(measures_run.citizens(["scored", "consent", "age"]))
    adults = c["age"] >= 18
    assert not c["scored"][~adults].any()
    assert np.array_equal(c["scored"], c["consent"] & adults)
    share = c["scored"][adults].mean()
    sd = np.sqrt(0.3 * 0.7 / adults.sum())
    assert abs(share - 0.3) < 4 * sd


# ---------------------------------------------------------------------------------------------
# economy: sanctions feed back into money

JOB_BAN = """
name: job-ban
world: {{start: 2021-01-01, end: 2021-12-31, seed: 11}}
behaviour:
  events:
    judgment:
      daily_probability: 0.003
      consequence: judgment
      amount: {{median: 20000, sigma: 1.0}}
      pay_within_days: 20
schemes:
  court:
    kind: court_list
    list_from: 2021-01-01
    national_from: 2021-01-01
    grace_days: 10
    term_days: 1000
    pay_if_able: 0.0
    monthly_payment_propensity: 0.0
measures:
  job_ban:
    when: "listed"
    effects: {{income_factor: {factor}}}
"""


def test_a_job_ban_makes_listed_citizens_poorer_and_no_one_else(session_scenario):
    # Nobody pays, so the court's decisions are the same with and without the ban (common
    # random numbers): the ban is the only difference, citizen by citizen.
    out = {}
    for factor in (1.0, 0.5):
        sc = session_scenario(JOB_BAN.format(factor=factor))
        out[factor] = simulate_arrays(sc, population=6_000, seed=11)
    free, banned = out[1.0], out[0.5]
    cf, cb = citizen_columns(free), citizen_columns(banned)
    assert np.array_equal(cf["n_listings"], cb["n_listings"])
    assert np.array_equal(cf["days_listed"], cb["days_listed"])
    never = cf["n_listings"] == 0
    assert np.array_equal(cf["wealth"][never], cb["wealth"][never])
    assert np.array_equal(cf["debt"][never], cb["debt"][never])
    net_free = cf["wealth"].astype(np.float64) - cf["debt"]
    net_banned = cb["wealth"].astype(np.float64) - cb["debt"]
    assert np.all(net_banned <= net_free + 1e-3 * (1 + np.abs(net_free)))
    # Sanctioned for at least two monthly epochs, with an income to lose: strictly poorer.
    hit = (cf["days_listed"] > 62) & (free.population.income > 0)
    assert hit.sum() > 20
    assert np.all(net_banned[hit] < net_free[hit])

    def income_mean(o):
        ts = o.timeseries
        sel = (ts["metric"] == "income_mean") & (ts["group"] == "all")
        return ts["value"][sel]

    assert income_mean(banned)[-1] < income_mean(free)[-1]
    assert income_mean(banned)[0] == income_mean(free)[0]  # no one is listed in January


# ---------------------------------------------------------------------------------------------
# values that no probability can be made of


def test_a_modifier_that_can_be_nan_is_a_load_error_naming_it(scenario_from):
    from scsim.scenario.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"modifier: 'log\(age - 200\)': age - 200 can be"):
        scenario_from(
            """
            name: nan-modifier
            world: {start: 2021-01-01, end: 2021-03-31, seed: 1}
            behaviour:
              events:
                traffic_violation:
                  daily_probability: 0.01
                  modifier: "log(age - 200)"
            """
        )


@pytest.mark.parametrize("rule", ['"where(urban, 1.6, 0.25)"', '"0.5 - 0.75 * migrant"'])
def test_a_detection_rule_outside_0_and_1_is_a_load_error(scenario_from, rule):
    from scsim.scenario.errors import ScenarioError

    with pytest.raises(ScenarioError, match="detection probability must be between 0 and 1"):
        scenario_from(
            f"""
            name: bad-detection
            world: {{start: 2021-01-01, end: 2021-03-31, seed: 1}}
            behaviour:
              events:
                traffic_violation: {{daily_probability: 0.01}}
            observation:
              detection:
                traffic_violation: {rule}
            """
        )


def test_a_modifier_is_only_read_where_the_event_is_eligible(scenario_from):
    sc = scenario_from(
        """
        name: guarded-modifier
        world: {start: 2021-01-01, end: 2021-03-31, seed: 1}
        behaviour:
          events:
            missed_payment:
              daily_probability: 0.01
              eligible: "debt > 0"
              modifier: "log(debt) / 10"
        """
    )
    out = simulate_arrays(sc, population=2_000, seed=1)
    c = citizen_columns(out)
    assert c["n_missed_payment"].sum() > 0
