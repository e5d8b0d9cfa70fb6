"""The epoch-boundary protocol: what the engine asks of a mechanism between two kernel runs.

A mechanism that reads other citizens, or decides something once per epoch, keeps its state in
one object of its own module (``mechanisms/<name>.py``) that answers :class:`Stage`. The engine
(``engine/stages.py``) builds it once from the scenario, hands every call the :class:`World` (the
arrays every stage reads, and the metric rows they append to), and calls it in DESIGN.md's
order; docs/architecture.md ("Adding a mechanism") gives the recipe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from scsim.core.metrics import GROUPS, MARGINALS
from scsim.core.vocabulary import ColumnType

from .attributes import CitizenArrays, cell_codes


@dataclass
class World:
    """What every stage reads: the population and its state arrays (shared, updated in place by
    the kernel and the stages), the run's constants, and the metric rows the stages append."""

    pop: Any  # population.Population
    si: np.ndarray  # the kernel's integer state (core.layout)
    sf: np.ndarray  # the kernel's float state
    n_rec: np.ndarray  # records per citizen and event kind
    kinds: tuple[str, ...]  # the event kinds, in n_rec's order
    seed: int
    start: dt.date
    province: np.ndarray  # of residence
    cell: np.ndarray
    group: np.ndarray  # base group (hukou × migrant) now
    weight: float  # real people per agent
    arrays: Callable[[int], CitizenArrays]  # the citizen variables as in ``year``, every stage's
    graph: Any = None  # the friendship graph (population.graph.Graph), None without one
    flow_group: np.ndarray | None = None  # the base group at the epoch's start (flows' group)
    relocated: np.ndarray = field(  # who moved or converted in the last epoch (indices)
        default_factory=lambda: np.zeros(0, dtype=np.int64)
    )
    rows: list[tuple] = field(default_factory=list)  # (date, metric, group, category, value)

    def __post_init__(self) -> None:
        if self.flow_group is None:
            self.flow_group = self.group

    def relocate(self, who: np.ndarray) -> None:
        """The citizens ``who`` (indices) moved or changed registration: their cells and base
        groups anew, and they join ``relocated`` (reset by the engine at each epoch end)."""
        if who.size:
            pop = self.pop
            self.cell[who] = cell_codes(pop, who)
            self.group[who] = (pop.hukou_urban[who].astype(np.uint8) << 1) | pop.migrant[who]
            self.relocated = np.union1d(self.relocated, who)

    def day(self, date: dt.date) -> int:
        """The run's day after ``date`` (the day a metric dated ``date`` is counted on)."""
        return (date - self.start).days + 1

    def emit(self, date: dt.date, metric: str, per_group: np.ndarray, category: str = "",
             denominator: np.ndarray | None = None) -> None:  # fmt: skip
        """One row per marginal of ``per_group`` (a value per base group): summed over the
        marginal's groups and scaled to real people, or divided by ``denominator``'s sum."""
        for name in MARGINALS:
            cells = list(GROUPS[name])
            value = per_group[cells].sum()
            if denominator is None:
                value *= self.weight
            else:
                den = denominator[cells].sum()
                value = value / den if den else 0.0
            self.rows.append((date, metric, name, category, float(value)))


