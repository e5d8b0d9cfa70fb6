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
import math
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scsim.core.display import html_fields, listing
from scsim.scenario.crossref import FailedParts, check_cross_references
from scsim.scenario.errors import Issue, PathErrors, ScenarioError, did_you_mean
from scsim.scenario.expressions import check_expressions
from scsim.scenario.schema import (
    Behaviour,
    Param,
    ParameterPathError,
    ScenarioSpec,
    dated_value_at,
    fixed_problem,
    is_dated_key,
    parameter_at,
)
from scsim.scenario.validate import path_error_issues, validate_model, validate_parts
from scsim.scenario.yamlpos import DataPath, Mark, Positions, load_yaml

BUNDLED = "scsim.scenarios"
# Mappings whose entries are independent: a bad entry is left out of the checks that span
# sections, and the other entries are still checked.
ENTRY_MAPS: tuple[DataPath, ...] = (
    ("behaviour", "events"),
    ("observation", "detection"),
    ("schemes",),
    ("measures",),
    ("calibration",),
    ("reforms",),
)


def bundled_names() -> list[str]:
    """Names of the scenarios shipped with scsim."""
    root = resources.files(BUNDLED)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def bundled_path(name: str) -> Path:
    return Path(str(resources.files(BUNDLED).joinpath(f"{name}.yaml")))


