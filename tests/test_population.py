import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scsim.core.vocabulary import PROVINCE_INDEX
from scsim.population import Population, census, concat, synthesize

N = 200_000
SEED = 11


@pytest.fixture(scope="module")
def pop() -> Population:
    return synthesize(N, SEED)


def code(name: str) -> int:
    return PROVINCE_INDEX[name]


def test_census_tables_are_consistent():
    assert len(census.PROVINCE_NAMES) == 31 == len(set(census.PROVINCE_NAMES))
    assert census.PROVINCES_TOTAL == 1_409_778_724 == census.MAINLAND_POPULATION - 2_000_000
    assert list(census.PROVINCE_POPULATION) == sorted(census.PROVINCE_POPULATION, reverse=True)
    share = census.POPULATION_SHARE
    # The calibrated conditional rates reproduce the national marginals exactly in expectation.
    assert share @ census.URBANISATION == pytest.approx(census.URBAN_RESIDENT_SHARE, abs=1e-9)
    assert share @ census.FLOATING_RATE == pytest.approx(census.FLOATING_SHARE, abs=1e-12)
    assert share @ census.INTERPROVINCIAL_RATE == pytest.approx(census.INTERPROVINCIAL_SHARE)
    minority = census.HUKOU_PROVINCE_SHARE @ census.MINORITY_RATE
    assert minority == pytest.approx(census.MINORITY_SHARE)
    assert census.AGE_PMF[:15].sum() == pytest.approx(census.AGE_0_14_SHARE)
    assert census.AGE_PMF[65:].sum() == pytest.approx(census.AGE_65_PLUS_SHARE)


def test_dtypes_and_sizes(pop):
    expected = {
        "province": np.uint8,
        "hukou_province": np.uint8,
        "hukou_urban": np.bool_,
        "urban": np.bool_,
        "migrant": np.bool_,
        "birth_year": np.int16,
        "sex": np.uint8,
        "minority": np.bool_,
        "has_child": np.bool_,
        "income": np.float32,
        "wealth": np.float32,
        "debt": np.float32,
        "employment": np.uint8,
        "education": np.uint8,
        "moved_in": np.int16,
    }
    arrays = pop.arrays()
    assert set(arrays) == set(expected)
    for name, dtype in expected.items():
        assert arrays[name].dtype == dtype, name
        assert arrays[name].shape == (N,), name
    assert len(pop) == N
    assert pop.nbytes() == 26 * N
    assert pop.age(2013).dtype == np.int16
    assert pop.weight == pytest.approx(census.PROVINCES_TOTAL / N)
    assert pop.province.max() < 31 and pop.hukou_province.max() < 31
    assert set(np.unique(pop.sex)) == {0, 1}
    assert set(np.unique(pop.employment)) == {0, 1, 2, 3}


def test_national_marginals(pop):
    assert pop.urban.mean() == pytest.approx(0.6389, abs=0.01)
    assert pop.hukou_urban.mean() == pytest.approx(0.454, abs=0.01)
    assert pop.migrant.mean() == pytest.approx(0.266, abs=0.01)
    inter = pop.province != pop.hukou_province
    assert inter.sum() / pop.migrant.sum() == pytest.approx(0.332, abs=0.02)
    age = pop.age(2013)
    assert (age < 15).mean() == pytest.approx(0.1795, abs=0.005)
    assert ((age >= 15) & (age < 60)).mean() == pytest.approx(0.6335, abs=0.005)
    assert (age >= 60).mean() == pytest.approx(0.1870, abs=0.005)
    assert (age >= 65).mean() == pytest.approx(0.1350, abs=0.005)
    assert age.min() == 0 and age.max() <= census.MAX_AGE
    assert pop.sex.mean() == pytest.approx(0.5124, abs=0.005)
    assert pop.minority.mean() == pytest.approx(0.0889, abs=0.005)
    counts = np.bincount(pop.province, minlength=31) / N
    for name in ("Guangdong", "Shandong", "Henan", "Jiangsu", "Sichuan", "Hebei"):
        assert counts[code(name)] == pytest.approx(census.POPULATION_SHARE[code(name)], rel=0.05)


def test_migration_structure(pop):
    inter = pop.province != pop.hukou_province
    assert not (inter & ~pop.migrant).any()  # inter-provincial movers are floating
    mig = pop.migrant
    assert (~pop.hukou_urban[mig]).mean() > 0.65  # mostly rural hukou
    assert pop.urban[mig].mean() > 0.8  # mostly living in towns and cities
    age = pop.age(2013)[mig]
    assert ((age >= 15) & (age < 60)).mean() > 0.75  # mostly working age
    # Urban hukou is concentrated among urban residents.
    assert pop.hukou_urban[pop.urban].mean() > 2 * pop.hukou_urban[~pop.urban].mean()

    def inter_share(name: str) -> float:
        return inter[pop.province == code(name)].mean()

    for receiver in ("Guangdong", "Zhejiang", "Shanghai", "Beijing"):
        assert inter_share(receiver) > 3 * inter_share("Henan")
    # Guangdong's inter-provincial migrants come mostly from inland, not from other receivers.
    origins = pop.hukou_province[inter & (pop.province == code("Guangdong"))]
    receivers = [code(p) for p in ("Zhejiang", "Shanghai", "Beijing", "Jiangsu", "Fujian")]
    assert np.isin(origins, receivers).mean() < 0.15
    inland = [code(p) for p in ("Henan", "Sichuan", "Hunan", "Guangxi", "Anhui", "Guizhou")]
    assert np.isin(origins, inland).mean() > 0.4
    # Minorities follow the hukou province.
    assert pop.minority[pop.hukou_province == code("Xinjiang")].mean() > 0.4
    assert pop.minority[pop.hukou_province == code("Shandong")].mean() < 0.05


