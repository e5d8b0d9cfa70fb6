"""Hukou rights: public services tied to the place of registration, and conversion.

Pensions, public schooling for children and health insurance are tied to the hukou place
(REFERENCE.md §5): a migrant living away from it loses access unless a rule grants it (years of
residence, formal employment, a local points total). Each right names who ``needs`` it and who
has ``access``; those who need it and lack access pay its ``monthly_cost`` from their wealth
(private schools, out-of-pocket care), applied by the kernel with the other monthly costs.

Conversion rules let migrants obtain a local urban hukou where they live: easily in small and
medium cities, restrictively and by points in the largest. Each epoch, a migrant for whom a rule's
``requires`` holds converts with the rule's annual probability scaled to the epoch's length
(a counter-based draw keyed by the epoch's first day). Rules name provinces; a rule without
provinces covers every province that no other rule names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from scsim.core import rng
from scsim.core.vocabulary import FLAG, PROVINCE_NAMES, ColumnType
from scsim.rules import Expr, compile_expr
from scsim.scenario.schema import Hukou
from scsim.scenario.vocabulary import BOOL, CITIZEN

from .attributes import follows_residence, holds
from .stage import World
from .tally import histogram, sums


@dataclass(frozen=True)
class HukouPlan:
    spec: Hukou
    right_names: tuple[str, ...]
    needs: tuple[Expr, ...]
    access: tuple[Expr, ...]
    rule_names: tuple[str, ...]
    requires: tuple[Expr, ...]
    rule_provinces: np.ndarray  # bool [rule, province]: where each conversion rule applies

    @property
    def active(self) -> bool:
        return bool(self.right_names or self.rule_names)

    def change_dates(self) -> list[dt.date]:
        dates = [d for r in self.spec.rights.values() for d in r.monthly_cost.change_dates()]
        dates += [
            d for c in self.spec.conversion.values() for d in c.annual_probability.change_dates()
        ]
        return dates


def prepare(spec: Hukou, params) -> HukouPlan:
    def compiled(text: str) -> Expr:
        return compile_expr(text, variables=CITIZEN, params=params, expect=BOOL)

    n_prov = len(PROVINCE_NAMES)
    named = np.zeros(n_prov, dtype=bool)
    for rule in spec.conversion.values():
        for name in rule.provinces or ():
            named[PROVINCE_NAMES.index(name)] = True
    where = np.zeros((len(spec.conversion), n_prov), dtype=bool)
    for r, rule in enumerate(spec.conversion.values()):
        if rule.provinces is None:
            where[r] = ~named
        else:
            where[r, [PROVINCE_NAMES.index(p) for p in rule.provinces]] = True
    return HukouPlan(
        spec=spec,
        right_names=tuple(spec.rights),
        needs=tuple(compiled(r.needs) for r in spec.rights.values()),
        access=tuple(compiled(r.access) for r in spec.rights.values()),
        rule_names=tuple(spec.conversion),
        requires=tuple(compiled(c.requires) for c in spec.conversion.values()),
        rule_provinces=where,
    )


def lacking(plan: HukouPlan, arrays, n: int) -> np.ndarray:
    """Bit r set (uint8 per citizen) where a citizen needs right r and has no access to it."""
    bits = np.zeros(n, dtype=np.uint8)
    for r, (needs, access) in enumerate(zip(plan.needs, plan.access, strict=True)):
        need = np.broadcast_to(needs.evaluate(arrays), (n,))
        lack = need & ~holds(access, arrays, need)  # access is asked of those in need only
        bits |= lack.astype(np.uint8) << r
    return bits


def monthly_cost(plan: HukouPlan, bits: np.ndarray, date: dt.date) -> np.ndarray:
    """What each citizen pays per month for the rights they lack (float32)."""
    return cost_table(plan, date)[bits]


def cost_table(plan: HukouPlan, date: dt.date) -> np.ndarray:
    """The monthly cost (float32) of each pattern of rights lacked (bit r: right r)."""
    costs = np.array([r.monthly_cost.at(date) or 0.0 for r in plan.spec.rights.values()])
    codes = np.arange(1 << len(costs))
    by_code = sum(((codes >> r) & 1) * cost for r, cost in enumerate(costs))  # every bit pattern
    return np.asarray(by_code, dtype=np.float32)


def conversions(
    plan: HukouPlan,
    arrays,
    province: np.ndarray,
    migrant: np.ndarray,
    seed: int,
    day0: int,
    date: dt.date,
    days: int,
) -> np.ndarray:
    """Who obtains a local urban hukou over the epoch starting on ``day0`` (bool per citizen)."""
    n = province.size
    convert = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero(migrant)
    if candidates.size == 0:
        return convert
    u = rng.uniform_np(seed, rng.Stream.HUKOU, candidates, day0)
    for r, rule in enumerate(plan.spec.conversion.values()):
        annual = rule.annual_probability.at(date) or 0.0
        if annual <= 0.0:
            continue
        p = 1.0 - (1.0 - annual) ** (days / 365.25)
        drawn = candidates[u < p]  # the few the draw picks; then where the rule applies
        drawn = drawn[plan.rule_provinces[r][province[drawn]]]
        where = np.zeros(n, dtype=bool)
        where[drawn] = True
        convert |= holds(plan.requires[r], arrays, where)  # (asked of those alone)
    return convert


class HukouStage:
    """Hukou rights and conversions at the epoch boundary (a
    :class:`~scsim.mechanisms.stage.Stage`): the rights each citizen lacks and what that costs
    them a month (``citizen_cost``, for the kernel), asked at each epoch's start; conversions at
    each epoch's end (registration moves to the province of residence). Built only when the
    scenario has rights or conversion rules. It runs after the moves (``mechanisms.stage.
    MovesStage``) at an epoch's end, and reads who moved or converted in ``World.relocated``."""

    kind: ClassVar[str] = "hukou"  # (the scenario's hukou section: not a scheme)
    schemes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, plan: HukouPlan, n: int) -> None:
        self.plan = plan
        self.lacking = np.zeros(n, dtype=np.uint8)  # bit r: right r lacked
        self.citizen_cost = np.zeros(n, dtype=np.float32)  # monthly cost of the rights lacked
        self.converted = np.zeros(n, dtype=bool)  # converted at some epoch end
        self.converted_now = np.zeros(n, dtype=bool)  # converted at the last epoch end
        self.lacking_year = None  # the year the rights were last asked of everyone
        # (whether, within a year, only movers and converters need asking again)
        self.follows_residence = follows_residence(*plan.needs, *plan.access)
        self.prices = None  # the monthly cost of each pattern of rights lacked, as last applied

    @classmethod
    def build(cls, spec, world: World, params) -> HukouStage | None:
        """The hukou stage, or None without rights and conversion rules."""
        plan = prepare(spec.hukou, params)
        return cls(plan, len(world.pop)) if plan.active else None

    @classmethod
    def bytes_per_citizen(cls, spec) -> int:
        return 0  # (rights lacked and their costs: counted with the engine's own state)

    @classmethod
    def column_types(cls, spec) -> dict[str, ColumnType]:
        """``lacks_<right>`` per right; ``hukou_converted`` with conversion rules."""
        cols = {f"lacks_{right}": FLAG for right in spec.hukou.rights}
        if spec.hukou.conversion:
            cols["hukou_converted"] = FLAG
        return cols

    def change_dates(self) -> list[dt.date]:
        return self.plan.change_dates()

    def begin_epoch(self, world: World, day0: int, date: dt.date) -> None:
        """The rights each citizen lacks, and what that costs them a month. Rules that read only
        residence and fixed attributes are asked of everyone once a year, and in between of
        those who moved or converted (whose costs alone change, unless the prices do)."""
        plan = self.plan
        if not plan.right_names:
            return
        arrays = world.arrays(date.year)
        prices = cost_table(plan, date)
        if date.year != self.lacking_year or not self.follows_residence:
            self.lacking = lacking(plan, arrays, len(world.pop))
            self.lacking_year = date.year
            self.citizen_cost = prices[self.lacking]
        else:
            who = world.relocated
            if who.size:
                self.lacking[who] = lacking(plan, arrays.subset(who), who.size)
            if np.array_equal(prices, self.prices):
                self.citizen_cost[who] = prices[self.lacking[who]]
            else:
                self.citizen_cost = prices[self.lacking]
        self.prices = prices

    def end_epoch(self, world: World, day0: int, day1: int, date0: dt.date,
                  date1: dt.date) -> None:  # fmt: skip
        """Conversions over the epoch (after the moves): a local urban hukou where they live."""
        pop = world.pop
        converted = np.zeros(len(pop), dtype=bool)
        if self.plan.rule_names:
            last = date1 - dt.timedelta(days=1)
            converted = conversions(self.plan, world.arrays(last.year), world.province,
                                    pop.migrant, world.seed, day0, date0, day1 - day0)  # fmt: skip
            pop.hukou_province[converted] = world.province[converted]
            pop.hukou_urban[converted] = True
            pop.migrant[converted] = False
            self.converted |= converted
        self.converted_now = converted
        world.relocate(np.flatnonzero(converted))

    def variables(self, world: World) -> dict[str, Callable]:
        return {}  # (its rules read the population's hukou, residence and migrant status)

    def tally(self, world: World, date: dt.date, year_end: bool) -> None:
        """``rights_lacking`` (by the group now), ``hukou_conversions`` (a flow: by the group
        converted from) and ``migrants``."""
        plan = self.plan
        if plan.right_names:
            lacks = histogram(world.group, self.lacking, 1 << len(plan.right_names))
            for r, right in enumerate(plan.right_names):
                bit = (np.arange(lacks.shape[1]) >> r) & 1 == 1
                world.emit(date, "rights_lacking", lacks[:, bit].sum(axis=1), right)
        if plan.rule_names:
            world.emit(date, "hukou_conversions", sums(world.flow_group, self.converted_now))
        migrants = histogram(world.group, world.pop.migrant.view(np.uint8), 2)
        world.emit(date, "migrants", migrants[:, 1])

    def columns(self, end_day: int) -> dict:
        cols: dict = {}
        for r, right in enumerate(self.plan.right_names):
            cols[f"lacks_{right}"] = (self.lacking >> r) & 1 == 1
        if self.plan.rule_names:
            cols["hukou_converted"] = self.converted
        return cols

    def release(self) -> None:
        pass
