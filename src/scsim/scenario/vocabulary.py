"""What each kind of expression in a scenario may read, as the expression language's types.

The names are declared on the ground floor (:mod:`scsim.core.vocabulary`); here they get their
types, so that the scenario box compiles every expression at load time
(:mod:`scsim.scenario.expressions`) and the mechanisms compile them again, with the same
vocabularies, when a run is prepared.

Two vocabularies besides the parameters: ``CITIZEN`` for rates and eligibility (evaluated over
whole arrays), and the status variables for measures and detection, whose conditions read only
small finite state and are compiled to lookup tables (see :mod:`scsim.mechanisms.measures`).
"""

from __future__ import annotations

import numpy as np

from scsim.core.vocabulary import (
    CELL_FLAGS,
    CITIZEN_ATTRIBUTES,
    N_CELLS,
    PROVINCE_NAMES,
    cell_domains,
)
from scsim.rules import Bool, Number, Ordinal
from scsim.scenario.schema import ScenarioSpec

BOOL = Bool()
NUM = Number()
PROVINCE = Ordinal(tuple(PROVINCE_NAMES))

_TYPES = {"bool": BOOL, "number": NUM, "province": PROVINCE}
CITIZEN = {name: _TYPES[kind] for name, kind in CITIZEN_ATTRIBUTES.items()}

# What a detection rule or a source's coverage reads: the place and the cell.
DETECTION_VARIABLES = {**{name: BOOL for name in CELL_FLAGS}, "province": PROVINCE}


def detection_grid() -> dict[str, np.ndarray]:
    """Every (province, cell) combination, as the arrays a detection rule reads."""
    n_prov = len(PROVINCE_NAMES)
    grid = {
        name: np.broadcast_to(v[None, :], (n_prov, N_CELLS)) for name, v in cell_domains().items()
    }
    grid["province"] = np.broadcast_to(np.arange(n_prov)[:, None], (n_prov, N_CELLS))
    return grid


def status_variables(
    grade_names: tuple[str, ...],
    list_names: tuple[str, ...] = (),
    composite: tuple[str, tuple[str, ...]] | None = None,
) -> dict:
    """What a measure's condition reads: the court list, the points scheme's grade, the cell,
    each black or red list and the composite score's band."""
    variables = {
        "listed": BOOL,
        "scored": BOOL,
        "grade": Ordinal(grade_names),
        **{name: BOOL for name in CELL_FLAGS},
        **{name: BOOL for name in list_names},
    }
    if composite is not None:
        variables[composite[0]] = Ordinal(composite[1])
    return variables


def status_names(spec: ScenarioSpec) -> tuple[tuple[str, ...], tuple[str, ...],
                                              tuple[str, tuple[str, ...]] | None]:  # fmt: skip
    """(grade names, list names, (composite name, band names) or None) of a scenario."""
    points = spec.points_scheme()
    grades = tuple(points[1].grades) if points else ("none",)
    composite = spec.composite()
    bands = (composite[0], tuple(composite[1].bands)) if composite else None
    return grades, tuple(spec.lists()), bands
