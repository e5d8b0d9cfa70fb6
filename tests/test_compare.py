"""Replications and pairs: replicate seeds, determinism for any worker count, common random
numbers, a planted effect recovered by the paired comparison, the bootstrap on hand-made cases,
and the refusals of input that cannot be compared.

Every population is synthetic and every scenario a test fixture.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

import scsim
from scsim.audit.compare import COLUMNS, CompareError, paired_bootstrap
from scsim.audit.metrics import AuditError, switches
from scsim.cli import main
from scsim.cli.compare import compare_command
from scsim.experiments import SerialExecutor, compare, replicate, replicate_seeds

# One offence kind, always recorded, and a points scheme in which a single offence (−100 from
# 1000) drops a citizen from grade B (950 and up) to grade C for good: the share of scored adults
# in grade C after D days is exactly P(at least one offence) = 1 − (1 − p)^D.
PLANTED = """
name: planted
title: One offence kind and a points scheme (test fixture)
world:
  start: 2021-01-01
  end: 2021-12-31
  seed: 101
  population: {agents: 10000, provinces: [Zhejiang]}
behaviour:
  events:
    offence:
      daily_probability: 0.002
schemes:
  pts:
    kind: points
    base: 1000
    deltas: {offence: -100}
    grades: {C: 0, B: 950}
reforms:
  double-offences:
    description: Twice the daily probability of an offence.
    set:
      - {path: behaviour.events.offence.daily_probability, value: 0.004}
  same-offences:
    description: The same probability again (changes nothing).
    set:
      - {path: behaviour.events.offence.daily_probability, value: 0.002}
"""
P, DAYS, AGENTS = 0.002, 120, 10_000


def invoke(*args: object) -> Result:
    """``scsim`` in-process, with ``compare`` registered as cli.py registers it."""
    if "compare" not in main.commands:
        main.add_command(compare_command)
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_clean_failure(result: Result) -> None:
    """A non-zero exit with a message and no traceback."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert "error:" in result.output


def citizens(run, columns: list[str] | None = None) -> dict:
    return run.citizens(columns).to_pydict()


@pytest.fixture(scope="module")
def planted(session_scenario):
    return session_scenario(PLANTED)


