"""Synthetic citizens drawn from the census marginals in :mod:`scsim.population.census`.

Citizen ``i``'s attributes are a pure function of ``(seed, i)`` (and the province restriction):
every attribute is drawn with the counter-based ``uniform_np`` / ``normal_np`` on
``Stream.POPULATION`` with its own fixed counter. So a population does not depend on its size or on
how it is split into shards, and shards concatenate to the whole bit for bit.

Generative order (each step conditions only on earlier ones): resident province → age → sex →
floating status (age × province; inter-provincial more likely in the coastal receivers) → hukou
province (inter-provincial migrants come mostly from populous inland provinces) → urban residence
→ urban hukou → minority (by hukou province) → child in household → employment tier → income →
liquid wealth → debt. The conditional rates are calibrated in ``census`` so that the national
marginals hold in expectation.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np

from scsim.core.rng import Stream, normal_np, uniform_np
from scsim.core.vocabulary import N_PROVINCES, PROVINCE_INDEX
from scsim.population import census as c

CHUNK = 1 << 18  # citizens per block: bounds the float64 temporaries to a few tens of MB
GUIDE_BINS = 1 << 16  # resolution of the inverse-CDF guide tables


class Draw(IntEnum):
    """The counter of each attribute's draw. Never renumber: it would change every population."""

    PROVINCE = 0
    AGE = 1
    SEX = 2
    FLOATING = 3
    ORIGIN = 4
    URBAN = 5
    HUKOU_URBAN = 6
    MINORITY = 7
    HAS_CHILD = 8
    EMPLOYED = 9
    TIER = 10
    INCOME = 11
    HAND_TO_MOUTH = 12
    SAVINGS = 13
    HAS_DEBT = 14
    DEBT = 15
    EDUCATION = 16
    RESIDENCE = 17


# Income groups: rows of the income and tier tables.
G_URBAN_HUKOU, G_URBAN_HUKOU_MIGRANT, G_RURAL_MIGRANT, G_RURAL_URBAN, G_RURAL_RURAL = range(5)

_TIER_SHARES = np.array(
    [
        c.TIER_SHARES["urban_hukou"],
        c.TIER_SHARES["urban_hukou"],
        c.TIER_SHARES["rural_migrant"],
        c.TIER_SHARES["rural_urban_resident"],
        c.TIER_SHARES["rural_rural_resident"],
    ]
)
_TIER_CDF = np.cumsum(_TIER_SHARES, axis=1)[:, :2]  # thresholds between tiers 1|2 and 2|3

# Mean monthly income of the employed by [group, tier]; column 0 (no job) is unused here.
_INCOME_MEAN = np.zeros((5, 4))
_INCOME_MEAN[G_URBAN_HUKOU, 1:] = c.INCOME_URBAN_HUKOU
_INCOME_MEAN[G_URBAN_HUKOU_MIGRANT, 1:] = (
    np.array(c.INCOME_URBAN_HUKOU) * c.INCOME_URBAN_HUKOU_MIGRANT_FACTOR
)
_INCOME_MEAN[G_RURAL_MIGRANT, 1:] = c.INCOME_RURAL_MIGRANT
_INCOME_MEAN[G_RURAL_URBAN, 1:] = c.INCOME_RURAL_NONMIGRANT
_INCOME_MEAN[G_RURAL_RURAL, 1:] = c.INCOME_RURAL_NONMIGRANT


