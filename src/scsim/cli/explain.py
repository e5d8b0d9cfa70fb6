"""``scsim explain RUN CITIZEN``: one synthetic citizen's attributes, timeline and end state.

Light to import: the library loads when the command runs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scsim.cli.console import console, fail, user_errors
from scsim.results.format import fmt_num
from scsim.results.format import fmt_yuan as yuan
from scsim.scenario.schema import SCHEME_KINDS

if TYPE_CHECKING:
    from scsim.audit.explain import Explanation

EXIT_NO_MATCH = 1  # like grep: the question was fine, the answer is "nobody"
FOLD_AT = 3  # runs of this many clean-time recoveries in a row read as one line

PICK_HELP = (
    "Explain a citizen for whom EXPR holds instead: a condition in the scenario language over "
    "the run's citizens table, e.g. 'listed and wrongful' or \"grade <= 'C' and hukou == "
    "'rural'\". Besides the columns: wrongful (ever listed through someone else's record), "
    "misrecorded (received someone else's record), trapped (ever in the poverty trap), "
    "ever_listed, moved, sanctioned, rewarded. Picks the first match by id, or --nth."
)


@click.command()
@click.argument("run_dir", metavar="RUN")
@click.argument("citizen", required=False, type=int)
@click.option("--pick", "expression", metavar="EXPR", help=PICK_HELP)
@click.option(
    "--nth",
    metavar="K",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="With --pick: explain the K-th matching citizen by id.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON document: attributes, timeline, snapshot."
)
def explain(
    run_dir: str, citizen: int | None, expression: str | None, nth: int, as_json: bool
) -> None:
    """Explain CITIZEN (an agent id) of RUN: who they are, what happened to them and which rule
    did it, and where they ended. The timeline needs a run made with --events."""
    if (citizen is None) == (expression is None):
        raise click.UsageError(
            "give a CITIZEN id or --pick EXPR, not both"
            if citizen is not None
            else "give a CITIZEN id, or --pick EXPR to find one"
        )
    with user_errors():
        from scsim.audit import explain as lib
        from scsim.results import Run

        try:
            result = lib.explain(Run(run_dir), citizen, pick=expression, nth=nth)
        except lib.NoMatch as err:
            fail(str(err), EXIT_NO_MATCH)
        if as_json:
            sys.stdout.write(result.to_json() + "\n")
        else:
            render(result, console)


# --------------------------------------------------------------------------------------------
# Rendering


def render(result: Explanation, console: Console) -> None:
    """The explanation for a terminal: header, attributes, timeline, end-of-run state."""
    run = result.run
    reforms = run.get("reforms_applied") or []
    title = run["scenario"] + (f" (reform: {', '.join(reforms)})" if reforms else "")
    console.print(
        f"[bold]Citizen {result.citizen}[/] of {escape(title)} · run {escape(run['path'])} · "
        f"{run['start']} to {run['end']}",
        highlight=False,
        soft_wrap=True,
    )
    weight = run.get("persons_per_agent")
    stands = f", standing for ~{fmt_num(weight)} people" if weight and weight > 1.5 else ""
    console.print(
        f"[dim]A synthetic agent of a simulated population{stands} — not a real person.[/]",
        highlight=False,
        soft_wrap=True,
    )
    if result.picked:
        p = result.picked
        console.print(
            f"[dim]Picked: match {p['nth']} of {p['matches']:,} (of {p['population']:,}) for "
            f"{escape(repr(p['expression']))}[/]",
            highlight=False,
            soft_wrap=True,
        )
    console.print()
    console.print(_attributes(result.attributes))
    console.print()
    if result.timeline is None:
        console.print("[bold]Timeline[/]: [yellow]not available[/] — this run has no event log.")
        console.print(
            f"Run the scenario again with [bold]--events[/] (scsim run {escape(run['scenario'])} "
            "--events ...) to see what happened day by day.",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(_timeline(result.timeline))
    console.print()
    console.print(_snapshot(result.snapshot, run))
    for note in result.notes:
        if result.timeline is None and note.startswith("no timeline"):
            continue
        console.print(f"[dim]note: {escape(note)}[/]", soft_wrap=True)


def _grid(title: str | None = None) -> Table:
    table = Table.grid(padding=(0, 2))
    table.title = title
    table.title_justify = "left"
    table.title_style = "bold"
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def _attributes(attributes: dict[str, dict[str, Any]]) -> Table:
    who, where, money = (attributes.get(k) or {} for k in ("who", "where", "money"))
    table = _grid()
    parts = []
    if "age" in who:
        parts.append(f"age {who['age']}")
    if "sex" in who:
        parts.append(str(who["sex"]))
    if "minority" in who:
        parts.append("ethnic minority" if who["minority"] else "not a minority")
    if "education" in who:
        parts.append(f"{who['education']} education")
    if "employment" in who:
        work = who["employment"]
        parts.append("no job" if work == "none" else f"{work} work")
    if "has_child" in who:
        parts.append("has a child" if who["has_child"] else "no child")
    table.add_row("Who they are", escape(" · ".join(parts)))
    lives = []
    if "province" in where:
        area = {True: " (urban)", False: " (rural)"}.get(where.get("urban"), "")
        lives.append(f"{where['province']}{area}")
    if "residence_years" in where:
        lives.append(f"resident {where['residence_years']} years")
    if where.get("migrant") is not None:
        lives.append("migrant" if where["migrant"] else "not a migrant")
    table.add_row("Where they live", escape(" · ".join(lives)))
    hukou = []
    if "hukou" in where:
        hukou.append(
            f"{where['hukou']} hukou"
            + (f" of {where['hukou_province']}" if "hukou_province" in where else "")
        )
    if where.get("hukou_converted"):
        hukou.append("converted to a local urban hukou during the run")
    if hukou:
        table.add_row("Hukou", escape(" · ".join(hukou)))
    cash = []
    if "income" in money:
        cash.append(f"income {yuan(money['income'])}/month")
    if "wealth" in money:
        cash.append(f"wealth {yuan(money['wealth'])}")
    if "debt" in money:
        cash.append(f"debt {yuan(money['debt'])}")
    table.add_row("Money (end)", escape(" · ".join(cash)))
    return table


STYLES = {
    "undetected": "dim",
    "recorded": "yellow",
    "misattributed": "magenta",
    "wrongful_record": "bold red",
    "case_opened": "yellow",
    "case_amount_added": "yellow",
    "listed": "bold red",
    "case_closed": "green",
    "moved": "cyan",
}
WHAT = {
    "event": "event",
    "wrongful_record": "not theirs",
    "points": "points",
    "case_opened": "case opened",
    "case_amount_added": "case grows",
    "listed": "LISTED",
    "case_closed": "case closed",
    "moved": "moved",
}


def _timeline(entries: list[dict[str, Any]]) -> Table:
    rows = _folded(entries)
    folded = len(entries) - len(rows)
    caption = f"{len(entries)} entries" + (
        f"; runs of clean-time recovery folded into one line ({folded} fewer lines, all in --json)"
        if folded
        else ""
    )
    table = Table(
        title="Timeline",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        caption=caption,
        caption_justify="left",
    )
    table.add_column("date", no_wrap=True)
    table.add_column("what", no_wrap=True)
    table.add_column("", overflow="fold")
    for date, entry in rows:
        what = entry["what"]
        style = STYLES.get(entry.get("record") or what, "")
        if what == "points":
            style = "green" if entry.get("change", 0) > 0 else "red"
            if entry.get("kind") == "recovery":
                style = "dim green"
        if what == "listed" and not entry.get("wrongful"):
            style = "red"
        label = WHAT.get(what, what)
        text = escape(entry.get("text", ""))
        if style:
            text, label = f"[{style}]{text}[/]", f"[{style}]{label}[/]"
        table.add_row(date, label, text)
    return table


def _folded(entries: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(date text, entry) per line, a run of FOLD_AT or more recoveries as one line."""
    out: list[tuple[str, dict[str, Any]]] = []
    i = 0
    while i < len(entries):
        j = i
        while j < len(entries) and _is_recovery(entries[j]):
            j += 1
        if j - i >= FOLD_AT:
            streak = entries[i:j]
            total = sum(e.get("change", 0) for e in streak)
            last = streak[-1]
            after = ""
            if last.get("points_after") is not None:
                grade = last.get("grade_after")
                after = f" → {last['points_after']}" + (f" ({grade})" if grade else "")
            text = (
                f"{total:+d} points: clean-time recovery, {len(streak)} times in a row to "
                f"{streak[-1]['date']}{after}"
            )
            entry = {"what": "points", "kind": "recovery", "change": total, "text": text}
            out.append((str(streak[0]["date"]), entry))
            i = j
            continue
        out.append((str(entries[i]["date"]), entries[i]))
        i += 1
    return out


