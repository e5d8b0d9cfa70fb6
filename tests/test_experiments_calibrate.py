"""Calibration: a planted parameter value is recovered (simulate with a known value, declare
the result as the target, free the parameter: the accepted set holds the known value and
excludes values far from it); the best point comes back as a reform; findings over the accepted
set carry the spread over parameters and seeds; bad input is a message, nothing written.

Every population here is synthetic; nothing reads records about real persons.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow.compute as pc
import pytest
import yaml
from click.testing import CliRunner

import scsim
from scsim.cli.main import main
from scsim.experiments import findings
from scsim.experiments.store import ExperimentError

BUNDLED = Path(scsim.__file__).parent / "scenarios" / "court-blacklist.yaml"
PROBABILITY = "schemes.court.list_probability"
KNOWN = 0.6
SMALL = {"population": 5000, "days": 730}
PERIOD = ("2015-01-01", "2015-09-30")


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def planted_value() -> float:
    """The listed share of adults over PERIOD in a run with the known list probability (the
    scenario's seed: the calibration's points run on the same one)."""
    sc = scsim.load("court-blacklist").reform({PROBABILITY: KNOWN})
    run = scsim.simulate(sc, out=tempfile.mkdtemp(), **SMALL)
    (row,) = run.query(
        "select avg(value) as v from timeseries where metric = 'listed_share_adults' and "
        f"\"group\" = 'all' and date between '{PERIOD[0]}' and '{PERIOD[1]}'"
    ).to_pylist()
    return row["v"]


def planted_scenario(folder: Path, low: float, high: float) -> Path:
    """The bundled court list with one calibration target, [low, high], instead of its own."""
    text = BUNDLED.read_text(encoding="utf-8").replace("parts/", "scsim:parts/")
    start, end = text.index("\ncalibration:\n"), text.index("\nreforms:\n")
    target = f"""
calibration:
  planted:
    label: Listed share of adults, 2015-01 to 2015-09 (planted)
    metric: listed_share_adults
    group: all
    period: [{PERIOD[0]}, {PERIOD[1]}]
    low: {low!r}
    high: {high!r}
