"""The report's charts as ECharts 4 option objects (plain data), or a note saying why one is left out.

Options are JSON. Where ECharts needs a function (a tooltip, an axis label, the error bars of a
custom series), the option holds a string ``"fn:<name>"`` that the page's script replaces by the
function of that name (see ``assets/report.js``): ``pct``, ``compact``, ``ratio``, ``pp``,
``days`` format axis labels; ``tip`` shows an item's prepared ``tip`` text; ``axisPct`` and
``axisCompact`` list an axis tooltip's values; ``errorBar`` draws an interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape as esc
from typing import TYPE_CHECKING, Any

from scsim.audit.labels import category_label
from scsim.report.compare import Comparison
from scsim.report.data import (
    HUKOU_MIGRANT,
    INCOME_QUINTILE,
    STOCKS,
    Histogram,
    Metrics,
    Row,
    RunData,
    TargetCurve,
    TimeSeries,
    scenario_of,
)
from scsim.results.format import compact, missing, number, pct, pct_interval, pp, ratio

if TYPE_CHECKING:
    from scsim.scenario.schema import ScenarioSpec

MAP_NAME = "scsim-provinces"
# Tableau 10: distinct hues that survive printing in grey.
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac"]  # fmt: skip
MAP_COLOURS = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"]
WRONGFUL = STOCKS["listed_wrongful"]  # drawn in its own panel: it is tiny beside the others
ROW_HEIGHT = 22  # pixels per category in the dot charts
# Groupings of the dot charts, in reading order; province has its own map and chart.
GROUP_ORDER = ("hukou", "migrant", HUKOU_MIGRANT, "urban", INCOME_QUINTILE, "minority")
FORMATS: dict[str, Callable[[float], str]] = {
    "pct": pct,
    "ratio": ratio,
    "pp": pp,
    "compact": compact,
    "days": lambda v: f"{number(v)} days",
}


@dataclass
class Chart:
    """One chart: its place, title and caption, and an option — or why it is left out."""

    id: str
    section: str
    title: str
    caption: str
    option: dict[str, Any] | None = None
    omitted: str | None = None
    height: int = 360
    layers: list[dict[str, Any]] = field(default_factory=list)  # map layers to switch between
    legend: str = ""  # a line of text under the chart, kept in step with the layer shown

    @property
    def drawn(self) -> bool:
        return self.option is not None

    def spec(self) -> dict[str, Any]:
        """What the page's script needs to draw it."""
        out: dict[str, Any] = {"id": self.id, "option": self.option}
        if self.layers:
            out["layers"] = self.layers
        return out


def _omit(id: str, section: str, title: str, why: str) -> Chart:
    return Chart(id, section, title, "", omitted=why)


def _base(**extra: Any) -> dict[str, Any]:
    """Options every chart shares: no animation (a report is read, not watched), our palette."""
    return {"animation": False, "color": PALETTE, "textStyle": {"fontFamily": "inherit"}, **extra}


# --------------------------------------------------------------------------------------------
# Over time


def shares_over_time(
    id: str, section: str, title: str, caption: str, series: TimeSeries | None, why_not: str
) -> Chart:
    """Stacked areas of category shares over time (grades, bands)."""
    if series is None or not series.series:
        return _omit(id, section, title, why_not)
    option = _base(
        tooltip={"trigger": "axis", "formatter": "fn:axisPct"},
        legend={"top": 0, "type": "scroll"},
        grid={"left": 56, "right": 24, "top": 40, "bottom": 36},
        xAxis={"type": "category", "data": series.dates, "boundaryGap": False},
        yAxis={"type": "value", "min": 0, "max": 1, "axisLabel": {"formatter": "fn:pct"}},
        series=[
            {"name": name, "type": "line", "stack": "share", "areaStyle": {}, "symbol": "none",
             "lineStyle": {"width": 1}, "data": values}
            for name, values in series.series.items()
        ],
    )  # fmt: skip
    return Chart(id, section, title, caption, option)


