"""The report of a paired comparison (``scsim compare A B --replicates R --report FILE``): one
offline HTML page that names both scenarios, leads with the largest differences in sentences,
and gives every changed metric's paired difference B − A with its bootstrap interval across the
replicate pairs: deterrence and chilling (acts per adult), sanctions and rewards apart, listing,
errors and the poverty trap, scores and ties, the outcomes that hurt by group.

It reads only the :class:`scsim.audit.compare.Comparison` (and the first run of each side, for
the scenarios' titles and labels). A mechanism that only one side has is compared with zero on
the other side, and the page says so beside each such row.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scsim import __version__
from scsim.audit.labels import among, category_label, row_label
from scsim.audit.tidy import ALL
from scsim.report.charts import Chart, Dot, dot_chart
from scsim.report.data import ReportError
from scsim.report.page import chart_html, document
from scsim.report.write import write_atomic
from scsim.results.format import (
    FLAGS,
    SHARE_DIFFERENCES,
    clamp,
    domain,
    fmt_metric,
    is_share,
    missing,
    number,
    pct,
    people,
    pp,
    signed,
)
from scsim.results.store import refuse_run_file
from scsim.scenario.schema import ScenarioSpec

if TYPE_CHECKING:
    from scsim.audit.compare import Comparison

LEAD = 6  # sentences of differences at the top (besides those about mechanisms one side lacks)
CHART_ROWS = 24  # rows of the differences chart
# Metrics that may lead the page (at 'all'); ratios, flags, quantiles and targets do not.
LEAD_METRICS = (
    "events_per_adult", "listing_rate", "ever_listed_rate", "sanction_share", "reward_share",
    "days_listed_per_adult", "list_share", "rights_lacking_share", "wrongful_listing_rate",
    "wrongful_listing_share", "wrongful_record_rate", "wrongful_sanction_share",
    "poverty_trap_share", "listed_year_or_more_share", "scored_share", "composite_user_share",
    "grade_share", "composite_band_share", "ties_lost_share", "friends_lost_mean",
    "ties_dropped_per_user", "adverse_rate", "offenders_never_recorded",
)  # fmt: skip
# The page's tables of overall rows: (id, title, metrics, the line under the table).
TABLES = (
    ("sanctions", "Sanctions", ("sanction_share", "wrongful_sanction_share"),
     "Share of adults under each sanction at the end of the run (a measure with an effect "
     "against the citizen); wrongful: of those sanctioned, the share under it on records that "
     "were not theirs."),
    ("rewards", "Rewards", ("reward_share",),
     "Share of adults receiving each reward at the end of the run (a measure whose every effect "
     "favours the citizen)."),
    ("listing", "Listing, lists and rights",
     ("listing_rate", "ever_listed_rate", "days_listed_per_adult", "list_share",
      "rights_lacking_share"),
     "Court list at the end and ever, days listed per adult over the run, each black or red "
     "list, and local rights the hukou denies; shares of adults."),
    ("errors", "Wrongful records and the poverty trap",
     ("wrongful_listing_rate", "wrongful_listing_share", "wrongful_record_rate",
      "offenders_never_recorded", "poverty_trap_share", "listed_year_or_more_share",
      "days_listed_quantile", "exit_route_share"),
     "Listings and records caused by another person's offence, offences never recorded, and "
     "among the ever listed: a year or more on the list while unable to pay, and how listings "
     "ended."),
    ("scores", "Scores, grades and ties",
     ("scored_share", "grade_share", "composite_user_share", "composite_band_share", "gini",
      "grade_transition", "friends_mean", "friends_lost_mean", "ties_lost_share",
      "ties_dropped_per_user", "score_assortativity"),
     "Who holds a score and in which grade or band (shares of holders), inequality (Gini), and "
     "friendship ties kept and lost."),
    ("outcomes", "Outcomes that hurt",
     ("adverse_rate", "adverse_ratio", "adverse_difference", "adverse_four_fifths"),
     "Each outcome the scenarios' mechanisms declare as hurting, as a share of those it can "
     "reach (overall); by group below."),
    ("switched", "Whom B spares and whom it adds",
     ("switched_share",),
     "Both runs of a pair hold the same synthetic citizens. For each outcome that hurts: A, the "
     "share hit in A's run and not in B's (B spares them); B, the share hit in B's and not in "
     "A's (B adds them). B − A is the net change; a small net change can hide two large flows."),
)  # fmt: skip
# Rows that restate others (the outcomes that hurt repeat the listing and sanction rows, the
# favourable rate is one minus the listing rate, who switches nets to the outcomes' change):
# not drawn in the chart of differences.
MIRRORS = ("adverse_rate", "favourable_rate", "switched_share")
GROUP_METRICS = ("adverse_rate", "listing_rate", "events_per_adult")  # the by-group table


@dataclass(frozen=True)
class Side:
    """One side of the comparison as the page names it."""

    key: str  # "A" or "B"
    name: str  # the scenario's identifier (with its reforms)
    title: str  # its human title
    spec: ScenarioSpec | None
    info: dict[str, Any]

    @property
    def short(self) -> str:
        """What a sentence or a column calls it: its name (titles run to a line)."""
        return self.name

    def mechanisms(self) -> list[str]:
        return self.spec.mechanisms() if self.spec is not None else []


@dataclass
class Line:
    """One row of the comparison, with what the page says of it."""

    metric: str
    category: str
    group_by: str
    group: str
    a: float
    b: float
    difference: float
    low: float
    high: float
    identical: bool
    label: str
    zero_in: str  # "A" or "B" when that side lacks the mechanism and counts as zero, else ""

    @property
    def has_interval(self) -> bool:
        return not missing(self.low) and not missing(self.high)

    @property
    def clear(self) -> bool:
        """Whether the interval excludes no difference (with one pair: any difference)."""
        if self.identical or missing(self.difference):
            return False
        if not self.has_interval:
            return self.difference != 0
        return self.low > 0 or self.high < 0

    @property
    def relative(self) -> float:
        """|B − A| over the larger of the two (1 for a change from zero)."""
        scale = max(abs(self.a or 0.0), abs(self.b or 0.0))
        return abs(self.difference) / scale if scale > 0 else 0.0


def _spec(runs: Sequence[Any]) -> ScenarioSpec | None:
    try:
        return runs[0].scenario if runs else None
    except Exception:  # noqa: BLE001 — an old run without a readable scenario: identifiers only
        return None


def _side(result: Comparison, key: str) -> Side:
    info = result.info.get(key.lower()) or {}
    runs = result.runs_a if key == "A" else result.runs_b
    spec = _spec(runs)
    reforms = ", ".join(info.get("reforms_applied") or [])
    name = str(info.get("scenario") or "?") + (f" (reform {reforms})" if reforms else "")
    title = (runs[0].manifest.get("title") if runs else "") or (spec.title if spec else "")
    if title and reforms:
        title = f"{title}, reform {reforms}"
    return Side(key, name, title or "", spec, info)


def lines(result: Comparison, a: Side, b: Side) -> list[Line]:
    """Every row of the comparison with its label (from B's scenario, else A's)."""
    zero = {(z["metric"], z["category"]): z["absent_in"]
            for z in result.info.get("compared_with_zero") or []}  # fmt: skip
    outcomes = result.info.get("outcomes") or {}
    out = []
    for row, same in zip(result.table.to_pylist(), result.identical, strict=True):
        spec = b.spec if (row["metric"], row["category"]) not in zero or zero[
            (row["metric"], row["category"])] == "A" else a.spec  # fmt: skip
        spec = spec or a.spec or b.spec
        out.append(Line(
            row["metric"], row["category"] or "", row["group_by"], row["group"],
            _num(row["a"]), _num(row["b"]), _num(row["difference"]), _num(row["ci_low"]),
            _num(row["ci_high"]), bool(same), _row_label(spec, row, outcomes),
            zero.get((row["metric"], row["category"]), ""),
        ))  # fmt: skip
    return out


def _row_label(spec: ScenarioSpec | None, row: dict[str, Any], outcomes: dict[str, str]) -> str:
    is_outcome = row["metric"].startswith("adverse_") or row["metric"] == "switched_share"
    if is_outcome and row["category"] in outcomes:
        return f"{row_label(spec, row['metric'], '')}: {outcomes[row['category']]}"
    return row_label(spec, row["metric"], row["category"] or "")


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


# --------------------------------------------------------------------------------------------
# Numbers as the page prints them


def value(line: Line, x: float) -> str:
    """A side's value: a share, a count of days or acts, a ratio."""
    if line.metric in FLAGS:
        return "–" if missing(x) else f"{pct(x)} of runs"
    text = fmt_metric(line.metric, x)
    return "fails" if text.startswith("[red]") else text


