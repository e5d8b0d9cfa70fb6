"""Numbers as people read them: shares, counts of persons, ratios, differences, intervals and
durations. The one formatting module of scsim: the terminal (``scsim show``, ``audit``,
``compare``, ``explain``), the messages of the library and the HTML reports all format here, so
that one value reads the same everywhere (0.0114 is "1.14%" in ``show``, ``audit`` and a report).

The rules: three significant figures, never in exponent notation; shares as percentages, with no
digit finer than 0.0001% (a share closer to zero than rounding error prints "0%"); people as
whole persons; an interval clamped to its metric's domain (a share's to 0–100%, a ratio's and a
count's to zero and up) before it is printed, so that a bound of 6.78e-19 reads "0%".
"""

from __future__ import annotations

import math
from typing import Any

# Audit metrics read as percentages besides every *_share and *_rate.
PERCENT = {"offenders_never_recorded"}
# Audit metrics that are differences of two shares (percentage points).
SHARE_DIFFERENCES = {"statistical_parity_difference", "adverse_difference"}
# Audit metrics that are 0/1 flags per run (a mean over runs is a share of runs).
FLAGS = {"four_fifths", "adverse_four_fifths", "calibration_within"}
# Audit metrics that are ratios of two rates.
RATIOS = {"adverse_ratio", "disparate_impact_ratio"}
DUST = 1e-12  # a share or difference closer to zero than this is rounding error: it prints 0
PCT_PLACES = 4  # no percentage digit finer than 0.0001%
PLACES = 4  # no plain number's digit finer than 0.0001 (a mean of acts or days per adult)


def missing(x: Any) -> bool:
    """None or NaN."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def sig(x: float, digits: int = 3) -> str:
    """``x`` with ``digits`` significant figures and thousands separators, never in exponent
    notation; trailing zeros stay, since they are significant: 112,782 → '113,000', 0.012345 →
    '0.0123', 0.018 → '0.0180'."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    magnitude = math.floor(math.log10(abs(x)))
    places = digits - 1 - magnitude
    if places < 0:  # round away the digits past the significant ones
        return f"{round(x, places):,.0f}"
    return f"{x:,.{places}f}"


def _percent_digits(x: float, digits: int) -> str:
    """A percentage number (already × 100), signless, at most PCT_PLACES decimals."""
    a = abs(x)
    text = sig(a, digits)
    if "." in text and len(text.split(".")[1]) > PCT_PLACES:
        text = f"{a:.{PCT_PLACES}f}".rstrip("0").rstrip(".")
    if text in ("0", ""):
        return f"<0.{'0' * (PCT_PLACES - 1)}1"
    return text


# --------------------------------------------------------------------------------------------
# Shares and differences


def pct(value: float | None, digits: int = 3) -> str:
    """A share as a percentage: 0.0114 → '1.14%', 6.78e-19 → '0%', 2e-8 → '<0.0001%'."""
    if missing(value):
        return "–"
    x = float(value)  # type: ignore[arg-type]
    if abs(x) < DUST:
        return "0%"
    return ("−" if x < 0 else "") + _percent_digits(x * 100, digits) + "%"


fmt_pct = pct


def clamp(value: float | None, low: float = 0.0, high: float = 1.0) -> float | None:
    """``value`` inside [low, high] (None and NaN pass through)."""
    if missing(value):
        return value
    return min(max(float(value), low), high)  # type: ignore[arg-type]


def pct_interval(low: float | None, high: float | None) -> str:
    """A 95% interval of a share, clamped to 0–100%: '0.97–1.25%', '0–0.4%' (empty when
    unknown)."""
    if missing(low) or missing(high):
        return ""
    lo, hi = clamp(low), clamp(high)
    left = pct(lo)[:-1]
    return f"{left}–{pct(hi)}"


def pp(value: float | None, digits: int = 3) -> str:
    """A difference of shares in percentage points, signed: '+0.12 pp', '−1.5 pp', '0 pp'."""
    if missing(value):
        return "–"
    x = float(value) * 100  # type: ignore[arg-type]
    if abs(x) < DUST * 100:
        return "0 pp"
    return ("+" if x > 0 else "−") + _percent_digits(x, digits) + " pp"


def signed(value: float | None, digits: int = 3) -> str:
    """A signed plain number: '+0.25', '−1,200', '0'."""
    if missing(value):
        return "–"
    x = float(value)  # type: ignore[arg-type]
    if abs(x) < DUST:
        return "0"
    if abs(x) < 10**-PLACES:
        return "≈0"
    return ("+" if x > 0 else "−") + number(abs(x), digits)


def ratio(value: float | None) -> str:
    """A ratio: '1.8×', '0.93×', '12.5×'."""
    if missing(value):
        return "–"
    x = max(float(value), 0.0)  # type: ignore[arg-type]
    return (f"{x:.2f}" if x < 10 else sig(x, 3)) + "×"


# --------------------------------------------------------------------------------------------
# Counts


def number(value: float | None, digits: int = 3) -> str:
    """A plain number in full: '687', '12,345', '0.0123' (no k/M/B)."""
    if missing(value):
        return "–"
    x = float(value)  # type: ignore[arg-type]
    if abs(x) < DUST:
        return "0"
    if x == round(x) and abs(x) < 1e15:
        return f"{x:,.0f}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) < 10**-PLACES:
        return ("−" if x < 0 else "") + f"<0.{'0' * (PLACES - 1)}1"
    return sig(x, digits)


fmt_plain = number


