import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from scsim.cli.show import render_summary
from scsim.results import (
    FORMAT_VERSION,
    IncompatibleRun,
    IncompleteRun,
    Run,
    RunError,
    RunNotFound,
    RunWriter,
    run_dir_name,
    store,
    summarize,
)

HASH = "1a2b3c4d5e6f7a8b9c0d"
NAME = run_dir_name("court-blacklist", HASH, 7)
D1, D2 = dt.date(2018, 1, 31), dt.date(2018, 2, 28)


def _timeseries() -> pa.Table:
    rows = [
        (D1, "listed", "all", "", 100.0),
        (D1, "listed", "hukou=urban", "", 40.0),
        (D1, "listed", "hukou=rural", "", 60.0),
        (D2, "listed", "all", "", 200.0),
        (D2, "listed", "hukou=urban", "", 80.0),
        (D2, "listed", "hukou=rural", "", 120.0),
        (D2, "listed_share_adults", "all", "", 0.002),
        (D2, "listed_share_adults", "hukou=urban", "", 0.0016),
        (D2, "listed_share_adults", "hukou=rural", "", 0.0024),
        (D1, "grade_count", "all", "AAA", 500.0),
        (D1, "grade_count", "all", "A", 500.0),
        (D2, "grade_count", "all", "AAA", 600.0),
        (D2, "grade_count", "all", "A", 300.0),
        (D2, "grade_count", "all", "B", 100.0),
        (D2, "grade_count", "hukou=urban", "B", 99.0),
        (D2, "grade_count", "hukou=urban", "A", 1.0),
        (D2, "population", "hukou=rural", "", 600.0),
        (D2, "population", "hukou=urban", "", 500.0),
        (D2, "sanctioned", "hukou=rural", "flight_ban", 120.0),
        (D2, "sanctioned", "hukou=urban", "flight_ban", 30.0),
        (D1, "sanctioned", "all", "flight_ban", 70.0),
        (D2, "sanctioned", "all", "flight_ban", 150.0),
        (D2, "sanctioned", "all", "rail_ban", 50.0),
        (D2, "sanction_days", "all", "flight_ban", 1000.0),
        (D2, "sanction_days", "all", "rail_ban", 300.0),
        (D1, "events_true", "all", "traffic_violation", 1000.0),
        (D2, "events_true", "all", "traffic_violation", 2000.0),
        (D1, "events_true", "all", "tax_evasion", 10.0),
        (D2, "events_true", "all", "tax_evasion", 20.0),
        (D2, "events_true", "hukou=urban", "traffic_violation", 999.0),
        (D1, "events_recorded", "all", "traffic_violation", 500.0),
        (D2, "events_recorded", "all", "traffic_violation", 700.0),
        (D1, "events_recorded", "all", "tax_evasion", 5.0),
        (D2, "events_recorded", "all", "tax_evasion", 5.0),
        (D1, "wrongful_records", "all", "", 3.0),
        (D2, "wrongful_records", "all", "", 4.0),
    ]
    cols = list(zip(*rows, strict=True))
    return pa.table(dict(zip(["date", "metric", "group", "category", "value"], cols, strict=True)))


def _citizens(n: int = 10) -> dict:
    rng = np.random.default_rng(0)
    hukou = np.arange(n, dtype=np.int8) % 2
    hukou[-1] = -1  # missing
    return {
        "age": rng.integers(18, 90, n).astype(np.int16),
        "score": rng.random(n),
        "listed": np.arange(n) % 3 == 0,
        "hukou": (hukou, ["urban", "rural"]),
    }


def _manifest() -> dict:
    return {
        "scenario": {"name": "court-blacklist"},
        "scenario_hash": HASH,
        "seed": np.int64(7),
        "population": {"n_agents": 1000, "real_population": 1.41e9},
        "horizon": {"start": dt.date(2018, 1, 1), "end": D2},
        "timings": {"simulate_s": 12.3},
        "calibration": [
            {
                "name": "court list 2019",
                "metric": "listed",
                "period": ["2019-01-01", "2019-12-31"],
                "low": 1.0e7,
                "high": 1.5e7,
                "simulated": 1.2e7,
                "within": True,
            },
            {
                "name": "listed share",
                "metric": "listed_share_adults",
                "period": "2019-12-31",
                "low": 0.01,
                "high": 0.02,
                "simulated": 0.03,
                "within": False,
            },
        ],
    }


def _write(root: Path, name: str = NAME, events: bool = False, **manifest_extra) -> Path:
    with RunWriter(root, name, scenario_hash=HASH) as w:
        w.write_timeseries(_timeseries())
        w.write_citizens(_citizens())
        if events:
            w.write_events(
                {
                    "day": np.array([1, 2, 3], dtype=np.int32),
                    "citizen": np.array([0, 4, 4], dtype=np.int64),
                    "rule": (np.array([0, 1, 0]), ["speeding", "unpaid_debt"]),
                }
            )
        return w.commit({**_manifest(), **manifest_extra})


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith("."))