def difference(line: Line, x: float) -> str:
    """B − A: percentage points for shares (and flags), a signed number otherwise."""
    if is_share(line.metric) or line.metric in FLAGS or line.metric in SHARE_DIFFERENCES:
        return pp(x)
    return signed(x)


def interval(line: Line) -> str:
    """The bootstrap interval of B − A, the mean of each side kept inside its metric's domain
    (a share's difference within ±100 pp)."""
    if not line.has_interval:
        return ""
    lo, hi = domain(line.metric)
    span = hi - lo
    low, high = clamp(line.low, -span, span), clamp(line.high, -span, span)
    return f"{difference(line, low)} to {difference(line, high)}"  # type: ignore[arg-type]


def _of_whom(line: Line) -> str:
    who = among(line.metric)
    if line.metric.endswith("_per_adult"):
        return ""
    return f" of {who}" if who and who not in ("group", "all", "runs") else ""


# --------------------------------------------------------------------------------------------
# Sentences


def _interval_clause(line: Line, pairs: int) -> str:
    if not line.has_interval:
        return "one pair of runs, so no interval"
    verdict = "" if line.clear else "; the interval includes no difference"
    return f"95% interval {interval(line)} over {pairs} pairs{verdict}"


def sentence(line: Line, a: Side, b: Side, pairs: int) -> str:
    """One difference in plain words, B first."""
    what = line.label[0].upper() + line.label[1:]
    if line.metric == "events_per_adult":
        kind = category_label(b.spec or a.spec, line.metric, line.category)
        change = (line.difference / line.a) if line.a else math.nan
        direction = "fewer" if line.difference < 0 else "more"
        rel = f", {pct(abs(change))} {direction}" if not missing(change) else ""
        return (
            f"Acts of {_lower(kind)} per adult over the run: {number(line.b)} under {b.short} "
            f"against {number(line.a)} under {a.short} ({signed(line.difference)}{rel}; "
            f"{_interval_clause(line, pairs)})."
        )
    unit = " days per adult" if line.metric == "days_listed_per_adult" else ""
    return (
        f"{what}: {value(line, line.b)}{unit}{_of_whom(line)} under {b.short} against "
        f"{value(line, line.a)}{unit} under {a.short} ({difference(line, line.difference)}; "
        f"{_interval_clause(line, pairs)})."
    )


