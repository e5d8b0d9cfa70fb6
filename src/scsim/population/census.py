"""Published marginals of China's population (2020 census) and the modelling defaults built on them.

Sources are cited per constant. ``[V]`` figures are verified in /work/shared/domain/REFERENCE.md
(section given); ``[D]`` figures are derived there from verified ones; ``[U]`` marks an
unverified modelling assumption chosen here because the reference gives no value. Derived
calibration constants (the ``_calibrated`` values at the bottom) are computed from these tables so
that the synthetic population reproduces the national marginals exactly in expectation.
"""

from __future__ import annotations

import numpy as np

from scsim.core.vocabulary import N_PROVINCES, PROVINCE_NAMES

CENSUS_YEAR = 2020  # reference date 2020-11-01 (REFERENCE.md §5)

# --- Provinces ----------------------------------------------------------------------------------
# [V-secondary] Resident population of the 31 provincial-level divisions, 2020 census Communiqué
# No. 3 (REFERENCE.md §5 table; the 31 values sum to 1,409,778,724 = national total minus the
# 2,000,000 active military). Order: by population, largest first, as the province codes are
# declared in core/vocabulary.py (PROVINCE_NAMES: the index is the uint8 province code used
# everywhere in scsim, so the order must never change).
_PROVINCES: tuple[tuple[str, int], ...] = (
    ("Guangdong", 126_012_510),
    ("Shandong", 101_527_453),
    ("Henan", 99_365_519),
    ("Jiangsu", 84_748_016),
    ("Sichuan", 83_674_866),
    ("Hebei", 74_610_235),
    ("Hunan", 66_444_864),
    ("Zhejiang", 64_567_588),
    ("Anhui", 61_027_171),
    ("Hubei", 57_752_557),
    ("Guangxi", 50_126_804),
    ("Yunnan", 47_209_277),
    ("Jiangxi", 45_188_635),
    ("Liaoning", 42_591_407),
    ("Fujian", 41_540_086),
    ("Shaanxi", 39_528_999),
    ("Guizhou", 38_562_148),
    ("Shanxi", 34_915_616),
    ("Chongqing", 32_054_159),
    ("Heilongjiang", 31_850_088),
    ("Xinjiang", 25_852_345),
    ("Gansu", 25_019_831),
    ("Shanghai", 24_870_895),
    ("Jilin", 24_073_453),
    ("Inner Mongolia", 24_049_155),
    ("Beijing", 21_893_095),
    ("Tianjin", 13_866_009),
    ("Hainan", 10_081_232),
    ("Ningxia", 7_202_654),
    ("Qinghai", 5_923_957),
    ("Tibet", 3_648_100),
)
if tuple(name for name, _ in _PROVINCES) != PROVINCE_NAMES:
    raise ImportError("census provinces are not in core.vocabulary.PROVINCE_NAMES order")
PROVINCE_POPULATION: np.ndarray = np.array([p for _, p in _PROVINCES], dtype=np.int64)
PROVINCES_TOTAL = int(PROVINCE_POPULATION.sum())  # 1,409,778,724

# --- National totals and shares -----------------------------------------------------------------
# [V] Mainland population incl. 2,000,000 active military — Communiqué No. 2 (REFERENCE.md §5).
MAINLAND_POPULATION = 1_411_778_724
# [V] Urban residents 901,991,162 = 63.89% — Communiqué No. 7 (REFERENCE.md §5).
URBAN_RESIDENT_SHARE = 0.6389
# [V] Hukou (registered) urbanisation rate 45.4%, Ministry of Public Security (REFERENCE.md §5).
URBAN_HUKOU_SHARE = 0.454
# [D] Floating population 375,816,759 / 1,411,778,724 = 26.6% — Communiqué No. 7 (REFERENCE.md §7).
FLOATING_SHARE = 0.266
# [D] Inter-provincial 124,837,153 / 375,816,759 = 33.2% of floating (REFERENCE.md §7).
INTERPROVINCIAL_SHARE_OF_FLOATING = 0.332
INTERPROVINCIAL_SHARE = FLOATING_SHARE * INTERPROVINCIAL_SHARE_OF_FLOATING
# [V] Age shares — NBS release 2021-05-11 (REFERENCE.md §5).
AGE_0_14_SHARE = 0.1795
AGE_15_59_SHARE = 0.6335
AGE_60_PLUS_SHARE = 0.1870
AGE_65_PLUS_SHARE = 0.1350
# [V] Sex ratio 105.07, male 51.24% — NBS release 2021-05-11 (REFERENCE.md §5).
MALE_SHARE = 0.5124
# [V] Ethnic minorities 8.89% (Han 91.11%) — Communiqué No. 2 (REFERENCE.md §5).
MINORITY_SHARE = 0.0889
# [V] 2.62 persons per family household — Communiqué No. 2 (REFERENCE.md §5). Recorded for
# reference; the synthesis has no household structure beyond ``has_child``.
HOUSEHOLD_SIZE = 2.62

