"""Run integrity: the manifest's checksums, and every reader refusing a damaged run."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scsim.cli import main
from scsim.results import DamagedRun, Run
from scsim.results.store import UncheckedRun, sha256_file

RUN_ARGS = ["--population", "2000", "--days", "60", "--progress", "none"]


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("integrity-runs")
    result = invoke("run", "mesa-reference", *RUN_ARGS, "--events", "-q", "--out", out)
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip())


@pytest.fixture
def run_copy(pristine: Path, tmp_path: Path) -> Path:
    target = tmp_path / pristine.name
    shutil.copytree(pristine, target)
    return target


def readers(run: Path, tmp_path: Path) -> list[list[object]]:
    return [
        ["show", run],
        ["query", run, "select count(*) from citizens"],
        ["audit", run],
        ["explain", run, "0"],
        ["report", run, "--out", tmp_path / "report.html"],
    ]


def assert_refused(run: Path, tmp_path: Path, words: str) -> None:
    for args in readers(run, tmp_path):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert isinstance(result.exception, SystemExit), (args, repr(result.exception))
        assert "Traceback" not in result.output
        assert "damaged" in result.output and words in result.output, (args, result.output)


def test_manifest_records_every_files_checksum(pristine: Path) -> None:
    manifest = json.loads((pristine / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["sha256"]) == set(manifest["files"])
    for name, digest in manifest["sha256"].items():
        assert sha256_file(pristine / name) == digest


def test_flipped_bytes_same_size_are_refused(run_copy: Path, tmp_path: Path) -> None:
    file = run_copy / "citizens.parquet"
    data = bytearray(file.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    file.write_bytes(bytes(data))
    with pytest.raises(DamagedRun, match="citizens.parquet differs from its checksum"):
        Run(run_copy)
    assert_refused(run_copy, tmp_path, "checksum")


def test_truncated_file_is_refused(run_copy: Path, tmp_path: Path) -> None:
    file = run_copy / "timeseries.parquet"
    file.write_bytes(file.read_bytes()[:-100])
    assert_refused(run_copy, tmp_path, "bytes")


def test_deleted_file_is_refused(run_copy: Path, tmp_path: Path) -> None:
    (run_copy / "events.parquet").unlink()
    assert_refused(run_copy, tmp_path, "missing")


def test_damaged_footer_is_refused(run_copy: Path) -> None:
    file = run_copy / "citizens.parquet"
    data = bytearray(file.read_bytes())
    data[-4:] = b"XXXX"  # the closing magic
    file.write_bytes(bytes(data))
    manifest_file = run_copy / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest["sha256"]["citizens.parquet"] = sha256_file(file)
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(DamagedRun, match="Parquet footer"):
        Run(run_copy)


def test_old_manifest_without_checksums_warns(run_copy: Path) -> None:
    manifest_file = run_copy / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    del manifest["sha256"]
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Run(run_copy)
    assert [w.category for w in caught] == [UncheckedRun]


@pytest.fixture
def no_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    """An audit that fails if computed: an --out target must be checked before the work."""

    def audit(*args, **kwargs):
        raise AssertionError("the target is checked before the audit is computed")

    monkeypatch.setattr("scsim.audit.metrics.audit", audit)


@pytest.mark.parametrize("name", ["citizens.parquet", "manifest.json"])
@pytest.mark.usefixtures("no_audit")
def test_audit_out_into_a_runs_files_is_refused(run_copy: Path, name: str) -> None:
    before = (run_copy / name).read_bytes()
    result = invoke("audit", run_copy, "--out", run_copy / name)
    assert result.exit_code == 2, result.output
    assert (
        "would overwrite a file of the run" in result.output and "write elsewhere" in result.output
    )
    assert "Traceback" not in result.output
    assert (run_copy / name).read_bytes() == before
    Run(run_copy)


def test_report_out_onto_a_runs_file_is_refused(run_copy: Path) -> None:
    result = invoke("report", run_copy, "--out", run_copy / "timeseries.parquet")
    assert result.exit_code == 2, result.output
    assert "would overwrite a file of the run" in result.output
    Run(run_copy)


def test_rerun_keeps_files_the_user_wrote(tmp_path: Path) -> None:
    first = invoke("run", "mesa-reference", *RUN_ARGS, "-q", "--out", tmp_path)
    assert first.exit_code == 0, first.output
    run = Path(first.stdout.strip())
    (run / "report.html").write_text("mine", encoding="utf-8")
    again = invoke("run", "mesa-reference", *RUN_ARGS, "-q", "--out", tmp_path)
    assert again.exit_code == 0, again.output
    assert (run / "report.html").read_text(encoding="utf-8") == "mine"
    assert [p.name for p in tmp_path.iterdir()] == [run.name]
    Run(run)


def test_a_nan_in_the_state_stops_the_run_with_the_array_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scsim.engine.integrity as integrity
    from scsim.core.layout import WEALTH

    check = integrity.check_state

    def poisoned(date, sf, rates):  # a NaN appears in the citizens' wealth
        sf[7, WEALTH] = float("nan")
        check(date, sf, rates)

    monkeypatch.setattr(integrity, "check_state", poisoned)
    result = invoke("run", "mesa-reference", *RUN_ARGS, "-q", "--out", tmp_path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "wealth (sf[:, 1]) is not finite" in result.output and "savings_rate" in result.output
    assert not list(tmp_path.glob("*/manifest.json"))
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]


def test_clean_lists_and_removes_dead_partials_only(tmp_path: Path) -> None:
    import os

    dead = tmp_path / ".x-1234abcd-s1.partial-999999999-abc123"
    live = tmp_path / f".x-1234abcd-s1.partial-{os.getpid()}-def456"
    dead.mkdir()
    live.mkdir()
    listed = invoke("clean", tmp_path)
    assert listed.exit_code == 0, listed.output
    assert dead.name in listed.output and "--yes" in listed.output
    assert "still running" in listed.output
    assert dead.exists() and live.exists()
    removed = invoke("clean", tmp_path, "--yes")
    assert removed.exit_code == 0, removed.output
    assert not dead.exists() and live.exists()


@pytest.mark.parametrize(
    ("sql", "needle"),
    [
        ("copy (select 1) to '{out}'", "a COPY statement is not allowed"),
        ("copy citizens to '{run}/citizens.parquet' (use_tmp_file false)", "a COPY statement"),
        ("attach '{out}' as other", "an ATTACH statement is not allowed"),
        ("select * from read_csv('{run}/manifest.json')", "file system operations are disabled"),
        ("select * from read_csv('/etc/passwd')", "file system operations are disabled"),
        ("set enable_external_access = true", "a SET statement is not allowed"),
    ],
)
def test_query_reads_the_run_only_and_writes_nothing(
    run_copy: Path, tmp_path: Path, sql: str, needle: str
) -> None:
    before = {p.name: p.read_bytes() for p in run_copy.iterdir()}
    out = tmp_path / "written.csv"
    result = invoke("query", run_copy, sql.format(out=out, run=run_copy))
    assert result.exit_code == 2, result.output
    assert needle in result.output and "Traceback" not in result.output
    assert not out.exists()
    assert {p.name: p.read_bytes() for p in run_copy.iterdir()} == before
    # the run's own tables, events included, are still read
    fine = invoke("query", run_copy, "select count(*) as n from events", "--csv")
    assert fine.exit_code == 0 and int(fine.output.splitlines()[1]) > 0, fine.output


@pytest.mark.usefixtures("no_audit")
def test_audit_out_refuses_a_name_that_says_another_format(run_copy: Path, tmp_path: Path) -> None:
    result = invoke("audit", run_copy, "--out", tmp_path / "audit.xlsx")
    assert result.exit_code == 2, result.output
    assert "not as .xlsx — name the file audit.csv or audit.json" in result.output
    assert not (tmp_path / "audit.xlsx").exists()