@pytest.fixture(scope="module")
def doubled(planted, tmp_path_factory):
    """The planted reform compared with its baseline over twelve replicate pairs, with 99.9%
    intervals: any change to how the engine consumes random numbers draws the test again, and
    a percentile bootstrap over few pairs covers less than it says (95% nominal covers about
    91% at ten pairs; 99.9% at twelve covers about 99%)."""
    out = tmp_path_factory.mktemp("doubled")
    return compare(
        planted, reform="double-offences", replicates=12, population=AGENTS, days=DAYS, out=out,
        by="hukou", confidence=0.999,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# replicates


def test_replicate_seeds_count_up_from_the_first_and_stay_in_range():
    assert replicate_seeds(7, 3) == [7, 8, 9]
    assert replicate_seeds(2**63 - 2, 2) == [2**63 - 2, 2**63 - 1]
    with pytest.raises(ValueError, match="smaller --seed"):
        replicate_seeds(2**63 - 2, 3)
    with pytest.raises(ValueError, match="at least 1"):
        replicate_seeds(7, 0)


def test_replicates_run_distinct_seeds_in_their_own_directories(planted, tmp_path):
    runs = scsim.replicate(planted, 3, population=5000, days=60, out=tmp_path)
    assert [run.seed for run in runs] == [101, 102, 103]  # from the scenario's seed
    assert len({run.path for run in runs}) == 3
    assert len({run.hash8 for run in runs}) == 1  # the hash leaves the seed out
    points = [np.asarray(citizens(run)["points"]) for run in runs]
    assert not np.array_equal(points[0], points[1])
    assert not np.array_equal(points[1], points[2])
    # A single run with one of the seeds is that replicate.
    again = scsim.simulate(planted, seed=102, population=5000, days=60, out=tmp_path / "single")
    assert citizens(again) == citizens(runs[1])


def test_replicates_reproduce_from_the_same_first_seed(planted, tmp_path):
    first = replicate(planted, 2, seed=40, population=5000, days=45, out=tmp_path / "a")
    second = replicate(planted, 2, seed=40, population=5000, days=45, out=tmp_path / "b",
                       executor=SerialExecutor())  # fmt: skip
    assert [r.seed for r in first] == [r.seed for r in second] == [40, 41]
    for x, y in zip(first, second, strict=True):
        assert citizens(x) == citizens(y)
        assert x.timeseries().equals(y.timeseries())


def test_one_and_two_workers_give_identical_runs(planted, tmp_path):
    kw = {"seed": 9, "population": 5000, "days": 60}
    serial = replicate(planted, 2, workers=1, out=tmp_path / "serial", **kw)
    finished = []
    pooled = replicate(planted, 2, workers=2, out=tmp_path / "pool",
                       on_run=lambda done, total, run: finished.append((done, total)), **kw)  # fmt: skip
    assert sorted(finished) == [(1, 2), (2, 2)]
    assert [r.seed for r in pooled] == [9, 10]  # seed order, whichever finished first
    for x, y in zip(serial, pooled, strict=True):
        assert x.path.name == y.path.name
        assert citizens(x) == citizens(y)
        assert x.timeseries().equals(y.timeseries())


def test_workers_without_replicates_are_refused(planted, tmp_path):
    with pytest.raises(TypeError, match="workers"):  # simulate runs once; replicate has workers
        scsim.simulate(planted, workers=2, population=100, days=5, out=tmp_path)
    result = invoke("run", planted.source, "-n", 100, "--days", 5, "--workers", 2, "--out",
                    tmp_path, "--progress", "none")  # fmt: skip
    assert_clean_failure(result)
    assert "--replicates" in result.output


def test_run_replicates_command_summarises_across_seeds(planted, tmp_path):
    args = ["run", planted.source, "-n", 5000, "--days", 60, "--replicates", 3, "--seed", 5,
            "--out", tmp_path, "--progress", "none"]  # fmt: skip
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "Across 3 replicates" in result.stdout
    assert "grade_share · C" in result.stdout
    assert "mean" in result.stdout and "sd" in result.stdout
    assert "s{5..7}" in result.stdout
    assert sorted(p.name[-3:] for p in tmp_path.iterdir()) == ["-s5", "-s6", "-s7"]
    quiet = invoke(*args, "-q")
    assert quiet.exit_code == 0, quiet.output
    paths = quiet.stdout.split()
    assert [Path(p).name[-3:] for p in paths] == ["-s5", "-s6", "-s7"]


def test_run_replicates_progress_json_reports_each_replicate(planted, tmp_path):
    result = invoke("run", planted.source, "-n", 2000, "--days", 31, "--replicates", 2,
                    "--out", tmp_path, "--progress", "json", "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    done = [line for line in lines if "complete" in line]
    assert [(d["run"], d["runs"], d["seed"]) for d in done] == [(1, 2, 101), (2, 2, 102)]
    assert any(line.get("phase") == "simulating" and line["run"] == 2 for line in lines)


# --------------------------------------------------------------------------------------------
# the paired bootstrap, by hand


def test_bootstrap_of_constant_differences_is_that_constant():
    low, high = paired_bootstrap([[0.25, 0.25, 0.25], [0.0, 0.0, 0.0]])
    assert low == pytest.approx([0.25, 0.0]) and high == pytest.approx([0.25, 0.0])


def test_bootstrap_percentiles_of_hand_made_cases():
    # Pairs (1, 3): resampled means are 1, 2, 3 with chances 1/4, 1/2, 1/4, so the 2.5th and
    # 97.5th percentiles are 1 and 3.
    low, high = paired_bootstrap([1.0, 3.0])
    assert (low[0], high[0]) == (1.0, 3.0)
    # Pairs (0, 0, 3): the resampled mean is k, k ~ Binomial(3, 1/3): P(0) = 8/27 > 2.5% and
    # P(3) = 1/27 = 3.7% > 2.5%, so the interval is [0, 3] around the mean difference 1.
    low, high = paired_bootstrap([0.0, 0.0, 3.0])
    assert (low[0], high[0]) == (0.0, 3.0)
    # Pairs (0, 1, ..., 9): the interval lies inside the range, around the mean 4.5, and the
    # normal approximation (SE = sd / sqrt(n) = 0.908) puts it near 4.5 ± 1.78.
    low, high = paired_bootstrap(np.arange(10.0))
    assert 2.4 < low[0] < 3.0 and 6.0 < high[0] < 6.6


def test_bootstrap_matches_the_plain_loop_over_resamples():
    rng = np.random.default_rng(3)
    d = rng.normal(size=(4, 7))
    d[2, 3] = np.nan
    low, high = paired_bootstrap(d, resamples=500, seed=11, confidence=0.9)
    picks = np.random.Generator(np.random.PCG64(11)).integers(0, 7, size=(500, 7))
    for k in range(4):
        means = [d[k, pick].mean() for pick in picks]
        if k == 2:
            assert math.isnan(low[k]) and math.isnan(high[k])
            continue
        assert low[k] == pytest.approx(np.quantile(means, 0.05))
        assert high[k] == pytest.approx(np.quantile(means, 0.95))


def test_bootstrap_needs_two_pairs():
    low, high = paired_bootstrap([[0.5], [1.0]])
    assert np.isnan(low).all() and np.isnan(high).all()


# --------------------------------------------------------------------------------------------
# the paired comparison


def test_the_table_has_the_tidy_columns(doubled):
    assert tuple(doubled.table.column_names) == COLUMNS
    assert set(doubled.table.column("replicates").to_pylist()) == {12}
    assert doubled.info["seeds"] == list(range(101, 113))
    assert [r.seed for r in doubled.runs_a] == [r.seed for r in doubled.runs_b]


def test_paired_comparison_recovers_a_planted_effect(doubled):
    # Doubling the daily offence probability raises the share of scored adults in grade C from
    # 1 − (1 − p)^D to 1 − (1 − 2p)^D.
    before, after = 1 - (1 - P) ** DAYS, 1 - (1 - 2 * P) ** DAYS
    row = doubled.row("grade_share", category="C")
    assert row["a"] == pytest.approx(before, abs=0.01)
    assert row["b"] == pytest.approx(after, abs=0.01)
    assert row["difference"] == pytest.approx(after - before, abs=0.01)
    assert row["ci_low"] <= after - before <= row["ci_high"]
    assert row["ci_high"] - row["ci_low"] < 0.01  # common random numbers keep it sharp
    b = doubled.row("grade_share", category="B")
    assert b["difference"] == pytest.approx(-row["difference"])
    # The effect holds within each hukou group, and the population is the same on both sides.
    for group in ("rural", "urban"):
        assert doubled.row("grade_share", group, category="C")["difference"] > 0.1
    assert doubled.row("scored_share")["difference"] == 0.0


def test_common_random_numbers_pair_the_same_people(doubled):
    # With the same draws, everyone who offended at p also offends at 2p: no one is better off.
    for run_a, run_b in zip(doubled.runs_a, doubled.runs_b, strict=True):
        columns = ["age", "hukou", "n_offence"]
        a, b = citizens(run_a, columns), citizens(run_b, columns)
        assert a["age"] == b["age"] and a["hukou"] == b["hukou"]
        offended_a = np.asarray(a["n_offence"]) > 0
        offended_b = np.asarray(b["n_offence"]) > 0
        assert not (offended_a & ~offended_b).any()


def test_who_switches_is_read_citizen_by_citizen(doubled):
    # The grade outcome (below the starting grade B, i.e. C): with common random numbers
    # everyone in C at p is in C at 2p, so no one is spared, and the newly hit are the whole
    # rise of the rate (the scored are the same people on both sides).
    row = doubled.row("switched_share", category="grade")
    assert row["a"] == 0.0
    rise = doubled.row("adverse_rate", category="grade")["difference"]
    assert row["b"] == pytest.approx(rise, abs=1e-12) and row["b"] > 0.1
    for group in ("rural", "urban"):
        assert doubled.row("switched_share", group, category="grade")["b"] > 0.1
    # the first pair by hand
    run_a, run_b = doubled.runs_a[0], doubled.runs_b[0]
    a, b = (citizens(r, ["age", "scored", "grade"]) for r in (run_a, run_b))
    adult = np.asarray(a["age"]) >= 18
    scored = adult & np.asarray(a["scored"])
    in_c = [np.asarray(side["grade"]) == "C" for side in (a, b)]
    expected = (scored & in_c[1] & ~in_c[0]).sum() / scored.sum()
    (first,) = switches(run_a, run_b)[("switched_share", "grade", "all", "all")][1:2]
    assert first == pytest.approx(expected)


def test_who_switches_needs_the_same_citizens(doubled):
    other_seed = doubled.runs_b[1]
    with pytest.raises(AuditError, match="do not hold the same citizens"):
        switches(doubled.runs_a[0], other_seed)


def test_a_no_op_reform_gives_exactly_zero_difference(planted, tmp_path):
    result = compare(planted, reform="same-offences", replicates=3, population=5000, days=60,
                     out=tmp_path)  # fmt: skip
    assert len(result) > 10
    assert all(result.identical)
    for column in ("difference", "ci_low", "ci_high"):
        values = np.asarray(result.table.column(column).to_pylist(), dtype=float)
        assert (values[~np.isnan(values)] == 0).all()
    assert result.row("grade_share", category="C")["a"] > 0.05


def test_one_replicate_gives_the_point_difference_and_says_intervals_need_replicates(
    planted, tmp_path
):
    result = compare(planted, reform="double-offences", population=3000, days=60, out=tmp_path)
    row = result.row("grade_share", category="C")
    assert row["replicates"] == 1 and row["difference"] > 0.05
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])
    assert any("intervals need replicates" in note for note in result.notes)