@runtime_checkable
class Stage(Protocol):
    """One mechanism's state and rules at the epoch boundary. Its metrics are declared in
    ``core/metrics.py``; ``tally`` appends their rows to ``world.rows``.

    Every stage class is built by ``build(spec, world, params)`` (a classmethod: the stage, or
    None when the scenario does not use the mechanism) and listed once in
    ``mechanisms/registry.py``, which gives the engine its order.

    Optional, beyond the methods below (the engine looks for them):

    - ``connect(stages)``: called once all stages are built, with them by ``kind``, for a stage
      that works on another's state (the composite score drops the friendship graph's ties);
    - ``start(world, day0, date)``: the state before the first epoch, like a model's setup
      (the composite score's first users and scores), called once before any ``begin_epoch``;
    - ``status`` (uint8 per citizen, set by ``begin_epoch``) and ``status_bits`` (how many
      low bits of it are used): the stage's codes in the measures' status index, which the
      engine shifts past the bits of the stages before it (the lists', then the composite
      bands).
    """

    kind: ClassVar[str]  # the mechanism's name: "lists", "composite", "graph", ...
    schemes: ClassVar[tuple[str, ...]]  # the `kind:`s of the scenario's schemes it implements

    @classmethod
    def bytes_per_citizen(cls, spec: Any) -> int:
        """What its state keeps per citizen during a run of ``spec`` (for the memory check)."""
        ...

    @classmethod
    def column_types(cls, spec: Any) -> dict[str, ColumnType]:
        """The citizens.parquet columns ``columns`` writes in a run of ``spec``, declared."""
        ...

    def change_dates(self) -> list[dt.date]:
        """Dates its rules change on (an epoch boundary falls on each)."""
        ...

    def begin_epoch(self, world: World, day0: int, date: dt.date) -> None:
        """Before the kernel runs the epoch starting on ``day0`` (``date``)."""
        ...

    def end_epoch(self, world: World, day0: int, day1: int, date0: dt.date,
                  date1: dt.date) -> None:  # fmt: skip
        """After the kernel ran the epoch [day0, day1) (``date1``: day1's date)."""
        ...

    def variables(self, world: World) -> dict[str, Callable]:
        """The ``CITIZEN`` variables it keeps, for rules: functions of the citizens asked for
        (a slice: all, or an index array)."""
        ...

    def tally(self, world: World, date: dt.date, year_end: bool) -> None:
        """Its metric rows for the epoch ending on ``date`` (its last day)."""
        ...

    def columns(self, end_day: int) -> dict:
        """Its citizens.parquet columns at the run's end."""
        ...

    def release(self) -> None:
        """Drop what only the simulation needed before the outputs are written."""
        ...


class MovesStage:
    """Moves at the epoch boundary (a :class:`Stage`): the kernel moves citizens between
    provinces within an epoch; at its end, a mover's residence restarts (``moved_in``) and their
    migrant status follows the new province (registration stays where it was), and the World
    regroups them (:meth:`World.relocate`). Always built: it is the World's own update."""

    kind: ClassVar[str] = "moves"  # (world.population's migration: not a scheme)
    schemes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, province: np.ndarray) -> None:
        self.province_before = province.copy()  # residence at the epoch's start

    @classmethod
    def build(cls, spec, world: World, params) -> MovesStage:
        return cls(world.province)

    @classmethod
    def bytes_per_citizen(cls, spec) -> int:
        return 0  # (the residence at the epoch's start: counted with the engine's own state)

    @classmethod
    def column_types(cls, spec) -> dict[str, ColumnType]:
        return {}

    def change_dates(self) -> list[dt.date]:
        return []

    def begin_epoch(self, world: World, day0: int, date: dt.date) -> None:
        self.province_before[:] = world.province

    def end_epoch(self, world: World, day0: int, day1: int, date0: dt.date,
                  date1: dt.date) -> None:  # fmt: skip
        pop, province = world.pop, world.province
        moved = province != self.province_before
        if moved.any():  # residence restarts; registration stays where it was
            pop.moved_in[moved] = (date1 - dt.timedelta(days=1)).year
            pop.migrant[moved] = province[moved] != pop.hukou_province[moved]
        world.relocate(np.flatnonzero(moved))

    def variables(self, world: World) -> dict[str, Callable]:
        return {}

    def tally(self, world: World, date: dt.date, year_end: bool) -> None:
        pass  # (migrants are hukou's metric; moves the event log's)

    def columns(self, end_day: int) -> dict:
        return {}

    def release(self) -> None:
        pass