# --- Migrant workers' income (NBS Migrant Worker Monitoring Survey 2020; REFERENCE.md §5) -------
# [V] Mean monthly income of all rural migrant workers (out-migrating and local), yuan.
MIGRANT_WORKER_INCOME = 4_072.0
# [V] Out-migrating migrant workers (working outside their home township) — the census floating
# population's rural-hukou workers correspond to these, so synthesis calibrates them to this figure.
OUT_MIGRANT_WORKER_INCOME = 4_549.0
# [V] Local migrant workers (non-farm work near home): rural-hukou non-migrants in wage work.
LOCAL_MIGRANT_WORKER_INCOME = 3_606.0

# --- Ages ---------------------------------------------------------------------------------------
MAX_AGE = 100
ADULT_AGE = 18  # below this: no income, wealth, debt, job or child of one's own
# [U] assumption: ages are uniform within 0-14, 15-59 and 60-64, and decline geometrically by this
# factor per year from 65 to MAX_AGE. The 2020 structure is applied to whatever year is simulated.
OLD_AGE_DECAY = 0.92
# [U] assumption: statutory retirement simplified to 60 for men, 55 for women (the actual rule is
# 60 / 55 for female cadres / 50 for female workers).
RETIREMENT_AGE_MALE = 60
RETIREMENT_AGE_FEMALE = 55

# --- Urbanisation by province -------------------------------------------------------------------
# [U] assumption: urban resident share by province, recalled from the provincial 2020 census
# communiqués (not in REFERENCE.md, unverified). Their population-weighted mean is 63.84%; a small
# common logit shift (below) makes the national share exactly URBAN_RESIDENT_SHARE.
_URBANISATION_RECALLED: dict[str, float] = {
    "Shanghai": 0.8930, "Beijing": 0.8755, "Tianjin": 0.8470, "Guangdong": 0.7415,
    "Jiangsu": 0.7344, "Zhejiang": 0.7217, "Liaoning": 0.7214, "Chongqing": 0.6946,
    "Fujian": 0.6875, "Inner Mongolia": 0.6748, "Heilongjiang": 0.6561, "Ningxia": 0.6496,
    "Shandong": 0.6305, "Hubei": 0.6289, "Shaanxi": 0.6266, "Jilin": 0.6264,
    "Shanxi": 0.6253, "Jiangxi": 0.6044, "Hainan": 0.6027, "Qinghai": 0.6008,
    "Hebei": 0.6007, "Hunan": 0.5876, "Anhui": 0.5833, "Sichuan": 0.5673,
    "Xinjiang": 0.5653, "Henan": 0.5543, "Guangxi": 0.5420, "Guizhou": 0.5315,
    "Gansu": 0.5223, "Yunnan": 0.5005, "Tibet": 0.3573,
}  # fmt: skip

# --- Migration ----------------------------------------------------------------------------------
# [U] assumption: inter-provincial immigrants as a share of residents in the main receiving
# provinces (recalled 2020 census inflows: Guangdong 29.6 M, Zhejiang 16.2 M, Shanghai 10.5 M,
# Jiangsu 10.3 M, Beijing 8.4 M, Fujian 4.9 M, Tianjin 3.5 M). All other provinces share one rate,
# calibrated so that the national inter-provincial share is INTERPROVINCIAL_SHARE.
_INTERPROVINCIAL_RECEIVERS: dict[str, float] = {
    "Guangdong": 0.235, "Zhejiang": 0.251, "Shanghai": 0.421, "Beijing": 0.385,
    "Jiangsu": 0.122, "Fujian": 0.118, "Tianjin": 0.255,
}  # fmt: skip
# [U] assumption: intra-provincial floating residents in Beijing, Shanghai and Tianjin, where most
# moves are within the municipal districts and so not counted as floating. Other provinces share
# one rate, calibrated so that the national floating share is FLOATING_SHARE.
_INTRAPROVINCIAL_MUNICIPALITY = 0.05
# [U] assumption: relative propensity to send inter-provincial migrants (× population). Populous
# inland provinces send most; the coastal receivers send few.
_ORIGIN_HIGH = ("Henan", "Anhui", "Sichuan", "Hunan", "Jiangxi", "Guizhou", "Guangxi", "Hubei",
                "Chongqing")  # fmt: skip