def stocks_over_time(data: RunData) -> list[Chart]:
    """Listed people over time with those unable to pay; and, in a panel of its own (no second
    axis that makes a small count look as large as the stock), those wrongfully listed."""
    title = "Listed people over time"
    if data.listed is None:
        return [_omit("listed-time", "wrongful", title, "The run has no listing time series.")]

    def lines(id: str, title: str, caption: str, series: dict[str, list[Any]]) -> Chart:
        option = _base(
            tooltip={"trigger": "axis", "formatter": "fn:axisCompact"},
            legend={"top": 0},
            grid={"left": 8, "right": 8, "top": 48, "bottom": 30, "containLabel": True},
            xAxis={"type": "category", "data": data.listed.dates, "boundaryGap": False},
            yAxis={"type": "value", "min": 0, "axisLabel": {"formatter": "fn:compact"}},
            series=[{"name": name, "type": "line", "symbol": "none", "data": values}
                    for name, values in series.items()],
        )  # fmt: skip
        return Chart(id, "wrongful", title, caption, option, height=300)

    stock = {k: v for k, v in data.listed.series.items() if k != WRONGFUL}
    out = [lines("listed-time", title, "People on the list at each month end (scaled to the "
                 "real population), and of them those whose assets were below what they owed.",
                 stock)]  # fmt: skip
    wrongful = data.listed.series.get(WRONGFUL)
    if wrongful is not None and not any(v for v in wrongful if v):
        out.append(_omit("wrongful-time", "wrongful", "Wrongfully listed people over time",
                         "No one was on the list because of another person's offence."))  # fmt: skip
    elif wrongful is not None:
        out.append(lines(
            "wrongful-time", "Wrongfully listed people over time",
            "People on the list at each month end because another person's offence was recorded "
            "against them (its own scale: a small part of the stock above).",
            {WRONGFUL: data.listed.series[WRONGFUL]},
        ))  # fmt: skip
    return out


# --------------------------------------------------------------------------------------------
# Score distributions


def score_distribution(h: Histogram, index: int) -> Chart:
    """Bars of the share of holders per score bin, with band thresholds marked."""
    labels = [str(s) if h.width == 1 else f"{s}–{s + h.width - 1}" for s in h.starts]
    data = [
        {
            "value": share,
            "tip": f"{esc(label)}: {pct(share)} of holders ({compact(persons)} people)",
        }
        for label, share, persons in zip(labels, h.shares, h.persons, strict=True)
    ]
    marks = []
    for band, bound in h.bands.items():
        i = math.floor((bound - h.starts[0]) / h.width)
        if 0 <= i < len(labels):
            marks.append({"xAxis": labels[i], "label": {"formatter": band}})
    series: dict[str, Any] = {"type": "bar", "name": h.label, "data": data, "barCategoryGap": "8%"}
    if marks:
        series["markLine"] = {
            "silent": True, "symbol": "none", "data": marks,
            "lineStyle": {"color": "#555", "type": "dashed"}, "label": {"position": "end"},
        }  # fmt: skip
    option = _base(
        tooltip={"trigger": "item", "formatter": "fn:tip"},
        grid={"left": 56, "right": 24, "top": 30, "bottom": 56},
        xAxis={"type": "category", "data": labels, "name": h.label, "nameLocation": "middle",
               "nameGap": 34},
        yAxis={"type": "value", "axisLabel": {"formatter": "fn:pct"}},
        series=[series],
    )  # fmt: skip
    bands = ", ".join(f"{name} from {number(bound)}" for name, bound in h.bands.items())
    caption = (
        f"{h.label} at the end of the run among the {compact(h.n)} agents who held one, in bins of "
        f"{h.width}." + (f" Dashed lines: where each band starts ({bands})." if bands else "")
    )
    return Chart(f"score-{index}", "scores", f"{h.label} distribution", caption, option)


# --------------------------------------------------------------------------------------------
# Dot charts with intervals


@dataclass
class Dot:
    """One row of a dot chart."""

    label: str
    value: float
    low: float
    high: float
    tip: str

    @property
    def has_interval(self) -> bool:
        return not missing(self.low) and not missing(self.high)


