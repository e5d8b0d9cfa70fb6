"""The court list's listing grounds, their dated terms and the removal routes of Art. 10, as a
user relies on them: the ground share drawn follows its parameter; no listing ends by expiry
before a term is in force, nor ever on ground (1); each route fires only under its rule and is
counted apart, and the routes add up to every listing that ended. Synthetic populations only.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from click.testing import CliRunner

import scsim
from scsim.cli.main import main
from scsim.scenario.errors import ScenarioError

START = dt.date(2016, 1, 1)
REVISION = dt.date(2017, 5, 1)  # the 2017 provisions: terms for grounds (2)-(6) only
TERM, EXTENSION = 180, 30
ROUTES = ("paid", "settlement", "creditor", "no_assets", "expiry", "escaped")
# citizens.parquet's per-route counters of listings ended
ROUTE_COLUMNS = {
    "paid": "exits_listed_paid",
    "settlement": "exits_settlement",
    "creditor": "exits_creditor",
    "no_assets": "exits_no_assets",
    "expiry": "exits_expiry",
    "escaped": "exits_listed_escaped",
}
# the time series' per-route counts of listings ended
ROUTE_METRICS = {**ROUTE_COLUMNS, "escaped": "exits_listed_escaped"}

GROUNDS = """
name: court-grounds
world: {{start: 2016-01-01, end: 2019-12-31, seed: 12}}
behaviour:
  events:
    judgment:
      daily_probability: 0.003
      consequence: judgment
      amount: {{median: 30000, sigma: 1.0}}
      pay_within_days: 30
    relocation:
      daily_probability: 0.0005
      consequence: move
schemes:
  court:
    kind: court_list
    list_from: 2016-01-01
    national_from: 2016-07-01
    grace_days: 10
    term_days: {{values: {{2016-01-01: null, 2017-05-01: {term}}}}}
    repeat_extension_days: {{values: {{2017-05-01: {extension}}}}}
    pay_if_able: 0.3
    monthly_payment_propensity: 0.03
    no_assets:
      enabled: true
      after_days: 0
      min_searches: 2
      search_probability: 0.3
      monthly_probability: 0.1
    grounds:
      refusing_share: {{values: {{2016-01-01: {share}, 2018-01-01: {share_later}}}}}
      untermed_listings: {untermed}
    removal:
      settlement_probability: 0.02
      settlement_share: 0.5
      creditor_request_probability: 0.01
