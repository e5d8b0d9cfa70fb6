"""Run directories (writer, reader, DuckDB views), the engine outcome written as one, the run
summary and the formatting of numbers for people."""

from scsim.results.store import (
    FORMAT_VERSION,
    DamagedRun,
    IncompatibleRun,
    IncompleteRun,
    Run,
    RunError,
    RunNotFound,
    RunWriter,
    run_dir_name,
)
from scsim.results.summary import summarize

__all__ = [
    "FORMAT_VERSION",
    "DamagedRun",
    "IncompatibleRun",
    "IncompleteRun",
    "Run",
    "RunError",
    "RunNotFound",
    "RunWriter",
    "run_dir_name",
    "summarize",
]
