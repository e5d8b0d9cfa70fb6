"""Numbers fixed for the whole run (a heterogeneity draw, the friendship graph, grade bands):
settable by reforms, ``--set`` and sweeps for the whole run, refused with a date, checked as a
whole by the scenario's own validation."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

import scsim
from scsim.cli.main import main
from scsim.scenario.errors import ScenarioError
from scsim.scenario.schema import Bounds, Param, parameter_at

FIXED = """
name: fixed
world:
  start: 2021-01-01
  end: 2021-06-30
  population:
    graph: {mean_degree: 6}
behaviour:
  events:
    judgment:
      daily_probability: 0.002
      consequence: judgment
      amount: {median: 20000, sigma: 1.0}
      heterogeneity: {shape: 2.0, scale: 0.5}
schemes:
  court:
    kind: court_list
    list_from: 2021-01-01
    national_from: 2021-01-01
    grace_days: 10
    term_days: 730
  city:
    kind: points
    base: 1000
    grades: {D: 0, C: 600, B: 850, A: 960}
    deltas: {judgment: -30}
"""
SHAPE = "behaviour.events.judgment.heterogeneity.shape"


def _cases_opened(scenario) -> int:
    table = scsim.simulate(scenario, population=3000, seed=5).timeseries()
    opened = table.filter(pc.equal(table["metric"], "cases_opened"))["value"]
    return int(pc.sum(opened).as_py() or 0)


def test_a_fixed_number_is_found_with_its_fields_range(scenario_from):
    sc = scenario_from(FIXED)
    number, bounds = parameter_at(sc.spec, SHAPE)
    assert number == 2.0 and not isinstance(number, Param)
    assert bounds == Bounds(0.0, 1e9, above_low=True)
    number, bounds = parameter_at(sc.spec, "world.population.graph.max_degree")
    assert bounds == Bounds(1.0, 100_000.0, whole=True)
    dated, _ = parameter_at(sc.spec, "schemes.court.grace_days")
    assert isinstance(dated, Param)


def test_a_reform_replaces_a_fixed_number_for_the_whole_run(scenario_from):
    sc = scenario_from(FIXED)
    reformed = sc.reform({SHAPE: 8.0, "world.population.graph.max_degree": 50})
    assert reformed.spec.behaviour.events["judgment"].heterogeneity.shape == 8.0
    assert reformed.spec.world.population.graph.max_degree == 50
    assert isinstance(reformed.spec.world.population.graph.max_degree, int)
    assert reformed.run_name.startswith("fixed-shape=8,max_degree=50")
    assert sc.spec.behaviour.events["judgment"].heterogeneity.shape == 2.0  # baseline untouched
    assert reformed.hash != sc.hash


def test_a_fixed_number_changes_the_run(scenario_from):
    sc = scenario_from(FIXED)
    # the mean multiplier is shape × scale: 1 in the baseline, 0.1 in the reform (fewer than
    # a tenth of the cases are not to be had: one open case at a time caps the heavy tail)
    assert _cases_opened(sc.reform({SHAPE: 0.2})) < _cases_opened(sc) / 2


@pytest.mark.parametrize(
    ("change", "start", "message"),
    [
        ({SHAPE: 3.0}, "2021-03-01", "fixed for the whole run .* takes no 'from' or 'until'"),
        ({SHAPE: None}, None, "fixed for the whole run and cannot be repealed"),
        ({SHAPE: -1.0}, None, "must be more than 0 and at most 1,000,000,000, got -1"),
        ({"world.population.graph.max_degree": 2.5}, None, "whole number from 1 to 100,000"),
        ({"world.seed": 3}, None, "use --seed"),
        ({"world.population.agents": 3}, None, "use --population"),
        ({"schemes.city.kind": 3}, None, "is not a number"),
    ],
)
def test_what_cannot_be_set_is_refused_with_the_reason(scenario_from, change, start, message):
    with pytest.raises(ValueError, match=message):
        scenario_from(FIXED).reform(change, start=start)


def test_a_joint_check_reports_the_band_not_the_whole_scenario(scenario_from):
    with pytest.raises(ValueError, match="grade bands overlap") as err:
        scenario_from(FIXED).reform({"schemes.city.grades.C": 900})
    assert len(str(err.value)) < 300  # the message names the problem, not the scenario's dump


def test_a_named_reform_dating_a_fixed_number_is_refused_at_its_from(scenario_from):
    text = FIXED + (
        "reforms:\n  flat:\n    description: less spread\n    set:\n"
        f"      - {{path: {SHAPE}, value: 4, from: 2021-03-01}}\n"
    )
    with pytest.raises(ScenarioError) as err:
        scenario_from(text)
    (issue,) = err.value.issues
    assert issue.path.endswith("set[0].from") or "from" in issue.path
    assert "fixed for the whole run" in issue.message and issue.line > 0


def test_set_and_sweep_take_a_fixed_number(tmp_path):
    path = tmp_path / "fixed.yaml"
    path.write_text(FIXED)
    runner = CliRunner()
    out = tmp_path / "runs"
    result = runner.invoke(
        main, ["run", str(path), "-n", "2000", "-q", "--out", str(out), "--set", f"{SHAPE}=0.5"]
    )
    assert result.exit_code == 0, result.output
    assert "shape=0.5" in result.output
    result = runner.invoke(
        main, ["run", str(path), "-n", "2000", "--out", str(out), "--set", f"{SHAPE}=null"]
    )
    assert result.exit_code == 2 and "cannot be repealed" in result.output

    experiment = scsim.sweep(
        path, {"world.population.graph.mean_degree": [2, 12]}, population=2000,
        metrics="listed_share_adults", out=tmp_path / "experiments",
    )  # fmt: skip
    table = experiment.results
    assert set(pc.unique(table["world.population.graph.mean_degree"]).to_pylist()) == {2, 12}
