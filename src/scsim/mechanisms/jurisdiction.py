"""Where and when a scheme runs, and how far its verdicts reach (enforcement scope).

The central framework leaves implementation to the provinces: each runs a scheme from its own
date (``rollout``), in the cities that chose it (``coverage``: the share of the province's
residents living there). A scheme's ``scope`` says where its verdicts are enforced:

- ``local``: only while the citizen lives in a covered place;
- ``provincial``: anywhere in a province that runs it;
- ``national``: once enrolled (covered somewhere, at some time), everywhere until it ends.

Whether a citizen lives in a covered place is a draw made once per citizen and scheme, compared
with the coverage in force, so a mover keeps their draw and coverage can grow over time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from scsim.core import rng
from scsim.core.vocabulary import PROVINCE_NAMES
from scsim.scenario.schema import Jurisdiction

NOT_RUN = np.iinfo(np.int64).max  # a province that never runs the scheme


@dataclass(frozen=True)
class Reach:
    """A jurisdiction compiled against a run's start date."""

    spec: Jurisdiction
    start_day: np.ndarray  # int64 per province: first day it runs there (NOT_RUN: never)
    until_day: int  # first day it no longer runs anywhere

    @property
    def scope(self) -> str:
        return self.spec.scope

    def change_dates(self) -> list[dt.date]:
        spec = self.spec
        dates = [spec.start, spec.until, *spec.rollout.values()]
        if spec.coverage is not None:
            dates += spec.coverage.change_dates()
        return [d for d in dates if d is not None]

    def covered(
        self, day: int, date: dt.date, province: np.ndarray, draw: np.ndarray
    ) -> np.ndarray:
        """Who lives, on ``day``, in a place where the scheme runs (and in its cities)."""
        if day >= self.until_day:
            return np.zeros(province.shape, dtype=bool)
        runs = self.start_day <= day
        here = np.ones(province.shape, dtype=bool) if runs.all() else runs[province]
        coverage = self.spec.coverage
        share = 1.0 if coverage is None else coverage.at(date) or 0.0
        if self.scope == "provincial" or share >= 1.0:
            return here
        return here & (draw < share)

    def enforced(
        self,
        day: int,
        date: dt.date,
        province: np.ndarray,
        draw: np.ndarray,
        enrolled: np.ndarray,
    ) -> np.ndarray:
        """Who the scheme reaches on ``day``; updates ``enrolled`` (ever covered) in place."""
        here = self.covered(day, date, province, draw)
        if self.scope != "national":
            return here
        if day >= self.until_day:
            return here
        enrolled |= here
        return enrolled.copy()


def prepare(spec: Jurisdiction, start: dt.date) -> Reach:
    """Per-province start days from ``from`` (default: the run's start) and ``rollout``."""
    first = 0 if spec.start is None else (spec.start - start).days
    start_day = np.full(len(PROVINCE_NAMES), NOT_RUN, dtype=np.int64)
    provinces = PROVINCE_NAMES if spec.provinces is None else spec.provinces
    named = set(provinces) | set(spec.rollout)
    for name in named:
        day = spec.rollout.get(name)
        start_day[PROVINCE_NAMES.index(name)] = first if day is None else (day - start).days
    if spec.provinces is None and spec.rollout:
        # With a rollout and no list, only the provinces named in the rollout run it.
        start_day[[PROVINCE_NAMES.index(n) for n in PROVINCE_NAMES if n not in spec.rollout]] = (
            NOT_RUN
        )
    until = 1 << 40 if spec.until is None else (spec.until - start).days
    return Reach(spec, start_day, until)


def draws(seed: int, scheme_index: int, citizens: np.ndarray, spec: Jurisdiction):
    """Each citizen's fixed place draw for a scheme (float32, compared with its coverage), or
    None when the scheme covers every resident (no draw is needed)."""
    if spec.coverage is None:
        return None
    return rng.uniform_np(seed, rng.Stream.COVERAGE, citizens, scheme_index).astype(np.float32)