_ORIGIN_PROPENSITY_HIGH = 2.0
_ORIGIN_PROPENSITY_RECEIVER = 0.3
# [U] assumption: relative floating propensity by age (normalised below to mean 1 over the age
# distribution): migrants are mostly of working age, children follow parents, the old rarely move.
MIGRATION_AGE_PROPENSITY: tuple[tuple[int, float], ...] = (
    (0, 0.55),  # ages 0-14: children who moved with parents
    (15, 1.0),  # 15-19: students and first jobs
    (20, 1.6),  # 20-44: prime migration ages
    (45, 1.0),  # 45-59
    (60, 0.3),  # 60+
)
# [U] assumption: share of migrants living in an urban area (most move to towns and cities).
MIGRANT_URBAN_SHARE = 0.88
# [U] assumption: urban-hukou share among migrants living in urban / rural areas (most migrants are
# rural-hukou workers and their families; urban-hukou movers are students and professionals).
MIGRANT_URBAN_HUKOU_IF_URBAN = 0.28
MIGRANT_URBAN_HUKOU_IF_RURAL = 0.05
# [U] assumption: urban-hukou share among non-migrants living in rural areas (townships, pre-reform
# non-agricultural registrations). The share among urban non-migrants is calibrated below.
RURAL_RESIDENT_URBAN_HUKOU = 0.07

# --- Ethnic minorities by hukou province --------------------------------------------------------
# [U] assumption: minority share of the population in provinces with large minorities, recalled
# from the 2020 provincial communiqués (unverified). The rest share one rate, calibrated so that
# the national share is MINORITY_SHARE.
_MINORITY_RECALLED: dict[str, float] = {
    "Tibet": 0.878, "Xinjiang": 0.578, "Qinghai": 0.495, "Guangxi": 0.375, "Guizhou": 0.364,
    "Ningxia": 0.356, "Yunnan": 0.331, "Inner Mongolia": 0.21, "Hainan": 0.16, "Liaoning": 0.15,
    "Hunan": 0.10, "Gansu": 0.094, "Jilin": 0.08, "Sichuan": 0.068, "Chongqing": 0.065,
    "Hubei": 0.043, "Hebei": 0.04,
}  # fmt: skip

# --- Parenthood ---------------------------------------------------------------------------------
# [U] assumption: probability that an adult of this age lives with a child under 18 (from age lo
# until the next entry). Older ages include grandparents raising left-behind children.
HAS_CHILD_BY_AGE: tuple[tuple[int, float], ...] = (
    (18, 0.03), (20, 0.15), (25, 0.45), (30, 0.72), (35, 0.80), (40, 0.70), (45, 0.40),
    (50, 0.15), (55, 0.08), (65, 0.04),
)  # fmt: skip
# [U] assumption: rural-hukou migrants often leave children behind with grandparents.
MIGRANT_HAS_CHILD_FACTOR = 0.75

# --- Employment ---------------------------------------------------------------------------------
EMPLOYMENT_NONE, EMPLOYMENT_INFORMAL, EMPLOYMENT_FORMAL, EMPLOYMENT_PUBLIC = 0, 1, 2, 3
EMPLOYMENT_TIERS = ("none", "informal", "formal private", "public sector")
# [U] assumption: employment rates below retirement age (18-22 are largely in education).
EMPLOYED_STUDENT_AGE = 0.45  # ages 18-22
EMPLOYED_MALE = 0.88
EMPLOYED_FEMALE = 0.76
STUDENT_AGE_END = 23
# [U] assumption: rural-hukou non-migrants in rural areas keep farming after retirement age.
RURAL_OLD_WORKING = 0.40
RURAL_OLD_WORKING_UNTIL = 70
# [U] assumption: tier shares (informal, formal private, public) among the employed, by group.
TIER_SHARES: dict[str, tuple[float, float, float]] = {
    "urban_hukou": (0.15, 0.60, 0.25),
    "rural_migrant": (0.45, 0.52, 0.03),
    "rural_urban_resident": (0.40, 0.52, 0.08),
    "rural_rural_resident": (0.70, 0.25, 0.05),
}

