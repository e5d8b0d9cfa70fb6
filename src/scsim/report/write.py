"""Writing a report: open the runs, check them, gather, render, and write the file atomically."""

from __future__ import annotations

import os
import time
from pathlib import Path

from scsim.core.files import write_text_atomic
from scsim.report import charts as charts_module
from scsim.report import findings as findings_module
from scsim.report.compare import check_comparable
from scsim.report.compare import compare as compare_runs
from scsim.report.data import ReportError, gather, scenario_of
from scsim.report.page import render
from scsim.results.store import Run, refuse_run_file

DEFAULT_NAME = "report.html"
MAX_BYTES = 5_000_000  # the limit for one report


def _open(run: Run | str | os.PathLike[str]) -> Run:
    return run if isinstance(run, Run) else Run(run)


def _list_label(run: Run) -> str:
    """How the run's court list reads in a sentence."""
    scenario = scenario_of(run)
    court = scenario.court_list() if scenario is not None else None
    label = court[1].label.split(" (")[0] if court is not None else ""
    if label:
        return "the " + label[0].lower() + label[1:]
    return "the list"


def _side_name(run: Run, other: Run) -> str:
    """How a sentence names a run of the comparison: its scenario (with its reforms), and its
    seed where both runs are of the same scenario."""
    reforms = ", ".join(run.manifest.get("reforms_applied") or [])
    name = run.name + (f" (reform {reforms})" if reforms else "")
    same = run.name == other.name and run.manifest.get("reforms_applied") == other.manifest.get(
        "reforms_applied"
    )
    return f"{name}, seed {run.seed}" if same else name


def _target(out: str | os.PathLike[str] | None, run: Run) -> Path:
    """The output file, checked before any work is done."""
    path = run.path / DEFAULT_NAME if out is None else refuse_run_file(out)
    if path.is_dir():
        raise ReportError(f"--out {path} is a directory; give a file name such as report.html")
    if not path.parent.is_dir():
        raise ReportError(f"cannot write {path}: the folder {path.parent} does not exist")
    return path


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place, so that a
    failure never leaves a half-written report."""
    return write_text_atomic(path, text)


def write_report(
    run: Run | str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    compare: Run | str | os.PathLike[str] | None = None,
) -> Path:
    """Write the HTML report of ``run`` (default ``<run>/report.html``); with ``compare``, add a
    panel of differences against that second run of the same population. Returns the path.

    Raises :class:`scsim.results.RunError` for a run that is missing, incomplete or from another
    format version, and :class:`ReportError` for runs that cannot be compared or a bad ``out``.
    """
    clock = time.perf_counter()
    base_run = _open(run)
    alt_run = _open(compare) if compare is not None else None
    notes = check_comparable(base_run, alt_run) if alt_run is not None else []
    path = _target(out, base_run)
    base = gather(base_run)
    comparison = None
    comparison_findings: list[findings_module.Finding] = []
    if alt_run is not None:
        comparison = compare_runs(base, gather(alt_run), notes)
        comparison_findings = findings_module.comparison(
            comparison.rows, _side_name(base_run, alt_run), _side_name(alt_run, base_run)
        )
    findings = findings_module.findings(
        base.metrics,
        base.audit.calibration,
        list_label=_list_label(base_run),
        spec=scenario_of(base_run),
    )
    charts = charts_module.charts(base, comparison)
    text = render(base, charts, findings, comparison, comparison_findings,
                  seconds=time.perf_counter() - clock)  # fmt: skip
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise ReportError(
            f"the report would be {size / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:g} MB limit"
        )
    return write_atomic(path, text)


__all__ = ["ReportError", "write_atomic", "write_report"]