def dot_chart(
    id: str,
    section: str,
    title: str,
    caption: str,
    dots: Sequence[Dot],
    fmt: str,
    lines: Sequence[tuple[float, str]] = (),
    why_not: str = "No data.",
    log: bool = False,
) -> Chart:
    """Values with 95% intervals as dots and whiskers, one row per group (``log``: on a
    logarithmic axis, for ratios that span orders of magnitude)."""
    dots = [d for d in dots if not missing(d.value)]
    if not dots:
        return _omit(id, section, title, why_not)
    labels = [d.label for d in dots]
    bars = [[_json(d.low), _json(d.high), i] for i, d in enumerate(dots)]
    points = [{"value": [d.value, i], "tip": d.tip} for i, d in enumerate(dots)]
    scatter: dict[str, Any] = {
        "type": "scatter", "name": "value", "data": points, "symbolSize": 9, "z": 3,
        "itemStyle": {"color": PALETTE[0]},
    }  # fmt: skip
    if lines:
        scatter["markLine"] = {
            "silent": True, "symbol": "none", "animation": False,
            "lineStyle": {"color": "#888", "type": "dashed"},
            "data": [{"xAxis": x, "label": {"formatter": text}} for x, text in lines],
        }  # fmt: skip
    option = _base(
        tooltip={"trigger": "item", "formatter": "fn:tip"},
        grid={"left": 8, "right": 48, "top": 28, "bottom": 36, "containLabel": True},
        xAxis={"type": "log", "axisLabel": {"formatter": f"fn:{fmt}"}} if log else
              {"type": "value", "scale": fmt == "ratio", "axisLabel": {"formatter": f"fn:{fmt}"}},
        yAxis={"type": "category", "data": labels, "inverse": True,
               "axisLabel": {"interval": 0}, "axisTick": {"show": False}},
        series=[
            {"type": "custom", "name": "95% interval", "renderItem": "fn:errorBar",
             "encode": {"x": [0, 1], "y": 2}, "data": bars, "z": 2,
             "itemStyle": {"color": "#777"}},
            scatter,
        ],
    )  # fmt: skip
    height = max(160, 70 + ROW_HEIGHT * len(dots))
    return Chart(id, section, title, caption, option, height=height)


def _json(x: float) -> float | None:
    return None if missing(x) or not math.isfinite(x) else float(x)


def _row_label(row: Row, references: dict[str, str]) -> str:
    """'hukou: rural', 'rural hukou, migrant', 'income quintile: Q5 (ref)', 'all adults'."""
    if row.group_by == "all":
        return "all adults" if row.metric in ADULT_METRICS else "all"
    ref = " (ref)" if references.get(row.group_by) == row.group else ""
    if row.group_by == HUKOU_MIGRANT:
        return f"{row.group}{ref}"
    return f"{row.group_by.replace('_', ' ')}: {row.group}{ref}"


ADULT_METRICS = {"listing_rate", "ever_listed_rate", "wrongful_listing_rate"}


def _share_dots(m: Metrics, metric: str, groupings: Sequence[str], category: str = "") -> list[Dot]:
    dots = []
    for by in groupings:
        for r in m.groups(metric, by, category):
            interval = pct_interval(r.low, r.high)
            tip = f"{esc(_row_label(r, m.references))}<br>{pct(r.value)}" + (
                f" (95% CI {interval})" if interval else ""
            ) + f"<br>n = {compact(r.n)} agents"  # fmt: skip
            dots.append(Dot(_row_label(r, m.references), r.value, r.low, r.high, tip))
    return dots


def listing_by_group(m: Metrics) -> Chart:
    """The listing rate of every group with its Wilson interval."""
    groupings = [g for g in GROUP_ORDER if g in m.groupings()]
    overall = m.get("listing_rate")
    lines = [(overall.value, "all adults")] if overall is not None else []
    return dot_chart(
        "listing-groups", "fairness", "Listing rate by group",
        "Share of adults on the list at the end of the run, with 95% Wilson intervals. The "
        "dashed line is the rate among all adults.",
        _share_dots(m, "listing_rate", groupings), "pct", lines,
        why_not="The run has no listing data (no 'listed' column).",
    )  # fmt: skip


