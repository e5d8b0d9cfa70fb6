"""``scsim audit RUN``: the audit metrics of a run as tables, CSV or JSON.

Light to import: the metrics, numba and pyarrow load when the command runs, so that
``scsim --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich import box
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table

from scsim.audit.defaults import DEFAULT_AMONG, DEFAULT_BY, DEFAULT_FAVOURABLE
from scsim.audit.tidy import ALL
from scsim.cli.console import console, errors, sized, user_errors
from scsim.cli.layout import labelled_rows, needed_width, notes
from scsim.results.format import fmt_calibration, fmt_interval, persons
from scsim.results.format import fmt_metric as _fmt
from scsim.results.format import fmt_num as _num

if TYPE_CHECKING:
    from scsim.audit.metrics import AuditTable

MAX_WIDE_GROUPS = 8  # more groups than this: one row per group with the headline metrics

# The columns of a grouping with many groups, most important first (the last ones are left out
# when the terminal is too narrow).
HEADLINE = (
    ("listing_rate", "", "listed"),
    ("adverse_ratio", "listed", "listed ×"),
    ("disparate_impact_ratio", None, "DI"),
    ("four_fifths", None, "4/5"),
    ("wrongful_listing_share", "", "wrongful"),
    ("poverty_trap_share", "", "trapped"),
    ("offenders_never_recorded", "any", "unrecorded"),
    ("statistical_parity_difference", None, "SPD"),
    ("gini", "wealth", "Gini wealth"),
)
# what each headline column's short name counts, said once under the table
HEADLINE_MEANING = {
    "listed": "listed: share of adults on the court list",
    "listed ×": "listed ×: times the (ref) group's rate",
    "DI": "DI: disparate impact of the favourable outcome",
    "4/5": "4/5: fails when DI is below four-fifths",
    "wrongful": "wrongful: of the ever listed, wrongfully",
    "trapped": "trapped: of the ever listed, in a poverty trap",
    "unrecorded": "unrecorded: of offenders, never recorded",
    "SPD": "SPD: statistical parity difference",
    "Gini wealth": "Gini wealth: Gini coefficient of wealth",
}


def _parse_reference(values: Sequence[str]) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, group = value.partition("=")
        if not sep or not name.strip() or not group.strip():
            raise click.BadParameter(
                f"{value!r}: give GROUPING=GROUP, e.g. hukou=urban", param_hint="--reference"
            )
        out[name.strip()] = group.strip()
    return out


@click.command()
@click.argument("run_dir", metavar="RUN")
@click.option("--by", default=",".join(DEFAULT_BY), show_default=True,
              help="Comma-separated groupings: hukou, migrant, province, urban, income_quintile, "
                   "age_band, sex, minority, … ('all' is always included; '' for only 'all').")  # fmt: skip
@click.option("--favourable", default=DEFAULT_FAVOURABLE, show_default=True,
              help="The favourable outcome for disparate impact, in the scenario language "
                   "(e.g. \"not listed\", \"scored and grade >= 'A'\").")  # fmt: skip
@click.option("--among", default=DEFAULT_AMONG, show_default=True,
              help="Who the favourable outcome is measured among.")  # fmt: skip
@click.option("--reference", multiple=True, metavar="GROUPING=GROUP",
              help="Reference (privileged) group of a grouping, e.g. hukou=urban; default: the "
                   "group with the highest favourable rate. Repeatable.")  # fmt: skip
@click.option("--offences", help="Comma-separated event kinds counted as offences "
              "(default: those the scenario fines, judges or deducts points for).")  # fmt: skip
@click.option("--json", "fmt", flag_value="json", help="Print JSON (metrics, notes, calibration).")
@click.option("--csv", "fmt", flag_value="csv", help="Print the tidy metric table as CSV.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead (CSV, or JSON for a .json name or with --json).")  # fmt: skip
def audit(
    run_dir: str,
    by: str,
    favourable: str,
    among: str,
    reference: tuple[str, ...],
    offences: str | None,
    fmt: str | None,
    out: str | None,
) -> None:
    """Audit RUN: who suffers each outcome that hurts (listed, each sanction, a low grade, a
    right lacked) and how many times as often as the least affected group; then listing,
    sanctions, grades, disparate impact, wrongful listings, offenders never recorded, poverty
    traps and inequality, overall and by group, with 95% intervals."""
    references = _parse_reference(reference)
    with user_errors():
        if (Path(run_dir) / "experiment.json").is_file():  # an experiment: findings over it
            from scsim.cli.calibrate import audit_experiment

            return audit_experiment(run_dir, by, fmt, out)
        from scsim.audit.metrics import audit as run_audit
        from scsim.audit.metrics import target, write
        from scsim.results import Run

        if out is not None:
            target(out, fmt)  # checked before the work, not after it
        result = run_audit(
            Run(run_dir),
            by=by,
            favourable=favourable,
            among=among,
            reference=references,
            offences=[k.strip() for k in offences.split(",") if k.strip()] if offences else None,
        )
        if out is not None:
            path = write(result, out, fmt)
            console.print(f"audit written to [bold]{escape(str(path))}[/]", soft_wrap=True)
            return
        if fmt == "json":
            sys.stdout.write(result.to_json() + "\n")
        elif fmt == "csv":
            sys.stdout.write(result.to_csv() or "")
            for note in result.notes:
                errors.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
        else:
            render(result, console)


# --------------------------------------------------------------------------------------------
# Rendering


def render(result: AuditTable, console: Console) -> None:
    """The audit as rich tables: one per grouping, then calibration and notes."""
    console = sized(console)
    info = result.info
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    if info.get("run"):
        head.add_row("run", escape(str(info["run"])))
    weight = info.get("weight") or 1.0
    n = info.get("n_agents") or 0
    head.add_row("population", f"{_num(n)} agents · {persons(n * weight)} persons")
    head.add_row("favourable", escape(f"{info.get('favourable')}  among  {info.get('among')}"))
    head.add_row("intervals", escape(str(info.get("intervals", ""))))
    console.print(head)
    rows = [r for r in result.table.to_pylist() if not r["metric"].startswith("calibration")]
    outcomes = info.get("category_labels") or {}
    groupings = [ALL, *info.get("by", [])]
    for grouping in groupings:
        references = _References(
            (info.get("reference") or {}).get(grouping),
            (info.get("adverse_reference") or {}).get(grouping) or {},
        )
        mine = [r for r in rows if r["group_by"] in (ALL, grouping)]
        groups = list(dict.fromkeys(r["group"] for r in mine if r["group_by"] == grouping))
        if grouping == ALL or len(groups) <= MAX_WIDE_GROUPS:
            table = _wide(grouping, mine, groups, references, outcomes)
            if needed_width(table) > console.width:
                table = _long(grouping, mine, references, outcomes, console.width)
        else:
            table = _headline(grouping, mine, groups, references, console)
        console.print(table)
    if result.calibration:
        console.print(_calibration(result.calibration))
    if result.notes:
        console.print(notes(result.notes), highlight=False)


def _wide(
    grouping: str,
    rows: list[dict[str, Any]],
    groups: list[str],
    references: _References,
    outcomes: dict[str, dict[str, str]],
) -> Table:
    """One row per metric (and category), one column per group, 'all' first; the group a ratio
    or difference is against is marked in its row."""
    title = "Overall" if grouping == ALL else f"By {grouping}"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("metric", no_wrap=True)
    columns = [ALL] + ([] if grouping == ALL else groups)
    for group in columns:
        table.add_column(escape(group), justify="right", no_wrap=True)
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        key = (r["metric"], r["category"])
        column = ALL if r["group_by"] == ALL else r["group"]
        if r["group_by"] == ALL and grouping != ALL and r["metric"] in _FAIRNESS_ONLY:
            continue
        mark = REF_MARK if column != ALL and column == references.of(r) else ""
        cells.setdefault(key, {})[column] = _fmt(r["metric"], r["value"]) + mark
    for (metric, category), values in cells.items():
        table.add_row(escape(_label(metric, category, outcomes)),
                      *(values.get(c, "") for c in columns))  # fmt: skip
    table.caption = f"{CAPTION}; 95% intervals, n and persons: --csv or --json"
    table.caption_justify = "left"
    return table


_FAIRNESS_ONLY = {"disparate_impact_ratio", "statistical_parity_difference", "four_fifths"}


def _label(metric: str, category: str, labels: dict[str, dict[str, str]]) -> str:
    """A row's name as a reader calls it: the metric's label, then its category's (a measure,
    a list, a right, an outcome by the scenario's label); the identifiers are in --csv."""
    from scsim.audit.labels import among, metric_label

    category = (labels.get(metric) or {}).get(category) or category
    base = among(metric)
    of = f" (of {base})" if base not in ("adults", "group", "all", "") else ""
    return metric_label(metric) + (f" · {category}" if category else "") + of


