"""Per-group sums and histograms for the epoch-boundary stages' metrics.

Each is a numba pass over fixed chunks of citizens whose partial results are summed in a fixed
order, so a metric is byte-identical for any thread count. Shared by the engine's stages and the
mechanisms' own (``mechanisms.stage``), which may not import the engine.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from scsim.core.layout import N_GROUPS

HISTOGRAM_CHUNKS = 64


def histogram(group: np.ndarray, code: np.ndarray, n_codes: int) -> np.ndarray:
    """Citizens per [base group, code] (float64), in one parallel pass over both arrays."""
    chunks = np.zeros((HISTOGRAM_CHUNKS, N_GROUPS, n_codes), dtype=np.int64)
    _histogram(group, code, chunks)
    return chunks.sum(axis=0).astype(np.float64)


def sums(group: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Sums per base group (hukou × migrant) of ``weights`` (default: citizens)."""
    chunks = np.zeros((HISTOGRAM_CHUNKS, N_GROUPS), dtype=np.float64)
    _group_sums(group, np.zeros(0) if weights is None else weights, chunks)
    return chunks.sum(axis=0)


@nb.njit(cache=True, parallel=True)
def _histogram(group, code, chunks):
    n = group.size
    for c in nb.prange(chunks.shape[0]):
        out = chunks[c]
        for i in range(c * n // chunks.shape[0], (c + 1) * n // chunks.shape[0]):
            out[group[i], code[i]] += 1


@nb.njit(cache=True, parallel=True)
def _group_sums(group, weights, chunks):
    """Sums of ``weights`` per group, in fixed chunks of citizens (counts if ``weights`` is
    empty)."""
    n = group.size
    count = weights.size == 0
    for c in nb.prange(chunks.shape[0]):
        out = chunks[c]
        for i in range(c * n // chunks.shape[0], (c + 1) * n // chunks.shape[0]):
            out[group[i]] += 1.0 if count else weights[i]


@nb.njit(cache=True, parallel=True)
def _adults_by_province(province, birth_year, born_by, red, chunks):
    """Adults (born in ``born_by`` or before) per province, and those of them with ``red``."""
    n = province.size
    for c in nb.prange(chunks.shape[0]):
        out = chunks[c]
        for i in range(c * n // chunks.shape[0], (c + 1) * n // chunks.shape[0]):
            if birth_year[i] <= born_by:
                out[0, province[i]] += 1
                out[1, province[i]] += red[i]
