"""The epoch kernel: one pass over the citizens of each chunk, touching only what is due.

For each citizen, in the order of DESIGN.md's data flow: the measures in force are looked up
from their status at the epoch start (the epoch-boundary stages in engine/stages.py have set
who each scheme reaches, list memberships, composite bands and the costs of missing rights), then
the citizen's due items are processed in day order — the court's enforcement round on each
month's first day while an unpaid case is open, behaviour candidates (thinned against
their bound), observation, scheme updates, court timers and misattributed records delivered to
them — and at the end the economy advances one epoch and the citizen's state is tallied into the
metrics. Nothing in a citizen's history depends on where the epoch boundaries fall, except the
economy's compounding and the measures' lookup, which happen at boundaries.

Chunks are fixed ranges of citizens independent of the thread count; each writes only its own
rows of the output arrays, so results are bit-identical for any NUMBA_NUM_THREADS.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from scsim.core import rng
from scsim.core.layout import (
    BLOCKED_AIR,
    CASE_AMOUNT,
    CASE_KIND,
    CASE_WRONGFUL,
    CLEAN_ANCHOR,
    CONSENT,
    DEBT,
    ELIGIBLE,
    EVER_TRAPPED,
    GROUND,
    GROUND_REFUSING,
    IN_GRACE,
    INCOME_EFFECTIVE,
    INT_MAX,
    INT_MIN,
    LISTED,
    LISTED_SINCE,
    MEASURE_FLAGS,
    NEVER,
    NO_CASE,
    POINTS,
    SCORED,
    STAGE,
    WEALTH,
    WRONGFUL_POINTS,
    WRONGFUL_RECORDS,
)
from scsim.mechanisms import court_list, economy, points

# Consequence codes (mechanisms.behaviour.CONSEQUENCES).
FINE = 1
JUDGMENT = 2
MOVE = 3
AIR_TICKET = 4  # then RAIL_TICKET = 5: a ticket purchase of mode consequence - AIR_TICKET
PER_ATTEMPT = 2  # Measures.travel[PER_ATTEMPT]: the measures whose pressure is per blocked attempt

# Scalar metric columns (core.layout.MetricLayout.SCALARS order).
M_POPULATION = 0
M_ADULTS = 1
M_LISTED = 2
M_LISTED_WRONGFUL = 3
M_SCORED = 4
M_POINTS_SUM = 5
M_NEW_LISTINGS = 6
M_EXITS_PAID = 7
M_EXITS_EXPIRY = 8
M_EXITS_NO_ASSETS = 9
M_ESCAPES = 10
M_CASES_OPENED = 11
M_CASES_PAID = 12
M_OPEN_CASES = 13
M_TRAPPED = 14
M_WEALTH = 15
M_INCOME = 16
M_DEBT = 17
M_NEW_LISTINGS_REFUSING = 18
M_EXITS_LISTED = 19
M_EXITS_LISTED_PAID = 20
M_EXITS_SETTLEMENT = 21
M_EXITS_CREDITOR = 22
M_EXITS_LISTED_ESCAPED = 23
M_TRIPS_AIR = 24  # then M_TRIPS_RAIL = 25
M_BLOCKED_AIR = 26  # then M_BLOCKED_RAIL = 27

# Event-log codes (events.parquet).
LOG_EVENT = 1  # value: 0 undetected, 1 recorded, 2 recorded on someone else
LOG_WRONGFUL_RECORD = 2
LOG_POINTS = 3  # kind: the event whose delta fired, or a POINTS_* cause; value: the change
LOG_CASE_OPENED = 4  # value: amount
LOG_LISTED = 5
LOG_CASE_CLOSED = 6  # kind: exit reason (mechanisms.court_list.EXIT_*)
LOG_MOVED = 7  # value: new province
LOG_LIST_JOINED = 8  # written by the stages: kind: the list (its index); value: term's end day
LOG_BLOCKED = 9  # kind: the ticket event's kind; value: 1 (a blocked purchase attempt)
LOG_SLOTS_PER_DAY = 12  # an upper bound of log rows per citizen-day and event kind

# Kinds of points rows that no event caused.
POINTS_RECOVERY = -1  # credit for clean time
POINTS_CAP = -2  # the cap was lowered below the citizen's points


@nb.njit(inline="always", cache=True)
def _emit(log, logbuf, fill, c, cap, day, citizen, code, kind, value):
    """Append one row to this chunk's slice of the event log (when logging)."""
    if log:
        j = c * cap + fill[c]
        fill[c] += 1
        logbuf[0][j] = day
        logbuf[1][j] = citizen
        logbuf[2][j] = code
        logbuf[3][j] = kind
        logbuf[4][j] = value


