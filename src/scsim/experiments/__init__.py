"""Experiments: cases (a scenario and a seed) → an executor → runs → one tidy table.

``simulate`` runs one scenario once; ``replicate`` one scenario over several seeds; ``compare``
two scenarios over the same seeds (common random numbers) and their paired differences. The
face (``scsim.simulate``, ``scsim.replicate``, ``scsim.compare``) calls these; nothing below this
box imports it.
"""

from scsim.experiments.executors import Case, SerialExecutor, process_pool, run_cases
from scsim.experiments.paired import checked_reform, compare
from scsim.experiments.replicates import replicate, replicate_seeds, replicate_summary
from scsim.experiments.run import simulate

__all__ = [
    "Case",
    "SerialExecutor",
    "checked_reform",
    "compare",
    "process_pool",
    "replicate",
    "replicate_seeds",
    "replicate_summary",
    "run_cases",
    "simulate",
]
