"""A worker of a process pool or of the local Dask cluster runs numba on its share of the cores
(cores / workers), not on every core: two workers on two cores would otherwise run four
threads and each case would take more than twice as long (issue 11's overhead target).

Every population here is synthetic; nothing reads records about real persons.
"""

from __future__ import annotations

import os

import pytest

from scsim.experiments.executors import opened_executor, run_tasks


def numba_threads(_: int) -> int:
    import numba

    return numba.get_num_threads()


@pytest.mark.parametrize("kind", ["processes", "dask"])
def test_each_worker_runs_its_share_of_the_threads(kind, monkeypatch):
    if kind == "dask":
        pytest.importorskip("distributed")
    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    found: list[int] = []
    with opened_executor(kind, 2) as opened:
        run_tasks(numba_threads, [0, 1, 2, 3], opened, lambda _, threads: found.append(threads))
    assert found == [max(1, (cpus or 1) // 2)] * 4


def compiles_after_threads_run(_: int) -> int:
    """A task that runs numba's threads, then compiles something new (a case whose types no
    cached kernel has)."""
    import numba
    import numpy as np

    @numba.njit(parallel=True)
    def total(x):
        s = 0.0
        for i in numba.prange(x.size):
            s += x[i]
        return s

    total(np.ones(100))

    @numba.njit
    def plus_one(x):
        return x + 1

    return plus_one(1)


@pytest.mark.parametrize("kind", ["processes", "dask"])
def test_a_worker_compiles_after_its_threads_run(kind, monkeypatch):
    # Setting NUMBA_NUM_THREADS in a worker after numba was imported made this fail with
    # "Cannot set NUMBA_NUM_THREADS to a different value once the threads have been launched".
    if kind == "dask":
        pytest.importorskip("distributed")
    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    found: list[int] = []
    with opened_executor(kind, 2) as opened:
        run_tasks(compiles_after_threads_run, [0, 1], opened, lambda _, v: found.append(v))
    assert found == [2, 2]
