"""Checks that span sections: every name a scenario uses must exist, every date must fit the horizon."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import TYPE_CHECKING

from scsim.engine.metrics import metric_vocabulary
from scsim.population.census import PROVINCE_NAMES
from scsim.scenario.errors import PathError, did_you_mean
from scsim.scenario.schema import ParameterPathError, parameter_at

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

    for kind in spec.observation.detection:
        unknown_event(("observation", "detection", kind), kind)
    if horizon is not None:  # the world validated
        province_list(("world", "population", "provinces"), spec.world.population.provinces)

    kinds: dict[str, str] = {}
    for name, scheme in spec.schemes.items():
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
            uncapped = scheme.cap is None or None in scheme.cap.values.values()
            if uncapped and events is not None:
                # Deterrence scales a rate by (points / base) ** exponent; the engine samples
                # against its largest value, which only a cap bounds.
                for kind, event in spec.behaviour.events.items():
                    if event.deterrence.points_exponent > 0:
                        errors.append(
                            PathError(
                                ("behaviour", "events", kind, "deterrence", "points_exponent"),
                                f"deterrence by points needs a cap on the points scheme "
                                f"'{name}' at all times (it bounds the event's rate) — add a "
                                "`cap:` there, and do not repeal it",
                            )
                        )
            province_list(
                ("schemes", name, "jurisdiction", "provinces"), scheme.jurisdiction.provinces
            )
            inside_horizon(("schemes", name, "jurisdiction", "from"), scheme.jurisdiction.start)
            inside_horizon(("schemes", name, "jurisdiction", "until"), scheme.jurisdiction.until)
            if (
                horizon is not None
                and scheme.cap is not None
                and scheme.cap.at(horizon[0]) is not None
            ):
                base = scheme.base.at(horizon[0]) or 0.0
                if scheme.cap.at(horizon[0]) < base:
                    errors.append(PathError(("schemes", name, "cap"), "the cap is below the base"))
        elif scheme.national_from < scheme.list_from:
            errors.append(
                PathError(
                    ("schemes", name, "national_from"),
                    "the list cannot be national before it exists (national_from < list_from)",
                )
            )

    if len(spec.measures) + len(lost.entries(("measures",))) > 15:
        errors.append(PathError(("measures",), "at most 15 measures per scenario for now"))

    metrics = metric_vocabulary()
    for name, target in spec.calibration.items():
        inside_horizon(("calibration", name, "period", 0), target.period[0])
        inside_horizon(("calibration", name, "period", 1), target.period[1])
        at = ("calibration", name)
        if target.metric not in metrics:
            hint = did_you_mean(target.metric, metrics)
            errors.append(PathError((*at, "metric"), f"unknown metric '{target.metric}'{hint}"))
            continue
        groups, category = metrics[target.metric]
        if category:
            errors.append(
                PathError(
                    (*at, "metric"),
                    f"'{target.metric}' is split by {category}; a target needs a metric with one "
                    "value per date, such as 'listed_share_adults'",
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
            if lost.whole(tuple(setting.path.split("."))):
                continue  # the part it names failed: its parameters are unknown
            try:
                _, bounds = parameter_at(spec, setting.path)
            except ParameterPathError as err:
                # where an entry of the same mapping is already reported (say, a misspelt
                # event in 'deltas'), the reform may well name it as it was meant
                named_wrong = any(e.rel_path[:-1] == err.found for e in errors)
                if not named_wrong:
                    errors.append(PathError((*at, "path"), str(err), at_value=True))
                continue
            if problem := bounds.problem(setting.value):
                message = f"{setting.path} {problem}"
                errors.append(PathError((*at, "value"), message, at_value=True))
    return errors


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
