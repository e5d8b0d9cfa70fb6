"""The face: every verb of scsim as one function, each a thin door to the box that does the work.

    sc = scsim.load("court-blacklist")                  # scenario/
    run = scsim.simulate(sc, population=100_000)        # experiments/ (engine, results)
    runs = scsim.replicate(sc, 5, population=100_000)   # experiments/
    scsim.audit(run).by_group("hukou")                  # audit/
    scsim.compare(sc, reform="longer-grace", replicates=5, population=100_000)
    scsim.explain(run, pick="listed and wrongful")      # audit/
    scsim.report(run)                                   # report/

``scsim.audit`` and ``scsim.report`` are also the packages of those boxes; calling them calls
the verb (see ``scsim/audit/__init__.py``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scsim.audit.compare import Comparison
from scsim.audit.explain import Explanation
from scsim.audit.explain import explain as explain_citizen
from scsim.audit.metrics import AuditTable
from scsim.audit.metrics import audit as audit_run
from scsim.experiments import compare as compare_sides
from scsim.experiments import replicate, simulate
from scsim.report.write import write_report
from scsim.results import Run
from scsim.scenario.model import Scenario, load

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "Run",
    "Scenario",
    "audit",
    "compare",
    "explain",
    "load",
    "replicate",
    "report",
    "simulate",
]

Epoch = Callable[[int, int, dt.date], None]


def audit(
    run: Run | str | os.PathLike[str] | pa.Table | Mapping[str, Any],
    by: str | Sequence[str] | None = None,
    **options: Any,
) -> AuditTable:
    """The audit metrics of a run, overall and by group, with intervals
    (:func:`scsim.audit.metrics.audit`: ``favourable``, ``among``, ``reference``, ``offences``)."""
    return audit_run(run, by, **options)


def compare(
    a: Any,
    b: Any = None,
    *,
    reform: str | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    population: int | None = None,
    days: int | None = None,
    until: dt.date | str | None = None,
    by: str | Sequence[str] | None = None,
    out: str | Path = "runs",
    workers: int = 1,
    executor: Executor | None = None,
    progress: Epoch | None = None,
    **options: Any,
) -> Comparison:
    """Paired differences B − A of the audit metrics of two scenarios run with the same seeds,
    or of two sets of existing runs paired by seed (:func:`scsim.experiments.compare`)."""
    return compare_sides(a, b, reform=reform, replicates=replicates, seed=seed,
                         population=population, days=days, until=until, by=by, out=out,
                         workers=workers, executor=executor, progress=progress, **options)  # fmt: skip


def explain(
    run: Run | str | os.PathLike[str],
    citizen: int | None = None,
    *,
    pick: str | None = None,
    nth: int = 1,
) -> Explanation:
    """One synthetic citizen's attributes, timeline and end state: ``citizen`` by id, or the
    ``nth`` for whom the condition ``pick`` holds (:func:`scsim.audit.explain.explain`)."""
    return explain_citizen(run if isinstance(run, Run) else Run(run), citizen, pick=pick, nth=nth)


def report(
    run: Run | str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    compare: Run | str | os.PathLike[str] | None = None,
) -> Path:
    """Write the run's self-contained HTML report (default ``<run>/report.html``), with a panel
    of differences against ``compare``; returns its path (:func:`scsim.report.write_report`)."""
    return write_report(run, out=out, compare=compare)