# The kernel's inputs, in bundles: each is one numba-typed tuple, built in engine/simulate.py
# by name (the only place outside this module that knows the kernel's contract).


class Citizens(NamedTuple):
    """Who the citizens are and their state (rows: citizens)."""

    cell: np.ndarray  # uint8: the group-flag cell of each citizen
    group: np.ndarray  # uint8: the hukou x migrant group (metric rows)
    birth_year: np.ndarray
    province: np.ndarray  # uint8, changed by moves
    prov_cdf: np.ndarray  # the cumulative distribution of destinations of a move
    si: np.ndarray  # int16 state (core layout)
    sf: np.ndarray  # float32 state (core layout)
    rates: np.ndarray  # [citizen, kind] static rate factor
    next_due: np.ndarray  # [citizen, kind] next candidate day
    next_any: np.ndarray  # a lower bound of the citizen's earliest next_due
    n_true: np.ndarray  # [citizen, kind] true events
    n_rec: np.ndarray  # [citizen, kind] recorded events


class Behaviour(NamedTuple):
    """The behaviour and observation in force for the epoch (per event kind)."""

    base_p: np.ndarray
    bound_p: np.ndarray
    det_factor_max: np.ndarray
    points_exp: np.ndarray  # deterrence exponents times habituation
    consequence: np.ndarray
    amount_median: np.ndarray
    amount_sigma: np.ndarray
    pay_within: np.ndarray
    det_table: np.ndarray  # detection probability by [kind, cell, province]
    misattribution: float
    fast_ticket: np.ndarray  # bool per kind: ticket purchases never recorded, no points term


class PointsRule(NamedTuple):
    """The points scheme in force for the epoch."""

    in_force: bool
    deltas: np.ndarray  # [province, kind]
    grade_bounds: np.ndarray
    base: float
    floor: float
    cap: float
    recovery_days: int
    recovery_points: int


class Measures(NamedTuple):
    """The measures (one bit each) and what the hukou rights lacked cost."""

    flags: np.ndarray  # [listed, scored, grade, cell, status] -> measure bits
    status: np.ndarray  # uint8 per citizen: list reach and composite band
    income: np.ndarray
    cost: np.ndarray
    pressure: np.ndarray
    interest: np.ndarray
    citizen_cost: np.ndarray  # float32 per citizen: monthly cost of rights lacked
    travel: np.ndarray  # int64 [air, rail, per attempt] measure bits (MeasurePlan.travel)


class Deliveries(NamedTuple):
    """Misattributed records delivered to their victims this epoch, sorted by victim."""

    citizen: np.ndarray
    day: np.ndarray
    kind: np.ndarray
    lo: np.ndarray  # per chunk: the first delivery of its citizens
    hi: np.ndarray
    per_day: np.ndarray  # out: misattributions by day


class Tallies(NamedTuple):
    """The chunks' metric buffers and where each block of columns starts."""

    acc: np.ndarray  # [chunk, group, column]
    off_true: int
    off_rec: int
    off_wrong: int
    off_mis: int
    off_grade: int
    off_sanc: int
    off_sdays: int
    points_day: np.ndarray
    grade_day: np.ndarray
    start_grade: np.ndarray
    start_points: np.ndarray


class EventLog(NamedTuple):
    """The chunks' slices of the event log, and where each chunk stopped."""

    on: bool
    cap: int
    fill: np.ndarray
    buffers: tuple
    resume: np.ndarray


