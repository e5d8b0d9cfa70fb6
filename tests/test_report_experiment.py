"""The report of an experiment (`scsim report EXPERIMENT`): the design and what the method
found — a sweep's metrics against each parameter, a sensitivity analysis's indices, a
calibration's targets against the simulated values and its findings over the accepted set —
as one offline page that draws every chart and never scrolls sideways; never written over the
experiment's own files.

Every population here is synthetic; nothing reads records about real persons.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import scsim
from scsim.cli.main import main
from scsim.report.data import ReportError
from scsim.report.experiment import write_experiment_report
from test_experiments_calibrate import PROBABILITY, planted_scenario, planted_value

SCENARIO = "court-blacklist"
GRACE = "schemes.court.grace_days"
PAY = "schemes.court.pay_if_able"


@pytest.fixture(scope="module")
def experiments(tmp_path_factory) -> dict[str, scsim.Experiment]:
    out = tmp_path_factory.mktemp("experiments")
    sweep = scsim.sweep(SCENARIO, {GRACE: [0, 90], PAY: [0.6, 0.9]}, replicates=2,
                        population=1500, days=600, out=out)  # fmt: skip
    sensitivity = scsim.sensitivity(SCENARIO, {GRACE: (0, 90), PAY: (0.6, 1.0)},
                                    method="morris", samples=2, population=1500, days=600,
                                    metrics="listing_rate,ever_listed_rate", out=out)  # fmt: skip
    value = planted_value()
    path = planted_scenario(out, value * 0.9, value * 1.1)
    calibration = scsim.calibrate(path, {PROBABILITY: (0.3, 0.9)}, samples=8, population=5000,
                                  days=730, out=out)  # fmt: skip
    return {"sweep": sweep, "sensitivity": sensitivity, "calibration": calibration}


def sections(html: str) -> set[str]:
    return set(re.findall(r'<section id="([^"]+)"', html))


def test_each_kind_has_its_own_sections_and_none_of_a_runs(experiments):
    expected = {
        "sweep": {"design", "sweep"},
        "sensitivity": {"design", "indices"},
        "calibration": {"design", "calibration", "findings"},
    }
    for kind, experiment in experiments.items():
        html = write_experiment_report(experiment).read_text(encoding="utf-8")
        assert sections(html) == expected[kind], kind
        assert 'class="chart"' in html
        assert "no real person is described here" in html
        assert experiment.path.name in html
    sweep = (experiments["sweep"].path / "report.html").read_text(encoding="utf-8")
    assert "listing_rate against schemes.court.grace_days" in sweep
    assert "listing_rate against schemes.court.pay_if_able" in sweep
    sens = (experiments["sensitivity"].path / "report.html").read_text(encoding="utf-8")
    assert "mu_star" in sens and "grace_days" in sens
    cal = (experiments["calibration"].path / "report.html").read_text(encoding="utf-8")
    assert "points landed within every target" in cal
    assert "against schemes.court.list_probability" in cal
    assert "parameter and seed uncertainty together" in cal


def test_the_report_command_takes_an_experiment_and_refuses_its_own_files(experiments):
    experiment = experiments["sweep"]
    result = CliRunner().invoke(main, ["report", str(experiment.path)])
    assert result.exit_code == 0, result.output
    assert "report written to" in result.output
    for name in ("results.parquet", "experiment.json"):
        with pytest.raises(ReportError, match="one of the experiment's own files"):
            write_experiment_report(experiment, out=experiment.path / name)
    result = CliRunner().invoke(main, ["report", str(experiment.path),
                                       "--out", str(experiment.path / "results.parquet")])  # fmt: skip
    assert result.exit_code != 0 and "own files" in result.output
    before = (experiment.path / "results.parquet").stat().st_size
    assert before == experiment.manifest["files"]["results.parquet"]


def test_experiment_reports_draw_every_chart_without_scrolling_sideways(experiments, chromium,
                                                                        settle):  # fmt: skip
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            for kind, experiment in experiments.items():
                path = write_experiment_report(experiment, out=Path(tempfile.mkdtemp()) / "r.html")
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                problems: list[str] = []
                page.on("pageerror", lambda e, p=problems: p.append(str(e)))
                page.goto(path.as_uri(), wait_until="load")
                page.wait_for_function(
                    "window.__scsimCharts && Object.values(window.__scsimCharts)"
                    ".every(e => e.rendered || e.error)", timeout=30_000,
                )  # fmt: skip
                state = page.evaluate(
                    "Object.values(window.__scsimCharts).map(e => [!!e.rendered, e.error])"
                )
                assert state and all(r and not e for r, e in state), (kind, state)
                for width in (1400, 800):
                    page.set_viewport_size({"width": width, "height": 900})
                    settle(page, width)
                    wide = page.evaluate(
                        "Array.from(document.querySelectorAll('body *')).filter(e => "
                        f"e.getBoundingClientRect().right > {width} + 1).slice(0, 3).map(e => "
                        "e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))"
                    )  # fmt: skip
                    assert page.evaluate("document.documentElement.scrollWidth") == width, (
                        kind,
                        wide,
                    )
                assert not problems, (kind, problems)
                page.close()
        finally:
            browser.close()
