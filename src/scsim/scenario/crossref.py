"""Checks that span sections: every name a scenario uses must exist, every date must fit the horizon."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import TYPE_CHECKING

from scsim.core.limits import MAX_BANDS, MAX_LISTS, MAX_MEASURES, MAX_RIGHTS
from scsim.core.metrics import FLOWS, metric_vocabulary
from scsim.core.vocabulary import CELL_FLAGS, PROVINCE_NAMES, input_names
from scsim.scenario.errors import PathError, did_you_mean
from scsim.scenario.schema import (
    EPOCH_START,
    Param,
    ParameterPathError,
    fixed_problem,
    parameter_at,
)

if TYPE_CHECKING:
    from scsim.scenario.schema import ScenarioSpec
    from scsim.scenario.yamlpos import DataPath


def check_cross_references(
    spec: ScenarioSpec, failed: Collection[DataPath] = ()
) -> list[PathError]:
    """All cross-section problems of a scenario, each at the path where it is written.

    ``failed`` names the parts that did not validate when ``spec`` holds only the rest (see
    ``validate_parts``). A check that needs a failed part is skipped, so that one mistake is not
    reported again as every name or date it seems to break elsewhere.
    """
    errors: list[PathError] = []
    lost = FailedParts(failed)
    events = None
    if not lost.whole(("behaviour", "events")):
        events = set(spec.behaviour.events) | lost.entries(("behaviour", "events"))
    horizon = None if lost.whole(("world",)) else (spec.world.start, spec.world.end)

    def unknown_event(path: tuple, name: str) -> None:
        if events is not None and name not in events:
            errors.append(PathError(path, f"unknown event '{name}'{did_you_mean(name, events)}"))

    def province_list(path: tuple, names: tuple[str, ...] | None) -> None:
        for i, name in enumerate(names or ()):
            if name not in PROVINCE_NAMES:
                hint = did_you_mean(name, PROVINCE_NAMES)
                errors.append(PathError((*path, i), f"unknown province '{name}'{hint}"))

    def inside_horizon(path: tuple, day: dt.date | None) -> None:
        if horizon is not None and day is not None and not horizon[0] <= day <= horizon[1]:
            errors.append(
                PathError(
                    path,
                    f"{day} is outside the scenario's horizon {horizon[0]} to {horizon[1]}",
                )
            )

    def until_after_from(path: tuple, start: dt.date | None, until: dt.date | None) -> None:
        if start is not None and until is not None and until <= start:
            errors.append(
                PathError(
                    (*path, "until"),
                    f"'until' ({until}) must be after 'from' ({start}): 'until' is the first "
                    "day no longer in force",
                )
            )

    for kind in spec.observation.detection:
        unknown_event(("observation", "detection", kind), kind)
    if horizon is not None:  # the world validated
        provinces = spec.world.population.provinces
        province_list(("world", "population", "provinces"), provinces)
        if provinces is not None and not provinces:
            errors.append(
                PathError(
                    ("world", "population", "provinces"),
                    "the list of provinces is empty: name at least one, or leave the key out "
                    "for all 31",
                )
            )
        errors.extend(_never_in_force(spec, horizon, lost))

    def jurisdiction(path: tuple, place) -> None:
        province_list((*path, "provinces"), place.provinces)
        for province, day in place.rollout.items():
            if province not in PROVINCE_NAMES:
                hint = did_you_mean(province, PROVINCE_NAMES)
                errors.append(PathError((*path, "rollout", province),
                                        f"unknown province '{province}'{hint}"))  # fmt: skip
            inside_horizon((*path, "rollout", province), day)
        inside_horizon((*path, "from"), place.start)
        inside_horizon((*path, "until"), place.until)
        until_after_from(path, place.start, place.until)

    sources = set(spec.observation.sources) | lost.entries(("observation", "sources"))
    for kind, rule in spec.observation.detection.items():
        for i, name in enumerate(rule if isinstance(rule, list) else ()):
            if name not in sources:
                errors.append(
                    PathError(("observation", "detection", kind, i),
                              f"unknown source '{name}'{did_you_mean(name, sources)}")
                )  # fmt: skip
    for name, source in spec.observation.sources.items():
        for flag in source.intensity:
            if flag not in CELL_FLAGS:
                errors.append(
                    PathError(("observation", "sources", name, "intensity", flag),
                              f"'{flag}' is not a group flag{did_you_mean(flag, CELL_FLAGS)} "
                              f"(one of: {', '.join(CELL_FLAGS)})")
                )  # fmt: skip

    # (a part that failed validation may hold an outcome: then the list is not known)
    if not any(f[:1] in (("schemes",), ("measures",), ("hukou",)) for f in lost.failed):
        errors.extend(_headline_problems(spec))

    list_names = {n for n, s in spec.schemes.items() if s.kind in ("blacklist", "redlist")}
    court = spec.court_list()
    listable = list_names | ({court[0]} if court else set()) | lost.entries(("schemes",))
    if len(list_names) > MAX_LISTS:
        errors.append(PathError(("schemes",), f"at most {MAX_LISTS} black or red lists for now"))

    kinds: dict[str, str] = {}
    for name, scheme in spec.schemes.items():
        if scheme.kind in ("blacklist", "redlist"):
            for i, event in enumerate(scheme.records):
                unknown_event(("schemes", name, "records", i), event)
            for i, other in enumerate(scheme.excludes):
                if other not in listable or other == name:
                    hint = did_you_mean(other, listable - {name})
                    errors.append(PathError(("schemes", name, "excludes", i),
                                            f"'{other}' is not another list{hint}"))  # fmt: skip
            jurisdiction(("schemes", name, "jurisdiction"), scheme.jurisdiction)
            continue
        if scheme.kind == "composite":
            if len(scheme.bands) > MAX_BANDS:
                errors.append(PathError(("schemes", name, "bands"),
                                        f"at most {MAX_BANDS} bands for now"))  # fmt: skip
            known = input_names(tuple(events)) if events is not None else None
            for dim, dimension in scheme.dimensions.items():
                for i, term in enumerate(dimension.terms):
                    if known is not None and term.input not in known:
                        errors.append(
                            PathError(("schemes", name, "dimensions", dim, "terms", i, "input"),
                                      f"unknown input '{term.input}'"
                                      f"{did_you_mean(term.input, known)}")
                        )  # fmt: skip
            jurisdiction(("schemes", name, "jurisdiction"), scheme.jurisdiction)
        if scheme.kind in kinds:
            errors.append(
                PathError(
                    ("schemes", name, "kind"),
                    f"only one '{scheme.kind}' scheme per scenario for now "
                    f"('{kinds[scheme.kind]}' is one already)",
                )
            )
        kinds.setdefault(scheme.kind, name)
        if scheme.kind == "points":
            for event in scheme.deltas:
                unknown_event(("schemes", name, "deltas", event), event)
            for province, local in scheme.local_deltas.items():
                at = ("schemes", name, "local_deltas", province)
                if province not in PROVINCE_NAMES:
                    hint = did_you_mean(province, PROVINCE_NAMES)
                    errors.append(PathError(at, f"unknown province '{province}'{hint}"))
                for event in local:
                    unknown_event((*at, event), event)
            uncapped = scheme.cap is None or None in scheme.cap.values.values()
            if uncapped and events is not None:
                # Deterrence scales a rate by (points / base) ** exponent; the engine samples
                # against its largest value, which only a cap bounds.
                for kind, event in spec.behaviour.events.items():
                    exponent = event.deterrence.points_exponent.values.values()
                    if any(v is not None and v > 0 for v in exponent):
                        errors.append(
                            PathError(
                                ("behaviour", "events", kind, "deterrence", "points_exponent"),
                                f"deterrence by points needs a cap on the points scheme "
                                f"'{name}' at all times (it bounds the event's rate) — add a "
                                "`cap:` there, and do not repeal it",
                            )
                        )
            jurisdiction(("schemes", name, "jurisdiction"), scheme.jurisdiction)
            if (
                horizon is not None
                and scheme.cap is not None
                and scheme.cap.at(horizon[0]) is not None
            ):
                base = scheme.base.at(horizon[0]) or 0.0
                if (cap := scheme.cap.at(horizon[0])) < base:
                    message = (f"the cap ({cap:g}) is below the base ({base:g}) on the start "
                               f"date {horizon[0]} — raise the cap or lower the base")  # fmt: skip
                    errors.append(PathError(("schemes", name, "cap"), message))
        elif scheme.kind == "court_list":
            if scheme.national_from < scheme.list_from:
                errors.append(
                    PathError(
                        ("schemes", name, "national_from"),
                        "the list cannot be national before it exists (national_from < list_from)",
                    )
                )
            errors += _backlog_problems(spec, name, scheme, lost)

    if len(spec.hukou.rights) > MAX_RIGHTS:
        errors.append(PathError(("hukou", "rights"), f"at most {MAX_RIGHTS} rights for now"))
    for name, rule in spec.hukou.conversion.items():
        province_list(("hukou", "conversion", name, "provinces"), rule.provinces)

    if len(spec.measures) + len(lost.entries(("measures",))) > MAX_MEASURES:
        names = list(spec.measures)
        extra = names[MAX_MEASURES] if len(names) > MAX_MEASURES else None
        errors.append(
            PathError(
                ("measures", extra) if extra is not None else ("measures",),
                f"at most {MAX_MEASURES} measures per scenario for now: this is measure "
                f"{MAX_MEASURES + 1} of {len(spec.measures) + len(lost.entries(('measures',)))}; "
                "merge some, or drop those the question does not need",
            )
        )

    metrics = metric_vocabulary()
    for name, target in spec.calibration.items():
        at = ("calibration", name)
        if target.period is not None:
            inside_horizon((*at, "period", 0), target.period[0])
            inside_horizon((*at, "period", 1), target.period[1])
        if target.since is not None:
            inside_horizon((*at, "since"), target.since)
        for i, point in enumerate(target.series):
            inside_horizon((*at, "series", i, "date"), point.date)
        if target.metric not in metrics:
            hint = did_you_mean(target.metric, metrics)
            errors.append(PathError((*at, "metric"), f"unknown metric '{target.metric}'{hint}"))
            continue
        flow = target.metric in FLOWS
        if target.kind in ("cumulative", "flow") and not flow:
            errors.append(PathError((*at, "metric"), (
                f"a {target.kind} target adds up a flow (a count per epoch), and "
                f"'{target.metric}' is a level on its date — use a flow such as 'new_listings', "
                "or kind: stock/mean")))  # fmt: skip
        elif target.kind == "stock" and flow:
            errors.append(PathError((*at, "metric"), (
                f"'{target.metric}' is a flow (a count per epoch), not a stock — use kind: "
                "cumulative (with since) or flow, or a stock such as 'listed'")))  # fmt: skip
        groups, category = metrics[target.metric]
        if target.categories and not category:
            errors.append(
                PathError((*at, "categories"), f"'{target.metric}' is not split by category")
            )
        if target.metric.startswith("composite_band") and spec.composite():
            bands = spec.composite()[1].bands
            for i, name in enumerate(target.categories):
                if name not in bands:
                    errors.append(PathError((*at, "categories", i),
                                            f"unknown band '{name}'{did_you_mean(name, bands)}"))  # fmt: skip
        if category and not target.categories:
            errors.append(
                PathError(
                    (*at, "metric"),
                    f"'{target.metric}' is split by {category}; name the {category}s to add up "
                    "with `categories:`, or use a metric with one value per date, such as "
                    "'listed_share_adults'",
                )
            )
        if target.group not in groups:
            hint = did_you_mean(target.group, groups)
            errors.append(
                PathError((*at, "group"), f"'{target.metric}' has no group '{target.group}'{hint}")
            )

    for name, reform in spec.reforms.items():
        for i, setting in enumerate(reform.set):
            at = ("reforms", name, "set", i)
            inside_horizon((*at, "from"), setting.start)
            inside_horizon((*at, "until"), setting.until)
            until_after_from(at, setting.start, setting.until)
            if lost.whole(tuple(setting.path.split("."))):
                continue  # the part it names failed: its parameters are unknown
            try:
                number, bounds = parameter_at(spec, setting.path)
            except ParameterPathError as err:
                # where an entry of the same mapping is already reported (say, a misspelt
                # event in 'deltas'), the reform may well name it as it was meant
                named_wrong = any(e.rel_path[:-1] == err.found for e in errors)
                if not named_wrong:
                    errors.append(PathError((*at, "path"), str(err), at_value=True))
                continue
            if not isinstance(number, Param) and (
                problem := fixed_problem(setting.path, setting.value, setting.start, setting.until)
            ):
                where = "from" if setting.start else "until" if setting.until else "value"
                errors.append(PathError((*at, where), problem, at_value=True))
            elif problem := bounds.problem(setting.value):
                message = f"{setting.path} {problem}"
                errors.append(PathError((*at, "value"), message, at_value=True))
    return errors


def _never_in_force(
    spec: ScenarioSpec, horizon: tuple[dt.date, dt.date], lost: FailedParts
) -> list[PathError]:
    """A dated parameter whose first value is dated after the horizon's end is never in force:
    the run would silently use nothing (0) instead."""
    errors = []
    for path, param in _params(spec, ()):
        if lost.whole(tuple(str(p) for p in path)):
            continue
        dated = [d for d in param.values if d != EPOCH_START]
        if dated and min(dated) > horizon[1] and EPOCH_START not in param.values:
            first = min(dated)
            errors.append(
                PathError(
                    (*path, "values", first),
                    f"every value of this parameter is dated after the horizon's end "
                    f"({horizon[1]}), so none is in force during the run: date the first value "
                    f"on or before {horizon[1]}",
                )
            )
    return errors


def _params(node: object, path: tuple) -> list[tuple[tuple, Param]]:
    """Every dated parameter below ``node``, with its data path as written (keys by alias)."""
    if isinstance(node, Param):
        return [(path, node)]
    found: list[tuple[tuple, Param]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_params(value, (*path, key)))
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            found.extend(_params(value, (*path, i)))
    elif hasattr(type(node), "model_fields"):
        for name, field in type(node).model_fields.items():
            found.extend(_params(getattr(node, name), (*path, field.alias or name)))
    return found


class FailedParts:
    """The parts of a scenario that failed validation, by data path (keys as text)."""

    def __init__(self, failed: Collection[DataPath]) -> None:
        self.failed = [tuple(str(key) for key in path) for path in failed]

    def whole(self, path: DataPath) -> bool:
        """Whether ``path`` is unknown: it, or a part that holds it, failed."""
        return any(path[: len(f)] == f for f in self.failed)

    def entries(self, path: DataPath) -> set:
        """The keys of the entries of the mapping at ``path`` that failed (and were left out)."""
        return {f[-1] for f in self.failed if len(f) == len(path) + 1 and f[:-1] == path}


def _headline_problems(spec: ScenarioSpec) -> list[PathError]:
    """A headline outcome the scenario's mechanisms do not have, or one named twice."""
    known = spec.adverse_outcomes()
    errors, seen = [], set()
    for i, name in enumerate(spec.headline):
        if name in seen:
            errors.append(PathError(("headline", i), f"'{name}' is named twice"))
        elif name not in known:
            have = ", ".join(known) if known else "none: it has no mechanism that hurts anyone"
            errors.append(PathError(
                ("headline", i),
                f"'{name}' is not an outcome of this scenario's mechanisms"
                f"{did_you_mean(name, known)} (it has: {have})",
            ))  # fmt: skip
        seen.add(name)
    return errors


def _backlog_problems(spec, name: str, scheme, lost: FailedParts) -> list[PathError]:
    """A backlog of old judgments follows a judgment event's amounts and rates: it must name one
    (unless the event it names is one that failed validation, which has its own message)."""
    backlog = scheme.backlog
    if (backlog.share.at(scheme.list_from) or 0.0) == 0.0:
        return []
    if backlog.like is not None and lost.whole(("behaviour", "events", backlog.like)):
        return []
    path = ("schemes", name, "backlog", "like")
    events = spec.behaviour.events if spec.behaviour is not None else {}
    judgments = sorted(k for k, e in events.items() if e.consequence == "judgment")
    options = ", ".join(judgments) or "none in this scenario"
    if backlog.like is None:
        return [PathError(path, f"a backlog needs the judgment event it is like ({options})")]
    event = events.get(backlog.like)
    if event is None or event.consequence != "judgment":
        what = "not a behaviour event" if event is None else "not an event with a judgment"
        return [PathError(path, f"'{backlog.like}' is {what}; judgment events: {options}")]
    return []