def test_existing_run_sets_pair_by_seed_like_a_fresh_comparison(planted, doubled, tmp_path):
    # The folders of the fixture's runs hold both sides; copy each side into its own folder.
    import shutil

    for side, runs in (("a", doubled.runs_a[:3]), ("b", doubled.runs_b[:3])):
        for run in runs:
            shutil.copytree(run.path, tmp_path / side / run.path.name)
    from_runs = compare(tmp_path / "a", tmp_path / "b", by="hukou")
    fresh = compare(doubled.runs_a[:3], doubled.runs_b[:3], by="hukou")
    assert from_runs.table.equals(fresh.table)
    assert from_runs.info["seeds"] == [101, 102, 103]
    # The same rows as the twelve-pair comparison, over fewer pairs.
    assert from_runs.table.column("metric").equals(doubled.table.column("metric"))


def test_the_compare_command_prints_a_table_json_and_csv(planted, tmp_path):
    args = ["compare", planted.source, "--reform", "double-offences", "-n", 3000, "--days", 45,
            "--replicates", 2, "--by", "hukou", "--out", tmp_path, "--progress", "none"]  # fmt: skip
    table = invoke(*args)
    assert table.exit_code == 0, table.output
    assert "in a grade · C" in table.stdout and "B − A" in table.stdout
    assert "identical in every pair" in table.stdout  # e.g. scored_share
    as_json = invoke(*args, "--json")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["columns"] == list(COLUMNS) and data["replicates"] == 2
    assert data["b"]["reforms_applied"] == ["double-offences"]
    assert len(data["a"]["runs"]) == 2
    rows = list(csv.DictReader(io.StringIO(invoke(*args, "--csv").stdout)))
    assert tuple(rows[0]) == COLUMNS
    c = next(r for r in rows if r["metric"] == "grade_share" and r["category"] == "C"
             and r["group"] == "all")  # fmt: skip
    assert float(c["difference"]) > 0.05