def _is_recovery(entry: dict[str, Any]) -> bool:
    return entry.get("what") == "points" and entry.get("kind") == "recovery"


def _snapshot(snap: dict[str, Any], run: dict[str, Any]) -> Table:
    table = _grid(f"At the end of the run ({run['end']})")
    points = snap.get("points")
    if points:
        name = escape(points.get("label") or points.get("scheme") or "points")
        if points.get("scored"):
            table.add_row("Points", f"{points.get('points')}, grade {points.get('grade')} ({name})")
            if points.get("wrongful_points"):
                table.add_row(
                    "Wrong records",
                    f"{points['wrongful_points']:+} points from records of acts not theirs; "
                    f"grade on their own records: {points.get('grade_own_records')}",
                )
        else:
            why = "" if points.get("consent", True) else " (no consent)"
            table.add_row(
                "Points", f"not scored{why} ({name}); points held: {points.get('points')}"
            )
    comp = snap.get("composite")
    if comp:
        name = escape(comp.get("label") or comp.get("scheme") or "score")
        if comp.get("user"):
            dims = " · ".join(
                f"{escape(d)} {v['value']:.2f}"
                + (f" (×{v['weight']:g})" if v.get("weight") is not None else "")
                for d, v in comp.get("dimensions", {}).items()
            )
            table.add_row(
                "Score", f"{comp.get('score')}, band {escape(str(comp.get('band')))} ({name})"
            )
            if dims:
                table.add_row("  dimensions", dims)
        else:
            table.add_row("Score", f"not a user of {name}")
    court = snap.get("court")
    if court:
        table.add_row("Court list", escape(_court_text(court)))
    for item in snap.get("lists") or []:
        status = "[bold]member[/]" if item.get("member") else "not a member"
        kind = SCHEME_KINDS["redlist" if item.get("kind") == "redlist" else "blacklist"].label
        table.add_row(
            escape(item["name"]),
            f"{status} ({kind}: {escape(item.get('label') or '')}); "
            f"listed {item.get('listings') or 0} time(s) in the run",
        )
    for key, title in (("sanctions", "Sanctions"), ("rewards", "Rewards")):
        items = snap.get(key) or []
        if not items:
            table.add_row(title, "[dim]none in force[/]")
        for n, m in enumerate(items):
            table.add_row(
                title if n == 0 else "",
                f"[bold]{escape(m['name'])}[/] — {escape(m.get('label') or '')}; when "
                f"[italic]{escape(m.get('when') or '')}[/]; {escape(m.get('effects_text') or '')}",
            )
    lacked = snap.get("rights_lacked") or []
    for n, r in enumerate(lacked):
        cost = f"; costs {yuan(r['monthly_cost'])}/month instead" if r.get("monthly_cost") else ""
        table.add_row(
            "Rights lacked" if n == 0 else "",
            f"[bold]{escape(r['name'])}[/] — {escape(r.get('label') or '')}{escape(cost)}",
        )
    network = snap.get("network")
    if network:
        parts = []
        if "friends" in network:
            start = network.get("friends_initial")
            parts.append(
                f"{network['friends']} friends" + (f" (from {start})" if start is not None else "")
            )
        if network.get("ties_dropped"):
            parts.append(f"dropped {network['ties_dropped']} ties to low-scoring friends")
        table.add_row("Network", escape(" · ".join(parts)))
    events = snap.get("events") or []
    if events:
        text = " · ".join(f"{e['kind']} {e['committed']}/{e['recorded_on_them']}" for e in events)
        table.add_row("Acts / records", escape(text))
        table.add_row("", "[dim](committed / recorded on them, including others' acts)[/]")
    for name, value in (snap.get("other") or {}).items():
        table.add_row(escape(name), escape(str(value)))
    return table


