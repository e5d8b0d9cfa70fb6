"""Checks on the Mesa 3 implementation of the traffic-points reference model (synthetic citizens)."""

import importlib.util
import math
import sys
from pathlib import Path

import pytest

pytest.importorskip("mesa")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "mesa_reference.py"
_spec = importlib.util.spec_from_file_location("mesa_reference", _PATH)
mr = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("mesa_reference", mr)
_spec.loader.exec_module(mr)

N, DAYS = 500, 60


@pytest.fixture(scope="module")
def small_run():
    return mr.run_mesa(N, days=DAYS, seed=7)


class _Always:
    """Stand-in for ``random.Random`` whose draws are always ``value``."""

    def __init__(self, value):
        self.value = value

    def random(self):
        return self.value


def _one_citizen(points, base_p, draw):
    model = mr.TrafficPointsModel(0, seed=0)
    citizen = mr.Citizen(model, base_p)
    citizen.points = points
    model.random = _Always(draw)
    return citizen


def test_invariants(small_run):
    assert small_run["max_points_seen"] <= mr.CAP_POINTS
    assert len(small_run["daily_mean_points"]) == DAYS
    daily = small_run["daily_grade_counts"]
    assert set(daily) == set(mr.GRADES)
    for day in range(DAYS):
        assert sum(daily[g][day] for g in mr.GRADES) == N
    assert sum(small_run["grade_counts_final"].values()) == N
    assert small_run["agent_steps_per_s"] > 0


def test_violations_match_analytic_expectation(small_run):
    # E[base_p] = shape * scale = 0.01 (clipping at 0.5 is negligible) and over 60 days the
    # points factor stays within about 1% of 1, so E[violations per citizen] ~= 60 * 0.01.
    expected = DAYS * mr.GAMMA_SHAPE * mr.GAMMA_SCALE
    se = math.sqrt(small_run["violations_var"] / N)
    assert abs(small_run["violations_per_citizen"] - expected) < 4 * se + 0.01
    # mean points: start 1000, +2 for a clean 60 days, -5 per violation
    assert 990 < small_run["mean_points_final"] < 1002


def test_reproducible():
    a = mr.run_mesa(200, days=30, seed=3)
    b = mr.run_mesa(200, days=30, seed=3)
    c = mr.run_mesa(200, days=30, seed=4)
    assert a["daily_mean_points"] == b["daily_mean_points"]
    assert a["violations_per_citizen"] == b["violations_per_citizen"]
    assert (a["violations_per_citizen"], a["daily_mean_points"]) != (
        c["violations_per_citizen"],
        c["daily_mean_points"],
    )


def test_grade_boundaries():
    cases = {0: "D", 599: "D", 600: "C", 849: "C", 850: "B", 959: "B", 960: "A"}
    cases |= {1029: "A", 1030: "AA", 1049: "AA", 1050: "AAA"}
    for points, grade in cases.items():
        assert mr.grade_of(points) == grade


def test_clean_streak_reward_and_cap():
    citizen = _one_citizen(1000, 0.0, 0.5)
    for _ in range(59):
        citizen.step()
    assert citizen.points == 1001 and citizen.clean_days == 59
    citizen.step()
    assert citizen.points == 1002
    capped = _one_citizen(1049, 0.0, 0.5)
    for _ in range(90):
        capped.step()
    assert capped.points == mr.CAP_POINTS


def test_violation_costs_points_resets_streak_and_floors_at_zero():
    citizen = _one_citizen(1000, 0.01, 0.0)
    citizen.clean_days = 29
    citizen.step()
    assert (citizen.points, citizen.clean_days, citizen.violations) == (995, 0, 1)
    broke = _one_citizen(3, 0.5, 0.0)
    broke.step()
    assert broke.points == 0
