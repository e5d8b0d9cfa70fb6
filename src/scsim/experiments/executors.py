"""Cases and executors: a list of (scenario, seed) cases run through a
``concurrent.futures.Executor``, one run directory each.

Every draw is keyed by (seed, stream, citizen, counter), so a case gives the same run bit for bit
whichever executor, process or worker count ran it. :class:`SerialExecutor` runs each case in
this process as it is submitted (the default); :func:`process_pool` gives a pool of fresh
processes; any other executor (a Dask ``Client.get_executor()``, say) works too.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scsim.core.errors import SimulationError
from scsim.experiments.run import simulate
from scsim.results import Run
from scsim.scenario.model import Scenario

Epoch = Callable[[int, int, dt.date], None]
Phase = Callable[[str], None]
Done = Callable[[int, int, Run], None]


@dataclass(frozen=True)
class Case:
    """One run of an experiment: a scenario (reforms and overlays applied) and a seed."""

    scenario: Scenario
    seed: int


class SerialExecutor(Executor):
    """Runs each task in the calling process as it is submitted (the default executor)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:  # an interrupt is not a task's result: it propagates
            future.set_exception(err)
        return future


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` fresh processes (spawned: numba's threads do not survive a fork),
    each with an equal share of the CPUs unless NUMBA_NUM_THREADS is set."""
    import multiprocessing

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(max(1, (cpus or 1) // workers),),
    )


def _start_worker(threads: int) -> None:
    """Pool worker set-up: its share of the threads; Ctrl-C is the parent's to handle."""
    os.environ.setdefault("NUMBA_NUM_THREADS", str(threads))
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(executor: Executor, out: Path) -> None:
    """Stop an executor now: cancel what has not started, end the pool's processes and remove
    the partial run directories they leave in ``out``."""
    import shutil

    processes = list((getattr(executor, "_processes", None) or {}).values())  # gone on shutdown
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
    # The pool notices its ended processes; waiting for it releases its queues' semaphores.
    executor.shutdown(wait=all(p.exitcode is not None for p in processes), cancel_futures=True)
    for process in processes:
        if process.exitcode is not None:  # ended: what it was writing is nobody's now
            for partial in out.glob(f".*.partial-{process.pid}-*"):
                shutil.rmtree(partial, ignore_errors=True)
    gc.collect()  # the pool's queues unregister their semaphores now, not at an exit that
    # an interrupt may cut short (the CLI leaves with os._exit)


def _simulate_case(scenario: Scenario, seed: int, options: dict[str, Any]) -> str:
    """One run (in whichever process the executor chose); returns its directory."""
    return str(simulate(scenario, seed=seed, **options).path)


def run_cases(
    cases: Sequence[Case],
    options: dict[str, Any],
    *,
    workers: int = 1,
    executor: Executor | None = None,
    progress: Epoch | None = None,
    on_phase: Phase | None = None,
    on_run: Done | None = None,
) -> list[Run]:
    """Run every case with the same ``options`` (those of :func:`scsim.simulate`); the Runs in
    case order, whatever order they finished in.

    Serially each case is submitted once the one before has finished, with the epoch and phase
    callbacks; on any other executor all are submitted at once, ``on_phase("running")`` is
    called once, and then ``on_run`` (in this process) as each finishes.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    own = executor is None
    if own:
        executor = SerialExecutor() if workers == 1 else process_pool(min(workers, len(cases)))
    assert executor is not None
    runs: list[Run | None] = [None] * len(cases)
    try:
        if isinstance(executor, SerialExecutor):
            callbacks = {"progress": progress, "on_phase": on_phase}
            for k, case in enumerate(cases):
                path = executor.submit(_simulate_case, case.scenario, case.seed,
                                       {**options, **callbacks}).result()  # fmt: skip
                runs[k] = Run(path)
                if on_run is not None:
                    on_run(k + 1, len(cases), runs[k])
        else:
            if on_phase is not None:
                on_phase("running")
            pending = {
                executor.submit(_simulate_case, case.scenario, case.seed, options): k
                for k, case in enumerate(cases)
            }
            for done, future in enumerate(as_completed(pending), 1):
                k = pending[future]
                runs[k] = Run(future.result())
                if on_run is not None:
                    on_run(done, len(cases), runs[k])
    except BrokenProcessPool:
        if own:
            _stop(executor, options["out"])
        raise SimulationError(
            "a worker process ended abruptly (out of memory, or killed) — use fewer --workers "
            "or a smaller --population (a script that starts workers needs "
            "`if __name__ == '__main__':`)"
        ) from None
    except BaseException:
        if own:
            _stop(executor, options["out"])
        raise
    if own:
        executor.shutdown()
    return [run for run in runs if run is not None]
