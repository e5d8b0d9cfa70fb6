"""The scenario schema: pydantic v2 models, strict, unknown keys forbidden, cross-references checked.

A scenario names a world (horizon, seed, population), a catalogue of behaviour events, what the
authorities observe, the schemes in force (a points scheme, the court list), the measures keyed
to their outcomes, the economy, calibration targets and named reforms. Every number that a
reader may want to source is a :class:`Param`: dated values, a unit, a label and references;
the range its values may take is a :class:`Bounds` on the field that holds it.
"""

from __future__ import annotations

import datetime as dt
import math
import types
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import core_schema

from scsim.scenario.errors import PathError, PathErrors, describe, did_you_mean

EPOCH_START = dt.date(1900, 1, 1)  # the date a plain number takes effect: always in force
SEED_MAX = 2**63 - 1  # keys the uint64 RNG (core/rng.py); int64 so that DuckDB can read it
MAX_DAYS = 32_000  # the longest horizon: day indices are int16 (core/layout.py)
MAX_POINTS = 30_000  # points are int16 too
# Ranges beyond which a number can only be a slip (and would overflow the engine's float state).
MAX_YUAN = 1e9  # any amount of money in yuan: a monthly cost, a median fine
MAX_INCOME_FACTOR = 100.0  # a measure's multiplier of income
MAX_EXPONENT = 20.0  # the deterrence exponent on points / base
MAX_RATE = 1.0  # a yearly rate of interest or of income growth: 100% a year
MAX_MULTIPLIER = 1e9  # a heterogeneity draw's parameters and clip: float32 holds the products
MAX_REAL_POPULATION = 1e10  # real persons the agents stand for: more than the world has
MAX_LOG_SIGMA = 5.0  # the spread of log(amount): exp(5) is a factor of 150 per standard deviation
MAX_EVENT_RATE = 36_525.0  # events per year: 100 a day, a daily probability of 1 in float64
MAX_WEIGHT = 1e6  # a composite dimension's weight and the declared sum of the weights


