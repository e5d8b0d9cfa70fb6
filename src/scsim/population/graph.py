"""The friendship graph: a sparse, undirected, heavy-tailed and homophilous network in CSR form.

Model. Citizen ``i`` draws a target degree ``d_i`` from a Pareto law capped at ``max_degree``,
``P(d > x) = (x_min / x) ** (tail - 1)``, so the degree density falls as ``x ** -tail``: the
heavy tail (a few citizens with hundreds of ties, most with a handful) that friendship and
contact networks show (Barabási & Albert 1999; Newman 2003, "The structure and function of
complex networks"; Clauset, Shalizi & Newman 2009 on fitting such tails). ``x_min`` is solved so
that the capped law has mean ``mean_degree``. Citizen ``i`` then holds ``s_i ≈ d_i / 2`` stubs
(stochastic rounding). Each stub picks one partner, and each pick becomes one undirected tie.

A partner is picked by drawing a random *stub* from a pool, not a random citizen, so a citizen
is picked in proportion to its own stub count: every citizen ends with about ``s_i`` ties it
picked plus ``s_i`` ties that picked it, ``≈ d_i`` (the configuration model's degree-preserving
property; Molloy & Reed 1995, Chung & Lu 2002). The pool carries the homophily — the tendency to
befriend people like oneself (McPherson, Smith-Lovin & Cook 2001): with probability
``homophily_cell`` the partner comes from the same cell (resident province × hukou type × income
quintile band), otherwise with probability ``homophily_province`` from the same province, and
otherwise from the whole population (McPherson et al., "Birds of a feather", Annual Review of
Sociology 27, 2001). Income bands are cut at the 20/40/60/80% quantiles of the given incomes,
band k holding cut[k-1] < income <= cut[k]; with about a fifth of citizens earning nothing
(minors above all), the lowest band is in effect "no income". Minors have friends like anyone
else. Stubs are grouped by cell with one stable counting sort, cells in province-major order, so
the cell, province and whole pools are each one contiguous index range.

With the defaults (mean 8, tail 2.5, cap 1000) ``x_min`` is about 2.8: the median citizen has 5
ties, hardly anyone none, and about 2% more than 40; some 85% of ties join residents of one
province. A Pareto law has no mass below ``x_min``; for a network with many isolated citizens,
lower ``mean_degree`` or drop ties.

Self-picks are discarded and repeated picks of the same pair merge into one tie, which trims the
mean degree a little below ``mean_degree`` (most at hubs in small cells, i.e. small populations).
``max_degree`` caps the target degree; a realised degree can exceed it by a few ``sqrt(max_degree)``.

Determinism. Every draw comes from the counter-based RNG on stream ``GRAPH_STREAM``: citizen
``i``'s degree from counters 0 and 1, its stub ``t``'s three draws from ``STUB_COUNTER + 3t + k``.
Parallel kernels write only their own rows; the scatter steps (grouping stubs by cell, filling the
symmetric rows) are sequential passes in citizen order. The graph is therefore a pure function of
(seed, inputs, parameters), bit-identical for any NUMBA_NUM_THREADS. Building costs O(n + edges)
time and memory (``estimate_bytes``): no dense matrix, no Python loop over citizens.

Ties change later only through ``drop_ties``, which clears entries of ``Graph.active``; the
structure (``indptr``, ``indices``) never changes after the build.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np

from scsim.core.rng import Stream, uniform, uniform_open

# Streams of the counter-based RNG; to move into ``scsim.core.rng.Stream`` (same numbers).
GRAPH_STREAM = int(Stream.GRAPH)  # degrees and partner picks at synthesis
TIES_STREAM = int(Stream.TIES)  # tie-dropping decisions during a run

INCOME_BANDS = 5  # income quintile bands
CELLS_PER_PROVINCE = 2 * INCOME_BANDS  # rural / urban hukou × income band
MAX_PROVINCES = 256  # province codes are uint8

DEGREE_COUNTER = 0  # counter of citizen i's degree draw
ROUNDING_COUNTER = 1  # counter of its stochastic rounding of d_i / 2 to whole stubs
STUB_COUNTER = 16  # stub t of citizen i draws on counters STUB_COUNTER + 3t + (0, 1, 2)

MAX_TIE_KEY = (1 << 31) - 1  # drop_ties keys must fit the counter layout (key << 33 | hi << 1 | d)
_BLOCK = 4096  # rows per block of the deterministic reductions


@dataclass(eq=False)
class Graph:
    """An undirected friendship graph in CSR form; citizen ``i``'s ties are
    ``indices[indptr[i]:indptr[i + 1]]`` (sorted, no self-ties, each tie stored in both rows),
    of which those with ``active`` set are still present."""

    indptr: np.ndarray  # int64 [n + 1]
    indices: np.ndarray  # int32 [nnz]
    active: np.ndarray  # bool [nnz] — cleared by drop_ties, together in both rows of a tie

    @classmethod
    def from_edges(cls, n: int, i: np.ndarray, j: np.ndarray) -> Graph:
        """The graph of ``n`` citizens with ties ``(i[k], j[k])``, all active; self-ties and
        repeats are dropped. For hand-made graphs (sorting: O(E log E))."""
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        if i.shape != j.shape or i.ndim != 1:
            raise ValueError(f"i and j must be 1-d and of equal length, got {i.shape}, {j.shape}")
        if i.size and (min(i.min(), j.min()) < 0 or max(i.max(), j.max()) >= n):
            raise ValueError(f"tie ends must lie in [0, {n - 1}]")
        rows, cols = np.concatenate([i, j]), np.concatenate([j, i])
        entries = np.sort(rows[rows != cols] * n + cols[rows != cols])  # by row, then column
        entries = entries[np.concatenate([[True], entries[1:] != entries[:-1]])]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(entries // n, minlength=n), out=indptr[1:])
        indices = (entries % n).astype(np.int32)
        return cls(indptr, indices, np.ones(indices.shape[0], dtype=np.bool_))

    def __len__(self) -> int:
        return int(self.indptr.shape[0]) - 1

    @property
    def n_edges(self) -> int:
        """Undirected ties still active."""
        return int(np.count_nonzero(self.active)) // 2

    def degree(self) -> np.ndarray:
        """Active ties per citizen (int32 [n])."""
        out = np.empty(len(self), dtype=np.int32)
        _active_degree(self.indptr, self.active, out)
        return out

    def nbytes(self) -> int:
        """Memory held by the three arrays."""
        return int(self.indptr.nbytes + self.indices.nbytes + self.active.nbytes)

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """The active ties as two int32 arrays ``(i, j)`` with ``i < j``, in row order."""
        rows = np.repeat(
            np.arange(len(self), dtype=np.int32), np.diff(self.indptr).astype(np.int64)
        )
        keep = self.active & (rows < self.indices)
        return rows[keep], self.indices[keep]


# ---------------------------------------------------------------------------------------------
# Building


def estimate_bytes(n: int, mean_degree: float) -> int:
    """Peak bytes that ``build_graph`` allocates for ``n`` citizens (the graph included), with a
    5% margin for the randomness of the stub count; the input arrays are not counted."""
    if n < 0 or not mean_degree >= 0:
        raise ValueError(f"n and mean_degree must be >= 0, got {n} and {mean_degree}")
    stubs = 1.05 * n * mean_degree / 2 + 1
    entries = 2 * stubs  # each pick is stored in two rows
    # Live arrays in each phase: cell (uint16), stub counts (int32), stub offsets (int64), the
    # stub pool and the partners (int32 per stub), row offsets (int64), rows (int32 per entry),
    # unique counts (int32), active flags (bool per entry).
    picking = n * (2 + 4 + 8) + 4 * stubs + 4 * stubs
    filling = n * 8 + 4 * stubs + n * 8 + 4 * entries
    compacting = n * 8 + 4 * entries + n * 4
    finished = n * 8 + 4 * entries + entries
    return int(max(picking, filling, compacting, finished)) + 64 * 1024


def build_graph(
    seed: int,
    province: np.ndarray,
    hukou_urban: np.ndarray,
    income: np.ndarray,
    *,
    mean_degree: float = 8.0,
    tail: float = 2.5,
    max_degree: int = 1000,
    homophily_province: float = 0.7,
    homophily_cell: float = 0.5,
) -> Graph:
    """The friendship graph of a population (see the module docstring for the model).

    ``province`` (uint8 codes), ``hukou_urban`` (bool) and ``income`` (float, finite) describe the
    citizens. ``mean_degree`` is the target mean number of ties, ``tail`` the exponent of the
    degree density (> 1; empirical networks show 2–3), ``max_degree`` the cap of the target degree,
    ``homophily_cell`` the probability that a pick stays in the picker's (province, hukou, income
    band) cell, and ``homophily_province`` the probability that a pick which does not stays in
    the province.
    """
    province, hukou_urban, income = _check_population(province, hukou_urban, income)
    _check_build_parameters(seed, mean_degree, tail, max_degree, homophily_province, homophily_cell)
    n = province.shape[0]
    if n == 0:
        return Graph(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.bool_))
    income_cuts = np.quantile(income, [0.2, 0.4, 0.6, 0.8]).astype(np.float64)
    n_cells = (int(province.max()) + 1) * CELLS_PER_PROVINCE
    alpha = float(tail) - 1.0
    x_min = pareto_scale(float(mean_degree), float(tail), float(max_degree))

    cell = np.empty(n, dtype=np.uint16)
    stubs = np.empty(n, dtype=np.int32)
    _draw_stubs(
        np.uint64(seed), province, hukou_urban, income, income_cuts, x_min, alpha,
        float(max_degree), cell, stubs,
    )  # fmt: skip
    stub_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(stubs, out=stub_ptr[1:])
    n_stubs = int(stub_ptr[-1])

    cell_ptr = np.zeros(n_cells + 1, dtype=np.int64)
    pool = np.empty(n_stubs, dtype=np.int32)  # stub owners, grouped by cell
    _group_stubs_by_cell(cell, stubs, cell_ptr, pool)
    partner = np.empty(n_stubs, dtype=np.int32)
    _pick_partners(
        np.uint64(seed), cell, stub_ptr, cell_ptr, pool, float(homophily_cell),
        float(homophily_province), partner,
    )  # fmt: skip
    del pool, cell, stubs

    row_ptr = np.zeros(n + 1, dtype=np.int64)
    _count_row_entries(stub_ptr, partner, row_ptr)
    rows = np.empty(int(row_ptr[-1]), dtype=np.int32)
    _fill_rows(stub_ptr, partner, row_ptr, rows)
    del partner, stub_ptr

    unique = np.empty(n, dtype=np.int32)
    _sort_unique_rows(row_ptr, rows, unique)
    _compact_rows(row_ptr, rows, unique)  # row_ptr becomes the final indptr
    del unique
    # Shrink in place (realloc) rather than copy: nothing else refers to ``rows``.
    rows.resize(int(row_ptr[-1]), refcheck=False)
    return Graph(indptr=row_ptr, indices=rows, active=np.ones(rows.shape[0], dtype=np.bool_))


def pareto_scale(mean_degree: float, tail: float, max_degree: float) -> float:
    """The Pareto lower bound ``x_min`` whose law, capped at ``max_degree``, has ``mean_degree``."""
    if mean_degree <= 0:
        return 0.0
    if mean_degree >= max_degree:
        return float(max_degree)
    alpha = tail - 1.0

    def capped_mean(x_min: float) -> float:
        # E[min(X, c)] = x_min + ∫_{x_min}^{c} (x_min / x)^alpha dx
        c = float(max_degree)
        if abs(alpha - 1.0) < 1e-12:
            return x_min + x_min * math.log(c / x_min)
        return x_min + x_min**alpha * (c ** (1 - alpha) - x_min ** (1 - alpha)) / (1 - alpha)

    low, high = 0.0, float(mean_degree)  # capped_mean(x) >= x, so the root is below the mean
    for _ in range(200):
        mid = 0.5 * (low + high)
        if capped_mean(mid) < mean_degree:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def _check_population(
    province: np.ndarray, hukou_urban: np.ndarray, income: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    province, hukou_urban, income = (np.asarray(a) for a in (province, hukou_urban, income))
    for name, array in (("province", province), ("hukou_urban", hukou_urban), ("income", income)):
        if array.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    lengths = {len(province), len(hukou_urban), len(income)}
    if len(lengths) > 1:
        raise ValueError(
            f"array lengths differ: province {len(province)}, hukou_urban {len(hukou_urban)}, "
            f"income {len(income)}"
        )
    if len(province) >= 2**31:
        raise ValueError(f"at most 2**31 - 1 citizens fit int32 indices, got {len(province)}")
    if province.dtype != np.uint8:
        if province.dtype.kind not in "iu":
            raise ValueError(f"province must hold integer codes, got dtype {province.dtype}")
        if len(province) and (province.min() < 0 or province.max() >= MAX_PROVINCES):
            raise ValueError(f"province codes must lie in [0, {MAX_PROVINCES - 1}]")
        province = province.astype(np.uint8)
    if hukou_urban.dtype != np.bool_:
        raise ValueError(f"hukou_urban must be a bool array, got dtype {hukou_urban.dtype}")
    if income.dtype.kind != "f":
        income = income.astype(np.float64)
    if not np.isfinite(income).all():
        raise ValueError("income must be finite (found NaN or infinity)")
    return province, hukou_urban, income


def _check_build_parameters(
    seed: int,
    mean_degree: float,
    tail: float,
    max_degree: int,
    homophily_province: float,
    homophily_cell: float,
) -> None:
    if not 0 <= seed < 2**64:
        raise ValueError(f"seed must lie in [0, 2**64), got {seed}")
    if not (math.isfinite(mean_degree) and mean_degree >= 0):
        raise ValueError(f"mean_degree must be a finite number >= 0, got {mean_degree}")
    if not (math.isfinite(tail) and tail > 1):
        raise ValueError(f"tail (degree density exponent) must be > 1, got {tail}")
    if int(max_degree) != max_degree or not 1 <= max_degree < 2**30:
        raise ValueError(f"max_degree must be an integer in [1, 2**30), got {max_degree}")
    if mean_degree > max_degree:
        raise ValueError(f"mean_degree ({mean_degree}) exceeds max_degree ({max_degree})")
    for name, value in (
        ("homophily_province", homophily_province),
        ("homophily_cell", homophily_cell),
    ):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} is a probability and must lie in [0, 1], got {value}")


@nb.njit(cache=True, parallel=True)
def _draw_stubs(
    seed, province, hukou_urban, income, income_cuts, x_min, alpha, max_degree, cell, stubs
):
    """Per citizen: its (province, hukou, income band) cell and its number of stubs."""
    exponent = -1.0 / alpha
    for i in nb.prange(province.shape[0]):
        target = 0.0
        if x_min > 0.0:  # (0 * inf would be NaN)
            u = uniform_open(seed, GRAPH_STREAM, i, DEGREE_COUNTER)
            target = min(x_min * u**exponent, max_degree)
        rounding = uniform(seed, GRAPH_STREAM, i, ROUNDING_COUNTER)
        stubs[i] = np.int32(np.floor(0.5 * target + rounding))
        band = 0
        while band < INCOME_BANDS - 1 and income[i] > income_cuts[band]:
            band += 1
        hukou = 1 if hukou_urban[i] else 0
        cell[i] = np.uint16((np.int64(province[i]) * 2 + hukou) * INCOME_BANDS + band)


@nb.njit(cache=True)
def _group_stubs_by_cell(cell, stubs, cell_ptr, pool):
    """Stable counting sort: ``pool[cell_ptr[c]:cell_ptr[c + 1]]`` lists the owner of every stub
    in cell ``c``, in citizen order."""
    n_cells = cell_ptr.shape[0] - 1
    for i in range(cell.shape[0]):
        cell_ptr[np.int64(cell[i]) + 1] += stubs[i]
    for c in range(n_cells):
        cell_ptr[c + 1] += cell_ptr[c]
    cursor = cell_ptr[:-1].copy()
    for i in range(cell.shape[0]):
        start = cursor[cell[i]]
        for t in range(stubs[i]):
            pool[start + t] = i
        cursor[cell[i]] = start + stubs[i]


@nb.njit(cache=True, parallel=True)
def _pick_partners(seed, cell, stub_ptr, cell_ptr, pool, homophily_cell, homophily_province, out):
    """Each stub's partner: a random stub's owner from the cell, province or whole pool."""
    everyone_hi = cell_ptr[-1]
    for i in nb.prange(cell.shape[0]):
        c = np.int64(cell[i])
        first_cell = (c // CELLS_PER_PROVINCE) * CELLS_PER_PROVINCE
        for k in range(stub_ptr[i], stub_ptr[i + 1]):
            counter = STUB_COUNTER + 3 * (k - stub_ptr[i])
            if uniform(seed, GRAPH_STREAM, i, counter) < homophily_cell:
                lo, hi = cell_ptr[c], cell_ptr[c + 1]
            elif uniform(seed, GRAPH_STREAM, i, counter + 1) < homophily_province:
                lo, hi = cell_ptr[first_cell], cell_ptr[first_cell + CELLS_PER_PROVINCE]
            else:
                lo, hi = 0, everyone_hi
            pick = lo + np.int64(uniform(seed, GRAPH_STREAM, i, counter + 2) * (hi - lo))
            out[k] = pool[min(pick, hi - 1)]


@nb.njit(cache=True)
def _count_row_entries(stub_ptr, partner, row_ptr):
    """Row offsets of the symmetrised pick list (self-picks dropped); ``row_ptr`` starts zeroed."""
    n = stub_ptr.shape[0] - 1
    for i in range(n):
        for k in range(stub_ptr[i], stub_ptr[i + 1]):
            j = partner[k]
            if j != i:
                row_ptr[i + 1] += 1
                row_ptr[j + 1] += 1
    for i in range(n):
        row_ptr[i + 1] += row_ptr[i]


@nb.njit(cache=True)
def _fill_rows(stub_ptr, partner, row_ptr, rows):
    """Write each pick i→j into rows i and j, using ``row_ptr`` as the cursor and restoring it."""
    n = stub_ptr.shape[0] - 1
    for i in range(n):
        for k in range(stub_ptr[i], stub_ptr[i + 1]):
            j = partner[k]
            if j != i:
                rows[row_ptr[i]] = j
                row_ptr[i] += 1
                rows[row_ptr[j]] = i
                row_ptr[j] += 1
    for i in range(n, 0, -1):  # each cursor now sits at the next row's start
        row_ptr[i] = row_ptr[i - 1]
    row_ptr[0] = 0


@nb.njit(cache=True, parallel=True)
def _sort_unique_rows(row_ptr, rows, unique):
    """Sort each row in place and move its distinct entries to the front; count them."""
    for i in nb.prange(row_ptr.shape[0] - 1):
        start, stop = row_ptr[i], row_ptr[i + 1]
        if stop - start <= 16:
            for a in range(start + 1, stop):  # insertion sort: most rows are short
                value = rows[a]
                b = a - 1
                while b >= start and rows[b] > value:
                    rows[b + 1] = rows[b]
                    b -= 1
                rows[b + 1] = value
        else:
            rows[start:stop].sort()
        count = 0
        for a in range(start, stop):
            if count == 0 or rows[a] != rows[start + count - 1]:
                rows[start + count] = rows[a]
                count += 1
        unique[i] = count


@nb.njit(cache=True)
def _compact_rows(row_ptr, rows, unique):
    """Close the gaps left by duplicates, in place; ``row_ptr`` becomes the compact offsets."""
    out = 0
    start = row_ptr[0]
    for i in range(row_ptr.shape[0] - 1):
        next_start = row_ptr[i + 1]
        for a in range(unique[i]):
            rows[out + a] = rows[start + a]
        out += unique[i]
        row_ptr[i + 1] = out
        start = next_start


# ---------------------------------------------------------------------------------------------
# Using the graph during a run


def neighbour_mean(
    graph: Graph, values: np.ndarray, include: np.ndarray, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``values[j]`` over each citizen's active neighbours ``j`` with ``include[j]``.

    Returns ``(mean, count)``: float32 [n] (NaN where the count is 0) and int32 [n]. With
    ``rows`` (bool [n]) only those citizens' means are computed (NaN and 0 elsewhere): each
    neighbour read is a random memory access, so skipping rows that are not needed pays.
    """
    n = len(graph)
    at = np.arange(n) if rows is None else np.flatnonzero(_per_citizen(rows, n, "rows", bool))
    mean_at, count_at = neighbour_mean_at(graph, values, include, at)
    if rows is None:
        return mean_at, count_at
    mean = np.full(n, np.nan, dtype=np.float32)
    count = np.zeros(n, dtype=np.int32)
    mean[at], count[at] = mean_at, count_at
    return mean, count


