"""Explain one synthetic citizen of a run: who they are, what happened to them, which rule did it.

``explain(run, citizen)`` reads one row of citizens.parquet and that citizen's rows of
events.parquet (DuckDB filters on the id, so a 10^7-agent run costs one row group of each) and
returns an :class:`Explanation`: attributes, a timeline in which every points change names the
scenario rule behind it and every court case its reason and end, and the end-of-run snapshot
(scores, lists, the sanctions and rewards in force with their ``when`` conditions, rights lacked).
``pick(run, "listed and wrongful")`` finds a citizen worth explaining: the condition is written in
the scenario rule language over the citizens table's columns, plus :data:`CONVENIENCES`.

Every citizen here is an agent of a simulated population; nothing describes a real person.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from scsim.core.display import html_preview, to_pandas
from scsim.results.format import fmt_yuan as yuan
from scsim.results.store import CITIZENS, EVENTS, Run, RunError, arrow_kind
from scsim.rules import Bool, Expr, ExprError, Number, Ordinal, Type, compile_expr
from scsim.scenario.schema import Effects, Event, Param, ScenarioSpec

# Conveniences of --pick: names for conditions people ask for, defined in the rule language over
# the citizens table (a column of the same name wins). ``moved``, ``sanctioned`` and ``rewarded``
# are built from the run's scenario (see pick_vocabulary).
CONVENIENCES: dict[str, tuple[str, str]] = {
    "wrongful": ("wrongful_listings > 0", "ever listed because of someone else's record"),
    "misrecorded": ("wrongful_records > 0", "received at least one record of someone else's act"),
    "trapped": ("ever_trapped", "listed a year or more without the means to pay"),
    "ever_listed": ("n_listings > 0", "on the court list at some time in the run"),
}
MOVED = "moved"  # committed an act whose consequence is a move (n_<kind> > 0)
SANCTIONED = "sanctioned"  # any measure that is not a reward in force in the last epoch
REWARDED = "rewarded"  # any reward in force in the last epoch

# The employment tiers of scsim.population.census (a test checks that they agree; importing
# the census here would load numba for one tuple).
EMPLOYMENT_TIERS = ("none", "informal", "formal private", "public sector")

# Attribute groups, as the explanation shows them.
WHO = ("age", "sex", "minority", "education", "employment", "has_child")
WHERE = (
    "province",
    "urban",
    "residence_years",
    "migrant",
    "hukou",
    "hukou_province",
    "hukou_converted",
)
MONEY = ("income", "wealth", "debt")
POINTS_COLUMNS = (
    "scored",
    "consent",
    "points",
    "grade",
    "grade_year_start",
    "wrongful_points",
    "grade_own_records",
)
COURT_COLUMNS = (
    "listed",
    "case_stage",
    "case_amount",
    "case_wrongful",
    "listed_since",
    "days_listed",
    "n_cases",
    "n_listings",
    "cases_paid",
    "exits_expiry",
    "exits_no_assets",
    "escapes",
    "listing_ground",
    "asset_searches",
    "exits_listed_paid",
    "exits_settlement",
    "exits_creditor",
    "exits_listed_escaped",
    "last_exit",
    "wrongful_records",
    "wrongful_listings",
    "ever_trapped",
)
COMPOSITE_COLUMNS = ("composite_user", "composite_score", "composite_band")
NETWORK_COLUMNS = ("friends_initial", "friends", "ties_dropped")

RECORD_STATUS = {0: "undetected", 1: "recorded", 2: "misattributed"}
EXIT_TEXT = {
    "paid": "paid",
    "expiry": "the listing term ended",
    "no_assets": "closed by a no-assets finding (no executable property found)",
    "escaped": "enforcement lapsed: moved to another province before the list was national",
    "settlement": "a settlement with the creditor was honoured",
    "creditor": "removed at the creditor's request",
}


class ExplainError(ValueError):
    """A citizen or a --pick condition that cannot be explained (the message says why)."""


class NoMatch(ExplainError):
    """No citizen satisfies the --pick condition (or fewer than --nth do)."""


# --------------------------------------------------------------------------------------------
# The result


@dataclass(repr=False)
class Explanation:
    """One citizen of a run: attributes, timeline (None without an event log) and snapshot."""

    run: dict[str, Any]
    citizen: int
    attributes: dict[str, dict[str, Any]]
    snapshot: dict[str, Any]
    timeline: list[dict[str, Any]] | None
    notes: list[str] = field(default_factory=list)
    picked: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document (dates as ISO text)."""
        return {
            "citizen": self.citizen,
            "synthetic": True,
            "run": self.run,
            "picked": self.picked,
            "attributes": self.attributes,
            "timeline": self.timeline,
            "snapshot": self.snapshot,
            "notes": self.notes,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=_json_default)

    def to_arrow(self) -> pa.Table:
        """The timeline as an Arrow table (date, what, kind, value, text; empty without an event
        log)."""
        rows = self.timeline or []
        names = ["date", "what", "kind", "value", "text"]
        return pa.table(
            {
                "date": pa.array([r.get("date") for r in rows], pa.date32()),
                **{n: pa.array([r.get(n) for r in rows]) for n in names[1:4]},
                "text": pa.array([r.get("text", "") for r in rows], pa.string()),
            }
        )

    def to_pandas(self) -> Any:
        """The timeline as a pandas DataFrame, dates as pandas datetimes."""
        return to_pandas(self.to_arrow())

    def __repr__(self) -> str:
        events = "no event log" if self.timeline is None else f"{len(self.timeline):,} events"
        return (
            f"Explanation(citizen {self.citizen} of {self.run.get('scenario')!r}, seed "
            f"{self.run.get('seed')}, {events})"
        )

    def _repr_html_(self) -> str:
        who = {**self.attributes.get("who", {}), **self.attributes.get("where", {})}
        facts = [("run", self.run.get("path")), *((k, v) for k, v in who.items())]
        return html_preview(
            f"Citizen {self.citizen} (synthetic)",
            facts,
            None if self.timeline is None else self.to_arrow().select(["date", "text"]),
        )


