"""The one error raised for a bad scenario expression, with the column of the offending text."""

from __future__ import annotations


class ExprError(ValueError):
    """A scenario expression that cannot be compiled; ``column`` is a 0-based offset in ``source``."""

    def __init__(self, message: str, column: int, source: str) -> None:
        super().__init__(message, column, source)
        self.message = message
        self.column = column
        self.source = source

    def __str__(self) -> str:
        return f"column {self.column}: {self.message}"
