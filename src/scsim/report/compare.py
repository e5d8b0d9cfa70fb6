"""The comparison panel: differences of key metrics between a run and a second run.

Two runs are comparable when they simulate the same population (same number of agents standing
for the same number of people). The panel shows, per metric and group, ``second − first`` of the
two runs' audits. When both runs use the same seed (a scenario and its reform, say) they share
their random draws — common random numbers — and this is the paired difference that
``scsim compare`` computes for one pair of runs; otherwise it is a simple difference of two
independent runs. Either way the 95% interval comes from the two runs' own intervals
(Newcombe's method), which treats the runs as independent samples: for a pair with common random
numbers it is conservative, and the sharper paired interval needs replicates
(``scsim compare --replicates R``, ``scsim.audit.compare``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scsim.audit.frame import difference_interval
from scsim.report.data import HUKOU_MIGRANT, Metrics, ReportError, RunData
from scsim.results.format import compact
from scsim.results.store import Run

# Metrics compared (every category of each), and the groupings shown besides 'all'.
METRICS = (
    "listing_rate",
    "ever_listed_rate",
    "wrongful_listing_share",
    "wrongful_record_rate",
    "poverty_trap_share",
    "listed_year_or_more_share",
    "days_listed_per_adult",
    "sanction_share",
    "reward_share",
    "list_share",
    "rights_lacking_share",
    "scored_share",
    "composite_user_share",
)
GROUPINGS = ("all", "hukou", "migrant", HUKOU_MIGRANT)
SIMPLE = "simple difference of two independent runs"
PAIRED = "paired difference of one pair of runs with common random numbers"


@dataclass
class Comparison:
    """Differences (alt − base) of key metrics, overall and by group."""

    base_label: str
    alt_label: str
    method: str
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-9)


def check_comparable(base: Run, alt: Run) -> list[str]:
    """Raise ReportError unless the runs simulate the same population; a note when they cover
    different periods."""
    if base.path.resolve() == alt.path.resolve():
        raise ReportError(f"--compare names the same run as RUN ({base.path}); give another run")
    a, b = base.population, alt.population
    if not _same(a.get("n_agents"), b.get("n_agents")) or not _same(
        a.get("real_population"), b.get("real_population")
    ):
        raise ReportError(
            f"cannot compare runs of different populations: {base.path} has "
            f"{compact(a.get('n_agents'))} agents standing for {compact(a.get('real_population'))}"
            f" people, {alt.path} has {compact(b.get('n_agents'))} agents standing for "
            f"{compact(b.get('real_population'))} — run both with the same --population"
        )
    notes = []
    h1, h2 = base.manifest.get("horizon") or {}, alt.manifest.get("horizon") or {}
    if (h1.get("start"), h1.get("end")) != (h2.get("start"), h2.get("end")):
        notes.append(
            f"The runs cover different periods ({h1.get('start')}–{h1.get('end')} and "
            f"{h2.get('start')}–{h2.get('end')}); their end-of-run values are compared as they are."
        )
    return notes


def _label(data: RunData) -> str:
    return f"{data.run.name} ({data.run.hash8}, seed {data.run.seed})"


def simple_differences(base: Metrics, alt: Metrics) -> list[dict[str, Any]]:
    """``alt − base`` of every compared metric and group present in both audits."""
    rows = []
    for metric in METRICS:
        for category in base.categories(metric):
            for by in GROUPINGS:
                for b in base.groups(metric, by, category):
                    a = alt.get(metric, b.group, by=by, category=category)
                    if a is None:
                        continue
                    low = high = math.nan
                    if a.has_interval and b.has_interval:
                        lo, hi = difference_interval(
                            np.float64(a.value), a.low, a.high, b.value, b.low, b.high
                        )
                        low, high = float(lo), float(hi)
                    rows.append(
                        {
                            "metric": metric,
                            "category": category,
                            "group_by": by,
                            "group": b.group,
                            "base": b.value,
                            "alt": a.value,
                            "diff": a.value - b.value,
                            "low": low,
                            "high": high,
                        }
                    )
    return rows


def compare(base: RunData, alt: RunData, notes: list[str] | None = None) -> Comparison:
    """The comparison panel's data: second − first for every compared metric and group."""
    paired = base.run.seed is not None and base.run.seed == alt.run.seed
    out_notes = list(notes or [])
    if paired:
        method = PAIRED
        out_notes.append(
            "Both runs use the same seed, so they share their random draws (common random "
            "numbers) and each difference is the paired difference of this one pair of runs. "
            "Its interval treats the runs as independent samples (Newcombe) and is wider than a "
            "paired interval, which needs replicates: scsim compare --replicates R."
        )
    else:
        method = SIMPLE
        out_notes.append(
            "The runs use different seeds: each difference is a simple difference of two "
            "independent runs, with Newcombe's interval for independent samples."
        )
    rows = simple_differences(base.metrics, alt.metrics)
    return Comparison(_label(base), _label(alt), method, rows, out_notes)


__all__ = ["Comparison", "check_comparable", "compare", "simple_differences"]
