"""The friendship graph: well-formed CSR, degrees, homophily, determinism, and the run-time
operations (neighbour means, tie dropping, assortativity). All populations are synthetic."""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys
import tracemalloc

import numba
import numpy as np
import pytest

from scsim.population import Population, synthesize
from scsim.population.graph import (
    Graph,
    assortativity,
    build_graph,
    drop_ties,
    estimate_bytes,
    neighbour_mean,
    pareto_scale,
)

N = 100_000
SEED = 11


@pytest.fixture(scope="module")
def population() -> Population:
    return synthesize(N, SEED)


@pytest.fixture(scope="module")
def graph(population: Population) -> Graph:
    """The default graph; tests that drop ties work on a copy (see ``fresh``)."""
    return build(population)


def build(pop: Population, seed: int = SEED, **options: float) -> Graph:
    return build_graph(seed, pop.province, pop.hukou_urban, pop.income, **options)


def fresh(graph: Graph) -> Graph:
    return Graph(graph.indptr, graph.indices, graph.active.copy())


def rows_of(graph: Graph) -> np.ndarray:
    return np.repeat(np.arange(len(graph)), np.diff(graph.indptr))


def reverse_entry(graph: Graph) -> np.ndarray:
    """For each CSR entry (i, j), the position of the entry (j, i)."""
    n = len(graph)
    keys = rows_of(graph) * n + graph.indices  # ascending: rows in order, each row sorted
    reverse = np.searchsorted(keys, graph.indices.astype(np.int64) * n + rows_of(graph))
    assert np.array_equal(keys[reverse], graph.indices.astype(np.int64) * n + rows_of(graph))
    return reverse


def digest(*arrays: np.ndarray) -> str:
    return hashlib.sha256(b"".join(a.tobytes() for a in arrays)).hexdigest()


# ---------------------------------------------------------------------------------------------
# Structure


def test_csr_is_well_formed(graph: Graph) -> None:
    n = len(graph)
    assert n == N
    assert graph.indptr.dtype == np.int64 and graph.indptr.shape == (n + 1,)
    assert graph.indices.dtype == np.int32 and graph.active.dtype == np.bool_
    assert graph.indptr[0] == 0 and graph.indptr[-1] == graph.indices.size == graph.active.size
    assert np.all(np.diff(graph.indptr) >= 0)
    rows = rows_of(graph)
    # Strictly increasing within each row: sorted, and no tie stored twice.
    same_row = rows[1:] == rows[:-1]
    assert np.all(graph.indices[1:][same_row] > graph.indices[:-1][same_row])
    assert not np.any(rows == graph.indices), "self-ties"
    assert graph.indices.min() >= 0 and graph.indices.max() < n
    reverse_entry(graph)  # every (i, j) has its (j, i): symmetric
    assert graph.active.all()
    assert graph.n_edges == graph.indices.size // 2
    assert np.array_equal(graph.degree(), np.diff(graph.indptr))
    assert graph.nbytes() == graph.indptr.nbytes + graph.indices.nbytes + graph.active.nbytes


def test_edges_and_from_edges_round_trip(graph: Graph) -> None:
    i, j = graph.edges()
    assert np.all(i < j) and i.size == graph.n_edges
    rebuilt = Graph.from_edges(len(graph), j, i)
    assert np.array_equal(rebuilt.indptr, graph.indptr)
    assert np.array_equal(rebuilt.indices, graph.indices)


def test_mean_degree_is_near_the_target(population: Population, graph: Graph) -> None:
    # Without homophily almost no pick repeats, so the mean is on target; homophily concentrates
    # hubs' picks in small cells, and merging repeated picks trims it a little.
    unmixed = build(population, homophily_cell=0.0, homophily_province=0.0)
    assert unmixed.degree().mean() == pytest.approx(8.0, rel=0.05)
    assert graph.degree().mean() == pytest.approx(8.0, rel=0.1)
    sparse = build(population, mean_degree=3.0, homophily_cell=0.0, homophily_province=0.0)
    assert sparse.degree().mean() == pytest.approx(3.0, rel=0.05)
    assert build(population, mean_degree=0.0).n_edges == 0