"""
    path = folder / "planted.yaml"
    path.write_text(text[:start] + target + text[end:], encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    value = planted_value()
    path = planted_scenario(folder, value * 0.93, value * 1.07)
    experiment = scsim.calibrate(path, {PROBABILITY: (0.05, 0.95)}, samples=16,
                                 out=folder / "out", **SMALL)  # fmt: skip
    return path, value, experiment


def test_a_planted_value_is_recovered(planted):
    _, _, experiment = planted
    accepted = experiment.accepted[PROBABILITY].to_pylist()
    assert accepted, "no point accepted"
    assert min(accepted) <= KNOWN + 0.05 and max(accepted) >= KNOWN - 0.05
    # values far from the known one are drawn and rejected
    drawn = [p[0] for p in experiment.design.points]
    assert min(drawn) < 0.3 and max(drawn) > 0.85
    assert all(abs(v - KNOWN) < 0.15 for v in accepted)
    result = experiment.manifest["calibration_result"]
    assert result["accepted"] == len(accepted) and result["points"] == 16
    low, high = result["accepted_ranges"][PROBABILITY]
    assert low <= KNOWN + 0.05 and high >= KNOWN - 0.05
    assert experiment.best[PROBABILITY] in accepted
    assert result["best_settings"] == [f"{PROBABILITY}={experiment.best[PROBABILITY]!r}"]


def test_the_best_point_is_a_reform_that_lands_within_the_target(planted, tmp_path):
    path, value, experiment = planted
    text = (experiment.path / "best-reform.yaml").read_text(encoding="utf-8")
    (entry,) = yaml.safe_load(text)["calibrated"]["set"]
    assert entry == {"path": PROBABILITY, "value": experiment.best[PROBABILITY]}
    run = scsim.simulate(scsim.load(path).reform(experiment.best), out=tmp_path, **SMALL)
    (check,) = run.manifest["calibration"]
    assert check["name"] == "planted" and check["within"] is True


def test_findings_over_the_accepted_set_cover_parameters_and_seeds(planted):
    _, _, experiment = planted
    table, what = findings(experiment, ["hukou"])
    accepted = experiment.manifest["calibration_result"]["accepted"]
    assert f"{accepted} accepted parameter sets of 16" in what and "parameter and seed" in what
    rows = table.filter(pc.and_(pc.equal(table["metric"], "listing_rate"),
                                pc.equal(table["group_by"], "all"))).to_pylist()  # fmt: skip
    (row,) = rows
    assert row["cases"] == accepted and row["points"] == accepted and row["seeds"] == 1
    assert row["low"] <= row["mean"] <= row["high"]
    assert row["seed_sd"] is None  # one seed: no spread within a point
    assert set(table["group_by"].to_pylist()) == {"all", "hukou"}


def test_the_commands_print_the_fit_and_the_findings(planted, tmp_path):
    path, _, _ = planted
    result = invoke("calibrate", path, "--free", f"{PROBABILITY}=0.05:0.95", "-N", "8", "-n",
                    SMALL["population"], "--days", SMALL["days"], "--out", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "calibration:" in result.output and "points within every target" in result.output
    assert "Listed share of adults, 2015-01 to 2015-09 (planted)" in result.output
    assert "--set schemes.court.list_probability=" in result.output
    (folder,) = tmp_path.iterdir()
    audited = invoke("audit", folder, "--by", "hukou")
    if "no point of the calibration" in audited.output:  # 8 points may all miss: refused
        assert audited.exit_code == 2
        return
    assert audited.exit_code == 0, audited.output
    assert "parameter and seed uncertainty" in audited.output
    assert "listing_rate" in audited.output and "middle 95%" in audited.output


def test_a_calibration_that_accepts_nothing_says_so(tmp_path):
    path = planted_scenario(tmp_path, 0.5, 0.6)  # half of all adults listed: unreachable
    experiment = scsim.calibrate(path, {PROBABILITY: (0.1, 0.9)}, samples=4, population=1000,
                                 days=730, out=tmp_path / "out")  # fmt: skip
    assert experiment.manifest["calibration_result"]["accepted"] == 0
    assert experiment.accepted.num_rows == 0
    with pytest.raises(ExperimentError, match="no point of the calibration landed"):
        findings(experiment)
    assert not experiment.manifest["calibration_result"]["best"]["within_every_target"]


@pytest.mark.parametrize(
    "scenario, args, needles",
    [
        ("rongcheng", ["--free", "schemes.city_points.start_points=900:1100"],
         ["declares no calibration targets"]),
        ("court-blacklist", ["--free", f"{PROBABILITY}=0.1:0.9", "--days", "365"],
         ["calibration.listings_cumulative", "not inside the run"]),
        ("court-blacklist", ["--free", "schemes.court.list_probabilty=0.1:0.9"],
         ["--free schemes.court.list_probabilty", "did you mean"]),
        ("court-blacklist", ["--free", f"{PROBABILITY}=0.9:0.1"], ["LOW (0.9) must be below"]),
        ("court-blacklist", ["--free", f"{PROBABILITY}=0.1:0.9", "--design", "sobol", "-N", "12"],
         ["power of two"]),
    ],
)  # fmt: skip
def test_bad_calibration_input_is_a_message_and_writes_nothing(scenario, args, needles, tmp_path):
    result = invoke("calibrate", scenario, *args, "-n", "300", "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_scaled_best_point_is_written_back_date_by_date():
    from scsim.experiments import Design
    from scsim.experiments.calibrate import reform_yaml

    sc = scsim.load("court-blacklist")
    design = Design("lhs", (PROBABILITY,), ((1.5,),), (1,), (PROBABILITY,))
    entries = yaml.safe_load(reform_yaml(sc, design, 0, "x"))["calibrated"]["set"]
    scaled = sc.scaled({PROBABILITY: 1.5}).spec.schemes["court"].list_probability.values
    assert [e.get("from") for e in entries] == [None, *sorted(scaled)[1:]]
    assert [e["value"] for e in entries] == pytest.approx([scaled[d] for d in sorted(scaled)])
