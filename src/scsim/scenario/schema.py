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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

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
# Validation context key: the loader runs the cross-reference checks itself, on every part of a
# scenario that validates, so that they are reported alongside any schema error.
SKIP_CROSS_REFERENCES = "skip_cross_references"


class Strict(BaseModel):
    """Base for every scenario model: strict types, unknown keys rejected, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class Reference(Strict):
    title: str
    href: str = ""
    verified: bool


class Param(Strict):
    """A number with dated values; ``None`` repeals from that date on. A plain number is allowed.

    The field that holds a parameter gives the range of its values, finite ones only, as
    ``Annotated[Param, Bounds(...)]``; every value is checked there, so that all the values out
    of range are reported together.
    """

    model_config = ConfigDict(allow_inf_nan=True)  # Bounds reports .nan and .inf at the value

    label: str = ""
    unit: str = ""
    values: dict[dt.date, float | None]
    reference: list[Reference] = []

    @model_validator(mode="before")
    @classmethod
    def _plain_number(cls, data: object) -> object:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"values": {EPOCH_START: float(data)}}
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


def _param(value: float) -> Param:
    return Param.model_validate(value)


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

    def describe(self) -> str:
        """The range in words: "between 0 and 1", "a whole number from 0 to 32,000"."""
        low, high = self.low, self.high
        if low is not None and high is not None and not self.above_low:
            text = f"{'from' if self.whole else 'between'} {_number(low)} "
            text += f"{'to' if self.whole else 'and'} {_number(high)}"
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
RateParam = Annotated[Param, Bounds(0)]  # events or interest per year
DaysParam = Annotated[Param, Bounds(0, MAX_DAYS, whole=True)]
YuanParam = Annotated[Param, Bounds(0)]
PointsParam = Annotated[Param, Bounds(-MAX_POINTS, MAX_POINTS)]
GrowthParam = Annotated[Param, Bounds(-1, above_low=True)]  # a yearly rate of change

Expression = Annotated[str, Field(min_length=1)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]


# ---------------------------------------------------------------------------------------------
# World


class GraphSpec(Strict):
    """The friendship network (population/graph.py): heavy-tailed degrees, homophily."""

    mean_degree: Annotated[float, Field(gt=0, le=500)] = 8.0
    tail: Annotated[float, Field(gt=1, le=10)] = 2.5
    max_degree: Annotated[int, Field(ge=1, le=100_000)] = 1000
    homophily_province: Probability = 0.7
    homophily_cell: Probability = 0.5
    reference: list[Reference] = []

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
    agents: Annotated[int, Field(gt=0, le=2_000_000_000)] = 100_000
    provinces: list[str] | None = None
    real_population: Annotated[float, Field(gt=0)] | None = None
    graph: GraphSpec | None = None


class World(Strict):
    start: dt.date
    end: dt.date
    seed: int = 1
    population: PopulationSpec = PopulationSpec()
    epoch: Literal["month", "quarter", "year"] = "month"

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
    """A per-citizen multiplier of the event probability, drawn once: Gamma(shape, scale), clipped."""

    shape: Annotated[float, Field(gt=0)]
    scale: Annotated[float, Field(gt=0)]
    clip: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=2, max_length=2)] = [
        0.0,
        1e9,
    ]

    @model_validator(mode="after")
    def _clip_ordered(self) -> Heterogeneity:
        if self.clip[1] < self.clip[0]:
            raise PathError(("clip", 1), "the upper clip bound is below the lower one")
        return self


class Amount(Strict):
    """A money amount in yuan, log-normal: median and sigma of the underlying normal."""

    median: YuanParam
    sigma: Annotated[float, Field(ge=0)] = 0.0


class Habituation(Strict):
    """Fear fades: the deterrence exponent falls from its full value towards ``floor`` × it, by
    half every ``half_life_days`` after the points scheme first runs anywhere."""

    half_life_days: Annotated[int, Field(gt=0, le=MAX_DAYS)]
    floor: Probability = 0.0


class Deterrence(Strict):
    """How a citizen's own standing damps the event: probability × (points / base) ** exponent."""

    points_exponent: Annotated[float, Field(ge=0)] = 0.0
    detection_sensitivity: Annotated[float, Field(ge=0, le=1)] = 0.0
    habituation: Habituation | None = None


