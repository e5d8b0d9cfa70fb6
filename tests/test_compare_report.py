"""The comparison report (``scsim compare A B --replicates R --report FILE``): one offline page that
names both scenarios, leads with the largest differences in sentences, gives bootstrap intervals
across the replicate pairs, deterrence and chilling (acts per adult), sanctions apart from
rewards, and a mechanism one side lacks compared as zero and said; it draws in Chromium without
scrolling sideways.

Both scenarios are test fixtures over a synthetic population: an open society with two kinds of
act and no scoring, and the same society under a points scheme whose fear of losing points
deters both acts (a planted deterrence), with a sanction and a reward by grade.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from scsim.cli import main

WORLD = """
world:
  start: 2021-01-01
  end: 2021-12-31
  seed: 11
  population: {agents: 1500, provinces: [Zhejiang, Anhui]}
"""
OPEN = (
    """
name: open-society
title: Two kinds of act and no scoring (test fixture)
"""
    + WORLD
    + """
behaviour:
  events:
    jaywalking: {label: Jaywalking, daily_probability: 0.01}
    critical_post: {label: A critical post online, daily_probability: 0.01}
"""
)
SCORED = (
    """
name: scored-society
title: The same society under a deterring points scheme (test fixture)
"""
    + WORLD
    + """
behaviour:
  events:
    jaywalking:
      label: Jaywalking
      daily_probability: 0.01
      deterrence: {points_exponent: 6}
    critical_post:
      label: A critical post online
      daily_probability: 0.01
      deterrence: {points_exponent: 6}
schemes:
  pts:
    kind: points
    base: 1000
    cap: 1000
    deltas: {jaywalking: -20, critical_post: -20}
    grades: {C: 0, B: 900, A: 1000}
measures:
  low_grade_fine:
    label: Income docked for a low grade
    when: "grade <= 'C'"
    effects: {income_factor: 0.9}
  good_grade_bonus:
    label: Bonus for a top grade
    when: "grade >= 'A'"
    effects: {income_factor: 1.1}
