"""Key findings: sentences written from the audit's numbers, never from fixed claims.

Each function reads a few values from :class:`~scsim.report.data.Metrics` and returns a
:class:`Finding` (or None when the run lacks the numbers). The wording follows the numbers: a
ratio whose interval includes 1 is reported as no clear difference, a zero as "no one", and so on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from scsim.audit.frame import ratio_interval
from scsim.audit.labels import category_label
from scsim.report.data import HUKOU_MIGRANT, INCOME_QUINTILE, Metrics, Row
from scsim.results.format import (
    calibration_is_share,
    missing,
    number,
    pct,
    pct_interval,
    people,
    pp,
    ratio,
)

if TYPE_CHECKING:
    from scsim.scenario.schema import ScenarioSpec

# Listing-rate contrasts worth a sentence: (grouping, group, reference group).
CONTRASTS = (
    (HUKOU_MIGRANT, "rural hukou, migrant", "urban hukou, non-migrant"),
    ("hukou", "rural", "urban"),
    ("migrant", "migrant", "non-migrant"),
    (INCOME_QUINTILE, "Q1", "Q5"),
    ("minority", "minority", "non-minority"),
    ("urban", "rural", "urban"),
)
# How a group reads in a sentence (the subject form; the reference form is lower-cased).
PHRASES = {
    (HUKOU_MIGRANT, "rural hukou, migrant"): "Rural-hukou migrants",
    (HUKOU_MIGRANT, "rural hukou, non-migrant"): "Rural-hukou residents who had not migrated",
    (HUKOU_MIGRANT, "urban hukou, migrant"): "Urban-hukou migrants",
    (HUKOU_MIGRANT, "urban hukou, non-migrant"): "Urban-hukou residents who had not migrated",
    ("hukou", "rural"): "Adults with a rural hukou",
    ("hukou", "urban"): "Adults with an urban hukou",
    ("migrant", "migrant"): "Migrants",
    ("migrant", "non-migrant"): "Non-migrants",
    (INCOME_QUINTILE, "Q1"): "The poorest fifth of adults (income quintile Q1)",
    (INCOME_QUINTILE, "Q5"): "The richest fifth (Q5)",
    ("minority", "minority"): "Members of ethnic minorities",
    ("minority", "non-minority"): "The Han majority",
    ("urban", "rural"): "Rural residents",
    ("urban", "urban"): "Urban residents",
}


@dataclass(frozen=True)
class Finding:
    """One sentence of the key findings and the topic it belongs to."""

    topic: str
    text: str


def phrase(by: str, group: str, *, subject: bool = True) -> str:
    """How a group reads in a sentence: 'Rural-hukou migrants' / 'rural-hukou migrants'."""
    text = PHRASES.get((by, group))
    if text is None:
        text = f"{by.replace('_', ' ')} '{group}'"
        return text[0].upper() + text[1:] if subject else text
    if subject:
        return text
    return text if text.startswith("Q") else text[0].lower() + text[1:]


def _ci(row: Row) -> str:
    """'(95% CI 0.97–1.25%)' for a share, or '' without an interval."""
    interval = pct_interval(row.low, row.high)
    return f" (95% CI {interval})" if interval else ""


def _persons(row: Row, weight: float) -> float:
    """The people a share stands for: the share times the persons in its denominator."""
    n = row.n if row.n is not None else 0
    return row.value * n * weight


# --------------------------------------------------------------------------------------------
# The findings


def listing_level(m: Metrics, list_label: str = "the list") -> Finding | None:
    """How many adults were listed at the end, and ever."""
    now = m.get("listing_rate")
    if now is None or missing(now.value):
        return None
    ever = m.get("ever_listed_rate")
    if now.value == 0 and (ever is None or ever.value == 0):
        return Finding("listing", f"No adult was ever put on {list_label} in this run.")
    text = (
        f"At the end of the run {pct(now.value)} of adults{_ci(now)} — about "
        f"{people(_persons(now, m.weight))} people — were on {list_label}"
    )
    if ever is not None and not missing(ever.value):
        text += f"; {pct(ever.value)} had been listed at some time during the run"
    return Finding("listing", text + ".")


def listing_contrast(m: Metrics, by: str, group: str, reference: str) -> Finding | None:
    """The listing rate of one group against a reference group, as a ratio with its interval."""
    row, ref = m.get("listing_rate", group, by=by), m.get("listing_rate", reference, by=by)
    if row is None or ref is None or not row.n or not ref.n:
        return None
    who, whom = phrase(by, group), phrase(by, reference, subject=False)
    rates = f"{pct(row.value)} against {pct(ref.value)} of adults"
    if ref.value == 0:
        if row.value == 0:
            return None
        return Finding("disparity", f"{who} were listed ({pct(row.value)} of adults); "
                                    f"{whom} never were.")  # fmt: skip
    value = row.value / ref.value
    lows, highs = ratio_interval(np.array([row.value]), np.array([row.n]), ref.value, ref.n)
    low, high = float(lows[0]), float(highs[0])
    interval = (
        f"95% CI {ratio(low)[:-1]}–{ratio(high)}"
        if math.isfinite(low) and math.isfinite(high)
        else "no interval"
    )
    if math.isfinite(low) and low <= 1 <= high:
        return Finding(
            "disparity",
            f"{who} and {whom} were listed at rates that cannot be told apart in this run "
            f"({rates}; ratio {ratio(value)}, {interval}).",
        )
    return Finding(
        "disparity",
        f"{who} were listed at {ratio(value)} the rate of {whom} ({interval}; {rates}).",
    )


def province_range(m: Metrics) -> Finding | None:
    """The lowest and highest listing rate among provinces."""
    rows = [r for r in m.groups("listing_rate", "province") if r.n and not missing(r.value)]
    if len(rows) < 2:
        return None
    low = min(rows, key=lambda r: r.value)
    high = max(rows, key=lambda r: r.value)
    if low.value == high.value:
        return None
    return Finding(
        "disparity",
        f"By province, listing rates ranged from {pct(low.value)} of adults in {low.group}"
        f"{_ci(low)} to {pct(high.value)} in {high.group}{_ci(high)}.",
    )


def adverse(m: Metrics) -> list[Finding]:
    """For each outcome that hurts, the group of each grouping that suffers it most often, as a
    multiple of its reference group's rate; outcomes with the same figures share a sentence."""
    sentences: dict[str, list[str]] = {}
    for category in m.categories("adverse_ratio"):
        parts = []
        for by in [g for g in m.groupings() if g != "province"]:
            rows = [r for r in m.groups("adverse_ratio", by, category) if not missing(r.value)]
            top = max(rows, key=lambda r: r.value, default=None)
            reference = m.adverse_references.get(by, {}).get(category)
            if top is None or reference is None or top.value <= 1:
                continue
            ci = f" (95% CI {ratio(top.low)[:-1]}–{ratio(top.high)})" if top.has_interval else ""
            fails = ", failing the four-fifths rule" if top.value > 1.25 else ""
            parts.append(f"{_who(by, top.group)} {ratio(top.value)} as often as "
                         f"{_who(by, reference)}{ci}{fails}")  # fmt: skip
        if parts:
            sentences.setdefault("; ".join(parts), []).append(m.outcomes.get(category, category))
    return [
        Finding("disparity", f"{_outcomes(labels)[0].upper()}{_outcomes(labels)[1:]}: {text}.")
        for text, labels in sentences.items()
    ]