@dataclass(frozen=True)
class Pick:
    """The citizen a --pick condition chose: the ``nth`` of ``matches`` (by citizen id)."""

    citizen: int
    expression: str
    nth: int
    matches: int
    population: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "nth": self.nth,
            "matches": self.matches,
            "population": self.population,
        }


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


# --------------------------------------------------------------------------------------------
# Explaining one citizen


def explain(
    run: Run | str, citizen: int | None = None, *, pick: str | None = None, nth: int = 1
) -> Explanation:
    """Explain ``citizen`` (an id, 0-based) of ``run``, or the ``nth`` citizen for whom the
    condition ``pick`` holds (see :func:`pick`); raises ExplainError, NoMatch or RunError."""
    run = run if isinstance(run, Run) else Run(run)
    if (citizen is None) == (pick is None):
        raise ExplainError("give a citizen id or a condition to pick one by, not both"
                           if citizen is not None else "give a citizen id or pick=CONDITION")  # fmt: skip
    if pick is not None:
        picked = _pick(run, pick, nth)
        result = explain(run, picked.citizen)
        result.picked = picked.to_dict()
        return result
    assert citizen is not None
    n = population_size(run)
    check_citizen(citizen, n)
    scenario = run.scenario
    start = _date(run.manifest.get("horizon", {}).get("start"))
    # The filters on the id let DuckDB skip every row group but the citizen's (both files are
    # written in id order); the event log's file order is the order of events within a day.
    con = duckdb.connect(":memory:")
    try:
        row = _fetch(
            con,
            "SELECT * FROM read_parquet(?, hive_partitioning = false) WHERE id = ?",
            [str(run.file(CITIZENS)), citizen],
        )
        events = None
        if run.has_events:
            events = _fetch(
                con,
                "SELECT date, event, kind, value FROM read_parquet(?, file_row_number = true, hive_partitioning = false) "
                "WHERE citizen = ? ORDER BY file_row_number",
                [str(run.file(EVENTS)), citizen],
            )
    finally:
        con.close()
    if row.num_rows == 0:
        raise ExplainError(f"citizen {citizen} is not in {run.path / CITIZENS}")
    values = {name: row.column(name)[0].as_py() for name in row.column_names}
    notes: list[str] = []
    context = _Context(scenario, start, values, _province_names(run))
    timeline = None
    if events is None:
        notes.append(
            "no timeline: this run has no event log — run the scenario again with --events "
            f"(scsim run {run.name} --events ...) to see what happened day by day"
        )
    else:
        timeline = _timeline(events, context, notes)
    return Explanation(
        run=_run_info(run, n),
        citizen=citizen,
        attributes=_attributes(values),
        snapshot=_snapshot(values, context),
        timeline=timeline,
        notes=notes,
    )


