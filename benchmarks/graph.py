"""Friendship-graph benchmark: build time, size and peak memory, and the per-epoch operations.

Synthesizes a population, builds its friendship graph (``scsim.population.graph``), then times
``neighbour_mean``, ``drop_ties`` and ``assortativity`` on it. A 1,000-citizen build first warms
numba's on-disk kernel cache, so compilation is not counted. Peak RSS is the whole process's
``ru_maxrss`` (population included); the graph's own share is printed separately, next to
``estimate_bytes``, and the graph's hash, which must not change with NUMBA_NUM_THREADS.
All populations are synthetic.

    .venv/bin/python benchmarks/graph.py [--population 10000000] [--seed 0]
        [--mean-degree 8] [--tail 2.5] [--max-degree 1000]

Targets at 10^7 citizens on 2 cores: build well under 30 s, peak memory well under 3 GB.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from scsim.population import synthesize
from scsim.population.graph import (
    Graph,
    assortativity,
    build_graph,
    drop_ties,
    estimate_bytes,
    neighbour_mean,
)

GB = 1e9
T = TypeVar("T")


def timed(function: Callable[..., T], *args: Any) -> tuple[tuple[float, float], T]:
    """(wall seconds, CPU seconds of this process, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return (time.perf_counter() - wall, time.process_time() - cpu), result


def seconds(wall_cpu: tuple[float, float]) -> str:
    return f"{wall_cpu[0]:.2f} s wall, {wall_cpu[1]:.2f} s CPU"


def peak_rss_bytes() -> int:
    """This process's peak resident set size (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _exercise(graph: Graph, income: np.ndarray) -> None:
    """Call each operation once with the benchmark's dtypes, so numba loads them beforehand."""
    adult = income > 0
    neighbour_mean(graph, income, adult)
    assortativity(graph, np.log1p(income), adult)
    drop_ties(graph, income, adult, 1.0, 0.5, 0, key=0)
    graph.degree()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mean-degree", type=float, default=8.0)
    parser.add_argument("--tail", type=float, default=2.5)
    parser.add_argument("--max-degree", type=int, default=1000)
    args = parser.parse_args()
    if args.population < 1:
        parser.error("--population must be >= 1")
    graph_options = dict(mean_degree=args.mean_degree, tail=args.tail, max_degree=args.max_degree)

    warm = synthesize(1_000, args.seed)
    _exercise(build_graph(args.seed, warm.province, warm.hukou_urban, warm.income), warm.income)

    synthesize_s, pop = timed(synthesize, args.population, args.seed)
    rss_before_graph = peak_rss_bytes()
    build_s, graph = timed(
        lambda: build_graph(args.seed, pop.province, pop.hukou_urban, pop.income, **graph_options)
    )
    rss_after_build = peak_rss_bytes()

    structure = hashlib.sha256(graph.indptr.tobytes() + graph.indices.tobytes()).hexdigest()
    degree = graph.degree()
    i, j = graph.edges()
    same_province = float(np.mean(pop.province[i] == pop.province[j]))
    same_hukou = float(np.mean(pop.hukou_urban[i] == pop.hukou_urban[j]))
    del i, j
    adult = pop.income > 0
    log_income = np.log1p(pop.income)
    rss_before_operations = peak_rss_bytes()

    neighbour_mean_s, (_, count) = timed(neighbour_mean, graph, pop.income, adult)
    assortativity_s, income_assortativity = timed(assortativity, graph, log_income, adult)
    # Earners drop, with probability 0.1, ties to anyone below the adults' 20th income percentile.
    threshold = float(np.quantile(pop.income[adult], 0.2))
    drop_ties_s, dropped = timed(drop_ties, graph, pop.income, adult, threshold, 0.1, 0, 1)

    rows = [
        ("population", f"{args.population:,}"),
        ("numba threads", os.environ.get("NUMBA_NUM_THREADS", "default")),
        ("synthesize", seconds(synthesize_s)),
        ("build_graph", seconds(build_s)),
        ("graph sha256 (same for any thread count)", structure[:16]),
        ("ties (undirected)", f"{len(graph.indices) // 2:,}"),
        (
            "mean / median / max degree",
            f"{degree.mean():.2f} / {np.median(degree):.0f} / {degree.max():,}",
        ),
        ("isolated citizens", f"{np.mean(degree == 0):.4%}"),
        ("same province / same hukou type", f"{same_province:.3f} / {same_hukou:.3f}"),
        ("log-income assortativity (adults)", f"{income_assortativity:.3f}"),
        ("graph bytes", f"{graph.nbytes() / GB:.3f} GB"),
        (
            "estimate_bytes (build peak)",
            f"{estimate_bytes(args.population, args.mean_degree) / GB:.3f} GB",
        ),
        ("peak RSS before graph", f"{rss_before_graph / GB:.3f} GB"),
        ("peak RSS after build", f"{rss_after_build / GB:.3f} GB"),
        ("peak RSS after edge statistics", f"{rss_before_operations / GB:.3f} GB"),
        ("neighbour_mean", f"{seconds(neighbour_mean_s)} ({np.count_nonzero(count):,} with data)"),
        ("assortativity", seconds(assortativity_s)),
        ("drop_ties (p=0.1)", f"{seconds(drop_ties_s)} ({int(dropped.sum()):,} ties dropped)"),
        ("peak RSS after operations", f"{peak_rss_bytes() / GB:.3f} GB"),
        ("load average (1 min)", f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
