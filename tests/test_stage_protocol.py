"""The epoch-boundary protocol (mechanisms/stage.py): the lists, the composite score, the
friendship graph, the points scheme's reach, hukou and moves answer it; a scenario without one
of them builds no stage for it; the engine calls them in order."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import scsim
from scsim.engine.simulate import simulate_arrays
from scsim.mechanisms import registry
from scsim.mechanisms.composite import CompositeStage, FriendsStage
from scsim.mechanisms.hukou import HukouStage
from scsim.mechanisms.lists import ListsStage
from scsim.mechanisms.points import PointsReachStage
from scsim.mechanisms.stage import MovesStage, Stage
from scsim.scenario.schema import SCHEME_KINDS

PROTOCOL_METHODS = ("change_dates", "begin_epoch", "end_epoch", "variables", "tally", "columns",
                    "release")  # fmt: skip


@pytest.fixture(scope="module")
def with_lists():
    return simulate_arrays(scsim.load("national-documented"), population=2000, days=400)


def test_the_protocol_names_every_method() -> None:
    names = {n for n, v in vars(Stage).items() if inspect.isfunction(v) and not n.startswith("_")}
    assert names == set(PROTOCOL_METHODS)


STAGE_CLASSES = (ListsStage, CompositeStage, FriendsStage, HukouStage, PointsReachStage,
                 MovesStage)  # fmt: skip


@pytest.mark.parametrize("cls", STAGE_CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("method", PROTOCOL_METHODS)
def test_every_stage_has_each_method_with_the_protocols_parameters(cls, method: str) -> None:
    ours, theirs = getattr(cls, method), getattr(Stage, method)
    assert callable(ours)
    assert list(inspect.signature(ours).parameters) == list(inspect.signature(theirs).parameters)


@pytest.mark.parametrize("cls", STAGE_CLASSES, ids=lambda c: c.__name__)
def test_every_stage_is_built_from_the_scenario_and_says_what_it_keeps(cls) -> None:
    for method in ("build", "bytes_per_citizen"):
        assert inspect.ismethod(getattr(cls, method)), f"{cls.__name__}.{method}: a classmethod"
    assert list(inspect.signature(cls.build).parameters) == ["spec", "world", "params"]
    assert list(inspect.signature(cls.bytes_per_citizen).parameters) == ["spec"]
    assert isinstance(cls.kind, str) and isinstance(cls.schemes, tuple)


def test_the_registry_lists_every_stage_once_and_implements_every_scheme_kind() -> None:
    assert set(registry.STAGES) == set(STAGE_CLASSES) and len(registry.STAGES) == len(STAGE_CLASSES)
    kinds = [cls.kind for cls in registry.STAGES]
    assert len(set(kinds)) == len(kinds) and set(registry.CLOSING) <= set(kinds)
    assert registry.scheme_kinds() == set(SCHEME_KINDS)  # the schema's `kind:`s, each run


def test_the_memory_estimate_adds_each_stages_own(with_lists) -> None:
    spec = with_lists.scenario.spec
    own = {cls.kind: cls.bytes_per_citizen(spec) for cls in registry.STAGES}
    assert own["lists"] == 15 * len(spec.lists()) > 0 and own["graph"] == 12
    assert own["composite"] == 40 + 4 * len(spec.composite()[1].dimensions)
    assert registry.bytes_per_citizen(spec) == registry.BASE_BYTES_PER_CITIZEN + sum(own.values())
    bare = scsim.load("hukou-only").spec
    assert registry.bytes_per_citizen(bare) == registry.BASE_BYTES_PER_CITIZEN


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
    assert ListsStage.build(scenario.spec, run.stages.world, params=None) is None


@pytest.fixture(scope="module")
def with_composite():
    return simulate_arrays(scsim.load("sesame"), population=2000, days=400)


def test_the_composite_stage_satisfies_the_protocol(with_composite) -> None:
    stages = with_composite.stages
    stage, friends = stages.composite_stage, stages.friends
    assert isinstance(stage, CompositeStage) and isinstance(stage, Stage)
    assert isinstance(friends, FriendsStage) and isinstance(friends, Stage)
    assert stages.composite is stage.state and stage.friends is friends
    assert stages.degree is friends.degree and stages.friends_initial is friends.initial
    assert list(inspect.signature(CompositeStage.start).parameters) == ["self", "world", "day0",
                                                                        "date"]  # fmt: skip
    assert set(stage.variables(stages.world)) == {"user", "score"}
    assert set(friends.variables(stages.world)) == {"friends"}
    cols = stage.columns(0)
    assert {"composite_user", "composite_score", "composite_band", "ties_dropped"} <= set(cols)
    assert set(friends.columns(0)) == {"friends_initial", "friends"}
    assert stage.status.dtype == np.uint8 and stage.status.max() < 1 << stage.status_bits


def test_a_scenario_without_a_composite_score_or_graph_builds_neither_stage() -> None:
    scenario = scsim.load("hukou-only")
    assert scenario.spec.composite() is None and scenario.spec.world.population.graph is None
    stages = simulate_arrays(scenario, population=500, days=60).stages
    assert stages.composite_stage is None and stages.composite is None
    assert stages.friends is None and stages.degree is None and stages.friends_initial is None
    assert CompositeStage.build(scenario.spec, stages.world, None) is None
    assert FriendsStage.build(scenario.spec, stages.world, None) is None


def test_the_hukou_stage_satisfies_the_protocol() -> None:
    scenario = scsim.load("hukou-only")
    stages = simulate_arrays(scenario, population=500, days=60).stages
    stage = stages.hukou_stage
    assert isinstance(stage, HukouStage) and isinstance(stage, Stage)
    assert stages.lacking is stage.lacking and stages.citizen_cost is stage.citizen_cost
    assert stages.converted is stage.converted and stages.relocated is stages.world.relocated
    assert stage.variables(stages.world) == {}
    rights, rules = scenario.spec.hukou.rights, scenario.spec.hukou.conversion
    expected = {f"lacks_{r}" for r in rights} | ({"hukou_converted"} if rules else set())
    assert set(stage.columns(0)) == expected


def test_a_scenario_without_hukou_rules_builds_no_hukou_stage(with_composite) -> None:
    spec = with_composite.scenario.spec
    stages = with_composite.stages
    if not (spec.hukou.rights or spec.hukou.conversion):
        assert stages.hukou_stage is None
        assert not stages.lacking.any() and not stages.citizen_cost.any()
    empty = spec.hukou.model_copy(update={"rights": {}, "conversion": {}})
    assert HukouStage.build(spec.model_copy(update={"hukou": empty}), stages.world, None) is None


def test_the_engine_calls_the_stages_in_order(with_lists) -> None:
    stages = with_lists.stages
    assert all(isinstance(s, Stage) for s in stages.stages + stages.closing)
    kinds = [s.kind for s in stages.stages]
    order = ["lists", "composite", "graph", "points", "hukou", "moves"]
    assert kinds == [k for k in order if k in kinds] and kinds[-1] == "moves"
    closing = [s.kind for s in stages.closing]
    assert closing == [k for k in ["moves", "hukou", "lists", "composite", "graph"] if k in kinds]
    if stages.pts_spec is None:
        assert stages.points_stage is None
    else:
        assert isinstance(stages.points_stage, PointsReachStage)
    # the status index: the lists' bits, then the composite bands
    n_lists = len(stages.lists)
    assert stages.list_stage.status_bits == n_lists
    if stages.composite_stage is not None:
        bands = stages.composite_stage.status
        assert np.array_equal(stages.status >> n_lists, bands)


def test_the_moves_stage_regroups_movers_and_reports_them() -> None:
    scenario = scsim.load("hukou-only")
    stages = simulate_arrays(scenario, population=500, days=60).stages
    world = stages.world
    who = np.array([3, 7], dtype=np.int64)
    world.relocated = np.zeros(0, dtype=np.int64)
    world.relocate(who)
    world.relocate(np.array([7, 1], dtype=np.int64))
    assert world.relocated.tolist() == [1, 3, 7]
    pop = stages.pop
    expected = (pop.hukou_urban[[1, 3, 7]].astype(np.uint8) << 1) | pop.migrant[[1, 3, 7]]
    assert np.array_equal(world.group[[1, 3, 7]], expected)
    assert PointsReachStage.build(scenario.spec, world, None) is None