CAPTION = "shares: of adults, unless a row says of whom"


def _long(
    grouping: str,
    rows: list[dict[str, Any]],
    references: _References,
    outcomes: dict[str, dict[str, str]],
    width: int,
) -> RenderableType:
    """One row per metric and group, with its interval (when the wide table does not fit); one
    record per metric when even this does not fit."""
    labelled = []
    for r in rows:
        if r["group_by"] == ALL and r["metric"] in _FAIRNESS_ONLY:
            continue
        low, high = r["ci_low"], r["ci_high"]
        interval = fmt_interval(r["metric"], low, high)
        cells = [_fmt(r["metric"], r["value"]), interval]
        if grouping != ALL:
            cells.insert(0, _group_label(r["group"], references.of(r)))
        labelled.append((_label(r["metric"], r["category"], outcomes), cells))
    if grouping == ALL:
        return labelled_rows("Overall", "metric", ["value", "95% interval"], labelled, width,
                             caption=f"{CAPTION}; n and persons: --csv or --json")  # fmt: skip
    headers = ["group", "value", "95% interval"]
    return labelled_rows(f"By {grouping}", "metric", headers, labelled, width, left=[0],
                         caption=f"{CAPTION}; (ref): the group a ratio is against")  # fmt: skip


REF_MARK = " [dim](ref)[/]"