@nb.njit(cache=True)
def run_epoch(
    day0, day1, year, seed, chunk_lo, chunk_hi, citizens, behaviour, points_rule, court_params,
    court_active, measures, economy_params, deliveries, month_days, ms_lo, ms_hi, tallies,
    event_log,
):  # fmt: skip
    """Advance every citizen of the chunks [chunk_lo, chunk_hi) from day0 to day1 - 1; returns
    nothing (where each chunk stopped is ``event_log.resume``). The bundles are unpacked here
    into the flat arguments of the parallel loop."""
    # fmt: off
    _run_chunks(
        day0, day1, year, seed, chunk_lo, chunk_hi,
        citizens.cell, citizens.group, citizens.birth_year, citizens.province, citizens.prov_cdf,
        citizens.si, citizens.sf, citizens.rates, citizens.next_due, citizens.next_any,
        citizens.n_true, citizens.n_rec,
        behaviour.base_p, behaviour.bound_p, behaviour.det_factor_max, behaviour.points_exp,
        behaviour.consequence, behaviour.amount_median, behaviour.amount_sigma,
        behaviour.pay_within, behaviour.det_table, behaviour.misattribution,
        behaviour.fast_ticket,
        points_rule.in_force, points_rule.deltas, points_rule.grade_bounds, points_rule.base,
        points_rule.floor, points_rule.cap, points_rule.recovery_days,
        points_rule.recovery_points,
        court_params, court_active,
        measures.flags, measures.status, measures.income, measures.cost, measures.pressure,
        measures.interest, measures.citizen_cost, measures.travel,
        economy_params,
        deliveries.citizen, deliveries.day, deliveries.kind, deliveries.lo, deliveries.hi,
        deliveries.per_day,
        month_days, ms_lo, ms_hi,
        tallies.acc, tallies.off_true, tallies.off_rec, tallies.off_wrong, tallies.off_mis,
        tallies.off_grade, tallies.off_sanc, tallies.off_sdays, tallies.points_day,
        tallies.grade_day, tallies.start_grade, tallies.start_points,
        event_log.on, event_log.cap, event_log.fill, event_log.buffers, event_log.resume,
    )
    # fmt: on