def population_size(run: Run) -> int:
    """The number of agents (rows of citizens.parquet)."""
    return pq.read_metadata(run.file(CITIZENS)).num_rows


def check_citizen(citizen: int, n: int) -> None:
    """Raise ExplainError unless ``0 <= citizen < n``, naming the valid range."""
    if n == 0:
        raise ExplainError("this run has no citizens")
    if not 0 <= citizen < n:
        raise ExplainError(
            f"citizen {citizen} is out of range: this run has {n:,} agents, ids 0 to {n - 1}"
        )


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> pa.Table:
    """One query, with a DuckDB error as a RunError."""
    try:
        relation = con.sql(sql, params=params)
        to_table = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
        return to_table()
    except duckdb.Error as exc:
        raise RunError(f"cannot read the run: {exc}") from None


def _run_info(run: Run, n: int) -> dict[str, Any]:
    horizon = run.manifest.get("horizon") or {}
    return {
        "path": str(run.path),
        "scenario": run.name,
        "title": run.manifest.get("title") or "",
        "reforms_applied": list(run.manifest.get("reforms_applied") or []),
        "scenario_hash": run.hash8,
        "seed": run.seed,
        "start": horizon.get("start"),
        "end": horizon.get("end"),
        "n_agents": n,
        "persons_per_agent": run.weight,
        "has_events": run.has_events,
    }


def _province_names(run: Run) -> list[str]:
    """The province labels in code order (the whole dictionary of the province column)."""
    path = run.file(CITIZENS)
    if "province" not in pq.read_schema(path).names:
        return []
    return _levels(path, ["province"]).get("province", [])


# --------------------------------------------------------------------------------------------
# The scenario, typed (Run.scenario)


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _at(param: Param | None, day: dt.date) -> float | None:
    """The value of an optional parameter in force on ``day`` (None without the parameter)."""
    return None if param is None else param.at(day)


def effect_values(effects: Effects, day: dt.date) -> dict[str, float]:
    """A measure's effects in force on ``day``, by name."""
    return {name: effects.value(name, day) for name in Effects.NAMES}


def effects_text(effects: Effects, day: dt.date) -> str:
    """A measure's effects on ``day`` as a reader takes them in: income ×0.9 · costs ¥60/month"""
    parts = []
    values = effect_values(effects, day)
    factor = values["income_factor"]
    if factor != 1.0:
        parts.append(f"income ×{factor:g}")
    cost = values["monthly_cost"]
    if cost > 0:
        parts.append(f"costs {yuan(cost)}/month")
    elif cost < 0:
        parts.append(f"saves {yuan(-cost)}/month")
    pressure = values["pay_pressure"]
    if pressure:
        parts.append(f"pressure to pay a court debt +{pressure:g}/month")
    interest = values["interest_add"]
    if interest:
        parts.append(f"interest on debt {interest * 100:+g} pp/year")
    return " · ".join(parts) or "no economic effect"


