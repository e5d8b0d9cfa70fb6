"""Behaviour: what citizens do, as daily event probabilities per kind.

A citizen's daily probability of an event of kind k is

    base_k(date) x heterogeneity_ik x modifier_k(attributes_i) x eligible_k(attributes_i)
      x (1 - sensitivity_k x detection_ik) x (points_i / base) ** exponent_k

The first five factors change only at year starts and dated-parameter changes; the engine keeps
them as ``rates`` [kind, citizen]. The last factor, deterrence by one's own standing, is applied
inside the kernel by thinning against its largest possible value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numba as nb
import numpy as np

from scsim.core import rng
from scsim.core.errors import SimulationError
from scsim.core.layout import NEVER
from scsim.core.vocabulary import CONSEQUENCES, DYNAMIC
from scsim.rules import Expr, compile_expr
from scsim.rules.expr import BLOCK
from scsim.scenario.schema import Event, ScenarioSpec
from scsim.scenario.vocabulary import BOOL, CITIZEN, NUM


@dataclass(frozen=True)
class EventPlan:
    """The event catalogue compiled for the engine."""

    kinds: tuple[str, ...]
    events: tuple[Event, ...]
    modifiers: tuple[Expr, ...]
    eligible: tuple[Expr, ...]
    consequence: np.ndarray  # int8 index into CONSEQUENCES
    pay_within: np.ndarray  # int32 days
    sensitive: tuple[int, ...]  # kinds whose detection sensitivity is above 0 at some time

    @property
    def n(self) -> int:
        return len(self.kinds)

    def change_dates(self) -> list[dt.date]:
        dates: list[dt.date] = []
        for e in self.events:
            dates += _rate_param(e).change_dates()
            if e.amount is not None:
                dates += e.amount.median.change_dates() + e.amount.sigma.change_dates()
            dates += e.deterrence.points_exponent.change_dates()
            dates += e.deterrence.detection_sensitivity.change_dates()
            if (h := e.deterrence.habituation) is not None:
                dates += h.half_life_days.change_dates() + h.floor.change_dates()
        return dates

    def sensitivity_changes(self, day: dt.date) -> list[int]:
        """Kinds whose detection sensitivity takes a new value on ``day``."""
        return [
            k
            for k in self.sensitive
            if day in self.events[k].deterrence.detection_sensitivity.values
        ]

    def detection_sensitivity(self, day: dt.date) -> np.ndarray:
        return np.array([e.deterrence.detection_sensitivity.at(day) or 0.0 for e in self.events])

    def points_exponent(self, day: dt.date) -> np.ndarray:
        return np.array([e.deterrence.points_exponent.at(day) or 0.0 for e in self.events])

    def max_points_exponent(self, start: dt.date, end: dt.date) -> np.ndarray:
        return np.array([e.deterrence.points_exponent.max_over(start, end) for e in self.events])

    def base_probability(self, day: dt.date) -> np.ndarray:
        """Daily probability per kind before citizen factors, in force on ``day``."""
        return np.array([_daily(e, _rate_param(e).at(day)) for e in self.events])

    def bound_probability(self, start: dt.date, end: dt.date) -> np.ndarray:
        """The largest base probability per kind over the horizon (the thinning bound)."""
        return np.array([_daily(e, _rate_param(e).max_over(start, end)) for e in self.events])

    def ticket_kinds(self) -> list[int]:
        """Kinds whose events are ticket purchases (``air_ticket``, ``rail_ticket``)."""
        tickets = (CONSEQUENCES.index("air_ticket"), CONSEQUENCES.index("rail_ticket"))
        return [k for k in range(self.n) if self.consequence[k] in tickets]

    def year_bound(self, bound: np.ndarray, kinds: list[int], start: dt.date, end: dt.date,
                   year: int) -> np.ndarray:  # fmt: skip
        """``bound`` with the thinning bound of ``kinds`` lowered to the largest base probability
        of ``year`` (within [start, end]): valid when their next candidates are redrawn at every
        year start. Ticket purchases grow several-fold over a horizon; a bound from the busiest
        year would make most early candidates rejections."""
        out = bound.copy()
        lo, hi = max(start, dt.date(year, 1, 1)), min(end, dt.date(year, 12, 31))
        for k in kinds:
            out[k] = _daily(self.events[k], _rate_param(self.events[k]).max_over(lo, hi))
        return out

    def amount_median(self, day: dt.date) -> np.ndarray:
        return np.array(
            [(e.amount.median.at(day) or 0.0) if e.amount else 0.0 for e in self.events]
        )

    def amount_sigma(self, day: dt.date) -> np.ndarray:
        return np.array([(e.amount.sigma.at(day) or 0.0) if e.amount else 0.0 for e in self.events])

    def reads_dynamic(self) -> bool:
        return any(expr.reads & DYNAMIC for expr in self.modifiers + self.eligible)


def _rate_param(event: Event):
    return event.daily_probability if event.daily_probability is not None else event.annual_rate


def _daily(event: Event, value: float | None) -> float:
    if value is None:
        return 0.0
    if event.daily_probability is not None:
        return min(max(value, 0.0), 1.0)
    return float(-np.expm1(-max(value, 0.0) / 365.25))


def prepare(spec: ScenarioSpec, params: dict[str, float]) -> EventPlan:
    """Compile the catalogue; expressions were checked at load time, so this cannot fail."""
    kinds = tuple(spec.behaviour.events)
    events = tuple(spec.behaviour.events.values())
    return EventPlan(
        kinds=kinds,
        events=events,
        modifiers=tuple(
            compile_expr(e.modifier, variables=CITIZEN, params=params, expect=NUM) for e in events
        ),
        eligible=tuple(
            compile_expr(e.eligible, variables=CITIZEN, params=params, expect=BOOL) for e in events
        ),
        consequence=np.array([CONSEQUENCES.index(e.consequence) for e in events], dtype=np.int8),
        pay_within=np.array([e.pay_within_days for e in events], dtype=np.int32),
        sensitive=tuple(
            k for k, e in enumerate(events)
            if e.deterrence.detection_sensitivity.max_over(spec.world.start, spec.world.end) > 0
        ),
    )  # fmt: skip


@dataclass(frozen=True)
class Heterogeneity:
    """Per-citizen rate multipliers, drawn once: ``rows[row_of[k]]`` for kind k (-1: none)."""

    rows: np.ndarray  # float32 [kinds with heterogeneity, citizens] (a 1 x 1 dummy if none)
    row_of: np.ndarray  # int64 per kind


def heterogeneity(plan: EventPlan, seed: int, citizens: np.ndarray) -> Heterogeneity:
    """Draw the multipliers of the kinds that declare heterogeneity (Gamma, clipped)."""
    kinds = [k for k, event in enumerate(plan.events) if event.heterogeneity is not None]
    row_of = np.full(plan.n, -1, dtype=np.int64)
    if not kinds:
        return Heterogeneity(np.ones((1, 1), dtype=np.float32), row_of)
    rows = np.empty((len(kinds), citizens.size), dtype=np.float32)
    for row, k in enumerate(kinds):
        h = plan.events[k].heterogeneity
        stream = rng.KIND_STREAM_BASE * rng.Stream.HETEROGENEITY + k
        draw = rng.gamma_np(seed, stream, citizens, h.shape, h.scale)
        rows[row] = np.clip(draw, h.clip[0], h.clip[1])
        row_of[k] = row
    return Heterogeneity(rows, row_of)


RATE_BLOCK = BLOCK  # citizens per block when recomputing rates: expressions evaluate it whole


def citizen_rates(
    plan: EventPlan,
    arrays,
    het: Heterogeneity,
    detection: tuple[np.ndarray, np.ndarray, np.ndarray],
    rates: np.ndarray,
    next_due: np.ndarray,
    next_any: np.ndarray,
    kinds: list[int],
    bound_base: np.ndarray,
    sensitivity: np.ndarray,
    seed: int,
    day0: int,
) -> None:
    """Recompute ``rates[:, k]`` (the static rate factor) for each kind in ``kinds`` and, where
    it changed, draw a fresh next-candidate day from ``day0`` (valid: waiting times are
    memoryless), lowering ``next_any`` (a lower bound of each citizen's earliest day) with it.
    ``detection`` is (table [kind, province, cell], province, cell); ``sensitivity`` the
    detection sensitivity per kind in force.

    Block by block of citizens: the expressions of every kind are evaluated on the block while it
    is in cache, then one pass writes each citizen's row of rates for all those kinds.
    """
    if not kinds:
        return
    table, province, cell = detection
    n = rates.shape[0]
    kinds_arr = np.array(kinds, dtype=np.int64)
    reads = frozenset().union(*(plan.modifiers[k].reads | plan.eligible[k].reads for k in kinds))
    full = {name: np.asarray(arrays[name]) for name in reads}
    width = min(RATE_BLOCK, n)
    factor = np.empty((len(kinds), width))
    eligible = np.empty((len(kinds), width), dtype=np.bool_)
    for lo in range(0, n, RATE_BLOCK):
        hi = min(lo + RATE_BLOCK, n)
        part = {name: v[lo:hi] if v.ndim else v for name, v in full.items()}
        for j, k in enumerate(kinds):
            factor[j, : hi - lo] = plan.modifiers[k].evaluate(part)
            eligible[j, : hi - lo] = plan.eligible[k].evaluate(part)
            bad = ~np.isfinite(factor[j, : hi - lo]) & eligible[j, : hi - lo]
            if bad.any():  # (an ineligible citizen's rate is 0 whatever the modifier says)
                _not_finite(plan, k, part, factor[j, : hi - lo], bad)
        _update_rates(
            rates, next_due, next_any, lo, hi, kinds_arr, factor, eligible, het.rows, het.row_of,
            sensitivity, table, province, cell, bound_base, seed, day0,
        )  # fmt: skip


def _not_finite(
    plan: EventPlan, k: int, part: dict[str, np.ndarray], values: np.ndarray, bad: np.ndarray
):
    """Stop the run: a modifier gave NaN or infinity, which no probability can be made of."""
    first = int(np.flatnonzero(bad)[0])
    example = ", ".join(
        f"{name}={np.asarray(v)[first] if np.ndim(v) else v}" for name, v in sorted(part.items())
        if name in plan.modifiers[k].reads
    )  # fmt: skip
    raise SimulationError(
        f"behaviour.events.{plan.kinds[k]}.modifier {plan.modifiers[k].source!r} is "
        f"{values[first]} for a citizen with {example or 'any attributes'} — guard it, e.g. with "
        "max(...), min(...) or where(...), so that it is a finite number for every citizen"
    )


@nb.njit(cache=True, parallel=True)
def _update_rates(rates, next_due, next_any, lo, hi, kinds, factor, eligible, het, het_row,
                  sensitivity, detection, province, cell, bound_base, seed, day0):  # fmt: skip
    for i in nb.prange(lo, hi):
        b = i - lo
        for j in range(kinds.size):
            k = kinds[j]
            value = max(factor[j, b], 0.0) if eligible[j, b] else 0.0
            if het_row[k] >= 0:
                value *= het[het_row[k], i]
            if sensitivity[k] > 0.0:
                value *= 1.0 - sensitivity[k] * detection[k, province[i], cell[i]]
            new = np.float32(value)
            if new != rates[i, k]:
                rates[i, k] = new
                bound = min(1.0, bound_base[k] * new)
                stream = rng.KIND_STREAM_BASE * rng.Stream.REDRAW + k
                wait = rng.geometric_days(bound, rng.uniform_open(seed, stream, i, day0))
                next_due[i, k] = min(day0 - 1 + wait, NEVER)
                next_any[i] = min(next_any[i], next_due[i, k])


def yearly_kinds(plan: EventPlan) -> list[int]:
    """Kinds whose rate factor can change during a run (reads age, money or province)."""
    return [
        k
        for k in range(plan.n)
        if (plan.modifiers[k].reads | plan.eligible[k].reads) & DYNAMIC or k in plan.sensitive
    ]
