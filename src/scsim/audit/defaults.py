"""The audit's defaults, in one place for the library and the command line (light to import)."""

from __future__ import annotations

from scsim.population.census import ADULT_AGE

DEFAULT_BY = ("hukou", "migrant")
DEFAULT_FAVOURABLE = "not listed"
DEFAULT_AMONG = f"age >= {ADULT_AGE}"
