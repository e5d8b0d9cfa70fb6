"""scsim: a simulator and audit lab for social credit systems over synthetic populations.

scsim models people who do not exist. It reads scenario files and published aggregates only.

    import scsim
    sc = scsim.load("court-blacklist")
    run = scsim.simulate(sc, population=100_000, seed=7)
    scsim.audit(run).by_group("hukou")
    run.query("select * from timeseries where metric = 'listed_share_adults'")

The verbs (``load``, ``simulate``, ``replicate``, ``audit``, ``compare``, ``explain``,
``report``; see :mod:`scsim.api`) are imported on first use, so that ``import scsim`` (and the
command line's start) stays light until something heavy is needed.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
VERBS = ("load", "simulate", "replicate", "audit", "compare", "explain", "report")
__all__ = ["Run", "Scenario", "audit", "compare", "explain", "load", "replicate", "report",
           "simulate", "__version__"]  # fmt: skip

if TYPE_CHECKING:
    from scsim.api import Run, Scenario, compare, explain, load, replicate, simulate


class _VerbModule(types.ModuleType):
    """A box's package that is also the face's verb of the same name: ``scsim.audit(run)``
    calls :func:`scsim.api.audit`, while ``scsim.audit.metrics`` stays the module."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        verb = self.__name__.rpartition(".")[2]
        return getattr(importlib.import_module("scsim.api"), verb)(*args, **kwargs)


def _callable_package(name: str) -> None:
    """Make the package ``name`` (being imported) callable as the verb of its last name."""
    sys.modules[name].__class__ = _VerbModule


def __getattr__(name: str) -> Any:
    if name in ("audit", "report"):  # the box's package, callable as the verb
        return importlib.import_module(f"scsim.{name}")
    if name in ("Run", "Scenario", *VERBS):
        return getattr(importlib.import_module("scsim.api"), name)
    raise AttributeError(f"module 'scsim' has no attribute {name!r}")
