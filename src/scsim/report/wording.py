"""Numbers as they read in a sentence: shares, counts of people, ratios, intervals."""

from __future__ import annotations

import math
from typing import Any


def missing(value: Any) -> bool:
    """Whether a value is absent (None or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _sig(x: float, digits: int) -> str:
    """``x`` with ``digits`` significant figures, never in exponent notation."""
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    places = digits - 1 - magnitude
    if places < 0:  # round away the digits past the significant ones: 112,782 → 113,000
        return f"{round(x, places):,.0f}"
    return f"{x:,.{places}f}"


def pct(value: float | None, digits: int = 3) -> str:
    """A share as a percentage: 0.0111 → '1.11%'."""
    if missing(value):
        return "–"
    return _sig(float(value) * 100, digits) + "%"


def pct_interval(low: float | None, high: float | None) -> str:
    """A 95% interval of a share: '0.97–1.25%' (empty when unknown)."""
    if missing(low) or missing(high):
        return ""
    return f"{_sig(float(low) * 100, 3)}–{pct(high)}"


def pp(value: float | None, digits: int = 2) -> str:
    """A difference of shares in percentage points, signed: '+0.12 pp'."""
    if missing(value):
        return "–"
    x = float(value) * 100
    return ("+" if x > 0 else "−" if x < 0 else "±") + _sig(abs(x), digits) + " pp"


def ratio(value: float | None) -> str:
    """A ratio: '1.8×', '0.93×'."""
    if missing(value):
        return "–"
    x = float(value)
    return (f"{x:.2f}" if x < 10 else _sig(x, 3)) + "×"


def number(value: float | None, digits: int = 3) -> str:
    """A plain number: '687', '0.0123', '12,345'."""
    if missing(value):
        return "–"
    x = float(value)
    if x == round(x) and abs(x) < 1e15:
        return f"{x:,.0f}"
    return _sig(x, digits)


def people(value: float | None) -> str:
    """A count of people for prose: '13.7 million', '1.41 billion', '45,600'."""
    if missing(value):
        return "–"
    x = float(value)
    for scale, word in ((1e9, "billion"), (1e6, "million")):
        if abs(x) >= scale:
            return f"{_sig(x / scale, 3)} {word}"
    if abs(x) >= 1000:
        return _sig(x, 3)
    return f"{x:,.0f}"


def compact(value: float | None) -> str:
    """A count for tables: '13.7 M', '45.6 k', '812'."""
    if missing(value):
        return "–"
    x = float(value)
    for scale, suffix in ((1e9, " B"), (1e6, " M"), (1e3, " k")):
        if abs(x) >= scale:
            return _sig(x / scale, 3) + suffix
    return number(x)


__all__ = ["compact", "missing", "number", "people", "pct", "pct_interval", "pp", "ratio"]