class Params(Mapping[str, float]):
    """A scenario's parameters by dotted path: a read-only mapping. Calling it, as when
    ``Scenario.params`` was a method, returns a plain dict copy."""

    def __init__(self, values: Mapping[str, float]) -> None:
        self._values = dict(values)

    def __getitem__(self, path: str) -> float:
        return self._values[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __call__(self) -> dict[str, float]:
        return dict(self._values)

    def __repr__(self) -> str:
        return f"Params({len(self)} parameters: {listing(list(self._values))})"


@dataclass(frozen=True, repr=False)
class Scenario:
    """A validated scenario; equal content gives an equal ``hash``.

    ``stem``, when set, names its run directories instead of the scenario name: a reform given
    as ``{path: value}`` changes (``--set``) sets it to the name before and a short text of what
    was set (``court-blacklist-grace_days=30``), which the scenario name's alphabet cannot hold.
    """

    spec: ScenarioSpec
    source: str = "<memory>"
    reforms_applied: tuple[str, ...] = field(default=())
    stem: str = ""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def run_name(self) -> str:
        """What its run directories are named by: ``<run_name>-<hash8>-s<seed>``."""
        return self.stem or self.spec.name

    def resolved(self) -> dict[str, Any]:
        """The scenario as plain JSON-ready data (what the hash is taken of)."""
        return self.spec.model_dump(mode="json", by_alias=True)

    @cached_property
    def hash(self) -> str:
        """SHA-256 of the resolved scenario without ``world.seed``: the hash names the model, the
        seed names the random numbers, so the replicates of a scenario share its hash."""
        data = self.resolved()
        data["world"].pop("seed", None)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @cached_property
    def params(self) -> Params:
        """Every parameter by dotted path, at its value on the start date (for ``p.`` names): a
        read-only mapping."""
        return Params(
            {
                path: value
                for path, param in _walk_params(self.spec, ())
                if (value := param.at(self.spec.world.start)) is not None
            }
        )

    def __repr__(self) -> str:
        world = self.spec.world
        schemes = listing(list(self.spec.schemes)) or "none"
        reforms = (
            f", reformed: {listing(list(self.reforms_applied), 1)}" if self.reforms_applied else ""
        )
        return (
            f"Scenario({self.name!r}, hash={self.hash[:8]}, {world.start}…{world.end}, "
            f"{world.population.agents:,} agents, schemes: {schemes}{reforms})"
        )

    def _repr_html_(self) -> str:
        world = self.spec.world
        fields = [
            ("title", self.spec.title),
            ("hash", self.hash[:8]),
            ("horizon", f"{world.start} … {world.end} ({world.epoch} epochs)"),
            ("agents", f"{world.population.agents:,}"),
            ("seed", world.seed),
            ("schemes", ", ".join(f"{n} ({s.kind})" for n, s in self.spec.schemes.items())),
            ("measures", listing(list(self.spec.measures), 8)),
            ("reforms", listing(list(self.spec.reforms), 8)),
            ("parameters", f"{len(self.params):,} (.params)"),
        ]
        if self.reforms_applied:
            fields.append(("reforms applied", "; ".join(self.reforms_applied)))
        fields.append(("source", self.source))
        return html_fields(f"Scenario {self.name}", fields)

    def configured(
        self,
        *,
        population: int | None = None,
        end: dt.date | None = None,
        seed: int | None = None,
        start: dt.date | None = None,
    ) -> Scenario:
        """The same scenario with a run's agent count, dates and seed written into its world.

        A later ``start`` begins the run with every dated value as in force on that day (the
        benchmarks use it to time a year in which every scheme runs).
        """
        world = self.spec.world
        pop = world.population
        if population is not None:
            pop = pop.model_copy(update={"agents": population})
        start = start or world.start
        if not world.start <= start < world.end:
            raise ValueError(f"start {start} is outside the horizon {world.start} to {world.end}")
        world = world.model_copy(
            update={
                "population": pop,
                "start": start,
                "end": end or world.end,
                "seed": world.seed if seed is None else seed,
            }
        )
        return replace(self, spec=self.spec.model_copy(update={"world": world}))

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
            label, applied = changes, changes
            stem = f"{self.stem}-{changes}" if self.stem else ""
        else:
            settings = [self._setting(path, value, _date(start), _date(until))
                        for path, value in changes.items()]  # fmt: skip
            label, applied = "reform", ", ".join(setting_text(*s) for s in settings)
            stem = f"{self.run_name}-{setting_slug(settings)}"
        return self._with_settings(settings, label, applied, stem)

    def scaled(self, factors: Mapping[str, float]) -> Scenario:
        """A new scenario with every dated value of each parameter at ``{path: factor}``
        multiplied by its factor — its dates, and its repeals (null), kept — each result moved
        into the parameter's range (a whole number rounded). A number fixed for the run is
        multiplied the same way. The reform is named ``path=xFACTOR``."""
        settings: list[tuple[str, float | None, dt.date | None, dt.date | None]] = []
        for path, factor in factors.items():
            if not (isinstance(factor, int | float) and math.isfinite(factor) and factor >= 0):
                raise ValueError(f"scale of '{path}': the factor must be 0 or more, got {factor}")
            if is_dated_key(path):  # one step of its rule: the others keep their values
                dated = self._dated(path, "scale of")
                value = None if dated.value is None else dated.bounds.clip(dated.value * factor)
                settings.append((dated.path, value, dated.day, dated.until))
                continue
            try:
                number, bounds = parameter_at(self.spec, path)
            except ParameterPathError as err:
                raise ValueError(f"scale of '{path}': {err}") from None
            if not isinstance(number, Param):
                settings.append((path, bounds.clip(number * factor), None, None))
                continue
            for k, day in enumerate(sorted(number.values)):  # the first replaces the history
                value = number.values[day]
                scaled = None if value is None else bounds.clip(value * factor)
                settings.append((path, scaled, None if k == 0 else day, None))
        applied = ", ".join(f"{path}=x{value_text(f)}" for path, f in factors.items())
        slug = ",".join(f"{p.rsplit('.', 1)[-1]}=x{value_text(f)}" for p, f in factors.items())
        return self._with_settings(settings, "reform", applied, f"{self.run_name}-{slug}"[:120])

    def _setting(
        self, key: str, value: float | None, start: dt.date | None, until: dt.date | None
    ) -> tuple[str, float | None, dt.date | None, dt.date | None]:
        """(path, value, from, until) of a change; ``PATH@DATE`` sets the value dated DATE
        from that date to the parameter's next date, keeping every other dated value."""
        if not is_dated_key(key):
            return key, value, start, until
        if start is not None or until is not None:
            raise ValueError(f"reform of '{key}': give a date either after '@' or as from/until")
        dated = self._dated(key, "reform of")
        return dated.path, value, dated.day, dated.until

    def _dated(self, key: str, what: str):
        try:
            return dated_value_at(self.spec, key)
        except ParameterPathError as err:
            raise ValueError(f"{what} '{key}': {err}") from None

    def _with_settings(
        self,
        settings: Sequence[tuple[str, float | None, dt.date | None, dt.date | None]],
        label: str,
        applied: str,
        stem: str,
    ) -> Scenario:
        """The scenario with dated settings applied in order, checked as a reform is."""
        for path, value, frm, to in settings:
            if frm is not None and to is not None and to <= frm:
                raise ValueError(
                    f"reform of '{path}': until ({to}) must be after from ({frm}) — 'until' is "
                    "the first day the value before the reform returns"
                )
            try:
                number, bounds = parameter_at(self.spec, path)
            except ParameterPathError as err:
                raise ValueError(f"reform path '{path}': {err}") from None
            if not isinstance(number, Param) and (problem := fixed_problem(path, value, frm, to)):
                raise ValueError(f"reform of '{path}': {problem}")
            if problem := bounds.problem(value):
                raise ValueError(f"reform of '{path}': the value {problem}")
        data = self.spec.model_dump(mode="python", by_alias=True)
        for path, value, frm, to in settings:
            _overlay(data, path, value, frm, to)
        data["name"] = f"{self.spec.name}-{label}"[:80]
        try:
            spec = ScenarioSpec.model_validate(data)
        except ValidationError as err:
            problems = "; ".join(_problem(e) for e in err.errors())
            raise ValueError(f"the reform makes the scenario invalid: {problems}") from None
        if errors := check_cross_references(spec):
            raise ValueError(f"the reform makes the scenario invalid: {PathErrors(errors)}")
        reformed = Scenario(spec, self.source, (*self.reforms_applied, applied), stem)
        # A rule that reads a parameter (``p.<path>``) is proven again at its new value: one
        # finite at the scenario's values can be infinite at a reform's (a division by it).
        nowhere = Positions(Mark(self.source, 0, 0))
        if issues := check_expressions(spec, nowhere, reformed.params):
            problems = "; ".join(f"{i.path}: {i.message}" for i in issues)
            raise ValueError(f"the reform makes the scenario invalid: {problems}")
        return reformed


def _problem(error) -> str:
    """One validation error of a reformed scenario: where, what, and the value when it is one."""
    where = ".".join(_loc(x) for x in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    value = error["input"]
    got = "" if isinstance(value, dict | list) else f" (got {value!r})"
    return f"{where}: {message}{got}"


SLUG_LENGTH = 64  # the most a run directory name spends on what was set


def setting_text(path: str, value: float | None, start=None, until=None) -> str:
    """One change as text: ``schemes.court.grace_days=90 from 2020-01-01``."""
    text = f"{path}={value_text(value)}"
    text += f" from {start}" if start is not None else ""
    return text + (f" until {until}" if until is not None else "")


def value_text(value: float | None) -> str:
    """A parameter value as short, exact text: 30, 0.05, 1e-05, null."""
    if value is None:
        return "null"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)  # not a number: validation reports it
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def setting_slug(settings) -> str:
    """What was set, short enough for a directory name: each path by its shortest distinct
    ending (``grace_days=30,list_probability=0.5``), a dated change with ``@from..until``;
    what does not fit in SLUG_LENGTH characters is counted (``,+2``)."""
    paths = [s[0].split(".") for s in settings]
    depth = 1
    while depth < max(map(len, paths)) and len({tuple(p[-depth:]) for p in paths}) < len(paths):
        depth += 1
    items = []
    for parts, (_, value, frm, to) in zip(paths, settings, strict=True):
        item = f"{'.'.join(parts[-depth:])}={value_text(value)}"
        if frm is not None or to is not None:
            item += f"@{frm or ''}" + (f"..{to}" if to is not None else "")
        items.append(re.sub(r"[^A-Za-z0-9_.=+@,-]", "-", item))
    slug = ""
    for k, item in enumerate(items):
        rest = f",+{len(items) - k - 1}" if k < len(items) - 1 else ""
        if slug and len(slug) + 1 + len(item) + len(rest) > SLUG_LENGTH:
            return f"{slug},+{len(items) - k}"
        slug = f"{slug},{item}" if slug else item[:SLUG_LENGTH]
    return slug


def spec_from_resolved(data: Mapping[str, Any]) -> ScenarioSpec:
    """The typed scenario rebuilt from its resolved, JSON-form data (:meth:`Scenario.resolved`,
    as a run's manifest holds it); ``spec_from_resolved(s.resolved()).model_dump(mode="json",
    by_alias=True) == s.resolved()``. The data was checked when the scenario was loaded, so the
    cross-references (which `load` runs) are not checked again; date keys arrive as ISO text, hence the lax mode.
    Raises ValueError naming every problem when the data is not a scenario of this version."""
    try:
        text = json.dumps(data)
    except (TypeError, ValueError) as err:
        raise ValueError(f"the resolved scenario is not JSON data: {err}") from None
    try:
        return ScenarioSpec.model_validate_json(text, strict=False)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(_loc(x) for x in e['loc']) or '(scenario)'}: {e['msg']}"
            for e in err.errors()
        )
        raise ValueError(f"the resolved scenario does not validate: {problems}") from None