Consequence = Literal["none", "fine", "judgment", "move"]


class Event(Strict):
    label: str = ""
    daily_probability: ProbabilityParam | None = None
    annual_rate: RateParam | None = None
    modifier: Expression = "1"
    eligible: Expression = "age >= 18"
    heterogeneity: Heterogeneity | None = None
    deterrence: Deterrence = Deterrence()
    consequence: Consequence = "none"
    amount: Amount | None = None
    pay_within_days: Days = 30
    reference: list[Reference] = []

    @model_validator(mode="after")
    def _one_rate(self) -> Event:
        if (self.daily_probability is None) == (self.annual_rate is None):
            raise PathError((), "give exactly one of 'daily_probability' or 'annual_rate'")
        if self.consequence in ("fine", "judgment") and self.amount is None:
            raise PathError(("amount",), f"a '{self.consequence}' needs an 'amount'")
        return self


class Behaviour(Strict):
    events: dict[str, Event]


# ---------------------------------------------------------------------------------------------
# Observation


class Source(Strict):
    """A data source (police cameras, courts, banks, platforms, network monitoring).

    The chance that it records an event where a citizen lives is ``coverage`` (a number or a
    rule over the place and cell, as in ``detection``) × ``rollout`` (how far deployment has got,
    dated) × ``sharing`` (the share of its records that reach the authorities: companies resist
    pooling), × ``intensity[flag]`` for each cell flag the citizen has (group-targeted
    monitoring), at most 1.
    """

    label: str = ""
    coverage: Expression | Probability = 1.0
    rollout: ProbabilityParam = _param(1.0)
    sharing: ProbabilityParam = _param(1.0)
    intensity: dict[str, Annotated[float, Field(ge=0, le=1000)]] = {}
    reference: list[Reference] = []


class Observation(Strict):
    sources: dict[str, Source] = {}
    # per event kind: a probability, a rule over place and cell, or the sources that record it
    detection: dict[str, Expression | Probability | list[str]] = {}
    misattribution: ProbabilityParam = _param(0.0)


# ---------------------------------------------------------------------------------------------
# Schemes


class Consent(Strict):
    """Whether scoring needs consent, and the (dated) share of residents who give it."""

    required: bool = False
    share: ProbabilityParam = _param(1.0)


Scope = Literal["local", "provincial", "national"]


class Jurisdiction(Strict):
    """Where and when a scheme runs, and how far its verdicts reach.

    ``provinces`` (all when omitted) run it from ``from`` (or from their own ``rollout`` date)
    until ``until`` — with a ``rollout`` and no ``provinces``, only the provinces it names; within a province it covers the ``coverage`` share of residents (the
    cities that run it). ``scope``: ``local`` — only residents of a covered place are scored and
    sanctioned; ``provincial`` — every resident of a province that runs it; ``national`` — once
    enrolled, a citizen stays scored and sanctioned wherever they move.
    """

    provinces: list[str] | None = None
    start: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None
    rollout: dict[str, dt.date] = {}
    coverage: ProbabilityParam | None = None  # everyone in the provinces
    scope: Scope = "local"


class Recovery(Strict):
    clean_days: Annotated[int, Field(gt=0, le=MAX_DAYS)] = 30
    points: Annotated[int, Field(ge=0, le=MAX_POINTS)] = 1


