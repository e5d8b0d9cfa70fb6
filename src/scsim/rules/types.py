"""The value types of scenario expressions: true/false, numbers and ordered levels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bool:
    """True/false values; held as numpy bool arrays."""


@dataclass(frozen=True)
class Number:
    """Real numbers; held as numeric arrays and computed in float64."""


@dataclass(frozen=True)
class Ordinal:
    """Ordered named levels, lowest first; held as integer codes 0..n-1."""

    levels: tuple[str, ...]

    def __post_init__(self) -> None:
        levels = tuple(self.levels)
        if not levels or not all(isinstance(level, str) for level in levels):
            raise ValueError(f"an ordinal needs one or more text levels, got {self.levels!r}")
        if len(set(levels)) != len(levels):
            raise ValueError(f"ordinal levels must be distinct, got {levels!r}")
        object.__setattr__(self, "levels", levels)

    def code(self, level: str) -> int:
        """The integer code of a level."""
        return self.levels.index(level)


Type = Bool | Number | Ordinal


def describe(type_: Type) -> str:
    """How a type reads in an error message."""
    if isinstance(type_, Bool):
        return "true/false"
    if isinstance(type_, Number):
        return "a number"
    return "an ordinal"