@nb.njit(cache=True, parallel=True)
def _run_chunks(
    day0, day1, year, seed, chunk_lo, chunk_hi,
    cell, group, birth_year, province, prov_cdf,
    si, sf, rates, next_due, next_any, n_true, n_rec,
    base_p, bound_p, det_factor_max, points_exp, consequence, amount_median, amount_sigma,
    pay_within, det_table, misattribution, fast_ticket,
    pts_in_force, deltas, grade_bounds, pts_base, pts_floor, pts_cap,
    rdays, rpoints,
    cp, court_active,
    m_flags, m_status, m_income, m_cost, m_pressure, m_interest, citizen_cost, m_travel,
    ep,
    v_citizen, v_day, v_kind, v_lo, v_hi, mis_day,
    month_days, ms_lo, ms_hi,
    acc, off_true, off_rec, off_wrong, off_mis, off_grade, off_sanc, off_sdays,
    points_day, grade_day, start_grade, start_points,
    log, log_cap, log_fill, logbuf, resume,
):  # fmt: skip
    """The parallel loop over chunks, on the bundles' fields as flat arguments. (Unpacking the
    bundles inside this prange loop instead compiled, under numba 0.68, into a kernel that
    never stopped a chunk whose event-log slice was full: tests/test_engine.py caught it.)"""
    n_kinds = base_p.size
    days = day1 - day0
    has_fast = fast_ticket.any()
    per_citizen = days * n_kinds * LOG_SLOTS_PER_DAY + 64
    for c in nb.prange(chunk_lo.size):
        a = acc[c]
        pd = points_day[c]
        gd = grade_day[c]
        vp = v_lo[c]
        resume[c] = chunk_hi[c]
        for i in range(chunk_lo[c], chunk_hi[c]):
            if log and log_fill[c] + per_citizen > log_cap:
                resume[c] = i
                break
            g = group[i]
            cc = cell[i]
            adult = year - birth_year[i] >= 18

            # --- schemes in force for this epoch, and the measures they trigger -------------
            scored = 0
            if pts_in_force and si[i, ELIGIBLE] and si[i, CONSENT]:
                scored = 1
            si[i, SCORED] = scored
            grade = 0
            if scored and si[i, POINTS] > pts_cap:  # a cap lowered by a dated value
                _emit(log, logbuf, log_fill, c, log_cap, day0, i, LOG_POINTS, POINTS_CAP,
                      pts_cap - si[i, POINTS])  # fmt: skip
                si[i, POINTS] = pts_cap
            if scored:
                grade = points.grade_of(si[i, POINTS], grade_bounds)
                start_grade[c, grade] += 1
                start_points[c] += si[i, POINTS]
            listed = 1 if si[i, STAGE] == LISTED else 0
            flags = m_flags[listed, scored, grade, cc, m_status[i]]
            si[i, MEASURE_FLAGS] = flags
            income_factor = 1.0
            cost = citizen_cost[i]  # rights lacked under the hukou rules
            pressure = 0.0
            interest = 0.0
            m = 0
            rest = np.int64(flags)
            while rest:  # the measures that apply (most citizens: none)
                if rest & 1:
                    income_factor *= m_income[m]
                    cost += m_cost[m]
                    if not (m_travel[PER_ATTEMPT] >> m) & 1:  # (else per blocked attempt)
                        pressure += m_pressure[m]
                    interest += m_interest[m]
                    a[g, off_sanc + m] += 1.0
                    a[g, off_sdays + m] += days
                rest >>= 1
                m += 1

            # --- due items, in day order -----------------------------------------------------
            while vp < v_hi[c] and v_citizen[vp] < i:
                vp += 1
            mp = ms_lo if court_active else ms_hi
            now = day0 - 1  # the day of the item processed last
            # next_any[i] is at most the citizen's earliest candidate day: when it falls after
            # the epoch (most citizens, most months) the row of next_due is not even read.
            t_event = np.int64(next_any[i])
            k = -1  # (read only once a scan has found the kind due at t_event < day1)
            scan = t_event < day1
            # Without a case nobody is listed before opening one: ticket purchases leave the
            # day loop (fast_ticket kinds) and are counted apart, up to the item that opens one.
            fast = has_fast and si[i, STAGE] == NO_CASE
            banned_unlisted = m_flags[0, scored, grade, cc, m_status[i]]
            last_kind = -1  # the event kind of the item processed last (-1: not an event)
            while True:
                if fast and si[i, STAGE] != NO_CASE:
                    _flush_tickets(i, now, last_kind, seed, g, a, off_true, fast_ticket, next_due,
                                   rates, n_true, base_p, bound_p, det_factor_max, consequence,
                                   banned_unlisted, m_travel, si, log, logbuf, log_fill, c,
                                   log_cap)  # fmt: skip
                    fast = False
                    scan = True
                if scan:
                    t_event = NEVER
                    for kk in range(n_kinds):
                        if fast and fast_ticket[kk]:
                            continue
                        d = next_due[i, kk]
                        if d < t_event:
                            t_event = d
                            k = kk
                    scan = False
                t_timer = court_list.next_timer(si, i) if court_active else NEVER
                t_victim = v_day[vp] if vp < v_hi[c] and v_citizen[vp] == i else NEVER
                # The monthly round does nothing without an unpaid case (stage >= IN_GRACE):
                # months that pass before the citizen has one are skipped, not visited.
                t_month = NEVER
                if mp < ms_hi and si[i, STAGE] >= IN_GRACE:
                    while mp < ms_hi and month_days[mp] <= now:
                        mp += 1
                    if mp < ms_hi:
                        t_month = month_days[mp]
                t = min(t_event, t_timer, t_victim, t_month)
                if t >= day1:
                    break
                now = t
                if scored and rpoints > 0:
                    _recover(si, i, t, rdays, rpoints, pts_floor, pts_cap, grade_bounds, day0,
                             pd, gd, log, logbuf, log_fill, c, log_cap)  # fmt: skip
                if t_month == t:  # the court's monthly enforcement, on each month's first day
                    mp += 1
                    amount = sf[i, CASE_AMOUNT]
                    was_listed = si[i, STAGE] == LISTED
                    reason = court_list.monthly_enforcement(si, sf, i, t, cp, pressure, seed)
                    _closed(a, g, reason, was_listed, amount, t, i, log, logbuf, log_fill, c,
                            log_cap)  # fmt: skip
                    continue
                if t_timer == t:
                    amount = sf[i, CASE_AMOUNT]
                    was_listed = si[i, STAGE] == LISTED
                    reason, newly_listed = court_list.on_timer(si, sf, i, t, cp, seed)
                    if newly_listed:
                        a[g, M_NEW_LISTINGS] += 1.0
                        if si[i, GROUND] == GROUND_REFUSING:
                            a[g, M_NEW_LISTINGS_REFUSING] += 1.0
                        _emit(log, logbuf, log_fill, c, log_cap, t, i, LOG_LISTED, si[i, CASE_KIND],
                              amount)  # fmt: skip
                    _closed(a, g, reason, was_listed, amount, t, i, log, logbuf, log_fill, c,
                            log_cap)  # fmt: skip
                    continue
                if t_victim == t:
                    last_kind = -1
                    kind = v_kind[vp]
                    vp += 1
                    a[g, off_wrong + kind] += 1.0
                    si[i, WRONGFUL_RECORDS] += 1
                    _emit(log, logbuf, log_fill, c, log_cap, t, i, LOG_WRONGFUL_RECORD, kind, 1.0)
                    _record(i, kind, t, 1, scored, c, g, a, si, sf, n_rec, off_rec,
                            deltas[province[i]],
                            pts_floor, pts_cap, grade_bounds, day0, pd, gd, consequence,
                            amount_median, amount_sigma, pay_within, court_active, seed,
                            log, logbuf, log_fill, log_cap)  # fmt: skip
                    continue

                # A behaviour candidate of kind k on day t: accept with p(t) / bound.
                last_kind = k
                stream = rng.KIND_STREAM_BASE * rng.Stream.BEHAVIOUR + k
                bound = min(1.0, bound_p[k] * rates[i, k] * det_factor_max[k])
                p = base_p[k] * rates[i, k]
                if scored and points_exp[k] > 0.0:
                    p *= _power(max(si[i, POINTS], 0) / pts_base, points_exp[k])
                wait = rng.geometric_days(bound, rng.uniform_open(seed, stream, i, t * 4 + 1))
                next_due[i, k] = min(t + wait, NEVER)
                scan = True
                # (a candidate at the bound is always accepted: no draw for it)
                if p < bound and rng.uniform(seed, stream, i, t * 4) * bound >= p:
                    continue
                if n_true[i, k] < 65535:
                    n_true[i, k] += 1
                a[g, off_true + k] += 1.0
                if consequence[k] == MOVE:
                    _move(i, t, province, prov_cdf, seed)
                    _emit(log, logbuf, log_fill, c, log_cap, t, i, LOG_MOVED, k, province[i])
                    if court_active:
                        amount = sf[i, CASE_AMOUNT]
                        was_listed = si[i, STAGE] == LISTED
                        reason = court_list.on_move(si, sf, i, t, cp)
                        _closed(a, g, reason, was_listed, amount, t, i, log, logbuf, log_fill, c,
                                log_cap)  # fmt: skip
                if consequence[k] >= AIR_TICKET:
                    # A ticket purchase: blocked while a ban applies today (list status of the
                    # day, the rest of the status as at the epoch start), else a trip.
                    mode = consequence[k] - AIR_TICKET
                    now_listed = 1 if si[i, STAGE] == LISTED else 0
                    banned = m_flags[now_listed, scored, grade, cc, m_status[i]]
                    blocking = np.int64(banned) & m_travel[mode]
                    _purchase(a, g, si, i, mode, blocking, log, logbuf, log_fill, c, log_cap, t,
                              k)  # fmt: skip
                    if blocking != 0:
                        chance = _attempt_pressure(blocking & m_travel[PER_ATTEMPT], m_pressure)
                        if (
                            chance > 0.0
                            and si[i, STAGE] >= IN_GRACE
                            and sf[i, WEALTH] >= sf[i, CASE_AMOUNT]
                            and rng.uniform(seed, rng.Stream.TRAVEL, i, t * 2 + mode) < chance
                        ):
                            amount = sf[i, CASE_AMOUNT]
                            was_listed = si[i, STAGE] == LISTED
                            court_list.pay(si, sf, i, t)
                            _closed(a, g, court_list.EXIT_PAID, was_listed, amount, t, i, log,
                                    logbuf, log_fill, c, log_cap)  # fmt: skip
                outcome = 0.0
                # (A draw is always below a certainty and never below zero: skip those draws.)
                det = det_table[k, province[i], cc]
                if det >= 1.0 or (det > 0.0 and rng.uniform(seed, stream, i, t * 4 + 2) < det):
                    if (
                        misattribution > 0.0
                        and rng.uniform(seed, stream, i, t * 4 + 3) < misattribution
                    ):
                        a[g, off_mis + k] += 1.0
                        mis_day[c, t - day0, k] += 1
                        outcome = 2.0
                    else:
                        outcome = 1.0
                _emit(log, logbuf, log_fill, c, log_cap, t, i, LOG_EVENT, k, outcome)
                if outcome == 1.0:
                    _record(i, k, t, 0, scored, c, g, a, si, sf, n_rec, off_rec,
                            deltas[province[i]],
                            pts_floor, pts_cap, grade_bounds, day0, pd, gd, consequence,
                            amount_median, amount_sigma, pay_within, court_active, seed,
                            log, logbuf, log_fill, log_cap)  # fmt: skip

            if fast:  # the ticket purchases of the epoch's rest (all, if no case was opened)
                _flush_tickets(i, day1 - 1, n_kinds, seed, g, a, off_true, fast_ticket, next_due,
                               rates, n_true, base_p, bound_p, det_factor_max, consequence,
                               banned_unlisted, m_travel, si, log, logbuf, log_fill, c,
                               log_cap)  # fmt: skip
                for kk in range(n_kinds):
                    if fast_ticket[kk]:
                        t_event = min(t_event, np.int64(next_due[i, kk]))
            next_any[i] = t_event  # (exact if the row was scanned, else still a lower bound)

            # --- epoch end: recovery, economy, tallies ------------------------------------------
            if scored and rpoints > 0:
                _recover(si, i, day1, rdays, rpoints, pts_floor, pts_cap, grade_bounds, day0,
                         pd, gd, log, logbuf, log_fill, c, log_cap)  # fmt: skip
            elif rpoints > 0:  # unscored under a scheme: clean time does not accrue
                clean = day1 - 1 - si[i, CLEAN_ANCHOR]
                if clean >= rdays:  # (a division only when a run completed)
                    si[i, CLEAN_ANCHOR] += clean // rdays * rdays
            economy.update(sf, i, ep, income_factor, cost, interest)

            stage = si[i, STAGE]
            is_listed = stage == LISTED
            a[g, M_POPULATION] += 1.0
            a[g, M_ADULTS] += adult
            a[g, M_LISTED] += is_listed
            a[g, M_LISTED_WRONGFUL] += is_listed and si[i, CASE_WRONGFUL] == 1
            a[g, M_OPEN_CASES] += stage != NO_CASE
            if (
                is_listed
                and day1 - si[i, LISTED_SINCE] >= 365
                and (sf[i, WEALTH] < sf[i, CASE_AMOUNT])
            ):
                a[g, M_TRAPPED] += 1.0
                si[i, EVER_TRAPPED] = 1
            if scored:
                a[g, M_SCORED] += 1.0
                a[g, M_POINTS_SUM] += si[i, POINTS]
                a[g, off_grade + points.grade_of(si[i, POINTS], grade_bounds)] += 1.0
            a[g, M_WEALTH] += sf[i, WEALTH]
            a[g, M_INCOME] += sf[i, INCOME_EFFECTIVE]
            a[g, M_DEBT] += sf[i, DEBT]


