"""The one formatting module (scsim.results.format): a value reads the same in ``scsim show``,
``scsim audit`` and the HTML report; people are whole persons; intervals are clamped to their
domain; numbers carry three significant figures and never an exponent."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from scsim.results.format import (
    compact,
    fmt_calibration,
    fmt_difference,
    fmt_interval,
    fmt_metric,
    fmt_num,
    number,
    pct,
    pct_interval,
    people,
    persons,
    pp,
    ratio,
    signed,
)

ENTRY = {
    "name": "listed_2019", "target": "listed_2019", "label": "Listed adults, 2019",
    "kind": "mean", "metric": "listed_share_adults", "group": "all", "period": ["2019-01-01",
    "2019-12-31"], "low": 0.0114, "high": 0.0114, "simulated": 0.0114, "within": True,
    "covered": True,
}  # fmt: skip


def _printed(renderable) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(renderable)
    return out.getvalue()


def test_a_share_reads_the_same_in_show_audit_and_the_report() -> None:
    from scsim.cli.audit import _calibration as audit_calibration
    from scsim.cli.show import _calibration_table as show_calibration
    from scsim.report.findings import calibration as finding
    from scsim.report.page import _calibration as report_calibration

    assert pct(0.0114) == fmt_metric("listing_rate", 0.0114) == "1.14%"
    assert fmt_calibration("listed_share_adults", 0.0114) == "1.14%"
    assert "1.14% – 1.14%" in _printed(show_calibration({"calibration": [ENTRY]}))
    assert "1.14% – 1.14%" in _printed(audit_calibration([ENTRY]))
    assert "0.0114" not in _printed(audit_calibration([ENTRY]))
    assert "1.14% – 1.14%" in report_calibration([ENTRY])
    missed = {**ENTRY, "simulated": 0.02, "within": False}
    assert "simulated 2.00%, target 1.14%–1.14%" in finding([missed]).text


@pytest.mark.parametrize(
    ("value", "whole"), [(21.4, "21"), (21.6, "22"), (0.4, "0"), (45_612.3, "45.6 k")]
)
def test_people_are_whole_persons(value: float, whole: str) -> None:
    assert persons(value) == whole
    assert "." not in people(value) or "million" in people(value)
    assert people(21.4) == "21"


def test_interval_bounds_are_clamped_to_their_domain() -> None:
    assert pct(6.78e-19) == "0%"
    assert pct_interval(6.78e-19, 0.0123) == "0–1.23%"
    assert pct_interval(-0.002, 1.3) == "0–100%"
    assert fmt_interval("listing_rate", 6.78e-19, 0.0123) == "0% – 1.23%"
    assert fmt_interval("listing_rate", -1e-17, 0.5) == "0% – 50.0%"
    assert fmt_interval("adverse_ratio", -0.2, 1.4) == "0.00× – 1.40×"
    assert fmt_interval("days_listed_per_adult", -3.2, 10) == "0 – 10"


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0114, "1.14%"), (0.5, "50.0%"), (0.018, "1.80%"), (1.0, "100%"), (0.000123, "0.0123%"), (2e-8, "<0.0001%"),
     (0.0, "0%"), (0.123456, "12.3%")],
)  # fmt: skip
def test_shares_have_three_significant_figures(value: float, text: str) -> None:
    assert pct(value) == text


def test_differences_and_counts() -> None:
    assert pp(0.0012) == "+0.120 pp"
    assert pp(-0.015) == "−1.50 pp"
    assert pp(0.0) == pp(1e-19) == "0 pp"
    assert fmt_difference("listing_rate", 0.0012) == "+0.120 pp"
    assert fmt_difference("events_per_adult", -0.4934) == "−0.493"
    assert signed(2.75e-10) == "≈0"
    assert number(2.75e-10) == "<0.0001"
    assert fmt_num(1234) == compact(1234) == "1,234"
    assert fmt_num(45_612) == "45.6 k"
    assert fmt_num(1.41e9) == "1.41 B"
    assert fmt_num(12e6) == "12 M"  # a count has no trailing zeros
    assert ratio(1.8) == "1.80×" and ratio(12.46) == "12.5×"


@pytest.mark.parametrize("value", [1e-19, 3.3e-12, 2.5e-7, 0.00012, 0.37, 5.5, 1234.5, 9.9e12])
def test_nothing_prints_in_exponent_notation(value: float) -> None:
    for text in (pct(value), pp(value), number(value), signed(value), fmt_num(value),
                 persons(value), people(value), fmt_metric("gini", value),
                 fmt_metric("events_per_adult", value)):  # fmt: skip
        assert "e-" not in text and "e+" not in text, text
