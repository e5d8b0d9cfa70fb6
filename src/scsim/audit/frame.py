"""Grouped statistics over whole populations: group codes, joint cells, intervals, Gini and
quantiles, each over every group at once.

Everything here works on group *codes*: one small integer per row (-1 where the row belongs to
no group), computed once, so that every rate is one ``np.bincount`` and never a groupby over
millions of rows. :class:`GroupIndex` goes further and folds several groupings into one joint
cell code, so that a single bincount serves every grouping at once. The audit
(:mod:`scsim.audit.metrics`) is built on these; its table answers Fairlearn's questions
(``by_group``, the ratio and difference to a reference group with intervals).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numba as nb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Z95 = 1.959963984540054  # two-sided 95% normal quantile
MAX_CELLS = 1 << 20  # joint cells per GroupIndex block; more groupings go to another block

MetricFn = Callable[[np.ndarray, np.ndarray | None, int], np.ndarray]


# --------------------------------------------------------------------------------------------
# Group codes


@dataclass(frozen=True, eq=False)
class Grouping:
    """One way of splitting rows into groups: a code per row (-1: in no group) and the labels."""

    name: str
    codes: np.ndarray
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        codes = np.asarray(self.codes)
        if codes.dtype.kind not in "iu":
            raise TypeError(f"grouping '{self.name}': codes must be integers, not {codes.dtype}")
        object.__setattr__(self, "codes", _small_codes(codes, len(self.labels)))
        object.__setattr__(self, "labels", tuple(str(label) for label in self.labels))

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    def __len__(self) -> int:
        return int(self.codes.shape[0])


def _small_codes(codes: np.ndarray, n_labels: int) -> np.ndarray:
    """Codes in the smallest signed dtype that holds -1..n_labels-1."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_labels <= np.iinfo(dtype).max:
            return codes if codes.dtype == dtype else codes.astype(dtype)
    return codes.astype(np.int64, copy=False)


def encode(values: Any, name: str = "group", labels: Sequence[str] | None = None) -> Grouping:
    """Group codes from labels, booleans, small integers or an Arrow (dictionary) array.

    Arrow dictionary arrays are used as they are (their indices are the codes); booleans become
    groups ``labels or ("False", "True")``; anything else is dictionary-encoded by Arrow's hash
    kernel, so strings are never sorted in Python. Nulls are in no group.
    """
    if isinstance(values, Grouping):
        return values
    if isinstance(values, tuple) and len(values) == 2 and not isinstance(values[0], str):
        codes, names = values
        return Grouping(name, np.asarray(codes), tuple(names))
    if isinstance(values, pa.ChunkedArray | pa.Array):
        if pa.types.is_dictionary(values.type):
            codes, names = dictionary_codes(values)
            return Grouping(name, codes, tuple(names))
        if pa.types.is_boolean(values.type) and values.null_count == 0:
            values = values.to_numpy(zero_copy_only=False)
        else:
            return encode(pc.dictionary_encode(values), name)
    array = np.asarray(values)
    if array.dtype == np.bool_:
        return Grouping(name, array.view(np.int8), tuple(labels or ("False", "True")))
    if array.dtype.kind in "iu" and array.size:
        low, high = int(array.min()), int(array.max())
        if high - low < 1 << 16:
            present = np.flatnonzero(np.bincount(array - low if low else array))
            lookup = np.full(high - low + 1, -1, dtype=np.int32)
            lookup[present] = np.arange(present.size)
            codes = lookup[array - low] if low else lookup[array]
            names = labels or [str(v + low) for v in present]
            return Grouping(name, codes, tuple(names))
    return encode(pc.dictionary_encode(pa.array(array)), name)


def dictionary_codes(values: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[str]]:
    """The indices (nulls as -1) and labels of an Arrow dictionary column, across its chunks."""
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    values = values.unify_dictionaries()
    if values.num_chunks == 0:
        return np.zeros(0, dtype=np.int8), []
    labels = [str(v) for v in values.chunk(0).dictionary.to_pylist()]
    parts = []
    for chunk in values.chunks:
        indices = chunk.indices
        if indices.null_count:
            indices = pc.fill_null(indices, -1)
        parts.append(indices.to_numpy(zero_copy_only=False))
    codes = np.concatenate(parts) if len(parts) != 1 else parts[0]
    return codes, labels


# --------------------------------------------------------------------------------------------
# Joint cells: one bincount for every grouping


