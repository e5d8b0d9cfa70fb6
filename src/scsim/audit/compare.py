"""Pairs of runs: runs paired by seed, and the paired differences B − A of their audit metrics
with percentile bootstrap intervals.

:func:`paired` audits every run of two equally long lists of runs (:func:`scsim.audit.metrics.
audit`) and reports, for each metric row, the mean of A, the mean of B, the mean paired
difference B − A and a bootstrap interval over the replicate pairs (:func:`paired_bootstrap`).
Running the scenarios of a comparison is the experiments' job (:func:`scsim.compare`).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from scsim.audit.metrics import SWITCH, AuditError, AuditTable, audit, switches
from scsim.audit.tidy import TidyTable
from scsim.results import Run
from scsim.results.format import fmt_num
from scsim.scenario.model import Scenario

COLUMNS = ("metric", "category", "group_by", "group", "a", "b", "difference", "ci_low",
           "ci_high", "replicates")  # fmt: skip
KEY = ("metric", "category", "group_by", "group")
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 20_131_001  # fixed: the same runs always give the same intervals
CONFIDENCE = 0.95


class CompareError(ValueError):
    """Two sides cannot be compared as asked (different populations, unpaired seeds, …)."""


# --------------------------------------------------------------------------------------------
# Paired bootstrap


def paired_bootstrap(
    differences: Any,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the mean paired difference, for each row of
    ``differences`` (rows: metrics, columns: the R replicate pairs).

    The pairs are resampled with replacement: resample i takes the pairs
    ``numpy.random.Generator(PCG64(seed)).integers(0, R, (resamples, R))[i]`` (the same resamples
    for every row, so rows stay comparable), and the interval is the (1 − confidence) / 2 and
    (1 + confidence) / 2 quantiles (linear interpolation) of the resampled means. Fewer than two
    pairs, or a NaN among a row's differences, give NaN.
    """
    d = np.asarray(differences, dtype=np.float64)
    d = d[None, :] if d.ndim == 1 else d
    k, r = d.shape
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, got {confidence}")
    nan = np.full(k, np.nan)
    if r < 2 or k == 0:
        return nan, nan.copy()
    picks = np.random.Generator(np.random.PCG64(seed)).integers(0, r, size=(resamples, r))
    # How often each pair was drawn, per resample: the resampled means are one matrix product.
    offsets = (picks + r * np.arange(resamples)[:, None]).ravel()
    counts = np.bincount(offsets, minlength=resamples * r).reshape(resamples, r)
    means = d @ counts.T.astype(np.float64) / r
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha], axis=1)
    bad = np.isnan(d).any(axis=1)
    low[bad] = np.nan
    high[bad] = np.nan
    return low, high


# --------------------------------------------------------------------------------------------
# Comparison