def adverse_impact(m: Metrics) -> Chart:
    """How many times as often each group suffers the first outcome that hurts (the court list
    where the scenario has one), with Katz intervals."""
    categories = m.categories("adverse_ratio")
    category = categories[0] if categories else ""
    outcome = m.outcomes.get(category, category)
    dots = []
    never = []
    for by in [g for g in GROUP_ORDER if g in m.groupings()]:
        rows = m.groups("adverse_ratio", by, category)
        never += [r.group for r in rows if r.value == 0]
        rows = [r for r in rows if r.value > 0]  # a log axis has no 0
        reference = m.adverse_references.get(by, {}).get(category)
        for r in rows:
            label = _row_label(r, {by: reference} if reference else {})
            interval = f" (95% CI {ratio(r.low)[:-1]}–{ratio(r.high)})" if r.has_interval else ""
            flag = " — fails the four-fifths rule" if r.value > 1.25 else ""
            tip = (f"{esc(label)}<br>{ratio(r.value)} as often as {esc(reference or '')}"
                   f"{interval}{flag}<br>n = {compact(r.n)} agents")  # fmt: skip
            dots.append(Dot(label, r.value, r.low, r.high, tip))
    return dot_chart(
        "adverse-impact", "fairness", f"How many times as often: {outcome}",
        f"Each group's rate of '{outcome}' divided by the rate of its grouping's reference group "
        "(ref: the given group, else the least affected one), with 95% Katz log intervals. A "
        "group above 1.25 fails the four-fifths rule of thumb read for an outcome that hurts: "
        "the reference group's rate is below four-fifths of its own. A logarithmic axis: 2× and "
        "0.5× lie as far from parity." + (f" Never affected (not drawn): {', '.join(never)}."
                                          if never else ""),
        dots, "ratio", [(1.0, "parity"), (1.25, "")],
        why_not="The scenario has no mechanism with an outcome that hurts.", log=True,
    )  # fmt: skip


def disparate_impact(m: Metrics) -> Chart:
    """Disparate impact ratios of the favourable outcome, with Katz intervals."""
    categories = m.categories("disparate_impact_ratio")
    category = categories[0] if categories else ""
    dots = []
    for by in [g for g in (*GROUP_ORDER, "province") if g in m.groupings()]:
        rows = m.groups("disparate_impact_ratio", by, category)
        if by == "province":
            rows.sort(key=lambda r: (missing(r.value), r.value))
        for r in rows:
            label = _row_label(r, m.references)
            interval = f" (95% CI {ratio(r.low)[:-1]}–{ratio(r.high)})" if r.has_interval else ""
            flag = " — below four-fifths" if not missing(r.value) and r.value < 0.8 else ""
            tip = f"{esc(label)}<br>ratio {ratio(r.value)}{interval}{flag}<br>n = {compact(r.n)} agents"
            dots.append(Dot(label, r.value, r.low, r.high, tip))
    outcome = category or "the favourable outcome"
    lowest = min((min(d.value, d.low) if d.has_interval else d.value for d in dots), default=1.0)
    threshold = (
        "A group below 0.8 fails the four-fifths rule of thumb for adverse impact (dashed line)."
        if lowest <= 0.8
        else "Every group, interval included, is above 0.8, the four-fifths rule of thumb for "
        "adverse impact, which lies off the left edge."
    )
    return dot_chart(
        "disparate-impact", "fairness", f"Disparate impact: '{outcome}'",
        f"Each group's rate of '{outcome}' among adults divided by its reference group's "
        f"(AIF360's disparate impact ratio), with 95% Katz log intervals. {threshold}",
        dots, "ratio", [(0.8, "four-fifths"), (1.0, "parity")],
        why_not="The run has no favourable-outcome data (no 'listed' column).",
    )  # fmt: skip


def trap_and_wrongful(m: Metrics) -> list[Chart]:
    """Poverty-trap and wrongful-listing shares by group."""
    groupings = ["all", *(g for g in GROUP_ORDER if g in m.groupings())]
    ever = m.get("ever_listed_rate")
    nobody = "No one was ever listed in this run, so there is no one to count."
    out = []
    for id, metric, title, caption, why in (
        ("trap-groups", "poverty_trap_share", "Poverty trap by group",
         "Among people ever listed: the share who stayed on the list a year or more while their "
         "assets were below what they owed, with 95% Wilson intervals.",
         "The run has no poverty-trap data (columns n_listings and ever_trapped)."),
        ("wrongful-groups", "wrongful_listing_share", "Wrongful listings by group",
         "Among people ever listed: the share ever listed because another person's offence was "
         "recorded against them (a misattributed record), with 95% Wilson intervals.",
         "The run has no wrongful-listing data (columns n_listings and wrongful_listings)."),
    ):  # fmt: skip
        if ever is not None and ever.value == 0:
            why = nobody
        dots = _share_dots(m, metric, groupings)
        out.append(dot_chart(id, "wrongful", title, caption, dots, "pct", why_not=why))
    return out