# --------------------------------------------------------------------------------------------
# bad input


def test_runs_of_different_populations_are_refused(planted, tmp_path):
    small = scsim.simulate(planted, population=2000, days=30, out=tmp_path)
    large = scsim.simulate(planted, population=3000, days=30, out=tmp_path)
    longer = scsim.simulate(planted, population=2000, days=40, out=tmp_path)
    with pytest.raises(CompareError, match="agents: A 2,000, B 3,000"):
        compare(small, large)
    with pytest.raises(CompareError, match="end date"):
        compare(small, longer)
    result = invoke("compare", small.path, large.path)
    assert_clean_failure(result)
    assert "same synthetic population" in result.output


def test_scenarios_with_different_provinces_are_refused_before_running(
    planted, scenario_from, tmp_path
):
    elsewhere = scenario_from(PLANTED.replace("[Zhejiang]", "[Guangdong]"))
    out = tmp_path / "runs"
    result = invoke("compare", planted.source, elsewhere.source, "--days", 30, "--out", out)
    assert_clean_failure(result)
    assert "provinces: A Zhejiang, B Guangdong" in result.output
    assert not out.exists()


def test_runs_without_a_partner_seed_are_refused(planted, tmp_path):
    a = replicate(planted, 2, seed=1, population=1000, days=20, out=tmp_path / "a")
    b = replicate(planted, 2, seed=2, population=1000, days=20, out=tmp_path / "b")
    with pytest.raises(CompareError, match=r"A seed\(s\) 1; B seed\(s\) 3"):
        compare(a, b)
    # Options that say how to run scenarios make no sense for existing runs.
    with pytest.raises(CompareError, match="--replicates"):
        compare(tmp_path / "a", tmp_path / "a", replicates=3)


