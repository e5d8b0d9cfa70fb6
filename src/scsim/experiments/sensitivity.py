"""Global sensitivity analysis: SALib samples parameter ranges, each sample point is one case of
the experiment layer (common random numbers across points), SALib analyses the audit's values.

Work in progress (issue 11 item 4): the API below; not yet wired to the CLI or the face.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

METHODS = ("sobol", "morris", "fast")


def problem(ranges: Mapping[str, tuple[float, float]]) -> Any:
    """SALib's ProblemSpec over ``{path: (low, high)}``."""
    from SALib import ProblemSpec

    for path, (low, high) in ranges.items():
        if not low < high:
            raise ValueError(f"--param {path}: LOW ({low:g}) must be below HIGH ({high:g})")
    return ProblemSpec(
        {"names": list(ranges), "bounds": [list(map(float, b)) for b in ranges.values()]}
    )


def sample(spec: Any, method: str, samples: int, seed: int) -> np.ndarray:
    """The sample points SALib's sampler for ``method`` draws (rows: points)."""
    from SALib.sample import fast_sampler, morris, sobol

    if method == "sobol":
        if samples < 1 or samples & (samples - 1):
            nearest = 1 << max(0, round(np.log2(max(samples, 1))))
            raise ValueError(f"--samples for sobol must be a power of two (nearest: {nearest})")
        return sobol.sample(spec, samples, calc_second_order=True, seed=seed)
    if method == "morris":
        return morris.sample(spec, samples, seed=seed)
    if method == "fast":
        return fast_sampler.sample(spec, samples, seed=seed)
    raise ValueError(f"the method is one of {', '.join(METHODS)}, not {method!r}")


def analyse(spec: Any, method: str, x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, Any]:
    """SALib's analyser for ``method`` on outputs ``y`` of points ``x``."""
    from SALib.analyze import fast, morris, sobol

    if method == "sobol":
        return sobol.analyze(spec, y, calc_second_order=True, seed=seed)
    if method == "morris":
        return morris.analyze(spec, x, y, seed=seed)
    return fast.analyze(spec, y, seed=seed)


def indices_rows(
    names: Sequence[str], found: Mapping[str, Any], metric: str, group_by: str, group: str
) -> pa.Table:
    """SALib's result as tidy rows: metric, group_by, group, parameter, index, value."""
    rows: list[tuple[str, str, float]] = []
    for index, values in found.items():
        if index == "names":
            continue
        values = np.asarray(values, dtype=float)
        if values.ndim == 2:  # S2: parameter pairs
            for i, a in enumerate(names):
                for j in range(i + 1, len(names)):
                    rows.append((f"{a}:{names[j]}", index, float(values[i, j])))
        elif values.ndim == 1 and len(values) == len(names):
            rows.extend((name, index, float(v)) for name, v in zip(names, values, strict=True))
    n = len(rows)
    return pa.table({
        "metric": [metric] * n, "group_by": [group_by] * n, "group": [group] * n,
        "parameter": [r[0] for r in rows], "index": [r[1] for r in rows],
        "value": pa.array([r[2] for r in rows], pa.float64()),
    })  # fmt: skip
