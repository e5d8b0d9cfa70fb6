"""Grouped statistics over whole populations, and a MetricFrame in the spirit of Fairlearn's.

Everything here works on group *codes*: one small integer per row (-1 where the row belongs to
no group), computed once, so that every rate is one ``np.bincount`` and never a groupby over
millions of rows. :class:`GroupIndex` goes further and folds several groupings into one joint
cell code, so that a single bincount serves every grouping at once.

    mf = MetricFrame(metrics={"listing_rate": mean}, y=listed, sensitive_features={"hukou": hukou})
    mf.overall, mf.by_group, mf.difference(), mf.ratio(), mf.group_min(), mf.group_max()

A metric function takes ``(y, codes, n_groups)`` and returns one value per group; ``codes`` is
None for the overall value (all rows in one group). :func:`mean`, :func:`count`, :func:`total`,
:func:`gini` and :func:`quantile` are provided.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
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
        for groupings, cell, shape in self._blocks:
            c, w = cell, weights
            size = math.prod(shape) * (category[1] if category else 1)
            if category is not None:
                wide = cell.astype(np.int64) if size >= 1 << 31 else cell
                c = wide * category[1] + category[0]
            if where is not None:
                c = c[where]
                w = w[where] if w is not None else None
            sums = np.bincount(c, weights=w, minlength=size)
            extra = (category[1],) if category else ()
            out.append((groupings, sums.reshape(shape + extra)))
        return CellTotals(out, category[1] if category else None)


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


# --------------------------------------------------------------------------------------------
# Metric functions for MetricFrame: (y, codes or None, n_groups) -> one value per group


def _bincount(codes: np.ndarray | None, n_groups: int, weights: np.ndarray | None = None):
    if codes is None:
        return np.array([weights.sum() if weights is not None else 0.0])
    return np.bincount(codes, weights=weights, minlength=n_groups)


def count(y: np.ndarray, codes: np.ndarray | None, n_groups: int) -> np.ndarray:
    """Rows per group."""
    if codes is None:
        return np.array([float(y.shape[0])])
    return np.bincount(codes, minlength=n_groups).astype(np.float64)


def total(y: np.ndarray, codes: np.ndarray | None, n_groups: int) -> np.ndarray:
    """Sum of ``y`` per group."""
    return _bincount(codes, n_groups, np.asarray(y, dtype=np.float64))


def mean(y: np.ndarray, codes: np.ndarray | None, n_groups: int) -> np.ndarray:
    """Mean of ``y`` per group: a rate or share when ``y`` is boolean (Fairlearn's
    ``selection_rate`` when ``y`` is the favourable outcome)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return total(y, codes, n_groups) / count(y, codes, n_groups)


def gini(y: np.ndarray, codes: np.ndarray | None, n_groups: int) -> np.ndarray:
    """Gini coefficient of ``y`` per group."""
    return grouped_gini(np.asarray(y), codes, n_groups)


def quantile(q: float) -> MetricFn:
    """A metric function: the ``q``-quantile of ``y`` per group."""

    def fn(y: np.ndarray, codes: np.ndarray | None, n_groups: int) -> np.ndarray:
        return grouped_quantiles(np.asarray(y), codes, n_groups, [q])[:, 0]

    fn.__name__ = f"quantile_{q:g}"
    return fn


# --------------------------------------------------------------------------------------------
# MetricFrame


