"""Synthetic populations from published marginals (2020 census defaults), weighted."""

from scsim.population.census import PROVINCE_NAMES, PROVINCE_POPULATION
from scsim.population.synthesis import Population, concat, resolve_provinces, synthesize

__all__ = [
    "PROVINCE_NAMES",
    "PROVINCE_POPULATION",
    "Population",
    "concat",
    "resolve_provinces",
    "synthesize",
]