# --- Income (yuan per month) --------------------------------------------------------------------
# [U] assumption: mean earnings of the employed by tier (informal, formal private, public), before
# the province factor. Urban figures loosely follow 2020 urban private (~4,800) and non-private
# (~8,100) unit wages (recalled, unverified). Rural non-migrant formal work = local migrant workers.
INCOME_URBAN_HUKOU = (3_500.0, 5_000.0, 8_100.0)
INCOME_URBAN_HUKOU_MIGRANT_FACTOR = 1.10  # [U] urban-hukou movers are skilled
# The rural non-migrant row is scaled so that formal workers average LOCAL_MIGRANT_WORKER_INCOME
# nationally after the province factor.
_INCOME_RURAL_NONMIGRANT_BASE = (1_800.0, LOCAL_MIGRANT_WORKER_INCOME, 4_500.0)
# [U] assumption: relative earnings of rural-hukou migrants by tier; the level is calibrated so
# that employed working-age rural-hukou migrants average OUT_MIGRANT_WORKER_INCOME nationally.
INCOME_RURAL_MIGRANT_RELATIVE = (0.90, 1.05, 1.15)
# [U] assumption: pensions and transfers of those without work.
PENSION_URBAN_HUKOU = 3_300.0  # urban employee pension
PENSION_RURAL_HUKOU = 300.0  # rural resident basic pension (~170) plus family transfers
INCOME_NOT_EMPLOYED = 500.0  # students, homemakers, unemployed: transfers and odd jobs
# [U] assumption: log-normal dispersion (sd of log income).
INCOME_SIGMA_EMPLOYED = 0.55
INCOME_SIGMA_PENSION = 0.35
INCOME_SIGMA_NOT_EMPLOYED = 0.80
# [U] assumption: province income level relative to the national mean (normalised below to a
# population-weighted mean of 1).
_INCOME_LEVEL_RECALLED: dict[str, float] = {
    "Beijing": 1.5, "Shanghai": 1.5, "Tianjin": 1.15, "Jiangsu": 1.2, "Zhejiang": 1.2,
    "Guangdong": 1.15, "Fujian": 1.1, "Gansu": 0.85, "Guizhou": 0.85, "Yunnan": 0.85,
    "Tibet": 0.85, "Guangxi": 0.85, "Heilongjiang": 0.85,
}  # fmt: skip

# --- Wealth and debt ----------------------------------------------------------------------------
# [U] assumption: a "hand-to-mouth" share of adults holds under half a month's income in liquid
# assets; the rest hold a log-normal number of months of income.
HAND_TO_MOUTH_URBAN_HUKOU = 0.20
HAND_TO_MOUTH_RURAL_HUKOU = 0.40
SAVINGS_MONTHS_MEDIAN = 6.0
SAVINGS_MONTHS_MEDIAN_OLD = 18.0  # 60+: accumulated savings
SAVINGS_MONTHS_SIGMA = 1.1
# [U] assumption: share of adults with consumer or mortgage debt, and its size in months of income.
DEBT_SHARE_URBAN_HUKOU = 0.35
DEBT_SHARE_RURAL_HUKOU = 0.22
DEBT_SHARE_OLD = 0.05  # 65+
DEBT_MONTHS_MEDIAN = 12.0
DEBT_MONTHS_SIGMA = 1.2
DEBT_INCOME_FLOOR = 1_000.0  # debt scales with at least this monthly income


# --- Derived tables and calibration (computed once at import) -----------------------------------
def _by_province(values: dict[str, float], default: float) -> np.ndarray:
    """A float64 array over PROVINCE_NAMES from a partial mapping."""
    unknown = set(values) - set(PROVINCE_NAMES)
    assert not unknown, unknown
    return np.array([values.get(name, default) for name in PROVINCE_NAMES], dtype=np.float64)


def _age_distribution() -> np.ndarray:
    """Single-year age shares 0..MAX_AGE matching the census bands."""
    pmf = np.zeros(MAX_AGE + 1)
    pmf[0:15] = AGE_0_14_SHARE / 15
    pmf[15:60] = AGE_15_59_SHARE / 45
    pmf[60:65] = (AGE_60_PLUS_SHARE - AGE_65_PLUS_SHARE) / 5
    old = OLD_AGE_DECAY ** np.arange(MAX_AGE + 1 - 65)
    pmf[65:] = AGE_65_PLUS_SHARE * old / old.sum()
    return pmf / pmf.sum()


