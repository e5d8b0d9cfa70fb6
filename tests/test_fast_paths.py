"""The helpers added for speed at 10^7 citizens — parallel gathers, bitmaps, neighbour means at
a few citizens, degrees kept up to date by drop_ties, band codes, per-group sums and histograms —
each checked against a plain numpy reference on random data. All populations are synthetic."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from scsim.core.layout import N_GROUPS
from scsim.core.vocabulary import CELL_FLAGS
from scsim.engine.stages import Stages
from scsim.mechanisms.attributes import PARALLEL_TAKE, cell_codes, take
from scsim.mechanisms.composite import _band_codes, _score_histogram
from scsim.mechanisms.tally import HISTOGRAM_CHUNKS, _adults_by_province
from scsim.population import Population, synthesize
from scsim.population.census import N_PROVINCES
from scsim.population.graph import (
    Graph,
    _bit,
    bitmap,
    build_graph,
    drop_ties,
    neighbour_mean,
    neighbour_mean_at,
)

N = 20_000
SEED = 7


@pytest.fixture(scope="module")
def population() -> Population:
    return synthesize(N, SEED)


@pytest.fixture(scope="module")
def built(population: Population) -> Graph:
    """A graph from build_graph; tests that drop ties work on a copy (see ``fresh``)."""
    return build_graph(SEED, population.province, population.hukou_urban, population.income)


def fresh(graph: Graph) -> Graph:
    return Graph(graph.indptr, graph.indices, graph.active.copy())


def rows_of(graph: Graph) -> np.ndarray:
    return np.repeat(np.arange(len(graph)), np.diff(graph.indptr))


def random_values(rng: np.random.Generator, dtype: str, n: int) -> np.ndarray:
    if dtype == "bool":
        return rng.random(n) < 0.3
    if dtype == "float32":
        return rng.standard_normal(n).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, n, endpoint=True).astype(dtype)


# ---------------------------------------------------------------------------------------------
# take


DTYPES = ["bool", "int16", "uint8", "float32", "strided float32"]
SIZES = [0, 1, 1000, PARALLEL_TAKE, PARALLEL_TAKE + 1001]


def source(rng: np.random.Generator, dtype: str, n: int) -> np.ndarray:
    if dtype == "strided float32":
        sf = rng.standard_normal((n, 3)).astype(np.float32)
        values = sf[:, 1]
        assert not values.flags.c_contiguous
        return values
    return random_values(rng, dtype, n)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", SIZES)
def test_take_equals_fancy_indexing(dtype: str, size: int) -> None:
    rng = np.random.default_rng(size)
    n = 3 * PARALLEL_TAKE
    values = source(rng, dtype, n)
    ix = rng.integers(0, n, size)  # repeats and any order
    got = take(values, ix)
    assert got.dtype == values.dtype and got.shape == (size,)
    assert np.array_equal(got, values[ix])
    if size:  # int32 indices, as np.flatnonzero gives on some platforms
        assert np.array_equal(take(values, ix.astype(np.int32)), values[ix])


@pytest.mark.parametrize("dtype", DTYPES)
def test_take_with_a_slice(dtype: str) -> None:
    rng = np.random.default_rng(1)
    values = source(rng, dtype, 5000)
    for ix in (slice(None), slice(10, 4000, 3)):
        got = take(values, ix)
        assert got.dtype == values.dtype
        assert np.array_equal(got, values[ix])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, 1000, PARALLEL_TAKE + 1001])
def test_take_into_a_float32_row(dtype: str, size: int) -> None:
    rng = np.random.default_rng(100 + size)
    n = 2 * PARALLEL_TAKE
    values = source(rng, dtype, n)
    ix = rng.integers(0, n, size)
    x = np.full((4, size), -7.0, dtype=np.float32)
    got = take(values, ix, out=x[2])
    assert got is not None and np.shares_memory(got, x[2]) and got.shape == (size,)
    assert got.dtype == np.float32
    assert np.array_equal(x[2], values[ix].astype(np.float32))
    assert np.all(x[[0, 1, 3]] == -7.0), "wrote outside its row"


@pytest.mark.parametrize("dtype", DTYPES)
def test_take_a_slice_into_a_float32_row(dtype: str) -> None:
    rng = np.random.default_rng(3)
    values = source(rng, dtype, 3000)
    x = np.full((3, 1000), -7.0, dtype=np.float32)
    got = take(values, slice(500, 1500), out=x[1])
    assert np.shares_memory(got, x[1])
    assert np.array_equal(x[1], values[500:1500].astype(np.float32))
    assert np.all(x[[0, 2]] == -7.0)


# ---------------------------------------------------------------------------------------------
# bitmap and _bit


@numba.njit
def read_bits(words, n):
    out = np.empty(n, dtype=np.bool_)
    for j in range(n):
        out[j] = _bit(words, j)
    return out


@numba.njit
def read_bits_at(words, idx):
    out = np.empty(idx.size, dtype=np.bool_)
    for k in range(idx.size):
        out[k] = _bit(words, idx[k])
    return out


@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 1000])
def test_bitmap_bits_read_back(n: int) -> None:
    rng = np.random.default_rng(n)
    for mask in (rng.random(n) < 0.5, np.ones(n, dtype=bool), np.zeros(n, dtype=bool)):
        words = bitmap(mask)
        assert words.dtype == np.uint8 and words.shape == (-(-n // 8),)
        assert np.array_equal(read_bits(words, n), mask)
        # Every bit past the end is clear; and numpy's own reading of the layout agrees.
        everything = read_bits(words, 8 * words.size)
        assert not everything[n:].any()
        j = np.arange(8 * words.size)
        by_numpy = (words[j >> 3] >> (j & 7)) & 1 == 1
        assert np.array_equal(by_numpy[:n], mask) and not by_numpy[n:].any()
        # Indices of the types the kernels pass (int32 graph indices, int64 rows).
        if n:
            idx = rng.permutation(n)
            for dtype in (np.int32, np.int64):
                assert np.array_equal(read_bits_at(words, idx.astype(dtype)), mask[idx])


# ---------------------------------------------------------------------------------------------
# neighbour_mean_at


def reference_neighbour_mean(
    graph: Graph, values: np.ndarray, include: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    n = len(graph)
    rows = rows_of(graph)
    keep = graph.active & include[graph.indices]
    total = np.bincount(
        rows[keep], weights=values[graph.indices[keep]].astype(np.float64), minlength=n
    )
    count = np.bincount(rows[keep], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
    return mean, count


def deactivate_some(graph: Graph, rng: np.random.Generator, share: float) -> None:
    """Clear ``share`` of the ties, in both rows of each."""
    n = len(graph)
    i, j = graph.edges()
    gone = rng.random(i.size) < share
    keys = i[gone].astype(np.int64) * n + j[gone]
    rows = rows_of(graph)
    entry = np.minimum(rows, graph.indices).astype(np.int64) * n + np.maximum(rows, graph.indices)
    graph.active[np.isin(entry, keys)] = False


def hand_made(rng: np.random.Generator) -> Graph:
    n = 700  # citizens 600.. have no ties
    i, j = rng.integers(0, 600, 3000), rng.integers(0, 600, 3000)
    graph = Graph.from_edges(n, i, j)
    deactivate_some(graph, rng, 0.3)
    return graph


def check_means_at(graph: Graph, rng: np.random.Generator, values: np.ndarray) -> None:
    n = len(graph)
    include = rng.random(n) < 0.6
    ref_mean, ref_count = reference_neighbour_mean(graph, values, include)
    at = rng.integers(0, n, n // 3)  # repeats, any order
    mean, count = neighbour_mean_at(graph, values, include, at)
    assert mean.dtype == np.float32 and count.dtype == np.int32
    assert mean.shape == count.shape == at.shape
    assert np.array_equal(count, ref_count[at])
    assert (count == 0).any() and (count > 0).any()
    assert np.array_equal(np.isnan(mean), count == 0)
    np.testing.assert_allclose(mean, ref_mean[at], rtol=2e-6, atol=1e-6)
    # ... and neighbour_mean restricted to ``at``.
    full_mean, full_count = neighbour_mean(graph, values, include)
    assert np.array_equal(count, full_count[at])
    assert np.array_equal(mean, full_mean[at], equal_nan=True)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int16"])
def test_neighbour_mean_at_on_a_hand_made_graph(dtype: str) -> None:
    rng = np.random.default_rng(5)
    graph = hand_made(rng)
    assert not graph.active.all()
    values = (rng.standard_normal(len(graph)) * 100).astype(dtype)
    check_means_at(graph, rng, values)


def test_neighbour_mean_at_on_a_built_graph(built: Graph) -> None:
    rng = np.random.default_rng(6)
    graph = fresh(built)
    deactivate_some(graph, rng, 0.2)
    check_means_at(graph, rng, rng.uniform(350, 950, len(graph)))


def test_neighbour_mean_at_edge_cases() -> None:
    rng = np.random.default_rng(8)
    graph = hand_made(rng)
    n = len(graph)
    values, include = rng.random(n), rng.random(n) < 0.5
    mean, count = neighbour_mean_at(graph, values, include, np.zeros(0, dtype=np.int64))
    assert mean.shape == count.shape == (0,)
    # Python lists and int32 indices are accepted; isolated citizens read NaN and 0.
    mean, count = neighbour_mean_at(graph, values, include, [650, 699])
    assert np.all(np.isnan(mean)) and np.all(count == 0)
    at32 = np.arange(n, dtype=np.int32)[::-1]
    m32, c32 = neighbour_mean_at(graph, values, include, at32)
    full_mean, full_count = neighbour_mean(graph, values, include)
    assert np.array_equal(c32, full_count[::-1]) and np.array_equal(
        m32, full_mean[::-1], equal_nan=True
    )
    for bad in ([n], [-1], [0, n + 5]):
        with pytest.raises(ValueError, match="at must index"):
            neighbour_mean_at(graph, values, include, np.array(bad))


# ---------------------------------------------------------------------------------------------
# drop_ties with degree


def tie_inputs(population: Population, rng: np.random.Generator):
    score = rng.uniform(350, 950, len(population))
    chooser = rng.random(len(population)) < 0.5
    return score, chooser


def test_drop_ties_keeps_degree_up_to_date(built: Graph, population: Population) -> None:
    rng = np.random.default_rng(9)
    score, chooser = tie_inputs(population, rng)
    graph = fresh(built)
    degree = graph.degree()
    for key, probability in enumerate([0.3, 0.6, 1.0]):  # successive calls, each drops more
        before = graph.n_edges
        drop_ties(graph, score, chooser, 650.0, probability, seed=SEED, key=key, degree=degree)
        assert graph.n_edges < before, "nothing dropped: the check below would be vacuous"
        assert degree.dtype == np.int32
        assert np.array_equal(degree, graph.degree())
    assert np.array_equal(degree, np.bincount(rows_of(graph)[graph.active], minlength=len(graph)))
    # A call that drops nothing leaves it alone.
    kept = degree.copy()
    drop_ties(graph, score, chooser, 650.0, 0.0, seed=SEED, key=9, degree=degree)
    assert np.array_equal(degree, kept)


def test_drop_ties_without_degree_does_the_same(built: Graph, population: Population) -> None:
    rng = np.random.default_rng(10)
    score, chooser = tie_inputs(population, rng)
    with_degree, without = fresh(built), fresh(built)
    degree = with_degree.degree()
    a = drop_ties(with_degree, score, chooser, 600.0, 0.5, seed=SEED, key=4, degree=degree)
    b = drop_ties(without, score, chooser, 600.0, 0.5, seed=SEED, key=4)
    assert without.n_edges < built.n_edges
    assert np.array_equal(with_degree.active, without.active)
    assert np.array_equal(a, b)
    assert np.array_equal(degree, without.degree())


def test_drop_ties_rejects_a_bad_degree(built: Graph, population: Population) -> None:
    rng = np.random.default_rng(11)
    score, chooser = tie_inputs(population, rng)
    graph = fresh(built)
    degree = graph.degree()
    for bad in (
        degree.astype(np.int64),
        degree.astype(np.float64),
        degree[:-1],
        np.zeros(0, np.int32),
    ):
        with pytest.raises(ValueError, match="degree"):
            drop_ties(graph, score, chooser, 650.0, 0.5, seed=SEED, key=1, degree=bad)
    assert graph.active.all(), "a rejected call must not drop ties"


# ---------------------------------------------------------------------------------------------
# cell_codes of a subset


def test_cell_codes_of_an_index_array(population: Population) -> None:
    rng = np.random.default_rng(12)
    everyone = cell_codes(population)
    reference = np.zeros(len(population), dtype=np.uint8)
    for bit, name in enumerate(CELL_FLAGS):
        reference += getattr(population, name).astype(np.uint8) * np.uint8(1 << bit)
    assert everyone.dtype == np.uint8 and np.array_equal(everyone, reference)
    for ix in (
        rng.integers(0, len(population), 5000),
        np.flatnonzero(population.migrant),
        np.array([len(population) - 1, 0, 0]),
        np.zeros(0, dtype=np.int64),
    ):
        got = cell_codes(population, ix)
        assert got.dtype == np.uint8 and got.shape == ix.shape
        assert np.array_equal(got, reference[ix])


# ---------------------------------------------------------------------------------------------
# _band_codes


@pytest.mark.parametrize(
    "bounds", [[350, 550, 600, 650, 700, 750], [350, 700], [600], [0, 350, 351, 352, 950, 951]]
)
def test_band_codes_match_searchsorted(bounds: list[int]) -> None:
    rng = np.random.default_rng(len(bounds))
    bounds_ = np.array(bounds, dtype=np.float64)
    # Every score from below the first bound to above the last, each bound itself included.
    score = np.concatenate(
        [np.arange(250, 1001), rng.integers(250, 1001, 50_000), bounds_ - 1, bounds_]
    ).astype(np.int16)
    user = rng.random(score.size) < 0.8
    out = np.full(score.size, 255, dtype=np.uint8)
    _band_codes(score, user, bounds_, out)
    expected = np.where(user, np.maximum(np.searchsorted(bounds_, score, side="right"), 1), 0)
    assert np.array_equal(out, expected)
    assert set(np.unique(out[user])) == set(range(1, len(bounds) + 1))  # every band reached


# ---------------------------------------------------------------------------------------------
# Stages._sums, _score_histogram, _adults_by_province


@pytest.mark.parametrize("n", [0, 1, 5, 63, 64, 10_001])
@pytest.mark.parametrize("weights", [None, "bool", "int32", "float32"])
def test_group_sums_match_bincount(n: int, weights: str | None) -> None:
    rng = np.random.default_rng(n)
    group = rng.integers(0, N_GROUPS, n).astype(np.uint8)
    if weights is None:
        w = None
    elif weights == "bool":
        w = rng.random(n) < 0.4
    elif weights == "int32":
        w = rng.integers(-1000, 1000, n).astype(np.int32)
    else:
        w = rng.standard_normal(n).astype(np.float32)
    got = Stages._sums(group, w)
    expected = np.bincount(group, weights=w, minlength=N_GROUPS)
    assert got.shape == (N_GROUPS,) and got.dtype == np.float64
    if weights == "float32":
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)
    else:
        assert np.array_equal(got, expected)


def score_reference(group, score, user, low, high) -> np.ndarray:
    ref = np.zeros((N_GROUPS, high - low + 1), dtype=np.int64)
    np.add.at(ref, (group[user], np.clip(score[user].astype(np.int64) - low, 0, high - low)), 1)
    return ref


@pytest.mark.parametrize("n", [0, 7, 64, 50_001])
def test_score_histogram_matches_numpy(n: int) -> None:
    rng = np.random.default_rng(n)
    low, high = 350, 950
    group = rng.integers(0, N_GROUPS, n).astype(np.uint8)
    score = rng.integers(low - 100, high + 100, n, endpoint=True).astype(np.int16)
    score[: min(n, 4)] = [0, low, high, 32767][: min(n, 4)]
    user = rng.random(n) < 0.7
    chunks = np.zeros((HISTOGRAM_CHUNKS, N_GROUPS, high - low + 1), dtype=np.int64)
    _score_histogram(group, score, user, low, chunks)
    hist = chunks.sum(axis=0)
    assert np.array_equal(hist, score_reference(group, score, user, low, high))
    assert hist.sum() == user.sum()


def adults_reference(province, birth_year, born_by, red) -> np.ndarray:
    adult = birth_year <= born_by
    return np.stack(
        [
            np.bincount(province[adult], minlength=N_PROVINCES),
            np.bincount(province[adult & red], minlength=N_PROVINCES),
        ]
    )


def test_adults_by_province_on_random_data() -> None:
    rng = np.random.default_rng(13)
    for n in (0, 3, 64, 40_001):
        province = rng.integers(0, N_PROVINCES, n).astype(np.uint8)
        birth_year = rng.integers(1930, 2021, n).astype(np.int16)
        red = rng.random(n) < 0.2
        for born_by in (1929, 2002, 2020):
            chunks = np.zeros((HISTOGRAM_CHUNKS, 2, N_PROVINCES), dtype=np.int64)
            _adults_by_province(province, birth_year, born_by, red, chunks)
            assert np.array_equal(
                chunks.sum(axis=0), adults_reference(province, birth_year, born_by, red)
            )


def test_adults_by_province_on_a_population(population: Population) -> None:
    rng = np.random.default_rng(14)
    red = rng.random(len(population)) < 0.1
    chunks = np.zeros((HISTOGRAM_CHUNKS, 2, N_PROVINCES), dtype=np.int64)
    born_by = 2013 - 18
    _adults_by_province(population.province, population.birth_year, born_by, red, chunks)
    expected = adults_reference(population.province, population.birth_year, born_by, red)
    assert np.array_equal(chunks.sum(axis=0), expected)
    assert expected[0].sum() > 0 and expected[1].sum() > 0


def test_a_subset_of_a_subset_reads_the_right_citizens(population: Population) -> None:
    from scsim.mechanisms.attributes import CitizenArrays

    sf = np.zeros((N, 5), dtype=np.float32)
    sf[:, 1] = np.arange(N)
    arrays = CitizenArrays(population, sf, population.province, 2020)
    outer = np.random.default_rng(3).choice(N, 5000, replace=False)
    inner = np.array([0, 7, 4999, 123])
    nested = arrays.subset(outer).subset(inner)
    assert np.array_equal(nested["wealth"], np.arange(N, dtype=np.float32)[outer[inner]])
    assert np.array_equal(nested["age"], arrays["age"][outer[inner]])


def test_rights_asked_of_movers_only_equal_rights_asked_of_everyone(monkeypatch) -> None:
    """Between two 1 January, the hukou rights are re-evaluated only for citizens who moved or
    converted (their rules read residence and fixed attributes only): the same as asking all."""
    import datetime as dt

    import scsim
    from scsim.engine import simulate as simulate_module
    from scsim.mechanisms import hukou

    scenario = scsim.load("hukou-only").configured(start=dt.date(2019, 11, 1))

    def run():
        out = simulate_module.simulate_arrays(scenario, population=20_000, days=120)
        return out.stages.lacking.copy(), out.timeseries

    lacking, series = run()
    monkeypatch.setattr(hukou, "follows_residence", lambda *exprs: False)
    lacking_all, series_all = run()
    assert lacking.any() and np.array_equal(lacking, lacking_all)
    for name in series:
        assert np.array_equal(series[name], series_all[name]), name


def test_qualifiers_of_several_lists_in_one_pass() -> None:
    """lists.qualifiers: per list, records of its kinds this year (above its year base) reach its
    threshold, and the citizen is not a member — checked against numpy for three lists."""
    import datetime as dt

    from scsim.mechanisms import lists
    from scsim.scenario.schema import ListScheme

    kinds = ("a", "b", "c", "d")
    specs = {
        "one": {"kind": "blacklist", "records": ["a"], "threshold": 1, "term_days": 100},
        "two": {"kind": "blacklist", "records": ["b", "c"], "threshold": 3, "term_days": 100},
        "red": {"kind": "redlist", "records": ["d", "a", "c"], "threshold": 2, "term_days": 50},
    }
    states = lists.prepare(
        {name: ListScheme.model_validate(spec) for name, spec in specs.items()},
        kinds, {}, 1, dt.date(2020, 1, 1), 5000, 1,
    )  # fmt: skip
    rng = np.random.default_rng(11)
    n_rec = rng.integers(0, 4, size=(5000, 4)).astype(np.uint16)
    day = 40
    for state in states:
        state.year_base[:] = rng.integers(0, 3, 5000)
        state.until[:] = rng.choice([0, day, day + 1, 500], 5000)
    found = lists.qualifiers(states, n_rec, day, dt.date(2020, 6, 30))
    for state, got in zip(states, found, strict=True):
        count = n_rec[:, state.kinds].sum(axis=1).astype(np.int64) - state.year_base
        expected = np.flatnonzero(
            (count >= state.threshold(dt.date(2020, 6, 30))) & (state.until <= day)
        )
        assert expected.size and np.array_equal(got, expected), state.name


def test_every_citizen_variable_is_either_static_or_dynamic() -> None:
    """The rights shortcut trusts STATIC: a variable that changes during a run must be DYNAMIC."""
    from scsim.core.vocabulary import CITIZEN_ATTRIBUTES as CITIZEN
    from scsim.core.vocabulary import DYNAMIC, STATIC

    assert set(CITIZEN) == STATIC | DYNAMIC and not STATIC & DYNAMIC


def test_take_refuses_a_mask() -> None:
    with pytest.raises(TypeError, match="integer index"):
        take(np.arange(5), np.array([True, False, True, False, True]))