def _cdf(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A CDF ending at exactly 1 and its guide table (Chen & Asau 1974 indexed search)."""
    cdf = np.cumsum(weights / weights.sum())
    cdf[-1] = 1.0
    guide = np.searchsorted(cdf, np.arange(GUIDE_BINS) / GUIDE_BINS, side="right")
    return cdf, guide


def _inverse_cdf(table: tuple[np.ndarray, np.ndarray], u: np.ndarray) -> np.ndarray:
    """The category of each u in [0, 1): ``searchsorted(cdf, u, "right")``, three times faster."""
    cdf, guide = table
    k = guide[(u * GUIDE_BINS).astype(np.intp)]
    while True:  # each bin holds few CDF steps, so this loops once or twice
        step = cdf[k] <= u
        if not step.any():
            return k
        k += step


_AGE_TABLE = _cdf(c.AGE_PMF)


def _origin_cdf() -> np.ndarray:
    """Per resident province, the CDF over hukou provinces of its inter-provincial migrants."""
    cdf = np.cumsum(c.ORIGIN_GIVEN_RESIDENCE, axis=1)
    for row, weights in zip(cdf, c.ORIGIN_GIVEN_RESIDENCE, strict=True):
        # From the last province with weight on, exactly 1: a draw u < 1 can never select a
        # trailing zero-weight province (the migrant's own) through rounding.
        row[np.flatnonzero(weights)[-1] :] = 1.0
    return cdf


_ORIGIN_CDF = _origin_cdf()


@dataclass(eq=False)
class Population:
    """A synthetic population as a struct of arrays; citizen ``i`` is index ``i``."""

    province: np.ndarray  # uint8, index into census.PROVINCE_NAMES — where the citizen lives
    hukou_province: np.ndarray  # uint8 — where the hukou is registered
    hukou_urban: np.ndarray  # bool — urban (non-agricultural) hukou
    urban: np.ndarray  # bool — lives in an urban area
    migrant: np.ndarray  # bool — floating: lives away from the hukou place (inter- or intra-prov.)
    birth_year: np.ndarray  # int16
    sex: np.ndarray  # uint8, 0 female 1 male
    minority: np.ndarray  # bool
    has_child: np.ndarray  # bool — an adult with a child under 18 in the household
    income: np.ndarray  # float32, yuan per month (0 for minors; pensions for the retired)
    wealth: np.ndarray  # float32, liquid assets in yuan
    debt: np.ndarray  # float32, outstanding consumer/mortgage debt in yuan
    employment: np.ndarray  # uint8 tier: 0 none, 1 informal, 2 formal private, 3 public sector
    education: np.ndarray  # uint8: 0 primary or less, 1 secondary, 2 tertiary (adults; 0 minors)
    moved_in: np.ndarray  # int16, the year the citizen came to live where they live
    weight: float  # real persons represented by one agent

    def __len__(self) -> int:
        return int(self.province.shape[0])

    def age(self, year: int) -> np.ndarray:
        """Age (int16) reached in ``year``."""
        return (np.int16(year) - self.birth_year).astype(np.int16)

    def arrays(self) -> dict[str, np.ndarray]:
        """The per-citizen arrays by field name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "weight"}

    def nbytes(self) -> int:
        """Memory held by the per-citizen arrays."""
        return sum(a.nbytes for a in self.arrays().values())


def concat(parts: Sequence[Population]) -> Population:
    """Join shards (in citizen order) into one population; their weights must agree."""
    if not parts:
        raise ValueError("concat needs at least one population")
    weights = {p.weight for p in parts}
    if len(weights) > 1:
        raise ValueError(f"shards have different weights {sorted(weights)}")
    joined = {name: np.concatenate([p.arrays()[name] for p in parts]) for name in parts[0].arrays()}
    return Population(**joined, weight=parts[0].weight)


def resolve_provinces(provinces: Iterable[str] | str | None) -> np.ndarray:
    """Province codes (sorted, unique) for names; None means all. Unknown names raise ValueError."""
    if provinces is None:
        return np.arange(N_PROVINCES)
    names = [provinces] if isinstance(provinces, str) else list(provinces)
    if not names:
        raise ValueError("the province list is empty; omit it to use all 31 provinces")
    codes = []
    for name in names:
        if name not in PROVINCE_INDEX:
            close = difflib.get_close_matches(str(name), c.PROVINCE_NAMES, n=1, cutoff=0.6)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise ValueError(
                f"unknown province '{name}'{hint} (known: {', '.join(sorted(c.PROVINCE_NAMES))})"
            )
        codes.append(PROVINCE_INDEX[name])
    return np.unique(codes)


def synthesize(
    n: int,
    seed: int,
    *,
    year: int = 2013,
    provinces: Sequence[str] | None = None,
    real_population: float | None = None,
    start: int = 0,
    total: int | None = None,
) -> Population:
    """Citizens ``start .. start+n-1`` of a synthetic population living in ``provinces``.

    ``real_population`` defaults to the 2020 census population of those provinces; each agent
    stands for ``real_population / total`` persons, where ``total`` (default ``n``) is the size of
    the whole population when this call makes one shard of it.
    """
    if n < 1:
        raise ValueError(f"a population needs at least 1 citizen, got {n}")
    if start < 0:
        raise ValueError(f"start must be >= 0, got {start}")
    total = n if total is None else total
    if total < n:
        raise ValueError(f"total ({total}) is smaller than the shard ({n})")
    selected = resolve_provinces(provinces)
    if real_population is None:
        real_population = float(c.PROVINCE_POPULATION[selected].sum())
    if not real_population > 0:
        raise ValueError(f"real_population must be positive, got {real_population}")
    province_table = _cdf(c.POPULATION_SHARE[selected])

    pop = Population(
        province=np.empty(n, np.uint8),
        hukou_province=np.empty(n, np.uint8),
        hukou_urban=np.empty(n, bool),
        urban=np.empty(n, bool),
        migrant=np.empty(n, bool),
        birth_year=np.empty(n, np.int16),
        sex=np.empty(n, np.uint8),
        minority=np.empty(n, bool),
        has_child=np.empty(n, bool),
        income=np.empty(n, np.float32),
        wealth=np.empty(n, np.float32),
        debt=np.empty(n, np.float32),
        employment=np.empty(n, np.uint8),
        education=np.empty(n, np.uint8),
        moved_in=np.empty(n, np.int16),
        weight=float(real_population) / total,
    )
    out = pop.arrays()
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        idx = np.arange(start + lo, start + hi, dtype=np.uint64)
        for name, values in _block(seed, idx, year, selected, province_table).items():
            out[name][lo:hi] = values
    return pop


