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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
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

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
    )


def _start_worker() -> None:
    """Pool worker set-up: Ctrl-C is the parent's to handle. (The worker's share of the threads
    comes with each task: see :func:`_in_worker`.)"""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_threads(workers: int) -> int:
    """Each of ``workers`` local workers' share of the cores (NUMBA_NUM_THREADS if set)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return int(os.environ.get("NUMBA_NUM_THREADS") or max(1, (cpus or 1) // workers))


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


def _simulate_case(
    scenario: Scenario, seed: int, options: dict[str, Any], threads: int | None = None
) -> str:
    """One run (in whichever process the executor chose, on ``threads`` threads if given);
    returns its directory."""
    _use_threads(threads)
    return str(simulate(scenario, seed=seed, **options).path)


def finished_run(case: Case, options: dict[str, Any]) -> Run | None:
    """The complete, undamaged run of ``case`` with these options already under ``out`` (the
    same scenario hash, so the same size, end and reforms; the same seed and event log), or
    None: what ``--resume`` reuses instead of running the case again."""
    from scsim.engine.simulate import horizon
    from scsim.results import RunError
    from scsim.results.store import run_dir_name

    _, end = horizon(case.scenario, options.get("days"), options.get("until"))
    configured = case.scenario.configured(population=options.get("population"), end=end,
                                          seed=case.seed)  # fmt: skip
    path = Path(options["out"]) / run_dir_name(configured.run_name, configured.hash, case.seed)
    if not (path / "manifest.json").is_file():
        return None
    try:
        run = Run(path)
    except RunError:
        return None  # interrupted or damaged: the case runs again
    same = run.scenario_hash == configured.hash and run.seed == case.seed
    return run if same and run.has_events == bool(options.get("events")) else None


def run_cases(
    cases: Sequence[Case],
    options: dict[str, Any],
    *,
    workers: int = 1,
    executor: Executor | None = None,
    progress: Epoch | None = None,
    on_phase: Phase | None = None,
    on_run: Done | None = None,
    resume: bool = False,
) -> list[Run]:
    """Run every case with the same ``options`` (those of :func:`scsim.simulate`); the Runs in
    case order, whatever order they finished in. With ``resume``, a case whose run is already
    complete under ``out`` (:func:`finished_run`) is not run again: its run is reused.

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
    runs: list[Run | None] = [finished_run(c, options) if resume else None for c in cases]
    finished = sum(run is not None for run in runs)
    todo = [k for k, run in enumerate(runs) if run is None]
    if on_run is not None:
        for done, run in enumerate((r for r in runs if r is not None), 1):
            on_run(done, len(cases), run)
    try:
        if isinstance(executor, SerialExecutor):
            callbacks = {"progress": progress, "on_phase": on_phase}
            for k in todo:
                case = cases[k]
                path = executor.submit(_simulate_case, case.scenario, case.seed,
                                       {**options, **callbacks}).result()  # fmt: skip
                runs[k] = Run(path)
                finished += 1
                if on_run is not None:
                    on_run(finished, len(cases), runs[k])
        else:
            if on_phase is not None:
                on_phase("running")
            threads = worker_threads(min(workers, len(cases))) if own else None
            pending = {
                executor.submit(_simulate_case, cases[k].scenario, cases[k].seed, options,
                                threads): k
                for k in todo
            }  # fmt: skip
            for done, future in enumerate(as_completed(pending), finished + 1):
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


# --------------------------------------------------------------------------------------------
# Tasks through an executor chosen by name: serial, a process pool, Dask

POOL_RESTARTS = 3  # a pool whose worker died is started again this often
DASK_RETRIES = 2  # Dask runs a task again elsewhere when its worker dies, this often
SCHEDULER_TIMEOUT_S = 5


@dataclass
class Opened:
    """An executor to run tasks on, what it is (for the experiment's record), and, for a pool
    this layer started, how to start a fresh one."""

    executor: Executor
    kind: str  # "serial", "processes", "dask", "executor" (given by the caller)
    workers: int
    address: str | None = None
    restart: Callable[[], Executor] | None = None
    threads: int | None = None  # each worker's share of the cores, for workers started here

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "workers": self.workers, "address": self.address}


