"""scsim: a simulator and audit lab for social credit systems over synthetic populations.

scsim models people who do not exist. It reads scenario files and published aggregates only.

    import scsim
    sc = scsim.load("court-blacklist")
    run = scsim.simulate(sc, population=100_000, seed=7)
    run.query("select * from timeseries where metric = 'listed_share_adults'")
"""

__version__ = "0.1.0"

from scsim.api import Run, Scenario, load, simulate  # noqa: E402

__all__ = ["Run", "Scenario", "load", "simulate", "__version__"]
