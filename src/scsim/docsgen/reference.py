"""Render the scenario format reference (docs/scenario-reference.md) from the schema itself.

    make docs   # python -m scsim.docsgen.reference > docs/scenario-reference.md

Keys, types, defaults, constraints and their prose come from the pydantic models in
:mod:`scsim.scenario.schema`: each model's ``model_config`` title and the first paragraph of its
docstring, each field's ``Field(description=...)``. The expression sites and their vocabularies
come from the mechanisms (:func:`scsim.scenario.expressions.expression_sites`); the metric
names a calibration target may name from :class:`scsim.engine.metrics.MetricsRecorder`. Only the
prose for what is not a schema field lives here, in the tables below (the checks the validators
make, variables, functions, consequences, metrics), and :func:`undocumented` names every key or
name that has none, so a new schema field cannot reach the reference without a description
(tests/test_docs.py checks both).

This box stands above everything it documents (it imports the schema, the mechanisms and the
engine); nothing imports it but tests and ``make docs``.
"""

from __future__ import annotations

import datetime as dt
import inspect
import sys
import types
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from scsim.core.limits import MAX_BANDS, MAX_LISTS, MAX_MEASURES, MAX_RIGHTS
from scsim.core.metrics import metric_vocabulary
from scsim.scenario import schema as s
from scsim.scenario.yamlpos import FOLDER_ENTRY, INCLUDE_KEY, MAX_FILE_BYTES

REGENERATE = "make docs"

# ---------------------------------------------------------------------------------------------
# Prose beside the keys: each model's title (``model_config["title"]``) and description (the first
# paragraph of its docstring), and each field's ``Field(description=...)``, in the schema.


def model_title(model: type[BaseModel]) -> str:
    """The heading of a model's section: its ``model_config`` title (its class name without)."""
    return model.model_config.get("title") or model.__name__


def model_description(model: type[BaseModel]) -> str:
    """The first paragraph of a model's own docstring, as one line ("" without a docstring);
    further paragraphs are notes for readers of the code."""
    doc = inspect.cleandoc(model.__doc__ or "")
    return " ".join(line.strip() for line in doc.split("\n\n")[0].splitlines())


# Limits the field descriptions state in words, as the mechanisms define them. The schema cannot
# import the mechanisms (they import it), so misdescribed() checks that the two agree.
LIMITS: dict[tuple[type[BaseModel], str], str] = {
    (s.ScenarioSpec, "schemes"): f"at most {MAX_LISTS} `blacklist` or `redlist` schemes",
    (s.ScenarioSpec, "measures"): f"at most {MAX_MEASURES}.",
    (s.CompositeScore, "bands"): f"at most {MAX_BANDS}, strictly increasing",
    (s.Hukou, "rights"): f"at most {MAX_RIGHTS}.",
}


def _power_of_two(limit: int) -> str:
    """``2^k − 1`` for a limit of that form, else the number."""
    return f"2^{limit.bit_length()} − 1" if limit & (limit + 1) == 0 else f"{limit:,}"


# Checks made by validators (not visible in the field types), listed under their model.
MODEL_CHECKS: dict[type[BaseModel], tuple[str, ...]] = {
    s.ScenarioSpec: (
        "Every event named in `observation.detection`, in a points scheme's `deltas` and in a "
        "list's `records` exists.",
        "Every province name exists (with a 'did you mean' suggestion otherwise).",
        "At most one `points`, one `court_list` and one `composite` scheme; at most "
        f"{MAX_LISTS} `blacklist` or `redlist` schemes; at most 15 measures.",
        "Calibration periods, jurisdiction dates (`from`, `until`, `rollout`) and reform dates "
        "lie inside the horizon.",
        "Every reform `path` leads to a dated parameter or a number fixed for the run that the "
        "scenario sets (with a 'did you mean' suggestion otherwise), and every reform `value` "
        "lies in its range; a number fixed for the run takes no `from`, `until` or `null`.",
        "Every expression compiles against its vocabulary (see [Expressions](#expressions)).",
    ),
    s.World: (
        "`end` is after `start`, and at most 32,000 days after it.",
        *(
            [f"`seed` is a whole number from 0 to {_power_of_two(s.SEED_MAX)}."]
            if hasattr(s, "SEED_MAX")  # checked by a validator, invisible in the field's type
            else []
        ),
    ),
    s.Heterogeneity: ("`clip` is [low, high] with 0 ≤ low ≤ high.",),
    s.Event: (
        "Exactly one of `daily_probability` and `annual_rate`.",
        "`amount` is given when `consequence` is `fine` or `judgment`.",
    ),
    s.PointsScheme: (
        "`grades` has at least two bands with strictly increasing bounds.",
        "`cap` is not below `base` on the start date.",
    ),
    s.Observation: ("Every source named in a `detection` list is a key of `sources`.",),
    s.Source: (
        "Every `intensity` key is a group flag: `urban`, `hukou_urban`, `migrant`, `minority` "
        "or `has_child`.",
        "A `coverage` expression gives a probability (0 to 1) in every province and cell.",
    ),
    s.CourtList: ("`national_from` is not before `list_from`.",),
    s.CompositeScore: (
        "The top of `range` is above its bottom.",
        "There is at least one dimension, and the dimension weights sum to `weights_sum`.",
        f"`bands` has 2 to {MAX_BANDS} bands with strictly increasing bounds, each within `range`.",
        "Every term `input` is one the score can read.",
    ),
    s.ListScheme: (
        "`excludes` names other black or red lists, or the court list, never the list itself.",
    ),
    s.Target: ("`high` is not below `low`; the period does not end before it starts.",),
    s.Param: (
        "At least one dated value; a quoted number is an error.",
        "Every value is a finite number (`.nan` and `.inf` are errors) in the range of the key "
        "that holds the parameter, or `null`.",
    ),
}

