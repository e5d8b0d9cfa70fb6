"""The documentation is true: the generated reference matches the schema, the bundled parameters
are sourced, the scenario examples load as shown, and every relative link leads somewhere.

Every scenario here is synthetic; nothing reads records about real persons.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import BaseModel

import scsim
from docs_support import anchors, nodes, prose
from scsim.docsgen import reference
from scsim.scenario.errors import ScenarioError
from scsim.scenario.model import bundled_names
from scsim.scenario.schema import Param

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GENERATED = DOCS / "scenario-reference.md"
GUIDE = DOCS / "scenarios.md"

# ---------------------------------------------------------------------------------------------
# (a) the generated scenario reference


def test_the_scenario_reference_is_generated_from_the_current_schema() -> None:
    expected = reference.render()
    actual = GENERATED.read_text(encoding="utf-8") if GENERATED.exists() else ""
    if actual != expected:
        diff = difflib.unified_diff(
            actual.splitlines(), expected.splitlines(), "committed", "generated", lineterm="", n=1
        )
        shown = "\n".join(list(diff)[:40])
        pytest.fail(
            f"docs/scenario-reference.md is out of date with the schema; regenerate it with\n"
            f"    {reference.REGENERATE}\n{shown}"
        )


def test_every_key_and_name_in_the_reference_is_described() -> None:
    missing = reference.undocumented()
    assert not missing, (
        "add a description (a Field(description=...) in src/scsim/scenario/schema.py; for a "
        "model, a model_config title and a docstring; for a name, the tables in "
        f"src/scsim/docsgen/reference.py) for: {', '.join(missing)}"
    )


def test_the_limits_the_field_descriptions_state_are_the_mechanisms_limits() -> None:
    wrong = reference.misdescribed()
    assert not wrong, f"correct these descriptions in src/scsim/scenario/schema.py: {wrong}"


# ---------------------------------------------------------------------------------------------
# (b) every parameter of a bundled scenario carries its source

# Parameters of the bundled scenarios that have no usable reference yet: the behavioural numbers
# (deterrence exponents and sensitivities, amount spreads, measure effects, list thresholds,
# recovery, the court's payment propensities) that became dated parameters after the scenarios
# were written as plain numbers. The list only ever shrinks: a new gap fails the test, and so
# does a fixed one still listed (tests/data/unsourced_parameters.json).
KNOWN_GAPS: dict[str, set[str]] = {
    name: set(paths)
    for name, paths in json.loads(
        (Path(__file__).parent / "data" / "unsourced_parameters.json").read_text()
    ).items()
}


def params(spec: BaseModel) -> Iterator[tuple[str, Param]]:
    """Every dated parameter in a scenario, by dotted path (schema defaults included)."""
    return nodes(spec, Param)


def href_problem(href: str) -> str:
    """Why ``href`` does not lead to a source ("" when it does)."""
    if not href.strip():
        return "empty href"
    if re.match(r"https?://[^\s/]+\.[^\s]+$", href):
        return ""
    if re.match(r"[a-z]+:", href):
        return f"href '{href}' is neither an http(s) URL nor a path in the repository"
    target, _, fragment = href.partition("#")
    file = ROOT / target
    if not file.exists():
        return f"href '{href}' is not a file in the repository"
    if fragment and file.suffix == ".md" and fragment not in anchors(file):
        return f"href '{href}': no heading '#{fragment}' in {target}"
    return ""


def source_problems(param: Param) -> list[str]:
    """What is missing from a parameter's references."""
    if not param.reference:
        return ["no reference"]
    problems = []
    for ref in param.reference:
        if not ref.title.strip():
            problems.append("a reference without a title")
        if not isinstance(ref.verified, bool):
            problems.append("a reference without a verified flag")
    hrefs = [href_problem(ref.href) for ref in param.reference]
    if all(hrefs):
        problems.append("no reference with an href: " + "; ".join(dict.fromkeys(hrefs)))
    return problems


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_parameter_has_a_titled_linked_reference_and_a_verified_flag(
    name: str,
) -> None:
    spec = scsim.load(name).spec
    gaps = {path: source_problems(p) for path, p in params(spec)}
    gaps = {path: problems for path, problems in gaps.items() if problems}
    known = KNOWN_GAPS.get(name, set())
    new = {path: gaps[path] for path in sorted(gaps.keys() - known)}
    fixed = sorted(known - gaps.keys())
    assert not new, f"{name}: parameters without a usable source (add a reference): {new}"
    assert not fixed, (
        f"{name}: these parameters are sourced now; remove them from KNOWN_GAPS in "
        f"tests/test_docs.py: {fixed}"
    )


