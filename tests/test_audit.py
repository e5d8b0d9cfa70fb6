"""Audit metrics: values against hand-computed small cases, the grouped fast path against brute
force, one real run end to end (also through the command line), and bad input.

Every citizen here is synthetic: hand-made rows or a small simulated population.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil

import click
import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

import scsim
from scsim.audit import frame
from scsim.audit.frame import (
    GroupIndex,
    Grouping,
    encode,
    grouped_gini,
    grouped_quantiles,
    wilson,
)
from scsim.audit.metrics import (
    COLUMNS,
    AuditError,
    audit,
    income_quintiles,
    offence_kinds,
)
from scsim.cli.audit import audit as audit_command
from scsim.results import RunNotFound
from scsim.scenario.schema import ScenarioSpec

# --------------------------------------------------------------------------------------------
# A hand-made population of ten: two minors, four rural and four urban adults.
#
#   id  age  hukou  listed  n_list  wrongful  days  trapped  flight  wealth  grade   n_tr rec_tr
#    0   10  rural  no      0       0         0     no       no      0       unsc.   0    0
#    1   12  urban  no      0       0         0     no       no      0       unsc.   0    0
#    2   20  rural  yes     1       1         100   no       yes     0       C       2    0
#    3   35  rural  yes     1       0         400   yes      yes     0       C       1    1
#    4   50  rural  no      0       0         0     no       no      0       A       0    0
#    5   70  rural  no      0       0         0     no       no      8       A       1    0
#    6   25  urban  yes     1       0         30    no       yes     0       A       3    2
#    7   40  urban  no      0       0         0     no       no      0       A       0    0
#    8   55  urban  no      0       0         0     no       no      0       unsc.   0    0
#    9   65  urban  no      0       0         0     no       no      0       A       1    0
# --------------------------------------------------------------------------------------------

GRADES = ["C", "A", "unscored"]


def tiny() -> dict:
    unscored = 2
    return {
        "age": np.array([10, 12, 20, 35, 50, 70, 25, 40, 55, 65], dtype=np.int16),
        "hukou": (np.array([0, 1, 0, 0, 0, 0, 1, 1, 1, 1], dtype=np.int8), ["rural", "urban"]),
        "listed": np.array([0, 0, 1, 1, 0, 0, 1, 0, 0, 0], dtype=bool),
        "n_listings": np.array([0, 0, 1, 1, 0, 0, 1, 0, 0, 0], dtype=np.int16),
        "wrongful_listings": np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], dtype=np.int16),
        "days_listed": np.array([0, 0, 100, 400, 0, 0, 30, 0, 0, 0], dtype=np.int16),
        "ever_trapped": np.array([0, 0, 0, 1, 0, 0, 0, 0, 0, 0], dtype=bool),
        "sanction_flight_ban": np.array([0, 0, 1, 1, 0, 0, 1, 0, 0, 0], dtype=bool),
        "wealth": np.array([0, 0, 0, 0, 0, 8, 0, 0, 0, 0], dtype=np.float32),
        "scored": np.array([0, 0, 1, 1, 1, 1, 1, 1, 0, 1], dtype=bool),
        "grade": (
            np.array([unscored, unscored, 0, 0, 1, 1, 1, 1, unscored, 1], dtype=np.int8),
            GRADES,
        ),
        "n_traffic_violation": np.array([0, 0, 2, 1, 0, 1, 3, 0, 0, 1], dtype=np.uint16),
        "rec_traffic_violation": np.array([0, 0, 0, 1, 0, 0, 2, 0, 0, 0], dtype=np.uint16),
    }


def row(result, metric, group="all", category="", group_by=None):
    found = [
        r for r in result.rows(metric, category=category, group_by=group_by) if r["group"] == group
    ]
    assert len(found) == 1, f"{len(found)} rows {metric}/{category}/{group_by}/{group}"
    return found[0]


@pytest.fixture(scope="module")
def hand():
    return audit(tiny(), by=["hukou"], weight=1000.0)


def test_the_table_has_the_tidy_columns(hand):
    assert tuple(hand.table.column_names) == COLUMNS
    assert set(hand.table.column("group_by").to_pylist()) == {"all", "hukou"}


def test_listing_rate_counts_adults_only_with_wilson_intervals(hand):
    overall = row(hand, "listing_rate")
    assert overall["value"] == pytest.approx(3 / 8)
    assert (overall["n"], overall["weight"]) == (8, 8000.0)
    rural = row(hand, "listing_rate", "rural")
    assert (rural["value"], rural["n"]) == (0.5, 4)
    urban = row(hand, "listing_rate", "urban")
    assert urban["value"] == 0.25
    # Wilson 95% for 1 of 4 (textbook value).
    assert urban["ci_low"] == pytest.approx(0.0456, abs=1e-4)
    assert urban["ci_high"] == pytest.approx(0.6994, abs=1e-4)


def test_sanction_exposure_and_days_listed_per_adult(hand):
    assert row(hand, "sanction_share", "rural", "flight_ban")["value"] == 0.5
    days = row(hand, "days_listed_per_adult")
    assert days["value"] == pytest.approx(530 / 8)
    sample = np.array([100, 400, 0, 0, 30, 0, 0, 0], dtype=float)
    half = 1.959964 * sample.std(ddof=1) / math.sqrt(8)
    assert days["ci_low"] == pytest.approx(530 / 8 - half, rel=1e-5)
    assert days["ci_high"] == pytest.approx(530 / 8 + half, rel=1e-5)


def test_grade_distribution_is_a_share_of_the_scored(hand):
    # Adults scored: 2, 3, 4, 5, 6, 7, 9 → grades C C A A A A A; "unscored" is not a grade.
    assert row(hand, "scored_share")["value"] == pytest.approx(7 / 8)
    assert row(hand, "grade_share", category="C")["value"] == pytest.approx(2 / 7)
    assert row(hand, "grade_share", "urban", "A")["value"] == 1.0
    assert row(hand, "grade_share", "rural", "A")["n"] == 4
    assert not hand.rows("grade_share", category="unscored")


def test_disparate_impact_against_the_group_with_the_highest_favourable_rate(hand):
    # Not listed among adults: rural 2/4, urban 3/4 → urban is the reference.
    assert hand.info["reference"] == {"hukou": "urban"}
    assert row(hand, "favourable_rate", "rural", "not listed")["value"] == 0.5
    di = row(hand, "disparate_impact_ratio", "rural", "not listed")
    assert di["value"] == pytest.approx(0.5 / 0.75)
    # Katz: se(log RR) = sqrt((1-p1)/(n1 p1) + (1-p0)/(n0 p0))
    se = math.sqrt(0.5 / (4 * 0.5) + 0.25 / (4 * 0.75))
    assert di["ci_low"] == pytest.approx(di["value"] * math.exp(-1.959964 * se), rel=1e-5)
    assert di["ci_high"] == pytest.approx(di["value"] * math.exp(1.959964 * se), rel=1e-5)
    spd = row(hand, "statistical_parity_difference", "rural", "not listed")
    assert spd["value"] == pytest.approx(-0.25)
    assert spd["ci_low"] < -0.25 < spd["ci_high"]
    assert row(hand, "four_fifths", "rural", "not listed")["value"] == 1.0  # 0.667 < 0.8
    ref = row(hand, "disparate_impact_ratio", "urban", "not listed")
    assert ref["value"] == 1.0 and math.isnan(ref["ci_low"])
    assert row(hand, "four_fifths", "urban", "not listed")["value"] == 0.0
    assert not hand.rows("disparate_impact_ratio", group_by="all")


def test_a_given_reference_group_and_favourable_outcome():
    result = audit(tiny(), by="hukou", reference={"hukou": "rural"})
    assert row(result, "disparate_impact_ratio", "urban", "not listed")["value"] == 1.5
    graded = audit(tiny(), by="hukou", favourable="grade == 'A'", among="scored")
    # Scored: rural 2, 3, 4, 5 (A: 4, 5) and urban 6, 7, 9 (all A).
    assert row(graded, "favourable_rate", "rural", "grade == 'A'")["value"] == 0.5
    assert row(graded, "disparate_impact_ratio", "rural", "grade == 'A'")["value"] == 0.5


def test_wrongful_listings_rate_and_share(hand):
    assert row(hand, "wrongful_listing_rate")["value"] == pytest.approx(1 / 8)
    share = row(hand, "wrongful_listing_share")
    assert (share["value"], share["n"]) == (pytest.approx(1 / 3), 3)
    assert row(hand, "wrongful_listing_share", "urban")["value"] == 0.0


def test_offenders_never_recorded(hand):
    # Offenders: 2, 3, 5, 6, 9; recorded: 3, 6 → never recorded 3 of 5.
    never = row(hand, "offenders_never_recorded", category="traffic_violation")
    assert (never["value"], never["n"]) == (pytest.approx(3 / 5), 5)
    assert row(hand, "offenders_never_recorded", category="any")["value"] == pytest.approx(3 / 5)
    assert row(hand, "offenders_never_recorded", "urban", "any")["value"] == 0.5


def test_poverty_trap_and_days_listed_quantiles(hand):
    assert row(hand, "poverty_trap_share")["value"] == pytest.approx(1 / 3)
    assert row(hand, "listed_year_or_more_share")["value"] == pytest.approx(1 / 3)
    # Ever listed: 100, 400, 30 days; numpy's linear quantiles.
    assert row(hand, "days_listed_quantile", category="p50")["value"] == 100
    assert row(hand, "days_listed_quantile", category="p10")["value"] == pytest.approx(44)
    assert row(hand, "days_listed_quantile", "rural", "p50")["value"] == 250
    assert row(hand, "days_listed_quantile", "urban", "p90")["value"] == 30


def test_gini_of_wealth_among_adults(hand):
    # One adult of eight holds everything: (n-1)/n; rural one of four; urban nobody → undefined.
    assert row(hand, "gini", category="wealth")["value"] == pytest.approx(7 / 8)
    assert row(hand, "gini", "rural", "wealth")["value"] == pytest.approx(3 / 4)
    assert math.isnan(row(hand, "gini", "urban", "wealth")["value"])


def test_metrics_whose_columns_are_absent_are_skipped_with_a_note():
    columns = {k: v for k, v in tiny().items() if k not in ("grade", "listed", "wealth")}
    result = audit(columns, by="hukou")
    metrics = set(result.table.column("metric").to_pylist())
    assert "grade_share" not in metrics and "listing_rate" not in metrics
    assert "poverty_trap_share" in metrics
    notes = " ".join(result.notes)
    assert "grade_share skipped: needs column(s) grade" in notes
    assert "listing_rate skipped: needs column(s) listed" in notes
    assert "network skipped" in notes and "grade_transition skipped" in notes


def test_events_per_adult_counts_true_acts_of_adults(hand):
    # adults 2..9 committed 2, 1, 0, 1, 3, 0, 0, 1 traffic violations: 8 in 8 adults
    assert row(hand, "events_per_adult", category="traffic_violation")["value"] == 1.0
    rural = row(hand, "events_per_adult", "rural", "traffic_violation", "hukou")
    assert rural["value"] == pytest.approx(4 / 4) and rural["n"] == 4


def test_network_effects_from_friends_before_and_after():
    users = np.array([0, 0, 1, 1, 1, 1, 0, 0, 1, 1], dtype=bool)
    columns = tiny() | {
        "friends_initial": np.array([2, 3, 4, 5, 6, 1, 2, 3, 4, 5], dtype=np.int32),
        "friends": np.array([2, 3, 3, 5, 4, 1, 2, 3, 4, 5], dtype=np.int32),
        "ties_dropped": np.array([0, 0, 1, 0, 2, 0, 0, 0, 0, 0], dtype=np.int32),
        "composite_user": users,
    }
    result = audit(columns, by="hukou")
    assert row(result, "friends_mean")["value"] == pytest.approx(32 / 10)
    assert row(result, "friends_lost_mean")["value"] == pytest.approx(3 / 10)
    assert row(result, "ties_lost_share")["value"] == pytest.approx(2 / 10)
    assert row(result, "ties_dropped_per_user")["value"] == pytest.approx(3 / 6)


def test_grade_transitions_are_rows_of_the_matrix():
    columns = tiny() | {
        # at the last 1 January: 2 and 3 were A (now C), 4 and 5 were C (now A), the rest as now
        "grade_year_start": (
            np.array([2, 2, 1, 1, 0, 0, 1, 1, 2, 1], dtype=np.int8),
            GRADES,
        ),
    }
    result = audit(columns, by="hukou")
    assert row(result, "grade_transition", category="A→C")["value"] == pytest.approx(2 / 5)
    assert row(result, "grade_transition", category="A→A")["value"] == pytest.approx(3 / 5)
    assert row(result, "grade_transition", category="C→A")["value"] == 1.0
    assert row(result, "grade_transition", category="unscored→unscored")["value"] == 1.0


def test_lists_rights_and_a_composite_score_when_the_run_has_them():
    users = np.array([0, 0, 1, 1, 1, 1, 0, 0, 1, 1], dtype=bool)
    columns = tiny() | {
        "on_red": np.array([0, 0, 0, 0, 1, 1, 0, 0, 0, 1], dtype=bool),
        "lacks_schooling": np.array([0, 0, 1, 0, 0, 0, 1, 0, 0, 0], dtype=bool),
        "composite_user": users,
        "composite_score": np.where(users, [0, 0, 600, 600, 600, 600, 0, 0, 600, 1200], -1),
        "composite_band": (
            np.array([2, 2, 0, 0, 0, 0, 2, 2, 0, 1], dtype=np.int8),
            ["low", "high", "not a user"],
        ),
    }
    result = audit(columns, by="hukou")
    assert row(result, "list_share", category="red")["value"] == pytest.approx(3 / 8)
    assert row(result, "rights_lacking_share", "urban", "schooling")["value"] == 0.25
    assert row(result, "composite_user_share")["value"] == pytest.approx(6 / 8)
    assert row(result, "composite_band_share", category="high")["value"] == pytest.approx(1 / 6)
    assert not result.rows("composite_band_share", category="not a user")
    # The six users score 600 (five) and 1200 (one): the mean absolute difference formula.
    scores = np.array([600] * 5 + [1200], dtype=float)
    assert row(result, "gini", category="composite_score")["value"] == pytest.approx(
        brute_gini(scores)
    )


def test_groupings_by_age_band_and_income_quintile():
    result = audit(tiny(), by=["age_band"])
    groups = [r["group"] for r in result.rows("listing_rate", group_by="age_band")]
    assert groups == ["18-29", "30-44", "45-59", "60+"]  # minors are not adults
    assert row(result, "listing_rate", "18-29")["value"] == 1.0
    ages = np.array([0, 17, 18, 29, 30, 44, 45, 59, 60, 99], dtype=np.int16)
    bands = audit({"age": ages, "listed": np.zeros(10, bool)}, by="age_band")
    n = {r["group"]: r["n"] for r in bands.rows("listing_rate", group_by="age_band")}
    assert n == {"18-29": 2, "30-44": 2, "45-59": 2, "60+": 2}


def test_income_quintiles_are_computed_among_adults():
    income = np.arange(1, 11, dtype=np.float32)
    assert income_quintiles(income).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    adult = np.array([False] * 5 + [True] * 5)
    codes = income_quintiles(income, adult)
    assert codes[:5].tolist() == [-1] * 5 and codes[5:].tolist() == [0, 1, 2, 3, 4]
    ties = np.array([0, 0, 0, 0, 5, 6, 7, 8, 9, 10], dtype=np.float32)
    assert income_quintiles(ties).tolist()[:4] == [0, 0, 0, 0]  # ties share the lowest


def test_boolean_groupings_read_as_words():
    columns = tiny() | {"migrant": np.array([0, 1] * 5, dtype=bool)}
    result = audit(columns, by="migrant")
    groups = {r["group"] for r in result.rows("listing_rate", group_by="migrant")}
    assert groups == {"migrant", "non-migrant"}


def test_the_scenario_decides_offences_and_rewards():
    def event(consequence: str) -> dict:
        amount = {"amount": {"median": 500, "sigma": 0.5}} if consequence == "fine" else {}
        return {"daily_probability": 0.001, "consequence": consequence, **amount}

    scenario = ScenarioSpec.model_validate(
        {
            "name": "offences",
            "world": {"start": "2014-01-01", "end": "2014-12-31"},
            "behaviour": {
                "events": {
                    "fine_me": event("fine"),
                    "jaywalking": event("none"),
                    "charity": event("none"),
                }
            },
            "schemes": {
                "p": {
                    "kind": "points",
                    "base": 1000,
                    "deltas": {"jaywalking": {"values": {"2014-01-01": -5}}},
                    "grades": {"B": 0, "A": 1000},
                }
            },
            "measures": {
                "discount": {"when": "true", "effects": {"monthly_cost": -25}},
                "ban": {"when": "true", "effects": {"monthly_cost": 60, "pay_pressure": 0.02}},
            },
        },
        strict=False,
    )
    kinds = ["fine_me", "jaywalking", "charity"]
    assert offence_kinds(scenario, kinds) == ["fine_me", "jaywalking"]
    assert offence_kinds(None, kinds) == kinds
    assert {name for name, m in scenario.measures.items() if m.is_reward} == {"discount"}


def test_json_and_csv_round_trip(hand, tmp_path):
    data = json.loads(hand.to_json())
    assert data["columns"] == list(COLUMNS)
    assert len(data["metrics"]) == len(hand)
    ref = next(m for m in data["metrics"] if m["metric"] == "disparate_impact_ratio"
               and m["group"] == "urban")  # fmt: skip
    assert ref["ci_low"] is None  # NaN becomes null
    rows = list(csv.DictReader(io.StringIO(hand.to_csv())))
    assert tuple(rows[0]) == COLUMNS and len(rows) == len(hand)


# --------------------------------------------------------------------------------------------
# The grouped fast path against brute force


def brute_gini(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    if x.size == 0 or x.sum() <= 0:
        return math.nan
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean())


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
def test_grouped_gini_equals_the_mean_absolute_difference(dtype):
    rng = np.random.default_rng(3)
    x = (rng.lognormal(3, 1, 600)).astype(dtype)
    codes = rng.integers(-1, 4, 600)
    got = grouped_gini(x, codes, 5)
    for g in range(5):
        expected = brute_gini(x[codes == g])
        if math.isnan(expected):
            assert math.isnan(got[g])
        else:
            assert got[g] == pytest.approx(expected, rel=1e-9)
    assert grouped_gini(x, None, 1)[0] == pytest.approx(brute_gini(x), rel=1e-9)
    assert math.isnan(grouped_gini(np.array([-1.0, 2.0, 3.0]), None, 1)[0])


def test_grouped_quantiles_equal_numpy():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 1000, 300).astype(np.int16)
    codes = rng.integers(-1, 3, 300)
    qs = [0.1, 0.5, 0.9]
    got = grouped_quantiles(x, codes, 4, qs)
    for g in range(3):
        assert got[g] == pytest.approx(np.quantile(x[codes == g], qs))
    assert np.isnan(got[3]).all()  # an empty group


def test_joint_cells_split_into_blocks_give_the_same_totals(monkeypatch):
    rng = np.random.default_rng(5)
    groupings = [Grouping(f"g{i}", rng.integers(-1, 7, 1000), tuple("abcdefg")) for i in range(4)]
    where = rng.random(1000) < 0.6
    one = GroupIndex(groupings).totals(where=where)
    monkeypatch.setattr(frame, "MAX_CELLS", 70)
    split = GroupIndex(groupings)
    assert len(split._blocks) > 1
    many = split.totals(where=where)
    for g in groupings:
        expected = np.bincount(g.codes[where & (g.codes >= 0)], minlength=7)
        assert one.by(g.name).tolist() == expected.tolist()
        assert many.by(g.name).tolist() == expected.tolist()
    assert one.overall() == many.overall() == where.sum()
    wealth = rng.lognormal(3, 1, 1000).astype(np.float32)
    rows = np.flatnonzero(where)
    (overall, n), per_grouping = frame.gini_by(wealth, split, rows)
    assert (overall, n) == (pytest.approx(brute_gini(wealth[where])), where.sum())
    for g, (gini, counts) in zip(groupings, per_grouping, strict=True):
        for code in range(7):
            chosen = where & (g.codes == code)
            assert counts[code] == chosen.sum()
            assert gini[code] == pytest.approx(brute_gini(wealth[chosen]), rel=1e-6)


def test_wilson_interval_handles_the_edges():
    low, high = wilson(np.array([0, 5, 0]), np.array([5, 5, 0]))
    assert low[0] == 0 and 0 < high[0] < 1
    assert 0 < low[1] < 1 and high[1] == 1
    assert np.isnan(low[2]) and np.isnan(high[2])


def test_encode_accepts_labels_booleans_integers_and_arrow():
    labels = encode(np.array(["b", "a", "b", None], dtype=object))
    assert labels.labels == ("b", "a") and labels.codes.tolist() == [0, 1, 0, -1]
    flags = encode(np.array([True, False]), labels=("no", "yes"))
    assert flags.codes.tolist() == [1, 0] and flags.labels == ("no", "yes")
    ints = encode(np.array([30, 10, 30], dtype=np.int64))
    assert ints.labels == ("10", "30") and ints.codes.tolist() == [1, 0, 1]
    arrow = encode(pa.array(["x", "y", "x"]).dictionary_encode())
    assert arrow.labels == ("x", "y") and arrow.codes.tolist() == [0, 1, 0]


# --------------------------------------------------------------------------------------------
# A real run, end to end


@pytest.fixture(scope="session")
def small_run(runs_root):
    return scsim.simulate("court-blacklist", population=20_000, days=240, out=runs_root)


ALL_GROUPINGS = ["hukou", "migrant", "province", "urban", "income_quintile", "age_band", "sex",
                 "minority"]  # fmt: skip


def test_a_real_run_audits_by_every_grouping(small_run):
    result = audit(small_run, by=ALL_GROUPINGS)
    assert set(result.table.column("group_by").to_pylist()) == {"all", *ALL_GROUPINGS}
    assert result.info["scenario"] == "court-blacklist"
    # Independent check through DuckDB: the listing rate of adults, overall and by hukou.
    table = small_run.query(
        "SELECT hukou::VARCHAR AS hukou, avg(listed::INT) AS rate FROM citizens "
        "WHERE age >= 18 GROUP BY 1"
    )
    expected = dict(zip(table["hukou"].to_pylist(), table["rate"].to_pylist(), strict=True))
    assert sorted(expected) == ["rural", "urban"]
    for group, value in expected.items():
        assert row(result, "listing_rate", group, group_by="hukou")["value"] == pytest.approx(value)
    listing = row(result, "listing_rate")
    favourable = row(result, "favourable_rate", category="not listed")
    assert listing["value"] + favourable["value"] == pytest.approx(1.0)
    assert listing["weight"] == pytest.approx(listing["n"] * small_run.weight)
    # Every grouping splits the same adults.
    for grouping in ALL_GROUPINGS:
        parts = result.rows("listing_rate", group_by=grouping)
        assert sum(r["n"] for r in parts) == listing["n"], grouping
    quintiles = [r["n"] for r in result.rows("listing_rate", group_by="income_quintile")]
    assert max(quintiles) - min(quintiles) <= 0.02 * listing["n"]
    assert {r["metric"] for r in result.rows()} >= {
        "sanction_share",
        "disparate_impact_ratio",
        "statistical_parity_difference",
        "four_fifths",
        "wrongful_listing_share",
        "offenders_never_recorded",
        "poverty_trap_share",
        "days_listed_quantile",
        "gini",
        "calibration",
    }


def cli() -> click.Group:
    @click.group()
    def main() -> None:
        pass

    main.add_command(audit_command)
    return main


def test_the_audit_command_prints_tables_csv_and_json(small_run, tmp_path):
    runner = CliRunner()
    shown = runner.invoke(cli(), ["audit", str(small_run.path), "--by", "hukou,province"])
    assert shown.exit_code == 0, shown.output
    assert "By hukou" in shown.output and "disparate impact ratio" in shown.output
    # rows are named as a reader calls them; the identifiers stay in --csv and --json
    assert "disparate_impact_ratio" not in shown.output and "No air tickets" in shown.output
    assert "By province (headline metrics" in shown.output  # many groups: one row each
    as_csv = runner.invoke(cli(), ["audit", str(small_run.path), "--csv"])
    assert as_csv.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert tuple(rows[0]) == COLUMNS
    assert {r["group_by"] for r in rows} == {"all", "hukou", "migrant"}  # the default groupings
    as_json = runner.invoke(cli(), ["audit", str(small_run.path), "--json", "--by", "sex"])
    assert json.loads(as_json.stdout)["by"] == ["sex"]
    out = tmp_path / "audit.json"
    written = runner.invoke(cli(), ["audit", str(small_run.path), "--out", str(out)])
    assert written.exit_code == 0
    assert json.loads(out.read_text())["metrics"]


# --------------------------------------------------------------------------------------------
# Bad input: a clear message, never a traceback


def test_an_unknown_grouping_names_the_valid_ones():
    with pytest.raises(AuditError, match=r"unknown grouping 'hukuo' — did you mean 'hukou'\?"):
        audit(tiny(), by="hukuo")
    with pytest.raises(AuditError, match="valid groupings: all, hukou, age_band"):
        audit(tiny(), by="provnce")
    with pytest.raises(
        AuditError, match="cannot group by 'income_quintile': .* no column 'income'"
    ):
        audit(tiny(), by="income_quintile")
    with pytest.raises(AuditError, match="did you mean 'age_band'"):
        audit(tiny(), by="age")


def test_a_bad_favourable_outcome_or_reference_is_reported():
    with pytest.raises(AuditError, match="favourable outcome 'lsted'.*did you mean 'listed'"):
        audit(tiny(), favourable="lsted")
    with pytest.raises(AuditError, match="reference group 'urbn'.*did you mean 'urban'"):
        audit(tiny(), by="hukou", reference={"hukou": "urbn"})


def test_a_missing_run_directory_is_an_error(tmp_path):
    with pytest.raises(RunNotFound, match="does not exist"):
        audit(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "no run at"),
        (["{incomplete}"], "status is 'incomplete'"),
        (["{run}", "--by", "hukou,provnce"], "did you mean 'province'"),
        (["{run}", "--favourable", "listed +"], "favourable outcome"),
        (["{run}", "--reference", "hukou"], "GROUPING=GROUP"),
    ],
)
def test_the_command_fails_with_a_message_and_no_traceback(small_run, tmp_path, args, message):
    incomplete = tmp_path / "incomplete"
    shutil.copytree(small_run.path, incomplete)
    manifest = json.loads((incomplete / "manifest.json").read_text())
    manifest["status"] = "incomplete"
    (incomplete / "manifest.json").write_text(json.dumps(manifest))
    paths = {"missing": tmp_path / "nowhere", "incomplete": incomplete, "run": small_run.path}
    result = CliRunner().invoke(cli(), ["audit", *(a.format(**paths) for a in args)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, AuditError)