# Sites of expressions: the key path pattern → what the expression reads about.
VOCABULARY_TITLES: dict[str, str] = {
    "modifier": "Citizen attributes",
    "eligible": "Citizen attributes",
    "applies_to": "Coverage attributes",
    "detection": "Detection variables",
    "coverage": "Source coverage variables",
    "needs": "Hukou rule attributes",
    "access": "Hukou rule attributes",
    "requires": "Hukou rule attributes",
    "when": "Status variables",
}

VARIABLE_DOCS: dict[str, str] = {
    "age": "Age reached in the current year (the year of the epoch start).",
    "male": "True for men.",
    "urban": "Lives in an urban area.",
    "hukou_urban": "Holds an urban (non-agricultural) hukou.",
    "migrant": (
        "Floating: lives away from the hukou place (set at synthesis; changes on a move between "
        "provinces and on a hukou conversion)."
    ),
    "interprovincial": (
        "Lives in another province than the hukou province (changes on a move and on a hukou "
        "conversion)."
    ),
    "minority": "Belongs to an ethnic minority.",
    "has_child": "An adult with a child under 18 in the household.",
    "income": "Base monthly income in yuan (before sanctions; grows each epoch).",
    "wealth": "Liquid wealth in yuan.",
    "debt": "Household debt in yuan.",
    "employment": "Employment tier: 0 none, 1 informal, 2 formal private, 3 public sector.",
    "education": "Education of adults: 0 primary or less, 1 secondary, 2 tertiary (0 for minors).",
    "residence_years": (
        "Whole years lived where the citizen lives now: their age if they never moved, 0 again "
        "after a move between provinces."
    ),
    "local_hukou": ("Registered where they live: `not migrant` (true after a hukou conversion)."),
    "province": "Province of residence; compare with a name, e.g. `province == 'Shandong'`.",
    "listed": (
        "On the court list (in a measure's `when`: at the epoch start; elsewhere: when the "
        "expression is evaluated)."
    ),
    "blacklisted": "On a black list that reaches the citizen, as at the latest epoch start.",
    "red_listed": "On a red list that reaches the citizen, as at the latest epoch start.",
    "red_share": (
        "Share of the adults of the citizen's province of residence who are on a red list, as "
        "at the last epoch end (0 before it and without red lists)."
    ),
    "user": "Uses the composite score (as at its last recomputation).",
    "score": (
        "Composite score at its last recomputation; 0 for non-users, so read it with `user`."
    ),
    "friends": (
        "Number of friends in the friendship graph, after any ties dropped; 0 without a graph."
    ),
    "<list>": (
        "Each black or red list, by its scheme name: on it, and reached by it, at the epoch start."
    ),
    "<composite>": (
        "The composite score, by its scheme name: its band at the epoch start, compared with "
        "the band names, e.g. `sesame >= 'good'`; a condition reading it never holds for "
        "non-users."
    ),
    "scored": "Scored by the points scheme during the epoch (covered, consenting, in its jurisdiction).",
    "grade": (
        "Grade at the epoch start, compared with the points scheme's grade names, e.g. "
        "`grade >= 'A'`; a condition reading it never holds for unscored citizens."
    ),
}

FUNCTION_DOCS: dict[str, str] = {
    "min": "Smallest argument, element-wise.",
    "max": "Largest argument, element-wise.",
    "abs": "Absolute value.",
    "clip": "x limited to [lo, hi].",
    "log": "Natural logarithm (log of 0 is −inf, of a negative number NaN; no error).",
    "exp": "Exponential.",
    "sqrt": "Square root (NaN for negative numbers; no error).",
    "where": "b where cond is false, a where it is true; same as `a if cond else b`.",
}

CONSEQUENCE_DOCS: dict[str, str] = {
    "none": "No direct consequence; the record may still change points.",
    "fine": "Opens a court case (or adds to the open one) for the drawn amount.",
    "judgment": "As `fine`: the court list treats fines and judgments alike.",
    "move": (
        "Moves the citizen to another province, drawn by 2020 population share; before the "
        "list is national an open case is escaped."
    ),
    "air_ticket": (
        "An attempt to buy an air ticket: a trip (`trips_air`), or a blocked purchase attempt "
        "(`blocked_air`) while a measure that `blocks: [air]` applies that day."
    ),
    "rail_ticket": (
        "As `air_ticket`, for high-speed rail (`trips_rail`, `blocked_rail`; `blocks: [rail]`)."
    ),
}