def test_the_source_check_catches_a_missing_href() -> None:
    day = dt.date(2020, 1, 1)
    assert source_problems(Param.model_validate(1.0)) == ["no reference"]
    unlinked = Param.model_validate(
        {"values": {day: 1.0}, "reference": [{"title": "t", "verified": False}]}
    )
    assert source_problems(unlinked) == ["no reference with an href: empty href"]
    linked = Param.model_validate(
        {"values": {day: 1.0}, "reference": [{"title": "t", "href": "README.md", "verified": True}]}
    )
    assert source_problems(linked) == []
    assert href_problem("https://example.org/a") == ""
    assert href_problem("benchmarks/README.md") == ""
    assert "not a file" in href_problem("benchmarks/NOPE.md")


# ---------------------------------------------------------------------------------------------
# (c) the examples in docs/scenarios.md load as shown
#
# Markers, as HTML comments on the line before a ```yaml block:
#   <!-- validate -->          a full scenario that must load;
#   <!-- invalid: NAME -->     a scenario that must fail with exactly the messages of the ```text
#                              block after it (file names as NAME);
#   <!-- file: PATH -->        a file the other examples may include, written first.


@dataclass(frozen=True)
class Example:
    """A marked YAML block of a Markdown file."""

    kind: str  # validate, invalid or file
    name: str
    line: int
    text: str
    expected: tuple[str, ...] = ()  # for ``invalid``: the lines of the text block after it


MARKER = re.compile(r"<!--\s*(validate|invalid|file)\s*(?::\s*(\S+)\s*)?-->")


def fenced_block(lines: list[str], start: int, language: str) -> tuple[int, list[str]] | None:
    """(index after it, its lines) of the ``language`` block that comes next after ``start``
    (blank lines skipped); None when something else comes first."""
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or lines[i].strip() != f"```{language}":
        return None
    end = i + 1
    while end < len(lines) and lines[end].strip() != "```":
        end += 1
    return end + 1, lines[i + 1 : end]