class MetricFrame:
    """Metrics overall and per group of one or more sensitive features, as in Fairlearn.

    ``metrics`` is a function or a ``{name: function}`` mapping (see the module docstring);
    ``y`` one array for all metrics or a ``{name: array}`` mapping with the metrics' names;
    ``sensitive_features`` an array (labels, booleans, an Arrow dictionary column), a
    :class:`Grouping`, or a ``{name: array}`` mapping whose groups are then intersected.
    ``where`` restricts every metric to the rows where it is true (e.g. adults).
    Rows in no group (null features) count in ``overall`` but in no group.
    """

    def __init__(
        self,
        *,
        metrics: MetricFn | Mapping[str, MetricFn],
        y: Any,
        sensitive_features: Any,
        where: np.ndarray | None = None,
    ) -> None:
        self._single = callable(metrics)
        fns = {getattr(metrics, "__name__", "metric"): metrics} if callable(metrics) else metrics
        self._fns: dict[str, MetricFn] = dict(fns)  # type: ignore[arg-type]
        features = _features(sensitive_features)
        clash = sorted(set(self._fns) & ({"n"} | {f.name for f in features}))
        if clash:
            raise ValueError(f"metric names {clash} clash with the by_group columns; rename them")
        n = len(features[0])
        ys = _targets(y, self._fns, n)
        keep = np.ones(n, dtype=np.bool_) if where is None else np.asarray(where, dtype=np.bool_)
        codes, self._keys = _intersect(features)
        self.feature_names = tuple(f.name for f in features)
        in_group = keep & (codes >= 0)
        selected = codes[in_group]
        n_groups = len(self._keys)
        self._n = np.bincount(selected, minlength=n_groups)
        self._overall = {}
        self._by_group = {}
        for name, fn in self._fns.items():
            values = ys[name]
            self._overall[name] = float(fn(values[keep], None, 1)[0])
            self._by_group[name] = np.asarray(fn(values[in_group], selected, n_groups), float)

    # Fairlearn's accessors -------------------------------------------------------------------

    @property
    def overall(self) -> float | dict[str, float]:
        """The metric(s) over all rows."""
        return self._one(self._overall)

    @property
    def by_group(self) -> pa.Table:
        """One row per non-empty group: the feature label(s), ``n`` and each metric."""
        present = self._n > 0
        columns: dict[str, Any] = {}
        for j, name in enumerate(self.feature_names):
            columns[name] = [key[j] for key, ok in zip(self._keys, present, strict=True) if ok]
        columns["n"] = self._n[present]
        for name, values in self._by_group.items():
            columns[name] = values[present]
        return pa.table(columns)

    def group_min(self) -> float | dict[str, float]:
        """The smallest group value of each metric (NaN groups ignored)."""
        return self._one(
            {k: _nan_reduce(np.nanmin, v[self._n > 0]) for k, v in self._by_group.items()}
        )

    def group_max(self) -> float | dict[str, float]:
        """The largest group value of each metric (NaN groups ignored)."""
        return self._one(
            {k: _nan_reduce(np.nanmax, v[self._n > 0]) for k, v in self._by_group.items()}
        )

    def difference(self, method: str = "between_groups") -> float | dict[str, float]:
        """max − min over groups, or with ``method="to_overall"`` the largest |group − overall|."""
        out = {}
        for name, values in self._by_group.items():
            v = values[self._n > 0]
            if method == "between_groups":
                out[name] = _nan_reduce(np.nanmax, v) - _nan_reduce(np.nanmin, v)
            elif method == "to_overall":
                out[name] = _nan_reduce(np.nanmax, np.abs(v - self._overall[name]))
            else:
                raise ValueError(f"method must be 'between_groups' or 'to_overall', not {method!r}")
        return self._one(out)

    def ratio(self, method: str = "between_groups") -> float | dict[str, float]:
        """min / max over groups, or with ``method="to_overall"`` the smallest of
        group/overall and overall/group (1 means parity; Fairlearn's definition)."""
        out = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for name, values in self._by_group.items():
                v = values[self._n > 0]
                if method == "between_groups":
                    out[name] = _nan_reduce(np.nanmin, v) / _nan_reduce(np.nanmax, v)
                elif method == "to_overall":
                    o = self._overall[name]
                    out[name] = _nan_reduce(np.nanmin, np.minimum(v / o, o / v))
                else:
                    raise ValueError(
                        f"method must be 'between_groups' or 'to_overall', not {method!r}"
                    )
        return self._one({k: float(v) for k, v in out.items()})

    def _one(self, values: dict[str, float]) -> float | dict[str, float]:
        return next(iter(values.values())) if self._single else values


def _nan_reduce(fn: Callable, values: np.ndarray) -> float:
    """``fn`` over the non-NaN values, NaN when there are none."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or np.isnan(values).all():
        return math.nan
    return float(fn(values))


def _features(sensitive_features: Any) -> list[Grouping]:
    """Sensitive features as groupings of equal length."""
    if isinstance(sensitive_features, Mapping):
        features = [encode(v, str(k)) for k, v in sensitive_features.items()]
    else:
        features = [encode(sensitive_features, "sensitive_feature_0")]
    if not features:
        raise ValueError("give at least one sensitive feature")
    lengths = {len(f) for f in features}
    if len(lengths) > 1:
        raise ValueError(f"sensitive features differ in length: {sorted(lengths)}")
    return features


def _targets(y: Any, fns: Mapping[str, MetricFn], n: int) -> dict[str, np.ndarray]:
    """One array per metric, each of length n."""
    if isinstance(y, Mapping):
        missing = [name for name in fns if name not in y]
        if missing:
            raise ValueError(f"y has no array for the metric(s) {missing}")
        ys = {name: np.asarray(y[name]) for name in fns}
    else:
        array = np.asarray(y)
        ys = dict.fromkeys(fns, array)
    for name, array in ys.items():
        if array.shape[0] != n:
            raise ValueError(f"y for '{name}' has {array.shape[0]} rows, the features have {n}")
    return ys


def _intersect(features: Sequence[Grouping]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Compact codes of the intersection of the features, and each group's labels."""
    if len(features) == 1:
        f = features[0]
        return f.codes, [(label,) for label in f.labels]
    cells = GroupIndex(list(features))
    if len(cells._blocks) > 1:
        raise ValueError("too many intersecting groups; use fewer sensitive features")
    _, cell, shape = cells._blocks[0]
    used = np.flatnonzero(np.bincount(cell, minlength=math.prod(shape)))
    index = np.unravel_index(used, shape)
    complete = np.all([axis > 0 for axis in index], axis=0)
    used = used[complete]
    lookup = np.full(math.prod(shape), -1, dtype=np.int64)
    lookup[used] = np.arange(used.size)
    index = np.unravel_index(used, shape)
    keys = [
        tuple(f.labels[axis[i] - 1] for f, axis in zip(features, index, strict=True))
        for i in range(used.size)
    ]
    return lookup[cell], keys