@nb.njit(inline="always", cache=True)
def _purchase(a, g, si, i, mode, blocking, log, logbuf, log_fill, c, log_cap, t, k):
    """A ticket purchase of ``mode`` on day t: a trip, or, while a ban blocks it (``blocking``:
    measure bits), a blocked attempt counted for the group and the citizen and logged."""
    if blocking == 0:
        a[g, M_TRIPS_AIR + mode] += 1.0
        return
    a[g, M_BLOCKED_AIR + mode] += 1.0
    if si[i, BLOCKED_AIR + mode] < INT_MAX:
        si[i, BLOCKED_AIR + mode] += 1
    _emit(log, logbuf, log_fill, c, log_cap, t, i, LOG_BLOCKED, k, 1.0)


@nb.njit(inline="always", cache=True)
def _flush_tickets(i, stop_day, stop_kind, seed, g, a, off_true, fast_ticket, next_due, rates,
                   n_true, base_p, bound_p, det_factor_max, consequence, banned, m_travel, si,
                   log, logbuf, log_fill, c, log_cap):  # fmt: skip
    """Process citizen i's candidates of the fast ticket kinds before (stop_day, stop_kind) in
    (day, kind) order, with the draws the day loop would make: the citizen has no case, so
    each purchase is blocked only by a ban that applies unlisted (``banned``: measure bits), and
    nothing it does touches the rest of their state (no record, no points term, no payment)."""
    for k in range(fast_ticket.size):
        if not fast_ticket[k]:
            continue
        stream = rng.KIND_STREAM_BASE * rng.Stream.BEHAVIOUR + k
        bound = min(1.0, bound_p[k] * rates[i, k] * det_factor_max[k])
        p = base_p[k] * rates[i, k]
        mode = consequence[k] - AIR_TICKET
        blocking = np.int64(banned) & m_travel[mode]
        while True:
            t = np.int64(next_due[i, k])
            if t > stop_day or (t == stop_day and k >= stop_kind):
                break
            wait = rng.geometric_days(bound, rng.uniform_open(seed, stream, i, t * 4 + 1))
            next_due[i, k] = min(t + wait, NEVER)
            if p < bound and rng.uniform(seed, stream, i, t * 4) * bound >= p:
                continue
            if n_true[i, k] < 65535:
                n_true[i, k] += 1
            a[g, off_true + k] += 1.0
            _purchase(a, g, si, i, mode, blocking, log, logbuf, log_fill, c, log_cap, t, k)
            _emit(log, logbuf, log_fill, c, log_cap, t, i, LOG_EVENT, k, 0.0)


