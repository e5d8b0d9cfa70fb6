"""Counter-based random numbers: every draw is a pure function of (seed, stream, citizen, counter).

Nothing here holds state. A draw made for citizen ``i`` is the same whichever thread, shard or
process computes it, and a baseline and its reform see the same numbers (common random numbers).
The mixer is splitmix64 (Steele, Lea & Flood 2014) applied three times, once per key component.
The numpy and numba versions return identical bits; ``tests/test_rng.py`` checks that.
"""

from __future__ import annotations

from enum import IntEnum

import numba as nb
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


# Streams: one per independent purpose, so that adding draws to one never shifts another.
class Stream(IntEnum):
    POPULATION = 1
    HETEROGENEITY = 2
    BEHAVIOUR = 3
    DETECTION = 4
    MISATTRIBUTION = 5
    AMOUNT = 6
    PAYMENT = 7
    COURT = 8
    ECONOMY = 9
    VICTIM = 10
    MIGRATION = 11
    CONSENT = 12
    MEASURES = 13
    REDRAW = 14
    GRAPH = 15  # population/graph.py
    TIES = 16
    COVERAGE = 17
    HUKOU = 18
    ADOPTION = 19
    TRAVEL = 20  # a payment at a blocked ticket purchase
    BACKLOG = 21  # unpaid judgments from before the court list opened


KIND_STREAM_BASE = 1000  # per-kind streams: KIND_STREAM_BASE * (purpose) + kind


@nb.njit(inline="always", cache=True)
def splitmix64(z):
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _MUL1
    z = (z ^ (z >> _S27)) * _MUL2
    return z ^ (z >> _S31)


@nb.njit(inline="always", cache=True)
def hash4(seed, stream, citizen, counter):
    h = splitmix64(np.uint64(seed) ^ (np.uint64(stream) * _GOLDEN))
    h = splitmix64(h ^ np.uint64(citizen))
    return splitmix64(h ^ np.uint64(counter))


@nb.njit(inline="always", cache=True)
def uniform(seed, stream, citizen, counter):
    """A float64 in [0, 1) with 53 random bits."""
    return np.float64(hash4(seed, stream, citizen, counter) >> _S11) * _TO_UNIT


@nb.njit(inline="always", cache=True)
def uniform_open(seed, stream, citizen, counter):
    """A float64 in (0, 1], safe to take the logarithm of."""
    return 1.0 - uniform(seed, stream, citizen, counter)


@nb.njit(inline="always", cache=True)
def normal(seed, stream, citizen, counter):
    """A standard normal by Box-Muller from two counters (counter, counter + 2**62)."""
    u1 = uniform_open(seed, stream, citizen, counter)
    u2 = uniform(seed, stream, citizen, np.uint64(counter) ^ np.uint64(1 << 62))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@nb.njit(inline="always", cache=True)
def geometric_days(p, u_open):
    """Days until the next success of a daily Bernoulli(p) process (>= 1); huge when p == 0."""
    if p <= 0.0:
        return 1 << 30
    if p >= 1.0:
        return 1
    return 1 + int(np.floor(np.log(u_open) / np.log1p(-p)))


# ---------------------------------------------------------------------------------------------
# Vectorised numpy twins, for synthesis and other whole-population draws outside kernels.


def _splitmix64_np(z: np.ndarray) -> np.ndarray:
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _MUL1
    z = (z ^ (z >> _S27)) * _MUL2
    return z ^ (z >> _S31)


def hash4_np(seed: int, stream: int, citizens: np.ndarray, counter: int | np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = _splitmix64_np(np.uint64(seed) ^ (np.uint64(stream) * _GOLDEN))
        h = _splitmix64_np(h ^ np.asarray(citizens, dtype=np.uint64))
        return _splitmix64_np(h ^ np.asarray(counter, dtype=np.uint64))


PARALLEL_DRAWS = 1 << 16  # from this many draws on, the numba kernel fills them on all threads


def uniform_np(
    seed: int, stream: int, citizens: np.ndarray, counter: int | np.ndarray = 0
) -> np.ndarray:
    """Uniform [0, 1) draws, one per citizen index, identical to the numba ``uniform``."""
    citizens = np.asarray(citizens)
    if citizens.ndim == 1 and np.ndim(counter) == 0 and citizens.size >= PARALLEL_DRAWS:
        out = np.empty(citizens.size, dtype=np.float64)
        _uniform_fill(
            np.uint64(seed), np.uint64(stream), citizens.astype(np.uint64, copy=False),
            np.uint64(counter), out,
        )  # fmt: skip
        return out
    return (hash4_np(seed, stream, citizens, counter) >> _S11).astype(np.float64) * _TO_UNIT


@nb.njit(cache=True, parallel=True)
def _uniform_fill(seed, stream, citizens, counter, out):
    for j in nb.prange(citizens.size):
        out[j] = uniform(seed, stream, citizens[j], counter)


def normal_np(seed: int, stream: int, citizens: np.ndarray, counter: int = 0) -> np.ndarray:
    u1 = 1.0 - uniform_np(seed, stream, citizens, counter)
    u2 = uniform_np(seed, stream, citizens, np.uint64(counter) ^ np.uint64(1 << 62))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def gamma_np(
    seed: int, stream: int, citizens: np.ndarray, shape: float, scale: float
) -> np.ndarray:
    """Gamma(shape, scale) draws, one per citizen index (Marsaglia-Tsang, counter-based retries)."""
    citizens = np.ascontiguousarray(citizens, dtype=np.int64)
    out = np.empty(citizens.shape, dtype=np.float64)
    _gamma_fill(seed, stream, citizens.ravel(), out.ravel(), shape, scale)
    return out


@nb.njit(cache=True, parallel=True)
def _gamma_fill(seed, stream, citizens, out, shape, scale):
    boost = shape < 1.0
    a = shape + 1.0 if boost else shape
    d = a - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    for j in nb.prange(citizens.size):
        i = citizens[j]
        attempt = 0
        while True:
            x = normal(seed, stream, i, 2 * attempt)
            v = (1.0 + c * x) ** 3
            u = uniform_open(seed, stream, i, 2 * attempt + 1)
            attempt += 1
            if v > 0.0 and np.log(u) < 0.5 * x * x + d - d * v + d * np.log(v):
                break
        value = d * v
        if boost:
            value *= uniform_open(seed, stream, i, 1 << 40) ** (1.0 / shape)
        out[j] = value * scale
