"""The arrays behind the citizen attributes that scenario expressions read.

The names and their kinds are declared in :mod:`scsim.core.vocabulary`, their types in
:mod:`scsim.scenario.vocabulary` (``CITIZEN``); here each gets its array, computed on first use.
"""

from __future__ import annotations

from collections.abc import Mapping

import numba as nb
import numpy as np

from scsim.core.layout import DEBT, INCOME, WEALTH
from scsim.core.vocabulary import CELL_FLAGS, RESIDENCE, STATIC
from scsim.rules import Bool
from scsim.scenario.vocabulary import CITIZEN


def follows_residence(*exprs) -> bool:
    """Whether the rules read nothing beyond ``STATIC`` and ``RESIDENCE``."""
    return all(expr.reads <= STATIC | RESIDENCE for expr in exprs)


def cell_codes(pop, ix=slice(None)) -> np.ndarray:
    """Each citizen's cell code (uint8) from the five boolean attributes (of citizens ``ix``)."""
    code = np.zeros(len(pop) if isinstance(ix, slice) else len(ix), dtype=np.uint8)
    for bit, name in enumerate(CELL_FLAGS):
        code |= getattr(pop, name)[ix].astype(np.uint8) << bit
    return code


ALL = slice(None)


class CitizenArrays(Mapping):
    """The arrays behind ``CITIZEN``, each computed on first use (most rules read few).

    ``state`` supplies the mechanisms' state variables (residence_years, listed, score, ...);
    without it (a population alone) they read as nobody listed, nobody scored. Each variable is
    a function of the citizens it is asked for (``ix``: all, or an index array), so that
    :meth:`subset` reads a few citizens' values without computing everyone's.
    """

    def __init__(self, pop, sf, province: np.ndarray, year: int, state=None, ix=ALL) -> None:
        self._args = (pop, sf, province, year, state)
        self._ix = ix
        self._n = len(pop) if isinstance(ix, slice) else len(ix)
        self._cache: dict[str, np.ndarray] = {}
        self._make = {
            "age": lambda ix: (np.int16(year) - take(pop.birth_year, ix)).astype(np.int16),
            "male": lambda ix: take(pop.sex, ix) == 1,
            "urban": lambda ix: take(pop.urban, ix),
            "hukou_urban": lambda ix: take(pop.hukou_urban, ix),
            "migrant": lambda ix: take(pop.migrant, ix),
            "interprovincial": lambda ix: take(province, ix) != take(pop.hukou_province, ix),
            "minority": lambda ix: take(pop.minority, ix),
            "has_child": lambda ix: take(pop.has_child, ix),
            "income": lambda ix: take(sf[:, INCOME], ix),
            "wealth": lambda ix: take(sf[:, WEALTH], ix),
            "debt": lambda ix: take(sf[:, DEBT], ix),
            "employment": lambda ix: take(pop.employment, ix),
            "education": lambda ix: take(pop.education, ix),
            "province": lambda ix: take(province, ix),
            "residence_years": lambda ix: np.maximum(year - take(pop.moved_in, ix), 0).astype(
                np.float32
            ),
            "local_hukou": lambda ix: ~take(pop.migrant, ix),
        }
        if state is not None:
            self._make.update(state.variables())
        for name, type_ in CITIZEN.items():  # nobody listed, scored or befriended
            dtype = bool if isinstance(type_, Bool) else np.float32
            self._make.setdefault(name, lambda ix, dtype=dtype: np.zeros(self._n, dtype=dtype))

    def subset(self, idx: np.ndarray) -> CitizenArrays:
        """The same variables for the citizens ``idx`` (of these) only."""
        return CitizenArrays(*self._args, ix=idx if isinstance(self._ix, slice) else self._ix[idx])

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = self._make[name](self._ix)
        return self._cache[name]

    def __iter__(self):
        return iter(self._make)

    def __len__(self) -> int:
        return len(self._make)


PARALLEL_TAKE = 1 << 16  # below this many citizens numpy's own gather is as quick


def take(values: np.ndarray, ix, out: np.ndarray | None = None) -> np.ndarray:
    """``values[ix]`` for ``ix`` a slice or an index array (into ``out`` if given).

    Large index arrays are gathered by a parallel numba loop: numpy's fancy indexing runs on
    one core, and a rule or a score reads a dozen attributes of millions of citizens per epoch.
    ``ix`` must hold valid, non-negative indices: the parallel path does not check them (the
    callers pass ``np.flatnonzero`` results).
    """
    if not isinstance(ix, slice) and ix.dtype.kind not in "iu":
        raise TypeError(f"take needs a slice or an integer index array, not {ix.dtype}")
    if isinstance(ix, slice) or (out is None and ix.size < PARALLEL_TAKE):
        if out is None:
            return values[ix]
        out[...] = values[ix]
        return out
    if out is None:
        out = np.empty(ix.size, dtype=values.dtype)
    _take(values, ix, out)
    return out


@nb.njit(cache=True, parallel=True)
def _take(values, ix, out):
    for j in nb.prange(ix.size):
        out[j] = values[ix[j]]


class Subset(Mapping):
    """The same variables for the citizens ``idx`` only: rules that concern few citizens (the
    candidates for a list, the migrants who might convert) are evaluated on those alone."""

    def __init__(self, arrays: Mapping, idx: np.ndarray, n: int) -> None:
        self._arrays, self._idx, self._n = arrays, idx, n
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = np.broadcast_to(self._arrays[name], (self._n,))[self._idx]
        return self._cache[name]

    def __iter__(self):
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)


def holds(expr, arrays: Mapping, where: np.ndarray) -> np.ndarray:
    """``where`` narrowed to the citizens for whom the condition ``expr`` holds (bool [n]).

    When ``where`` picks a few citizens, the rule is evaluated on those alone; when it picks
    most of them, gathering would cost more than evaluating everyone.
    """
    count = int(np.count_nonzero(where))
    if count > where.size // 4:
        return where & np.broadcast_to(expr.evaluate(arrays), where.shape)
    out = np.zeros(where.shape, dtype=bool)
    if count:
        idx = np.flatnonzero(where)
        out[idx] = np.broadcast_to(expr.evaluate(subset(arrays, idx, where.size)), (idx.size,))
    return out


def subset(arrays: Mapping, idx: np.ndarray, n: int) -> Mapping:
    """``arrays`` for the citizens ``idx``: computed for those alone where the mapping can."""
    if isinstance(arrays, CitizenArrays):
        return arrays.subset(idx)
    return Subset(arrays, idx, n)