# A group as a sentence names it, by grouping.
WHO = {
    "hukou": "{}-hukou adults",
    HUKOU_MIGRANT: "adults with {}",
    "migrant": "{} adults",
    "urban": "adults living in {} areas",
    INCOME_QUINTILE: "adults in income quintile {}",
    "minority": "{} adults",
}


def _who(by: str, group: str) -> str:
    """'rural-hukou adults', 'adults in income quintile Q1', 'age band 18-29'."""
    return WHO.get(by, by.replace("_", " ") + " {}").format(group)


def _outcomes(labels: list[str]) -> str:
    """Labels as one list inside a sentence: 'on the court list, no air tickets and …'."""
    labels = [_mid_sentence(label) for label in labels]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _mid_sentence(label: str) -> str:
    """A label as it reads inside a sentence: 'No air tickets' → 'no air tickets'; an acronym
    ('AAA grade') or a name ('Sesame Credit perks') keeps its case."""
    words = label.split()
    name = len(words) > 1 and words[1][:1].isupper()
    if words and label[:1].isupper() and words[0][1:].islower() and not name:
        return label[0].lower() + label[1:]
    return label


def wrongful(m: Metrics) -> Finding | None:
    """Listings caused by misattributed records."""
    share = m.get("wrongful_listing_share")
    records = m.get("wrongful_record_rate")
    if share is None and records is None:
        return None
    parts = []
    if share is not None and not missing(share.value):
        if share.value == 0:
            parts.append("No one in this run was listed because of a misattributed record")
        else:
            parts.append(
                f"{pct(share.value)} of the people ever listed{_ci(share)} — about "
                f"{people(_persons(share, m.weight))} — were wrongfully listed: another "
                "person's offence had been recorded against them"
            )
    if records is not None and not missing(records.value) and records.value == 0:
        parts.append("no adult had a record that was not theirs")
    elif records is not None and not missing(records.value):
        parts.append(
            f"{pct(records.value)} of adults had at least one record that was not theirs"
            f" ({people(_persons(records, m.weight))} people)"
        )
    if not parts:
        return None
    text = "; ".join(parts) + "."
    return Finding("wrongful", text[0].upper() + text[1:])


