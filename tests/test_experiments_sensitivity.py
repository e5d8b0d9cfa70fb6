"""Sensitivity analysis: SALib's indices of a planted function routed through the experiment
layer are SALib's own on the same function; real runs give indices per audit value; ranges
follow the documented default rule; bad input is a message and writes nothing.

Every population here is synthetic; nothing reads records about real persons.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

import scsim
from scsim.cli.main import main
from scsim.experiments.evaluate import ROWS, CaseResult, CaseTask
from scsim.experiments.sensitivity import DEFAULT_SPAN, ranges, sensitivity
from scsim.experiments.store import Experiment, ExperimentError
from scsim.scenario.errors import ScenarioError
from scsim.scenario.schema import parameter_at
from scsim.scenario.settings import Scale

SCENARIO = "court-blacklist"
PROBABILITY = "schemes.court.list_probability"
PAY = "schemes.court.pay_if_able"
MONTHLY = "schemes.court.monthly_payment_propensity"
GRACE = "schemes.court.grace_days"
PLANTED = (PROBABILITY, PAY, MONTHLY)  # three numbers on [0, 1], mapped onto [-π, π]


def ishigami(task: CaseTask) -> CaseResult:
    """The Ishigami function of the case's three parameters (a module-level function: a
    process pool finds it by name)."""
    u = [parameter_at(task.scenario.spec, path)[0].at(task.end) for path in PLANTED]
    x = [-math.pi + 2 * math.pi * v for v in u]
    y = math.sin(x[0]) + 7 * math.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * math.sin(x[0])
    rows = pa.table([["ishigami"], [""], ["all"], ["all"], pa.nulls(1, pa.date32()), [y]],
                    schema=ROWS)  # fmt: skip
    return CaseResult(task.case, rows, {"total_s": 0.0}, "planted", None)


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def index_of(experiment: Experiment, index: str) -> np.ndarray:
    table = experiment.indices
    table = table.filter(pc.and_(pc.equal(table["index"], index),
                                 pc.is_null(table["parameter_2"])))  # fmt: skip
    by_name = dict(zip(table["parameter"].to_pylist(), table["value"].to_pylist(), strict=True))
    return np.array([by_name[p] for p in PLANTED])


@pytest.mark.parametrize("method, samples", [("sobol", 64), ("morris", 10), ("fast", 129)])
def test_the_indices_of_a_planted_function_are_salibs_own(method, samples, tmp_path):
    from SALib.analyze import fast as fast_analyze
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import fast_sampler, morris, sobol
    from SALib.test_functions import Ishigami

    experiment = sensitivity(SCENARIO, dict.fromkeys(PLANTED, (0.0, 1.0)), method=method,
                             samples=samples, out=tmp_path, evaluate_fn=ishigami)  # fmt: skip
    seed = experiment.design.seeds[0]
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    if method == "sobol":
        x = sobol.sample(problem, samples, seed=seed)
        theirs = sobol_analyze.analyze(problem, Ishigami.evaluate(x), seed=seed)
        names = ("S1", "ST", "S1_conf")
        assert len(experiment.design) == samples * 8
    elif method == "morris":
        x = morris.sample(problem, samples, seed=seed)
        theirs = morris_analyze.analyze(problem, x, Ishigami.evaluate(x), seed=seed)
        theirs = {k: np.asarray(v) for k, v in theirs.items() if k != "names"}
        names = ("mu_star", "sigma")
    else:
        x = fast_sampler.sample(problem, samples, seed=seed)
        with pytest.warns(UserWarning, match="unreliable"):
            theirs = fast_analyze.analyze(problem, Ishigami.evaluate(x), seed=seed)
        names = ("S1", "ST")
        # SALib calls FAST's bootstrap intervals unreliable (SALib#649): none are kept
        assert experiment.indices["conf"].null_count == experiment.indices.num_rows
    for name in names:
        mine = index_of(experiment, name.removesuffix("_conf")) if not name.endswith(
            "_conf") else _conf(experiment, "S1")  # fmt: skip
        np.testing.assert_allclose(mine, np.asarray(theirs[name]), rtol=1e-9, atol=1e-12)
    if method == "sobol":  # the classic result: x3 acts only with x1
        s1, st = index_of(experiment, "S1"), index_of(experiment, "ST")
        assert s1[2] < 0.1 < st[2]
        pairs = experiment.indices.filter(pc.equal(experiment.indices["index"], "S2"))
        assert pairs.num_rows == 3
    assert experiment.manifest["kind"] == "sensitivity"


def _conf(experiment: Experiment, index: str) -> np.ndarray:
    table = experiment.indices.filter(pc.equal(experiment.indices["index"], index))
    by_name = dict(zip(table["parameter"].to_pylist(), table["conf"].to_pylist(), strict=True))
    return np.array([by_name[p] for p in PLANTED])


def test_process_pool_gives_the_same_indices_as_serial(tmp_path):
    serial = sensitivity(SCENARIO, dict.fromkeys(PLANTED, (0.0, 1.0)), samples=8,
                         out=tmp_path / "a", evaluate_fn=ishigami)  # fmt: skip
    pool = sensitivity(SCENARIO, dict.fromkeys(PLANTED, (0.0, 1.0)), samples=8,
                       out=tmp_path / "b", evaluate_fn=ishigami, workers=2)  # fmt: skip
    assert pool.manifest["executor"]["kind"] == "processes"
    for name in ("results.parquet", "indices.parquet"):
        assert (serial.path / name).read_bytes() == (pool.path / name).read_bytes()


def test_a_real_analysis_has_indices_per_audit_value_and_says_what_it_left_out(tmp_path):
    experiment = scsim.sensitivity(
        SCENARIO, {PROBABILITY: (0.1, 0.9), GRACE: (0, 120)}, method="morris", samples=3,
        population=1500, days=300, metrics="listing_rate,ever_listed_rate,poverty_trap_share",
        by="hukou", out=tmp_path,
    )  # fmt: skip
    assert len(experiment.design) == 3 * 3
    # grace days are whole days: every case ran a whole number
    assert all(float(p[1]).is_integer() for p in experiment.design.points)
    table = experiment.indices
    assert set(table["metric"].to_pylist()) <= {"listing_rate", "ever_listed_rate",
                                                "poverty_trap_share"}  # fmt: skip
    rows = table.filter(pc.equal(table["metric"], "listing_rate")).to_pylist()
    assert {r["group_by"] for r in rows} == {"all", "hukou"}
    assert {r["index"] for r in rows} == {"mu", "mu_star", "sigma"}
    assert {r["parameter"] for r in rows} == {PROBABILITY, GRACE}
    star = {r["parameter"]: r["value"] for r in rows
            if r["index"] == "mu_star" and r["group_by"] == "all"}  # fmt: skip
    assert star[PROBABILITY] > 0  # listing more often lists more people
    left = experiment.manifest["outputs_left_out"]
    assert set(left) == {"constant", "not_a_number"}
    assert [r["path"] for r in experiment.manifest["sensitivity"]["ranges"]] == [PROBABILITY, GRACE]
    # a sweep has no indices, and says so
    with pytest.raises(ExperimentError, match="not a sensitivity analysis"):
        _ = scsim.sweep(SCENARIO, {GRACE: [0]}, population=300, days=30, out=tmp_path,
                        metrics="listing_rate").indices  # fmt: skip


def test_a_range_not_given_is_half_the_value_either_side_clipped_to_the_declared_range():
    sc = scsim.load(SCENARIO)
    start, end = sc.spec.world.start, dt.date(2020, 12, 31)
    court = sc.spec.schemes["court"]
    monthly, pay = court.monthly_payment_propensity.at(start), court.pay_if_able.at(start)
    (r,) = ranges(sc, {MONTHLY: None}, start, end)
    assert (r.low, r.high) == pytest.approx((monthly * (1 - DEFAULT_SPAN),
                                             monthly * (1 + DEFAULT_SPAN)))  # fmt: skip
    assert "±50%" in r.rule and "clipped" not in r.rule
    (r,) = ranges(sc, {PAY: None}, start, end)
    assert pay * (1 + DEFAULT_SPAN) > 1 and (r.low, r.high) == (pay / 2, 1.0)
    assert "clipped" in r.rule
    # a value that changes during the run: factors on each dated value, the dates kept
    (r,) = ranges(sc, {PROBABILITY: None}, start, end)
    assert r.scale and (r.low, r.high) == (0.5, 1.5)
    assert (
        "0.0125 from 2013-10-01, 0.331 from 2015-01-01, 0.292 from 2016-01-21, "
        "0.399 from 2017-05-01"
    ) in r.rule
    # before its first change, it does not change
    (r,) = ranges(sc, {PROBABILITY: None}, start, dt.date(2014, 12, 31))
    assert (r.low, r.high) == pytest.approx((0.00625, 0.01875)) and not r.scale
    # factors asked for
    (r,) = ranges(sc, {GRACE: Scale(0.5, 2)}, start, end)
    assert r.scale and (r.low, r.high) == (0.5, 2.0)


def test_a_scaled_parameter_keeps_its_dates_and_each_case_is_that_scaled_run(tmp_path):
    sc = scsim.load(SCENARIO)
    scaled = sc.scaled({PROBABILITY: 3, GRACE: 0.5})
    court = scaled.spec.schemes["court"]
    assert court.list_probability.values == {dt.date(2013, 10, 1): pytest.approx(0.0375),
                                             dt.date(2015, 1, 1): pytest.approx(0.993),
                                             dt.date(2016, 1, 21): pytest.approx(0.876),
                                             dt.date(2017, 5, 1): 1.0}  # clipped  # fmt: skip
    assert court.grace_days.values == {dt.date(2013, 10, 1): 0.0, dt.date(2020, 1, 1): 30.0}
    assert scaled.run_name.endswith("list_probability=x3,grace_days=x0.5")
    with pytest.raises(ValueError, match="0 or more"):
        sc.scaled({PROBABILITY: -1})
    experiment = sensitivity(SCENARIO, {PROBABILITY: Scale(0.5, 1.5)}, method="morris",
                             samples=2, population=800, days=600, metrics="listing_rate",
                             out=tmp_path / "exp")  # fmt: skip
    assert experiment.design.scale == (PROBABILITY,)
    assert experiment.manifest["sensitivity"]["ranges"][0]["scale"] is True
    (factor,) = experiment.design.points[1]
    run = scsim.simulate(sc.scaled({PROBABILITY: factor}), seed=experiment.design.seeds[0],
                         population=800, days=600, out=tmp_path / "runs")  # fmt: skip
    mine = experiment.results.filter(pc.and_(pc.equal(experiment.results["point"], 1),
                                             pc.equal(experiment.results["group_by"], "all")))  # fmt: skip
    (value,) = mine.filter(pc.equal(mine["metric"], "listing_rate"))["value"].to_pylist()
    assert value == scsim.audit(run, by="").value("listing_rate")


def test_the_sensitivity_command_prints_the_ranges_and_the_indices(tmp_path):
    result = invoke("sensitivity", SCENARIO, "--param", MONTHLY, "--param", f"{GRACE}=0:90",
                    "--method", "morris", "--samples", "2", "-n", "800", "--days", "600",
                    "--metrics", "listing_rate,days_listed_per_adult", "--out", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "morris over 2 parameters, N = 2: 6 cases" in result.output
    assert "±50% of" in result.output and f"{GRACE} = 0 … 90" in result.output
    assert "mu_star" in result.output and "listing_rate" in result.output
    assert "experiment written in" in result.output
    (path,) = tmp_path.iterdir()
    assert (path / "indices.parquet").is_file()


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--param", "schemes.court.grace_dayz=0:9"], ["grace_days", "did you mean"]),
        (["--param", f"{GRACE}=90:0"], ["LOW (90) must be below HIGH (0)"]),
        (
            ["--param", f"{PROBABILITY}=0.5:1.5"],
            ["--param schemes.court.list_probability", "1.5"],
        ),  # fmt: skip
        (["--param", f"{GRACE}=0-9"], ["LOW:HIGH"]),
        (["--param", f"{GRACE}=a:9"], ["not a number"]),
        (["--param", f"{GRACE}=0:9", "--samples", "48"], ["power of two", "64"]),
        (["--param", f"{GRACE}=0:9", "--method", "fast", "--samples", "20"], ["above 64"]),
        (["--param", f"{GRACE}=0:9", "--metrics", "listing_rat"], ["listing_rate"]),
        (["--param", "schemes.court.label"], ["not a number"]),
        (["--param", f"{GRACE}=0:9", "--param", f"{GRACE}=1:2"], ["given twice"]),
        (["--param", f"{GRACE}=x2:1"], ["LOW (x2) must be below HIGH (x1)"]),
        (["--param", f"{GRACE}=x-1:1"], ["0 or more"]),
    ],
)
def test_bad_sensitivity_input_is_a_message_and_writes_nothing(args, needles, tmp_path):
    result = invoke("sensitivity", SCENARIO, *args, "-n", "300", "--days", "30",
                    "--out", tmp_path / "out")  # fmt: skip
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_default_range_around_zero_asks_for_a_range(tmp_path):
    sc = scsim.load(SCENARIO).reform({GRACE: 0})
    with pytest.raises(ScenarioError, match=r"give one: --param schemes.court.grace_days=LOW:HIGH"):
        sensitivity(sc, [GRACE], method="morris", samples=2, out=tmp_path)