def test_run_dir_name():
    assert run_dir_name("court-blacklist", HASH, 7) == "court-blacklist-1a2b3c4d-s7"


def test_writer_produces_a_complete_run(tmp_path):
    path = _write(tmp_path)
    assert path == tmp_path / NAME
    assert {p.name for p in path.iterdir()} == {
        "manifest.json",
        "timeseries.parquet",
        "citizens.parquet",
    }
    assert _leftovers(tmp_path) == []
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["seed"] == 7 and manifest["horizon"]["start"] == "2018-01-01"
    assert manifest["files"] == {
        f: (path / f).stat().st_size for f in ("citizens.parquet", "timeseries.parquet")
    }
    assert dt.datetime.fromisoformat(manifest["written_at"]).tzinfo is not None
    for f in ("timeseries.parquet", "citizens.parquet"):
        meta = pq.read_schema(path / f).metadata
        assert meta[b"scsim.scenario_hash"] == HASH.encode()
        assert b"scsim.version" in meta
        assert pq.ParquetFile(path / f).metadata.row_group(0).column(0).compression == "ZSTD"


def test_reader_round_trip(tmp_path):
    run = Run(_write(tmp_path))
    assert (run.name, run.seed, run.scenario_hash, run.hash8) == (
        "court-blacklist",
        7,
        HASH,
        "1a2b3c4d",
    )
    assert run.population == {"n_agents": 1000, "real_population": 1.41e9}
    assert run.weight == pytest.approx(1.41e6)
    assert not run.has_events
    assert run.parquet_metadata("citizens.parquet")["scsim.scenario_hash"] == HASH

    ts = run.timeseries()
    assert ts.schema.names == ["date", "metric", "group", "category", "value"]
    assert ts.schema.field("date").type == pa.date32()
    assert ts.schema.field("value").type == pa.float64()
    assert ts.num_rows == _timeseries().num_rows

    cit = run.citizens()
    src = _citizens()
    assert cit.schema.names == ["id", "age", "score", "listed", "hukou"]
    assert cit.schema.field("id").type == pa.int64()
    assert cit["id"].to_pylist() == list(range(10))
    assert cit.schema.field("listed").type == pa.bool_()
    assert np.array_equal(cit["score"].to_numpy(), src["score"])
    assert pa.types.is_dictionary(cit.schema.field("hukou").type)
    assert cit["hukou"].to_pylist() == ["urban", "rural"] * 4 + ["urban", None]
    assert run.citizens(columns=["hukou"]).schema.names == ["hukou"]


def test_citizens_are_written_in_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "CITIZEN_ROW_GROUP", 4)
    n = 10
    with RunWriter(tmp_path, NAME, scenario_hash=HASH) as w:
        w.write_timeseries(_timeseries())
        w.write_citizens({"id": np.arange(100, 100 + n), **_citizens(n)})
        path = w.commit(_manifest())
    assert pq.ParquetFile(path / "citizens.parquet").num_row_groups == 3
    cit = Run(path).citizens()
    assert cit["id"].to_pylist() == list(range(100, 110))
    assert cit["hukou"].to_pylist() == ["urban", "rural"] * 4 + ["urban", None]


def test_bad_columns_are_rejected(tmp_path):
    with RunWriter(tmp_path, NAME, scenario_hash=HASH) as w:
        with pytest.raises(ValueError, match="expected"):
            w.write_timeseries(_timeseries().drop_columns(["category"]))
        with pytest.raises(ValueError, match="differ in length"):
            w.write_citizens({"a": np.zeros(3), "b": np.zeros(4)})
        with pytest.raises(ValueError, match="labels"):
            w.write_citizens({"c": (np.array([0, 2]), ["x", "y"])})
    assert _leftovers(tmp_path) == [] and not (tmp_path / NAME).exists()


def test_query_views_and_join(tmp_path):
    run = Run(_write(tmp_path, events=True))
    assert run.has_events
    assert run.query("select count(*) as n from citizens")["n"].to_pylist() == [10]
    joined = run.query(
        """
        select t.value, c.n, m.n_agents, m.weight
        from timeseries t
        cross join (select count(*) filter (where listed) as n from citizens) c
        cross join manifest m
        where t.metric = 'listed' and t."group" = 'all' and t.date = date '2018-02-28'
        """
    )
    assert joined.to_pylist() == [{"value": 200.0, "n": 4, "n_agents": 1000, "weight": 1.41e6}]
    manifest = run.query("select name, scenario_hash, seed from manifest").to_pylist()
    assert manifest == [{"name": "court-blacklist", "scenario_hash": HASH, "seed": 7}]
    events = run.query("select rule, count(*) as n from events group by rule order by rule")
    assert events.to_pylist() == [{"rule": "speeding", "n": 2}, {"rule": "unpaid_debt", "n": 1}]