def _block(
    seed: int,
    idx: np.ndarray,
    year: int,
    selected: np.ndarray,
    province_table: tuple[np.ndarray, np.ndarray],
) -> dict[str, np.ndarray]:
    """All attributes of the citizens ``idx`` (vectorised; see the module docstring for order)."""

    def u(draw: Draw) -> np.ndarray:
        return uniform_np(seed, Stream.POPULATION, idx, int(draw))

    def normal(draw: Draw, who: np.ndarray) -> np.ndarray:
        return normal_np(seed, Stream.POPULATION, who, int(draw))

    province = selected[_inverse_cdf(province_table, u(Draw.PROVINCE))]
    age = _inverse_cdf(_AGE_TABLE, u(Draw.AGE))
    male = u(Draw.SEX) < c.MALE_SHARE

    # One draw decides floating status and its kind: u < a·inter ⇒ inter-provincial,
    # a·inter <= u < a·(inter + intra) ⇒ intra-provincial, where a is the age factor.
    u_float = u(Draw.FLOATING)
    age_factor = c.MIGRATION_AGE_FACTOR[age]
    inter = u_float < age_factor * c.INTERPROVINCIAL_RATE[province]
    migrant = u_float < age_factor * c.FLOATING_RATE[province]

    hukou_province = province.copy()
    movers = np.flatnonzero(inter)
    if movers.size:
        u_origin = uniform_np(seed, Stream.POPULATION, idx[movers], int(Draw.ORIGIN))
        cdf = _ORIGIN_CDF[province[movers]]
        hukou_province[movers] = (cdf <= u_origin[:, None]).sum(axis=1)

    urban = u(Draw.URBAN) < np.where(migrant, c.MIGRANT_URBAN_SHARE, c.NONMIGRANT_URBAN[province])
    p_hukou_urban = np.where(
        migrant,
        np.where(urban, c.MIGRANT_URBAN_HUKOU_IF_URBAN, c.MIGRANT_URBAN_HUKOU_IF_RURAL),
        np.where(urban, c.NONMIGRANT_URBAN_HUKOU_IF_URBAN, c.RURAL_RESIDENT_URBAN_HUKOU),
    )
    hukou_urban = u(Draw.HUKOU_URBAN) < p_hukou_urban
    minority = u(Draw.MINORITY) < c.MINORITY_RATE[hukou_province]

    adult = age >= c.ADULT_AGE
    rural_migrant = migrant & ~hukou_urban
    p_child = c.HAS_CHILD_RATE[age] * np.where(rural_migrant, c.MIGRANT_HAS_CHILD_FACTOR, 1.0)
    has_child = adult & (u(Draw.HAS_CHILD) < p_child)

    # Employment: working age by sex-specific retirement; rural farmers work on past it.
    retired = age >= np.where(male, c.RETIREMENT_AGE_MALE, c.RETIREMENT_AGE_FEMALE)
    working_age = adult & ~retired
    u_employed = u(Draw.EMPLOYED)
    p_employed = np.where(
        age < c.STUDENT_AGE_END,
        c.EMPLOYED_STUDENT_AGE,
        np.where(male, c.EMPLOYED_MALE, c.EMPLOYED_FEMALE),
    )
    employed = working_age & (u_employed < p_employed)
    group = np.where(
        hukou_urban,
        np.where(migrant, G_URBAN_HUKOU_MIGRANT, G_URBAN_HUKOU),
        np.where(migrant, G_RURAL_MIGRANT, np.where(urban, G_RURAL_URBAN, G_RURAL_RURAL)),
    )
    old_farmer = (
        (group == G_RURAL_RURAL)
        & retired
        & (age < c.RURAL_OLD_WORKING_UNTIL)
        & (u_employed < c.RURAL_OLD_WORKING)
    )
    tier = 1 + (_TIER_CDF[group] <= u(Draw.TIER)[:, None]).sum(axis=1)
    employment = np.where(
        employed, tier, np.where(old_farmer, c.EMPLOYMENT_INFORMAL, c.EMPLOYMENT_NONE)
    ).astype(np.uint8)

    # Money is drawn only for those who have it (adults; debtors), each at its own counter, so a
    # citizen's draws stay a function of (seed, index) alone.
    money = np.zeros((3, idx.size), dtype=np.float32)  # income, wealth, debt
    ad = np.flatnonzero(adult)
    a_idx, a_group, a_age, a_hu = idx[ad], group[ad], age[ad], hukou_urban[ad]
    a_employment, a_retired = employment[ad], retired[ad]
    working = a_employment > 0
    pension = np.where(a_hu, c.PENSION_URBAN_HUKOU, c.PENSION_RURAL_HUKOU)
    mean_income = (
        np.where(
            working,
            _INCOME_MEAN[a_group, a_employment],
            np.where(a_retired, pension, c.INCOME_NOT_EMPLOYED),
        )
        * c.INCOME_LEVEL[province[ad]]
    )
    sigma = np.where(
        working,
        c.INCOME_SIGMA_EMPLOYED,
        np.where(a_retired, c.INCOME_SIGMA_PENSION, c.INCOME_SIGMA_NOT_EMPLOYED),
    )
    income = mean_income * np.exp(sigma * normal(Draw.INCOME, a_idx) - 0.5 * np.square(sigma))

    # Liquid wealth in months of income: a hand-to-mouth share holds under half a month (reusing
    # its uniform, which is uniform on [0, 1) again once divided by the share), the rest a
    # log-normal number of months.
    p_htm = np.where(a_hu, c.HAND_TO_MOUTH_URBAN_HUKOU, c.HAND_TO_MOUTH_RURAL_HUKOU)
    u_htm = uniform_np(seed, Stream.POPULATION, a_idx, int(Draw.HAND_TO_MOUTH))
    months = 0.5 * u_htm / p_htm
    savers = np.flatnonzero(u_htm >= p_htm)
    median_months = np.where(
        a_age[savers] >= 60, c.SAVINGS_MONTHS_MEDIAN_OLD, c.SAVINGS_MONTHS_MEDIAN
    )
    months[savers] = median_months * np.exp(
        c.SAVINGS_MONTHS_SIGMA * normal(Draw.SAVINGS, a_idx[savers])
    )

    p_debt = np.where(
        a_age >= 65,
        c.DEBT_SHARE_OLD,
        np.where(a_hu, c.DEBT_SHARE_URBAN_HUKOU, c.DEBT_SHARE_RURAL_HUKOU),
    )
    debtors = np.flatnonzero(
        uniform_np(seed, Stream.POPULATION, a_idx, int(Draw.HAS_DEBT)) < p_debt
    )
    debt_months = c.DEBT_MONTHS_MEDIAN * np.exp(
        c.DEBT_MONTHS_SIGMA * normal(Draw.DEBT, a_idx[debtors])
    )
    # Education by hukou type and age band; floating residents arrived some years ago.
    band = np.searchsorted(c.EDUCATION_AGE_BANDS, age, side="right") - 1
    shares = np.array([c.EDUCATION_SHARES[False], c.EDUCATION_SHARES[True]])  # [hukou, band, 2]
    cum = np.cumsum(shares, axis=2)[hukou_urban.astype(np.intp), np.maximum(band, 0)]
    u_edu = u(Draw.EDUCATION)
    education = np.where(adult, (cum <= u_edu[:, None]).sum(axis=1), 0).astype(np.uint8)
    stay = -c.MIGRANT_RESIDENCE_YEARS_MEAN * np.log1p(-u(Draw.RESIDENCE))
    moved_in = np.where(migrant, year - np.minimum(np.floor(stay), age), year - age)

    money[0, ad] = income
    money[1, ad] = income * months
    money[2, ad[debtors]] = np.maximum(income[debtors], c.DEBT_INCOME_FLOOR) * debt_months
    income, wealth, debt = money

    return {
        "province": province,
        "hukou_province": hukou_province,
        "hukou_urban": hukou_urban,
        "urban": urban,
        "migrant": migrant,
        "birth_year": year - age,
        "sex": male,
        "minority": minority,
        "has_child": has_child,
        "income": income,
        "wealth": wealth,
        "debt": debt,
        "employment": employment,
        "education": education,
        "moved_in": moved_in,
    }