class Strict(BaseModel):
    """Base for every scenario model: strict types, unknown keys rejected, immutable.

    Each model carries its own documentation, which scsim.docsgen.reference renders as
    docs/scenario-reference.md: a ``model_config`` title, the first paragraph of its docstring
    (Markdown; further paragraphs are notes for readers of the code) and a
    ``Field(description=...)`` for every field.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class Reference(Strict):
    """A source for a value."""

    model_config = ConfigDict(title="Reference")

    title: str = Field(description="What the source is and what it says.")
    href: str = Field("", description="Where to find it: a URL, or a path in the repository.")
    verified: bool = Field(description="Whether the value was seen in the cited source.")


class Param(Strict):
    """A number with dated values, a label, a unit and references. Write either a plain number (in
    force at all times) or a mapping with these keys. A value holds from its date until the next
    one; `null` repeals (nothing is in force from that date, and nothing is before the first date;
    the mechanisms then use 0, except where a key says otherwise). Every date on which a value
    changes starts a new epoch, so the new value takes effect on its own day. A mapping with
    `value` instead of `values` holds one value at all times (`{value: 0.4, reference: [...]}`: a
    plain number with its source). Numbers written in quotes are errors. The key that holds a
    parameter gives the range of its values in the Allowed column (`null` is always allowed).

    The field that holds a parameter gives the range of its values, finite ones only, as
    ``Annotated[Param, Bounds(...)]``; every value is checked there, so that all the values out
    of range are reported together.
    """

    # Bounds reports .nan and .inf at the value
    model_config = ConfigDict(title="Dated parameter", allow_inf_nan=True)

    label: str = Field("", description="What the number is.")
    unit: str = Field("", description="Its unit (`day`, `yuan`, `probability`, `1/year`, ...).")
    values: dict[dt.date, float | None] = Field(
        description="Date → value (`null` repeals); at least one entry."
    )
    reference: list[Reference] = Field([], description="Sources for the values.")

    @model_validator(mode="before")
    @classmethod
    def _plain_number(cls, data: object) -> object:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"values": {EPOCH_START: float(data)}}
        if isinstance(data, dict) and "value" in data:  # one value, in force at all times
            if "values" in data:
                raise PathError(("value",), "write either 'value' or dated 'values', not both")
            data = dict(data)
            value = data.pop("value")
            return {**data, "values": {EPOCH_START: value}}
        if isinstance(data, dict):
            return data
        expected = "expected a number or a dated parameter (a mapping with 'values')"
        hint = " — remove the quotes" if isinstance(data, str) and _is_number(data) else ""
        raise PathError((), f"{expected}, got {describe(data)}{hint}")

    @model_validator(mode="after")
    def _has_a_value(self) -> Param:
        if not self.values:
            raise PathError(("values",), "a parameter needs at least one dated value")
        return self

    def at(self, day: dt.date) -> float | None:
        """The value in force on ``day`` (None before the first date or after a repeal)."""
        current = None
        for start in sorted(self.values):
            if start > day:
                break
            current = self.values[start]
        return current

    def change_dates(self) -> list[dt.date]:
        """The dates on which this parameter takes a new value."""
        return sorted(d for d in self.values if d != EPOCH_START)

    def max_over(self, start: dt.date, end: dt.date) -> float:
        """The largest value in force at any time in [start, end] (0 where repealed)."""
        candidates = [self.at(start)] + [
            v for d, v in self.values.items() if start <= d <= end and v is not None
        ]
        return max((v for v in candidates if v is not None), default=0.0)

    @property
    def sourced(self) -> bool:
        return bool(self.reference)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _param(value: float, *, source: str | None = None) -> Param:
    """A default parameter; ``source`` names the section of docs/sources.md that says why."""
    if source is None:
        return Param.model_validate(value)
    reference = DEFAULT_SOURCES[source]
    return Param(values={EPOCH_START: float(value)}, reference=[reference])


DEFAULT_SOURCES = {
    "defaults-off": Reference(
        title="scsim default: the effect is off unless the scenario sets it (no claim about "
        "the world)",
        href="docs/sources.md#defaults-off",
        verified=False,
    ),
    **{
        anchor: Reference(
            title=f"scsim default, a modelling assumption without a source ({what})",
            href=f"docs/sources.md#{anchor}",
            verified=False,
        )
        for anchor, what in (
            ("assumption-court-list", "court list"),
            ("assumption-lists", "black and red lists"),
            ("assumption-point-values", "points schemes"),
        )
    },
}


def _number(value: float) -> str:
    """A number as a message writes it: 30, 60.5, -0.35, 30,000, .nan."""
    if not math.isfinite(value):
        return ".nan" if math.isnan(value) else f"{'-' if value < 0 else ''}.inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return repr(float(value))


@dataclass(frozen=True)
class Bounds:
    """The range of every value of a dated parameter: ``Annotated[Param, Bounds(0, 1)]``.

    ``null`` (a repeal) is always allowed. A value out of range is reported at the value.
    """

    low: float | None = None
    high: float | None = None
    above_low: bool = False  # the low end itself is excluded
    whole: bool = False

    def allows(self, value: float) -> bool:
        """Whether ``value`` is finite and lies in the range."""
        if not math.isfinite(value) or (self.whole and not float(value).is_integer()):
            return False
        if self.low is not None and (value <= self.low if self.above_low else value < self.low):
            return False
        return self.high is None or value <= self.high

    def problem(self, value: float | None) -> str:
        """What is wrong with ``value`` ("must be between 0 and 1, got 1.5"), or "".

        Only numbers are judged: anything else is a type error, reported by validation.
        """
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or self.allows(value):
            return ""
        return f"must be {self.describe()}, got {_number(value)}"

    def clip(self, value: float) -> float:
        """``value`` moved into the range (to its nearest end; a whole number rounded). An
        excluded low end is kept out by the caller (a scale factor above 0)."""
        if self.low is not None:
            value = max(value, self.low)
        if self.high is not None:
            value = min(value, self.high)
        return float(round(value)) if self.whole else float(value)

    def describe(self) -> str:
        """The range in words: "between 0 and 1", "a whole number from 0 to 32,000"."""
        low, high = self.low, self.high
        if low is not None and high is not None and not self.above_low:
            text = f"{'from' if self.whole else 'between'} {_number(low)} "
            text += f"{'to' if self.whole else 'and'} {_number(high)}"
        elif low is not None and high is not None:
            text = f"more than {_number(low)} and at most {_number(high)}"
        elif low is not None:
            text = f"more than {_number(low)}" if self.above_low else f"{_number(low)} or more"
        elif high is not None:
            text = f"{_number(high)} or less"
        else:
            text = "a finite number"
        return f"a whole number {text}" if self.whole else text

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_wrap_validator_function(self._validate, handler(source))

    def _validate(self, data: object, handler: Callable[[object], Param]) -> Param:
        param = handler(data)
        errors = [
            # a plain number is reported where it is written; a dated value at its date
            PathError(
                ("values", day) if isinstance(data, dict | Param) else (), message, at_value=True
            )
            for day, value in param.values.items()
            if (message := self.problem(value))
        ]
        if errors:
            raise PathErrors(errors)
        return param


# The ranges of the dated parameters, by what they measure.
ProbabilityParam = Annotated[Param, Bounds(0, 1)]  # also shares of people or of income
RateParam = Annotated[Param, Bounds(0, MAX_EVENT_RATE)]  # events per year
InterestParam = Annotated[Param, Bounds(0, MAX_RATE)]  # interest per year
DaysParam = Annotated[Param, Bounds(0, MAX_DAYS, whole=True)]
YuanParam = Annotated[Param, Bounds(0, MAX_YUAN)]
POINTS_BOUNDS = Bounds(-MAX_POINTS, MAX_POINTS)  # points are int16 in the engine
PointsParam = Annotated[Param, POINTS_BOUNDS]
GrowthParam = Annotated[Param, Bounds(-1, MAX_RATE, above_low=True)]  # a yearly rate of change

Expression = Annotated[str, Field(min_length=1)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]


# ---------------------------------------------------------------------------------------------
# World


class GraphSpec(Strict):
    """The friendship network, built with the population when this key is present. Each citizen
    draws a target number of ties from a heavy-tailed (Pareto) law; each tie is drawn with
    homophily, preferring partners of the same province, hukou type and income quintile. Ties are
    undirected and change during a run only when composite-score users drop low scorers (`ties`).
    The `friends` variable and a composite score's `friends.score` and `friends.count` inputs read
    it. A run stops before building a graph that needs more than half the free memory.

    Built by population/graph.py: heavy-tailed degrees, homophily.
    """

    model_config = ConfigDict(title="Friendship graph")

    mean_degree: Annotated[float, Field(gt=0, le=500)] = Field(
        8.0,
        description=(
            "Target mean number of ties per citizen. The realised mean is a little lower "
            "(self-picks and repeated pairs are dropped), most so in small populations. Not "
            "above `max_degree` (checked when the graph is built)."
        ),
    )
    tail: Annotated[float, Field(gt=1, le=10)] = Field(
        2.5,
        description=(
            "Exponent of the degree law: the share of citizens with d ties falls as d ^ −tail. "
            "Lower values give more hubs; friendship and contact networks show 2 to 3."
        ),
    )
    max_degree: Annotated[int, Field(ge=1, le=100_000)] = Field(
        1000,
        description=(
            "Cap on a citizen's target number of ties; a realised degree can exceed it by a few "
            "times √max_degree."
        ),
    )
    homophily_province: Probability = Field(
        0.7,
        description=(
            "Probability that a tie not kept within the cell (see `homophily_cell`) is still "
            "drawn from the citizen's province of residence; otherwise the partner comes from "
            "the whole population."
        ),
    )
    homophily_cell: Probability = Field(
        0.5,
        description=(
            "Probability that a tie is drawn from the citizen's own cell: same province of "
            "residence, hukou type (rural or urban) and income quintile (minors count in the "
            "lowest)."
        ),
    )
    reference: list[Reference] = Field([], description="Sources for the network's parameters.")

    @model_validator(mode="after")
    def _degrees(self) -> GraphSpec:
        if self.mean_degree >= self.max_degree:
            raise PathError(
                ("mean_degree",),
                f"the mean degree must be below max_degree ({self.max_degree}) — raise "
                "max_degree or lower mean_degree",
            )
        return self


class PopulationSpec(Strict):
    """The synthetic population, drawn from 2020 census marginals (see
    [modelling.md](modelling.md#population))."""

    model_config = ConfigDict(title="Population")

    agents: Annotated[int, Field(gt=0, le=2_000_000_000)] = Field(
        100_000, description="Agents simulated; `scsim run --population/-n` overrides it."
    )
    provinces: list[str] | None = Field(
        None,
        description=(
            "Provinces of residence to draw citizens from, by 2020 census population; not set "
            "means all 31."
        ),
    )
    real_population: Annotated[float, Field(gt=0, le=MAX_REAL_POPULATION)] | None = Field(
        None,
        description=(
            "Real persons the agents stand for (default: the 2020 census population of the "
            "chosen provinces). Counts in timeseries.parquet are multiplied by real_population / "
            "agents."
        ),
    )
    graph: GraphSpec | None = Field(
        None,
        description=(
            "The friendship network; not set means none (then `friends` reads 0 and a composite "
            "score's `friends.*` inputs read as no friends)."
        ),
    )


class World(Strict):
    """The horizon, the seed, the synthetic population and the epoch length."""

    model_config = ConfigDict(title="World")

    start: dt.date = Field(description="First simulated day.")
    end: dt.date = Field(
        description=(
            "Last simulated day (inclusive): after `start` and at most 32,000 days later (day "
            "indices are int16). `scsim run --until/--days` may stop earlier."
        )
    )
    seed: int = Field(1, description="Seed of every random draw; `scsim run --seed` overrides it.")
    population: PopulationSpec = Field(PopulationSpec(), description="The synthetic population.")
    epoch: Literal["month", "quarter", "year"] = Field(
        "month",
        description=(
            "Synchronisation period. Epochs start on the first day of each calendar month, "
            "quarter or year, and on every date a dated value changes. Measures, court "
            "enforcement, the economy and the epoch metrics advance once per epoch. A scenario "
            "in which misattribution can happen runs in monthly epochs whatever this says (its "
            "records are delivered in the next calendar month)."
        ),
    )

    @field_validator("seed")
    @classmethod
    def _seed_in_range(cls, seed: int) -> int:
        if not 0 <= seed <= SEED_MAX:
            raise ValueError(
                f"a seed is a whole number from 0 to 2**63 - 1 ({SEED_MAX}), got {seed}"
            )
        return seed

    @model_validator(mode="after")
    def _ordered(self) -> World:
        if self.end <= self.start:
            raise PathError(("end",), f"the horizon must end after it starts ({self.start})")
        if (self.end - self.start).days > 32_000:
            raise PathError(("end",), "horizons are limited to 32,000 days (about 87 years)")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


# ---------------------------------------------------------------------------------------------
# Behaviour


class Heterogeneity(Strict):
    """A per-citizen multiplier of the event probability, drawn once per citizen and kind from
    Gamma(shape, scale) and clipped."""

    model_config = ConfigDict(title="Heterogeneity")

    shape: Annotated[float, Field(gt=0, le=MAX_MULTIPLIER)] = Field(
        description="Gamma shape k (the mean is k × scale)."
    )
    scale: Annotated[float, Field(gt=0, le=MAX_MULTIPLIER)] = Field(description="Gamma scale θ.")
    clip: Annotated[
        list[Annotated[float, Field(ge=0, le=MAX_MULTIPLIER)]], Field(min_length=2, max_length=2)
    ] = Field(
        [
            0.0,
            MAX_MULTIPLIER,
        ],
        description="[low, high] bounds applied after the draw.",
    )

    @model_validator(mode="after")
    def _clip_ordered(self) -> Heterogeneity:
        if self.clip[1] < self.clip[0]:
            raise PathError(("clip", 1), "the upper clip bound is below the lower one")
        return self


class Amount(Strict):
    """A money amount in yuan, log-normal: median × exp(sigma × z), z standard normal."""

    model_config = ConfigDict(title="Amount")

    median: YuanParam = Field(description="Median in yuan (the value in force at the epoch start).")
    sigma: Annotated[Param, Bounds(0, MAX_LOG_SIGMA)] = Field(
        _param(0.0, source="defaults-off"),
        description=(
            "Standard deviation of log(amount), in force at the epoch start; 0 gives the median "
            "exactly."
        ),
    )


class Habituation(Strict):
    """Fear of losing points fades. From the day the points scheme starts (its `jurisdiction.from`,
    the run's start when not set, or its earliest `rollout` date if that is earlier), the event's
    `points_exponent` is multiplied by floor + (1 − floor) × 0.5 ^ (days since / `half_life_days`),
    updated at each epoch start. It has no effect without a points scheme and does not touch
    `detection_sensitivity`."""

    model_config = ConfigDict(title="Habituation")

    half_life_days: Annotated[Param, Bounds(0, MAX_DAYS, above_low=True, whole=True)] = Field(
        description=(
            "Days in which the part of the exponent above the floor halves (the value in force at "
            "each epoch start; repealed: no habituation)."
        )
    )
    floor: ProbabilityParam = Field(
        _param(0.0, source="assumption-point-values"),
        description=(
            "Share of the exponent that never fades: 0 lets deterrence by points vanish in time, "
            "1 means no habituation."
        ),
    )


class Deterrence(Strict):
    """How a citizen's own standing damps the event."""

    model_config = ConfigDict(title="Deterrence")

    points_exponent: Annotated[Param, Bounds(0, MAX_EXPONENT)] = Field(
        _param(0.0, source="defaults-off"),
        description=(
            "e in (points / base) ^ e, applied while the citizen is scored; 0 switches it off. "
            "Without a `cap` the factor cannot exceed 1. `habituation` lowers it over time."
        ),
    )
    detection_sensitivity: ProbabilityParam = Field(
        _param(0.0, source="defaults-off"),
        description=(
            "s in (1 − s × detection), with the detection probability of the citizen's province "
            "and cell (re-evaluated every 1 January, and when `s` or the detection changes)."
        ),
    )
    habituation: Habituation | None = Field(
        None,
        description="Fading of `points_exponent` after the points scheme starts; not set means none.",
    )


Consequence = Literal["none", "fine", "judgment", "move", "air_ticket", "rail_ticket"]
TravelMode = Literal["air", "rail"]


class Event(Strict):
    """One kind of event. A citizen's daily probability is base × heterogeneity × modifier ×
    eligible × (1 − sensitivity × detection) × (points / base) ^ exponent; at most one event of a
    kind per citizen per day."""

    model_config = ConfigDict(title="Event")

    label: str = Field("", description="Human-readable description.")
    daily_probability: ProbabilityParam | None = Field(
        None, description="Base probability per citizen per day. Give this or `annual_rate`."
    )
    annual_rate: RateParam | None = Field(
        None,
        description=(
            "Base events per citizen per year, used as the daily probability 1 − exp(−rate / "
            "365.25). Give this or `daily_probability`."
        ),
    )
    modifier: Expression = Field(
        "1",
        description=(
            "Number expression over citizen attributes that multiplies the base probability "
            "(negative results count as 0)."
        ),
    )
    eligible: Expression = Field(
        "age >= 18",
        description="Condition over citizen attributes; where false the event never happens.",
    )
    heterogeneity: Heterogeneity | None = Field(
        None, description="Per-citizen multiplier; not set means 1 for everyone."
    )
    deterrence: Deterrence = Field(
        Deterrence(), description="Damping by the citizen's points and the local detection rate."
    )
    consequence: Consequence = Field(
        "none",
        description=(
            "`fine` and `judgment` open a court case (when the scenario has a court list) for an "
            "amount drawn from `amount`; `move` moves the citizen to another province; "
            "`air_ticket` and `rail_ticket` are attempts to buy a ticket by air or high-speed "
            "rail, a trip unless a measure in force `blocks` the mode (then a blocked purchase); "
            "`none` has no direct consequence."
        ),
    )
    amount: Amount | None = Field(
        None, description="Amount of the fine or judgment; required for `fine` and `judgment`."
    )
    pay_within_days: Days = Field(30, description="Days to pay a new case voluntarily.")
    reference: list[Reference] = Field([], description="Sources for the event as a whole.")

    @model_validator(mode="after")
    def _one_rate(self) -> Event:
        if (self.daily_probability is None) == (self.annual_rate is None):
            raise PathError((), "give exactly one of 'daily_probability' or 'annual_rate'")
        if self.consequence in ("fine", "judgment") and self.amount is None:
            raise PathError(("amount",), f"a '{self.consequence}' needs an 'amount'")
        return self


class Behaviour(Strict):
    """What citizens do: the event catalogue."""

    model_config = ConfigDict(title="Behaviour")

    events: dict[str, Event] = Field(
        description="Event kinds by name; `deltas`, `detection` and the metrics refer to these names."
    )


# ---------------------------------------------------------------------------------------------
# Observation


class Source(Strict):
    """A data source (police cameras, courts, banks, platforms, network monitoring). The chance that
    it records an event where a citizen lives is `coverage` × `rollout` × `sharing` × the
    `intensity` factor of each group flag the citizen has, at most 1, per province and cell. A
    source acts only on the event kinds whose `detection` lists it; its dated values take effect on
    their dates (each change starts an epoch)."""

    model_config = ConfigDict(title="Source")

    label: str = Field("", description="Human-readable name.")
    coverage: Expression | Probability = Field(
        1.0,
        description=(
            "Chance of recording where the source is fully deployed: a number from 0 to 1, or a "
            "number expression over the detection variables (cameras in cities, fewer in "
            "villages); checked to give a probability in every province and cell."
        ),
    )
    rollout: ProbabilityParam = Field(
        _param(1.0),
        description="How far deployment has got (a share, dated); multiplies `coverage`.",
    )
    sharing: ProbabilityParam = Field(
        _param(1.0),
        description=(
            "Share of the source's records that reach the authorities (dated); multiplies "
            "`coverage`. Below 1 for companies that resist pooling their data."
        ),
    )
    intensity: dict[str, Annotated[float, Field(ge=0, le=1000)]] = Field(
        {},
        description=(
            "Group-targeted monitoring: group flag (`urban`, `hukou_urban`, `migrant`, "
            "`minority`, `has_child`) → factor, from 0 to 1,000, multiplying the chance for "
            "citizens with that flag; the factors of several flags multiply, and the result is "
            "capped at 1."
        ),
    )
    reference: list[Reference] = Field([], description="Sources for the data source as a whole.")


class Observation(Strict):
    """What the authorities record, from which sources, and on whom."""

    model_config = ConfigDict(title="Observation")

    sources: dict[str, Source] = Field(
        {},
        description=(
            "Data sources by name, for `detection` to list. A source that no `detection` entry "
            "lists has no effect."
        ),
    )
    # per event kind: a probability, a rule over place and cell, or the sources that record it
    detection: dict[str, Expression | Probability | list[str]] = Field(
        {},
        description=(
            "Per event kind, the probability that an occurrence is recorded: a number from 0 to "
            "1, a number expression over the detection variables, or a list of source names from "
            "`sources` (recorded when any of them records it: 1 − the product of 1 − each "
            "source's chance). Kinds not listed are always recorded."
        ),
    )
    misattribution: ProbabilityParam = Field(
        _param(0.0),
        description=(
            "Probability that a recorded event is attached to a randomly drawn adult instead of "
            "the offender (delivered during the next epoch)."
        ),
    )


# ---------------------------------------------------------------------------------------------
# Schemes


class Consent(Strict):
    """Whether scoring needs consent, and the (dated) share of residents who give it."""

    model_config = ConfigDict(title="Consent")

    required: bool = Field(
        False, description="If true, only consenting citizens are scored; records are kept anyway."
    )
    share: ProbabilityParam = Field(
        _param(1.0),
        description=(
            "Share of citizens who consent, in force at each epoch start. Willingness is one "
            "draw per citizen, so whoever consents at a lower share also consents at a higher "
            "one."
        ),
    )


Scope = Literal["local", "provincial", "national"]


class Jurisdiction(Strict):
    """Where and when a scheme runs, how much of each province it covers, and how far its verdicts
    reach. Who it reaches is decided at each epoch start (for a black or red list, who may join also
    at each epoch end). Whether a citizen lives in a covered place is one draw per citizen and
    scheme, compared with the `coverage` in force, so a mover keeps their draw and a growing
    coverage adds people without dropping any."""

    model_config = ConfigDict(title="Jurisdiction")

    provinces: list[str] | None = Field(
        None,
        description=(
            "Provinces that run the scheme, from `from` or from their own `rollout` date. Not "
            "set means all 31 — or, when `rollout` is given, only the provinces it names."
        ),
    )
    start: dt.date | None = Field(
        default=None,
        alias="from",
        description=(
            "First day in force in the provinces that have no `rollout` date (inside the "
            "horizon); not set means the start of the run."
        ),
    )
    until: dt.date | None = Field(
        None,
        description=(
            "First day no longer in force anywhere, whatever the scope (inside the horizon); not "
            "set means never."
        ),
    )
    rollout: dict[str, dt.date] = Field(
        {},
        description=(
            "Province → the first day the scheme runs there (inside the horizon), instead of "
            "`from`. A province named here runs the scheme even if `provinces` leaves it out."
        ),
    )
    # everyone in the provinces
    coverage: ProbabilityParam | None = Field(
        None,
        description=(
            "Share of a running province's residents who live in a place that runs the scheme "
            "(the cities that chose it), in force at each epoch start; not set means all of "
            "them. Ignored with `scope: provincial`."
        ),
    )
    scope: Scope = Field(
        "local",
        description=(
            "How far the scheme reaches a citizen (scores them, counts them as a user, or lets "
            "their list membership trigger measures): `local` — only while they live in a "
            "covered place; `provincial` — while they live anywhere in a province that runs it; "
            "`national` — once covered somewhere, wherever they live, until `until`. Joining a "
            "black or red list always needs living in a covered place; the scope decides where "
            "membership reaches the measures."
        ),
    )


class Recovery(Strict):
    """Points regained for clean time."""

    model_config = ConfigDict(title="Recovery")

    clean_days: Annotated[Param, Bounds(0, MAX_DAYS, above_low=True, whole=True)] = Field(
        _param(30.0, source="assumption-point-values"),
        description=(
            "Length of a clean run: each full run of this many days without a deduction earns "
            "`points`."
        ),
    )
    points: Annotated[Param, Bounds(0, MAX_POINTS, whole=True)] = Field(
        _param(1.0, source="assumption-point-values"),
        description=(
            "Points earned per completed clean run (up to the cap); repealed: none. Both keys "
            "take the value in force at the epoch start."
        ),
    )


class SchemeKind(NamedTuple):
    """What readers call a scheme kind: in a report's prose, and in a listing's narrow column."""

    label: str
    short: str


class PointsScheme(Strict):
    """A municipal points scheme (Rongcheng-style): everyone covered starts at `base`, recorded
    events add their `deltas`, clean time earns `recovery`, points stay within [`floor`, `cap`] and
    fall into `grades`."""

    model_config = ConfigDict(title="Points scheme")
    KINDS: ClassVar[dict[str, SchemeKind]] = {"points": SchemeKind("points scheme", "points")}

    kind: Literal["points"] = Field(description="Selects this scheme type.")
    label: str = Field("", description="Human-readable name.")
    base: PointsParam = Field(
        description=(
            "Starting points (the value on the start date); the value in force is the "
            "denominator of deterrence."
        )
    )
    cap: PointsParam | None = Field(
        None,
        description=(
            "Highest attainable points; not set (or repealed) means no cap (points then stop at "
            "30,000), which deterrence by points does not allow. Not below `base` on the start "
            "date."
        ),
    )
    floor: PointsParam = Field(
        _param(0.0, source="assumption-point-values"),
        description="Lowest attainable points (repealed: 0).",
    )
    deltas: dict[str, PointsParam] = Field(
        description=(
            "Points change per recorded event of each kind; a negative delta also restarts the "
            "clean-day count. Names must be events of `behaviour.events`."
        )
    )
    local_deltas: dict[str, dict[str, PointsParam]] = Field(
        {},
        description=(
            "Per province, deltas that replace the scheme's own for citizens living there when "
            "the record lands (the central framework leaves the catalogue of rewards and "
            "penalties to each place): province → event → points. Names must be provinces and "
            "events."
        ),
    )
    recovery: Recovery | None = Field(
        None, description="Points for clean time; not set means none."
    )
    grades: dict[str, float] = Field(
        description=(
            "Grade bands, lowest first: name → lowest points of the band. At least two, strictly "
            "increasing, each from -30,000 to 30,000. Points below the first bound count as the lowest grade. Measures "
            "compare `grade` with these names."
        )
    )
    applies_to: Expression = Field(
        "age >= 18",
        description=(
            "Condition over citizen attributes deciding who is covered (re-evaluated at each "
            "epoch start)."
        ),
    )
    consent: Consent = Field(Consent(), description="Whether scoring needs consent.")
    jurisdiction: Jurisdiction = Field(
        Jurisdiction(),
        description="Where and when the scheme is in force, and its reach (`scope: local` unless set).",
    )
    reference: list[Reference] = Field([], description="Sources for the scheme as a whole.")

    @model_validator(mode="after")
    def _grades_ordered(self) -> PointsScheme:
        errors = _band_errors(self.grades, "grades", "grade bands")
        errors += [
            PathError(("grades", name), f"a grade bound must be {POINTS_BOUNDS.describe()}, got "
                      f"{_number(bound)}", at_value=True)
            for name, bound in self.grades.items()
            if not POINTS_BOUNDS.allows(bound)
        ]  # fmt: skip
        if errors:
            raise PathErrors(errors)
        return self


def _band_errors(bands: dict[str, float], key: str, what: str = "bands") -> list[PathError]:
    """Problems of a scale of named bands given by their lower bounds, lowest first."""
    bounds = list(bands.values())
    names = list(bands)
    errors = []
    if len(bounds) < 2:
        errors.append(PathError((key,), f"a scale of {what} needs at least two"))
    for i in range(1, len(bounds)):
        if bounds[i] <= bounds[i - 1]:
            errors.append(
                PathError(
                    (key, names[i]),
                    f"{what} overlap: '{names[i]}' starts at {bounds[i]:g}, not above "
                    f"'{names[i - 1]}' at {bounds[i - 1]:g} — list bands from lowest to highest",
                )
            )
    return errors


class NoAssetsRule(Strict):
    """Removal of listed debtors who have no executable property."""

    model_config = ConfigDict(title="No-assets rule")

    enabled: bool = Field(False, description="Whether courts remove listed debtors who cannot pay.")
    after_days: DaysParam = Field(
        _param(365.0, source="assumption-court-list"),
        description="Days on the list before a removal is possible (0: no wait beyond the searches).",
    )
    search_probability: ProbabilityParam = Field(
        _param(1.0, source="assumption-court-list"),
        description=(
            "Probability, on the first day of each month, that the court runs an online asset "
            "search on a listed debtor whose wealth is below the amount owed; such a search finds "
            "no executable property and is counted (`asset_searches` in citizens.parquet)."
        ),
    )
    min_searches: Annotated[int, Field(ge=0, le=100)] = Field(
        0,
        description=(
            "Searches finding no property, during the current listing, before a removal is "
            "possible. Art. 10 of the 2017 provisions asks for at least two (the bundled court "
            "list sets 2); the default 0 leaves only `after_days`, the rule before searches were "
            "modelled."
        ),
    )
    monthly_probability: ProbabilityParam = Field(
        _param(0.05),
        description=(
            "Probability, on the first day of each month, that a listed debtor whose wealth is "
            "below the amount owed, past `after_days` and `min_searches`, is removed."
        ),
    )


class ListingGrounds(Strict):
    """The ground of each listing, drawn when the case is listed: ground (1), able to perform but
    refusing, or one of the evasion and obstruction grounds (2)–(6) of the 2017 provisions. The
    court's `term_days` and `repeat_extension_days` are the term of grounds (2)–(6); ground (1)
    has a term of its own (by default none: listed until performance)."""

    model_config = ConfigDict(title="Listing grounds")

    refusing_share: ProbabilityParam = Field(
        _param(0.0, source="defaults-off"),
        description=(
            "Share of listings on ground (1), able to perform but refusing, in force on the day "
            "of listing; the rest are on grounds (2)–(6)."
        ),
    )
    refusing_term_days: DaysParam = Field(
        Param(values={EPOCH_START: None}, reference=[DEFAULT_SOURCES["assumption-court-list"]]),
        description=(
            "Listing term of ground (1) in days; repealed (`null`, the default): listed until "
            "performance or another removal."
        ),
    )
    refusing_repeat_extension_days: DaysParam = Field(
        _param(0.0, source="defaults-off"),
        description="Added to the ground (1) term for each earlier listing of the same citizen.",
    )
    untermed_listings: Literal["stay", "term_from_rule"] = Field(
        "stay",
        description=(
            "A listing made while no term was in force for its ground, once a term comes into "
            "force: `stay` (no term, listed until another removal) or `term_from_rule` (the term "
            "then in force runs from the date it came into force)."
        ),
    )


class Removal(Strict):
    """The removal routes of Art. 10 that need no payment in full: a settlement honoured and the
    creditor's request. Both are monthly chances for a listed debtor, off by default."""

    model_config = ConfigDict(title="Removal routes")

    settlement_probability: ProbabilityParam = Field(
        _param(0.0, source="defaults-off"),
        description=(
            "Probability, on the first day of each month, that a listed debtor who does not pay "
            "in full agrees a settlement and honours it (if their wealth covers the settled sum)."
        ),
    )
    settlement_share: ProbabilityParam = Field(
        _param(0.5, source="assumption-court-list"),
        description="Share of the amount owed that a settlement requires the debtor to pay.",
    )
    creditor_request_probability: ProbabilityParam = Field(
        _param(0.0, source="defaults-off"),
        description=(
            "Probability, on the first day of each month, that the creditor asks in writing for a "
            "listed debtor's removal and the court agrees (nothing is paid)."
        ),
    )


class Backlog(Strict):
    """Unpaid judgments from before the list opened. On `list_from`, a share of adults already
    owes a judgment that was never performed (the 2009 public database of judgment debtors held
    over 6 M cases, docs/sources.md §4.10); the courts take these old cases up one by one over
    `review_days`, each on a day drawn uniformly in that window, and then treat it as any case
    on its due day: a debtor who can pay may do so, and an unpaid case goes through the grace
    period and the listing decision in force. Off (share 0) by default."""

    model_config = ConfigDict(title="Backlog at the list's opening")

    share: ProbabilityParam = Field(
        _param(0.0, source="defaults-off"),
        description=(
            "Share of adults with an unpaid judgment from before `list_from`, as in force on "
            "`list_from`. Who owes one follows the `like` event's rate: a citizen's chance is "
            "the share times their rate of that event over the adults' mean rate (at most 1)."
        ),
    )
    review_days: DaysParam = Field(
        _param(365.0, source="assumption-court-list"),
        description=(
            "Days from `list_from` over which the courts take the old cases up; each case's "
            "day is drawn uniformly in the window. A run that starts after `list_from` keeps "
            "only the cases taken up from its first day on."
        ),
    )
    like: str | None = Field(
        None,
        description=(
            "The behaviour event (with `consequence: judgment`) whose amounts and rates the "
            "old judgments follow, e.g. `civil_judgment`; needed when `share` is not 0."
        ),
    )


class CourtList(Strict):
    """The courts' list of dishonest judgment debtors: a fine or judgment opens a case; an unpaid
    case is listed after a grace period on a drawn ground and leaves the list on payment, a
    settlement honoured, the creditor's request, a no-assets finding, term expiry or (before the
    list is national) a move to another province."""

    model_config = ConfigDict(title="Court list")
    KINDS: ClassVar[dict[str, SchemeKind]] = {"court_list": SchemeKind("court list", "court list")}

    kind: Literal["court_list"] = Field(description="Selects this scheme type.")
    label: str = Field("", description="Human-readable name.")
    list_from: dt.date = Field(
        description="The list exists from this date; unpaid cases due for listing earlier wait for it."
    )
    national_from: dt.date = Field(
        description=(
            "Enforcement is national from this date; before it, a citizen with an open case who "
            "moves province escapes the case. Not before `list_from`."
        )
    )
    grace_days: DaysParam = Field(
        description="Days between the end of the voluntary payment period and publication on the list."
    )
    list_probability: ProbabilityParam = Field(
        _param(1.0),
        description=(
            "Probability that an unpaid case past its grace period is listed; otherwise it stays "
            "in unlisted enforcement."
        ),
    )
    min_listing_amount: YuanParam = Field(
        _param(0.0), description="Cases owing less than this many yuan are never listed."
    )
    term_days: DaysParam = Field(
        description=(
            "Listing term in days of grounds (2)–(6) (all listings while `grounds.refusing_share` "
            "is 0); where repealed (`null`), listings made then have no term (see "
            "`grounds.untermed_listings`)."
        )
    )
    repeat_extension_days: DaysParam = Field(
        _param(365.0),
        description=(
            "Added to the grounds (2)–(6) term for each earlier listing of the same citizen."
        ),
    )
    pay_if_able: ProbabilityParam = Field(
        _param(0.8, source="assumption-court-list"),
        description=(
            "Probability that a citizen whose liquid wealth covers the amount pays on the due day."
        ),
    )
    monthly_payment_propensity: ProbabilityParam = Field(
        _param(0.1, source="assumption-court-list"),
        description=(
            "Probability, on the first day of each month, that an unpaid debtor who can pay does "
            "so; the measures' `pay_pressure` adds to it."
        ),
    )
    no_assets: NoAssetsRule = Field(
        NoAssetsRule(), description="Removal of listed debtors without executable property."
    )
    grounds: ListingGrounds = Field(
        ListingGrounds(), description="The listing grounds and the term rule of ground (1)."
    )
    removal: Removal = Field(
        Removal(), description="Removal by a settlement honoured or at the creditor's request."
    )
    backlog: Backlog = Field(
        Backlog(), description="Unpaid judgments from before the list opened, taken up after it."
    )
    reference: list[Reference] = Field([], description="Sources for the list as a whole.")


Transform = Literal["linear", "log", "saturating"]


class Term(Strict):
    """One input of a dimension: `effect` × transform(input / `scale`), the input taken as at the
    recomputation (negative inputs count as 0)."""

    model_config = ConfigDict(title="Composite term")

    input: str = Field(
        description=(
            "What the term reads (checked when loading): a [citizen "
            "attribute](#citizen-attributes) other than `province` (true/false as 1/0); "
            "`records.<event>`, the citizen's records of that event kind per year over the run "
            "so far (divided by at least one year); `friends.score`, the mean score of the "
            "user's friends who are users, mapped from `range` to [0, 1] (0.5 with none, or "
            "without a friendship graph); or `friends.count`, the number of friends (0 without a "
            "graph)."
        )
    )
    effect: Annotated[float, Field(ge=-10, le=10)] = Field(
        description=(
            "Signed size of the term, from −10 to 10: positive raises the sub-score as the input "
            "grows, negative lowers it."
        )
    )
    transform: Transform = Field(
        "linear",
        description=(
            "Of x = input / `scale`: `linear` x, `log` log(1 + x), `saturating` x / (1 + x) "
            "(approaches 1; half at x = 1)."
        ),
    )
    scale: Annotated[float, Field(gt=0, le=MAX_YUAN)] = Field(
        1.0, description="Divides the input before the transform, in the input's own unit."
    )


class Dimension(Strict):
    """A sub-score in [0, 1]: clip(`baseline` + the sum of its terms, 0, 1). As every transform is
    increasing, a dimension rises with each input whose `effect` is positive and falls with each
    whose `effect` is negative."""

    model_config = ConfigDict(title="Composite dimension")

    label: str = Field("", description="Human-readable description.")
    weight: Annotated[float, Field(ge=0, le=MAX_WEIGHT)] = Field(
        description="Weight of the dimension in the score; the weights must add up to `weights_sum`."
    )
    baseline: Probability = Field(0.5, description="Sub-score before the terms.")
    terms: list[Term] = Field(
        [], description="Inputs added to the baseline; none gives everyone the baseline."
    )
    reference: list[Reference] = Field([], description="Sources for the dimension.")


class Adoption(Strict):
    """Who uses the score: it is opt-in, so among the `eligible` a dated `share` are users (and only
    where the scheme's jurisdiction reaches)."""

    model_config = ConfigDict(title="Adoption")

    eligible: Expression = Field(
        "age >= 18",
        description=(
            "Condition over citizen attributes: who may use the score (re-evaluated at every "
            "recomputation)."
        ),
    )
    share: ProbabilityParam = Field(
        _param(1.0),
        description=(
            "Share of the eligible who opt in, in force at each recomputation. Willingness is "
            "one draw per citizen, so whoever uses the score at a lower share also uses it at a "
            "higher one."
        ),
    )


class TieDropping(Strict):
    """Users' network response: a score that rewards selective relations leads users to drop ties to
    friends who score low. Decided at every epoch end, after the scores are recomputed; a tie goes
    when either end drops it. Needs `world.population.graph` (without it, nothing happens)."""

    model_config = ConfigDict(title="Tie dropping")

    below: Annotated[Param, Bounds(0, MAX_POINTS)] = Field(
        description=(
            "A user may drop a friend who is a user scoring below this, in force at the epoch "
            "end (non-users are never dropped; repealed: nobody is dropped)."
        )
    )
    monthly_probability: ProbabilityParam = Field(
        description=(
            "Probability per month that a user drops a given tie to such a friend, scaled to the "
            "epoch's length."
        )
    )


class CompositeScore(Strict):
    """A private composite score (Sesame Credit style). Each dimension is a sub-score in [0, 1]; the
    score is low + (high − low) × Σ weight × dimension / `weights_sum`, rounded to a whole number,
    over `range` = [low, high]. It is computed at the start of the run and recomputed at every epoch
    end, for users only: citizens who are `eligible`, opted in (see `adoption`) and reached by the
    `jurisdiction`. Measures read it by the scheme's name, as an ordinal over the `bands` (`sesame
    >= 'good'`), never true for a non-user; the `user` and `score` variables read it in the other
    expressions."""

    model_config = ConfigDict(title="Composite score")
    KINDS: ClassVar[dict[str, SchemeKind]] = {
        "composite": SchemeKind("private composite score", "private score")
    }

    kind: Literal["composite"] = Field(description="Selects this scheme type.")
    label: str = Field("", description="Human-readable name.")
    range: Annotated[
        list[Annotated[float, Field(ge=0, le=MAX_POINTS)]], Field(min_length=2, max_length=2)
    ] = Field(
        description=(
            "[low, high]: the lowest and highest score, each from 0 to 30,000, low below high "
            "(Sesame Credit: [350, 950])."
        )
    )
    weights_sum: Annotated[float, Field(gt=0, le=MAX_WEIGHT)] = Field(
        1.0,
        description=(
            "The sum of the dimensions' weights, declared so that a mistyped weight is caught "
            "when loading; the weighted sum is divided by it."
        ),
    )
    dimensions: dict[str, Dimension] = Field(description="Sub-scores by name; at least one.")
    bands: dict[str, float] = Field(
        description=(
            "Perk bands, lowest first: name → lowest score of the band, each within `range`. At "
            "least two and at most 7, strictly increasing. A score below the first bound counts "
            "as the lowest band. Measures compare the scheme's name with these names."
        )
    )
    adoption: Adoption = Field(Adoption(), description="Who uses the score.")
    ties: TieDropping | None = Field(
        None,
        description=(
            "Users dropping ties to low-scoring friends; not set means none. Needs "
            "`world.population.graph`."
        ),
    )
    jurisdiction: Jurisdiction = Field(
        Jurisdiction(scope="national"),
        description=(
            "Where and when the score runs. Unlike a points scheme's, the scope is `national` "
            "unless set: once a user, scored wherever they move."
        ),
    )
    reference: list[Reference] = Field([], description="Sources for the score as a whole.")

    @model_validator(mode="after")
    def _consistent(self) -> CompositeScore:
        errors = []
        low, high = self.range
        if high <= low:
            errors.append(PathError(("range", 1), f"the top of the range is not above {low:g}"))
        total = sum(d.weight for d in self.dimensions.values())
        if self.dimensions and not math.isclose(
            total, self.weights_sum, rel_tol=1e-9, abs_tol=1e-9
        ):
            weights = " + ".join(f"{d.weight:g}" for d in self.dimensions.values())
            errors.append(
                PathError(
                    ("dimensions",),
                    f"the dimension weights sum to {total:g} ({weights}), but weights_sum declares "
                    f"{self.weights_sum:g} — fix a weight or the declared sum",
                )
            )
        if not self.dimensions:
            errors.append(PathError(("dimensions",), "a composite score needs a dimension"))
        errors += _band_errors(self.bands, "bands")
        for name, bound in self.bands.items():
            if not low <= bound <= high:
                errors.append(
                    PathError(
                        ("bands", name), f"band '{name}' starts outside the range {low:g}–{high:g}"
                    )
                )
        if errors:
            raise PathErrors(errors)
        return self


class ListScheme(Strict):
    """A sectoral black list (`blacklist`: tax violators, rail passengers who misbehave, ...) or a
    red list of model citizens (`redlist`: volunteers, donors, award winners), kept from records. At
    every epoch end, black lists first and red lists after, a citizen joins who is not on the list,
    for whom `applies_to` holds, who lives where the list's jurisdiction covers and is on no list it
    `excludes`, and who has at least `threshold` records of the `records` kinds in the current
    calendar year; they stay on it for `term_days`. Measures read membership by the scheme's name."""

    model_config = ConfigDict(title="Black or red list")
    KINDS: ClassVar[dict[str, SchemeKind]] = {
        "blacklist": SchemeKind("black list", "black list"),
        "redlist": SchemeKind("red list", "red list"),
    }

    kind: Literal["blacklist", "redlist"] = Field(
        description=(
            "`blacklist` or `redlist`. Black lists are updated before red lists (so that a red "
            "list can exclude them) and feed the `blacklisted` variable; red lists feed "
            "`red_listed` and `red_share`."
        )
    )
    label: str = Field("", description="Human-readable name.")
    records: list[str] = Field(
        description=(
            "Event kinds whose records count (names from `behaviour.events`); records of all of "
            "them add up, misattributed ones included."
        )
    )
    threshold: Annotated[Param, Bounds(1, 10_000, whole=True)] = Field(
        _param(1.0, source="assumption-lists"),
        description=(
            "Records of the `records` kinds in the current calendar year (counted from 1 "
            "January) that make a citizen join, in force on the epoch's last day (repealed: "
            "nobody joins)."
        ),
    )
    term_days: DaysParam = Field(
        description=(
            "Days on the list, counted from the day after the epoch at whose end the citizen "
            "joins (the value in force on that day; a term of 0, or a repealed one, keeps nobody "
            "on the list). A former member joins again at the next epoch end if they still "
            "qualify: the records of the current year that listed them still count."
        )
    )
    applies_to: Expression = Field(
        "age >= 18",
        description="Condition over citizen attributes: who may join (evaluated at each epoch end).",
    )
    excludes: list[str] = Field(
        [],
        description=(
            "Names of other black or red lists, or of the court list, whose members cannot join "
            "(red lists usually exclude the blacklisted)."
        ),
    )
    jurisdiction: Jurisdiction = Field(
        Jurisdiction(scope="national"),
        description=(
            "Where and when the list runs. The scope is `national` unless set: a member is "
            "reached wherever they live."
        ),
    )
    reference: list[Reference] = Field([], description="Sources for the list as a whole.")


SCHEME_MODELS = (PointsScheme, CourtList, CompositeScore, ListScheme)
Scheme = Annotated[Union[SCHEME_MODELS], Field(discriminator="kind")]  # noqa: UP007
# Every scheme kind a scenario can name (`schemes.<name>.kind`), with what readers call it; each
# is run by a mechanism (mechanisms/registry.py, held to this by tests/test_stage_protocol.py).
SCHEME_KINDS: dict[str, SchemeKind] = {k: v for m in SCHEME_MODELS for k, v in m.KINDS.items()}


# ---------------------------------------------------------------------------------------------
# Measures and economy


class Effects(Strict):
    """What a measure does while it applies (several measures combine)."""

    model_config = ConfigDict(title="Effects")

    income_factor: Annotated[Param, Bounds(0, MAX_INCOME_FACTOR)] = Field(
        _param(1.0, source="defaults-off"),
        description=("Multiplies base income (factors of several measures multiply; repealed: 1)."),
    )
    monthly_cost: Annotated[Param, Bounds(-MAX_YUAN, MAX_YUAN)] = Field(
        _param(0.0, source="defaults-off"),
        description="Yuan per month taken from wealth; negative for a discount.",
    )
    pay_pressure: ProbabilityParam = Field(
        _param(0.0, source="defaults-off"),
        description="Added to the court's monthly payment propensity.",
    )
    interest_add: Annotated[Param, Bounds(-1, 1)] = Field(
        _param(0.0, source="defaults-off"),
        description=(
            "Added to the annual interest rate on debt, as a fraction (0.05 is five points more "
            "a year)."
        ),
    )

    NAMES: ClassVar[tuple[str, ...]] = (
        "income_factor",
        "monthly_cost",
        "pay_pressure",
        "interest_add",
    )

    def params(self) -> tuple[Param, ...]:
        return tuple(getattr(self, name) for name in self.NAMES)

    def value(self, name: str, day: dt.date) -> float:
        """The effect ``name`` in force on ``day``; a repealed effect does nothing."""
        value = getattr(self, name).at(day)
        return (1.0 if name == "income_factor" else 0.0) if value is None else value


class Measure(Strict):
    """A sanction or reward. Its `when` condition is looked up for each citizen at every epoch start
    and its effects hold for the whole epoch."""

    model_config = ConfigDict(title="Measure")

    label: str = Field("", description="Human-readable description.")
    kind: Literal["sanction", "reward"] | None = Field(
        None,
        description=(
            "Whether the measure hurts (`sanction`) or favours (`reward`) the citizens it "
            "applies to, for the audit's adverse outcomes, `show` and the report. Not set: a "
            "reward when every effect favours the citizen and one helps (more income, a "
            "discount, less interest), else a sanction. Set it for a measure whose effects do "
            "not say, such as a perk with no money effect; it must agree with the effects."
        ),
    )
    when: Expression = Field(description="Condition over the status variables.")
    effects: Effects = Field(Effects(), description="What the measure does while it applies.")
    blocks: list[TravelMode] = Field(
        [],
        description=(
            "Ticket purchases the measure refuses (`air`, `rail`): an `air_ticket` or "
            "`rail_ticket` event while the condition holds that day (list status of the day, "
            "the rest as at the epoch start) is a blocked purchase attempt, not a trip."
        ),
    )
    pay_pressure_per: Literal["month", "blocked_attempt"] = Field(
        "month",
        description=(
            "What `pay_pressure` is a chance per: `month` adds it to the court's monthly "
            "payment propensity while the measure applies; `blocked_attempt` (a measure that "
            "`blocks` something) gives it as the chance that a debtor who can pay does so at "
            "each purchase attempt the measure blocks, and nothing monthly."
        ),
    )
    reference: list[Reference] = Field([], description="Sources for the measure.")

    @model_validator(mode="after")
    def _pressure_needs_blocks(self) -> Measure:
        if self.pay_pressure_per == "blocked_attempt" and not self.blocks:
            raise PathError(
                ("pay_pressure_per",),
                "'blocked_attempt' needs a measure that blocks something — add 'blocks: [air]' "
                "or 'blocks: [rail]', or keep 'month'",
            )
        if len(set(self.blocks)) != len(self.blocks):
            raise PathError(("blocks",), "each travel mode at most once")
        harmful, helps = self._effects_harm_and_help()
        if self.kind == "reward" and (harmful or self.blocks):
            what = "refuses tickets" if self.blocks and not harmful else "has an effect that hurts"
            raise PathError(
                ("kind",),
                f"a reward cannot be one: the measure {what} — write 'kind: sanction' or "
                "remove that effect",
            )
        if self.kind == "sanction" and helps and not harmful:
            raise PathError(
                ("kind",),
                "every effect of the measure favours the citizen — write 'kind: reward', or "
                "leave 'kind' out",
            )
        return self

    def _effects_harm_and_help(self) -> tuple[bool, bool]:
        """Whether some effect ever hurts the citizen (an income cut, a cost, added interest or
        pressure to pay), and whether some effect ever helps (more income, a discount, less
        interest)."""
        e = self.effects

        def ever(param: Param, holds: Callable[[float], bool]) -> bool:
            return any(v is not None and holds(v) for v in param.values.values())

        harmful = (
            ever(e.income_factor, lambda v: v < 1) or ever(e.monthly_cost, lambda v: v > 0)
            or ever(e.interest_add, lambda v: v > 0) or ever(e.pay_pressure, lambda v: v > 0)
        )  # fmt: skip
        helps = (
            ever(e.income_factor, lambda v: v > 1) or ever(e.monthly_cost, lambda v: v < 0)
            or ever(e.interest_add, lambda v: v < 0)
        )  # fmt: skip
        return harmful, helps

    @property
    def is_reward(self) -> bool:
        """Whether the measure is a reward rather than a sanction: as its `kind` says, or, not
        set, when every effect favours the citizen and at least one helps."""
        if self.kind is not None:
            return self.kind == "reward"
        harmful, helps = self._effects_harm_and_help()
        return not harmful and helps and not self.blocks


class Economy(Strict):
    """Income, saving and debt, advanced at every epoch end."""

    model_config = ConfigDict(title="Economy")

    savings_rate: ProbabilityParam = Field(
        _param(0.2), description="Share of effective monthly income added to wealth."
    )
    income_growth: GrowthParam = Field(_param(0.05), description="Annual growth of base income.")
    debt_interest: InterestParam = Field(
        _param(0.06), description="Annual interest rate on debt, accrued at each epoch end."
    )
    debt_repayment_share: ProbabilityParam = Field(
        _param(0.1),
        description="Share of effective monthly income repaid on debt, as far as wealth allows.",
    )


# ---------------------------------------------------------------------------------------------
# Hukou


class Right(Strict):
    """A public service tied to the hukou place (public schooling, health insurance, a pension). At
    each epoch start, a citizen for whom `needs` holds and `access` does not lacks it for the epoch,
    and pays `monthly_cost` from wealth instead (private school, out-of-pocket care), alongside the
    measures' costs."""

    model_config = ConfigDict(title="Hukou right")

    label: str = Field("", description="Human-readable description.")
    needs: Expression = Field(
        "age >= 18",
        description=(
            "Condition over citizen attributes: who uses the service, e.g. `has_child` for "
            "schooling, `age >= 60` for a pension (evaluated at each epoch start)."
        ),
    )
    access: Expression = Field(
        description=(
            "Condition over citizen attributes: who among them has it, e.g. `local_hukou or "
            "residence_years >= 5` (evaluated at each epoch start)."
        )
    )
    monthly_cost: YuanParam = Field(
        _param(0.0),
        description=(
            "Yuan per month paid from wealth by a citizen who needs the right and lacks access "
            "(the value in force at the epoch start)."
        ),
    )
    reference: list[Reference] = Field([], description="Sources for the right.")


class Conversion(Strict):
    """A conversion rule: at each epoch end, a migrant living in one of its `provinces` for whom
    `requires` holds obtains, with `annual_probability` scaled to the epoch's length, an urban hukou
    of the province where they live, and stops being a migrant. Where several rules apply to a
    citizen, the highest probability counts (one draw per citizen and epoch)."""

    model_config = ConfigDict(title="Hukou conversion")

    label: str = Field("", description="Human-readable description.")
    provinces: list[str] | None = Field(
        None,
        description=(
            "Provinces of residence where the rule applies; not set means every province that no "
            "other rule names."
        ),
    )
    requires: Expression = Field(
        "migrant",
        description=(
            "Condition over citizen attributes that a migrant must meet, e.g. `residence_years "
            ">= 5 and employment >= 2` (evaluated at each epoch end; only migrants ever "
            "convert)."
        ),
    )
    annual_probability: ProbabilityParam = Field(
        description=(
            "Chance per year that a migrant who meets `requires` converts (the value in force at "
            "the epoch start, scaled to the epoch's length)."
        )
    )
    reference: list[Reference] = Field([], description="Sources for the rule.")


class Hukou(Strict):
    """Public services tied to the place of hukou registration, and the rules by which migrants
    obtain a local urban hukou."""

    model_config = ConfigDict(title="Hukou")

    rights: dict[str, Right] = Field({}, description="Rights by name; at most 8.")
    conversion: dict[str, Conversion] = Field({}, description="Conversion rules by name.")


# ---------------------------------------------------------------------------------------------
# Calibration and reforms


class TargetPoint(Strict):
    """One dated value of a target series, with its own tolerance and sources."""

    model_config = ConfigDict(title="Target point")

    date: dt.date = Field(description="The date the published figure is for, inside the horizon.")
    low: float = Field(description="Lowest acceptable value.")
    high: float = Field(description="Highest acceptable value; not below `low`.")
    reference: list[Reference] = Field([], description="Sources for this value.")

    @model_validator(mode="after")
    def _ordered(self) -> TargetPoint:
        if self.high < self.low:
            raise PathError(("high",), "the point's 'high' is below its 'low'")
        return self


TARGET_KINDS = ("mean", "stock", "cumulative", "flow")


class Target(Strict):
    """A calibration target, stored in manifest.json under `calibration` with the simulated
    value beside it. What it measures is its `kind`: `mean` (the default), the unweighted mean of
    a metric over `period`; `flow`, the sum of a flow metric (one counted per epoch, such as
    `new_listings`) over `period`; `stock`, the value of a metric at each date of `series` (the
    last value written on or before it); `cumulative`, the sum of a flow metric from `since` to
    each date of `series` (the epochs ending on or before it). `mean` and `flow` take `low` and
    `high`; `stock` and `cumulative` a `series` of dated points, each with its own range."""

    model_config = ConfigDict(title="Calibration target")

    label: str = Field("", description="Human-readable description.")
    kind: Literal["mean", "stock", "cumulative", "flow"] = Field(
        "mean", description="What the target measures: `mean`, `stock`, `cumulative` or `flow`."
    )
    metric: str = Field(
        description=(
            "A time-series metric with one value per date (see [Metrics](#metrics)); checked "
            "when loading, and a flow for `cumulative` and `flow` targets, not one for `stock`."
        )
    )
    group: str = Field(
        "all",
        description="A time-series group the metric is written for (see [Metrics](#metrics)).",
    )
    # for a metric split by category: the sum over these
    categories: list[str] = Field(
        [],
        description=(
            "For a metric split by category (a band, a list, a right): the categories whose "
            "values are added up on each date, e.g. the share of users in the bands `good` and "
            "above."
        ),
    )
    period: Annotated[list[dt.date], Field(min_length=2, max_length=2)] | None = Field(
        None, description="`mean` and `flow`: [first, last] date, both inside the horizon."
    )
    low: float | None = Field(None, description="`mean` and `flow`: lowest acceptable value.")
    high: float | None = Field(
        None, description="`mean` and `flow`: highest acceptable value; not below `low`."
    )
    since: dt.date | None = Field(
        None, description="`cumulative`: the date from which the count runs (inside the horizon)."
    )
    series: list[TargetPoint] = Field(
        [], description="`stock` and `cumulative`: the dated values, in date order."
    )
    reference: list[Reference] = Field([], description="Sources for the target.")

    @model_validator(mode="after")
    def _ordered(self) -> Target:
        one_range = self.kind in ("mean", "flow")
        if one_range:
            for key in ("period", "low", "high"):
                if getattr(self, key) is None:
                    raise PathError((key,), f"a {self.kind} target needs '{key}'")
            if self.series:
                raise PathError(("series",), f"a {self.kind} target has one range, not a "
                                "series — give period, low and high, or kind: stock/cumulative")  # fmt: skip
            if self.high < self.low:
                raise PathError(("high",), "the target's 'high' is below its 'low'")
            if self.period[1] < self.period[0]:
                raise PathError(("period",), "the period ends before it starts")
        else:
            for key in ("period", "low", "high"):
                if getattr(self, key) is not None:
                    raise PathError((key,), f"a {self.kind} target has a series of dated "
                                    f"points, each with its own range; '{key}' is not used")  # fmt: skip
            if not self.series:
                raise PathError(("series",), f"a {self.kind} target needs a series of dated "
                                "points ({date, low, high})")  # fmt: skip
            dates = [p.date for p in self.series]
            for i in range(1, len(dates)):
                if dates[i] <= dates[i - 1]:
                    raise PathError(("series", i, "date"), "the series' dates must increase")
        if self.kind == "cumulative":
            if self.since is None:
                raise PathError(("since",), "a cumulative target needs 'since', the date the "
                                "count starts from")  # fmt: skip
            if self.series[0].date < self.since:
                raise PathError(("series", 0, "date"), "a point before 'since'")
        elif self.since is not None:
            raise PathError(("since",), f"'since' is for cumulative targets, not {self.kind}")
        return self

    def entries(self, name: str) -> list[tuple[str, list[dt.date], float, float]]:
        """What is checked: (entry name, [first, last] date counted, low, high) — one for a
        `mean` or `flow` target, one per point (``name@date``) for a series."""
        if self.kind in ("mean", "flow"):
            return [(name, list(self.period), self.low, self.high)]
        return [
            (f"{name}@{p.date}", [self.since if self.kind == "cumulative" else p.date, p.date],
             p.low, p.high)
            for p in self.series
        ]  # fmt: skip


class Setting(Strict):
    """One overlay of a reform."""

    model_config = ConfigDict(title="Reform setting")

    path: str = Field(
        description=(
            "Dotted path of a number from the top of the scenario, e.g. "
            "`schemes.court.grace_days`: a dated parameter, or a number fixed for the run (such "
            "as a `heterogeneity` shape or a grade bound), which a setting replaces for the "
            "whole run, without `from` or `until`. Only numbers that the scenario sets can be "
            "reformed; checked when loading."
        )
    )
    value: float | None = Field(description="New value, in the parameter's range; `null` repeals.")
    start: dt.date | None = Field(
        default=None,
        alias="from",
        description=(
            "Date from which the value holds (inside the horizon); later dated values before "
            "`until` are dropped. Not set: the value replaces the parameter's whole history."
        ),
    )
    until: dt.date | None = Field(
        None,
        description=(
            "Date on which the value in force before the reform returns (inside the horizon); "
            "not set means to the end."
        ),
    )


class Reform(Strict):
    """A named reform: dated values overlaid on the scenario's parameters, giving a new scenario
    (`scsim run NAME --reform REFORM`, `Scenario.reform('REFORM')`)."""

    model_config = ConfigDict(title="Reform")

    description: str = Field("", description="What the reform does, in prose.")
    set: list[Setting] = Field(description="Overlays, applied in order.")


# ---------------------------------------------------------------------------------------------
# The scenario


class ScenarioSpec(Strict):
    """The top level of a scenario file."""

    model_config = ConfigDict(title="Scenario")

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")] = Field(
        description=(
            "Scenario name; names the run directory `<name>-<hash8>-s<seed>`. A reform appends "
            "`-<reform>`."
        )
    )
    title: str = Field(
        "", description="One-line title, shown by `scsim scenarios` and in the manifest."
    )
    description: str = Field("", description="What the scenario models, in prose.")
    world: World = Field(description="Horizon, seed, population and epoch length.")
    behaviour: Behaviour = Field(description="The event catalogue.")
    observation: Observation = Field(
        Observation(), description="Data sources, detection probabilities and misattribution."
    )
    schemes: dict[str, Scheme] = Field(
        {},
        description=(
            "The schemes in force by name; `kind` picks the sort. At most one `points`, one "
            "`court_list` and one `composite` scheme, and at most 4 `blacklist` or `redlist` "
            "schemes. Measures and a list's `excludes` refer to lists and the composite score by "
            "these names."
        ),
    )
    measures: dict[str, Measure] = Field(
        {}, description="Sanctions and rewards by name; at most 15."
    )
    # free, any finite value
    parameters: dict[str, Annotated[Param, Bounds()]] = Field(
        {},
        description=(
            "Free parameters by name, each a dated parameter with its references: a number that "
            "rules use (`p.parameters.<name>` in any expression, at its value on the start date) "
            "and reforms can set, such as the strength of a red list's showcasing effect."
        ),
    )
    economy: Economy = Field(Economy(), description="Saving, income growth and debt.")
    hukou: Hukou = Field(
        Hukou(),
        description=(
            "Public services tied to the hukou place, and hukou conversion; not set means neither."
        ),
    )
    calibration: dict[str, Target] = Field(
        {}, description="Targets the run is compared against, by name."
    )
    reforms: dict[str, Reform] = Field({}, description="Named reforms of this scenario.")
    headline: list[str] = Field(
        [],
        description=(
            "The outcomes that hurt which the audit and the report lead with, in "
            "this order: `listed` (the court list), `sanction_<measure>`, `on_<list>` (a black "
            "list), `lacks_<right>` (a hukou right), `grade` (below the starting grade), "
            "`composite_band` (the lowest band). Each must be one that the scenario's "
            "mechanisms have. Not set: all of them, in that order."
        ),
    )

    def adverse_outcomes(self) -> list[str]:
        """The names of the outcomes that hurt that this scenario's mechanisms have, in the
        audit's order (the names ``headline`` may list)."""
        names = ["listed"] if self.court_list() is not None else []
        names += [f"sanction_{m}" for m, measure in self.measures.items() if not measure.is_reward]
        names += [f"on_{n}" for n, s in self.lists().items() if s.kind == "blacklist"]
        names += [f"lacks_{r}" for r in self.hukou.rights]
        names += ["grade"] if self.points_scheme() is not None else []
        names += ["composite_band"] if self.composite() is not None else []
        return names

    def points_scheme(self) -> tuple[str, PointsScheme] | None:
        return next(((n, s) for n, s in self.schemes.items() if isinstance(s, PointsScheme)), None)

    def court_list(self) -> tuple[str, CourtList] | None:
        return next(((n, s) for n, s in self.schemes.items() if isinstance(s, CourtList)), None)

    def composite(self) -> tuple[str, CompositeScore] | None:
        return next(
            ((n, s) for n, s in self.schemes.items() if isinstance(s, CompositeScore)), None
        )

    def lists(self) -> dict[str, ListScheme]:
        """The sectoral black lists and the red lists, by name."""
        return {n: s for n, s in self.schemes.items() if isinstance(s, ListScheme)}

    def mechanisms(self) -> list[str]:
        """The mechanisms this scenario uses besides behaviour, in data-flow order (for
        ``scsim scenarios``)."""
        used = []
        obs = self.observation
        if (
            obs.detection
            or obs.sources
            or obs.misattribution.max_over(EPOCH_START, dt.date.max) > 0
        ):
            used.append("surveillance" if obs.sources else "observation")
        for scheme in self.schemes.values():
            used.append(SCHEME_KINDS[scheme.kind].short)
        if self.world.population.graph is not None:
            used.append("friendship graph")
        if self.measures:
            used.append(f"{len(self.measures)} measures")
        if self.hukou.rights or self.hukou.conversion:
            used.append("hukou rights")
        return list(dict.fromkeys(used))


# ---------------------------------------------------------------------------------------------
# Parameters by path (what a reform names)


class ParameterPathError(ValueError):
    """A dotted path that does not lead to a number; ``found`` is the part that exists."""

    def __init__(self, message: str, found: tuple[str, ...]) -> None:
        self.found = found
        super().__init__(message)


# Plain numbers a setting may not name, and the option that sets each instead.
NOT_SETTABLE = {"world.seed": "--seed", "world.population.agents": "--population"}


def parameter_at(root: BaseModel, path: str) -> tuple[Param | float, Bounds]:
    """The number at a dotted ``path`` below ``root`` and the range of its values.

    Mostly a dated :class:`Param`; a plain number (a heterogeneity draw's shape, a grade band's
    bound) is *fixed for the run*: a setting replaces it for the whole run, never from a date
    (:func:`fixed_problem`). Mapping keys are path parts (``schemes.court.grace_days``); a path
    that leads nowhere raises ParameterPathError with a "did you mean" for the part that is not
    there.
    """
    if path in NOT_SETTABLE:
        message = f"{path} is not set this way: use {NOT_SETTABLE[path]}"
        raise ParameterPathError(message, tuple(path.split(".")))
    node: object = root
    annotation: object = type(root)
    parts = path.split(".")
    for depth, part in enumerate(parts):
        children = _path_children(node, annotation)
        if part not in children:
            where = ".".join(parts[:depth]) or "the scenario"
            message = f"{where} has no '{part}'{did_you_mean(part, children)}"
            raise ParameterPathError(message, tuple(parts[:depth]))
        node, annotation = children[part]
    if node is None:
        message = f"{path} is not set in this scenario, so it cannot be reformed"
        raise ParameterPathError(message, tuple(parts))
    bare, metadata = _strip(annotation)
    if isinstance(node, Param):
        return node, next((m for m in metadata if isinstance(m, Bounds)), Bounds())
    if isinstance(node, int | float) and not isinstance(node, bool):
        return float(node), _field_bounds(bare, metadata)
    message = f"{path} is not a number (a dated parameter or a number fixed for the run)"
    raise ParameterPathError(message, tuple(parts))


@dataclass(frozen=True)
class DatedValue:
    """One dated value of a parameter, addressed as ``PATH@DATE``: in force from ``day`` until
    ``until`` (the parameter's next date; None: to the end)."""

    path: str
    day: dt.date
    until: dt.date | None
    value: float | None
    bounds: Bounds


def is_dated_key(key: str) -> bool:
    """Whether a settings key addresses one dated value (``PATH@DATE``)."""
    return "@" in key


def whole_rule_also_given(key: str, keys: Container[str]) -> str | None:
    """For ``PATH@DATE``, ``PATH`` when ``keys`` hold it too (one step of a rule and the whole
    rule given at once, which cannot both hold); None otherwise."""
    whole = key.partition("@")[0]
    return whole if is_dated_key(key) and whole in keys else None


def dated_value_at(root: BaseModel, key: str) -> DatedValue:
    """The dated value ``PATH@DATE`` names: DATE must be one of the dates of the parameter's
    own rule (a calibration frees the value of one step of a dated ramp, keeping the others).
    Raises ParameterPathError naming the dates there are."""
    path, _, text = key.partition("@")
    number, bounds = parameter_at(root, path)
    parts = tuple(path.split("."))
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        message = f"'{text}' after '@' is not a date (write {path}@YYYY-MM-DD)"
        raise ParameterPathError(message, parts) from None
    dates = sorted(number.values) if isinstance(number, Param) else []
    if len(dates) < 2:
        message = f"{path} has one value for the whole run, not dated values — address it as {path}"
        raise ParameterPathError(message, parts)
    if day not in number.values:
        listed = ", ".join(str(d) for d in dates)
        message = f"{path} has no value dated {day}; its dates are {listed}"
        raise ParameterPathError(message, parts)
    later = [d for d in dates if d > day]
    return DatedValue(path, day, later[0] if later else None, number.values[day], bounds)


def fixed_problem(path: str, value: float | None, start: object, until: object) -> str:
    """Why a setting cannot apply to the number fixed for the run at ``path`` (or "")."""
    if value is None:
        return f"{path} is fixed for the whole run and cannot be repealed: give a number"
    if start is not None or until is not None:
        return (
            f"{path} is fixed for the whole run (drawn or checked once, at the start), so it "
            "takes no 'from' or 'until': set it for the whole run"
        )
    return ""


def _field_bounds(bare: object, metadata: list[object]) -> Bounds:
    """A plain number field's ``Field(ge=…, le=…)`` constraints as :class:`Bounds`."""
    low = high = None
    above_low = False
    for item in metadata:
        for name in ("ge", "gt", "le", "lt"):
            bound = getattr(item, name, None)
            if bound is None:
                continue
            if name in ("ge", "gt"):
                low, above_low = float(bound), name == "gt"
            else:
                high = float(bound)  # (lt read as le: the overlaid scenario is validated again)
    return Bounds(low, high, above_low=above_low, whole=bare is int)


def _path_children(node: object, annotation: object) -> dict[str, tuple[object, object]]:
    """Path part → (value, declared type) for each entry of a model or a mapping."""
    if isinstance(node, BaseModel):
        fields: dict[str, FieldInfo] = type(node).model_fields
        return {
            info.alias or name: (getattr(node, name), info.rebuild_annotation())
            for name, info in fields.items()
        }
    if isinstance(node, dict):
        bare, _ = _strip(annotation)
        args = get_args(bare)
        value_type = args[1] if get_origin(bare) is dict and len(args) == 2 else None
        return {str(key): (value, value_type) for key, value in node.items()}
    return {}


def _strip(annotation: object) -> tuple[object, list[object]]:
    """``annotation`` without ``Annotated`` and ``| None``, and the metadata taken off it."""
    metadata: list[object] = []
    while True:
        origin = get_origin(annotation)
        members = [a for a in get_args(annotation) if a is not type(None)]
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata += extra
        elif origin in (Union, types.UnionType) and len(members) == 1:
            annotation = members[0]
        else:
            return annotation, metadata
