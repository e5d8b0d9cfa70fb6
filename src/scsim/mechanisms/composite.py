"""A private composite score (Sesame Credit style): five dimensions, a range, perk bands.

Sesame Credit scores its users from 350 to 950 on credit history, behaviour and preferences,
fulfilment capacity, identity and status, and relationships (REFERENCE.md §2). Here each
dimension is a sub-score in [0, 1]: ``clip(baseline + Σ effect · f(input / scale), 0, 1)`` with
f one of x, log(1 + x) or x / (1 + x) — all increasing — so every dimension is monotone in each
of its inputs, in the direction of the sign of its effect. The score maps the weighted mean of
the dimensions onto the range, and is recomputed at every epoch end, for users only: citizens
eligible under ``adoption`` who opted in (a fixed draw against the dated adoption share) and
live where the scheme reaches.

Inputs are citizen variables (income, education, listed, ...), ``records.<kind>`` (recorded
events of that kind per year, over the run so far and at least one year), and, from the
friendship graph, ``friends.score`` (friends' mean score mapped to [0, 1]; 0.5 without scored
friends) and ``friends.count``.

Network response: because the score rewards being selective about relations, users may drop
ties to friends scoring below a threshold (``ties``); the graph changes, and the ties dropped
are counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from scsim.engine import rng
from scsim.rules import Expr, compile_expr
from scsim.scenario.schema import CompositeScore

from . import jurisdiction
from .attributes import BOOL, CITIZEN, holds

RECORDS = "records."
FRIENDS = ("friends.score", "friends.count")
MAX_BANDS = 7  # band codes (with 0: not a user) index the measures' lookup table


def input_names(kinds: tuple[str, ...]) -> list[str]:
    """Every name a composite term may read."""
    own = {"province", "score", "user"}  # a score does not feed on itself
    return [*(v for v in CITIZEN if v not in own), *(RECORDS + k for k in kinds), *FRIENDS]


def transform(kind: str, x: np.ndarray) -> np.ndarray:
    """The term's increasing transform of a non-negative input."""
    if kind == "log":
        return np.log1p(x)
    if kind == "saturating":
        return x / (1.0 + x)
    return x


@dataclass
class CompositeState:
    name: str
    spec: CompositeScore
    eligible: Expr
    reach: jurisdiction.Reach
    place_draw: np.ndarray | None  # see jurisdiction.draws
    adopt_draw: np.ndarray
    enrolled: np.ndarray
    band_bounds: np.ndarray  # lower bound of each band
    score: np.ndarray  # int16 per citizen (0: not a user)
    user: np.ndarray  # bool per citizen
    dimensions: dict[str, np.ndarray] = field(default_factory=dict)  # users' values, float32
    bands: np.ndarray | None = None  # band codes of the last scores (see band_codes)
    ties_dropped: np.ndarray | None = None  # int32 per citizen (with a graph)

    @property
    def low(self) -> float:
        return float(self.spec.range[0])

    @property
    def high(self) -> float:
        return float(self.spec.range[1])

    def band_codes(self) -> np.ndarray:
        """Per citizen: 0 for non-users, else 1 + the band index of their score."""
        if self.bands is None:
            band = np.searchsorted(self.band_bounds, self.score, side="right")  # 1-based
            self.bands = np.where(self.user, np.maximum(band, 1), 0).astype(np.uint8)
        return self.bands

    def dimension_columns(self) -> dict[str, np.ndarray]:
        """Each dimension per citizen (float32; NaN for non-users), for the citizens table."""
        users = np.flatnonzero(self.user)
        out = {}
        for name, value in self.dimensions.items():
            full = np.full(self.user.shape, np.nan, dtype=np.float32)
            full[users] = value
            out[name] = full
        return out

    def change_dates(self) -> list[dt.date]:
        dates = self.reach.change_dates() + self.spec.adoption.share.change_dates()
        if self.spec.ties is not None:
            dates += self.spec.ties.monthly_probability.change_dates()
        return dates


