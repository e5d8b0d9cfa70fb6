import datetime as dt
import textwrap
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scsim.scenario.errors import (
    Issue,
    IssueCollector,
    PathError,
    PathErrors,
    ScenarioError,
    did_you_mean,
    format_path,
)
from scsim.scenario.validate import issue_at, issue_in_value, validate_model
from scsim.scenario.yamlpos import Mark, Positions, load_yaml

KNOWN_EVENTS = ("traffic_violation", "unpaid_fine")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Scheme(Strict):
    label: str = ""
    base: float
    deltas: dict[str, float] = {}
    start: dt.date | None = Field(default=None, alias="from")

    @model_validator(mode="after")
    def _known_events(self) -> "Scheme":
        unknown = [name for name in self.deltas if name not in KNOWN_EVENTS]
        errors = [
            PathError(("deltas", n), f"unknown event '{n}'{did_you_mean(n, KNOWN_EVENTS)}")
            for n in unknown
        ]
        if errors:
            raise PathErrors(errors)
        return self


class Measure(Strict):
    when: str
    weight: float = 1.0

    @model_validator(mode="after")
    def _positive(self) -> "Measure":
        if self.weight < 0:
            raise PathError(("weight",), "a weight cannot be negative")
        return self


class Rate(Strict):
    values: dict[dt.date, float]


class Points(Strict):
    kind: Literal["points"]
    base: float


class Court(Strict):
    kind: Literal["court_list"]
    grace_days: int


class Root(Strict):
    name: str
    schemes: dict[str, Scheme] = {}
    measures: list[Measure] = []
    rate: Rate | None = None
    mechanisms: dict[str, Annotated[Points | Court, Field(discriminator="kind")]] = {}
    detection: dict[str, str | float] = {}

    @field_validator("name")
    @classmethod
    def _lowercase(cls, name: str) -> str:
        if name != name.lower():
            raise ValueError("a scenario name is lowercase")
        return name


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors_of(path: Path, model: type[BaseModel] = Root) -> list[str]:
    """The issues raised while loading and validating ``path``, as printed."""
    with pytest.raises(ScenarioError) as caught:
        validate_model(*load_yaml(path), model)
    return str(caught.value).splitlines()


