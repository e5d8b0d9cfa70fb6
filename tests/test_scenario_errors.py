"""The real scenario schema: every class of error a scenario author can make, with its position.

Each test writes a variant of the bundled ``mesa-reference`` scenario (extended with a court list,
a measure, detection rules, calibration targets and a reform so every section is exercised) and
checks that ``scsim.load`` reports the problem at the right ``file:line:col`` with a message that
says what to change.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, get_args, get_origin

import pytest

import scsim
from scsim.docsgen import reference
from scsim.scenario.errors import Issue, ScenarioError
from scsim.scenario.model import Scenario, bundled_path
from scsim.scenario.schema import Bounds, Param

HORIZON = "2020-01-01 to 2020-12-30"  # mesa-reference's horizon, as messages name it

# Inserted into mesa-reference so that jurisdiction and population provinces are exercised.
JURISDICTION = '    applies_to: "True"\n'
JURISDICTION_NEW = (
    '    applies_to: "True"\n    jurisdiction: {provinces: [Shandong], from: 2020-03-01}\n'
)
OBSERVATION = "observation:\n"
OBSERVATION_NEW = 'observation:\n  detection:\n    traffic_violation: "0.5 if urban else 0.3"\n'
PROVINCES = "    agents: 100000\n"
PROVINCES_NEW = "    agents: 100000\n    provinces: [Shandong, Jiangsu]\n"

# Appended after mesa-reference's last section (``schemes:``): a second scheme, then new sections.
EXTRA = """\
  court:
    kind: court_list
    list_from: 2020-01-01
    national_from: 2020-06-01
    grace_days: 30
    term_days: 730
    pay_if_able: 0.8
measures:
  low_grade_loans:
    label: Loans refused to low grades
    when: "grade <= 'C' and not listed"
    effects: {interest_add: 0.02}
calibration:
  listed_share:
    metric: listed_share_adults
    period: [2020-06-01, 2020-12-01]
    low: 0.0
    high: 0.1
reforms:
  harsher:
    description: Bigger ticket penalty from July.
    set:
      - {path: schemes.traffic_points.deltas.traffic_violation, value: -10, from: 2020-07-01}