# --------------------------------------------------------------------------------------------
# The map


MAP_LAYERS = (
    ("listing_rate", "", "Listed at the end (share of adults)", "pct"),
    ("ever_listed_rate", "", "Ever listed (share of adults)", "pct"),
    ("days_listed_per_adult", "", "Days listed per adult", "days"),
    ("poverty_trap_share", "", "Poverty trap (share of the ever listed)", "pct"),
    ("wrongful_listing_share", "", "Wrongfully listed (share of the ever listed)", "pct"),
)


# Outcomes that hurt drawn from their adverse rate (sanctions have layers of their own)
MAP_OUTCOMES = ("grade", "composite_band", "on_", "lacks_")
MAP_MARK = {"opacity": 0.45, "borderColor": "#555", "borderType": "dashed", "borderWidth": 1}


def _map_layer(m: Metrics, metric: str, category: str, label: str, fmt: str) -> dict | None:
    """One measure of the map: a sequential scale from zero to the highest province; a
    province whose 95% interval includes the national value is faded with a dashed outline
    (it cannot be told apart from the nation); when every province has the same value there is
    no scale, and the legend says so."""
    rows = [r for r in m.groups(metric, "province", category) if not missing(r.value)]
    if not rows:
        return None
    show = FORMATS[fmt]
    low, high = min(r.value for r in rows), max(r.value for r in rows)
    uniform = low == high  # nothing to tell apart: no scale and no marks
    overall = m.get(metric, category=category)
    national = overall.value if overall is not None and not missing(overall.value) else None
    data = []
    covering = 0
    for r in rows:
        interval = f" (95% CI {_map_interval(r, fmt)})" if r.has_interval else ""
        covers = (not uniform and national is not None and r.has_interval
                  and r.low <= national <= r.high)  # fmt: skip
        covering += covers
        note = "<br>interval includes the national value" if covers else ""
        tip = (f"{esc(r.group)}<br>{esc(label)}: {show(r.value)}{interval}{note}<br>"
               f"n = {compact(r.n)} agents")  # fmt: skip
        item: dict[str, Any] = {"name": r.group, "value": r.value, "tip": tip}
        if covers:
            item["itemStyle"] = MAP_MARK
        data.append(item)
    nation = f"national value {show(national)}" if national is not None else ""
    if uniform:
        legend = f"Every province: {show(high)}, so the map has no colour scale."
    else:
        legend = (f"Colour: from 0 (white) to the highest province, {show(high)}; {nation}. "
                  f"Faded with a dashed outline: the province's 95% interval includes the "
                  f"national value ({covering} of {len(rows)} provinces).")  # fmt: skip
    return {"label": label, "data": data, "min": 0, "max": high if high > 0 else 1,
            "format": fmt, "text": [show(high), show(0)], "show": not uniform,
            "legend": legend}  # fmt: skip


def _map_interval(r: Row, fmt: str) -> str:
    if fmt == "pct":
        return pct_interval(r.low, r.high)
    show = FORMATS[fmt]
    return f"{show(max(r.low, 0.0))} – {show(r.high)}"