def test_query_error_is_a_run_error(tmp_path):
    run = Run(_write(tmp_path))
    with pytest.raises(RunError, match="query failed: .*no_such_table") as info:
        run.query("select * from no_such_table")
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_interrupted_write_leaves_nothing(tmp_path, exc):
    with pytest.raises(type(exc)), RunWriter(tmp_path, NAME, scenario_hash=HASH) as w:
        w.write_timeseries(_timeseries())
        w.write_citizens(_citizens())
        raise exc
    assert list(tmp_path.iterdir()) == []


def test_leftovers_of_dead_processes_are_cleaned(tmp_path):
    dead = tmp_path / f".{NAME}.partial-999999999-abcdef"
    (dead / "sub").mkdir(parents=True)
    other = tmp_path / ".other-run.partial-999999999"
    other.mkdir()
    _write(tmp_path)
    assert _leftovers(tmp_path) == [other.name]


def test_no_commit_leaves_nothing(tmp_path):
    with RunWriter(tmp_path, NAME, scenario_hash=HASH) as w:
        w.write_timeseries(_timeseries())
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError, match="closed"):
        w.write_citizens(_citizens())


def test_commit_needs_timeseries_and_citizens(tmp_path):
    with (
        pytest.raises(RuntimeError, match="citizens.parquet not written"),
        RunWriter(tmp_path, NAME, scenario_hash=HASH) as w,
    ):
        w.write_timeseries(_timeseries())
        w.commit(_manifest())
    assert list(tmp_path.iterdir()) == []


def test_unremovable_partial_run_is_marked_incomplete(tmp_path, monkeypatch):
    def fail(path):
        raise PermissionError("read-only")

    monkeypatch.setattr(store, "_remove", fail)
    with pytest.raises(KeyboardInterrupt), RunWriter(tmp_path, NAME, scenario_hash=HASH) as w:
        w.write_timeseries(_timeseries())
        raise KeyboardInterrupt
    assert not (tmp_path / NAME).exists()
    (partial,) = tmp_path.iterdir()
    assert partial.name.startswith(f".{NAME}.partial-")
    assert json.loads((partial / "manifest.json").read_text())["status"] == "incomplete"
    with pytest.raises(IncompleteRun, match="incomplete"):
        Run(partial)


def test_replacing_an_existing_run(tmp_path):
    first = _write(tmp_path)
    (first / "stale.txt").write_text("old")
    with RunWriter(tmp_path, NAME, scenario_hash=HASH) as w:
        w.write_timeseries(_timeseries().slice(0, 3))
        w.write_citizens(_citizens(5))
        second = w.commit(_manifest())
    assert second == first
    assert (second / "stale.txt").read_text() == "old"  # what the user wrote there is kept
    assert Run(second).citizens().num_rows == 5
    assert _leftovers(tmp_path) == []


def test_a_rerun_without_an_event_log_says_it_removed_the_old_one(tmp_path):
    first = _write(tmp_path, events=True)
    assert Run(first).has_events and Run(first).removed_from_previous_run == []
    second = _write(tmp_path)  # the same run name, no event log
    assert second == first
    assert not (second / "events.parquet").exists()  # never a stale log beside the new run
    assert Run(second).removed_from_previous_run == ["events.parquet"]
    third = _write(tmp_path)  # nothing left to remove
    assert Run(third).removed_from_previous_run == []
    assert Run(_write(tmp_path, events=True)).removed_from_previous_run == []


def test_failed_replacement_keeps_the_old_run(tmp_path):
    _write(tmp_path)
    with pytest.raises(ValueError), RunWriter(tmp_path, NAME, scenario_hash=HASH) as w:
        w.write_timeseries(_timeseries())
        w.write_citizens(_citizens(3))
        raise ValueError("simulation diverged")
    assert Run(tmp_path / NAME).citizens().num_rows == 10
    assert _leftovers(tmp_path) == []


def test_missing_run(tmp_path):
    with pytest.raises(RunNotFound, match=r"no run at .*nope.*does not exist"):
        Run(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunNotFound, match="no manifest.json"):
        Run(tmp_path / "empty")
    _write(tmp_path)
    with pytest.raises(RunNotFound, match=f"holds runs — pick one: {NAME}"):
        Run(tmp_path)


def _edit_manifest(path: Path, **changes) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    manifest.update(changes)
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_incomplete_run(tmp_path):
    path = _write(tmp_path)
    _edit_manifest(path, status="incomplete")
    with pytest.raises(IncompleteRun, match=r"status is 'incomplete' — the run was interrupted"):
        Run(path)
    (path / "manifest.json").write_text("{not json")
    with pytest.raises(IncompleteRun, match="cannot be read"):
        Run(path)


