"""Citizen columns are declared from the scenario (results.outcome.citizen_column_types, each
stage's column_types), never learned from a probe run: the declaration equals what every bundled
scenario writes, and an audit's options (and the metrics it will write) are checked against it
before any run starts."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import scsim
from scsim.audit.metrics import AuditError, audit, check
from scsim.core.vocabulary import ColumnType
from scsim.engine.metrics import written_metrics
from scsim.engine.simulate import simulate_arrays
from scsim.experiments import paired
from scsim.experiments.run import calibration_of
from scsim.results.outcome import citizen_column_types, citizen_columns
from scsim.scenario.model import bundled_names


def written_type(value) -> ColumnType:
    """The type of a column as citizen_columns hands it to the writer."""
    if isinstance(value, tuple):
        return ColumnType("category", tuple(str(level) for level in value[1]))
    return ColumnType("bool" if np.asarray(value).dtype == np.bool_ else "number")


@pytest.mark.parametrize("name", bundled_names())
def test_the_declared_columns_are_the_written_ones_in_order(name: str) -> None:
    scenario = scsim.load(name)
    written = citizen_columns(simulate_arrays(scenario, population=800, days=40))
    declared = citizen_column_types(scenario.spec)
    assert list(declared) == list(written)
    assert declared == {column: written_type(value) for column, value in written.items()}


def test_an_audits_options_are_checked_against_the_declaration() -> None:
    spec = scsim.load("national-documented").spec
    columns = citizen_column_types(spec)
    check(columns, "hukou,province,income_quintile", scenario=spec)  # (no error)
    check(columns, ["hukou"], scenario=spec, favourable="scored and grade >= 'B'")
    with pytest.raises(AuditError, match="provnce"):
        check(columns, "provnce", scenario=spec)
    with pytest.raises(AuditError, match="favourable outcome"):
        check(columns, "hukou", scenario=spec, favourable="grade >= 'Z'")
    with pytest.raises(AuditError, match="reference group"):
        check(columns, "hukou", scenario=spec, reference={"province": "Beijing"})
    bare = scsim.load("hukou-only").spec
    with pytest.raises(AuditError, match="grade"):  # no points scheme: no grade column
        check(citizen_column_types(bare), "grade", scenario=bare)


def test_a_comparison_with_a_bad_grouping_fails_before_any_run(monkeypatch, tmp_path) -> None:
    def no_runs(*args, **kwargs):
        raise AssertionError("a run started before the options were checked")

    monkeypatch.setattr(paired, "run_cases", no_runs)
    with pytest.raises(AuditError, match="provnce"):
        paired.compare("court-blacklist", reform="longer-grace", by="provnce", population=500,
                       days=30, out=tmp_path)  # fmt: skip


@pytest.mark.parametrize("name", bundled_names())
def test_the_declared_audit_metrics_cover_what_an_audit_writes(name: str) -> None:
    """audit.metrics.check declares the metrics an audit of the scenario's runs writes, in the
    table's order; a declared metric may be missing from one run only for want of anyone in
    its denominator (nobody ever listed, a composite score not started yet)."""
    scenario = scsim.load(name)
    if name in ("court-blacklist", "rongcheng"):
        # the bundled list's first step (0.0125) lists almost nobody in 300 days at this size
        scenario = scenario.reform({"schemes.court.list_probability": 0.6})
    outcome = simulate_arrays(scenario, population=1500, days=300)
    timeseries = pa.table(outcome.timeseries)
    manifest = {"name": name, "scenario": scenario.resolved(),
                "calibration": calibration_of(outcome, timeseries)}  # fmt: skip
    table = audit(citizen_columns(outcome), None, manifest=manifest, timeseries=timeseries).table
    written = list(dict.fromkeys(table["metric"].to_pylist()))
    spec = scenario.spec
    plan = check(citizen_column_types(spec), None, scenario=spec, series=written_metrics(spec))
    assert [m for m in written if m not in plan.metrics] == []
    assert [m for m in plan.metrics if m in written] == written
    if name in ("court-blacklist", "rongcheng"):  # every mechanism of these runs has someone
        assert plan.metrics == written


def test_a_sweep_checks_its_metrics_without_running_anything(monkeypatch) -> None:
    from scsim.experiments import evaluate

    monkeypatch.setattr(evaluate, "simulate_outcome", None)  # a run would fail here
    scenario = scsim.load("rongcheng")
    measures = evaluate.check_measures(scenario, "hukou", "grade_share,points_mean")
    assert measures.metrics == ("grade_share",)
    with pytest.raises(evaluate.MetricError, match="did you mean 'grade_share'"):
        evaluate.check_measures(scenario, "hukou", "grade_shar")
    with pytest.raises(AuditError, match="provnce"):
        evaluate.check_measures(scenario, "provnce", None)