def _lower(label: str) -> str:
    words = label.split()
    if words and words[0][1:].islower() and not (len(words) > 1 and words[1][:1].isupper()):
        return label[0].lower() + label[1:]
    return label


def _duplicate(line: Line) -> bool:
    """An outcome-that-hurts row that repeats a listing or sanction row."""
    return line.metric == "adverse_rate" and line.category.startswith(
        ("listed", "sanction_", "on_", "lacks_")
    )


def lead(rows: Sequence[Line], a: Side, b: Side, pairs: int) -> list[str]:
    """The page's first sentences: what each side lacks (compared as zero), then the largest
    overall differences — clear ones first, by relative size — with the largest change in acts
    per adult always among them (deterrence and chilling)."""
    overall = [r for r in rows if r.group_by == ALL and not r.identical and not _duplicate(r)
               and r.metric in LEAD_METRICS and not missing(r.difference)]  # fmt: skip
    out = []
    for side, other in ((a, b), (b, a)):
        zeroed = [r for r in overall if r.zero_in == side.key]
        if zeroed:
            adults = [r for r in zeroed if among(r.metric) == "adults"
                      and not r.metric.startswith("adverse_")] or zeroed  # fmt: skip
            top = max(adults, key=lambda r: abs(r.difference))
            lacks = [m for m in other.mechanisms() if m not in side.mechanisms()]
            what = f" ({', '.join(lacks)})" if lacks else ""
            out.append(
                f"{side.short} lacks mechanisms that {other.short} has{what}: their "
                f"{len(zeroed)} metric(s) count as zero under {side.short}; the largest is "
                f"{_lower(top.label)} at {value(top, _val(top, other))}{_of_whom(top)} under "
                f"{other.short}."
            )
    ranked = sorted((r for r in overall if not r.zero_in),
                    key=lambda r: (not r.clear, -r.relative, -abs(r.difference)))  # fmt: skip
    chosen = ranked[:LEAD]
    events = [r for r in ranked if r.metric == "events_per_adult"]
    if events and not any(r.metric == "events_per_adult" for r in chosen):
        chosen.append(events[0])
    out += [sentence(r, a, b, pairs) for r in chosen]
    if not chosen and not out:
        out.append(f"No metric differs between {a.short} and {b.short} in any pair of runs.")
    return out