class _Context:
    """What the timeline and the snapshot read from the scenario, for one citizen."""

    def __init__(
        self,
        scenario: ScenarioSpec,
        start: dt.date | None,
        values: Mapping[str, Any],
        provinces: list[str],
    ) -> None:
        self.scenario = scenario
        self.start = start
        self.values = values
        self.provinces = provinces
        self.events: dict[str, Event] = scenario.behaviour.events
        self.points_name, self.points = scenario.points_scheme() or (None, None)
        self.court_name, self.court = scenario.court_list() or (None, None)

    def label(self, kind: str) -> str:
        """The scenario's label of an event kind (the kind itself when it has none)."""
        event = self.events.get(kind)
        return (event.label if event is not None else "") or kind.replace("_", " ")

    def base_points(self) -> int | None:
        if self.points is None or self.start is None:
            return None
        return int(round(self.points.base.at(self.start) or 0))

    def grade(self, points: int) -> str | None:
        """The grade band of ``points`` (the lowest band below its bound, as the engine does)."""
        grades = self.points.grades if self.points is not None else {}
        bands = sorted(grades.items(), key=lambda kv: kv[1])
        current = bands[0][0] if bands else None
        for name, bound in bands:
            if points >= bound:
                current = name
        return current

    def delta_rule(
        self, kind: str, day: dt.date, province: str | None, change: float
    ) -> dict[str, Any]:
        """The points rule behind a change for a record of ``kind``: the scheme's delta, or the
        local delta of the citizen's province (matched by value when the province is unknown)."""
        deltas = self.points.deltas if self.points is not None else {}
        local_deltas = self.points.local_deltas if self.points is not None else {}
        path = f"schemes.{self.points_name}.deltas.{kind}"
        param = deltas.get(kind)
        candidates: list[tuple[str, Param | None, str | None]] = [(path, param, None)]
        for where, local in local_deltas.items():
            if kind in local:
                candidates.append(
                    (f"schemes.{self.points_name}.local_deltas.{where}.{kind}", local[kind], where)
                )
        chosen = candidates[0]
        local = [c for c in candidates[1:] if c[2] == province]
        if local:
            chosen = local[0]
        elif province is None and len(candidates) > 1:
            matching = [c for c in candidates if _round(_at(c[1], day)) == change]
            chosen = matching[0] if matching else chosen
        path, param, where = chosen
        label = param.label if param is not None else ""
        rule = {
            "type": "delta",
            "scheme": self.points_name,
            "kind": kind,
            "delta": _round(_at(param, day)),
            "path": path,
            "label": label,
        }
        if where is not None:
            rule["province"] = where
        return rule

    def recovery(self, day: dt.date) -> dict[str, Any]:
        rec = self.points.recovery if self.points is not None else None
        points = _at(None if rec is None else rec.points, day)
        days = _at(None if rec is None else rec.clean_days, day)
        return {
            "type": "recovery",
            "scheme": self.points_name,
            "points": None if points is None else int(points),
            "clean_days": None if days is None else int(days),
        }

    def cap(self, day: dt.date) -> float | None:
        return _at(self.points.cap if self.points is not None else None, day)

    def court_param(
        self, name: Literal["grace_days", "term_days", "repeat_extension_days"], day: dt.date
    ) -> float | None:
        return _at(getattr(self.court, name) if self.court is not None else None, day)


def _round(value: float | None) -> int | None:
    return None if value is None else int(round(value))


# --------------------------------------------------------------------------------------------
# The timeline


@dataclass
class _Case:
    opened: dt.date
    kind: str
    amount: float
    due: dt.date | None
    wrongful: bool
    listed_on: dt.date | None = None


