"""Expressions proven finite at load time: every form that can be NaN or infinite for a value its
variables are declared to take is refused at its own column, and what is accepted is finite."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scsim import load
from scsim.core.vocabulary import ATTRIBUTE_RANGES, Range
from scsim.rules import Bool, ExprError, Number, compile_expr
from scsim.rules.interval import prove_finite
from scsim.scenario.errors import ScenarioError
from scsim.scenario.model import bundled_names
from scsim.scenario.vocabulary import CITIZEN

NUM = Number()


def refusal(source: str, within: tuple[float, float] | None = None) -> ExprError:
    with pytest.raises(ExprError) as caught:
        expr = compile_expr(source, variables=CITIZEN, expect=NUM)
        prove_finite(expr, ATTRIBUTE_RANGES, within=within, what="a probability")
    return caught.value


@pytest.mark.parametrize(
    ("source", "column", "words"),
    [
        ("10**10**10", 4, "exponent 1e+10 is beyond"),
        ("1 + exp(1000)", 4, "not a finite number"),
        ("0/0", 0, "not a finite number"),
        ("2 * sqrt(-1)", 4, "not a finite number"),
        ("log(0)", 0, "not a finite number"),
        ("1 + log(income)", 4, "income can be 0"),
        ("1 + log(income - 500)", 4, "income - 500 can be negative"),
        ("age + debt / (income - income)", 6, "the divisor income - income can be 0"),
        ("0.5 * sqrt(age - 18)", 6, "age - 18 can be negative"),
        ("1 + exp(age)", 0, "must be between 0 and 1"),
        ("2 + exp(income / 100)", 4, "exp of more than 709.78"),
        ("1 + 10 ** income", 4, "largest float64"),
        ("1 + age ** -2", 4, "0 to a negative power"),
        ("(age - 50) ** 0.5", 0, "not a whole number is NaN"),
        ("1 + age % employment", 4, "the divisor employment can be 0"),
        ("1 / (urban - urban)", 0, "the divisor urban - urban can be 0"),
    ],
)
def test_each_form_that_can_be_nan_or_infinite_is_refused_at_its_column(source, column, words):
    error = refusal(source, within=None if "must be" not in words else (0.0, 1.0))
    assert error.column == column, error.message
    assert words in error.message


def test_the_message_says_the_interval_the_declared_range_and_a_guard():
    message = refusal("log(income - 500)").message
    assert "-500…3.403e+38" in message
    assert "income is 0…3.403e+38" in message
    assert "log(max(income - 500, 1))" in message


def test_a_probability_that_can_exceed_one_is_refused():
    error = refusal("where(urban, 1.5, 0.5)", within=(0.0, 1.0))
    assert "must be between 0 and 1" in error.message and "can be 1.5" in error.message


@pytest.mark.parametrize(
    "source",
    [
        "where(income > 0, log(income), 0)",
        "where(income > 0, debt / income, 0)",
        "where(age >= 18, sqrt(age - 18), 0)",
        "sqrt(age - 18) if age > 17 else 0",
        "1 / (urban + (1 - urban))",
        "1 + min(debt / (12 * income + 100), 5)",
        "log(max(income, 1))",
        "exp(min(income, 50))",
        "income ** 2",
        "age ** 2",
        "(age - 50) ** 2",
    ],
)
def test_guarded_forms_are_accepted(source):
    expr = compile_expr(source, variables=CITIZEN, expect=NUM)
    assert prove_finite(expr, ATTRIBUTE_RANGES).finite()


def test_a_condition_is_checked_where_later_operands_are_used():
    expr = compile_expr("income > 0 and log(income) > 2", variables=CITIZEN, expect=Bool())
    prove_finite(expr, ATTRIBUTE_RANGES)
    with pytest.raises(ExprError, match="log can be"):
        expr = compile_expr("log(income) > 2 and income > 0", variables=CITIZEN, expect=Bool())
        prove_finite(expr, ATTRIBUTE_RANGES)


@pytest.mark.parametrize(
    ("source", "character", "meant"),
    [
        ("ａｇｅ > 30", "U+FF41", "'a'"),
        ("аge > 30", "U+0430", None),
        ("age ≥ 30", "U+2265", "'>='"),
    ],
)
def test_a_look_alike_identifier_names_the_character(source, character, meant):
    with pytest.raises(ExprError) as caught:
        compile_expr(source, variables=CITIZEN, expect=Bool())
    assert character in caught.value.message
    assert caught.value.column == source.index(next(c for c in source if ord(c) > 127))
    if meant:
        assert f"write {meant}" in caught.value.message


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_scenario_still_validates(name):
    load(name)


def test_a_scenario_with_an_unguarded_modifier_is_refused_with_its_position(tmp_path):
    base = (
        "name: t\nworld: {start: 2020-01-01, end: 2020-12-31, seed: 1}\n"
        "behaviour:\n  events:\n    theft:\n      annual_rate: 0.1\n"
    )
    file = tmp_path / "scenario.yaml"
    file.write_text(base + "      modifier: '1 + log(income)'\n")
    with pytest.raises(ScenarioError) as caught:
        load(file)
    (issue,) = caught.value.issues
    assert (issue.line, issue.col) == (7, 22)
    assert "log can be" in issue.message


def test_a_reform_that_makes_a_rule_infinite_is_refused_before_it_runs(tmp_path):
    file = tmp_path / "scenario.yaml"
    file.write_text(
        "name: t\nworld: {start: 2020-01-01, end: 2020-12-31, seed: 1}\n"
        "observation: {misattribution: 0.002}\n"
        "behaviour:\n  events:\n    theft:\n      annual_rate: 0.1\n"
        "      modifier: '1 + 0.001 / p.observation.misattribution'\n"
    )
    scenario = load(file)  # finite at 0.002
    with pytest.raises(ValueError, match="modifier: .* is inf") as caught:
        scenario.reform({"observation.misattribution": 0.0})
    assert "the reform makes the scenario invalid: behaviour.events.theft" in str(caught.value)
    assert scenario.reform({"observation.misattribution": 0.01}).params  # finite there


# -- accepted means finite: random expressions over bounded variables

_RANGES = {
    "a": Range(0, 10, whole=True),
    "b": Range(-5, 5, whole=True),
    "x": Range(0.0, 100.0),
    "y": Range(-1.0, 1.0),
}
_VARS = {name: NUM for name in _RANGES} | {"f": Bool()}


def _expressions():
    leaves = st.sampled_from(["a", "b", "x", "y", "f", "0", "1", "2", "0.5", "3", "-1", "700"])

    def extend(inner):
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "%"]), inner)
        return st.one_of(
            binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["log", "exp", "sqrt", "abs"]), inner).map(
                lambda t: f"{t[0]}({t[1]})"
            ),
            st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"
            ),
            st.tuples(inner, inner, inner).map(lambda t: f"clip({t[0]}, {t[1]}, {t[2]})"),
            st.tuples(
                inner, st.sampled_from([">", ">=", "<", "<=", "!="]), inner, inner, inner
            ).map(lambda t: f"where({t[0]} {t[1]} {t[2]}, {t[3]}, {t[4]})"),
            inner.map(lambda t: f"(-{t})"),
        )

    return st.recursive(leaves, extend, max_leaves=8)


def _samples(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    out = {}
    for name, r in _RANGES.items():
        if r.whole:
            values = rng.integers(r.low, r.high + 1, n).astype(np.float64)
        else:
            values = rng.uniform(r.low, r.high, n).astype(np.float32)
            values[:4] = [r.low, r.high, 0.0 if r.low <= 0 <= r.high else r.low, r.high]
        out[name] = values
    out["f"] = rng.integers(0, 2, n).astype(bool)
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(_expressions(), st.integers(0, 2**32 - 1))
def test_an_accepted_expression_is_finite_on_sampled_points(source, seed):
    try:
        expr = compile_expr(source, variables=_VARS, expect=NUM)
        bounds = prove_finite(expr, _RANGES)
    except ExprError:
        return
    values = expr.evaluate(_samples(np.random.default_rng(seed), 2000))
    assert np.isfinite(values).all(), source
    slack = 1e-9 * np.maximum(1.0, np.abs(values))  # the bounds are not rounded outwards
    assert (values >= bounds.lo - slack).all() and (values <= bounds.hi + slack).all(), source
