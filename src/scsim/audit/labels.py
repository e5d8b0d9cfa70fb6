"""What an audit row is called by a reader: each metric's label and the label the scenario gives
its category (a measure, a list, a right, an event kind), where the table holds identifiers.

The identifiers stay in the tables (``--json``, ``--csv``, Parquet); pages and sentences use
these labels. docs/audit.md is the glossary that defines each metric.
"""

from __future__ import annotations

from typing import Any

from scsim.scenario.schema import ScenarioSpec

# metric → (label, whom it counts among); the order is the glossary's.
METRICS: dict[str, tuple[str, str]] = {
    "adverse_rate": ("suffering an outcome that hurts", "adults"),
    "adverse_ratio": ("times as often as the reference group", "group"),
    "adverse_difference": ("difference from the reference group", "group"),
    "adverse_four_fifths": ("fails the four-fifths rule", "group"),
    "listing_rate": ("on the court list at the end", "adults"),
    "ever_listed_rate": ("ever on the court list", "adults"),
    "sanction_share": ("under a sanction", "adults"),
    "reward_share": ("receiving a reward", "adults"),
    "days_listed_per_adult": ("days on the court list per adult", "adults"),
    "list_share": ("on a list", "adults"),
    "rights_lacking_share": ("lacking a local right", "adults"),
    "scored_share": ("scored by the points scheme", "adults"),
    "composite_user_share": ("using the composite score", "adults"),
    "grade_share": ("in a grade", "the scored"),
    "composite_band_share": ("in a band of the composite score", "its users"),
    "grade_transition": ("grade mobility", "the scored"),
    "gini": ("Gini coefficient", "group"),
    "favourable_rate": ("with the favourable outcome", "adults"),
    "disparate_impact_ratio": ("disparate impact ratio", "group"),
    "statistical_parity_difference": ("statistical parity difference", "group"),
    "four_fifths": ("below four-fifths (favourable view)", "group"),
    "wrongful_listing_rate": ("wrongfully listed", "adults"),
    "wrongful_listing_share": ("wrongfully listed", "the ever listed"),
    "wrongful_record_rate": ("with a record that was not theirs", "adults"),
    "wrongful_sanction_share": ("sanctioned on records not theirs", "the sanctioned"),
    "switched_share": ("hit in one run of the pair only", "adults"),
    "offenders_never_recorded": ("offenders never recorded", "offenders"),
    "poverty_trap_share": ("in a poverty trap", "the ever listed"),
    "listed_year_or_more_share": ("listed a year or more", "the ever listed"),
    "days_listed_quantile": ("days on the list", "the ever listed"),
    "exit_route_share": ("last listing ended by", "the ever listed"),
    "events_per_adult": ("acts per adult over the run", "adults"),
    "friends_mean": ("friends per person", "adults"),
    "friends_lost_mean": ("friendship ties lost per person", "adults"),
    "ties_lost_share": ("lost a friendship tie", "adults"),
    "ties_dropped_per_user": ("ties dropped per user", "composite-score users"),
    "score_assortativity": ("correlation of friends' scores", "all"),
    "calibration": ("calibration target, simulated", "all"),
    "calibration_within": ("inside the calibration range", "runs"),
}


def metric_label(metric: str) -> str:
    """'on the court list at the end' for ``listing_rate``; the identifier, spaced, if unknown."""
    return METRICS.get(metric, (metric.replace("_", " "), ""))[0]


def among(metric: str) -> str:
    """Whom a metric counts among: 'adults', 'the ever listed', …"""
    return METRICS.get(metric, ("", ""))[1]


def _label_of(items: Any, name: str) -> str:
    item = items.get(name) if items else None
    return (getattr(item, "label", "") or "") if item is not None else ""


def category_label(spec: ScenarioSpec | None, metric: str, category: str) -> str:
    """The scenario's label for a row's category: the measure of a ``sanction_share``, the event
    kind of an ``events_per_adult``, the list of a ``list_share``, the right lacked; the
    category, spaced, where the scenario gives none (or for a grade, a band or a quantile)."""
    if not category:
        return ""
    label = ""
    if spec is not None:
        if metric in ("sanction_share", "reward_share", "wrongful_sanction_share"):
            label = _label_of(spec.measures, category)
        elif metric in ("events_per_adult", "offenders_never_recorded"):
            label = _label_of(spec.behaviour.events, category)
        elif metric == "list_share":
            label = _label_of(spec.lists(), category)
        elif metric == "rights_lacking_share":
            label = _label_of(spec.hukou.rights, category)
        elif metric.startswith("adverse_") or metric == "switched_share":
            label = adverse_label(spec, category)
    return label or category.replace("_", " ")


def adverse_label(spec: ScenarioSpec | None, category: str) -> str:
    """An outcome that hurts as the scenario names it ('on the court list', a measure's label,
    'lacking <right>')."""
    if category == "listed":
        return "on the court list"
    if spec is None:
        return category.replace("_", " ")
    if category.startswith("sanction_"):
        return _label_of(spec.measures, category.removeprefix("sanction_"))
    if category.startswith("on_"):
        return "on the " + (_label_of(spec.lists(), category[3:]) or category[3:])
    if category.startswith("lacks_"):
        return "lacking " + (_label_of(spec.hukou.rights, category[6:]) or category[6:])
    return category.replace("_", " ")


def row_label(spec: ScenarioSpec | None, metric: str, category: str) -> str:
    """A row as a reader names it: 'under a sanction: No air or rail tickets', 'acts per adult
    over the run: Online criticism of officials'."""
    label = metric_label(metric)
    if not category:
        return label
    what = category_label(spec, metric, category)
    if metric in ("sanction_share", "reward_share"):
        return what  # the measure's label says it all; the table's section says which kind
    return f"{label}: {what}"


__all__ = ["METRICS", "adverse_label", "among", "category_label", "metric_label", "row_label"]
