"""Experiments: cases (a scenario and a seed) → an executor → runs → one tidy table.

``simulate`` runs one scenario once; ``replicate`` one scenario over several seeds; ``compare``
two scenarios over the same seeds (common random numbers) and their paired differences;
``sweep`` a grid of parameter values × seeds into an experiment directory (``run_design`` is
its path for any :class:`Design`); ``sensitivity`` SALib's points over parameter ranges, then
SALib's indices of every audit value; ``calibrate`` the points of free parameters whose runs land
within every calibration target, and ``findings`` any experiment's audit values over its
(accepted) points × seeds. The face (``scsim.simulate``, ``scsim.replicate``,
``scsim.compare``, ``scsim.sweep``) calls these; nothing below this box imports it.
"""

from scsim.experiments.calibrate import calibrate
from scsim.experiments.design import Design, DesignError, grid, zipped
from scsim.experiments.executors import (
    Case,
    SerialExecutor,
    opened_executor,
    process_pool,
    run_cases,
    run_tasks,
)
from scsim.experiments.findings import findings
from scsim.experiments.paired import checked_reform, compare
from scsim.experiments.replicates import replicate, replicate_seeds, replicate_summary
from scsim.experiments.run import simulate
from scsim.experiments.sensitivity import sensitivity
from scsim.experiments.store import Experiment, ExperimentError
from scsim.experiments.sweep import run_design, sweep

__all__ = [
    "Case",
    "calibrate",
    "Design",
    "DesignError",
    "Experiment",
    "ExperimentError",
    "SerialExecutor",
    "checked_reform",
    "compare",
    "findings",
    "grid",
    "opened_executor",
    "process_pool",
    "replicate",
    "replicate_seeds",
    "replicate_summary",
    "run_cases",
    "run_design",
    "run_tasks",
    "sensitivity",
    "simulate",
    "sweep",
    "zipped",
]
