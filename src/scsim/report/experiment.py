"""The report of an experiment: one offline HTML page with the design, and what the method
found — a sweep's metrics against each parameter, a sensitivity analysis's indices per metric,
a calibration's targets against the simulated values and its accepted ranges, and the findings
over the accepted set with their spread over parameters and seeds.

The page is built like a run's report (``page.document``: styles, chart library and data
inline, every request forbidden), from the experiment directory alone.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow.compute as pc

from scsim import __version__
from scsim.report.charts import PALETTE, Chart, Dot, _base, dot_chart
from scsim.report.data import ReportError
from scsim.report.page import chart_html, document
from scsim.results.format import fmt_metric, number

if TYPE_CHECKING:
    from scsim.experiments import Experiment

DEFAULT_NAME = "report.html"
# The metrics a sweep's report draws against each parameter (those present, in this order).
SWEEP_METRICS = ("listing_rate", "ever_listed_rate", "wrongful_listing_share",
                 "poverty_trap_share", "sanction_share", "adverse_rate")  # fmt: skip
MAX_INDEX_CHARTS = 24  # metric charts in a sensitivity report (the rest: indices.parquet)


def target_path(experiment: Experiment, out: str | os.PathLike[str] | None) -> Path:
    """Where the report goes (default EXPERIMENT/report.html), never over the experiment's own
    files."""
    path = experiment.path / DEFAULT_NAME if out is None else Path(out)
    own = {"experiment.json", *(experiment.manifest.get("files") or {})}
    if path.resolve().parent == experiment.path.resolve() and path.name in own:
        raise ReportError(
            f"--out {path} is one of the experiment's own files; give another name such as "
            f"{experiment.path / DEFAULT_NAME}"
        )
    if path.is_dir():
        raise ReportError(f"--out {path} is a directory; give a file name such as report.html")
    if not path.parent.is_dir():
        raise ReportError(f"cannot write {path}: the folder {path.parent} does not exist")
    return path


def _axis_format(metric: str) -> str:
    """The chart axis format of a metric's values (as the terminal formats them)."""
    sample = fmt_metric(metric, 0.5)
    if sample.endswith("pp"):
        return "pp"
    if sample.endswith("%"):
        return "pct"
    if sample.endswith("×"):
        return "ratio"
    return "compact"


# --------------------------------------------------------------------------------------------
# Sections


def _design(experiment: Experiment) -> str:
    m = experiment.manifest
    design = experiment.design
    settings = m.get(m.get("kind", ""), {}) or {}
    ranges = {r["path"]: r for r in settings.get("ranges", [])}
    rows = [
        ("Scenario", f"<code>{escape(m['scenario']['name'])}</code> (hash "
                     f"{escape(m['scenario']['hash'][:8])})"),
        ("Experiment", f"{escape(m.get('kind', '?'))} · {escape(design.method)} · "
                       f"{number(len(design.points))} points × {number(len(design.seeds))} "
                       f"seeds = {number(len(design))} cases"),
        ("Population", f"{number(m['population'])} synthetic agents per case"),
        ("Period", f"{escape(m['start'])} to {escape(m['end'])}"),
        ("Seeds", ", ".join(str(s) for s in design.seeds[:6])
                  + (" …" if len(design.seeds) > 6 else "")
                  + " (every point runs the same seeds: common random numbers)"),
    ]  # fmt: skip
    for path in design.parameters:
        values = [p[design.parameters.index(path)] for p in design.points]
        finite = [v for v in values if v is not None]
        r = ranges.get(path)
        if r is not None:
            text = f"{r['low']:.6g} … {r['high']:.6g}" + (
                f" ({escape(r['rule'])})" if r.get("rule") and r["rule"] != "given" else ""
            )  # fmt: skip
        else:
            text = ", ".join(f"{v:.6g}" for v in sorted(set(finite))[:12])
        rows.append((f"<code>{escape(path)}</code>", text))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        f"<table>{body}</table><p class=muted>Each case holds its point's parameter values for "
        "the whole run, replacing their dated history. Intervals on this page are over the "
        "cases of the experiment (seeds, and parameter values where said), not the sampling "
        "variation within one run.</p>"
    )