"""


def _base_text() -> str:
    text = bundled_path("mesa-reference").read_text(encoding="utf-8")
    for old, new in ((JURISDICTION, JURISDICTION_NEW), (PROVINCES, PROVINCES_NEW),
                     (OBSERVATION, OBSERVATION_NEW)):  # fmt: skip
        assert text.count(old) == 1, f"mesa-reference changed: {old!r} not found once"
        text = text.replace(old, new)
    assert text.rstrip().splitlines()[-1].startswith("    "), "schemes must be the last section"
    return text.rstrip("\n") + "\n" + EXTRA


BASE = _base_text()


def variant(tmp_path: Path, *changes: tuple[str, str], name: str = "scenario.yaml") -> Path:
    """Write BASE with each ``(old, new)`` replacement applied (``old`` must occur once)."""
    text = BASE
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the scenario"
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def where(path: Path, needle: str, offset: int = 0) -> tuple[int, int]:
    """The 1-based (line, column) of the only occurrence of ``needle`` in the file, + offset."""
    text = path.read_text(encoding="utf-8")
    assert text.count(needle) == 1, f"{needle!r} occurs {text.count(needle)} times"
    index = text.index(needle) + offset
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def issues_of(source: Path | str) -> list[Issue]:
    with pytest.raises(ScenarioError) as caught:
        scsim.load(source)
    issues = caught.value.issues
    assert issues, "a ScenarioError must carry at least one issue"
    return issues


def only_issue(source: Path | str) -> Issue:
    issues = issues_of(source)
    assert len(issues) == 1, "\n".join(str(i) for i in issues)
    return issues[0]


def at(issue: Issue) -> tuple[int, int]:
    return issue.line, issue.col


# ---------------------------------------------------------------------------------------------
# The base scenario itself


def test_the_extended_reference_scenario_is_valid_and_exercises_every_section(
    tmp_path: Path,
) -> None:
    sc = scsim.load(variant(tmp_path))
    assert isinstance(sc, Scenario)
    spec = sc.spec
    assert spec.points_scheme() is not None and spec.court_list() is not None
    assert list(spec.measures) == ["low_grade_loans"]
    assert list(spec.observation.detection) == ["traffic_violation"]
    assert list(spec.calibration) == ["listed_share"]
    assert list(spec.reforms) == ["harsher"]
    assert spec.world.population.provinces == ["Shandong", "Jiangsu"]


# ---------------------------------------------------------------------------------------------
# Keys


# One misspelt name: (the edit, where the message points, the dotted path, what it must say).
MISSPELT = {
    "key": (
        ("  seed: 1\n", "  sede: 1\n"), "sede:", "world.sede",
        ["unknown key 'sede'", "did you mean 'seed'"],
    ),
    "top-level section": (
        ("\nschemes:\n", "\nschemess:\n"), "schemess:", "schemess",
        ["did you mean 'schemes'"],
    ),
    "event in points deltas": (
        ("    deltas:\n      traffic_violation:", "    deltas:\n      traffic_violaton:"),
        "traffic_violaton:", "schemes.traffic_points.deltas.traffic_violaton",
        ["unknown event 'traffic_violaton'", "did you mean 'traffic_violation'"],
    ),
    "event in observation detection": (
        ('    traffic_violation: "0.5', '    traffic_violatio: "0.5'), "traffic_violatio:",
        "observation.detection.traffic_violatio",
        ["unknown event 'traffic_violatio'", "did you mean 'traffic_violation'"],
    ),
    "province in a jurisdiction": (
        ("provinces: [Shandong], from", "provinces: [Shandon], from"), "Shandon]",
        "schemes.traffic_points.jurisdiction.provinces.0",
        ["unknown province 'Shandon'", "did you mean 'Shandong'"],
    ),
    "province in the population": (
        ("provinces: [Shandong, Jiangsu]", "provinces: [Jiangsu, Shandongg]"), "Shandongg",
        "world.population.provinces.1", ["did you mean 'Shandong'"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MISSPELT))
def test_a_misspelt_name_is_reported_at_it_with_the_closest(tmp_path: Path, case: str) -> None:
    change, needle, dotted, fragments = MISSPELT[case]
    path = variant(tmp_path, change)
    issue = only_issue(path)
    assert issue.file == str(path)
    assert at(issue) == where(path, needle)
    assert issue.path == dotted
    for fragment in fragments:
        assert fragment in issue.message


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    path = variant(tmp_path, ("    term_days: 730\n", ""))
    issue = only_issue(path)
    assert issue.path == "schemes.court.term_days"
    assert "missing required key 'term_days'" in issue.message
    assert at(issue) == where(path, "court:")  # the mapping that lacks it


# ---------------------------------------------------------------------------------------------
# Types


def test_quoted_whole_number_says_remove_the_quotes_at_the_value(tmp_path: Path) -> None:
    path = variant(tmp_path, (PROVINCES_NEW, PROVINCES_NEW.replace("100000", '"1000"')))
    issue = only_issue(path)
    assert at(issue) == where(path, '"1000"')
    assert issue.path == "world.population.agents"
    assert "the string '1000'" in issue.message
    assert "remove the quotes" in issue.message


def test_quoted_parameter_says_remove_the_quotes(tmp_path: Path) -> None:
    path = variant(tmp_path, ("    grace_days: 30\n", '    grace_days: "0.5"\n'))
    issue = only_issue(path)
    assert issue.path == "schemes.court.grace_days"
    assert at(issue) in (where(path, "grace_days:"), where(path, '"0.5"'))
    assert "'0.5'" in issue.message
    assert "remove the quotes" in issue.message


def test_quoted_word_is_not_told_to_remove_the_quotes(tmp_path: Path) -> None:
    path = variant(tmp_path, ("    pay_if_able: 0.8\n", '    pay_if_able: "high"\n'))
    issue = only_issue(path)
    assert issue.path == "schemes.court.pay_if_able"
    assert "expected a number" in issue.message
    assert "remove the quotes" not in issue.message


@pytest.mark.parametrize(
    ("old", "new", "path", "expected"),
    [
        (PROVINCES_NEW, PROVINCES_NEW.replace("100000", "[1000, 2000]"),
         "world.population.agents", "expected a whole number, got a list"),
        ("    pay_if_able: 0.8\n", "    pay_if_able: [0.8, 0.9]\n",
         "schemes.court.pay_if_able",
         "expected a number or a dated parameter (a mapping with 'values'), got a list"),
    ],
)  # fmt: skip
def test_list_where_a_number_is_expected(
    tmp_path: Path, old: str, new: str, path: str, expected: str
) -> None:
    file = variant(tmp_path, (old, new))
    issue = only_issue(file)
    assert issue.path == path
    assert expected in issue.message
    key = path.rsplit(".", 1)[1] + ":"
    assert issue.line == where(file, key)[0]


def test_list_where_a_parameter_number_is_expected(tmp_path: Path) -> None:
    path = variant(tmp_path, ("    grace_days: 30\n", "    grace_days: [30, 60]\n"))
    issue = only_issue(path)
    assert issue.path == "schemes.court.grace_days"
    assert "a number" in issue.message


def test_unknown_scheme_kind_suggests_the_closest(tmp_path: Path) -> None:
    path = variant(tmp_path, ("kind: court_list", "kind: court_lst"))
    issue = only_issue(path)
    assert at(issue) == where(path, "court_lst")  # at the value
    assert issue.path == "schemes.court.kind"
    assert "court_lst" in issue.message
    assert "did you mean 'court_list'" in issue.message


# ---------------------------------------------------------------------------------------------
# Values that do not make sense


GRADES = "grades: {D: 0, C: 600, B: 850, A: 960, AA: 1030, AAA: 1050}"


@pytest.mark.parametrize(
    ("grades", "band", "below"),
    [
        ("grades: {D: 0, C: 600, B: 550, A: 960, AA: 1030, AAA: 1050}", "B", "C"),  # unordered
        ("grades: {D: 0, C: 600, B: 850, A: 850, AA: 1030, AAA: 1050}", "A", "B"),  # same start
    ],
)
def test_overlapping_grade_bands_name_both_bands(
    tmp_path: Path, grades: str, band: str, below: str
) -> None:
    path = variant(tmp_path, (GRADES, grades))
    issue = only_issue(path)
    assert issue.path == f"schemes.traffic_points.grades.{band}"
    start = re.search(rf"\b{band}: (\d+)", grades)
    assert at(issue) == where(path, f" {band}: {start.group(1)}", offset=1)
    assert f"'{band}'" in issue.message and f"'{below}'" in issue.message
    assert "overlap" in issue.message


def test_every_overlapping_band_is_reported(tmp_path: Path) -> None:
    path = variant(
        tmp_path, (GRADES, "grades: {D: 0, C: 600, B: 550, A: 500, AA: 1030, AAA: 1050}")
    )
    paths = [i.path for i in issues_of(path)]
    assert paths == ["schemes.traffic_points.grades.B", "schemes.traffic_points.grades.A"]


@pytest.mark.parametrize(
    ("old", "new", "path", "needle"),
    [
        ("period: [2020-06-01, 2020-12-01]", "period: [2020-06-01, 2021-02-01]",
         "calibration.listed_share.period.1", "2021-02-01"),
        ("from: 2020-03-01}", "from: 2019-03-01}",
         "schemes.traffic_points.jurisdiction.from", "from: 2019-03-01"),
        ("value: -10, from: 2020-07-01}", "value: -10, from: 2021-07-01}",
         "reforms.harsher.set.0.from", "from: 2021-07-01"),
        ("from: 2020-03-01}", "from: 2020-03-01, until: 2021-01-01}",
         "schemes.traffic_points.jurisdiction.until", "until: 2021-01-01"),
    ],
)  # fmt: skip
def test_dates_outside_the_horizon_name_the_horizon(
    tmp_path: Path, old: str, new: str, path: str, needle: str
) -> None:
    file = variant(tmp_path, (old, new))
    issue = only_issue(file)
    assert issue.path == path
    assert at(issue) == where(file, needle)
    assert HORIZON in issue.message
    assert "outside" in issue.message


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ("metric: listed_share_adults", "metric: listed_shares_adults",
         "calibration.listed_share.metric",
         "unknown metric 'listed_shares_adults' — did you mean 'listed_share_adults'?"),
        ("metric: listed_share_adults", "metric: events_true",
         "calibration.listed_share.metric", "'events_true' is split by event"),
        ("metric: listed_share_adults", "metric: listed_share_adults\n    group: hukou=rurall",
         "calibration.listed_share.group",
         "no group 'hukou=rurall' — did you mean 'hukou=rural'?"),
    ],
)  # fmt: skip
def test_calibration_target_names_a_metric_and_group_the_run_writes(
    tmp_path: Path, old: str, new: str, path: str, message: str
) -> None:
    issue = only_issue(variant(tmp_path, (old, new)))
    assert issue.path == path
    assert message in issue.message


def test_horizon_ending_before_it_starts(tmp_path: Path) -> None:
    path = variant(tmp_path, ("  end: 2020-12-30", "  end: 2019-12-30"))
    issue = only_issue(path)
    assert issue.path == "world.end"
    assert at(issue) == where(path, "end: 2019-12-30")
    assert "must end after it starts" in issue.message
    assert "2020-01-01" in issue.message


def test_population_of_zero_agents(tmp_path: Path) -> None:
    path = variant(tmp_path, (PROVINCES_NEW, PROVINCES_NEW.replace("100000", "0")))
    issue = only_issue(path)
    assert issue.path == "world.population.agents"
    assert at(issue) == where(path, "agents: 0", offset=len("agents: "))
    assert "greater than 0" in issue.message


@pytest.mark.parametrize("seed", [-1, 2**63, 2**64])
def test_seed_outside_63_bits_is_reported_at_the_value(tmp_path: Path, seed: int) -> None:
    path = variant(tmp_path, ("  seed: 1\n", f"  seed: {seed}\n"))
    issue = only_issue(path)
    assert issue.path == "world.seed"
    assert at(issue) == where(path, f"seed: {seed}", offset=len("seed: "))
    assert str(2**63 - 1) in issue.message


def test_largest_seed_is_accepted(tmp_path: Path) -> None:
    path = variant(tmp_path, ("  seed: 1\n", f"  seed: {2**63 - 1}\n"))
    assert scsim.load(path).spec.world.seed == 2**63 - 1


# ---------------------------------------------------------------------------------------------
# Values out of range


@pytest.mark.parametrize(
    ("old", "new", "path", "needle", "message"),
    [
        ("values: {2020-01-01: 0.0}", "values: {2020-01-01: 1.5}",
         "observation.misattribution.values.2020-01-01", "1.5}",
         "must be between 0 and 1, got 1.5"),
        ("unit: share\n        values: {2020-01-01: 1.0}",
         "unit: share\n        values: {2020-01-01: 1.0, 2020-06-01: -0.4}",
         "schemes.traffic_points.consent.share.values.2020-06-01", "-0.4",
         "must be between 0 and 1, got -0.4"),
        ("    pay_if_able: 0.8\n", "    pay_if_able: 0.8\n    list_probability: 7\n",
         "schemes.court.list_probability", "list_probability: 7",
         "must be between 0 and 1, got 7"),
        ("    pay_if_able: 0.8\n", "    pay_if_able: 0.8\n    list_probability: .nan\n",
         "schemes.court.list_probability", "list_probability: .nan",
         "must be between 0 and 1, got .nan"),
        ("behaviour:\n  events:\n", "behaviour:\n  events:\n    theft: {annual_rate: -0.35}\n",
         "behaviour.events.theft.annual_rate", "annual_rate: -0.35",
         "must be between 0 and 36,525, got -0.35"),
        ("    grace_days: 30\n", "    grace_days: -30\n", "schemes.court.grace_days",
         "grace_days: -30", "must be a whole number from 0 to 32,000, got -30"),
        ("    grace_days: 30\n", "    grace_days: 60.5\n", "schemes.court.grace_days",
         "grace_days: 60.5", "must be a whole number from 0 to 32,000, got 60.5"),
        ("    term_days: 730\n", "    term_days: {values: {2020-01-01: 100000}}\n",
         "schemes.court.term_days.values.2020-01-01", "2020-01-01: 100000",
         "must be a whole number from 0 to 32,000, got 100,000"),
        ("values: {2020-01-01: 0.2}", "values: {2020-01-01: 1.2}",
         "economy.savings_rate.values.2020-01-01", "1.2}", "must be between 0 and 1, got 1.2"),
        ("values: {2020-01-01: 0.05}", "values: {2020-01-01: -1}",
         "economy.income_growth.values.2020-01-01", "-1}", "must be more than -1 and at most 1, got -1"),
        ("values: {2020-01-01: 0.06}", "values: {2020-01-01: -0.01}",
         "economy.debt_interest.values.2020-01-01", "-0.01", "must be between 0 and 1, got -0.01"),
        ("values: {2020-01-01: -5}", "values: {2020-01-01: -40000}",
         "schemes.traffic_points.deltas.traffic_violation.values.2020-01-01", "-40000",
         "must be between -30,000 and 30,000, got -40,000"),
        ("    pay_if_able: 0.8\n", "    pay_if_able: .nan\n", "schemes.court.pay_if_able",
         "pay_if_able: .nan", "must be between 0 and 1, got .nan"),
        ("    high: 0.1\n", "    high: .inf\n", "calibration.listed_share.high", "high: .inf",
         "should be a finite number"),
        ('traffic_violation: "0.5 if urban else 0.3"', "traffic_violation: 1.5",
         "observation.detection.traffic_violation", "traffic_violation: 1.5",
         "less than or equal to 1"),
    ],
    ids=["misattribution", "consent-share", "list-probability", "nan", "annual-rate",
         "negative-days", "fractional-days", "long-term", "savings-rate", "income-growth",
         "debt-interest", "points", "plain-nan", "plain-inf", "detection"],
)  # fmt: skip
def test_a_value_out_of_range_is_reported_at_the_value(
    tmp_path: Path, old: str, new: str, path: str, needle: str, message: str
) -> None:
    file = variant(tmp_path, (old, new))
    issue = only_issue(file)
    assert issue.path == path
    assert message in issue.message
    value = needle.rsplit(" ", 1)[-1].rstrip("}")
    assert at(issue) == where(file, needle, offset=needle.rindex(value))


def test_every_value_out_of_range_is_reported(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("    pay_if_able: 0.8\n",
         "    pay_if_able: 0.8\n    list_probability: {values: {2020-01-01: 7, 2020-02-01: .inf}}\n"),
        ("values: {2020-01-01: 0.0}", "values: {2020-01-01: 1.5}"),
    )  # fmt: skip
    assert [(i.path, i.message) for i in issues_of(path)] == [
        ("observation.misattribution.values.2020-01-01", "must be between 0 and 1, got 1.5"),
        ("schemes.court.list_probability.values.2020-01-01", "must be between 0 and 1, got 7"),
        ("schemes.court.list_probability.values.2020-02-01", "must be between 0 and 1, got .inf"),
    ]


def test_every_dated_parameter_of_the_schema_has_a_range() -> None:
    def params_in(tp: object) -> Iterator[list[object]]:
        """The metadata of each Param inside a field's type (Annotated, unions, mappings)."""
        metadata: list[object] = []
        while get_origin(tp) is Annotated:
            tp, *extra = get_args(tp)
            metadata += extra
        if tp is Param:
            yield metadata
        for arg in get_args(tp):
            yield from params_in(arg)

    found = {
        f"{model.__name__}.{name}": any(isinstance(m, Bounds) for m in metadata)
        for model in reference.model_paths()
        for name, info in model.model_fields.items()
        for metadata in params_in(info.rebuild_annotation())
    }
    assert "CourtList.grace_days" in found and "PointsScheme.deltas" in found
    assert [name for name, bounded in found.items() if not bounded] == []