def _loc(part: Any) -> str:
    """A part of a pydantic error location, with date keys written as dates."""
    text = part.isoformat() if isinstance(part, dt.date) else str(part)
    m = re.fullmatch(r"datetime\.date\((\d+), (\d+), (\d+)\)", text)
    return dt.date(*map(int, m.groups())).isoformat() if m else text


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
    """Overlay a dated value on the parameter at ``path`` in a dumped scenario (in place); a
    number fixed for the run is replaced.

    ``path`` has been resolved on the scenario already (:func:`parameter_at`).
    """
    *parents, last = path.split(".")
    parent: Any = data
    for part in parents:
        parent = parent[part]
    node = parent[last]
    if not isinstance(node, dict):  # fixed for the run; whole numbers stay ints
        parent[last] = int(value) if isinstance(node, int) and float(value).is_integer() else value
        return
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
    return Scenario(_checked_spec(data, positions), str(path))


def _checked_spec(data: dict, positions: Positions) -> ScenarioSpec:
    """The validated scenario, or a ScenarioError with every problem of every kind.

    The schema comes first; the cross-reference and expression checks then run on whatever
    validated, so one typo does not hide the problems in other sections.
    """
    issues: list[Issue] = []
    failed: frozenset[DataPath] = frozenset()
    try:
        spec = validate_model(data, positions, ScenarioSpec)
    except ScenarioError as err:
        issues += err.issues
        spec, failed = validate_parts(data, ScenarioSpec, ENTRY_MAPS)
    issues += path_error_issues(check_cross_references(spec, failed), data, positions)
    issues += _expression_issues(spec, failed, positions)
    if issues:
        raise ScenarioError(dict.fromkeys(issues))
    return spec


