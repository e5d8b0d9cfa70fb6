"""Parameters set from outside the file: ``--set PATH=VALUE`` (``PATH=V1,V2,…`` for a sweep;
``PATH@DATE=…`` for the one value of a dated rule that holds from DATE),
read and checked as a reform's overlays are: every path must lead to a dated parameter or a
number fixed for the run (with a "did you mean"), every value must lie in its declared range. All the problems are
reported together, each as ``file: --set path: message``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from scsim.scenario.errors import Issue, ScenarioError
from scsim.scenario.schema import (
    Param,
    ParameterPathError,
    ScenarioSpec,
    dated_value_at,
    fixed_problem,
    is_dated_key,
    parameter_at,
    whole_rule_also_given,
)

Value = float | None
NULL = ("null", "none")  # a repeal: nothing in force


def parse_value(text: str) -> Value:
    """A number as written on a command line (``30``, ``0.05``, ``1e-3``), or null."""
    text = text.strip()
    if text.lower() in NULL:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a number (or null)") from None
    if not math.isfinite(value):
        raise ValueError(f"'{text}' is not a finite number")
    return value


def parse_assignment(text: str, *, several: bool = False) -> tuple[str, list[Value]]:
    """``PATH=VALUE`` (or, with ``several``, ``PATH=V1,V2,…``) as (path, values)."""
    form = "PATH=V1,V2,…" if several else "PATH=VALUE"
    path, sep, rest = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ValueError(f"--set takes {form}, got '{text}'")
    parts = [p for p in rest.split(",")] if several else [rest]
    if not rest.strip() or any(not p.strip() for p in parts):
        raise ValueError(f"--set {path}: no value after '=' (give {form})")
    try:
        values = [parse_value(p) for p in parts]
    except ValueError as err:
        raise ValueError(f"--set {path}: {err}") from None
    if len(set(values)) < len(values):
        twice = next(v for v in values if values.count(v) > 1)
        raise ValueError(f"--set {path}: the value {twice} is given twice")
    return path, values


def parse_assignments(texts: Iterable[str], *, several: bool = False) -> dict[str, list[Value]]:
    """Several ``--set`` options; a path set twice is an error."""
    out: dict[str, list[Value]] = {}
    for text in texts:
        path, values = parse_assignment(text, several=several)
        if path in out:
            raise ValueError(f"--set {path} is given twice")
        out[path] = values
    return out


@dataclass(frozen=True)
class Scale:
    """A range of factors on a parameter's dated values (``--param PATH=x0.5:1.5``): each case
    multiplies every dated value by its factor, keeping the dates (and repeals) of the rule
    (:meth:`scsim.Scenario.scaled`)."""

    low: float
    high: float


def parse_ranges(
    texts: Iterable[str], *, option: str = "--param"
) -> dict[str, tuple[float, float] | None]:
    """``--param PATH=LOW:HIGH`` (values), ``PATH=xLOW:HIGH`` (factors on its dated values; a
    :class:`Scale`) or a bare ``PATH`` (the default range)."""
    out: dict[str, tuple[float, float] | None] = {}
    for text in texts:
        path, sep, rest = text.partition("=")
        path = path.strip()
        if not path:
            raise ValueError(f"{option} takes PATH=LOW:HIGH or PATH, got '{text}'")
        if path in out:
            raise ValueError(f"{option} {path} is given twice")
        if not sep:
            out[path] = None
            continue
        factors = rest.strip().lower().startswith("x")
        low, colon, high = rest.strip()[1:].partition(":") if factors else rest.partition(":")
        if not colon or not low.strip() or not high.strip():
            raise ValueError(
                f"{option} {path}: give the range as LOW:HIGH (e.g. {path}=0.2:0.8), got '{rest}'"
            )
        ends = []
        for end in (low, high):
            try:
                value = parse_value(end)
            except ValueError as err:
                raise ValueError(f"{option} {path}: {err}") from None
            if value is None:
                raise ValueError(f"{option} {path}: a range runs between numbers, not null")
            ends.append(float(value))
        if factors:
            out[path] = Scale(ends[0], ends[1])
        else:
            out[path] = (ends[0], ends[1])
    return out


def check_settings(
    spec: ScenarioSpec, settings: Mapping[str, Sequence[Value]], source: str = "<memory>"
) -> None:
    """Raise a ScenarioError naming every path that leads to no number and every value outside
    its declared range (or null for a number fixed for the run)."""
    issues = []
    for path, values in settings.items():
        where = f"--set {path}"
        try:
            if is_dated_key(path):
                dated = dated_value_at(spec, path)
                number, bounds = parameter_at(spec, dated.path)[0], dated.bounds
            else:
                number, bounds = parameter_at(spec, path)
        except ParameterPathError as err:
            issues.append(Issue(source, 0, 0, where, str(err)))
            continue
        if whole := whole_rule_also_given(path, settings):
            message = f"{whole} is set for the whole run too: give either {whole} or {path}"
            issues.append(Issue(source, 0, 0, where, message))
        if not values:
            issues.append(Issue(source, 0, 0, where, "no values given"))
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | float | type(None)):
                issues.append(Issue(source, 0, 0, where, f"{value!r} is not a number (or None)"))
            elif not isinstance(number, Param) and (
                problem := fixed_problem(path, value, None, None)
            ):
                issues.append(Issue(source, 0, 0, where, problem))
            elif problem := bounds.problem(value):
                issues.append(Issue(source, 0, 0, where, f"the value {problem}"))
    if issues:
        raise ScenarioError(issues)


def with_settings(scenario, changes: Mapping[str, Value]):
    """``scenario`` with ``{path: value}`` changes applied as a reform (each value replaces the
    parameter's whole history), after checking every one; the scenario itself when empty."""
    if not changes:
        return scenario
    check_settings(scenario.spec, {p: [v] for p, v in changes.items()}, scenario.source)
    return scenario.reform(dict(changes))
