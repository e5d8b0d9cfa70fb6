"""A municipal points scheme (Rongcheng-style): base points, per-event deltas, recovery for clean
time, a cap and a floor, grade bands and consent (where and whom it reaches: mechanisms/jurisdiction).

The kernel functions act on one citizen; :func:`prepare` turns the scenario section into arrays;
:class:`PointsReachStage` decides at each epoch's start whom the scheme reaches (``ELIGIBLE``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numba as nb
import numpy as np

from scsim.core.layout import CLEAN_ANCHOR, ELIGIBLE, POINTS
from scsim.core.vocabulary import PROVINCE_NAMES, ColumnType
from scsim.rules import Expr, compile_expr
from scsim.scenario.schema import PointsScheme
from scsim.scenario.vocabulary import BOOL, CITIZEN

from . import jurisdiction
from .attributes import holds
from .stage import World

NO_CAP = 30_000  # without a cap, points stop here: the largest value the schema allows


@dataclass(frozen=True)
class PointsPlan:
    """A points scheme compiled to arrays; ``active`` is False when the scenario has none."""

    active: bool
    name: str
    grade_names: tuple[str, ...]
    grade_bounds: np.ndarray  # float64, lower bound of each band, ascending
    consent_required: bool
    spec: PointsScheme | None

    def base(self, day: dt.date) -> int:
        return int(round(self.spec.base.at(day) or 0)) if self.spec else 1000

    def floor(self, day: dt.date) -> int:
        return int(round(self.spec.floor.at(day) or 0)) if self.spec else 0

    def recovery(self, day: dt.date) -> tuple[int, int]:
        """(clean days, points per clean run) in force on ``day``; (1, 0) without recovery."""
        rec = self.spec.recovery if self.spec else None
        days = None if rec is None else rec.clean_days.at(day)
        if days is None:
            return 1, 0
        return int(days), int(rec.points.at(day) or 0)

    def cap(self, day: dt.date) -> int:
        if self.spec is None or self.spec.cap is None:
            return NO_CAP
        value = self.spec.cap.at(day)
        return NO_CAP if value is None else int(round(value))

    def deltas(self, kinds: list[str], day: dt.date) -> np.ndarray:
        """Points change per recorded event, per [province, kind], in force on ``day``: the
        scheme's deltas, where a province's ``local_deltas`` override them."""
        out = np.zeros((len(PROVINCE_NAMES), len(kinds)), dtype=np.int32)
        if self.spec is not None:
            for k, kind in enumerate(kinds):
                if kind in self.spec.deltas:
                    out[:, k] = int(round(self.spec.deltas[kind].at(day) or 0))
            for province, local in self.spec.local_deltas.items():
                row = PROVINCE_NAMES.index(province)
                for kind, delta in local.items():
                    out[row, kinds.index(kind)] = int(round(delta.at(day) or 0))
        return out

    def consent_share(self, day: dt.date) -> float:
        if self.spec is None or not self.spec.consent.required:
            return 1.0
        return self.spec.consent.share.at(day) or 0.0

    def min_base(self, start: dt.date, end: dt.date) -> int:
        """The lowest base in force at any time in [start, end] (it bounds deterrence)."""
        if self.spec is None:
            return 1000
        days = [start, *(d for d in self.spec.base.change_dates() if start <= d <= end)]
        return min(int(round(self.spec.base.at(d) or 0)) for d in days)

    def max_cap(self, start: dt.date, end: dt.date) -> int:
        if self.spec is None or self.spec.cap is None:
            return NO_CAP
        return int(round(self.spec.cap.max_over(start, end)))


def prepare(name: str | None, spec: PointsScheme | None, start: dt.date) -> PointsPlan:
    """Compile a points scheme (or its absence) into a plan."""
    if spec is None:
        return PointsPlan(
            False, "", ("none",), np.zeros(1), False, None,
        )  # fmt: skip
    return PointsPlan(
        active=True,
        name=name or "",
        grade_names=tuple(spec.grades),
        grade_bounds=np.array(list(spec.grades.values()), dtype=np.float64),
        consent_required=spec.consent.required,
        spec=spec,
    )


@nb.njit(inline="always", cache=True)
def grade_of(points, bounds):
    """Index of the grade band that ``points`` falls in (0 = lowest; below all bands is 0)."""
    g = 0
    for j in range(1, bounds.size):
        if points >= bounds[j]:
            g = j
    return g


@nb.njit(inline="always", cache=True)
def set_points(si, i, value, day, floor, cap, bounds, day0, points_day, grade_day):
    """Set a scored citizen's points (clamped) and book the change on ``day``'s daily tallies."""
    old = si[i, POINTS]
    new = min(max(value, floor), cap)
    if new != old:
        si[i, POINTS] = new
        points_day[day - day0] += new - old
        g_old = grade_of(old, bounds)
        g_new = grade_of(new, bounds)
        if g_old != g_new:
            grade_day[day - day0, g_old] -= 1
            grade_day[day - day0, g_new] += 1
    return new - old


@nb.njit(inline="always", cache=True)
def credit_recovery(si, i, day, rdays, rpoints, floor, cap, bounds, day0, points_day, grade_day):
    """Credit recovery for every full run of ``rdays`` clean days completed before ``day``.

    Each credit lands on the day its run completes; the anchor advances by whole runs, so a
    partial run carries over into the next epoch. Once at the cap, later credits change nothing.
    """
    anchor = si[i, CLEAN_ANCHOR]
    runs = (day - 1 - anchor) // rdays
    if runs <= 0:
        return
    si[i, CLEAN_ANCHOR] = anchor + runs * rdays
    old = si[i, POINTS]
    points = old
    g = grade_of(old, bounds)
    for j in range(1, runs + 1):
        new = min(max(points + rpoints, floor), cap)
        if new <= points:  # at the cap (points never exceed it: see the kernel's epoch start)
            break
        d = anchor + rdays * j - day0
        points_day[d] += new - points
        g_new = g
        while g_new + 1 < bounds.size and new >= bounds[g_new + 1]:
            g_new += 1
        if g_new != g:
            grade_day[d, g] -= 1
            grade_day[d, g_new] += 1
            g = g_new
        points = new
    si[i, POINTS] = points


@nb.njit(inline="always", cache=True)
def deduct_or_reward(si, i, day, delta, floor, cap, bounds, day0, points_day, grade_day):
    """Apply a recorded event's delta; a deduction also restarts the clean-day count."""
    set_points(si, i, si[i, POINTS] + delta, day, floor, cap, bounds, day0, points_day, grade_day)
    if delta < 0:
        si[i, CLEAN_ANCHOR] = day