def _expression_issues(
    spec: ScenarioSpec, failed: frozenset[DataPath], positions: Positions
) -> list[Issue]:
    """Every expression that does not compile, skipping what a failed part leaves unknowable."""
    if not failed:
        return check_expressions(spec, positions, Scenario(spec).params)
    if spec.behaviour is None:
        spec = spec.model_copy(update={"behaviour": Behaviour(events={})})
    if spec.points_scheme() is None and any(f[0] == "schemes" for f in failed):
        spec = spec.model_copy(update={"measures": {}})  # their grade names are unknown
    schemes_known = not any(f[0] == "schemes" for f in failed)  # else a list may be missing
    return check_expressions(
        spec, positions, _PartialParams(spec, failed), schemes_known=schemes_known
    )


class _PartialParams(Mapping[str, float]):
    """The parameters of the parts that validated; any name inside a failed part passes.

    A name inside a part that failed cannot be checked, so it is let through, not reported.
    """

    def __init__(self, spec: ScenarioSpec, failed: Collection[DataPath]) -> None:
        start = spec.world.start if spec.world is not None else None
        self.known = {
            path: value
            for path, param in _walk_params(spec, ())
            if (value := _value_for_names(param, start)) is not None
        }
        self.failed = FailedParts(failed)

    def __getitem__(self, name: str) -> float:
        if name in self.known:
            return self.known[name]
        if self.failed.whole(tuple(name.split("."))):
            return 0.0
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.known)

    def __len__(self) -> int:
        return len(self.known)


def _value_for_names(param: Param, start: dt.date | None) -> float | None:
    """The value on ``start``, or, with no known start, any value the parameter takes."""
    if start is not None:
        return param.at(start)
    return next((v for v in param.values.values() if v is not None), None)