def _val(line: Line, side: Side) -> float:
    return line.a if side.key == "A" else line.b


# --------------------------------------------------------------------------------------------
# Tables and charts


def _group(line: Line) -> str:
    return "all" if line.group_by == ALL else f"{line.group_by.replace('_', ' ')}: {line.group}"


def table(rows: Sequence[Line], a: Side, b: Side, pairs: int, under: str,
          group: bool = False, categories: bool = False) -> str:  # fmt: skip
    """A table of rows (A, B, B − A, interval) with one line under it."""
    if not rows:
        return ""
    head = "<tr><th>what</th>" + ("<th>group</th>" if group else "")
    head += (f"<th class=num>A<br><code>{escape(a.short)}</code></th>"
             f"<th class=num>B<br><code>{escape(b.short)}</code></th><th class=num>B − A</th>"
             + (f"<th class=num>95% interval<br>({pairs} pairs)</th>" if pairs > 1 else "")
             + "</tr>")  # fmt: skip
    body = []
    for r in rows:
        mark_a = ' <span class="zero">none*</span>' if r.zero_in == "A" else ""
        mark_b = ' <span class="zero">none*</span>' if r.zero_in == "B" else ""
        label = category_label(a.spec or b.spec, r.metric, r.category) if categories else r.label
        body.append(
            f"<tr><td>{escape(label)}<br><code>{escape(r.metric)}"
            + (f" · {escape(r.category)}" if r.category else "") + "</code></td>"
            + (f"<td>{escape(_group(r))}</td>" if group else "")
            + f"<td class=num>{value(r, r.a)}{mark_a}</td><td class=num>{value(r, r.b)}{mark_b}</td>"
            f"<td class=num>{difference(r, r.difference)}</td>"
            + (f"<td class=num>{interval(r)}</td>" if pairs > 1 else "")
            + "</tr>"
        )  # fmt: skip
    zero = any(r.zero_in for r in rows)
    note = under + (" *none: that scenario has no such mechanism, so it counts as zero."
                    if zero else "")  # fmt: skip
    return (f'<div class="wide"><table>{head}{"".join(body)}</table></div>'
            f'<p class="under">{escape(note)}</p>')  # fmt: skip


def differences_chart(rows: Sequence[Line], a: Side, b: Side) -> Chart:
    """The largest overall differences of shares, in percentage points, with intervals."""
    shares = [r for r in rows if r.group_by == ALL and not r.identical and is_share(r.metric)
              and among(r.metric) == "adults" and r.metric not in MIRRORS
              and not missing(r.difference)]  # fmt: skip
    shares.sort(key=lambda r: -abs(r.difference))
    shares = shares[:CHART_ROWS]
    dots = [
        Dot(_short(r.label), r.difference, r.low, r.high,
            f"{escape(r.label)}<br>{escape(a.short)}: {pct(r.a)} → {escape(b.short)}: "
            f"{pct(r.b)}<br>B − A {pp(r.difference)}"
            + (f" (95% interval {interval(r)})" if r.has_interval else ""))
        for r in shares
    ]  # fmt: skip
    return dot_chart(
        "compare-diff", "differences", "The largest differences in shares (B − A)",
        f"B ({b.short}) minus A ({a.short}), shares of all adults, in percentage points, with 95% bootstrap "
        "intervals across the replicate pairs; the dashed line is no difference. Up to "
        f"{CHART_ROWS} rows, largest first; every row is in the tables below.",
        dots, "pp", [(0.0, "")], why_not="No share differs between the two scenarios.",
    )  # fmt: skip