@pytest.mark.parametrize("tail", [1.8, 2.0, 2.5, 3.5])
def test_pareto_scale_gives_the_capped_mean(tail: float) -> None:
    x_min = pareto_scale(8.0, tail, 200.0)
    draws = x_min * (1.0 - np.random.default_rng(0).random(2_000_000)) ** (-1.0 / (tail - 1.0))
    assert np.minimum(draws, 200.0).mean() == pytest.approx(8.0, rel=0.01)
    assert pareto_scale(0.0, tail, 200.0) == 0.0 and pareto_scale(200.0, tail, 200.0) == 200.0


def test_degrees_are_heavy_tailed(population: Population) -> None:
    graph = build(population, homophily_cell=0.0, homophily_province=0.0)
    degree = np.sort(graph.degree())[::-1].astype(float)
    assert degree[0] > 50 * degree.mean()
    assert np.mean(degree > 40) > 0.01  # a Poisson(8) law would put ~1e-16 here
    # Hill estimator of the survival exponent (tail - 1 = 1.5) on the top 1%.
    top = degree[: N // 100]
    hill = 1.0 / np.mean(np.log(top[:-1] / top[-1]))
    assert 1.2 < hill < 1.9
    assert np.mean(degree == 0) < 0.001  # the Pareto lower bound gives everyone a stub or two


def test_max_degree_caps_the_target(population: Population) -> None:
    capped = build(population, max_degree=50)
    assert capped.degree().max() <= 50 + 5 * math.sqrt(50)


def test_homophily_by_province_hukou_and_income(population: Population, graph: Graph) -> None:
    share = np.bincount(population.province) / N
    random_same_province = float(np.sum(share**2))
    i, j = graph.edges()
    assert np.mean(population.province[i] == population.province[j]) > 0.8
    assert np.mean(population.hukou_urban[i] == population.hukou_urban[j]) > 0.65
    adult = population.income > 0
    log_income = np.log1p(population.income)
    assert assortativity(graph, log_income, adult) > 0.3

    unmixed = build(population, homophily_cell=0.0, homophily_province=0.0)
    i, j = unmixed.edges()
    same_province = np.mean(population.province[i] == population.province[j])
    assert same_province == pytest.approx(random_same_province, abs=0.01)
    assert abs(assortativity(unmixed, log_income, adult)) < 0.03


# ---------------------------------------------------------------------------------------------
# Determinism


def test_same_seed_same_graph_and_other_seed_another(population: Population, graph: Graph) -> None:
    again = build(population)
    assert digest(again.indptr, again.indices) == digest(graph.indptr, graph.indices)
    other = build(population, seed=SEED + 1)
    assert digest(other.indptr, other.indices) != digest(graph.indptr, graph.indices)


_CHILD = """
import hashlib
from scsim.population import synthesize
from scsim.population.graph import build_graph, drop_ties
pop = synthesize(20_000, 5)
graph = build_graph(5, pop.province, pop.hukou_urban, pop.income)
drop_ties(graph, pop.income, pop.income > 0, 1000.0, 0.5, seed=5, key=3)
print(hashlib.sha256(graph.indptr.tobytes() + graph.indices.tobytes()
                     + graph.active.tobytes()).hexdigest())
"""


def test_bit_identical_for_any_thread_count() -> None:
    # A child on one thread against this process on several (or, on a one-CPU machine, a second
    # child on two); numba fixes the thread pool at start-up, hence the subprocesses.
    counts = [1] if numba.config.NUMBA_NUM_THREADS >= 2 else [1, 2]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD],
            env={**os.environ, "NUMBA_NUM_THREADS": str(threads)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for threads in counts
    ]
    pop = synthesize(20_000, 5)
    graph = build_graph(5, pop.province, pop.hukou_urban, pop.income)
    drop_ties(graph, pop.income, pop.income > 0, 1000.0, 0.5, seed=5, key=3)
    here = digest(graph.indptr, graph.indices, graph.active)
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert out.strip() == here


def test_in_process_thread_count_does_not_matter(population: Population) -> None:
    default = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = build(population, mean_degree=4.0)
        numba.set_num_threads(default)
        many = build(population, mean_degree=4.0)
    finally:
        numba.set_num_threads(default)
    assert digest(one.indptr, one.indices) == digest(many.indptr, many.indices)


def test_estimate_bytes_bounds_the_build_peak(population: Population) -> None:
    tracemalloc.start()
    try:
        built = build(population)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert built.nbytes() < peak <= estimate_bytes(N, 8.0) <= 1.25 * peak


# ---------------------------------------------------------------------------------------------
# Neighbour means and assortativity on a hand-made graph


