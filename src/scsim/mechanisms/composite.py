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

import numba as nb
import numpy as np

from scsim.core import rng
from scsim.core.vocabulary import RECORDS
from scsim.rules import Expr, compile_expr
from scsim.scenario.schema import CompositeScore, Term
from scsim.scenario.vocabulary import BOOL, CITIZEN

from . import jurisdiction
from .attributes import holds, subset, take


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
            self.bands = np.empty(self.score.shape, dtype=np.uint8)
            _band_codes(self.score, self.user, self.band_bounds, self.bands)
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


@nb.njit(cache=True, parallel=True)
def _band_codes(score, user, bounds, out):
    for i in nb.prange(score.size):
        if not user[i]:
            out[i] = 0
            continue
        band = 1  # below the first bound: the first band still
        while band < bounds.size and score[i] >= bounds[band]:
            band += 1
        out[i] = band


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


TRANSFORMS = ("linear", "log", "saturating")


def dimension_values(spec: CompositeScore, inputs) -> dict[str, np.ndarray]:
    """Each dimension's sub-score in [0, 1] (float32 per citizen) from ``inputs[name]``.

    One pass over the citizens (numba) with every term's input gathered into a matrix, rather
    than a numpy temporary per operation: at 10^7 citizens that is several times faster.
    """
    shape = np.shape(next(iter(inputs.values()))) if inputs else ()
    out = dimension_matrix(spec, inputs, shape)
    return {name: out[d].reshape(shape) for d, name in enumerate(spec.dimensions)}


def terms(spec: CompositeScore) -> list[tuple[int, Term]]:
    """(dimension index, term) of every term, in the order of the input matrix's rows."""
    return [(d, t) for d, dim in enumerate(spec.dimensions.values()) for t in dim.terms]


def dimension_matrix(spec: CompositeScore, inputs, shape) -> np.ndarray:
    """The dimensions as a float32 matrix [dimension, citizen] (see dimension_values)."""
    n = int(np.prod(shape))
    x = np.empty((len(terms(spec)), n), dtype=np.float32)
    for row, (_, term) in enumerate(terms(spec)):
        x[row] = np.broadcast_to(inputs[term.input], shape).ravel()
    return dimensions_of(spec, x)


