"""The courts' list of dishonest judgment debtors (SPC, from 2013-10-01).

A judgment or an unpaid fine opens a case with an amount and a due day. A citizen who can pay
(liquid wealth covers the amount) pays with probability ``pay_if_able``; otherwise, after a grace
period, the court lists them (with probability ``list_probability``) on a drawn ground: (1) able
to perform but refusing, or (2)–(6) evasion and obstruction. Each ground has its own dated term
(extended for repeat listings; none where repealed). A listing ends by one of the routes of
Art. 10, each counted apart: payment, a settlement honoured, the creditor's request, a no-assets
finding after enough asset searches found nothing, expiry of its term, or, before the list is
national, a move to another province.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numba as nb
import numpy as np

from scsim.core import rng
from scsim.core.layout import (
    ASSET_SEARCHES,
    AWAITING_PAYMENT,
    CASE_AMOUNT,
    CASE_DUE,
    CASE_KIND,
    CASE_WRONGFUL,
    CASES_PAID,
    DAYS_LISTED,
    ESCAPES,
    EXITS_CREDITOR,
    EXITS_EXPIRY,
    EXITS_LISTED_PAID,
    EXITS_NO_ASSETS,
    EXITS_SETTLEMENT,
    GROUND,
    GROUND_EVASION,
    GROUND_REFUSING,
    IN_GRACE,
    LAST_EXIT,
    LIST_DAY,
    LISTED,
    LISTED_ESCAPES,
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
EXIT_SETTLEMENT = 5
EXIT_CREDITOR = 6

# Indices into the per-epoch court parameter vector.
GRACE_DAYS = 0
LIST_PROBABILITY = 1
TERM_DAYS = 2  # of grounds (2)-(6); -1 where no term is in force
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
REFUSING_SHARE = 13
REFUSING_TERM_DAYS = 14  # -1 where no term is in force
REFUSING_EXTENSION = 15
TERM_SINCE = 16  # day index from which the grounds (2)-(6) term has been in force
REFUSING_TERM_SINCE = 17
TERM_FROM_RULE = 18  # 1: untermed listings get the term in force, from the day it came in
SEARCH_PROBABILITY = 19
MIN_SEARCHES = 20
SETTLEMENT_PROBABILITY = 21
SETTLEMENT_SHARE = 22
CREDITOR_PROBABILITY = 23
N_COURT_PARAMS = 24


def _in_force_since(param, day: dt.date) -> dt.date | None:
    """The first day of the unbroken run of non-null values in force on ``day`` (None if none)."""
    since = None
    for start in sorted(param.values):
        if start > day:
            break
        if param.values[start] is None:
            since = None
        elif since is None:
            since = start
    return since


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
                      s.no_assets.monthly_probability, s.no_assets.search_probability,
                      s.min_listing_amount, s.grounds.refusing_share,
                      s.grounds.refusing_term_days, s.grounds.refusing_repeat_extension_days,
                      s.removal.settlement_probability, s.removal.settlement_share,
                      s.removal.creditor_request_probability):  # fmt: skip
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
        g = s.grounds
        out[REFUSING_SHARE] = g.refusing_share.at(day) or 0.0
        refusing_term = g.refusing_term_days.at(day)
        out[REFUSING_TERM_DAYS] = -1.0 if refusing_term is None else refusing_term
        out[REFUSING_EXTENSION] = g.refusing_repeat_extension_days.at(day) or 0.0
        out[TERM_SINCE] = self._day_index(_in_force_since(s.term_days, day))
        out[REFUSING_TERM_SINCE] = self._day_index(_in_force_since(g.refusing_term_days, day))
        out[TERM_FROM_RULE] = float(g.untermed_listings == "term_from_rule")
        out[SEARCH_PROBABILITY] = s.no_assets.search_probability.at(day) or 0.0
        out[MIN_SEARCHES] = s.no_assets.min_searches
        out[SETTLEMENT_PROBABILITY] = s.removal.settlement_probability.at(day) or 0.0
        out[SETTLEMENT_SHARE] = s.removal.settlement_share.at(day) or 0.0
        out[CREDITOR_PROBABILITY] = s.removal.creditor_request_probability.at(day) or 0.0
        return out

    def _day_index(self, day: dt.date | None) -> float:
        """A date as a day index of the run (clipped to the int16 range; NEVER for None)."""
        if day is None:
            return float(NEVER)
        return float(max((day - self.start).days, -NEVER))


def prepare(name: str | None, spec: CourtList | None, start: dt.date) -> CourtPlan:
    return CourtPlan(name or "", spec, start)


def open_backlog(plan: CourtPlan, si, sf, rates, adult, events, seed):
    """Give the judgments left unpaid from before the list opened (``backlog``) to citizens, in
    place, as cases awaiting payment on the day the courts take each up; returns how many.

    Who owes one follows the ``like`` event's rate: each adult's chance is the share times their
    rate over the adults' mean (at most 1). The amount is drawn from that event's amounts in force
    on ``list_from`` (``events``: the behaviour plan); the day uniformly in the review window. Cases taken up before the run
    starts are left out (so are listings made before it)."""
    s = plan.spec
    if s is None or not (share := s.backlog.share.at(s.list_from) or 0.0):
        return 0
    k = events.kinds.index(s.backlog.like)
    weight = np.where(adult, rates[:, k], 0.0)
    candidates = np.flatnonzero(weight > 0.0)
    total = float(weight[candidates].sum(dtype=np.float64))
    if total <= 0.0:
        return 0
    chance = np.minimum(1.0, share * np.count_nonzero(adult) * weight[candidates] / total)
    owes = candidates[rng.uniform_np(seed, rng.Stream.BACKLOG, candidates, 0) < chance]
    window = s.backlog.review_days.at(s.list_from) or 0.0
    day = (s.list_from - plan.start).days + np.floor(
        rng.uniform_np(seed, rng.Stream.BACKLOG, owes, 1) * window
    )
    kept = (day >= 0) & (day < NEVER - 1)
    owes, day = owes[kept], day[kept]
    z = rng.normal_np(seed, rng.Stream.BACKLOG, owes, 2)
    si[owes, STAGE] = AWAITING_PAYMENT
    si[owes, CASE_KIND] = k
    si[owes, CASE_DUE] = day.astype(si.dtype)
    si[owes, CASE_WRONGFUL] = 0
    si[owes, N_CASES] += 1
    median, sigma = events.amount_median(s.list_from)[k], events.amount_sigma(s.list_from)[k]
    sf[owes, CASE_AMOUNT] = median * np.exp(sigma * z)
    return owes.size


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
    """End the case and any listing; books listed days and the exit reason (by route)."""
    if si[i, STAGE] == LISTED:
        si[i, DAYS_LISTED] += day - si[i, LISTED_SINCE]
        si[i, LISTED_UNTIL] = NEVER
        si[i, LAST_EXIT] = reason
        if reason == EXIT_PAID:
            si[i, EXITS_LISTED_PAID] += 1
        elif reason == EXIT_ESCAPED:
            si[i, LISTED_ESCAPES] += 1
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
    elif reason == EXIT_SETTLEMENT:
        si[i, EXITS_SETTLEMENT] += 1
    elif reason == EXIT_CREDITOR:
        si[i, EXITS_CREDITOR] += 1


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
def term_of(si, i, cp):
    """(term in days, day from which it runs if the listing had none) for the citizen's listing
    ground under the rules in ``cp``; the term is -1 where none is in force."""
    if si[i, GROUND] == GROUND_REFUSING:
        base = cp[REFUSING_TERM_DAYS]
        extension = cp[REFUSING_EXTENSION]
        since = cp[REFUSING_TERM_SINCE]
    else:
        base = cp[TERM_DAYS]
        extension = cp[REPEAT_EXTENSION]
        since = cp[TERM_SINCE]
    if base < 0:
        return -1.0, since
    return base + extension * (si[i, N_LISTINGS] - 1), since


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
            si[i, ASSET_SEARCHES] = 0
            si[i, LAST_EXIT] = EXIT_NONE
            # The ground, on a counter of its own (a certain share draws nothing).
            share = cp[REFUSING_SHARE]
            refusing = share >= 1.0 or (
                share > 0.0 and rng.uniform(seed, rng.Stream.COURT, i, day * 8 + 2) < share
            )
            si[i, GROUND] = GROUND_REFUSING if refusing else GROUND_EVASION
            term, _ = term_of(si, i, cp)
            if term < 0:
                si[i, LISTED_UNTIL] = NEVER
            else:
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
def _chance(seed, i, counter, p):
    """A COURT-stream draw below ``p`` (no draw for a certainty or an impossibility)."""
    if p >= 1.0:
        return True
    if p <= 0.0:
        return False
    return rng.uniform(seed, rng.Stream.COURT, i, counter) < p


@nb.njit(inline="always", cache=True)
def monthly_enforcement(si, sf, i, day, cp, pressure, seed):
    """At a month's start: an unpaid debtor who can pay may do so (more likely under sanctions);
    a listed debtor may settle, be removed at the creditor's request, or, without assets and
    after enough searches that found nothing, by a no-assets finding. A listing without a term
    gets the one now in force for its ground where the scenario says so."""
    stage = si[i, STAGE]
    if stage < IN_GRACE:
        return EXIT_NONE
    listed = stage == LISTED
    if listed and si[i, LISTED_UNTIL] == NEVER and cp[TERM_FROM_RULE] > 0.0:
        term, since = term_of(si, i, cp)
        if term >= 0:
            si[i, LISTED_UNTIL] = min(max(since + term, day), NEVER)
    able = sf[i, WEALTH] >= sf[i, CASE_AMOUNT]
    if able:
        willing = min(1.0, cp[MONTHLY_PROPENSITY] + pressure)
        if rng.uniform(seed, rng.Stream.PAYMENT, i, day * 2) < willing:
            pay(si, sf, i, day)
            return EXIT_PAID
    if not listed:
        return EXIT_NONE
    if _chance(seed, i, day * 8 + 3, cp[SETTLEMENT_PROBABILITY]):
        settled = cp[SETTLEMENT_SHARE] * sf[i, CASE_AMOUNT]
        if sf[i, WEALTH] >= settled:
            sf[i, WEALTH] -= settled
            close_case(si, sf, i, day, EXIT_SETTLEMENT)
            return EXIT_SETTLEMENT
    if _chance(seed, i, day * 8 + 4, cp[CREDITOR_PROBABILITY]):
        close_case(si, sf, i, day, EXIT_CREDITOR)
        return EXIT_CREDITOR
    if able or cp[NO_ASSETS_ENABLED] == 0.0:
        return EXIT_NONE
    if _chance(seed, i, day * 8 + 5, cp[SEARCH_PROBABILITY]) and si[i, ASSET_SEARCHES] < NEVER:
        si[i, ASSET_SEARCHES] += 1
    if (
        day - si[i, LISTED_SINCE] >= cp[NO_ASSETS_AFTER]
        and si[i, ASSET_SEARCHES] >= cp[MIN_SEARCHES]
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
