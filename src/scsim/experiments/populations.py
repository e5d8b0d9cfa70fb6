"""Synthetic populations reused across the cases of an experiment, in each worker process.

A run's population and friendship graph depend only on the scenario's ``world.population``
section, the agent count, the seed and the start year (:func:`scsim.engine.simulate.
synthesize_world`), so the cases of a sweep that share a seed share them. Each process keeps the
last few it built and hands every run copies of the arrays a run changes (hukou conversions and
moves change the population, tie drops the graph's ``active``); copying costs a memcpy, while
synthesis costs a pass of draws per citizen (and the graph a build).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from scsim.engine.simulate import available_bytes, synthesize_world
from scsim.mechanisms import behaviour
from scsim.mechanisms.behaviour import EventPlan, Heterogeneity
from scsim.population import Population
from scsim.population.graph import Graph
from scsim.scenario.schema import ScenarioSpec

KEEP = 4  # populations kept per process
SHARE_OF_MEMORY = 0.25  # at most this share of the free memory held by kept populations


@dataclass
class _Kept:
    population: Population
    graph: Graph | None
    nbytes: int


class Populations:
    """The populations one process has built, by what makes them: call it as the engine calls
    ``synthesize_world``."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.kept: OrderedDict[str, _Kept] = OrderedDict()
        self.built = self.reused = 0
        self.multipliers: OrderedDict[tuple, Heterogeneity] = OrderedDict()

    def __call__(
        self, spec: ScenarioSpec, n: int, seed: int, start: dt.date
    ) -> tuple[Population, Graph | None]:
        key = population_key(spec, n, seed, start)
        kept = self.kept.get(key)
        if kept is None:
            population, graph = synthesize_world(spec, n, seed, start)
            self.built += 1
            nbytes = population.nbytes() + (graph_bytes(graph) if graph is not None else 0)
            if nbytes > SHARE_OF_MEMORY * available_bytes():
                return population, graph  # too big to keep a second copy of
            kept = _Kept(population, graph, nbytes)
            self.kept[key] = kept
            while len(self.kept) > self.keep:
                self.kept.popitem(last=False)
        else:
            self.reused += 1
            self.kept.move_to_end(key)
        return _copy(kept.population), _copy_graph(kept.graph)

    def heterogeneity(self, plan: EventPlan, seed: int, citizens: np.ndarray) -> Heterogeneity:
        """The rate multipliers of :func:`behaviour.heterogeneity`, drawn once per seed, size and
        distributions (a run only reads them, so every run that shares these gets the same
        arrays; the draws at 10^5 agents cost about as much as the audit's grouped sums)."""
        laws = tuple((k, e.heterogeneity.model_dump_json()) for k, e in enumerate(plan.events)
                     if e.heterogeneity is not None)  # fmt: skip
        key = (seed, citizens.size, laws)  # (a run's citizens are 0 … n-1)
        kept = self.multipliers.get(key)
        if kept is None:
            kept = behaviour.heterogeneity(plan, seed, citizens)
            if kept.rows.nbytes > SHARE_OF_MEMORY * available_bytes() / (2 * self.keep):
                return kept
            self.multipliers[key] = kept
            while len(self.multipliers) > self.keep:
                self.multipliers.popitem(last=False)
        else:
            self.multipliers.move_to_end(key)
        return kept


def population_key(spec: ScenarioSpec, n: int, seed: int, start: dt.date) -> str:
    """What a population is a function of, hashed."""
    section = spec.world.population.model_dump(mode="json", exclude={"agents"})
    text = json.dumps([section, n, seed, start.year], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def graph_bytes(graph: Graph) -> int:
    return graph.indptr.nbytes + graph.indices.nbytes + graph.active.nbytes


def _copy(population: Population) -> Population:
    arrays = {name: array.copy() for name, array in population.arrays().items()}
    return Population(**arrays, weight=population.weight)


def _copy_graph(graph: Graph | None) -> Graph | None:
    # indptr and indices never change after the build; only ``active`` does.
    if graph is None:
        return None
    return Graph(graph.indptr, graph.indices, graph.active.copy())


POPULATIONS = Populations()  # this process's
