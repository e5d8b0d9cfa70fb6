"""Measures: joint sanctions and rewards keyed to list status and grade.

A measure's ``when`` condition reads only finite status (listed, scored, grade and the cell
attributes), so it is evaluated once, on every combination, into a lookup table holding the
1-based index of the clause that fired (0: the measure does not apply). The kernel looks a
citizen up at each epoch start (in ``flags``, every measure at once); the measure's effects then hold for the epoch:

- ``income_factor`` multiplies income (job bans, lost promotions);
- ``monthly_cost`` is spent from wealth each month (slow trains instead of flights; negative
  for discounts);
- ``pay_pressure`` adds to the monthly probability of paying an unpaid judgment;
- ``interest_add`` adds to the annual interest rate on debt (loans refused, informal credit);
- ``blocks`` turns a ticket purchase (an ``air_ticket`` or ``rail_ticket`` event) into a
  blocked purchase attempt. Whether a ban blocks is looked up again on the day of the attempt,
  with the citizen's list status of that day (the rest of the status as at the epoch start), so
  a debtor removed mid-month can buy and one listed mid-month cannot; with
  ``pay_pressure_per: blocked_attempt`` the ban's ``pay_pressure`` is a chance to pay at each
  blocked attempt instead of a monthly one.

A condition that reads ``grade`` never applies to a citizen who is not scored: the whole
condition, not only the comparison (``listed or grade <= 'C'`` does not apply to an unscored
listed debtor — write two measures for that).

Beyond the court list and the points scheme, a condition may read each black or red list by
its scheme name (true while on it and reached by it) and the composite score by its scheme name,
as an ordinal over its bands (a condition that reads it never applies to a non-user, as
with ``grade``). Those are packed per citizen into one
status index: list l is bit l, and the composite band code (0: not a user, else 1 + band) sits
above the list bits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from scsim.core.vocabulary import CELL_FLAGS, N_CELLS, TRAVEL_MODES, cell_domains
from scsim.rules import Expr, compile_expr
from scsim.scenario.schema import Effects, ScenarioSpec
from scsim.scenario.vocabulary import BOOL, status_names, status_variables


@dataclass(frozen=True)
class MeasurePlan:
    names: tuple[str, ...]
    conditions: tuple[Expr, ...]
    table: np.ndarray  # uint8 [measure, listed, scored, grade, cell, status]: clause + 1, or 0
    flags: np.ndarray  # int16 [listed, scored, grade, cell, status]: bit m set if measure m applies
    effects: tuple[Effects, ...]
    # int64 [air, rail, per attempt]: bit m set if measure m blocks the mode; bit m of the last
    # if its pay pressure is per blocked attempt (not monthly)
    travel: np.ndarray

    @property
    def n(self) -> int:
        return len(self.names)

    def change_dates(self) -> list[dt.date]:
        return [d for e in self.effects for p in e.params() for d in p.change_dates()]

    def effects_at(self, day: dt.date) -> EffectArrays:
        """Each measure's effects in force on ``day`` (a repealed effect does nothing)."""
        return EffectArrays(*(
            np.array([e.value(name, day) for e in self.effects], dtype=np.float64)
            for name in Effects.NAMES
        ))  # fmt: skip


class EffectArrays(NamedTuple):
    """The measures' effects on one day, one entry per measure (in ``Effects.NAMES`` order)."""

    income_factor: np.ndarray
    monthly_cost: np.ndarray
    pay_pressure: np.ndarray
    interest_add: np.ndarray


def status_size(n_lists: int, n_bands: int) -> int:
    """Values the per-citizen status index takes."""
    return (1 << n_lists) * (n_bands + 1)


def prepare(spec: ScenarioSpec, grade_names: tuple[str, ...], params) -> MeasurePlan:
    names = tuple(spec.measures)
    measures = tuple(spec.measures.values())
    _, list_names, composite = status_names(spec)
    variables = status_variables(grade_names, list_names, composite)
    conditions = tuple(
        compile_expr(m.when, variables=variables, params=params, expect=BOOL) for m in measures
    )
    n_grades = len(grade_names)
    n_bands = len(composite[1]) if composite else 0
    n_status = status_size(len(list_names), n_bands)
    shape = (2, 2, n_grades, N_CELLS, n_status)
    listed, scored, grade, cell, status = np.meshgrid(
        [False, True], [False, True], np.arange(n_grades), np.arange(N_CELLS),
        np.arange(n_status), indexing="ij",
    )  # fmt: skip
    cells = cell_domains()
    arrays = {"listed": listed, "scored": scored, "grade": grade}
    arrays.update({name: cells[name][cell] for name in CELL_FLAGS})
    arrays.update({name: (status >> j) & 1 == 1 for j, name in enumerate(list_names)})
    band_code = status >> len(list_names)
    if composite:
        arrays[composite[0]] = np.maximum(band_code - 1, 0)
    table = np.zeros((len(measures), *shape), dtype=np.uint8)
    for m, cond in enumerate(conditions):
        fired = np.broadcast_to(cond.which_clause(arrays), shape).astype(np.int16) + 1
        if "grade" in cond.reads:
            fired = np.where(scored, fired, 0)
        if composite and composite[0] in cond.reads:
            fired = np.where(band_code > 0, fired, 0)
        table[m] = fired
    flags = np.zeros(shape, dtype=np.int16)
    for m in range(len(measures)):
        flags |= (table[m] > 0).astype(np.int16) << m
    travel = np.zeros(len(TRAVEL_MODES) + 1, dtype=np.int64)
    for m, measure in enumerate(measures):
        for mode in measure.blocks:
            travel[TRAVEL_MODES.index(mode)] |= 1 << m
        if measure.pay_pressure_per == "blocked_attempt":
            travel[len(TRAVEL_MODES)] |= 1 << m
    return MeasurePlan(
        names=names,
        conditions=conditions,
        table=table,
        flags=flags,
        effects=tuple(m.effects for m in measures),
        travel=travel,
    )