def _timeline(events: pa.Table, ctx: _Context, notes: list[str]) -> list[dict[str, Any]]:
    """The citizen's event-log rows in order, each with the rule or reason behind it."""
    rows = zip(
        *(events.column(c).to_pylist() for c in ("date", "event", "kind", "value")), strict=True
    )
    rows = list(rows)
    moves = [r for r in rows if r[1] == "moved"]
    # The province is logged on each move; before the first one it is the snapshot's only when
    # there was no move at all.
    province = None if moves else ctx.values.get("province")
    points = ctx.base_points()
    records: dict[tuple[dt.date, str], bool] = {}  # (day, kind) -> record misattributed to them
    case: _Case | None = None
    n_listings = 0
    out: list[dict[str, Any]] = []
    for day, what, kind, value in rows:
        # ``event``, ``kind`` and ``value`` are the log's row; ``what`` is how it reads.
        entry: dict[str, Any] = {
            "date": day,
            "what": what,
            "event": what,
            "kind": kind,
            "value": value,
        }
        if what == "event":
            status = RECORD_STATUS.get(int(value), str(value))
            entry["record"] = status
            if status == "recorded":
                records[(day, kind)] = False
            text = {
                "undetected": "committed; not detected, no record",
                "recorded": "committed; recorded on them",
                "misattributed": "committed; detected but recorded on someone else",
            }.get(status, f"committed (record status {value})")
            entry["text"] = f"{kind}: {text}"
        elif what == "wrongful_record":
            records[(day, kind)] = True
            entry["text"] = (
                f"{kind}: a record of an act they did not commit landed on them "
                "(someone else's, misattributed)"
            )
        elif what == "points":
            change = int(round(value))
            entry["change"] = change
            if points is not None:
                points += change
                entry["points_after"] = points
                entry["grade_after"] = ctx.grade(points)
            entry.update(_points_rule(ctx, day, kind, change, province, records))
            if points is not None:
                grade = entry["grade_after"]
                entry["text"] += f" → {points}" + (f" ({grade})" if grade else "")
        elif what == "case_opened":
            entry["amount"] = value
            wrongful = records.get((day, kind), False)
            entry["wrongful"] = wrongful
            event = ctx.events.get(kind)
            consequence = (event.consequence if event is not None else None) or "case"
            source = " (from someone else's record)" if wrongful else ""
            if case is None:
                within = event.pay_within_days if event is not None else None
                due = day + dt.timedelta(days=int(within)) if within is not None else None
                case = _Case(day, kind, value, due, wrongful)
                entry["due"] = due
                entry["text"] = (
                    f"court case opened: {consequence} of {yuan(value)} for {kind}"
                    f"{source}" + (f", to pay within {int(within)} days (by {due})" if due else "")
                )
            else:
                entry["what"] = "case_amount_added"
                case.amount += value
                case.wrongful = case.wrongful and wrongful
                entry["text"] = (
                    f"{consequence} of {yuan(value)} for {kind}{source} added to the "
                    f"open case (now {yuan(case.amount)})"
                )
        elif what == "listed":
            n_listings += 1
            entry.update(_listing(ctx, day, kind, value, case, n_listings))
            if case is not None:
                case.listed_on = day
        elif what == "case_closed":
            reason = kind
            entry["reason"] = reason
            entry["amount"] = value
            ended = EXIT_TEXT.get(reason, reason)
            if case is not None and case.listed_on is not None:
                days = (day - case.listed_on).days
                entry["days_listed"] = days
                entry["text"] = f"case closed, off the list after {days} days: {ended}"
            else:
                entry["text"] = f"case closed before any listing: {ended}"
            if reason == "paid":
                entry["text"] += f" {yuan(value)}"
            case = None
        elif what == "list_joined":
            entry.update(_list_joined(ctx, kind, value, day))
        elif what == "moved":
            name = _province_name(ctx.provinces, value)
            entry["province"] = name
            province = name
            entry["text"] = f"moved to {name}"
        else:
            entry["text"] = f"{what} {kind} {value}"
        out.append(entry)
    final = ctx.values.get("points")
    if points is not None and final is not None and points != final:
        notes.append(
            f"the timeline's points changes add up to {points}, the snapshot says {final} — "
            "the event log may be sampled or incomplete"
        )
    return out


def _list_joined(ctx: _Context, name: str, until: float, day: dt.date) -> dict[str, Any]:
    """A black or red list's join on ``day``: the list, its rule (the threshold in force on the
    epoch's last day, the day before the join), and ``until``, the first day off it."""
    spec = ctx.scenario.lists().get(name)
    ends = ctx.start + dt.timedelta(days=int(until)) if ctx.start is not None else None
    red = spec is not None and spec.kind == "redlist"
    records = (", ".join(spec.records) if spec is not None else "") or "its kinds"
    in_force = None if spec is None else spec.threshold.at(day - dt.timedelta(days=1))
    threshold = 1 if in_force is None else int(in_force)
    rule = f"at least {threshold} record{'s' if threshold != 1 else ''} of {records} this year"
    label = f" ({spec.label})" if spec is not None and spec.label else ""
    return {
        "list": name,
        "red": red,
        "until": ends,
        "text": f"put on the {'red' if red else 'black'} list {name}{label}: {rule}"
        + (f"; off it on {ends} unless the term changes" if ends is not None else ""),
    }


def _province_name(names: Sequence[str], code: float) -> str:
    index = int(code)
    return names[index] if 0 <= index < len(names) else f"province #{index}"


