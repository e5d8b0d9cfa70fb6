"""The epoch-boundary protocol (mechanisms/stage.py): the lists answer it, and a scenario
without lists builds no lists' stage."""

from __future__ import annotations

import inspect

import pytest

import scsim
from scsim.engine.simulate import simulate_arrays
from scsim.mechanisms.lists import ListsStage
from scsim.mechanisms.stage import Stage

PROTOCOL_METHODS = ("change_dates", "begin_epoch", "end_epoch", "variables", "tally", "columns",
                    "release")  # fmt: skip


@pytest.fixture(scope="module")
def with_lists():
    return simulate_arrays(scsim.load("national-documented"), population=2000, days=400)


def test_the_protocol_names_every_method() -> None:
    names = {n for n, v in vars(Stage).items() if inspect.isfunction(v) and not n.startswith("_")}
    assert names == set(PROTOCOL_METHODS)


@pytest.mark.parametrize("method", PROTOCOL_METHODS)
def test_the_lists_stage_has_each_method_with_the_protocols_parameters(method: str) -> None:
    ours, theirs = getattr(ListsStage, method), getattr(Stage, method)
    assert callable(ours)
    assert list(inspect.signature(ours).parameters) == list(inspect.signature(theirs).parameters)


def test_the_lists_stage_satisfies_the_protocol(with_lists) -> None:
    stage = with_lists.stages.list_stage
    assert isinstance(stage, ListsStage) and isinstance(stage, Stage)
    assert ListsStage.kind == "lists"
    assert with_lists.stages.lists == stage.states and stage.states  # the engine's view of them
    assert set(stage.variables(with_lists.stages.world)) == {"blacklisted", "red_listed",
                                                             "red_share"}  # fmt: skip
    names = {s.name for s in stage.states}
    assert set(stage.columns(0)) == {f"{c}_{n}" for n in names for c in ("on", "listings")}


def test_a_scenario_without_lists_builds_no_lists_stage() -> None:
    scenario = scsim.load("hukou-only")
    assert not scenario.spec.lists()
    run = simulate_arrays(scenario, population=500, days=60)
    assert run.stages.list_stage is None and run.stages.lists == []
    assert ListsStage.build({}, run.stages.world, params=None, first_index=1) is None