def examples(path: Path) -> list[Example]:
    """The marked blocks of a Markdown file; a marker without its blocks is an error."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    found = []
    for i, line in enumerate(lines):
        match = MARKER.fullmatch(line.strip())  # a marker is a line of its own
        if not match:
            continue
        kind, name = match.group(1), match.group(2) or f"example-{i + 1}.yaml"
        where = f"{path.name}:{i + 1}"
        block = fenced_block(lines, i + 1, "yaml")
        if block is None:
            raise ValueError(f"{where}: '{line.strip()}' is not followed by a ```yaml block")
        after, text = block
        expected: tuple[str, ...] = ()
        if kind == "invalid":
            shown = fenced_block(lines, after, "text")
            if shown is None:
                raise ValueError(f"{where}: an invalid example needs a ```text block after it")
            expected = tuple(shown[1])
        if kind != "validate" and not match.group(2):
            raise ValueError(f"{where}: give a file name, e.g. <!-- {kind}: mine.yaml -->")
        found.append(Example(kind, name, i + 1, "\n".join(text) + "\n", expected))
    return found


def load_problem(example: Example, folder: Path, files: list[Example]) -> str:
    """Why a marked example does not behave as its marker says ("" when it does)."""
    for file in files:
        (folder / file.name).parent.mkdir(parents=True, exist_ok=True)
        (folder / file.name).write_text(file.text, encoding="utf-8")
    path = folder / example.name
    path.write_text(example.text, encoding="utf-8")
    try:
        scsim.load(path)
    except ScenarioError as err:
        got = [str(issue).replace(f"{folder}/", "") for issue in err.issues]
        if example.kind == "validate":
            return "it does not load:\n" + "\n".join(got)
        n = len(got)
        got.append(f"error: {n} problem{'s' if n > 1 else ''} in the scenario; nothing was run")
        if got != list(example.expected):
            return "it fails differently; the output is now:\n" + "\n".join(got)
        return ""
    return "it loads, but is marked invalid" if example.kind == "invalid" else ""


GUIDE_EXAMPLES = examples(GUIDE)
GUIDE_FILES = [e for e in GUIDE_EXAMPLES if e.kind == "file"]


def test_the_guide_has_examples_of_each_kind() -> None:
    assert {e.kind for e in GUIDE_EXAMPLES} == {"validate", "invalid", "file"}


@pytest.mark.parametrize(
    "example",
    [e for e in GUIDE_EXAMPLES if e.kind != "file"],
    ids=lambda e: f"{e.kind}-scenarios.md:{e.line}",
)
def test_each_scenario_example_in_the_guide_behaves_as_marked(
    example: Example, tmp_path: Path
) -> None:
    problem = load_problem(example, tmp_path, GUIDE_FILES)
    assert not problem, f"the example at docs/scenarios.md:{example.line}: {problem}"


def test_the_example_check_can_fail(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text("<!-- validate -->\nname: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not followed by a ```yaml block"):
        examples(guide)
    guide.write_text(
        "<!-- validate -->\n```yaml\nname: x\n```\n"
        "<!-- invalid: bad.yaml -->\n```yaml\nname: x\n```\n```text\nnothing\n```\n",
        encoding="utf-8",
    )
    full, invalid = examples(guide)
    assert "missing required key 'world'" in load_problem(full, tmp_path, [])
    assert "bad.yaml:1:1: world: missing required key" in load_problem(invalid, tmp_path, [])


# ---------------------------------------------------------------------------------------------
# (d) relative links in the docs and the README

LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")


def broken_links(path: Path) -> list[str]:
    """Every relative link or image of a Markdown file that leads nowhere, as
    ``line: target: why``."""
    problems = []
    for number, line in prose(path.read_text(encoding="utf-8")):
        targets = LINK.findall(line)
        if definition := DEFINITION.match(line):
            targets.append(definition.group(1))
        for target in targets:
            if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target):  # https:, mailto:, ...
                continue
            where, _, fragment = target.partition("#")
            file = (path.parent / where) if where else path
            if not file.exists():
                problems.append(f"{number}: {target}: no such file")
            elif fragment and file.suffix == ".md" and fragment not in anchors(file):
                problems.append(f"{number}: {target}: no heading with anchor '#{fragment}'")
    return problems


DOCUMENTS = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]


def test_the_docs_exist() -> None:
    names = {p.name for p in DOCUMENTS}
    assert {"architecture.md", "modelling.md", "dependencies.md", "scenarios.md"} <= names


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_an_existing_file(path: Path) -> None:
    problems = broken_links(path)
    assert not problems, f"broken links in {path.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_the_link_check_can_fail(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# A `code` title\n\n[ok](#a-code-title) [self](page.md) [web](https://example.org)\n"
        "[gone](missing.md) [bad anchor](page.md#nowhere) ![img](pic.png) `[code](nope.md)`\n"
        "```\n[inside a fence](not-checked.md)\n```\n[ref]: other.md\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "4: missing.md: no such file",
        "4: page.md#nowhere: no heading with anchor '#nowhere'",
        "4: pic.png: no such file",
        "8: other.md: no such file",
    ]


# ---------------------------------------------------------------------------------------------
# the catalogue table in docs/modelling.md


def catalogue_table() -> dict[str, list[str]]:
    """Event name → cells of the table under "The bundled event catalogue" in modelling.md."""
    text = (DOCS / "modelling.md").read_text(encoding="utf-8")
    section = text.partition("## The bundled event catalogue")[2].partition("\n## ")[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`(\w+)`", cells[0])
        if line.startswith("|") and name:
            rows[name.group(1)] = cells
    return rows


def test_the_catalogue_table_in_modelling_md_matches_the_bundled_catalogue() -> None:
    from scsim.scenario.schema import Behaviour
    from scsim.scenario.yamlpos import load_yaml

    data, _ = load_yaml(Path(scsim.__file__).parent / "scenarios" / "parts" / "catalogue.yaml")
    events = Behaviour.model_validate(data["behaviour"]).events
    rows = catalogue_table()
    assert sorted(rows) == sorted(events), "docs/modelling.md lists other events than the file"
    for name, event in events.items():
        rate = event.annual_rate if event.annual_rate is not None else event.daily_probability
        shown = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", rows[name][1])]
        assert shown == list(rate.values.values()), f"{name}: rate in docs/modelling.md"
        assert rows[name][4].split(",")[0] == event.consequence, f"{name}: consequence"