class GroupIndex:
    """Several groupings of the same rows folded into joint cell codes.

    A per-cell total computed once (one bincount over all rows) is collapsed to any grouping by
    summing over the other groupings' axes, which costs nothing next to the pass over the rows.
    Groupings whose cells would exceed ``MAX_CELLS`` go into separate blocks.
    """

    def __init__(self, groupings: Sequence[Grouping]) -> None:
        self.groupings = {g.name: g for g in groupings}
        lengths = {len(g) for g in groupings}
        if len(lengths) > 1:
            raise ValueError(f"groupings differ in length: {sorted(lengths)}")
        self.n_rows = lengths.pop() if lengths else None
        self._blocks: list[tuple[list[Grouping], np.ndarray, tuple[int, ...]]] = []
        block: list[Grouping] = []
        for grouping in groupings:
            size = math.prod(g.n_groups + 1 for g in [*block, grouping])
            if block and size > MAX_CELLS:
                self._blocks.append(self._block(block))
                block = []
            block.append(grouping)
        if block:
            self._blocks.append(self._block(block))

    @staticmethod
    def _block(groupings: list[Grouping]) -> tuple[list[Grouping], np.ndarray, tuple[int, ...]]:
        """(groupings, cell code per row, shape); axis value 0 is 'in no group'."""
        shape = tuple(g.n_groups + 1 for g in groupings)
        dtype = np.int32 if math.prod(shape) < 1 << 31 else np.int64
        cell = groupings[0].codes.astype(dtype) + 1
        for g, size in zip(groupings[1:], shape[1:], strict=True):
            cell *= size
            cell += g.codes
            cell += 1
        return groupings, cell, shape

    def totals(
        self,
        where: np.ndarray | None = None,
        weights: np.ndarray | None = None,
        category: tuple[np.ndarray, int] | None = None,
    ) -> CellTotals:
        """Row counts (or sums of ``weights``) per cell, over the rows ``where`` is true.

        With ``category=(codes, k)`` each cell is split further by a code in ``0..k-1``.
        """
        out = []
        k = category[1] if category else 0
        codes = category[0] if category else _NO_CODES
        for groupings, cell, shape in self._blocks:
            size = math.prod(shape) * max(k, 1)
            # Row by row in row order, as np.bincount sums (the same floating-point sums), in
            # one pass without the masked copies of the cell codes and weights.
            sums = np.zeros(size, dtype=np.int64 if weights is None else np.float64)
            _cell_sums(
                cell, _NO_MASK if where is None else where, where is not None,
                _NO_WEIGHTS if weights is None else weights, weights is not None, codes, k, sums,
            )  # fmt: skip
            extra = (k,) if category else ()
            out.append((groupings, sums.reshape(shape + extra)))
        return CellTotals(out, category[1] if category else None)


_NO_MASK = np.ones(0, dtype=np.bool_)
_NO_WEIGHTS = np.zeros(0, dtype=np.float64)
_NO_CODES = np.zeros(0, dtype=np.int32)


@nb.njit(cache=True)
def _cell_sums(cell, where, masked, weights, weighted, codes, k, sums):
    """``sums[cell * k + code] +=`` the row's weight (or 1), over the rows ``where`` holds."""
    for i in range(cell.size):
        if masked and not where[i]:
            continue
        c = cell[i] * k + codes[i] if k > 0 else cell[i]
        if weighted:
            sums[c] += weights[i]
        else:
            sums[c] += 1


class CellTotals:
    """Per-cell totals of a :class:`GroupIndex`, collapsed on demand to one grouping."""

    def __init__(self, blocks: list[tuple[list[Grouping], np.ndarray]], k: int | None) -> None:
        self._blocks = blocks
        self._k = k

    def overall(self) -> np.ndarray:
        """The total over all rows (shape ``(k,)`` with categories, else a 0-d array)."""
        _, sums = self._blocks[0]
        axes = tuple(range(sums.ndim - (1 if self._k else 0)))
        return sums.sum(axis=axes)

    def by(self, name: str) -> np.ndarray:
        """Totals per group of grouping ``name`` (shape ``(n_groups,)`` or ``(n_groups, k)``)."""
        for groupings, sums in self._blocks:
            names = [g.name for g in groupings]
            if name in names:
                axis = names.index(name)
                others = tuple(i for i in range(len(names)) if i != axis)
                return sums.sum(axis=others)[1:]
        raise KeyError(name)


# --------------------------------------------------------------------------------------------
# Intervals