def test_a_repeal_is_still_allowed(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("values: {2020-01-01: -5}", "values: {2020-01-01: -5, 2020-07-01: null}"),
        ("    term_days: 730\n", "    term_days: {values: {2020-01-01: 730, 2020-09-01: null}}\n"),
    )
    spec = scsim.load(path).spec
    assert spec.points_scheme()[1].deltas["traffic_violation"].at(dt.date(2020, 7, 1)) is None
    assert spec.court_list()[1].term_days.at(dt.date(2020, 9, 1)) is None


# ---------------------------------------------------------------------------------------------
# Expressions: positioned inside the expression


@pytest.mark.parametrize(
    "written",
    ['"agee >= 18"', "'male and agee >= 18'", "male and agee >= 18"],
    ids=["double-quoted", "single-quoted", "plain"],
)
def test_unknown_variable_is_pointed_at_inside_the_expression(tmp_path: Path, written: str) -> None:
    path = variant(tmp_path, (JURISDICTION_NEW, JURISDICTION_NEW.replace('"True"', written)))
    issue = only_issue(path)
    assert issue.path == "schemes.traffic_points.applies_to"
    assert at(issue) == where(path, "agee")
    assert "unknown variable 'agee'" in issue.message
    assert "did you mean 'age'" in issue.message


