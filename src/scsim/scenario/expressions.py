"""Every expression in a scenario, with the vocabulary it may read, compiled once at load time
(the vocabularies: :mod:`scsim.scenario.vocabulary`).

The loader calls :func:`check_expressions` so that an unknown attribute, parameter or grade, and
an expression that can be NaN or infinite (or a probability outside [0, 1], a modifier above
MAX_MODIFIER) for some value its variables are declared to take, is reported with its position
in the file before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np

from scsim.core.vocabulary import ATTRIBUTE_RANGES
from scsim.rules import ExprError, compile_expr
from scsim.rules.interval import LARGEST, prove_finite
from scsim.scenario.errors import Issue
from scsim.scenario.schema import MAX_MULTIPLIER, ScenarioSpec
from scsim.scenario.validate import issue_in_value
from scsim.scenario.vocabulary import (
    BOOL,
    CITIZEN,
    DETECTION_VARIABLES,
    NUM,
    detection_grid,
    status_names,
    status_variables,
)

# The largest modifier of an event's probability: with the heterogeneity draw also at most
# MAX_MULTIPLIER, every rate the engine stores in float32 is finite.
MAX_MODIFIER = MAX_MULTIPLIER
# What each kind of number expression must give, beyond being finite: (low, high, name, fix).
_PROBABILITY = (0.0, 1.0, "a detection probability", "clamp it, e.g. clip({text}, 0, 1)")
_BOUNDS = {
    "modifier": (-LARGEST, MAX_MODIFIER, "a modifier", "cap it, e.g. min({text}, 100)"),
    "detection": _PROBABILITY,
    "coverage": _PROBABILITY,
}


def expression_sites(spec: ScenarioSpec) -> Iterator[tuple[tuple, str, dict, object]]:
    """(path, text, variables, expected type) for every expression in the scenario."""
    for name, event in spec.behaviour.events.items():
        yield ("behaviour", "events", name, "eligible"), event.eligible, CITIZEN, BOOL
        yield ("behaviour", "events", name, "modifier"), event.modifier, CITIZEN, NUM
    for kind, rule in spec.observation.detection.items():
        if isinstance(rule, str):
            yield ("observation", "detection", kind), rule, DETECTION_VARIABLES, NUM
    for name, source in spec.observation.sources.items():
        if isinstance(source.coverage, str):
            path = ("observation", "sources", name, "coverage")
            yield path, source.coverage, DETECTION_VARIABLES, NUM
    for name, scheme in spec.schemes.items():
        # re-evaluated at every epoch start, so they may read any attribute
        if scheme.kind in ("points", "blacklist", "redlist"):
            yield ("schemes", name, "applies_to"), scheme.applies_to, CITIZEN, BOOL
        elif scheme.kind == "composite":
            path = ("schemes", name, "adoption", "eligible")
            yield path, scheme.adoption.eligible, CITIZEN, BOOL
    for name, right in spec.hukou.rights.items():
        yield ("hukou", "rights", name, "needs"), right.needs, CITIZEN, BOOL
        yield ("hukou", "rights", name, "access"), right.access, CITIZEN, BOOL
    for name, rule in spec.hukou.conversion.items():
        yield ("hukou", "conversion", name, "requires"), rule.requires, CITIZEN, BOOL
    status = status_variables(*status_names(spec))
    for name, measure in spec.measures.items():
        yield ("measures", name, "when"), measure.when, status, BOOL


def absent_mechanisms(spec: ScenarioSpec) -> dict[str, str]:
    """State variables a rule may name but this scenario has no mechanism to keep, each with
    what it would take: read anyway, they would be False (or 0) for everyone, silently."""
    kinds = {scheme.kind for scheme in spec.schemes.values()}
    needs = {
        "listed": ("court_list", "a court list (a scheme of kind: court_list)"),
        "blacklisted": ("blacklist", "a black list (a scheme of kind: blacklist)"),
        "red_listed": ("redlist", "a red list (a scheme of kind: redlist)"),
        "red_share": ("redlist", "a red list (a scheme of kind: redlist)"),
        "user": ("composite", "a composite score (a scheme of kind: composite)"),
        "score": ("composite", "a composite score (a scheme of kind: composite)"),
    }
    return {name: what for name, (kind, what) in needs.items() if kind not in kinds}


def check_expressions(
    spec: ScenarioSpec, positions, params: dict[str, float], *, schemes_known: bool = True
) -> list[Issue]:
    """Compile every expression; one positioned issue per expression that fails.

    ``schemes_known`` is False when a scheme failed validation: which mechanisms exist is then
    unknown, and no rule is blamed for reading one that seems absent."""
    issues = []
    compiled: dict[tuple, object] = {}
    absent = absent_mechanisms(spec) if schemes_known else {}
    for path, text, variables, expect in expression_sites(spec):
        try:
            expr = compile_expr(text, variables=variables, params=params, expect=expect)
        except ExprError as err:
            issues.append(issue_in_value(positions, path, err.message, err.column))
            continue
        compiled[path] = expr
        # Hukou rules and a scheme's reach come from shared parts (parts/hukou.yaml requires
        # `not listed`), where a requirement about a list that is absent holds for everyone, as
        # meant; a rate or a sanction that depends on one is a mistake.
        checked = path[0] in ("behaviour", "measures")
        missing = [name for name in expr.variables if name in absent and checked]
        if missing:
            name = min(missing, key=lambda n: _first_use(text, n))
            message = (
                f"'{name}' is kept by {absent[name]}, and this scenario has none: it would be "
                f"{'0' if name in ('red_share', 'score') else 'False'} for everyone — add the "
                "scheme, or remove it from the rule"
            )
            issues.append(issue_in_value(positions, path, message, _first_use(text, name)))
            continue
        kind = "detection" if path[:2] == ("observation", "detection") else path[-1]
        low, high, what, fix = _BOUNDS.get(kind, (None, None, "the value", ""))
        try:
            within = None if low is None else (low, high)
            # a modifier is read only where its event is eligible (checked just before it)
            given = compiled.get((*path[:-1], "eligible")) if kind == "modifier" else None
            prove_finite(expr, ATTRIBUTE_RANGES, within=within, what=what, suggest=fix, given=given)
        except ExprError as err:
            issues.append(issue_in_value(positions, path, err.message, err.column))
            continue
        if path[:2] == ("observation", "detection") or path[-1] == "coverage":
            problem = _not_a_probability(expr.evaluate(detection_grid()))
            if problem:
                issues.append(issue_in_value(positions, path, problem, 0))
    return issues


def _first_use(text: str, name: str) -> int:
    """The 0-based offset of the first use of a variable in an expression's text."""
    found = re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text)
    return found.start() if found else 0


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