METRIC_DOCS: dict[str, str] = {
    "population": "People in the group (stock at the epoch end).",
    "adults": "People aged 18 or over in the year of the epoch start.",
    "listed": "People on the court list at the epoch end.",
    "listed_wrongful": "Listed people whose case rests only on misattributed records.",
    "scored": "People scored by the points scheme during the epoch.",
    "new_listings": "Listings made during the epoch.",
    "exits_paid": "Cases closed by payment during the epoch.",
    "exits_expiry": "Listings ended by term expiry during the epoch.",
    "exits_no_assets": "Listings ended by a no-assets finding during the epoch.",
    "escapes": "Cases escaped by moving province during the epoch.",
    "new_listings_refusing": "Listings made during the epoch on ground (1), able but refusing.",
    "exits_listed": (
        "Listings ended during the epoch, by any route: the sum of `exits_listed_paid`, "
        "`exits_settlement`, `exits_creditor`, `exits_no_assets`, `exits_expiry` and "
        "`exits_listed_escaped`."
    ),
    "exits_listed_paid": "Listings ended by payment (performance) during the epoch.",
    "exits_settlement": "Listings ended by a settlement honoured during the epoch.",
    "exits_creditor": "Listings ended at the creditor's request during the epoch.",
    "exits_listed_escaped": "Listings ended by a move before the list was national.",
    "cases_opened": "Fines and judgments added to cases during the epoch.",
    "cases_paid": "Cases paid during the epoch (equals `exits_paid`).",
    "open_cases": "People with an open case at the epoch end.",
    "trapped": "Listed for a year or more at the epoch end and unable to pay.",
    "listed_share_adults": "`listed` / `adults` (a share, not weighted).",
    "wealth_mean": "Mean wealth in yuan at the epoch end.",
    "income_mean": "Mean effective income (after sanctions) in yuan per month.",
    "debt_mean": "Mean debt in yuan at the epoch end.",
    "events_true": "Events that happened, by kind.",
    "events_recorded": "Records attached to people, by kind (correct and misattributed).",
    "wrongful_records": "Misattributed records delivered to innocent people, by kind.",
    "misattributed": "Events whose record went to someone else, by kind (delivered next epoch).",
    "sanctioned": "People under the measure during the epoch, by measure.",
    "sanction_days": "Person-days under the measure during the epoch, by measure.",
    "trips_air": "Air tickets bought during the epoch (person-times: `air_ticket` events not blocked).",
    "trips_rail": "High-speed rail tickets bought during the epoch (`rail_ticket` events not blocked).",
    "blocked_air": (
        "Air-ticket purchase attempts blocked during the epoch (person-times): `air_ticket` "
        "events while a measure that `blocks: [air]` applied."
    ),
    "blocked_rail": (
        "High-speed rail purchase attempts blocked during the epoch (person-times), as "
        "`blocked_air`."
    ),
    "points_mean": "Mean points of the scored (daily for group `all`, per epoch otherwise).",
    "grade_count": "Scored people per grade (daily for group `all`, per epoch otherwise).",
    "scored_daily": "People scored, daily.",
    "list_members": (
        "People on the black or red list at the epoch end, by list (wherever they live, reached "
        "by it or not)."
    ),
    "list_joined": "People who joined the list at the epoch end, by list.",
    "composite_users": "Users of the composite score at the epoch end.",
    "composite_mean": "Mean composite score of the users at the epoch end (0 without users).",
    "composite_q10": "10th percentile of the users' composite scores (0 without users).",
    "composite_q25": "25th percentile of the users' composite scores (0 without users).",
    "composite_median": "Median of the users' composite scores (0 without users).",
    "composite_q75": "75th percentile of the users' composite scores (0 without users).",
    "composite_q90": "90th percentile of the users' composite scores (0 without users).",
    "composite_band": "Users whose composite score is in the band at the epoch end, by band.",
    "composite_band_share": (
        "Share of users whose composite score is in the band at the epoch end, by band (a "
        "calibration target adds bands up with `categories:`)."
    ),
    "ties_dropped": (
        "Friendship ties dropped by users during the epoch (a tie that both ends drop counts "
        "twice)."
    ),
    "friends_mean": "Mean number of friends per person at the epoch end.",
    "score_assortativity": (
        "Correlation of the composite scores at the two ends of the ties between users "
        "(Newman's assortativity), at the end of each year and of the run; no row while "
        "there are no such ties."
    ),
    "rights_lacking": (
        "People who need the hukou right and lack access to it during the epoch, by right."
    ),
    "hukou_conversions": "Migrants who obtained a local urban hukou at the epoch end.",
    "migrants": "People living away from their hukou place at the epoch end.",
}

# ---------------------------------------------------------------------------------------------
# Walking the schema