def test_unknown_variable_in_a_detection_rule(tmp_path: Path) -> None:
    path = variant(tmp_path, ('"0.5 if urban else 0.3"', '"0.5 if urbn else 0.3"'))
    issue = only_issue(path)
    assert issue.path == "observation.detection.traffic_violation"
    assert at(issue) == where(path, "urbn")
    assert "did you mean 'urban'" in issue.message


def test_unknown_parameter(tmp_path: Path) -> None:
    path = variant(tmp_path, ('      eligible: "True"\n', '      eligible: "age >= p.x.y"\n'))
    issue = only_issue(path)
    assert issue.path == "behaviour.events.traffic_violation.eligible"
    assert at(issue) == where(path, "p.x.y")
    assert "unknown parameter" in issue.message
    assert "x.y" in issue.message


def test_known_parameter_is_accepted(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ('      eligible: "True"\n', '      eligible: "age >= p.schemes.court.term_days / 40"\n'),
    )
    assert scsim.load(path).spec.behaviour.events["traffic_violation"].eligible.startswith("age")


def test_unknown_grade_in_a_measure(tmp_path: Path) -> None:
    path = variant(tmp_path, ("grade <= 'C' and", "grade <= 'CC' and"))
    issue = only_issue(path)
    assert issue.path == "measures.low_grade_loans.when"
    line, col = where(path, "'CC'")
    assert issue.line == line
    assert issue.col in (col, col + 1)  # at the literal, with or without its quote
    assert "'CC'" in issue.message
    assert "did you mean 'C'" in issue.message


