"""The command line, through click's CliRunner: exit codes, messages, and run directories.

A user error is a message and a non-zero exit, never a traceback; an interrupted or failed run
leaves no run directory that looks complete.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import scsim.cli.run as run_commands
import scsim.engine.simulate as simulate_module
from scsim.cli import main
from scsim.results import RunWriter
from scsim.scenario.model import bundled_names, bundled_path

RUN_ARGS = ["--population", "2000", "--days", "60", "--progress", "none"]
ISSUE_LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<path>[\w.]+): (?P<msg>.+)$"
)


def invoke(*args: str) -> Result:
    """Run the CLI in-process; stdout and stderr are kept apart (click >= 8.2)."""
    return CliRunner().invoke(main, [str(a) for a in args])


def flat(text: str) -> str:
    """Output without line breaks or runs of spaces (rich wraps long lines at the width)."""
    return re.sub(r"\s+", "", text)


def assert_clean_failure(result: Result, code: int | None = None) -> None:
    """A non-zero exit with a message and no Python traceback."""
    assert result.exit_code != 0, result.output
    if code is not None:
        assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.output.strip(), "a failure must say what went wrong"


def complete_runs(out: Path) -> list[Path]:
    """Directories at or below ``out`` whose manifest says the run is complete."""
    if not out.exists():
        return []
    found = []
    for manifest in out.rglob("manifest.json"):
        try:
            status = json.loads(manifest.read_text(encoding="utf-8")).get("status")
        except (OSError, ValueError):
            continue
        if status == "complete":
            found.append(manifest.parent)
    return found


def leftovers(out: Path) -> list[Path]:
    """Hidden partial or old run directories left in ``out``."""
    if not out.exists():
        return []
    return [p for p in out.iterdir() if ".partial" in p.name or ".old-" in p.name]


def monthly_scenario(folder: Path) -> Path:
    """mesa-reference with monthly epochs, so that a short run has several epochs."""
    text = bundled_path("mesa-reference").read_text(encoding="utf-8")
    assert text.count("  epoch: year\n") == 1
    path = folder / "monthly.yaml"
    path.write_text(text.replace("  epoch: year\n", "  epoch: month\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small complete run of mesa-reference with its event log (shared by read-only tests)."""
    out = tmp_path_factory.mktemp("cli-runs")
    result = invoke("run", "mesa-reference", *RUN_ARGS, "--events", "-q", "--out", out)
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip())


# ---------------------------------------------------------------------------------------------
# validate


BAD_SCENARIO_CHANGES = [
    ("  seed: 1\n", "  sede: 1\n"),
    ("    agents: 100000\n", '    agents: "1000"\n'),
    ("    kind: points\n", "    kind: pointz\n"),
]


