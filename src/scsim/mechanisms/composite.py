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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numba as nb
import numpy as np

from scsim.core import rng
from scsim.core.layout import N_GROUPS
from scsim.core.metrics import COMPOSITE_QUANTILES, GROUPS, MARGINALS
from scsim.core.vocabulary import FLAG, NUMBER, RECORDS, ColumnType, category
from scsim.population.graph import assortativity, drop_ties, neighbour_mean_at
from scsim.rules import Expr, compile_expr
from scsim.scenario.schema import CompositeScore, Term
from scsim.scenario.vocabulary import BOOL, CITIZEN

from . import jurisdiction, tally
from .attributes import holds, subset, take
from .stage import World


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
            dates += self.spec.ties.below.change_dates()
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


# -- the epoch boundary --------------------------------------------------------------------------


class FriendsStage:
    """The friendship graph at the epoch boundary (a :class:`~scsim.mechanisms.stage.Stage`):
    every citizen's number of friends at the start and now (kept up to date by the composite
    score's tie drops), ``friends_mean`` and, with a composite score, ``score_assortativity``.
    Built only with a graph; the composite score's stage reads and changes it."""

    kind: ClassVar[str] = "graph"  # (world.population.graph: not a scheme)
    schemes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, graph) -> None:
        self.graph = graph
        self.initial = graph.degree()
        self.degree = self.initial.copy()  # kept up to date by graph.drop_ties
        self.composite: CompositeState | None = None  # the score whose assortativity is tallied

    @classmethod
    def build(cls, spec, world: World, params) -> FriendsStage | None:
        """The graph's stage, or None without a friendship graph."""
        return None if world.graph is None else cls(world.graph)

    @classmethod
    def bytes_per_citizen(cls, spec) -> int:
        """The degrees before and now (the graph itself: population.graph.estimate_bytes)."""
        return 0 if spec.world.population.graph is None else 12

    @classmethod
    def column_types(cls, spec) -> dict[str, ColumnType]:
        if spec.world.population.graph is None:
            return {}
        return {"friends_initial": NUMBER, "friends": NUMBER}

    def change_dates(self) -> list[dt.date]:
        return []

    def begin_epoch(self, world: World, day0: int, date: dt.date) -> None:
        pass

    def end_epoch(self, world: World, day0: int, day1: int, date0: dt.date,
                  date1: dt.date) -> None:  # fmt: skip
        pass  # (the ties change in the composite score's end_epoch)

    def variables(self, world: World) -> dict[str, Callable]:
        return {"friends": lambda ix: take(self.degree, ix).astype(np.float32)}

    def tally(self, world: World, date: dt.date, year_end: bool) -> None:
        """``friends_mean`` (by the group now); at a year's end, the users' score
        assortativity over the ties between users."""
        everyone = tally.sums(world.group)
        world.emit(date, "friends_mean", tally.sums(world.group, self.degree), "", everyone)
        comp = self.composite
        if comp is not None and year_end:
            value = assortativity(self.graph, comp.score, comp.user)
            if np.isfinite(value):  # (no ties between users yet: nothing to correlate)
                world.rows.append((date, "score_assortativity", "all", "", float(value)))

    def columns(self, end_day: int) -> dict:
        return {"friends_initial": self.initial, "friends": self.degree}

    def release(self) -> None:
        self.graph = None