def test_type_error_in_an_expression(tmp_path: Path) -> None:
    path = variant(tmp_path, ('      eligible: "True"\n', '      eligible: "age and urban"\n'))
    issue = only_issue(path)
    assert issue.path == "behaviour.events.traffic_violation.eligible"
    line, col = where(path, "age and urban")
    assert issue.line == line
    assert col <= issue.col < col + len("age and urban")
    assert "and" in issue.message and "true/false" in issue.message


def test_expression_that_must_be_a_condition_but_is_a_number(tmp_path: Path) -> None:
    path = variant(tmp_path, ("grade <= 'C' and not listed", "income * 2"))
    issue = only_issue(path)
    assert issue.path == "measures.low_grade_loans.when"
    assert issue.line == where(path, "income * 2")[0]


@pytest.mark.parametrize(
    ("old", "new", "bad"),
    [
        ("when: \"grade <= 'C' and not listed\"", "when: 'grade <= ''C'' and not lsted'",
         "lsted"),
        ('"0.5 if urban else 0.3"', '"0.5 if province == \\"Shandong\\" else 0.3 if urbn else 0.1"',
         "urbn"),
        ('"0.5 if urban else 0.3"', '"0.5 if province == \\x22Shandong\\u0022 else 0.3 if urbn else 0"',
         "urbn"),
    ],
    ids=["single-quoted-escape", "double-quoted-escape", "hex-escape"],
)  # fmt: skip
def test_position_inside_an_expression_with_escaped_quotes(
    tmp_path: Path, old: str, new: str, bad: str
) -> None:
    path = variant(tmp_path, (old, new))
    issue = only_issue(path)
    assert at(issue) == where(path, bad)


# ---------------------------------------------------------------------------------------------
# Several errors at once


def test_several_schema_errors_are_reported_together_sorted_by_line(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("  seed: 1\n", "  sede: 1\n"),
        (PROVINCES_NEW, PROVINCES_NEW.replace("100000", '"1000"')),
        ("kind: court_list", "kind: court_lst"),
        ("{interest_add: 0.02}", "{interest_add: [0.02]}"),
    )
    with pytest.raises(ScenarioError) as caught:
        scsim.load(path)
    issues = caught.value.issues
    assert [i.path for i in issues] == [
        "world.sede",
        "world.population.agents",
        "schemes.court.kind",
        "measures.low_grade_loans.effects.interest_add",
    ]
    assert [at(i) for i in issues] == sorted(at(i) for i in issues)
    assert len({i.message for i in issues}) == 4
    assert all(i.file == str(path) for i in issues)
    # str() of the error is one "file:line:col: path: message" line per issue
    lines = str(caught.value).splitlines()
    assert lines == [f"{path}:{i.line}:{i.col}: {i.path}: {i.message}" for i in issues]