def dimensions_of(spec: CompositeScore, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The dimensions [dimension, citizen] from the terms' inputs [term, citizen] (float32)."""
    terms_ = terms(spec)
    if out is None:
        out = np.empty((len(spec.dimensions), x.shape[1]), dtype=np.float32)
    _dimensions(
        x,
        np.array([d for d, _ in terms_], dtype=np.int64),
        np.array([TRANSFORMS.index(t.transform) for _, t in terms_], dtype=np.int64),
        np.array([t.effect for _, t in terms_], dtype=np.float64),
        np.array([t.scale for _, t in terms_], dtype=np.float64),
        np.array([dim.baseline for dim in spec.dimensions.values()], dtype=np.float64),
        out,
    )
    return out


@nb.njit(cache=True, parallel=True)
def _dimensions(x, term_dim, term_transform, effect, scale, baseline, out):
    # Block by block of citizens, term by term: each inner loop has one transform (no branch per
    # citizen); every citizen's sum still adds its terms in order, so the bits do not change.
    n_dims = baseline.size
    n = x.shape[1]
    block = 1024
    for b in nb.prange((n + block - 1) // block):
        lo = b * block
        hi = min(n, lo + block)
        value = np.empty((n_dims, hi - lo))
        for d in range(n_dims):
            value[d, :] = baseline[d]
        for t in range(x.shape[0]):
            e, s, row = effect[t], scale[t], value[term_dim[t]]
            if term_transform[t] == 0:
                for i in range(hi - lo):
                    row[i] += e * (max(np.float64(x[t, lo + i]), 0.0) / s)
            elif term_transform[t] == 1:
                for i in range(hi - lo):
                    row[i] += e * np.log1p(max(np.float64(x[t, lo + i]), 0.0) / s)
            else:
                for i in range(hi - lo):
                    v = max(np.float64(x[t, lo + i]), 0.0) / s
                    row[i] += e * (v / (1.0 + v))
        for d in range(n_dims):
            for i in range(hi - lo):
                out[d, lo + i] = min(max(value[d, i], 0.0), 1.0)


def combine(spec: CompositeScore, dims: dict[str, np.ndarray]) -> np.ndarray:
    """The score on the scheme's range (float64) from the dimensions."""
    values = np.stack([dims[name].ravel() for name in spec.dimensions])
    return combine_matrix(spec, values).reshape(np.shape(next(iter(dims.values()))))


def combine_matrix(spec: CompositeScore, values: np.ndarray) -> np.ndarray:
    """The score (float64 per citizen) from a [dimension, citizen] matrix, in one pass."""
    low, high = spec.range
    weights = np.array([d.weight for d in spec.dimensions.values()], dtype=np.float64)
    out = np.empty(values.shape[1])
    _combine(values, weights * (high - low) / spec.weights_sum, float(low), out)
    return out


@nb.njit(cache=True, parallel=True)
def _combine(values, factor, low, out):
    for i in nb.prange(values.shape[1]):
        total = low
        for d in range(values.shape[0]):
            total += factor[d] * np.float64(values[d, i])
        out[i] = total


def choose_users(
    state: CompositeState, day: int, date: dt.date, arrays, province: np.ndarray
) -> None:
    """Who uses the score on ``day``: eligible, opted in, and reached by the scheme."""
    share = state.spec.adoption.share.at(date) or 0.0
    reach = state.reach.enforced(day, date, province, state.place_draw, state.enrolled)
    state.user = holds(state.eligible, arrays, reach & (state.adopt_draw < share))
    state.bands = None


SCORE_BLOCK = 1 << 17  # users whose inputs are gathered at once (a few MB: they stay in cache)


def score_users(
    state: CompositeState,
    arrays,
    n_rec: np.ndarray,
    kinds: tuple[str, ...],
    years: float,
    friends: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    users: np.ndarray | None = None,
) -> None:
    """Recompute the users' scores (non-users hold 0); ``users`` is ``np.flatnonzero(state.user)``
    when the caller has it.

    ``friends`` is None without a graph, else (the users' scored friends' mean score and their
    number, both in the order of ``np.flatnonzero(state.user)``, and every citizen's number of
    friends); ``years`` is the time run so far, for records per year.

    Block by block of users: each term's input is gathered for the block, then one pass turns
    the block's inputs into its dimensions, so the inputs of millions of users never coexist.
    """
    spec = state.spec
    state.dimensions = {}  # (the last epoch's: freed before the new ones are allocated)
    users = np.flatnonzero(state.user) if users is None else users
    record_rows = [r for r, (_, t) in enumerate(terms(spec)) if t.input.startswith(RECORDS)]
    record_kinds = [kinds.index(terms(spec)[r][1].input[len(RECORDS) :]) for r in record_rows]
    matrix = np.empty((len(spec.dimensions), users.size), dtype=np.float32)
    x_block = np.empty((len(terms(spec)), min(SCORE_BLOCK, users.size)), dtype=np.float32)
    for lo in range(0, users.size, SCORE_BLOCK):
        hi = min(lo + SCORE_BLOCK, users.size)
        block, x = users[lo:hi], x_block[:, : hi - lo]
        mine = subset(arrays, block, state.user.size)  # the block's own attributes
        for row, (_, term) in enumerate(terms(spec)):
            name = term.input
            if name.startswith(RECORDS):
                continue  # below, all record kinds in one pass
            if name == "friends.score":
                x[row] = friends_score(state, friends, lo, hi)
            elif name == "friends.count":
                x[row] = 0.0 if friends is None else take(friends[2], block)
            else:
                x[row] = mine[name]
        if record_rows:
            _records_per_year(n_rec, block, np.array(record_kinds), np.array(record_rows),
                              1.0 / max(years, 1.0), x)  # fmt: skip
        dimensions_of(spec, x, out=matrix[:, lo:hi])
    state.score = np.zeros(state.user.shape, dtype=np.int16)
    _place_scores(combine_matrix(spec, matrix), users, state.score)
    state.dimensions = {name: matrix[d] for d, name in enumerate(spec.dimensions)}
    state.bands = None


@nb.njit(cache=True, parallel=True)
def _records_per_year(n_rec, users, kinds, rows, factor, x):
    for j in nb.prange(users.size):
        i = users[j]
        for t in range(kinds.size):
            x[rows[t], j] = n_rec[i, kinds[t]] * factor


@nb.njit(cache=True, parallel=True)
def _place_scores(values, users, score):
    for j in nb.prange(users.size):
        score[users[j]] = np.int16(np.rint(values[j]))


def friends_score(state: CompositeState, friends, lo: int, hi: int) -> np.ndarray:
    """Users lo..hi-1's scored friends' mean score mapped to [0, 1]; 0.5 (neutral) with none."""
    if friends is None:
        return np.full(hi - lo, 0.5)
    mean, count = friends[0][lo:hi], friends[1][lo:hi]
    scaled = (mean.astype(np.float64) - state.low) / (state.high - state.low)
    return np.where(count > 0, scaled, 0.5)


def tie_drop_probability(state: CompositeState, date: dt.date, days: int) -> float:
    """The chance that a user drops a given tie to a low scorer over ``days`` days."""
    if state.spec.ties is None:
        return 0.0
    monthly = state.spec.ties.monthly_probability.at(date) or 0.0
    return 1.0 - (1.0 - monthly) ** (days / 30.4375)
