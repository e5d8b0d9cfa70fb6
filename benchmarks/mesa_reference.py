"""The "traffic points" reference model, written in idiomatic Mesa 3.

This is the yardstick for ``benchmarks/vs_mesa.py``: the same model is bundled with scsim as the
``mesa-reference`` scenario, and the two implementations must agree statistically (they use
different random number generators, so they agree in distribution, not draw for draw).

Every citizen is synthetic. Nothing here describes a real person or a real scoring system.

Model
-----
* ``N`` citizens, each starting at 1000 points with a clean-day counter of 0.
* Each citizen has a base violation propensity ``base_p ~ Gamma(shape=2, scale=0.005)``
  (mean 0.01 per day), clipped to ``[0, 0.5]``, drawn once at creation.
* Grades, by points: ``D < 600 <= C < 850 <= B < 960 <= A < 1030 <= AA < 1050 <= AAA``
  (so AAA means exactly the cap, 1050).

Daily semantics (day ``d = 1 .. days``), for every citizen independently:

1. ``p = base_p * (points / 1000) ** 4``, computed from the points at the *start* of the day.
2. With probability ``p`` the citizen commits one violation (at most one per day):
   ``points = max(points - 5, 0)`` and ``clean_days = 0``.
3. Otherwise ``clean_days += 1``; whenever ``clean_days`` reaches a multiple of 30
   (30, 60, 90, ...) the citizen earns ``points = min(points + 1, 1050)``.

At the end of each day (after every citizen has stepped) the model records the mean points and
the number of citizens in each grade. There is no record for day 0. Citizens do not interact,
so the activation order is irrelevant; ``AgentSet.do`` is used rather than ``shuffle_do`` so
that Mesa is not charged for a shuffle the model does not need.

Randomness: ``base_p`` comes from the model's numpy Generator (``Model.rng``), the daily
Bernoulli draws from the model's ``random.Random`` (``Model.random``); both are seeded from
``seed``, so a run is reproducible.
"""

from __future__ import annotations

import bisect
import time

import mesa
import numpy as np

START_POINTS = 1000
CAP_POINTS = 1050
VIOLATION_COST = 5
CLEAN_STREAK = 30
GAMMA_SHAPE = 2.0
GAMMA_SCALE = 0.005
BASE_P_MAX = 0.5
GRADES = ("D", "C", "B", "A", "AA", "AAA")
GRADE_LOWER_BOUNDS = (600, 850, 960, 1030, 1050)  # lower bound of C, B, A, AA, AAA


def grade_of(points: int) -> str:
    """Grade for a points value: D < 600 <= C < 850 <= B < 960 <= A < 1030 <= AA < 1050 <= AAA."""
    return GRADES[bisect.bisect_right(GRADE_LOWER_BOUNDS, points)]


class Citizen(mesa.Agent):
    """One synthetic citizen holding a points balance."""

    def __init__(self, model: TrafficPointsModel, base_p: float) -> None:
        super().__init__(model)
        self.base_p = base_p
        self.points = START_POINTS
        self.clean_days = 0
        self.violations = 0

    def step(self) -> None:
        p = self.base_p * (self.points / START_POINTS) ** 4
        if self.random.random() < p:
            self.points = max(self.points - VIOLATION_COST, 0)
            self.clean_days = 0
            self.violations += 1
        else:
            self.clean_days += 1
            if self.clean_days % CLEAN_STREAK == 0:
                self.points = min(self.points + 1, CAP_POINTS)


class TrafficPointsModel(mesa.Model):
    """The reference model: ``n_agents`` independent citizens, one step per day."""

    def __init__(self, n_agents: int, seed: int = 0) -> None:
        super().__init__(seed=seed)
        base_p = np.clip(self.rng.gamma(GAMMA_SHAPE, GAMMA_SCALE, size=n_agents), 0.0, BASE_P_MAX)
        for b in base_p.tolist():
            Citizen(self, b)
        self.mean_points = float(START_POINTS)
        self.grade_counts = dict.fromkeys(GRADES, 0)
        self.max_points_seen = START_POINTS
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "mean_points": "mean_points",
                **{g: (lambda m, g=g: m.grade_counts[g]) for g in GRADES},
            }
        )

    def _tally(self) -> None:
        points = self.agents.get("points")
        self.mean_points = sum(points) / len(points)
        counts = dict.fromkeys(GRADES, 0)
        for pts in points:
            counts[grade_of(pts)] += 1
        self.grade_counts = counts
        self.max_points_seen = max(self.max_points_seen, max(points))

    def step(self) -> None:
        self.agents.do("step")
        self._tally()
        self.datacollector.collect(self)


def run_mesa(n_agents: int, days: int = 365, seed: int = 0) -> dict:
    """Build and run the Mesa reference model; return throughput and summary statistics.

    ``wall_s`` times the ``days`` model steps (agent steps plus daily data collection), not
    agent creation, matching scsim's ``simulate_s`` which excludes population synthesis.
    ``agent_steps_per_s = n_agents * days / wall_s``.

    Besides the keys below the dict carries ``setup_s`` and the per-citizen sample variances
    ``violations_var`` and ``points_var_final`` (ddof=1) used by the agreement test, the daily
    grade counts ``daily_grade_counts`` and ``max_points_seen`` (highest end-of-day points).
    """
    t0 = time.perf_counter()
    model = TrafficPointsModel(n_agents, seed=seed)
    t1 = time.perf_counter()
    for _ in range(days):
        model.step()
    wall_s = time.perf_counter() - t1

    df = model.datacollector.get_model_vars_dataframe()
    violations = np.asarray(model.agents.get("violations"), dtype=np.float64)
    points = np.asarray(model.agents.get("points"), dtype=np.float64)
    ddof = 1 if n_agents > 1 else 0
    return {
        "agent_steps_per_s": n_agents * days / wall_s if wall_s > 0 else float("inf"),
        "wall_s": wall_s,
        "setup_s": t1 - t0,
        "mean_points_final": float(points.mean()),
        "violations_per_citizen": float(violations.mean()),
        "violations_var": float(violations.var(ddof=ddof)),
        "points_var_final": float(points.var(ddof=ddof)),
        "daily_mean_points": [float(x) for x in df["mean_points"]],
        "daily_grade_counts": {g: [int(x) for x in df[g]] for g in GRADES},
        "grade_counts_final": {g: int(df[g].iloc[-1]) for g in GRADES} if days else {},
        "max_points_seen": int(model.max_points_seen),
    }


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Run the Mesa traffic-points reference model.")
    parser.add_argument("--agents", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    res = run_mesa(args.agents, args.days, args.seed)
    print(f"agents={args.agents} days={args.days} seed={args.seed}")
    print(f"wall_s={res['wall_s']:.2f}  agent_steps_per_s={res['agent_steps_per_s']:,.0f}")
    print(f"mean_points_final={res['mean_points_final']:.3f}")
    print(f"violations_per_citizen={res['violations_per_citizen']:.4f}")
    print(f"grade_counts_final={res['grade_counts_final']}")
