"""Parameter sweeps: a grid (or zipped lists) of parameter values × seeds on common random
numbers → cases → an executor → one tidy table in an experiment directory.

The path every experiment takes, and that sensitivity analysis and calibration reuse with
other designs: :func:`run_design` (a base scenario, a :class:`~scsim.experiments.design.Design`,
the run's size and end, the measures) → :class:`~scsim.experiments.store.Experiment`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import json
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from scsim import __version__
from scsim.engine.simulate import horizon
from scsim.experiments.design import Design, Value, grid, zipped
from scsim.experiments.evaluate import CaseResult, CaseTask, Measures, check_measures, evaluate
from scsim.experiments.executors import Opened, opened_executor, run_tasks
from scsim.experiments.replicates import replicate_seeds, run_options
from scsim.experiments.store import (
    FORMAT_VERSION,
    RUNS,
    Experiment,
    ExperimentError,
    ExperimentWriter,
    check_version,
    unfinished,
)
from scsim.scenario.model import Scenario, load
from scsim.scenario.settings import check_settings

OnCase = Callable[[int, int, dict[str, Any]], None]  # (done, total, the case's record)
# (results, experiment.json so far) → (files beside results.parquet, entries for experiment.json)
Finish = Callable[
    [pa.Table, Mapping[str, Any]], tuple[Mapping[str, pa.Table | str], Mapping[str, Any]]
]


def sweep(
    scenario: Scenario | str | Path,
    parameters: Mapping[str, Sequence[Value]],
    *,
    method: str = "grid",
    replicates: int = 1,
    seed: int | None = None,
    population: int | None = None,
    days: int | None = None,
    until: dt.date | str | None = None,
    by: str | Sequence[str] | None = None,
    metrics: str | Sequence[str] | None = None,
    out: str | Path = "experiments",
    keep_runs: bool = False,
    resume: bool = False,
    workers: int = 1,
    executor: Executor | str | None = None,
    scheduler: str | None = None,
    on_case: OnCase | None = None,
) -> Experiment:
    """Run ``scenario`` at every combination of ``parameters`` (``{path: [values]}``; with
    ``method="zip"``, the i-th values together) with the seeds ``seed, seed + 1, …`` (``replicates`` of
    them, the same for every point), and write one experiment directory under ``out``.

    Each case is audited (``by``: groupings, default hukou, migrant) and keeps the audit's rows
    (of ``metrics`` only, when given; time-series metric names there add their series); the run
    directories themselves only with ``keep_runs``. ``executor``: None (serial, or a process
    pool of ``workers``), ``"processes"``, ``"dask"`` (a LocalCluster of ``workers``), a
    scheduler address, an Executor or a ``distributed.Client``. ``resume`` continues the
    unfinished experiment of this same design. ``on_case(done, total, record)`` is called as
    each case finishes. Returns the :class:`Experiment` (``.results``, ``.design``, ``.path``).
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if not parameters:
        raise ValueError("nothing to sweep: give at least one parameter and its values")
    if method not in ("grid", "zip"):
        raise ValueError(f"a sweep's method is 'grid' or 'zip', not {method!r}")
    seeds = replicate_seeds(scenario.spec.world.seed if seed is None else seed, replicates)
    design = (zipped if method == "zip" else grid)(parameters, seeds)
    check_settings(scenario.spec, parameters, scenario.source)
    return run_design(
        scenario, design, population=population, days=days, until=until, by=by,
        metrics=metrics, out=out, keep_runs=keep_runs, resume=resume, workers=workers,
        executor=executor, scheduler=scheduler, on_case=on_case, kind="sweep",
    )  # fmt: skip


