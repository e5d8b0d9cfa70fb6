"""Experimental designs: design points (a value for each parameter) × seeds → cases.

Every experiment — a sweep, a sensitivity analysis, a calibration — is a :class:`Design`: the
parameters (dotted paths), the points (one value per parameter each: the value for the whole
run, or, for a parameter in ``scale``, a factor on each of its dated values), the seeds, and how
the points were chosen. Every point runs with the same seeds (common random
numbers), so two points of one seed differ only by what their parameters change. Case ``k`` is
point ``k // len(seeds)`` with seed ``seeds[k % len(seeds)]``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scsim.scenario.model import Scenario, setting_text, value_text

Value = float | None


class DesignError(ValueError):
    """A design that cannot be run (no values, --zip lists of unequal lengths, …)."""


@dataclass(frozen=True)
class Design:
    """The cases of an experiment: ``points`` × ``seeds``, over ``parameters``."""

    method: str  # how the points were chosen: "grid", "zip", "sobol", "morris", "fast", "lhs"
    parameters: tuple[str, ...]
    points: tuple[tuple[Value, ...], ...]
    seeds: tuple[int, ...]
    scale: tuple[str, ...] = ()  # parameters whose point values are factors on their dated values

    def __post_init__(self) -> None:
        # 30 and 30.0 are one value (and one digest)
        points = tuple(tuple(None if v is None else float(v) for v in p) for p in self.points)
        object.__setattr__(self, "points", points)
        if not self.parameters:
            raise DesignError("a design needs at least one parameter")
        if not self.points or not self.seeds:
            raise DesignError("a design needs at least one point and one seed")
        if any(len(p) != len(self.parameters) for p in self.points):
            raise DesignError("every design point needs one value per parameter")
        if not set(self.scale) <= set(self.parameters):
            raise DesignError("a scaled parameter must be one of the design's parameters")

    def __len__(self) -> int:
        return len(self.points) * len(self.seeds)

    def case(self, k: int) -> tuple[int, int]:
        """(point, seed) of case ``k``."""
        return k // len(self.seeds), self.seeds[k % len(self.seeds)]

    def overlay(self, point: int) -> dict[str, Value]:
        """The ``{path: value}`` changes of a point (a reform overlay)."""
        return dict(zip(self.parameters, self.points[point], strict=True))

    def describe(self, point: int) -> str:
        return ", ".join(
            f"{path}=x{value_text(v)}" if path in self.scale else setting_text(path, v)
            for path, v in self.overlay(point).items()
        )

    def scenario(self, base: Scenario, point: int) -> Scenario:
        """The scenario of a point: ``base`` with its values set (each for the whole run) and
        its factors applied to their parameters' dated values."""
        overlay = self.overlay(point)
        values = {k: v for k, v in overlay.items() if k not in self.scale}
        factors = {k: v for k, v in overlay.items() if k in self.scale}
        scenario = base.reform(values) if values else base
        return scenario.scaled(factors) if factors else scenario

    def to_dict(self) -> dict[str, Any]:
        out = {
            "method": self.method,
            "parameters": list(self.parameters),
            "points": [list(p) for p in self.points],
            "seeds": list(self.seeds),
            "cases": len(self),
        }
        if self.scale:  # absent for designs of values only (their digests stay as they were)
            out["scale"] = list(self.scale)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Design:
        return cls(
            str(data["method"]),
            tuple(data["parameters"]),
            tuple(tuple(p) for p in data["points"]),
            tuple(int(s) for s in data["seeds"]),
            tuple(data.get("scale", ())),
        )

    def digest(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def grid(values: Mapping[str, Sequence[Value]], seeds: Sequence[int]) -> Design:
    """Every combination of the values (full factorial), the first parameter varying slowest."""
    _check_values(values)
    points = tuple(itertools.product(*(tuple(v) for v in values.values())))
    return Design("grid", tuple(values), points, tuple(seeds))


def zipped(values: Mapping[str, Sequence[Value]], seeds: Sequence[int]) -> Design:
    """The i-th value of every parameter together: lists of one length."""
    _check_values(values)
    lengths = {path: len(v) for path, v in values.items()}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{path}: {n}" for path, n in lengths.items())
        raise DesignError(
            f"--zip pairs the i-th values of every --set, so their lists must be of one length "
            f"(got {listing}) — give equal lists, or --grid for every combination"
        )
    points = tuple(zip(*(tuple(v) for v in values.values()), strict=True))
    return Design("zip", tuple(values), points, tuple(seeds))


def _check_values(values: Mapping[str, Sequence[Value]]) -> None:
    if not values:
        raise DesignError("nothing to sweep: give at least one --set PATH=V1,V2,…")
    for path, v in values.items():
        if isinstance(v, str | bytes) or not isinstance(v, Sequence):
            raise DesignError(f"{path}: give a list of values, not {v!r}")
        if not v:
            raise DesignError(f"{path}: the list of values is empty")
