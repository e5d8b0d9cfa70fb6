"""Where each piece of citizen state lives: named columns of the engine's state arrays.

State is two 2-D arrays, ``si`` (int16) and ``sf`` (float32), one row per citizen and one
column per field, so a kernel finds all of a citizen's state in one or two cache lines and reads
a field by name (``si[i, POINTS]``). Per-kind state (next candidate day, counters) lives in
[citizen, kind] arrays beside them. int16 holds day indices (horizons <= 32,000 days), points
(scales are checked to fit) and per-citizen counters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INT_STATE = np.int16
INT_MIN, INT_MAX = -32_768, 32_767


NEVER = 32_767  # a day index that never comes (day indices fit int16: horizons <= 32,000 days)

# --- int16 columns -------------------------------------------------------------------------------
POINTS = 0  # points under the points scheme
CLEAN_ANCHOR = 1  # day from which clean days are counted (last offence, advanced by credits)
ELIGIBLE = 2  # 1 if the points scheme applies to and reaches the citizen (set every epoch)
CONSENT = 3  # 1 if the citizen consented to be scored (drawn once)
SCORED = 4  # 1 if scored during the current epoch
STAGE = 5  # court case stage, see mechanisms.court_list
CASE_DUE = 6  # day by which a judgment or fine must be paid voluntarily
LIST_DAY = 7  # day on which an unpaid case is put on the list (after the grace period)
LISTED_SINCE = 8
LISTED_UNTIL = 9  # end of the fixed listing term (NEVER when there is none)
N_CASES = 10
N_LISTINGS = 11
DAYS_LISTED = 12
CASE_WRONGFUL = 13  # 1 if every record behind the open case was misattributed
WRONGFUL_RECORDS = 14
WRONGFUL_LISTINGS = 15
CASES_PAID = 16
EXITS_NO_ASSETS = 17
EXITS_EXPIRY = 18
ESCAPES = 19
EVER_TRAPPED = 20  # 1 once listed for a year while unable to pay
MEASURE_FLAGS = 21  # bit m set while measure m applies (for the snapshot and explain)
CASE_KIND = 22  # event kind of the record that opened the current case
GROUND = 23  # ground of the current or last listing (GROUND_* below; 0 if never listed)
ASSET_SEARCHES = 24  # asset searches finding no property during the current or last listing
EXITS_SETTLEMENT = 25  # listings ended by a settlement honoured
EXITS_CREDITOR = 26  # listings ended at the creditor's request
EXITS_LISTED_PAID = 27  # listings ended by payment (CASES_PAID also counts unlisted cases)
LISTED_ESCAPES = 28  # listings ended by a move before the list was national
LAST_EXIT = 29  # how the last listing ended (mechanisms.court_list.EXIT_*; 0: listed or never)
BLOCKED_AIR = 30  # air-ticket purchase attempts blocked by a measure (saturating)
BLOCKED_RAIL = 31  # high-speed rail purchase attempts blocked (saturating)
WRONGFUL_POINTS = 32  # net points change made by records that were not the citizen's (saturating)
N_INT_FIELDS = 33

# --- float32 columns -----------------------------------------------------------------------------
INCOME = 0  # base monthly income (before sanctions)
WEALTH = 1
DEBT = 2
CASE_AMOUNT = 3
INCOME_EFFECTIVE = 4  # income after sanctions in the last epoch
N_FLOAT_FIELDS = 5

# --- court case stages ------------------------------------------------------------------------
NO_CASE = 0
AWAITING_PAYMENT = 1  # judgment given; may still pay voluntarily until CASE_DUE
IN_GRACE = 2  # unpaid; will be listed at LIST_DAY
LISTED = 3
UNLISTED_ENFORCEMENT = 4  # unpaid, the court chose not to list; enforcement goes on

# --- listing grounds (the 2017 provisions, Art. 1) ------------------------------------------
GROUND_NONE = 0
GROUND_REFUSING = 1  # ground (1): able to perform but refusing
GROUND_EVASION = 2  # grounds (2)-(6): obstruction, sham litigation, hiding assets, breaking orders

# --- groups for the time series: hukou type x migrant status --------------------------------
N_GROUPS = 4
GROUP_LABELS = (
    "hukou=rural,migrant=no",
    "hukou=rural,migrant=yes",
    "hukou=urban,migrant=no",
    "hukou=urban,migrant=yes",
)


@dataclass(frozen=True)
class MetricLayout:
    """Columns of the per-epoch metric accumulator: scalars first, then one block per family."""

    n_kinds: int
    n_grades: int
    n_measures: int
    travel: bool = False  # whether the travel rows are written (a ticket-purchase event kind)

    SCALARS = (
        "population",
        "adults",
        "listed",
        "listed_wrongful",
        "scored",
        "points_sum",
        "new_listings",
        "exits_paid",
        "exits_expiry",
        "exits_no_assets",
        "escapes",
        "cases_opened",
        "cases_paid",
        "open_cases",
        "trapped",
        "wealth_sum",
        "income_sum",
        "debt_sum",
        "new_listings_refusing",
        "exits_listed",
        "exits_listed_paid",
        "exits_settlement",
        "exits_creditor",
        "exits_listed_escaped",
        "trips_air",
        "trips_rail",
        "blocked_air",
        "blocked_rail",
    )

    def scalar(self, name: str) -> int:
        return self.SCALARS.index(name)

    @property
    def events_true(self) -> int:
        return len(self.SCALARS)

    @property
    def events_recorded(self) -> int:
        return self.events_true + self.n_kinds

    @property
    def events_wrongful(self) -> int:
        return self.events_recorded + self.n_kinds

    @property
    def events_misattributed(self) -> int:
        return self.events_wrongful + self.n_kinds

    @property
    def grades(self) -> int:
        return self.events_misattributed + self.n_kinds

    @property
    def sanctioned(self) -> int:
        return self.grades + self.n_grades

    @property
    def sanction_days(self) -> int:
        return self.sanctioned + self.n_measures

    @property
    def width(self) -> int:
        return self.sanction_days + self.n_measures
