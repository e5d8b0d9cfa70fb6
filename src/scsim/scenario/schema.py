"""The scenario schema: pydantic v2 models, strict, unknown keys forbidden, cross-references checked.

A scenario names a world (horizon, seed, population), a catalogue of behaviour events, what the
authorities observe, the schemes in force (a points scheme, the court list), the measures keyed
to their outcomes, the economy, calibration targets and named reforms. Every number that a
reader may want to source is a :class:`Param`: dated values, a unit, a label and references.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from scsim.scenario.errors import PathError, PathErrors, describe

EPOCH_START = dt.date(1900, 1, 1)  # the date a plain number takes effect: always in force
SEED_MAX = 2**63 - 1  # keys the uint64 RNG (engine/rng.py); int64 so that DuckDB can read it
# Validation context key: the loader runs the cross-reference checks itself, on every part of a
# scenario that validates, so that they are reported alongside any schema error.
SKIP_CROSS_REFERENCES = "skip_cross_references"


class Strict(BaseModel):
    """Base for every scenario model: strict types, unknown keys rejected, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Reference(Strict):
    title: str
    href: str = ""
    verified: bool


class Param(Strict):
    """A number with dated values; ``None`` repeals from that date on. A plain number is allowed."""

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


Expression = Annotated[str, Field(min_length=1)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


# ---------------------------------------------------------------------------------------------
# World


class PopulationSpec(Strict):
    agents: Annotated[int, Field(gt=0, le=2_000_000_000)] = 100_000
    provinces: list[str] | None = None
    real_population: Annotated[float, Field(gt=0)] | None = None


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
    clip: Annotated[list[float], Field(min_length=2, max_length=2)] = [0.0, 1e9]


class Amount(Strict):
    """A money amount in yuan, log-normal: median and sigma of the underlying normal."""

    median: Param
    sigma: Annotated[float, Field(ge=0)] = 0.0


class Deterrence(Strict):
    """How a citizen's own standing damps the event: probability × (points / base) ** exponent."""

    points_exponent: Annotated[float, Field(ge=0)] = 0.0
    detection_sensitivity: Annotated[float, Field(ge=0, le=1)] = 0.0


Consequence = Literal["none", "fine", "judgment", "move"]


class Event(Strict):
    label: str = ""
    daily_probability: Param | None = None
    annual_rate: Param | None = None
    modifier: Expression = "1"
    eligible: Expression = "age >= 18"
    heterogeneity: Heterogeneity | None = None
    deterrence: Deterrence = Deterrence()
    consequence: Consequence = "none"
    amount: Amount | None = None
    pay_within_days: Annotated[int, Field(ge=0)] = 30
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


class Observation(Strict):
    detection: dict[str, Expression | float] = {}
    misattribution: Param = _param(0.0)


# ---------------------------------------------------------------------------------------------
# Schemes


class Consent(Strict):
    """Whether scoring needs consent, and the (dated) share of residents who give it."""

    required: bool = False
    share: Param = _param(1.0)


class Jurisdiction(Strict):
    provinces: list[str] | None = None
    start: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None


class Recovery(Strict):
    clean_days: Annotated[int, Field(gt=0)] = 30
    points: Annotated[int, Field(ge=0)] = 1


class PointsScheme(Strict):
    kind: Literal["points"]
    label: str = ""
    base: Param
    cap: Param | None = None
    floor: float = 0.0
    deltas: dict[str, Param]
    recovery: Recovery | None = None
    grades: dict[str, float]
    applies_to: Expression = "age >= 18"
    consent: Consent = Consent()
    jurisdiction: Jurisdiction = Jurisdiction()
    reference: list[Reference] = []

    @model_validator(mode="after")
    def _grades_ordered(self) -> PointsScheme:
        bounds = list(self.grades.values())
        names = list(self.grades)
        errors = []
        if len(bounds) < 2:
            errors.append(PathError(("grades",), "a grade scale needs at least two bands"))
        for i in range(1, len(bounds)):
            if bounds[i] <= bounds[i - 1]:
                errors.append(
                    PathError(
                        ("grades", names[i]),
                        f"grade bands overlap: '{names[i]}' starts at {bounds[i]:g}, not above "
                        f"'{names[i - 1]}' at {bounds[i - 1]:g} — list bands from lowest to highest",
                    )
                )
        if errors:
            raise PathErrors(errors)
        return self


class NoAssetsRule(Strict):
    enabled: bool = False
    after_days: Annotated[int, Field(ge=0)] = 365
    monthly_probability: Param = _param(0.05)


class CourtList(Strict):
    kind: Literal["court_list"]
    label: str = ""
    list_from: dt.date
    national_from: dt.date
    grace_days: Param
    list_probability: Param = _param(1.0)
    min_listing_amount: Param = _param(0.0)
    term_days: Param
    repeat_extension_days: Param = _param(365.0)
    pay_if_able: Probability = 0.8
    monthly_payment_propensity: Probability = 0.1
    no_assets: NoAssetsRule = NoAssetsRule()
    reference: list[Reference] = []


Scheme = Annotated[PointsScheme | CourtList, Field(discriminator="kind")]


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
    savings_rate: Param = _param(0.2)
    income_growth: Param = _param(0.05)
    debt_interest: Param = _param(0.06)
    debt_repayment_share: Param = _param(0.1)


# ---------------------------------------------------------------------------------------------
# Calibration and reforms


class Target(Strict):
    label: str = ""
    metric: str
    group: str = "all"
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
    economy: Economy = Economy()
    calibration: dict[str, Target] = {}
    reforms: dict[str, Reform] = {}

    @model_validator(mode="after")
    def _cross_references(self, info: ValidationInfo) -> ScenarioSpec:
        from scsim.scenario.crossref import check_cross_references

        if (info.context or {}).get(SKIP_CROSS_REFERENCES):
            return self
        errors = check_cross_references(self)
        if errors:
            raise PathErrors(errors)
        return self

    def points_scheme(self) -> tuple[str, PointsScheme] | None:
        return next(((n, s) for n, s in self.schemes.items() if isinstance(s, PointsScheme)), None)

    def court_list(self) -> tuple[str, CourtList] | None:
        return next(((n, s) for n, s in self.schemes.items() if isinstance(s, CourtList)), None)
