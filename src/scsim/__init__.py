"""scsim: a simulator and audit lab for social credit systems over synthetic populations.

scsim models people who do not exist. It reads scenario files and published aggregates only.

    import scsim
    sc = scsim.load("court-blacklist")
    run = scsim.simulate(sc, population=100_000, seed=7)
    run.query("select * from timeseries where metric = 'listed_share_adults'")

The names below are imported on first use, so that ``import scsim`` (and the command line's
start) stays light until something heavy is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["Run", "Scenario", "load", "simulate", "__version__"]

if TYPE_CHECKING:
    from scsim.api import Run, Scenario, load, simulate


def __getattr__(name: str):
    if name in ("Run", "Scenario", "load", "simulate"):
        return getattr(importlib.import_module("scsim.api"), name)
    raise AttributeError(f"module 'scsim' has no attribute {name!r}")