def tiny() -> Graph:
    """Ties 0-1, 0-2, 1-2, 2-3; citizen 4 has none."""
    return Graph.from_edges(5, np.array([0, 0, 1, 2]), np.array([1, 2, 2, 3]))


def test_neighbour_mean_by_hand() -> None:
    graph = tiny()
    values = np.array([1, 2, 4, 8, 16], dtype=np.float32)
    include = np.array([True, True, False, True, True])
    mean, count = neighbour_mean(graph, values, include)
    assert mean.dtype == np.float32 and count.dtype == np.int32
    np.testing.assert_array_equal(count, [1, 1, 3, 0, 0])
    np.testing.assert_allclose(mean[:3], [2.0, 1.0, (1 + 2 + 8) / 3])
    assert np.isnan(mean[3:]).all()

    graph.active[[0, 2]] = False  # the tie 0-1, in both rows (entries 0→1 and 1→0)
    mean, count = neighbour_mean(graph, values, include)
    np.testing.assert_array_equal(count, [0, 0, 3, 0, 0])
    assert np.isnan(mean[0]) and mean[2] == pytest.approx(11 / 3)


def numpy_assortativity(graph: Graph, values: np.ndarray, include: np.ndarray) -> float:
    rows = rows_of(graph)
    keep = graph.active & include[rows] & include[graph.indices]
    x, y = values[rows[keep]].astype(float), values[graph.indices[keep]].astype(float)
    return float(np.corrcoef(x, y)[0, 1])


def test_assortativity_by_hand() -> None:
    graph = tiny()
    values = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    everyone = np.ones(5, dtype=bool)
    assert assortativity(graph, values, everyone) == pytest.approx(
        numpy_assortativity(graph, values, everyone), abs=1e-12
    )
    # Ends (x, y) over both directions of 0-1, 0-2, 1-2: x = y as multisets, cov/var by hand.
    without_3 = np.array([True, True, True, False, True])
    ends = [(1, 2), (2, 1), (1, 4), (4, 1), (2, 4), (4, 2)]
    x = np.array([a for a, _ in ends], dtype=float)
    y = np.array([b for _, b in ends], dtype=float)
    by_hand = np.mean((x - x.mean()) * (y - y.mean())) / np.var(x)
    assert assortativity(graph, values, without_3) == pytest.approx(by_hand, abs=1e-12)
    assert math.isnan(assortativity(graph, values, np.zeros(5, dtype=bool)))
    assert math.isnan(assortativity(graph, np.ones(5), everyone))


def test_assortativity_matches_numpy_on_a_population(population: Population, graph: Graph) -> None:
    values = np.log1p(population.income)
    adult = population.income > 0
    assert assortativity(graph, values, adult) == pytest.approx(
        numpy_assortativity(graph, values, adult), abs=1e-9
    )


# ---------------------------------------------------------------------------------------------
# Dropping ties


@pytest.fixture(scope="module")
def tie_inputs() -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(3)
    return generator.random(N), generator.random(N) < 0.3


def test_no_tie_changes_unless_the_rule_applies(
    graph: Graph, tie_inputs: tuple[np.ndarray, np.ndarray]
) -> None:
    score, chooser = tie_inputs
    cases = [
        (score, chooser, 0.5, 0.0),  # probability 0
        (score, chooser, 0.0, 1.0),  # nobody scores below 0
        (score, np.zeros(N, dtype=bool), 0.5, 1.0),  # nobody chooses
        (np.full(N, np.nan), chooser, 0.5, 1.0),  # NaN is never below a threshold
    ]
    for case_score, case_chooser, threshold, probability in cases:
        copy = fresh(graph)
        dropped = drop_ties(copy, case_score, case_chooser, threshold, probability, 1, key=0)
        assert copy.active.all() and not dropped.any()


def test_drop_ties_with_probability_one_drops_exactly_the_eligible(
    graph: Graph, tie_inputs: tuple[np.ndarray, np.ndarray]
) -> None:
    score, chooser = tie_inputs
    rows, cols = rows_of(graph), graph.indices
    i_drops = chooser[rows] & (score[cols] < 0.2)
    j_drops = chooser[cols] & (score[rows] < 0.2)
    copy = fresh(graph)
    dropped = drop_ties(copy, score, chooser, 0.2, 1.0, seed=1, key=0)
    np.testing.assert_array_equal(copy.active, ~(i_drops | j_drops))
    np.testing.assert_array_equal(dropped, np.bincount(rows[i_drops], minlength=N))
    assert dropped.dtype == np.int32