def test_several_cross_reference_errors_are_reported_together(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("provinces: [Shandong, Jiangsu]", "provinces: [Shandongg, Jiangsu]"),
        ("    deltas:\n      traffic_violation:", "    deltas:\n      traffic_violaton:"),
        ("period: [2020-06-01, 2020-12-01]", "period: [2020-06-01, 2021-02-01]"),
        ('    traffic_violation: "0.5', '    traffic_violatio: "0.5'),
    )
    issues = issues_of(path)
    assert [i.path.split(".")[0] for i in issues] == [
        "world",
        "observation",
        "schemes",
        "calibration",
    ]
    assert [i.line for i in issues] == sorted(i.line for i in issues)


def test_several_expression_errors_are_reported_together(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ('      eligible: "True"\n', '      eligible: "agee >= 18"\n'),
        (JURISDICTION_NEW, JURISDICTION_NEW.replace('"True"', '"age >= p.x.y"')),
        ("grade <= 'C' and", "grade <= 'CC' and"),
    )
    issues = issues_of(path)
    assert [i.path for i in issues] == [
        "behaviour.events.traffic_violation.eligible",
        "schemes.traffic_points.applies_to",
        "measures.low_grade_loans.when",
    ]
    assert [i.line for i in issues] == sorted(i.line for i in issues)


def test_errors_of_every_kind_are_reported_in_one_pass(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("  seed: 1\n", "  sede: 1\n"),  # schema
        ("    deltas:\n      traffic_violation:", "    deltas:\n      traffic_violaton:"),
        ('      eligible: "True"\n', '      eligible: "agee >= 18"\n'),  # expression
    )
    paths = {i.path for i in issues_of(path)}
    assert paths == {
        "world.sede",
        "schemes.traffic_points.deltas.traffic_violaton",
        "behaviour.events.traffic_violation.eligible",
    }


def test_a_cross_reference_error_does_not_hide_an_expression_error(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("    deltas:\n      traffic_violation:", "    deltas:\n      traffic_violaton:"),
        ('      eligible: "True"\n', '      eligible: "agee >= 18"\n'),
    )
    assert [i.path for i in issues_of(path)] == [
        "behaviour.events.traffic_violation.eligible",
        "schemes.traffic_points.deltas.traffic_violaton",
    ]


@pytest.mark.parametrize(
    ("changes", "reported"),
    [
        # the events are unknown: the deltas and detection rule naming them are not blamed
        ([("behaviour:\n  events:", "behaviour:\n  evnts:")],
         {"behaviour.events", "behaviour.evnts"}),
        # one bad event still counts as a name; a misspelt name elsewhere is still found
        ([('      eligible: "True"\n', '      eligible: "True"\n      colour: red\n'),
          ('    traffic_violation: "0.5', '    traffic_violatio: "0.5')],
         {"behaviour.events.traffic_violation.colour", "observation.detection.traffic_violatio"}),
        # the grades are unknown: the measure's grade 'C' is not blamed
        ([("kind: points", "kind: pointz")], {"schemes.traffic_points.kind"}),
        # the horizon is unknown: the reform's date is not blamed
        ([("  seed: 1\n", "  sede: 1\n"),
          ("value: -10, from: 2020-07-01}", "value: -10, from: 2021-07-01}")],
         {"world.sede"}),
        # the court's parameters are unknown: naming one is not blamed, a made-up one is
        ([("    term_days: 730\n", "    term_days: [730]\n"),
          ('      eligible: "True"\n', '      eligible: "age >= p.schemes.court.grace_days"\n'),
          ("grade <= 'C' and", "p.economy.savings_rat > 0 and")],
         {"schemes.court.term_days", "measures.low_grade_loans.when"}),
    ],
    ids=["events-unknown", "one-event-bad", "grades-unknown", "horizon-unknown", "params-unknown"],
)  # fmt: skip
def test_a_section_that_fails_is_not_blamed_again_elsewhere(
    tmp_path: Path, changes: list[tuple[str, str]], reported: set[str]
) -> None:
    assert {i.path for i in issues_of(variant(tmp_path, *changes))} == reported


# ---------------------------------------------------------------------------------------------
# YAML itself


def test_duplicate_key_is_reported_with_the_first_line(tmp_path: Path) -> None:
    path = variant(tmp_path, ("  seed: 1\n", "  seed: 1\n  seed: 2\n"))
    issue = only_issue(path)
    first_line = where(path, "seed: 1")[0]
    assert at(issue) == where(path, "seed: 2")
    assert f"first at line {first_line}" in issue.message


def test_yaml_syntax_error_is_positioned(tmp_path: Path) -> None:
    path = variant(tmp_path, ("  seed: 1\n", "  seed: [1\n"))
    issue = only_issue(path)
    assert issue.file == str(path)
    assert issue.line >= where(path, "seed: [1")[0]
    assert issue.col > 0


