"""Observation: which events the authorities record, and on whom.

Detection is a probability per event kind that may depend on where a citizen lives and on the
cell attributes (urban, hukou type, migrant, minority, children): cameras in cities, fewer in
villages, heavier monitoring of some groups. It is compiled to a table [kind, province, cell].

A detected event is misattributed with a (dated) probability: the offender escapes the record and
an innocent adult receives it instead. Misattributed records are pooled over an epoch and
delivered at the start of the next, to victims drawn by counter-based random numbers, so the
result does not depend on how citizens are split across threads or shards.
"""

from __future__ import annotations

import numpy as np

from scsim.engine import rng
from scsim.population.census import PROVINCE_NAMES
from scsim.rules import compile_expr
from scsim.scenario.schema import ScenarioSpec

from .attributes import BOOL, CELL_FLAGS, N_CELLS, NUM, PROVINCE, cell_domains

DETECTION_VARIABLES = {**{name: BOOL for name in CELL_FLAGS}, "province": PROVINCE}


def detection_table(spec: ScenarioSpec, kinds: tuple[str, ...], params) -> np.ndarray:
    """Detection probability per [kind, province, cell]; kinds not listed are always detected."""
    n_prov = len(PROVINCE_NAMES)
    table = np.ones((len(kinds), n_prov, N_CELLS), dtype=np.float32)
    cells = cell_domains()
    grid = {name: np.broadcast_to(v[None, :], (n_prov, N_CELLS)) for name, v in cells.items()}
    grid["province"] = np.broadcast_to(np.arange(n_prov)[:, None], (n_prov, N_CELLS))
    for kind, rule in spec.observation.detection.items():
        if isinstance(rule, float | int):
            value = np.full((n_prov, N_CELLS), float(rule))
        else:
            expr = compile_expr(rule, variables=DETECTION_VARIABLES, params=params, expect=NUM)
            value = np.broadcast_to(expr.evaluate(grid), (n_prov, N_CELLS))
        table[kinds.index(kind)] = np.clip(value, 0.0, 1.0)
    return table


def draw_victims(
    seed: int,
    epoch: int,
    counts: np.ndarray,
    n_citizens: int,
    start: int,
    day0: int,
    day1: int,
    is_adult: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Victims of the misattributed records of one epoch: (citizen, day, kind), sorted by citizen.

    ``counts[k]`` records of kind k are delivered on days in [day0, day1) to adults drawn
    uniformly; citizen indices are global (``start`` is this population's offset).
    """
    victims, days, kinds = [], [], []
    for k, count in enumerate(counts.astype(np.int64)):
        if count == 0:
            continue
        j = np.arange(count, dtype=np.uint64)
        key = (np.uint64(epoch) << np.uint64(32)) | j
        who = np.empty(count, dtype=np.int64)
        todo = np.arange(count)
        for attempt in range(64):  # redraw minors; adults are most of any population
            u = rng.uniform_np(seed, rng.Stream.VICTIM, k, key[todo] + np.uint64(attempt << 24))
            pick = np.minimum((u * n_citizens).astype(np.int64), n_citizens - 1)
            ok = is_adult[pick]
            who[todo[ok]] = pick[ok]
            todo = todo[~ok]
            if todo.size == 0:
                break
        keep = np.setdiff1d(np.arange(count), todo)
        u_day = rng.uniform_np(seed, rng.Stream.VICTIM, k + 1_000_000, key[keep])
        victims.append(who[keep] + start)
        days.append(day0 + np.minimum((u_day * (day1 - day0)).astype(np.int64), day1 - day0 - 1))
        kinds.append(np.full(keep.size, k, dtype=np.int16))
    if not victims:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.int32), empty.astype(np.int16)
    victim = np.concatenate(victims)
    day = np.concatenate(days).astype(np.int32)
    kind = np.concatenate(kinds)
    order = np.lexsort((kind, day, victim))
    return victim[order], day[order], kind[order]