def _unwrap(tp: Any) -> tuple[Any, list[Any]]:
    """``tp`` without Annotated wrappers and ``None`` members, and the metadata removed."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp, *extra = get_args(tp)
            for item in extra:
                metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp, metadata
            tp = members[0]
        else:
            return tp, metadata


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _key(name: str, info: FieldInfo) -> str:
    return info.alias or name


# What a mapping's keys stand for, by the field that holds it.
KEY_NAMES: dict[tuple[type[BaseModel], str], str | tuple[str, ...]] = {
    (s.ScenarioSpec, "schemes"): "scheme",
    (s.ScenarioSpec, "measures"): "measure",
    (s.ScenarioSpec, "calibration"): "target",
    (s.ScenarioSpec, "reforms"): "reform",
    (s.Behaviour, "events"): "event",
    (s.Observation, "sources"): "source",
    (s.Observation, "detection"): "event",
    (s.Source, "intensity"): "flag",
    (s.Jurisdiction, "rollout"): "province",
    (s.CompositeScore, "dimensions"): "dimension",
    (s.CompositeScore, "bands"): "band",
    (s.Hukou, "rights"): "right",
    (s.Hukou, "conversion"): "rule",
    (s.PointsScheme, "deltas"): "event",
    (s.PointsScheme, "local_deltas"): ("province", "event"),
    (s.ScenarioSpec, "parameters"): "name",
    (s.PointsScheme, "grades"): "grade",
    (s.Param, "values"): "date",
}


def _children(
    tp: Any, path: str, owner: tuple[type[BaseModel], str], depth: int = 0
) -> Iterator[tuple[str, Any]]:
    """(path, model) for every model reachable inside a field's type."""
    tp, _ = _unwrap(tp)
    origin = get_origin(tp)
    if _is_model(tp):
        yield path, tp
    elif origin in (Union, types.UnionType):
        for member in get_args(tp):
            yield from _children(member, path, owner, depth)
    elif origin is dict:
        names = KEY_NAMES.get(owner, "name")
        names = (names,) if isinstance(names, str) else names
        placeholder = f"<{names[min(depth, len(names) - 1)]}>"
        yield from _children(get_args(tp)[1], f"{path}.{placeholder}", owner, depth + 1)
    elif origin is list:
        yield from _children(get_args(tp)[0], f"{path}[]", owner, depth)


def model_paths() -> dict[type[BaseModel], list[str]]:
    """Every model of the schema with the key paths where it is written, in document order."""
    found: dict[type[BaseModel], list[str]] = {s.ScenarioSpec: ["(top level)"]}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}{_key(name, info)}"
            for child_path, child in _children(info.annotation, path, (model, name)):
                found.setdefault(child, [])
                if child_path not in found[child]:
                    found[child].append(child_path)
                walk(child, child_path + ".")

    walk(s.ScenarioSpec, "")
    shared = (s.Param, s.Reference)  # used in many places: described last
    return {m: p for m, p in found.items() if m not in shared} | {m: found[m] for m in shared}


def field_paths() -> dict[str, tuple[type[BaseModel], str]]:
    """Key path pattern (``behaviour.events.<event>.modifier``) → (model, field name)."""
    out: dict[str, tuple[type[BaseModel], str]] = {}
    for model, paths in model_paths().items():
        for path in paths:
            prefix = "" if path == "(top level)" else f"{path}."
            for name, info in model.model_fields.items():
                out[f"{prefix}{_key(name, info)}"] = (model, name)
    return out


# ---------------------------------------------------------------------------------------------
# Expression sites, from the mechanisms


def _sample_spec() -> s.ScenarioSpec:
    """The smallest scenario that has one expression of every site."""
    day = dt.date(2020, 1, 1)
    return s.ScenarioSpec.model_validate(
        {
            "name": "sample",
            "world": {"start": day, "end": day + dt.timedelta(days=1)},
            "behaviour": {"events": {"EVENT": {"daily_probability": 0.1}}},
            "observation": {
                "sources": {"SOURCE": {"coverage": "urban"}},
                "detection": {"EVENT": "urban"},
            },
            "schemes": {
                "SCHEME": {
                    "kind": "points",
                    "base": 1.0,
                    "deltas": {"EVENT": 1.0},
                    "grades": {"GRADE_LOW": 0.0, "GRADE_HIGH": 1.0},
                },
                "LIST": {"kind": "blacklist", "records": ["EVENT"], "term_days": 1.0},
                "COMPOSITE": {
                    "kind": "composite",
                    "range": [0.0, 1.0],
                    "dimensions": {"DIMENSION": {"weight": 1.0}},
                    "bands": {"BAND_LOW": 0.0, "BAND_HIGH": 1.0},
                },
            },
            "measures": {"MEASURE": {"when": "listed"}},
            "hukou": {
                "rights": {"RIGHT": {"access": "local_hukou"}},
                "conversion": {"RULE": {"annual_probability": 0.1}},
            },
        }
    )


# Placeholder names of the sample scenario, as key paths show them ...
_SAMPLE_NAMES = {
    "EVENT": "<event>",
    "SOURCE": "<source>",
    "SCHEME": "<scheme>",
    "LIST": "<scheme>",
    "COMPOSITE": "<scheme>",
    "MEASURE": "<measure>",
    "RIGHT": "<right>",
    "RULE": "<rule>",
}
# ... and as the variables named after them (the status variables) show them.
_SAMPLE_VARIABLES = {"LIST": "<list>", "COMPOSITE": "<composite>"}
_SAMPLE_GRADES = ("GRADE_LOW", "GRADE_HIGH")
_SAMPLE_BANDS = ("BAND_LOW", "BAND_HIGH")


def _variable_name(name: str) -> str:
    return _SAMPLE_VARIABLES.get(name, name)


