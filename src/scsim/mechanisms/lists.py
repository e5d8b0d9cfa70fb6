"""Sectoral black lists and red lists of model citizens, kept from records.

Besides the courts' list, dozens of agencies keep lists of their own: serious tax violators,
rail passengers who misbehave, and "red lists" of model citizens (volunteers, donors, award
winners) who get discounts, priority and public showcasing. Each is checked at every epoch end:
an eligible citizen with at least ``threshold`` records of the listed kinds in the current
calendar year (not counting those behind an earlier listing) joins for ``term_days``, unless on a list it ``excludes`` (red lists exclude the
blacklisted). Membership is enforced (reaches the measures) where the list's scope reaches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numba as nb
import numpy as np

from scsim.core.layout import NEVER
from scsim.rules import Expr, compile_expr
from scsim.scenario.schema import ListScheme
from scsim.scenario.vocabulary import BOOL, CITIZEN

from . import jurisdiction
from .attributes import subset


@dataclass
class ListState:
    """One list's rules and its members."""

    name: str
    spec: ListScheme
    kinds: np.ndarray  # event kind indices whose records count
    applies_to: Expr
    reach: jurisdiction.Reach
    place_draw: np.ndarray | None  # see jurisdiction.draws
    until: np.ndarray  # int16 per citizen: first day off the list (0: never listed)
    year_base: np.ndarray  # int32 per citizen: records counted before this calendar year
    n_listings: np.ndarray  # int16 per citizen
    enforced: np.ndarray  # bool per citizen, for the epoch under way

    @property
    def red(self) -> bool:
        return self.spec.kind == "redlist"

    def members(self, day: int, who=slice(None)) -> np.ndarray:
        """Whether each citizen (of ``who``, an index array, if given) is on the list on ``day``."""
        return self.until[who] > day

    def change_dates(self) -> list[dt.date]:
        return self.reach.change_dates() + self.spec.term_days.change_dates()


def prepare(
    lists: dict[str, ListScheme],
    kinds: tuple[str, ...],
    params,
    seed: int,
    start: dt.date,
    n: int,
    first_index: int,
) -> list[ListState]:
    citizens = np.arange(n, dtype=np.int64)
    out = []
    for j, (name, spec) in enumerate(lists.items()):
        out.append(
            ListState(
                name=name,
                spec=spec,
                kinds=np.array([kinds.index(k) for k in spec.records], dtype=np.int64),
                applies_to=compile_expr(
                    spec.applies_to, variables=CITIZEN, params=params, expect=BOOL
                ),  # fmt: skip
                reach=jurisdiction.prepare(spec.jurisdiction, start),
                place_draw=jurisdiction.draws(
                    seed, first_index + j, citizens, spec.jurisdiction
                ),  # fmt: skip
                until=np.zeros(n, dtype=np.int16),
                year_base=np.zeros(n, dtype=np.int32),
                n_listings=np.zeros(n, dtype=np.int16),
                enforced=np.zeros(n, dtype=bool),
            )
        )
    return out


def records(state: ListState, n_rec: np.ndarray) -> np.ndarray:
    """Records of the list's kinds so far (int32 per citizen)."""
    if state.kinds.size == 1:
        return n_rec[:, state.kinds[0]].astype(np.int32)
    return n_rec[:, state.kinds].sum(axis=1, dtype=np.int32)


def new_year(state: ListState, n_rec: np.ndarray) -> None:
    """A calendar year starts: records are counted afresh."""
    state.year_base[:] = records(state, n_rec)


def begin(state: ListState, day: int, n_rec: np.ndarray, province: np.ndarray) -> None:
    """Where the list starts on ``day``, records made before do not count."""
    starting = state.reach.start_day == day
    if starting.any():
        here = starting[province]
        state.year_base[here] = records(state, n_rec)[here]


def update(
    state: ListState,
    day: int,
    date: dt.date,
    n_rec: np.ndarray,
    arrays,
    excluded: np.ndarray | Callable[[np.ndarray], np.ndarray],
    province: np.ndarray,
    qualifying: np.ndarray | None = None,
) -> np.ndarray:
    """List whoever qualifies at the end of the epoch before ``day``; returns who joined.

    ``excluded`` is bool per citizen, or a function giving it for an index array of citizens;
    ``qualifying`` the citizens whose records reach the threshold and who are not members (see
    ``qualifiers``), when the caller has them. Coverage, exclusion and the rule ``applies_to``
    are asked of those alone: they are few.
    """
    last = date - dt.timedelta(days=1)  # the epoch's last day
    joined = np.zeros(province.size, dtype=bool)
    term = int(state.spec.term_days.at(last) or 0)
    if day >= state.reach.until_day or term <= 0:  # ended, or a repealed term: nobody joins
        return joined
    who = qualifiers([state], n_rec, day)[0] if qualifying is None else qualifying
    if who.size == 0:
        return joined
    draw = None if state.place_draw is None else state.place_draw[who]
    who = who[state.reach.covered(day - 1, last, province[who], draw)]
    who = who[~(excluded(who) if callable(excluded) else excluded[who])]
    who = who[np.broadcast_to(state.applies_to.evaluate(subset(arrays, who, province.size)),
                              who.shape)]  # fmt: skip
    state.until[who] = min(day + term, NEVER)
    state.n_listings[who] += 1
    state.year_base[who] = records(state, n_rec[who])  # those records do not count again
    joined[who] = True
    return joined


def qualifiers(states: list[ListState], n_rec: np.ndarray, day: int) -> list[np.ndarray]:
    """Per list, the citizens (indices) whose records of its kinds this calendar year reach its
    threshold and who are not on it on ``day``: one pass over the records for all the lists."""
    kinds = np.full((len(states), max(s.kinds.size for s in states)), -1, dtype=np.int64)
    for j, state in enumerate(states):
        kinds[j, : state.kinds.size] = state.kinds
    thresholds = np.array([s.spec.threshold for s in states], dtype=np.int64)
    bits = np.empty(n_rec.shape[0], dtype=np.uint8)
    _qualifying(n_rec, kinds, thresholds, tuple(s.year_base for s in states),
                tuple(s.until for s in states), day, bits)  # fmt: skip
    return [np.flatnonzero(bits & np.uint8(1 << j)) for j in range(len(states))]


def enforce(state: ListState, day: int, date: dt.date, province: np.ndarray) -> np.ndarray:
    """Members the list reaches in the epoch starting on ``day`` (stored in ``enforced``)."""
    if state.reach.scope == "national":  # members are reached wherever they live
        state.enforced = state.members(day) & (day < state.reach.until_day)
    else:
        state.enforced = state.members(day) & state.reach.covered(
            day, date, province, state.place_draw
        )
    return state.enforced


@nb.njit(cache=True, parallel=True)
def _qualifying(n_rec, kinds, thresholds, year_base, until, day, out):
    """Bit j of ``out``: list j's records this year reach its threshold, and not a member."""
    for i in nb.prange(n_rec.shape[0]):
        bits = 0
        for j in range(kinds.shape[0]):
            if until[j][i] > day:
                continue
            total = 0
            for k in kinds[j]:
                if k >= 0:
                    total += n_rec[i, k]
            if total - year_base[j][i] >= thresholds[j]:
                bits |= 1 << j
        out[i] = bits