def bad_scenario(folder: Path) -> Path:
    text = bundled_path("mesa-reference").read_text(encoding="utf-8")
    for old, new in BAD_SCENARIO_CHANGES:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = folder / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_good_scenario(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    shutil.copy(bundled_path("mesa-reference"), good)
    result = invoke("validate", good)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok mesa-reference")
    assert "Traceback" not in result.output


def test_validate_bundled_name() -> None:
    result = invoke("validate", "mesa-reference")
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout


def test_validate_bad_scenario_prints_every_issue(tmp_path: Path) -> None:
    import scsim
    from scsim.scenario.errors import ScenarioError

    bad = bad_scenario(tmp_path)
    with pytest.raises(ScenarioError) as caught:
        scsim.load(bad)
    expected = [str(issue) for issue in caught.value.issues]
    assert len(expected) == 3

    result = invoke("validate", bad)
    assert_clean_failure(result, code=2)
    lines = result.stderr.splitlines()
    issue_lines = [line for line in lines if ISSUE_LINE.match(line)]
    assert issue_lines == expected
    for line in issue_lines:
        match = ISSUE_LINE.match(line)
        assert match["file"] == str(bad)
        assert int(match["line"]) > 0 and int(match["col"]) > 0
    assert {ISSUE_LINE.match(line)["path"] for line in issue_lines} == {
        "world.sede",
        "world.population.agents",
        "schemes.traffic_points.kind",
    }
    assert "3 problems in the scenario" in result.stderr
    assert "did you mean 'seed'" in result.stderr
    assert result.stdout == ""  # nothing claims success


def test_validate_unreadable_inputs(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00 not text")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    for target, message in [
        (folder, "no scenario.yaml in this folder"),
        (binary, "binary.yaml:1:1: the file is UTF-16 (little-endian)"),
        (empty, "empty.yaml:1:1: the file is empty"),
    ]:
        result = invoke("validate", target)
        assert_clean_failure(result, code=2)
        assert message in result.stderr


def test_validate_missing_file_suggests_a_bundled_name() -> None:
    result = invoke("validate", "court-blacklst")
    assert_clean_failure(result, code=2)
    assert "did you mean 'court-blacklist'" in result.stderr


# ---------------------------------------------------------------------------------------------
# scenarios


def test_scenarios_lists_each_bundled_scenario_on_one_line() -> None:
    result = invoke("scenarios")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    names = bundled_names()
    assert "mesa-reference" in names
    assert len(lines) == len(names) + 1  # a header, then one line each
    assert lines[0].split()[0] == "name"
    assert [line.split()[0] for line in lines[1:]] == names
    mesa = next(line for line in lines if line.split()[0] == "mesa-reference")
    assert "points" in mesa


# ---------------------------------------------------------------------------------------------
# run


def test_run_writes_a_complete_run_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", "mesa-reference", *RUN_ARGS, "--out", out)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output

    [run] = [p for p in out.iterdir()]
    assert run.name.startswith("mesa-reference-")
    assert run.name.endswith("-s1")
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete"
    assert manifest["population"]["n_agents"] == 2000
    assert manifest["horizon"] == {"start": "2020-01-01", "end": "2020-02-29", "days": 60}
    assert (run / "timeseries.parquet").is_file()
    assert (run / "citizens.parquet").is_file()
    assert not (run / "events.parquet").exists()
    assert leftovers(out) == []

    # the summary and where the run went
    assert "mesa-reference" in result.stdout
    assert "2,000 agents" in result.stdout
    assert "2020-02-29" in result.stdout
    assert "Traffic violation (benchmark)" in result.stdout  # events by their labels
    assert "run written to" in result.stdout
    assert str(run) in flat(result.stdout)


def test_run_prints_the_run_directory_on_one_line(tmp_path: Path) -> None:
    out = tmp_path / ("x" * 100) / ("y" * 100)
    runner = CliRunner(env={"COLUMNS": "100"})
    result = runner.invoke(main, ["run", "mesa-reference", *RUN_ARGS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    [run] = complete_runs(out)
    assert any(str(run) in line for line in result.stdout.splitlines())


def test_validate_prints_a_path_with_brackets_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "[red]scenarios"
    folder.mkdir()
    good = folder / "good.yaml"
    shutil.copy(bundled_path("mesa-reference"), good)
    result = invoke("validate", good)
    assert result.exit_code == 0, result.output
    assert str(good) in result.stdout


@pytest.mark.parametrize("mode", ["bar", "auto"])
def test_run_progress_display_modes(tmp_path: Path, mode: str) -> None:
    out = tmp_path / "out"
    args = ["--population", "2000", "--days", "60", "--progress", mode, "-q", "--out", out]
    result = invoke("run", "mesa-reference", *args)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1
    assert len(complete_runs(out)) == 1


def test_run_with_events_writes_the_event_log(run_dir: Path) -> None:
    assert (run_dir / "events.parquet").is_file()
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete"
    assert "events.parquet" in manifest["files"]


def test_run_quiet_prints_only_the_path(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", "mesa-reference", *RUN_ARGS, "-q", "--out", out)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    path = Path(lines[0])
    assert path.parent == out
    assert (path / "manifest.json").is_file()


def test_run_seed_and_population_name_the_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    a = invoke("run", "mesa-reference", *RUN_ARGS, "-q", "--seed", "7", "--out", out)
    bigger = ["--population", "3000", "--days", "60", "--progress", "none"]
    b = invoke("run", "mesa-reference", *bigger, "-q", "--seed", "7", "--out", out)
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    assert a.stdout.strip().endswith("-s7")
    assert a.stdout.strip() != b.stdout.strip()  # a different size never overwrites
    assert len(complete_runs(out)) == 2


def test_run_with_a_named_reform(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", "court-blacklist", "--reform", "longer-grace", "--population", "2000",
                    "--days", "40", "--progress", "none", "-q", "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((Path(result.stdout.strip()) / "manifest.json").read_text())
    assert manifest["reforms_applied"] == ["longer-grace"]


def test_progress_json_writes_one_line_per_epoch_to_stderr(tmp_path: Path) -> None:
    scenario = monthly_scenario(tmp_path)
    out = tmp_path / "out"
    result = invoke("run", scenario, "--population", "2000", "--days", "90",
                    "--progress", "json", "-q", "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    phases = [r["phase"] for r in lines if "phase" in r]
    assert phases == ["synthesizing", "preparing", "simulating", "writing"]
    # Epoch lines come between the "simulating" and "writing" phases.
    kinds = ["epoch" if "epoch" in r else r["phase"] for r in lines]
    first, last = kinds.index("epoch"), len(kinds) - 1 - kinds[::-1].index("epoch")
    assert kinds[first - 1] == "simulating" and kinds[last + 1] == "writing"
    records = [r for r in lines if "epoch" in r]
    assert len(records) >= 3
    total = records[0]["epochs"]
    assert [r["epoch"] for r in records] == list(range(1, total + 1))
    assert all(set(r) == {"epoch", "epochs", "date"} and r["epochs"] == total for r in records)
    dates = [r["date"] for r in records]
    assert dates == sorted(dates)
    assert dates[-1] == "2020-03-30"  # the run's last day: 90 days from 2020-01-01
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)
    # stdout is untouched by progress
    assert len(result.stdout.splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# run: bad input


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--until", "2021-06-01"], "horizon"),
        (["--until", "2019-06-01"], "horizon"),
        (["--days", "400"], "horizon"),
        (["--days", "0"], "--days"),
        (["--days", "-3"], "--days"),
        (["--population", "0"], "--population"),
        (["--population", "10000000000000"], "smaller --population"),
        (["--days", "30", "--until", "2020-01-20"], "not both"),
        (["--until", "2020-02-30"], "--until"),
        (["--reform", "harsher"], "no reform 'harsher'"),
        (["--progress", "fancy"], "--progress"),
    ],
    ids=[
        "until-after-horizon",
        "until-before-horizon",
        "days-beyond-horizon",
        "days-zero",
        "days-negative",
        "population-zero",
        "population-too-large",
        "days-and-until",
        "until-not-a-date",
        "unknown-reform",
        "unknown-progress",
    ],
)
def test_run_bad_input_fails_cleanly(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    base = ["--population", "2000", "--progress", "none"]
    result = invoke("run", "mesa-reference", *base, *args, "--out", out)
    assert_clean_failure(result)
    assert message in result.output
    assert complete_runs(out) == []
    assert leftovers(out) == []


def test_run_too_large_population_says_it_does_not_fit_in_memory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", "mesa-reference", "--population", "10000000000000", "--days", "10",
                    "--progress", "none", "--out", out)  # fmt: skip
    assert_clean_failure(result, code=2)
    assert "GiB" in result.stderr
    assert "more than this machine has free" in result.stderr
    assert complete_runs(out) == []


def test_run_seed_too_large(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", "mesa-reference", *RUN_ARGS, "--seed", str(2**63), "--out", out)
    assert_clean_failure(result, code=2)
    assert "--seed" in result.output
    assert complete_runs(out) == []


def test_run_unknown_scenario_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", "mesa-referense", *RUN_ARGS, "--out", out)
    assert_clean_failure(result, code=2)
    assert "did you mean 'mesa-reference'" in result.stderr
    assert "nothing was run" in result.stderr
    assert not out.exists()


def test_run_invalid_scenario_file_prints_its_issues(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", bad_scenario(tmp_path), *RUN_ARGS, "--out", out)
    assert_clean_failure(result, code=2)
    assert len([line for line in result.stderr.splitlines() if ISSUE_LINE.match(line)]) == 3
    assert not out.exists()


def test_run_out_under_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = blocker / "runs"
    result = invoke("run", "mesa-reference", *RUN_ARGS, "--out", out)
    assert_clean_failure(result, code=2)
    assert "--out" in result.stderr
    assert str(out) in flat(result.stderr)
    assert blocker.read_text() == "not a folder"


def test_run_out_is_a_regular_file(tmp_path: Path) -> None:
    out = tmp_path / "a-file"
    out.write_text("not a folder")
    result = invoke("run", "mesa-reference", *RUN_ARGS, "--out", out)
    assert_clean_failure(result)
    assert out.read_text() == "not a folder"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores directory permissions"
)
def test_run_out_in_a_read_only_directory(tmp_path: Path) -> None:
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o500)
    try:
        result = invoke("run", "mesa-reference", *RUN_ARGS, "--out", out)
        assert_clean_failure(result, code=2)
        assert "choose another --out" in result.stderr
        assert list(out.iterdir()) == []
    finally:
        out.chmod(0o700)


# ---------------------------------------------------------------------------------------------
# run: Ctrl-C


def assert_interrupted(result: Result, out: Path) -> None:
    assert result.exit_code == 130, result.output
    assert isinstance(result.exception, SystemExit)
    assert "interrupted" in result.stderr
    assert "Traceback" not in result.output
    assert complete_runs(out) == []
    assert leftovers(out) == []


def test_ctrl_c_during_the_simulation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = simulate_module.run_epoch
    calls = []

    def run_epoch(*args):
        chunk_lo, chunk_hi = args[4], args[5]
        calls.append(int((chunk_hi > chunk_lo).any()))  # 0 for the warm-up on empty ranges
        if sum(calls) > 1:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(simulate_module, "run_epoch", run_epoch)
    out = tmp_path / "out"
    result = invoke("run", monthly_scenario(tmp_path), "--population", "2000", "--days", "90",
                    "--progress", "json", "--out", out)  # fmt: skip
    assert_interrupted(result, out)
    assert sum(calls) == 2
    assert '"epoch": 1' in result.stderr  # the first epoch had finished


@pytest.mark.parametrize("delay", [0.25, 0.5, 0.8])
def test_ctrl_c_at_any_moment_of_the_command_is_a_clean_exit(tmp_path: Path, delay: float) -> None:
    # A real process and a real SIGINT: early ones land while Python is still importing.
    out = tmp_path / "out"
    command = [sys.executable, "-m", "scsim", "run", "court-blacklist", "-n", "300000",
               "--progress", "none", "--out", str(out)]  # fmt: skip
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(delay)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 130, stderr
    assert "error: interrupted" in stderr
    assert "Traceback" not in stderr
    assert complete_runs(out) == []
    assert leftovers(out) == []


def test_ctrl_c_in_the_progress_callback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupting(mode: str):
        def update(done: int, total: int, day) -> None:
            raise KeyboardInterrupt

        return update, lambda _: None, lambda: None

    monkeypatch.setattr(run_commands, "progress_printer", interrupting)
    out = tmp_path / "out"
    result = invoke("run", "mesa-reference", *RUN_ARGS, "--out", out)
    assert_interrupted(result, out)


@pytest.mark.parametrize("stage", ["write_citizens", "_move_into_place"])
def test_ctrl_c_while_writing_leaves_no_partial_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    def interrupt(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(RunWriter, stage, interrupt)
    out = tmp_path / "out"
    result = invoke("run", "mesa-reference", *RUN_ARGS, "--events", "--out", out)
    assert_interrupted(result, out)
    assert list(out.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# show


def test_show_prints_the_key_numbers(run_dir: Path) -> None:
    result = invoke("show", run_dir)
    assert result.exit_code == 0, result.output
    text = result.stdout
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert "mesa-reference" in text
    assert manifest["scenario_hash"][:8] in text
    assert "seed 1" in text
    assert "2,000 agents" in text
    assert "2020-01-01 → 2020-02-29" in text
    for section in ("Grades at 2020-02-29", "Events over the run"):
        assert section in text
    assert "Listed at" not in text  # mesa-reference has points and no court list
    for grade in ("AAA", "AA", "D"):
        assert re.search(rf"^\s*{grade}\s", text, re.MULTILINE)
    assert re.search(r"^\s*Traffic violation \(benchmark\)\s+\S", text, re.MULTILINE)


def test_show_not_a_run_directory(tmp_path: Path) -> None:
    result = invoke("show", tmp_path)
    assert_clean_failure(result, code=2)
    assert "not a run directory" in result.stderr


def test_show_missing_path(tmp_path: Path) -> None:
    result = invoke("show", tmp_path / "nowhere")
    assert_clean_failure(result, code=2)
    assert "does not exist" in result.stderr


def test_show_folder_of_runs_names_them(run_dir: Path) -> None:
    result = invoke("show", run_dir.parent)
    assert_clean_failure(result, code=2)
    assert "holds runs" in result.stderr
    assert run_dir.name in result.stderr


def test_show_incomplete_run(tmp_path: Path, run_dir: Path) -> None:
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["status"] = "incomplete"
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = invoke("show", copy)
    assert_clean_failure(result, code=2)
    assert "interrupted" in result.stderr
    assert "run it again" in result.stderr


def test_show_run_with_a_missing_file(tmp_path: Path, run_dir: Path) -> None:
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    (copy / "citizens.parquet").unlink()
    result = invoke("show", copy)
    assert_clean_failure(result, code=2)
    assert "citizens.parquet is missing" in result.stderr


# ---------------------------------------------------------------------------------------------
# query


def test_query_prints_the_count(run_dir: Path) -> None:
    result = invoke("query", run_dir, "select count(*) as n from citizens")
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    assert lines == ["n", "2000"]


def test_query_csv(run_dir: Path) -> None:
    sql = "select count(*) as n, 'a,b' as label from citizens"
    result = invoke("query", run_dir, sql, "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [["n", "label"], ["2000", "a,b"]]


def test_query_events_and_manifest_views(run_dir: Path) -> None:
    result = invoke("query", run_dir, "select n_agents from manifest", "--csv")
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.stdout)))[1] == ["2000"]
    result = invoke("query", run_dir,
                    "select count(*) > 0 as any from events where event = 'event'", "--csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.stdout)))[1][0].lower() == "true"


def test_query_prints_text_as_it_is(run_dir: Path) -> None:
    result = invoke("query", run_dir, "select '[/x] [bold]y' as \"[b]\"")
    assert result.exit_code == 0, result.output
    assert "[/x] [bold]y" in result.stdout
    assert "[b]" in result.stdout


def test_query_bad_sql(run_dir: Path) -> None:
    result = invoke("query", run_dir, "selec nonsense from nowhere")
    assert_clean_failure(result, code=2)
    assert "query failed" in result.stderr


def test_query_not_a_run(tmp_path: Path) -> None:
    result = invoke("query", tmp_path, "select 1")
    assert_clean_failure(result, code=2)
    assert "not a run directory" in result.stderr


# ---------------------------------------------------------------------------------------------
# the group


def test_version_and_help() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert re.search(r"\d+\.\d+", result.output)
    result = invoke("--help")
    assert result.exit_code == 0
    for verb in ("run", "validate", "scenarios", "show", "query"):
        assert verb in result.output


@pytest.mark.parametrize("args", [["query", "select * from citizens, range(20)"],
                                  ["query", "--csv", "select * from citizens, range(20)"]])  # fmt: skip
def test_a_reader_that_stops_early_ends_the_command_quietly(run_dir: Path, args) -> None:
    # `scsim query RUN ... | head -1`: far more output than a pipe holds, and the reader goes
    # after one line; exit 141 (SIGPIPE), no message, whether rich or csv writes the rows.
    verb, *rest = args
    command = [sys.executable, "-m", "scsim", verb, str(run_dir), *rest]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.readline()
    child.stdout.close()
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=60) == 141, stderr
    assert stderr == ""


# ---------------------------------------------------------------------------------------------
# re-running a run: nothing lost silently


def test_a_rerun_without_events_says_the_event_log_was_removed(tmp_path: Path) -> None:
    args = ["run", "court-blacklist", *RUN_ARGS, "--out", tmp_path]
    with_events = invoke(*args, "--events", "-q")
    assert with_events.exit_code == 0, with_events.output
    run_dir = Path(with_events.stdout.strip())
    assert (run_dir / "events.parquet").is_file()

    for extra in ([], ["-q"]):
        invoke(*args, "--events", "-q")
        again = invoke(*args, *extra)
        assert again.exit_code == 0, again.output
        assert not (run_dir / "events.parquet").exists()
        note = [line for line in again.stderr.splitlines() if "event log" in line]
        assert len(note) == 1, again.stderr
        assert "was removed" in note[0] and "--events" in note[0] and str(run_dir) in note[0]
        assert "event log" not in again.stdout  # -q prints only the run directory

    once_more = invoke(*args, "-q")  # the log was gone already: nothing to say
    assert "event log" not in once_more.stderr
    read_only = invoke("compare", run_dir, run_dir)  # compare only read these runs
    assert "event log" not in read_only.stderr


def test_a_position_at_line_100_is_printed_as_numbers_not_an_emoji(tmp_path):
    lines = ["name: x", *[f"# {i}" for i in range(98)],
             "world: {start: 2020-01-01, end: 2019-01-01}"]  # fmt: skip
    path = tmp_path / "scenario.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:100:" in result.output and "💯" not in result.output