def _owner(spec: BaseModel, path: tuple) -> tuple[type[BaseModel], str]:
    """The (model, field) that holds the value at ``path`` of a scenario (a mapping's value
    belongs to the field that holds the mapping)."""
    node: Any = spec
    owner: tuple[type[BaseModel], str] | None = None
    for part in path:
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            name = next((n for n, f in fields.items() if _key(n, f) == part), str(part))
            owner = (type(node), name)
            node = getattr(node, name)
        elif isinstance(node, dict):
            node = node[part]
        else:
            node = node[int(part)]
    assert owner is not None, path
    return owner


def expression_sites() -> list[tuple[str, tuple[type[BaseModel], str], str, Mapping[str, Any]]]:
    """(key path, (model, field), result type, variables) of every expression site."""
    from scsim.rules import Bool
    from scsim.scenario.expressions import expression_sites as sites

    spec = _sample_spec()
    out = []
    for path, _, variables, expect in sites(spec):
        key = ".".join(_SAMPLE_NAMES.get(str(p), str(p)) for p in path)
        result = "condition" if isinstance(expect, Bool) else "number"
        out.append((key, _owner(spec, path), result, variables))
    return out


def _vocabularies() -> dict[str, tuple[list[str], Mapping[str, Any]]]:
    """Vocabulary title → (site paths, variables), in site order."""
    vocabularies: dict[str, tuple[list[str], Mapping[str, Any]]] = {}
    for key, (_, field), _, variables in expression_sites():
        same = [t for t, (_, known) in vocabularies.items() if dict(known) == dict(variables)]
        title = same[0] if same else VOCABULARY_TITLES.get(field, f"Variables of `{field}`")
        if title in vocabularies and not same:  # another vocabulary has this title already
            title = f"{title} (`{field}`)"
        keys = vocabularies.setdefault(title, ([], variables))[0]
        if key not in keys:  # several sample schemes share `schemes.<scheme>.applies_to`
            keys.append(key)
    return vocabularies


# ---------------------------------------------------------------------------------------------
# Rendering


def _anchor(title: str) -> str:
    """The anchor GitHub gives a heading with this text."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _link(model: type[BaseModel]) -> str:
    title = model_title(model)
    return f"[{title.lower() if model is s.Param else title}](#{_anchor(title)})"


def _number(value: float) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:g}"


def _render_type(tp: Any, owner: tuple[type[BaseModel], str], expression: str | None) -> str:
    tp, _ = _unwrap(tp)
    origin = get_origin(tp)
    if expression is not None and tp is str:
        return f"{expression} [expression](#expressions)"
    if _is_model(tp):
        return _link(tp)
    if origin is Literal:
        return "text"
    if origin in (Union, types.UnionType):
        members = [_render_type(m, owner, expression) for m in get_args(tp)]
        members = [m for m in members if m != "null"]
        return " or ".join(members)
    if origin is dict:
        key = KEY_NAMES.get(owner, "name")
        return f"mapping: {key} → {_render_type(get_args(tp)[1], owner, expression)}"
    if origin is list:  # of names or numbers: no expression is written in a list
        return f"list of {_plural(_render_type(get_args(tp)[0], owner, None))}"
    names = {
        bool: "true/false",
        int: "whole number",
        float: "number",
        str: "text",
        dt.date: "date",
        type(None): "null",
    }
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _plural(word: str) -> str:
    plurals = {"text": "texts", "true/false": "true/false values", "whole number": "whole numbers"}
    if word in plurals:
        return plurals[word]
    if word.startswith("[") or " " in word:
        return word
    return word + "s"


def _bounds(bounds: s.Bounds) -> str:
    """A parameter's range in the Allowed column: "values in [0, 1]", "whole values ≥ 0"."""
    low = None if bounds.low is None else _number(bounds.low)
    high = None if bounds.high is None else _number(bounds.high)
    values = "whole values" if bounds.whole else "values"
    if low is not None and high is not None and not bounds.above_low:
        return f"{values} in [{low}, {high}]"
    parts = [f"{'>' if bounds.above_low else '≥'} {low}" if low is not None else ""]
    parts.append(f"≤ {high}" if high is not None else "")
    text = " and ".join(p for p in parts if p)
    return f"{values} {text}" if text else "finite values"