def wrongful_sanctions(m: Metrics, spec: ScenarioSpec | None = None) -> Finding | None:
    """Sanctions in force on records that were not the citizen's (beyond wrongful listings):
    the one that reaches the most people that way, by its label."""
    metric = "wrongful_sanction_share"
    rows = [m.get(metric, category=c) for c in m.categories(metric)]
    rows = [r for r in rows if r is not None and not missing(r.value) and r.n]
    if not rows:
        return None
    hit = [r for r in rows if r.value > 0]
    if not hit:
        return Finding(
            "wrongful",
            "No one under a sanction at the end of the run was there because of another "
            "person's records.",
        )
    top = max(hit, key=lambda r: _persons(r, m.weight))
    others = f"; {len(hit) - 1} other sanction(s) also rest on such records" if len(hit) > 1 else ""
    unreplayed = spec is None or spec.composite() is not None or bool(spec.lists())
    bound = " (a lower bound: scores and lists moved by such records are not replayed)"
    return Finding(
        "wrongful",
        f"{pct(top.value)} of the people under “{category_label(spec, metric, top.category)}” "
        f"at the end of the run{_ci(top)} — about {people(_persons(top, m.weight))} — would "
        f"not be under it on their own records: another person's offence, recorded against "
        f"them, put them there{others}{bound if unreplayed else ''}.",
    )


def poverty_trap(m: Metrics) -> Finding | None:
    """Listed debtors who stayed listed a year or more while unable to pay."""
    trapped = m.get("poverty_trap_share")
    if trapped is None or missing(trapped.value):
        return None
    text = (
        f"{pct(trapped.value)} of the people ever listed{_ci(trapped)} — about "
        f"{people(_persons(trapped, m.weight))} — stayed on the list a year or more while their "
        "assets were below what they owed"
    )
    median = m.get("days_listed_quantile", category="p50")
    if median is not None and not missing(median.value):
        text += (
            f"; half of all listed people spent {number(round(median.value))} days or more on it "
            "(counted to the end of the run)"
        )
    return Finding("trap", text + ".")


def widest(m: Metrics, metric: str, what: str, spec: ScenarioSpec | None = None) -> Finding | None:
    """The most widespread sanction (or reward) at the end of the run, by its label."""
    rows = [m.get(metric, category=c) for c in m.categories(metric)]
    rows = [r for r in rows if r is not None and not missing(r.value) and r.value > 0]
    if not rows:
        return None
    top = max(rows, key=lambda r: r.value)
    return Finding(
        "sanctions",
        f"The most widespread {what} at the end of the run was "
        f"“{category_label(spec, metric, top.category)}”: {pct(top.value)} of adults, about "
        f"{people(_persons(top, m.weight))} people"
        + (f", among {len(rows)} in force." if len(rows) > 1 else "."),
    )


def lists(m: Metrics, spec: ScenarioSpec | None = None) -> Finding | None:
    """Adults on each black or red list at the end of the run."""
    rows = [m.get("list_share", category=c) for c in m.categories("list_share")]
    rows = [r for r in rows if r is not None and not missing(r.value)]
    if not rows:
        return None
    kinds = {n: s.kind for n, s in spec.lists().items()} if spec is not None else {}
    listed = "; ".join(
        f"{category_label(spec, 'list_share', r.category)}"
        + (" (a red list)" if kinds.get(r.category) == "redlist" else "")
        + f": {pct(r.value)} of adults ({people(_persons(r, m.weight))})"
        for r in rows
    )
    return Finding("lists", f"On the sectoral lists at the end of the run — {listed}.")


def network(m: Metrics) -> Finding | None:
    """Friendship ties lost over the run, and those dropped to low scorers."""
    lost, share = m.get("friends_lost_mean"), m.get("ties_lost_share")
    if lost is None or share is None or missing(lost.value) or missing(share.value):
        return None
    text = (
        f"{pct(share.value)} of people lost at least one friendship tie over the run "
        f"({number(lost.value)} ties per person on average)"
    )
    dropped = m.get("ties_dropped_per_user")
    if dropped is not None and not missing(dropped.value):
        text += (
            f"; a composite score's user dropped {number(dropped.value)} ties to low scorers "
            "on average"
        )
    return Finding("network", text + ".")


