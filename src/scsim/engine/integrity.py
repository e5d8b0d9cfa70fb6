"""The engine's float state checked for NaN and infinity after each epoch.

A non-finite amount spreads silently (every sum, share and audit that touches it becomes NaN), so
the run stops at the first epoch that produces one, naming the array, the field and what feeds
it. The check is one sum per array (memory-bound: about 2 ms for 10^6 citizens), value by value
only when the sum is not finite.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from scsim.core.errors import SimulationError
from scsim.core.layout import CASE_AMOUNT, DEBT, INCOME, INCOME_EFFECTIVE, WEALTH

# What writes each float field of the state (scenario paths, as far as the engine knows them).
FLOAT_FIELDS: dict[int, tuple[str, str]] = {
    INCOME: ("income", "the population's income synthesis and economy.income_growth"),
    WEALTH: (
        "wealth",
        "economy.savings_rate, the fines and judgments' amounts (behaviour.<kind>.amount), "
        "measures' monthly costs and hukou rights' monthly_cost",
    ),
    DEBT: (
        "debt",
        "court judgments' amounts (behaviour.<kind>.amount), economy.debt_interest and economy.debt_repayment_share",
    ),
    CASE_AMOUNT: ("case amount", "behaviour.<kind>.amount (median and sigma)"),
    INCOME_EFFECTIVE: ("effective income", "income and the measures' income effects"),
}


def check_state(date: dt.date, sf: np.ndarray, rates: np.ndarray) -> None:
    """Raise SimulationError if the state after the epoch ending on ``date`` holds NaN or inf."""
    if _all_finite(sf) and _all_finite(rates):
        return
    if not np.isfinite(sf).all():
        bad = ~np.isfinite(sf)
        field = int(np.flatnonzero(bad.any(axis=0))[0])
        citizens = np.flatnonzero(bad[:, field])
        name, fed_by = FLOAT_FIELDS.get(field, (f"field {field}", "the engine"))
        raise _stop(date, f"the citizens' {name} (sf[:, {field}])", citizens, fed_by)
    if not np.isfinite(rates).all():
        bad = ~np.isfinite(rates)
        kind = int(np.flatnonzero(bad.any(axis=0))[0])
        citizens = np.flatnonzero(bad[:, kind])
        raise _stop(
            date,
            f"the event rates of kind {kind} (rates[:, {kind}])",
            citizens,
            "the kind's daily_probability or annual_rate, modifier, heterogeneity and deterrence",
        )


def _all_finite(array: np.ndarray) -> bool:
    """Whether every value is finite, mostly from one sum (a NaN or an infinity makes the sum
    non-finite; a sum that overflows although every value is finite is checked value by value)."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(array.ravel())
    return bool(np.isfinite(total)) or bool(np.isfinite(array).all())


def _stop(date: dt.date, what: str, citizens: np.ndarray, fed_by: str) -> SimulationError:
    first = ", ".join(str(c) for c in citizens[:3])
    return SimulationError(
        f"the run stopped at {date.isoformat()}: {what} is not finite (NaN or infinite) for "
        f"{citizens.size:,} citizens (first: {first}); it is computed from {fed_by} — check "
        "those values for extreme magnitudes. No run was written."
    )


__all__ = ["check_state"]