@nb.njit(inline="always", cache=True)
def _attempt_pressure(bits, m_pressure):
    """The chance to pay at a blocked attempt: the pay pressures of the measures in ``bits``."""
    chance = 0.0
    m = 0
    while bits:
        if bits & 1:
            chance += m_pressure[m]
        bits >>= 1
        m += 1
    return min(chance, 1.0)


@nb.njit(inline="always", cache=True)
def _power(x, e):
    """x ** e, by multiplication when e is a small whole number (deterrence exponents are)."""
    if e == 4.0:
        x2 = x * x
        return x2 * x2
    if e == 2.0:
        return x * x
    if e == 1.0:
        return x
    return x**e


@nb.njit(inline="always", cache=True)
def _recover(si, i, upto, rdays, rpoints, floor, cap, bounds, day0, pd, gd,
             log, logbuf, log_fill, c, log_cap):  # fmt: skip
    """Credit clean-time recovery due before ``upto``, logged (as one row) on the day before."""
    before = si[i, POINTS]
    points.credit_recovery(si, i, upto, rdays, rpoints, floor, cap, bounds, day0, pd, gd)
    if si[i, POINTS] != before:
        _emit(
            log,
            logbuf,
            log_fill,
            c,
            log_cap,
            upto - 1,
            i,
            LOG_POINTS,
            POINTS_RECOVERY,
            si[i, POINTS] - before,
        )