def test_a_folder_of_several_scenarios_runs_is_refused(planted, tmp_path):
    scsim.simulate(planted, population=1000, days=20, out=tmp_path)
    scsim.simulate(planted.reform("double-offences"), population=1000, days=20, out=tmp_path)
    with pytest.raises(CompareError, match="holds runs of 2 scenarios"):
        compare(tmp_path, tmp_path)


def test_an_unknown_reform_names_the_close_one_and_lists_them(planted, tmp_path):
    result = invoke("compare", planted.source, "--reform", "double-offence", "--out", tmp_path)
    assert_clean_failure(result)
    assert "did you mean 'double-offences'?" in result.output
    assert "its reforms: double-offences, same-offences" in result.output
    none = invoke("compare", "mesa-reference", "--reform", "x", "--out", tmp_path)
    assert_clean_failure(none)
    assert "it defines none" in none.output


def test_a_bad_grouping_fails_before_any_run(planted, tmp_path):
    with pytest.raises(AuditError, match="did you mean 'hukou'"):
        compare(planted, reform="double-offences", by="hukuo", out=tmp_path)
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "planted"], "--reform NAME"),
        (["compare", "A", "B", "--reform", "x"], "not both"),
    ],
)
def test_compare_needs_two_sides(args, message):
    result = invoke(*args)
    assert_clean_failure(result)
    assert message in result.output


def test_a_scenario_and_a_run_are_not_compared(planted, tmp_path):
    run = scsim.simulate(planted, population=1000, days=20, out=tmp_path)
    result = invoke("compare", planted.source, run.path)
    assert_clean_failure(result)
    assert "not a run with a scenario" in result.output


def test_a_mechanism_one_side_lacks_is_compared_with_zero_and_said(tmp_path):
    # (400 days from 2014-01-01 with the bundled 2014 listing probability list almost nobody)
    listing = scsim.load("national-documented").reform({"schemes.court.list_probability": 0.6})
    result = scsim.compare(listing, "hukou-only", population=2000, days=400, out=tmp_path)
    rows = {(r["metric"], r["category"], r["group_by"], r["group"]): r
            for r in result.table.to_pylist()}  # fmt: skip
    # hukou-only has no court list, sanctions or grades: those rows stay, with B = 0
    for key in [("poverty_trap_share", "", "all", "all"),
                ("adverse_rate", "listed", "all", "all")]:  # fmt: skip
        assert key in rows, key
        assert rows[key]["b"] == 0 and rows[key]["difference"] == -rows[key]["a"]
    sanctions = [k for k in rows if k[0] == "sanction_share" and k[2] == "all"]
    assert sanctions and all(rows[k]["b"] == 0 for k in sanctions)
    (note,) = [n for n in result.notes if "compared with zero" in n]
    assert "poverty_trap_share" in note and "absent in B" in note
    # ratios of two rates mean nothing at 0 / 0, and a target's value is no count: left out
    assert not [k for k in rows if k[0] in ("adverse_ratio", "calibration") and k[1] == "listed"]
