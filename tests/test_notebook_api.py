"""The API as a notebook uses it: the verbs importable from their packages, a Run's own audit,
report and summary, short reprs and escaped HTML, pandas frames with real dates, and
``Scenario.params`` as a mapping.

Every population here is synthetic and small.
"""

from __future__ import annotations

import datetime as dt
import html
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import scsim
from scsim.audit.compare import Comparison
from scsim.audit.metrics import AuditTable
from scsim.scenario.model import Params

ROOT = Path(__file__).resolve().parents[1]
SHORT = 300  # characters: a repr that fits a notebook's output line or two


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> scsim.Run:
    out = tmp_path_factory.mktemp("runs")
    return scsim.simulate("court-blacklist", population=2000, days=600, seed=3, out=out)


@pytest.fixture(scope="module")
def comparison(run: scsim.Run, tmp_path_factory: pytest.TempPathFactory) -> Comparison:
    out = tmp_path_factory.mktemp("reformed")
    reformed = scsim.load("court-blacklist").reform({"schemes.court.grace_days": 90})
    other = scsim.simulate(reformed, population=2000, days=600, seed=3, out=out)
    return scsim.compare(run, other, by="hukou")


def assert_short_and_escaped(obj: object) -> str:
    text = repr(obj)
    assert len(text) < SHORT and "\n" not in text, text
    page = obj._repr_html_()  # type: ignore[attr-defined]
    assert page.startswith("<div>") and "<table>" in page
    return page


# --------------------------------------------------------------------------------------------
# 1. The verbs from their packages


def test_the_verbs_import_from_their_packages() -> None:
    import scsim.audit.metrics
    import scsim.report.write
    from scsim.audit import audit
    from scsim.report import report

    assert audit is scsim.audit.metrics.audit
    assert report is scsim.report.write.write_report
    assert callable(scsim.audit) and callable(scsim.report) and callable(scsim.compare)
    from scsim import compare

    assert compare is scsim.compare
    with pytest.raises(ImportError):
        from scsim.audit import no_such_verb  # noqa: F401


def test_importing_scsim_audit_stays_light() -> None:
    """The command line imports ``scsim.audit``; the audit's metrics load only when used."""
    code = "import sys, scsim.audit; print('scsim.audit.metrics' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "src")})  # fmt: skip
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------
# 2. A run's own verbs


def test_a_run_audits_itself_as_the_audit_does(run: scsim.Run) -> None:
    table = run.audit(by="hukou")
    assert isinstance(table, AuditTable)
    pd.testing.assert_frame_equal(table.to_pandas(), scsim.audit(run, by="hukou").to_pandas())
    assert table.info["by"] == ["hukou"]


def test_a_run_summarizes_itself_as_show_does(run: scsim.Run) -> None:
    from scsim.results.summary import summarize

    summary = run.summary()
    assert summary == summarize(run)
    assert summary["name"] == "court-blacklist" and summary["listed"]


def test_a_run_writes_its_report(run: scsim.Run, tmp_path: Path) -> None:
    path = run.report(tmp_path / "r.html")
    assert path == tmp_path / "r.html" and "<html" in path.read_text(encoding="utf-8")[:500]


