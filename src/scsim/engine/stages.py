"""The epoch-boundary stages: what changes between two runs of the kernel.

The kernel advances citizens independently within an epoch. Everything that reads other
citizens, or that is decided once per epoch, happens here, in one mechanism stage after another
(each a ``mechanisms.stage.Stage``, in its own module), in DESIGN.md's order:

- at an epoch's start: list memberships as the measures will read them (first: the rules after
  may read them) and the composite bands (the measures' ``status`` index); who the points
  scheme reaches and applies to (rollout, coverage, scope); the monthly cost of the hukou rights
  each citizen lacks;
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
from scsim.core.layout import LISTED, STAGE
from scsim.engine.kernel import LOG_LIST_JOINED
from scsim.mechanisms import registry, tally
from scsim.mechanisms.attributes import CitizenArrays, take
from scsim.mechanisms.composite import CompositeState
from scsim.mechanisms.lists import ListState
from scsim.mechanisms.stage import Stage, World
from scsim.population.graph import estimate_bytes
from scsim.scenario.schema import ScenarioSpec


class Stages:
    """The epoch-boundary stages of a run (``mechanisms.registry.STAGES``: the black and red
    lists, the composite score, the friendship graph, the points scheme's reach, hukou rights and
    conversions, moves), called in turn; a stage the scenario does not use is not built. The
    attributes below are views of their state."""

    def __init__(self, spec: ScenarioSpec, params, pop, sf, si, n_rec, kinds, seed: int,
                 start: dt.date, province, cell, group, pts_spec, graph) -> None:  # fmt: skip
        n = len(pop)
        self.spec, self.pop, self.sf, self.si, self.n_rec = spec, pop, sf, si, n_rec
        self.kinds, self.seed, self.start = kinds, seed, start
        self.province, self.cell, self.group = province, cell, group
        self.weight = pop.weight
        self.world = World(pop=pop, si=si, sf=sf, n_rec=n_rec, kinds=kinds, seed=seed,
                           start=start, province=province, cell=cell, group=group,
                           weight=pop.weight, arrays=self.arrays, graph=graph)  # fmt: skip
        self.pts_spec = pts_spec
        # The order of every call but end_epoch (the registry's), and of the metric rows and
        # columns; at an epoch's end, residence and registration first (registry.CLOSING).
        self.stages: list[Stage] = registry.build(spec, self.world, params)
        self.closing: list[Stage] = registry.closing(self.stages)
        self.by_kind: dict[str, Stage] = {stage.kind: stage for stage in self.stages}
        self.status = np.zeros(n, dtype=np.uint8)  # the measures' status index
        self._no_cost = np.zeros(n, dtype=np.float32)  # (without hukou rights)
        self.rows = self.world.rows  # the stages' metric rows

    # -- the stages' state, as the engine, the outputs and the tests read it -----------------

    @property
    def list_stage(self):
        return self.by_kind.get("lists")

    @property
    def composite_stage(self):
        return self.by_kind.get("composite")

    @property
    def friends(self):
        return self.by_kind.get("graph")

    @property
    def points_stage(self):
        return self.by_kind.get("points")

    @property
    def hukou_stage(self):
        return self.by_kind.get("hukou")

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
        if self.hukou_stage is None:
            return np.zeros(len(self.pop), np.uint8)
        return self.hukou_stage.lacking

    @property
    def citizen_cost(self) -> np.ndarray:
        """What the rights each citizen lacks cost them a month (float32), for the kernel."""
        return self._no_cost if self.hukou_stage is None else self.hukou_stage.citizen_cost

    @property
    def converted(self) -> np.ndarray:
        """Who obtained a local urban hukou in the run (none without hukou rules)."""
        if self.hukou_stage is None:
            return np.zeros(len(self.pop), bool)
        return self.hukou_stage.converted

    @property
    def relocated(self) -> np.ndarray:
        """Who moved or converted in the last epoch (indices)."""
        return self.world.relocated

    @property
    def flow_group(self) -> np.ndarray:
        """The base group at the last epoch's start (flows are counted where citizens came
        from)."""
        return self.world.flow_group

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
        for stage in self.stages:
            variables.update(stage.variables(self.world))
        return variables

    def arrays(self, year: int) -> CitizenArrays:
        return CitizenArrays(self.pop, self.sf, self.province, year, state=self)

    def change_dates(self) -> list[dt.date]:
        return [d for stage in self.stages for d in stage.change_dates()]

    # -- the run's start, an epoch's start and end -------------------------------------------

    def first_scores(self, day0: int, date: dt.date) -> None:
        """The stages' state before the first epoch (the composite score's first users and
        scores): each stage's optional ``start``."""
        for stage in self.stages:
            start = getattr(stage, "start", None)
            if start is not None:
                start(self.world, day0, date)

    def begin_epoch(self, day0: int, date: dt.date) -> None:
        """Each stage's ``begin_epoch``; the ``status`` index from the stages' status bits, each
        stage's past those of the stages before it (< 2**4 lists x 8 band codes)."""
        status = np.zeros(len(self.pop), dtype=np.uint8)
        shift = 0
        for stage in self.stages:
            stage.begin_epoch(self.world, day0, date)
            bits = getattr(stage, "status_bits", 0)
            if bits:
                status |= stage.status << np.uint8(shift)
                shift += bits
        self.status = status

    def end_epoch(
        self, day0: int, day1: int, date0: dt.date, date1: dt.date, last_epoch: bool = False
    ) -> None:
        """Everything decided at the end of the epoch [day0, day1) (``date1``: day1's date),
        then the stages' metric rows, dated its last day."""
        world = self.world
        world.flow_group = self.group.copy()  # flows are counted where the citizen came from
        world.relocated = np.zeros(0, dtype=np.int64)  # (the moves and conversions add theirs)
        for stage in self.closing:
            stage.end_epoch(world, day0, day1, date0, date1)
        last = date1 - dt.timedelta(days=1)
        year_end = last_epoch or (date1.month, date1.day) == (1, 1)
        for stage in self.stages:
            stage.tally(world, last, year_end)

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

    _sums = staticmethod(tally.sums)

    def release(self) -> None:
        """Drop what only the simulation needed (the graph, the draws) before writing."""
        for stage in self.stages:
            stage.release()

    # -- outputs -----------------------------------------------------------------------------

    def citizen_columns(self, end_day: int) -> dict:
        cols: dict = {}
        for stage in self.stages:
            cols.update(stage.columns(end_day))
        return cols


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
