"""The command line in a narrow terminal (``COLUMNS=80``): no line is wider than the terminal,
and no name that identifies something (a scenario, a metric, a column) is cut."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scsim.audit.labels import metric_label
from scsim.scenario.model import bundled_names, load

SRC = Path(__file__).resolve().parents[1] / "src"


def scsim(*args: str, columns: int = 80) -> str:
    """The CLI's stdout in a fresh process with ``COLUMNS`` set, as a pipe to a pager sees it."""
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-m", "scsim", *map(str, args)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_fits(text: str, columns: int = 80) -> None:
    wide = [line for line in text.splitlines() if len(line) > columns]
    assert not wide, f"{len(wide)} lines wider than {columns}:\n" + "\n".join(wide)


def words(text: str) -> set[str]:
    """Every whitespace-separated token, so that a name cut by "…" or folded mid-word is absent."""
    return set(text.split())


@pytest.mark.parametrize("columns", [80, 160])
def test_scenarios_fit_and_name_every_scenario_whole(columns: int) -> None:
    out = scsim("scenarios", columns=columns)
    assert_fits(out, columns)
    assert "…" not in out
    for name in bundled_names():
        assert name in words(out), name
        title = load(name).spec.title
        assert " ".join(title.split()) in " ".join(_beside_names(out)), title


def _beside_names(text: str) -> list[str]:
    """The text right of the name column, record by record (titles wrap there)."""
    left = max(map(len, bundled_names())) + 2
    return [line[left:].strip() for line in text.splitlines()]


def test_scenarios_on_a_pipe_are_one_line_each() -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-m", "scsim", "scenarios"], capture_output=True, text=True,
        env={**env, "PYTHONPATH": str(SRC)}, timeout=600, check=True,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    for name in bundled_names():
        (line,) = [x for x in lines if x.startswith(name + " ")]
        assert load(name).spec.title in line


def test_scenarios_json_lists_names_titles_and_mechanisms() -> None:
    listing = json.loads(scsim("scenarios", "--json"))
    assert [s["name"] for s in listing] == bundled_names()
    for entry in listing:
        spec = load(entry["name"]).spec
        assert entry["title"] == spec.title
        assert entry["mechanisms"] == spec.mechanisms()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """rongcheng (court list and points grades) and the same with a longer grace period."""
    import scsim

    out = tmp_path_factory.mktemp("narrow")
    base = scsim.load("rongcheng")
    longer = base.reform({"schemes.court.grace_days": 90})
    a = scsim.simulate(base, population=2000, days=365, out=out / "a")
    b = scsim.simulate(longer, population=2000, days=365, out=out / "b")
    return a.path, b.path


@pytest.mark.parametrize("columns", [80, 160])
def test_compare_fits_and_names_every_metric_whole(
    two_runs: tuple[Path, Path], columns: int
) -> None:
    a, b = two_runs
    out = scsim("compare", a, b, "--all", columns=columns)
    assert_fits(out, columns)
    rows = list(csv.DictReader(io.StringIO(scsim("compare", a, b, "--csv"))))
    labels = json.loads(scsim("compare", a, b, "--json"))["category_labels"]
    assert rows
    for row in rows:  # by its label, whole; the identifiers are in --csv
        category = (labels.get(row["metric"]) or {}).get(row["category"]) or row["category"]
        label = metric_label(row["metric"]) + (f" · {category}" if category else "")
        assert flat(label) in flat(out), label
        assert row["group"] == "all" or row["group"] in words(out), row["group"]


def flat(text: str) -> str:
    """Text with every run of whitespace as one space: a label wrapped at a space reads whole,
    one folded inside a word does not."""
    return " ".join(text.split())


@pytest.mark.parametrize("columns", [80, 160])
def test_audit_fits_and_names_every_metric_whole(two_runs: tuple[Path, Path], columns: int) -> None:
    run = two_runs[0]
    out = scsim("audit", run, columns=columns)
    assert_fits(out, columns)
    data = json.loads(scsim("audit", run, "--json"))
    labels = data["category_labels"]
    for row in data["metrics"]:  # by its label, whole; the identifiers are in --json
        category = (labels.get(row["metric"]) or {}).get(row["category"]) or row["category"]
        label = metric_label(row["metric"]) + (f" · {category}" if category else "")
        assert flat(label) in flat(out), label


