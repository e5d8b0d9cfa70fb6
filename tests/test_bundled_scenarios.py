"""Each bundled scenario, end to end at small scale: it runs, its run is complete and consistent,
and the calibration target it declares is met (synthetic citizens only)."""

from __future__ import annotations

import numpy as np
import pytest

import scsim
from scsim.scenario.model import bundled_names

SMALL = {
    "court-blacklist": 100_000,
    "rongcheng": 30_000,
    "mesa-reference": 20_000,
    "sesame": 30_000,
    "national-as-reported": 30_000,
    "national-documented": 50_000,
    "hukou-only": 20_000,
}


def test_every_bundled_scenario_is_covered_here():
    assert sorted(SMALL) == sorted(bundled_names())


@pytest.fixture(scope="module", params=sorted(SMALL))
def bundled_run(request, tmp_path_factory):
    name = request.param
    out = tmp_path_factory.mktemp(name)
    return name, scsim.simulate(name, population=SMALL[name], out=out)


def test_a_bundled_run_is_complete_and_weighted(bundled_run, as_arrays):
    name, run = bundled_run
    m = run.manifest
    assert m["status"] == "complete"
    assert m["population"]["n_agents"] == SMALL[name]
    weight = m["population"]["weight"]
    c = as_arrays(run.citizens())
    assert c["age"].size == SMALL[name]
    (population,) = (
        run.query(
            "select value from timeseries where metric = 'population' and \"group\" = 'all' "
            "order by date desc limit 1"
        )
        .column("value")
        .to_pylist()
    )
    assert population == pytest.approx(SMALL[name] * weight)
    kinds = [k for k in m["scenario"]["behaviour"]["events"]]
    assert sum(int(c[f"n_{k}"].sum()) for k in kinds) > 0


#: A point is judged when the run can resolve it: at least this many agents expected at the low
#: end of its range, so that the Poisson noise of a count (1/sqrt(k), 12.5% here) stays below
#: half the ±25% tolerance. At 10^5 agents (one agent ≈ 14,000 persons) the listing points of
#: 2013-2014 are 2 to 11 agents and are not judged; at 10^6 the 2014-07 point is.
RESOLVED_AGENTS = 64

#: Points the calibrated list misses, with the share of the range's low end they must still
#: reach and why (docs/modelling.md#calibrating-the-court-list).
KNOWN_MISSES = {
    ("listings_cumulative", "2014-07-23"): (
        0.9,
        "the published series accelerates in 2014, a constant listing probability is flat",
    ),
}


def judged_targets(run) -> tuple[list[dict], list[str]]:
    """The run's calibration entries it can resolve, and the ratios of the blocked-ticket ones
    (reported, not judged: the trip rates are national averages, not tuned to them)."""
    weight = run.manifest["population"]["weight"]
    judged, blocked = [], []
    for target in run.manifest["calibration"]:
        assert target["covered"], target
        assert target["simulated"] is not None, target
        if target.get("target", "").startswith("blocked_"):
            published = (target["low"] + target["high"]) / 2  # (each range is ±25% around it)
            mode = target["target"].split("_")[1]
            blocked.append(f"{mode} {target['period'][1]}: "
                           f"{target['simulated'] / published:.2f}×")  # fmt: skip
        elif target.get("target") != "listings_cumulative" or (
            target["low"] >= RESOLVED_AGENTS * weight
        ):
            judged.append(target)
    return judged, blocked


def assert_met(judged: list[dict]) -> None:
    for target in judged:
        key = (target.get("target"), str(target["period"][1]))
        if key in KNOWN_MISSES and not target["within"]:
            share, why = KNOWN_MISSES[key]
            assert target["simulated"] >= share * target["low"], (why, target)
            continue
        assert target["within"], target  # e.g. hukou conversions 2016-2018