@nb.njit(inline="always", cache=True)
def _closed(a, g, reason, was_listed, amount, t, i, log, logbuf, log_fill, c, log_cap):
    """Book and log the end of a case (nothing when ``reason`` is EXIT_NONE), and of a listing
    by its route when the case was listed."""
    if reason == court_list.EXIT_NONE:
        return
    if reason == court_list.EXIT_PAID:
        a[g, M_EXITS_PAID] += 1.0
        a[g, M_CASES_PAID] += 1.0
        if was_listed:
            a[g, M_EXITS_LISTED_PAID] += 1.0
    elif reason == court_list.EXIT_EXPIRY:
        a[g, M_EXITS_EXPIRY] += 1.0
    elif reason == court_list.EXIT_NO_ASSETS:
        a[g, M_EXITS_NO_ASSETS] += 1.0
    elif reason == court_list.EXIT_ESCAPED:
        a[g, M_ESCAPES] += 1.0
        if was_listed:
            a[g, M_EXITS_LISTED_ESCAPED] += 1.0
    elif reason == court_list.EXIT_SETTLEMENT:
        a[g, M_EXITS_SETTLEMENT] += 1.0
    elif reason == court_list.EXIT_CREDITOR:
        a[g, M_EXITS_CREDITOR] += 1.0
    if was_listed:
        a[g, M_EXITS_LISTED] += 1.0
    _emit(log, logbuf, log_fill, c, log_cap, t, i, LOG_CASE_CLOSED, reason, amount)