def _constraints(info: FieldInfo) -> list[str]:
    tp, metadata = _unwrap(info.annotation)
    metadata = [*info.metadata, *metadata]
    if get_origin(tp) is dict:  # the range of each entry's parameter
        metadata += [m for m in _unwrap(get_args(tp)[1])[1] if isinstance(m, s.Bounds)]
    out: list[str] = [_bounds(m) for m in metadata if isinstance(m, s.Bounds)]
    if get_origin(tp) is Literal:
        out.append(", ".join(f"`{v}`" for v in get_args(tp)))
    lengths: dict[str, int] = {}
    bounds = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}
    for item in metadata:  # annotated_types' Gt, Ge, ..., MinLen, MaxLen, and pydantic's pattern
        for attribute, symbol in bounds.items():
            if getattr(item, attribute, None) is not None:
                out.append(f"{symbol} {_number(getattr(item, attribute))}")
        for attribute in ("min_length", "max_length"):
            if getattr(item, attribute, None) is not None:
                lengths[attribute[:3]] = getattr(item, attribute)
        if getattr(item, "pattern", None):
            out.append(f"matches `{item.pattern}`")
    if lengths.get("min") == lengths.get("max") and "min" in lengths:
        out.append(f"exactly {lengths['min']} items")
    elif lengths:
        text = tp is str
        if "min" in lengths:
            out.append("not empty" if text and lengths["min"] == 1 else f"≥ {lengths['min']} items")
        if "max" in lengths:
            out.append(f"≤ {lengths['max']} items")
    return out


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    value = info.default
    if value is None:
        return "not set"
    if isinstance(value, s.Param):
        if list(value.values) == [s.EPOCH_START]:
            only = value.values[s.EPOCH_START]
            return "`null`" if only is None else f"`{_number(only)}`"
        return f"`{value.values}`"
    if isinstance(value, BaseModel):
        changed = [  # a default that differs from the model's own defaults, as Jurisdiction's scope
            f"`{_key(name, type(value).model_fields[name])}: {getattr(value, name)}`"
            for name in sorted(value.model_fields_set)
        ]
        return "its defaults" + (", with " + ", ".join(changed) if changed else "")
    if isinstance(value, bool | int | float):
        return f"`{_number(value)}`"
    if isinstance(value, str):
        return f'`"{value}"`' if value == "" else f"`{value}`"
    if isinstance(value, list):
        return "`[" + ", ".join(_number(v) for v in value) + "]`"
    if isinstance(value, dict):
        return "`{}`"
    return f"`{value!r}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _expression_fields() -> dict[tuple[type[BaseModel], str], str]:
    return {owner: result for _, owner, result, _ in expression_sites()}


def _model_section(model: type[BaseModel], paths: list[str], lines: list[str]) -> None:
    title = model_title(model)
    lines += [f"## {title}", ""]
    where = ", ".join(f"`{p}`" for p in paths) if paths != ["(top level)"] else "the top level"
    kind = model.model_fields.get("kind")
    if kind is not None and get_origin(kind.annotation) is Literal:
        where += " with " + " or ".join(f"`kind: {k}`" for k in get_args(kind.annotation))
    doc = model_description(model)
    lines += [doc, "", f"Written at: {where}.", ""]
    expressions = _expression_fields()
    lines += [
        "| Key | Type | Default | Allowed | Description |",
        "|---|---|---|---|---|",
    ]
    for name, info in model.model_fields.items():
        owner = (model, name)
        kind = _render_type(info.annotation, owner, expressions.get(owner))
        description = info.description or "*(undocumented)*"
        allowed = "; ".join(_constraints(info))
        row = [f"`{_key(name, info)}`", kind, _default(info), allowed, description]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    lines.append("")
    checks = MODEL_CHECKS.get(model, ())
    if checks:
        lines += ["Checked when loading:", ""]
        lines += [f"- {check}" for check in checks]
        lines.append("")


def _type_name(tp: Any) -> str:
    from scsim.core.vocabulary import PROVINCE_NAMES
    from scsim.rules import Bool, Number, Ordinal

    if isinstance(tp, Bool):
        return "true/false"
    if isinstance(tp, Number):
        return "number"
    if isinstance(tp, Ordinal):
        if tuple(tp.levels) == tuple(PROVINCE_NAMES):
            return "ordinal: [province names](#provinces)"
        if tuple(tp.levels) == _SAMPLE_BANDS:
            return "ordinal: the composite score's band names"
        if tuple(tp.levels) == _SAMPLE_GRADES:
            return "ordinal: the points scheme's grade names"
        raise ValueError(f"an ordinal variable over unknown levels {tp.levels}")
    return str(tp)


def _refused(constructs: Iterator[str] | Any) -> str:
    """The refused constructs as one list, operators of one family grouped."""
    families: dict[str, list[str]] = {"comments": [], "keyword arguments": []}
    for text in constructs:
        if text == "attribute access":
            text = "attribute access other than `p.<path>`"
        name, _, symbol = text.partition(" (")
        families.setdefault(name, [])
        if symbol:
            families[name].append(f"`{symbol.rstrip(')')}`")
    return ", ".join(
        f"{name} ({' '.join(symbols)})" if symbols else name
        for name, symbols in sorted(families.items(), key=lambda kv: kv[0].strip("`"))
    )


def _range_text(r) -> str:
    """A declared range as the reference shows it: '0 to 188 (whole)'."""

    def number(x: float) -> str:
        return f"{x:,.0f}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:.4g}"

    return f"{number(r.low)} to {number(r.high)}{' (whole)' if r.whole else ''}"


