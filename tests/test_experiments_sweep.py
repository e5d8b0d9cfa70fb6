"""Sweeps: a design's cases are the single runs they stand for, whatever runs them (serial, a
process pool, Dask), an interrupted experiment resumes to the same results, and bad input is a
message, never a traceback or a half-written experiment that looks complete. Also ``--set`` on
``scsim run`` and ``scsim compare``.

Every population here is synthetic; nothing reads records about real persons.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import scsim
from scsim.audit.metrics import audit
from scsim.cli.main import main
from scsim.experiments import (
    Design,
    DesignError,
    Experiment,
    ExperimentError,
    grid,
    opened_executor,
    run_tasks,
    zipped,
)
from scsim.experiments import executors as executors_module
from scsim.experiments.populations import POPULATIONS

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "court-blacklist"
GRACE = "schemes.court.grace_days"
PROBABILITY = "schemes.court.list_probability"
SMALL = {"population": 2000, "days": 400}  # long enough for listings, fast
VALUES = {GRACE: [0, 90], PROBABILITY: [0.5, 0.9]}


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_clean_failure(result, *needles: str) -> None:
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, result.output


def rows_key(row: dict) -> tuple:
    value = row["value"]
    return (row["metric"], row["category"], row["group_by"], row["group"],
            "nan" if value is not None and math.isnan(value) else value)  # fmt: skip


def results_bytes(experiment: Experiment) -> bytes:
    return (experiment.path / "results.parquet").read_bytes()


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Experiment:
    out = tmp_path_factory.mktemp("serial")
    return scsim.sweep(SCENARIO, VALUES, replicates=2, **SMALL, out=out, keep_runs=True)


# --------------------------------------------------------------------------------------------
# Designs


def test_a_grid_is_every_combination_and_a_zip_pairs_the_lists():
    design = grid({"a": [1, 2], "b": [10, 20, 30]}, [7, 8])
    assert design.points == ((1, 10), (1, 20), (1, 30), (2, 10), (2, 20), (2, 30))
    assert len(design) == 12 and design.case(0) == (0, 7) and design.case(11) == (5, 8)
    assert design.overlay(4) == {"a": 2.0, "b": 20.0}
    assert zipped({"a": [1, 2], "b": [10, 20]}, [7]).points == ((1, 10), (2, 20))
    assert Design.from_dict(design.to_dict()) == design
    with pytest.raises(DesignError, match="one length"):
        zipped({"a": [1, 2], "b": [10]}, [7])
    with pytest.raises(DesignError, match="empty"):
        grid({"a": []}, [7])


# --------------------------------------------------------------------------------------------
# What a sweep computes


def test_a_sweeps_cases_equal_the_corresponding_single_runs(serial, tmp_path):
    design = serial.design
    assert len(design) == 8 and serial.design.seeds == (20131001, 20131002)
    table = serial.results
    assert table.column_names[:5] == ["case", "point", "seed", GRACE, PROBABILITY]
    assert table.column_names[5:] == ["metric", "category", "group_by", "group", "date", "value"]
    rows = table.to_pylist()
    base = scsim.load(SCENARIO)
    for case in (0, 3, 6):
        point, seed = design.case(case)
        reformed = base.reform(design.overlay(point))
        run = scsim.simulate(reformed, seed=seed, out=tmp_path, **SMALL)
        mine = [rows_key(r) for r in rows if r["case"] == case]
        assert mine == [rows_key(r) for r in audit(run, "hukou,migrant").table.to_pylist()]
        assert {r[GRACE] for r in rows if r["case"] == case} == {design.overlay(point)[GRACE]}
        # the kept run directory is that run, under the same name
        kept = serial.path / serial.manifest["cases"][case]["run"]
        assert kept.name == run.path.name
        assert (kept / "timeseries.parquet").read_bytes() == (
            run.path / "timeseries.parquet"
        ).read_bytes()
    assert serial.runs and len(serial.runs) == 8


def test_the_points_share_common_random_numbers_and_each_worker_reuses_populations(tmp_path):
    before = POPULATIONS.reused
    experiment = scsim.sweep(SCENARIO, {GRACE: [0, 30, 90]}, population=1500, days=60,
                             out=tmp_path, metrics="listing_rate")  # fmt: skip
    assert set(experiment.results.column("seed").to_pylist()) == {20131001}
    assert POPULATIONS.reused - before >= 2  # three points, one population


def test_time_series_metrics_are_kept_at_every_date_for_the_groups_asked(tmp_path):
    experiment = scsim.sweep(SCENARIO, {GRACE: [0, 90]}, population=1500, days=90, by="hukou",
                             metrics=["listing_rate", "listed_share_adults"], out=tmp_path)  # fmt: skip
    rows = experiment.results.to_pylist()
    series = [r for r in rows if r["metric"] == "listed_share_adults"]
    assert series and all(r["date"] is not None for r in series)
    assert {r["group_by"] for r in series} == {"all", "hukou"}
    assert {r["group"] for r in series if r["group_by"] == "hukou"} == {"rural", "urban"}
    assert all(r["date"] is None for r in rows if r["metric"] == "listing_rate")
    assert {r["metric"] for r in rows} == {"listing_rate", "listed_share_adults"}


# --------------------------------------------------------------------------------------------
# Executors


def test_serial_process_pool_and_dask_give_byte_identical_results(serial, tmp_path):
    pytest.importorskip("distributed")
    pool = scsim.sweep(SCENARIO, VALUES, replicates=2, **SMALL, out=tmp_path / "pool",
                       workers=2)  # fmt: skip
    dask = scsim.sweep(SCENARIO, VALUES, replicates=2, **SMALL, out=tmp_path / "dask",
                       executor="dask", workers=2)  # fmt: skip
    assert pool.manifest["executor"]["kind"] == "processes"
    assert dask.manifest["executor"] == {"kind": "dask", "workers": 2, "address": None}
    assert results_bytes(pool) == results_bytes(serial) == results_bytes(dask)
    assert pool.path.name == dask.path.name == serial.path.name  # one design, one name


def _dies_once(task: tuple[str, int]) -> int:
    """A task whose worker dies the first time task 1 runs (a marker file remembers it)."""
    marker, value = task
    if value == 1 and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    return value * 10


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_a_case_whose_worker_died_runs_again(executor, tmp_path):
    marker = str(tmp_path / "died")
    got: dict[int, int] = {}
    with opened_executor(executor, 2) as opened:
        run_tasks(_dies_once, [(marker, v) for v in range(4)], opened, got.__setitem__)
    assert Path(marker).exists()
    assert got == {0: 0, 1: 10, 2: 20, 3: 30}


# --------------------------------------------------------------------------------------------
# Resume


def test_resume_after_an_interruption_gives_the_same_results(serial, tmp_path):
    seen: list[int] = []

    def stop_after_three(done, total, record):
        seen.append(record["case"])
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        scsim.sweep(SCENARIO, VALUES, replicates=2, **SMALL, out=tmp_path,
                    on_case=stop_after_three)  # fmt: skip
    assert [p.name.startswith(".") for p in tmp_path.iterdir()] == [True]  # none looks complete
    (partial,) = tmp_path.glob(".*.partial")
    assert len(list((partial / "cases").glob("*.parquet"))) == 3
    with pytest.raises(ExperimentError, match="--resume"):
        Experiment(tmp_path / partial.name.removeprefix(".").removesuffix(".partial"))

    again: list[int] = []
    resumed = scsim.sweep(SCENARIO, VALUES, replicates=2, **SMALL, out=tmp_path, resume=True,
                          on_case=lambda d, t, r: again.append(r["case"]))  # fmt: skip
    assert sorted(again) == sorted(set(range(8)) - set(seen))  # finished cases not run again
    assert resumed.manifest["resumed"] == 3
    assert results_bytes(resumed) == results_bytes(serial)
    assert not list(tmp_path.glob(".*.partial"))


def test_resume_refuses_a_different_design_and_says_what_differs(tmp_path):
    def stop(done, total, record):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        scsim.sweep(SCENARIO, {GRACE: [0, 90]}, population=1500, days=60, out=tmp_path,
                    on_case=stop)  # fmt: skip
    with pytest.raises(ExperimentError, match=r"same design.*values"):
        scsim.sweep(SCENARIO, {GRACE: [0, 30]}, population=1500, days=60, out=tmp_path,
                    resume=True)  # fmt: skip
    with pytest.raises(ExperimentError, match="nothing to resume"):
        scsim.sweep(SCENARIO, {GRACE: [0, 30]}, population=1500, days=60,
                    out=tmp_path / "empty", resume=True)  # fmt: skip


def test_an_experiment_of_another_format_is_refused(serial, tmp_path):
    import shutil

    copy = tmp_path / serial.path.name
    shutil.copytree(serial.path, copy)
    manifest = json.loads((copy / "experiment.json").read_text())
    manifest["format_version"] = 999
    (copy / "experiment.json").write_text(json.dumps(manifest))
    with pytest.raises(ExperimentError, match="format 999"):
        Experiment(copy)


# --------------------------------------------------------------------------------------------
# The command line


def test_the_sweep_command_writes_an_experiment_and_summarises_it(tmp_path):
    result = invoke("sweep", SCENARIO, "--set", f"{GRACE}=0,90", "-n", 1500, "--days", 600,
                    "--out", tmp_path, "--progress", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "grid of 2 points × 1 seed" in result.output
    assert re.search(
        r"experiment written in .*\n  .*court-blacklist-sweep-[0-9a-f]{8}", result.output
    )
    lines = [json.loads(x) for x in result.stderr.splitlines() if x.startswith("{")]
    assert [x["done"] for x in lines] == [1, 2]
    quiet = invoke("sweep", SCENARIO, "--set", f"{GRACE}=0,90", "-n", 1500, "--days", 200,
                   "--out", tmp_path, "-q", "--progress", "none")  # fmt: skip
    assert Experiment(quiet.stdout.strip()).results.num_rows > 0


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--set", "schemes.court.grace_dayz=0,30"], ["did you mean 'grace_days'"]),
        (["--set", f"{PROBABILITY}=0.5,1.5"], ["must be between 0 and 1, got 1.5"]),
        (["--set", f"{GRACE}=-1"], ["got -1"]),
        (["--set", f"{GRACE}="], ["no value after '='"]),
        (["--set", f"{GRACE}=0,,30"], ["no value after '='"]),
        (["--set", f"{GRACE}=0,abc"], ["'abc' is not a number"]),
        (["--set", f"{GRACE}=0,0"], ["given twice"]),
        (["--set", GRACE], ["--set takes PATH=V1,V2"]),
        (["--set", f"{GRACE}=0,30", "--set", f"{PROBABILITY}=0.5", "--zip"], ["one length"]),
        (["--set", f"{GRACE}=0,30", "--metrics", "listing_rat"], ["did you mean 'listing_rate'"]),
        (["--set", f"{GRACE}=0,30", "--by", "hukuo"], ["hukuo"]),
        (["--set", f"{GRACE}=0,30", "--resume"], ["nothing to resume"]),
        (["--set", f"{GRACE}=0,30", "--until", "2014-01-01"], ["either --days or --until"]),
    ],
)
def test_bad_sweep_input_is_a_message_and_writes_nothing(args, needles, tmp_path):
    result = invoke("sweep", SCENARIO, *args, "-n", 500, "--days", 30, "--out", tmp_path)
    assert_clean_failure(result, *needles)
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def test_a_scheduler_that_does_not_answer_is_a_message(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(executors_module, "SCHEDULER_TIMEOUT_S", 1)
    result = invoke("sweep", SCENARIO, "--set", f"{GRACE}=0,30", "-n", 500, "--days", 30,
                    "--scheduler", "tcp://127.0.0.1:9", "--out", tmp_path)  # fmt: skip
    assert_clean_failure(result, "no Dask scheduler answered at tcp://127.0.0.1:9")
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def test_run_with_set_names_the_directory_by_what_was_set(tmp_path):
    result = invoke("run", SCENARIO, "--set", f"{GRACE}=30", "-n", 1000, "--days", 30, "-q",
                    "--progress", "none", "--out", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert re.fullmatch(r"court-blacklist-grace_days=30-[0-9a-f]{8}-s20131001", path.name)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["reforms_applied"] == [f"{GRACE}=30"]
    # DuckDB does not read the '=' in the name as a hive partition (a column of its own)
    columns = scsim.Run(path).query("select * from citizens limit 1").column_names
    assert not [c for c in columns if "grace_days" in c]
    assert manifest["scenario"]["schemes"]["court"]["grace_days"]["values"] == {"2013-10-01": 30.0}
    # the Python reform with the same change is the same run
    same = scsim.load(SCENARIO).reform({GRACE: 30})
    assert scsim.simulate(same, population=1000, days=30, out=tmp_path / "py").path.name == (
        path.name
    )
    plain = invoke("run", SCENARIO, "-n", 1000, "--days", 30, "-q", "--progress", "none",
                   "--out", tmp_path)  # fmt: skip
    assert re.fullmatch(r"court-blacklist-[0-9a-f]{8}-s20131001", Path(plain.stdout.strip()).name)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--set", "schemes.court.grace_dayz=30"], ["did you mean 'grace_days'"]),
        (["--set", f"{PROBABILITY}=2", "--set", "world.seed=3"],
         ["between 0 and 1, got 2", "world.seed is not set this way: use --seed", "2 problems"]),
        (["--set", f"{GRACE}=x"], ["'x' is not a number"]),
        (["--set", f"{GRACE}=1", "--set", f"{GRACE}=2"], ["given twice"]),
    ],
)  # fmt: skip
def test_run_with_a_bad_set_is_a_message(args, needles, tmp_path):
    result = invoke("run", SCENARIO, *args, "-n", 500, "--days", 10, "--out", tmp_path)
    assert_clean_failure(result, *needles)
    assert not list(tmp_path.glob("court-*"))


def test_compare_with_set_compares_the_scenario_with_itself_so_changed(tmp_path):
    result = invoke("compare", SCENARIO, "--set", f"{GRACE}=0", "-n", 1500, "--days", 200,
                    "--json", "--progress", "none", "--out", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["b"]["reforms_applied"] == [f"{GRACE}=0"]
    bad = invoke("compare", SCENARIO, "--set", f"{GRACE}=-5", "--out", tmp_path)
    assert_clean_failure(bad, "got -5")


# --------------------------------------------------------------------------------------------
# The worked example of docs/experiments.md


def test_the_worked_example_in_the_experiments_guide_runs(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- worked example.*?-->\s*```python\n(.*?)```", text, re.S)
    assert match, "docs/experiments.md has no worked example"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(match.group(1), "docs/experiments.md", "exec"), namespace)  # noqa: S102
    experiment = namespace["experiment"]
    assert isinstance(experiment, Experiment) and experiment.path.resolve().is_relative_to(
        tmp_path.resolve()
    )
