"""The day loop: synthesize, then run epoch after epoch, then hand the results to the writer.

Reads like DESIGN.md's data flow: a Scenario and a Population go in; for each epoch the
mechanisms' parameters in force are looked up, the kernel advances every citizen to the epoch's
end, and the metrics accumulate; a run directory comes out.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numba as nb
import numpy as np

from scsim.core import rng
from scsim.core.errors import SimulationError
from scsim.core.layout import (
    CASE_DUE,
    CLEAN_ANCHOR,
    CONSENT,
    DEBT,
    ELIGIBLE,
    INCOME,
    INCOME_EFFECTIVE,
    INT_STATE,
    LIST_DAY,
    LISTED_UNTIL,
    N_FLOAT_FIELDS,
    N_INT_FIELDS,
    NEVER,
    POINTS,
    SCORED,
    WEALTH,
    MetricLayout,
)
from scsim.engine import integrity, stages
from scsim.engine.epochs import epoch_bounds, month_starts
from scsim.engine.kernel import (
    LOG_SLOTS_PER_DAY,
    Behaviour,
    Citizens,
    Deliveries,
    EventLog,
    Measures,
    PointsRule,
    Tallies,
    run_epoch,
)
from scsim.engine.metrics import MetricsRecorder, has_travel
from scsim.mechanisms import (
    behaviour,
    court_list,
    economy,
    jurisdiction,
    measures,
    observation,
    points,
    registry,
)
from scsim.mechanisms.attributes import cell_codes
from scsim.population import Population, synthesize
from scsim.population.census import PROVINCE_POPULATION
from scsim.population.graph import Graph, build_graph
from scsim.population.graph import estimate_bytes as graph_bytes
from scsim.scenario.model import Scenario
from scsim.scenario.schema import SEED_MAX, ScenarioSpec

N_CHUNKS = 256  # fixed, so that results never depend on the thread count
BYTES_PER_CITIZEN_PER_KIND = 4 + 2 + 2 + 2  # rates, next_due, n_true, n_rec
# State, next_any (2), population (about 40) and the output columns built while writing (about
# 50): with the per-kind arrays, 10^7 agents of the 11-kind court-blacklist peaked at 2.63 GB.
BYTES_PER_CITIZEN = 2 * N_INT_FIELDS + 4 * N_FLOAT_FIELDS + 2 + 40 + 50
BASELINE_BYTES = 400 << 20  # the interpreter, numpy, numba, pyarrow and duckdb themselves


# What makes a run's population and graph (synthesize_world, or a cache of its results).
Synthesizer = Callable[[ScenarioSpec, int, int, dt.date], tuple[Population, Graph | None]]
Heterogeneities = Callable[[behaviour.EventPlan, int, np.ndarray], behaviour.Heterogeneity]


@dataclass
class Progress:
    """Called after every epoch with (epochs done, epochs total, current date), and with the
    name of each phase of the run as it begins (``on_phase``)."""

    callback: Callable[[int, int, dt.date], None] | None = None
    on_phase: Callable[[str], None] | None = None

    def __call__(self, done: int, total: int, day: dt.date) -> None:
        if self.callback is not None:
            self.callback(done, total, day)

    def phase(self, name: str) -> None:
        if self.on_phase is not None:
            self.on_phase(name)


@dataclass
class Outcome:
    """What a simulation produced, before it is written to disk."""

    scenario: Scenario
    seed: int
    start: dt.date
    end: dt.date
    population: Population
    si: np.ndarray
    sf: np.ndarray
    n_true: np.ndarray
    n_rec: np.ndarray
    province: np.ndarray
    kinds: tuple[str, ...]
    grade_names: tuple[str, ...]
    grade_bounds: np.ndarray
    measure_names: tuple[str, ...]
    points_active: bool
    timeseries: dict[str, np.ndarray]
    events: dict[str, np.ndarray] | None
    timings: dict[str, float]
    stages: stages.Stages | None = None
    year_start: tuple[np.ndarray, np.ndarray] | None = None  # points, scored on the last 1 Jan


def estimate_bytes(n: int, n_kinds: int, spec=None) -> int:
    """Peak memory of a run of ``n`` agents without the event log (with ``spec``: its stages'
    state and its friendship graph included)."""
    per_citizen = BYTES_PER_CITIZEN + n_kinds * BYTES_PER_CITIZEN_PER_KIND
    extra = 0
    if spec is not None:
        per_citizen += registry.bytes_per_citizen(spec)
        if spec.world.population.graph is not None:
            extra = graph_bytes(n, spec.world.population.graph.mean_degree)
    return BASELINE_BYTES + n * per_citizen + extra


def available_bytes() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30


def horizon(scenario: Scenario, days: int | None, until: dt.date | None) -> tuple[dt.date, dt.date]:
    world = scenario.spec.world
    if days is not None and until is not None:
        raise SimulationError("give either --days or --until, not both")
    end = world.end
    if days is not None:
        if days <= 0:
            raise SimulationError(f"--days must be positive, got {days}")
        end = world.start + dt.timedelta(days=days - 1)
    if until is not None:
        end = until
    if not world.start <= end <= world.end:
        raise SimulationError(
            f"the run must end within the scenario's horizon {world.start} to {world.end}, "
            f"not on {end} — choose an earlier --until or fewer --days"
        )
    return world.start, end


def simulate_arrays(
    scenario: Scenario,
    *,
    population: int | None = None,
    seed: int | None = None,
    days: int | None = None,
    until: dt.date | None = None,
    events: bool = False,
    progress: Progress | None = None,
    synthesized: Synthesizer | None = None,
    heterogeneity: Heterogeneities | None = None,
) -> Outcome:
    """Run a scenario in memory and return its final state, metrics and (optionally) events.

    ``synthesized`` stands in for :func:`synthesize_world` (the experiments reuse one population
    across the cases that share it); it must return what that would, in arrays of the run's own,
    since a run changes its population and graph. ``heterogeneity`` stands in for
    :func:`behaviour.heterogeneity` in the same way (the run only reads its arrays).
    """
    spec = scenario.spec
    progress = progress or Progress()
    n = spec.world.population.agents if population is None else population
    seed = spec.world.seed if seed is None else seed
    start, end = horizon(scenario, days, until)
    n_kinds = len(spec.behaviour.events)
    if n <= 0:
        raise SimulationError(f"the population must be at least 1 agent, got {n}")
    if not 0 <= seed <= SEED_MAX:
        raise SimulationError(f"a seed is a whole number from 0 to 2**63 - 1, got {seed}")
    need = estimate_bytes(n, n_kinds, spec)
    free = available_bytes()
    stages.check_graph_fits(spec, n, free)
    if need > 0.8 * free:
        raise SimulationError(
            f"{n:,} agents need about {need / 2**30:.1f} GiB, more than this machine has free "
            f"({free / 2**30:.1f} GiB) — use a smaller --population"
        )
    timings: dict[str, float] = {}

    clock = time.perf_counter()
    progress.phase("synthesizing")
    pop, graph = (synthesized or synthesize_world)(spec, n, seed, start)
    if len(pop) != n:
        raise ValueError(f"the population given has {len(pop)} citizens, not {n}")
    timings["synthesize_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    progress.phase("preparing")  # the first run after an install or update compiles the kernels
    params = scenario.params
    plan = behaviour.prepare(spec, params)
    kinds = plan.kinds
    pts_name, pts_spec = spec.points_scheme() or (None, None)
    pts = points.prepare(pts_name, pts_spec, start)
    court_name, court_spec = spec.court_list() or (None, None)
    court = court_list.prepare(court_name, court_spec, start)
    meas = measures.prepare(spec, pts.grade_names, params)
    det_table = observation.detection_table(spec, kinds, params, start)
    layout = MetricLayout(n_kinds, len(pts.grade_names), meas.n, has_travel(spec))

    citizens = np.arange(n, dtype=np.int64)
    cell = cell_codes(pop)
    group = (pop.hukou_urban.astype(np.uint8) << 1) | pop.migrant.astype(np.uint8)
    province = pop.province.copy()
    prov_cdf = np.cumsum(PROVINCE_POPULATION.astype(np.float64))

    si = np.zeros((n, N_INT_FIELDS), dtype=INT_STATE)
    sf = np.zeros((n, N_FLOAT_FIELDS), dtype=np.float32)
    si[:, POINTS] = pts.base(start)
    si[:, CLEAN_ANCHOR] = -1
    si[:, CASE_DUE] = si[:, LIST_DAY] = si[:, LISTED_UNTIL] = NEVER
    sf[:, INCOME] = pop.income
    sf[:, INCOME_EFFECTIVE] = pop.income
    sf[:, WEALTH] = pop.wealth
    sf[:, DEBT] = pop.debt
    # Willingness to consent is drawn once; the dated share in force decides who consents.
    consent_draw = (
        rng.uniform_np(seed, rng.Stream.CONSENT, citizens).astype(np.float32)
        if pts.active
        else None
    )

    het = (heterogeneity or behaviour.heterogeneity)(plan, seed, citizens)
    del citizens  # (80 MB at 10^7 that the run does not need)
    # np.full, not np.zeros: the pages are written (and zeroed by the OS) here, while preparing.
    rates = np.full((n, n_kinds), 0.0, dtype=np.float32)
    next_due = np.full((n, n_kinds), NEVER, dtype=np.int16)
    next_any = np.full(n, NEVER, dtype=np.int16)  # at most the earliest of a citizen's next_due
    n_true = np.full((n, n_kinds), 0, dtype=np.uint16)
    n_rec = np.full((n, n_kinds), 0, dtype=np.uint16)
    stage = stages.Stages(spec, params, pop, sf, si, n_rec, kinds, seed, start, province, cell,
                          group, pts_spec, graph)  # fmt: skip

    det_factor_max = np.ones(n_kinds)
    if pts.active:
        cap = pts.max_cap(start, end)
        if cap < points.NO_CAP:
            ratio = cap / max(pts.min_base(start, end), 1)  # (points / base) at its largest
            exponent = plan.max_points_exponent(start, end)
            det_factor_max = np.where(exponent > 0, ratio**exponent, 1.0)
    horizon_bound = plan.bound_probability(start, end)
    tickets = plan.ticket_kinds()  # (their bound is the year's: redrawn at every year start)
    bound_p = plan.year_bound(horizon_bound, tickets, start, end, start.year)

    # Misattributed records are delivered in the calendar month after they are made, so an
    # epoch may not span a month start while any can be made.
    misattributing = spec.observation.misattribution.max_over(start, end) > 0
    bounds = epoch_bounds(
        start,
        end,
        "month" if misattributing else spec.world.epoch,
        [
            *plan.change_dates(),
            *court.change_dates(),
            *meas.change_dates(),
            *economy.change_dates(spec.economy),
            *spec.observation.misattribution.change_dates(),
            *([] if pts_spec is None else _points_dates(pts_spec)),
            *observation.source_dates(spec),
            *stage.change_dates(),
        ],
    )
    n_epochs = len(bounds) - 1
    longest = max((b - a).days for a, b in zip(bounds, bounds[1:], strict=False))
    recorder = MetricsRecorder(layout, longest, N_CHUNKS, start, pop.weight)
    chunk_edges = np.linspace(0, n, N_CHUNKS + 1).astype(np.int64)
    log = _EventLog(events, N_CHUNKS)
    n_days = (end - start).days + 1
    delivery = observation.delivery_months(start, n_days)
    pending = _Pending()  # misattributed records not yet delivered
    mis_day = np.zeros((N_CHUNKS, longest, n_kinds), dtype=np.int32)
    # The court's enforcement rounds: the first day, then every month's first day.
    month_days = np.array(
        [0, *((d - start).days for d in month_starts(start, end))], dtype=np.int64
    )

    def update_rates(year: int, kinds_due: list[int], day0: int) -> None:
        behaviour.citizen_rates(
            plan, stage.arrays(year), het, (det_table, province, cell), rates, next_due, next_any,
            kinds_due, bound_p * det_factor_max,
            plan.detection_sensitivity(start + dt.timedelta(days=day0)), seed, day0,
        )  # fmt: skip

    # The initial state, like a model's setup: the first scores, then every rate.
    stage.first_scores(0, start)
    update_rates(start.year, list(range(n_kinds)), 0)
    court_list.open_backlog(court, si, sf, rates, pop.age(start.year) >= 18, plan, seed)
    habituation = _habituation(plan, pts_spec, start)

    def kernel(day0, day1, year, day0_date, victims, ms_lo, ms_hi, pts_in_force, cp, det_table,
               lo, hi):  # fmt: skip
        """One call of the epoch kernel over the citizens [lo, hi) of each chunk."""
        v_lo = np.searchsorted(victims[0], lo)
        v_hi = np.searchsorted(victims[0], hi)
        resume = np.empty(N_CHUNKS, dtype=np.int64)
        log.reset(day1 - day0, n_kinds)
        clean_days, clean_points = pts.recovery(day0_date)
        points_exp = plan.points_exponent(day0_date) * habituation(day0_date)
        run_epoch(
            day0, day1, year, seed, lo, hi,
            Citizens(cell, group, pop.birth_year, province, prov_cdf, si, sf, rates, next_due,
                     next_any, n_true, n_rec),
            Behaviour(
                base_p=plan.base_probability(day0_date),
                bound_p=bound_p,
                det_factor_max=det_factor_max,
                points_exp=points_exp,
                consequence=plan.consequence,
                amount_median=plan.amount_median(day0_date),
                amount_sigma=plan.amount_sigma(day0_date),
                pay_within=plan.pay_within,
                det_table=det_table,
                misattribution=spec.observation.misattribution.at(day0_date) or 0.0,
                fast_ticket=fast_tickets(points_exp, det_table),
            ),
            PointsRule(
                in_force=pts_in_force,
                deltas=pts.deltas(list(kinds), day0_date),
                grade_bounds=pts.grade_bounds,
                base=float(max(pts.base(day0_date), 1)),
                floor=pts.floor(day0_date),
                cap=pts.cap(day0_date),
                recovery_days=clean_days,
                recovery_points=clean_points,
            ),
            cp, court.active,
            Measures(meas.flags, stage.status, *meas.effects_at(day0_date), stage.citizen_cost,
                     meas.travel),
            economy.vector(spec.economy, day0_date, day1 - day0),
            Deliveries(victims[0], victims[1], victims[2], v_lo, v_hi, mis_day),
            month_days, ms_lo, ms_hi,
            Tallies(recorder.acc, layout.events_true, layout.events_recorded,
                    layout.events_wrongful, layout.events_misattributed, layout.grades,
                    layout.sanctioned, layout.sanction_days, recorder.points_day,
                    recorder.grade_day, recorder.start_grade, recorder.start_points),
            EventLog(log.on, log.cap, log.fill, log.buffers, resume),
        )  # fmt: skip
        return resume

    def fast_tickets(points_exp, det_table) -> np.ndarray:
        """The ticket kinds the kernel may count apart from the day loop: never recorded (no
        detection anywhere) and without a points term, so a purchase changes nothing else."""
        fast = np.zeros(n_kinds, dtype=np.bool_)
        for k in tickets:
            fast[k] = points_exp[k] == 0.0 and not det_table[k].any()
        return fast

    # Compile (or load from the cache) the kernel now, on empty ranges, so that simulate_s
    # measures simulation and not numba's compiler.
    empty = chunk_edges[:-1].copy()
    kernel(0, 1, start.year, start, pending.take(0), *np.searchsorted(month_days, [0, 0]),
           pts.active, court.vector(start), det_table, empty, empty)  # fmt: skip
    timings["prepare_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    progress.phase("simulating")
    last_rate_year = start.year
    yearly = behaviour.yearly_kinds(plan)
    year_start = None  # (points, scored) when the run, then each calendar year, began
    source_dates = set(observation.source_dates(spec))
    sensitive = list(plan.sensitive)
    for e in range(n_epochs):
        day0_date, day1_date = bounds[e], bounds[e + 1]
        day0, day1 = (day0_date - start).days, (day1_date - start).days
        year = day0_date.year

        if day0_date in source_dates:
            det_table = observation.detection_table(spec, kinds, params, day0_date)
            if sensitive:  # who fears detection responds to the new coverage at once
                update_rates(year, sensitive, day0)
        if resensitised := plan.sensitivity_changes(day0_date):
            update_rates(year, resensitised, day0)
        if year != last_rate_year:  # rates change at each year start
            last_rate_year = year
            if tickets:  # a new year's bound: every ticket kind's next candidate is redrawn
                bound_p = plan.year_bound(horizon_bound, tickets, start, end, year)
                rates[:, tickets] = -1.0
            update_rates(year, sorted({*yearly, *tickets}), day0)
            if pts.active:  # the standing a year starts from, for grade mobility
                year_start = (si[:, POINTS].copy(), si[:, SCORED] == 1)
        stage.begin_epoch(day0, day0_date)

        if consent_draw is not None:
            si[:, CONSENT] = consent_draw < pts.consent_share(day0_date)
        if e == 0 and pts.active:  # the standing the run starts from, for grade mobility
            year_start = (si[:, POINTS].copy(), (si[:, ELIGIBLE] == 1) & (si[:, CONSENT] == 1))
        victims = pending.take(day1)
        ms_lo, ms_hi = np.searchsorted(month_days, [day0, day1])
        mis_day[...] = 0
        recorder.begin_epoch(day0, day1)
        pts_in_force = pts.active  # where and for whom: ELIGIBLE, set by the stages
        cp = court.vector(day0_date)
        chunk_lo = chunk_edges[:-1].copy()
        chunk_hi = chunk_edges[1:]
        while True:
            resume = kernel(day0, day1, year, day0_date, victims, ms_lo, ms_hi, pts_in_force, cp,
                            det_table, chunk_lo, chunk_hi)  # fmt: skip
            log.collect()
            if np.array_equal(resume, chunk_hi):
                break
            chunk_lo = resume
        recorder.end_epoch(day1_date)
        stage.end_epoch(day0, day1, day0_date, day1_date, last_epoch=e == n_epochs - 1)
        integrity.check_state(day1_date, sf, rates)
        if events:
            log.add(stage.list_joins(day1 - 1))
            _check_log_fits(log, day1, n_days)
        counts = mis_day.sum(axis=0)[: day1 - day0]
        if counts.any():
            pending.add(observation.draw_victims(seed, counts, day0, delivery, pop.age(year) >= 18))
        progress(e + 1, n_epochs, day1_date - dt.timedelta(days=1))
    timings["simulate_s"] = time.perf_counter() - clock
    stage.release()

    return Outcome(
        scenario=scenario,
        seed=seed,
        start=start,
        end=end,
        population=pop,
        si=si,
        sf=sf,
        n_true=n_true,
        n_rec=n_rec,
        province=province,
        kinds=kinds,
        grade_names=pts.grade_names if pts.active else (),
        grade_bounds=pts.grade_bounds,
        measure_names=meas.names,
        points_active=pts.active,
        timeseries=recorder.table(
            kinds, pts.grade_names if pts.active else (), meas.names, stage.rows
        ),
        stages=stage,
        year_start=year_start,
        events=log.table() if events else None,
        timings=timings,
    )


def _points_dates(spec) -> list[dt.date]:
    dates = [spec.jurisdiction.start, spec.jurisdiction.until] + spec.base.change_dates()
    dates += spec.consent.share.change_dates() + spec.floor.change_dates()
    if spec.recovery is not None:
        dates += spec.recovery.clean_days.change_dates() + spec.recovery.points.change_dates()
    if spec.cap is not None:
        dates += spec.cap.change_dates()
    for delta in [
        *spec.deltas.values(),
        *(d for v in spec.local_deltas.values() for d in v.values()),
    ]:
        dates += delta.change_dates()
    return [d for d in dates if d is not None]


def synthesize_world(
    spec: ScenarioSpec, n: int, seed: int, start: dt.date
) -> tuple[Population, Graph | None]:
    """A run's synthetic population and its friendship graph: a function of the scenario's
    ``world.population`` section, the agent count, the seed and the start year only."""
    pop = synthesize(
        n,
        seed,
        year=start.year,
        provinces=spec.world.population.provinces,
        real_population=spec.world.population.real_population,
    )
    return pop, _friendship_graph(spec, pop, seed)


def _friendship_graph(spec, pop, seed):
    """The friendship network, when the scenario declares one (built while synthesizing)."""
    graph = spec.world.population.graph
    if graph is None:
        return None
    return build_graph(
        seed, pop.province, pop.hukou_urban, pop.income,
        mean_degree=graph.mean_degree, tail=graph.tail, max_degree=graph.max_degree,
        homophily_province=graph.homophily_province, homophily_cell=graph.homophily_cell,
    )  # fmt: skip


def _habituation(plan, pts_spec, start: dt.date) -> Callable[[dt.date], np.ndarray]:
    """Per kind, the factor on the deterrence exponent on a day: fear of losing points fades
    from the day the points scheme first runs anywhere (with the half-life and floor in force
    that day; a repealed half-life stops the fading)."""
    factors = [e.deterrence.habituation for e in plan.events]
    if pts_spec is None or not any(factors):
        return lambda day: np.ones(plan.n)
    began = int(jurisdiction.prepare(pts_spec.jurisdiction, start).start_day.min())

    def fading(h, day: dt.date) -> float:
        half_life = h.half_life_days.at(day)
        if half_life is None:
            return 1.0
        floor = h.floor.at(day) or 0.0
        since = max((day - start).days - began, 0)
        return floor + (1.0 - floor) * 0.5 ** (since / half_life)

    def factor(day: dt.date) -> np.ndarray:
        return np.array([1.0 if h is None else fading(h, day) for h in factors])

    return factor


class _Pending:
    """Misattributed records waiting for their delivery day, in (citizen, day, kind) order."""

    def __init__(self):
        empty = np.zeros(0, dtype=np.int64)
        self.parts = (empty, empty.astype(np.int32), empty.astype(np.int16))

    def add(self, records: tuple[np.ndarray, ...]) -> None:
        """Queue records. Each is due in the calendar month after it was made, which is always
        still to come: a run that can misattribute has monthly epochs."""
        self.parts = tuple(np.concatenate(x) for x in zip(self.parts, records, strict=True))

    def take(self, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The records due before day ``stop``, sorted by citizen, day and kind."""
        victim, day, kind = self.parts
        due = day < stop
        self.parts = tuple(x[~due] for x in self.parts)
        victim, day, kind = victim[due], day[due], kind[due]
        order = np.lexsort((kind, day, victim))
        return victim[order], day[order], kind[order]


