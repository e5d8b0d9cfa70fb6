"""Run directories (writer, reader, DuckDB views) and the run summary."""

from scsim.results.store import (
    FORMAT_VERSION,
    IncompatibleRun,
    IncompleteRun,
    Run,
    RunError,
    RunNotFound,
    RunWriter,
    run_dir_name,
)
from scsim.results.summary import render_summary, summarize

__all__ = [
    "FORMAT_VERSION",
    "IncompatibleRun",
    "IncompleteRun",
    "Run",
    "RunError",
    "RunNotFound",
    "RunWriter",
    "render_summary",
    "run_dir_name",
    "summarize",
]
