"""Self-contained HTML report of a run: findings in sentences, charts, sources, offline.

    from scsim.report import report  # or write_report: the same function
    path = report("runs/national-documented-…-s2014")              # → <run>/report.html
    path = report(base, out="compare.html", compare=reformed_run)  # with a comparison panel

The report is one HTML file with ECharts 4.9.0 and China's province outlines inside it; it makes
no network requests. Modules: ``data`` (what is read from the run), ``findings`` (sentences),
``charts`` (ECharts options), ``compare`` (the comparison panel), ``comparison`` (the page of a
paired comparison over replicate pairs, ``scsim compare … --report``), ``geo`` (province outlines),
``page`` (the HTML), ``write`` (checks and the atomic write); ``scsim report`` is in
``scsim.cli.report``.
"""

from __future__ import annotations

from scsim.core.verbs import make_callable
from scsim.report.write import ReportError, write_report

make_callable(__name__, "scsim.report.write", "write_report")  # scsim.report(run, ...)
report = write_report  # from scsim.report import report: the face's name for it

__all__ = ["ReportError", "report", "write_report"]
