"""Every expression in a scenario, with the vocabulary it may read, compiled once at load time.

The loader calls :func:`check_expressions` so that an unknown attribute, parameter or grade is
reported with its position in the file before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from scsim.rules import ExprError, compile_expr
from scsim.scenario.errors import Issue
from scsim.scenario.schema import ScenarioSpec

from .attributes import BOOL, CITIZEN, NUM
from .measures import status_variables
from .observation import DETECTION_VARIABLES


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
            compile_expr(text, variables=variables, params=params, expect=expect)
        except ExprError as err:
            issues.append(issue_in_value(positions, path, err.message, err.column))
    return issues