@dataclass(repr=False)
class Comparison(TidyTable):
    """Paired differences B − A of every audit metric row, with bootstrap intervals.

    ``table`` has the columns :data:`COLUMNS`; ``a`` and ``b`` are means over the replicates,
    ``difference`` the mean paired difference, ``ci_low``/``ci_high`` its interval (NaN with one
    replicate). ``identical`` says, per row, whether every pair gave exactly the same value.
    """

    runs_a: list[Run]
    runs_b: list[Run]
    identical: list[bool] = field(default_factory=list)

    VALUE: ClassVar[str] = "difference"
    COLUMNS: ClassVar[tuple[str, ...]] = COLUMNS

    def describe(self) -> list[tuple[str, Any]]:
        a, b = self.info.get("a") or {}, self.info.get("b") or {}
        return [
            ("a", _side_name(a)),
            ("b", _side_name(b)),
            ("replicates", self.info.get("replicates")),
        ]

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data (NaN as None)."""
        rows = [
            {**r, "identical": same} for r, same in zip(self.records(), self.identical, strict=True)
        ]
        return {**self.info, "columns": list(COLUMNS), "notes": list(self.notes), "metrics": rows}


def _is_run_path(value: Any) -> bool:
    return isinstance(value, str | os.PathLike) and (Path(value) / "manifest.json").is_file()


def run_set(value: Any) -> list[Run] | None:
    """The runs ``value`` names (a Run, a run directory, a folder of one scenario's runs, or a
    sequence of those), or None when it names a scenario."""
    if isinstance(value, Run):
        return [value]
    if isinstance(value, Scenario):
        return None
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [run for item in value for run in (run_set(item) or [_not_a_run(item)])]
    if not isinstance(value, str | os.PathLike):
        raise CompareError(f"cannot compare a {type(value).__name__}: give a scenario or runs")
    path = Path(value)
    if _is_run_path(path):
        return [Run(path)]
    if path.is_dir() and not (path / "scenario.yaml").is_file():
        inside = sorted(p for p in path.iterdir() if _is_run_path(p))
        if inside:
            return _one_scenario([Run(p) for p in inside], path)
    return None


def _not_a_run(item: Any) -> Run:
    raise CompareError(f"{item}: not a run directory (a list given to compare holds runs only)")


def _one_scenario(runs: list[Run], folder: Path) -> list[Run]:
    """The runs of a folder, which must all be of one scenario (one hash)."""
    kinds: dict[str, list[Run]] = {}
    for run in runs:
        kinds.setdefault(f"{run.name}-{run.hash8}", []).append(run)
    if len(kinds) > 1:
        listing = ", ".join(f"{k} ×{len(v)}" for k, v in kinds.items())
        raise CompareError(
            f"{folder} holds runs of {len(kinds)} scenarios ({listing}) — give one run "
            "directory, or a folder holding one scenario's runs (scsim run … --replicates R "
            "--out FOLDER)"
        )
    return sorted(runs, key=lambda run: run.seed or 0)


def _run_world(run: Run) -> dict[str, Any]:
    world = (run.manifest.get("scenario") or {}).get("world") or {}
    provinces = (world.get("population") or {}).get("provinces")
    horizon = run.manifest.get("horizon") or {}
    return {
        "agents": run.population.get("n_agents"),
        "provinces": sorted(provinces) if provinces else None,
        "real_population": run.population.get("real_population"),
        "start": horizon.get("start"),
        "end": horizon.get("end"),
    }


WORLD_LABELS = {
    "agents": "agents",
    "provinces": "provinces",
    "real_population": "real population",
    "start": "start date",
    "end": "end date",
}


def check_same_world(a: dict[str, Any], b: dict[str, Any], a_name: str, b_name: str) -> None:
    """Refuse two sides whose synthetic populations or horizons differ (nothing would pair)."""
    differ = [key for key in WORLD_LABELS if a[key] != b[key]]
    if not differ:
        return

    def show(key: str, value: Any) -> str:
        if key == "provinces":
            return "all provinces" if value is None else ", ".join(value)
        if key == "real_population":
            return "the census default" if value is None else fmt_num(value)
        if key == "agents":
            return fmt_num(value)
        return str(value)

    parts = "; ".join(f"{WORLD_LABELS[k]}: A {show(k, a[k])}, B {show(k, b[k])}" for k in differ)
    hint = " — pass --population N to run both at the same size" if differ == ["agents"] else ""
    raise CompareError(
        f"cannot compare {a_name} with {b_name}: a paired comparison needs the same synthetic "
        f"population and horizon, and these differ ({parts}){hint}"
    )


def pair_by_seed(runs_a: list[Run], runs_b: list[Run]) -> tuple[list[Run], list[Run]]:
    """Existing runs paired by seed; every seed must be on both sides, once."""
    sides = []
    for label, runs in (("A", runs_a), ("B", runs_b)):
        seeds = [run.seed for run in runs]
        twice = sorted({s for s in seeds if seeds.count(s) > 1})
        if twice:
            raise CompareError(f"{label} holds more than one run with seed {twice[0]}")
        sides.append({run.seed: run for run in runs})
    only_a, only_b = sorted(set(sides[0]) - set(sides[1])), sorted(set(sides[1]) - set(sides[0]))
    if only_a or only_b:
        raise CompareError(
            "runs are paired by seed, and these have no partner: "
            + "; ".join(
                f"{label} seed(s) {', '.join(map(str, seeds))}"
                for label, seeds in (("A", only_a), ("B", only_b))
                if seeds
            )
        )
    seeds = sorted(sides[0])
    pairs_a, pairs_b = [sides[0][s] for s in seeds], [sides[1][s] for s in seeds]
    for run_a, run_b in zip(pairs_a, pairs_b, strict=True):
        check_same_world(_run_world(run_a), _run_world(run_b), str(run_a.path), str(run_b.path))
    return pairs_a, pairs_b


def paired(
    runs_a: list[Run],
    runs_b: list[Run],
    by: Any,
    options: Mapping[str, Any],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
) -> Comparison:
    """Audit every run and pair the metric rows by replicate (the lists in pair order)."""
    clock = time.perf_counter()
    options = dict(options)
    first = audit(runs_a[0], by=by, **options)
    options["reference"] = dict(first.info.get("reference") or {})  # given, or first A run's
    audits_a = [first] + [audit(run, by=by, **options) for run in runs_a[1:]]
    audits_b = [audit(run, by=by, **options) for run in runs_b]
    audit_s = time.perf_counter() - clock
    tables = [_values(t) for t in (*audits_a, *audits_b)]
    r = len(runs_a)
    notes = []
    # A metric one side has in every run and the other in none (its mechanism is absent
    # there): compared with zero, and said so. Rows in only some runs stay out.
    zeroed = _absent_is_zero(tables[:r], tables[r:])
    if zeroed:
        sides = {side: sorted({k[0] for k, s in zeroed.items() if s == side}) for side in "AB"}
        said = "; ".join(f"{', '.join(m)} absent in {side}" for side, m in sides.items() if m)
        notes.append(
            f"{len(zeroed)} metric row(s) of a mechanism only one side has are compared with "
            f"zero on the other ({said})"
        )
    keys = [k for k in dict.fromkeys(k for t in tables for k in t) if all(k in t for t in tables)]
    left_out = sorted({k[0] for t in tables for k in t} - {k[0] for k in keys})
    partial = len({k for t in tables for k in t}) - len(keys)
    if partial:
        notes.append(
            f"{partial} metric row(s) left out: not in every run of both sides (a group with no "
            "members, a metric one scenario lacks)"
            + (f"; metrics absent altogether: {', '.join(left_out)}" if left_out else "")
        )
    a = np.array([[t[k] for t in tables[:r]] for k in keys], dtype=np.float64).reshape(-1, r)
    b = np.array([[t[k] for t in tables[r:]] for k in keys], dtype=np.float64).reshape(-1, r)
    d = b - a
    with np.errstate(invalid="ignore"):
        identical = ((d == 0) | (np.isnan(a) & np.isnan(b))).all(axis=1)
    # who switches: per pair, the share hit only in A (spared by B) and only in B (newly hit)
    moved = _switched(runs_a, runs_b, by, notes)
    if moved:
        keys += list(moved)
        only_a = np.array([v[0] for v in moved.values()], dtype=np.float64).reshape(-1, r)
        only_b = np.array([v[1] for v in moved.values()], dtype=np.float64).reshape(-1, r)
        a, b = np.vstack([a, only_a]), np.vstack([b, only_b])
        d = np.vstack([d, only_b - only_a])
        identical = np.concatenate([identical, ((only_a == 0) & (only_b == 0)).all(axis=1)])
    low, high = paired_bootstrap(d, resamples=resamples, seed=seed, confidence=confidence)
    if r < 2:
        notes.append(
            "intervals need replicates: with one pair only the point difference is shown "
            "(use --replicates 10 or more for intervals you can rely on)"
        )
    elif r < 10:
        notes.append(
            f"with {r} replicate pairs the bootstrap intervals are rough (and too narrow); "
            "10 or more pairs give steadier ones"
        )
    columns = list(zip(*keys, strict=True)) if keys else [[], [], [], []]
    table = pa.table(
        {
            **{
                name: pa.array(list(col), pa.string())
                for name, col in zip(KEY, columns, strict=True)
            },
            "a": pa.array(a.mean(axis=1), pa.float64()),
            "b": pa.array(b.mean(axis=1), pa.float64()),
            "difference": pa.array(d.mean(axis=1), pa.float64()),
            "ci_low": pa.array(low, pa.float64()),
            "ci_high": pa.array(high, pa.float64()),
            "replicates": pa.array(np.full(len(keys), r), pa.int64()),
        }
    )
    side = [_side_info(runs) for runs in (runs_a, runs_b)]
    info = {
        "a": side[0],
        "b": side[1],
        "replicates": r,
        "by": list(first.info.get("by") or []),
        "favourable": first.info.get("favourable"),
        "among": first.info.get("among"),
        "reference": dict(options.get("reference") or {}),
        "n_agents": first.info.get("n_agents"),
        "weight": first.info.get("weight"),
        "horizon": runs_a[0].manifest.get("horizon"),
        "intervals": (
            f"{_percent(confidence)} percentile bootstrap of the mean paired difference B − A over "
            f"{r} replicate pairs ({resamples:,} resamples, seed {seed})"
            if r > 1
            else "none: one replicate pair"
        ),
        "confidence": confidence,
        "audit_s": audit_s,
        # the outcomes that hurt by their labels, of both sides
        "outcomes": {
            **(audits_b[0].info.get("outcomes") or {}),
            **(first.info.get("outcomes") or {}),
        },  # fmt: skip
        # metric → category → its label, of both sides (what the terminal prints)
        "category_labels": _with_switches(_merged_labels(audits_b[0].info, first.info)),
        # (metric, category) compared with zero on the side whose runs lack the mechanism
        "compared_with_zero": [
            {"metric": m, "category": c, "absent_in": side}
            for (m, c), side in dict.fromkeys(((k[0], k[1]), side) for k, side in zeroed.items())
        ],
    }
    notes += [n for n in first.notes if "reference group" not in n]
    notes += [
        f"{grouping}: reference group '{group}' (fixed for every run)"
        for grouping, group in info["reference"].items()
    ]
    return Comparison(table, runs_a, runs_b, identical.tolist(), notes=notes, info=info)


def _switched(
    runs_a: list[Run], runs_b: list[Run], by: Any, notes: list[str]
) -> dict[tuple[str, str, str, str], tuple[list[float], list[float]]]:
    """``switched_share`` rows in every pair: key → (only in A per pair, only in B per pair).
    Two sides that do not hold the same citizens (another population) give none, and a note."""
    per_pair = []
    for run_a, run_b in zip(runs_a, runs_b, strict=True):
        try:
            per_pair.append(switches(run_a, run_b, by))
        except AuditError as err:
            notes.append(f"who switches is not shown: {err}")
            return {}
    keys = [k for k in per_pair[0] if all(k in pair for pair in per_pair)]
    return {k: ([p[k][0] for p in per_pair], [p[k][1] for p in per_pair]) for k in keys}


# Rows that mean nothing as 0 when their mechanism is absent: ratios and flags of two rates
# (0 / 0), a target's simulated value, the correlation of scores no one has, the quantiles of
# days on a list no one is on, a mean over the listed when no one is.
NOT_ZERO = frozenset({"adverse_ratio", "adverse_four_fifths", "disparate_impact_ratio",
                      "four_fifths", "calibration", "calibration_within",
                      "score_assortativity", "days_listed_quantile",
                      "blocked_attempts_per_listed"})  # fmt: skip


def _absent_is_zero(
    side_a: list[dict[tuple, float]], side_b: list[dict[tuple, float]]
) -> dict[tuple, str]:
    """Fill in 0 (in place) for each row that every run of one side has and whose metric and
    category (an outcome, a sanction, an event kind: a mechanism's) no run of the other side
    has at all; return those rows and the side they were absent from ("A" or "B")."""
    filled: dict[tuple, str] = {}
    for present, absent, name in ((side_a, side_b, "B"), (side_b, side_a, "A")):
        everywhere = set.intersection(*(set(t) for t in present))
        there = {k[:2] for t in absent for k in t}  # (metric, category) the other side has
        for key in sorted(k for k in everywhere if k[:2] not in there and k[0] not in NOT_ZERO):
            for t in absent:
                t[key] = 0.0
            filled[key] = name
    return filled


def _merged_labels(*infos: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The audits' ``category_labels``, merged (the later ones win)."""
    out: dict[str, dict[str, str]] = {}
    for info in infos:
        for metric, labels in (info.get("category_labels") or {}).items():
            out.setdefault(metric, {}).update(labels)
    return out


def _with_switches(labels: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The labels, with those of the outcomes that hurt for the rows of who switches."""
    return {**labels, SWITCH: dict(labels.get("adverse_rate") or {})}


def _percent(share: float) -> str:
    return f"{share * 100:g}%"


def _values(result: AuditTable) -> dict[tuple[str, str, str, str], float]:
    t = result.table
    columns = [t.column(c).to_pylist() for c in (*KEY, "value")]
    return {
        tuple(row[:4]): (math.nan if row[4] is None else row[4])
        for row in zip(*columns, strict=True)
    }  # type: ignore[misc]


def _side_name(side: Mapping[str, Any]) -> str:
    """A side's scenario and its reforms, as the repr names it."""
    reforms = ", ".join(side.get("reforms_applied") or [])
    return f"{side.get('scenario')}" + (f" ({reforms})" if reforms else "")


def _side_info(runs: Sequence[Run]) -> dict[str, Any]:
    first = runs[0]
    return {
        "scenario": first.name,
        "scenario_hash": first.scenario_hash,
        "reforms_applied": list(first.manifest.get("reforms_applied") or []),
        "runs": [str(run.path) for run in runs],
    }


__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "COLUMNS",
    "CONFIDENCE",
    "CompareError",
    "Comparison",
    "check_same_world",
    "pair_by_seed",
    "paired",
    "paired_bootstrap",
    "run_set",
]