class CompositeStage:
    """The composite score at the epoch boundary (a :class:`~scsim.mechanisms.stage.Stage`):
    its users and scores (first at the run's start, :meth:`start`), recomputed at every epoch
    end with the friends' scores of the last epoch, the users' tie drops to low scorers (with
    a graph: ``friends``), and its band codes as ``status`` bits for the measures."""

    kind: ClassVar[str] = "composite"
    schemes: ClassVar[tuple[str, ...]] = ("composite",)
    scheme_index: ClassVar[int] = 9  # its places' and adoption's draws (after the lists')
    status_bits: ClassVar[int] = 3  # band codes: 0 (not a user), 1 + the band index (< 8 bands)

    def __init__(self, state: CompositeState) -> None:
        self.state = state
        self.friends: FriendsStage | None = None  # the graph whose ties users drop (connect)
        self.status = np.zeros(0, dtype=np.uint8)
        self.dropped: np.ndarray | None = None  # ties dropped at the last epoch end, per citizen

    @classmethod
    def build(cls, spec, world: World, params) -> CompositeStage | None:
        """The composite score's stage, or None without one."""
        scheme = spec.composite()
        if scheme is None:
            return None
        state = prepare(scheme[0], scheme[1], params, world.seed, world.start, len(world.pop),
                        cls.scheme_index)  # fmt: skip
        return cls(state)

    @classmethod
    def bytes_per_citizen(cls, spec) -> int:
        """Its draws, score, dimensions and ties."""
        scheme = spec.composite()
        return 0 if scheme is None else 40 + 4 * len(scheme[1].dimensions)

    @classmethod
    def column_types(cls, spec) -> dict[str, ColumnType]:
        """Use, score and band (``not a user`` for non-users), each dimension, and with a
        friendship graph the ties each citizen dropped."""
        if spec.composite() is None:
            return {}
        scheme = spec.composite()[1]
        cols = {
            "composite_user": FLAG,
            "composite_score": NUMBER,
            "composite_band": category([*scheme.bands, "not a user"]),
        }
        cols.update({f"dimension_{name}": NUMBER for name in scheme.dimensions})
        if spec.world.population.graph is not None:
            cols["ties_dropped"] = NUMBER
        return cols

    def connect(self, stages: dict) -> None:
        """With a friendship graph, users drop ties to low scorers, and the graph's stage
        tallies the users' score assortativity."""
        friends = stages.get(FriendsStage.kind)
        if friends is not None:
            self.friends = friends
            self.state.ties_dropped = np.zeros(self.state.user.size, dtype=np.int32)
            friends.composite = self.state

    def change_dates(self) -> list[dt.date]:
        return self.state.change_dates()

    def start(self, world: World, day0: int, date: dt.date) -> None:
        """Score the users at the run's start (before the first epoch's measures)."""
        self._score(world, day0, date, days_run=0)

    def begin_epoch(self, world: World, day0: int, date: dt.date) -> None:
        """The band codes of the last scores, for the measures."""
        self.status = self.state.band_codes()

    def end_epoch(self, world: World, day0: int, day1: int, date0: dt.date,
                  date1: dt.date) -> None:  # fmt: skip
        """Users and scores anew; the users' tie drops over the epoch that ended."""
        self.dropped = self._score(world, day1, date1, days_run=day1, epoch_days=day1 - day0,
                                   epoch_date=date0)  # fmt: skip

    def _score(self, world: World, day: int, date: dt.date, days_run: int, epoch_days: int = 0,
               epoch_date: dt.date | None = None) -> np.ndarray | None:  # fmt: skip
        """Choose the users on ``day`` and score them; then, for the epoch that ended (from
        ``epoch_date``, ``epoch_days`` long), users drop ties to low scorers."""
        comp = self.state
        graph = None if self.friends is None else self.friends.graph
        arrays = world.arrays((date - dt.timedelta(days=1)).year if days_run else date.year)
        scored = comp.user.copy()  # who holds a score from the last epoch
        choose_users(comp, day, date, arrays, world.province)
        friends = None
        users = np.flatnonzero(comp.user)
        if graph is not None:
            mean, count = neighbour_mean_at(graph, comp.score, scored & comp.user, users)
            friends = (mean, count, self.friends.degree)
        score_users(comp, arrays, world.n_rec, world.kinds, days_run / 365.25, friends, users)
        if graph is None or epoch_days == 0:
            return None
        ties, when = comp.spec.ties, epoch_date or date
        p = tie_drop_probability(comp, when, epoch_days)
        threshold = None if ties is None else ties.below.at(when)
        if p <= 0.0 or threshold is None:
            return np.zeros(len(world.pop), dtype=np.int32)
        score = np.where(comp.user, comp.score, np.iinfo(np.int16).max)  # non-users: never below
        below = np.float32(threshold)  # (compared as ever: in float32)
        dropped = drop_ties(graph, score, comp.user, below, p, world.seed, day,
                            degree=self.friends.degree)  # fmt: skip
        comp.ties_dropped += dropped
        return dropped

    def variables(self, world: World) -> dict[str, Callable]:
        comp = self.state
        return {
            "user": lambda ix: take(comp.user, ix),
            "score": lambda ix: take(comp.score, ix).astype(np.float32),
        }

    def tally(self, world: World, date: dt.date, year_end: bool) -> None:
        """Users, mean, quantiles and bands, all from one histogram of the users' scores (by the
        group now); ``ties_dropped`` (a flow: by the group at the epoch's start)."""
        comp = self.state
        low, high = int(comp.low), int(comp.high)
        bins = high - low + 1  # bin s - low: score s
        chunks = np.zeros((tally.HISTOGRAM_CHUNKS, N_GROUPS, bins), dtype=np.int64)
        _score_histogram(world.group, comp.score, comp.user, low, chunks)
        hist = chunks.sum(axis=0).astype(np.float64)  # (users per [group, score - low])
        scores = np.arange(low, high + 1, dtype=np.float64)
        users = hist.sum(axis=1)
        world.emit(date, "composite_users", users)
        world.emit(date, "composite_mean", hist @ scores, "", users)
        for name in MARGINALS:
            h = hist[list(GROUPS[name])].sum(axis=0)
            total = h.sum()
            cum = np.cumsum(h)
            for metric, q in COMPOSITE_QUANTILES.items():
                value = low + int(np.searchsorted(cum, q * total)) if total else 0.0
                world.rows.append((date, metric, name, "", float(value)))
        edges = [*(int(np.ceil(b)) - low for b in comp.band_bounds[1:]), hist.shape[1]]
        first = 0
        for band, stop in zip(comp.spec.bands, edges, strict=True):
            in_band = hist[:, first:stop].sum(axis=1)
            world.emit(date, "composite_band", in_band, band)
            world.emit(date, "composite_band_share", in_band, band, users)
            first = stop
        if self.dropped is not None:
            world.emit(date, "ties_dropped", tally.sums(world.flow_group, self.dropped))

    def columns(self, end_day: int) -> dict:
        comp = self.state
        cols: dict = {
            "composite_user": comp.user,
            "composite_score": np.where(comp.user, comp.score, -1).astype(np.int16),
        }
        band = np.where(comp.user, comp.band_codes().astype(np.int64) - 1, len(comp.spec.bands))
        cols["composite_band"] = (band.astype(np.uint8), [*comp.spec.bands, "not a user"])
        for name, value in comp.dimension_columns().items():
            cols[f"dimension_{name}"] = value
        if comp.ties_dropped is not None:
            cols["ties_dropped"] = comp.ties_dropped
        return cols

    def release(self) -> None:
        self.state.place_draw = self.state.adopt_draw = None


@nb.njit(cache=True, parallel=True)
def _score_histogram(group, score, user, low, chunks):
    """Users per [group, score - low] (scores clipped to the range)."""
    n = group.size
    top = chunks.shape[2] - 1
    for c in nb.prange(chunks.shape[0]):
        out = chunks[c]
        for i in range(c * n // chunks.shape[0], (c + 1) * n // chunks.shape[0]):
            if user[i]:
                out[group[i], min(max(np.int64(score[i]) - low, 0), top)] += 1