@nb.njit(inline="always", cache=True)
def _move(i, day, province, prov_cdf, seed):
    """Move to another province, drawn by population share (never the current one)."""
    u = rng.uniform(seed, rng.Stream.MIGRATION, i, day)
    dest = np.searchsorted(prov_cdf, u * prov_cdf[-1], side="right")
    dest = min(dest, prov_cdf.size - 1)
    if dest == province[i]:
        dest = (dest + 1) % prov_cdf.size
    province[i] = dest


@nb.njit(inline="always", cache=True)
def _record(
    i, k, t, wrongful, scored, c, g, a, si, sf, n_rec, off_rec, deltas,
    pts_floor, pts_cap, grade_bounds, day0, pd, gd, consequence,
    amount_median, amount_sigma, pay_within, court_active, seed,
    log, logbuf, log_fill, log_cap,
):  # fmt: skip
    """A record of kind k lands on citizen i: points change, and a fine or judgment opens a case."""
    if n_rec[i, k] < 65535:
        n_rec[i, k] += 1
    a[g, off_rec + k] += 1.0
    if scored and deltas[k] != 0:
        before = si[i, POINTS]
        points.deduct_or_reward(si, i, t, deltas[k], pts_floor, pts_cap, grade_bounds, day0, pd, gd)
        change = si[i, POINTS] - before
        if wrongful == 1:
            si[i, WRONGFUL_POINTS] = min(max(si[i, WRONGFUL_POINTS] + change, INT_MIN), INT_MAX)
        _emit(log, logbuf, log_fill, c, log_cap, t, i, LOG_POINTS, k, change)
    kind = consequence[k]
    if court_active and kind in (FINE, JUDGMENT):
        stream = rng.KIND_STREAM_BASE * rng.Stream.AMOUNT + k
        z = rng.normal(seed, stream, i, t * 2 + wrongful)
        amount = amount_median[k] * np.exp(amount_sigma[k] * z)
        court_list.open_case(si, sf, i, t, k, amount, pay_within[k], wrongful == 1)
        a[g, M_CASES_OPENED] += 1.0
        _emit(log, logbuf, log_fill, c, log_cap, t, i, LOG_CASE_OPENED, k, amount)
