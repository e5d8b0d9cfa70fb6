"""The names a scenario may use, declared once for every box: provinces, the citizen attributes
expressions read (with their kind), the cell flags, the consequences of an event and the
composite score's inputs.

Kinds are plain words here ("bool", "number", "province"); the scenario box turns them into the
expression language's types (``scsim.scenario.vocabulary``), and the mechanisms compute the arrays
behind the names (``scsim.mechanisms.attributes``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# --- Provinces -------------------------------------------------------------------------------
# The 31 provincial-level divisions, by their 2020 census resident population, largest first
# (population/census.py holds the figures and their sources, in this order). The index into this
# tuple is the uint8 province code used everywhere in scsim, so the order must never change.
PROVINCE_NAMES: tuple[str, ...] = (
    "Guangdong", "Shandong", "Henan", "Jiangsu", "Sichuan", "Hebei", "Hunan", "Zhejiang",
    "Anhui", "Hubei", "Guangxi", "Yunnan", "Jiangxi", "Liaoning", "Fujian", "Shaanxi", "Guizhou",
    "Shanxi", "Chongqing", "Heilongjiang", "Xinjiang", "Gansu", "Shanghai", "Jilin",
    "Inner Mongolia", "Beijing", "Tianjin", "Hainan", "Ningxia", "Qinghai", "Tibet",
)  # fmt: skip
N_PROVINCES = len(PROVINCE_NAMES)
PROVINCE_INDEX: dict[str, int] = {name: i for i, name in enumerate(PROVINCE_NAMES)}

# --- Cells -----------------------------------------------------------------------------------
# Attributes that define a citizen's "cell": five booleans packed into one uint8.
CELL_FLAGS = ("urban", "hukou_urban", "migrant", "minority", "has_child")
N_CELLS = 1 << len(CELL_FLAGS)


def cell_domains() -> dict[str, np.ndarray]:
    """The value of each cell flag for cell codes 0..N_CELLS-1."""
    codes = np.arange(N_CELLS)
    return {name: ((codes >> bit) & 1).astype(bool) for bit, name in enumerate(CELL_FLAGS)}


# --- Citizen attributes ----------------------------------------------------------------------
# What rates, eligibility and the schemes' rules may read of a citizen, and its kind.
CITIZEN_ATTRIBUTES: dict[str, str] = {
    "age": "number",
    "male": "bool",
    "urban": "bool",
    "hukou_urban": "bool",
    "migrant": "bool",
    "interprovincial": "bool",
    "minority": "bool",
    "has_child": "bool",
    "income": "number",
    "wealth": "number",
    "debt": "number",
    "employment": "number",
    "education": "number",
    "province": "province",
    # state kept by the mechanisms (engine.stages.Stages.variables), as at the last epoch's end
    "residence_years": "number",
    "local_hukou": "bool",
    "listed": "bool",
    "blacklisted": "bool",
    "red_listed": "bool",
    "red_share": "number",
    "user": "bool",
    "score": "number",
    "friends": "number",
}


class Range(NamedTuple):
    """The values a number attribute can take: low to high, whole numbers only if ``whole``.

    Expressions are proven finite over these ranges at load time (``scsim.rules.interval``), so
    each is what the engine can hold or what its mechanism keeps it within, never a guess at
    what is typical."""

    low: float
    high: float
    whole: bool = False
    why: str = "by its declared range"  # how the range is known, for messages


FLOAT32_MAX = 3.4028234663852886e38  # money is float32 in the engine: nothing larger is held
INT16_MAX = 32_767  # points and the composite score are int16 in the engine
# Citizens are at most 100 at synthesis (population.census.MAX_AGE) and age during a horizon of
# at most 32,000 days (scenario.schema.MAX_DAYS): under 88 more years.
MAX_AGE_IN_RUN = 188
_MONEY = Range(0.0, FLOAT32_MAX, why="never negative, at most the engine's float32 bound")
ATTRIBUTE_RANGES: dict[str, Range] = {
    "age": Range(0, MAX_AGE_IN_RUN, whole=True, why="100 at most at synthesis, plus the horizon"),
    "income": _MONEY,
    "wealth": _MONEY,
    "debt": _MONEY,
    "employment": Range(0, 3, whole=True, why="its four tiers"),
    "education": Range(0, 2, whole=True, why="its three levels"),
    "residence_years": Range(0, MAX_AGE_IN_RUN, whole=True, why="at most the age"),
    "red_share": Range(0.0, 1.0, why="a share"),
    "score": Range(0, INT16_MAX, whole=True, why="the engine's int16 bound"),
    "friends": Range(0, 2_000_000_000, whole=True, why="at most the population"),
}
assert set(ATTRIBUTE_RANGES) == {k for k, v in CITIZEN_ATTRIBUTES.items() if v == "number"}

# Attributes that change during a run; rates reading them are re-evaluated every year, other
# rules every epoch.
DYNAMIC = frozenset(
    {
        "age", "income", "wealth", "debt", "province", "interprovincial", "migrant",
        "hukou_urban", "residence_years", "local_hukou", "listed", "blacklisted", "red_listed",
        "red_share", "user", "score", "friends",
    }
)  # fmt: skip

# Attributes that never change during a run, and those that change only at a year's start (age,
# residence years) or for a citizen who moves or obtains a local hukou: a rule reading only these
# need not be asked again of anyone else within a year (see ``attributes.follows_residence``).
STATIC = frozenset({"male", "urban", "minority", "has_child", "employment", "education"})
RESIDENCE = frozenset(
    {"age", "residence_years", "local_hukou", "migrant", "interprovincial", "hukou_urban",
     "province"}
)  # fmt: skip

# --- Events ----------------------------------------------------------------------------------
# what an event leads to; the last two are ticket purchases that a measure may block (its `blocks`)
CONSEQUENCES = ("none", "fine", "judgment", "move", "air_ticket", "rail_ticket")
# The travel modes a measure may block, in the order of their ticket consequences above.
TRAVEL_MODES = ("air", "rail")

# --- The composite score's inputs ------------------------------------------------------------
RECORDS = "records."  # records.<event kind>: the citizen's records of that kind
FRIENDS = ("friends.score", "friends.count")


def input_names(kinds: tuple[str, ...]) -> list[str]:
    """Every name a composite term may read, given the scenario's event kinds."""
    own = {"province", "score", "user"}  # a score does not feed on itself
    return [*(v for v in CITIZEN_ATTRIBUTES if v not in own), *(RECORDS + k for k in kinds),
            *FRIENDS]  # fmt: skip


# --- Citizen columns --------------------------------------------------------------------------
class ColumnType(NamedTuple):
    """What a citizens.parquet column holds, as the audit's expressions read it: a flag
    ("bool"), a number, or a category with its levels in code order. Each mechanism declares
    its columns' types from the scenario (``column_types``), so that an audit's options can be
    checked before any run."""

    kind: str
    levels: tuple[str, ...] = ()


FLAG = ColumnType("bool")
NUMBER = ColumnType("number")


def category(levels) -> ColumnType:
    """A categorical column with ``levels`` (its codes' labels, in order)."""
    return ColumnType("category", tuple(levels))