class PointsScheme(Strict):
    kind: Literal["points"]
    label: str = ""
    base: PointsParam
    cap: PointsParam | None = None
    floor: Annotated[float, Field(ge=-MAX_POINTS, le=MAX_POINTS)] = 0.0
    deltas: dict[str, PointsParam]
    local_deltas: dict[str, dict[str, PointsParam]] = {}
    recovery: Recovery | None = None
    grades: dict[str, float]
    applies_to: Expression = "age >= 18"
    consent: Consent = Consent()
    jurisdiction: Jurisdiction = Jurisdiction()
    reference: list[Reference] = []

    @model_validator(mode="after")
    def _grades_ordered(self) -> PointsScheme:
        errors = _band_errors(self.grades, "grades", "grade bands")
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
    enabled: bool = False
    after_days: Days = 365
    monthly_probability: ProbabilityParam = _param(0.05)


class CourtList(Strict):
    kind: Literal["court_list"]
    label: str = ""
    list_from: dt.date
    national_from: dt.date
    grace_days: DaysParam
    list_probability: ProbabilityParam = _param(1.0)
    min_listing_amount: YuanParam = _param(0.0)
    term_days: DaysParam
    repeat_extension_days: DaysParam = _param(365.0)
    pay_if_able: Probability = 0.8
    monthly_payment_propensity: Probability = 0.1
    no_assets: NoAssetsRule = NoAssetsRule()
    reference: list[Reference] = []


Transform = Literal["linear", "log", "saturating"]


class Term(Strict):
    """One input of a composite dimension: ``effect`` × transform(input / scale).

    Transforms are increasing in the input (linear x, log log(1 + x), saturating x / (1 + x)),
    so a dimension is monotone in every input, in the direction of the sign of ``effect``.
    """

    input: str
    effect: Annotated[float, Field(ge=-10, le=10)]
    transform: Transform = "linear"
    scale: Annotated[float, Field(gt=0)] = 1.0


class Dimension(Strict):
    """A sub-score in [0, 1]: clip(baseline + sum of the terms, 0, 1)."""

    label: str = ""
    weight: Annotated[float, Field(ge=0)]
    baseline: Probability = 0.5
    terms: list[Term] = []
    reference: list[Reference] = []


class Adoption(Strict):
    """Who is scored: users opt in; ``share`` (dated) of those ``eligible`` use the platform."""

    eligible: Expression = "age >= 18"
    share: ProbabilityParam = _param(1.0)


class TieDropping(Strict):
    """Users drop ties to friends scoring below ``below``, each with ``monthly_probability``."""

    below: Annotated[float, Field(ge=0, le=MAX_POINTS)]
    monthly_probability: ProbabilityParam


class CompositeScore(Strict):
    """A private composite score (Sesame-style): a weighted mean of dimensions, mapped onto
    ``range``, recomputed every epoch for users only; ``bands`` name its perk thresholds."""

    kind: Literal["composite"]
    label: str = ""
    range: Annotated[
        list[Annotated[float, Field(ge=0, le=MAX_POINTS)]], Field(min_length=2, max_length=2)
    ]
    weights_sum: Annotated[float, Field(gt=0)] = 1.0
    dimensions: dict[str, Dimension]
    bands: dict[str, float]
    adoption: Adoption = Adoption()
    ties: TieDropping | None = None
    jurisdiction: Jurisdiction = Jurisdiction(scope="national")
    reference: list[Reference] = []

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
    """A sectoral black list or a red list of model citizens, kept from records.

    Checked at every epoch end: an eligible citizen with at least ``threshold`` records of the
    ``records`` kinds in the current calendar year is listed for ``term_days``. ``excludes`` names
    other lists (or the court list) whose members cannot join — red lists exclude the
    blacklisted.
    """

    kind: Literal["blacklist", "redlist"]
    label: str = ""
    records: list[str]
    threshold: Annotated[int, Field(ge=1, le=10_000)] = 1
    term_days: DaysParam
    applies_to: Expression = "age >= 18"
    excludes: list[str] = []
    jurisdiction: Jurisdiction = Jurisdiction(scope="national")
    reference: list[Reference] = []


Scheme = Annotated[
    PointsScheme | CourtList | CompositeScore | ListScheme, Field(discriminator="kind")
]


# ---------------------------------------------------------------------------------------------
# Measures and economy


