"""The courts' list of dishonest judgment debtors (SPC, from 2013-10-01).

A judgment or an unpaid fine opens a case with an amount and a due day. A citizen who can pay
(liquid wealth covers the amount) pays with probability ``pay_if_able``; otherwise, after a grace
period, the court lists them (with probability ``list_probability``). A listing ends on payment,
on expiry of its fixed term (extended for repeat listings), on a no-assets finding where the
scenario enables it, or, before the list is national, when the debtor moves to another province.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numba as nb
import numpy as np

from scsim.core import rng
from scsim.core.layout import (
    AWAITING_PAYMENT,
    CASE_AMOUNT,
    CASE_DUE,
    CASE_KIND,
    CASE_WRONGFUL,
    CASES_PAID,
    DAYS_LISTED,
    ESCAPES,
    EXITS_EXPIRY,
    EXITS_NO_ASSETS,
    IN_GRACE,
    LIST_DAY,
    LISTED,
    LISTED_SINCE,
    LISTED_UNTIL,
    N_CASES,
    N_LISTINGS,
    NEVER,
    NO_CASE,
    STAGE,
    UNLISTED_ENFORCEMENT,
    WEALTH,
    WRONGFUL_LISTINGS,
)
from scsim.scenario.schema import CourtList

# Exit reasons, as returned by the kernel functions and logged in events.parquet.
EXIT_NONE = 0
EXIT_PAID = 1
EXIT_EXPIRY = 2
EXIT_NO_ASSETS = 3
EXIT_ESCAPED = 4

# Indices into the per-epoch court parameter vector.
GRACE_DAYS = 0
LIST_PROBABILITY = 1
TERM_DAYS = 2
REPEAT_EXTENSION = 3
PAY_IF_ABLE = 4
MONTHLY_PROPENSITY = 5
LIST_FROM = 6
NATIONAL_FROM = 7
NO_ASSETS_ENABLED = 8
NO_ASSETS_AFTER = 9
NO_ASSETS_PROBABILITY = 10
ACTIVE = 11
MIN_AMOUNT = 12
N_COURT_PARAMS = 13


@dataclass(frozen=True)
class CourtPlan:
    """The court list compiled for the engine; ``vector(day)`` gives the parameters in force."""

    name: str
    spec: CourtList | None
    start: dt.date

    @property
    def active(self) -> bool:
        return self.spec is not None

    def change_dates(self) -> list[dt.date]:
        if self.spec is None:
            return []
        s = self.spec
        dates = [s.list_from, s.national_from]
        for param in (s.grace_days, s.list_probability, s.term_days, s.repeat_extension_days,
                      s.pay_if_able, s.monthly_payment_propensity, s.no_assets.after_days,
                      s.no_assets.monthly_probability, s.min_listing_amount):  # fmt: skip
            dates += param.change_dates()
        return dates

    def vector(self, day: dt.date) -> np.ndarray:
        out = np.zeros(N_COURT_PARAMS)
        s = self.spec
        if s is None:
            out[LIST_FROM] = out[NATIONAL_FROM] = NEVER
            return out
        out[GRACE_DAYS] = s.grace_days.at(day) or 0.0
        out[LIST_PROBABILITY] = s.list_probability.at(day) or 0.0
        term = s.term_days.at(day)
        out[TERM_DAYS] = -1.0 if term is None else term  # repealed: no fixed term
        out[REPEAT_EXTENSION] = s.repeat_extension_days.at(day) or 0.0
        out[PAY_IF_ABLE] = s.pay_if_able.at(day) or 0.0
        out[MONTHLY_PROPENSITY] = s.monthly_payment_propensity.at(day) or 0.0
        out[LIST_FROM] = (s.list_from - self.start).days
        out[NATIONAL_FROM] = (s.national_from - self.start).days
        out[NO_ASSETS_ENABLED] = float(s.no_assets.enabled)
        out[NO_ASSETS_AFTER] = s.no_assets.after_days.at(day) or 0.0
        out[NO_ASSETS_PROBABILITY] = s.no_assets.monthly_probability.at(day) or 0.0
        out[ACTIVE] = 1.0
        out[MIN_AMOUNT] = s.min_listing_amount.at(day) or 0.0
        return out


def prepare(name: str | None, spec: CourtList | None, start: dt.date) -> CourtPlan:
    return CourtPlan(name or "", spec, start)


@nb.njit(inline="always", cache=True)
def open_case(si, sf, i, day, kind, amount, pay_within, wrongful):
    """Add a judgment or fine of event kind ``kind`` to the citizen's case (one open case per
    citizen; amounts add up, and the case keeps the kind that opened it)."""
    if si[i, STAGE] == NO_CASE:
        si[i, STAGE] = AWAITING_PAYMENT
        si[i, CASE_KIND] = kind
        si[i, CASE_DUE] = min(day + pay_within, NEVER - 1)
        si[i, CASE_WRONGFUL] = 1 if wrongful else 0
        sf[i, CASE_AMOUNT] = amount
    else:
        sf[i, CASE_AMOUNT] += amount
        if not wrongful:
            si[i, CASE_WRONGFUL] = 0
    si[i, N_CASES] += 1


@nb.njit(inline="always", cache=True)
def close_case(si, sf, i, day, reason):
    """End the case and any listing; books listed days and the exit reason."""
    if si[i, STAGE] == LISTED:
        si[i, DAYS_LISTED] += day - si[i, LISTED_SINCE]
        si[i, LISTED_UNTIL] = NEVER
    si[i, STAGE] = NO_CASE
    si[i, CASE_DUE] = NEVER
    si[i, LIST_DAY] = NEVER
    sf[i, CASE_AMOUNT] = 0.0
    if reason == EXIT_PAID:
        si[i, CASES_PAID] += 1
    elif reason == EXIT_EXPIRY:
        si[i, EXITS_EXPIRY] += 1
    elif reason == EXIT_NO_ASSETS:
        si[i, EXITS_NO_ASSETS] += 1
    elif reason == EXIT_ESCAPED:
        si[i, ESCAPES] += 1


@nb.njit(inline="always", cache=True)
def pay(si, sf, i, day):
    sf[i, WEALTH] -= sf[i, CASE_AMOUNT]
    close_case(si, sf, i, day, EXIT_PAID)


@nb.njit(inline="always", cache=True)
def next_timer(si, i):
    """The day of the case's next scheduled step (NEVER if none)."""
    stage = si[i, STAGE]
    if stage == AWAITING_PAYMENT:
        return si[i, CASE_DUE]
    if stage == IN_GRACE:
        return si[i, LIST_DAY]
    if stage == LISTED:
        return si[i, LISTED_UNTIL]
    return NEVER


