"""Observation: which events the authorities record, and on whom.

Detection is a probability per event kind that may depend on where a citizen lives and on the
cell attributes (urban, hukou type, migrant, minority, children): cameras in cities, fewer in
villages, heavier monitoring of some groups. It is compiled to a table [kind, province, cell].

A detected event is misattributed with a (dated) probability: the offender escapes the record and
an innocent adult receives it instead, during the next calendar month (records take time to reach
a file). Victims are drawn by counter-based random numbers keyed by the record's day and kind,
so the result depends neither on how citizens are split across threads or shards nor on where
epoch boundaries fall.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from scsim.core import rng
from scsim.core.vocabulary import N_CELLS, PROVINCE_NAMES
from scsim.rules import compile_expr
from scsim.scenario.schema import ScenarioSpec, Source
from scsim.scenario.vocabulary import DETECTION_VARIABLES, NUM, detection_grid


def detection_table(
    spec: ScenarioSpec, kinds: tuple[str, ...], params, day: dt.date | None = None
) -> np.ndarray:
    """Detection probability per [kind, province, cell] on ``day`` (default: the start);
    kinds not listed are always detected."""
    day = spec.world.start if day is None else day
    n_prov = len(PROVINCE_NAMES)
    table = np.ones((len(kinds), n_prov, N_CELLS), dtype=np.float32)
    grid = detection_grid()
    sources = {
        name: source_table(source, params, day, grid)
        for name, source in spec.observation.sources.items()
    }
    for kind, rule in spec.observation.detection.items():
        if isinstance(rule, list):  # recorded if any of its sources records it
            missed = np.ones((n_prov, N_CELLS))
            for name in rule:
                missed *= 1.0 - sources[name]
            value = 1.0 - missed
        else:
            value = _place_rule(rule, params, grid)
        table[kinds.index(kind)] = np.clip(value, 0.0, 1.0)
    return table


def source_table(source: Source, params, day: dt.date, grid) -> np.ndarray:
    """The chance that ``source`` records an event, per [province, cell], on ``day``."""
    value = _place_rule(source.coverage, params, grid)
    value = value * (source.rollout.at(day) or 0.0) * (source.sharing.at(day) or 0.0)
    for flag, factor in source.intensity.items():
        value = value * np.where(grid[flag], factor, 1.0)
    return np.clip(value, 0.0, 1.0)


def source_dates(spec: ScenarioSpec) -> list[dt.date]:
    """The dates on which a source's rollout or sharing changes (the table is redrawn)."""
    return [
        d
        for source in spec.observation.sources.values()
        for d in source.rollout.change_dates() + source.sharing.change_dates()
    ]


def _place_rule(rule: str | float, params, grid) -> np.ndarray:
    n_prov = len(PROVINCE_NAMES)
    if isinstance(rule, float | int):
        return np.full((n_prov, N_CELLS), float(rule))
    expr = compile_expr(rule, variables=DETECTION_VARIABLES, params=params, expect=NUM)
    return np.broadcast_to(expr.evaluate(grid), (n_prov, N_CELLS))


def draw_victims(
    seed: int,
    counts: np.ndarray,
    day0: int,
    delivery: tuple[np.ndarray, np.ndarray],
    is_adult: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Victims of misattributed records: (citizen, delivery day, kind), sorted by citizen.

    ``counts[d, k]`` records of kind k were misattributed on day ``day0 + d``. The j-th of them
    goes to an adult drawn uniformly, and is delivered on a day drawn uniformly within the
    calendar month after the record (``delivery`` holds, per horizon day, that month's first
    day and length). Every draw is keyed by (day, kind, j), never by the epoch, so the records
    do not move when a dated value adds an epoch boundary.
    """
    n_citizens = is_adult.size
    d_idx, k_idx = np.nonzero(counts)
    reps = counts[d_idx, k_idx].astype(np.int64)
    day = np.repeat(d_idx + day0, reps).astype(np.int64)
    kind = np.repeat(k_idx, reps).astype(np.int64)
    first = np.repeat(np.cumsum(reps) - reps, reps)
    j = np.arange(reps.sum(), dtype=np.int64) - first  # index within its (day, kind)
    key = (day.astype(np.uint64) << np.uint64(32)) | j.astype(np.uint64)
    who = np.full(j.size, -1, dtype=np.int64)
    todo = np.arange(j.size)
    for attempt in range(64):  # redraw minors; adults are most of any population
        u = rng.uniform_np(
            seed, rng.Stream.VICTIM, kind[todo], key[todo] + np.uint64(attempt << 24)
        )
        pick = np.minimum((u * n_citizens).astype(np.int64), n_citizens - 1)
        ok = is_adult[pick]
        who[todo[ok]] = pick[ok]
        todo = todo[~ok]
        if todo.size == 0:
            break
    u_day = rng.uniform_np(seed, rng.Stream.VICTIM, kind + 1_000_000, key)
    month_first, month_len = delivery[0][day], delivery[1][day]
    when = month_first + np.minimum((u_day * month_len).astype(np.int64), month_len - 1)
    keep = who >= 0
    victim, when, kind = who[keep], when[keep].astype(np.int32), kind[keep].astype(np.int16)
    order = np.lexsort((kind, when, victim))
    return victim[order], when[order], kind[order]


def delivery_months(start: dt.date, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """For each day index of a horizon: first day index and length of the next calendar month."""
    dates = np.datetime64(start.isoformat(), "D") + np.arange(n_days)
    month = dates.astype("datetime64[M]")
    first = (month + 1).astype("datetime64[D]")
    after = (month + 2).astype("datetime64[D]")
    origin = np.datetime64(start.isoformat(), "D")
    return (first - origin).astype(np.int64), (after - first).astype(np.int64)
