"""Numbers as people read them in terminals and messages: counts, shares, durations and the
audit's metric values. One module, so that ``scsim show``, ``audit``, ``compare``, ``explain``
and the messages of the library below them format alike. (The HTML report's sentences use
``scsim.report.wording``, which words numbers for prose.)
"""

from __future__ import annotations

import math
from typing import Any

# Audit metrics read as percentages besides every *_share and *_rate.
PERCENT = {"offenders_never_recorded"}


def missing(x: Any) -> bool:
    """None or NaN."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_num(x: float | int | None) -> str:
    """A count for humans: 1,234 · 45.6 k · 1.23 M · 1.41 B."""
    if missing(x):
        return "–"
    x = float(x)  # type: ignore[arg-type]
    a = abs(x)
    for scale, suffix, threshold in ((1e9, "B", 1e9), (1e6, "M", 1e6), (1e3, "k", 1e4)):
        if a >= threshold:
            return f"{x / scale:.3g} {suffix}" if a < 1e3 * scale else f"{x / scale:,.0f} {suffix}"
    if a >= 1000 or x == round(x):
        return f"{x:,.0f}"
    return f"{x:.3g}"


def fmt_pct(x: float | None) -> str:
    """A share for humans: 4.5% · 0.0123%."""
    if missing(x):
        return "–"
    return f"{float(x) * 100:.3g}%"  # type: ignore[arg-type]


def fmt_duration(seconds: float | None) -> str:
    """A duration for humans: 850 ms · 12.3 s · 4 min 05 s · 1 h 02 min."""
    if missing(seconds):
        return "–"
    s = float(seconds)  # type: ignore[arg-type]
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 60:
        return f"{s:.3g} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def fmt_yuan(value: float | None) -> str:
    """An amount of money: ¥1,234 (¥12.50 under a hundred)."""
    if missing(value):
        return "–"
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 100 or value == round(value):
        return f"{sign}¥{value:,.0f}"
    return f"{sign}¥{value:,.2f}"


def fmt_plain(value: Any) -> str:
    """A number in full: 1,234 · 45.6 · 0.0123 (no k/M/B)."""
    if missing(value):
        return "–"
    value = float(value)
    return f"{value:,.0f}" if abs(value) >= 1000 or value == round(value) else f"{value:.3g}"


def fmt_calibration(metric: str | None, x: float | None) -> str:
    """A calibration value: a share if the metric looks like one, else a count."""
    name = (metric or "").lower()
    is_share = any(word in name for word in ("share", "rate", "fraction", "prop"))
    return fmt_pct(x) if is_share else fmt_num(x)


def fmt_period(period: Any) -> str:
    """A calibration period: a single date/label or a range."""
    if isinstance(period, list | tuple):
        return "…".join(str(p) for p in period)
    return "–" if period is None else str(period)


def fmt_metric(metric: str, value: float | None) -> str:
    """An audit metric's value as it reads in a table (rich markup for a failed four-fifths
    check)."""
    if missing(value):
        return "–"
    if metric.endswith(("_share", "_rate")) or metric in PERCENT:
        return "0%" if value == 0 else fmt_pct(value)  # never "-0%"
    if metric in ("statistical_parity_difference", "adverse_difference"):
        return f"{value * 100:+.3g} pp"
    if metric in ("four_fifths", "adverse_four_fifths"):
        return "[red]fails[/]" if value else "ok"
    if metric == "adverse_ratio":
        return f"{value:.3g}×"
    if metric in ("disparate_impact_ratio", "gini"):
        return f"{value:.3f}"
    return fmt_plain(value)