def _step_table(steps: tuple[tuple[int, float], ...], before: float = 0.0) -> np.ndarray:
    """A per-age array 0..MAX_AGE from (age from, value) steps."""
    out = np.full(MAX_AGE + 1, before)
    for lo, value in steps:
        out[lo:] = value
    return out


POPULATION_SHARE = PROVINCE_POPULATION / PROVINCE_POPULATION.sum()
AGE_PMF = _age_distribution()

_raw_urban = _by_province(_URBANISATION_RECALLED, np.nan)


def _logit_shift(p: np.ndarray, weights: np.ndarray, target: float) -> np.ndarray:
    """Shift probabilities by a common logit offset so that their weighted mean is ``target``."""
    logit = np.log(p / (1 - p))
    lo, hi = -5.0, 5.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if weights @ (1 / (1 + np.exp(-(logit + mid)))) < target:
            lo = mid
        else:
            hi = mid
    return 1 / (1 + np.exp(-(logit + (lo + hi) / 2)))


URBANISATION = _logit_shift(_raw_urban, POPULATION_SHARE, URBAN_RESIDENT_SHARE)

_receivers = np.isin(PROVINCE_NAMES, list(_INTERPROVINCIAL_RECEIVERS))
_recv_rate = _by_province(_INTERPROVINCIAL_RECEIVERS, 0.0)
_other_inter = (INTERPROVINCIAL_SHARE - POPULATION_SHARE @ _recv_rate) / POPULATION_SHARE[
    ~_receivers
].sum()
INTERPROVINCIAL_RATE = np.where(_receivers, _recv_rate, _other_inter)  # P(inter-prov. | resident)

_municipal = np.isin(PROVINCE_NAMES, ["Beijing", "Shanghai", "Tianjin"])
_intra_target = FLOATING_SHARE - INTERPROVINCIAL_SHARE
_other_intra = (
    _intra_target - POPULATION_SHARE[_municipal].sum() * _INTRAPROVINCIAL_MUNICIPALITY
) / POPULATION_SHARE[~_municipal].sum()
INTRAPROVINCIAL_RATE = np.where(_municipal, _INTRAPROVINCIAL_MUNICIPALITY, _other_intra)
FLOATING_RATE = INTERPROVINCIAL_RATE + INTRAPROVINCIAL_RATE  # P(floating | resident province)

_age_prop = _step_table(MIGRATION_AGE_PROPENSITY)
MIGRATION_AGE_FACTOR = _age_prop / (AGE_PMF @ _age_prop)  # mean 1 over the age distribution
assert MIGRATION_AGE_FACTOR.max() * FLOATING_RATE.max() < 1.0

# Origin of inter-provincial migrants: weights ∝ population × sending propensity.
_origin_prop = np.where(
    np.isin(PROVINCE_NAMES, _ORIGIN_HIGH),
    _ORIGIN_PROPENSITY_HIGH,
    np.where(_receivers, _ORIGIN_PROPENSITY_RECEIVER, 1.0),
)
ORIGIN_WEIGHT = POPULATION_SHARE * _origin_prop
ORIGIN_WEIGHT = ORIGIN_WEIGHT / ORIGIN_WEIGHT.sum()

# Urban residence of non-migrants, so that P(urban | province) = URBANISATION.
NONMIGRANT_URBAN = (URBANISATION - FLOATING_RATE * MIGRANT_URBAN_SHARE) / (1 - FLOATING_RATE)
assert ((NONMIGRANT_URBAN > 0) & (NONMIGRANT_URBAN < 1)).all()

# Urban hukou of urban non-migrants, so that the national urban-hukou share is URBAN_HUKOU_SHARE.
_migrant_uh = (
    MIGRANT_URBAN_SHARE * MIGRANT_URBAN_HUKOU_IF_URBAN
    + (1 - MIGRANT_URBAN_SHARE) * MIGRANT_URBAN_HUKOU_IF_RURAL
)
_nonmig_urban = POPULATION_SHARE @ ((1 - FLOATING_RATE) * NONMIGRANT_URBAN)
_nonmig_rural = POPULATION_SHARE @ ((1 - FLOATING_RATE) * (1 - NONMIGRANT_URBAN))
NONMIGRANT_URBAN_HUKOU_IF_URBAN = (
    URBAN_HUKOU_SHARE - FLOATING_SHARE * _migrant_uh - _nonmig_rural * RURAL_RESIDENT_URBAN_HUKOU
) / _nonmig_urban
assert 0 < NONMIGRANT_URBAN_HUKOU_IF_URBAN < 1