def wilson(k: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion k/n (NaN where n == 0)."""
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        z2 = z * z
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    bad = n <= 0
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def mean_interval(
    total: np.ndarray, total_sq: np.ndarray, n: np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, low, high): the normal-approximation interval mean ± z·s/√n (NaN where n < 2)."""
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        var = np.maximum(total_sq - n * mean * mean, 0) / (n - 1)
        half = z * np.sqrt(var / n)
    half = np.where(n < 2, np.nan, half)
    return np.where(n > 0, mean, np.nan), mean - half, mean + half


def ratio_interval(
    p1: np.ndarray, n1: np.ndarray, p0: float, n0: float, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Katz log interval for the ratio of two proportions p1/p0 (NaN where a rate is 0 or 1)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt((1 - p1) / (n1 * p1) + (1 - p0) / (n0 * p0))
        log_ratio = np.log(p1 / p0)
        low, high = np.exp(log_ratio - z * se), np.exp(log_ratio + z * se)
    ok = np.isfinite(low) & np.isfinite(high)
    return np.where(ok, low, np.nan), np.where(ok, high, np.nan)


def difference_interval(
    p1: np.ndarray,
    lo1: np.ndarray,
    hi1: np.ndarray,
    p0: float,
    lo0: float,
    hi0: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval for p1 - p0, from the two Wilson intervals."""
    d = p1 - p0
    low = d - np.sqrt((p1 - lo1) ** 2 + (hi0 - p0) ** 2)
    high = d + np.sqrt((hi1 - p1) ** 2 + (p0 - lo0) ** 2)
    return low, high


# --------------------------------------------------------------------------------------------
# Order statistics by group


def _shifted(codes: np.ndarray | None, n: int) -> np.ndarray:
    """Codes + 1 (bin 0 collects rows in no group); all ones when codes is None."""
    if codes is None:
        return np.ones(n, dtype=np.int8)
    codes = np.asarray(codes)
    small = codes.dtype.itemsize <= 2 and (codes.size == 0 or int(codes.max()) < 32766)
    wide = np.int16 if small else np.int64  # 16-bit codes sort by radix
    return codes.astype(wide) + 1


def _sortable_bits(values: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Unsigned 32-bit images of the values in the same order, and what undoes them (the
    integer offset, or -1 for float32); None when the values need more than 32 bits."""
    if values.dtype == np.float32:
        bits = values.view(np.uint32)
        # IEEE order: flip every bit of a negative float, only the sign bit of a positive one.
        flip = np.where(bits >> 31 == 1, np.uint32(0xFFFFFFFF), np.uint32(0x80000000))
        return bits ^ flip, -1
    if values.dtype.kind in "iub" and values.dtype.itemsize <= 4 and values.size:
        low, high = int(values.min()), int(values.max())
        if high - low < 1 << 32:
            return (values.astype(np.int64) - low).astype(np.uint32), low
    return None


def _from_sortable_bits(bits: np.ndarray, offset: int) -> np.ndarray:
    """The values back from :func:`_sortable_bits`."""
    if offset == -1:
        flip = np.where(bits >> 31 == 1, np.uint32(0x80000000), np.uint32(0xFFFFFFFF))
        return (bits ^ flip).view(np.float32)
    return bits.astype(np.int64) + offset


def ascending_order(values: np.ndarray) -> np.ndarray:
    """Row indices that sort ``values`` ascending: a radix sort for small integers, a sort of
    64-bit (value, row) keys for other 32-bit values (about twice as fast as ``argsort``)."""
    values = np.asarray(values)
    if values.dtype.kind in "iub" and values.dtype.itemsize <= 2:
        return np.argsort(values, kind="stable")
    sortable = _sortable_bits(values) if values.shape[0] < 1 << 32 else None
    if sortable is None:
        return np.argsort(values)
    key = sortable[0].astype(np.uint64) << np.uint64(32)
    key |= np.arange(values.shape[0], dtype=np.uint64)
    key.sort()
    return (key & np.uint64(0xFFFFFFFF)).astype(np.intp)


@nb.njit(cache=True)
def _rank_sums(xs, cells, sizes):  # pragma: no cover - compiled
    """Count, Σx and Σ rank·x of sorted values per group of each grouping, in one pass.

    ``xs`` is sorted ascending, ``cells[p]`` the joint cell of xs[p] (mixed radix over
    ``sizes``, see GroupIndex) and the rank the position of xs[p] within its group. Row 0 of the
    results is everyone; row j + 1 grouping j, whose column 0 collects the rows in no group.
    """
    k = sizes.shape[0]
    width = 1
    for j in range(k):
        width = max(width, sizes[j])
    strides = np.ones(k, np.int64)
    for j in range(k - 2, -1, -1):
        strides[j] = strides[j + 1] * sizes[j + 1]
    count = np.zeros((k + 1, width), np.int64)
    total = np.zeros((k + 1, width))
    ranked = np.zeros((k + 1, width))
    negative = np.zeros((k + 1, width), np.bool_)
    for p in range(xs.shape[0]):
        x = float(xs[p])
        c = cells[p]
        for j in range(k + 1):
            g = 0 if j == 0 else (c // strides[j - 1]) % sizes[j - 1]
            r = count[j, g] + 1
            count[j, g] = r
            total[j, g] += x
            ranked[j, g] += r * x
            if x < 0:
                negative[j, g] = True
    return count, total, ranked, negative


def _gini_from_sums(n, total, ranked, negative) -> np.ndarray:
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = 2 * ranked / (n * total) - (n + 1) / n
    return np.where((n > 0) & (total > 0) & ~negative, g, np.nan)


def gini_by(
    values: np.ndarray,
    groupings: Sequence[Grouping] | GroupIndex,
    rows: np.ndarray | None = None,
) -> tuple[tuple[float, int], list[tuple[np.ndarray, np.ndarray]]]:
    """Gini coefficients of ``values`` overall and per group of each grouping.

    Gini = 2·Σ i·x_(i) / (n·Σ x) − (n+1)/n with ranks i = 1..n of the sorted values within the
    group: 0 when all hold the same, → 1 when one holds everything. NaN for an empty group, a
    zero total, or negative values (where it is not defined). ``rows`` restricts to a subset
    (e.g. adults). The values are sorted once, together with their joint cell (one 64-bit key
    per row, so no random gathers), and one pass ranks them within every group of every
    grouping. Returns ``((gini, n) overall, [(gini, n) per group] for each grouping)``.
    """
    index = groupings if isinstance(groupings, GroupIndex) else GroupIndex(list(groupings))
    values = np.asarray(values)
    subset = values if rows is None else values[rows]
    out: list[tuple[np.ndarray, np.ndarray]] = []
    blocks = index._blocks or [([], np.zeros(len(values), dtype=np.int32), ())]
    for block, cell, shape in blocks:
        cells = cell if rows is None else cell[rows]
        sortable = _sortable_bits(subset) if math.prod(shape) < 1 << 32 else None
        if sortable is not None:
            key = sortable[0].astype(np.uint64) << np.uint64(32)
            key |= cells.astype(np.uint64)
            key.sort()
            xs = _from_sortable_bits((key >> np.uint64(32)).astype(np.uint32), sortable[1])
            cells = (key & np.uint64(0xFFFFFFFF)).astype(np.int64)
        else:
            order = np.argsort(subset)
            xs, cells = subset[order], cells[order]
        sizes = np.array(shape, dtype=np.int64)
        n, sums, rank_sums, negative = _rank_sums(xs, cells, sizes)
        overall = (float(_gini_from_sums(n[0, 0], sums[0, 0], rank_sums[0, 0], negative[0, 0])),
                   int(n[0, 0]))  # fmt: skip
        for j, g in enumerate(block):
            m = slice(1, g.n_groups + 1)
            gini = _gini_from_sums(n[j + 1, m], sums[j + 1, m], rank_sums[j + 1, m],
                                   negative[j + 1, m])  # fmt: skip
            out.append((gini, n[j + 1, m]))
    return overall, out


def grouped_gini(values: np.ndarray, codes: np.ndarray | None, n_groups: int) -> np.ndarray:
    """Gini coefficient of ``values`` per group (see :func:`gini_by`); codes None: overall."""
    values = np.asarray(values)
    if codes is None:
        return np.array([gini_by(values, [])[0][0]])
    grouping = Grouping("group", np.asarray(codes), tuple(str(i) for i in range(n_groups)))
    return gini_by(values, [grouping])[1][0][0]


def grouped_quantiles(
    values: np.ndarray, codes: np.ndarray | None, n_groups: int, qs: Sequence[float]
) -> np.ndarray:
    """Quantiles per group, shape ``(n_groups, len(qs))`` (linear interpolation, as numpy's
    default); NaN for an empty group."""
    cs = _shifted(codes, values.shape[0])
    order = np.lexsort((values, cs))
    xs = values[order].astype(np.float64)
    n = np.bincount(cs, minlength=n_groups + 1)[1:]
    starts = np.cumsum(np.bincount(cs, minlength=n_groups + 1))[:-1]
    q = np.asarray(qs, dtype=np.float64)
    h = (n[:, None] - 1) * q[None, :]
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(n[:, None] - 1, 0))
    frac = h - lo
    out = np.full((n_groups, q.size), np.nan)
    has = n > 0
    if xs.size:
        base = starts[:, None]
        a = xs[np.clip(base + lo, 0, xs.size - 1)]
        b = xs[np.clip(base + hi, 0, xs.size - 1)]
        out[has] = (a + frac * (b - a))[has]
    return out
