import numba as nb
import numpy as np

from scsim.core import rng


@nb.njit
def _uniform_many(seed, stream, citizens, counter):
    out = np.empty(citizens.size)
    for j in range(citizens.size):
        out[j] = rng.uniform(seed, stream, citizens[j], counter)
    return out


def test_numba_and_numpy_draws_are_bit_identical():
    citizens = np.arange(0, 10_000, 7, dtype=np.int64)
    a = _uniform_many(42, 3, citizens, 11)
    b = rng.uniform_np(42, 3, citizens, 11)
    assert np.array_equal(a, b)


def test_uniform_is_uniform_and_keys_are_independent():
    u = rng.uniform_np(1, 1, np.arange(200_000))
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.005
    hist = np.histogram(u, bins=10, range=(0, 1))[0]
    assert hist.min() > 19_000
    other_stream = rng.uniform_np(1, 2, np.arange(200_000))
    assert abs(np.corrcoef(u, other_stream)[0, 1]) < 0.01
    other_seed = rng.uniform_np(2, 1, np.arange(200_000))
    assert not np.array_equal(u, other_seed)


def test_gamma_matches_its_moments():
    g = rng.gamma_np(5, 2, np.arange(200_000), shape=2.0, scale=0.005)
    assert abs(g.mean() - 0.01) < 0.0002
    assert abs(g.var() - 2 * 0.005**2) < 0.05 * 2 * 0.005**2
    small = rng.gamma_np(5, 2, np.arange(200_000), shape=0.5, scale=1.0)
    assert abs(small.mean() - 0.5) < 0.01


@nb.njit
def _geometric_mean(p, n):
    total = 0
    for j in range(n):
        total += rng.geometric_days(p, rng.uniform_open(9, 9, j, 0))
    return total / n


def test_geometric_waiting_time_has_mean_one_over_p():
    assert abs(_geometric_mean(0.05, 200_000) - 20.0) < 0.3