def load_errors(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_yaml(path)
    return str(caught.value).splitlines()


GOOD = """
name: demo
schemes:
  rongcheng:
    base: 1000
    deltas:
      traffic_violation: -5
measures:
  - when: "debt > 0"
    weight: 2.0
  - when: fine_unpaid_days > 30
"""


def test_positions_of_keys_values_and_items(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", GOOD)
    data, positions = load_yaml(path)
    file = str(path)
    assert data["schemes"]["rongcheng"]["deltas"] == {"traffic_violation": -5}
    assert positions.key(("schemes", "rongcheng", "base")) == Mark(file, 4, 5)
    assert positions.value(("schemes", "rongcheng", "base")) == Mark(file, 4, 11)
    assert positions.key(("measures", 1)) == Mark(file, 10, 5)
    assert positions.value(("measures", 0, "when")) == Mark(file, 8, 11)
    assert positions.is_quoted(("measures", 0, "when"))
    assert not positions.is_quoted(("measures", 1, "when"))


def test_nearest_falls_back_to_the_longest_written_prefix(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", GOOD)
    _, positions = load_yaml(path)
    assert positions.nearest(("schemes", "rongcheng", "nope", "deeper")) == Mark(str(path), 3, 3)
    assert positions.nearest(("elsewhere",)) == Mark(str(path), 1, 1)


def test_valid_scenario_validates(tmp_path: Path) -> None:
    root = validate_model(*load_yaml(write(tmp_path, "s.yaml", GOOD)), Root)
    assert isinstance(root, Root)
    assert root.measures[1].when == "fine_unpaid_days > 30"


def test_unknown_key_suggests_the_closest_field_at_the_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        name: demo
        schemes:
          rongcheng:
            basee: 1000
            form: 2014-06-14
        """,
    )
    assert errors_of(path) == [
        f"{path}:3:3: schemes.rongcheng.base: missing required key 'base'",
        f"{path}:4:5: schemes.rongcheng.basee: unknown key 'basee' — did you mean 'base'?",
        f"{path}:5:5: schemes.rongcheng.form: unknown key 'form' — did you mean 'from'?",
    ]


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        name: Demo
        schemes:
          rongcheng:
            base: "1000"
            deltas: {traffic_violation: -5, unpaid_fine: lots}
        measures:
          - when: x
            wieght: 1
        """,
    )
    assert errors_of(path) == [
        f"{path}:1:7: name: a scenario name is lowercase",
        f"{path}:4:11: schemes.rongcheng.base: "
        "expected a number, got the string '1000' — remove the quotes",
        f"{path}:5:50: schemes.rongcheng.deltas.unpaid_fine: "
        "expected a number, got the string 'lots'",
        f"{path}:8:5: measures.0.wieght: unknown key 'wieght' — did you mean 'weight'?",
    ]


def test_exponent_numbers_are_numbers_not_strings(tmp_path: Path) -> None:
    data, _ = load_yaml(write(tmp_path, "s.yaml", "a: 1e-3\nb: 2E6\nc: .5\nd: 1_000\ne: 1.0\n"))
    assert data == {"a": 0.001, "b": 2e6, "c": 0.5, "d": 1000, "e": 1.0}


def test_duplicate_keys_are_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        name: demo
        schemes:
          rongcheng:
            base: 1000
            base: 900
        """,
    )
    assert load_errors(path) == [
        f"{path}:5:5: schemes.rongcheng.base: duplicate key 'base' (first at line 4)"
    ]


def test_yaml_syntax_error_is_positioned(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: demo\nschemes: [a, b\nmeasures: []\n")
    (line,) = load_errors(path)
    assert line.startswith(f"{path}:3:9: expected ',' or ']'")
    assert "at line 2, column 10" in line


def test_tab_indentation_gets_advice(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "a:\n\tb: 1\n")
    (line,) = load_errors(path)
    assert line.startswith(f"{path}:2:1: ")
    assert line.endswith("indent with spaces, not tabs")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "- a\n- b\n")
    assert load_errors(path) == [f"{path}:1:1: a scenario file must be a mapping of keys to values"]


def test_merge_keys_and_anchors_keep_positions(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        common: &common
          base: 1000
        a:
          <<: *common
          label: x
        """,
    )
    data, positions = load_yaml(path)
    assert data["a"] == {"base": 1000, "label": "x"}
    assert positions.key(("a", "base")) == Mark(str(path), 2, 3)


def test_include_merges_under_the_including_file(tmp_path: Path) -> None:
    base = write(
        tmp_path,
        "shared/base.yaml",
        """
        name: base
        schemes:
          rongcheng:
            base: 1000
            deltas: {traffic_violation: -5}
        measures:
          - when: a
          - when: b
        """,
    )
    main = write(
        tmp_path,
        "main.yaml",
        """
        include: shared/base.yaml
        name: main
        schemes:
          rongcheng:
            label: Rongcheng
            base: 900
        measures:
          - when: c
        """,
    )
    data, positions = load_yaml(main)
    assert data == {
        "name": "main",
        "schemes": {
            "rongcheng": {"base": 900, "deltas": {"traffic_violation": -5}, "label": "Rongcheng"}
        },
        "measures": [{"when": "c"}],
    }
    assert positions.key(("schemes", "rongcheng", "deltas")) == Mark(str(base), 5, 5)
    assert positions.key(("schemes", "rongcheng", "base")) == Mark(str(main), 6, 5)
    assert ("measures", 1) not in positions
    assert ("include",) not in positions


def test_errors_in_included_content_point_into_the_included_file(tmp_path: Path) -> None:
    base = write(
        tmp_path,
        "base.yaml",
        """
        schemes:
          rongcheng:
            base: 1000
            deltas: {trafic_violation: -5}
        """,
    )
    main = write(tmp_path, "main.yaml", "include: [base.yaml]\nname: main\n")
    assert errors_of(main) == [
        f"{base}:4:14: schemes.rongcheng.deltas.trafic_violation: "
        "unknown event 'trafic_violation' — did you mean 'traffic_violation'?"
    ]


def test_later_includes_override_earlier_ones(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "x: 1\ny: 1\n")
    write(tmp_path, "b.yaml", "x: 2\n")
    main = write(tmp_path, "main.yaml", "include: [a.yaml, b.yaml]\n")
    assert load_yaml(main)[0] == {"x": 2, "y": 1}


def test_include_cycle_is_reported(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "include: b.yaml\nx: 1\n")
    b = write(tmp_path, "b.yaml", "y: 2\ninclude: [a.yaml]\n")
    assert load_errors(a) == [f"{b}:2:11: include.0: include cycle: {a} → {b} → {a}"]


def test_missing_include_is_reported_at_the_include(tmp_path: Path) -> None:
    main = write(tmp_path, "main.yaml", "name: x\ninclude:\n  - gone.yaml\n")
    assert load_errors(main) == [
        f"{main}:3:5: include.0: included file '{tmp_path / 'gone.yaml'}' does not exist"
    ]


def test_missing_file_is_reported(tmp_path: Path) -> None:
    assert load_errors(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: no such file"]
    assert load_errors(tmp_path) == [f"{tmp_path}: no scenario.yaml in this folder"]


def test_folder_loads_its_scenario_yaml(tmp_path: Path) -> None:
    write(tmp_path, "world/scenario.yaml", "include: schemes.yaml\nname: w\n")
    write(tmp_path, "world/schemes.yaml", "schemes: {r: {base: 1}}\n")
    data, positions = load_yaml(tmp_path / "world")
    assert data == {"name": "w", "schemes": {"r": {"base": 1}}}
    assert positions.root == Mark(str(tmp_path / "world" / "scenario.yaml"), 1, 1)


def test_dates_stay_dates_also_as_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        name: demo
        schemes: {r: {base: 1, from: 2014-06-14}}
        rate:
          values: {2014-06-14: 0.02, 2019-01-01: "0.01"}
        """,
    )
    data, positions = load_yaml(path)
    assert data["schemes"]["r"]["from"] == dt.date(2014, 6, 14)
    assert list(data["rate"]["values"]) == [dt.date(2014, 6, 14), dt.date(2019, 1, 1)]
    assert positions.key(("rate", "values", dt.date(2019, 1, 1))) == Mark(str(path), 4, 30)
    assert errors_of(path) == [
        f"{path}:4:42: rate.values.2019-01-01: "
        "expected a number, got the string '0.01' — remove the quotes"
    ]


def test_a_quoted_date_key_is_placed_at_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: d\nrate:\n  values: {'2014-06-14': 0.02}\n")
    assert errors_of(path) == [
        f"{path}:3:12: rate.values.2014-06-14: "
        "expected a date (YYYY-MM-DD), got the string '2014-06-14' — remove the quotes"
    ]


def test_path_errors_from_validators_land_at_their_sub_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        name: demo
        schemes:
          rongcheng:
            base: 1000
            deltas:
              traffic_violaton: -5
              unpaid: -3
        measures:
          - when: a
          - when: b
            weight: -1
        """,
    )
    assert errors_of(path) == [
        f"{path}:6:7: schemes.rongcheng.deltas.traffic_violaton: "
        "unknown event 'traffic_violaton' — did you mean 'traffic_violation'?",
        f"{path}:7:7: schemes.rongcheng.deltas.unpaid: "
        "unknown event 'unpaid' — did you mean 'unpaid_fine'?",
        f"{path}:11:5: measures.1.weight: a weight cannot be negative",
    ]


def test_discriminated_union_names_the_unknown_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        name: demo
        mechanisms:
          a: {kind: pionts, base: 1}
          b: {kind: court_list, grace_days: "30"}
          c: {grace_days: 30}
        """,
    )
    assert errors_of(path) == [
        f"{path}:3:13: mechanisms.a.kind: unknown kind 'pionts' "
        "(expected 'points', 'court_list') — did you mean 'points'?",
        f"{path}:4:37: mechanisms.b.grace_days: "
        "expected a whole number, got the string '30' — remove the quotes",
        f"{path}:5:3: mechanisms.c.kind: missing required key 'kind'",
    ]


def test_union_of_plain_types_gives_one_merged_message(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: d\ndetection:\n  fine: [1, 2]\n")
    assert errors_of(path) == [
        f"{path}:3:3: detection.fine: expected text or a number, got a list",
    ]


def test_constraint_messages_drop_pydantic_noise(tmp_path: Path) -> None:
    class Bounded(Strict):
        share: Annotated[float, Field(ge=0, le=1)]

    path = write(tmp_path, "s.yaml", "share: 1.5\n")
    (line,) = errors_of(path, Bounded)
    assert line == f"{path}:1:8: share: should be less than or equal to 1, got the number 1.5"


def test_issue_in_value_adds_the_column_offset(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", GOOD)
    _, positions = load_yaml(path)
    plain = issue_in_value(positions, ("measures", 1, "when"), "unknown name", 0)
    quoted = issue_in_value(positions, ("measures", 0, "when"), "unknown name", 5)
    assert (plain.line, plain.col) == (10, 11)
    assert (quoted.line, quoted.col) == (8, 17)  # the quote, then five characters in
    assert str(quoted) == f"{path}:8:17: measures.0.when: unknown name"


def test_issue_at_uses_key_or_value(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", GOOD)
    _, positions = load_yaml(path)
    at_key = issue_at(positions, ("schemes", "rongcheng", "base"), "too high")
    at_value = issue_at(positions, ("schemes", "rongcheng", "base"), "too high", key=False)
    assert (at_key.col, at_value.col) == (5, 11)


def test_issues_print_sorted_by_file_and_position() -> None:
    collector = IssueCollector()
    collector.add(Issue("b.yaml", 1, 1, "x", "late file"))
    collector.extend([Issue("a.yaml", 9, 2, "y", "late line"), Issue("a.yaml", 2, 5, "", "first")])
    with pytest.raises(ScenarioError) as caught:
        collector.raise_if_any()
    assert str(caught.value).splitlines() == [
        "a.yaml:2:5: first",
        "a.yaml:9:2: y: late line",
        "b.yaml:1:1: x: late file",
    ]
    IssueCollector().raise_if_any()  # nothing collected, nothing raised


def test_did_you_mean_and_paths() -> None:
    assert did_you_mean("traffic_violaton", KNOWN_EVENTS) == " — did you mean 'traffic_violation'?"
    assert did_you_mean("zzz", KNOWN_EVENTS) == ""
    assert format_path(("rate", "values", dt.date(2019, 1, 1), 2)) == "rate.values.2019-01-01.2"


def test_positions_without_spots_point_at_the_file_start() -> None:
    positions = Positions(Mark("x.yaml", 1, 1))
    assert issue_at(positions, ("a", "b"), "m") == Issue("x.yaml", 1, 1, "a.b", "m")