def _expressions_section(lines: list[str]) -> None:
    from scsim.core.vocabulary import ATTRIBUTE_RANGES, DYNAMIC
    from scsim.rules import FUNCTIONS
    from scsim.rules.interval import EXP_LIMIT
    from scsim.rules.parse import (
        _ARITH,
        _COMPARE,
        _CONSTRUCTS,
        MAX_CLAUSES,
        MAX_EXPONENT,
        MAX_LENGTH,
        MAX_PARENS,
    )
    from scsim.scenario.expressions import MAX_MODIFIER

    lines += [
        "## Expressions",
        "",
        "Conditions and amounts are written in a small language: Python expression syntax, "
        "parsed with `ast` under an allowlist and never evaluated as Python. Each expression is "
        "compiled once when the scenario is loaded and evaluated over whole arrays. A condition "
        "must be true/false; where a number is expected, true/false counts as 1/0.",
        "",
        "| Written at | Result | Reads |",
        "|---|---|---|",
    ]
    vocabularies = _vocabularies()
    rows = {key: result for key, _, result, _ in expression_sites()}
    for key, result in rows.items():
        title = next(t for t, (keys, _) in vocabularies.items() if key in keys)
        lines.append(f"| `{key}` | {result} | [{title.lower()}](#{_anchor(title)}) |")
    lines += [
        "",
        "Besides variables, an expression may use:",
        "",
        "- numbers (`0.5`, `1e-3`), `True`, `False`;",
        "- `p.<path>`: the value of a dated parameter of this scenario on the start date, "
        "e.g. `p.schemes.court.grace_days` (fixed for the whole run);",
        "- arithmetic " + ", ".join(f"`{op}`" for op in _ARITH.values()) + " (computed in "
        "float64; see *Proven finite* below);",
        "- comparisons "
        + ", ".join(f"`{op}`" for op in _COMPARE.values())
        + ", chained as in Python (`18 <= age < 60`); a text literal may only be compared with "
        "an ordinal variable (`grade >= 'A'`, `province == 'Shandong'`);",
        "- `and`, `or`, `not`; `a if cond else b`;",
        "- the functions below.",
        "",
        "| Function | Meaning |",
        "|---|---|",
    ]
    for name, (_, _, usage) in FUNCTIONS.items():
        lines.append(f"| `{usage}` | {FUNCTION_DOCS.get(name, '*(undocumented)*')} |")
    refused = _refused(_CONSTRUCTS.values())
    lines += [
        "",
        f"Not allowed: {refused}, any name starting with `__`, and calls of anything "
        f"but the functions above. Expressions are at most {MAX_LENGTH:,} characters, with "
        f"parentheses nested at most {MAX_PARENS} deep and constant exponents within "
        f"±{MAX_EXPONENT:g}; a condition has at most {MAX_CLAUSES} top-level `or` clauses. "
        "Names and operators are ASCII: a look-alike (a full-width `ａ`, a Cyrillic `а`, `≥`) is "
        "an error naming the character. Line breaks count as spaces, so a long expression may "
        "use a YAML block scalar.",
        "",
        "**Proven finite.** When the scenario is loaded, each expression is checked by interval "
        "arithmetic over the values its variables can take (true/false 0 or 1, an ordinal its "
        "levels, a number the range below; a parameter is its value on the start date): a part "
        "that can be NaN or infinite anywhere in that domain — a divisor or a remainder's divisor "
        "that can be 0, `log` of what can be 0 or less, `sqrt` of what can be negative, `exp` of "
        f"more than {EXP_LIMIT:.2f}, 0 to a negative power, a negative number to a power that is "
        "not a whole number, a result past the largest float64 — is an error at its column, "
        "with the range it can take and a guard. The branches of `a if c else b` and `where`, "
        "and the later operands of `and`/`or`, are checked only where they are used, so "
        "`where(income > 0, log(income), 0)` is accepted. A detection probability or a "
        "coverage must lie in [0, 1] and an event's modifier must be at most "
        f"{MAX_MODIFIER:,.0f} over the whole domain (clamp it with `min`, `max` or `clip`).",
        "",
        "| Number | Range | Why |",
        "|---|---|---|",
        *(f"| `{name}` | {_range_text(r)} | {r.why} |" for name, r in ATTRIBUTE_RANGES.items()),
        "",
    ]
    for title, (keys, variables) in vocabularies.items():
        lines += [f"### {title}", ""]
        lines += ["Read by " + ", ".join(f"`{k}`" for k in keys) + ".", ""]
        lines += ["| Name | Type | Meaning |", "|---|---|---|"]
        for name, tp in variables.items():
            name = _variable_name(name)
            meaning = VARIABLE_DOCS.get(name, "*(undocumented)*")
            if name in DYNAMIC and title == "Citizen attributes" and "change" not in meaning:
                meaning += " Changes during a run."
            lines.append(f"| `{name}` | {_type_name(tp)} | {meaning} |")
        lines.append("")
    lines += [
        "When expressions are evaluated: an event's `modifier` or `eligible` that reads none of "
        + ", ".join(f"`{d}`" for d in sorted(DYNAMIC))
        + " once, at the start of the run, and otherwise again on each 1 January; a points "
        "scheme's `applies_to` and a hukou right's `needs` and `access` at each epoch start; a "
        "list's `applies_to`, a hukou conversion's `requires` and a composite score's "
        "`adoption.eligible` at each epoch end (the last also at the start of the run); a "
        "detection rule or a source's `coverage` once for every province and cell, again when a "
        "source's dated values change; a measure's `when` once for every combination of status "
        "values, looked up at each epoch start. The state kept by the mechanisms (lists, "
        "scores, friends, residence) reads as the mechanisms last set it.",
        "",
    ]