def _sweep(experiment: Experiment) -> list[Chart]:
    """Per metric of the whole population, and per parameter: the mean over seeds at each
    value, with the range of the seeds."""
    design = experiment.design
    results = experiment.results
    table = results.filter(pc.and_(pc.equal(results["group_by"], "all"),
                                   pc.is_null(results["date"])))  # fmt: skip
    present = set(table["metric"].unique().to_pylist())
    charts = []
    for metric in [m for m in SWEEP_METRICS if m in present]:
        rows = table.filter(pc.equal(table["metric"], metric))
        category = rows["category"][0].as_py() if rows.num_rows else ""
        rows = rows.filter(pc.equal(rows["category"], category))
        point = rows["point"].to_numpy()
        value = rows["value"].to_numpy(zero_copy_only=False)
        for i, path in enumerate(design.parameters):
            dots = []
            for p in sorted(set(point.tolist()), key=lambda p: design.points[p][i] or 0.0):
                v = value[point == p]
                v = v[np.isfinite(v)]
                if not v.size:
                    continue
                others = ", ".join(f"{q.rsplit('.', 1)[-1]}={design.points[p][j]:.4g}"
                                   for j, q in enumerate(design.parameters) if j != i)  # fmt: skip
                label = f"{design.points[p][i]:.4g}" + (f" ({others})" if others else "")
                tip = (f"{escape(path)} = {design.points[p][i]:.6g}<br>{escape(metric)}: "
                       f"{fmt_metric(metric, float(v.mean()))} (seeds {fmt_metric(metric, float(v.min()))}"
                       f"–{fmt_metric(metric, float(v.max()))})")  # fmt: skip
                dots.append(Dot(label, float(v.mean()), float(v.min()), float(v.max()), tip))
            title = f"{metric}{' · ' + category if category else ''} against {path}"
            caption = (f"Mean over {len(design.seeds)} seed{'s' if len(design.seeds) > 1 else ''}"
                       " at each value; the whiskers span the seeds' values.")  # fmt: skip
            charts.append(dot_chart(f"sweep-{len(charts)}", "sweep", title, caption, dots,
                                    _axis_format(metric)))  # fmt: skip
    return charts


def _indices(experiment: Experiment) -> list[Chart]:
    """Per metric of the whole population: each parameter's main index with its interval."""
    method = experiment.design.method
    lead = "mu_star" if method == "morris" else "ST"
    second = None if method == "morris" else "S1"
    table = experiment.indices
    table = table.filter(pc.and_(pc.equal(table["group_by"], "all"),
                                 pc.is_null(table["parameter_2"])))  # fmt: skip
    keys = list(dict.fromkeys(zip(table["metric"].to_pylist(), table["category"].to_pylist(),
                                  strict=True)))  # fmt: skip
    lead_metrics = {m: k for k, m in enumerate(SWEEP_METRICS)}  # the outcomes that hurt first
    keys.sort(key=lambda k: lead_metrics.get(k[0], len(SWEEP_METRICS)))
    charts = []
    for metric, category in keys[:MAX_INDEX_CHARTS]:
        rows = table.filter(pc.and_(pc.equal(table["metric"], metric),
                                    pc.equal(table["category"], category))).to_pylist()  # fmt: skip
        dots = []
        for index in (lead, second):
            if index is None:
                continue
            for r in (r for r in rows if r["index"] == index):
                conf = r["conf"] if r["conf"] is not None and math.isfinite(r["conf"]) else None
                low = r["value"] - conf if conf is not None else float("nan")
                if index == "mu_star":  # a mean of absolute values: its interval stops at 0
                    low = max(low, 0.0)
                high = r["value"] + conf if conf is not None else float("nan")
                name = r["parameter"].rsplit(".", 1)[-1]
                tip = (f"{escape(r['parameter'])}<br>{index} = {r['value']:.3g}"
                       + (f" ± {conf:.2g}" if conf is not None else ""))  # fmt: skip
                dots.append(Dot(f"{name} · {index}", r["value"], low, high, tip))
        title = f"{metric}{' · ' + category if category else ''}"
        caption = (
            "Total-order (ST) and first-order (S1) Sobol indices: shares of this output's "
            "variance over the ranges; whiskers are SALib's 95% intervals."
            if method == "sobol" else
            "Morris mu_star (mean absolute elementary effect, in the metric's unit per unit "
            "range), with SALib's 95% interval."
            if method == "morris" else
            "FAST first-order (S1) and total-order (ST) indices (no intervals: SALib calls "
            "FAST's bootstrap unreliable)."
        )  # fmt: skip
        charts.append(dot_chart(f"indices-{len(charts)}", "indices", title, caption, dots,
                                "compact"))  # fmt: skip
    return charts