def test_tab_indentation_gets_advice(tmp_path: Path) -> None:
    path = variant(tmp_path, ("  seed: 1\n", "\tseed: 1\n"))
    issue = only_issue(path)
    assert issue.line == where(path, "\tseed")[0]
    assert "spaces, not tabs" in issue.message


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ("  start: 2020-01-01\n", "  start: 2020-13-01\n", "world.start",
         "not a valid date: 2020-13-01 (month 13)"),
        ("values: {2020-01-01: 1050}", "values: {2020-02-30: 1050}",
         "schemes.traffic_points.cap.values.2020-02-30",
         "not a valid date: 2020-02-30 (February 2020 has 29 days)"),
    ],
    ids=["value", "dated-parameter-key"],
)  # fmt: skip
def test_a_date_that_does_not_exist_is_reported_with_the_other_problems(
    tmp_path: Path, old: str, new: str, path: str, message: str
) -> None:
    file = variant(tmp_path, (old, new), ("  seed: 1\n", "  sede: 1\n"))
    issues = {i.path: i for i in issues_of(file)}
    assert set(issues) == {path, "world.sede"}  # not also "expected a date"
    assert issues[path].message == message
    assert at(issues[path]) == where(file, message.split()[4])


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing but a comment\n"])
def test_an_empty_file_says_so(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(text, encoding="utf-8")
    issue = only_issue(path)
    assert (issue.path, issue.message, at(issue)) == ("", "the file is empty", (1, 1))


def test_nested_aliases_are_refused_before_they_expand(tmp_path: Path) -> None:
    lines = ["a0: &a0 [" + ", ".join(["x"] * 10) + "]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]" for n in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join([*lines, "name: *a8"]) + "\n", encoding="utf-8")  # 10^8 values
    issue = only_issue(path)
    assert issue.message.startswith("too many aliases")
    assert "no more than 10,000" in issue.message
    assert issue.line > 0


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("    grace_days: 30\n", "    grace_days: &month 30\n"),
        ("    term_days: 730\n", "    term_days: *month\n"),
    )
    assert scsim.load(path).spec.court_list()[1].term_days.at(dt.date(2020, 6, 1)) == 30


# ---------------------------------------------------------------------------------------------
# include:


COURT_PART = """\
# The court list, kept in its own file.
schemes:
  court:
    kind: court_list
    list_from: 2020-01-01
    national_from: 2020-06-01
    grace_days: 30
    term_days: 730
"""

