"""Every source a bundled scenario cites is one a reader can open: a public page, or a section of
a document shipped in the project (docs/sources.md above all). None names the project's private
notes, a tracker issue, or a site's front page.

Every scenario here is synthetic; nothing reads records about real persons.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from pydantic import BaseModel

import scsim
from docs_support import anchors, nodes
from scsim.scenario.model import bundled_names
from scsim.scenario.schema import Reference

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"

SECTION_NUMBER = re.compile(r"^#{2,6}\s+(\d+(?:\.\d+)?)\s")
# A file outside the project: the private notes, an absolute path, a path that climbs out.
OUTSIDE = re.compile(r"REFERENCE\.md|shared/domain|/work/|(^|[\s(])\.\./", re.IGNORECASE)
TRACKER = re.compile(r"\bissues?\s*(?:#\s*)?\d|\bissues?:|issues/|\btracker\b", re.IGNORECASE)
SECTION_MENTION = re.compile(r"§\s*(\d+(?:\.\d+)?)")


def walk(spec: BaseModel) -> Iterator[tuple[str, Reference]]:
    """Every Reference in a parsed scenario (parameters, schemes, targets, reforms, parts)."""
    return nodes(spec, Reference)


def section_numbers(path: Path) -> set[str]:
    """The numbers of a Markdown file's numbered headings ("4.3" for "### 4.3 Listing terms")."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {m.group(1) for line in lines if (m := SECTION_NUMBER.match(line))}


def reference_problems(ref: Reference, root: Path = ROOT) -> list[str]:
    """Why a reader could not open this source ([] when they can)."""
    problems = []
    text = f"{ref.title} {ref.href}"
    if OUTSIDE.search(text):
        problems.append("names a file outside the project")
    if TRACKER.search(text):
        problems.append("cites a tracker issue")
    href = ref.href.strip()
    if not href:
        problems.append("has no href")
    elif re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", href):
        url = urlparse(href)
        if url.scheme not in ("http", "https") or not url.netloc:
            problems.append(f"href {href!r} is not a web address")
        elif url.path in ("", "/") and not url.query:
            problems.append(f"href {href!r} is a site's front page")
    else:
        target, _, fragment = href.partition("#")
        file = (root / target).resolve()
        if not file.is_relative_to(root.resolve()) or not file.is_file():
            problems.append(f"href {href!r} is not a file in the project")
        elif file.suffix == ".md" and not fragment:
            problems.append(f"href {href!r} names no section (add #anchor)")
        elif fragment and file.suffix == ".md" and fragment not in anchors(file):
            problems.append(f"href {href!r}: no anchor #{fragment} in {target}")
    sources = root / "docs" / "sources.md"
    if "docs/sources.md" in ref.title and sources.is_file():
        known = section_numbers(sources)
        missing = [n for n in SECTION_MENTION.findall(ref.title) if n not in known]
        if missing:
            problems.append(f"title cites sections not in docs/sources.md: {', '.join(missing)}")
    return problems


@pytest.mark.parametrize("name", bundled_names())
def test_every_reference_of_a_bundled_scenario_can_be_opened(name: str) -> None:
    refs = list(walk(scsim.load(name).spec))
    assert refs, f"{name} cites no sources"
    bad = {
        f"{path}: {ref.title[:70]}": problems
        for path, ref in refs
        if (problems := reference_problems(ref))
    }
    assert not bad, f"{name}: references a reader cannot open:\n" + "\n".join(
        f"  {where} -> {'; '.join(why)}" for where, why in bad.items()
    )


def test_references_in_parts_targets_and_schemes_are_walked() -> None:
    paths = {path for name in bundled_names() for path, _ in walk(scsim.load(name).spec)}
    assert any(p.startswith("calibration.") for p in paths)
    assert any(p.startswith("observation.sources.") for p in paths)  # parts/sources.yaml
    assert any(p.startswith("schemes.court.") for p in paths)  # parts/court-list.yaml
    assert any(p.startswith("measures.") for p in paths)


def test_docs_sources_has_the_sections_it_promises() -> None:
    names = anchors(SOURCES)
    assert {"modelling-assumptions", "court-list-series", "added-sources"} <= names
    assert {"4.3", "9.1"} <= section_numbers(SOURCES)


def ref(title: str, href: str = "docs/sources.md#court-list-terms") -> Reference:
    return Reference(title=title, href=href, verified=False)


@pytest.mark.parametrize(
    ("reference", "why"),
    [
        (ref("Default term 2 years (REFERENCE.md §3.1)"), "outside the project"),
        (ref("Term", "../shared/domain/REFERENCE.md"), "outside the project"),
        (ref("Term", "/work/shared/notes.md"), "outside the project"),
        (ref("A reported item (issue 3, item 2)"), "tracker issue"),
        (ref("See issue #12"), "tracker issue"),
        (ref("Benchmark specification (issue: core simulator)"), "tracker issue"),
        (ref("Spec", "https://github.com/org/scsim/issues/12"), "tracker issue"),
        (ref("Shanghai Daily", "https://www.shine.cn/"), "front page"),
        (ref("Teller Report", "https://www.tellerreport.com"), "front page"),
        (ref("Source", ""), "no href"),
        (ref("Source", "ftp://example.org/a"), "not a web address"),
        (ref("Source", "docs/sources.md#no-such-anchor"), "no anchor"),
        (ref("Source", "docs/sources.md"), "names no section"),
        (ref("Source", "docs/nowhere.md#x"), "not a file in the project"),
        (ref("Terms (docs/sources.md §4.99)"), "sections not in docs/sources.md"),
    ],
)
def test_the_checker_rejects_sources_a_reader_cannot_open(reference: Reference, why: str) -> None:
    problems = reference_problems(reference)
    assert any(why in p for p in problems), problems


@pytest.mark.parametrize(
    "reference",
    [
        ref("2017 revision, Art. 2 (docs/sources.md §4.3)"),
        ref("Planning Outline, issued 2014-06-14", "https://www.taylorwessing.com/en/insights"),
        ref("Wikipedia revision", "http://en.wikipedia.org/wiki/X?oldid=1"),
        ref("Benchmark", "benchmarks/README.md#reference-model-traffic-points"),
        ref("Assumption [U]", "docs/sources.md#modelling-assumptions"),
    ],
)
def test_the_checker_accepts_sources_a_reader_can_open(reference: Reference) -> None:
    assert reference_problems(reference) == []


def test_the_report_shows_a_project_path_as_text_and_a_web_address_as_a_link() -> None:
    from scsim.report.page import _href

    shown = _href("docs/sources.md#court-list-terms")
    assert "<a " not in shown
    assert "<code>docs/sources.md#court-list-terms</code>" in shown
    assert "scsim repository" in shown
    assert _href("https://example.org/a").startswith('<a href="https://example.org/a"')
    assert _href("") == ""