def standing(m: Metrics, share_metric: str, holders_metric: str, what: str) -> Finding | None:
    """Who holds a score, and how its grades (or bands) are spread at the end of the run."""
    holders = m.get(holders_metric)
    levels = [m.get(share_metric, category=c) for c in m.categories(share_metric)]
    levels = [r for r in levels if r is not None and not missing(r.value)]
    if holders is None or missing(holders.value) or not levels:
        return None
    if holders.value == 0:
        return Finding("grades", f"No adult held a {what} at the end of the run.")
    top = max(levels, key=lambda r: r.value)
    lowest = levels[0]  # grades and bands are listed from the lowest up
    return Finding(
        "grades",
        f"{pct(holders.value)} of adults held a {what} at the end of the run; the most common "
        f"level was {top.category} ({pct(top.value)} of holders), and {pct(lowest.value)} of "
        f"holders were in the lowest, {lowest.category}.",
    )


def rights(m: Metrics, spec: ScenarioSpec | None = None) -> Finding | None:
    """Adults whom their hukou denies local rights."""
    rows = [m.get("rights_lacking_share", category=c) for c in m.categories("rights_lacking_share")]
    rows = [r for r in rows if r is not None and not missing(r.value)]
    if not rows:
        return None
    rows.sort(key=lambda r: -r.value)
    listed = "; ".join(
        f"{_mid_sentence(category_label(spec, 'rights_lacking_share', r.category))}: "
        f"{pct(r.value)} ({people(_persons(r, m.weight))})"
        for r in rows
    )
    return Finding(
        "rights", f"Adults whose hukou denied them a local right where they lived — {listed}."
    )


def calibration(entries: Sequence[Mapping[str, Any]]) -> Finding | None:
    """How many of the scenario's calibration targets the run met."""
    if not entries:
        return None
    judged = [e for e in entries if e.get("within") is not None]
    met = [e for e in judged if e.get("within")]
    text = f"Calibration: {len(met)} of {len(entries)} declared targets met"
    missed = [e for e in judged if not e.get("within")]
    if missed:
        text += "; missed: " + "; ".join(
            f"{e.get('label') or e.get('name')} — simulated {_target_value(e.get('simulated'), e)}"
            f", target {_target_value(e.get('low'), e)}–{_target_value(e.get('high'), e)}"
            for e in missed
        )
    unjudged = len(entries) - len(judged)
    if unjudged:
        text += f"; {unjudged} not judged (the run does not cover the whole target period)"
    return Finding("calibration", text + ".")


def _target_value(value: Any, entry: Mapping[str, Any]) -> str:
    """A calibration value as a share when the target range is one, else as a number."""
    if missing(value):
        return "–"
    return pct(value) if calibration_is_share(entry.get("metric")) else people(value)


def comparison(rows: Iterable[Mapping[str, Any]], base: str, alt: str) -> list[Finding]:
    """Sentences for the overall differences of the compared runs' headline metrics."""
    out = []
    for r in rows:
        if r["group_by"] != "all" or r["metric"] not in HEADLINE_COMPARISON:
            continue
        if missing(r["diff"]):
            continue
        what = HEADLINE_COMPARISON[r["metric"]]
        interval = (
            f"; 95% CI {pp(r['low'])} to {pp(r['high'])}"
            if not missing(r["low"]) and not missing(r["high"])
            else ""
        )
        if r["low"] <= 0 <= r["high"]:
            verdict = "cannot be told apart from"
        else:
            verdict = "higher than" if r["diff"] > 0 else "lower than"
        out.append(
            Finding(
                "compare",
                f"{what[0].upper() + what[1:]} in {alt} was {pct(r['alt'])}, {verdict} "
                f"{pct(r['base'])} in {base} ({pp(r['diff'])}{interval}).",
            )
        )
    return out


HEADLINE_COMPARISON = {
    "listing_rate": "the share of adults listed at the end",
    "ever_listed_rate": "the share of adults ever listed",
    "wrongful_listing_share": "the share of the listed who were wrongfully listed",
    "poverty_trap_share": "the share of the listed caught in a poverty trap",
}


def findings(
    m: Metrics,
    calibration_entries: Sequence[Mapping[str, Any]] = (),
    *,
    list_label: str = "the list",
    spec: ScenarioSpec | None = None,
) -> list[Finding]:
    """Every finding the numbers support, in reading order (labels from ``spec``, the run's
    scenario, where given)."""
    candidates = [
        listing_level(m, list_label),
        *(listing_contrast(m, by, g, ref) for by, g, ref in CONTRASTS),
        province_range(m),
        *adverse(m),
        wrongful(m),
        wrongful_sanctions(m, spec),
        poverty_trap(m),
        widest(m, "sanction_share", "sanction", spec),
        widest(m, "reward_share", "reward", spec),
        lists(m, spec),
        standing(m, "grade_share", "scored_share", "points score"),
        standing(m, "composite_band_share", "composite_user_share", "composite score"),
        network(m),
        rights(m, spec),
        calibration(calibration_entries),
    ]
    return [f for f in candidates if f is not None]


__all__ = ["CONTRASTS", "Finding", "comparison", "findings", "listing_contrast", "phrase"]