def province_map(m: Metrics, spec: ScenarioSpec | None = None) -> Chart:
    """The outcomes of the run's mechanisms by province on a map of China: listings, low
    grades or bands, black lists, rights lacked, sanctions and rewards."""
    title = "Outcomes by province"
    if "province" not in m.groupings():
        return _omit("province-map", "map", title, "The run has no province column.")
    layers = []
    for metric, category, label, fmt in MAP_LAYERS:
        layer = _map_layer(m, metric, category, label, fmt)
        if layer is not None:
            layers.append(layer)
    outcomes = [c for c in m.categories("adverse_rate") if c.startswith(MAP_OUTCOMES)]
    outcomes.sort(key=lambda c: next(k for k, p in enumerate(MAP_OUTCOMES) if c.startswith(p)))
    for category in outcomes:  # a grade, a band, a black list, a right lacked
        label = m.outcomes.get(category, category)
        layer = _map_layer(m, "adverse_rate", category, f"{label[0].upper()}{label[1:]}", "pct")
        if layer is not None:
            layers.append(layer)
    for metric, noun in (("sanction_share", "Sanction"), ("reward_share", "Reward")):
        for category in m.categories(metric):
            label = f"{noun}: {category_label(spec, metric, category)}"
            layer = _map_layer(m, metric, category, label + " (share of adults)", "pct")
            if layer is not None:
                layers.append(layer)
    if not layers:
        return _omit("province-map", "map", title, "The run has no outcome to map by province.")
    first = layers[0]
    option = _base(
        tooltip={"trigger": "item", "formatter": "fn:tip"},
        visualMap={
            "type": "continuous", "min": first["min"], "max": first["max"], "left": 8,
            "bottom": 8, "calculable": False, "realtime": False, "show": first["show"],
            "text": first["text"], "inRange": {"color": MAP_COLOURS},
            "formatter": f"fn:{first['format']}",
        },
        series=[
            {"type": "map", "map": MAP_NAME, "name": first["label"], "roam": False,
             "top": 10, "bottom": 10, "data": first["data"],
             "itemStyle": {"areaColor": "#e8e8e8", "borderColor": "#999", "borderWidth": 0.5},
             "emphasis": {"label": {"show": False},
                          "itemStyle": {"areaColor": "#9ecae1"}}},
        ],
    )  # fmt: skip
    caption = (
        "Choose a measure above the map. Values are at the end of the run, per province of "
        "residence, with 95% intervals in the tooltip; provinces with few agents have wide "
        "intervals, which is why those that cannot be told apart from the national value are "
        "faded. Taiwan, Hong Kong and Macau are outside the synthetic population (grey)."
    )
    chart = Chart("province-map", "map", title, caption, option, height=520, layers=layers)
    chart.legend = first["legend"]
    return chart


