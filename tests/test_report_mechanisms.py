"""The report follows the mechanisms of the run's scenario, for every bundled scenario: no section,
chart or note about a mechanism it lacks, at least one finding about each one it has, and — in
headless Chromium — every chart drawn, no sideways scroll at 1,400 px and a map legend with a
real scale.

Every population here is synthetic (small simulated runs of the bundled scenarios).
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

import scsim
from scsim.report import write_report
from scsim.scenario.model import bundled_names, load

POPULATION = 3000
PAGE_URL = "http://scsim.invalid/report.html"
DRAWN = re.compile(r'<div class="chart" id="([^"]+)"')
FINDING = re.compile(r'<li data-topic="([^"]+)">([^<]*)</li>')


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each bundled scenario's report (its whole horizon, 3,000 agents), as HTML text."""
    out = tmp_path_factory.mktemp("mechanism-reports")
    pages = {}
    for name in bundled_names():
        run = scsim.simulate(load(name), population=POPULATION, out=out)
        pages[name] = write_report(run, out=out / f"{name}.html").read_text(encoding="utf-8")
    return pages


def _sections(html: str) -> set[str]:
    return set(re.findall(r'<section id="(\w+)">', html))


def _findings(html: str) -> dict[str, list[str]]:
    topics: dict[str, list[str]] = {}
    for topic, text in FINDING.findall(html):
        topics.setdefault(topic, []).append(unescape(text))
    return topics


@pytest.mark.parametrize("name", bundled_names())
def test_the_report_shows_the_mechanisms_the_scenario_has_and_no_other(
    reports: dict[str, str], name: str
) -> None:
    html, spec = reports[name], load(name).spec
    sections, drawn = _sections(html), set(DRAWN.findall(html))
    omitted = set(re.findall(r'data-omitted="([^"]+)"', html))
    charts = drawn | omitted
    court = spec.court_list() is not None
    points, composite = spec.points_scheme() is not None, spec.composite() is not None

    # No section, chart or note for a mechanism the scenario lacks.
    assert ("wrongful" in sections) == court
    court_charts = {"province-listing", "listing-groups", "listed-time", "trap-groups",
                    "wrongful-groups"}  # fmt: skip
    assert (court_charts <= charts) == court and (not court_charts & charts) == (not court)
    assert ("grades-time" in charts) == points and ("bands-time" in charts) == composite
    assert ("grades" in sections) == (points or composite)
    assert ("scores" in sections) == (points or composite)
    assert "no points scheme" not in html and "no composite score" not in html
    if not court:
        assert "No adult was ever put on" not in html and "Listed at the end" not in html

    # At least one finding about each mechanism it has.
    topics = _findings(html)
    text = " ".join(t for texts in topics.values() for t in texts)
    if court:
        assert "listing" in topics and "trap" in topics
    if points:
        assert "points score" in text
    if composite:
        assert "composite score" in text
    if any(not m.is_reward for m in spec.measures.values()):
        assert "The most widespread sanction" in text
    if any(m.is_reward for m in spec.measures.values()):
        assert "The most widespread reward" in text
    if spec.lists():
        assert "lists" in topics
    if spec.hukou.rights:
        assert "rights" in topics
    if spec.world.population.graph is not None:
        assert "network" in topics
    # Sanctions and rewards by the scenario's labels, never by their identifiers.
    for measure_name in spec.measures:
        assert f"“{measure_name.replace('_', ' ')}”" not in text
    assert "disparate-impact" in drawn and "adverse-impact" in drawn


def test_a_perk_without_a_money_effect_is_a_reward(reports: dict[str, str]) -> None:
    """Sesame's dating prominence declares itself a reward: no adverse outcome, no sanction."""
    html = reports["sesame"]
    label = load("sesame").spec.measures["dating_prominence"].label
    assert f"Reward: {label}" in unescape(html) and f"Sanction: {label}" not in unescape(html)


def _map_layers(html: str) -> list[dict]:
    data = json.loads(
        re.search(r'<script type="application/json" id="scsim-data">(.*?)</script>', html, re.S)
        .group(1)
        .replace("<\\/", "</")  # fmt: skip
    )
    return next((c["layers"] for c in data["charts"] if c["id"] == "province-map"), [])


@pytest.mark.parametrize("name", ["hukou-only", "national-as-reported", "sesame"])
def test_the_map_opens_on_a_mechanism_the_scenario_has(reports: dict[str, str], name: str) -> None:
    """Without a court list the map shows a low grade or band, else a right lacked."""
    layers = _map_layers(reports[name])
    assert layers, "no map"
    first = layers[0]["label"]
    assert "Listed" not in first
    spec = load(name).spec
    if spec.points_scheme() is not None:
        assert first.startswith("Scored below the starting grade")
    elif spec.composite() is not None:
        assert first.startswith("In the lowest band")
    else:
        assert first.startswith("Lacking")


COUNT_PIXELS = """
() => Object.fromEntries(Object.entries(window.__scsimCharts).map(([id, entry]) => {
  let painted = 0;
  for (const canvas of entry.chart.getDom().querySelectorAll('canvas')) {
    if (!canvas.width || !canvas.height) continue;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  }
  return [id, {rendered: entry.rendered, error: entry.error, painted}];
}))
"""


def _serving(html: str):
    """A route handler that serves the page and refuses every other request."""

    def route(request_route, request) -> None:  # noqa: ANN001
        if request.url == PAGE_URL:
            request_route.fulfill(body=html, content_type="text/html; charset=utf-8")
        else:
            request_route.abort()

    return route


def test_every_bundled_report_draws_every_chart_in_chromium(
    reports: dict[str, str], chromium: str, settle
) -> None:
    from playwright.sync_api import sync_playwright

    seen: dict[str, tuple] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            for name, html in reports.items():
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                problems: list[str] = []
                page.route("**/*", _serving(html))
                page.on("pageerror", lambda e, p=problems: p.append(str(e)))
                page.goto(PAGE_URL, wait_until="load")
                page.wait_for_function(
                    "window.__scsimCharts && Object.values(window.__scsimCharts)"
                    ".every(e => e.rendered || e.error)",
                    timeout=30_000,
                )
                settle(page, 1400)
                legend = page.evaluate(
                    "() => (document.getElementById('province-map-legend') || {}).textContent"
                )
                seen[name] = (page.evaluate(COUNT_PIXELS), problems, legend,
                              page.evaluate("document.documentElement.scrollWidth"))  # fmt: skip
                page.close()
        finally:
            browser.close()
    for name, (state, problems, legend, width) in seen.items():
        assert problems == [], (name, problems)
        assert width == 1400, f"{name}: the page is {width} px wide at 1,400"
        assert set(state) == set(DRAWN.findall(reports[name])), name
        for chart_id, entry in state.items():
            assert entry["error"] is None, (name, chart_id, entry["error"])
            assert entry["painted"] > 2000, f"{name}: {chart_id} drew almost nothing"
        # The map's legend is a scale from zero to the highest province, not 0%–0%.
        assert legend and legend.startswith("Colour: from 0"), (name, legend)
