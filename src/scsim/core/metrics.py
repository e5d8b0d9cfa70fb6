"""The time-series metrics, declared: each metric's name, the groups it is written for and what
its category holds, organised by the mechanism that writes it.

``engine/metrics.py`` (the kernel's tallies) and ``engine/stages.py`` (the epoch-boundary stages)
write rows under these names; the scenario box checks calibration targets against them and the
scenario reference documents them. ``tests/test_metric_declarations.py`` runs every bundled
scenario and checks that what is written and what is declared agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from scsim.core.layout import GROUP_LABELS

# Marginal groups, as sums of the hukou x migrant cells (core.layout.GROUP_LABELS order).
GROUPS = {
    "all": (0, 1, 2, 3),
    "hukou=rural": (0, 1),
    "hukou=urban": (2, 3),
    "migrant=no": (0, 2),
    "migrant=yes": (1, 3),
    **{label: (g,) for g, label in enumerate(GROUP_LABELS)},
}
EVERY_GROUP = tuple(GROUPS)
MARGINALS = tuple(g for g in GROUPS if g not in GROUP_LABELS)  # all, hukou=..., migrant=...
ALL = ("all",)


@dataclass(frozen=True)
class Metric:
    name: str
    groups: tuple[str, ...]  # the groups it is written for
    category: str = ""  # what its category column holds ("" when it has one value per group)


# --- the engine's own tallies (the kernel, every run) -------------------------------------------
# Stocks and flows counted in people (weighted), then shares, then means of money per person.
COUNTS = (
    "population", "adults", "listed", "listed_wrongful", "scored", "new_listings",
    "new_listings_refusing", "exits_paid", "exits_expiry", "exits_no_assets", "escapes",
    "exits_listed", "exits_listed_paid", "exits_settlement", "exits_creditor",
    "exits_listed_escaped", "cases_opened", "cases_paid", "open_cases", "trapped",
)  # fmt: skip
SHARES = ("listed_share_adults",)
# Flows: counted anew in each epoch (the row dated at the epoch's end holds that epoch's count),
# so a sum over dates is a count over a period. Every other metric is a level on its date (a
# stock, a share, a mean). A `cumulative` or `flow` calibration target needs a flow; a `stock`
# target anything else.
FLOWS = frozenset({
    "new_listings", "new_listings_refusing", "exits_paid", "exits_expiry", "exits_no_assets",
    "escapes", "exits_listed", "exits_listed_paid", "exits_settlement", "exits_creditor",
    "exits_listed_escaped", "cases_opened", "cases_paid", "events_true", "events_recorded",
    "wrongful_records", "misattributed", "list_joined", "hukou_conversions", "ties_dropped",
    "trips_air", "trips_rail", "blocked_air", "blocked_rail",
})  # fmt: skip
# Ticket purchases by mode (core.vocabulary.TRAVEL_MODES): trips bought, and attempts a measure
# blocked, in person-times.
TRAVEL_METRICS = ("trips_air", "trips_rail", "blocked_air", "blocked_rail")
MEANS = ("wealth_mean", "income_mean", "debt_mean")
EVENT_METRICS = ("events_true", "events_recorded", "wrongful_records", "misattributed")
MEASURE_METRICS = ("sanctioned", "sanction_days")
# The composite score's quantiles, by metric name.
COMPOSITE_QUANTILES = {"composite_q10": 0.10, "composite_q25": 0.25, "composite_median": 0.5,
                       "composite_q75": 0.75, "composite_q90": 0.90}  # fmt: skip


def _each(names, groups, category: str = "") -> tuple[Metric, ...]:
    return tuple(Metric(name, groups, category) for name in names)


# Mechanism → the metrics it writes. When each is written (engine/metrics.written_metrics):
# "engine" always; "behaviour" when there are event kinds; "measures" when there are measures;
# "points" with a points scheme; "lists" with a black or red list; "composite" with a composite
# score; "travel" with an event kind whose consequence is a ticket purchase; "ties" with a
# composite score and a friendship graph; "graph" with a graph; "hukou"
# with hukou rights or conversions, "hukou rights" with rights, "hukou conversions" with
# conversion rules.
METRICS: dict[str, tuple[Metric, ...]] = {
    "lists": _each(("list_members", "list_joined"), MARGINALS, "list"),
    "composite": (
        *_each(("composite_users", "composite_mean", *COMPOSITE_QUANTILES), MARGINALS),
        *_each(("composite_band", "composite_band_share"), MARGINALS, "band"),
    ),
    "ties": (Metric("ties_dropped", MARGINALS),),
    "graph": (
        Metric("friends_mean", MARGINALS),
        # with a composite score too, at each year's end and the run's, once users have ties
        Metric("score_assortativity", ALL),
    ),
    "hukou rights": (Metric("rights_lacking", MARGINALS, "right"),),
    "hukou conversions": (Metric("hukou_conversions", MARGINALS),),
    "hukou": (Metric("migrants", MARGINALS),),
    "engine": _each((*COUNTS, *SHARES, *MEANS), EVERY_GROUP),
    "behaviour": _each(EVENT_METRICS, EVERY_GROUP, "event"),
    "measures": _each(MEASURE_METRICS, EVERY_GROUP, "measure"),
    "travel": _each(TRAVEL_METRICS, EVERY_GROUP),
    "points": (
        Metric("points_mean", EVERY_GROUP),  # daily for "all", per epoch for the others
        Metric("grade_count", EVERY_GROUP, "grade"),
        Metric("scored_daily", ALL),
    ),
}


def metric_vocabulary() -> dict[str, tuple[list[str], str]]:
    """Every time-series metric: (the groups it is written for, what its category holds or "")."""
    return {m.name: (list(m.groups), m.category) for metrics in METRICS.values() for m in metrics}