def _short(label: str, limit: int = 48) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def events_chart(rows: Sequence[Line], a: Side, b: Side) -> Chart:
    """Relative change in acts per adult, per event kind (deterrence and chilling)."""
    events = [r for r in rows if r.group_by == ALL and r.metric == "events_per_adult"
              and r.a and not r.identical]  # fmt: skip
    spec = b.spec or a.spec
    dots = []
    for r in sorted(events, key=lambda r: r.difference / r.a):
        kind = category_label(spec, r.metric, r.category)
        rel, lo, hi = r.difference / r.a, r.low / r.a, r.high / r.a
        tip = (f"{escape(kind)}<br>{number(r.a)} → {number(r.b)} acts per adult "
               f"({pct(rel) if rel < 0 else '+' + pct(rel)})")  # fmt: skip
        dots.append(Dot(_short(kind), rel, lo, hi, tip))
    return dot_chart(
        "events-change", "deterrence", "Change in acts per adult, by kind of act",
        f"Acts per adult over the run under B ({b.short}) relative to A ({a.short}): −10% means "
        "a tenth fewer. Fewer offences is deterrence; fewer lawful acts (speech, petitions) is "
        "chilling. 95% bootstrap intervals across the replicate pairs.",
        dots, "pct", [(0.0, "")], why_not="No kind of act changes in frequency.",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# The page


def _scenarios(a: Side, b: Side, result: Comparison) -> str:
    info = result.info
    seeds = info.get("seeds") or []
    weight = info.get("weight") or 1.0
    n = info.get("n_agents") or 0
    horizon = info.get("horizon") or {}
    rows = []
    for side in (a, b):
        mech = ", ".join(side.spec.mechanisms()) if side.spec else ""
        rows.append(
            f"<tr><th>{side.key}</th><td><strong>{escape(side.title or side.name)}</strong><br>"
            f"<code>{escape(side.name)}</code> · hash "
            f"<code>{escape(str(side.info.get('scenario_hash', ''))[:8])}</code>"
            + (f"<br><span class=muted>{escape(mech)}</span>" if mech else "") + "</td></tr>"
        )  # fmt: skip
    pairs = info.get("replicates", 0)
    seed_text = (f"seeds {seeds[0]} to {seeds[-1]}" if len(seeds) > 1
                 else f"seed {seeds[0]}" if seeds else "")  # fmt: skip
    rows.append(f"<tr><th>pairs</th><td>{pairs} ({escape(seed_text)}): each pair runs A and B "
                "with the same seed, so both see the same synthetic population and the same "
                "draws (common random numbers)</td></tr>")  # fmt: skip
    rows.append(f"<tr><th>population</th><td>{number(n)} synthetic agents standing for "
                f"{people(n * weight)} people · {escape(str(horizon.get('start', '–')))} to "
                f"{escape(str(horizon.get('end', '–')))}</td></tr>")  # fmt: skip
    rows.append(f"<tr><th>intervals</th><td>{escape(str(info.get('intervals', '')))}</td></tr>")
    return f'<div class="wide"><table>{"".join(rows)}</table></div>'


def _zeroed(result: Comparison, a: Side, b: Side) -> str:
    items = result.info.get("compared_with_zero") or []
    if not items:
        return ""
    sides = {"A": a, "B": b}
    out = []
    for key in ("A", "B"):
        mine = [z for z in items if z["absent_in"] == key]
        if not mine:
            continue
        other = b if key == "A" else a
        spec = other.spec
        names = sorted({row_label(spec, z["metric"], z["category"]) for z in mine})
        out.append(
            f"<p>{escape(sides[key].short)} lacks {len(names)} metric(s) that "
            f"{escape(other.short)} has; they are compared as zero: {escape('; '.join(names))}.</p>"
        )
    return "".join(out)


def render(result: Comparison) -> str:
    """The comparison page as one HTML document."""
    a, b = _side(result, "A"), _side(result, "B")
    pairs = int(result.info.get("replicates") or 1)
    rows = lines(result, a, b)
    changed = [r for r in rows if not r.identical]
    overall = [r for r in changed if r.group_by == ALL]
    charts = [differences_chart(rows, a, b), events_chart(rows, a, b)]
    sentences = "".join(f"<li>{escape(s)}</li>" for s in lead(rows, a, b, pairs))
    findings = (
        f'<ul class="findings">{sentences}</ul><p class="under">Ranked by the size of the '
        "difference relative to the larger side, those whose interval excludes no difference "
        "first; B is the changed scenario, A the baseline.</p>"
    )
    events = [r for r in overall if r.metric == "events_per_adult"]
    deterrence = (
        chart_html(charts[1])
        + table(events, a, b, pairs, "Acts per adult over the run, as committed (not as "
                "recorded), by kind of act: deterrence where an offence falls, chilling where "
                "lawful conduct does.", categories=True)
        if events else "<p class=muted>No kind of act changes in frequency between the two "
        "scenarios: no deterrence and no chilling in these runs.</p>"
    )  # fmt: skip
    sections = [
        ("lead", "Largest differences", findings),
        ("scenarios", "The two scenarios", _scenarios(a, b, result)),
        ("differences", "Differences in shares", chart_html(charts[0])),
        ("deterrence", "Deterrence and chilling", deterrence),
    ]
    for key, title, metrics, under in TABLES:
        mine = [r for r in overall if r.metric in metrics]
        sections.append((key, title, table(mine, a, b, pairs, under)))
    by_group = [r for r in changed if r.group_by != ALL and r.metric in GROUP_METRICS
                and r.group_by != "province"]  # fmt: skip
    sections.append(
        (
            "groups",
            "By group",
            table(
                by_group,
                a,
                b,
                pairs,
                "Outcomes that hurt, the court list and acts per adult within "
                "each group of each grouping (provinces in the full table below).",
                group=True,
            ),
        )
    )
    every = table(changed, a, b, pairs, "Every changed row, overall and by group.", group=True)
    hidden = len(rows) - len(changed)
    sections.append(("all", "Every changed row", (
        f"<details><summary>{len(changed)} rows that differ in some pair"
        + (f" ({hidden} identical in every pair are left out; --csv gives every row)"
           if hidden else "") + f"</summary>{every}</details>")))  # fmt: skip
    notes = "".join(f"<li>{escape(n)}</li>" for n in result.notes)
    sections.append(
        (
            "notes",
            "Mechanisms compared as zero, and notes",
            _zeroed(result, a, b) + (f"<ul>{notes}</ul>" if notes else ""),
        )
    )
    header = (
        f"<h1>{escape(b.short)} against {escape(a.short)}</h1>"
        f'<p class="sub">scsim paired comparison · B <code>{escape(b.name)}</code> − A '
        f"<code>{escape(a.name)}</code> · {pairs} replicate pair{'s' if pairs != 1 else ''}</p>"
    )
    built = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    footer = (
        f"<p>Written by scsim {escape(__version__)} on {built}. Every person here is a synthetic "
        "agent. The metrics are defined in docs/audit.md (the glossary) of the scsim "
        "repository. Charts: Apache ECharts 4.9.0, Apache License 2.0, embedded unmodified. "
        "This page makes no network requests and opens offline.</p>"
    )
    return document(f"scsim comparison — {b.short} against {a.short}", header, sections,
                    charts, footer)  # fmt: skip


def target(out: str | os.PathLike[str]) -> Path:
    """The report file, checked before any run starts."""
    path = refuse_run_file(out)
    if path.is_dir():
        raise ReportError(f"--report {path} is a directory; give a file name such as compare.html")
    if not path.parent.is_dir():
        raise ReportError(f"cannot write {path}: the folder {path.parent} does not exist")
    return path


def write_comparison_report(result: Comparison, out: str | os.PathLike[str]) -> Path:
    """Write the comparison page to ``out`` (atomically); returns its path."""
    return write_atomic(target(out), render(result))


__all__ = ["lead", "render", "sentence", "target", "write_comparison_report"]