@nb.njit(inline="always", cache=True)
def on_timer(si, sf, i, day, cp, seed):
    """Run the case's scheduled step on ``day``; returns (exit reason, 1 if newly listed)."""
    stage = si[i, STAGE]
    if stage == AWAITING_PAYMENT:
        able = sf[i, WEALTH] >= sf[i, CASE_AMOUNT]
        if able and rng.uniform(seed, rng.Stream.COURT, i, day * 8) < cp[PAY_IF_ABLE]:
            pay(si, sf, i, day)
            return EXIT_PAID, 0
        si[i, STAGE] = IN_GRACE
        si[i, LIST_DAY] = min(max(day + int(cp[GRACE_DAYS]), int(cp[LIST_FROM])), NEVER)
        return EXIT_NONE, 0
    if stage == IN_GRACE:
        if cp[ACTIVE] == 0.0 or day < cp[LIST_FROM]:
            si[i, LIST_DAY] = NEVER
            si[i, STAGE] = UNLISTED_ENFORCEMENT
            return EXIT_NONE, 0
        listable = sf[i, CASE_AMOUNT] >= cp[MIN_AMOUNT]
        if listable and rng.uniform(seed, rng.Stream.COURT, i, day * 8 + 1) < cp[LIST_PROBABILITY]:
            si[i, STAGE] = LISTED
            si[i, LISTED_SINCE] = day
            si[i, N_LISTINGS] += 1
            si[i, WRONGFUL_LISTINGS] += si[i, CASE_WRONGFUL]
            if cp[TERM_DAYS] < 0:
                si[i, LISTED_UNTIL] = NEVER
            else:
                term = cp[TERM_DAYS] + cp[REPEAT_EXTENSION] * (si[i, N_LISTINGS] - 1)
                si[i, LISTED_UNTIL] = min(day + int(term), NEVER)
            return EXIT_NONE, 1
        si[i, STAGE] = UNLISTED_ENFORCEMENT
        si[i, LIST_DAY] = NEVER
        return EXIT_NONE, 0
    if stage == LISTED:
        close_case(si, sf, i, day, EXIT_EXPIRY)
        return EXIT_EXPIRY, 0
    return EXIT_NONE, 0


@nb.njit(inline="always", cache=True)
def monthly_enforcement(si, sf, i, day, cp, pressure, seed):
    """At an epoch's start: an unpaid debtor who can pay may do so (more likely under sanctions);
    a listed debtor with no assets may be removed by a no-assets finding."""
    stage = si[i, STAGE]
    if stage < IN_GRACE:
        return EXIT_NONE
    if sf[i, WEALTH] >= sf[i, CASE_AMOUNT]:
        willing = min(1.0, cp[MONTHLY_PROPENSITY] + pressure)
        if rng.uniform(seed, rng.Stream.PAYMENT, i, day * 2) < willing:
            pay(si, sf, i, day)
            return EXIT_PAID
    elif (
        stage == LISTED
        and cp[NO_ASSETS_ENABLED] > 0.0
        and day - si[i, LISTED_SINCE] >= cp[NO_ASSETS_AFTER]
        and rng.uniform(seed, rng.Stream.PAYMENT, i, day * 2 + 1) < cp[NO_ASSETS_PROBABILITY]
    ):
        close_case(si, sf, i, day, EXIT_NO_ASSETS)
        return EXIT_NO_ASSETS
    return EXIT_NONE


@nb.njit(inline="always", cache=True)
def on_move(si, sf, i, day, cp):
    """Before the list is national, a move to another province escapes enforcement."""
    if si[i, STAGE] != NO_CASE and day < cp[NATIONAL_FROM]:
        close_case(si, sf, i, day, EXIT_ESCAPED)
        return EXIT_ESCAPED
    return EXIT_NONE
