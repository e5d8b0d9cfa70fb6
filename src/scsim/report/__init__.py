"""Self-contained HTML report of a run: findings in sentences, charts, sources, offline.

    from scsim.report import write_report
    path = write_report("runs/national-documented-…-s2014")              # → <run>/report.html
    path = write_report(base, out="compare.html", compare=reformed_run)  # with a comparison panel

The report is one HTML file with ECharts 4.9.0 and China's province outlines inside it; it makes
no network requests. Modules: ``data`` (what is read from the run), ``findings`` (sentences),
``charts`` (ECharts options), ``compare`` (the comparison panel), ``geo`` (province outlines),
``page`` (the HTML), ``write`` (checks and the atomic write); ``scsim report`` is in
``scsim.cli.report``.
"""

from __future__ import annotations

from scsim import _callable_package
from scsim.report.write import ReportError, write_report

_callable_package(__name__)  # scsim.report(run, ...) is the face's verb (scsim.api.report)

__all__ = ["ReportError", "write_report"]