def _metrics_section(lines: list[str]) -> None:
    from scsim.core.metrics import GROUPS

    lines += [
        "## Metrics",
        "",
        "The names a calibration target may use in `metric` and `group`: the rows of "
        "timeseries.parquet (`date, metric, group, category, value`). Epoch rows are dated on "
        "the epoch's last day; counts are in real-population units. `category` holds the event "
        "kind, measure, grade, list, band or right for the metrics that have one, and is empty "
        "otherwise. Metrics exist only when the scenario has what they count: grade and points "
        "metrics a points scheme; `list_*` a black or red list; `composite_*` a composite "
        "score; `friends_mean` a friendship graph; `ties_dropped` and `score_assortativity` "
        "both of the last two; `rights_lacking` hukou rights; "
        "`hukou_conversions` conversion rules; `migrants` either; `trips_*` and `blocked_*` an "
        "event kind with an `air_ticket` or `rail_ticket` consequence.",
        "",
        "Groups: " + ", ".join(f"`{g}`" for g in GROUPS) + ".",
        "",
        "| Metric | Category | Groups | Meaning |",
        "|---|---|---|---|",
    ]
    for metric, (groups, category) in metric_vocabulary().items():
        which = "every group" if len(groups) == len(GROUPS) else ", ".join(f"`{g}`" for g in groups)
        meaning = METRIC_DOCS.get(metric, "*(undocumented)*")
        lines.append(f"| `{metric}` | {category} | {which} | {meaning} |")
    lines.append("")


def _vocabulary_lists(lines: list[str]) -> None:
    from scsim.core.vocabulary import CONSEQUENCES
    from scsim.population.census import PROVINCE_NAMES, PROVINCE_POPULATION

    lines += ["## Consequences", "", "| Consequence | Effect |", "|---|---|"]
    for name in CONSEQUENCES:
        lines.append(f"| `{name}` | {CONSEQUENCE_DOCS.get(name, '*(undocumented)*')} |")
    lines += [
        "",
        "## Provinces",
        "",
        "The 31 province-level divisions, as written in `provinces` lists and compared with "
        "`province`, with their 2020 census population.",
        "",
        "| Province | Population (2020) |",
        "|---|---|",
    ]
    for name, people in zip(PROVINCE_NAMES, PROVINCE_POPULATION, strict=True):
        lines.append(f"| {name} | {int(people):,} |")
    lines.append("")


def render() -> str:
    """The whole reference as Markdown."""
    paths = model_paths()
    lines = [
        "# Scenario reference",
        "",
        "<!-- Generated by src/scsim/docsgen/reference.py from the schema and the mechanisms; "
        f"do not edit. Regenerate with: {REGENERATE} -->",
        "",
        "Every key of the scenario format, generated from the schema. Unknown keys are errors, "
        "and so are `.nan` and `.inf` wherever a number goes. "
        "How to write a scenario, with examples: [scenarios.md](scenarios.md); what the "
        "mechanisms do with these values: [modelling.md](modelling.md).",
        "",
        f"A scenario is one YAML file, or a folder holding `{FOLDER_ENTRY}`. Besides the keys "
        f"below, the top level of any file may hold `{INCLUDE_KEY}:`, a path or a list of paths "
        "(relative to that file) merged underneath it before validation: mappings merge key by "
        "key, anything else is replaced, and later files win. An include stays inside the "
        "scenario's folder tree, or names a bundled part as `scsim:parts/<name>.yaml`; each file "
        "is UTF-8 without control characters and at most "
        f"{MAX_FILE_BYTES // (1 << 20)} MiB ([scenarios.md](scenarios.md#files-and-include)).",
        "",
        "Contents: "
        + ", ".join(f"[{model_title(m)}](#{_anchor(model_title(m))})" for m in paths)
        + ", [Expressions](#expressions), [Metrics](#metrics), [Consequences](#consequences), "
        "[Provinces](#provinces).",
        "",
    ]
    for model, where in paths.items():
        _model_section(model, where, lines)
    _expressions_section(lines)
    _metrics_section(lines)
    _vocabulary_lists(lines)
    return "\n".join(lines).rstrip("\n") + "\n"


def undocumented() -> list[str]:
    """Every field, variable, function, consequence and metric without a description."""
    from scsim.core.vocabulary import CONSEQUENCES
    from scsim.rules import FUNCTIONS

    missing = [
        f"{model.__name__}.{name}"
        for model in model_paths()
        for name, info in model.model_fields.items()
        if not info.description
    ]
    missing += [
        f"model {m.__name__} (a title in its model_config and a docstring)"
        for m in model_paths()
        if not (m.model_config.get("title") and model_description(m))
    ]
    for _, variables in _vocabularies().values():
        missing += [
            f"variable {_variable_name(v)}"
            for v in variables
            if _variable_name(v) not in VARIABLE_DOCS
        ]
    missing += [f"function {f}" for f in FUNCTIONS if f not in FUNCTION_DOCS]
    missing += [f"consequence {c}" for c in CONSEQUENCES if c not in CONSEQUENCE_DOCS]
    missing += [f"metric {m}" for m in metric_vocabulary() if m not in METRIC_DOCS]
    return sorted(dict.fromkeys(missing))


def misdescribed() -> list[str]:
    """Every field description that no longer states the limit the mechanisms enforce."""
    return [
        f"{model.__name__}.{name} should say: {limit}"
        for (model, name), limit in LIMITS.items()
        if limit not in (model.model_fields[name].description or "")
    ]


def main() -> None:
    """Print the reference to standard output (UTF-8)."""
    sys.stdout.buffer.write(render().encode("utf-8"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
