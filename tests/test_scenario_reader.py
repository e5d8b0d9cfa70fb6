"""The typed reader of a run's scenario (Run.scenario), and the rules read from it."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

import scsim
from scsim.results import IncompatibleRun, Run
from scsim.scenario.model import bundled_names, spec_from_resolved
from scsim.scenario.schema import Measure, Param, ScenarioSpec


@pytest.mark.parametrize("name", bundled_names())
def test_run_scenario_round_trips_to_the_manifest(name, tmp_path):
    run = scsim.simulate(name, population=300, days=5, out=tmp_path)
    spec = Run(run.path).scenario
    assert isinstance(spec, ScenarioSpec)
    assert spec.model_dump(mode="json", by_alias=True) == run.manifest["scenario"]


def _with_manifest(run: Run, **changes) -> Run:
    file = run.path / "manifest.json"
    manifest = json.loads(file.read_text(encoding="utf-8"))
    manifest.update(changes)
    file.write_text(json.dumps(manifest), encoding="utf-8")
    return Run(run.path)


def test_a_broken_or_missing_scenario_is_an_incompatible_run(tmp_path):
    run = scsim.simulate("court-blacklist", population=300, days=5, out=tmp_path)
    scenario = dict(run.manifest["scenario"])
    scenario["world"] = {**scenario["world"], "epoch": "fortnight"}
    scenario["no_such_key"] = 1
    broken = _with_manifest(run, scenario=scenario)
    with pytest.raises(IncompatibleRun, match="cannot read the run's scenario") as err:
        _ = broken.scenario
    assert "world.epoch" in str(err.value) and "no_such_key" in str(err.value)
    assert "run it again" in str(err.value)
    with pytest.raises(IncompatibleRun, match="holds no scenario"):
        _ = _with_manifest(run, scenario=None).scenario


def test_spec_from_resolved_names_every_problem():
    data = scsim.load("rongcheng").resolved()
    assert spec_from_resolved(data).model_dump(mode="json", by_alias=True) == data
    with pytest.raises(ValueError, match="behaviour: Field required"):
        spec_from_resolved({k: v for k, v in data.items() if k != "behaviour"})


@pytest.mark.parametrize(
    ("effects", "reward"),
    [
        ({"monthly_cost": -25}, True),  # a discount
        ({"income_factor": 1.05}, True),  # more income
        ({"interest_add": -0.01}, True),  # cheaper credit
        ({"income_factor": 1.1, "monthly_cost": -10, "interest_add": -0.01}, True),
        ({"monthly_cost": 60, "pay_pressure": 0.02}, False),  # a sanction
        ({"income_factor": 0.9}, False),
        ({"interest_add": 0.02}, False),
        ({"pay_pressure": 0.05}, False),  # pressure alone is no perk
        ({"monthly_cost": -25, "pay_pressure": 0.02}, False),  # mixed
        ({"income_factor": 1.1, "monthly_cost": 5}, False),  # mixed
        ({"income_factor": 1.2, "interest_add": 0.01}, False),  # mixed
        ({}, False),  # no effect
        ({"income_factor": 1.0, "monthly_cost": 0.0}, False),  # neutral values
    ],
)
def test_a_reward_favours_the_citizen_in_every_effect(effects, reward):
    measure = Measure.model_validate({"when": "listed", "effects": effects}, strict=False)
    assert measure.is_reward is reward


@pytest.mark.parametrize(
    ("measure", "reward"),
    [
        ({"kind": "reward"}, True),  # a perk with no money effect says what it is
        ({"kind": "sanction"}, False),
        ({"kind": "sanction", "effects": {"monthly_cost": 60}}, False),
        ({"kind": "reward", "effects": {"monthly_cost": -25}}, True),
        ({"blocks": ["air"], "effects": {"monthly_cost": -25}}, False),  # refusing tickets hurts
    ],
)
def test_a_declared_kind_decides_between_reward_and_sanction(measure, reward):
    parsed = Measure.model_validate({"when": "listed", **measure}, strict=False)
    assert parsed.is_reward is reward


@pytest.mark.parametrize(
    ("measure", "says"),
    [
        ({"kind": "reward", "effects": {"income_factor": 0.9}}, "has an effect that hurts"),
        ({"kind": "reward", "blocks": ["rail"]}, "refuses tickets"),
        ({"kind": "sanction", "effects": {"monthly_cost": -25}}, "write 'kind: reward'"),
        ({"kind": "perk"}, "sanction"),
    ],
)
def test_a_kind_that_contradicts_the_effects_is_refused(measure, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        Measure.model_validate({"when": "listed", **measure}, strict=False)


def test_param_at_follows_dated_values_and_repeals():
    values = {"2014-01-01": 10.0, "2016-01-01": None, "2018-06-01": 5.0}
    param = Param.model_validate({"values": values}, strict=False)
    assert param.at(dt.date(2013, 12, 31)) is None
    assert param.at(dt.date(2015, 5, 5)) == 10.0
    assert param.at(dt.date(2017, 1, 1)) is None
    assert param.at(dt.date(2018, 6, 1)) == 5.0
    assert Param.model_validate(0.9).at(dt.date(2000, 1, 1)) == 0.9