def neighbour_mean_at(
    graph: Graph, values: np.ndarray, include: np.ndarray, at: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``neighbour_mean`` of the citizens ``at`` (an index array) only, in that order."""
    n = len(graph)
    values = _per_citizen(values, n, "values")
    include = _per_citizen(include, n, "include", bool)
    at = np.asarray(at, dtype=np.int64)
    if at.size and (at.min() < 0 or at.max() >= n):
        raise ValueError(f"at must index citizens in [0, {n - 1}]")
    mean = np.empty(at.size, dtype=np.float32)
    count = np.empty(at.size, dtype=np.int32)
    _neighbour_mean(
        graph.indptr, graph.indices, graph.active, values, bitmap(include), at, mean, count
    )  # fmt: skip
    return mean, count


def drop_ties(
    graph: Graph,
    score: np.ndarray,
    chooser: np.ndarray,
    threshold: float,
    probability: float,
    seed: int,
    key: int,
    degree: np.ndarray | None = None,
) -> np.ndarray:
    """Citizens with ``chooser`` set drop each active tie to a neighbour whose ``score`` is below
    ``threshold`` with ``probability``; in place, in both rows of the tie (and in ``degree``, the
    active degrees as ``Graph.degree`` gives them, when given).

    The decision that ``i`` drops ``j`` draws on stream ``TIES_STREAM`` and is a pure function of
    (seed, key, min(i, j), max(i, j), which end decides): use a fresh ``key`` (e.g. the epoch
    number, 0 <= key < 2**31) for each call. A tie goes if either end drops it. Returns, per
    citizen, the ties it dropped itself (int32 [n]); a tie both ends drop counts for both.
    """
    n = len(graph)
    score = _per_citizen(score, n, "score")
    chooser = _per_citizen(chooser, n, "chooser", bool)
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability must lie in [0, 1], got {probability}")
    if math.isnan(threshold):
        raise ValueError("threshold must be a number, got NaN")
    if not 0 <= seed < 2**64:
        raise ValueError(f"seed must lie in [0, 2**64), got {seed}")
    if not 0 <= key <= MAX_TIE_KEY:
        raise ValueError(f"key must lie in [0, {MAX_TIE_KEY}], got {key}")
    dropped = np.zeros(n, dtype=np.int32)
    if degree is None:
        degree = np.zeros(0, dtype=np.int32)  # (nothing to keep up to date)
    elif degree.shape != (n,) or degree.dtype != np.int32:
        raise ValueError(f"degree must be int32 with one entry per citizen ({n})")
    if probability > 0.0:
        # One bit per citizen (see bitmap): each tie's random reads of the neighbour hit cache.
        chooses, below = bitmap(chooser), bitmap(np.less(score, threshold))
        _drop_ties(
            graph.indptr, graph.indices, graph.active, chooses, below, float(probability),
            np.uint64(seed), np.uint64(key), dropped, degree,
        )  # fmt: skip
    return dropped


def assortativity(graph: Graph, values: np.ndarray, include: np.ndarray) -> float:
    """Newman's scalar assortativity: the Pearson correlation of ``values`` at the two ends of
    the active ties whose ends are both included (each tie counted in both directions); NaN when
    there is no such tie or the values do not vary."""
    n = len(graph)
    values = _per_citizen(values, n, "values")
    include = _per_citizen(include, n, "include", bool)
    included = values[include]
    if included.size == 0:
        return math.nan
    # Sums of deviations from a shift near the mean keep the one-pass formula accurate.
    shift = float(np.mean(included, dtype=np.float64))
    sums = np.zeros((4, max(1, -(-n // _BLOCK))), dtype=np.float64)
    _tie_end_sums(graph.indptr, graph.indices, graph.active, values, include, shift, sums)
    ends, total, squares, products = sums.sum(axis=1)
    if ends == 0:
        return math.nan
    mean = total / ends
    variance = squares / ends - mean * mean
    if not variance > 1e-12 * (squares / ends):  # constant values, up to rounding
        return math.nan
    return float((products / ends - mean * mean) / variance)


def _per_citizen(array: np.ndarray, n: int, name: str, dtype: type | None = None) -> np.ndarray:
    array = np.asarray(array)
    if array.shape != (n,):
        raise ValueError(f"{name} must have one entry per citizen ({n}), got shape {array.shape}")
    if dtype is bool:
        if array.dtype != np.bool_:
            raise ValueError(f"{name} must be a bool array, got dtype {array.dtype}")
    elif array.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be numeric, got dtype {array.dtype}")
    return array


@nb.njit(cache=True, parallel=True)
def _active_degree(indptr, active, out):
    for i in nb.prange(indptr.shape[0] - 1):
        count = 0
        for k in range(indptr[i], indptr[i + 1]):
            if active[k]:
                count += 1
        out[i] = count


@nb.njit(cache=True, parallel=True)
def _neighbour_mean(indptr, indices, active, values, include, at, mean, count):
    for r in nb.prange(at.size):
        i = at[r]
        total = 0.0
        seen = 0
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if active[k] and _bit(include, j):
                total += values[j]
                seen += 1
        count[r] = seen
        mean[r] = total / seen if seen > 0 else np.nan


def bitmap(mask: np.ndarray) -> np.ndarray:
    """A bool array packed into bytes (citizen j: bit j % 8 of byte j // 8; see ``_bit``).

    Kernels that read a flag of each neighbour — a random access per tie — read it from here:
    at 10^7 citizens it takes 1.25 MB, which stays in cache, where a bool array would not.
    """
    return np.packbits(mask, bitorder="little")


@nb.njit(inline="always", cache=True)
def _bit(bits, j):
    return (bits[j >> 3] >> (j & 7)) & 1 != 0


@nb.njit(inline="always", cache=True)
def _drops(seed, key, probability, lo, hi, direction):
    """Whether one end of the eligible tie (lo, hi) drops it (``direction`` 0: lo, 1: hi)."""
    counter = (key << np.uint64(33)) | (np.uint64(hi) << np.uint64(1)) | np.uint64(direction)
    return uniform(seed, TIES_STREAM, lo, counter) < probability


@nb.njit(cache=True, parallel=True)
def _drop_ties(indptr, indices, active, chooses, below, probability, seed, key, out, degree):
    # Row i decides both directions of each of its ties; row j reaches the same decisions, so
    # both entries of a tie clear together and every thread writes only its own rows.
    for i in nb.prange(indptr.shape[0] - 1):
        i_chooses = _bit(chooses, i)
        i_below = _bit(below, i)
        dropped = 0
        cleared = 0
        if not (i_chooses or i_below):  # neither drops nor can be dropped: skip the row
            out[i] = 0
            continue
        for k in range(indptr[i], indptr[i + 1]):
            if not active[k]:
                continue
            j = np.int64(indices[k])
            i_may = i_chooses and _bit(below, j)
            j_may = i_below and _bit(chooses, j)
            if not (i_may or j_may):
                continue
            lo, hi = min(i, j), max(i, j)
            i_side = 0 if i == lo else 1
            i_drops = i_may and _drops(seed, key, probability, lo, hi, i_side)
            j_drops = j_may and _drops(seed, key, probability, lo, hi, 1 - i_side)
            if i_drops or j_drops:
                active[k] = False
                cleared += 1
            if i_drops:
                dropped += 1
        out[i] = dropped
        if degree.size:
            degree[i] -= cleared


@nb.njit(cache=True, parallel=True)
def _tie_end_sums(indptr, indices, active, values, include, shift, sums):
    """Per block of rows, over the ends of active ties between included citizens: their count,
    and the sums of x, x * x and x * y, where x and y are the two ends' values minus ``shift``.
    Fixed blocks summed in order keep the result independent of the thread count."""
    n = indptr.shape[0] - 1
    for block in nb.prange(sums.shape[1]):
        ends = 0.0
        total = 0.0
        squares = 0.0
        products = 0.0
        for i in range(block * _BLOCK, min(n, (block + 1) * _BLOCK)):
            if not include[i]:
                continue
            x = values[i] - shift
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                if active[k] and include[j]:
                    ends += 1.0
                    total += x
                    squares += x * x
                    products += x * (values[j] - shift)
        sums[0, block] = ends
        sums[1, block] = total
        sums[2, block] = squares
        sums[3, block] = products