def run_design(
    scenario: Scenario,
    design: Design,
    *,
    population: int | None = None,
    days: int | None = None,
    until: dt.date | str | None = None,
    by: str | Sequence[str] | None = None,
    metrics: str | Sequence[str] | None = None,
    out: str | Path = "experiments",
    keep_runs: bool = False,
    resume: bool = False,
    workers: int = 1,
    executor: Executor | str | None = None,
    scheduler: str | None = None,
    on_case: OnCase | None = None,
    kind: str = "sweep",
    settings: Mapping[str, Any] | None = None,
    finish: Finish | None = None,
    evaluate_fn: Callable[[CaseTask], CaseResult] = evaluate,
) -> Experiment:
    """Run every case of ``design`` on ``scenario`` (each point's values overlaid as a reform)
    and write the experiment directory; see :func:`sweep` for the options.

    ``kind`` and ``settings`` (the method's own choices, part of the experiment's identity) name
    the experiment; ``finish(results, manifest)`` returns the files to write beside results.parquet (name →
    table) and entries for experiment.json, computed before the experiment is committed.
    ``evaluate_fn(task)`` runs one case (a module-level function, for other processes to find);
    the default simulates and audits it."""
    clock = time.perf_counter()
    options = run_options(scenario, population, days, until, out, False)
    start, end = horizon(scenario, days, options["until"])
    points = [design.scenario(scenario, p) for p in range(len(design.points))]
    measures = check_measures(scenario, by, metrics)
    n = population or scenario.spec.world.population.agents
    identity = {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "scenario": {
            "name": scenario.name,
            "hash": scenario.hash,
            "reforms_applied": list(scenario.reforms_applied),
        },  # fmt: skip
        "design": design.to_dict(),
        "population": n,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "measures": measures.to_dict(),
    }
    if settings is not None:
        identity[kind] = dict(settings)
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    name = f"{scenario.run_name}-{kind}-{digest[:8]}"
    out = Path(out)
    if resume:
        done_already = _resumable(out, name, identity)
        if done_already is not None:
            return done_already
    manifest = {
        **identity,
        "name": name,
        "hash": digest,
        "source": scenario.source,
        "versions": _versions(),
        "base_scenario": scenario.resolved(),
    }
    # The executor first: a cluster that cannot be reached leaves nothing behind.
    with opened_executor(executor, workers, scheduler=scheduler) as opened:
        writer = ExperimentWriter(out, name, manifest, resume=resume)
        try:
            path = _run_cases(writer, design, points, n, end, measures, keep_runs, opened,
                              on_case, manifest, resume, clock, finish, evaluate_fn)  # fmt: skip
        finally:
            writer.close()
    return Experiment(path)


