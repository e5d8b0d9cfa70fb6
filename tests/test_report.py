"""The HTML report: map decoding and province names, findings computed from the numbers, the
page's self-containment and size, bad input, and — in headless Chromium — every chart drawn with
no request leaving the page.

Every population here is synthetic (small simulated runs of the bundled scenarios).
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner

import scsim
from scsim.audit.metrics import COLUMNS, AuditTable
from scsim.cli.report import report as report_command
from scsim.population.census import PROVINCE_NAMES
from scsim.report import ReportError, geo, page, write_report
from scsim.report import write as write_module
from scsim.report.charts import charts as build_charts
from scsim.report.data import (
    HUKOU_MIGRANT,
    INCOME_QUINTILE,
    Metrics,
    citizen_columns,
    gather,
    sources,
)
from scsim.report.findings import (
    adverse,
    calibration,
    findings,
    listing_contrast,
    listing_level,
    poverty_trap,
    wrongful,
    wrongful_sanctions,
)
from scsim.results import IncompatibleRun, IncompleteRun, RunNotFound
from scsim.results.format import pct

POPULATION = 3000

# --------------------------------------------------------------------------------------------
# Runs shared by the tests of this module


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, scsim.Run]:
    """Small runs: the documented ecosystem (twice, two seeds), the court list alone, and a
    run of another population."""
    out = tmp_path_factory.mktemp("report-runs")
    return {
        "national": scsim.simulate("national-documented", population=POPULATION, out=out),
        "national-seed": scsim.simulate(
            "national-documented", population=POPULATION, seed=7, out=out
        ),
        "court": scsim.simulate("court-blacklist", population=POPULATION, days=400, out=out),
        "smaller": scsim.simulate("court-blacklist", population=POPULATION // 2, days=30, out=out),
    }


@pytest.fixture(scope="module")
def national_report(runs: dict[str, scsim.Run], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "national.html"
    return write_report(runs["national"], out=out, compare=runs["national-seed"])


# --------------------------------------------------------------------------------------------
# Geometry: the decoder and the province names


def _encode_ring(points: list[tuple[float, float]], scale: int = 1024) -> tuple[str, list[int]]:
    """ECharts' encoding of one ring (the inverse of geo.decode_ring), for round trips."""
    ints = [(round(x * scale), round(y * scale)) for x, y in points]
    offset = list(ints[0])
    prev = offset
    chars = []
    for x, y in ints:
        for delta in (x - prev[0], y - prev[1]):
            zigzag = (delta << 1) ^ (delta >> 31)  # 0, -1, 1, -2 → 0, 1, 2, 3
            chars.append(chr(zigzag + 64))
        prev = (x, y)
    return "".join(chars), offset


def test_decode_ring_inverts_the_echarts_encoding() -> None:
    points = [(116.40625, 39.90625), (116.5, 40.0), (116.25, 40.125), (116.40625, 39.90625)]
    encoded, offset = _encode_ring(points)
    assert geo.decode_ring(encoded, offset) == [list(p) for p in points]


def test_decode_ring_zigzag_signs() -> None:
    # '@' is 0; 'A' is -1 and 'B' is +1 in units of 1/1024 degree, from the offset.
    assert geo.decode_ring("@@AB", [1024, 2048]) == [[1.0, 2.0], [1023 / 1024, 2049 / 1024]]


def _points(feature: dict) -> list[list[float]]:
    geometry = feature["geometry"]
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    return [p for polygon in polygons for ring in polygon for p in ring]


def test_decoded_map_puts_beijing_and_hainan_where_they_are() -> None:
    decoded = {f["properties"]["name"]: f for f in geo.load_china()["features"]}
    for name, (lon0, lon1, lat0, lat1) in {
        "北京": (115.42, 117.51, 39.44, 41.06),  # Beijing municipality's extent
        "海南": (108.6, 111.05, 18.16, 20.16),  # Hainan island
    }.items():
        points = _points(decoded[name])
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        assert min(lons) == pytest.approx(lon0, abs=0.05)
        assert max(lons) == pytest.approx(lon1, abs=0.05)
        assert min(lats) == pytest.approx(lat0, abs=0.05)
        assert max(lats) == pytest.approx(lat1, abs=0.05)
        # The file's own label point ('cp') lies within the decoded outline's extent.
        cp = decoded[name]["properties"]["cp"]
        assert min(lons) < cp[0] < max(lons) and min(lats) < cp[1] < max(lats)


