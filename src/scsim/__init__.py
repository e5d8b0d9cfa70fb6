"""scsim: a simulator and audit lab for social credit systems over synthetic populations.

scsim models people who do not exist. It reads scenario files and published aggregates only.

    import scsim
    sc = scsim.load("court-blacklist")
    run = scsim.simulate(sc, population=100_000, seed=7)
    scsim.audit(run).by_group("hukou")                  # or run.audit(by="hukou")
    run.query("select * from timeseries where metric = 'listed_share_adults'")
    run.to_pandas("timeseries")                         # every table also as pandas

In a notebook every object shows itself in one line and as a small HTML table; see
docs/notebook.ipynb.

The verbs (``load``, ``simulate``, ``replicate``, ``audit``, ``compare``, ``sweep``,
``sensitivity``, ``calibrate``, ``explain``, ``report``; see :mod:`scsim.api`) are imported on first use, so that ``import scsim`` (and the
command line's start) stays light until something heavy is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
VERBS = ("load", "simulate", "replicate", "audit", "compare", "sweep", "sensitivity", "calibrate",
         "explain", "report")  # fmt: skip
__all__ = ["Experiment", "Run", "Scenario", "audit", "calibrate", "compare", "explain", "load", "replicate",
           "report", "sensitivity", "simulate", "sweep", "__version__"]  # fmt: skip

if TYPE_CHECKING:
    from scsim.api import (
        Experiment,
        Run,
        Scenario,
        calibrate,
        compare,
        explain,
        load,
        replicate,
        sensitivity,
        simulate,
        sweep,
    )


def __getattr__(name: str) -> Any:
    if name in ("audit", "report"):  # the box's package, callable as the verb (core/verbs.py)
        return importlib.import_module(f"scsim.{name}")
    if name in ("Experiment", "Run", "Scenario", *VERBS):
        return getattr(importlib.import_module("scsim.api"), name)
    raise AttributeError(f"module 'scsim' has no attribute {name!r}")
