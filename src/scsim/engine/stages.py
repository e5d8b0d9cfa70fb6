"""The epoch-boundary stages: what changes between two runs of the kernel.

The kernel advances citizens independently within an epoch. Everything that reads other
citizens, or that is decided once per epoch, happens here, in DESIGN.md's order:

- at an epoch's start: who each scheme reaches (rollout, coverage, scope), who the points
  scheme applies to, list memberships and composite bands as the measures will read them, and
  the monthly cost of the hukou rights each citizen lacks;
- at an epoch's end: moves and hukou conversions update residence and registration; black
  lists, then red lists, take in whoever qualifies; the composite score is recomputed (with the
  friends' scores of the last epoch) and users drop ties to low scorers; metrics are tallied.

All of it is whole-array numpy or numba over citizens, keyed by counter-based draws, so results
do not depend on threads or shards.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from scsim.core.errors import SimulationError
from scsim.core.layout import ELIGIBLE, LISTED, STAGE
from scsim.engine.kernel import LOG_LIST_JOINED
from scsim.mechanisms import jurisdiction, tally
from scsim.mechanisms.attributes import CitizenArrays, cell_codes, holds, take
from scsim.mechanisms.composite import CompositeStage, CompositeState, FriendsStage
from scsim.mechanisms.hukou import HukouStage
from scsim.mechanisms.lists import ListsStage, ListState
from scsim.mechanisms.stage import World
from scsim.population.graph import estimate_bytes
from scsim.rules import compile_expr
from scsim.scenario.schema import ScenarioSpec
from scsim.scenario.vocabulary import BOOL, CITIZEN


class Stages:
    """Epoch-boundary state and updates for the schemes beyond the kernel's. The lists, the
    composite score, the friendship graph and hukou keep theirs in their own stages
    (``mechanisms.lists.ListsStage``, ``mechanisms.composite.CompositeStage`` and
    ``FriendsStage``, ``mechanisms.hukou.HukouStage``, each a ``mechanisms.stage.Stage``); the
    points scheme's reach is still here, and the moves (residence, and the cells and groups of
    those who moved or converted: the World every stage reads) stay here."""

    def __init__(self, spec: ScenarioSpec, params, pop, sf, si, n_rec, kinds, seed: int,
                 start: dt.date, province, cell, group, pts_spec, graph) -> None:  # fmt: skip
        n = len(pop)
        self.spec, self.pop, self.sf, self.si, self.n_rec = spec, pop, sf, si, n_rec
        self.kinds, self.seed, self.start = kinds, seed, start
        self.province, self.cell, self.group = province, cell, group
        self.weight = pop.weight
        self.world = World(pop=pop, si=si, sf=sf, n_rec=n_rec, kinds=kinds, seed=seed,
                           start=start, province=province, cell=cell, group=group,
                           weight=pop.weight, arrays=self.arrays)  # fmt: skip
        citizens = np.arange(n, dtype=np.int64)
        self.pts_spec = pts_spec
        if pts_spec is not None:
            self.pts_reach = jurisdiction.prepare(pts_spec.jurisdiction, start)
            self.pts_draw = jurisdiction.draws(seed, 0, citizens, pts_spec.jurisdiction)
            self.pts_enrolled = np.zeros(n, dtype=bool)
            self.pts_applies = compile_expr(
                pts_spec.applies_to, variables=CITIZEN, params=params, expect=BOOL
            )
        self.list_stage = ListsStage.build(spec.lists(), self.world, params, first_index=1)
        self.friends = FriendsStage.build(graph)
        self.composite_stage = CompositeStage.build(spec.composite(), self.world, params,
                                                    self.friends, scheme_index=9)  # fmt: skip
        self.hukou_stage = HukouStage.build(spec.hukou, self.world, params)
        self.status = np.zeros(n, dtype=np.uint8)  # the measures' status index
        self._no_cost = np.zeros(n, dtype=np.float32)  # (without hukou rights)
        self.province_before = province.copy()
        self.rows = self.world.rows  # the stages' metric rows
        self.flow_group = group

    @property
    def lists(self) -> list[ListState]:
        """The black and red lists' states (none without lists)."""
        return [] if self.list_stage is None else self.list_stage.states

    @property
    def composite(self) -> CompositeState | None:
        """The composite score's state (None without one)."""
        return None if self.composite_stage is None else self.composite_stage.state

    @property
    def lacking(self) -> np.ndarray:
        """The hukou rights each citizen lacks (bit r: right r; none without hukou rules)."""
        return (
            np.zeros(len(self.pop), np.uint8)
            if self.hukou_stage is None
            else self.hukou_stage.lacking
        )

    @property
    def citizen_cost(self) -> np.ndarray:
        """What the rights each citizen lacks cost them a month (float32), for the kernel."""
        return self._no_cost if self.hukou_stage is None else self.hukou_stage.citizen_cost

    @property
    def converted(self) -> np.ndarray:
        """Who obtained a local urban hukou in the run (none without hukou rules)."""
        return (
            np.zeros(len(self.pop), bool)
            if self.hukou_stage is None
            else self.hukou_stage.converted
        )

    @property
    def relocated(self) -> np.ndarray:
        """Who moved or converted in the last epoch (indices)."""
        return self.world.relocated

    @property
    def friends_initial(self) -> np.ndarray | None:
        """Each citizen's number of friends at the start (None without a graph)."""
        return None if self.friends is None else self.friends.initial

    @property
    def degree(self) -> np.ndarray | None:
        """Each citizen's number of friends now (None without a graph)."""
        return None if self.friends is None else self.friends.degree

    # -- what expressions read ---------------------------------------------------------------

    def variables(self) -> dict:
        """The state variables of ``CITIZEN``, for CitizenArrays: functions of the citizens
        asked for (all, or an index array). Without lists, ``blacklisted``, ``red_listed`` and
        ``red_share`` read as CitizenArrays' defaults: nobody, 0."""
        variables = {"listed": lambda ix: take(self.si[:, STAGE], ix) == LISTED}  # court list
        for stage in (self.list_stage, self.composite_stage, self.friends):
            if stage is not None:
                variables.update(stage.variables(self.world))
        return variables

    def arrays(self, year: int) -> CitizenArrays:
        return CitizenArrays(self.pop, self.sf, self.province, year, state=self)

    def change_dates(self) -> list[dt.date]:
        dates = [] if self.hukou_stage is None else self.hukou_stage.change_dates()
        if self.pts_spec is not None:
            dates += self.pts_reach.change_dates()
        if self.list_stage is not None:
            dates += self.list_stage.change_dates()
        if self.composite_stage is not None:
            dates += self.composite_stage.change_dates()
        return dates

    # -- epoch start -------------------------------------------------------------------------

    def begin_epoch(self, day0: int, date: dt.date) -> None:
        n = len(self.pop)
        status = np.zeros(n, dtype=np.uint8)  # < 2**4 lists x 8 band codes
        if self.list_stage is not None:  # first: the rules below may read memberships
            self.list_stage.begin_epoch(self.world, day0, date)
            status |= self.list_stage.status
        if self.composite_stage is not None:
            self.composite_stage.begin_epoch(self.world, day0, date)
            status |= self.composite_stage.status << np.uint8(len(self.lists))
        self.status = status
        if self.pts_spec is not None:
            arrays = self.arrays(date.year)
            reach = self.pts_reach.enforced(
                day0, date, self.province, self.pts_draw, self.pts_enrolled
            )
            self.si[:, ELIGIBLE] = holds(self.pts_applies, arrays, reach)
        if self.hukou_stage is not None:
            self.hukou_stage.begin_epoch(self.world, day0, date)
        self.province_before[:] = self.province

    def first_scores(self, day0: int, date: dt.date) -> None:
        """Score the users at the run's start (before the first epoch's measures)."""
        if self.composite_stage is not None:
            self.composite_stage.start(self.world, day0, date)

    # -- epoch end ---------------------------------------------------------------------------

    def end_epoch(
        self, day0: int, day1: int, date0: dt.date, date1: dt.date, last_epoch: bool = False
    ) -> None:
        """Everything decided at the end of the epoch [day0, day1); ``date1`` is day1's date."""
        pop = self.pop
        last = date1 - dt.timedelta(days=1)
        # flows are counted where the citizen came from
        self.flow_group = self.world.flow_group = self.group.copy()
        moved = self.province != self.province_before
        if moved.any():  # residence restarts; registration stays where it was
            pop.moved_in[moved] = last.year
            pop.migrant[moved] = self.province[moved] != pop.hukou_province[moved]
        if self.hukou_stage is not None:  # conversions, after the moves
            self.hukou_stage.end_epoch(self.world, day0, day1, date0, date1)
            changed = np.flatnonzero(moved | self.hukou_stage.converted_now)
        else:
            changed = np.flatnonzero(moved)
        self.world.relocated = changed  # (whose rights the hukou stage asks again)
        if changed.size:
            self.cell[changed] = cell_codes(pop, changed)
            self.group[changed] = (pop.hukou_urban[changed].astype(np.uint8) << 1) | pop.migrant[
                changed
            ]

        if self.list_stage is not None:
            self.list_stage.end_epoch(self.world, day0, day1, date0, date1)

        if self.composite_stage is not None:
            self.composite_stage.end_epoch(self.world, day0, day1, date0, date1)
        self._tally(last, year_end=last_epoch or (date1.month, date1.day) == (1, 1))

    def list_joins(self, day: int) -> tuple[np.ndarray, ...]:
        """Event-log rows (day, citizen, code, kind, value) of the last epoch end's list joins,
        dated ``day`` (its last day): kind is the list's index, value the day its term ends."""
        if self.list_stage is None:
            citizens = np.zeros(0, dtype=np.int64)
            kind, until = np.zeros(0, dtype=np.int16), np.zeros(0, dtype=np.float64)
        else:
            citizens, kind, until = self.list_stage.joins()
        return (
            np.full(citizens.size, day, dtype=np.int32),
            citizens,
            np.full(citizens.size, LOG_LIST_JOINED, dtype=np.int8),
            kind,
            until,
        )

    # -- metrics -----------------------------------------------------------------------------

    _sums = staticmethod(tally.sums)

    def _emit(self, date, metric, per_group: np.ndarray, category: str = "",
              denominator: np.ndarray | None = None) -> None:  # fmt: skip
        self.world.emit(date, metric, per_group, category, denominator)

    def _tally(self, date, year_end: bool) -> None:
        """The stages' metrics, each family from one histogram pass per [group, code]."""
        for stage in (self.list_stage, self.composite_stage, self.friends, self.hukou_stage):
            if stage is not None:
                stage.tally(self.world, date, year_end)

    def release(self) -> None:
        """Drop what only the simulation needed (the graph, the draws) before writing."""
        self.pts_draw = None
        if self.list_stage is not None:
            self.list_stage.release()
        for stage in (self.composite_stage, self.friends):
            if stage is not None:
                stage.release()

    # -- outputs -----------------------------------------------------------------------------

    def citizen_columns(self, end_day: int) -> dict:
        cols: dict = {} if self.list_stage is None else self.list_stage.columns(end_day)
        for stage in (self.composite_stage, self.friends, self.hukou_stage):
            if stage is not None:
                cols.update(stage.columns(end_day))
        return cols


def bytes_per_citizen(spec: ScenarioSpec) -> int:
    """What the stages keep per citizen during a run (the graph aside: see graph.estimate_bytes):
    per list its term end, year base, listings and place draw; the composite's draws, score,
    dimensions and ties; the status index, rights and costs."""
    size = 16 + 15 * len(spec.lists())
    if spec.composite() is not None:
        size += 40 + 4 * len(spec.composite()[1].dimensions)
    if spec.world.population.graph is not None:
        size += 12  # degrees before and now
    return size


def check_graph_fits(spec: ScenarioSpec, n: int, free: int) -> None:
    """Stop before building a friendship graph that will not fit in memory."""
    graph = spec.world.population.graph
    if graph is None:
        return
    need = estimate_bytes(n, graph.mean_degree)
    if need > 0.5 * free:
        raise SimulationError(
            f"world.population.graph: a friendship graph of {n:,} agents with mean_degree "
            f"{graph.mean_degree:g} needs about {need / 2**30:.1f} GiB to build, more than half "
            f"of the {free / 2**30:.1f} GiB free — lower mean_degree or use a smaller --population"
        )