class Effects(Strict):
    income_factor: Annotated[float, Field(ge=0)] = 1.0
    monthly_cost: float = 0.0
    pay_pressure: Probability = 0.0
    interest_add: float = 0.0


class Measure(Strict):
    label: str = ""
    when: Expression
    effects: Effects = Effects()
    reference: list[Reference] = []


class Economy(Strict):
    savings_rate: ProbabilityParam = _param(0.2)
    income_growth: GrowthParam = _param(0.05)
    debt_interest: RateParam = _param(0.06)
    debt_repayment_share: ProbabilityParam = _param(0.1)


# ---------------------------------------------------------------------------------------------
# Hukou


class Right(Strict):
    """A public service tied to the hukou place (pensions, public schooling, health insurance).

    ``needs`` says who uses it (parents of school-age children, the retired, everyone); among
    them, those for whom ``access`` is false lose it, and pay ``monthly_cost`` from their wealth
    instead (private schools, out-of-pocket care).
    """

    label: str = ""
    needs: Expression = "age >= 18"
    access: Expression
    monthly_cost: YuanParam = _param(0.0)
    reference: list[Reference] = []


class Conversion(Strict):
    """Hukou conversion: a migrant for whom ``requires`` holds obtains a local urban hukou with
    ``annual_probability`` where they live (``provinces``; every other province when omitted)."""

    label: str = ""
    provinces: list[str] | None = None
    requires: Expression = "migrant"
    annual_probability: ProbabilityParam
    reference: list[Reference] = []


class Hukou(Strict):
    rights: dict[str, Right] = {}
    conversion: dict[str, Conversion] = {}


# ---------------------------------------------------------------------------------------------
# Calibration and reforms


class Target(Strict):
    label: str = ""
    metric: str
    group: str = "all"
    categories: list[str] = []  # for a metric split by category: the sum over these
    period: Annotated[list[dt.date], Field(min_length=2, max_length=2)]
    low: float
    high: float
    reference: list[Reference] = []

    @model_validator(mode="after")
    def _ordered(self) -> Target:
        if self.high < self.low:
            raise PathError(("high",), "the target's 'high' is below its 'low'")
        if self.period[1] < self.period[0]:
            raise PathError(("period",), "the period ends before it starts")
        return self


class Setting(Strict):
    path: str
    value: float | None
    start: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None


class Reform(Strict):
    description: str = ""
    set: list[Setting]


# ---------------------------------------------------------------------------------------------
# The scenario


class ScenarioSpec(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: str = ""
    description: str = ""
    world: World
    behaviour: Behaviour
    observation: Observation = Observation()
    schemes: dict[str, Scheme] = {}
    measures: dict[str, Measure] = {}
    parameters: dict[str, Annotated[Param, Bounds()]] = {}  # free, any finite value
    economy: Economy = Economy()
    hukou: Hukou = Hukou()
    calibration: dict[str, Target] = {}
    reforms: dict[str, Reform] = {}

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
            used.append(
                {"points": "points", "court_list": "court list", "composite": "private score",
                 "blacklist": "black list", "redlist": "red list"}[scheme.kind]
            )  # fmt: skip
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
    """A dotted path that does not lead to a dated parameter; ``found`` is the part that exists."""

    def __init__(self, message: str, found: tuple[str, ...]) -> None:
        self.found = found
        super().__init__(message)


def parameter_at(root: BaseModel, path: str) -> tuple[Param, Bounds]:
    """The dated parameter at a dotted ``path`` below ``root`` and the range of its values.

    Mapping keys are path parts (``schemes.court.grace_days``); a path that leads nowhere raises
    ParameterPathError with a "did you mean" for the part that is not there.
    """
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
    if not isinstance(node, Param):
        message = f"{path} is not a parameter (a number with dated values)"
        raise ParameterPathError(message, tuple(parts))
    _, metadata = _strip(annotation)
    return node, next((m for m in metadata if isinstance(m, Bounds)), Bounds())


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