def test_province_names_cover_the_31_census_provinces() -> None:
    assert sorted(geo.PROVINCES_ZH.values()) == sorted(PROVINCE_NAMES)
    assert len(PROVINCE_NAMES) == 31
    features = geo.province_geojson()["features"]
    names = [f["properties"]["name"] for f in features]
    assert set(PROVINCE_NAMES) <= set(names)
    outside = {f["properties"]["name"] for f in features if not f["properties"]["in_census"]}
    assert outside == {"Taiwan", "Hong Kong", "Macau"}
    assert len(names) == len(set(names)) == 34


def test_simplified_map_is_small_and_plain() -> None:
    text = geo.province_geojson_text()
    assert len(text) < 400_000
    data = json.loads(text)
    assert "UTF8Encoding" not in data and "encodeOffsets" not in text
    for feature in data["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert len(ring) >= 3
                assert all(round(x, 2) == x and round(y, 2) == y for x, y in ring)


# --------------------------------------------------------------------------------------------
# Findings: sentences follow the numbers


def _table(rows: list[dict], weight: float = 1000.0, reference: dict | None = None) -> Metrics:
    """Metrics from hand-written audit rows (metric, group_by, group, value, ci, n)."""
    full = []
    for r in rows:
        n = r.get("n", 1000)
        full.append(
            {
                "metric": r["metric"],
                "category": r.get("category", ""),
                "group_by": r.get("group_by", "all"),
                "group": r.get("group", "all"),
                "value": r["value"],
                "ci_low": r.get("low", math.nan),
                "ci_high": r.get("high", math.nan),
                "n": n,
                "weight": n * weight,
            }
        )
    table = pa.Table.from_pylist(full).select(list(COLUMNS))
    info = {"weight": weight, "by": sorted({r["group_by"] for r in full} - {"all"}),
            "reference": reference or {}}  # fmt: skip
    return Metrics(AuditTable(table, [], notes=[], info=info))


def _migrants(rate: float, reference: float = 0.01, n: int = 20_000) -> Metrics:
    return _table(
        [
            {"metric": "listing_rate", "group_by": HUKOU_MIGRANT, "group": "rural hukou, migrant",
             "value": rate, "n": n},
            {"metric": "listing_rate", "group_by": HUKOU_MIGRANT,
             "group": "urban hukou, non-migrant", "value": reference, "n": n},
        ]
    )  # fmt: skip


def test_listing_contrast_states_the_ratio_and_its_interval() -> None:
    found = listing_contrast(
        _migrants(0.018), HUKOU_MIGRANT, "rural hukou, migrant", "urban hukou, non-migrant"
    )
    assert found is not None
    assert found.text.startswith("Rural-hukou migrants were listed at 1.80× the rate of")
    assert "urban-hukou residents who had not migrated" in found.text
    assert "1.80% against 1.00% of adults" in found.text
    # Katz interval of 360/20000 against 200/20000: exp(log 1.8 ± 1.96·0.0880).
    se = math.sqrt((1 - 0.018) / (20_000 * 0.018) + (1 - 0.01) / (20_000 * 0.01))
    low, high = 1.8 * math.exp(-1.959964 * se), 1.8 * math.exp(1.959964 * se)
    assert f"95% CI {low:.2f}–{high:.2f}×" in found.text


def test_listing_contrast_changes_with_the_numbers() -> None:
    args = (HUKOU_MIGRANT, "rural hukou, migrant", "urban hukou, non-migrant")
    first = listing_contrast(_migrants(0.018), *args)
    second = listing_contrast(_migrants(0.025), *args)
    assert first is not None and second is not None
    assert "2.50×" in second.text and "2.50×" not in first.text
    # A ratio whose interval includes 1 is not called a difference.
    close = listing_contrast(_migrants(0.0101, n=2000), *args)
    assert close is not None and "cannot be told apart" in close.text
    assert "were listed at 1.01× the rate" not in close.text


def test_level_wrongful_and_trap_sentences_use_the_values() -> None:
    m = _table(
        [
            {"metric": "listing_rate", "value": 0.012, "low": 0.011, "high": 0.013, "n": 10_000},
            {"metric": "ever_listed_rate", "value": 0.04, "n": 10_000},
            {"metric": "wrongful_listing_share", "value": 0.05, "low": 0.04, "high": 0.06,
             "n": 400},
            {"metric": "poverty_trap_share", "value": 0.31, "low": 0.27, "high": 0.36, "n": 400},
            {"metric": "days_listed_quantile", "category": "p50", "value": 412.0, "n": 400},
        ],
        weight=100.0,
    )  # fmt: skip
    level = listing_level(m, "the court list")
    assert level is not None
    assert "1.20% of adults (95% CI 1.10–1.30%)" in level.text
    assert "about 12,000 people" in level.text and "on the court list" in level.text
    assert "4.00% had been listed" in level.text
    wrong = wrongful(m)
    assert wrong is not None and wrong.text.startswith("5.00% of the people ever listed")
    assert "about 2,000" in wrong.text
    trap = poverty_trap(m)
    assert trap is not None and trap.text.startswith("31.0% of the people ever listed")
    assert "412 days" in trap.text
    none = wrongful(_table([{"metric": "wrongful_listing_share", "value": 0.0, "n": 400}]))
    assert none is not None and none.text.startswith("No one in this run was listed")


def test_the_wrongful_sanction_sentence_names_the_sanction_reaching_the_most_people() -> None:
    spec = scsim.load("rongcheng").spec
    m = _table(
        [
            {"metric": "wrongful_sanction_share", "category": "flight_ban", "value": 0.02,
             "n": 500},
            {"metric": "wrongful_sanction_share", "category": "low_grade_restrictions",
             "value": 0.10, "low": 0.05, "high": 0.18, "n": 40},
        ],
        weight=100.0,
    )  # fmt: skip
    found = wrongful_sanctions(m, spec)
    assert found is not None  # 2% of 500 (1,000 people) outnumbers 10% of 40 (400)
    assert found.text.startswith(f"2.00% of the people under “{spec.measures['flight_ban'].label}”")
    assert "about 1,000" in found.text and "1 other sanction(s)" in found.text
    assert "lower bound" not in found.text  # rongcheng has no score or list left unreplayed
    zero = _table([{"metric": "wrongful_sanction_share", "category": "flight_ban", "value": 0.0}])
    assert wrongful_sanctions(zero, spec).text.startswith("No one under a sanction")
    assert wrongful_sanctions(_table([{"metric": "listing_rate", "value": 0.01}]), spec) is None


def test_adverse_sentences_name_the_most_affected_group_and_merge_equal_outcomes() -> None:
    rows = [
        {"metric": "adverse_ratio", "category": category, "group_by": by, "group": group,
         "value": value, "low": value * 0.8, "high": value * 1.2, "n": 500}
        for category in ("listed", "sanction_flight_ban")
        for by, group, value in (("hukou", "rural", 1.5), ("hukou", "urban", 1.0),
                                 (INCOME_QUINTILE, "Q1", 1.1), (INCOME_QUINTILE, "Q5", 1.0))
    ]  # fmt: skip
    m = _table(rows)
    m.outcomes = {"listed": "on the court list", "sanction_flight_ban": "No air tickets"}
    m.adverse_references = {
        "hukou": {"listed": "urban", "sanction_flight_ban": "urban"},
        INCOME_QUINTILE: {"listed": "Q5", "sanction_flight_ban": "Q5"},
    }
    (finding,) = adverse(m)  # the same figures: one sentence for both outcomes
    assert finding.text.startswith(
        "On the court list and no air tickets: rural-hukou adults 1.50× as often as urban-hukou"
    )
    assert "failing the four-fifths rule" in finding.text.split(";")[0]
    assert "adults in income quintile Q1 1.10× as often as adults in income quintile Q5" in (
        finding.text
    )
    assert "failing" not in finding.text.split(";")[1]
    m.adverse_references = {}
    assert adverse(m) == []  # no reference group: nothing to compare with


def test_calibration_sentence_counts_met_targets() -> None:
    entries = [
        {"name": "a", "label": "Listed share", "low": 0.01, "high": 0.02, "simulated": 0.015,
         "within": True},
        {"name": "b", "label": "Conversions", "low": 900e3, "high": 1.4e6, "simulated": 2e6,
         "within": False},
    ]  # fmt: skip
    text = calibration(entries).text
    assert text.startswith("Calibration: 1 of 2 declared targets met")
    assert "Conversions — simulated 2.00 million, target 900,000–1.40 million" in text
    entries[1]["within"] = True
    assert calibration(entries).text == "Calibration: 2 of 2 declared targets met."


def test_findings_of_a_run_come_from_its_audit(runs: dict[str, scsim.Run]) -> None:
    data = gather(runs["national"])
    m = data.metrics
    sentences = [f.text for f in findings(m, data.audit.calibration)]
    assert any(pct(m.value("listing_rate")) in s for s in sentences)
    assert any(s.startswith("Calibration:") for s in sentences)


# --------------------------------------------------------------------------------------------
# What a report reads and shows


def test_sources_are_deduplicated_with_their_verified_flag() -> None:
    ref = {"title": "T", "href": "https://example.org/t", "verified": True}
    scenario = {
        "a": {"values": {}, "reference": [ref]},
        "b": {"c": {"reference": [dict(ref), {"title": "U", "href": "", "verified": False}]}},
        "d": {"reference": [dict(ref, verified=False)]},
    }
    found = sources(scenario)
    assert [s["title"] for s in found] == ["T", "U"]
    assert found[0]["used_by"] == ["a", "b.c", "d"]
    assert found[0]["verified"] is False  # one citation says unverified
    assert found[1]["verified"] is False


def test_only_needed_columns_are_read() -> None:
    names = ["id", "age", "hukou", "listed", "income", "wealth", "debt", "dimension_identity",
             "sanction_flight_ban", "n_traffic_violation", "rec_traffic_violation", "points"]  # fmt: skip
    columns = citizen_columns(names)
    assert set(columns) == {"age", "hukou", "listed", "income", "sanction_flight_ban", "points"}


def test_audit_gets_the_derived_groupings_not_the_raw_columns(
    runs: dict[str, scsim.Run],
) -> None:
    data = gather(runs["national"])
    m = data.metrics
    assert m.groupings() == ["hukou", "migrant", HUKOU_MIGRANT, "province", "urban",
                             INCOME_QUINTILE, "minority"]  # fmt: skip
    quintiles = m.groups("listing_rate", INCOME_QUINTILE)
    assert [r.group for r in quintiles] == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    adults = m.get("listing_rate").n
    assert sum(r.n for r in quintiles) == adults  # every adult in one quintile
    cells = m.groups("listing_rate", HUKOU_MIGRANT)
    assert sum(r.n for r in cells) == adults
    assert m.references[HUKOU_MIGRANT] == "urban hukou, non-migrant"
    assert not m.has("gini") and not m.has("offenders_never_recorded")
    assert any("leaves out the Gini" in n for n in data.audit.notes)
    assert [h.column for h in data.histograms] == ["points", "composite_score"]
    assert sum(data.histograms[0].shares) == pytest.approx(1.0)


def test_report_is_one_self_contained_file(national_report: Path) -> None:
    html = national_report.read_text(encoding="utf-8")
    assert national_report.stat().st_size <= write_module.MAX_BYTES
    # Nothing is loaded from elsewhere: no src/href attributes of scripts, styles or images,
    # no CSS imports or url(), and a policy that forbids every request.
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", html, flags=re.S)
    assert not re.search(
        r"<(script|img|iframe|link|source|video|audio)\b[^>]*\b(src|href)=", markup
    )
    assert "@import" not in html and "url(" not in page.asset("report.css")
    assert f'content="{page.CSP}"' in html and "default-src 'none'" in page.CSP
    # Its sections, sources and the licence of the embedded library and map.
    for section in ("summary", "findings", "grades", "scores", "map", "fairness", "wrongful",
                    "compare", "calibration", "sources"):  # fmt: skip
        assert f'<section id="{section}">' in html
    assert "Apache ECharts 4.9.0" in html and "Apache License 2.0" in html
    assert "china.json" in html and "verified" in html
    assert markup.count("<script") == 3


def test_report_charts_follow_the_data(runs: dict[str, scsim.Run], tmp_path: Path) -> None:
    national = gather(runs["national"])
    drawn = {c.id for c in build_charts(national, None) if c.drawn}
    assert {"grades-time", "score-0", "province-map", "disparate-impact",
            "trap-groups", "wrongful-groups"} <= drawn  # fmt: skip
    court = write_report(runs["court"], out=tmp_path / "court.html")
    html = court.read_text(encoding="utf-8")
    # The court list has no points scheme: nothing about grades, not even a note.
    assert "grades-time" not in html and '<section id="grades">' not in html
    assert 'id="province-map"' in html


def test_default_output_is_inside_the_run(runs: dict[str, scsim.Run]) -> None:
    result = CliRunner().invoke(report_command, [str(runs["court"].path)])
    assert result.exit_code == 0, result.output
    path = runs["court"].path / "report.html"
    assert path.is_file() and str(path) in result.output.replace("\n", "")


# --------------------------------------------------------------------------------------------
# Bad input: a clear message, a non-zero exit, no report


def _copy_run(run: scsim.Run, tmp_path: Path) -> Path:
    target = tmp_path / run.path.name
    shutil.copytree(run.path, target)
    (target / "report.html").unlink(missing_ok=True)
    return target


def _edit_manifest(path: Path, **changes) -> None:
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(changes)
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_incomplete_and_foreign_runs_are_refused(
    runs: dict[str, scsim.Run], tmp_path: Path
) -> None:
    incomplete = _copy_run(runs["court"], tmp_path / "a")
    _edit_manifest(incomplete, status="incomplete")
    with pytest.raises(IncompleteRun, match="interrupted"):
        write_report(incomplete)
    foreign = _copy_run(runs["court"], tmp_path / "b")
    _edit_manifest(foreign, format_version=99)
    with pytest.raises(IncompatibleRun, match="version"):
        write_report(foreign)
    truncated = _copy_run(runs["court"], tmp_path / "c")
    (truncated / "citizens.parquet").write_bytes(b"PAR1")
    with pytest.raises(IncompleteRun, match="citizens.parquet"):
        write_report(truncated)
    with pytest.raises(RunNotFound):
        write_report(tmp_path / "nowhere")
    for path in (incomplete, foreign, truncated):
        assert not (path / "report.html").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{court}/../does-not-exist"], "no run at"),
        (["{incomplete}"], "status is 'incomplete'"),
        (["{national}", "--compare", "{smaller}"], "cannot compare runs of different populations"),
        (["{national}", "--compare", "{national}"], "names the same run"),
        (["{national}", "--out", "{tmp}/missing/report.html"], "does not exist"),
    ],
)
def test_command_bad_input(
    runs: dict[str, scsim.Run], tmp_path: Path, args: list[str], message: str
) -> None:
    incomplete = _copy_run(runs["court"], tmp_path / "x")
    _edit_manifest(incomplete, status="incomplete")
    paths = {name: str(run.path) for name, run in runs.items()}
    argv = [a.format(**paths, incomplete=incomplete, tmp=tmp_path) for a in args]
    before = {p: p.stat().st_mtime_ns for p in Path(paths["national"]).glob("report*.html")}
    result = CliRunner().invoke(report_command, argv)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    after = {p: p.stat().st_mtime_ns for p in Path(paths["national"]).glob("report*.html")}
    assert after == before  # nothing written