def province_listing(m: Metrics) -> Chart:
    """Listing rate per province with intervals, highest first (the map's numbers, readable)."""
    rows = [r for r in m.groups("listing_rate", "province") if not missing(r.value)]
    rows.sort(key=lambda r: -r.value)
    dots = [
        Dot(r.group, r.value, r.low, r.high,
            f"{esc(r.group)}<br>{pct(r.value)} (95% CI {pct_interval(r.low, r.high)})<br>"
            f"n = {compact(r.n)} agents")
        for r in rows
    ]  # fmt: skip
    overall = m.get("listing_rate")
    return dot_chart(
        "province-listing", "map", "Listing rate by province",
        "Share of adults on the list at the end of the run, by province of residence, with 95% "
        "Wilson intervals; the dashed line is the national rate.",
        dots, "pct", [(overall.value, "all")] if overall is not None else [],
        why_not="The run has no province or listing data.",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Comparison


METRIC_LABELS = {
    "listing_rate": "listed at the end",
    "ever_listed_rate": "ever listed",
    "wrongful_listing_share": "wrongfully listed (of the listed)",
    "wrongful_record_rate": "with a misattributed record",
    "poverty_trap_share": "poverty trap (of the listed)",
    "listed_year_or_more_share": "listed a year or more (of the listed)",
    "days_listed_per_adult": "days listed per adult",
    "sanction_share": "sanction",
    "reward_share": "reward",
    "list_share": "on list",
    "rights_lacking_share": "lacking right",
    "scored_share": "scored by points",
    "composite_user_share": "composite score users",
}


def metric_label(metric: str, category: str) -> str:
    """A compared metric as it reads in a chart or table."""
    label = METRIC_LABELS.get(metric, metric.replace("_", " "))
    return f"{label}: {category.replace('_', ' ')}" if category else label


def comparison_chart(c: Comparison | None) -> Chart:
    """Overall differences (alt − base) of the compared metrics, in percentage points."""
    title = "Comparison: differences B − A"
    if c is None:
        return _omit("compare-diff", "compare", title, "No second run given (--compare).")
    rows = [r for r in c.rows if r["group_by"] == "all" and r["metric"] != "days_listed_per_adult"]
    dots = []
    for r in rows:
        label = metric_label(r["metric"], r["category"])
        interval = (
            f" (95% CI {pp(r['low'])} to {pp(r['high'])})"
            if not missing(r["low"]) and not missing(r["high"])
            else ""
        )
        tip = f"{esc(label)}<br>{pct(r['base'])} → {pct(r['alt'])}: {pp(r['diff'])}{interval}"
        dots.append(Dot(label, r["diff"], r["low"], r["high"], tip))
    return dot_chart(
        "compare-diff", "compare", title,
        f"B minus A ({c.alt_label} minus {c.base_label}; {c.method}), among all adults (or among the listed, where "
        "marked), in percentage points with 95% intervals; the dashed line is no difference.",
        dots, "pp", [(0.0, "")], why_not="The runs share no metric to compare.",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# All of them


def target_series(curve: TargetCurve, index: int) -> Chart:
    """A calibration series: the run's curve (a line), each published point's range (a
    vertical bar at its date)."""
    what = "running total from the target's start" if curve.kind == "cumulative" else "value"
    option = _base(
        tooltip={"trigger": "axis", "formatter": "fn:axisCompact"},
        legend={"top": 0},
        grid={"left": 8, "right": 24, "top": 40, "bottom": 30, "containLabel": True},
        xAxis={"type": "time"},
        yAxis={"type": "value", "axisLabel": {"formatter": "fn:compact"}},
        series=[
            {"type": "line", "name": "this run", "showSymbol": False,
             "data": [[d, v] for d, v in zip(curve.dates, curve.values, strict=True)]},
            {"type": "scatter", "name": "published (range)", "symbolSize": 7,
             "itemStyle": {"color": PALETTE[2]},
             "data": [[d, (lo + hi) / 2] for d, lo, hi in curve.points],
             "markLine": {"silent": True, "symbol": "none", "animation": False,
                          "lineStyle": {"color": PALETTE[2], "width": 2, "type": "solid"},
                          "data": [[{"coord": [d, lo]}, {"coord": [d, hi]}]
                                   for d, lo, hi in curve.points]}},
        ],
    )  # fmt: skip
    caption = (f"The line is this run's {what}; each bar is a published point's accepted range, "
               "the dot its middle.")  # fmt: skip
    return Chart(f"target-{index}", "calibration", curve.label or curve.name, caption, option,
                 height=320)  # fmt: skip


def charts(data: RunData, comparison: Comparison | None) -> list[Chart]:
    """Every chart of the report in page order, for the mechanisms the run has (a chart of a
    mechanism it has but whose data hold nothing to draw is left out with its note)."""
    m, present = data.metrics, data.present
    out = []
    if present.points:
        out.append(shares_over_time(
            "grades-time", "grades", "Grade shares over time",
            "Share of scored citizens in each grade of the points scheme at each month end.",
            data.grades, "The run has no grade time series.",
        ))  # fmt: skip
    if present.composite:
        out.append(shares_over_time(
            "bands-time", "grades", "Composite score bands over time",
            "Share of the composite score's users in each band at each month end.",
            data.bands, "The run has no band time series.",
        ))  # fmt: skip
    if present.points or present.composite:
        out += [score_distribution(h, i) for i, h in enumerate(data.histograms)] or [
            _omit("score-0", "scores", "Score distribution", "No one held a score.")
        ]
    out.append(province_map(m, scenario_of(data.run)))
    if present.court_list:
        out += [province_listing(m), listing_by_group(m)]
    out.append(adverse_impact(m))
    out.append(disparate_impact(m))
    if present.court_list:
        out += [*stocks_over_time(data), *trap_and_wrongful(m)]
    out += [target_series(curve, i) for i, curve in enumerate(data.targets)]
    if comparison is not None:
        out.append(comparison_chart(comparison))
    return out


__all__ = ["MAP_NAME", "Chart", "charts", "dot_chart", "metric_label", "province_map"]
