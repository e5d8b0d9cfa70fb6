"""The registry: every mechanism the engine runs at the epoch boundary, listed once.

Each entry is a :class:`~scsim.mechanisms.stage.Stage` class in its own module. The engine
(``engine/stages.py``) builds the ones a scenario uses, in :data:`STAGES`'s order, and calls
them in that order at an epoch's start (the lists first: the rules after them may read
memberships); their metric rows and citizens.parquet columns follow the same order. At an
epoch's end it calls them in :data:`CLOSING`'s order: residence and registration change first
(moves, then hukou conversions), because the lists and the score read them.

The scheme kinds a scenario can name (``schemes.<name>.kind``) are implemented either by a stage
(its ``schemes``) or by the kernel itself (:data:`KERNEL_SCHEMES`); a test holds this registry
to the schema's kinds. Adding a mechanism (docs/architecture.md): its module, one line here, its
schema section and its docs.
"""

from __future__ import annotations

from .composite import CompositeStage, FriendsStage
from .hukou import HukouStage
from .lists import ListsStage
from .points import PointsReachStage
from .stage import MovesStage, Stage, World

STAGES: tuple[type[Stage], ...] = (
    ListsStage,  # black and red lists
    CompositeStage,  # a private composite score (and its users' tie drops)
    FriendsStage,  # the friendship graph
    PointsReachStage,  # a points scheme's reach (its points change in the kernel)
    HukouStage,  # hukou rights and conversions
    MovesStage,  # moves between provinces (always)
)
# The order of end_epoch, by kind (a stage without a part in it is left out: the points
# scheme's reach is decided at an epoch's start only).
CLOSING: tuple[str, ...] = ("moves", "hukou", "lists", "composite", "graph")
# Scheme kinds the kernel runs itself, day by day, without a stage: the court list's cases.
KERNEL_SCHEMES: tuple[str, ...] = ("court_list",)
# What the engine keeps per citizen for the stages besides their own state: the measures'
# status index, the moves' residence at the epoch's start, hukou's rights lacked and costs.
BASE_BYTES_PER_CITIZEN = 16


def build(spec, world: World, params) -> list[Stage]:
    """The stages ``spec`` uses, in :data:`STAGES`'s order, connected to each other."""
    stages = [s for s in (cls.build(spec, world, params) for cls in STAGES) if s is not None]
    by_kind = {stage.kind: stage for stage in stages}
    for stage in stages:
        connect = getattr(stage, "connect", None)
        if connect is not None:
            connect(by_kind)
    return stages


def closing(stages: list[Stage]) -> list[Stage]:
    """``stages`` in the order of an epoch's end (:data:`CLOSING`)."""
    by_kind = {stage.kind: stage for stage in stages}
    return [by_kind[kind] for kind in CLOSING if kind in by_kind]


def scheme_kinds() -> set[str]:
    """Every scheme kind something implements."""
    return {kind for cls in STAGES for kind in cls.schemes} | set(KERNEL_SCHEMES)


def column_types(spec) -> dict:
    """The citizens.parquet columns the stages a run of ``spec`` builds write, declared
    (``core.vocabulary.ColumnType`` by name, in the stages' order)."""
    cols: dict = {}
    for cls in STAGES:
        cols.update(cls.column_types(spec))  # (none from a stage the run does not build)
    return cols


def bytes_per_citizen(spec) -> int:
    """What the stages keep per citizen during a run of ``spec`` (the graph aside: see
    population.graph.estimate_bytes)."""
    return BASE_BYTES_PER_CITIZEN + sum(cls.bytes_per_citizen(spec) for cls in STAGES)