def _points_rule(
    ctx: _Context,
    day: dt.date,
    kind: str,
    change: int,
    province: str | None,
    records: Mapping[tuple[dt.date, str], bool],
) -> dict[str, Any]:
    """The rule of one points row, and its sentence."""
    if kind == "recovery":
        rule = ctx.recovery(day)
        per, days = rule.get("points") or 0, rule.get("clean_days")
        periods = change // per if per else 0
        if periods > 1:
            why = f"{periods} × {days} clean days, {per:+d} each"
        else:
            why = f"{per:+d} per {days} clean days"
        return {"rule": rule, "text": f"{_points(change)}: clean-time recovery ({why})"}
    if kind == "cap_lowered":
        cap = ctx.cap(day)
        rule = {"type": "cap_lowered", "scheme": ctx.points_name, "cap": _round(cap)}
        return {"rule": rule, "text": f"{_points(change)}: the cap was lowered to {_round(cap)}"}
    rule = ctx.delta_rule(kind, day, province, change)
    wrongful = records.get((day, kind), False)
    rule["wrongful"] = wrongful
    delta = rule["delta"]
    # The text names the rule as the scenario file does, under ``schemes:``.
    where = rule["path"].removeprefix("schemes.")
    rule_text = f"{where} = {delta:+d}" if delta is not None else f"{where}, not in force"
    text = f"{_points(change)}: {kind} (rule {rule_text}"
    if delta is not None and delta != change:
        text += f"; limited to {change:+d} by the floor or cap"
    text += ")"
    if wrongful:
        text += " — for someone else's act"
    return {"rule": rule, "text": text}


def _points(change: int) -> str:
    return f"{change:+d} point{'' if abs(change) == 1 else 's'}"


def _listing(
    ctx: _Context, day: dt.date, kind: str, amount: float, case: _Case | None, n_listings: int
) -> dict[str, Any]:
    """A listing: the record behind it, the amount, the grace period and the term."""
    out: dict[str, Any] = {"amount": amount, "listing": n_listings}
    due = case.due if case is not None else None
    grace = ctx.court_param("grace_days", due) if due is not None else None
    term = ctx.court_param("term_days", day)
    extension = ctx.court_param("repeat_extension_days", day) or 0.0
    wrongful = bool(case and case.wrongful)
    out.update({"wrongful": wrongful, "grace_days": _round(grace)})
    if case is not None:
        out.update({"case_opened": case.opened, "due": due})
    if term is None:
        out["term_days"], out["until"] = None, None
        term_text = "no fixed term"
    else:
        days = int(round(term + extension * (n_listings - 1)))
        out["term_days"], out["until"] = days, day + dt.timedelta(days=days)
        term_text = f"term {days} days (to {out['until']})"
    label = (ctx.court.label if ctx.court is not None else "") or ctx.court_name or "the court list"
    reason = f"unpaid {yuan(amount)} from {kind}"
    if case is not None:
        reason += f" (case opened {case.opened}"
        reason += f", due {due}" if due else ""
        reason += f", then {_round(grace)} days' grace" if grace is not None else ""
        reason += ")"
    text = f"listed on {label}: {reason}; {term_text}"
    if n_listings > 1:
        text += f"; listing no. {n_listings}"
    if wrongful:
        text += " — wrongful: the case came from someone else's record"
    out["text"] = text
    return out


# --------------------------------------------------------------------------------------------
# Attributes and the end-of-run snapshot