def test_drop_ties_is_symmetric_random_and_repeatable(
    graph: Graph, tie_inputs: tuple[np.ndarray, np.ndarray]
) -> None:
    score, chooser = tie_inputs
    rows, cols = rows_of(graph), graph.indices
    one_way = (chooser[rows] & (score[cols] < 0.2)) ^ (chooser[cols] & (score[rows] < 0.2))
    both_ways = chooser[rows] & (score[cols] < 0.2) & chooser[cols] & (score[rows] < 0.2)
    first, again, other_key = fresh(graph), fresh(graph), fresh(graph)
    dropped = drop_ties(first, score, chooser, 0.2, 0.5, seed=1, key=7)
    assert np.array_equal(first.active, first.active[reverse_entry(first)])
    assert not np.any(~first.active & ~one_way & ~both_ways)
    assert np.mean(~first.active[one_way]) == pytest.approx(0.5, abs=0.02)
    assert np.mean(~first.active[both_ways]) == pytest.approx(0.75, abs=0.05)
    assert dropped.sum() == pytest.approx(np.sum(~first.active) / 2, rel=0.1)

    drop_ties(again, score, chooser, 0.2, 0.5, seed=1, key=7)
    assert np.array_equal(again.active, first.active)
    drop_ties(other_key, score, chooser, 0.2, 0.5, seed=1, key=8)
    assert not np.array_equal(other_key.active, first.active)


def test_a_tie_decision_ignores_the_rest_of_the_graph(
    graph: Graph, tie_inputs: tuple[np.ndarray, np.ndarray]
) -> None:
    score, chooser = tie_inputs
    whole, thinned = fresh(graph), fresh(graph)
    drop_ties(thinned, np.zeros(N), np.ones(N, dtype=bool), 0.5, 0.5, seed=2, key=1)
    still = thinned.active.copy()
    assert 0 < still.mean() < 1
    drop_ties(whole, score, chooser, 0.2, 0.5, seed=1, key=7)
    drop_ties(thinned, score, chooser, 0.2, 0.5, seed=1, key=7)
    np.testing.assert_array_equal(thinned.active[still], whole.active[still])


# ---------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mean_degree": -1.0}, "mean_degree"),
        ({"mean_degree": 2000.0}, "exceeds max_degree"),
        ({"tail": 1.0}, "tail"),
        ({"max_degree": 0}, "max_degree"),
        ({"homophily_province": 1.5}, "homophily_province"),
        ({"homophily_cell": -0.1}, "homophily_cell"),
    ],
)
def test_bad_parameters_are_refused(options: dict[str, float], message: str) -> None:
    pop = synthesize(100, 1)
    with pytest.raises(ValueError, match=message):
        build(pop, **options)


def test_bad_arrays_are_refused() -> None:
    pop = synthesize(100, 1)
    with pytest.raises(ValueError, match="lengths differ"):
        build_graph(1, pop.province, pop.hukou_urban[:-1], pop.income)
    with pytest.raises(ValueError, match="finite"):
        build_graph(1, pop.province, pop.hukou_urban, np.full(100, np.nan, dtype=np.float32))
    with pytest.raises(ValueError, match="seed"):
        build_graph(-1, pop.province, pop.hukou_urban, pop.income)
    graph = tiny()
    with pytest.raises(ValueError, match="one entry per citizen"):
        neighbour_mean(graph, np.ones(4, dtype=np.float32), np.ones(5, dtype=bool))
    with pytest.raises(ValueError, match="bool"):
        assortativity(graph, np.ones(5), np.ones(5))
    with pytest.raises(ValueError, match="probability"):
        drop_ties(graph, np.ones(5), np.ones(5, dtype=bool), 0.5, 1.5, seed=0, key=0)
    with pytest.raises(ValueError, match="key"):
        drop_ties(graph, np.ones(5), np.ones(5, dtype=bool), 0.5, 0.5, seed=0, key=-1)


def test_an_empty_population_has_an_empty_graph() -> None:
    empty = build_graph(
        1, np.zeros(0, np.uint8), np.zeros(0, bool), np.zeros(0, np.float32)
    )  # fmt: skip
    assert len(empty) == 0 and empty.n_edges == 0 and empty.degree().size == 0
