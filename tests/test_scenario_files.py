"""Scenario files as bytes: size, encoding, control characters, nesting and where includes may
reach. Each is refused with the file, the line and column of the offending byte where there is
one, a message that says what to do, and never the contents of a file it was not asked to read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import scsim
from scsim.scenario import yamlpos
from scsim.scenario.errors import Issue, ScenarioError
from scsim.scenario.model import bundled_path

MESA = bundled_path("mesa-reference").read_bytes()


def issues_of(source: Path | str) -> list[Issue]:
    with pytest.raises(ScenarioError) as caught:
        scsim.load(source)
    assert caught.value.issues
    return caught.value.issues


def only_issue(source: Path | str) -> Issue:
    issues = issues_of(source)
    assert len(issues) == 1, "\n".join(str(i) for i in issues)
    return issues[0]


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_the_bundled_scenario_is_read_as_it_is(tmp_path: Path) -> None:
    assert scsim.load(write(tmp_path / "s.yaml", MESA)).name == "mesa-reference"


def test_a_file_over_the_size_cap_is_refused_naming_the_cap(tmp_path: Path) -> None:
    big = MESA + b"# " + b"x" * (yamlpos.MAX_FILE_BYTES) + b"\n"
    issue = only_issue(write(tmp_path / "s.yaml", big))
    lines = MESA.count(b"\n")  # the cap is crossed on the comment line after the scenario
    assert (issue.line, issue.col) == (lines + 1, yamlpos.MAX_FILE_BYTES - len(MESA) + 1)
    assert f"{yamlpos.MAX_FILE_BYTES:,}" in issue.message
    assert "include" in issue.message  # what to do instead


def test_a_file_just_under_the_cap_is_read(tmp_path: Path) -> None:
    pad = yamlpos.MAX_FILE_BYTES - len(MESA) - 3
    assert scsim.load(write(tmp_path / "s.yaml", MESA + b"#" + b"x" * pad + b"\n")).name


@pytest.mark.parametrize(
    ("bom", "named"),
    [
        (b"\xef\xbb\xbf", "byte-order mark"),
        (b"\xff\xfe", "UTF-16"),
        (b"\xfe\xff", "UTF-16"),
        (b"\xff\xfe\x00\x00", "UTF-32"),
        (b"\x00\x00\xfe\xff", "UTF-32"),
    ],
)
def test_a_byte_order_mark_is_named(tmp_path: Path, bom: bytes, named: str) -> None:
    issue = only_issue(write(tmp_path / "s.yaml", bom + MESA))
    assert (issue.line, issue.col) == (1, 1)
    assert named in issue.message and "UTF-8" in issue.message


def test_utf16_text_is_refused_not_misread(tmp_path: Path) -> None:
    issue = only_issue(write(tmp_path / "s.yaml", MESA.decode().encode("utf-16")))
    assert "UTF-16" in issue.message


@pytest.mark.parametrize(
    ("encoding", "word"), [("latin-1", "Zürich"), ("gbk", "荣成"), ("cp1252", "café")]
)
def test_a_non_utf8_byte_is_placed_at_its_line_and_column(
    tmp_path: Path, encoding: str, word: str
) -> None:
    # Only the word is in the other encoding: the rest of the file stays UTF-8.
    data = MESA.replace(b"description:", b"description: " + word.encode(encoding), 1)
    issue = only_issue(write(tmp_path / "s.yaml", data))
    bad = data.index(b"description: ") + len(b"description: ")
    bad += next(i for i, ch in enumerate(word) if ord(ch) > 127)  # its ASCII: a byte a letter
    line = data.count(b"\n", 0, bad) + 1
    col = len(data[data.rfind(b"\n", 0, bad) + 1 : bad].decode("utf-8")) + 1
    assert (issue.line, issue.col) == (line, col)
    assert "not UTF-8" in issue.message
    assert word not in issue.message


def test_a_byte_after_wide_characters_is_counted_in_characters(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "name: 荣成\xe9\n".encode()[:-3] + b"\xe9\n")
    issue = only_issue(path)
    assert (issue.line, issue.col) == (1, 9)


@pytest.mark.parametrize(("char", "what"), [("\0", "NUL"), ("\x07", "control"), ("\x1b", "control"), ("\x85", "control")])  # fmt: skip
def test_nul_and_control_characters_are_refused_at_their_place(
    tmp_path: Path, char: str, what: str
) -> None:
    text = MESA.decode()
    index = text.index("description:") + 3
    text = text[:index] + char + text[index:]
    issue = only_issue(write(tmp_path / "s.yaml", text))
    line = text.count("\n", 0, index) + 1
    col = index - text.rfind("\n", 0, index)
    assert (issue.line, issue.col) == (line, col)
    assert what in issue.message and f"U+{ord(char):04X}" in issue.message


def test_a_binary_file_is_refused_without_its_contents(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4
    issue = only_issue(write(tmp_path / "s.yaml", data))
    assert issue.line >= 1 and issue.col >= 1
    assert "\\x" not in issue.message and len(issue.message) < 200


@pytest.mark.parametrize("bracket", ["[", "{"])
def test_deep_flow_nesting_is_refused_at_the_bracket_not_a_recursion_error(
    tmp_path: Path, bracket: str
) -> None:
    close = "]" if bracket == "[" else "}"
    inner = "1" if bracket == "[" else "a: 1"
    nest = ("[" if bracket == "[" else "{a: ") * 5000
    nest = nest.replace("{a: ", "{a: ") if bracket == "{" else nest
    text = MESA.decode() + f"x: {nest}{inner}{close * 5000}\n"
    issue = only_issue(write(tmp_path / "s.yaml", text))
    assert str(yamlpos.MAX_FLOW_DEPTH) in issue.message
    assert issue.line == text.count("\n")


def test_nesting_at_the_limit_is_read_as_yaml(tmp_path: Path) -> None:
    depth = yamlpos.MAX_FLOW_DEPTH
    issues = issues_of(
        write(tmp_path / "s.yaml", MESA + f"x: {'[' * depth}{']' * depth}\n".encode())
    )
    # Read as YAML: the only complaint is the unknown key, not the nesting.
    assert [i.path for i in issues] == ["x"]


def test_an_include_outside_the_scenario_folder_is_refused_unread(tmp_path: Path) -> None:
    secret = write(tmp_path / "elsewhere" / "secret.yaml", "password: hunter2\n")
    main = write(tmp_path / "scenario" / "s.yaml", b"include: [../elsewhere/secret.yaml]\n" + MESA)
    issue = only_issue(main)
    assert issue.file == str(main) and (issue.line, issue.col) == (1, 11)
    assert "outside the scenario's folder" in issue.message
    assert "scsim:parts/" in issue.message
    assert "hunter2" not in issue.message
    assert secret.exists()


def test_an_absolute_include_of_a_system_file_is_refused(tmp_path: Path) -> None:
    main = write(tmp_path / "s.yaml", b"include: /etc/passwd\n" + MESA)
    issue = only_issue(main)
    assert "outside the scenario's folder" in issue.message
    assert "root:" not in issue.message


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "out" / "part.yaml", "description: from outside\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "part.yaml").symlink_to(tmp_path / "out" / "part.yaml")
    main = write(tmp_path / "in" / "s.yaml", b"include: part.yaml\n" + MESA)
    assert "outside the scenario's folder" in only_issue(main).message


def test_an_include_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "data.bin", bytes(range(256)))
    main = write(tmp_path / "s.yaml", b"include: data.bin\n" + MESA)
    assert "not a YAML file" in only_issue(main).message


def test_an_included_part_may_include_from_below_the_top_folder(tmp_path: Path) -> None:
    write(tmp_path / "parts" / "a.yaml", "include: b.yaml\n")
    write(tmp_path / "parts" / "b.yaml", "description: from b\n")
    main = write(
        tmp_path / "s.yaml",
        b"include: parts/a.yaml\n" + MESA.replace(b"description:", b"x_description:", 1),
    )
    issues = issues_of(main)  # only the renamed key is wrong: both parts were read
    assert [i.path for i in issues] == ["x_description"]


def test_a_bundled_part_is_included_by_name(tmp_path: Path) -> None:
    court = b"include: [scsim:parts/court-list.yaml]\n"
    text = MESA.replace(b"name: mesa-reference", b"name: with-court", 1)
    # the part's backlog of old judgments follows a judgment event, which this file lacks
    issue = only_issue(write(tmp_path / "s.yaml", court + text))
    assert issue.path.endswith("backlog.like") and "judgment events: none" in issue.message
    no_backlog = b"\n    backlog: {share: {values: {2013-10-01: 0.0}}}\n"
    text = text.replace(b"\nschemes:", b"\nschemes:\n  court:" + no_backlog.rstrip(b"\n"), 1)
    sc = scsim.load(write(tmp_path / "s.yaml", court + text))
    assert sc.spec.court_list() is not None


def test_an_unknown_bundled_part_is_refused_at_the_include(tmp_path: Path) -> None:
    main = write(tmp_path / "s.yaml", b"include: scsim:parts/nope.yaml\n" + MESA)
    issue = only_issue(main)
    assert issue.line == 1 and "does not exist" in issue.message


def test_a_bundled_name_cannot_climb_out_of_the_library(tmp_path: Path) -> None:
    main = write(tmp_path / "s.yaml", b"include: scsim:../../../../etc/passwd.yaml\n" + MESA)
    assert "outside the scenario's folder" in only_issue(main).message


def test_the_cli_refuses_a_nul_byte_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from scsim.cli.main import main

    path = write(tmp_path / "s.yaml", MESA.replace(b"description:", b"descr\0iption:", 1))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "NUL" in result.output
    assert f"{path}:" in result.output