def test_damaged_run_files(tmp_path):
    path = _write(tmp_path)
    with (path / "citizens.parquet").open("ab") as fh:
        fh.write(b"junk")
    with pytest.raises(IncompleteRun, match="citizens.parquet has .* bytes"):
        Run(path)
    (path / "citizens.parquet").unlink()
    with pytest.raises(IncompleteRun, match="citizens.parquet is missing"):
        Run(path)


def test_other_format_version(tmp_path):
    path = _write(tmp_path)
    _edit_manifest(path, format_version=FORMAT_VERSION + 1)
    with pytest.raises(IncompatibleRun, match="format version 2.*reads version 1.*re-run"):
        Run(path)


def test_run_errors_share_a_base():
    for cls in (RunNotFound, IncompleteRun, IncompatibleRun):
        assert issubclass(cls, RunError)


def test_summarize_hand_built_case(tmp_path):
    s = summarize(Run(_write(tmp_path)))
    assert (s["name"], s["seed"], s["hash8"]) == ("court-blacklist", 7, "1a2b3c4d")
    assert s["population"] == {"n_agents": 1000, "real_population": 1.41e9}
    assert s["horizon"] == {"start": "2018-01-01", "end": "2018-02-28"}
    assert s["simulate_s"] == 12.3
    assert s["last_date"] == "2018-02-28"
    assert s["listed"] == [
        {"group": "all", "listed": 200.0, "share_adults": 0.002},
        {"group": "hukou=urban", "listed": 80.0, "share_adults": 0.0016},
        {"group": "hukou=rural", "listed": 120.0, "share_adults": 0.0024},
    ]
    assert [(g["grade"], g["count"]) for g in s["grades"]] == [
        ("AAA", 600.0),
        ("A", 300.0),
        ("B", 100.0),
    ]
    assert [g["share"] for g in s["grades"]] == pytest.approx([0.6, 0.3, 0.1])
    assert [g["by_hukou"] for g in s["grades"]] == [
        {},
        {"hukou=urban": pytest.approx(0.01)},
        {"hukou=urban": pytest.approx(0.99)},
    ]
    assert s["sanctions"] == [
        {
            "measure": "flight_ban",
            "people": 150.0,
            "days": 1000.0,
            "by_hukou": {"hukou=rural": 0.2, "hukou=urban": 0.06},
        },
        {"measure": "rail_ban", "people": 50.0, "days": 300.0, "by_hukou": {}},
    ]
    assert s["events"]["by_category"] == [
        {"category": "traffic_violation", "true": 3000.0, "recorded": 1200.0, "wrongful": None},
        {"category": "tax_evasion", "true": 30.0, "recorded": 10.0, "wrongful": None},
    ]
    assert s["events"]["total"] == {
        "category": "total",
        "true": 3030.0,
        "recorded": 1210.0,
        "wrongful": 7.0,
    }
    assert [(c["name"], c["within"]) for c in s["calibration"]] == [
        ("court list 2019", True),
        ("listed share", False),
    ]


def _render(summary: dict) -> str:
    out = io.StringIO()
    render_summary(summary, Console(file=out, width=110, color_system=None))
    return out.getvalue()


def test_render_summary_prints_the_key_numbers(tmp_path):
    text = _render(summarize(Run(_write(tmp_path))))
    for needle in [
        "court-blacklist",
        "1a2b3c4d",
        "1,000 agents",
        "1.41 B persons",
        "12.3 s",
        "2018-02-28",
        "hukou=rural",
        "0.200%",  # listed share of adults (three significant figures, as in the report)
        "60.0%",  # grade AAA
        "flight_ban",
        "traffic_violation",
        "3,030",
        "court list 2019",
        "10 M – 15 M",
        "12 M",
        "✓",
        "✗",
    ]:
        assert needle in text, needle


def test_summary_of_a_run_without_known_metrics(tmp_path):
    ts = pa.table(
        {
            "date": [D1],
            "metric": ["population"],
            "group": ["all"],
            "category": [""],
            "value": [5.0],
        }
    )
    with RunWriter(tmp_path, "bare", scenario_hash=HASH) as w:
        w.write_timeseries(ts)
        w.write_citizens({"x": np.zeros(3)})
        path = w.commit({"seed": 1, "population": {"n_agents": 3}})
    s = summarize(Run(path))
    assert s["listed"] == s["grades"] == s["sanctions"] == s["calibration"] == []
    assert s["events"] == {"by_category": [], "total": None}
    text = _render(s)
    assert "3 agents" in text and "Listed" not in text and "Events" not in text