@contextmanager
def opened_executor(
    executor: Executor | str | None = None, workers: int = 1, *, scheduler: str | None = None
) -> Iterator[Opened]:
    """The executor to use: ``None`` (serial, or a process pool when ``workers`` > 1),
    ``"serial"``, ``"processes"``, ``"dask"`` (an embedded LocalCluster of ``workers``
    single-threaded workers), a scheduler address ``tcp://HOST:PORT`` (or ``scheduler=``), an
    ``Executor`` or a ``distributed.Client`` (the caller's, left running). Pools and clusters
    started here are stopped on the way out."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if isinstance(executor, str) and "://" in executor:
        executor, scheduler = "dask", executor
    if scheduler is not None:
        executor = "dask"
    if executor is None:
        executor = "serial" if workers == 1 else "processes"
    if isinstance(executor, str):
        if executor == "serial":
            yield Opened(SerialExecutor(), "serial", 1)
        elif executor == "processes":
            opened = Opened(process_pool(workers), "processes", workers,
                            restart=lambda: process_pool(workers),
                            threads=worker_threads(workers))  # fmt: skip
            try:
                yield opened
            except BaseException:
                _stop_pool(opened.executor)
                raise
            opened.executor.shutdown()
        elif executor == "dask":
            with _dask(workers, scheduler) as opened:
                yield opened
        else:
            raise ValueError(
                f"unknown executor '{executor}' — serial, processes, dask or tcp://HOST:PORT"
            )
        return
    if type(executor).__name__ == "Client" and hasattr(executor, "get_executor"):
        yield Opened(executor.get_executor(retries=DASK_RETRIES, pure=False), "dask",
                     len(executor.scheduler_info().get("workers", {})),
                     address=executor.scheduler.address)  # fmt: skip
        return
    yield Opened(executor, "executor", getattr(executor, "_max_workers", 1) or 1)


@contextmanager
def _dask(workers: int, scheduler: str | None) -> Iterator[Opened]:
    try:
        import distributed
    except ImportError:
        raise SimulationError(
            "Dask is not installed: pip install 'scsim[dask]' (or run without --dask/--scheduler)"
        ) from None
    import logging

    cluster = None
    if scheduler is None:
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=logging.ERROR,
        )  # fmt: skip
        client = distributed.Client(cluster)
    else:
        try:
            client = distributed.Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
        except Exception as err:  # OSError, TimeoutError, ValueError for a bad address, ...
            raise SimulationError(
                f"no Dask scheduler answered at {scheduler} within {SCHEDULER_TIMEOUT_S} s "
                f"({type(err).__name__}: {err}) — start one (`dask scheduler`, then "
                "`dask worker ADDRESS`) or check the address"
            ) from None
    try:
        n = len(client.scheduler_info().get("workers", {})) or workers
        yield Opened(client.get_executor(retries=DASK_RETRIES, pure=False), "dask", n,
                     address=None if cluster is not None else scheduler,
                     threads=worker_threads(workers) if cluster is not None else None)  # fmt: skip
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _stop_pool(executor: Executor) -> None:
    """End a process pool now (its processes too)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
    executor.shutdown(wait=all(p.exitcode is not None for p in processes), cancel_futures=True)
    gc.collect()


def _in_worker(fn: Callable[[Any], Any], task: Any, threads: int | None) -> Any:
    """``fn(task)`` on the worker's share of the threads."""
    _use_threads(threads)
    return fn(task)


def _use_threads(threads: int | None) -> None:
    """Run numba on ``threads`` threads (a local worker's share of the cores; None: as it is).

    Set here, in the task, and not through NUMBA_NUM_THREADS: numba's thread count belongs to
    the calling thread (a Dask worker runs its tasks in a thread of its own); a spawned worker
    has read the variable on importing the parent's main module, before any initializer; and
    changing the variable afterwards makes numba refuse to compile anything new once its
    threads run ("Cannot set NUMBA_NUM_THREADS to a different value")."""
    if threads:
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def run_tasks(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    opened: Opened,
    on_result: Callable[[int, Any], None],
) -> None:
    """``fn(task)`` for every task on ``opened``'s executor; ``on_result(index, result)`` here
    as each finishes (in order when serial). A process pool whose worker died (out of memory,
    killed) is started again for the tasks not finished, up to POOL_RESTARTS times; Dask runs
    a lost task again itself."""
    remaining = dict(enumerate(tasks))
    restarts = 0
    while remaining:
        if isinstance(opened.executor, SerialExecutor):
            for index in list(remaining):
                on_result(index, fn(remaining.pop(index)))
            return
        futures = {opened.executor.submit(_in_worker, fn, task, opened.threads): index
                   for index, task in remaining.items()}  # fmt: skip
        try:
            for future in as_completed(futures):
                index = futures[future]
                result = future.result()
                del remaining[index]
                on_result(index, result)
        except BrokenProcessPool:
            for future, index in futures.items():  # what finished before the pool broke
                finished = future.done() and not future.cancelled()
                if index in remaining and finished and future.exception() is None:
                    del remaining[index]
                    on_result(index, future.result())
            if opened.restart is None or restarts >= POOL_RESTARTS:
                raise SimulationError(
                    "a worker process ended abruptly (out of memory, or killed) "
                    f"{restarts + 1} times — use fewer --workers or a smaller --population"
                ) from None
            restarts += 1
            _stop_pool(opened.executor)
            opened.executor = opened.restart()