def test_minors_hold_nothing_and_adults_earn(pop):
    minor = pop.age(2013) < 18
    assert minor.any()
    for name in ("income", "wealth", "debt"):
        assert (pop.arrays()[name][minor] == 0).all(), name
    assert (pop.employment[minor] == 0).all()
    assert not pop.has_child[minor].any()
    assert (pop.income[~minor] > 0).all()
    assert (pop.wealth >= 0).all() and (pop.debt >= 0).all()
    assert 0.2 < pop.has_child[~minor].mean() < 0.45


def test_income_calibration(pop):
    employed = pop.employment > 0
    rural_migrant = pop.migrant & ~pop.hukou_urban & employed
    # Floating rural-hukou workers ≈ out-migrating migrant workers (4,549 yuan, REFERENCE.md §5).
    assert pop.income[rural_migrant].mean() == pytest.approx(4_549, rel=0.05)
    # Together with local non-farm wage workers they are all migrant workers: 4,072 yuan.
    local = ~pop.migrant & ~pop.hukou_urban & (pop.employment == census.EMPLOYMENT_FORMAL)
    assert pop.income[local].mean() == pytest.approx(3_606, rel=0.05)
    assert pop.income[rural_migrant | local].mean() == pytest.approx(4_072, rel=0.10)
    urban_employed = pop.hukou_urban & employed
    rural_home = ~pop.hukou_urban & ~pop.migrant & employed
    assert (
        pop.income[urban_employed].mean()
        > pop.income[rural_migrant].mean()
        > pop.income[rural_home].mean()
    )


def test_wealth_and_debt_shapes(pop):
    adult = pop.age(2013) >= 18
    income, wealth, debt = pop.income[adult], pop.wealth[adult], pop.debt[adult]
    assert (wealth < income).mean() > 0.2  # many hold less than a month's income
    assert np.median(wealth) > 2 * np.median(income)
    positive = wealth > 0
    corr = np.corrcoef(np.log(income[positive]), np.log(wealth[positive]))[0, 1]
    assert corr > 0.3
    assert 0.15 < (debt > 0).mean() < 0.35
    assert np.median(debt[debt > 0]) > np.median(income)


def test_same_seed_same_population_and_different_seed_differs(pop):
    again = synthesize(N, SEED)
    for name, values in pop.arrays().items():
        assert np.array_equal(values, again.arrays()[name]), name
    other = synthesize(N, SEED + 1)
    for name in ("province", "birth_year", "income", "migrant"):
        assert not np.array_equal(pop.arrays()[name], other.arrays()[name]), name


def test_shards_concatenate_to_the_whole(pop):
    cuts = [0, 1, 70_000, 70_001, 150_000, N]
    shards = [
        synthesize(hi - lo, SEED, start=lo, total=N) for lo, hi in zip(cuts, cuts[1:], strict=False)
    ]
    whole = concat(shards)
    assert whole.weight == pop.weight
    for name, values in pop.arrays().items():
        assert np.array_equal(values, whole.arrays()[name]), name


@settings(max_examples=25, deadline=None)
@given(start=st.integers(0, 5_000), n=st.integers(1, 3_000))
def test_a_citizen_does_not_depend_on_population_size(start, n):
    ref = synthesize(8_000, 3)
    part = synthesize(n, 3, start=start)
    for name, values in part.arrays().items():
        assert np.array_equal(values, ref.arrays()[name][start : start + n]), name


def test_province_restriction_and_weight():
    city = synthesize(20_000, 5, provinces=["Shandong"], real_population=714_700)
    assert (city.province == code("Shandong")).all()
    assert city.weight == pytest.approx(714_700 / 20_000)
    inter = city.hukou_province != city.province
    assert inter.any() and (city.hukou_province[~inter] == code("Shandong")).all()

    two = synthesize(50_000, 5, provinces=["Tibet", "Beijing"])
    assert two.weight == pytest.approx((3_648_100 + 21_893_095) / 50_000)
    tibet = (two.province == code("Tibet")).mean()
    assert tibet == pytest.approx(3_648_100 / (3_648_100 + 21_893_095), abs=0.01)
    assert set(np.unique(two.province)) == {code("Tibet"), code("Beijing")}
    # Beijing is far more urban than Tibet.
    assert two.urban[two.province == code("Beijing")].mean() > 0.8
    assert two.urban[two.province == code("Tibet")].mean() < 0.45


def test_unknown_province_suggests_the_closest_name():
    with pytest.raises(ValueError, match="unknown province 'Shangdong' — did you mean 'Shandong'"):
        synthesize(10, 1, provinces=["Shangdong"])
    with pytest.raises(ValueError, match="unknown province 'Atlantis'"):
        synthesize(10, 1, provinces=["Atlantis"])
    with pytest.raises(ValueError, match="empty"):
        synthesize(10, 1, provinces=[])
    with pytest.raises(ValueError, match="at least 1"):
        synthesize(0, 1)


def test_year_sets_birth_years_only(pop):
    later = synthesize(1_000, SEED, year=2020)
    assert np.array_equal(later.age(2020), pop.age(2013)[:1_000])
    assert np.array_equal(later.birth_year, pop.birth_year[:1_000] + 7)
    assert np.array_equal(later.income, pop.income[:1_000])