@dataclass(frozen=True)
class _References:
    """The groups a grouping's ratios and differences are against: one for the favourable view
    (disparate impact), one per outcome that hurts (its lowest rate, or --reference)."""

    favourable: str | None
    adverse: dict[str, str]

    def of(self, row: dict[str, Any]) -> str | None:
        """The reference group of a row's metric, or None for a metric without one."""
        if row["metric"] in _AGAINST_A_REFERENCE:
            return self.adverse.get(row["category"])
        return self.favourable if row["metric"] in _FAIRNESS_ONLY else None


_AGAINST_A_REFERENCE = {"adverse_ratio", "adverse_difference", "adverse_four_fifths"}


def _group_label(group: str, reference: str | None) -> str:
    return escape(group) + (REF_MARK if group == reference else "")


def _headline(
    grouping: str,
    rows: list[dict[str, Any]],
    groups: list[str],
    references: _References,
    console: Console,
) -> Table:
    """One row per group with the headline metrics that fit (for groupings with many groups)."""
    present = [
        h for h in HEADLINE if any(r["metric"] == h[0] and (h[1] is None or r["category"] == h[1])
                                   for r in rows)
    ]  # fmt: skip
    while True:
        table = _headline_table(grouping, rows, groups, references, present)
        if len(present) <= 3 or needed_width(table) <= console.width:
            return table
        present = present[:-1]


def _headline_table(
    grouping: str,
    rows: list[dict[str, Any]],
    groups: list[str],
    references: _References,
    present: list[tuple[str, str | None, str]],
) -> Table:
    table = Table(
        title=f"By {grouping} (headline metrics; all metrics: --csv or --json)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column(grouping, no_wrap=True)
    table.add_column("adults", justify="right", no_wrap=True)
    for _, _, label in present:
        table.add_column(label, justify="right", no_wrap=True)
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        if r["group_by"] == grouping:
            by_key.setdefault((r["metric"], r["group"]), {})[r["category"]] = r
    for group in groups:
        listing = by_key.get(("listing_rate", group), {}).get("")
        cells = [escape(group), _num(listing["n"]) if listing else ""]
        for metric, category, _ in present:
            found = by_key.get((metric, group), {})
            r = next(iter(found.values()), None) if category is None else found.get(category)
            mark = REF_MARK if r and group == references.of(r) else ""
            cells.append(_fmt(metric, r["value"]) + mark if r else "")
        table.add_row(*cells)
    table.caption = " · ".join(HEADLINE_MEANING[label] for _, _, label in present)
    table.caption_justify = "left"
    return table


def _calibration(entries: list[dict[str, Any]]) -> Table:
    table = Table(title="Calibration", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("target", "period", "range", "simulated", ""):
        table.add_column(column, justify="left" if column in ("target", "period") else "right")
    for e in entries:
        period = "…".join(str(p) for p in e.get("period") or [])
        within = e.get("within")
        mark = (
            "[yellow]partial[/]"
            if e.get("covered") is False
            else ("–" if within is None else ("[green]✓[/]" if within else "[red]✗[/]"))
        )
        metric = e.get("metric")
        span = f"{fmt_calibration(metric, e.get('low'))} – {fmt_calibration(metric, e.get('high'))}"
        table.add_row(escape(str(e.get("name"))), period, span,
                      fmt_calibration(metric, e.get("simulated")), mark)  # fmt: skip
    return table


__all__ = ["audit", "render"]
