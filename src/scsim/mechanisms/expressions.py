"""Every expression in a scenario, with the vocabulary it may read, compiled once at load time.

The loader calls :func:`check_expressions` so that an unknown attribute, parameter or grade is
reported with its position in the file before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from scsim.rules import ExprError, compile_expr
from scsim.scenario.errors import Issue
from scsim.scenario.schema import ScenarioSpec

from .attributes import BOOL, CITIZEN, NUM
from .measures import status_variables
from .observation import DETECTION_VARIABLES, detection_grid


def expression_sites(spec: ScenarioSpec) -> Iterator[tuple[tuple, str, dict, object]]:
    """(path, text, variables, expected type) for every expression in the scenario."""
    for name, event in spec.behaviour.events.items():
        yield ("behaviour", "events", name, "modifier"), event.modifier, CITIZEN, NUM
        yield ("behaviour", "events", name, "eligible"), event.eligible, CITIZEN, BOOL
    for kind, rule in spec.observation.detection.items():
        if isinstance(rule, str):
            yield ("observation", "detection", kind), rule, DETECTION_VARIABLES, NUM
    scheme = spec.points_scheme()
    grade_names = tuple(scheme[1].grades) if scheme else ("none",)
    if scheme:  # re-evaluated at the start of every year, so it may read any attribute
        yield ("schemes", scheme[0], "applies_to"), scheme[1].applies_to, CITIZEN, BOOL
    status = status_variables(grade_names)
    for name, measure in spec.measures.items():
        yield ("measures", name, "when"), measure.when, status, BOOL


def check_expressions(spec: ScenarioSpec, positions, params: dict[str, float]) -> list[Issue]:
    """Compile every expression; one positioned issue per expression that fails."""
    from scsim.scenario.validate import issue_in_value

    issues = []
    for path, text, variables, expect in expression_sites(spec):
        try:
            expr = compile_expr(text, variables=variables, params=params, expect=expect)
        except ExprError as err:
            issues.append(issue_in_value(positions, path, err.message, err.column))
            continue
        if path[:2] == ("observation", "detection"):
            problem = _not_a_probability(expr.evaluate(detection_grid()))
            if problem:
                issues.append(issue_in_value(positions, path, problem, 0))
    return issues


def _not_a_probability(values) -> str | None:
    """Why a detection rule's values over every place and cell are not probabilities, if so."""
    values = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0.0) | (values > 1.0)
    if not bad.any():
        return None
    return (
        f"a detection probability must be between 0 and 1, but this gives {values[bad].flat[0]:g}"
        " for some places — check the numbers in the rule"
    )