def _run_cases(
    writer: ExperimentWriter,
    design: Design,
    points: Sequence[Scenario],
    n: int,
    end: dt.date,
    measures: Measures,
    keep_runs: bool,
    opened: Opened,
    on_case: OnCase | None,
    manifest: dict[str, Any],
    resume: bool,
    clock: float,
    finish: Finish | None,
    evaluate_fn: Callable[[CaseTask], CaseResult],
) -> Path:
    """The cases not finished yet, each stored as it finishes; then the whole experiment."""
    finished = writer.finished() if resume else {}
    records: dict[int, dict[str, Any]] = {k: r for k, (_, r) in finished.items()}
    tables: dict[int, pa.Table] = {k: t for k, (t, _) in finished.items()}
    seeds = len(design.seeds)
    todo = sorted((k for k in range(len(design)) if k not in finished),
                  key=lambda k: (k % seeds, k))  # a seed's cases together: one population  # fmt: skip
    tasks = [
        CaseTask(
            k,
            points[design.case(k)[0]],
            design.case(k)[1],
            n,
            end,
            measures,
            str(writer.runs_path) if keep_runs else None,
        )  # fmt: skip
        for k in todo
    ]

    def store(index: int, result: CaseResult) -> None:
        k = result.case
        point, seed = design.case(k)
        rows = _case_rows(design, k, result.rows)
        record = {"case": k, "point": point, "seed": seed, "worker": result.worker,
                  "timings": result.timings,
                  "run": f"{RUNS}/{Path(result.run).name}" if result.run else None}  # fmt: skip
        writer.add(k, rows, record)
        tables[k], records[k] = rows, record
        if on_case is not None:
            on_case(len(records), len(design), record)

    run_clock = time.perf_counter()
    run_tasks(evaluate_fn, tasks, opened, store)
    results = pa.concat_tables([tables[k] for k in range(len(design))])
    files: Mapping[str, pa.Table | str] = {}
    if finish is not None:
        analysis_clock = time.perf_counter()
        files, entries = finish(results, manifest)
        manifest.update(entries)
        manifest["analysis_s"] = round(time.perf_counter() - analysis_clock, 6)
    cases = [records[k] for k in range(len(design))]
    simulated = sum(c["timings"].get("simulate_s", 0.0) for c in cases)
    manifest.update(
        {
            "executor": opened.describe(),
            "cases": cases,
            "resumed": len(finished),
            "timings": {
                "total_s": round(time.perf_counter() - clock, 6),
                "cases_wall_s": round(time.perf_counter() - run_clock, 6),
                "simulate_s_sum": round(simulated, 6),
                "case_total_s_sum": round(sum(c["timings"]["total_s"] for c in cases), 6),
            },
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
    )
    return writer.commit(results, manifest, files)


def _case_rows(design: Design, case: int, rows: pa.Table) -> pa.Table:
    """A case's rows with its case, point, seed and parameter values in front."""
    point, seed = design.case(case)
    n = rows.num_rows
    columns = {
        "case": pa.array(np.full(n, case, dtype=np.int64)),
        "point": pa.array(np.full(n, point, dtype=np.int64)),
        "seed": pa.array(np.full(n, seed, dtype=np.int64)),
    }
    for path, value in design.overlay(point).items():
        columns[path] = pa.array([value] * n, pa.float64())
    for field in rows.schema:
        columns[field.name] = rows[field.name]
    return pa.table(columns)


def _resumable(out: Path, name: str, identity: Mapping[str, Any]) -> Experiment | None:
    """Check that there is this experiment to resume (None: go on with its partial folder); a
    complete one is returned as it is; anything else is an ExperimentError saying why."""
    for path, manifest in unfinished(out):
        if path.name == f".{name}.partial":
            check_version(manifest, path)
            theirs = (manifest.get("versions") or {}).get("scsim")
            if theirs != __version__:
                raise ExperimentError(
                    f"the unfinished experiment {path} was started by scsim {theirs}; this is "
                    f"scsim {__version__} — start it again without --resume"
                )
            return None
    if (out / name).is_dir():
        return Experiment(out / name)
    others = [
        (path, m) for path, m in unfinished(out)
        if (m.get("scenario") or {}).get("name") == identity["scenario"]["name"]
    ]  # fmt: skip
    if not others:
        raise ExperimentError(
            f"nothing to resume: no unfinished experiment in {out} — leave out --resume to "
            "start this one"
        )
    lines = [f"{path.name}: {_differences(identity, m)}" for path, m in others]
    raise ExperimentError(
        f"--resume continues an experiment of the same design, and none in {out} is: "
        + "; ".join(lines)
        + " — give the options it was started with, or leave out --resume to start this one"
    )


def _differences(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> str:
    """What differs between two experiments' identities, in words."""
    out = []
    pairs = [
        ("scenario", lambda d: (d.get("scenario") or {}).get("hash", "")[:8]),
        ("reforms", lambda d: (d.get("scenario") or {}).get("reforms_applied")),
        ("design", lambda d: (d.get("design") or {}).get("method")),
        ("parameters", lambda d: (d.get("design") or {}).get("parameters")),
        ("values", lambda d: (d.get("design") or {}).get("points")),
        ("seeds", lambda d: (d.get("design") or {}).get("seeds")),
        ("population", lambda d: d.get("population")),
        ("start", lambda d: d.get("start")),
        ("end", lambda d: d.get("end")),
        ("measures", lambda d: d.get("measures")),
        ("format", lambda d: d.get("format_version")),
    ]
    for label, get in pairs:
        a, b = get(mine), get(theirs)
        if a != b:
            out.append(f"{label} {_short(b)} there, {_short(a)} here")
    return ", ".join(out) or "the same design (started by another version?)"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _versions() -> dict[str, str]:
    import numba

    versions = {"scsim": __version__, "python": platform.python_version(),
                "numpy": np.__version__, "numba": numba.__version__,
                "pyarrow": pa.__version__}  # fmt: skip
    # from its metadata: importing Dask costs a serial sweep over half a second
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        versions["distributed"] = importlib.metadata.version("distributed")
    return versions