def _calibration(experiment: Experiment) -> tuple[str, list[Chart]]:
    result = experiment.manifest["calibration_result"]
    table = experiment.calibration
    rows = []
    for t in result["targets"]:
        best = result["best"]["simulated"].get(t["name"])
        rows.append(
            f"<tr><td>{escape(t['label'] or t['name'])}<br><code>{escape(t['name'])}</code></td>"
            f"<td class=num>{fmt_metric('calibration', t['low'])} – "
            f"{fmt_metric('calibration', t['high'])}</td>"
            f"<td class=num>{fmt_metric('calibration', best)}</td></tr>"
        )
    head = "<tr><th>target</th><th class=num>range</th><th class=num>best point</th></tr>"
    spread = "".join(
        f"<li><code>{escape(path)}</code>: {low:.6g} … {high:.6g}</li>"
        for path, (low, high) in result["accepted_ranges"].items()
    )
    settings = " ".join(f"--set {s}" for s in result["best_settings"])
    html = (
        f"<p>{result['accepted']} of {result['points']} points landed within every target "
        "(the mean over a point's seeds inside each target's range).</p>"
        f"<table>{head}{''.join(rows)}</table>"
        + (f"<p>Accepted ranges of the free parameters:</p><ul>{spread}</ul>" if spread else
           "<p class=missed>No point landed within every target: the best point is the "
           "closest, not a fit.</p>")
        + f'<p>Best point: <code style="word-break: break-all">{escape(settings)}</code></p>'
    )  # fmt: skip
    charts = []
    design = experiment.design
    for t in result["targets"]:
        rows_t = table.filter(pc.equal(table["target"], t["name"]))
        simulated = rows_t["simulated"].to_pylist()
        accepted = rows_t["accepted"].to_pylist()
        for path in design.parameters:
            x = rows_t[path].to_pylist()
            series = []
            for label, keep, colour in (("accepted", True, PALETTE[4]),
                                        ("rejected", False, "#bab0ac")):  # fmt: skip
                data = [[a, b] for a, b, ok in zip(x, simulated, accepted, strict=True)
                        if ok is keep and b is not None and math.isfinite(b)]  # fmt: skip
                series.append({"type": "scatter", "name": label, "data": data,
                               "symbolSize": 8, "itemStyle": {"color": colour}})  # fmt: skip
            series[0]["markArea"] = {
                "silent": True, "itemStyle": {"color": "rgba(89,161,79,0.12)"},
                "data": [[{"yAxis": t["low"]}, {"yAxis": t["high"]}]],
            }  # fmt: skip
            option = _base(
                tooltip={"trigger": "item"},
                legend={"top": 0},
                grid={"left": 8, "right": 24, "top": 36, "bottom": 36, "containLabel": True},
                xAxis={"type": "value", "name": path.rsplit(".", 1)[-1], "scale": True,
                       "nameLocation": "middle", "nameGap": 24},
                yAxis={"type": "value", "scale": True,
                       "axisLabel": {"formatter": "fn:pct" if t["low"] >= 0 and t["high"] <= 1
                                     else "fn:compact"}},
                series=series,
            )  # fmt: skip
            title = f"{t['label'] or t['name']} against {path}"
            caption = ("Each point's simulated value (mean over its seeds); the band is the "
                       "target's range.")  # fmt: skip
            charts.append(Chart(f"calibration-{len(charts)}", "calibration", title, caption,
                                option, height=320))  # fmt: skip
    return html, charts