def _check_log_fits(log: _EventLog, days_done: int, days: int) -> None:
    """Stop early, with advice, when the event log will not fit in memory by the run's end.

    The log grows with the events, which no estimate made before the run can know; its growth
    so far is projected to the whole horizon, and sorting and writing it need two more copies.
    """
    so_far = log.nbytes
    projected = so_far * days / max(days_done, 1)
    need = (projected - so_far) + 2 * projected
    free = available_bytes()
    if need > 0.9 * free:
        raise SimulationError(
            f"the event log (--events) would grow to about {projected / 2**30:.1f} GiB and need "
            f"about {need / 2**30:.1f} GiB more, but {free / 2**30:.1f} GiB are free — run "
            "without --events, or with a smaller --population or an earlier --until"
        )


class _EventLog:
    """Per-chunk buffers for the optional event log, flushed after every kernel call."""

    def __init__(self, on: bool, n_chunks: int):
        self.on = on
        self.n_chunks = n_chunks
        self.cap = 1
        self.fill = np.zeros(n_chunks, dtype=np.int64)
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.buffers = self._alloc(1)

    def _alloc(self, cap: int):
        size = cap * self.n_chunks
        return (
            np.zeros(size, dtype=np.int32),
            np.zeros(size, dtype=np.int64),
            np.zeros(size, dtype=np.int8),
            np.zeros(size, dtype=np.int16),
            np.zeros(size, dtype=np.float64),
        )

    def reset(self, days: int, n_kinds: int) -> None:
        self.fill[:] = 0
        if self.on:
            need = 4 * (days * n_kinds * LOG_SLOTS_PER_DAY + 64)
            if self.cap < need:
                self.cap = max(need, 1 << 16)
                self.buffers = self._alloc(self.cap)

    def add(self, rows: tuple[np.ndarray, ...]) -> None:
        """Rows written outside the kernel (day, citizen, code, kind, value), e.g. list joins."""
        if self.on and rows[0].size:
            self.parts.append(
                tuple(r.astype(b.dtype) for r, b in zip(rows, self.buffers, strict=True))
            )

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes for part in self.parts for b in part)

    def collect(self) -> None:
        if not self.on:
            return
        idx = np.concatenate(
            [np.arange(c * self.cap, c * self.cap + self.fill[c]) for c in range(self.n_chunks)]
        )
        self.parts.append(tuple(b[idx].copy() for b in self.buffers))

    def table(self) -> dict[str, np.ndarray]:
        names = ("day", "citizen", "code", "kind", "value")
        if not self.parts:
            return {name: b[:0] for name, b in zip(names, self.buffers, strict=True)}
        cols = [np.concatenate([p[j] for p in self.parts]) for j in range(5)]
        order = np.lexsort((cols[0], cols[1]))  # by citizen, then day; stable within a day
        return {name: col[order] for name, col in zip(names, cols, strict=True)}


def thread_count() -> int:
    return (
        nb.get_num_threads()
        if "NUMBA_NUM_THREADS" not in os.environ
        else nb.config.NUMBA_NUM_THREADS
    )