def test_each_declared_calibration_target_is_met(bundled_run):
    name, run = bundled_run
    targets = run.manifest["calibration"]
    if name == "court-blacklist":  # the published cumulative series, not a stock (issue 12)
        assert {t["target"] for t in targets} == {
            "listings_cumulative", "blocked_air_cumulative", "blocked_rail_cumulative"
        }  # fmt: skip
        assert {t["kind"] for t in targets} == {"cumulative"} and len(targets) == 8 + 5 + 4
    judged, blocked = judged_targets(run)
    if name in ("court-blacklist", "national-documented"):
        assert [t["period"][1] for t in judged if t["target"] == "listings_cumulative"] == [
            "2017-02-14", "2017-12-31", "2018-09-30", "2018-12-31", "2019-07-09"
        ]  # fmt: skip
    assert_met(judged)
    if blocked:
        # Issue 12 item 4: the listings are calibrated (docs/modelling.md#calibrating-the-court-
        # list); the blocked-ticket series follow them and the national trip rates, and the
        # model's listed fly less and ride more than the real list's (firms' representatives,
        # repeated attempts). Reported here until a grounded mechanism closes the gap.
        pytest.xfail("blocked ticket purchases (× the published figure): " + ", ".join(blocked))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["court-blacklist", "national-documented"])
def test_the_listing_series_is_met_at_a_million_agents(name, tmp_path):
    """Issue 12 item 4 at the size it names: every listing point the run resolves (at 10^6 all
    but court-blacklist's 2013-11 and 2014-03 points, which were met in the calibration's runs
    but are below RESOLVED_AGENTS) within its tolerance, the known miss within its share."""
    run = scsim.simulate(name, population=1_000_000, out=tmp_path)
    judged, _ = judged_targets(run)
    listings = [t for t in judged if t["target"] == "listings_cumulative"]
    assert len(listings) == {"court-blacklist": 6, "national-documented": 5}[name]
    assert_met(judged)


def test_points_schemes_stay_within_their_bounds(bundled_run, as_arrays):
    name, run = bundled_run
    spec = run.manifest["scenario"]
    schemes = [s for s in spec.get("schemes", {}).values() if s["kind"] == "points"]
    if not schemes:
        pytest.skip(f"{name} has no points scheme")
    (scheme,) = schemes
    c = as_arrays(run.citizens(["points", "scored", "grade"]))
    scored = c["scored"]
    assert scored.sum() > 0
    cap = max(scheme["cap"]["values"].values())
    assert c["points"][scored].max() <= cap
    assert c["points"][scored].min() >= min(scheme["floor"]["values"].values())
    assert set(np.unique(c["grade"][scored])) <= set(scheme["grades"])


def test_a_run_that_ends_inside_a_target_period_is_not_judged(tmp_path):
    run = scsim.simulate("court-blacklist", population=5_000, until="2018-02-28", out=tmp_path)
    entries = {t["period"][1]: t for t in run.manifest["calibration"]}
    judged, after = entries["2017-12-31"], entries["2018-09-30"]
    assert judged["covered"] is True and judged["within"] is not None
    # the points after the run's end are counted only in part: shown, not judged
    assert after["simulated"] is not None
    assert after["covered"] is False and after["within"] is None


def test_composite_scores_stay_within_their_range(bundled_run, as_arrays):
    name, run = bundled_run
    spec = run.manifest["scenario"]
    schemes = [s for s in spec.get("schemes", {}).values() if s["kind"] == "composite"]
    if not schemes:
        pytest.skip(f"{name} has no composite score")
    (scheme,) = schemes
    c = as_arrays(run.citizens(["composite_user", "composite_score"]))
    users = c["composite_user"]
    assert users.sum() > 0
    low, high = scheme["range"]
    assert low <= c["composite_score"][users].min()
    assert c["composite_score"][users].max() <= high


def test_the_metrics_written_are_the_metrics_declared(bundled_run):
    """core/metrics.py declares every time-series metric: each (metric, group) a run writes is
    declared, and every declared metric of the mechanisms in the scenario is written, for each of
    its groups (so that calibration checks and the scenario reference cannot drift)."""
    from scsim.core.metrics import metric_vocabulary
    from scsim.engine.metrics import written_metrics

    name, run = bundled_run
    declared = metric_vocabulary()
    table = run.query('select distinct metric, "group", category from timeseries').to_pylist()
    written: dict[str, set[str]] = {}
    for row in table:
        metric, group, category = row["metric"], row["group"], row["category"]
        assert metric in declared, f"{name}: '{metric}' is written but not declared"
        groups, holds = declared[metric]
        assert group in groups, f"{name}: '{metric}' is written for undeclared group '{group}'"
        assert bool(category) == bool(holds), f"{name}: '{metric}' category {category!r}"
        written.setdefault(metric, set()).add(group)
    expected = written_metrics(scsim.load(name).spec)
    assert {m: set(g) for m, g in expected.items()} == written