GROUND_TEXT = {
    "refusing": "(1) able to perform but refusing",
    "evasion": "(2)–(6) evasion or obstruction",
}
LAST_EXIT_TEXT = {
    "paid": "paid",
    "expiry": "term expired",
    "no_assets": "no executable property after asset searches",
    "escaped": "moved province before the list was national",
    "settlement": "settlement honoured",
    "creditor": "creditor's request",
}


def _court_text(court: dict[str, Any]) -> str:
    parts = []
    if court.get("listed"):
        parts.append(f"LISTED since {court.get('listed_since')}")
    else:
        parts.append("not listed")
    ground = court.get("listing_ground")
    if ground and ground != "none":
        text = GROUND_TEXT.get(ground, ground)
        parts.append(f"{'ground' if court.get('listed') else 'last ground'}: {text}")
    last = court.get("last_exit")
    if last and last != "none":
        parts.append(f"last listing ended: {LAST_EXIT_TEXT.get(last, last)}")
    stage = court.get("case_stage")
    if stage and stage != "none":
        wrongful = " — wrongful: from someone else's records" if court.get("case_wrongful") else ""
        parts.append(
            f"open case: {stage.replace('_', ' ')}, {yuan(court.get('case_amount'))}{wrongful}"
        )
    parts.append(
        f"{court.get('n_cases', 0)} case(s), {court.get('n_listings', 0)} listing(s), "
        f"{court.get('days_listed', 0)} days listed"
    )
    exits = [
        f"{court[k]} {label}"
        for k, label in (
            ("cases_paid", "paid"),
            ("exits_expiry", "expired"),
            ("exits_no_assets", "no assets"),
            ("escapes", "escaped"),
            ("exits_settlement", "settled"),
            ("exits_creditor", "at the creditor's request"),
        )
        if court.get(k)
    ]
    if exits:
        parts.append("ended: " + ", ".join(exits))
    if court.get("asset_searches"):
        parts.append(f"{court['asset_searches']} asset search(es) found no property")
    if court.get("wrongful_records") or court.get("wrongful_listings"):
        parts.append(
            f"{court.get('wrongful_records', 0)} record(s) of others' acts, "
            f"{court.get('wrongful_listings', 0)} wrongful listing(s)"
        )
    if court.get("ever_trapped"):
        parts.append("in the poverty trap (listed a year or more, unable to pay)")
    return " · ".join(parts)


__all__ = ["explain", "render"]