def _attributes(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    def group(names: Iterable[str]) -> dict[str, Any]:
        return {n: _attribute(n, values[n]) for n in names if n in values}

    return {"who": group(WHO), "where": group(WHERE), "money": group(MONEY)}


def _attribute(name: str, value: Any) -> Any:
    if name == "employment" and isinstance(value, int) and 0 <= value < len(EMPLOYMENT_TIERS):
        return EMPLOYMENT_TIERS[value]
    return value


def _snapshot(values: Mapping[str, Any], ctx: _Context) -> dict[str, Any]:
    """The end-of-run state, section by section; columns no section knows go to ``other``."""
    used = {"id", *WHO, *WHERE, *MONEY}
    snap: dict[str, Any] = {}
    scenario = ctx.scenario

    if "points" in values:
        used.update(POINTS_COLUMNS)
        snap["points"] = {
            "scheme": ctx.points_name,
            "label": ctx.points.label if ctx.points is not None else "",
            **{c: values[c] for c in POINTS_COLUMNS if c in values},
        }

    if "composite_user" in values:
        used.update(COMPOSITE_COLUMNS)
        name, spec = scenario.composite() or (None, None)
        dims = spec.dimensions if spec is not None else {}
        dimensions = {}
        for column in [c for c in values if c.startswith("dimension_")]:
            used.add(column)
            dim = column.removeprefix("dimension_")
            d = dims.get(dim)
            dimensions[dim] = {
                "value": values[column],
                "weight": d.weight if d is not None else None,
                "label": d.label if d is not None else "",
            }
        snap["composite"] = {
            "scheme": name,
            "label": spec.label if spec is not None else "",
            "user": values.get("composite_user"),
            "score": values.get("composite_score") if values.get("composite_user") else None,
            "band": values.get("composite_band"),
            "range": list(spec.range) if spec is not None else None,
            "dimensions": dimensions,
        }

    if "listed" in values:
        used.update(COURT_COLUMNS)
        court = {c: values[c] for c in COURT_COLUMNS if c in values}
        since = court.get("listed_since")
        if since is not None and since >= 0 and ctx.start is not None:
            court["listed_since"] = ctx.start + dt.timedelta(days=int(since))
        else:
            court["listed_since"] = None
        snap["court"] = {
            "scheme": ctx.court_name,
            "label": ctx.court.label if ctx.court is not None else "",
            **court,
        }

    lists = []
    for name, spec in scenario.lists().items():
        column = f"on_{name}"
        if column not in values:
            continue
        used.update({column, f"listings_{name}"})
        lists.append(
            {
                "name": name,
                "kind": spec.kind,
                "label": spec.label,
                "member": values[column],
                "listings": values.get(f"listings_{name}"),
            }
        )
    snap["lists"] = lists

    measures = scenario.measures
    end = scenario.world.end
    applied: dict[str, list[dict[str, Any]]] = {"sanctions": [], "rewards": []}
    for column in [c for c in values if c.startswith("sanction_")]:
        used.add(column)
        if not values[column]:
            continue
        name = column.removeprefix("sanction_")
        m = measures.get(name)
        item = {
            "name": name,
            "label": m.label if m is not None else "",
            "when": m.when if m is not None else "",
            "effects": effect_values(m.effects, end) if m is not None else {},
            "effects_text": effects_text(m.effects if m is not None else Effects(), end),
        }
        applied["rewards" if m is not None and m.is_reward else "sanctions"].append(item)
    snap.update(applied)

    rights = scenario.hukou.rights
    lacked = []
    for column in [c for c in values if c.startswith("lacks_")]:
        used.add(column)
        if values[column]:
            name = column.removeprefix("lacks_")
            r = rights.get(name)
            lacked.append(
                {
                    "name": name,
                    "label": r.label if r is not None else "",
                    "access": r.access if r is not None else None,
                    "monthly_cost": r.monthly_cost.at(end) if r is not None else None,
                }
            )
    snap["rights_lacked"] = lacked

    if any(c in values for c in NETWORK_COLUMNS):
        used.update(NETWORK_COLUMNS)
        snap["network"] = {c: values[c] for c in NETWORK_COLUMNS if c in values}

    counts = []
    for column in [c for c in values if c.startswith("n_")]:
        kind = column.removeprefix("n_")
        if f"rec_{kind}" not in values:
            continue
        used.update({column, f"rec_{kind}"})
        committed, recorded = values[column], values[f"rec_{kind}"]
        if committed or recorded:
            counts.append(
                {
                    "kind": kind,
                    "label": ctx.label(kind),
                    "committed": committed,
                    "recorded_on_them": recorded,
                }
            )
    snap["events"] = counts
    snap["other"] = {c: v for c, v in values.items() if c not in used}
    return snap


# --------------------------------------------------------------------------------------------
# Picking a citizen worth reading


def pick(run: Run | str, expression: str, nth: int = 1) -> Pick:
    """The ``nth`` citizen (1-based, by id) for whom ``expression`` holds.

    The expression is in the scenario rule language over the citizens table: true/false columns
    are conditions, numeric columns numbers, categorical columns ordered levels (``grade <= 'C'``,
    ``hukou == 'rural'``), plus the conveniences of :func:`pick_vocabulary`. Only the columns it
    reads are loaded. Raises ExplainError (with the column of a mistake) or NoMatch.
    """
    run = run if isinstance(run, Run) else Run(run)
    if nth < 1:
        raise ExplainError(f"--nth counts from 1, got {nth}")
    path = run.file(CITIZENS)
    with pq.ParquetFile(path) as file:
        schema = file.schema_arrow
        n = file.metadata.num_rows
    kinds = {f.name: arrow_kind(f.type) for f in schema}
    levels = _levels(path, [name for name, k in kinds.items() if k == "category"])
    variables: dict[str, Any] = {}
    for name, kind in kinds.items():
        if kind == "bool":
            variables[name] = Bool()
        elif kind == "number":
            variables[name] = Number()
        elif kind == "category" and levels.get(name):
            variables[name] = Ordinal(tuple(levels[name]))
    conveniences = pick_vocabulary(variables, run.scenario)
    all_variables = {**variables, **{name: Bool() for name in conveniences}}
    try:
        expr = compile_expr(expression, variables=all_variables, expect=Bool())
    except ExprError as err:
        raise ExplainError(positioned(err, "--pick")) from None
    used = {name: conveniences[name][0] for name in expr.reads if name in conveniences}
    columns = {name for name in expr.reads if name in variables}
    for convenience in used.values():
        columns |= convenience.reads
    table = pq.read_table(path, columns=sorted(columns | {"id"}))
    arrays = {name: _numpy(table.column(name), kinds[name]) for name in columns}
    for name, convenience in used.items():
        arrays[name] = convenience.evaluate(arrays)
    hit = np.broadcast_to(np.asarray(expr.evaluate(arrays), dtype=bool), (n,))
    matches = np.flatnonzero(hit)
    if matches.size == 0:
        raise NoMatch(f"no citizen of this run matches {expression!r} (0 of {n:,})")
    if nth > matches.size:
        raise NoMatch(
            f"only {matches.size:,} citizen{'s' if matches.size > 1 else ''} match "
            f"{expression!r}; --nth {nth} is past the last"
        )
    ids = table.column("id").to_numpy()
    return Pick(int(ids[matches[nth - 1]]), expression, nth, int(matches.size), n)


_pick = pick  # explain's keyword `pick` hides the function's name there


def pick_vocabulary(
    variables: Mapping[str, Type], scenario: ScenarioSpec | None
) -> dict[str, tuple[Expr, str]]:
    """The conveniences this run offers, compiled: name -> (expression, meaning). A convenience
    needs the columns it reads, and a column of the same name takes precedence; without a
    scenario, only those of :data:`CONVENIENCES`."""
    measures = scenario.measures if scenario is not None else {}
    flags = [c for c in variables if c.startswith("sanction_") and variables[c] == Bool()]
    rewards = [
        c
        for c in flags
        if (m := measures.get(c.removeprefix("sanction_"))) is not None and m.is_reward
    ]
    events = scenario.behaviour.events if scenario is not None else {}
    moves = [f"n_{k} > 0" for k, e in events.items() if e.consequence == "move"]
    definitions = dict(CONVENIENCES)
    for name, terms, meaning in (
        (MOVED, moves, "moved to another province during the run"),
        (SANCTIONED, [c for c in flags if c not in rewards], "under a sanction in the last epoch"),
        (REWARDED, rewards, "enjoying a reward in the last epoch"),
    ):
        if terms:
            definitions[name] = (" or ".join(terms), meaning)
    out = {}
    for name, (source, meaning) in definitions.items():
        if name in variables:
            continue
        try:
            out[name] = (compile_expr(source, variables=variables, expect=Bool()), meaning)
        except ExprError:  # the run lacks a column it reads
            continue
    return out


def positioned(err: ExprError, what: str) -> str:
    """An expression error with the text and a caret under the offending column."""
    text = err.source.replace("\n", " ")
    return f"{what} {text!r}: {err}\n  {text}\n  {' ' * err.column}^"


def _levels(path: Any, names: list[str]) -> dict[str, list[str]]:
    """The labels of categorical columns, in code order (from the first row)."""
    if not names:
        return {}
    with pq.ParquetFile(path) as file:
        batch = next(file.iter_batches(batch_size=1, columns=names), None)
    out = {}
    for name in names:
        column = None if batch is None else batch.column(name)
        if column is not None and pa.types.is_dictionary(column.type):
            out[name] = [str(v) for v in column.dictionary.to_pylist()]
    return out


def _numpy(column: pa.ChunkedArray, kind: str) -> np.ndarray:
    """A column as numpy: a categorical as its codes (-1 for null)."""
    if kind == "category":
        import pyarrow.compute as pc

        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        column = column.unify_dictionaries()
        parts = [pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False) for c in column.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int8)
    return column.to_numpy()


__all__ = [
    "CONVENIENCES",
    "Explanation",
    "ExplainError",
    "NoMatch",
    "Pick",
    "check_citizen",
    "effects_text",
    "explain",
    "pick",
    "pick_vocabulary",
    "population_size",
    "positioned",
    "yuan",
]
