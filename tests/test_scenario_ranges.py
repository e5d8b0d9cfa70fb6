"""Numbers the engine cannot hold, or that mean nothing, are refused at the value: the silent
accepts found by the broken-scenario corpus (benchmarks/broken_corpus.py) and the property test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from scsim.scenario.errors import Issue, ScenarioError
from scsim.scenario.model import bundled_path, load
from scsim.scenario.yamlpos import load_yaml


def refused(tmp_path: Path, name: str, change: Callable[[dict], None]) -> list[Issue]:
    """The issues of bundled scenario ``name`` (merged into one file) after ``change``."""
    data = load_yaml(bundled_path(name))[0]
    change(data)
    file = tmp_path / "scenario.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load(file)
    return caught.value.issues


def only(issues: list[Issue], path: str) -> Issue:
    assert [i.path for i in issues] == [path], "\n".join(map(str, issues))
    (issue,) = issues
    assert issue.line > 0 and issue.col > 0
    return issue


@pytest.mark.parametrize("bound", [-40_000, 40_000, 1e300])
def test_a_grade_bound_beyond_what_points_can_hold_is_refused(tmp_path, bound):
    def change(data):
        grades = data["schemes"]["traffic_points"]["grades"]
        grades[next(iter(grades)) if bound < 0 else list(grades)[-1]] = bound

    issues = refused(tmp_path, "mesa-reference", change)
    (issue,) = issues
    assert issue.path.startswith("schemes.traffic_points.grades.")
    assert "-30,000 and 30,000" in issue.message and issue.line > 0


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("court-blacklist", "behaviour.events.civil_judgment.amount.median"),
        ("court-blacklist", "schemes.court.min_listing_amount"),
        ("hukou-only", "hukou.rights.pension.monthly_cost"),
        ("court-blacklist", "economy.debt_interest"),
        ("court-blacklist", "economy.income_growth"),
    ],
)
def test_money_and_yearly_rates_of_1e300_are_refused(tmp_path, name, path):
    def change(data):
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[last] = 1e300

    issue = only(refused(tmp_path, name, change), path)
    assert "got 1e+300" in issue.message


@pytest.mark.parametrize(
    ("key", "value"), [("scale", 1e300), ("shape", 1e300), ("clip", [0, 1e300])]
)
def test_a_heterogeneity_beyond_float32_is_refused(tmp_path, key, value):
    def change(data):
        data["behaviour"]["events"]["traffic_violation"]["heterogeneity"][key] = value

    issues = refused(tmp_path, "court-blacklist", change)
    assert [
        i.path.startswith(f"behaviour.events.traffic_violation.heterogeneity.{key}") for i in issues
    ] == [True]


def test_a_real_population_larger_than_the_world_is_refused(tmp_path):
    def change(data):
        data["world"]["population"]["real_population"] = 1e300

    only(refused(tmp_path, "rongcheng", change), "world.population.real_population")


def test_a_cap_below_the_base_says_both_numbers(tmp_path):
    def change(data):
        data["schemes"]["traffic_points"]["cap"] = -1

    issue = only(refused(tmp_path, "mesa-reference", change), "schemes.traffic_points.cap")
    assert "(-1)" in issue.message and "base (" in issue.message