def test_the_results_box_loads_without_the_audit_and_the_report() -> None:
    code = ("import sys, scsim.results; "
            "print(any(m.startswith(('scsim.audit', 'scsim.report')) for m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "src")})  # fmt: skip
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------
# 3. Reprs and HTML


def test_a_scenario_shows_itself_in_one_line() -> None:
    sc = scsim.load("court-blacklist")
    text = repr(sc)
    assert text == (
        f"Scenario('court-blacklist', hash={sc.hash[:8]}, 2013-10-01…2020-12-31, "
        f"{sc.spec.world.population.agents:,} agents, schemes: court)"
    )
    page = assert_short_and_escaped(sc)
    assert "court_list" in page and sc.hash[:8] in page
    reformed = sc.reform({"schemes.court.grace_days": 90})
    assert "reformed: schemes.court.grace_days=90" in repr(reformed)
    for name in ("national-documented", "hukou-only", "sesame"):
        assert_short_and_escaped(scsim.load(name))


def test_html_escapes_what_a_scenario_says(scenario_from) -> None:
    sc = scsim.load("mesa-reference")
    text = (Path(sc.source).read_text(encoding="utf-8")).replace(
        "title:", "title: '<script>alert(1)</script> &' #", 1
    )
    page = scenario_from(text)._repr_html_()
    assert "<script>" not in page
    assert html.escape("<script>alert(1)</script> &") in page


def test_a_run_shows_itself_in_one_line(run: scsim.Run) -> None:
    text = repr(run)
    assert text.startswith("Run('court-blacklist', seed=3, 2,000 agents, 2013-10-01…")
    assert str(run.path) in text
    page = assert_short_and_escaped(run)
    assert run.hash8 in page and "timeseries, citizens" in page


def test_audit_and_comparison_tables_show_a_summary_not_the_data(
    run: scsim.Run, comparison: Comparison
) -> None:
    table = run.audit(by="hukou")
    assert repr(table).startswith(f"AuditTable({len(table):,} rows, ")
    page = assert_short_and_escaped(table)
    assert page.count("<tr>") < 20 and "more rows" in page
    assert repr(comparison).startswith(f"Comparison({len(comparison):,} rows, ")
    assert "a=court-blacklist, b=court-blacklist-reform" in repr(comparison)
    page = assert_short_and_escaped(comparison)
    assert "difference" in page and page.count("<tr>") < 20


def test_an_experiment_shows_itself_in_one_line(tmp_path: Path) -> None:
    experiment = scsim.sweep("court-blacklist", {"schemes.court.grace_days": [0, 90]},
                             population=500, days=40, out=tmp_path)  # fmt: skip
    text = repr(experiment)
    assert text.startswith("Experiment(sweep of 'court-blacklist', 2 cases over ")
    page = assert_short_and_escaped(experiment)
    assert "schemes.court.grace_days" in page and "more rows" in page
    frame = experiment.to_pandas()
    assert len(frame) == experiment.results.num_rows
    assert str(frame["date"].dtype).startswith("datetime64")
    assert experiment.to_arrow() is experiment.results


# --------------------------------------------------------------------------------------------
# 4. Tables as pandas and Arrow


def test_every_table_comes_as_pandas_and_arrow(run: scsim.Run, comparison: Comparison) -> None:
    table = run.audit(by="hukou")
    for result in (table, comparison):
        frame = result.to_pandas()
        assert isinstance(frame, pd.DataFrame) and len(frame) == len(result)
        assert list(frame.columns) == list(result.COLUMNS)
        assert result.to_arrow() is result.table
    timeseries = run.to_pandas()
    assert str(timeseries["date"].dtype).startswith("datetime64")
    assert timeseries["date"].min().date() == dt.date(2013, 10, 31)
    assert len(timeseries) == run.timeseries().num_rows
    citizens = run.to_pandas("citizens", columns=["age", "listed"])
    assert list(citizens.columns) == ["age", "listed"] and len(citizens) == 2000
    assert isinstance(run.to_arrow("citizens"), pa.Table)
    with pytest.raises(scsim.results.RunError, match="timeseries, citizens and events"):
        run.to_arrow("people")
    with pytest.raises(scsim.results.RunError, match="no event log"):
        run.to_arrow("events")


# --------------------------------------------------------------------------------------------
# 5. Scenario.params


def test_params_is_a_read_only_mapping() -> None:
    sc = scsim.load("court-blacklist")
    params = sc.params
    assert isinstance(params, Mapping) and isinstance(params, Params)
    assert params["schemes.court.grace_days"] == 0
    assert "schemes.court.grace_days" in params and len(params) == len(list(params))
    with pytest.raises(TypeError):
        params["schemes.court.grace_days"] = 30  # type: ignore[index]
    assert sc.reform({"schemes.court.grace_days": 30}).params["schemes.court.grace_days"] == 30
    assert params["schemes.court.grace_days"] == 0  # the baseline is not changed
    assert sc.params() == dict(params)  # the old spelling still answers, with a copy
    assert len(repr(params)) < SHORT


def test_an_explanation_shows_one_citizen_and_its_timeline(tmp_path: Path) -> None:
    run = scsim.simulate("court-blacklist", population=1000, days=1000, seed=3, events=True,
                         out=tmp_path)  # fmt: skip
    story = scsim.explain(run, pick="n_listings > 0")
    assert repr(story) == (
        f"Explanation(citizen {story.citizen} of 'court-blacklist', seed 3, "
        f"{len(story.timeline):,} events)"
    )
    page = assert_short_and_escaped(story)
    assert "(synthetic)" in page
    timeline = story.to_pandas()
    assert len(timeline) == len(story.timeline) > 0
    assert str(timeline["date"].dtype).startswith("datetime64")
    assert timeline["date"].is_monotonic_increasing
