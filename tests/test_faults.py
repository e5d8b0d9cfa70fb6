"""Runs under faults: a full disk at each point of writing a run, an experiment, a report or an
audit export fails with one clear line and leaves nothing that looks complete; a partial folder
says who writes it; an unchecked run warns in one line; every reader refuses a damaged run."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import scsim
from scsim.cli import main
from scsim.core.files import DiskFull
from scsim.experiments.run import simulate_outcome, write_outcome
from scsim.results import Run

RUN_ARGS = ["--population", "1000", "--days", "40", "--progress", "none"]
ENOSPC = OSError(errno.ENOSPC, "No space left on device")
# pyarrow reports a full disk as an OSError whose errno is only in its text
ARROW_ENOSPC = OSError("error writing bytes to file. Detail: [errno 28] No space left on device")


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def full_disk(exc: OSError = ENOSPC):
    def fail(*args, **kwargs):
        raise exc

    return fail


@pytest.fixture(scope="module")
def outcome():
    sc = scsim.load("mesa-reference")
    end = sc.spec.world.start.__class__.fromordinal(sc.spec.world.start.toordinal() + 39)
    return simulate_outcome(sc, population=1000, seed=1, end=end)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fault-runs")
    result = invoke("run", "mesa-reference", *RUN_ARGS, "--events", "-q", "--out", out)
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip())


def looks_complete(out: Path) -> list[Path]:
    return [p for p in out.rglob("manifest.json") if not any(".partial" in q for q in p.parts)]


def hidden(out: Path) -> list[str]:
    return [p.name for p in out.iterdir() if p.name.startswith(".")]


# --------------------------------------------------------------------------------------------
# A full disk while writing a run


POINTS = {
    "timeseries": ("pyarrow.parquet.write_table", ARROW_ENOSPC),
    "citizens": ("pyarrow.parquet.ParquetWriter.write_batch", ARROW_ENOSPC),
    "fsync": ("scsim.results.store.fsync", ENOSPC),
    "start": ("scsim.results.store.json.dumps", ENOSPC),  # the partial folder's writer record
    "manifest": ("scsim.results.store.os.replace", ENOSPC),
    "rename": ("scsim.results.store.os.rename", ENOSPC),
}


@pytest.mark.parametrize("point", list(POINTS))
def test_a_full_disk_while_writing_a_run_leaves_nothing(
    outcome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    target, exc = POINTS[point]
    monkeypatch.setattr(target, full_disk(exc))
    with pytest.raises(DiskFull, match="no space left on the device writing") as caught:
        write_outcome(outcome, tmp_path)
    assert "free" in str(caught.value) and "--out" in str(caught.value)
    assert looks_complete(tmp_path) == [] and hidden(tmp_path) == []


def test_a_full_disk_during_scsim_run_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pyarrow.parquet.ParquetWriter.write_batch", full_disk(ARROW_ENOSPC))
    result = invoke("run", "mesa-reference", *RUN_ARGS, "-q", "--out", tmp_path)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: no space left on the device writing ")
    assert "citizens.parquet" in lines[0] and "free some space" in lines[0]
    assert looks_complete(tmp_path) == [] and hidden(tmp_path) == []


def test_a_full_disk_while_replacing_a_run_keeps_the_old_one(
    pristine: Path, outcome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write_outcome(outcome, tmp_path)
    before = {p.name: p.read_bytes() for p in first.path.iterdir()}
    monkeypatch.setattr("scsim.results.store.fsync", full_disk())
    with pytest.raises(DiskFull):
        write_outcome(outcome, tmp_path)
    assert {p.name: p.read_bytes() for p in first.path.iterdir()} == before
    assert hidden(tmp_path) == []
    Run(first.path)


def test_a_full_disk_while_writing_a_report_or_an_audit(
    pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("scsim.core.files.os.fsync", full_disk())
    for args, name in (
        (["report", pristine, "--out", tmp_path / "report.html"], "report.html"),
        (["audit", pristine, "--out", tmp_path / "audit.csv"], "audit.csv"),
        (["audit", pristine, "--out", tmp_path / "audit.json"], "audit.json"),
    ):
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"error: no space left on the device writing {tmp_path}")
        assert name in result.output and "Traceback" not in result.output
        assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())


def test_a_full_disk_while_writing_an_experiment_keeps_it_resumable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["sweep", "court-blacklist", "--set", "schemes.court.grace_days=0,30",
            *RUN_ARGS, "--out", tmp_path]  # fmt: skip
    real = pq.write_table
    calls = []

    def second_case_fails(table, where, *a, **k):
        calls.append(where)
        if len(calls) == 2:
            raise ARROW_ENOSPC
        return real(table, where, *a, **k)

    monkeypatch.setattr("pyarrow.parquet.write_table", second_case_fails)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "no space left on the device writing" in result.output, result.output
    assert "Traceback" not in result.output
    assert looks_complete(tmp_path) == []
    monkeypatch.setattr("pyarrow.parquet.write_table", real)
    again = invoke(*args, "--resume")
    assert again.exit_code == 0, again.output


# --------------------------------------------------------------------------------------------
# Partial folders: who writes them, and when clean may remove them


def test_a_partial_run_records_its_host_and_pid(outcome, tmp_path: Path, monkeypatch) -> None:
    seen = {}

    def look(*args, **kwargs):
        (partial,) = [p for p in tmp_path.iterdir() if ".partial-" in p.name]
        seen.update(json.loads((partial / ".writer.json").read_text(encoding="utf-8")))
        raise ENOSPC

    monkeypatch.setattr("scsim.results.store.fsync", look)
    with pytest.raises(DiskFull):
        write_outcome(outcome, tmp_path)
    assert seen["host"] == socket.gethostname() and seen["pid"] == os.getpid()
    assert "started" in seen


def partial(root: Path, host: str, pid: int, started: str) -> Path:
    folder = root / f".x-1234abcd-s1.partial-{pid}-{host[:3]}{started[:4]}"
    folder.mkdir()
    writer = {"host": host, "pid": pid, "started": started}
    (folder / ".writer.json").write_text(json.dumps(writer), encoding="utf-8")
    return folder


def test_clean_judges_a_partial_by_its_host_and_pid(tmp_path: Path) -> None:
    here = socket.gethostname()
    dead_here = partial(tmp_path, here, 999_999_999, "2026-01-01T00:00:00+00:00")
    alive_here = partial(tmp_path, here, os.getpid(), "2026-01-01T00:00:00+00:00")
    recent = scsim_now()
    elsewhere_new = partial(tmp_path, "other-host", os.getpid() + 1, recent)
    elsewhere_old = partial(tmp_path, "old-host", 1, "2020-01-01T00:00:00+00:00")
    listed = invoke("clean", tmp_path)
    assert listed.exit_code == 0, listed.output
    text = " ".join(listed.output.split())
    assert f"stale {dead_here}: its writer, pid 999999999 on {here}, is no longer running" in text
    assert f"kept {alive_here}: perhaps still being written" in text
    assert f"kept {elsewhere_new}: perhaps still being written (written by pid" in text
    assert "on other-host (another host)" in text
    assert f"stale {elsewhere_old}: written by pid 1 on old-host" in text
    assert f"scsim clean {tmp_path} --yes" in text
    removed = invoke("clean", tmp_path, "--yes")
    assert removed.exit_code == 0, removed.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [alive_here.name, elsewhere_new.name]
    )


def test_clean_lists_an_unfinished_experiment_and_keeps_one_being_written(tmp_path) -> None:
    import fcntl

    from scsim.experiments.store import ExperimentWriter

    stopped = ExperimentWriter(tmp_path, "stopped", {"name": "stopped"}, resume=False)
    stopped.close()  # interrupted: its lock released, its cases kept for --resume
    running = ExperimentWriter(tmp_path, "running", {"name": "running"}, resume=False)
    try:
        lock = running.path / "lock"
        with open(lock, "rb") as held, pytest.raises(BlockingIOError):  # the writer holds it
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        text = " ".join(invoke("clean", tmp_path).output.split())
        assert f"stale {stopped.path}: an unfinished experiment" in text and "--resume" in text
        assert f"kept {running.path}: perhaps still being written" in text
        removed = invoke("clean", tmp_path, "--yes")
        assert removed.exit_code == 0, removed.output
        assert sorted(p.name for p in tmp_path.iterdir()) == [".running.partial"]
    finally:
        running.close()


def scsim_now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------------
# Readers of a damaged or unchecked run


def test_an_unchecked_run_warns_in_one_line(pristine: Path, tmp_path: Path) -> None:
    run = tmp_path / pristine.name
    shutil.copytree(pristine, run)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    del manifest["sha256"]
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = invoke("show", run)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if "checksums" in line]
    assert len(warned) == 1 and warned[0].startswith("warning: run "), result.stderr
    assert "run it again" in warned[0] and "UncheckedRun" not in result.stderr


def readers(run: Path, other: Path, tmp_path: Path) -> dict[str, list[object]]:
    return {
        "show": ["show", run],
        "query": ["query", run, "select count(*) from citizens"],
        "audit": ["audit", run],
        "explain": ["explain", run, "0"],
        "report": ["report", run, "--out", tmp_path / "report.html"],
        "compare": ["compare", run, other],
        "compare-second": ["compare", other, run],
    }


FILES = ["timeseries.parquet", "citizens.parquet", "events.parquet", "manifest.json"]


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("reader", list(readers(Path(), Path(), Path())))
def test_every_reader_refuses_a_run_with_flipped_bytes(
    pristine: Path, tmp_path: Path, name: str, reader: str
) -> None:
    run = tmp_path / "damaged" / pristine.name
    shutil.copytree(pristine, run)
    file = run / name
    data = bytearray(file.read_bytes())
    at = len(data) // 2 if name != "manifest.json" else data.index(b'"status"') + 1
    data[at : at + 6] = bytes(b ^ 0x5A for b in data[at : at + 6])
    file.write_bytes(bytes(data))
    result = invoke(*readers(run, pristine, tmp_path)[reader])
    assert result.exit_code == 2, (reader, name, result.output)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.output.startswith(f"error: run {run}"), result.output
    assert "run it again" in result.output
    assert not (tmp_path / "report.html").exists()


# --------------------------------------------------------------------------------------------
# Interrupted replicates resume to the same runs

REPLICATE_ARGS = {"population": 1000, "days": 40, "seed": 3}


def parquet_bytes(runs) -> dict[str, bytes]:
    return {
        f"{run.path.name}/{name}": (run.path / name).read_bytes()
        for run in runs
        for name in ("timeseries.parquet", "citizens.parquet")
    }


def test_interrupted_replicates_resume_to_the_same_runs(tmp_path: Path) -> None:
    whole = scsim.replicate("mesa-reference", 4, out=tmp_path / "whole", **REPLICATE_ARGS)

    def stop_after_two(done, total, run):
        if done == 2:
            raise KeyboardInterrupt

    out = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):
        scsim.replicate("mesa-reference", 4, out=out, on_run=stop_after_two, **REPLICATE_ARGS)
    kept = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert len(kept) == 2
    ran = []
    resumed = scsim.replicate("mesa-reference", 4, out=out, resume=True,
                              on_run=lambda d, t, run: ran.append(run.path.name), **REPLICATE_ARGS)  # fmt: skip
    assert [r.seed for r in resumed] == [3, 4, 5, 6] and len(ran) == 4
    assert {n: (out / n).stat().st_mtime_ns for n in kept} == kept  # reused, not written again
    assert parquet_bytes(resumed) == parquet_bytes(whole)


def test_resume_runs_a_damaged_replicate_again(tmp_path: Path) -> None:
    runs = scsim.replicate("mesa-reference", 2, out=tmp_path, **REPLICATE_ARGS)
    before = parquet_bytes(runs)
    citizens = runs[1].path / "citizens.parquet"
    citizens.write_bytes(citizens.read_bytes()[:-10])
    again = scsim.replicate("mesa-reference", 2, out=tmp_path, resume=True, **REPLICATE_ARGS)
    assert parquet_bytes(again) == before


def test_compare_resume_reuses_the_finished_runs(tmp_path: Path) -> None:
    args = ["compare", "court-blacklist", "--set", "schemes.court.grace_days=90", "-r", "2",
            "-n", "1000", "--days", "60", "--progress", "none", "--out", tmp_path, "--csv"]  # fmt: skip
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    kept = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert len(kept) == 4
    again = invoke(*args, "--resume")
    assert again.exit_code == 0, again.output
    assert again.stdout == first.stdout
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == kept


@pytest.mark.slow
def test_replicates_killed_with_sigkill_resume_to_the_same_runs(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    command = [sys.executable, "-m", "scsim", "run", "mesa-reference", "-r", "6", "-n", "3000",
               "--days", "200", "--seed", "3", "--progress", "none", "-q"]  # fmt: skip
    out = tmp_path / "killed"
    process = subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if len(list(out.glob("*/manifest.json"))) >= 2:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 2 <= len(list(out.glob("*/manifest.json"))) < 6, "killed too late to test resuming"
    subprocess.run([*command, "--out", str(out), "--resume"], check=True, capture_output=True)
    subprocess.run([*command, "--out", str(tmp_path / "whole")], check=True, capture_output=True)
    killed = sorted(out.glob("*/*.parquet"))
    whole = sorted((tmp_path / "whole").glob("*/*.parquet"))
    assert [p.relative_to(out) for p in killed] == [
        p.relative_to(tmp_path / "whole") for p in whole
    ]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(killed, whole, strict=True))
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_resume_says_how_many_runs_it_wrote_and_how_many_it_reused(tmp_path: Path) -> None:
    import time

    args = ["run", "mesa-reference", *RUN_ARGS, "--out", tmp_path]
    assert invoke(*args, "-r", "2").exit_code == 0
    time.sleep(1.1)  # written_at is to the second
    again = invoke(*args, "-r", "3", "--resume")
    assert again.exit_code == 0, again.output
    assert "1 run written (2 more already complete, reused) to " in again.output, again.output
