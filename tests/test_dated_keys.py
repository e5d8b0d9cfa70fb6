"""One step of a dated rule addressed as ``PATH@DATE``: a value or a factor changes the value
that holds from DATE to the parameter's next date and keeps every other dated value; the same
key works in ``--set``, sweeps, sensitivity ranges and calibration, and the best point of a
calibration comes back as a reform with its dates. Bad keys are messages naming the dates.

Every population here is synthetic; nothing reads records about real persons.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

import scsim
from scsim.experiments.calibrate import reform_yaml
from scsim.experiments.design import Design
from scsim.experiments.sensitivity import ranges
from scsim.scenario.errors import ScenarioError
from scsim.scenario.schema import parameter_at
from scsim.scenario.settings import Scale, check_settings

PROBABILITY = "schemes.court.list_probability"
RAMP = {dt.date(2013, 10, 1): 0.0125, dt.date(2015, 1, 1): 0.331, dt.date(2016, 1, 21): 0.292,
        dt.date(2017, 5, 1): 0.399}  # fmt: skip
HALF = RAMP[dt.date(2015, 1, 1)] / 2
MIDDLE = f"{PROBABILITY}@2015-01-01"


@pytest.fixture(scope="module")
def court():
    sc = scsim.load("court-blacklist")
    assert values(sc) == RAMP  # the ramp these tests are written against
    return sc


def values(sc) -> dict[dt.date, float | None]:
    number, _ = parameter_at(sc.spec, PROBABILITY)
    return dict(number.values)


def test_a_value_changes_one_step_only(court):
    changed = court.reform({MIDDLE: 0.11})
    assert values(changed) == {**RAMP, dt.date(2015, 1, 1): 0.11}
    assert "from 2015-01-01 until 2016-01-21" in changed.reforms_applied[0]


def test_the_last_step_holds_to_the_end(court):
    changed = court.reform({f"{PROBABILITY}@2017-05-01": 0.5})
    assert values(changed) == {**RAMP, dt.date(2017, 5, 1): 0.5}


def test_a_factor_scales_one_step_only_and_stays_in_range(court):
    assert values(court.scaled({MIDDLE: 0.5})) == {**RAMP, dt.date(2015, 1, 1): HALF}
    # 0.331 × 4 = 1.324 is clipped to the probability's range
    assert values(court.scaled({MIDDLE: 4.0}))[dt.date(2015, 1, 1)] == 1.0


def test_two_steps_at_once(court):
    changed = court.reform({f"{PROBABILITY}@2013-10-01": 0.05, MIDDLE: 0.2})
    assert values(changed) == {**RAMP, dt.date(2013, 10, 1): 0.05, dt.date(2015, 1, 1): 0.2}


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            f"{PROBABILITY}@2014-01-01",
            "its dates are 2013-10-01, 2015-01-01, 2016-01-21, 2017-05-01",
        ),
        (f"{PROBABILITY}@soon", "is not a date"),
        ("behaviour.events.civil_judgment.annual_rate@2010-01-01", "one value for the whole run"),
        ("schemes.court.list_probabilty@2015-01-01", "did you mean"),
    ],
)
def test_bad_keys_name_what_there_is(court, key, message):
    with pytest.raises(ValueError, match=message):
        court.reform({key: 0.5})
    with pytest.raises(ScenarioError, match=message):
        check_settings(court.spec, {key: [0.5]})


def test_a_step_and_the_whole_rule_together_are_refused(court):
    with pytest.raises(ScenarioError, match="give either"):
        check_settings(court.spec, {PROBABILITY: [0.5], MIDDLE: [0.2]})
    first, last = court.spec.world.start, court.spec.world.end
    with pytest.raises(ScenarioError, match="give one of the two"):
        ranges(court, {PROBABILITY: None, MIDDLE: None}, first, last, option="--free")


def test_ranges_of_a_step(court):
    first, last = court.spec.world.start, court.spec.world.end
    default, scaled, given = ranges(
        court,
        {MIDDLE: None, f"{PROBABILITY}@2016-01-21": Scale(0.5, 1.0),
         f"{PROBABILITY}@2013-10-01": (0.01, 0.2)},
        first, last, option="--free",
    )  # fmt: skip
    assert (default.low, default.high, default.scale) == (HALF, pytest.approx(3 * HALF), False)
    assert "its value from 2015-01-01" in default.rule
    assert scaled.scale and "its value from 2016-01-21" in scaled.rule
    assert (given.low, given.high) == (0.01, 0.2)


def test_a_design_point_and_its_reform_yaml(court):
    design = Design("lhs", (f"{PROBABILITY}@2013-10-01", MIDDLE), ((0.1, 0.5),), (1,),
                    scale=(MIDDLE,))  # fmt: skip
    sc = design.scenario(court, 0)
    assert values(sc) == {**RAMP, dt.date(2013, 10, 1): 0.1, dt.date(2015, 1, 1): HALF}
    entries = yaml.safe_load(reform_yaml(court, design, 0, "x"))["calibrated"]["set"]
    assert entries == [
        {"path": PROBABILITY, "value": 0.1, "from": dt.date(2013, 10, 1),
         "until": dt.date(2015, 1, 1)},
        {"path": PROBABILITY, "value": HALF, "from": dt.date(2015, 1, 1),
         "until": dt.date(2016, 1, 21)},
    ]  # fmt: skip
    # the reform, applied as a scenario's own reform, gives the point's scenario
    applied = court
    for entry in entries:
        applied = applied.reform({entry["path"]: entry["value"]}, entry["from"], entry["until"])
    assert values(applied) == values(sc)


def test_calibrate_frees_one_step_from_the_command_line(tmp_path):
    from click.testing import CliRunner

    from scsim.cli.main import main

    result = CliRunner().invoke(main, [
        "calibrate", "court-blacklist", "--free", f"{MIDDLE}=0.2:0.4", "-N", "2",
        "-n", "300", "--out", str(tmp_path),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    (folder,) = tmp_path.glob("court-blacklist-calibration-*")
    experiment = scsim.experiments.Experiment(folder)
    assert MIDDLE in experiment.results.column_names
    assert {row[MIDDLE] for row in experiment.results.select([MIDDLE]).to_pylist()} <= set(
        p[0] for p in experiment.design.points
    )
    best = yaml.safe_load((folder / "best-reform.yaml").read_text())["calibrated"]["set"]
    assert best[0]["from"] == dt.date(2015, 1, 1) and best[0]["until"] == dt.date(2016, 1, 21)
    assert 0.2 <= best[0]["value"] <= 0.4
