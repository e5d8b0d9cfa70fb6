"""Cross-references and structure that used to be accepted silently: dates that cannot mean
anything, parameters never in force, empty or missing sections, one measure too many, and rules
reading state that no mechanism of the scenario keeps. Each is refused at its place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import scsim
from scsim.core.limits import MAX_MEASURES
from scsim.scenario.errors import Issue, ScenarioError
from scsim.scenario.model import bundled_path

BASE = bundled_path("mesa-reference").read_text(encoding="utf-8")
DAILY = "daily_probability:\n        label: Scale of the daily violation probability (multiplied by base_p)\n        unit: probability per day\n        values: "
MEASURE = "  m{i}:\n    when: grade == 'D'\n    effects: {{income_factor: 0.9}}\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def changed(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def issues_of(path: Path) -> list[Issue]:
    with pytest.raises(ScenarioError) as caught:
        scsim.load(path)
    return caught.value.issues


def only_issue(path: Path) -> Issue:
    issues = issues_of(path)
    assert len(issues) == 1, "\n".join(map(str, issues))
    return issues[0]


def place(path: Path, needle: str) -> tuple[int, int]:
    text = path.read_text(encoding="utf-8")
    assert text.count(needle) == 1, needle
    i = text.index(needle)
    return text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i)


def test_a_parameter_dated_only_after_the_horizon_is_refused_at_its_first_date(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        changed(
            DAILY + "{2020-01-01: 1.0}",
            DAILY + "{2022-01-01: 1.0}",
        ),
    )
    issues = [i for i in issues_of(path) if "none is in force" in i.message]
    assert len(issues) == 1
    assert (issues[0].line, issues[0].col) == place(path, "2022-01-01")
    assert issues[0].path.endswith("daily_probability.values.2022-01-01")


def test_a_parameter_with_a_later_date_as_well_is_accepted(tmp_path: Path) -> None:
    text = changed(
        DAILY + "{2020-01-01: 1.0}",
        DAILY + "{2020-01-01: 1.0, 2030-01-01: 0.5}",
    )
    assert scsim.load(write(tmp_path, text)).name == "mesa-reference"


def test_an_empty_province_list_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, changed("    agents: 100000\n", "    agents: 100000\n    provinces: []\n")
    )
    issue = only_issue(path)
    assert issue.path == "world.population.provinces" and "empty" in issue.message


def test_no_world_section_is_refused_naming_it(tmp_path: Path) -> None:
    text = re.sub(r"\nworld:\n(?:(?:  .*)?\n|#.*\n)*?(?=\S)", "\n", BASE, count=1)
    assert "\nworld:" not in text
    issue = only_issue(write(tmp_path, text))
    assert issue.path == "world" and "missing" in issue.message


@pytest.mark.parametrize("until", ["2020-03-01", "2020-06-01"])
def test_a_reform_until_not_after_its_from_is_refused_at_until(tmp_path: Path, until: str) -> None:
    text = BASE + (
        "reforms:\n  r:\n    set:\n      - {path: schemes.traffic_points.base, value: 900, "
        f"from: 2020-06-01, until: {until}}}\n"
    )
    path = write(tmp_path, text)
    issue = only_issue(path)
    assert issue.path == "reforms.r.set.0.until"
    assert (issue.line, issue.col) == place(path, f"until: {until}}}")  # at the key
    assert "must be after 'from'" in issue.message


def test_a_jurisdiction_until_before_its_from_is_refused(tmp_path: Path) -> None:
    text = changed(
        "    kind: points\n",
        "    kind: points\n    jurisdiction: {from: 2020-06-01, until: 2020-03-01}\n",
    )
    issue = only_issue(write(tmp_path, text))
    assert issue.path == "schemes.traffic_points.jurisdiction.until"


def test_scenario_reform_until_before_from_is_refused() -> None:
    sc = scsim.load("mesa-reference")
    with pytest.raises(ValueError, match="must be after from"):
        sc.reform({"schemes.traffic_points.base": 900}, start="2020-06-01", until="2020-03-01")
    assert sc.reform({"schemes.traffic_points.base": 900}, "2020-03-01", "2020-06-01").hash


def test_the_measure_beyond_the_limit_is_named_at_its_place(tmp_path: Path) -> None:
    measures = "".join(MEASURE.format(i=i) for i in range(MAX_MEASURES + 1))
    path = write(tmp_path, BASE + "measures:\n" + measures)
    issue = only_issue(path)
    assert issue.path == f"measures.m{MAX_MEASURES}"
    assert issue.line == place(path, f"  m{MAX_MEASURES}:")[0]
    assert f"at most {MAX_MEASURES}" in issue.message


def test_as_many_measures_as_the_limit_load(tmp_path: Path) -> None:
    measures = "".join(MEASURE.format(i=i) for i in range(MAX_MEASURES))
    assert len(scsim.load(write(tmp_path, BASE + "measures:\n" + measures)).spec.measures) == 15


def test_a_measure_reading_listed_without_a_court_list_is_refused_at_the_name(
    tmp_path: Path,
) -> None:
    text = (
        BASE
        + "measures:\n  m:\n    when: grade == 'D' or listed\n    effects: {income_factor: 0.9}\n"
    )
    path = write(tmp_path, text)
    issue = only_issue(path)
    line, col = place(path, "grade == 'D' or listed")
    assert (issue.line, issue.col) == (line, col + len("grade == 'D' or "))
    assert "court list" in issue.message


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ("2 if listed else 1", "court list"),
        ("2 if blacklisted else 1", "black list"),
        ("1 + red_share", "red list"),
        ("1 + score / 1000", "composite score"),
    ],
)
def test_a_rate_reading_state_no_mechanism_keeps_is_refused(
    tmp_path: Path, rule: str, named: str
) -> None:
    text = changed(
        '      eligible: "True"\n', f'      eligible: "True"\n      modifier: "{rule}"\n'
    )
    issue = only_issue(write(tmp_path, text))
    assert issue.path.endswith("modifier") and named in issue.message


def test_rules_reading_lists_that_exist_load() -> None:
    for name in ("rongcheng", "court-blacklist", "national-documented", "sesame"):
        assert scsim.load(name).name == name


@pytest.mark.parametrize(
    ("rule", "part", "says"),
    [
        ("age / 100 + exp(1000)", "exp(1000)", "is inf"),
        ("1 + 0/0", "0/0", "is nan"),
        ("1 + age ** 10**10", "10**10", "beyond ±1000"),
        ("1 + ａｇｅ", "ａｇｅ", "FULLWIDTH"),
    ],
)
def test_a_modifier_that_cannot_be_finite_is_refused_at_its_part_in_the_file(
    tmp_path: Path, rule: str, part: str, says: str
) -> None:
    text = changed(
        '      eligible: "True"\n', f'      eligible: "True"\n      modifier: "{rule}"\n'
    )
    path = write(tmp_path, text)
    issue = only_issue(path)
    line, col = place(path, f'modifier: "{rule}"')
    assert (issue.line, issue.col) == (line, col + len('modifier: "') + rule.index(part))
    assert says in issue.message