def prepare(name: str, spec: CompositeScore, params, seed: int, start: dt.date, n: int,
            scheme_index: int) -> CompositeState:  # fmt: skip
    citizens = np.arange(n, dtype=np.int64)
    return CompositeState(
        name=name,
        spec=spec,
        eligible=compile_expr(
            spec.adoption.eligible, variables=CITIZEN, params=params, expect=BOOL
        ),  # fmt: skip
        reach=jurisdiction.prepare(spec.jurisdiction, start),
        place_draw=jurisdiction.draws(seed, scheme_index, citizens, spec.jurisdiction),
        adopt_draw=rng.uniform_np(seed, rng.Stream.ADOPTION, citizens, scheme_index).astype(
            np.float32
        ),
        enrolled=np.zeros(n, dtype=bool),
        band_bounds=np.array(list(spec.bands.values()), dtype=np.float64),
        score=np.zeros(n, dtype=np.int16),
        user=np.zeros(n, dtype=bool),
    )


def dimension_values(spec: CompositeScore, inputs) -> dict[str, np.ndarray]:
    """Each dimension's sub-score in [0, 1] (float32 per citizen) from ``inputs[name]``."""
    out = {}
    shape = np.shape(next(iter(inputs.values()))) if inputs else ()
    for name, dim in spec.dimensions.items():
        value = np.full(shape, dim.baseline)
        for term in dim.terms:
            x = np.maximum(np.asarray(inputs[term.input], dtype=np.float64), 0.0) / term.scale
            value = value + term.effect * transform(term.transform, x)
        out[name] = np.clip(value, 0.0, 1.0).astype(np.float32)
    return out


def combine(spec: CompositeScore, dims: dict[str, np.ndarray]) -> np.ndarray:
    """The score on the scheme's range (float64) from the dimensions."""
    low, high = spec.range
    total = sum(spec.dimensions[name].weight * value.astype(np.float64)
                for name, value in dims.items())  # fmt: skip
    return low + (high - low) * total / spec.weights_sum


def choose_users(
    state: CompositeState, day: int, date: dt.date, arrays, province: np.ndarray
) -> None:
    """Who uses the score on ``day``: eligible, opted in, and reached by the scheme."""
    share = state.spec.adoption.share.at(date) or 0.0
    reach = state.reach.enforced(day, date, province, state.place_draw, state.enrolled)
    state.user = holds(state.eligible, arrays, reach & (state.adopt_draw < share))
    state.bands = None


def score_users(
    state: CompositeState,
    arrays,
    n_rec: np.ndarray,
    kinds: tuple[str, ...],
    years: float,
    friends: tuple[np.ndarray, np.ndarray] | None,
) -> None:
    """Recompute the users' scores (non-users hold 0).

    ``friends`` is (friends' mean of the normalised score, number of friends), or None without
    a graph; ``years`` is the time run so far, for records per year.
    """
    spec = state.spec
    users = np.flatnonzero(state.user)
    reads = {t.input for d in spec.dimensions.values() for t in d.terms}
    inputs: dict[str, np.ndarray] = {"_": np.zeros(users.size)}
    for name in reads:
        if name.startswith(RECORDS):
            k = kinds.index(name[len(RECORDS) :])
            inputs[name] = n_rec[users, k] / max(years, 1.0)
        elif name == "friends.score":
            inputs[name] = friends[0][users] if friends is not None else np.full(users.size, 0.5)
        elif name == "friends.count":
            inputs[name] = friends[1][users] if friends is not None else np.zeros(users.size)
        else:
            inputs[name] = np.broadcast_to(arrays[name], state.user.shape)[users]
    dims = dimension_values(spec, inputs)
    state.score = np.zeros(state.user.shape, dtype=np.int16)
    state.score[users] = np.rint(combine(spec, dims))
    state.dimensions = dims
    state.bands = None


def normalised(state: CompositeState) -> np.ndarray:
    """Users' scores mapped to [0, 1] (float32), for their friends' relationship dimension."""
    return ((state.score - state.low) / (state.high - state.low)).astype(np.float32)


def tie_drop_probability(state: CompositeState, date: dt.date, days: int) -> float:
    """The chance that a user drops a given tie to a low scorer over ``days`` days."""
    if state.spec.ties is None:
        return 0.0
    monthly = state.spec.ties.monthly_probability.at(date) or 0.0
    return 1.0 - (1.0 - monthly) ** (days / 30.4375)