"""
)
PAIRS = 3


def write_scenario(directory: Path, text: str, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    """The report, the --json output of the same command, and the page's text."""
    root = tmp_path_factory.mktemp("compare-report")
    a = write_scenario(root, OPEN, "open.yaml")
    b = write_scenario(root, SCORED, "scored.yaml")
    report = root / "compare.html"
    result = CliRunner().invoke(
        main,
        ["compare", str(a), str(b), "--replicates", str(PAIRS), "--days", "240",
         "--out", str(root / "runs"), "--progress", "none", "--report", str(report), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return report, data, report.read_text(encoding="utf-8")


def _section(html: str, key: str) -> str:
    match = re.search(rf'<section id="{key}">(.*?)</section>', html, re.S)
    assert match, key
    return match.group(1)


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def _lead(html: str) -> list[str]:
    return [_text(li).strip() for li in re.findall(r"<li>(.*?)</li>", _section(html, "lead"))]


def test_one_offline_file_names_both_scenarios(compared) -> None:
    report, _, html = compared
    assert report.is_file() and list(report.parent.glob("*.html")) == [report]
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    head = _text(html.split("</header>")[0])
    assert "scored-society against open-society" in head
    scenarios = _text(_section(html, "scenarios"))
    for title in ("Two kinds of act and no scoring", "The same society under a deterring"):
        assert title in scenarios
    assert "first run" not in html and "second run" not in html


def test_the_lead_says_what_one_side_lacks_then_the_largest_differences(compared) -> None:
    _, data, html = compared
    sentences = _lead(html)
    assert sentences[0].startswith("open-society lacks mechanisms that scored-society has")
    assert "count as zero" in sentences[0] and "points" in sentences[0]
    # the planted effect: under the points scheme both acts are deterred, clearly
    deterred = [s for s in sentences if s.startswith("Acts of jaywalking per adult")]
    assert deterred and "fewer" in deterred[0] and "95% interval" in deterred[0]
    # the sentences after the first are ordered as the page says: clear differences first
    rows = {(r["metric"], r["category"]): r for r in data["metrics"] if r["group_by"] == "all"}
    jay = rows[("events_per_adult", "jaywalking")]
    assert jay["difference"] < 0 and jay["ci_high"] < 0
    later = sentences[1:]
    clear = ["includes no difference" not in s for s in later]
    assert clear == sorted(clear, reverse=True), later


def test_intervals_deterrence_and_chilling_rows_are_present(compared) -> None:
    _, _, html = compared
    deterrence = _section(html, "deterrence")
    assert f"95% interval<br>({PAIRS} pairs)" in deterrence
    text = _text(deterrence)
    for kind in ("jaywalking", "critical_post"):
        assert f"events_per_adult · {kind}" in text
    assert "Jaywalking" in text and "A critical post online" in text
    assert "deterrence" in text and "chilling" in text
    assert re.search(r"−\d[\d.]* to −\d", text), "a deterred act's interval lies below zero"


def test_sanctions_and_rewards_are_told_apart_and_compared_with_zero(compared) -> None:
    _, data, html = compared
    sanctions, rewards = _text(_section(html, "sanctions")), _text(_section(html, "rewards"))
    assert "Income docked for a low grade" in sanctions and "Bonus" not in sanctions
    assert "Bonus for a top grade" in rewards and "Income docked" not in rewards
    assert "none*" in sanctions and "counts as zero" in sanctions
    zero = {(z["metric"], z["category"]): z["absent_in"] for z in data["compared_with_zero"]}
    assert zero[("sanction_share", "low_grade_fine")] == "A"
    assert zero[("scored_share", "")] == "A"
    notes = _text(_section(html, "notes"))
    assert "open-society lacks" in notes and "compared as zero" in notes


def test_every_table_has_a_line_under_it(compared) -> None:
    _, _, html = compared
    tables = html.count("<table>")
    assert tables >= 5
    assert html.count('<p class="under">') >= tables - 1  # the scenarios' table explains itself


def test_a_report_into_a_missing_folder_fails_before_any_run(tmp_path: Path) -> None:
    a = write_scenario(tmp_path, OPEN, "open.yaml")
    result = CliRunner().invoke(
        main, ["compare", str(a), "--set", "behaviour.events.jaywalking.daily_probability=0.02",
               "--out", str(tmp_path / "runs"), "--report", str(tmp_path / "no" / "x.html")],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "does not exist" in result.output
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("width", [1400, 390])
def test_the_page_draws_every_chart_without_scrolling_sideways(
    compared, chromium: str, settle, width: int, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    report, _, html = compared
    expected = set(re.findall(r'<div class="chart" id="([^"]+)"', html))
    assert {"compare-diff", "events-change"} <= expected
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(report.as_uri())
            page.wait_for_function(
                "() => window.__scsimCharts && Object.values(window.__scsimCharts)"
                ".every(c => c.rendered || c.error)",
                timeout=20_000,
            )
            charts = page.evaluate(
                "() => Object.fromEntries(Object.entries(window.__scsimCharts)"
                ".map(([k, v]) => [k, [v.rendered, v.error]]))"
            )
            assert set(charts) == expected
            assert all(ok and err is None for ok, err in charts.values()), charts
            settle(page, width)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(tmp_path / f"compare-{width}.png"), full_page=True)
            assert not errors, errors
        finally:
            browser.close()


def test_every_labelled_metric_is_in_the_glossary() -> None:
    from scsim.audit.labels import METRICS

    glossary = (Path(__file__).parent.parent / "docs" / "audit.md").read_text(encoding="utf-8")
    defined = glossary.split("## How the numbers are printed")[0]
    missing = [m for m in METRICS if f"`{m}`" not in defined]
    assert not missing, f"docs/audit.md defines no {missing}"
