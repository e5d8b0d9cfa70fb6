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
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numba as nb
import numpy as np

from scsim.core.layout import LISTED, NEVER, STAGE
from scsim.core.vocabulary import FLAG, N_PROVINCES, NUMBER, ColumnType
from scsim.rules import Expr, compile_expr
from scsim.scenario.schema import ListScheme
from scsim.scenario.vocabulary import BOOL, CITIZEN

from . import jurisdiction
from .attributes import subset, take
from .stage import World
from .tally import HISTOGRAM_CHUNKS, _adults_by_province, histogram

NOBODY = 1 << 40  # a threshold no count of records reaches (counts are uint16)


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
        return (self.reach.change_dates() + self.spec.term_days.change_dates()
                + self.spec.threshold.change_dates())  # fmt: skip

    def threshold(self, day: dt.date) -> int:
        """Records that make a citizen join on ``day``; a repealed threshold lets nobody in."""
        value = self.spec.threshold.at(day)
        return NOBODY if value is None else int(value)


class ListsStage:
    """The black and red lists at the epoch boundary (a :class:`~scsim.mechanisms.stage.Stage`):
    their states, the red-listed share of each province, and who joined at the last epoch end.
    Built only when the scenario has lists (:meth:`build`)."""

    kind: ClassVar[str] = "lists"
    schemes: ClassVar[tuple[str, ...]] = ("blacklist", "redlist")
    first_index: ClassVar[int] = 1  # list j draws its places with scheme index 1 + j

    def __init__(self, states: list[ListState]) -> None:
        self.states = states
        self.status = np.zeros(0, dtype=np.uint8)  # bit j: list j reaches the citizen this epoch
        self.red_share = np.zeros(N_PROVINCES, dtype=np.float32)
        self.joined: dict[str, np.ndarray] = {}  # who joined each list at the last epoch end

    @classmethod
    def build(cls, spec, world: World, params) -> ListsStage | None:
        """The lists' stage, or None without lists; list j draws its places with scheme index
        ``first_index + j``."""
        lists = spec.lists()
        if not lists:
            return None
        states = prepare(lists, world.kinds, params, world.seed, world.start, len(world.pop),
                         cls.first_index)  # fmt: skip
        return cls(states)

    @classmethod
    def bytes_per_citizen(cls, spec) -> int:
        """Per list: its term end, year base, listings and place draw."""
        return 15 * len(spec.lists())

    @classmethod
    def column_types(cls, spec) -> dict[str, ColumnType]:
        """Per list: ``on_<list>`` (a member at the run's end), ``listings_<list>`` (times
        listed in the run)."""
        cols: dict[str, ColumnType] = {}
        for name in spec.lists():
            cols[f"on_{name}"], cols[f"listings_{name}"] = FLAG, NUMBER
        return cols

    @property
    def status_bits(self) -> int:
        """The low bits of ``status`` it uses: one per list."""
        return len(self.states)

    def change_dates(self) -> list[dt.date]:
        dates: list[dt.date] = []
        for state in self.states:
            dates += state.change_dates()
        return dates

    def begin_epoch(self, world: World, day0: int, date: dt.date) -> None:
        """Where a list starts, its residents' records restart; each list's reach of its
        members, as ``status`` bits (< 2**4 lists) for the measures."""
        status = np.zeros(len(world.pop), dtype=np.uint8)
        for j, state in enumerate(self.states):
            begin(state, day0, world.n_rec, world.province)
            status |= enforce(state, day0, date, world.province).view(np.uint8) << j
        self.status = status

    def end_epoch(self, world: World, day0: int, day1: int, date0: dt.date,
                  date1: dt.date) -> None:  # fmt: skip
        """Black lists, then red lists, take in whoever qualifies; records restart at a year's
        start; each province's red-listed share."""
        last = date1 - dt.timedelta(days=1)
        arrays = world.arrays(last.year)
        by_name = {s.name: s for s in self.states}
        qualifying = dict(
            zip(by_name, qualifiers(self.states, world.n_rec, day1, last), strict=True)
        )

        def excluded(who, names):
            out = np.zeros(who.size, dtype=bool)
            for name in names:  # another list (as updated so far), or the court list
                if name in by_name:
                    out |= by_name[name].members(day1, who)
                else:  # (the court list's listings do not change in end_epoch)
                    out |= world.si[who, STAGE] == LISTED
            return out

        joined = {}
        for state in sorted(self.states, key=lambda s: s.red):  # black lists first
            joined[state.name] = update(
                state, day1, date1, world.n_rec, arrays,
                functools.partial(excluded, names=state.spec.excludes),
                world.province, qualifying[state.name],
            )  # fmt: skip
            if date1.month == 1 and date1.day == 1:
                new_year(state, world.n_rec)
        self._red_share(world, day1, last.year)
        self.joined = joined

    def _red_share(self, world: World, day: int, year: int) -> None:
        """Each province's share of adults on a red list (what showcasing shows them)."""
        red = np.zeros(len(world.pop), dtype=bool)
        for state in self.states:
            if state.red:
                red |= state.members(day)
        chunks = np.zeros((HISTOGRAM_CHUNKS, 2, N_PROVINCES), dtype=np.int64)
        _adults_by_province(world.province, world.pop.birth_year, year - 18, red, chunks)
        adults, reds = chunks.sum(axis=0)
        self.red_share = (reds / np.maximum(adults, 1)).astype(np.float32)

    def variables(self, world: World) -> dict[str, Callable]:
        blacklists = [s for s in self.states if not s.red]
        redlists = [s for s in self.states if s.red]

        def member_of(states, ix):
            out = np.zeros(len(world.pop) if isinstance(ix, slice) else len(ix), dtype=bool)
            for state in states:
                out |= take(state.enforced, ix)
            return out

        return {
            "blacklisted": lambda ix: member_of(blacklists, ix),
            "red_listed": lambda ix: member_of(redlists, ix),
            "red_share": lambda ix: self.red_share[take(world.province, ix)],
        }

    def tally(self, world: World, date: dt.date, year_end: bool) -> None:
        """``list_members`` (by the group now) and ``list_joined`` (a flow: by the group at the
        epoch's start), from one histogram pass each over all the lists' bits."""
        day = world.day(date)
        n = len(world.pop)
        members = np.zeros(n, dtype=np.uint8)
        joins = np.zeros(n, dtype=np.uint8)
        for j, state in enumerate(self.states):
            members |= (state.until > day).view(np.uint8) << j
            joins |= self.joined[state.name].view(np.uint8) << j
        held = histogram(world.group, members, 1 << len(self.states))
        new = histogram(world.flow_group, joins, 1 << len(self.states))
        for j, state in enumerate(self.states):
            bit = (np.arange(held.shape[1]) >> j) & 1 == 1
            world.emit(date, "list_members", held[:, bit].sum(axis=1), state.name)
            world.emit(date, "list_joined", new[:, bit].sum(axis=1), state.name)

    def joins(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(citizen, list index, day the term ends) of the last epoch end's joins, list by
        list: the event log's rows."""
        who = [np.flatnonzero(self.joined.get(s.name, ())) for s in self.states]
        citizens = np.concatenate([np.zeros(0, dtype=np.int64), *who])
        kind = np.repeat(np.arange(len(who), dtype=np.int16), [w.size for w in who])
        until = np.concatenate(
            [np.zeros(0), *(s.until[w] for s, w in zip(self.states, who, strict=True))]
        ).astype(np.float64)
        return citizens, kind, until

    def columns(self, end_day: int) -> dict:
        cols: dict = {}
        for state in self.states:
            cols[f"on_{state.name}"] = state.until > end_day
            cols[f"listings_{state.name}"] = state.n_listings
        return cols

    def release(self) -> None:
        for state in self.states:
            state.place_draw = None


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
    who = qualifiers([state], n_rec, day, last)[0] if qualifying is None else qualifying
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


def qualifiers(states: list[ListState], n_rec: np.ndarray, day: int,
               last: dt.date) -> list[np.ndarray]:  # fmt: skip
    """Per list, the citizens (indices) whose records of its kinds this calendar year reach its
    threshold (in force on ``last``, the epoch's last day) and who are not on it on ``day``: one
    pass over the records for all the lists."""
    kinds = np.full((len(states), max(s.kinds.size for s in states)), -1, dtype=np.int64)
    for j, state in enumerate(states):
        kinds[j, : state.kinds.size] = state.kinds
    thresholds = np.array([s.threshold(last) for s in states], dtype=np.int64)
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