"""


def grounds_text(**changes) -> str:
    values = dict(
        term=TERM, extension=EXTENSION, share=0.3, share_later=0.7, untermed="term_from_rule"
    )
    values.update(changes)
    return GROUNDS.format(**values)


def day_of(date: dt.date) -> int:
    return (date - START).days


@pytest.fixture(scope="module")
def grounds_run(session_scenario, runs_root):
    sc = session_scenario(grounds_text())
    return scsim.simulate(sc, population=8_000, seed=12, out=runs_root / "grounds", events=True)


def listings(run, as_arrays):
    """Every listing in the event log: (citizen, listing number, day listed, day ended or None,
    route or None)."""
    ev = as_arrays(run.events())
    days = (ev["date"] - np.datetime64(START.isoformat(), "D")).astype(np.int64)
    out = []
    count: dict[int, int] = {}
    current: dict[int, list] = {}
    for who, day, event, kind in zip(ev["citizen"], days, ev["event"], ev["kind"], strict=True):
        who = int(who)
        if event == "listed":
            count[who] = count.get(who, 0) + 1
            current[who] = [who, count[who], int(day), None, None]
            out.append(current[who])
        elif event == "case_closed" and who in current:
            current[who][3], current[who][4] = int(day), str(kind)
            del current[who]
    return out


def series_total(run, metric: str) -> float:
    (value,) = (
        run.query(
            f"select sum(value) from timeseries where metric = '{metric}' and \"group\" = 'all'"
        )
        .column(0)
        .to_pylist()
    )
    return value


# ---------------------------------------------------------------------------------------------
# grounds


def test_the_ground_share_drawn_follows_its_dated_parameter(grounds_run):
    for (lo, hi), share in (((START, dt.date(2017, 12, 31)), 0.3),
                            ((dt.date(2018, 1, 1), dt.date(2019, 12, 31)), 0.7)):  # fmt: skip
        rows = grounds_run.query(
            "select metric, sum(value) as total from timeseries where \"group\" = 'all' and "
            "metric in ('new_listings', 'new_listings_refusing') and date between ? and ? "
            "group by metric",
            [lo, hi],
        ).to_pylist()
        sums = {r["metric"]: r["total"] for r in rows}
        n = sums["new_listings"] / grounds_run.manifest["population"]["weight"]  # agents
        assert n > 400
        drawn = sums["new_listings_refusing"] / sums["new_listings"]
        assert abs(drawn - share) < 4 * np.sqrt(share * (1 - share) / n), (lo, drawn)


def test_the_citizens_table_gives_the_ground_of_the_last_listing(grounds_run, as_arrays):
    c = as_arrays(grounds_run.citizens(["listing_ground", "n_listings", "listed"]))
    never = c["n_listings"] == 0
    assert np.all(c["listing_ground"][never] == "none")
    assert set(c["listing_ground"][~never]) == {"refusing", "evasion"}


# ---------------------------------------------------------------------------------------------
# terms


def test_no_listing_ends_by_expiry_before_the_2017_rule(grounds_run, as_arrays):
    rows = listings(grounds_run, as_arrays)
    expired = [r for r in rows if r[4] == "expiry"]
    assert len(expired) > 50
    # The earliest possible expiry: a pre-2017 listing's term counted from 2017-05-01.
    assert min(r[3] for r in expired) >= day_of(REVISION) + TERM


def test_listings_made_before_the_rule_get_its_term_from_its_date(grounds_run, as_arrays):
    c = as_arrays(grounds_run.citizens(["listing_ground", "last_exit"]))
    rows = listings(grounds_run, as_arrays)
    early = [r for r in rows if r[2] < day_of(REVISION) and r[4] == "expiry"]
    assert len(early) > 10
    for who, k, _, ended, _ in early:
        assert ended == day_of(REVISION) + TERM + EXTENSION * (k - 1), who
    later = [r for r in rows if r[2] >= day_of(REVISION) and r[4] == "expiry"]
    assert len(later) > 10
    for who, k, listed, ended, _ in later:
        assert ended - listed == TERM + EXTENSION * (k - 1), who
    # Only the evasion grounds expire: a last listing that expired was on grounds (2)-(6).
    assert set(c["listing_ground"][c["last_exit"] == "expiry"]) == {"evasion"}


def test_with_stay_listings_made_without_a_term_never_expire(
    session_scenario, runs_root, as_arrays
):
    sc = session_scenario(grounds_text(untermed="stay"))
    run = scsim.simulate(sc, population=6_000, seed=12, out=runs_root / "stay", events=True)
    rows = listings(run, as_arrays)
    assert any(r[2] < day_of(REVISION) and r[3] is None for r in rows)  # still listed
    expired = [r for r in rows if r[4] == "expiry"]
    assert expired and all(r[2] >= day_of(REVISION) for r in expired)


def test_ground_one_listings_never_expire(session_scenario, runs_root, as_arrays):
    # Every listing on ground (1): the same cases as in a run where every listing is on the
    # evasion grounds, which do expire; ignoring the term rule per ground would expire both.
    totals = {}
    for share in (1.0, 0.0):
        sc = session_scenario(grounds_text(share=share, share_later=share))
        run = scsim.simulate(sc, population=4_000, seed=3, out=runs_root / f"ground-{share}")
        c = as_arrays(run.citizens(["exits_expiry", "listing_ground", "n_listings"]))
        totals[share] = int(c["exits_expiry"].sum())
        listed = c["n_listings"] > 0
        expected = "refusing" if share == 1.0 else "evasion"
        assert set(c["listing_ground"][listed]) == {expected}
        assert series_total(run, "exits_expiry") == pytest.approx(totals[share] * run.manifest[
            "population"]["weight"])  # fmt: skip
    assert totals[1.0] == 0 and totals[0.0] > 20


# ---------------------------------------------------------------------------------------------
# removal routes


def test_each_route_is_counted_and_the_routes_add_up_to_every_listing_ended(grounds_run, as_arrays):
    c = as_arrays(grounds_run.citizens(["n_listings", "listed", *ROUTE_COLUMNS.values()]))
    weight = grounds_run.manifest["population"]["weight"]
    per_citizen = sum(c[col].astype(np.int64) for col in ROUTE_COLUMNS.values())
    assert np.array_equal(per_citizen, c["n_listings"] - c["listed"])
    rows = listings(grounds_run, as_arrays)
    logged = {route: sum(1 for r in rows if r[4] == route) for route in ROUTES}
    for route in ROUTES:
        assert logged[route] > 0, route  # every route fires in this scenario
        assert int(c[ROUTE_COLUMNS[route]].sum()) == logged[route], route
        assert series_total(grounds_run, ROUTE_METRICS[route]) == pytest.approx(
            logged[route] * weight
        ), route
    assert series_total(grounds_run, "exits_listed") == pytest.approx(sum(logged.values()) * weight)


def test_no_assets_removal_follows_two_searches_and_a_monthly_round(grounds_run, as_arrays):
    c = as_arrays(grounds_run.citizens(["last_exit", "asset_searches"]))
    removed = c["last_exit"] == "no_assets"
    assert removed.sum() > 10
    assert c["asset_searches"][removed].min() >= 2
    for _, _, _, ended, route in listings(grounds_run, as_arrays):
        if route in ("no_assets", "settlement", "creditor"):
            assert (START + dt.timedelta(days=ended)).day == 1, route  # monthly round


def test_routes_that_are_off_never_fire(session_scenario, runs_root, as_arrays):
    text = grounds_text().replace("settlement_probability: 0.02", "settlement_probability: 0")
    text = text.replace("creditor_request_probability: 0.01", "creditor_request_probability: 0")
    text = text.replace("min_searches: 2", "min_searches: 100")
    run = scsim.simulate(session_scenario(text), population=3_000, seed=4, out=runs_root / "off")
    c = as_arrays(run.citizens(["exits_settlement", "exits_creditor", "exits_no_assets"]))
    assert c["exits_settlement"].sum() == c["exits_creditor"].sum() == 0
    assert c["exits_no_assets"].sum() == 0


def test_explain_says_how_the_last_listing_ended(grounds_run, as_arrays):
    c = as_arrays(grounds_run.citizens(["last_exit", "listing_ground"]))
    who = int(np.flatnonzero(c["last_exit"] == "settlement")[0])
    result = CliRunner().invoke(main, ["explain", str(grounds_run.path), str(who)])
    assert result.exit_code == 0, result.output
    assert "last listing ended: settlement honoured" in " ".join(result.output.split())


# ---------------------------------------------------------------------------------------------
# the bundled rule


def test_the_bundled_court_list_dates_its_terms_by_ground():
    _, court = scsim.load("court-blacklist").spec.court_list()
    assert court.term_days.at(dt.date(2016, 12, 31)) is None  # 2013 provisions: no term
    assert court.term_days.at(REVISION) == 730
    assert court.grounds.refusing_term_days.at(dt.date(2020, 1, 1)) is None
    assert court.grounds.untermed_listings == "term_from_rule"
    assert 0 < court.grounds.refusing_share.at(REVISION) < 1
    assert court.no_assets.min_searches == 2


def test_the_audit_reports_how_listings_ended_by_group(grounds_run, as_arrays):
    table = scsim.audit(grounds_run, by="hukou").table.to_pylist()
    rows = [r for r in table if r["metric"] == "exit_route_share"]
    overall = {r["category"]: r["value"] for r in rows if r["group_by"] == "all"}
    assert set(overall) == {"still_listed", *ROUTES}
    assert sum(overall.values()) == pytest.approx(1.0)
    c = as_arrays(grounds_run.citizens(["last_exit", "n_listings", "listed"]))
    ever = c["n_listings"] > 0
    expired = (c["last_exit"] == "expiry") & ever
    assert overall["expiry"] == pytest.approx(expired.sum() / ever.sum())
    assert overall["still_listed"] == pytest.approx((c["listed"] & ever).sum() / ever.sum())
    assert {r["group"] for r in rows if r["group_by"] == "hukou"} == {"rural", "urban"}


# ---------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize(
    ("old", "new", "path", "fragment"),
    [
        # a term rule for a ground that does not exist
        ("      untermed_listings:", "      evasion_term_days: 730\n      untermed_listings:",
         "schemes.court.grounds.evasion_term_days", "unknown key"),
        ("      untermed_listings: term_from_rule", "      untermed_listings: forever",
         "schemes.court.grounds.untermed_listings", "term_from_rule"),
        ("values: {2016-01-01: 0.3,", "values: {2016-01-01: 1.3,",
         "schemes.court.grounds.refusing_share.values.2016-01-01", "1"),
        ("min_searches: 2", "min_searches: -1", "schemes.court.no_assets.min_searches", "0"),
    ],
)  # fmt: skip
def test_bad_grounds_and_routes_are_refused_with_their_position(tmp_path, old, new, path, fragment):
    text = grounds_text()
    assert text.count(old) == 1
    file = tmp_path / "bad.yaml"
    file.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        scsim.load(file)
    (issue,) = err.value.issues
    assert issue.path == path and fragment in issue.message, issue
    assert issue.file == str(file) and issue.line > 0 and issue.col > 0
    result = CliRunner().invoke(main, ["validate", str(file)])
    assert result.exit_code != 0 and f"{file.name}:{issue.line}:{issue.col}:" in result.output


def test_the_bundled_run_expires_no_listing_before_two_years_after_the_revision(tmp_path):
    run = scsim.simulate("court-blacklist", population=5_000, seed=1, out=tmp_path)
    (early,) = (
        run.query(
            "select sum(value) from timeseries where metric = 'exits_expiry' and \"group\" = 'all' "
            "and date < ?",
            [dt.date(2019, 5, 1)],
        )
        .column(0)
        .to_pylist()
    )
    assert early == 0
    assert series_total(run, "exits_expiry") > 0
    assert 0 < series_total(run, "new_listings_refusing") < series_total(run, "new_listings")