def test_query_prints_a_wide_result_one_record_per_row(two_runs: tuple[Path, Path]) -> None:
    run = two_runs[0]
    out = scsim("query", run, "select * from citizens limit 3")
    assert_fits(out)
    assert "--csv" in out
    names = next(csv.reader(io.StringIO(scsim("query", run, "select * from citizens", "--csv"))))
    assert len(names) > 20
    for name in names:  # each column's name starts a line of each record
        starts = [line for line in out.splitlines() if line.split()[:1] == [name]]
        assert len(starts) == 3, name


def test_query_prints_a_narrow_result_as_a_table(two_runs: tuple[Path, Path]) -> None:
    out = scsim("query", two_runs[0], "select hukou, count(*) AS n from citizens group by 1")
    lines = [line.split() for line in out.splitlines() if line.strip()]
    assert lines[0] == ["hukou", "n"]
    assert sorted(line[0] for line in lines[1:]) == ["rural", "urban"]


def test_replicates_summary_fits_and_names_every_metric_whole(tmp_path: Path) -> None:
    out = scsim("run", "rongcheng", "-n", 1000, "--days", 60, "-r", 2, "--out", tmp_path,
                "--progress", "none")  # fmt: skip
    table, written = out.rsplit("\n2 runs written to ", 1)
    assert_fits(table)  # the last line is a path to copy: a terminal wraps it, rich does not
    assert written.strip()
    for name in ("listing_rate", "grade_share · B", "sanction_share · high_speed_rail_ban"):
        assert flat(name) in flat(table), name


def test_query_json_gives_every_row_by_column_name(two_runs: tuple[Path, Path]) -> None:
    run = two_runs[0]
    rows = json.loads(scsim("query", run, "select id, hukou, age from citizens", "--json"))
    assert len(rows) == 2000 and rows[0].keys() == {"id", "hukou", "age"}
    (first,) = json.loads(
        scsim("query", run, "select min(date) AS d, 'nan'::double AS x from timeseries", "--json")
    )
    assert first == {"d": "2014-01-01", "x": None}  # a date as ISO text; NaN as null


def test_the_experiment_commands_fit_and_name_every_metric_whole() -> None:
    import tempfile

    # a short folder: an experiment's path is printed whole, on its own line
    tmp_path = Path(tempfile.mkdtemp(prefix="x", dir="/tmp"))
    small = ("-n", "400", "--days", "250", "--progress", "none", "--out", tmp_path)
    sweep = scsim("sweep", "court-blacklist", "--set", "schemes.court.grace_days=0,30",
                  "--set", "schemes.court.pay_if_able=0.6,0.9",
                  # the bundled 2013 step (0.0125) lists nobody among 400 agents in 250 days
                  "--set", "schemes.court.list_probability=0.5", *small)  # fmt: skip
    sensitivity = scsim("sensitivity", "court-blacklist", "--param",
                        "schemes.court.monthly_payment_propensity", "--param",
                        "schemes.court.grace_days=0:90", "--param",
                        "schemes.court.list_probability@2013-10-01=0.4:0.9", "--method", "morris", "-N", "2",
                        "--metrics", "listing_rate,days_listed_per_adult", *small)  # fmt: skip
    calibrate = scsim("calibrate", "national-documented", "--free",
                      "schemes.court.pay_if_able=0.6:1", "-N", "2", "-n", "600", "--until",
                      "2019-12-31", "--progress", "none", "--out", tmp_path)  # fmt: skip
    for out in (sweep, sensitivity, calibrate):
        assert_fits(out)
    for metric in ("listing_rate", "wrongful_listing_share", "poverty_trap_share"):
        assert metric in words(sweep)
    assert {"days_listed_per_adult", "grace_days"} <= words(sensitivity)
    assert "court-blacklist-sweep-" in sweep and "court-blacklist-sensitivity-" in sensitivity
    experiment = next(p for p in tmp_path.iterdir() if "calibration" in p.name)
    assert experiment.name in calibrate
    swept = next(p for p in tmp_path.iterdir() if "sweep" in p.name)
    audited = scsim("audit", swept, "--by", "hukou")
    assert_fits(audited)
    assert "listing_rate" in words(audited)
    import shutil

    shutil.rmtree(tmp_path)
