"""Economy: income, wealth and debt evolve each epoch, and sanctions feed back.

Per epoch of ``days`` days (a month is 30.44 days): effective income is base income times the
product of the income factors of the measures in force; a share of it is saved; measures' monthly
costs are spent; debt accrues interest (plus any sanction surcharge) and is repaid from a share of
income while wealth allows. Negative wealth turns into debt. Base income grows at a dated rate.
A listed debtor who loses income cannot save, so cannot pay, so stays listed: the poverty trap
that the audit counts.
"""

from __future__ import annotations

import datetime as dt

import numba as nb
import numpy as np

from scsim.core.layout import DEBT, INCOME, INCOME_EFFECTIVE, WEALTH
from scsim.scenario.schema import Economy

# The parameter vector of one epoch: the rates in force, and what they come to over the epoch.
SAVINGS_RATE = 0
DEBT_INTEREST = 1
REPAYMENT_SHARE = 2
MONTHS = 3  # the epoch's length in months
YEARS = 4  # the epoch's length in years
GROWTH_FACTOR = 5  # base income's growth over the epoch
N_ECONOMY_PARAMS = 6
DAYS_PER_MONTH = 365.25 / 12.0


def vector(spec: Economy, day: dt.date, days: int) -> np.ndarray:
    """The economy's parameters in force on ``day``, for an epoch of ``days`` days."""
    out = np.zeros(N_ECONOMY_PARAMS)
    out[SAVINGS_RATE] = spec.savings_rate.at(day) or 0.0
    out[DEBT_INTEREST] = spec.debt_interest.at(day) or 0.0
    out[REPAYMENT_SHARE] = spec.debt_repayment_share.at(day) or 0.0
    out[MONTHS] = days / DAYS_PER_MONTH
    out[YEARS] = days / 365.25
    out[GROWTH_FACTOR] = (1.0 + (spec.income_growth.at(day) or 0.0)) ** out[YEARS]
    return out


def change_dates(spec: Economy) -> list[dt.date]:
    return [
        d
        for p in (spec.savings_rate, spec.income_growth, spec.debt_interest)
        for d in p.change_dates()
    ] + spec.debt_repayment_share.change_dates()


@nb.njit(inline="always", cache=True)
def update(sf, i, ep, income_factor, monthly_cost, interest_add):
    """Advance one citizen's income, wealth and debt by one epoch."""
    months = ep[MONTHS]
    income = sf[i, INCOME] * income_factor
    sf[i, INCOME_EFFECTIVE] = income
    wealth = sf[i, WEALTH] + months * (income * ep[SAVINGS_RATE] - monthly_cost)
    debt = sf[i, DEBT]
    if debt > 0.0:
        debt *= 1.0 + (ep[DEBT_INTEREST] + interest_add) * ep[YEARS]
        repay = min(debt, months * income * ep[REPAYMENT_SHARE], max(wealth, 0.0))
        debt -= repay
        wealth -= repay
    if wealth < 0.0:
        debt -= wealth
        wealth = 0.0
    sf[i, WEALTH] = wealth
    sf[i, DEBT] = debt
    sf[i, INCOME] *= ep[GROWTH_FACTOR]
