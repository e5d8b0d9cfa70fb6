"""Every broken variant of a bundled scenario is refused with its place in the file, or it loads
into a scenario that a small run completes with finite outputs (issue 14, item 1).

The variants are made from each bundled scenario with its includes merged in (one file): a key
deleted or misspelt, a value of another type, a number beyond any sensible range, dates swapped
or moved past the horizon, a hostile expression.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scsim.engine.simulate import simulate_arrays
from scsim.scenario.errors import ScenarioError
from scsim.scenario.model import Param, Scenario, _walk_params, bundled_names, bundled_path, load
from scsim.scenario.schema import parameter_at
from scsim.scenario.yamlpos import load_yaml

RUN_AGENTS = 200
RUN_DAYS = 60
EXPRESSION_KEYS = ("modifier", "eligible", "coverage", "applies_to", "when", "needs", "access",
                   "requires")  # fmt: skip
HOSTILE = ("10**10**10", "exp(1000)", "0/0", "sqrt(-1)", "log(0)", "ａｇｅ > 30", "аge > 30",
           "(" * 200 + "1" + ")" * 200, "2 ** 100000", "age.__class__", "1e308 * 10")  # fmt: skip
EXTREMES = (-1, -0.5, 1.5, 1e300, -1e300, math.nan, math.inf, 10**12, 0, 40_000, -40_000)
_MERGED: dict[str, dict] = {}


def merged(name: str) -> dict:
    """The bundled scenario ``name`` as one mapping, its includes merged in (a fresh copy)."""
    if name not in _MERGED:
        _MERGED[name] = load_yaml(bundled_path(name))[0]
    return copy.deepcopy(_MERGED[name])


def paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """The path of every value below ``node`` (mapping keys and list indices)."""
    found = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        found.append((*prefix, key))
        found.extend(paths(value, (*prefix, key)))
    return found


def parent_of(data: dict, path: tuple):
    node = data
    for part in path[:-1]:
        node = node[part]
    return node


def typo(word: str, draw) -> str:
    """``word`` with one character dropped, doubled, swapped with the next or replaced."""
    i = draw(st.integers(0, max(len(word) - 1, 0)))
    how = draw(st.sampled_from(["drop", "double", "swap", "replace"]))
    if how == "drop" and len(word) > 1:
        return word[:i] + word[i + 1 :]
    if how == "swap" and i + 1 < len(word) and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if how == "replace":
        letter = draw(st.sampled_from("aeiouxz_"))
        if word[i : i + 1] != letter:
            return word[:i] + letter + word[i + 1 :]
    return word[: i + 1] + word[i:]


def swapped_type(value: object, draw) -> object:
    """A value of another type than ``value``: number, text, list or mapping."""
    options = []
    if not isinstance(value, int | float) or isinstance(value, bool):
        options.append(draw(st.sampled_from([0, 1, 0.5, 2020, -3])))
    if not isinstance(value, str):
        options.append(str(value))
    if not isinstance(value, list):
        options.append([value])
    if not isinstance(value, dict):
        options.append({"value": value})
    options.append(None)
    return draw(st.sampled_from(options))


def dated_dicts(data: dict) -> list[tuple]:
    """Paths of the mappings that hold a ``from`` date."""
    return [p for p in paths(data) if isinstance(v := at(data, p), dict) and "from" in v]


def at(data: dict, path: tuple) -> object:
    return parent_of(data, path)[path[-1]]


class Broken(tuple):
    """(bundled name, what was broken, data), shown by the first two only."""

    def __repr__(self) -> str:
        return f"Broken({self[0]!r}, {self[1]!r})"


@st.composite
def broken_scenarios(draw) -> Broken:
    """One bundled scenario with one to three things broken."""
    name = draw(st.sampled_from(bundled_names()))
    data = merged(name)
    done = [_break_one(draw, data) for _ in range(draw(st.integers(1, 3)))]
    return Broken((name, "; ".join(done), data))


def _break_one(draw, data: dict) -> str:
    """Break one thing in ``data`` (in place) and say what."""
    everything = paths(data)
    kind = draw(
        st.sampled_from(["delete", "rename", "type", "extreme", "extreme", "dates", "expression"])
    )
    numbers = [p for p in everything if type(at(data, p)) in (int, float)]
    if kind == "extreme" and numbers:
        path = draw(st.sampled_from(numbers))
        value = draw(st.sampled_from(EXTREMES))
        parent_of(data, path)[path[-1]] = value
        return f"{path} = {value!r}"
    if kind == "dates" and (what := _break_dates(draw, data)):
        return what
    expressions = [p for p in everything if p[-1] in EXPRESSION_KEYS]
    if kind == "expression" and expressions:
        path = draw(st.sampled_from(expressions))
        parent_of(data, path)[path[-1]] = text = draw(st.sampled_from(HOSTILE))
        return f"{path} = {text[:20]!r}"
    if not everything:
        return "nothing left to break"
    path = draw(st.sampled_from(everything))
    parent = parent_of(data, path)
    if kind == "delete":
        del parent[path[-1]]
        return f"deleted {path}"
    if kind == "rename" and isinstance(parent, dict) and isinstance(path[-1], str):
        new = typo(path[-1], draw)
        if new not in parent:
            parent[new] = parent.pop(path[-1])
        return f"renamed {path} to {new!r}"
    value = swapped_type(parent[path[-1]], draw)
    parent[path[-1]] = value
    return f"{path} = {value!r}"


def _break_dates(draw, data: dict) -> str:
    """A ``from`` after its ``until``, or a date (value or key) moved before or past the horizon;
    "" when there is no date left to move."""
    shift = draw(st.sampled_from([-1, 1])) * draw(st.integers(1, 40)) * 365
    dated = dated_dicts(data)
    if dated and draw(st.booleans()):
        path = draw(st.sampled_from(dated))
        entry = at(data, path)
        if isinstance(entry.get("until"), dt.date):
            entry["from"], entry["until"] = entry["until"], entry["from"]
        elif isinstance(entry["from"], dt.date):
            entry["until"] = entry["from"] - dt.timedelta(days=draw(st.integers(0, 400)))
        return f"{path}: from {entry['from']} until {entry.get('until')}"
    values = [p for p in paths(data) if isinstance(at(data, p), dt.date)]
    keys = [p for p in paths(data) if isinstance(p[-1], dt.date)]
    if not values + keys:
        return ""
    path = draw(st.sampled_from(values + keys))
    parent = parent_of(data, path)
    if path in keys:
        new = path[-1] + dt.timedelta(days=shift)
        if new not in parent:
            parent[new] = parent.pop(path[-1])
        return f"date key {path} moved to {new}"
    parent[path[-1]] = parent[path[-1]] + dt.timedelta(days=shift)
    return f"{path} = {parent[path[-1]]}"


def check_refused_or_runs(name: str, what: str, data: dict) -> None:
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / f"{name}.yaml"
        file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        try:
            scenario = load(file)
        except ScenarioError as err:
            assert err.issues, what
            for issue in err.issues:
                assert issue.file == str(file) or Path(issue.file).exists(), (what, str(issue))
                assert issue.line > 0 or issue.path, f"{what}: no position in {issue}"
            return
    check_parameters(scenario, what)
    check_small_run(scenario, what)


def check_parameters(scenario: Scenario, what: str) -> None:
    """Every parameter is within its declared range and in force for part of the horizon."""
    world = scenario.spec.world
    for path, param in _walk_params(scenario.spec, ()):
        _, bounds = parameter_at(scenario.spec, path)
        assert isinstance(param, Param)
        for day, value in param.values.items():
            assert not bounds.problem(value), f"{what}: {path} on {day} = {value}"
        assert min(param.values) <= world.end, f"{what}: {path} is never in force"


def check_small_run(scenario: Scenario, what: str) -> None:
    world = scenario.spec.world
    end = min(world.end, world.start + dt.timedelta(days=RUN_DAYS - 1))
    outcome = simulate_arrays(scenario.configured(population=RUN_AGENTS, end=end))
    values = np.asarray(outcome.timeseries["value"], dtype=float)
    assert np.isfinite(values).all(), f"{what}: non-finite time series"
    assert np.isfinite(outcome.sf).all(), f"{what}: non-finite citizen state"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_scenarios())
def test_a_broken_scenario_is_refused_with_its_place_or_runs(broken):
    check_refused_or_runs(*broken)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_scenarios())
def test_many_broken_scenarios_are_refused_with_their_place_or_run(broken):
    check_refused_or_runs(*broken)


@pytest.mark.parametrize("name", bundled_names())
def test_a_bundled_scenario_written_as_one_file_loads_unchanged(name, tmp_path):
    file = tmp_path / f"{name}.yaml"
    file.write_text(yaml.safe_dump(merged(name), allow_unicode=True, sort_keys=False))
    assert load(file).hash == load(name).hash
