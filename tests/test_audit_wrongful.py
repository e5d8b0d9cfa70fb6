"""Wrongful sanctions: a sanction that rests on records that were not the citizen's.

Hand-made rows with the bundled rongcheng scenario (its grade measures read ``grade``), one
planted misattributed deduction at a time, and one small simulated run checked against the
definition computed by hand. Every citizen here is synthetic.
"""

from __future__ import annotations

import numpy as np
import pytest

import scsim
from scsim.audit.metrics import audit
from scsim.results.outcome import citizen_column_types


@pytest.fixture(scope="module")
def rongcheng():
    return scsim.load("rongcheng")


def _grade_measures(spec):
    return {name: m for name, m in spec.measures.items() if not m.is_reward and "grade" in m.when}


def rows(spec, *, grade, own, listed, case_wrongful, flags):
    """Four adults of the rongcheng scenario; the grades as names, sanction flags by measure."""
    grades = [*spec.points_scheme()[1].grades, "unscored"]
    n = len(grade)
    cols = {
        "age": np.full(n, 40, dtype=np.int16),
        "hukou": (np.zeros(n, dtype=np.int8), ["rural", "urban"]),
        "scored": np.ones(n, dtype=bool),
        "grade": (np.array([grades.index(g) for g in grade], dtype=np.uint8), grades),
        "grade_own_records": (np.array([grades.index(g) for g in own], dtype=np.uint8), grades),
        "wrongful_points": np.zeros(n, dtype=np.int32),
        "listed": np.array(listed, dtype=bool),
        "case_wrongful": np.array(case_wrongful, dtype=bool),
        "has_child": np.zeros(n, dtype=bool),
    }
    for name in spec.measures:
        cols[f"sanction_{name}"] = np.array(flags.get(name, [False] * n), dtype=bool)
    return cols


def share(result, measure):
    (row,) = [r for r in result.rows("wrongful_sanction_share", category=measure)
              if r["group"] == "all"]  # fmt: skip
    return row["value"], row["n"]


def test_a_planted_misattributed_deduction_is_a_wrongful_sanction(rongcheng):
    spec = rongcheng.spec
    (low,) = [n for n, m in _grade_measures(spec).items() if "<=" in m.when]  # grade <= 'C'
    # Four adults at grade C, all under the measure. Citizen 0's own records give B: the
    # deduction that put them at C was someone else's. Citizen 1 is at C on their own records.
    cols = rows(
        spec,
        grade=["C", "C", "C", "C"],
        own=["B", "C", "C", "D"],
        listed=[False] * 4,
        case_wrongful=[False] * 4,
        flags={low: [True] * 4},
    )
    result = audit(cols, by=[], manifest={"scenario": rongcheng.resolved()})
    assert share(result, low) == (pytest.approx(1 / 4), 4)
    # Without the misattributed deduction nobody is wrongly sanctioned.
    cols["grade_own_records"] = cols["grade"]
    result = audit(cols, by=[], manifest={"scenario": rongcheng.resolved()})
    assert share(result, low) == (0.0, 4)


def test_a_listing_on_a_wrongful_case_counts_as_before():
    court = scsim.load("court-blacklist")
    (flight, *_) = [n for n, m in court.spec.measures.items() if m.when == "listed"]
    listed = np.array([True, True, True, False])
    cols = {
        "age": np.full(4, 40, dtype=np.int16),
        "hukou": (np.zeros(4, dtype=np.int8), ["rural", "urban"]),
        "listed": listed,
        "case_wrongful": np.array([True, False, False, False]),
        "has_child": np.zeros(4, dtype=bool),
        **{f"sanction_{name}": listed for name in court.spec.measures},
    }
    result = audit(cols, by=[], manifest={"scenario": court.resolved()})
    assert share(result, flight) == (pytest.approx(1 / 3), 3)
    # Without its scenario the audit falls back on the current case alone: the same answer.
    assert share(audit(cols, by=[]), flight) == (pytest.approx(1 / 3), 3)


def test_a_run_counts_what_the_definition_counts(rongcheng, runs_root):
    reform = rongcheng.reform({"observation.misattribution": 0.2})
    run = scsim.simulate(reform, population=20_000, out=runs_root)
    t = run.citizens(["grade", "grade_own_records", "wrongful_points", "points", "scored"])
    assert set(citizen_column_types(reform.spec)) >= {"grade_own_records", "wrongful_points"}
    wrongful = np.asarray(t.column("wrongful_points"))
    assert (wrongful != 0).sum() > 0  # the reform misattributes records
    result = audit(run, by=[])
    grades = [*reform.spec.points_scheme()[1].grades]
    rank = {g: k for k, g in enumerate(grades)}
    now = np.array([rank.get(g, -1) for g in t.column("grade").to_pylist()])
    own = np.array([rank.get(g, -1) for g in t.column("grade_own_records").to_pylist()])
    wrong_any = False
    for name, m in _grade_measures(reform.spec).items():
        flag = np.asarray(run.citizens([f"sanction_{name}"]).column(0))
        op, level = m.when.removeprefix("grade ").split(" ")
        assert op in ("<=", ">=")
        cut = rank[level.strip("'")]

        def holds(g, op=op, cut=cut):
            return (g >= 0) & (g <= cut) if op == "<=" else g >= cut

        expected = (holds(now) & ~holds(own) & flag).sum() / flag.sum()
        value, n = share(result, name)
        assert n == flag.sum()
        assert value == pytest.approx(expected)
        wrong_any |= expected > 0
    assert wrong_any  # the test would see a metric that counted nothing
