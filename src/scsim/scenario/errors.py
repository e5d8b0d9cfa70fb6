"""Scenario errors a person can act on: each one positioned as ``file:line:col: path: message``."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem in a scenario; ``line``/``col`` are 1-based, 0 when there is no position."""

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line > 0 else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """Every problem found in a scenario, reported together, sorted by file and position."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: list[Issue] = sorted(issues, key=lambda i: (i.file, i.line, i.col))
        super().__init__("\n".join(str(issue) for issue in self.issues))


class PathError(ValueError):
    """A validator's error at ``rel_path`` below the model that raised it.

    ``at_value`` places it at the value written there rather than at its key.
    """

    def __init__(self, rel_path: Sequence[object], message: str, *, at_value: bool = False) -> None:
        self.rel_path: tuple[object, ...] = tuple(rel_path)
        self.message = message
        self.at_value = at_value
        super().__init__(message)


class PathErrors(ValueError):
    """Several :class:`PathError` raised at once by one validator, each reported on its own."""

    def __init__(self, errors: Iterable[PathError]) -> None:
        self.errors: list[PathError] = list(errors)
        super().__init__("; ".join(error.message for error in self.errors))


class IssueCollector:
    """Gathers issues so that all of them can be raised together."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(self, issue: Issue) -> None:
        """Record one issue."""
        self.issues.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        """Record several issues."""
        self.issues.extend(issues)

    def raise_if_any(self) -> None:
        """Raise a :class:`ScenarioError` carrying every recorded issue, if there is one."""
        if self.issues:
            raise ScenarioError(self.issues)

    def __len__(self) -> int:
        return len(self.issues)


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """A " — did you mean 'x'?" suffix naming the closest option, or "" when none is close."""
    matches = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f" — did you mean '{matches[0]}'?" if matches else ""


def format_path(path: Sequence[object]) -> str:
    """A dotted path such as ``schemes.rongcheng.deltas.x`` (dates as ISO, indices as numbers)."""
    return ".".join(p.isoformat() if isinstance(p, dt.date) else str(p) for p in path)


def describe(value: object) -> str:
    """How a given value reads in a message: "the string '0.5'", "a list"."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the value {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string '{value if len(value) <= 40 else value[:39] + '…'}'"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"
