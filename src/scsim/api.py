"""The face: every verb of scsim, each the function of the box that does the work.

    sc = scsim.load("court-blacklist")                  # scenario/
    run = scsim.simulate(sc, population=100_000)        # experiments/ (engine, results)
    runs = scsim.replicate(sc, 5, population=100_000)   # experiments/
    scsim.audit(run).by_group("hukou")                  # audit/
    scsim.compare(sc, reform="longer-grace", replicates=5, population=100_000)  # experiments/
    scsim.sweep(sc, {"schemes.court.grace_days": [0, 30, 90]}, replicates=5)  # experiments/
    scsim.sensitivity(sc, {"schemes.court.grace_days": (0, 90)}, method="sobol").indices
    scsim.calibrate(sc, {"schemes.court.list_probability": (0.3, 0.9)}).accepted  # experiments/
    scsim.explain(run, pick="listed and wrongful")      # audit/
    scsim.report(run)                                   # report/

The functions are the boxes' own (no wrapper repeats their signatures). ``scsim.audit`` and
``scsim.report`` are also the packages of those boxes; calling the package calls the verb (see
``scsim/core/verbs.py``), and ``from scsim.audit import audit`` / ``from scsim.report import
report`` give the functions. A run has the verbs about one run as methods: ``run.audit()``,
``run.report()``, ``run.summary()`` (what ``scsim show`` prints).
"""

from __future__ import annotations

from scsim.audit.explain import explain
from scsim.audit.metrics import audit
from scsim.experiments import (
    Experiment,
    calibrate,
    compare,
    replicate,
    sensitivity,
    simulate,
    sweep,
)
from scsim.report.write import write_report as report
from scsim.results import Run
from scsim.scenario.model import Scenario, load

__all__ = [
    "Experiment",
    "Run",
    "Scenario",
    "audit",
    "calibrate",
    "compare",
    "explain",
    "load",
    "replicate",
    "report",
    "sensitivity",
    "simulate",
    "sweep",
]
