"""The Scenario: an immutable, content-hashed, validated scenario, and its reforms.

``load`` accepts a bundled name (``court-blacklist``), a YAML file or a folder; every problem in
the file is reported at once as ``file:line:col: path: message``. ``Scenario.reform`` returns a
NEW scenario with dated values overlaid; the baseline is never mutated.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scsim.scenario.errors import Issue, ScenarioError, did_you_mean
from scsim.scenario.schema import Param, ScenarioSpec
from scsim.scenario.validate import validate_model
from scsim.scenario.yamlpos import load_yaml

BUNDLED = "scsim.scenarios"


def bundled_names() -> list[str]:
    """Names of the scenarios shipped with scsim."""
    root = resources.files(BUNDLED)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def bundled_path(name: str) -> Path:
    return Path(str(resources.files(BUNDLED).joinpath(f"{name}.yaml")))


@dataclass(frozen=True)
class Scenario:
    """A validated scenario; equal content gives an equal ``hash``."""

    spec: ScenarioSpec
    source: str = "<memory>"
    reforms_applied: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.spec.name

    def resolved(self) -> dict[str, Any]:
        """The scenario as plain JSON-ready data (what the hash is taken of)."""
        return self.spec.model_dump(mode="json", by_alias=True)

    @cached_property
    def hash(self) -> str:
        text = json.dumps(self.resolved(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def params(self) -> dict[str, float]:
        """Every parameter by dotted path, at its value on the start date (for ``p.`` names)."""
        return {
            path: value
            for path, param in _walk_params(self.spec, ())
            if (value := param.at(self.spec.world.start)) is not None
        }

    def configured(self, *, population: int | None = None, end: dt.date | None = None) -> Scenario:
        """The same scenario with a run's agent count and end date written into its world."""
        world = self.spec.world
        pop = world.population
        if population is not None:
            pop = pop.model_copy(update={"agents": population})
        world = world.model_copy(update={"population": pop, "end": end or world.end})
        spec = self.spec.model_copy(update={"world": world})
        return Scenario(spec, self.source, self.reforms_applied)

    def reform(
        self,
        changes: str | dict[str, float | None],
        start: dt.date | str | None = None,
        until: dt.date | str | None = None,
    ) -> Scenario:
        """A new scenario with a named reform, or ``{param.path: value}`` changes, applied."""
        if isinstance(changes, str):
            if changes not in self.spec.reforms:
                hint = did_you_mean(changes, self.spec.reforms)
                raise ValueError(f"scenario '{self.name}' has no reform '{changes}'{hint}")
            settings = [(s.path, s.value, s.start, s.until) for s in self.spec.reforms[changes].set]
            label = changes
        else:
            settings = [
                (path, value, _date(start), _date(until)) for path, value in changes.items()
            ]
            label = "reform"
        data = self.spec.model_dump(mode="python", by_alias=True)
        for path, value, frm, to in settings:
            _overlay(data, path, value, frm, to)
        data["name"] = f"{self.spec.name}-{label}"[:80]
        try:
            spec = ScenarioSpec.model_validate(data)
        except ValidationError as err:
            raise ValueError(f"the reform makes the scenario invalid: {err}") from None
        return Scenario(spec, self.source, (*self.reforms_applied, label))


def _date(value: dt.date | str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _walk_params(node: Any, path: tuple[str, ...]):
    if isinstance(node, Param):
        yield ".".join(path), node
    elif hasattr(node, "__pydantic_fields__"):
        for name in type(node).model_fields:
            yield from _walk_params(getattr(node, name), (*path, name))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _walk_params(value, (*path, str(key)))


def _overlay(data: dict, path: str, value: float | None, start, until) -> None:
    """Overlay a dated value on the parameter at ``path`` in a dumped scenario (in place)."""
    node: Any = data
    parts = path.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            options = node.keys() if isinstance(node, dict) else []
            where = ".".join(parts[:depth]) or "the scenario"
            hint = did_you_mean(part, [str(o) for o in options])
            raise ValueError(f"reform path '{path}': {where} has no '{part}'{hint}")
        node = node[part]
    if not isinstance(node, dict) or "values" not in node:
        raise ValueError(f"reform path '{path}' is not a parameter (a number with dated values)")
    before = Param.model_validate(copy.deepcopy(node))
    values = dict(node["values"])
    if start is None:
        values = {min(values): value}
    else:
        values[start] = value
        for d in [d for d in values if d > start and (until is None or d < until)]:
            del values[d]
    if until is not None:
        values[until] = before.at(until)
    node["values"] = values


def load(source: str | Path) -> Scenario:
    """Load a scenario by bundled name, file or folder, validating everything at once."""
    path = Path(source)
    if not path.exists():
        name = str(source)
        if name in bundled_names():
            path = bundled_path(name)
        else:
            hint = did_you_mean(name, bundled_names())
            raise ScenarioError(
                [
                    Issue(
                        str(source), 0, 0, "",
                        f"no such file, and no bundled scenario of that name{hint} "
                        f"(bundled: {', '.join(bundled_names())})",
                    )
                ]
            )  # fmt: skip
    data, positions = load_yaml(path)
    spec = validate_model(data, positions, ScenarioSpec)
    from scsim.mechanisms.expressions import check_expressions

    issues = check_expressions(spec, positions, _params_of(spec))
    if issues:
        raise ScenarioError(issues)
    return Scenario(spec, str(path))


def _params_of(spec: ScenarioSpec) -> dict[str, float]:
    return Scenario(spec).params()
