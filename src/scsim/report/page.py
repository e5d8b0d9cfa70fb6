"""The report page: one self-contained HTML document (styles, data, ECharts and map inline).

Nothing on the page is fetched: the stylesheet, the chart library, the province outlines and
the data are all inside the file, fonts are the reader's system fonts, and a Content Security
Policy forbids every request, so the page opens offline and cannot reach out even by mistake.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from html import escape
from typing import Any

from scsim import __version__
from scsim.report.charts import MAP_NAME, Chart, metric_label
from scsim.report.compare import Comparison
from scsim.report.data import RunData
from scsim.report.findings import HEADLINE_COMPARISON, Finding
from scsim.report.geo import ASSETS, province_geojson_text
from scsim.results.format import fmt_calibration, missing, number, pct, people, pp

ECHARTS_VERSION = "4.9.0"
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)
SECTIONS = (
    ("summary", "Scenario"),
    ("findings", "Key findings"),
    ("grades", "Grades over time"),
    ("scores", "Score distribution"),
    ("map", "By province"),
    ("fairness", "Disparate impact"),
    ("wrongful", "Wrongful listings and poverty traps"),
    ("compare", "Comparison"),
    ("calibration", "Calibration"),
    ("sources", "Sources"),
    ("notes", "Notes"),
)
MAX_PATHS = 4  # parameter paths shown per source


@lru_cache(maxsize=4)
def asset(name: str) -> str:
    """The text of a packaged asset."""
    return (ASSETS / name).read_text(encoding="utf-8")


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _clean(value: Any) -> Any:
    """NaN and infinities as null (JSON has neither)."""
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------
# Sections


def _summary(data: RunData) -> str:
    s = data.summary
    horizon = s["horizon"]
    rows = [
        ("Scenario", f"<code>{escape(s['name'])}</code>"),
        ("Period", f"{escape(str(horizon.get('start', '–')))} to "
                   f"{escape(str(horizon.get('end', '–')))} ({number(horizon.get('days'))} days)"),
        ("Population", f"{number(s['n_agents'])} synthetic agents standing for "
                       f"{people(s['real_population'])} people ({number(s['weight'])} per agent)"),
        ("Seed", escape(str(s["seed"]))),
        ("Scenario hash", f"<code>{escape(s['scenario_hash'])}</code>"),
        ("Reforms applied", escape(", ".join(map(str, s["reforms_applied"])) or "none")),
        ("Run", f"<code>{escape(s['path'])}</code>, written {escape(str(s['written_at']))} "
                f"by scsim {escape(str(s['version']))}"),
    ]  # fmt: skip
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    mechanisms = "".join(f"<li>{escape(m)}</li>" for m in s["mechanisms"]) or "<li>none</li>"
    description = escape(s["description"].strip()) or "<span class=muted>No description.</span>"
    return f"<p>{description}</p><table>{table}</table><h3>Mechanisms</h3><ul>{mechanisms}</ul>"


def _findings(findings: Sequence[Finding]) -> str:
    if not findings:
        return "<p class=muted>The run holds no numbers to report.</p>"
    items = "".join(f'<li data-topic="{escape(f.topic)}">{escape(f.text)}</li>' for f in findings)
    return (
        f'<ul class="findings">{items}</ul>'
        "<p class=muted>Every sentence is computed from this run's numbers. People are agents "
        "scaled to the real population. 95% intervals describe the sampling variation among the "
        "agents of this one run, not the variation between seeds or the uncertainty of the "
        "scenario's parameters.</p>"
    )


def _chart(chart: Chart) -> str:
    if not chart.drawn:
        return (
            f'<div class="omitted" data-omitted="{escape(chart.id)}"><strong>'
            f"{escape(chart.title)}</strong> — not drawn: {escape(chart.omitted or '')}</div>"
        )
    controls = ""
    if len(chart.layers) > 1:
        options = "".join(
            f'<option value="{i}">{escape(layer["label"])}</option>'
            for i, layer in enumerate(chart.layers)
        )
        controls = (
            f'<div class="controls"><label>Measure: <select data-chart="{escape(chart.id)}">'
            f"{options}</select></label></div>"
        )
    return (
        f"<figure><h3>{escape(chart.title)}</h3>{controls}"
        f'<div class="chart" id="{escape(chart.id)}" role="img" aria-label="{escape(chart.title)}" '
        f'style="height:{chart.height}px"></div>'
        + (
            f'<p class="legend" id="{escape(chart.id)}-legend">{escape(chart.legend)}</p>'
            if chart.legend
            else ""
        )
        + f"<figcaption>{escape(chart.caption)}</figcaption></figure>"
    )


def _comparison_table(rows: Sequence[dict[str, Any]]) -> str:
    head = (
        "<tr><th>metric</th><th>group</th><th class=num>A</th>"
        "<th class=num>B</th><th class=num>B − A</th><th class=num>95% CI</th></tr>"
    )
    body = []
    for r in rows:
        days = r["metric"] == "days_listed_per_adult"
        show = number if days else pct
        diff = (f"{r['diff']:+.3g} days" if not missing(r["diff"]) else "–") if days \
            else pp(r["diff"])  # fmt: skip
        interval = ""
        if not missing(r["low"]) and not missing(r["high"]):
            interval = (
                f"{r['low']:+.3g} to {r['high']:+.3g}"
                if days
                else f"{pp(r['low'])} to {pp(r['high'])}"
            )
        group = (
            "all" if r["group_by"] == "all" else f"{r['group_by'].replace('_', ' ')}: {r['group']}"
        )
        body.append(
            f"<tr><td>{escape(metric_label(r['metric'], r['category']))}</td>"
            f"<td>{escape(group)}</td><td class=num>{show(r['base'])}</td>"
            f"<td class=num>{show(r['alt'])}</td><td class=num>{diff}</td>"
            f"<td class=num>{interval}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def _comparison(c: Comparison | None, charts: Iterable[Chart], findings: Sequence[Finding]) -> str:
    if c is None:
        return ""
    notes = "".join(f"<p class=muted>{escape(n)}</p>" for n in c.notes)
    overall = [r for r in c.rows if r["group_by"] == "all"]
    by_group = [r for r in c.rows if r["group_by"] != "all" and r["metric"] in HEADLINE_COMPARISON]
    sentences = "".join(f"<li>{escape(f.text)}</li>" for f in findings)
    return (
        f"<p>A (this report's run): <code>{escape(c.base_label)}</code>. B: "
        f"<code>{escape(c.alt_label)}</code>. Differences are B − A; method: "
        f"{escape(c.method)}. For the paired comparison over replicate pairs, with bootstrap "
        "intervals: <code>scsim compare A B --replicates R --report FILE</code>.</p>"
        f"{notes}"
        + (f'<ul class="findings">{sentences}</ul>' if sentences else "")
        + "".join(_chart(ch) for ch in charts)
        + "<h3>Overall</h3>"
        + _comparison_table(overall)
        + "<h3>By group: headline metrics</h3>"
        + _comparison_table(by_group)
        + f"<details><summary>Every compared value ({len(c.rows)} rows)</summary>"
        + _comparison_table(c.rows)
        + "</details>"
    )


def _calibration(entries: Sequence[dict[str, Any]]) -> str:
    if not entries:
        return "<p class=muted>The scenario declares no calibration targets.</p>"
    rows = []
    for e in entries:
        within = e.get("within")
        mark = (
            "<span class=muted>not judged (partial period)</span>"
            if within is None
            else ("<span class=met>met</span>" if within else "<span class=missed>missed</span>")
        )
        metric = e.get("metric")
        period = " to ".join(str(p) for p in e.get("period") or [])
        rows.append(
            f"<tr><td>{escape(str(e.get('label') or e.get('name')))}<br>"
            f"<code>{escape(str(e.get('name')))}</code></td><td>{escape(period)}</td>"
            f"<td class=num>{fmt_calibration(metric, e.get('low'))} – "
            f"{fmt_calibration(metric, e.get('high'))}</td>"
            f"<td class=num>{fmt_calibration(metric, e.get('simulated'))}</td><td>{mark}</td></tr>"
        )
    head = (
        "<tr><th>target</th><th>period</th><th class=num>range</th>"
        "<th class=num>simulated</th><th></th></tr>"
    )
    return f'<div class="wide"><table>{head}{"".join(rows)}</table></div>'


def _href(href: str) -> str:
    """A source's address: a link when it is a web address; otherwise a path in the scsim
    repository (``docs/sources.md#...``), shown as text, since the report does not ship it."""
    if href.startswith(("https://", "http://")):
        return f'<a href="{escape(href)}" rel="noreferrer">{escape(href)}</a>'
    if not href:
        return ""
    return f"<code>{escape(href)}</code> <span class=muted>(in the scsim repository)</span>"


def _sources(sources: Sequence[dict[str, Any]]) -> str:
    if not sources:
        return "<p class=muted>The scenario cites no sources.</p>"
    verified = sum(1 for s in sources if s["verified"])
    items = []
    for s in sources:
        tag = (
            '<span class="tag verified">verified</span>'
            if s["verified"]
            else '<span class="tag unverified">not verified</span>'
        )
        paths = s["used_by"][:MAX_PATHS]
        more = f" and {len(s['used_by']) - MAX_PATHS} more" if len(s["used_by"]) > MAX_PATHS else ""
        cited = ", ".join(f"<code>{escape(p)}</code>" for p in paths) + more
        items.append(
            f"<li>{escape(s['title'])} {tag}<br>{_href(s['href'])}"
            f'<div class="paths">cited by {cited}</div></li>'
        )
    return (
        f"<p>{len(sources)} distinct references cited by the scenario's parameters, {verified} "
        "marked verified by the scenario's authors. Links are not followed by this page.</p>"
        f'<ol class="sources">{"".join(items)}</ol>'
    )


def _notes(notes: Sequence[str], charts: Sequence[Chart]) -> str:
    items = [f"<li>{escape(n)}</li>" for n in notes]
    items += [
        f"<li>Chart “{escape(c.title)}” not drawn: {escape(c.omitted or '')}</li>"
        for c in charts
        if not c.drawn
    ]
    return f"<ul>{''.join(items)}</ul>" if items else "<p class=muted>No notes.</p>"


def _footer(data: RunData, seconds: float | None) -> str:
    built = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    return (
        f"<p>Written by scsim {escape(__version__)} on {built}{took} from "
        f"<code>{escape(str(data.run.path))}</code>. Every person here is a synthetic agent; the "
        "scenario's numbers come from its cited sources and modelling assumptions.</p>"
        f"<p>Charts: Apache ECharts {ECHARTS_VERSION} (npm package <code>echarts@{ECHARTS_VERSION}"
        "</code>, <code>dist/echarts.min.js</code>), Apache License 2.0, embedded unmodified. "
        "Province outlines: <code>map/json/china.json</code> from the same package, Apache "
        "License 2.0, decoded from ECharts' compressed encoding and rounded to 0.01° by scsim. "
        "Taiwan, Hong Kong and Macau are drawn but are not part of the synthetic population, which "
        "follows the 2020 census of the 31 mainland provinces. This page makes no network "
        "requests and opens offline.</p>"
    )


# --------------------------------------------------------------------------------------------
# The page


def render(
    data: RunData,
    charts: Sequence[Chart],
    findings: Sequence[Finding],
    comparison: Comparison | None = None,
    comparison_findings: Sequence[Finding] = (),
    seconds: float | None = None,
) -> str:
    """The whole report as one HTML document."""
    by_section: dict[str, list[Chart]] = {}
    for chart in charts:
        by_section.setdefault(chart.section, []).append(chart)
    bodies = {
        "summary": _summary(data),
        "findings": _findings(findings),
        "compare": _comparison(comparison, by_section.get("compare", []), comparison_findings),
        "calibration": _calibration(data.audit.calibration)
        + "".join(_chart(c) for c in by_section.get("calibration", [])),
        "sources": _sources(data.sources),
        "notes": _notes(data.audit.notes, charts),
    }
    for section, _ in SECTIONS:
        if section not in bodies:
            bodies[section] = "".join(_chart(c) for c in by_section.get(section, []))
    s = data.summary
    header = (
        f"<h1>{escape(s['title'] or s['name'])}</h1>"
        f'<p class="sub">scsim report of <code>{escape(s["name"])}</code> · run '
        f"{escape(data.run.hash8)} · seed {escape(str(s['seed']))} · "
        f"{number(s['n_agents'])} agents for {people(s['real_population'])} people</p>"
    )
    return document(f"scsim report — {s['title'] or s['name']}", header,
                    [(key, title, bodies.get(key, "")) for key, title in SECTIONS], charts,
                    _footer(data, seconds))  # fmt: skip


def document(
    title: str,
    header: str,
    sections: Sequence[tuple[str, str, str]],
    charts: Sequence[Chart],
    footer: str,
) -> str:
    """One self-contained HTML page: ``header`` (HTML), the ``sections`` (id, title, body HTML;
    an empty body leaves its section out, and its link), the data of the drawn ``charts``, the
    styles, the chart library and the script, behind a Content Security Policy that forbids
    every request."""
    present = [(key, name, body) for key, name, body in sections if body]
    nav = "".join(f'<a href="#{key}">{escape(name)}</a>' for key, name, _ in present)
    main = "".join(
        f'<section id="{key}"><h2>{escape(name)}</h2>{body}</section>'
        for key, name, body in present
    )
    drawn = [c for c in charts if c.drawn]
    uses_map = any(c.option and c.option.get("series", [{}])[0].get("type") == "map" for c in drawn)
    payload = {
        "mapName": MAP_NAME,
        "geo": json.loads(province_geojson_text()) if uses_map else None,
        "charts": [_clean(c.spec()) for c in drawn],
    }
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="scsim {escape(__version__)}">'
        f"<title>{escape(title)}</title><style>{asset('report.css')}</style></head><body>"
        f"<header>{header}"
        '<p class="banner">A simulation over a synthetic population: no real person is '
        "described here. Numbers are model outputs under the scenario's assumptions.</p>"
        f"</header><nav>{nav}</nav><main>{main}</main>"
        f"<footer>{footer}</footer>"
        f'<script type="application/json" id="scsim-data">{_script_json(payload)}</script>'
        f"<script>{asset('echarts.min.js')}</script>"
        f"<script>{asset('report.js')}</script>"
        "</body></html>\n"
    )


chart_html = _chart  # a chart's figure (or why it is not drawn), for other pages


__all__ = ["CSP", "asset", "chart_html", "document", "render"]