# Hukou-province distribution implied by the migration model; minorities follow the hukou province.
_origin_excl = ORIGIN_WEIGHT[None, :] * (1 - np.eye(N_PROVINCES))
ORIGIN_GIVEN_RESIDENCE = _origin_excl / _origin_excl.sum(axis=1, keepdims=True)  # [resident, hukou]
HUKOU_PROVINCE_SHARE = (
    POPULATION_SHARE * (1 - INTERPROVINCIAL_RATE)
    + (POPULATION_SHARE * INTERPROVINCIAL_RATE) @ ORIGIN_GIVEN_RESIDENCE
)
_notable = np.isin(PROVINCE_NAMES, list(_MINORITY_RECALLED))
_other_minority = (
    MINORITY_SHARE - HUKOU_PROVINCE_SHARE @ _by_province(_MINORITY_RECALLED, 0.0)
) / HUKOU_PROVINCE_SHARE[~_notable].sum()
MINORITY_RATE = _by_province(_MINORITY_RECALLED, _other_minority)  # by hukou province

HAS_CHILD_RATE = _step_table(HAS_CHILD_BY_AGE)

_level = _by_province(_INCOME_LEVEL_RECALLED, 1.0)
INCOME_LEVEL = _level / (POPULATION_SHARE @ _level)  # population-weighted mean 1

# Rural-hukou migrants: residence is distributed ∝ population × floating rate, independent of age,
# sex, hukou and employment, so their mean income factor is a province average over that.
_migrant_residence = POPULATION_SHARE * FLOATING_RATE
_mig_level = (_migrant_residence @ INCOME_LEVEL) / _migrant_residence.sum()
_mig_tier_mean = float(np.dot(TIER_SHARES["rural_migrant"], INCOME_RURAL_MIGRANT_RELATIVE))
INCOME_RURAL_MIGRANT = tuple(
    OUT_MIGRANT_WORKER_INCOME * r / (_mig_tier_mean * _mig_level)
    for r in INCOME_RURAL_MIGRANT_RELATIVE
)

# Rural-hukou non-migrants in formal work ("local migrant workers"): where they live follows
# population × non-floating × rural hukou × formal-tier share (urban and rural residents differ).
_local_workers = (
    POPULATION_SHARE
    * (1 - FLOATING_RATE)
    * (
        NONMIGRANT_URBAN
        * (1 - NONMIGRANT_URBAN_HUKOU_IF_URBAN)
        * TIER_SHARES["rural_urban_resident"][1]
        + (1 - NONMIGRANT_URBAN)
        * (1 - RURAL_RESIDENT_URBAN_HUKOU)
        * TIER_SHARES["rural_rural_resident"][1]
    )
)
_local_level = (_local_workers @ INCOME_LEVEL) / _local_workers.sum()
INCOME_RURAL_NONMIGRANT = tuple(x / _local_level for x in _INCOME_RURAL_NONMIGRANT_BASE)

# --- Education and residence ----------------------------------------------------------------------
EDUCATION_LEVELS = ("primary or less", "secondary", "tertiary")
# Shares (primary or less, secondary) among adults by hukou type and age band; the rest tertiary.
# Rural-hukou rows follow the 2020 migrant-worker survey (none+primary 15.7%, secondary 72.1%,
# college+ 12.2%: REFERENCE.md §5 [V]); urban-hukou and age gradients are [U] assumptions shaped
# on the 2020 census (15.5% of the population with college education).
EDUCATION_AGE_BANDS = (18, 35, 50, 65)  # lower bounds
EDUCATION_SHARES = {
    # hukou_urban: per age band (primary or less, secondary)
    False: ((0.10, 0.74), (0.14, 0.75), (0.30, 0.67), (0.60, 0.38)),
    True: ((0.02, 0.40), (0.04, 0.56), (0.10, 0.72), (0.25, 0.63)),
}
# [U] assumption: years a floating resident has lived where they live now, exponential with this
# mean (the 2020 census asks for the time since leaving the hukou place; half of the floating
# population had left it 5+ years before).
MIGRANT_RESIDENCE_YEARS_MEAN = 6.0