def fmt_num(value: float | int | None) -> str:
    """A count for tables: 1,234 · 45.6 k · 1.23 M · 1.41 B."""
    if missing(value):
        return "–"
    x = float(value)  # type: ignore[arg-type]
    a = abs(x)
    for scale, suffix, threshold in ((1e9, "B", 1e9), (1e6, "M", 1e6), (1e3, "k", 1e4)):
        if a >= threshold:
            if a >= 1e3 * scale:
                return f"{x / scale:,.0f} {suffix}"
            short = sig(x / scale, 3)  # a count's trailing zeros read as false precision: 12 M
            return (short.rstrip("0").rstrip(".") if "." in short else short) + f" {suffix}"
    return number(x)


compact = fmt_num


def persons(value: float | None) -> str:
    """A count of people for tables, in whole persons: 21.4 → '21', 45,612 → '45.6 k'."""
    if missing(value):
        return "–"
    return fmt_num(round(float(value)))  # type: ignore[arg-type]


def people(value: float | None) -> str:
    """A count of people for prose, in whole persons: '21', '45,600', '13.7 million',
    '1.41 billion'."""
    if missing(value):
        return "–"
    x = float(round(float(value)))  # type: ignore[arg-type]
    for scale, word in ((1e9, "billion"), (1e6, "million")):
        if abs(x) >= scale:
            return f"{sig(x / scale, 3)} {word}"
    if abs(x) >= 1000:
        return sig(x, 3)
    return f"{x:,.0f}"


# --------------------------------------------------------------------------------------------
# Audit metrics


def is_share(metric: str) -> bool:
    """Whether an audit metric's values are shares (printed as percentages)."""
    return metric.endswith(("_share", "_rate")) or metric in PERCENT


def domain(metric: str) -> tuple[float, float]:
    """The values an audit metric can take: its interval is clamped to this."""
    if is_share(metric) or metric in FLAGS:
        return 0.0, 1.0
    if metric in SHARE_DIFFERENCES:
        return -1.0, 1.0
    if metric in ("statistical_parity_difference", "score_assortativity"):
        return -1.0, 1.0
    if metric == "calibration":
        return -math.inf, math.inf
    return 0.0, math.inf  # ratios, counts, means of counts and days, Gini


def fmt_metric(metric: str, value: float | None) -> str:
    """An audit metric's value as it reads in a table (rich markup for a failed four-fifths
    check)."""
    if missing(value):
        return "–"
    if is_share(metric):
        return pct(value)
    if metric in SHARE_DIFFERENCES:
        return pp(value)
    if metric in ("four_fifths", "adverse_four_fifths"):
        return "[red]fails[/]" if value else "ok"
    if metric in RATIOS:
        return ratio(value) if metric == "adverse_ratio" else f"{value:.3f}"
    if metric == "gini":
        return f"{value:.3f}"
    return number(value)


def fmt_interval(metric: str, low: float | None, high: float | None) -> str:
    """An audit metric's interval, clamped to its domain: '0% – 1.2%', '0.91× – 1.4×'."""
    if missing(low) or missing(high):
        return ""
    lo, hi = domain(metric)
    low, high = clamp(low, lo, hi), clamp(high, lo, hi)
    if metric in ("four_fifths", "adverse_four_fifths"):
        return ""
    return f"{fmt_metric(metric, low)} – {fmt_metric(metric, high)}"


def fmt_difference(metric: str, value: float | None) -> str:
    """A difference B − A of an audit metric as it reads: percentage points for shares (and
    flags: points of the share of runs), a signed number otherwise."""
    if missing(value):
        return "–"
    if is_share(metric) or metric in FLAGS or metric in SHARE_DIFFERENCES:
        return pp(value)
    return signed(value)


# --------------------------------------------------------------------------------------------
# Money, time and calibration


def fmt_duration(seconds: float | None) -> str:
    """A duration for humans: 850 ms · 12.3 s · 4 min 05 s · 1 h 02 min."""
    if missing(seconds):
        return "–"
    s = float(seconds)  # type: ignore[arg-type]
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 60:
        return f"{sig(s, 3)} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def fmt_yuan(value: float | None) -> str:
    """An amount of money: ¥1,234 (¥12.50 under a hundred)."""
    if missing(value):
        return "–"
    sign = "-" if value < 0 else ""  # type: ignore[operator]
    value = abs(value)  # type: ignore[arg-type]
    if value >= 100 or value == round(value):
        return f"{sign}¥{value:,.0f}"
    return f"{sign}¥{value:,.2f}"


def calibration_is_share(metric: str | None) -> bool:
    """Whether a calibration target's metric is a share (its values print as percentages)."""
    name = (metric or "").lower()
    return any(word in name for word in ("share", "rate", "fraction", "prop"))


def fmt_calibration(metric: str | None, x: float | None) -> str:
    """A calibration value: a share if the target's metric is one, else a count."""
    return pct(x) if calibration_is_share(metric) else fmt_num(x)


def fmt_period(period: Any) -> str:
    """A calibration period: a single date/label or a range."""
    if isinstance(period, list | tuple):
        return "…".join(str(p) for p in period)
    return "–" if period is None else str(period)


__all__ = [
    "FLAGS",
    "PERCENT",
    "calibration_is_share",
    "clamp",
    "compact",
    "domain",
    "fmt_calibration",
    "fmt_difference",
    "fmt_duration",
    "fmt_interval",
    "fmt_metric",
    "fmt_num",
    "fmt_pct",
    "fmt_period",
    "fmt_plain",
    "fmt_yuan",
    "is_share",
    "missing",
    "number",
    "pct",
    "pct_interval",
    "people",
    "persons",
    "pp",
    "ratio",
    "sig",
    "signed",
]
