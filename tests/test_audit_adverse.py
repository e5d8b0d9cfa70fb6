"""The audit leads with the outcomes that hurt: their rate per group and how many times as often
as the least affected group, with the four-fifths rule read the right way round (issue 13)."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

import scsim
from scsim.audit.metrics import audit, check
from scsim.engine.simulate import simulate_arrays
from scsim.results.outcome import citizen_column_types, citizen_columns


def planted(rural_listed: int, urban_listed: int, n: int = 10_000) -> dict:
    """n rural and n urban adults, of whom the given numbers are on the court list."""
    hukou = np.repeat(np.array([0, 1], np.int8), n)
    listed = np.zeros(2 * n, bool)
    listed[:rural_listed] = True
    listed[n : n + urban_listed] = True
    return {"hukou": (hukou, ["rural", "urban"]), "listed": listed,
            "age": np.full(2 * n, 40, np.int16)}  # fmt: skip


def rows(result, metric: str, category: str = "listed") -> dict[str, dict]:
    table = result.table.filter(
        pc.and_(pc.equal(result.table["metric"], metric),
                pc.equal(result.table["category"], category))
    )  # fmt: skip
    return {r["group"]: r for r in table.to_pylist()}


def test_a_group_listed_twice_as_often_is_reported_as_twice_and_flagged() -> None:
    result = audit(planted(2_000, 1_000), "hukou")
    rate = rows(result, "adverse_rate")
    assert rate["rural"]["value"] == pytest.approx(0.2)
    assert rate["urban"]["value"] == pytest.approx(0.1)
    ratio = rows(result, "adverse_ratio")
    assert ratio["rural"]["value"] == pytest.approx(2.0)
    assert ratio["rural"]["ci_low"] < 2.0 < ratio["rural"]["ci_high"]
    assert ratio["urban"]["value"] == 1.0  # the reference: the least affected group
    assert rows(result, "adverse_difference")["rural"]["value"] == pytest.approx(0.1)
    flags = rows(result, "adverse_four_fifths")
    assert (flags["rural"]["value"], flags["urban"]["value"]) == (1.0, 0.0)
    assert result.info["adverse_reference"] == {"hukou": {"listed": "urban"}}
    # The favourable-outcome view of the same data passes the four-fifths rule (0.8 / 0.9):
    # why the audit leads with the outcome that hurts.
    favourable = rows(result, "four_fifths", "not listed")
    assert favourable["rural"]["value"] == 0.0
    first = result.table["metric"][0].as_py()
    assert first == "adverse_rate"


def test_a_small_gap_is_not_flagged_and_a_given_reference_is_used() -> None:
    result = audit(planted(1_100, 1_000), "hukou")
    assert rows(result, "adverse_four_fifths")["rural"]["value"] == 0.0  # 1.1x < 1.25x
    given = audit(planted(2_000, 1_000), "hukou", reference={"hukou": "rural"})
    assert rows(given, "adverse_ratio")["urban"]["value"] == pytest.approx(0.5)


def test_a_group_never_listed_is_not_the_reference() -> None:
    """A zero rate cannot be divided by: the reference is the lowest rate above zero."""
    result = audit(planted(2_000, 0), "hukou")
    ratio = rows(result, "adverse_ratio")
    assert ratio["rural"]["value"] == 1.0
    assert ratio["urban"]["value"] == 0.0


def test_the_outcomes_follow_the_mechanisms_of_each_scenario() -> None:
    def outcomes(name: str) -> dict[str, str]:
        scenario = scsim.load(name)
        outcome = simulate_arrays(scenario, population=1500, days=300)
        manifest = {"name": name, "scenario": scenario.resolved()}
        return audit(citizen_columns(outcome), "hukou", manifest=manifest).info["outcomes"]

    court = outcomes("court-blacklist")
    assert court["listed"] == "on the court list"
    assert "sanction_flight_ban" in court
    rongcheng = outcomes("rongcheng")
    assert rongcheng["grade"] == "scored below the starting grade (B, C, D)"
    assert "sanction_heating_discount" not in rongcheng  # a perk, not an outcome that hurts
    reported = outcomes("national-as-reported")
    assert "listed" not in reported  # no court list in the scenario: no such outcome
    hukou = outcomes("hukou-only")
    assert "listed" not in hukou and any(name.startswith("lacks_") for name in hukou)
    sesame = outcomes("sesame")
    assert sesame["composite_band"].startswith("in the lowest band of")


@pytest.mark.parametrize(
    ("name", "favourable"),
    [
        ("court-blacklist", "not listed"),
        ("national-as-reported", "not scored below the starting grade (B, C, D)"),
        ("sesame", "not in the lowest band of Sesame Credit (芝麻信用) (poor)"),
        ("hukou-only", "not lacking Public schooling"),
    ],
)
def test_without_a_court_list_nothing_is_said_of_one_and_the_favourable_view_follows(
    name: str, favourable: str
) -> None:
    scenario = scsim.load(name)
    outcome = simulate_arrays(scenario, population=1500, days=300)
    manifest = {"name": name, "scenario": scenario.resolved()}
    result = audit(citizen_columns(outcome), "hukou", manifest=manifest)
    metrics = set(result.table.column("metric").to_pylist())
    court = {"listing_rate", "ever_listed_rate", "days_listed_per_adult", "poverty_trap_share",
             "exit_route_share", "wrongful_listing_share", "days_listed_quantile"}  # fmt: skip
    has_court = scenario.spec.court_list() is not None
    assert bool(court & metrics) == has_court
    if not has_court:  # and no note about the list's columns either
        assert not any("listed" in note or "n_listings" in note for note in result.notes)
    assert result.info["favourable"].startswith(favourable)
    categories = set(rows(result, "favourable_rate", result.info["favourable"]))
    assert categories, "the favourable view was not computed"
    # declared before any run the same way
    plan = check(citizen_column_types(scenario.spec), "hukou", scenario=scenario.spec)
    assert ("listing_rate" in plan.metrics) == has_court
    assert "disparate_impact_ratio" in plan.metrics


def test_the_adverse_metrics_are_declared_before_any_run() -> None:
    spec = scsim.load("court-blacklist").spec
    plan = check(citizen_column_types(spec), "hukou", scenario=spec)
    assert plan.metrics[:4] == ["adverse_rate", "adverse_ratio", "adverse_difference",
                                "adverse_four_fifths"]  # fmt: skip
    assert check(citizen_column_types(spec), "", scenario=spec).metrics[0] == "adverse_rate"


def test_every_audit_metric_is_in_the_glossary() -> None:
    from pathlib import Path

    from scsim.engine.metrics import written_metrics
    from scsim.scenario.model import bundled_names

    glossary = (Path(__file__).parent.parent / "docs" / "audit.md").read_text(encoding="utf-8")
    missing = set()
    for name in bundled_names():
        spec = scsim.load(name).spec
        plan = check(citizen_column_types(spec), "hukou", scenario=spec,
                     series=written_metrics(spec))  # fmt: skip
        missing |= {m for m in plan.metrics if f"`{m}`" not in glossary}
    assert not missing, f"docs/audit.md lacks {sorted(missing)}"


def test_the_terminal_marks_each_rows_own_reference_group() -> None:
    """The adverse rows are against the least affected group, disparate impact against the
    favourable view's reference: each row marks its own, never a column for all."""
    from rich.console import Console

    from scsim.cli.audit import _References, _wide

    def row(metric, category, group, value):
        return {"metric": metric, "category": category, "group_by": "income", "group": group,
                "value": value, "ci_low": None, "ci_high": None}  # fmt: skip

    rows = [
        row("adverse_ratio", "listed", "Q1", 20.0),
        row("adverse_ratio", "listed", "Q5", 1.0),
        row("disparate_impact_ratio", "not listed", "Q1", 1.0),
        row("disparate_impact_ratio", "not listed", "Q5", 1.01),
    ]
    references = _References(favourable="Q1", adverse={"listed": "Q5"})
    console = Console(width=200, record=True, color_system=None)
    labels = {"adverse_ratio": {"listed": "on the list"}}
    console.print(_wide("income", rows, ["Q1", "Q5"], references, labels))
    lines = console.export_text().splitlines()
    ratio = next(line for line in lines if line.lstrip().startswith("times as often"))
    assert "on the list" in ratio
    impact = next(line for line in lines if line.lstrip().startswith("disparate impact"))
    assert ratio.split()[-1] == "(ref)" and "20.0× " in ratio  # as the report prints it
    assert "(ref)" not in ratio.split("20.0×")[0]
    assert impact.count("(ref)") == 1 and impact.index("(ref)") < impact.index("1.01")
    assert not any("(ref)" in line for line in lines if "Q1" in line and "Q5" in line)  # header