def _findings(experiment: Experiment) -> str:
    from scsim.experiments.findings import FLAGS, findings
    from scsim.experiments.store import ExperimentError

    try:
        table, what = findings(experiment, [])
    except ExperimentError as err:  # no accepted point: say why instead of a table
        return f"<p class=muted>{escape(str(err))}</p>"
    rows = []
    for r in table.to_pylist():
        if r["metric"] in FLAGS:
            continue
        name = r["metric"] + (f" · {r['category']}" if r["category"] else "")
        rows.append(
            f"<tr><td>{escape(name)}</td><td class=num>{fmt_metric(r['metric'], r['mean'])}</td>"
            f"<td class=num>{fmt_metric(r['metric'], r['low'])} – "
            f"{fmt_metric(r['metric'], r['high'])}</td></tr>"
        )
    head = "<tr><th>whole population</th><th class=num>mean</th><th class=num>middle 95%</th></tr>"
    return f"<p>{escape(what)}.</p><table>{head}{''.join(rows)}</table>"


def render(experiment: Experiment, seconds: float | None = None) -> str:
    kind = experiment.manifest.get("kind", "sweep")
    charts: list[Chart] = []
    bodies: dict[str, str] = {"design": _design(experiment)}
    if kind == "sweep":
        charts = _sweep(experiment)
        bodies["sweep"] = "".join(chart_html(c) for c in charts)
    elif kind == "sensitivity":
        charts = _indices(experiment)
        left = experiment.manifest.get("outputs_left_out") or {}
        note = (f"<p class=muted>Left out: {left.get('constant', 0)} audit values constant over "
                f"the points, {left.get('not_a_number', 0)} not a number at some point. Every "
                "index, group and pair is in indices.parquet.</p>")  # fmt: skip
        bodies["indices"] = "".join(chart_html(c) for c in charts) + note
    elif kind == "calibration":
        html, charts = _calibration(experiment)
        bodies["calibration"] = html + "".join(chart_html(c) for c in charts)
        bodies["findings"] = _findings(experiment)
    sections = [
        ("design", "Design", bodies.get("design", "")),
        ("sweep", "Metrics against each parameter", bodies.get("sweep", "")),
        ("indices", "Sensitivity indices", bodies.get("indices", "")),
        ("calibration", "Targets and simulated values", bodies.get("calibration", "")),
        ("findings", "Findings over the accepted set", bodies.get("findings", "")),
    ]
    m = experiment.manifest
    header = (
        f"<h1>{escape(m['scenario']['name'])}: {escape(kind)}</h1>"
        f'<p class="sub">scsim experiment <code>{escape(experiment.path.name)}</code> · '
        f"{number(len(experiment.design))} cases of {number(m['population'])} agents</p>"
    )
    built = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    footer = (
        f"<p>Written by scsim {escape(__version__)} on {built}{took} from "
        f"<code>{escape(str(experiment.path))}</code>. Every person here is a synthetic agent.</p>"
    )
    return document(f"scsim experiment — {m['scenario']['name']} {kind}", header, sections,
                    charts, footer)  # fmt: skip


def write_experiment_report(
    experiment: Experiment | str | os.PathLike[str], out: str | os.PathLike[str] | None = None
) -> Path:
    """Write the experiment's report (default EXPERIMENT/report.html) and return its path."""
    import time

    from scsim.experiments import Experiment
    from scsim.report.write import write_atomic

    clock = time.perf_counter()
    if not isinstance(experiment, Experiment):
        experiment = Experiment(experiment)
    path = target_path(experiment, out)
    return write_atomic(path, render(experiment, time.perf_counter() - clock))