class PointsReachStage:
    """The points scheme's reach at the epoch boundary (a :class:`~scsim.mechanisms.stage.Stage`):
    at each epoch's start, where the scheme is in force (rollout, coverage, scope:
    ``mechanisms/jurisdiction``) and whom its ``applies_to`` takes in, into ``si[:, ELIGIBLE]``
    for the kernel. Its metrics are the kernel's. Built only with a points scheme."""

    kind: ClassVar[str] = "points"
    schemes: ClassVar[tuple[str, ...]] = ("points",)
    scheme_index: ClassVar[int] = 0  # its places' draws (jurisdiction.draws)

    def __init__(self, spec: PointsScheme, reach: jurisdiction.Reach, draw: np.ndarray | None,
                 applies: Expr, n: int) -> None:  # fmt: skip
        self.spec = spec
        self.reach = reach
        self.draw = draw  # see jurisdiction.draws
        self.enrolled = np.zeros(n, dtype=bool)
        self.applies = applies

    @classmethod
    def build(cls, spec, world: World, params) -> PointsReachStage | None:
        """The points scheme's reach, or None without a points scheme."""
        scheme = spec.points_scheme()
        if scheme is None:
            return None
        scheme = scheme[1]
        n = len(world.pop)
        citizens = np.arange(n, dtype=np.int64)
        return cls(
            scheme,
            jurisdiction.prepare(scheme.jurisdiction, world.start),
            jurisdiction.draws(world.seed, cls.scheme_index, citizens, scheme.jurisdiction),
            compile_expr(scheme.applies_to, variables=CITIZEN, params=params, expect=BOOL),
            n,
        )

    @classmethod
    def bytes_per_citizen(cls, spec) -> int:
        return 0  # (its reach and draws: counted with the engine's own state)

    @classmethod
    def column_types(cls, spec) -> dict[str, ColumnType]:
        return {}  # (the points and grades are the kernel's: results/outcome.py)

    def change_dates(self) -> list[dt.date]:
        return self.reach.change_dates()

    def begin_epoch(self, world: World, day0: int, date: dt.date) -> None:
        """Who the scheme reaches in the epoch starting on ``day0`` (``ELIGIBLE``)."""
        reach = self.reach.enforced(day0, date, world.province, self.draw, self.enrolled)
        world.si[:, ELIGIBLE] = holds(self.applies, world.arrays(date.year), reach)

    def end_epoch(self, world: World, day0: int, day1: int, date0: dt.date,
                  date1: dt.date) -> None:  # fmt: skip
        pass

    def variables(self, world: World) -> dict[str, Callable]:
        return {}

    def tally(self, world: World, date: dt.date, year_end: bool) -> None:
        pass  # (the points metrics are the kernel's)

    def columns(self, end_day: int) -> dict:
        return {}

    def release(self) -> None:
        self.draw = None