def test_compare_with_another_population_writes_nothing(
    runs: dict[str, scsim.Run], tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    with pytest.raises(ReportError, match="different populations"):
        write_report(runs["national"], out=out, compare=runs["smaller"])
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_writing_leaves_no_file(
    runs: dict[str, scsim.Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.html"
    out.write_text("the previous report", encoding="utf-8")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(write_module.os, "fsync", disk_full)
        with pytest.raises(OSError, match="no space left on the device"):
            write_report(runs["court"], out=out)
    assert out.read_text(encoding="utf-8") == "the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary file left


def test_report_over_the_size_limit_is_refused(
    runs: dict[str, scsim.Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write_module, "MAX_BYTES", 100_000)
    with pytest.raises(ReportError, match=r"over the 0\.1 MB limit"):
        write_report(runs["court"], out=tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


# --------------------------------------------------------------------------------------------
# In a browser: every chart drawn, no request leaves the page


PAGE_URL = "http://report.invalid/report.html"

COUNT_PIXELS = """
() => Object.fromEntries(Object.entries(window.__scsimCharts).map(([id, entry]) => {
  let painted = 0;
  for (const canvas of entry.chart.getDom().querySelectorAll('canvas')) {
    if (!canvas.width || !canvas.height) continue;  // an unused layer (e.g. hover)
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  }
  return [id, {rendered: entry.rendered, error: entry.error, painted}];
}))
"""


def test_report_renders_offline_in_chromium(national_report: Path, chromium: str, settle) -> None:
    from playwright.sync_api import sync_playwright

    html = national_report.read_bytes()
    expected = set(re.findall(r'<div class="chart" id="([^"]+)"', html.decode()))
    assert len(expected) >= 10
    requests: list[str] = []
    failed: list[str] = []
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page_ = browser.new_page(viewport={"width": 1100, "height": 900})

            def route(request_route) -> None:  # noqa: ANN001
                url = request_route.request.url
                if url == PAGE_URL:
                    request_route.fulfill(body=html, content_type="text/html; charset=utf-8")
                else:  # anything else would be an external request: record it and block it
                    request_route.abort()

            page_.route("**/*", route)
            page_.on("request", lambda r: requests.append(r.url))
            page_.on("requestfailed", lambda r: failed.append(r.url))
            page_.on("pageerror", lambda e: problems.append(str(e)))
            page_.on(
                "console",
                lambda m: problems.append(m.text) if m.type in ("error", "warning") else None,
            )
            page_.goto(PAGE_URL, wait_until="load")
            page_.wait_for_function(
                "window.__scsimCharts && Object.values(window.__scsimCharts)"
                ".every(e => e.rendered || e.error)",
                timeout=30_000,
            )
            state = page_.evaluate(COUNT_PIXELS)
            # Switching the map to another measure redraws it without errors.
            page_.select_option('select[data-chart="province-map"]', "1")
            page_.wait_for_timeout(200)
            widths = {}  # the page never scrolls sideways on a desktop or a laptop screen
            for width in (1400, 800):
                page_.set_viewport_size({"width": width, "height": 900})
                settle(page_, width)
                widths[width] = page_.evaluate("document.documentElement.scrollWidth")
        finally:
            browser.close()
    assert requests == [PAGE_URL], f"requests besides the page itself: {requests}"
    assert widths == {1400: 1400, 800: 800}, f"the page is wider than the window: {widths}"
    assert failed == []
    assert problems == []
    assert set(state) == expected
    for chart_id, entry in state.items():
        assert entry["error"] is None, (chart_id, entry["error"])
        assert entry["rendered"], f"{chart_id} never finished drawing"
        assert entry["painted"] > 2000, f"{chart_id} drew almost nothing: {entry['painted']}"


@pytest.mark.parametrize(
    ("label", "inside"),
    [("No air tickets", "no air tickets"), ("on the court list", "on the court list"),
     ("AAA grade", "AAA grade"), ("Sesame Credit perks", "Sesame Credit perks"), ("D", "D"),
     ("", "")],
)  # fmt: skip
def test_an_outcome_label_reads_in_lower_case_inside_a_sentence(label, inside) -> None:
    from scsim.report.findings import _mid_sentence

    assert _mid_sentence(label) == inside


def test_a_calibration_series_is_drawn_with_the_runs_curve(runs) -> None:
    from scsim.report.data import target_curves

    run = runs["national"]
    curves = {c.name: c for c in target_curves(run, run.scenario)}
    # the listings and the blocked air and rail tickets (issue 12 item 3), each with its curve
    assert set(curves) == {
        "listings_cumulative", "blocked_air_cumulative", "blocked_rail_cumulative"
    }  # fmt: skip
    curve = curves["listings_cumulative"]
    assert curve.kind == "cumulative" and len(curve.points) >= 5
    # the curve is the running sum of new listings since the target's start
    rows = run.query(
        "select sum(value) as v from timeseries where metric = 'new_listings' and "
        f"\"group\" = 'all' and date >= '{run.scenario.calibration[curve.name].since}' "
        f"and date <= '{curve.dates[-1]}'"
    ).to_pylist()
    assert curve.values[-1] == pytest.approx(rows[0]["v"])
    assert all(b >= a for a, b in zip(curve.values, curve.values[1:], strict=False))
    data = gather(run)
    html = page.render(data, build_charts(data, None), [])
    assert 'id="target-0"' in html and curve.label in html