MAIN = """\
name: with-include
include: [parts/court.yaml]
world: {start: 2020-01-01, end: 2020-12-31}
behaviour:
  events:
    fine:
      annual_rate: 0.1
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_include_merges_the_included_file(tmp_path: Path) -> None:
    _write(tmp_path / "parts" / "court.yaml", COURT_PART)
    sc = scsim.load(_write(tmp_path / "main.yaml", MAIN))
    assert sc.spec.court_list() is not None
    assert sc.spec.court_list()[0] == "court"


def test_error_in_an_included_file_is_reported_in_that_file(tmp_path: Path) -> None:
    part = _write(
        tmp_path / "parts" / "court.yaml",
        COURT_PART.replace("    term_days: 730\n", "    term_days: 730\n    grace_dayz: 1\n"),
    )
    main = _write(tmp_path / "main.yaml", MAIN)
    issue = only_issue(main)
    assert issue.file == str(part)
    assert at(issue) == where(part, "grace_dayz:")
    assert issue.path == "schemes.court.grace_dayz"
    assert "did you mean 'grace_days'" in issue.message


def test_errors_in_both_files_are_reported_each_with_its_file(tmp_path: Path) -> None:
    part = _write(tmp_path / "parts" / "court.yaml", COURT_PART.replace("court_list", "court_lst"))
    main = _write(tmp_path / "main.yaml", MAIN.replace("annual_rate", "anual_rate"))
    issues = issues_of(main)
    assert {(i.file, i.path) for i in issues} >= {
        (str(part), "schemes.court.kind"),
        (str(main), "behaviour.events.fine.anual_rate"),
    }
    by_file = {i.file: i for i in issues}
    assert by_file[str(part)].line == where(part, "kind: court_lst")[0]
    assert by_file[str(main)].line == where(main, "anual_rate")[0]


def test_missing_included_file_is_reported_at_the_include(tmp_path: Path) -> None:
    main = _write(tmp_path / "main.yaml", MAIN)
    issue = only_issue(main)
    assert issue.file == str(main)
    assert issue.line == where(main, "parts/court.yaml")[0]
    assert "does not exist" in issue.message


def test_include_cycle_is_reported(tmp_path: Path) -> None:
    _write(tmp_path / "parts" / "court.yaml", "include: ../main.yaml\n" + COURT_PART)
    main = _write(tmp_path / "main.yaml", MAIN)
    assert any("include cycle" in i.message for i in issues_of(main))


# ---------------------------------------------------------------------------------------------
# Names


def test_unknown_bundled_name_suggests_the_closest() -> None:
    issue = only_issue("court-blacklst")
    assert "did you mean 'court-blacklist'" in issue.message
    assert "mesa-reference" in issue.message  # lists what is bundled


def test_bundled_names_load() -> None:
    assert scsim.load("mesa-reference").name == "mesa-reference"


# ---------------------------------------------------------------------------------------------
# Hash and reforms


def test_hash_is_stable_and_tracks_content(tmp_path: Path) -> None:
    path = variant(tmp_path)
    first, second = scsim.load(path), scsim.load(path)
    assert first.hash == second.hash
    assert re.fullmatch(r"[0-9a-f]{64}", first.hash)

    # comments, layout and file name do not change the content
    same = variant(tmp_path, ("  seed: 1\n", "  seed:   1   # same seed\n"), name="other.yaml")
    assert scsim.load(same).hash == first.hash

    changed = variant(tmp_path, ("values: {2020-01-01: 1050}", "values: {2020-01-01: 1040}"),
                      name="changed.yaml")  # fmt: skip
    assert scsim.load(changed).hash != first.hash


def test_reform_returns_a_new_scenario_and_leaves_the_baseline_alone(tmp_path: Path) -> None:
    baseline = scsim.load(variant(tmp_path))
    before = baseline.hash
    delta = baseline.spec.schemes["traffic_points"].deltas["traffic_violation"]
    reformed = baseline.reform("harsher")

    assert reformed is not baseline
    assert reformed.reforms_applied == ("harsher",)
    assert reformed.hash != before
    new_delta = reformed.spec.schemes["traffic_points"].deltas["traffic_violation"]
    assert new_delta.at(dt.date(2020, 6, 30)) == -5
    assert new_delta.at(dt.date(2020, 7, 1)) == -10

    assert baseline.hash == before
    assert baseline.reforms_applied == ()
    assert baseline.spec.schemes["traffic_points"].deltas["traffic_violation"] == delta
    assert delta.at(dt.date(2020, 7, 1)) == -5
    assert scsim.load(variant(tmp_path)).hash == before


def test_reform_by_changes_and_unknown_reform(tmp_path: Path) -> None:
    baseline = scsim.load(variant(tmp_path))
    reformed = baseline.reform({"schemes.court.grace_days": 90}, start="2020-09-01")
    grace = reformed.spec.court_list()[1].grace_days
    assert grace.at(dt.date(2020, 8, 31)) == 30
    assert grace.at(dt.date(2020, 9, 1)) == 90
    assert baseline.spec.court_list()[1].grace_days.at(dt.date(2020, 9, 1)) == 30
    with pytest.raises(ValueError, match="did you mean 'harsher'"):
        baseline.reform("harsh")
    with pytest.raises(ValueError, match="did you mean 'grace_days'"):
        baseline.reform({"schemes.court.grace_dayz": 1})


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("schemes.traffic_points.deltas.traffic_violaton",
         "schemes.traffic_points.deltas has no 'traffic_violaton' — did you mean 'traffic_violation'?"),
        ("schemes.traffic_points.delta.traffic_violation",
         "schemes.traffic_points has no 'delta' — did you mean 'deltas'?"),
        ("schemes.court.list_from",
         "schemes.court.list_from is not a number (a dated parameter or a number fixed for the run)"),
    ],
    ids=["misspelt-event", "misspelt-key", "not-a-parameter"],
)  # fmt: skip
def test_a_reform_path_is_checked_when_loading(tmp_path: Path, written: str, message: str) -> None:
    path = variant(tmp_path, ("{path: schemes.traffic_points.deltas.traffic_violation,",
                              f"{{path: {written},"))  # fmt: skip
    issue = only_issue(path)
    assert issue.path == "reforms.harsher.set.0.path"
    assert issue.message == message
    assert at(issue) == where(path, written)


def test_a_reform_value_is_checked_against_the_parameters_range(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("      - {path: schemes.traffic_points.deltas.traffic_violation, value: -10,",
         "      - {path: schemes.court.grace_days, value: 60.5,"),
    )  # fmt: skip
    issue = only_issue(path)
    assert issue.path == "reforms.harsher.set.0.value"
    assert issue.message == (
        "schemes.court.grace_days must be a whole number from 0 to 32,000, got 60.5"
    )
    assert at(issue) == where(path, "60.5")


def test_an_inline_reform_is_checked_against_the_parameters_range(tmp_path: Path) -> None:
    baseline = scsim.load(variant(tmp_path))
    with pytest.raises(ValueError, match="must be between 0 and 1, got 7"):
        baseline.reform({"schemes.court.list_probability": 7})
    with pytest.raises(ValueError, match="has no 'list_probabilty' — did you mean"):
        baseline.reform({"schemes.court.list_probabilty": 0.5})


def test_deterrence_by_points_cannot_outlive_a_repealed_cap(tmp_path: Path) -> None:
    path = variant(
        tmp_path, ("values: {2020-01-01: 1050}", "values: {2020-01-01: 1050, 2020-07-01: null}")
    )
    issue = only_issue(path)
    assert issue.path == "behaviour.events.traffic_violation.deterrence.points_exponent"
    assert "do not repeal it" in issue.message


def test_deterrence_by_points_needs_a_capped_scheme(tmp_path: Path) -> None:
    text = BASE
    start = text.index("    cap:\n      label: Points cap")
    end = text.index("    deltas:", start)
    path = tmp_path / "uncapped.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    issue = only_issue(path)
    assert issue.path == "behaviour.events.traffic_violation.deterrence.points_exponent"
    assert "needs a cap on the points scheme 'traffic_points'" in issue.message
